/* SPDX-License-Identifier: MIT */
/*
 * cli_check.c - `ttybroker check [--as USER] PORT` and `ttybroker lint
 * POLICY`: the admin's view of the policy, evaluated exactly as the
 * backend evaluates it.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <unistd.h>

#include "cli.h"
#include "drop.h"
#include "open.h"
#include "policy.h"
#include "portname.h"
#include "sysid.h"

static void cli_policy_error(void *arg, const char *path, unsigned int line,
			     const char *msg)
{
	int *n = arg;

	if (n)
		(*n)++;
	if (line)
		fprintf(stderr, "%s:%u: %s\n", path, line, msg);
	else
		fprintf(stderr, "%s: %s\n", path, msg);
}

/* The subject of `check`: --as USER, else -u/sudo target, else ourselves. */
static int check_subject(const struct cli *c, const char *as,
			 struct policy_subject *subj, char *name, size_t len)
{
	struct passwd *pw;
	struct drop_target t;

	if (as) {
		if (c->secure && getuid() != 0)
			return cli_fail(EX_NOPERM, "only root may check for another user");
		pw = getpwnam(as);
		if (!pw)
			return cli_fail(EX_USAGE, "unknown user '%s'", as);
	} else if (drop_target_resolve(c->user, &t) == 0) {
		pw = getpwuid(t.subj.uid);
	} else if (c->user && !c->secure) {
		return cli_fail(EX_USAGE, "unknown user '%s'", c->user);
	} else {
		pw = getpwuid(getuid());
	}
	if (!pw)
		return cli_fail(EX_USAGE, "cannot tell which user to check");
	snprintf(name, len, "%s", pw->pw_name);
	if (policy_subject_init(subj, pw->pw_uid, pw->pw_gid) < 0)
		return cli_fail(EX_OSERR, "cannot read the groups of '%s'", pw->pw_name);
	return 0;
}

/*
 * Port name as the backend sees it: syntax, then by-id or by-path
 * resolution, with
 * the backend's verdicts (decide() in broker/backend.c), so that check
 * says what run would: a link that does not read "../../NAME" (one to a
 * pty, pts/N, included) is not a serial tty; a missing one is no device.
 */
static int check_port(const char *arg, char *kname, size_t len)
{
	const char *port = portname_strip_dev(arg);
	struct open_env env;
	int r;

	char shown[PORTNAME_ESCAPED_MAX];

	portname_escape(arg, shown, sizeof(shown));
	if (portname_check(port) < 0)
		return cli_fail(EX_DATAERR, "%s: %s", shown, tb_reason_str(TB_R_NAME));
	if (!portname_byid(port) && !portname_bypath(port)) {
		snprintf(kname, len, "%s", port);
		return 0;
	}
	if (open_env_init(&env, "/dev") < 0)
		return cli_fail(EX_OSERR, "/dev: %s", strerror(errno));
	r = open_resolve(&env, port, kname, len);
	open_env_fini(&env);
	if (r == -EINVAL)
		return cli_fail(tb_reason_exit(TB_R_NOTTY), "%s: %s", shown,
				tb_reason_str(TB_R_NOTTY));
	if (r < 0)
		return cli_fail(tb_reason_exit(TB_R_NODEV), "%s: %s", shown,
				tb_reason_str(TB_R_NODEV));
	return 0;
}

/* True if POL has a usb: or path: pattern, so a port's identity counts. */
static bool policy_has_ident(const struct policy *pol)
{
	for (size_t i = 0; i < pol->nrules; i++)
		for (size_t k = 0; k < pol->rules[i].npatterns; k++)
			if (pol->rules[i].pats[k].kind != POLICY_PAT_GLOB)
				return true;
	return false;
}

/*
 * Read the identity of port KNAME into *ID as the backend reads it: from
 * sysfs, by the device number of the node /dev/KNAME (a link is not
 * followed), never from names in /dev.  A device that sysfs does not know
 * (a pty) has no identity: *ID says no USB and no path.  Returns 0, or
 * a negative errno with *WHY saying why the identity is unknown; then
 * *UNREADABLE says whether sysfs has an entry for the device that cannot
 * be read, for which the backend refuses the port whatever the rules say
 * (a node that is missing or not a device is judged by name, as there).
 */
static int check_ident(const char *kname, struct policy_ident *id, const char **why,
		       bool *unreadable)
{
	struct stat st;
	int dev, sys, r;

	*why = NULL;
	*unreadable = false;
	dev = open("/dev", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (dev < 0)
		goto fail;
	r = fstatat(dev, kname, &st, AT_SYMLINK_NOFOLLOW) < 0 ? errno : 0;
	close(dev);
	if (r) {
		errno = r;
		goto fail;
	}
	if (!S_ISCHR(st.st_mode)) {
		*why = "not a character device";
		return -ENODEV;
	}
	sys = open("/sys", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (sys < 0)
		goto fail;
	r = sysid_read(sys, st.st_rdev, id);
	close(sys);
	if (r == -ENOENT) {
		memset(id, 0, sizeof(*id));
		id->ifnum = -1;
		return 0;
	}
	if (r < 0) {
		*unreadable = true;
		errno = -r;
		goto fail;
	}
	return 0;
fail:
	*why = errno == ENOENT ? "no such device" : strerror(errno);
	return -errno;
}

/* WHO of take rule R in words, for lint and check. */
static void take_who(const struct policy_rule *r, char *buf, size_t len)
{
	struct passwd *pw;
	struct group *gr;

	if (r->who == POLICY_WHO_ANY) {
		snprintf(buf, len, "everyone");
	} else if (r->who == POLICY_WHO_USER) {
		pw = getpwuid(r->uid);
		snprintf(buf, len, "user %s", pw ? pw->pw_name : "?");
	} else {
		gr = getgrgid(r->gid);
		snprintf(buf, len, "the members of group %s", gr ? gr->gr_name : "?");
	}
}

/* lint's word on each take rule of POL (read from PATH): what it allows. */
static void lint_explain_take(const char *path, const struct policy *pol)
{
	char who[128];

	for (size_t i = 0; i < pol->nrules; i++) {
		const struct policy_rule *r = &pol->rules[i];

		if (!r->take)
			continue;
		take_who(r, who, sizeof(who));
		printf("%s:%u: take: %s may take over each other's --yield holds of %s%s "
		       "(ttybrokerd; opening still needs a permit rule)\n", path, r->line, who,
		       r->patterns[0], r->npatterns > 1 ? " and more ports" : "");
	}
}

int cli_check(const struct cli *c, int argc, char **argv)
{
	const char *path = c->policy ? c->policy : POLICY_DEFAULT_PATH;
	const char *as = NULL, *port;
	char name[256], kname[PROTO_PORT_MAX];
	struct policy_subject subj;
	struct policy_verdict v;
	struct policy *pol = NULL;
	struct policy_ident id;
	struct drop_target self;
	const char *why = NULL;
	bool show_id, have_id, unreadable = false;
	unsigned int take;
	int r, first;

	if ((r = cli_cmd_options("check", argc, argv, &as, &first)) >= 0)
		return r;
	if (first >= argc)
		return cli_fail(EX_USAGE, "check: missing PORT (usage: check [--as USER] PORT)");
	if (first + 1 < argc)
		return cli_fail(EX_USAGE, "check: one PORT only (usage: check [--as USER] PORT)");
	port = argv[first];
	if ((r = check_subject(c, as, &subj, name, sizeof(name))) != 0 ||
	    (r = check_port(port, kname, sizeof(kname))) != 0)
		return r;
	if (policy_load(path, cli_policy_error, NULL, &pol) < 0)
		return cli_fail(EX_CONFIG, "%s: %s", path, tb_reason_str(TB_R_POLICY));
	/* Done with privilege: a setuid caller goes back to being itself. */
	if (c->secure && (drop_target_resolve(NULL, &self) < 0 ||
			  drop_privileges(&self) < 0)) {
		policy_free(pol);
		return cli_fail(EX_OSERR, "cannot drop privileges");
	}
	/* The identity only where the policy can use it: old output stays. */
	show_id = policy_has_ident(pol);
	have_id = show_id && check_ident(kname, &id, &why, &unreadable) == 0;
	if (unreadable) {
		/* As the backend: a deny rule by identity must not be skipped. */
		printf("deny: user %s (uid %u) may not open %s: its identity cannot be read "
		       "from sysfs, and the broker refuses such a port whatever the rules "
		       "say\n", name, (unsigned int)subj.uid, kname);
		cli_ident_print(stdout, NULL, why);
		policy_free(pol);
		return EX_NOPERM;
	}
	policy_eval_ident(pol, &subj, kname, have_id ? &id : NULL, &v);
	printf("%s: user %s (uid %u) %s %s%s%s: ", v.permit ? "permit" : "deny", name,
	       (unsigned int)subj.uid, v.permit ? "may open" : "may not open", kname,
	       strcmp(kname, portname_strip_dev(port)) ? " via " : "",
	       strcmp(kname, portname_strip_dev(port)) ? port : "");
	if (v.line)
		printf("%s:%u (pattern %s%s)\n", path, v.line, v.pattern, cli_ident_how(v.pattern));
	else
		printf("no rule in %s matches (default deny)\n", path);
	if (show_id)
		cli_ident_print(stdout, why ? NULL : &id, why);
	take = policy_eval_take(pol, &subj, &subj, kname, have_id ? &id : NULL);
	if (take)
		printf("take: user %s may take %s over from the others %s:%u covers, when "
		       "they hold it with --yield\n", name, kname, path, take);
	policy_free(pol);
	return v.permit ? 0 : EX_NOPERM;
}

/*
 * Read PATH (at most POLICY_MAX_SIZE + 1 bytes) for lint, which checks
 * syntax even where the loader would refuse the file.  On failure, NULL
 * and WHY says what is wrong, in the loader's words.
 */
static char *lint_read(const char *path, size_t *len, struct stat *st, char *why,
		       size_t whylen)
{
	char *buf = NULL;
	size_t cap = POLICY_MAX_SIZE + 1;
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		const char *msg = policy_open_strerror(errno, why, whylen);

		if (msg != why)
			snprintf(why, whylen, "%s", msg);
		return NULL;
	}
	if (fstat(fd, st) < 0)
		goto fail_errno;
	if (!S_ISREG(st->st_mode)) {
		snprintf(why, whylen, "not a regular file");
		goto fail;
	}
	if (!(buf = malloc(cap)))
		goto fail_errno;
	*len = 0;
	while (*len < cap && (n = read(fd, buf + *len, cap - *len)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			goto fail_errno;
		*len += (size_t)n;
	}
	close(fd);
	return buf;
fail_errno:
	snprintf(why, whylen, "cannot read: %s", strerror(errno));
fail:
	close(fd);
	free(buf);
	return NULL;
}

int cli_lint(const struct cli *c, int argc, char **argv)
{
	struct drop_target self;
	struct policy *pol = NULL;
	struct stat st;
	int errors = 0;
	char *text, why[128];
	size_t len;
	int r, first;

	if ((r = cli_cmd_options("lint", argc, argv, NULL, &first)) >= 0)
		return r;
	if (first >= argc)
		return cli_fail(EX_USAGE, "lint: missing POLICY (usage: lint POLICY)");
	if (first + 1 < argc)
		return cli_fail(EX_USAGE, "lint: one POLICY only (usage: lint POLICY)");
	argv += first - 1; /* argv[1] is POLICY from here on */
	/* A setuid caller lints only what it could read itself. */
	if (c->secure && (drop_target_resolve(NULL, &self) < 0 || drop_privileges(&self) < 0))
		return cli_fail(EX_OSERR, "cannot drop privileges");
	text = lint_read(argv[1], &len, &st, why, sizeof(why));
	if (!text)
		return cli_fail(EX_CONFIG, "%s: %s", argv[1], why);
	errors = cli_lint_judge(argv[1], text, len, &st, cli_policy_error, NULL, &pol);
	if (!errors) {
		printf("%s: ok, %zu rule%s\n", argv[1], pol->nrules, pol->nrules == 1 ? "" : "s");
		lint_explain_take(argv[1], pol);
	}
	policy_free(pol);
	free(text);
	return errors ? EX_CONFIG : 0;
}
