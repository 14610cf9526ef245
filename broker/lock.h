/* SPDX-License-Identifier: MIT */
/*
 * lock.h - serial port locks that interoperate with other programs:
 *
 *  - a UUCP/FHS lock file LOCKDIR/LCK..NAME ('/' in NAME becomes '_', as
 *    minicom does) holding the holder's PID as "%10d\n", written atomically
 *    (temporary file, then link(2));
 *  - flock(LOCK_EX|LOCK_NB) on the open port, as picocom and tio take.
 *
 * All lock-file operations are relative to a directory fd, so the backend
 * never resolves LOCKDIR again after startup.
 */
#ifndef TB_LOCK_H
#define TB_LOCK_H

#include <stddef.h>
#include <sys/types.h>

#define LOCK_DEFAULT_DIR "/run/lock"
#define LOCK_NAME_MAX    160 /* "LCK.." + port name + NUL, with room */
#define LOCK_READ_MAX    64  /* bytes read from somebody else's lock file */
/* A lock file without a readable PID is stale only once it is this old. */
#define LOCK_UNREADABLE_GRACE 10 /* seconds */

/* A lock file we created: its name and identity, to remove only our own. */
struct lock_file {
	char name[LOCK_NAME_MAX];
	dev_t dev;
	ino_t ino;
};

/* "LCK..pts_3" for "pts/3".  Returns 0 or -ENAMETOOLONG. */
int lock_name(const char *kname, char *out, size_t outlen);

/*
 * Create DIRFD/LCK..KNAME holding PID.  An existing file whose PID is
 * alive (kill(pid, 0) succeeds or fails with EPERM) means -EBUSY; a dead
 * PID is stale and is reclaimed without racing another locker.  Returns 0
 * and fills *LF, or a negative errno.  Never leaves a temporary file behind.
 */
int lock_acquire(int dirfd, const char *kname, pid_t pid, struct lock_file *lf);

/* Remove LF's file if it is still the one we created.  Returns 0 or -errno. */
int lock_release(int dirfd, const struct lock_file *lf);

/*
 * Read the PID from an existing lock file NAME in DIRFD (opened
 * O_NOFOLLOW|O_NONBLOCK, at most LOCK_READ_MAX bytes; ASCII, or the old
 * 4-byte binary form).  Returns 0 and *PID, -ENOENT, or -EINVAL if the
 * content holds no PID.
 */
int lock_read_pid(int dirfd, const char *name, pid_t *pid);

/*
 * The PID in lock-file content BUF (LEN bytes, as lock_read_pid reads it):
 * 0 and *PID (> 0), or -EINVAL.  Pure, for the fuzzer (fuzz/fuzz_lockpid.c).
 */
int lock_parse_pid(const char *buf, size_t len, pid_t *pid);

/* flock(LOCK_EX|LOCK_NB) on FD: 0, -EBUSY if somebody holds it, or -errno. */
int lock_flock(int fd);

#endif
