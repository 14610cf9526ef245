/* SPDX-License-Identifier: MIT */
/*
 * ttybrokerd.c - main() of the daemon: options, the root check, and
 * daemon_main() (broker/daemon.c).  See ttybrokerd(8).
 */
#include <stdio.h>
#include <stdlib.h>
#include <sysexits.h>
#include <unistd.h>

#include "daemon.h"
#include "lock.h"
#include "policy.h"

static void usage(void)
{
	fprintf(stderr, "usage: ttybrokerd [-f] [-p POLICY] [-l LOCKDIR] "
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
	};
	int c;

	while ((c = getopt(argc, argv, "fp:l:s:v")) != -1) {
		switch (c) {
		case 'f': cfg.foreground = true; break;
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
