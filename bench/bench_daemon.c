/* SPDX-License-Identifier: MIT */
/*
 * bench_daemon.c - `make bench`: what ttybrokerd costs, next to root
 * programs doing the same opens themselves.
 *
 * This root process makes 64 ptys owned by nobody, a private policy
 * permitting them to nobody and a private lock dir, and starts the
 * build's ttybrokerd on a private socket ($TTYBROKERD, else beside
 * $TTYBROKER_BIN, else build/ttybrokerd; skipped if there is none).  Then:
 *
 *  - throughput: with 1, 8 and 64 concurrent workers, each on its own pty,
 *    the aggregate opens+releases per second of clients dropped to nobody
 *    talking to the daemon (PROTO_OPEN, the reply with the fd, close,
 *    PROTO_RELEASE: what tb_open() and tb_release() send), and of the same
 *    number of root processes doing the direct open with the same locks
 *    (bench_direct_once, as bench_open does).  Daemon and direct phases
 *    alternate, ROUNDS times, and the median round is reported;
 *  - latency: p50 and p99 of one open (request until the reply with its
 *    fd) through the daemon, over every round;
 *  - memory: RssAnon of the daemon's parent and engine processes, idle and
 *    with 1024 clients connected and idle (8 uids without a passwd entry,
 *    128 connections each: the daemon's per-uid limit).
 *
 * The targets are printed as PASS or MISS lines and never fail the run;
 * the exit status is nonzero only for errors (a failed open, a worker or
 * the daemon that did not start, lock files left behind).  The daemon's
 * audit lines go to /dev/null.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "benchutil.h"
#include "fdpass.h"
#include "proto.h"

#define MAX_WORKERS    64
#define ROUNDS         3
#define PHASE_OPS      6400  /* opens+releases per phase, split among workers */
#define WARMUP         20    /* untimed cycles per worker */
#define IO_WAIT_MS     5000  /* bound on one reply: against hangs only */
#define HOLD_UIDS      8     /* 1024 idle clients: 8 uids ... */
#define HOLD_PER_UID   128   /* ... x 128 connections (DAEMON_MAX_PER_UID) */
#define HOLD_BASE_UID  70000 /* uids without a passwd entry */
#define TARGET_SPEED   0.5   /* daemon/direct throughput with 64 workers */
#define TARGET_TAIL    10.0  /* p99 / p50 */
#define TARGET_RSS_KB  1024  /* RssAnon: 1 MiB ... */
#define TARGET_RSS_PER 2     /* ... plus 2 KiB per connected client */

enum side { SIDE_DAEMON, SIDE_DIRECT };

/* What a worker sends back after its timed cycles. */
struct worker_head {
	int32_t failures;
	int32_t first_err;
	double end_us;      /* bench_now_us() after its last cycle */
};

/* One phase: N workers of one side, ops/s and (daemon) open latencies. */
struct phase {
	double ops_per_s;
	int failures, first_err;
	size_t nlat;
	double *lat;        /* PHASE_OPS open latencies in us (daemon side) */
};

/* The daemon under test. */
struct daemon_proc {
	char bin[256];
	char sock[160];
	pid_t pid;          /* the privileged parent */
	pid_t engine;
};

static struct bench_fixture fx;
static struct daemon_proc dm = { .pid = -1, .engine = -1 };

static void on_signal(int sig)
{
	(void)sig;
	bench_stop = 1;
}

/* ---- a raw client, as the library talks to the daemon ---- */

/* Receive one message within IO_WAIT_MS (and its fd into *PFD).  Length or -errno. */
static ssize_t client_recv(int s, void *buf, size_t len, int *pfd)
{
	struct pollfd p = { .fd = s, .events = POLLIN };
	int r;

	while ((r = poll(&p, 1, IO_WAIT_MS)) < 0 && errno == EINTR && !bench_stop)
		;
	if (r != 1)
		return r < 0 ? -errno : -ETIMEDOUT;
	return fdpass_recv(s, buf, len, pfd, NULL);
}

/* Start a connection to PATH without waiting for PROTO_READY.  fd or -errno. */
static int client_dial(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int s, r;

	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	memcpy(sa.sun_path, path, strlen(path) + 1);
	if ((s = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0)) < 0)
		return -errno;
	if (connect(s, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		r = -errno;
		close(s);
		return r;
	}
	return s;
}

/* Wait for S's PROTO_READY: 0 when served, its err, or -errno. */
static int client_ready(int s)
{
	char buf[PROTO_MSG_MAX];
	union proto_msg m;
	ssize_t n = client_recv(s, buf, sizeof(buf), NULL);

	if (n <= 0)
		return n == 0 ? -ECONNRESET : (int)n;
	if (proto_decode(buf, (size_t)n, PROTO_FROM_BACKEND, false, &m) < 0 ||
	    m.hdr.type != PROTO_READY)
		return -EPROTO;
	return m.ready.err;
}

/* A served connection to PATH.  fd or -errno. */
static int client_connect(const char *path)
{
	int s = client_dial(path), r;

	if (s < 0)
		return s;
	if ((r = client_ready(s)) < 0) {
		close(s);
		return r;
	}
	return s;
}

/*
 * One open and release of PORT on S: PROTO_OPEN, the reply with the fd
 * (timed into *US), close it, PROTO_RELEASE.  0 or -errno (the reply's).
 */
static int client_cycle(int s, const char *port, uint32_t seq, double *us)
{
	struct proto_release rel;
	struct proto_open req;
	char buf[PROTO_MSG_MAX];
	union proto_msg m;
	double t0 = bench_now_us();
	int fd = -1;
	ssize_t n;

	memset(&req, 0, sizeof(req));
	proto_hdr_init(&req.hdr, PROTO_OPEN, seq);
	snprintf(req.port, sizeof(req.port), "%s", port);
	if (send(s, &req, sizeof(req), MSG_NOSIGNAL) != (ssize_t)sizeof(req))
		return -errno;
	n = client_recv(s, buf, sizeof(buf), &fd);
	if (us)
		*us = bench_now_us() - t0;
	if (n <= 0 || proto_decode(buf, (size_t)n, PROTO_FROM_BACKEND, fd >= 0, &m) < 0 ||
	    m.hdr.type != PROTO_OPEN_REPLY) {
		if (fd >= 0)
			close(fd);
		return n == 0 ? -ECONNRESET : n < 0 ? (int)n : -EPROTO;
	}
	if (fd < 0)
		return m.open_reply.err < 0 ? m.open_reply.err : -EPROTO;
	close(fd);
	memset(&rel, 0, sizeof(rel));
	proto_hdr_init(&rel.hdr, PROTO_RELEASE, seq);
	rel.handle = m.open_reply.handle;
	return send(s, &rel, sizeof(rel), MSG_NOSIGNAL) == (ssize_t)sizeof(rel) ? 0 : -errno;
}

/* Drop this process to UID/GID with no supplementary groups.  0 or -errno. */
static int drop_to(uid_t uid, gid_t gid)
{
	if (setgroups(0, NULL) < 0 || setgid(gid) < 0 || setuid(uid) < 0)
		return -errno;
	return 0;
}

/* ---- the daemon ---- */

/* $TTYBROKERD, else ttybrokerd beside $TTYBROKER_BIN, else build/. */
static void daemon_find(char *out, size_t len)
{
	const char *env = getenv("TTYBROKERD"), *bin = getenv("TTYBROKER_BIN");
	const char *slash = bin ? strrchr(bin, '/') : NULL;

	if (env && *env)
		snprintf(out, len, "%s", env);
	else if (slash)
		snprintf(out, len, "%.*s/ttybrokerd", (int)(slash - bin), bin);
	else
		snprintf(out, len, "build/ttybrokerd");
}

/* Start ttybrokerd on FX and wait until it serves.  0 or -1 (said). */
static int daemon_start(void)
{
	int s = -1, r = -ETIMEDOUT;

	snprintf(dm.sock, sizeof(dm.sock), "%s/ttybroker.sock", fx.dir);
	fflush(NULL);
	if ((dm.pid = fork()) < 0) {
		perror("bench_daemon: fork");
		return -1;
	}
	if (dm.pid == 0) {
		int null = open("/dev/null", O_RDWR | O_CLOEXEC);

		if (null < 0 || dup2(null, 0) < 0 || dup2(null, 1) < 0 || dup2(null, 2) < 0)
			_exit(127);
		execl(dm.bin, "ttybrokerd", "-f", "-p", fx.policy, "-l", fx.lockdir,
		      "-s", dm.sock, (char *)NULL);
		_exit(127);
	}
	for (int i = 0; i < 500 && s < 0 && !bench_stop; i++) {
		s = client_connect(dm.sock);
		if (s < 0) {
			r = s;
			usleep(10000);
		}
	}
	if (s < 0) {
		fprintf(stderr, "bench_daemon: %s does not serve on %s: %s\n", dm.bin,
			dm.sock, strerror(-r));
		return -1;
	}
	close(s);
	dm.engine = bench_only_child(dm.pid);
	if (dm.engine < 0) {
		fprintf(stderr, "bench_daemon: no single engine process under %d\n",
			(int)dm.pid);
		return -1;
	}
	return 0;
}

/* SIGTERM the daemon and reap it.  0 if it exited 0. */
static int daemon_stop(void)
{
	int st = 0;

	if (dm.pid <= 0)
		return 0;
	kill(dm.pid, SIGTERM);
	bench_reap(dm.pid, &st);
	dm.pid = -1;
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		fprintf(stderr, "bench_daemon: ttybrokerd ended with status 0x%x\n", st);
		return -1;
	}
	return 0;
}

/* RssAnon of the daemon's parent and engine, in kB, or -1. */
static int daemon_rss(long *parent, long *engine)
{
	*parent = bench_status_kb(dm.pid, "RssAnon");
	*engine = bench_status_kb(dm.engine, "RssAnon");
	return *parent < 0 || *engine < 0 ? -1 : 0;
}

/* Poll until the lock dir is empty (released sessions), up to 2 s.  Left count. */
static int locks_settle(void)
{
	int n = 0;

	for (int i = 0; i < 200; i++) {
		if ((n = bench_count_entries(fx.lockdir)) == 0)
			return 0;
		usleep(10000);
	}
	return n;
}

/* ---- workers ---- */

/*
 * One worker on pty IDX: set up (connect as nobody, or the direct state),
 * warm up, say ready on RES, wait for GO to close, run OPS timed cycles,
 * send a worker_head and, for the daemon, OPS open latencies as floats.
 */
static _Noreturn void worker_main(enum side side, int idx, int ops, int go, int res)
{
	struct worker_head h = { 0 };
	struct bench_direct d = { .lockfd = -1, .env = { .devfd = -1, .sysfd = -1 } };
	const char *port = fx.pty[idx].port;
	float *lat = calloc((size_t)ops, sizeof(*lat));
	int s = -1, r = 0;
	char c;

	if (!lat)
		_exit(3);
	if (side == SIDE_DAEMON) {
		if ((r = drop_to(BENCH_NOBODY_UID, BENCH_NOBODY_GID)) < 0 ||
		    (r = s = client_connect(dm.sock)) < 0)
			h.first_err = r;
		for (int i = 0; r >= 0 && i < WARMUP; i++)
			r = client_cycle(s, port, (uint32_t)i, NULL);
	} else {
		r = bench_direct_init(&d, &fx) < 0 ? -EIO : 0;
		for (int i = 0; r >= 0 && i < WARMUP; i++)
			r = bench_direct_once(&d, port);
	}
	if (r < 0) {
		fprintf(stderr, "bench_daemon: %s worker on %s: setup: %s\n",
			side == SIDE_DAEMON ? "daemon" : "direct", port, strerror(-r));
		_exit(2);
	}
	if (bench_write_full(res, "r", 1) < 0 || read(go, &c, 1) != 0)
		_exit(2);
	for (int i = 0; i < ops; i++) {
		double us = 0;

		if (side == SIDE_DAEMON)
			r = client_cycle(s, port, (uint32_t)(WARMUP + i), &us);
		else
			r = bench_direct_once(&d, port);
		lat[i] = (float)us;
		if (r < 0 && !h.failures++)
			h.first_err = r;
	}
	h.end_us = bench_now_us();
	if (bench_write_full(res, &h, sizeof(h)) < 0 ||
	    (side == SIDE_DAEMON && bench_write_full(res, lat, (size_t)ops * sizeof(*lat)) < 0))
		_exit(2);
	_exit(0);
}

/* A started worker. */
struct worker {
	pid_t pid;
	int res;
};

/*
 * Fork N workers of SIDE (OPS cycles each) reading GO[0]; they close
 * GO[1], so that its EOF starts them.  0 or -1, all ready.
 */
static int workers_start(struct worker *w, int n, enum side side, int ops, const int go[2])
{
	int p[2];
	char c;

	for (int i = 0; i < n; i++) {
		if (pipe2(p, O_CLOEXEC) < 0) {
			perror("bench_daemon: pipe");
			return -1;
		}
		fflush(NULL);
		if ((w[i].pid = fork()) == 0) {
			close(p[0]);
			close(go[1]);
			worker_main(side, i, ops, go[0], p[1]);
		}
		close(p[1]);
		w[i].res = p[0];
		if (w[i].pid < 0) {
			perror("bench_daemon: fork");
			return -1;
		}
	}
	for (int i = 0; i < n; i++)
		if (bench_read_full(w[i].res, &c, 1) < 0)
			return -1;
	return 0;
}

/* Collect the workers' results into PH; the phase ended at the last end_us. */
static int workers_collect(struct worker *w, int n, enum side side, int ops,
			   double t0, struct phase *ph)
{
	float *lat = malloc((size_t)ops * sizeof(*lat));
	double end = t0;
	int r = lat ? 0 : -1;

	for (int i = 0; r == 0 && i < n; i++) {
		struct worker_head h;

		if (bench_read_full(w[i].res, &h, sizeof(h)) < 0 ||
		    (side == SIDE_DAEMON &&
		     bench_read_full(w[i].res, lat, (size_t)ops * sizeof(*lat)) < 0)) {
			r = -1;
			break;
		}
		if (h.failures && !ph->failures)
			ph->first_err = h.first_err;
		ph->failures += h.failures;
		end = h.end_us > end ? h.end_us : end;
		for (int k = 0; side == SIDE_DAEMON && k < ops; k++)
			ph->lat[ph->nlat++] = lat[k];
	}
	free(lat);
	ph->ops_per_s = end > t0 ? (double)n * ops * 1e6 / (end - t0) : 0;
	return r;
}

/* Close every result pipe and reap every worker.  0 if all exited 0. */
static int workers_end(struct worker *w, int n, bool kill_them)
{
	int r = 0, st;

	for (int i = 0; i < n; i++) {
		if (w[i].pid <= 0)
			continue;
		if (kill_them)
			kill(w[i].pid, SIGKILL);
		close(w[i].res);
		bench_reap(w[i].pid, &st);
		if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
			r = -1;
		w[i].pid = -1;
	}
	return r;
}

/* One phase: N workers of SIDE, PHASE_OPS cycles in all, started together. */
static int run_phase(enum side side, int n, struct phase *ph)
{
	struct worker w[MAX_WORKERS];
	int go[2], ops = PHASE_OPS / n, r;
	double t0;

	memset(w, 0, sizeof(w));
	if (pipe2(go, O_CLOEXEC) < 0) {
		perror("bench_daemon: pipe");
		return -1;
	}
	r = workers_start(w, n, side, ops, go);
	close(go[0]);
	t0 = bench_now_us();
	close(go[1]); /* EOF: every worker starts */
	if (r == 0)
		r = workers_collect(w, n, side, ops, t0, ph);
	if (workers_end(w, n, r < 0) < 0 && r == 0)
		r = -1;
	if (r < 0)
		fprintf(stderr, "bench_daemon: a %s worker failed (%d workers)\n",
			side == SIDE_DAEMON ? "daemon" : "direct", n);
	if (r == 0 && ph->failures) {
		fprintf(stderr, "bench_daemon: %d %s cycles failed with %d workers, first: %s\n",
			ph->failures, side == SIDE_DAEMON ? "daemon" : "direct", n,
			strerror(-ph->first_err));
		r = -1;
	}
	if (r == 0 && locks_settle() != 0) {
		fprintf(stderr, "bench_daemon: lock files left after a %s phase\n",
			side == SIDE_DAEMON ? "daemon" : "direct");
		r = -1;
	}
	return r;
}

/* ---- throughput and latency ---- */

/* Per worker count: each round's ops/s of both sides, the daemon's latencies. */
struct level {
	int n;
	double daemon[ROUNDS], direct[ROUNDS];
	struct phase lat;   /* every round's open latencies */
};

/* ROUNDS rounds of both sides with N workers, alternating which goes first. */
static int run_level(struct level *lv)
{
	for (int round = 0; round < ROUNDS; round++) {
		for (int k = 0; k < 2; k++) {
			enum side side = (round + k) % 2 ? SIDE_DIRECT : SIDE_DAEMON;
			struct phase ph = { .lat = lv->lat.lat + lv->lat.nlat };

			if (bench_stop || run_phase(side, lv->n, &ph) < 0)
				return -1;
			if (side == SIDE_DAEMON) {
				lv->daemon[round] = ph.ops_per_s;
				lv->lat.nlat += ph.nlat;
			} else {
				lv->direct[round] = ph.ops_per_s;
			}
		}
	}
	return 0;
}

static const char *verdict(bool pass)
{
	return pass ? "PASS" : "MISS";
}

/* LV's line: ops/s of both sides, their *RATIO, p50, p99 and their *TAIL ratio. */
static void print_level(struct level *lv, double *ratio, double *tail)
{
	double dmn = bench_median(lv->daemon, ROUNDS), drc = bench_median(lv->direct, ROUNDS);
	double p50 = bench_percentile(lv->lat.lat, lv->lat.nlat, 50);
	double p99 = bench_percentile(lv->lat.lat, lv->lat.nlat, 99);

	*ratio = drc > 0 ? dmn / drc : 0;
	*tail = p50 > 0 ? p99 / p50 : 0;
	printf("  %2d  %10.0f  %10.0f  %6.2fx   %8.1f  %8.1f  %6.1fx\n", lv->n, dmn, drc,
	       *ratio, p50, p99, *tail);
}

/* ---- memory ---- */

/*
 * A holder: as uid HOLD_BASE_UID + K (no passwd entry), HOLD_PER_UID
 * connections, each served; report how many on RES, keep them until QUIT
 * closes.
 */
static _Noreturn void holder_main(int k, int quit, int res)
{
	uid_t uid = (uid_t)(HOLD_BASE_UID + k);
	int32_t served = 0;
	int s[HOLD_PER_UID], n = 0;
	char c;

	if (drop_to(uid, uid) < 0)
		_exit(2);
	/* Dial all first, then collect the PROTO_READYs: the daemon accepts in bulk. */
	for (; n < HOLD_PER_UID; n++)
		if ((s[n] = client_dial(dm.sock)) < 0)
			break;
	for (int i = 0; i < n; i++)
		served += client_ready(s[i]) == 0;
	if (bench_write_full(res, &served, sizeof(served)) < 0)
		_exit(2);
	while (read(quit, &c, 1) < 0 && errno == EINTR)
		;
	_exit(0);
}

/* 1024 idle clients connected: their count into *N, RssAnon of both. */
static int measure_connected(int *n, long *parent, long *engine)
{
	struct worker h[HOLD_UIDS];
	int quit[2], r = 0;

	memset(h, 0, sizeof(h));
	*n = 0;
	if (pipe2(quit, O_CLOEXEC) < 0)
		return -1;
	for (int k = 0; k < HOLD_UIDS && r == 0; k++) {
		int p[2];

		if (pipe2(p, O_CLOEXEC) < 0) {
			r = -1;
			break;
		}
		fflush(NULL);
		if ((h[k].pid = fork()) == 0) {
			close(p[0]);
			close(quit[1]);
			holder_main(k, quit[0], p[1]);
		}
		close(p[1]);
		h[k].res = p[0];
		if (h[k].pid < 0)
			r = -1;
	}
	close(quit[0]);
	for (int k = 0; k < HOLD_UIDS && r == 0; k++) {
		int32_t served;

		if (bench_read_full(h[k].res, &served, sizeof(served)) < 0)
			r = -1;
		else
			*n += served;
	}
	if (r == 0)
		r = daemon_rss(parent, engine);
	close(quit[1]);
	if (workers_end(h, HOLD_UIDS, false) < 0)
		r = -1;
	if (r < 0)
		fprintf(stderr, "bench_daemon: the 1024-client holders failed\n");
	return r;
}

/* ---- main ---- */

static void setup_signals(void)
{
	struct sigaction sa = { .sa_handler = on_signal };

	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

/* Everything, printed as it goes.  0, or -1 on an error (said). */
static int run_all(void)
{
	static struct level lv[] = { { .n = 1 }, { .n = 8 }, { .n = MAX_WORKERS } };
	double ratio = 0, tail1 = 0, tail, r64 = 0;
	long p0, e0, p1, e1;
	int conn, nlv = (int)(sizeof(lv) / sizeof(lv[0]));
	char fs[32];
	bool rss_idle, rss_conn;

	if (daemon_start() < 0 || daemon_rss(&p0, &e0) < 0)
		return -1;
	printf("bench_daemon: %s on %s, %d ptys owned by nobody, lock dir on %s\n",
	       dm.bin, dm.sock, fx.npty, bench_fs_name(fx.lockdir, fs, sizeof(fs)));
	printf("  %d rounds of %d opens+releases per side and worker count, sides "
	       "alternating;\n  daemon: clients as nobody (open request until the fd, "
	       "close, release);\n  direct: root processes, in-process open with the "
	       "same locks\n\n", ROUNDS, PHASE_OPS);
	printf("   N   daemon/s    direct/s   ratio    p50 us    p99 us  p99/p50\n");
	for (int i = 0; i < nlv; i++) {
		lv[i].lat.lat = calloc(ROUNDS * PHASE_OPS, sizeof(double));
		if (!lv[i].lat.lat || run_level(&lv[i]) < 0)
			return -1;
		print_level(&lv[i], &ratio, &tail);
		if (lv[i].n == 1)
			tail1 = tail;
		if (lv[i].n == MAX_WORKERS)
			r64 = ratio;
		free(lv[i].lat.lat);
		lv[i].lat.lat = NULL;
	}
	if (measure_connected(&conn, &p1, &e1) < 0)
		return -1;
	rss_idle = p0 + e0 < TARGET_RSS_KB;
	rss_conn = p1 + e1 < TARGET_RSS_KB + TARGET_RSS_PER * conn;
	printf("\n  RssAnon kB         parent  engine   total   target\n");
	printf("  idle               %6ld  %6ld  %6ld  < %d\n", p0, e0, p0 + e0, TARGET_RSS_KB);
	printf("  %4d connected     %6ld  %6ld  %6ld  < %d\n", conn, p1, e1, p1 + e1,
	       TARGET_RSS_KB + TARGET_RSS_PER * conn);
	printf("\ntargets (reported, not enforced):\n");
	printf("  %s throughput with %d clients %.2fx direct, target >= %.1fx\n",
	       verdict(r64 >= TARGET_SPEED), MAX_WORKERS, r64, TARGET_SPEED);
	printf("  %s latency of one open, 1 client: p99 %.1fx p50, target < %.0fx\n",
	       verdict(tail1 > 0 && tail1 < TARGET_TAIL), tail1, TARGET_TAIL);
	printf("  %s RssAnon idle %ld kB, target < %d kB\n", verdict(rss_idle), p0 + e0,
	       TARGET_RSS_KB);
	printf("  %s RssAnon with %d clients %ld kB, target < %d kB%s\n", verdict(rss_conn),
	       conn, p1 + e1, TARGET_RSS_KB + TARGET_RSS_PER * conn,
	       conn == HOLD_UIDS * HOLD_PER_UID ? "" : " (fewer clients than asked)");
	return 0;
}

int main(void)
{
	int r;

	if (geteuid() != 0) {
		fprintf(stderr, "bench_daemon: must run as root (ptys, chown, the daemon)\n");
		return 1;
	}
	daemon_find(dm.bin, sizeof(dm.bin));
	if (access(dm.bin, X_OK) < 0) {
		printf("bench_daemon: skipped, no ttybrokerd at %s (set TTYBROKERD)\n", dm.bin);
		return 0;
	}
	setup_signals();
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	if (bench_fixture_init(&fx, "tb-daemon", MAX_WORKERS) < 0)
		return 1;
	r = run_all();
	if (daemon_stop() < 0)
		r = -1;
	while (waitpid(-1, NULL, 0) > 0 || errno == EINTR)
		;
	if (r == 0 && bench_count_entries(fx.lockdir) != 0) {
		fprintf(stderr, "bench_daemon: lock files left after the daemon stopped\n");
		r = -1;
	}
	bench_fixture_fini(&fx);
	return r < 0 ? 1 : 0;
}
