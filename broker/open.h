/* SPDX-License-Identifier: MIT */
/*
 * open.h - resolving, classifying and opening a port in the backend.
 *
 * Everything is relative to descriptors opened once at startup (/dev and
 * /sys/dev/char), components are walked with O_NOFOLLOW, the node is
 * pinned with O_PATH and classified from its fstat() before the device is
 * ever opened for real, because opening a serial port raises DTR (and
 * opening a non-tty device may have worse side effects).
 */
#ifndef TB_OPEN_H
#define TB_OPEN_H

#include <stddef.h>
#include <sys/stat.h>
#include <sys/types.h>

#define OPEN_MAX_CONSOLES 8

/* Descriptors and facts gathered before confinement. */
struct open_env {
	int devfd;      /* /dev, O_PATH|O_DIRECTORY                  */
	int sysfd;      /* /sys/dev/char, or -1 if unavailable       */
	int sysroot;    /* /sys (identity, sysid.h), or -1 if unavailable */
	size_t nconsoles;
	dev_t consoles[OPEN_MAX_CONSOLES]; /* from /sys/class/tty/console/active */
};

enum open_class {
	OPEN_CLASS_SERIAL,  /* a tty that may be handed out                   */
	OPEN_CLASS_PTY,     /* UNIX98 pty slave: only to its owner, by pts/N  */
	OPEN_CLASS_REFUSED, /* console, VT, /dev/tty, ptmx, legacy or master pty,
			       or a virtual tty (ttynull, ttyprintk...)       */
	OPEN_CLASS_NOTTY,   /* not a tty character device                     */
};

/* The sysfs root the backend reads: only tests name another (see
 * docs/DESIGN.md, "A port's identity"). */
#define OPEN_SYSFS_ROOT "/sys"

/* Open /dev and /sys/dev/char and read the active consoles. 0 or -errno. */
int open_env_init(struct open_env *env, const char *devdir);

/*
 * open_env_init() with SYSDIR as the sysfs root (NULL: OPEN_SYSFS_ROOT):
 * sysroot is SYSDIR, sysfd is SYSDIR/dev/char and the consoles come from
 * SYSDIR/class/tty/console/active.  A missing sysfs is no error (both
 * fds are then -1: classification and identity fail closed).
 */
int open_env_init_sys(struct open_env *env, const char *devdir, const char *sysdir);

/* Close what open_env_init() opened; an env whose devfd is -1 holds nothing. */
void open_env_fini(struct open_env *env);

/*
 * Turn a checked port name into the kernel name: "serial/by-id/LINK" and
 * "serial/by-path/LINK" are resolved with readlinkat() and must point at
 * "../../NAME" with NAME a plain port name; any other name is copied.  Returns 0, -EINVAL for a
 * bad link target, or another -errno (-ENOENT, -ENOTDIR, ...).
 */
int open_resolve(const struct open_env *env, const char *name, char *kname,
		 size_t len);

/*
 * Pin KNAME with O_PATH|O_NOFOLLOW, one component at a time, and fstat it.
 * Returns the O_PATH descriptor (caller closes) or -errno.
 */
int open_pin(const struct open_env *env, const char *kname, struct stat *st);

/* Classify a pinned node. */
enum open_class open_classify(const struct open_env *env, const struct stat *st);

/*
 * Open KNAME O_RDWR|O_NOCTTY|O_NONBLOCK|O_CLOEXEC without following
 * symlinks and check it is the pinned node and a tty (TCGETS).  Returns
 * the fd, -ESTALE if the node changed, -ENOTTY, or another -errno.
 */
int open_device(const struct open_env *env, const char *kname,
		const struct stat *pinned);

/*
 * Put the tty open on FD in exclusive mode (TIOCEXCL), or take it out
 * (TIOCNXCL).  In exclusive mode every other open(2) of the device fails
 * with EBUSY unless the opener has CAP_SYS_ADMIN, whatever node it names.
 * Exclusive mode outlives a close while the tty stays allocated (a pty
 * slave whose master is open), so a holder clears it before it lets go.
 * 0 or -errno.
 */
int open_exclusive(int fd, int on);

#endif
