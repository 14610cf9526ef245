/* SPDX-License-Identifier: MIT */
/*
 * cli_elf.h - what PROGRAM's ELF header says about the dynamic loader, for
 * `ttybroker exec`'s warnings (cli_exec.c).  PROGRAM is any file the user
 * names: its header is untrusted input (fuzz/fuzz_elf.c).
 */
#ifndef TB_CLI_ELF_H
#define TB_CLI_ELF_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* The kernel's bound on a program header table (fs/binfmt_elf.c). */
#define CLI_ELF_PHDRS_MAX 65536

enum cli_elf_kind {
	CLI_ELF_OTHER = 0,   /* not an ELF image this machine's kernel runs as read */
	CLI_ELF_DYNAMIC = 1, /* has PT_INTERP: the loader runs, LD_PRELOAD applies */
	CLI_ELF_STATIC = 2,  /* no PT_INTERP: no loader, the preload cannot reach it */
};

/*
 * Read up to LEN bytes at offset OFF of the image into BUF: how many were
 * read (fewer only at its end), or -1.
 */
typedef ssize_t cli_elf_read_fn(void *ctx, void *buf, size_t len, uint64_t off);

/*
 * The kind of the image READ gives: an ELF header of this machine's byte
 * order (32- or 64-bit), of type ET_EXEC or ET_DYN, with a program header
 * table of 1 to CLI_ELF_PHDRS_MAX bytes of entries of the class's size,
 * wholly inside the image; else CLI_ELF_OTHER.  Returns a cli_elf_kind or
 * -ENOMEM.
 */
int cli_elf_kind(cli_elf_read_fn *read, void *ctx);

/* cli_elf_kind of the open file FD (pread; the offset is not moved). */
int cli_elf_kind_fd(int fd);

/* cli_elf_kind of the LEN bytes at BUF. */
int cli_elf_kind_buf(const void *buf, size_t len);

#endif
