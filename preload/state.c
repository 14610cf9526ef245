/* SPDX-License-Identifier: MIT */
/*
 * state.c - the preload's one broker connection and its table of ports.
 *
 * Each brokered port is kept open once, by a hidden close-on-exec
 * descriptor (the one tb_open() returned); the program gets dup()s of it
 * and the table counts them.  When the program closes the last one the
 * port is released (tb_release).  A second open of a port already held is
 * another dup, not another request (the broker would say "busy: you").
 * A mutex guards the table and the connection; a forked child forgets
 * both (the broker checks each request's pid, and releasing the parent's
 * ports would be wrong), and connects anew if it opens a port itself.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "preload.h"
#include "tb_private.h"
#include "ttybroker.h"

#define TBP_PORTS 16
#define TBP_FDS   256
#define TBP_HIDE  512 /* the preload's own descriptors go at or above this */

struct tbp_port {
	int fd;      /* the kept descriptor, -1 = free slot */
	dev_t rdev;
	int users;   /* program descriptors that are dups of it */
	bool run;    /* run's port: never released by us */
	bool borrowed; /* run: fd is the program's own fd 3, not a hidden dup */
};

struct tbp_user {
	int fd;      /* the program's descriptor, -1 = free slot */
	int port;    /* index into tbp_ports */
};

static pthread_mutex_t tbp_lock;
static struct tb_broker *tbp_broker;
static pid_t tbp_owner;                 /* pid the connection and table belong to */
static struct tbp_port tbp_ports[TBP_PORTS];
static struct tbp_user tbp_users[TBP_FDS];
static __thread int tbp_depth;

bool tbp_inside(void)
{
	return tbp_depth > 0;
}

static void tbp_enter(void)
{
	tbp_depth++;
	pthread_mutex_lock(&tbp_lock);
}

static void tbp_leave(void)
{
	pthread_mutex_unlock(&tbp_lock);
	tbp_depth--;
}

static void tbp_mutex_init(void)
{
	pthread_mutexattr_t a;

	pthread_mutexattr_init(&a);
	pthread_mutexattr_settype(&a, PTHREAD_MUTEX_RECURSIVE);
	pthread_mutex_init(&tbp_lock, &a);
	pthread_mutexattr_destroy(&a);
}

/* fork(): hold the lock across it so the child's copy is consistent. */
static void tbp_prefork(void)
{
	pthread_mutex_lock(&tbp_lock);
}

static void tbp_postfork_parent(void)
{
	pthread_mutex_unlock(&tbp_lock);
}

static void tbp_postfork_child(void)
{
	tbp_mutex_init();
}

/*
 * In a process other than the one that connected (a forked child): close
 * our copy of the connection and the kept descriptors, forget the table;
 * the parent's ports stay the parent's.  run's port is kept (it is ours
 * to dup, run releases it).  The handle itself is leaked: tb_shutdown()
 * would release the parent's ports.
 */
static void tbp_check_owner(void)
{
	pid_t self = getpid();

	if (tbp_owner == self)
		return;
	if (tbp_broker)
		tbp_real.close(tb_fd(tbp_broker));
	tbp_broker = NULL;
	for (int i = 0; i < TBP_PORTS; i++)
		if (tbp_ports[i].fd >= 0 && !tbp_ports[i].run) {
			tbp_real.close(tbp_ports[i].fd);
			tbp_ports[i].fd = -1;
		}
	/* The copies of run's port it inherited are its own: still counted. */
	for (int i = 0; i < TBP_FDS; i++)
		if (tbp_users[i].fd >= 0 && !tbp_ports[tbp_users[i].port].run)
			tbp_users[i].fd = -1;
	tbp_owner = self;
}

/*
 * Under run: fd 3 is run's port when its device is TTYBROKER_PRELOAD_RDEV.
 * Opens of the port by name are dups of fd 3; only when the program is
 * about to close (or replace) fd 3 does the preload keep a hidden
 * close-on-exec dup (run_keep), so that it can still reopen the port.
 * Until then the program sees no descriptor of ours.  Runs once, from
 * tbp_resolve(), before any wrapper looks at the table: other libraries'
 * constructors may call close() before ours would run.
 */
void tbp_state_init(void)
{
	const char *s = getenv(TBP_ENV_RUN_RDEV);
	unsigned int maj, min;
	struct stat st;
	tbp_mutex_init();
	pthread_atfork(tbp_prefork, tbp_postfork_parent, tbp_postfork_child);
	tbp_owner = getpid();
	for (int i = 0; i < TBP_PORTS; i++)
		tbp_ports[i].fd = -1;
	for (int i = 0; i < TBP_FDS; i++)
		tbp_users[i].fd = -1;
	if (!s || sscanf(s, "%u:%u", &maj, &min) != 2)
		return;
	if (fstat(3, &st) < 0 || !S_ISCHR(st.st_mode) || st.st_rdev != makedev(maj, min))
		return;
	tbp_ports[0] = (struct tbp_port){ .fd = 3, .rdev = st.st_rdev, .run = true,
					  .borrowed = true };
}

/* The program is about to lose FD: if it is run's borrowed fd 3, keep a hidden dup. */
static void tbp_run_keep(int fd)
{
	struct tbp_port *p = &tbp_ports[0];
	int h;

	if (!p->run || !p->borrowed || p->fd != fd)
		return;
	h = fcntl(fd, F_DUPFD_CLOEXEC, TBP_HIDE);
	p->borrowed = false;
	p->fd = h;
	if (h >= 0)
		return;
	/* The port can no longer be reopened, and its slot is free for
	 * another: the program's copies of it are no longer counted there
	 * (run releases it when the program ends). */
	p->run = false;
	p->users = 0;
	for (int i = 0; i < TBP_FDS; i++)
		if (tbp_users[i].fd >= 0 && tbp_users[i].port == 0)
			tbp_users[i].fd = -1;
}

bool tbp_is_run_port(dev_t rdev)
{
	bool r = false;

	tbp_enter();
	tbp_check_owner();
	for (int i = 0; i < TBP_PORTS; i++)
		if (tbp_ports[i].fd >= 0 && tbp_ports[i].run && tbp_ports[i].rdev == rdev)
			r = true;
	tbp_leave();
	return r;
}

/* One line on stderr, "ttybroker: PATH: WHY", unless TTYBROKER_PRELOAD_QUIET=1. */
static void tbp_say(const char *path, const char *why, const char *more)
{
	const char *q = getenv(TBP_ENV_QUIET);
	char line[512];
	int n;

	if (q && strcmp(q, "1") == 0)
		return;
	n = snprintf(line, sizeof(line), "ttybroker: %s: %s%s%s\n", path, why,
		     more && *more ? ": " : "", more ? more : "");
	if (n > (int)sizeof(line) - 1)
		n = (int)sizeof(line) - 1;
	if (n > 0 && write(2, line, (size_t)n) < 0)
		return;
}

/* Why the broker said no, as one line. */
static void tbp_refused(const char *path, int err, const struct tb_status *st)
{
	char more[200] = "";

	if (st->reason == TB_R_OK || st->reason == TB_R_BROKER) {
		tbp_say(path, tb_strerror(err), NULL);
		return;
	}
	if (st->reason == TB_R_BUSY && st->holder_pid > 0)
		snprintf(more, sizeof(more), "held by pid %d%s%s%s", st->holder_pid,
			 st->holder_comm[0] ? " (" : "", st->holder_comm,
			 st->holder_comm[0] ? ")" : "");
	else if (st->reason == TB_R_BUSY && st->holder == TB_HOLDER_FLOCK)
		snprintf(more, sizeof(more), "flock()ed by another program");
	else if (st->reason == TB_R_BUSY && st->holder == TB_HOLDER_EXCL)
		snprintf(more, sizeof(more), "in exclusive mode (TIOCEXCL)");
	else if (st->detail[0])
		snprintf(more, sizeof(more), "%s", st->detail);
	else if (st->rule)
		snprintf(more, sizeof(more), "policy line %u", st->rule);
	tbp_say(path, tb_reason_str(st->reason), more);
}

/*
 * Connect once per process: the daemon, else the helper (never a fork as
 * root).  The connection goes out of the low numbers, which a program
 * takes for its own (a shell moves and closes an open fd 3 before its
 * `exec 3<>`); if that fails it works where it is.
 */
static int tbp_connect(void)
{
	struct tb_options o = { .log = TB_LOG_QUIET };
	int r;

	if (tbp_broker)
		return 0;
	o.via = geteuid() == 0 ? TB_VIA_DAEMON : TB_VIA_AUTO;
	if ((r = tb_init(&o, &tbp_broker)) < 0)
		return r;
	tb_fd_raise(tbp_broker, tb_fd(tbp_broker), TBP_HIDE);
	return 0;
}

/* Is FD in the table already? */
static bool tbp_tracked(int fd)
{
	for (int i = 0; i < TBP_FDS; i++)
		if (tbp_users[i].fd == fd)
			return true;
	return false;
}

/* Record a new program descriptor FD for port slot P. */
static int tbp_track(int fd, int p)
{
	for (int i = 0; i < TBP_FDS; i++)
		if (tbp_users[i].fd < 0) {
			tbp_users[i] = (struct tbp_user){ .fd = fd, .port = p };
			tbp_ports[p].users++;
			return 0;
		}
	return -EMFILE;
}

/*
 * A program descriptor for slot P, as an open with FLAGS would give it:
 * its own close-on-exec flag; O_NONBLOCK set or cleared on the shared
 * open file description (so it changes for every dup of the port: the
 * last open wins); and, without O_NOCTTY, the port as controlling tty
 * when the caller is a session leader without one, as open(2) would.
 */
static int tbp_give(int p, int flags)
{
	int fd, fl;

	fd = fcntl(tbp_ports[p].fd, (flags & O_CLOEXEC) ? F_DUPFD_CLOEXEC : F_DUPFD, 0);
	if (fd < 0)
		return -errno;
	fl = fcntl(fd, F_GETFL);
	if (fl >= 0)
		fcntl(fd, F_SETFL, (flags & O_NONBLOCK) ? fl | O_NONBLOCK : fl & ~O_NONBLOCK);
	if (!(flags & O_NOCTTY) && getsid(0) == getpid())
		ioctl(fd, TIOCSCTTY, 0);
	if (tbp_track(fd, p) < 0) {
		tbp_real.close(fd);
		return -EMFILE;
	}
	return fd;
}

int tbp_broker_open(const char *path, const char *name, dev_t rdev, int flags, int err)
{
	struct tb_status st;
	int p = -1, fd, r;

	tbp_enter();
	tbp_check_owner();
	for (int i = 0; i < TBP_PORTS; i++)
		if (tbp_ports[i].fd >= 0 && tbp_ports[i].rdev == rdev)
			p = i;
	if (p < 0) {
		for (int i = 0; i < TBP_PORTS && p < 0; i++)
			if (tbp_ports[i].fd < 0)
				p = i;
		if (p < 0) {
			r = -err;
			goto out;
		}
		if ((r = tbp_connect()) < 0) {
			tbp_say(path, tb_strerror(r), NULL);
			r = -err;
			goto out;
		}
		memset(&st, 0, sizeof(st));
		fd = tb_open(tbp_broker, name, 0, &st);
		if (fd < 0) {
			/* Not a port the broker knows: the program's own error stands. */
			if (st.reason == TB_R_NODEV || st.reason == TB_R_NOTTY ||
			    st.reason == TB_R_NAME) {
				r = -err;
				goto out;
			}
			tbp_refused(path, fd, &st);
			r = fd == -ECONNRESET || fd == -EPROTO ? -err : fd;
			goto out;
		}
		/* Kept out of the low numbers too (or where it is, if that fails). */
		r = tb_fd_raise(tbp_broker, fd, TBP_HIDE);
		tbp_ports[p] = (struct tbp_port){ .fd = r >= 0 ? r : fd, .rdev = rdev };
	}
	r = tbp_give(p, flags);
	if (r < 0 && tbp_ports[p].users == 0 && !tbp_ports[p].run) {
		tb_release(tbp_broker, tbp_ports[p].fd);
		tbp_ports[p].fd = -1;
	}
out:
	tbp_leave();
	if (r < 0) {
		errno = -r;
		return -1;
	}
	return r;
}

/*
 * The program's last descriptor of port slot P that we know of is going,
 * with every fd in [LO, HI]: does it still have the port under a number
 * we never saw (a dup(), fcntl(F_DUPFD) or dup2() copy, as a shell makes
 * for `exec 3<>PORT`)?  Such copies, found by device number in
 * /proc/self/fd, are adopted, so the port stays held until the last of
 * them is closed.  Returns how many.
 */
static int tbp_adopt_copies(int p, int lo, int hi)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *de;
	int n = 0;

	if (!d)
		return 0;
	while ((de = readdir(d))) {
		char *end;
		long fd = strtol(de->d_name, &end, 10);
		struct stat st;

		if (*end || end == de->d_name || (fd >= lo && fd <= hi) || fd == dirfd(d) ||
		    fd == tbp_ports[p].fd || (tbp_broker && fd == tb_fd(tbp_broker)) ||
		    tbp_tracked((int)fd))
			continue;
		if (fstat((int)fd, &st) == 0 && S_ISCHR(st.st_mode) &&
		    st.st_rdev == tbp_ports[p].rdev && tbp_track((int)fd, p) == 0)
			n++;
	}
	closedir(d);
	return n;
}

/*
 * Drop FD from the table (its range [LO, HI] is being closed); release
 * its port with the program's last descriptor of it.
 */
static void tbp_forget_locked(int fd, int lo, int hi)
{
	for (int i = 0; i < TBP_FDS; i++) {
		struct tbp_port *p;

		if (tbp_users[i].fd != fd)
			continue;
		tbp_users[i].fd = -1;
		p = &tbp_ports[tbp_users[i].port];
		if (--p->users > 0 || p->run || tbp_adopt_copies(tbp_users[i].port, lo, hi) > 0)
			return;
		if (tbp_broker)
			tb_release(tbp_broker, p->fd);
		else
			tbp_real.close(p->fd);
		p->fd = -1;
		return;
	}
}

bool tbp_is_kept(int fd)
{
	bool r = false;

	if (fd < 0)
		return false;
	tbp_enter();
	tbp_check_owner();
	for (int i = 0; i < TBP_PORTS; i++)
		r |= tbp_ports[i].fd == fd && !tbp_ports[i].borrowed;
	r |= tbp_broker && tb_fd(tbp_broker) == fd;
	tbp_leave();
	return r;
}

void tbp_forget(int fd)
{
	if (fd < 0)
		return;
	tbp_enter();
	tbp_check_owner();
	tbp_run_keep(fd);
	tbp_forget_locked(fd, fd, fd);
	tbp_leave();
}

void tbp_forget_range(unsigned int first, unsigned int last)
{
	tbp_enter();
	tbp_check_owner();
	if (tbp_ports[0].borrowed && (unsigned int)tbp_ports[0].fd >= first &&
	    (unsigned int)tbp_ports[0].fd <= last)
		tbp_run_keep(tbp_ports[0].fd);
	for (int i = 0; i < TBP_FDS; i++)
		if (tbp_users[i].fd >= 0 && (unsigned int)tbp_users[i].fd >= first &&
		    (unsigned int)tbp_users[i].fd <= last)
			tbp_forget_locked(tbp_users[i].fd, (int)first,
					  last > INT_MAX ? INT_MAX : (int)last);
	tbp_leave();
}

/* Set up early even if no wrapper was called yet (run's fd 3 is in use). */
__attribute__((constructor)) static void tbp_init(void)
{
	tbp_resolve();
}
