/* SPDX-License-Identifier: MIT */
/*
 * cli_env.c - the environment `run` gives PROGRAM.
 *
 * Started by root (or through sudo) for another user, PROGRAM gets what a
 * login as that user would have, like `su -` or `runuser -l`: HOME, USER,
 * LOGNAME and SHELL from the passwd entry, a plain PATH, and only the
 * terminal and locale settings of root's environment.  Nothing else of
 * root's environment (HOME=/root, tokens, SUDO_*) reaches the user.
 * Started setuid, the environment is already the caller's own (minus what
 * glibc strips for AT_SECURE) and is passed on as it is.
 */
#include <errno.h>
#include <pwd.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

/* Variables of root's environment that a login keeps: terminal and locale. */
static bool env_kept(const char *entry)
{
	static const char *const names[] = { "TERM", "LANG", "LANGUAGE", "TZ" };
	size_t n = strcspn(entry, "=");

	if (entry[n] != '=')
		return false;
	if (n > 3 && strncmp(entry, "LC_", 3) == 0)
		return true;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strlen(names[i]) == n && strncmp(entry, names[i], n) == 0)
			return true;
	return false;
}

/* Is the variable of ENTRY already among the first N entries of ENV? */
static bool env_has(char *const *env, size_t n, const char *entry)
{
	size_t len = strcspn(entry, "=") + 1;

	for (size_t i = 0; i < n; i++)
		if (strncmp(env[i], entry, len) == 0)
			return true;
	return false;
}

/*
 * The passwd entry of UID, as login(1) would use it.  A uid without one
 * is not an error (tb_init() accepts a numeric -u): it gets "/", "/bin/sh"
 * and its number.  Only a failing name service is an error.
 */
int cli_login_lookup(uid_t uid, struct cli_login *l)
{
	struct passwd pw, *res = NULL;
	char *buf = NULL, *bigger;
	size_t cap = 4096;
	int r;

	memset(l, 0, sizeof(*l));
	do {
		if (!(bigger = realloc(buf, cap))) {
			free(buf);
			return -ENOMEM;
		}
		buf = bigger;
		r = getpwuid_r(uid, &pw, buf, cap, &res);
		cap *= 2;
	} while (r == ERANGE && cap <= 1024 * 1024);
	/* getpwuid_r(3): these mean "no such entry", not a failure. */
	if (r != 0 && r != ENOENT && r != ESRCH && r != EBADF && r != EPERM) {
		free(buf);
		return -r;
	}
	if (res) {
		snprintf(l->user, sizeof(l->user), "%s", res->pw_name);
		snprintf(l->home, sizeof(l->home), "%s", res->pw_dir);
		snprintf(l->shell, sizeof(l->shell), "%s", res->pw_shell);
	} else {
		snprintf(l->user, sizeof(l->user), "%u", (unsigned int)uid);
	}
	/* What login(1) does for an empty field, and for no entry at all. */
	if (!l->home[0])
		snprintf(l->home, sizeof(l->home), "/");
	if (!l->shell[0])
		snprintf(l->shell, sizeof(l->shell), "/bin/sh");
	free(buf);
	return 0;
}

/* Append "NAME=VALUE" to ENV (room is reserved by the caller). */
static int env_add(char **env, size_t *n, const char *name, const char *value)
{
	if (asprintf(&env[*n], "%s=%s", name, value) < 0) {
		env[*n] = NULL;
		return -ENOMEM;
	}
	(*n)++;
	env[*n] = NULL;
	return 0;
}

/* Append a copy of ENTRY to ENV (room is reserved by the caller). */
static int env_dup(char **env, size_t *n, const char *entry)
{
	if (!(env[*n] = strdup(entry)))
		return -ENOMEM;
	(*n)++;
	env[*n] = NULL;
	return 0;
}

/*
 * Build PROGRAM's environment (see cli.h).  Entries of CUR without '=' are
 * dropped, and so is any TTYBROKER_FD, which is always ours: 3.
 */
char **cli_run_env(const struct cli_login *l, char *const *cur)
{
	size_t ncur = 0, n = 0;
	char **env;
	int r = 0;

	while (cur && cur[ncur])
		ncur++;
	/* The six login variables (or TTYBROKER_FD), CUR, the NULL. */
	if (!(env = calloc(ncur + 7, sizeof(*env))))
		return NULL;
	if (l && ((r = env_add(env, &n, "HOME", l->home)) < 0 ||
		  (r = env_add(env, &n, "USER", l->user)) < 0 ||
		  (r = env_add(env, &n, "LOGNAME", l->user)) < 0 ||
		  (r = env_add(env, &n, "SHELL", l->shell)) < 0 ||
		  (r = env_add(env, &n, "PATH", CLI_LOGIN_PATH)) < 0 ||
		  (r = env_add(env, &n, "TTYBROKER_FD", "3")) < 0))
		goto fail;
	for (size_t i = 0; i < ncur; i++) {
		const char *e = cur[i];

		if (!strchr(e, '=') || strncmp(e, "TTYBROKER_FD=", 13) == 0)
			continue;
		if (l && (!env_kept(e) || env_has(env, n, e)))
			continue;
		if ((r = env_dup(env, &n, e)) < 0)
			goto fail;
	}
	if (!l && (r = env_add(env, &n, "TTYBROKER_FD", "3")) < 0)
		goto fail;
	return env;
fail:
	cli_env_free(env);
	errno = -r;
	return NULL;
}

void cli_env_free(char **env)
{
	if (!env)
		return;
	for (size_t i = 0; env[i]; i++)
		free(env[i]);
	free(env);
}
