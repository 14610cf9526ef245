/* SPDX-License-Identifier: MIT */
/*
 * fuzz_byid.c - open_resolve() on serial/by-id and serial/by-path links
 * whose name and target come from the input: a by-id link is written by
 * udev from device-supplied strings, and the port name comes from the
 * frontend.
 *
 * A private tree DIR/serial/by-id/ and DIR/serial/by-path/ is the devdir
 * (open_env_init once).
 * Input: byte 0 holds flags (bits 0-1: the entry is a symlink (0, 1), a
 * regular file (2) or a directory (3); bit 4: serial/by-path/NAME, not
 * serial/by-id/NAME; bit 5: resolve NAME itself, not
 * serial/by-id/NAME; bit 6: prefix the target with "../../"; bit 7:
 * kname buffer of byte 1's size, else PROTO_PORT_MAX); then NAME, a NUL,
 * and the link target (without a NUL, NAME is "fuzz" and all is target).
 * Only names that pass portname_check() are resolved, as in the backend.
 *
 * Checked: on success the kernel name fits its buffer (an exact-size
 * allocation), passes portname_check, has no '/' at all and is neither a
 * by-id nor a by-path name, and is the link target after "../../"; a symlink to
 * "../../NAME" with a plain NAME that fits always resolves; errors are
 * negative errnos; no descriptor is left behind.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fuzzutil.h"
#include "open.h"
#include "portname.h"

#define FL_KIND   0x03
#define FL_BYPATH 0x10
#define FL_PLAIN  0x20
#define FL_PREFIX 0x40
#define FL_LEN    0x80

#define MAX_TARGET 512

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct open_env env = { .devfd = -1, .sysfd = -1, .sysroot = -1 };
static int byid = -1, bypath = -1;

/* DIR/serial/by-id, the devdir environment and an fd on by-id. */
static void setup(void)
{
	const char *dir = fuzz_tmpdir("fuzz_byid");
	char p[128];

	snprintf(p, sizeof(p), "%s/serial", dir);
	fuzz_assert(mkdir(p, 0755) == 0);
	snprintf(p, sizeof(p), "%s/serial/by-id", dir);
	fuzz_assert(mkdir(p, 0755) == 0);
	fuzz_assert(open_env_init(&env, dir) == 0);
	byid = open(p, O_PATH | O_DIRECTORY | O_CLOEXEC);
	fuzz_assert(byid >= 0);
	snprintf(p, sizeof(p), "%s/serial/by-path", dir);
	fuzz_assert(mkdir(p, 0755) == 0);
	bypath = open(p, O_PATH | O_DIRECTORY | O_CLOEXEC);
	fuzz_assert(bypath >= 0);
}

/* Create DIR/NAME (by-id or by-path) of KIND pointing at TARGET; false if
 * it could not be. */
static bool make_entry(int dir, const char *name, unsigned int kind, const char *target)
{
	int fd;

	switch (kind) {
	case 2:
		fd = openat(dir, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
		if (fd < 0)
			return false;
		close(fd);
		return true;
	case 3:
		return mkdirat(dir, name, 0755) == 0;
	default:
		return symlinkat(target, dir, name) == 0;
	}
}

/* Does a symlink to TARGET have to resolve into a kname buffer of LEN? */
static bool must_resolve(const char *target, size_t len)
{
	const char *k = target + 6;

	return strncmp(target, "../../", 6) == 0 && !strchr(k, '/') &&
	       portname_check(k) == 0 && strlen(k) < len;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char name[PROTO_PORT_MAX + 1], port[2 * PROTO_PORT_MAX], target[MAX_TARGET + 8];
	const uint8_t *nul, *t;
	struct fuzz_fds before;
	unsigned int kind;
	size_t len, nlen, tlen, tp = 0;
	bool made = false;
	char *kname;
	int r;

	if (size < 2)
		return 0;
	if (byid < 0)
		setup();
	kind = data[0] & FL_KIND;
	len = (data[0] & FL_LEN) ? data[1] : PROTO_PORT_MAX;
	nul = memchr(data + 2, '\0', size - 2);
	if (nul) {
		nlen = (size_t)(nul - (data + 2));
		t = nul + 1;
	} else {
		nlen = 0;
		t = data + 2;
	}
	if (nlen > PROTO_PORT_MAX)
		return 0;
	memcpy(name, nul ? (const char *)data + 2 : "fuzz", nul ? nlen : 4);
	name[nul ? nlen : 4] = '\0';
	tlen = size - (size_t)(t - data);
	if (data[0] & FL_PREFIX) {
		memcpy(target, "../../", 6);
		tp = 6;
	}
	if (tlen > MAX_TARGET)
		tlen = MAX_TARGET;
	memcpy(target + tp, t, tlen);
	target[tp + tlen] = '\0'; /* cut at an embedded NUL, as symlink(2) does */

	snprintf(port, sizeof(port), "%s%s", (data[0] & FL_PLAIN) ? "" :
		 (data[0] & FL_BYPATH) ? PORTNAME_BYPATH : PORTNAME_BYID, name);
	if (portname_check(port) < 0)
		return 0; /* the backend never resolves a malformed name */
	if ((data[0] & FL_PLAIN) && (portname_byid(port) || portname_bypath(port)))
		return 0; /* a link name without its link: the other mode's job */

	fuzz_fds_snapshot(&before);
	if (!(data[0] & FL_PLAIN))
		made = make_entry((data[0] & FL_BYPATH) ? bypath : byid, name, kind, target);
	kname = malloc(len ? len : 1); /* exact size: ASan sees an overrun */
	fuzz_assert(kname);
	r = open_resolve(&env, port, kname, len);
	fuzz_assert(r <= 0);
	if (r == 0) {
		fuzz_assert(strnlen(kname, len) < len);
		fuzz_assert(portname_check(kname) == 0);
		fuzz_assert(!strchr(kname, '/') || (data[0] & FL_PLAIN));
		fuzz_assert(!portname_byid(kname) && !portname_bypath(kname));
		if (data[0] & FL_PLAIN)
			fuzz_assert(strcmp(kname, port) == 0);
		else
			fuzz_assert(made && kind < 2 && strcmp(kname, target + 6) == 0);
	} else if (!(data[0] & FL_PLAIN) && made && kind < 2) {
		fuzz_assert(!must_resolve(target, len));
	} else if (data[0] & FL_PLAIN) {
		fuzz_assert(strlen(port) >= len);
	}
	free(kname);
	if (made)
		fuzz_assert(unlinkat((data[0] & FL_BYPATH) ? bypath : byid, name,
				     kind == 3 ? AT_REMOVEDIR : 0) == 0);
	fuzz_fds_check(&before);
	return 0;
}
