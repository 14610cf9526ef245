/* SPDX-License-Identifier: MIT */
/*
 * test_landlock.c - the backend's Landlock rules, applied for real in a
 * forked child: with CAP_DAC_OVERRIDE still held (we run as root), files
 * may be opened only below the "dev" directory and created or removed only
 * in the lock directory, and read-only below the "sys" directory.
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "landlock.h"
#include "testutil.h"

static char tmp[64];
static char outside[96];

static void ll_setup(void)
{
	char path[128];
	int fd;

	snprintf(tmp, sizeof(tmp), "/tmp/tb-ll.XXXXXX");
	cr_assert_not_null(mkdtemp(tmp));
	snprintf(path, sizeof(path), "%s/lock", tmp);
	cr_assert_eq(mkdir(path, 0755), 0);
	snprintf(outside, sizeof(outside), "%s/outside", tmp);
	fd = open(outside, O_WRONLY | O_CREAT | O_EXCL, 0644);
	cr_assert_geq(fd, 0);
	close(fd);
	snprintf(path, sizeof(path), "%s/sys", tmp);
	cr_assert_eq(mkdir(path, 0755), 0);
	snprintf(path, sizeof(path), "%s/sys/attr", tmp);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0644);
	cr_assert_geq(fd, 0);
	close(fd);
}

static void ll_teardown(void)
{
	tu_rm_tree(tmp); /* also what a test that failed let a confined child make */
}

TestSuite(landlock, .init = ll_setup, .fini = ll_teardown);

enum ll_op { LL_OPEN_RDWR, LL_OPEN_RD, LL_CREATE, LL_UNLINK };

struct ll_case {
	enum ll_op op;
	char where[16];  /* "dev", "lock", "sys", "tmp", "etc" */
	char name[24];
	int want;        /* 0 or an errno */
};

/* Resolve a case to a path. */
static void ll_path(const struct ll_case *c, char *out, size_t len)
{
	if (strcmp(c->where, "dev") == 0)
		snprintf(out, len, "/dev/%s", c->name);
	else if (strcmp(c->where, "lock") == 0)
		snprintf(out, len, "%s/lock/%s", tmp, c->name);
	else if (strcmp(c->where, "sys") == 0)
		snprintf(out, len, "%s/sys/%s", tmp, c->name);
	else if (strcmp(c->where, "etc") == 0)
		snprintf(out, len, "/etc/%s", c->name);
	else
		snprintf(out, len, "%s/%s", tmp, c->name);
}

static int ll_do(const struct ll_case *c)
{
	char path[160];
	int fd = -1;

	ll_path(c, path, sizeof(path));
	switch (c->op) {
	case LL_OPEN_RDWR:
		fd = open(path, O_RDWR | O_CLOEXEC);
		break;
	case LL_OPEN_RD:
		fd = open(path, O_RDONLY | O_CLOEXEC);
		break;
	case LL_CREATE:
		fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
		break;
	case LL_UNLINK:
		return unlink(path) == 0 ? 0 : errno;
	}
	if (fd < 0)
		return errno;
	close(fd);
	return 0;
}

ParameterizedTestParameters(landlock, rules)
{
	static struct ll_case cases[] = {
		{ LL_OPEN_RDWR, "dev", "null", 0 },
		{ LL_OPEN_RD, "dev", "zero", 0 },
		{ LL_CREATE, "lock", "LCK..x", 0 },
		{ LL_OPEN_RD, "etc", "passwd", EACCES },
		{ LL_OPEN_RDWR, "tmp", "outside", EACCES },
		{ LL_CREATE, "tmp", "made", EACCES },
		{ LL_UNLINK, "tmp", "outside", EACCES },
		{ LL_CREATE, "etc", "ld.so.preload", EACCES },
		{ LL_OPEN_RD, "sys", "attr", 0 },
		{ LL_OPEN_RDWR, "sys", "attr", EACCES },
		{ LL_CREATE, "sys", "made", EACCES },
		{ LL_UNLINK, "sys", "attr", EACCES },
	};
	return cr_make_param_array(struct ll_case, cases, sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct ll_case *c, landlock, rules)
{
	int status, dev, lock, sys;
	char path[128];
	pid_t pid;

	if (landlock_abi() < 0)
		cr_skip_test("kernel without Landlock");
	snprintf(path, sizeof(path), "%s/lock", tmp);
	dev = open("/dev", O_PATH | O_DIRECTORY | O_CLOEXEC);
	lock = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
	snprintf(path, sizeof(path), "%s/sys", tmp);
	sys = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
	cr_assert(dev >= 0 && lock >= 0 && sys >= 0);
	pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ||
		    landlock_confine(dev, lock, sys) < 0)
			_exit(100);
		_exit(ll_do(c));
	}
	close(dev);
	close(lock);
	close(sys);
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	cr_assert(WIFEXITED(status));
	cr_assert_eq(WEXITSTATUS(status), c->want, "%s %s/%s: got %d, want %d",
		     c->op == LL_CREATE ? "create" : c->op == LL_UNLINK ? "unlink" : "open",
		     c->where, c->name, WEXITSTATUS(status), c->want);
}

/* Unlinking in the lock directory stays possible (stale lock files). */
Test(landlock, unlink_in_lockdir)
{
	struct ll_case mk = { LL_CREATE, "lock", "LCK..x", 0 };
	struct ll_case rm = { LL_UNLINK, "lock", "LCK..x", 0 };
	int status, dev, lock;
	char path[128];
	pid_t pid;

	if (landlock_abi() < 0)
		cr_skip_test("kernel without Landlock");
	cr_assert_eq(ll_do(&mk), 0);
	snprintf(path, sizeof(path), "%s/lock", tmp);
	dev = open("/dev", O_PATH | O_DIRECTORY | O_CLOEXEC);
	lock = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
	pid = fork();
	if (pid == 0) {
		if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ||
		    landlock_confine(dev, lock, -1) < 0)
			_exit(100);
		_exit(ll_do(&rm));
	}
	close(dev);
	close(lock);
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	snprintf(path, sizeof(path), "%s/lock/LCK..x", tmp);
	cr_assert_neq(access(path, F_OK), 0, "lock file should be gone");
}

/* ---- ttybroker list (branch list9): reading sysfs, listing /dev -------- */

/* In a confined child: 0 if PATH opens with FLAGS, else its errno. */
static int ll_try(const char *path, int flags)
{
	int fd = open(path, flags | O_CLOEXEC);

	if (fd < 0)
		return errno;
	close(fd);
	return 0;
}

/*
 * With the sysfs root given, the backend lists /sys/class/tty and /dev/pts
 * and reads sysfs attributes; without it, neither; and either way nothing
 * outside /dev, sysfs and the lock directory (/etc, /proc) opens.
 */
Test(landlock, sysfs_for_listing)
{
	for (int with_sys = 0; with_sys < 2; with_sys++) {
		int dev, lock, sys, status, want = with_sys ? 0 : EACCES;
		char path[128];
		pid_t pid;

		if (landlock_abi() < 0)
			cr_skip_test("kernel without Landlock");
		snprintf(path, sizeof(path), "%s/lock", tmp);
		dev = open("/dev", O_PATH | O_DIRECTORY | O_CLOEXEC);
		lock = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
		sys = open("/sys", O_PATH | O_DIRECTORY | O_CLOEXEC);
		cr_assert(dev >= 0 && lock >= 0 && sys >= 0);
		pid = fork();
		cr_assert_geq(pid, 0);
		if (pid == 0) {
			if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ||
			    landlock_confine(dev, lock, with_sys ? sys : -1) < 0)
				_exit(100);
			if (ll_try("/sys/class/tty", O_RDONLY | O_DIRECTORY) != want)
				_exit(1);
			if (ll_try("/sys/class/tty/tty0/dev", O_RDONLY) != want)
				_exit(2);
			if (ll_try("/dev/pts", O_RDONLY | O_DIRECTORY) != want)
				_exit(3);
			if (ll_try("/etc/hostname", O_RDONLY) != EACCES)
				_exit(4);
			if (ll_try("/proc/self/status", O_RDONLY) != EACCES)
				_exit(5);
			if (ll_try("/sys/class/tty/tty0/uevent", O_WRONLY) != EACCES)
				_exit(6);
			_exit(0);
		}
		close(dev);
		close(lock);
		close(sys);
		cr_assert_eq(waitpid(pid, &status, 0), pid);
		cr_assert(WIFEXITED(status));
		cr_assert_eq(WEXITSTATUS(status), 0, "with_sys %d: check %d failed", with_sys,
			     WEXITSTATUS(status));
	}
}
