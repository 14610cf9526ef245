/* SPDX-License-Identifier: MIT */
/*
 * filter.h - the backend's seccomp allow-list.  Everything outside the
 * list kills the process (SCMP_ACT_KILL_PROCESS).  The table in filter.c
 * and the syscall table in docs/DESIGN.md must be kept in step.
 */
#ifndef TB_FILTER_H
#define TB_FILTER_H

#include <seccomp.h>

/* Build the backend filter (not loaded).  Returns NULL and sets errno. */
scmp_filter_ctx filter_build(void);

/* Build and load the backend filter.  0 or -errno. */
int filter_load(void);

#endif
