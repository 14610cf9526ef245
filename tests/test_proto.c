/* SPDX-License-Identifier: MIT */
/*
 * test_proto.c - the wire protocol (common/proto.c).  Every message type
 * must survive an encode/decode round trip unchanged, and every way a
 * message can be malformed must be refused, because proto_decode() is the
 * only thing standing between a hostile frontend and the backend's logic.
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "proto.h"

/* Room for the largest message plus slack for overlong ones. */
#define BUF_MAX (PROTO_MSG_MAX + 16)

/* A well-formed message of TYPE with recognisable field values. */
static size_t build_valid(uint16_t type, union proto_msg *m)
{
	memset(m, 0, sizeof(*m));
	proto_hdr_init(&m->hdr, type, 0x01020304u);
	switch (type) {
	case PROTO_READY:
		m->ready.err = 0;
		m->ready.pid = 4242;
		break;
	case PROTO_OPEN:
		m->open.flags = PROTO_OPEN_NONBLOCK;
		strcpy(m->open.port, "ttyUSB0");
		break;
	case PROTO_OPEN_REPLY:
		m->open_reply.err = 0;
		m->open_reply.reason = PROTO_R_OK;
		m->open_reply.rule = 17;
		m->open_reply.handle = 99;
		strcpy(m->open_reply.kname, "ttyUSB0");
		break;
	case PROTO_RELEASE:
		m->release.handle = 99;
		break;
	}
	return m->hdr.len;
}

static unsigned int sender_of(uint16_t type)
{
	return type == PROTO_OPEN || type == PROTO_RELEASE ? PROTO_FROM_FRONTEND
							   : PROTO_FROM_BACKEND;
}

/* ---- headers and round trips ------------------------------------------ */

struct type_case {
	uint16_t type;
	uint32_t size;
};

ParameterizedTestParameters(proto, hdr_init)
{
	static struct type_case cases[] = {
		{ PROTO_READY, sizeof(struct proto_ready) },
		{ PROTO_OPEN, sizeof(struct proto_open) },
		{ PROTO_OPEN_REPLY, sizeof(struct proto_open_reply) },
		{ PROTO_RELEASE, sizeof(struct proto_release) },
		{ PROTO_POLICY, sizeof(struct proto_policy) },
		{ PROTO_REVOKE, sizeof(struct proto_revoke) },
		{ PROTO_REVOKE_REPLY, sizeof(struct proto_revoke_reply) },
		{ PROTO_LIST, sizeof(struct proto_list) },
		{ PROTO_LIST_ENTRY, sizeof(struct proto_list_entry) },
		{ PROTO_LIST_END, sizeof(struct proto_list_end) },
		{ 0, 0 },
		{ 18, 0 },
		{ 0xffff, 0 },
	};

	return cr_make_param_array(struct type_case, cases,
				   sizeof(cases) / sizeof(cases[0]));
}

/* proto_hdr_init sets version, type, seq, the type's size, and zeroes reserved. */
ParameterizedTest(struct type_case *c, proto, hdr_init)
{
	struct proto_hdr h;

	memset(&h, 0xa5, sizeof(h));
	proto_hdr_init(&h, c->type, 77);
	cr_assert_eq(h.version, PROTO_VERSION);
	cr_assert_eq(h.type, c->type);
	cr_assert_eq(h.len, c->size);
	cr_assert_eq(h.seq, 77u);
	cr_assert_eq(h.reserved, 0u);
}

ParameterizedTestParameters(proto, round_trip)
{
	static struct type_case cases[] = {
		{ PROTO_READY, sizeof(struct proto_ready) },
		{ PROTO_OPEN, sizeof(struct proto_open) },
		{ PROTO_OPEN_REPLY, sizeof(struct proto_open_reply) },
		{ PROTO_RELEASE, sizeof(struct proto_release) },
	};

	return cr_make_param_array(struct type_case, cases,
				   sizeof(cases) / sizeof(cases[0]));
}

/* A valid message decodes on the receiving side to exactly what was sent. */
ParameterizedTest(struct type_case *c, proto, round_trip)
{
	union proto_msg in, out;
	size_t len = build_valid(c->type, &in);
	bool fd = c->type == PROTO_OPEN_REPLY;

	cr_assert_eq(len, c->size);
	cr_assert_eq(proto_carries_fd(&in), fd);
	memset(&out, 0x5a, sizeof(out));
	cr_assert_eq(proto_decode(&in, len, sender_of(c->type), fd, &out), 0);
	cr_assert_eq(memcmp(&in, &out, len), 0, "decoded message differs");
	cr_assert_eq(out.hdr.seq, 0x01020304u);
}

/* The failure replies, one per reason, all decode (without an fd). */
Test(proto, round_trip_failed_replies)
{
	for (uint32_t r = 1; r <= PROTO_R_MAX; r++) {
		union proto_msg in, out;
		size_t len = build_valid(PROTO_OPEN_REPLY, &in);

		in.open_reply.err = -(int32_t)(EACCES + r);
		in.open_reply.reason = r;
		in.open_reply.kname[0] = '\0';
		cr_assert_not(proto_carries_fd(&in));
		cr_assert_eq(proto_decode(&in, len, PROTO_FROM_BACKEND, false, &out),
			     0, "reason %u", r);
		cr_assert_eq(memcmp(&in, &out, len), 0);
	}
}

/* Edge values that are allowed: every field at its legal extreme. */
Test(proto, legal_extremes)
{
	union proto_msg in, out;
	size_t len;

	len = build_valid(PROTO_OPEN, &in);
	in.open.flags = 0;
	memset(in.open.port, 'p', sizeof(in.open.port) - 1);
	in.open.port[sizeof(in.open.port) - 1] = '\0'; /* NUL in the last byte */
	in.hdr.seq = UINT32_MAX;
	cr_assert_eq(proto_decode(&in, len, PROTO_FROM_FRONTEND, false, &out), 0);
	cr_assert_eq(memcmp(&in, &out, len), 0);

	len = build_valid(PROTO_READY, &in);
	in.ready.err = INT32_MIN;
	cr_assert_eq(proto_decode(&in, len, PROTO_FROM_BACKEND, false, &out), 0);

	len = build_valid(PROTO_OPEN_REPLY, &in);
	memset(in.open_reply.kname, 'k', sizeof(in.open_reply.kname) - 1);
	in.open_reply.kname[sizeof(in.open_reply.kname) - 1] = '\0';
	in.open_reply.rule = UINT32_MAX;
	in.open_reply.handle = UINT32_MAX;
	cr_assert_eq(proto_decode(&in, len, PROTO_FROM_BACKEND, true, &out), 0);
	cr_assert_eq(memcmp(&in, &out, len), 0);
}

/* ---- malformed messages ----------------------------------------------- */

enum mutation {
	M_NONE,
	M_VERSION_0, M_VERSION_2, M_VERSION_FFFF,
	M_TYPE_0, M_TYPE_5, M_TYPE_FFFF, M_TYPE_OTHER_SIDE_SAME_SIZE,
	M_LEN_PLUS1, M_LEN_MINUS1, M_LEN_0, M_LEN_MAX,
	M_SHORT1, M_SHORT1_FIXED_LEN, M_LONG1, M_LONG1_FIXED_LEN,
	M_ACTUAL_0, M_ACTUAL_1, M_ACTUAL_HDR_MINUS1, M_ACTUAL_HDR_ONLY,
	M_HDR_RESERVED, M_HDR_RESERVED_HIGH,
	M_OPEN_RESERVED, M_OPEN_FLAG_2, M_OPEN_FLAG_HIGH, M_OPEN_FLAGS_ALL,
	M_OPEN_PORT_NO_NUL,
	M_REPLY_ERR_POS, M_REPLY_ERR_MAX, M_REPLY_REASON_9, M_REPLY_REASON_MAX,
	M_REPLY_OK_WITH_REASON, M_REPLY_ERR_WITH_OK, M_REPLY_KNAME_NO_NUL,
	M_READY_ERR_POS,
	M_RELEASE_RESERVED,
};

struct bad_case {
	uint16_t type;       /* which valid message to start from     */
	enum mutation mut;   /* what to break                         */
	unsigned int from;   /* 0: the type's real sender             */
	int fd;              /* -1: as the type needs; 0/1: forced    */
	int want;            /* expected return of proto_decode       */
};

/* Break a valid message in BUF (length *LEN) as M says. */
static void mutate(union proto_msg *m, size_t *len, enum mutation mut)
{
	switch (mut) {
	case M_NONE: break;
	case M_VERSION_0: m->hdr.version = 0; break;
	case M_VERSION_2: m->hdr.version = PROTO_VERSION + 1; break;
	case M_VERSION_FFFF: m->hdr.version = 0xffff; break;
	case M_TYPE_0: m->hdr.type = 0; break;
	case M_TYPE_5: m->hdr.type = 5; break;
	case M_TYPE_FFFF: m->hdr.type = 0xffff; break;
	case M_TYPE_OTHER_SIDE_SAME_SIZE: /* READY and RELEASE are both 24 bytes */
		m->hdr.type = m->hdr.type == PROTO_READY ? PROTO_RELEASE : PROTO_READY;
		break;
	case M_LEN_PLUS1: m->hdr.len += 1; break;
	case M_LEN_MINUS1: m->hdr.len -= 1; break;
	case M_LEN_0: m->hdr.len = 0; break;
	case M_LEN_MAX: m->hdr.len = UINT32_MAX; break;
	case M_SHORT1: *len -= 1; break;
	case M_SHORT1_FIXED_LEN: *len -= 1; m->hdr.len = (uint32_t)*len; break;
	case M_LONG1: *len += 1; break;
	case M_LONG1_FIXED_LEN: *len += 1; m->hdr.len = (uint32_t)*len; break;
	case M_ACTUAL_0: *len = 0; break;
	case M_ACTUAL_1: *len = 1; break;
	case M_ACTUAL_HDR_MINUS1: *len = sizeof(struct proto_hdr) - 1; break;
	case M_ACTUAL_HDR_ONLY:
		*len = sizeof(struct proto_hdr);
		m->hdr.len = (uint32_t)*len;
		break;
	case M_HDR_RESERVED: m->hdr.reserved = 1; break;
	case M_HDR_RESERVED_HIGH: m->hdr.reserved = 0x80000000u; break;
	case M_OPEN_RESERVED: m->open.wait_ms = 1; break; /* wait_ms without WAIT */
	case M_OPEN_FLAG_2: m->open.flags = 0x10; break; /* the first unused flag */
	case M_OPEN_FLAG_HIGH: m->open.flags = 0x80000000u; break;
	case M_OPEN_FLAGS_ALL: m->open.flags = UINT32_MAX; break;
	case M_OPEN_PORT_NO_NUL:
		memset(m->open.port, 'a', sizeof(m->open.port));
		break;
	case M_REPLY_ERR_POS:
		m->open_reply.err = EACCES;
		m->open_reply.reason = PROTO_R_DENIED;
		break;
	case M_REPLY_ERR_MAX:
		m->open_reply.err = INT32_MAX;
		m->open_reply.reason = PROTO_R_BROKER;
		break;
	case M_REPLY_REASON_9:
		m->open_reply.err = -EINVAL;
		m->open_reply.reason = PROTO_R_MAX + 1;
		break;
	case M_REPLY_REASON_MAX:
		m->open_reply.err = -EINVAL;
		m->open_reply.reason = UINT32_MAX;
		break;
	case M_REPLY_OK_WITH_REASON:
		m->open_reply.err = 0;
		m->open_reply.reason = PROTO_R_DENIED;
		break;
	case M_REPLY_ERR_WITH_OK:
		m->open_reply.err = -EACCES;
		m->open_reply.reason = PROTO_R_OK;
		break;
	case M_REPLY_KNAME_NO_NUL:
		memset(m->open_reply.kname, 'k', sizeof(m->open_reply.kname));
		break;
	case M_READY_ERR_POS: m->ready.err = 1; break;
	case M_RELEASE_RESERVED: m->release.reserved = 1; break;
	}
}

#define FE PROTO_FROM_FRONTEND
#define BE PROTO_FROM_BACKEND
#define BAD(t, m) { (t), (m), 0, -1, -EBADMSG }

ParameterizedTestParameters(proto, malformed)
{
	static struct bad_case cases[] = {
		/* version mismatch is its own error, on every type */
		{ PROTO_READY, M_VERSION_0, 0, -1, -EPROTO },
		{ PROTO_OPEN, M_VERSION_2, 0, -1, -EPROTO },
		{ PROTO_OPEN_REPLY, M_VERSION_FFFF, 0, -1, -EPROTO },
		{ PROTO_RELEASE, M_VERSION_2, 0, -1, -EPROTO },
		/* unknown types */
		BAD(PROTO_OPEN, M_TYPE_0),
		BAD(PROTO_READY, M_TYPE_5),
		BAD(PROTO_RELEASE, M_TYPE_FFFF),
		/* a type sent by the wrong side */
		{ PROTO_OPEN, M_NONE, BE, -1, -EBADMSG },
		{ PROTO_RELEASE, M_NONE, BE, -1, -EBADMSG },
		{ PROTO_READY, M_NONE, FE, -1, -EBADMSG },
		{ PROTO_OPEN_REPLY, M_NONE, FE, -1, -EBADMSG },
		{ PROTO_OPEN, M_NONE, 0x3, -1, -EBADMSG },
		BAD(PROTO_READY, M_TYPE_OTHER_SIDE_SAME_SIZE),
		BAD(PROTO_RELEASE, M_TYPE_OTHER_SIDE_SAME_SIZE),
		/* len field disagrees with the datagram */
		BAD(PROTO_READY, M_LEN_PLUS1),
		BAD(PROTO_OPEN, M_LEN_MINUS1),
		BAD(PROTO_OPEN_REPLY, M_LEN_0),
		BAD(PROTO_RELEASE, M_LEN_MAX),
		/* datagram one byte short or long, len field stale or matching */
		BAD(PROTO_READY, M_SHORT1), BAD(PROTO_READY, M_SHORT1_FIXED_LEN),
		BAD(PROTO_READY, M_LONG1), BAD(PROTO_READY, M_LONG1_FIXED_LEN),
		BAD(PROTO_OPEN, M_SHORT1), BAD(PROTO_OPEN, M_SHORT1_FIXED_LEN),
		BAD(PROTO_OPEN, M_LONG1), BAD(PROTO_OPEN, M_LONG1_FIXED_LEN),
		BAD(PROTO_OPEN_REPLY, M_SHORT1), BAD(PROTO_OPEN_REPLY, M_SHORT1_FIXED_LEN),
		BAD(PROTO_OPEN_REPLY, M_LONG1), BAD(PROTO_OPEN_REPLY, M_LONG1_FIXED_LEN),
		BAD(PROTO_RELEASE, M_SHORT1), BAD(PROTO_RELEASE, M_SHORT1_FIXED_LEN),
		BAD(PROTO_RELEASE, M_LONG1), BAD(PROTO_RELEASE, M_LONG1_FIXED_LEN),
		/* nothing, or less than a header */
		BAD(PROTO_OPEN, M_ACTUAL_0),
		BAD(PROTO_OPEN, M_ACTUAL_1),
		BAD(PROTO_OPEN, M_ACTUAL_HDR_MINUS1),
		BAD(PROTO_OPEN, M_ACTUAL_HDR_ONLY),
		BAD(PROTO_OPEN_REPLY, M_ACTUAL_HDR_ONLY),
		/* reserved fields */
		BAD(PROTO_READY, M_HDR_RESERVED),
		BAD(PROTO_OPEN, M_HDR_RESERVED_HIGH),
		BAD(PROTO_OPEN_REPLY, M_HDR_RESERVED),
		BAD(PROTO_RELEASE, M_HDR_RESERVED),
		BAD(PROTO_OPEN, M_OPEN_RESERVED),
		BAD(PROTO_RELEASE, M_RELEASE_RESERVED),
		/* open flags */
		BAD(PROTO_OPEN, M_OPEN_FLAG_2),
		BAD(PROTO_OPEN, M_OPEN_FLAG_HIGH),
		BAD(PROTO_OPEN, M_OPEN_FLAGS_ALL),
		/* strings without a NUL inside their bound */
		BAD(PROTO_OPEN, M_OPEN_PORT_NO_NUL),
		BAD(PROTO_OPEN_REPLY, M_REPLY_KNAME_NO_NUL),
		/* reply verdicts that make no sense (no fd: they are failures) */
		{ PROTO_OPEN_REPLY, M_REPLY_ERR_POS, 0, 0, -EBADMSG },
		{ PROTO_OPEN_REPLY, M_REPLY_ERR_MAX, 0, 0, -EBADMSG },
		{ PROTO_OPEN_REPLY, M_REPLY_REASON_9, 0, 0, -EBADMSG },
		{ PROTO_OPEN_REPLY, M_REPLY_REASON_MAX, 0, 0, -EBADMSG },
		{ PROTO_OPEN_REPLY, M_REPLY_OK_WITH_REASON, 0, 0, -EBADMSG },
		{ PROTO_OPEN_REPLY, M_REPLY_OK_WITH_REASON, 0, 1, -EBADMSG },
		{ PROTO_OPEN_REPLY, M_REPLY_ERR_WITH_OK, 0, 0, -EBADMSG },
		{ PROTO_OPEN_REPLY, M_REPLY_ERR_WITH_OK, 0, 1, -EBADMSG },
		BAD(PROTO_READY, M_READY_ERR_POS),
		/* descriptors where none may come, or missing where one must */
		{ PROTO_READY, M_NONE, 0, 1, -EBADMSG },
		{ PROTO_OPEN, M_NONE, 0, 1, -EBADMSG },
		{ PROTO_RELEASE, M_NONE, 0, 1, -EBADMSG },
		{ PROTO_OPEN_REPLY, M_NONE, 0, 0, -EBADMSG },
		/* control rows: unbroken messages decode */
		{ PROTO_READY, M_NONE, 0, -1, 0 },
		{ PROTO_OPEN, M_NONE, 0, -1, 0 },
		{ PROTO_OPEN_REPLY, M_NONE, 0, -1, 0 },
		{ PROTO_RELEASE, M_NONE, 0, -1, 0 },
	};

	return cr_make_param_array(struct bad_case, cases,
				   sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct bad_case *c, proto, malformed)
{
	_Alignas(union proto_msg) unsigned char buf[BUF_MAX];
	union proto_msg *m = (union proto_msg *)buf, out;
	unsigned int from = c->from ? c->from : sender_of(c->type);
	size_t len;
	bool fd;

	memset(buf, 0, sizeof(buf));
	len = build_valid(c->type, m);
	fd = c->fd < 0 ? proto_carries_fd(m) : c->fd == 1;
	mutate(m, &len, c->mut);
	cr_assert_leq(len, sizeof(buf));
	cr_assert_eq(proto_decode(buf, len, from, fd, &out), c->want,
		     "type %u mutation %d from %u fd %d", c->type, c->mut, from,
		     fd);
}

/* A sender of 0 (neither side) may send nothing. */
Test(proto, from_nobody)
{
	static const uint16_t types[] = { PROTO_READY, PROTO_OPEN,
					  PROTO_OPEN_REPLY, PROTO_RELEASE };

	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		union proto_msg in, out;
		size_t len = build_valid(types[i], &in);

		cr_assert_eq(proto_decode(&in, len, 0, proto_carries_fd(&in), &out),
			     -EBADMSG, "type %u", types[i]);
	}
}

/* A failed reply that does carry an fd is refused for every reason. */
Test(proto, failed_reply_with_fd)
{
	for (uint32_t r = 1; r <= PROTO_R_MAX; r++) {
		union proto_msg in, out;
		size_t len = build_valid(PROTO_OPEN_REPLY, &in);

		in.open_reply.err = -EIO;
		in.open_reply.reason = r;
		cr_assert_eq(proto_decode(&in, len, PROTO_FROM_BACKEND, true, &out),
			     -EBADMSG, "reason %u", r);
	}
}

/* Any single reserved bit in the header is refused. */
Test(proto, every_reserved_bit)
{
	for (int bit = 0; bit < 32; bit++) {
		union proto_msg in, out;
		size_t len = build_valid(PROTO_RELEASE, &in);

		in.hdr.reserved = 1u << bit;
		cr_assert_eq(proto_decode(&in, len, PROTO_FROM_FRONTEND, false, &out),
			     -EBADMSG, "bit %d", bit);
	}
}

/* Every datagram length but the right one is refused (len field matching). */
Test(proto, every_wrong_length)
{
	_Alignas(union proto_msg) unsigned char buf[BUF_MAX];
	union proto_msg *m = (union proto_msg *)buf, out;

	for (size_t len = 0; len <= sizeof(buf); len++) {
		size_t right;

		memset(buf, 0, sizeof(buf));
		right = build_valid(PROTO_OPEN, m);
		if (len >= sizeof(struct proto_hdr))
			m->hdr.len = (uint32_t)len;
		cr_assert_eq(proto_decode(buf, len, PROTO_FROM_FRONTEND, false, &out),
			     len == right ? 0 : -EBADMSG, "len %zu", len);
	}
}

/* ---- proto_carries_fd and proto_reason_name --------------------------- */

Test(proto, carries_fd)
{
	union proto_msg m;

	build_valid(PROTO_OPEN_REPLY, &m);
	cr_assert(proto_carries_fd(&m));
	m.open_reply.err = -EACCES;
	m.open_reply.reason = PROTO_R_DENIED;
	cr_assert_not(proto_carries_fd(&m));
	build_valid(PROTO_READY, &m);
	cr_assert_not(proto_carries_fd(&m));
	build_valid(PROTO_OPEN, &m);
	cr_assert_not(proto_carries_fd(&m));
	build_valid(PROTO_RELEASE, &m);
	cr_assert_not(proto_carries_fd(&m));
}

struct reason_case {
	uint32_t reason;
	char name[24];
};

ParameterizedTestParameters(proto, reason_name)
{
	static struct reason_case cases[] = {
		{ PROTO_R_OK, "ok" },
		{ PROTO_R_NAME, "bad-name" },
		{ PROTO_R_NODEV, "no-device" },
		{ PROTO_R_NOTTY, "not-a-tty" },
		{ PROTO_R_DENIED, "denied" },
		{ PROTO_R_CLASS, "device-class" },
		{ PROTO_R_BUSY, "busy" },
		{ PROTO_R_POLICY, "policy-invalid" },
		{ PROTO_R_BROKER, "broker-failure" },
		{ PROTO_R_MAX + 1, "unknown" },
		{ 0x7fffffffu, "unknown" },
		{ UINT32_MAX, "unknown" },
	};

	return cr_make_param_array(struct reason_case, cases,
				   sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct reason_case *c, proto, reason_name)
{
	const char *got = proto_reason_name(c->reason);

	cr_assert_not_null(got, "reason %u", c->reason);
	cr_assert_str_eq(got, c->name, "reason %u", c->reason);
}

/* Names of the real reasons are distinct, so logs can be told apart. */
Test(proto, reason_names_distinct)
{
	for (uint32_t a = 0; a <= PROTO_R_MAX; a++) {
		cr_assert_str_neq(proto_reason_name(a), "unknown");
		for (uint32_t b = a + 1; b <= PROTO_R_MAX; b++)
			cr_assert_str_neq(proto_reason_name(a),
					  proto_reason_name(b));
	}
}

/* ---- the daemon's parent channel ---------------------------------------- */

/* A valid PROTO_IDENT (with_fd: it always carries one) or PROTO_IDENT_REPLY. */
static size_t build_channel(uint16_t type, union proto_msg *m)
{
	memset(m, 0, sizeof(*m));
	proto_hdr_init(&m->hdr, type, 5);
	if (type == PROTO_IDENT) {
		m->ident.conn = 3;
		m->ident.pid = 4242;
		m->ident.uid = 65534;
	} else {
		m->ident_reply.conn = 3;
		strcpy(m->ident_reply.user, "nobody");
		strcpy(m->ident_reply.comm, "minicom");
	}
	return m->hdr.len;
}

enum chan_mut {
	C_NONE, C_CONN_0, C_PID_0, C_PID_NEG, C_RESERVED, C_USER_NO_NUL,
	C_COMM_NO_NUL, C_COMM_FULL, C_SHORT1, C_LONG1,
};

struct chan_case {
	uint16_t type;
	enum chan_mut mut;
	unsigned int from; /* 0: the type's real sender */
	int fd;            /* -1: as the type needs; 0/1: forced */
	int want;
};

ParameterizedTestParameters(proto, channel)
{
	static struct chan_case cases[] = {
		{ PROTO_IDENT, C_NONE, 0, -1, 0 },
		{ PROTO_IDENT_REPLY, C_NONE, 0, -1, 0 },
		/* the longest names that fit */
		{ PROTO_IDENT_REPLY, C_COMM_FULL, 0, -1, 0 },
		/* only the channel's ends, each only its own type */
		{ PROTO_IDENT, C_NONE, PROTO_FROM_PARENT, -1, -EBADMSG },
		{ PROTO_IDENT, C_NONE, PROTO_FROM_FRONTEND, -1, -EBADMSG },
		{ PROTO_IDENT, C_NONE, PROTO_FROM_BACKEND, -1, -EBADMSG },
		{ PROTO_IDENT_REPLY, C_NONE, PROTO_FROM_ENGINE, -1, -EBADMSG },
		{ PROTO_IDENT_REPLY, C_NONE, PROTO_FROM_BACKEND, -1, -EBADMSG },
		{ PROTO_IDENT_REPLY, C_NONE, PROTO_FROM_FRONTEND, -1, -EBADMSG },
		/* exactly one descriptor with a request, none with a reply */
		{ PROTO_IDENT, C_NONE, 0, 0, -EBADMSG },
		{ PROTO_IDENT_REPLY, C_NONE, 0, 1, -EBADMSG },
		/* fields */
		{ PROTO_IDENT, C_CONN_0, 0, -1, -EBADMSG },
		{ PROTO_IDENT, C_PID_0, 0, -1, -EBADMSG },
		{ PROTO_IDENT, C_PID_NEG, 0, -1, -EBADMSG },
		{ PROTO_IDENT, C_RESERVED, 0, -1, -EBADMSG },
		{ PROTO_IDENT_REPLY, C_CONN_0, 0, -1, -EBADMSG },
		{ PROTO_IDENT_REPLY, C_RESERVED, 0, -1, -EBADMSG },
		{ PROTO_IDENT_REPLY, C_USER_NO_NUL, 0, -1, -EBADMSG },
		{ PROTO_IDENT_REPLY, C_COMM_NO_NUL, 0, -1, -EBADMSG },
		/* exact sizes */
		{ PROTO_IDENT, C_SHORT1, 0, -1, -EBADMSG },
		{ PROTO_IDENT, C_LONG1, 0, -1, -EBADMSG },
		{ PROTO_IDENT_REPLY, C_SHORT1, 0, -1, -EBADMSG },
		{ PROTO_IDENT_REPLY, C_LONG1, 0, -1, -EBADMSG },
	};

	return cr_make_param_array(struct chan_case, cases,
				   sizeof(cases) / sizeof(cases[0]));
}

/* Identity requests and replies: who may send them, sizes, fields, strings. */
ParameterizedTest(struct chan_case *c, proto, channel)
{
	_Alignas(union proto_msg) unsigned char buf[BUF_MAX];
	union proto_msg *m = (union proto_msg *)buf, out;
	unsigned int from = c->from ? c->from
			  : c->type == PROTO_IDENT ? PROTO_FROM_ENGINE : PROTO_FROM_PARENT;
	size_t len;
	bool fd;

	memset(buf, 0, sizeof(buf));
	len = build_channel(c->type, m);
	cr_assert_eq(proto_carries_fd(m), c->type == PROTO_IDENT);
	fd = c->fd < 0 ? proto_carries_fd(m) : c->fd == 1;
	switch (c->mut) {
	case C_NONE: break;
	case C_CONN_0: m->ident.conn = 0; m->ident_reply.conn = 0; break;
	case C_PID_0: m->ident.pid = 0; break;
	case C_PID_NEG: m->ident.pid = -1; break;
	case C_RESERVED:
		if (c->type == PROTO_IDENT)
			m->ident.reserved = 1;
		else
			m->ident_reply.reserved = 1;
		break;
	case C_USER_NO_NUL:
		memset(m->ident_reply.user, 'u', sizeof(m->ident_reply.user));
		break;
	case C_COMM_NO_NUL:
		memset(m->ident_reply.comm, 'c', sizeof(m->ident_reply.comm));
		break;
	case C_COMM_FULL:
		memset(m->ident_reply.user, 'u', sizeof(m->ident_reply.user) - 1);
		memset(m->ident_reply.comm, 'c', sizeof(m->ident_reply.comm) - 1);
		break;
	case C_SHORT1: len--; m->hdr.len = (uint32_t)len; break;
	case C_LONG1: len++; m->hdr.len = (uint32_t)len; break;
	}
	cr_assert_eq(proto_decode(buf, len, from, fd, &out), c->want,
		     "type %u mutation %d from %u fd %d", c->type, c->mut, from, fd);
	if (c->want == 0)
		cr_assert_eq(memcmp(&out, buf, len), 0, "decoded message differs");
}

/* ---- reload and revocation messages -------------------------------------- */

struct new_case {
	uint16_t type;
	unsigned int from;
	bool fd;
	uint32_t a;     /* policy.len / revoke_reply.result   */
	int32_t err;    /* revoke_reply.err                   */
	bool unterminated;
	bool reserved;
	bool ok;
};

ParameterizedTestParameters(proto, reload_and_revoke)
{
	static struct new_case cases[] = {
		{ PROTO_POLICY, PROTO_FROM_PARENT, true, 19, 0, false, false, true },
		{ PROTO_POLICY, PROTO_FROM_PARENT, true, 2u << 20, 0, false, false, true },
		{ PROTO_POLICY, PROTO_FROM_PARENT, false, 19, 0, false, false, false }, /* no fd */
		{ PROTO_POLICY, PROTO_FROM_FRONTEND, true, 19, 0, false, false, false },
		{ PROTO_POLICY, PROTO_FROM_BACKEND, true, 19, 0, false, false, false },
		{ PROTO_POLICY, PROTO_FROM_PARENT, true, 18, 0, false, false, false },
		{ PROTO_POLICY, PROTO_FROM_PARENT, true, (2u << 20) + 1, 0, false, false, false },
		{ PROTO_POLICY, PROTO_FROM_PARENT, true, 19, 0, false, true, false },
		{ PROTO_REVOKE, PROTO_FROM_FRONTEND, false, 0, 0, false, false, true },
		{ PROTO_REVOKE, PROTO_FROM_FRONTEND, true, 0, 0, false, false, false },
		{ PROTO_REVOKE, PROTO_FROM_PARENT, false, 0, 0, false, false, false },
		{ PROTO_REVOKE, PROTO_FROM_FRONTEND, false, 0, 0, true, false, false },
		{ PROTO_REVOKE, PROTO_FROM_FRONTEND, false, 0, 0, false, true, false },
		{ PROTO_REVOKE_REPLY, PROTO_FROM_BACKEND, false, PROTO_REVOKED, 0, false, false, true },
		{ PROTO_REVOKE_REPLY, PROTO_FROM_BACKEND, false, PROTO_NOT_HELD, -ENOENT, false, false, true },
		{ PROTO_REVOKE_REPLY, PROTO_FROM_BACKEND, false, PROTO_REVOKE_REFUSED, -EPERM, false, false, true },
		{ PROTO_REVOKE_REPLY, PROTO_FROM_BACKEND, false, PROTO_REVOKED, -EPERM, false, false, false },
		{ PROTO_REVOKE_REPLY, PROTO_FROM_BACKEND, false, PROTO_NOT_HELD, 0, false, false, false },
		{ PROTO_REVOKE_REPLY, PROTO_FROM_BACKEND, false, PROTO_REVOKE_MAX + 1, -EIO, false, false, false },
		{ PROTO_REVOKE_REPLY, PROTO_FROM_BACKEND, false, PROTO_REVOKED, 1, false, false, false },
		{ PROTO_REVOKE_REPLY, PROTO_FROM_BACKEND, false, PROTO_REVOKED, 0, true, false, false },
		{ PROTO_REVOKE_REPLY, PROTO_FROM_BACKEND, false, PROTO_REVOKED, 0, false, true, false },
		{ PROTO_REVOKE_REPLY, PROTO_FROM_BACKEND, true, PROTO_REVOKED, 0, false, false, false },
		{ PROTO_REVOKE_REPLY, PROTO_FROM_FRONTEND, false, PROTO_REVOKED, 0, false, false, false },
	};

	return cr_make_param_array(struct new_case, cases, sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct new_case *c, proto, reload_and_revoke)
{
	union proto_msg m, out;

	memset(&m, 0, sizeof(m));
	proto_hdr_init(&m.hdr, c->type, 5);
	switch (c->type) {
	case PROTO_POLICY:
		m.policy.len = c->a;
		m.policy.reserved = c->reserved;
		break;
	case PROTO_REVOKE:
		strcpy(m.revoke.port, "ttyUSB0");
		if (c->unterminated)
			memset(m.revoke.port, 'a', sizeof(m.revoke.port));
		m.revoke.reserved[1] = c->reserved;
		break;
	default:
		m.revoke_reply.result = c->a;
		m.revoke_reply.err = c->err;
		strcpy(m.revoke_reply.kname, "ttyUSB0");
		if (c->unterminated)
			memset(m.revoke_reply.detail, 'a', sizeof(m.revoke_reply.detail));
		m.revoke_reply.reserved = c->reserved;
	}
	cr_assert_eq(proto_decode(&m, m.hdr.len, c->from, c->fd, &out) == 0, c->ok,
		     "type %u a=%u err=%d", c->type, c->a, c->err);
	/* A byte more or less is never a message. */
	cr_assert_neq(proto_decode(&m, m.hdr.len - 1, c->from, c->fd, &out), 0);
}

/* ---- listing ports (branch list9) ---------------------------------------- */

enum list_mut {
	LM_NONE, LM_FD, LM_SENDER, LM_RESERVED, LM_UNTERMINATED, LM_EMPTY_KNAME,
	LM_REASON_BUSY, LM_REASON_OVER, LM_HOLDER_EXCL, LM_HOLDER_OVER, LM_NEG_PID,
	LM_FLAG_UNKNOWN, LM_IFNUM_LOW, LM_IFNUM_HIGH, LM_VID_NO_USB, LM_IFNUM_NO_USB,
	LM_SERIAL_UNTERMINATED, LM_PATH_UNTERMINATED, LM_DETAIL_UNTERMINATED,
	LM_POSITIVE_ERR, LM_USB_MAX, LM_POLICY_REASON, LM_HOLD_SELF, LM_BROKER_REASON,
};

struct list_case {
	uint16_t type;
	enum list_mut mut;
	bool ok;
};

/* A valid list message of TYPE, then mutation MUT. */
static void build_list(uint16_t type, enum list_mut mut, union proto_msg *m)
{
	struct proto_list_entry *e = &m->list_entry;

	memset(m, 0, sizeof(*m));
	proto_hdr_init(&m->hdr, type, 77);
	if (type == PROTO_LIST) {
		strcpy(m->list.after, "ttyS0");
		if (mut == LM_RESERVED)
			m->list.reserved[1] = 1;
		if (mut == LM_UNTERMINATED)
			memset(m->list.after, 'a', sizeof(m->list.after));
		return;
	}
	if (type == PROTO_LIST_END) {
		m->list_end.err = -EIO;
		if (mut == LM_RESERVED)
			m->list_end.reserved = 1;
		if (mut == LM_POSITIVE_ERR)
			m->list_end.err = 5;
		return;
	}
	e->reason = PROTO_R_DENIED;
	e->rule = 3;
	e->holder = PROTO_HOLD_LCK;
	e->holder_pid = 1234;
	e->flags = PROTO_LIST_USB;
	e->vid = 0x0403;
	e->pid = 0x6001;
	e->ifnum = 0;
	strcpy(e->kname, "ttyUSB0");
	strcpy(e->by_id, "usb-FTDI_FT232R_USB_UART_A12345-if00-port0");
	strcpy(e->serial, "A12345");
	strcpy(e->detail, "/etc/ttybroker.conf:3");
	switch (mut) {
	case LM_RESERVED: e->reserved = 1; break;
	case LM_UNTERMINATED: memset(e->kname, 'a', sizeof(e->kname)); break;
	case LM_EMPTY_KNAME: e->kname[0] = '\0'; break;
	case LM_REASON_BUSY: e->reason = PROTO_R_BUSY; break;
	case LM_REASON_OVER: e->reason = PROTO_R_MAX + 1; break;
	case LM_HOLDER_EXCL: e->holder = PROTO_HOLD_EXCL; break;
	case LM_HOLDER_OVER: e->holder = PROTO_HOLD_MAX + 1; break;
	case LM_NEG_PID: e->holder_pid = -1; break;
	case LM_FLAG_UNKNOWN: e->flags |= 0x4; break;
	case LM_IFNUM_LOW: e->ifnum = -2; break;
	case LM_IFNUM_HIGH: e->ifnum = 256; break;
	case LM_VID_NO_USB: e->flags = 0; e->ifnum = -1; e->pid = 0; break;
	case LM_IFNUM_NO_USB: e->flags = 0; e->vid = e->pid = 0; e->ifnum = 0; break;
	case LM_SERIAL_UNTERMINATED: memset(e->serial, 0xff, sizeof(e->serial)); break;
	case LM_PATH_UNTERMINATED: memset(e->path, 'p', sizeof(e->path)); break;
	case LM_DETAIL_UNTERMINATED: memset(e->detail, 'd', sizeof(e->detail)); break;
	case LM_USB_MAX: e->vid = e->pid = 0xffff; e->ifnum = 255; break;
	case LM_POLICY_REASON: e->reason = PROTO_R_POLICY; e->rule = 0; break;
	case LM_BROKER_REASON: e->reason = PROTO_R_BROKER; e->rule = 0; break;
	case LM_HOLD_SELF: e->holder = PROTO_HOLD_SELF; e->flags = PROTO_LIST_PTY;
		e->vid = e->pid = 0; e->ifnum = -1; break;
	default: break;
	}
}

ParameterizedTestParameters(proto, list)
{
	static struct list_case cases[] = {
		{ PROTO_LIST, LM_NONE, true },
		{ PROTO_LIST, LM_FD, false },
		{ PROTO_LIST, LM_SENDER, false },
		{ PROTO_LIST, LM_RESERVED, false },
		{ PROTO_LIST, LM_UNTERMINATED, false },
		{ PROTO_LIST_ENTRY, LM_NONE, true },
		{ PROTO_LIST_ENTRY, LM_USB_MAX, true },
		{ PROTO_LIST_ENTRY, LM_POLICY_REASON, true },
		{ PROTO_LIST_ENTRY, LM_HOLD_SELF, true },
		{ PROTO_LIST_ENTRY, LM_BROKER_REASON, true },
		{ PROTO_LIST_ENTRY, LM_FD, false },
		{ PROTO_LIST_ENTRY, LM_SENDER, false },
		{ PROTO_LIST_ENTRY, LM_RESERVED, false },
		{ PROTO_LIST_ENTRY, LM_UNTERMINATED, false },
		{ PROTO_LIST_ENTRY, LM_EMPTY_KNAME, false },
		{ PROTO_LIST_ENTRY, LM_REASON_BUSY, false },
		{ PROTO_LIST_ENTRY, LM_REASON_OVER, false },
		{ PROTO_LIST_ENTRY, LM_HOLDER_EXCL, false },
		{ PROTO_LIST_ENTRY, LM_HOLDER_OVER, false },
		{ PROTO_LIST_ENTRY, LM_NEG_PID, false },
		{ PROTO_LIST_ENTRY, LM_FLAG_UNKNOWN, false },
		{ PROTO_LIST_ENTRY, LM_IFNUM_LOW, false },
		{ PROTO_LIST_ENTRY, LM_IFNUM_HIGH, false },
		{ PROTO_LIST_ENTRY, LM_VID_NO_USB, false },
		{ PROTO_LIST_ENTRY, LM_IFNUM_NO_USB, false },
		{ PROTO_LIST_ENTRY, LM_SERIAL_UNTERMINATED, false },
		{ PROTO_LIST_ENTRY, LM_PATH_UNTERMINATED, false },
		{ PROTO_LIST_ENTRY, LM_DETAIL_UNTERMINATED, false },
		{ PROTO_LIST_END, LM_NONE, true },
		{ PROTO_LIST_END, LM_FD, false },
		{ PROTO_LIST_END, LM_SENDER, false },
		{ PROTO_LIST_END, LM_RESERVED, false },
		{ PROTO_LIST_END, LM_POSITIVE_ERR, false },
	};

	return cr_make_param_array(struct list_case, cases, sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct list_case *c, proto, list)
{
	unsigned int from = c->type == PROTO_LIST ? PROTO_FROM_FRONTEND : PROTO_FROM_BACKEND;
	union proto_msg m, out;

	build_list(c->type, c->mut, &m);
	if (c->mut == LM_SENDER)
		from = from == PROTO_FROM_FRONTEND ? PROTO_FROM_BACKEND : PROTO_FROM_FRONTEND;
	cr_assert_eq(proto_decode(&m, m.hdr.len, from, c->mut == LM_FD, &out) == 0, c->ok,
		     "type %u mutation %d", c->type, c->mut);
	if (c->ok) {
		cr_assert_eq(memcmp(&out, &m, m.hdr.len), 0, "round trip");
		cr_assert_not(proto_carries_fd(&out));
	}
	/* A byte more or less is never a message; nor is another version. */
	cr_assert_neq(proto_decode(&m, m.hdr.len - 1, from, false, &out), 0);
	m.hdr.version++;
	cr_assert_eq(proto_decode(&m, m.hdr.len, from, false, &out), -EPROTO);
}

/* The sizes the types are known by, and the bound a listing has. */
Test(proto, list_sizes)
{
	union proto_msg m;

	proto_hdr_init(&m.hdr, PROTO_LIST, 1);
	cr_assert_eq(m.hdr.len, sizeof(struct proto_list));
	proto_hdr_init(&m.hdr, PROTO_LIST_ENTRY, 1);
	cr_assert_eq(m.hdr.len, sizeof(struct proto_list_entry));
	proto_hdr_init(&m.hdr, PROTO_LIST_END, 1);
	cr_assert_eq(m.hdr.len, sizeof(struct proto_list_end));
	cr_assert_geq(PROTO_MSG_MAX, sizeof(struct proto_list_entry));
	cr_assert_eq(PROTO_LIST_MAX, 256u);
}

/* ---- sharing a busy port (branch share10) --------------------------------- */

struct share_case {
	uint16_t type;
	unsigned int from;
	bool fd;
	uint32_t a;      /* open: flags; queued: position; event: event      */
	uint32_t b;      /* open: wait_ms; queued: holder; event: handle     */
	int32_t pid;     /* queued: holder_pid; event: peer_pid; open: seq of 0 */
	bool unterminated;
	bool reserved;   /* event: a reason set                              */
	bool ok;
};

#define SH_OPEN(flags, ms, ok) { PROTO_OPEN, PROTO_FROM_FRONTEND, false, flags, ms, 0, false, false, ok }
#define SH_Q(pos, holder, pid, ok) { PROTO_QUEUED, PROTO_FROM_BACKEND, false, pos, holder, pid, false, false, ok }
#define SH_EV(ev, h, fd, ok) { PROTO_EVENT, PROTO_FROM_BACKEND, fd, ev, h, 7, false, false, ok }

ParameterizedTestParameters(proto, sharing)
{
	static struct share_case cases[] = {
		SH_OPEN(PROTO_OPEN_WAIT, 0, true),
		SH_OPEN(PROTO_OPEN_WAIT, 1, true),
		SH_OPEN(PROTO_OPEN_WAIT, PROTO_WAIT_MAX_MS, true),
		SH_OPEN(PROTO_OPEN_WAIT, PROTO_WAIT_MAX_MS + 1, false),
		SH_OPEN(PROTO_OPEN_WAIT, UINT32_MAX, false),
		SH_OPEN(0, 1000, false),                 /* wait_ms without WAIT */
		SH_OPEN(PROTO_OPEN_TAKE, 1000, false),
		SH_OPEN(PROTO_OPEN_YIELD, 0, true),
		SH_OPEN(PROTO_OPEN_TAKE, 0, true),
		SH_OPEN(PROTO_OPEN_FLAGS, 5, true),
		SH_OPEN(PROTO_OPEN_FLAGS | 0x10, 0, false),
		{ PROTO_OPEN, PROTO_FROM_BACKEND, false, PROTO_OPEN_WAIT, 0, 0, false, false, false },
		SH_Q(1, PROTO_HOLD_LCK, 42, true),
		SH_Q(UINT32_MAX, PROTO_HOLD_FLOCK, 0, true),
		SH_Q(0, PROTO_HOLD_LCK, 42, false),      /* place 0 */
		SH_Q(1, PROTO_HOLD_MAX + 1, 42, false),
		SH_Q(1, PROTO_HOLD_LCK, -1, false),
		{ PROTO_QUEUED, PROTO_FROM_BACKEND, false, 1, PROTO_HOLD_LCK, 42, true, false, false },
		{ PROTO_QUEUED, PROTO_FROM_BACKEND, true, 1, PROTO_HOLD_LCK, 42, false, false, false },
		{ PROTO_QUEUED, PROTO_FROM_FRONTEND, false, 1, PROTO_HOLD_LCK, 42, false, false, false },
		SH_EV(PROTO_EV_TAKE, 1, false, true),
		SH_EV(PROTO_EV_REVOKED, 3, false, true),
		SH_EV(PROTO_EV_HANDBACK, 4, true, true),
		SH_EV(PROTO_EV_HANDBACK, 4, false, false), /* a hand-back brings its fd */
		SH_EV(PROTO_EV_TAKE, 1, true, false),      /* only a hand-back has one */
		SH_EV(0, 1, false, false),
		SH_EV(PROTO_EV_MAX + 1, 1, false, false),
		SH_EV(PROTO_EV_TAKE, 0, false, false),     /* handle 0 */
		/* A refused hand-back says why, and only it has a reason. */
		{ PROTO_EVENT, PROTO_FROM_BACKEND, false, PROTO_EV_REFUSED, 4, 0, false, true, true },
		{ PROTO_EVENT, PROTO_FROM_BACKEND, false, PROTO_EV_REFUSED, 4, 0, false, false, false },
		{ PROTO_EVENT, PROTO_FROM_BACKEND, true, PROTO_EV_REFUSED, 4, 0, false, true, false },
		{ PROTO_EVENT, PROTO_FROM_BACKEND, false, PROTO_EV_TAKE, 1, 7, true, false, false },
		{ PROTO_EVENT, PROTO_FROM_BACKEND, false, PROTO_EV_TAKE, 1, 7, false, true, false },
		{ PROTO_EVENT, PROTO_FROM_BACKEND, false, PROTO_EV_TAKE, 1, -7, false, false, false },
		{ PROTO_EVENT, PROTO_FROM_FRONTEND, false, PROTO_EV_TAKE, 1, 7, false, false, false },
	};

	return cr_make_param_array(struct share_case, cases, sizeof(cases) / sizeof(cases[0]));
}

/* PROTO_OPEN's sharing flags and wait_ms, PROTO_QUEUED and PROTO_EVENT. */
ParameterizedTest(struct share_case *c, proto, sharing)
{
	union proto_msg m, out;

	memset(&m, 0, sizeof(m));
	proto_hdr_init(&m.hdr, c->type, c->type == PROTO_EVENT ? 0 : 5);
	switch (c->type) {
	case PROTO_OPEN:
		m.open.flags = c->a;
		m.open.wait_ms = c->b;
		strcpy(m.open.port, "ttyUSB0");
		break;
	case PROTO_QUEUED:
		m.queued.position = c->a;
		m.queued.holder = c->b;
		m.queued.holder_pid = c->pid;
		strcpy(m.queued.kname, "ttyUSB0");
		if (c->unterminated)
			memset(m.queued.holder_comm, 'c', sizeof(m.queued.holder_comm));
		break;
	default:
		m.event.event = c->a;
		m.event.handle = c->b;
		/* only a take has a grace period; only a take and a revoke a taker */
		if (c->a == PROTO_EV_TAKE || c->a == PROTO_EV_REVOKED)
			m.event.peer_pid = c->pid;
		if (c->a == PROTO_EV_TAKE || c->a == PROTO_EV_MAX + 1)
			m.event.grace_ms = 2000;
		strcpy(m.event.kname, "ttyUSB0");
		if (c->unterminated)
			memset(m.event.kname, 'k', sizeof(m.event.kname));
		if (c->reserved)
			m.event.reason = PROTO_R_DENIED;
	}
	cr_assert_eq(proto_decode(&m, m.hdr.len, c->from, c->fd, &out) == 0, c->ok,
		     "type %u a=%u b=%u", c->type, c->a, c->b);
	if (c->ok)
		cr_assert_eq(memcmp(&m, &out, m.hdr.len), 0);
	cr_assert_neq(proto_decode(&m, m.hdr.len + 1, c->from, c->fd, &out), 0);
}

struct event_field_case {
	uint32_t event;
	uint32_t grace_ms;
	int32_t peer_pid;
	uint32_t peer_uid;
	char peer_comm[16];
	bool ok;
};

#define EVF(ev, g, pid, uid, comm, ok) { PROTO_EV_##ev, g, pid, uid, comm, ok }

ParameterizedTestParameters(proto, event_fields)
{
	static struct event_field_case cases[] = {
		EVF(TAKE, 2000, 42, 1000, "esptool", true),
		EVF(TAKE, 0, 0, 0, "", true),
		EVF(REVOKED, 0, 42, 1000, "esptool", true),
		EVF(REVOKED, 0, 0, 0, "", true),   /* the taker already gone */
		EVF(REVOKED, 2000, 42, 1000, "esptool", false),
		EVF(HANDBACK, 0, 0, 0, "", true),
		EVF(HANDBACK, 2000, 0, 0, "", false),
		EVF(HANDBACK, 0, 42, 0, "", false),
		EVF(HANDBACK, 0, 0, 1000, "", false),
		EVF(HANDBACK, 0, 0, 0, "esptool", false),
		EVF(REFUSED, 0, 0, 0, "", true),
		EVF(REFUSED, 1, 0, 0, "", false),
		EVF(REFUSED, 0, 42, 0, "", false),
		EVF(REFUSED, 0, 0, 0, "x", false),
	};

	return cr_make_param_array(struct event_field_case, cases,
				   sizeof(cases) / sizeof(cases[0]));
}

/*
 * An event carries only the fields its kind defines: a grace period on
 * a take alone, a taker on a take or a revoke; everything else is 0.
 */
ParameterizedTest(struct event_field_case *c, proto, event_fields)
{
	union proto_msg m, out;
	bool fd = c->event == PROTO_EV_HANDBACK;

	memset(&m, 0, sizeof(m));
	proto_hdr_init(&m.hdr, PROTO_EVENT, 0);
	m.event.event = c->event;
	m.event.handle = 3;
	m.event.grace_ms = c->grace_ms;
	m.event.peer_pid = c->peer_pid;
	m.event.peer_uid = c->peer_uid;
	m.event.reason = c->event == PROTO_EV_REFUSED ? PROTO_R_BROKER : 0;
	snprintf(m.event.peer_comm, sizeof(m.event.peer_comm), "%s", c->peer_comm);
	strcpy(m.event.kname, "ttyUSB0");
	cr_assert_eq(proto_decode(&m, m.hdr.len, PROTO_FROM_BACKEND, fd, &out) == 0, c->ok,
		     "event %u grace %u peer %d/%u/'%s'", c->event, c->grace_ms, c->peer_pid,
		     c->peer_uid, c->peer_comm);
}

/* An event is never an answer to a request: its seq is 0. */
Test(proto, event_seq_is_zero)
{
	union proto_msg m, out;

	memset(&m, 0, sizeof(m));
	proto_hdr_init(&m.hdr, PROTO_EVENT, 1);
	m.event.event = PROTO_EV_TAKE;
	m.event.handle = 1;
	cr_assert_eq(proto_decode(&m, m.hdr.len, PROTO_FROM_BACKEND, false, &out), -EBADMSG);
	m.hdr.seq = 0;
	cr_assert_eq(proto_decode(&m, m.hdr.len, PROTO_FROM_BACKEND, false, &out), 0);
}
