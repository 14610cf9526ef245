/* SPDX-License-Identifier: MIT */
/*
 * proto.h - the one header that defines every message between the
 * ttybroker frontend and backend.
 *
 * Transport: an AF_UNIX SOCK_SEQPACKET socketpair, one message per
 * datagram.  Every message starts with the fixed, versioned proto_hdr and
 * has exactly the size of its type's structure: there are no variable-length
 * messages, so a length check is a single comparison.  Strings are fixed
 * arrays that must hold a NUL within their bound.  Only message types marked
 * fd-carrying in proto.c's table may carry one SCM_RIGHTS descriptor.
 */
#ifndef TB_PROTO_H
#define TB_PROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PROTO_VERSION 1u

/* Port names, including the terminating NUL. */
#define PROTO_PORT_MAX 128u
/* One line of explanation in a reply, including the terminating NUL. */
#define PROTO_DETAIL_MAX 160u

/*
 * ttybroker-helper (the setuid-root way in) finds its end of the client's
 * socketpair on this fd; nothing else is passed to it.
 */
#define PROTO_HELPER_FD 3

/* Message types. */
#define PROTO_READY      1u /* backend -> frontend: confined, serving      */
#define PROTO_OPEN       2u /* frontend -> backend: open a port            */
#define PROTO_OPEN_REPLY 3u /* backend -> frontend: verdict (+fd if err 0) */
#define PROTO_RELEASE    4u /* frontend -> backend: unlock, no reply       */
#define PROTO_POLICY     5u /* daemon parent -> engine: a reloaded policy,
			       canonical text in a memfd (SCM_RIGHTS)      */
#define PROTO_REVOKE     6u /* frontend -> daemon: revoke a port (root)   */
#define PROTO_REVOKE_REPLY 7u /* daemon -> frontend: what revoke did     */
#define PROTO_LIST       8u /* frontend -> backend: the next port after a name */
#define PROTO_LIST_ENTRY 9u /* backend -> frontend: one port                    */
#define PROTO_LIST_END  10u /* backend -> frontend: no port after that name     */

/* 8..10: listing ports (tb_list). */
/* 11..15: sharing a busy port through ttybrokerd (broker/share.c). */
#define PROTO_QUEUED 11u /* daemon -> frontend: the PROTO_OPEN waits in line */
#define PROTO_EVENT  12u /* daemon -> frontend: take-over, revoked, handed back
			    (PROTO_EV_HANDBACK carries the port's fd)       */

/* Who may send a message type. */
#define PROTO_FROM_BACKEND  1u
#define PROTO_FROM_FRONTEND 2u
#define PROTO_FROM_PARENT   3u /* the daemon's privileged parent (its channel) */

/* PROTO_REVOKE_REPLY results. */
#define PROTO_REVOKED    0u /* hung up, locks dropped                     */
#define PROTO_NOT_HELD   1u /* no client of this daemon holds the port    */
#define PROTO_NO_PORT    2u /* the name does not resolve to a port        */
#define PROTO_REVOKE_REFUSED 3u /* the asker is not root (err -EPERM)     */
#define PROTO_REVOKE_FAILED  4u /* could not hang it up; err says why     */
#define PROTO_REVOKE_MAX 4u

/* PROTO_OPEN flags. */
#define PROTO_OPEN_NONBLOCK 0x1u /* leave O_NONBLOCK set on the fd */
#define PROTO_OPEN_WAIT     0x2u /* busy: wait in line (wait_ms bounds it)    */
#define PROTO_OPEN_YIELD    0x4u /* this hold may be taken over (PROTO_OPEN_TAKE) */
#define PROTO_OPEN_TAKE     0x8u /* take the port from a holder that yields    */
#define PROTO_OPEN_SHARING  (PROTO_OPEN_WAIT | PROTO_OPEN_YIELD | PROTO_OPEN_TAKE)
#define PROTO_OPEN_FLAGS    (PROTO_OPEN_NONBLOCK | PROTO_OPEN_SHARING)
/* Longest wait_ms a PROTO_OPEN may ask for: a day. */
#define PROTO_WAIT_MAX_MS   86400000u

/* Reasons in PROTO_OPEN_REPLY; the public header mirrors them as tb_reason. */
#define PROTO_R_OK      0u
#define PROTO_R_NAME    1u /* malformed port name                      */
#define PROTO_R_NODEV   2u /* no such device                            */
#define PROTO_R_NOTTY   3u /* not a serial tty                          */
#define PROTO_R_DENIED  4u /* denied by policy                          */
#define PROTO_R_CLASS   5u /* device class never handed out            */
#define PROTO_R_BUSY    6u /* locked by someone else                    */
#define PROTO_R_POLICY  7u /* policy invalid or unsafe                  */
#define PROTO_R_BROKER  8u /* internal failure in the backend           */
#define PROTO_R_MAX     8u

/* Who holds a busy port, in PROTO_OPEN_REPLY (reason PROTO_R_BUSY). */
#define PROTO_HOLD_NONE  0u /* not busy, or not known                     */
#define PROTO_HOLD_LCK   1u /* a live LCK.. file; holder_pid is its pid    */
#define PROTO_HOLD_FLOCK 2u /* flock() on the device by another program   */
#define PROTO_HOLD_EXCL  3u /* the tty is in exclusive mode (TIOCEXCL)     */
#define PROTO_HOLD_SELF  4u /* this very client already holds it          */
#define PROTO_HOLD_MAX   4u

struct proto_hdr {
	uint16_t version;  /* PROTO_VERSION                  */
	uint16_t type;     /* PROTO_*                        */
	uint32_t len;      /* whole message, header included */
	uint32_t seq;      /* request id, echoed in replies  */
	uint32_t reserved; /* must be zero                   */
};

struct proto_ready {
	struct proto_hdr hdr;
	int32_t err;       /* 0, or negative errno: backend could not start */
	uint32_t pid;      /* backend pid, for the frontend's records       */
};

struct proto_open {
	struct proto_hdr hdr;
	uint32_t flags;    /* PROTO_OPEN_* */
	uint32_t wait_ms;  /* PROTO_OPEN_WAIT: give up after this long, 0 = no
			      limit (<= PROTO_WAIT_MAX_MS); else must be zero */
	char port[PROTO_PORT_MAX];
};

struct proto_open_reply {
	struct proto_hdr hdr;
	int32_t err;       /* 0, or negative errno                      */
	uint32_t reason;   /* PROTO_R_*                                 */
	uint32_t rule;     /* policy line that decided, 0 for none      */
	uint32_t handle;   /* session handle for PROTO_RELEASE; 0 = none */
	char kname[PROTO_PORT_MAX]; /* kernel name (by-id resolved), may be "" */
	int32_t holder_pid; /* PROTO_HOLD_LCK/SELF: the holder's pid, else 0 */
	uint32_t holder;    /* PROTO_HOLD_*                                  */
	char detail[PROTO_DETAIL_MAX]; /* one line, e.g. "FILE:LINE: why"; may be "" */
};

struct proto_release {
	struct proto_hdr hdr;
	uint32_t handle;
	uint32_t reserved; /* must be zero */
};

/* Carries one fd: a memfd of exactly LEN bytes (policy_canon_parse). */
struct proto_policy {
	struct proto_hdr hdr;
	uint32_t len;      /* 19 .. POLICY_CANON_MAX bytes  */
	uint32_t reserved; /* must be zero */
};

struct proto_revoke {
	struct proto_hdr hdr;
	uint32_t reserved[2]; /* must be zero */
	char port[PROTO_PORT_MAX];
};

struct proto_revoke_reply {
	struct proto_hdr hdr;
	int32_t err;       /* 0, or negative errno                        */
	uint32_t result;   /* PROTO_REVOKED ... PROTO_REVOKE_FAILED       */
	int32_t holder_pid; /* the client that held it, or 0             */
	uint32_t reserved; /* must be zero */
	char kname[PROTO_PORT_MAX];
	char detail[PROTO_DETAIL_MAX];
};

/*
 * The daemon's parent channel (broker/daemon.c): the confined engine asks
 * its privileged parent who a new client is; the parent answers with the
 * client's user name and program name, for audit lines only.  Other
 * senders than the two ends of that socketpair never see these types.
 */
#define PROTO_IDENT       16u /* engine -> parent: who is this client (+ its pidfd) */
#define PROTO_IDENT_REPLY 17u /* parent -> engine: its user name and comm           */

#define PROTO_FROM_ENGINE 4u /* the daemon's engine, on the parent channel */

/* A passwd name and a comm, including the terminating NUL. */
#define PROTO_USER_MAX 64u
#define PROTO_COMM_MAX 16u

struct proto_ident {
	struct proto_hdr hdr; /* carries the client's pidfd (SCM_RIGHTS), always */
	uint32_t conn;        /* the engine's connection id, never 0 */
	int32_t pid;          /* the client's pid (SO_PEERCRED), > 0 */
	uint32_t uid;         /* the client's uid (SO_PEERCRED)      */
	uint32_t reserved;    /* must be zero                        */
};

struct proto_ident_reply {
	struct proto_hdr hdr;
	uint32_t conn;        /* as in the request, never 0          */
	uint32_t reserved;    /* must be zero                        */
	char user[PROTO_USER_MAX]; /* passwd name, "" without an entry       */
	char comm[PROTO_COMM_MAX]; /* /proc/PID/comm, "" if the client is gone */
};

/*
 * Listing ports (tb_list): one PROTO_LIST per port, each answered by the
 * first port whose kernel name sorts (strcmp) after AFTER, or by
 * PROTO_LIST_END.  The cursor is the name, so the backend keeps no state
 * between requests and every request is bounded work; the frontend stops
 * after PROTO_LIST_MAX entries.  A port plugged in during a listing may be
 * missed; none is listed twice.
 */
#define PROTO_LIST_MAX 256u
/* A USB string (serial, manufacturer, product) or physical path, with its NUL. */
#define PROTO_ID_MAX 128u

/* PROTO_LIST_ENTRY flags. */
#define PROTO_LIST_USB   0x1u /* a USB device is above the port: vid, pid, ... */
#define PROTO_LIST_PTY   0x2u /* a pseudo-terminal of the asker                */
#define PROTO_LIST_FLAGS (PROTO_LIST_USB | PROTO_LIST_PTY)

struct proto_list {
	struct proto_hdr hdr;
	uint32_t reserved[2]; /* must be zero */
	char after[PROTO_PORT_MAX]; /* "" for the first port, else the last kname seen */
};

struct proto_list_entry {
	struct proto_hdr hdr;
	uint32_t reason;    /* PROTO_R_OK (would be permitted), _DENIED, _POLICY,
			       or _BROKER (its identity could not be read)   */
	uint32_t rule;      /* policy line that decided, 0 for none            */
	uint32_t holder;    /* PROTO_HOLD_NONE (free), _LCK, _FLOCK or _SELF    */
	int32_t holder_pid; /* _LCK, _FLOCK, _SELF: the holder's pid, or 0      */
	uint32_t flags;     /* PROTO_LIST_*                                     */
	uint16_t vid, pid;  /* USB idVendor, idProduct; 0 without PROTO_LIST_USB */
	int32_t ifnum;      /* USB bInterfaceNumber, -1 if none                 */
	uint32_t reserved;  /* must be zero                                     */
	char kname[PROTO_PORT_MAX];   /* never ""                               */
	char by_id[PROTO_PORT_MAX];   /* link name in /dev/serial/by-id, or ""  */
	char by_path[PROTO_PORT_MAX]; /* link name in /dev/serial/by-path, or "" */
	char serial[PROTO_ID_MAX];    /* USB strings, "" when absent            */
	char manufacturer[PROTO_ID_MAX];
	char product[PROTO_ID_MAX];
	char path[PROTO_ID_MAX];      /* physical path, "" when unknown         */
	char detail[PROTO_DETAIL_MAX]; /* "FILE:LINE" of the rule, "" for none,
					  or why there is no verdict (_POLICY,
					  _BROKER)                           */
};

struct proto_list_end {
	struct proto_hdr hdr;
	int32_t err;       /* 0, or negative errno: the ports could not be enumerated */
	uint32_t reserved; /* must be zero */
};

/*
 * Sharing a busy port (ttybrokerd only).  A PROTO_OPEN with
 * PROTO_OPEN_WAIT or PROTO_OPEN_TAKE that finds the port busy is answered
 * first by PROTO_QUEUED (same seq) and later by its PROTO_OPEN_REPLY (same
 * seq): served, or busy when its wait ended.  PROTO_EVENT comes at any
 * time for a port the client holds (or held): seq is 0.
 */
#define PROTO_EV_TAKE     1u /* a taker asks for the port: release within grace_ms */
#define PROTO_EV_REVOKED  2u /* the hold was hung up and given to a taker           */
#define PROTO_EV_HANDBACK 3u /* the port is ours again: new handle, with its fd    */
#define PROTO_EV_REFUSED  4u /* it will not come back: the old handle, and reason  */
#define PROTO_EV_MAX      4u

struct proto_queued {
	struct proto_hdr hdr;
	uint32_t position;  /* place in line, 1 = next                      */
	uint32_t holder;    /* PROTO_HOLD_*                                 */
	int32_t holder_pid; /* the holder's pid, 0 if not known             */
	uint32_t wait_ms;   /* as asked, 0 = no limit                       */
	char holder_comm[PROTO_COMM_MAX]; /* a client of the daemon: its comm, else "" */
	char kname[PROTO_PORT_MAX];
};

struct proto_event {
	struct proto_hdr hdr;
	uint32_t event;     /* PROTO_EV_*                                   */
	uint32_t handle;    /* the hold it is about; HANDBACK: the new one  */
	uint32_t grace_ms;  /* TAKE: time left until the hang-up            */
	int32_t peer_pid;   /* TAKE, REVOKED: the taker                     */
	uint32_t peer_uid;  /* TAKE, REVOKED: the taker's uid               */
	uint32_t reason;    /* REFUSED: why (PROTO_R_*, never OK); else 0   */
	char peer_comm[PROTO_COMM_MAX];
	char kname[PROTO_PORT_MAX];
};

union proto_msg {
	struct proto_hdr hdr;
	struct proto_ready ready;
	struct proto_open open;
	struct proto_open_reply open_reply;
	struct proto_release release;
	struct proto_ident ident;
	struct proto_ident_reply ident_reply;
	struct proto_policy policy;
	struct proto_revoke revoke;
	struct proto_revoke_reply revoke_reply;
	struct proto_list list;
	struct proto_list_entry list_entry;
	struct proto_list_end list_end;
	struct proto_queued queued;
	struct proto_event event;
};

/* Largest message: the receive buffer size; a longer datagram sets MSG_TRUNC. */
#define PROTO_MSG_MAX sizeof(union proto_msg)

/* Fill in a header for a message of TYPE; len comes from the type's size. */
void proto_hdr_init(struct proto_hdr *hdr, uint16_t type, uint32_t seq);

/*
 * Validate a received message: version, a type that FROM may send, exact
 * length, reserved fields, flags, NUL-terminated strings, and whether an
 * fd may come with it.  Returns 0 and copies it to *out, or -EBADMSG
 * (-EPROTO for a version mismatch).
 */
int proto_decode(const void *buf, size_t len, unsigned int from, bool has_fd,
		 union proto_msg *out);

/* Does a message of this type (with this content) carry an fd? */
bool proto_carries_fd(const union proto_msg *msg);

/* Short name of a PROTO_R_* reason, for logs. */
const char *proto_reason_name(uint32_t reason);

#endif
