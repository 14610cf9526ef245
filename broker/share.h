/* SPDX-License-Identifier: MIT */
/*
 * share.h - sharing a busy port among the clients of ttybrokerd: waiting
 * in line (PROTO_OPEN_WAIT), yielding a hold (PROTO_OPEN_YIELD) and
 * taking it over (PROTO_OPEN_TAKE), with the port handed back to a
 * holder that yielded and waits.  See docs/DESIGN.md "Sharing a busy
 * port".
 *
 * The daemon registers each client (share_attach), passes every
 * PROTO_OPEN and PROTO_RELEASE through here, tells of every other end of
 * a hold (share_kick: revoke, reload, a client gone) and calls
 * share_tick() once per round of its loop, sleeping no longer than
 * share_timeout() says.  A waiter is re-tried at once when a client of
 * the daemon lets the port go, and otherwise (a holder outside the
 * broker: a LCK.. file, a flock) with a back-off from SHARE_BACKOFF_MIN_MS
 * doubling to SHARE_BACKOFF_MAX_MS: no busy loop.  Every request that
 * comes back is decided again from the start by the engine (policy, class,
 * locks): the policy may have changed while it waited.
 *
 * A client whose notice, event or late reply cannot be sent is marked
 * dead (share_client.dead): the daemon ends it.
 */
#ifndef TB_SHARE_H
#define TB_SHARE_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "engine.h"
#include "proto.h"

#define SHARE_GRACE_DEFAULT_MS 2000u  /* ttybrokerd -g */
#define SHARE_GRACE_MAX_MS     60000u
#define SHARE_BACKOFF_MIN_MS   50u
#define SHARE_BACKOFF_MAX_MS   1000u
/* Unread bytes a client that was sent notices or events may leave when
 * it sends (a release crossing a take-over request): a few messages. */
#define SHARE_UNREAD_MAX       (8u * (unsigned int)PROTO_MSG_MAX)

/* A client as share.c sees it: embedded in the daemon's client. */
struct share_client {
	struct share_client *next; /* share.clients */
	struct engine_client *ec;
	int sock;
	bool async;  /* was sent a notice or event: may have unread messages */
	bool dead;   /* a message could not be sent: the daemon ends it */
};

struct share_waiter;
struct share_asked;

struct share {
	struct engine *eng;
	unsigned int grace_ms;
	bool kicked;                  /* a hold ended: re-try every line now */
	unsigned int round;           /* share_tick's, to serve each port once */
	struct share_client *clients;
	struct share_waiter *line;    /* every waiter, in order of arrival */
	struct share_asked *asked;    /* holds asked to yield by a taker now gone */
};

void share_init(struct share *sh, struct engine *eng, unsigned int grace_ms);

/* Free every waiter (the daemon is ending). */
void share_fini(struct share *sh);

/* A new client SC (EC and SOCK set by the caller). */
void share_attach(struct share *sh, struct share_client *sc);

/* Client SC goes away: it leaves every line (audit verdict=leave). */
void share_detach(struct share *sh, struct share_client *sc);

/*
 * Serve PROTO_OPEN REQ of SC: answered at once (reply sent), or queued
 * (PROTO_QUEUED sent) with a take-over started when it asks to take.
 * Returns 0, or -1 when SC must be ended (a reply could not be sent).
 */
int share_open(struct share *sh, struct share_client *sc, const struct proto_open *req);

/*
 * PROTO_RELEASE of HANDLE from SC.  A hold a taker waits for is handed
 * over (hung up: the holder's copies read EOF); any other is released.
 * A hold that yields within the grace period of a take whose taker has
 * gone meanwhile is released too, and if it asked to wait (PROTO_OPEN_WAIT)
 * it gets the port back, as it would after the taker.  0, or -ENOENT for
 * an unknown handle.
 */
int share_release(struct share *sh, struct share_client *sc, uint32_t handle);

/* A hold ended some other way (revoke, reload, client gone). */
void share_kick(struct share *sh);

/* A LCK.. file was removed: re-try the waiters a lock file kept out. */
void share_lock_gone(struct share *sh);

/* Serve what is due: lines whose port may be free, deadlines, grace periods. */
void share_tick(struct share *sh);

/*
 * Milliseconds until share_tick() has something to do (0: now), or -1
 * when nothing waits.
 */
long share_timeout(const struct share *sh);

#endif
