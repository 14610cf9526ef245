/* SPDX-License-Identifier: MIT */
/*
 * engine.c - decide, vet, acquire, release and audit: the part of the
 * broker every way in shares (see engine.h).  Nothing here reads from or
 * writes to a client's socket, so the fork backend, the daemon and the
 * setuid helper serve exactly the same checks.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "audit.h"
#include "engine.h"
#include "lock.h"
#include "log.h"
#include "open.h"
#include "portname.h"
#include "sysid.h"

struct engine_session {
	uint32_t handle;   /* never 0 */
	int fd;            /* our copy of the port: holds the flock */
	struct lock_file lf;
	dev_t rdev;        /* the port's device number, to spot a second open */
	unsigned int rule; /* the policy line that permitted it, for the audit */
	bool has_id;       /* id was read (a port with a sysfs entry) */
	struct policy_ident id; /* its identity, for re-checks at reload */
	uint32_t flags;    /* PROTO_OPEN_* as asked (YIELD, WAIT: share.c)  */
	char kname[PROTO_PORT_MAX];
	char name[PROTO_PORT_MAX]; /* as asked, to ask again on a hand-back */
};

/* One request's outcome, for the reply and the audit line. */
struct outcome {
	int err;
	uint32_t reason;
	unsigned int rule;
	const char *why;
	uint32_t holder;   /* PROTO_HOLD_* when busy */
	pid_t holder_pid;
	bool has_id;       /* id holds the port's identity (sysid_read) */
	struct policy_ident id;
	char detail[PROTO_DETAIL_MAX];
};

/* Log each policy problem; keep the first as the detail of every refusal. */
static void engine_policy_error(void *arg, const char *path, unsigned int line,
				const char *msg)
{
	struct engine *e = arg;

	if (line)
		log_warnx("policy %s:%u: %s", path, line, msg);
	else
		log_warnx("policy %s: %s", path, msg);
	if (e->policy_detail[0])
		return;
	if (line)
		snprintf(e->policy_detail, sizeof(e->policy_detail), "%s:%u: %s",
			 path, line, msg);
	else
		snprintf(e->policy_detail, sizeof(e->policy_detail), "%s: %s", path, msg);
}

/* A problem in a canonical policy from the parent: a bug, logged. */
static void engine_reload_error(void *arg, const char *path, unsigned int line,
				const char *msg)
{
	(void)arg;
	log_warnx("canonical policy for %s, line %u: %s", path, line, msg);
}

void engine_load_policy(struct engine *e, const char *policy)
{
	int r;

	memset(e, 0, sizeof(*e));
	e->policy_path = policy;
	e->lockfd = -1;
	e->env.devfd = e->env.sysfd = e->env.sysroot = -1;
	e->proclocks = -1;
	e->max_sessions = ENGINE_MAX_SESSIONS;
	tzset(); /* read /etc/localtime now: syslog needs it, Landlock forbids it later */
	r = policy_load(policy, engine_policy_error, e, &e->pol);
	if (r < 0) {
		log_warnx("policy %s refused: nothing will be permitted", policy);
		e->pol = NULL;
		if (!e->policy_detail[0])
			snprintf(e->policy_detail, sizeof(e->policy_detail),
				 "%s: refused: %s", policy, strerror(-r));
	}
}

int engine_open_dirs(struct engine *e, const char *lockdir, const char *devdir)
{
	int r = open_env_init_sys(&e->env, devdir, e->sysdir);

	if (r < 0) {
		errno = -r;
		log_warn("%s", devdir);
		e->env.devfd = e->env.sysfd = e->env.sysroot = -1;
		return r;
	}
	if (e->env.sysroot < 0)
		log_warnx("%s: no sysfs: no port has an identity, and only ptys "
			  "are served", e->sysdir ? e->sysdir : OPEN_SYSFS_ROOT);
	/* Never through a symlink: whoever could swap it would choose where
	 * root creates and removes files.  Only the last component is checked;
	 * the directories above it are the admin's (/var/lock -> /run/lock is
	 * fine as long as the path given is the real directory). */
	e->lockfd = open(lockdir, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (e->lockfd < 0) {
		struct stat lst;

		r = -errno;
		if (lstat(lockdir, &lst) == 0 && S_ISLNK(lst.st_mode))
			log_warnx("lock directory %s is a symbolic link: refusing it "
				  "(give the directory it points to)", lockdir);
		else
			log_warn("lock directory %s", lockdir);
		return r;
	}
	engine_list_init(e);
	return 0;
}

int engine_init(struct engine *e, const char *policy, const char *lockdir,
		const char *devdir)
{
	engine_load_policy(e, policy);
	return engine_open_dirs(e, lockdir, devdir);
}

void engine_fini(struct engine *e)
{
	if (e->env.devfd >= 0)
		open_env_fini(&e->env);
	e->env.devfd = e->env.sysfd = e->env.sysroot = -1;
	if (e->lockfd >= 0)
		close(e->lockfd);
	e->lockfd = -1;
	engine_list_fini(e);
	policy_free(e->pol);
	e->pol = NULL;
}

void engine_set_policy(struct engine *e, struct policy *pol, const char *detail)
{
	policy_free(e->pol);
	e->pol = pol;
	snprintf(e->policy_detail, sizeof(e->policy_detail), "%s",
		 pol || !detail ? "" : detail);
}

void engine_client_init(struct engine_client *c, pid_t pid, uid_t uid, gid_t gid)
{
	memset(c, 0, sizeof(*c));
	c->pid = pid;
	c->uid = uid;
	c->gid = gid;
	c->subject.uid = uid;
	c->subject.gid = gid;
	c->next_handle = 1;
}

static struct engine_session *session_find(struct engine_client *c, uint32_t handle)
{
	for (size_t i = 0; handle && i < ENGINE_MAX_SESSIONS; i++)
		if (c->sessions[i] && c->sessions[i]->handle == handle)
			return c->sessions[i];
	return NULL;
}

/* A handle no live session of C has; never 0. */
static uint32_t session_new_handle(struct engine_client *c)
{
	uint32_t h;

	do {
		h = c->next_handle++;
	} while (h == 0 || session_find(c, h));
	return h;
}

/* The client, for audit lines. */
static struct audit_peer audit_who(const struct engine_client *c)
{
	return (struct audit_peer){ .uid = c->uid, .pid = c->pid,
				    .user = c->user, .comm = c->comm };
}

/* The release of session S, in the same format as the decision. */
static void audit_release(const struct engine *e, const struct engine_client *c,
			  const struct engine_session *s)
{
	struct audit_peer who = audit_who(c);
	struct audit_event ev = {
		.port = s->kname, .verdict = "release",
		.reason = proto_reason_name(PROTO_R_OK),
		.policy = e->policy_path, .rule = s->rule,
		.why = s->lf.theirs ? "released; the client's own lock file left to it"
				    : "released",
	};

	audit_log(&who, &ev);
}

/*
 * Drop the session in C's slot I: its lock files and its copy of the port
 * (and so its flock), without an audit line.
 */
static void session_drop(struct engine *e, struct engine_client *c, size_t i)
{
	struct engine_session *s = c->sessions[i];
	int r;

	r = lock_release(e->lockfd, &s->lf);
	if (r < 0 && r != -ENOENT) {
		errno = -r;
		log_warn("removing %s", s->lf.name);
	}
	if (s->fd >= 0) {
		open_exclusive(s->fd, 0); /* a pty slave would stay exclusive */
		close(s->fd);
	}
	free(s);
	c->sessions[i] = NULL;
	c->nsessions--;
}

/* End the session in C's slot I, with an audit line. */
static void session_end(struct engine *e, struct engine_client *c, size_t i)
{
	audit_release(e, c, c->sessions[i]);
	session_drop(e, c, i);
}

/*
 * Hang up the tty open on FD for every process that has it open: their
 * reads return 0 (EOF) and their writes fail with EIO from now on.  The
 * engine is a session leader without a controlling terminal (daemon.c
 * calls setsid() before confinement): TIOCSCTTY makes the port its
 * controlling terminal and vhangup() (CAP_SYS_TTY_CONFIG) hangs that up,
 * which also gives it up again.  A port that already is another
 * session's controlling terminal (the client made it so) cannot be taken
 * without CAP_SYS_ADMIN: -EPERM, and nothing is changed.
 */
static int engine_hangup(int fd)
{
	if (ioctl(fd, TIOCSCTTY, 0) < 0)
		return -errno;
	if (vhangup() < 0) {
		int r = -errno;

		log_warn("vhangup");
		return r;
	}
	return 0;
}

/* An audit line for a revocation (or a failed one) of S held by C. */
static void audit_revoke(const struct engine *e, const struct engine_client *c,
			 const struct engine_session *s, const char *verdict,
			 unsigned int rule, const char *why)
{
	struct audit_peer who = audit_who(c);
	struct audit_event ev = {
		.port = s->kname, .verdict = verdict,
		.reason = proto_reason_name(strcmp(verdict, "yield") == 0 ? PROTO_R_OK
					    : PROTO_R_DENIED),
		.policy = e->policy_path, .rule = rule, .why = why,
	};

	audit_log(&who, &ev);
}

/*
 * Revoke the session in C's slot I: hang the port up (the client's fd
 * reads EOF and fails writes), then drop the locks, with an audit line
 * (VERDICT, e.g. "revoke") naming RULE (the line that now denies, 0 for
 * none) and WHY.  The flock goes with the hang-up: it belongs to the open
 * file description the client shares with our copy, and the client's
 * copies (a program it started, a dup) would keep it, so that nobody
 * could be handed the port while the holder keeps a dead descriptor.  On
 * failure the session is kept, locks and all: the holder still has a
 * working fd, so nobody else may be handed the port.  0 or -errno.
 */
static int session_revoke(struct engine *e, struct engine_client *c, size_t i,
			  unsigned int rule, const char *verdict, const char *why)
{
	struct engine_session *s = c->sessions[i];
	char msg[160];
	int r;

	open_exclusive(s->fd, 0);
	r = engine_hangup(s->fd);
	if (r < 0) {
		open_exclusive(s->fd, 1);
		snprintf(msg, sizeof(msg), "%s; not revoked: %s", why,
			 r == -EPERM ? "it is another session's controlling terminal "
			 "(taking it needs CAP_SYS_ADMIN)" : strerror(-r));
		log_warnx("cannot revoke %s from pid %d: %s", s->kname, (int)c->pid,
			  r == -EPERM ? "it is another session's controlling terminal"
			  : strerror(-r));
		audit_revoke(e, c, s, "revoke-failed", rule, msg);
		return r;
	}
	/* The holder's other copies (a dup, a child) would keep the flock. */
	if (flock(s->fd, LOCK_UN) < 0)
		log_warn("revoke %s from pid %d: flock(LOCK_UN)", s->kname, (int)c->pid);
	audit_revoke(e, c, s, verdict, rule, why);
	session_drop(e, c, i);
	return 0;
}

/* The parent's canonical policy replaces ours; a bad one changes nothing. */
int engine_reload(struct engine *e, const char *text, size_t len)
{
	struct policy *pol = NULL;
	int r;

	r = policy_canon_parse(text, len, e->policy_path, engine_reload_error, NULL, &pol);
	if (r < 0)
		return r;
	engine_set_policy(e, pol, NULL);
	return 0;
}

/* Every session of C against the current policy; revoke what it denies. */
unsigned int engine_recheck(struct engine *e, struct engine_client *c)
{
	unsigned int n = 0;

	for (size_t i = 0; e->pol && i < ENGINE_MAX_SESSIONS; i++) {
		struct engine_session *s = c->sessions[i];
		struct policy_verdict v;

		if (!s)
			continue;
		policy_eval_ident(e->pol, &c->subject, s->kname,
				  s->has_id ? &s->id : NULL, &v);
		if (v.permit)
			continue;
		if (session_revoke(e, c, i, v.line, "revoke", v.line ?
				   "policy reloaded: deny rule"
				   : "policy reloaded: no matching rule") == 0)
			n++;
	}
	return n;
}

/* Revoke C's session on KNAME, if it has one (ttybroker revoke). */
int engine_revoke(struct engine *e, struct engine_client *c, const char *kname,
		  const char *why)
{
	for (size_t i = 0; i < ENGINE_MAX_SESSIONS; i++)
		if (c->sessions[i] && strcmp(c->sessions[i]->kname, kname) == 0)
			return session_revoke(e, c, i, 0, "revoke", why);
	return -ENOENT;
}

/* C's session HANDLE is handed to a taker: hang-up, VERDICT in the audit. */
int engine_hand_over(struct engine *e, struct engine_client *c, uint32_t handle,
		     const char *verdict, const char *why)
{
	for (size_t i = 0; handle && i < ENGINE_MAX_SESSIONS; i++)
		if (c->sessions[i] && c->sessions[i]->handle == handle)
			return session_revoke(e, c, i, 0, verdict, why);
	return -ENOENT;
}

/* What C holds on KNAME, for share.c: 0 and *OUT, or -ENOENT. */
int engine_hold_info(const struct engine_client *c, const char *kname,
		     struct engine_hold *out)
{
	for (size_t i = 0; i < ENGINE_MAX_SESSIONS; i++) {
		const struct engine_session *s = c->sessions[i];

		if (s && strcmp(s->kname, kname) == 0) {
			out->handle = s->handle;
			out->flags = s->flags;
			snprintf(out->name, sizeof(out->name), "%s", s->name);
			out->has_id = s->has_id;
			out->id = s->id;
			out->own_lock = s->lf.theirs != 0;
			return 0;
		}
	}
	return -ENOENT;
}

/* A revoke's port name: checked, by-id or by-path resolved, and the node
 * must exist. */
int engine_resolve(struct engine *e, const char *name, char *kname, size_t len)
{
	struct stat st;
	int r, pin;

	if (portname_check(name) < 0)
		return -EINVAL;
	r = open_resolve(&e->env, name, kname, len);
	if (r < 0)
		return r;
	pin = open_pin(&e->env, kname, &st);
	if (pin < 0)
		return pin;
	close(pin);
	return 0;
}

static int outcome_set(struct outcome *o, int err, uint32_t reason, const char *why)
{
	o->err = err;
	o->reason = reason;
	o->why = why;
	return err;
}

/* Map an errno from opening the device to a reason. */
static int outcome_from_open(struct outcome *o, int err)
{
	switch (err) {
	case -EBUSY:
		return outcome_set(o, err, PROTO_R_BUSY, "device busy (exclusive)");
	case -ESTALE:
		return outcome_set(o, -ENODEV, PROTO_R_NODEV, "node changed while opening");
	case -ENOTTY:
		return outcome_set(o, err, PROTO_R_NOTTY, "not a tty");
	case -ENOENT: case -ENXIO: case -ENODEV: case -EIO:
		return outcome_set(o, err, PROTO_R_NODEV, "device absent");
	default:
		return outcome_set(o, err, PROTO_R_BROKER, "open failed");
	}
}

/*
 * The identity of the character device RDEV from sysfs (sysid_read) into
 * ID: 1 when read, 0 when there is none to read (no sysfs entry, as for
 * a pty, or no sysfs at all; only ptys are served then, see
 * open_classify), or a negative errno when sysfs has an entry but it
 * cannot be read.
 */
static int engine_identify(const struct engine *e, dev_t rdev, struct policy_ident *id)
{
	int r;

	if (e->env.sysroot < 0) {
		memset(id, 0, sizeof(*id));
		id->ifnum = -1;
		return 0;
	}
	r = sysid_read(e->env.sysroot, rdev, id);
	if (r == -ENOENT)
		return 0;
	return r < 0 ? r : 1;
}

/*
 * Name, by-id or by-path resolution, the pinned node's identity and the
 * policy: the checks that never open the device.  The node is pinned
 * (O_PATH) into *ST and its identity read from sysfs by its device number
 * before the policy is asked; a node that does not exist is judged by
 * name only, and refused as absent if the policy permits it.  An identity
 * that sysfs has but that cannot be read refuses the request: a deny rule
 * by identity must not be skipped.
 */
static int decide(struct engine *e, const struct engine_client *c, const char *name,
		  char *kname, struct stat *st, struct outcome *o)
{
	struct policy_verdict v;
	int r, pin;

	if (portname_check(name) < 0)
		return outcome_set(o, -EINVAL, PROTO_R_NAME, "malformed port name");
	r = open_resolve(&e->env, name, kname, PROTO_PORT_MAX);
	if (r < 0)
		return outcome_set(o, r == -EINVAL ? -ENOTTY : r,
				   r == -EINVAL ? PROTO_R_NOTTY : PROTO_R_NODEV,
				   "by-id or by-path link does not resolve to a tty name");
	if (!e->pol) {
		snprintf(o->detail, sizeof(o->detail), "%s", e->policy_detail);
		return outcome_set(o, -EACCES, PROTO_R_POLICY, "policy invalid or unsafe");
	}
	pin = open_pin(&e->env, kname, st);
	if (pin >= 0) {
		close(pin);
		r = S_ISCHR(st->st_mode) ? engine_identify(e, st->st_rdev, &o->id) : 0;
		if (r < 0) {
			snprintf(o->detail, sizeof(o->detail),
				 "cannot read the port's identity from sysfs: %s",
				 strerror(-r));
			return outcome_set(o, r, PROTO_R_BROKER, "identity unreadable");
		}
		o->has_id = r > 0;
	}
	policy_eval_ident(e->pol, &c->subject, kname, o->has_id ? &o->id : NULL, &v);
	o->rule = v.line;
	if (!v.permit)
		return outcome_set(o, -EACCES, PROTO_R_DENIED,
				   v.line ? "deny rule" : "no matching rule");
	if (pin < 0)
		return outcome_set(o, pin, PROTO_R_NODEV, "no such device");
	return 0;
}

/* Check the pinned node's class and, for a pty, its owner. */
static int vet(struct engine *e, const char *kname, uid_t uid, const struct stat *st,
	       struct outcome *o)
{
	switch (open_classify(&e->env, st)) {
	case OPEN_CLASS_NOTTY:
		return outcome_set(o, -ENOTTY, PROTO_R_NOTTY, "not a serial tty");
	case OPEN_CLASS_REFUSED:
		return outcome_set(o, -EPERM, PROTO_R_CLASS, "console, VT or pty master");
	case OPEN_CLASS_PTY:
		if (strncmp(kname, "pts/", 4) != 0 || st->st_uid != uid)
			return outcome_set(o, -EPERM, PROTO_R_CLASS,
					   "pseudo-terminal of another user");
		break;
	case OPEN_CLASS_SERIAL:
		break;
	}
	return 0;
}

/* Mark O as busy because of HOLDER (PROTO_HOLD_*), held by PID. */
static int outcome_busy(struct outcome *o, uint32_t holder, pid_t pid, const char *why)
{
	o->holder = holder;
	o->holder_pid = pid;
	return outcome_set(o, -EBUSY, PROTO_R_BUSY, why);
}

/* A session of C that already holds the device RDEV. */
static bool session_by_rdev(const struct engine_client *c, dev_t rdev)
{
	for (size_t i = 0; i < ENGINE_MAX_SESSIONS; i++)
		if (c->sessions[i] && c->sessions[i]->rdev == rdev)
			return true;
	return false;
}

/* Does C hold the device RDEV (list.c: "held by you")? */
bool engine_holds(const struct engine_client *c, dev_t rdev)
{
	return session_by_rdev(c, rdev);
}

/*
 * Does the device RDEV still have identity ID, or still none (ID NULL)?
 * Read again from sysfs.  One that had none at the check must still have
 * none: a device that appeared meanwhile was never judged by identity.
 */
static bool engine_same_identity(const struct engine *e, dev_t rdev,
				 const struct policy_ident *id)
{
	struct policy_ident now;
	int r = engine_identify(e, rdev, &now);

	if (r < 0 || r != (id ? 1 : 0))
		return false;
	if (!id)
		return true;
	return now.usb == id->usb && now.vid == id->vid && now.pid == id->pid &&
	       now.ifnum == id->ifnum && strcmp(now.serial, id->serial) == 0 &&
	       strcmp(now.manufacturer, id->manufacturer) == 0 &&
	       strcmp(now.product, id->product) == 0 &&
	       strcmp(now.path, id->path) == 0;
}

/*
 * Our own sessions, lock files (LCK..NAME and LK.D.M.m), open, verify,
 * flock, exclusive mode: fills S on success, leaves nothing on failure.
 * A busy port says who holds it in O.  Another client of the same daemon
 * holding the port is found by its LCK.. file, as any other program.
 */
static int acquire(struct engine *e, const struct engine_client *c, const char *kname,
		   const struct stat *st, uint32_t flags, struct engine_session *s,
		   struct outcome *o)
{
	pid_t holder = 0;
	int r, fd;

	/* Before the lock file: our own LCK.. would look held by "another". */
	if (session_by_rdev(c, st->st_rdev))
		return outcome_busy(o, PROTO_HOLD_SELF, c->pid,
				    "already open by this program");
	/* A lock file the client wrote itself (minicom's) is its own: kept as is. */
	r = lock_acquire_client(e->lockfd, kname, st, c->pid, c->uid, &s->lf, &holder);
	if (r == -EBUSY)
		return outcome_busy(o, PROTO_HOLD_LCK, holder,
				    "lock file held by a live process");
	if (r < 0)
		return outcome_set(o, r, PROTO_R_BROKER, "cannot write lock file");
	/* open_device() checks that the open file is the pinned node, device
	 * number and all (-ESTALE otherwise). */
	fd = open_device(&e->env, kname, st);
	if (fd < 0) {
		if (fd == -EBUSY)
			outcome_busy(o, PROTO_HOLD_EXCL, 0, "device busy (exclusive)");
		else
			outcome_from_open(o, fd);
		goto fail_lockfile;
	}
	/* The same number may now be another device (unplugged and
	 * re-enumerated since the check): its identity must not have changed. */
	if (!engine_same_identity(e, st->st_rdev, o->has_id ? &o->id : NULL)) {
		snprintf(o->detail, sizeof(o->detail), "the device at %s changed "
			 "between the policy check and the open", kname);
		outcome_set(o, -ENODEV, PROTO_R_NODEV, "identity changed while opening");
		goto fail_fd;
	}
	r = lock_flock(fd);
	if (r == -EBUSY) {
		outcome_busy(o, PROTO_HOLD_FLOCK, 0, "flock held by another process");
		goto fail_fd;
	}
	if (r < 0) {
		outcome_set(o, r, PROTO_R_BROKER, "flock");
		goto fail_fd;
	}
	/* Ours now: no other open of the device, under any name, without
	 * CAP_SYS_ADMIN (another broker process has none). */
	r = open_exclusive(fd, 1);
	if (r < 0) {
		outcome_set(o, r, PROTO_R_BROKER, "TIOCEXCL");
		goto fail_fd;
	}
	if (!(flags & PROTO_OPEN_NONBLOCK)) {
		int fl = fcntl(fd, F_GETFL);

		if (fl < 0 || fcntl(fd, F_SETFL, fl & ~O_NONBLOCK) < 0) {
			outcome_set(o, -errno, PROTO_R_BROKER, "fcntl");
			goto fail_excl;
		}
	}
	if (s->lf.theirs)
		o->why = "granted; the client's own lock file (its pid) left to it";
	s->fd = fd;
	s->rdev = st->st_rdev;
	s->rule = o->rule;
	s->has_id = o->has_id;
	s->id = o->id;
	s->flags = flags;
	snprintf(s->kname, sizeof(s->kname), "%s", kname);
	return 0;
fail_excl:
	open_exclusive(fd, 0);
fail_fd:
	close(fd);
fail_lockfile:
	lock_release(e->lockfd, &s->lf);
	memset(&s->lf, 0, sizeof(s->lf));
	return o->err;
}

/* One audit line for one decision on an open request. */
static void audit_open(const struct engine *e, const struct engine_client *c,
		       const char *name, const char *kname, const struct outcome *o)
{
	struct audit_peer who = audit_who(c);
	struct audit_event ev = {
		.port = name, .kname = kname,
		.verdict = o->err ? "refuse" : "permit",
		.reason = proto_reason_name(o->reason),
		.policy = e->policy_path, .rule = o->rule,
		.why = o->why ? o->why : "granted",
		.ident = o->has_id ? &o->id : NULL,
	};

	audit_log(&who, &ev);
}

/* One audit line for a decision the caller made about C's request (share.c,
 * the backend's waiting): VERDICT, REASON, RULE and WHY as given. */
void engine_audit(const struct engine *e, const struct engine_client *c,
		  const char *port, const char *kname, const char *verdict,
		  uint32_t reason, unsigned int rule, const char *why)
{
	struct audit_peer who = audit_who(c);
	struct audit_event ev = {
		.port = port, .kname = kname, .verdict = verdict,
		.reason = proto_reason_name(reason), .policy = e->policy_path,
		.rule = rule, .why = why,
	};

	audit_log(&who, &ev);
}

/* A free slot of C within the engine's limit, or -1 (and O says why). */
static int session_slot(const struct engine *e, const struct engine_client *c,
			struct outcome *o)
{
	if (c->nsessions < e->max_sessions)
		for (int i = 0; i < ENGINE_MAX_SESSIONS; i++)
			if (!c->sessions[i])
				return i;
	snprintf(o->detail, sizeof(o->detail),
		 "too many ports open by this client (limit %u)", e->max_sessions);
	outcome_set(o, -EMFILE, PROTO_R_BROKER, "too many ports open by this client");
	return -1;
}

/* Sharing flags where nobody else meets the client: refused, said why. */
static int outcome_no_sharing(struct outcome *o)
{
	snprintf(o->detail, sizeof(o->detail), "--wait, --yield and --take need "
		 "ttybrokerd: this broker serves one client");
	return outcome_set(o, -EOPNOTSUPP, PROTO_R_BROKER, "sharing needs the daemon");
}

int engine_open(struct engine *e, struct engine_client *c,
		const struct proto_open *req, struct proto_open_reply *rep)
{
	return engine_open_ex(e, c, req, rep, 0);
}

int engine_open_ex(struct engine *e, struct engine_client *c,
		   const struct proto_open *req, struct proto_open_reply *rep,
		   unsigned int opts)
{
	struct outcome o = { 0 };
	char kname[PROTO_PORT_MAX] = "";
	struct engine_session *s = NULL;
	struct stat st;
	int slot = -1;

	memset(rep, 0, sizeof(*rep));
	proto_hdr_init(&rep->hdr, PROTO_OPEN_REPLY, req->hdr.seq);
	if ((req->flags & PROTO_OPEN_SHARING) && !e->sharing)
		outcome_no_sharing(&o);
	else if (decide(e, c, req->port, kname, &st, &o) == 0 &&
	    vet(e, kname, c->uid, &st, &o) == 0 &&
	    (slot = session_slot(e, c, &o)) >= 0) {
		s = calloc(1, sizeof(*s));
		if (!s)
			outcome_set(&o, -ENOMEM, PROTO_R_BROKER, "out of memory");
		else if (acquire(e, c, kname, &st, req->flags, s, &o) < 0) {
			free(s);
			s = NULL;
		}
	}
	if (!(opts & ENGINE_QUIET) &&
	    (!(opts & ENGINE_QUIET_BUSY) || o.reason != PROTO_R_BUSY))
		audit_open(e, c, req->port, kname, &o);
	rep->err = o.err;
	rep->reason = o.reason;
	rep->rule = o.rule;
	rep->holder = o.holder;
	rep->holder_pid = o.holder_pid;
	snprintf(rep->kname, sizeof(rep->kname), "%s", kname);
	snprintf(rep->detail, sizeof(rep->detail), "%s", o.detail);
	if (!s)
		return -1;
	snprintf(s->name, sizeof(s->name), "%s", req->port);
	rep->handle = s->handle = session_new_handle(c);
	c->sessions[slot] = s;
	c->nsessions++;
	return s->fd;
}

int engine_release(struct engine *e, struct engine_client *c, uint32_t handle)
{
	for (size_t i = 0; handle && i < ENGINE_MAX_SESSIONS; i++)
		if (c->sessions[i] && c->sessions[i]->handle == handle) {
			session_end(e, c, i);
			return 0;
		}
	return -ENOENT;
}

void engine_client_end(struct engine *e, struct engine_client *c)
{
	for (size_t i = 0; i < ENGINE_MAX_SESSIONS; i++)
		if (c->sessions[i])
			session_end(e, c, i);
}
