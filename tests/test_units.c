/* SPDX-License-Identifier: MIT */
/*
 * test_units.c - the systemd units in systemd/: the service's hardening
 * score (systemd-analyze security --offline=true) stays below seatd's 1.8,
 * both units pass systemd-analyze verify, and the service's command line,
 * run the way the units run it (socket passed by systemd-socket-activate,
 * the unit's capability bounding set, no_new_privs, a private network
 * namespace and its umask), serves a client that dropped to nobody.
 *
 * Without a running systemd the rest of the sandbox (ProtectSystem,
 * DevicePolicy, SystemCallFilter...) cannot be applied here; the score
 * and verify cover its syntax, the daemon its own confinement.
 */
#include <criterion/criterion.h>

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fdpass.h"
#include "proto.h"
#include "testutil.h"

#define ANALYZE      "/usr/bin/systemd-analyze"
#define ACTIVATE     "/usr/bin/systemd-socket-activate"
#define SCORE_TARGET 1.8   /* seatd's unit; systemd-logind's is 3.0 */
#define WAIT_MS      5000

/* The units, generated into a temp dir as make install writes them. */
struct units {
	char dir[64];
	char service[128];
	char socket[128];
	char daemon[PATH_MAX]; /* the build's ttybrokerd, "" if there is none */
};

static struct units u;

/* The build's ttybrokerd: beside $TTYBROKER_BIN, else build/ttybrokerd. */
static void find_daemon(char *out, size_t len)
{
	const char *bin = getenv("TTYBROKER_BIN");
	const char *slash = bin ? strrchr(bin, '/') : NULL;
	char path[PATH_MAX];

	if (slash)
		snprintf(path, sizeof(path), "%.*s/ttybrokerd", (int)(slash - bin), bin);
	else
		snprintf(path, sizeof(path), "build/ttybrokerd"); /* run in the source tree */
	/* ExecStart wants an absolute path. */
	if (access(path, X_OK) < 0 || !realpath(path, out) || strlen(out) >= len)
		out[0] = '\0';
}

/* Copy SRC to DST, replacing @SBINDIR@ with SBINDIR, as UNIT_SED does. */
static void unit_write(const char *src, const char *dst, const char *sbindir)
{
	char line[512];
	FILE *in = fopen(src, "re"), *out;

	cr_assert_not_null(in, "%s: %s (run the tests from the source tree)", src,
			   strerror(errno));
	out = fopen(dst, "we");
	cr_assert_not_null(out, "%s: %s", dst, strerror(errno));
	while (fgets(line, sizeof(line), in)) {
		char *at = strstr(line, "@SBINDIR@");

		if (at)
			fprintf(out, "%.*s%s%s", (int)(at - line), line, sbindir, at + 9);
		else
			fputs(line, out);
	}
	fclose(in);
	cr_assert_eq(fclose(out), 0);
}

static void setup(void)
{
	char sbindir[PATH_MAX];

	snprintf(u.dir, sizeof(u.dir), "/tmp/tb-units.XXXXXX");
	cr_assert_not_null(mkdtemp(u.dir));
	cr_assert_eq(chmod(u.dir, 0755), 0);
	snprintf(u.service, sizeof(u.service), "%s/ttybroker.service", u.dir);
	snprintf(u.socket, sizeof(u.socket), "%s/ttybroker.socket", u.dir);
	find_daemon(u.daemon, sizeof(u.daemon));
	if (u.daemon[0])
		snprintf(sbindir, sizeof(sbindir), "%.*s",
			 (int)(strrchr(u.daemon, '/') - u.daemon), u.daemon);
	else
		snprintf(sbindir, sizeof(sbindir), "/usr/local/sbin");
	unit_write("systemd/ttybroker.service.in", u.service, sbindir);
	unit_write("systemd/ttybroker.socket", u.socket, sbindir);
}

static void teardown(void)
{
	unlink(u.service);
	unlink(u.socket);
	rmdir(u.dir);
}

/* Run the shell command CMD, its output (both streams) into OUT.  Exit status. */
static int run(const char *cmd, char *out, size_t len)
{
	FILE *p = popen(cmd, "r");
	size_t n = 0, got;
	int st;

	cr_assert_not_null(p, "popen %s", cmd);
	while (n + 1 < len && (got = fread(out + n, 1, len - 1 - n, p)) > 0)
		n += got;
	out[n] = '\0';
	while (fgetc(p) != EOF)
		;
	st = pclose(p);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static void need_analyze(void)
{
	if (access(ANALYZE, X_OK) < 0)
		tu_skip(teardown, ANALYZE " is missing (Debian package systemd)");
}

TestSuite(units, .init = setup, .fini = teardown, .timeout = 60);

/*
 * systemd-analyze security --offline=true's overall exposure of UNIT (a
 * path); SHOW logs the whole table when it misses the target.
 */
static double exposure(const char *unit, bool show)
{
	static char out[16384];
	char cmd[512], key[160];
	const char *at, *base = strrchr(unit, '/') + 1;
	double score;

	snprintf(cmd, sizeof(cmd), ANALYZE " security --offline=true --no-pager '%s' 2>&1",
		 unit);
	cr_assert_eq(run(cmd, out, sizeof(out)), 0, "%s:\n%s", cmd, out);
	snprintf(key, sizeof(key), "Overall exposure level for %s: ", base);
	at = strstr(out, key);
	cr_assert_not_null(at, "no overall exposure in:\n%s", out);
	cr_assert_eq(sscanf(at + strlen(key), "%lf", &score), 1, "%s", at);
	if (show && score >= SCORE_TARGET)
		cr_log_error("%s", out);
	return score;
}

/* The overall exposure systemd-analyze gives the service, below seatd's. */
Test(units, security_score)
{
	double score;

	need_analyze();
	score = exposure(u.service, true);
	cr_log_info("systemd-analyze security: %.1f (target below %.1f)", score,
		    SCORE_TARGET);
	cr_expect_lt(score, SCORE_TARGET, "exposure %.1f, want below %.1f", score,
		     SCORE_TARGET);
}

/* The same measure sees a service without hardening as exposed (>= 9). */
Test(units, security_score_of_a_bare_unit)
{
	char bare[128];
	FILE *f;

	need_analyze();
	snprintf(bare, sizeof(bare), "%s/bare.service", u.dir);
	cr_assert_not_null(f = fopen(bare, "we"));
	fprintf(f, "[Service]\nExecStart=/bin/true\n");
	cr_assert_eq(fclose(f), 0);
	cr_expect_geq(exposure(bare, false), 9.0);
	unlink(bare);
}

/* systemd-analyze verify finds nothing to say about either unit. */
Test(units, verify)
{
	static char out[8192];
	char cmd[512];

	need_analyze();
	if (!u.daemon[0])
		tu_skip(teardown, "no ttybrokerd beside $TTYBROKER_BIN: ExecStart cannot be checked");
	snprintf(cmd, sizeof(cmd), "cd '%s' && " ANALYZE " verify --man=no "
		 "ttybroker.socket ttybroker.service 2>&1", u.dir);
	cr_assert_eq(run(cmd, out, sizeof(out)), 0, "%s:\n%s", cmd, out);
	cr_expect_str_empty(out, "systemd-analyze verify says:\n%s", out);
}

/* The value of the first "KEY=" line of FILE into OUT; false if none. */
static bool unit_value(const char *file, const char *key, char *out, size_t len)
{
	char line[512];
	size_t klen = strlen(key);
	bool found = false;
	FILE *f = fopen(file, "re");

	cr_assert_not_null(f, "%s", file);
	while (!found && fgets(line, sizeof(line), f)) {
		if (strncmp(line, key, klen) || line[klen] != '=')
			continue;
		line[strcspn(line, "\n")] = '\0';
		snprintf(out, len, "%s", line + klen + 1);
		found = true;
	}
	fclose(f);
	return found;
}

/* "CAP_DAC_OVERRIDE CAP_FOWNER" -> "-all,+dac_override,+fowner" for setpriv. */
static void bounding_arg(const char *caps, char *out, size_t len)
{
	char copy[256], *save = NULL;
	size_t pos = (size_t)snprintf(out, len, "-all");

	snprintf(copy, sizeof(copy), "%s", caps);
	for (char *c = strtok_r(copy, " ", &save); c; c = strtok_r(NULL, " ", &save)) {
		cr_assert_eq(strncmp(c, "CAP_", 4), 0, "capability %s", c);
		for (char *p = c; *p; p++)
			*p = (char)(*p >= 'A' && *p <= 'Z' ? *p - 'A' + 'a' : *p);
		pos += (size_t)snprintf(out + pos, len - pos, ",+%s", c + 4);
		cr_assert_lt(pos, len);
	}
}

/*
 * The daemon as the units start it: systemd-socket-activate stands in for
 * ttybroker.socket (then the socket gets the unit's SocketMode), and the
 * service's ExecStart runs with its UMask, a new network namespace
 * (PrivateNetwork) and setpriv applying CapabilityBoundingSet and
 * NoNewPrivileges, each exec keeping the pid LISTEN_PID names.  Private
 * policy and lock dir are appended to the command line.
 */
static pid_t start_activated(const struct tu_env *env, const char *sock)
{
	char exec[256], caps[256], bnd[300], umask_v[16], mode[16], *argv[32], *save = NULL;
	int argc = 0;
	pid_t pid;

	cr_assert(unit_value(u.service, "ExecStart", exec, sizeof(exec)));
	cr_assert(unit_value(u.service, "CapabilityBoundingSet", caps, sizeof(caps)));
	cr_assert(unit_value(u.service, "UMask", umask_v, sizeof(umask_v)));
	cr_assert(unit_value(u.socket, "SocketMode", mode, sizeof(mode)));
	bounding_arg(caps, bnd, sizeof(bnd));
	argv[argc++] = ACTIVATE;
	argv[argc++] = "--seqpacket";
	argv[argc++] = "-l";
	argv[argc++] = (char *)sock;
	argv[argc++] = "/bin/sh";
	argv[argc++] = "-c";
	argv[argc++] = "umask \"$0\" && exec \"$@\"";
	argv[argc++] = umask_v;
	argv[argc++] = "/usr/bin/unshare";
	argv[argc++] = "--net";
	argv[argc++] = "/usr/bin/setpriv";
	argv[argc++] = "--no-new-privs";
	argv[argc++] = "--inh-caps=-all";
	argv[argc++] = "--bounding-set";
	argv[argc++] = bnd;
	for (char *w = strtok_r(exec, " ", &save); w; w = strtok_r(NULL, " ", &save))
		argv[argc++] = w;
	argv[argc++] = "-p";
	argv[argc++] = (char *)env->policy;
	argv[argc++] = "-l";
	argv[argc++] = (char *)env->lockdir;
	argv[argc] = NULL;
	cr_assert_lt(argc, 32);
	cr_assert_str_eq(argv[15], u.daemon, "ExecStart runs %s", argv[15]);

	pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		execv(argv[0], argv);
		_exit(127);
	}
	cr_assert(tu_wait_listening(sock, WAIT_MS), "systemd-socket-activate listens");
	cr_assert_eq(chmod(sock, (mode_t)strtol(mode, NULL, 8)), 0);
	return pid;
}

/*
 * In a child dropped to nobody: connect, PROTO_READY, open PORT, write;
 * then say so on HELD and keep the port until GO closes.
 */
static _Noreturn void nobody_client(const char *sock, const char *port, int held, int go)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct pollfd p = { .events = POLLIN };
	char buf[PROTO_MSG_MAX];
	struct proto_open req;
	union proto_msg m;
	int s, fd = -1;
	ssize_t n;

	if (setgroups(0, NULL) < 0 || setgid(TU_NOBODY) < 0 || setuid(TU_NOBODY) < 0)
		_exit(10);
	if (strlen(sock) >= sizeof(sa.sun_path))
		_exit(11);
	memcpy(sa.sun_path, sock, strlen(sock) + 1);
	if ((s = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0)) < 0 ||
	    connect(s, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		_exit(11);
	p.fd = s;
	if (poll(&p, 1, WAIT_MS) != 1 || (n = fdpass_recv(s, buf, sizeof(buf), NULL, NULL)) <= 0 ||
	    proto_decode(buf, (size_t)n, PROTO_FROM_BACKEND, false, &m) < 0 ||
	    m.hdr.type != PROTO_READY || m.ready.err != 0)
		_exit(12);
	memset(&req, 0, sizeof(req));
	proto_hdr_init(&req.hdr, PROTO_OPEN, 1);
	snprintf(req.port, sizeof(req.port), "%s", port);
	if (send(s, &req, sizeof(req), MSG_NOSIGNAL) != (ssize_t)sizeof(req))
		_exit(13);
	if (poll(&p, 1, WAIT_MS) != 1 || (n = fdpass_recv(s, buf, sizeof(buf), &fd, NULL)) <= 0 ||
	    proto_decode(buf, (size_t)n, PROTO_FROM_BACKEND, fd >= 0, &m) < 0 ||
	    m.hdr.type != PROTO_OPEN_REPLY || m.open_reply.err != 0 || fd < 0)
		_exit(14);
	if (write(fd, "from-nobody", 11) != 11 || write(held, "h", 1) != 1)
		_exit(15);
	while (read(go, buf, 1) < 0 && errno == EINTR)
		;
	_exit(0);
}

/*
 * Why start_activated() waits for the listen() and not for the path: a
 * socket that is bound but not yet listening refuses connect(), which made
 * activated_daemon_serves_nobody fail now and then under load.
 */
Test(units, bound_is_not_listening)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct tu_env env;
	int s, c;

	tu_env_init(&env);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/bound.sock", env.dir);
	s = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	c = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	cr_assert(s >= 0 && c >= 0);
	cr_assert_eq(bind(s, (struct sockaddr *)&sa, sizeof(sa)), 0);
	cr_expect(tu_exists(sa.sun_path), "the path exists from bind()");
	cr_expect_not(tu_wait_listening(sa.sun_path, 50), "bound is not listening");
	cr_expect_eq(connect(c, (struct sockaddr *)&sa, sizeof(sa)), -1);
	cr_expect_eq(errno, ECONNREFUSED, "connect before listen: %s", strerror(errno));
	cr_assert_eq(listen(s, 1), 0);
	cr_expect(tu_wait_listening(sa.sun_path, 1000), "listening after listen()");
	close(c);
	close(s);
	unlink(sa.sun_path);
	tu_env_fini(&env);
}

/* The service's command line, activated as the units do, serves nobody. */
Test(units, activated_daemon_serves_nobody)
{
	struct tu_env env;
	struct tu_pty pty;
	struct pollfd p = { .events = POLLIN };
	char sock[160], lockfile[256], c;
	struct stat lst = { 0 };
	pid_t daemon_pid, kid;
	int st, held[2], go[2];

	if (!u.daemon[0])
		tu_skip(teardown, "no ttybrokerd beside $TTYBROKER_BIN");
	if (access(ACTIVATE, X_OK) < 0)
		tu_skip(teardown, ACTIVATE " is missing (Debian package systemd)");
	tu_env_init(&env);
	tu_pty_open(&pty, TU_NOBODY);
	tu_policy(&env, "permit nobody %s\n", pty.port);
	snprintf(sock, sizeof(sock), "%s/ttybroker.sock", env.dir);
	daemon_pid = start_activated(&env, sock);

	cr_assert_eq(pipe2(held, O_CLOEXEC), 0);
	cr_assert_eq(pipe2(go, O_CLOEXEC), 0);
	kid = fork();
	cr_assert_geq(kid, 0);
	if (kid == 0) {
		close(held[0]);
		close(go[1]);
		nobody_client(sock, pty.port, held[1], go[0]);
	}
	close(held[1]);
	close(go[0]);
	p.fd = held[0];
	if (poll(&p, 1, WAIT_MS * 2) == 1 && read(held[0], &c, 1) == 1) {
		/* Under the unit's UMask, the LCK.. file is still readable by all. */
		tu_lockfile(&env, pty.port, lockfile, sizeof(lockfile));
		cr_expect_eq(stat(lockfile, &lst), 0, "%s while held", lockfile);
		cr_expect_eq(lst.st_mode & 07777, 0644, "%s has mode %o", lockfile,
			     (unsigned int)(lst.st_mode & 07777));
	}
	close(held[0]);
	close(go[1]);
	st = tu_wait(kid, WAIT_MS * 2);
	if (st < 0) {
		kill(kid, SIGKILL);
		tu_wait(kid, WAIT_MS);
	}
	cr_expect_eq(st, 0, "the nobody client exited %d", st);
	cr_expect(tu_pty_expect(&pty, "from-nobody", WAIT_MS), "the line reached the pty");

	kill(daemon_pid, SIGTERM);
	st = tu_wait(daemon_pid, WAIT_MS);
	if (st < 0) {
		kill(daemon_pid, SIGKILL);
		tu_wait(daemon_pid, WAIT_MS);
	}
	cr_expect_eq(st, 0, "ttybrokerd ended with %d on SIGTERM", st);
	unlink(sock);
	tu_pty_close(&pty);
	tu_env_fini(&env);
}
