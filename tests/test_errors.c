/* SPDX-License-Identifier: MIT */
/*
 * test_errors.c - tests for frontend/errors.c: the public texts are
 * context-free (tb_strerror() of tb_init()'s -EINVAL must not talk about a
 * port, "busy" must not claim a lock file), and every reason maps to its
 * sysexits(3) code.
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>

#include <errno.h>
#include <string.h>
#include <sysexits.h>

#include "ttybroker.h"

struct strerror_case {
	int err;
	char want[64];       /* exact text */
	char never[16];      /* must not appear ("" = no check) */
};

ParameterizedTestParameters(errors, strerror)
{
	static struct strerror_case cases[] = {
		/* tb_init() returns -EINVAL for "no target user": not a port. */
		{ -EINVAL, "invalid argument", "port" },
		{ -EBUSY, "port busy", "lock" },
		{ -EACCES, "permission denied by policy", "" },
		{ -ECHILD, "the broker backend failed to start", "" },
		{ -ENOSPC, "No space left on device", "" },
	};

	return cr_make_param_array(struct strerror_case, cases, sizeof(cases) / sizeof(cases[0]));
}

/* tb_strerror(): the exact text, and no word that presumes a context. */
ParameterizedTest(struct strerror_case *c, errors, strerror)
{
	const char *s = tb_strerror(c->err);

	cr_assert_str_eq(s, c->want, "tb_strerror(%d) = '%s'", c->err, s);
	if (c->never[0])
		cr_assert_null(strstr(s, c->never), "'%s' mentions '%s'", s, c->never);
}

struct reason_case {
	enum tb_reason reason;
	char want[64];
	int code;
};

ParameterizedTestParameters(errors, reason)
{
	static struct reason_case cases[] = {
		{ TB_R_OK, "ok", EX_OK },
		{ TB_R_NAME, "malformed port name", EX_DATAERR },
		{ TB_R_NODEV, "no such device", EX_UNAVAILABLE },
		{ TB_R_NOTTY, "not a serial tty", EX_UNAVAILABLE },
		{ TB_R_DENIED, "denied by policy", EX_NOPERM },
		{ TB_R_BUSY, "port busy", EX_TEMPFAIL },
		{ TB_R_POLICY, "policy file missing, invalid or unsafe", EX_CONFIG },
		{ TB_R_BROKER, "broker failure", EX_OSERR },
	};

	return cr_make_param_array(struct reason_case, cases, sizeof(cases) / sizeof(cases[0]));
}

/*
 * tb_reason_str(): "busy" says only busy; who holds the port is in
 * tb_status.holder (an flock or TIOCEXCL holder has no lock file).
 */
ParameterizedTest(struct reason_case *c, errors, reason)
{
	cr_assert_str_eq(tb_reason_str(c->reason), c->want);
	cr_assert_eq(tb_reason_exit(c->reason), c->code);
}
