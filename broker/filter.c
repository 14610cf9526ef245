/* SPDX-License-Identifier: MIT */
/*
 * filter.c - the backend's seccomp allow-list, loaded last, just before the
 * request loop.  The list is one table: each rule names a syscall, the
 * argument values it is allowed with, and why the backend needs it once
 * confined.  docs/DESIGN.md documents the same set (a test compares).
 *
 * Anything not allowed kills the whole process (SCMP_ACT_KILL_PROCESS).
 * Only the native architecture is in the filter, and a syscall made with
 * another one's convention (i386 via int $0x80, x32 numbers with bit
 * 0x40000000 on x86_64) takes the bad-architecture action: kill as well.
 *
 * Arguments the kernel declares int or unsigned int (ioctl and fcntl
 * commands, open flags, signal numbers...) are compared on their low 32
 * bits only, with SCMP_CMP_MASKED_EQ, because that is all the kernel looks
 * at: a value with high bits set is judged exactly like the call the
 * kernel will really make, so high bits can neither smuggle a forbidden
 * request past the list nor turn an allowed one into something else.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <termios.h>
#include <time.h>

#include <linux/sockios.h>

#include "filter.h"
#include "log.h"

/* The bits of an int argument the kernel uses. */
#define LOW32 0xffffffffULL

/* Argument N, as the kernel's int or unsigned int, equals V. */
#define ARG_EQ32(n, v) \
	{ .arg = (n), .op = SCMP_CMP_MASKED_EQ, .datum_a = LOW32, .datum_b = (v) }
/* Argument N equals V in all 64 bits (pointers, longs). */
#define ARG_EQ64(n, v) \
	{ .arg = (n), .op = SCMP_CMP_EQ, .datum_a = (v) }
/* Argument N, masked with M, equals V. */
#define ARG_MASKED(n, m, v) \
	{ .arg = (n), .op = SCMP_CMP_MASKED_EQ, .datum_a = (m), .datum_b = (v) }

/*
 * The exact open flags the backend uses once confined; each includes
 * O_NOFOLLOW.  They mirror broker/open.c and broker/lock.c.
 */
#define OPEN_DIR  (O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
#define OPEN_PIN  (O_PATH | O_NOFOLLOW | O_CLOEXEC)
#define OPEN_PORT (O_RDWR | O_NOCTTY | O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC)
#define OPEN_TMP  (O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC)
#define OPEN_LOCK (O_RDONLY | O_NOCTTY | O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC)
#define OPEN_LSDIR (O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
#define LOCK_MODE 0644
/* open(2) keeps these mode bits (S_IALLUGO): 0644 exactly, never setuid. */
#define MODE_BITS 07777ULL

/* A rule without, with one, with N argument conditions; D: daemon only. */
#define RULE(nm, why_) { .name = (nm), .why = (why_) }
#define RULE1(nm, a, why_) { .name = (nm), .nargs = 1, .args = { a }, .why = (why_) }
#define RULEN(nm, n, why_, ...) \
	{ .name = (nm), .nargs = (n), .args = { __VA_ARGS__ }, .why = (why_) }
#define DRULEN(nm, n, why_, ...) \
	{ .name = (nm), .nargs = (n), .args = { __VA_ARGS__ }, .why = (why_), \
	  .roles = FILTER_ROLE_DAEMON }

#ifndef SO_PEERPIDFD
#define SO_PEERPIDFD 77 /* Linux 6.5 */
#endif

static const struct filter_rule filter_table[] = {
	/* The frontend connection. */
	RULE("recvmsg", "requests, with SCM_CREDENTIALS, from the frontend"),
	RULE("sendmsg", "replies to the frontend, the port fd with SCM_RIGHTS"),
	RULE1("ioctl", ARG_EQ32(1, SIOCOUTQ),
	      "is a reply still unread when a request comes (SIOCOUTQ)"),
	RULE("ppoll", "wait for a request or the frontend's exit (its pidfd)"),

	/* Names, nodes and lock files: always relative, never following. */
	RULE1("openat", ARG_EQ32(2, OPEN_DIR),
	      "/dev/pts, /dev/serial/by-id|by-path; sysfs directories (identity)"),
	RULE1("openat", ARG_EQ32(2, OPEN_PIN),
	      "pin the device node before classifying it"),
	RULE1("openat", ARG_EQ32(2, OPEN_PORT), "open the port itself"),
	RULEN("openat", 2, "create the temporary lock file, mode 0644",
	      ARG_EQ32(2, OPEN_TMP), ARG_MASKED(3, MODE_BITS, LOCK_MODE)),
	RULE1("openat", ARG_EQ32(2, OPEN_LOCK),
	      "read another program's lock file; a sysfs attribute (identity, a tty's type)"),
	RULE1("openat", ARG_EQ32(2, OPEN_LSDIR),
	      "list /sys/class/tty, /dev/pts and /dev/serial/by-* (ttybroker list)"),
	RULE("getdents64", "read those directories (ttybroker list)"),
	RULE("pread64", "/proc/locks from the start, for flock holders (ttybroker list)"),
	RULE("close", "directory, node, lock file and port fds; syslog reconnects"),
	RULE("read", "the PID in a lock file; sysfs attributes"),
	RULE("write", "the PID into our lock file; audit lines to stderr"),
	RULE1("newfstatat", ARG_EQ32(3, AT_EMPTY_PATH),
	      "fstat(3) of the pinned node, the port and lock files"),
	RULE1("newfstatat", ARG_EQ32(3, AT_SYMLINK_NOFOLLOW),
	      "fstatat(3) of a lock file by name, without following"),
	RULE("fstat", "fstat(3) where libc does not route it through newfstatat"),
	RULE("readlinkat", "/dev/serial/by-id|by-path links; sysfs dev/char and subsystem links"),
	RULE1("linkat", ARG_EQ32(4, 0),
	      "publish the complete lock file under its LCK.. name"),
	RULE1("unlinkat", ARG_EQ32(2, 0),
	      "remove temporary, stale and released lock files"),
	RULE1("flock", ARG_EQ32(1, LOCK_EX | LOCK_NB),
	      "flock the port, and a stale lock file while reclaiming it"),
	RULE1("fcntl", ARG_EQ32(1, F_GETFL), "read the port's status flags"),
	RULE1("fcntl", ARG_EQ32(1, F_SETFL), "clear O_NONBLOCK on the port"),
	RULE1("ioctl", ARG_EQ32(1, TCGETS), "check that the opened node is a tty"),
	RULE1("ioctl", ARG_EQ32(1, TIOCEXCL),
	      "exclusive mode on the port we hold (other opens get EBUSY)"),
	RULE1("ioctl", ARG_EQ32(1, TIOCNXCL),
	      "end exclusive mode when we let the port go"),

	/* Processes and signals. */
	RULE1("kill", ARG_EQ32(1, 0), "is the PID in a lock file alive (signal 0)"),
	RULE("getpid", "temporary lock file name, PROTO_READY; syslog's LOG_PID"),
	RULE("rt_sigreturn", "return from the SIGTERM handler"),
	RULE("restart_syscall", "the kernel resuming an interrupted call"),
	RULE("exit_group", "exit(3)"),
	RULE1("prctl", ARG_EQ32(0, PR_GET_SECCOMP),
	      "check, right after loading it, that the filter is in force"),

	/* Time, when the vDSO cannot answer. */
	RULE("clock_gettime", "syslog(3) timestamps without the vDSO"),
	RULE("time", "age of an unreadable lock file without the vDSO"),

	/* syslog(3), which reconnects to /dev/log when its socket broke. */
	RULEN("socket", 3, "syslog(3) reconnecting to /dev/log",
	      ARG_EQ32(0, AF_UNIX), ARG_EQ32(1, SOCK_DGRAM | SOCK_CLOEXEC),
	      ARG_EQ32(2, 0)),
	RULEN("socket", 3, "syslog(3) falling back to a stream /dev/log",
	      ARG_EQ32(0, AF_UNIX), ARG_EQ32(1, SOCK_STREAM | SOCK_CLOEXEC),
	      ARG_EQ32(2, 0)),
	RULE("connect", "syslog(3) reconnecting to /dev/log"),
	RULE1("sendto", ARG_EQ64(4, 0), "syslog(3) sending on its connected socket"),

	/* malloc(3), which syslog(3) uses. */
	RULE("brk", "malloc(3) growing and trimming the heap"),
	RULE1("mmap", ARG_MASKED(2, PROT_EXEC, 0), "malloc(3) of large blocks"),
	RULE("munmap", "free(3) of large blocks"),

	/* The daemon's engine: clients connect; who they are comes from the
	 * kernel (broker/daemon.c). */
	DRULEN("accept4", 1, "accept a client, non-blocking",
	       ARG_EQ32(3, SOCK_NONBLOCK | SOCK_CLOEXEC)),
	DRULEN("getsockopt", 2, "the client's pid, uid and gid",
	       ARG_EQ32(1, SOL_SOCKET), ARG_EQ32(2, SO_PEERCRED)),
	DRULEN("getsockopt", 2, "the client's supplementary groups",
	       ARG_EQ32(1, SOL_SOCKET), ARG_EQ32(2, SO_PEERGROUPS)),
	DRULEN("getsockopt", 2, "a pidfd of the client process",
	       ARG_EQ32(1, SOL_SOCKET), ARG_EQ32(2, SO_PEERPIDFD)),
	DRULEN("setsockopt", 2, "credentials on every message of a client",
	       ARG_EQ32(1, SOL_SOCKET), ARG_EQ32(2, SO_PASSCRED)),
	DRULEN("pidfd_open", 1, "a pidfd where SO_PEERPIDFD is missing",
	       ARG_EQ32(1, 0)),
	/* Revocation (engine_recheck): the port becomes the engine's
	 * controlling terminal, then is hung up. */
	DRULEN("ioctl", 2, "make a revoked port our controlling terminal",
	       ARG_EQ32(1, TIOCSCTTY), ARG_EQ64(2, 0)),
	DRULEN("vhangup", 0, "hang up a revoked port for every holder"),
	/* A take-over (share.c): the hung-up holder's copies keep the flock
	 * of the open file description ours shares; drop it through ours. */
	DRULEN("flock", 1, "drop a hung-up holder's flock on a take-over",
	       ARG_EQ32(1, LOCK_UN)),
};

size_t filter_rules(const struct filter_rule **out)
{
	*out = filter_table;
	return sizeof(filter_table) / sizeof(filter_table[0]);
}

/* Add one rule.  A syscall this architecture lacks (e.g. time) is skipped. */
static int filter_add(scmp_filter_ctx ctx, const struct filter_rule *rule)
{
	int nr = seccomp_syscall_resolve_name(rule->name);

	if (nr == __NR_SCMP_ERROR)
		return -EINVAL;
	if (nr < 0)
		return 0;
	return seccomp_rule_add_exact_array(ctx, SCMP_ACT_ALLOW, nr, rule->nargs,
					    rule->args);
}

scmp_filter_ctx filter_build_role(unsigned int role)
{
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_KILL_PROCESS);
	int r;

	if (!ctx) {
		errno = ENOMEM;
		return NULL;
	}
	/* seccomp_init() added the native architecture; add no other. */
	r = seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS);
	if (r == 0)
		r = seccomp_attr_set(ctx, SCMP_FLTATR_API_SYSRAWRC, 1);
	for (size_t i = 0; r == 0 && i < sizeof(filter_table) / sizeof(filter_table[0]); i++)
		if (!filter_table[i].roles || (filter_table[i].roles & role))
			r = filter_add(ctx, &filter_table[i]);
	if (r < 0) {
		seccomp_release(ctx);
		errno = -r;
		return NULL;
	}
	return ctx;
}

scmp_filter_ctx filter_build(void)
{
	return filter_build_role(FILTER_ROLE_FORK);
}

/*
 * glibc loads some state on first use with opens the filter refuses (no
 * O_NOFOLLOW): the time zone, read from /etc/localtime by the localtime_r()
 * in syslog(3), and in a non-C locale the message catalog behind
 * strerror(3).  Load both now, while opening files is still allowed.
 */
static void filter_prime_libc(void)
{
	int saved = errno;

	tzset();
	(void)strerror(EIO);
	errno = saved;
}

/*
 * After seccomp_load(): the kernel's own word that a filter is in force,
 * so that nothing (a library or kernel that accepted the load without
 * applying it, a misbuilt binary) lets the backend serve unfiltered.
 */
int filter_verify(void)
{
	int mode = prctl(PR_GET_SECCOMP, 0, 0, 0, 0);

	if (mode < 0)
		return -errno;
	return mode == 2 ? 0 : -EPERM;
}

#ifndef TB_UNFILTERED
int filter_load(void)
{
	return filter_load_role(FILTER_ROLE_FORK);
}

int filter_load_role(unsigned int role)
{
	scmp_filter_ctx ctx;
	int r;

	filter_prime_libc();
	ctx = filter_build_role(role);
	if (!ctx)
		return -errno;
	r = seccomp_load(ctx);
	seccomp_release(ctx);
	if (r < 0)
		return r;
	/* Never serve believing in a filter that is not there. */
	return filter_verify();
}

void filter_build_warn(void)
{
}
#else
/* The sanitizer/valgrind build: load nothing (filter_build_warn says so). */
int filter_load(void)
{
	filter_prime_libc();
	return 0;
}

int filter_load_role(unsigned int role)
{
	(void)role;
	return filter_load();
}

void filter_build_warn(void)
{
	log_warnx("unfiltered build: no seccomp filter (for sanitizers and valgrind only, "
		  "never for production)");
}
#endif
