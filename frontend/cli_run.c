/* SPDX-License-Identifier: MIT */
/*
 * cli_run.c - `ttybroker run PORT -- PROGRAM [ARG...]`: open PORT through
 * the backend, run PROGRAM as the target user with the port on fd 3, keep
 * the port locked until PROGRAM ends, and exit with PROGRAM's status.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <sysexits.h>
#include <unistd.h>

#include "cli.h"

#define RUN_FD 3

static volatile sig_atomic_t run_child = -1;

/* SIGTERM and SIGHUP to us are passed on to PROGRAM, which then ends. */
static void run_forward(int sig)
{
	if (run_child > 0)
		kill((pid_t)run_child, sig);
}

/*
 * In the child: the port on fd 3 (blocking, inherited across exec),
 * nothing above it, TTYBROKER_FD=3, default signals, and SIGHUP if the
 * frontend dies, so PROGRAM does not outlive the session that locks it.
 */
static _Noreturn void run_exec(int port, pid_t parent, char **argv)
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
	if (setenv("TTYBROKER_FD", "3", 1) < 0)
		_exit(EX_OSERR);
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

int cli_run(const struct cli *c, int argc, char **argv)
{
	struct tb_broker *b = NULL;
	struct tb_status st;
	const char *port;
	int fd, r;
	pid_t pid, self;

	if (argc < 4 || strcmp(argv[2], "--") != 0)
		return cli_fail(EX_USAGE, "usage: run PORT -- PROGRAM [ARG...]");
	port = argv[1];
	if ((r = cli_init(c, &b)) != 0)
		return r;
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
		run_exec(fd, self, argv + 3);
	run_child = pid;
	r = run_wait(pid);
	run_child = -1;
out_release:
	tb_release(b, fd);
out:
	tb_shutdown(b);
	return r;
}
