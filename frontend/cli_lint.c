/* SPDX-License-Identifier: MIT */
/*
 * cli_lint.c - the verdict of `ttybroker lint` on a policy file, apart
 * from reading it, so that fuzz/fuzz_policy.c can hold it against
 * policy_load(): whatever lint calls ok the backend must load, and the
 * other way round.
 */
#include <sys/stat.h>

#include "cli.h"

/* Counts problems on their way to the caller's callback. */
struct lint_count {
	policy_error_fn err;
	void *arg;
	int n;
};

static void lint_count_error(void *arg, const char *path, unsigned int line,
			     const char *msg)
{
	struct lint_count *c = arg;

	c->n++;
	if (c->err)
		c->err(c->arg, path, line, msg);
}

/*
 * Judge TEXT (LEN bytes, read from PATH whose fstat is ST) as the loader
 * would: size, syntax, owner and mode.  Every problem goes to ERR (may be
 * NULL).  Returns the number of problems; with none, *POL is the parsed
 * policy (caller frees), otherwise NULL.
 */
int cli_lint_judge(const char *path, const char *text, size_t len,
		   const struct stat *st, policy_error_fn err, void *arg,
		   struct policy **pol)
{
	struct lint_count c = { .err = err, .arg = arg };

	*pol = NULL;
	if (len > POLICY_MAX_SIZE)
		lint_count_error(&c, path, 0, "larger than the 1 MiB limit");
	else if (policy_parse(text, len, path, lint_count_error, &c, pol) < 0 && !c.n)
		lint_count_error(&c, path, 0, "cannot parse");
	if (st->st_uid != 0)
		lint_count_error(&c, path, 0, "not owned by root: would be refused");
	if (st->st_mode & (S_IWGRP | S_IWOTH))
		lint_count_error(&c, path, 0, "writable by group or others: would be refused");
	if (c.n) {
		policy_free(*pol);
		*pol = NULL;
	}
	return c.n;
}
