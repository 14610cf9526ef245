/* SPDX-License-Identifier: MIT */
/*
 * audit.h - one audit line per broker decision, in one format:
 *
 *   uid=1000 user=alice pid=4242 comm=minicom port=ttyUSB0 verdict=permit
 *   reason=ok rule=/etc/ttybroker.conf:3 why="granted"
 *
 * (one line; "kname=NAME" follows port= when a by-id name resolved to
 * another name; then, for a port with a USB identity,
 * "usb=VVVV:PPPP if=N serial=S" (if= only with an interface), and
 * "path=P" when it has a physical path: see struct policy_ident).  Every decision (permit, refuse) and every release is
 * such a line; "rule=none" when no policy line decided.  Values that come
 * from outside (user and program names, port names) are escaped: bytes
 * other than printable ASCII, space, '"', '\' and '=' become \xHH.
 *
 * Audit lines go to syslog (LOG_AUTHPRIV, LOG_NOTICE) and, with
 * TB_LOG_STDERR, to stderr.  syslog(3) drops lines silently when nothing
 * listens on /dev/log, so audit_init() probes the socket before
 * confinement and, if nobody listens, says so once on stderr and sends
 * audit lines to stderr instead.
 */
#ifndef TB_AUDIT_H
#define TB_AUDIT_H

#include <stddef.h>
#include <sys/types.h>

#include "policy.h"

#define AUDIT_LINE_MAX    1024
#define AUDIT_SYSLOG_PATH "/dev/log" /* _PATH_LOG */

/* Who asked: the frontend as its credentials and tb_init() saw it. */
struct audit_peer {
	uid_t uid;
	pid_t pid;
	const char *user; /* passwd name, or "" / NULL for none ("user=?") */
	const char *comm; /* program name, or "" / NULL ("comm=?")         */
};

/* What was decided. */
struct audit_event {
	const char *port;    /* as requested                               */
	const char *kname;   /* kernel name; shown when it differs, may be "" */
	const char *verdict; /* "permit", "refuse", "release", "revoke" or
			        "revoke-failed" (daemon revocation); the
			        daemon's busy ports (share.c): "wait",
			        "take", "yield", "handback", "leave" */
	const char *reason;  /* proto_reason_name()                        */
	const char *policy;  /* policy file path                           */
	unsigned int rule;   /* deciding line; 0 prints "rule=none"         */
	const char *why;     /* short explanation                          */
	const struct policy_ident *ident; /* the port's identity, or NULL    */
};

/*
 * Call once before confinement, after log_init().  If syslog is one of
 * the log sinks, check that something listens on SYSLOG_PATH (the backend
 * passes "/dev/log"; tests pass their own path).  If nothing does, warn
 * once on stderr and route audit lines to stderr as well.  Returns 0, or
 * the -errno of the failed connect (the fallback is then in place).
 */
int audit_init(const char *syslog_path);

/*
 * Who the frontend is, for audit lines, looked up while the name service
 * is still reachable (tb_init(), before the drop): the passwd name of UID
 * into USER ("" without an entry) and this process's comm into COMM.
 */
void audit_identity(uid_t uid, char *user, size_t ulen, char *comm, size_t clen);

/*
 * The passwd name of UID into USER (LEN bytes), "" without an entry.
 * Uses the name service: never in a confined process.
 */
void audit_user_name(uid_t uid, char *user, size_t len);

/*
 * PID's program name from /proc/PID/comm into COMM (LEN bytes), "" if it
 * cannot be read.  Only the newline /proc appends is removed: any other
 * byte (a newline, '=', a control character the program set itself) is
 * kept, for audit_format() to escape or the caller to replace.
 */
void audit_proc_comm(pid_t pid, char *comm, size_t len);

/* Format one audit line into BUF (always NUL-terminated).  Its length. */
size_t audit_format(char *buf, size_t len, const struct audit_peer *who,
		    const struct audit_event *ev);

/* Format and log one audit line. */
void audit_log(const struct audit_peer *who, const struct audit_event *ev);

#endif
