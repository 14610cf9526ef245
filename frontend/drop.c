/* SPDX-License-Identifier: MIT */
/*
 * drop.c - the frontend's one-way trip from root to its target user.
 * libcap-ng does the uid/gid change and clears the capability sets; we
 * set the user's own supplementary groups first and check afterwards that
 * nothing of root is left.
 */
#include <errno.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <cap-ng.h>

#include "drop.h"

bool drop_is_secure(void)
{
	return getauxval(AT_SECURE) != 0;
}

/* Parse a decimal id; -EINVAL unless all digits and in range. */
static int drop_parse_id(const char *s, unsigned long *out)
{
	char *end;

	if (!s || !*s || strspn(s, "0123456789") != strlen(s))
		return -EINVAL;
	errno = 0;
	*out = strtoul(s, &end, 10);
	if (errno || *out >= (unsigned long)(uid_t)-1)
		return -EINVAL;
	return 0;
}

/* Look USER up by name or number: uid and primary gid. */
static int drop_lookup(const char *user, uid_t *uid, gid_t *gid)
{
	struct passwd pw, *res = NULL;
	char buf[4096];
	unsigned long id;

	if (drop_parse_id(user, &id) == 0) {
		*uid = (uid_t)id;
		*gid = (gid_t)id; /* no passwd entry: the uid's own number */
		if (getpwuid_r(*uid, &pw, buf, sizeof(buf), &res) == 0 && res)
			*gid = res->pw_gid;
		return 0;
	}
	if (getpwnam_r(user, &pw, buf, sizeof(buf), &res) != 0 || !res)
		return -ENOENT;
	*uid = res->pw_uid;
	*gid = res->pw_gid;
	return 0;
}

/* The sudo case: both SUDO_UID and SUDO_GID must be valid numbers. */
static int drop_from_sudo(uid_t *uid, gid_t *gid)
{
	unsigned long u, g;

	if (drop_parse_id(getenv("SUDO_UID"), &u) < 0 ||
	    drop_parse_id(getenv("SUDO_GID"), &g) < 0)
		return -EINVAL;
	*uid = (uid_t)u;
	*gid = (gid_t)g;
	return 0;
}

int drop_target_resolve(const char *user, struct drop_target *t)
{
	uid_t uid;
	gid_t gid;
	int r;

	memset(t, 0, sizeof(*t));
	t->setuid = drop_is_secure() || getuid() != 0;
	if (t->setuid) {
		uid = getuid();
		gid = getgid();
	} else if (user) {
		if ((r = drop_lookup(user, &uid, &gid)) < 0)
			return r;
	} else if ((r = drop_from_sudo(&uid, &gid)) < 0) {
		return r;
	}
	if (uid == 0)
		return -EINVAL;
	return policy_subject_init(&t->subj, uid, gid);
}

/* After the change: every uid and gid is the target's and root is gone. */
static int drop_verify(const struct drop_target *t)
{
	uid_t ru, eu, su;
	gid_t rg, eg, sg;

	if (getresuid(&ru, &eu, &su) < 0 || getresgid(&rg, &eg, &sg) < 0)
		return -errno;
	if (ru != t->subj.uid || eu != t->subj.uid || su != t->subj.uid ||
	    rg != t->subj.gid || eg != t->subj.gid || sg != t->subj.gid)
		return -EPERM;
	if (setuid(0) == 0 || seteuid(0) == 0)
		return -EPERM;
	if (capng_get_caps_process() < 0)
		return -EPERM;
	if (capng_have_capabilities(CAPNG_SELECT_CAPS) != CAPNG_NONE ||
	    capng_have_capabilities(CAPNG_SELECT_BOUNDS) != CAPNG_NONE)
		return -EPERM;
	if (prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) != 1)
		return -EPERM;
	return 0;
}

int drop_privileges(const struct drop_target *t)
{
	if (setgroups(t->subj.ngroups, t->subj.groups) < 0)
		return -errno;
	capng_clear(CAPNG_SELECT_ALL);
	if (capng_change_id((int)t->subj.uid, (int)t->subj.gid,
			    CAPNG_CLEAR_BOUNDING | CAPNG_CLEAR_AMBIENT) < 0)
		return -EPERM;
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return -errno;
	return drop_verify(t);
}
