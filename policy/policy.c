/* SPDX-License-Identifier: MIT */
/*
 * policy.c - parse, load and evaluate the admin's port policy (see
 * policy.h for the file format).  Names are resolved to ids at parse
 * time so that evaluation is pure computation on the loaded rules.
 */
#include "policy.h"

#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define PTS_PREFIX      "pts/"
#define PTS_PREFIX_LEN  (sizeof(PTS_PREFIX) - 1)
#define SEPARATORS      " \t"
#define MSG_MAX         512              /* one error message            */
#define QUOTE_MAX       80               /* a quoted token in a message  */
#define NSS_BUF_FIRST   1024             /* without a sysconf() hint     */
#define NSS_BUF_MAX     (1024 * 1024)    /* give up growing beyond this  */
#define NO_PATH         "<policy>"

/* State of one policy_parse() call. */
struct parse_ctx {
	const char *path;
	policy_error_fn err;
	void *arg;
	unsigned int nerrors;
	bool too_many_reported;
	struct policy *pol;
	size_t cap;                      /* allocated entries in pol->rules */
	char line[POLICY_MAX_LINE + 1];  /* current line, NUL-terminated    */
};

/* A rule being built from one line; patterns point into ctx->line. */
struct pending_rule {
	struct policy_rule rule;
	size_t npatterns;
	const char *patterns[POLICY_MAX_PATTERNS];
};

/* Thread-safe strerror (GNU strerror_r returns a string, maybe not BUF). */
static const char *errstr(int errnum, char *buf, size_t len)
{
	return strerror_r(errnum, buf, len);
}

/* Hand one formatted message to the caller's callback, if any. */
static void emit(policy_error_fn err, void *arg, const char *path,
		 unsigned int line, const char *fmt, va_list ap)
	__attribute__((format(printf, 5, 0)));
static void emit(policy_error_fn err, void *arg, const char *path,
		 unsigned int line, const char *fmt, va_list ap)
{
	char msg[MSG_MAX];

	if (!err)
		return;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	err(arg, path ? path : NO_PATH, line, msg);
}

/* Report a parse error on LINE and count it; always returns -EINVAL. */
static int parse_error(struct parse_ctx *ctx, unsigned int line,
		       const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int parse_error(struct parse_ctx *ctx, unsigned int line,
		       const char *fmt, ...)
{
	va_list ap;

	ctx->nerrors++;
	va_start(ap, fmt);
	emit(ctx->err, ctx->arg, ctx->path, line, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

/* Report a whole-file problem (line 0) found by policy_load(). */
static void file_error(policy_error_fn err, void *arg, const char *path,
		       const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static void file_error(policy_error_fn err, void *arg, const char *path,
		       const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	emit(err, arg, path, 0, fmt, ap);
	va_end(ap);
}

/*
 * Copy TOK into OUT for quoting in a message: bytes outside printable
 * ASCII become \xNN and long tokens are cut with "...", so a hostile
 * policy cannot put control sequences into logs or terminals.
 */
static const char *quote(const char *tok, char *out, size_t outlen)
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
static int nss_grow(char **buf, size_t *size, int sc_name)
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
		rc = nss_grow(&buf, &size, _SC_GETPW_R_SIZE_MAX);
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
		rc = nss_grow(&buf, &size, _SC_GETGR_R_SIZE_MAX);
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
			return parse_error(ctx, rule->line,
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
		return parse_error(ctx, rule->line, "unknown %s '%s'", kind,
				   quote(who, q, sizeof(q)));
	return parse_error(ctx, rule->line, "cannot look up %s '%s': %s", kind,
			   quote(who, q, sizeof(q)), errstr(-rc, e, sizeof(e)));
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
 * Check one port pattern: printable ASCII without spaces, relative to
 * /dev (no leading '/'), and no ".." component.  Returns 0 or -EINVAL
 * (reported).
 */
static int check_pattern(struct parse_ctx *ctx, unsigned int line,
			 const char *pat)
{
	char q[QUOTE_MAX];
	const char *p;

	for (p = pat; *p; p++) {
		unsigned char c = (unsigned char)*p;

		if (c <= ' ' || c >= 0x7f)
			return parse_error(ctx, line,
					   "pattern '%s' contains a space or a non-printable character",
					   quote(pat, q, sizeof(q)));
	}
	if (pat[0] == '/')
		return parse_error(ctx, line,
				   "pattern '%s' is absolute; port names are relative to /dev",
				   quote(pat, q, sizeof(q)));
	if (has_dotdot(pat))
		return parse_error(ctx, line,
				   "pattern '%s' contains a '..' component",
				   quote(pat, q, sizeof(q)));
	return 0;
}

/* Release everything a rule owns (not the rule struct itself). */
static void rule_clear(struct policy_rule *rule)
{
	size_t i;

	for (i = 0; i < rule->npatterns; i++)
		free(rule->patterns[i]);
	free(rule->patterns);
	rule->patterns = NULL;
	rule->npatterns = 0;
}

/*
 * Append PR to the policy, copying its patterns.  Enforces
 * POLICY_MAX_RULES, reporting the overflow once.  Returns 0, -EINVAL or
 * -ENOMEM.
 */
static int add_rule(struct parse_ctx *ctx, const struct pending_rule *pr)
{
	struct policy *pol = ctx->pol;
	struct policy_rule *rule;
	size_t i;

	if (pol->nrules >= POLICY_MAX_RULES) {
		if (ctx->too_many_reported)
			return -EINVAL;
		ctx->too_many_reported = true;
		return parse_error(ctx, pr->rule.line,
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
	if (!rule->patterns)
		return -ENOMEM;
	pol->nrules++;     /* from here policy_free() releases the rule */
	for (i = 0; i < pr->npatterns; i++) {
		rule->patterns[i] = strdup(pr->patterns[i]);
		if (!rule->patterns[i])
			return -ENOMEM;
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
	else if (strcmp(tok, "deny") != 0)
		return parse_error(ctx, line,
				   "unknown action '%s' (expected permit or deny)",
				   quote(tok, q, sizeof(q)));
	tok = strtok_r(NULL, SEPARATORS, &save);
	if (!tok)
		return parse_error(ctx, line,
				   "rule has no user, :group or '*' after the action");
	rc = parse_who(ctx, tok, &pr.rule);
	if (rc < 0)
		return rc;
	while ((tok = strtok_r(NULL, SEPARATORS, &save))) {
		if (pr.npatterns == POLICY_MAX_PATTERNS)
			return parse_error(ctx, line,
					   "too many port patterns in rule (at most %d)",
					   POLICY_MAX_PATTERNS);
		rc = check_pattern(ctx, line, tok);
		if (rc < 0)
			return rc;
		pr.patterns[pr.npatterns++] = tok;
	}
	if (pr.npatterns == 0)
		return parse_error(ctx, line, "rule has no port pattern");
	return add_rule(ctx, &pr);
}

/* Check one raw line (LEN bytes, no '\n') and parse it if it is sane. */
static int parse_line(struct parse_ctx *ctx, const char *text, size_t len,
		      unsigned int line)
{
	if (len > POLICY_MAX_LINE)
		return parse_error(ctx, line, "line too long (more than %d bytes)",
				   POLICY_MAX_LINE);
	if (memchr(text, '\0', len))
		return parse_error(ctx, line, "NUL byte in policy");
	memcpy(ctx->line, text, len);
	ctx->line[len] = '\0';
	return parse_rule(ctx, line);
}

/* Allocate an empty policy remembering PATH.  NULL and errno on failure. */
static struct policy *policy_new(const char *path)
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
		parse_error(ctx, 0, "policy larger than %d bytes", POLICY_MAX_SIZE);
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

/*
 * Refuse a file that an unprivileged user could have written or that is
 * not a plain file.  Returns 0, -EPERM or -EFBIG (reported).
 */
static int check_file(const struct stat *st, const char *path,
		      policy_error_fn err, void *arg)
{
	if (!S_ISREG(st->st_mode)) {
		file_error(err, arg, path, "not a regular file");
		return -EPERM;
	}
	if (st->st_uid != 0) {
		file_error(err, arg, path, "not owned by root");
		return -EPERM;
	}
	if (st->st_mode & (S_IWGRP | S_IWOTH)) {
		file_error(err, arg, path, "writable by group or others");
		return -EPERM;
	}
	if (st->st_size > POLICY_MAX_SIZE) {
		file_error(err, arg, path, "larger than %d bytes", POLICY_MAX_SIZE);
		return -EFBIG;
	}
	return 0;
}

/*
 * Read all of FD into a new buffer (*BUF, *LEN).  st_size is only a
 * hint: the loop stops at EOF or at POLICY_MAX_SIZE + 1 bytes, which
 * means the file is too big.  Returns 0, -EFBIG (reported) or -errno.
 */
static int read_all(int fd, off_t hint, const char *path, policy_error_fn err,
		    void *arg, char **buf, size_t *len)
{
	const size_t limit = (size_t)POLICY_MAX_SIZE + 1;
	size_t cap = (hint > 0 && hint <= POLICY_MAX_SIZE) ? (size_t)hint + 1 : 4096;
	size_t got = 0;
	char *data, e[64];
	int rc;

	data = malloc(cap);
	if (!data)
		return -ENOMEM;
	for (;;) {
		ssize_t n;

		if (got == cap) {
			size_t ncap = cap * 2 < limit ? cap * 2 : limit;
			char *bigger;

			if (cap == limit) {
				file_error(err, arg, path, "larger than %d bytes",
					   POLICY_MAX_SIZE);
				rc = -EFBIG;
				goto fail;
			}
			bigger = realloc(data, ncap);
			if (!bigger) {
				rc = -ENOMEM;
				goto fail;
			}
			data = bigger;
			cap = ncap;
		}
		n = read(fd, data + got, cap - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = -errno;
			file_error(err, arg, path, "read failed: %s",
				   errstr(-rc, e, sizeof(e)));
			goto fail;
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	*buf = data;
	*len = got;
	return 0;
fail:
	free(data);
	return rc;
}

/*
 * What a failed open(2) of a policy file (O_NOFOLLOW) means, in words an
 * admin acts on.  Shared with `ttybroker lint`, so both say the same.
 */
const char *policy_open_strerror(int errnum, char *buf, size_t len)
{
	char e[64];

	switch (errnum) {
	case ENOENT:
		return "no such file";
	case ELOOP: /* O_NOFOLLOW: the last component is a link */
		return "is a symbolic link (not followed)";
	case ENOTDIR:
		return "a path component is not a directory";
	case EACCES:
		return "permission denied";
	default:
		snprintf(buf, len, "cannot open: %s", errstr(errnum, e, sizeof(e)));
		return buf;
	}
}

/* Turn a failed open(2) of the policy into a message and an errno. */
static int open_error(int errnum, const char *path, policy_error_fn err,
		      void *arg)
{
	char msg[96];

	file_error(err, arg, path, "%s", policy_open_strerror(errnum, msg, sizeof(msg)));
	return errnum == ELOOP ? -EPERM : -errnum;
}

/*
 * Open PATH without following a final symlink and without blocking (a
 * FIFO must not hang the broker), vet the file, read it and parse it.
 */
int policy_load(const char *path, policy_error_fn err, void *arg,
		struct policy **out)
{
	struct stat st;
	char *text = NULL, e[64];
	size_t len = 0;
	int fd, rc;

	*out = NULL;
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return open_error(errno, path, err, arg);
	if (fstat(fd, &st) < 0) {
		rc = -errno;
		file_error(err, arg, path, "cannot stat: %s",
			   errstr(-rc, e, sizeof(e)));
		goto close_fd;
	}
	rc = check_file(&st, path, err, arg);
	if (rc < 0)
		goto close_fd;
	rc = read_all(fd, st.st_size, path, err, arg, &text, &len);
	if (rc < 0)
		goto close_fd;
	rc = policy_parse(text, len, path, err, arg, out);
	free(text);
close_fd:
	close(fd);
	fd = -1;
	return rc;
}

void policy_free(struct policy *pol)
{
	size_t i;

	if (!pol)
		return;
	for (i = 0; i < pol->nrules; i++)
		rule_clear(&pol->rules[i]);
	free(pol->rules);
	free(pol->path);
	free(pol);
}

/* True if RULE's WHO covers SUBJ (primary or supplementary group). */
static bool who_matches(const struct policy_rule *rule,
			const struct policy_subject *subj)
{
	size_t i, n;

	switch (rule->who) {
	case POLICY_WHO_ANY:
		return true;
	case POLICY_WHO_USER:
		return rule->uid == subj->uid;
	case POLICY_WHO_GROUP:
		if (rule->gid == subj->gid)
			return true;
		n = subj->ngroups < POLICY_MAX_GROUPS ? subj->ngroups
						       : POLICY_MAX_GROUPS;
		for (i = 0; i < n; i++)
			if (subj->groups[i] == rule->gid)
				return true;
		return false;
	}
	return false;
}

/*
 * The first of RULE's patterns matching PORT, or NULL.  A "pts/" port
 * only counts as matched by a pattern that literally starts with "pts/",
 * for deny rules as well as permit rules: a broad pattern neither hands
 * out terminals nor, as a deny, overrides an explicit pts/ permit.
 */
static const char *rule_match(const struct policy_rule *rule, const char *port,
			      bool is_pts)
{
	size_t i;

	for (i = 0; i < rule->npatterns; i++) {
		const char *pat = rule->patterns[i];

		if (is_pts && strncmp(pat, PTS_PREFIX, PTS_PREFIX_LEN) != 0)
			continue;
		if (fnmatch(pat, port, FNM_PATHNAME) == 0)
			return pat;
	}
	return NULL;
}

/* Walk every rule; the last one that matches decides.  Default: deny. */
void policy_eval(const struct policy *pol, const struct policy_subject *subj,
		 const char *port, struct policy_verdict *v)
{
	bool is_pts = strncmp(port, PTS_PREFIX, PTS_PREFIX_LEN) == 0;
	size_t i;

	v->permit = false;
	v->line = 0;
	v->pattern = NULL;
	if (!pol)
		return;
	for (i = 0; i < pol->nrules; i++) {
		const struct policy_rule *rule = &pol->rules[i];
		const char *pat;

		if (!who_matches(rule, subj))
			continue;
		pat = rule_match(rule, port, is_pts);
		if (!pat)
			continue;
		v->permit = rule->permit;
		v->line = rule->line;
		v->pattern = pat;
	}
}

/*
 * Find UID's login name in *NAME (malloc'd).  Returns 0, -ENOENT when
 * there is no passwd entry, or -errno.  Lookup failures are not treated
 * as "no entry": missing groups could skip a deny rule.
 */
static int lookup_name(uid_t uid, char **name)
{
	struct passwd pw, *res = NULL;
	char *buf = NULL;
	size_t size = 0;
	int rc;

	do {
		rc = nss_grow(&buf, &size, _SC_GETPW_R_SIZE_MAX);
		if (rc < 0)
			goto out;
		rc = getpwuid_r(uid, &pw, buf, size, &res);
	} while (rc == ERANGE);
	if (rc == 0 && res) {
		*name = strdup(res->pw_name);
		rc = *name ? 0 : -ENOMEM;
	} else if (rc == 0 || rc == ENOENT || rc == ESRCH) {
		rc = -ENOENT;
	} else {
		rc = -rc;
	}
out:
	free(buf);
	return rc;
}

/*
 * Fill SUBJ with UID, GID and the user's groups.  More groups than
 * POLICY_MAX_GROUPS is -E2BIG rather than a silent truncation, which
 * could hide a group a deny rule names.  On error SUBJ has no groups.
 */
int policy_subject_init(struct policy_subject *subj, uid_t uid, gid_t gid)
{
	char *name = NULL;
	int n = POLICY_MAX_GROUPS;
	int rc;

	memset(subj, 0, sizeof(*subj));
	subj->uid = uid;
	subj->gid = gid;
	rc = lookup_name(uid, &name);
	if (rc == -ENOENT) {
		subj->groups[0] = gid;
		subj->ngroups = 1;
		return 0;
	}
	if (rc < 0)
		return rc;
	if (getgrouplist(name, gid, subj->groups, &n) < 0) {
		rc = -E2BIG;
		goto free_name;
	}
	if (n < 0 || n > POLICY_MAX_GROUPS) {
		rc = -E2BIG;
		goto free_name;
	}
	subj->ngroups = (size_t)n;
	rc = 0;
free_name:
	free(name);
	return rc;
}
