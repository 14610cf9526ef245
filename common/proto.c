/* SPDX-License-Identifier: MIT */
/*
 * proto.c - validation of protocol messages.  Both sides decode every
 * datagram through proto_decode(), which knows each type's exact size, who
 * may send it, and whether it may carry a descriptor.  Anything else is a
 * protocol error and ends the connection.
 */
#include <errno.h>
#include <string.h>

#include "proto.h"

_Static_assert(sizeof(struct proto_hdr) == 16, "header is fixed");
_Static_assert(sizeof(struct proto_ready) == 24, "no padding");
_Static_assert(sizeof(struct proto_open) == 24 + PROTO_PORT_MAX, "no padding");
_Static_assert(sizeof(struct proto_open_reply) ==
	       40 + PROTO_PORT_MAX + PROTO_DETAIL_MAX, "no padding");
_Static_assert(sizeof(struct proto_release) == 24, "no padding");
_Static_assert(sizeof(struct proto_ident) == 32, "no padding");
_Static_assert(sizeof(struct proto_ident_reply) ==
	       24 + PROTO_USER_MAX + PROTO_COMM_MAX, "no padding");

_Static_assert(sizeof(struct proto_policy) == 24, "no padding");
_Static_assert(sizeof(struct proto_revoke) == 24 + PROTO_PORT_MAX, "no padding");
_Static_assert(sizeof(struct proto_revoke_reply) ==
	       32 + PROTO_PORT_MAX + PROTO_DETAIL_MAX, "no padding");
_Static_assert(sizeof(struct proto_list) == 24 + PROTO_PORT_MAX, "no padding");
_Static_assert(sizeof(struct proto_list_entry) ==
	       48 + 3 * PROTO_PORT_MAX + 4 * PROTO_ID_MAX + PROTO_DETAIL_MAX, "no padding");
_Static_assert(sizeof(struct proto_list_end) == 24, "no padding");
_Static_assert(sizeof(struct proto_queued) ==
	       32 + PROTO_COMM_MAX + PROTO_PORT_MAX, "no padding");
_Static_assert(sizeof(struct proto_event) ==
	       40 + PROTO_COMM_MAX + PROTO_PORT_MAX, "no padding");

/* Bounds of a canonical policy (policy.h: 19 bytes of header, POLICY_CANON_MAX). */
#define PROTO_POLICY_MIN 19u
#define PROTO_POLICY_MAX (2u * 1024u * 1024u)

enum proto_fd_rule { FD_NEVER, FD_ON_SUCCESS, FD_ALWAYS };

struct proto_type_info {
	uint16_t type;
	uint32_t size;
	unsigned int from;
	enum proto_fd_rule fd;
};

static const struct proto_type_info proto_types[] = {
	{ PROTO_READY, sizeof(struct proto_ready), PROTO_FROM_BACKEND, FD_NEVER },
	{ PROTO_OPEN, sizeof(struct proto_open), PROTO_FROM_FRONTEND, FD_NEVER },
	{ PROTO_OPEN_REPLY, sizeof(struct proto_open_reply), PROTO_FROM_BACKEND,
	  FD_ON_SUCCESS },
	{ PROTO_RELEASE, sizeof(struct proto_release), PROTO_FROM_FRONTEND, FD_NEVER },
	/* The daemon's parent channel. */
	{ PROTO_IDENT, sizeof(struct proto_ident), PROTO_FROM_ENGINE, FD_ALWAYS },
	{ PROTO_IDENT_REPLY, sizeof(struct proto_ident_reply), PROTO_FROM_PARENT,
	  FD_NEVER },
	{ PROTO_POLICY, sizeof(struct proto_policy), PROTO_FROM_PARENT, FD_ALWAYS },
	{ PROTO_REVOKE, sizeof(struct proto_revoke), PROTO_FROM_FRONTEND, FD_NEVER },
	{ PROTO_REVOKE_REPLY, sizeof(struct proto_revoke_reply), PROTO_FROM_BACKEND,
	  FD_NEVER },
	{ PROTO_LIST, sizeof(struct proto_list), PROTO_FROM_FRONTEND, FD_NEVER },
	{ PROTO_LIST_ENTRY, sizeof(struct proto_list_entry), PROTO_FROM_BACKEND,
	  FD_NEVER },
	{ PROTO_LIST_END, sizeof(struct proto_list_end), PROTO_FROM_BACKEND, FD_NEVER },
	{ PROTO_QUEUED, sizeof(struct proto_queued), PROTO_FROM_BACKEND, FD_NEVER },
	{ PROTO_EVENT, sizeof(struct proto_event), PROTO_FROM_BACKEND, FD_ON_SUCCESS },
};

static const char *const proto_reasons[] = {
	[PROTO_R_OK] = "ok",         [PROTO_R_NAME] = "bad-name",
	[PROTO_R_NODEV] = "no-device", [PROTO_R_NOTTY] = "not-a-tty",
	[PROTO_R_DENIED] = "denied",   [PROTO_R_CLASS] = "device-class",
	[PROTO_R_BUSY] = "busy",       [PROTO_R_POLICY] = "policy-invalid",
	[PROTO_R_BROKER] = "broker-failure",
};

static const struct proto_type_info *proto_type_lookup(uint16_t type)
{
	for (size_t i = 0; i < sizeof(proto_types) / sizeof(proto_types[0]); i++)
		if (proto_types[i].type == type)
			return &proto_types[i];
	return NULL;
}

void proto_hdr_init(struct proto_hdr *hdr, uint16_t type, uint32_t seq)
{
	const struct proto_type_info *ti = proto_type_lookup(type);

	memset(hdr, 0, sizeof(*hdr));
	hdr->version = PROTO_VERSION;
	hdr->type = type;
	hdr->len = ti ? ti->size : 0;
	hdr->seq = seq;
}

static int proto_str_ok(const char *s, size_t cap)
{
	return memchr(s, '\0', cap) != NULL;
}

bool proto_carries_fd(const union proto_msg *msg)
{
	const struct proto_type_info *ti = proto_type_lookup(msg->hdr.type);

	if (!ti || ti->fd == FD_NEVER)
		return false;
	if (ti->fd == FD_ALWAYS)
		return true;
	if (msg->hdr.type == PROTO_EVENT)
		return msg->event.event == PROTO_EV_HANDBACK;
	return msg->hdr.type == PROTO_OPEN_REPLY && msg->open_reply.err == 0;
}

/*
 * A PROTO_EVENT carries only the fields of its kind: a grace period on
 * a take alone, the taker (pid, uid, comm) on a take or a revoke; the
 * rest are 0.  (Its kind, handle, reason and strings are checked by the
 * caller.)
 */
static bool proto_event_fields_ok(const struct proto_event *m)
{
	bool taker = m->event == PROTO_EV_TAKE || m->event == PROTO_EV_REVOKED;

	if (m->event != PROTO_EV_TAKE && m->grace_ms != 0)
		return false;
	return taker || (m->peer_pid == 0 && m->peer_uid == 0 && m->peer_comm[0] == '\0');
}

/* A PROTO_LIST_ENTRY: known verdict, holder and flags, terminated strings. */
static int proto_check_list_entry(const struct proto_list_entry *m)
{
	if (m->reason != PROTO_R_OK && m->reason != PROTO_R_DENIED &&
	    m->reason != PROTO_R_POLICY && m->reason != PROTO_R_BROKER)
		return -EBADMSG;
	if (m->holder > PROTO_HOLD_MAX || m->holder == PROTO_HOLD_EXCL ||
	    m->holder_pid < 0 || m->reserved || (m->flags & ~PROTO_LIST_FLAGS) ||
	    m->ifnum < -1 || m->ifnum > 255)
		return -EBADMSG;
	if (!(m->flags & PROTO_LIST_USB) && (m->vid || m->pid || m->ifnum != -1))
		return -EBADMSG;
	if (!m->kname[0] || !proto_str_ok(m->kname, sizeof(m->kname)) ||
	    !proto_str_ok(m->by_id, sizeof(m->by_id)) ||
	    !proto_str_ok(m->by_path, sizeof(m->by_path)) ||
	    !proto_str_ok(m->serial, sizeof(m->serial)) ||
	    !proto_str_ok(m->manufacturer, sizeof(m->manufacturer)) ||
	    !proto_str_ok(m->product, sizeof(m->product)) ||
	    !proto_str_ok(m->path, sizeof(m->path)) ||
	    !proto_str_ok(m->detail, sizeof(m->detail)))
		return -EBADMSG;
	return 0;
}

/* Per-type field checks once the size is known to be right. */
static int proto_check_body(const union proto_msg *m)
{
	switch (m->hdr.type) {
	case PROTO_READY:
		return m->ready.err <= 0 ? 0 : -EBADMSG;
	case PROTO_OPEN:
		if ((m->open.flags & ~PROTO_OPEN_FLAGS) || m->open.wait_ms > PROTO_WAIT_MAX_MS ||
		    (m->open.wait_ms && !(m->open.flags & PROTO_OPEN_WAIT)))
			return -EBADMSG;
		return proto_str_ok(m->open.port, sizeof(m->open.port)) ? 0 : -EBADMSG;
	case PROTO_OPEN_REPLY:
		if (m->open_reply.err > 0 || m->open_reply.reason > PROTO_R_MAX)
			return -EBADMSG;
		if ((m->open_reply.err == 0) != (m->open_reply.reason == PROTO_R_OK))
			return -EBADMSG;
		if (m->open_reply.holder > PROTO_HOLD_MAX || m->open_reply.holder_pid < 0)
			return -EBADMSG;
		return proto_str_ok(m->open_reply.kname, sizeof(m->open_reply.kname)) &&
		       proto_str_ok(m->open_reply.detail, sizeof(m->open_reply.detail))
			       ? 0 : -EBADMSG;
	case PROTO_RELEASE:
		return m->release.reserved ? -EBADMSG : 0;
	case PROTO_IDENT:
		return m->ident.reserved || m->ident.conn == 0 || m->ident.pid <= 0
			       ? -EBADMSG : 0;
	case PROTO_IDENT_REPLY:
		if (m->ident_reply.reserved || m->ident_reply.conn == 0)
			return -EBADMSG;
		return proto_str_ok(m->ident_reply.user, sizeof(m->ident_reply.user)) &&
		       proto_str_ok(m->ident_reply.comm, sizeof(m->ident_reply.comm))
			       ? 0 : -EBADMSG;
	case PROTO_POLICY:
		if (m->policy.reserved || m->policy.len < PROTO_POLICY_MIN ||
		    m->policy.len > PROTO_POLICY_MAX)
			return -EBADMSG;
		return 0;
	case PROTO_REVOKE:
		if (m->revoke.reserved[0] || m->revoke.reserved[1])
			return -EBADMSG;
		return proto_str_ok(m->revoke.port, sizeof(m->revoke.port)) ? 0 : -EBADMSG;
	case PROTO_REVOKE_REPLY:
		if (m->revoke_reply.err > 0 || m->revoke_reply.result > PROTO_REVOKE_MAX ||
		    m->revoke_reply.reserved || m->revoke_reply.holder_pid < 0 ||
		    (m->revoke_reply.err == 0) != (m->revoke_reply.result == PROTO_REVOKED))
			return -EBADMSG;
		return proto_str_ok(m->revoke_reply.kname, sizeof(m->revoke_reply.kname)) &&
		       proto_str_ok(m->revoke_reply.detail, sizeof(m->revoke_reply.detail))
			       ? 0 : -EBADMSG;
	case PROTO_LIST:
		if (m->list.reserved[0] || m->list.reserved[1])
			return -EBADMSG;
		return proto_str_ok(m->list.after, sizeof(m->list.after)) ? 0 : -EBADMSG;
	case PROTO_LIST_ENTRY:
		return proto_check_list_entry(&m->list_entry);
	case PROTO_LIST_END:
		return m->list_end.err > 0 || m->list_end.reserved ? -EBADMSG : 0;
	case PROTO_QUEUED:
		if (m->queued.position == 0 || m->queued.holder > PROTO_HOLD_MAX ||
		    m->queued.holder_pid < 0 || m->queued.wait_ms > PROTO_WAIT_MAX_MS)
			return -EBADMSG;
		return proto_str_ok(m->queued.holder_comm, sizeof(m->queued.holder_comm)) &&
		       proto_str_ok(m->queued.kname, sizeof(m->queued.kname)) ? 0 : -EBADMSG;
	case PROTO_EVENT:
		if (!proto_event_fields_ok(&m->event))
			return -EBADMSG;
		if ((m->event.event == PROTO_EV_REFUSED
			     ? m->event.reason == PROTO_R_OK || m->event.reason > PROTO_R_MAX
			     : m->event.reason != 0) ||
		    m->event.event == 0 ||
		    m->event.event > PROTO_EV_MAX || m->event.handle == 0 ||
		    m->event.peer_pid < 0 || m->event.hdr.seq != 0)
			return -EBADMSG;
		return proto_str_ok(m->event.peer_comm, sizeof(m->event.peer_comm)) &&
		       proto_str_ok(m->event.kname, sizeof(m->event.kname)) ? 0 : -EBADMSG;
	}
	return -EBADMSG;
}

int proto_decode(const void *buf, size_t len, unsigned int from, bool has_fd,
		 union proto_msg *out)
{
	const struct proto_type_info *ti;
	struct proto_hdr hdr;
	int r;

	if (len < sizeof(hdr))
		return -EBADMSG;
	memcpy(&hdr, buf, sizeof(hdr));
	if (hdr.version != PROTO_VERSION)
		return -EPROTO;
	ti = proto_type_lookup(hdr.type);
	if (!ti || ti->from != from || hdr.len != len || len != ti->size ||
	    hdr.reserved != 0)
		return -EBADMSG;
	memset(out, 0, sizeof(*out));
	memcpy(out, buf, len);
	r = proto_check_body(out);
	if (r < 0)
		return r;
	if (has_fd != proto_carries_fd(out))
		return -EBADMSG;
	return 0;
}

const char *proto_reason_name(uint32_t reason)
{
	if (reason > PROTO_R_MAX)
		return "unknown";
	return proto_reasons[reason];
}
