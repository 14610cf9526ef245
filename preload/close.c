/* SPDX-License-Identifier: MIT */
/*
 * close.c - the calls that end a descriptor: close, close_range, and
 * dup2/dup3 onto an open descriptor.  Closing the program's last
 * descriptor of a brokered port releases the port.  The preload's own
 * descriptors (the kept ports) are not the program's: close() of one
 * fails with EBADF, as it would had the program never opened it.
 */
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include "preload.h"

TBP_EXPORT int close(int fd)
{
	tbp_resolve();
	if (tbp_inside())
		return tbp_real.close(fd);
	if (tbp_is_kept(fd)) {
		errno = EBADF;
		return -1;
	}
	tbp_forget(fd);
	return tbp_real.close(fd);
}

TBP_EXPORT int close_range(unsigned int first, unsigned int last, int flags)
{
	tbp_resolve();
	if (!tbp_inside() && !(flags & CLOSE_RANGE_CLOEXEC))
		tbp_forget_range(first, last);
	return tbp_real.close_range(first, last, flags);
}

TBP_EXPORT int dup2(int old, int new)
{
	tbp_resolve();
	if (!tbp_inside() && old != new && fcntl(old, F_GETFD) >= 0)
		tbp_forget(new);
	return tbp_real.dup2(old, new);
}

TBP_EXPORT int dup3(int old, int new, int flags)
{
	tbp_resolve();
	if (!tbp_inside() && old != new && fcntl(old, F_GETFD) >= 0)
		tbp_forget(new);
	return tbp_real.dup3(old, new, flags);
}
