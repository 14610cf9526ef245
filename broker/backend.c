/* SPDX-License-Identifier: MIT */
/*
 * backend.c - the fork way in: startup and request loop of the backend
 * that tb_init() forks for one frontend.  The checks, locks and audit are
 * the engine's (engine.c), shared with the daemon and the helper.
 *
 * Order (see docs/DESIGN.md): sanitize the inherited process, load the
 * policy and open /dev, /sys, /sys/dev/char and the lock directory while still
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
#include "engine.h"
#include "fdpass.h"
#include "filter.h"
#include "lock.h"
#include "log.h"
#include "open.h"
#include "portname.h"
#include "proto.h"
#include "ttybroker.h"

struct backend {
	int sock;
	int frontend;        /* pidfd of the frontend, or -1 */
	const struct backend_config *cfg;
	struct engine eng;
	struct engine_client client;
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

/* Everything that needs full privilege or the name service, done once. */
static int backend_setup(struct backend *be)
{
	const struct backend_config *cfg = be->cfg;
	int r;

	engine_load_policy(&be->eng, cfg->policy_path);
	/* A policy problem is every request's answer; from here on a problem is
	 * fatal, and said on stderr too. */
	log_set_sinks(log_sinks() | LOG_TO_STDERR);
	be->eng.sysdir = cfg->sysdir;
	r = engine_open_dirs(&be->eng, cfg->lockdir, cfg->devdir);
	if (r < 0)
		return r;
	engine_client_init(&be->client, cfg->peer_pid, cfg->peer_uid, cfg->peer_gid);
	be->client.subject = cfg->subject;
	snprintf(be->client.user, sizeof(be->client.user), "%s", cfg->peer_user);
	snprintf(be->client.comm, sizeof(be->client.comm), "%s", cfg->peer_comm);
	audit_init(AUDIT_SYSLOG_PATH); /* says so on stderr if nobody listens */
	return 0;
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

/* Monotonic milliseconds. */
static uint64_t backend_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/*
 * PROTO_OPEN_WAIT here, where only programs outside the broker can hold
 * the port (one client per backend): ask again with a back-off from 50 ms
 * doubling to 1 s until it is free, REQ's wait_ms passed, or the frontend
 * goes away (its socket readable: it is blocked in tb_open(), so that is
 * EOF or a broken protocol; or its pidfd).  The first busy answer is
 * followed by PROTO_QUEUED; the wait is one audit line.  Fills REP;
 * returns the port fd or -1, or -2 when the frontend is gone.
 */
static int serve_wait(struct backend *be, const struct proto_open *req,
		      struct proto_open_reply *rep)
{
	struct proto_open try = *req;
	uint64_t deadline = req->wait_ms ? backend_now() + req->wait_ms : 0;
	unsigned int backoff = 50;
	struct proto_queued q;
	bool told = false;
	int fd;

	try.flags &= ~PROTO_OPEN_WAIT;
	try.wait_ms = 0;
	for (;;) {
		struct pollfd p[2] = {
			{ .fd = be->sock, .events = POLLIN },
			{ .fd = be->frontend, .events = POLLIN },
		};
		uint64_t now;
		int ms;

		fd = engine_open_ex(&be->eng, &be->client, &try, rep, ENGINE_QUIET_BUSY);
		if (rep->reason != PROTO_R_BUSY || rep->holder == PROTO_HOLD_SELF)
			return fd;
		now = backend_now();
		if (deadline && now >= deadline) {
			snprintf(rep->detail, sizeof(rep->detail), "gave up waiting after "
				 "%u ms", req->wait_ms);
			engine_audit(&be->eng, &be->client, req->port, rep->kname, "refuse",
				     PROTO_R_BUSY, 0, rep->detail);
			return -1;
		}
		if (!told) {
			engine_audit(&be->eng, &be->client, req->port, rep->kname, "wait",
				     PROTO_R_BUSY, 0, "waits for a holder outside the broker");
			memset(&q, 0, sizeof(q));
			proto_hdr_init(&q.hdr, PROTO_QUEUED, req->hdr.seq);
			q.position = 1;
			q.holder = rep->holder;
			q.holder_pid = rep->holder_pid;
			q.wait_ms = req->wait_ms;
			snprintf(q.kname, sizeof(q.kname), "%s", rep->kname);
			if (fdpass_send(be->sock, &q, sizeof(q), -1) < 0)
				return -2;
			told = true;
		}
		ms = (int)backoff;
		if (deadline && deadline - now < backoff)
			ms = (int)(deadline - now);
		backoff = backoff * 2 > 1000 ? 1000 : backoff * 2;
		if (ppoll(p, be->frontend >= 0 ? 2 : 1,
			  &(struct timespec){ ms / 1000, (ms % 1000) * 1000000L }, NULL) < 0 &&
		    errno != EINTR)
			return -2;
		if (p[0].revents || p[1].revents || backend_stop)
			return -2;
	}
}

/* Serve one PROTO_OPEN through the engine and send the reply. */
static int serve_open(struct backend *be, const struct proto_open *req)
{
	struct proto_open_reply rep;
	int fd, r;

	if ((req->flags & PROTO_OPEN_SHARING) == PROTO_OPEN_WAIT) {
		fd = serve_wait(be, req, &rep);
		if (fd == -2)
			return -1;
	} else {
		fd = engine_open(&be->eng, &be->client, req, &rep);
	}
	r = fdpass_send(be->sock, &rep, sizeof(rep), fd);

	if (r < 0) {
		backend_send_failed(r);
		if (rep.handle)
			engine_release(&be->eng, &be->client, rep.handle);
	}
	return r;
}

/* Serve one PROTO_LIST step through the engine (ttybroker list). */
static int serve_list(struct backend *be, const struct proto_list *req)
{
	union proto_msg rep;
	size_t len = engine_list(&be->eng, &be->client, req, &rep);
	int r = fdpass_send(be->sock, &rep, len, -1);

	if (r < 0)
		backend_send_failed(r);
	return r;
}

static void serve_release(struct backend *be, const struct proto_release *req)
{
	if (engine_release(&be->eng, &be->client, req->handle) < 0)
		log_warnx("release of unknown handle %u ignored", req->handle);
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
		} else if (msg.hdr.type == PROTO_LIST) {
			if (serve_list(be, &msg.list) < 0)
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
	struct backend be = { .sock = sock, .cfg = cfg, .frontend = -1 };
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
	r = backend_setup(&be);
	if (r == 0)
		r = backend_watch_frontend(&be);
	if (r == 0)
		r = confine_backend(be.eng.env.devfd, be.eng.lockfd, be.eng.env.sysroot);
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
	engine_client_end(&be.eng, &be.client);
	/* Leave nothing open (valgrind --track-fds checks, make check-valgrind). */
	engine_fini(&be.eng);
	close(sock);
	_exit(0); /* never the application's atexit handlers */
}
