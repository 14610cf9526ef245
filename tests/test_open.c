/* SPDX-License-Identifier: MIT */
/*
 * test_open.c - the backend's path from a port name to an open tty
 * (broker/open.c), against the real /dev and /sys and against private
 * directories standing in for /dev.  The point of open.c is that nothing
 * is followed, nothing is opened before it is classified, and a node that
 * changed between pinning and opening is noticed; each of these is tried.
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "open.h"
#include "portname.h"
#include "testutil.h"

/* ---- fixture ---------------------------------------------------------- */

/* A private directory that tests use as a fake /dev, and what is open. */
static char tdir[64];
static struct open_env env = { .devfd = -1, .sysfd = -1, .sysroot = -1 };
static struct tu_pty ptys[2] = { { .master = -1 }, { .master = -1 } };

static void setup(void)
{
	umask(022);
	snprintf(tdir, sizeof(tdir), "/tmp/test_open.XXXXXX");
	cr_assert_not_null(mkdtemp(tdir), "mkdtemp: %s", strerror(errno));
	env.devfd = env.sysfd = -1;
}

/* Close the environment and ptys, remove the directory and all below it. */
static void teardown(void)
{
	open_env_fini(&env);
	for (size_t i = 0; i < 2; i++)
		tu_pty_close(&ptys[i]);
	if (tdir[0])
		tu_rm_tree(tdir);
	tdir[0] = '\0';
}

TestSuite(open, .init = setup, .fini = teardown);

/* ---- helpers ---------------------------------------------------------- */

/* Create directory REL (and its parents) inside tdir. */
static void mk_dirs(const char *rel)
{
	char path[256];

	for (const char *p = rel;; p++) {
		if (*p == '/' || *p == '\0') {
			snprintf(path, sizeof(path), "%s/%.*s", tdir, (int)(p - rel),
				 rel);
			if (mkdir(path, 0755) < 0)
				cr_assert_eq(errno, EEXIST, "mkdir %s: %s", path,
					     strerror(errno));
		}
		if (*p == '\0')
			break;
	}
}

/* Make symlink REL inside tdir pointing at TARGET. */
static void mk_link(const char *rel, const char *target)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/%s", tdir, rel);
	cr_assert_eq(symlink(target, path), 0, "symlink %s: %s", path,
		     strerror(errno));
}

static void env_on(const char *devdir)
{
	cr_assert_eq(open_env_init(&env, devdir), 0, "open_env_init(%s)", devdir);
}

/* The rdevs of the consoles the kernel lists, read here independently. */
static size_t active_consoles(dev_t *out, size_t cap)
{
	char buf[256], *save = NULL, path[300];
	size_t n = 0;
	FILE *f = fopen("/sys/class/tty/console/active", "re");

	if (!f)
		return 0;
	if (!fgets(buf, sizeof(buf), f))
		buf[0] = '\0';
	fclose(f);
	for (char *t = strtok_r(buf, " \n", &save); t && n < cap;
	     t = strtok_r(NULL, " \n", &save)) {
		struct stat st;

		snprintf(path, sizeof(path), "/dev/%s", t);
		if (lstat(path, &st) == 0 && S_ISCHR(st.st_mode))
			out[n++] = st.st_rdev;
	}
	return n;
}

static bool env_has_console(dev_t rdev)
{
	for (size_t i = 0; i < env.nconsoles; i++)
		if (env.consoles[i] == rdev)
			return true;
	return false;
}

static bool kernel_console(dev_t rdev)
{
	dev_t c[OPEN_MAX_CONSOLES];
	size_t n = active_consoles(c, OPEN_MAX_CONSOLES);

	for (size_t i = 0; i < n; i++)
		if (c[i] == rdev)
			return true;
	return false;
}

static const char *class_name(enum open_class c)
{
	switch (c) {
	case OPEN_CLASS_SERIAL: return "SERIAL";
	case OPEN_CLASS_PTY: return "PTY";
	case OPEN_CLASS_REFUSED: return "REFUSED";
	case OPEN_CLASS_NOTTY: return "NOTTY";
	}
	return "?";
}

/* ---- open_env_init / open_env_fini ------------------------------------ */

Test(open, env_init_dev)
{
	struct stat a, b;
	int before = tu_count_fds();

	env_on("/dev");
	cr_assert_geq(env.devfd, 0);
	cr_assert_geq(env.sysfd, 0, "/sys/dev/char exists on this machine");
	cr_assert_geq(env.sysroot, 0, "/sys exists on this machine");
	cr_assert_eq(tu_count_fds(), before + 3);
	cr_assert_neq(fcntl(env.sysroot, F_GETFD) & FD_CLOEXEC, 0);
	cr_assert_neq(fcntl(env.devfd, F_GETFD) & FD_CLOEXEC, 0);
	cr_assert_neq(fcntl(env.sysfd, F_GETFD) & FD_CLOEXEC, 0);
	cr_assert_eq(fstat(env.devfd, &a), 0);
	cr_assert_eq(stat("/dev", &b), 0);
	cr_assert(a.st_dev == b.st_dev && a.st_ino == b.st_ino, "devfd is not /dev");

	open_env_fini(&env);
	cr_assert_eq(env.devfd, -1);
	cr_assert_eq(env.sysfd, -1);
	cr_assert_eq(env.sysroot, -1);
	cr_assert_eq(tu_count_fds(), before, "open_env_fini leaked");
	open_env_fini(&env); /* a second fini is harmless */
	cr_assert_eq(tu_count_fds(), before);
}

/* Every console the kernel names is recorded (here ttyS0). */
Test(open, env_consoles)
{
	dev_t want[OPEN_MAX_CONSOLES];
	size_t n = active_consoles(want, OPEN_MAX_CONSOLES);
	struct stat s0;

	env_on("/dev");
	cr_assert_eq(env.nconsoles, n, "consoles: kernel lists %zu, env has %zu",
		     n, env.nconsoles);
	for (size_t i = 0; i < n; i++)
		cr_assert(env_has_console(want[i]), "console %u:%u missing",
			  major(want[i]), minor(want[i]));
	if (stat("/dev/ttyS0", &s0) == 0 && kernel_console(s0.st_rdev))
		cr_assert(env_has_console(s0.st_rdev), "ttyS0 is the console");
}

/* Consoles are looked up in the given directory, not in the real /dev. */
Test(open, env_consoles_relative)
{
	env_on(tdir);
	cr_assert_eq(env.nconsoles, 0);
}

struct env_bad_case {
	char path[32];
	int want;
};

ParameterizedTestParameters(open, env_init_bad)
{
	static struct env_bad_case cases[] = {
		{ "/nonexistent-ttybroker", -ENOENT },
		{ "/dev/null", -ENOTDIR },
		{ "LINK", -ENOTDIR }, /* a symlink to a directory: not followed */
	};

	return cr_make_param_array(struct env_bad_case, cases,
				   sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct env_bad_case *c, open, env_init_bad)
{
	char path[128];
	int before;

	snprintf(path, sizeof(path), "%s", c->path);
	if (!strcmp(c->path, "LINK")) {
		mk_link("devlink", "/dev");
		snprintf(path, sizeof(path), "%s/devlink", tdir);
	}
	before = tu_count_fds();
	cr_assert_eq(open_env_init(&env, path), c->want, "%s", path);
	cr_assert_eq(env.devfd, -1);
	cr_assert_eq(env.sysfd, -1);
	cr_assert_eq(tu_count_fds(), before, "failed init leaked");
}

/* ---- open_pin + open_classify on real nodes --------------------------- */

enum want_kind { W_FIXED, W_CONSOLE_DEPENDENT };

struct class_case {
	char name[16];
	enum open_class want;
	enum want_kind kind;
};

ParameterizedTestParameters(open, classify_dev)
{
	static struct class_case cases[] = {
		{ "null", OPEN_CLASS_NOTTY, W_FIXED },
		{ "zero", OPEN_CLASS_NOTTY, W_FIXED },
		{ "full", OPEN_CLASS_NOTTY, W_FIXED },
		{ "kmsg", OPEN_CLASS_NOTTY, W_FIXED },
		{ "loop0", OPEN_CLASS_NOTTY, W_FIXED },  /* block device */
		{ "pts", OPEN_CLASS_NOTTY, W_FIXED },    /* directory */
		{ "stdin", OPEN_CLASS_NOTTY, W_FIXED },  /* symlink, not followed */
		{ "tty", OPEN_CLASS_REFUSED, W_FIXED },
		{ "console", OPEN_CLASS_REFUSED, W_FIXED },
		{ "ptmx", OPEN_CLASS_REFUSED, W_FIXED },
		{ "pts/ptmx", OPEN_CLASS_REFUSED, W_FIXED },
		{ "tty0", OPEN_CLASS_REFUSED, W_FIXED },
		{ "tty1", OPEN_CLASS_REFUSED, W_FIXED },
		{ "tty63", OPEN_CLASS_REFUSED, W_FIXED },
		/* REFUSED if it is the console (it is here), else SERIAL */
		{ "ttyS0", OPEN_CLASS_SERIAL, W_CONSOLE_DEPENDENT },
	};

	return cr_make_param_array(struct class_case, cases,
				   sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct class_case *c, open, classify_dev)
{
	enum open_class want = c->want, got;
	struct stat st, lst;
	char path[64];
	int fd, before;

	snprintf(path, sizeof(path), "/dev/%s", c->name);
	if (lstat(path, &lst) < 0)
		tu_skip(teardown, "%s does not exist here", path);
	env_on("/dev");
	if (c->kind == W_CONSOLE_DEPENDENT && kernel_console(lst.st_rdev))
		want = OPEN_CLASS_REFUSED;
	before = tu_count_fds();
	fd = open_pin(&env, c->name, &st);
	cr_assert_geq(fd, 0, "open_pin(%s): %s", c->name, strerror(-fd));
	cr_assert_eq(tu_count_fds(), before + 1);
	cr_assert_eq(st.st_ino, lst.st_ino, "pinned a different node");
	cr_assert_eq(st.st_mode, lst.st_mode);
	got = open_classify(&env, &st);
	cr_assert_eq(got, want, "%s: %s, want %s", c->name, class_name(got),
		     class_name(want));
	close(fd);
}

/* A UNIX98 pty slave is a PTY; its master (ptmx) is refused. */
Test(open, classify_pty)
{
	struct stat st;
	int fd;

	tu_pty_open(&ptys[0], 0);
	env_on("/dev");
	fd = open_pin(&env, ptys[0].port, &st);
	cr_assert_geq(fd, 0, "open_pin(%s): %s", ptys[0].port, strerror(-fd));
	cr_assert(S_ISCHR(st.st_mode));
	cr_assert_eq(open_classify(&env, &st), OPEN_CLASS_PTY);
	close(fd);
	cr_assert_eq(fstat(ptys[0].master, &st), 0);
	cr_assert_eq(open_classify(&env, &st), OPEN_CLASS_REFUSED);
}

/* ---- open_classify on synthetic stats --------------------------------- */

enum cons { C_NONE, C_TTYS0, C_PTY5 };

struct stat_case {
	unsigned int type; /* S_IF* */
	unsigned int maj, min;
	enum cons console;
	bool no_sysfs;     /* env.sysfd = -1: must fail closed */
	enum open_class want;
};

ParameterizedTestParameters(open, classify_stat)
{
	static struct stat_case cases[] = {
		{ S_IFCHR, 4, 0, C_NONE, false, OPEN_CLASS_REFUSED },
		{ S_IFCHR, 4, 7, C_NONE, false, OPEN_CLASS_REFUSED },
		{ S_IFCHR, 4, 63, C_NONE, false, OPEN_CLASS_REFUSED },
		{ S_IFCHR, 4, 64, C_NONE, false, OPEN_CLASS_SERIAL },
		{ S_IFCHR, 4, 64, C_TTYS0, false, OPEN_CLASS_REFUSED },
		{ S_IFCHR, 4, 64, C_NONE, true, OPEN_CLASS_NOTTY },
		{ S_IFCHR, 5, 0, C_NONE, false, OPEN_CLASS_REFUSED },
		{ S_IFCHR, 5, 1, C_NONE, false, OPEN_CLASS_REFUSED },
		{ S_IFCHR, 5, 2, C_NONE, false, OPEN_CLASS_REFUSED },
		{ S_IFCHR, 5, 3, C_NONE, false, OPEN_CLASS_REFUSED },
		{ S_IFCHR, 2, 0, C_NONE, false, OPEN_CLASS_REFUSED },
		{ S_IFCHR, 3, 1, C_NONE, false, OPEN_CLASS_REFUSED },
		{ S_IFCHR, 128, 0, C_NONE, false, OPEN_CLASS_REFUSED },
		{ S_IFCHR, 135, 9, C_NONE, false, OPEN_CLASS_REFUSED },
		{ S_IFCHR, 136, 0, C_NONE, false, OPEN_CLASS_PTY },
		{ S_IFCHR, 136, 5, C_NONE, true, OPEN_CLASS_PTY },
		{ S_IFCHR, 139, 77, C_NONE, false, OPEN_CLASS_PTY },
		{ S_IFCHR, 143, 255, C_NONE, false, OPEN_CLASS_PTY },
		{ S_IFCHR, 136, 5, C_PTY5, false, OPEN_CLASS_REFUSED },
		{ S_IFCHR, 144, 0, C_NONE, false, OPEN_CLASS_NOTTY },
		{ S_IFCHR, 127, 0, C_NONE, false, OPEN_CLASS_NOTTY },
		{ S_IFCHR, 1, 3, C_NONE, false, OPEN_CLASS_NOTTY },
		{ S_IFCHR, 0, 0, C_NONE, false, OPEN_CLASS_NOTTY },
		{ S_IFBLK, 4, 64, C_NONE, false, OPEN_CLASS_NOTTY },
		{ S_IFBLK, 136, 1, C_NONE, false, OPEN_CLASS_NOTTY },
		{ S_IFREG, 4, 64, C_NONE, false, OPEN_CLASS_NOTTY },
		{ S_IFLNK, 4, 64, C_NONE, false, OPEN_CLASS_NOTTY },
		{ S_IFDIR, 0, 0, C_NONE, false, OPEN_CLASS_NOTTY },
		{ S_IFIFO, 0, 0, C_NONE, false, OPEN_CLASS_NOTTY },
		{ S_IFSOCK, 0, 0, C_NONE, false, OPEN_CLASS_NOTTY },
	};

	return cr_make_param_array(struct stat_case, cases,
				   sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct stat_case *c, open, classify_stat)
{
	struct stat st;
	enum open_class got;

	env_on("/dev");
	env.nconsoles = 0;
	if (c->console == C_TTYS0)
		env.consoles[env.nconsoles++] = makedev(4, 64);
	else if (c->console == C_PTY5)
		env.consoles[env.nconsoles++] = makedev(136, 5);
	if (c->no_sysfs) {
		close(env.sysfd);
		env.sysfd = -1;
	}
	memset(&st, 0, sizeof(st));
	st.st_mode = c->type | 0600;
	st.st_rdev = makedev(c->maj, c->min);
	got = open_classify(&env, &st);
	cr_assert_eq(got, c->want, "%#o %u:%u: %s, want %s", c->type, c->maj,
		     c->min, class_name(got), class_name(c->want));
}

/* ---- symlinks are never followed -------------------------------------- */

Test(open, pin_symlink)
{
	struct stat st;
	int fd, before;

	mk_link("ttyX", "/dev/null");
	env_on(tdir);
	before = tu_count_fds();
	fd = open_pin(&env, "ttyX", &st);
	cr_assert_geq(fd, 0, "open_pin: %s", strerror(-fd));
	cr_assert(S_ISLNK(st.st_mode), "the symlink was followed");
	cr_assert_eq(open_classify(&env, &st), OPEN_CLASS_NOTTY);
	close(fd);
	cr_assert_eq(open_device(&env, "ttyX", &st), -ELOOP);
	cr_assert_eq(tu_count_fds(), before, "fd leaked");
}

/* A directory component that is a symlink is not followed either. */
Test(open, pin_symlinked_dir)
{
	struct stat st, real;
	int r, before;

	tu_pty_open(&ptys[0], 0);
	mk_link("pts", "/dev/pts");
	env_on(tdir);
	before = tu_count_fds();
	r = open_pin(&env, ptys[0].port, &st);
	cr_assert_lt(r, 0, "open_pin through a symlinked directory gave fd %d", r);
	cr_assert_eq(stat(ptys[0].path, &real), 0);
	r = open_device(&env, ptys[0].port, &real);
	cr_assert_lt(r, 0, "open_device through a symlinked directory gave fd %d", r);
	cr_assert_eq(tu_count_fds(), before, "fd leaked");
}

Test(open, pin_missing)
{
	struct stat st;
	int before;

	env_on(tdir);
	before = tu_count_fds();
	cr_assert_eq(open_pin(&env, "ttyNONE", &st), -ENOENT);
	cr_assert_eq(open_pin(&env, "nodir/x", &st), -ENOENT);
	cr_assert_eq(tu_count_fds(), before, "fd leaked");
}

/* ---- open_device ------------------------------------------------------ */

Test(open, device_pty)
{
	struct stat pinned, st;
	int pin, fd, fl, before;

	tu_pty_open(&ptys[0], 0);
	env_on("/dev");
	pin = open_pin(&env, ptys[0].port, &pinned);
	cr_assert_geq(pin, 0);
	close(pin);
	before = tu_count_fds();
	fd = open_device(&env, ptys[0].port, &pinned);
	cr_assert_geq(fd, 0, "open_device(%s): %s", ptys[0].port, strerror(-fd));
	cr_assert_eq(tu_count_fds(), before + 1);
	fl = fcntl(fd, F_GETFL);
	cr_assert_neq(fl & O_NONBLOCK, 0, "O_NONBLOCK not set");
	cr_assert_eq(fl & O_ACCMODE, O_RDWR);
	cr_assert_neq(fcntl(fd, F_GETFD) & FD_CLOEXEC, 0, "FD_CLOEXEC not set");
	cr_assert(isatty(fd));
	cr_assert_eq(fstat(fd, &st), 0);
	cr_assert_eq(st.st_dev, pinned.st_dev);
	cr_assert_eq(st.st_ino, pinned.st_ino);
	cr_assert_eq(st.st_rdev, pinned.st_rdev);
	/* It really is that pty: what we write comes out of its master. */
	cr_assert_eq(write(fd, "ping", 4), 4);
	cr_assert(tu_pty_expect(&ptys[0], "ping", 5000));
	close(fd);
	cr_assert_eq(tu_count_fds(), before);
}

/* The node pinned is not the node opened: -ESTALE, nothing leaked. */
Test(open, device_stale)
{
	struct stat a, b, forged;
	int pin, before;

	tu_pty_open(&ptys[0], 0);
	tu_pty_open(&ptys[1], 0);
	env_on("/dev");
	pin = open_pin(&env, ptys[0].port, &a);
	cr_assert_geq(pin, 0);
	close(pin);
	pin = open_pin(&env, ptys[1].port, &b);
	cr_assert_geq(pin, 0);
	close(pin);
	before = tu_count_fds();
	cr_assert_eq(open_device(&env, ptys[0].port, &b), -ESTALE);
	cr_assert_eq(open_device(&env, ptys[1].port, &a), -ESTALE);
	/* Same inode, different device number: still stale. */
	forged = a;
	forged.st_rdev = makedev(136, 999);
	cr_assert_eq(open_device(&env, ptys[0].port, &forged), -ESTALE);
	forged = a;
	forged.st_dev++;
	cr_assert_eq(open_device(&env, ptys[0].port, &forged), -ESTALE);
	cr_assert_eq(tu_count_fds(), before, "fd leaked");
}

/* A character device that is not a tty fails TCGETS: -ENOTTY, no leak. */
Test(open, device_notty)
{
	struct stat st;
	int pin, before;

	env_on("/dev");
	pin = open_pin(&env, "null", &st);
	cr_assert_geq(pin, 0);
	close(pin);
	before = tu_count_fds();
	cr_assert_eq(open_device(&env, "null", &st), -ENOTTY);
	cr_assert_eq(tu_count_fds(), before, "fd leaked");
}

/* A regular file matching its own pin is still refused (not a char device). */
Test(open, device_regular_file)
{
	char path[128];
	struct stat st;
	int fd, before;

	snprintf(path, sizeof(path), "%s/ttyF", tdir);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	cr_assert_geq(fd, 0);
	close(fd);
	env_on(tdir);
	cr_assert_eq(lstat(path, &st), 0);
	before = tu_count_fds();
	cr_assert_eq(open_device(&env, "ttyF", &st), -ESTALE);
	cr_assert_eq(open_device(&env, "ttyNONE", &st), -ENOENT);
	cr_assert_eq(tu_count_fds(), before, "fd leaked");
}

/* ---- open_resolve ----------------------------------------------------- */

/*
 * A by-id link target: TARGET literally, or (GEN > 0) "../../" followed by
 * GEN 'a' characters.  Arrays, not pointers: Criterion runs each row in
 * another process.
 */
struct resolve_case {
	char target[32];
	size_t gen;
	int want;
	char kname[16]; /* expected when want == 0 and gen == 0 */
};

ParameterizedTestParameters(open, resolve_link)
{
	static struct resolve_case cases[] = {
		{ "../../ttyUSB7", 0, 0, "ttyUSB7" },
		{ "../../ttyACM0", 0, 0, "ttyACM0" },
		{ "../../rfcomm0", 0, 0, "rfcomm0" },
		{ "../../a/b", 0, -EINVAL, "" },
		{ "/dev/ttyS0", 0, -EINVAL, "" },
		{ "../ttyS0", 0, -EINVAL, "" },
		{ "../../..", 0, -EINVAL, "" },
		{ "../../.", 0, -EINVAL, "" },
		{ "../../", 0, -EINVAL, "" },
		{ "../../x y", 0, -EINVAL, "" },
		{ "../../../ttyS0", 0, -EINVAL, "" },
		{ "../../pts/3", 0, -EINVAL, "" },
		{ "../../ttyS0/", 0, -EINVAL, "" },
		{ "../../tty\n0", 0, -EINVAL, "" },
		{ "./../../ttyS0", 0, -EINVAL, "" },
		{ "..//../ttyS0", 0, -EINVAL, "" },
		{ "ttyS0", 0, -EINVAL, "" },
		{ "", PORTNAME_MAX, 0, "" },
		{ "", PORTNAME_MAX + 1, -EINVAL, "" },
		{ "", 300, -EINVAL, "" },
	};

	return cr_make_param_array(struct resolve_case, cases,
				   sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct resolve_case *c, open, resolve_link)
{
	char target[512], kname[PROTO_PORT_MAX], want[PROTO_PORT_MAX + 1];
	int r, before;

	if (c->gen) {
		cr_assert_lt(c->gen + 7, sizeof(target));
		strcpy(target, "../../");
		memset(target + 6, 'a', c->gen);
		target[6 + c->gen] = '\0';
		if (c->gen < sizeof(want)) {
			memset(want, 'a', c->gen);
			want[c->gen] = '\0';
		}
	} else {
		snprintf(target, sizeof(target), "%s", c->target);
		snprintf(want, sizeof(want), "%s", c->kname);
	}
	mk_dirs("serial/by-id");
	mk_link("serial/by-id/LINK", target);
	env_on(tdir);
	strcpy(kname, "UNTOUCHED");
	before = tu_count_fds();
	r = open_resolve(&env, "serial/by-id/LINK", kname, sizeof(kname));
	cr_assert_eq(tu_count_fds(), before, "fd leaked");
	cr_assert_eq(r, c->want, "target \"%s\": %d, want %d", target, r, c->want);
	if (r == 0)
		cr_assert_str_eq(kname, want);
	else
		cr_assert_str_eq(kname, "UNTOUCHED", "kname written on failure");
}

/* What is not a by-id link, or not there, gives -ENOENT. */
Test(open, resolve_missing)
{
	char kname[PROTO_PORT_MAX] = "UNTOUCHED", path[128];
	int fd, before;

	env_on(tdir);
	before = tu_count_fds();
	cr_assert_eq(open_resolve(&env, "serial/by-id/LINK", kname, sizeof(kname)),
		     -ENOENT, "no serial directory");
	mk_dirs("serial");
	cr_assert_eq(open_resolve(&env, "serial/by-id/LINK", kname, sizeof(kname)),
		     -ENOENT, "no by-id directory");
	mk_dirs("serial/by-id");
	cr_assert_eq(open_resolve(&env, "serial/by-id/LINK", kname, sizeof(kname)),
		     -ENOENT, "no link");
	/* A regular file or a directory where the link should be. */
	snprintf(path, sizeof(path), "%s/serial/by-id/FILE", tdir);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	cr_assert_geq(fd, 0);
	close(fd);
	cr_assert_eq(open_resolve(&env, "serial/by-id/FILE", kname, sizeof(kname)),
		     -ENOENT);
	mk_dirs("serial/by-id/DIR");
	cr_assert_eq(open_resolve(&env, "serial/by-id/DIR", kname, sizeof(kname)),
		     -ENOENT);
	cr_assert_eq(tu_count_fds(), before, "fd leaked");
	cr_assert_str_eq(kname, "UNTOUCHED");
}

/* A plain kernel name is copied unchanged, if it fits. */
Test(open, resolve_plain)
{
	char kname[PROTO_PORT_MAX];

	env_on(tdir);
	cr_assert_eq(open_resolve(&env, "ttyUSB0", kname, sizeof(kname)), 0);
	cr_assert_str_eq(kname, "ttyUSB0");
	cr_assert_eq(open_resolve(&env, "pts/3", kname, sizeof(kname)), 0);
	cr_assert_str_eq(kname, "pts/3");
	cr_assert_eq(open_resolve(&env, "ttyUSB0", kname, 8), 0);
	cr_assert_str_eq(kname, "ttyUSB0");
	strcpy(kname, "UNTOUCHED");
	cr_assert_eq(open_resolve(&env, "ttyUSB0", kname, 7), -EINVAL);
	cr_assert_str_eq(kname, "UNTOUCHED");
}

/* A resolved name that does not fit the caller's buffer is refused. */
Test(open, resolve_small_buffer)
{
	char kname[PROTO_PORT_MAX] = "UNTOUCHED";

	mk_dirs("serial/by-id");
	mk_link("serial/by-id/LINK", "../../ttyUSB7");
	env_on(tdir);
	cr_assert_eq(open_resolve(&env, "serial/by-id/LINK", kname, 7), -EINVAL);
	cr_assert_str_eq(kname, "UNTOUCHED");
	cr_assert_eq(open_resolve(&env, "serial/by-id/LINK", kname, 8), 0);
	cr_assert_str_eq(kname, "ttyUSB7");
}

/* serial, or serial/by-id, being a symlink to elsewhere is refused. */
Test(open, resolve_symlinked_dirs)
{
	char kname[PROTO_PORT_MAX] = "UNTOUCHED";
	char target[128];
	int before;

	/* Somewhere else with a perfectly good link in it. */
	mk_dirs("elsewhere/by-id");
	mk_link("elsewhere/by-id/LINK", "../../ttyUSB7");
	mk_link("serial", "elsewhere");
	env_on(tdir);
	before = tu_count_fds();
	cr_assert_lt(open_resolve(&env, "serial/by-id/LINK", kname, sizeof(kname)),
		     0, "followed a symlinked serial directory");
	cr_assert_str_eq(kname, "UNTOUCHED");

	/* Now serial is real but by-id is the symlink. */
	snprintf(target, sizeof(target), "%s/serial", tdir);
	cr_assert_eq(unlink(target), 0);
	mk_dirs("serial");
	mk_link("serial/by-id", "../elsewhere/by-id");
	cr_assert_lt(open_resolve(&env, "serial/by-id/LINK", kname, sizeof(kname)),
		     0, "followed a symlinked by-id directory");
	cr_assert_str_eq(kname, "UNTOUCHED");
	cr_assert_eq(tu_count_fds(), before, "fd leaked");
}

/*
 * serial/by-path/ names resolve like by-id ones, below /dev/serial/by-path
 * only, with the same strict target check and no symlinked directory.
 */
Test(open, resolve_bypath)
{
	const char *name = "serial/by-path/pci-0000:00:14.0-usb-0:1.2:1.0-port0";
	char kname[PROTO_PORT_MAX] = "UNTOUCHED", target[128];
	int before;

	mk_dirs("serial/by-id");
	mk_link("serial/by-id/pci-0000:00:14.0-usb-0:1.2:1.0-port0", "../../ttyUSB1");
	env_on(tdir);
	before = tu_count_fds();
	cr_assert_eq(open_resolve(&env, name, kname, sizeof(kname)), -ENOENT,
		     "a by-path name looked in by-id");
	cr_assert_str_eq(kname, "UNTOUCHED");
	mk_dirs("serial/by-path");
	mk_link("serial/by-path/pci-0000:00:14.0-usb-0:1.2:1.0-port0", "../../ttyUSB7");
	mk_link("serial/by-path/BAD", "../../../ttyS0");
	cr_assert_eq(open_resolve(&env, name, kname, sizeof(kname)), 0);
	cr_assert_str_eq(kname, "ttyUSB7");
	strcpy(kname, "UNTOUCHED");
	cr_assert_eq(open_resolve(&env, "serial/by-path/BAD", kname, sizeof(kname)),
		     -EINVAL);
	cr_assert_str_eq(kname, "UNTOUCHED");
	cr_assert_eq(tu_count_fds(), before, "fd leaked");

	/* A symlinked by-path directory is not followed. */
	mk_dirs("elsewhere");
	mk_link("elsewhere/LINK", "../../ttyUSB7");
	snprintf(target, sizeof(target), "%s/serial/by-path/BAD", tdir);
	cr_assert_eq(unlink(target), 0);
	snprintf(target, sizeof(target), "%s/serial/by-path/%s", tdir, name + 15);
	cr_assert_eq(unlink(target), 0);
	snprintf(target, sizeof(target), "%s/serial/by-path", tdir);
	cr_assert_eq(rmdir(target), 0);
	mk_link("serial/by-path", "../elsewhere");
	cr_assert_lt(open_resolve(&env, "serial/by-path/LINK", kname, sizeof(kname)),
		     0, "followed a symlinked by-path directory");
	cr_assert_str_eq(kname, "UNTOUCHED");
}

/* ---- virtual ttys (ttynull, ttyprintk...) are no serial ports --------- */

/* A fake /sys/dev/char in tdir: 240:0 virtual (ttynull), 240:1 hardware. */
Test(open, classify_virtual_fake_sysfs)
{
	char path[256];
	struct stat st;

	mk_dirs("sys/devices/virtual/tty/ttynull");
	mk_dirs("sys/devices/platform/serial8250/tty/ttyS4");
	mk_dirs("sys/dev/char");
	mk_link("sys/devices/virtual/tty/ttynull/subsystem", "../../../../class/tty");
	mk_link("sys/devices/platform/serial8250/tty/ttyS4/subsystem",
		"../../../../../class/tty");
	mk_link("sys/dev/char/240:0", "../../devices/virtual/tty/ttynull");
	mk_link("sys/dev/char/240:1", "../../devices/platform/serial8250/tty/ttyS4");
	env_on("/dev");
	close(env.sysfd);
	snprintf(path, sizeof(path), "%s/sys/dev/char", tdir);
	env.sysfd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
	cr_assert_geq(env.sysfd, 0);
	env.nconsoles = 0;
	memset(&st, 0, sizeof(st));
	st.st_mode = S_IFCHR | 0600;
	st.st_rdev = makedev(240, 0);
	cr_assert_eq(open_classify(&env, &st), OPEN_CLASS_REFUSED, "virtual tty");
	st.st_rdev = makedev(240, 1);
	cr_assert_eq(open_classify(&env, &st), OPEN_CLASS_SERIAL, "hardware tty");
}

/*
 * The kernel's own virtual ttys that the major-number rules do not catch
 * (ttynull has a dynamic major): every one is refused.
 */
Test(open, classify_real_virtual_ttys)
{
	char link[512], path[300], dev[32];
	unsigned int maj, min, seen = 0;
	struct dirent *de;
	struct stat st;
	DIR *d = opendir("/sys/class/tty");
	ssize_t n;
	FILE *f;

	cr_assert_not_null(d);
	env_on("/dev");
	env.nconsoles = 0;
	while ((de = readdir(d))) {
		snprintf(path, sizeof(path), "/sys/class/tty/%s", de->d_name);
		n = readlink(path, link, sizeof(link) - 1);
		if (n <= 0)
			continue;
		link[n] = '\0';
		if (!strstr(link, "/devices/virtual/"))
			continue;
		snprintf(path, sizeof(path), "/sys/class/tty/%s/dev", de->d_name);
		if (!(f = fopen(path, "re")))
			continue;
		if (!fgets(dev, sizeof(dev), f) || sscanf(dev, "%u:%u", &maj, &min) != 2) {
			fclose(f);
			continue;
		}
		fclose(f);
		if ((maj == 4 && min < 64) || maj == 5)
			continue; /* VTs, tty, console, ptmx: refused by number */
		memset(&st, 0, sizeof(st));
		st.st_mode = S_IFCHR | 0600;
		st.st_rdev = makedev(maj, min);
		cr_assert_eq(open_classify(&env, &st), OPEN_CLASS_REFUSED,
			     "%s (%u:%u) is virtual", de->d_name, maj, min);
		seen++;
	}
	closedir(d);
	if (!seen)
		tu_skip(teardown, "no virtual tty beyond VTs, tty, console and ptmx on this "
			     "kernel (no ttynull): see classify_virtual_fake_sysfs");
}
