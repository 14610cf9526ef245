/* SPDX-License-Identifier: MIT */
/*
 * policy_canon.c - the canonical form of a parsed policy: what the
 * daemon's privileged parent hands to its confined engine on reload
 * (docs/DESIGN.md "Reload").  Ids are numeric, so parsing it needs no
 * name service, and each rule keeps the line of the file it came from, so
 * audit lines still say FILE:LINE.  The grammar has exactly one spelling
 * of each policy: format(parse(T)) == T for every T that parses.
 *
 *     ttybroker-policy 1\n
 *     LINE ACTION WHO PATTERN...\n          (one line per rule)
 *
 * LINE: the file's line, 1 or more, strictly increasing; ACTION: permit,
 * deny or take; WHO: "*", "u" UID or "g" GID; numbers in decimal without leading
 * zeros; single spaces; 1 to POLICY_MAX_PATTERNS patterns with the file's
 * pattern rules and no '#', identity patterns (usb:, path:) in their one
 * spelling (lower-case hex, "ifN" without leading zeros).
 */
#include "policy.h"
#include "policy_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CANON_HEADER "ttybroker-policy 1\n"

/* Append "LINE ACTION WHO PATTERN..." for RULE to F. */
static void canon_rule(FILE *f, const struct policy_rule *rule)
{
	fprintf(f, "%u %s ", rule->line,
		rule->take ? "take" : rule->permit ? "permit" : "deny");
	if (rule->who == POLICY_WHO_USER)
		fprintf(f, "u%u", (unsigned int)rule->uid);
	else if (rule->who == POLICY_WHO_GROUP)
		fprintf(f, "g%u", (unsigned int)rule->gid);
	else
		fputc('*', f);
	for (size_t i = 0; i < rule->npatterns; i++)
		fprintf(f, " %s", rule->patterns[i]);
	fputc('\n', f);
}

int policy_canon_format(const struct policy *pol, char **out, size_t *len)
{
	char *buf = NULL;
	size_t n = 0;
	FILE *f;

	*out = NULL;
	*len = 0;
	f = open_memstream(&buf, &n);
	if (!f)
		return -ENOMEM;
	fputs(CANON_HEADER, f);
	for (size_t i = 0; pol && i < pol->nrules; i++)
		canon_rule(f, &pol->rules[i]);
	if (ferror(f) | fclose(f)) {
		free(buf);
		return -ENOMEM;
	}
	if (n > POLICY_CANON_MAX) {
		free(buf);
		return -EFBIG;
	}
	*out = buf;
	*len = n;
	return 0;
}

/*
 * A decimal number in TOK: no sign, no leading zero, at most MAX.
 * Returns 0 or -EINVAL.
 */
static int canon_number(const char *tok, unsigned long max, unsigned long *out)
{
	unsigned long v = 0;

	if (!*tok || (tok[0] == '0' && tok[1]))
		return -EINVAL;
	for (; *tok; tok++) {
		if (*tok < '0' || *tok > '9' || v > (max - (unsigned long)(*tok - '0')) / 10)
			return -EINVAL;
		v = v * 10 + (unsigned long)(*tok - '0');
	}
	*out = v;
	return 0;
}

/*
 * Parse one rule line (NUL-terminated in BUF, written to) at canonical
 * line LNO; *LAST is the previous rule's file line.
 */
static int canon_line(struct parse_ctx *ctx, char *buf, unsigned int lno,
		      unsigned long *last)
{
	struct pending_rule pr = { .rule = { .line = 0 } };
	char *tok[3 + POLICY_MAX_PATTERNS], *p = buf;
	size_t ntok = 0;
	unsigned long v;

	for (;;) {
		char *sp = strchr(p, ' ');

		if (ntok == sizeof(tok) / sizeof(tok[0]))
			return policy_parse_error(ctx, lno, "too many fields");
		tok[ntok++] = p;
		if (!sp)
			break;
		*sp = '\0';
		p = sp + 1;
	}
	for (size_t i = 0; i < ntok; i++)
		if (!*tok[i])
			return policy_parse_error(ctx, lno, "empty field");
	if (ntok < 4)
		return policy_parse_error(ctx, lno, "rule without a pattern");
	if (canon_number(tok[0], POLICY_MAX_SIZE + 1UL, &v) < 0 || v == 0 || v <= *last)
		return policy_parse_error(ctx, lno, "bad or non-increasing line number");
	*last = v;
	pr.rule.line = (unsigned int)v;
	if (strcmp(tok[1], "permit") == 0)
		pr.rule.permit = true;
	else if (strcmp(tok[1], "take") == 0)
		pr.rule.take = true;
	else if (strcmp(tok[1], "deny") != 0)
		return policy_parse_error(ctx, lno, "bad action");
	if (strcmp(tok[2], "*") == 0) {
		pr.rule.who = POLICY_WHO_ANY;
	} else if ((tok[2][0] == 'u' || tok[2][0] == 'g') &&
		   canon_number(tok[2] + 1, (uid_t)-2, &v) == 0) {
		pr.rule.who = tok[2][0] == 'u' ? POLICY_WHO_USER : POLICY_WHO_GROUP;
		pr.rule.uid = pr.rule.who == POLICY_WHO_USER ? (uid_t)v : 0;
		pr.rule.gid = pr.rule.who == POLICY_WHO_GROUP ? (gid_t)v : 0;
	} else {
		return policy_parse_error(ctx, lno, "bad subject");
	}
	for (size_t i = 3; i < ntok; i++) {
		if (strchr(tok[i], '#'))
			return policy_parse_error(ctx, lno, "'#' in a pattern");
		int rc = policy_check_pattern(ctx, lno, tok[i]);

		if (rc == 0)
			rc = policy_check_ident(ctx, lno, tok[i], true);
		if (rc < 0)
			return rc;
		pr.patterns[pr.npatterns++] = tok[i];
	}
	return policy_add_rule(ctx, &pr);
}

int policy_canon_parse(const char *text, size_t len, const char *path,
		       policy_error_fn err, void *arg, struct policy **out)
{
	const size_t hlen = sizeof(CANON_HEADER) - 1;
	struct parse_ctx *ctx;
	unsigned long last = 0;
	unsigned int lno = 1;
	char *buf = NULL;
	size_t pos;
	int rc;

	*out = NULL;
	ctx = calloc(1, sizeof(*ctx));
	if (!ctx)
		return -ENOMEM;
	ctx->path = path;
	ctx->err = err;
	ctx->arg = arg;
	if (len > POLICY_CANON_MAX || len < hlen || memcmp(text, CANON_HEADER, hlen) ||
	    memchr(text, '\0', len) || text[len - 1] != '\n') {
		rc = policy_parse_error(ctx, 0, "not a canonical policy");
		goto free_ctx;
	}
	buf = malloc(POLICY_CANON_LINE + 1);
	ctx->pol = policy_new(path);
	if (!buf || !ctx->pol) {
		rc = -ENOMEM;
		goto free_pol;
	}
	for (pos = hlen; pos < len && !ctx->nerrors;) {
		const char *nl = memchr(text + pos, '\n', len - pos);
		size_t n = (size_t)(nl - (text + pos)); /* the text ends with '\n' */

		lno++;
		if (n > POLICY_CANON_LINE) {
			policy_parse_error(ctx, lno, "line too long");
			break;
		}
		memcpy(buf, text + pos, n);
		buf[n] = '\0';
		pos += n + 1;
		rc = canon_line(ctx, buf, lno, &last);
		if (rc == -ENOMEM)
			goto free_pol;
	}
	if (ctx->nerrors) {
		rc = -EINVAL;
		goto free_pol;
	}
	*out = ctx->pol;
	ctx->pol = NULL;
	rc = 0;
free_pol:
	policy_free(ctx->pol);
	free(buf);
free_ctx:
	free(ctx);
	return rc;
}
