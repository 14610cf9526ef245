/* SPDX-License-Identifier: MIT */
/*
 * backend.h - the privileged half of ttybroker.
 *
 * backend_main() runs in the child that tb_init() forks.  It sanitizes the
 * process, loads the policy and opens what it needs while still root,
 * confines itself, announces PROTO_READY and then serves its one frontend
 * until that frontend goes away.  It never returns.
 */
#ifndef TB_BACKEND_H
#define TB_BACKEND_H

#include <sys/types.h>

#include "policy.h"

#define BACKEND_MAX_SESSIONS 32
/* Seconds the backend waits to send one reply before dropping the frontend. */
#define BACKEND_SEND_TIMEOUT 5

struct backend_config {
	const char *policy_path;
	const char *lockdir;
	const char *devdir;       /* "/dev"; tests never change it */
	/* The sysfs root; NULL: OPEN_SYSFS_ROOT.  Only tests that call
	 * backend_main() themselves set it: tb.c and the helper never do, and
	 * no option or environment variable reaches it (docs/DESIGN.md, "A
	 * port's identity"). */
	const char *sysdir;
	unsigned int log_flags;   /* TB_LOG_* */
	/* The frontend, as every SCM_CREDENTIALS must show it. */
	pid_t peer_pid;
	uid_t peer_uid;
	gid_t peer_gid;
	struct policy_subject subject; /* for :group rules */
	/* For audit lines only: the frontend's user name ("" if it has no
	 * passwd entry) and program name (comm) at tb_init() time. */
	char peer_user[64];
	char peer_comm[16];
};

_Noreturn void backend_main(int sock, const struct backend_config *cfg);

#endif
