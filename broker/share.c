/* SPDX-License-Identifier: MIT */
/*
 * share.c - waiting in line for a busy port, yielding and taking over,
 * among the clients of ttybrokerd (see share.h).  Nothing here decides
 * whether a client may have a port: every request, when it comes and
 * again whenever it is re-tried, goes through engine_open_ex().  This
 * file only decides when to ask again, who is next, and who may take a
 * hold from whom.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fdpass.h"
#include "log.h"
#include "share.h"

struct share_waiter {
	struct share_waiter *next;
	struct share_client *who;
	struct proto_open req;      /* as asked (seq, flags, wait_ms, port) */
	char kname[PROTO_PORT_MAX];
	uint64_t deadline;          /* ms (monotonic); 0 = none            */
	uint64_t next_try;          /* ms: re-try no earlier (unless kicked) */
	unsigned int backoff;       /* ms, SHARE_BACKOFF_MIN_MS .. _MAX_MS  */
	bool handback;              /* a holder that yielded, waiting to get it back */
	uint32_t old_handle;        /* handback: the hold it gave up (never 0) */
	bool take;                  /* a taker: first in line for its port  */
	struct share_client *victim; /* take: the holder asked to yield, or NULL */
	uint32_t victim_handle;
	uint64_t grace_by;          /* take: hang the victim up at this time */
	uint32_t holder;            /* last seen PROTO_HOLD_*, for the give-up reply */
	int32_t holder_pid;
	unsigned int mark;          /* share_tick's round */
};

/*
 * A hold that was sent PROTO_EV_TAKE by a taker that left before the
 * hand-over (it went away, or its wait ran out).  The holder may already
 * be letting go: its release within the grace period is still a yield.
 */
struct share_asked {
	struct share_asked *next;
	struct share_client *who;
	uint32_t handle;
	uint64_t until;             /* ms: the take's grace period ends */
	char kname[PROTO_PORT_MAX];
};

/* Monotonic milliseconds. */
static uint64_t share_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

void share_init(struct share *sh, struct engine *eng, unsigned int grace_ms)
{
	memset(sh, 0, sizeof(*sh));
	sh->eng = eng;
	sh->grace_ms = grace_ms;
	eng->sharing = true;
}

void share_fini(struct share *sh)
{
	while (sh->line) {
		struct share_waiter *w = sh->line;

		sh->line = w->next;
		free(w);
	}
	while (sh->asked) {
		struct share_asked *a = sh->asked;

		sh->asked = a->next;
		free(a);
	}
	sh->clients = NULL;
}

/*
 * Drop the expired records of holds asked to yield.  With HANDLE, take
 * SC's record of that hold out and return it (the caller frees it; NULL
 * if there is none); with HANDLE 0, drop all of SC's (it went away).
 */
static struct share_asked *share_asked_sweep(struct share *sh, const struct share_client *sc,
					     uint32_t handle)
{
	struct share_asked *found = NULL, **p = &sh->asked;
	uint64_t now = share_now();

	while (*p) {
		struct share_asked *a = *p;

		if (a->who == sc && handle && a->handle == handle && !found && now <= a->until) {
			*p = a->next;
			found = a;
		} else if (a->who == sc && !handle) {
			*p = a->next;
			free(a);
		} else if (now > a->until) {
			*p = a->next;
			free(a);
		} else {
			p = &a->next;
		}
	}
	return found;
}

void share_attach(struct share *sh, struct share_client *sc)
{
	sc->next = sh->clients;
	sh->clients = sc;
}

void share_kick(struct share *sh)
{
	sh->kicked = true;
}

/*
 * A LCK.. file went: only waiters last refused because of a lock file are
 * due again.  Not a kick: a re-try of a port busy by flock takes and drops
 * our own LCK.. file, and a kick on that would re-try it again at once.
 */
void share_lock_gone(struct share *sh)
{
	for (struct share_waiter *w = sh->line; w; w = w->next)
		if (w->holder == PROTO_HOLD_LCK && w->next_try != UINT64_MAX)
			w->next_try = 0;
}

/* One audit line for a sharing decision of SC on port NAME (KNAME). */
static void share_audit(const struct share *sh, const struct share_client *sc,
			const char *name, const char *kname, const char *verdict,
			uint32_t reason, unsigned int rule, const char *why)
{
	engine_audit(sh->eng, sc->ec, name, kname, verdict, reason, rule, why);
}

/* Send MSG (LEN bytes, FD or -1) to SC; a failure marks SC dead. */
static int share_send(struct share_client *sc, const void *msg, size_t len, int fd)
{
	int r = fdpass_send(sc->sock, msg, len, fd);

	if (r < 0) {
		errno = -r;
		log_warn("dropping client pid=%d: cannot send %s", (int)sc->ec->pid,
			 r == -EAGAIN ? "(it does not read its messages)" : "its message");
		sc->dead = true;
	}
	return r;
}

/* The client of ours that holds KNAME (its hold in *H), or NULL. */
static struct share_client *share_holder(const struct share *sh, const char *kname,
					 struct engine_hold *h)
{
	for (struct share_client *sc = sh->clients; sc; sc = sc->next)
		if (!sc->dead && engine_hold_info(sc->ec, kname, h) == 0)
			return sc;
	return NULL;
}

/* W's place in its port's line, 1 = next. */
static uint32_t share_position(const struct share *sh, const struct share_waiter *w)
{
	uint32_t n = 1;

	for (const struct share_waiter *o = sh->line; o && o != w; o = o->next)
		n += strcmp(o->kname, w->kname) == 0;
	return n;
}

static bool share_line_has(const struct share *sh, const char *kname)
{
	for (const struct share_waiter *w = sh->line; w; w = w->next)
		if (strcmp(w->kname, kname) == 0)
			return true;
	return false;
}

/* Is W the first in its port's line (the only one share_serve_port tries)? */
static bool share_is_head(const struct share *sh, const struct share_waiter *w)
{
	for (const struct share_waiter *o = sh->line; o != w; o = o->next)
		if (strcmp(o->kname, w->kname) == 0)
			return false;
	return true;
}

/* Does SC already wait for a port (a hand-back aside)? */
static bool share_waits(const struct share *sh, const struct share_client *sc)
{
	for (const struct share_waiter *w = sh->line; w; w = w->next)
		if (w->who == sc && !w->handback)
			return true;
	return false;
}

static void share_unlink(struct share *sh, struct share_waiter *w)
{
	struct share_asked *a;

	/* A taker that leaves before the hand-over: remember the holder it
	 * asked (no memory: its late yield is then a plain release). */
	if (w->take && w->victim && (a = calloc(1, sizeof(*a)))) {
		a->who = w->victim;
		a->handle = w->victim_handle;
		a->until = w->grace_by;
		snprintf(a->kname, sizeof(a->kname), "%s", w->kname);
		a->next = sh->asked;
		sh->asked = a;
	}
	for (struct share_waiter **p = &sh->line; *p; p = &(*p)->next)
		if (*p == w) {
			*p = w->next;
			break;
		}
	free(w);
}

/* Insert W after AFTER (NULL: first in the whole line) or at the end (AT_END). */
static void share_insert(struct share *sh, struct share_waiter *w,
			 struct share_waiter *after, bool at_end)
{
	struct share_waiter **p = &sh->line;

	if (at_end)
		while (*p)
			p = &(*p)->next;
	else if (after)
		p = &after->next;
	w->next = *p;
	*p = w;
}

/* PROTO_QUEUED to W's client: where it stands and who holds the port. */
static void share_notice(const struct share *sh, struct share_waiter *w,
			 const struct share_client *holder)
{
	struct proto_queued q;

	memset(&q, 0, sizeof(q));
	proto_hdr_init(&q.hdr, PROTO_QUEUED, w->req.hdr.seq);
	q.position = share_position(sh, w);
	q.holder = w->holder;
	q.holder_pid = w->holder_pid;
	q.wait_ms = w->req.wait_ms;
	if (holder)
		snprintf(q.holder_comm, sizeof(q.holder_comm), "%s", holder->ec->comm);
	snprintf(q.kname, sizeof(q.kname), "%s", w->kname);
	w->who->async = true;
	share_send(w->who, &q, sizeof(q), -1);
}

/*
 * PROTO_EVENT EV about HANDLE on KNAME to SC, from PEER (may be NULL);
 * GRACE_MS for a take, REASON for a refused hand-back (else 0).
 */
static void share_event(struct share_client *sc, uint32_t ev, uint32_t handle,
			const char *kname, const struct share_client *peer,
			uint32_t grace_ms, uint32_t reason, int fd)
{
	struct proto_event m;

	memset(&m, 0, sizeof(m));
	proto_hdr_init(&m.hdr, PROTO_EVENT, 0);
	m.event = ev;
	m.handle = handle;
	m.grace_ms = grace_ms;
	m.reason = reason;
	if (peer) {
		m.peer_pid = (int32_t)peer->ec->pid;
		m.peer_uid = (uint32_t)peer->ec->uid;
		snprintf(m.peer_comm, sizeof(m.peer_comm), "%s", peer->ec->comm);
	}
	snprintf(m.kname, sizeof(m.kname), "%s", kname);
	sc->async = true;
	share_send(sc, &m, sizeof(m), fd);
}

/*
 * May TAKER take HOLDER's hold on KNAME?  NULL if so, else why not.  Only
 * a hold opened with PROTO_OPEN_YIELD is ever taken, by the holder's own
 * user, root, or whom a policy "take" rule covering both names (*RULE).
 */
static const char *share_take_refusal(const struct share *sh,
				      const struct share_client *taker,
				      const struct share_client *holder,
				      const struct engine_hold *h, const char *kname,
				      unsigned int *rule)
{
	*rule = 0;
	if (!holder)
		return "the holder is not a client of ttybrokerd: it cannot be asked to yield";
	if (!(h->flags & PROTO_OPEN_YIELD))
		return "the holder did not offer to yield (--yield)";
	/* A hang-up would leave its LCK.. file (not ours to remove) keeping
	 * the port from the taker: the holder would lose it for nothing. */
	if (h->own_lock)
		return "the holder's own lock file (minicom's LCK..) keeps the port until it exits";
	if (taker->ec->uid == 0 || taker->ec->uid == holder->ec->uid)
		return NULL;
	*rule = policy_eval_take(sh->eng->pol, &taker->ec->subject, &holder->ec->subject,
				 kname, h->has_id ? &h->id : NULL);
	if (!*rule)
		return "not allowed to take over from another user (no take rule)";
	return NULL;
}

/* Is a take-over of HOLDER's hold already under way? */
static bool share_taking(const struct share *sh, const struct share_client *holder,
			 uint32_t handle)
{
	for (const struct share_waiter *w = sh->line; w; w = w->next)
		if (w->victim == holder && w->victim_handle == handle)
			return true;
	return false;
}

/*
 * V gave up its hold H on KNAME and asked to get the port back: it waits
 * in line right after AFTER (NULL: first of all) for a hand-back.
 */
static void share_queue_handback(struct share *sh, struct share_client *v,
				 const struct engine_hold *h, const char *kname,
				 struct share_waiter *after)
{
	struct share_waiter *back = calloc(1, sizeof(*back));

	if (!back) {
		/* It asked to get the port back: say it will not, not wait forever. */
		share_event(v, PROTO_EV_REFUSED, h->handle, kname, NULL, 0, PROTO_R_BROKER, -1);
		return;
	}
	back->who = v;
	back->handback = true;
	back->old_handle = h->handle;
	proto_hdr_init(&back->req.hdr, PROTO_OPEN, 0);
	back->req.flags = h->flags;
	snprintf(back->req.port, sizeof(back->req.port), "%s", h->name);
	snprintf(back->kname, sizeof(back->kname), "%s", kname);
	back->backoff = SHARE_BACKOFF_MIN_MS;
	share_insert(sh, back, after, false);
}

/*
 * Hand the hold W's taker waits for over: hang it up (VERDICT "yield" when
 * the holder let go, "revoke" when its grace period ran out), tell a
 * revoked holder, and put a holder that asked to wait right behind the
 * taker, to get the port back.  The take ends either way.
 */
static int share_hand_over(struct share *sh, struct share_waiter *w, const char *verdict)
{
	struct share_client *v = w->victim;
	struct engine_hold h;
	char why[128];
	int r;

	w->victim = NULL;
	if (!v || engine_hold_info(v->ec, w->kname, &h) < 0 || h.handle != w->victim_handle)
		return -ENOENT;
	snprintf(why, sizeof(why), "%s pid %d%s",
		 strcmp(verdict, "yield") == 0 ? "yielded to" : "grace period over: taken by",
		 (int)w->who->ec->pid,
		 (h.flags & PROTO_OPEN_WAIT) ? "; waits to get it back" : "");
	r = engine_hand_over(sh->eng, v->ec, h.handle, verdict, why);
	if (r < 0)
		return r; /* kept (audit says why): the taker finds it busy */
	if (strcmp(verdict, "yield") != 0)
		share_event(v, PROTO_EV_REVOKED, h.handle, w->kname, w->who, 0, 0, -1);
	if (h.flags & PROTO_OPEN_WAIT)
		share_queue_handback(sh, v, &h, w->kname, w);
	return 0;
}

/*
 * The final answer to W (served, refused, or given up): a reply to its
 * PROTO_OPEN, or for a hand-back the event with the port.  FD is the
 * port (or -1).  W leaves the line.
 */
static void share_answer(struct share *sh, struct share_waiter *w,
			 const struct proto_open_reply *rep, int fd)
{
	struct share_client *sc = w->who;

	if (w->handback) {
		share_audit(sh, sc, w->req.port, rep->kname, rep->err ? "refuse" : "handback",
			    rep->reason, rep->rule, rep->err ? "refused on hand-back"
			    : "port handed back after a take-over");
		if (rep->err == 0)
			share_event(sc, PROTO_EV_HANDBACK, rep->handle, rep->kname, NULL, 0, 0, fd);
		else /* the old handle: the one it gave up */
			share_event(sc, PROTO_EV_REFUSED, w->old_handle, w->kname, NULL, 0,
				    rep->reason != PROTO_R_OK ? rep->reason : PROTO_R_BROKER, -1);
		if (rep->err == 0 && sc->dead)
			engine_release(sh->eng, sc->ec, rep->handle);
	} else if (share_send(sc, rep, sizeof(*rep), fd) < 0 && rep->handle) {
		engine_release(sh->eng, sc->ec, rep->handle);
	}
	share_unlink(sh, w);
}

/* W gives up: busy, after waiting (WHY in the audit line and the reply). */
static void share_give_up(struct share *sh, struct share_waiter *w, const char *why)
{
	struct proto_open_reply rep;

	memset(&rep, 0, sizeof(rep));
	proto_hdr_init(&rep.hdr, PROTO_OPEN_REPLY, w->req.hdr.seq);
	rep.err = -EBUSY;
	rep.reason = PROTO_R_BUSY;
	rep.holder = w->holder;
	rep.holder_pid = w->holder_pid;
	snprintf(rep.kname, sizeof(rep.kname), "%s", w->kname);
	snprintf(rep.detail, sizeof(rep.detail), "%s", why);
	share_audit(sh, w->who, w->req.port, w->kname, "refuse", PROTO_R_BUSY, 0, why);
	share_answer(sh, w, &rep, -1);
}

/*
 * Serve the head of KNAME's line, and the next ones while they are
 * answered at once: hand a yielded hold over when it is due, ask the
 * engine again (FORCE: whatever the back-off says).
 */
static void share_serve_port(struct share *sh, const char *kname, bool force)
{
	for (;;) {
		struct share_waiter *w = sh->line;
		struct proto_open_reply rep;
		struct share_client *holder;
		struct engine_hold h;
		uint64_t now = share_now();
		int fd;

		while (w && strcmp(w->kname, kname) != 0)
			w = w->next;
		if (!w)
			return;
		if (w->victim) {
			if (engine_hold_info(w->victim->ec, kname, &h) == 0 &&
			    h.handle == w->victim_handle && now < w->grace_by)
				return; /* the holder still has time to let go */
			share_hand_over(sh, w, "revoke");
			force = true;
		}
		if (!force && now < w->next_try)
			return;
		fd = engine_open_ex(sh->eng, w->who->ec, &w->req, &rep,
				    ENGINE_QUIET_BUSY | (w->handback ? ENGINE_QUIET : 0));
		if (rep.reason == PROTO_R_BUSY && rep.holder != PROTO_HOLD_SELF) {
			w->holder = rep.holder;
			w->holder_pid = rep.holder_pid;
			if (w->take && !(w->req.flags & PROTO_OPEN_WAIT)) {
				share_give_up(sh, w, "still busy after the take-over");
				continue;
			}
			holder = share_holder(sh, kname, &h);
			/* Our own client lets us know when it lets go; anyone
			 * else is asked again with a back-off. */
			w->next_try = holder ? UINT64_MAX : now + w->backoff;
			w->backoff = w->backoff * 2 > SHARE_BACKOFF_MAX_MS ?
				     SHARE_BACKOFF_MAX_MS : w->backoff * 2;
			return;
		}
		share_answer(sh, w, &rep, fd);
		force = true;
	}
}

void share_tick(struct share *sh)
{
	bool force = sh->kicked;
	uint64_t now = share_now();
	struct share_waiter *w, *next;
	char kname[PROTO_PORT_MAX];

	sh->kicked = false;
	for (w = sh->line; w; w = next) {
		next = w->next;
		if (w->deadline && now >= w->deadline) {
			char why[80];

			snprintf(why, sizeof(why), "gave up waiting after %u ms in line",
				 w->req.wait_ms);
			share_give_up(sh, w, why);
		}
	}
	if (++sh->round == 0)
		sh->round = 1;
	/* One port at a time; serving one changes the line, so start over. */
	for (;;) {
		for (w = sh->line; w && w->mark == sh->round; w = w->next)
			;
		if (!w)
			break;
		snprintf(kname, sizeof(kname), "%s", w->kname);
		for (struct share_waiter *o = sh->line; o; o = o->next)
			if (strcmp(o->kname, kname) == 0)
				o->mark = sh->round;
		share_serve_port(sh, kname, force);
	}
}

long share_timeout(const struct share *sh)
{
	uint64_t now = share_now(), soonest = UINT64_MAX;

	if (!sh->line)
		return -1;
	if (sh->kicked)
		return 0;
	for (const struct share_waiter *w = sh->line; w; w = w->next) {
		if (w->deadline && w->deadline < soonest)
			soonest = w->deadline;
		if (w->victim && w->grace_by < soonest)
			soonest = w->grace_by;
		/* Only a head is ever re-tried: another's next_try is stale. */
		if (w->next_try < soonest && share_is_head(sh, w))
			soonest = w->next_try;
	}
	if (soonest == UINT64_MAX)
		return -1;
	return soonest <= now ? 0 : (long)(soonest - now);
}

/* A new waiter for SC's REQ on KNAME, or NULL (out of memory). */
static struct share_waiter *share_waiter_new(struct share_client *sc,
					     const struct proto_open *req,
					     const char *kname,
					     const struct proto_open_reply *rep)
{
	struct share_waiter *w = calloc(1, sizeof(*w));
	uint64_t now = share_now();

	if (!w)
		return NULL;
	w->who = sc;
	w->req = *req;
	snprintf(w->kname, sizeof(w->kname), "%s", kname);
	if ((req->flags & PROTO_OPEN_WAIT) && req->wait_ms)
		w->deadline = now + req->wait_ms;
	w->backoff = SHARE_BACKOFF_MIN_MS;
	w->next_try = now + w->backoff;
	if (rep) {
		w->holder = rep->holder;
		w->holder_pid = rep->holder_pid;
	}
	return w;
}

/* Send REP (with FD) to SC; -1 if SC must end (its hold is dropped). */
static int share_reply(struct share *sh, struct share_client *sc,
		       struct proto_open_reply *rep, int fd)
{
	if (share_send(sc, rep, sizeof(*rep), fd) < 0) {
		if (rep->handle)
			engine_release(sh->eng, sc->ec, rep->handle);
		return -1;
	}
	return 0;
}

/*
 * SC's TAKE found KNAME held by HOLDER (hold H), who may be asked: the
 * holder is told, and the taker waits first in line for the hand-over.
 */
static int share_start_take(struct share *sh, struct share_client *sc,
			    const struct proto_open *req, const char *kname,
			    const struct proto_open_reply *rep,
			    struct share_client *holder, const struct engine_hold *h,
			    unsigned int rule)
{
	struct share_waiter *w = share_waiter_new(sc, req, kname, rep);
	char why[96];

	if (!w)
		return -ENOMEM;
	w->take = true;
	w->victim = holder;
	w->victim_handle = h->handle;
	w->grace_by = share_now() + sh->grace_ms;
	w->next_try = UINT64_MAX;
	share_insert(sh, w, NULL, false);
	snprintf(why, sizeof(why), "asks pid %d to yield within %u ms",
		 (int)holder->ec->pid, sh->grace_ms);
	share_audit(sh, sc, req->port, kname, "take", PROTO_R_BUSY, rule, why);
	share_event(holder, PROTO_EV_TAKE, h->handle, kname, sc, sh->grace_ms, 0, -1);
	share_notice(sh, w, holder);
	return 0;
}

int share_open(struct share *sh, struct share_client *sc, const struct proto_open *req)
{
	bool wait = req->flags & PROTO_OPEN_WAIT, take = req->flags & PROTO_OPEN_TAKE;
	char kname[PROTO_PORT_MAX] = "", why[160];
	struct proto_open_reply rep;
	struct share_client *holder;
	struct share_waiter *w;
	struct engine_hold h;
	unsigned int rule = 0;
	const char *no;
	int fd;

	if ((wait || take) && share_waits(sh, sc)) {
		memset(&rep, 0, sizeof(rep));
		proto_hdr_init(&rep.hdr, PROTO_OPEN_REPLY, req->hdr.seq);
		rep.err = -EALREADY;
		rep.reason = PROTO_R_BROKER;
		snprintf(rep.detail, sizeof(rep.detail),
			 "this client already waits in line for a port");
		return share_reply(sh, sc, &rep, -1);
	}
	/* Those in line first: they may be served now. */
	if (engine_resolve(sh->eng, req->port, kname, sizeof(kname)) == 0 &&
	    share_line_has(sh, kname))
		share_serve_port(sh, kname, true);
	fd = engine_open_ex(sh->eng, sc->ec, req, &rep,
			    (wait || take) ? ENGINE_QUIET_BUSY : 0);
	if (!(wait || take) || rep.reason != PROTO_R_BUSY)
		return share_reply(sh, sc, &rep, fd);
	snprintf(kname, sizeof(kname), "%s", rep.kname);
	if (rep.holder == PROTO_HOLD_SELF) {
		share_audit(sh, sc, req->port, kname, "refuse", PROTO_R_BUSY, 0,
			    "already open by this program");
		return share_reply(sh, sc, &rep, -1);
	}
	holder = share_holder(sh, kname, &h);
	no = NULL;
	if (take) {
		no = share_take_refusal(sh, sc, holder, &h, kname, &rule);
		if (!no && share_taking(sh, holder, h.handle))
			no = "another take-over of this port is under way";
		if (!no) {
			if (share_start_take(sh, sc, req, kname, &rep, holder, &h, rule) < 0)
				return share_reply(sh, sc, &rep, -1);
			return sc->dead ? -1 : 0; /* its notice could not be sent */
		}
		if (!wait) {
			snprintf(rep.detail, sizeof(rep.detail), "cannot take over: %s", no);
			share_audit(sh, sc, req->port, kname, "refuse", PROTO_R_BUSY, 0,
				    rep.detail);
			return share_reply(sh, sc, &rep, -1);
		}
	}
	w = share_waiter_new(sc, req, kname, &rep);
	if (!w)
		return share_reply(sh, sc, &rep, -1);
	if (holder)
		w->next_try = UINT64_MAX;
	share_insert(sh, w, NULL, true);
	snprintf(why, sizeof(why), "waits in line at place %u%s%s",
		 share_position(sh, w), no ? "; cannot take over: " : "", no ? no : "");
	share_audit(sh, sc, req->port, kname, "wait", PROTO_R_BUSY, 0, why);
	share_notice(sh, w, holder);
	return sc->dead ? -1 : 0;
}

int share_release(struct share *sh, struct share_client *sc, uint32_t handle)
{
	struct share_asked *a;
	struct engine_hold h;
	int r;

	for (struct share_waiter *w = sh->line; w; w = w->next)
		if (w->victim == sc && w->victim_handle == handle) {
			/* The holder let go: if the hand-over fails (the audit
			 * line says why), its release still ends the hold. */
			if (share_hand_over(sh, w, "yield") < 0)
				engine_release(sh->eng, sc->ec, handle);
			sh->kicked = true;
			return 0;
		}
	/* A yield to a taker that has gone: handed over as any yield (hung
	 * up, so the holder's copies let go of the flock too), and a holder
	 * that asked to wait gets the port back first, as after the taker. */
	if ((a = share_asked_sweep(sh, sc, handle))) {
		bool back = engine_hold_info(sc->ec, a->kname, &h) == 0 &&
			    h.handle == handle && (h.flags & PROTO_OPEN_WAIT);

		r = engine_hand_over(sh->eng, sc->ec, handle, "yield",
				     "yielded; the taker had left");
		if (r < 0 && r != -ENOENT) /* not hung up (the audit says why) */
			r = engine_release(sh->eng, sc->ec, handle);
		if (r == 0 && back)
			share_queue_handback(sh, sc, &h, a->kname, NULL);
		free(a);
		if (r == 0)
			sh->kicked = true;
		return r;
	}
	r = engine_release(sh->eng, sc->ec, handle);
	if (r == 0)
		sh->kicked = true;
	return r;
}

void share_detach(struct share *sh, struct share_client *sc)
{
	struct share_waiter *w, *next;

	share_asked_sweep(sh, sc, 0);
	for (w = sh->line; w; w = next) {
		next = w->next;
		if (w->victim == sc)
			w->victim = NULL;
		if (w->who != sc)
			continue;
		if (!w->handback)
			share_audit(sh, sc, w->req.port, w->kname, "leave", PROTO_R_BUSY, 0,
				    "left the line: the client went away");
		share_unlink(sh, w);
	}
	for (struct share_client **p = &sh->clients; *p; p = &(*p)->next)
		if (*p == sc) {
			*p = sc->next;
			break;
		}
	sh->kicked = true;
}
