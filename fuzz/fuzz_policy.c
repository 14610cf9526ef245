/* SPDX-License-Identifier: MIT */
/*
 * fuzz_policy.c - policy_parse() on arbitrary text, and the three judges
 * of a policy file held against each other.
 *
 * Checked, for every input:
 *  - parse returns 0 with a policy or -EINVAL/-ENOMEM without one, reports
 *    at least one error exactly when it fails, and every message is one
 *    line of printable ASCII (a hostile policy cannot forge log lines);
 *  - a parsed policy is sane (rule lines ascending, 1..64 printable,
 *    relative patterns without "..", each compiled to the kind its text
 *    says) and evaluates any port name, fixed ones and tokens of the
 *    input, for several subjects and identities (none, fixed ones, one
 *    made of the input's bytes and tokens), to a verdict that names a
 *    real rule and pattern of it that does match the port or its
 *    identity, and never hands out a pts/ port through a pattern that
 *    does not start with "pts/";
 *  - lint agrees with load: the input written to a real file (root-owned
 *    0644 mostly; sometimes group-writable or owned by nobody) is accepted
 *    by policy_load() exactly when cli_lint_judge() finds no problem, and
 *    for a safe file exactly when policy_parse() accepted the buffer.
 */
#include <errno.h>
#include <fnmatch.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "fuzzutil.h"
#include "policy.h"
#include "proto.h"

#define NOBODY      65534
#define MAX_TOKENS  8
#define MAX_SUBJ    4
#define MAX_IDS     5

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char path[128];
static struct policy_subject subjects[MAX_SUBJ];
/* NULL, an FT232R, an FT4232H's interface 2, a platform UART, and one
 * from the input (fuzz_ident()). */
static struct policy_ident idents[MAX_IDS];

/* Count errors and check that each message is one printable line. */
struct errs {
	unsigned int n;
};

static void on_error(void *arg, const char *p, unsigned int line, const char *msg)
{
	struct errs *e = arg;

	(void)line;
	e->n++;
	fuzz_assert(p != NULL);
	for (const unsigned char *c = (const unsigned char *)msg; *c; c++)
		fuzz_assert(*c >= 0x20 && *c < 0x7f);
}

/* Subjects: root, nobody, daemon with dialout, an unnamed uid in 256 groups. */
static void init_subjects(void)
{
	subjects[0] = (struct policy_subject){ .uid = 0, .gid = 0, .ngroups = 1 };
	subjects[1] = (struct policy_subject){ .uid = NOBODY, .gid = NOBODY,
					       .ngroups = 1, .groups = { NOBODY } };
	subjects[2] = (struct policy_subject){ .uid = 1, .gid = 1, .ngroups = 2,
					       .groups = { 1, 20 } };
	subjects[3] = (struct policy_subject){ .uid = 54321, .gid = 54321,
					       .ngroups = POLICY_MAX_GROUPS };
	for (gid_t g = 0; g < POLICY_MAX_GROUPS; g++)
		subjects[3].groups[g] = g;
	idents[1] = (struct policy_ident){ .usb = true, .vid = 0x0403, .pid = 0x6001,
					   .ifnum = 0, .serial = "A12345",
					   .path = "pci-0000:00:14.0-usb-0:1.2:1.0" };
	idents[2] = (struct policy_ident){ .usb = true, .vid = 0x0403, .pid = 0x6011,
					   .ifnum = 2, .serial = "FT4 :x",
					   .path = "pci-0000:00:14.0-usb-0:2:1.2" };
	idents[3] = (struct policy_ident){ .ifnum = -1, .path = "platform-serial8250" };
}

/* Identity number 4 from the input: ids and interface from its first
 * bytes, serial and path from its last tokens (TOKS, NTOKS). */
static void fuzz_ident(const uint8_t *data, size_t size, char toks[][PROTO_PORT_MAX],
		       size_t ntoks)
{
	struct policy_ident *id = &idents[4];
	uint8_t b[5] = { 0 };

	memcpy(b, data, size < sizeof(b) ? size : sizeof(b));
	*id = (struct policy_ident){ .usb = b[0] & 1, .vid = (uint16_t)(b[1] << 8 | b[2]),
				     .pid = (uint16_t)(b[3] << 8 | b[4]), .ifnum = b[0] % 5 - 1 };
	if (ntoks > 0)
		memcpy(id->serial, toks[ntoks - 1],
		       strnlen(toks[ntoks - 1], sizeof(id->serial) - 1));
	if (ntoks > 1)
		memcpy(id->path, toks[ntoks - 2], strnlen(toks[ntoks - 2], sizeof(id->path) - 1));
}

/* A parsed policy's rules are what the file format allows. */
static void check_rules(const struct policy *pol)
{
	unsigned int last = 0;

	fuzz_assert(pol->nrules <= POLICY_MAX_RULES);
	for (size_t i = 0; i < pol->nrules; i++) {
		const struct policy_rule *r = &pol->rules[i];

		fuzz_assert(r->line > last);
		last = r->line;
		fuzz_assert(r->npatterns >= 1 && r->npatterns <= POLICY_MAX_PATTERNS);
		for (size_t k = 0; k < r->npatterns; k++) {
			const char *p = r->patterns[k];

			fuzz_assert(p[0] != '\0' && p[0] != '/');
			fuzz_assert(strcmp(p, "..") != 0 && strncmp(p, "../", 3) != 0 &&
				    !strstr(p, "/../"));
			fuzz_assert(strlen(p) < 3 || strcmp(p + strlen(p) - 3, "/..") != 0);
			for (const char *c = p; *c; c++)
				fuzz_assert(*c > ' ' && *c < 0x7f);
			fuzz_assert((r->pats[k].kind != POLICY_PAT_GLOB) ==
				    policy_pattern_is_ident(p));
			fuzz_assert(r->pats[k].kind != POLICY_PAT_GLOB || r->pats[k].glob == p);
			fuzz_assert(r->pats[k].kind != POLICY_PAT_PATH ||
				    (r->pats[k].glob && r->pats[k].glob[0]));
			fuzz_assert(r->pats[k].ifnum >= -1 && r->pats[k].ifnum <= 255);
		}
	}
}

/* True if compiled pattern P (text TEXT) may rightly decide for PORT and ID. */
static bool pat_matches(const struct policy_pat *p, const char *text, const char *port,
			const struct policy_ident *id)
{
	if (p->kind == POLICY_PAT_GLOB)
		return fnmatch(text, port, FNM_PATHNAME) == 0;
	if (!id || strncmp(port, "pts/", 4) == 0)
		return false;
	if (p->kind == POLICY_PAT_PATH)
		return id->path[0] && fnmatch(p->glob, id->path, 0) == 0;
	return id->usb && (p->any_vid || p->vid == id->vid) &&
	       (p->any_pid || p->pid == id->pid) && (p->ifnum < 0 || p->ifnum == id->ifnum) &&
	       (!p->glob || fnmatch(p->glob, id->serial, 0) == 0);
}

/* The verdict for PORT (and identity ID) names a rule of POL and one of its
 * patterns, which matches. */
static void check_eval_id(const struct policy *pol, const char *port,
			  const struct policy_ident *id)
{
	bool pts = strncmp(port, "pts/", 4) == 0;

	for (size_t s = 0; s < MAX_SUBJ; s++) {
		struct policy_verdict v;
		const struct policy_rule *r = NULL;
		size_t found = SIZE_MAX;

		policy_eval_ident(pol, &subjects[s], port, id, &v);
		fuzz_assert((v.line == 0) == (v.pattern == NULL));
		if (v.line == 0) {
			fuzz_assert(!v.permit);
			continue;
		}
		fuzz_assert(pol != NULL);
		for (size_t i = 0; i < pol->nrules && !r; i++)
			if (pol->rules[i].line == v.line)
				r = &pol->rules[i];
		fuzz_assert(r != NULL && r->permit == v.permit);
		for (size_t k = 0; k < r->npatterns; k++)
			if (r->patterns[k] == v.pattern)
				found = k;
		fuzz_assert(found != SIZE_MAX);
		fuzz_assert(pat_matches(&r->pats[found], v.pattern, port, id));
		fuzz_assert(!pts || strncmp(v.pattern, "pts/", 4) == 0);
	}
}

/* PORT without an identity, then with each of idents[]. */
static void check_eval(const struct policy *pol, const char *port)
{
	check_eval_id(pol, port, NULL);
	for (size_t i = 1; i < MAX_IDS; i++)
		check_eval_id(pol, port, &idents[i]);
}

/* Evaluate fixed port names and the first few tokens of the input. */
static void eval_ports(const struct policy *pol, const uint8_t *data, size_t size)
{
	static const char *const fixed[] = {
		"ttyUSB0", "ttyS0", "ttyACM1", "pts/0", "pts/17",
		"serial/by-id/usb-FTDI_1-if00", "", "..", "pts/", "*",
	};
	static char toks[MAX_TOKENS][PROTO_PORT_MAX];
	size_t pos = 0, ntoks = 0;

	for (int t = 0; t < MAX_TOKENS && pos < size; t++) {
		char *tok = toks[ntoks++];
		size_t n = 0;

		while (pos < size && strchr(" \t\n", data[pos]) && data[pos])
			pos++;
		while (pos < size && !strchr(" \t\n", data[pos]) && data[pos]) {
			if (n < PROTO_PORT_MAX - 1)
				tok[n++] = (char)data[pos];
			pos++;
		}
		if (pos < size && data[pos] == '\0')
			pos++;
		tok[n] = '\0';
	}
	fuzz_ident(data, size, toks, ntoks);
	for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
		check_eval(pol, fixed[i]);
	for (size_t t = 0; t < ntoks; t++)
		check_eval(pol, toks[t]);
}

/* Write the input to PATH with OWNER and MODE; fill *ST.  Aborts on failure. */
static void write_policy(const uint8_t *data, size_t size, uid_t owner,
			 mode_t mode, struct stat *st)
{
	int fd;

	/* A new file each time: truncating one makes ext4 flush it on close. */
	fuzz_assert(unlink(path) == 0 || errno == ENOENT);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	fuzz_assert(fd >= 0);
	for (size_t off = 0; off < size;) {
		ssize_t n = write(fd, data + off, size - off);

		fuzz_assert(n > 0);
		off += (size_t)n;
	}
	fuzz_assert(fchown(fd, owner, 0) == 0 && fchmod(fd, mode) == 0);
	fuzz_assert(fstat(fd, st) == 0);
	close(fd);
}

/* Load and lint judge the same file the same way. */
static void check_lint_load(const uint8_t *data, size_t size, int parse_rc,
			    const struct policy *pol)
{
	static const struct { uid_t owner; mode_t mode; } variants[8] = {
		{ 0, 0644 }, { 0, 0644 }, { 0, 0644 }, { 0, 0644 },
		{ 0, 0600 }, { 0, 0664 }, { 0, 0646 }, { NOBODY, 0644 },
	};
	unsigned int v = (unsigned int)(size * 31 + (size ? data[size - 1] : 0)) & 7;
	struct policy *loaded = NULL, *linted = NULL;
	struct errs le = { 0 }, ce = { 0 };
	bool safe = variants[v].owner == 0 && !(variants[v].mode & 022);
	struct stat st;
	int lrc, problems;

	write_policy(data, size, variants[v].owner, variants[v].mode, &st);
	lrc = policy_load(path, on_error, &le, &loaded);
	problems = cli_lint_judge(path, (const char *)data, size, &st, on_error, &ce,
				  &linted);
	fuzz_assert((lrc == 0) == (problems == 0));
	fuzz_assert((lrc == 0) == (loaded != NULL) && (problems == 0) == (linted != NULL));
	fuzz_assert(lrc == 0 || le.n > 0);
	fuzz_assert(problems == (int)ce.n);
	if (safe)
		fuzz_assert((lrc == 0) == (parse_rc == 0));
	if (loaded && linted)
		fuzz_assert(loaded->nrules == linted->nrules);
	if (loaded && pol)
		fuzz_assert(loaded->nrules == pol->nrules);
	policy_free(loaded);
	policy_free(linted);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct policy *pol = NULL;
	struct fuzz_fds before;
	struct errs pe = { 0 };
	int rc;

	if (!path[0]) {
		snprintf(path, sizeof(path), "%s/policy", fuzz_tmpdir("fuzz_policy"));
		init_subjects();
	}
	fuzz_fds_snapshot(&before);
	rc = policy_parse((const char *)data, size, path, on_error, &pe, &pol);
	fuzz_assert(rc == 0 || rc == -EINVAL || rc == -ENOMEM);
	fuzz_assert((rc == 0) == (pol != NULL));
	fuzz_assert(rc == -ENOMEM || (rc == 0) == (pe.n == 0));
	if (pol)
		check_rules(pol);
	eval_ports(pol, data, size);
	check_lint_load(data, size, rc, pol);
	policy_free(pol);
	fuzz_fds_check(&before);
	return 0;
}
