/* SPDX-License-Identifier: MIT */
/*
 * cli_demo.c - `ttybroker demo`: the whole story on a pseudo-terminal, for
 * machines without a serial port.  As root it creates a pty, gives its
 * slave to user nobody, writes a policy that permits exactly that pty, and
 * forks a frontend that drops to nobody, opens the port through the
 * backend and talks to the "device" (this process, on the pty master).
 * It also shows two refusals.  Then the same port through a private
 * ttybrokerd (the build's, beside this command, or $TTYBROKERD): a child
 * that drops to nobody before it calls tb_init() - a program that never
 * had root - reaches the daemon through $TTYBROKER_SOCKET, opens the pty
 * and exchanges a line; the daemon is stopped.  Everything the demo
 * created is removed.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <fcntl.h>
#include <poll.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <sysexits.h>
#include <termios.h>
#include <unistd.h>

#include "cli.h"
#include "lock.h"

struct demo {
	char dir[64];       /* mkdtemp: policy file and lock dir inside */
	char policy[96];
	char lockdir[96];
	char lockfile[160];
	char sock[96];      /* the private daemon's socket */
	char port[32];      /* "pts/N" */
	int master;
	uid_t uid;
	gid_t gid;
	pid_t daemon;       /* the private ttybrokerd, or -1 */
};

static void say(const char *who, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void say(const char *who, const char *fmt, ...)
{
	va_list ap;

	printf("[%-8s] ", who);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
}

/* A pty whose slave belongs to UID, like a USB adapter handed to a user. */
static int demo_pty(struct demo *d)
{
	const char *slave;

	d->master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (d->master < 0 || grantpt(d->master) < 0 || unlockpt(d->master) < 0 ||
	    !(slave = ptsname(d->master)) || strncmp(slave, "/dev/", 5) != 0)
		return -1;
	snprintf(d->port, sizeof(d->port), "%s", slave + 5);
	return chown(slave, d->uid, (gid_t)-1);
}

static int demo_files(struct demo *d)
{
	FILE *f;

	snprintf(d->dir, sizeof(d->dir), "/tmp/ttybroker-demo.XXXXXX");
	if (!mkdtemp(d->dir) || chmod(d->dir, 0755) < 0)
		return -1;
	snprintf(d->policy, sizeof(d->policy), "%s/ttybroker.conf", d->dir);
	snprintf(d->lockdir, sizeof(d->lockdir), "%s/lock", d->dir);
	snprintf(d->sock, sizeof(d->sock), "%s/ttybroker.sock", d->dir);
	if (mkdir(d->lockdir, 0755) < 0 || !(f = fopen(d->policy, "wx")))
		return -1;
	fprintf(f, "# ttybroker demo policy\n"
		   "deny   *         *\n"
		   "permit :dialout  ttyUSB* ttyACM*\n"
		   "permit nobody    %s\n", d->port);
	if (fclose(f) != 0 || chmod(d->policy, 0644) < 0)
		return -1;
	snprintf(d->lockfile, sizeof(d->lockfile), "%s/", d->lockdir);
	return lock_name(d->port, d->lockfile + strlen(d->lockfile),
			 sizeof(d->lockfile) - strlen(d->lockfile));
}

static void demo_cleanup(struct demo *d)
{
	if (d->daemon > 0) {
		kill(d->daemon, SIGKILL);
		while (waitpid(d->daemon, NULL, 0) < 0 && errno == EINTR)
			;
	}
	if (d->sock[0])
		unlink(d->sock);
	if (d->master >= 0)
		close(d->master);
	if (d->lockfile[0])
		unlink(d->lockfile);
	if (d->policy[0])
		unlink(d->policy);
	if (d->lockdir[0])
		rmdir(d->lockdir);
	if (d->dir[0] && strcmp(d->dir, "/tmp/ttybroker-demo.XXXXXX") != 0)
		rmdir(d->dir);
}

static void demo_show_lock(const struct demo *d, const char *who)
{
	char buf[32] = "";
	int fd = open(d->lockfile, O_RDONLY | O_CLOEXEC);
	ssize_t n = fd >= 0 ? read(fd, buf, sizeof(buf) - 1) : -1;

	if (fd >= 0)
		close(fd);
	if (n > 0) {
		buf[strcspn(buf, "\n")] = '\0';
		say(who, "lock file %s holds pid '%s'", d->lockfile, buf);
	} else {
		say(who, "lock file %s is gone", d->lockfile);
	}
}

/* Show that a refusal is clear: a console and a second open of the port. */
static void demo_refusals(struct tb_broker *b, const struct demo *d)
{
	struct tb_status st;
	char busy[128];
	int fd;

	fd = tb_open(b, "console", 0, &st);
	say("frontend", "open console  -> %s", fd < 0 ? tb_reason_str(st.reason) : "OPENED?!");
	fd = tb_open(b, d->port, 0, &st);
	if (fd < 0 && st.reason == TB_R_BUSY)
		cli_busy_text(&st, busy, sizeof(busy)); /* says who holds it */
	else
		snprintf(busy, sizeof(busy), "%s", fd < 0 ? tb_reason_str(st.reason) : "OPENED?!");
	say("frontend", "open %s again -> %s", d->port, busy);
}

/* The unprivileged side: drop to nobody, open, talk, release. */
static int demo_frontend(const struct demo *d)
{
	struct tb_options o = { .policy = d->policy, .lockdir = d->lockdir,
				.user = "nobody", .log = TB_LOG_STDERR | TB_LOG_QUIET };
	char buf[128] = "";
	struct tb_broker *b;
	struct tb_status st;
	struct termios tio;
	ssize_t n;
	int fd;

	if (tb_init(&o, &b) < 0)
		return EX_OSERR;
	say("frontend", "now uid %u, euid %u: unprivileged", (unsigned int)getuid(),
	    (unsigned int)geteuid());
	fd = tb_open(b, d->port, 0, &st);
	if (fd < 0) {
		say("frontend", "open %s failed: %s (%s)", d->port, tb_reason_str(st.reason),
		    tb_strerror(fd));
		return tb_reason_exit(st.reason);
	}
	say("frontend", "got fd %d for /dev/%s (policy line %u)", fd, d->port, st.rule);
	demo_show_lock(d, "frontend");
	demo_refusals(b, d);
	if (tcgetattr(fd, &tio) == 0) {
		cfmakeraw(&tio);
		tcsetattr(fd, TCSANOW, &tio);
	}
	if (write(fd, "hello from nobody\n", 18) != 18)
		return EX_IOERR;
	n = read(fd, buf, sizeof(buf) - 1);
	if (n <= 0)
		return EX_IOERR;
	buf[strcspn(buf, "\r\n")] = '\0';
	say("frontend", "read from port: \"%s\"", buf);
	tb_release(b, fd);
	say("frontend", "released %s", d->port);
	tb_shutdown(b);
	return 0;
}

/*
 * The device side on the pty master: answer one line.  Until someone
 * opens the slave (again), the master reads EIO and polls as hung up:
 * wait for data for up to 5 s.
 */
static int demo_device(const struct demo *d)
{
	struct pollfd p = { .fd = d->master, .events = POLLIN };
	char buf[128] = "";
	ssize_t n = -1;

	for (int i = 0; i < 250 && n <= 0; i++) {
		if (poll(&p, 1, 20) < 0 && errno != EINTR)
			return -1;
		if (p.revents & POLLIN)
			n = read(d->master, buf, sizeof(buf) - 1);
		if (n <= 0)
			usleep(20000);
	}
	if (n <= 0)
		return -1;
	buf[strcspn(buf, "\r\n")] = '\0';
	say("device", "received: \"%s\"", buf);
	if (write(d->master, "hello from the device\n", 22) != 22)
		return -1;
	return 0;
}

/* ---- the second way in: a private ttybrokerd ---- */

/*
 * The daemon binary: $TTYBROKERD, else ttybrokerd beside this command (the
 * build tree), else ../sbin/ttybrokerd from it (an install).  0 or -ENOENT.
 */
static int demo_find_daemon(char *out, size_t len)
{
	const char *env = getenv("TTYBROKERD");
	char self[PATH_MAX], *slash;
	ssize_t n;

	if (env && *env) {
		snprintf(out, len, "%s", env);
		return access(out, X_OK) == 0 ? 0 : -ENOENT;
	}
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n <= 0 || (size_t)n >= sizeof(self) - 1)
		return -ENOENT;
	self[n] = '\0';
	if (!(slash = strrchr(self, '/')))
		return -ENOENT;
	*slash = '\0';
	if ((size_t)snprintf(out, len, "%s/ttybrokerd", self) < len && access(out, X_OK) == 0)
		return 0;
	if ((size_t)snprintf(out, len, "%s/../sbin/ttybrokerd", self) < len &&
	    access(out, X_OK) == 0)
		return 0;
	return -ENOENT;
}

/* Does something accept connections on the daemon's socket yet? */
static bool demo_daemon_listens(const struct demo *d)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int s = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	bool ok;

	if (s < 0 || strlen(d->sock) >= sizeof(sa.sun_path)) {
		if (s >= 0)
			close(s);
		return false;
	}
	memcpy(sa.sun_path, d->sock, strlen(d->sock) + 1);
	ok = connect(s, (struct sockaddr *)&sa, sizeof(sa)) == 0;
	close(s);
	return ok;
}

/* Start BIN on the demo's socket, policy and lock dir; wait until it listens. */
static int demo_daemon_start(struct demo *d, const char *bin)
{
	fflush(NULL);
	d->daemon = fork();
	if (d->daemon < 0)
		return -errno;
	if (d->daemon == 0) {
		execl(bin, "ttybrokerd", "-f", "-p", d->policy, "-l", d->lockdir,
		      "-s", d->sock, (char *)NULL);
		fprintf(stderr, "ttybroker: demo: %s: %s\n", bin, strerror(errno));
		_exit(EX_OSERR);
	}
	for (int i = 0; i < 500; i++) {
		if (demo_daemon_listens(d))
			return 0;
		if (waitpid(d->daemon, NULL, WNOHANG) == d->daemon) {
			d->daemon = -1;
			return -ECHILD;
		}
		usleep(10000);
	}
	return -ETIMEDOUT;
}

/* SIGTERM the daemon and wait for it: it ends its sessions and unlinks its socket. */
static int demo_daemon_stop(struct demo *d)
{
	int status = 0;

	kill(d->daemon, SIGTERM);
	while (waitpid(d->daemon, &status, 0) < 0 && errno == EINTR)
		;
	d->daemon = -1;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
}

/*
 * The client that never had root: drop to nobody first, then tb_init()
 * with TTYBROKER_SOCKET naming the private daemon, open, talk, release.
 */
static int demo_client(const struct demo *d)
{
	static const char line[] = "hello from a program that never had root\n";
	struct tb_options o = { .via = TB_VIA_DAEMON };
	struct pollfd p = { .events = POLLIN };
	char buf[128] = "";
	struct tb_broker *b;
	struct tb_status st;
	struct termios tio;
	ssize_t n;
	int fd, r;

	close(d->master);
	if (setgroups(0, NULL) < 0 || setgid(d->gid) < 0 || setuid(d->uid) < 0)
		return EX_OSERR;
	say("client", "uid %u, euid %u before tb_init(): a program that never had root",
	    (unsigned int)getuid(), (unsigned int)geteuid());
	if (setenv("TTYBROKER_SOCKET", d->sock, 1) < 0)
		return EX_OSERR;
	if ((r = tb_init(&o, &b)) < 0) {
		say("client", "tb_init: %s", tb_strerror(r));
		return EX_UNAVAILABLE;
	}
	say("client", "tb_init() reached ttybrokerd through TTYBROKER_SOCKET");
	fd = tb_open(b, d->port, 0, &st);
	if (fd < 0) {
		say("client", "open %s failed: %s (%s)", d->port, tb_reason_str(st.reason),
		    tb_strerror(fd));
		return tb_reason_exit(st.reason);
	}
	say("client", "got fd %d for /dev/%s from the daemon (policy line %u)", fd, d->port,
	    st.rule);
	p.fd = fd;
	demo_show_lock(d, "client");
	if (tcgetattr(fd, &tio) == 0) {
		cfmakeraw(&tio);
		tcsetattr(fd, TCSANOW, &tio);
	}
	if (write(fd, line, strlen(line)) != (ssize_t)strlen(line))
		return EX_IOERR;
	n = poll(&p, 1, 5000) == 1 ? read(fd, buf, sizeof(buf) - 1) : -1;
	if (n <= 0)
		return EX_IOERR;
	buf[strcspn(buf, "\r\n")] = '\0';
	say("client", "read from port: \"%s\"", buf);
	tb_release(b, fd);
	say("client", "released %s", d->port);
	tb_shutdown(b);
	return 0;
}

/*
 * The daemon way: start the private ttybrokerd, run the client, answer
 * its line, stop the daemon.  0, or an exit code.  Without a daemon
 * binary it says so and returns 0: the fork way already ran.
 */
static int demo_daemon_way(struct demo *d)
{
	char bin[PATH_MAX];
	int status = 0, r;
	pid_t pid;

	if (demo_find_daemon(bin, sizeof(bin)) < 0) {
		say("demo", "no ttybrokerd beside this command (or $TTYBROKERD): "
		    "skipping the daemon");
		return 0;
	}
	if ((r = demo_daemon_start(d, bin)) < 0) {
		say("demo", "ttybrokerd did not start: %s", strerror(-r));
		return EX_OSERR;
	}
	say("demo", "started a private ttybrokerd (%s) on %s", bin, d->sock);
	fflush(NULL);
	pid = fork();
	if (pid < 0)
		return EX_OSERR;
	if (pid == 0)
		_exit(demo_client(d));
	if (demo_device(d) < 0)
		say("device", "no data from the client");
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	r = WIFEXITED(status) ? WEXITSTATUS(status) : EX_SOFTWARE;
	for (int i = 0; i < 200 && access(d->lockfile, F_OK) == 0; i++)
		usleep(10000);
	demo_show_lock(d, "demo");
	if (demo_daemon_stop(d) < 0 && r == 0)
		r = EX_SOFTWARE;
	say("demo", "stopped ttybrokerd%s",
	    access(d->sock, F_OK) == 0 ? "" : "; its socket is gone");
	return r;
}

int cli_demo(const struct cli *c, int argc, char **argv)
{
	struct demo d = { .master = -1, .daemon = -1 };
	struct passwd *pw;
	int status = 0, r = EX_OSERR;
	pid_t pid;

	int first;

	if ((r = cli_cmd_options("demo", argc, argv, NULL, &first)) >= 0)
		return r;
	if (first < argc)
		return cli_fail(EX_USAGE, "demo: takes no arguments");
	/*
	 * Real root, not just setuid-root: the frontend must drop to nobody
	 * (a setuid caller always drops to itself) and the demo policy must
	 * be honoured (a setuid caller cannot choose it).
	 */
	if (c->secure || getuid() != 0 || geteuid() != 0)
		return cli_fail(EX_NOPERM, "demo must run as root "
				"(it creates a pty and drops to nobody)");
	r = EX_OSERR;
	if (!(pw = getpwnam("nobody")))
		return cli_fail(EX_NOUSER, "demo: no user 'nobody'");
	d.uid = pw->pw_uid;
	d.gid = pw->pw_gid;
	if (demo_pty(&d) < 0 || demo_files(&d) < 0) {
		r = cli_fail(EX_OSERR, "demo: setting up: %s", strerror(errno));
		goto out;
	}
	say("demo", "pseudo-terminal /dev/%s stands in for a serial port, owned by nobody", d.port);
	say("demo", "policy %s permits nobody to open %s", d.policy, d.port);
	fflush(stdout);
	pid = fork();
	if (pid < 0)
		goto out;
	if (pid == 0)
		_exit(demo_frontend(&d));
	if (demo_device(&d) < 0)
		say("device", "no data from the frontend");
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	/* The backend notices its frontend is gone and removes the lock. */
	for (int i = 0; i < 200 && access(d.lockfile, F_OK) == 0; i++)
		usleep(10000);
	demo_show_lock(&d, "demo");
	r = WIFEXITED(status) ? WEXITSTATUS(status) : EX_SOFTWARE;
	if (r == 0)
		r = demo_daemon_way(&d);
	say("demo", "%s", r == 0 ? "done: the port was opened as nobody through the broker"
				 : "demo FAILED");
out:
	demo_cleanup(&d);
	return r;
}
