/* SPDX-License-Identifier: MIT */
/*
 * landlock.h - file-system confinement of the backend with Landlock.
 *
 * CAP_DAC_OVERRIDE lets the backend open any file.  Landlock takes that
 * back: after landlock_confine() the backend may open files for reading or
 * writing only below /dev (the ports), create, read and remove regular
 * files only in the lock directory, and read files below /sys (a port's
 * identity, broker/sysid.c).  Nothing else can be created, written,
 * removed or executed, whatever the capabilities say.
 */
#ifndef TB_LANDLOCK_H
#define TB_LANDLOCK_H

/*
 * Restrict this process (no_new_privs must be set).  DEVFD, LOCKFD and
 * SYSFD are directory fds (O_PATH is fine); SYSFD may be -1 (no sysfs: no
 * rule for it).  With SYSFD, directories below it and below DEVFD may also
 * be listed (ttybroker list).  Returns 0, -EOPNOTSUPP if the kernel has no
 * Landlock (the caller decides), or another -errno.
 */
int landlock_confine(int devfd, int lockfd, int sysfd);

/* The kernel's Landlock ABI version, or a negative errno. */
int landlock_abi(void);

#endif
