/* SPDX-License-Identifier: MIT */
/*
 * test_policy.c - tests for policy/policy_parse.c, policy_load.c and policy_eval.c: parsing good and bad rules,
 * evaluation, safe loading of the policy file and subject setup.
 * Needs root for the load tests (chown to nobody) and the users/groups
 * root, nobody, daemon and the groups dialout, nogroup of Debian.
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "policy.h"
#include "testutil.h"

#define MAX_ERRS 16
#define ERR_MSG  256

/* Errors collected from the policy_error_fn callback. */
struct errs {
	unsigned int n;
	unsigned int line[MAX_ERRS];
	char msg[MAX_ERRS][ERR_MSG];
	char path[MAX_ERRS][ERR_MSG];
};

static void collect(void *arg, const char *path, unsigned int line,
		    const char *msg)
{
	struct errs *e = arg;

	if (e->n < MAX_ERRS) {
		e->line[e->n] = line;
		snprintf(e->msg[e->n], ERR_MSG, "%s", msg);
		snprintf(e->path[e->n], ERR_MSG, "%s", path);
	}
	e->n++;
}

/* Parse a NUL-terminated string, collecting errors into E. */
static int parse_str(const char *text, struct errs *e, struct policy **out)
{
	return policy_parse(text, strlen(text), "test.conf", collect, e, out);
}

/* Assert that error I is on LINE and its message contains SUB. */
static void assert_err(const struct errs *e, unsigned int i, unsigned int line,
		       const char *sub)
{
	cr_assert_gt(e->n, i, "expected error #%u, got %u errors", i, e->n);
	cr_assert_eq(e->line[i], line, "error #%u on line %u, expected %u (%s)",
		     i, e->line[i], line, e->msg[i]);
	cr_assert_not_null(strstr(e->msg[i], sub), "message '%s' lacks '%s'",
			   e->msg[i], sub);
}

/* ---------------------------------------------------------------- */
/* Good input                                                        */

struct good_case {
	char text[256];
	size_t nrules;
	size_t idx;             /* rule to inspect, if nrules > 0 */
	bool permit;
	enum policy_who who;
	unsigned int id;        /* uid or gid */
	unsigned int line;
	size_t npatterns;
	char pattern0[32];
};

ParameterizedTestParameters(parse, good)
{
	static struct good_case cases[] = {
		{ "permit * ttyUSB0\n", 1, 0, true, POLICY_WHO_ANY, 0, 1, 1, "ttyUSB0" },
		{ "deny root ttyS0\n", 1, 0, false, POLICY_WHO_USER, 0, 1, 1, "ttyS0" },
		{ "permit daemon ttyS0 ttyS1 ttyS2", 1, 0, true, POLICY_WHO_USER, 1, 1, 3, "ttyS0" },
		{ "permit :dialout ttyUSB* ttyACM*\n", 1, 0, true, POLICY_WHO_GROUP, 20, 1, 2, "ttyUSB*" },
		{ "permit :root serial/by-id/usb-FTDI*\n", 1, 0, true, POLICY_WHO_GROUP, 0, 1, 1, "serial/by-id/usb-FTDI*" },
		{ "# header\n\n   \npermit\t:nogroup\tttyS*\t# trailing\n", 1, 0, true, POLICY_WHO_GROUP, 65534, 4, 1, "ttyS*" },
		{ "permit * a#comment b\n", 1, 0, true, POLICY_WHO_ANY, 0, 1, 1, "a" },
		{ "\tdeny   *   pts/*   \n", 1, 0, false, POLICY_WHO_ANY, 0, 1, 1, "pts/*" },
		{ "permit * ttyS0\n\n# x\ndeny :daemon ttyS0 ttyS[1-3]\n", 2, 1, false, POLICY_WHO_GROUP, 1, 4, 2, "ttyS0" },
		{ "permit nobody tty?\n", 1, 0, true, POLICY_WHO_USER, 65534, 1, 1, "tty?" },
		{ "", 0, 0, false, POLICY_WHO_ANY, 0, 0, 0, "" },
		{ "# only comments\n#\n\n\t\n", 0, 0, false, POLICY_WHO_ANY, 0, 0, 0, "" },
	};

	return cr_make_param_array(struct good_case, cases,
				   sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct good_case *c, parse, good)
{
	struct errs e = { 0 };
	struct policy *pol = NULL;
	const struct policy_rule *r;
	int rc;

	rc = parse_str(c->text, &e, &pol);
	cr_assert_eq(rc, 0, "rc %d for '%s' (first error: %s)", rc, c->text,
		     e.n ? e.msg[0] : "none");
	cr_assert_eq(e.n, 0);
	cr_assert_not_null(pol);
	cr_assert_str_eq(pol->path, "test.conf");
	cr_assert_eq(pol->nrules, c->nrules);
	if (c->nrules > 0) {
		r = &pol->rules[c->idx];
		cr_assert_eq(r->permit, c->permit);
		cr_assert_eq(r->who, c->who);
		if (c->who == POLICY_WHO_USER)
			cr_assert_eq(r->uid, (uid_t)c->id);
		if (c->who == POLICY_WHO_GROUP)
			cr_assert_eq(r->gid, (gid_t)c->id);
		cr_assert_eq(r->line, c->line);
		cr_assert_eq(r->npatterns, c->npatterns);
		cr_assert_str_eq(r->patterns[0], c->pattern0);
	}
	policy_free(pol);
}

/* ---------------------------------------------------------------- */
/* Bad input: exactly one error, on the right line                  */

struct bad_case {
	char text[128];
	size_t len;             /* 0: strlen(text) */
	unsigned int line;
	char msg[64];
};

ParameterizedTestParameters(parse, bad)
{
	static struct bad_case cases[] = {
		{ "allow * ttyS0\n", 0, 1, "unknown action 'allow' (expected permit, deny or take)" },
		{ "Permit * ttyS0\n", 0, 1, "unknown action 'Permit'" },
		{ "permit * ttyS0\npermit\n", 0, 2, "rule has no user, :group or '*'" },
		{ "deny\t# nothing else\n", 0, 1, "rule has no user" },
		{ "# c\npermit root\n", 0, 2, "rule has no port pattern" },
		{ "permit root # ttyS0\n", 0, 1, "rule has no port pattern" },
		{ "\npermit tb_no_such_user ttyS0\n", 0, 2, "unknown user 'tb_no_such_user'" },
		{ "permit :tb_no_such_group ttyS0\n", 0, 1, "unknown group 'tb_no_such_group'" },
		{ "permit : ttyS0\n", 0, 1, "empty group name" },
		{ "permit * ../ttyS0\n", 0, 1, "'..' component" },
		{ "permit * serial/../../etc/shadow\n", 0, 1, "'..' component" },
		{ "permit * ttyS0 pts/..\n", 0, 1, "'..' component" },
		{ "permit * ..\n", 0, 1, "'..' component" },
		{ "permit * /dev/ttyS0\n", 0, 1, "absolute" },
		{ "permit * ttyS0\x01\n", 0, 1, "non-printable" },
		{ "permit * tty\xc3\xa9\n", 0, 1, "non-printable" },
		{ "permit * ttyS0\r\n", 0, 1, "non-printable" },
		{ "\x1b[31m * ttyS0\n", 0, 1, "unknown action '\\x1b[31m'" },
		{ "permit * tty\0S0\n", sizeof("permit * tty\0S0\n") - 1, 1, "NUL byte in policy" },
		{ "permit * ttyS0\n# a\0b\n", sizeof("permit * ttyS0\n# a\0b\n") - 1, 2, "NUL byte in policy" },
		/* identity patterns: hex, field count, serial, interface, path */
		{ "permit * usb:403:6001\n", 0, 1, "bad vendor id '403' (4 hex digits or '*')" },
		{ "permit * usb:04031:6001\n", 0, 1, "bad vendor id '04031'" },
		{ "permit * usb::6001\n", 0, 1, "bad vendor id ''" },
		{ "permit * usb:04g3:6001\n", 0, 1, "bad vendor id '04g3'" },
		{ "permit * usb:04*:6001\n", 0, 1, "bad vendor id '04*'" },
		{ "# x\npermit * usb:0403:600\n", 0, 2, "bad product id '600'" },
		{ "permit * usb:0403:60?1\n", 0, 1, "bad product id '60?1'" },
		{ "permit * usb:0403:0x01\n", 0, 1, "bad product id '0x01'" },
		{ "permit * usb:0403:\n", 0, 1, "bad product id ''" },
		{ "permit * ttyS0 usb:0403\n", 0, 1, "'usb:0403' has the wrong number of fields" },
		{ "permit * usb:\n", 0, 1, "wrong number of fields" },
		{ "\n\npermit * usb:0403:6001:A1:if0:x\n", 0, 3, "wrong number of fields" },
		{ "permit * usb:0403:6001:\n", 0, 1, "'usb:0403:6001:': empty serial" },
		{ "permit * usb:0403:6001::if1\n", 0, 1, "empty serial (write '*' for any)" },
		{ "permit * usb:0403:6011:*:if\n", 0, 1, "bad interface 'if' (ifN, N from 0 to 255)" },
		{ "permit * usb:0403:6011:*:if256\n", 0, 1, "bad interface 'if256'" },
		{ "permit * usb:0403:6011:*:if-1\n", 0, 1, "bad interface 'if-1'" },
		{ "permit * usb:0403:6011:*:2\n", 0, 1, "bad interface '2'" },
		{ "permit * usb:0403:6011:*:if1000\n", 0, 1, "bad interface 'if1000'" },
		{ "permit * usb:0403:6011:*:\n", 0, 1, "bad interface ''" },
		{ "permit * path:\n", 0, 1, "'path:': empty path pattern" },
		{ "permit * USB:0403:6001\n", 0, 1, "write 'usb:' in lower case" },
		{ "permit * Path:pci-*\n", 0, 1, "write 'path:' in lower case" },
		{ "permit * usb:0403:6001:A\x01\n", 0, 1, "non-printable" },
		{ "permit * path:pci-0/../x\n", 0, 1, "'..' component" },
		/* a glob that ends in a lone backslash never matches (fnmatch) */
		{ "deny * usb:0403:6001:A1\\\n", 0, 1,
		  "pattern 'usb:0403:6001:A1\\' ends in a lone backslash" },
		{ "deny * ttyUSB\\\n", 0, 1, "ends in a lone backslash" },
		{ "deny * usb:0403:6011:B\\:if1\n", 0, 1,
		  "serial 'B\\' ends in a lone backslash" },
		{ "deny * path:pci-0\\\\\\\n", 0, 1, "ends in a lone backslash" },
	};

	return cr_make_param_array(struct bad_case, cases,
				   sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct bad_case *c, parse, bad)
{
	struct errs e = { 0 };
	struct policy *pol = (struct policy *)&e; /* must be reset to NULL */
	size_t len = c->len ? c->len : strlen(c->text);
	const char *p;
	int rc;

	rc = policy_parse(c->text, len, "bad.conf", collect, &e, &pol);
	cr_assert_eq(rc, -EINVAL, "rc %d for '%s'", rc, c->text);
	cr_assert_null(pol);
	cr_assert_eq(e.n, 1, "%u errors for '%s'", e.n, c->text);
	assert_err(&e, 0, c->line, c->msg);
	cr_assert_str_eq(e.path[0], "bad.conf");
	for (p = e.msg[0]; *p; p++)
		cr_assert(*p >= 0x20 && *p < 0x7f, "raw control byte in '%s'",
			  e.msg[0]);
}

/* ---------------------------------------------------------------- */
/* Parser limits and error collection                               */

/* A malloc'd policy text: LINES copies of LINE. */
static char *repeat_line(const char *line, size_t lines)
{
	size_t n = strlen(line);
	char *s = malloc(n * lines + 1);
	size_t i;

	cr_assert_not_null(s);
	for (i = 0; i < lines; i++)
		memcpy(s + i * n, line, n);
	s[n * lines] = '\0';
	return s;
}

/* "permit * " followed by a pattern so the line has exactly LEN bytes. */
static char *line_of(size_t len)
{
	char *s = malloc(len + 1);

	cr_assert_not_null(s);
	memset(s, 'x', len);
	memcpy(s, "permit * ", 9);
	s[len] = '\0';
	return s;
}

Test(parse, all_errors_reported)
{
	const char *text = "permit * ttyS0\n"
			   "allow * ttyS0\n"
			   "# fine\n"
			   "permit tb_no_such_user ttyS0\n"
			   "deny * /dev/ttyS1\n"
			   "deny * ttyS1\n";
	struct errs e = { 0 };
	struct policy *pol = NULL;

	cr_assert_eq(parse_str(text, &e, &pol), -EINVAL);
	cr_assert_null(pol);
	cr_assert_eq(e.n, 3);
	assert_err(&e, 0, 2, "unknown action 'allow'");
	assert_err(&e, 1, 4, "unknown user 'tb_no_such_user'");
	assert_err(&e, 2, 5, "absolute");
}

Test(parse, line_length_limit)
{
	char *ok = line_of(POLICY_MAX_LINE);
	char *bad = line_of(POLICY_MAX_LINE + 1);
	struct errs e = { 0 };
	struct policy *pol = NULL;
	char *text;

	cr_assert_eq(parse_str(ok, &e, &pol), 0);
	cr_assert_eq(pol->nrules, 1);
	cr_assert_eq(strlen(pol->rules[0].patterns[0]), POLICY_MAX_LINE - 9);
	policy_free(pol);

	cr_assert_gt(asprintf(&text, "permit * ttyS0\n%s\nallow * x\n", bad), 0);
	cr_assert_eq(parse_str(text, &e, &pol), -EINVAL);
	cr_assert_null(pol);
	cr_assert_eq(e.n, 2);
	assert_err(&e, 0, 2, "line too long");
	assert_err(&e, 1, 3, "unknown action 'allow'");
	free(text);
	free(bad);
	free(ok);
}

Test(parse, pattern_count_limit)
{
	char ok[POLICY_MAX_PATTERNS * 8 + 32] = "permit *";
	char bad[sizeof(ok) + 8];
	struct errs e = { 0 };
	struct policy *pol = NULL;
	int i;

	for (i = 0; i < POLICY_MAX_PATTERNS; i++)
		snprintf(ok + strlen(ok), sizeof(ok) - strlen(ok), " ttyS%d", i);
	snprintf(bad, sizeof(bad), "%s extra\n", ok);

	cr_assert_eq(parse_str(ok, &e, &pol), 0);
	cr_assert_eq(pol->rules[0].npatterns, POLICY_MAX_PATTERNS);
	cr_assert_str_eq(pol->rules[0].patterns[POLICY_MAX_PATTERNS - 1], "ttyS63");
	policy_free(pol);

	cr_assert_eq(parse_str(bad, &e, &pol), -EINVAL);
	cr_assert_null(pol);
	cr_assert_eq(e.n, 1);
	assert_err(&e, 0, 1, "too many port patterns");
}

Test(parse, rule_count_limit)
{
	char *ok = repeat_line("permit * ttyS0\n", POLICY_MAX_RULES);
	char *bad = repeat_line("permit * ttyS0\n", POLICY_MAX_RULES + 2);
	struct errs e = { 0 };
	struct policy *pol = NULL;

	cr_assert_eq(parse_str(ok, &e, &pol), 0);
	cr_assert_eq(pol->nrules, POLICY_MAX_RULES);
	cr_assert_eq(pol->rules[POLICY_MAX_RULES - 1].line, POLICY_MAX_RULES);
	policy_free(pol);

	cr_assert_eq(parse_str(bad, &e, &pol), -EINVAL);
	cr_assert_null(pol);
	cr_assert_eq(e.n, 1, "overflow reported %u times", e.n);
	assert_err(&e, 0, POLICY_MAX_RULES + 1, "too many rules");
	free(bad);
	free(ok);
}

Test(parse, text_not_nul_terminated)
{
	const char text[] = "permit * ttyS0XXXX";
	struct errs e = { 0 };
	struct policy *pol = NULL;

	cr_assert_eq(policy_parse(text, 14, "t", collect, &e, &pol), 0);
	cr_assert_eq(pol->nrules, 1);
	cr_assert_str_eq(pol->rules[0].patterns[0], "ttyS0");
	policy_free(pol);
}

Test(parse, null_callback_and_path)
{
	struct policy *pol = NULL;

	cr_assert_eq(policy_parse("bogus\n", 6, NULL, NULL, NULL, &pol), -EINVAL);
	cr_assert_null(pol);
	cr_assert_eq(policy_parse("deny * x\n", 9, NULL, NULL, NULL, &pol), 0);
	cr_assert_not_null(pol->path);
	cr_assert_eq(pol->nrules, 1);
	policy_free(pol);
}

Test(parse, text_over_max_size)
{
	size_t len = POLICY_MAX_SIZE + 1;
	char *text = malloc(len);
	struct errs e = { 0 };
	struct policy *pol = NULL;

	cr_assert_not_null(text);
	memset(text, '\n', len);
	cr_assert_eq(policy_parse(text, len, "big", collect, &e, &pol), -EINVAL);
	cr_assert_null(pol);
	assert_err(&e, 0, 0, "larger than");
	free(text);
}

Test(parse, free_null)
{
	policy_free(NULL);
	cr_assert(true, "policy_free(NULL) returned");
}

/* ---------------------------------------------------------------- */
/* Evaluation                                                        */

struct eval_case {
	char policy[160];
	uid_t uid;
	gid_t gid;
	size_t ngroups;
	gid_t groups[4];
	char port[48];
	bool permit;
	unsigned int line;
	char pattern[32];       /* "": no rule matched, pattern is NULL */
};

#define USB_ACM "permit :dialout ttyUSB* ttyACM*\n"
#define LAST    "permit * ttyUSB*\ndeny * ttyUSB1\n"
#define PTS_ALL "permit * */*\n"

ParameterizedTestParameters(eval, table)
{
	static struct eval_case cases[] = {
		/* last match wins, both ways round */
		{ LAST, 1000, 1000, 1, { 1000 }, "ttyUSB1", false, 2, "ttyUSB1" },
		{ LAST, 1000, 1000, 1, { 1000 }, "ttyUSB0", true, 1, "ttyUSB*" },
		{ "deny * ttyS*\npermit * ttyS0\n", 5, 5, 1, { 5 }, "ttyS0", true, 2, "ttyS0" },
		{ "deny * ttyS*\npermit * ttyS0\n", 5, 5, 1, { 5 }, "ttyS1", false, 1, "ttyS*" },
		/* default deny */
		{ "", 0, 0, 1, { 0 }, "ttyS0", false, 0, "" },
		{ LAST, 1000, 1000, 1, { 1000 }, "ttyACM0", false, 0, "" },
		/* :group via primary gid, via supplementary group, not at all */
		{ USB_ACM, 1000, 20, 1, { 20 }, "ttyACM0", true, 1, "ttyACM*" },
		{ USB_ACM, 1000, 20, 0, { 0 }, "ttyUSB3", true, 1, "ttyUSB*" },
		{ USB_ACM, 1000, 1000, 3, { 1000, 24, 20 }, "ttyUSB0", true, 1, "ttyUSB*" },
		{ USB_ACM, 1000, 1000, 2, { 1000, 24 }, "ttyUSB0", false, 0, "" },
		{ USB_ACM, 1000, 20, 1, { 20 }, "ttyS0", false, 0, "" },
		{ USB_ACM, 1000, 20, 1, { 20 }, "ttyUSB", true, 1, "ttyUSB*" },
		/* user match */
		{ "permit daemon ttyS0\n", 1, 1, 1, { 1 }, "ttyS0", true, 1, "ttyS0" },
		{ "permit daemon ttyS0\n", 2, 1, 1, { 1 }, "ttyS0", false, 0, "" },
		{ "permit root ttyS0\n", 1000, 0, 1, { 0 }, "ttyS0", false, 0, "" },
		/* deny after permit, for one member of the group */
		{ USB_ACM "deny daemon ttyUSB*\n", 1, 1, 2, { 1, 20 }, "ttyUSB0", false, 2, "ttyUSB*" },
		{ USB_ACM "deny daemon ttyUSB*\n", 2, 2, 2, { 2, 20 }, "ttyUSB0", true, 1, "ttyUSB*" },
		/* '*' does not cross '/' */
		{ "permit * *\n", 0, 0, 1, { 0 }, "serial/by-id/usb-1", false, 0, "" },
		{ "permit * serial/*\n", 0, 0, 1, { 0 }, "serial/by-id/usb-1", false, 0, "" },
		{ "permit * serial/by-id/*\n", 0, 0, 1, { 0 }, "serial/by-id/usb-1", true, 1, "serial/by-id/*" },
		{ "permit * *\n", 0, 0, 1, { 0 }, "ttyS0", true, 1, "*" },
		/* pts/ needs a pattern that literally starts with "pts/" */
		{ PTS_ALL, 0, 0, 1, { 0 }, "pts/3", false, 0, "" },
		{ PTS_ALL, 0, 0, 1, { 0 }, "usb/3", true, 1, "*/*" },
		{ "permit * p*/*\n", 0, 0, 1, { 0 }, "pts/3", false, 0, "" },
		{ "permit * [p]ts/*\n", 0, 0, 1, { 0 }, "pts/3", false, 0, "" },
		{ "permit * pts/*\n", 0, 0, 1, { 0 }, "pts/3", true, 1, "pts/*" },
		{ "permit * */* pts/[0-9]\n", 0, 0, 1, { 0 }, "pts/3", true, 1, "pts/[0-9]" },
		{ "permit * pts/*\ndeny * */*\n", 0, 0, 1, { 0 }, "pts/3", true, 1, "pts/*" },
		{ "permit * pts/*\ndeny * pts/3\n", 0, 0, 1, { 0 }, "pts/3", false, 2, "pts/3" },
		/* several patterns: the matching one is reported */
		{ "permit * ttyS0 ttyUSB* ttyACM0\n", 0, 0, 1, { 0 }, "ttyACM0", true, 1, "ttyACM0" },
	};

	return cr_make_param_array(struct eval_case, cases,
				   sizeof(cases) / sizeof(cases[0]));
}

/* True if P is the very pointer of one of RULE's patterns. */
static bool points_into(const struct policy_rule *rule, const char *p)
{
	size_t i;

	for (i = 0; i < rule->npatterns; i++)
		if (rule->patterns[i] == p)
			return true;
	return false;
}

ParameterizedTest(struct eval_case *c, eval, table)
{
	struct policy_subject subj = { .uid = c->uid, .gid = c->gid,
				       .ngroups = c->ngroups };
	struct policy_verdict v = { .permit = true, .line = 99 };
	struct errs e = { 0 };
	struct policy *pol = NULL;

	memcpy(subj.groups, c->groups, sizeof(c->groups));
	cr_assert_eq(parse_str(c->policy, &e, &pol), 0, "policy: %s",
		     e.n ? e.msg[0] : "?");
	policy_eval(pol, &subj, c->port, &v);
	cr_assert_eq(v.permit, c->permit, "port %s uid %u: permit %d",
		     c->port, (unsigned)c->uid, v.permit);
	cr_assert_eq(v.line, c->line, "port %s: line %u", c->port, v.line);
	if (c->pattern[0] == '\0') {
		cr_assert_null(v.pattern);
	} else {
		cr_assert_not_null(v.pattern);
		cr_assert_str_eq(v.pattern, c->pattern);
		cr_assert(points_into(&pol->rules[0], v.pattern) ||
			  points_into(&pol->rules[pol->nrules - 1], v.pattern));
	}
	policy_free(pol);
}

Test(eval, null_policy_denies)
{
	struct policy_subject subj = { .ngroups = 0 };
	struct policy_verdict v = { .permit = true, .line = 7, .pattern = "x" };

	policy_eval(NULL, &subj, "ttyS0", &v);
	cr_assert_not(v.permit);
	cr_assert_eq(v.line, 0);
	cr_assert_null(v.pattern);
}

/* ---------------------------------------------------------------- */
/* policy_load: file safety checks                                  */

static char tmpdir[64];

static void tmpdir_setup(void)
{
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/test_policy.XXXXXX");
	cr_assert_not_null(mkdtemp(tmpdir), "mkdtemp: %s", strerror(errno));
}

/* Remove everything the test created, then the directory itself. */
static void tmpdir_teardown(void)
{
	DIR *d = opendir(tmpdir);
	struct dirent *de;

	if (!d)
		return;
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (unlinkat(dirfd(d), de->d_name, 0) < 0 && errno == EISDIR)
			unlinkat(dirfd(d), de->d_name, AT_REMOVEDIR);
	}
	closedir(d);
	rmdir(tmpdir);
}

/* TMPDIR/NAME into OUT. */
static const char *tpath(char *out, size_t len, const char *name)
{
	snprintf(out, len, "%s/%s", tmpdir, name);
	return out;
}

/* Create TMPDIR/NAME holding LEN bytes of TEXT with MODE and owner UID. */
static const char *make_file(char *out, size_t outlen, const char *name,
			     const char *text, size_t len, mode_t mode, uid_t uid)
{
	int fd;

	tpath(out, outlen, name);
	fd = open(out, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	cr_assert_geq(fd, 0, "create %s: %s", out, strerror(errno));
	cr_assert_eq(write(fd, text, len), (ssize_t)len);
	cr_assert_eq(fchown(fd, uid, 0), 0, "fchown: %s", strerror(errno));
	cr_assert_eq(fchmod(fd, mode), 0);
	close(fd);
	return out;
}

#define GOOD_TEXT "# test\npermit :dialout ttyUSB*\ndeny daemon ttyUSB0\n"

static const char *good_file(char *out, size_t len, mode_t mode, uid_t uid)
{
	return make_file(out, len, "good.conf", GOOD_TEXT, strlen(GOOD_TEXT),
			 mode, uid);
}

/* policy_load that must fail with RC and report SUB on line 0. */
static void assert_refused(const char *path, int rc, const char *sub)
{
	struct errs e = { 0 };
	struct policy *pol = (struct policy *)&e;
	int got = policy_load(path, collect, &e, &pol);

	cr_assert_eq(got, rc, "load %s: %d (%s), expected %d", path, got,
		     strerror(-got), rc);
	cr_assert_null(pol);
	cr_assert_eq(e.n, 1);
	assert_err(&e, 0, 0, sub);
	cr_assert_str_eq(e.path[0], path);
}

TestSuite(load, .init = tmpdir_setup, .fini = tmpdir_teardown);

Test(load, root_0644_ok)
{
	char p[128];
	struct errs e = { 0 };
	struct policy *pol = NULL;

	good_file(p, sizeof(p), 0644, 0);
	cr_assert_eq(policy_load(p, collect, &e, &pol), 0);
	cr_assert_eq(e.n, 0);
	cr_assert_str_eq(pol->path, p);
	cr_assert_eq(pol->nrules, 2);
	cr_assert_eq(pol->rules[1].line, 3);
	policy_free(pol);
}

Test(load, root_0400_ok)
{
	char p[128];
	struct policy *pol = NULL;

	good_file(p, sizeof(p), 0400, 0);
	cr_assert_eq(policy_load(p, NULL, NULL, &pol), 0);
	cr_assert_eq(pol->nrules, 2);
	policy_free(pol);
}

Test(load, group_writable_refused)
{
	char p[128];

	assert_refused(good_file(p, sizeof(p), 0664, 0), -EPERM,
		       "writable by group or others");
}

Test(load, other_writable_refused)
{
	char p[128];

	assert_refused(good_file(p, sizeof(p), 0646, 0), -EPERM,
		       "writable by group or others");
}

Test(load, not_root_owned_refused)
{
	char p[128];

	assert_refused(good_file(p, sizeof(p), 0644, 65534), -EPERM,
		       "not owned by root");
}

Test(load, symlink_refused)
{
	char p[128], l[128];
	struct errs e = { 0 };
	struct policy *pol = (struct policy *)&e;
	int rc;

	good_file(p, sizeof(p), 0644, 0);
	cr_assert_eq(symlink(p, tpath(l, sizeof(l), "link.conf")), 0);
	rc = policy_load(l, collect, &e, &pol);
	cr_assert(rc == -EPERM || rc == -ELOOP, "symlink loaded: rc %d", rc);
	cr_assert_null(pol);
	cr_assert_eq(e.n, 1);
	assert_err(&e, 0, 0, "is a symbolic link (not followed)");
	cr_assert_str_eq(e.msg[0], "is a symbolic link (not followed)");
}

/* A link to nothing is a link, not a missing file. */
Test(load, dangling_symlink_refused)
{
	char l[128];

	cr_assert_eq(symlink("/nonexistent/ttybroker.conf", tpath(l, sizeof(l), "dangling.conf")), 0);
	assert_refused(l, -EPERM, "is a symbolic link (not followed)");
}

Test(load, directory_refused)
{
	char p[128];

	cr_assert_eq(mkdir(tpath(p, sizeof(p), "dir.conf"), 0755), 0);
	assert_refused(p, -EPERM, "not a regular file");
}

Test(load, fifo_refused_without_blocking, .timeout = 10)
{
	char p[128];

	cr_assert_eq(mkfifo(tpath(p, sizeof(p), "fifo.conf"), 0644), 0);
	assert_refused(p, -EPERM, "not a regular file");
}

Test(load, missing_file)
{
	char p[128];

	assert_refused(tpath(p, sizeof(p), "absent.conf"), -ENOENT, "no such file");
}

/* A path through a regular file: say what is wrong, not just an errno. */
Test(load, path_through_a_file)
{
	char p[128], q[160];

	good_file(p, sizeof(p), 0644, 0);
	snprintf(q, sizeof(q), "%s/sub.conf", p);
	assert_refused(q, -ENOTDIR, "a path component is not a directory");
}

Test(load, too_big_refused)
{
	size_t len = POLICY_MAX_SIZE + 1;
	char *text = malloc(len), p[128];

	cr_assert_not_null(text);
	memset(text, '\n', len);
	make_file(p, sizeof(p), "big.conf", text, len, 0644, 0);
	assert_refused(p, -EFBIG, "larger than");
	free(text);
}

Test(load, max_size_ok)
{
	size_t len = POLICY_MAX_SIZE;
	char *text = malloc(len), p[128];
	struct policy *pol = NULL;

	cr_assert_not_null(text);
	memset(text, '\n', len);
	memcpy(text, "permit * ttyS0", 14);
	make_file(p, sizeof(p), "max.conf", text, len, 0644, 0);
	cr_assert_eq(policy_load(p, NULL, NULL, &pol), 0);
	cr_assert_eq(pol->nrules, 1);
	policy_free(pol);
	free(text);
}

Test(load, syntax_errors_reported_with_path)
{
	const char *text = "permit * ttyS0\nallow * ttyS1\n\npermit * /x\n";
	char p[128];
	struct errs e = { 0 };
	struct policy *pol = NULL;

	make_file(p, sizeof(p), "syntax.conf", text, strlen(text), 0644, 0);
	cr_assert_eq(policy_load(p, collect, &e, &pol), -EINVAL);
	cr_assert_null(pol);
	cr_assert_eq(e.n, 2);
	assert_err(&e, 0, 2, "unknown action 'allow'");
	assert_err(&e, 1, 4, "absolute");
	cr_assert_str_eq(e.path[1], p);
}

/* /proc files claim st_size 0 but have content: st_size is only a hint. */
Test(load, size_hint_not_trusted)
{
	struct errs e = { 0 };
	struct policy *pol = NULL;
	struct stat st;

	if (stat("/proc/version", &st) < 0 || st.st_uid != 0 || st.st_size != 0)
		tu_skip(tmpdir_teardown, "no root-owned zero-size /proc/version");
	cr_assert_eq(policy_load("/proc/version", collect, &e, &pol), -EINVAL);
	cr_assert_null(pol);
	assert_err(&e, 0, 1, "unknown action 'Linux'");
}

/* ---------------------------------------------------------------- */
/* policy_subject_init                                               */

/* True if SUBJ's group list holds GID. */
static bool has_group(const struct policy_subject *subj, gid_t gid)
{
	size_t i;

	for (i = 0; i < subj->ngroups; i++)
		if (subj->groups[i] == gid)
			return true;
	return false;
}

Test(subject, root)
{
	struct policy_subject subj;

	cr_assert_eq(policy_subject_init(&subj, 0, 0), 0);
	cr_assert_eq(subj.uid, 0);
	cr_assert_eq(subj.gid, 0);
	cr_assert_geq(subj.ngroups, 1);
	cr_assert_leq(subj.ngroups, POLICY_MAX_GROUPS);
	cr_assert(has_group(&subj, 0));
}

Test(subject, nobody)
{
	struct policy_subject subj;

	cr_assert_eq(policy_subject_init(&subj, 65534, 65534), 0);
	cr_assert_eq(subj.uid, 65534);
	cr_assert_eq(subj.gid, 65534);
	cr_assert_geq(subj.ngroups, 1);
	cr_assert(has_group(&subj, 65534));
	cr_assert_not(has_group(&subj, 0));
}

Test(subject, daemon_with_other_primary_gid)
{
	struct policy_subject subj;

	/* The gid argument, not the passwd gid, is the primary group. */
	cr_assert_eq(policy_subject_init(&subj, 1, 20), 0);
	cr_assert_eq(subj.gid, 20);
	cr_assert(has_group(&subj, 20));
}

Test(subject, no_passwd_entry)
{
	struct policy_subject subj;

	if (getpwuid(54321))
		cr_skip_test("uid 54321 exists here");
	cr_assert_eq(policy_subject_init(&subj, 54321, 54322), 0);
	cr_assert_eq(subj.uid, 54321);
	cr_assert_eq(subj.gid, 54322);
	cr_assert_eq(subj.ngroups, 1);
	cr_assert_eq(subj.groups[0], 54322);
}

Test(subject, feeds_eval)
{
	struct policy_subject subj;
	struct policy_verdict v;
	struct errs e = { 0 };
	struct policy *pol = NULL;

	cr_assert_eq(parse_str("permit :root ttyS0\n", &e, &pol), 0);
	cr_assert_eq(policy_subject_init(&subj, 0, 0), 0);
	policy_eval(pol, &subj, "ttyS0", &v);
	cr_assert(v.permit);
	cr_assert_eq(policy_subject_init(&subj, 65534, 65534), 0);
	policy_eval(pol, &subj, "ttyS0", &v);
	cr_assert_not(v.permit);
	policy_free(pol);
}

/*
 * Replace /etc/group with TEXT in a private mount namespace of this test
 * process, so supplementary groups can be tested without adding users.
 * Skips the test where namespaces are not allowed.
 */
static void fake_group_file(const char *text)
{
	char p[128];

	if (unshare(CLONE_NEWNS) < 0)
		cr_skip_test("unshare(CLONE_NEWNS): %s", strerror(errno));
	cr_assert_eq(mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL), 0,
		     "private /: %s", strerror(errno));
	make_file(p, sizeof(p), "group", text, strlen(text), 0644, 0);
	cr_assert_eq(mount(p, "/etc/group", NULL, MS_BIND, NULL), 0,
		     "bind /etc/group: %s", strerror(errno));
}

Test(subject, supplementary_groups, .init = tmpdir_setup,
     .fini = tmpdir_teardown)
{
	struct policy_subject subj;

	fake_group_file("root:x:0:\ndaemon:x:1:\ndialout:x:20:root,daemon\n"
			"tbtest:x:4242:daemon\n");
	cr_assert_eq(policy_subject_init(&subj, 1, 1), 0);
	cr_assert_eq(subj.ngroups, 3);
	cr_assert(has_group(&subj, 1));
	cr_assert(has_group(&subj, 20));
	cr_assert(has_group(&subj, 4242));
	cr_assert_eq(policy_subject_init(&subj, 65534, 65534), 0);
	cr_assert_eq(subj.ngroups, 1);
}

Test(subject, too_many_groups, .init = tmpdir_setup, .fini = tmpdir_teardown)
{
	struct policy_subject subj;
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	int i;

	cr_assert_not_null(f);
	for (i = 0; i < POLICY_MAX_GROUPS + 8; i++)
		fprintf(f, "tb%d:x:%d:daemon\n", i, 5000 + i);
	cr_assert_eq(fclose(f), 0);
	fake_group_file(text);
	free(text);
	cr_assert_eq(policy_subject_init(&subj, 1, 1), -E2BIG);
	cr_assert_eq(subj.ngroups, 0);
}

/* ---------------------------------------------------------------- */
/* Identity patterns: parsed once, into their one spelling           */

struct ident_good_case {
	char text[96];               /* one rule; its last pattern is inspected */
	char spelled[48];            /* patterns[] after parsing */
	enum policy_pat_kind kind;
	bool any_vid, any_pid;
	unsigned int vid, pid;
	int ifnum;
	char glob[32];               /* "" = NULL */
};

ParameterizedTestParameters(parse, ident_good)
{
	static struct ident_good_case cases[] = {
		{ "permit * usb:0403:6001", "usb:0403:6001", POLICY_PAT_USB, false, false,
		  0x0403, 0x6001, -1, "" },
		{ "permit * usb:10C4:EA60", "usb:10c4:ea60", POLICY_PAT_USB, false, false,
		  0x10c4, 0xea60, -1, "" },
		{ "permit * usb:2e8a:000a:E6614*", "usb:2e8a:000a:E6614*", POLICY_PAT_USB,
		  false, false, 0x2e8a, 0x000a, -1, "E6614*" },
		{ "deny * usb:1d6b:*", "usb:1d6b:*", POLICY_PAT_USB, false, true, 0x1d6b, 0, -1, "" },
		{ "deny * usb:*:*", "usb:*:*", POLICY_PAT_USB, true, true, 0, 0, -1, "" },
		{ "deny * usb:*:6001", "usb:*:6001", POLICY_PAT_USB, true, false, 0, 0x6001, -1, "" },
		{ "permit * usb:0403:6011:*:if2", "usb:0403:6011:*:if2", POLICY_PAT_USB, false,
		  false, 0x0403, 0x6011, 2, "*" },
		{ "permit * usb:0403:6011:FT4A[0-9]:IF003", "usb:0403:6011:FT4A[0-9]:if3",
		  POLICY_PAT_USB, false, false, 0x0403, 0x6011, 3, "FT4A[0-9]" },
		{ "permit * usb:FFFF:0000:x:if255", "usb:ffff:0000:x:if255", POLICY_PAT_USB,
		  false, false, 0xffff, 0, 255, "x" },
		{ "permit * usb:0403:6001:if2", "usb:0403:6001:if2", POLICY_PAT_USB, false, false,
		  0x0403, 0x6001, -1, "if2" },     /* three fields: "if2" is a serial */
		{ "permit * usb:0403:6001:a/b\\*", "usb:0403:6001:a/b\\*", POLICY_PAT_USB, false,
		  false, 0x0403, 0x6001, -1, "a/b\\*" },
		{ "permit * path:pci-0000:00:14.0-usb-0:1.2:1.0",
		  "path:pci-0000:00:14.0-usb-0:1.2:1.0", POLICY_PAT_PATH, false, false, 0, 0,
		  -1, "pci-0000:00:14.0-usb-0:1.2:1.0" },
		{ "permit * path:*-usb-0:1.2:1.?", "path:*-usb-0:1.2:1.?", POLICY_PAT_PATH,
		  false, false, 0, 0, -1, "*-usb-0:1.2:1.?" },
		{ "permit * ttyUSB*", "ttyUSB*", POLICY_PAT_GLOB, false, false, 0, 0, -1, "ttyUSB*" },
		{ "permit * usbx:1", "usbx:1", POLICY_PAT_GLOB, false, false, 0, 0, -1, "usbx:1" },
	};

	return cr_make_param_array(struct ident_good_case, cases,
				   sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct ident_good_case *c, parse, ident_good)
{
	struct errs e = { 0 };
	struct policy *pol = NULL;
	const struct policy_rule *r;
	const struct policy_pat *p;

	cr_assert_eq(parse_str(c->text, &e, &pol), 0, "%s: %s", c->text, e.n ? e.msg[0] : "?");
	cr_assert_eq(pol->nrules, 1);
	r = &pol->rules[0];
	p = &r->pats[r->npatterns - 1];
	cr_assert_str_eq(r->patterns[r->npatterns - 1], c->spelled);
	cr_assert_eq(p->kind, c->kind, "%s: kind %d", c->text, p->kind);
	cr_assert_eq(p->ifnum, c->ifnum, "%s: ifnum %d", c->text, p->ifnum);
	if (c->kind == POLICY_PAT_USB) {
		cr_assert_eq(p->any_vid, c->any_vid);
		cr_assert_eq(p->any_pid, c->any_pid);
		cr_assert(c->any_vid || p->vid == c->vid, "%s: vid %04x", c->text, p->vid);
		cr_assert(c->any_pid || p->pid == c->pid, "%s: pid %04x", c->text, p->pid);
	}
	if (c->glob[0])
		cr_assert_str_eq(p->glob, c->glob);
	else
		cr_assert_null(p->glob, "%s: glob %s", c->text, p->glob);
	cr_assert(policy_pattern_is_ident(r->patterns[0]) == (c->kind != POLICY_PAT_GLOB));
	policy_free(pol);
}

/* Every bad identity pattern of a file is reported on its own line. */
Test(parse, ident_errors_by_line)
{
	static const char text[] = "permit * usb:0403:6001\n"
				   "permit * usb:0403:60011 usb:0403\n"
				   "# ok: usb:x\n"
				   "deny * path:\n"
				   "permit * usb:0403:6011:*:if9x\n"
				   "permit * usb:0403:6001::if1\n";
	struct errs e = { 0 };
	struct policy *pol = NULL;

	cr_assert_eq(parse_str(text, &e, &pol), -EINVAL);
	cr_assert_null(pol);
	cr_assert_eq(e.n, 4, "%u errors", e.n);
	assert_err(&e, 0, 2, "bad product id '60011'");
	assert_err(&e, 1, 4, "empty path pattern");
	assert_err(&e, 2, 5, "bad interface 'if9x'");
	assert_err(&e, 3, 6, "empty serial");
}

/* ---------------------------------------------------------------- */
/* Evaluation by identity                                            */

struct ident_eval_case {
	char what[40];
	char policy[192];
	char port[24];
	bool has_id;                 /* false: no identity known (NULL) */
	struct policy_ident id;
	bool permit;
	unsigned int line;
	char pattern[40];            /* "": no rule matched */
};

/* An FTDI FT232R, an FT4232H (interfaces 0..3), a Pico (CDC-ACM), a platform UART. */
#define FT232(ser)   { .usb = true, .vid = 0x0403, .pid = 0x6001, .ifnum = 0, .serial = ser, \
		       .path = "pci-0000:00:14.0-usb-0:1.2:1.0" }
#define FT4232(n)    { .usb = true, .vid = 0x0403, .pid = 0x6011, .ifnum = n, .serial = "FT4XYZ", \
		       .path = "pci-0000:00:14.0-usb-0:2:1." #n }
#define PICO         { .usb = true, .vid = 0x2e8a, .pid = 0x000a, .ifnum = 0, \
		       .serial = "E6614864D3417F2F", .path = "pci-0000:00:14.0-usb-0:3:1.0" }
#define UART         { .usb = false, .ifnum = -1, .path = "platform-serial8250" }
#define NO_PATH_ID   { .usb = false, .ifnum = -1 }
#define ISSUE_POLICY "permit *    usb:0403:6001 usb:10c4:ea60\n" \
		     "permit *    usb:2e8a:000a:E6614*\n"            \
		     "deny   *    usb:1d6b:*\n"
#define QUAD_POLICY  "permit * usb:0403:6011\ndeny * usb:0403:6011:*:if1\n" \
		     "deny * usb:0403:6011:FT4XYZ:if3\n"

ParameterizedTestParameters(eval, ident)
{
	static struct ident_eval_case cases[] = {
		/* the issue's example */
		{ "FTDI single port", ISSUE_POLICY, "ttyUSB0", true, FT232("A12345"), true, 1,
		  "usb:0403:6001" },
		{ "CP210x", ISSUE_POLICY, "ttyUSB7", true,
		  { .usb = true, .vid = 0x10c4, .pid = 0xea60, .ifnum = 0 }, true, 1, "usb:10c4:ea60" },
		{ "CDC-ACM Pico", ISSUE_POLICY, "ttyACM0", true, PICO, true, 2, "usb:2e8a:000a:E6614*" },
		{ "Pico, other serial", ISSUE_POLICY, "ttyACM0", true,
		  { .usb = true, .vid = 0x2e8a, .pid = 0x000a, .ifnum = 0, .serial = "F00" },
		  false, 0, "" },
		{ "Pico, no serial", ISSUE_POLICY, "ttyACM0", true,
		  { .usb = true, .vid = 0x2e8a, .pid = 0x000a, .ifnum = 0 }, false, 0, "" },
		{ "root hub product", ISSUE_POLICY, "ttyUSB0", true,
		  { .usb = true, .vid = 0x1d6b, .pid = 0x0002, .ifnum = 0 }, false, 3, "usb:1d6b:*" },
		{ "no USB ancestor", ISSUE_POLICY "permit * usb:*:*\n", "ttyS0", true, UART,
		  false, 0, "" },
		{ "no identity at all", ISSUE_POLICY, "ttyUSB0", false, { .ifnum = -1 }, false, 0, "" },
		{ "usb fields but usb false", "permit * usb:0403:6001\n", "ttyUSB0", true,
		  { .usb = false, .vid = 0x0403, .pid = 0x6001, .ifnum = 0 }, false, 0, "" },
		/* FT4232: one device, four interfaces */
		{ "FT4232 if0", QUAD_POLICY, "ttyUSB0", true, FT4232(0), true, 1, "usb:0403:6011" },
		{ "FT4232 if1", QUAD_POLICY, "ttyUSB1", true, FT4232(1), false, 2,
		  "usb:0403:6011:*:if1" },
		{ "FT4232 if2", QUAD_POLICY, "ttyUSB2", true, FT4232(2), true, 1, "usb:0403:6011" },
		{ "FT4232 if3", QUAD_POLICY, "ttyUSB3", true, FT4232(3), false, 3,
		  "usb:0403:6011:FT4XYZ:if3" },
		{ "interface unknown", "permit * usb:0403:6011:*:if0\n", "ttyUSB0", true,
		  { .usb = true, .vid = 0x0403, .pid = 0x6011, .ifnum = -1 }, false, 0, "" },
		/* serials: missing, odd characters, globs */
		{ "missing serial, '*'", "permit * usb:0403:6001:*\n", "ttyUSB0", true, FT232(""),
		  true, 1, "usb:0403:6001:*" },
		{ "missing serial, 'A*'", "permit * usb:0403:6001:A*\n", "ttyUSB0", true, FT232(""),
		  false, 0, "" },
		{ "odd serial, '?' for space", "permit * usb:0403:6001:A?B\n", "ttyUSB0", true,
		  FT232("A B"), true, 1, "usb:0403:6001:A?B" },
		{ "odd serial, '?' for colon", "permit * usb:0403:6001:A?B\n", "ttyUSB0", true,
		  FT232("A:B"), true, 1, "usb:0403:6001:A?B" },
		{ "odd serial with '/', '*'", "permit * usb:0403:6001:x*\n", "ttyUSB0", true,
		  FT232("x/y/z"), true, 1, "usb:0403:6001:x*" },
		{ "odd serial, bytes", "permit * usb:0403:6001:?\n", "ttyUSB0", true,
		  FT232("\xff"), true, 1, "usb:0403:6001:?" },
		{ "serial is case sensitive", "permit * usb:0403:6001:a12345\n", "ttyUSB0", true,
		  FT232("A12345"), false, 0, "" },
		{ "hex is not", "permit * usb:0403:600A\n", "ttyUSB0", true,
		  { .usb = true, .vid = 0x0403, .pid = 0x600a, .ifnum = 0 }, true, 1,
		  "usb:0403:600a" },
		/* path: globs */
		{ "path exact", "permit * path:pci-0000:00:14.0-usb-0:1.2:1.0\n", "ttyUSB0", true,
		  FT232("A"), true, 1, "path:pci-0000:00:14.0-usb-0:1.2:1.0" },
		{ "path glob", "permit * path:*-usb-0:2:1.[02]\n", "ttyUSB2", true, FT4232(2), true,
		  1, "path:*-usb-0:2:1.[02]" },
		{ "path glob, other if", "permit * path:*-usb-0:2:1.[02]\n", "ttyUSB1", true,
		  FT4232(1), false, 0, "" },
		{ "platform path", "permit * path:platform-*\n", "ttyS0", true, UART, true, 1,
		  "path:platform-*" },
		{ "no path, '*'", "permit * path:*\n", "ttyS0", true, NO_PATH_ID, false, 0, "" },
		/* globs on the name still work, the last match wins across kinds */
		{ "glob after usb", "permit * usb:0403:6001\ndeny * ttyUSB0\n", "ttyUSB0", true,
		  FT232("A"), false, 2, "ttyUSB0" },
		{ "usb after glob", "deny * ttyUSB*\npermit * usb:0403:*\n", "ttyUSB0", true,
		  FT232("A"), true, 2, "usb:0403:*" },
		{ "glob, no identity", "permit * ttyUSB*\n", "ttyUSB0", false, { .ifnum = -1 }, true,
		  1, "ttyUSB*" },
		/* pts/: never by an identity pattern, whatever the identity says */
		{ "pts, usb", "permit * usb:*:*\n", "pts/3", true, FT232("A"), false, 0, "" },
		{ "pts, path", "permit * path:*\n", "pts/3", true, FT232("A"), false, 0, "" },
		{ "pts, deny by usb", "permit * pts/*\ndeny * usb:*:* path:*\n", "pts/3", true,
		  FT232("A"), true, 1, "pts/*" },
		/* an identity string that is not NUL-terminated matches nothing */
		{ "unterminated serial", "permit * usb:0403:6001:*\n", "ttyUSB0", true,
		  FT232("0123456789012345678901234567890123456789012345678901234567890123"
			"456789012345678901234567890123456789012345678901234567890123456"),
		  false, 0, "" },
	};

	return cr_make_param_array(struct ident_eval_case, cases,
				   sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct ident_eval_case *c, eval, ident)
{
	struct policy_subject subj = { .uid = 1000, .gid = 1000, .ngroups = 1, .groups = { 1000 } };
	struct policy_verdict v = { .permit = true, .line = 99 };
	struct errs e = { 0 };
	struct policy *pol = NULL;
	struct policy_ident id = c->id;

	if (strcmp(c->what, "unterminated serial") == 0)
		memset(id.serial, 'x', sizeof(id.serial));
	cr_assert_eq(parse_str(c->policy, &e, &pol), 0, "%s: %s", c->what, e.n ? e.msg[0] : "?");
	policy_eval_ident(pol, &subj, c->port, c->has_id ? &id : NULL, &v);
	cr_assert_eq(v.permit, c->permit, "%s: permit %d", c->what, v.permit);
	cr_assert_eq(v.line, c->line, "%s: line %u", c->what, v.line);
	if (!c->pattern[0]) {
		cr_assert_null(v.pattern, "%s: pattern %s", c->what, v.pattern);
	} else {
		const struct policy_rule *r = NULL;
		bool found = false;

		cr_assert_not_null(v.pattern, "%s", c->what);
		cr_assert_str_eq(v.pattern, c->pattern, "%s", c->what);
		for (size_t i = 0; i < pol->nrules; i++)
			if (pol->rules[i].line == v.line)
				r = &pol->rules[i];
		cr_assert_not_null(r);
		for (size_t i = 0; i < r->npatterns; i++)
			found |= r->patterns[i] == v.pattern;
		cr_assert(found, "%s: the verdict's pattern is not the rule's own", c->what);
	}
	/* Without the identity, only name globs decide. */
	policy_eval(pol, &subj, c->port, &v);
	cr_assert(!v.pattern || !policy_pattern_is_ident(v.pattern), "%s", c->what);
	policy_free(pol);
}

/* ---- the canonical form (policy_canon.c): reload's parent -> engine ---- */

#define CANON_HDR "ttybroker-policy 1\n"

struct canon_case {
	char text[256];
	bool ok;
};

ParameterizedTestParameters(canon, table)
{
	static struct canon_case cases[] = {
		{ CANON_HDR, true },
		{ CANON_HDR "1 permit * ttyUSB0\n", true },
		{ CANON_HDR "2 permit * ttyUSB* ttyACM*\n5 deny u1000 ttyS0\n9 permit g20 pts/*\n", true },
		{ CANON_HDR "7 deny u0 ttyS*\n", true },
		{ CANON_HDR "3 permit u4294967294 ttyS0\n", true },
		{ "", false },
		{ "ttybroker-policy 2\n", false },
		{ "ttybroker-policy 1", false },                 /* no newline    */
		{ CANON_HDR "1 permit * ttyS0", false },         /* last line unterminated */
		{ CANON_HDR "\n", false },                       /* empty line    */
		{ CANON_HDR "0 permit * ttyS0\n", false },       /* line 0        */
		{ CANON_HDR "01 permit * ttyS0\n", false },      /* leading zero  */
		{ CANON_HDR "2 permit * a\n2 permit * b\n", false }, /* not increasing */
		{ CANON_HDR "3 permit * a\n2 permit * b\n", false },
		{ CANON_HDR "1 allow * ttyS0\n", false },
		{ CANON_HDR "1 permit bob ttyS0\n", false },     /* a name: needs NSS */
		{ CANON_HDR "1 permit :dialout ttyS0\n", false },
		{ CANON_HDR "1 permit u ttyS0\n", false },
		{ CANON_HDR "1 permit u-1 ttyS0\n", false },
		{ CANON_HDR "1 permit u4294967295 ttyS0\n", false }, /* (uid_t)-1 */
		{ CANON_HDR "1 permit u012 ttyS0\n", false },
		{ CANON_HDR "1 permit *\n", false },             /* no pattern    */
		{ CANON_HDR "1 permit *  ttyS0\n", false },      /* two spaces    */
		{ CANON_HDR "1 permit * ttyS0 \n", false },      /* trailing space */
		{ CANON_HDR " 1 permit * ttyS0\n", false },
		{ CANON_HDR "1\tpermit * ttyS0\n", false },
		{ CANON_HDR "1 permit * /dev/ttyS0\n", false },
		{ CANON_HDR "1 permit * ../x\n", false },
		{ CANON_HDR "1 permit * tty#0\n", false },
		{ CANON_HDR "1 permit * tty\x01\n", false },
		{ CANON_HDR "9999999 permit * ttyS0\n", false }, /* beyond any file */
		/* identity patterns, in their one spelling only */
		{ CANON_HDR "1 permit g20 usb:0403:6001 usb:10c4:ea60\n2 permit u1000 "
			    "usb:2e8a:000a:E6614*\n3 deny * usb:1d6b:*\n", true },
		{ CANON_HDR "4 permit * usb:0403:6011:*:if2 usb:*:* path:pci-*-usb-0:1.2:1.?\n", true },
		{ CANON_HDR "1 permit * usb:0403:6011:FT4[a-z]:if255\n", true },
		{ CANON_HDR "1 permit * usb:10C4:ea60\n", false },   /* upper-case hex */
		{ CANON_HDR "1 permit * usb:10c4:EA60\n", false },
		{ CANON_HDR "1 permit * usb:0403:6011:*:if02\n", false }, /* leading zero */
		{ CANON_HDR "1 permit * usb:0403:6011:*:IF2\n", false },
		{ CANON_HDR "1 permit * USB:0403:6011\n", false },
		{ CANON_HDR "1 permit * usb:0403\n", false },
		{ CANON_HDR "1 permit * usb:0403:6001:\n", false },
		{ CANON_HDR "1 permit * usb:0403:6011:*:if256\n", false },
		{ CANON_HDR "1 permit * usb:403:6011\n", false },
		{ CANON_HDR "1 permit * path:\n", false },
	};

	return cr_make_param_array(struct canon_case, cases, sizeof(cases) / sizeof(cases[0]));
}

/* What parses is canonical: it formats back to the very same bytes. */
ParameterizedTest(struct canon_case *c, canon, table)
{
	struct policy *pol = NULL;
	size_t len = strlen(c->text);
	char *text = NULL;
	size_t tlen = 0;
	int r = policy_canon_parse(c->text, len, "/etc/x.conf", NULL, NULL, &pol);

	cr_assert_eq(r == 0, c->ok, "%s: %d", c->text, r);
	if (!c->ok) {
		cr_assert_null(pol);
		return;
	}
	cr_assert_str_eq(pol->path, "/etc/x.conf");
	cr_assert_eq(policy_canon_format(pol, &text, &tlen), 0);
	cr_assert_eq(tlen, len);
	cr_assert_eq(memcmp(text, c->text, len), 0, "%.*s", (int)tlen, text);
	free(text);
	policy_free(pol);
}

/* A NUL inside is refused (the table's strings cannot hold one). */
Test(canon, nul_byte)
{
	static const char t[] = CANON_HDR "1 permit * tty\0S0\n";
	struct policy *pol = NULL;

	cr_assert_eq(policy_canon_parse(t, sizeof(t) - 1, "p", NULL, NULL, &pol), -EINVAL);
	cr_assert_null(pol);
}

/* A file policy round-trips: ids for names, the file's lines kept, eval equal. */
Test(canon, file_round_trip)
{
	static const char file[] = "# c\npermit root ttyS*\n\n  deny\t:root  ttyS1 # x\n"
				   "permit * pts/*\n";
	struct policy_subject root = { .uid = 0, .gid = 0 };
	struct policy *a = NULL, *b = NULL;
	struct policy_verdict va, vb;
	char *text = NULL;
	size_t len = 0;

	cr_assert_eq(policy_parse(file, sizeof(file) - 1, "f", NULL, NULL, &a), 0);
	cr_assert_eq(policy_canon_format(a, &text, &len), 0);
	cr_assert_eq(len, strlen(CANON_HDR "2 permit u0 ttyS*\n4 deny g0 ttyS1\n5 permit * pts/*\n"));
	cr_assert_eq(memcmp(text, CANON_HDR "2 permit u0 ttyS*\n4 deny g0 ttyS1\n5 permit * pts/*\n",
			    len), 0);
	cr_assert_eq(policy_canon_parse(text, len, "f", NULL, NULL, &b), 0);
	for (int i = 0; i < 3; i++) {
		const char *port = i == 0 ? "ttyS0" : i == 1 ? "ttyS1" : "pts/2";

		policy_eval(a, &root, port, &va);
		policy_eval(b, &root, port, &vb);
		cr_assert_eq(va.permit, vb.permit, "%s", port);
		cr_assert_eq(va.line, vb.line, "%s", port);
	}
	free(text);
	policy_free(a);
	policy_free(b);
}

/* Identity patterns reach the engine in their one spelling and decide alike. */
Test(canon, ident_round_trip)
{
	static const char file[] = "permit * usb:0403:6011:*:IF02\n\ndeny root USB:x\n";
	static const char good[] = "permit * usb:0403:6011:*:IF02 usb:10C4:EA60\n"
				   "deny root usb:*:*:A?B path:pci-*\n";
	static const char canon[] = CANON_HDR "1 permit * usb:0403:6011:*:if2 usb:10c4:ea60\n"
				    "2 deny u0 usb:*:*:A?B path:pci-*\n";
	struct policy_subject root = { .uid = 0, .gid = 0 };
	struct policy_ident ids[] = {
		{ .usb = true, .vid = 0x0403, .pid = 0x6011, .ifnum = 2, .serial = "A:B" },
		{ .usb = true, .vid = 0x0403, .pid = 0x6011, .ifnum = 2, .serial = "AB" },
		{ .usb = true, .vid = 0x10c4, .pid = 0xea60, .ifnum = 0, .path = "pci-1" },
		{ .usb = false, .ifnum = -1, .path = "pci-2" },
	};
	struct policy *a = NULL, *b = NULL;
	struct policy_verdict va, vb;
	char *text = NULL;
	size_t len = 0;

	cr_assert_eq(policy_parse(file, sizeof(file) - 1, "f", NULL, NULL, &a), -EINVAL);
	cr_assert_eq(policy_parse(good, sizeof(good) - 1, "f", NULL, NULL, &a), 0);
	cr_assert_eq(policy_canon_format(a, &text, &len), 0);
	cr_assert_eq(len, sizeof(canon) - 1, "%.*s", (int)len, text);
	cr_assert_eq(memcmp(text, canon, len), 0, "%.*s", (int)len, text);
	cr_assert_eq(policy_canon_parse(text, len, "f", NULL, NULL, &b), 0);
	for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
		policy_eval_ident(a, &root, "ttyUSB0", &ids[i], &va);
		policy_eval_ident(b, &root, "ttyUSB0", &ids[i], &vb);
		cr_assert_eq(va.permit, vb.permit, "identity %zu", i);
		cr_assert_eq(va.line, vb.line, "identity %zu", i);
		cr_assert_str_eq(va.pattern, vb.pattern, "identity %zu", i);
		cr_assert_eq(va.permit, i == 1, "identity %zu: permit %d", i, va.permit);
	}
	free(text);
	policy_free(a);
	policy_free(b);
}

/* ---- take rules (branch share10): who may take over a --yield hold ---- */

struct take_case {
	char text[128];
	bool ok;
	char msg[64];   /* a part of the first error, for bad lines */
};

ParameterizedTestParameters(take, lines)
{
	static struct take_case cases[] = {
		{ "take * ttyUSB*\n", true, "" },
		{ "take :nogroup ttyUSB* ttyACM*\n", true, "" },
		{ "take nobody pts/*\n", true, "" },
		{ "permit * ttyS0\ntake :root ttyS0\ndeny * ttyS0\n", true, "" },
		{ "take\n", false, "no user" },
		{ "take *\n", false, "no port pattern" },
		{ "take :nosuchgroup9 ttyS0\n", false, "unknown group" },
		{ "take * /dev/ttyS0\n", false, "absolute" },
		{ "take * ../x\n", false, "'..'" },
		{ "permit take * ttyS0\n", false, "action of its own" },
		{ "deny take * ttyS0\n", false, "action of its own" },
		{ "takeover * ttyS0\n", false, "permit, deny or take" },
	};

	return cr_make_param_array(struct take_case, cases, sizeof(cases) / sizeof(cases[0]));
}

/* Good and bad take lines; a take rule never decides an open. */
ParameterizedTest(struct take_case *c, take, lines)
{
	struct policy_subject nobody = { .uid = 65534, .gid = 65534 };
	struct policy_verdict v;
	struct errs e = { 0 };
	struct policy *pol = NULL;
	int r = parse_str(c->text, &e, &pol);

	cr_assert_eq(r == 0, c->ok, "%s: %d (%s)", c->text, r, e.n ? e.msg[0] : "");
	if (!c->ok) {
		cr_assert_geq(e.n, 1);
		cr_assert_not_null(strstr(e.msg[0], c->msg), "'%s' lacks '%s'", e.msg[0], c->msg);
		return;
	}
	for (size_t i = 0; i < pol->nrules; i++)
		if (pol->rules[i].take) {
			cr_assert_not(pol->rules[i].permit);
			policy_eval(pol, &nobody, pol->rules[i].patterns[0], &v);
			cr_assert_neq(v.line, pol->rules[i].line, "a take rule decided an open");
		}
	policy_free(pol);
}

/* policy_eval_take: both covered by one take rule, on a matching port. */
Test(take, eval)
{
	static const char text[] = "permit * ttyUSB* pts/*\ntake :nogroup ttyUSB*\n"
				   "take nobody * pts/*\n";
	struct policy_subject a = { .uid = 1001, .gid = 65534 };          /* in nogroup */
	struct policy_subject b = { .uid = 1002, .gid = 100, .ngroups = 1,
				    .groups = { 65534 } };                  /* supplementary */
	struct policy_subject c = { .uid = 1003, .gid = 100 };            /* not in it */
	struct policy_subject n = { .uid = 65534, .gid = 100 };
	struct policy *pol = NULL;

	cr_assert_eq(policy_parse(text, sizeof(text) - 1, "t", NULL, NULL, &pol), 0);
	cr_assert_eq(policy_eval_take(pol, &a, &b, "ttyUSB0", NULL), 2);
	cr_assert_eq(policy_eval_take(pol, &b, &a, "ttyUSB3", NULL), 2);
	cr_assert_eq(policy_eval_take(pol, &a, &c, "ttyUSB0", NULL), 0, "the holder is not covered");
	cr_assert_eq(policy_eval_take(pol, &c, &a, "ttyUSB0", NULL), 0, "the taker is not covered");
	cr_assert_eq(policy_eval_take(pol, &a, &b, "ttyS0", NULL), 0, "another port");
	/* "*" never covers a pts/ port: only a pattern that says pts/. */
	cr_assert_eq(policy_eval_take(pol, &n, &n, "pts/3", NULL), 3);
	cr_assert_eq(policy_eval_take(pol, &n, &n, "ttyS0", NULL), 3);
	cr_assert_eq(policy_eval_take(NULL, &a, &b, "ttyUSB0", NULL), 0);
	policy_free(pol);
}

/* A take rule may name the port by identity, like permit and deny rules. */
Test(take, eval_ident)
{
	static const char text[] = "permit * usb:0403:6001\ntake :nogroup usb:0403:6001:A1*\n";
	struct policy_subject a = { .uid = 1001, .gid = 65534 };
	struct policy_subject b = { .uid = 1002, .gid = 65534 };
	struct policy_ident ftdi = { .usb = true, .vid = 0x0403, .pid = 0x6001, .ifnum = 0,
				     .serial = "A12345" };
	struct policy_ident other = ftdi;
	struct policy *pol = NULL;

	snprintf(other.serial, sizeof(other.serial), "B777");
	cr_assert_eq(policy_parse(text, sizeof(text) - 1, "t", NULL, NULL, &pol), 0);
	cr_assert_eq(policy_eval_take(pol, &a, &b, "ttyUSB0", &ftdi), 2);
	cr_assert_eq(policy_eval_take(pol, &a, &b, "ttyUSB0", &other), 0, "another serial");
	cr_assert_eq(policy_eval_take(pol, &a, &b, "ttyUSB0", NULL), 0, "no identity");
	cr_assert_eq(policy_eval_take(pol, &a, &b, "pts/1", &ftdi), 0, "never a pts/ port");
	policy_free(pol);
}

/* Take rules survive the canonical form (reload) as "take". */
Test(take, canon_round_trip)
{
	static const char file[] = "permit * ttyUSB*\ntake :root ttyUSB*\n";
	static const char canon[] = CANON_HDR "1 permit * ttyUSB*\n2 take g0 ttyUSB*\n";
	struct policy *a = NULL, *b = NULL;
	char *text = NULL;
	size_t len = 0;

	cr_assert_eq(policy_parse(file, sizeof(file) - 1, "f", NULL, NULL, &a), 0);
	cr_assert_eq(policy_canon_format(a, &text, &len), 0);
	cr_assert_eq(len, sizeof(canon) - 1);
	cr_assert_eq(memcmp(text, canon, len), 0, "%.*s", (int)len, text);
	cr_assert_eq(policy_canon_parse(text, len, "f", NULL, NULL, &b), 0);
	cr_assert(b->rules[1].take && !b->rules[1].permit);
	free(text);
	policy_free(a);
	policy_free(b);
}
