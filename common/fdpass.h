/* SPDX-License-Identifier: MIT */
/*
 * fdpass.h - send and receive one datagram on a SOCK_SEQPACKET socket with
 * at most one SCM_RIGHTS descriptor and, on receive, the sender's
 * SCM_CREDENTIALS.
 */
#ifndef TB_FDPASS_H
#define TB_FDPASS_H

#include <stddef.h>
#include <sys/socket.h>
#include <sys/types.h>

/*
 * Send LEN (> 0) bytes and, if FD >= 0, that descriptor.  Uses
 * MSG_NOSIGNAL and retries on EINTR.  Returns 0 or a negative errno
 * (-EMSGSIZE for a short send, -EINVAL for an empty message).
 */
int fdpass_send(int sock, const void *buf, size_t len, int fd);

/*
 * Receive one datagram into BUF.  Returns its length (> 0), 0 on EOF,
 * or a negative errno; -EINTR is returned, not retried, so a caller can
 * look at a flag its signal handler set.
 *
 * FD: NULL means no descriptor is acceptable; otherwise *FD gets the one
 * descriptor that came (with FD_CLOEXEC set) or -1.  Two or more
 * descriptors, a descriptor where none is acceptable, MSG_CTRUNC or
 * MSG_TRUNC close everything that arrived and return -EBADMSG.
 *
 * CRED: NULL to ignore credentials; otherwise the datagram must carry
 * SCM_CREDENTIALS (the socket needs SO_PASSCRED) or -EBADMSG is returned.
 */
ssize_t fdpass_recv(int sock, void *buf, size_t cap, int *fd,
		    struct ucred *cred);

/* Turn on SO_PASSCRED so every datagram received carries credentials. */
int fdpass_want_creds(int sock);

/*
 * What this end has sent that the peer has not received yet (SIOCOUTQ:
 * for AF_UNIX, the kernel memory still charged to SOCK, so not a count of
 * payload bytes).  0 once the peer has read every message; a negative
 * errno if the ioctl fails.
 */
int fdpass_unread(int sock);

#endif
