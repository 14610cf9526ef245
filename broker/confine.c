/* SPDX-License-Identifier: MIT */
/*
 * confine.c - the backend's confinement steps, in the order they run.
 *
 * Kept capabilities (each justified in docs/DESIGN.md):
 *   CAP_DAC_OVERRIDE  open device nodes such as root:dialout 0660 and
 *                     other users' pts nodes, and create lock files in a
 *                     lock directory we do not own;
 *   CAP_FOWNER        remove a stale lock file owned by another user in a
 *                     sticky lock directory (/run/lock is 1777);
 *   CAP_SYS_TTY_CONFIG  the daemon's engine only: vhangup() of a port
 *                     whose holder is revoked (engine_recheck).
 * Everything else, including CAP_SETUID, CAP_SYS_ADMIN and CAP_KILL, goes,
 * from the bounding set too.  Landlock then limits what CAP_DAC_OVERRIDE
 * reaches to /dev, the lock directory and reading below /sys.
 */
#include <errno.h>
#include <stdbool.h>
#include <sys/prctl.h>
#include <sys/resource.h>

#include <cap-ng.h>

#include "confine.h"
#include "filter.h"
#include "landlock.h"
#include "log.h"

static const unsigned int confine_kept_caps[] = { CAP_DAC_OVERRIDE, CAP_FOWNER,
						   CAP_SYS_TTY_CONFIG };
/* Kept by the daemon's engine only (revocation); the fork backend drops it. */
#define CONFINE_DAEMON_ONLY_CAP CAP_SYS_TTY_CONFIG

size_t confine_kept(const unsigned int **out)
{
	*out = confine_kept_caps;
	return sizeof(confine_kept_caps) / sizeof(confine_kept_caps[0]);
}

static int confine_setrlimit(int res, rlim_t val)
{
	struct rlimit rl = { .rlim_cur = val, .rlim_max = val };

	return setrlimit(res, &rl) < 0 ? -errno : 0;
}

/*
 * Undo a lowered RLIMIT_FSIZE: unlimited where we may raise the hard limit
 * (CAP_SYS_RESOURCE), else the hard limit, which must leave room for
 * what we write.  SIGXFSZ is ignored (backend.c), so a write past it fails
 * with EFBIG instead of killing the process that holds the locks.
 */
static int confine_fsize(void)
{
	struct rlimit rl;
	int r = confine_setrlimit(RLIMIT_FSIZE, CONFINE_FSIZE);

	if (r != -EPERM)
		return r;
	if (getrlimit(RLIMIT_FSIZE, &rl) < 0)
		return -errno;
	if (rl.rlim_max < CONFINE_FSIZE_MIN)
		return -EFBIG;
	return confine_setrlimit(RLIMIT_FSIZE, rl.rlim_max);
}

/*
 * RLIMIT_NOFILE to NOFILE, soft and hard.  Lowering a hard limit needs no
 * privilege, but valgrind refuses to change this one's (EPERM): in the
 * valgrind build only, the soft limit is set alone then.
 */
static int confine_nofile(rlim_t nofile)
{
	int r = confine_setrlimit(RLIMIT_NOFILE, nofile);
#ifdef TB_UNFILTERED
	struct rlimit rl;

	if (r == -EPERM && getrlimit(RLIMIT_NOFILE, &rl) == 0) {
		rl.rlim_cur = nofile;
		r = setrlimit(RLIMIT_NOFILE, &rl) < 0 ? -errno : 0;
	}
#endif
	return r;
}

/* RLIMIT_CORE 0, RLIMIT_NOFILE NOFILE, RLIMIT_FSIZE reset. */
static int confine_rlimits_nofile(rlim_t nofile)
{
	int r;

	if ((r = confine_setrlimit(RLIMIT_CORE, 0)) < 0 || (r = confine_nofile(nofile)) < 0)
		return r;
	return confine_fsize();
}

int confine_rlimits(void)
{
	return confine_rlimits_nofile(CONFINE_NOFILE);
}

/* Is CAP kept in ROLE (FILTER_ROLE_*)? */
static bool confine_role_keeps(unsigned int role, unsigned int cap)
{
	return cap != CONFINE_DAEMON_ONLY_CAP || (role & FILTER_ROLE_DAEMON);
}

/* confine_caps() for ROLE. */
static int confine_caps_role(unsigned int role)
{
	capng_clear(CAPNG_SELECT_ALL);
	for (size_t i = 0; i < sizeof(confine_kept_caps) / sizeof(confine_kept_caps[0]); i++)
		if (confine_role_keeps(role, confine_kept_caps[i]) && capng_update(CAPNG_ADD, CAPNG_EFFECTIVE | CAPNG_PERMITTED |
				 CAPNG_BOUNDING_SET, confine_kept_caps[i]) < 0)
			return -EINVAL;
	if (capng_apply(CAPNG_SELECT_ALL) < 0)
		return -EPERM;
	/* Read back what the kernel really holds. */
	if (capng_get_caps_process() < 0)
		return -EPERM;
	for (size_t i = 0; i < sizeof(confine_kept_caps) / sizeof(confine_kept_caps[0]); i++)
		if (capng_have_capability(CAPNG_EFFECTIVE, confine_kept_caps[i]) !=
		    confine_role_keeps(role, confine_kept_caps[i]))
			return -EPERM;
	if (capng_have_capability(CAPNG_EFFECTIVE, CAP_SETUID) ||
	    capng_have_capability(CAPNG_BOUNDING_SET, CAP_SYS_ADMIN))
		return -EPERM;
	return 0;
}

int confine_caps(void)
{
	return confine_caps_role(FILTER_ROLE_FORK);
}

int confine_nnp(void)
{
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0 ||
	    prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return -errno;
	return 0;
}

int confine_landlock(int devfd, int lockfd, int sysfd)
{
	return landlock_confine(devfd, lockfd, sysfd);
}

int confine_seccomp(void)
{
	return filter_load();
}

/* Log a failed step; returns R so the caller can pass it on. */
static int confine_failed(const char *step, int r)
{
	errno = -r;
	log_warn("confine: %s", step);
	return r;
}

/* Every step, in order, for ROLE (FILTER_ROLE_*) with NOFILE files. */
static int confine_role(int devfd, int lockfd, int sysfd, unsigned int role,
			rlim_t nofile)
{
	int r;

	if ((r = confine_rlimits_nofile(nofile)) < 0)
		return confine_failed("rlimits", r);
	if ((r = confine_caps_role(role)) < 0)
		return confine_failed("capabilities", r);
	if ((r = confine_nnp()) < 0)
		return confine_failed("no_new_privs", r);
	r = confine_landlock(devfd, lockfd, sysfd);
	if (r == -EOPNOTSUPP)
		log_warnx("confine: kernel without Landlock, file access not restricted");
	else if (r < 0)
		return confine_failed("landlock", r);
	if ((r = filter_load_role(role)) < 0)
		return confine_failed("seccomp", r);
	return 0;
}

int confine_backend(int devfd, int lockfd, int sysfd)
{
	return confine_role(devfd, lockfd, sysfd, FILTER_ROLE_FORK, CONFINE_NOFILE);
}

int confine_daemon(int devfd, int lockfd, int sysfd, rlim_t nofile)
{
	return confine_role(devfd, lockfd, sysfd, FILTER_ROLE_DAEMON, nofile);
}
