/* SPDX-License-Identifier: MIT */
/*
 * cli.c - entry point of the ttybroker command: sanitize, parse global
 * options, dispatch.  Exit codes follow sysexits(3); see ttybroker(1).
 */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "cli.h"
#include "drop.h"
#include "filter.h"
#include "policy.h"
#include "portname.h"

static void cli_usage(FILE *f)
{
	fputs("usage: ttybroker [-p POLICY] [-l LOCKDIR] [-u USER] [-v] [-q] run PORT -- PROGRAM [ARG...]\n"
	      "       ttybroker [-p POLICY] [-u USER] check [--as USER] PORT\n"
	      "       ttybroker lint POLICY\n"
	      "       ttybroker demo\n", f);
}

int cli_fail(int code, const char *fmt, ...)
{
	va_list ap;

	fputs("ttybroker: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return code;
}

int cli_init(const struct cli *c, struct tb_broker **b)
{
	struct tb_options o = {
		.policy = c->policy, .lockdir = c->lockdir,
		.user = c->user, .log = c->log,
	};
	int r = tb_init(&o, b);

	switch (r) {
	case 0:
		return 0;
	case -EPERM:
		return cli_fail(EX_NOPERM, "must be started as root, through sudo or setuid-root");
	case -EINVAL:
		return cli_fail(EX_USAGE, "no user to drop to: started as root, "
				"give -u USER (root itself is refused)");
	case -ENOENT:
		return cli_fail(EX_USAGE, "unknown user '%s'", c->user ? c->user : "");
	case -ECHILD:
		return EX_OSERR; /* the backend has said why, in one line */
	default:
		return cli_fail(EX_OSERR, "cannot start the broker: %s", tb_strerror(r));
	}
}

int cli_open_failed(const struct cli *c, const char *name, int err,
		    const struct tb_status *st)
{
	char port[PORTNAME_ESCAPED_MAX];
	const char *policy = c->policy && !c->secure ? c->policy : POLICY_DEFAULT_PATH;

	portname_escape(name, port, sizeof(port));
	if (st->reason == TB_R_DENIED && st->rule)
		return cli_fail(tb_reason_exit(st->reason), "%s: %s (%s:%u)", port,
				tb_reason_str(st->reason), policy, st->rule);
	if (st->reason == TB_R_DENIED)
		return cli_fail(tb_reason_exit(st->reason), "%s: %s (no rule in %s matches)",
				port, tb_reason_str(st->reason), policy);
	if (st->reason == TB_R_BROKER)
		return cli_fail(tb_reason_exit(st->reason), "%s: %s: %s", port,
				tb_reason_str(st->reason), tb_strerror(err));
	return cli_fail(tb_reason_exit(st->reason), "%s: %s", port,
			tb_reason_str(st->reason));
}

/* Parse options before the subcommand; returns optind or -1. */
static int cli_options(struct cli *c, int argc, char **argv)
{
	int ch;

	while ((ch = getopt(argc, argv, "+p:l:u:vqhV")) != -1) {
		switch (ch) {
		case 'p': c->policy = optarg; break;
		case 'l': c->lockdir = optarg; break;
		case 'u': c->user = optarg; break;
		case 'v': c->log |= TB_LOG_STDERR; break;
		case 'q': c->log |= TB_LOG_QUIET; break;
		case 'V': printf("ttybroker %s%s\n", TB_VERSION, FILTER_BUILD_NOTE); exit(0);
		case 'h': cli_usage(stdout); exit(0);
		default: return -1;
		}
	}
	return optind;
}

int main(int argc, char **argv)
{
	struct cli c = { .secure = drop_is_secure() };
	const char *cmd;
	int i;

	/* Nothing we did not open ourselves goes further than this point. */
	close_range(3, ~0U, 0);
	i = cli_options(&c, argc, argv);
	if (i < 0 || i >= argc) {
		cli_usage(stderr);
		return EX_USAGE;
	}
	if (c.secure && (c.policy || c.lockdir)) {
		fprintf(stderr, "ttybroker: -p and -l are ignored when setuid\n");
		c.policy = c.lockdir = NULL;
	}
	cmd = argv[i];
	argc -= i;
	argv += i;
	if (strcmp(cmd, "run") == 0)
		return cli_run(&c, argc, argv);
	if (strcmp(cmd, "check") == 0)
		return cli_check(&c, argc, argv);
	if (strcmp(cmd, "lint") == 0)
		return cli_lint(&c, argc, argv);
	if (strcmp(cmd, "demo") == 0)
		return cli_demo(&c, argc, argv);
	return cli_fail(EX_USAGE, "unknown command '%s' (try -h)", cmd);
}
