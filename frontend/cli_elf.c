/* SPDX-License-Identifier: MIT */
/*
 * cli_elf.c - read an executable's ELF header and program headers to tell
 * a static program (no PT_INTERP: no loader, so LD_PRELOAD never applies)
 * from a dynamic one.  One parser over a read callback, so the same code
 * reads a file with pread(2) and a buffer in the fuzzer and the tests.
 * Every offset and size from the file is checked before it is used.
 * Also cli_preload_blind(), exec's question about PROGRAM (cli.h).
 */
#include <elf.h>
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "cli.h"
#include "cli_elf.h"

#if __BYTE_ORDER == __LITTLE_ENDIAN
#define CLI_ELF_DATA ELFDATA2LSB
#else
#define CLI_ELF_DATA ELFDATA2MSB
#endif

/* Where the program header table is, from a checked header. */
struct elf_table {
	bool is64;
	uint64_t off;
	size_t entsize;
	size_t num;
};

/* Read exactly LEN bytes at OFF: true, or false on a short read or an error. */
static bool read_exact(cli_elf_read_fn *rd, void *ctx, void *buf, size_t len, uint64_t off)
{
	ssize_t n = rd(ctx, buf, len, off);

	return n >= 0 && (size_t)n == len;
}

/*
 * Check the header in BUF (LEN bytes read at offset 0) and find the
 * program header table in *T.  False for anything the kernel would not
 * run as this machine's ELF image, or a table out of bounds.
 */
static bool elf_header(const unsigned char *buf, size_t len, struct elf_table *t)
{
	uint16_t type, entsize, num;

	if (len < EI_NIDENT || memcmp(buf, ELFMAG, SELFMAG) != 0 ||
	    buf[EI_DATA] != CLI_ELF_DATA)
		return false;
	if (buf[EI_CLASS] == ELFCLASS64 && len >= sizeof(Elf64_Ehdr)) {
		Elf64_Ehdr eh;

		memcpy(&eh, buf, sizeof(eh));
		t->is64 = true;
		t->off = eh.e_phoff;
		type = eh.e_type;
		entsize = eh.e_phentsize;
		num = eh.e_phnum;
		if (entsize != sizeof(Elf64_Phdr))
			return false;
	} else if (buf[EI_CLASS] == ELFCLASS32 && len >= sizeof(Elf32_Ehdr)) {
		Elf32_Ehdr eh;

		memcpy(&eh, buf, sizeof(eh));
		t->is64 = false;
		t->off = eh.e_phoff;
		type = eh.e_type;
		entsize = eh.e_phentsize;
		num = eh.e_phnum;
		if (entsize != sizeof(Elf32_Phdr))
			return false;
	} else {
		return false;
	}
	if (type != ET_EXEC && type != ET_DYN)
		return false;
	if (num == 0 || (size_t)num * entsize > CLI_ELF_PHDRS_MAX)
		return false;
	if (t->off > (uint64_t)INT64_MAX - CLI_ELF_PHDRS_MAX) /* beyond any file */
		return false;
	t->entsize = entsize;
	t->num = num;
	return true;
}

/* Does the table TAB (T->num entries) hold a PT_INTERP entry? */
static bool elf_has_interp(const unsigned char *tab, const struct elf_table *t)
{
	for (size_t i = 0; i < t->num; i++) {
		uint32_t ptype;

		/* p_type is the first 32-bit field in both classes. */
		memcpy(&ptype, tab + i * t->entsize, sizeof(ptype));
		if (ptype == PT_INTERP)
			return true;
	}
	return false;
}

int cli_elf_kind(cli_elf_read_fn *rd, void *ctx)
{
	unsigned char hdr[sizeof(Elf64_Ehdr)];
	struct elf_table t;
	unsigned char *tab;
	ssize_t n;
	int r;

	n = rd(ctx, hdr, sizeof(hdr), 0);
	if (n < 0 || !elf_header(hdr, (size_t)n, &t))
		return CLI_ELF_OTHER;
	tab = malloc(t.num * t.entsize);
	if (!tab)
		return -ENOMEM;
	if (!read_exact(rd, ctx, tab, t.num * t.entsize, t.off))
		r = CLI_ELF_OTHER;
	else
		r = elf_has_interp(tab, &t) ? CLI_ELF_DYNAMIC : CLI_ELF_STATIC;
	free(tab);
	return r;
}

/* cli_elf_read_fn over a file descriptor: pread until LEN or the end. */
static ssize_t elf_read_fd(void *ctx, void *buf, size_t len, uint64_t off)
{
	int fd = *(int *)ctx;
	size_t got = 0;

	while (got < len) {
		ssize_t n = pread(fd, (char *)buf + got, len - got, (off_t)(off + got));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (n == 0)
			break;
		got += (size_t)n;
	}
	return (ssize_t)got;
}

int cli_elf_kind_fd(int fd)
{
	return cli_elf_kind(elf_read_fd, &fd);
}

struct elf_mem {
	const unsigned char *buf;
	size_t len;
};

/* cli_elf_read_fn over a buffer: what of [OFF, OFF+LEN) lies inside it. */
static ssize_t elf_read_mem(void *ctx, void *buf, size_t len, uint64_t off)
{
	const struct elf_mem *m = ctx;
	size_t n;

	if (off >= m->len)
		return 0;
	n = m->len - (size_t)off < len ? m->len - (size_t)off : len;
	memcpy(buf, m->buf + off, n);
	return (ssize_t)n;
}

int cli_elf_kind_buf(const void *buf, size_t len)
{
	struct elf_mem m = { .buf = buf, .len = len };

	return cli_elf_kind(elf_read_mem, &m);
}

/*
 * Would executing PATH (ST) put the loader in secure mode (AT_SECURE) for
 * this process: CLI_BLIND_SETID if a setuid or setgid bit changes its
 * effective uid or gid, CLI_BLIND_FCAPS if it has file capabilities, else
 * CLI_BLIND_NO.  Neither counts on a nosuid mount, and a setuid program of
 * one's own changes no id.
 */
static enum cli_blind cli_exec_secure(const char *path, const struct stat *st)
{
	struct statvfs vfs;

	if (statvfs(path, &vfs) == 0 && (vfs.f_flag & ST_NOSUID))
		return CLI_BLIND_NO;
	if ((st->st_mode & S_ISUID) && st->st_uid != getuid())
		return CLI_BLIND_SETID;
	/* setgid without group execute is mandatory locking, not setgid */
	if ((st->st_mode & (S_ISGID | S_IXGRP)) == (S_ISGID | S_IXGRP) &&
	    st->st_gid != getgid())
		return CLI_BLIND_SETID;
	if (getxattr(path, "security.capability", NULL, 0) > 0)
		return CLI_BLIND_FCAPS;
	return CLI_BLIND_NO;
}

/*
 * What about PATH keeps the loader from loading the preload: secure mode
 * (the loader ignores LD_PRELOAD for a non-standard path there), or a
 * static ELF (no PT_INTERP: no loader at all: cli_elf_kind_fd).
 */
enum cli_blind cli_preload_blind(const char *path)
{
	enum cli_blind b;
	struct stat st;
	int fd, kind;

	if (stat(path, &st) < 0)
		return CLI_BLIND_NO;
	if ((b = cli_exec_secure(path, &st)) != CLI_BLIND_NO)
		return b;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return CLI_BLIND_NO;
	kind = cli_elf_kind_fd(fd);
	close(fd);
	return kind == CLI_ELF_STATIC ? CLI_BLIND_STATIC : CLI_BLIND_NO;
}
