/* SPDX-License-Identifier: MIT */
/*
 * tb.c - libttybroker: the frontend side of the broker.
 *
 * tb_init() forks the backend over a SOCK_SEQPACKET socketpair and drops
 * the caller to its target user; tb_open() is one round trip; tb_release()
 * is one message with no reply.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <sysexits.h>
#include <unistd.h>

#include "audit.h"
#include "backend.h"
#include "connect.h"
#include "drop.h"
#include "fdpass.h"
#include "lock.h"
#include "log.h"
#include "portname.h"
#include "proto.h"
#include "tb_private.h"
#include "ttybroker.h"

struct tb_slot {
	int fd;          /* -1 = free */
	uint32_t handle;
};

/*
 * Events received but not yet given to tb_next_event(): those that came
 * while tb_open_ex() or tb_list() waited for a reply.  Room for a take
 * and a revoke of every hold; past that an event is lost, and said to be.
 */
#define TB_PENDING_MAX (2 * BACKEND_MAX_SESSIONS)

struct tb_broker {
	int sock;
	pid_t backend;
	uint32_t seq;
	struct tb_slot ports[BACKEND_MAX_SESSIONS];
	unsigned int npending;
	bool lost;       /* an event did not fit: the next tb_next_event() says so */
	struct tb_event pending[TB_PENDING_MAX];
};

/* Make sure 0, 1 and 2 are open, so our socket never lands on them. */
static int tb_fix_stdio(void)
{
	for (int fd = 0; fd < 3; fd++) {
		int n;

		if (fcntl(fd, F_GETFD) >= 0 || errno != EBADF)
			continue;
		n = open("/dev/null", O_RDWR);
		if (n < 0)
			return -errno;
		if (n != fd) { /* lower fds are open, so this cannot happen */
			close(n);
			return -EBADF;
		}
	}
	return 0;
}

static struct tb_broker *tb_alloc(void)
{
	struct tb_broker *b = calloc(1, sizeof(*b));

	if (!b)
		return NULL;
	b->sock = -1;
	b->backend = -1;
	for (size_t i = 0; i < BACKEND_MAX_SESSIONS; i++)
		b->ports[i].fd = -1;
	return b;
}

/* Fill the backend's configuration from the options and the target. */
static void tb_backend_config(const struct tb_options *o, const struct drop_target *t,
			      struct backend_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->policy_path = POLICY_DEFAULT_PATH;
	cfg->lockdir = LOCK_DEFAULT_DIR;
	cfg->devdir = "/dev";
	if (o && !t->setuid) { /* never let a setuid caller pick these */
		if (o->policy)
			cfg->policy_path = o->policy;
		if (o->lockdir)
			cfg->lockdir = o->lockdir;
	}
	cfg->log_flags = o ? o->log : 0;
	cfg->peer_pid = getpid();
	cfg->peer_uid = t->subj.uid;
	cfg->peer_gid = t->subj.gid;
	cfg->subject = t->subj;
	audit_identity(t->subj.uid, cfg->peer_user, sizeof(cfg->peer_user),
		       cfg->peer_comm, sizeof(cfg->peer_comm));
}

/* The parent after fork: drop for good, then wait for the backend. */
static int tb_frontend_start(struct tb_broker *b, const struct drop_target *t)
{
	int r = drop_privileges(t);

	if (r < 0) {
		/* Half-dropped is worse than dead: never return to the caller. */
		errno = -r;
		fatal("cannot drop privileges to uid %u", (unsigned int)t->subj.uid);
	}
	return connect_wait_ready(b->sock);
}

static void tb_reap(struct tb_broker *b)
{
	if (b->sock >= 0)
		close(b->sock);
	b->sock = -1;
	if (b->backend > 0)
		while (waitpid(b->backend, NULL, 0) < 0 && errno == EINTR)
			;
	b->backend = -1;
}

/*
 * The ways in that need no root (frontend/connect.c): the daemon, else
 * the helper, or only the one VIA names.  -ENOTCONN if none is there.
 */
static int tb_init_connect(unsigned int via, struct tb_broker **out)
{
	struct tb_broker *b;
	pid_t helper = -1;
	int r;

	if ((r = tb_fix_stdio()) < 0)
		return r;
	r = -ENOTCONN;
	if (via != TB_VIA_HELPER)
		r = connect_daemon(connect_socket_path());
	if (r == -ENOTCONN && via != TB_VIA_DAEMON)
		r = connect_helper(connect_helper_path(), &helper);
	if (r < 0)
		return r;
	if (!(b = tb_alloc())) {
		close(r);
		if (helper > 0)
			while (waitpid(helper, NULL, 0) < 0 && errno == EINTR)
				;
		return -ENOMEM;
	}
	b->sock = r;
	b->backend = helper; /* reaped by tb_shutdown(); a daemon is not ours */
	*out = b;
	return 0;
}

TB_EXPORT int tb_init(const struct tb_options *opts, struct tb_broker **out)
{
	unsigned int via = opts ? opts->via : TB_VIA_AUTO;
	struct backend_config cfg;
	struct drop_target t;
	struct tb_broker *b;
	int sv[2], r;

	*out = NULL;
	if (via > TB_VIA_HELPER)
		return -EINVAL;
	if (via == TB_VIA_DAEMON || via == TB_VIA_HELPER ||
	    (via == TB_VIA_AUTO && geteuid() != 0))
		return tb_init_connect(via, out);
	if (geteuid() != 0)
		return -EPERM;
	if ((r = tb_fix_stdio()) < 0 ||
	    (r = drop_target_resolve(opts ? opts->user : NULL, &t)) < 0)
		return r;
	tb_backend_config(opts, &t, &cfg);
	if (!(b = tb_alloc()))
		return -ENOMEM;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
		r = -errno;
		goto fail_free;
	}
	if ((r = fdpass_want_creds(sv[1])) < 0)
		goto fail_pair;
	b->backend = fork();
	if (b->backend < 0) {
		r = -errno;
		goto fail_pair;
	}
	if (b->backend == 0) {
		close(sv[0]);
		backend_main(sv[1], &cfg);
	}
	close(sv[1]);
	b->sock = sv[0];
	if ((r = tb_frontend_start(b, &t)) < 0)
		goto fail_reap;
	*out = b;
	return 0;
fail_pair:
	close(sv[0]);
	close(sv[1]);
	goto fail_free;
fail_reap:
	tb_reap(b);
fail_free:
	free(b);
	return r;
}

static struct tb_slot *tb_port_slot(struct tb_broker *b, int fd)
{
	for (size_t i = 0; i < BACKEND_MAX_SESSIONS; i++)
		if (b->ports[i].fd == fd)
			return &b->ports[i];
	return NULL;
}

static int tb_status_set(struct tb_status *st, enum tb_reason reason, int err)
{
	if (st) {
		memset(st, 0, sizeof(*st));
		st->reason = reason;
	}
	return err;
}

/* Show control bytes in S (a name another program chose) as '?'. */
static void tb_scrub(char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			*s = '?';
}

/*
 * The program name of process PID into OUT (LEN bytes): /proc/PID/comm,
 * bounded, without its newline, control bytes shown as '?' (the name is
 * the holder's choice and ends up on a terminal); "" if it cannot be read.
 */
static void tb_read_comm(pid_t pid, char *out, size_t len)
{
	audit_proc_comm(pid, out, len);
	tb_scrub(out);
}

/* Copy what a reply says beyond its verdict into ST. */
static void tb_status_fill(struct tb_status *st, const struct proto_open_reply *rep)
{
	st->rule = rep->rule;
	memcpy(st->kname, rep->kname, sizeof(st->kname));
	st->kname[sizeof(st->kname) - 1] = '\0';
	st->holder = (enum tb_holder)rep->holder;
	st->holder_pid = rep->holder_pid;
	st->holder_comm[0] = '\0';
	if (rep->holder == PROTO_HOLD_LCK && rep->holder_pid > 0)
		tb_read_comm(rep->holder_pid, st->holder_comm, sizeof(st->holder_comm));
	memcpy(st->detail, rep->detail, sizeof(st->detail));
	st->detail[sizeof(st->detail) - 1] = '\0';
}

/* Receive and decode one message (blocking); *FD is its descriptor or -1. */
static int tb_recv_msg(struct tb_broker *b, union proto_msg *msg, int *fd)
{
	char buf[PROTO_MSG_MAX];
	ssize_t n;
	int r;

	do
		n = fdpass_recv(b->sock, buf, sizeof(buf), fd, NULL);
	while (n == -EINTR);
	if (n <= 0)
		return n == 0 ? -ECONNRESET : (int)n;
	r = proto_decode(buf, (size_t)n, PROTO_FROM_BACKEND, *fd >= 0, msg);
	if (r < 0 && *fd >= 0) {
		close(*fd);
		*fd = -1;
	}
	return r;
}

/* Give a port we cannot keep (HANDLE, FD) straight back to the broker. */
static void tb_give_back(struct tb_broker *b, uint32_t handle, int fd)
{
	struct proto_release rel;

	if (fd >= 0)
		close(fd);
	memset(&rel, 0, sizeof(rel));
	proto_hdr_init(&rel.hdr, PROTO_RELEASE, ++b->seq);
	rel.handle = handle;
	fdpass_send(b->sock, &rel, sizeof(rel), -1);
}

static struct tb_slot *tb_port_by_handle(struct tb_broker *b, uint32_t handle)
{
	for (size_t i = 0; handle && i < BACKEND_MAX_SESSIONS; i++)
		if (b->ports[i].fd >= 0 && b->ports[i].handle == handle)
			return &b->ports[i];
	return NULL;
}

/*
 * The broker's event M (with FD for a hand-back) has arrived.  The port
 * table follows at once, whenever the program reads the event: a revoked
 * hold has no handle left (so a tb_release() never names it), and a port
 * handed back takes a free slot.  One that cannot be kept (no free slot,
 * or no room for the event) goes straight back to the broker and is
 * reported as TB_EV_REFUSED, TB_R_BROKER.  The event is then queued for
 * tb_next_event(); one that does not fit sets b->lost.
 */
static void tb_event_in(struct tb_broker *b, const struct proto_event *m, int fd)
{
	struct tb_slot *slot = tb_port_by_handle(b, m->handle);
	bool room = b->npending < TB_PENDING_MAX;
	struct tb_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.fd = -1;
	ev.pid = m->peer_pid;
	ev.grace_ms = m->grace_ms;
	memcpy(ev.comm, m->peer_comm, sizeof(ev.comm));
	ev.comm[sizeof(ev.comm) - 1] = '\0';
	tb_scrub(ev.comm);
	memcpy(ev.kname, m->kname, sizeof(ev.kname));
	ev.kname[sizeof(ev.kname) - 1] = '\0';
	switch (m->event) {
	case PROTO_EV_TAKE:
		ev.type = TB_EV_TAKE;
		ev.fd = slot ? slot->fd : -1;
		break;
	case PROTO_EV_REVOKED:
		ev.type = TB_EV_REVOKED;
		ev.fd = slot ? slot->fd : -1;
		if (slot)
			slot->handle = 0;
		break;
	case PROTO_EV_REFUSED:
		ev.type = TB_EV_REFUSED;
		ev.reason = (enum tb_reason)m->reason;
		break;
	default: /* PROTO_EV_HANDBACK: proto_decode() let nothing else through */
		slot = tb_port_slot(b, -1);
		if (!slot || !room) {
			tb_give_back(b, m->handle, fd);
			ev.type = TB_EV_REFUSED;
			ev.reason = TB_R_BROKER;
			break;
		}
		ev.type = TB_EV_HANDBACK;
		slot->fd = ev.fd = fd;
		slot->handle = m->handle;
	}
	if (!room) {
		b->lost = true;
		return;
	}
	b->pending[b->npending++] = ev;
}

/* A PROTO_QUEUED notice as a TB_EV_QUEUED event, for OPTS->queued. */
static void tb_queued(const struct tb_open_options *opts, const struct proto_queued *q)
{
	struct tb_event ev = { .type = TB_EV_QUEUED, .fd = -1 };

	if (!opts || !opts->queued)
		return;
	ev.position = q->position;
	ev.holder = (enum tb_holder)q->holder;
	ev.pid = q->holder_pid;
	memcpy(ev.comm, q->holder_comm, sizeof(ev.comm));
	ev.comm[sizeof(ev.comm) - 1] = '\0';
	tb_scrub(ev.comm);
	if (!ev.comm[0] && ev.pid > 0)
		tb_read_comm(ev.pid, ev.comm, sizeof(ev.comm));
	memcpy(ev.kname, q->kname, sizeof(ev.kname));
	ev.kname[sizeof(ev.kname) - 1] = '\0';
	opts->queued(&ev, opts->arg);
}

/*
 * Receive the reply to request SEQ; on success *FD is the port.  Notices
 * of waiting in line for it go to OPTS->queued; events for other ports
 * are kept for tb_next_event().
 */
static int tb_recv_reply(struct tb_broker *b, uint32_t seq, struct proto_open_reply *rep,
			 int *fd, const struct tb_open_options *opts)
{
	union proto_msg msg;
	int r;

	for (;;) {
		r = tb_recv_msg(b, &msg, fd);
		if (r < 0)
			return r;
		if (msg.hdr.type == PROTO_OPEN_REPLY && msg.hdr.seq == seq)
			break;
		if (msg.hdr.type == PROTO_QUEUED && msg.hdr.seq == seq) {
			tb_queued(opts, &msg.queued);
			continue;
		}
		if (msg.hdr.type == PROTO_EVENT) {
			tb_event_in(b, &msg.event, *fd);
			*fd = -1;
			continue;
		}
		if (*fd >= 0)
			close(*fd);
		*fd = -1;
		return -EPROTO;
	}
	*rep = msg.open_reply;
	return 0;
}

TB_EXPORT int tb_open(struct tb_broker *b, const char *port, int flags,
		      struct tb_status *st)
{
	return tb_open_ex(b, port, flags, NULL, st);
}

TB_EXPORT int tb_open_ex(struct tb_broker *b, const char *port, int flags,
			 const struct tb_open_options *opts, struct tb_status *st)
{
	struct proto_open_reply rep;
	struct proto_open req;
	struct tb_slot *slot;
	int fd = -1, r;

	if (!b || b->sock < 0 || !port)
		return tb_status_set(st, TB_R_BROKER, -EINVAL);
	port = portname_strip_dev(port);
	if ((flags & ~(TB_NONBLOCK | TB_WAIT | TB_YIELD | TB_TAKE)) ||
	    (opts && opts->wait_ms && !(flags & TB_WAIT)) ||
	    (opts && opts->wait_ms > PROTO_WAIT_MAX_MS))
		return tb_status_set(st, TB_R_BROKER, -EINVAL);
	if (strlen(port) > PORTNAME_MAX)
		return tb_status_set(st, TB_R_NAME, -EINVAL);
	if (!(slot = tb_port_slot(b, -1)))
		return tb_status_set(st, TB_R_BROKER, -EMFILE);
	memset(&req, 0, sizeof(req));
	proto_hdr_init(&req.hdr, PROTO_OPEN, ++b->seq);
	req.flags = ((flags & TB_NONBLOCK) ? PROTO_OPEN_NONBLOCK : 0) |
		    ((flags & TB_WAIT) ? PROTO_OPEN_WAIT : 0) |
		    ((flags & TB_YIELD) ? PROTO_OPEN_YIELD : 0) |
		    ((flags & TB_TAKE) ? PROTO_OPEN_TAKE : 0);
	req.wait_ms = opts ? opts->wait_ms : 0;
	strcpy(req.port, port);
	if ((r = fdpass_send(b->sock, &req, sizeof(req), -1)) < 0 ||
	    (r = tb_recv_reply(b, req.hdr.seq, &rep, &fd, opts)) < 0)
		return tb_status_set(st, TB_R_BROKER, r);
	tb_status_set(st, (enum tb_reason)rep.reason, 0);
	if (st)
		tb_status_fill(st, &rep);
	if (rep.err < 0)
		return rep.err;
	/* A port handed back while we waited may have taken the free slot. */
	if (!(slot = tb_port_slot(b, -1))) {
		tb_give_back(b, rep.handle, fd);
		return tb_status_set(st, TB_R_BROKER, -EMFILE);
	}
	slot->fd = fd;
	slot->handle = rep.handle;
	return fd;
}

TB_EXPORT int tb_release(struct tb_broker *b, int fd)
{
	struct proto_release rel;
	struct tb_slot *slot;

	if (!b || fd < 0 || !(slot = tb_port_slot(b, fd)))
		return -EBADF;
	/* Close first: until the backend hears of it, it still holds the locks. */
	close(slot->fd);
	memset(&rel, 0, sizeof(rel));
	proto_hdr_init(&rel.hdr, PROTO_RELEASE, ++b->seq);
	rel.handle = slot->handle;
	slot->fd = -1;
	slot->handle = 0;
	/* A revoked hold (handle 0) is no longer the broker's. */
	return b->sock >= 0 && rel.handle ? fdpass_send(b->sock, &rel, sizeof(rel), -1) : 0;
}

TB_EXPORT int tb_next_event(struct tb_broker *b, struct tb_event *ev)
{
	struct pollfd p;
	union proto_msg msg;
	int fd = -1, r;

	if (!b || !ev || b->sock < 0)
		return -EINVAL;
	if (b->lost) {
		b->lost = false;
		return -ENOBUFS;
	}
	if (!b->npending) {
		p = (struct pollfd){ .fd = b->sock, .events = POLLIN };
		r = poll(&p, 1, 0);
		if (r < 0)
			return errno == EINTR ? 0 : -errno;
		if (r == 0)
			return 0;
		r = tb_recv_msg(b, &msg, &fd);
		if (r < 0)
			return r;
		if (msg.hdr.type != PROTO_EVENT) {
			if (fd >= 0)
				close(fd);
			return -EPROTO;
		}
		tb_event_in(b, &msg.event, fd);
	}
	*ev = b->pending[0];
	memmove(&b->pending[0], &b->pending[1], --b->npending * sizeof(b->pending[0]));
	return 1;
}

TB_EXPORT void tb_shutdown(struct tb_broker *b)
{
	if (!b)
		return;
	for (size_t i = 0; i < BACKEND_MAX_SESSIONS; i++)
		if (b->ports[i].fd >= 0)
			close(b->ports[i].fd);
	tb_reap(b); /* EOF makes the backend release everything and exit */
	free(b);
}

TB_EXPORT int tb_fd(const struct tb_broker *b)
{
	return b ? b->sock : -1;
}

int tb_fd_raise(struct tb_broker *b, int fd, int floor)
{
	struct tb_slot *slot = NULL;
	int n;

	if (!b || fd < 0 || (fd != b->sock && !(slot = tb_port_slot(b, fd))))
		return -EBADF;
	if (fd >= floor)
		return fd;
	n = fcntl(fd, F_DUPFD_CLOEXEC, floor);
	if (n < 0)
		return -errno;
	close(fd);
	if (slot)
		slot->fd = n;
	else
		b->sock = n;
	return n;
}

/* ---- tb_list() ---- */

/* The public limit is the protocol's (DESIGN.md, "ttybroker list"). */
_Static_assert(TB_LIST_MAX == PROTO_LIST_MAX, "TB_LIST_MAX is PROTO_LIST_MAX");

/* Copy a NUL-terminated field of a decoded entry (proto_decode checked it). */
#define TB_COPY(dst, src) snprintf((dst), sizeof(dst), "%s", (src))

/* One PROTO_LIST_ENTRY into a struct tb_port. */
static void tb_port_fill(struct tb_port *p, const struct proto_list_entry *m)
{
	memset(p, 0, sizeof(*p));
	TB_COPY(p->kname, m->kname);
	TB_COPY(p->by_id, m->by_id);
	TB_COPY(p->by_path, m->by_path);
	p->usb = !!(m->flags & PROTO_LIST_USB);
	p->usb_vendor = m->vid;
	p->usb_product = m->pid;
	p->usb_interface = m->ifnum;
	TB_COPY(p->usb_serial, m->serial);
	TB_COPY(p->usb_manufacturer, m->manufacturer);
	TB_COPY(p->usb_product_name, m->product);
	TB_COPY(p->phys_path, m->path);
	p->pty = !!(m->flags & PROTO_LIST_PTY);
	p->reason = (enum tb_reason)m->reason;
	p->rule = m->rule;
	TB_COPY(p->detail, m->detail);
	p->holder = (enum tb_holder)m->holder;
	p->holder_pid = m->holder_pid;
	if (m->holder != PROTO_HOLD_NONE && m->holder_pid > 0)
		tb_read_comm(m->holder_pid, p->holder_comm, sizeof(p->holder_comm));
}

/*
 * One step of a listing: ask for the first port after AFTER.  Returns 1
 * with *ENT filled, 0 at the end, or a negative errno (the backend's for
 * an END that carries one).
 */
static int tb_list_step(struct tb_broker *b, const char *after,
			struct proto_list_entry *ent)
{
	struct proto_list req;
	union proto_msg msg;
	int fd = -1, r;

	memset(&req, 0, sizeof(req));
	proto_hdr_init(&req.hdr, PROTO_LIST, ++b->seq);
	snprintf(req.after, sizeof(req.after), "%s", after);
	if ((r = fdpass_send(b->sock, &req, sizeof(req), -1)) < 0)
		return r;
	/* The daemon's events may come first: keep them for tb_next_event(). */
	while ((r = tb_recv_msg(b, &msg, &fd)) == 0 && msg.hdr.type == PROTO_EVENT) {
		tb_event_in(b, &msg.event, fd);
		fd = -1;
	}
	if (fd >= 0)
		close(fd);
	if (r < 0)
		return r == -EBADMSG ? -EPROTO : r;
	if (msg.hdr.seq != req.hdr.seq)
		return -EPROTO;
	if (msg.hdr.type == PROTO_LIST_END)
		return msg.list_end.err;
	/* The cursor only moves forward: a listing always ends. */
	if (msg.hdr.type != PROTO_LIST_ENTRY || strcmp(msg.list_entry.kname, after) <= 0)
		return -EPROTO;
	*ent = msg.list_entry;
	return 1;
}

TB_EXPORT int tb_list(struct tb_broker *b, struct tb_port **out, size_t *n)
{
	struct proto_list_entry ent;
	struct tb_port *ports = NULL;
	char after[PROTO_PORT_MAX] = "";
	size_t count = 0;
	int r = 0;

	if (out)
		*out = NULL;
	if (n)
		*n = 0;
	if (!b || b->sock < 0 || !out || !n)
		return -EINVAL;
	while (count < TB_LIST_MAX && (r = tb_list_step(b, after, &ent)) == 1) {
		struct tb_port *more = realloc(ports, (count + 1) * sizeof(*ports));

		if (!more) {
			r = -ENOMEM;
			break;
		}
		ports = more;
		tb_port_fill(&ports[count++], &ent);
		memcpy(after, ent.kname, sizeof(after));
	}
	if (r < 0) {
		free(ports);
		return r;
	}
	*out = ports;
	*n = count;
	return 0;
}

TB_EXPORT void tb_list_free(struct tb_port *ports, size_t n)
{
	(void)n;
	free(ports);
}
