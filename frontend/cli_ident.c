/* SPDX-License-Identifier: MIT */
/*
 * cli_ident.c - how `ttybroker check` shows the identity of a port (the
 * struct policy_ident that identity patterns are matched against): pure
 * formatting, apart from cli_check.c so that test_cli can unit-test it on
 * hand-built identities without USB hardware.
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"

#define IDENT_SHOWN (POLICY_ID_STR * 4) /* every byte as \xHH, and a NUL */

/*
 * S, an identity string of at most POLICY_ID_STR bytes (NUL-terminated or
 * not), into OUT for the terminal: printable ASCII as it is, every other
 * byte, '\\' and '"' as \xHH, so a device cannot put control sequences on
 * the admin's terminal through its serial string, and what is shown reads
 * back unambiguously.
 */
static const char *ident_str(const char *s, char out[IDENT_SHOWN])
{
	size_t o = 0;

	for (size_t i = 0; i < POLICY_ID_STR - 1 && s[i]; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c >= 0x20 && c < 0x7f && c != '\\' && c != '"')
			out[o++] = (char)c;
		else
			o += (size_t)snprintf(out + o, IDENT_SHOWN - o, "\\x%02x", c);
	}
	out[o] = '\0';
	return out;
}

/* The identity lines (see cli.h), strings quoted and escaped. */
void cli_ident_print(FILE *f, const struct policy_ident *id, const char *why)
{
	char a[IDENT_SHOWN], b[IDENT_SHOWN];

	if (!id) {
		fprintf(f, "  identity: unknown (%s)\n", why ? why : "not read");
		return;
	}
	if (!id->usb) {
		fprintf(f, "  identity: no USB identity\n");
	} else {
		fprintf(f, "  identity: usb %04x:%04x", id->vid, id->pid);
		if (id->manufacturer[0])
			fprintf(f, " \"%s\"", ident_str(id->manufacturer, a));
		if (id->product[0])
			fprintf(f, " \"%s\"", ident_str(id->product, b));
		fputc('\n', f);
		if (id->serial[0])
			fprintf(f, "  serial: \"%s\"\n", ident_str(id->serial, a));
		else
			fprintf(f, "  serial: none\n");
		if (id->ifnum >= 0)
			fprintf(f, "  interface: if%d\n", id->ifnum);
		else
			fprintf(f, "  interface: unknown\n");
	}
	if (id->path[0])
		fprintf(f, "  path: %s\n", ident_str(id->path, a));
	else
		fprintf(f, "  path: none\n");
}

/* The verdict line's note on an identity pattern (see cli.h). */
const char *cli_ident_how(const char *pattern)
{
	if (!pattern || !policy_pattern_is_ident(pattern))
		return "";
	if (strncmp(pattern, "usb:", 4) == 0)
		return ", matched by the port's USB identity";
	return ", matched by the port's physical path";
}
