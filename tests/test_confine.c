/* SPDX-License-Identifier: MIT */
/*
 * test_confine.c - proof of confinement, read from /proc by root from
 * outside the confined processes:
 *
 *   frontend (after tb_init) and PROGRAM (under `ttybroker run`):
 *     every uid and gid is nobody's, no supplementary group but nogroup,
 *     every capability set empty, no_new_privs set (so a setuid-root
 *     program run by PROGRAM stays nobody);
 *   backend: seccomp filter mode, no_new_privs, exactly CAP_DAC_OVERRIDE
 *     and CAP_FOWNER (permitted, effective and bounding), no core dumps,
 *     CONFINE_NOFILE open files, CONFINE_FSIZE bytes per file, and not
 *     dumpable (a process with the backend's own uid and capabilities, but
 *     no CAP_SYS_PTRACE, cannot read its /proc/PID/environ).
 *
 * The library frontend is a child forked here that calls tb_init(); it
 * waits on a pipe until the test is done looking.  The test process is a
 * child subreaper, so the backend is reaped here even if the frontend is
 * killed.  (Local helpers: testutil.h has no child harness.)
 */
#include <criterion/criterion.h>

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cap-ng.h>

#include "confine.h"
#include "filter.h"
#include "testutil.h"
#include "ttybroker.h"

#define IO_MS     5000
#define KID_ALARM 30
#define NO_CAPS   "0000000000000000"
/* (1 << CAP_DAC_OVERRIDE) | (1 << CAP_FOWNER) */
#define BACKEND_CAPS "000000000000000a"
#define IDS_NOBODY "65534\t65534\t65534\t65534"

static struct tu_env env;
static struct tu_pty pty;
static char extra[200];   /* a file a test adds to env.dir, or "" */
static pid_t kid = -1;    /* the library frontend, or the ttybroker command */
static int kid_pipe = -1; /* write end: closing it lets the frontend end */

_Static_assert(CAP_DAC_OVERRIDE == 1 && CAP_FOWNER == 3, "BACKEND_CAPS bits");

/* Children of PID, up to MAX, from /proc.  Their number. */
static int children_of(pid_t pid, pid_t *out, int max)
{
	return tu_children(pid, out, max);
}

/* A status value with trailing blanks removed ("Groups:\t65534 \n"). */
static void status_of(pid_t pid, const char *key, char *out, size_t len)
{
	size_t n;

	cr_assert(tu_proc_status(pid, key, out, len), "/proc/%d/status: no %s", (int)pid, key);
	n = strlen(out);
	while (n > 0 && (out[n - 1] == ' ' || out[n - 1] == '\t'))
		out[--n] = '\0';
}

static void assert_status(pid_t pid, const char *who, const char *key, const char *want)
{
	char got[256];

	status_of(pid, key, got, sizeof(got));
	cr_assert_str_eq(got, want, "%s (pid %d) %s: '%s', want '%s'", who, (int)pid, key,
			 got, want);
}

/* Nobody, no groups of root, no capabilities at all, no_new_privs. */
static void assert_unprivileged(pid_t pid, const char *who)
{
	static const char *const caps[] = { "CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb" };

	assert_status(pid, who, "Uid", IDS_NOBODY);
	assert_status(pid, who, "Gid", IDS_NOBODY);
	assert_status(pid, who, "Groups", "65534");
	for (size_t i = 0; i < sizeof(caps) / sizeof(caps[0]); i++)
		assert_status(pid, who, caps[i], NO_CAPS);
	assert_status(pid, who, "NoNewPrivs", "1");
}

/* The Seccomp line is checked by backend_seccomp, skipped when unfiltered. */
static void assert_backend_status(pid_t pid)
{
	if (FILTER_LOADED)
		assert_status(pid, "backend", "Seccomp", "2");
	assert_status(pid, "backend", "NoNewPrivs", "1");
	assert_status(pid, "backend", "CapPrm", BACKEND_CAPS);
	assert_status(pid, "backend", "CapEff", BACKEND_CAPS);
	assert_status(pid, "backend", "CapBnd", BACKEND_CAPS);
	assert_status(pid, "backend", "CapInh", NO_CAPS);
	assert_status(pid, "backend", "CapAmb", NO_CAPS);
}

/* Soft and hard value of limit NAME in /proc/PID/limits ("unlimited" = -1). */
static void limit_of(pid_t pid, const char *name, long long *soft, long long *hard)
{
	char path[64], line[256], s[32], h[32];
	size_t n = strlen(name);
	bool found = false;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/limits", (int)pid);
	cr_assert_not_null(f = fopen(path, "re"), "%s: %s", path, strerror(errno));
	while (!found && fgets(line, sizeof(line), f)) {
		if (strncmp(line, name, n) != 0 || line[n] != ' ')
			continue;
		cr_assert_eq(sscanf(line + n, "%31s %31s", s, h), 2, "%s", line);
		*soft = strcmp(s, "unlimited") ? atoll(s) : -1;
		*hard = strcmp(h, "unlimited") ? atoll(h) : -1;
		found = true;
	}
	fclose(f);
	cr_assert(found, "%s: no '%s'", path, name);
}

static void assert_limit(pid_t pid, const char *name, long long want)
{
	long long soft, hard;

	limit_of(pid, name, &soft, &hard);
	cr_assert_eq(soft, want, "backend %s soft limit %lld, want %lld", name, soft, want);
	cr_assert_eq(hard, want, "backend %s hard limit %lld, want %lld", name, hard, want);
}

/* The frontend's one byte on FD says tb_init() returned 0. */
static void wait_ready(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	char c;

	cr_assert_eq(poll(&p, 1, IO_MS), 1, "tb_init did not return");
	cr_assert_eq(read(fd, &c, 1), 1, "tb_init failed in the child");
	close(fd);
}

/*
 * Start the library frontend: tb_init() to nobody, then wait until the
 * pipe closes.  Returns once PROTO_READY came back, i.e. the backend is
 * confined.  The child exits 0, or 1 if tb_init() failed.
 */
static void frontend_start(void)
{
	int pv[2], rv[2];
	char c;

	cr_assert_eq(pipe2(pv, O_CLOEXEC), 0);
	cr_assert_eq(pipe2(rv, O_CLOEXEC), 0);
	kid = fork();
	cr_assert_geq(kid, 0);
	if (kid == 0) {
		struct tb_options o = {
			.policy = env.policy, .lockdir = env.lockdir,
			.user = "nobody", .log = TB_LOG_QUIET,
		};
		struct tb_broker *b;

		close(pv[1]);
		close(rv[0]);
		tu_pty_close(&pty);
		alarm(KID_ALARM);
		if (tb_init(&o, &b) != 0)
			_exit(1);
		if (write(rv[1], "r", 1) != 1 || read(pv[0], &c, 1) < 0)
			_exit(1);
		tb_shutdown(b);
		_exit(0);
	}
	close(pv[0]);
	close(rv[1]);
	kid_pipe = pv[1];
	wait_ready(rv[0]);
}

/* Let the library frontend shut down; it must exit 0. */
static void frontend_stop(void)
{
	int st;

	close(kid_pipe);
	kid_pipe = -1;
	st = tu_wait(kid, IO_MS);
	if (st >= 0)
		kid = -1;
	cr_assert_eq(st, 0, "frontend exit status %d", st);
}

/* The frontend's only child: the backend. */
static pid_t backend_of(pid_t frontend)
{
	pid_t c[4];

	cr_assert_eq(children_of(frontend, c, 4), 1, "the frontend has one child");
	return c[0];
}

/* Reap every remaining child: orphaned backends end on EOF; SIGKILL stragglers. */
static void reap_all(void)
{
	tu_reap_all(2000);
}

static void setup(void)
{
	cr_assert_eq(prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0), 0);
	extra[0] = '\0';
	tu_env_init(&env);
	tu_pty_open(&pty, TU_NOBODY);
	tu_policy(&env, "permit nobody pts/*\n");
}

static void teardown(void)
{
	if (kid_pipe >= 0)
		close(kid_pipe);
	kid_pipe = -1;
	if (kid > 0) {
		kill(kid, SIGKILL);
		waitpid(kid, NULL, 0);
	}
	kid = -1;
	reap_all();
	tu_pty_close(&pty);
	if (extra[0])
		unlink(extra);
	tu_env_fini(&env);
}

TestSuite(confine, .init = setup, .fini = teardown, .timeout = 60);

Test(confine, frontend_after_tb_init)
{
	frontend_start();
	assert_unprivileged(kid, "frontend");
	frontend_stop();
}

Test(confine, backend_status)
{
	frontend_start();
	assert_backend_status(backend_of(kid));
	frontend_stop();
}

Test(confine, backend_seccomp)
{
	if (!FILTER_LOADED)
		tu_skip(teardown, "unfiltered build (TB_UNFILTERED, make SANITIZE=1 or VALGRIND=1): "
			     "the backend has no seccomp filter");
	frontend_start();
	assert_status(backend_of(kid), "backend", "Seccomp", "2");
	frontend_stop();
}

Test(confine, backend_rlimits)
{
	pid_t bp;

	frontend_start();
	bp = backend_of(kid);
	assert_limit(bp, "Max core file size", 0);
	assert_limit(bp, "Max open files", CONFINE_NOFILE);
	assert_limit(bp, "Max file size", CONFINE_FSIZE);
	frontend_stop();
}

/*
 * In a forked probe: become the backend's equal (uid 0, gid 0, exactly its
 * two capabilities, hence no CAP_SYS_PTRACE) and try /proc/PID/environ of
 * a dumpable twin of ourselves (must work: the probe is meaningful) and of
 * TARGET (must fail with EACCES: TARGET is not dumpable).  Exit code: 0
 * as expected, 1 twin unreadable, 2 target readable, 3 setup failed.
 */
static _Noreturn void probe_dumpable(pid_t target)
{
	char path[64];
	pid_t twin;
	int fd, code;

	capng_clear(CAPNG_SELECT_BOTH);
	if (capng_updatev(CAPNG_ADD, CAPNG_EFFECTIVE | CAPNG_PERMITTED,
			  CAP_DAC_OVERRIDE, CAP_FOWNER, -1) < 0 ||
	    capng_apply(CAPNG_SELECT_CAPS) < 0 || getuid() != 0 || getgid() != 0)
		_exit(3);
	twin = fork();
	if (twin < 0)
		_exit(3);
	if (twin == 0) {
		alarm(KID_ALARM);
		pause();
		_exit(0);
	}
	snprintf(path, sizeof(path), "/proc/%d/environ", (int)twin);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	code = fd < 0 ? 1 : 0;
	if (fd >= 0)
		close(fd);
	kill(twin, SIGKILL);
	waitpid(twin, NULL, 0);
	if (code)
		_exit(code);
	snprintf(path, sizeof(path), "/proc/%d/environ", (int)target);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	_exit(fd < 0 && errno == EACCES ? 0 : 2);
}

Test(confine, backend_not_dumpable)
{
	pid_t bp, probe;
	int st;

	frontend_start();
	bp = backend_of(kid);
	assert_status(bp, "backend", "Uid", "0\t0\t0\t0"); /* the probe's equal */
	assert_status(bp, "backend", "Gid", "0\t0\t0\t0");
	probe = fork();
	cr_assert_geq(probe, 0);
	if (probe == 0)
		probe_dumpable(bp);
	st = tu_wait(probe, IO_MS);
	cr_assert_neq(st, 1, "probe could not read a dumpable twin: test is void");
	cr_assert_neq(st, 2, "backend's /proc/PID/environ readable: it is dumpable");
	cr_assert_eq(st, 0, "probe status %d", st);
	frontend_stop();
}

/* comm of PID, without the newline; "" if gone. */
static void comm_of(pid_t pid, char *out, size_t len)
{
	char path[64];
	FILE *f;

	out[0] = '\0';
	snprintf(path, sizeof(path), "/proc/%d/comm", (int)pid);
	if ((f = fopen(path, "re"))) {
		if (fgets(out, (int)len, f))
			out[strcspn(out, "\n")] = '\0';
		fclose(f);
	}
}

/* Under FRONTEND, wait for a child named NAME (after exec).  Its pid. */
static pid_t child_named(pid_t frontend, const char *name)
{
	pid_t c[8];
	char comm[32];

	for (int t = 0; t < IO_MS / 5; t++) {
		int n = children_of(frontend, c, 8);

		for (int i = 0; i < n; i++) {
			comm_of(c[i], comm, sizeof(comm));
			if (strcmp(comm, name) == 0)
				return c[i];
		}
		usleep(5000);
	}
	cr_assert_fail("no child '%s' under pid %d", name, (int)frontend);
	return -1;
}

/* `ttybroker run`: the command, its backend and PROGRAM, all inspected live. */
Test(confine, run_program)
{
	char *argv[] = { "ttybroker", "-p", env.policy, "-l", env.lockdir, "-u", "nobody",
			 "-q", "run", pty.port, "--", "sleep", "30", NULL };
	pid_t prog, bp;
	int st;

	kid = tu_spawn(&env, argv);
	prog = child_named(kid, "sleep");
	bp = child_named(kid, "ttybroker"); /* the other child: PROGRAM has exec'd */
	cr_assert_neq(bp, prog);
	assert_unprivileged(prog, "PROGRAM");
	assert_unprivileged(kid, "ttybroker run");
	assert_backend_status(bp);
	cr_assert_eq(kill(kid, SIGTERM), 0); /* passed on to PROGRAM */
	st = tu_wait(kid, IO_MS);
	if (st >= 0)
		kid = -1;
	cr_assert_eq(st, 128 + SIGTERM, "exit status %d", st);
}

/* Copy /usr/bin/id to PATH as a setuid-root program. */
static void make_setuid_id(const char *path)
{
	char buf[65536];
	int in, out;
	ssize_t n;

	in = open("/usr/bin/id", O_RDONLY | O_CLOEXEC);
	cr_assert_geq(in, 0, "/usr/bin/id: %s", strerror(errno));
	out = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0700);
	cr_assert_geq(out, 0, "%s: %s", path, strerror(errno));
	while ((n = read(in, buf, sizeof(buf))) > 0)
		cr_assert_eq(write(out, buf, (size_t)n), n);
	cr_assert_eq(n, 0);
	close(in);
	cr_assert_eq(close(out), 0);
	cr_assert_eq(chown(path, 0, 0), 0);
	cr_assert_eq(chmod(path, 04755), 0);
}

/* Run PATH as plain nobody (no ttybroker); its output into OUT. */
static void run_as_nobody(const char *path, char *out, size_t len)
{
	int pv[2], st;
	pid_t pid;
	ssize_t n;
	size_t got = 0;

	cr_assert_eq(pipe2(pv, O_CLOEXEC), 0);
	pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		gid_t g = TU_NOBODY;

		dup2(pv[1], 1);
		if (setgroups(1, &g) < 0 || setresgid(g, g, g) < 0 ||
		    setresuid(TU_NOBODY, TU_NOBODY, TU_NOBODY) < 0)
			_exit(126);
		execl(path, path, (char *)NULL);
		_exit(127);
	}
	close(pv[1]);
	while (got + 1 < len && (n = read(pv[0], out + got, len - 1 - got)) > 0)
		got += (size_t)n;
	out[got] = '\0';
	close(pv[0]);
	st = tu_wait(pid, IO_MS);
	cr_assert_eq(st, 0, "%s as nobody: status %d", path, st);
}

Test(confine, setuid_program_stays_nobody)
{
	char out[512];
	char *argv[] = { "ttybroker", "-p", env.policy, "-l", env.lockdir, "-u", "nobody",
			 "-q", "run", pty.port, "--", extra, NULL };

	snprintf(extra, sizeof(extra), "%s/id-setuid", env.dir);
	make_setuid_id(extra);
	/* Control: without no_new_privs the setuid bit does work here. */
	run_as_nobody(extra, out, sizeof(out));
	cr_assert(strstr(out, "euid=0(") != NULL, "control run: %s", out);
	cr_assert_eq(tu_run(&env, argv, out, sizeof(out), NULL, 0, IO_MS), 0);
	cr_assert(strstr(out, "uid=65534(") != NULL, "%s", out);
	cr_assert(strstr(out, "euid=") == NULL, "PROGRAM's setuid child gained: %s", out);
}

/*
 * docs/DESIGN.md's capability table names exactly the capabilities
 * confine.c keeps: the design doc and the code stay in step.
 */
Test(confine, design_doc_lists_kept_caps)
{
	const unsigned int *kept;
	size_t nkept = confine_kept(&kept), ndoc = 0;
	char line[1024];
	bool in_table = false;
	FILE *f = fopen("docs/DESIGN.md", "re");

	cr_assert_not_null(f, "docs/DESIGN.md (run from the repository root)");
	while (fgets(line, sizeof(line), f)) {
		char name[64];
		int cap;

		if (strncmp(line, "| capability |", 14) == 0) {
			in_table = true;
			continue;
		}
		if (!in_table || strncmp(line, "|---", 4) == 0)
			continue;
		if (sscanf(line, "| `CAP_%63[A-Z_]` |", name) != 1)
			break;
		for (char *p = name; *p; p++)
			*p = (char)tolower((unsigned char)*p);
		cap = capng_name_to_capability(name);
		cr_assert_geq(cap, 0, "unknown capability CAP_%s in DESIGN.md", name);
		bool found = false;
		for (size_t i = 0; i < nkept; i++)
			found |= kept[i] == (unsigned int)cap;
		cr_assert(found, "DESIGN.md lists CAP_%s, which the backend does not keep", name);
		ndoc++;
	}
	fclose(f);
	cr_assert(in_table, "no capability table in DESIGN.md");
	cr_assert_eq(ndoc, nkept, "DESIGN.md lists %zu capabilities, the code keeps %zu",
		     ndoc, nkept);
	cr_assert_leq(nkept, 3, "the issue allows at most three");
}

/*
 * A caller's tiny RLIMIT_FSIZE must not hurt the backend: it is reset, so
 * neither the 11-byte lock file nor an audit line appended to a large
 * stderr log (SIGXFSZ) can stop it.  The command runs with a soft
 * RLIMIT_FSIZE of 1 byte (the hard limit stays: raising it needs
 * CAP_SYS_RESOURCE, which some CI containers lack) and -v, with stderr
 * appended to a file already past that limit.
 */
Test(confine, small_fsize_limit_is_reset)
{
	char log[160], lock[256], buf[64];
	struct rlimit one = { 1, RLIM_INFINITY };
	int fd, status;
	pid_t pid;

	tu_policy(&env, "permit nobody %s\n", pty.port);
	snprintf(log, sizeof(log), "%s/stderr.log", env.dir);
	snprintf(extra, sizeof(extra), "%s", log);
	fd = open(log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	cr_assert_geq(fd, 0);
	memset(buf, 'x', sizeof(buf));
	for (int i = 0; i < 200; i++)
		cr_assert_eq(write(fd, buf, sizeof(buf)), (ssize_t)sizeof(buf));
	close(fd);
	tu_lockfile(&env, pty.port, lock, sizeof(lock));
	pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		int err = open(log, O_WRONLY | O_APPEND);

		if (err < 0 || dup2(err, 2) < 0 || setrlimit(RLIMIT_FSIZE, &one) < 0)
			_exit(100);
		signal(SIGXFSZ, SIG_IGN); /* the command may write; it is not the subject */
		execl(env.bin, env.bin, "-v", "-q", "-u", "nobody", "-p", env.policy,
		      "-l", env.lockdir, "run", pty.port, "--", "/bin/sh", "-c",
		      "test -n \"$TTYBROKER_FD\"", (char *)NULL);
		_exit(101);
	}
	status = tu_wait(pid, 10000);
	cr_assert_eq(status, 0, "ttybroker run exited %d", status);
	cr_assert(tu_wait_path(lock, false, 5000), "lock file left behind");
	fd = open(log, O_RDONLY | O_CLOEXEC);
	cr_assert_geq(fd, 0);
	cr_assert_gt(lseek(fd, 0, SEEK_END), 200 * (off_t)sizeof(buf),
		     "the backend's audit line reached the log");
	close(fd);
}
