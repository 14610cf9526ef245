/* SPDX-License-Identifier: MIT */
/*
 * policy_load.c - the safe load of a policy file: no symlink, root-owned, not
 * writable by others, bounded; then policy_parse().
 */
#include "policy.h"
#include "policy_int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>


/*
 * Refuse a file that an unprivileged user could have written or that is
 * not a plain file.  Returns 0, -EPERM or -EFBIG (reported).
 */
static int check_file(const struct stat *st, const char *path,
		      policy_error_fn err, void *arg)
{
	if (!S_ISREG(st->st_mode)) {
		policy_file_error(err, arg, path, "not a regular file");
		return -EPERM;
	}
	if (st->st_uid != 0) {
		policy_file_error(err, arg, path, "not owned by root");
		return -EPERM;
	}
	if (st->st_mode & (S_IWGRP | S_IWOTH)) {
		policy_file_error(err, arg, path, "writable by group or others");
		return -EPERM;
	}
	if (st->st_size > POLICY_MAX_SIZE) {
		policy_file_error(err, arg, path, "larger than %d bytes", POLICY_MAX_SIZE);
		return -EFBIG;
	}
	return 0;
}

/*
 * Read all of FD into a new buffer (*BUF, *LEN).  st_size is only a
 * hint: the loop stops at EOF or at POLICY_MAX_SIZE + 1 bytes, which
 * means the file is too big.  Returns 0, -EFBIG (reported) or -errno.
 */
static int read_all(int fd, off_t hint, const char *path, policy_error_fn err,
		    void *arg, char **buf, size_t *len)
{
	const size_t limit = (size_t)POLICY_MAX_SIZE + 1;
	size_t cap = (hint > 0 && hint <= POLICY_MAX_SIZE) ? (size_t)hint + 1 : 4096;
	size_t got = 0;
	char *data, e[64];
	int rc;

	data = malloc(cap);
	if (!data)
		return -ENOMEM;
	for (;;) {
		ssize_t n;

		if (got == cap) {
			size_t ncap = cap * 2 < limit ? cap * 2 : limit;
			char *bigger;

			if (cap == limit) {
				policy_file_error(err, arg, path, "larger than %d bytes",
					   POLICY_MAX_SIZE);
				rc = -EFBIG;
				goto fail;
			}
			bigger = realloc(data, ncap);
			if (!bigger) {
				rc = -ENOMEM;
				goto fail;
			}
			data = bigger;
			cap = ncap;
		}
		n = read(fd, data + got, cap - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = -errno;
			policy_file_error(err, arg, path, "read failed: %s",
				   policy_errstr(-rc, e, sizeof(e)));
			goto fail;
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	*buf = data;
	*len = got;
	return 0;
fail:
	free(data);
	return rc;
}

/*
 * What a failed open(2) of a policy file (O_NOFOLLOW) means, in words an
 * admin acts on.  Shared with `ttybroker lint`, so both say the same.
 */
const char *policy_open_strerror(int errnum, char *buf, size_t len)
{
	char e[64];

	switch (errnum) {
	case ENOENT:
		return "no such file";
	case ELOOP: /* O_NOFOLLOW: the last component is a link */
		return "is a symbolic link (not followed)";
	case ENOTDIR:
		return "a path component is not a directory";
	case EACCES:
		return "permission denied";
	default:
		snprintf(buf, len, "cannot open: %s", policy_errstr(errnum, e, sizeof(e)));
		return buf;
	}
}

/* Turn a failed open(2) of the policy into a message and an errno. */
static int open_error(int errnum, const char *path, policy_error_fn err,
		      void *arg)
{
	char msg[96];

	policy_file_error(err, arg, path, "%s", policy_open_strerror(errnum, msg, sizeof(msg)));
	return errnum == ELOOP ? -EPERM : -errnum;
}

/*
 * Open PATH without following a final symlink and without blocking (a
 * FIFO must not hang the broker), vet the file, read it and parse it.
 */
int policy_load(const char *path, policy_error_fn err, void *arg,
		struct policy **out)
{
	struct stat st;
	char *text = NULL, e[64];
	size_t len = 0;
	int fd, rc;

	*out = NULL;
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return open_error(errno, path, err, arg);
	if (fstat(fd, &st) < 0) {
		rc = -errno;
		policy_file_error(err, arg, path, "cannot stat: %s",
			   policy_errstr(-rc, e, sizeof(e)));
		goto close_fd;
	}
	rc = check_file(&st, path, err, arg);
	if (rc < 0)
		goto close_fd;
	rc = read_all(fd, st.st_size, path, err, arg, &text, &len);
	if (rc < 0)
		goto close_fd;
	rc = policy_parse(text, len, path, err, arg, out);
	free(text);
close_fd:
	close(fd);
	fd = -1;
	return rc;
}
