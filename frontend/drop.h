/* SPDX-License-Identifier: MIT */
/*
 * drop.h - choosing the frontend's target user and dropping to it for good.
 */
#ifndef TB_DROP_H
#define TB_DROP_H

#include <stdbool.h>
#include <sys/types.h>

#include "policy.h"

struct drop_target {
	bool setuid;                   /* started setuid (AT_SECURE) or by a non-root user */
	struct policy_subject subj;    /* uid, gid and the user's own groups */
};

/*
 * Decide whom to drop to.  Setuid (or any non-root real uid): the real
 * uid and gid, whatever USER says.  Real root: USER (a name or a numeric
 * uid), else SUDO_UID/SUDO_GID, else -EINVAL.  Dropping to uid 0 is
 * refused with -EINVAL.  Unknown user: -ENOENT.  Resolves groups too, so
 * call it while the name service is still reachable.
 */
int drop_target_resolve(const char *user, struct drop_target *t);

/*
 * Become T for good: its groups, gid and uid (all real/effective/saved/fs
 * ids), no capabilities in any set including bounding and ambient, and
 * no_new_privs.  Verifies the result.  0 or -errno; the caller must treat
 * failure as fatal.
 */
int drop_privileges(const struct drop_target *t);

/* Is this process running setuid/setgid (AT_SECURE)? */
bool drop_is_secure(void);

#endif
