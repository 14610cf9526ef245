/* SPDX-License-Identifier: MIT */
/*
 * fuzzutil.h - small helpers shared by the libFuzzer harnesses: a check
 * that an iteration left no descriptor open, and a private temporary
 * directory removed again at exit.  Header-only so that every harness is
 * one translation unit plus the library.
 */
#ifndef TB_FUZZUTIL_H
#define TB_FUZZUTIL_H

#include <fcntl.h>
#include <ftw.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Descriptors below this are compared; harnesses never get near it. */
#define FUZZ_FD_SCAN 256
/* Most descriptors one iteration holds at once, above the highest open. */
#define FUZZ_FD_SLACK 32

struct fuzz_fds {
	int top; /* scan [0, top): the highest open fd plus the slack */
	bool open[FUZZ_FD_SCAN];
};

/* Abort with a message: libFuzzer records the input as a crash. */
#define fuzz_assert(cond)                                                     \
	do {                                                                  \
		if (!(cond)) {                                                \
			fprintf(stderr, "%s:%d: property failed: %s\n",       \
				__FILE__, __LINE__, #cond);                   \
			abort();                                              \
		}                                                             \
	} while (0)

/*
 * Which descriptors are open now: scanned up to FUZZ_FD_SLACK past the
 * highest open one (a sparser table would hide a leak above the gap).
 */
static inline void fuzz_fds_snapshot(struct fuzz_fds *s)
{
	int high = -1, fd;

	memset(s->open, 0, sizeof(s->open));
	for (fd = 0; fd < FUZZ_FD_SCAN && fd <= high + FUZZ_FD_SLACK; fd++) {
		s->open[fd] = fcntl(fd, F_GETFD) >= 0;
		if (s->open[fd])
			high = fd;
	}
	s->top = fd;
}

/* Abort if any descriptor is open now that was not open in BEFORE. */
static inline void fuzz_fds_check(const struct fuzz_fds *before)
{
	for (int fd = 0; fd < before->top; fd++) {
		if (!before->open[fd] && fcntl(fd, F_GETFD) >= 0) {
			fprintf(stderr, "fd %d leaked\n", fd);
			abort();
		}
	}
}

static char fuzz_tmp[64];

/* nftw callback: remove one entry, children first; errors are ignored. */
static inline int fuzz_rm_one(const char *path, const struct stat *st,
			      int type, struct FTW *ftw)
{
	(void)st, (void)type, (void)ftw;
	remove(path);
	return 0;
}

/* atexit: remove the temporary directory and everything below it. */
static inline void fuzz_tmp_remove(void)
{
	if (fuzz_tmp[0])
		nftw(fuzz_tmp, fuzz_rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* Create a private directory for this run (once); returns its path. */
static inline const char *fuzz_tmpdir(const char *tag)
{
	const char *base = getenv("TMPDIR");

	if (fuzz_tmp[0])
		return fuzz_tmp;
	snprintf(fuzz_tmp, sizeof(fuzz_tmp), "%s/%s.XXXXXX",
		 base && *base && strlen(base) < 32 ? base : "/tmp", tag);
	if (!mkdtemp(fuzz_tmp)) {
		perror("mkdtemp");
		abort();
	}
	atexit(fuzz_tmp_remove);
	return fuzz_tmp;
}

#endif
