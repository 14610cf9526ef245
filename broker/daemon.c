/* SPDX-License-Identifier: MIT */
/*
 * daemon.c - ttybrokerd: the listening socket, the privileged parent and
 * the confined engine process that serves many clients (see daemon.h).
 *
 * The engine process never blocks on a client: every client socket is
 * non-blocking, a reply that cannot be queued at once (EAGAIN: the client
 * does not read) drops that client, and a request that comes while the
 * client's previous reply is unread (SIOCOUTQ) drops it too, so each
 * client has at most one descriptor in flight.  A client's sessions end
 * when its connection closes or its process exits (its pidfd becomes
 * readable), whichever comes first.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/pidfd.h>
#include <sys/prctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include <cap-ng.h>

#include "audit.h"
#include "confine.h"
#include "daemon.h"
#include "engine.h"
#include "fdpass.h"
#include "filter.h"
#include "log.h"
#include "policy.h"
#include "proto.h"
#include "share.h"

_Static_assert(POLICY_CANON_MAX == 2u * 1024u * 1024u,
	       "proto.c bounds PROTO_POLICY's length the same way");

#ifndef SO_PEERPIDFD
#define SO_PEERPIDFD 77 /* Linux 6.5 */
#endif

/* fd 3: the first socket systemd passes (SD_LISTEN_FDS_START). */
#define DAEMON_LISTEN_FD 3

/* One connected client. */
struct dclient {
	int sock;
	int pidfd;  /* the client process; readable once it exited */
	struct engine_client ec;
	struct share_client sc; /* its place in lines for busy ports (share.c) */
	uint32_t conn;          /* connection id, for the parent's identity reply */
	bool ready;             /* PROTO_READY sent: requests are served          */
	struct timespec ident_by; /* !ready: send PROTO_READY by then, names or not */
};

struct dengine {
	const struct daemon_config *cfg;
	struct engine eng;
	struct share share;       /* lines for busy ports, take-overs */
	int inotify;              /* LCK.. files leaving the lock dir, or -1 */
	int listener;
	bool activated;           /* the listener came from socket activation */
	int parent;               /* our end of the socketpair with the parent */
	uint32_t next_conn;       /* the last connection id given (never 0) */
	unsigned int nclients;
	struct dclient **clients; /* cfg->max_conn slots, the first nclients used */
	struct pollfd *pfd;       /* 2 + 2 * max_conn */
};

static volatile sig_atomic_t daemon_stop, daemon_hup, daemon_child;

static void daemon_on_signal(int sig)
{
	if (sig == SIGHUP)
		daemon_hup = 1;
	else if (sig == SIGCHLD)
		daemon_child = 1;
	else
		daemon_stop = 1;
}

/* A decimal number without sign, spaces or leading zeros, up to MAX. */
static int daemon_parse_uint(const char *s, unsigned long max, unsigned long *out)
{
	unsigned long v = 0;

	if (!s || !*s || (s[0] == '0' && s[1]))
		return -EINVAL;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return -EINVAL;
		if (v > (max - (unsigned long)(*s - '0')) / 10)
			return -EINVAL;
		v = v * 10 + (unsigned long)(*s - '0');
	}
	*out = v;
	return 0;
}

int daemon_listen_fds(const char *listen_pid, const char *listen_fds, pid_t self)
{
	unsigned long pid, n;

	if (!listen_pid)
		return 0;
	if (daemon_parse_uint(listen_pid, INT_MAX, &pid) < 0 || pid == 0)
		return -EINVAL;
	if ((pid_t)pid != self)
		return 0;
	if (!listen_fds || daemon_parse_uint(listen_fds, INT_MAX - DAEMON_LISTEN_FD,
					     &n) < 0)
		return -EINVAL;
	if (n > 1)
		return -E2BIG;
	return (int)n;
}

/* 0 when FD is a listening AF_UNIX SOCK_SEQPACKET socket, else -errno. */
static int daemon_check_listener(int fd)
{
	int type = -1, domain = -1, acc = 0;
	socklen_t len = sizeof(type);

	if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) < 0)
		return -errno;
	len = sizeof(domain);
	if (getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &domain, &len) < 0)
		return -errno;
	len = sizeof(acc);
	if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &acc, &len) < 0)
		return -errno;
	if (type != SOCK_SEQPACKET || domain != AF_UNIX || !acc)
		return -ESOCKTNOSUPPORT;
	return 0;
}

/*
 * Make room for our socket at PATH: nothing there, or a socket nobody
 * listens on (a daemon that died), which is removed.  Anything else (a
 * file, a symlink, which is never followed, a live daemon's socket) is
 * refused.  /run is root's: nobody else can swap the name between the
 * check and the unlink.
 */
static int daemon_clear_path(const struct sockaddr_un *sa)
{
	struct stat st;
	int probe, r;

	if (lstat(sa->sun_path, &st) < 0)
		return errno == ENOENT ? 0 : -errno;
	if (!S_ISSOCK(st.st_mode)) {
		log_warnx("%s exists and is not a socket: not replacing it", sa->sun_path);
		return -EEXIST;
	}
	probe = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (probe < 0)
		return -errno;
	r = connect(probe, (const struct sockaddr *)sa, sizeof(*sa));
	close(probe);
	if (r == 0 || errno != ECONNREFUSED) {
		log_warnx("%s: another daemon is listening on it", sa->sun_path);
		return -EADDRINUSE;
	}
	if (unlink(sa->sun_path) < 0)
		return -errno;
	log_info("removed the stale socket %s", sa->sun_path);
	return 0;
}

/* Bind and listen on PATH, mode 0666: the policy decides, not the mode. */
static int daemon_bind(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	mode_t old;
	int fd, r;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		log_warnx("%s: socket path too long", path);
		return -ENAMETOOLONG;
	}
	memcpy(sa.sun_path, path, strlen(path) + 1);
	if ((r = daemon_clear_path(&sa)) < 0)
		return r;
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	old = umask(0111);
	r = bind(fd, (const struct sockaddr *)&sa, sizeof(sa));
	umask(old);
	if (r < 0 || listen(fd, DAEMON_LISTEN_BACKLOG) < 0) {
		r = -errno;
		log_warn("%s", path);
		close(fd);
		return r;
	}
	return fd;
}

/*
 * The listening socket: the one systemd passed (N, from
 * daemon_listen_fds(); the variables are removed either way) or our own at CFG->socket_path.
 * *BOUND is set when we created the file (we remove it at exit).
 */
static int daemon_listener(const struct daemon_config *cfg, int n, bool *bound)
{
	int r;

	unsetenv("LISTEN_PID");
	unsetenv("LISTEN_FDS");
	unsetenv("LISTEN_FDNAMES");
	*bound = false;
	if (n < 0) {
		log_warnx("socket activation: %s", n == -E2BIG ?
			  "more than one socket passed (only one is served)" :
			  "malformed LISTEN_PID or LISTEN_FDS");
		return n;
	}
	if (n == 1) {
		if ((r = daemon_check_listener(DAEMON_LISTEN_FD)) < 0) {
			log_warnx("socket activation: fd %d is not a listening "
				  "AF_UNIX SOCK_SEQPACKET socket", DAEMON_LISTEN_FD);
			return r;
		}
		if (fcntl(DAEMON_LISTEN_FD, F_SETFD, FD_CLOEXEC) < 0)
			return -errno;
		log_debug("socket activation: serving fd %d", DAEMON_LISTEN_FD);
		return DAEMON_LISTEN_FD;
	}
	r = daemon_bind(cfg->socket_path);
	if (r >= 0)
		*bound = true;
	return r;
}

/*
 * Leave nothing inherited but fds 0-2 and the activated socket, and take
 * the signals the parent handles.  SIGPIPE is ignored (replies use
 * MSG_NOSIGNAL anyway).
 */
static void daemon_sanitize(bool activated)
{
	struct sigaction sa = { .sa_handler = daemon_on_signal };
	int null;

	if (close_range(activated ? DAEMON_LISTEN_FD + 1 : DAEMON_LISTEN_FD, ~0U, 0) < 0)
		fatal("close_range");
	for (int fd = 0; fd < 3; fd++)
		if (fcntl(fd, F_GETFD) < 0) {
			null = open("/dev/null", O_RDWR);
			if (null != fd)
				fatal("/dev/null");
		}
	umask(022); /* lock files must be readable by minicom & co. */
	signal(SIGPIPE, SIG_IGN);
	signal(SIGUSR1, SIG_IGN);
	signal(SIGUSR2, SIG_IGN);
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGTERM, &sa, NULL) < 0 || sigaction(SIGINT, &sa, NULL) < 0 ||
	    sigaction(SIGHUP, &sa, NULL) < 0 || sigaction(SIGCHLD, &sa, NULL) < 0)
		fatal("sigaction");
}

/* ---- the engine process ---------------------------------------------- */

/* Say no to a new connection with ERR in PROTO_READY, and close it. */
static void daemon_refuse(int fd, int err, const char *why, const struct ucred *uc)
{
	struct proto_ready rdy;

	log_warnx("refusing client pid=%d uid=%u: %s", (int)uc->pid,
		  (unsigned int)uc->uid, why);
	memset(&rdy, 0, sizeof(rdy));
	proto_hdr_init(&rdy.hdr, PROTO_READY, 0);
	rdy.err = err;
	rdy.pid = (uint32_t)getpid();
	fdpass_send(fd, &rdy, sizeof(rdy), -1); /* non-blocking; best effort */
	close(fd);
}

static unsigned int daemon_uid_count(const struct dengine *d, uid_t uid)
{
	unsigned int n = 0;

	for (unsigned int i = 0; i < d->nclients; i++)
		n += d->clients[i]->ec.uid == uid;
	return n;
}

/*
 * A pidfd of the client process.  SO_PEERPIDFD (Linux 6.5) names the
 * process that connected, whatever happened since.  Without it,
 * pidfd_open(pid) could name another process that reused a dead client's
 * pid; the connection still ends the sessions by EOF once the client's
 * last copy of the socket closes, so the only loss is the earlier end on
 * exit.  Returns the pidfd or -errno (-ESRCH: the client already exited).
 */
static int daemon_peer_pidfd(int fd, pid_t pid)
{
	int pidfd = -1;
	socklen_t len = sizeof(pidfd);

	if (getsockopt(fd, SOL_SOCKET, SO_PEERPIDFD, &pidfd, &len) == 0)
		return pidfd;
	if (errno != ENOPROTOOPT && errno != EINVAL)
		return -errno;
	pidfd = pidfd_open(pid, 0);
	return pidfd < 0 ? -errno : pidfd;
}

/* ---- the client's names, from the parent (engine side) ---------------- */

static void daemon_client_end(struct dengine *d, unsigned int i);

/* Why a reply could not be sent; the caller drops the client. */
static void daemon_send_failed(const struct dclient *c, int r)
{
	switch (r) {
	case -ETOOMANYREFS:
		log_warnx("dropping client pid=%d: too many descriptors in flight "
			  "for the daemon's user", (int)c->ec.pid);
		break;
	case -EAGAIN:
		log_warnx("dropping client pid=%d: it does not read its replies",
			  (int)c->ec.pid);
		break;
	default:
		errno = -r;
		log_warn("dropping client pid=%d: cannot send reply", (int)c->ec.pid);
	}
}

/* Tell client C it is served (PROTO_READY).  0 or -errno. */
static int daemon_client_ready(struct dclient *c)
{
	struct proto_ready rdy;
	int r;

	memset(&rdy, 0, sizeof(rdy));
	proto_hdr_init(&rdy.hdr, PROTO_READY, 0);
	rdy.pid = (uint32_t)getpid();
	r = fdpass_send(c->sock, &rdy, sizeof(rdy), -1);
	if (r == 0)
		c->ready = true;
	return r;
}

/*
 * Ask the parent for the user name and comm of the new client C (with a
 * copy of its pidfd), and hold its PROTO_READY until the answer comes or
 * DAEMON_IDENT_MS pass.  Never waits: the channel is non-blocking, and a
 * full channel (the parent is stuck on a slow name service) means the
 * client is served at once without names.  0 when asked, else -errno.
 */
static int daemon_ident_ask(struct dengine *d, struct dclient *c)
{
	struct proto_ident req;
	int r;

	if (++d->next_conn == 0)
		d->next_conn = 1;
	c->conn = d->next_conn;
	memset(&req, 0, sizeof(req));
	proto_hdr_init(&req.hdr, PROTO_IDENT, 0);
	req.conn = c->conn;
	req.pid = (int32_t)c->ec.pid;
	req.uid = (uint32_t)c->ec.uid;
	r = fdpass_send(d->parent, &req, sizeof(req), c->pidfd);
	if (r < 0) {
		errno = -r;
		log_warn("client pid=%d: cannot ask the parent for its names "
			 "(audit shows user=? comm=?)", (int)c->ec.pid);
		return r;
	}
	clock_gettime(CLOCK_MONOTONIC, &c->ident_by);
	c->ident_by.tv_sec += DAEMON_IDENT_MS / 1000;
	c->ident_by.tv_nsec += (DAEMON_IDENT_MS % 1000) * 1000000L;
	if (c->ident_by.tv_nsec >= 1000000000L) {
		c->ident_by.tv_sec++;
		c->ident_by.tv_nsec -= 1000000000L;
	}
	c->ready = false;
	return 0;
}

/* Is A earlier than B? */
static bool daemon_ts_before(const struct timespec *a, const struct timespec *b)
{
	return a->tv_sec < b->tv_sec || (a->tv_sec == b->tv_sec && a->tv_nsec < b->tv_nsec);
}

/*
 * The ppoll timeout: until the earliest deadline of a client still waiting
 * for its names (into *TS), or NULL (no deadline) when none waits.
 */
static struct timespec *daemon_ident_wait(const struct dengine *d, struct timespec *ts)
{
	const struct timespec *soonest = NULL;
	struct timespec now;

	for (unsigned int i = 0; i < d->nclients; i++)
		if (!d->clients[i]->ready &&
		    (!soonest || daemon_ts_before(&d->clients[i]->ident_by, soonest)))
			soonest = &d->clients[i]->ident_by;
	if (!soonest)
		return NULL;
	clock_gettime(CLOCK_MONOTONIC, &now);
	*ts = (struct timespec){ 0, 0 };
	if (daemon_ts_before(&now, soonest)) {
		ts->tv_sec = soonest->tv_sec - now.tv_sec;
		ts->tv_nsec = soonest->tv_nsec - now.tv_nsec;
		if (ts->tv_nsec < 0) {
			ts->tv_sec--;
			ts->tv_nsec += 1000000000L;
		}
	}
	return ts;
}

/*
 * The parent's answer: fill the names of the client it is about and send
 * its PROTO_READY.  An answer for a connection that is gone is ignored; a
 * late one (the client was served without names) still fills them in.  A
 * client that cannot take PROTO_READY is ended (the loop calls this after
 * it is done with the poll array's client slots).
 */
static void daemon_ident_reply(struct dengine *d, const struct proto_ident_reply *rep)
{
	for (unsigned int i = 0; i < d->nclients; i++) {
		struct dclient *c = d->clients[i];
		int r;

		if (c->conn != rep->conn)
			continue;
		snprintf(c->ec.user, sizeof(c->ec.user), "%s", rep->user);
		snprintf(c->ec.comm, sizeof(c->ec.comm), "%s", rep->comm);
		if (!c->ready && (r = daemon_client_ready(c)) < 0) {
			daemon_send_failed(c, r);
			daemon_client_end(d, i);
		}
		return;
	}
	log_debug("names of connection %u: the client is gone", rep->conn);
}

/*
 * Client C, still waiting for PROTO_READY, is readable: its end, or a
 * message it had no business sending yet (a protocol violation).  Returns
 * 0 to keep it, -1 to end it.
 */
static int daemon_early(struct dclient *c)
{
	char buf[PROTO_MSG_MAX];
	ssize_t n = fdpass_recv(c->sock, buf, sizeof(buf), NULL, NULL);

	if (n == -EAGAIN || n == -EINTR)
		return 0;
	if (n == 0)
		log_debug("client pid=%d left before PROTO_READY", (int)c->ec.pid);
	else
		log_warnx("dropping client pid=%d: message before PROTO_READY",
			  (int)c->ec.pid);
	return -1;
}

/* No answer from the parent in time: serve client C without names. */
static int daemon_ident_late(struct dclient *c)
{
	struct timespec now;
	int r;

	clock_gettime(CLOCK_MONOTONIC, &now);
	if (daemon_ts_before(&now, &c->ident_by))
		return 0;
	log_warnx("client pid=%d: no names from the parent within %d ms; serving it "
		  "(audit shows user=? comm=? until they come)", (int)c->ec.pid,
		  DAEMON_IDENT_MS);
	r = daemon_client_ready(c);
	if (r < 0)
		daemon_send_failed(c, r);
	return r;
}

/*
 * Client C is not served yet (waiting for its names); REVENTS from its
 * socket.  Returns 0 to keep it, -1 to end it.
 */
static int daemon_waiting(struct dclient *c, short revents)
{
	if (revents)
		return daemon_early(c);
	return daemon_ident_late(c);
}

/* Accept one connection: identity from the kernel, limits, PROTO_READY. */
static void daemon_accept(struct dengine *d)
{
	const struct daemon_config *cfg = d->cfg;
	struct ucred uc = { 0 };
	socklen_t len = sizeof(uc);
	gid_t groups[POLICY_MAX_GROUPS];
	struct dclient *c = NULL;
	int fd, one = 1, pidfd;

	fd = accept4(d->listener, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (fd < 0) {
		if (errno != EAGAIN && errno != EINTR && errno != ECONNABORTED)
			log_warn("accept");
		return;
	}
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &uc, &len) < 0) {
		log_warn("SO_PEERCRED");
		goto drop;
	}
	if (d->nclients >= cfg->max_conn) {
		daemon_refuse(fd, -ENFILE, "connection limit reached", &uc);
		return;
	}
	if (daemon_uid_count(d, uc.uid) >= cfg->max_per_uid) {
		daemon_refuse(fd, -EUSERS, "connection limit of its uid reached", &uc);
		return;
	}
	/* Every request must carry the sender's credentials.  Inherited from
	 * the listener only by connections made after the parent set it: not
	 * those systemd queued before it started us. */
	if (setsockopt(fd, SOL_SOCKET, SO_PASSCRED, &one, sizeof(one)) < 0) {
		log_warn("SO_PASSCRED");
		goto drop;
	}
	len = sizeof(groups);
	if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups, &len) < 0) {
		if (errno == ERANGE) {
			daemon_refuse(fd, -E2BIG, "more supplementary groups than "
				      "the policy can check", &uc);
			return;
		}
		log_warn("SO_PEERGROUPS");
		goto drop;
	}
	pidfd = daemon_peer_pidfd(fd, uc.pid);
	if (pidfd < 0) {
		if (pidfd != -ESRCH) {
			errno = -pidfd;
			log_warn("pidfd of client %d", (int)uc.pid);
		}
		goto drop;
	}
	c = calloc(1, sizeof(*c));
	if (!c) {
		close(pidfd);
		log_warn("client");
		goto drop;
	}
	c->sock = fd;
	c->pidfd = pidfd;
	engine_client_init(&c->ec, uc.pid, uc.uid, uc.gid);
	c->sc.ec = &c->ec;
	c->sc.sock = fd;
	c->ec.subject.ngroups = len / sizeof(gid_t);
	memcpy(c->ec.subject.groups, groups, len);
	/* PROTO_READY once the parent named the client (or gave up). */
	if (daemon_ident_ask(d, c) < 0 && daemon_client_ready(c) < 0) {
		close(pidfd);
		free(c);
		goto drop;
	}
	d->clients[d->nclients++] = c;
	share_attach(&d->share, &c->sc);
	log_debug("client pid=%d uid=%u gid=%u connected (%u clients)", (int)uc.pid,
		  (unsigned int)uc.uid, (unsigned int)uc.gid, d->nclients);
	return;
drop:
	close(fd);
}

/* End client I: its sessions, its fds, its slot. */
static void daemon_client_end(struct dengine *d, unsigned int i)
{
	struct dclient *c = d->clients[i];

	share_detach(&d->share, &c->sc);
	engine_client_end(&d->eng, &c->ec);
	close(c->sock);
	close(c->pidfd);
	log_debug("client pid=%d gone", (int)c->ec.pid);
	free(c);
	d->clients[i] = d->clients[--d->nclients];
	d->clients[d->nclients] = NULL;
}

/*
 * PROTO_REVOKE from client C: only root (the uid the kernel gave at
 * connect, matched on every message) may ask; anyone else gets
 * PROTO_REVOKE_REFUSED and keeps the connection.  Whoever holds the port
 * among our clients has it hung up and its locks dropped.  Returns 0 to
 * keep C, -1 when the reply cannot be sent.
 */
static int daemon_serve_revoke(struct dengine *d, struct dclient *c,
			       const struct proto_revoke *req)
{
	struct proto_revoke_reply rep;
	char why[96];
	int r = -ENOENT;

	memset(&rep, 0, sizeof(rep));
	proto_hdr_init(&rep.hdr, PROTO_REVOKE_REPLY, req->hdr.seq);
	if (c->ec.uid != 0) {
		log_warnx("client pid=%d uid=%u: revoke refused (only root may revoke)",
			  (int)c->ec.pid, (unsigned int)c->ec.uid);
		rep.err = -EPERM;
		rep.result = PROTO_REVOKE_REFUSED;
		snprintf(rep.detail, sizeof(rep.detail), "only root may revoke a port");
		goto send;
	}
	r = engine_resolve(&d->eng, req->port, rep.kname, sizeof(rep.kname));
	if (r < 0) {
		rep.err = r == -EINVAL ? -EINVAL : -ENODEV;
		rep.result = PROTO_NO_PORT;
		snprintf(rep.detail, sizeof(rep.detail), "no such port");
		goto send;
	}
	snprintf(why, sizeof(why), "revoked by uid=%u pid=%d", (unsigned int)c->ec.uid,
		 (int)c->ec.pid);
	r = -ENOENT;
	for (unsigned int i = 0; i < d->nclients && r == -ENOENT; i++) {
		r = engine_revoke(&d->eng, &d->clients[i]->ec, rep.kname, why);
		if (r != -ENOENT)
			rep.holder_pid = d->clients[i]->ec.pid;
	}
	rep.err = r;
	rep.result = r == 0 ? PROTO_REVOKED : r == -ENOENT ? PROTO_NOT_HELD
		     : PROTO_REVOKE_FAILED;
	if (r == -ENOENT)
		snprintf(rep.detail, sizeof(rep.detail), "no client of this daemon holds it");
	else if (r == -EPERM)
		snprintf(rep.detail, sizeof(rep.detail), "it is another session's "
			 "controlling terminal: not hung up, still held");
	else if (r < 0)
		snprintf(rep.detail, sizeof(rep.detail), "hang-up failed: %s", strerror(-r));
send:
	r = fdpass_send(c->sock, &rep, sizeof(rep), -1);
	if (r < 0) {
		daemon_send_failed(c, r);
		return -1;
	}
	return 0;
}

/* One PROTO_LIST step of client C (ttybroker list).  0, or -1 to end C. */
static int daemon_serve_list(struct dengine *d, struct dclient *c,
			     const struct proto_list *req)
{
	union proto_msg rep;
	size_t len = engine_list(&d->eng, &c->ec, req, &rep);
	int r = fdpass_send(c->sock, &rep, len, -1);

	if (r < 0) {
		daemon_send_failed(c, r);
		return -1;
	}
	return 0;
}

/*
 * Read and serve one message of client C.  Returns 0 to keep it, -1 to
 * end it (EOF, a malformed or forged message, a reply it cannot take).
 */
static int daemon_serve(struct dengine *d, struct dclient *c)
{
	char buf[PROTO_MSG_MAX];
	union proto_msg msg;
	struct ucred cred;
	ssize_t n;
	int unread;

	n = fdpass_recv(c->sock, buf, sizeof(buf), NULL, &cred);
	if (n == -EAGAIN || n == -EINTR)
		return 0;
	if (n == 0)
		return -1;
	if (n < 0) {
		errno = (int)-n;
		log_warn("dropping client pid=%d: receive", (int)c->ec.pid);
		return -1;
	}
	if (cred.pid != c->ec.pid || cred.uid != c->ec.uid || cred.gid != c->ec.gid) {
		log_warnx("dropping client pid=%d: message from pid=%d uid=%u gid=%u",
			  (int)c->ec.pid, (int)cred.pid, (unsigned int)cred.uid,
			  (unsigned int)cred.gid);
		return -1;
	}
	/* A client that was sent notices or events may not have read them
	 * yet when it sends (a release crossing a take-over request). */
	unread = fdpass_unread(c->sock);
	if (unread != 0 && !(c->sc.async && unread > 0 && (unsigned int)unread <= SHARE_UNREAD_MAX)) {
		log_warnx("dropping client pid=%d: request sent before reading the "
			  "previous reply", (int)c->ec.pid);
		return -1;
	}
	if (proto_decode(buf, (size_t)n, PROTO_FROM_FRONTEND, false, &msg) < 0) {
		log_warnx("dropping client pid=%d: malformed message", (int)c->ec.pid);
		return -1;
	}
	if (msg.hdr.type == PROTO_REVOKE) {
		/* Only root's revoke may free a port (others are refused). */
		if (c->ec.uid == 0)
			share_kick(&d->share);
		return daemon_serve_revoke(d, c, &msg.revoke);
	}
	if (msg.hdr.type == PROTO_LIST)
		return daemon_serve_list(d, c, &msg.list);
	if (msg.hdr.type == PROTO_RELEASE) {
		if (share_release(&d->share, &c->sc, msg.release.handle) < 0)
			log_warnx("client pid=%d: release of unknown handle %u ignored",
				  (int)c->ec.pid, msg.release.handle);
		return 0;
	}
	return share_open(&d->share, &c->sc, &msg.open);
}

/*
 * The engine applies a reloaded policy: the canonical text in MEMFD,
 * exactly LEN bytes from offset 0 (the parent rewound it), parsed without
 * the name service; then every session the new policy no longer permits
 * is revoked.  A bad text (a bug in the parent) keeps the old policy.
 */
static void daemon_apply_policy(struct dengine *d, int memfd, uint32_t len)
{
	char *text = malloc((size_t)len + 1);
	unsigned int revoked = 0;
	size_t got = 0;
	ssize_t n;

	if (!text) {
		log_warnx("reload: out of memory: policy unchanged");
		return;
	}
	/* One byte more than promised must read as EOF. */
	while (got <= len && (n = read(memfd, text + got, (size_t)len + 1 - got)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			break;
		got += (size_t)n;
	}
	if (got != len || engine_reload(&d->eng, text, len) < 0) {
		log_warnx("reload: the parent's policy is unreadable or malformed "
			  "(%zu of %u bytes): policy unchanged", got, len);
		free(text);
		return;
	}
	free(text);
	for (unsigned int i = 0; i < d->nclients; i++)
		revoked += engine_recheck(&d->eng, &d->clients[i]->ec);
	share_kick(&d->share);
	log_info("reload: policy %s applied; %u port(s) revoked", d->eng.policy_path,
		 revoked);
}

/*
 * Receive and decode one message on the parent channel CHAN, as sent by
 * FROM (WHO names that end in logs).  Returns 1 with *MSG and *FD (the fd
 * it carried, or -1), 0 when there is nothing to act on (interrupted, or
 * a receive error or malformed message: logged and ignored, for the two
 * ends trust each other and a bug in one must not end every client), or
 * -1 when the other end is gone.  Readable (ppoll said so): recvmsg, the
 * call the engine's filter allows.
 */
static int daemon_channel_recv(int chan, unsigned int from, const char *who,
			       union proto_msg *msg, int *fd)
{
	char buf[PROTO_MSG_MAX];
	ssize_t n;

	*fd = -1;
	n = fdpass_recv(chan, buf, sizeof(buf), fd, NULL);
	if (n == -EINTR || n == -EAGAIN)
		return 0;
	if (n == 0 || n == -ECONNRESET)
		return -1;
	if (n < 0) {
		errno = (int)-n;
		log_warn("%s: message ignored", who);
		return 0;
	}
	if (proto_decode(buf, (size_t)n, from, *fd >= 0, msg) < 0) {
		log_warnx("%s: malformed message of %zd bytes ignored", who, n);
		if (*fd >= 0)
			close(*fd);
		*fd = -1;
		return 0;
	}
	return 1;
}

/*
 * One message on the parent channel, at the engine's end: the names of a
 * client (PROTO_IDENT_REPLY) or a reloaded policy with its memfd
 * (PROTO_POLICY).  Returns 0, or -1 when the parent is gone.
 */
static int daemon_engine_channel(struct dengine *d)
{
	union proto_msg msg;
	int fd, r;

	r = daemon_channel_recv(d->parent, PROTO_FROM_PARENT, "parent channel", &msg, &fd);
	if (r <= 0)
		return r;
	switch (msg.hdr.type) {
	case PROTO_IDENT_REPLY:
		daemon_ident_reply(d, &msg.ident_reply);
		break;
	case PROTO_POLICY:
		daemon_apply_policy(d, fd, msg.policy.len);
		break;
	}
	if (fd >= 0)
		close(fd);
	return 0;
}

/*
 * The lines for busy ports: serve what is due, then end the clients a
 * notice, event or late reply could not reach (which may free a port for
 * the next in line: again until none is left).
 */
static void daemon_share_round(struct dengine *d)
{
	bool again = true;

	while (again) {
		again = false;
		share_tick(&d->share);
		for (unsigned int i = d->nclients; i-- > 0;)
			if (d->clients[i]->sc.dead) {
				daemon_client_end(d, i);
				again = true;
			}
	}
}

/* The ppoll timeout: names (daemon_ident_wait) or the lines, the sooner. */
static struct timespec *daemon_timeout(const struct dengine *d, struct timespec *ts)
{
	struct timespec *t = daemon_ident_wait(d, ts);
	long ms = share_timeout(&d->share);
	struct timespec s;

	if (ms < 0)
		return t;
	s.tv_sec = ms / 1000;
	s.tv_nsec = (ms % 1000) * 1000000L;
	if (!t || daemon_ts_before(&s, t))
		*ts = s;
	return ts;
}

/*
 * Watch the lock directory for LCK.. files going away (IN_DELETE,
 * IN_MOVED_FROM), so that a request waiting for a port another program
 * holds is asked again at once, not at its next back-off.  Set up before
 * confinement (Landlock allows no new path then); reading it needs only
 * read().  -1 when it cannot be had: the back-off alone serves then.
 */
static int daemon_watch_locks(const char *lockdir)
{
	int fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);

	if (fd < 0) {
		log_warn("inotify: waiting for foreign lock files by back-off only");
		return -1;
	}
	if (inotify_add_watch(fd, lockdir, IN_DELETE | IN_MOVED_FROM | IN_ONLYDIR |
			      IN_DONT_FOLLOW) < 0) {
		log_warn("inotify on %s: waiting for foreign lock files by back-off only",
			 lockdir);
		close(fd);
		return -1;
	}
	return fd;
}

/*
 * Drain the lock directory's events; a LCK.. file gone (or lost events)
 * re-tries the lines.  The engine's own temporary files (.LTMP..) do not
 * count, so its own retries never wake it up again.
 */
static void daemon_lock_events(struct dengine *d)
{
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
	ssize_t n;

	while ((n = read(d->inotify, buf, sizeof(buf))) > 0) {
		for (ssize_t off = 0; off + (ssize_t)sizeof(struct inotify_event) <= n;) {
			const struct inotify_event *ev = (const void *)(buf + off);

			if (ev->mask & IN_Q_OVERFLOW)
				share_kick(&d->share);
			else if (ev->len && strncmp(ev->name, "LCK..", 5) == 0)
				share_lock_gone(&d->share);
			off += (ssize_t)sizeof(*ev) + ev->len;
		}
	}
	if (n < 0 && errno != EAGAIN && errno != EINTR) {
		/* Not to be woken for nothing on every round: back-off only. */
		log_warn("inotify on the lock directory: waiting for foreign lock files "
			 "by back-off only");
		close(d->inotify);
		d->inotify = -1;
		share_kick(&d->share);
	}
}

/* The engine's loop: until SIGTERM or the parent's end. */
static void daemon_engine_loop(struct dengine *d)
{
	struct timespec ts, *timeout;
	sigset_t none;
	unsigned int n;
	nfds_t nfds;

	sigemptyset(&none);
	while (!daemon_stop) {
		d->pfd[0] = (struct pollfd){ .fd = d->parent, .events = POLLIN };
		d->pfd[1] = (struct pollfd){ .fd = d->listener, .events = POLLIN };
		n = d->nclients;
		for (unsigned int i = 0; i < n; i++) {
			d->pfd[2 + 2 * i] = (struct pollfd){ .fd = d->clients[i]->sock,
							     .events = POLLIN };
			d->pfd[3 + 2 * i] = (struct pollfd){ .fd = d->clients[i]->pidfd,
							     .events = POLLIN };
		}
		nfds = 2 + 2 * (nfds_t)n;
		if (d->inotify >= 0)
			d->pfd[nfds++] = (struct pollfd){ .fd = d->inotify, .events = POLLIN };
		timeout = daemon_timeout(d, &ts);
		if (ppoll(d->pfd, nfds, timeout, &none) < 0) {
			if (errno == EINTR)
				continue;
			fatal("ppoll");
		}
		/* Backwards: ending client i moves the last one into slot i. */
		for (unsigned int i = n; i-- > 0;) {
			struct dclient *c = d->clients[i];

			if (d->pfd[3 + 2 * i].revents) {
				log_debug("client pid=%d exited", (int)c->ec.pid);
				daemon_client_end(d, i);
			} else if (!c->ready) {
				if (daemon_waiting(c, d->pfd[2 + 2 * i].revents) < 0)
					daemon_client_end(d, i);
			} else if (d->pfd[2 + 2 * i].revents && daemon_serve(d, c) < 0) {
				daemon_client_end(d, i);
			}
		}
		/* After the clients: a message a client sent before PROTO_READY
		 * is seen as such, even when its names came in the same round. */
		if (d->pfd[0].revents && daemon_engine_channel(d) < 0) {
			log_warnx("the privileged parent is gone: ending");
			return;
		}
		if (d->pfd[1].revents & POLLIN)
			daemon_accept(d);
		if (d->inotify >= 0 && d->pfd[2 + 2 * n].revents)
			daemon_lock_events(d);
		daemon_share_round(d);
	}
}

/* The engine process: confine, then serve until told to stop.  Never returns. */
static _Noreturn void daemon_engine(struct dengine *d)
{
	const struct daemon_config *cfg = d->cfg;
	sigset_t block;
	int r;

	sigemptyset(&block);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGINT);
	sigprocmask(SIG_BLOCK, &block, NULL); /* delivered only inside ppoll */
	signal(SIGHUP, SIG_IGN);
	signal(SIGCHLD, SIG_DFL);
	d->clients = calloc(cfg->max_conn, sizeof(*d->clients));
	d->pfd = calloc(3 + 2 * (size_t)cfg->max_conn, sizeof(*d->pfd));
	if (!d->clients || !d->pfd)
		fatal("client table");
	share_init(&d->share, &d->eng, cfg->grace_ms);
	d->inotify = daemon_watch_locks(cfg->lockdir);
	/* Identity requests to the parent never wait (daemon_ident_ask). */
	if (fcntl(d->parent, F_SETFL, O_NONBLOCK) < 0)
		fatal("parent channel");
	/* A session leader without a controlling terminal: revocation makes a
	 * port ours for the moment of vhangup() (engine_recheck). */
	if (setsid() < 0)
		fatal("setsid");
	r = confine_daemon(d->eng.env.devfd, d->eng.lockfd, d->eng.env.sysroot,
			   DAEMON_NOFILE(cfg->max_conn, cfg->max_ports));
	if (r < 0)
		_exit(EX_OSERR); /* said why; never serve half-confined */
	filter_build_warn(); /* an unfiltered (sanitizer/valgrind) build says so */
	if (d->activated)
		log_info("serving on fd %d from socket activation (engine pid %d)",
			 DAEMON_LISTEN_FD, (int)getpid());
	else
		log_info("serving on %s (engine pid %d)", cfg->socket_path, (int)getpid());
	daemon_engine_loop(d);
	while (d->nclients)
		daemon_client_end(d, d->nclients - 1);
	share_fini(&d->share);
	_exit(0);
}

/* ---- the privileged parent ------------------------------------------- */

/*
 * What the parent keeps: uid 0, to read a root-owned policy on reload, and
 * nothing else (no capability, not even in the bounding set).
 */
static int daemon_parent_drop(void)
{
	capng_clear(CAPNG_SELECT_ALL);
	if (capng_apply(CAPNG_SELECT_ALL) < 0)
		return -EPERM;
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return -errno;
	return 0;
}

/* A problem in the policy at reload: one line each, with FILE:LINE. */
static void daemon_reload_error(void *arg, const char *path, unsigned int line,
				const char *msg)
{
	(void)arg;
	if (line)
		log_warnx("reload: policy %s:%u: %s", path, line, msg);
	else
		log_warnx("reload: policy %s: %s", path, msg);
}

/* TEXT (LEN bytes) in a new memfd at offset 0.  The fd or -errno. */
static int daemon_memfd(const char *text, size_t len)
{
	size_t off = 0;
	int fd = memfd_create("ttybroker-policy", MFD_CLOEXEC | MFD_ALLOW_SEALING);

	if (fd < 0)
		return -errno;
	while (off < len) {
		ssize_t n = write(fd, text + off, len - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			goto fail;
		off += (size_t)n;
	}
	if (lseek(fd, 0, SEEK_SET) != 0 ||
	    fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE |
		  F_SEAL_SEAL) < 0)
		goto fail;
	return fd;
fail:
	{
		int r = errno ? -errno : -EIO;

		close(fd);
		return r;
	}
}

/*
 * SIGHUP: re-load and re-check the policy with the same safe load as at
 * start (uid 0 reads the root-owned file; names resolve through NSS
 * here).  A refused policy is not applied: the engine keeps the previous
 * one and each problem is logged with FILE:LINE.  A good one goes to the
 * engine on CHAN in canonical form (numeric ids, original lines) in a
 * sealed memfd with PROTO_POLICY.
 */
static void daemon_parent_reload(const struct daemon_config *cfg, int chan)
{
	struct proto_policy msg;
	struct policy *pol = NULL;
	char *text = NULL;
	size_t len = 0;
	int r, fd;

	r = policy_load(cfg->policy_path, daemon_reload_error, NULL, &pol);
	if (r < 0) {
		log_warnx("reload: policy %s refused (%s): keeping the previous one",
			  cfg->policy_path, strerror(-r));
		return;
	}
	r = policy_canon_format(pol, &text, &len);
	policy_free(pol);
	if (r < 0) {
		log_warnx("reload: %s: %s: keeping the previous one", cfg->policy_path,
			  strerror(-r));
		return;
	}
	fd = daemon_memfd(text, len);
	free(text);
	if (fd < 0) {
		errno = -fd;
		log_warn("reload: memfd: keeping the previous policy");
		return;
	}
	memset(&msg, 0, sizeof(msg));
	proto_hdr_init(&msg.hdr, PROTO_POLICY, 0);
	msg.len = (uint32_t)len;
	r = fdpass_send(chan, &msg, sizeof(msg), fd);
	close(fd);
	if (r < 0) {
		errno = -r;
		log_warn("reload: sending the policy to the engine");
		return;
	}
	log_info("reload: policy %s checked, sent to the engine", cfg->policy_path);
}

/* The pid PIDFD refers to (its "Pid:" in /proc/self/fdinfo), or -1. */
static pid_t daemon_pidfd_pid(int pidfd)
{
	char path[64], line[128];
	pid_t pid = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", pidfd);
	f = fopen(path, "re");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "Pid: %d", &pid) == 1)
			break;
	fclose(f);
	return pid;
}

/*
 * Is PIDFD's process alive?  Signal 0 checks only: without CAP_KILL the
 * parent may not signal another user's process (EPERM), which still says
 * it exists; a process that exited gives ESRCH.
 */
static bool daemon_pidfd_alive(int pidfd)
{
	return pidfd_send_signal(pidfd, 0, NULL, 0) == 0 || errno == EPERM;
}

/*
 * The engine asks who client REQ is, with the client's PIDFD (ours to
 * close).  The parent trusts nothing in it beyond what anyone may look up
 * (a uid's passwd name, a live process's comm): it answers on CHAN with
 * two bounded strings.  The comm counts only if PIDFD names REQ's pid and
 * that process is still alive after the read, so a pid reused since the
 * client connected never lends its name.  The answer is sent without
 * waiting: an engine that does not read loses it (it has a deadline).
 * The name service may be slow (LDAP, sssd): this runs outside the
 * engine, which never waits longer than DAEMON_IDENT_MS; a stuck lookup
 * fills the channel and new clients are then served at once without names.
 */
static void daemon_parent_ident(int chan, const struct proto_ident *req, int pidfd)
{
	struct proto_ident_reply rep;

	memset(&rep, 0, sizeof(rep));
	proto_hdr_init(&rep.hdr, PROTO_IDENT_REPLY, req->hdr.seq);
	rep.conn = req->conn;
	audit_user_name((uid_t)req->uid, rep.user, sizeof(rep.user));
	audit_proc_comm((pid_t)req->pid, rep.comm, sizeof(rep.comm));
	if (daemon_pidfd_pid(pidfd) != (pid_t)req->pid || !daemon_pidfd_alive(pidfd))
		rep.comm[0] = '\0';
	close(pidfd);
	if (send(chan, &rep, sizeof(rep), MSG_DONTWAIT | MSG_NOSIGNAL) != (ssize_t)sizeof(rep))
		log_warn("names of client pid=%d not sent to the engine", (int)req->pid);
}

/*
 * One message on the parent channel, at the parent's end: an engine ->
 * parent message (PROTO_FROM_ENGINE), today an identity request with the
 * client's pidfd.  Anything malformed is logged and ignored, and every
 * descriptor that came is closed.  Returns 0, or -1 when the engine is gone.
 */
static int daemon_parent_channel(int chan)
{
	union proto_msg msg;
	int fd, r;

	r = daemon_channel_recv(chan, PROTO_FROM_ENGINE, "engine channel", &msg, &fd);
	if (r <= 0)
		return r;
	if (msg.hdr.type == PROTO_IDENT) {
		daemon_parent_ident(chan, &msg.ident, fd);
		fd = -1;
	}
	if (fd >= 0)
		close(fd);
	return 0;
}

/* Wait for the engine's end or a signal; returns the exit status. */
static int daemon_parent_loop(const struct daemon_config *cfg, pid_t engine, int chan)
{
	struct pollfd p = { .fd = chan, .events = POLLIN };
	sigset_t block, none;
	int st = 0;

	sigemptyset(&block);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGHUP);
	sigaddset(&block, SIGCHLD);
	sigprocmask(SIG_BLOCK, &block, NULL);
	sigemptyset(&none);
	for (;;) {
		if (daemon_stop) {
			kill(engine, SIGTERM);
			while (waitpid(engine, &st, 0) < 0 && errno == EINTR)
				;
			return 0;
		}
		if (daemon_hup) {
			daemon_hup = 0;
			daemon_parent_reload(cfg, chan);
		}
		if (daemon_child || p.revents) {
			bool gone = p.revents && daemon_parent_channel(chan) < 0;
			bool reaped = waitpid(engine, &st, WNOHANG) == engine;

			/* Reaped already: a second waitpid() would fail and lose st. */
			if (reaped || gone) {
				if (!reaped && waitpid(engine, &st, 0) < 0)
					st = 0;
				log_warnx("the engine process ended (%s %d): exiting",
					  WIFSIGNALED(st) ? "signal" : "status",
					  WIFSIGNALED(st) ? WTERMSIG(st) : WEXITSTATUS(st));
				return EX_OSERR;
			}
			daemon_child = 0;
		}
		p.revents = 0;
		if (ppoll(&p, 1, NULL, &none) < 0 && errno != EINTR)
			return EX_OSERR;
	}
}

/* Remove our socket file, if it is still the one we bound. */
static void daemon_unlink(const char *path, const struct stat *bound)
{
	struct stat st;

	if (lstat(path, &st) == 0 && S_ISSOCK(st.st_mode) && st.st_dev == bound->st_dev &&
	    st.st_ino == bound->st_ino)
		unlink(path);
}

int daemon_main(const struct daemon_config *cfg)
{
	struct dengine d = { .cfg = cfg, .listener = -1, .parent = -1, .inotify = -1 };
	struct stat bound_st = { 0 };
	int sp[2], r, one = 1, status, act;
	bool bound = false;
	pid_t engine, parent;

	/* A startup problem is said on stderr too, detached or not. */
	log_init("ttybrokerd", cfg->foreground ? LOG_TO_STDERR : LOG_TO_STDERR | LOG_TO_SYSLOG,
		 cfg->debug ? LOG_LEVEL_DEBUG : LOG_LEVEL_INFO);
	act = daemon_listen_fds(getenv("LISTEN_PID"), getenv("LISTEN_FDS"), getpid());
	daemon_sanitize(act == 1);
	d.listener = daemon_listener(cfg, act, &bound);
	d.activated = act == 1;
	if (d.listener < 0)
		return EX_OSERR;
	if (bound && lstat(cfg->socket_path, &bound_st) < 0)
		bound = false;
	/* Inherited by the connections made from now on; the engine sets it
	 * on each accepted socket as well (see daemon_accept). */
	if (setsockopt(d.listener, SOL_SOCKET, SO_PASSCRED, &one, sizeof(one)) < 0) {
		log_warn("SO_PASSCRED");
		goto fail;
	}
	r = engine_init(&d.eng, cfg->policy_path, cfg->lockdir, cfg->devdir);
	if (r < 0)
		goto fail;
	d.eng.max_sessions = cfg->max_ports;
	audit_init(AUDIT_SYSLOG_PATH);
	if (!cfg->foreground) {
		if (daemon(0, 0) < 0) {
			log_warn("daemon");
			goto fail_engine;
		}
		log_set_sinks(LOG_TO_SYSLOG);
	}
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) < 0) {
		log_warn("socketpair");
		goto fail_engine;
	}
	parent = getpid();
	engine = fork();
	if (engine < 0) {
		log_warn("fork");
		close(sp[0]);
		close(sp[1]);
		goto fail_engine;
	}
	if (engine == 0) {
		close(sp[0]);
		d.parent = sp[1];
		/* The parent's death ends us too: by EOF on d.parent, and by
		 * this signal should the parent die before we poll. */
		if (prctl(PR_SET_PDEATHSIG, SIGTERM) < 0 || getppid() != parent)
			_exit(EX_OSERR);
		daemon_engine(&d);
	}
	close(sp[1]);
	close(d.listener);
	engine_fini(&d.eng);
	if ((r = daemon_parent_drop()) < 0) {
		errno = -r;
		log_warn("dropping the parent's capabilities");
		kill(engine, SIGTERM);
		waitpid(engine, NULL, 0);
		status = EX_OSERR;
	} else {
		status = daemon_parent_loop(cfg, engine, sp[0]);
	}
	close(sp[0]);
	if (bound)
		daemon_unlink(cfg->socket_path, &bound_st);
	return status;
fail_engine:
	engine_fini(&d.eng);
fail:
	close(d.listener);
	if (bound)
		daemon_unlink(cfg->socket_path, &bound_st);
	return EX_OSERR;
}
