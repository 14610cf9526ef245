/* SPDX-License-Identifier: MIT */
/*
 * test_docs.c - the documentation is tested like code.  Every code block
 * in README.md and in the man pages (sections 1, 3, 5 and 8 in docs/: .EX/.EE
 * and .nf/.fi) carries a marker that says what it is, and is checked for it:
 * C programs are compiled against the built library and header with
 * -Wall -Werror and run on a pty that a private policy permits to nobody;
 * declarations and struct layouts are compiled against <ttybroker.h>;
 * shell blocks are parsed with sh -n and run where they can; policy
 * blocks pass `ttybroker lint`; transcripts are replayed and their output
 * compared.  A block that cannot run (it needs a serial adapter, or
 * installs into the system) says so, with a reason, in its marker; a block
 * without a marker fails, so nothing is skipped silently.
 *
 * Markers, on a line before the block:
 *   README.md:  <!-- doc-test: KIND [ARG...] [-- REASON] -->
 *   man pages:  .\" doc-test: KIND [ARG...] [-- REASON]
 * KIND is one of
 *   c run [ARG...] [expect=TEXT]  build and run; @PORT@ in ARG is the pty
 *   c build -- REASON             build a complete program, do not run it
 *   c decl                        compile as a translation unit (no main)
 *   c struct NAME                 same members, offsets and size as NAME
 *   sh run                        run with sh -e; must exit 0
 *   sh syntax -- REASON           sh -n only
 *   sh install                    run by docs::install on app.c against
 *                                 a temporary install
 *   policy                        `ttybroker lint` passes; saved as
 *                                 ./ttybroker.conf for later blocks
 *   transcript                    "# CMD" lines run, other lines are the
 *                                 expected output
 *   usage                         the lines of `ttybroker -h`
 *   example FILE                  FILE, without its leading # lines
 *   output -- REASON              sample output, not run
 *
 * Blocks run in a private mount namespace: /etc is a tmpfs of links to
 * the real /etc with its own passwd and group (adding the users of the
 * examples: alice, in dialout and lab, bob and guest) and its own
 * ttybroker.conf, at first the README's policy; /run/lock is a private
 * tmpfs.  So nothing outside the test changes.
 *
 * Also here: mandoc -Tlint on every page, the two commands at the top of
 * the README, its Layout table, the examples/ recipes, and make
 * install/uninstall into a temporary prefix.
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <libgen.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "filter.h"
#include "testutil.h"

#define BLOCKS_MAX  64
#define OUT_MAX     16384
#define T_CC_MS     60000  /* failure guard for one compiler run */
#define T_RUN_MS    20000  /* failure guard for one block or example */
#define T_MAKE_MS   300000 /* failure guard for make install */
#define DOC_UID0    1000   /* alice, bob, guest as in the examples */
#define DOC_LAB_GID 1100

/* The pages and files whose code blocks are tested. */
struct doc_file {
	char path[32]; /* by value: parameters cross into a new worker process */
};

static struct doc_file doc_files[] = {
	{ "README.md" }, { "docs/ttybroker.1" }, { "docs/ttybroker.3" }, { "docs/ttybroker.conf.5" },
	{ "docs/ttybrokerd.8" },
};

struct doc_block {
	int line;          /* line of the marker or block start in the source */
	char marker[512];  /* text after "doc-test:", "" if none */
	char *text;        /* the block, roff escapes and fonts resolved */
};

static char tmp[64];        /* scratch dir for one test */
static char builddir[PATH_MAX];
static char bin[PATH_MAX];  /* the ttybroker command */
static char *failures;      /* accumulated failure messages */
static size_t nfail;

/* ---------------------------------------------------------------- */
/* Small helpers                                                     */

static long doc_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

/* Record a failure and go on, so one run lists every wrong block. */
__attribute__((format(printf, 1, 2)))
static void doc_fail(const char *fmt, ...)
{
	char msg[2048];
	va_list ap;
	size_t old = failures ? strlen(failures) : 0;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	failures = realloc(failures, old + strlen(msg) + 2);
	cr_assert_not_null(failures);
	memcpy(failures + old, msg, strlen(msg));
	memcpy(failures + old + strlen(msg), "\n", 2);
	nfail++;
}

/* Read a whole file into a NUL-terminated malloc'd buffer, or NULL. */
static char *doc_slurp(const char *path)
{
	FILE *f = fopen(path, "re");
	char *buf = NULL;
	size_t len = 0, cap = 0, n;

	if (!f)
		return NULL;
	do {
		if (cap - len < 4096) {
			cap = cap ? cap * 2 : 8192;
			buf = realloc(buf, cap);
			cr_assert_not_null(buf);
		}
		n = fread(buf + len, 1, cap - len - 1, f);
		len += n;
	} while (n > 0);
	buf[len] = '\0';
	fclose(f);
	return buf;
}

/* Write TEXT to DIR/NAME (mode 0644); the path goes to OUT. */
static void doc_write(const char *name, const char *text, char *out, size_t len)
{
	FILE *f;

	snprintf(out, len, "%s/%s", tmp, name);
	f = fopen(out, "we");
	cr_assert_not_null(f, "%s: %s", out, strerror(errno));
	fputs(text, f);
	cr_assert_eq(fclose(f), 0);
	cr_assert_eq(chmod(out, 0644), 0);
}

/*
 * Run /bin/sh -c SCRIPT in DIR with the build dir first in
 * PATH, stdout and stderr both into OUT; ENV is NULL or a NULL-terminated
 * list of more environment entries.  Returns the exit status, 128 + signal, or -1 after
 * TIMEOUT_MS (the child is then killed).
 */
static int doc_sh_at(const char *dir, const char *script, char *const *env, char *out,
		     size_t len, int timeout_ms)
{
	int p[2], status;
	size_t l = 0;
	long end = doc_now_ms() + timeout_ms;
	struct pollfd pfd;
	pid_t pid;

	out[0] = '\0';
	cr_assert_eq(pipe2(p, O_CLOEXEC), 0);
	pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		char path[PATH_MAX + 64];
		int null = open("/dev/null", O_RDONLY);

		snprintf(path, sizeof(path), "%s:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
			 builddir);
		setenv("PATH", path, 1);
		unsetenv("SUDO_UID");
		unsetenv("SUDO_GID");
		for (; env && *env; env++)
			putenv(*env);
		dup2(null, 0);
		dup2(p[1], 1);
		dup2(p[1], 2);
		if (chdir(dir) < 0)
			_exit(126);
		execl("/bin/sh", "sh", "-c", script, (char *)NULL);
		_exit(127);
	}
	close(p[1]);
	pfd = (struct pollfd){ .fd = p[0], .events = POLLIN };
	while (doc_now_ms() < end) {
		ssize_t n;

		if (poll(&pfd, 1, 100) <= 0)
			continue;
		n = read(p[0], out + l, len - 1 - l);
		if (n <= 0)
			break;
		l += (size_t)n;
		out[l] = '\0';
		if (l + 1 >= len)
			break;
	}
	close(p[0]);
	while (doc_now_ms() < end) {
		pid_t r = waitpid(pid, &status, WNOHANG);

		if (r == pid)
			return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
		usleep(5000);
	}
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	return -1;
}

/* doc_sh_at() in the scratch dir. */
static int doc_sh(const char *script, char *const *env, char *out, size_t len, int timeout_ms)
{
	return doc_sh_at(tmp, script, env, out, len, timeout_ms);
}

/* Quote S for sh in single quotes into OUT. */
static void doc_quote(const char *s, char *out, size_t len)
{
	size_t o = 0;

	out[o++] = '\'';
	for (; *s && o + 6 < len; s++) {
		if (*s == '\'') {
			memcpy(out + o, "'\\''", 4);
			o += 4;
		} else {
			out[o++] = *s;
		}
	}
	out[o++] = '\'';
	out[o] = '\0';
}

/* rm -rf the scratch dir (it holds only files we made). */
static void doc_rm_tmp(void)
{
	char cmd[256], out[256];

	if (!tmp[0])
		return;
	umount2(tmp, MNT_DETACH);
	snprintf(cmd, sizeof(cmd), "cd / && rm -rf '%s'", tmp);
	doc_sh(cmd, NULL, out, sizeof(out), T_RUN_MS);
	tmp[0] = '\0';
}

/* Locate the build from TTYBROKER_BIN (set by make check). */
static void doc_find_build(void)
{
	const char *b = getenv("TTYBROKER_BIN");
	char copy[PATH_MAX];

	cr_assert_not_null(realpath(b ? b : "build/ttybroker", bin),
			   "no ttybroker command; run from the repository root after make");
	snprintf(copy, sizeof(copy), "%s", bin);
	snprintf(builddir, sizeof(builddir), "%s", dirname(copy));
}

/* The scratch dir of one test, 0755 so that nobody can run what is in it. */
static void doc_mktmp(void)
{
	snprintf(tmp, sizeof(tmp), "/tmp/tb-doc.XXXXXX");
	cr_assert_not_null(mkdtemp(tmp), "mkdtemp: %s", strerror(errno));
	cr_assert_eq(chmod(tmp, 0755), 0);
}

/* ---------------------------------------------------------------- */
/* The private namespace                                             */

/* Copy the real FILE, minus lines whose name or id collides with ours. */
static void doc_copy_db(const char *real, const char *dst, const char *extra)
{
	static const char *const names[] = { "alice:", "bob:", "guest:", "lab:" };
	char line[4096];
	FILE *in = fopen(real, "re"), *out = fopen(dst, "we");

	cr_assert_not_null(in, "%s", real);
	cr_assert_not_null(out, "%s", dst);
	while (fgets(line, sizeof(line), in)) {
		const char *idf = strchr(line, ':');
		long id = -1;
		bool skip = false;

		for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
			skip |= strncmp(line, names[i], strlen(names[i])) == 0;
		if (idf && (idf = strchr(idf + 1, ':')))
			id = strtol(idf + 1, NULL, 10);
		if ((id >= DOC_UID0 && id <= DOC_UID0 + 2) || id == DOC_LAB_GID)
			skip = true;
		if (!strncmp(line, "dialout:", 8) && strchr(line, '\n')) {
			/* alice is in dialout, as the examples say */
			bool members = line[strlen(line) - 2] != ':';

			*strchr(line, '\n') = '\0';
			fprintf(out, "%s%salice\n", line, members ? "," : "");
			skip = true;
		}
		if (!skip)
			fputs(line, out);
	}
	fputs(extra, out);
	fclose(in);
	cr_assert_eq(fclose(out), 0);
	cr_assert_eq(chmod(dst, 0644), 0);
}

static size_t doc_parse(const char *path, struct doc_block *b);

/* Install the README's policy block as /etc/ttybroker.conf (0644). */
static void doc_readme_policy(void)
{
	struct doc_block b[BLOCKS_MAX];
	size_t n = doc_parse("README.md", b);
	bool done = false;

	for (size_t i = 0; i < n; i++) {
		if (!done && !strcmp(b[i].marker, "policy")) {
			FILE *f = fopen("/etc/ttybroker.conf", "we");

			cr_assert_not_null(f);
			fputs(b[i].text, f);
			cr_assert_eq(fclose(f), 0);
			cr_assert_eq(chmod("/etc/ttybroker.conf", 0644), 0);
			done = true;
		}
		free(b[i].text);
	}
	cr_assert(done, "README.md has no policy block");
}

/*
 * Give this test process its own view of /etc and /run/lock (see the top
 * of the file).  The scratch dir holds the real /etc, bound.
 */
static void doc_ns_init(void)
{
	char real[128], link[PATH_MAX], target[PATH_MAX];
	DIR *d;
	struct dirent *de;

	cr_assert_eq(geteuid(), 0, "the documentation tests run as root");
	doc_find_build();
	doc_mktmp();
	cr_assert_eq(unshare(CLONE_NEWNS), 0, "unshare: %s", strerror(errno));
	cr_assert_eq(mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL), 0);
	snprintf(real, sizeof(real), "%s/.etc", tmp);
	cr_assert_eq(mkdir(real, 0755), 0);
	cr_assert_eq(mount("/etc", real, NULL, MS_BIND | MS_REC, NULL), 0);
	cr_assert_eq(mount("tmpfs", "/etc", "tmpfs", 0, "mode=0755"), 0);
	cr_assert_eq(mount("tmpfs", "/run/lock", "tmpfs", 0, "mode=0755"), 0);
	cr_assert_not_null(d = opendir(real));
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..") ||
		    !strcmp(de->d_name, "passwd") || !strcmp(de->d_name, "group") ||
		    !strcmp(de->d_name, "ttybroker.conf"))
			continue;
		snprintf(target, sizeof(target), "%s/%s", real, de->d_name);
		snprintf(link, sizeof(link), "/etc/%s", de->d_name);
		cr_assert_eq(symlink(target, link), 0, "%s: %s", link, strerror(errno));
	}
	closedir(d);
	snprintf(target, sizeof(target), "%s/passwd", real);
	doc_copy_db(target, "/etc/passwd",
		    "alice:x:1000:1000:Alice:/nonexistent:/usr/sbin/nologin\n"
		    "bob:x:1001:1001:Bob:/nonexistent:/usr/sbin/nologin\n"
		    "guest:x:1002:1002:Guest:/nonexistent:/usr/sbin/nologin\n");
	snprintf(target, sizeof(target), "%s/group", real);
	doc_copy_db(target, "/etc/group",
		    "alice:x:1000:\nbob:x:1001:\nguest:x:1002:\nlab:x:1100:alice\n");
	doc_readme_policy();
}

/* Reap what the blocks started and remove the scratch dir. */
static void doc_ns_fini(void)
{
	char real[128];

	tu_reap_all(2000);
	/* The namespace goes with this process; unbind the real /etc first. */
	snprintf(real, sizeof(real), "%s/.etc", tmp);
	if (tmp[0])
		umount2(real, MNT_DETACH);
	doc_rm_tmp();
	free(failures);
	failures = NULL;
	nfail = 0;
}

/* ---------------------------------------------------------------- */
/* Extracting blocks                                                 */

/* Append LEN bytes of S to the growing string *BUF. */
static void doc_append(char **buf, const char *s, size_t len)
{
	size_t old = *buf ? strlen(*buf) : 0;

	*buf = realloc(*buf, old + len + 1);
	cr_assert_not_null(*buf);
	memcpy(*buf + old, s, len);
	(*buf)[old + len] = '\0';
}

/* Resolve the roff escapes the pages use into plain text. */
static void doc_unroff(const char *s, char **buf)
{
	while (*s && *s != '\n') {
		const char *r = NULL;
		size_t skip = 2;

		if (*s != '\\') {
			doc_append(buf, s++, 1);
			continue;
		}
		switch (s[1]) {
		case '-': r = "-"; break;
		case 'e': case '\\': r = "\\"; break;
		case '&': case '|': case 'c': r = ""; break;
		case ' ': r = " "; break;
		case 'f': r = ""; skip = 3; break;
		case '(':
			skip = 4;
			r = !strncmp(s + 2, "aq", 2) ? "'" : !strncmp(s + 2, "dq", 2) ? "\"" :
			    !strncmp(s + 2, "rs", 2) ? "\\" : !strncmp(s + 2, "ti", 2) ? "~" :
			    !strncmp(s + 2, "ha", 2) ? "^" : "?";
			break;
		default: r = "?"; break;
		}
		doc_append(buf, r, strlen(r));
		s += strnlen(s, skip) < skip ? strnlen(s, skip) : skip;
	}
}

/*
 * A font macro line: .B and .I join their arguments with spaces, the
 * alternating ones (.BI, .BR, ...) without.
 */
static void doc_unroff_macro(const char *s, char **buf)
{
	bool spaced = s[2] == ' ' || s[2] == '\t' || s[2] == '\n' || s[2] == '\0';
	bool first = true;

	s += strcspn(s, " \t");
	while (*s && *s != '\n') {
		char arg[1024];
		size_t n = 0;

		s += strspn(s, " \t");
		if (!*s || *s == '\n')
			break;
		if (*s == '"') {
			for (s++; *s && *s != '"' && *s != '\n' && n + 1 < sizeof(arg); s++)
				arg[n++] = *s;
			if (*s == '"')
				s++;
		} else {
			for (; *s && !isspace((unsigned char)*s) && n + 1 < sizeof(arg); s++)
				arg[n++] = *s;
		}
		arg[n] = '\0';
		if (spaced && !first)
			doc_append(buf, " ", 1);
		first = false;
		doc_unroff(arg, buf);
	}
}

/* Take "doc-test: ..." out of LINE (after PREFIX) into MARKER. */
static bool doc_marker(const char *line, const char *prefix, char *marker, size_t len)
{
	const char *m;
	size_t n;

	if (strncmp(line, prefix, strlen(prefix)))
		return false;
	m = line + strlen(prefix);
	m += strspn(m, " \t");
	if (strncmp(m, "doc-test:", 9))
		return false;
	m += 9;
	m += strspn(m, " \t");
	n = strcspn(m, "\n");
	if (n >= 3 && !strncmp(m + n - 3, "-->", 3))
		n -= 3;
	while (n && isspace((unsigned char)m[n - 1]))
		n--;
	snprintf(marker, len, "%.*s", (int)n, m);
	return true;
}

/* Start a block at LINE, taking over a pending marker. */
static struct doc_block *doc_new(struct doc_block *b, size_t *n, int line, char *pending,
				 int pending_line)
{
	struct doc_block *nb;

	cr_assert_lt(*n, BLOCKS_MAX);
	nb = &b[(*n)++];
	memset(nb, 0, sizeof(*nb));
	nb->line = pending[0] ? pending_line : line;
	snprintf(nb->marker, sizeof(nb->marker), "%s", pending);
	pending[0] = '\0';
	doc_append(&nb->text, "", 0);
	return nb;
}

/*
 * Markdown: fenced blocks and indented blocks (four spaces after a blank
 * line); a marker is an HTML comment line before the block.
 */
static size_t doc_parse_md(const char *src, const char *path, struct doc_block *b)
{
	char pending[512] = "";
	int pending_line = 0, lineno = 0;
	bool prev_blank = true;
	size_t n = 0;
	const char *l = src;

	while (*l) {
		const char *next = strchr(l, '\n');
		size_t len = next ? (size_t)(next - l) : strlen(l);

		lineno++;
		if (doc_marker(l, "<!--", pending + 0, sizeof(pending))) {
			pending_line = lineno;
		} else if (!strncmp(l, "```", 3)) {
			struct doc_block *nb = doc_new(b, &n, lineno, pending, pending_line);

			for (l = next ? next + 1 : l + len; *l; l = next ? next + 1 : l + len) {
				next = strchr(l, '\n');
				len = next ? (size_t)(next - l) : strlen(l);
				lineno++;
				if (!strncmp(l, "```", 3))
					break;
				doc_append(&nb->text, l, len);
				doc_append(&nb->text, "\n", 1);
			}
		} else if (prev_blank && len > 0 && (!strncmp(l, "    ", 4) || l[0] == '\t')) {
			struct doc_block *nb = doc_new(b, &n, lineno, pending, pending_line);
			size_t blanks = 0;

			for (;;) {
				if (len == 0) {
					blanks++;
				} else if (!strncmp(l, "    ", 4) || l[0] == '\t') {
					for (; blanks; blanks--)
						doc_append(&nb->text, "\n", 1);
					doc_append(&nb->text, l + (l[0] == '\t' ? 1 : 4),
						   len - (l[0] == '\t' ? 1 : 4));
					doc_append(&nb->text, "\n", 1);
				} else {
					break;
				}
				if (!next)
					break;
				l = next + 1;
				next = strchr(l, '\n');
				len = next ? (size_t)(next - l) : strlen(l);
				lineno++;
			}
			prev_blank = blanks > 0;
			if (!next && len == 0)
				break;
			continue; /* l is the first line after the block */
		} else if (pending[0] && len > 0) {
			doc_fail("%s:%d: doc-test marker not followed by a code block", path,
				 pending_line);
			pending[0] = '\0';
		}
		prev_blank = len == 0 || l[0] == '<';
		if (!next)
			break;
		l = next + 1;
	}
	if (pending[0])
		doc_fail("%s:%d: doc-test marker at the end of the file", path, pending_line);
	return n;
}

/* roff: .EX/.EE and .nf/.fi blocks; a marker is a .\" comment. */
static size_t doc_parse_roff(const char *src, const char *path, struct doc_block *b)
{
	char pending[512] = "";
	int pending_line = 0, lineno = 0;
	struct doc_block *cur = NULL;
	size_t n = 0;

	for (const char *l = src; *l;) {
		const char *next = strchr(l, '\n');

		lineno++;
		if (doc_marker(l, ".\\\"", pending, sizeof(pending))) {
			if (cur)
				doc_fail("%s:%d: doc-test marker inside a block", path, lineno);
			pending_line = lineno;
		} else if (!cur && (!strncmp(l, ".EX", 3) || !strncmp(l, ".nf", 3))) {
			cur = doc_new(b, &n, lineno, pending, pending_line);
		} else if (cur && (!strncmp(l, ".EE", 3) || !strncmp(l, ".fi", 3))) {
			cur = NULL;
		} else if (cur && (l[0] == '.' || l[0] == '\'')) {
			if (!strncmp(l, ".PP", 3) || !strncmp(l, ".sp", 3))
				doc_append(&cur->text, "\n", 1);
			else if (l[1] == 'B' || l[1] == 'I' || l[1] == 'R')
				doc_unroff_macro(l, &cur->text), doc_append(&cur->text, "\n", 1);
		} else if (cur) {
			doc_unroff(l, &cur->text);
			doc_append(&cur->text, "\n", 1);
		} else if (pending[0] && (!strncmp(l, ".SH", 3) || !strncmp(l, ".SS", 3))) {
			doc_fail("%s:%d: doc-test marker not followed by a code block", path,
				 pending_line);
			pending[0] = '\0';
		}
		if (!next)
			break;
		l = next + 1;
	}
	if (cur)
		doc_fail("%s:%d: block not closed", path, cur->line);
	return n;
}

/* The blocks of PATH (Markdown or roff by its name), at most BLOCKS_MAX. */
static size_t doc_parse(const char *path, struct doc_block *b)
{
	char *src = doc_slurp(path);
	size_t n;

	cr_assert_not_null(src, "%s (run from the repository root)", path);
	n = strstr(path, ".md") ? doc_parse_md(src, path, b) : doc_parse_roff(src, path, b);
	free(src);
	return n;
}

/* ---------------------------------------------------------------- */
/* Checking one block                                                */

/* Split MARKER into words (in place); the reason after "--" is cut off. */
static size_t doc_words(char *marker, char **w, size_t max, const char **reason)
{
	size_t n = 0;
	char *save = NULL;

	*reason = NULL;
	for (char *t = strtok_r(marker, " \t", &save); t; t = strtok_r(NULL, " \t", &save)) {
		if (!strcmp(t, "--")) {
			*reason = save && *save ? save : NULL;
			break;
		}
		if (n < max)
			w[n++] = t;
	}
	return n;
}

/* Compile C (a program, or with -c a translation unit) into OUTFILE. */
static bool doc_cc(const char *where, const char *src, bool object, const char *outfile)
{
	char path[PATH_MAX], cwd[PATH_MAX], cmd[4 * PATH_MAX], out[OUT_MAX];
	int st;

	cr_assert_not_null(getcwd(cwd, sizeof(cwd)));
	doc_write("block.c", src, path, sizeof(path));
	if (object)
		snprintf(cmd, sizeof(cmd),
			 "${CC:-cc} -std=gnu11 -Wall -Wextra -Werror $TB_DOC_CFLAGS "
			 "-I'%s/frontend' -c -o '%s' '%s'",
			 cwd, outfile, path);
	else
		snprintf(cmd, sizeof(cmd),
			 "${CC:-cc} -std=gnu11 -Wall -Wextra -Werror $TB_DOC_CFLAGS "
			 "-I'%s/frontend' -o '%s' '%s' "
			 "'%s/libttybroker.a' -lcap-ng -lseccomp",
			 cwd, outfile, path, builddir);
	st = doc_sh(cmd, NULL, out, sizeof(out), T_CC_MS);
	if (st != 0) {
		doc_fail("%s: does not compile (status %d):\n%s", where, st, out);
		return false;
	}
	return true;
}

/* "c run": build, then run as root dropping to nobody, on a pty. */
static void doc_c_run(const char *where, const char *text, char **w, size_t nw)
{
	static char *const sudo_env[] = { "SUDO_UID=65534", "SUDO_GID=65534", NULL };
	const char *path = "/etc/ttybroker.conf"; /* the namespace's own */
	char prog[PATH_MAX], cmd[4096], q[512], out[OUT_MAX];
	const char *expect = NULL;
	struct tu_pty pty;
	size_t l;
	int st;

	snprintf(prog, sizeof(prog), "%s/block", tmp);
	if (!doc_cc(where, text, false, prog))
		return;
	tu_pty_open(&pty, TU_NOBODY);
	{
		FILE *f = fopen(path, "we");

		cr_assert_not_null(f);
		fprintf(f, "permit nobody pts/*\n");
		cr_assert_eq(fclose(f), 0);
	}
	l = (size_t)snprintf(cmd, sizeof(cmd), "exec '%s'", prog);
	for (size_t i = 2; i < nw; i++) {
		if (!strncmp(w[i], "expect=", 7)) {
			expect = w[i] + 7;
			continue;
		}
		doc_quote(!strcmp(w[i], "@PORT@") ? pty.port : w[i], q, sizeof(q));
		l += (size_t)snprintf(cmd + l, sizeof(cmd) - l, " %s", q);
	}
	st = doc_sh(cmd, sudo_env, out, sizeof(out), T_RUN_MS);
	if (st != 0)
		doc_fail("%s: exits %d on %s (as root, SUDO_UID=nobody, policy 'permit nobody pts/*'):\n%s",
			 where, st, pty.port, out);
	else if (expect && !tu_pty_expect(&pty, expect, 2000))
		doc_fail("%s: '%s' did not arrive on the pty master", where, expect);
	tu_pty_close(&pty);
	doc_readme_policy(); /* back to the README policy for later blocks */
}

/*
 * "c struct NAME": the documented struct is compiled as doc_NAME next to
 * the real one; each documented member must have the same offset and size
 * and the whole struct the same size (so no member is left out).
 */
static void doc_c_struct(const char *where, const char *text, const char *name)
{
	char *src = NULL, tag[96], obj[PATH_MAX], line[1024];
	const char *t = text;

	snprintf(tag, sizeof(tag), "struct %s {", name);
	if (!strstr(text, tag)) {
		doc_fail("%s: no '%s' in the block", where, tag);
		return;
	}
	doc_append(&src, "#include <stddef.h>\n#include <ttybroker.h>\nstruct doc_", 55);
	doc_append(&src, strstr(text, tag) + 7, strlen(strstr(text, tag) + 7));
	while (*t) {
		size_t len = strcspn(t, "\n"), e;
		char mem[128];
		const char *semi = memchr(t, ';', len), *s;

		if (semi && !memchr(t, '{', len) && !memchr(t, '}', len)) {
			e = (size_t)(semi - t);
			if (memchr(t, '[', e))
				e = (size_t)((const char *)memchr(t, '[', e) - t);
			while (e && !(isalnum((unsigned char)t[e - 1]) || t[e - 1] == '_'))
				e--;
			s = t + e;
			while (s > t && (isalnum((unsigned char)s[-1]) || s[-1] == '_'))
				s--;
			snprintf(mem, sizeof(mem), "%.*s", (int)(t + e - s), s);
			snprintf(line, sizeof(line),
				 "_Static_assert(offsetof(struct doc_%s, %s) == offsetof(struct %s, %s) && "
				 "sizeof(((struct doc_%s *)0)->%s) == sizeof(((struct %s *)0)->%s), "
				 "\"member %s\");\n",
				 name, mem, name, mem, name, mem, name, mem, mem);
			doc_append(&src, line, strlen(line));
		}
		t += len + (t[len] == '\n');
	}
	snprintf(line, sizeof(line),
		 "_Static_assert(sizeof(struct doc_%s) == sizeof(struct %s), \"members missing\");\n",
		 name, name);
	doc_append(&src, line, strlen(line));
	snprintf(obj, sizeof(obj), "%s/block.o", tmp);
	doc_cc(where, src, true, obj);
	free(src);
}

/* Write TEXT to a script and run COMMAND on it ("sh -n", "sh -e"). */
static int doc_sh_file(const char *text, const char *command, char *out, size_t len)
{
	char path[PATH_MAX], cmd[PATH_MAX + 64];

	doc_write("block.sh", text, path, sizeof(path));
	snprintf(cmd, sizeof(cmd), "%s '%s'", command, path);
	return doc_sh(cmd, NULL, out, len, T_RUN_MS);
}

/* "transcript": each "# CMD" line is run; the lines up to the next are its output. */
static void doc_transcript(const char *where, const char *text)
{
	const char *t = text;

	while (*t) {
		size_t len = strcspn(t, "\n");
		char cmd[1024], want[OUT_MAX] = "", got[OUT_MAX];
		int st;

		if (strncmp(t, "# ", 2) && strncmp(t, "$ ", 2)) {
			doc_fail("%s: transcript line is not a command: %.*s", where, (int)len, t);
			return;
		}
		snprintf(cmd, sizeof(cmd), "%.*s", (int)len - 2, t + 2);
		t += len + (t[len] == '\n');
		while (*t && strncmp(t, "# ", 2) && strncmp(t, "$ ", 2)) {
			len = strcspn(t, "\n");
			strncat(want, t, len < sizeof(want) - strlen(want) - 2 ? len : 0);
			strcat(want, "\n");
			t += len + (t[len] == '\n');
		}
		st = doc_sh(cmd, NULL, got, sizeof(got), T_RUN_MS);
		if (strcmp(got, want))
			doc_fail("%s: '%s' (status %d) prints\n%s\ninstead of\n%s", where, cmd, st,
				 got, want);
	}
}

/*
 * "usage": the block is the synopsis that `ttybroker -h` prints first (up
 * to its first blank line), without "usage:".
 */
static void doc_usage(const char *where, const char *text)
{
	char cmd[PATH_MAX + 32], out[OUT_MAX], *norm = NULL;
	const char *o;

	snprintf(cmd, sizeof(cmd), "'%s' -h", bin);
	if (doc_sh(cmd, NULL, out, sizeof(out), T_RUN_MS) != 0) {
		doc_fail("%s: ttybroker -h fails", where);
		return;
	}
	for (o = out; *o;) {
		size_t len = strcspn(o, "\n");
		const char *s = o;

		if (len == 0)
			break; /* the synopsis ends at the first blank line */
		if (!strncmp(s, "usage:", 6))
			s += 6;
		s += strspn(s, " ");
		doc_append(&norm, s, len - (size_t)(s - o));
		doc_append(&norm, "\n", 1);
		o += len + (o[len] == '\n');
	}
	/* The block may align comments; compare up to a "#" on each line. */
	if (strcmp(norm ? norm : "", text))
		doc_fail("%s: differs from `ttybroker -h`:\n%s", where, norm ? norm : "");
	free(norm);
}

/* "example FILE": the block is FILE without its leading comment lines. */
static void doc_example(const char *where, const char *text, const char *file)
{
	char *src = doc_slurp(file);
	const char *body = src;

	if (!src) {
		doc_fail("%s: %s: %s", where, file, strerror(errno));
		return;
	}
	while (*body == '#') {
		body = strchr(body, '\n');
		body = body ? body + 1 : "";
	}
	if (strcmp(body, text))
		doc_fail("%s: not the same text as %s (without its leading # lines)", where, file);
	free(src);
}

/* Check one block as its marker says. */
static void doc_check(const char *path, struct doc_block *b)
{
	char where[128], out[OUT_MAX], marker[512], *w[16];
	const char *reason;
	size_t nw;
	int st;

	snprintf(where, sizeof(where), "%s:%d", path, b->line);
	snprintf(marker, sizeof(marker), "%s", b->marker);
	nw = doc_words(marker, w, 16, &reason);
	if (nw == 0) {
		doc_fail("%s: code block without a doc-test marker:\n%s", where, b->text);
		return;
	}
#define NEEDS_REASON() \
	do { if (!reason) { doc_fail("%s: '%s' needs '-- REASON'", where, b->marker); return; } } while (0)
	if (!strcmp(w[0], "c") && nw >= 2 && !strcmp(w[1], "run")) {
		doc_c_run(where, b->text, w, nw);
	} else if (!strcmp(w[0], "c") && nw == 2 && !strcmp(w[1], "build")) {
		char prog[PATH_MAX];

		NEEDS_REASON();
		snprintf(prog, sizeof(prog), "%s/block", tmp);
		doc_cc(where, b->text, false, prog);
	} else if (!strcmp(w[0], "c") && nw == 2 && !strcmp(w[1], "decl")) {
		char obj[PATH_MAX];

		snprintf(obj, sizeof(obj), "%s/block.o", tmp);
		doc_cc(where, b->text, true, obj);
	} else if (!strcmp(w[0], "c") && nw == 3 && !strcmp(w[1], "struct")) {
		doc_c_struct(where, b->text, w[2]);
	} else if (!strcmp(w[0], "sh") && nw == 2 && !strcmp(w[1], "syntax")) {
		NEEDS_REASON();
		if ((st = doc_sh_file(b->text, "sh -n", out, sizeof(out))) != 0)
			doc_fail("%s: sh -n: %s", where, out);
	} else if (!strcmp(w[0], "sh") && nw == 2 && !strcmp(w[1], "install")) {
		/* docs::install runs it against a temporary prefix. */
		if ((st = doc_sh_file(b->text, "sh -n", out, sizeof(out))) != 0)
			doc_fail("%s: sh -n: %s", where, out);
	} else if (!strcmp(w[0], "sh") && nw == 2 && !strcmp(w[1], "run")) {
		if ((st = doc_sh_file(b->text, "sh -e", out, sizeof(out))) != 0)
			doc_fail("%s: exits %d:\n%s", where, st, out);
	} else if (!strcmp(w[0], "policy") && nw == 1) {
		char file[PATH_MAX], cmd[2 * PATH_MAX + 16];

		doc_write("ttybroker.conf", b->text, file, sizeof(file));
		snprintf(cmd, sizeof(cmd), "'%s' lint '%s'", bin, file);
		if ((st = doc_sh(cmd, NULL, out, sizeof(out), T_RUN_MS)) != 0)
			doc_fail("%s: ttybroker lint exits %d:\n%s", where, st, out);
	} else if (!strcmp(w[0], "transcript") && nw == 1) {
		doc_transcript(where, b->text);
	} else if (!strcmp(w[0], "usage") && nw == 1) {
		doc_usage(where, b->text);
	} else if (!strcmp(w[0], "example") && nw == 2) {
		doc_example(where, b->text, w[1]);
	} else if (!strcmp(w[0], "output") && nw == 1) {
		NEEDS_REASON();
	} else {
		doc_fail("%s: unknown doc-test marker '%s'", where, b->marker);
	}
#undef NEEDS_REASON
}

/* ---------------------------------------------------------------- */
/* Tests                                                             */

ParameterizedTestParameters(docs, blocks)
{
	return cr_make_param_array(struct doc_file, doc_files,
				   sizeof(doc_files) / sizeof(doc_files[0]));
}

/* Every code block of the file is true (see the top of this file). */
ParameterizedTest(struct doc_file *file, docs, blocks, .init = doc_ns_init, .fini = doc_ns_fini,
		  .timeout = 600)
{
	struct doc_block b[BLOCKS_MAX];
	size_t n = doc_parse(file->path, b);

	cr_assert_gt(n, 0, "%s: no code blocks found", file->path);
	for (size_t i = 0; i < n; i++) {
		doc_check(file->path, &b[i]);
		free(b[i].text);
	}
	cr_assert_eq(nfail, 0, "%zu of %zu blocks in %s are wrong:\n%s", nfail, n, file->path,
		     failures);
}

/* Every man page is in doc_files, so none escapes the block test. */
Test(docs, every_page_listed)
{
	glob_t g;

	cr_assert_eq(glob("docs/*.[1358]", 0, NULL, &g), 0, "run from the repository root");
	for (size_t i = 0; i < g.gl_pathc; i++) {
		bool found = false;

		for (size_t j = 0; j < sizeof(doc_files) / sizeof(doc_files[0]); j++)
			found |= !strcmp(doc_files[j].path, g.gl_pathv[i]);
		cr_expect(found, "%s is not in doc_files[] of tests/test_docs.c", g.gl_pathv[i]);
	}
	globfree(&g);
}

/* ---------------------------------------------------------------- */
/* Man page lint                                                     */

ParameterizedTestParameters(docs, mandoc_lint)
{
	return cr_make_param_array(struct doc_file, doc_files + 1,
				   sizeof(doc_files) / sizeof(doc_files[0]) - 1);
}

/*
 * mandoc -Tlint -W style: errors, warnings and style messages alike fail
 * (the pages have none; -W style is the lowest level mandoc reports for
 * man(7) pages outside the OpenBSD base system).
 */
ParameterizedTest(struct doc_file *file, docs, mandoc_lint, .timeout = 60)
{
	char cmd[128], out[OUT_MAX];
	int st;

	doc_find_build();
	snprintf(cmd, sizeof(cmd), "command -v mandoc >/dev/null || exit 99; mandoc -Tlint -W style '%s'",
		 file->path);
	st = doc_sh_at(".", cmd, NULL, out, sizeof(out), T_RUN_MS);
	cr_assert_neq(st, 99, "mandoc is not installed (./scripts/setup installs it)");
	cr_assert(st == 0 && !out[0], "mandoc -Tlint -W style %s (status %d):\n%s", file->path, st,
		  out);
}

/* ---------------------------------------------------------------- */
/* README                                                            */

/*
 * The README starts with exactly two commands, ./scripts/setup --demo and
 * make check (CI runs the same), written so that a root shell without
 * sudo can paste them.
 */
Test(docs, readme_top_commands)
{
	static const char *const want[] = { "./scripts/setup --demo", "make check" };
	struct doc_block b[BLOCKS_MAX];
	size_t n, i = 0;
	const char *t;

	n = doc_parse("README.md", b);
	cr_assert_gt(n, 0);
	for (t = b[0].text; *t; i++) {
		size_t len = strcspn(t, "\n"), cmd = strcspn(t, "#");

		cmd = cmd < len ? cmd : len;
		while (cmd && t[cmd - 1] == ' ')
			cmd--;
		cr_assert_lt(i, 2, "more than two commands at the top of README.md");
		cr_expect(strlen(want[i]) == cmd && !strncmp(t, want[i], cmd),
			  "README.md command %zu is '%.*s', want '%s'", i + 1, (int)cmd, t, want[i]);
		t += len + (t[len] == '\n');
	}
	cr_assert_eq(i, 2, "README.md starts with %zu commands, want 2", i);
	for (i = 0; i < n; i++)
		free(b[i].text);
}

/* Every directory in the README's Layout table exists, and every one is listed. */
Test(docs, readme_layout)
{
	char *src = doc_slurp("README.md"), *tab, listed[2048] = " ";
	DIR *d;
	struct dirent *de;

	cr_assert_not_null(src);
	tab = strstr(src, "\n## Layout");
	cr_assert_not_null(tab, "README.md has no Layout section");
	for (char *l = tab + 1; (l = strchr(l, '\n')) && l[1] != '#'; l++) {
		char name[128];
		struct stat st;

		if (sscanf(l + 1, "| `%127[^`]`", name) != 1)
			continue;
		cr_expect(stat(name, &st) == 0 && S_ISDIR(st.st_mode),
			  "README.md Layout lists %s, which is not a directory", name);
		strncat(listed, name, sizeof(listed) - strlen(listed) - 2);
		strcat(listed, " ");
	}
	cr_assert_not_null(d = opendir("."));
	while ((de = readdir(d))) {
		char name[300];
		struct stat st;

		/* build/, build-sanitize/, build-fuzz/...: ignored by git */
		if (de->d_name[0] == '.' || !strncmp(de->d_name, "build", 5) ||
		    stat(de->d_name, &st) || !S_ISDIR(st.st_mode))
			continue;
		snprintf(name, sizeof(name), " %s/ ", de->d_name);
		cr_expect_not_null(strstr(listed, name), "README.md Layout does not list %s/",
				   de->d_name);
	}
	closedir(d);
	free(src);
}

/* ---------------------------------------------------------------- */
/* The recipes in examples/                                          */

/* Entries of DIR whose name starts with PREFIX. */
static int doc_count(const char *dir, const char *prefix)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int n = 0;

	if (!d)
		return -1;
	while ((de = readdir(d)))
		n += de->d_name[0] != '.' && !strncmp(de->d_name, prefix, strlen(prefix));
	closedir(d);
	return n;
}

struct doc_example {
	char cmd[64];
};

ParameterizedTestParameters(docs, examples)
{
	static struct doc_example ex[] = {
		{ "python3 examples/pty_test.py" },
	};

	return cr_make_param_array(struct doc_example, ex, sizeof(ex) / sizeof(ex[0]));
}

/*
 * In the private namespace, a devpts instance of our own, so that the
 * ptys of other tests running at the same time do not count.
 */
static void doc_ns_devpts(void)
{
	doc_ns_init();
	cr_assert_eq(mount("devpts", "/dev/pts", "devpts", 0, "newinstance,ptmxmode=0666,mode=0620"),
		     0, "devpts: %s", strerror(errno));
	cr_assert_eq(mount("/dev/pts/ptmx", "/dev/ptmx", NULL, MS_BIND, NULL), 0,
		     "ptmx: %s", strerror(errno));
}

/*
 * The test-author recipe runs against the built ttybroker (first in PATH),
 * passes, and leaves no pty, temporary file or lock file behind.
 */
ParameterizedTest(struct doc_example *ex, docs, examples, .init = doc_ns_devpts,
		  .fini = doc_ns_fini, .timeout = 120)
{
	char out[OUT_MAX], tmpdir[128], env_tmp[160];
	char *const env[] = { env_tmp, NULL };
	int st;

	snprintf(tmpdir, sizeof(tmpdir), "%s/tmp", tmp);
	cr_assert_eq(mkdir(tmpdir, 0755), 0);
	snprintf(env_tmp, sizeof(env_tmp), "TMPDIR=%s", tmpdir);
	cr_assert_eq(doc_count("/dev/pts", ""), 1, "a new devpts has only ptmx");
	st = doc_sh_at(".", ex->cmd, env, out, sizeof(out), T_RUN_MS);
	cr_expect_eq(st, 0, "%s exits %d:\n%s", ex->cmd, st, out);
	cr_expect_eq(doc_count("/dev/pts", ""), 1, "%s left a pty open", ex->cmd);
	cr_expect_eq(doc_count(tmpdir, ""), 0, "%s left a file in TMPDIR", ex->cmd);
	cr_expect_eq(doc_count("/run/lock", ""), 0, "%s left a lock file", ex->cmd);
}

/* ---------------------------------------------------------------- */
/* make install / uninstall                                          */

/* Run make TARGET with ARGS in the source dir; fails the test on error. */
__attribute__((format(printf, 2, 3)))
static void doc_make(char *out, const char *fmt, ...)
{
	char args[2048], cmd[2 * PATH_MAX + 2048];
	va_list ap;
	int st;

	va_start(ap, fmt);
	vsnprintf(args, sizeof(args), fmt, ap);
	va_end(ap);
	snprintf(cmd, sizeof(cmd), "${MAKE:-make} --no-print-directory B='%s' %s", builddir, args);
	st = doc_sh_at(".", cmd, NULL, out, OUT_MAX, T_MAKE_MS);
	cr_assert_eq(st, 0, "%s: status %d\n%s", cmd, st, out);
}

/* Everything under DIR (find -mindepth 1), one path a line, into OUT. */
static void doc_find(const char *dir, char *out)
{
	char cmd[PATH_MAX + 64];

	snprintf(cmd, sizeof(cmd), "cd '%s' && find . -mindepth 1 | sort", dir);
	cr_assert_eq(doc_sh_at(".", cmd, NULL, out, OUT_MAX, T_RUN_MS), 0);
}

/*
 * Install into a temporary PREFIX, build and run a program with each
 * "sh install" command of ttybroker(3) (the shared library, then the
 * static one, which must not be NEEDED), uninstall, and find nothing left:
 * no file and no empty directory.  ldconfig (a recording stand-in) runs
 * after install and uninstall when DESTDIR is empty, and never with a
 * DESTDIR, where uninstall also leaves nothing.
 */
Test(docs, install, .init = doc_mktmp, .fini = doc_rm_tmp, .timeout = 900)
{
	char prefix[PATH_MAX], dest[PATH_MAX], ldc[PATH_MAX], path[PATH_MAX], out[OUT_MAX],
		cmd[4 * PATH_MAX], *calls;
	struct doc_block b[BLOCKS_MAX];
	size_t n, ran = 0;

	doc_find_build();
	if (!FILTER_LOADED)
		tu_skip(doc_rm_tmp, "an unfiltered (SANITIZE/VALGRIND) build is never installed: "
			     "make install refuses it");
	snprintf(prefix, sizeof(prefix), "%s/prefix", tmp);
	snprintf(dest, sizeof(dest), "%s/dest", tmp);
	cr_assert_eq(mkdir(prefix, 0755), 0);
	cr_assert_eq(mkdir(dest, 0755), 0);
	doc_write("ldconfig", "#!/bin/sh\necho ldconfig \"$@\" >> \"${0%/*}/ldconfig.log\"\n", ldc,
		  sizeof(ldc));
	cr_assert_eq(chmod(ldc, 0755), 0);
	doc_write("app.c",
		  "#include <stdio.h>\n#include <ttybroker.h>\n"
		  "int main(void)\n{\n\tputs(tb_reason_str(TB_R_BUSY));\n"
		  "\treturn tb_reason_exit(TB_R_DENIED) == 77 ? 0 : 1;\n}\n",
		  path, sizeof(path));

	doc_make(out, "install PREFIX='%s' DESTDIR= LDCONFIG='%s'", prefix, ldc);
	snprintf(path, sizeof(path), "%s/ldconfig.log", tmp);
	calls = doc_slurp(path);
	cr_expect(calls && !strcmp(calls, "ldconfig\n"),
		  "make install with an empty DESTDIR runs ldconfig once; log:\n%s",
		  calls ? calls : "(not run)");
	free(calls);
	unlink(path);

	n = doc_parse("docs/ttybroker.3", b);
	for (size_t i = 0; i < n; i++) {
		bool is_static;

		if (strcmp(b[i].marker, "sh install")) {
			free(b[i].text);
			continue;
		}
		is_static = strstr(b[i].text, "-Bstatic") != NULL;
		doc_write("build.sh", b[i].text, path, sizeof(path));
		snprintf(cmd, sizeof(cmd),
			 "rm -f a.out && PKG_CONFIG_PATH='%s/lib/pkgconfig' && export PKG_CONFIG_PATH && "
			 "sh -e build.sh && LD_LIBRARY_PATH='%s/lib' ./a.out && readelf -d a.out | grep NEEDED",
			 prefix, prefix);
		cr_expect_eq(doc_sh(cmd, NULL, out, sizeof(out), T_CC_MS), 0,
			     "ttybroker(3) line %d:\n%s\nfails:\n%s", b[i].line, b[i].text, out);
		cr_expect(strstr(out, "libttybroker") ? !is_static : is_static,
			  "ttybroker(3) line %d: libttybroker %s a NEEDED library:\n%s", b[i].line,
			  is_static ? "is still" : "is not", out);
		if (!is_static) {
			snprintf(cmd, sizeof(cmd), "LD_LIBRARY_PATH='%s/lib' ldd a.out", prefix);
			doc_sh(cmd, NULL, out, sizeof(out), T_RUN_MS);
			cr_expect_not_null(strstr(out, prefix), "not linked to the installed library:\n%s",
					   out);
		}
		ran++;
		free(b[i].text);
	}
	snprintf(path, sizeof(path), "%s/ldconfig.log", tmp);
	cr_expect_eq(ran, 2, "ttybroker(3) has %zu 'sh install' commands, want 2 (shared, static)",
		     ran);

	doc_make(out, "uninstall PREFIX='%s' DESTDIR= LDCONFIG='%s'", prefix, ldc);
	calls = doc_slurp(path);
	cr_expect(calls && !strcmp(calls, "ldconfig\n"),
		  "make uninstall with an empty DESTDIR runs ldconfig once; log:\n%s",
		  calls ? calls : "(not run)");
	free(calls);
	unlink(path);
	doc_find(prefix, out);
	cr_expect_str_empty(out, "left after make uninstall in PREFIX:\n%s", out);

	doc_make(out, "install PREFIX=/usr/local DESTDIR='%s' LDCONFIG='%s'", dest, ldc);
	cr_expect(!tu_exists(path), "ldconfig runs for a DESTDIR install");
	snprintf(cmd, sizeof(cmd), "%s/usr/local/lib/pkgconfig/ttybroker.pc", dest);
	calls = doc_slurp(cmd);
	cr_expect(calls && strstr(calls, "libdir=/usr/local/lib\n"),
		  "ttybroker.pc has the wrong libdir:\n%s", calls ? calls : "(missing)");
	free(calls);
	doc_make(out, "uninstall PREFIX=/usr/local DESTDIR='%s' LDCONFIG='%s'", dest, ldc);
	cr_expect(!tu_exists(path), "ldconfig runs for a DESTDIR uninstall");
	doc_find(dest, out);
	cr_expect_str_empty(out, "left after make uninstall in DESTDIR:\n%s", out);
}
