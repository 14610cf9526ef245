/* SPDX-License-Identifier: MIT */
/*
 * cli_run.c - `ttybroker run PORT -- PROGRAM [ARG...]`: open PORT through
 * the backend, run PROGRAM as the target user with the port on fd 3, keep
 * the port locked until PROGRAM ends, and exit with PROGRAM's status.
 * PROGRAM's environment is built by cli_env.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <sysexits.h>
#include <unistd.h>

#include "cli.h"
#include "drop.h"

#define RUN_FD 3

static volatile sig_atomic_t run_child = -1;

/* SIGTERM and SIGHUP to us are passed on to PROGRAM, which then ends. */
static void run_forward(int sig)
{
	if (run_child > 0)
		kill((pid_t)run_child, sig);
}

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
	struct tb_broker *b = NULL;
	struct tb_status st;
	const char *port;
	char **env;
	int fd, r, first;
	pid_t pid, self;

	if ((r = cli_cmd_options("run", argc, argv, NULL, &first)) >= 0 ||
	    (r = run_operands(argc, argv, first)) != 0)
		return r;
	port = argv[first];
	if (!(env = run_environment(c, &r)))
		return r;
	if ((r = cli_init(c, &b)) != 0)
		goto out_env;
	fd = tb_open(b, port, 0, &st);
	if (fd < 0) {
		r = cli_open_failed(c, port, fd, &st);
		goto out;
	}
	run_signals();
	self = getpid();
	pid = fork();
	if (pid < 0) {
		r = cli_fail(EX_OSERR, "fork: %s", strerror(errno));
		goto out_release;
	}
	if (pid == 0)
		run_exec(fd, self, argv + first + 2, env, c->secure);
	run_child = pid;
	r = run_wait(pid);
	run_child = -1;
out_release:
	tb_release(b, fd);
out:
	tb_shutdown(b);
out_env:
	cli_env_free(env);
	return r;
}
