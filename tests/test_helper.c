/* SPDX-License-Identifier: MIT */
/*
 * test_helper.c - the ways in without root: ttybroker-helper installed
 * setuid-root, tb_init() as nobody (and `ttybroker run` as nobody) going
 * through it or through a daemon's socket, the helper's hostile starts,
 * and the "no broker" error.
 *
 * The helper takes no paths: it reads /etc/ttybroker.conf and locks in
 * /run/lock.  So every test runs in a private mount namespace where /etc
 * is a tmpfs of links to the real /etc plus our own ttybroker.conf, and
 * /run/lock is a private tmpfs (as in test_docs.c).  A setuid-root copy of
 * the built helper lives in a scratch dir on a mount that honours setuid,
 * and TTYBROKER_HELPER points at it.  The test process is a child
 * subreaper, so helpers orphaned by a killed client are reaped here and we
 * can tell that nothing is left running.
 *
 * Clients are forked children that drop to nobody; they never call
 * Criterion's asserts, they exit with a code (K_*) that names what failed,
 * and report pids and text on a pipe.
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <libgen.h>
#include <linux/capability.h>
#include <limits.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "fdpass.h"
#include "proto.h"
#include "testutil.h"
#include "ttybroker.h"

#define IO_MS     5000 /* failure guard on every wait */
#define SECURE_UID 64999 /* a uid without a passwd entry */
/* make SANITIZE=1: LeakSanitizer cannot stop a process that is setuid to a
 * user other than root (not dumpable) at exit, and then exits 1. */
#ifdef __SANITIZE_ADDRESS__
#define LSAN_SETUID_EXIT 1
#else
#define LSAN_SETUID_EXIT 71
#endif
#define EX_HELPER 71   /* what the helper exits with when it refuses */
#define NO_BROKER "no broker: start ttybrokerd (systemctl enable --now ttybroker.socket) " \
		  "or install ttybroker-helper setuid-root"

/* Client exit codes: 0 is success, each other one names the step that failed. */
enum {
	K_OK = 0, K_DROP = 90, K_INIT, K_OPEN, K_WRITE, K_READ, K_KILL, K_CTL,
	K_RELEASE, K_SPAWN, K_READY, K_REPLY, K_PEER, K_STATUS,
};

static char tmp[64];              /* scratch dir: helper copy, sockets */
static char helper_built[PATH_MAX];
static char helper_suid[PATH_MAX]; /* setuid-root copy in tmp */
static char cli[PATH_MAX];
static char nosock[PATH_MAX];     /* a daemon socket path nobody listens on */
static struct tu_pty pty;

/* ------------------------------------------------------------------ */
/* Fixture                                                             */

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

/* The built ttybroker and ttybroker-helper (TTYBROKER_BIN's directory). */
static void find_build(void)
{
	const char *bin = getenv("TTYBROKER_BIN");
	char dir[PATH_MAX];

	cr_assert_not_null(realpath(bin ? bin : "build/ttybroker", cli),
			   "ttybroker not built (TTYBROKER_BIN)");
	snprintf(dir, sizeof(dir), "%s", cli);
	snprintf(helper_built, sizeof(helper_built), "%s/ttybroker-helper", dirname(dir));
	cr_assert(tu_exists(helper_built), "%s not built", helper_built);
}

static void write_file(const char *path, mode_t mode, const char *text)
{
	FILE *f;

	unlink(path);
	f = fopen(path, "wx");
	cr_assert_not_null(f, "%s: %s", path, strerror(errno));
	fputs(text, f);
	cr_assert_eq(fclose(f), 0);
	cr_assert_eq(chmod(path, mode), 0);
}

/* Copy SRC to PATH with MODE, owner UID and group GID. */
static void copy_file(const char *src, const char *path, mode_t mode, uid_t uid, gid_t gid)
{
	char buf[65536];
	int in, out;
	ssize_t n;

	in = open(src, O_RDONLY | O_CLOEXEC);
	cr_assert_geq(in, 0);
	out = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0700);
	cr_assert_geq(out, 0, "%s: %s", path, strerror(errno));
	while ((n = read(in, buf, sizeof(buf))) > 0)
		cr_assert_eq(write(out, buf, (size_t)n), n);
	close(in);
	cr_assert_eq(fchown(out, uid, gid), 0);
	cr_assert_eq(fchmod(out, mode), 0); /* after chown, which clears setuid */
	close(out);
}

/* Private /etc (our policy) and /run/lock, a setuid helper copy, a pty for nobody. */
static void setup(void)
{
	char real[128], link[PATH_MAX], target[PATH_MAX];
	struct statvfs vfs;
	struct dirent *de;
	DIR *d;

	cr_assert_eq(geteuid(), 0, "the helper tests run as root");
	find_build();
	cr_assert_eq(prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0), 0);
	snprintf(tmp, sizeof(tmp), "/tmp/tb-helper.XXXXXX");
	cr_assert_not_null(mkdtemp(tmp));
	cr_assert_eq(chmod(tmp, 0755), 0);
	cr_assert_eq(statvfs(tmp, &vfs), 0);
	if (vfs.f_flag & ST_NOSUID) {
		rmdir(tmp);
		cr_skip_test("%s is on a nosuid mount", tmp);
	}
	snprintf(helper_suid, sizeof(helper_suid), "%s/ttybroker-helper", tmp);
	/* Only group nogroup (our clients) may run it, should a crash leave it. */
	copy_file(helper_built, helper_suid, 04750, 0, TU_NOBODY);
	snprintf(nosock, sizeof(nosock), "%s/no.sock", tmp);

	cr_assert_eq(unshare(CLONE_NEWNS), 0, "unshare: %s", strerror(errno));
	cr_assert_eq(mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL), 0);
	snprintf(real, sizeof(real), "%s/.etc", tmp);
	cr_assert_eq(mkdir(real, 0755), 0);
	cr_assert_eq(mount("/etc", real, NULL, MS_BIND | MS_REC, NULL), 0);
	cr_assert_eq(mount("tmpfs", "/etc", "tmpfs", 0, "mode=0755"), 0);
	cr_assert_eq(mount("tmpfs", "/run/lock", "tmpfs", 0, "mode=1777"), 0);
	cr_assert_not_null(d = opendir(real));
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..") ||
		    !strcmp(de->d_name, "ttybroker.conf"))
			continue;
		snprintf(target, sizeof(target), "%s/%s", real, de->d_name);
		snprintf(link, sizeof(link), "/etc/%s", de->d_name);
		cr_assert_eq(symlink(target, link), 0, "%s: %s", link, strerror(errno));
	}
	closedir(d);
	write_file("/etc/ttybroker.conf", 0644, "permit nobody pts/*\n");
	tu_pty_open(&pty, TU_NOBODY);
}

/* Nothing may be left: no process, no lock file, no scratch file. */
static void teardown(void)
{
	char real[128];
	DIR *d;
	struct dirent *de;

	tu_pty_close(&pty);
	tu_reap_all(2000);
	if (!tmp[0])
		return;
	snprintf(real, sizeof(real), "%s/.etc", tmp);
	umount2(real, MNT_DETACH);
	rmdir(real);
	if ((d = opendir(tmp))) {
		while ((de = readdir(d)))
			if (de->d_name[0] != '.' && unlinkat(dirfd(d), de->d_name, 0) < 0)
				unlinkat(dirfd(d), de->d_name, AT_REMOVEDIR);
		closedir(d);
	}
	rmdir(tmp);
	tmp[0] = '\0';
}

TestSuite(helper, .init = setup, .fini = teardown, .timeout = 60);

/* ------------------------------------------------------------------ */
/* Helpers                                                             */

/* In a child: become nobody in every id, with no supplementary groups. */
static void drop_nobody(void)
{
	if (setgroups(0, NULL) < 0 || setresgid(TU_NOBODY, TU_NOBODY, TU_NOBODY) < 0 ||
	    setresuid(TU_NOBODY, TU_NOBODY, TU_NOBODY) < 0)
		_exit(K_DROP);
	prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
}

/* The environment of a client: which daemon socket and helper to use. */
static void client_env(const char *sock, const char *helper)
{
	clearenv();
	setenv("PATH", "/usr/bin:/bin", 1);
	setenv("TTYBROKER_SOCKET", sock, 1);
	setenv("TTYBROKER_HELPER", helper, 1);
}

/* The lock file of the test pty, in the private /run/lock. */
static void pty_lockfile(char *out, size_t len)
{
	snprintf(out, len, "/run/lock/LCK..%s", pty.port);
	for (char *p = out + strlen("/run/lock/"); *p; p++)
		if (*p == '/')
			*p = '_';
}

/* The pid in the lock file, or -1. */
static int lock_pid(void)
{
	char path[128], buf[32] = "";
	int fd, n;

	pty_lockfile(path, sizeof(path));
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = (int)read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n != 11 || buf[10] != '\n')
		return -2; /* not "%10d\n" */
	return atoi(buf);
}

static bool lock_gone(int timeout_ms)
{
	char path[128];

	pty_lockfile(path, sizeof(path));
	return tu_wait_path(path, false, timeout_ms);
}

/* Wait until PID is gone (reaping it if it is our child), or TIMEOUT_MS. */
static bool gone(pid_t pid, int timeout_ms)
{
	long end = now_ms() + timeout_ms;

	while (now_ms() < end) {
		waitpid(pid, NULL, WNOHANG);
		if (kill(pid, 0) < 0 && errno == ESRCH)
			return true;
		usleep(2000);
	}
	return false;
}

/* How many processes of ours are left after up to 2 s of reaping what ends. */
static int children_left(void)
{
	long end = now_ms() + 2000;
	pid_t c[8];
	int n;

	do {
		while (waitpid(-1, NULL, WNOHANG) > 0)
			;
		if ((n = tu_children(getpid(), c, 8)) == 0)
			return 0;
		usleep(2000);
	} while (now_ms() < end);
	return n;
}

/* Read exactly LEN bytes from FD within IO_MS. */
static bool read_full(int fd, void *buf, size_t len)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	size_t got = 0;

	while (got < len) {
		ssize_t n;

		if (poll(&p, 1, IO_MS) != 1)
			return false;
		n = read(fd, (char *)buf + got, len - got);
		if (n <= 0)
			return false;
		got += (size_t)n;
	}
	return true;
}

/* Drain FD (a pipe) into BUF until EOF or timeout. */
static void drain(int fd, char *buf, size_t len)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	size_t got = 0;

	buf[0] = '\0';
	while (got + 1 < len && poll(&p, 1, IO_MS) == 1) {
		ssize_t n = read(fd, buf + got, len - 1 - got);

		if (n <= 0)
			break;
		got += (size_t)n;
		buf[got] = '\0';
	}
}

/* The one child the client process has: its helper.  -1 if not exactly one. */
static pid_t only_child(pid_t pid)
{
	pid_t c[2];

	return tu_children(pid, c, 2) == 1 ? c[0] : -1;
}

/* ------------------------------------------------------------------ */
/* A nobody client through the library                                 */

enum client_end { END_RELEASE, END_EXIT, END_SIGKILL };

struct client_report {
	pid_t helper;
	int kill_errno[3]; /* SIGTERM, SIGSTOP, signal 0 sent to the helper */
};

/*
 * The client, as nobody: tb_init() with no options, open the pty, say
 * "ping", hear "pong", report, then end as the parent says on CTL:
 * 'r' release and shut down, 'x' exit without either.
 */
static _Noreturn void client_main(int rep, int ctl)
{
	struct client_report r = { 0 };
	static const int sigs[] = { SIGTERM, SIGSTOP, 0 };
	struct tb_broker *b;
	char buf[16] = "", c;
	int fd;

	drop_nobody();
	client_env(nosock, helper_suid);
	if (tb_init(NULL, &b) != 0)
		_exit(K_INIT);
	if ((fd = tb_open(b, pty.port, 0, NULL)) < 0)
		_exit(K_OPEN);
	if (write(fd, "ping\n", 5) != 5)
		_exit(K_WRITE);
	if (!read_full(fd, buf, 5) || memcmp(buf, "pong\n", 5) != 0)
		_exit(K_READ);
	r.helper = only_child(getpid());
	for (int i = 0; i < 3; i++)
		r.kill_errno[i] = kill(r.helper, sigs[i]) < 0 ? errno : 0;
	if (r.kill_errno[1] == 0)
		kill(r.helper, SIGCONT); /* a failing test must not leave it stopped */
	if (write(rep, &r, sizeof(r)) != sizeof(r) || read(ctl, &c, 1) != 1)
		_exit(K_CTL);
	if (c == 'x')
		_exit(K_OK);
	if (tb_release(b, fd) != 0)
		_exit(K_RELEASE);
	if (write(rep, "R", 1) != 1 || read(ctl, &c, 1) != 1)
		_exit(K_CTL);
	tb_shutdown(b);
	_exit(K_OK);
}

ParameterizedTestParameters(helper, nobody_client)
{
	static enum client_end ends[] = { END_RELEASE, END_EXIT, END_SIGKILL };

	return cr_make_param_array(enum client_end, ends, sizeof(ends) / sizeof(ends[0]));
}

/*
 * nobody, with no root ever, opens its pty through the setuid helper: data
 * flows both ways, the lock file holds the client's pid, the client cannot
 * signal the helper, and release, exit and SIGKILL each remove the lock
 * and end the helper.
 */
ParameterizedTest(enum client_end *end, helper, nobody_client)
{
	struct client_report r;
	int rep[2], ctl[2], st;
	char uids[64], c;
	pid_t pid;

	cr_assert_eq(pipe2(rep, O_CLOEXEC), 0);
	cr_assert_eq(pipe2(ctl, O_CLOEXEC), 0);
	pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0)
		client_main(rep[1], ctl[0]);
	close(rep[1]);
	close(ctl[0]);
	cr_assert(tu_pty_expect(&pty, "ping", IO_MS), "no ping from the client (exit %d)",
		  tu_wait(pid, 100));
	cr_assert_eq(write(pty.master, "pong\n", 5), 5);
	cr_assert(read_full(rep[0], &r, sizeof(r)), "client failed: exit %d",
		  tu_wait(pid, IO_MS));
	cr_assert_gt(r.helper, 0, "the client has not exactly one child (its helper)");
	cr_assert_eq(lock_pid(), pid, "lock file holds %d, the client is %d", lock_pid(), pid);
	cr_assert(tu_proc_status(r.helper, "Uid", uids, sizeof(uids)));
	cr_assert_str_eq(uids, "0\t0\t0\t0", "helper uids: %s", uids);
	cr_assert_eq(r.kill_errno[0], EPERM, "nobody sent SIGTERM to the helper: %s",
		     strerror(r.kill_errno[0]));
	cr_assert_eq(r.kill_errno[1], EPERM, "nobody sent SIGSTOP to the helper");
	cr_assert_eq(r.kill_errno[2], EPERM, "kill(helper, 0) as nobody");
	switch (*end) {
	case END_RELEASE:
		cr_assert_eq(write(ctl[1], "r", 1), 1);
		cr_assert(read_full(rep[0], &c, 1), "tb_release failed: exit %d",
			  tu_wait(pid, IO_MS));
		cr_assert(lock_gone(2000), "lock left after tb_release");
		cr_assert_eq(kill(r.helper, 0), 0, "the helper ended before tb_shutdown");
		cr_assert_eq(write(ctl[1], "s", 1), 1);
		break;
	case END_EXIT:
		cr_assert_eq(write(ctl[1], "x", 1), 1);
		break;
	case END_SIGKILL:
		cr_assert_eq(kill(pid, SIGKILL), 0);
		break;
	}
	st = tu_wait(pid, IO_MS);
	cr_assert_eq(st, *end == END_SIGKILL ? 128 + SIGKILL : 0, "client exit %d", st);
	cr_assert(lock_gone(2000), "lock left after the client ended");
	cr_assert(gone(r.helper, 2000), "the helper outlived its client");
	cr_assert_eq(children_left(), 0, "processes left running");
	close(rep[0]);
	close(ctl[1]);
}

/* ------------------------------------------------------------------ */
/* The command, as nobody                                              */

/* Run BIN as nobody with ARGV (argv[0] ignored); stderr to ERRFD. */
static pid_t cli_spawn(const char *bin, char *const argv[], const char *helper, int errfd)
{
	char *args[32];
	size_t n = 0;
	pid_t pid;

	args[n++] = (char *)bin;
	for (size_t i = 1; argv[i] && n < 31; i++)
		args[n++] = argv[i];
	args[n] = NULL;
	pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		int null = open("/dev/null", O_RDWR);

		drop_nobody();
		client_env(nosock, helper);
		dup2(null, 0);
		dup2(null, 1);
		dup2(errfd, 2);
		execv(bin, args);
		_exit(127);
	}
	return pid;
}

/*
 * `ttybroker run` as nobody works through the helper: PROGRAM talks on fd 3,
 * the lock is the built-in /run/lock one, and -p and -l are ignored, with a
 * word on stderr.
 */
Test(helper, cli_run_nobody)
{
	char ldir[128], err[2048], lpath[PATH_MAX];
	int pe[2], st;
	pid_t pid;

	snprintf(ldir, sizeof(ldir), "%s/locks", tmp);
	cr_assert_eq(mkdir(ldir, 01777), 0);
	char *argv[] = { "ttybroker", "-p", "/nonexistent.conf", "-l", ldir, "run", pty.port,
			 "--", "/bin/sh", "-c",
			 "echo hello >&3; read x <&3; [ \"$x\" = pong ] && echo done >&3", NULL };

	cr_assert_eq(pipe2(pe, O_CLOEXEC), 0);
	pid = cli_spawn(cli, argv, helper_suid, pe[1]);
	close(pe[1]);
	cr_assert(tu_pty_expect(&pty, "hello", IO_MS), "PROGRAM did not write to the port");
	cr_assert_gt(lock_pid(), 0, "no lock file in /run/lock");
	cr_assert_eq(write(pty.master, "pong\n", 5), 5);
	cr_assert(tu_pty_expect(&pty, "done", IO_MS), "PROGRAM did not read from the port");
	drain(pe[0], err, sizeof(err));
	close(pe[0]);
	st = tu_wait(pid, IO_MS);
	cr_assert_eq(st, 0, "ttybroker run exits %d; stderr:\n%s", st, err);
	cr_assert_not_null(strstr(err, "-p and -l are ignored when not root"), "stderr:\n%s", err);
	cr_assert(lock_gone(2000), "lock left after run");
	snprintf(lpath, sizeof(lpath), "%s/LCK..%s", ldir, pty.port);
	lpath[strlen(ldir) + 1 + strlen("LCK..pts")] = '_';
	cr_assert(!tu_exists(lpath), "-l was used: %s", lpath);
	rmdir(ldir);
	cr_assert_eq(children_left(), 0, "processes left running");
}

/* `ttybroker -u USER` is still only for root. */
Test(helper, cli_user_needs_root)
{
	char *argv[] = { "ttybroker", "-u", "nobody", "run", pty.port, "--", "true", NULL };
	char err[1024];
	int pe[2], st;
	pid_t pid;

	cr_assert_eq(pipe2(pe, O_CLOEXEC), 0);
	pid = cli_spawn(cli, argv, helper_suid, pe[1]);
	close(pe[1]);
	drain(pe[0], err, sizeof(err));
	close(pe[0]);
	st = tu_wait(pid, IO_MS);
	cr_assert_eq(st, 64, "exit %d, stderr:\n%s", st, err);
	cr_assert_not_null(strstr(err, "-u is only for root"), "stderr:\n%s", err);
}

/* ------------------------------------------------------------------ */
/* No broker                                                           */

enum nobroker { NB_MISSING, NB_NOT_SETUID, NB_NOT_ROOTS, NB_STALE_SOCKET };

ParameterizedTestParameters(helper, no_broker)
{
	static enum nobroker cases[] = { NB_MISSING, NB_NOT_SETUID, NB_NOT_ROOTS,
					 NB_STALE_SOCKET };

	return cr_make_param_array(enum nobroker, cases, sizeof(cases) / sizeof(cases[0]));
}

/* A bound socket file nobody listens on (connect: ECONNREFUSED). */
static void stale_socket(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);

	cr_assert_geq(fd, 0);
	cr_assert_lt(strlen(path), sizeof(sa.sun_path));
	memcpy(sa.sun_path, path, strlen(path) + 1);
	cr_assert_eq(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	cr_assert_eq(chmod(path, 0666), 0);
	close(fd);
}

/*
 * No daemon and no usable helper (missing, not setuid, setuid but not
 * root's; a stale daemon socket is no daemon): tb_init() says how to get
 * one, and `ttybroker run` exits 71 with that line.
 */
ParameterizedTest(enum nobroker *c, helper, no_broker)
{
	char path[PATH_MAX], sock[PATH_MAX], err[2048];
	char *argv[] = { "ttybroker", "run", pty.port, "--", "true", NULL };
	int pe[2], st;
	pid_t pid;

	snprintf(path, sizeof(path), "%s/other-helper", tmp);
	snprintf(sock, sizeof(sock), "%s", nosock);
	if (*c == NB_NOT_SETUID)
		copy_file(helper_built, path, 0750, 0, TU_NOBODY);
	if (*c == NB_NOT_ROOTS)
		copy_file(helper_built, path, 04750, TU_NOBODY, TU_NOBODY);
	if (*c == NB_STALE_SOCKET)
		stale_socket(sock);
	pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		struct tb_broker *b;
		int r;

		drop_nobody();
		client_env(sock, path);
		r = tb_init(NULL, &b);
		_exit(r == -ENOTCONN && !strcmp(tb_strerror(r), NO_BROKER) ? K_OK : K_INIT);
	}
	st = tu_wait(pid, IO_MS);
	cr_assert_eq(st, K_OK, "tb_init did not return -ENOTCONN with its text (exit %d)", st);

	cr_assert_eq(pipe2(pe, O_CLOEXEC), 0);
	pid = cli_spawn(cli, argv, path, pe[1]);
	close(pe[1]);
	drain(pe[0], err, sizeof(err));
	close(pe[0]);
	st = tu_wait(pid, IO_MS);
	cr_assert_eq(st, 71, "ttybroker run exits %d; stderr:\n%s", st, err);
	cr_assert_str_eq(err, "ttybroker: " NO_BROKER "\n");
	cr_assert_eq(children_left(), 0, "processes left running");
	unlink(path);
	unlink(sock);
}

/* ------------------------------------------------------------------ */
/* Hostile starts                                                      */

enum hostile {
	H_ARGC0,         /* execve with an empty argv: served          */
	H_STDIO_CLOSED,  /* fds 0-2 closed: served, 0-2 on /dev/null    */
	H_RLIMITS,       /* soft CPU 1 s, NOFILE 5, FSIZE 0: served, reset */
	H_RLIMITS_HARD,  /* hard ones too: served if we may raise them
			    (CAP_SYS_RESOURCE), else refused             */
	H_STRAY_FDS,     /* 100 more fds open: served, none kept        */
	H_NOT_PEER,      /* a socketpair made by another process        */
	H_NO_SOCKET,     /* nothing on fd 3                             */
	H_PIPE,          /* a pipe on fd 3                              */
	H_DGRAM,         /* an AF_UNIX SOCK_DGRAM pair                  */
	H_STREAM,        /* an AF_UNIX SOCK_STREAM pair                 */
	H_LISTENING,     /* a listening SOCK_SEQPACKET socket           */
	H_NOT_SETUID,    /* the built helper, not setuid                */
	H_MANY_GROUPS,   /* the caller is in 300 groups                 */
};

struct hostile_case {
	enum hostile kind;
	bool served;
	char err[80]; /* refused: what stderr must say */
};

ParameterizedTestParameters(helper, hostile_start)
{
	static struct hostile_case cases[] = {
		{ H_ARGC0, true, "" },
		{ H_STDIO_CLOSED, true, "" },
		{ H_RLIMITS, true, "" },
		{ H_RLIMITS_HARD, false, "ttybroker-helper: RLIMIT_FSIZE: the hard limit 0 is below 4096" },
		{ H_STRAY_FDS, true, "" },
		{ H_NOT_PEER, false, "is not the process that executed ttybroker-helper" },
		{ H_NO_SOCKET, false, "refused: no socket on fd 3" },
		{ H_PIPE, false, "refused: fd 3 is not a socket" },
		{ H_DGRAM, false, "refused: fd 3 is not a SOCK_SEQPACKET socket" },
		{ H_STREAM, false, "refused: fd 3 is not a SOCK_SEQPACKET socket" },
		{ H_LISTENING, false, "refused: fd 3 is a listening socket" },
		{ H_NOT_SETUID, false, "ttybroker-helper is not setuid-root" },
		{ H_MANY_GROUPS, false, "refused: uid 65534 is in more than 256 groups" },
	};

	return cr_make_param_array(struct hostile_case, cases, sizeof(cases) / sizeof(cases[0]));
}

/* A socketpair made by a child of ours (another process): one end, its pid in *MAKER. */
static int foreign_socket(pid_t *maker)
{
	int link[2], sp[2], fd = -1;
	char byte = 0;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, link) < 0)
		return -1;
	*maker = fork();
	if (*maker < 0)
		return -1;
	if (*maker == 0) {
		close(link[0]);
		if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) < 0 ||
		    fdpass_send(link[1], &byte, 1, sp[1]) < 0)
			_exit(1);
		while (read(link[1], &byte, 1) < 0 && errno == EINTR)
			; /* stay until the client is done */
		_exit(0);
	}
	close(link[1]);
	if (fdpass_recv(link[0], &byte, 1, &fd, NULL) != 1)
		fd = -1;
	return fd; /* link[0] stays open until the client exits: the maker waits */
}

/* Prepare the client's end (*MINE) and the fd to put on 3 (*THEIRS) for KIND. */
static int hostile_socket(enum hostile kind, int *mine, int *theirs, pid_t *maker)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int sv[2], type = SOCK_SEQPACKET;

	*mine = *theirs = -1;
	switch (kind) {
	case H_NO_SOCKET:
		return 0;
	case H_PIPE:
		if (pipe2(sv, O_CLOEXEC) < 0)
			return -1;
		*mine = sv[1];
		*theirs = sv[0];
		return 0;
	case H_NOT_PEER:
		*theirs = foreign_socket(maker);
		return *theirs >= 0 ? 0 : -1;
	case H_LISTENING:
		*theirs = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
		/* autobind to an abstract address, then listen */
		if (*theirs < 0 || bind(*theirs, (struct sockaddr *)&sa, sizeof(sa_family_t)) < 0 ||
		    listen(*theirs, 1) < 0)
			return -1;
		return 0;
	case H_DGRAM:
		type = SOCK_DGRAM;
		break;
	case H_STREAM:
		type = SOCK_STREAM;
		break;
	default:
		break;
	}
	if (socketpair(AF_UNIX, type | SOCK_CLOEXEC, 0, sv) < 0)
		return -1;
	*mine = sv[0];
	*theirs = sv[1];
	return 0;
}

/* In the helper's child, before exec: set up fd 3 and the hostile state, exec. */
static _Noreturn void hostile_exec(enum hostile kind, int theirs, int errfd)
{
	static char *const argv_std[] = { "ttybroker-helper", "-p", "/tmp/evil", NULL };
	static char *const argv0[] = { NULL };
	/* Not setuid, ld.so would honour (and complain about) LD_PRELOAD. */
	char *const envp[] = { kind == H_NOT_SETUID ? "TZ=/etc/shadow" :
			       "LD_PRELOAD=/tmp/nonexistent.so", "TZ=/etc/shadow", NULL };
	const char *path = kind == H_NOT_SETUID ? helper_built : helper_suid;

	dup2(errfd, 2);
	if (theirs >= 0) {
		if (theirs == 3 ? fcntl(3, F_SETFD, 0) < 0 : dup2(theirs, 3) < 0)
			_exit(K_SPAWN);
	} else {
		close(3);
	}
	close_range(4, ~0U, 0);
	if (kind == H_STDIO_CLOSED)
		close_range(0, 2, 0);
	if (kind == H_STRAY_FDS)
		for (int i = 0; i < 100; i++)
			open("/dev/null", O_RDONLY);
	if (kind == H_RLIMITS || kind == H_RLIMITS_HARD) {
		/* NOFILE 5: ld.so itself needs one fd above the socket */
		struct rlimit cpu = { 1, 1 }, nofile = { 5, 5 }, fsize = { 0, 0 }, hard;

		getrlimit(RLIMIT_NOFILE, &hard);
		if (kind == H_RLIMITS) {
			cpu.rlim_max = fsize.rlim_max = RLIM_INFINITY;
			nofile.rlim_max = hard.rlim_max;
		}
		if (setrlimit(RLIMIT_CPU, &cpu) < 0 || setrlimit(RLIMIT_NOFILE, &nofile) < 0 ||
		    setrlimit(RLIMIT_FSIZE, &fsize) < 0)
			_exit(K_SPAWN);
	}
	execve(path, kind == H_ARGC0 ? argv0 : argv_std, envp);
	_exit(K_SPAWN);
}

/* The client speaks the protocol itself: READY, then open the pty. */
static int hostile_serve(int sock, int *port)
{
	char buf[PROTO_MSG_MAX];
	union proto_msg msg;
	struct proto_open req;
	ssize_t n;

	n = fdpass_recv(sock, buf, sizeof(buf), NULL, NULL);
	if (n <= 0 || proto_decode(buf, (size_t)n, PROTO_FROM_BACKEND, false, &msg) < 0 ||
	    msg.hdr.type != PROTO_READY || msg.ready.err != 0)
		return K_READY;
	memset(&req, 0, sizeof(req));
	proto_hdr_init(&req.hdr, PROTO_OPEN, 1);
	snprintf(req.port, sizeof(req.port), "%s", pty.port);
	if (fdpass_send(sock, &req, sizeof(req), -1) < 0)
		return K_OPEN;
	n = fdpass_recv(sock, buf, sizeof(buf), port, NULL);
	if (n <= 0 || *port < 0 ||
	    proto_decode(buf, (size_t)n, PROTO_FROM_BACKEND, true, &msg) < 0 ||
	    msg.hdr.type != PROTO_OPEN_REPLY || msg.open_reply.err != 0)
		return K_REPLY;
	return K_OK;
}

/*
 * The client (nobody) starts the helper itself, in a hostile way.  Served:
 * it reports the helper's pid, writes "hostile" on the port and waits for
 * the parent's word to hang up.  Refused: it exits with the helper's status.
 */
static _Noreturn void hostile_client(const struct hostile_case *c, int rep, int ctl, int errfd)
{
	int mine, theirs, port = -1, st, r;
	pid_t maker = -1, h;
	char byte;

	if (c->kind == H_MANY_GROUPS) {
		/* never truncated: a dropped group could hide a deny rule */
		gid_t g[300];

		for (size_t i = 0; i < 300; i++)
			g[i] = (gid_t)(20000 + i);
		if (setgroups(300, g) < 0)
			_exit(K_DROP);
		if (setresgid(TU_NOBODY, TU_NOBODY, TU_NOBODY) < 0 ||
		    setresuid(TU_NOBODY, TU_NOBODY, TU_NOBODY) < 0)
			_exit(K_DROP);
		prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
	} else {
		drop_nobody();
	}
	if (hostile_socket(c->kind, &mine, &theirs, &maker) < 0)
		_exit(K_SPAWN);
	h = fork();
	if (h < 0)
		_exit(K_SPAWN);
	if (h == 0)
		hostile_exec(c->kind, theirs, errfd);
	close(errfd);
	if (theirs >= 0)
		close(theirs);
	if (!c->served) {
		if (mine >= 0)
			close(mine); /* a helper that wrongly serves ends on EOF, with 0 */
		if (waitpid(h, &st, 0) != h)
			_exit(K_STATUS);
		_exit(WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
	}
	if ((r = hostile_serve(mine, &port)) != K_OK)
		_exit(r);
	if (write(port, "hostile\n", 8) != 8)
		_exit(K_WRITE);
	if (write(rep, &h, sizeof(h)) != sizeof(h) || read(ctl, &byte, 1) != 1)
		_exit(K_CTL);
	close(port);
	close(mine); /* EOF: the helper releases and ends */
	if (waitpid(h, &st, 0) != h || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
		_exit(K_STATUS);
	_exit(K_OK);
}

/* The value column of a "Max ..." line of /proc/PID/limits (soft limit). */
static void proc_limit(pid_t pid, const char *name, char *out, size_t len)
{
	char path[64], line[256];
	FILE *f;

	out[0] = '\0';
	snprintf(path, sizeof(path), "/proc/%d/limits", (int)pid);
	cr_assert_not_null(f = fopen(path, "re"));
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, name, strlen(name)))
			snprintf(out, len, "%.*s", (int)strcspn(line + 26, " "), line + 26);
	fclose(f);
}

/* Descriptors of PID, from /proc (we are root). */
static int proc_fds(pid_t pid, char *list, size_t len)
{
	char path[64];
	struct dirent *de;
	int n = 0;
	DIR *d;

	list[0] = '\0';
	snprintf(path, sizeof(path), "/proc/%d/fd", (int)pid);
	cr_assert_not_null(d = opendir(path));
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		n++;
		snprintf(list + strlen(list), len - strlen(list), "%s ", de->d_name);
	}
	closedir(d);
	return n;
}

/*
 * Hostile starts: each is served correctly (with the damage undone) or
 * refused with one line on stderr and status 71; nothing is left running
 * and no lock stays.
 */
ParameterizedTest(struct hostile_case *c, helper, hostile_start)
{
	int rep[2], ctl[2], pe[2], st;
	char err[2048], val[64], fds[512], link[64], target[64];
	pid_t pid, h;

	/* Where root may raise hard limits, the helper undoes them too. */
	if (c->kind == H_RLIMITS_HARD && prctl(PR_CAPBSET_READ, CAP_SYS_RESOURCE, 0, 0, 0) == 1)
		c->served = true;
	cr_assert_eq(pipe2(rep, O_CLOEXEC), 0);
	cr_assert_eq(pipe2(ctl, O_CLOEXEC), 0);
	cr_assert_eq(pipe2(pe, O_CLOEXEC), 0);
	pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0)
		hostile_client(c, rep[1], ctl[0], pe[1]);
	close(rep[1]);
	close(ctl[0]);
	close(pe[1]);
	if (!c->served) {
		drain(pe[0], err, sizeof(err));
		st = tu_wait(pid, IO_MS);
		cr_assert_eq(st, EX_HELPER, "helper exits %d; stderr:\n%s", st, err);
		cr_assert_not_null(strstr(err, c->err), "stderr:\n%s", err);
		cr_assert_eq(strchr(err, '\n'), err + strlen(err) - 1, "not one line:\n%s", err);
	} else {
		if (!tu_pty_expect(&pty, "hostile", IO_MS)) {
			st = tu_wait(pid, 200);
			drain(pe[0], err, sizeof(err));
			cr_assert_fail("case %d not served (client exit %d); stderr:\n%s",
				       (int)c->kind, st, err);
		}
		cr_assert(read_full(rep[0], &h, sizeof(h)));
		cr_assert_eq(lock_pid(), pid, "lock holds %d, client is %d", lock_pid(), pid);
		if (c->kind == H_STDIO_CLOSED)
			for (int fd = 0; fd < 3; fd++) {
				snprintf(link, sizeof(link), "/proc/%d/fd/%d", (int)h, fd);
				memset(target, 0, sizeof(target));
				cr_assert_gt(readlink(link, target, sizeof(target) - 1), 0);
				cr_assert_str_eq(target, "/dev/null", "helper fd %d", fd);
			}
		if (c->kind == H_RLIMITS || c->kind == H_RLIMITS_HARD) {
			proc_limit(h, "Max cpu time", val, sizeof(val));
			cr_assert_str_eq(val, "unlimited", "RLIMIT_CPU %s", val);
			proc_limit(h, "Max file size", val, sizeof(val));
			cr_assert_str_eq(val, "unlimited", "RLIMIT_FSIZE %s", val);
			proc_limit(h, "Max core file size", val, sizeof(val));
			cr_assert_str_eq(val, "0", "RLIMIT_CORE %s", val);
			proc_limit(h, "Max open files", val, sizeof(val));
			cr_assert_str_eq(val, "64", "RLIMIT_NOFILE %s", val);
		}
		if (c->kind == H_STRAY_FDS) /* its own are a dozen at most, not 100 more */
			cr_assert_leq(proc_fds(h, fds, sizeof(fds)), 16,
				      "helper fds: %s", fds);
		cr_assert_eq(write(ctl[1], "x", 1), 1);
		st = tu_wait(pid, IO_MS);
		cr_assert_eq(st, K_OK, "client exit %d", st);
		drain(pe[0], err, sizeof(err));
		/* Audit lines may come here (no syslog in a container); no complaint may. */
		cr_assert_null(strstr(err, "ttybroker-helper"), "stderr:\n%s", err);
		cr_assert_null(strstr(err, "refused"), "stderr:\n%s", err);
	}
	cr_assert(lock_gone(2000), "lock left");
	cr_assert_eq(children_left(), 0, "processes left running");
	close(rep[0]);
	close(ctl[1]);
	close(pe[0]);
}

/* ------------------------------------------------------------------ */
/* Choosing the way in                                                 */

/* A fake daemon: listens on PATH; returns the listening socket. */
static int fake_daemon(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);

	cr_assert_geq(fd, 0);
	cr_assert_lt(strlen(path), sizeof(sa.sun_path));
	memcpy(sa.sun_path, path, strlen(path) + 1);
	cr_assert_eq(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	cr_assert_eq(chmod(path, 0666), 0);
	cr_assert_eq(listen(fd, 4), 0);
	return fd;
}

/* Accept one client within IO_MS. */
static int fake_accept(int lfd)
{
	struct pollfd p = { .fd = lfd, .events = POLLIN };

	cr_assert_eq(poll(&p, 1, IO_MS), 1, "nobody connected to the daemon socket");
	return accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
}

/* A client forcing VIA: tb_init(), then tb_open() of the pty; exit code = -errno. */
static pid_t via_client(unsigned int via, const char *sock, const char *helper)
{
	pid_t pid = fork();

	cr_assert_geq(pid, 0);
	if (pid == 0) {
		struct tb_options o = { .via = via };
		struct tb_broker *b;
		int r;

		drop_nobody();
		client_env(sock, helper);
		if ((r = tb_init(&o, &b)) < 0)
			_exit(-r);
		r = tb_open(b, pty.port, 0, NULL);
		if (r >= 0)
			r = write(r, "via\n", 4) == 4 ? 0 : -EIO;
		tb_shutdown(b);
		_exit(-r);
	}
	return pid;
}

/*
 * A daemon that accepts is used: PROTO_READY, then the request goes to it
 * and its answer comes back.  One that hangs up before PROTO_READY is an
 * error, not a reason to try the helper.
 */
Test(helper, daemon_first)
{
	char path[PATH_MAX], buf[PROTO_MSG_MAX];
	struct proto_open_reply rep;
	struct proto_ready rdy;
	union proto_msg msg;
	int lfd, cfd, st;
	ssize_t n;
	pid_t pid;

	snprintf(path, sizeof(path), "%s/d.sock", tmp);
	lfd = fake_daemon(path);
	pid = via_client(TB_VIA_AUTO, path, helper_suid);
	cr_assert_geq(cfd = fake_accept(lfd), 0);
	memset(&rdy, 0, sizeof(rdy));
	proto_hdr_init(&rdy.hdr, PROTO_READY, 0);
	cr_assert_eq(fdpass_send(cfd, &rdy, sizeof(rdy), -1), 0);
	n = fdpass_recv(cfd, buf, sizeof(buf), NULL, NULL);
	cr_assert_gt(n, 0);
	cr_assert_eq(proto_decode(buf, (size_t)n, PROTO_FROM_FRONTEND, false, &msg), 0);
	cr_assert_eq(msg.hdr.type, PROTO_OPEN);
	cr_assert_str_eq(msg.open.port, pty.port);
	memset(&rep, 0, sizeof(rep));
	proto_hdr_init(&rep.hdr, PROTO_OPEN_REPLY, msg.hdr.seq);
	rep.err = -EACCES;
	rep.reason = PROTO_R_DENIED;
	cr_assert_eq(fdpass_send(cfd, &rep, sizeof(rep), -1), 0);
	st = tu_wait(pid, IO_MS);
	cr_assert_eq(st, EACCES, "the daemon's answer did not come back (exit %d)", st);
	close(cfd);

	pid = via_client(TB_VIA_AUTO, path, helper_suid);
	cr_assert_geq(cfd = fake_accept(lfd), 0);
	close(cfd);
	st = tu_wait(pid, IO_MS);
	cr_assert_eq(st, ECONNRESET, "tb_init after a hang-up: exit %d", st);
	close(lfd);
	unlink(path);
	cr_assert_eq(children_left(), 0, "processes left running");
}

struct via_case {
	unsigned int via;
	bool daemon;     /* a (silent) daemon listens */
	bool helper;     /* TTYBROKER_HELPER is the setuid copy */
	int exit;        /* the client's exit: 0 or the errno */
};

ParameterizedTestParameters(helper, via)
{
	static struct via_case cases[] = {
		{ TB_VIA_HELPER, true, true, 0 },        /* the daemon is not asked */
		{ TB_VIA_DAEMON, false, true, ENOTCONN }, /* the helper is not used */
		{ TB_VIA_FORK, false, true, EPERM },     /* fork needs root */
		{ 99, false, true, EINVAL },
		{ TB_VIA_AUTO, false, true, 0 },          /* no daemon: the helper */
	};

	return cr_make_param_array(struct via_case, cases, sizeof(cases) / sizeof(cases[0]));
}

/* tb_options.via forces one way in. */
ParameterizedTest(struct via_case *c, helper, via)
{
	char path[PATH_MAX];
	int lfd = -1, st;
	pid_t pid;

	snprintf(path, sizeof(path), "%s/d.sock", tmp);
	if (c->daemon)
		lfd = fake_daemon(path);
	pid = via_client(c->via, c->daemon ? path : nosock, c->helper ? helper_suid : nosock);
	if (c->exit == 0)
		cr_assert(tu_pty_expect(&pty, "via", IO_MS), "no data through the helper");
	st = tu_wait(pid, IO_MS);
	cr_assert_eq(st, c->exit, "client exit %d, want %d", st, c->exit);
	if (lfd >= 0) {
		struct pollfd p = { .fd = lfd, .events = POLLIN };

		cr_assert_eq(poll(&p, 1, 0), 0, "the daemon was asked");
		close(lfd);
		unlink(path);
	}
	cr_assert(lock_gone(2000), "lock left");
	cr_assert_eq(children_left(), 0, "processes left running");
}

/*
 * In secure mode (a setuid program) TTYBROKER_HELPER and TTYBROKER_SOCKET
 * are not honoured: the same command that works through the helper as
 * plain nobody finds no broker when it is setuid (to a user other than root).
 */
Test(helper, secure_mode_ignores_env)
{
	char sg[PATH_MAX], err[2048];
	char *argv[] = { "ttybroker", "run", pty.port, "--", "true", NULL };
	int pe[2], st;
	pid_t pid;

	if (tu_exists("/run/ttybroker.sock") || tu_exists(TB_LIBEXECDIR "/ttybroker"))
		tu_skip(teardown, "a broker is installed on this machine");
	snprintf(sg, sizeof(sg), "%s/ttybroker-sg", tmp);
	/* The command, setuid to a uid no one has and no file uses: AT_SECURE. */
	copy_file(cli, sg, 04755, SECURE_UID, 0);
	cr_assert_eq(pipe2(pe, O_CLOEXEC), 0);
	pid = cli_spawn(sg, argv, helper_suid, pe[1]);
	close(pe[1]);
	drain(pe[0], err, sizeof(err));
	close(pe[0]);
	st = tu_wait(pid, IO_MS);
	cr_assert(st == 71 || st == LSAN_SETUID_EXIT, "setuid ttybroker run exits %d; stderr:\n%s",
		  st, err);
	cr_assert_not_null(strstr(err, NO_BROKER), "stderr:\n%s", err);
	unlink(sg);
	cr_assert_eq(children_left(), 0, "processes left running");
}

/* ------------------------------------------------------------------ */
/* ttybroker list through the helper (branch list9)                    */

/*
 * `ttybroker list --json --via helper` as nobody: tb_list() through the
 * setuid helper, with the built-in policy (line 1 permits the pty) and
 * lock directory (a foreign LCK.. file of a live process names it).
 */
Test(helper, cli_list_nobody)
{
	char envsock[PATH_MAX + 32], envhelper[PATH_MAX + 32], path[128];
	char out[16384], err[2048], sum[512], want[512], pid10[16];
	char *envp[] = { envsock, envhelper, "PATH=/usr/bin:/bin", NULL };
	char *argv[] = { cli, "list", "--json", "--via", "helper", NULL };
	char *ports[] = { pty.port, NULL };
	int st, fd;

	snprintf(envsock, sizeof(envsock), "TTYBROKER_SOCKET=%s", nosock);
	snprintf(envhelper, sizeof(envhelper), "TTYBROKER_HELPER=%s", helper_suid);
	st = tu_run_as(TU_NOBODY, argv, envp, NULL, out, sizeof(out), err, sizeof(err), IO_MS);
	cr_assert_eq(st, 0, "list exits %d: %s", st, err);
	cr_assert_eq(tu_list_json(out, ports, sum, sizeof(sum)), 0, "%s", out);
	snprintf(want, sizeof(want), "%s permit 1 free None", pty.port);
	cr_assert_str_eq(sum, want, "from:\n%s", out);

	pty_lockfile(path, sizeof(path));
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	cr_assert_geq(fd, 0);
	snprintf(pid10, sizeof(pid10), "%10d\n", (int)getpid());
	cr_assert_eq(write(fd, pid10, 11), 11);
	close(fd);
	st = tu_run_as(TU_NOBODY, argv, envp, NULL, out, sizeof(out), err, sizeof(err), IO_MS);
	unlink(path);
	cr_assert_eq(st, 0, "list exits %d: %s", st, err);
	cr_assert_eq(tu_list_json(out, ports, sum, sizeof(sum)), 0, "%s", out);
	snprintf(want, sizeof(want), "%s permit 1 lockfile %d", pty.port, (int)getpid());
	cr_assert_str_eq(sum, want, "from:\n%s", out);
	cr_assert_eq(children_left(), 0, "processes left running");
}
