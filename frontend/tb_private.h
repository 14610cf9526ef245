/* SPDX-License-Identifier: MIT */
/*
 * tb_private.h - libttybroker calls for the preload library only: linked
 * from the static archive, hidden, and not part of the public API.
 */
#ifndef TB_PRIVATE_H
#define TB_PRIVATE_H

struct tb_broker;

/*
 * Move FD, B's connection (tb_fd()) or a port tb_open() returned, to the
 * lowest free number at or above FLOOR (close-on-exec), closing the old
 * number; B follows.  The preload keeps its own descriptors out of the
 * low numbers a program (a shell's `exec 3<>`) treats as its own.
 * Returns the new number (FD itself if already at or above FLOOR), -EBADF
 * if FD is not B's, or -errno (FD unchanged).
 */
int tb_fd_raise(struct tb_broker *b, int fd, int floor);

#endif
