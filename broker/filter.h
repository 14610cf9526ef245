/* SPDX-License-Identifier: MIT */
/*
 * filter.h - the backend's seccomp allow-list.  Everything outside the
 * list kills the process (SCMP_ACT_KILL_PROCESS), and so does any syscall
 * of another architecture (i386 int $0x80, x32).  The table in filter.c
 * and the syscall table in docs/DESIGN.md
 * must be kept in step; tests/test_filter.c compares them.
 */
#ifndef TB_FILTER_H
#define TB_FILTER_H

#include <stddef.h>

#include <seccomp.h>

#define FILTER_MAX_ARGS 3

/*
 * TB_UNFILTERED (make SANITIZE=1 or VALGRIND=1, never a normal build)
 * compiles the loading of the filter out: the sanitizer runtimes and
 * valgrind make syscalls the allow-list kills.  There is deliberately no
 * run-time switch.  FILTER_LOADED says whether filter_load() loads it;
 * FILTER_BUILD_NOTE is what `ttybroker -V` appends to its version.
 */
#ifdef TB_UNFILTERED
#define FILTER_LOADED 0
#define FILTER_BUILD_NOTE " (unfiltered build: sanitizers/valgrind only)"
#else
#define FILTER_LOADED 1
#define FILTER_BUILD_NOTE ""
#endif

/*
 * One allow rule: syscall NAME (as libseccomp and docs/DESIGN.md spell
 * it) is allowed when all NARGS comparisons hold.  A syscall may have
 * several rules; any one of them allows the call.
 */
struct filter_rule {
	const char *name;
	unsigned int nargs;
	struct scmp_arg_cmp args[FILTER_MAX_ARGS];
	const char *why;
	unsigned int roles; /* FILTER_ROLE_* mask; 0: every role */
};

/*
 * Who loads the filter: the backend forked for one frontend (and the
 * setuid helper), or the daemon's engine process, which also accepts
 * connections and asks the kernel who connected.  Rows only one role
 * needs say so in docs/DESIGN.md ("daemon only: ...").
 */
#define FILTER_ROLE_FORK   0x1u
#define FILTER_ROLE_DAEMON 0x2u

/* The rule table; *OUT points at it.  Returns the number of rules. */
size_t filter_rules(const struct filter_rule **out);

/* Build the filter of ROLE (not loaded).  Returns NULL and sets errno. */
scmp_filter_ctx filter_build_role(unsigned int role);

/* filter_build_role(FILTER_ROLE_FORK). */
scmp_filter_ctx filter_build(void);

/*
 * Load the libc state the filter would refuse to load later, build and
 * load the backend filter, then check with filter_verify() that it is in
 * force.  0 or -errno.  In a TB_UNFILTERED build: loads nothing, returns 0.
 */
int filter_load(void);

/* The same for ROLE's filter.  0 or -errno. */
int filter_load_role(unsigned int role);

/*
 * In a TB_UNFILTERED build, log a warning that there is no filter (to the
 * backend's configured sinks, once it is serving); otherwise nothing.
 */
void filter_build_warn(void);

/*
 * Is a seccomp filter in force on this process (PR_GET_SECCOMP says 2)?
 * 0 if so, -EPERM if not (no filter, or strict mode), or -errno.
 */
int filter_verify(void);

#endif
