/* SPDX-License-Identifier: MIT */
/*
 * bench_open.c - `make bench`: what an open through the broker costs
 * compared with a root program doing the same work itself.
 *
 * Both sides open the same pty slave (owned by nobody, permitted to nobody
 * by a private policy) and take the same locks in the same lock dir:
 *
 *  - direct: this root process runs, in-process, the backend's steps for
 *    one open and release (name check, policy, pin, classify, lock file,
 *    open, flock, clear O_NONBLOCK, close, remove lock file);
 *  - broker: a child dropped to nobody by tb_init() loops tb_open() +
 *    tb_release() (one round trip, then one message with no reply);
 *  - ipc floor: the same child exchanging the same messages, with an fd
 *    passed back, with a process that does nothing else: the part of the
 *    broker's cost that no backend code can remove.
 *
 * Batches of the sides alternate, so that load from other work on a small
 * machine hits them alike, and medians are reported.  Each case is run
 * with the scheduler's placement and, because a wakeup across CPUs can
 * cost more than the whole open on a VM, with the frontend and backend
 * pinned to one CPU and to two.  tb_init() itself is timed in fresh
 * children.  The project's target (broker within 1.3x of direct) is
 * reported, not enforced: the exit status is nonzero only for errors (a
 * failed open, e.g. -EBUSY because a release was not processed before the
 * next open, or a fixture or child that failed).
 *
 * The lock dir lives in $TMPDIR (default /tmp); its filesystem is printed,
 * since creating and removing lock files is much of the direct cost.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "benchutil.h"
#include "fdpass.h"
#include "proto.h"
#include "ttybroker.h"

#define WARMUP        100  /* untimed cycles before measuring */
#define BATCHES       10
#define BATCH         200  /* cycles per batch */
#define STARTUP_RUNS  50
#define TARGET_RATIO  1.3
#define BARRIER_PORT  "." /* malformed: the backend refuses it, one round trip */

/* Where the broker child (frontend) and its backend and floor server run. */
enum placement {
	PLACE_ANY,   /* wherever the scheduler puts them */
	PLACE_SAME,  /* all on one CPU */
	PLACE_SPLIT, /* backend and floor server on one CPU, frontend on another */
};

/* One way of running the broker, and the table it gets. */
struct bench_case {
	const char *label;
	unsigned int log;   /* TB_LOG_* for the backend */
	enum placement place;
};

/* One batch as the broker child reports it. */
struct batch_msg {
	int32_t failures;   /* tb_open() errors, barrier included */
	int32_t ebusy;      /* of which -EBUSY */
	int32_t first_err;  /* first error seen, 0 if none */
	int32_t backend;    /* wait status of a backend that hung up, or -1 */
	double us[BATCH];   /* each cycle's time */
};

/* The broker child's state: its broker and its ipc-floor partner. */
struct child_state {
	struct tb_broker *b;
	int floor_sock;     /* to the floor server */
	pid_t floor_pid;
	struct batch_msg m;
};

/* A running broker child and its pipes. */
struct broker_child {
	pid_t pid;
	int cmd;            /* we write: 'b' broker batch, 'f' floor batch, 'q' */
	int res;            /* we read its status, then batch_msgs */
};

/* Samples of one side: every cycle, batch by batch. */
struct series {
	double us[BATCHES * BATCH];
	int failures, ebusy, first_err;
	int backend;        /* as in batch_msg */
};

/* Batch medians tolerate spikes within a batch and a batch hit as a whole. */
struct summary {
	double median;      /* median of the batches' medians */
	double mean;        /* of every cycle */
	double lo, hi;      /* lowest and highest batch median */
};

static const struct bench_case cases[] = {
	{ "backend TB_LOG_QUIET, scheduler's placement", TB_LOG_QUIET, PLACE_ANY },
	{ "backend TB_LOG_QUIET, frontend and backend on one CPU", TB_LOG_QUIET,
	  PLACE_SAME },
	{ "backend TB_LOG_QUIET, frontend and backend on two CPUs", TB_LOG_QUIET,
	  PLACE_SPLIT },
	{ "backend logging to syslog, scheduler's placement", 0, PLACE_ANY },
};

static struct bench_fixture fx;

static void on_signal(int sig)
{
	(void)sig;
	bench_stop = 1;
}
/* ---- direct: the backend's work, done in-process by root ---- */

/* N cycles, each timed into US (may be NULL for warm-up).  0 or -1. */
static int direct_run(struct bench_direct *d, int n, double *us)
{
	for (int i = 0; i < n; i++) {
		double t0 = bench_now_us();
		int r = bench_direct_once(d, fx.pty[0].port);

		if (r < 0) {
			fprintf(stderr, "bench: direct open of %s: %s\n", fx.pty[0].port,
				strerror(-r));
			return -1;
		}
		if (us)
			us[i] = bench_now_us() - t0;
	}
	return 0;
}

/* ---- in the broker child: the broker and the ipc floor ---- */

/*
 * After the backend hung up: its wait status, reaped here so the report
 * can say how it ended, or -1.  Waits up to 200 ms; skips the floor server.
 */
static int32_t backend_end(pid_t floor_pid)
{
	for (int i = 0; i < 200; i++) {
		int st;
		pid_t p = waitpid(-1, &st, WNOHANG);

		if (p > 0 && p != floor_pid)
			return st;
		if (p < 0)
			return -1;
		usleep(1000);
	}
	return -1;
}

/* Count a failed open into M; on the first hang-up, learn how the backend ended. */
static void note_failure(struct batch_msg *m, int err, pid_t floor_pid)
{
	if ((err == -ECONNRESET || err == -EPIPE) && m->backend == -1)
		m->backend = backend_end(floor_pid);
	m->failures++;
	if (err == -EBUSY)
		m->ebusy++;
	if (!m->first_err)
		m->first_err = err;
}

/*
 * N tb_open() + tb_release() cycles, each timed into M->us (only when N is
 * BATCH), then a barrier: a request the backend refuses by name, whose
 * reply proves every release before it was processed, so that the direct
 * side never finds the port still held.
 */
static void broker_run(struct tb_broker *b, int n, struct batch_msg *m,
		       pid_t floor_pid)
{
	int fd;

	memset(m, 0, sizeof(*m));
	m->backend = -1;
	for (int i = 0; i < n; i++) {
		double t0 = bench_now_us();

		fd = tb_open(b, fx.pty[0].port, 0, NULL);
		if (fd >= 0)
			tb_release(b, fd);
		else
			note_failure(m, fd, floor_pid);
		if (n == BATCH)
			m->us[i] = bench_now_us() - t0;
	}
	fd = tb_open(b, BARRIER_PORT, 0, NULL);
	if (fd != -EINVAL)
		note_failure(m, fd >= 0 ? -EPROTO : fd, floor_pid);
}

/*
 * The floor server: receives with credentials like the backend, answers
 * each open-sized message with an open-reply-sized one carrying an fd,
 * and reads release-sized ones without answering.  Holds no other fd,
 * so that nobody's EOF waits on it.
 */
static _Noreturn void floor_server(int sock)
{
	struct proto_open_reply rep;
	char buf[PROTO_MSG_MAX + 1];
	struct ucred cred;
	ssize_t n;
	int fd;

	if ((sock > 3 && close_range(3, (unsigned int)sock - 1, 0) < 0) ||
	    close_range((unsigned int)sock + 1, ~0U, 0) < 0)
		_exit(1);
	if ((fd = open("/dev/null", O_RDWR | O_CLOEXEC)) < 0)
		_exit(1);
	memset(&rep, 0, sizeof(rep));
	proto_hdr_init(&rep.hdr, PROTO_OPEN_REPLY, 0);
	for (;;) {
		n = fdpass_recv(sock, buf, sizeof(buf), NULL, &cred);
		if (n == -EINTR)
			continue;
		if (n <= 0)
			_exit(n < 0);
		if ((size_t)n == sizeof(struct proto_open) &&
		    fdpass_send(sock, &rep, sizeof(rep), fd) < 0)
			_exit(1);
	}
}

/* Fork the floor server over a SEQPACKET socketpair.  0 or -errno. */
static int floor_start(struct child_state *cs)
{
	int sv[2], r;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return -errno;
	if ((r = fdpass_want_creds(sv[1])) < 0 || (cs->floor_pid = fork()) < 0) {
		r = r < 0 ? r : -errno;
		close(sv[0]);
		close(sv[1]);
		return r;
	}
	if (cs->floor_pid == 0)
		floor_server(sv[1]);
	close(sv[1]);
	cs->floor_sock = sv[0];
	return 0;
}

/* One floor cycle: request, reply with an fd, close it, one-way release. */
static int floor_once(int sock, struct proto_open *req, struct proto_release *rel)
{
	char buf[PROTO_MSG_MAX + 1];
	ssize_t n;
	int fd = -1, r;

	if ((r = fdpass_send(sock, req, sizeof(*req), -1)) < 0)
		return r;
	do
		n = fdpass_recv(sock, buf, sizeof(buf), &fd, NULL);
	while (n == -EINTR);
	if (n <= 0 || fd < 0)
		return n < 0 ? (int)n : -EPROTO;
	close(fd);
	return fdpass_send(sock, rel, sizeof(*rel), -1);
}

/* N floor cycles, timed into M->us as broker_run does. */
static void floor_run(int sock, int n, struct batch_msg *m)
{
	struct proto_release rel;
	struct proto_open req;
	int r;

	memset(m, 0, sizeof(*m));
	m->backend = -1;
	memset(&req, 0, sizeof(req));
	memset(&rel, 0, sizeof(rel));
	proto_hdr_init(&req.hdr, PROTO_OPEN, 1);
	proto_hdr_init(&rel.hdr, PROTO_RELEASE, 2);
	snprintf(req.port, sizeof(req.port), "%s", fx.pty[0].port);
	for (int i = 0; i < n; i++) {
		double t0 = bench_now_us();

		if ((r = floor_once(sock, &req, &rel)) < 0)
			note_failure(m, r, -1);
		if (n == BATCH)
			m->us[i] = bench_now_us() - t0;
	}
}

/* An allowed CPU other than CPU, or -1 if this process may use only one. */
static int other_cpu(int cpu)
{
	cpu_set_t set;

	if (sched_getaffinity(0, sizeof(set), &set) < 0)
		return -1;
	for (int i = 0; i < CPU_SETSIZE; i++)
		if (i != cpu && CPU_ISSET(i, &set))
			return i;
	return -1;
}

/* Keep this process, and what it forks from now on, on CPU.  0 or -errno. */
static int pin_to(int cpu)
{
	cpu_set_t set;

	if (cpu < 0)
		return -EINVAL;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	return sched_setaffinity(0, sizeof(set), &set) < 0 ? -errno : 0;
}

/* tb_init, floor server, warm-up of both.  0 or the first error. */
static int child_setup(struct child_state *cs, const struct bench_case *c)
{
	struct tb_options o = { .policy = fx.policy, .lockdir = fx.lockdir,
				.user = "nobody", .log = c->log };
	int r, cpu = sched_getcpu(), other = other_cpu(cpu);

	/* The backend and the floor server inherit the CPU at their fork. */
	if (c->place != PLACE_ANY && (r = pin_to(cpu)) < 0)
		return r;
	if ((r = tb_init(&o, &cs->b)) < 0 || (r = floor_start(cs)) < 0)
		return r;
	if (c->place == PLACE_SPLIT && (r = pin_to(other)) < 0)
		return r;
	broker_run(cs->b, WARMUP, &cs->m, cs->floor_pid);
	if (cs->m.failures)
		return cs->m.first_err ? cs->m.first_err : -EIO;
	floor_run(cs->floor_sock, WARMUP, &cs->m);
	return cs->m.failures ? cs->m.first_err : 0;
}

/* The broker child: set up, report, serve batch commands, clean up. */
static _Noreturn void broker_child_main(int cmd, int res, const struct bench_case *c)
{
	static struct child_state cs = { .floor_sock = -1, .floor_pid = -1 };
	int32_t status = child_setup(&cs, c);
	char op;

	if (bench_write_full(res, &status, sizeof(status)) < 0)
		status = -EPIPE;
	while (status == 0 && bench_read_full(cmd, &op, 1) == 0 && op != 'q') {
		if (op == 'b')
			broker_run(cs.b, BATCH, &cs.m, cs.floor_pid);
		else
			floor_run(cs.floor_sock, BATCH, &cs.m);
		if (bench_write_full(res, &cs.m, sizeof(cs.m)) < 0)
			status = -EPIPE;
	}
	if (cs.floor_sock >= 0)
		close(cs.floor_sock); /* EOF ends the floor server */
	if (cs.floor_pid > 0)
		bench_reap(cs.floor_pid, NULL);
	tb_shutdown(cs.b); /* waits for the backend, which removes its locks */
	_exit(status < 0);
}

/* ---- in the parent: driving the broker child ---- */

/* Fork the broker child for case C and wait until it is ready.  0 or -1. */
static int broker_start(struct broker_child *bc, const struct bench_case *c)
{
	int cp[2], rp[2], r;
	int32_t status;

	if (pipe2(cp, O_CLOEXEC) < 0 || pipe2(rp, O_CLOEXEC) < 0) {
		perror("bench: pipe");
		return -1;
	}
	fflush(NULL);
	bc->pid = fork();
	if (bc->pid == 0) {
		signal(SIGINT, SIG_DFL);
		signal(SIGTERM, SIG_DFL);
		close(cp[1]);
		close(rp[0]);
		broker_child_main(cp[0], rp[1], c);
	}
	close(cp[0]);
	close(rp[1]);
	bc->cmd = cp[1];
	bc->res = rp[0];
	if (bc->pid < 0) {
		perror("bench: fork");
		return -1;
	}
	r = bench_read_full(bc->res, &status, sizeof(status));
	if (r < 0 || status < 0) {
		fprintf(stderr, "bench: broker child setup: %s\n",
			strerror(r < 0 ? -r : -status));
		return -1;
	}
	return 0;
}

/* Ask for one batch of kind OP ('b' or 'f') into US, counted in S.  0 or -1. */
static int child_batch(struct broker_child *bc, char op, double *us, struct series *s)
{
	static struct batch_msg m;
	int r;

	if ((r = bench_write_full(bc->cmd, &op, 1)) < 0 ||
	    (r = bench_read_full(bc->res, &m, sizeof(m))) < 0) {
		fprintf(stderr, "bench: broker child: %s\n", strerror(-r));
		return -1;
	}
	memcpy(us, m.us, sizeof(m.us));
	s->failures += m.failures;
	s->ebusy += m.ebusy;
	if (!s->first_err)
		s->first_err = m.first_err;
	if (s->backend == -1)
		s->backend = m.backend;
	return 0;
}

/* Tell the child to quit (or kill it when QUICK) and reap it.  0 if clean. */
static int broker_stop(struct broker_child *bc, bool quick)
{
	int status = 0;

	if (bc->cmd >= 0 && !quick)
		bench_write_full(bc->cmd, "q", 1);
	if (bc->pid > 0 && quick)
		kill(bc->pid, SIGKILL);
	if (bc->cmd >= 0)
		close(bc->cmd);
	if (bc->res >= 0)
		close(bc->res);
	bc->cmd = bc->res = -1;
	if (bc->pid > 0)
		bench_reap(bc->pid, &status);
	bc->pid = -1;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
}

/* ---- measuring ---- */

/* The three sides' samples for one case. */
struct case_result {
	struct series dir, brk, flr;
};

/* One batch of each side, in an order that rotates with I.  0 or -1. */
static int measure_batch(struct bench_direct *d, struct broker_child *bc, int i,
			 struct case_result *cr)
{
	size_t off = (size_t)i * BATCH;

	for (int k = 0; k < 3; k++) {
		int r, side = (i + k) % 3;

		if (side == 0)
			r = direct_run(d, BATCH, cr->dir.us + off);
		else if (side == 1)
			r = child_batch(bc, 'b', cr->brk.us + off, &cr->brk);
		else
			r = child_batch(bc, 'f', cr->flr.us + off, &cr->flr);
		if (r < 0)
			return -1;
	}
	return 0;
}

/* Measure case C: start its child, warm up, run the batches, stop. */
static int measure(struct bench_direct *d, const struct bench_case *c, struct case_result *cr)
{
	struct broker_child bc = { .pid = -1, .cmd = -1, .res = -1 };
	int r = 0;

	memset(cr, 0, sizeof(*cr));
	cr->brk.backend = cr->flr.backend = -1;
	if (broker_start(&bc, c) < 0 || direct_run(d, WARMUP, NULL) < 0)
		r = -1;
	for (int i = 0; r == 0 && i < BATCHES; i++)
		if (bench_stop || measure_batch(d, &bc, i, cr) < 0)
			r = -1;
	if (broker_stop(&bc, r < 0) < 0 && r == 0) {
		fprintf(stderr, "bench: broker child did not exit cleanly\n");
		r = -1;
	}
	if (r == 0 && bench_purge_dir(fx.lockdir) > 0) {
		fprintf(stderr, "bench: lock files left behind after tb_shutdown\n");
		r = -1;
	}
	return r;
}
/* Median of the batch medians, their range, and the mean of every cycle. */
static void summarize(const struct series *s, struct summary *out)
{
	double bm[BATCHES];

	for (int i = 0; i < BATCHES; i++)
		bm[i] = bench_median(s->us + i * BATCH, BATCH);
	qsort(bm, BATCHES, sizeof(bm[0]), bench_cmp_double);
	out->median = bench_median(bm, BATCHES);
	out->mean = bench_mean(s->us, BATCHES * BATCH);
	out->lo = bm[0];
	out->hi = bm[BATCHES - 1];
}

/* ---- report ---- */

static void print_row(const char *name, const struct summary *s)
{
	printf("  %-28s %8.2f %8.2f %8.2f-%.2f\n", name, s->median, s->mean,
	       s->lo, s->hi);
}

/* The table for one case; returns whether the broker met the target. */
static bool print_table(const struct bench_case *c, const struct case_result *cr)
{
	struct summary d, b, f;
	double ratio;

	summarize(&cr->dir, &d);
	summarize(&cr->brk, &b);
	summarize(&cr->flr, &f);
	ratio = b.median / d.median;
	printf("\n%s\n  %-28s %8s %8s %s\n", c->label, "us per open+release",
	       "median", "mean", "batch medians");
	print_row("direct (root, in-process)", &d);
	print_row("broker (tb_open+tb_release)", &b);
	print_row("ipc floor (no backend work)", &f);
	printf("  ratio broker/direct %.2fx (means %.2fx), target <= %.1fx: %s\n",
	       ratio, b.mean / d.mean, TARGET_RATIO,
	       ratio <= TARGET_RATIO ? "PASS" : "FAIL");
	printf("  broker - direct = %.1f us; ipc floor %.1f us; broker failures %d "
	       "(EBUSY %d)\n", b.median - d.median, f.median, cr->brk.failures,
	       cr->brk.ebusy);
	return ratio <= TARGET_RATIO;
}

/* Say how a backend that hung up ended, from its wait status ST. */
static void print_backend_end(int st)
{
	if (st == -1)
		return;
	if (WIFSIGNALED(st))
		fprintf(stderr, "bench: the backend was killed by signal %d (%s)\n",
			WTERMSIG(st), strsignal(WTERMSIG(st)));
	else
		fprintf(stderr, "bench: the backend exited with status %d\n",
			WEXITSTATUS(st));
}

/* Measure case C and print it; -1 on any error or failed open (no table). */
static int run_case(struct bench_direct *d, const struct bench_case *c, bool *pass)
{
	static struct case_result cr;

	if (measure(d, c, &cr) < 0)
		return -1;
	if (cr.brk.failures || cr.flr.failures) {
		fprintf(stderr, "bench: %s: %d broker and %d floor cycles failed "
			"(first: %s)\n", c->label, cr.brk.failures, cr.flr.failures,
			strerror(-(cr.brk.first_err ? cr.brk.first_err : cr.flr.first_err)));
		print_backend_end(cr.brk.backend);
		return -1;
	}
	*pass = print_table(c, &cr);
	return 0;
}

/* In a fresh child: time tb_init() and send the time (or -errno) on FD. */
static _Noreturn void startup_child(int fd)
{
	struct tb_options o = { .policy = fx.policy, .lockdir = fx.lockdir,
				.user = "nobody", .log = TB_LOG_QUIET };
	struct tb_broker *b;
	double t0 = bench_now_us(), t;
	int r = tb_init(&o, &b);

	t = r < 0 ? (double)r : bench_now_us() - t0;
	bench_write_full(fd, &t, sizeof(t));
	tb_shutdown(b);
	_exit(r < 0);
}

/* One tb_init() in a fresh child; its time in *US.  0 or -1 (reported). */
static int startup_once(double *us)
{
	int p[2], r, status = 0;
	pid_t pid;

	if (pipe2(p, O_CLOEXEC) < 0) {
		perror("bench: pipe");
		return -1;
	}
	fflush(NULL);
	if ((pid = fork()) == 0) {
		close(p[0]);
		startup_child(p[1]);
	}
	close(p[1]);
	r = pid < 0 ? -errno : bench_read_full(p[0], us, sizeof(*us));
	close(p[0]);
	if (pid > 0)
		bench_reap(pid, &status);
	if (r == 0 && *us < 0)
		r = (int)*us;
	if (r == 0 && !(WIFEXITED(status) && WEXITSTATUS(status) == 0))
		r = -ECHILD;
	if (r < 0)
		fprintf(stderr, "bench: startup: %s\n", strerror(-r));
	return r < 0 ? -1 : 0;
}

/* Time STARTUP_RUNS tb_init() calls and print median and mean. */
static int run_startup(void)
{
	double us[STARTUP_RUNS];

	for (int i = 0; i < STARTUP_RUNS; i++)
		if (bench_stop || startup_once(&us[i]) < 0)
			return -1;
	printf("\nstartup: tb_init() until PROTO_READY (fork, drop to nobody,\n"
	       "backend setup and confinement), TB_LOG_QUIET, %d runs, fresh child each\n"
	       "  median %.1f us, mean %.1f us\n", STARTUP_RUNS,
	       bench_median(us, STARTUP_RUNS), bench_mean(us, STARTUP_RUNS));
	return 0;
}

static void setup_signals(void)
{
	struct sigaction sa = { .sa_handler = on_signal };

	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

static void print_header(void)
{
	char fs[32];

	printf("bench_open: %s owned by nobody, lock dir on %s, %d batches x %d "
	       "after %d warm-up cycles\n", fx.pty[0].port,
	       bench_fs_name(fx.lockdir, fs, sizeof(fs)),
	       BATCHES, BATCH, WARMUP);
	if (access("/dev/log", F_OK) < 0)
		printf("  no /dev/log: the syslog case pays for a failed connect per line\n");
}

/* Every case, then startup; the first case decides the headline verdict. */
static int run_all(struct bench_direct *d)
{
	bool pass, headline = false;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (cases[i].place == PLACE_SPLIT && other_cpu(sched_getcpu()) < 0) {
			printf("\n%s: skipped, only one CPU\n", cases[i].label);
			continue;
		}
		if (run_case(d, &cases[i], &pass) < 0)
			return -1;
		if (i == 0)
			headline = pass;
	}
	if (run_startup() < 0)
		return -1;
	printf("\ntarget (broker within %.1fx of direct, %s): %s\n", TARGET_RATIO,
	       cases[0].label, headline ? "PASS" : "FAIL (reported, not enforced)");
	return 0;
}

int main(void)
{
	struct bench_direct d = { .lockfd = -1, .env = { .devfd = -1, .sysfd = -1 } };
	int r = -1;

	if (geteuid() != 0) {
		fprintf(stderr, "bench_open: must run as root (ptys, chown, tb_init)\n");
		return 1;
	}
	setup_signals();
	/* A backend orphaned by a killed child is ours to reap. */
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	if (bench_fixture_init(&fx, "tb-bench", 1) == 0 && bench_direct_init(&d, &fx) == 0) {
		print_header();
		r = run_all(&d);
	}
	bench_direct_fini(&d);
	while (waitpid(-1, NULL, 0) > 0 || errno == EINTR)
		;
	bench_fixture_fini(&fx);
	return r < 0 ? 1 : 0;
}
