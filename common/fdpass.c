/* SPDX-License-Identifier: MIT */
/*
 * fdpass.c - one datagram, at most one descriptor, and the sender's
 * credentials.  The receive side is strict: every descriptor that arrives
 * is either handed to the caller (exactly one, where one is expected) or
 * closed before returning, so a hostile peer can never leave an fd behind.
 */
#include <errno.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <linux/sockios.h>

#include "fdpass.h"

/* Room for one SCM_RIGHTS fd plus one SCM_CREDENTIALS. */
#define FDPASS_CMSG_SPACE (CMSG_SPACE(sizeof(int)) + CMSG_SPACE(sizeof(struct ucred)))

int fdpass_send(int sock, const void *buf, size_t len, int fd)
{
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} ctl;
	struct iovec iov = { .iov_base = (void *)buf, .iov_len = len };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
	struct cmsghdr *cmsg;
	ssize_t n;

	if (len == 0)
		return -EINVAL; /* an empty datagram reads as EOF */
	if (fd >= 0) {
		memset(&ctl, 0, sizeof(ctl));
		msg.msg_control = ctl.buf;
		msg.msg_controllen = sizeof(ctl.buf);
		cmsg = CMSG_FIRSTHDR(&msg);
		cmsg->cmsg_level = SOL_SOCKET;
		cmsg->cmsg_type = SCM_RIGHTS;
		cmsg->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(cmsg), &fd, sizeof(int));
	}
	do
		n = sendmsg(sock, &msg, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	return (size_t)n == len ? 0 : -EMSGSIZE;
}

/* Close every descriptor carried in MSG's SCM_RIGHTS messages. */
static void fdpass_close_all(struct msghdr *msg)
{
	for (struct cmsghdr *c = CMSG_FIRSTHDR(msg); c; c = CMSG_NXTHDR(msg, c)) {
		size_t n;

		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		n = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (size_t i = 0; i < n; i++) {
			int fd;

			memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
			close(fd);
		}
	}
}

/*
 * Walk the control messages: count descriptors, pick up credentials.
 * Returns the number of descriptors and stores the first in *FD.
 */
static size_t fdpass_scan(struct msghdr *msg, int *fd, struct ucred *cred,
			  int *have_cred)
{
	size_t nfds = 0;

	for (struct cmsghdr *c = CMSG_FIRSTHDR(msg); c; c = CMSG_NXTHDR(msg, c)) {
		if (c->cmsg_level != SOL_SOCKET)
			continue;
		if (c->cmsg_type == SCM_RIGHTS) {
			size_t n = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);

			if (n > 0 && nfds == 0)
				memcpy(fd, CMSG_DATA(c), sizeof(int));
			nfds += n;
		} else if (c->cmsg_type == SCM_CREDENTIALS &&
			   c->cmsg_len == CMSG_LEN(sizeof(struct ucred))) {
			memcpy(cred, CMSG_DATA(c), sizeof(*cred));
			*have_cred = 1;
		}
	}
	return nfds;
}

ssize_t fdpass_recv(int sock, void *buf, size_t cap, int *fd, struct ucred *cred)
{
	union {
		char buf[FDPASS_CMSG_SPACE];
		struct cmsghdr align;
	} ctl;
	struct iovec iov = { .iov_base = buf, .iov_len = cap };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = ctl.buf, .msg_controllen = sizeof(ctl.buf),
	};
	struct ucred got = { .pid = 0 };
	int have_cred = 0, first = -1;
	size_t nfds;
	ssize_t n;

	if (fd)
		*fd = -1;
	n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
	if (n < 0)
		return -errno;
	nfds = fdpass_scan(&msg, &first, &got, &have_cred);
	if ((msg.msg_flags & (MSG_CTRUNC | MSG_TRUNC)) || nfds > 1 ||
	    (nfds == 1 && !fd) || (cred && !have_cred && n > 0)) {
		fdpass_close_all(&msg);
		return -EBADMSG;
	}
	if (n == 0 && nfds > 0) { /* EOF never carries a descriptor */
		fdpass_close_all(&msg);
		return -EBADMSG;
	}
	if (fd)
		*fd = first;
	if (cred)
		*cred = got;
	return n;
}

int fdpass_want_creds(int sock)
{
	int on = 1;

	if (setsockopt(sock, SOL_SOCKET, SO_PASSCRED, &on, sizeof(on)) < 0)
		return -errno;
	return 0;
}

/*
 * The kernel frees a datagram's memory (and drops its descriptors from the
 * sender's in-flight count) when the receiver reads it, so SIOCOUTQ on the
 * sending end is nonzero exactly while something sent is still queued.
 */
int fdpass_unread(int sock)
{
	int n = 0;

	if (ioctl(sock, SIOCOUTQ, &n) < 0)
		return -errno;
	return n;
}
