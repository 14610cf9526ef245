/* SPDX-License-Identifier: MIT */
/*
 * cli_revoke.c - `ttybroker revoke PORT`: root asks a running ttybrokerd
 * ($TTYBROKER_SOCKET or /run/ttybroker.sock) to take PORT back from the
 * client that holds it.  The daemon hangs the port up (the holder's fd
 * reads EOF, writes fail), drops the locks and writes an audit line
 * naming who revoked.  The daemon decides who may ask (uid 0 by the
 * kernel's credentials); this command only says what it answered.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "cli.h"
#include "connect.h"
#include "fdpass.h"
#include "portname.h"
#include "proto.h"

#define CLI_REVOKE_WAIT_MS 10000 /* a bound against a hung daemon */

/* Send PROTO_REVOKE for PORT on SOCK and wait for the reply into *REP. */
static int cli_revoke_ask(int sock, const char *port, struct proto_revoke_reply *rep)
{
	struct pollfd p = { .fd = sock, .events = POLLIN };
	char buf[PROTO_MSG_MAX];
	struct proto_revoke req;
	union proto_msg m;
	ssize_t n;
	int r;

	memset(&req, 0, sizeof(req));
	proto_hdr_init(&req.hdr, PROTO_REVOKE, 1);
	snprintf(req.port, sizeof(req.port), "%s", port);
	r = fdpass_send(sock, &req, sizeof(req), -1);
	if (r < 0)
		return r;
	r = poll(&p, 1, CLI_REVOKE_WAIT_MS);
	if (r <= 0)
		return r == 0 ? -ETIMEDOUT : -errno;
	n = fdpass_recv(sock, buf, sizeof(buf), NULL, NULL);
	if (n <= 0)
		return n == 0 ? -ECONNRESET : (int)n;
	if (proto_decode(buf, (size_t)n, PROTO_FROM_BACKEND, false, &m) < 0 ||
	    m.hdr.type != PROTO_REVOKE_REPLY)
		return -EPROTO;
	*rep = m.revoke_reply;
	return 0;
}

int cli_revoke(const struct cli *c, int argc, char **argv)
{
	char port[PORTNAME_ESCAPED_MAX], detail[4 * PROTO_DETAIL_MAX + 1];
	struct proto_revoke_reply rep;
	const char *path = connect_socket_path(), *name;
	int first, r, sock;

	r = cli_cmd_options("revoke", argc, argv, NULL, &first);
	if (r >= 0)
		return r;
	if (argc - first != 1)
		return cli_fail(EX_USAGE, "revoke: give exactly one PORT "
				"(try 'ttybroker revoke --help')");
	name = portname_strip_dev(argv[first]);
	portname_escape(name, port, sizeof(port));
	if (portname_check(name) < 0 || strlen(name) >= PROTO_PORT_MAX)
		return cli_fail(EX_DATAERR, "%s: malformed port name", port);
	/* setuid: the daemon would see euid 0 at connect; only real root asks. */
	if (c->secure || getuid() != 0)
		return cli_fail(EX_NOPERM, "revoke: only root may revoke a port");
	sock = connect_daemon(path);
	if (sock < 0)
		return cli_fail(EX_OSERR, "revoke: no daemon at %s: %s", path,
				sock == -ENOTCONN ? "start ttybrokerd" : strerror(-sock));
	r = cli_revoke_ask(sock, name, &rep);
	close(sock);
	if (r < 0)
		return cli_fail(EX_OSERR, "revoke: %s: %s", path, strerror(-r));
	cli_escape(rep.detail, sizeof(rep.detail), detail, sizeof(detail));
	switch (rep.result) {
	case PROTO_REVOKED:
		printf("%s: revoked from pid %d\n", port, (int)rep.holder_pid);
		return 0;
	case PROTO_NOT_HELD:
		return cli_fail(EX_NOINPUT, "%s: not held by any client of the daemon", port);
	case PROTO_NO_PORT:
		return cli_fail(rep.err == -EINVAL ? EX_DATAERR : EX_UNAVAILABLE,
				"%s: no such port", port);
	case PROTO_REVOKE_REFUSED:
		return cli_fail(EX_NOPERM, "revoke: refused by the daemon: %s", detail);
	default:
		return cli_fail(EX_OSERR, "%s: not revoked: %s", port, detail);
	}
}
