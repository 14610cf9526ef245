/* SPDX-License-Identifier: MIT */
/*
 * lock.c - UUCP lock files and flock(2) on ports, so that minicom, picocom
 * and tio see a port we hand out as busy, and we see theirs.
 *
 * Our lock file is written completely under a private temporary name and
 * then published with linkat(2), so nobody ever reads a partial PID from
 * us.  A stale file (dead PID, or unreadable and old) is reclaimed under
 * flock(2) on the stale file itself and re-checked once that is held, so
 * that of several reclaimers only one wins.  For a port whose node is
 * known, the same file is also linked as LK.fff.MMM.mmm (lockdev's and
 * Taylor UUCP's SVR4 name, by device number), so another node of the same
 * device is busy too; both names are taken or neither.  Everything is
 * relative to one directory fd and uses few syscalls, to fit the backend's
 * seccomp allow-list.  Nothing here logs: errors go back to the caller.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

#include "lock.h"
#include "log.h"

#define LOCK_PREFIX     "LCK.."
#define LOCK_TMP_PREFIX ".LTMP.."
#define LOCK_TMP_MAX    (sizeof(LOCK_TMP_PREFIX) + LOCK_NAME_MAX + 16)
#define LOCK_TRIES      5       /* linkat attempts before giving up */
#define LOCK_PID_LIMIT  4194304 /* PID_MAX_LIMIT: bound for binary PIDs */

/* NAME is a plain entry of the lock directory: non-empty, no '/'. */
static bool name_ok(const char *name)
{
	return name && name[0] != '\0' && !strchr(name, '/');
}

int lock_name(const char *kname, char *out, size_t outlen)
{
	size_t plen = sizeof(LOCK_PREFIX) - 1;
	size_t klen, i;

	if (!kname || kname[0] == '\0' || !out)
		return -EINVAL;
	klen = strlen(kname);
	if (outlen < plen + klen + 1)
		return -ENAMETOOLONG;
	memcpy(out, LOCK_PREFIX, plen);
	for (i = 0; i < klen; i++)
		out[plen + i] = kname[i] == '/' ? '_' : kname[i];
	out[plen + klen] = '\0';
	return 0;
}

static bool is_blank(char c)
{
	return c == ' ' || c == '\t';
}

static bool is_space(char c)
{
	return is_blank(c) || c == '\n' || c == '\r';
}

/* An ASCII PID: blanks, decimal digits, then nothing but whitespace. */
static int parse_ascii(const char *buf, size_t len, pid_t *pid)
{
	long long v = 0;
	size_t i = 0, start;

	while (i < len && is_blank(buf[i]))
		i++;
	start = i;
	for (; i < len && buf[i] >= '0' && buf[i] <= '9'; i++) {
		v = v * 10 + (buf[i] - '0');
		if (v > INT_MAX)
			return -EINVAL;
	}
	if (i == start)
		return -EINVAL;
	for (; i < len; i++)
		if (!is_space(buf[i]))
			return -EINVAL;
	*pid = (pid_t)v;
	return 0;
}

/*
 * The PID in lock file content BUF: ASCII, or else the historical 4-byte
 * native-endian binary form, which must look like a real PID.  A PID that
 * is not positive is no PID: kill(0 or -n, 0) would probe process groups.
 */
int lock_parse_pid(const char *buf, size_t len, pid_t *pid)
{
	int32_t bin;
	pid_t v;

	if (parse_ascii(buf, len, &v) == 0) {
		if (v <= 0)
			return -EINVAL;
		*pid = v;
		return 0;
	}
	if (len != sizeof(bin))
		return -EINVAL;
	memcpy(&bin, buf, sizeof(bin));
	if (bin <= 0 || bin > LOCK_PID_LIMIT)
		return -EINVAL;
	*pid = (pid_t)bin;
	return 0;
}

/* Read up to CAP bytes from FD, retrying short reads.  Bytes read or -errno. */
static ssize_t read_upto(int fd, char *buf, size_t cap)
{
	size_t got = 0;
	ssize_t n;

	while (got < cap) {
		n = read(fd, buf + got, cap - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			break;
		got += (size_t)n;
	}
	return (ssize_t)got;
}

/* Write all LEN bytes of BUF to FD.  0 or -errno. */
static int write_all(int fd, const char *buf, size_t len)
{
	ssize_t n;

	while (len > 0) {
		n = write(fd, buf, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return -EIO;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/*
 * Open lock file NAME for reading.  Anything but a regular file (symlink,
 * directory, fifo, socket, device) is -EPERM and is not opened at all; the
 * open flags keep a file swapped in after the check harmless too.
 */
static int open_lock(int dirfd, const char *name)
{
	struct stat st;
	int fd;

	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return -errno;
	if (!S_ISREG(st.st_mode))
		return -EPERM;
	fd = openat(dirfd, name,
		    O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (fd < 0)
		return errno == ELOOP || errno == ENXIO ? -EPERM : -errno;
	return fd;
}

/*
 * The PID in open lock file FD, read from its current offset, with its
 * stat in *ST.  -EPERM unless a regular file; -EINVAL for no PID or more
 * than LOCK_READ_MAX bytes (one byte more is read to tell).
 */
static int read_pid_fd(int fd, pid_t *pid, struct stat *st)
{
	char buf[LOCK_READ_MAX + 1];
	ssize_t n;

	if (fstat(fd, st) < 0)
		return -errno;
	if (!S_ISREG(st->st_mode))
		return -EPERM;
	n = read_upto(fd, buf, sizeof(buf));
	if (n < 0)
		return (int)n;
	if (n > LOCK_READ_MAX)
		return -EINVAL;
	return lock_parse_pid(buf, (size_t)n, pid);
}

/* lock_read_pid, also giving the file's stat in *ST. */
static int peek_pid(int dirfd, const char *name, pid_t *pid, struct stat *st)
{
	int fd, r;

	fd = open_lock(dirfd, name);
	if (fd < 0)
		return fd;
	r = read_pid_fd(fd, pid, st);
	close(fd);
	return r;
}

/*
 * NAME must be a plain name in DIRFD (else -EINVAL too).  Opening follows
 * no symlink and never blocks; a non-regular file is -EPERM.
 */
int lock_read_pid(int dirfd, const char *name, pid_t *pid)
{
	struct stat st;

	if (!name_ok(name) || !pid)
		return -EINVAL;
	return peek_pid(dirfd, name, pid, &st);
}

/*
 * PID may be running: signal 0 reaches it, or is refused (EPERM).  Never
 * probe PID <= 0, which would address process groups: call it alive.
 */
static bool pid_alive(pid_t pid)
{
	if (pid <= 0)
		return true;
	if (kill(pid, 0) == 0)
		return true;
	return errno != ESRCH;
}

/*
 * Verdict on a lock file from read_pid_fd's result R, its PID and stat:
 * 0 if stale, -EBUSY if held, else R.  Unreadable content may be a locker
 * between O_EXCL creation and write(2), so it is stale only once old.
 * A PID from another PID namespace cannot be told from a dead one here:
 * such a lock looks stale (docs/DESIGN.md, "Lock file").
 */
static int judge(int r, pid_t pid, const struct stat *st)
{
	if (r == 0)
		return pid_alive(pid) ? -EBUSY : 0;
	if (r == -EINVAL)
		return time(NULL) - st->st_mtime > LOCK_UNREADABLE_GRACE ?
			       0 : -EBUSY;
	return r;
}

/*
 * Remove stale lock file NAME.  Holding flock(2) on it, re-read it and
 * check NAME still refers to it, so that of several reclaimers only one
 * removes it and nobody removes a successor's file.  0 when removed,
 * -EAGAIN when NAME changed under us (look again), -EBUSY, or -errno.
 */
static int reclaim(int dirfd, const char *name)
{
	struct stat fst, nst;
	pid_t pid = 0;
	int fd, r;

	fd = open_lock(dirfd, name);
	if (fd < 0)
		return fd == -ENOENT ? -EAGAIN : fd;
	r = lock_flock(fd);
	if (r < 0)
		goto out;
	r = read_pid_fd(fd, &pid, &fst);
	r = judge(r, pid, &fst);
	if (r < 0)
		goto out;
	/* Last before unlinking, to keep the window small. */
	if (fstatat(dirfd, name, &nst, AT_SYMLINK_NOFOLLOW) < 0) {
		r = errno == ENOENT ? -EAGAIN : -errno;
		goto out;
	}
	if (nst.st_dev != fst.st_dev || nst.st_ino != fst.st_ino) {
		r = -EAGAIN;
		goto out;
	}
	if (unlinkat(dirfd, name, 0) < 0)
		r = errno == ENOENT ? -EAGAIN : -errno;
out:
	close(fd);
	return r;
}

/* The client we lock for: its PID, and its UID when its own files count. */
struct lock_client {
	pid_t pid;
	uid_t uid;
	bool own_ok; /* a file of its own (its PID, owned by UID) is accepted */
};

/*
 * A lock file holding PID with stat ST is the client's own: it wrote it
 * itself (minicom's LCK.. before its open).  The owner check keeps a file
 * of another user whose old PID the client now has (and files we created
 * as root for a non-root client) from counting.
 */
static bool client_owns(const struct lock_client *cl, pid_t pid, const struct stat *st)
{
	return cl && cl->own_ok && pid == cl->pid && st->st_uid == cl->uid;
}

/*
 * One attempt to publish TMP as NAME.  0 on success; 1 when NAME is the
 * client's own file (left as it is); -EAGAIN to try again (stale file
 * removed, or NAME changed or vanished); -EBUSY; -EPERM for a non-regular
 * NAME; or -errno.
 */
static int try_link(int dirfd, const char *tmp, const char *name,
		    const struct lock_client *cl, pid_t *holder)
{
	struct stat st;
	pid_t pid = 0;
	int r;

	*holder = 0;
	if (linkat(dirfd, tmp, dirfd, name, 0) == 0)
		return 0;
	if (errno != EEXIST)
		return -errno;
	r = peek_pid(dirfd, name, &pid, &st);
	if (r == -ENOENT)
		return -EAGAIN;
	if (r == 0 && client_owns(cl, pid, &st))
		return 1;
	if (r == 0)
		*holder = pid;
	r = judge(r, pid, &st);
	if (r < 0)
		return r;
	r = reclaim(dirfd, name);
	return r == 0 ? -EAGAIN : r;
}

/*
 * Create temporary file TMP holding PID as "%10d\n", closed, with its stat
 * in *ST.  A leftover TMP (same name: a dead process with our recycled PID)
 * is removed once.  0, or -errno with nothing left behind.
 */
static int tmp_create(int dirfd, const char *tmp, pid_t pid, struct stat *st)
{
	char buf[16];
	int fd, len, r = 0;

	len = snprintf(buf, sizeof(buf), "%10d\n", (int)pid);
	fd = openat(dirfd, tmp,
		    O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd < 0 && errno == EEXIST) {
		if (unlinkat(dirfd, tmp, 0) < 0 && errno != ENOENT)
			return -errno;
		fd = openat(dirfd, tmp,
			    O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
			    0644);
	}
	if (fd < 0)
		return -errno;
	r = write_all(fd, buf, (size_t)len);
	if (r == 0 && fstat(fd, st) < 0)
		r = -errno;
	if (close(fd) < 0 && r == 0 && errno != EINTR)
		r = -errno;
	fd = -1;
	if (r < 0)
		unlinkat(dirfd, tmp, 0);
	return r;
}

int lock_devname(const struct stat *node, char *out, size_t outlen)
{
	int n;

	if (!node || !out || !(S_ISCHR(node->st_mode) || S_ISBLK(node->st_mode)))
		return -EINVAL;
	n = snprintf(out, outlen, "LK.%03u.%03u.%03u", major(node->st_dev),
		     major(node->st_rdev), minor(node->st_rdev));
	if (n < 0 || (size_t)n >= outlen)
		return -ENAMETOOLONG;
	return 0;
}

/*
 * Publish TMP as NAME, retrying while stale files are reclaimed: 0, or 1
 * for the client's own file (try_link).  On -EBUSY, *HOLDER is the PID
 * that holds it (0 if unreadable).
 */
static int link_name(int dirfd, const char *tmp, const char *name,
		     const struct lock_client *cl, pid_t *holder)
{
	int r = -EAGAIN;

	for (int tries = 0; tries < LOCK_TRIES && r == -EAGAIN; tries++)
		r = try_link(dirfd, tmp, name, cl, holder);
	if (r == -EAGAIN) {
		*holder = 0;
		r = -EBUSY;
	}
	if (r != -EBUSY)
		*holder = 0;
	return r;
}

/* Unlink NAME if it still is the file DEV:INO.  0, -ESTALE or -errno. */
static int unlink_ours(int dirfd, const char *name, dev_t dev, ino_t ino)
{
	struct stat st;

	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return -errno;
	if (st.st_dev != dev || st.st_ino != ino)
		return -ESTALE;
	if (unlinkat(dirfd, name, 0) < 0)
		return -errno;
	return 0;
}

/*
 * Besides the header's contract: -EINVAL for PID <= 0 or an empty KNAME,
 * -ENAMETOOLONG, and -EPERM when LCK..KNAME exists but is not a regular
 * file (a symlink, directory, fifo...): it is left alone, as it is nobody's
 * lock we understand and removing it is not ours to decide.  The temporary
 * file is DIRFD/.LTMP..LCK..KNAME.<getpid()>, so two threads of one process
 * must not lock the same port at once.  CL says whose files are accepted
 * as they are (lock_acquire_client); a name accepted so is never removed
 * here, also when the other name is busy.
 */
static int acquire(int dirfd, const char *kname, const struct stat *node,
		   const struct lock_client *cl, struct lock_file *lf, pid_t *holder)
{
	char name[LOCK_NAME_MAX], devname[LOCK_DEVNAME_MAX] = "";
	char tmp[LOCK_TMP_MAX];
	unsigned int theirs = 0;
	pid_t who = 0;
	struct stat st;
	int r, n;

	if (holder)
		*holder = 0;
	if (!lf)
		return -EINVAL;
	memset(lf, 0, sizeof(*lf));
	if (cl->pid <= 0)
		return -EINVAL;
	r = lock_name(kname, name, sizeof(name));
	if (r == 0 && node)
		r = lock_devname(node, devname, sizeof(devname));
	if (r < 0)
		return r;
	n = snprintf(tmp, sizeof(tmp), LOCK_TMP_PREFIX "%s.%d", name,
		     (int)getpid());
	if (n < 0 || (size_t)n >= sizeof(tmp))
		return -ENAMETOOLONG;
	r = tmp_create(dirfd, tmp, cl->pid, &st);
	if (r < 0)
		return r;

	r = link_name(dirfd, tmp, name, cl, &who);
	if (r == 1)
		theirs |= LOCK_THEIRS_NAME;
	if (r >= 0 && devname[0]) {
		r = link_name(dirfd, tmp, devname, cl, &who);
		if (r == 1)
			theirs |= LOCK_THEIRS_DEVNAME;
		if (r < 0 && !(theirs & LOCK_THEIRS_NAME)) { /* both or neither */
			int u = unlink_ours(dirfd, name, st.st_dev, st.st_ino);

			/* Left behind, it names a live client until that ends:
			 * say so (-ESTALE: no longer ours to remove). */
			if (u < 0 && u != -ESTALE) {
				errno = -u;
				log_warn("lock: cannot take back %s", name);
			}
		}
	}
	if (r >= 0) {
		memcpy(lf->name, name, strlen(name) + 1);
		memcpy(lf->devname, devname, strlen(devname) + 1);
		lf->dev = st.st_dev;
		lf->ino = st.st_ino;
		lf->theirs = theirs;
		r = 0;
	}
	if (holder)
		*holder = who;
	unlinkat(dirfd, tmp, 0);
	return r;
}

int lock_acquire_port(int dirfd, const char *kname, const struct stat *node,
		      pid_t pid, struct lock_file *lf, pid_t *holder)
{
	struct lock_client cl = { .pid = pid };

	return acquire(dirfd, kname, node, &cl, lf, holder);
}

/* The client's identity comes from the kernel (SO_PEERCRED), never from it. */
int lock_acquire_client(int dirfd, const char *kname, const struct stat *node,
			pid_t pid, uid_t uid, struct lock_file *lf, pid_t *holder)
{
	struct lock_client cl = { .pid = pid, .uid = uid, .own_ok = true };

	return acquire(dirfd, kname, node, &cl, lf, holder);
}

int lock_acquire(int dirfd, const char *kname, pid_t pid, struct lock_file *lf)
{
	return lock_acquire_port(dirfd, kname, NULL, pid, lf, NULL);
}

/*
 * -ESTALE, leaving it, for a file that is no longer the one we created.
 * A name in LF->theirs is the client's own file: not ours to remove.
 */
int lock_release(int dirfd, const struct lock_file *lf)
{
	int r = 0, r2 = 0;

	if (!lf || !memchr(lf->name, '\0', sizeof(lf->name)) ||
	    !name_ok(lf->name) ||
	    !memchr(lf->devname, '\0', sizeof(lf->devname)) ||
	    (lf->devname[0] && !name_ok(lf->devname)))
		return -EINVAL;
	if (lf->devname[0] && !(lf->theirs & LOCK_THEIRS_DEVNAME))
		r = unlink_ours(dirfd, lf->devname, lf->dev, lf->ino);
	if (!(lf->theirs & LOCK_THEIRS_NAME))
		r2 = unlink_ours(dirfd, lf->name, lf->dev, lf->ino);
	return r < 0 ? r : r2;
}

int lock_flock(int fd)
{
	while (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		if (errno == EINTR)
			continue;
		return errno == EWOULDBLOCK ? -EBUSY : -errno;
	}
	return 0;
}

/* ---- who holds a port, without taking it ---- */

/* One lock file NAME: 1 and *PID (0: unknown) if a live process holds it or
 * it cannot be judged (not a regular file: an open would be refused too);
 * 0 if absent or stale. */
static int lock_file_held(int dirfd, const char *name, pid_t *pid)
{
	struct stat st;
	pid_t who = 0;
	int r = peek_pid(dirfd, name, &who, &st);

	if (r == -ENOENT)
		return 0;
	r = judge(r, who, &st);
	if (r == 0)
		return 0;
	/* Held, or not a file we can judge (an open would be refused too). */
	*pid = r == -EBUSY ? who : 0;
	return 1;
}

int lock_port_holder(int dirfd, const char *kname, const struct stat *node, pid_t *holder)
{
	char name[LOCK_NAME_MAX], devname[LOCK_DEVNAME_MAX];

	*holder = 0;
	if (lock_name(kname, name, sizeof(name)) < 0)
		return 0;
	if (lock_file_held(dirfd, name, holder))
		return 1;
	if (node && lock_devname(node, devname, sizeof(devname)) == 0 &&
	    lock_file_held(dirfd, devname, holder))
		return 1;
	return 0;
}
