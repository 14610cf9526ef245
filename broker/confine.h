/* SPDX-License-Identifier: MIT */
/*
 * confine.h - what the backend gives up before it serves a request:
 * resource limits, capabilities (libcap-ng), dumpability, no_new_privs,
 * Landlock file-system rules and a seccomp allow-list (libseccomp).  Any
 * step's failure ends the backend before it serves: never half-confined.
 */
#ifndef TB_CONFINE_H
#define TB_CONFINE_H

#include <stddef.h>
#include <sys/resource.h>

/* Files the backend may hold open at once: sessions, dirs, socket, log. */
#define CONFINE_NOFILE 64
/*
 * RLIMIT_FSIZE is reset to unlimited: a setuid caller could have lowered it
 * to truncate our lock files or kill us with SIGXFSZ in the middle of a
 * write (an audit line appended to a large stderr log file, say).  What we
 * write is bounded by the code: 11-byte lock files and log lines.
 */
#define CONFINE_FSIZE  RLIM_INFINITY
/* Without CAP_SYS_RESOURCE, the inherited hard limit must allow this. */
#define CONFINE_FSIZE_MIN 4096

/* The capabilities the backend or the daemon's engine keeps (CAP_* numbers; CAP_SYS_TTY_CONFIG
 * by the engine only); docs/DESIGN.md lists them. */
size_t confine_kept(const unsigned int **out);

/* Set RLIMIT_NOFILE, RLIMIT_CORE and RLIMIT_FSIZE.  0 or -errno. */
int confine_rlimits(void);

/*
 * Keep only the capabilities listed in confine.c (see docs/DESIGN.md),
 * in the effective and permitted sets and the bounding set; clear the
 * inheritable and ambient sets.  0 or -errno.
 */
int confine_caps(void);

/* PR_SET_DUMPABLE 0 and PR_SET_NO_NEW_PRIVS 1.  0 or -errno. */
int confine_nnp(void);

/* Load the backend's seccomp allow-list (filter.c).  0 or -errno. */
int confine_seccomp(void);

/*
 * Landlock: file access only below DEVFD (ports) and LOCKFD (lock files),
 * and reading below SYSFD (the sysfs root, -1 for none: identities).
 * 0, -EOPNOTSUPP on kernels without Landlock, or -errno.
 */
int confine_landlock(int devfd, int lockfd, int sysfd);

/*
 * All of the above, in order: rlimits, capabilities, no_new_privs,
 * Landlock, seccomp.  Stops at, logs and returns the first failure (the
 * caller must then exit without serving); a kernel without Landlock is
 * only warned about (it predates Linux 5.13).  0 or -errno.
 */
int confine_backend(int devfd, int lockfd, int sysfd);

/*
 * The same steps for the daemon's engine process: its own seccomp table
 * (FILTER_ROLE_DAEMON) and RLIMIT_NOFILE NOFILE (daemon.c computes it
 * from its limits).  0 or -errno.
 */
int confine_daemon(int devfd, int lockfd, int sysfd, rlim_t nofile);

#endif
