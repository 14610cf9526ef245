/* SPDX-License-Identifier: MIT */
/*
 * cli_check.c - `ttybroker check [--as USER] PORT` and `ttybroker lint
 * POLICY`: the admin's view of the policy, evaluated exactly as the
 * backend evaluates it.
 */
#include <errno.h>
#include <fcntl.h>
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

/* Port name as the backend sees it: syntax, then by-id resolution. */
static int check_port(const char *arg, char *kname, size_t len)
{
	const char *port = portname_strip_dev(arg);
	struct open_env env;
	int r;

	char shown[PORTNAME_ESCAPED_MAX];

	portname_escape(arg, shown, sizeof(shown));
	if (portname_check(port) < 0)
		return cli_fail(EX_DATAERR, "%s: %s", shown, tb_reason_str(TB_R_NAME));
	if (!portname_byid(port)) {
		snprintf(kname, len, "%s", port);
		return 0;
	}
	if (open_env_init(&env, "/dev") < 0)
		return cli_fail(EX_OSERR, "/dev: %s", strerror(errno));
	r = open_resolve(&env, port, kname, len);
	open_env_fini(&env);
	if (r < 0)
		return cli_fail(EX_UNAVAILABLE, "%s: %s", shown, tb_reason_str(TB_R_NODEV));
	return 0;
}

int cli_check(const struct cli *c, int argc, char **argv)
{
	const char *path = c->policy ? c->policy : POLICY_DEFAULT_PATH;
	const char *as = NULL, *port;
	char name[256], kname[PROTO_PORT_MAX];
	struct policy_subject subj;
	struct policy_verdict v;
	struct policy *pol = NULL;
	struct drop_target self;
	int r;

	if (argc == 4 && strcmp(argv[1], "--as") == 0)
		as = argv[2];
	else if (argc != 2)
		return cli_fail(EX_USAGE, "usage: check [--as USER] PORT");
	port = argv[argc - 1];
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
	policy_eval(pol, &subj, kname, &v);
	printf("%s: user %s (uid %u) %s %s%s%s: ", v.permit ? "permit" : "deny", name,
	       (unsigned int)subj.uid, v.permit ? "may open" : "may not open", kname,
	       strcmp(kname, portname_strip_dev(port)) ? " via " : "",
	       strcmp(kname, portname_strip_dev(port)) ? port : "");
	if (v.line)
		printf("%s:%u (pattern %s)\n", path, v.line, v.pattern);
	else
		printf("no rule in %s matches (default deny)\n", path);
	policy_free(pol);
	return v.permit ? 0 : EX_NOPERM;
}

/* Read PATH (at most POLICY_MAX_SIZE bytes) for lint, which checks syntax
 * even where the loader would refuse the file. */
static char *lint_read(const char *path, size_t *len, struct stat *st)
{
	char *buf = NULL;
	size_t cap = POLICY_MAX_SIZE + 1;
	ssize_t n;
	int fd, saved;

	fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
	if (fd < 0 || fstat(fd, st) < 0)
		goto fail;
	if (!S_ISREG(st->st_mode)) {
		errno = EINVAL; /* say "not a regular file", not a stale errno */
		goto fail;
	}
	if (!(buf = malloc(cap)))
		goto fail;
	*len = 0;
	while (*len < cap && (n = read(fd, buf + *len, cap - *len)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			goto fail;
		*len += (size_t)n;
	}
	close(fd);
	return buf;
fail:
	saved = errno;
	if (fd >= 0)
		close(fd);
	free(buf);
	errno = saved;
	return NULL;
}

int cli_lint(const struct cli *c, int argc, char **argv)
{
	struct drop_target self;
	struct policy *pol = NULL;
	struct stat st;
	int errors = 0;
	size_t len;
	char *text;

	if (argc != 2)
		return cli_fail(EX_USAGE, "usage: lint POLICY");
	/* A setuid caller lints only what it could read itself. */
	if (c->secure && (drop_target_resolve(NULL, &self) < 0 || drop_privileges(&self) < 0))
		return cli_fail(EX_OSERR, "cannot drop privileges");
	text = lint_read(argv[1], &len, &st);
	if (!text)
		return cli_fail(EX_CONFIG, "%s: cannot read a regular file: %s", argv[1],
				errno == EINVAL ? "not a regular file" : strerror(errno));
	errors = cli_lint_judge(argv[1], text, len, &st, cli_policy_error, NULL, &pol);
	if (!errors)
		printf("%s: ok, %zu rule%s\n", argv[1], pol->nrules, pol->nrules == 1 ? "" : "s");
	policy_free(pol);
	free(text);
	return errors ? EX_CONFIG : 0;
}
