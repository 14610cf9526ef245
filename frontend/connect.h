/* SPDX-License-Identifier: MIT */
/*
 * connect.h - the ways in for a caller without root: a running ttybrokerd
 * (connect to its socket) or the setuid-root ttybroker-helper (execute it
 * on a socketpair).  Either way the caller ends up with a socket on which
 * PROTO_READY has arrived and the usual messages follow.
 */
#ifndef TB_CONNECT_H
#define TB_CONNECT_H

#include <sys/types.h>

#define CONNECT_SOCKET_DEFAULT "/run/ttybroker.sock"
#ifdef TB_LIBEXECDIR
#define CONNECT_HELPER_DEFAULT TB_LIBEXECDIR "/ttybroker/ttybroker-helper"
#else
#define CONNECT_HELPER_DEFAULT "/usr/local/libexec/ttybroker/ttybroker-helper"
#endif

/* $TTYBROKER_SOCKET, unless in secure mode (AT_SECURE) or unset; else the default. */
const char *connect_socket_path(void);
/* $TTYBROKER_HELPER, unless in secure mode (AT_SECURE) or unset; else the default. */
const char *connect_helper_path(void);

/*
 * Wait for PROTO_READY on SOCK: 0, -ECHILD (the backend could not start;
 * it said why on stderr), -EUSERS, -ENFILE or -E2BIG (a daemon's limit),
 * -ECONNRESET (hung up first), -EPROTO, or another negative errno.
 */
int connect_wait_ready(int sock);

/*
 * Connect to a daemon listening on PATH (AF_UNIX, SOCK_SEQPACKET) and wait
 * for its PROTO_READY.  Returns the socket (close-on-exec), -ENOTCONN if no
 * daemon listens there (no such file, nobody accepting, not allowed to
 * connect), what connect_wait_ready() returns if it cannot serve, -ECONNRESET if it hangs up
 * first, or another negative errno.
 */
int connect_daemon(const char *path);

/*
 * Execute the helper at PATH with one end of a new socketpair on
 * PROTO_HELPER_FD, an empty environment and argv {"ttybroker-helper"}, and
 * wait for its PROTO_READY.  Returns our end (close-on-exec) and the
 * helper's pid in *PID (the caller reaps it after closing the socket);
 * -ENOTCONN if PATH is no usable setuid-root helper (missing, not root's,
 * not setuid, on a nosuid mount, or no_new_privs is set); -ECHILD or
 * -ECONNRESET if it failed to start (it said why on stderr); or another
 * negative errno.  Nothing is left running on failure.
 */
int connect_helper(const char *path, pid_t *pid);

#endif
