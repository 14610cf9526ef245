/* SPDX-License-Identifier: MIT */
/*
 * test_filter.c - the backend's seccomp allow-list, loaded for real.
 *
 * Each call under test runs in an explicitly forked grandchild that loads
 * the real filter (filter_load) and then makes exactly one raw syscall, so
 * the test process itself survives to judge how the grandchild ended:
 * killed by SIGSYS for anything outside the list, a normal exit for what
 * the backend needs.  Fds the calls use (a real pty, a directory, sockets)
 * are prepared before the filter is loaded, as the backend does.  The
 * documented table in docs/DESIGN.md is checked against the filter's.
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>

#include <errno.h>
#include <fcntl.h>
#include <locale.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <syslog.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "filter.h"
#include "testutil.h"

#define DOC_DESIGN   "docs/DESIGN.md"
#define WAIT_MS      10000   /* failure guard only */
#define EXIT_NOLOAD  255     /* grandchild could not load the filter */
#define EXIT_WRONG   254     /* the call succeeded where it should fail */

/* The open flags the backend uses (broker/open.c, broker/lock.c). */
#define OPEN_DIR  (O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
#define OPEN_PIN  (O_PATH | O_NOFOLLOW | O_CLOEXEC)
#define OPEN_PORT (O_RDWR | O_NOCTTY | O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC)
#define OPEN_TMP  (O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC)
#define OPEN_LOCK (O_RDONLY | O_NOCTTY | O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC)

/*
 * Placeholders in a call's arguments, replaced in the grandchild by fds
 * and pointers that only exist there (parameters hold no pointers).
 */
#define X(n)      (0x7e57000000000000L + (n))
#define X_DIR     X(1)   /* O_PATH fd of the test directory */
#define X_TTY     X(2)   /* the pty slave */
#define X_FILE    X(3)   /* DIR/file, O_RDWR */
#define X_SOCK    X(4)   /* AF_UNIX datagram socket connected to DIR/sock */
#define X_PAIR0   X(5)   /* SOCK_SEQPACKET pair; PAIR1 has a byte waiting */
#define X_PAIR1   X(6)
#define X_MSG     X(7)   /* struct msghdr with a one-byte iovec */
#define X_BUF     X(8)   /* 512 scratch bytes */
#define X_SELF    X(9)   /* getpid() */
#define X_MAP     X(10)  /* one mapped page */
#define X_ADDR    X(11)  /* struct sockaddr_un of DIR/sock */
#define X_S_FILE  X(20)  /* "file" */
#define X_S_NEW   X(21)  /* "new" */
#define X_S_DIR   X(22)  /* "dir" */
#define X_S_LINK  X(23)  /* "link", a symlink to file */
#define X_S_EMPTY X(24)  /* "" */
#define X_S_TRUE  X(25)  /* "/bin/true" */
#define X_S_ABS   X(26)  /* absolute path of DIR/file */

/* One raw syscall; ERR is the errno it may fail with (0: must succeed). */
struct call {
	char what[56];
	long nr;
	long arg[6];
	int err;
};

static struct tu_pty pty = { .master = -1 };
static int tty = -1;
static int rx = -1;  /* receives on DIR/sock */
static char tdir[64];

/* A pty, and a directory holding file, dir/, link -> file and sock. */
static void setup(void)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd;

	tu_pty_open(&pty, 0);
	tty = open(pty.path, O_RDWR | O_NOCTTY | O_CLOEXEC);
	cr_assert_geq(tty, 0, "%s: %s", pty.path, strerror(errno));
	snprintf(tdir, sizeof(tdir), "/tmp/test_filter.XXXXXX");
	cr_assert_not_null(mkdtemp(tdir));
	fd = openat(AT_FDCWD, tdir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	cr_assert_geq(fd, 0);
	cr_assert_eq(mkdirat(fd, "dir", 0755), 0);
	cr_assert_eq(symlinkat("file", fd, "link"), 0);
	close(fd);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/file", tdir);
	fd = open(sa.sun_path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	cr_assert_geq(fd, 0);
	cr_assert_eq(write(fd, "      4242\n", 11), 11);
	close(fd);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/sock", tdir);
	rx = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	cr_assert_geq(rx, 0);
	cr_assert_eq(bind(rx, (struct sockaddr *)&sa, sizeof(sa)), 0);
}

static void teardown(void)
{
	static const char *const names[] = { "file", "new", "link", "sock" };
	char path[128];

	if (rx >= 0)
		close(rx);
	if (tty >= 0)
		close(tty);
	rx = tty = -1;
	tu_pty_close(&pty);
	if (!tdir[0])
		return;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", tdir, names[i]);
		unlink(path);
	}
	snprintf(path, sizeof(path), "%s/dir", tdir);
	rmdir(path);
	rmdir(tdir);
	tdir[0] = '\0';
}

TestSuite(filter, .init = setup, .fini = teardown, .timeout = 60);

/*
 * In a TB_UNFILTERED build (make SANITIZE=1 / VALGRIND=1) filter_load()
 * loads nothing: the tests of the loaded filter are skipped, with why;
 * the table, the documentation and filter_verify() are still tested.
 */
static void need_filter(void)
{
	if (!FILTER_LOADED)
		tu_skip(teardown, "unfiltered build (TB_UNFILTERED, make SANITIZE=1 or VALGRIND=1): "
			     "filter_load() loads no seccomp filter to test");
}

/* ---- running things under the filter ---------------------------------- */

/* Wait for PID; kill it if it outlives the guard.  The raw wait status. */
static int wait_guarded(pid_t pid)
{
	struct timespec tick = { .tv_nsec = 2000000 };
	int status;

	for (int waited = 0; waited < WAIT_MS; waited += 2) {
		pid_t r = waitpid(pid, &status, WNOHANG);

		if (r == pid)
			return status;
		cr_assert(r == 0 || errno == EINTR, "waitpid: %s", strerror(errno));
		nanosleep(&tick, NULL);
	}
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	cr_assert_fail("grandchild %d hung", (int)pid);
	return status;
}

/* No core file from a grandchild the filter kills. */
static void no_core(void)
{
	struct rlimit rl = { 0, 0 };

	setrlimit(RLIMIT_CORE, &rl);
}

/* Fork; the grandchild runs FN(ARG) and exits with what it returns. */
static int run_forked(int (*fn)(const void *), const void *arg)
{
	pid_t pid = fork();

	cr_assert_geq(pid, 0, "fork: %s", strerror(errno));
	if (pid == 0) {
		no_core();
		_exit(fn(arg));
	}
	return wait_guarded(pid);
}

/* What the placeholders stand for, in the grandchild. */
struct world {
	int dir, file, sock, pair[2];
	void *map;
	struct sockaddr_un addr;
	struct msghdr msg;
	struct iovec iov;
	char byte;
	char buf[512];
	char abs[128];
};

/* Build the grandchild's fds and buffers, before the filter. */
static int world_init(struct world *w)
{
	memset(w, 0, sizeof(*w));
	w->dir = open(tdir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	snprintf(w->abs, sizeof(w->abs), "%s/file", tdir);
	w->file = open(w->abs, O_RDWR | O_CLOEXEC);
	w->addr.sun_family = AF_UNIX;
	snprintf(w->addr.sun_path, sizeof(w->addr.sun_path), "%s/sock", tdir);
	w->sock = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (w->dir < 0 || w->file < 0 || w->sock < 0 ||
	    connect(w->sock, (struct sockaddr *)&w->addr, sizeof(w->addr)) < 0 ||
	    socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, w->pair) < 0 ||
	    write(w->pair[0], "x", 1) != 1)
		return -1;
	w->map = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	w->iov.iov_base = &w->byte;
	w->iov.iov_len = 1;
	w->msg.msg_iov = &w->iov;
	w->msg.msg_iovlen = 1;
	return w->map == MAP_FAILED ? -1 : 0;
}

static long world_arg(struct world *w, long a)
{
	switch (a) {
	case X_DIR: return w->dir;
	case X_TTY: return tty;
	case X_FILE: return w->file;
	case X_SOCK: return w->sock;
	case X_PAIR0: return w->pair[0];
	case X_PAIR1: return w->pair[1];
	case X_MSG: return (long)&w->msg;
	case X_BUF: return (long)w->buf;
	case X_SELF: return getpid();
	case X_MAP: return (long)w->map;
	case X_ADDR: return (long)&w->addr;
	case X_S_FILE: return (long)"file";
	case X_S_NEW: return (long)"new";
	case X_S_DIR: return (long)"dir";
	case X_S_LINK: return (long)"link";
	case X_S_EMPTY: return (long)"";
	case X_S_TRUE: return (long)"/bin/true";
	case X_S_ABS: return (long)w->abs;
	default: return a;
	}
}

/*
 * Grandchild: load the real filter, make the call.  0 when it went as
 * expected (success, or failure with c->err), else errno or EXIT_WRONG.
 */
static int call_filtered(const void *arg)
{
	const struct call *c = arg;
	struct world w;
	long a[6], r;

	if (world_init(&w) < 0)
		return EXIT_NOLOAD;
	for (int i = 0; i < 6; i++)
		a[i] = world_arg(&w, c->arg[i]);
	if (filter_load() < 0)
		return EXIT_NOLOAD;
	r = syscall(c->nr, a[0], a[1], a[2], a[3], a[4], a[5]);
	if (r < 0)
		return errno == c->err ? 0 : errno;
	return c->err ? EXIT_WRONG : 0;
}

static void assert_killed(int status, const char *what)
{
	cr_assert(WIFSIGNALED(status) && WTERMSIG(status) == SIGSYS,
		  "%s: not killed by SIGSYS (%s %d)", what,
		  WIFSIGNALED(status) ? "signal" : "exit",
		  WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
}

static void assert_survived(int status, const char *what)
{
	cr_assert(WIFEXITED(status), "%s: killed by signal %d", what,
		  WIFSIGNALED(status) ? WTERMSIG(status) : 0);
	cr_assert_neq(WEXITSTATUS(status), EXIT_NOLOAD, "%s: setup or filter_load failed",
		      what);
	cr_assert_eq(WEXITSTATUS(status), 0, "%s: unexpected result (errno %d)", what,
		     WEXITSTATUS(status));
}

/* ---- calls outside the list die --------------------------------------- */

ParameterizedTestParameters(filter, forbidden)
{
	static struct call calls[] = {
		{ "getuid", SYS_getuid, { 0 }, 0 },
		{ "socket AF_INET", SYS_socket, { AF_INET, SOCK_DGRAM, 0 }, 0 },
		{ "socket AF_UNIX stream without CLOEXEC", SYS_socket,
		  { AF_UNIX, SOCK_STREAM, 0 }, 0 },
		{ "socket AF_UNIX dgram without CLOEXEC", SYS_socket,
		  { AF_UNIX, SOCK_DGRAM, 0 }, 0 },
		{ "setsockopt SO_PASSCRED", SYS_setsockopt,
		  { X_SOCK, SOL_SOCKET, SO_PASSCRED, X_BUF, sizeof(int) }, 0 },
		{ "sendto with an address", SYS_sendto,
		  { X_SOCK, X_BUF, 1, 0, X_ADDR, sizeof(struct sockaddr_un) }, 0 },
		{ "ioctl TIOCSTI", SYS_ioctl, { X_TTY, TIOCSTI, X_BUF }, 0 },
		{ "ioctl TIOCSTI | 0xdead00000000", SYS_ioctl,
		  { X_TTY, (long)(TIOCSTI | 0xdead00000000UL), X_BUF }, 0 },
		{ "ioctl TIOCSTI | 1 << 32", SYS_ioctl,
		  { X_TTY, (long)(TIOCSTI | (1UL << 32)), X_BUF }, 0 },
		{ "ioctl TCGETS in the high half only", SYS_ioctl,
		  { X_TTY, (long)((unsigned long)TCGETS << 32), X_BUF }, 0 },
		{ "ioctl TCSETS", SYS_ioctl, { X_TTY, TCSETS, X_BUF }, 0 },
		{ "ioctl FIONREAD", SYS_ioctl, { X_TTY, FIONREAD, X_BUF }, 0 },
		{ "fcntl F_DUPFD", SYS_fcntl, { X_TTY, F_DUPFD, 0 }, 0 },
		{ "fcntl F_DUPFD_CLOEXEC", SYS_fcntl, { X_TTY, F_DUPFD_CLOEXEC, 0 }, 0 },
		{ "fcntl F_DUPFD | 1 << 32", SYS_fcntl,
		  { X_TTY, (long)(F_DUPFD | (1UL << 32)), 0 }, 0 },
		{ "fcntl F_GETFD", SYS_fcntl, { X_TTY, F_GETFD }, 0 },
		{ "fcntl F_SETFD", SYS_fcntl, { X_TTY, F_SETFD, 0 }, 0 },
		{ "fcntl F_SETOWN", SYS_fcntl, { X_TTY, F_SETOWN, X_SELF }, 0 },
		{ "kill SIGKILL", SYS_kill, { X_SELF, SIGKILL }, 0 },
		{ "kill SIGTERM", SYS_kill, { X_SELF, SIGTERM }, 0 },
		{ "openat without O_NOFOLLOW", SYS_openat,
		  { X_DIR, X_S_FILE, O_RDONLY | O_CLOEXEC }, 0 },
		{ "openat O_PATH without O_NOFOLLOW", SYS_openat,
		  { X_DIR, X_S_FILE, O_PATH | O_CLOEXEC }, 0 },
		{ "openat O_RDWR, not the port's flags", SYS_openat,
		  { X_DIR, X_S_FILE, O_RDWR | O_NOFOLLOW | O_CLOEXEC }, 0 },
		{ "openat O_TRUNC", SYS_openat,
		  { X_DIR, X_S_FILE, O_WRONLY | O_TRUNC | O_NOFOLLOW | O_CLOEXEC }, 0 },
		{ "openat O_CREAT without O_EXCL", SYS_openat,
		  { X_DIR, X_S_NEW, O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0644 }, 0 },
		{ "openat lock flags, setuid mode", SYS_openat,
		  { X_DIR, X_S_NEW, OPEN_TMP, 04755 }, 0 },
		{ "openat lock flags, mode 0666", SYS_openat,
		  { X_DIR, X_S_NEW, OPEN_TMP, 0666 }, 0 },
		{ "openat a readable directory, following", SYS_openat,
		  { X_DIR, X_S_DIR, O_RDONLY | O_DIRECTORY | O_CLOEXEC }, 0 },
#ifdef SYS_open
		{ "open", SYS_open, { X_S_ABS, O_RDONLY | O_NOFOLLOW | O_CLOEXEC }, 0 },
#endif
		{ "openat2", SYS_openat2, { X_DIR, X_S_FILE, X_BUF, 24 }, 0 },
		{ "newfstatat following links", SYS_newfstatat,
		  { X_DIR, X_S_LINK, X_BUF, 0 }, 0 },
#ifdef SYS_stat
		{ "stat", SYS_stat, { X_S_ABS, X_BUF }, 0 },
#endif
		{ "linkat AT_SYMLINK_FOLLOW", SYS_linkat,
		  { X_DIR, X_S_LINK, X_DIR, X_S_NEW, AT_SYMLINK_FOLLOW }, 0 },
		{ "unlinkat AT_REMOVEDIR", SYS_unlinkat, { X_DIR, X_S_DIR, AT_REMOVEDIR }, 0 },
		{ "flock LOCK_SH", SYS_flock, { X_FILE, LOCK_SH | LOCK_NB }, 0 },
		{ "flock blocking", SYS_flock, { X_FILE, LOCK_EX }, 0 },
		{ "fchmodat", SYS_fchmodat, { X_DIR, X_S_FILE, 04755 }, 0 },
		{ "mmap PROT_EXEC", SYS_mmap,
		  { 0, 4096, PROT_READ | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0 }, 0 },
		{ "mprotect", SYS_mprotect, { X_MAP, 4096, PROT_READ | PROT_EXEC }, 0 },
		{ "execve", SYS_execve, { X_S_TRUE, 0, 0 }, 0 },
		{ "dup", SYS_dup, { X_TTY }, 0 },
		{ "lseek", SYS_lseek, { X_FILE, 0, SEEK_SET }, 0 },
		{ "rt_sigaction", SYS_rt_sigaction, { SIGTERM, 0, X_BUF, 8 }, 0 },
		{ "prctl", SYS_prctl, { PR_GET_DUMPABLE }, 0 },
		{ "prctl PR_SET_DUMPABLE", SYS_prctl, { PR_SET_DUMPABLE, 1 }, 0 },
		{ "prctl PR_GET_SECCOMP in the high half only", SYS_prctl,
		  { (long)((unsigned long)PR_GET_SECCOMP << 32) }, 0 },
		{ "exit (threads only)", SYS_exit, { 0 }, 0 },
	};

	return cr_make_param_array(struct call, calls, sizeof(calls) / sizeof(calls[0]));
}

ParameterizedTest(struct call *c, filter, forbidden)
{
	need_filter();
	assert_killed(run_forked(call_filtered, c), c->what);
}

/* ---- what the backend needs works ------------------------------------- */

ParameterizedTestParameters(filter, allowed)
{
	static struct call calls[] = {
		{ "getpid", SYS_getpid, { 0 }, 0 },
		{ "ioctl TCGETS on a pty", SYS_ioctl, { X_TTY, TCGETS, X_BUF }, 0 },
		/* The kernel's cmd is unsigned int: this IS TCGETS. */
		{ "ioctl TCGETS | 0xdead00000000", SYS_ioctl,
		  { X_TTY, (long)(TCGETS | 0xdead00000000UL), X_BUF }, 0 },
		{ "ioctl TCGETS on a file", SYS_ioctl, { X_FILE, TCGETS, X_BUF }, ENOTTY },
		{ "ioctl TIOCEXCL", SYS_ioctl, { X_TTY, TIOCEXCL }, 0 },
		{ "ioctl TIOCNXCL", SYS_ioctl, { X_TTY, TIOCNXCL }, 0 },
		{ "kill signal 0", SYS_kill, { X_SELF, 0 }, 0 },
		{ "fcntl F_GETFL", SYS_fcntl, { X_TTY, F_GETFL }, 0 },
		{ "fcntl F_SETFL", SYS_fcntl, { X_TTY, F_SETFL, O_RDWR }, 0 },
		{ "openat directory", SYS_openat, { X_DIR, X_S_DIR, OPEN_DIR }, 0 },
		{ "openat directory, not through a link", SYS_openat,
		  { X_DIR, X_S_LINK, OPEN_DIR }, ENOTDIR },
		{ "openat pin", SYS_openat, { X_DIR, X_S_FILE, OPEN_PIN }, 0 },
		{ "openat port flags", SYS_openat, { X_DIR, X_S_FILE, OPEN_PORT }, 0 },
		{ "openat port flags, not through a link", SYS_openat,
		  { X_DIR, X_S_LINK, OPEN_PORT }, ELOOP },
		{ "openat create temporary lock file", SYS_openat,
		  { X_DIR, X_S_NEW, OPEN_TMP, 0644 }, 0 },
		{ "openat read lock file", SYS_openat, { X_DIR, X_S_FILE, OPEN_LOCK }, 0 },
		/* ttybroker list (branch list9): list directories, read /proc/locks. */
		{ "openat a directory to list", SYS_openat,
		  { X_DIR, X_S_DIR, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC }, 0 },
		{ "openat a directory to list, not through a link", SYS_openat,
		  { X_DIR, X_S_LINK, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC }, ENOTDIR },
		{ "getdents64 of a file", SYS_getdents64, { X_FILE, X_BUF, 512 }, ENOTDIR },
		{ "pread64", SYS_pread64, { X_FILE, X_BUF, 11, 0 }, 0 },
		{ "close", SYS_close, { X_FILE }, 0 },
		{ "read", SYS_read, { X_FILE, X_BUF, 11 }, 0 },
		{ "write", SYS_write, { X_FILE, X_BUF, 1 }, 0 },
		{ "newfstatat AT_EMPTY_PATH", SYS_newfstatat,
		  { X_TTY, X_S_EMPTY, X_BUF, AT_EMPTY_PATH }, 0 },
		{ "newfstatat AT_SYMLINK_NOFOLLOW", SYS_newfstatat,
		  { X_DIR, X_S_LINK, X_BUF, AT_SYMLINK_NOFOLLOW }, 0 },
		{ "fstat", SYS_fstat, { X_FILE, X_BUF }, 0 },
		{ "readlinkat", SYS_readlinkat, { X_DIR, X_S_LINK, X_BUF, 64 }, 0 },
		{ "linkat", SYS_linkat, { X_DIR, X_S_FILE, X_DIR, X_S_NEW, 0 }, 0 },
		{ "unlinkat", SYS_unlinkat, { X_DIR, X_S_FILE, 0 }, 0 },
		{ "flock LOCK_EX | LOCK_NB", SYS_flock, { X_FILE, LOCK_EX | LOCK_NB }, 0 },
		{ "sendmsg", SYS_sendmsg, { X_PAIR0, X_MSG, MSG_NOSIGNAL }, 0 },
		{ "recvmsg", SYS_recvmsg, { X_PAIR1, X_MSG, MSG_CMSG_CLOEXEC }, 0 },
		{ "socket for syslog", SYS_socket, { AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0 }, 0 },
		{ "connect", SYS_connect, { X_SOCK, X_ADDR, sizeof(struct sockaddr_un) }, 0 },
		{ "sendto on a connected socket", SYS_sendto, { X_SOCK, X_BUF, 1, 0, 0, 0 }, 0 },
		{ "clock_gettime", SYS_clock_gettime, { CLOCK_REALTIME, X_BUF }, 0 },
#ifdef SYS_time
		{ "time", SYS_time, { 0 }, 0 },
#endif
		{ "brk", SYS_brk, { 0 }, 0 },
		{ "mmap read-write", SYS_mmap,
		  { 0, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0 }, 0 },
		{ "munmap", SYS_munmap, { X_MAP, 4096 }, 0 },
		{ "restart_syscall with nothing to restart", SYS_restart_syscall, { 0 }, EINTR },
		{ "exit_group", SYS_exit_group, { 0 }, 0 },
		{ "prctl PR_GET_SECCOMP", SYS_prctl, { PR_GET_SECCOMP }, 0 },
	};

	return cr_make_param_array(struct call, calls, sizeof(calls) / sizeof(calls[0]));
}

ParameterizedTest(struct call *c, filter, allowed)
{
	need_filter();
	assert_survived(run_forked(call_filtered, c), c->what);
}

/* ---- other architectures' syscalls ------------------------------------ */

#if defined(__x86_64__)
#define X32_BIT 0x40000000L

/* An i386 syscall through int $0x80: number NR, first argument 0. */
static long int80(long nr)
{
	long ret;

	__asm__ volatile("int $0x80"
			 : "=a"(ret)
			 : "a"(nr), "b"(0L), "c"(0L), "d"(0L)
			 : "memory", "cc", "r8", "r9", "r10", "r11");
	return ret;
}

/* Grandchild: *ARG is an i386 syscall number; 0 if it returned at all. */
static int int80_filtered(const void *arg)
{
	if (filter_load() < 0)
		return EXIT_NOLOAD;
	int80(*(const long *)arg);
	return 0;
}

/* Unfiltered: does i386 getpid (20) work here? */
static int int80_plain(const void *arg)
{
	(void)arg;
	return int80(20) == getpid() ? 0 : 1;
}

Test(filter, i386_int80_killed)
{
	/*
	 * 20 is getpid on i386 (writev on x86_64); 0 is restart_syscall on
	 * i386 but read on x86_64, which the list allows: only the
	 * architecture check can stop that one.
	 */
	static const long nrs[] = { 20, 0 };
	int st;

	need_filter();
	st = run_forked(int80_plain, NULL);

	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
		tu_skip(teardown, "no IA32 emulation in this kernel");
	for (size_t i = 0; i < sizeof(nrs) / sizeof(nrs[0]); i++) {
		st = run_forked(int80_filtered, &nrs[i]);
		assert_killed(st, nrs[i] ? "int $0x80 getpid" : "int $0x80 nr 0");
	}
}

static int x32_call(const void *arg)
{
	bool filtered = *(const bool *)arg;

	if (filtered && filter_load() < 0)
		return EXIT_NOLOAD;
	syscall(X32_BIT | SYS_getpid);
	return 0;
}

Test(filter, x32_killed)
{
	bool filtered = false;
	int st;

	need_filter();
	st = run_forked(x32_call, &filtered);

	/* Without the filter: the pid, or ENOSYS without x32 support. */
	cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0, "unfiltered x32 getpid died");
	filtered = true;
	assert_killed(run_forked(x32_call, &filtered), "x32 getpid");
}
#endif

Test(filter, native_arch_only)
{
	scmp_filter_ctx ctx = filter_build();
	uint32_t val = 0;

	cr_assert_not_null(ctx, "filter_build: %s", strerror(errno));
	cr_assert_eq(seccomp_arch_exist(ctx, SCMP_ARCH_NATIVE), 0);
#if defined(__x86_64__)
	cr_assert_eq(seccomp_arch_exist(ctx, SCMP_ARCH_X86), -EEXIST);
	cr_assert_eq(seccomp_arch_exist(ctx, SCMP_ARCH_X32), -EEXIST);
#endif
	cr_assert_eq(seccomp_attr_get(ctx, SCMP_FLTATR_ACT_DEFAULT, &val), 0);
	cr_assert_eq(val, SCMP_ACT_KILL_PROCESS);
	cr_assert_eq(seccomp_attr_get(ctx, SCMP_FLTATR_ACT_BADARCH, &val), 0);
	cr_assert_eq(val, SCMP_ACT_KILL_PROCESS);
	seccomp_release(ctx);
}

/* ---- the backend's own uses of libc ----------------------------------- */

/*
 * Grandchild: what log.c does once confined, in a locale with message
 * catalogs: syslog(3) (time stamp, reconnect or send) and strerror(3).
 */
static int libc_filtered(const void *arg)
{
	char stamp[64];
	struct tm tm;
	time_t now;

	(void)arg;
	setlocale(LC_ALL, "C.UTF-8");
	openlog("test_filter", LOG_PID | LOG_NDELAY, LOG_AUTHPRIV);
	if (filter_load() < 0)
		return EXIT_NOLOAD;
	syslog(LOG_DEBUG, "seccomp allow-list self-test: %s", strerror(ENOENT));
	now = time(NULL);
	if (!localtime_r(&now, &tm) || strftime(stamp, sizeof(stamp), "%F %T", &tm) == 0)
		return 1;
	if (write(STDERR_FILENO, "", 0) < 0)
		return 2;
	return 0;
}

Test(filter, syslog_strerror_localtime)
{
	need_filter();
	assert_survived(run_forked(libc_filtered, NULL), "syslog, strerror, localtime");
}

static volatile sig_atomic_t got_term;

static void on_term(int sig)
{
	(void)sig;
	got_term = 1;
}

/*
 * Grandchild: say ready on the OUT pipe, then block reading the IN pipe
 * until SIGTERM interrupts it (or, had the signal come first, until the
 * parent closes IN: the handler has run either way).
 */
static int handler_filtered(const int in[2], const int out[2])
{
	struct sigaction sa = { .sa_handler = on_term };
	char c;

	close(in[1]);
	close(out[0]);
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGTERM, &sa, NULL) < 0 || filter_load() < 0)
		return EXIT_NOLOAD;
	if (write(out[1], "r", 1) != 1)
		return 1;
	if (read(in[0], &c, 1) > 0 || !got_term)
		return 2;
	return 0;
}

Test(filter, sigterm_handler_returns)
{
	struct pollfd p = { .events = POLLIN };
	int in[2], out[2], st;
	pid_t pid;
	char c;

	need_filter();
	cr_assert_eq(pipe2(in, O_CLOEXEC), 0);
	cr_assert_eq(pipe2(out, O_CLOEXEC), 0);
	pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		no_core();
		_exit(handler_filtered(in, out));
	}
	close(out[1]);
	p.fd = out[0];
	if (poll(&p, 1, WAIT_MS) == 1 && read(out[0], &c, 1) == 1)
		kill(pid, SIGTERM);
	close(in[1]); /* after kill(): the handler runs before read() returns */
	st = wait_guarded(pid);
	close(in[0]);
	close(out[0]);
	assert_survived(st, "SIGTERM handler");
}

/* ---- roles: the daemon's engine has a few more rows -------------------- */

struct role_call {
	unsigned int role;
	int optname;       /* getsockopt(SOL_SOCKET, optname) on a socketpair */
};

/* Grandchild: load ROLE's filter, then getsockopt; 0 if it returned. */
static int call_role(const void *arg)
{
	const struct role_call *rc = arg;
	int sp[2], v[64];
	socklen_t len = sizeof(v);

	if (socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sp) < 0 || filter_load_role(rc->role) < 0)
		return EXIT_NOLOAD;
	syscall(SYS_getsockopt, sp[0], SOL_SOCKET, rc->optname, v, &len);
	return 0;
}

Test(filter, peer_identity_only_in_the_daemon_role)
{
	struct role_call fork_cred = { FILTER_ROLE_FORK, SO_PEERCRED };
	struct role_call d_cred = { FILTER_ROLE_DAEMON, SO_PEERCRED };
	struct role_call d_groups = { FILTER_ROLE_DAEMON, SO_PEERGROUPS };
	struct role_call d_other = { FILTER_ROLE_DAEMON, SO_RCVBUF };

	need_filter();
	assert_killed(run_forked(call_role, &fork_cred), "fork role SO_PEERCRED");
	assert_survived(run_forked(call_role, &d_cred), "daemon role SO_PEERCRED");
	assert_survived(run_forked(call_role, &d_groups), "daemon role SO_PEERGROUPS");
	assert_killed(run_forked(call_role, &d_other), "daemon role SO_RCVBUF");
}

/* Revocation's calls: which, in which role. */
struct revoke_call {
	unsigned int role;
	int what;          /* 0 ioctl(TIOCSCTTY, 0), 1 ioctl(TIOCSCTTY, 1), 2 vhangup */
};

/* Grandchild: load ROLE's filter, then the call on /dev/null; 0 if it returned. */
static int call_revoke(const void *arg)
{
	const struct revoke_call *rc = arg;
	int fd = open("/dev/null", O_RDWR | O_CLOEXEC);

	if (fd < 0 || filter_load_role(rc->role) < 0)
		return EXIT_NOLOAD;
	if (rc->what == 2)
		syscall(SYS_vhangup);
	else
		syscall(SYS_ioctl, fd, TIOCSCTTY, (long)rc->what);
	return 0;
}

/* TIOCSCTTY (never with 1, which steals) and vhangup: the daemon's only. */
Test(filter, revocation_only_in_the_daemon_role)
{
	struct revoke_call f_ctty = { FILTER_ROLE_FORK, 0 }, f_hup = { FILTER_ROLE_FORK, 2 };
	struct revoke_call d_ctty = { FILTER_ROLE_DAEMON, 0 }, d_hup = { FILTER_ROLE_DAEMON, 2 };
	struct revoke_call d_steal = { FILTER_ROLE_DAEMON, 1 };

	need_filter();
	assert_killed(run_forked(call_revoke, &f_ctty), "fork role TIOCSCTTY");
	assert_killed(run_forked(call_revoke, &f_hup), "fork role vhangup");
	assert_survived(run_forked(call_revoke, &d_ctty), "daemon role TIOCSCTTY 0");
	assert_survived(run_forked(call_revoke, &d_hup), "daemon role vhangup");
	assert_killed(run_forked(call_revoke, &d_steal), "daemon role TIOCSCTTY 1 (steal)");
}

/* ---- is the filter really in force ------------------------------------ */

/* Grandchild: what filter_verify() says, 0 or its -errno negated. */
static int verify_plain(const void *arg)
{
	(void)arg;
	return -filter_verify();
}

/*
 * A process without a filter must not pass for a filtered one: this is
 * what makes a normal build refuse to serve if seccomp_load() ever
 * "succeeded" without a filter in force.
 */
Test(filter, verify_refuses_no_filter)
{
	int st = run_forked(verify_plain, NULL);

	cr_assert(WIFEXITED(st), "filter_verify killed the unfiltered process");
	cr_assert_eq(WEXITSTATUS(st), EPERM, "filter_verify without a filter: %d, want -EPERM",
		     -WEXITSTATUS(st));
}

/* Grandchild: filter_load() (which verifies), then verify again. */
static int verify_loaded(const void *arg)
{
	(void)arg;
	if (filter_load() < 0)
		return EXIT_NOLOAD;
	return -filter_verify();
}

Test(filter, verify_accepts_loaded_filter)
{
	need_filter();
	assert_survived(run_forked(verify_loaded, NULL), "filter_verify under the filter");
}

/*
 * `ttybroker -V` says whether this is an unfiltered build (and a normal
 * build says nothing of the kind).
 */
Test(filter, version_names_unfiltered_build)
{
	const char *bin = getenv("TTYBROKER_BIN");
	char cmd[512], out[256] = "";
	FILE *p;

	if (!bin)
		bin = "build/ttybroker";
	snprintf(cmd, sizeof(cmd), "'%s' -V", bin);
	p = popen(cmd, "re");
	cr_assert_not_null(p, "%s: %s", cmd, strerror(errno));
	if (!fgets(out, sizeof(out), p))
		out[0] = '\0';
	cr_assert_eq(pclose(p), 0, "%s failed: %s", cmd, out);
	cr_assert(strncmp(out, "ttybroker ", 10) == 0, "%s: %s", cmd, out);
	if (FILTER_LOADED)
		cr_assert_null(strstr(out, "unfiltered"), "normal build says: %s", out);
	else
		cr_assert_not_null(strstr(out, FILTER_BUILD_NOTE), "unfiltered build says: %s", out);
}

/* ---- the table and its documentation ---------------------------------- */

/* Every rule for NAME belongs to the daemon role only. */
static bool rule_daemon_only(const char *name)
{
	const struct filter_rule *t;
	size_t n = filter_rules(&t);
	bool any = false;

	for (size_t i = 0; i < n; i++)
		if (!strcmp(t[i].name, name)) {
			if (t[i].roles != FILTER_ROLE_DAEMON)
				return false;
			any = true;
		}
	return any;
}

static bool rule_has_args(const char *name)
{
	const struct filter_rule *t;
	size_t n = filter_rules(&t);

	for (size_t i = 0; i < n; i++)
		if (!strcmp(t[i].name, name) && t[i].nargs)
			return true;
	return false;
}

static bool rule_exists(const char *name)
{
	const struct filter_rule *t;
	size_t n = filter_rules(&t);

	for (size_t i = 0; i < n; i++)
		if (!strcmp(t[i].name, name))
			return true;
	return false;
}

Test(filter, table_is_sane)
{
	const struct filter_rule *t;
	size_t n = filter_rules(&t);

	cr_assert_gt(n, 0);
	for (size_t i = 0; i < n; i++) {
		cr_assert_neq(seccomp_syscall_resolve_name(t[i].name), __NR_SCMP_ERROR,
			      "unknown syscall %s", t[i].name);
		cr_assert_leq(t[i].nargs, FILTER_MAX_ARGS);
		cr_assert(t[i].why && t[i].why[0], "%s: no reason", t[i].name);
		if (strcmp(t[i].name, "openat") != 0)
			continue;
		/* Every open is exact, never follows a link, never truncates. */
		cr_assert_geq(t[i].nargs, 1);
		cr_assert_eq(t[i].args[0].arg, 2);
		cr_assert_eq(t[i].args[0].op, SCMP_CMP_MASKED_EQ);
		cr_assert_eq(t[i].args[0].datum_a, 0xffffffffULL);
		cr_assert(t[i].args[0].datum_b & O_NOFOLLOW, "openat rule %zu", i);
		cr_assert_not(t[i].args[0].datum_b & O_TRUNC, "openat rule %zu", i);
	}
}

/* The syscall table lives in the design doc. */
static FILE *doc_open(void)
{
	return fopen(DOC_DESIGN, "re");
}

/* The first cell of table row LINE, `name`, into NAME; the rest in *REST. */
static bool doc_row(const char *line, char *name, size_t len, const char **rest)
{
	const char *end;

	if (strncmp(line, "| `", 3) != 0)
		return false;
	end = strchr(line + 3, '`');
	if (!end || (size_t)(end - line - 3) >= len || strncmp(end, "` |", 3) != 0)
		return false;
	memcpy(name, line + 3, (size_t)(end - line - 3));
	name[end - line - 3] = '\0';
	*rest = end + 3;
	return true;
}

Test(filter, doc_matches_table)
{
	char line[1024], name[32], seen[64][32];
	const struct filter_rule *t;
	size_t n = filter_rules(&t), nseen = 0;
	bool in_table = false;
	FILE *f = doc_open();

	cr_assert_not_null(f, "%s (run from the repository root)", DOC_DESIGN);
	while (fgets(line, sizeof(line), f)) {
		const char *rest;

		if (!strncmp(line, "| syscall |", 11)) {
			in_table = true;
			continue;
		}
		if (!in_table || strncmp(line, "|---", 4) == 0)
			continue;
		if (!doc_row(line, name, sizeof(name), &rest))
			break; /* end of the table */
		cr_assert(rule_exists(name), "documented %s is not in the filter", name);
		/* "none" exactly when the filter has no argument condition. */
		cr_assert_eq(!strncmp(rest, " none |", 7), !rule_has_args(name),
			     "%s: argument filter column disagrees with the table", name);
		/* A row of one role only says so: "daemon only: ..." */
		cr_assert_eq(strstr(rest, "| daemon only: ") != NULL, rule_daemon_only(name),
			     "%s: 'daemon only:' in the doc disagrees with the table's roles",
			     name);
		for (size_t i = 0; i < nseen; i++)
			cr_assert_str_neq(seen[i], name, "%s documented twice", name);
		cr_assert_lt(nseen, sizeof(seen) / sizeof(seen[0]));
		snprintf(seen[nseen++], sizeof(seen[0]), "%s", name);
	}
	fclose(f);
	cr_assert(in_table, "no '| syscall |' table found");
	for (size_t i = 0; i < n; i++) {
		bool found = false;

		for (size_t j = 0; j < nseen && !found; j++)
			found = !strcmp(seen[j], t[i].name);
		cr_assert(found, "%s is in the filter but not documented", t[i].name);
	}
}
