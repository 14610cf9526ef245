/* SPDX-License-Identifier: MIT */
/*
 * preload.h - libttybroker-preload.so, internal interfaces.
 *
 * The library is put in LD_PRELOAD by `ttybroker exec` and `ttybroker run`.
 * It interposes the glibc calls that open a path (open.c), release one
 * (close.c) and ask about one first (access.c).  An open of a tty device
 * node under /dev that the program may not open itself is sent to the
 * broker (state.c); the program gets a dup() of the brokered descriptor.
 * Under `run`, opens of the run's port always get a dup of the port that
 * run holds (run's fd 3), whatever name they use.
 */
#ifndef TB_PRELOAD_H
#define TB_PRELOAD_H

#include <stdbool.h>
#include <sys/types.h>

#define TBP_EXPORT __attribute__((visibility("default")))

/* Environment set by the ttybroker command for PROGRAM. */
#define TBP_ENV_RUN_RDEV "TTYBROKER_PRELOAD_RDEV" /* run: "MAJ:MIN" of fd 3's port */
#define TBP_ENV_QUIET    "TTYBROKER_PRELOAD_QUIET" /* "1": no stderr lines */

/* The real libc functions (dlsym(RTLD_NEXT)); resolved on first use. */
struct tbp_real {
	int (*open)(const char *, int, ...);
	int (*openat)(int, const char *, int, ...);
	int (*close)(int);
	int (*close_range)(unsigned int, unsigned int, int);
	int (*dup2)(int, int);
	int (*dup3)(int, int, int);
	int (*access)(const char *, int);
	int (*faccessat)(int, const char *, int, int);
	int (*eaccess)(const char *, int);
};
extern struct tbp_real tbp_real;
void tbp_resolve(void);
/* The table and lock (state.c), set up by tbp_resolve() before first use. */
void tbp_state_init(void);

/* True while this thread runs preload code: nested calls pass through. */
bool tbp_inside(void);

/*
 * A path (relative to DIRFD like openat) that names a char device under
 * /dev: 0 with the port name ("ttyUSB0", "pts/3") in NAME and the device
 * in *RDEV, or a negative errno (-ENODEV: not one of ours).
 */
int tbp_match(int dirfd, const char *path, char *name, size_t len, dev_t *rdev);

/*
 * Open NAME (device RDEV) for a program's open with FLAGS after its own
 * open failed with ERR (or, for run's port, before): a new descriptor of
 * the program's, or -1 with errno set (one line on stderr says why when
 * the broker refused).  FORCE: ask without a failed open first (run).
 */
int tbp_broker_open(const char *path, const char *name, dev_t rdev, int flags, int err);

/* Is RDEV run's port?  (Then every open of it is a dup of run's fd.) */
bool tbp_is_run_port(dev_t rdev);

/* The program closes FD (or it is replaced by dup2/dup3): drop it from the table. */
void tbp_forget(int fd);
/* Is FD one the preload keeps for itself (a port, its connection; never the program's)? */
bool tbp_is_kept(int fd);
/* Same for every fd in [FIRST, LAST]. */
void tbp_forget_range(unsigned int first, unsigned int last);

#endif
