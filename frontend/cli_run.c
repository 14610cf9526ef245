/* SPDX-License-Identifier: MIT */
/*
 * cli_run.c - `ttybroker run PORT -- PROGRAM [ARG...]`: open PORT through
 * the backend, run PROGRAM as the target user with the port on fd 3, keep
 * the port locked until PROGRAM ends, and exit with PROGRAM's status.
 * PROGRAM's environment is built by cli_env.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/pidfd.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <sysexits.h>
#include <unistd.h>

#include "cli.h"
#include "drop.h"
#include "portname.h"

#define RUN_FD 3

static volatile sig_atomic_t run_child = -1, run_stop;
/* Why the broker will not hand the port back (TB_R_*), or 0. */
static enum tb_reason run_refused;

/* SIGTERM and SIGHUP to us are passed on to PROGRAM, which then ends;
 * without PROGRAM (waiting for the port to come back) we end, and
 * run_stop says which signal ended us. */
static void run_forward(int sig)
{
	if (run_child > 0)
		kill((pid_t)run_child, sig);
	else
		run_stop = sig;
}

/* run's own options: sharing the port (ttybrokerd). */
struct run_opts {
	int flags;            /* TB_WAIT, TB_YIELD, TB_TAKE */
	unsigned int wait_ms; /* --wait=SECONDS, 0 = no limit */
};

/*
 * In the child, after the environment is PROGRAM's: the preload library
 * in LD_PRELOAD with the port's device number, so that PROGRAM's opens of
 * the port by name get a dup of fd 3.  Without the library, PROGRAM still
 * has fd 3: say so and go on.
 */
static void run_preload(int secure)
{
	struct stat st;
	char rdev[32];

	if (fstat(RUN_FD, &st) < 0)
		return;
	snprintf(rdev, sizeof(rdev), "%u:%u", major(st.st_rdev), minor(st.st_rdev));
	if (cli_preload_env(secure, rdev) < 0)
		fprintf(stderr, "ttybroker: PROGRAM's opens of the port by name will not "
			"reach fd 3\n");
}

/*
 * In the child: the port on fd 3 (blocking, inherited across exec),
 * nothing above it, the environment ENV (which has TTYBROKER_FD=3; PROGRAM
 * is looked up in its PATH), default signals, and SIGHUP if the frontend
 * dies, so PROGRAM does not outlive the session that locks it.
 */
static _Noreturn void run_exec(int port, pid_t parent, char **argv, char **env, int secure)
{
	static const int sigs[] = { SIGINT, SIGQUIT, SIGTERM, SIGHUP };
	int fl;

	if (prctl(PR_SET_PDEATHSIG, SIGHUP, 0, 0, 0) < 0 || getppid() != parent)
		_exit(EX_OSERR);
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		signal(sigs[i], SIG_DFL);
	if (port != RUN_FD && dup2(port, RUN_FD) < 0)
		_exit(EX_OSERR);
	fl = fcntl(RUN_FD, F_GETFL);
	if (fl < 0 || fcntl(RUN_FD, F_SETFL, fl & ~O_NONBLOCK) < 0 ||
	    fcntl(RUN_FD, F_SETFD, 0) < 0)
		_exit(EX_OSERR);
	close_range(RUN_FD + 1, ~0U, 0);
	environ = env;
	run_preload(secure);
	execvp(argv[0], argv);
	fprintf(stderr, "ttybroker: %s: %s\n", argv[0], strerror(errno));
	_exit(errno == ENOENT ? 127 : 126);
}

/* Wait for PROGRAM; its exit status, or 128 + signal like a shell. */
static int run_wait(pid_t pid)
{
	int status;

	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return cli_fail(EX_OSERR, "waitpid: %s", strerror(errno));
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	return 128 + WTERMSIG(status);
}

static void run_signals(void)
{
	struct sigaction fwd = { .sa_handler = run_forward };

	sigemptyset(&fwd.sa_mask);
	sigaction(SIGTERM, &fwd, NULL);
	sigaction(SIGHUP, &fwd, NULL);
	/* The terminal sends these to PROGRAM too; let PROGRAM decide. */
	signal(SIGINT, SIG_IGN);
	signal(SIGQUIT, SIG_IGN);
}

/*
 * PROGRAM's environment, decided before tb_init() drops: started by root
 * (or through sudo), a login environment of the target user, whose passwd
 * entry is read now, while the name service is surely reachable; setuid,
 * the caller's own.  NULL after printing why (*CODE is the exit status).
 */
static char **run_environment(const struct cli *c, int *code)
{
	struct cli_login *login = NULL;
	struct drop_target t;
	char **env;
	int r;

	/* If the target cannot be resolved, tb_init() fails the same way and says why. */
	if (!c->secure && drop_target_resolve(c->user, &t) == 0 && !t.setuid) {
		if (!(login = malloc(sizeof(*login)))) {
			*code = cli_fail(EX_OSERR, "out of memory");
			return NULL;
		}
		if ((r = cli_login_lookup(t.subj.uid, login)) < 0) {
			free(login);
			*code = cli_fail(EX_OSERR, "cannot look up uid %u: %s",
					 (unsigned int)t.subj.uid, strerror(-r));
			return NULL;
		}
	}
	env = cli_run_env(login, environ);
	if (!env)
		*code = cli_fail(EX_OSERR, "cannot build PROGRAM's environment: %s",
				 strerror(errno));
	free(login);
	return env;
}

/*
 * run's options before PORT: --wait[=SECONDS], --yield, --take, --help.
 * Returns -1 to go on with *FIRST the first operand, else an exit status.
 */
static int run_options(int argc, char **argv, struct run_opts *o, int *first)
{
	static const struct option longopts[] = {
		{ "wait", optional_argument, NULL, 'w' },
		{ "yield", no_argument, NULL, 'y' },
		{ "take", no_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	unsigned long secs;
	char *end;
	int ch;

	optind = 0;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, "+:h", longopts, NULL)) != -1) {
		switch (ch) {
		case 'w':
			o->flags |= TB_WAIT;
			if (!optarg)
				break;
			errno = 0;
			secs = strtoul(optarg, &end, 10);
			if (errno || end == optarg || *end || optarg[0] < '0' || optarg[0] > '9' ||
			    secs == 0 || secs > 86400)
				return cli_fail(EX_USAGE, "run: --wait=SECONDS needs 1 to 86400 "
						"seconds");
			o->wait_ms = (unsigned int)secs * 1000u;
			break;
		case 'y': o->flags |= TB_YIELD; break;
		case 't': o->flags |= TB_TAKE; break;
		case 'h': return cli_cmd_options("run", argc, argv, NULL, first);
		default: return cli_getopt_error("run", ch, argv);
		}
	}
	*first = optind;
	return -1;
}

/* Where a waiting run stands, said once on stderr (tb_open_options.queued). */
static void run_queued(const struct tb_event *ev, void *arg)
{
	char port[PORTNAME_ESCAPED_MAX], comm[4 * sizeof(ev->comm) + 1];

	portname_escape((const char *)arg, port, sizeof(port));
	cli_escape(ev->comm, strlen(ev->comm), comm, sizeof(comm));
	if (ev->pid > 0)
		fprintf(stderr, "ttybroker: %s is busy: held by pid %d (%s); waiting, "
			"place %u in line\n", port, ev->pid, comm[0] ? comm : "?", ev->position);
	else
		fprintf(stderr, "ttybroker: %s is busy (%s); waiting, place %u in line\n",
			port, ev->holder == TB_HOLDER_FLOCK ? "flock by another program" :
			ev->holder == TB_HOLDER_EXCL ? "exclusive mode" : "held",
			ev->position);
}

/*
 * With --yield, while PROGRAM runs: the broker's events.  A take-over
 * request lets go at once (PROGRAM's descriptor hangs up: it reads EOF);
 * *FD is then -1.  A hand-back while PROGRAM still runs is kept in *FD.
 * A hand-back the broker refused sets run_refused to its reason.
 * Returns -1 once the broker's connection is gone (no more events).
 */
static int run_event(struct tb_broker *b, const char *name, int *fd)
{
	char port[PORTNAME_ESCAPED_MAX], comm[4 * 16 + 1];
	struct tb_event ev;
	int r;

	while ((r = tb_next_event(b, &ev)) == 1) {
		portname_escape(name, port, sizeof(port));
		cli_escape(ev.comm, strlen(ev.comm), comm, sizeof(comm));
		switch (ev.type) {
		case TB_EV_TAKE:
		case TB_EV_REVOKED:
			fprintf(stderr, "ttybroker: %s taken over by pid %d (%s)\n", port,
				ev.pid, comm[0] ? comm : "?");
			if (*fd >= 0 && ev.fd == *fd) {
				tb_release(b, *fd);
				*fd = -1;
			}
			break;
		case TB_EV_REFUSED:
			fprintf(stderr, "ttybroker: %s will not be handed back: %s\n", port,
				tb_reason_str(ev.reason));
			run_refused = ev.reason;
			break;
		case TB_EV_HANDBACK:
			fprintf(stderr, "ttybroker: %s handed back\n", port);
			if (*fd >= 0)
				tb_release(b, ev.fd);
			else
				*fd = ev.fd;
			break;
		default:
			break;
		}
	}
	return r < 0 ? -1 : 0;
}

/*
 * Wait for PROGRAM (PID), and with YIELD for the broker's events too;
 * PROGRAM's status, as run_wait().
 */
static int run_watch(struct tb_broker *b, pid_t pid, const char *name, int *fd, bool yield)
{
	struct pollfd p[2];
	int pidfd;

	if (!yield || (pidfd = pidfd_open(pid, 0)) < 0)
		return run_wait(pid);
	p[0] = (struct pollfd){ .fd = pidfd, .events = POLLIN };
	p[1] = (struct pollfd){ .fd = tb_fd(b), .events = POLLIN };
	for (;;) {
		if (poll(p, p[1].fd >= 0 ? 2 : 1, -1) < 0 && errno != EINTR)
			break;
		if (p[0].revents)
			break;
		if (p[1].revents && run_event(b, name, fd) < 0)
			p[1].fd = -1;
	}
	close(pidfd);
	return run_wait(pid);
}

/* PROGRAM ended while the port was taken over: wait for it to come back. */
static int run_await(struct tb_broker *b, const char *name)
{
	struct pollfd p = { .fd = tb_fd(b), .events = POLLIN };
	struct sigaction stop = { .sa_handler = run_forward };
	char port[PORTNAME_ESCAPED_MAX];
	int fd = -1;

	/* No PROGRAM to pass SIGINT to: it ends the wait. */
	sigemptyset(&stop.sa_mask);
	sigaction(SIGINT, &stop, NULL);
	portname_escape(name, port, sizeof(port));
	fprintf(stderr, "ttybroker: waiting for %s to be handed back\n", port);
	while (fd < 0 && !run_stop && !run_refused) {
		if (poll(&p, 1, -1) < 0 && errno != EINTR)
			break;
		if (run_stop)
			break;
		if (run_event(b, name, &fd) < 0)
			break;
	}
	signal(SIGINT, SIG_IGN);
	if (fd >= 0 && run_stop) {
		tb_release(b, fd);
		fd = -1;
	}
	return fd;
}

/* PORT -- PROGRAM [ARG...] after the command's options, or a usage error. */
static int run_operands(int argc, char **argv, int first)
{
	static const char usage[] = "(usage: run PORT -- PROGRAM [ARG...])";

	if (first >= argc)
		return cli_fail(EX_USAGE, "run: missing PORT %s", usage);
	if (first + 1 >= argc)
		return cli_fail(EX_USAGE, "run: missing '--' and PROGRAM after PORT %s", usage);
	if (strcmp(argv[first + 1], "--") != 0)
		return cli_fail(EX_USAGE, "run: missing '--' between PORT and PROGRAM %s", usage);
	if (first + 2 >= argc)
		return cli_fail(EX_USAGE, "run: missing PROGRAM after '--' %s", usage);
	return 0;
}

int cli_run(const struct cli *c, int argc, char **argv)
{
	struct tb_open_options oo = { .queued = run_queued };
	struct run_opts ro = { 0 };
	struct tb_broker *b = NULL;
	struct tb_status st;
	const char *port;
	char **env;
	int fd, r, first;
	pid_t pid, self;

	if ((r = run_options(argc, argv, &ro, &first)) >= 0 ||
	    (r = run_operands(argc, argv, first)) != 0)
		return r;
	port = argv[first];
	oo.wait_ms = ro.wait_ms;
	oo.arg = (void *)port;
	if (!(env = run_environment(c, &r)))
		return r;
	if ((r = cli_init(c, &b)) != 0)
		goto out_env;
	fd = tb_open_ex(b, port, ro.flags, &oo, &st);
	if (fd < 0) {
		r = cli_open_failed(c, port, fd, &st);
		goto out;
	}
	run_signals();
	self = getpid();
	for (;;) {
		pid = fork();
		if (pid < 0) {
			r = cli_fail(EX_OSERR, "fork: %s", strerror(errno));
			goto out_release;
		}
		if (pid == 0)
			run_exec(fd, self, argv + first + 2, env, c->secure);
		run_child = pid;
		r = run_watch(b, pid, port, &fd, ro.flags & TB_YIELD);
		run_child = -1;
		/* --yield --wait: PROGRAM ended while the port was taken over;
		 * run it again once the port comes back. */
		if (fd >= 0 || (ro.flags & (TB_YIELD | TB_WAIT)) != (TB_YIELD | TB_WAIT) ||
		    run_stop || (fd = run_await(b, port)) < 0)
			break;
	}
	/* A signal ended the wait for the port: exit as PROGRAM would have;
	 * a refused hand-back exits as that refusal would from open. */
	if (fd < 0 && run_stop)
		r = 128 + run_stop;
	else if (fd < 0 && run_refused)
		r = tb_reason_exit(run_refused);
out_release:
	if (fd >= 0)
		tb_release(b, fd);
out:
	tb_shutdown(b);
out_env:
	cli_env_free(env);
	return r;
}
