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
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/inotify.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/sockios.h>

#include "backend.h"
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
#define PORT_LOCKS  2    /* LCK..NAME and LK.D.M.m for each port held */
#define IO_MS       5000 /* failure guard on every wait */
#define KID_ALARM   30   /* seconds before a stuck child dies of SIGALRM */

static struct tu_env env;
static struct tu_pty pty, pty2;  /* pty2: only for the other-owner test */
static char extra[200];          /* a file a test adds to env.dir, or "" */

/* A frontend child, as the parent sees it. */
struct kid_ref {
	pid_t pid;
	int up;   /* lines from the child */
	int down; /* lines to the child */
};

static struct kid_ref kid = { -1, -1, -1 };

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

/* Fork a frontend child K running FN(ARG) with pipes to and from it. */
static void kid_start_ref(struct kid_ref *k, kid_fn fn, const void *arg)
{
	int up[2], down[2];

	cr_assert_eq(pipe2(up, O_CLOEXEC), 0);
	cr_assert_eq(pipe2(down, O_CLOEXEC), 0);
	k->pid = fork();
	cr_assert_geq(k->pid, 0, "fork: %s", strerror(errno));
	if (k->pid == 0) {
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
	k->up = up[0];
	k->down = down[1];
}

/* Fork the frontend child running FN(ARG) with pipes to and from it. */
static void kid_start(kid_fn fn, const void *arg)
{
	kid_start_ref(&kid, fn, arg);
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
	cr_assert_geq(tu_read_file(path, buf, len), 0, "%s: %s", path, strerror(errno));
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

/* For the flood test: frontends that never read, and their ptys. */
#define FLOODERS    3
#define FLOOD_OPENS 32
static struct tu_pty many[FLOODERS * FLOOD_OPENS];
static struct kid_ref floods[FLOODERS];
static int hold_in = -1; /* stdin of the setuid test program, or -1 */

/* Kill and reap frontend child K if it is still there; close its pipes. */
static void kid_stop(struct kid_ref *k)
{
	if (k->pid > 0) {
		kill(k->pid, SIGKILL);
		waitpid(k->pid, NULL, 0);
	}
	if (k->up >= 0)
		close(k->up);
	if (k->down >= 0)
		close(k->down);
	k->pid = k->up = k->down = -1;
}

static void setup(void)
{
	cr_assert_eq(prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0), 0);
	pty2.master = -1;
	for (size_t i = 0; i < sizeof(many) / sizeof(many[0]); i++)
		many[i].master = -1;
	for (size_t i = 0; i < FLOODERS; i++)
		floods[i] = (struct kid_ref){ -1, -1, -1 };
	extra[0] = '\0';
	tu_env_init(&env);
	tu_policy(&env, POLICY);
	tu_pty_open(&pty, TU_NOBODY);
}

static void dup_cleanup(void);

static void teardown(void)
{
	kid_stop(&kid);
	for (size_t i = 0; i < FLOODERS; i++)
		kid_stop(&floods[i]);
	if (hold_in >= 0)
		close(hold_in); /* the setuid test program ends on EOF */
	hold_in = -1;
	reap_all();
	tu_pty_close(&pty);
	tu_pty_close(&pty2);
	for (size_t i = 0; i < sizeof(many) / sizeof(many[0]); i++)
		tu_pty_close(&many[i]);
	if (extra[0])
		unlink(extra);
	dup_cleanup();
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
	cr_assert_eq(lock_count(), PORT_LOCKS);
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
	cr_assert_eq(lock_count(), PORT_LOCKS, "and nothing else is in the lock dir");
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
		m.open.wait_ms = 1; /* without PROTO_OPEN_WAIT */
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
	cr_assert_eq(lock_count(), PORT_LOCKS);
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
	say("refused %s", st.detail);
	hear("bye");
	tb_shutdown(k_b);
}

ParameterizedTest(enum bad_policy *kind, tb, unsafe_policy)
{
	char line[512], want[300];

	spoil_policy(*kind);
	/* The detail is the first problem found: "FILE: why", or "FILE:LINE: why". */
	if (*kind == POL_SYNTAX)
		snprintf(want, sizeof(want), "refused %s:5: ", env.policy);
	else
		snprintf(want, sizeof(want), "refused %s: ", env.policy);
	kid_start(policy_child, NULL);
	kid_line(line, sizeof(line));
	cr_assert(strncmp(line, want, strlen(want)) == 0 && strlen(line) > strlen(want),
		  "detail: '%s', want '%s...'", line, want);
	cr_assert_eq(lock_count(), 0);
	kid_tell("bye");
	kid_finish();
}

/*
 * 9. serial/by-id names need udev's /dev/serial/by-id, which the test
 * cannot create under the real /dev; test_open.c covers resolution.
 */

/* ------------------------------------------------------------------ */
/* 10. Frontends that do not read their replies                        */

/* Is PID gone or a zombie (it has exited)? */
static bool proc_ended(pid_t pid)
{
	char state[64];

	return !tu_proc_status(pid, "State", state, sizeof(state)) || state[0] == 'Z';
}

/*
 * Pipeline FLOOD_OPENS raw PROTO_OPENs for the ptys at ARG and never read
 * a reply: each granted reply is a descriptor in flight, which the kernel
 * counts against the backend's user.  Report once the backend has
 * answered them all or dropped us.
 */
static void flood_child(const void *arg)
{
	const struct tu_pty *ports = arg;
	struct proto_open req;
	int sent = 0, queued = 0;
	pid_t bp;

	kid_init();
	bp = backend_of(getpid());
	CHK(bp > 0);
	for (int i = 0; i < FLOOD_OPENS; i++) {
		open_req(&req, ports[i].port);
		req.hdr.seq = (uint32_t)i + 1;
		/* Fails once a backend has dropped us: that is the point. */
		if (send(tb_fd(k_b), &req, sizeof(req), MSG_NOSIGNAL) != (ssize_t)sizeof(req))
			break;
		sent++;
	}
	for (int t = 0; t < IO_MS / 10; t++) {
		CHK(ioctl(tb_fd(k_b), SIOCINQ, &queued) == 0);
		if (queued >= FLOOD_OPENS * (int)sizeof(struct proto_open_reply) ||
		    proc_ended(bp))
			break;
		usleep(10000);
	}
	say("flooded %d %d %d", sent, queued / (int)sizeof(struct proto_open_reply),
	    (int)proc_ended(bp));
	hear("bye");
	_exit(0); /* still without reading: the exit drops the queue */
}

/* An unrelated frontend: one ordinary open of the test's pty. */
static void victim_child(const void *arg)
{
	struct tb_status st;
	int fd;

	(void)arg;
	kid_init();
	fd = tb_open(k_b, pty.port, 0, &st);
	say("%d %d", fd < 0 ? fd : 0, (int)st.reason);
	hear("bye");
	tb_shutdown(k_b);
}

Test(tb, unread_replies_do_not_starve_others, .timeout = 120)
{
	int sent, queued[FLOODERS], ended[FLOODERS], r, reason;
	char line[128];

	for (size_t i = 0; i < sizeof(many) / sizeof(many[0]); i++)
		tu_pty_open(&many[i], TU_NOBODY);
	for (int f = 0; f < FLOODERS; f++)
		kid_start_ref(&floods[f], flood_child, &many[f * FLOOD_OPENS]);
	for (int f = 0; f < FLOODERS; f++) {
		cr_assert(read_line(floods[f].up, line, sizeof(line), IO_MS * 3),
			  "flooder %d said nothing", f);
		cr_assert_eq(sscanf(line, "flooded %d %d %d", &sent, &queued[f], &ended[f]),
			     3, "flooder %d: %s", f, line);
		cr_log_info("flooder %d: sent %d, %d replies unread, backend ended %d",
			    f, sent, queued[f], ended[f]);
	}
	kid_start(victim_child, NULL);
	kid_line(line, sizeof(line));
	cr_assert_eq(sscanf(line, "%d %d", &r, &reason), 2, "%s", line);
	cr_assert_eq(r, 0, "an unrelated frontend's open failed: %d (%s), reason %d",
		     r, strerror(-r), reason);
	cr_assert_eq(reason, TB_R_OK);
	kid_tell("bye");
	kid_finish();
	/* How: each flooder was dropped at its second request, one reply unread. */
	for (int f = 0; f < FLOODERS; f++) {
		cr_assert_leq(queued[f], 1, "flooder %d was left %d replies", f, queued[f]);
		cr_assert(ended[f], "flooder %d's backend dropped it", f);
		cr_assert_eq(write(floods[f].down, "bye\n", 4), 4);
		cr_assert_eq(tu_wait(floods[f].pid, IO_MS), 0);
		floods[f].pid = -1;
	}
}

/* ------------------------------------------------------------------ */
/* 11. No root backend outlives its frontend                           */

Test(tb, backend_refuses_a_datagram_socket)
{
	struct backend_config cfg;
	struct pollfd p;
	char buf[PROTO_MSG_MAX];
	int sv[2], st;
	pid_t bp;

	memset(&cfg, 0, sizeof(cfg));
	cfg.policy_path = env.policy;
	cfg.lockdir = env.lockdir;
	cfg.devdir = "/dev";
	cfg.log_flags = TB_LOG_QUIET;
	cfg.peer_pid = getpid();
	cfg.peer_uid = TU_NOBODY;
	cfg.peer_gid = TU_NOBODY;
	cfg.subject.uid = TU_NOBODY;
	cfg.subject.gid = TU_NOBODY;
	/* A datagram pair never reports the peer's close: no EOF, ever. */
	cr_assert_eq(socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, sv), 0);
	cr_assert_eq(fdpass_want_creds(sv[1]), 0);
	bp = fork();
	cr_assert_geq(bp, 0);
	if (bp == 0) {
		close(sv[0]);
		backend_main(sv[1], &cfg);
	}
	close(sv[1]);
	p = (struct pollfd){ .fd = sv[0], .events = POLLIN };
	if (poll(&p, 1, IO_MS) == 1)
		(void)!recv(sv[0], buf, sizeof(buf), MSG_DONTWAIT); /* READY, if any */
	close(sv[0]); /* the "frontend" is gone */
	st = tu_wait(bp, IO_MS);
	if (st < 0) {
		kill(bp, SIGKILL);
		waitpid(bp, NULL, 0);
	}
	cr_assert_geq(st, 0, "the backend kept running on a datagram socket");
	cr_assert_neq(st, 0, "and it refused to start (status %d)", st);
}

/*
 * The frontend dies but a forked helper of it still holds the socket, so
 * the backend sees no EOF: the parent-death signal must end it anyway,
 * releasing what it held.
 */
static void orphan_child(const void *arg)
{
	pid_t bp, g;

	(void)arg;
	kid_init();
	CHK(tb_open(k_b, pty.port, 0, NULL) >= 0);
	bp = backend_of(getpid());
	CHK(bp > 0);
	g = fork();
	CHK(g >= 0);
	if (g == 0) { /* keeps a copy of tb_fd() */
		alarm(KID_ALARM);
		pause();
		_exit(0);
	}
	say("%d %d", (int)bp, (int)g);
	hear("die");
	_exit(0); /* no tb_shutdown: the frontend just dies */
}

Test(tb, backend_ends_with_its_frontend_without_eof)
{
	char line[64], lock[256];
	int bp, g, st;

	tu_lockfile(&env, pty.port, lock, sizeof(lock));
	kid_start(orphan_child, NULL);
	kid_line(line, sizeof(line));
	cr_assert_eq(sscanf(line, "%d %d", &bp, &g), 2, "%s", line);
	cr_assert(tu_exists(lock));
	kid_tell("die");
	cr_assert_eq(tu_wait(kid.pid, IO_MS), 0);
	kid.pid = -1;
	st = tu_wait(bp, IO_MS); /* orphans come to us, the subreaper */
	kill(g, SIGKILL);
	tu_wait(g, IO_MS);
	cr_assert_eq(st, 0, "the backend outlived its frontend (status %d)", st);
	cr_assert_not(tu_exists(lock), "and released the port on the way out");
}

/* Copy SRC to DST as a root-owned setuid-root program. */
static void copy_setuid(const char *src, const char *dst)
{
	char buf[65536];
	int in, out;
	ssize_t n;

	in = open(src, O_RDONLY | O_CLOEXEC);
	cr_assert_geq(in, 0, "%s: %s", src, strerror(errno));
	out = open(dst, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0700);
	cr_assert_geq(out, 0, "%s: %s", dst, strerror(errno));
	while ((n = read(in, buf, sizeof(buf))) > 0)
		cr_assert_eq(write(out, buf, (size_t)n), n);
	cr_assert_eq(n, 0);
	close(in);
	cr_assert_eq(close(out), 0);
	cr_assert_eq(chown(dst, 0, 0), 0);
	cr_assert_eq(chmod(dst, 04755), 0);
}

/*
 * Installed setuid-root and run by nobody, the backend must be out of
 * nobody's reach: no SIGSTOP (which would keep it, and its locks, past its
 * frontend) and no SIGKILL.
 */
Test(tb, setuid_backend_ignores_the_users_signals)
{
	char src[300], line[64], uids[64];
	int in[2], out[2], st;
	pid_t fe, bp, k;

	snprintf(src, sizeof(src), "%s", env.bin);
	*strrchr(src, '/') = '\0';
	strncat(src, "/tests/helper/tb_hold", sizeof(src) - strlen(src) - 1);
	snprintf(extra, sizeof(extra), "%s/tb_hold", env.dir);
	copy_setuid(src, extra);
	cr_assert_eq(pipe2(in, O_CLOEXEC), 0);
	cr_assert_eq(pipe2(out, O_CLOEXEC), 0);
	fe = fork();
	cr_assert_geq(fe, 0);
	if (fe == 0) {
		gid_t gr = TU_NOBODY;

		if (dup2(in[0], 0) < 0 || dup2(out[1], 1) < 0 || setgroups(1, &gr) < 0 ||
		    setresgid(gr, gr, gr) < 0 ||
		    setresuid(TU_NOBODY, TU_NOBODY, TU_NOBODY) < 0)
			_exit(126);
		execl(extra, "tb_hold", (char *)NULL);
		_exit(127);
	}
	close(in[0]);
	close(out[1]);
	hold_in = in[1];
	cr_assert(read_line(out[0], line, sizeof(line), IO_MS), "no word from tb_hold");
	close(out[0]);
	cr_assert_str_eq(line, "ready");
	bp = backend_of(fe);
	cr_assert_gt(bp, 0);
	cr_assert(tu_proc_status(bp, "Uid", uids, sizeof(uids)));
	cr_log_info("backend %d Uid: %s", (int)bp, uids);
	k = fork();
	cr_assert_geq(k, 0);
	if (k == 0) {
		gid_t gr = TU_NOBODY;
		int stop, kill9;

		if (setgroups(1, &gr) < 0 || setresgid(gr, gr, gr) < 0 ||
		    setresuid(TU_NOBODY, TU_NOBODY, TU_NOBODY) < 0)
			_exit(126);
		stop = kill(bp, SIGSTOP) < 0 && errno == EPERM;
		if (!stop)
			kill(bp, SIGCONT);
		kill9 = kill(bp, 0) < 0 && errno == EPERM; /* SIGKILL's check, harmlessly */
		_exit((stop ? 0 : 1) | (kill9 ? 0 : 2));
	}
	st = tu_wait(k, IO_MS);
	kill(bp, SIGCONT); /* in case it was stopped after all */
	cr_assert_eq(st, 0, "nobody could signal the root backend (%s%s)",
		     st & 1 ? "SIGSTOP worked" : "", st & 2 ? " kill(0) worked" : "");
	close(hold_in); /* tb_hold shuts down and exits */
	hold_in = -1;
	cr_assert_eq(tu_wait(fe, IO_MS), 0);
	cr_assert(proc_ended(bp), "the backend ended with its frontend");
}

/* The backend never blocks for long sending to a frontend that stops reading. */
Test(tb, backend_has_a_send_timeout)
{
	char line[64], path[64], link[64];
	struct timeval tv = { 0 };
	socklen_t len = sizeof(tv);
	int bp = -1, pidfd, sfd = -1;

	kid_start(init_child, NULL);
	kid_line(line, sizeof(line));
	cr_assert_eq(sscanf(line, "backend %d", &bp), 1);
	pidfd = (int)syscall(SYS_pidfd_open, bp, 0);
	cr_assert_geq(pidfd, 0, "pidfd_open: %s", strerror(errno));
	for (int fd = 3; fd < 64 && sfd < 0; fd++) {
		ssize_t n;

		snprintf(path, sizeof(path), "/proc/%d/fd/%d", bp, fd);
		n = readlink(path, link, sizeof(link) - 1);
		if (n <= 0)
			continue;
		link[n] = '\0';
		if (strncmp(link, "socket:", 7) == 0)
			sfd = (int)syscall(SYS_pidfd_getfd, pidfd, fd, 0);
	}
	close(pidfd);
	cr_assert_geq(sfd, 0, "the backend's socket");
	cr_assert_eq(getsockopt(sfd, SOL_SOCKET, SO_SNDTIMEO, &tv, &len), 0);
	close(sfd); /* before the frontend ends: ours would keep its EOF away */
	cr_assert(tv.tv_sec > 0 || tv.tv_usec > 0, "no send timeout");
	cr_assert_leq(tv.tv_sec, 30, "send timeout %ld s", (long)tv.tv_sec);
	kid_tell("bye");
	kid_finish();
}

/* ------------------------------------------------------------------ */
/* 12. Who holds a busy port                                           */

/*
 * Replace the frontend's backend by a fake one on a fresh socketpair (the
 * real one sees EOF and leaves) that answers two opens with "busy, lock
 * file of pid P": first its own pid, with a known comm, then a dead pid.
 */
static void holder_child(const void *arg)
{
	char buf[PROTO_MSG_MAX];
	struct tb_status st;
	union proto_msg m;
	pid_t fake, dead;
	int sv[2];

	(void)arg;
	kid_init();
	dead = fork();
	CHK(dead >= 0);
	if (dead == 0)
		_exit(0);
	CHK_EQ(tu_wait(dead, IO_MS), 0);
	CHK(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) == 0);
	fake = fork();
	CHK(fake >= 0);
	if (fake == 0) {
		close(sv[0]);
		prctl(PR_SET_NAME, "tb-fake-holder", 0, 0, 0);
		for (int i = 0; i < 2; i++) {
			struct proto_open_reply rep;
			ssize_t n = recv(sv[1], buf, sizeof(buf), 0);

			if (n <= 0 || proto_decode(buf, (size_t)n, PROTO_FROM_FRONTEND,
						   false, &m) < 0 || m.hdr.type != PROTO_OPEN)
				_exit(2);
			memset(&rep, 0, sizeof(rep));
			proto_hdr_init(&rep.hdr, PROTO_OPEN_REPLY, m.hdr.seq);
			rep.err = -EBUSY;
			rep.reason = PROTO_R_BUSY;
			rep.holder = PROTO_HOLD_LCK;
			rep.holder_pid = i == 0 ? getpid() : dead;
			if (send(sv[1], &rep, sizeof(rep), MSG_NOSIGNAL) != (ssize_t)sizeof(rep))
				_exit(3);
		}
		_exit(0);
	}
	close(sv[1]);
	CHK(dup2(sv[0], tb_fd(k_b)) == tb_fd(k_b));
	close(sv[0]);
	CHK_EQ(tb_open(k_b, pty.port, 0, &st), -EBUSY);
	CHK_EQ(st.reason, TB_R_BUSY);
	CHK_EQ(st.holder, TB_HOLDER_LOCKFILE);
	CHK_EQ(st.holder_pid, fake);
	say("comm %s", st.holder_comm);
	CHK_EQ(tb_open(k_b, pty.port, 0, &st), -EBUSY);
	CHK_EQ(st.holder_pid, dead);
	say("dead '%s'", st.holder_comm);
	CHK_EQ(tu_wait(fake, IO_MS), 0);
	hear("bye");
	tb_shutdown(k_b);
}

Test(tb, busy_reply_names_the_holder)
{
	kid_start(holder_child, NULL);
	kid_expect("comm tb-fake-holder");
	kid_expect("dead ''");
	kid_tell("bye");
	kid_finish();
}

/* ------------------------------------------------------------------ */
/* 13. A reply that cannot be sent is explained                        */

/* tb_init with the backend's log on stderr, into the file named by ARG. */
static void logged_child(const void *arg)
{
	struct tb_options o = {
		.policy = env.policy, .lockdir = env.lockdir, .user = "nobody",
		.log = TB_LOG_QUIET | TB_LOG_STDERR,
	};
	struct tb_status st;
	int fd, r;

	fd = open(arg, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	CHK(fd >= 0);
	CHK(dup2(fd, 2) == 2);
	close(fd);
	CHK_EQ(tb_init(&o, &k_b), 0);
	say("ready");
	hear("open");
	r = tb_open(k_b, pty.port, 0, &st);
	say("%d %d", r, (int)st.reason);
	hear("bye");
	tb_shutdown(k_b);
}

/*
 * Root's descriptors in flight are over the backend's RLIMIT_NOFILE (the
 * test, which may, puts them there on a socketpair of its own): the
 * backend's reply fails with ETOOMANYREFS, and its log must say so.
 */
Test(tb, reply_failure_is_explained)
{
	char line[128], log[4096];
	int pump[2], null, r, reason;

	snprintf(extra, sizeof(extra), "%s/backend.log", env.dir);
	kid_start(logged_child, extra);
	kid_expect("ready");
	cr_assert_eq(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pump), 0);
	null = open("/dev/null", O_RDONLY | O_CLOEXEC);
	cr_assert_geq(null, 0);
	for (int i = 0; i < 80; i++)
		cr_assert_eq(fdpass_send(pump[0], "x", 1, null), 0);
	kid_tell("open");
	kid_line(line, sizeof(line));
	close(pump[0]); /* the queue, and the descriptors in it, go */
	close(pump[1]);
	close(null);
	cr_assert_eq(sscanf(line, "%d %d", &r, &reason), 2, "%s", line);
	cr_assert_lt(r, 0, "the open could not have been answered with an fd");
	cr_assert_eq(reason, TB_R_BROKER);
	kid_tell("bye");
	kid_finish();
	read_text(extra, log, sizeof(log));
	cr_assert(strstr(log, "too many descriptors in flight for the backend's user"),
		  "backend log: %s", log);
}

/* ------------------------------------------------------------------ */
/* 14. Lock directory, duplicate nodes, exclusive mode                 */

static void lockdir_link_child(const void *arg)
{
	struct tb_options o = {
		.policy = env.policy, .lockdir = arg, .user = "nobody",
		.log = TB_LOG_QUIET,
	};
	struct tb_broker *b = (void *)1;

	CHK_EQ(tb_init(&o, &b), -ECHILD);
	CHK(b == NULL);
	CHK_EQ(children_of(getpid(), NULL), 0);
}

/* A symlink as the lock directory is refused at startup, not followed. */
Test(tb, lockdir_symlink_refused)
{
	snprintf(extra, sizeof(extra), "%s/lock-link", env.dir);
	cr_assert_eq(symlink("lock", extra), 0);
	kid_start(lockdir_link_child, extra);
	kid_finish();
	cr_assert_eq(lock_count(), 0, "nothing was created through the link");
}

/* While the broker holds the port, nobody else (without CAP_SYS_ADMIN) opens it. */
static void excl_child(const void *arg)
{
	int fd, fd2;

	(void)arg;
	kid_init();
	fd = tb_open(k_b, pty.port, 0, NULL);
	CHK(fd >= 0);
	errno = 0;
	fd2 = open(pty.path, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
	CHK(fd2 == -1 && errno == EBUSY);
	CHK_EQ(tb_release(k_b, fd), 0);
	say("released");
	hear("again");
	/* Released: the pty slave (its master still open) is not exclusive. */
	fd2 = open(pty.path, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
	CHK(fd2 >= 0);
	close(fd2);
	tb_shutdown(k_b);
}

Test(tb, held_port_is_exclusive)
{
	char lock[256];

	tu_lockfile(&env, pty.port, lock, sizeof(lock));
	kid_start(excl_child, NULL);
	kid_expect("released");
	cr_assert(tu_wait_path(lock, false, IO_MS), "release removes %s", lock);
	kid_tell("again");
	kid_finish();
}

/*
 * Private /dev/pts with two more names for the test pty.  A pty slave only
 * opens through a devpts inode (another mknod'ed node fails with EIO), so
 * the names are bind mounts of the real node, and this VM's only serial
 * port is the console: the different-inode case is in test_lock.c.
 */
struct dup_nodes {
	char dir[160];   /* env.dir/pts, bind-mounted over /dev/pts */
	char a[200], b[200];
};

static void dup_paths(struct dup_nodes *d)
{
	snprintf(d->dir, sizeof(d->dir), "%s/pts", env.dir);
	snprintf(d->a, sizeof(d->a), "%s/7000", d->dir);
	snprintf(d->b, sizeof(d->b), "%s/7001", d->dir);
}

/* Remove what duplicate_node_is_busy made, even when it failed midway. */
static void dup_cleanup(void)
{
	struct dup_nodes d;

	dup_paths(&d);
	unlink(d.a);
	unlink(d.b);
	rmdir(d.dir);
}

/*
 * In the child, before tb_init: a mount namespace of its own in which
 * /dev/pts holds "7000" and "7001", both the test pty's node.
 */
static void dup_namespace(void)
{
	struct dup_nodes d;

	dup_paths(&d);
	CHK(unshare(CLONE_NEWNS) == 0);
	CHK(mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) == 0);
	CHK(mount(pty.path, d.a, NULL, MS_BIND, NULL) == 0);
	CHK(mount(pty.path, d.b, NULL, MS_BIND, NULL) == 0);
	CHK(mount(d.dir, "/dev/pts", NULL, MS_BIND | MS_REC, NULL) == 0);
}

/* Two frontends: the first holds pts/7000, the second asks for pts/7001. */
static void dup_child(const void *arg)
{
	struct tb_status st;
	int go[2], fd;
	pid_t first = getpid(), g;
	char c;

	(void)arg;
	dup_namespace();
	CHK(pipe(go) == 0);
	g = fork();
	CHK(g >= 0);
	if (g == 0) {
		close(go[1]);
		CHK(read(go[0], &c, 1) == 1);
		kid_init();
		memset(&st, 0, sizeof(st));
		CHK_EQ(tb_open(k_b, "pts/7001", 0, &st), -EBUSY);
		CHK_EQ(st.reason, TB_R_BUSY);
		CHK_EQ(st.holder, TB_HOLDER_LOCKFILE);
		CHK_EQ(st.holder_pid, first);
		say("second refused");
		tb_shutdown(k_b);
		_exit(0);
	}
	close(go[0]);
	kid_init();
	fd = tb_open(k_b, "pts/7000", 0, &st);
	CHK(fd >= 0);
	/* The same program asking again, under the other name: itself. */
	CHK_EQ(tb_open(k_b, "pts/7001", 0, &st), -EBUSY);
	CHK_EQ(st.holder, TB_HOLDER_SELF);
	CHK_EQ(st.holder_pid, getpid());
	CHK(write(go[1], "g", 1) == 1);
	CHK(tu_wait(g, IO_MS * 2) == 0);
	say("first held");
	CHK_EQ(tb_release(k_b, fd), 0);
	tb_shutdown(k_b);
}

Test(tb, duplicate_node_is_busy)
{
	struct dup_nodes d;

	dup_paths(&d);
	cr_assert_eq(mkdir(d.dir, 0755), 0);
	close(open(d.a, O_WRONLY | O_CREAT | O_CLOEXEC, 0600));
	close(open(d.b, O_WRONLY | O_CREAT | O_CLOEXEC, 0600));
	kid_start(dup_child, NULL);
	kid_expect("second refused");
	kid_expect("first held");
	kid_finish();
	cr_assert_eq(lock_count(), 0);
}

/* ------------------------------------------------------------------ */
/* 15. Who holds a busy port, end to end                              */

enum holder_case { HOLD_LCK, HOLD_FLOCK, HOLD_EXCL, HOLD_SELF };

ParameterizedTestParameters(tb, busy_holder)
{
	static enum holder_case cases[] = { HOLD_LCK, HOLD_FLOCK, HOLD_EXCL, HOLD_SELF };

	return cr_make_param_array(enum holder_case, cases, sizeof(cases) / sizeof(cases[0]));
}

/* Ask for the port (twice for HOLD_SELF) and report holder and pid. */
static void busy_holder_child(const void *arg)
{
	const enum holder_case *c = arg;
	struct tb_status st;
	int r;

	kid_init();
	if (*c == HOLD_SELF)
		CHK(tb_open(k_b, pty.port, 0, NULL) >= 0);
	memset(&st, 0, sizeof(st));
	r = tb_open(k_b, pty.port, 0, &st);
	say("%d %d %d %d", r, (int)st.reason, (int)st.holder, st.holder_pid);
	hear("bye");
	tb_shutdown(k_b);
}

ParameterizedTest(enum holder_case *c, tb, busy_holder)
{
	static const int want[] = { [HOLD_LCK] = TB_HOLDER_LOCKFILE,
				    [HOLD_FLOCK] = TB_HOLDER_FLOCK,
				    [HOLD_EXCL] = TB_HOLDER_EXCL,
				    [HOLD_SELF] = TB_HOLDER_SELF };
	char lock[256], line[128], pidline[32];
	int r, reason, holder, hpid, fd = -1;

	tu_lockfile(&env, pty.port, lock, sizeof(lock));
	if (*c == HOLD_LCK) {
		snprintf(pidline, sizeof(pidline), "%10d\n", (int)getpid());
		fd = open(lock, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
		cr_assert_geq(fd, 0);
		cr_assert_eq(write(fd, pidline, 11), 11);
		close(fd);
		fd = -1;
	} else if (*c != HOLD_SELF) {
		fd = open(pty.path, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
		cr_assert_geq(fd, 0);
		if (*c == HOLD_FLOCK)
			cr_assert_eq(flock(fd, LOCK_EX | LOCK_NB), 0);
		else
			cr_assert_eq(ioctl(fd, TIOCEXCL), 0);
	}
	kid_start(busy_holder_child, c);
	kid_line(line, sizeof(line));
	cr_assert_eq(sscanf(line, "%d %d %d %d", &r, &reason, &holder, &hpid), 4, "%s", line);
	cr_assert_eq(r, -EBUSY);
	cr_assert_eq(reason, TB_R_BUSY);
	cr_assert_eq(holder, want[*c], "holder %d, want %d", holder, want[*c]);
	if (*c == HOLD_LCK)
		cr_assert_eq(hpid, (int)getpid());
	else if (*c == HOLD_SELF)
		cr_assert_eq(hpid, (int)kid.pid);
	else
		cr_assert_eq(hpid, 0);
	kid_tell("bye");
	kid_finish();
	if (fd >= 0) {
		ioctl(fd, TIOCNXCL);
		close(fd);
	}
	if (*c == HOLD_LCK)
		unlink(lock);
	cr_assert_eq(lock_count(), 0);
}

/* ------------------------------------------------------------------ */
/* 16. Audit lines                                                     */

/* Send the child's stderr (and so its backend's) to PATH. */
static void stderr_to(const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

	CHK(fd >= 0);
	CHK(dup2(fd, 2) == 2);
	close(fd);
}

/* Permit, deny by a rule, deny by no rule, release, permit, EOF; stderr only. */
static void audit_child(const void *arg)
{
	struct tb_options o = {
		.policy = env.policy, .lockdir = env.lockdir,
		.user = "nobody", .log = TB_LOG_STDERR | TB_LOG_QUIET,
	};
	int fd;

	stderr_to(arg);
	CHK(prctl(PR_SET_NAME, "tb aud\x01t", 0, 0, 0) == 0);
	CHK_EQ(tb_init(&o, &k_b), 0);
	fd = tb_open(k_b, pty.port, 0, NULL);
	CHK(fd >= 0);
	CHK_EQ(tb_open(k_b, "ttyS9", 0, NULL), -EACCES);
	CHK_EQ(tb_open(k_b, "ttyUSB7", 0, NULL), -EACCES);
	CHK_EQ(tb_release(k_b, fd), 0);
	CHK(tb_open(k_b, pty.port, 0, NULL) >= 0); /* ended by EOF, not released */
	tb_shutdown(k_b);
}

/* The audit lines (from "uid=") of file PATH, at most MAX, into OUT. */
static int audit_lines(const char *path, char out[][512], int max)
{
	char buf[8192], *save = NULL, *at;
	int n = 0;

	read_text(path, buf, sizeof(buf));
	for (char *l = strtok_r(buf, "\n", &save); l && n < max;
	     l = strtok_r(NULL, "\n", &save))
		if ((at = strstr(l, "uid=")) && strstr(l, " verdict="))
			snprintf(out[n++], 512, "%s", at);
	return n;
}

Test(tb, audit_line_fields)
{
	char lines[8][512], want[6][512], who[128];
	int n;

	pid_t kp;

	snprintf(extra, sizeof(extra), "%s/audit.log", env.dir);
	kid_start(audit_child, extra);
	kp = kid.pid;
	kid_finish();
	snprintf(who, sizeof(who), "uid=%d user=nobody pid=%d comm=tb\\x20aud\\x01t",
		 TU_NOBODY, (int)kp);
	snprintf(want[0], 512, "%s port=%s verdict=permit reason=ok rule=%s:3 why=\"granted\"",
		 who, pty.port, env.policy);
	snprintf(want[1], 512, "%s port=ttyS9 verdict=refuse reason=denied rule=%s:4 "
		 "why=\"deny rule\"", who, env.policy);
	snprintf(want[2], 512, "%s port=ttyUSB7 verdict=refuse reason=denied rule=none "
		 "why=\"no matching rule\"", who);
	snprintf(want[3], 512, "%s port=%s verdict=release reason=ok rule=%s:3 "
		 "why=\"released\"", who, pty.port, env.policy);
	memcpy(want[4], want[0], sizeof(want[0]));
	memcpy(want[5], want[3], sizeof(want[3]));
	n = audit_lines(extra, lines, 8);
	cr_assert_eq(n, 6, "one audit line per decision and release, got %d", n);
	for (int i = 0; i < 6; i++)
		cr_assert_str_eq(lines[i], want[i]);
}

/* No syslog listening: one warning, and the audit lines on stderr instead. */
static void nosyslog_child(const void *arg)
{
	struct tb_options o = {
		.policy = env.policy, .lockdir = env.lockdir,
		.user = "nobody", .log = 0, /* syslog only */
	};
	struct stat st;
	int fd;

	stderr_to(arg);
	CHK(unshare(CLONE_NEWNS) == 0);
	CHK(mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) == 0);
	if (lstat("/dev/log", &st) == 0) /* hide a real syslog socket */
		CHK(mount("/dev/null", "/dev/log", NULL, MS_BIND, NULL) == 0);
	CHK_EQ(tb_init(&o, &k_b), 0);
	fd = tb_open(k_b, pty.port, 0, NULL);
	CHK(fd >= 0);
	CHK_EQ(tb_release(k_b, fd), 0);
	tb_shutdown(k_b);
}

Test(tb, audit_without_syslog_goes_to_stderr)
{
	char lines[8][512], text[8192];
	const char *first;

	snprintf(extra, sizeof(extra), "%s/audit.log", env.dir);
	kid_start(nosyslog_child, extra);
	kid_finish();
	read_text(extra, text, sizeof(text));
	first = strstr(text, "no syslog at /dev/log");
	cr_assert_not_null(first, "says audit lines are not going to syslog: '%s'", text);
	cr_assert_null(strstr(first + 1, "no syslog at"), "says it once");
	cr_assert_eq(audit_lines(extra, lines, 8), 2, "permit and release on stderr: '%s'",
		     text);
	cr_assert_not_null(strstr(lines[0], "verdict=permit"));
	cr_assert_not_null(strstr(lines[1], "verdict=release"));
}

/* ------------------------------------------------------------------ */
/* tb_list() through the fork way (branch list9)                       */

/* The child: hold PORT through the broker, then list and report each port. */
static void list_child(const void *arg)
{
	struct tb_port *ports = NULL;
	size_t n = 99;
	int fd;

	kid_init();
	fd = tb_open(k_b, arg, 0, NULL);
	CHK(fd >= 0);
	say("opened");
	hear("list");
	CHK_EQ(tb_list(k_b, &ports, &n), 0);
	for (size_t i = 0; i < n; i++) {
		const struct tb_port *p = &ports[i];

		CHK(i == 0 || strcmp(ports[i - 1].kname, p->kname) < 0);
		say("port %s %d %u %d %d %d %s|%s", p->kname, (int)p->reason, p->rule,
		    (int)p->holder, p->holder_pid, p->pty, p->detail, p->holder_comm);
	}
	say("end");
	tb_list_free(ports, n);
	hear("bye");
	CHK_EQ(tb_release(k_b, fd), 0);
	tb_shutdown(k_b);
}

/* The child's report line for PORT, or fail. */
static void list_find(char lines[][256], size_t n, const char *port, char *out, size_t len)
{
	char key[64];

	snprintf(key, sizeof(key), "port %s ", port);
	for (size_t i = 0; i < n; i++)
		if (strncmp(lines[i], key, strlen(key)) == 0) {
			snprintf(out, len, "%s", lines[i] + strlen(key));
			return;
		}
	out[0] = '\0';
}

/*
 * The caller's ptys with the backend's verdicts (a permit and a deny rule)
 * and every kind of holder: this client's own session, a foreign LCK..
 * file, a foreign flock(), free; another user's pty is not listed.  And
 * listing opens no device: an inotify watch on every slave sees nothing.
 */
Test(tb, list_verdicts_and_holders)
{
	struct tu_pty *lck = &many[0], *flk = &many[1], *denied = &many[2], *root = &many[3];
	char lines[64][256], want[256], got[256], path[256], pid10[16];
	int fd, ino, flock_fd;
	size_t n = 0;

	tu_pty_open(lck, TU_NOBODY);
	tu_pty_open(flk, TU_NOBODY);
	tu_pty_open(denied, TU_NOBODY);
	tu_pty_open(root, 0);
	tu_policy(&env, "permit nobody %s %s %s %s\ndeny nobody %s\n", pty.port, lck->port,
		  flk->port, root->port, denied->port);
	kid_start(list_child, pty.port);
	kid_expect("opened");
	/* A foreign LCK.. file of a live process (ours), a foreign flock (ours). */
	tu_lockfile(&env, lck->port, path, sizeof(path));
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	cr_assert_geq(fd, 0);
	snprintf(pid10, sizeof(pid10), "%10d\n", (int)getpid());
	cr_assert_eq(write(fd, pid10, 11), 11);
	close(fd);
	flock_fd = open(flk->path, O_RDWR | O_NOCTTY | O_CLOEXEC);
	cr_assert_geq(flock_fd, 0);
	cr_assert_eq(flock(flock_fd, LOCK_EX | LOCK_NB), 0);
	ino = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	cr_assert_geq(ino, 0);
	cr_assert_geq(inotify_add_watch(ino, pty.path, IN_OPEN | IN_CLOSE), 0);
	for (int i = 0; i < 4; i++)
		cr_assert_geq(inotify_add_watch(ino, many[i].path, IN_OPEN | IN_CLOSE), 0);

	kid_tell("list");
	for (;;) {
		cr_assert_lt(n, sizeof(lines) / sizeof(lines[0]));
		kid_line(lines[n], sizeof(lines[n]));
		if (strcmp(lines[n], "end") == 0)
			break;
		n++;
	}
	{
		char ev[4096];

		cr_assert_eq(read(ino, ev, sizeof(ev)), -1, "listing opened a device");
		cr_assert_eq(errno, EAGAIN);
		/* The watch does see a real open. */
		close(open(denied->path, O_RDWR | O_NOCTTY | O_CLOEXEC));
		cr_assert_gt(read(ino, ev, sizeof(ev)), 0, "the inotify watch is blind");
	}
	close(ino);

	list_find(lines, n, pty.port, got, sizeof(got));
	snprintf(want, sizeof(want), "%d 1 %d %d 1 %s:1|", TB_R_OK, TB_HOLDER_SELF,
		 (int)kid.pid, env.policy);
	cr_assert_eq(strncmp(got, want, strlen(want)), 0, "held by the caller itself: %s", got);
	list_find(lines, n, lck->port, got, sizeof(got));
	snprintf(want, sizeof(want), "%d 1 %d %d 1 %s:1|", TB_R_OK, TB_HOLDER_LOCKFILE,
		 (int)getpid(), env.policy);
	cr_assert_eq(strncmp(got, want, strlen(want)), 0, "LCK.. holder: %s", got);
	cr_assert_gt(strlen(got), strlen(want), "the holder's comm is named: %s", got);
	list_find(lines, n, flk->port, got, sizeof(got));
	snprintf(want, sizeof(want), "%d 1 %d %d 1 %s:1|", TB_R_OK, TB_HOLDER_FLOCK,
		 (int)getpid(), env.policy);
	cr_assert_eq(strncmp(got, want, strlen(want)), 0, "flock holder: %s", got);
	list_find(lines, n, denied->port, got, sizeof(got));
	snprintf(want, sizeof(want), "%d 2 %d 0 1 %s:2|", TB_R_DENIED, TB_HOLDER_NONE,
		 env.policy);
	cr_assert_str_eq(got, want, "denied by line 2, free");
	list_find(lines, n, root->port, got, sizeof(got));
	cr_assert_str_eq(got, "", "another user's pty is listed: %s", got);

	kid_tell("bye");
	kid_finish();
	close(flock_fd);
	unlink(path);
}

/* The child: list without holding anything, report the port named ARG. */
static void list_only_child(const void *arg)
{
	struct tb_port *ports = NULL;
	size_t n = 0;

	kid_init();
	CHK_EQ(tb_list(k_b, &ports, &n), 0);
	for (size_t i = 0; i < n; i++)
		if (strcmp(ports[i].kname, arg) == 0)
			say("port %d %u %s", (int)ports[i].reason, ports[i].rule,
			    ports[i].detail);
	say("end");
	tb_list_free(ports, n);
	CHK_EQ(tb_list(NULL, &ports, &n), -EINVAL);
	tb_shutdown(k_b);
}

/* With a refused policy every port says so, with the policy's problem. */
Test(tb, list_policy_refused)
{
	char got[256], want[256];

	tu_policy(&env, "permit nobody %s\nbogus line\n", pty.port);
	kid_start(list_only_child, pty.port);
	kid_line(got, sizeof(got));
	snprintf(want, sizeof(want), "port %d 0 %s:2: ", TB_R_POLICY, env.policy);
	cr_assert_eq(strncmp(got, want, strlen(want)), 0, "got '%s', want '%s...'", got, want);
	kid_expect("end");
	kid_finish();
}

/* The child: list and report only how many of the ports were ptys. */
static void list_count_child(const void *arg)
{
	struct tb_port *ports = NULL;
	size_t n = 0, ptys = 0;

	(void)arg;
	kid_init();
	CHK_EQ(tb_list(k_b, &ports, &n), 0);
	for (size_t i = 0; i < n; i++)
		ptys += ports[i].pty;
	say("ptys %zu", ptys);
	tb_list_free(ports, n);
	tb_shutdown(k_b);
}

/*
 * Many candidates at once (a hundred ptys beside /sys/class/tty): the
 * confined backend orders them without a call its filter forbids (glibc's
 * qsort() asks sysinfo() for the memory size once the array is large).
 */
Test(tb, list_many_ptys)
{
	size_t count = sizeof(many) / sizeof(many[0]);
	char line[64];
	unsigned long got = 0;

	for (size_t i = 0; i < count; i++)
		tu_pty_open(&many[i], TU_NOBODY);
	tu_policy(&env, "permit nobody pts/*\n");
	kid_start(list_count_child, NULL);
	kid_line(line, sizeof(line));
	cr_assert_eq(sscanf(line, "ptys %lu", &got), 1, "%s", line);
	cr_assert_geq(got, count + 1, "all of our %zu ptys and the suite's: %s", count + 1, line);
	kid_finish();
}

/* ------------------------------------------------------------------ */
/* 17. Events the library keeps while it waits for a reply             */

/*
 * A fake broker on a fresh socketpair in place of the real backend (which
 * sees EOF and leaves), run by SCRIPT in a child; its exit status is the
 * script's verdict on what the library sent.  A script that passed stays
 * until the library hangs up (tb_shutdown), so the library never meets
 * the fake's EOF (-ECONNRESET) while the test still reads its events; one
 * that failed leaves at once, failing the library's call instead of
 * hanging it.  Returns the child's pid.
 */
static pid_t fake_broker(int (*script)(int sock))
{
	int sv[2];
	pid_t pid;

	CHK(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) == 0);
	pid = fork();
	CHK(pid >= 0);
	if (pid == 0) {
		int verdict;
		char c;

		close(sv[0]);
		verdict = script(sv[1]);
		while (verdict == 0 && recv(sv[1], &c, 1, 0) > 0)
			;
		_exit(verdict);
	}
	close(sv[1]);
	CHK(dup2(sv[0], tb_fd(k_b)) == tb_fd(k_b));
	close(sv[0]);
	return pid;
}

/* The fake's next message from the library, which must be of TYPE. */
static bool fake_recv(int sock, uint16_t type, union proto_msg *m)
{
	char buf[PROTO_MSG_MAX];
	ssize_t n = recv(sock, buf, sizeof(buf), 0);

	return n > 0 && proto_decode(buf, (size_t)n, PROTO_FROM_FRONTEND, false, m) == 0 &&
	       m->hdr.type == type;
}

/* The fake grants open request SEQ as HANDLE (the "port" is /dev/null). */
static bool fake_grant(int sock, uint32_t seq, uint32_t handle)
{
	struct proto_open_reply rep;
	int fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	bool ok;

	memset(&rep, 0, sizeof(rep));
	proto_hdr_init(&rep.hdr, PROTO_OPEN_REPLY, seq);
	rep.handle = handle;
	ok = fd >= 0 && fdpass_send(sock, &rep, sizeof(rep), fd) == 0;
	if (fd >= 0)
		close(fd);
	return ok;
}

/* The fake sends event EV about HANDLE (a hand-back carries /dev/null). */
static bool fake_event(int sock, uint32_t ev, uint32_t handle)
{
	struct proto_event m;
	int fd = ev == PROTO_EV_HANDBACK ? open("/dev/null", O_RDWR | O_CLOEXEC) : -1;
	bool ok;

	memset(&m, 0, sizeof(m));
	proto_hdr_init(&m.hdr, PROTO_EVENT, 0);
	m.event = ev;
	m.handle = handle;
	m.reason = ev == PROTO_EV_REFUSED ? PROTO_R_BUSY : 0;
	snprintf(m.kname, sizeof(m.kname), "pts/0");
	ok = fdpass_send(sock, &m, sizeof(m), fd) == 0;
	if (fd >= 0)
		close(fd);
	return ok;
}

/*
 * Two opens; hold 7 is revoked while the second waits for its reply.  The
 * library's release of the first port must not name 7 (the broker has
 * already let it go, and could have given the number to another hold):
 * the first release the fake hears is hold 8's.
 */
static int revoked_script(int sock)
{
	union proto_msg m;

	if (!fake_recv(sock, PROTO_OPEN, &m) || !fake_grant(sock, m.hdr.seq, 7))
		return 2;
	if (!fake_recv(sock, PROTO_OPEN, &m) || !fake_event(sock, PROTO_EV_REVOKED, 7) ||
	    !fake_grant(sock, m.hdr.seq, 8))
		return 3;
	if (!fake_recv(sock, PROTO_RELEASE, &m))
		return 4;
	return m.release.handle == 8 ? 0 : 5;
}

static void revoked_child(const void *arg)
{
	struct tb_event ev;
	pid_t fake;
	int a, b;

	(void)arg;
	kid_init();
	fake = fake_broker(revoked_script);
	CHK((a = tb_open(k_b, "pts/0", 0, NULL)) >= 0);
	CHK((b = tb_open(k_b, "pts/0", 0, NULL)) >= 0);
	CHK_EQ(tb_release(k_b, a), 0); /* before the REVOKED is read */
	CHK_EQ(tb_release(k_b, b), 0);
	CHK_EQ(tb_next_event(k_b, &ev), 1);
	CHK_EQ(ev.type, TB_EV_REVOKED);
	CHK_EQ(ev.fd, a);
	CHK_EQ(tb_next_event(k_b, &ev), 0);
	tb_shutdown(k_b); /* the fake's EOF: it leaves */
	say("fake %d", tu_wait(fake, IO_MS));
}

Test(tb, revoke_kept_during_open_updates_release_at_once)
{
	kid_start(revoked_child, NULL);
	kid_expect("fake 0");
	kid_finish();
}

/*
 * Every slot taken (BACKEND_MAX_SESSIONS opens), then a hand-back: the
 * library cannot keep it, gives it back (the fake must hear its release)
 * and says so as TB_EV_REFUSED, TB_R_BROKER, not as a port with no fd.
 */
static int handback_script(int sock)
{
	union proto_msg m;

	for (uint32_t h = 1; h <= BACKEND_MAX_SESSIONS; h++)
		if (!fake_recv(sock, PROTO_OPEN, &m) || !fake_grant(sock, m.hdr.seq, h))
			return 2;
	if (!fake_event(sock, PROTO_EV_HANDBACK, 99))
		return 3;
	if (!fake_recv(sock, PROTO_RELEASE, &m))
		return 4;
	return m.release.handle == 99 ? 0 : 5;
}

static void handback_child(const void *arg)
{
	struct pollfd p;
	struct tb_event ev;
	pid_t fake;
	int r;

	(void)arg;
	kid_init();
	fake = fake_broker(handback_script);
	for (int i = 0; i < BACKEND_MAX_SESSIONS; i++)
		CHK(tb_open(k_b, "pts/0", 0, NULL) >= 0);
	p = (struct pollfd){ .fd = tb_fd(k_b), .events = POLLIN };
	CHK_EQ(poll(&p, 1, IO_MS), 1);
	CHK_EQ(r = tb_next_event(k_b, &ev), 1);
	CHK_EQ(ev.type, TB_EV_REFUSED);
	CHK_EQ(ev.reason, TB_R_BROKER);
	CHK_EQ(ev.fd, -1);
	tb_shutdown(k_b); /* the fake's EOF: it leaves */
	say("fake %d", tu_wait(fake, IO_MS));
}

Test(tb, handback_without_room_is_refused)
{
	kid_start(handback_child, NULL);
	kid_expect("fake 0");
	kid_finish();
}

/* More events during one open than the library keeps. */
#define LOST_EVENTS 100

static int lost_script(int sock)
{
	struct proto_open_reply rep;
	union proto_msg m;

	if (!fake_recv(sock, PROTO_OPEN, &m))
		return 2;
	for (int i = 0; i < LOST_EVENTS; i++)
		if (!fake_event(sock, PROTO_EV_REFUSED, (uint32_t)(i + 1)))
			return 3;
	memset(&rep, 0, sizeof(rep));
	proto_hdr_init(&rep.hdr, PROTO_OPEN_REPLY, m.hdr.seq);
	rep.err = -EBUSY;
	rep.reason = PROTO_R_BUSY;
	return fdpass_send(sock, &rep, sizeof(rep), -1) == 0 ? 0 : 4;
}

/* The events that fit are all there, in order, and the loss is said. */
static void lost_child(const void *arg)
{
	struct tb_event ev;
	int r, got = 0, lost = 0;
	pid_t fake;

	(void)arg;
	kid_init();
	fake = fake_broker(lost_script);
	CHK_EQ(tb_open(k_b, "pts/0", 0, NULL), -EBUSY);
	while ((r = tb_next_event(k_b, &ev)) != 0) {
		if (r == -ENOBUFS) {
			lost++;
			continue;
		}
		CHK_EQ(r, 1);
		CHK_EQ(ev.type, TB_EV_REFUSED);
		got++;
		CHK(got <= LOST_EVENTS);
	}
	say("lost %d kept %s", lost, got >= BACKEND_MAX_SESSIONS && got < LOST_EVENTS ? "some" : "?");
	tb_shutdown(k_b); /* the fake's EOF: it leaves */
	say("fake %d", tu_wait(fake, IO_MS));
}

Test(tb, events_that_do_not_fit_are_said_lost)
{
	kid_start(lost_child, NULL);
	kid_expect("lost 1 kept some");
	kid_expect("fake 0");
	kid_finish();
}
