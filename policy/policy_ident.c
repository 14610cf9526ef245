/* SPDX-License-Identifier: MIT */
/*
 * policy_ident.c - the identity patterns of the policy (policy.h):
 * "usb:VID:PID[:SERIAL[:ifN]]" and "path:PATTERN".  Both parsers (the
 * file and the canonical form) check them here, every pattern is compiled
 * here into a struct policy_pat once, at load time, and evaluation
 * matches a compiled pattern against a port's struct policy_ident.
 */
#include "policy.h"
#include "policy_int.h"

#include <ctype.h>
#include <errno.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define USB_PREFIX     "usb:"
#define PATH_PREFIX    "path:"
#define USB_FIELDS_MAX 4          /* VID, PID, SERIAL, ifN */
#define IFNUM_MAX      255        /* bInterfaceNumber is one byte */
#define USB_SYNTAX     "usb:VID:PID, usb:VID:PID:SERIAL or usb:VID:PID:SERIAL:ifN"

/* What is wrong with an identity pattern (ident_split()). */
enum ident_err {
	ID_OK, ID_CASE, ID_FIELDS, ID_VID, ID_PID, ID_SERIAL, ID_SERIAL_ESC, ID_IFNUM,
	ID_PATH,
};

/* An identity pattern taken apart; the fields point into the token. */
struct ident_parts {
	struct policy_pat pat;        /* glob unused here */
	const char *field[USB_FIELDS_MAX];
	size_t len[USB_FIELDS_MAX];
	size_t nfields;
	const char *path;             /* path: the glob after the prefix */
};

/* True if TOK starts with PREFIX in any case. */
static bool has_prefix_icase(const char *tok, const char *prefix)
{
	return strncasecmp(tok, prefix, strlen(prefix)) == 0;
}

/* True if TOK is an identity pattern (its prefix in any case). */
static bool is_ident(const char *tok)
{
	return has_prefix_icase(tok, USB_PREFIX) || has_prefix_icase(tok, PATH_PREFIX);
}

bool policy_pattern_is_ident(const char *pattern)
{
	return strncmp(pattern, USB_PREFIX, strlen(USB_PREFIX)) == 0 ||
	       strncmp(pattern, PATH_PREFIX, strlen(PATH_PREFIX)) == 0;
}

/* A VID or PID field: '*' (any) or exactly 4 hex digits. */
static bool parse_hex4(const char *f, size_t len, bool *any, uint16_t *out)
{
	unsigned int v = 0;

	if (len == 1 && f[0] == '*') {
		*any = true;
		return true;
	}
	if (len != 4)
		return false;
	for (size_t i = 0; i < len; i++) {
		if (!isxdigit((unsigned char)f[i]))
			return false;
		v = v * 16 + (unsigned int)(isdigit((unsigned char)f[i]) ? f[i] - '0'
						: tolower((unsigned char)f[i]) - 'a' + 10);
	}
	*any = false;
	*out = (uint16_t)v;
	return true;
}

/* An interface field: "if" (any case) and 1 to 3 decimal digits, at most 255. */
static bool parse_ifnum(const char *f, size_t len, int *out)
{
	int v = 0;

	if (len < 3 || len > 5 || strncasecmp(f, "if", 2) != 0)
		return false;
	for (size_t i = 2; i < len; i++) {
		if (!isdigit((unsigned char)f[i]))
			return false;
		v = v * 10 + (f[i] - '0');
	}
	if (v > IFNUM_MAX)
		return false;
	*out = v;
	return true;
}

/*
 * Take identity pattern TOK apart into *P, checking each field.  Returns
 * ID_OK, or what is wrong (P->field[] says where, for the message).
 */
static enum ident_err ident_split(const char *tok, struct ident_parts *p)
{
	const char *f;

	memset(p, 0, sizeof(*p));
	p->pat.ifnum = -1;
	if (has_prefix_icase(tok, PATH_PREFIX)) {
		p->pat.kind = POLICY_PAT_PATH;
		if (strncmp(tok, PATH_PREFIX, strlen(PATH_PREFIX)) != 0)
			return ID_CASE;
		p->path = tok + strlen(PATH_PREFIX);
		return *p->path ? ID_OK : ID_PATH;
	}
	p->pat.kind = POLICY_PAT_USB;
	if (strncmp(tok, USB_PREFIX, strlen(USB_PREFIX)) != 0)
		return ID_CASE;
	for (f = tok + strlen(USB_PREFIX);; f++) {
		size_t n = strcspn(f, ":");

		if (p->nfields == USB_FIELDS_MAX)
			return ID_FIELDS;
		p->field[p->nfields] = f;
		p->len[p->nfields++] = n;
		f += n;
		if (!*f)
			break;
	}
	if (p->nfields < 2)
		return ID_FIELDS;
	if (!parse_hex4(p->field[0], p->len[0], &p->pat.any_vid, &p->pat.vid))
		return ID_VID;
	if (!parse_hex4(p->field[1], p->len[1], &p->pat.any_pid, &p->pat.pid))
		return ID_PID;
	if (p->nfields >= 3 && p->len[2] == 0)
		return ID_SERIAL;
	if (p->nfields >= 3 && policy_glob_lone_backslash(p->field[2], p->len[2]))
		return ID_SERIAL_ESC;
	if (p->nfields == 4 && !parse_ifnum(p->field[3], p->len[3], &p->pat.ifnum))
		return ID_IFNUM;
	return ID_OK;
}

/*
 * Report what is wrong with identity pattern TOK on LINE.  Returns
 * -EINVAL (counted in CTX).
 */
static int ident_report(struct parse_ctx *ctx, unsigned int line, const char *tok,
			enum ident_err e, const struct ident_parts *p)
{
	char q[QUOTE_MAX], qf[QUOTE_MAX], field[QUOTE_MAX];
	size_t i = e == ID_VID ? 0 : e == ID_PID ? 1 : e == ID_SERIAL_ESC ? 2 : 3;

	policy_quote(tok, q, sizeof(q));
	if (e == ID_VID || e == ID_PID || e == ID_SERIAL_ESC || e == ID_IFNUM) {
		snprintf(field, sizeof(field), "%.*s", (int)p->len[i], p->field[i]);
		policy_quote(field, qf, sizeof(qf));
	}
	switch (e) {
	case ID_CASE:
		return policy_parse_error(ctx, line, "pattern '%s': write '%s' in lower case", q,
					  p->pat.kind == POLICY_PAT_USB ? USB_PREFIX : PATH_PREFIX);
	case ID_FIELDS:
		return policy_parse_error(ctx, line,
					  "pattern '%s' has the wrong number of fields (expected %s)",
					  q, USB_SYNTAX);
	case ID_VID:
	case ID_PID:
		return policy_parse_error(ctx, line,
					  "pattern '%s': bad %s id '%s' (4 hex digits or '*')", q,
					  e == ID_VID ? "vendor" : "product", qf);
	case ID_SERIAL:
		return policy_parse_error(ctx, line,
					  "pattern '%s': empty serial (write '*' for any)", q);
	case ID_SERIAL_ESC:
		return policy_parse_error(ctx, line,
					  "pattern '%s': serial '%s' ends in a lone backslash "
					  "(write '\\\\' for one)", q, qf);
	case ID_IFNUM:
		return policy_parse_error(ctx, line,
					  "pattern '%s': bad interface '%s' (ifN, N from 0 to %d)",
					  q, qf, IFNUM_MAX);
	case ID_PATH:
		return policy_parse_error(ctx, line, "pattern '%s': empty path pattern", q);
	case ID_OK:
		break;
	}
	return 0;
}

/*
 * The one spelling of parsed pattern P (from TOK) into OUT (at least
 * strlen(TOK) + 1 bytes): lower-case hex, "ifN" without leading zeros;
 * the serial and path globs as written.
 */
static void ident_spell(const char *tok, const struct ident_parts *p, char *out, size_t len)
{
	int n;

	if (p->pat.kind == POLICY_PAT_PATH) {
		snprintf(out, len, "%s", tok);
		return;
	}
	n = snprintf(out, len, USB_PREFIX);
	n += p->pat.any_vid ? snprintf(out + n, len - (size_t)n, "*")
			    : snprintf(out + n, len - (size_t)n, "%04x", p->pat.vid);
	n += p->pat.any_pid ? snprintf(out + n, len - (size_t)n, ":*")
			    : snprintf(out + n, len - (size_t)n, ":%04x", p->pat.pid);
	if (p->nfields >= 3)
		n += snprintf(out + n, len - (size_t)n, ":%.*s", (int)p->len[2], p->field[2]);
	if (p->nfields == 4)
		snprintf(out + n, len - (size_t)n, ":if%d", p->pat.ifnum);
}

/*
 * Check the identity syntax of pattern TOK on LINE (a port glob passes).
 * With CANONICAL, the pattern must also be in its one spelling.
 * Returns 0 or -EINVAL (reported).
 */
int policy_check_ident(struct parse_ctx *ctx, unsigned int line, const char *tok,
		       bool canonical)
{
	struct ident_parts p;
	enum ident_err e;
	char *spelled;
	int rc = 0;

	if (!is_ident(tok))
		return 0;
	e = ident_split(tok, &p);
	if (e != ID_OK)
		return ident_report(ctx, line, tok, e, &p);
	if (!canonical)
		return 0;
	spelled = malloc(strlen(tok) + 1);
	if (!spelled)
		return -ENOMEM;
	ident_spell(tok, &p, spelled, strlen(tok) + 1);
	if (strcmp(spelled, tok) != 0)
		rc = policy_parse_error(ctx, line, "pattern not in its canonical spelling");
	free(spelled);
	return rc;
}

/*
 * Compile pattern TOK (already checked) into *PAT and its text into
 * *TEXT (malloc'd): the pattern in its one spelling, then for a usb:
 * pattern with a serial the serial glob, NUL-terminated, that PAT->glob
 * points at.  Returns 0, -ENOMEM, or -EINVAL for a malformed pattern.
 */
int policy_pat_compile(const char *tok, char **text, struct policy_pat *pat)
{
	size_t len = strlen(tok) + 1;
	struct ident_parts p;
	char *buf;

	*text = NULL;
	if (!is_ident(tok)) {
		*text = strdup(tok);
		if (!*text)
			return -ENOMEM;
		*pat = (struct policy_pat){ .kind = POLICY_PAT_GLOB, .ifnum = -1, .glob = *text };
		return 0;
	}
	if (ident_split(tok, &p) != ID_OK)
		return -EINVAL;
	buf = malloc(2 * len);
	if (!buf)
		return -ENOMEM;
	ident_spell(tok, &p, buf, len);
	*pat = p.pat;
	if (p.pat.kind == POLICY_PAT_PATH) {
		pat->glob = buf + strlen(PATH_PREFIX);
	} else if (p.nfields >= 3) {
		char *serial = buf + strlen(buf) + 1;

		memcpy(serial, p.field[2], p.len[2]);
		serial[p.len[2]] = '\0';
		pat->glob = serial;
	}
	*text = buf;
	return 0;
}

/* True if S, an identity string of POLICY_ID_STR bytes, is NUL-terminated. */
static bool id_str_ok(const char *s)
{
	return memchr(s, '\0', POLICY_ID_STR) != NULL;
}

/*
 * True if identity pattern PAT matches ID.  No identity matches nothing;
 * a usb: pattern needs a USB ancestor, a path: pattern a known path.
 */
bool policy_pat_match_ident(const struct policy_pat *pat, const struct policy_ident *id)
{
	if (!id)
		return false;
	switch (pat->kind) {
	case POLICY_PAT_USB:
		if (!id->usb)
			return false;
		if ((!pat->any_vid && pat->vid != id->vid) ||
		    (!pat->any_pid && pat->pid != id->pid))
			return false;
		if (pat->ifnum >= 0 && pat->ifnum != id->ifnum)
			return false;
		if (!pat->glob)
			return true;
		return id_str_ok(id->serial) && fnmatch(pat->glob, id->serial, 0) == 0;
	case POLICY_PAT_PATH:
		return id_str_ok(id->path) && id->path[0] &&
		       fnmatch(pat->glob, id->path, 0) == 0;
	case POLICY_PAT_GLOB:
		break;
	}
	return false;
}
