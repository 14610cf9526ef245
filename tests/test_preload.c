/* SPDX-License-Identifier: MIT */
/*
 * test_preload.c - libttybroker-preload.so under `ttybroker exec` and
 * `ttybroker run`, end to end: a private ttybrokerd (own socket, policy
 * and lock directory), the real tools run as nobody, and a pty slave as
 * the "serial port" that nobody may not open itself (owner nobody, mode
 * 0000), so every open that works went through the broker.  A tool that
 * is not installed skips its test with the reason.
 */
#include <criterion/criterion.h>

#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "lock.h"
#include "testutil.h"

#define WAIT_MS 10000

static struct tu_env env;
static struct tu_pty pty;
static char sock_path[160], log_path[160], out_path[160], link_path[160];
static char bindir[256], nbdir[160];
static pid_t daemon_pid = -1, tool_pid = -1;
/* The tool's own terminal, for the tests that type into it; or closed. */
static struct tu_pty term = { .master = -1 };
/* The daemon's lock directory when not env.lockdir (the system's). */
static const char *daemon_lockdir;
/* Lock files a test may leave in the system's lock directory, to remove. */
static char sys_locks[2][256];
/* Programs a test may make in env.dir (one setuid root), removed even if it fails. */
static const char *const made[] = { "suid", "static", "caps" };

/* The directory of the ttybroker command: ttybrokerd and the preload are there. */
static void find_bindir(void)
{
	char *slash;

	snprintf(bindir, sizeof(bindir), "%s", env.bin);
	slash = strrchr(bindir, '/');
	cr_assert_not_null(slash, "TTYBROKER_BIN is a path");
	*slash = '\0';
}

static void setup(void)
{
	tu_env_init(&env);
	find_bindir();
	snprintf(sock_path, sizeof(sock_path), "%s/sock", env.dir);
	snprintf(log_path, sizeof(log_path), "%s/daemon.log", env.dir);
	snprintf(out_path, sizeof(out_path), "%s/out", env.dir);
	snprintf(link_path, sizeof(link_path), "%s/myport", env.dir);
	/* A directory nobody may write: the tools' capture files, screen's sockets. */
	snprintf(nbdir, sizeof(nbdir), "%s/nobody", env.dir);
	cr_assert_eq(mkdir(nbdir, 0700), 0);
	cr_assert_eq(chown(nbdir, TU_NOBODY, TU_NOBODY), 0);
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	signal(SIGPIPE, SIG_IGN);
	tu_pty_open(&pty, TU_NOBODY);
	cr_assert_eq(chmod(pty.path, 0), 0, "chmod 0000 %s", pty.path);
}

static void teardown(void)
{
	if (tool_pid > 0) {
		kill(-tool_pid, SIGKILL);
		tu_wait(tool_pid, WAIT_MS);
	}
	tool_pid = -1;
	tu_daemon_stop(daemon_pid);
	daemon_pid = -1;
	tu_reap_all(2000);
	for (size_t i = 0; i < 2; i++)
		if (sys_locks[i][0])
			unlink(sys_locks[i]);
	memset(sys_locks, 0, sizeof(sys_locks));
	tu_pty_close(&term);
	tu_pty_close(&pty);
	for (size_t i = 0; i < sizeof(made) / sizeof(made[0]); i++) {
		char path[256];

		snprintf(path, sizeof(path), "%s/%s", env.dir, made[i]);
		unlink(path);
	}
	unlink(sock_path);
	unlink(log_path);
	unlink(out_path);
	unlink(link_path);
	tu_rm_tree(nbdir);
	tu_env_fini(&env);
}

TestSuite(preload, .init = setup, .fini = teardown, .timeout = 120);

/* Start ttybrokerd with POLICY text on our socket, policy and lock dir. */
static void daemon_start(const char *policy)
{
	tu_policy(&env, "%s", policy);
	daemon_pid = tu_daemon_start_in(&env, daemon_lockdir ? daemon_lockdir : env.lockdir,
					sock_path, log_path, 2000);
}

/* Is PROG in the PATH?  (Tools are optional; their tests skip.) */
static bool have(const char *prog)
{
	char cmd[256];

	snprintf(cmd, sizeof(cmd), "command -v %s >/dev/null 2>&1", prog);
	return system(cmd) == 0;
}

/*
 * Give the tool a fixed, small environment, the same here as on a CI
 * machine: PATH and the sanitizers' options from ours, the daemon's
 * socket, and nothing else a developer's shell happens to set.  (CI has
 * no SHELL: script(1) then runs its command with sh, and a tool started
 * there behind timeout(1) is in a background process group.)
 */
static void tool_environ(void)
{
	static const char *const keep[] = { "PATH", "ASAN_OPTIONS", "UBSAN_OPTIONS",
					    "LSAN_OPTIONS" };
	char *val[sizeof(keep) / sizeof(keep[0])];

	for (size_t i = 0; i < sizeof(keep) / sizeof(keep[0]); i++) {
		const char *v = getenv(keep[i]);

		val[i] = v ? strdup(v) : NULL;
	}
	clearenv();
	for (size_t i = 0; i < sizeof(keep) / sizeof(keep[0]); i++)
		if (val[i])
			setenv(keep[i], val[i], 1);
	if (!getenv("PATH"))
		setenv("PATH", "/usr/local/bin:/usr/bin:/bin", 1);
	setenv("TTYBROKER_SOCKET", sock_path, 1);
	setenv("TTYBROKER_HELPER", "/nonexistent", 1);
	setenv("HOME", "/tmp", 1);
	setenv("TERM", "dumb", 1);
}

/*
 * Run the shell command CMD as nobody in a session of its own, with the
 * daemon's socket in the environment; stdout and stderr go to out_path,
 * or, with TTY, all three to the slave of TTY, which becomes the tool's
 * controlling terminal.  In CMD, @ stands for the ttybroker command, %
 * for the port's path and # for a directory of nobody's.
 */
static void tool_run(const char *cmd, const struct tu_pty *tty)
{
	char line[2048];
	size_t n = 0;
	pid_t pid;

	for (const char *c = cmd; *c && n < sizeof(line) - 300; c++) {
		if (*c == '@')
			n += (size_t)snprintf(line + n, sizeof(line) - n, "%s", env.bin);
		else if (*c == '%')
			n += (size_t)snprintf(line + n, sizeof(line) - n, "%s", pty.path);
		else if (*c == '#')
			n += (size_t)snprintf(line + n, sizeof(line) - n, "%s", nbdir);
		else
			line[n++] = *c;
	}
	line[n] = '\0';
	pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		int out = open(out_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
		int null = open("/dev/null", O_RDONLY | O_CLOEXEC);

		if (out < 0 || null < 0 || fchown(out, TU_NOBODY, TU_NOBODY) < 0 ||
		    dup2(null, 0) < 0 || dup2(out, 1) < 0 || dup2(out, 2) < 0 ||
		    setsid() < 0)
			_exit(120);
		if (tty) { /* a session leader's first open of a tty makes it its own */
			int t = open(tty->path, O_RDWR | O_CLOEXEC);

			if (t < 0 || dup2(t, 0) < 0 || dup2(t, 1) < 0 || dup2(t, 2) < 0)
				_exit(121);
		}
		if (setgroups(0, NULL) < 0 ||
		    setresgid(TU_NOBODY, TU_NOBODY, TU_NOBODY) < 0 ||
		    setresuid(TU_NOBODY, TU_NOBODY, TU_NOBODY) < 0)
			_exit(120);
		tool_environ();
		execl("/bin/sh", "sh", "-c", line, (char *)NULL);
		_exit(127);
	}
	tool_pid = pid;
}

static void tool_start(const char *cmd)
{
	tool_run(cmd, NULL);
}

/* Wait for the tool; its exit status. */
static int tool_wait(void)
{
	int st = tu_wait(tool_pid, WAIT_MS * 2);

	if (st < 0)
		kill(-tool_pid, SIGKILL), tu_wait(tool_pid, WAIT_MS);
	tool_pid = -1;
	return st;
}

/* What the tool printed. */
static void tool_output(char *buf, size_t len)
{
	tu_read_file(out_path, buf, len);
}

/* The port's speed, read on the slave side (root may open mode 0000). */
static speed_t port_speed(void)
{
	struct termios t;
	int fd = open(pty.path, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
	speed_t s = 0;

	if (fd < 0)
		return 0;
	if (tcgetattr(fd, &t) == 0)
		s = cfgetospeed(&t);
	close(fd);
	return s;
}

/* Wait until the port runs at SPEED (the tool has opened and set it up). */
static bool speed_becomes(speed_t speed)
{
	for (int i = 0; i < WAIT_MS / 20; i++) {
		if (port_speed() == speed)
			return true;
		usleep(20000);
	}
	return false;
}

static void master_write(const char *s)
{
	cr_assert_eq(write(pty.master, s, strlen(s)), (ssize_t)strlen(s));
}

static int lock_files(void)
{
	char path[256];

	tu_lockfile(&env, pty.port, path, sizeof(path));
	return tu_exists(path) ? 1 : 0;
}

static bool locks_gone(void)
{
	char path[256];

	tu_lockfile(&env, pty.port, path, sizeof(path));
	return tu_wait_path(path, false, WAIT_MS);
}

/* ---- the tools ---------------------------------------------------------- */

/*
 * Write LINE to the port again every half second until FILE (in nbdir,
 * or an absolute path) holds NEEDLE.  A tool that has set the speed may
 * still flush its input or open its capture file after that, so a single
 * early write can be lost without anything being wrong.
 */
static bool master_write_until(const char *line, const char *file, const char *needle)
{
	char path[256], buf[8192];

	if (file[0] == '/')
		snprintf(path, sizeof(path), "%s", file);
	else
		snprintf(path, sizeof(path), "%s/%s", nbdir, file);
	for (int i = 0; i < WAIT_MS / 50; i++) {
		ssize_t n;

		if (i % 10 == 0)
			master_write(line);
		n = tu_read_file(path, buf, sizeof(buf));
		if (n > 0 && memmem(buf, (size_t)n, needle, strlen(needle)))
			return true;
		usleep(50000);
	}
	return false;
}

/*
 * The pid of the client named COMM that the daemon granted a port to,
 * from its audit line; or -1.  (A tool under script(1) is in a session
 * of its own, out of reach of a kill of the tool's process group.)
 */
static pid_t granted_pid(const char *comm)
{
	char buf[16384], want[64];

	tu_read_file(log_path, buf, sizeof(buf));
	snprintf(want, sizeof(want), " comm=%s ", comm);
	for (char *line = strtok(buf, "\n"); line; line = strtok(NULL, "\n")) {
		const char *p = strstr(line, " pid=");

		if (p && strstr(line, want) && strstr(line, " verdict=permit "))
			return (pid_t)atoi(p + 5);
	}
	return -1;
}

Test(preload, picocom)
{
	char out[4096];

	if (!have("picocom"))
		tu_skip(teardown, "picocom is not installed");
	daemon_start("permit * pts/*\n");
	tool_start("@ exec -- picocom -q -b 57600 -x 5000 %");
	cr_assert(speed_becomes(B57600), "picocom set 57600 baud on the real port");
	cr_assert(master_write_until("hello-picocom\r\n", out_path, "hello-picocom"),
		  "port -> picocom");
	cr_assert_eq(tool_wait(), 0);
	tool_output(out, sizeof(out));
	cr_assert(strstr(out, "hello-picocom"), "port -> picocom; it printed: %s", out);
	cr_assert(locks_gone(), "picocom's exit released the port");
}

Test(preload, tio)
{
	char out[4096];

	if (!have("tio"))
		tu_skip(teardown, "tio is not installed");
	daemon_start("permit * pts/*\n");
	tool_start("(echo ping; sleep 8) | @ exec -- tio -b 115200 -r --response-timeout 8000 %");
	/* tio -r sends its stdin, then prints the first line that comes back. */
	cr_assert(speed_becomes(B115200), "tio set 115200 baud on the real port");
	cr_assert(master_write_until("pong-tio\r\n", out_path, "pong-tio"), "port -> tio");
	cr_assert_eq(tool_wait(), 0);
	tool_output(out, sizeof(out));
	cr_assert(strstr(out, "pong-tio"), "port -> tio; it printed: %s", out);
	cr_assert(locks_gone(), "tio's exit released the port");
}

/*
 * minicom needs a terminal: script(1) gives it one; -C captures what
 * comes in.  Once the capture shows the line, the test kills minicom
 * (timeout(1) is only the backstop if the test itself dies).  timeout
 * runs in the foreground: by default it moves itself and minicom to a
 * process group of their own, and minicom, setting up its terminal from
 * the background, is stopped by SIGTTOU (unless script's shell happened
 * to exec timeout in its own place, as bash does and sh does not).
 */
Test(preload, minicom)
{
	pid_t pid;

	if (!have("minicom"))
		tu_skip(teardown, "minicom is not installed");
	if (!have("script"))
		tu_skip(teardown, "script (bsdutils) is not installed");
	daemon_start("permit * pts/*\n");
	tool_start("TERM=vt100 HOME=# script -qfec "
		   "'timeout --foreground -s KILL 60 @ exec -- minicom -o -D % -b 57600 -C #/minicom.cap' "
		   "/dev/null");
	cr_assert(speed_becomes(B57600), "minicom set 57600 baud on the real port");
	cr_assert(master_write_until("hello-minicom\r\n", "minicom.cap", "hello-minicom"),
		  "port -> minicom's capture");
	pid = granted_pid("minicom");
	cr_assert_gt(pid, 1, "the daemon's audit line names minicom's pid");
	cr_assert_eq(kill(pid, SIGKILL), 0);
	tool_wait(); /* script(1) ends with its child */
	cr_assert(locks_gone(), "killing minicom released the port");
}

/* screen on a port: detached (-D -m), logging what comes in (-L -Logfile). */
Test(preload, screen)
{
	pid_t pid;

	if (!have("screen"))
		tu_skip(teardown, "screen is not installed");
	daemon_start("permit * pts/*\n");
	/* The log is flushed every second (the default is 10), so the test can watch it. */
	tool_start("mkdir -m 700 #/s && printf 'logfile flush 1\\n' > #/screenrc && "
		   "SCREENDIR=#/s timeout 60 @ exec -- screen -c #/screenrc -D -m "
		   "-L -Logfile #/screen.log % 57600");
	cr_assert(speed_becomes(B57600), "screen set 57600 baud on the real port");
	cr_assert(master_write_until("hello-screen\r\n", "screen.log", "hello-screen"),
		  "port -> screen's log");
	pid = granted_pid("screen");
	cr_assert_gt(pid, 1, "the daemon's audit line names screen's pid");
	cr_assert_eq(kill(pid, SIGTERM), 0);
	cr_assert_geq(tool_wait(), 0, "screen ended on SIGTERM, and timeout(1) with it");
	cr_assert(locks_gone(), "screen's end released the port");
}

Test(preload, pyserial)
{
	char out[4096];

	if (system("/usr/bin/python3 -c 'import serial' >/dev/null 2>&1") != 0)
		tu_skip(teardown, "python3 with pyserial (python3-serial) is not installed");
	daemon_start("permit * pts/*\n");
	tool_start("@ exec -- /usr/bin/python3 -c \""
		   "import serial; s = serial.Serial('%', 57600, timeout=8); "
		   "s.write(b'ping'); print(s.readline().decode().strip()); s.close()\"");
	cr_assert(tu_pty_expect(&pty, "ping", WAIT_MS), "pyserial -> port");
	cr_assert_eq(port_speed(), B57600, "pyserial set 57600 baud on the real port");
	master_write("pong-pyserial\n");
	cr_assert_eq(tool_wait(), 0);
	tool_output(out, sizeof(out));
	cr_assert(strstr(out, "pong-pyserial"), "port -> pyserial; it printed: %s", out);
	cr_assert(locks_gone(), "close() released the port");
}

/* ---- refusals, release ---------------------------------------------------- */

/* A python3 one-liner that opens the port and prints the errno name or "open". */
#define PY_OPEN "/usr/bin/python3 -c \"import os, errno, time\n" \
	"try:\n    fd = os.open('%', os.O_RDWR | os.O_NOCTTY)\n" \
	"except OSError as e:\n    print('errno', errno.errorcode[e.errno]); raise SystemExit(3)\n"

static void need_python(void)
{
	if (access("/usr/bin/python3", X_OK) != 0)
		tu_skip(teardown, "python3 is not installed");
}

Test(preload, denied_is_eacces_with_one_line)
{
	char out[4096], want[128];

	need_python();
	daemon_start("deny * pts/*\n");
	tool_start("@ exec -- " PY_OPEN "print('opened')\"");
	cr_assert_eq(tool_wait(), 3);
	tool_output(out, sizeof(out));
	cr_assert(strstr(out, "errno EACCES"), "EACCES; it printed: %s", out);
	snprintf(want, sizeof(want), "ttybroker: %s: denied by policy", pty.path);
	cr_assert(strstr(out, want), "one line says why: %s", out);
	cr_assert_eq(lock_files(), 0);
}

Test(preload, busy_is_ebusy_with_one_line)
{
	char out[4096];
	pid_t holder;

	need_python();
	daemon_start("permit * pts/*\n");
	tool_start("@ exec -- " PY_OPEN "os.write(fd, b'held'); time.sleep(60)\"");
	holder = tool_pid;
	cr_assert(tu_pty_expect(&pty, "held", WAIT_MS), "the first program holds the port");
	tool_pid = -1;
	tool_start("@ exec -- " PY_OPEN "print('opened')\"");
	cr_assert_eq(tool_wait(), 3);
	tool_output(out, sizeof(out));
	cr_assert(strstr(out, "errno EBUSY"), "EBUSY; it printed: %s", out);
	cr_assert(strstr(out, ": port busy"), "one line says why: %s", out);
	kill(-holder, SIGKILL);
	cr_assert_geq(tu_wait(holder, WAIT_MS), 0);
	cr_assert(locks_gone(), "killing the holder released the port");
}

Test(preload, released_on_close_while_running)
{
	need_python();
	daemon_start("permit * pts/*\n");
	/* It closes the port once it reads a line: no race with the check. */
	tool_start("@ exec -- " PY_OPEN "os.write(fd, b'opened'); os.read(fd, 64); os.close(fd); "
		   "os.write(1, b'closed'); time.sleep(60)\"");
	cr_assert(tu_pty_expect(&pty, "opened", WAIT_MS));
	cr_assert_eq(lock_files(), 1, "the port is locked while open");
	master_write("close\n");
	cr_assert(locks_gone(), "close() released the port, PROGRAM still running");
	cr_assert_eq(waitpid(tool_pid, NULL, WNOHANG), 0, "PROGRAM is still running");
}

Test(preload, released_when_killed)
{
	need_python();
	daemon_start("permit * pts/*\n");
	tool_start("@ exec -- " PY_OPEN "os.write(fd, b'opened'); time.sleep(60)\"");
	cr_assert(tu_pty_expect(&pty, "opened", WAIT_MS));
	cr_assert_eq(lock_files(), 1);
	kill(-tool_pid, SIGKILL);
	cr_assert_geq(tool_wait(), 0);
	cr_assert(locks_gone(), "SIGKILL released the port");
}

Test(preload, port_openable_directly_is_not_brokered)
{
	char out[4096];

	need_python();
	cr_assert_eq(chmod(pty.path, 0600), 0);
	daemon_start("deny * pts/*\n");
	tool_start("@ exec -- " PY_OPEN "print('opened')\"");
	cr_assert_eq(tool_wait(), 0);
	tool_output(out, sizeof(out));
	cr_assert(strstr(out, "opened"), "what nobody may open it still opens: %s", out);
}

Test(preload, run_reopen_by_path_and_symlink)
{
	char out[4096];

	need_python();
	cr_assert_eq(symlink(pty.path, link_path), 0);
	daemon_start("permit * pts/*\n");
	{
		char cmd[1024];

		snprintf(cmd, sizeof(cmd),
			 "@ run %s -- /usr/bin/python3 -c \"import os\n"
			 "for p in ('%%', '%%', '%s'):\n"
			 "    fd = os.open(p, os.O_RDWR | os.O_NOCTTY); os.write(fd, b'<' + p.encode() + b'>'); os.close(fd)\n"
			 "os.close(3)\n"
			 "fd = os.open('%%', os.O_RDWR | os.O_NOCTTY | os.O_NONBLOCK); os.write(fd, b'<last>')\n"
			 "print('done')\"", pty.port, link_path);
		tool_start(cmd);
	}
	cr_assert(tu_pty_expect(&pty, "<last>", WAIT_MS), "opens, closes and reopens under run");
	cr_assert_eq(tool_wait(), 0);
	tool_output(out, sizeof(out));
	cr_assert(strstr(out, "done"), "it printed: %s", out);
	cr_assert(locks_gone(), "run released the port");
}

/*
 * Under run with fewer than 512 descriptors allowed, the preload cannot
 * keep a hidden dup of run's fd 3 when the program closes it.  A copy of
 * run's port the program still has must then not count against another
 * port that takes run's place in the table: closing that copy leaves the
 * other port held.
 */
Test(preload, run_port_copy_does_not_release_another_port)
{
	struct tu_pty other;
	char cmd[1536], lock[256];

	need_python();
	tu_pty_open(&other, TU_NOBODY);
	cr_assert_eq(chmod(other.path, 0), 0);
	daemon_start("permit * pts/*\n");
	snprintf(cmd, sizeof(cmd),
		 "@ run %s -- /usr/bin/python3 -c \"import os, resource, time\n"
		 "resource.setrlimit(resource.RLIMIT_NOFILE, (256, 256))\n"
		 "a = os.open('%%', os.O_RDWR | os.O_NOCTTY)\n"
		 "os.close(3)\n"
		 "b = os.open('%s', os.O_RDWR | os.O_NOCTTY); os.write(b, b'other')\n"
		 "os.close(a); os.write(b, b'-closed'); os.read(b, 64); os.close(b)\n"
		 "time.sleep(60)\"", pty.port, other.path);
	tool_start(cmd);
	cr_assert(tu_pty_expect(&other, "other-closed", WAIT_MS), "the other port, opened");
	tu_lockfile(&env, other.port, lock, sizeof(lock));
	/* A wrong release would reach the daemon within moments: give it one. */
	cr_assert(!tu_wait_path(lock, false, 1000),
		  "the other port is still held after the copy's close");
	cr_assert_eq(write(other.master, "go\n", 3), 3);
	cr_assert(tu_wait_path(lock, false, WAIT_MS), "its own close released it");
	tu_pty_close(&other);
}

/* ---- what exec can tell about PROGRAM -------------------------------------- */

/*
 * Run PATH as nobody under `ttybroker exec` with a daemon that permits
 * ptys; its exit status, and what it and exec printed into OUT.
 */
static int exec_program(const char *path, char *out, size_t len)
{
	char cmd[640];
	int st;

	daemon_start("permit * pts/*\n");
	snprintf(cmd, sizeof(cmd), "@ exec -- %s", path);
	tool_start(cmd);
	st = tool_wait();
	tool_output(out, len);
	return st;
}

/* Is env.dir on a nosuid mount (where setuid bits and file capabilities do nothing)? */
static bool dir_nosuid(void)
{
	struct statvfs vfs;

	return statvfs(env.dir, &vfs) == 0 && (vfs.f_flag & ST_NOSUID);
}

Test(preload, exec_says_setuid)
{
	char cmd[512], out[4096];

	if (dir_nosuid())
		tu_skip(teardown, "%s is on a nosuid mount: setuid does nothing", env.dir);
	snprintf(cmd, sizeof(cmd), "cp /bin/true %s/suid && chmod 4755 %s/suid", env.dir, env.dir);
	cr_assert_eq(system(cmd), 0);
	snprintf(cmd, sizeof(cmd), "%s/suid", env.dir);
	cr_assert_eq(exec_program(cmd, out, sizeof(out)), 0, "PROGRAM runs anyway");
	cr_assert(strstr(out, "is setuid or setgid: the loader ignores LD_PRELOAD"),
		  "exec says so: %s", out);
}

/*
 * A setuid program that belongs to the user who runs it changes no id:
 * the loader is not in secure mode and honours LD_PRELOAD, so exec has
 * nothing to warn about.
 */
Test(preload, exec_quiet_for_own_setuid)
{
	char cmd[640], out[4096], path[128];

	snprintf(path, sizeof(path), "%s/suid", env.dir);
	snprintf(cmd, sizeof(cmd), "cp /bin/true %s && chmod 4755 %s", path, path);
	cr_assert_eq(system(cmd), 0);
	cr_assert_eq(chown(path, TU_NOBODY, TU_NOBODY), 0);
	cr_assert_eq(chmod(path, 06755), 0, "chown cleared the bits; set them again");
	cr_assert_eq(exec_program(path, out, sizeof(out)), 0);
	cr_assert_null(strstr(out, "setuid"), "no warning for nobody's own program: %s", out);
}

/* A program with file capabilities runs in secure mode too: exec says so. */
Test(preload, exec_says_file_capabilities)
{
	/* struct vfs_cap_data, revision 2: effective, permitted CAP_NET_RAW */
	const uint32_t cap[5] = { htole32(0x02000000 | 1), htole32(1u << 13), 0, 0, 0 };
	char cmd[640], out[4096], path[128];

	if (dir_nosuid())
		tu_skip(teardown, "%s is on a nosuid mount: file capabilities do nothing", env.dir);
	snprintf(path, sizeof(path), "%s/caps", env.dir);
	snprintf(cmd, sizeof(cmd), "cp /bin/true %s", path);
	cr_assert_eq(system(cmd), 0);
	if (setxattr(path, "security.capability", cap, sizeof(cap), 0) != 0)
		tu_skip(teardown, "cannot set file capabilities here: %s", strerror(errno));
	cr_assert_eq(exec_program(path, out, sizeof(out)), 0, "PROGRAM runs anyway");
	cr_assert(strstr(out, "has file capabilities: the loader ignores LD_PRELOAD"),
		  "exec says so: %s", out);
}

Test(preload, exec_says_static)
{
	char cmd[512], out[4096], path[256];

	snprintf(path, sizeof(path), "%s/static", env.dir);
	snprintf(cmd, sizeof(cmd),
		 "printf 'int main(void){return 0;}\\n' | cc -static -x c -o %s - 2>/dev/null", path);
	if (system(cmd) != 0)
		tu_skip(teardown, "cannot link a static program here (no libc.a)");
	cr_assert_eq(exec_program(path, out, sizeof(out)), 0, "PROGRAM runs anyway");
	cr_assert(strstr(out, "is statically linked: the preload cannot reach it"),
		  "exec says so: %s", out);
}

/* ---- descriptor flags, fork ------------------------------------------------ */

/*
 * O_NONBLOCK and O_CLOEXEC as asked, on a dup of one open file description:
 * the second open's O_NONBLOCK shows on the first descriptor too (DESIGN.md).
 * A second open is a dup, not a second request (which would be busy).
 */
Test(preload, fd_flags_as_asked)
{
	char out[4096];

	need_python();
	daemon_start("permit * pts/*\n");
	tool_start("@ exec -- /usr/bin/python3 -c \"import os, fcntl\n"
		   "a = os.open('%', os.O_RDWR | os.O_NOCTTY)\n"
		   "fa = fcntl.fcntl(a, fcntl.F_GETFL); da = fcntl.fcntl(a, fcntl.F_GETFD)\n"
		   "b = os.open('%', os.O_RDWR | os.O_NOCTTY | os.O_NONBLOCK | os.O_CLOEXEC)\n"
		   "fb = fcntl.fcntl(b, fcntl.F_GETFL); db = fcntl.fcntl(b, fcntl.F_GETFD)\n"
		   "fa2 = fcntl.fcntl(a, fcntl.F_GETFL)\n"
		   "print('a', bool(fa & os.O_NONBLOCK), bool(da & fcntl.FD_CLOEXEC))\n"
		   "print('b', bool(fb & os.O_NONBLOCK), bool(db & fcntl.FD_CLOEXEC))\n"
		   "print('a2', bool(fa2 & os.O_NONBLOCK))\"");
	cr_assert_eq(tool_wait(), 0);
	tool_output(out, sizeof(out));
	/* Python's os.open() always adds O_CLOEXEC (PEP 446): only b's is ours to check. */
	cr_assert(strstr(out, "a False"), "blocking: %s", out);
	cr_assert(strstr(out, "b True True"), "O_NONBLOCK, O_CLOEXEC: %s", out);
	cr_assert(strstr(out, "a2 True"), "the status flag is shared: %s", out);
}

/*
 * A forked child that closes its copy of the port does not release the
 * parent's; the parent still writes to it, and its own close releases it.
 */
Test(preload, fork_child_does_not_release_the_parents_port)
{
	need_python();
	daemon_start("permit * pts/*\n");
	tool_start("@ exec -- /usr/bin/python3 -c \"import os, time\n"
		   "fd = os.open('%', os.O_RDWR | os.O_NOCTTY)\n"
		   "pid = os.fork()\n"
		   "if pid == 0:\n    os.close(fd); os._exit(0)\n"
		   "os.waitpid(pid, 0); time.sleep(0.5); os.write(fd, b'parent-still')\n"
		   "os.read(fd, 64); os.close(fd); time.sleep(60)\"");
	cr_assert(tu_pty_expect(&pty, "parent-still", WAIT_MS), "the parent still has the port");
	cr_assert_eq(lock_files(), 1, "the child's close did not release it");
	master_write("close\n"); /* the parent closes once it reads a line */
	cr_assert(locks_gone(), "the parent's close released it");
}

/* The shell's redirections open with O_CREAT (and O_TRUNC): brokered too. */
Test(preload, shell_redirection)
{
	/* Between sh's two opens no one has the slave open: the master would read EIO. */
	int keep = open(pty.path, O_RDWR | O_NOCTTY | O_CLOEXEC);

	cr_assert_geq(keep, 0);
	daemon_start("permit * pts/*\n");
	tool_start("@ exec -- sh -c 'printf via-sh-rdwr 1<>%; printf via-sh-trunc >%'");
	cr_assert(tu_pty_expect(&pty, "via-sh-rdwrvia-sh-trunc", WAIT_MS),
		  "sh <> and > through the broker");
	cr_assert_eq(tool_wait(), 0);
	cr_assert(locks_gone());
	close(keep);
}

/*
 * sh's `exec 3<>PORT` opens the port (fd 5, say), dup2()s it to 3 and
 * closes 5: the port stays held while the shell has it on fd 3, and is
 * released when the shell closes that.  (fd 3 was also where the preload
 * had put its connection to the broker, which the shell moves and closes.)
 */
Test(preload, shell_exec_redirection_keeps_the_port)
{
	daemon_start("permit * pts/*\n");
	tool_start("@ exec -- sh -c 'exec 3<>%; printf via-fd3 >&3; read x <&3; "
		   "exec 3>&-; echo closed; sleep 60'");
	cr_assert(tu_pty_expect(&pty, "via-fd3", WAIT_MS), "the shell has the port on fd 3");
	cr_assert_eq(lock_files(), 1, "the port is held while the shell has fd 3");
	master_write("go\n"); /* the shell reads a line, then closes fd 3 */
	cr_assert(locks_gone(), "closing fd 3 released the port");
	cr_assert_eq(waitpid(tool_pid, NULL, WNOHANG), 0, "the shell is still running");
}

/* ---- keystrokes: tool -> port --------------------------------------------- */

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

/* Start CMD (as tool_start) on a terminal of its own, 80x24, in `term`. */
static void tool_start_on_term(const char *cmd)
{
	struct winsize ws = { .ws_row = 24, .ws_col = 80 };

	tu_pty_open(&term, TU_NOBODY);
	cr_assert_eq(ioctl(term.master, TIOCSWINSZ, &ws), 0);
	tool_run(cmd, &term);
}

/* Read what the tool wrote to its terminal and drop it: a full pty would stall it. */
static void term_drain(void)
{
	char sink[4096];

	while (read(term.master, sink, sizeof(sink)) > 0)
		;
}

/*
 * Wait until the tool has put its terminal in raw mode, ready for keys
 * (tcgetattr on a pty master reads the slave's settings), draining it.
 */
static bool term_goes_raw(void)
{
	struct termios t;
	long end = now_ms() + WAIT_MS;

	cr_assert_eq(fcntl(term.master, F_SETFL, O_NONBLOCK), 0);
	while (now_ms() < end) {
		term_drain();
		if (tcgetattr(term.master, &t) == 0 && !(t.c_lflag & ICANON))
			return true;
		usleep(20000);
	}
	return false;
}

/*
 * Type KEYS into the tool's terminal until they come out of the serial
 * port's master, retyping every half second (keys typed while a tool
 * flushes its terminal are lost, as for a user), and keeping the
 * terminal drained.  Bounded by WAIT_MS; no timing is asserted.
 */
static bool typed_reaches_port(const char *keys)
{
	char buf[4096];
	size_t len = 0;
	long end = now_ms() + WAIT_MS, next = 0;

	buf[0] = '\0';
	while (now_ms() < end) {
		struct pollfd p[2] = { { .fd = pty.master, .events = POLLIN },
				       { .fd = term.master, .events = POLLIN } };

		if (now_ms() >= next) {
			cr_assert_eq(write(term.master, keys, strlen(keys)), (ssize_t)strlen(keys));
			next = now_ms() + 500;
		}
		if (poll(p, 2, 100) <= 0)
			continue;
		if (p[1].revents)
			term_drain();
		if (p[0].revents & POLLIN) {
			ssize_t n;

			if (len > sizeof(buf) / 2) { /* keep the tail: the needle may straddle */
				memmove(buf, buf + len - 64, 64);
				len = 64;
			}
			n = read(pty.master, buf + len, sizeof(buf) - 1 - len);
			if (n > 0) {
				len += (size_t)n;
				buf[len] = '\0';
				if (memmem(buf, len, keys, strlen(keys)))
					return true;
			}
		}
	}
	return false;
}

/* The port is open and set up, the terminal raw: type KEYS and see them come out. */
static void assert_keys_reach_port(speed_t speed, const char *keys)
{
	cr_assert(speed_becomes(speed), "the tool opened and set up the real port");
	cr_assert(term_goes_raw(), "the tool put its terminal in raw mode");
	cr_assert(typed_reaches_port(keys), "keys typed into the tool -> port: %s", keys);
}

Test(preload, picocom_keys_to_port)
{
	if (!have("picocom"))
		tu_skip(teardown, "picocom is not installed");
	daemon_start("permit * pts/*\n");
	tool_start_on_term("@ exec -- picocom -q -b 57600 %");
	assert_keys_reach_port(B57600, "kb-picocom");
}

Test(preload, tio_keys_to_port)
{
	if (!have("tio"))
		tu_skip(teardown, "tio is not installed");
	daemon_start("permit * pts/*\n");
	tool_start_on_term("@ exec -- tio -b 115200 %");
	assert_keys_reach_port(B115200, "kb-tio");
}

Test(preload, minicom_keys_to_port)
{
	if (!have("minicom"))
		tu_skip(teardown, "minicom is not installed");
	daemon_start("permit * pts/*\n");
	tool_start_on_term("TERM=vt100 HOME=# @ exec -- minicom -o -D % -b 57600");
	assert_keys_reach_port(B57600, "kb-minicom");
}

/* Attached screen: it forks its server, which opens the port. */
Test(preload, screen_keys_to_port)
{
	if (!have("screen"))
		tu_skip(teardown, "screen is not installed");
	daemon_start("permit * pts/*\n");
	tool_start_on_term("mkdir -m 700 #/s && TERM=vt100 SCREENDIR=#/s "
			   "@ exec -- screen % 57600");
	assert_keys_reach_port(B57600, "kb-screen");
}

/* ---- the client's own lock file (minicom's LCK..) ------------------------- */

/* What the daemon logged (its audit lines with -v). */
static void daemon_log(char *buf, size_t len)
{
	tu_read_file(log_path, buf, len);
}

/*
 * A program that writes its own LCK.. file (its pid, as minicom does)
 * before opening the port gets the port; its file is left as it is while
 * held and after the release, and our LK.. name comes and goes.
 */
Test(preload, own_lock_file_is_the_clients)
{
	char out[4096], log[16384], lck[256], lk[256], name[LOCK_DEVNAME_MAX];
	struct stat node;

	need_python();
	cr_assert_eq(chmod(env.lockdir, 01777), 0, "nobody may write its lock file");
	tu_lockfile(&env, pty.port, lck, sizeof(lck));
	cr_assert_eq(stat(pty.path, &node), 0);
	cr_assert_eq(lock_devname(&node, name, sizeof(name)), 0);
	snprintf(lk, sizeof(lk), "%s/%s", env.lockdir, name);
	daemon_start("permit * pts/*\n");
	{
		char cmd[1536];

		snprintf(cmd, sizeof(cmd),
			 "@ exec -- /usr/bin/python3 -c \"import os, time\n"
			 "lck = '%s'; mine = str(os.getpid()).rjust(10).encode() + b'\\n'\n"
			 "fd = os.open(lck, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644); os.write(fd, mine); os.close(fd)\n"
			 "st0 = os.stat(lck)\n"
			 "p = os.open('%%', os.O_RDWR | os.O_NOCTTY); os.write(p, b'opened')\n"
			 "os.read(p, 64); os.close(p)\n"
			 "while os.path.exists('%s'): time.sleep(0.02)\n"
			 "st1 = os.stat(lck)\n"
			 "same = open(lck, 'rb').read() == mine and st1.st_ino == st0.st_ino and st1.st_mtime_ns == st0.st_mtime_ns\n"
			 "print('kept' if same else 'changed'); os.unlink(lck)\"", lck, lk);
		tool_start(cmd);
	}
	cr_assert(tu_pty_expect(&pty, "opened", WAIT_MS), "its own LCK.. file did not make it busy");
	cr_assert(tu_exists(lk), "the broker's LK.. name, while it holds the port");
	master_write("close\n"); /* it closes the port once it reads a line */
	cr_assert_eq(tool_wait(), 0);
	tool_output(out, sizeof(out));
	cr_assert(strstr(out, "kept"), "its LCK.. file untouched while held and after release: %s",
		  out);
	cr_assert(tu_wait_path(lk, false, WAIT_MS), "the broker's LK.. name is released");
	daemon_log(log, sizeof(log));
	cr_assert(strstr(log, "the client's own lock file (its pid) left to it"),
		  "the audit line says why: %s", log);
}

/* Another live program's LCK.. file still makes the port busy. */
Test(preload, someone_elses_lock_file_is_busy)
{
	char out[4096], lck[256], buf[32];
	int fd;

	need_python();
	tu_lockfile(&env, pty.port, lck, sizeof(lck));
	fd = open(lck, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	cr_assert_geq(fd, 0);
	snprintf(buf, sizeof(buf), "%10d\n", (int)getpid());
	cr_assert_eq(write(fd, buf, strlen(buf)), (ssize_t)strlen(buf));
	close(fd);
	daemon_start("permit * pts/*\n");
	tool_start("@ exec -- " PY_OPEN "print('opened')\"");
	cr_assert_eq(tool_wait(), 3);
	tool_output(out, sizeof(out));
	cr_assert(strstr(out, "errno EBUSY"), "EBUSY; it printed: %s", out);
	cr_assert(tu_exists(lck), "the holder's lock file stays");
}

/*
 * minicom with the system's lock directory, as installed: Debian's minicom
 * has /var/lock compiled in (a link to /run/lock: strace shows
 * stat("/var/lock"), then LCK..pts_N created O_EXCL with its pid, then
 * the open of the port) and the daemon uses the same directory.  minicom
 * gets the port; leaving it (C-a q, Enter) removes minicom's file, and the
 * release removes ours.  Whatever is left in /run/lock is removed.
 */
Test(preload, minicom_with_system_lock_dir)
{
	char lck[256], lk[256], name[LOCK_DEVNAME_MAX], buf[64];
	struct stat node, dir, st;
	pid_t pid = 0;
	int fd, st_tool = -1;

	if (!have("minicom"))
		tu_skip(teardown, "minicom is not installed");
	if (lstat("/run/lock", &dir) != 0 || !S_ISDIR(dir.st_mode) ||
	    (dir.st_mode & 01777) != 01777)
		tu_skip(teardown, "/run/lock is not a world-writable sticky directory here");
	cr_assert_eq(lock_name(pty.port, name, sizeof(name)), 0);
	snprintf(lck, sizeof(lck), "/run/lock/%s", name);
	cr_assert_eq(stat(pty.path, &node), 0);
	cr_assert_eq(lock_devname(&node, name, sizeof(name)), 0);
	snprintf(lk, sizeof(lk), "/run/lock/%s", name);
	if (tu_exists(lck) || tu_exists(lk))
		tu_skip(teardown, "%s or %s is already there (not ours to remove)", lck, lk);
	snprintf(sys_locks[0], sizeof(sys_locks[0]), "%s", lck);
	snprintf(sys_locks[1], sizeof(sys_locks[1]), "%s", lk);
	daemon_lockdir = "/run/lock";
	daemon_start("permit * pts/*\n");
	tool_start_on_term("TERM=vt100 HOME=# @ exec -- minicom -D % -b 57600");
	assert_keys_reach_port(B57600, "kb-minicom-lck");
	/* The LCK.. file is minicom's: its pid, owned by nobody. */
	cr_assert_eq(lstat(lck, &st), 0, "minicom wrote %s", lck);
	cr_assert_eq(st.st_uid, TU_NOBODY);
	fd = open(lck, O_RDONLY | O_CLOEXEC);
	cr_assert_geq(fd, 0);
	cr_assert_gt(read(fd, buf, sizeof(buf) - 1), 0);
	close(fd);
	pid = (pid_t)atoi(buf);
	cr_assert_gt(pid, 0);
	cr_assert(tu_exists(lk), "the broker took the device-number name");
	/*
	 * Leave minicom: C-a q asks "Leave without reset?", Enter says yes.
	 * Enter is sent again until minicom has gone: one sent before the
	 * question is up only goes to the port.
	 */
	cr_assert_eq(write(term.master, "\001q", 2), 2);
	for (int i = 0; i < WAIT_MS / 500 && st_tool < 0; i++) {
		term_drain();
		if (write(term.master, "\r", 1) != 1)
			break; /* the terminal is gone with minicom */
		st_tool = tu_wait(tool_pid, 500);
	}
	if (st_tool < 0)
		st_tool = tool_wait();
	tool_pid = -1;
	cr_assert_geq(st_tool, 0, "minicom left on C-a q");
	cr_assert(tu_wait_path(lck, false, WAIT_MS), "minicom removed its own lock file");
	cr_assert(tu_wait_path(lk, false, WAIT_MS), "the release removed ours");
}

/* A dead program's LCK.. file is stale: reclaimed, and gone after the release. */
Test(preload, stale_lock_file_is_reclaimed)
{
	char lck[256], buf[32];
	pid_t dead;
	int fd, st;

	need_python();
	tu_lockfile(&env, pty.port, lck, sizeof(lck));
	dead = fork();
	cr_assert_geq(dead, 0);
	if (dead == 0)
		_exit(0);
	cr_assert_eq(waitpid(dead, &st, 0), dead);
	fd = open(lck, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	cr_assert_geq(fd, 0);
	snprintf(buf, sizeof(buf), "%10d\n", (int)dead);
	cr_assert_eq(write(fd, buf, strlen(buf)), (ssize_t)strlen(buf));
	close(fd);
	daemon_start("permit * pts/*\n");
	tool_start("@ exec -- " PY_OPEN "os.write(fd, b'opened')\"");
	cr_assert(tu_pty_expect(&pty, "opened", WAIT_MS), "the stale file did not make it busy");
	cr_assert_eq(tool_wait(), 0);
	cr_assert(locks_gone(), "the reclaimed lock is released like any of ours");
}
