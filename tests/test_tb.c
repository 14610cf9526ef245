/* SPDX-License-Identifier: MIT */
/*
 * test_tb.c - libttybroker end to end: tb_init() in a forked child that
 * drops to nobody, tb_open()/tb_release()/tb_shutdown() on real ptys, the
 * refusals, and how the backend treats forged credentials and malformed
 * messages.
 *
 * The test process stays root: it owns the pty master, looks at lock files
 * and the slave from outside, and talks to the child (the "frontend") over
 * two pipes, one line per message.  testutil.h has no such harness, so it
 * lives here: kid_* run on the parent's side, say/hear/CHK on the child's
 * (the child never calls Criterion's asserts: it reports a "FAIL" line and
 * exits).  The test process is a child subreaper, so a backend orphaned by
 * a failing test is reaped here too.
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fdpass.h"
#include "proto.h"
#include "testutil.h"
#include "ttybroker.h"

/* Line 3 permits the test's pty (and a few odd names, to reach later checks). */
#define POLICY                                              \
	"# test_tb policy\n"                                \
	"deny * ttyS0\n"                                    \
	"permit nobody pts/* null console ttyNOPE0\n"       \
	"deny nobody ttyS9\n"
#define RULE_PERMIT 3
#define IO_MS       5000 /* failure guard on every wait */
#define KID_ALARM   30   /* seconds before a stuck child dies of SIGALRM */

static struct tu_env env;
static struct tu_pty pty, pty2;  /* pty2: only for the other-owner test */
static char extra[200];          /* a file a test adds to env.dir, or "" */

/* The frontend child, as the parent sees it. */
static struct {
	pid_t pid;
	int up;   /* lines from the child */
	int down; /* lines to the child */
} kid = { -1, -1, -1 };

/* The child's own ends of the pipes, and its broker. */
static int k_up = -1, k_down = -1;
static struct tb_broker *k_b;

/* ------------------------------------------------------------------ */
/* Helpers for both sides.                                             */

/* Read one line (without its '\n') from FD; false on EOF or timeout. */
static bool read_line(int fd, char *buf, size_t len, int timeout_ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	size_t n = 0;
	char c;

	while (n + 1 < len) {
		if (poll(&p, 1, timeout_ms) != 1 || read(fd, &c, 1) != 1)
			return false;
		if (c == '\n')
			break;
		buf[n++] = c;
	}
	buf[n] = '\0';
	return true;
}

/* Children of PID (from /proc): their number, and the first in *FIRST. */
static int children_of(pid_t pid, pid_t *first)
{
	pid_t c = -1;
	int n = tu_children(pid, &c, 1);

	if (first)
		*first = n > 0 ? c : -1;
	return n;
}

/* The backend of frontend PID: its only child.  -1 unless exactly one. */
static pid_t backend_of(pid_t pid)
{
	pid_t c;

	return children_of(pid, &c) == 1 ? c : -1;
}

static void open_req(struct proto_open *req, const char *port)
{
	memset(req, 0, sizeof(*req));
	proto_hdr_init(&req->hdr, PROTO_OPEN, 1000);
	snprintf(req->port, sizeof(req->port), "%s", port);
}

/* ------------------------------------------------------------------ */
/* The child's side.                                                   */

static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void say(const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf) - 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		n = 0;
	if ((size_t)n > sizeof(buf) - 2)
		n = (int)sizeof(buf) - 2;
	buf[n++] = '\n';
	if (write(k_up, buf, (size_t)n) != n)
		_exit(3);
}

static _Noreturn void child_fail(int line, const char *what)
{
	int err = errno;

	say("FAIL test_tb.c:%d: %s (errno %d: %s)", line, what, err, strerror(err));
	_exit(1);
}

#define CHK(cond)                                        \
	do {                                             \
		if (!(cond))                             \
			child_fail(__LINE__, #cond);     \
	} while (0)

/* Like CHK(a == b) but reports both values. */
#define CHK_EQ(a, b)                                                         \
	do {                                                                 \
		long long a_ = (long long)(a), b_ = (long long)(b);          \
		if (a_ != b_) {                                              \
			char m_[256];                                        \
			snprintf(m_, sizeof(m_), "%s == %s: %lld != %lld",  \
				 #a, #b, a_, b_);                            \
			child_fail(__LINE__, m_);                            \
		}                                                            \
	} while (0)

/* Wait for the parent's next line, which must be WORD. */
static void hear(const char *word)
{
	char buf[128];

	CHK(read_line(k_down, buf, sizeof(buf), KID_ALARM * 1000));
	CHK(strcmp(buf, word) == 0);
}

/* tb_init with the test's policy and lock dir, dropping to nobody. */
static void kid_init(void)
{
	struct tb_options o = {
		.policy = env.policy, .lockdir = env.lockdir,
		.user = "nobody", .log = TB_LOG_QUIET,
	};

	CHK_EQ(tb_init(&o, &k_b), 0);
	CHK(k_b != NULL);
}

/* The next datagram on SOCK is EOF: the backend closed without replying. */
static bool recv_eof(int sock)
{
	struct pollfd p = { .fd = sock, .events = POLLIN };
	char buf[PROTO_MSG_MAX + 1];

	return poll(&p, 1, IO_MS) == 1 && recv(sock, buf, sizeof(buf), MSG_DONTWAIT) == 0;
}

/* ------------------------------------------------------------------ */
/* The parent's side.                                                  */

typedef void (*kid_fn)(const void *arg);

/* Fork the frontend child running FN(ARG) with pipes to and from it. */
static void kid_start(kid_fn fn, const void *arg)
{
	int up[2], down[2];

	cr_assert_eq(pipe2(up, O_CLOEXEC), 0);
	cr_assert_eq(pipe2(down, O_CLOEXEC), 0);
	kid.pid = fork();
	cr_assert_geq(kid.pid, 0, "fork: %s", strerror(errno));
	if (kid.pid == 0) {
		close(up[0]);
		close(down[1]);
		k_up = up[1];
		k_down = down[0];
		tu_pty_close(&pty);
		tu_pty_close(&pty2);
		alarm(KID_ALARM);
		fn(arg);
		_exit(0);
	}
	close(up[1]);
	close(down[0]);
	kid.up = up[0];
	kid.down = down[1];
}

/* The child's next line; a FAIL line, EOF or silence fails the test. */
static void kid_line(char *buf, size_t len)
{
	if (!read_line(kid.up, buf, len, IO_MS * 2)) {
		int st = tu_wait(kid.pid, IO_MS);

		if (st >= 0)
			kid.pid = -1;
		cr_assert_fail("child ended or hung without a report (status %d)", st);
	}
	cr_assert(strncmp(buf, "FAIL", 4) != 0, "child: %s", buf);
}

static void kid_expect(const char *word)
{
	char buf[512];

	kid_line(buf, sizeof(buf));
	cr_assert_str_eq(buf, word);
}

static void kid_tell(const char *word)
{
	size_t n = strlen(word);

	cr_assert_eq(write(kid.down, word, n), (ssize_t)n);
	cr_assert_eq(write(kid.down, "\n", 1), 1);
}

/* Let the child end: no more reports, and exit status 0. */
static void kid_finish(void)
{
	char buf[512];
	int st;

	while (read_line(kid.up, buf, sizeof(buf), IO_MS * 2))
		cr_assert(strncmp(buf, "FAIL", 4) != 0, "child: %s", buf);
	st = tu_wait(kid.pid, IO_MS);
	if (st >= 0)
		kid.pid = -1;
	cr_assert_eq(st, 0, "child exit status %d", st);
}

/* Entries in the lock directory (lock files and any temporary file). */
static int lock_count(void)
{
	struct dirent *de;
	int n = 0;
	DIR *d = opendir(env.lockdir);

	cr_assert_not_null(d);
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			n++;
	closedir(d);
	return n;
}

static void read_text(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	cr_assert_geq(fd, 0, "%s: %s", path, strerror(errno));
	n = read(fd, buf, len - 1);
	close(fd);
	cr_assert_geq(n, 0);
	buf[n] = '\0';
}

/* Try the flock a port holder keeps, from our own open of the slave. */
static int slave_flock(const struct tu_pty *p)
{
	int fd = open(p->path, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
	int r, err;

	cr_assert_geq(fd, 0, "%s: %s", p->path, strerror(errno));
	r = flock(fd, LOCK_EX | LOCK_NB);
	err = errno;
	close(fd);
	return r < 0 ? -err : 0;
}

/* Reap every remaining child: orphaned backends end on EOF; SIGKILL stragglers. */
static void reap_all(void)
{
	tu_reap_all(2000);
}

static void setup(void)
{
	cr_assert_eq(prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0), 0);
	pty2.master = -1;
	extra[0] = '\0';
	tu_env_init(&env);
	tu_policy(&env, POLICY);
	tu_pty_open(&pty, TU_NOBODY);
}

static void teardown(void)
{
	if (kid.pid > 0) {
		kill(kid.pid, SIGKILL);
		waitpid(kid.pid, NULL, 0);
	}
	if (kid.up >= 0)
		close(kid.up);
	if (kid.down >= 0)
		close(kid.down);
	kid.pid = kid.up = kid.down = -1;
	reap_all();
	tu_pty_close(&pty);
	tu_pty_close(&pty2);
	if (extra[0])
		unlink(extra);
	tu_env_fini(&env);
}

TestSuite(tb, .init = setup, .fini = teardown, .timeout = 60);

/* ------------------------------------------------------------------ */
/* 1. tb_init                                                          */

static void init_child(const void *arg)
{
	uid_t ru, eu, su;
	gid_t rg, eg, sg, groups[8];
	int fl;

	(void)arg;
	kid_init();
	CHK(getresuid(&ru, &eu, &su) == 0);
	CHK(ru == TU_NOBODY && eu == TU_NOBODY && su == TU_NOBODY);
	CHK(getresgid(&rg, &eg, &sg) == 0);
	CHK(rg == TU_NOBODY && eg == TU_NOBODY && sg == TU_NOBODY);
	CHK_EQ(getgroups(8, groups), 1);
	CHK_EQ(groups[0], TU_NOBODY);
	errno = 0;
	CHK(setuid(0) == -1 && errno == EPERM);
	CHK(tb_fd(k_b) >= 0);
	fl = fcntl(tb_fd(k_b), F_GETFD);
	CHK(fl >= 0 && (fl & FD_CLOEXEC));
	say("backend %d", (int)backend_of(getpid()));
	hear("bye");
	tb_shutdown(k_b);
}

Test(tb, init_drops_to_nobody)
{
	char line[64];
	int bp = -1;

	kid_start(init_child, NULL);
	kid_line(line, sizeof(line));
	cr_assert_eq(sscanf(line, "backend %d", &bp), 1);
	cr_assert_gt(bp, 0, "the frontend has exactly one child, the backend");
	kid_tell("bye");
	kid_finish();
	cr_assert_eq(kill(bp, 0), -1, "tb_shutdown reaped the backend");
}

/* ------------------------------------------------------------------ */
/* 2. tb_open: the descriptor                                          */

static void open_child(const void *arg)
{
	struct tb_status st;
	struct stat a, b;
	char buf[64];
	struct pollfd p;
	ssize_t n;
	int fd, fl;

	(void)arg;
	kid_init();
	fd = tb_open(k_b, pty.port, 0, &st);
	CHK(fd >= 0);
	CHK_EQ(st.reason, TB_R_OK);
	CHK_EQ(st.rule, RULE_PERMIT);
	CHK(strcmp(st.kname, pty.port) == 0);
	fl = fcntl(fd, F_GETFL);
	CHK(fl >= 0 && (fl & O_ACCMODE) == O_RDWR);
	CHK(!(fl & O_NONBLOCK));
	fl = fcntl(fd, F_GETFD);
	CHK(fl >= 0 && (fl & FD_CLOEXEC));
	CHK(fstat(fd, &a) == 0 && stat(pty.path, &b) == 0);
	CHK(S_ISCHR(a.st_mode) && a.st_rdev == b.st_rdev);
	CHK(write(fd, "from-child\n", 11) == 11);
	say("opened");
	hear("sent");
	p = (struct pollfd){ .fd = fd, .events = POLLIN };
	CHK(poll(&p, 1, IO_MS) == 1);
	n = read(fd, buf, sizeof(buf) - 1);
	CHK(n > 0);
	buf[n] = '\0';
	CHK(strcmp(buf, "to-child\n") == 0);
	say("got");
	hear("bye");
	CHK_EQ(tb_release(k_b, fd), 0);
	tb_shutdown(k_b);
}

Test(tb, open_gives_locked_blocking_pty)
{
	kid_start(open_child, NULL);
	kid_expect("opened");
	cr_assert(tu_pty_expect(&pty, "from-child", IO_MS), "child's data on the master");
	cr_assert_eq(slave_flock(&pty), -EWOULDBLOCK, "the port is flock()ed while held");
	cr_assert_eq(write(pty.master, "to-child\n", 9), 9);
	kid_tell("sent");
	kid_expect("got");
	kid_tell("bye");
	kid_finish();
	cr_assert_eq(lock_count(), 0);
	cr_assert_eq(slave_flock(&pty), 0, "flock released with the port");
}

static void nonblock_child(const void *arg)
{
	struct tb_status st;
	char c;
	int fd, fl;

	(void)arg;
	kid_init();
	fd = tb_open(k_b, "/dev/", 0, NULL); /* "/dev/" alone: malformed */
	CHK_EQ(fd, -EINVAL);
	fd = tb_open(k_b, pty.path, TB_NONBLOCK, &st); /* "/dev/pts/N" works too */
	CHK(fd >= 0);
	CHK_EQ(st.reason, TB_R_OK);
	CHK(strcmp(st.kname, pty.port) == 0);
	fl = fcntl(fd, F_GETFL);
	CHK(fl >= 0 && (fl & O_ACCMODE) == O_RDWR && (fl & O_NONBLOCK));
	errno = 0;
	CHK(read(fd, &c, 1) == -1 && errno == EAGAIN);
	CHK_EQ(tb_release(k_b, fd), 0);
	tb_shutdown(k_b);
}

Test(tb, open_nonblock)
{
	kid_start(nonblock_child, NULL);
	kid_finish();
	cr_assert_eq(lock_count(), 0);
}

/* ------------------------------------------------------------------ */
/* 3. The lock file and tb_release                                     */

static void release_child(const void *arg)
{
	struct tb_status st;
	int fd;

	(void)arg;
	kid_init();
	fd = tb_open(k_b, pty.port, 0, &st);
	CHK(fd >= 0);
	say("opened");
	hear("release");
	CHK_EQ(tb_release(k_b, 0), -EBADF); /* stdin is not a port */
	CHK_EQ(tb_release(k_b, fd), 0);
	errno = 0;
	CHK(fcntl(fd, F_GETFD) == -1 && errno == EBADF);
	CHK_EQ(tb_release(k_b, fd), -EBADF); /* not ours any more */
	say("released");
	hear("again");
	fd = tb_open(k_b, pty.port, 0, &st);
	CHK(fd >= 0);
	CHK_EQ(st.reason, TB_R_OK);
	say("reopened");
	hear("bye");
	tb_shutdown(k_b);
}

Test(tb, lock_file_and_release)
{
	char lock[256], got[64], want[64];

	tu_lockfile(&env, pty.port, lock, sizeof(lock));
	kid_start(release_child, NULL);
	kid_expect("opened");
	snprintf(want, sizeof(want), "%10d\n", (int)kid.pid);
	read_text(lock, got, sizeof(got));
	cr_assert_str_eq(got, want, "lock file holds the frontend's pid");
	cr_assert_eq(lock_count(), 1);
	kid_tell("release");
	kid_expect("released");
	cr_assert(tu_wait_path(lock, false, IO_MS), "release removes %s", lock);
	kid_tell("again");
	kid_expect("reopened");
	read_text(lock, got, sizeof(got));
	cr_assert_str_eq(got, want);
	kid_tell("bye");
	kid_finish();
	cr_assert_eq(lock_count(), 0);
}

/* ------------------------------------------------------------------ */
/* 4. Busy and the other refusals                                      */

static void busy_child(const void *arg)
{
	struct tb_status st;
	int fd, r, n0;

	(void)arg;
	kid_init();
	fd = tb_open(k_b, pty.port, 0, NULL);
	CHK(fd >= 0);
	n0 = tu_count_fds();
	r = tb_open(k_b, pty.port, 0, &st);
	CHK_EQ(r, -EBUSY);
	CHK_EQ(st.reason, TB_R_BUSY);
	r = tb_open(k_b, pty.path, TB_NONBLOCK, &st);
	CHK_EQ(r, -EBUSY);
	CHK_EQ(st.reason, TB_R_BUSY);
	CHK_EQ(tu_count_fds(), n0);
	say("busy");
	hear("bye");
	tb_shutdown(k_b);
}

Test(tb, open_twice_is_busy)
{
	char lock[256], got[64], want[64];

	tu_lockfile(&env, pty.port, lock, sizeof(lock));
	kid_start(busy_child, NULL);
	kid_expect("busy");
	snprintf(want, sizeof(want), "%10d\n", (int)kid.pid);
	read_text(lock, got, sizeof(got));
	cr_assert_str_eq(got, want, "the first holder's lock file is untouched");
	cr_assert_eq(lock_count(), 1, "and nothing else is in the lock dir");
	kid_tell("bye");
	kid_finish();
	cr_assert_eq(lock_count(), 0);
}

struct refusal {
	char port[48];
	int err;
	enum tb_reason reason;
	unsigned int rule;
};

ParameterizedTestParameters(tb, refused)
{
	static struct refusal cases[] = {
		{ "../etc/passwd", -EINVAL, TB_R_NAME, 0 },
		{ "pts/../../etc/shadow", -EINVAL, TB_R_NAME, 0 },
		{ "", -EINVAL, TB_R_NAME, 0 },
		{ "tty S0", -EINVAL, TB_R_NAME, 0 },
		{ "ttyS0", -EACCES, TB_R_DENIED, 2 },
		{ "ttyS9", -EACCES, TB_R_DENIED, 4 },
		{ "ttyUSB7", -EACCES, TB_R_DENIED, 0 },
		{ "ttyNOPE0", -ENOENT, TB_R_NODEV, RULE_PERMIT },
		{ "null", -ENOTTY, TB_R_NOTTY, RULE_PERMIT },
		{ "console", -EPERM, TB_R_CLASS, RULE_PERMIT },
		{ "/dev/console", -EPERM, TB_R_CLASS, RULE_PERMIT },
	};

	return cr_make_param_array(struct refusal, cases, sizeof(cases) / sizeof(cases[0]));
}

/* Open PORT and report: return value, reason, rule, fds gained. */
static void refused_child(const void *arg)
{
	const char *port = arg;
	struct tb_status st;
	int n0, r;

	kid_init();
	n0 = tu_count_fds();
	memset(&st, 0xa5, sizeof(st));
	r = tb_open(k_b, port, 0, &st);
	say("%d %d %u %d", r, (int)st.reason, st.rule, tu_count_fds() - n0);
	hear("bye");
	tb_shutdown(k_b);
}

ParameterizedTest(struct refusal *c, tb, refused)
{
	char line[128];
	int r, reason, fds;
	unsigned int rule;

	kid_start(refused_child, c->port);
	kid_line(line, sizeof(line));
	cr_assert_eq(sscanf(line, "%d %d %u %d", &r, &reason, &rule, &fds), 4, "%s", line);
	cr_assert_eq(r, c->err, "'%s': %d, want %d", c->port, r, c->err);
	cr_assert_eq(reason, (int)c->reason, "'%s': reason %d, want %d", c->port,
		     reason, (int)c->reason);
	cr_assert_eq(rule, c->rule, "'%s': rule %u, want %u", c->port, rule, c->rule);
	cr_assert_eq(fds, 0, "'%s': a refusal left %d fds", c->port, fds);
	cr_assert_eq(lock_count(), 0, "'%s': a refusal left a lock file", c->port);
	kid_tell("bye");
	kid_finish();
}

Test(tb, refused_other_users_pty)
{
	char line[128];
	int r, reason, fds;
	unsigned int rule;

	tu_pty_open(&pty2, 0); /* root's pty, though the policy permits pts/ */
	kid_start(refused_child, pty2.port);
	kid_line(line, sizeof(line));
	cr_assert_eq(sscanf(line, "%d %d %u %d", &r, &reason, &rule, &fds), 4, "%s", line);
	cr_assert_eq(r, -EPERM);
	cr_assert_eq(reason, TB_R_CLASS);
	cr_assert_eq(rule, RULE_PERMIT);
	cr_assert_eq(fds, 0);
	cr_assert_eq(lock_count(), 0);
	kid_tell("bye");
	kid_finish();
}

/* ------------------------------------------------------------------ */
/* 5. tb_shutdown                                                      */

static void shutdown_child(const void *arg)
{
	pid_t bp;
	int fd;

	(void)arg;
	kid_init();
	fd = tb_open(k_b, pty.port, 0, NULL);
	CHK(fd >= 0);
	bp = backend_of(getpid());
	CHK(bp > 0);
	say("%d", (int)bp);
	hear("shutdown");
	tb_shutdown(k_b); /* the port is not released first */
	errno = 0;
	CHK(kill(bp, 0) == -1 && errno == ESRCH);
	errno = 0;
	CHK(fcntl(fd, F_GETFD) == -1 && errno == EBADF);
	CHK_EQ(children_of(getpid(), NULL), 0);
	say("down");
}

Test(tb, shutdown_ends_backend_and_unlocks)
{
	char lock[256], line[64];
	int bp;

	tu_lockfile(&env, pty.port, lock, sizeof(lock));
	kid_start(shutdown_child, NULL);
	kid_line(line, sizeof(line));
	cr_assert_eq(sscanf(line, "%d", &bp), 1);
	cr_assert(tu_exists(lock));
	cr_assert_eq(slave_flock(&pty), -EWOULDBLOCK);
	kid_tell("shutdown");
	kid_expect("down");
	/* tb_shutdown waited for the backend, so this is not a race. */
	cr_assert_not(tu_exists(lock), "backend removed its lock file on the way out");
	cr_assert_eq(slave_flock(&pty), 0, "and let go of the flock");
	cr_assert_eq(kill(bp, 0), -1);
	kid_finish();
}

/* ------------------------------------------------------------------ */
/* 6. Credentials and descriptors the backend must not accept          */

static void grandchild_child(const void *arg)
{
	struct tb_status st;
	pid_t bp, g;

	(void)arg;
	kid_init();
	bp = backend_of(getpid());
	CHK(bp > 0);
	g = fork();
	CHK(g >= 0);
	if (g == 0) { /* same uid and gid, different pid: not the frontend */
		struct proto_open req;

		open_req(&req, pty.port);
		_exit(send(tb_fd(k_b), &req, sizeof(req), MSG_NOSIGNAL) ==
		      (ssize_t)sizeof(req) ? 0 : 1);
	}
	CHK_EQ(tu_wait(g, IO_MS), 0);
	CHK_EQ(tu_wait(bp, IO_MS), 0);   /* dropped us and exited cleanly */
	CHK(recv_eof(tb_fd(k_b)));       /* without answering the request */
	CHK(tb_open(k_b, pty.port, 0, &st) < 0);
	CHK_EQ(st.reason, TB_R_BROKER);
	say("dropped");
	hear("bye");
	tb_shutdown(k_b);
}

Test(tb, request_from_other_pid_drops_connection)
{
	kid_start(grandchild_child, NULL);
	kid_expect("dropped");
	cr_assert_eq(lock_count(), 0);
	kid_tell("bye");
	kid_finish();
}

static void fd_smuggle_child(const void *arg)
{
	struct proto_open req;
	struct tb_status st;
	struct pollfd p;
	int pv[2];
	pid_t bp;
	char c;

	(void)arg;
	kid_init();
	bp = backend_of(getpid());
	CHK(bp > 0);
	CHK(pipe2(pv, O_CLOEXEC) == 0);
	open_req(&req, pty.port);
	CHK_EQ(fdpass_send(tb_fd(k_b), &req, sizeof(req), pv[1]), 0);
	close(pv[1]);
	p = (struct pollfd){ .fd = pv[0], .events = POLLIN };
	CHK(poll(&p, 1, IO_MS) == 1);
	CHK(read(pv[0], &c, 1) == 0);    /* the backend's copy is gone too */
	close(pv[0]);
	CHK(recv_eof(tb_fd(k_b)));
	CHK_EQ(tu_wait(bp, IO_MS), 0);
	CHK(tb_open(k_b, pty.port, 0, &st) < 0);
	CHK_EQ(st.reason, TB_R_BROKER);
	say("dropped");
	hear("bye");
	tb_shutdown(k_b);
}

Test(tb, request_with_fd_drops_connection)
{
	kid_start(fd_smuggle_child, NULL);
	kid_expect("dropped");
	cr_assert_eq(lock_count(), 0);
	kid_tell("bye");
	kid_finish();
}

/* ------------------------------------------------------------------ */
/* 7. Malformed messages                                               */

enum bad_msg {
	BAD_SHORT, BAD_VERSION, BAD_TYPE, BAD_READY, BAD_RELEASE_RESERVED,
	BAD_HDR_RESERVED, BAD_OPEN_RESERVED, BAD_OPEN_FLAGS, BAD_UNTERMINATED,
	BAD_LEN_FIELD, BAD_OVERLONG, BAD_EMPTY,
};

struct bad_case {
	enum bad_msg kind;
	char name[32];
};

/* Build the malformed datagram KIND into BUF; its length. */
static size_t bad_build(enum bad_msg kind, char *buf, size_t cap)
{
	union proto_msg m;
	size_t len = sizeof(m.open);

	memset(buf, 0, cap);
	open_req(&m.open, pty.port);
	switch (kind) {
	case BAD_SHORT:
		len--;
		break;
	case BAD_VERSION:
		m.hdr.version = PROTO_VERSION + 1;
		break;
	case BAD_TYPE:
		m.hdr.type = 99;
		break;
	case BAD_READY:
		memset(&m, 0, sizeof(m));
		proto_hdr_init(&m.hdr, PROTO_READY, 7);
		len = sizeof(m.ready);
		break;
	case BAD_RELEASE_RESERVED:
		memset(&m, 0, sizeof(m));
		proto_hdr_init(&m.hdr, PROTO_RELEASE, 7);
		m.release.handle = 1; /* the open session's handle */
		m.release.reserved = 1;
		len = sizeof(m.release);
		break;
	case BAD_HDR_RESERVED:
		m.hdr.reserved = 1;
		break;
	case BAD_OPEN_RESERVED:
		m.open.reserved = 1;
		break;
	case BAD_OPEN_FLAGS:
		m.open.flags = 0x80;
		break;
	case BAD_UNTERMINATED:
		memset(m.open.port, 'a', sizeof(m.open.port));
		break;
	case BAD_LEN_FIELD:
		m.hdr.len++;
		break;
	case BAD_OVERLONG:
		memcpy(buf, &m, sizeof(m));
		return sizeof(m) + 1;
	case BAD_EMPTY:
		return 0;
	}
	memcpy(buf, &m, len);
	return len;
}

ParameterizedTestParameters(tb, malformed)
{
	static struct bad_case cases[] = {
		{ BAD_SHORT, "truncated open" },
		{ BAD_VERSION, "bad version" },
		{ BAD_TYPE, "unknown type" },
		{ BAD_READY, "ready from frontend" },
		{ BAD_RELEASE_RESERVED, "release reserved" },
		{ BAD_HDR_RESERVED, "header reserved" },
		{ BAD_OPEN_RESERVED, "open reserved" },
		{ BAD_OPEN_FLAGS, "unknown open flag" },
		{ BAD_UNTERMINATED, "unterminated port" },
		{ BAD_LEN_FIELD, "len field too big" },
		{ BAD_OVERLONG, "overlong datagram" },
		{ BAD_EMPTY, "empty datagram" },
	};

	return cr_make_param_array(struct bad_case, cases, sizeof(cases) / sizeof(cases[0]));
}

static void malformed_child(const void *arg)
{
	const struct bad_case *c = arg;
	char buf[PROTO_MSG_MAX + 16];
	size_t len;
	pid_t bp;

	kid_init();
	bp = backend_of(getpid());
	CHK(bp > 0);
	CHK(tb_open(k_b, pty.port, 0, NULL) >= 0); /* so there is a lock to drop */
	say("opened");
	hear("send");
	len = bad_build(c->kind, buf, sizeof(buf));
	CHK_EQ(send(tb_fd(k_b), buf, len, MSG_NOSIGNAL), (ssize_t)len);
	CHK(recv_eof(tb_fd(k_b)));
	CHK_EQ(tu_wait(bp, IO_MS), 0);
	say("dropped");
	hear("bye");
	tb_shutdown(k_b);
}

ParameterizedTest(struct bad_case *c, tb, malformed)
{
	kid_start(malformed_child, c);
	kid_expect("opened");
	cr_assert_eq(lock_count(), 1);
	kid_tell("send");
	kid_expect("dropped");
	cr_assert_eq(lock_count(), 0, "%s: lock file left behind", c->name);
	kid_tell("bye");
	kid_finish();
}

/* Not malformed: a release of a handle nobody has is ignored, not fatal. */
static void unknown_handle_child(const void *arg)
{
	struct proto_release rel;
	int fd;

	(void)arg;
	kid_init();
	memset(&rel, 0, sizeof(rel));
	proto_hdr_init(&rel.hdr, PROTO_RELEASE, 9);
	rel.handle = 999;
	CHK_EQ(send(tb_fd(k_b), &rel, sizeof(rel), MSG_NOSIGNAL), (ssize_t)sizeof(rel));
	fd = tb_open(k_b, pty.port, 0, NULL);
	CHK(fd >= 0);
	CHK_EQ(tb_release(k_b, fd), 0);
	tb_shutdown(k_b);
}

Test(tb, release_of_unknown_handle_is_ignored)
{
	kid_start(unknown_handle_child, NULL);
	kid_finish();
	cr_assert_eq(lock_count(), 0);
}

/* ------------------------------------------------------------------ */
/* 8. tb_init refusals and the other ways to start                     */

struct init_case {
	bool has_user;
	char user[24];
	char sudo_uid[12]; /* "" = unset */
	char sudo_gid[12];
	int want;
};

ParameterizedTestParameters(tb, init_refused)
{
	static struct init_case cases[] = {
		{ true, "root", "", "", -EINVAL },
		{ true, "0", "", "", -EINVAL },
		{ true, "tb-no-such-user", "", "", -ENOENT },
		{ false, "", "", "", -EINVAL },
		{ false, "", "0", "0", -EINVAL },
		{ false, "", "65534", "", -EINVAL },
		{ false, "", "x65534", "65534", -EINVAL },
		{ true, "root", "65534", "65534", -EINVAL }, /* -u wins over sudo */
	};

	return cr_make_param_array(struct init_case, cases, sizeof(cases) / sizeof(cases[0]));
}

/* tb_init must fail before changing anything: still root, no backend. */
static void init_refused_child(const void *arg)
{
	const struct init_case *c = arg;
	struct tb_options o = {
		.policy = env.policy, .lockdir = env.lockdir,
		.user = c->has_user ? c->user : NULL, .log = TB_LOG_QUIET,
	};
	struct tb_broker *b = (void *)1;

	unsetenv("SUDO_UID");
	unsetenv("SUDO_GID");
	if (c->sudo_uid[0])
		setenv("SUDO_UID", c->sudo_uid, 1);
	if (c->sudo_gid[0])
		setenv("SUDO_GID", c->sudo_gid, 1);
	CHK_EQ(tb_init(&o, &b), c->want);
	CHK(b == NULL);
	CHK_EQ(geteuid(), 0);
	CHK_EQ(children_of(getpid(), NULL), 0);
}

ParameterizedTest(struct init_case *c, tb, init_refused)
{
	kid_start(init_refused_child, c);
	kid_finish();
}

static void not_root_child(const void *arg)
{
	struct tb_options o = { .user = "nobody", .log = TB_LOG_QUIET };
	gid_t g = TU_NOBODY;
	struct tb_broker *b = (void *)1;

	(void)arg;
	CHK(setgroups(1, &g) == 0);
	CHK(setresgid(TU_NOBODY, TU_NOBODY, TU_NOBODY) == 0);
	CHK(setresuid(TU_NOBODY, TU_NOBODY, TU_NOBODY) == 0);
	/* Without root: no daemon and no helper here (test_helper.c has them). */
	setenv("TTYBROKER_SOCKET", "/nonexistent/ttybroker.sock", 1);
	setenv("TTYBROKER_HELPER", "/nonexistent/ttybroker-helper", 1);
	CHK_EQ(tb_init(&o, &b), -ENOTCONN);
	CHK(b == NULL);
	o.via = TB_VIA_FORK; /* the fork way needs root */
	CHK_EQ(tb_init(&o, &b), -EPERM);
	CHK(b == NULL);
	CHK_EQ(children_of(getpid(), NULL), 0);
}

Test(tb, init_refused_not_root)
{
	kid_start(not_root_child, NULL);
	kid_finish();
}

static void sudo_child(const void *arg)
{
	struct tb_options o = {
		.policy = env.policy, .lockdir = env.lockdir, .log = TB_LOG_QUIET,
	};
	uid_t ru, eu, su;
	gid_t rg, eg, sg;
	int fd;

	(void)arg;
	CHK(setenv("SUDO_UID", "65534", 1) == 0);
	CHK(setenv("SUDO_GID", "65534", 1) == 0);
	CHK_EQ(tb_init(&o, &k_b), 0);
	CHK(getresuid(&ru, &eu, &su) == 0);
	CHK(ru == TU_NOBODY && eu == TU_NOBODY && su == TU_NOBODY);
	CHK(getresgid(&rg, &eg, &sg) == 0);
	CHK(rg == TU_NOBODY && eg == TU_NOBODY && sg == TU_NOBODY);
	fd = tb_open(k_b, pty.port, 0, NULL); /* the backend serves that user */
	CHK(fd >= 0);
	tb_shutdown(k_b);
}

Test(tb, init_from_sudo_env)
{
	kid_start(sudo_child, NULL);
	kid_finish();
	cr_assert_eq(lock_count(), 0);
}

static void no_lockdir_child(const void *arg)
{
	char dir[200];
	struct tb_options o = {
		.policy = env.policy, .lockdir = dir, .user = "nobody",
		.log = TB_LOG_QUIET,
	};
	struct tb_broker *b = (void *)1;

	(void)arg;
	snprintf(dir, sizeof(dir), "%s/no-such-dir", env.dir);
	CHK_EQ(tb_init(&o, &b), -ECHILD);
	CHK(b == NULL);
	CHK_EQ(children_of(getpid(), NULL), 0); /* the backend is gone and reaped */
}

Test(tb, init_fails_without_lockdir)
{
	kid_start(no_lockdir_child, NULL);
	kid_finish();
}

enum bad_policy { POL_WORLD_WRITABLE, POL_GROUP_WRITABLE, POL_NOT_ROOTS, POL_MISSING,
		  POL_SYMLINK, POL_SYNTAX };

ParameterizedTestParameters(tb, unsafe_policy)
{
	static enum bad_policy cases[] = { POL_WORLD_WRITABLE, POL_GROUP_WRITABLE,
					   POL_NOT_ROOTS, POL_MISSING, POL_SYMLINK,
					   POL_SYNTAX };

	return cr_make_param_array(enum bad_policy, cases, sizeof(cases) / sizeof(cases[0]));
}

/* Spoil the (otherwise permissive) policy file in way KIND. */
static void spoil_policy(enum bad_policy kind)
{
	switch (kind) {
	case POL_WORLD_WRITABLE:
		cr_assert_eq(chmod(env.policy, 0666), 0);
		break;
	case POL_GROUP_WRITABLE:
		cr_assert_eq(chmod(env.policy, 0664), 0);
		break;
	case POL_NOT_ROOTS:
		cr_assert_eq(chown(env.policy, TU_NOBODY, TU_NOBODY), 0);
		break;
	case POL_MISSING:
		cr_assert_eq(unlink(env.policy), 0);
		break;
	case POL_SYMLINK:
		snprintf(extra, sizeof(extra), "%s/real.conf", env.dir);
		cr_assert_eq(rename(env.policy, extra), 0);
		cr_assert_eq(symlink("real.conf", env.policy), 0);
		break;
	case POL_SYNTAX:
		tu_policy(&env, POLICY "grant nobody pts/*\n");
		break;
	}
}

static void policy_child(const void *arg)
{
	struct tb_status st;
	int n0;

	(void)arg;
	kid_init();
	n0 = tu_count_fds();
	CHK_EQ(tb_open(k_b, pty.port, 0, &st), -EACCES);
	CHK_EQ(st.reason, TB_R_POLICY);
	CHK_EQ(tu_count_fds(), n0);
	say("refused");
	hear("bye");
	tb_shutdown(k_b);
}

ParameterizedTest(enum bad_policy *kind, tb, unsafe_policy)
{
	spoil_policy(*kind);
	kid_start(policy_child, NULL);
	kid_expect("refused");
	cr_assert_eq(lock_count(), 0);
	kid_tell("bye");
	kid_finish();
}

/*
 * 9. serial/by-id names need udev's /dev/serial/by-id, which the test
 * cannot create under the real /dev; test_open.c covers resolution.
 */
