/* SPDX-License-Identifier: MIT */
/*
 * sysid.c - a serial port's identity from sysfs (see sysid.h).
 *
 * SYSFD/dev/char/MAJOR:MINOR is a symlink such as
 *   ../../devices/pci0000:00/0000:00:14.0/usb1/1-1/1-1.2/1-1.2:1.0/ttyUSB0/tty/ttyUSB0
 * Its target is read with readlinkat() and resolved by hand: leading ".."
 * may only climb out of dev/char (never above SYSFD), "." and ".." inside
 * the path and empty components are refused, and the result must start
 * with "devices/".  The directories are then opened one component at a
 * time from SYSFD with O_NOFOLLOW, so neither a symlink in the tree nor a
 * crafted link target can lead anywhere else.  One directory and one
 * attribute are open at a time.
 *
 * Each directory on the way down is classified by its "subsystem" link:
 * usb (a device if it has idVendor, an interface if it has
 * bInterfaceNumber), usb-serial (its port_number), pci, platform, acpi or
 * anything else.  The identity is the deepest USB device that is not a
 * hub (bDeviceClass 09, or a root hub "usbN"), and the interface is the
 * USB interface below it.
 *
 * The physical path follows udev's path_id builtin and 60-serial.rules
 * (the name of the /dev/serial/by-path link), for this subset: walking up
 * from the tty, a USB interface or device adds "usb-0:PORT" (its name
 * after the first '-') and every USB ancestor above it is skipped; a PCI,
 * platform or ACPI device adds "pci-NAME", "platform-NAME" or "acpi-NAME"
 * and skips its ancestors of the same subsystem; other subsystems (scsi,
 * serio, xen, ccw...) add nothing.  Without a PCI, platform or ACPI
 * ancestor there is no path (""), as with path_id.  A usb-serial port
 * adds "-portN" (N its port_number), as the by-path link does.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "sysid.h"

#define SYSID_DIR   (O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
/* The same flags as for reading a lock file (broker/filter.c). */
#define SYSID_ATTR  (O_RDONLY | O_NOCTTY | O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC)
#define SYSID_LINK_MAX  1024 /* a dev/char link target                      */
#define SYSID_DEPTH_MAX 64   /* directories from devices/ to the tty        */
#define SYSID_ATTR_MAX  512  /* bytes read of one attribute (a USB string
				descriptor is at most 378 bytes of UTF-8)  */

enum sysid_kind {
	SYSID_OTHER,
	SYSID_USB_DEV,     /* subsystem usb with idVendor              */
	SYSID_USB_IF,      /* subsystem usb with bInterfaceNumber      */
	SYSID_USB_OTHER,   /* subsystem usb, neither                   */
	SYSID_USB_SERIAL,  /* subsystem usb-serial                     */
	SYSID_PCI,
	SYSID_PLATFORM,
	SYSID_ACPI,
};

struct sysid_walk {
	size_t n;
	const char *name[SYSID_DEPTH_MAX];
	enum sysid_kind kind[SYSID_DEPTH_MAX];
	int port;                 /* usb-serial port_number, -1 if none */
	bool have_dev;
	size_t dev_level;         /* its depth                          */
	struct policy_ident dev;  /* the deepest non-hub USB device     */
};

/*
 * Read attribute NAME of directory DIRFD into BUF (LEN bytes, NUL-
 * terminated, at most SYSID_ATTR_MAX - 1 bytes kept; one trailing newline
 * removed).  Only a regular file is read.  Returns its length, -ENOENT if
 * there is no such attribute, or another -errno.
 */
static int sysid_attr(int dirfd, const char *name, char *buf, size_t len)
{
	struct stat st;
	size_t got = 0;
	ssize_t n;
	int fd, r;

	if (len > SYSID_ATTR_MAX)
		len = SYSID_ATTR_MAX;
	buf[0] = '\0';
	fd = openat(dirfd, name, SYSID_ATTR);
	if (fd < 0)
		return errno == ELOOP ? -EINVAL : -errno;
	if (fstat(fd, &st) < 0) {
		r = -errno;
		goto out;
	}
	r = -EINVAL;
	if (!S_ISREG(st.st_mode))
		goto out;
	while (got < len - 1) {
		n = read(fd, buf + got, len - 1 - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			r = -errno;
			goto out;
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	if (got > 0 && buf[got - 1] == '\n')
		got--;
	buf[got] = '\0';
	r = (int)got;
out:
	close(fd);
	return r;
}

/* Parse exactly DIGITS hex digits (all of TEXT).  Value or -EINVAL. */
static long sysid_hex(const char *text, int r, size_t digits)
{
	long v = 0;

	if (r < 0 || (size_t)r != digits)
		return -EINVAL;
	for (size_t i = 0; i < digits; i++) {
		char c = text[i];
		int d = c >= '0' && c <= '9' ? c - '0' :
			c >= 'a' && c <= 'f' ? c - 'a' + 10 :
			c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;

		if (d < 0)
			return -EINVAL;
		v = v * 16 + d;
	}
	return v;
}

/*
 * Copy the LEN bytes of TEXT into OUT (POLICY_ID_STR bytes), truncating,
 * with every control character (bytes below 0x20, NUL included, and 0x7f)
 * shown as '?': the strings come from the device and end up in audit
 * lines and listings.
 */
static void sysid_copy(char *out, const char *text, size_t len)
{
	size_t i;

	for (i = 0; i < len && i < POLICY_ID_STR - 1; i++) {
		unsigned char c = (unsigned char)text[i];

		out[i] = c < 0x20 || c == 0x7f ? '?' : (char)c;
	}
	out[i] = '\0';
}

/* A string attribute into OUT; an absent one is "".  0 or -errno. */
static int sysid_string(int dirfd, const char *name, char *out)
{
	char buf[SYSID_ATTR_MAX];
	int r = sysid_attr(dirfd, name, buf, sizeof(buf));

	if (r == -ENOENT)
		r = 0;
	if (r < 0)
		return r;
	sysid_copy(out, buf, (size_t)r);
	return 0;
}

/* The basename of DIRFD's "subsystem" link into OUT, "" if none. */
static int sysid_subsystem(int dirfd, char *out, size_t len)
{
	char target[256];
	const char *base;
	ssize_t n;

	out[0] = '\0';
	n = readlinkat(dirfd, "subsystem", target, sizeof(target) - 1);
	if (n < 0)
		return errno == ENOENT || errno == EINVAL ? 0 : -errno;
	target[n] = '\0';
	base = strrchr(target, '/');
	base = base ? base + 1 : target;
	if (strlen(base) < len) /* a longer name is no subsystem we know */
		memcpy(out, base, strlen(base) + 1);
	return 0;
}

/* Read the USB device at DIRFD (depth I) into W if it is no hub. */
static int sysid_usb_device(struct sysid_walk *w, size_t i, int dirfd)
{
	const char *name = w->name[i];
	struct policy_ident *d = &w->dev;
	char buf[SYSID_ATTR_MAX];
	long vid, pid, cls;
	int r;

	vid = sysid_hex(buf, sysid_attr(dirfd, "idVendor", buf, sizeof(buf)), 4);
	pid = sysid_hex(buf, sysid_attr(dirfd, "idProduct", buf, sizeof(buf)), 4);
	cls = sysid_hex(buf, sysid_attr(dirfd, "bDeviceClass", buf, sizeof(buf)), 2);
	if (vid < 0 || pid < 0 || cls < 0)
		return -EINVAL;
	if (cls == 0x09 || strncmp(name, "usb", 3) == 0)
		return 0; /* a hub, or a root hub: never the identity */
	memset(d, 0, sizeof(*d));
	d->usb = true;
	d->vid = (uint16_t)vid;
	d->pid = (uint16_t)pid;
	d->ifnum = -1;
	if ((r = sysid_string(dirfd, "serial", d->serial)) < 0 ||
	    (r = sysid_string(dirfd, "manufacturer", d->manufacturer)) < 0 ||
	    (r = sysid_string(dirfd, "product", d->product)) < 0)
		return r;
	w->have_dev = true;
	w->dev_level = i;
	return 0;
}

/* Classify the directory DIRFD at depth I of W (and read what it holds). */
static int sysid_level(struct sysid_walk *w, size_t i, int dirfd)
{
	char subsys[64], buf[SYSID_ATTR_MAX];
	int r;

	w->kind[i] = SYSID_OTHER;
	if ((r = sysid_subsystem(dirfd, subsys, sizeof(subsys))) < 0)
		return r;
	if (strcmp(subsys, "usb") == 0) {
		r = sysid_attr(dirfd, "bInterfaceNumber", buf, sizeof(buf));
		if (r != -ENOENT) {
			long ifnum = sysid_hex(buf, r, 2);

			if (ifnum < 0)
				return r < 0 ? r : -EINVAL;
			w->kind[i] = SYSID_USB_IF;
			/* The interface right below the identity's device. */
			if (w->have_dev && w->dev_level + 1 == i)
				w->dev.ifnum = (int)ifnum;
			return 0;
		}
		r = sysid_attr(dirfd, "idVendor", buf, sizeof(buf));
		if (r == -ENOENT) {
			w->kind[i] = SYSID_USB_OTHER;
			return 0;
		}
		w->kind[i] = SYSID_USB_DEV;
		return sysid_usb_device(w, i, dirfd);
	}
	if (strcmp(subsys, "usb-serial") == 0) {
		unsigned int port;
		char end;

		w->kind[i] = SYSID_USB_SERIAL;
		r = sysid_attr(dirfd, "port_number", buf, sizeof(buf));
		if (r == -ENOENT)
			return 0;
		if (r < 0)
			return r;
		if (sscanf(buf, "%3u%c", &port, &end) != 1 || buf[0] < '0' || buf[0] > '9')
			return -EINVAL;
		w->port = (int)port;
		return 0;
	}
	if (strcmp(subsys, "pci") == 0)
		w->kind[i] = SYSID_PCI;
	else if (strcmp(subsys, "platform") == 0)
		w->kind[i] = SYSID_PLATFORM;
	else if (strcmp(subsys, "acpi") == 0)
		w->kind[i] = SYSID_ACPI;
	return 0;
}

/* Is K a directory of subsystem usb (what path_id skips above a USB hop)? */
static bool sysid_is_usb(enum sysid_kind k)
{
	return k == SYSID_USB_DEV || k == SYSID_USB_IF || k == SYSID_USB_OTHER;
}

/* Prepend "PREFIX NAME" and a '-' to the path being built at the end of
 * BUF (LEN bytes; *START is where it begins).  0 or -ENAMETOOLONG. */
static int sysid_prepend(char *buf, size_t *start, const char *prefix,
			 const char *name)
{
	size_t plen = strlen(prefix), nlen = strlen(name);
	size_t need = plen + nlen + (buf[*start] ? 1 : 0);

	if (need > *start)
		return -ENAMETOOLONG;
	if (buf[*start])
		buf[*start - 1] = '-';
	*start -= need;
	memcpy(buf + *start, prefix, plen);
	memcpy(buf + *start + plen, name, nlen);
	return 0;
}

/* The by-path name of W's tty into ID->path (see the top of this file). */
static int sysid_path(const struct sysid_walk *w, struct policy_ident *id)
{
	char buf[POLICY_ID_STR + 16], port[24];
	size_t start = POLICY_ID_STR - 1;
	bool supported = false;
	int r = 0;

	buf[start] = '\0';
	for (size_t i = w->n; r == 0 && i-- > 1;) {
		enum sysid_kind k = w->kind[i];
		const char *pre = k == SYSID_PCI ? "pci-" : k == SYSID_PLATFORM ?
				  "platform-" : k == SYSID_ACPI ? "acpi-" : NULL;

		if (k == SYSID_USB_DEV || k == SYSID_USB_IF) {
			const char *dash = strchr(w->name[i], '-');

			if (!dash)
				continue;
			r = sysid_prepend(buf, &start, "usb-0:", dash + 1);
			while (i > 1 && sysid_is_usb(w->kind[i - 1]))
				i--;
		} else if (pre) {
			r = sysid_prepend(buf, &start, pre, w->name[i]);
			supported = true;
			while (i > 1 && w->kind[i - 1] == k)
				i--;
		}
	}
	if (r < 0)
		return r;
	if (!supported)
		return 0;
	port[0] = '\0';
	if (w->port >= 0)
		snprintf(port, sizeof(port), "-port%d", w->port);
	if (strlen(buf + start) + strlen(port) >= sizeof(id->path))
		return -ENAMETOOLONG;
	memcpy(buf + POLICY_ID_STR - 1, port, strlen(port) + 1);
	sysid_copy(id->path, buf + start, strlen(buf + start));
	return 0;
}

/*
 * Split the link target LINK (in place) into W's components below SYSFD,
 * starting from dev/char: only leading ".." may climb, never above the
 * root, and the result must start with "devices".  0, -EXDEV (escapes the
 * root) or -EINVAL.
 */
static int sysid_split(char *link, struct sysid_walk *w)
{
	static char dev[] = "dev", chr[] = "char";
	size_t up = 0, base;
	char *save = NULL, *c;
	bool leading = true;

	if (link[0] == '/' || link[0] == '\0')
		return -EINVAL;
	/* Empty components ("a//b", a trailing '/') are refused too. */
	if (strstr(link, "//") || link[strlen(link) - 1] == '/')
		return -EINVAL;
	w->n = 0;
	for (c = strtok_r(link, "/", &save); c; c = strtok_r(NULL, "/", &save)) {
		if (strcmp(c, "..") == 0 && leading) {
			if (++up > 2)
				return -EXDEV;
			continue;
		}
		if (strcmp(c, ".") == 0 || strcmp(c, "..") == 0)
			return -EINVAL;
		if (leading) {
			leading = false;
			base = 2 - up; /* what is left of dev/char */
			if (base >= 1)
				w->name[w->n++] = dev;
			if (base == 2)
				w->name[w->n++] = chr;
		}
		if (w->n == SYSID_DEPTH_MAX)
			return -EINVAL;
		w->name[w->n++] = c;
	}
	if (w->n < 2 || strcmp(w->name[0], "devices") != 0)
		return -EINVAL;
	return 0;
}

/* readlinkat(SYSFD/dev/char, "MAJ:MIN") into LINK (LEN bytes). */
static int sysid_readlink(int sysfd, dev_t rdev, char *link, size_t len)
{
	char name[32];
	int dev = -1, chr = -1, r;
	ssize_t n;

	r = dev = openat(sysfd, "dev", SYSID_DIR);
	if (r < 0)
		goto fail;
	r = chr = openat(dev, "char", SYSID_DIR);
	if (r < 0)
		goto fail;
	snprintf(name, sizeof(name), "%u:%u", major(rdev), minor(rdev));
	n = readlinkat(chr, name, link, len - 1);
	if (n < 0)
		goto fail;
	r = -ENAMETOOLONG;
	if ((size_t)n >= len - 1)
		goto out;
	link[n] = '\0';
	r = 0;
	goto out;
fail:
	/* Not a symlink (EINVAL) or a symlinked dev/char (ELOOP, ENOTDIR). */
	r = errno == ENOENT ? -ENOENT : errno == EINVAL || errno == ELOOP ||
	    errno == ENOTDIR ? -EINVAL : -errno;
out:
	if (chr >= 0)
		close(chr);
	if (dev >= 0)
		close(dev);
	return r;
}

/*
 * Read the link, split it, then open each directory from SYSFD down to the
 * tty, classifying each on the way (sysid_level); the path is composed
 * bottom-up at the end.  One directory fd is open at a time.
 */
int sysid_read(int sysfd, dev_t rdev, struct policy_ident *id)
{
	struct sysid_walk w;
	char link[SYSID_LINK_MAX];
	int cur = sysfd, next, r;

	memset(id, 0, sizeof(*id));
	id->ifnum = -1;
	if (sysfd < 0)
		return -EBADF;
	memset(&w, 0, sizeof(w));
	w.port = -1;
	if ((r = sysid_readlink(sysfd, rdev, link, sizeof(link))) < 0 ||
	    (r = sysid_split(link, &w)) < 0)
		return r;
	for (size_t i = 0; i < w.n; i++) {
		next = openat(cur, w.name[i], SYSID_DIR);
		if (next < 0)
			r = errno == ELOOP || errno == ENOTDIR ? -EINVAL : -errno;
		if (cur != sysfd)
			close(cur);
		cur = next;
		if (cur < 0)
			return r;
		if (i > 0 && (r = sysid_level(&w, i, cur)) < 0)
			goto out;
	}
	r = sysid_path(&w, id);
	if (r == 0 && w.have_dev) {
		char path[POLICY_ID_STR];

		memcpy(path, id->path, sizeof(path));
		*id = w.dev;
		memcpy(id->path, path, sizeof(path));
	}
out:
	if (cur != sysfd)
		close(cur);
	if (r < 0) {
		memset(id, 0, sizeof(*id));
		id->ifnum = -1;
	}
	return r;
}
