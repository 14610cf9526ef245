/* SPDX-License-Identifier: MIT */
/*
 * connect.c - reaching the broker without root: the daemon's socket, or
 * the setuid-root helper executed on a socketpair (see connect.h and
 * docs/DESIGN.md, "Three ways in").
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "connect.h"
#include "fdpass.h"
#include "proto.h"

/* An environment variable, but never in secure mode (setuid/setgid caller). */
static const char *connect_env(const char *name, const char *dflt)
{
	const char *v = getauxval(AT_SECURE) ? NULL : getenv(name);

	return v && *v ? v : dflt;
}

const char *connect_socket_path(void)
{
	return connect_env("TTYBROKER_SOCKET", CONNECT_SOCKET_DEFAULT);
}

const char *connect_helper_path(void)
{
	return connect_env("TTYBROKER_HELPER", CONNECT_HELPER_DEFAULT);
}

/*
 * Wait for PROTO_READY on SOCK, for every way in.  A backend that could
 * not start said why on stderr, so to the caller that is one error,
 * -ECHILD; a daemon's refusal for one of its limits is passed on as it
 * is (-EUSERS, -ENFILE, -E2BIG), because tb_strerror() can say which.
 */
int connect_wait_ready(int sock)
{
	char buf[PROTO_MSG_MAX];
	union proto_msg msg;
	ssize_t n;

	do
		n = fdpass_recv(sock, buf, sizeof(buf), NULL, NULL);
	while (n == -EINTR);
	if (n == 0)
		return -ECONNRESET; /* died before it was ready, unexplained */
	if (n < 0)
		return (int)n;
	if (proto_decode(buf, (size_t)n, PROTO_FROM_BACKEND, false, &msg) < 0 ||
	    msg.hdr.type != PROTO_READY)
		return -EPROTO;
	switch (msg.ready.err) {
	case 0:
		return 0;
	case -EUSERS: case -ENFILE: case -E2BIG:
		return msg.ready.err;
	default:
		return -ECHILD;
	}
}

int connect_daemon(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd, r;

	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	memcpy(sa.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (const struct sockaddr *)&sa, sizeof(sa)) < 0) {
		r = -errno;
		close(fd);
		/* Nothing there, nobody accepting, or not for us: try the helper. */
		if (r == -ENOENT || r == -ECONNREFUSED || r == -ENOTDIR || r == -EACCES)
			return -ENOTCONN;
		return r;
	}
	if ((r = connect_wait_ready(fd)) < 0) {
		close(fd);
		return r;
	}
	return fd;
}

/*
 * Would executing PATH give a root helper?  Only a regular file owned by
 * root, setuid, executable by us (as execve() checks: effective ids), on a
 * mount that honours setuid, in a
 * process without no_new_privs.  Otherwise -ENOTCONN: there is no helper.
 */
static int connect_helper_usable(const char *path)
{
	struct statvfs vfs;
	struct stat st;

	if (stat(path, &st) < 0 || !S_ISREG(st.st_mode) || st.st_uid != 0 ||
	    !(st.st_mode & S_ISUID) || faccessat(AT_FDCWD, path, X_OK, AT_EACCESS) < 0)
		return -ENOTCONN;
	if (statvfs(path, &vfs) < 0 || (vfs.f_flag & ST_NOSUID))
		return -ENOTCONN;
	if (prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) == 1)
		return -ENOTCONN;
	return 0;
}

/*
 * In the forked child: FD on PROTO_HELPER_FD (not close-on-exec), nothing
 * above it, no blocked signals, an empty environment.  Only
 * async-signal-safe calls: the application may have threads.
 */
static _Noreturn void connect_helper_exec(const char *path, int fd)
{
	static char *const argv[] = { "ttybroker-helper", NULL };
	static char *const envp[] = { NULL };
	sigset_t none;

	if (fd == PROTO_HELPER_FD) {
		if (fcntl(fd, F_SETFD, 0) < 0)
			_exit(127);
	} else if (dup2(fd, PROTO_HELPER_FD) < 0) {
		_exit(127);
	}
	if (close_range(PROTO_HELPER_FD + 1, ~0U, 0) < 0)
		_exit(127);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	execve(path, argv, envp);
	_exit(127);
}

int connect_helper(const char *path, pid_t *pid)
{
	int sv[2], r;
	pid_t child;

	if ((r = connect_helper_usable(path)) < 0)
		return r;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return -errno;
	child = fork();
	if (child < 0) {
		r = -errno;
		close(sv[0]);
		close(sv[1]);
		return r;
	}
	if (child == 0)
		connect_helper_exec(path, sv[1]);
	close(sv[1]);
	if ((r = connect_wait_ready(sv[0])) < 0) {
		close(sv[0]); /* EOF: a helper still starting ends */
		while (waitpid(child, NULL, 0) < 0 && errno == EINTR)
			;
		return r;
	}
	*pid = child;
	return sv[0];
}
