/* SPDX-License-Identifier: MIT */
/*
 * test_daemon.c - ttybrokerd end to end: a real daemon started by each
 * test (private policy, lock directory and socket), real ptys, and raw
 * clients dropped to nobody or to a uid without a passwd entry, speaking
 * the protocol of common/proto.h.  Also the strict LISTEN_* parser, socket
 * activation through systemd-socket-activate, confinement read from
 * /proc, limits, and hostile clients that must be dropped while others
 * keep being served.
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "daemon.h"
#include "fdpass.h"
#include "filter.h"
#include "proto.h"
#include "testutil.h"
#include "ttybroker.h"

#define NOPW_UID 424242      /* a uid without a passwd entry */
#define WAIT_MS  5000
#define MANY     64

static struct tu_env env;
static char sock_path[160], log_path[160], daemon_bin[300];
static pid_t daemon_pid = -1;
/* Every client process a test started, killed in teardown if still there. */
static pid_t kid_pids[256];
static size_t nkid_pids;

/* ---- the daemon -------------------------------------------------------- */

static void setup(void)
{
	char *slash;

	tu_env_init(&env);
	snprintf(sock_path, sizeof(sock_path), "%s/sock", env.dir);
	snprintf(log_path, sizeof(log_path), "%s/daemon.log", env.dir);
	snprintf(daemon_bin, sizeof(daemon_bin), "%s", env.bin);
	slash = strrchr(daemon_bin, '/');
	snprintf(slash ? slash + 1 : daemon_bin,
		 sizeof(daemon_bin) - (size_t)(slash ? slash + 1 - daemon_bin : 0),
		 "ttybrokerd");
	/* Every client of these tests is our child: reap them all. */
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	signal(SIGPIPE, SIG_IGN);
}

static void daemon_stop_now(void)
{
	if (daemon_pid > 0) {
		kill(daemon_pid, SIGTERM);
		kill(daemon_pid, SIGCONT); /* a test may have stopped it */
		if (tu_wait(daemon_pid, WAIT_MS) < 0) {
			kill(daemon_pid, SIGKILL);
			tu_wait(daemon_pid, WAIT_MS);
		}
	}
	daemon_pid = -1;
}

/*
 * The daemon logs to a file of the test's: pass any sanitizer report in it
 * on to the test's stderr, where make check-sanitize looks for reports.
 */
static void daemon_log_reports(void)
{
	char line[512];
	FILE *f = fopen(log_path, "re");

	if (!f)
		return;
	while (fgets(line, sizeof(line), f))
		if (strstr(line, "Sanitizer") || strstr(line, "runtime error:"))
			fputs(line, stderr);
	fclose(f);
}

static void teardown(void)
{
	daemon_stop_now();
	for (size_t i = 0; i < nkid_pids; i++)
		if (waitpid(kid_pids[i], NULL, WNOHANG) == 0) {
			kill(kid_pids[i], SIGKILL);
			waitpid(kid_pids[i], NULL, 0);
		}
	nkid_pids = 0;
	tu_reap_all(2000);
	daemon_log_reports();
	unlink(sock_path);
	unlink(log_path);
	tu_env_fini(&env);
}

TestSuite(daemon, .init = setup, .fini = teardown, .timeout = 120);

/* Connect to PATH; -errno on failure. */
static int rc_connect(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -errno;
	if (strlen(path) >= sizeof(sa.sun_path)) {
		close(fd);
		return -ENAMETOOLONG;
	}
	memcpy(sa.sun_path, path, strlen(path) + 1);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int r = -errno;

		close(fd);
		return r;
	}
	return fd;
}

/* Receive one message within WAIT_MS: its length, 0 on EOF, or -errno. */
static ssize_t rc_recv(int fd, void *buf, size_t len, int *pfd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	if (poll(&p, 1, WAIT_MS) != 1)
		return -ETIMEDOUT;
	return fdpass_recv(fd, buf, len, pfd, NULL);
}

/* PROTO_READY's err (0 when served), or a negative errno of our own. */
static int rc_ready(int fd, pid_t *engine)
{
	char buf[PROTO_MSG_MAX];
	union proto_msg m;
	ssize_t n = rc_recv(fd, buf, sizeof(buf), NULL);

	if (n <= 0)
		return n == 0 ? -ECONNRESET : (int)n;
	if (proto_decode(buf, (size_t)n, PROTO_FROM_BACKEND, false, &m) < 0 ||
	    m.hdr.type != PROTO_READY)
		return -EPROTO;
	if (engine)
		*engine = (pid_t)m.ready.pid;
	return m.ready.err;
}

static int rc_send_open(int fd, const char *port, uint32_t seq, int flags)
{
	struct proto_open req;

	memset(&req, 0, sizeof(req));
	proto_hdr_init(&req.hdr, PROTO_OPEN, seq);
	snprintf(req.port, sizeof(req.port), "%s", port);
	return (int)send(fd, &req, sizeof(req), MSG_NOSIGNAL | flags) == (int)sizeof(req)
		       ? 0 : -errno;
}

/* Open PORT: 0 with the reply in *REP (and the fd in *PFD, or -1), or -errno. */
static int rc_open(int fd, const char *port, struct proto_open_reply *rep, int *pfd)
{
	char buf[PROTO_MSG_MAX];
	union proto_msg m;
	ssize_t n;
	int r = rc_send_open(fd, port, 7, 0);

	*pfd = -1;
	if (r < 0)
		return r;
	n = rc_recv(fd, buf, sizeof(buf), pfd);
	if (n <= 0)
		return n == 0 ? -ECONNRESET : (int)n;
	if (proto_decode(buf, (size_t)n, PROTO_FROM_BACKEND, *pfd >= 0, &m) < 0 ||
	    m.hdr.type != PROTO_OPEN_REPLY)
		return -EPROTO;
	*rep = m.open_reply;
	return 0;
}

static void rc_release(int fd, uint32_t handle)
{
	struct proto_release rel;

	memset(&rel, 0, sizeof(rel));
	proto_hdr_init(&rel.hdr, PROTO_RELEASE, 9);
	rel.handle = handle;
	send(fd, &rel, sizeof(rel), MSG_NOSIGNAL);
}

/* Has the daemon closed FD's connection (EOF or hang-up) within WAIT_MS? */
static bool rc_dropped(int fd)
{
	char buf[PROTO_MSG_MAX];
	struct pollfd p = { .fd = fd, .events = POLLIN };

	for (int i = 0; i < 2000; i++) {
		if (poll(&p, 1, WAIT_MS) != 1)
			return false;
		if (p.revents & (POLLHUP | POLLERR))
			return true;
		if (recv(fd, buf, sizeof(buf), MSG_DONTWAIT) == 0)
			return true;
	}
	return false;
}

/* Start ttybrokerd -f on our private socket, policy and lock dir. */
static void daemon_start_with(const char *policy)
{
	pid_t pid = fork();

	cr_assert_geq(pid, 0);
	if (pid == 0) {
		int log = open(log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);

		if (log < 0 || dup2(log, 2) < 0)
			_exit(127);
		execl(daemon_bin, "ttybrokerd", "-f", "-v", "-p", policy, "-l", env.lockdir,
		      "-s", sock_path, (char *)NULL);
		_exit(127);
	}
	daemon_pid = pid;
	for (int i = 0; i < WAIT_MS / 10; i++) {
		int fd = rc_connect(sock_path);

		if (fd >= 0) {
			cr_assert_eq(rc_ready(fd, NULL), 0, "the daemon's first PROTO_READY");
			close(fd);
			return;
		}
		usleep(10000);
	}
	cr_assert_fail("ttybrokerd did not come up (see %s)", log_path);
}

static void daemon_start(void)
{
	daemon_start_with(env.policy);
}

/* The engine process's pid, from PROTO_READY. */
static pid_t engine_pid(void)
{
	pid_t pid = 0;
	int fd = rc_connect(sock_path);

	cr_assert_geq(fd, 0);
	cr_assert_eq(rc_ready(fd, &pid), 0);
	close(fd);
	return pid;
}

static int proc_fd_count(pid_t pid)
{
	char path[64];
	struct dirent *de;
	int n = 0;
	DIR *d;

	snprintf(path, sizeof(path), "/proc/%d/fd", (int)pid);
	d = opendir(path);
	if (!d)
		return -1;
	while ((de = readdir(d)))
		n += de->d_name[0] != '.';
	closedir(d);
	return n;
}

/* Wait until the engine holds WANT fds; the last count seen. */
static int engine_fds_settle(pid_t pid, int want)
{
	int n = -1;

	for (int i = 0; i < 300; i++) {
		n = proc_fd_count(pid);
		if (n == want)
			break;
		usleep(10000);
	}
	return n;
}

static int lock_count(void)
{
	DIR *d = opendir(env.lockdir);
	struct dirent *de;
	int n = 0;

	if (!d)
		return -1;
	while ((de = readdir(d)))
		n += de->d_name[0] != '.';
	closedir(d);
	return n;
}

static bool locks_gone_within(int ms)
{
	for (int i = 0; i < ms / 10; i++) {
		if (lock_count() == 0)
			return true;
		usleep(10000);
	}
	return lock_count() == 0;
}

/* The pid written in PORT's LCK.. file, or -1. */
static pid_t lock_pid(const char *port)
{
	char path[256], buf[32] = "";
	FILE *f;

	tu_lockfile(&env, port, path, sizeof(path));
	f = fopen(path, "re");
	if (!f)
		return -1;
	if (!fgets(buf, sizeof(buf), f))
		buf[0] = '\0';
	fclose(f);
	return (pid_t)atoi(buf);
}

static void drop_to(uid_t uid)
{
	gid_t gid = uid == TU_NOBODY ? TU_NOBODY : uid;

	if (setgroups(0, NULL) < 0 || setresgid(gid, gid, gid) < 0 ||
	    setresuid(uid, uid, uid) < 0)
		_exit(120);
}

/* ---- a client process -------------------------------------------------- */

/*
 * A client child dropped to UID: connects, opens PORT, writes "ping" to
 * it, reports the reply's reason byte on REPORT, then obeys command bytes
 * on CMD: 'p' read "pong" from the port and report 1 (or 0), 'r' release
 * and report 'R' once the daemon served it, 'x' or EOF exit without
 * releasing.
 */
struct kid {
	pid_t pid;
	int report; /* read end */
	int cmd;    /* write end */
};

static void kid_body(uid_t uid, const char *port, int report, int cmd)
{
	struct proto_open_reply rep;
	char c = 0, buf[8];
	int s, pfd = -1, junk = -1;
	uint8_t res;

	drop_to(uid);
	s = rc_connect(sock_path);
	if (s < 0 || rc_ready(s, NULL) != 0 || rc_open(s, port, &rep, &pfd) < 0)
		_exit(121);
	if (pfd >= 0 && write(pfd, "ping", 4) != 4)
		_exit(122);
	res = (uint8_t)rep.reason;
	if (write(report, &res, 1) != 1)
		_exit(122);
	while (read(cmd, &c, 1) == 1) {
		if (c == 'p') {
			struct pollfd p = { .fd = pfd, .events = POLLIN };

			res = pfd >= 0 && poll(&p, 1, WAIT_MS) == 1 &&
			      read(pfd, buf, 4) == 4 && !memcmp(buf, "pong", 4);
		} else if (c == 'e') {
			/* Revoked: EOF on read, EIO on write. */
			struct pollfd p = { .fd = pfd, .events = POLLIN };
			ssize_t rn;

			poll(&p, 1, WAIT_MS);
			rn = read(pfd, buf, sizeof(buf));
			errno = 0;
			res = rn == 0 && write(pfd, "x", 1) < 0 && errno == EIO;
		} else if (c == 't') {
			/* Make the port our controlling terminal. */
			res = setsid() >= 0 && ioctl(pfd, TIOCSCTTY, 0) == 0;
		} else if (c == 'r') {
			rc_release(s, rep.handle);
			/* A round trip proves the release was served. */
			rc_open(s, "../x", &rep, &junk);
			res = 'R';
		} else {
			break;
		}
		if (write(report, &res, 1) != 1)
			_exit(122);
	}
	_exit(0);
}

static void kid_start(struct kid *k, uid_t uid, const char *port)
{
	int rp[2], cp[2];

	cr_assert_eq(pipe2(rp, O_CLOEXEC), 0);
	cr_assert_eq(pipe2(cp, O_CLOEXEC), 0);
	k->pid = fork();
	cr_assert_geq(k->pid, 0);
	if (k->pid == 0) {
		close(rp[0]);
		close(cp[1]);
		kid_body(uid, port, rp[1], cp[0]);
	}
	if (nkid_pids < sizeof(kid_pids) / sizeof(kid_pids[0]))
		kid_pids[nkid_pids++] = k->pid;
	close(rp[1]);
	close(cp[0]);
	k->report = rp[0];
	k->cmd = cp[1];
}

/* One byte of the kid's report, or -1. */
static int kid_read(struct kid *k)
{
	struct pollfd p = { .fd = k->report, .events = POLLIN };
	uint8_t b;

	if (poll(&p, 1, WAIT_MS) != 1 || read(k->report, &b, 1) != 1)
		return -1;
	return b;
}

static void kid_end(struct kid *k)
{
	int st;

	/* Not EOF alone: later kids inherited this pipe's write end. */
	if (write(k->cmd, "x", 1) < 0 && errno != EPIPE)
		cr_assert_fail("write: %s", strerror(errno));
	close(k->cmd);
	close(k->report);
	st = tu_wait(k->pid, WAIT_MS);
	cr_assert_eq(st, 0, "client %d exit status %d", (int)k->pid, st);
}

/* ---- end to end ------------------------------------------------------- */

/* Data both ways; the LCK.. file holds the client's pid; raw release. */
static void end_to_end(uid_t uid)
{
	struct tu_pty pty;
	struct kid k;

	tu_pty_open(&pty, uid);
	tu_policy(&env, "permit * pts/*\n");
	daemon_start();
	kid_start(&k, uid, pty.port);
	cr_assert_eq(kid_read(&k), PROTO_R_OK, "open through the daemon");
	cr_assert(tu_pty_expect(&pty, "ping", WAIT_MS), "client -> port");
	cr_assert_eq(lock_pid(pty.port), k.pid, "the LCK.. file holds the client's pid");
	cr_assert_eq(write(pty.master, "pong\n", 5), 5);
	cr_assert_eq(write(k.cmd, "p", 1), 1);
	cr_assert_eq(kid_read(&k), 1, "port -> client");
	cr_assert_eq(write(k.cmd, "r", 1), 1);
	cr_assert_eq(kid_read(&k), 'R');
	cr_assert_eq(lock_count(), 0, "release removes the lock files");
	kid_end(&k);
	{
		char line[512], want[300];
		bool seen = false;
		FILE *f = fopen(log_path, "re");

		cr_assert_not_null(f);
		snprintf(want, sizeof(want), "serving on %s ", sock_path);
		while (fgets(line, sizeof(line), f))
			seen |= strstr(line, want) != NULL;
		fclose(f);
		cr_assert(seen, "the log names the socket it serves");
	}
	tu_pty_close(&pty);
}

Test(daemon, end_to_end_nobody)
{
	end_to_end(TU_NOBODY);
}

Test(daemon, end_to_end_uid_without_passwd_entry)
{
	end_to_end(NOPW_UID);
}

Test(daemon, released_on_client_exit)
{
	struct tu_pty pty;
	struct kid k;

	tu_pty_open(&pty, TU_NOBODY);
	tu_policy(&env, "permit * pts/*\n");
	daemon_start();
	kid_start(&k, TU_NOBODY, pty.port);
	cr_assert_eq(kid_read(&k), PROTO_R_OK);
	cr_assert_gt(lock_count(), 0);
	cr_assert_eq(write(k.cmd, "x", 1), 1);
	kid_end(&k);
	cr_assert(locks_gone_within(1000), "locks released on exit");
	tu_pty_close(&pty);
}

/* SIGKILL of a client whose socket a child still holds: the pidfd ends it. */
Test(daemon, released_within_a_second_of_sigkill)
{
	struct tu_pty pty;
	struct kid k;

	tu_pty_open(&pty, TU_NOBODY);
	tu_policy(&env, "permit * pts/*\n");
	daemon_start();
	kid_start(&k, TU_NOBODY, pty.port);
	cr_assert_eq(kid_read(&k), PROTO_R_OK);
	cr_assert_eq(lock_pid(pty.port), k.pid);
	kill(k.pid, SIGKILL);
	cr_assert(locks_gone_within(1000), "locks gone within a second of SIGKILL");
	close(k.cmd);
	close(k.report);
	tu_wait(k.pid, WAIT_MS);
	tu_pty_close(&pty);
}

/* The pidfd, not EOF: the killed client's forked child keeps the socket. */
Test(daemon, released_on_exit_while_a_child_keeps_the_socket)
{
	struct proto_open_reply rep;
	struct tu_pty pty;
	int st[2], pfd;
	pid_t client, keeper = -1;
	char c;

	tu_pty_open(&pty, TU_NOBODY);
	tu_policy(&env, "permit * pts/*\n");
	daemon_start();
	cr_assert_eq(pipe2(st, O_CLOEXEC), 0);
	client = fork();
	cr_assert_geq(client, 0);
	if (client == 0) {
		int s;

		drop_to(TU_NOBODY);
		s = rc_connect(sock_path);
		if (s < 0 || rc_ready(s, NULL) != 0 || rc_open(s, pty.port, &rep, &pfd) < 0 ||
		    rep.err != 0)
			_exit(1);
		keeper = fork(); /* keeps s open after we die */
		if (keeper == 0) {
			close(st[1]);
			pause();
			_exit(0);
		}
		if (write(st[1], &keeper, sizeof(keeper)) != sizeof(keeper))
			_exit(2);
		pause();
		_exit(0);
	}
	close(st[1]);
	cr_assert_eq(read(st[0], &keeper, sizeof(keeper)), (ssize_t)sizeof(keeper));
	close(st[0]);
	cr_assert_gt(lock_count(), 0);
	kill(client, SIGKILL);
	cr_assert(locks_gone_within(1000), "the client's exit ends its sessions");
	kill(keeper, SIGKILL);
	tu_wait(client, WAIT_MS);
	tu_wait(keeper, WAIT_MS);
	(void)c;
	tu_pty_close(&pty);
}

/* ---- denials and reason codes ------------------------------------------ */

struct refusal {
	char port[48];
	int err;
	uint32_t reason;
	unsigned int rule;
};

ParameterizedTestParameters(daemon, refused)
{
	static struct refusal cases[] = {
		{ "../etc/passwd", -EINVAL, PROTO_R_NAME, 0 },
		{ "", -EINVAL, PROTO_R_NAME, 0 },
		{ "ttyS0", -EACCES, PROTO_R_DENIED, 3 },
		{ "ttyUSB7", -EACCES, PROTO_R_DENIED, 0 },
		{ "ttyNOPE0", -ENOENT, PROTO_R_NODEV, 2 },
		{ "null", -ENOTTY, PROTO_R_NOTTY, 2 },
		{ "console", -EPERM, PROTO_R_CLASS, 2 },
		{ "tty0", -EPERM, PROTO_R_CLASS, 2 },
	};

	return cr_make_param_array(struct refusal, cases, sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct refusal *c, daemon, refused)
{
	struct proto_open_reply rep;
	int s, pfd;

	tu_policy(&env, "permit * pts/*\npermit * ttyNOPE0 null console tty0\n"
		  "deny * ttyS0\n");
	daemon_start();
	s = rc_connect(sock_path);
	cr_assert_geq(s, 0);
	cr_assert_eq(rc_ready(s, NULL), 0);
	cr_assert_eq(rc_open(s, c->port, &rep, &pfd), 0);
	cr_assert_eq(pfd, -1, "no fd with a refusal");
	cr_assert_eq(rep.err, c->err, "%s: err %d", c->port, rep.err);
	cr_assert_eq(rep.reason, c->reason, "%s: reason %u", c->port, rep.reason);
	cr_assert_eq(rep.rule, c->rule, "%s: rule %u", c->port, rep.rule);
	close(s);
	cr_assert_eq(lock_count(), 0);
}

/* Another user's pty, and a pty held by another client: CLASS and BUSY. */
Test(daemon, other_users_pty_and_busy)
{
	struct proto_open_reply rep;
	struct tu_pty pty;
	struct kid k;
	int s, pfd;

	tu_pty_open(&pty, TU_NOBODY);
	tu_policy(&env, "permit * pts/*\n");
	daemon_start();
	kid_start(&k, NOPW_UID, pty.port);
	cr_assert_eq(kid_read(&k), PROTO_R_CLASS, "another user's pty");
	kid_end(&k);
	kid_start(&k, TU_NOBODY, pty.port);
	cr_assert_eq(kid_read(&k), PROTO_R_OK);
	/* Root asks for the held pty: BUSY, naming the holder. */
	s = rc_connect(sock_path);
	cr_assert_eq(rc_ready(s, NULL), 0);
	cr_assert_eq(rc_open(s, pty.port, &rep, &pfd), 0);
	cr_assert_eq(rep.reason, PROTO_R_CLASS, "root's own check: not its pty");
	close(s);
	cr_assert_eq(write(k.cmd, "x", 1), 1);
	kid_end(&k);
	tu_pty_close(&pty);
}

Test(daemon, busy_names_the_holder)
{
	struct proto_open_reply rep;
	struct tu_pty pty;
	struct kid k;
	int s, pfd;
	pid_t pid;
	int st[2];

	tu_pty_open(&pty, TU_NOBODY);
	tu_policy(&env, "permit * pts/*\n");
	daemon_start();
	kid_start(&k, TU_NOBODY, pty.port);
	cr_assert_eq(kid_read(&k), PROTO_R_OK);
	cr_assert_eq(pipe2(st, O_CLOEXEC), 0);
	pid = fork();
	if (pid == 0) {
		uint8_t out[2] = { 255, 0 };

		drop_to(TU_NOBODY);
		s = rc_connect(sock_path);
		if (s >= 0 && rc_ready(s, NULL) == 0 && rc_open(s, pty.port, &rep, &pfd) == 0) {
			out[0] = (uint8_t)rep.reason;
			out[1] = rep.holder == PROTO_HOLD_LCK && rep.holder_pid == k.pid;
		}
		_exit(write(st[1], out, 2) == 2 ? 0 : 1);
	}
	close(st[1]);
	{
		uint8_t in[2] = { 0 };

		cr_assert_eq(read(st[0], in, 2), 2);
		cr_assert_eq(in[0], PROTO_R_BUSY);
		cr_assert_eq(in[1], 1, "the holder is the first client's LCK.. pid");
	}
	close(st[0]);
	tu_wait(pid, WAIT_MS);
	cr_assert_eq(write(k.cmd, "x", 1), 1);
	kid_end(&k);
	tu_pty_close(&pty);
}

Test(daemon, broken_policy_refuses_with_detail)
{
	struct proto_open_reply rep;
	int s, pfd;

	tu_policy(&env, "permit bob_no_such_user_x pts/*\n");
	daemon_start();
	s = rc_connect(sock_path);
	cr_assert_eq(rc_ready(s, NULL), 0);
	cr_assert_eq(rc_open(s, "ttyS0", &rep, &pfd), 0);
	cr_assert_eq(rep.reason, PROTO_R_POLICY);
	cr_assert(strstr(rep.detail, ":1:") != NULL, "detail says where: %s", rep.detail);
	close(s);
}

/* ---- many clients ------------------------------------------------------ */

Test(daemon, sixty_four_concurrent_clients, .timeout = 240)
{
	static struct tu_pty ptys[MANY];
	static struct kid kids[MANY];
	pid_t engine;
	int base;

	for (int i = 0; i < MANY; i++)
		tu_pty_open(&ptys[i], TU_NOBODY);
	tu_policy(&env, "permit * pts/*\n");
	daemon_start();
	engine = engine_pid();
	base = engine_fds_settle(engine, -1);
	base = proc_fd_count(engine);
	cr_assert_gt(base, 0);
	for (int i = 0; i < MANY; i++)
		kid_start(&kids[i], TU_NOBODY, ptys[i].port);
	for (int i = 0; i < MANY; i++)
		cr_assert_eq(kid_read(&kids[i]), PROTO_R_OK, "client %d", i);
	/* All 64 hold their port at the same time. */
	for (int i = 0; i < MANY; i++)
		cr_assert_eq(lock_pid(ptys[i].port), kids[i].pid, "client %d's lock", i);
	for (int i = 0; i < MANY; i++)
		cr_assert(tu_pty_expect(&ptys[i], "ping", WAIT_MS), "client %d data", i);
	for (int i = 0; i < MANY; i++) {
		cr_assert_eq(write(ptys[i].master, "pong\n", 5), 5);
		cr_assert_eq(write(kids[i].cmd, "p", 1), 1);
		cr_assert_eq(kid_read(&kids[i]), 1, "client %d reads", i);
	}
	/* Half release, half just exit. */
	for (int i = 0; i < MANY; i++)
		cr_assert_eq(write(kids[i].cmd, i % 2 ? "x" : "r", 1), 1);
	for (int i = 0; i < MANY; i += 2)
		cr_assert_eq(kid_read(&kids[i]), 'R', "client %d released", i);
	for (int i = 0; i < MANY; i++)
		kid_end(&kids[i]);
	cr_assert(locks_gone_within(2000), "no lock file left");
	cr_assert_eq(engine_fds_settle(engine, base), base,
		     "the engine's fd count is back to %d", base);
	for (int i = 0; i < MANY; i++)
		tu_pty_close(&ptys[i]);
}

/* ---- hostile clients ---------------------------------------------------- */

/* A good client is served after each hostile one is dropped. */
static void assert_still_serving(void)
{
	struct proto_open_reply rep;
	int s = rc_connect(sock_path), pfd;

	cr_assert_geq(s, 0);
	cr_assert_eq(rc_ready(s, NULL), 0);
	cr_assert_eq(rc_open(s, "../x", &rep, &pfd), 0, "a good client is still served");
	cr_assert_eq(rep.reason, PROTO_R_NAME);
	close(s);
}

static int hostile_connect(void)
{
	int s = rc_connect(sock_path);

	cr_assert_geq(s, 0);
	cr_assert_eq(rc_ready(s, NULL), 0);
	return s;
}

Test(daemon, hostile_clients_are_dropped)
{
	char junk[300];
	struct tu_pty pty;
	int s;

	tu_pty_open(&pty, 0);
	tu_policy(&env, "permit * pts/*\n");
	daemon_start();

	/* Garbage. */
	s = hostile_connect();
	memset(junk, 0xa5, sizeof(junk));
	cr_assert_eq(send(s, junk, 40, 0), 40);
	cr_assert(rc_dropped(s), "garbage");
	close(s);
	assert_still_serving();

	/* A zero-length message. */
	s = hostile_connect();
	cr_assert_eq(send(s, junk, 0, 0), 0);
	cr_assert(rc_dropped(s), "zero-length message");
	close(s);
	assert_still_serving();

	/* Too long. */
	s = hostile_connect();
	cr_assert_eq(send(s, junk, sizeof(junk), 0), (ssize_t)sizeof(junk));
	cr_assert(rc_dropped(s), "oversized message");
	close(s);
	assert_still_serving();

	/* An fd flood: a valid request carrying many descriptors. */
	{
		struct proto_open req;
		int fds[200];
		union {
			char buf[CMSG_SPACE(sizeof(fds))];
			struct cmsghdr align;
		} ctl;
		struct iovec iov = { .iov_base = &req, .iov_len = sizeof(req) };
		struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1,
				      .msg_control = ctl.buf, .msg_controllen = sizeof(ctl.buf) };
		struct cmsghdr *cm;
		pid_t engine = engine_pid();
		int before = engine_fds_settle(engine, -1);

		before = proc_fd_count(engine);
		for (int i = 0; i < 200; i++)
			fds[i] = 0;
		memset(&req, 0, sizeof(req));
		proto_hdr_init(&req.hdr, PROTO_OPEN, 1);
		snprintf(req.port, sizeof(req.port), "%s", pty.port);
		memset(&ctl, 0, sizeof(ctl));
		cm = CMSG_FIRSTHDR(&msg);
		cr_assert_not_null(cm);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(fds));
		memcpy(CMSG_DATA(cm), fds, sizeof(fds));
		for (int round = 0; round < 20; round++) {
			s = hostile_connect();
			cr_assert_eq(sendmsg(s, &msg, 0), (ssize_t)sizeof(req));
			cr_assert(rc_dropped(s), "fd flood %d", round);
			close(s);
		}
		assert_still_serving();
		cr_assert_eq(engine_fds_settle(engine, before), before,
			     "no flooded fd stays in the engine");
	}

	/* A message from a forked child of the client. */
	{
		pid_t kid;

		s = hostile_connect();
		kid = fork();
		if (kid == 0)
			_exit(rc_send_open(s, pty.port, 3, 0) == 0 ? 0 : 1);
		cr_assert_eq(tu_wait(kid, WAIT_MS), 0);
		cr_assert(rc_dropped(s), "message from a forked child");
		close(s);
		cr_assert_eq(lock_count(), 0, "the child got nothing");
		assert_still_serving();
	}

	/* 1000 pipelined opens, never read. */
	{
		int sent = 0;

		s = hostile_connect();
		for (int i = 0; i < 1000; i++) {
			if (rc_send_open(s, pty.port, (uint32_t)i, MSG_DONTWAIT) < 0)
				break;
			sent++;
		}
		cr_assert_gt(sent, 1);
		cr_assert(rc_dropped(s), "pipelined opens");
		cr_assert(locks_gone_within(1000), "the granted port was released");
		close(s);
		assert_still_serving();
	}
	tu_pty_close(&pty);
}

/* ---- limits -------------------------------------------------------------- */

Test(daemon, connections_per_uid_are_limited)
{
	int st[2];
	pid_t kid;
	int res[2] = { 1, 1 };

	tu_policy(&env, "permit * pts/*\n");
	daemon_start();
	cr_assert_eq(pipe2(st, O_CLOEXEC), 0);
	kid = fork();
	if (kid == 0) {
		int last, ok = 0;

		drop_to(TU_NOBODY);
		for (int i = 0; i < DAEMON_MAX_PER_UID; i++) {
			int s = rc_connect(sock_path);

			ok += s >= 0 && rc_ready(s, NULL) == 0;
		}
		/* The next one, through the library: it passes the reason on. */
		{
			struct tb_options o = { .via = TB_VIA_DAEMON };
			struct tb_broker *b = NULL;

			setenv("TTYBROKER_SOCKET", sock_path, 1);
			last = tb_init(&o, &b);
		}
		res[0] = ok == DAEMON_MAX_PER_UID;
		res[1] = last;
		_exit(write(st[1], res, sizeof(res)) == sizeof(res) ? 0 : 1);
	}
	close(st[1]);
	cr_assert_eq(read(st[0], res, sizeof(res)), (ssize_t)sizeof(res));
	close(st[0]);
	cr_assert_eq(res[0], 1, "%d connections of one uid are served", DAEMON_MAX_PER_UID);
	cr_assert_eq(res[1], -EUSERS, "the next tb_init() is refused with the reason, not %d",
		     res[1]);
	cr_assert_str_eq(tb_strerror(-EUSERS),
			 "too many connections to the broker for this user");
	cr_assert_eq(tu_wait(kid, WAIT_MS), 0);
	/* Another uid is still served. */
	assert_still_serving();
}

/* 8 uids x 128 connections fill the daemon; the next uid is told so. */
Test(daemon, total_connections_are_limited, .timeout = 240)
{
	enum { NUIDS = DAEMON_MAX_CONN / DAEMON_MAX_PER_UID };
	pid_t kids[NUIDS];
	int done[2], hold[2], res[NUIDS], last;

	cr_assert_eq(DAEMON_MAX_CONN % DAEMON_MAX_PER_UID, 0);
	daemon_start();
	cr_assert_eq(pipe2(done, O_CLOEXEC), 0);
	cr_assert_eq(pipe2(hold, O_CLOEXEC), 0);
	for (int u = 0; u < NUIDS; u++) {
		kids[u] = fork();
		cr_assert_geq(kids[u], 0);
		if (kids[u] == 0) {
			int ok = 0;
			char c;

			close(hold[1]);
			drop_to(NOPW_UID + 1 + (uid_t)u);
			for (int i = 0; i < DAEMON_MAX_PER_UID; i++) {
				int s = rc_connect(sock_path);

				ok += s >= 0 && rc_ready(s, NULL) == 0;
			}
			if (write(done[1], &ok, sizeof(ok)) != sizeof(ok))
				_exit(1);
			if (read(hold[0], &c, 1) < 0) /* EOF: the test is done */
				_exit(1);
			_exit(0);
		}
		if ((size_t)nkid_pids < sizeof(kid_pids) / sizeof(kid_pids[0]))
			kid_pids[nkid_pids++] = kids[u];
	}
	close(done[1]);
	close(hold[0]);
	for (int u = 0; u < NUIDS; u++) {
		cr_assert_eq(read(done[0], &res[u], sizeof(res[u])), (ssize_t)sizeof(res[u]));
		cr_assert_eq(res[u], DAEMON_MAX_PER_UID, "a uid's connections are all served");
	}
	last = rc_connect(sock_path);
	cr_assert_geq(last, 0);
	cr_assert_eq(rc_ready(last, NULL), -ENFILE, "connection %d is refused",
		     DAEMON_MAX_CONN + 1);
	close(last);
	close(hold[1]);
	close(done[0]);
	for (int u = 0; u < NUIDS; u++)
		cr_assert_eq(tu_wait(kids[u], WAIT_MS), 0);
	/* Their connections closed: served again. */
	for (int i = 0; i < 100; i++) {
		int s = rc_connect(sock_path);
		int r = s >= 0 ? rc_ready(s, NULL) : s;

		if (s >= 0)
			close(s);
		if (r == 0)
			break;
		usleep(20000);
	}
	assert_still_serving();
}

Test(daemon, ports_per_client_are_limited)
{
	static struct tu_pty ptys[DAEMON_MAX_PORTS + 1];
	struct proto_open_reply rep;
	char want[PROTO_DETAIL_MAX];
	int s, pfd, fds[DAEMON_MAX_PORTS];

	for (int i = 0; i <= DAEMON_MAX_PORTS; i++)
		tu_pty_open(&ptys[i], 0);
	tu_policy(&env, "permit * pts/*\n");
	daemon_start();
	s = hostile_connect();
	for (int i = 0; i < DAEMON_MAX_PORTS; i++) {
		cr_assert_eq(rc_open(s, ptys[i].port, &rep, &fds[i]), 0);
		cr_assert_eq(rep.err, 0, "port %d", i);
	}
	cr_assert_eq(rc_open(s, ptys[DAEMON_MAX_PORTS].port, &rep, &pfd), 0);
	cr_assert_eq(rep.err, -EMFILE);
	cr_assert_eq(rep.reason, PROTO_R_BROKER);
	snprintf(want, sizeof(want), "too many ports open by this client (limit %d)",
		 DAEMON_MAX_PORTS);
	cr_assert_str_eq(rep.detail, want);
	for (int i = 0; i < DAEMON_MAX_PORTS; i++)
		close(fds[i]);
	close(s);
	cr_assert(locks_gone_within(1000));
	for (int i = 0; i <= DAEMON_MAX_PORTS; i++)
		tu_pty_close(&ptys[i]);
}

/* ---- the daemon's processes -------------------------------------------- */

static unsigned long long status_hex(pid_t pid, const char *key)
{
	char v[64] = "";

	cr_assert(tu_proc_status(pid, key, v, sizeof(v)), "%s of %d", key, (int)pid);
	return strtoull(v, NULL, 16);
}

static long status_long(pid_t pid, const char *key)
{
	char v[64] = "";

	cr_assert(tu_proc_status(pid, key, v, sizeof(v)), "%s of %d", key, (int)pid);
	return strtol(v, NULL, 10);
}

Test(daemon, confinement_from_proc)
{
	/* DAC_OVERRIDE, FOWNER, SYS_TTY_CONFIG (revocation's vhangup) */
	unsigned long long kept = (1ULL << 1) | (1ULL << 3) | (1ULL << 26);
	pid_t engine;
	char v[64];

	tu_policy(&env, "permit * pts/*\n");
	daemon_start();
	engine = engine_pid();
	cr_assert_neq(engine, daemon_pid, "the engine is a process of its own");
	cr_assert(tu_proc_status(engine, "Uid", v, sizeof(v)));
	cr_assert(strspn(v, "0 \t") == strlen(v), "engine uids all 0: %s", v);
	cr_assert_eq(status_hex(engine, "CapEff"), kept);
	cr_assert_eq(status_hex(engine, "CapPrm"), kept);
	cr_assert_eq(status_hex(engine, "CapBnd"), kept);
	cr_assert_eq(status_hex(engine, "CapInh"), 0);
	cr_assert_eq(status_hex(engine, "CapAmb"), 0);
	cr_assert_eq(status_long(engine, "NoNewPrivs"), 1);
	/* An unfiltered build (make check-sanitize) has no filter to show. */
	cr_assert_eq(status_long(engine, "Seccomp"), FILTER_LOADED ? 2 : 0);
	/* The parent: uid 0, no capability at all, no_new_privs.  It drops
	 * after the fork, so on a busy machine the engine may answer first:
	 * wait (bounded) for no_new_privs, its last step. */
	for (int i = 0; i < WAIT_MS / 10 && status_long(daemon_pid, "NoNewPrivs") != 1; i++)
		usleep(10000);
	cr_assert_eq(status_hex(daemon_pid, "CapEff"), 0);
	cr_assert_eq(status_hex(daemon_pid, "CapPrm"), 0);
	cr_assert_eq(status_hex(daemon_pid, "CapBnd"), 0);
	cr_assert_eq(status_long(daemon_pid, "NoNewPrivs"), 1);
	{
		char lim[64];
		char path[64];
		FILE *f;
		char line[256];
		unsigned long want = DAEMON_NOFILE(DAEMON_MAX_CONN, DAEMON_MAX_PORTS);
		bool seen = false;

		snprintf(path, sizeof(path), "/proc/%d/limits", (int)engine);
		f = fopen(path, "re");
		cr_assert_not_null(f);
		snprintf(lim, sizeof(lim), "%lu", want);
		while (fgets(line, sizeof(line), f))
			if (!strncmp(line, "Max open files", 14))
				seen = strstr(line, lim) != NULL;
		fclose(f);
		cr_assert(seen, "engine RLIMIT_NOFILE is %lu", want);
	}
}

/* Each process ends with the other: kill the parent, the engine goes. */
Test(daemon, engine_ends_with_its_parent)
{
	struct tu_pty pty;
	struct kid k;
	pid_t engine;

	tu_pty_open(&pty, TU_NOBODY);
	tu_policy(&env, "permit * pts/*\n");
	daemon_start();
	engine = engine_pid();
	kid_start(&k, TU_NOBODY, pty.port);
	cr_assert_eq(kid_read(&k), PROTO_R_OK);
	kill(daemon_pid, SIGKILL);
	tu_wait(daemon_pid, WAIT_MS);
	daemon_pid = -1;
	cr_assert(locks_gone_within(2000), "the engine released its clients' ports");
	cr_assert_eq(tu_wait(engine, WAIT_MS), 0, "the engine exited cleanly");
	cr_assert_eq(write(k.cmd, "x", 1), 1);
	kid_end(&k);
	tu_pty_close(&pty);
}

static int log_count(const char *a, const char *b);

/* The parent exits when its engine dies, and says how the engine ended. */
Test(daemon, parent_ends_with_its_engine)
{
	pid_t engine;

	daemon_start();
	engine = engine_pid();
	kill(engine, SIGKILL);
	cr_assert_eq(tu_wait(daemon_pid, WAIT_MS), 71, "the parent exits 71");
	daemon_pid = -1;
	cr_expect_eq(log_count("the engine process ended (signal 9): exiting", NULL), 1,
		     "the parent names the signal (see %s)", log_path);
	tu_wait(engine, WAIT_MS);
	cr_assert_not(tu_exists(sock_path), "the socket file is removed");
}

Test(daemon, sigterm_releases_everything_and_removes_the_socket)
{
	struct tu_pty pty;
	struct kid k;

	tu_pty_open(&pty, TU_NOBODY);
	tu_policy(&env, "permit * pts/*\n");
	daemon_start();
	kid_start(&k, TU_NOBODY, pty.port);
	cr_assert_eq(kid_read(&k), PROTO_R_OK);
	cr_assert_gt(lock_count(), 0);
	cr_assert(tu_exists(sock_path));
	kill(daemon_pid, SIGTERM);
	cr_assert_eq(tu_wait(daemon_pid, WAIT_MS), 0, "exit status 0 after SIGTERM");
	daemon_pid = -1;
	cr_assert_eq(lock_count(), 0, "the engine released the client's port first");
	cr_assert_not(tu_exists(sock_path));
	kid_end(&k);
	tu_pty_close(&pty);
}

/* SIGHUP (reload's signal) neither ends the daemon nor drops a client. */
Test(daemon, sighup_keeps_serving)
{
	struct tu_pty pty;
	struct kid k;

	tu_pty_open(&pty, TU_NOBODY);
	tu_policy(&env, "permit * pts/*\n");
	daemon_start();
	kid_start(&k, TU_NOBODY, pty.port);
	cr_assert_eq(kid_read(&k), PROTO_R_OK);
	kill(daemon_pid, SIGHUP);
	usleep(200000);
	cr_assert_eq(waitpid(daemon_pid, NULL, WNOHANG), 0, "the daemon is still there");
	cr_assert_eq(lock_pid(pty.port), k.pid, "the client still holds its port");
	assert_still_serving();
	cr_assert_eq(write(k.cmd, "r", 1), 1);
	cr_assert_eq(kid_read(&k), 'R');
	kid_end(&k);
	tu_pty_close(&pty);
}

/* ---- the socket path ---------------------------------------------------- */

static int run_daemon_status(const char *sock)
{
	pid_t pid = fork();

	cr_assert_geq(pid, 0);
	if (pid == 0) {
		int null = open("/dev/null", O_WRONLY);

		dup2(null, 2);
		execl(daemon_bin, "ttybrokerd", "-f", "-p", env.policy, "-l", env.lockdir,
		      "-s", sock, (char *)NULL);
		_exit(127);
	}
	return tu_wait(pid, WAIT_MS);
}

Test(daemon, socket_path_is_checked)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct stat st;
	int fd;

	/* A stale socket is replaced. */
	fd = socket(AF_UNIX, SOCK_SEQPACKET, 0);
	cr_assert_lt(strlen(sock_path), sizeof(sa.sun_path));
	memcpy(sa.sun_path, sock_path, strlen(sock_path) + 1);
	cr_assert_eq(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	close(fd);
	daemon_start();
	cr_assert_eq(stat(sock_path, &st), 0);
	cr_assert_eq(st.st_mode & 07777, 0666, "mode 0666: the policy decides");
	/* A live daemon's socket is not taken over. */
	cr_assert_eq(run_daemon_status(sock_path), 71, "a second daemon refuses");
	assert_still_serving();
	daemon_stop_now();
	/* A symlink or a file is never replaced. */
	cr_assert_eq(symlink("/nonexistent", sock_path), 0);
	cr_assert_eq(run_daemon_status(sock_path), 71);
	cr_assert_eq(lstat(sock_path, &st), 0);
	cr_assert(S_ISLNK(st.st_mode), "the symlink is still there");
	unlink(sock_path);
}

Test(daemon, needs_root)
{
	pid_t pid = fork();

	cr_assert_geq(pid, 0);
	if (pid == 0) {
		int null = open("/dev/null", O_WRONLY);

		dup2(null, 2);
		drop_to(TU_NOBODY);
		execl(daemon_bin, "ttybrokerd", "-f", "-s", sock_path, (char *)NULL);
		_exit(127);
	}
	cr_assert_eq(tu_wait(pid, WAIT_MS), 71);
	cr_assert_not(tu_exists(sock_path));
}

/* ---- socket activation ---------------------------------------------------- */

Test(daemon, socket_activation)
{
	char other[200];
	struct proto_open_reply rep;
	struct tu_pty pty;
	pid_t pid;
	int s = -1, pfd;

	cr_assert_eq(access("/usr/bin/systemd-socket-activate", X_OK), 0);
	tu_pty_open(&pty, 0);
	tu_policy(&env, "permit * pts/*\n");
	snprintf(other, sizeof(other), "%s/not-used", env.dir);
	pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		int log = open(log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);

		dup2(log, 2);
		execl("/usr/bin/systemd-socket-activate", "systemd-socket-activate",
		      "--seqpacket", "-l", sock_path, daemon_bin, "-f", "-p", env.policy,
		      "-l", env.lockdir, "-s", other, (char *)NULL);
		_exit(127);
	}
	daemon_pid = pid;
	for (int i = 0; i < 500 && s < 0; i++) {
		s = rc_connect(sock_path);
		if (s < 0)
			usleep(10000);
	}
	cr_assert_geq(s, 0, "systemd-socket-activate listens");
	cr_assert_eq(rc_ready(s, NULL), 0, "served through the passed socket");
	cr_assert_eq(rc_open(s, pty.port, &rep, &pfd), 0);
	cr_assert_eq(rep.err, 0);
	cr_assert_geq(pfd, 0);
	cr_assert_eq(write(pfd, "act", 3), 3);
	cr_assert(tu_pty_expect(&pty, "act", WAIT_MS));
	close(pfd);
	close(s);
	cr_assert_not(tu_exists(other), "no socket of its own");
	cr_assert(locks_gone_within(1000));
	daemon_stop_now();
	tu_pty_close(&pty);
}

/* ---- the LISTEN_* parser (pure) -------------------------------------------- */

/* Strings, not pointers: parameters are copied to the test's process. */
struct listen_case {
	char pid[24];  /* "-" for unset */
	char fds[24];  /* "-" for unset */
	int want;
};

ParameterizedTestParameters(daemon, listen_fds)
{
	static struct listen_case cases[] = {
		{ "-", "-", 0 },
		{ "-", "1", 0 },
		{ "100", "1", 1 },
		{ "100", "0", 0 },
		{ "101", "1", 0 },     /* for another process */
		{ "100", "2", -E2BIG },
		{ "100", "-", -EINVAL },
		{ "100", "", -EINVAL },
		{ "100", "01", -EINVAL },
		{ "100", "+1", -EINVAL },
		{ "100", " 1", -EINVAL },
		{ "100", "1 ", -EINVAL },
		{ "100", "-1", -EINVAL },
		{ "100", "99999999999999999999", -EINVAL },
		{ "0100", "1", -EINVAL },
		{ "0", "1", -EINVAL },
		{ "", "1", -EINVAL },
		{ "abc", "1", -EINVAL },
		{ "100x", "1", -EINVAL },
		{ "4294967396", "1", -EINVAL }, /* 100 + 2^32: no wrap-around */
	};

	return cr_make_param_array(struct listen_case, cases, sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct listen_case *c, daemon, listen_fds)
{
	const char *pid = strcmp(c->pid, "-") ? c->pid : NULL;
	const char *fds = strcmp(c->fds, "-") ? c->fds : NULL;

	cr_assert_eq(daemon_listen_fds(pid, fds, 100), c->want,
		     "LISTEN_PID=%s LISTEN_FDS=%s", c->pid, c->fds);
}

/* ---- who asked: user name and comm from the parent ------------------- */

/* How many lines of the daemon's log contain A and B (B may be NULL). */
static int log_count(const char *a, const char *b)
{
	char line[2048];
	FILE *f = fopen(log_path, "re");
	int n = 0;

	cr_assert_not_null(f);
	while (fgets(line, sizeof(line), f))
		n += strstr(line, a) && (!b || strstr(line, b));
	fclose(f);
	return n;
}

/* How many lines of the daemon's log begin with PREFIX. */
static int log_count_prefix(const char *prefix)
{
	char line[2048];
	FILE *f = fopen(log_path, "re");
	int n = 0;

	cr_assert_not_null(f);
	while (fgets(line, sizeof(line), f))
		n += strncmp(line, prefix, strlen(prefix)) == 0;
	fclose(f);
	return n;
}

/*
 * A client child dropped to UID with comm COMM: PROTO_READY, open PORT
 * (permitted), a malformed name (refused), release, and a round trip so
 * the release is served.  Exits 0 when all went as said.
 */
static _Noreturn void named_client(uid_t uid, const char *comm, const char *port)
{
	struct proto_open_reply rep;
	uint32_t handle;
	int s, pfd = -1;

	if (prctl(PR_SET_NAME, comm, 0, 0, 0) < 0)
		_exit(119);
	drop_to(uid);
	s = rc_connect(sock_path);
	if (s < 0 || rc_ready(s, NULL) != 0)
		_exit(121);
	if (rc_open(s, port, &rep, &pfd) < 0 || rep.reason != PROTO_R_OK)
		_exit(122);
	handle = rep.handle;
	close(pfd);
	if (rc_open(s, "../x", &rep, &pfd) < 0 || rep.reason != PROTO_R_NAME)
		_exit(123);
	rc_release(s, handle);
	if (rc_open(s, "../x", &rep, &pfd) < 0)
		_exit(124);
	_exit(0);
}

/* Run named_client() as UID with COMM on PTY; its pid, once it is done. */
static pid_t run_named_client(uid_t uid, const char *comm, const struct tu_pty *pty)
{
	pid_t pid = fork();

	cr_assert_geq(pid, 0);
	if (pid == 0)
		named_client(uid, comm, pty->port);
	cr_assert_eq(tu_wait(pid, WAIT_MS), 0, "the named client's run");
	return pid;
}

/* Arrays, not pointers: Criterion copies parameters into another process. */
struct ident_case {
	uid_t uid;
	char comm[16];
	char user[32];  /* what the audit line shows after user= */
};

ParameterizedTestParameters(daemon, audit_names_the_client)
{
	static struct ident_case cases[] = {
		{ TU_NOBODY, "tbnamed", "nobody" },
		{ NOPW_UID, "tbnopw", "?" }, /* as the fork way prints it */
	};

	return cr_make_param_array(struct ident_case, cases,
				   sizeof(cases) / sizeof(cases[0]));
}

/* Permit, refuse and release lines name the client's user and program. */
ParameterizedTest(struct ident_case *c, daemon, audit_names_the_client)
{
	/* named_client(): one permit, two refusals, one release. */
	static const char *const verdicts[] = { "verdict=permit ", "verdict=refuse ",
						"verdict=release " };
	struct tu_pty pty;
	char who[160], pidstr[32];
	pid_t pid;

	tu_pty_open(&pty, c->uid);
	tu_policy(&env, "permit * pts/*\n");
	daemon_start();
	pid = run_named_client(c->uid, c->comm, &pty);
	snprintf(who, sizeof(who), "ttybrokerd: uid=%u user=%s pid=%d comm=%s port=",
		 (unsigned int)c->uid, c->user, (int)pid, c->comm);
	snprintf(pidstr, sizeof(pidstr), " pid=%d ", (int)pid);
	for (size_t i = 0; i < 3; i++)
		cr_assert_eq(log_count(who, verdicts[i]), i == 1 ? 2 : 1,
			     "'%s' lines starting '%s'", verdicts[i], who);
	cr_assert_eq(log_count(pidstr, "verdict="), 4, "no other audit line of the client");
	tu_pty_close(&pty);
}

/* A comm with a newline and '=' cannot forge an audit line: it is escaped. */
Test(daemon, hostile_comm_is_escaped)
{
	struct tu_pty pty;
	char want[160];
	pid_t pid;

	tu_pty_open(&pty, TU_NOBODY);
	tu_policy(&env, "permit * pts/*\n");
	daemon_start();
	pid = run_named_client(TU_NOBODY, "x\nuid=0 user=r", &pty);
	snprintf(want, sizeof(want),
		 "uid=65534 user=nobody pid=%d comm=x\\x0auid\\x3d0\\x20user\\x3dr port=",
		 (int)pid);
	cr_assert_eq(log_count(want, NULL), 4, "the escaped comm on every line of "
		     "the client");
	cr_assert_eq(log_count_prefix("uid=0 "), 0, "a forged line");
}

/* Stop the daemon's parent, so that it cannot answer the engine. */
static void parent_stop(void)
{
	char path[64], state = 0;
	FILE *f;

	cr_assert_eq(kill(daemon_pid, SIGSTOP), 0);
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)daemon_pid);
	for (int i = 0; i < WAIT_MS / 10 && state != 'T'; i++) {
		f = fopen(path, "re");
		cr_assert_not_null(f);
		if (fscanf(f, "%*d (%*[^)]) %c", &state) != 1)
			state = 0;
		fclose(f);
		if (state != 'T')
			usleep(10000);
	}
	cr_assert_eq(state, 'T', "the parent stopped");
}

/*
 * A request sent before PROTO_READY (while the engine waits for the
 * client's names) is a protocol violation: the client is dropped, and
 * nothing is audited for it.
 */
Test(daemon, request_before_ready_is_dropped)
{
	struct tu_pty pty;
	int s;

	tu_pty_open(&pty, 0);
	tu_policy(&env, "permit * pts/*\n");
	daemon_start();
	parent_stop(); /* no names come: READY is held for DAEMON_IDENT_MS */
	s = rc_connect(sock_path);
	cr_assert_geq(s, 0);
	cr_assert_eq(rc_send_open(s, pty.port, 1, 0), 0);
	cr_assert(rc_dropped(s), "a request before PROTO_READY");
	close(s);
	kill(daemon_pid, SIGCONT);
	cr_assert_eq(lock_count(), 0, "nothing was granted");
	cr_assert_eq(log_count("message before PROTO_READY", NULL), 1);
	assert_still_serving();
	tu_pty_close(&pty);
}

/*
 * Without an answer from the parent, PROTO_READY goes out after
 * DAEMON_IDENT_MS and the audit shows user=? comm=?; the late answer
 * still names the client on its later lines.
 */
Test(daemon, names_late_when_the_parent_is_slow)
{
	struct proto_open_reply rep;
	char who[160];
	int s, pfd;

	tu_policy(&env, "permit * pts/*\n");
	daemon_start();
	parent_stop();
	s = rc_connect(sock_path);
	cr_assert_geq(s, 0);
	cr_assert_eq(rc_ready(s, NULL), 0, "PROTO_READY without the parent's answer");
	cr_assert_eq(rc_open(s, "../a", &rep, &pfd), 0);
	snprintf(who, sizeof(who), "uid=0 user=? pid=%d comm=? port=../a ", (int)getpid());
	cr_assert_eq(log_count(who, NULL), 1, "served unnamed (see %s)", log_path);
	cr_assert_eq(log_count("no names from the parent within", NULL), 1);
	cr_assert_eq(kill(daemon_pid, SIGCONT), 0);
	/* The parent answers the queued request; then a later line has names. */
	for (int i = 0; i < WAIT_MS / 10; i++) {
		char comm[16] = "";

		prctl(PR_GET_NAME, comm, 0, 0, 0);
		cr_assert_eq(rc_open(s, "../b", &rep, &pfd), 0);
		snprintf(who, sizeof(who), "uid=0 user=root pid=%d comm=%s port=../b ",
			 (int)getpid(), comm);
		if (log_count(who, NULL) > 0)
			break;
		usleep(10000);
	}
	cr_assert_geq(log_count(who, NULL), 1, "named once the parent answered (see %s)",
		      log_path);
	close(s);
}

/* ---- reload and revocation ----------------------------------------------- */

/* Wait until the log has at least WANT lines with NEEDLE. */
static bool log_wait(const char *needle, int want)
{
	for (int i = 0; i < WAIT_MS / 10; i++) {
		if (log_count(needle, NULL) >= want)
			return true;
		usleep(10000);
	}
	return false;
}

/* SIGHUP the daemon and wait until the engine applied the policy. */
static void reload_applied(void)
{
	int n = log_count("applied;", NULL);

	kill(daemon_pid, SIGHUP);
	cr_assert(log_wait("applied;", n + 1), "the engine applied the reload (see %s)",
		  log_path);
}

/* An open by a new nobody client: its reason. */
static int open_reason(const char *port)
{
	struct kid k;
	int r;

	kid_start(&k, TU_NOBODY, port);
	r = kid_read(&k);
	kid_end(&k);
	return r;
}

/*
 * A reload that no longer permits the holder revokes its port: the
 * holder's fd reads EOF and fails writes, the locks go, the audit line
 * names the rule, and a later open is denied.  The engine can do it again
 * (it gave the terminal up after each vhangup).
 */
Test(daemon, reload_revokes)
{
	struct tu_pty a, b;
	struct kid ka, kb;
	char want[300];

	tu_pty_open(&a, TU_NOBODY);
	tu_pty_open(&b, TU_NOBODY);
	tu_policy(&env, "permit * pts/*\n");
	daemon_start();
	kid_start(&ka, TU_NOBODY, a.port);
	cr_assert_eq(kid_read(&ka), PROTO_R_OK);
	kid_start(&kb, TU_NOBODY, b.port);
	cr_assert_eq(kid_read(&kb), PROTO_R_OK);
	tu_policy(&env, "# revoke %s\npermit * pts/*\ndeny * %s\n", a.port, a.port);
	reload_applied();
	cr_assert_eq(write(ka.cmd, "e", 1), 1);
	cr_assert_eq(kid_read(&ka), 1, "the holder's fd reads EOF and writes fail with EIO");
	cr_assert_lt(lock_pid(a.port), 0, "the revoked port's LCK.. file is gone");
	cr_assert_eq(lock_pid(b.port), kb.pid, "a port still permitted stays held");
	snprintf(want, sizeof(want), "port=%s verdict=revoke reason=denied rule=%s:3",
		 a.port, env.policy);
	cr_assert(log_wait(want, 1), "audit line: %s", want);
	cr_assert_eq(open_reason(a.port), PROTO_R_DENIED, "a later open is denied");
	/* Again, on the other port: the engine is free of the first terminal. */
	tu_policy(&env, "deny * pts/*\n");
	reload_applied();
	cr_assert_eq(write(kb.cmd, "e", 1), 1);
	cr_assert_eq(kid_read(&kb), 1, "the second revocation works too");
	cr_assert(locks_gone_within(1000));
	assert_still_serving();
	kid_end(&ka);
	kid_end(&kb);
	tu_pty_close(&a);
	tu_pty_close(&b);
}

/* A reload that permits more takes effect; connected clients stay. */
Test(daemon, reload_permits_more_without_dropping_clients)
{
	struct tu_pty a, b;
	struct kid ka;

	tu_pty_open(&a, TU_NOBODY);
	tu_pty_open(&b, TU_NOBODY);
	tu_policy(&env, "permit * %s\n", a.port);
	daemon_start();
	kid_start(&ka, TU_NOBODY, a.port);
	cr_assert_eq(kid_read(&ka), PROTO_R_OK);
	cr_assert_eq(open_reason(b.port), PROTO_R_DENIED);
	tu_policy(&env, "permit * pts/*\n");
	reload_applied();
	cr_assert_eq(open_reason(b.port), PROTO_R_OK, "the new policy permits it");
	cr_assert_eq(lock_pid(a.port), ka.pid, "the first client still holds its port");
	cr_assert(tu_pty_expect(&a, "ping", WAIT_MS));
	cr_assert_eq(write(a.master, "pong\n", 5), 5);
	cr_assert_eq(write(ka.cmd, "p", 1), 1);
	cr_assert_eq(kid_read(&ka), 1, "its fd still works");
	cr_assert_eq(write(ka.cmd, "r", 1), 1);
	cr_assert_eq(kid_read(&ka), 'R', "and its connection too");
	kid_end(&ka);
	tu_pty_close(&a);
	tu_pty_close(&b);
}

/* A policy that fails the check at reload is not applied; the log says where. */
Test(daemon, reload_of_a_broken_policy_keeps_the_old_one)
{
	struct tu_pty a, b;
	struct kid ka;
	char want[300];

	tu_pty_open(&a, TU_NOBODY);
	tu_pty_open(&b, TU_NOBODY);
	tu_policy(&env, "permit * pts/*\n");
	daemon_start();
	kid_start(&ka, TU_NOBODY, a.port);
	cr_assert_eq(kid_read(&ka), PROTO_R_OK);
	tu_policy(&env, "deny * pts/*\npermit no_such_user_zz9 pts/*\n");
	kill(daemon_pid, SIGHUP);
	snprintf(want, sizeof(want), "%s:2: unknown user", env.policy);
	cr_assert(log_wait(want, 1), "the log names FILE:LINE: %s", want);
	cr_assert(log_wait("keeping the previous one", 1));
	cr_assert_eq(log_count("applied;", NULL), 0, "nothing was sent to the engine");
	cr_assert_eq(lock_pid(a.port), ka.pid, "nothing revoked");
	cr_assert_eq(open_reason(b.port), PROTO_R_OK, "the old policy still decides");
	/* An unsafe file is refused the same way. */
	cr_assert_eq(chmod(env.policy, 0666), 0);
	tu_policy(&env, "deny * pts/*\n");
	cr_assert_eq(chmod(env.policy, 0666), 0);
	kill(daemon_pid, SIGHUP);
	cr_assert(log_wait("writable by group or others", 1));
	cr_assert(log_wait("keeping the previous one", 2));
	cr_assert_eq(lock_pid(a.port), ka.pid, "still nothing revoked");
	kid_end(&ka);
	tu_pty_close(&a);
	tu_pty_close(&b);
}

/* Ask the daemon to revoke PORT as UID; the reply in *REP, or -errno. */
static int rc_revoke(uid_t uid, const char *port, struct proto_revoke_reply *rep)
{
	int sv[2], st;
	pid_t pid;

	cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		char buf[PROTO_MSG_MAX];
		struct proto_revoke req;
		union proto_msg m;
		ssize_t n;
		int s;

		close(sv[0]);
		if (uid)
			drop_to(uid);
		s = rc_connect(sock_path);
		if (s < 0 || rc_ready(s, NULL) != 0)
			_exit(1);
		memset(&req, 0, sizeof(req));
		proto_hdr_init(&req.hdr, PROTO_REVOKE, 3);
		snprintf(req.port, sizeof(req.port), "%s", port);
		if (send(s, &req, sizeof(req), MSG_NOSIGNAL) != (ssize_t)sizeof(req))
			_exit(2);
		n = rc_recv(s, buf, sizeof(buf), NULL);
		if (n <= 0 || proto_decode(buf, (size_t)n, PROTO_FROM_BACKEND, false, &m) < 0 ||
		    m.hdr.type != PROTO_REVOKE_REPLY)
			_exit(3);
		/* The connection stays: another request is served. */
		if (rc_open(s, "../x", &(struct proto_open_reply){ 0 }, &(int){ -1 }) < 0)
			_exit(4);
		if (write(sv[1], &m.revoke_reply, sizeof(m.revoke_reply)) !=
		    (ssize_t)sizeof(m.revoke_reply))
			_exit(5);
		_exit(0);
	}
	close(sv[1]);
	st = read(sv[0], rep, sizeof(*rep)) == (ssize_t)sizeof(*rep) ? 0 : -EIO;
	close(sv[0]);
	cr_assert_eq(tu_wait(pid, WAIT_MS), 0, "the asker's status");
	return st;
}

/* PROTO_REVOKE: root's revokes; anyone else is refused and stays connected. */
Test(daemon, revoke_request_root_only)
{
	struct proto_revoke_reply rep;
	struct tu_pty a;
	struct kid ka;
	char want[128];

	tu_pty_open(&a, TU_NOBODY);
	tu_policy(&env, "permit * pts/*\n");
	daemon_start();
	kid_start(&ka, TU_NOBODY, a.port);
	cr_assert_eq(kid_read(&ka), PROTO_R_OK);
	cr_assert_eq(rc_revoke(TU_NOBODY, a.port, &rep), 0);
	cr_assert_eq(rep.result, PROTO_REVOKE_REFUSED);
	cr_assert_eq(rep.err, -EPERM);
	cr_assert_eq(lock_pid(a.port), ka.pid, "nobody cannot revoke");
	cr_assert_eq(rc_revoke(0, a.port, &rep), 0);
	cr_assert_eq(rep.result, PROTO_REVOKED, "%s", rep.detail);
	cr_assert_eq(rep.holder_pid, ka.pid);
	cr_assert_str_eq(rep.kname, a.port);
	cr_assert_eq(write(ka.cmd, "e", 1), 1);
	cr_assert_eq(kid_read(&ka), 1, "revoked: EOF and EIO");
	cr_assert_lt(lock_pid(a.port), 0);
	snprintf(want, sizeof(want), "port=%s verdict=revoke", a.port);
	cr_assert(log_wait(want, 1));
	cr_assert(log_wait("why=\"revoked by uid=0 pid=", 1), "the audit names who revoked");
	cr_assert_eq(rc_revoke(0, a.port, &rep), 0);
	cr_assert_eq(rep.result, PROTO_NOT_HELD);
	cr_assert_eq(rc_revoke(0, "ttyNOSUCH9", &rep), 0);
	cr_assert_eq(rep.result, PROTO_NO_PORT);
	kid_end(&ka);
	tu_pty_close(&a);
}

/*
 * A holder that made the port its controlling terminal cannot be hung up
 * without CAP_SYS_ADMIN: the revocation is refused and logged, and the
 * port stays held (never an unlocked port with a working fd).
 */
Test(daemon, revoke_of_a_controlling_terminal_is_refused)
{
	struct tu_pty a;
	struct kid ka;

	tu_pty_open(&a, TU_NOBODY);
	tu_policy(&env, "permit * pts/*\n");
	daemon_start();
	kid_start(&ka, TU_NOBODY, a.port);
	cr_assert_eq(kid_read(&ka), PROTO_R_OK);
	cr_assert_eq(write(ka.cmd, "t", 1), 1);
	cr_assert_eq(kid_read(&ka), 1, "the client made it its controlling terminal");
	tu_policy(&env, "deny * pts/*\n");
	reload_applied();
	cr_assert(log_wait("verdict=revoke-failed", 1));
	cr_assert(log_wait("controlling terminal", 1));
	cr_assert_eq(lock_pid(a.port), ka.pid, "still held, locks and all");
	assert_still_serving();
	kid_end(&ka);
	tu_pty_close(&a);
}

/* `ttybroker revoke PORT` run as UID against our daemon: exit status, stderr in ERR. */
static int cli_revoke_as(uid_t uid, const char *port, char *err, size_t len)
{
	int pp[2], st;
	size_t got = 0;
	ssize_t n;
	pid_t pid;

	cr_assert_eq(pipe2(pp, O_CLOEXEC), 0);
	pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		dup2(pp[1], 1);
		dup2(pp[1], 2);
		if (uid)
			drop_to(uid);
		setenv("TTYBROKER_SOCKET", sock_path, 1);
		execl(env.bin, "ttybroker", "revoke", port, (char *)NULL);
		_exit(127);
	}
	close(pp[1]);
	while (got + 1 < len && (n = read(pp[0], err + got, len - 1 - got)) > 0)
		got += (size_t)n;
	err[got] = '\0';
	close(pp[0]);
	st = tu_wait(pid, WAIT_MS);
	return st;
}

/* The command: root revokes (exit 0); nobody is refused (77); exit codes. */
Test(daemon, revoke_command)
{
	struct tu_pty a;
	struct kid ka;
	char out[512];

	tu_pty_open(&a, TU_NOBODY);
	tu_policy(&env, "permit * pts/*\n");
	daemon_start();
	kid_start(&ka, TU_NOBODY, a.port);
	cr_assert_eq(kid_read(&ka), PROTO_R_OK);
	cr_assert_eq(cli_revoke_as(TU_NOBODY, a.port, out, sizeof(out)), 77, "%s", out);
	cr_assert(strstr(out, "only root") != NULL, "%s", out);
	cr_assert_eq(lock_pid(a.port), ka.pid, "nobody revoked nothing");
	cr_assert_eq(cli_revoke_as(0, a.path, out, sizeof(out)), 0, "/dev/ form: %s", out);
	cr_assert(strstr(out, "revoked from pid") != NULL, "%s", out);
	cr_assert_eq(write(ka.cmd, "e", 1), 1);
	cr_assert_eq(kid_read(&ka), 1, "the holder reads EOF, writes fail");
	cr_assert_lt(lock_pid(a.port), 0);
	cr_assert_eq(cli_revoke_as(0, a.port, out, sizeof(out)), 66, "not held: %s", out);
	cr_assert_eq(cli_revoke_as(0, "ttyNOSUCH9", out, sizeof(out)), 69, "%s", out);
	cr_assert_eq(cli_revoke_as(0, "../x", out, sizeof(out)), 65, "%s", out);
	kid_end(&ka);
	daemon_stop_now();
	cr_assert_eq(cli_revoke_as(0, a.port, out, sizeof(out)), 71, "no daemon: %s", out);
	tu_pty_close(&a);
}

/* ---- ttybroker list through the daemon (branch list9) ------------------ */

/* `ttybroker ARGS...` as UID against our daemon; stdout in OUT. */
static int list_cli(uid_t uid, const char *args[], char *out, size_t len, char *err,
		    size_t errlen)
{
	char envsock[200], *argv[12], *envp[] = { envsock, "PATH=/usr/bin:/bin", NULL };
	size_t n = 0;

	snprintf(envsock, sizeof(envsock), "TTYBROKER_SOCKET=%s", sock_path);
	argv[n++] = env.bin;
	for (size_t i = 0; args[i] && n < 11; i++)
		argv[n++] = (char *)args[i];
	argv[n] = NULL;
	return tu_run_as(uid, argv, envp, NULL, out, len, err, errlen, WAIT_MS * 2);
}

/*
 * `ttybroker list` as nobody through the daemon: the caller's ptys with the
 * daemon's verdicts (permit rule, deny rule), a port held by another
 * client of the daemon named by that client's pid, a free one; --json is
 * one valid object per line with the documented fields; the table names
 * the same.  Another user's pty is not listed.
 */
Test(daemon, list_cli)
{
	struct tu_pty held, free_pty, denied, other;
	char out[16384], err[4096], sum[1024], want[1024], kidpid[16];
	const char *json[] = { "list", "--json", "--via", "daemon", NULL };
	const char *table[] = { "list", NULL };
	char *ports[5];
	struct kid k;
	int st;

	tu_pty_open(&held, TU_NOBODY);
	tu_pty_open(&free_pty, TU_NOBODY);
	tu_pty_open(&denied, TU_NOBODY);
	tu_pty_open(&other, 0);
	tu_policy(&env, "permit nobody %s %s %s\ndeny nobody %s\n", held.port, free_pty.port,
		  other.port, denied.port);
	daemon_start();
	kid_start(&k, TU_NOBODY, held.port);
	cr_assert_eq(kid_read(&k), PROTO_R_OK);

	st = list_cli(TU_NOBODY, json, out, sizeof(out), err, sizeof(err));
	cr_assert_eq(st, 0, "list --json exits %d: %s", st, err);
	ports[0] = held.port;
	ports[1] = free_pty.port;
	ports[2] = denied.port;
	ports[3] = other.port;
	ports[4] = NULL;
	cr_assert_eq(tu_list_json(out, ports, sum, sizeof(sum)), 0, "not the schema:\n%s", out);
	snprintf(want, sizeof(want), "%s permit 1 lockfile %d\n%s permit 1 free None\n"
		 "%s deny 2 free None", held.port, (int)k.pid, free_pty.port, denied.port);
	cr_assert_str_eq(sum, want, "got:\n%s\nfrom:\n%s", sum, out);

	st = list_cli(TU_NOBODY, table, out, sizeof(out), err, sizeof(err));
	cr_assert_eq(st, 0, "list exits %d: %s", st, err);
	snprintf(kidpid, sizeof(kidpid), "pid %d", (int)k.pid);
	cr_assert_not_null(strstr(out, kidpid), "the holder's pid in the table:\n%s", out);
	cr_assert_not_null(strstr(out, "PORT"), "%s", out);
	cr_assert_null(strstr(out, other.port), "another user's pty listed:\n%s", out);

	kid_end(&k);
	tu_pty_close(&held);
	tu_pty_close(&free_pty);
	tu_pty_close(&denied);
	tu_pty_close(&other);
}
