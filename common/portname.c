/* SPDX-License-Identifier: MIT */
/*
 * portname.c - the syntax check every port name passes before the backend
 * looks at the file system.  It is deliberately narrow: names stay inside
 * /dev, one directory level at most, and never name "." or "..", so a name
 * can be resolved with openat(O_NOFOLLOW) one component at a time.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "portname.h"

static int portname_char_ok(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
}

/* One component of LEN bytes: non-empty, allowed chars (and ':' if
 * COLON), not . or .. */
static int portname_component_ok_colon(const char *s, size_t len, int colon)
{
	if (len == 0)
		return 0;
	if ((len == 1 && s[0] == '.') || (len == 2 && s[0] == '.' && s[1] == '.'))
		return 0;
	for (size_t i = 0; i < len; i++)
		if (!portname_char_ok(s[i]) && !(colon && s[i] == ':'))
			return 0;
	return 1;
}

static int portname_component_ok(const char *s, size_t len)
{
	return portname_component_ok_colon(s, len, 0);
}

void portname_escape(const char *name, char *out, size_t len)
{
	size_t o = 0;

	if (len == 0)
		return;
	for (const unsigned char *p = (const unsigned char *)name; *p; p++) {
		int ok = portname_char_ok((char)*p) || *p == '/';

		if (o + (ok ? 1 : 4) >= len)
			break;
		if (ok)
			out[o++] = (char)*p;
		else
			o += (size_t)snprintf(out + o, len - o, "\\x%02x", *p);
	}
	out[o] = '\0';
}

const char *portname_byid(const char *name)
{
	size_t n = strlen(PORTNAME_BYID);

	if (strncmp(name, PORTNAME_BYID, n) != 0)
		return NULL;
	return name + n;
}

const char *portname_bypath(const char *name)
{
	size_t n = strlen(PORTNAME_BYPATH);

	if (strncmp(name, PORTNAME_BYPATH, n) != 0)
		return NULL;
	return name + n;
}

const char *portname_strip_dev(const char *name)
{
	if (strncmp(name, "/dev/", 5) == 0)
		return name + 5;
	return name;
}

int portname_check(const char *name)
{
	const char *rest = portname_byid(name), *path = portname_bypath(name);
	size_t len = strnlen(name, PROTO_PORT_MAX);
	const char *slash;

	if (len == 0 || len > PORTNAME_MAX)
		return -EINVAL;
	if (rest) /* serial/by-id/LINK: exactly one component after the prefix */
		return portname_component_ok(rest, strlen(rest)) &&
		       !strchr(rest, '/') ? 0 : -EINVAL;
	if (path) /* serial/by-path/LINK: the same, ':' allowed */
		return portname_component_ok_colon(path, strlen(path), 1) &&
		       !strchr(path, '/') ? 0 : -EINVAL;
	slash = strchr(name, '/');
	if (!slash)
		return portname_component_ok(name, len) ? 0 : -EINVAL;
	if (strchr(slash + 1, '/'))
		return -EINVAL;
	if (!portname_component_ok(name, (size_t)(slash - name)) ||
	    !portname_component_ok(slash + 1, strlen(slash + 1)))
		return -EINVAL;
	return 0;
}
