/* SPDX-License-Identifier: MIT */
/*
 * testutil.c - fixtures shared by the integration tests (see testutil.h).
 */
#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <grp.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "lock.h"
#include "testutil.h"

void tu_env_init(struct tu_env *e)
{
	const char *bin = getenv("TTYBROKER_BIN");

	memset(e, 0, sizeof(*e));
	snprintf(e->bin, sizeof(e->bin), "%s", bin ? bin : "build/ttybroker");
	snprintf(e->dir, sizeof(e->dir), "/tmp/tb-test.XXXXXX");
	cr_assert_not_null(mkdtemp(e->dir), "mkdtemp: %s", strerror(errno));
	cr_assert_eq(chmod(e->dir, 0755), 0);
	snprintf(e->policy, sizeof(e->policy), "%s/ttybroker.conf", e->dir);
	snprintf(e->lockdir, sizeof(e->lockdir), "%s/lock", e->dir);
	cr_assert_eq(mkdir(e->lockdir, 0755), 0);
	tu_policy(e, "# empty\n");
}

void tu_env_fini(struct tu_env *e)
{
	DIR *d;
	struct dirent *de;

	if (!e->dir[0])
		return;
	if ((d = opendir(e->lockdir))) {
		while ((de = readdir(d)))
			if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
				unlinkat(dirfd(d), de->d_name, 0);
		closedir(d);
	}
	rmdir(e->lockdir);
	unlink(e->policy);
	rmdir(e->dir);
	e->dir[0] = '\0';
}

void tu_policy(struct tu_env *e, const char *fmt, ...)
{
	va_list ap;
	FILE *f;

	unlink(e->policy);
	f = fopen(e->policy, "wx");
	cr_assert_not_null(f, "policy: %s", strerror(errno));
	va_start(ap, fmt);
	vfprintf(f, fmt, ap);
	va_end(ap);
	cr_assert_eq(fclose(f), 0);
	cr_assert_eq(chmod(e->policy, 0644), 0);
}

void tu_lockfile(const struct tu_env *e, const char *port, char *out, size_t len)
{
	char name[LOCK_NAME_MAX];

	cr_assert_eq(lock_name(port, name, sizeof(name)), 0);
	snprintf(out, len, "%s/%s", e->lockdir, name);
}

bool tu_exists(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0;
}

void tu_pty_open(struct tu_pty *p, uid_t owner)
{
	const char *name;

	memset(p, 0, sizeof(*p));
	p->master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
	cr_assert_geq(p->master, 0, "posix_openpt: %s", strerror(errno));
	cr_assert_eq(grantpt(p->master), 0);
	cr_assert_eq(unlockpt(p->master), 0);
	name = ptsname(p->master);
	cr_assert_not_null(name);
	snprintf(p->path, sizeof(p->path), "%s", name);
	snprintf(p->port, sizeof(p->port), "%s", name + strlen("/dev/"));
	cr_assert_eq(chown(p->path, owner, (gid_t)-1), 0, "chown %s", p->path);
}

void tu_pty_close(struct tu_pty *p)
{
	if (p->master >= 0)
		close(p->master);
	p->master = -1;
}

bool tu_pty_expect(struct tu_pty *p, const char *needle, int timeout_ms)
{
	char buf[4096];
	size_t len = 0;
	struct pollfd pfd = { .fd = p->master, .events = POLLIN };

	buf[0] = '\0';
	while (len < sizeof(buf) - 1 && poll(&pfd, 1, timeout_ms) == 1) {
		ssize_t n = read(p->master, buf + len, sizeof(buf) - 1 - len);

		if (n <= 0)
			break;
		len += (size_t)n;
		buf[len] = '\0';
		if (strstr(buf, needle))
			return true;
	}
	return false;
}

int tu_count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *de;
	int n = 0;

	cr_assert_not_null(d);
	while ((de = readdir(d)))
		if (de->d_name[0] != '.')
			n++;
	closedir(d);
	return n - 1; /* the directory's own fd */
}

static long tu_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

int tu_wait(pid_t pid, int timeout_ms)
{
	long end = tu_now_ms() + timeout_ms;
	int status;

	for (;;) {
		pid_t r = waitpid(pid, &status, WNOHANG);

		if (r == pid)
			return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
		if (r < 0 && errno != EINTR)
			return -1;
		if (tu_now_ms() > end)
			return -1;
		usleep(2000);
	}
}

/* exec e->bin with ARGV's tail; stdout/stderr to the given fds. */
static pid_t tu_start(const struct tu_env *e, char *const argv[], int out, int err)
{
	char *args[64];
	size_t n = 0;
	pid_t pid;

	args[n++] = (char *)e->bin;
	for (size_t i = 1; argv[i] && n < 63; i++)
		args[n++] = argv[i];
	args[n] = NULL;
	pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		int null = open("/dev/null", O_RDWR);

		dup2(null, 0);
		dup2(out >= 0 ? out : null, 1);
		dup2(err >= 0 ? err : null, 2);
		execv(e->bin, args);
		_exit(127);
	}
	return pid;
}

pid_t tu_spawn(const struct tu_env *e, char *const argv[])
{
	return tu_start(e, argv, -1, -1);
}

/* Drain both pipes into the buffers while the child runs. */
static void tu_collect(int po, int pe, char *out, size_t outlen, char *err,
		       size_t errlen, long end)
{
	size_t lo = 0, le = 0;
	struct pollfd p[2] = { { .fd = po, .events = POLLIN }, { .fd = pe, .events = POLLIN } };
	char sink[512];

	while ((p[0].fd >= 0 || p[1].fd >= 0) && tu_now_ms() < end) {
		if (poll(p, 2, 50) <= 0)
			continue;
		for (int i = 0; i < 2; i++) {
			char *buf = i ? err : out;
			size_t *l = i ? &le : &lo, cap = i ? errlen : outlen;
			ssize_t n;

			if (p[i].fd < 0 || !(p[i].revents & (POLLIN | POLLHUP)))
				continue;
			if (buf && *l + 1 < cap)
				n = read(p[i].fd, buf + *l, cap - 1 - *l);
			else
				n = read(p[i].fd, sink, sizeof(sink));
			if (n <= 0) {
				p[i].fd = -1;
				continue;
			}
			if (buf && *l + 1 < cap) {
				*l += (size_t)n;
				buf[*l] = '\0';
			}
		}
	}
}

int tu_run(const struct tu_env *e, char *const argv[], char *out, size_t outlen,
	   char *err, size_t errlen, int timeout_ms)
{
	int po[2], pe[2], st;
	long end = tu_now_ms() + timeout_ms;
	pid_t pid;

	if (out)
		out[0] = '\0';
	if (err)
		err[0] = '\0';
	cr_assert_eq(pipe2(po, O_CLOEXEC), 0);
	cr_assert_eq(pipe2(pe, O_CLOEXEC), 0);
	pid = tu_start(e, argv, po[1], pe[1]);
	close(po[1]);
	close(pe[1]);
	tu_collect(po[0], pe[0], out, outlen, err, errlen, end);
	close(po[0]);
	close(pe[0]);
	st = tu_wait(pid, (int)(end - tu_now_ms() > 0 ? end - tu_now_ms() : 1));
	if (st < 0) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		cr_assert_fail("command timed out");
	}
	return st;
}

bool tu_wait_path(const char *path, bool want, int timeout_ms)
{
	long end = tu_now_ms() + timeout_ms;

	while (tu_exists(path) != want) {
		if (tu_now_ms() > end)
			return false;
		usleep(2000);
	}
	return true;
}

/* Is a socket bound to PATH listening (__SO_ACCEPTCON in /proc/net/unix)? */
static bool tu_listening(const char *path)
{
	char line[512 + PATH_MAX];
	bool found = false;
	FILE *f = fopen("/proc/net/unix", "re");

	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f)) {
		unsigned long flags;
		char name[PATH_MAX];

		/* Num RefCount Protocol Flags Type St Inode Path */
		if (sscanf(line, "%*s %*s %*s %lx %*s %*s %*s %4095s", &flags, name) == 2 &&
		    strcmp(name, path) == 0 && (flags & 0x10000))
			found = true;
	}
	fclose(f);
	return found;
}

bool tu_wait_listening(const char *path, int timeout_ms)
{
	long end = tu_now_ms() + timeout_ms;

	while (!tu_listening(path)) {
		if (tu_now_ms() > end)
			return false;
		usleep(2000);
	}
	return true;
}

bool tu_proc_status(pid_t pid, const char *key, char *out, size_t len)
{
	char path[64], line[512];
	size_t klen = strlen(key);
	bool found = false;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	if (!(f = fopen(path, "re")))
		return false;
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, key, klen) == 0 && line[klen] == ':') {
			char *v = line + klen + 1;

			v += strspn(v, " \t");
			v[strcspn(v, "\n")] = '\0';
			snprintf(out, len, "%s", v);
			found = true;
			break;
		}
	}
	fclose(f);
	return found;
}

int tu_children(pid_t pid, pid_t *out, int max)
{
	char path[64];
	int n = 0, c;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/task/%d/children", (int)pid, (int)pid);
	if (!(f = fopen(path, "re")))
		return -1;
	while (fscanf(f, "%d", &c) == 1)
		if (n++ < max)
			out[n - 1] = (pid_t)c;
	fclose(f);
	return n;
}

void tu_reap_all(int wait_ms)
{
	long end = tu_now_ms() + wait_ms;
	pid_t c[8];
	int n;

	while (tu_now_ms() < end) {
		pid_t r = waitpid(-1, NULL, WNOHANG);

		if (r < 0 && errno == ECHILD)
			return;
		if (r <= 0)
			usleep(2000);
	}
	/* Eight at a time, each reaped by its pid: waiting for any child
	 * would block on those not killed yet. */
	while ((n = tu_children(getpid(), c, 8)) > 0) {
		for (int i = 0; i < n && i < 8; i++)
			kill(c[i], SIGKILL);
		for (int i = 0; i < n && i < 8; i++)
			waitpid(c[i], NULL, 0);
	}
}

/* ---- running programs as a user, checking list --json ---- */

int tu_run_as(uid_t uid, char *const argv[], char *const envp[], const char *in,
	      char *out, size_t outlen, char *err, size_t errlen, int timeout_ms)
{
	int pi[2], po[2], pe[2], st;
	long end = tu_now_ms() + timeout_ms;
	pid_t pid;

	if (out)
		out[0] = '\0';
	if (err)
		err[0] = '\0';
	cr_assert_eq(pipe2(pi, O_CLOEXEC), 0);
	cr_assert_eq(pipe2(po, O_CLOEXEC), 0);
	cr_assert_eq(pipe2(pe, O_CLOEXEC), 0);
	pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		if (dup2(pi[0], 0) < 0 || dup2(po[1], 1) < 0 || dup2(pe[1], 2) < 0)
			_exit(126);
		if (uid != 0 && (setgroups(0, NULL) < 0 || setresgid(uid, uid, uid) < 0 ||
				 setresuid(uid, uid, uid) < 0))
			_exit(126);
		if (envp)
			execve(argv[0], argv, envp);
		else
			execv(argv[0], argv);
		_exit(127);
	}
	close(pi[0]);
	close(po[1]);
	close(pe[1]);
	if (in) /* small texts: the pipe holds them */
		cr_assert_eq(write(pi[1], in, strlen(in)), (ssize_t)strlen(in));
	close(pi[1]);
	tu_collect(po[0], pe[0], out, outlen, err, errlen, end);
	close(po[0]);
	close(pe[0]);
	st = tu_wait(pid, (int)(end - tu_now_ms() > 0 ? end - tu_now_ms() : 1));
	if (st < 0) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		cr_assert_fail("%s timed out", argv[0]);
	}
	return st;
}

/* The schema of `ttybroker list --json` (docs/ttybroker.1), checked line by line. */
static const char tu_list_json_py[] =
	"import json, sys\n"
	"N = type(None)\n"
	"F = {'port': str, 'by_id': (str, N), 'by_path': (str, N), 'pty': bool,\n"
	"     'usb': (dict, N), 'phys_path': (str, N), 'verdict': str, 'rule': (str, N),\n"
	"     'rule_line': (int, N), 'error': (str, N), 'holder': str,\n"
	"     'holder_pid': (int, N), 'holder_comm': (str, N)}\n"
	"out = {}\n"
	"for line in sys.stdin.read().splitlines():\n"
	"    o = json.loads(line)\n"
	"    assert set(o) == set(F), sorted(o)\n"
	"    for k, t in F.items():\n"
	"        assert isinstance(o[k], t) and not (t == int and isinstance(o[k], bool)), k\n"
	"    assert o['verdict'] in ('permit', 'deny', 'policy-invalid', 'unknown'), o['verdict']\n"
	"    assert (o['error'] is None) == (o['verdict'] in ('permit', 'deny'))\n"
	"    assert o['holder'] in ('free', 'lockfile', 'flock', 'self'), o['holder']\n"
	"    assert (o['rule'] is None) == (o['rule_line'] is None)\n"
	"    assert o['port'] not in out, 'listed twice: ' + o['port']\n"
	"    out[o['port']] = '%s %s %s %s %s' % (o['port'], o['verdict'], o['rule_line'],\n"
	"                                         o['holder'], o['holder_pid'])\n"
	"print('\\n'.join(out[p] for p in sys.argv[1:] if p in out))\n";

int tu_list_json(const char *json, char *const ports[], char *summary, size_t len)
{
	char *argv[16] = { "/usr/bin/python3", "-c", (char *)tu_list_json_py };
	char err[2048];
	size_t n = 3;
	int st;

	for (size_t i = 0; ports[i] && n < 15; i++)
		argv[n++] = ports[i];
	argv[n] = NULL;
	st = tu_run_as(0, argv, NULL, json, summary, len, err, sizeof(err), 20000);
	if (st != 0)
		fprintf(stderr, "list --json check failed (%d): %s\n", st, err);
	if (len && summary[0] && summary[strlen(summary) - 1] == '\n')
		summary[strlen(summary) - 1] = '\0';
	return st;
}

/* ---- fake sysfs trees ------------------------------------ */

void tu_sysfs_init(struct tu_sysfs *s)
{
	snprintf(s->root, sizeof(s->root), "/tmp/tb-sysfs.XXXXXX");
	cr_assert_not_null(mkdtemp(s->root), "mkdtemp: %s", strerror(errno));
	tu_sysfs_dir(s, "dev/char", NULL);
	tu_sysfs_dir(s, "devices", NULL);
}

static int tu_rm_entry(const char *path, const struct stat *st, int type,
		       struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	if (type == FTW_DP)
		rmdir(path);
	else
		unlink(path);
	return 0;
}

void tu_rm_tree(const char *path)
{
	nftw(path, tu_rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

void tu_sysfs_fini(struct tu_sysfs *s)
{
	if (!s->root[0])
		return;
	tu_rm_tree(s->root);
	s->root[0] = '\0';
}

void tu_sysfs_dir(struct tu_sysfs *s, const char *rel, const char *subsystem)
{
	char path[512];

	for (const char *p = rel;; p++) {
		if (*p == '/' || *p == '\0') {
			snprintf(path, sizeof(path), "%s/%.*s", s->root, (int)(p - rel), rel);
			if (mkdir(path, 0755) < 0)
				cr_assert_eq(errno, EEXIST, "mkdir %s: %s", path, strerror(errno));
		}
		if (*p == '\0')
			break;
	}
	if (subsystem) {
		char target[128];

		snprintf(target, sizeof(target), "../../../bus/%s", subsystem);
		snprintf(path, sizeof(path), "%s/subsystem", rel);
		tu_sysfs_link(s, path, target);
	}
}

void tu_sysfs_attr(struct tu_sysfs *s, const char *rel, const char *name,
		   const char *data, size_t len)
{
	char path[512];
	int fd;

	snprintf(path, sizeof(path), "%s/%s/%s", s->root, rel, name);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	cr_assert_geq(fd, 0, "%s: %s", path, strerror(errno));
	cr_assert_eq(write(fd, data, len), (ssize_t)len);
	close(fd);
}

void tu_sysfs_value(struct tu_sysfs *s, const char *rel, const char *name,
		    const char *value)
{
	char buf[4096];
	int n = snprintf(buf, sizeof(buf), "%s\n", value);

	cr_assert(n > 0 && (size_t)n < sizeof(buf));
	tu_sysfs_attr(s, rel, name, buf, (size_t)n);
}

void tu_sysfs_link(struct tu_sysfs *s, const char *rel, const char *target)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/%s", s->root, rel);
	cr_assert_eq(symlink(target, path), 0, "symlink %s: %s", path, strerror(errno));
}

void tu_sysfs_usb_device(struct tu_sysfs *s, const char *rel, unsigned int vid,
			 unsigned int pid, unsigned int cls, const char *serial,
			 const char *manufacturer, const char *product)
{
	char buf[16];

	tu_sysfs_dir(s, rel, "usb");
	snprintf(buf, sizeof(buf), "%04x", vid);
	tu_sysfs_value(s, rel, "idVendor", buf);
	snprintf(buf, sizeof(buf), "%04x", pid);
	tu_sysfs_value(s, rel, "idProduct", buf);
	snprintf(buf, sizeof(buf), "%02x", cls);
	tu_sysfs_value(s, rel, "bDeviceClass", buf);
	if (serial)
		tu_sysfs_value(s, rel, "serial", serial);
	if (manufacturer)
		tu_sysfs_value(s, rel, "manufacturer", manufacturer);
	if (product)
		tu_sysfs_value(s, rel, "product", product);
}

void tu_sysfs_usb_interface(struct tu_sysfs *s, const char *rel, unsigned int ifnum)
{
	char buf[8];

	tu_sysfs_dir(s, rel, "usb");
	snprintf(buf, sizeof(buf), "%02x", ifnum);
	tu_sysfs_value(s, rel, "bInterfaceNumber", buf);
	tu_sysfs_value(s, rel, "bInterfaceClass", "ff");
}

void tu_sysfs_tty(struct tu_sysfs *s, const char *rel, unsigned int maj, unsigned int min)
{
	char buf[32], path[512], target[512];

	tu_sysfs_dir(s, rel, NULL);
	snprintf(path, sizeof(path), "%s/subsystem", rel);
	tu_sysfs_link(s, path, "../../../../class/tty");
	snprintf(buf, sizeof(buf), "%u:%u", maj, min);
	tu_sysfs_value(s, rel, "dev", buf);
	snprintf(path, sizeof(path), "dev/char/%s", buf);
	snprintf(target, sizeof(target), "../../%s", rel);
	tu_sysfs_link(s, path, target);
}

const char *tu_sysfs_xhci(struct tu_sysfs *s)
{
	static const char hub[] = "devices/pci0000:00/0000:00:14.0/usb1";

	tu_sysfs_dir(s, "devices/pci0000:00", NULL);
	tu_sysfs_dir(s, "devices/pci0000:00/0000:00:14.0", "pci");
	tu_sysfs_usb_device(s, hub, 0x1d6b, 0x0002, 0x09, "0000:00:14.0",
			    "Linux 6.1.0 xhci-hcd", "xHCI Host Controller");
	return hub;
}

/* ---- a private ttybrokerd and clients of it ---- */

/* Drop to UID (its own gid for NOBODY and for a uid without an entry). */
static void tu_drop_to(uid_t uid)
{
	gid_t gid = (gid_t)uid;

	if (setgroups(0, NULL) < 0 || setresgid(gid, gid, gid) < 0 ||
	    setresuid(uid, uid, uid) < 0)
		_exit(120);
}

/* The daemon's binary: "ttybrokerd" beside E's ttybroker. */
static void tu_daemon_bin(const struct tu_env *e, char *out, size_t len)
{
	const char *slash = strrchr(e->bin, '/');

	snprintf(out, len, "%.*sttybrokerd", slash ? (int)(slash + 1 - e->bin) : 0, e->bin);
}

pid_t tu_daemon_start(const struct tu_env *e, const char *sock, const char *log,
		      unsigned int grace_ms)
{
	return tu_daemon_start_in(e, e->lockdir, sock, log, grace_ms);
}

pid_t tu_daemon_start_in(const struct tu_env *e, const char *lockdir, const char *sock,
			 const char *log, unsigned int grace_ms)
{
	char bin[300], grace[16];
	pid_t pid;

	tu_daemon_bin(e, bin, sizeof(bin));
	snprintf(grace, sizeof(grace), "%u", grace_ms);
	pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		int fd = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);

		if (fd < 0 || dup2(fd, 2) < 0)
			_exit(127);
		execl(bin, "ttybrokerd", "-f", "-v", "-g", grace, "-p", e->policy, "-l",
		      lockdir, "-s", sock, (char *)NULL);
		_exit(127);
	}
	cr_assert(tu_file_wait(log, "serving on", 1, 5000), "ttybrokerd did not come up "
		  "(see %s)", log);
	return pid;
}

void tu_daemon_stop(pid_t pid)
{
	if (pid <= 0)
		return;
	kill(pid, SIGTERM);
	if (tu_wait(pid, 5000) < 0) {
		kill(pid, SIGKILL);
		tu_wait(pid, 5000);
	}
}

pid_t tu_spawn_as(const struct tu_env *e, uid_t uid, const char *sock,
		  char *const argv[], const char *err)
{
	pid_t pid = fork();

	cr_assert_geq(pid, 0);
	if (pid == 0) {
		int fd = err ? open(err, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644)
			     : open("/dev/null", O_WRONLY | O_CLOEXEC);

		if (fd < 0 || dup2(fd, 1) < 0 || dup2(fd, 2) < 0)
			_exit(127);
		if (uid)
			tu_drop_to(uid);
		setenv("TTYBROKER_SOCKET", sock, 1);
		execv(e->bin, argv);
		_exit(127);
	}
	return pid;
}

ssize_t tu_read_file(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	size_t got = 0;
	ssize_t n = 0;

	buf[0] = '\0';
	if (fd < 0)
		return -1;
	while (got + 1 < len && (n = read(fd, buf + got, len - 1 - got)) > 0)
		got += (size_t)n;
	buf[got] = '\0';
	close(fd);
	return n < 0 ? -1 : (ssize_t)got;
}

int tu_file_count(const char *path, const char *needle)
{
	char line[2048];
	int n = 0;
	FILE *f = fopen(path, "re");

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		n += strstr(line, needle) != NULL;
	fclose(f);
	return n;
}

bool tu_file_wait(const char *path, const char *needle, int want, int timeout_ms)
{
	long end = tu_now_ms() + timeout_ms;

	do {
		if (tu_file_count(path, needle) >= want)
			return true;
		usleep(10000);
	} while (tu_now_ms() < end);
	return tu_file_count(path, needle) >= want;
}
