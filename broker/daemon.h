/* SPDX-License-Identifier: MIT */
/*
 * daemon.h - the daemon way in: ttybrokerd serves any local process that
 * connects to its AF_UNIX SOCK_SEQPACKET socket, with the same engine,
 * messages and confinement as the forked backend.  See ttybrokerd(8) and
 * docs/DESIGN.md ("Three ways in", "The daemon").
 *
 * Two processes, the OpenBSD way: a privileged parent that loads and
 * checks the policy, binds the socket and forks the engine process, then
 * keeps only uid 0 (no capabilities, no_new_privs) to reload the policy
 * later; and the confined engine process that accepts and serves clients.
 * They share a socketpair: the parent's channel to the engine (reload
 * sends a re-checked policy on it), and each one's way to see the other
 * die (EOF ends the other one).
 */
#ifndef TB_DAEMON_H
#define TB_DAEMON_H

#include <stdbool.h>
#include <sys/types.h>

#define DAEMON_SOCKET_DEFAULT "/run/ttybroker.sock"

/* Default limits (ttybrokerd(8) documents them). */
#define DAEMON_MAX_CONN    1024 /* connections in all                  */
#define DAEMON_MAX_PER_UID 128  /* connections of one uid              */
#define DAEMON_MAX_PORTS   16   /* ports one connection holds at once  */
#define DAEMON_LISTEN_BACKLOG 128
/*
 * How long a new client waits for PROTO_READY while the parent looks up
 * its user name and comm for the audit lines; then it is served anyway
 * and its lines show user=? comm=? until the answer comes.
 */
#define DAEMON_IDENT_MS 1000
/*
 * The engine's RLIMIT_NOFILE: a few fds of its own (stdio, listener,
 * parent channel, /dev, /sys, /sys/dev/char, /dev/pts, lock dir and its inotify
 * watch, syslog, a lock
 * file and a pinned node while serving, a pidfd_open fallback) and, per
 * connection, its socket, its pidfd and its ports.  The descriptors in
 * flight (at most one unread reply per connection, and one pidfd per
 * connection in an identity request to the parent) are counted against
 * the same limit by the kernel and stay below it.
 */
#define DAEMON_BASE_FDS 32
#define DAEMON_NOFILE(conn, ports) \
	((unsigned long)DAEMON_BASE_FDS + (unsigned long)(conn) * (2UL + (ports)))

struct daemon_config {
	const char *policy_path;
	const char *lockdir;
	const char *socket_path;
	const char *devdir;       /* "/dev" */
	bool foreground;          /* -f: stay attached, log and audit on stderr */
	bool debug;               /* -v */
	unsigned int max_conn;
	unsigned int max_per_uid;
	unsigned int max_ports;
	unsigned int grace_ms;    /* -g: a yielding holder's time to let go */
};

/*
 * sd_listen_fds(3), strictly: LISTEN_PID and LISTEN_FDS as given (NULL
 * when unset) for process SELF.  Returns 1 when exactly one socket (fd 3)
 * is ours, 0 when none is (unset, LISTEN_FDS=0, or LISTEN_PID names
 * another process), -EINVAL for a malformed value (anything but plain
 * decimal digits without leading zeros, or out of range), -E2BIG for
 * more than one socket.
 */
int daemon_listen_fds(const char *listen_pid, const char *listen_fds, pid_t self);

/* Run the daemon (the caller checked euid 0).  Returns an exit status. */
int daemon_main(const struct daemon_config *cfg);

#endif
