/* SPDX-License-Identifier: MIT */
/*
 * fuzz_portname.c - portname_check() and portname_escape() on arbitrary
 * bytes.
 *
 * Input: byte 0 picks the output buffer size for portname_escape (bit 7
 * set: bits 0-6 plus 1, else PORTNAME_ESCAPED_MAX); the rest, up to the
 * first NUL, is the name.  Checked: portname_check agrees with an
 * independent reading of portname.h's grammar; the escaped output stays
 * inside its buffer (an exact-size allocation), is NUL-terminated, holds
 * no control character (< 0x20, 0x7f) and only [A-Za-z0-9._/-] or \xHH,
 * is a prefix-preserving encoding of the name (unescaping gives a prefix
 * of it, the whole name when the buffer is PORTNAME_ESCAPED_MAX and the
 * name fits in a message); portname_strip_dev, portname_byid and
 * portname_bypath return pointers into the name.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzzutil.h"
#include "portname.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool plain_char(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
}

/* One component of LEN bytes: non-empty, plain characters (and ':' if
 * COLON), not . or .. */
static bool component_ok_colon(const char *s, size_t len, bool colon)
{
	if (len == 0 || (len == 1 && s[0] == '.') ||
	    (len == 2 && s[0] == '.' && s[1] == '.'))
		return false;
	for (size_t i = 0; i < len; i++)
		if (!plain_char((unsigned char)s[i]) && !(colon && s[i] == ':'))
			return false;
	return true;
}

static bool component_ok(const char *s, size_t len)
{
	return component_ok_colon(s, len, false);
}

/* The grammar of portname.h, written again from the header comment. */
static bool reference_ok(const char *name)
{
	size_t len = strlen(name), plen = strlen(PORTNAME_BYID);
	size_t qlen = strlen(PORTNAME_BYPATH);
	const char *slash;

	if (len == 0 || len > PORTNAME_MAX)
		return false;
	if (strncmp(name, PORTNAME_BYID, plen) == 0)
		return !strchr(name + plen, '/') &&
		       component_ok(name + plen, len - plen);
	if (strncmp(name, PORTNAME_BYPATH, qlen) == 0)
		return !strchr(name + qlen, '/') &&
		       component_ok_colon(name + qlen, len - qlen, true);
	slash = strchr(name, '/');
	if (!slash)
		return component_ok(name, len);
	return !strchr(slash + 1, '/') &&
	       component_ok(name, (size_t)(slash - name)) &&
	       component_ok(slash + 1, strlen(slash + 1));
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* Check OUT (LEN bytes) is a well-formed, truncated-or-whole escape of NAME. */
static void check_escape(const char *name, const char *out, size_t len, bool whole)
{
	const char *nul = memchr(out, '\0', len);
	size_t o = 0, n = 0;

	fuzz_assert(nul != NULL);
	while (out[o]) {
		unsigned char c = (unsigned char)out[o];

		fuzz_assert(c >= 0x20 && c != 0x7f);
		if (c == '\\') {
			int hi, lo;

			fuzz_assert(out[o + 1] == 'x');
			hi = hexval(out[o + 2]);
			fuzz_assert(hi >= 0);
			lo = hexval(out[o + 3]);
			fuzz_assert(lo >= 0);
			fuzz_assert((unsigned char)name[n] == (unsigned char)(hi * 16 + lo));
			fuzz_assert(!plain_char((unsigned char)name[n]) && name[n] != '/');
			o += 4;
		} else {
			fuzz_assert(plain_char(c) || c == '/');
			fuzz_assert(name[n] == (char)c);
			o++;
		}
		n++;
	}
	fuzz_assert(out + o == nul);
	if (whole)
		fuzz_assert(name[n] == '\0');
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t len, nlen;
	const char *p;
	char *name, *out;
	int r;

	if (size < 1)
		return 0;
	len = (data[0] & 0x80) ? (size_t)(data[0] & 0x7f) + 1 : PORTNAME_ESCAPED_MAX;
	nlen = strnlen((const char *)data + 1, size - 1);
	name = malloc(nlen + 1); /* exact size: a read past the NUL is caught */
	out = malloc(len);
	fuzz_assert(name && out);
	memcpy(name, data + 1, nlen);
	name[nlen] = '\0';

	r = portname_check(name);
	fuzz_assert(r == 0 || r == -EINVAL);
	fuzz_assert((r == 0) == reference_ok(name));
	p = portname_strip_dev(name);
	fuzz_assert(p == name || (p == name + 5 && strncmp(name, "/dev/", 5) == 0));
	p = portname_byid(name);
	fuzz_assert(!p || p == name + strlen(PORTNAME_BYID));
	p = portname_bypath(name);
	fuzz_assert(!p || p == name + strlen(PORTNAME_BYPATH));

	memset(out, 0xff, len);
	portname_escape(name, out, len);
	check_escape(name, out, len, len == PORTNAME_ESCAPED_MAX && nlen <= PORTNAME_MAX);
	free(out);
	free(name);
	return 0;
}
