/* SPDX-License-Identifier: MIT */
/*
 * test_portname.c - the port-name syntax check (common/portname.c).  This
 * is the first gate every name passes, before the backend touches the file
 * system, so the tables below try hard to get something past it: path
 * traversal, extra levels, odd characters, boundary lengths.
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "portname.h"

/*
 * A table row: either a literal NAME, or (when GEN > 0) a name built at run
 * time as PREFIX followed by 'a' characters up to GEN bytes in total.
 * Rows hold arrays, not pointers: Criterion hands each parameterized test
 * a copy of its row in a separate process, where the parent's pointers to
 * string literals are not valid.
 */
struct name_case {
	char name[80];
	char prefix[16];
	size_t gen;
};

#define LIT(s) { .name = (s) }
#define GEN(p, n) { .prefix = (p), .gen = (n) }

/* Build the name a row stands for into BUF (size PROTO_PORT_MAX * 2). */
static const char *case_name(const struct name_case *c, char *buf, size_t cap)
{
	size_t plen;

	if (!c->gen)
		return c->name;
	plen = strlen(c->prefix);
	cr_assert_lt(c->gen, cap);
	cr_assert_leq(plen, c->gen);
	memcpy(buf, c->prefix, plen);
	memset(buf + plen, 'a', c->gen - plen);
	buf[c->gen] = '\0';
	return buf;
}

/* ---- well-formed names ------------------------------------------------ */

ParameterizedTestParameters(portname, good)
{
	static struct name_case cases[] = {
		LIT("ttyUSB0"),
		LIT("ttyS1"),
		LIT("pts/3"),
		LIT("ttyACM0"),
		LIT("serial/by-id/usb-FTDI_FT232R_USB_UART_A50285BI-if00-port0"),
		LIT("rfcomm0"),
		LIT("ttyAMA0"),
		LIT("a"),
		LIT("tty.usb-1_2"),
		LIT("..."),     /* three dots is an ordinary name */
		LIT(".hidden"),
		LIT("a/b"),
		LIT("serial/by-id/x"),
		LIT("serial/by-path"), /* two plain components: syntax only */
		GEN("", PORTNAME_MAX),
		GEN("pts/", PORTNAME_MAX),
		GEN("serial/by-id/", PORTNAME_MAX),
		LIT("serial/by-path/pci-0000:00:14.0-usb-0:1.2:1.0-port0"),
		LIT("serial/by-path/platform-serial8250"),
		LIT("serial/by-path/:"),
		GEN("serial/by-path/", PORTNAME_MAX),
	};

	return cr_make_param_array(struct name_case, cases,
				   sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct name_case *c, portname, good)
{
	char buf[PROTO_PORT_MAX * 2];
	const char *name = case_name(c, buf, sizeof(buf));

	cr_assert_eq(portname_check(name), 0, "\"%s\" (%zu chars) refused",
		     name, strlen(name));
}

/* ---- malformed names -------------------------------------------------- */

ParameterizedTestParameters(portname, bad)
{
	static struct name_case cases[] = {
		LIT(""),
		LIT("/dev/ttyS0"), /* the frontend strips /dev/, the check does not */
		LIT("."),
		LIT(".."),
		LIT("../x"),
		LIT("x/.."),
		LIT("pts/.."),
		LIT("pts/."),
		LIT("./pts"),
		LIT("a/b/c"),
		LIT("a//b"),
		LIT("/x"),
		LIT("x/"),
		LIT("/"),
		LIT("//"),
		LIT("tty S0"),
		LIT("tty*"),
		LIT("tty?"),
		LIT("tty\n0"),
		LIT("tty\t0"),
		LIT("tty\\0"),
		LIT("tty:0"),
		LIT("tty~"),
		LIT("serial/by-id/"),
		LIT("serial/by-id/a/b"),
		LIT("serial/by-id/.."),
		LIT("serial/by-id/."),
		LIT("serial/by-id//x"),
		LIT("serial/by-id/x/"),
		LIT("serial/by-id/x y"),
		LIT("tty\xc3\xa9"),  /* UTF-8 e-acute */
		LIT("\xff"),
		LIT("tty\x80" "0"),
		LIT("pts/\x7f"),
		GEN("", PORTNAME_MAX + 1),
		GEN("pts/", PORTNAME_MAX + 1),
		GEN("serial/by-id/", PORTNAME_MAX + 1),
		GEN("", PROTO_PORT_MAX + 40),
		LIT("serial/by-path/"),
		LIT("serial/by-path/a/b"),
		LIT("serial/by-path/.."),
		LIT("serial/by-path/."),
		LIT("serial/by-path//x"),
		LIT("serial/by-path/x/"),
		LIT("serial/by-path/x y"),
		LIT("serial/by-path/pci-0000:00:14.0\n"),
		LIT("serial/by-path/a*"),
		LIT("serial/by-id/a:b"), /* ':' only in a by-path link */
		LIT("pts/a:b"),
		LIT("serial/by-path:x"),
		GEN("serial/by-path/", PORTNAME_MAX + 1),
	};

	return cr_make_param_array(struct name_case, cases,
				   sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct name_case *c, portname, bad)
{
	char buf[PROTO_PORT_MAX * 2];
	const char *name = case_name(c, buf, sizeof(buf));

	cr_assert_eq(portname_check(name), -EINVAL, "\"%s\" (%zu chars) accepted",
		     name, strlen(name));
}

/* Every single byte outside [A-Za-z0-9._-] is refused inside a name. */
Test(portname, every_byte)
{
	char name[8];

	for (int c = 1; c < 256; c++) {
		int ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			 (c >= '0' && c <= '9') || c == '.' || c == '_' ||
			 c == '-';

		if (c == '/')
			continue; /* the separator: covered by the tables */
		snprintf(name, sizeof(name), "t%cy", c);
		cr_assert_eq(portname_check(name), ok ? 0 : -EINVAL,
			     "byte 0x%02x", c);
	}
}

/* ---- portname_byid ---------------------------------------------------- */

struct byid_case {
	char name[48];
	char link[40];
	bool none; /* not a by-id name: portname_byid returns NULL */
};

ParameterizedTestParameters(portname, byid)
{
	static struct byid_case cases[] = {
		{ "serial/by-id/usb-FTDI-if00-port0", "usb-FTDI-if00-port0", false },
		{ "serial/by-id/x", "x", false },
		{ "serial/by-id/", "", false },
		{ "serial/by-id/a/b", "a/b", false },
		{ "ttyS0", "", true },
		{ "pts/3", "", true },
		{ "serial/by-id", "", true },
		{ "serial/by-path/x", "", true },
		{ "/dev/serial/by-id/x", "", true },
		{ "Serial/by-id/x", "", true },
		{ "", "", true },
	};

	return cr_make_param_array(struct byid_case, cases,
				   sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct byid_case *c, portname, byid)
{
	const char *got = portname_byid(c->name);

	if (c->none) {
		cr_assert_null(got, "\"%s\" -> \"%s\"", c->name, got);
		return;
	}
	cr_assert_not_null(got, "\"%s\"", c->name);
	cr_assert_str_eq(got, c->link);
	/* It points into the name, it does not copy. */
	cr_assert_eq(got, c->name + strlen(PORTNAME_BYID));
}

/* ---- portname_bypath -------------------------------------------------- */

ParameterizedTestParameters(portname, bypath)
{
	static struct byid_case cases[] = {
		{ "serial/by-path/pci-0000:00:14.0-usb-0:1:1.0", "pci-0000:00:14.0-usb-0:1:1.0",
		  false },
		{ "serial/by-path/x", "x", false },
		{ "serial/by-path/", "", false },
		{ "serial/by-id/x", "", true },
		{ "serial/by-path", "", true },
		{ "/dev/serial/by-path/x", "", true },
		{ "ttyS0", "", true },
		{ "", "", true },
	};

	return cr_make_param_array(struct byid_case, cases,
				   sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct byid_case *c, portname, bypath)
{
	const char *got = portname_bypath(c->name);

	if (c->none) {
		cr_assert_null(got, "\"%s\" -> \"%s\"", c->name, got);
		return;
	}
	cr_assert_not_null(got, "\"%s\"", c->name);
	cr_assert_str_eq(got, c->link);
	cr_assert_eq(got, c->name + strlen(PORTNAME_BYPATH));
}

/* ---- portname_strip_dev ----------------------------------------------- */

struct strip_case {
	char name[24];
	size_t skip; /* how many leading bytes are stripped */
};

ParameterizedTestParameters(portname, strip_dev)
{
	static struct strip_case cases[] = {
		{ "/dev/ttyS0", 5 },
		{ "/dev/pts/3", 5 },
		{ "/dev/serial/by-id/x", 5 },
		{ "/dev/", 5 },
		{ "/dev//x", 5 },      /* once only: "/x" is then refused */
		{ "/dev/dev/x", 5 },
		{ "ttyS0", 0 },
		{ "dev/ttyS0", 0 },
		{ "/dev", 0 },
		{ "/devttyS0", 0 },
		{ "/Dev/ttyS0", 0 },
		{ "//dev/ttyS0", 0 },
		{ "", 0 },
	};

	return cr_make_param_array(struct strip_case, cases,
				   sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct strip_case *c, portname, strip_dev)
{
	cr_assert_eq(portname_strip_dev(c->name), c->name + c->skip, "\"%s\"",
		     c->name);
}

/* Stripping never turns a name into one that escapes /dev. */
Test(portname, strip_then_check)
{
	cr_assert_eq(portname_check(portname_strip_dev("/dev/ttyUSB0")), 0);
	cr_assert_eq(portname_check(portname_strip_dev("/dev/pts/7")), 0);
	cr_assert_eq(portname_check(portname_strip_dev("/dev//etc")), -EINVAL);
	cr_assert_eq(portname_check(portname_strip_dev("/dev/../etc/x")), -EINVAL);
	cr_assert_eq(portname_check(portname_strip_dev("/dev/")), -EINVAL);
}

/* portname_escape: what a peer sends can never become a new log line. */
struct escape_case {
	char in[40];
	char want[80];
	size_t len;
};

ParameterizedTestParameters(portname, escape)
{
	static struct escape_case cases[] = {
		{ "ttyUSB0", "ttyUSB0", 64 },
		{ "pts/3", "pts/3", 64 },
		{ "x\ny", "x\\x0ay", 64 },
		{ "a b", "a\\x20b", 64 },
		{ "\x1b[2J", "\\x1b\\x5b2J", 64 },
		{ "\xff", "\\xff", 64 },
		{ "abcdef", "abc", 4 },       /* truncated, still terminated */
		{ "ab\ncd", "ab", 6 },        /* an escape that does not fit is dropped */
	};
	return cr_make_param_array(struct escape_case, cases, sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct escape_case *c, portname, escape)
{
	char out[80];

	memset(out, 'Z', sizeof(out));
	portname_escape(c->in, out, c->len);
	cr_assert_str_eq(out, c->want);
	cr_assert_null(strchr(out, '\n'));
}
