/* SPDX-License-Identifier: MIT */
/*
 * landlock.c - see landlock.h.  glibc has no wrappers for the Landlock
 * system calls, and Debian 12's kernel headers stop at ABI 2, so the
 * newer access bits are defined here.
 */
#include <errno.h>
#include <linux/landlock.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "landlock.h"

#ifndef LANDLOCK_ACCESS_FS_TRUNCATE
#define LANDLOCK_ACCESS_FS_TRUNCATE (1ULL << 14) /* ABI 3 */
#endif
#ifndef LANDLOCK_ACCESS_FS_IOCTL_DEV
#define LANDLOCK_ACCESS_FS_IOCTL_DEV (1ULL << 15) /* ABI 5 */
#endif

#define LL_ABI1 ((1ULL << 13) - 1) /* EXECUTE ... MAKE_SYM */

/* Rights on the ports: open them read-write and use tty ioctls on them. */
#define LL_DEV  (LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_WRITE_FILE | \
		 LANDLOCK_ACCESS_FS_IOCTL_DEV)
/* Listing /dev/pts and /dev/serial/by-* (ttybroker list). */
#define LL_DEV_LIST LANDLOCK_ACCESS_FS_READ_DIR
/* Below the sysfs root: read attributes (a port's identity) and list
 * /sys/class/tty (ttybroker list). */
#define LL_SYS  (LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_READ_DIR)
/* Rights in the lock directory: write, link into place, read, remove. */
#define LL_LOCK (LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_WRITE_FILE | \
		 LANDLOCK_ACCESS_FS_MAKE_REG | LANDLOCK_ACCESS_FS_REMOVE_FILE)

int landlock_abi(void)
{
	long v = syscall(SYS_landlock_create_ruleset, NULL, 0,
			 LANDLOCK_CREATE_RULESET_VERSION);

	if (v < 0)
		return errno == ENOSYS || errno == EOPNOTSUPP ? -EOPNOTSUPP : -errno;
	return (int)v;
}

/* Every file-system right this kernel knows: all of them are handled. */
static uint64_t landlock_handled(int abi)
{
	uint64_t all = LL_ABI1;

	if (abi >= 2)
		all |= LANDLOCK_ACCESS_FS_REFER;
	if (abi >= 3)
		all |= LANDLOCK_ACCESS_FS_TRUNCATE;
	if (abi >= 5)
		all |= LANDLOCK_ACCESS_FS_IOCTL_DEV;
	return all;
}

static int landlock_allow(int ruleset, int dirfd, uint64_t rights)
{
	struct landlock_path_beneath_attr pb = {
		.allowed_access = rights, .parent_fd = dirfd,
	};

	if (syscall(SYS_landlock_add_rule, ruleset, LANDLOCK_RULE_PATH_BENEATH, &pb, 0) < 0)
		return -errno;
	return 0;
}

int landlock_confine(int devfd, int lockfd, int sysfd)
{
	struct landlock_ruleset_attr attr = { 0 };
	int abi = landlock_abi(), ruleset, r;

	if (abi < 0)
		return abi;
	attr.handled_access_fs = landlock_handled(abi);
	ruleset = (int)syscall(SYS_landlock_create_ruleset, &attr, sizeof(attr), 0);
	if (ruleset < 0)
		return -errno;
	if ((r = landlock_allow(ruleset, devfd, (LL_DEV | (sysfd >= 0 ? LL_DEV_LIST : 0)) &
				attr.handled_access_fs)) < 0 ||
	    (r = landlock_allow(ruleset, lockfd, LL_LOCK & attr.handled_access_fs)) < 0 ||
	    (sysfd >= 0 &&
	     (r = landlock_allow(ruleset, sysfd, LL_SYS & attr.handled_access_fs)) < 0))
		goto out;
	r = syscall(SYS_landlock_restrict_self, ruleset, 0) < 0 ? -errno : 0;
out:
	close(ruleset);
	return r;
}
