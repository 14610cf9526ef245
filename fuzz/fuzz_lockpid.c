/* SPDX-License-Identifier: MIT */
/*
 * fuzz_lockpid.c - the PID parser behind lock_read_pid() on arbitrary
 * LCK.. file content: somebody else's lock file is untrusted input.
 *
 * Checked: lock_parse_pid() returns 0 or -EINVAL, touches *PID only on
 * success, and a PID it returns is > 0; it agrees with the format
 * documented in lock.h/lock.c (blanks, decimal digits, trailing
 * whitespace, at most INT_MAX; or a 4-byte native PID up to
 * PID_MAX_LIMIT).  For about one input in four the content is also
 * written to a real lock file and lock_read_pid() must give the same
 * answer (or -EINVAL for more than LOCK_READ_MAX bytes), leaving no fd.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fuzzutil.h"
#include "lock.h"

#define PID_MAX_LIMIT 4194304

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int dirfd_tmp = -1;

/* The content format, written again: 0 and *PID, or -EINVAL. */
static int reference_pid(const uint8_t *b, size_t len, pid_t *pid)
{
	long long v = 0;
	size_t i = 0, start;
	int32_t bin;

	while (i < len && (b[i] == ' ' || b[i] == '\t'))
		i++;
	start = i;
	while (i < len && b[i] >= '0' && b[i] <= '9' && v <= INT_MAX)
		v = v * 10 + (b[i++] - '0');
	if (i > start && v <= INT_MAX) {
		while (i < len && strchr(" \t\r\n", b[i]) && b[i])
			i++;
		if (i == len) {
			if (v == 0)
				return -EINVAL;
			*pid = (pid_t)v;
			return 0;
		}
	}
	if (len != sizeof(bin))
		return -EINVAL;
	memcpy(&bin, b, sizeof(bin));
	if (bin <= 0 || bin > PID_MAX_LIMIT)
		return -EINVAL;
	*pid = bin;
	return 0;
}

/* Write DATA to DIR/LCK..fuzz and read it back with lock_read_pid. */
static int read_back(const uint8_t *data, size_t size, pid_t *pid)
{
	int fd, r;

	fd = openat(dirfd_tmp, "LCK..fuzz",
		    O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644);
	fuzz_assert(fd >= 0);
	fuzz_assert(write(fd, data, size) == (ssize_t)size);
	close(fd);
	r = lock_read_pid(dirfd_tmp, "LCK..fuzz", pid);
	fuzz_assert(unlinkat(dirfd_tmp, "LCK..fuzz", 0) == 0);
	return r;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	pid_t pid = -42, want = -42;
	struct fuzz_fds before;
	char *buf;
	int r, w;

	if (dirfd_tmp < 0) {
		dirfd_tmp = open(fuzz_tmpdir("fuzz_lockpid"),
				 O_PATH | O_DIRECTORY | O_CLOEXEC);
		fuzz_assert(dirfd_tmp >= 0);
	}
	buf = malloc(size ? size : 1); /* exact size: no read past LEN */
	fuzz_assert(buf);
	memcpy(buf, data, size);
	r = lock_parse_pid(buf, size, &pid);
	fuzz_assert(r == 0 || r == -EINVAL);
	fuzz_assert(r == 0 ? pid > 0 : pid == -42);
	w = reference_pid(data, size, &want);
	fuzz_assert(r == w && (r < 0 || pid == want));
	free(buf);

	if (((size + (size ? data[0] : 0)) & 3) == 0) {
		pid_t got = -42;

		fuzz_fds_snapshot(&before);
		w = read_back(data, size, &got);
		fuzz_fds_check(&before);
		if (size > LOCK_READ_MAX)
			fuzz_assert(w == -EINVAL && got == -42);
		else
			fuzz_assert(w == r && (r < 0 || got == pid));
	}
	return 0;
}
