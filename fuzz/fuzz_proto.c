/* SPDX-License-Identifier: MIT */
/*
 * fuzz_proto.c - proto_decode() on arbitrary datagrams.
 *
 * The first byte picks the sender (bits 0 and 2: backend, frontend, and
 * the daemon's engine and parent on their channel) and whether a
 * descriptor came with the datagram (bit 1); the rest is the datagram,
 * in a buffer of exactly its length so that ASan catches a read past LEN.
 * Checked: decode returns 0, -EBADMSG or -EPROTO; a decoded message has the
 * exact size of its type, a type its sender may send, zero reserved
 * fields, known flags and reasons, NUL-terminated strings, a descriptor
 * exactly when its type carries one, is the datagram byte for byte
 * (zero-filled beyond), and decodes again to itself, but never as coming
 * from any other sender.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzzutil.h"
#include "proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Size of TYPE's message and who sends it, from proto.h (not proto.c). */
static size_t expect_size(uint16_t type, unsigned int *from)
{
	switch (type) {
	case PROTO_READY:
		*from = PROTO_FROM_BACKEND;
		return sizeof(struct proto_ready);
	case PROTO_OPEN:
		*from = PROTO_FROM_FRONTEND;
		return sizeof(struct proto_open);
	case PROTO_OPEN_REPLY:
		*from = PROTO_FROM_BACKEND;
		return sizeof(struct proto_open_reply);
	case PROTO_RELEASE:
		*from = PROTO_FROM_FRONTEND;
		return sizeof(struct proto_release);
	case PROTO_IDENT:
		*from = PROTO_FROM_ENGINE;
		return sizeof(struct proto_ident);
	case PROTO_IDENT_REPLY:
		*from = PROTO_FROM_PARENT;
		return sizeof(struct proto_ident_reply);
	case PROTO_POLICY:
		*from = PROTO_FROM_PARENT;
		return sizeof(struct proto_policy);
	case PROTO_REVOKE:
		*from = PROTO_FROM_FRONTEND;
		return sizeof(struct proto_revoke);
	case PROTO_REVOKE_REPLY:
		*from = PROTO_FROM_BACKEND;
		return sizeof(struct proto_revoke_reply);
	case PROTO_LIST:
		*from = PROTO_FROM_FRONTEND;
		return sizeof(struct proto_list);
	case PROTO_LIST_ENTRY:
		*from = PROTO_FROM_BACKEND;
		return sizeof(struct proto_list_entry);
	case PROTO_LIST_END:
		*from = PROTO_FROM_BACKEND;
		return sizeof(struct proto_list_end);
	case PROTO_QUEUED:
		*from = PROTO_FROM_BACKEND;
		return sizeof(struct proto_queued);
	case PROTO_EVENT:
		*from = PROTO_FROM_BACKEND;
		return sizeof(struct proto_event);
	}
	return 0;
}

/* Every sender a message can come from. */
static const unsigned int senders[] = { PROTO_FROM_BACKEND, PROTO_FROM_FRONTEND,
					PROTO_FROM_ENGINE, PROTO_FROM_PARENT };

/* Every property a decoded message from FROM must have. */
static void check_decoded(const union proto_msg *m, const uint8_t *buf,
			  size_t len, unsigned int from, bool has_fd)
{
	const uint8_t *raw = (const uint8_t *)m;
	union proto_msg again;
	unsigned int sender = 0;

	fuzz_assert(m->hdr.version == PROTO_VERSION);
	fuzz_assert(expect_size(m->hdr.type, &sender) == len);
	fuzz_assert(sender == from);
	fuzz_assert(m->hdr.len == len && m->hdr.reserved == 0);
	fuzz_assert(memcmp(m, buf, len) == 0);
	for (size_t i = len; i < sizeof(*m); i++)
		fuzz_assert(raw[i] == 0);
	fuzz_assert(proto_carries_fd(m) == has_fd);
	switch (m->hdr.type) {
	case PROTO_READY:
		fuzz_assert(m->ready.err <= 0);
		break;
	case PROTO_OPEN:
		fuzz_assert(m->open.wait_ms <= PROTO_WAIT_MAX_MS);
		fuzz_assert(m->open.wait_ms == 0 || (m->open.flags & PROTO_OPEN_WAIT));
		fuzz_assert((m->open.flags & ~PROTO_OPEN_FLAGS) == 0);
		fuzz_assert(memchr(m->open.port, '\0', sizeof(m->open.port)));
		break;
	case PROTO_OPEN_REPLY:
		fuzz_assert(m->open_reply.err <= 0);
		fuzz_assert(m->open_reply.reason <= PROTO_R_MAX);
		fuzz_assert((m->open_reply.err == 0) ==
			    (m->open_reply.reason == PROTO_R_OK));
		fuzz_assert(m->open_reply.holder <= PROTO_HOLD_MAX);
		fuzz_assert(m->open_reply.holder_pid >= 0);
		fuzz_assert(memchr(m->open_reply.kname, '\0',
				   sizeof(m->open_reply.kname)));
		fuzz_assert(memchr(m->open_reply.detail, '\0',
				   sizeof(m->open_reply.detail)));
		fuzz_assert(strcmp(proto_reason_name(m->open_reply.reason),
				   "unknown") != 0);
		break;
	case PROTO_RELEASE:
		fuzz_assert(m->release.reserved == 0);
		break;
	case PROTO_IDENT:
		fuzz_assert(m->ident.reserved == 0);
		fuzz_assert(m->ident.conn != 0 && m->ident.pid > 0);
		fuzz_assert(has_fd); /* always with the client's pidfd */
		break;
	case PROTO_IDENT_REPLY:
		fuzz_assert(m->ident_reply.reserved == 0 && m->ident_reply.conn != 0);
		fuzz_assert(memchr(m->ident_reply.user, '\0', sizeof(m->ident_reply.user)));
		fuzz_assert(memchr(m->ident_reply.comm, '\0', sizeof(m->ident_reply.comm)));
		fuzz_assert(!has_fd);
		break;
	case PROTO_POLICY:
		fuzz_assert(m->policy.reserved == 0 && has_fd);
		fuzz_assert(m->policy.len >= 19 && m->policy.len <= 2u * 1024 * 1024);
		break;
	case PROTO_REVOKE:
		fuzz_assert(!m->revoke.reserved[0] && !m->revoke.reserved[1]);
		fuzz_assert(memchr(m->revoke.port, '\0', sizeof(m->revoke.port)));
		break;
	case PROTO_REVOKE_REPLY:
		fuzz_assert(m->revoke_reply.err <= 0 && m->revoke_reply.reserved == 0);
		fuzz_assert(m->revoke_reply.result <= PROTO_REVOKE_MAX);
		fuzz_assert((m->revoke_reply.err == 0) ==
			    (m->revoke_reply.result == PROTO_REVOKED));
		fuzz_assert(m->revoke_reply.holder_pid >= 0);
		fuzz_assert(memchr(m->revoke_reply.kname, '\0',
				   sizeof(m->revoke_reply.kname)));
		fuzz_assert(memchr(m->revoke_reply.detail, '\0',
				   sizeof(m->revoke_reply.detail)));
		break;
	case PROTO_LIST:
		fuzz_assert(!m->list.reserved[0] && !m->list.reserved[1] && !has_fd);
		fuzz_assert(memchr(m->list.after, '\0', sizeof(m->list.after)));
		break;
	case PROTO_LIST_ENTRY: {
		const struct proto_list_entry *e = &m->list_entry;

		fuzz_assert(!has_fd && e->reserved == 0);
		fuzz_assert(e->reason == PROTO_R_OK || e->reason == PROTO_R_DENIED ||
			    e->reason == PROTO_R_POLICY || e->reason == PROTO_R_BROKER);
		fuzz_assert(e->holder <= PROTO_HOLD_MAX && e->holder != PROTO_HOLD_EXCL);
		fuzz_assert(e->holder_pid >= 0 && (e->flags & ~PROTO_LIST_FLAGS) == 0);
		fuzz_assert(e->ifnum >= -1 && e->ifnum <= 255);
		fuzz_assert((e->flags & PROTO_LIST_USB) ||
			    (e->vid == 0 && e->pid == 0 && e->ifnum == -1));
		fuzz_assert(e->kname[0] && memchr(e->kname, '\0', sizeof(e->kname)));
		fuzz_assert(memchr(e->by_id, '\0', sizeof(e->by_id)));
		fuzz_assert(memchr(e->by_path, '\0', sizeof(e->by_path)));
		fuzz_assert(memchr(e->serial, '\0', sizeof(e->serial)));
		fuzz_assert(memchr(e->manufacturer, '\0', sizeof(e->manufacturer)));
		fuzz_assert(memchr(e->product, '\0', sizeof(e->product)));
		fuzz_assert(memchr(e->path, '\0', sizeof(e->path)));
		fuzz_assert(memchr(e->detail, '\0', sizeof(e->detail)));
		break;
	}
	case PROTO_LIST_END:
		fuzz_assert(!has_fd && m->list_end.err <= 0 && m->list_end.reserved == 0);
		break;
	case PROTO_QUEUED:
		fuzz_assert(m->queued.position > 0 && m->queued.holder <= PROTO_HOLD_MAX);
		fuzz_assert(m->queued.holder_pid >= 0 && !has_fd);
		fuzz_assert(m->queued.wait_ms <= PROTO_WAIT_MAX_MS);
		fuzz_assert(memchr(m->queued.holder_comm, '\0', sizeof(m->queued.holder_comm)));
		fuzz_assert(memchr(m->queued.kname, '\0', sizeof(m->queued.kname)));
		break;
	case PROTO_EVENT:
		fuzz_assert(m->event.hdr.seq == 0);
		fuzz_assert(m->event.event == PROTO_EV_REFUSED
				    ? m->event.reason > 0 && m->event.reason <= PROTO_R_MAX
				    : m->event.reason == 0);
		fuzz_assert(m->event.event >= 1 && m->event.event <= PROTO_EV_MAX);
		fuzz_assert(m->event.handle != 0 && m->event.peer_pid >= 0);
		fuzz_assert(has_fd == (m->event.event == PROTO_EV_HANDBACK));
		fuzz_assert(m->event.event == PROTO_EV_TAKE || m->event.grace_ms == 0);
		fuzz_assert(m->event.event == PROTO_EV_TAKE || m->event.event == PROTO_EV_REVOKED ||
			    (m->event.peer_pid == 0 && m->event.peer_uid == 0 &&
			     m->event.peer_comm[0] == '\0'));
		fuzz_assert(memchr(m->event.peer_comm, '\0', sizeof(m->event.peer_comm)));
		fuzz_assert(memchr(m->event.kname, '\0', sizeof(m->event.kname)));
		break;
	default:
		fuzz_assert(!"decoded an unknown type");
	}
	/* Idempotent, and only ever from the one sender. */
	fuzz_assert(proto_decode(m, len, from, has_fd, &again) == 0);
	fuzz_assert(memcmp(&again, m, sizeof(again)) == 0);
	for (size_t i = 0; i < sizeof(senders) / sizeof(senders[0]); i++)
		if (senders[i] != from)
			fuzz_assert(proto_decode(m, len, senders[i], has_fd, &again) ==
				    -EBADMSG);
	fuzz_assert(proto_decode(m, len, from, !has_fd, &again) == -EBADMSG);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned int from;
	union proto_msg out;
	uint8_t *buf;
	size_t len;
	bool has_fd;
	int r;

	if (size < 1)
		return 0;
	from = senders[(data[0] & 1) | ((data[0] >> 1) & 2)];
	has_fd = data[0] & 2;
	len = size - 1;
	/* An exact-size copy: one byte past LEN is outside the allocation. */
	buf = malloc(len ? len : 1);
	if (!buf)
		return 0;
	memcpy(buf, data + 1, len);
	memset(&out, 0xa5, sizeof(out));
	r = proto_decode(buf, len, from, has_fd, &out);
	fuzz_assert(r == 0 || r == -EBADMSG || r == -EPROTO);
	if (r == 0)
		check_decoded(&out, buf, len, from, has_fd);
	free(buf);
	return 0;
}
