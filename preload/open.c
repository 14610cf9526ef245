/* SPDX-License-Identifier: MIT */
/*
 * open.c - the glibc entry points that open a path: open, open64, openat,
 * openat64 and their _FORTIFY_SOURCE variants (__open_2 ...).  The
 * program's own open comes first: what it may open itself it opens itself,
 * exactly as without ttybroker.  Only when that fails with EACCES or EPERM
 * and the path is a char device under /dev is the broker asked.  run's
 * port is the exception: any open of it is a dup of the port run holds
 * (an open of its own would find it locked).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <sys/stat.h>

#include "preload.h"

#define TBP_NAME_MAX 128

/* Does FLAGS need the mode argument? */
static bool tbp_wants_mode(int flags)
{
	return (flags & O_CREAT) || (flags & O_TMPFILE) == O_TMPFILE;
}

/*
 * The common path of every open: DIRFD, PATH, FLAGS, MODE as openat(2).
 * O_CREAT alone opens an existing device node (a shell's `<>` and `>`
 * redirections pass it), so it is brokered too; O_CREAT|O_EXCL, O_TMPFILE
 * and O_PATH never are.
 */
static int tbp_openat(int dirfd, const char *path, int flags, mode_t mode)
{
	char name[TBP_NAME_MAX];
	dev_t rdev;
	int fd, err;

	tbp_resolve();
	if (tbp_inside() || (flags & O_PATH) || (flags & O_TMPFILE) == O_TMPFILE ||
	    (flags & (O_CREAT | O_EXCL)) == (O_CREAT | O_EXCL) ||
	    tbp_match(dirfd, path, name, sizeof(name), &rdev) < 0)
		return tbp_real.openat(dirfd, path, flags, mode);
	if (tbp_is_run_port(rdev))
		return tbp_broker_open(path, name, rdev, flags, EBUSY);
	fd = tbp_real.openat(dirfd, path, flags, mode);
	if (fd >= 0 || (errno != EACCES && errno != EPERM))
		return fd;
	err = errno;
	return tbp_broker_open(path, name, rdev, flags, err);
}

TBP_EXPORT int open(const char *path, int flags, ...)
{
	mode_t mode = 0;

	if (tbp_wants_mode(flags)) {
		va_list ap;

		va_start(ap, flags);
		mode = (mode_t)va_arg(ap, int);
		va_end(ap);
	}
	return tbp_openat(AT_FDCWD, path, flags, mode);
}

TBP_EXPORT int open64(const char *path, int flags, ...)
{
	mode_t mode = 0;

	if (tbp_wants_mode(flags)) {
		va_list ap;

		va_start(ap, flags);
		mode = (mode_t)va_arg(ap, int);
		va_end(ap);
	}
	return tbp_openat(AT_FDCWD, path, flags | O_LARGEFILE, mode);
}

TBP_EXPORT int openat(int dirfd, const char *path, int flags, ...)
{
	mode_t mode = 0;

	if (tbp_wants_mode(flags)) {
		va_list ap;

		va_start(ap, flags);
		mode = (mode_t)va_arg(ap, int);
		va_end(ap);
	}
	return tbp_openat(dirfd, path, flags, mode);
}

TBP_EXPORT int openat64(int dirfd, const char *path, int flags, ...)
{
	mode_t mode = 0;

	if (tbp_wants_mode(flags)) {
		va_list ap;

		va_start(ap, flags);
		mode = (mode_t)va_arg(ap, int);
		va_end(ap);
	}
	return tbp_openat(dirfd, path, flags | O_LARGEFILE, mode);
}

/* The _FORTIFY_SOURCE variants: no mode (glibc's checks O_CREAT at compile time). */
TBP_EXPORT int __open_2(const char *path, int flags);
TBP_EXPORT int __open_2(const char *path, int flags)
{
	return tbp_openat(AT_FDCWD, path, flags, 0);
}

TBP_EXPORT int __open64_2(const char *path, int flags);
TBP_EXPORT int __open64_2(const char *path, int flags)
{
	return tbp_openat(AT_FDCWD, path, flags | O_LARGEFILE, 0);
}

TBP_EXPORT int __openat_2(int dirfd, const char *path, int flags);
TBP_EXPORT int __openat_2(int dirfd, const char *path, int flags)
{
	return tbp_openat(dirfd, path, flags, 0);
}

TBP_EXPORT int __openat64_2(int dirfd, const char *path, int flags);
TBP_EXPORT int __openat64_2(int dirfd, const char *path, int flags)
{
	return tbp_openat(dirfd, path, flags | O_LARGEFILE, 0);
}
