/* SPDX-License-Identifier: MIT */
/*
 * cli_json.c - JSON strings for `ttybroker list --json`.  What is quoted
 * comes from outside: a USB device chooses its serial, manufacturer and
 * product strings (any bytes but NUL), a process its comm.  Whatever the
 * bytes, the output is valid JSON and safe on a terminal.  Pure, so it is
 * unit-tested in tests/test_cli.c.
 */
#include <stdio.h>

#include "cli.h"

/*
 * Length of the well-formed UTF-8 sequence at S (at most AVAIL bytes,
 * AVAIL >= 1, S[0] >= 0x80), or 0 if it is not one: no overlong forms, no
 * surrogates, nothing above U+10FFFF (RFC 3629).
 */
static size_t cli_utf8_len(const unsigned char *s, size_t avail)
{
	unsigned char lo = 0x80, hi = 0xbf;
	size_t len;

	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		len = 2;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		len = 3;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		len = 4;
	else
		return 0;
	if (s[0] == 0xe0)
		lo = 0xa0;
	else if (s[0] == 0xed)
		hi = 0x9f;
	else if (s[0] == 0xf0)
		lo = 0x90;
	else if (s[0] == 0xf4)
		hi = 0x8f;
	if (len > avail || s[1] < lo || s[1] > hi)
		return 0;
	for (size_t i = 2; i < len; i++)
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0;
	return len;
}

void cli_json_str(FILE *f, const char *str, size_t max)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t n = 0;

	while (n < max && s[n])
		n++;
	fputc('"', f);
	for (size_t i = 0; i < n;) {
		unsigned char ch = s[i];
		size_t len;

		if (ch == '"' || ch == '\\') {
			fprintf(f, "\\%c", ch);
			i++;
		} else if (ch == '\n' || ch == '\t' || ch == '\r') {
			fprintf(f, "\\%c", ch == '\n' ? 'n' : ch == '\t' ? 't' : 'r');
			i++;
		} else if (ch < 0x20 || ch == 0x7f) {
			fprintf(f, "\\u%04x", ch);
			i++;
		} else if (ch < 0x80) {
			fputc(ch, f);
			i++;
		} else if ((len = cli_utf8_len(s + i, n - i)) == 0) {
			fputs("\\ufffd", f); /* a byte that is no UTF-8: U+FFFD */
			i++;
		} else if (len == 2 && ch == 0xc2 && s[i + 1] < 0xa0) {
			fprintf(f, "\\u%04x", s[i + 1]); /* C1 controls: escaped too */
			i += 2;
		} else {
			fwrite(s + i, 1, len, f);
			i += len;
		}
	}
	fputc('"', f);
}

void cli_json_str_or_null(FILE *f, const char *s, size_t max)
{
	if (s[0])
		cli_json_str(f, s, max);
	else
		fputs("null", f);
}
