/* SPDX-License-Identifier: MIT */
/*
 * policy_eval.c - evaluate a loaded policy for a subject and a port (pure
 * computation on the rules), and build a subject from a uid.
 */
#include "policy.h"
#include "policy_int.h"

#include <errno.h>
#include <fnmatch.h>
#include <grp.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>


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
 * The first of RULE's patterns matching PORT (a glob) or ID (an identity
 * pattern), or NULL.  A "pts/" port only counts as matched by a pattern
 * that literally starts with "pts/", for deny rules as well as permit
 * rules: a broad pattern neither hands out terminals nor, as a deny,
 * overrides an explicit pts/ permit.  So no identity pattern ever matches
 * a pts/ port, whatever ID says.
 */
static const char *rule_match(const struct policy_rule *rule, const char *port,
			      bool is_pts, const struct policy_ident *id)
{
	size_t i;

	for (i = 0; i < rule->npatterns; i++) {
		const struct policy_pat *pat = &rule->pats[i];

		if (pat->kind != POLICY_PAT_GLOB) {
			if (!is_pts && policy_pat_match_ident(pat, id))
				return rule->patterns[i];
			continue;
		}
		if (is_pts && strncmp(pat->glob, PTS_PREFIX, PTS_PREFIX_LEN) != 0)
			continue;
		if (fnmatch(pat->glob, port, FNM_PATHNAME) == 0)
			return rule->patterns[i];
	}
	return NULL;
}

/*
 * Walk every rule; the last one that matches PORT or ID decides.
 * Default: deny.
 */
void policy_eval_ident(const struct policy *pol, const struct policy_subject *subj,
		       const char *port, const struct policy_ident *id,
		       struct policy_verdict *v)
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

		if (rule->take || !who_matches(rule, subj))
			continue;
		pat = rule_match(rule, port, is_pts, id);
		if (!pat)
			continue;
		v->permit = rule->permit;
		v->line = rule->line;
		v->pattern = pat;
	}
}

/*
 * The first take rule covering TAKER and HOLDER on PORT, whose identity is
 * ID (may be NULL, as for policy_eval_ident); its line or 0.
 */
unsigned int policy_eval_take(const struct policy *pol, const struct policy_subject *taker,
			      const struct policy_subject *holder, const char *port,
			      const struct policy_ident *id)
{
	bool is_pts = strncmp(port, PTS_PREFIX, PTS_PREFIX_LEN) == 0;

	for (size_t i = 0; pol && i < pol->nrules; i++) {
		const struct policy_rule *rule = &pol->rules[i];

		if (rule->take && who_matches(rule, taker) && who_matches(rule, holder) &&
		    rule_match(rule, port, is_pts, id))
			return rule->line;
	}
	return 0;
}

/* policy_eval_ident() without an identity: only port globs can match. */
void policy_eval(const struct policy *pol, const struct policy_subject *subj,
		 const char *port, struct policy_verdict *v)
{
	policy_eval_ident(pol, subj, port, NULL, v);
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
		rc = policy_nss_grow(&buf, &size, _SC_GETPW_R_SIZE_MAX);
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
