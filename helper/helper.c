/* SPDX-License-Identifier: MIT */
/*
 * helper.c - ttybroker-helper, the setuid-root way in for a program that
 * never had root.
 *
 * libttybroker (frontend/connect.c) executes it with one end of an AF_UNIX
 * SOCK_SEQPACKET socketpair on PROTO_HELPER_FD.  It serves exactly that one
 * client, the process that executed it, and then becomes the same backend
 * as the fork way: backend_main() sanitizes, loads the built-in policy,
 * confines, sends PROTO_READY and serves until EOF.
 *
 * Everything it inherits belongs to the caller and is treated as hostile
 * (docs/DESIGN.md, "The helper's threat model"): argv (ignored, argc may
 * be 0), fds 0-2 (may be closed), the environment (cleared), rlimits
 * (reset), the umask, the working directory, and the caller's right to
 * signal a process whose real uid is its own (gone once every uid is 0).  It takes no paths and no options: the
 * policy and lock directory are the built-in ones, the log goes to syslog.
 * The requester is the real uid and gid and the supplementary groups the
 * kernel gave the process, never a name-service answer about them.
 *
 * Any refusal exits with EX_OSERR (71) after one line on stderr.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <syslog.h>
#include <sysexits.h>
#include <unistd.h>

#include "audit.h"
#include "backend.h"
#include "confine.h"
#include "fdpass.h"
#include "lock.h"
#include "log.h"
#include "policy.h"
#include "proto.h"

#define HELPER_NAME "ttybroker-helper"

/* Who executed us, as the kernel says before we change any id. */
struct helper_caller {
	uid_t uid;
	gid_t gid;
	int ngroups;          /* -1: more than POLICY_MAX_GROUPS */
	gid_t groups[POLICY_MAX_GROUPS];
};

/*
 * The caller's limits could starve or kill us half-way (RLIMIT_CPU,
 * RLIMIT_NOFILE 3, RLIMIT_FSIZE 0 truncating a lock file, a tiny
 * RLIMIT_AS or RLIMIT_STACK) or leave a core file with the policy in it.
 * VAL is what we set; without CAP_SYS_RESOURCE (some containers) a hard
 * limit cannot be raised, and then it must be at least MIN (what the
 * backend needs) and the soft limit goes up to it.  backend_main() later
 * lowers NOFILE to CONFINE_NOFILE.
 */
static const struct {
	int res;
	const char *name;
	rlim_t val, min;
} helper_limits[] = {
	{ RLIMIT_CPU, "RLIMIT_CPU", RLIM_INFINITY, 0 },
	{ RLIMIT_FSIZE, "RLIMIT_FSIZE", RLIM_INFINITY, CONFINE_FSIZE_MIN },
	{ RLIMIT_DATA, "RLIMIT_DATA", RLIM_INFINITY, 64u << 20 },
	{ RLIMIT_STACK, "RLIMIT_STACK", 8u << 20, 1u << 20 },
	{ RLIMIT_CORE, "RLIMIT_CORE", 0, 0 },
	{ RLIMIT_NOFILE, "RLIMIT_NOFILE", 1024, CONFINE_NOFILE },
	{ RLIMIT_AS, "RLIMIT_AS", RLIM_INFINITY, 256u << 20 },
	{ RLIMIT_RTTIME, "RLIMIT_RTTIME", RLIM_INFINITY, 0 },
};

/* One line on stderr, whatever fd 2 is (it may be closed: then nothing). */
static void helper_say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void helper_say(const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	dprintf(STDERR_FILENO, "%s\n", msg);
}

/* The ids and groups of the process that executed us. */
static void helper_caller_get(struct helper_caller *c)
{
	memset(c, 0, sizeof(*c));
	c->uid = getuid();
	c->gid = getgid();
	c->ngroups = getgroups(POLICY_MAX_GROUPS, c->groups);
	if (c->ngroups < 0)
		c->ngroups = -1; /* EINVAL: too many to hold; refused later */
}

/*
 * Every uid and gid 0, and no supplementary groups: from here on the caller
 * (whose real uid we had) can no longer signal or ptrace us.  Fails unless
 * the executable is setuid-root (effective uid 0).
 */
static int helper_become_root(void)
{
	uid_t ru, eu, su;
	gid_t rg, eg, sg;

	if (geteuid() != 0)
		return -EPERM;
	if (setresgid(0, 0, 0) < 0 || setgroups(0, NULL) < 0 || setresuid(0, 0, 0) < 0)
		return -errno;
	if (getresuid(&ru, &eu, &su) < 0 || getresgid(&rg, &eg, &sg) < 0)
		return -errno;
	if (ru || eu || su || rg || eg || sg)
		return -EPERM;
	return 0;
}

/* Reset one limit to VAL, or as near as a hard limit we may not raise allows. */
static int helper_rlimit(int res, rlim_t val, rlim_t min, rlim_t *hard)
{
	struct rlimit rl = { val, val };

	if (setrlimit(res, &rl) == 0)
		return 0;
	if (errno != EPERM || getrlimit(res, &rl) < 0)
		return -errno;
	*hard = rl.rlim_max;
	if (rl.rlim_max < min)
		return -ERANGE;
	rl.rlim_cur = val < rl.rlim_max ? val : rl.rlim_max;
	return setrlimit(res, &rl) < 0 ? -errno : 0;
}

/* Reset every limit in helper_limits, or say which one we cannot live with. */
static void helper_rlimits(void)
{
	for (size_t i = 0; i < sizeof(helper_limits) / sizeof(helper_limits[0]); i++) {
		rlim_t hard = 0;
		int r = helper_rlimit(helper_limits[i].res, helper_limits[i].val,
				      helper_limits[i].min, &hard);

		if (r == -ERANGE) {
			helper_say(HELPER_NAME ": %s: the hard limit %llu is below %llu",
				   helper_limits[i].name, (unsigned long long)hard,
				   (unsigned long long)helper_limits[i].min);
			_exit(EX_OSERR);
		}
		if (r < 0) {
			helper_say(HELPER_NAME ": %s: %s", helper_limits[i].name, strerror(-r));
			_exit(EX_OSERR);
		}
	}
}

/*
 * Open /dev/null on each closed fd of 0-2.  open() takes the lowest free
 * fd, which is the one being fixed (the lower ones are open by then), so
 * the socket on PROTO_HELPER_FD is never touched.
 */
static int helper_fix_stdio(void)
{
	for (int fd = 0; fd < 3; fd++) {
		int n;

		if (fcntl(fd, F_GETFD) >= 0 || errno != EBADF)
			continue;
		n = open("/dev/null", O_RDWR);
		if (n < 0)
			return -errno;
		if (n != fd) {
			close(n);
			return -EBADF;
		}
	}
	return 0;
}

static int helper_sockopt(int fd, int opt, void *val, socklen_t len)
{
	socklen_t l = len;

	if (getsockopt(fd, SOL_SOCKET, opt, val, &l) < 0)
		return -errno;
	return l == len ? 0 : -EPROTO;
}

/*
 * The socket must be a connected AF_UNIX SOCK_SEQPACKET socket whose peer
 * is our parent (SO_PEERCRED is who made the socketpair) with the caller's
 * uid; a socket made by another process and handed to the caller, or a
 * listening one, is refused.  Fills *PEER.  NULL, or why not.
 */
static const char *helper_check_socket(int fd, const struct helper_caller *c,
				       struct ucred *peer)
{
	static char why[160];
	int domain, type, listening;

	if (fcntl(fd, F_GETFD) < 0)
		return "no socket on fd 3 (ttybroker-helper is started by libttybroker)";
	if (helper_sockopt(fd, SO_DOMAIN, &domain, sizeof(domain)) < 0)
		return "fd 3 is not a socket";
	if (domain != AF_UNIX)
		return "fd 3 is not an AF_UNIX socket";
	if (helper_sockopt(fd, SO_TYPE, &type, sizeof(type)) < 0 || type != SOCK_SEQPACKET)
		return "fd 3 is not a SOCK_SEQPACKET socket";
	if (helper_sockopt(fd, SO_ACCEPTCONN, &listening, sizeof(listening)) < 0 || listening)
		return "fd 3 is a listening socket";
	if (helper_sockopt(fd, SO_PEERCRED, peer, sizeof(*peer)) < 0)
		return "fd 3 has no peer credentials";
	if (peer->pid <= 0 || peer->pid != getppid() || peer->uid != c->uid) {
		snprintf(why, sizeof(why), "fd 3's peer (pid %d uid %u) is not the process "
			 "that executed ttybroker-helper (pid %d uid %u)", (int)peer->pid,
			 (unsigned int)peer->uid, (int)getppid(), (unsigned int)c->uid);
		return why;
	}
	return NULL;
}

/* The backend's configuration: built-in paths, syslog, the caller as peer. */
static void helper_config(const struct helper_caller *c, const struct ucred *peer,
			  struct backend_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->policy_path = POLICY_DEFAULT_PATH;
	cfg->lockdir = LOCK_DEFAULT_DIR;
	cfg->devdir = "/dev";
	cfg->log_flags = 0; /* syslog only, whatever the caller would like */
	cfg->peer_pid = peer->pid;
	cfg->peer_uid = c->uid; /* every SCM_CREDENTIALS shows real ids */
	cfg->peer_gid = c->gid;
	cfg->subject.uid = c->uid;
	cfg->subject.gid = c->gid;
	cfg->subject.ngroups = (size_t)c->ngroups;
	memcpy(cfg->subject.groups, c->groups, sizeof(cfg->subject.groups));
	audit_user_name(c->uid, cfg->peer_user, sizeof(cfg->peer_user));
	audit_proc_comm(peer->pid, cfg->peer_comm, sizeof(cfg->peer_comm));
}

int main(int argc, char **argv)
{
	static struct backend_config cfg;
	struct helper_caller caller;
	const char *why;
	struct ucred peer;
	int r;

	(void)argc; /* argv is the caller's and may be empty: never read */
	(void)argv;
	helper_caller_get(&caller);
	if (helper_become_root() < 0) {
		helper_say("ttybroker-helper is not setuid-root "
			   "(install it with 'make install-setuid')");
		_exit(EX_OSERR);
	}
	helper_rlimits();
	if ((r = helper_fix_stdio()) < 0) {
		helper_say(HELPER_NAME ": /dev/null: %s", strerror(-r));
		_exit(EX_OSERR);
	}
	umask(022);
	if (clearenv() != 0 || chdir("/") < 0) /* and pin none of the caller's mounts */
		_exit(EX_OSERR);
	if (close_range(PROTO_HELPER_FD + 1, ~0U, 0) < 0)
		_exit(EX_OSERR);
	log_init(HELPER_NAME, LOG_TO_STDERR | LOG_TO_SYSLOG, LOG_LEVEL_INFO);
	if ((why = helper_check_socket(PROTO_HELPER_FD, &caller, &peer)))
		fatalx("refused: %s", why);
	if (caller.ngroups < 0)
		fatalx("refused: uid %u is in more than %d groups",
		       (unsigned int)caller.uid, POLICY_MAX_GROUPS);
	if (fcntl(PROTO_HELPER_FD, F_SETFD, FD_CLOEXEC) < 0 ||
	    (r = fdpass_want_creds(PROTO_HELPER_FD)) < 0)
		fatal("fd 3");
	helper_config(&caller, &peer, &cfg);
	/* The parent may have died while we read its name: then it is not ours. */
	if (getppid() != peer.pid)
		fatalx("refused: the calling process went away");
	/* backend_main() closes every fd but 0-2 and the socket, and opens
	 * its own log: syslog must not keep a number that gets reused. */
	closelog();
	backend_main(PROTO_HELPER_FD, &cfg);
}
