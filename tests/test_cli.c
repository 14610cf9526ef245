/* SPDX-License-Identifier: MIT */
/*
 * test_cli.c - end-to-end tests of the ttybroker command.  Each test runs
 * the real binary as root with `-u nobody -q -p POLICY -l LOCKDIR` against
 * a real pty whose slave belongs to nobody, and checks what an admin or a
 * user can see from outside: exit codes, one-line refusals, the lock file,
 * flock interop with other serial programs, the descriptors PROGRAM gets,
 * and that nothing (lock file, backend, PROGRAM) outlives a session.
 *
 * The test process makes itself a child subreaper, so whatever the command
 * leaves behind (or leaves when killed) is reparented to the test: it can
 * then be waited for, which proves it ended, and .fini reaps all of it.
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>

#include <dirent.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sched.h>
#include <string.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli.h"
#include "cli_elf.h"
#include "filter.h"
#include "testutil.h"

#define OUT_MAX   8192
#define ARGV_MAX  32
#define MAX_PIDS  8
#define T_RUN_MS  15000 /* failure guard for one command */
#define T_IO_MS   5000  /* failure guard for pty traffic and cleanup */

static struct tu_env env;
static struct tu_pty pty = { .master = -1 };
static pid_t started[MAX_PIDS];
static size_t nstarted;
static int extra_fd = -1; /* the test's own open of the pty slave */
static char setuid_bin[160]; /* a setuid-root copy of the command, or "" */
static char private_dev[160]; /* tmpfs mounted over /dev in this test's namespace, or "" */

/* ---------------------------------------------------------------- */
/* Processes                                                         */

/* The pids of PID's children, from /proc (the frontend is single-threaded). */
static size_t children_of(pid_t pid, pid_t *out, size_t max)
{
	int n = tu_children(pid, out, (int)max);

	return n < 0 ? 0 : (size_t)n < max ? (size_t)n : max;
}

/* Real uid of PID, or -1 if it is gone. */
static long uid_of(pid_t pid)
{
	char buf[128];

	if (!tu_proc_status(pid, "Uid", buf, sizeof(buf)))
		return -1;
	return strtol(buf, NULL, 10);
}

/* The child of FRONTEND running as UID: PROGRAM (nobody) or the backend (root). */
static pid_t child_with_uid(pid_t frontend, long uid)
{
	pid_t kids[8];
	size_t n = children_of(frontend, kids, 8);

	for (size_t i = 0; i < n; i++)
		if (uid_of(kids[i]) == uid)
			return kids[i];
	return -1;
}

/* Every live process whose parent is PARENT (a scan of /proc). */
static size_t processes_with_parent(pid_t parent, pid_t *out, size_t max)
{
	DIR *d = opendir("/proc");
	struct dirent *de;
	char buf[32];
	size_t n = 0;

	cr_assert_not_null(d);
	while ((de = readdir(d)) && n < max) {
		pid_t pid = (pid_t)strtol(de->d_name, NULL, 10);

		if (pid > 0 && tu_proc_status(pid, "PPid", buf, sizeof(buf)) &&
		    strtol(buf, NULL, 10) == parent)
			out[n++] = pid;
	}
	closedir(d);
	return n;
}

static bool pid_gone(pid_t pid)
{
	return kill(pid, 0) < 0 && errno == ESRCH;
}

static void track(pid_t pid)
{
	cr_assert_lt(nstarted, MAX_PIDS);
	started[nstarted++] = pid;
}

/* Kill and reap everything we started and everything reparented to us. */
static void reap_all(void)
{
	pid_t kids[32];
	size_t n;

	for (size_t i = 0; i < nstarted; i++) {
		kill(started[i], SIGKILL);
		waitpid(started[i], NULL, 0);
	}
	nstarted = 0;
	for (int round = 0; round < 100; round++) {
		n = processes_with_parent(getpid(), kids, 32);
		for (size_t i = 0; i < n; i++) {
			kill(kids[i], SIGKILL);
			waitpid(kids[i], NULL, 0);
		}
		while (waitpid(-1, NULL, WNOHANG) > 0)
			;
		if (n == 0)
			break;
		usleep(10000);
	}
}

/* ---------------------------------------------------------------- */
/* Fixture                                                           */

static void setup(void)
{
	/* No sudo target may leak in: "plain root without -u" must stay that. */
	unsetenv("SUDO_UID");
	unsetenv("SUDO_GID");
	cr_assert_eq(prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0), 0);
	nstarted = 0;
	extra_fd = -1;
	setuid_bin[0] = private_dev[0] = '\0';
	tu_env_init(&env);
	tu_pty_open(&pty, TU_NOBODY);
}

static void teardown(void)
{
	reap_all();
	if (extra_fd >= 0)
		close(extra_fd);
	extra_fd = -1;
	tu_pty_close(&pty);
	if (setuid_bin[0])
		unlink(setuid_bin);
	if (private_dev[0]) {
		umount2("/dev", MNT_DETACH);
		umount2(private_dev, MNT_DETACH);
		rmdir(private_dev);
	}
	tu_env_fini(&env);
}

TestSuite(cli, .init = setup, .fini = teardown, .timeout = 60);

/* ---------------------------------------------------------------- */
/* Running the command                                               */

struct args {
	char *v[ARGV_MAX];
	size_t n;
};

static void args_add(struct args *a, const char *s)
{
	cr_assert_lt(a->n + 1, ARGV_MAX);
	a->v[a->n++] = (char *)s;
	a->v[a->n] = NULL;
}

/* "ttybroker [-v] -u nobody -q -p POLICY -l LOCKDIR" (argv[0] is replaced). */
static void args_common_v(struct args *a, bool verbose)
{
	a->n = 0;
	args_add(a, "ttybroker");
	if (verbose)
		args_add(a, "-v");
	args_add(a, "-u");
	args_add(a, "nobody");
	args_add(a, "-q");
	args_add(a, "-p");
	args_add(a, env.policy);
	args_add(a, "-l");
	args_add(a, env.lockdir);
}

static void args_common(struct args *a)
{
	args_common_v(a, false);
}

/* The common options, then "run PORT -- /bin/sh -c SCRIPT". */
static void args_run_v(struct args *a, const char *port, const char *script,
		       bool verbose)
{
	args_common_v(a, verbose);
	args_add(a, "run");
	args_add(a, port);
	args_add(a, "--");
	args_add(a, "/bin/sh");
	args_add(a, "-c");
	args_add(a, script);
}

static void args_run(struct args *a, const char *port, const char *script)
{
	args_run_v(a, port, script, false);
}

/*
 * Start the command like tu_spawn, but with stdout and stderr on pipes
 * (*OUT, *ERR), for tests that talk to PROGRAM while it runs.  Tracked
 * for .fini.
 */
static pid_t start_piped(struct args *a, int *out, int *err)
{
	int po[2], pe[2];
	pid_t pid;

	cr_assert_eq(pipe2(po, O_CLOEXEC), 0);
	cr_assert_eq(pipe2(pe, O_CLOEXEC), 0);
	pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		int null = open("/dev/null", O_RDWR);

		dup2(null, 0);
		dup2(po[1], 1);
		dup2(pe[1], 2);
		a->v[0] = env.bin;
		execv(env.bin, a->v);
		_exit(127);
	}
	close(po[1]);
	close(pe[1]);
	*out = po[0];
	*err = pe[0];
	track(pid);
	return pid;
}

/* Read FD to EOF into BUF (NUL-terminated, truncated to LEN) and close it. */
static void drain(int fd, char *buf, size_t len)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	size_t got = 0;
	char sink[256];

	buf[0] = '\0';
	while (poll(&p, 1, T_IO_MS) == 1) {
		ssize_t n = got + 1 < len ? read(fd, buf + got, len - 1 - got)
					  : read(fd, sink, sizeof(sink));

		if (n <= 0)
			break;
		if (got + 1 < len) {
			got += (size_t)n;
			buf[got] = '\0';
		}
	}
	close(fd);
}

/* Wait for a started command, collect its output; returns its status. */
static int finish(pid_t pid, int out, int err, char *obuf, char *ebuf)
{
	int st = tu_wait(pid, T_RUN_MS);

	cr_assert_geq(st, 0, "command %d did not end", (int)pid);
	for (size_t i = 0; i < nstarted; i++)
		if (started[i] == pid)
			started[i] = started[--nstarted];
	drain(out, obuf, OUT_MAX);
	drain(err, ebuf, OUT_MAX);
	return st;
}

static int run_cmd(struct args *a, char *out, char *err)
{
	return tu_run(&env, a->v, out, OUT_MAX, err, OUT_MAX, T_RUN_MS);
}

/* ---------------------------------------------------------------- */
/* Small checks                                                      */

static size_t count_lines(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		n += *s == '\n';
	return n;
}

/* A refusal is one complete line from the command itself. */
static void assert_one_line(const char *err)
{
	cr_assert_eq(count_lines(err), 1, "want one line on stderr, got:\n%s", err);
	cr_assert_eq(strncmp(err, "ttybroker: ", 11), 0, "stderr: %s", err);
	cr_assert_eq(err[strlen(err) - 1], '\n', "stderr: %s", err);
}

static void assert_has(const char *hay, const char *needle, const char *what)
{
	cr_assert_not_null(strstr(hay, needle), "%s lacks '%s':\n%s", what, needle, hay);
}

/* The lock dir is empty: no LCK.. file, no temporary left over. */
static void assert_lockdir_empty(void)
{
	DIR *d = opendir(env.lockdir);
	struct dirent *de;
	char left[256] = "";

	cr_assert_not_null(d);
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			snprintf(left, sizeof(left), "%s", de->d_name);
	closedir(d);
	cr_assert_str_empty(left, "lock dir still holds %s", left);
}

/* Whole content of PATH (small files only) into BUF; false if unreadable. */
static bool read_small(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	ssize_t n;

	buf[0] = '\0';
	if (fd < 0)
		return false;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return false;
	buf[n] = '\0';
	return true;
}

static void lockfile(char *out, size_t len)
{
	tu_lockfile(&env, pty.port, out, len);
}

static void master_write(const char *s)
{
	cr_assert_eq(write(pty.master, s, strlen(s)), (ssize_t)strlen(s));
}

/* Start `run` on the test pty with SCRIPT, wait until it says "up" on the port. */
static pid_t start_session(const char *script, int *out, int *err)
{
	struct args a;
	pid_t pid;

	args_run(&a, pty.port, script);
	pid = start_piped(&a, out, err);
	cr_assert(tu_pty_expect(&pty, "up", T_IO_MS), "PROGRAM never said up");
	return pid;
}

/* A fresh `run` of the test pty succeeds: PROGRAM gets a tty on fd 3. */
static void assert_port_free_again(void)
{
	char out[OUT_MAX], err[OUT_MAX];
	struct args a;

	args_run(&a, pty.port, "test -t 3");
	cr_assert_eq(run_cmd(&a, out, err), 0, "second run failed: %s", err);
	assert_lockdir_empty();
}

/* Replace "@PTY@", "@POLICY@" and "@LOCKDIR@" in IN. */
static void subst(const char *in, char *out, size_t len)
{
	size_t o = 0;

	while (*in && o + 1 < len) {
		const char *rep = NULL;
		size_t skip = 0;

		if (strncmp(in, "@PTY@", 5) == 0)
			rep = pty.port, skip = 5;
		else if (strncmp(in, "@POLICY@", 8) == 0)
			rep = env.policy, skip = 8;
		else if (strncmp(in, "@LOCKDIR@", 9) == 0)
			rep = env.lockdir, skip = 9;
		if (rep) {
			o += (size_t)snprintf(out + o, len - o, "%s", rep);
			if (o >= len)
				o = len - 1;
			in += skip;
		} else {
			out[o++] = *in++;
		}
	}
	out[o] = '\0';
}

/* Write the policy from TEXT with @PTY@ and @POLICY@ replaced. */
static void policy_subst(const char *text)
{
	char buf[1024];

	subst(text, buf, sizeof(buf));
	tu_policy(&env, "%s", buf);
}

/* ---------------------------------------------------------------- */
/* run: the session                                                  */

/* Data both ways between the "device" (master) and PROGRAM, as nobody, on fd 3. */
Test(cli, run_data_both_ways)
{
	static const char script[] =
		"[ \"$TTYBROKER_FD\" = 3 ] || exit 10\n"
		"[ \"$(id -u)\" = 65534 ] || exit 11\n"
		"printf 'ping\\n' >&3\n"
		"read -r line <&3\n"
		"echo \"got:$line\"\n"
		"exit 7\n";
	char out[OUT_MAX], err[OUT_MAX];
	int po, pe;
	struct args a;
	pid_t pid;

	policy_subst("permit nobody @PTY@\n");
	args_run(&a, pty.port, script);
	pid = start_piped(&a, &po, &pe);
	cr_assert(tu_pty_expect(&pty, "ping", T_IO_MS), "no ping from PROGRAM");
	master_write("pong\n");
	cr_assert_eq(finish(pid, po, pe, out, err), 7, "stderr: %s", err);
	assert_has(out, "got:pong", "stdout");
	assert_lockdir_empty();
}

/*
 * PROGRAM has exactly fds 0-3, fd 3 is the pty and blocking.  ls runs as a
 * child and lists the shell's fds, so its own directory fd is not counted.
 */
Test(cli, run_program_descriptors)
{
	static const char script[] =
		"ls -1 /proc/$$/fd\n"
		"echo \"link:$(readlink /proc/$$/fd/3)\"\n"
		"grep '^flags:' /proc/$$/fdinfo/3\n";
	char out[OUT_MAX], err[OUT_MAX], want[128], *flags;
	struct args a;
	unsigned long fl;

	policy_subst("permit nobody @PTY@\n");
	args_run(&a, pty.port, script);
	cr_assert_eq(run_cmd(&a, out, err), 0, "stderr: %s", err);
	cr_assert_eq(strncmp(out, "0\n1\n2\n3\nlink:", 13), 0, "fds of PROGRAM:\n%s", out);
	snprintf(want, sizeof(want), "link:%s\n", pty.path);
	assert_has(out, want, "stdout");
	flags = strstr(out, "flags:");
	cr_assert_not_null(flags, "no fdinfo flags:\n%s", out);
	fl = strtoul(flags + 6, NULL, 8);
	cr_assert_eq(fl & O_NONBLOCK, 0, "fd 3 is non-blocking (flags 0%lo)", fl);
	cr_assert_eq(fl & O_ACCMODE, (unsigned long)O_RDWR, "fd 3 not O_RDWR (0%lo)", fl);
}

/*
 * While PROGRAM runs, LCK..pts_N holds the frontend's pid; a second run of
 * the port is refused as busy without touching it; afterwards it is gone.
 */
Test(cli, run_lock_file)
{
	char out[OUT_MAX], err[OUT_MAX], lock[256], want[32], got[64], again[64];
	char holder[96];
	struct stat before, after;
	struct args a;
	int po, pe;
	pid_t pid;

	policy_subst("permit nobody @PTY@\n");
	lockfile(lock, sizeof(lock));
	pid = start_session("printf 'up\\n' >&3; read -r x <&3", &po, &pe);
	cr_assert(read_small(lock, got, sizeof(got)), "no lock file %s", lock);
	snprintf(want, sizeof(want), "%10d\n", (int)pid);
	cr_assert_str_eq(got, want, "lock holds '%s', frontend is %d", got, (int)pid);
	cr_assert_eq(lstat(lock, &before), 0);

	args_run(&a, pty.port, "exit 0");
	cr_assert_eq(run_cmd(&a, out, err), 75, "second run: %s", err);
	assert_one_line(err);
	/* Who holds it: the first frontend, by its LCK.. file. */
	snprintf(holder, sizeof(holder), "port busy: held by ttybroker (pid %d), LCK.. file",
		 (int)pid);
	assert_has(err, holder, "stderr");
	cr_assert(read_small(lock, again, sizeof(again)));
	cr_assert_str_eq(again, got, "the refused run changed the lock file");
	cr_assert_eq(lstat(lock, &after), 0);
	cr_assert_eq(after.st_ino, before.st_ino, "the refused run replaced the lock file");

	master_write("\n");
	cr_assert_eq(finish(pid, po, pe, out, err), 0, "stderr: %s", err);
	cr_assert_not(tu_exists(lock), "lock file outlived the command");
	assert_lockdir_empty();
}

/* Open the slave as root, as picocom would, for flock tests. */
static int open_slave(void)
{
	int fd = open(pty.path, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);

	cr_assert_geq(fd, 0, "open %s: %s", pty.path, strerror(errno));
	return fd;
}

/* Our session's flock keeps picocom out, and is gone when the session ends. */
Test(cli, run_flock_held_while_running)
{
	char out[OUT_MAX], err[OUT_MAX];
	int po, pe;
	pid_t pid;

	policy_subst("permit nobody @PTY@\n");
	pid = start_session("printf 'up\\n' >&3; read -r x <&3", &po, &pe);
	extra_fd = open_slave();
	errno = 0;
	cr_assert_eq(flock(extra_fd, LOCK_EX | LOCK_NB), -1, "flock taken during the session");
	cr_assert_eq(errno, EWOULDBLOCK, "flock: %s", strerror(errno));
	master_write("\n");
	cr_assert_eq(finish(pid, po, pe, out, err), 0, "stderr: %s", err);
	cr_assert_eq(flock(extra_fd, LOCK_EX | LOCK_NB), 0, "flock after the session: %s",
		     strerror(errno));
}

/* Somebody else's flock on the port makes run busy, and no lock file stays. */
Test(cli, run_refused_when_flocked)
{
	char out[OUT_MAX], err[OUT_MAX];
	struct args a;

	policy_subst("permit nobody @PTY@\n");
	extra_fd = open_slave();
	cr_assert_eq(flock(extra_fd, LOCK_EX | LOCK_NB), 0);
	args_run(&a, pty.port, "exit 0");
	cr_assert_eq(run_cmd(&a, out, err), 75, "stderr: %s", err);
	assert_one_line(err);
	assert_has(err, "port busy: held with flock() by another program", "stderr");
	assert_lockdir_empty();
}

/* Somebody else's TIOCEXCL on the port makes run busy, and says so. */
Test(cli, run_refused_when_exclusive)
{
	char out[OUT_MAX], err[OUT_MAX];
	struct args a;

	policy_subst("permit nobody @PTY@\n");
	extra_fd = open_slave();
	cr_assert_eq(ioctl(extra_fd, TIOCEXCL), 0, "TIOCEXCL: %s", strerror(errno));
	args_run(&a, pty.port, "exit 0");
	cr_assert_eq(run_cmd(&a, out, err), 75, "stderr: %s", err);
	assert_one_line(err);
	assert_has(err, "port busy: in exclusive mode (TIOCEXCL)", "stderr");
	assert_lockdir_empty();
	cr_assert_eq(ioctl(extra_fd, TIOCNXCL), 0);
}

/* PROGRAM killed: status 128+9, the lock goes, the port can be had again. */
Test(cli, run_killed_program_releases)
{
	char out[OUT_MAX], err[OUT_MAX], lock[256];
	int po, pe;
	pid_t pid, prog;

	policy_subst("permit nobody @PTY@\n");
	lockfile(lock, sizeof(lock));
	pid = start_session("printf 'up\\n' >&3; exec sleep 30", &po, &pe);
	prog = child_with_uid(pid, TU_NOBODY);
	cr_assert_gt(prog, 0, "PROGRAM not found among the frontend's children");
	cr_assert(tu_exists(lock));
	cr_assert_eq(kill(prog, SIGKILL), 0);
	cr_assert_eq(finish(pid, po, pe, out, err), 128 + SIGKILL, "stderr: %s", err);
	cr_assert_not(tu_exists(lock), "lock file outlived PROGRAM");
	assert_port_free_again();
}

/*
 * Frontend killed: the backend sees EOF, removes the lock and exits;
 * PROGRAM gets SIGHUP.  Both are reparented to us (subreaper), so waiting
 * for them proves they ended.
 */
Test(cli, run_killed_frontend_releases)
{
	char lock[256];
	int po, pe, st;
	pid_t pid, prog, backend;

	policy_subst("permit nobody @PTY@\n");
	lockfile(lock, sizeof(lock));
	pid = start_session("printf 'up\\n' >&3; exec sleep 30", &po, &pe);
	prog = child_with_uid(pid, TU_NOBODY);
	backend = child_with_uid(pid, 0);
	cr_assert_gt(prog, 0, "PROGRAM not found");
	cr_assert_gt(backend, 0, "backend not found");
	cr_assert(tu_exists(lock));

	cr_assert_eq(kill(pid, SIGKILL), 0);
	cr_assert_eq(tu_wait(pid, T_IO_MS), 128 + SIGKILL);
	nstarted = 0;
	close(po);
	close(pe);
	cr_assert(tu_wait_path(lock, false, T_IO_MS), "lock file outlived the frontend");
	st = tu_wait(backend, T_IO_MS);
	cr_assert_eq(st, 0, "backend did not exit cleanly (status %d)", st);
	st = tu_wait(prog, T_IO_MS);
	cr_assert_eq(st, 128 + SIGHUP, "PROGRAM status %d, want SIGHUP", st);
	cr_assert(pid_gone(backend) && pid_gone(prog));
	assert_port_free_again();
}

/* After the command exits nothing of it is left: no backend, no PROGRAM. */
Test(cli, run_leaves_no_process)
{
	char out[OUT_MAX], err[OUT_MAX];
	pid_t pid, prog, backend, left[8];
	int po, pe;

	policy_subst("permit nobody @PTY@\n");
	pid = start_session("printf 'up\\n' >&3; read -r x <&3", &po, &pe);
	prog = child_with_uid(pid, TU_NOBODY);
	backend = child_with_uid(pid, 0);
	cr_assert_gt(prog, 0, "PROGRAM not found");
	cr_assert_gt(backend, 0, "backend not found");
	master_write("\n");
	cr_assert_eq(finish(pid, po, pe, out, err), 0, "stderr: %s", err);
	cr_assert_eq(processes_with_parent(pid, left, 8), 0, "a child of the frontend remains");
	/* Anything orphaned by the frontend would now be our child. */
	cr_assert_eq(processes_with_parent(getpid(), left, 8), 0,
		     "process %d outlived the command", (int)left[0]);
	cr_assert(pid_gone(backend), "backend %d still exists", (int)backend);
	cr_assert(pid_gone(prog), "PROGRAM %d still exists", (int)prog);
}

/* ---------------------------------------------------------------- */
/* run: refusals                                                     */

enum policy_state { POL_OK, POL_MODE_0666, POL_OWNER_NOBODY, POL_MISSING };

enum argv_shape {
	SHAPE_RUN,          /* -u nobody ... run PORT -- /bin/sh -c exit 0 */
	SHAPE_NO_PROGRAM,   /* run PORT --                          */
	SHAPE_NO_DASHDASH,  /* run PORT /bin/sh -c true             */
	SHAPE_UNKNOWN_CMD,  /* frobnicate PORT                      */
	SHAPE_NO_USER,      /* no -u, plain root                    */
	SHAPE_USER_ROOT,    /* -u root                              */
	SHAPE_USER_UNKNOWN, /* -u a user that does not exist        */
	SHAPE_SUDO_ROOT,    /* no -u, SUDO_UID=0 SUDO_GID=0         */
};

struct refusal {
	char what[48];
	char port[48];       /* "@PTY@" is the test's pty, "@LONG@" 200 chars */
	char policy[128];    /* "@PTY@" is replaced */
	enum policy_state pstate;
	enum argv_shape shape;
	bool pty_root;       /* chown the slave to root instead of nobody */
	int code;
	char needle[48];     /* expected on stderr */
};

ParameterizedTestParameters(cli, refusals)
{
	static struct refusal cases[] = {
		/* malformed names: 65 */
		{ "dotdot", "../etc/shadow", "permit * *\n", POL_OK, SHAPE_RUN, false, 65, "malformed port name" },
		{ "dev dotdot", "/dev/../etc/passwd", "permit * *\n", POL_OK, SHAPE_RUN, false, 65, "malformed port name" },
		{ "inner dotdot", "tty/../x", "permit * */*\n", POL_OK, SHAPE_RUN, false, 65, "malformed port name" },
		{ "two slashes", "a/b/c", "permit * */*\n", POL_OK, SHAPE_RUN, false, 65, "malformed port name" },
		{ "by-id dotdot", "serial/by-id/..", "permit * *\n", POL_OK, SHAPE_RUN, false, 65, "malformed port name" },
		{ "empty", "", "permit * *\n", POL_OK, SHAPE_RUN, false, 65, "malformed port name" },
		{ "space", "foo bar", "permit * *\n", POL_OK, SHAPE_RUN, false, 65, "malformed port name" },
		{ "newline", "tty\nx", "permit * *\n", POL_OK, SHAPE_RUN, false, 65, "malformed port name" },
		{ "control char", "tty\001", "permit * *\n", POL_OK, SHAPE_RUN, false, 65, "malformed port name" },
		{ "200 chars", "@LONG@", "permit * *\n", POL_OK, SHAPE_RUN, false, 65, "malformed port name" },
		/* policy: 77 */
		{ "no rule", "@PTY@", "# nothing\n", POL_OK, SHAPE_RUN, false, 77, "no rule" },
		{ "explicit deny", "@PTY@", "deny nobody @PTY@\n", POL_OK, SHAPE_RUN, false, 77, "conf:1)" },
		{ "last match deny", "@PTY@", "permit nobody @PTY@\ndeny * pts/*\n", POL_OK, SHAPE_RUN, false, 77, "conf:2)" },
		{ "broad */* rule", "@PTY@", "permit * */*\n", POL_OK, SHAPE_RUN, false, 77, "denied by policy" },
		/* device class: 77 */
		{ "pty of root", "@PTY@", "permit nobody pts/*\n", POL_OK, SHAPE_RUN, true, 77, "device class" },
		{ "console", "console", "permit * *\n", POL_OK, SHAPE_RUN, false, 77, "device class" },
		{ "/dev/tty", "tty", "permit * *\n", POL_OK, SHAPE_RUN, false, 77, "device class" },
		{ "tty0", "tty0", "permit * *\n", POL_OK, SHAPE_RUN, false, 77, "device class" },
		{ "tty0 by tty*", "tty0", "permit * tty*\n", POL_OK, SHAPE_RUN, false, 77, "device class" },
		{ "ptmx", "ptmx", "permit * *\n", POL_OK, SHAPE_RUN, false, 77, "device class" },
		/* device: 69 */
		{ "absent", "ttyUSB99", "permit * ttyUSB*\n", POL_OK, SHAPE_RUN, false, 69, "no such device" },
		{ "/dev/null", "null", "permit * null\n", POL_OK, SHAPE_RUN, false, 69, "not a serial tty" },
		/* policy file: 78 */
		{ "policy 0666", "@PTY@", "permit nobody @PTY@\n", POL_MODE_0666, SHAPE_RUN, false, 78, "ttybroker.conf: writable by group or others" },
		{ "policy of nobody", "@PTY@", "permit nobody @PTY@\n", POL_OWNER_NOBODY, SHAPE_RUN, false, 78, "ttybroker.conf: not owned by root" },
		{ "policy missing", "@PTY@", "", POL_MISSING, SHAPE_RUN, false, 78, "ttybroker.conf: no such file" },
		{ "policy syntax", "@PTY@", "permit nobody @PTY@\nfrobnicate all\n", POL_OK, SHAPE_RUN, false, 78, "ttybroker.conf:2: " },
		/* usage: 64 */
		{ "no PROGRAM", "@PTY@", "permit nobody @PTY@\n", POL_OK, SHAPE_NO_PROGRAM, false, 64, "usage" },
		{ "no --", "@PTY@", "permit nobody @PTY@\n", POL_OK, SHAPE_NO_DASHDASH, false, 64, "missing '--'" },
		{ "unknown command", "@PTY@", "permit nobody @PTY@\n", POL_OK, SHAPE_UNKNOWN_CMD, false, 64, "unknown command" },
		{ "plain root", "@PTY@", "permit nobody @PTY@\n", POL_OK, SHAPE_NO_USER, false, 64, "-u USER" },
		{ "-u root", "@PTY@", "permit * pts/*\n", POL_OK, SHAPE_USER_ROOT, false, 64, "-u root is root" },
		{ "SUDO_UID root", "@PTY@", "permit * pts/*\n", POL_OK, SHAPE_SUDO_ROOT, false, 64, "SUDO_UID" },
		{ "-u unknown", "@PTY@", "permit * pts/*\n", POL_OK, SHAPE_USER_UNKNOWN, false, 64, "unknown user" },
	};

	return cr_make_param_array(struct refusal, cases, sizeof(cases) / sizeof(cases[0]));
}

/* Put the policy file into the state a row asks for. */
static void refusal_policy(const struct refusal *c)
{
	policy_subst(c->policy);
	switch (c->pstate) {
	case POL_OK:
		break;
	case POL_MODE_0666:
		cr_assert_eq(chmod(env.policy, 0666), 0);
		break;
	case POL_OWNER_NOBODY:
		cr_assert_eq(chown(env.policy, TU_NOBODY, (gid_t)-1), 0);
		break;
	case POL_MISSING:
		cr_assert_eq(unlink(env.policy), 0);
		break;
	}
}

/* The argv of a row; PORT is already substituted. */
static void refusal_argv(const struct refusal *c, const char *port, struct args *a)
{
	args_common(a);
	switch (c->shape) {
	case SHAPE_RUN:
		break;
	case SHAPE_NO_PROGRAM:
		args_add(a, "run"), args_add(a, port), args_add(a, "--");
		return;
	case SHAPE_NO_DASHDASH:
		args_add(a, "run"), args_add(a, port);
		args_add(a, "/bin/sh"), args_add(a, "-c"), args_add(a, "true");
		return;
	case SHAPE_UNKNOWN_CMD:
		args_add(a, "frobnicate"), args_add(a, port);
		return;
	case SHAPE_SUDO_ROOT:
		cr_assert_eq(setenv("SUDO_UID", "0", 1), 0);
		cr_assert_eq(setenv("SUDO_GID", "0", 1), 0);
		/* fall through */
	case SHAPE_NO_USER:
		a->n = 0;
		args_add(a, "ttybroker"), args_add(a, "-q");
		args_add(a, "-p"), args_add(a, env.policy);
		args_add(a, "-l"), args_add(a, env.lockdir);
		break;
	case SHAPE_USER_ROOT:
		a->v[2] = "root";
		break;
	case SHAPE_USER_UNKNOWN:
		a->v[2] = "no-such-user-tbtest";
		break;
	}
	args_add(a, "run"), args_add(a, port), args_add(a, "--");
	args_add(a, "/bin/sh"), args_add(a, "-c"), args_add(a, "exit 0");
}

/*
 * Drop the lines of the usage synopsis that main() prints before "unknown
 * command": the diagnostic itself must still be exactly one line.
 */
static const char *skip_synopsis(const char *err)
{
	while (strncmp(err, "usage: ", 7) == 0 || strncmp(err, "       ", 7) == 0) {
		const char *nl = strchr(err, '\n');

		if (!nl)
			break;
		err = nl + 1;
	}
	return err;
}

/* Every refusal: its exit code, one line saying why, no lock file left. */
ParameterizedTest(struct refusal *c, cli, refusals)
{
	char out[OUT_MAX], err[OUT_MAX], port[256];
	const char *diag;
	struct args a;
	int st;

	if (strcmp(c->port, "@LONG@") == 0) {
		memset(port, 'a', 200);
		port[200] = '\0';
	} else {
		subst(c->port, port, sizeof(port));
	}
	if (c->pty_root)
		cr_assert_eq(chown(pty.path, 0, (gid_t)-1), 0);
	refusal_policy(c);
	refusal_argv(c, port, &a);
	st = run_cmd(&a, out, err);
	cr_assert_eq(st, c->code, "%s: exit %d, want %d; stderr:\n%s", c->what, st,
		     c->code, err);
	diag = c->shape == SHAPE_UNKNOWN_CMD ? skip_synopsis(err) : err;
	assert_one_line(diag);
	assert_has(diag, c->needle, c->what);
	assert_lockdir_empty();
}

/* ---------------------------------------------------------------- */
/* check                                                             */

struct check_case {
	char what[40];
	char as[16];
	char port[32];       /* "@PTY@" is replaced */
	char policy[96];     /* "@PTY@" is replaced */
	enum policy_state pstate;
	int code;
	char out1[48];       /* expected on stdout ("" = none); "@POLICY@" replaced */
	char out2[48];
	char err[48];        /* expected on stderr ("" = none) */
};

ParameterizedTestParameters(cli, check)
{
	static struct check_case cases[] = {
		{ "permit", "nobody", "@PTY@", "# pty\npermit nobody @PTY@\n", POL_OK, 0,
		  "permit", "@POLICY@:2", "" },
		{ "group not held", "root", "ttyUSB0", "permit :dialout ttyUSB*\n", POL_OK, 77,
		  "deny", "no rule", "" },
		{ "explicit deny", "nobody", "ttyUSB0", "permit * ttyUSB*\ndeny nobody ttyUSB0\n",
		  POL_OK, 77, "deny", "@POLICY@:2", "" },
		{ "default deny", "nobody", "ttyUSB0", "# nothing\n", POL_OK, 77,
		  "deny", "no rule", "" },
		{ "malformed", "nobody", "../etc/shadow", "permit * *\n", POL_OK, 65,
		  "", "", "malformed port name" },
		{ "unsafe policy", "nobody", "ttyUSB0", "permit * ttyUSB*\n", POL_MODE_0666, 78,
		  "", "", "policy file" },
		{ "missing policy", "nobody", "ttyUSB0", "", POL_MISSING, 78,
		  "", "", "no such file" },
	};

	return cr_make_param_array(struct check_case, cases, sizeof(cases) / sizeof(cases[0]));
}

/* True if user NAME is in group GID (primary or supplementary). */
static bool user_in_group(const char *name, gid_t gid)
{
	struct passwd *pw = getpwnam(name);
	gid_t groups[256];
	int n = 256;

	cr_assert_not_null(pw);
	cr_assert_geq(getgrouplist(name, pw->pw_gid, groups, &n), 0);
	for (int i = 0; i < n; i++)
		if (groups[i] == gid)
			return true;
	return false;
}

/*
 * Run C: `check --as USER PORT` prints the verdict, its rule as FILE:LINE,
 * and exits with its code; OUT3 ("" = none) is expected on stdout too, and
 * LINES lines are printed for a verdict.
 */
static void check_case_run(const struct check_case *c, const char *out3, size_t lines)
{
	char out[OUT_MAX], err[OUT_MAX], port[64], want[256];
	struct refusal pol = { .pstate = c->pstate };
	struct group *gr = getgrnam("dialout");
	struct args a = { .n = 0 };
	int st;

	cr_assert_not_null(gr);
	cr_assert_not(user_in_group(c->as, gr->gr_gid), "%s is in dialout", c->as);
	subst(c->port, port, sizeof(port));
	snprintf(pol.policy, sizeof(pol.policy), "%s", c->policy);
	refusal_policy(&pol);
	args_add(&a, "ttybroker"), args_add(&a, "-p"), args_add(&a, env.policy);
	args_add(&a, "check"), args_add(&a, "--as"), args_add(&a, c->as);
	args_add(&a, port);
	st = run_cmd(&a, out, err);
	cr_assert_eq(st, c->code, "%s: exit %d, want %d; stdout: %s stderr: %s", c->what,
		     st, c->code, out, err);
	for (size_t i = 0; i < 3; i++) {
		const char *o = i == 0 ? c->out1 : i == 1 ? c->out2 : out3;

		if (!*o)
			continue;
		subst(o, want, sizeof(want));
		assert_has(out, want, c->what);
	}
	if (c->err[0])
		assert_has(err, c->err, c->what);
	if (c->code == 0 || c->code == 77)
		cr_assert_eq(count_lines(out), lines, "check prints one verdict line (and the "
			     "identity where the policy has identity patterns): %s", out);
}

/* `check --as USER PORT`: the verdict, its rule as FILE:LINE, its exit code. */
ParameterizedTest(struct check_case *c, cli, check)
{
	check_case_run(c, "", 1);
}

/* check with identity patterns in the policy: the identity lines too. */
struct check_ident_case {
	struct check_case base;
	char out3[48];       /* also expected on stdout ("" = none) */
	size_t lines;        /* lines on stdout */
};

ParameterizedTestParameters(cli, check_ident)
{
	static struct check_ident_case cases[] = {
		{ { "pty, identity policy", "nobody", "@PTY@",
		    "permit nobody usb:*:*\npermit nobody @PTY@\n", POL_OK, 0,
		    "permit", "@POLICY@:2 (pattern @PTY@)\n", "" },
		  "  identity: no USB identity\n  path: none\n", 3 },
		{ { "pty, identity deny after", "nobody", "@PTY@",
		    "permit nobody @PTY@\ndeny * usb:*:* path:*\n", POL_OK, 0,
		    "permit", "@POLICY@:1", "" }, "no USB identity", 3 },
		{ { "no device", "nobody", "ttyUSB0", "permit * usb:0403:6001\n", POL_OK, 77,
		    "no rule", "\n  identity: unknown (no such device)\n", "" }, "", 2 },
		{ { "glob decides", "nobody", "ttyUSB0",
		    "permit * usb:0403:6001\ndeny * ttyUSB0\n", POL_OK, 77,
		    "deny", "@POLICY@:2 (pattern ttyUSB0)\n", "" }, "identity: unknown", 2 },
		{ { "not a device", "nobody", "shm", "permit * usb:*:* sh?\n", POL_OK, 0,
		    "@POLICY@:1 (pattern sh?)\n", "", "" },
		  "\n  identity: unknown (not a character device)\n", 2 },
	};

	return cr_make_param_array(struct check_ident_case, cases,
				   sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct check_ident_case *c, cli, check_ident)
{
	check_case_run(&c->base, c->out3, c->lines);
}

/*
 * A port that sysfs knows but whose identity cannot be read there: the
 * backend refuses it whatever the rules say, so check must not say
 * permit.  In a mount namespace of its own, /sys is a tmpfs whose
 * dev/char entry for the pty is a plain file instead of a link.
 */
Test(cli, check_identity_unreadable)
{
	char out[OUT_MAX], err[OUT_MAX], script[512];
	struct stat st;
	int code;

	if (access("/usr/bin/unshare", X_OK) != 0)
		tu_skip(teardown, "unshare (util-linux) is not installed");
	cr_assert_eq(stat(pty.path, &st), 0);
	tu_policy(&env, "permit nobody %s\ndeny * usb:0403:*\n", pty.port);
	snprintf(script, sizeof(script),
		 "mount -t tmpfs tb-sys /sys && mkdir -p /sys/dev/char && "
		 ": > /sys/dev/char/%u:%u && exec \"$0\" -p \"$1\" check --as nobody \"$2\"",
		 major(st.st_rdev), minor(st.st_rdev));
	{
		char *const argv[] = { "/usr/bin/unshare", "--mount", "--propagation", "private",
				       "/bin/sh", "-c", script, (char *)env.bin, env.policy,
				       pty.port, NULL };

		code = tu_run_as(0, argv, NULL, NULL, out, sizeof(out), err, sizeof(err),
				 T_RUN_MS);
	}
	cr_assert_eq(code, 77, "exit %d; stdout: %s stderr: %s", code, out, err);
	assert_has(out, "deny: user nobody", "check's verdict");
	assert_has(out, "cannot be read from sysfs", "check's verdict");
	assert_has(out, "\n  identity: unknown (", "check's identity line");
	cr_assert_eq(count_lines(out), 2, "a verdict and the identity: %s", out);
}

/* ---------------------------------------------------------------- */
/* check's identity lines (cli_ident.c), on hand-built identities    */

struct ident_print_case {
	char what[32];
	bool has_id;
	struct policy_ident id;
	char want[256];
};

ParameterizedTestParameters(cli, ident_print)
{
	static struct ident_print_case cases[] = {
		{ "FTDI", true, { .usb = true, .vid = 0x0403, .pid = 0x6001, .ifnum = 0,
				  .serial = "A12345", .manufacturer = "FTDI",
				  .product = "FT232R USB UART",
				  .path = "pci-0000:00:14.0-usb-0:1.2:1.0" },
		  "  identity: usb 0403:6001 \"FTDI\" \"FT232R USB UART\"\n  serial: \"A12345\"\n"
		  "  interface: if0\n  path: pci-0000:00:14.0-usb-0:1.2:1.0\n" },
		{ "FT4232 if3, no strings", true, { .usb = true, .vid = 0x0403, .pid = 0x6011,
						    .ifnum = 3, .serial = "FT4XYZ" },
		  "  identity: usb 0403:6011\n  serial: \"FT4XYZ\"\n  interface: if3\n"
		  "  path: none\n" },
		{ "no serial, no interface", true, { .usb = true, .vid = 0x2e8a, .pid = 0x000a,
						     .ifnum = -1, .path = "p" },
		  "  identity: usb 2e8a:000a\n  serial: none\n  interface: unknown\n  path: p\n" },
		{ "odd serial", true, { .usb = true, .vid = 1, .pid = 2, .ifnum = 1,
					.serial = "a \"b\"\\\x1b[2J\xff" },
		  "  identity: usb 0001:0002\n  serial: \"a \\x22b\\x22\\x5c\\x1b[2J\\xff\"\n"
		  "  interface: if1\n  path: none\n" },
		{ "platform UART", true, { .ifnum = -1, .path = "platform-serial8250" },
		  "  identity: no USB identity\n  path: platform-serial8250\n" },
		{ "pty", true, { .ifnum = -1 }, "  identity: no USB identity\n  path: none\n" },
		{ "unknown", false, { .ifnum = -1 }, "  identity: unknown (no such device)\n" },
	};

	return cr_make_param_array(struct ident_print_case, cases,
				   sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct ident_print_case *c, cli, ident_print)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	cr_assert_not_null(f);
	cli_ident_print(f, c->has_id ? &c->id : NULL, "no such device");
	cr_assert_eq(fclose(f), 0);
	cr_assert_str_eq(buf, c->want, "%s", c->what);
	free(buf);
}

/* A serial that fills its buffer without a NUL is cut, not overrun. */
Test(cli, ident_print_unterminated)
{
	struct policy_ident id = { .usb = true, .ifnum = 0 };
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	cr_assert_not_null(f);
	memset(id.serial, 'x', sizeof(id.serial));
	memset(id.path, '\n', sizeof(id.path));
	cli_ident_print(f, &id, NULL);
	cr_assert_eq(fclose(f), 0);
	cr_assert_eq(count_lines(buf), 4, "%s", buf);
	cr_assert_not_null(strstr(buf, "  serial: \""));
	cr_assert_null(strstr(buf, "\n\n"), "%s", buf);
	free(buf);
}

/* How the verdict line names an identity pattern's reason. */
Test(cli, ident_how)
{
	cr_assert_str_eq(cli_ident_how("ttyUSB*"), "");
	cr_assert_str_eq(cli_ident_how(NULL), "");
	cr_assert_str_eq(cli_ident_how("usb:0403:6001"), ", matched by the port's USB identity");
	cr_assert_str_eq(cli_ident_how("path:pci-*"), ", matched by the port's physical path");
}

/* ---------------------------------------------------------------- */
/* lint                                                              */

Test(cli, lint_good)
{
	char out[OUT_MAX], err[OUT_MAX], want[256];
	struct args a = { .n = 0 };

	tu_policy(&env, "# serial ports\npermit :dialout ttyUSB*\ndeny nobody ttyUSB9\n");
	args_add(&a, "ttybroker"), args_add(&a, "lint"), args_add(&a, env.policy);
	cr_assert_eq(run_cmd(&a, out, err), 0, "stderr: %s", err);
	snprintf(want, sizeof(want), "%s: ok", env.policy);
	assert_has(out, want, "stdout");
	cr_assert_str_empty(err);
}

/* Every error is reported, each as FILE:LINE:, not just the first. */
Test(cli, lint_errors_by_line)
{
	char out[OUT_MAX], err[OUT_MAX], want[256];
	struct args a = { .n = 0 };

	tu_policy(&env, "permit nobody ttyUSB0\n"
			"allow nobody ttyUSB1\n"
			"# fine\n"
			"permit no-such-user-tbtest ttyUSB2\n"
			"deny * ttyS*\n");
	args_add(&a, "ttybroker"), args_add(&a, "lint"), args_add(&a, env.policy);
	cr_assert_eq(run_cmd(&a, out, err), 78, "stdout: %s stderr: %s", out, err);
	snprintf(want, sizeof(want), "%s:2:", env.policy);
	assert_has(err, want, "stderr");
	snprintf(want, sizeof(want), "%s:4:", env.policy);
	assert_has(err, want, "stderr");
	snprintf(want, sizeof(want), "%s:1:", env.policy);
	cr_assert_null(strstr(err, want), "line 1 is fine: %s", err);
	cr_assert_null(strstr(out, "ok"), "stdout: %s", out);
}

/* lint on identity patterns: the issue's example passes, and each kind of
 * malformed pattern is one "FILE:LINE: message" line on stderr. */
struct lint_ident_case {
	char text[64];
	int code;
	char msg[64];        /* after "FILE:LINE: "; "" = lint says ok */
};

ParameterizedTestParameters(cli, lint_ident)
{
	static struct lint_ident_case cases[] = {
		{ "permit nobody usb:0403:6001 usb:10c4:ea60\n", 0, "" },
		{ "permit nobody usb:2e8a:000a:E6614*\n", 0, "" },
		{ "deny * usb:1d6b:*\n", 0, "" },
		{ "permit * usb:0403:6011:*:if3 path:pci-*\n", 0, "" },
		{ "# bad hex\npermit * usb:04x3:6001\n", 78, "bad vendor id '04x3'" },
		{ "permit * usb:0403:60011\n", 78, "bad product id '60011'" },
		{ "permit * usb:0403\n", 78, "wrong number of fields" },
		{ "permit * usb:0403:6001:\n", 78, "empty serial" },
		{ "permit * usb:0403:6011:*:if4x\n", 78, "bad interface 'if4x'" },
		{ "\n\ndeny * path:\n", 78, "empty path pattern" },
		{ "deny * usb:0403:6001:A1\\\n", 78, "ends in a lone backslash" },
		{ "deny * usb:0403:6001:A1\\\\\n", 0, "" },
	};

	return cr_make_param_array(struct lint_ident_case, cases,
				   sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct lint_ident_case *c, cli, lint_ident)
{
	char out[OUT_MAX], err[OUT_MAX], want[256];
	struct args a = { .n = 0 };
	unsigned int line = 1;

	for (const char *p = c->text; *p && p[1]; p++)
		line += *p == '\n';
	tu_policy(&env, "%s", c->text);
	args_add(&a, "ttybroker"), args_add(&a, "lint"), args_add(&a, env.policy);
	cr_assert_eq(run_cmd(&a, out, err), c->code, "%s: stdout: %s stderr: %s", c->text,
		     out, err);
	if (!c->msg[0]) {
		snprintf(want, sizeof(want), "%s: ok, 1 rule\n", env.policy);
		cr_assert_str_eq(out, want);
		cr_assert_str_empty(err);
		return;
	}
	snprintf(want, sizeof(want), "%s:%u: pattern '", env.policy, line);
	cr_assert_eq(strncmp(err, want, strlen(want)), 0, "%s: stderr: %s", c->text, err);
	assert_has(err, c->msg, "stderr");
	cr_assert_eq(count_lines(err), 1, "%s", err);
}

/* A file the backend would refuse is a lint error even if it parses. */
Test(cli, lint_writable_by_others)
{
	char out[OUT_MAX], err[OUT_MAX];
	struct args a = { .n = 0 };

	tu_policy(&env, "permit :dialout ttyUSB*\n");
	cr_assert_eq(chmod(env.policy, 0666), 0);
	args_add(&a, "ttybroker"), args_add(&a, "lint"), args_add(&a, env.policy);
	cr_assert_eq(run_cmd(&a, out, err), 78, "stdout: %s stderr: %s", out, err);
	assert_has(err, env.policy, "stderr");
	assert_has(err, "writable", "stderr");
}

/* ---------------------------------------------------------------- */
/* audit                                                             */

/* True if one line of TEXT has all of NEEDLES (NULL-terminated). */
static bool has_line_with(const char *text, ...)
{
	const char *line = text;

	while (*line) {
		size_t len = strcspn(line, "\n");
		char buf[1024];
		const char *n;
		bool all = true;
		va_list ap;

		snprintf(buf, sizeof(buf), "%.*s", (int)len, line);
		va_start(ap, text);
		while ((n = va_arg(ap, const char *)))
			all = all && strstr(buf, n);
		va_end(ap);
		if (all)
			return true;
		line += len + (line[len] == '\n');
	}
	return false;
}

/* With -v a refusal is audited on stderr: who, what, verdict, deciding rule. */
Test(cli, audit_refusal)
{
	char out[OUT_MAX], err[OUT_MAX], port[64], rule[256];
	struct args a;

	policy_subst("permit nobody @PTY@\ndeny nobody @PTY@\n");
	args_run_v(&a, pty.port, "exit 0", true);
	snprintf(port, sizeof(port), "port=%s", pty.port);
	snprintf(rule, sizeof(rule), "rule=%s:2", env.policy);
	cr_assert_eq(run_cmd(&a, out, err), 77, "stderr: %s", err);
	cr_assert(has_line_with(err, "uid=65534", port, "verdict=refuse", rule, (char *)NULL),
		  "no audit line for the refusal:\n%s", err);
	assert_lockdir_empty();
}

/* With -v a granted open is audited as permit, with its rule. */
Test(cli, audit_permit)
{
	char out[OUT_MAX], err[OUT_MAX], port[64], rule[256];
	struct args a;

	policy_subst("permit nobody @PTY@\n");
	args_run_v(&a, pty.port, "exit 0", true);
	snprintf(port, sizeof(port), "port=%s", pty.port);
	snprintf(rule, sizeof(rule), "rule=%s:1", env.policy);
	cr_assert_eq(run_cmd(&a, out, err), 0, "stderr: %s", err);
	cr_assert(has_line_with(err, "uid=65534", port, "verdict=permit", rule, (char *)NULL),
		  "no audit line for the grant:\n%s", err);
}

/*
 * The requested name comes from the unprivileged side: with -v its audit
 * line and the refusal must each stay one line, so a newline in the name
 * cannot forge a second audit entry (stderr may be a journal).
 */
Test(cli, audit_name_cannot_forge_lines)
{
	static const char forged[] =
		"x\nttybroker-backend: uid=0 pid=1 port=ttyS0 verdict=permit";
	char out[OUT_MAX], err[OUT_MAX];
	struct args a;

	tu_policy(&env, "permit * ttyS*\n");
	args_run_v(&a, forged, "exit 0", true);
	cr_assert_eq(run_cmd(&a, out, err), 65, "stderr: %s", err);
	cr_assert_not(strstr(err, "\nttybroker-backend: uid=0 ") ||
		      strncmp(err, "ttybroker-backend: uid=0 ", 25) == 0,
		      "a forged audit line got through:\n%s", err);
	/* An unfiltered (sanitizer/valgrind) build's backend says so first. */
	cr_assert_eq(count_lines(err), 2 + !FILTER_LOADED,
		     "want one audit line and one refusal:\n%s", err);
	assert_lockdir_empty();
}

/* ---------------------------------------------------------------- */
/* demo                                                              */

/* Does any process's command line mention NEEDLE? */
static bool proc_mentions(const char *needle)
{
	struct dirent *de;
	bool found = false;
	DIR *d = opendir("/proc");

	cr_assert_not_null(d);
	while (!found && (de = readdir(d))) {
		char path[300], cmd[1024];
		ssize_t n;
		int fd;

		if (de->d_name[0] < '0' || de->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/cmdline", de->d_name);
		if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
			continue;
		n = read(fd, cmd, sizeof(cmd) - 1);
		close(fd);
		for (ssize_t i = 0; i < n; i++)
			cmd[i] = cmd[i] ? cmd[i] : ' ';
		cmd[n > 0 ? n : 0] = '\0';
		found = strstr(cmd, needle) != NULL;
	}
	closedir(d);
	return found;
}

/*
 * The demo succeeds, through the forked backend and then through a
 * private ttybrokerd (the build's, named by TTYBROKERD) to a client that
 * dropped to nobody before tb_init(); it stops the daemon and removes its
 * own directory (the one it printed).
 */
Test(cli, demo)
{
	char out[OUT_MAX], err[OUT_MAX], dir[128], daemon[300];
	const char *p, *end;
	struct args a = { .n = 0 };

	snprintf(daemon, sizeof(daemon), "%.*s/ttybrokerd",
		 (int)(strrchr(env.bin, '/') - env.bin), env.bin);
	cr_assert_eq(access(daemon, X_OK), 0, "no %s: build it (make)", daemon);
	cr_assert_eq(setenv("TTYBROKERD", daemon, 1), 0);
	args_add(&a, "ttybroker"), args_add(&a, "demo");
	cr_assert_eq(run_cmd(&a, out, err), 0, "stdout: %s stderr: %s", out, err);
	unsetenv("TTYBROKERD");
	assert_has(out, "done", "stdout");
	assert_has(out, "[frontend] read from port: \"hello from the device\"", "stdout");
	assert_has(out, "started a private ttybrokerd", "stdout");
	assert_has(out, "[client  ] uid 65534, euid 65534 before tb_init(): a program that "
		   "never had root", "stdout");
	assert_has(out, "reached ttybrokerd through TTYBROKER_SOCKET", "stdout");
	assert_has(out, "[device  ] received: \"hello from a program that never had root\"",
		   "stdout");
	assert_has(out, "[client  ] read from port: \"hello from the device\"", "stdout");
	assert_has(out, "stopped ttybrokerd; its socket is gone", "stdout");
	p = strstr(out, "/tmp/ttybroker-demo.");
	cr_assert_not_null(p, "demo did not name its directory:\n%s", out);
	end = strchr(p + strlen("/tmp/ttybroker-demo."), '/');
	cr_assert_not_null(end);
	snprintf(dir, sizeof(dir), "%.*s", (int)(end - p), p);
	cr_assert_not(tu_exists(dir), "demo left %s behind", dir);
	cr_assert_not(proc_mentions(dir), "a process started by the demo (%s) still runs", dir);
}

/* ---------------------------------------------------------------- */
/* Pure helpers of the command (frontend/cli_text.c, cli_env.c)      */

struct busy_case {
	char what[32];
	enum tb_holder holder;
	int pid;
	char comm[16];       /* copied whole: may lack a NUL */
	char want[96];
};

ParameterizedTestParameters(cli_text, busy)
{
	static struct busy_case cases[] = {
		{ "lock file, comm", TB_HOLDER_LOCKFILE, 1234, "minicom",
		  "port busy: held by minicom (pid 1234), LCK.. file" },
		{ "lock file, no comm", TB_HOLDER_LOCKFILE, 1234, "",
		  "port busy: held by pid 1234, LCK.. file" },
		{ "lock file, no pid", TB_HOLDER_LOCKFILE, 0, "",
		  "port busy: held by another program, LCK.. file" },
		{ "flock", TB_HOLDER_FLOCK, 0, "",
		  "port busy: held with flock() by another program" },
		{ "TIOCEXCL", TB_HOLDER_EXCL, 0, "",
		  "port busy: in exclusive mode (TIOCEXCL)" },
		{ "self", TB_HOLDER_SELF, 77, "",
		  "port busy: already open in this program" },
		{ "not known", TB_HOLDER_NONE, 0, "", "port busy" },
		{ "out of range", (enum tb_holder)99, 5, "x", "port busy" },
		/* Any process may set its comm: it must not forge a line or an escape. */
		{ "hostile comm", TB_HOLDER_LOCKFILE, 5, "a\nb\033[2J\\",
		  "port busy: held by a\\x0ab\\x1b[2J\\x5c (pid 5), LCK.. file" },
		{ "comm without NUL", TB_HOLDER_LOCKFILE, 9,
		  { 'a', 'a', 'a', 'a', 'a', 'a', 'a', 'a', 'a', 'a', 'a', 'a', 'a', 'a', 'a', 'a' },
		  "port busy: held by aaaaaaaaaaaaaaaa (pid 9), LCK.. file" },
	};

	return cr_make_param_array(struct busy_case, cases, sizeof(cases) / sizeof(cases[0]));
}

/* Who holds a busy port, from a synthetic tb_status. */
ParameterizedTest(struct busy_case *c, cli_text, busy)
{
	struct tb_status st;
	char buf[256];

	memset(&st, 0, sizeof(st));
	st.reason = TB_R_BUSY;
	st.holder = c->holder;
	st.holder_pid = c->pid;
	memcpy(st.holder_comm, c->comm, sizeof(st.holder_comm));
	cli_busy_text(&st, buf, sizeof(buf));
	cr_assert_str_eq(buf, c->want, "%s", c->what);
}

/* A short buffer truncates, NUL-terminated, without overrunning. */
Test(cli_text, busy_truncates)
{
	struct tb_status st = { .reason = TB_R_BUSY, .holder = TB_HOLDER_FLOCK };
	char buf[12];

	memset(buf, 'Z', sizeof(buf));
	cli_busy_text(&st, buf, 8);
	cr_assert_str_eq(buf, "port bu");
	cr_assert_eq(buf[8], 'Z');
}

struct policy_text_case {
	char what[32];
	char detail[160];
	char want[200];
};

ParameterizedTestParameters(cli_text, policy)
{
	static struct policy_text_case cases[] = {
		{ "no detail", "", "policy file missing, invalid or unsafe" },
		{ "syntax", "/etc/ttybroker.conf:3: unknown user 'bob'",
		  "policy file: /etc/ttybroker.conf:3: unknown user 'bob'" },
		{ "missing", "/etc/ttybroker.conf: no such file",
		  "policy file: /etc/ttybroker.conf: no such file" },
		{ "unsafe", "/etc/ttybroker.conf: writable by group or others",
		  "policy file: /etc/ttybroker.conf: writable by group or others" },
		{ "control chars", "/x:1: bad\nforged\033",
		  "policy file: /x:1: bad\\x0aforged\\x1b" },
	};

	return cr_make_param_array(struct policy_text_case, cases,
				   sizeof(cases) / sizeof(cases[0]));
}

/* run's TB_R_POLICY line: which of missing, invalid or unsafe, as the backend said. */
ParameterizedTest(struct policy_text_case *c, cli_text, policy)
{
	struct tb_status st;
	char buf[512];

	memset(&st, 0, sizeof(st));
	st.reason = TB_R_POLICY;
	snprintf(st.detail, sizeof(st.detail), "%s", c->detail);
	cli_policy_text(&st, buf, sizeof(buf));
	cr_assert_str_eq(buf, c->want, "%s", c->what);
}

/* A detail that fills its array without a NUL is read within bounds. */
Test(cli_text, policy_detail_unterminated)
{
	struct tb_status st = { .reason = TB_R_POLICY };
	char buf[512], want[200];

	memset(st.detail, 'x', sizeof(st.detail));
	cli_policy_text(&st, buf, sizeof(buf));
	snprintf(want, sizeof(want), "policy file: %.*s", (int)sizeof(st.detail), st.detail);
	cr_assert_str_eq(buf, want);
}

#define ENV_MAX 24

struct env_case {
	char what[40];
	bool login;              /* false: setuid, the caller's environment */
	char in[ENV_MAX][48];    /* up to the first "" (no pointers: params are copied) */
	char want[ENV_MAX][48];
};

#define ENV_ROOT_SHELL                                                         \
	"HOME=/root", "USER=root", "LOGNAME=root", "SHELL=/bin/bash",          \
	"PATH=/root/bin:/usr/local/sbin:/usr/sbin", "TB_SECRET=hunter2",       \
	"TERM=xterm-256color", "LANG=de_DE.UTF-8", "LANGUAGE=de:en",           \
	"LC_TIME=C.UTF-8", "LC_ALL=C.UTF-8", "TZ=Europe/Berlin",               \
	"SUDO_USER=alice", "MAIL=/var/mail/root", "TTYBROKER_FD=7",            \
	"LCX=not-a-locale", "NOEQUALS"

ParameterizedTestParameters(cli_env, table)
{
	static struct env_case cases[] = {
		{ "login", true, { ENV_ROOT_SHELL, "" },
		  { "HOME=/home/alice", "USER=alice", "LOGNAME=alice", "SHELL=/bin/zsh",
		    "PATH=" CLI_LOGIN_PATH, "TTYBROKER_FD=3", "TERM=xterm-256color",
		    "LANG=de_DE.UTF-8", "LANGUAGE=de:en", "LC_TIME=C.UTF-8",
		    "LC_ALL=C.UTF-8", "TZ=Europe/Berlin", "" } },
		{ "login, empty environment", true, { "" },
		  { "HOME=/home/alice", "USER=alice", "LOGNAME=alice", "SHELL=/bin/zsh",
		    "PATH=" CLI_LOGIN_PATH, "TTYBROKER_FD=3", "" } },
		{ "login, first of duplicates", true, { "TERM=a", "TERM=b", "LANG=x", "" },
		  { "HOME=/home/alice", "USER=alice", "LOGNAME=alice", "SHELL=/bin/zsh",
		    "PATH=" CLI_LOGIN_PATH, "TTYBROKER_FD=3", "TERM=a", "LANG=x", "" } },
		{ "setuid: the caller's own", false, { ENV_ROOT_SHELL, "" },
		  { "HOME=/root", "USER=root", "LOGNAME=root", "SHELL=/bin/bash",
		    "PATH=/root/bin:/usr/local/sbin:/usr/sbin", "TB_SECRET=hunter2",
		    "TERM=xterm-256color", "LANG=de_DE.UTF-8", "LANGUAGE=de:en",
		    "LC_TIME=C.UTF-8", "LC_ALL=C.UTF-8", "TZ=Europe/Berlin",
		    "SUDO_USER=alice", "MAIL=/var/mail/root", "LCX=not-a-locale",
		    "TTYBROKER_FD=3", "" } },
		{ "setuid, empty environment", false, { "" }, { "TTYBROKER_FD=3", "" } },
	};

	return cr_make_param_array(struct env_case, cases, sizeof(cases) / sizeof(cases[0]));
}

/* PROGRAM's environment is exactly the expected set, in order. */
ParameterizedTest(struct env_case *c, cli_env, table)
{
	char *in[ENV_MAX + 1], **got;
	struct cli_login l;
	size_t n = 0, nin = 0;

	memset(&l, 0, sizeof(l));
	snprintf(l.user, sizeof(l.user), "alice");
	snprintf(l.home, sizeof(l.home), "/home/alice");
	snprintf(l.shell, sizeof(l.shell), "/bin/zsh");
	while (nin < ENV_MAX && c->in[nin][0]) {
		in[nin] = c->in[nin];
		nin++;
	}
	in[nin] = NULL;
	got = cli_run_env(c->login ? &l : NULL, in);
	cr_assert_not_null(got, "%s: %s", c->what, strerror(errno));
	for (; got[n] && n < ENV_MAX && c->want[n][0]; n++)
		cr_assert_str_eq(got[n], c->want[n], "%s: entry %zu", c->what, n);
	cr_assert_null(got[n], "%s: extra entry '%s'", c->what, got[n] ? got[n] : "");
	cr_assert(n == ENV_MAX || !c->want[n][0], "%s: missing '%s'", c->what,
		  n < ENV_MAX ? c->want[n] : "");
	cli_env_free(got);
}

/* The passwd entry of a user; a uid without one is "/", "/bin/sh" and its number. */
Test(cli_env, login_lookup)
{
	struct passwd *pw = getpwuid(TU_NOBODY);
	struct cli_login l;
	uid_t lost = 54321;

	cr_assert_not_null(pw);
	cr_assert_eq(cli_login_lookup(TU_NOBODY, &l), 0);
	cr_assert_str_eq(l.user, pw->pw_name);
	cr_assert_str_eq(l.home, pw->pw_dir);
	cr_assert_str_eq(l.shell, pw->pw_shell);
	while (getpwuid(lost))
		lost++;
	cr_assert_eq(cli_login_lookup(lost, &l), 0);
	cr_assert_eq((uid_t)strtoul(l.user, NULL, 10), lost, "user '%s'", l.user);
	cr_assert_str_eq(l.home, "/");
	cr_assert_str_eq(l.shell, "/bin/sh");
}

/* ---------------------------------------------------------------- */
/* Options                                                           */

#define OPT_ARGS 16

struct option_case {
	char what[40];
	char argv[OPT_ARGS][40]; /* after argv[0], up to the first ""; @PTY@ etc. replaced */
	int code;
	char out[48];            /* expected on stdout ("" = no check) */
	char err[48];            /* expected on stderr; "" = stderr must be empty */
};

#define OPT_COMMON "-u", "nobody", "-q", "-p", "@POLICY@", "-l", "@LOCKDIR@"
#define OPT_LONG "--user", "nobody", "--quiet", "--policy", "@POLICY@", "--lockdir", "@LOCKDIR@"

ParameterizedTestParameters(cli, options)
{
	static struct option_case cases[] = {
		{ "--help", { "--help" }, 0, "--policy", "" },
		{ "-h", { "-h" }, 0, "--lockdir", "" },
		{ "--version", { "--version" }, 0, "ttybroker 0.", "" },
		{ "-V", { "-V" }, 0, "ttybroker 0.", "" },
		{ "--help after other options", { "-q", "--help" }, 0, "--verbose", "" },
		{ "run --help", { "run", "--help" }, 0, "[--take] PORT -- PROGRAM", "" },
		{ "run -h", { "run", "-h" }, 0, "[--take] PORT -- PROGRAM", "" },
		{ "check --help", { "check", "--help" }, 0, "check [--as USER] PORT", "" },
		{ "lint --help", { "lint", "--help" }, 0, "lint POLICY", "" },
		{ "demo --help", { "demo", "--help" }, 0, "demo", "" },
		{ "long options", { OPT_LONG, "run", "@PTY@", "--", "/bin/sh", "-c", "test -t 3" },
		  0, "", "" },
		{ "long options with =", { "--user=nobody", "--quiet", "--policy=@POLICY@",
		  "--lockdir=@LOCKDIR@", "run", "@PTY@", "--", "/bin/sh", "-c", "test -t 3" },
		  0, "", "" },
		{ "--verbose", { "--verbose", OPT_COMMON, "run", "@PTY@", "--", "/bin/sh", "-c",
		  "exit 0" }, 0, "", "verdict=permit" },
		{ "PROGRAM's own --help", { OPT_COMMON, "run", "@PTY@", "--", "/bin/sh", "-c",
		  "echo \"prog:$1\"", "sh", "--help" }, 0, "prog:--help", "" },
		{ "check --as without USER", { "-p", "@POLICY@", "check", "--as" }, 64, "",
		  "'--as' needs an argument" },
		{ "check --as without PORT", { "-p", "@POLICY@", "check", "--as", "nobody" }, 64,
		  "", "missing PORT" },
		{ "check --as=USER", { "-p", "@POLICY@", "check", "--as=nobody", "@PTY@" }, 0,
		  "permit", "" },
		{ "run without --", { OPT_COMMON, "run", "@PTY@", "/bin/sh", "-c", "exit 0" }, 64,
		  "", "missing '--' between PORT and PROGRAM" },
		{ "unknown long option", { "--frobnicate", "demo" }, 64, "",
		  "unknown option '--frobnicate'" },
		{ "unknown short option", { "-x", "demo" }, 64, "", "unknown option '-x'" },
		{ "--policy without argument", { "--policy" }, 64, "",
		  "'--policy' needs an argument" },
		{ "no command", { "-q" }, 64, "", "missing command" },
		{ "list --help", { "list", "--help" }, 0, "--json", "" },
		{ "list", { OPT_COMMON, "list" }, 0, "permit", "" },
		{ "list --json", { OPT_COMMON, "list", "--json" }, 0, "\"verdict\":\"permit\"",
		  "" },
		{ "list --via=fork", { OPT_COMMON, "list", "--via=fork" }, 0, "ttybroker.conf:1 ", "" },
		{ "list --via bogus", { OPT_COMMON, "list", "--via", "bogus" }, 64, "",
		  "unknown way in 'bogus'" },
		{ "list --via without WAY", { OPT_COMMON, "list", "--via" }, 64, "",
		  "'--via' needs an argument" },
		{ "list with an operand", { OPT_COMMON, "list", "@PTY@" }, 64, "",
		  "unexpected operand" },
		{ "list unknown option", { OPT_COMMON, "list", "--all" }, 64, "",
		  "unknown option '--all'" },
	};

	return cr_make_param_array(struct option_case, cases, sizeof(cases) / sizeof(cases[0]));
}

/*
 * Long and short options, --help and --version on stdout with status 0,
 * help for each command, and one-line usage errors (64) on stderr.
 */
ParameterizedTest(struct option_case *c, cli, options)
{
	char out[OUT_MAX], err[OUT_MAX], argv[OPT_ARGS][256];
	struct args a = { .n = 0 };
	int st;

	policy_subst("permit nobody @PTY@\n");
	args_add(&a, "ttybroker");
	for (size_t i = 0; i < OPT_ARGS && c->argv[i][0]; i++) {
		subst(c->argv[i], argv[i], sizeof(argv[i]));
		args_add(&a, argv[i]);
	}
	st = run_cmd(&a, out, err);
	cr_assert_eq(st, c->code, "%s: exit %d, want %d; stdout:\n%s\nstderr:\n%s", c->what,
		     st, c->code, out, err);
	if (c->out[0])
		assert_has(out, c->out, c->what);
	if (!c->err[0]) {
		cr_assert_str_empty(err, "%s: stderr:\n%s", c->what, err);
	} else if (c->code == 64) {
		assert_one_line(err);
		assert_has(err, c->err, c->what);
	} else {
		assert_has(err, c->err, c->what);
	}
	if (c->code == 64)
		cr_assert_str_empty(out, "%s: a usage error printed on stdout:\n%s", c->what, out);
}

/* --help names every option, long and short, each on a line that says what it does. */
Test(cli, help_lists_every_option)
{
	static const char *const opts[][2] = {
		{ "-p", "--policy" }, { "-l", "--lockdir" }, { "-u", "--user" },
		{ "-v", "--verbose" }, { "-q", "--quiet" }, { "-h", "--help" },
		{ "-V", "--version" },
	};
	char out[OUT_MAX], err[OUT_MAX];
	struct args a = { .n = 0 };

	args_add(&a, "ttybroker"), args_add(&a, "--help");
	cr_assert_eq(run_cmd(&a, out, err), 0, "stderr: %s", err);
	assert_has(out, "usage: ttybroker", "--help");
	for (size_t i = 0; i < sizeof(opts) / sizeof(opts[0]); i++) {
		char want[64];
		const char *line;
		size_t len;

		snprintf(want, sizeof(want), "%s, %s", opts[i][0], opts[i][1]);
		line = strstr(out, want);
		cr_assert_not_null(line, "--help lacks '%s':\n%s", want, out);
		len = strcspn(line, "\n");
		/* "  -p, --policy=POLICY   what it does": more than the option itself */
		cr_assert_gt(len, strlen(want) + 12, "no description for %s: %.*s", want,
			     (int)len, line);
	}
}

/* ---------------------------------------------------------------- */
/* run: PROGRAM's environment                                        */

enum env_target {
	ENV_USER_NAME,   /* -u nobody                         */
	ENV_SUDO,        /* no -u; SUDO_UID=SUDO_GID=65534     */
	ENV_NO_PASSWD,   /* -u NUMBER, a uid with no passwd entry */
};

struct run_env_case {
	char what[32];
	enum env_target target;
};

ParameterizedTestParameters(cli, run_env)
{
	static struct run_env_case cases[] = {
		{ "-u nobody", ENV_USER_NAME },
		{ "sudo", ENV_SUDO },
		{ "uid without passwd entry", ENV_NO_PASSWD },
	};

	return cr_make_param_array(struct run_env_case, cases, sizeof(cases) / sizeof(cases[0]));
}

/* ENV contains the whole line "NAME=VALUE". */
static void assert_env_line(const char *envout, const char *name, const char *value)
{
	char want[512];

	snprintf(want, sizeof(want), "\n%s=%s\n", name, value);
	cr_assert_not_null(strstr(envout, want), "PROGRAM's environment lacks %s=%s:%s", name,
			   value, envout);
}

/*
 * Root runs PROGRAM for another user: PROGRAM sees that user's login
 * environment (HOME, USER, LOGNAME, SHELL, a plain PATH), root's terminal
 * and locale settings, TTYBROKER_FD=3, and nothing else of root's: no
 * secret, no HOME=/root, no SUDO_*.
 */
ParameterizedTest(struct run_env_case *c, cli, run_env)
{
	char out[OUT_MAX], err[OUT_MAX], envout[OUT_MAX + 2], uidbuf[16];
	const char *home = "/", *shell = "/bin/sh", *user = uidbuf;
	struct passwd *pw;
	struct args a;
	uid_t uid = TU_NOBODY;

	if (c->target == ENV_NO_PASSWD) {
		for (uid = 54321; getpwuid(uid); uid++)
			;
		cr_assert_eq(chown(pty.path, uid, (gid_t)-1), 0);
		policy_subst("permit * @PTY@\n");
	} else {
		policy_subst("permit nobody @PTY@\n");
	}
	snprintf(uidbuf, sizeof(uidbuf), "%u", (unsigned int)uid);
	if ((pw = getpwuid(uid))) {
		home = pw->pw_dir;
		shell = pw->pw_shell;
		user = pw->pw_name;
	}
	cr_assert_eq(setenv("TB_TEST_SECRET", "hunter2", 1), 0);
	cr_assert_eq(setenv("HOME", "/root", 1), 0);
	cr_assert_eq(setenv("TERM", "xterm-tbtest", 1), 0);
	cr_assert_eq(setenv("LC_TIME", "C.UTF-8", 1), 0);
	cr_assert_eq(setenv("PATH", "/root/bin:/usr/sbin:/usr/bin:/sbin:/bin", 1), 0);
	cr_assert_eq(setenv("TTYBROKER_FD", "9", 1), 0);
	args_common(&a);
	if (c->target == ENV_SUDO) {
		cr_assert_eq(setenv("SUDO_UID", "65534", 1), 0);
		cr_assert_eq(setenv("SUDO_GID", "65534", 1), 0);
		cr_assert_eq(setenv("SUDO_USER", "nobody", 1), 0);
		a.v[1] = "-q", a.v[2] = "-q"; /* no -u */
	} else if (c->target == ENV_NO_PASSWD) {
		a.v[2] = uidbuf;
	}
	args_add(&a, "run"), args_add(&a, pty.port), args_add(&a, "--");
	args_add(&a, "/usr/bin/env");
	cr_assert_eq(run_cmd(&a, out, err), 0, "%s: stderr: %s", c->what, err);
	snprintf(envout, sizeof(envout), "\n%s", out);
	assert_env_line(envout, "HOME", home);
	assert_env_line(envout, "USER", user);
	assert_env_line(envout, "LOGNAME", user);
	assert_env_line(envout, "SHELL", shell);
	assert_env_line(envout, "PATH", "/usr/local/bin:/usr/bin:/bin");
	assert_env_line(envout, "TERM", "xterm-tbtest");
	assert_env_line(envout, "LC_TIME", "C.UTF-8");
	assert_env_line(envout, "TTYBROKER_FD", "3");
	cr_assert_null(strstr(envout, "hunter2"), "%s: the secret got through:%s", c->what, out);
	cr_assert_null(strstr(envout, "=/root"), "%s: root's paths got through:%s", c->what, out);
	cr_assert_null(strstr(envout, "\nSUDO_"), "%s: SUDO_* got through:%s", c->what, out);
	unsetenv("TB_TEST_SECRET");
	unsetenv("SUDO_UID");
	unsetenv("SUDO_GID");
	unsetenv("SUDO_USER");
}

/* ---------------------------------------------------------------- */
/* Installed setuid-root, run by nobody                              */

/* Copy the command into the test directory as a setuid-root program. */
static void make_setuid_copy(void)
{
	char buf[65536];
	int in, out;
	ssize_t n;

	snprintf(setuid_bin, sizeof(setuid_bin), "%s/ttybroker-setuid", env.dir);
	in = open(env.bin, O_RDONLY | O_CLOEXEC);
	cr_assert_geq(in, 0, "%s: %s", env.bin, strerror(errno));
	out = open(setuid_bin, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0700);
	cr_assert_geq(out, 0, "%s: %s", setuid_bin, strerror(errno));
	while ((n = read(in, buf, sizeof(buf))) > 0)
		cr_assert_eq(write(out, buf, (size_t)n), n);
	cr_assert_eq(n, 0);
	close(in);
	cr_assert_eq(fchown(out, 0, 0), 0);
	cr_assert_eq(fchmod(out, 04755), 0);
	cr_assert_eq(close(out), 0);
}

/* Run the setuid copy with A as nobody; returns its status. */
static int run_setuid_as_nobody(struct args *a, char *out, char *err)
{
	int po[2], pe[2];
	pid_t pid;

	cr_assert_eq(pipe2(po, O_CLOEXEC), 0);
	cr_assert_eq(pipe2(pe, O_CLOEXEC), 0);
	pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		int null = open("/dev/null", O_RDWR);

		dup2(null, 0);
		dup2(po[1], 1);
		dup2(pe[1], 2);
		if (setgroups(0, NULL) < 0 || setgid(TU_NOBODY) < 0 || setuid(TU_NOBODY) < 0)
			_exit(126);
		a->v[0] = setuid_bin;
		execv(setuid_bin, a->v);
		_exit(127);
	}
	close(po[1]);
	close(pe[1]);
	track(pid);
	return finish(pid, po[0], pe[0], out, err);
}

struct setuid_case {
	char what[32];
	char argv[4][32];    /* after argv[0], up to the first ""; @POLICY@ replaced */
	int code;
	char err[80];
};

ParameterizedTestParameters(cli, setuid)
{
	static struct setuid_case cases[] = {
		/* -u is ignored like -p and -l, and says so. */
		{ "-u ignored", { "-u", "daemon", "lint", "@POLICY@" }, 0,
		  "ttybroker: -u is ignored when setuid: the target is always the real user" },
		/* demo needs real root: it creates a pty and drops to nobody. */
		{ "demo", { "demo" }, 77,
		  "ttybroker: demo must run as root (it creates a pty and drops to nobody)" },
	};

	return cr_make_param_array(struct setuid_case, cases, sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct setuid_case *c, cli, setuid)
{
	char out[OUT_MAX], err[OUT_MAX], argv[4][256];
	struct args a = { .n = 0 };
	int st;

	tu_policy(&env, "permit nobody ttyUSB0\n");
	make_setuid_copy();
	args_add(&a, "ttybroker");
	for (size_t i = 0; i < 4 && c->argv[i][0]; i++) {
		subst(c->argv[i], argv[i], sizeof(argv[i]));
		args_add(&a, argv[i]);
	}
	st = run_setuid_as_nobody(&a, out, err);
	cr_assert_eq(st, c->code, "%s: exit %d, want %d; stdout:\n%s\nstderr:\n%s", c->what,
		     st, c->code, out, err);
	assert_has(err, c->err, c->what);
}

/* ---------------------------------------------------------------- */
/* check and run agree                                               */

/*
 * In a mount namespace of this test process only, put a tmpfs over /dev
 * with the real /dev/pts and /dev/null bound into it and a
 * serial/by-id/LINK -> TARGET (and the same serial/by-path/LINK), so the
 * command sees by-id and by-path links that the host never does.
 */
static void private_dev_byid(const char *link, const char *target)
{
	char path[256];
	int fd;

	if (unshare(CLONE_NEWNS) < 0)
		tu_skip(teardown, "unshare(CLONE_NEWNS): %s", strerror(errno));
	cr_assert_eq(mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL), 0);
	snprintf(private_dev, sizeof(private_dev), "%s/dev", env.dir);
	cr_assert_eq(mkdir(private_dev, 0755), 0);
	cr_assert_eq(mount("tbtest-dev", private_dev, "tmpfs", 0, "mode=0755"), 0,
		     "tmpfs: %s", strerror(errno));
	snprintf(path, sizeof(path), "%s/pts", private_dev);
	cr_assert_eq(mkdir(path, 0755), 0);
	cr_assert_eq(mount("/dev/pts", path, NULL, MS_BIND, NULL), 0);
	snprintf(path, sizeof(path), "%s/null", private_dev);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
	cr_assert_geq(fd, 0);
	close(fd);
	cr_assert_eq(mount("/dev/null", path, NULL, MS_BIND, NULL), 0);
	snprintf(path, sizeof(path), "%s/serial", private_dev);
	cr_assert_eq(mkdir(path, 0755), 0);
	snprintf(path, sizeof(path), "%s/serial/by-id", private_dev);
	cr_assert_eq(mkdir(path, 0755), 0);
	snprintf(path, sizeof(path), "%s/serial/by-id/%s", private_dev, link);
	cr_assert_eq(symlink(target, path), 0);
	snprintf(path, sizeof(path), "%s/serial/by-path", private_dev);
	cr_assert_eq(mkdir(path, 0755), 0);
	snprintf(path, sizeof(path), "%s/serial/by-path/%s", private_dev, link);
	cr_assert_eq(symlink(target, path), 0);
	cr_assert_eq(mount(private_dev, "/dev", NULL, MS_BIND | MS_REC, NULL), 0,
		     "bind over /dev: %s", strerror(errno));
}

/*
 * A by-id link to a pty (udev never makes one, but a local rule could) is
 * refused by run; check must say the same thing with the same status, and
 * so must a by-id name that does not exist.
 */
Test(cli, byid_check_agrees_with_run)
{
	static const char *const names[] = { "serial/by-id/tbtest-pty", "serial/by-id/tbtest-absent",
					     "serial/by-path/tbtest-pty",
					     "serial/by-path/tbtest-absent" };
	char target[64];

	snprintf(target, sizeof(target), "../../%s", pty.port);
	policy_subst("permit * *\npermit nobody pts/*\n");
	private_dev_byid("tbtest-pty", target);
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		char out[OUT_MAX], rerr[OUT_MAX], cerr[OUT_MAX];
		struct args a;
		int rst, cst;

		args_run(&a, names[i], "exit 0");
		rst = run_cmd(&a, out, rerr);
		a.n = 0;
		args_add(&a, "ttybroker"), args_add(&a, "-p"), args_add(&a, env.policy);
		args_add(&a, "check"), args_add(&a, "--as"), args_add(&a, "nobody");
		args_add(&a, names[i]);
		cst = run_cmd(&a, out, cerr);
		assert_one_line(rerr);
		cr_assert_str_eq(cerr, rerr, "%s: check said '%s', run said '%s'", names[i], cerr,
				 rerr);
		cr_assert_eq(cst, rst, "%s: check %d, run %d", names[i], cst, rst);
		cr_assert_eq(rst, 69, "%s: run %d: %s", names[i], rst, rerr);
	}
	assert_lockdir_empty();
}

/* ---------------------------------------------------------------- */
/* lint: files it cannot read                                        */

enum lint_file { LINT_MISSING, LINT_SYMLINK, LINT_DANGLING, LINT_DIR };

struct lint_case {
	char what[32];
	enum lint_file kind;
	char err[48];
};

ParameterizedTestParameters(cli, lint_unreadable)
{
	static struct lint_case cases[] = {
		{ "missing", LINT_MISSING, ": no such file" },
		{ "symlink", LINT_SYMLINK, ": is a symbolic link (not followed)" },
		{ "dangling symlink", LINT_DANGLING, ": is a symbolic link (not followed)" },
		{ "directory", LINT_DIR, ": not a regular file" },
	};

	return cr_make_param_array(struct lint_case, cases, sizeof(cases) / sizeof(cases[0]));
}

/* One line that names the file and says what is wrong with it, exit 78. */
ParameterizedTest(struct lint_case *c, cli, lint_unreadable)
{
	char out[OUT_MAX], err[OUT_MAX], path[256], want[512];
	struct args a = { .n = 0 };

	snprintf(path, sizeof(path), "%s/lint-target", env.dir);
	switch (c->kind) {
	case LINT_MISSING:
		break;
	case LINT_SYMLINK:
		cr_assert_eq(symlink(env.policy, path), 0);
		break;
	case LINT_DANGLING:
		cr_assert_eq(symlink("/nonexistent/tbtest", path), 0);
		break;
	case LINT_DIR:
		cr_assert_eq(mkdir(path, 0755), 0);
		break;
	}
	args_add(&a, "ttybroker"), args_add(&a, "lint"), args_add(&a, path);
	cr_assert_eq(run_cmd(&a, out, err), 78, "%s: stdout %s stderr %s", c->what, out, err);
	if (c->kind == LINT_DIR)
		rmdir(path);
	else
		unlink(path);
	assert_one_line(err);
	snprintf(want, sizeof(want), "%s%s\n", path, c->err);
	assert_has(err, want, c->what);
}

/* ---------------------------------------------------------------- */
/* The lock directory                                                */

/* A symlink as -l: the backend refuses to start, and says why. */
Test(cli, lockdir_symlink_refused)
{
	char out[OUT_MAX], err[OUT_MAX], link[200];
	struct args a = { .n = 0 };
	int st;

	snprintf(link, sizeof(link), "%s/lock-link", env.dir);
	cr_assert_eq(symlink("lock", link), 0);
	args_add(&a, "ttybroker"), args_add(&a, "-u"), args_add(&a, "nobody");
	args_add(&a, "-q"), args_add(&a, "-p"), args_add(&a, env.policy);
	args_add(&a, "-l"), args_add(&a, link);
	args_add(&a, "run"), args_add(&a, pty.port), args_add(&a, "--");
	args_add(&a, "/bin/sh"), args_add(&a, "-c"), args_add(&a, "echo ran");
	st = run_cmd(&a, out, err);
	unlink(link); /* before any assertion can leave it behind */
	cr_assert_eq(st, 71, "stderr: %s", err);
	assert_has(err, "is a symbolic link", "stderr");
	cr_assert_null(strstr(out, "ran"), "PROGRAM did not run");
	assert_lockdir_empty();
}

/* ---------------------------------------------------------------- */
/* JSON strings of `list --json` (frontend/cli_json.c), branch list9 */

struct json_case {
	char what[40];
	char in[24];    /* copied whole: may lack a NUL within MAX */
	size_t max;
	char want[96];
};

ParameterizedTestParameters(cli_json, str)
{
	static struct json_case cases[] = {
		{ "plain", "ttyUSB0", 24, "\"ttyUSB0\"" },
		{ "empty", "", 24, "\"\"" },
		{ "quote and backslash", "a\"b\\c", 24, "\"a\\\"b\\\\c\"" },
		{ "newline tab return", "a\nb\tc\rd", 24, "\"a\\nb\\tc\\rd\"" },
		{ "other C0 controls", "\x01\x1b[2J\x1f", 24, "\"\\u0001\\u001b[2J\\u001f\"" },
		{ "DEL", "a\x7f", 24, "\"a\\u007f\"" },
		{ "UTF-8 two bytes", "\xc3\xa9t\xc3\xa9", 24, "\"\xc3\xa9t\xc3\xa9\"" },
		{ "UTF-8 three bytes", "\xe2\x82\xac", 24, "\"\xe2\x82\xac\"" },
		{ "UTF-8 four bytes", "\xf0\x9f\x98\x80", 24, "\"\xf0\x9f\x98\x80\"" },
		{ "C1 control", "\xc2\x9b" "2J", 24, "\"\\u009b2J\"" },
		{ "no-break space kept", "\xc2\xa0", 24, "\"\xc2\xa0\"" },
		{ "lone continuation", "a\x80z", 24, "\"a\\ufffdz\"" },
		{ "latin-1 byte", "caf\xe9", 24, "\"caf\\ufffd\"" },
		{ "overlong slash", "\xc0\xaf", 24, "\"\\ufffd\\ufffd\"" },
		{ "overlong three", "\xe0\x80\xaf", 24, "\"\\ufffd\\ufffd\\ufffd\"" },
		{ "surrogate", "\xed\xa0\x80", 24, "\"\\ufffd\\ufffd\\ufffd\"" },
		{ "above U+10FFFF", "\xf4\x90\x80\x80", 24, "\"\\ufffd\\ufffd\\ufffd\\ufffd\"" },
		{ "0xff and 0xfe", "\xff\xfe", 24, "\"\\ufffd\\ufffd\"" },
		{ "truncated sequence", "ok\xe2\x82", 24, "\"ok\\ufffd\\ufffd\"" },
		{ "cut by max mid-sequence", "\xe2\x82\xac", 2, "\"\\ufffd\\ufffd\"" },
		{ "no NUL within max", "abcdefghijklmnopqrstuvwx", 24,
		  "\"abcdefghijklmnopqrstuvwx\"" },
		{ "stops at max", "abcdef", 3, "\"abc\"" },
	};

	return cr_make_param_array(struct json_case, cases, sizeof(cases) / sizeof(cases[0]));
}

/* Exactly the expected text, and always something python's json accepts. */
ParameterizedTest(struct json_case *c, cli_json, str)
{
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);

	cr_assert_not_null(f);
	cli_json_str(f, c->in, c->max);
	cr_assert_eq(fclose(f), 0);
	cr_assert_str_eq(out, c->want, "%s", c->what);
	for (size_t i = 0; i < len; i++) /* never a raw control byte */
		cr_assert((unsigned char)out[i] >= 0x20 && out[i] != 0x7f, "%s: byte %zu",
			  c->what, i);
	free(out);
}

Test(cli_json, null_for_empty)
{
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);

	cr_assert_not_null(f);
	cli_json_str_or_null(f, "", 8);
	fputc(' ', f);
	cli_json_str_or_null(f, "x", 8);
	cr_assert_eq(fclose(f), 0);
	cr_assert_str_eq(out, "null \"x\"");
	free(out);
}

/* ---------------------------------------------------------------- */
/* list (branch list9)                                               */

/*
 * `ttybroker list --json` started as root drops to -u nobody and lists
 * nobody's pty with the fork backend's verdict; every line is valid JSON
 * with the documented fields (python3 checks), and the table shows the
 * same port.  A pty of root's is not nobody's to list.
 */
Test(cli, list_json_fork)
{
	char out[OUT_MAX], err[OUT_MAX], sum[512], want[512];
	struct tu_pty mine = { .master = -1 };
	char *json[] = { "ttybroker", "-q", "-u", "nobody", "-p", env.policy, "-l",
			 env.lockdir, "list", "--json", NULL };
	char *ports[] = { pty.port, mine.port, NULL };
	int st;

	tu_pty_open(&mine, 0);
	tu_policy(&env, "# list\ndeny nobody %s\n", pty.port);
	st = tu_run(&env, json, out, sizeof(out), err, sizeof(err), 20000);
	tu_pty_close(&mine);
	cr_assert_eq(st, 0, "exit %d: %s", st, err);
	cr_assert_eq(tu_list_json(out, ports, sum, sizeof(sum)), 0, "%s", out);
	snprintf(want, sizeof(want), "%s deny 2 free None", pty.port);
	cr_assert_str_eq(sum, want, "from:\n%s", out);
}

/*
 * A holder names itself: its comm (any bytes but NUL, set with
 * PR_SET_NAME) reaches the table escaped and --json as valid JSON
 * (control bytes as '?', bytes that are no UTF-8 as \ufffd).
 */
Test(cli, list_hostile_holder_name)
{
	char out[OUT_MAX], err[OUT_MAX], sum[512], want[512], path[256], pid10[16];
	char *json[] = { "ttybroker", "-q", "-u", "nobody", "-p", env.policy, "-l",
			 env.lockdir, "list", "--json", NULL };
	char *table[] = { "ttybroker", "-q", "-u", "nobody", "-p", env.policy, "-l",
			  env.lockdir, "list", NULL };
	char *ports[] = { pty.port, NULL };
	int sync[2], fd, st;
	pid_t holder;
	char c;

	tu_policy(&env, "permit nobody %s\n", pty.port);
	cr_assert_eq(pipe2(sync, O_CLOEXEC), 0);
	holder = fork();
	cr_assert_geq(holder, 0);
	if (holder == 0) {
		prctl(PR_SET_NAME, "ev\xff\"il\\\x1b[2J", 0, 0, 0);
		close(sync[0]);
		if (write(sync[1], "x", 1) != 1)
			_exit(1);
		pause();
		_exit(0);
	}
	started[nstarted++] = holder;
	close(sync[1]);
	cr_assert_eq(read(sync[0], &c, 1), 1);
	close(sync[0]);
	tu_lockfile(&env, pty.port, path, sizeof(path));
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	cr_assert_geq(fd, 0);
	snprintf(pid10, sizeof(pid10), "%10d\n", (int)holder);
	cr_assert_eq(write(fd, pid10, 11), 11);
	close(fd);

	st = tu_run(&env, json, out, sizeof(out), err, sizeof(err), 20000);
	cr_assert_eq(st, 0, "exit %d: %s", st, err);
	cr_assert_eq(tu_list_json(out, ports, sum, sizeof(sum)), 0, "%s", out);
	snprintf(want, sizeof(want), "%s permit 1 lockfile %d", pty.port, (int)holder);
	cr_assert_str_eq(sum, want, "from:\n%s", out);
	cr_assert_not_null(strstr(out, "\"holder_comm\":\"ev\\ufffd\\\"il\\\\?[2J\""),
			   "%s", out);
	st = tu_run(&env, table, out, sizeof(out), err, sizeof(err), 20000);
	cr_assert_eq(st, 0, "exit %d: %s", st, err);
	cr_assert_not_null(strstr(out, "(ev\\xff\"il\\x5c?[2J)"), "%s", out);
	unlink(path);
}

/* ---------------------------------------------------------------- */
/* exec's ELF reader (cli_elf.c): good and bad headers               */

enum elf_mut {
	EM_DYN64, EM_STATIC64, EM_STATIC_PIE64, EM_INTERP_LAST, EM_DYN32, EM_STATIC32,
	EM_TABLE32_64K, EM_TABLE32_OVER, EM_TABLE64_OVER, EM_BAD_MAGIC, EM_FOREIGN_ORDER,
	EM_CLASS_NONE, EM_CLASS_3, EM_REL, EM_CORE, EM_ENTSIZE, EM_ENTSIZE32, EM_PHNUM0,
	EM_PHOFF_PAST_END, EM_PHOFF_HUGE, EM_TABLE_CUT, EM_HEADER_CUT, EM_HEADER32_CUT,
	EM_EMPTY, EM_SCRIPT, EM_IDENT_ONLY,
};

struct elf_case {
	char what[48];
	enum elf_mut mut;
	int want;
};

ParameterizedTestParameters(cli_elf, kind)
{
	static struct elf_case cases[] = {
		{ "64-bit with PT_INTERP", EM_DYN64, CLI_ELF_DYNAMIC },
		{ "64-bit ET_EXEC, no PT_INTERP", EM_STATIC64, CLI_ELF_STATIC },
		{ "static-pie: ET_DYN, no PT_INTERP", EM_STATIC_PIE64, CLI_ELF_STATIC },
		{ "PT_INTERP last of 100", EM_INTERP_LAST, CLI_ELF_DYNAMIC },
		{ "32-bit with PT_INTERP", EM_DYN32, CLI_ELF_DYNAMIC },
		{ "32-bit, no PT_INTERP", EM_STATIC32, CLI_ELF_STATIC },
		{ "32-bit table of exactly 64 KiB", EM_TABLE32_64K, CLI_ELF_STATIC },
		{ "32-bit table over 64 KiB", EM_TABLE32_OVER, CLI_ELF_OTHER },
		{ "64-bit table over 64 KiB", EM_TABLE64_OVER, CLI_ELF_OTHER },
		{ "bad magic", EM_BAD_MAGIC, CLI_ELF_OTHER },
		{ "foreign byte order", EM_FOREIGN_ORDER, CLI_ELF_OTHER },
		{ "class none", EM_CLASS_NONE, CLI_ELF_OTHER },
		{ "class 3", EM_CLASS_3, CLI_ELF_OTHER },
		{ "ET_REL (an object file)", EM_REL, CLI_ELF_OTHER },
		{ "ET_CORE", EM_CORE, CLI_ELF_OTHER },
		{ "64-bit with 32-bit entry size", EM_ENTSIZE, CLI_ELF_OTHER },
		{ "32-bit with 64-bit entry size", EM_ENTSIZE32, CLI_ELF_OTHER },
		{ "no program headers", EM_PHNUM0, CLI_ELF_OTHER },
		{ "table past the end", EM_PHOFF_PAST_END, CLI_ELF_OTHER },
		{ "table offset near 2^64", EM_PHOFF_HUGE, CLI_ELF_OTHER },
		{ "table cut short by a byte", EM_TABLE_CUT, CLI_ELF_OTHER },
		{ "64-bit header cut short", EM_HEADER_CUT, CLI_ELF_OTHER },
		{ "32-bit header cut short", EM_HEADER32_CUT, CLI_ELF_OTHER },
		{ "empty file", EM_EMPTY, CLI_ELF_OTHER },
		{ "a script", EM_SCRIPT, CLI_ELF_OTHER },
		{ "e_ident alone", EM_IDENT_ONLY, CLI_ELF_OTHER },
	};

	return cr_make_param_array(struct elf_case, cases, sizeof(cases) / sizeof(cases[0]));
}

/* A 64-bit image: header, then NUM entries of type TYPE, PT_INTERP at INTERP (or none). */
static size_t elf_image64(unsigned char *buf, size_t cap, uint16_t etype, size_t num,
			  long interp)
{
	Elf64_Ehdr eh = { .e_type = etype, .e_machine = EM_X86_64, .e_version = EV_CURRENT,
			  .e_phoff = sizeof(Elf64_Ehdr), .e_ehsize = sizeof(Elf64_Ehdr),
			  .e_phentsize = sizeof(Elf64_Phdr), .e_phnum = (uint16_t)num };
	size_t len = sizeof(eh) + num * sizeof(Elf64_Phdr);

	cr_assert_leq(len, cap);
	memcpy(eh.e_ident, ELFMAG, SELFMAG);
	eh.e_ident[EI_CLASS] = ELFCLASS64;
	eh.e_ident[EI_DATA] = ELFDATA2LSB;
	eh.e_ident[EI_VERSION] = EV_CURRENT;
	memcpy(buf, &eh, sizeof(eh));
	for (size_t i = 0; i < num; i++) {
		Elf64_Phdr ph = { .p_type = (long)i == interp ? PT_INTERP : PT_LOAD };

		memcpy(buf + sizeof(eh) + i * sizeof(ph), &ph, sizeof(ph));
	}
	return len;
}

/* The same in 32 bits. */
static size_t elf_image32(unsigned char *buf, size_t cap, uint16_t etype, size_t num,
			  long interp)
{
	Elf32_Ehdr eh = { .e_type = etype, .e_machine = EM_386, .e_version = EV_CURRENT,
			  .e_phoff = sizeof(Elf32_Ehdr), .e_ehsize = sizeof(Elf32_Ehdr),
			  .e_phentsize = sizeof(Elf32_Phdr), .e_phnum = (uint16_t)num };
	size_t len = sizeof(eh) + num * sizeof(Elf32_Phdr);

	cr_assert_leq(len, cap);
	memcpy(eh.e_ident, ELFMAG, SELFMAG);
	eh.e_ident[EI_CLASS] = ELFCLASS32;
	eh.e_ident[EI_DATA] = ELFDATA2LSB;
	eh.e_ident[EI_VERSION] = EV_CURRENT;
	memcpy(buf, &eh, sizeof(eh));
	for (size_t i = 0; i < num; i++) {
		Elf32_Phdr ph = { .p_type = (long)i == interp ? PT_INTERP : PT_LOAD };

		memcpy(buf + sizeof(eh) + i * sizeof(ph), &ph, sizeof(ph));
	}
	return len;
}

/* The image for case M into BUF; its length. */
static size_t elf_case_image(enum elf_mut m, unsigned char *buf, size_t cap)
{
	Elf64_Ehdr *e64 = (Elf64_Ehdr *)buf;
	Elf32_Ehdr *e32 = (Elf32_Ehdr *)buf;
	size_t len;

	switch (m) {
	case EM_DYN64: return elf_image64(buf, cap, ET_DYN, 4, 1);
	case EM_STATIC64: return elf_image64(buf, cap, ET_EXEC, 4, -1);
	case EM_STATIC_PIE64: return elf_image64(buf, cap, ET_DYN, 4, -1);
	case EM_INTERP_LAST: return elf_image64(buf, cap, ET_DYN, 100, 99);
	case EM_DYN32: return elf_image32(buf, cap, ET_EXEC, 3, 0);
	case EM_STATIC32: return elf_image32(buf, cap, ET_EXEC, 3, -1);
	case EM_TABLE32_64K: return elf_image32(buf, cap, ET_EXEC, 2048, -1);
	case EM_TABLE32_OVER: return elf_image32(buf, cap, ET_EXEC, 2049, 0);
	case EM_TABLE64_OVER: return elf_image64(buf, cap, ET_DYN, 1171, 0);
	case EM_EMPTY: return 0;
	case EM_SCRIPT:
		memcpy(buf, "#!/bin/sh\necho hi\n", 18);
		return 18;
	default:
		break;
	}
	len = elf_image64(buf, cap, ET_DYN, 4, 1);
	switch (m) {
	case EM_BAD_MAGIC: buf[1] = 'e'; break;
	case EM_FOREIGN_ORDER: buf[EI_DATA] = ELFDATA2MSB; break;
	case EM_CLASS_NONE: buf[EI_CLASS] = ELFCLASSNONE; break;
	case EM_CLASS_3: buf[EI_CLASS] = 3; break;
	case EM_REL: e64->e_type = ET_REL; break;
	case EM_CORE: e64->e_type = ET_CORE; break;
	case EM_ENTSIZE: e64->e_phentsize = sizeof(Elf32_Phdr); break;
	case EM_PHNUM0: e64->e_phnum = 0; break;
	case EM_PHOFF_PAST_END: e64->e_phoff = len; break;
	case EM_PHOFF_HUGE: e64->e_phoff = UINT64_MAX - 8; break;
	case EM_TABLE_CUT: len--; break;
	case EM_HEADER_CUT: len = sizeof(Elf64_Ehdr) - 1; break;
	case EM_IDENT_ONLY: len = EI_NIDENT; break;
	case EM_ENTSIZE32:
		len = elf_image32(buf, cap, ET_EXEC, 3, 0);
		e32->e_phentsize = sizeof(Elf64_Phdr);
		break;
	case EM_HEADER32_CUT:
		len = elf_image32(buf, cap, ET_EXEC, 3, 0);
		len = sizeof(Elf32_Ehdr) - 1;
		break;
	default:
		cr_assert_fail("case %d has no image", (int)m);
	}
	return len;
}

/* The buffer and the file reader agree with the table, and leave the offset alone. */
ParameterizedTest(struct elf_case *c, cli_elf, kind)
{
	static unsigned char buf[80 * 1024];
	size_t len = elf_case_image(c->mut, buf, sizeof(buf));
	unsigned char *exact = malloc(len ? len : 1);
	int fd;

	cr_assert_not_null(exact);
	memcpy(exact, buf, len); /* exact size: a read past it is a sanitizer report */
	cr_assert_eq(cli_elf_kind_buf(exact, len), c->want, "%s: buffer", c->what);
	free(exact);
	fd = memfd_create("elf", MFD_CLOEXEC);
	cr_assert_geq(fd, 0);
	cr_assert_eq(write(fd, buf, len), (ssize_t)len);
	cr_assert_eq(lseek(fd, 3, SEEK_SET), 3);
	cr_assert_eq(cli_elf_kind_fd(fd), c->want, "%s: file", c->what);
	cr_assert_eq(lseek(fd, 0, SEEK_CUR), 3, "pread leaves the offset");
	close(fd);
}

/* What exec warns about: a static image, not this system's /bin/sh. */
Test(cli_elf, preload_blind)
{
	static unsigned char buf[4096];
	char path[] = "/tmp/test_cli_elf.XXXXXX";
	size_t len = elf_case_image(EM_STATIC64, buf, sizeof(buf));
	int fd = mkstemp(path), got;

	cr_assert_geq(fd, 0);
	cr_assert_eq(write(fd, buf, len), (ssize_t)len);
	close(fd);
	got = cli_preload_blind(path);
	cr_assert_eq(unlink(path), 0);
	cr_assert_eq(got, CLI_BLIND_STATIC, "a static ELF");
	cr_assert_eq(cli_preload_blind("/bin/sh"), CLI_BLIND_NO, "a dynamic ELF");
	cr_assert_eq(cli_preload_blind("/nonexistent/x"), CLI_BLIND_NO);
}
