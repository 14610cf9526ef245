/* SPDX-License-Identifier: MIT */
/*
 * fuzz_listenfds.c - daemon_listen_fds(), the strict reading of the
 * LISTEN_PID and LISTEN_FDS variables of socket activation.
 *
 * Input: byte 0's bit 0 unsets LISTEN_PID, bit 1 LISTEN_FDS, bit 2 makes
 * SELF the pid the input names (else 4242); the rest is LISTEN_PID, a
 * NUL, then LISTEN_FDS (up to the next NUL or the end).  Checked: the
 * result is one of 1, 0, -EINVAL, -E2BIG; it agrees with an independent
 * reading of daemon.h (plain decimal digits, no leading zero, in range;
 * LISTEN_PID > 0); 1 only for LISTEN_FDS "1" and our own pid; a pid that
 * is not ours gives 0 whatever LISTEN_FDS says.
 */
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "daemon.h"
#include "fuzzutil.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Plain decimal, no leading zero, value <= MAX: the value, else -1. */
static long long reference_num(const char *s, long long max)
{
	long long v = 0;
	size_t n = strlen(s);

	if (n == 0 || n > 19 || (s[0] == '0' && n > 1))
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
		if (v > max)
			return -1;
	}
	return v;
}

static int reference(const char *pid, const char *fds, pid_t self)
{
	long long p, n;

	if (!pid)
		return 0;
	p = reference_num(pid, INT_MAX);
	if (p <= 0)
		return -EINVAL;
	if (p != self)
		return 0;
	n = fds ? reference_num(fds, INT_MAX - 3) : -1;
	if (n < 0)
		return -EINVAL;
	return n > 1 ? -E2BIG : (int)n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *pid = NULL, *fds = NULL;
	size_t plen;
	char *buf;
	pid_t self = 4242;
	int r;

	if (size < 1)
		return 0;
	buf = malloc(size + 1); /* exact size, NUL-terminated twice over */
	fuzz_assert(buf != NULL);
	memcpy(buf, data + 1, size - 1);
	buf[size - 1] = '\0';
	buf[size] = '\0';
	plen = strlen(buf);
	if (!(data[0] & 1))
		pid = buf;
	if (!(data[0] & 2))
		fds = plen < size - 1 ? buf + plen + 1 : buf + plen;
	if ((data[0] & 4) && pid) {
		long long p = reference_num(pid, INT_MAX);

		if (p > 0)
			self = (pid_t)p;
	}
	r = daemon_listen_fds(pid, fds, self);
	fuzz_assert(r == 1 || r == 0 || r == -EINVAL || r == -E2BIG);
	fuzz_assert(r == reference(pid, fds, self));
	if (r == 1)
		fuzz_assert(fds && !strcmp(fds, "1"));
	free(buf);
	return 0;
}
