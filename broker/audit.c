/* SPDX-License-Identifier: MIT */
/*
 * audit.c - formatting and delivery of the broker's audit lines (see
 * audit.h for the format).  Kept apart from the request loop so that any
 * backend (the forked one, a future daemon) writes the same lines.
 */
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "audit.h"
#include "log.h"

void audit_user_name(uid_t uid, char *user, size_t len)
{
	struct passwd pw, *res = NULL;
	char buf[4096];

	if (!len)
		return;
	user[0] = '\0';
	if (getpwuid_r(uid, &pw, buf, sizeof(buf), &res) == 0 && res)
		snprintf(user, len, "%s", res->pw_name);
}

void audit_proc_comm(pid_t pid, char *comm, size_t len)
{
	char path[64], buf[80];
	ssize_t n = -1;
	int fd;

	if (!len)
		return;
	comm[0] = '\0';
	snprintf(path, sizeof(path), "/proc/%d/comm", (int)pid);
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return;
	do
		n = read(fd, buf, sizeof(buf) - 1);
	while (n < 0 && errno == EINTR);
	close(fd);
	if (n <= 0)
		return;
	if (buf[n - 1] == '\n')
		n--;
	if ((size_t)n >= len)
		n = (ssize_t)len - 1;
	memcpy(comm, buf, (size_t)n);
	comm[n] = '\0';
}

void audit_identity(uid_t uid, char *user, size_t ulen, char *comm, size_t clen)
{
	char name[16] = "";

	audit_user_name(uid, user, ulen);
	if (prctl(PR_GET_NAME, name, 0, 0, 0) < 0)
		name[0] = '\0';
	name[sizeof(name) - 1] = '\0';
	if (clen)
		snprintf(comm, clen, "%s", name);
}

/* A byte that may appear as itself in an audit value. */
static bool audit_plain(unsigned char c)
{
	return c > ' ' && c < 0x7f && c != '"' && c != '\\' && c != '=';
}

/* Append VAL escaped (or "?" when empty) to BUF at *POS, within LEN. */
static void audit_put_value(char *buf, size_t len, size_t *pos, const char *val)
{
	const unsigned char *p = (const unsigned char *)(val && *val ? val : "?");

	for (; *p; p++) {
		size_t need = audit_plain(*p) ? 1 : 4;

		if (*pos + need >= len)
			return;
		if (need == 1)
			buf[(*pos)++] = (char)*p;
		else
			*pos += (size_t)snprintf(buf + *pos, len - *pos, "\\x%02x", *p);
	}
	buf[*pos] = '\0';
}

/* Append printf output to BUF at *POS, within LEN (truncating). */
static void audit_put(char *buf, size_t len, size_t *pos, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static void audit_put(char *buf, size_t len, size_t *pos, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (*pos + 1 >= len)
		return;
	va_start(ap, fmt);
	n = vsnprintf(buf + *pos, len - *pos, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	*pos += (size_t)n < len - *pos ? (size_t)n : len - *pos - 1;
}

size_t audit_format(char *buf, size_t len, const struct audit_peer *who,
		    const struct audit_event *ev)
{
	size_t pos = 0;

	if (len == 0)
		return 0;
	buf[0] = '\0';
	audit_put(buf, len, &pos, "uid=%u user=", (unsigned int)who->uid);
	audit_put_value(buf, len, &pos, who->user);
	audit_put(buf, len, &pos, " pid=%d comm=", (int)who->pid);
	audit_put_value(buf, len, &pos, who->comm);
	audit_put(buf, len, &pos, " port=");
	audit_put_value(buf, len, &pos, ev->port);
	if (ev->kname && *ev->kname && ev->port && strcmp(ev->port, ev->kname)) {
		audit_put(buf, len, &pos, " kname=");
		audit_put_value(buf, len, &pos, ev->kname);
	}
	if (ev->ident && ev->ident->usb) {
		audit_put(buf, len, &pos, " usb=%04x:%04x", ev->ident->vid, ev->ident->pid);
		if (ev->ident->ifnum >= 0)
			audit_put(buf, len, &pos, " if=%d", ev->ident->ifnum);
		audit_put(buf, len, &pos, " serial=");
		audit_put_value(buf, len, &pos, ev->ident->serial);
	}
	if (ev->ident && ev->ident->path[0]) {
		audit_put(buf, len, &pos, " path=");
		audit_put_value(buf, len, &pos, ev->ident->path);
	}
	audit_put(buf, len, &pos, " verdict=%s reason=%s rule=",
		  ev->verdict ? ev->verdict : "?", ev->reason ? ev->reason : "?");
	if (ev->rule) {
		audit_put_value(buf, len, &pos, ev->policy);
		audit_put(buf, len, &pos, ":%u", ev->rule);
	} else {
		audit_put(buf, len, &pos, "none");
	}
	audit_put(buf, len, &pos, " why=\"%s\"", ev->why ? ev->why : "");
	return pos;
}

void audit_log(const struct audit_peer *who, const struct audit_event *ev)
{
	char line[AUDIT_LINE_MAX];

	audit_format(line, sizeof(line), who, ev);
	log_audit("%s", line);
}

/* Can a socket of TYPE connect to PATH?  0 or -errno. */
static int audit_probe(const char *path, int type)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd, r = 0;

	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, type | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (const struct sockaddr *)&sa, sizeof(sa)) < 0)
		r = -errno;
	close(fd);
	return r;
}

int audit_init(const char *syslog_path)
{
	int saved = errno, r;

	if (!(log_sinks() & LOG_TO_SYSLOG))
		return 0;
	r = audit_probe(syslog_path, SOCK_DGRAM);
	if (r < 0 && audit_probe(syslog_path, SOCK_STREAM) == 0)
		r = 0;
	if (r < 0) {
		log_audit_also(LOG_TO_STDERR);
		log_stderr("no syslog at %s (%s): audit lines go to stderr",
			   syslog_path, strerror(-r));
	}
	errno = saved;
	return r;
}
