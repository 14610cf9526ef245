/* SPDX-License-Identifier: MIT */
/*
 * real.c - the libc functions the preload wraps, found with
 * dlsym(RTLD_NEXT) so the program's calls still reach them, and the
 * per-thread guard that lets the preload's own calls pass through.
 */
#include <dlfcn.h>
#include <pthread.h>
#include <stdbool.h>

#include "preload.h"

struct tbp_real tbp_real;
static pthread_once_t tbp_once = PTHREAD_ONCE_INIT;

static void tbp_resolve_once(void)
{
	tbp_real.open = (int (*)(const char *, int, ...))dlsym(RTLD_NEXT, "open");
	tbp_real.openat = (int (*)(int, const char *, int, ...))dlsym(RTLD_NEXT, "openat");
	tbp_real.close = (int (*)(int))dlsym(RTLD_NEXT, "close");
	tbp_real.close_range = (int (*)(unsigned int, unsigned int, int))
		dlsym(RTLD_NEXT, "close_range");
	tbp_real.dup2 = (int (*)(int, int))dlsym(RTLD_NEXT, "dup2");
	tbp_real.dup3 = (int (*)(int, int, int))dlsym(RTLD_NEXT, "dup3");
	tbp_real.access = (int (*)(const char *, int))dlsym(RTLD_NEXT, "access");
	tbp_real.faccessat = (int (*)(int, const char *, int, int))dlsym(RTLD_NEXT, "faccessat");
	tbp_real.eaccess = (int (*)(const char *, int))dlsym(RTLD_NEXT, "eaccess");
	tbp_state_init();
}

/* Resolve the real functions and set up the table, once (thread-safe). */
void tbp_resolve(void)
{
	pthread_once(&tbp_once, tbp_resolve_once);
}
