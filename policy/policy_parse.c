/* SPDX-License-Identifier: MIT */
/*
 * policy_parse.c - the policy file parser (see policy.h for the format): names are
 * resolved to ids here, with NSS, so evaluation never needs it.  The
 * helpers shared with the canonical form (policy_canon.c) are here too.
 */
#include "policy.h"
#include "policy_int.h"

#include <errno.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Thread-safe strerror (GNU strerror_r returns a string, maybe not BUF). */
const char *policy_errstr(int errnum, char *buf, size_t len)
{
	return strerror_r(errnum, buf, len);
}

/* Hand one formatted message to the caller's callback, if any. */
void policy_emit(policy_error_fn err, void *arg, const char *path,
		 unsigned int line, const char *fmt, va_list ap)
{
	char msg[MSG_MAX];

	if (!err)
		return;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	err(arg, path ? path : NO_PATH, line, msg);
}

/* Report a parse error on LINE and count it; always returns -EINVAL. */
int policy_parse_error(struct parse_ctx *ctx, unsigned int line,
		       const char *fmt, ...)
{
	va_list ap;

	ctx->nerrors++;
	va_start(ap, fmt);
	policy_emit(ctx->err, ctx->arg, ctx->path, line, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

/* Report a whole-file problem (line 0) found by policy_load(). */
void policy_file_error(policy_error_fn err, void *arg, const char *path,
		       const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	policy_emit(err, arg, path, 0, fmt, ap);
	va_end(ap);
}

/*
 * Copy TOK into OUT for quoting in a message: bytes outside printable
 * ASCII become \xNN and long tokens are cut with "...", so a hostile
 * policy cannot put control sequences into logs or terminals.
 */
const char *policy_quote(const char *tok, char *out, size_t outlen)
{
	static const char hex[] = "0123456789abcdef";
	size_t o = 0;

	for (; *tok; tok++) {
		unsigned char c = (unsigned char)*tok;
		size_t need = (c >= 0x20 && c < 0x7f) ? 1 : 4;

		if (o + need + sizeof("...") > outlen) {
			memcpy(out + o, "...", sizeof("..."));
			return out;
		}
		if (need == 1) {
			out[o++] = (char)c;
			continue;
		}
		out[o++] = '\\';
		out[o++] = 'x';
		out[o++] = hex[c >> 4];
		out[o++] = hex[c & 0xf];
	}
	out[o] = '\0';
	return out;
}

/*
 * Make room for a bigger NSS buffer in *BUF: the first call takes the
 * libc's hint for SC_NAME, later calls double.  Returns 0, -ENOMEM, or
 * -ERANGE once NSS_BUF_MAX would be exceeded.
 */
int policy_nss_grow(char **buf, size_t *size, int sc_name)
{
	size_t next;

	if (*size == 0) {
		long hint = sysconf(sc_name);

		next = (hint > 0 && hint <= NSS_BUF_MAX) ? (size_t)hint
							: NSS_BUF_FIRST;
	} else if (*size >= NSS_BUF_MAX) {
		return -ERANGE;
	} else {
		next = *size * 2;
	}
	free(*buf);
	*buf = malloc(next);
	if (!*buf) {
		*size = 0;
		return -ENOMEM;
	}
	*size = next;
	return 0;
}

/* Resolve user NAME to *UID.  Returns 0, -ENOENT if unknown, or -errno. */
static int lookup_user(const char *name, uid_t *uid)
{
	struct passwd pw, *res = NULL;
	char *buf = NULL;
	size_t size = 0;
	int rc;

	do {
		rc = policy_nss_grow(&buf, &size, _SC_GETPW_R_SIZE_MAX);
		if (rc < 0)
			goto out;
		rc = getpwnam_r(name, &pw, buf, size, &res);
	} while (rc == ERANGE);
	if (rc == 0 && res)
		*uid = res->pw_uid;
	else if (rc == 0 || rc == ENOENT || rc == ESRCH)
		rc = -ENOENT;
	else
		rc = -rc;
out:
	free(buf);
	return rc;
}

/* Resolve group NAME to *GID.  Returns 0, -ENOENT if unknown, or -errno. */
static int lookup_group(const char *name, gid_t *gid)
{
	struct group gr, *res = NULL;
	char *buf = NULL;
	size_t size = 0;
	int rc;

	do {
		rc = policy_nss_grow(&buf, &size, _SC_GETGR_R_SIZE_MAX);
		if (rc < 0)
			goto out;
		rc = getgrnam_r(name, &gr, buf, size, &res);
	} while (rc == ERANGE);
	if (rc == 0 && res)
		*gid = res->gr_gid;
	else if (rc == 0 || rc == ENOENT || rc == ESRCH)
		rc = -ENOENT;
	else
		rc = -rc;
out:
	free(buf);
	return rc;
}

/*
 * Fill RULE's subject from the WHO token: "*", ":group" or a user name.
 * Returns 0, -EINVAL (reported), or -ENOMEM.
 */
static int parse_who(struct parse_ctx *ctx, const char *who,
		     struct policy_rule *rule)
{
	char q[QUOTE_MAX], e[64];
	const char *kind = "user";
	int rc;

	if (strcmp(who, "*") == 0) {
		rule->who = POLICY_WHO_ANY;
		return 0;
	}
	if (who[0] == ':') {
		kind = "group";
		if (who[1] == '\0')
			return policy_parse_error(ctx, rule->line,
					   "empty group name after ':'");
		rule->who = POLICY_WHO_GROUP;
		rc = lookup_group(who + 1, &rule->gid);
		who++;
	} else {
		rule->who = POLICY_WHO_USER;
		rc = lookup_user(who, &rule->uid);
	}
	if (rc == 0 || rc == -ENOMEM)
		return rc;
	if (rc == -ENOENT)
		return policy_parse_error(ctx, rule->line, "unknown %s '%s'", kind,
				   policy_quote(who, q, sizeof(q)));
	return policy_parse_error(ctx, rule->line, "cannot look up %s '%s': %s", kind,
			   policy_quote(who, q, sizeof(q)), policy_errstr(-rc, e, sizeof(e)));
}

/* True if PAT has a path component that is exactly "..". */
static bool has_dotdot(const char *pat)
{
	const char *p = pat;

	for (;;) {
		size_t n = strcspn(p, "/");

		if (n == 2 && p[0] == '.' && p[1] == '.')
			return true;
		if (p[n] == '\0')
			return false;
		p += n + 1;
	}
}

/*
 * A glob whose last character is a backslash that escapes nothing never
 * matches under fnmatch(3), so a deny rule with one would be silently
 * void: the parser refuses it.
 */
bool policy_glob_lone_backslash(const char *s, size_t n)
{
	size_t k = 0;

	while (k < n && s[n - 1 - k] == '\\')
		k++;
	return k % 2 == 1;
}

/*
 * Check one port pattern: printable ASCII without spaces, relative to
 * /dev (no leading '/'), no ".." component, and no lone backslash at
 * the end.  Returns 0 or -EINVAL (reported).
 */
int policy_check_pattern(struct parse_ctx *ctx, unsigned int line,
			 const char *pat)
{
	char q[QUOTE_MAX];
	const char *p;

	for (p = pat; *p; p++) {
		unsigned char c = (unsigned char)*p;

		if (c <= ' ' || c >= 0x7f)
			return policy_parse_error(ctx, line,
					   "pattern '%s' contains a space or a non-printable character",
					   policy_quote(pat, q, sizeof(q)));
	}
	if (pat[0] == '/')
		return policy_parse_error(ctx, line,
				   "pattern '%s' is absolute; port names are relative to /dev",
				   policy_quote(pat, q, sizeof(q)));
	if (has_dotdot(pat))
		return policy_parse_error(ctx, line,
				   "pattern '%s' contains a '..' component",
				   policy_quote(pat, q, sizeof(q)));
	if (policy_glob_lone_backslash(pat, strlen(pat)))
		return policy_parse_error(ctx, line,
				   "pattern '%s' ends in a lone backslash (write '\\\\' for one)",
				   policy_quote(pat, q, sizeof(q)));
	return policy_check_ident(ctx, line, pat, false);
}

/* Release everything a rule owns (not the rule struct itself). */
void policy_rule_clear(struct policy_rule *rule)
{
	size_t i;

	for (i = 0; i < rule->npatterns; i++)
		free(rule->patterns[i]);
	free(rule->patterns);
	free(rule->pats);
	rule->patterns = NULL;
	rule->pats = NULL;
	rule->npatterns = 0;
}

/*
 * Append PR to the policy, compiling its patterns (policy_pat_compile():
 * identity patterns in their one spelling).  Enforces
 * POLICY_MAX_RULES, reporting the overflow once.  Returns 0, -EINVAL or
 * -ENOMEM.
 */
int policy_add_rule(struct parse_ctx *ctx, const struct pending_rule *pr)
{
	struct policy *pol = ctx->pol;
	struct policy_rule *rule;
	size_t i;

	if (pol->nrules >= POLICY_MAX_RULES) {
		if (ctx->too_many_reported)
			return -EINVAL;
		ctx->too_many_reported = true;
		return policy_parse_error(ctx, pr->rule.line,
				   "too many rules (at most %d)", POLICY_MAX_RULES);
	}
	if (pol->nrules == ctx->cap) {
		size_t ncap = ctx->cap ? ctx->cap * 2 : 16;
		struct policy_rule *n = reallocarray(pol->rules, ncap, sizeof(*n));

		if (!n)
			return -ENOMEM;
		pol->rules = n;
		ctx->cap = ncap;
	}
	rule = &pol->rules[pol->nrules];
	*rule = pr->rule;
	rule->npatterns = 0;
	rule->patterns = calloc(pr->npatterns, sizeof(*rule->patterns));
	rule->pats = calloc(pr->npatterns, sizeof(*rule->pats));
	pol->nrules++;     /* from here policy_free() releases the rule */
	if (!rule->patterns || !rule->pats)
		return -ENOMEM;
	for (i = 0; i < pr->npatterns; i++) {
		int rc = policy_pat_compile(pr->patterns[i], &rule->patterns[i],
					    &rule->pats[i]);

		if (rc < 0)
			return rc;
		rule->npatterns++;
	}
	return 0;
}

/*
 * Parse the rule in ctx->line (comments already allowed, NUL-terminated).
 * Only the first error on a line is reported, to avoid a cascade of
 * follow-up messages from one typo.  Returns 0, -EINVAL or -ENOMEM.
 */
static int parse_rule(struct parse_ctx *ctx, unsigned int line)
{
	struct pending_rule pr = { .rule = { .line = line } };
	char q[QUOTE_MAX], *save = NULL, *tok, *hash;
	int rc;

	hash = strchr(ctx->line, '#');
	if (hash)
		*hash = '\0';
	tok = strtok_r(ctx->line, SEPARATORS, &save);
	if (!tok)
		return 0;                     /* blank or comment-only */
	if (strcmp(tok, "permit") == 0)
		pr.rule.permit = true;
	else if (strcmp(tok, "take") == 0)
		pr.rule.take = true;
	else if (strcmp(tok, "deny") != 0)
		return policy_parse_error(ctx, line,
				   "unknown action '%s' (expected permit, deny or take)",
				   policy_quote(tok, q, sizeof(q)));
	tok = strtok_r(NULL, SEPARATORS, &save);
	if (!tok)
		return policy_parse_error(ctx, line,
				   "rule has no user, :group or '*' after the action");
	if (!pr.rule.take && strcmp(tok, "take") == 0 &&
	    lookup_user(tok, &pr.rule.uid) == -ENOENT)
		return policy_parse_error(ctx, line, "'take' is an action of its own: "
				   "write 'take WHO PATTERN...'");
	rc = parse_who(ctx, tok, &pr.rule);
	if (rc < 0)
		return rc;
	while ((tok = strtok_r(NULL, SEPARATORS, &save))) {
		if (pr.npatterns == POLICY_MAX_PATTERNS)
			return policy_parse_error(ctx, line,
					   "too many port patterns in rule (at most %d)",
					   POLICY_MAX_PATTERNS);
		rc = policy_check_pattern(ctx, line, tok);
		if (rc < 0)
			return rc;
		pr.patterns[pr.npatterns++] = tok;
	}
	if (pr.npatterns == 0)
		return policy_parse_error(ctx, line, "rule has no port pattern");
	return policy_add_rule(ctx, &pr);
}

/* Check one raw line (LEN bytes, no '\n') and parse it if it is sane. */
static int parse_line(struct parse_ctx *ctx, const char *text, size_t len,
		      unsigned int line)
{
	if (len > POLICY_MAX_LINE)
		return policy_parse_error(ctx, line, "line too long (more than %d bytes)",
				   POLICY_MAX_LINE);
	if (memchr(text, '\0', len))
		return policy_parse_error(ctx, line, "NUL byte in policy");
	memcpy(ctx->line, text, len);
	ctx->line[len] = '\0';
	return parse_rule(ctx, line);
}

/* Allocate an empty policy remembering PATH.  NULL and errno on failure. */
struct policy *policy_new(const char *path)
{
	struct policy *pol = calloc(1, sizeof(*pol));

	if (!pol)
		return NULL;
	pol->path = strdup(path ? path : NO_PATH);
	if (!pol->path) {
		free(pol);
		errno = ENOMEM;
		return NULL;
	}
	return pol;
}

/*
 * Split TEXT into lines and parse each one, going on after errors so
 * that all of them are reported.  A policy with any error is discarded.
 */
int policy_parse(const char *text, size_t len, const char *path,
		 policy_error_fn err, void *arg, struct policy **out)
{
	struct parse_ctx *ctx;
	unsigned int line = 0;
	size_t pos = 0;
	int rc = 0;

	*out = NULL;
	ctx = calloc(1, sizeof(*ctx));
	if (!ctx)
		return -ENOMEM;
	ctx->path = path;
	ctx->err = err;
	ctx->arg = arg;
	if (len > POLICY_MAX_SIZE) {
		policy_parse_error(ctx, 0, "policy larger than %d bytes", POLICY_MAX_SIZE);
		rc = -EINVAL;
		goto free_ctx;
	}
	ctx->pol = policy_new(path);
	if (!ctx->pol) {
		rc = -ENOMEM;
		goto free_ctx;
	}
	while (pos < len) {
		const char *start = text + pos;
		const char *nl = memchr(start, '\n', len - pos);
		size_t n = nl ? (size_t)(nl - start) : len - pos;

		pos += n + (nl ? 1 : 0);
		rc = parse_line(ctx, start, n, ++line);
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
free_ctx:
	free(ctx);
	return rc;
}

void policy_free(struct policy *pol)
{
	size_t i;

	if (!pol)
		return;
	for (i = 0; i < pol->nrules; i++)
		policy_rule_clear(&pol->rules[i]);
	free(pol->rules);
	free(pol->path);
	free(pol);
}
