/* SPDX-License-Identifier: MIT */
/*
 * fuzz_fdpass.c - fdpass_recv() over a real AF_UNIX SOCK_SEQPACKET
 * socketpair, against whatever a hostile peer can send.
 *
 * Input: byte 0 is a set of flags (see FL_*), byte 1 the number of
 * descriptors (dup'd /dev/null, low nibble) and of SCM_RIGHTS control
 * messages they are spread over (bits 4-5, 0 = none), byte 2 the receive
 * buffer size when FL_CAP is set, the rest the payload.  One datagram is
 * sent, maybe a second one with one descriptor, maybe EOF after them.
 *
 * Checked: no descriptor is left behind on any path (the fd table is
 * compared before and after every iteration; a descriptor handed to the
 * caller is closed here); fdpass_recv refuses exactly what fdpass.h says
 * it refuses (several descriptors, one where none is acceptable,
 * truncation, missing credentials) with -EBADMSG; an accepted descriptor
 * is close-on-exec and is the /dev/null that was sent; an accepted
 * payload is the one sent; credentials, when asked for, are ours.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fdpass.h"
#include "fuzzutil.h"

#define FL_FDPTR    0x01 /* receiver passes an fd pointer               */
#define FL_CREDPTR  0x02 /* receiver passes a cred pointer              */
#define FL_PASSCRED 0x04 /* receiver's socket has SO_PASSCRED            */
#define FL_SENDCRED 0x08 /* sender adds SCM_CREDENTIALS itself           */
#define FL_EOF      0x10 /* sender closes its end after sending          */
#define FL_SECOND   0x20 /* a second datagram with one descriptor        */
#define FL_USESEND  0x40 /* send with fdpass_send() where it can         */
#define FL_CAP      0x80 /* receive buffer of byte 2's size, else large  */

#define MAX_FDS     15
#define MAX_CMSGS   3
#define MAX_PAYLOAD 4096
#define BIG_CAP     MAX_PAYLOAD /* room for any payload */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static dev_t null_rdev;

/* Send LEN bytes with NFDS copies of /dev/null spread over NCMSG messages. */
static int send_raw(int sock, const uint8_t *buf, size_t len, int nullfd,
		    unsigned int nfds, unsigned int ncmsg, bool creds)
{
	union {
		char buf[MAX_CMSGS * CMSG_SPACE(MAX_FDS * sizeof(int)) +
			 CMSG_SPACE(sizeof(struct ucred))];
		struct cmsghdr align;
	} ctl;
	struct iovec iov = { .iov_base = (void *)buf, .iov_len = len };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
	struct cmsghdr *c = NULL;
	unsigned int left = nfds;
	size_t used = 0;

	memset(&ctl, 0, sizeof(ctl));
	msg.msg_control = ctl.buf;
	msg.msg_controllen = sizeof(ctl.buf);
	for (unsigned int i = 0; i < ncmsg; i++) {
		unsigned int n = i + 1 == ncmsg ? left : left / 2;

		c = c ? CMSG_NXTHDR(&msg, c) : CMSG_FIRSTHDR(&msg);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(n * sizeof(int));
		for (unsigned int k = 0; k < n; k++)
			memcpy(CMSG_DATA(c) + k * sizeof(int), &nullfd, sizeof(int));
		used += CMSG_SPACE(n * sizeof(int));
		left -= n;
	}
	if (creds) {
		struct ucred u = { .pid = getpid(), .uid = getuid(), .gid = getgid() };

		c = c ? CMSG_NXTHDR(&msg, c) : CMSG_FIRSTHDR(&msg);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_CREDENTIALS;
		c->cmsg_len = CMSG_LEN(sizeof(u));
		memcpy(CMSG_DATA(c), &u, sizeof(u));
		used += CMSG_SPACE(sizeof(u));
	}
	msg.msg_controllen = used;
	if (used == 0)
		msg.msg_control = NULL;
	return sendmsg(sock, &msg, MSG_NOSIGNAL) == (ssize_t)len ? 0 : -1;
}

/* What fdpass_recv must make of one datagram. */
struct expect {
	size_t len;
	unsigned int nfds;
};

/* Check one fdpass_recv() result R against what was sent (E, or none). */
static void check_recv(ssize_t r, const struct expect *e, const uint8_t *sent,
		       const uint8_t *got, size_t cap, uint8_t fl, int fd,
		       const struct ucred *cred, bool eof)
{
	bool bad;

	if (!e) { /* nothing left to read: EAGAIN, or EOF if the peer left */
		fuzz_assert(r == (eof ? 0 : -EAGAIN));
		fuzz_assert(fd == -1);
		return;
	}
	bad = e->nfds > 1 || (e->nfds == 1 && !(fl & FL_FDPTR)) || e->len > cap ||
	      ((fl & FL_CREDPTR) && !(fl & FL_PASSCRED) && e->len > 0) ||
	      (e->len == 0 && e->nfds > 0);
	if (bad) {
		fuzz_assert(r == -EBADMSG);
		fuzz_assert(fd == -1);
		return;
	}
	fuzz_assert(r == (ssize_t)e->len);
	fuzz_assert(memcmp(got, sent, e->len) == 0);
	if (e->nfds == 1) {
		struct stat st;

		fuzz_assert(fd >= 0);
		fuzz_assert(fcntl(fd, F_GETFD) == FD_CLOEXEC);
		fuzz_assert(fstat(fd, &st) == 0 && st.st_rdev == null_rdev);
	} else {
		fuzz_assert(fd == -1);
	}
	if ((fl & FL_CREDPTR) && e->len > 0)
		fuzz_assert(cred->pid == getpid() && cred->uid == getuid() &&
			    cred->gid == getgid());
}

/* One round: socketpair, send what the input says, receive it all. */
static void round_trip(uint8_t fl, unsigned int nfds, unsigned int ncmsg,
		       size_t cap, const uint8_t *payload, size_t len)
{
	static const uint8_t one = 'x';
	struct expect sent[2];
	const uint8_t *bufs[2];
	unsigned int nsent = 0;
	int sv[2], nullfd;
	uint8_t *got;

	nullfd = open("/dev/null", O_RDWR | O_CLOEXEC);
	fuzz_assert(nullfd >= 0);
	fuzz_assert(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK,
			       0, sv) == 0);
	if (fl & FL_PASSCRED)
		fuzz_assert(fdpass_want_creds(sv[1]) == 0);
	got = malloc(cap ? cap : 1); /* exact size: ASan sees an overrun */
	fuzz_assert(got);

	if ((fl & FL_USESEND) && len > 0 && !(fl & FL_SENDCRED) &&
	    (ncmsg == 0 || (ncmsg == 1 && nfds == 1))) {
		fuzz_assert(fdpass_send(sv[0], payload, len,
					ncmsg ? nullfd : -1) == 0);
	} else {
		fuzz_assert(send_raw(sv[0], payload, len, nullfd, nfds, ncmsg,
				     fl & FL_SENDCRED) == 0);
	}
	sent[nsent] = (struct expect){ .len = len, .nfds = ncmsg ? nfds : 0 };
	bufs[nsent++] = payload;
	if (fl & FL_SECOND) {
		size_t l2 = len ? len : 1;

		fuzz_assert(fdpass_send(sv[0], len ? payload : &one, l2, nullfd) == 0);
		sent[nsent] = (struct expect){ .len = l2, .nfds = 1 };
		bufs[nsent++] = len ? payload : &one;
	}
	if (fl & FL_EOF) {
		close(sv[0]);
		sv[0] = -1;
	}
	for (unsigned int i = 0; i <= nsent; i++) {
		struct ucred cred = { .pid = -1 };
		int fd = -7;
		ssize_t r;

		r = fdpass_recv(sv[1], got, cap, (fl & FL_FDPTR) ? &fd : NULL,
				(fl & FL_CREDPTR) ? &cred : NULL);
		if (!(fl & FL_FDPTR))
			fd = -1;
		check_recv(r, i < nsent ? &sent[i] : NULL, i < nsent ? bufs[i] : NULL,
			   got, cap, fl, fd, &cred, fl & FL_EOF);
		if (fd >= 0)
			close(fd);
	}
	free(got);
	if (sv[0] >= 0)
		close(sv[0]);
	close(sv[1]);
	close(nullfd);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_fds before;
	unsigned int nfds, ncmsg;
	size_t cap, len;
	uint8_t fl;

	if (size < 3)
		return 0;
	if (!null_rdev) {
		struct stat st;

		fuzz_assert(stat("/dev/null", &st) == 0);
		null_rdev = st.st_rdev;
	}
	fl = data[0];
	nfds = data[1] & 0x0f;
	ncmsg = (data[1] >> 4) & 0x3;
	cap = (fl & FL_CAP) ? data[2] : BIG_CAP;
	len = size - 3 > MAX_PAYLOAD ? MAX_PAYLOAD : size - 3;
	fuzz_fds_snapshot(&before);
	round_trip(fl, nfds, ncmsg, cap, data + 3, len);
	fuzz_fds_check(&before);
	return 0;
}
