/* SPDX-License-Identifier: MIT */
/*
 * policy_int.h - what the policy modules share inside policy/ (not part
 * of the public policy.h API): limits of messages, the parser's state and
 * the helpers both parsers (the file and the canonical form) use.
 */
#ifndef TB_POLICY_INT_H
#define TB_POLICY_INT_H

#include <stdarg.h>

#include "policy.h"

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

/* Thread-safe strerror (GNU strerror_r may return a constant). */
const char *policy_errstr(int errnum, char *buf, size_t len);

/* Hand one formatted message to ERR (may be NULL). */
void policy_emit(policy_error_fn err, void *arg, const char *path,
		 unsigned int line, const char *fmt, va_list ap)
	__attribute__((format(printf, 5, 0)));

/* Report a parse error on LINE and count it; always returns -EINVAL. */
int policy_parse_error(struct parse_ctx *ctx, unsigned int line,
		       const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Report a whole-file problem (line 0). */
void policy_file_error(policy_error_fn err, void *arg, const char *path,
		       const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* TOK made safe to quote in a message (OUTLEN bytes of OUT). */
const char *policy_quote(const char *tok, char *out, size_t outlen);

/* One port pattern's syntax; 0 or -EINVAL (reported). */
int policy_check_pattern(struct parse_ctx *ctx, unsigned int line, const char *pat);
/* Does the glob S (N bytes) end in a lone (unescaped) backslash? */
bool policy_glob_lone_backslash(const char *s, size_t n);

/* Identity syntax of pattern TOK (a glob passes); with CANONICAL also its
 * one spelling.  0, -EINVAL (reported) or -ENOMEM.  (policy_ident.c) */
int policy_check_ident(struct parse_ctx *ctx, unsigned int line, const char *tok,
		       bool canonical);

/* Compile checked pattern TOK into *PAT, its text into *TEXT (malloc'd).
 * 0, -EINVAL or -ENOMEM.  (policy_ident.c) */
int policy_pat_compile(const char *tok, char **text, struct policy_pat *pat);

/* True if identity pattern PAT matches ID (NULL: nothing does). */
bool policy_pat_match_ident(const struct policy_pat *pat, const struct policy_ident *id);

/* Free a rule's patterns. */
void policy_rule_clear(struct policy_rule *rule);

/* Append PR (its patterns copied); 0, -EINVAL or -ENOMEM. */
int policy_add_rule(struct parse_ctx *ctx, const struct pending_rule *pr);

/* A bigger NSS buffer in *BUF (sysconf SC_NAME hint, then doubling). */
int policy_nss_grow(char **buf, size_t *size, int sc_name);

/* An empty policy remembering PATH; NULL and errno on failure. */
struct policy *policy_new(const char *path);

#endif
