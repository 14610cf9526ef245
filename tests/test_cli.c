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
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

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

/* Replace "@PTY@" and "@POLICY@" in IN. */
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
	assert_has(err, "busy", "stderr");
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
	assert_has(err, "busy", "stderr");
	assert_lockdir_empty();
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
		{ "policy 0666", "@PTY@", "permit nobody @PTY@\n", POL_MODE_0666, SHAPE_RUN, false, 78, "policy file" },
		{ "policy of nobody", "@PTY@", "permit nobody @PTY@\n", POL_OWNER_NOBODY, SHAPE_RUN, false, 78, "policy file" },
		{ "policy missing", "@PTY@", "", POL_MISSING, SHAPE_RUN, false, 78, "policy file" },
		{ "policy syntax", "@PTY@", "permit nobody @PTY@\nfrobnicate all\n", POL_OK, SHAPE_RUN, false, 78, "policy file" },
		/* usage: 64 */
		{ "no PROGRAM", "@PTY@", "permit nobody @PTY@\n", POL_OK, SHAPE_NO_PROGRAM, false, 64, "usage" },
		{ "no --", "@PTY@", "permit nobody @PTY@\n", POL_OK, SHAPE_NO_DASHDASH, false, 64, "usage" },
		{ "unknown command", "@PTY@", "permit nobody @PTY@\n", POL_OK, SHAPE_UNKNOWN_CMD, false, 64, "unknown command" },
		{ "plain root", "@PTY@", "permit nobody @PTY@\n", POL_OK, SHAPE_NO_USER, false, 64, "-u USER" },
		{ "-u root", "@PTY@", "permit * pts/*\n", POL_OK, SHAPE_USER_ROOT, false, 64, "-u USER" },
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
		  "", "", "policy file" },
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

/* `check --as USER PORT`: the verdict, its rule as FILE:LINE, its exit code. */
ParameterizedTest(struct check_case *c, cli, check)
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
	for (size_t i = 0; i < 2; i++) {
		const char *o = i ? c->out2 : c->out1;

		if (!*o)
			continue;
		subst(o, want, sizeof(want));
		assert_has(out, want, c->what);
	}
	if (c->err[0])
		assert_has(err, c->err, c->what);
	if (c->code == 0 || c->code == 77)
		cr_assert_eq(count_lines(out), 1, "check prints one verdict line: %s", out);
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

/* The demo succeeds and removes its own directory (the one it printed). */
Test(cli, demo)
{
	char out[OUT_MAX], err[OUT_MAX], dir[128];
	const char *p, *end;
	struct args a = { .n = 0 };

	args_add(&a, "ttybroker"), args_add(&a, "demo");
	cr_assert_eq(run_cmd(&a, out, err), 0, "stdout: %s stderr: %s", out, err);
	assert_has(out, "done", "stdout");
	p = strstr(out, "/tmp/ttybroker-demo.");
	cr_assert_not_null(p, "demo did not name its directory:\n%s", out);
	end = strchr(p + strlen("/tmp/ttybroker-demo."), '/');
	cr_assert_not_null(end);
	snprintf(dir, sizeof(dir), "%.*s", (int)(end - p), p);
	cr_assert_not(tu_exists(dir), "demo left %s behind", dir);
}
