/* SPDX-License-Identifier: MIT */
/*
 * ttybrokerd.c - main() of the daemon: options, the root check, and
 * daemon_main() (broker/daemon.c).  See ttybrokerd(8).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sysexits.h>
#include <unistd.h>

#include "daemon.h"
#include "lock.h"
#include "policy.h"
#include "share.h"

static void usage(void)
{
	fprintf(stderr, "usage: ttybrokerd [-f] [-g GRACE_MS] [-p POLICY] [-l LOCKDIR] "
		"[-s SOCKET] [-v]\n");
	exit(EX_USAGE);
}

int main(int argc, char *argv[])
{
	struct daemon_config cfg = {
		.policy_path = POLICY_DEFAULT_PATH,
		.lockdir = LOCK_DEFAULT_DIR,
		.socket_path = DAEMON_SOCKET_DEFAULT,
		.devdir = "/dev",
		.max_conn = DAEMON_MAX_CONN,
		.max_per_uid = DAEMON_MAX_PER_UID,
		.max_ports = DAEMON_MAX_PORTS,
		.grace_ms = SHARE_GRACE_DEFAULT_MS,
	};
	unsigned long ms;
	char *end;
	int c;

	while ((c = getopt(argc, argv, "fg:p:l:s:v")) != -1) {
		switch (c) {
		case 'f': cfg.foreground = true; break;
		case 'g':
			/* Plain decimal milliseconds, 0 .. SHARE_GRACE_MAX_MS. */
			errno = 0;
			ms = strtoul(optarg, &end, 10);
			if (errno || end == optarg || *end || optarg[0] < '0' ||
			    optarg[0] > '9' || ms > SHARE_GRACE_MAX_MS) {
				fprintf(stderr, "ttybrokerd: -g %s: give milliseconds, "
					"0 to %u\n", optarg, SHARE_GRACE_MAX_MS);
				return EX_USAGE;
			}
			cfg.grace_ms = (unsigned int)ms;
			break;
		case 'p': cfg.policy_path = optarg; break;
		case 'l': cfg.lockdir = optarg; break;
		case 's': cfg.socket_path = optarg; break;
		case 'v': cfg.debug = true; break;
		default: usage();
		}
	}
	if (optind != argc)
		usage();
	if (geteuid() != 0) {
		fprintf(stderr, "ttybrokerd: must run as root (it opens ports and "
			"writes lock files for its clients)\n");
		return EX_OSERR;
	}
	return daemon_main(&cfg);
}
