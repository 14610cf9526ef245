/* SPDX-License-Identifier: MIT */
/*
 * test_fdpass.c - one datagram, at most one descriptor, and credentials
 * (common/fdpass.c) over a real AF_UNIX SOCK_SEQPACKET socketpair.  The
 * receive side is the backend's defence against a hostile frontend, so
 * besides the happy paths every way to smuggle in extra descriptors is
 * tried and the process's descriptor table is counted before and after.
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fdpass.h"
#include "testutil.h"

/* The socketpair every test uses: sv[0] sends, sv[1] receives. */
static int sv[2] = { -1, -1 };

static void setup(void)
{
	signal(SIGPIPE, SIG_DFL); /* a missing MSG_NOSIGNAL must kill the test */
	cr_assert_eq(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0,
		     "socketpair: %s", strerror(errno));
}

static void teardown(void)
{
	for (int i = 0; i < 2; i++) {
		if (sv[i] >= 0)
			close(sv[i]);
		sv[i] = -1;
	}
}

TestSuite(fdpass, .init = setup, .fini = teardown);

/* ---- helpers ---------------------------------------------------------- */

/* An anonymous file without FD_CLOEXEC, so the receiver's flag is visible. */
static int make_file(const char *tag)
{
	int fd = memfd_create(tag, 0);

	cr_assert_geq(fd, 0, "memfd_create: %s", strerror(errno));
	return fd;
}

static void assert_same_file(int a, int b)
{
	struct stat sa, sb;

	cr_assert_eq(fstat(a, &sa), 0);
	cr_assert_eq(fstat(b, &sb), 0);
	cr_assert_eq(sa.st_dev, sb.st_dev);
	cr_assert_eq(sa.st_ino, sb.st_ino);
}

/* Send BUF with N descriptors in a single SCM_RIGHTS, bypassing fdpass_send. */
static void send_raw_fds(int sock, const void *buf, size_t len, const int *fds,
			 size_t n)
{
	union {
		char buf[CMSG_SPACE(sizeof(int) * 253)];
		struct cmsghdr align;
	} ctl;
	struct iovec iov = { .iov_base = (void *)buf, .iov_len = len };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
	struct cmsghdr *c;

	cr_assert_leq(n, 253u);
	memset(&ctl, 0, sizeof(ctl));
	msg.msg_control = ctl.buf;
	msg.msg_controllen = CMSG_SPACE(sizeof(int) * n);
	c = CMSG_FIRSTHDR(&msg);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int) * n);
	memcpy(CMSG_DATA(c), fds, sizeof(int) * n);
	cr_assert_eq(sendmsg(sock, &msg, MSG_NOSIGNAL), (ssize_t)len,
		     "sendmsg: %s", strerror(errno));
}

/* Nothing is left queued on the receiving end. */
static void assert_queue_empty(int sock)
{
	char c;

	cr_assert_eq(recv(sock, &c, 1, MSG_DONTWAIT), -1);
	cr_assert_eq(errno, EAGAIN);
}

/* ---- plain messages and single descriptors ---------------------------- */

Test(fdpass, message_without_fd)
{
	char buf[64];
	int fd = 1234;

	cr_assert_eq(fdpass_send(sv[0], "hello", 5, -1), 0);
	cr_assert_eq(fdpass_recv(sv[1], buf, sizeof(buf), &fd, NULL), 5);
	cr_assert_eq(fd, -1, "no descriptor came, *fd must be -1");
	cr_assert_eq(memcmp(buf, "hello", 5), 0);

	/* No descriptor acceptable and none sent: fine too. */
	cr_assert_eq(fdpass_send(sv[0], "x", 1, -1), 0);
	cr_assert_eq(fdpass_recv(sv[1], buf, sizeof(buf), NULL, NULL), 1);
	cr_assert_eq(buf[0], 'x');
}

/* Datagram boundaries are kept: two sends are two receives. */
Test(fdpass, boundaries)
{
	char buf[16];

	cr_assert_eq(fdpass_send(sv[0], "abc", 3, -1), 0);
	cr_assert_eq(fdpass_send(sv[0], "defgh", 5, -1), 0);
	cr_assert_eq(fdpass_recv(sv[1], buf, sizeof(buf), NULL, NULL), 3);
	cr_assert_eq(memcmp(buf, "abc", 3), 0);
	cr_assert_eq(fdpass_recv(sv[1], buf, sizeof(buf), NULL, NULL), 5);
	cr_assert_eq(memcmp(buf, "defgh", 5), 0);
}

Test(fdpass, message_with_fd)
{
	int file = make_file("fdpass-one"), got = -1, before;
	char buf[16];

	cr_assert_eq(fcntl(file, F_GETFD) & FD_CLOEXEC, 0);
	cr_assert_eq(fdpass_send(sv[0], "fd", 2, file), 0);
	before = tu_count_fds();
	cr_assert_eq(fdpass_recv(sv[1], buf, sizeof(buf), &got, NULL), 2);
	cr_assert_geq(got, 0);
	cr_assert_neq(got, file);
	cr_assert_eq(tu_count_fds(), before + 1);
	cr_assert_neq(fcntl(got, F_GETFD) & FD_CLOEXEC, 0, "FD_CLOEXEC not set");
	assert_same_file(got, file);
	cr_assert_eq(close(got), 0);
	cr_assert_eq(close(file), 0);
}

/* A message exactly as long as the buffer is not truncated. */
Test(fdpass, exact_fit)
{
	char out[32], in[32];

	memset(out, 'q', sizeof(out));
	cr_assert_eq(fdpass_send(sv[0], out, sizeof(out), -1), 0);
	cr_assert_eq(fdpass_recv(sv[1], in, sizeof(in), NULL, NULL),
		     (ssize_t)sizeof(in));
	cr_assert_eq(memcmp(in, out, sizeof(in)), 0);
}

Test(fdpass, empty_message_refused)
{
	int file = make_file("fdpass-empty");

	cr_assert_eq(fdpass_send(sv[0], "", 0, -1), -EINVAL);
	cr_assert_eq(fdpass_send(sv[0], "", 0, file), -EINVAL);
	assert_queue_empty(sv[1]);
	close(file);
}

Test(fdpass, send_errors)
{
	int pfd[2];

	cr_assert_eq(fdpass_send(sv[0], "x", 1, 999999), -EBADF);
	cr_assert_eq(fdpass_send(-1, "x", 1, -1), -EBADF);
	cr_assert_eq(pipe2(pfd, O_CLOEXEC), 0);
	cr_assert_eq(fdpass_send(pfd[1], "x", 1, -1), -ENOTSOCK);
	cr_assert_eq(fdpass_want_creds(pfd[0]), -ENOTSOCK);
	close(pfd[0]);
	close(pfd[1]);
	assert_queue_empty(sv[1]);
}

/* ---- descriptors that must not be accepted ---------------------------- */

/* An fd sent where none is acceptable is refused and closed. */
Test(fdpass, unexpected_fd_closed)
{
	int file = make_file("fdpass-unexpected"), before;
	char buf[16];

	cr_assert_eq(fdpass_send(sv[0], "fd", 2, file), 0);
	before = tu_count_fds();
	cr_assert_eq(fdpass_recv(sv[1], buf, sizeof(buf), NULL, NULL), -EBADMSG);
	cr_assert_eq(tu_count_fds(), before, "the refused fd leaked");
	close(file);
}

struct many_case {
	size_t nfds;
	bool creds; /* receiver also asks for credentials */
};

ParameterizedTestParameters(fdpass, many_fds)
{
	/*
	 * 2 and 8 fit the receiver's control buffer (refused for their count);
	 * 16 and 253 (SCM_MAX_FD) overflow it, so the kernel reports
	 * MSG_CTRUNC and drops the rest.  Either way nothing may remain.
	 */
	static struct many_case cases[] = {
		{ 2, false }, { 8, false }, { 16, false }, { 253, false },
		{ 2, true },  { 8, true },  { 16, true },  { 253, true },
	};

	return cr_make_param_array(struct many_case, cases,
				   sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct many_case *c, fdpass, many_fds)
{
	int fds[253], got = 4321, before;
	struct ucred cred;
	char buf[16];

	for (size_t i = 0; i < c->nfds; i++)
		fds[i] = make_file("fdpass-many");
	if (c->creds)
		cr_assert_eq(fdpass_want_creds(sv[1]), 0);
	send_raw_fds(sv[0], "many", 4, fds, c->nfds);
	before = tu_count_fds();
	cr_assert_eq(fdpass_recv(sv[1], buf, sizeof(buf), &got,
				 c->creds ? &cred : NULL), -EBADMSG,
		     "%zu fds accepted", c->nfds);
	cr_assert_eq(got, -1, "*fd must be -1 after a refusal");
	cr_assert_eq(tu_count_fds(), before, "%zu fds: descriptors leaked",
		     c->nfds);
	for (size_t i = 0; i < c->nfds; i++)
		close(fds[i]);
	assert_queue_empty(sv[1]);
}

/* Two SCM_RIGHTS headers with one fd each count as two. */
Test(fdpass, two_cmsgs)
{
	union {
		char buf[2 * CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} ctl;
	struct iovec iov = { .iov_base = "two", .iov_len = 3 };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
	struct cmsghdr *c;
	int a = make_file("fdpass-a"), b = make_file("fdpass-b"), got, before;
	char buf[16];

	memset(&ctl, 0, sizeof(ctl));
	msg.msg_control = ctl.buf;
	msg.msg_controllen = sizeof(ctl.buf);
	c = CMSG_FIRSTHDR(&msg);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &a, sizeof(int));
	c = CMSG_NXTHDR(&msg, c);
	cr_assert_not_null(c);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &b, sizeof(int));
	cr_assert_eq(sendmsg(sv[0], &msg, MSG_NOSIGNAL), 3, "sendmsg: %s",
		     strerror(errno));
	before = tu_count_fds();
	cr_assert_eq(fdpass_recv(sv[1], buf, sizeof(buf), &got, NULL), -EBADMSG);
	cr_assert_eq(got, -1);
	cr_assert_eq(tu_count_fds(), before, "descriptors leaked");
	close(a);
	close(b);
}

/* A datagram longer than the buffer (MSG_TRUNC) is refused, fd and all. */
Test(fdpass, truncated_message)
{
	char big[64], buf[16];
	int file = make_file("fdpass-trunc"), got, before;

	memset(big, 'z', sizeof(big));
	cr_assert_eq(fdpass_send(sv[0], big, sizeof(big), -1), 0);
	cr_assert_eq(fdpass_recv(sv[1], buf, sizeof(buf), &got, NULL), -EBADMSG);
	cr_assert_eq(got, -1);

	/* One byte too long is as bad as many. */
	cr_assert_eq(fdpass_send(sv[0], big, sizeof(buf) + 1, -1), 0);
	cr_assert_eq(fdpass_recv(sv[1], buf, sizeof(buf), &got, NULL), -EBADMSG);

	/* With a descriptor attached, that descriptor is closed too. */
	cr_assert_eq(fdpass_send(sv[0], big, sizeof(big), file), 0);
	before = tu_count_fds();
	cr_assert_eq(fdpass_recv(sv[1], buf, sizeof(buf), &got, NULL), -EBADMSG);
	cr_assert_eq(got, -1);
	cr_assert_eq(tu_count_fds(), before, "descriptor of a truncated message leaked");

	/* The rest of each truncated datagram is gone, not read next. */
	assert_queue_empty(sv[1]);
	close(file);
}

/* ---- credentials ------------------------------------------------------ */

Test(fdpass, credentials_self)
{
	struct ucred cred;
	char buf[16];

	cr_assert_eq(fdpass_want_creds(sv[1]), 0);
	cr_assert_eq(fdpass_send(sv[0], "who", 3, -1), 0);
	memset(&cred, 0xff, sizeof(cred));
	cr_assert_eq(fdpass_recv(sv[1], buf, sizeof(buf), NULL, &cred), 3);
	cr_assert_eq(cred.pid, getpid());
	cr_assert_eq(cred.uid, getuid());
	cr_assert_eq(cred.gid, getgid());
}

/* Credentials and one descriptor together fit and both arrive. */
Test(fdpass, credentials_with_fd)
{
	int file = make_file("fdpass-cred"), got = -1;
	struct ucred cred;
	char buf[16];

	cr_assert_eq(fdpass_want_creds(sv[1]), 0);
	cr_assert_eq(fdpass_send(sv[0], "both", 4, file), 0);
	cr_assert_eq(fdpass_recv(sv[1], buf, sizeof(buf), &got, &cred), 4);
	cr_assert_geq(got, 0);
	cr_assert_neq(fcntl(got, F_GETFD) & FD_CLOEXEC, 0);
	assert_same_file(got, file);
	cr_assert_eq(cred.pid, getpid());
	close(got);
	close(file);
}

/* A child that dropped to nobody is seen as nobody, with its own pid. */
Test(fdpass, credentials_of_child)
{
	struct ucred cred;
	char buf[16];
	pid_t pid;
	int status;

	cr_assert_eq(fdpass_want_creds(sv[1]), 0);
	pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		close(sv[1]);
		if (setresgid(TU_NOBODY, TU_NOBODY, TU_NOBODY) < 0 ||
		    setresuid(TU_NOBODY, TU_NOBODY, TU_NOBODY) < 0)
			_exit(2);
		_exit(fdpass_send(sv[0], "kid", 3, -1) == 0 ? 0 : 3);
	}
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		  "child status %#x", status);
	cr_assert_eq(fdpass_recv(sv[1], buf, sizeof(buf), NULL, &cred), 3);
	cr_assert_eq(cred.pid, pid);
	cr_assert_eq(cred.uid, (uid_t)TU_NOBODY);
	cr_assert_eq(cred.gid, (gid_t)TU_NOBODY);
}

/* Credentials demanded but SO_PASSCRED off: refused, and an fd is closed. */
Test(fdpass, credentials_missing)
{
	int file = make_file("fdpass-nocred"), got, before;
	struct ucred cred;
	char buf[16];

	cr_assert_eq(fdpass_send(sv[0], "anon", 4, -1), 0);
	cr_assert_eq(fdpass_recv(sv[1], buf, sizeof(buf), NULL, &cred), -EBADMSG);

	cr_assert_eq(fdpass_send(sv[0], "anon", 4, file), 0);
	before = tu_count_fds();
	cr_assert_eq(fdpass_recv(sv[1], buf, sizeof(buf), &got, &cred), -EBADMSG);
	cr_assert_eq(got, -1);
	cr_assert_eq(tu_count_fds(), before, "descriptor leaked");
	close(file);
}

/* ---- end of stream and errors ----------------------------------------- */

Test(fdpass, eof)
{
	struct ucred cred;
	char buf[16];
	int got = 99;

	cr_assert_eq(fdpass_want_creds(sv[1]), 0);
	close(sv[0]);
	sv[0] = -1;
	cr_assert_eq(fdpass_recv(sv[1], buf, sizeof(buf), &got, NULL), 0);
	cr_assert_eq(got, -1);
	/* EOF is EOF even when credentials are demanded. */
	cr_assert_eq(fdpass_recv(sv[1], buf, sizeof(buf), &got, &cred), 0);
	cr_assert_eq(fdpass_recv(sv[1], buf, sizeof(buf), NULL, NULL), 0);
}

/* Messages queued before the close are still delivered, then EOF. */
Test(fdpass, eof_after_data)
{
	char buf[16];

	cr_assert_eq(fdpass_send(sv[0], "last", 4, -1), 0);
	close(sv[0]);
	sv[0] = -1;
	cr_assert_eq(fdpass_recv(sv[1], buf, sizeof(buf), NULL, NULL), 4);
	cr_assert_eq(fdpass_recv(sv[1], buf, sizeof(buf), NULL, NULL), 0);
}

/*
 * Send to a closed peer of TYPE with SIGPIPE blocked; returns the result
 * and whether a SIGPIPE became pending (it must not: MSG_NOSIGNAL).
 */
static int send_to_closed(int type, int fd, bool *sigpipe)
{
	sigset_t block, old, pending;
	int pair[2], r;

	cr_assert_eq(socketpair(AF_UNIX, type | SOCK_CLOEXEC, 0, pair), 0);
	close(pair[1]);
	sigemptyset(&block);
	sigaddset(&block, SIGPIPE);
	cr_assert_eq(sigprocmask(SIG_BLOCK, &block, &old), 0);
	r = fdpass_send(pair[0], "gone", 4, fd);
	cr_assert_eq(sigpending(&pending), 0);
	*sigpipe = sigismember(&pending, SIGPIPE) == 1;
	if (*sigpipe) { /* consume it so unblocking does not kill the test */
		int sig;

		sigwait(&block, &sig);
	}
	cr_assert_eq(sigprocmask(SIG_SETMASK, &old, NULL), 0);
	close(pair[0]);
	return r;
}

/* Sending to a closed peer is -EPIPE, and SIGPIPE (default: die) never comes. */
Test(fdpass, peer_closed)
{
	int file = make_file("fdpass-epipe");
	bool sigpipe;

	close(sv[1]);
	sv[1] = -1;
	cr_assert_eq(fdpass_send(sv[0], "gone", 4, -1), -EPIPE);
	cr_assert_eq(fdpass_send(sv[0], "gone", 4, file), -EPIPE);

	/* The same with SIGPIPE blocked, so a signal shows up as pending. */
	cr_assert_eq(send_to_closed(SOCK_SEQPACKET, -1, &sigpipe), -EPIPE);
	cr_assert_not(sigpipe, "SIGPIPE raised (no MSG_NOSIGNAL)");
	/*
	 * AF_UNIX SOCK_SEQPACKET does not raise SIGPIPE on every kernel;
	 * SOCK_STREAM always does, so this is where MSG_NOSIGNAL shows.
	 */
	cr_assert_eq(send_to_closed(SOCK_STREAM, -1, &sigpipe), -EPIPE);
	cr_assert_not(sigpipe, "SIGPIPE raised (no MSG_NOSIGNAL)");
	cr_assert_eq(send_to_closed(SOCK_STREAM, file, &sigpipe), -EPIPE);
	cr_assert_not(sigpipe, "SIGPIPE raised (no MSG_NOSIGNAL)");
	close(file);
}

Test(fdpass, nonblocking_empty)
{
	char buf[16];
	int got = 7;

	cr_assert_eq(fcntl(sv[1], F_SETFL, O_NONBLOCK), 0);
	cr_assert_eq(fdpass_recv(sv[1], buf, sizeof(buf), &got, NULL), -EAGAIN);
	cr_assert_eq(got, -1);
}

static void on_alarm(int sig)
{
	(void)sig;
}

/* A signal interrupts a blocking receive with -EINTR instead of a retry. */
Test(fdpass, recv_eintr, .timeout = 10)
{
	struct sigaction sa = { .sa_handler = on_alarm }; /* no SA_RESTART */
	struct itimerval it = { .it_interval = { 0, 20000 }, .it_value = { 0, 20000 } };
	struct itimerval off = { { 0, 0 }, { 0, 0 } };
	char buf[16];
	ssize_t r;

	sigemptyset(&sa.sa_mask);
	cr_assert_eq(sigaction(SIGALRM, &sa, NULL), 0);
	cr_assert_eq(setitimer(ITIMER_REAL, &it, NULL), 0);
	r = fdpass_recv(sv[1], buf, sizeof(buf), NULL, NULL);
	setitimer(ITIMER_REAL, &off, NULL);
	signal(SIGALRM, SIG_DFL);
	cr_assert_eq(r, -EINTR);
}

/* ---- what the peer has not read yet ------------------------------------ */

/*
 * fdpass_unread() is what the backend relies on to refuse pipelined
 * requests: nonzero while a sent message waits in the peer's queue, with
 * or without a descriptor, and 0 again as soon as the peer has read it.
 */
Test(fdpass, unread_until_received)
{
	char buf[16];
	int fd = -1, f = make_file("unread");

	cr_assert_eq(fdpass_unread(sv[0]), 0, "nothing sent yet");
	cr_assert_eq(fdpass_send(sv[0], "a", 1, f), 0);
	cr_assert_gt(fdpass_unread(sv[0]), 0, "a message with an fd is in flight");
	cr_assert_eq(fdpass_send(sv[0], "b", 1, -1), 0);
	cr_assert_eq(fdpass_recv(sv[1], buf, sizeof(buf), &fd, NULL), 1);
	cr_assert_geq(fd, 0);
	close(fd);
	cr_assert_gt(fdpass_unread(sv[0]), 0, "the second message is still queued");
	cr_assert_eq(fdpass_recv(sv[1], buf, sizeof(buf), NULL, NULL), 1);
	cr_assert_eq(fdpass_unread(sv[0]), 0, "the peer read everything");
	cr_assert_eq(fdpass_unread(sv[1]), 0, "the reader sent nothing");
	close(f);
	cr_assert_eq(fdpass_unread(-1), -EBADF);
}
