/* SPDX-License-Identifier: MIT */
/*
 * list.c - the engine's answer to `ttybroker list` and tb_list(): the
 * ports a client could be handed, each with that client's verdict, its
 * /dev/serial links, its USB identity and who holds it now.
 *
 * Candidates come from two directories, read afresh for every request:
 * /sys/class/tty (through the sysfs root) for serial ports, and /dev/pts
 * for the client's own pseudo-terminals (devpts nodes have no sysfs
 * entry).  A candidate is kept only if open.c classifies its /dev node as
 * a port it hands out (OPEN_CLASS_SERIAL: a tty with hardware behind it,
 * never a console, VT, ptmx or virtual tty; OPEN_CLASS_PTY owned by the
 * client), and a serial-core port only if the kernel found a UART there
 * (its "type" attribute is not 0, PORT_UNKNOWN: the ttyS placeholders
 * setserial shows as "UART: unknown").
 *
 * Nothing here opens a device, so no DTR is raised: nodes are pinned with
 * O_PATH and fstat()ed, attributes come from sysfs, lock files from the
 * lock directory, and a flock() holder from /proc/locks (kept open from
 * before confinement), matched by the node's device and inode: flock()
 * itself would need the device open.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "engine.h"
#include "lock.h"
#include "log.h"
#include "open.h"
#include "portname.h"
#include "sysid.h"

_Static_assert(PROTO_ID_MAX == POLICY_ID_STR, "identity strings fit the entry");

/* Open flags once confined; broker/filter.c allows exactly these. */
#define LIST_OPEN_DIR  (O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
#define LIST_OPEN_ATTR (O_RDONLY | O_NOCTTY | O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC)
/* Bounds on one request's work: directory entries looked at per directory,
 * bytes of /proc/locks read. */
#define LIST_SCAN_MAX  1024
#define LIST_LOCKS_MAX (256 * 1024)

/* Names of candidates, owned. */
struct list_names {
	size_t n;
	char *name[2 * LIST_SCAN_MAX];
};

void engine_list_init(struct engine *e)
{
	e->proclocks = open("/proc/locks", O_RDONLY | O_CLOEXEC);
	if (e->proclocks < 0)
		log_warn("/proc/locks: ttybroker list will not see flock() holders");
}

void engine_list_fini(struct engine *e)
{
	if (e->proclocks >= 0)
		close(e->proclocks);
	e->proclocks = -1;
}

/*
 * Call FN for each name in the directory open on FD (not "." or ".."),
 * at most LIST_SCAN_MAX of them, with getdents64(2): readdir(3) on an fd
 * would also set FD_CLOEXEC, which the seccomp filter does not allow.
 * Stops early when FN returns nonzero.  0 or -errno.
 */
static int list_readdir(int fd, int (*fn)(int fd, const char *name, void *arg),
			void *arg)
{
	char buf[4096] __attribute__((aligned(8)));
	size_t seen = 0;
	ssize_t n;

	while (seen < LIST_SCAN_MAX && (n = getdents64(fd, buf, sizeof(buf))) > 0) {
		for (ssize_t off = 0; off < n && seen < LIST_SCAN_MAX; seen++) {
			struct dirent64 *de = (struct dirent64 *)(buf + off);

			off += de->d_reclen;
			if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
				continue;
			if (fn(fd, de->d_name, arg))
				return 0;
		}
	}
	return n < 0 ? -errno : 0;
}

struct list_scan_arg {
	const char *prefix, *after;
	struct list_names *ln;
	int err;
};

/* One directory entry: a candidate if PREFIX+NAME is a port name after AFTER. */
static int list_scan_one(int fd, const char *name, void *arg)
{
	struct list_scan_arg *a = arg;
	char port[PROTO_PORT_MAX];
	int n = snprintf(port, sizeof(port), "%s%s", a->prefix, name);

	(void)fd;
	if (n < 0 || (size_t)n >= sizeof(port) || portname_check(port) < 0 ||
	    strcmp(port, a->after) <= 0)
		return 0;
	if (a->ln->n == sizeof(a->ln->name) / sizeof(a->ln->name[0]))
		return 1;
	if (!(a->ln->name[a->ln->n] = strdup(port))) {
		a->err = -ENOMEM;
		return 1;
	}
	a->ln->n++;
	return 0;
}

/*
 * Add every entry of directory DIR below AT whose name (with PREFIX) is a
 * port name sorting after AFTER.  A missing directory adds nothing.
 * 0 or -errno.
 */
static int list_scan(int at, const char *dir, const char *prefix, const char *after,
		     struct list_names *ln)
{
	struct list_scan_arg a = { .prefix = prefix, .after = after, .ln = ln };
	int fd, r;

	if (at < 0)
		return 0;
	fd = openat(at, dir, LIST_OPEN_DIR);
	if (fd < 0)
		return errno == ENOENT ? 0 : -errno;
	r = list_readdir(fd, list_scan_one, &a);
	close(fd);
	return r < 0 ? r : a.err;
}

/*
 * Sort LN's names (strcmp) in place.  Not qsort(3): for a large array glibc
 * asks sysinfo(2) for the memory size first, which the filter forbids.  An
 * insertion sort of at most 2 * LIST_SCAN_MAX pointers is bounded work.
 */
static void list_sort(struct list_names *ln)
{
	for (size_t i = 1; i < ln->n; i++) {
		char *name = ln->name[i];
		size_t j = i;

		for (; j > 0 && strcmp(ln->name[j - 1], name) > 0; j--)
			ln->name[j] = ln->name[j - 1];
		ln->name[j] = name;
	}
}

/* A serial-core port whose "type" attribute says no UART was found. */
static bool list_no_uart(const struct engine *e, const char *kname)
{
	char path[PROTO_PORT_MAX + 32], buf[16];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "class/tty/%s/type", kname);
	fd = openat(e->env.sysroot, path, LIST_OPEN_ATTR);
	if (fd < 0)
		return false; /* not a serial-core port (ttyUSB, ttyACM...) */
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return false;
	buf[n] = '\0';
	return strtol(buf, NULL, 10) == 0; /* PORT_UNKNOWN */
}

/*
 * Would the engine hand KNAME to C at all?  Pins it (O_PATH) into *ST and
 * classifies it as engine_open's vet() does.
 */
static bool list_candidate(struct engine *e, const struct engine_client *c,
			   const char *kname, struct stat *st)
{
	int pin = open_pin(&e->env, kname, st);

	if (pin < 0)
		return false;
	close(pin);
	switch (open_classify(&e->env, st)) {
	case OPEN_CLASS_PTY:
		return strncmp(kname, "pts/", 4) == 0 && st->st_uid == c->uid;
	case OPEN_CLASS_SERIAL:
		return strncmp(kname, "pts/", 4) != 0 && !list_no_uart(e, kname);
	default:
		return false;
	}
}

struct list_link_arg {
	const char *kname;
	char *out;
	size_t len;
};

/* One link in /dev/serial/by-*: keep the smallest name that is "../../KNAME". */
static int list_link_one(int fd, const char *name, void *arg)
{
	struct list_link_arg *a = arg;
	char target[PROTO_PORT_MAX + 8];
	ssize_t n;

	if (strlen(name) >= a->len || (a->out[0] && strcmp(name, a->out) >= 0))
		return 0;
	n = readlinkat(fd, name, target, sizeof(target) - 1);
	if (n <= 6)
		return 0;
	target[n] = '\0';
	if (strncmp(target, "../../", 6) == 0 && strcmp(target + 6, a->kname) == 0)
		snprintf(a->out, a->len, "%s", name);
	return 0;
}

/*
 * The smallest name in /dev/serial/DIR whose link is udev's "../../KNAME",
 * into OUT (LEN bytes), or "".
 */
static void list_link(struct engine *e, const char *dir, const char *kname,
		      char *out, size_t len)
{
	struct list_link_arg a = { .kname = kname, .out = out, .len = len };
	int serial, fd;

	out[0] = '\0';
	serial = openat(e->env.devfd, "serial", O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (serial < 0)
		return;
	fd = openat(serial, dir, LIST_OPEN_DIR);
	close(serial);
	if (fd < 0)
		return;
	list_readdir(fd, list_link_one, &a);
	close(fd);
}

/*
 * Does /proc/locks show a flock() on the node ST (its file system's device
 * and its inode)?  Blocked waiters ("->") hold nothing.  1 and *PID, or 0.
 */
static int list_flock_holder(const struct engine *e, const struct stat *st, pid_t *pid)
{
	char *buf, *line, *save = NULL;
	size_t got = 0;
	int found = 0;

	if (e->proclocks < 0 || !(buf = malloc(LIST_LOCKS_MAX + 1)))
		return 0;
	while (got < LIST_LOCKS_MAX) {
		ssize_t n = pread(e->proclocks, buf + got, LIST_LOCKS_MAX - got, (off_t)got);

		if (n <= 0)
			break;
		got += (size_t)n;
	}
	buf[got] = '\0';
	for (line = strtok_r(buf, "\n", &save); line && !found;
	     line = strtok_r(NULL, "\n", &save)) {
		char type[16], arrow[4];
		unsigned int maj, min;
		unsigned long ino;
		int p;

		if (sscanf(line, "%*u: %3s", arrow) == 1 && strcmp(arrow, "->") == 0)
			continue;
		if (sscanf(line, "%*u: %15s %*s %*s %d %x:%x:%lu", type, &p, &maj, &min,
			   &ino) != 5 || strcmp(type, "FLOCK") != 0)
			continue;
		if (maj == major(st->st_dev) && min == minor(st->st_dev) &&
		    ino == (unsigned long)st->st_ino) {
			*pid = p > 0 ? p : 0;
			found = 1;
		}
	}
	free(buf);
	return found;
}

/* Who holds KNAME (pinned as ST): C itself, a lock file, a flock, nobody. */
static void list_holder(struct engine *e, const struct engine_client *c,
			const char *kname, const struct stat *st,
			struct proto_list_entry *ent)
{
	pid_t pid = 0;

	if (engine_holds(c, st->st_rdev)) {
		ent->holder = PROTO_HOLD_SELF;
		pid = c->pid;
	} else if (lock_port_holder(e->lockfd, kname, st, &pid)) {
		ent->holder = PROTO_HOLD_LCK;
	} else if (list_flock_holder(e, st, &pid)) {
		ent->holder = PROTO_HOLD_FLOCK;
	}
	ent->holder_pid = pid > 0 ? pid : 0;
}

/* Everything about KNAME (pinned as ST) for C, into ENT. */
static void list_fill(struct engine *e, const struct engine_client *c, const char *kname,
		      const struct stat *st, struct proto_list_entry *ent)
{
	struct policy_ident id;
	struct policy_verdict v;
	bool have_id = false;
	int id_err = 0;

	snprintf(ent->kname, sizeof(ent->kname), "%s", kname);
	ent->ifnum = -1;
	if (strncmp(kname, "pts/", 4) == 0) {
		ent->flags |= PROTO_LIST_PTY;
	} else {
		/* As engine_open() judges it: no sysfs entry, no identity; an
		 * entry that cannot be read, no verdict. */
		int r = e->env.sysroot >= 0 ? sysid_read(e->env.sysroot, st->st_rdev, &id)
					    : -ENOENT;

		have_id = r == 0;
		id_err = r == -ENOENT ? 0 : r;
		list_link(e, "by-id", kname, ent->by_id, sizeof(ent->by_id));
		list_link(e, "by-path", kname, ent->by_path, sizeof(ent->by_path));
	}
	if (have_id) {
		if (id.usb) {
			ent->flags |= PROTO_LIST_USB;
			ent->vid = id.vid;
			ent->pid = id.pid;
			ent->ifnum = id.ifnum >= 0 && id.ifnum <= 255 ? id.ifnum : -1;
		}
		memcpy(ent->serial, id.serial, sizeof(ent->serial));
		memcpy(ent->manufacturer, id.manufacturer, sizeof(ent->manufacturer));
		memcpy(ent->product, id.product, sizeof(ent->product));
		memcpy(ent->path, id.path, sizeof(ent->path));
		ent->serial[sizeof(ent->serial) - 1] = ent->manufacturer[sizeof(ent->manufacturer) - 1] = '\0';
		ent->product[sizeof(ent->product) - 1] = ent->path[sizeof(ent->path) - 1] = '\0';
	}
	if (!e->pol) {
		ent->reason = PROTO_R_POLICY;
		snprintf(ent->detail, sizeof(ent->detail), "%s", e->policy_detail);
	} else if (id_err < 0) {
		ent->reason = PROTO_R_BROKER;
		snprintf(ent->detail, sizeof(ent->detail),
			 "cannot read the port's identity from sysfs: %s", strerror(-id_err));
	} else {
		policy_eval_ident(e->pol, &c->subject, kname, have_id ? &id : NULL, &v);
		ent->reason = v.permit ? PROTO_R_OK : PROTO_R_DENIED;
		ent->rule = v.line;
		if (v.line)
			snprintf(ent->detail, sizeof(ent->detail), "%s:%u", e->policy_path, v.line);
	}
	list_holder(e, c, kname, st, ent);
}

size_t engine_list(struct engine *e, const struct engine_client *c,
		   const struct proto_list *req, union proto_msg *rep)
{
	struct list_names *ln = calloc(1, sizeof(*ln));
	const char *found = NULL;
	struct stat st;
	int r = -ENOMEM;

	memset(rep, 0, sizeof(*rep));
	if (ln) {
		r = list_scan(e->env.sysroot, "class/tty", "", req->after, ln);
		if (r == 0)
			r = list_scan(e->env.devfd, "pts", "pts/", req->after, ln);
		list_sort(ln);
		for (size_t i = 0; r == 0 && !found && i < ln->n; i++)
			if (list_candidate(e, c, ln->name[i], &st))
				found = ln->name[i];
	}
	if (found) {
		proto_hdr_init(&rep->hdr, PROTO_LIST_ENTRY, req->hdr.seq);
		list_fill(e, c, found, &st, &rep->list_entry);
	} else {
		if (r < 0) {
			errno = -r;
			log_warn("listing ports for pid %d", (int)c->pid);
		}
		proto_hdr_init(&rep->hdr, PROTO_LIST_END, req->hdr.seq);
		rep->list_end.err = r;
	}
	for (size_t i = 0; ln && i < ln->n; i++)
		free(ln->name[i]);
	free(ln);
	return rep->hdr.len;
}
