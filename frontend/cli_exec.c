/* SPDX-License-Identifier: MIT */
/*
 * cli_exec.c - `ttybroker exec -- PROGRAM [ARG...]`: run PROGRAM with
 * libttybroker-preload.so in LD_PRELOAD, so that its opens of serial ports
 * it may not open itself go to the broker at the moment it makes them.
 * Nothing is opened here; ttybroker is replaced by PROGRAM.  Also the
 * environment pieces `run` shares (cli_preload_env).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sysexits.h>
#include <unistd.h>

#include "cli.h"

#ifdef TB_LIBDIR
#define CLI_PRELOAD_DEFAULT TB_LIBDIR "/ttybroker/libttybroker-preload.so"
#else
#define CLI_PRELOAD_DEFAULT "/usr/local/lib/ttybroker/libttybroker-preload.so"
#endif
#define CLI_PRELOAD_NAME "libttybroker-preload.so"

/*
 * Where the preload library is: $TTYBROKER_PRELOAD (not when setuid),
 * else next to this program (a build tree), else the installed one.
 */
static int cli_preload_path(int secure, char *out, size_t len)
{
	const char *s = secure ? NULL : getenv("TTYBROKER_PRELOAD");
	char exe[PATH_MAX];
	ssize_t n;
	char *slash;

	if (s && *s) {
		snprintf(out, len, "%s", s);
		return 0;
	}
	if (!secure && (n = readlink("/proc/self/exe", exe, sizeof(exe) - 1)) > 0) {
		exe[n] = '\0';
		if ((slash = strrchr(exe, '/'))) {
			slash[1] = '\0';
			if ((size_t)snprintf(out, len, "%s%s", exe, CLI_PRELOAD_NAME) < len &&
			    access(out, R_OK) == 0)
				return 0;
		}
	}
	snprintf(out, len, "%s", CLI_PRELOAD_DEFAULT);
	return access(out, R_OK) == 0 ? 0 : -ENOENT;
}

int cli_preload_env(int secure, const char *run_port_fd_rdev)
{
	char path[PATH_MAX], *val;
	const char *old = getenv("LD_PRELOAD");
	int r;

	if ((r = cli_preload_path(secure, path, sizeof(path))) < 0) {
		fprintf(stderr, "ttybroker: cannot find %s (looked at %s)\n",
			CLI_PRELOAD_NAME, path);
		return r;
	}
	if (old && *old) {
		if (asprintf(&val, "%s:%s", path, old) < 0)
			return -ENOMEM;
	} else if (!(val = strdup(path))) {
		return -ENOMEM;
	}
	r = setenv("LD_PRELOAD", val, 1);
	free(val);
	if (r < 0)
		return -errno;
	if (run_port_fd_rdev && setenv("TTYBROKER_PRELOAD_RDEV", run_port_fd_rdev, 1) < 0)
		return -errno;
	return 0;
}

/* PROGRAM as execvp() would find it, into OUT; -ENOENT if nowhere. */
static int cli_find_program(const char *prog, char *out, size_t len)
{
	const char *path = getenv("PATH");
	const char *p, *end;

	if (strchr(prog, '/')) {
		snprintf(out, len, "%s", prog);
		return access(out, X_OK) == 0 ? 0 : -errno;
	}
	for (p = path ? path : "/usr/local/bin:/usr/bin:/bin"; ; p = end + 1) {
		end = strchrnul(p, ':');
		if ((size_t)snprintf(out, len, "%.*s%s%s", (int)(end - p), p,
				     end == p ? "" : "/", prog) < len && access(out, X_OK) == 0)
			return 0;
		if (!*end)
			return -ENOENT;
	}
}

int cli_exec(const struct cli *c, int argc, char **argv)
{
	static const char usage[] = "(usage: exec -- PROGRAM [ARG...])";
	char found[PATH_MAX];
	int r, first;

	if ((r = cli_cmd_options("exec", argc, argv, NULL, &first)) >= 0)
		return r;
	/* cli_cmd_options() stops at "--" and skips it. */
	if (first < 2 || strcmp(argv[first - 1], "--") != 0)
		return cli_fail(EX_USAGE, "exec: missing '--' before PROGRAM %s", usage);
	if (first >= argc)
		return cli_fail(EX_USAGE, "exec: missing PROGRAM after '--' %s", usage);
	/* Started setuid: PROGRAM runs as the real user, never with our privilege. */
	if (geteuid() != getuid() || getegid() != getgid()) {
		if (setresgid(getgid(), getgid(), getgid()) < 0 ||
		    setresuid(getuid(), getuid(), getuid()) < 0)
			return cli_fail(EX_OSERR, "cannot drop privileges: %s", strerror(errno));
	}
	if (cli_preload_env(c->secure, NULL) < 0)
		return cli_fail(EX_OSERR, "exec: cannot set up the preload library");
	if (cli_find_program(argv[first], found, sizeof(found)) == 0) {
		switch (cli_preload_blind(found)) {
		case CLI_BLIND_SETID:
			fprintf(stderr, "ttybroker: %s is setuid or setgid: the loader ignores "
				"LD_PRELOAD for it, its opens do not go through the broker\n",
				found);
			break;
		case CLI_BLIND_FCAPS:
			fprintf(stderr, "ttybroker: %s has file capabilities: the loader ignores "
				"LD_PRELOAD for it, its opens do not go through the broker\n",
				found);
			break;
		case CLI_BLIND_STATIC:
			fprintf(stderr, "ttybroker: %s is statically linked: the preload "
				"cannot reach it, its opens do not go through the broker\n",
				found);
			break;
		case CLI_BLIND_NO:
			break;
		}
	}
	execvp(argv[first], argv + first);
	r = errno;
	fprintf(stderr, "ttybroker: %s: %s\n", argv[first], strerror(r));
	return r == ENOENT ? 127 : 126;
}
