/* SPDX-License-Identifier: MIT */
/*
 * open.c - the backend's careful path from a port name to an open tty.
 * See open.h for the order of steps and why the device is opened last.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <termios.h>
#include <unistd.h>

#include "open.h"
#include "portname.h"

#define DIR_FLAGS (O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)

/* Record the rdev of each console named in SYSROOT/class/tty/console/active. */
static void open_read_consoles(struct open_env *env)
{
	char buf[256], *save = NULL;
	ssize_t n;
	int fd;

	if (env->sysroot < 0)
		return;
	fd = openat(env->sysroot, "class/tty/console/active",
		    O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return;
	buf[n] = '\0';
	for (char *tok = strtok_r(buf, " \t\n", &save); tok;
	     tok = strtok_r(NULL, " \t\n", &save)) {
		struct stat st;

		if (env->nconsoles == OPEN_MAX_CONSOLES || portname_check(tok) < 0)
			continue;
		if (fstatat(env->devfd, tok, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
		    S_ISCHR(st.st_mode))
			env->consoles[env->nconsoles++] = st.st_rdev;
	}
}

int open_env_init(struct open_env *env, const char *devdir)
{
	return open_env_init_sys(env, devdir, NULL);
}

int open_env_init_sys(struct open_env *env, const char *devdir, const char *sysdir)
{
	memset(env, 0, sizeof(*env));
	env->sysfd = env->sysroot = -1;
	env->devfd = open(devdir, DIR_FLAGS);
	if (env->devfd < 0)
		return -errno;
	env->sysroot = open(sysdir ? sysdir : OPEN_SYSFS_ROOT,
			    O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (env->sysroot >= 0)
		env->sysfd = openat(env->sysroot, "dev/char",
				    O_PATH | O_DIRECTORY | O_CLOEXEC);
	open_read_consoles(env);
	return 0;
}

void open_env_fini(struct open_env *env)
{
	/* devfd is -1 in an env never initialized, or already finished:
	 * then the other fields may be anything (a static initializer's 0). */
	if (env->devfd < 0)
		return;
	close(env->devfd);
	if (env->sysfd >= 0)
		close(env->sysfd);
	if (env->sysroot >= 0)
		close(env->sysroot);
	env->devfd = env->sysfd = env->sysroot = -1;
}

/* Open directory DIR below AT with O_NOFOLLOW.  Returns fd or -errno. */
static int open_subdir(int at, const char *dir)
{
	int fd = openat(at, dir, DIR_FLAGS);

	return fd < 0 ? -errno : fd;
}

int open_resolve(const struct open_env *env, const char *name, char *kname,
		 size_t len)
{
	const char *link = portname_byid(name), *dir = "by-id";
	char target[PROTO_PORT_MAX + 8];
	int serial = -1, byid = -1, r;
	ssize_t n;

	if (!link && (link = portname_bypath(name)))
		dir = "by-path";
	if (!link) {
		if (strlen(name) >= len)
			return -EINVAL;
		strcpy(kname, name);
		return 0;
	}
	r = serial = open_subdir(env->devfd, "serial");
	if (r < 0)
		goto out;
	r = byid = open_subdir(serial, dir);
	if (r < 0)
		goto out;
	n = readlinkat(byid, link, target, sizeof(target) - 1);
	if (n < 0) {
		r = errno == EINVAL ? -ENOENT : -errno;
		goto out;
	}
	target[n] = '\0';
	/* udev's links are "../../NAME"; accept nothing else. */
	r = -EINVAL;
	if (strncmp(target, "../../", 6) != 0 || strchr(target + 6, '/') ||
	    portname_check(target + 6) < 0 || strlen(target + 6) >= len)
		goto out;
	strcpy(kname, target + 6);
	r = 0;
out:
	if (byid >= 0)
		close(byid);
	if (serial >= 0)
		close(serial);
	return r;
}

/*
 * Split KNAME into a parent directory fd and leaf.  For "pts/3" the parent
 * is /dev/pts opened with O_NOFOLLOW; for "ttyS0" it is devfd itself.
 * *OWNED says whether the caller must close the returned fd.
 */
static int open_parent(const struct open_env *env, const char *kname,
		       const char **leaf, int *owned)
{
	const char *slash = strchr(kname, '/');
	char dir[PROTO_PORT_MAX];

	*owned = 0;
	if (!slash) {
		*leaf = kname;
		return env->devfd;
	}
	if ((size_t)(slash - kname) >= sizeof(dir))
		return -EINVAL;
	memcpy(dir, kname, (size_t)(slash - kname));
	dir[slash - kname] = '\0';
	*leaf = slash + 1;
	*owned = 1;
	return open_subdir(env->devfd, dir);
}

/* openat(parent(KNAME), leaf, FLAGS); FLAGS must include O_NOFOLLOW. */
static int open_at_name(const struct open_env *env, const char *kname, int flags)
{
	const char *leaf;
	int owned, dirfd, fd;

	dirfd = open_parent(env, kname, &leaf, &owned);
	if (dirfd < 0)
		return dirfd;
	fd = openat(dirfd, leaf, flags);
	if (fd < 0)
		fd = -errno;
	if (owned)
		close(dirfd);
	return fd;
}

int open_pin(const struct open_env *env, const char *kname, struct stat *st)
{
	int fd = open_at_name(env, kname, O_PATH | O_NOFOLLOW | O_CLOEXEC);

	if (fd < 0)
		return fd;
	if (fstat(fd, st) < 0) {
		int r = -errno;

		close(fd);
		return r;
	}
	return fd;
}

/* Does sysfs say this character device belongs to the tty class? */
static int open_sysfs_is_tty(const struct open_env *env, dev_t rdev)
{
	char path[64], target[256];
	const char *base;
	ssize_t n;

	if (env->sysfd < 0)
		return 0; /* fail closed: we cannot tell */
	snprintf(path, sizeof(path), "%u:%u/subsystem", major(rdev), minor(rdev));
	n = readlinkat(env->sysfd, path, target, sizeof(target) - 1);
	if (n <= 0)
		return 0;
	target[n] = '\0';
	base = strrchr(target, '/');
	return strcmp(base ? base + 1 : target, "tty") == 0;
}

/*
 * Is this device virtual: does /sys/dev/char/M:m point below
 * /devices/virtual/ (ttynull, ttyprintk, console, VTs...), not at real
 * hardware?  Unknown (no sysfs, no link) counts as virtual: fail closed.
 */
static int open_sysfs_is_virtual(const struct open_env *env, dev_t rdev)
{
	char path[32], target[256];
	ssize_t n;

	if (env->sysfd < 0)
		return 1;
	snprintf(path, sizeof(path), "%u:%u", major(rdev), minor(rdev));
	n = readlinkat(env->sysfd, path, target, sizeof(target) - 1);
	if (n <= 0)
		return 1;
	target[n] = '\0';
	return strstr(target, "/devices/virtual/") != NULL;
}

enum open_class open_classify(const struct open_env *env, const struct stat *st)
{
	unsigned int maj = major(st->st_rdev), min = minor(st->st_rdev);

	if (!S_ISCHR(st->st_mode))
		return OPEN_CLASS_NOTTY;
	if ((maj == 4 && min < 64) || maj == 5 || /* VTs; tty, console, ptmx */
	    maj == 2 || maj == 3 ||                /* legacy BSD ptys         */
	    (maj >= 128 && maj <= 135))            /* UNIX98 pty masters      */
		return OPEN_CLASS_REFUSED;
	for (size_t i = 0; i < env->nconsoles; i++)
		if (env->consoles[i] == st->st_rdev)
			return OPEN_CLASS_REFUSED;
	if (maj >= 136 && maj <= 143)
		return OPEN_CLASS_PTY; /* devpts nodes have no sysfs entry */
	if (!open_sysfs_is_tty(env, st->st_rdev))
		return OPEN_CLASS_NOTTY;
	/* A tty with no hardware behind it (ttynull, ttyprintk...) is no port. */
	if (open_sysfs_is_virtual(env, st->st_rdev))
		return OPEN_CLASS_REFUSED;
	return OPEN_CLASS_SERIAL;
}

int open_device(const struct open_env *env, const char *kname,
		const struct stat *pinned)
{
	struct termios tio;
	struct stat st;
	int fd, r;

	fd = open_at_name(env, kname,
			  O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return fd;
	if (fstat(fd, &st) < 0) {
		r = -errno;
		goto fail;
	}
	r = -ESTALE;
	if (st.st_dev != pinned->st_dev || st.st_ino != pinned->st_ino ||
	    st.st_rdev != pinned->st_rdev || !S_ISCHR(st.st_mode))
		goto fail;
	r = -ENOTTY;
	if (ioctl(fd, TCGETS, &tio) < 0)
		goto fail;
	return fd;
fail:
	close(fd);
	return r;
}

int open_exclusive(int fd, int on)
{
	return ioctl(fd, on ? TIOCEXCL : TIOCNXCL) < 0 ? -errno : 0;
}
