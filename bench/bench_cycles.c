/* SPDX-License-Identifier: MIT */
/*
 * bench_cycles.c - many open/release cycles through the broker, watching
 * the backend for growth.  `make bench` runs it plainly; `make
 * check-valgrind` runs it under valgrind memcheck (scripts/check-valgrind),
 * which then checks this process, the frontend and the backend for leaks
 * and descriptors left open at exit.
 *
 *   bench_cycles [CYCLES]      (default 100000)
 *
 * This root process makes a pty whose slave belongs to nobody, a private
 * policy permitting it to nobody and a lock dir, then forks the frontend,
 * which calls tb_init() (forking the backend and dropping to nobody) and
 * loops tb_open() + tb_release() on the pty.  At cycle 1000 (or half way,
 * for fewer than 2000 cycles) and after the last one, the frontend stops
 * and lets this process sample the backend: RssAnon from
 * /proc/BACKEND/status, and its open descriptors.  Exit status 1 if any
 * cycle failed, the frontend failed, the backend's RssAnon grew by more
 * than RSS_SLACK_KB between the two samples, a descriptor count changed,
 * or a lock file was left behind.  The time per cycle is printed, never
 * judged.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* Under valgrind, RssAnon counts valgrind's own heap (see judge()). */
#if __has_include(<valgrind/valgrind.h>)
#include <valgrind/valgrind.h>
#define UNDER_VALGRIND() (RUNNING_ON_VALGRIND != 0)
#else
#define UNDER_VALGRIND() 0
#endif

#include "benchutil.h"
#include "ttybroker.h"

#define DEFAULT_CYCLES 100000L
#define EARLY_SAMPLE   1000L  /* the first sample, once the backend is warm */
#define RSS_SLACK_KB   64     /* allowed RssAnon growth between the samples */
#define BARRIER_PORT   "." /* malformed: refused after one round trip */
#define EXIT_CYCLE     2      /* frontend: an open or release failed */
#define EXIT_SETUP     3      /* frontend: tb_init or the pipes failed */

/* What this process saw of the backend and the frontend at one sample. */
struct sample {
	long cycle;
	long rss_kb;        /* backend RssAnon */
	int backend_fds;
	int frontend_fds;
};

static struct bench_fixture fx;

/*
 * Stop at cycle I: make sure the backend has processed the release (a
 * malformed name is refused after one round trip, and requests are served
 * in order), tell the parent over REQ, wait for its go on ACK.
 */
static int frontend_pause(struct tb_broker *b, long i, int req, int ack)
{
	struct tb_status st;
	char go;
	int r = tb_open(b, BARRIER_PORT, 0, &st);

	if (r >= 0 || st.reason != TB_R_NAME) {
		fprintf(stderr, "bench_cycles: barrier open: %d (%s)\n", r,
			tb_reason_str(st.reason));
		return -EPROTO;
	}
	r = bench_write_full(req, &i, sizeof(i));
	return r < 0 ? r : bench_read_full(ack, &go, 1);
}

/*
 * The frontend: tb_init() (backend forked, we drop to nobody), then N
 * cycles of tb_open() + tb_release(), pausing at EARLY and at N for the
 * parent's samples.  Leaves by _exit(): the parent's exit handlers and
 * stdio buffers are not ours.
 */
static _Noreturn void frontend_main(long n, long early, int req, int ack)
{
	struct tb_options o = {
		.policy = fx.policy, .lockdir = fx.lockdir,
		.user = "nobody", .log = TB_LOG_QUIET,
	};
	struct tb_broker *b;
	struct tb_status st;
	int r, code = 0;

	if ((r = tb_init(&o, &b)) < 0) {
		fprintf(stderr, "bench_cycles: tb_init: %s\n", tb_strerror(r));
		close(req);
		close(ack);
		_exit(EXIT_SETUP);
	}
	for (long i = 1; i <= n && code == 0; i++) {
		int fd = tb_open(b, fx.pty[0].port, 0, &st);

		if (fd < 0) {
			fprintf(stderr, "bench_cycles: cycle %ld: tb_open: %s (%s)\n", i,
				tb_strerror(fd), tb_reason_str(st.reason));
			code = EXIT_CYCLE;
		} else if ((r = tb_release(b, fd)) < 0) {
			fprintf(stderr, "bench_cycles: cycle %ld: tb_release: %s\n", i,
				tb_strerror(r));
			code = EXIT_CYCLE;
		} else if ((i == early || i == n) && frontend_pause(b, i, req, ack) < 0) {
			code = EXIT_SETUP;
		}
	}
	tb_shutdown(b);
	close(req);
	close(ack);
	_exit(code);
}

/* Sample the backend (and the frontend's descriptors) at a pause. */
static int take_sample(pid_t frontend, long cycle, struct sample *s)
{
	pid_t be = bench_only_child(frontend);

	s->cycle = cycle;
	if (be < 0) {
		fprintf(stderr, "bench_cycles: cycle %ld: no single backend under %d\n", cycle,
			(int)frontend);
		return -1;
	}
	s->rss_kb = bench_status_kb(be, "RssAnon");
	s->backend_fds = bench_fd_count(be);
	s->frontend_fds = bench_fd_count(frontend);
	if (s->rss_kb < 0 || s->backend_fds < 0 || s->frontend_fds < 0) {
		fprintf(stderr, "bench_cycles: cycle %ld: cannot read /proc/%d\n", cycle,
			(int)be);
		return -1;
	}
	return 0;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/*
 * Run the frontend and take the two samples.  0 if every cycle worked, -1
 * otherwise (said).  *ELAPSED is the wall time of the whole run.
 */
static int run_cycles(long n, long early, struct sample s[2], double *elapsed)
{
	int req[2], ack[2], st, got = 0, r = 0;
	double t0 = now_s();
	long cycle;
	pid_t pid;

	if (pipe2(req, O_CLOEXEC) < 0)
		return perror("bench_cycles: pipe"), -1;
	if (pipe2(ack, O_CLOEXEC) < 0) {
		perror("bench_cycles: pipe");
		goto fail_req;
	}
	fflush(NULL);
	if ((pid = fork()) < 0) {
		perror("bench_cycles: fork");
		goto fail_ack;
	}
	if (pid == 0) {
		close(req[0]);
		close(ack[1]);
		close(fx.pty[0].master);
		fx.pty[0].master = -1;
		frontend_main(n, early, req[1], ack[0]);
	}
	close(req[1]);
	close(ack[0]);
	while (bench_read_full(req[0], &cycle, sizeof(cycle)) == 0) {
		if (got == 2 || take_sample(pid, cycle, &s[got++]) < 0 ||
		    bench_write_full(ack[1], "g", 1) < 0) {
			r = -1;
			kill(pid, SIGKILL);
			break;
		}
	}
	close(req[0]);
	close(ack[1]);
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	*elapsed = now_s() - t0;
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		fprintf(stderr, "bench_cycles: frontend %s %d\n",
			WIFEXITED(st) ? "exited" : "killed by signal",
			WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st));
		r = -1;
	}
	if (r == 0 && got != 2) {
		fprintf(stderr, "bench_cycles: %d samples, want 2\n", got);
		r = -1;
	}
	return r;
fail_ack:
	close(ack[0]);
	close(ack[1]);
fail_req:
	close(req[0]);
	close(req[1]);
	return -1;
}

/* Print the samples; 0 if the backend stayed flat, -1 if it grew. */
static int judge(const struct sample s[2], long n, double elapsed)
{
	long growth = s[1].rss_kb - s[0].rss_kb;
	int r = 0;

	printf("== bench_cycles: %ld open/release cycles through the broker on %s\n", n,
	       fx.pty[0].port);
	printf("   %.1f s, %.1f us per cycle (whole run, startup included)\n", elapsed,
	       elapsed * 1e6 / (double)n);
	printf("   backend RssAnon: %ld kB at cycle %ld, %ld kB at cycle %ld: %+ld kB "
	       "(slack %d kB)\n", s[0].rss_kb, s[0].cycle, s[1].rss_kb, s[1].cycle, growth,
	       RSS_SLACK_KB);
	printf("   open fds: backend %d -> %d, frontend %d -> %d\n", s[0].backend_fds,
	       s[1].backend_fds, s[0].frontend_fds, s[1].frontend_fds);
	/*
	 * memcheck keeps freed blocks in its quarantine (--freelist-vol, 20 MB
	 * by default) and adds red zones, so every malloc/free cycle of the
	 * backend grows RssAnon there until the quarantine is full: the figure
	 * is judged in the native run that scripts/check-valgrind makes first.
	 */
	if (UNDER_VALGRIND())
		printf("   (under valgrind: RssAnon includes memcheck's quarantine; "
		       "judged in the native run)\n");
	else if (growth > RSS_SLACK_KB) {
		fprintf(stderr, "bench_cycles: backend RssAnon grew by %ld kB\n", growth);
		r = -1;
	}
	if (s[0].backend_fds != s[1].backend_fds || s[0].frontend_fds != s[1].frontend_fds) {
		fprintf(stderr, "bench_cycles: descriptor count changed\n");
		r = -1;
	}
	return r;
}

int main(int argc, char **argv)
{
	struct sample s[2] = { { 0 } };
	long n = DEFAULT_CYCLES, early;
	double elapsed = 0;
	char *end;
	int r = 1, left;

	if (argc > 2 || (argc == 2 && ((n = strtol(argv[1], &end, 10)) < 2 || *end))) {
		fprintf(stderr, "usage: bench_cycles [CYCLES >= 2]\n");
		return 64;
	}
	if (geteuid() != 0) {
		fprintf(stderr, "bench_cycles: needs root (tb_init, pty ownership)\n");
		return 77;
	}
	early = n >= 2 * EARLY_SAMPLE ? EARLY_SAMPLE : n / 2;
	if (bench_fixture_init(&fx, "tb-cycles", 1) == 0 &&
	    run_cycles(n, early, s, &elapsed) == 0 &&
	    judge(s, n, elapsed) == 0)
		r = 0;
	left = fx.dir[0] ? bench_count_entries(fx.lockdir) : 0;
	if (left != 0) {
		fprintf(stderr, "bench_cycles: %d entries left in the lock dir\n", left);
		r = 1;
	}
	bench_fixture_fini(&fx);
	return r;
}
