/* SPDX-License-Identifier: MIT */
/*
 * cli.h - the ttybroker command: shared pieces of its subcommands.
 */
#ifndef TB_CLI_H
#define TB_CLI_H

#include <stddef.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "policy.h"
#include "ttybroker.h"

struct cli {
	const char *policy;   /* -p, NULL = default; ignored when setuid */
	const char *lockdir;  /* -l, NULL = default; ignored when setuid */
	const char *user;     /* -u */
	unsigned int log;     /* TB_LOG_* */
	int secure;           /* started setuid (AT_SECURE) */
	unsigned int via;     /* TB_VIA_* (list --via), 0 = TB_VIA_AUTO */
};

int cli_run(const struct cli *c, int argc, char **argv);
int cli_check(const struct cli *c, int argc, char **argv);
int cli_lint(const struct cli *c, int argc, char **argv);
int cli_demo(const struct cli *c, int argc, char **argv);
int cli_revoke(const struct cli *c, int argc, char **argv);
int cli_exec(const struct cli *c, int argc, char **argv);
int cli_list(const struct cli *c, int argc, char **argv);

/* ---- cli_exec.c: the preload library in PROGRAM's environment ---- */

/* Put libttybroker-preload.so first in LD_PRELOAD (and, for run, the port's
 * "MAJ:MIN" in TTYBROKER_PRELOAD_RDEV) in this process's environment. */
int cli_preload_env(int secure, const char *run_rdev);
/* Why the preload cannot reach PROGRAM (cli_elf.c: cli_preload_blind). */
enum cli_blind {
	CLI_BLIND_NO = 0,   /* a dynamic ELF, a script, or unreadable     */
	CLI_BLIND_SETID,    /* setuid or setgid to another id: secure mode */
	CLI_BLIND_STATIC,   /* a static ELF: no loader at all              */
	CLI_BLIND_FCAPS,    /* file capabilities: secure mode              */
};
enum cli_blind cli_preload_blind(const char *path);

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

/* Report a getopt_long() error CH ('?' or ':') of command CMD (NULL for the
 * global options) as one line; returns 64. */
int cli_getopt_error(const char *cmd, int ch, char **argv);

/*
 * A command's own options: --help, and --as USER into *AS when AS is not
 * NULL.  Returns -1 to go on, with *FIRST the index of the first operand,
 * else the exit status (0 after the help, 64 after a usage error).
 */
int cli_cmd_options(const char *cmd, int argc, char **argv, const char **as, int *first);

/* ---- cli_text.c: pure formatting, unit-tested in tests/test_cli.c ---- */

/* Copy S (at most MAX bytes) for a message: printable ASCII as is, every
 * other byte and the backslash as \xHH. */
void cli_escape(const char *s, size_t max, char *out, size_t len);

/* "port busy[: who holds it]" for a TB_R_BUSY status, into BUF. */
void cli_busy_text(const struct tb_status *st, char *buf, size_t len);

/* Why the policy refused: the backend's detail line, else the generic text. */
void cli_policy_text(const struct tb_status *st, char *buf, size_t len);

/* ---- cli_json.c: JSON output (list --json), unit-tested ---- */

/*
 * Write S (at most MAX bytes; it may lack a NUL within them) to F as a
 * quoted JSON string: '"' and '\\' escaped, control characters (C0, DEL
 * and C1) as \uXXXX or \n \t \r, well-formed UTF-8 as is, and every byte
 * that is not part of well-formed UTF-8 as \ufffd.  Always valid JSON.
 */
void cli_json_str(FILE *f, const char *s, size_t max);
/* cli_json_str(), or null for "". */
void cli_json_str_or_null(FILE *f, const char *s, size_t max);

/* ---- cli_env.c: PROGRAM's environment ---- */

#define CLI_LOGIN_PATH "/usr/local/bin:/usr/bin:/bin"

/* The target user's login identity, looked up before tb_init() drops. */
struct cli_login {
	char user[256];   /* pw_name, or the numeric uid without a passwd entry */
	char home[4096];  /* pw_dir, or "/" */
	char shell[4096]; /* pw_shell, or "/bin/sh" */
};

/* Fill L for UID from the passwd database.  0 or a negative errno. */
int cli_login_lookup(uid_t uid, struct cli_login *l);

/*
 * PROGRAM's environment as a new vector (free with cli_env_free): with L,
 * a fresh login environment for L keeping only TERM, LANG, LANGUAGE, TZ and
 * LC_* from CUR; without L (setuid: the caller's own), CUR as it is.
 * TTYBROKER_FD=3 either way.  NULL and errno on failure.
 */
char **cli_run_env(const struct cli_login *l, char *const *cur);
void cli_env_free(char **env);

/* ---- cli_ident.c: a port's identity as check shows it (branch policyid) ---- */

/*
 * Print the identity lines of `check` for ID to F, each "  KEY: VALUE":
 * identity (usb VID:PID and its strings, or "no USB identity"), then for a
 * USB device serial and interface, then path.  ID NULL: the identity could
 * not be read, for WHY (a short reason such as "no such device").
 */
void cli_ident_print(FILE *f, const struct policy_ident *id, const char *why);

/* How an identity pattern decided, for check's verdict line: "" for a glob. */
const char *cli_ident_how(const char *pattern);

#endif
