/* SPDX-License-Identifier: MIT */
/*
 * benchutil.h - what every `make bench` program shares: a private fixture
 * (temp dir, lock dir, a policy permitting nobody its ptys, ptys whose
 * slaves belong to nobody), full reads and writes on pipes, /proc
 * readers, statistics, and the "direct" open: the backend's steps for one
 * open and release, done in-process by a root program with the same locks.
 */
#ifndef TB_BENCHUTIL_H
#define TB_BENCHUTIL_H

#include <signal.h>
#include <stddef.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "open.h"
#include "policy.h"

#define BENCH_NOBODY_UID 65534
#define BENCH_NOBODY_GID 65534

/* One pty pair; the master stays open so the slave stays usable. */
struct bench_pty {
	int master;         /* -1 when closed */
	char port[32];      /* "pts/N" */
};

/* Private files and ptys; bench_fixture_fini removes all of it. */
struct bench_fixture {
	pid_t owner;        /* only this process cleans up */
	char dir[64];       /* mkdtemp, root-owned 0755 */
	char policy[128];   /* DIR/ttybroker.conf, root-owned 0644 */
	char lockdir[128];  /* DIR/lock */
	int npty;
	struct bench_pty *pty; /* npty ptys, slaves owned by nobody */
};

/* The direct side's state, set up once like the backend's. */
struct bench_direct {
	struct policy *pol;
	struct policy_subject subj;
	struct open_env env;
	int lockfd;
	pid_t pid;
};

/* Set by the benches' signal handlers: read_full stops retrying EINTR. */
extern volatile sig_atomic_t bench_stop;

/*
 * $TMPDIR (or /tmp)/TAG.XXXXXX with a lock dir, NPTY ptys owned by nobody
 * and a policy "permit nobody pts/N" for each, after a "# TAG" line.
 * Registers bench_fixture_fini with atexit.  0, or
 * -1 after saying why.
 */
int bench_fixture_init(struct bench_fixture *fx, const char *tag, int npty);
/* Remove everything FX made; safe to call twice; a no-op in children. */
void bench_fixture_fini(struct bench_fixture *fx);
/* Remove every entry of directory PATH; returns how many there were. */
int bench_purge_dir(const char *path);
/* Entries of directory PATH other than . and .., or -1. */
int bench_count_entries(const char *path);
/* "tmpfs", "ext4", or the magic number of PATH's filesystem in BUF. */
const char *bench_fs_name(const char *path, char *buf, size_t len);

/* write(2) all of BUF, retrying on EINTR and short writes.  0 or -errno. */
int bench_write_full(int fd, const void *buf, size_t len);
/* read(2) exactly LEN bytes.  0, -EPIPE on early EOF, or -errno. */
int bench_read_full(int fd, void *buf, size_t len);
/* waitpid(PID) through EINTR; STATUS may be NULL. */
void bench_reap(pid_t pid, int *status);
double bench_now_us(void);

/* Value in kB of "KEY:" in /proc/PID/status, or -1. */
long bench_status_kb(pid_t pid, const char *key);
/* PID's only child, or -1 if it has none or several. */
pid_t bench_only_child(pid_t pid);
/* Open descriptors of PID, or -1. */
int bench_fd_count(pid_t pid);

/* Median of N values (sorts a copy); 0 if N is 0 or out of memory. */
double bench_median(const double *v, size_t n);
/* The P-th percentile (0..100, nearest rank) of N values, sorted in place. */
double bench_percentile(double *v, size_t n, double p);
double bench_mean(const double *v, size_t n);
int bench_cmp_double(const void *a, const void *b);

/* Load FX's policy for nobody and open /dev and the lock dir.  0 or -1. */
int bench_direct_init(struct bench_direct *d, const struct bench_fixture *fx);
void bench_direct_fini(struct bench_direct *d);
/* One open and release of PORT as a root program without a broker would. */
int bench_direct_once(struct bench_direct *d, const char *port);

#endif
