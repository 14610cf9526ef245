/* SPDX-License-Identifier: MIT */
/*
 * access.c - the checks tools make on a path before they open it
 * (access, faccessat, eaccess; see docs/DESIGN.md for which tool calls
 * what).  For a char device under /dev that the check says the caller may
 * not read or write, the answer is "yes, try": the open that follows goes
 * to the broker, which decides.  The stat family needs nothing: stat
 * works on a node one may not open.
 */
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include "preload.h"

#define TBP_NAME_MAX 128

/* The real check's result R (errno saved), or 0 for a port worth trying. */
static int tbp_access_verdict(int r, int dirfd, const char *path, int mode)
{
	char name[TBP_NAME_MAX];
	int err = errno;
	dev_t rdev;

	if (r == 0 || tbp_inside() || (err != EACCES && err != EPERM) ||
	    (mode & X_OK) || tbp_match(dirfd, path, name, sizeof(name), &rdev) < 0) {
		errno = err;
		return r;
	}
	return 0;
}

TBP_EXPORT int access(const char *path, int mode)
{
	tbp_resolve();
	return tbp_access_verdict(tbp_real.access(path, mode), AT_FDCWD, path, mode);
}

TBP_EXPORT int eaccess(const char *path, int mode)
{
	tbp_resolve();
	return tbp_access_verdict(tbp_real.eaccess(path, mode), AT_FDCWD, path, mode);
}

TBP_EXPORT int euidaccess(const char *path, int mode)
{
	return eaccess(path, mode);
}

TBP_EXPORT int faccessat(int dirfd, const char *path, int mode, int flags)
{
	tbp_resolve();
	return tbp_access_verdict(tbp_real.faccessat(dirfd, path, mode, flags), dirfd, path,
				  mode);
}
