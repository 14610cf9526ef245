/* SPDX-License-Identifier: MIT */
/*
 * test_share.c - sharing a busy port through a real private ttybrokerd
 * (broker/share.c): waiting in line with `ttybroker run --wait`, giving
 * up after a timeout, leaving the line, a --take flasher getting the port
 * from a --yield monitor that gets it back, refusals, waiting on a foreign
 * LCK.. file and flock, and the library's tb_next_event().  Clients run
 * as nobody or a uid without a passwd entry, on ptys they own.
 */
#include <criterion/criterion.h>

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "testutil.h"
#include "ttybroker.h"

#define NOPW_UID 424242 /* a uid without a passwd entry */
#define BOUND_MS 10000  /* bounds against hangs only */

static struct tu_env env;
static struct tu_pty pty;
static char sock_path[160], log_path[160], out_dir[160], order_path[200];
static pid_t daemon_pid = -1;

static void setup(void)
{
	tu_env_init(&env);
	snprintf(sock_path, sizeof(sock_path), "%s/sock", env.dir);
	snprintf(log_path, sizeof(log_path), "%s/daemon.log", env.dir);
	snprintf(out_dir, sizeof(out_dir), "%s/out", env.dir);
	snprintf(order_path, sizeof(order_path), "%s/order", out_dir);
	cr_assert_eq(mkdir(out_dir, 0777), 0);
	cr_assert_eq(chmod(out_dir, 0777), 0);
	pty.master = -1;
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	signal(SIGPIPE, SIG_IGN);
}

static void teardown(void)
{
	tu_daemon_stop(daemon_pid);
	daemon_pid = -1;
	tu_reap_all(2000);
	if (pty.master >= 0)
		tu_pty_close(&pty);
	unlink(order_path);
	tu_rm_tree(out_dir); /* and whatever a failed test left in it */
	unlink(sock_path);
	if (!getenv("KEEPLOG")) unlink(log_path);
	tu_env_fini(&env);
}

TestSuite(share, .init = setup, .fini = teardown, .timeout = 120);

/* A pty owned by OWNER, a policy that lets everyone open ptys, a daemon. */
static void start(uid_t owner)
{
	tu_pty_open(&pty, owner);
	tu_policy(&env, "permit * pts/*\n");
	daemon_pid = tu_daemon_start(&env, sock_path, log_path, 1000);
}

/* `ttybroker run OPT... PORT -- sh -c SCRIPT` as UID; stderr to out/err. */
static pid_t run_sh(uid_t uid, const char *opt1, const char *opt2, const char *script)
{
	char err[200], *argv[10];
	int n = 0;

	snprintf(err, sizeof(err), "%s/err", out_dir);
	argv[n++] = "ttybroker";
	argv[n++] = "run";
	if (opt1)
		argv[n++] = (char *)opt1;
	if (opt2)
		argv[n++] = (char *)opt2;
	argv[n++] = pty.port;
	argv[n++] = "--";
	argv[n++] = "sh";
	argv[n++] = "-c";
	argv[n++] = (char *)script;
	argv[n] = NULL;
	return tu_spawn_as(&env, uid, sock_path, argv, err);
}

/* A holder that keeps the port until out/go exists. */
static pid_t hold_until_go(uid_t uid, const char *opt)
{
	char script[400];

	snprintf(script, sizeof(script), "while [ ! -e %s/go ]; do sleep 0.05; done", out_dir);
	return run_sh(uid, opt, NULL, script);
}

static void go(void)
{
	char path[256];
	int fd;

	snprintf(path, sizeof(path), "%s/go", out_dir);
	fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	cr_assert_geq(fd, 0);
	close(fd);
}

static bool lock_held(bool want)
{
	char path[256];

	tu_lockfile(&env, pty.port, path, sizeof(path));
	return tu_wait_path(path, want, BOUND_MS);
}

/* A waiter that appends its NAME to out/order once served. */
static pid_t waiter(uid_t uid, const char *name, const char *wait_opt)
{
	char script[400];

	snprintf(script, sizeof(script), "echo %s >> %s", name, order_path);
	return run_sh(uid, wait_opt, NULL, script);
}

Test(share, three_waiters_are_served_in_order)
{
	pid_t h, w[3];
	char order[64], err[256];

	start(TU_NOBODY);
	h = hold_until_go(TU_NOBODY, NULL);
	cr_assert(lock_held(true));
	for (int i = 0; i < 3; i++) {
		char name[8];

		snprintf(name, sizeof(name), "w%d", i + 1);
		w[i] = waiter(TU_NOBODY, name, "--wait");
		cr_assert(tu_file_wait(log_path, "verdict=wait", i + 1, BOUND_MS),
			  "waiter %d in line", i + 1);
	}
	cr_assert_eq(tu_file_count(log_path, "waits in line at place 3"), 1);
	go();
	cr_assert_eq(tu_wait(h, BOUND_MS), 0);
	for (int i = 0; i < 3; i++)
		cr_assert_eq(tu_wait(w[i], BOUND_MS), 0, "waiter %d", i + 1);
	tu_read_file(order_path, order, sizeof(order));
	cr_assert_str_eq(order, "w1\nw2\nw3\n");
	snprintf(err, sizeof(err), "%s/err", out_dir);
	cr_assert_geq(tu_file_count(err, "place 2 in line"), 1, "run says where it stands");
}

Test(share, a_waiters_timeout_gives_75)
{
	char err[256];
	pid_t h, w;

	start(NOPW_UID);
	h = hold_until_go(NOPW_UID, NULL);
	cr_assert(lock_held(true));
	w = waiter(NOPW_UID, "late", "--wait=1");
	cr_assert_eq(tu_wait(w, BOUND_MS), 75);
	snprintf(err, sizeof(err), "%s/err", out_dir);
	cr_assert_eq(tu_file_count(err, "place 1 in line"), 1, "said once where it stands");
	cr_assert(tu_file_wait(log_path, "gave up waiting after 1000 ms", 1, BOUND_MS));
	go();
	cr_assert_eq(tu_wait(h, BOUND_MS), 0);
	cr_assert_eq(tu_file_count(order_path, "late"), 0);
}

Test(share, a_killed_waiter_leaves_the_line)
{
	char order[64];
	pid_t h, w1, w2;

	start(TU_NOBODY);
	h = hold_until_go(TU_NOBODY, NULL);
	cr_assert(lock_held(true));
	w1 = waiter(TU_NOBODY, "w1", "--wait");
	cr_assert(tu_file_wait(log_path, "verdict=wait", 1, BOUND_MS));
	w2 = waiter(TU_NOBODY, "w2", "--wait");
	cr_assert(tu_file_wait(log_path, "verdict=wait", 2, BOUND_MS));
	kill(w1, SIGKILL);
	cr_assert_eq(tu_wait(w1, BOUND_MS), 128 + SIGKILL);
	cr_assert(tu_file_wait(log_path, "verdict=leave", 1, BOUND_MS));
	go();
	cr_assert_eq(tu_wait(h, BOUND_MS), 0);
	cr_assert_eq(tu_wait(w2, BOUND_MS), 0);
	tu_read_file(order_path, order, sizeof(order));
	cr_assert_str_eq(order, "w2\n");
}

/*
 * The monitor and the flasher: a --yield --wait monitor holds the port
 * (its PROGRAM reads fd 3); a --take flasher gets it, the monitor's
 * PROGRAM reads EOF, and once the flasher ends the monitor gets the port
 * back and runs PROGRAM again.  The monitor's PROGRAM keeps its fd open
 * all along: the hang-up must drop its flock, or the flasher would stay
 * busy.
 */
Test(share, take_from_a_yielding_monitor_and_hand_back)
{
	char script[900], log[256], text[256];
	pid_t m, f;

	start(TU_NOBODY);
	snprintf(log, sizeof(log), "%s/monitor", out_dir);
	snprintf(script, sizeof(script), "echo start >> %s; cat <&3 >/dev/null; "
		 "echo eof >> %s", log, log);
	m = run_sh(TU_NOBODY, "--yield", "--wait", script);
	cr_assert(lock_held(true));
	cr_assert(tu_file_wait(log, "start", 1, BOUND_MS));
	f = waiter(TU_NOBODY, "flash", "--take");
	cr_assert_eq(tu_wait(f, BOUND_MS), 0, "the flasher got the port");
	cr_assert_eq(tu_file_count(order_path, "flash"), 1);
	cr_assert(tu_file_wait(log, "eof", 1, BOUND_MS), "the monitor's fd read EOF");
	cr_assert(tu_file_wait(log, "start", 2, BOUND_MS), "the monitor got the port back");
	cr_assert(lock_held(true));
	cr_assert_eq(tu_file_count(log_path, "verdict=take"), 1);
	cr_assert_eq(tu_file_count(log_path, "verdict=yield"), 1);
	cr_assert(tu_file_wait(log_path, "verdict=handback", 1, BOUND_MS));
	kill(m, SIGTERM);
	tu_wait(m, BOUND_MS);
	tu_read_file(log, text, sizeof(text));
	unlink(log);
	cr_assert(strncmp(text, "start\neof\nstart\n", 16) == 0, "%s", text);
}

/*
 * A --yield --wait monitor whose PROGRAM ended while the port was taken
 * over waits for it to come back; SIGINT ends that wait with 130, as it
 * would end PROGRAM, not with PROGRAM's last status.
 */
Test(share, sigint_ends_the_wait_for_the_hand_back)
{
	char script[600], log[256], err[256];
	pid_t m, f;

	start(TU_NOBODY);
	snprintf(log, sizeof(log), "%s/monitor", out_dir);
	snprintf(script, sizeof(script), "echo start >> %s; cat <&3 >/dev/null; "
		 "echo eof >> %s", log, log);
	m = run_sh(TU_NOBODY, "--yield", "--wait", script);
	cr_assert(tu_file_wait(log, "start", 1, BOUND_MS));
	f = hold_until_go(TU_NOBODY, "--take");
	cr_assert(tu_file_wait(log, "eof", 1, BOUND_MS), "the monitor's fd read EOF");
	snprintf(err, sizeof(err), "%s/err", out_dir);
	cr_assert(tu_file_wait(err, "to be handed back", 1, BOUND_MS), "run waits");
	kill(m, SIGINT);
	cr_expect_eq(tu_wait(m, BOUND_MS), 128 + SIGINT, "SIGINT ends the wait with 130");
	go();
	cr_assert_eq(tu_wait(f, BOUND_MS), 0);
	cr_expect_eq(tu_file_count(log, "start"), 1, "PROGRAM did not run again");
	unlink(log);
}

/*
 * A hand-back the broker refuses (here: a reload that denies the port
 * while the taker holds it) is said to the waiting monitor, which ends
 * with the refusal's exit status instead of waiting forever.
 */
Test(share, a_refused_hand_back_ends_the_wait)
{
	char script[600], log[256], err[256];
	pid_t m, f;

	start(TU_NOBODY);
	snprintf(log, sizeof(log), "%s/monitor", out_dir);
	snprintf(script, sizeof(script), "echo start >> %s; cat <&3 >/dev/null; "
		 "echo eof >> %s", log, log);
	m = run_sh(TU_NOBODY, "--yield", "--wait", script);
	cr_assert(tu_file_wait(log, "start", 1, BOUND_MS));
	f = hold_until_go(TU_NOBODY, "--take");
	cr_assert(tu_file_wait(log, "eof", 1, BOUND_MS), "the monitor's fd read EOF");
	snprintf(err, sizeof(err), "%s/err", out_dir);
	cr_assert(tu_file_wait(err, "to be handed back", 1, BOUND_MS), "run waits");
	tu_policy(&env, "deny * pts/*\n");
	kill(daemon_pid, SIGHUP);
	cr_expect_eq(tu_wait(m, BOUND_MS), 77, "the refusal's exit status (denied)");
	cr_expect_geq(tu_file_count(err, "will not be handed back"), 1, "run says why");
	go();
	cr_assert_eq(tu_wait(f, BOUND_MS), 0);
	unlink(log);
}

Test(share, a_holder_without_yield_is_not_taken_from)
{
	char err[256], text[1024];
	pid_t h, f;

	start(TU_NOBODY);
	h = hold_until_go(TU_NOBODY, NULL);
	cr_assert(lock_held(true));
	f = waiter(TU_NOBODY, "flash", "--take");
	cr_assert_eq(tu_wait(f, BOUND_MS), 75);
	snprintf(err, sizeof(err), "%s/err", out_dir);
	tu_read_file(err, text, sizeof(text));
	cr_assert_eq(tu_file_count(err, "did not offer to yield"), 1, "%s", text);
	cr_assert_eq(tu_file_count(log_path, "verdict=take"), 0);
	go();
	cr_assert_eq(tu_wait(h, BOUND_MS), 0, "the holder kept the port");
}

/* Another user cannot take (here its own refusal comes first: another
 * user's pty is never handed out), and the holder keeps the port. */
Test(share, another_user_cannot_take)
{
	pid_t h, f;

	start(TU_NOBODY);
	h = hold_until_go(TU_NOBODY, "--yield");
	cr_assert(lock_held(true));
	f = waiter(NOPW_UID, "flash", "--take");
	cr_assert_neq(tu_wait(f, BOUND_MS), 0);
	cr_assert_eq(tu_file_count(log_path, "pseudo-terminal of another user"), 1,
		     "refused as another user's pty");
	cr_assert_eq(tu_file_count(log_path, "verdict=take"), 0);
	cr_assert_eq(tu_file_count(order_path, "flash"), 0);
	go();
	cr_assert_eq(tu_wait(h, BOUND_MS), 0);
}

/* utime + stime of PID in clock ticks, from /proc/PID/stat. */
static long cpu_ticks(pid_t pid)
{
	char path[64], buf[1024], *p;
	unsigned long ut = 0, st = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return -1;
	p = fgets(buf, sizeof(buf), f) ? strrchr(buf, ')') : NULL;
	fclose(f);
	if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu",
			 &ut, &st) != 2)
		return -1;
	return (long)(ut + st);
}

/* The engine process: the daemon's only child. */
static pid_t engine(void)
{
	pid_t kids[4];

	cr_assert_eq(tu_children(daemon_pid, kids, 4), 1);
	return kids[0];
}

Test(share, waits_for_a_foreign_lock_file)
{
	char path[256], line[16];
	struct timespec t0, t1;
	long before, after;
	pid_t w, w2;
	int fd;

	start(TU_NOBODY);
	tu_lockfile(&env, pty.port, path, sizeof(path));
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	cr_assert_geq(fd, 0);
	snprintf(line, sizeof(line), "%10d\n", (int)getpid());
	cr_assert_eq(write(fd, line, strlen(line)), (ssize_t)strlen(line));
	close(fd);
	w = waiter(TU_NOBODY, "w", "--wait");
	cr_assert(tu_file_wait(log_path, "verdict=wait", 1, BOUND_MS));
	/* A second waiter: only the head of a line sets when to ask again. */
	w2 = waiter(TU_NOBODY, "w2", "--wait");
	cr_assert(tu_file_wait(log_path, "verdict=wait", 2, BOUND_MS));
	before = cpu_ticks(engine());
	sleep(3);
	after = cpu_ticks(engine());
	cr_log_info("engine CPU while waiting 3 s on a foreign LCK..: %ld ticks", after - before);
	cr_assert_lt(after - before, 100, "no busy loop: %ld ticks in 3 s", after - before);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	cr_assert_eq(unlink(path), 0);
	cr_assert_eq(tu_wait(w, BOUND_MS), 0);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	cr_log_info("served %ld ms after the LCK.. file went (informational)",
		    (long)((t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000));
	cr_assert_eq(tu_wait(w2, BOUND_MS), 0);
	cr_assert_eq(tu_file_count(order_path, "w\n"), 1);
	cr_assert_eq(tu_file_count(order_path, "w2"), 1);
}

Test(share, waits_for_a_foreign_flock)
{
	long before, after;
	pid_t w;
	int fd;

	start(TU_NOBODY);
	fd = open(pty.path, O_RDWR | O_NOCTTY | O_CLOEXEC);
	cr_assert_geq(fd, 0);
	cr_assert_eq(flock(fd, LOCK_EX | LOCK_NB), 0);
	w = waiter(TU_NOBODY, "w", "--wait");
	cr_assert(tu_file_wait(log_path, "verdict=wait", 1, BOUND_MS));
	/* Each try takes and drops our own LCK.. file: that must not wake
	 * the engine again (inotify), or it spins instead of backing off. */
	before = cpu_ticks(engine());
	sleep(3);
	after = cpu_ticks(engine());
	cr_log_info("engine CPU while waiting 3 s on a foreign flock: %ld ticks", after - before);
	cr_assert_lt(after - before, 100, "no busy loop: %ld ticks in 3 s", after - before);
	cr_assert_eq(tu_file_count(order_path, "w"), 0, "still waiting");
	close(fd);
	cr_assert_eq(tu_wait(w, BOUND_MS), 0);
	cr_assert_eq(tu_file_count(order_path, "w"), 1);
}

/* ---- the library -------------------------------------------------------- */

/* Drop to UID and reach our daemon through the library. */
static struct tb_broker *lib_init(uid_t uid)
{
	struct tb_options o = { .via = TB_VIA_DAEMON };
	struct tb_broker *b = NULL;

	if (setgroups(0, NULL) < 0 || setresgid(uid, uid, uid) < 0 ||
	    setresuid(uid, uid, uid) < 0)
		_exit(120);
	setenv("TTYBROKER_SOCKET", sock_path, 1);
	if (tb_init(&o, &b) < 0)
		_exit(121);
	return b;
}

/* The next event within BOUND_MS, or TB_EV_NONE. */
static enum tb_event_type lib_event(struct tb_broker *b, struct tb_event *ev)
{
	struct pollfd p = { .fd = tb_fd(b), .events = POLLIN };

	for (int i = 0; i < BOUND_MS / 50; i++) {
		if (tb_next_event(b, ev) == 1)
			return ev->type;
		poll(&p, 1, 50);
	}
	return TB_EV_NONE;
}

/*
 * A monitor through the library: opens with TB_YIELD | TB_WAIT, then is
 * told of the take-over (and does not let go), revoked after the grace
 * period (its fd reads EOF), and handed the port back.  Exit 0 when all
 * of that happened in order.
 */
static _Noreturn void lib_monitor(void)
{
	struct tb_broker *b = lib_init(TU_NOBODY);
	struct tb_event ev;
	char c;
	int fd = tb_open_ex(b, pty.port, TB_YIELD | TB_WAIT, NULL, NULL);

	if (fd < 0)
		_exit(1);
	if (lib_event(b, &ev) != TB_EV_TAKE || ev.fd != fd || ev.grace_ms == 0 ||
	    ev.pid <= 0)
		_exit(2);
	if (lib_event(b, &ev) != TB_EV_REVOKED || ev.fd != fd)
		_exit(3);
	if (read(fd, &c, 1) != 0)
		_exit(4);
	tb_release(b, fd);
	if (lib_event(b, &ev) != TB_EV_HANDBACK || ev.fd < 0)
		_exit(5);
	if (write(ev.fd, "back", 4) != 4)
		_exit(6);
	tb_release(b, ev.fd);
	tb_shutdown(b);
	_exit(0);
}

/* A flasher through the library: TB_TAKE, told its place, then holds 0.3 s. */
static void lib_queued(const struct tb_event *ev, void *arg)
{
	*(unsigned int *)arg = ev->position;
}

static _Noreturn void lib_flasher(void)
{
	struct tb_broker *b = lib_init(TU_NOBODY);
	unsigned int pos = 0;
	struct tb_open_options o = { .queued = lib_queued, .arg = &pos };
	int fd = tb_open_ex(b, pty.port, TB_TAKE, &o, NULL);

	if (fd < 0)
		_exit(1);
	if (pos != 1)
		_exit(2);
	usleep(300 * 1000);
	tb_release(b, fd);
	tb_shutdown(b);
	_exit(0);
}

Test(share, library_events_take_revoke_handback)
{
	pid_t m, f;

	start(TU_NOBODY);
	m = fork();
	cr_assert_geq(m, 0);
	if (m == 0)
		lib_monitor();
	cr_assert(lock_held(true));
	f = fork();
	cr_assert_geq(f, 0);
	if (f == 0)
		lib_flasher();
	cr_assert_eq(tu_wait(f, BOUND_MS), 0, "the flasher");
	cr_assert_eq(tu_wait(m, BOUND_MS), 0, "the monitor");
	cr_assert(tu_pty_expect(&pty, "back", BOUND_MS), "the handed-back fd works");
	cr_assert_eq(tu_file_count(log_path, "verdict=revoke "), 1, "grace period over");
	cr_assert_eq(tu_file_count(log_path, "verdict=handback"), 1);
}

/*
 * A monitor (TB_YIELD | TB_WAIT) that is asked to yield, says so in
 * out/asked, and lets go only once out/go exists, keeping a copy of its
 * descriptor (as a program `run` started would); then it must get the
 * port back, and the copy must be hung up.  Exit 0 when so.
 */
static _Noreturn void lib_slow_yielder(void)
{
	struct tb_broker *b = lib_init(TU_NOBODY);
	char path[256], c;
	struct tb_event ev;
	int fd = tb_open_ex(b, pty.port, TB_YIELD | TB_WAIT, NULL, NULL);
	int copy = fd >= 0 ? dup(fd) : -1;

	if (fd < 0 || copy < 0)
		_exit(1);
	if (lib_event(b, &ev) != TB_EV_TAKE)
		_exit(2);
	snprintf(path, sizeof(path), "%s/asked", out_dir);
	close(open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644));
	snprintf(path, sizeof(path), "%s/go", out_dir);
	while (access(path, F_OK) != 0)
		usleep(20000);
	tb_release(b, fd);
	if (lib_event(b, &ev) != TB_EV_HANDBACK || ev.fd < 0)
		_exit(3);
	if (read(copy, &c, 1) != 0)
		_exit(4); /* the old hold's copy still works */
	close(copy);
	tb_release(b, ev.fd);
	tb_shutdown(b);
	_exit(0);
}

/*
 * The taker goes away after the holder was asked to yield, and the holder
 * yields anyway (within the grace period, here 30 s): it asked to wait,
 * so it gets the port back instead of waiting for a hand-back forever.
 */
Test(share, a_yield_to_a_taker_that_left_gets_the_port_back)
{
	char asked[256];
	pid_t m, f;

	tu_pty_open(&pty, TU_NOBODY);
	tu_policy(&env, "permit * pts/*\n");
	daemon_pid = tu_daemon_start(&env, sock_path, log_path, 30000);
	snprintf(asked, sizeof(asked), "%s/asked", out_dir);
	m = fork();
	cr_assert_geq(m, 0);
	if (m == 0)
		lib_slow_yielder();
	cr_assert(lock_held(true));
	f = waiter(TU_NOBODY, "flash", "--take");
	cr_assert(tu_wait_path(asked, true, BOUND_MS), "the holder was asked to yield");
	cr_assert_eq(kill(f, SIGKILL), 0);
	cr_assert_geq(tu_wait(f, BOUND_MS), 0);
	cr_assert(tu_file_wait(log_path, "verdict=leave", 1, BOUND_MS), "the taker left the line");
	go();
	cr_assert_eq(tu_wait(m, BOUND_MS), 0, "the holder got the port back, its copy hung up");
	cr_assert_eq(tu_file_count(log_path, "verdict=yield"), 1);
	cr_assert_eq(tu_file_count(log_path, "verdict=handback"), 1);
	cr_assert_eq(tu_file_count(order_path, "flash"), 0, "the taker never ran");
	unlink(asked);
}

/*
 * A monitor whose take-over request is waiting unread when it lists the
 * ports: the listing still works and the event is kept for
 * tb_next_event(), not lost.  Exit 0 when so.
 */
static _Noreturn void lib_lister(void)
{
	struct tb_broker *b = lib_init(TU_NOBODY);
	struct pollfd p;
	struct tb_port *ports = NULL;
	struct tb_event ev;
	size_t n = 0;
	int fd = tb_open_ex(b, pty.port, TB_YIELD, NULL, NULL);

	if (fd < 0)
		_exit(1);
	p = (struct pollfd){ .fd = tb_fd(b), .events = POLLIN };
	if (poll(&p, 1, BOUND_MS) != 1)
		_exit(2); /* the take-over request never came */
	if (tb_list(b, &ports, &n) < 0)
		_exit(3);
	tb_list_free(ports, n);
	if (lib_event(b, &ev) != TB_EV_TAKE || ev.fd != fd)
		_exit(4);
	tb_release(b, fd);
	tb_shutdown(b);
	_exit(0);
}

Test(share, list_keeps_an_event_that_comes_first)
{
	pid_t m, f;

	start(TU_NOBODY);
	m = fork();
	cr_assert_geq(m, 0);
	if (m == 0)
		lib_lister();
	cr_assert(lock_held(true));
	f = fork();
	cr_assert_geq(f, 0);
	if (f == 0)
		lib_flasher();
	cr_assert_eq(tu_wait(m, BOUND_MS), 0, "the lister");
	cr_assert_eq(tu_wait(f, BOUND_MS), 0, "the flasher got the port");
}

/* A LCK.. file for the pty naming this (live) process: a holder outside the broker. */
static void foreign_lock(char *path, size_t len)
{
	char line[16];
	int fd;

	tu_lockfile(&env, pty.port, path, len);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	cr_assert_geq(fd, 0);
	snprintf(line, sizeof(line), "%10d\n", (int)getpid());
	cr_assert_eq(write(fd, line, strlen(line)), (ssize_t)strlen(line));
	close(fd);
}

/*
 * A holder that wrote its own LCK.. file (as minicom does) and offered to
 * yield.  It makes the file as nobody in the lock directory, opens the
 * port through the library with TB_YIELD, says so in out/ready, and once
 * out/go exists checks that no event came and the port still works.
 * Exit 0, or the step that failed.
 */
static _Noreturn void own_lock_holder(const char *lck)
{
	struct tb_broker *b = lib_init(TU_NOBODY);
	char line[16], ready[256];
	struct tb_event ev;
	int fd, port;

	fd = open(lck, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	snprintf(line, sizeof(line), "%10d\n", (int)getpid());
	if (fd < 0 || write(fd, line, strlen(line)) != (ssize_t)strlen(line))
		_exit(2);
	close(fd);
	if ((port = tb_open_ex(b, pty.port, TB_YIELD, NULL, NULL)) < 0)
		_exit(3);
	snprintf(ready, sizeof(ready), "%s/ready", out_dir);
	if ((fd = open(ready, O_WRONLY | O_CREAT | O_CLOEXEC, 0644)) < 0)
		_exit(4);
	close(fd);
	snprintf(ready, sizeof(ready), "%s/go", out_dir);
	while (access(ready, F_OK) != 0)
		usleep(20000);
	if (tb_next_event(b, &ev) != 0)
		_exit(5); /* told of a take-over */
	if (write(port, "still", 5) != 5)
		_exit(6); /* hung up */
	unlink(lck);
	_exit(0);
}

/*
 * A take of a hold covered by the holder's own LCK.. file is refused up
 * front: hanging the holder up would not free the port (that file is not
 * the broker's to remove), so the taker would still find it busy.
 */
Test(share, a_holder_with_its_own_lock_file_is_not_taken_from)
{
	char lck[256], ready[256], err[256], text[1024];
	pid_t h, f;

	start(TU_NOBODY);
	cr_assert_eq(chmod(env.lockdir, 01777), 0, "nobody may write its lock file");
	tu_lockfile(&env, pty.port, lck, sizeof(lck));
	snprintf(ready, sizeof(ready), "%s/ready", out_dir);
	h = fork();
	cr_assert_geq(h, 0);
	if (h == 0)
		own_lock_holder(lck);
	cr_assert(tu_wait_path(ready, true, BOUND_MS), "the holder has the port");
	f = waiter(TU_NOBODY, "flash", "--take");
	cr_assert_eq(tu_wait(f, BOUND_MS), 75, "the taker finds the port busy");
	snprintf(err, sizeof(err), "%s/err", out_dir);
	tu_read_file(err, text, sizeof(text));
	cr_assert_eq(tu_file_count(err, "own lock file"), 1, "run says why: %s", text);
	cr_assert_eq(tu_file_count(log_path, "verdict=take"), 0);
	go();
	cr_assert_eq(tu_wait(h, BOUND_MS), 0, "the holder kept a working port, and was not told");
	unlink(ready);
	unlink(lck);
}

/* The fork way (one client) waits for a holder outside the broker too. */
Test(share, the_fork_way_waits_for_a_foreign_lock_file)
{
	char lock[256], err[256], script[300];
	char *argv[] = { "ttybroker", "-q", "-u", "nobody", "-p", env.policy, "-l", env.lockdir,
			 "run", "--wait=10", pty.port, "--", "sh", "-c", script, NULL };
	pid_t w;

	tu_pty_open(&pty, TU_NOBODY);
	tu_policy(&env, "permit * pts/*\n");
	snprintf(script, sizeof(script), "echo w >> %s", order_path);
	snprintf(err, sizeof(err), "%s/err", out_dir);
	foreign_lock(lock, sizeof(lock));
	w = tu_spawn_as(&env, 0, sock_path, argv, err);
	cr_assert(tu_file_wait(err, "place 1 in line", 1, BOUND_MS), "run says it waits");
	cr_assert_eq(unlink(lock), 0);
	cr_assert_eq(tu_wait(w, BOUND_MS), 0);
	cr_assert_eq(tu_file_count(order_path, "w"), 1);
	argv[9] = "--wait=1";
	foreign_lock(lock, sizeof(lock));
	w = tu_spawn_as(&env, 0, sock_path, argv, err);
	cr_assert_eq(tu_wait(w, BOUND_MS), 75, "gave up");
	cr_assert_eq(tu_file_count(order_path, "w"), 1);
	cr_assert_eq(tu_file_count(err, "gave up waiting after 1000 ms"), 1);
	unlink(lock);
}

/* --yield and --take mean nothing without other clients: refused, said why. */
Test(share, sharing_flags_need_the_daemon)
{
	char err[512];
	char *argv[] = { "ttybroker", "-q", "-u", "nobody", "-p", env.policy, "-l", env.lockdir,
			 "run", "--take", pty.port, "--", "true", NULL };

	tu_pty_open(&pty, TU_NOBODY);
	tu_policy(&env, "permit * pts/*\n");
	cr_assert_eq(tu_run(&env, argv, NULL, 0, err, sizeof(err), BOUND_MS), 71, "%s", err);
	cr_assert(strstr(err, "Operation not supported") != NULL ||
		  strstr(err, "ttybrokerd") != NULL, "%s", err);
}

/* lint and check explain a take rule. */
Test(share, lint_and_check_explain_take_rules)
{
	char out[1024], err[512];
	char *lint[] = { "ttybroker", "lint", env.policy, NULL };
	char *check[] = { "ttybroker", "-p", env.policy, "check", "--as", "nobody", "ttyS0",
			  NULL };

	tu_policy(&env, "permit * ttyS*\ntake :nogroup ttyS* ttyUSB*\n");
	cr_assert_eq(tu_run(&env, lint, out, sizeof(out), err, sizeof(err), BOUND_MS), 0,
		     "%s", err);
	cr_assert_not_null(strstr(out, ":2: take: the members of group nogroup may take over "
				  "each other's --yield holds"), "%s", out);
	cr_assert_eq(tu_run(&env, check, out, sizeof(out), err, sizeof(err), BOUND_MS), 0,
		     "%s", err);
	cr_assert_not_null(strstr(out, "take: user nobody may take ttyS0 over from the "
				  "others"), "%s", out);
	tu_policy(&env, "permit * ttyS*\n");
	cr_assert_eq(tu_run(&env, check, out, sizeof(out), err, sizeof(err), BOUND_MS), 0);
	cr_assert_null(strstr(out, "take:"), "%s", out);
}
