/* SPDX-License-Identifier: MIT */
/*
 * backend.c - startup and request loop of the privileged backend.
 *
 * Order (see docs/DESIGN.md): sanitize the inherited process, load the
 * policy and open /dev, /sys/dev/char and the lock directory while still
 * fully privileged, confine (rlimits, capabilities, no_new_privs, seccomp),
 * send PROTO_READY, then serve.  Every request is checked against the
 * frontend's credentials; anything malformed ends the connection, and the
 * end of the connection releases every lock and ends the process.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/pidfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "audit.h"
#include "backend.h"
#include "confine.h"
#include "fdpass.h"
#include "filter.h"
#include "lock.h"
#include "log.h"
#include "open.h"
#include "portname.h"
#include "proto.h"
#include "ttybroker.h"

struct session {
	uint32_t handle;   /* 0 = free slot */
	int fd;            /* our copy of the port: holds the flock */
	struct lock_file lf;
	dev_t rdev;        /* the port's device number, to spot a second open */
	unsigned int rule; /* the policy line that permitted it, for the audit */
	char kname[PROTO_PORT_MAX];
};

struct backend {
	int sock;
	int frontend;        /* pidfd of the frontend, or -1 */
	const struct backend_config *cfg;
	struct policy *pol;  /* NULL: policy missing, invalid or unsafe */
	char policy_detail[PROTO_DETAIL_MAX]; /* first policy error, for replies */
	struct open_env env;
	int lockfd;
	uint32_t next_handle;
	struct session sessions[BACKEND_MAX_SESSIONS];
};

/* One request's outcome, for the reply and the audit line. */
struct outcome {
	int err;
	uint32_t reason;
	unsigned int rule;
	const char *why;
	uint32_t holder;   /* PROTO_HOLD_* when busy */
	pid_t holder_pid;
};

static volatile sig_atomic_t backend_stop;

static void backend_on_signal(int sig)
{
	(void)sig;
	backend_stop = 1;
}

/*
 * Leave nothing inherited from the application: only fds 0-2 and the
 * socket stay open (0 and 1 on /dev/null, 2 for foreground logging), a new
 * session keeps terminal signals away (Ctrl-C must not kill the process
 * that owns the locks), and only SIGTERM ends the backend early, cleanly.
 * Every uid and gid becomes 0: forked from a setuid-root frontend, the
 * backend would otherwise keep the user's real uid, and with it that
 * user's right to stop or kill it.
 */
static void backend_sanitize(int sock)
{
	static const int ignored[] = { SIGINT, SIGQUIT, SIGHUP, SIGTSTP,
				       SIGTTIN, SIGTTOU, SIGPIPE, SIGUSR1, SIGUSR2,
				       SIGXFSZ };
	struct sigaction sa = { .sa_handler = backend_on_signal };
	sigset_t none;
	int null;

	if (sock > 3 && close_range(3, (unsigned int)sock - 1, 0) < 0)
		fatal("close_range");
	if (close_range((unsigned int)sock + 1, ~0U, 0) < 0)
		fatal("close_range");
	null = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (null < 0 || dup2(null, 0) < 0 || dup2(null, 1) < 0)
		fatal("/dev/null");
	if (null > 2)
		close(null);
	if (setsid() < 0)
		fatal("setsid");
	if (clearenv() != 0)
		fatal("clearenv");
	umask(022); /* lock files must be readable by minicom & co. */
	for (size_t i = 0; i < sizeof(ignored) / sizeof(ignored[0]); i++)
		signal(ignored[i], SIG_IGN);
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGTERM, &sa, NULL) < 0)
		fatal("sigaction");
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	if (setgroups(0, NULL) < 0 || setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0)
		fatal("setting all uids and gids to 0");
}

/*
 * A pidfd on the frontend, so its exit ends the backend even when no EOF
 * comes (a forked helper of the frontend may still hold the socket).
 * PR_SET_PDEATHSIG cannot do this: the kernel sends that signal with the
 * dying parent's credentials, and a dropped frontend may not signal root.
 * Still our parent after the open: the pidfd is the frontend's, not a
 * reused pid's.  Without pidfd support (before Linux 5.3) be->frontend
 * stays -1 and only EOF ends the backend.
 */
static int backend_watch_frontend(struct backend *be)
{
	pid_t pid = be->cfg->peer_pid;
	int r;

	be->frontend = pidfd_open(pid, 0);
	if (be->frontend < 0 && errno == ENOSYS) {
		log_warnx("kernel without pidfd: only EOF ends the backend");
		return 0;
	}
	if (be->frontend < 0) {
		r = -errno;
		log_warn("pidfd_open(%d)", (int)pid);
		return r;
	}
	if (getppid() != pid) {
		log_warnx("frontend %d gone before the backend started", (int)pid);
		return -ESRCH;
	}
	return 0;
}

/*
 * Only an AF_UNIX SOCK_SEQPACKET socket reports the frontend's end as EOF
 * (a datagram socket never does) and keeps messages whole; anything else
 * would leave a root process behind.  Replies time out after
 * BACKEND_SEND_TIMEOUT seconds, so a frontend that stops reading cannot
 * hold the backend in sendmsg.  Set now: setsockopt is not in the filter.
 */
static int backend_socket_setup(int sock)
{
	struct timeval tv = { .tv_sec = BACKEND_SEND_TIMEOUT };
	int type = -1, domain = -1;
	socklen_t len = sizeof(type);

	if (getsockopt(sock, SOL_SOCKET, SO_TYPE, &type, &len) < 0)
		return -errno;
	len = sizeof(domain);
	if (getsockopt(sock, SOL_SOCKET, SO_DOMAIN, &domain, &len) < 0)
		return -errno;
	if (type != SOCK_SEQPACKET || domain != AF_UNIX)
		return -ESOCKTNOSUPPORT;
	if (setsockopt(sock, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) < 0)
		return -errno;
	return 0;
}

/* Log each policy problem; keep the first as the detail of every refusal. */
static void backend_policy_error(void *arg, const char *path, unsigned int line,
				 const char *msg)
{
	struct backend *be = arg;

	if (line)
		log_warnx("policy %s:%u: %s", path, line, msg);
	else
		log_warnx("policy %s: %s", path, msg);
	if (be->policy_detail[0])
		return;
	if (line)
		snprintf(be->policy_detail, sizeof(be->policy_detail), "%s:%u: %s",
			 path, line, msg);
	else
		snprintf(be->policy_detail, sizeof(be->policy_detail), "%s: %s", path, msg);
}

/* Everything that needs full privilege or the name service, done once. */
static int backend_setup(struct backend *be)
{
	const struct backend_config *cfg = be->cfg;
	int r;

	tzset(); /* read /etc/localtime now: syslog needs it, Landlock forbids it later */
	r = policy_load(cfg->policy_path, backend_policy_error, be, &be->pol);
	if (r < 0) {
		log_warnx("policy %s refused: nothing will be permitted",
			  cfg->policy_path);
		be->pol = NULL;
		if (!be->policy_detail[0])
			snprintf(be->policy_detail, sizeof(be->policy_detail),
				 "%s: refused: %s", cfg->policy_path, strerror(-r));
	}
	/* A policy problem is every request's answer; from here on a problem is
	 * fatal, and said on stderr too. */
	log_set_sinks(log_sinks() | LOG_TO_STDERR);
	r = open_env_init(&be->env, cfg->devdir);
	if (r < 0) {
		errno = -r;
		log_warn("%s", cfg->devdir);
		return r;
	}
	/* Never through a symlink: whoever could swap it would choose where
	 * root creates and removes files.  Only the last component is checked;
	 * the directories above it are the admin's (/var/lock -> /run/lock is
	 * fine as long as the path given is the real directory). */
	be->lockfd = open(cfg->lockdir, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (be->lockfd < 0) {
		struct stat lst;

		r = -errno;
		if (lstat(cfg->lockdir, &lst) == 0 && S_ISLNK(lst.st_mode))
			log_warnx("lock directory %s is a symbolic link: refusing it "
				  "(give the directory it points to)", cfg->lockdir);
		else
			log_warn("lock directory %s", cfg->lockdir);
		return r;
	}
	audit_init(AUDIT_SYSLOG_PATH); /* says so on stderr if nobody listens */
	return 0;
}

static struct session *session_free_slot(struct backend *be)
{
	for (size_t i = 0; i < BACKEND_MAX_SESSIONS; i++)
		if (be->sessions[i].handle == 0)
			return &be->sessions[i];
	return NULL;
}

static struct session *session_find(struct backend *be, uint32_t handle)
{
	for (size_t i = 0; handle && i < BACKEND_MAX_SESSIONS; i++)
		if (be->sessions[i].handle == handle)
			return &be->sessions[i];
	return NULL;
}

/* A handle no live session has; never 0. */
static uint32_t session_new_handle(struct backend *be)
{
	uint32_t h;

	do {
		h = be->next_handle++;
	} while (h == 0 || session_find(be, h));
	return h;
}

/* The frontend, for audit lines. */
static struct audit_peer audit_who(const struct backend *be)
{
	const struct backend_config *cfg = be->cfg;

	return (struct audit_peer){ .uid = cfg->peer_uid, .pid = cfg->peer_pid,
				    .user = cfg->peer_user, .comm = cfg->peer_comm };
}

/* The release of session S, in the same format as the decision. */
static void audit_release(struct backend *be, const struct session *s)
{
	struct audit_peer who = audit_who(be);
	struct audit_event ev = {
		.port = s->kname, .verdict = "release",
		.reason = proto_reason_name(PROTO_R_OK),
		.policy = be->cfg->policy_path, .rule = s->rule, .why = "released",
	};

	audit_log(&who, &ev);
}

/*
 * Drop a session's lock files and its copy of the port (and so its flock),
 * with an audit line: on release, on EOF, or when the reply failed.
 */
static void session_end(struct backend *be, struct session *s)
{
	int r;

	audit_release(be, s);
	r = lock_release(be->lockfd, &s->lf);

	if (r < 0 && r != -ENOENT) {
		errno = -r;
		log_warn("removing %s", s->lf.name);
	}
	if (s->fd >= 0) {
		open_exclusive(s->fd, 0); /* a pty slave would stay exclusive */
		close(s->fd);
	}
	memset(s, 0, sizeof(*s));
	s->fd = -1;
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

/* Name, by-id resolution and policy: the checks that never touch the device. */
static int decide(struct backend *be, const char *name, char *kname,
		  struct outcome *o)
{
	struct policy_verdict v;
	int r;

	if (portname_check(name) < 0)
		return outcome_set(o, -EINVAL, PROTO_R_NAME, "malformed port name");
	r = open_resolve(&be->env, name, kname, PROTO_PORT_MAX);
	if (r < 0)
		return outcome_set(o, r == -EINVAL ? -ENOTTY : r,
				   r == -EINVAL ? PROTO_R_NOTTY : PROTO_R_NODEV,
				   "by-id link does not resolve to a tty name");
	if (!be->pol)
		return outcome_set(o, -EACCES, PROTO_R_POLICY, "policy invalid or unsafe");
	policy_eval(be->pol, &be->cfg->subject, kname, &v);
	o->rule = v.line;
	if (!v.permit)
		return outcome_set(o, -EACCES, PROTO_R_DENIED,
				   v.line ? "deny rule" : "no matching rule");
	return 0;
}

/* Pin the node and check its class and, for a pty, its owner. */
static int vet(struct backend *be, const char *kname, uid_t uid,
	       struct stat *st, struct outcome *o)
{
	int pin = open_pin(&be->env, kname, st);

	if (pin < 0)
		return outcome_set(o, pin, PROTO_R_NODEV, "no such device");
	close(pin);
	switch (open_classify(&be->env, st)) {
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

/* A session of ours that already holds the device RDEV, or NULL. */
static struct session *session_by_rdev(struct backend *be, dev_t rdev)
{
	for (size_t i = 0; i < BACKEND_MAX_SESSIONS; i++)
		if (be->sessions[i].handle && be->sessions[i].rdev == rdev)
			return &be->sessions[i];
	return NULL;
}

/*
 * Our own sessions, lock files (LCK..NAME and LK.D.M.m), open, verify,
 * flock, exclusive mode: fills S on success, leaves nothing on failure.
 * A busy port says who holds it in O.
 */
static int acquire(struct backend *be, const char *kname, const struct stat *st,
		   uint32_t flags, struct session *s, struct outcome *o)
{
	pid_t holder = 0;
	int r, fd;

	/* Before the lock file: our own LCK.. would look held by "another". */
	if (session_by_rdev(be, st->st_rdev))
		return outcome_busy(o, PROTO_HOLD_SELF, be->cfg->peer_pid,
				    "already open by this program");
	r = lock_acquire_port(be->lockfd, kname, st, be->cfg->peer_pid, &s->lf,
			      &holder);
	if (r == -EBUSY)
		return outcome_busy(o, PROTO_HOLD_LCK, holder,
				    "lock file held by a live process");
	if (r < 0)
		return outcome_set(o, r, PROTO_R_BROKER, "cannot write lock file");
	fd = open_device(&be->env, kname, st);
	if (fd < 0) {
		if (fd == -EBUSY)
			outcome_busy(o, PROTO_HOLD_EXCL, 0, "device busy (exclusive)");
		else
			outcome_from_open(o, fd);
		goto fail_lockfile;
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
	 * CAP_SYS_ADMIN (another broker backend has none). */
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
	s->fd = fd;
	s->rdev = st->st_rdev;
	s->rule = o->rule;
	snprintf(s->kname, sizeof(s->kname), "%s", kname);
	return 0;
fail_excl:
	open_exclusive(fd, 0);
fail_fd:
	close(fd);
fail_lockfile:
	lock_release(be->lockfd, &s->lf);
	memset(&s->lf, 0, sizeof(s->lf));
	return o->err;
}

/* One audit line for one decision on an open request. */
static void audit_open(struct backend *be, const char *name, const char *kname,
		       const struct outcome *o)
{
	struct audit_peer who = audit_who(be);
	struct audit_event ev = {
		.port = name, .kname = kname,
		.verdict = o->err ? "refuse" : "permit",
		.reason = proto_reason_name(o->reason),
		.policy = be->cfg->policy_path, .rule = o->rule,
		.why = o->why ? o->why : "granted",
	};

	audit_log(&who, &ev);
}

/* Say why a reply could not be sent; the caller drops the frontend. */
static void backend_send_failed(int r)
{
	switch (r) {
	case -ETOOMANYREFS:
		log_warnx("dropping frontend: cannot send reply: too many descriptors "
			  "in flight for the backend's user");
		break;
	case -EAGAIN:
		log_warnx("dropping frontend: it read no reply for %d s",
			  BACKEND_SEND_TIMEOUT);
		break;
	default:
		errno = -r;
		log_warn("dropping frontend: cannot send reply");
	}
}

/* Serve one PROTO_OPEN: decide, vet, acquire, reply (with the fd on success). */
static int serve_open(struct backend *be, const struct proto_open *req)
{
	struct proto_open_reply rep;
	struct outcome o = { 0 };
	char kname[PROTO_PORT_MAX] = "";
	struct session *s = NULL;
	struct stat st;
	int r;

	memset(&rep, 0, sizeof(rep));
	proto_hdr_init(&rep.hdr, PROTO_OPEN_REPLY, req->hdr.seq);
	if (decide(be, req->port, kname, &o) == 0 &&
	    vet(be, kname, be->cfg->peer_uid, &st, &o) == 0) {
		s = session_free_slot(be);
		if (!s)
			outcome_set(&o, -EMFILE, PROTO_R_BROKER, "too many open ports");
		else if (acquire(be, kname, &st, req->flags, s, &o) < 0)
			s = NULL;
	}
	audit_open(be, req->port, kname, &o);
	rep.err = o.err;
	rep.reason = o.reason;
	rep.rule = o.rule;
	rep.holder = o.holder;
	rep.holder_pid = o.holder_pid;
	snprintf(rep.kname, sizeof(rep.kname), "%s", kname);
	if (o.reason == PROTO_R_POLICY)
		snprintf(rep.detail, sizeof(rep.detail), "%s", be->policy_detail);
	if (s)
		rep.handle = s->handle = session_new_handle(be);
	r = fdpass_send(be->sock, &rep, sizeof(rep), s ? s->fd : -1);
	if (r < 0) {
		backend_send_failed(r);
		if (s)
			session_end(be, s);
	}
	return r;
}

static void serve_release(struct backend *be, const struct proto_release *req)
{
	struct session *s = session_find(be, req->handle);

	if (!s) {
		log_warnx("release of unknown handle %u ignored", req->handle);
		return;
	}
	session_end(be, s);
}

/* Credentials must be exactly the frontend's, on every message. */
static int creds_ok(const struct backend *be, const struct ucred *c)
{
	const struct backend_config *cfg = be->cfg;

	return c->pid == cfg->peer_pid && c->uid == cfg->peer_uid &&
	       c->gid == cfg->peer_gid;
}

/*
 * Wait for a request or the frontend's exit: 1 when the socket is ready
 * (a request, EOF or an error, for recvmsg to tell), 0 when the frontend
 * has exited (what it sent before is not served), or a negative errno.
 */
static int backend_wait(const struct backend *be)
{
	struct pollfd p[2] = {
		{ .fd = be->sock, .events = POLLIN },
		{ .fd = be->frontend, .events = POLLIN },
	};

	if (ppoll(p, be->frontend >= 0 ? 2 : 1, NULL, NULL) < 0)
		return -errno;
	return p[1].revents ? 0 : 1;
}

/* Receive and serve until EOF, the frontend's exit, a protocol error or SIGTERM. */
static void backend_loop(struct backend *be)
{
	char buf[PROTO_MSG_MAX];
	union proto_msg msg;
	struct ucred cred;
	int unread;
	ssize_t n;

	while (!backend_stop) {
		n = backend_wait(be);
		if (n == 0) {
			log_debug("frontend %d exited", (int)be->cfg->peer_pid);
			return;
		}
		if (n > 0)
			n = fdpass_recv(be->sock, buf, sizeof(buf), NULL, &cred);
		if (n == -EINTR)
			continue;
		if (n == 0)
			return; /* frontend gone */
		if (n < 0) {
			errno = (int)-n;
			log_warn("dropping frontend: receive");
			return;
		}
		if (!creds_ok(be, &cred)) {
			log_warnx("dropping frontend: credentials pid=%d uid=%u gid=%u "
				  "do not match", (int)cred.pid, (unsigned int)cred.uid,
				  (unsigned int)cred.gid);
			return;
		}
		/* One request at a time: each unread reply may pin a descriptor in
		 * flight, counted against the backend's user for every backend. */
		unread = fdpass_unread(be->sock);
		if (unread < 0) {
			errno = -unread;
			log_warn("dropping frontend: SIOCOUTQ");
			return;
		}
		if (unread > 0) {
			log_warnx("dropping frontend: request sent before reading "
				  "the previous reply");
			return;
		}
		if (proto_decode(buf, (size_t)n, PROTO_FROM_FRONTEND, false, &msg) < 0) {
			log_warnx("dropping frontend: malformed message");
			return;
		}
		if (msg.hdr.type == PROTO_OPEN) {
			if (serve_open(be, &msg.open) < 0)
				return;
		} else {
			serve_release(be, &msg.release);
		}
	}
}

static int backend_send_ready(int sock, int err)
{
	struct proto_ready rdy;

	memset(&rdy, 0, sizeof(rdy));
	proto_hdr_init(&rdy.hdr, PROTO_READY, 0);
	rdy.err = err;
	rdy.pid = (uint32_t)getpid();
	return fdpass_send(sock, &rdy, sizeof(rdy), -1);
}

_Noreturn void backend_main(int sock, const struct backend_config *cfg)
{
	struct backend be = { .sock = sock, .cfg = cfg, .lockfd = -1, .next_handle = 1,
			      .frontend = -1 };
	int sinks = 0, r;

	backend_sanitize(sock);
	if (cfg->log_flags & TB_LOG_STDERR)
		sinks |= LOG_TO_STDERR;
	if (!(cfg->log_flags & TB_LOG_QUIET))
		sinks |= LOG_TO_SYSLOG;
	log_init("ttybroker-backend", sinks,
		 cfg->log_flags & TB_LOG_DEBUG ? LOG_LEVEL_DEBUG : LOG_LEVEL_INFO);
	if ((r = backend_socket_setup(sock)) < 0) { /* no EOF would end us: never serve */
		log_set_sinks(sinks | LOG_TO_STDERR);
		errno = -r;
		fatal("frontend socket");
	}
	for (size_t i = 0; i < BACKEND_MAX_SESSIONS; i++)
		be.sessions[i].fd = -1;
	r = backend_setup(&be);
	if (r == 0)
		r = backend_watch_frontend(&be);
	if (r == 0)
		r = confine_backend(be.env.devfd, be.lockfd);
	if (r < 0) { /* said why on stderr; never serve half-set-up */
		backend_send_ready(sock, r);
		_exit(EX_OSERR);
	}
	log_set_sinks(sinks);
	filter_build_warn(); /* an unfiltered (sanitizer/valgrind) build says so */
	if (backend_send_ready(sock, 0) < 0)
		_exit(EX_OSERR);
	log_debug("serving frontend pid %d", (int)cfg->peer_pid);
	backend_loop(&be);
	for (size_t i = 0; i < BACKEND_MAX_SESSIONS; i++)
		if (be.sessions[i].handle)
			session_end(&be, &be.sessions[i]);
	/* Leave nothing open (valgrind --track-fds checks, make check-valgrind). */
	open_env_fini(&be.env);
	close(be.lockfd);
	close(sock);
	_exit(0); /* never the application's atexit handlers */
}
