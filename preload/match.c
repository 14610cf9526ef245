/* SPDX-License-Identifier: MIT */
/*
 * match.c - which paths the preload cares about: a char device node that
 * resolves (through any symlinks, /dev/serial/by-id included) to a node
 * under /dev.  stat() works on a node the caller may not open, so this
 * needs no permission on the device.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "preload.h"

/* The absolute path of PATH relative to DIRFD, into OUT (PATH_MAX). */
static int tbp_absolute(int dirfd, const char *path, char *out)
{
	char base[64], tmp[PATH_MAX];

	if (path[0] == '/' || dirfd == AT_FDCWD) {
		if (!realpath(path, out))
			return -errno;
		return 0;
	}
	snprintf(base, sizeof(base), "/proc/self/fd/%d", dirfd);
	if (snprintf(tmp, sizeof(tmp), "%s/%s", base, path) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	if (!realpath(tmp, out))
		return -errno;
	return 0;
}

int tbp_match(int dirfd, const char *path, char *name, size_t len, dev_t *rdev)
{
	char abs[PATH_MAX];
	struct stat st;
	int r;

	if (!path || !*path)
		return -ENODEV;
	if (fstatat(dirfd, path, &st, 0) < 0)
		return -errno;
	if (!S_ISCHR(st.st_mode))
		return -ENODEV;
	if ((r = tbp_absolute(dirfd, path, abs)) < 0)
		return r;
	if (strncmp(abs, "/dev/", 5) != 0 || !abs[5])
		return -ENODEV;
	if (strlen(abs + 5) >= len)
		return -ENAMETOOLONG;
	strcpy(name, abs + 5);
	*rdev = st.st_rdev;
	return 0;
}
