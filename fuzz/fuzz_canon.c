/* SPDX-License-Identifier: MIT */
/*
 * fuzz_canon.c - policy_canon_parse(), the engine's parser of the
 * canonical policy its privileged parent sends on reload.
 *
 * Checked: a text that parses is canonical, format(parse(T)) == T byte
 * for byte; the parsed policy keeps the grammar's promises (lines
 * strictly increasing and > 0, 1..POLICY_MAX_PATTERNS patterns without
 * '#', ' ' or a leading '/', identity patterns compiled as their text
 * says); it evaluates any port, with and without an identity, without
 * trouble; and
 * a text that does not parse leaves *out NULL.  Also, any policy the
 * file parser accepts from the same input formats to a text that parses
 * back to the same rules (what reload relies on).
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzzutil.h"
#include "policy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Same rules, field by field. */
static void same_rules(const struct policy *a, const struct policy *b)
{
	fuzz_assert(a->nrules == b->nrules);
	for (size_t i = 0; i < a->nrules; i++) {
		const struct policy_rule *x = &a->rules[i], *y = &b->rules[i];

		fuzz_assert(x->take == y->take);
		fuzz_assert(x->permit == y->permit && x->who == y->who &&
			    x->line == y->line && x->npatterns == y->npatterns);
		fuzz_assert(x->who != POLICY_WHO_USER || x->uid == y->uid);
		fuzz_assert(x->who != POLICY_WHO_GROUP || x->gid == y->gid);
		for (size_t j = 0; j < x->npatterns; j++) {
			const struct policy_pat *p = &x->pats[j], *q = &y->pats[j];

			fuzz_assert(strcmp(x->patterns[j], y->patterns[j]) == 0);
			fuzz_assert(p->kind == q->kind && p->any_vid == q->any_vid &&
				    p->any_pid == q->any_pid && p->vid == q->vid &&
				    p->pid == q->pid && p->ifnum == q->ifnum);
			fuzz_assert((p->glob == NULL) == (q->glob == NULL));
			fuzz_assert(!p->glob || strcmp(p->glob, q->glob) == 0);
		}
	}
}

/* POL formats, and the text parses back to the same rules. */
static void round_trip(const struct policy *pol)
{
	struct policy *back = NULL;
	char *text = NULL;
	size_t len = 0;

	fuzz_assert(policy_canon_format(pol, &text, &len) == 0);
	fuzz_assert(policy_canon_parse(text, len, "fuzz", NULL, NULL, &back) == 0);
	same_rules(pol, back);
	policy_free(back);
	free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct policy *pol = (struct policy *)1, *file = NULL;
	struct policy_subject subj = { .uid = 1000, .gid = 1000, .ngroups = 0 };
	static const struct policy_ident ids[] = {
		{ .usb = true, .vid = 0x0403, .pid = 0x6011, .ifnum = 2, .serial = "FT4XYZ",
		  .path = "pci-0000:00:14.0-usb-0:1.2:1.2" },
		{ .ifnum = -1, .path = "platform-serial8250" },
	};
	struct policy_verdict v;
	char *copy = malloc(size ? size : 1), *text = NULL;
	size_t len = 0;
	int r;

	if (!copy)
		return 0;
	memcpy(copy, data, size);
	r = policy_canon_parse(copy, size, "fuzz", NULL, NULL, &pol);
	fuzz_assert(r == 0 || r == -EINVAL || r == -ENOMEM);
	if (r < 0) {
		fuzz_assert(pol == NULL);
	} else {
		unsigned int last = 0;

		for (size_t i = 0; i < pol->nrules; i++) {
			const struct policy_rule *rule = &pol->rules[i];

			fuzz_assert(rule->line > last);
			last = rule->line;
			fuzz_assert(rule->npatterns >= 1 &&
				    rule->npatterns <= POLICY_MAX_PATTERNS);
			for (size_t j = 0; j < rule->npatterns; j++) {
				fuzz_assert(rule->patterns[j][0] != '/' &&
					    !strpbrk(rule->patterns[j], "# \t\n"));
				fuzz_assert((rule->pats[j].kind != POLICY_PAT_GLOB) ==
					    policy_pattern_is_ident(rule->patterns[j]));
			}
		}
		policy_eval(pol, &subj, "ttyUSB0", &v);
		policy_eval(pol, &subj, "pts/3", &v);
		for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
			policy_eval_ident(pol, &subj, "ttyUSB0", &ids[i], &v);
			fuzz_assert(!v.pattern || v.line > 0);
			policy_eval_ident(pol, &subj, "pts/3", &ids[i], &v);
			fuzz_assert(!v.pattern || strncmp(v.pattern, "pts/", 4) == 0);
		}
		fuzz_assert(policy_canon_format(pol, &text, &len) == 0);
		fuzz_assert(len == size && memcmp(text, data, size) == 0);
		free(text);
		policy_free(pol);
	}
	/* The same bytes as a policy file ("*" and ":group" only resolve
	 * through NSS: names that exist here, or none). */
	if (policy_parse(copy, size, "fuzz", NULL, NULL, &file) == 0) {
		round_trip(file);
		policy_free(file);
	}
	free(copy);
	return 0;
}
