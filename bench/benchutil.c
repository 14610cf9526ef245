/* SPDX-License-Identifier: MIT */
/*
 * benchutil.c - the fixture, I/O, /proc and statistics helpers and the
 * direct open that the `make bench` programs share (see benchutil.h).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "benchutil.h"
#include "lock.h"
#include "portname.h"
#include "proto.h"

#define FS_TMPFS 0x01021994 /* statfs f_type values we name */
#define FS_EXT4  0xEF53

volatile sig_atomic_t bench_stop;

/* The fixture atexit cleans up: the last one initialised. */
static struct bench_fixture *bench_atexit_fx;

int bench_write_full(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -EIO;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int bench_read_full(int fd, void *buf, size_t len)
{
	char *p = buf;

	while (len > 0) {
		ssize_t n = read(fd, p, len);

		if (n < 0 && errno == EINTR && !bench_stop)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return -EPIPE;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

void bench_reap(pid_t pid, int *status)
{
	while (waitpid(pid, status, 0) < 0 && errno == EINTR)
		;
}

double bench_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

/* ---- fixture ---- */

int bench_purge_dir(const char *path)
{
	struct dirent *de;
	int found = 0;
	DIR *d = opendir(path);

	if (!d)
		return 0;
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..")) {
			unlinkat(dirfd(d), de->d_name, 0);
			found++;
		}
	closedir(d);
	return found;
}

int bench_count_entries(const char *path)
{
	struct dirent *de;
	int n = 0;
	DIR *d = opendir(path);

	if (!d)
		return -1;
	while ((de = readdir(d)))
		n += strcmp(de->d_name, ".") && strcmp(de->d_name, "..");
	closedir(d);
	return n;
}

void bench_fixture_fini(struct bench_fixture *fx)
{
	if (fx->owner != getpid())
		return; /* a child leaving through exit(3) */
	for (int i = 0; fx->pty && i < fx->npty; i++) {
		if (fx->pty[i].master >= 0)
			close(fx->pty[i].master);
		fx->pty[i].master = -1;
	}
	free(fx->pty);
	fx->pty = NULL;
	fx->npty = 0;
	if (!fx->dir[0])
		return;
	bench_purge_dir(fx->lockdir);
	rmdir(fx->lockdir);
	unlink(fx->policy);
	rmdir(fx->dir);
	fx->dir[0] = '\0';
}

static void bench_fixture_atexit(void)
{
	if (bench_atexit_fx)
		bench_fixture_fini(bench_atexit_fx);
}

/* A pty pair whose slave belongs to nobody, into P. */
static int bench_pty_open(struct bench_pty *p)
{
	char path[64];

	p->master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (p->master < 0 || grantpt(p->master) < 0 || unlockpt(p->master) < 0 ||
	    ptsname_r(p->master, path, sizeof(path)) != 0) {
		perror("bench: pty");
		return -1;
	}
	if (chown(path, BENCH_NOBODY_UID, (gid_t)-1) < 0) {
		perror("bench: chown pty slave");
		return -1;
	}
	if (strncmp(path, "/dev/pts/", 9) != 0 || strlen(path + 5) >= sizeof(p->port)) {
		fprintf(stderr, "bench: unexpected pty slave %s\n", path);
		return -1;
	}
	memcpy(p->port, path + 5, strlen(path + 5) + 1); /* "pts/N" */
	return 0;
}

/* Write the policy: "# TAG", then "permit nobody pts/N" per pty; 0644. */
static int bench_fixture_policy(const struct bench_fixture *fx, const char *tag)
{
	FILE *f;
	int fd, r = 0;

	fd = open(fx->policy, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd < 0 || !(f = fdopen(fd, "w"))) {
		perror("bench: policy");
		if (fd >= 0)
			close(fd);
		return -1;
	}
	fprintf(f, "# %s\n", tag);
	for (int i = 0; i < fx->npty; i++)
		fprintf(f, "permit nobody %s\n", fx->pty[i].port);
	if (fchmod(fd, 0644) < 0)
		r = -errno;
	if (fclose(f) != 0 && r == 0)
		r = -errno;
	if (r < 0)
		fprintf(stderr, "bench: policy: %s\n", strerror(-r));
	return r < 0 ? -1 : 0;
}

int bench_fixture_init(struct bench_fixture *fx, const char *tag, int npty)
{
	const char *base = getenv("TMPDIR");

	memset(fx, 0, sizeof(*fx));
	fx->owner = getpid();
	bench_atexit_fx = fx;
	atexit(bench_fixture_atexit);
	if (!base || base[0] != '/' || strlen(base) > 40)
		base = "/tmp";
	if (!(fx->pty = calloc((size_t)npty, sizeof(*fx->pty)))) {
		perror("bench: ptys");
		return -1;
	}
	fx->npty = npty;
	for (int i = 0; i < npty; i++)
		fx->pty[i].master = -1;
	snprintf(fx->dir, sizeof(fx->dir), "%s/%.16s.XXXXXX", base, tag);
	if (!mkdtemp(fx->dir)) {
		perror("bench: mkdtemp");
		fx->dir[0] = '\0';
		return -1;
	}
	snprintf(fx->policy, sizeof(fx->policy), "%s/ttybroker.conf", fx->dir);
	snprintf(fx->lockdir, sizeof(fx->lockdir), "%s/lock", fx->dir);
	if (chmod(fx->dir, 0755) < 0 || mkdir(fx->lockdir, 0755) < 0) {
		perror("bench: temp dir");
		return -1;
	}
	for (int i = 0; i < npty; i++)
		if (bench_pty_open(&fx->pty[i]) < 0)
			return -1;
	return bench_fixture_policy(fx, tag);
}

const char *bench_fs_name(const char *path, char *buf, size_t len)
{
	struct statfs sf;

	if (statfs(path, &sf) < 0)
		return "unknown";
	if (sf.f_type == FS_TMPFS)
		return "tmpfs";
	if (sf.f_type == FS_EXT4)
		return "ext4";
	snprintf(buf, len, "fs 0x%lx", (unsigned long)sf.f_type);
	return buf;
}

/* ---- /proc ---- */

long bench_status_kb(pid_t pid, const char *key)
{
	char path[64], line[256];
	size_t klen = strlen(key);
	long v = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	if (!(f = fopen(path, "re")))
		return -1;
	while (v < 0 && fgets(line, sizeof(line), f))
		if (strncmp(line, key, klen) == 0 && line[klen] == ':')
			v = strtol(line + klen + 1, NULL, 10);
	fclose(f);
	return v;
}

pid_t bench_only_child(pid_t pid)
{
	char path[64];
	long child = -1, extra = -1;
	int n;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/task/%d/children", (int)pid, (int)pid);
	if (!(f = fopen(path, "re")))
		return -1;
	n = fscanf(f, "%ld %ld", &child, &extra);
	fclose(f);
	return n == 1 ? (pid_t)child : -1;
}

int bench_fd_count(pid_t pid)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/%d/fd", (int)pid);
	return bench_count_entries(path);
}

/* ---- statistics ---- */

int bench_cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

double bench_median(const double *v, size_t n)
{
	double *c, m;

	if (n == 0 || !(c = malloc(n * sizeof(*c))))
		return 0.0;
	memcpy(c, v, n * sizeof(*c));
	qsort(c, n, sizeof(*c), bench_cmp_double);
	m = n % 2 ? c[n / 2] : (c[n / 2 - 1] + c[n / 2]) / 2;
	free(c);
	return m;
}

double bench_percentile(double *v, size_t n, double p)
{
	size_t rank;

	if (n == 0)
		return 0.0;
	qsort(v, n, sizeof(*v), bench_cmp_double);
	rank = (size_t)(p / 100.0 * (double)n + 0.999999);
	return v[rank == 0 ? 0 : (rank > n ? n : rank) - 1];
}

double bench_mean(const double *v, size_t n)
{
	double sum = 0.0;

	for (size_t i = 0; i < n; i++)
		sum += v[i];
	return n ? sum / (double)n : 0.0;
}

/* ---- direct: the backend's work, done in-process by root ---- */

/*
 * Load the policy and open /dev and the lock dir, once, as the backend
 * does.  D's descriptors start at -1 here, so bench_direct_fini is safe.
 */
int bench_direct_init(struct bench_direct *d, const struct bench_fixture *fx)
{
	int r;

	memset(d, 0, sizeof(*d));
	d->lockfd = d->env.devfd = d->env.sysfd = -1;
	d->pid = getpid();
	if ((r = policy_load(fx->policy, NULL, NULL, &d->pol)) < 0 ||
	    (r = policy_subject_init(&d->subj, BENCH_NOBODY_UID, BENCH_NOBODY_GID)) < 0 ||
	    (r = open_env_init(&d->env, "/dev")) < 0) {
		fprintf(stderr, "bench: direct setup: %s\n", strerror(-r));
		return -1;
	}
	d->lockfd = open(fx->lockdir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (d->lockfd < 0) {
		perror("bench: lock dir");
		return -1;
	}
	return 0;
}

void bench_direct_fini(struct bench_direct *d)
{
	policy_free(d->pol);
	d->pol = NULL;
	open_env_fini(&d->env);
	if (d->lockfd >= 0)
		close(d->lockfd);
	d->lockfd = -1;
}

/* Name check, resolution, policy, pin and class: nothing touches the port. */
static int bench_direct_vet(struct bench_direct *d, const char *port, char *kname,
			    struct stat *st)
{
	struct policy_verdict v;
	int pin, r;

	if (portname_check(port) < 0)
		return -EINVAL;
	if ((r = open_resolve(&d->env, port, kname, PROTO_PORT_MAX)) < 0)
		return r;
	policy_eval(d->pol, &d->subj, kname, &v);
	if (!v.permit)
		return -EACCES;
	if ((pin = open_pin(&d->env, kname, st)) < 0)
		return pin;
	close(pin);
	if (open_classify(&d->env, st) != OPEN_CLASS_PTY || st->st_uid != d->subj.uid)
		return -EPERM;
	return 0;
}

/* Lock file, open, flock, blocking mode; then close and unlock. */
static int bench_direct_cycle(struct bench_direct *d, const char *kname,
			      const struct stat *st)
{
	struct lock_file lf;
	int fd, fl, r;

	if ((r = lock_acquire(d->lockfd, kname, d->pid, &lf)) < 0)
		return r;
	fd = r = open_device(&d->env, kname, st);
	if (fd >= 0) {
		r = lock_flock(fd);
		fl = fcntl(fd, F_GETFL);
		if (r == 0 && (fl < 0 || fcntl(fd, F_SETFL, fl & ~O_NONBLOCK) < 0))
			r = -errno;
		close(fd);
	}
	lock_release(d->lockfd, &lf);
	return r < 0 ? r : 0;
}

int bench_direct_once(struct bench_direct *d, const char *port)
{
	char kname[PROTO_PORT_MAX];
	struct stat st;
	int r = bench_direct_vet(d, port, kname, &st);

	return r < 0 ? r : bench_direct_cycle(d, kname, &st);
}
