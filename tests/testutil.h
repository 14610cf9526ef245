/* SPDX-License-Identifier: MIT */
/*
 * testutil.h - shared fixtures for the integration tests: real pseudo-
 * terminals standing in for serial ports, a private policy file and lock
 * directory, and running the ttybroker command.  Everything a fixture
 * creates is removed by tu_env_fini().
 */
#ifndef TB_TESTUTIL_H
#define TB_TESTUTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define TU_NOBODY 65534

struct tu_pty {
	int master;     /* -1 when closed */
	char port[32];  /* "pts/N" */
	char path[48];  /* "/dev/pts/N" */
};

struct tu_env {
	char dir[64];        /* mkdtemp, 0755, root-owned */
	char policy[128];    /* DIR/ttybroker.conf */
	char lockdir[128];   /* DIR/lock */
	char bin[256];       /* path of the ttybroker command */
};

/* Make the directory, lock dir and an empty policy; fails the test on error. */
void tu_env_init(struct tu_env *e);
/* Remove every file in the lock dir, the policy, the dirs. */
void tu_env_fini(struct tu_env *e);
/* Write the policy file (root-owned, mode 0644) from a printf format. */
void tu_policy(struct tu_env *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Path of the lock file for PORT inside e->lockdir. */
void tu_lockfile(const struct tu_env *e, const char *port, char *out, size_t len);
bool tu_exists(const char *path);

/* A pty pair; the slave node is chowned to OWNER. */
void tu_pty_open(struct tu_pty *p, uid_t owner);
void tu_pty_close(struct tu_pty *p);
/* Read from the master until NEEDLE appears or TIMEOUT_MS passes. */
bool tu_pty_expect(struct tu_pty *p, const char *needle, int timeout_ms);

/* Number of open fds of this process (counting /proc/self/fd). */
int tu_count_fds(void);

/*
 * Run the ttybroker command with ARGV (NULL-terminated, argv[0] is ignored
 * and replaced by e->bin).  Captures stdout and stderr (each up to OUTLEN,
 * NUL-terminated; either may be NULL) and returns the exit status, or
 * 128 + signal.  TIMEOUT_MS kills it with SIGKILL (the test fails).
 */
int tu_run(const struct tu_env *e, char *const argv[], char *out, size_t outlen,
	   char *err, size_t errlen, int timeout_ms);

/* Start the command without waiting; stdout/stderr go to /dev/null. */
pid_t tu_spawn(const struct tu_env *e, char *const argv[]);
/* waitpid with a timeout; returns exit status or 128+sig, -1 on timeout. */
int tu_wait(pid_t pid, int timeout_ms);

/* Poll until PATH exists (or not, if WANT is false) or TIMEOUT_MS passes. */
bool tu_wait_path(const char *path, bool want, int timeout_ms);

/*
 * Poll /proc/net/unix until a socket bound to PATH is listening, or
 * TIMEOUT_MS passes.  The path exists from bind(); a connect() before the
 * listen() that follows is refused, so "the path exists" is not "ready".
 */
bool tu_wait_listening(const char *path, int timeout_ms);

/* Remove PATH and everything below it (no symlink followed). */
void tu_rm_tree(const char *path);

/*
 * Children of PID (single-threaded) from /proc/PID/task/PID/children: the
 * first MAX into OUT; returns how many there are in all, or -1.
 */
int tu_children(pid_t pid, pid_t *out, int max);

/*
 * For a child subreaper: reap every child, giving them WAIT_MS to end by
 * themselves (backends end on EOF), then SIGKILL the stragglers.
 */
void tu_reap_all(int wait_ms);

/* Read a "Key:" line's value from /proc/PID/status into OUT. */
bool tu_proc_status(pid_t pid, const char *key, char *out, size_t len);

/*
 * Skip the running test with a reason, after running the suite's FINI:
 * Criterion (2.4) does not run .fini after cr_skip_test(), so a skipped
 * test would leave its fixture (temporary dirs, ptys) behind.
 */
#define tu_skip(fini, ...)                  \
	do {                                \
		fini();                     \
		cr_skip_test(__VA_ARGS__); \
	} while (0)

/* ---- branch list9 ---- */

/*
 * Run ARGV[0] (a path) as UID (its gid too, no groups; 0 stays root) with
 * ENVP (NULL: ours), IN (may be NULL) on stdin, capturing stdout and
 * stderr as tu_run() does.  Exit status or 128 + signal.
 */
int tu_run_as(uid_t uid, char *const argv[], char *const envp[], const char *in,
	      char *out, size_t outlen, char *err, size_t errlen, int timeout_ms);

/*
 * Check the output of `ttybroker list --json` with python3: every line
 * one JSON object with exactly the documented fields and types.  SUMMARY
 * gets one line "PORT VERDICT RULE_LINE HOLDER HOLDER_PID" per port named
 * in PORTS (NULL-terminated) that is listed, in PORTS' order.  Returns
 * python's exit status (0 ok).
 */
int tu_list_json(const char *json, char *const ports[], char *summary, size_t len);

/* ---- fake sysfs trees ------------------------------------ */

/*
 * A fake sysfs root in a temporary directory, for sysid_read() and the
 * engine's sysdir: directories, attribute files, "subsystem" links (only
 * their last component is ever read) and dev/char/MAJ:MIN links, as the
 * kernel lays them out.  REL paths are relative to the root.
 */
struct tu_sysfs {
	char root[64];
};

/* mkdtemp a root with dev/char and devices; fails the test on error. */
void tu_sysfs_init(struct tu_sysfs *s);
/* Remove the whole tree (never following a link). */
void tu_sysfs_fini(struct tu_sysfs *s);
/* mkdir -p REL; with SUBSYSTEM (may be NULL) a REL/subsystem link to it. */
void tu_sysfs_dir(struct tu_sysfs *s, const char *rel, const char *subsystem);
/* Write REL/NAME: LEN bytes of DATA (a sysfs value ends with "\n"). */
void tu_sysfs_attr(struct tu_sysfs *s, const char *rel, const char *name,
		   const char *data, size_t len);
/* tu_sysfs_attr() of a string with the newline sysfs appends. */
void tu_sysfs_value(struct tu_sysfs *s, const char *rel, const char *name,
		    const char *value);
/* Any symlink REL -> TARGET. */
void tu_sysfs_link(struct tu_sysfs *s, const char *rel, const char *target);
/*
 * A USB device at REL (subsystem usb): idVendor, idProduct, bDeviceClass
 * (0x09: a hub) and the strings that are not NULL.
 */
void tu_sysfs_usb_device(struct tu_sysfs *s, const char *rel, unsigned int vid,
			 unsigned int pid, unsigned int cls, const char *serial,
			 const char *manufacturer, const char *product);
/* A USB interface at REL (subsystem usb) with bInterfaceNumber IFNUM. */
void tu_sysfs_usb_interface(struct tu_sysfs *s, const char *rel, unsigned int ifnum);
/* A tty at REL (subsystem tty, its dev file) and dev/char/MAJ:MIN to it. */
void tu_sysfs_tty(struct tu_sysfs *s, const char *rel, unsigned int maj, unsigned int min);
/* An xHCI host: devices/pci0000:00/0000:00:14.0 (pci) and its root hub
 * usb1 (1d6b:0002, a hub).  Returns that root hub's REL path. */
const char *tu_sysfs_xhci(struct tu_sysfs *s);
/* ---- a private ttybrokerd and clients of it ---- */

/*
 * Start ttybrokerd -f -v with E's policy and lock dir on socket SOCK,
 * grace period GRACE_MS (-g), stderr (log and audit lines) appended to
 * LOG; returns once it answers.  Its pid (the privileged parent).
 */
pid_t tu_daemon_start(const struct tu_env *e, const char *sock, const char *log,
		      unsigned int grace_ms);
/* tu_daemon_start() with the lock directory LOCKDIR instead of E's. */
pid_t tu_daemon_start_in(const struct tu_env *e, const char *lockdir, const char *sock,
			 const char *log, unsigned int grace_ms);
/* SIGTERM the daemon and reap it (SIGKILL after a bound). */
void tu_daemon_stop(pid_t pid);
/*
 * Run the ttybroker command with ARGV (argv[0] replaced) as UID (gid
 * likewise, no groups) against the daemon at SOCK, without waiting;
 * stdout and stderr go to ERR (appended; NULL: /dev/null).
 */
pid_t tu_spawn_as(const struct tu_env *e, uid_t uid, const char *sock,
		  char *const argv[], const char *err);
/* Read PATH into BUF (at most LEN - 1 bytes), NUL-terminated; empty if it
 * cannot be read.  The number of bytes read, or -1 (errno set). */
ssize_t tu_read_file(const char *path, char *buf, size_t len);
/* How many lines of the file PATH contain NEEDLE. */
int tu_file_count(const char *path, const char *needle);
/* Poll until PATH has at least WANT lines with NEEDLE, or TIMEOUT_MS pass. */
bool tu_file_wait(const char *path, const char *needle, int want, int timeout_ms);

#endif
