/* SPDX-License-Identifier: MIT */
/*
 * cli.c - entry point of the ttybroker command: sanitize, parse global
 * options (short and long), dispatch.  Exit codes follow sysexits(3); see
 * ttybroker(1).
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
#include "lock.h"
#include "policy.h"
#include "portname.h"

static const char cli_synopsis[] =
	"usage: ttybroker [OPTION...] run [--wait[=SECONDS]] [--yield] [--take] PORT -- PROGRAM [ARG...]\n"
	"       ttybroker exec -- PROGRAM [ARG...]\n"
	"       ttybroker [OPTION...] check [--as USER] PORT\n"
	"       ttybroker [OPTION...] list [--json] [--via WAY]\n"
	"       ttybroker lint POLICY\n"
	"       ttybroker demo\n"
	"       ttybroker revoke PORT\n"
	"       ttybroker --help | --version\n";

/* --help: the synopsis, then one line per option and per command. */
static void cli_help(void)
{
	printf("%s\n"
	       "Open a serial port through a privileged broker and run PROGRAM on it.\n"
	       "\n"
	       "Options (before the command):\n"
	       "  -p, --policy=FILE   read the policy from FILE (default %s)\n"
	       "  -l, --lockdir=DIR   create LCK.. lock files in DIR (default %s)\n"
	       "  -u, --user=USER     run as USER when started by root (default: SUDO_UID)\n"
	       "  -v, --verbose       also print the backend's audit lines on stderr\n"
	       "  -q, --quiet         do not send the audit lines to syslog\n"
	       "  -h, --help          print this help and exit\n"
	       "  -V, --version       print the version and exit\n"
	       "When installed setuid-root, -p, -l and -u are ignored.  Without root,\n"
	       "a running ttybrokerd or the setuid-root ttybroker-helper serves: -p and -l\n"
	       "are ignored and -u is an error.\n"
	       "\n"
	       "Commands (each takes --help):\n"
	       "  run PORT -- PROGRAM [ARG...]  run PROGRAM as the user, with PORT on fd 3\n"
	       "      --wait[=SECONDS], --yield, --take: share a busy port (ttybrokerd)\n"
	       "  exec -- PROGRAM [ARG...]      run PROGRAM; its opens of ports go to the broker\n"
	       "  check [--as USER] PORT        may USER open PORT, by the policy?\n"
	       "  list [--json] [--via WAY]     the ports you could open, and who holds them\n"
	       "  lint POLICY                   check a policy file\n"
	       "  demo                          show the broker at work on a pty (as root)\n"
	       "  revoke PORT                   take PORT back from its holder (root; ttybrokerd)\n"
	       "\n"
	       "Exit status: 0 ok, 64 usage, 65 bad port name, 69 no such device or not a\n"
	       "tty, 71 broker failure, 75 port busy, 77 denied, 78 bad policy file;\n"
	       "otherwise run exits with PROGRAM's status.  See ttybroker(1).\n",
	       cli_synopsis, POLICY_DEFAULT_PATH, LOCK_DEFAULT_DIR);
}

/* `ttybroker CMD --help`: that command's synopsis and what it does. */
static void cli_cmd_help(const char *cmd)
{
	if (strcmp(cmd, "run") == 0)
		fputs("usage: ttybroker [OPTION...] run [--wait[=SECONDS]] [--yield] [--take] PORT -- "
		      "PROGRAM [ARG...]\n\n"
		      "Open PORT (ttyUSB0, /dev/ttyUSB0, pts/3 or serial/by-id/LINK) through the\n"
		      "broker and run PROGRAM as the target user, with the port on fd 3 and\n"
		      "TTYBROKER_FD=3 in a login environment of that user.  The port stays locked\n"
		      "until PROGRAM ends; ttybroker exits with PROGRAM's status.  PROGRAM's own\n"
		      "opens of the port (by any name) get a dup of fd 3 (LD_PRELOAD).\n"
		      "Sharing a busy port (ttybrokerd only):\n"
		      "  --wait[=SECONDS]  wait in line instead of failing with 75 (give up after\n"
		      "                    SECONDS)\n"
		      "  --yield           let a --take have the port (PROGRAM's fd then reads EOF);\n"
		      "                    with --wait, get it back afterwards and run PROGRAM again\n"
		      "  --take            take the port from a holder that used --yield\n"
		      "Options: see ttybroker --help.\n", stdout);
	else if (strcmp(cmd, "exec") == 0)
		fputs("usage: ttybroker exec -- PROGRAM [ARG...]\n\n"
		      "Run PROGRAM as you with libttybroker-preload.so in LD_PRELOAD: when it opens\n"
		      "a serial port under /dev that it may not open itself, the open goes to the\n"
		      "broker (ttybrokerd or ttybroker-helper); closing it releases the port.\n"
		      "Not for static or setuid programs (see ttybroker(1)).\n", stdout);
	else if (strcmp(cmd, "check") == 0)
		fputs("usage: ttybroker [OPTION...] check [--as USER] PORT\n\n"
		      "Say whether the policy lets a user open PORT, without opening it.\n"
		      "  --as=USER   the user to ask for (default: the user run would drop to,\n"
		      "              else yourself); only root may ask for another user when\n"
		      "              ttybroker is setuid\n"
		      "Options: see ttybroker --help.\n", stdout);
	else if (strcmp(cmd, "lint") == 0)
		fputs("usage: ttybroker lint POLICY\n\n"
		      "Check a policy file: syntax, users and groups, size, owner and mode.\n",
		      stdout);
	else if (strcmp(cmd, "revoke") == 0)
		fputs("usage: ttybroker revoke PORT\n\n"
		      "As root, ask the running ttybrokerd ($TTYBROKER_SOCKET, else\n"
		      "/run/ttybroker.sock) to revoke PORT: the holder's descriptor is hung up\n"
		      "(reads EOF, writes fail), the locks are dropped and an audit line names\n"
		      "you.  Exit status: 0 revoked, 65 bad name, 66 not held, 69 no such\n"
		      "port, 71 no daemon or not hung up, 77 not root.\n", stdout);
	else
		fputs("usage: ttybroker demo\n\n"
		      "As root, show the broker at work on a pseudo-terminal, without serial\n"
		      "hardware; removes everything it created.\n", stdout);
}

int cli_getopt_error(const char *cmd, int ch, char **argv)
{
	const char *arg = optind > 0 ? argv[optind - 1] : "";
	char name[64], shown[4 * sizeof(name) + 1];

	if (strncmp(arg, "--", 2) == 0)
		snprintf(name, sizeof(name), "%.*s", (int)strcspn(arg, "="), arg);
	else
		snprintf(name, sizeof(name), "-%c", optopt ? optopt : '?');
	cli_escape(name, sizeof(name), shown, sizeof(shown));
	return cli_fail(EX_USAGE, "%s%s%s '%s'%s (try 'ttybroker %s%s--help')",
			cmd ? cmd : "", cmd ? ": " : "",
			ch == ':' ? "option" : "unknown option", shown,
			ch == ':' ? " needs an argument" : "", cmd ? cmd : "", cmd ? " " : "");
}

/*
 * A command's own options: --help (and check's --as when AS is given).
 * Returns -1 to go on with *FIRST the first operand, else an exit status
 * (0 after printing the help, 64 after a usage error).
 */
int cli_cmd_options(const char *cmd, int argc, char **argv, const char **as, int *first)
{
	static const struct option with_as[] = {
		{ "as", required_argument, NULL, 'a' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const struct option *longopts = as ? with_as : with_as + 1;
	int ch;

	optind = 0; /* glibc: start afresh on this argv */
	opterr = 0;
	while ((ch = getopt_long(argc, argv, "+:h", longopts, NULL)) != -1) {
		switch (ch) {
		case 'a':
			*as = optarg;
			break;
		case 'h':
			cli_cmd_help(cmd);
			return 0;
		default:
			return cli_getopt_error(cmd, ch, argv);
		}
	}
	*first = optind;
	return -1;
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

/* USER as it may be shown: no control characters from the command line. */
static const char *cli_shown(const char *user, char *buf, size_t len)
{
	cli_escape(user ? user : "", user ? strlen(user) : 0, buf, len);
	return buf;
}

/*
 * tb_init() with C's options.  Its -EINVAL means "no target user other
 * than root": say which source of the target was wrong.
 */
int cli_init(const struct cli *c, struct tb_broker **b)
{
	struct tb_options o = {
		.policy = c->policy, .lockdir = c->lockdir,
		.user = c->user, .log = c->log, .via = c->via,
	};
	char user[256];
	int r = tb_init(&o, b);

	switch (r) {
	case 0:
		return 0;
	case -ENOTCONN:
		return cli_fail(EX_OSERR, "%s", tb_strerror(r));
	case -EPERM:
		return cli_fail(EX_NOPERM, "must be started as root, through sudo or setuid-root");
	case -EINVAL:
		if (c->user)
			return cli_fail(EX_USAGE, "-u %s is root: give -u USER, a user other "
					"than root", cli_shown(c->user, user, sizeof(user)));
		if (getenv("SUDO_UID") || getenv("SUDO_GID"))
			return cli_fail(EX_USAGE, "SUDO_UID/SUDO_GID do not name a user other "
					"than root: give -u USER");
		return cli_fail(EX_USAGE, "started as root without sudo: give -u USER, "
				"the user to run as");
	case -ENOENT:
		return cli_fail(EX_USAGE, "unknown user '%s'", cli_shown(c->user, user,
									 sizeof(user)));
	case -ECHILD:
		return EX_OSERR; /* the backend has said why, in one line */
	default:
		return cli_fail(EX_OSERR, "cannot start the broker: %s", tb_strerror(r));
	}
}

int cli_open_failed(const struct cli *c, const char *name, int err,
		    const struct tb_status *st)
{
	char port[PORTNAME_ESCAPED_MAX], text[4 * sizeof(st->detail) + 64];
	const char *policy = c->policy && !c->secure ? c->policy : POLICY_DEFAULT_PATH;

	portname_escape(name, port, sizeof(port));
	if (st->reason == TB_R_DENIED && st->rule)
		return cli_fail(tb_reason_exit(st->reason), "%s: %s (%s:%u)", port,
				tb_reason_str(st->reason), policy, st->rule);
	if (st->reason == TB_R_DENIED)
		return cli_fail(tb_reason_exit(st->reason), "%s: %s (no rule in %s matches)",
				port, tb_reason_str(st->reason), policy);
	if (st->reason == TB_R_BUSY) {
		char detail[4 * sizeof(st->detail) + 1];

		cli_busy_text(st, text, sizeof(text));
		cli_escape(st->detail, strlen(st->detail), detail, sizeof(detail));
		return cli_fail(tb_reason_exit(st->reason), "%s: %s%s%s", port, text,
				detail[0] ? "; " : "", detail);
	}
	if (st->reason == TB_R_POLICY) {
		cli_policy_text(st, text, sizeof(text));
		return cli_fail(tb_reason_exit(st->reason), "%s: %s", port, text);
	}
	if (st->reason == TB_R_BROKER)
		return cli_fail(tb_reason_exit(st->reason), "%s: %s: %s", port,
				tb_reason_str(st->reason), tb_strerror(err));
	return cli_fail(tb_reason_exit(st->reason), "%s: %s", port,
			tb_reason_str(st->reason));
}

/* Parse options before the command; returns optind, or -1 after a usage error. */
static int cli_options(struct cli *c, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "policy", required_argument, NULL, 'p' },
		{ "lockdir", required_argument, NULL, 'l' },
		{ "user", required_argument, NULL, 'u' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	int ch;

	opterr = 0; /* our own one-line messages */
	while ((ch = getopt_long(argc, argv, "+:p:l:u:vqhV", longopts, NULL)) != -1) {
		switch (ch) {
		case 'p': c->policy = optarg; break;
		case 'l': c->lockdir = optarg; break;
		case 'u': c->user = optarg; break;
		case 'v': c->log |= TB_LOG_STDERR; break;
		case 'q': c->log |= TB_LOG_QUIET; break;
		case 'V': printf("ttybroker %s%s\n", TB_VERSION, FILTER_BUILD_NOTE); exit(0);
		case 'h': cli_help(); exit(0);
		default:
			cli_getopt_error(NULL, ch, argv);
			return -1;
		}
	}
	return optind;
}

int main(int argc, char **argv)
{
	struct cli c = { .secure = drop_is_secure() };
	char shown[256];
	const char *cmd;
	int i;

	/* Nothing we did not open ourselves goes further than this point. */
	close_range(3, ~0U, 0);
	i = cli_options(&c, argc, argv);
	if (i < 0)
		return EX_USAGE;
	if (i >= argc)
		return cli_fail(EX_USAGE, "missing command: run, exec, check, list, lint, demo or revoke "
				"(try 'ttybroker --help')");
	if (c.secure && (c.policy || c.lockdir)) {
		fprintf(stderr, "ttybroker: -p and -l are ignored when setuid\n");
		c.policy = c.lockdir = NULL;
	}
	/* Without root the daemon or the helper serves, with the built-in paths. */
	if (!c.secure && geteuid() != 0 && c.user)
		return cli_fail(EX_USAGE, "-u is only for root (without root, "
				"ttybroker runs PROGRAM as you)");
	if (!c.secure && geteuid() != 0 && (c.policy || c.lockdir)) {
		fprintf(stderr, "ttybroker: -p and -l are ignored when not root: "
			"the broker uses its own policy and lock directory\n");
		c.policy = c.lockdir = NULL;
	}
	if (c.secure && c.user) {
		fprintf(stderr, "ttybroker: -u is ignored when setuid: "
			"the target is always the real user\n");
		c.user = NULL;
	}
	cmd = argv[i];
	argc -= i;
	argv += i;
	if (strcmp(cmd, "run") == 0)
		return cli_run(&c, argc, argv);
	if (strcmp(cmd, "exec") == 0)
		return cli_exec(&c, argc, argv);
	if (strcmp(cmd, "check") == 0)
		return cli_check(&c, argc, argv);
	if (strcmp(cmd, "lint") == 0)
		return cli_lint(&c, argc, argv);
	if (strcmp(cmd, "demo") == 0)
		return cli_demo(&c, argc, argv);
	if (strcmp(cmd, "revoke") == 0)
		return cli_revoke(&c, argc, argv);
	if (strcmp(cmd, "list") == 0)
		return cli_list(&c, argc, argv);
	cli_escape(cmd, strlen(cmd), shown, sizeof(shown));
	return cli_fail(EX_USAGE, "unknown command '%s' (try 'ttybroker --help')", shown);
}
