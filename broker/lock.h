/* SPDX-License-Identifier: MIT */
/*
 * lock.h - serial port locks that interoperate with other programs:
 *
 *  - a UUCP/FHS lock file LOCKDIR/LCK..NAME ('/' in NAME becomes '_', as
 *    minicom does) holding the holder's PID as "%10d\n", written atomically
 *    (temporary file, then link(2));
 *  - for a port whose node is known, an SVR4 lock file LOCKDIR/LK.DDD.MMM.mmm
 *    (major of the node's file system, major and minor of the device, as
 *    lockdev and Taylor UUCP name it) with the same content, so that a
 *    second node with the same device number under another name is busy too;
 *  - flock(LOCK_EX|LOCK_NB) on the open port, as picocom and tio take.
 *
 * All lock-file operations are relative to a directory fd, so the backend
 * never resolves LOCKDIR again after startup.
 */
#ifndef TB_LOCK_H
#define TB_LOCK_H

#include <stddef.h>
#include <sys/stat.h>
#include <sys/types.h>

#define LOCK_DEFAULT_DIR "/run/lock"
#define LOCK_NAME_MAX    160 /* "LCK.." + port name + NUL, with room */
#define LOCK_DEVNAME_MAX 40  /* "LK." + three numbers + NUL, with room */
#define LOCK_READ_MAX    64  /* bytes read from somebody else's lock file */
/* A lock file without a readable PID is stale only once it is this old. */
#define LOCK_UNREADABLE_GRACE 10 /* seconds */

/*
 * Lock files we created: their names and identity (both names are links to
 * one file), to remove only our own.  DEVNAME is "" when only the LCK..
 * file was taken.
 */
struct lock_file {
	char name[LOCK_NAME_MAX];
	char devname[LOCK_DEVNAME_MAX];
	dev_t dev;
	ino_t ino;
	unsigned int theirs; /* LOCK_THEIRS_*: names that are the client's own file */
};

/* In lock_file.theirs: that name was the client's own file, not created here. */
#define LOCK_THEIRS_NAME    1u
#define LOCK_THEIRS_DEVNAME 2u

/* "LCK..pts_3" for "pts/3".  Returns 0 or -ENAMETOOLONG. */
int lock_name(const char *kname, char *out, size_t outlen);

/*
 * Create DIRFD/LCK..KNAME holding PID.  An existing file whose PID is
 * alive (kill(pid, 0) succeeds or fails with EPERM) means -EBUSY; a dead
 * PID is stale and is reclaimed without racing another locker.  Returns 0
 * and fills *LF, or a negative errno.  Never leaves a temporary file behind.
 */
int lock_acquire(int dirfd, const char *kname, pid_t pid, struct lock_file *lf);

/*
 * "LK.000.004.064" for a node on a file system with major 0 whose device
 * is 4:64: "LK.%03u.%03u.%03u" of major(st_dev), major(st_rdev) and
 * minor(st_rdev).  Returns 0, -EINVAL (not a device) or -ENAMETOOLONG.
 */
int lock_devname(const struct stat *node, char *out, size_t outlen);

/*
 * lock_acquire for a port whose pinned node is NODE: LCK..KNAME and then
 * LK.DDD.MMM.mmm (lock_devname), both links to one file holding PID, with
 * the same stale rules for each.  Both are taken or neither: if the second
 * is busy, the first is removed again.  NODE may be NULL (LCK.. only).  On
 * -EBUSY, *HOLDER (if not NULL) is the live holder's PID, or 0 when the
 * busy file holds no readable PID; otherwise it is set to 0.
 */
int lock_acquire_port(int dirfd, const char *kname, const struct stat *node,
		      pid_t pid, struct lock_file *lf, pid_t *holder);

/*
 * lock_acquire_port for a client whose PID and UID the kernel gave us
 * (SO_PEERCRED), which may have written its own lock file before asking:
 * minicom writes LCK..NAME with its PID, then opens the port (and, under
 * `ttybroker exec`, the open comes here).  An existing name whose file
 * holds PID and is owned by UID is the client's own lock: it is accepted
 * as it is (never rewritten), marked in LF->theirs, and lock_release
 * leaves it to its owner.  A file naming PID but owned by another user is
 * judged as before (PID is alive: busy).  docs/DESIGN.md, "Serving an open".
 */
int lock_acquire_client(int dirfd, const char *kname, const struct stat *node,
			pid_t pid, uid_t uid, struct lock_file *lf, pid_t *holder);

/*
 * Remove LF's files (the LK.. one first) if they are still the one we
 * created; a name in LF->theirs is left alone.  Returns 0 or the first
 * -errno.
 */
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

/*
 * Is KNAME (pinned as NODE, may be NULL) locked by a live process, as
 * lock_acquire_port() would find it: its LCK.. file, else its LK.. file.
 * Returns 1 with *HOLDER the pid (0 if the file holds none yet), or 0 when
 * neither is held.  Takes nothing and removes no stale file.
 */
int lock_port_holder(int dirfd, const char *kname, const struct stat *node, pid_t *holder);

/* flock(LOCK_EX|LOCK_NB) on FD: 0, -EBUSY if somebody holds it, or -errno. */
int lock_flock(int fd);

#endif
