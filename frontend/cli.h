/* SPDX-License-Identifier: MIT */
/*
 * cli.h - the ttybroker command: shared pieces of its subcommands.
 */
#ifndef TB_CLI_H
#define TB_CLI_H

#include <sys/stat.h>

#include "policy.h"
#include "ttybroker.h"

struct cli {
	const char *policy;   /* -p, NULL = default; ignored when setuid */
	const char *lockdir;  /* -l, NULL = default; ignored when setuid */
	const char *user;     /* -u */
	unsigned int log;     /* TB_LOG_* */
	int secure;           /* started setuid (AT_SECURE) */
};

int cli_run(const struct cli *c, int argc, char **argv);
int cli_check(const struct cli *c, int argc, char **argv);
int cli_lint(const struct cli *c, int argc, char **argv);
int cli_demo(const struct cli *c, int argc, char **argv);

/* lint's verdict on TEXT read from PATH (cli_lint.c): the number of problems. */
int cli_lint_judge(const char *path, const char *text, size_t len,
		   const struct stat *st, policy_error_fn err, void *arg,
		   struct policy **pol);

/* Print "ttybroker: MSG" to stderr and return CODE. */
int cli_fail(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* tb_init() with C's options; on failure prints one line and returns an exit code (> 0). */
int cli_init(const struct cli *c, struct tb_broker **b);

/* Print the one-line refusal for a failed tb_open and return its exit code. */
int cli_open_failed(const struct cli *c, const char *port, int err,
		    const struct tb_status *st);

#endif
