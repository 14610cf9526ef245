/* SPDX-License-Identifier: MIT */
/*
 * fuzz_sysid.c - sysid_read() on a small fake sysfs tree built from the
 * input: the shape of the device path (names, subsystems, symlinked
 * directories), the dev/char link and every attribute's contents.  USB
 * strings come from whoever plugs in a device, and the tree's shape from
 * the kernel's drivers.
 *
 * A private root DIR holds dev/char/1:2 and devices/ (rebuilt for every
 * input).  Input: byte 0 holds flags (bits 0-1: dev/char/1:2 is a symlink
 * (0, 1), missing (2) or a regular file (3); bit 2: its target is the
 * first field as given, else "../../devices/" and the levels' names);
 * byte 1 the number of levels (mod 9); then one byte per level choosing
 * its kind (mod 8: plain, usb device, usb interface, usb-serial, pci,
 * platform, acpi, a symlink to "/") and NUL-terminated fields: the
 * target (when bit 2 is set), then for each level its name and, by kind,
 * idVendor, idProduct, bDeviceClass, serial, manufacturer, product, or
 * bInterfaceNumber, or port_number.  Missing fields are "".  Each value
 * is written with the newline sysfs appends; a NUL inside a field cannot
 * occur (it ends the field).
 *
 * Checked: the result is 0 or a negative errno; every string of the
 * identity is NUL-terminated within its field and has no control byte;
 * ifnum is -1 or 0..255; without a USB identity vid, pid and the strings
 * are zero and empty; a failure leaves an empty identity; a read that
 * succeeds on a generated tree without symlinks finds the deepest USB
 * device that is no hub, with the ids written; no descriptor is left.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "fuzzutil.h"
#include "sysid.h"

#define FL_LINK   0x03
#define FL_RAW    0x04
#define MAX_LEVEL 8
#define MAX_FIELD 300

enum kind { K_PLAIN, K_USBDEV, K_USBIF, K_SERIAL, K_PCI, K_PLATFORM, K_ACPI, K_SYMLINK };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *root;
static int rootfd = -1;

/* The next NUL-terminated field of the input (at most MAX_FIELD bytes). */
struct cursor {
	const uint8_t *p;
	size_t left;
};

static void field(struct cursor *c, char *out)
{
	size_t n = 0;

	while (c->left > 0 && *c->p) {
		if (n < MAX_FIELD)
			out[n++] = (char)*c->p;
		c->p++, c->left--;
	}
	if (c->left > 0)
		c->p++, c->left--;
	out[n] = '\0';
}

/* A directory name from a field: no '/', never empty, ".", "..". */
static void dir_name(char *name)
{
	for (char *p = name; *p; p++)
		if (*p == '/')
			*p = '_';
	if (!*name || !strcmp(name, ".") || !strcmp(name, ".."))
		strcpy(name, "d");
}

/* Write VALUE and a newline to AT/NAME (a directory fd). */
static void attr(int at, const char *name, const char *value)
{
	int fd = openat(at, name, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	size_t len = strlen(value);

	fuzz_assert(fd >= 0);
	fuzz_assert(write(fd, value, len) == (ssize_t)len && write(fd, "\n", 1) == 1);
	close(fd);
}

static void subsystem(int at, const char *sub)
{
	char target[64];

	snprintf(target, sizeof(target), "../../../bus/%s", sub);
	fuzz_assert(symlinkat(target, at, "subsystem") == 0);
}

/* Exactly N hex digits? Their value, else -1. */
static long hexval(const char *s, size_t n)
{
	char *end;
	long v;

	if (strlen(s) != n)
		return -1;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f') ||
		      (s[i] >= 'A' && s[i] <= 'F')))
			return -1;
	v = strtol(s, &end, 16);
	return v;
}

static void setup(void)
{
	char p[128];

	root = fuzz_tmpdir("fuzz_sysid");
	snprintf(p, sizeof(p), "%s/dev", root);
	fuzz_assert(mkdir(p, 0755) == 0);
	snprintf(p, sizeof(p), "%s/dev/char", root);
	fuzz_assert(mkdir(p, 0755) == 0);
	rootfd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	fuzz_assert(rootfd >= 0);
}

/* Remove dev/char/1:2 and devices/ of the previous input. */
static void clear(void)
{
	char p[128];

	snprintf(p, sizeof(p), "%s/devices", root);
	nftw(p, fuzz_rm_one, 16, FTW_DEPTH | FTW_PHYS);
	snprintf(p, sizeof(p), "%s/dev/char/1:2", root);
	remove(p);
}

/* A string of the identity: bounded, terminated, no control byte. */
static void check_str(const char *s)
{
	const char *nul = memchr(s, '\0', POLICY_ID_STR);

	fuzz_assert(nul != NULL);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		fuzz_assert(*p >= 0x20 && *p != 0x7f);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char target[4096], val[MAX_FIELD + 1], path[4096];
	struct cursor c;
	struct policy_ident id;
	struct fuzz_fds fds;
	unsigned int nlevels, linkkind;
	bool raw, clean = true, want_usb = false;
	long want_vid = 0, want_pid = 0;
	int at, r;
	uint8_t *copy;

	if (size < 2)
		return 0;
	if (rootfd < 0)
		setup();
	copy = malloc(size); /* exact size: a read past the end is caught */
	fuzz_assert(copy);
	memcpy(copy, data, size);
	c = (struct cursor){ .p = copy + 2, .left = size - 2 };
	linkkind = copy[0] & FL_LINK;
	raw = copy[0] & FL_RAW;
	nlevels = copy[1] % (MAX_LEVEL + 1);
	clear();

	if (raw)
		field(&c, target);
	snprintf(path, sizeof(path), "%s/devices", root);
	fuzz_assert(mkdir(path, 0755) == 0);
	at = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
	fuzz_assert(at >= 0);
	if (!raw)
		snprintf(target, sizeof(target), "../../devices");
	for (unsigned int i = 0; i < nlevels; i++) {
		enum kind k = c.left > 0 ? (enum kind)(*c.p % 8) : K_PLAIN;
		char name[MAX_FIELD + 1];
		int next;

		if (c.left > 0)
			c.p++, c.left--;
		field(&c, name);
		dir_name(name);
		if (!raw && strlen(target) + strlen(name) + 2 < sizeof(target))
			strcat(strcat(target, "/"), name);
		if (k == K_SYMLINK) {
			fuzz_assert(symlinkat("/", at, name) == 0 || errno == EEXIST);
			clean = false;
			break;
		}
		if (mkdirat(at, name, 0755) < 0) {
			fuzz_assert(errno == EEXIST || errno == ENAMETOOLONG);
			clean = false;
			break;
		}
		next = openat(at, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		fuzz_assert(next >= 0);
		close(at);
		at = next;
		switch (k) {
		case K_USBDEV: {
			long vid, pid, cls;

			subsystem(at, "usb");
			field(&c, val), attr(at, "idVendor", val), vid = hexval(val, 4);
			field(&c, val), attr(at, "idProduct", val), pid = hexval(val, 4);
			field(&c, val), attr(at, "bDeviceClass", val), cls = hexval(val, 2);
			field(&c, val), attr(at, "serial", val);
			field(&c, val), attr(at, "manufacturer", val);
			field(&c, val), attr(at, "product", val);
			if (vid >= 0 && pid >= 0 && cls >= 0 && cls != 9 &&
			    strncmp(name, "usb", 3) != 0) {
				want_usb = true;
				want_vid = vid;
				want_pid = pid;
			}
			break;
		}
		case K_USBIF:
			subsystem(at, "usb");
			field(&c, val), attr(at, "bInterfaceNumber", val);
			break;
		case K_SERIAL:
			subsystem(at, "usb-serial");
			field(&c, val), attr(at, "port_number", val);
			break;
		case K_PCI:
			subsystem(at, "pci");
			break;
		case K_PLATFORM:
			subsystem(at, "platform");
			break;
		case K_ACPI:
			subsystem(at, "acpi");
			break;
		default:
			break;
		}
	}
	close(at);
	snprintf(path, sizeof(path), "%s/dev/char/1:2", root);
	if (linkkind <= 1) {
		if (target[0] && symlink(target, path) < 0)
			clean = false;
	} else if (linkkind == 3) {
		int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);

		fuzz_assert(fd >= 0);
		close(fd);
	}

	fuzz_fds_snapshot(&fds);
	memset(&id, 0xa5, sizeof(id));
	r = sysid_read(rootfd, makedev(1, 2), &id);
	fuzz_fds_check(&fds);

	fuzz_assert(r <= 0 && r > -4096);
	check_str(id.serial);
	check_str(id.manufacturer);
	check_str(id.product);
	check_str(id.path);
	fuzz_assert(id.ifnum >= -1 && id.ifnum <= 255);
	if (!id.usb)
		fuzz_assert(id.vid == 0 && id.pid == 0 && id.ifnum == -1 && !id.serial[0] &&
			    !id.manufacturer[0] && !id.product[0]);
	if (r < 0)
		fuzz_assert(!id.usb && !id.path[0]);
	if (r == 0 && !raw && clean && linkkind <= 1 && nlevels > 0) {
		fuzz_assert(id.usb == want_usb);
		if (want_usb)
			fuzz_assert(id.vid == want_vid && id.pid == want_pid);
	}
	free(copy);
	return 0;
}
