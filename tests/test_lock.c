/* SPDX-License-Identifier: MIT */
/*
 * test_lock.c - UUCP lock files and flock: naming, PID parsing, creation,
 * busy and stale detection, reclaiming under concurrency, release.
 * Every test works in a fresh mkdtemp directory that .fini removes again.
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "lock.h"

#define NOBODY 65534

static char tdir[64];
static int dfd = -1;

/* A fresh directory per test, and a directory fd on it as the backend has. */
static void setup(void)
{
	umask(022);
	snprintf(tdir, sizeof(tdir), "/tmp/test_lock.XXXXXX");
	cr_assert_not_null(mkdtemp(tdir));
	dfd = open(tdir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	cr_assert_geq(dfd, 0);
}

/* Remove everything the test made (files and empty directories). */
static void teardown(void)
{
	struct dirent *de;
	DIR *d;

	d = opendir(tdir);
	if (d) {
		while ((de = readdir(d))) {
			if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
				continue;
			if (unlinkat(dirfd(d), de->d_name, 0) < 0 &&
			    errno == EISDIR)
				unlinkat(dirfd(d), de->d_name, AT_REMOVEDIR);
		}
		closedir(d);
	}
	rmdir(tdir);
	if (dfd >= 0)
		close(dfd);
	dfd = -1;
}

TestSuite(lock, .init = setup, .fini = teardown);

/* ---- helpers ---------------------------------------------------------- */

static void put_file(const char *name, const void *buf, size_t len)
{
	int fd;

	fd = openat(dfd, name, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	cr_assert_geq(fd, 0, "create %s: %s", name, strerror(errno));
	cr_assert_eq(write(fd, buf, len), (ssize_t)len);
	cr_assert_eq(close(fd), 0);
}

static void put_str(const char *name, const char *s)
{
	put_file(name, s, strlen(s));
}

/* Content of NAME into BUF (NUL-terminated); returns its length. */
static size_t get_file(const char *name, char *buf, size_t cap)
{
	ssize_t n;
	int fd;

	fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	cr_assert_geq(fd, 0, "open %s: %s", name, strerror(errno));
	n = read(fd, buf, cap - 1);
	cr_assert_geq(n, 0);
	buf[n] = '\0';
	close(fd);
	return (size_t)n;
}

static struct stat lstat_at(const char *name)
{
	struct stat st;

	cr_assert_eq(fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW), 0,
		     "stat %s: %s", name, strerror(errno));
	return st;
}

static bool exists_at(const char *name)
{
	struct stat st;

	return fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0;
}

/* Number of entries in the test directory; *TMP counts ".LTMP" ones. */
static int dir_count(int *tmp)
{
	struct dirent *de;
	int n = 0;
	DIR *d;

	d = opendir(tdir);
	cr_assert_not_null(d);
	if (tmp)
		*tmp = 0;
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		n++;
		if (tmp && !strncmp(de->d_name, ".LTMP", 5))
			(*tmp)++;
	}
	closedir(d);
	return n;
}

/* The directory holds NAME and nothing else (no temporary file). */
static void assert_only(const char *name)
{
	int tmp;

	cr_assert_eq(dir_count(&tmp), 1);
	cr_assert_eq(tmp, 0);
	cr_assert(exists_at(name), "%s missing", name);
}

/* NAME holds exactly "%10d\n" of PID. */
static void assert_holds(const char *name, pid_t pid)
{
	char want[32], got[128];

	snprintf(want, sizeof(want), "%10d\n", (int)pid);
	cr_assert_eq(get_file(name, got, sizeof(got)), 11);
	cr_assert_str_eq(got, want);
}

/* A PID that just exited and was reaped. */
static pid_t dead_pid(void)
{
	pid_t pid = fork();
	int st;

	cr_assert_geq(pid, 0);
	if (pid == 0)
		_exit(0);
	cr_assert_eq(waitpid(pid, &st, 0), pid);
	return pid;
}

/* A child that lives until *WFD is closed (or the test process dies). */
static pid_t live_child(int *wfd)
{
	int p[2];
	char c;
	pid_t pid;

	cr_assert_eq(pipe2(p, O_CLOEXEC), 0);
	pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		close(p[1]);
		while (read(p[0], &c, 1) != 0 && errno == EINTR)
			;
		_exit(0);
	}
	close(p[0]);
	*wfd = p[1];
	return pid;
}

static void end_child(pid_t pid, int wfd)
{
	int st;

	close(wfd);
	cr_assert_eq(waitpid(pid, &st, 0), pid);
}

static void set_age(const char *name, int secs)
{
	struct timespec ts[2];

	clock_gettime(CLOCK_REALTIME, &ts[0]);
	ts[0].tv_sec -= secs;
	ts[1] = ts[0];
	cr_assert_eq(utimensat(dfd, name, ts, AT_SYMLINK_NOFOLLOW), 0);
}

/*
 * Hooks at exact points inside lock_acquire, to replay races one step at a
 * time: this binary's flock() and kill() take precedence over libc's.  They
 * enter the kernel directly; an armed hook runs once, just before.
 */
static void (*on_flock)(void);
static void (*on_kill)(void);

int flock(int fd, int op)
{
	void (*hook)(void) = on_flock;

	on_flock = NULL;
	if (hook)
		hook();
	return (int)syscall(SYS_flock, fd, op);
}

int kill(pid_t pid, int sig)
{
	void (*hook)(void) = on_kill;

	on_kill = NULL;
	if (hook)
		hook();
	return (int)syscall(SYS_kill, pid, sig);
}

/* Another locker won meanwhile: LCK..x is now a new file with our PID. */
static void replace_with_live(void)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%10d\n", (int)getpid());
	put_str("new", buf);
	cr_assert_eq(renameat(dfd, "new", dfd, "LCK..x"), 0);
}

/* ---- lock_name -------------------------------------------------------- */

struct name_case {
	char kname[64];
	char want[80];
};

ParameterizedTestParameters(lock, name_map)
{
	static struct name_case cases[] = {
		{ "pts/3", "LCK..pts_3" },
		{ "ttyUSB0", "LCK..ttyUSB0" },
		{ "ttyS0", "LCK..ttyS0" },
		{ "serial/by-id/usb-FTDI_FT232R-if00-port0",
		  "LCK..serial_by-id_usb-FTDI_FT232R-if00-port0" },
		{ "a//b/", "LCK..a__b_" },
	};

	return cr_make_param_array(struct name_case, cases,
				   sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct name_case *c, lock, name_map)
{
	char out[LOCK_NAME_MAX];

	memset(out, 'X', sizeof(out));
	cr_assert_eq(lock_name(c->kname, out, sizeof(out)), 0);
	cr_assert_str_eq(out, c->want);
}

Test(lock, name_bounds)
{
	char out[LOCK_NAME_MAX], big[LOCK_NAME_MAX + 8];

	/* "LCK..pts_3" is 10 characters plus NUL. */
	cr_assert_eq(lock_name("pts/3", out, 11), 0);
	cr_assert_str_eq(out, "LCK..pts_3");
	cr_assert_eq(lock_name("pts/3", out, 10), -ENAMETOOLONG);
	cr_assert_eq(lock_name("pts/3", out, 0), -ENAMETOOLONG);
	cr_assert_eq(lock_name("", out, sizeof(out)), -EINVAL);

	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	cr_assert_eq(lock_name(big, out, sizeof(out)), -ENAMETOOLONG);
	/* Longest that fits: LOCK_NAME_MAX - 1 - 5 characters. */
	big[LOCK_NAME_MAX - 6] = '\0';
	cr_assert_eq(lock_name(big, out, sizeof(out)), 0);
	cr_assert_eq(strlen(out), LOCK_NAME_MAX - 1);
}

/* ---- lock_read_pid ---------------------------------------------------- */

struct pid_case {
	char content[112];
	size_t len;
	bool binary; /* content is BIN in native byte order */
	int32_t bin;
	int ret;
	pid_t pid;
};

#define TXT(s) .content = s, .len = sizeof(s) - 1
#define BIN(v) .binary = true, .bin = (v), .len = 4
#define SP10 "          "
#define D10  "1234567890"
#define PAD64 "1234" SP10 SP10 SP10 SP10 SP10 "         \n"
#define PAD65 "1234" SP10 SP10 SP10 SP10 SP10 "          \n"
_Static_assert(sizeof(PAD64) - 1 == LOCK_READ_MAX, "PAD64");
_Static_assert(sizeof(PAD65) - 1 == LOCK_READ_MAX + 1, "PAD65");

ParameterizedTestParameters(lock, read_pid)
{
	static struct pid_case cases[] = {
		{ TXT("  1234\n"), .ret = 0, .pid = 1234 },
		{ TXT("1234"), .ret = 0, .pid = 1234 },
		{ TXT("1234\n\n"), .ret = 0, .pid = 1234 },
		{ TXT("      4242\n"), .ret = 0, .pid = 4242 },
		{ TXT("\t77 \r\n"), .ret = 0, .pid = 77 },
		{ TXT("2147483647\n"), .ret = 0, .pid = INT_MAX },
		{ TXT(PAD64), .ret = 0, .pid = 1234 },
		{ TXT(PAD65), .ret = -EINVAL },
		{ TXT(""), .ret = -EINVAL },
		{ TXT("\n"), .ret = -EINVAL },
		{ TXT("abc"), .ret = -EINVAL },
		{ TXT("12a"), .ret = -EINVAL },
		{ TXT("12 34\n"), .ret = -EINVAL },
		{ TXT("-5\n"), .ret = -EINVAL },
		{ TXT("+5\n"), .ret = -EINVAL },
		{ TXT("0\n"), .ret = -EINVAL },
		{ TXT("0000000000\n"), .ret = -EINVAL },
		{ TXT("2147483648\n"), .ret = -EINVAL },
		{ TXT("99999999999999999999"), .ret = -EINVAL },
		{ TXT(D10 D10 D10 D10 D10 D10 D10 D10 D10 D10), .ret = -EINVAL },
		{ TXT("abcd"), .ret = -EINVAL }, /* 4 bytes, no plausible PID */
		{ BIN(12345), .ret = 0, .pid = 12345 },
		{ BIN(1), .ret = 0, .pid = 1 },
		{ BIN(0), .ret = -EINVAL },
		{ BIN(-1), .ret = -EINVAL },
		{ BIN(INT32_MAX), .ret = -EINVAL },
	};

	return cr_make_param_array(struct pid_case, cases,
				   sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct pid_case *c, lock, read_pid)
{
	char buf[sizeof(c->content)];
	pid_t pid = -42;
	int r;

	if (c->binary)
		memcpy(buf, &c->bin, sizeof(c->bin));
	else
		memcpy(buf, c->content, c->len);
	put_file("LCK..x", buf, c->len);
	r = lock_read_pid(dfd, "LCK..x", &pid);
	cr_assert_eq(r, c->ret, "%zu-byte content \"%.*s\": got %d, want %d",
		     c->len, c->binary ? 0 : (int)c->len, c->content, r,
		     c->ret);
	if (c->ret == 0)
		cr_assert_eq(pid, c->pid);
}

Test(lock, read_pid_special)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	pid_t pid;
	int s;

	cr_assert_eq(lock_read_pid(dfd, "LCK..none", &pid), -ENOENT);
	cr_assert_eq(lock_read_pid(dfd, "", &pid), -EINVAL);
	cr_assert_eq(lock_read_pid(dfd, "sub/LCK..x", &pid), -EINVAL);

	put_str("target", "1234\n");
	cr_assert_eq(symlinkat("target", dfd, "LCK..link"), 0);
	cr_assert_eq(lock_read_pid(dfd, "LCK..link", &pid), -EPERM);
	cr_assert_eq(mkdirat(dfd, "LCK..dir", 0755), 0);
	cr_assert_eq(lock_read_pid(dfd, "LCK..dir", &pid), -EPERM);
	/* Must neither block nor succeed on a fifo with no writer. */
	cr_assert_eq(mkfifoat(dfd, "LCK..fifo", 0644), 0);
	cr_assert_eq(lock_read_pid(dfd, "LCK..fifo", &pid), -EPERM);
	s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	cr_assert_geq(s, 0);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/LCK..sock", tdir);
	cr_assert_eq(bind(s, (struct sockaddr *)&sa, sizeof(sa)), 0);
	close(s);
	cr_assert_eq(lock_read_pid(dfd, "LCK..sock", &pid), -EPERM);
}

/* The parser alone: only LEN bytes count, *PID is set on success only. */
Test(lock, parse_pid)
{
	int32_t bin = 4242;
	pid_t pid = -42;

	cr_assert_eq(lock_parse_pid("12345", 3, &pid), 0);
	cr_assert_eq(pid, 123);
	pid = -42;
	cr_assert_eq(lock_parse_pid("12x", 2, &pid), 0);
	cr_assert_eq(pid, 12);
	pid = -42;
	cr_assert_eq(lock_parse_pid("0\n", 2, &pid), -EINVAL);
	cr_assert_eq(lock_parse_pid("", 0, &pid), -EINVAL);
	cr_assert_eq(lock_parse_pid("\xff\xff\xff\xff", 4, &pid), -EINVAL);
	cr_assert_eq(pid, -42);
	cr_assert_eq(lock_parse_pid((const char *)&bin, sizeof(bin), &pid), 0);
	cr_assert_eq(pid, 4242);
}

/* ---- lock_acquire: creation ------------------------------------------- */

Test(lock, acquire_creates)
{
	struct lock_file lf;
	struct stat st;

	cr_assert_eq(lock_acquire(dfd, "ttyUSB0", 4242, &lf), 0);
	cr_assert_str_eq(lf.name, "LCK..ttyUSB0");
	st = lstat_at("LCK..ttyUSB0");
	cr_assert(S_ISREG(st.st_mode));
	cr_assert_eq(st.st_mode & 07777, 0644);
	cr_assert_eq(st.st_nlink, 1);
	cr_assert_eq(st.st_size, 11);
	cr_assert_eq(st.st_dev, lf.dev);
	cr_assert_eq(st.st_ino, lf.ino);
	assert_holds("LCK..ttyUSB0", 4242);
	assert_only("LCK..ttyUSB0");
}

Test(lock, acquire_maps_slash)
{
	struct lock_file lf;

	cr_assert_eq(lock_acquire(dfd, "pts/3", getpid(), &lf), 0);
	cr_assert_str_eq(lf.name, "LCK..pts_3");
	assert_holds("LCK..pts_3", getpid());
	assert_only("LCK..pts_3");
}

Test(lock, acquire_bad_args)
{
	struct lock_file lf;
	char big[LOCK_NAME_MAX + 1];

	cr_assert_eq(lock_acquire(dfd, "x", 0, &lf), -EINVAL);
	cr_assert_eq(lock_acquire(dfd, "x", -1, &lf), -EINVAL);
	cr_assert_eq(lock_acquire(dfd, "", 1, &lf), -EINVAL);
	cr_assert_eq(lock_acquire(dfd, "x", 1, NULL), -EINVAL);
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	cr_assert_eq(lock_acquire(dfd, big, 1, &lf), -ENAMETOOLONG);
	/* A failed acquire leaves *LF empty, so releasing it is refused. */
	cr_assert_eq(lock_release(dfd, &lf), -EINVAL);
	cr_assert_eq(dir_count(NULL), 0);
}

Test(lock, acquire_twice_is_busy)
{
	struct lock_file lf, lf2;

	cr_assert_eq(lock_acquire(dfd, "x", getpid(), &lf), 0);
	cr_assert_eq(lock_acquire(dfd, "x", getpid(), &lf2), -EBUSY);
	assert_holds("LCK..x", getpid());
	assert_only("LCK..x");
	cr_assert_eq(lock_release(dfd, &lf), 0);
	cr_assert_eq(lock_acquire(dfd, "x", getpid(), &lf2), 0);
	assert_only("LCK..x");
}

/* ---- lock_acquire: an existing file with a PID ------------------------ */

enum who { WHO_SELF, WHO_INIT, WHO_CHILD, WHO_DEAD };
enum fmt { FMT_UUCP, FMT_PLAIN, FMT_BINARY };

struct held_case {
	enum who who;
	enum fmt fmt;
	int ret;
};

ParameterizedTestParameters(lock, existing_pid)
{
	static struct held_case cases[] = {
		{ WHO_SELF, FMT_UUCP, -EBUSY },
		{ WHO_INIT, FMT_UUCP, -EBUSY },
		{ WHO_CHILD, FMT_UUCP, -EBUSY },
		{ WHO_CHILD, FMT_PLAIN, -EBUSY },
		{ WHO_CHILD, FMT_BINARY, -EBUSY },
		{ WHO_DEAD, FMT_UUCP, 0 },
		{ WHO_DEAD, FMT_PLAIN, 0 },
		{ WHO_DEAD, FMT_BINARY, 0 },
	};

	return cr_make_param_array(struct held_case, cases,
				   sizeof(cases) / sizeof(cases[0]));
}

static void put_pid(const char *name, pid_t pid, enum fmt fmt)
{
	char buf[32];
	int32_t bin = pid;

	switch (fmt) {
	case FMT_UUCP:
		snprintf(buf, sizeof(buf), "%10d\n", (int)pid);
		put_str(name, buf);
		break;
	case FMT_PLAIN:
		snprintf(buf, sizeof(buf), "%d", (int)pid);
		put_str(name, buf);
		break;
	case FMT_BINARY:
		put_file(name, &bin, sizeof(bin));
		break;
	}
}

/* Live holder: -EBUSY and the file untouched; dead holder: reclaimed. */
ParameterizedTest(struct held_case *c, lock, existing_pid)
{
	char before[128], after[128];
	struct lock_file lf;
	struct stat st0, st1;
	pid_t holder = 0, me = getpid();
	int wfd = -1;

	switch (c->who) {
	case WHO_SELF: holder = me; break;
	case WHO_INIT: holder = 1; break;
	case WHO_CHILD: holder = live_child(&wfd); break;
	case WHO_DEAD: holder = dead_pid(); break;
	}
	put_pid("LCK..x", holder, c->fmt);
	/* Old enough that even "unreadable" would count as stale. */
	set_age("LCK..x", 3600);
	get_file("LCK..x", before, sizeof(before));
	st0 = lstat_at("LCK..x");

	cr_assert_eq(lock_acquire(dfd, "x", me, &lf), c->ret);
	st1 = lstat_at("LCK..x");
	if (c->ret == 0) {
		assert_holds("LCK..x", me);
		cr_assert_eq(st1.st_ino, lf.ino);
	} else {
		get_file("LCK..x", after, sizeof(after));
		cr_assert_str_eq(after, before);
		cr_assert_eq(st1.st_ino, st0.st_ino);
		cr_assert_eq(st1.st_mtime, st0.st_mtime);
	}
	assert_only("LCK..x");
	if (wfd >= 0)
		end_child(holder, wfd);
}

/* kill(pid, 0) failing with EPERM means alive: test it as user nobody. */
Test(lock, existing_pid_other_user)
{
	struct lock_file lf;
	struct stat st0, st1;
	pid_t pid;
	int status, r;

	cr_assert_eq(chmod(tdir, 0777), 0);
	put_pid("LCK..x", 1, FMT_UUCP);
	set_age("LCK..x", 3600);
	st0 = lstat_at("LCK..x");

	pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		if (setgroups(0, NULL) < 0 || setgid(NOBODY) < 0 ||
		    setuid(NOBODY) < 0)
			_exit(250);
		if (kill(1, 0) == 0 || errno != EPERM)
			_exit(251);
		r = lock_acquire(dfd, "x", getpid(), &lf);
		_exit(r < 0 ? -r : 252);
	}
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	cr_assert(WIFEXITED(status));
	cr_assert_eq(WEXITSTATUS(status), EBUSY, "child said %d",
		     WEXITSTATUS(status));
	st1 = lstat_at("LCK..x");
	cr_assert_eq(st1.st_ino, st0.st_ino);
	assert_holds("LCK..x", 1);
	assert_only("LCK..x");
}

/* ---- lock_acquire: unreadable content --------------------------------- */

struct junk_case {
	char content[112];
	size_t len;
	int age;
	int ret;
};

ParameterizedTestParameters(lock, unreadable)
{
	static struct junk_case cases[] = {
		{ TXT(""), .age = 0, .ret = -EBUSY },
		{ TXT("garbage\n"), .age = 0, .ret = -EBUSY },
		{ TXT("0000000000\n"), .age = 0, .ret = -EBUSY },
		{ TXT("abc"), .age = LOCK_UNREADABLE_GRACE - 5, .ret = -EBUSY },
		{ TXT(""), .age = 60, .ret = 0 },
		{ TXT("garbage\n"), .age = 60, .ret = 0 },
		{ TXT("0000000000\n"), .age = 60, .ret = 0 },
		{ TXT(D10 D10 D10 D10 D10 D10 D10 D10 D10 D10), .age = 60,
		  .ret = 0 },
	};

	return cr_make_param_array(struct junk_case, cases,
				   sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct junk_case *c, lock, unreadable)
{
	char got[128];
	struct lock_file lf;
	struct stat st0, st1;

	put_file("LCK..x", c->content, c->len);
	if (c->age)
		set_age("LCK..x", c->age);
	st0 = lstat_at("LCK..x");

	cr_assert_eq(lock_acquire(dfd, "x", getpid(), &lf), c->ret);
	st1 = lstat_at("LCK..x");
	if (c->ret == 0) {
		assert_holds("LCK..x", getpid());
		cr_assert_eq(st1.st_ino, lf.ino);
	} else {
		cr_assert_eq(st1.st_ino, st0.st_ino);
		cr_assert_eq(get_file("LCK..x", got, sizeof(got)), c->len);
		cr_assert_eq(memcmp(got, c->content, c->len), 0);
	}
	assert_only("LCK..x");
}

/* Somebody else reclaiming holds flock on the stale file: keep off. */
Test(lock, stale_being_reclaimed)
{
	struct lock_file lf;
	struct stat st0, st1;
	int fd;

	put_pid("LCK..x", dead_pid(), FMT_UUCP);
	st0 = lstat_at("LCK..x");
	fd = openat(dfd, "LCK..x", O_RDONLY | O_CLOEXEC);
	cr_assert_geq(fd, 0);
	cr_assert_eq(flock(fd, LOCK_EX | LOCK_NB), 0);

	cr_assert_eq(lock_acquire(dfd, "x", getpid(), &lf), -EBUSY);
	st1 = lstat_at("LCK..x");
	cr_assert_eq(st1.st_ino, st0.st_ino);
	assert_only("LCK..x");

	close(fd);
	cr_assert_eq(lock_acquire(dfd, "x", getpid(), &lf), 0);
	assert_holds("LCK..x", getpid());
}

/*
 * The stale file is replaced by a live lock after we judged it stale but
 * before we open it (hook on the liveness probe), or after we opened it
 * (hook on flock): either way the new lock must survive.
 */
ParameterizedTestParameters(lock, stale_replaced)
{
	static bool at_flock[] = { false, true };

	return cr_make_param_array(bool, at_flock, 2);
}

ParameterizedTest(bool *at_flock, lock, stale_replaced)
{
	struct lock_file lf;

	put_pid("LCK..x", dead_pid(), FMT_UUCP);
	if (*at_flock)
		on_flock = replace_with_live;
	else
		on_kill = replace_with_live;

	cr_assert_eq(lock_acquire(dfd, "x", 4242, &lf), -EBUSY);
	cr_assert_null(*at_flock ? on_flock : on_kill, "hook never ran");
	assert_holds("LCK..x", getpid());
	assert_only("LCK..x");
}

/* ---- lock_acquire: non-regular lock names ----------------------------- */

enum odd { ODD_SYMLINK, ODD_DANGLING, ODD_DIR, ODD_FIFO, ODD_SOCKET };

ParameterizedTestParameters(lock, non_regular)
{
	static enum odd cases[] = { ODD_SYMLINK, ODD_DANGLING, ODD_DIR,
				    ODD_FIFO, ODD_SOCKET };

	return cr_make_param_array(enum odd, cases,
				   sizeof(cases) / sizeof(cases[0]));
}

/* Left alone with -EPERM, even when it points at a stale-looking file. */
ParameterizedTest(enum odd *kind, lock, non_regular)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char want[32], got[128];
	struct lock_file lf;
	struct stat st0, st1;
	int s, tmp;

	snprintf(want, sizeof(want), "%10d\n", (int)dead_pid());
	put_str("target", want);
	set_age("target", 3600);
	switch (*kind) {
	case ODD_SYMLINK:
		cr_assert_eq(symlinkat("target", dfd, "LCK..x"), 0);
		break;
	case ODD_DANGLING:
		cr_assert_eq(symlinkat("nowhere", dfd, "LCK..x"), 0);
		break;
	case ODD_DIR:
		cr_assert_eq(mkdirat(dfd, "LCK..x", 0755), 0);
		break;
	case ODD_FIFO:
		cr_assert_eq(mkfifoat(dfd, "LCK..x", 0644), 0);
		break;
	case ODD_SOCKET:
		s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		cr_assert_geq(s, 0);
		snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/LCK..x", tdir);
		cr_assert_eq(bind(s, (struct sockaddr *)&sa, sizeof(sa)), 0);
		close(s);
		break;
	}
	st0 = lstat_at("LCK..x");

	cr_assert_eq(lock_acquire(dfd, "x", getpid(), &lf), -EPERM);
	st1 = lstat_at("LCK..x");
	cr_assert_eq(st1.st_ino, st0.st_ino);
	cr_assert_eq(st1.st_mode, st0.st_mode);
	get_file("target", got, sizeof(got));
	cr_assert_str_eq(got, want);
	cr_assert_eq(dir_count(&tmp), 2);
	cr_assert_eq(tmp, 0);
}

/* A fifo lock name is not even opened: a blocked writer stays blocked. */
Test(lock, fifo_not_opened)
{
	char path[PATH_MAX];
	struct lock_file lf;
	pid_t pid;
	int st, fd;

	cr_assert_eq(mkfifoat(dfd, "LCK..x", 0644), 0);
	snprintf(path, sizeof(path), "%s/LCK..x", tdir);
	pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0)
		_exit(open(path, O_WRONLY | O_CLOEXEC) < 0);
	usleep(50000);

	cr_assert_eq(lock_acquire(dfd, "x", getpid(), &lf), -EPERM);
	usleep(50000);
	cr_assert_eq(waitpid(pid, &st, WNOHANG), 0, "lock opened the fifo");

	fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	cr_assert_geq(fd, 0);
	cr_assert_eq(waitpid(pid, &st, 0), pid);
	close(fd);
}

/* ---- lock_acquire: leftover temporary file ---------------------------- */

ParameterizedTestParameters(lock, leftover_tmp)
{
	static bool as_symlink[] = { false, true };

	return cr_make_param_array(bool, as_symlink, 2);
}

/* Our temporary name already exists: replaced, never followed or kept. */
ParameterizedTest(bool *as_symlink, lock, leftover_tmp)
{
	char tmpname[LOCK_NAME_MAX + 32], got[128];
	struct lock_file lf;
	int tmp;

	snprintf(tmpname, sizeof(tmpname), ".LTMP..LCK..x.%d", (int)getpid());
	put_str("victim", "precious\n");
	if (*as_symlink)
		cr_assert_eq(symlinkat("victim", dfd, tmpname), 0);
	else
		put_str(tmpname, "left over\n");

	cr_assert_eq(lock_acquire(dfd, "x", 777, &lf), 0);
	assert_holds("LCK..x", 777);
	cr_assert(!exists_at(tmpname));
	get_file("victim", got, sizeof(got));
	cr_assert_str_eq(got, "precious\n");
	cr_assert_eq(dir_count(&tmp), 2);
	cr_assert_eq(tmp, 0);
}

/* ---- lock_release ----------------------------------------------------- */

Test(lock, release)
{
	struct lock_file lf;

	cr_assert_eq(lock_acquire(dfd, "x", getpid(), &lf), 0);
	cr_assert_eq(lock_release(dfd, &lf), 0);
	cr_assert(!exists_at("LCK..x"));
	cr_assert_eq(dir_count(NULL), 0);
	cr_assert_eq(lock_release(dfd, &lf), -ENOENT);
}

Test(lock, release_replaced)
{
	struct lock_file lf;
	char got[128];
	int old;

	cr_assert_eq(lock_acquire(dfd, "x", getpid(), &lf), 0);
	/* Keep the old inode alive so the new file cannot reuse its number. */
	old = openat(dfd, "LCK..x", O_RDONLY | O_CLOEXEC);
	cr_assert_geq(old, 0);
	cr_assert_eq(unlinkat(dfd, "LCK..x", 0), 0);
	put_str("LCK..x", "      9999\n");
	close(old);

	cr_assert_eq(lock_release(dfd, &lf), -ESTALE);
	get_file("LCK..x", got, sizeof(got));
	cr_assert_str_eq(got, "      9999\n");
	assert_only("LCK..x");
}

/* ---- concurrency ------------------------------------------------------ */

#define RACERS 8
#define ROUNDS 5

enum start { START_STALE, START_NONE, START_JUNK };

struct result {
	pid_t pid;
	int r;
};

ParameterizedTestParameters(lock, race)
{
	static enum start cases[] = { START_STALE, START_NONE, START_JUNK };

	return cr_make_param_array(enum start, cases,
				   sizeof(cases) / sizeof(cases[0]));
}

/* A racer: wait for the start signal, lock, report, hold until told. */
static void racer(int go, int res, int hold)
{
	struct result out;
	struct lock_file lf;
	char c;

	while (read(go, &c, 1) < 0 && errno == EINTR)
		;
	out.pid = getpid();
	out.r = lock_acquire(dfd, "race", out.pid, &lf);
	if (write(res, &out, sizeof(out)) != sizeof(out))
		_exit(1);
	while (read(hold, &c, 1) < 0 && errno == EINTR)
		;
	_exit(0);
}

static void race_round(enum start start)
{
	struct result res[RACERS];
	pid_t kids[RACERS], winner = 0;
	int go[2], rp[2], hold[2], i, wins = 0, st;

	if (start == START_STALE)
		put_pid("LCK..race", dead_pid(), FMT_UUCP);
	if (start == START_JUNK) {
		put_str("LCK..race", "junk");
		set_age("LCK..race", 60);
	}
	cr_assert_eq(pipe2(go, O_CLOEXEC), 0);
	cr_assert_eq(pipe2(rp, O_CLOEXEC), 0);
	cr_assert_eq(pipe2(hold, O_CLOEXEC), 0);
	for (i = 0; i < RACERS; i++) {
		kids[i] = fork();
		cr_assert_geq(kids[i], 0);
		if (kids[i] == 0) {
			close(go[1]);
			close(rp[0]);
			close(hold[1]);
			racer(go[0], rp[1], hold[0]);
		}
	}
	close(go[0]);
	close(rp[1]);
	close(hold[0]);
	close(go[1]); /* everybody starts now */

	for (i = 0; i < RACERS; i++) {
		cr_assert_eq(read(rp[0], &res[i], sizeof(res[i])),
			     sizeof(res[i]));
		if (res[i].r == 0) {
			wins++;
			winner = res[i].pid;
		} else {
			cr_assert_eq(res[i].r, -EBUSY, "racer got %d",
				     res[i].r);
		}
	}
	cr_assert_eq(wins, 1);
	assert_holds("LCK..race", winner);
	assert_only("LCK..race");

	close(hold[1]);
	close(rp[0]);
	for (i = 0; i < RACERS; i++)
		cr_assert_eq(waitpid(kids[i], &st, 0), kids[i]);
	cr_assert_eq(unlinkat(dfd, "LCK..race", 0), 0);
}

/* Of several lockers started at once, exactly one wins, the rest -EBUSY. */
ParameterizedTest(enum start *start, lock, race)
{
	int round;

	for (round = 0; round < ROUNDS; round++)
		race_round(*start);
}

/* ---- lock_flock ------------------------------------------------------- */

ParameterizedTestParameters(lock, flock)
{
	static bool on_pty[] = { false, true };

	return cr_make_param_array(bool, on_pty, 2);
}

/* Two opens are two open file descriptions: the second is shut out. */
ParameterizedTest(bool *on_pty, lock, flock)
{
	char path[PATH_MAX];
	int m = -1, a, b;

	if (*on_pty) {
		m = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
		cr_assert_geq(m, 0);
		cr_assert_eq(grantpt(m), 0);
		cr_assert_eq(unlockpt(m), 0);
		cr_assert_eq(ptsname_r(m, path, sizeof(path)), 0);
	} else {
		put_str("port", "");
		snprintf(path, sizeof(path), "%s/port", tdir);
	}
	a = open(path, O_RDWR | O_NOCTTY | O_CLOEXEC);
	b = open(path, O_RDWR | O_NOCTTY | O_CLOEXEC);
	cr_assert_geq(a, 0);
	cr_assert_geq(b, 0);

	cr_assert_eq(lock_flock(a), 0);
	cr_assert_eq(lock_flock(a), 0); /* again on the same one is fine */
	cr_assert_eq(lock_flock(b), -EBUSY);
	close(a);
	cr_assert_eq(lock_flock(b), 0);
	close(b);
	if (m >= 0)
		close(m);
}

Test(lock, flock_bad_fd)
{
	cr_assert_eq(lock_flock(-1), -EBADF);
}

/* ---- lock_acquire_port: the device-number lock (LK.D.M.m) -------------- */

/* A character device node's stat: on file system FSMAJ:0, device MAJ:MIN. */
static struct stat node_stat(unsigned int fsmaj, unsigned int maj, unsigned int min)
{
	struct stat st;

	memset(&st, 0, sizeof(st));
	st.st_mode = S_IFCHR | 0660;
	st.st_dev = makedev(fsmaj, 0);
	st.st_rdev = makedev(maj, min);
	return st;
}

struct devname_case {
	unsigned int fsmaj, maj, min;
	char want[40];
};

ParameterizedTestParameters(lock, devname)
{
	static struct devname_case cases[] = {
		{ 0, 4, 64, "LK.000.004.064" },     /* ttyS0 on devtmpfs */
		{ 253, 188, 0, "LK.253.188.000" },  /* ttyUSB0 on a disk */
		{ 0, 166, 1234, "LK.000.166.1234" },
	};

	return cr_make_param_array(struct devname_case, cases,
				   sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct devname_case *c, lock, devname)
{
	struct stat st = node_stat(c->fsmaj, c->maj, c->min);
	char out[LOCK_DEVNAME_MAX];

	cr_assert_eq(lock_devname(&st, out, sizeof(out)), 0);
	cr_assert_str_eq(out, c->want);
	cr_assert_eq(lock_devname(&st, out, 8), -ENAMETOOLONG);
	st.st_mode = S_IFREG | 0644;
	cr_assert_eq(lock_devname(&st, out, sizeof(out)), -EINVAL);
}

Test(lock, port_takes_both_names)
{
	struct stat node = node_stat(0, 4, 64), a, b;
	struct lock_file lf;
	pid_t holder = -1;

	cr_assert_eq(lock_acquire_port(dfd, "ttyS0", &node, getpid(), &lf, &holder), 0);
	cr_assert_eq(holder, 0);
	cr_assert_str_eq(lf.name, "LCK..ttyS0");
	cr_assert_str_eq(lf.devname, "LK.000.004.064");
	assert_holds("LCK..ttyS0", getpid());
	assert_holds("LK.000.004.064", getpid());
	a = lstat_at("LCK..ttyS0");
	b = lstat_at("LK.000.004.064");
	cr_assert(a.st_ino == b.st_ino && a.st_nlink == 2, "one file, two names");
	cr_assert_eq(dir_count(NULL), 2);
	cr_assert_eq(lock_release(dfd, &lf), 0);
	cr_assert_eq(dir_count(NULL), 0, "release removes both names");
}

/* Another name for the same device is busy, and says who holds it. */
Test(lock, port_other_name_same_device)
{
	struct stat node = node_stat(0, 4, 64);
	struct lock_file lf, lf2;
	pid_t holder = 0;

	cr_assert_eq(lock_acquire_port(dfd, "ttyS0", &node, getpid(), &lf, NULL), 0);
	cr_assert_eq(lock_acquire_port(dfd, "ttyALIAS", &node, 4242, &lf2, &holder),
		     -EBUSY);
	cr_assert_eq(holder, getpid());
	cr_assert_not(exists_at("LCK..ttyALIAS"), "both or neither");
	cr_assert_eq(dir_count(NULL), 2);
	cr_assert_eq(lock_release(dfd, &lf), 0);
	cr_assert_eq(lock_acquire_port(dfd, "ttyALIAS", &node, getpid(), &lf2, &holder), 0);
	cr_assert_eq(lock_release(dfd, &lf2), 0);
	cr_assert_eq(dir_count(NULL), 0);
}

/* An LK file from lockdev & co: live is busy (holder named), dead is reclaimed. */
Test(lock, port_foreign_device_lock)
{
	struct stat node = node_stat(0, 188, 0);
	struct lock_file lf;
	char buf[32];
	pid_t holder = 0, child;
	int wfd;

	child = live_child(&wfd);
	snprintf(buf, sizeof(buf), "%10d\n", (int)child);
	put_str("LK.000.188.000", buf);
	cr_assert_eq(lock_acquire_port(dfd, "ttyUSB0", &node, getpid(), &lf, &holder),
		     -EBUSY);
	cr_assert_eq(holder, child);
	assert_only("LK.000.188.000");
	end_child(child, wfd);
	cr_assert_eq(lock_acquire_port(dfd, "ttyUSB0", &node, getpid(), &lf, &holder), 0);
	assert_holds("LK.000.188.000", getpid());
	cr_assert_eq(lock_release(dfd, &lf), 0);
	cr_assert_eq(dir_count(NULL), 0);
}

/* The LCK.. file's holder is reported too. */
Test(lock, port_busy_names_holder)
{
	struct stat node = node_stat(0, 188, 0);
	struct lock_file lf;
	char buf[32];
	pid_t holder = 0;

	snprintf(buf, sizeof(buf), "%10d\n", 1);
	put_str("LCK..ttyUSB0", buf);
	cr_assert_eq(lock_acquire_port(dfd, "ttyUSB0", &node, getpid(), &lf, &holder),
		     -EBUSY);
	cr_assert_eq(holder, 1);
	assert_only("LCK..ttyUSB0");
}

/* ---- lock_acquire_client: the client's own lock file (branch finish8) ---- */

enum file_pid { FP_CLIENT, FP_OTHER_LIVE, FP_DEAD };

struct own_case {
	char name[20];      /* which name the file is put under */
	enum file_pid pid;  /* whose PID it holds */
	uid_t owner;        /* its owner; the client is NOBODY */
	int ret;
	unsigned int theirs; /* expected lf.theirs on success */
};

ParameterizedTestParameters(lock, client_own_file)
{
	static struct own_case cases[] = {
		/* minicom's LCK.. file: accepted as it is */
		{ "LCK..ttyS0", FP_CLIENT, NOBODY, 0, LOCK_THEIRS_NAME },
		/* a lockdev-style client's LK file: the same */
		{ "LK.000.004.064", FP_CLIENT, NOBODY, 0, LOCK_THEIRS_DEVNAME },
		/* its PID, somebody else's file (a reused PID): busy as before */
		{ "LCK..ttyS0", FP_CLIENT, 0, -EBUSY, 0 },
		/* another live process: busy */
		{ "LCK..ttyS0", FP_OTHER_LIVE, NOBODY, -EBUSY, 0 },
		{ "LK.000.004.064", FP_OTHER_LIVE, NOBODY, -EBUSY, 0 },
		/* a dead one: stale, reclaimed and ours */
		{ "LCK..ttyS0", FP_DEAD, NOBODY, 0, 0 },
		{ "LCK..ttyS0", FP_DEAD, 0, 0, 0 },
	};

	return cr_make_param_array(struct own_case, cases, sizeof(cases) / sizeof(cases[0]));
}

/*
 * The client (a live child, uid NOBODY) may have written LCK..NAME itself:
 * accepted untouched, and still there, untouched, after release; our
 * other name is taken and released as usual.  Anyone else's live file is
 * busy and untouched; a dead one is reclaimed.
 */
ParameterizedTest(struct own_case *c, lock, client_own_file)
{
	struct stat node = node_stat(0, 4, 64), st0, st1;
	char before[128], after[128], buf[32];
	const char *other;
	struct lock_file lf;
	pid_t client, live, holder = -1, in_file = 0;
	int wfd_c, wfd_l;

	client = live_child(&wfd_c);
	live = live_child(&wfd_l);
	other = strcmp(c->name, "LCK..ttyS0") == 0 ? "LK.000.004.064" : "LCK..ttyS0";
	switch (c->pid) {
	case FP_CLIENT: in_file = client; break;
	case FP_OTHER_LIVE: in_file = live; break;
	case FP_DEAD: in_file = dead_pid(); break;
	}
	snprintf(buf, sizeof(buf), "%10d\n", (int)in_file);
	put_str(c->name, buf);
	cr_assert_eq(fchownat(dfd, c->name, c->owner, c->owner, AT_SYMLINK_NOFOLLOW), 0);
	set_age(c->name, 3600);
	get_file(c->name, before, sizeof(before));
	st0 = lstat_at(c->name);

	cr_assert_eq(lock_acquire_client(dfd, "ttyS0", &node, client, NOBODY, &lf, &holder),
		     c->ret);
	if (c->ret < 0) {
		cr_assert_eq(holder, in_file, "busy names the holder");
		get_file(c->name, after, sizeof(after));
		cr_assert_str_eq(after, before);
		st1 = lstat_at(c->name);
		cr_assert_eq(st1.st_ino, st0.st_ino);
		cr_assert_eq(st1.st_mtime, st0.st_mtime);
		cr_assert_not(exists_at(other), "both or neither");
		assert_only(c->name);
		goto out;
	}
	cr_assert_eq(holder, 0);
	cr_assert_eq(lf.theirs, c->theirs);
	cr_assert_eq(dir_count(NULL), 2, "both names, no temporary file");
	assert_holds(other, client);
	st1 = lstat_at(c->name);
	if (c->theirs) {
		/* Not rewritten: same file, content and time. */
		get_file(c->name, after, sizeof(after));
		cr_assert_str_eq(after, before);
		cr_assert_eq(st1.st_ino, st0.st_ino);
		cr_assert_eq(st1.st_mtime, st0.st_mtime);
		cr_assert_eq(st1.st_uid, c->owner);
	} else {
		assert_holds(c->name, client);
		cr_assert_neq(st1.st_ino, st0.st_ino);
	}
	cr_assert_eq(lock_release(dfd, &lf), 0);
	cr_assert_not(exists_at(other), "our name is released");
	if (c->theirs) {
		assert_only(c->name);
		get_file(c->name, after, sizeof(after));
		cr_assert_str_eq(after, before, "the client's own file is left to it");
		st1 = lstat_at(c->name);
		cr_assert_eq(st1.st_ino, st0.st_ino);
	} else {
		cr_assert_eq(dir_count(NULL), 0);
	}
out:
	end_child(live, wfd_l);
	end_child(client, wfd_c);
}

/* The client's own LCK.. file stays when our LK name is busy: both or neither of ours. */
Test(lock, client_own_file_kept_when_device_busy)
{
	struct stat node = node_stat(0, 4, 64);
	struct lock_file lf;
	char buf[32], before[128], after[128];
	pid_t client, live, holder = 0;
	int wfd_c, wfd_l;

	client = live_child(&wfd_c);
	live = live_child(&wfd_l);
	snprintf(buf, sizeof(buf), "%10d\n", (int)client);
	put_str("LCK..ttyS0", buf);
	snprintf(buf, sizeof(buf), "%10d\n", (int)live);
	put_str("LK.000.004.064", buf);
	get_file("LCK..ttyS0", before, sizeof(before));
	cr_assert_eq(lock_acquire_client(dfd, "ttyS0", &node, client, getuid(), &lf, &holder),
		     -EBUSY);
	cr_assert_eq(holder, live);
	get_file("LCK..ttyS0", after, sizeof(after));
	cr_assert_str_eq(after, before, "the client's file is not removed on failure");
	cr_assert_eq(dir_count(NULL), 2);
	end_child(live, wfd_l);
	end_child(client, wfd_c);
}

/* Without the client's identity (lock_acquire_port) a file naming PID is busy. */
Test(lock, port_own_pid_still_busy)
{
	struct lock_file lf;
	char buf[32];

	snprintf(buf, sizeof(buf), "%10d\n", (int)getpid());
	put_str("LCK..ttyS0", buf);
	cr_assert_eq(lock_acquire_port(dfd, "ttyS0", NULL, getpid(), &lf, NULL), -EBUSY);
	assert_only("LCK..ttyS0");
}
