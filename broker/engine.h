/* SPDX-License-Identifier: MIT */
/*
 * engine.h - the broker's checks, locks and audit, independent of how a
 * client arrived (fork, daemon or helper; see docs/DESIGN.md "Three ways
 * in").  The caller owns the transport: it receives and decodes a
 * request, checks the sender's credentials, and passes the request here;
 * the engine decides, vets, acquires and fills the reply, and the caller
 * sends it.  Everything a client holds is in its struct engine_client, so
 * ending a client (engine_client_end) releases every lock it has.
 */
#ifndef TB_ENGINE_H
#define TB_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "open.h"
#include "policy.h"
#include "proto.h"

/* Ports one client may hold at once: the most any way in allows. */
#define ENGINE_MAX_SESSIONS 32

struct engine_session;

struct engine {
	const char *policy_path;   /* for audit lines and messages        */
	struct policy *pol;        /* NULL: policy missing, invalid or unsafe */
	char policy_detail[PROTO_DETAIL_MAX]; /* first policy error, for replies */
	struct open_env env;       /* /dev, /sys/dev/char and /sys dir fds */
	const char *sysdir;        /* the sysfs root; NULL: OPEN_SYSFS_ROOT.
				      Set between engine_load_policy() and
				      engine_open_dirs(), by tests only    */
	int lockfd;                /* the lock directory, O_PATH           */
	unsigned int max_sessions; /* per client, <= ENGINE_MAX_SESSIONS   */
	int proclocks;             /* /proc/locks, read-only (list.c), or -1 */
	bool sharing;              /* PROTO_OPEN_WAIT/YIELD/TAKE are served by the
				      caller (ttybrokerd's share.c); else refused */
};

/* One client: who it is (from the kernel) and what it holds. */
struct engine_client {
	pid_t pid;
	uid_t uid;
	gid_t gid;
	struct policy_subject subject; /* uid, gid and groups for :group rules */
	char user[64];  /* for audit lines only; "" prints user=?  */
	char comm[16];  /* for audit lines only; "" prints comm=?  */
	uint32_t next_handle;
	unsigned int nsessions;
	struct engine_session *sessions[ENGINE_MAX_SESSIONS];
};

/*
 * Everything that needs full privilege or the name service, done once
 * before confinement: load POLICY (a refused policy is not an error: every
 * request is then refused with reason PROTO_R_POLICY and the first problem
 * as detail), open DEVDIR, /sys, /sys/dev/char and LOCKDIR (never
 * through a symlink).  E->max_sessions is set to ENGINE_MAX_SESSIONS.
 * 0 or -errno (logged).
 */
int engine_init(struct engine *e, const char *policy, const char *lockdir,
		const char *devdir);

/* engine_init() in two steps (the fork backend logs on stderr between). */
void engine_load_policy(struct engine *e, const char *policy);
int engine_open_dirs(struct engine *e, const char *lockdir, const char *devdir);

/* Close what engine_init() opened and free the policy. */
void engine_fini(struct engine *e);

/*
 * Replace the policy (a reload): POL (may be NULL for a refused one, then
 * DETAIL says why) becomes the engine's, the old one is freed.  Sessions
 * already granted are not re-checked here.
 */
void engine_set_policy(struct engine *e, struct policy *pol, const char *detail);

/*
 * A reload: parse TEXT (LEN bytes, the canonical form of policy.h, no
 * name service) and make it the engine's policy.  On error (logged) the
 * previous policy stays.  0, -EINVAL or -ENOMEM.  Then call
 * engine_recheck() for every client.
 */
int engine_reload(struct engine *e, const char *text, size_t len);

/*
 * Re-check each session of C against the current policy and revoke those
 * it no longer permits: the port is hung up (the client's fd reads EOF,
 * writes fail with EIO), the locks dropped, an audit line written
 * (verdict=revoke, the rule that now denies).  Needs CAP_SYS_TTY_CONFIG
 * and a process that is a session leader without a controlling terminal
 * (the daemon's engine).  Returns how many were revoked.
 */
unsigned int engine_recheck(struct engine *e, struct engine_client *c);

/*
 * Revoke C's session on the port with kernel name KNAME, as above, WHY in
 * the audit line.  0, -ENOENT (C does not hold it), or -errno of the
 * hang-up (-EPERM: it is another session's controlling terminal; the
 * session is kept).
 */
int engine_revoke(struct engine *e, struct engine_client *c, const char *kname,
		  const char *why);

/* Check NAME, resolve a by-id or by-path name to its kernel name and
 * check that the node exists.  0 or -errno. */
int engine_resolve(struct engine *e, const char *name, char *kname, size_t len);

/* A new client with the kernel's identity; no sessions. */
void engine_client_init(struct engine_client *c, pid_t pid, uid_t uid, gid_t gid);

/*
 * Serve one PROTO_OPEN from C: decide, vet, acquire, audit, and fill REP
 * (header, verdict, handle).  Returns the port fd to send with the reply
 * (the session keeps its own copy: the caller must not close it), or -1
 * when the reply carries no fd.  If the reply cannot be sent, the caller
 * ends the session with engine_release(e, c, rep->handle).
 */
int engine_open(struct engine *e, struct engine_client *c,
		const struct proto_open *req, struct proto_open_reply *rep);

/* engine_open_ex() options. */
#define ENGINE_QUIET_BUSY 0x1u /* no audit line for a busy port: the caller
				  (share.c) writes its own (wait, take) */
#define ENGINE_QUIET      0x2u /* no audit line at all (share.c: hand-back) */

/*
 * engine_open() with OPTS.  Without E->sharing, a request with
 * PROTO_OPEN_WAIT, _YIELD or _TAKE is refused (-EOPNOTSUPP, reason
 * PROTO_R_BROKER, a detail line): only the daemon has other clients to
 * wait for or take from.  With it, those flags are the caller's business
 * and are kept in the session (engine_hold_info).
 */
int engine_open_ex(struct engine *e, struct engine_client *c,
		   const struct proto_open *req, struct proto_open_reply *rep,
		   unsigned int opts);

/* An audit line for a decision of the caller's (wait, take, yield...). */
void engine_audit(const struct engine *e, const struct engine_client *c,
		  const char *port, const char *kname, const char *verdict,
		  uint32_t reason, unsigned int rule, const char *why);

/* What a client holds on a port (share.c). */
struct engine_hold {
	uint32_t handle;
	uint32_t flags;               /* PROTO_OPEN_* as asked */
	char name[PROTO_PORT_MAX];    /* the port as asked     */
	bool has_id;                  /* id is the port's identity (sysid) */
	struct policy_ident id;       /* for take rules with usb: or path: */
	bool own_lock;                /* the client's own LCK.. file covers it */
};

/* C's hold on KNAME into *OUT: 0, or -ENOENT when C does not hold it. */
int engine_hold_info(const struct engine_client *c, const char *kname,
		     struct engine_hold *out);

/*
 * Hand C's session HANDLE over to a taker: hang it up and drop its locks
 * as engine_revoke() does, with VERDICT ("yield" when the holder let go,
 * "revoke" when its grace period ran out) and WHY in the audit line.  0,
 * -ENOENT, or -errno of the hang-up (the session is then kept).
 */
int engine_hand_over(struct engine *e, struct engine_client *c, uint32_t handle,
		     const char *verdict, const char *why);

/* End C's session HANDLE (locks, lock files, audit).  0 or -ENOENT. */
int engine_release(struct engine *e, struct engine_client *c, uint32_t handle);

/* End every session of C: the client went away. */
void engine_client_end(struct engine *e, struct engine_client *c);

/* ---- list.c: listing ports (branch list9) ---- */

/*
 * Open what listing needs besides the engine's directories, while
 * privileged: /proc/locks (read-only; Landlock forbids /proc later).  It
 * may be missing: the list then names no flock() holders.
 */
void engine_list_init(struct engine *e);
void engine_list_fini(struct engine *e);

/* Does C hold the device RDEV through a session? (engine.c) */
bool engine_holds(const struct engine_client *c, dev_t rdev);

/*
 * Serve one PROTO_LIST from C: the first port whose kernel name sorts
 * after REQ->after that C could be handed (a serial port with hardware, or
 * a pty of C's), with C's verdict, its links, identity and holder, as a
 * PROTO_LIST_ENTRY in *REP; PROTO_LIST_END when there is none.  Never
 * opens a device.  Returns the size of the reply to send.
 */
size_t engine_list(struct engine *e, const struct engine_client *c,
		   const struct proto_list *req, union proto_msg *rep);

#endif
