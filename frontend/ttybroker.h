/* SPDX-License-Identifier: MIT */
/*
 * ttybroker.h - open serial ports without running as root.
 *
 * A program that starts with root privilege (run by root, through sudo, or
 * installed setuid-root) calls tb_init() first thing in main(), before it
 * creates threads or opens anything it cares about.  tb_init() forks a
 * small privileged backend over a socketpair and then drops the calling
 * process, for good, to its target user.  From then on the program asks
 * for ports by name with tb_open() and gets an open descriptor or an error.
 * A program that never had root calls tb_init() the same way: it then
 * reaches a running ttybrokerd or executes the setuid-root ttybroker-helper
 * and stays as it is (see tb_init() and ttybroker(3)).
 *
 *     struct tb_broker *b;
 *     int fd, r;
 *
 *     if ((r = tb_init(NULL, &b)) < 0)
 *             errx(1, "tb_init: %s", tb_strerror(r));
 *     // ... now unprivileged ...
 *     if ((fd = tb_open(b, "ttyUSB0", 0, NULL)) < 0)
 *             errx(1, "ttyUSB0: %s", tb_strerror(fd));
 *     // ... use fd ...
 *     tb_release(b, fd);
 *     tb_shutdown(b);
 *
 * Link with `pkg-config --libs ttybroker`.  Every function returns 0 (or a
 * descriptor) on success and a negative errno value on failure.  A broker
 * handle is not thread-safe: use it from one thread at a time.  A forked
 * child must not use it (the backend checks every request's pid and drops
 * the connection); close tb_fd() in children that do not exec.
 */
#ifndef TTYBROKER_H
#define TTYBROKER_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

#define TB_EXPORT __attribute__((visibility("default")))

/* Why tb_open() failed, finer than its errno; see tb_reason_str(). */
enum tb_reason {
	TB_R_OK = 0,
	TB_R_NAME,      /* malformed port name                 (-EINVAL)      */
	TB_R_NODEV,     /* no such device                      (-ENOENT, ...) */
	TB_R_NOTTY,     /* not a serial tty                    (-ENOTTY)      */
	TB_R_DENIED,    /* denied by policy                    (-EACCES)      */
	TB_R_CLASS,     /* console, VT or another user's pty   (-EPERM)       */
	TB_R_BUSY,      /* locked by another program           (-EBUSY)       */
	TB_R_POLICY,    /* policy file missing, invalid or unsafe (-EACCES)   */
	TB_R_BROKER,    /* backend failure or lost connection                 */
};

/* tb_init() options.  Zero-fill, then set what you need. */
struct tb_options {
	/* Policy file; NULL means /etc/ttybroker.conf.  Ignored when setuid. */
	const char *policy;
	/* UUCP lock directory; NULL means /run/lock.  Ignored when setuid. */
	const char *lockdir;
	/*
	 * User (name or numeric uid) to drop to when the process runs as real
	 * root.  NULL means SUDO_UID/SUDO_GID under sudo, and is an error
	 * (-EINVAL) for plain root.  Ignored when setuid: the target is then
	 * always the real uid.
	 */
	const char *user;
	/* TB_LOG_* flags for the backend's audit and error log. */
	unsigned int log;
	/* TB_VIA_*: which way in; TB_VIA_AUTO (0) picks one, see tb_init(). */
	unsigned int via;
};

/* Ways to reach the privileged backend (tb_options.via). */
#define TB_VIA_AUTO   0u /* fork if euid 0, else daemon, else helper */
#define TB_VIA_FORK   1u /* fork it (needs euid 0) and drop            */
#define TB_VIA_DAEMON 2u /* connect to ttybrokerd's socket             */
#define TB_VIA_HELPER 3u /* execute the setuid-root ttybroker-helper   */

#define TB_LOG_STDERR 0x1u /* also log to stderr (audit lines included) */
#define TB_LOG_QUIET  0x2u /* no syslog: for tests and demos            */
#define TB_LOG_DEBUG  0x4u /* debug messages                            */

/* tb_open() flags. */
#define TB_NONBLOCK 0x1 /* leave O_NONBLOCK set on the returned fd */
/* Sharing a busy port: ttybrokerd only (elsewhere -EOPNOTSUPP, TB_R_BROKER). */
#define TB_WAIT     0x2 /* busy: wait in line (tb_open_options.wait_ms)   */
#define TB_YIELD    0x4 /* this hold may be taken over by a TB_TAKE        */
#define TB_TAKE     0x8 /* take the port from a holder that opened with TB_YIELD */

/* Who holds a busy port (TB_R_BUSY). */
enum tb_holder {
	TB_HOLDER_NONE = 0, /* not busy, or not known                        */
	TB_HOLDER_LOCKFILE, /* a live LCK.. file: holder_pid, holder_comm      */
	TB_HOLDER_FLOCK,    /* flock() on the device by another program      */
	TB_HOLDER_EXCL,     /* the tty is in exclusive mode (TIOCEXCL)        */
	TB_HOLDER_SELF,     /* this program already has it open via tb_open() */
};

/* What tb_open() learned, beyond its return value. */
struct tb_status {
	enum tb_reason reason;
	unsigned int rule;   /* policy line that decided, 0 if none  */
	char kname[128];     /* kernel name, e.g. "ttyUSB0" for a by-id link */
	enum tb_holder holder; /* TB_R_BUSY: who holds the port              */
	int holder_pid;      /* TB_HOLDER_LOCKFILE/SELF: the holder's pid, else 0 */
	char holder_comm[16]; /* its program name (/proc/PID/comm), or ""    */
	char detail[160];    /* one line from the backend, e.g. for TB_R_POLICY
				"/etc/ttybroker.conf:3: unknown user 'bob'"; or "" */
};

struct tb_broker;

/* At most this many ports in one tb_list(). */
#define TB_LIST_MAX 256

/* One port in tb_list(): what the backend says about it, for this caller. */
struct tb_port {
	char kname[128];     /* kernel name: "ttyUSB0", "ttyS0", "pts/3"          */
	char by_id[128];     /* its link in /dev/serial/by-id, or ""              */
	char by_path[128];   /* its link in /dev/serial/by-path, or ""            */
	int usb;             /* 1: a USB device is above it (the fields below)    */
	unsigned int usb_vendor, usb_product; /* idVendor, idProduct           */
	int usb_interface;   /* bInterfaceNumber, -1 if none or unknown           */
	char usb_serial[128];       /* USB strings as the device gives them      */
	char usb_manufacturer[128]; /* (any bytes but NUL), "" when absent       */
	char usb_product_name[128];
	char phys_path[128]; /* physical path (as by-path shows it), or ""       */
	int pty;             /* 1: one of your pseudo-terminals                   */
	enum tb_reason reason; /* TB_R_OK (tb_open would be permitted by policy),
				  TB_R_DENIED, TB_R_POLICY, or TB_R_BROKER (its
				  identity could not be read: no verdict)         */
	unsigned int rule;   /* policy line that decided, 0 if none               */
	char detail[160];    /* "FILE:LINE" of that rule, "" for none; for
				TB_R_POLICY or TB_R_BROKER why there is no verdict */
	enum tb_holder holder; /* TB_HOLDER_NONE (free), _LOCKFILE, _FLOCK, _SELF */
	int holder_pid;      /* the holder's pid, 0 if unknown                    */
	char holder_comm[16]; /* its program name (/proc/PID/comm), or ""        */
};

/* What tb_next_event() (or tb_open_options.queued) reports. */
enum tb_event_type {
	TB_EV_NONE = 0,
	TB_EV_QUEUED,   /* tb_open() waits in line: position, holder, pid, comm */
	TB_EV_TAKE,     /* a TB_TAKE asks for FD: release it within grace_ms   */
	TB_EV_REVOKED,  /* FD was hung up and handed to a taker: tb_release it */
	TB_EV_HANDBACK, /* the port is yours again: FD is a new descriptor     */
	TB_EV_REFUSED,  /* it will not come back (reason says why): stop waiting */
};

struct tb_event {
	enum tb_event_type type;
	int fd;                /* TAKE, REVOKED: your descriptor of the port;
				  HANDBACK: the new one; else -1            */
	unsigned int grace_ms; /* TAKE: time left before the hang-up           */
	unsigned int position; /* QUEUED: place in line, 1 = next              */
	enum tb_holder holder; /* QUEUED: who holds the port                   */
	int pid;               /* QUEUED: the holder; TAKE, REVOKED: the taker */
	char comm[16];         /* that process's program name, or ""           */
	char kname[128];       /* the port's kernel name                       */
	enum tb_reason reason; /* REFUSED: why the port was not handed back    */
};

/* tb_open_ex() options.  Zero-fill, then set what you need. */
struct tb_open_options {
	/* TB_WAIT: give up (-EBUSY, TB_R_BUSY) after this many milliseconds
	 * in line (at most a day); 0 waits as long as it takes. */
	unsigned int wait_ms;
	/* Called once, from inside tb_open_ex(), when the request waits in
	 * line (TB_EV_QUEUED), e.g. to tell the user where it stands. */
	void (*queued)(const struct tb_event *ev, void *arg);
	void *arg;
};

/*
 * Reach the backend.  With effective uid 0 (TB_VIA_AUTO or TB_VIA_FORK):
 * fork it and drop privileges; on success *OUT is the broker handle and
 * the process now runs as the target user, with no capabilities and no
 * way back to root.  Otherwise (or with TB_VIA_DAEMON/TB_VIA_HELPER) the
 * process stays as it is and is the requester, by its real uid and its
 * groups: connect to ttybrokerd ($TTYBROKER_SOCKET, else
 * /run/ttybroker.sock), else execute the setuid-root helper
 * ($TTYBROKER_HELPER, else LIBEXECDIR/ttybroker/ttybroker-helper); the
 * variables count only outside secure mode (AT_SECURE), and policy,
 * lockdir and user are ignored.  -ENOTCONN if neither is there.  On
 * failure nothing is left running, but if the backend failed the caller
 * has already dropped privileges; it should exit.  Returns 0, -EPERM
 * (TB_VIA_FORK without root), -EINVAL (no target user, or root, or an
 * unknown via), -ENOENT (unknown user), -ENOTCONN (no broker),
 * -E2BIG (user in more than 256 groups),
 * -ECHILD (the backend could not start or confine itself, e.g. a missing
 * lock directory; it says why on stderr), -ECONNRESET (the backend died
 * before it was ready), or the errno of a failed step.
 * The backend's descriptor is close-on-exec.
 */
TB_EXPORT int tb_init(const struct tb_options *opts, struct tb_broker **out);

/*
 * Open PORT ("ttyUSB0", "/dev/ttyUSB0", "pts/3", "serial/by-id/...")
 * through the backend.  FLAGS is 0 or TB_NONBLOCK.  Returns an fd that is
 * open O_RDWR|O_NOCTTY, close-on-exec, exclusively flock()ed and covered
 * by a LCK.. file, or a negative errno; ST (may be NULL) says why.
 */
TB_EXPORT int tb_open(struct tb_broker *b, const char *port, int flags,
		      struct tb_status *st);

/*
 * tb_open() with sharing: FLAGS may add TB_WAIT, TB_YIELD and TB_TAKE;
 * OPTS (may be NULL) bounds the wait.  With TB_WAIT or TB_TAKE a busy
 * port does not fail at once: the call blocks in line (first come, first
 * served) until the port is handed over, the wait ends, or the broker
 * goes away.  A TB_TAKE of a hold opened with TB_YIELD asks its holder to
 * let go and gets the port within ttybrokerd's grace period.  Only
 * ttybrokerd serves these flags.
 */
TB_EXPORT int tb_open_ex(struct tb_broker *b, const char *port, int flags,
			 const struct tb_open_options *opts, struct tb_status *st);

/*
 * The next event for a port this program holds or held (TB_EV_TAKE,
 * TB_EV_REVOKED, TB_EV_HANDBACK, TB_EV_REFUSED) into *EV, without
 * blocking.  Call it until it returns 0 whenever tb_fd() polls readable
 * (POLLIN), and also after each tb_open_ex() and tb_list(): events that
 * come while they wait for their reply are kept here, and tb_fd() no
 * longer shows them.  Returns 1 with *EV filled, 0 when there is none, or
 * a negative errno: -ECONNRESET, the broker is gone; -ENOBUFS, events came
 * faster than they were read and some were lost (call again for the rest;
 * the library's own records are right all the same, and a port handed
 * back that could not be kept went back to the broker).  A
 * TB_EV_HANDBACK's fd is yours like one from tb_open(); a hand-back this
 * program had no room for (tb_open()'s limit of ports) comes as
 * TB_EV_REFUSED with TB_R_BROKER.
 */
TB_EXPORT int tb_next_event(struct tb_broker *b, struct tb_event *ev);

/*
 * Close FD, obtained from tb_open(), and tell the backend to drop its
 * locks.  Needs no reply.  Returns 0, -EBADF if FD is not one of ours, or
 * the error of sending the release (FD is closed all the same).  The flock
 * lives on in any dup() of FD you still hold.
 */
TB_EXPORT int tb_release(struct tb_broker *b, int fd);

/*
 * Release every port, end the backend and free B.  The backend also ends
 * by itself, releasing all locks, when this process exits or is killed.
 */
TB_EXPORT void tb_shutdown(struct tb_broker *b);

/*
 * List the ports the backend could hand you: serial ports with hardware
 * behind them (ttyS with a UART, ttyUSB, ttyACM, ttyAMA...) and your own
 * pseudo-terminals, sorted by kernel name, at most TB_LIST_MAX; never
 * consoles, VTs or other users' ptys.  Each with your verdict and the rule
 * that decided it, its /dev/serial links, its USB identity and who holds
 * it now.  No device is opened.  On success *OUT is an array of *N ports
 * (NULL when *N is 0) to free with tb_list_free().  Returns 0, -EINVAL,
 * -ENOMEM, -EPROTO (a malformed answer), -ECONNRESET (the backend went
 * away), or the backend's -errno when it could not enumerate the ports.
 */
TB_EXPORT int tb_list(struct tb_broker *b, struct tb_port **out, size_t *n);

/* Free what tb_list() returned (PORTS may be NULL). */
TB_EXPORT void tb_list_free(struct tb_port *ports, size_t n);

/* The backend's descriptor, e.g. to close it in a forked child. */
TB_EXPORT int tb_fd(const struct tb_broker *b);

/* Human-readable text for a negative errno returned by this library. */
TB_EXPORT const char *tb_strerror(int err);

/* Human-readable text for a reason. */
TB_EXPORT const char *tb_reason_str(enum tb_reason reason);

/* The sysexits(3) code a command should exit with for REASON. */
TB_EXPORT int tb_reason_exit(enum tb_reason reason);

#ifdef __cplusplus
}
#endif

#endif
