/* SPDX-License-Identifier: MIT */
/*
 * fuzz_elf.c - `ttybroker exec`'s ELF reader (frontend/cli_elf.c) on
 * arbitrary file content: PROGRAM is any file the user names.
 *
 * Checked: cli_elf_kind_buf() returns a cli_elf_kind and agrees with a
 * second, independent reading written here from the ELF layout (byte
 * offsets, this machine's byte order, the kernel's bounds); for about one
 * input in four the content is also put in a memfd and cli_elf_kind_fd()
 * must give the same answer without moving the file offset or leaving a
 * descriptor open.  The input is copied to an exact-size allocation, so
 * ASan sees any read past its end.
 */
#include <elf.h>
#include <endian.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "cli_elf.h"
#include "fuzzutil.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int memfd = -1;

/* An unsigned field of N bytes at OFF in this machine's byte order. */
static uint64_t field(const uint8_t *b, size_t off, size_t n)
{
	uint64_t v = 0;

	for (size_t i = 0; i < n; i++) {
#if __BYTE_ORDER == __LITTLE_ENDIAN
		v |= (uint64_t)b[off + i] << (8 * i);
#else
		v = (v << 8) | b[off + i];
#endif
	}
	return v;
}

/* The same question, answered from the layout in the ELF specification. */
static int reference_kind(const uint8_t *b, size_t len)
{
	size_t hsize, phoff_at, phoff_n, ent_at, want_ent;
	uint64_t phoff, type, ent, num;

	if (len < 16 || b[0] != 0x7f || b[1] != 'E' || b[2] != 'L' || b[3] != 'F')
		return CLI_ELF_OTHER;
#if __BYTE_ORDER == __LITTLE_ENDIAN
	if (b[5] != 1)
		return CLI_ELF_OTHER;
#else
	if (b[5] != 2)
		return CLI_ELF_OTHER;
#endif
	if (b[4] == 2) {
		hsize = 64, phoff_at = 32, phoff_n = 8, ent_at = 54, want_ent = 56;
	} else if (b[4] == 1) {
		hsize = 52, phoff_at = 28, phoff_n = 4, ent_at = 42, want_ent = 32;
	} else {
		return CLI_ELF_OTHER;
	}
	if (len < hsize)
		return CLI_ELF_OTHER;
	type = field(b, 16, 2);
	phoff = field(b, phoff_at, phoff_n);
	ent = field(b, ent_at, 2);
	num = field(b, ent_at + 2, 2);
	if ((type != 2 && type != 3) || ent != want_ent || num == 0 || num * ent > 65536)
		return CLI_ELF_OTHER;
	if (phoff > len || len - phoff < num * ent)
		return CLI_ELF_OTHER;
	for (uint64_t i = 0; i < num; i++)
		if (field(b, (size_t)(phoff + i * ent), 4) == 3)
			return CLI_ELF_DYNAMIC;
	return CLI_ELF_STATIC;
}

/* The content as a file: the fd reader must agree and leave no trace. */
static int through_fd(const uint8_t *data, size_t size)
{
	struct fuzz_fds before;
	int r;

	if (memfd < 0) {
		memfd = memfd_create("fuzz_elf", MFD_CLOEXEC);
		fuzz_assert(memfd >= 0);
	}
	fuzz_assert(ftruncate(memfd, 0) == 0);
	fuzz_assert(pwrite(memfd, data, size, 0) == (ssize_t)size);
	fuzz_assert(lseek(memfd, 7, SEEK_SET) == 7);
	fuzz_fds_snapshot(&before);
	r = cli_elf_kind_fd(memfd);
	fuzz_fds_check(&before);
	fuzz_assert(lseek(memfd, 0, SEEK_CUR) == 7);
	return r;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *buf;
	int r, want;

	buf = malloc(size ? size : 1); /* exact size: no read past LEN */
	fuzz_assert(buf);
	memcpy(buf, data, size);
	r = cli_elf_kind_buf(buf, size);
	free(buf);
	fuzz_assert(r == CLI_ELF_OTHER || r == CLI_ELF_DYNAMIC || r == CLI_ELF_STATIC);
	want = reference_kind(data, size);
	fuzz_assert(r == want);
	if (((size + (size ? data[size - 1] : 0)) & 3) == 0)
		fuzz_assert(through_fd(data, size) == r);
	return 0;
}
