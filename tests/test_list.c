/* SPDX-License-Identifier: MIT */
/*
 * test_list.c - engine_list() (broker/list.c) on a made-up machine: a
 * /dev with device nodes (mknod: the test never opens them), a sysfs tree
 * with /sys/class/tty, /sys/dev/char and /sys/devices, and udev's
 * /dev/serial links, all in a temporary directory that the engine's
 * directory fds point at.  What a real machine cannot show a test: a
 * USB-serial port with by-id and by-path links, a ttyS with a UART and a
 * ttyS placeholder without one, a VT, another user's pty, and the cursor
 * walking them in order.
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>

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
#include "policy.h"
#include "proto.h"
#include "testutil.h"

#define POLICY_TEXT                          \
	"permit nobody pts/*\n"              \
	"deny * ttyS*\n"                     \
	"permit nobody ttyS2 ttyS3 tty5\n"   \
	"permit nobody usb:0403:6001:A1*\n"

#define XHCI "devices/pci0000:00/0000:00:14.0/usb1"

static char root[48];
static struct tu_sysfs fs; /* ROOT/sys, removed with ROOT */
static struct engine eng;
static struct engine_client cl;

/* ROOT/PATH as a path, into a static buffer (one at a time). */
static const char *at(const char *path)
{
	static char buf[256];

	snprintf(buf, sizeof(buf), "%s/%s", root, path);
	return buf;
}

static void mkdirs(const char *path)
{
	char p[256];

	snprintf(p, sizeof(p), "%s", at(path));
	for (char *s = p + strlen(root) + 1; (s = strchr(s, '/')); s++) {
		*s = '\0';
		mkdir(p, 0755);
		*s = '/';
	}
	cr_assert(mkdir(p, 0755) == 0 || errno == EEXIST, "%s: %s", p, strerror(errno));
}

static void put(const char *path, const char *text)
{
	FILE *f = fopen(at(path), "we");

	cr_assert_not_null(f, "%s", path);
	fputs(text, f);
	fclose(f);
}

static void link_to(const char *target, const char *path)
{
	cr_assert_eq(symlink(target, at(path)), 0, "%s: %s", path, strerror(errno));
}

/* A character device node DEV/NAME (maj:min) owned by UID, never opened. */
static void node(const char *name, unsigned int maj, unsigned int min, uid_t uid)
{
	char path[128];

	snprintf(path, sizeof(path), "dev/%s", name);
	cr_assert_eq(mknod(at(path), S_IFCHR | 0600, makedev(maj, min)), 0, "%s: %s", path,
		     strerror(errno));
	cr_assert_eq(chown(at(path), uid, uid), 0);
}

/*
 * A tty NAME at sysfs REL (below the sysfs root), with /sys/dev/char/M:m
 * and /sys/class/tty/NAME pointing there.
 */
static void sys_tty(const char *name, const char *rel, unsigned int maj, unsigned int min)
{
	char path[200], target[300];

	tu_sysfs_tty(&fs, rel, maj, min);
	snprintf(path, sizeof(path), "class/tty/%s", name);
	snprintf(target, sizeof(target), "../../%s", rel);
	tu_sysfs_link(&fs, path, target);
}

static void setup(void)
{
	struct policy *pol = NULL;

	snprintf(root, sizeof(root), "/tmp/tb-list.XXXXXX");
	cr_assert_not_null(mkdtemp(root));
	mkdirs("dev/pts");
	mkdirs("dev/serial/by-id");
	mkdirs("dev/serial/by-path");
	mkdirs("sys/dev/char");
	mkdirs("sys/class/tty");
	mkdirs("lock");
	snprintf(fs.root, sizeof(fs.root), "%s/sys", root);

	/* An FT232R USB-serial adapter with udev's links (and decoys). */
	tu_sysfs_xhci(&fs);
	tu_sysfs_usb_device(&fs, XHCI "/1-1", 0x0403, 0x6001, 0x00, "A12345", "FTDI",
			    "FT232R USB UART");
	tu_sysfs_usb_interface(&fs, XHCI "/1-1/1-1:1.0", 0);
	tu_sysfs_dir(&fs, XHCI "/1-1/1-1:1.0/ttyUSB0", "usb-serial");
	sys_tty("ttyUSB0", XHCI "/1-1/1-1:1.0/ttyUSB0/tty/ttyUSB0", 188, 0);
	node("ttyUSB0", 188, 0, 0);
	link_to("../../ttyUSB0", "dev/serial/by-id/usb-FTDI_FT232R_USB_UART_A12345-if00-port0");
	link_to("../../ttyUSB0", "dev/serial/by-id/zz-second-link");
	link_to("../../ttyUSB0/x", "dev/serial/by-id/a-bad-target");
	link_to("../../ttyUSB0", "dev/serial/by-path/pci-0000:00:14.0-usb-0:1:1.0-port0");
	/* A 16550 with a UART, a placeholder without one, a VT, a virtual tty. */
	sys_tty("ttyS2", "devices/pnp0/00:05/tty/ttyS2", 4, 66);
	tu_sysfs_value(&fs, "devices/pnp0/00:05/tty/ttyS2", "type", "4");
	node("ttyS2", 4, 66, 0);
	sys_tty("ttyS3", "devices/platform/serial8250/tty/ttyS3", 4, 67);
	tu_sysfs_value(&fs, "devices/platform/serial8250/tty/ttyS3", "type", "0");
	node("ttyS3", 4, 67, 0);
	sys_tty("tty5", "devices/virtual/tty/tty5", 4, 5);
	node("tty5", 4, 5, 0);
	sys_tty("ttyprintk", "devices/virtual/tty/ttyprintk", 5, 3);
	node("ttyprintk", 5, 3, 0);
	/* In sysfs but not in /dev: not a port here. */
	sys_tty("ttyACM0", XHCI "/1-2/1-2:1.0/tty/ttyACM0", 166, 0);
	/* Ptys: nobody's two, root's one (and ptmx). */
	node("pts/4", 136, 4, TU_NOBODY);
	node("pts/10", 136, 10, TU_NOBODY);
	node("pts/5", 136, 5, 0);
	node("pts/ptmx", 5, 2, 0);

	cr_assert_eq(policy_parse(POLICY_TEXT, strlen(POLICY_TEXT), "list.conf", NULL, NULL,
				  &pol), 0);
	memset(&eng, 0, sizeof(eng));
	eng.policy_path = "list.conf";
	eng.pol = pol;
	eng.max_sessions = ENGINE_MAX_SESSIONS;
	eng.env.devfd = open(at("dev"), O_PATH | O_DIRECTORY | O_CLOEXEC);
	eng.env.sysfd = open(at("sys/dev/char"), O_PATH | O_DIRECTORY | O_CLOEXEC);
	eng.lockfd = open(at("lock"), O_PATH | O_DIRECTORY | O_CLOEXEC);
	eng.env.sysroot = open(at("sys"), O_PATH | O_DIRECTORY | O_CLOEXEC);
	eng.proclocks = open("/proc/locks", O_RDONLY | O_CLOEXEC);
	cr_assert(eng.env.devfd >= 0 && eng.env.sysfd >= 0 && eng.lockfd >= 0 &&
		  eng.env.sysroot >= 0 && eng.proclocks >= 0);
	engine_client_init(&cl, getpid(), TU_NOBODY, TU_NOBODY);
}

static void teardown(void)
{
	engine_client_end(&eng, &cl);
	engine_fini(&eng);
	if (root[0])
		tu_rm_tree(root);
	root[0] = '\0';
}

TestSuite(list, .init = setup, .fini = teardown, .timeout = 30);

/* One step after AFTER: the entry's kname, or "" at the end. */
static void step(const char *after, union proto_msg *rep)
{
	struct proto_list req;
	union proto_msg out;
	size_t len;

	memset(&req, 0, sizeof(req));
	proto_hdr_init(&req.hdr, PROTO_LIST, 9);
	snprintf(req.after, sizeof(req.after), "%s", after);
	len = engine_list(&eng, &cl, &req, rep);
	cr_assert_eq(len, rep->hdr.len);
	cr_assert_eq(rep->hdr.seq, 9u);
	/* What the engine sends, a frontend accepts. */
	cr_assert_eq(proto_decode(rep, len, PROTO_FROM_BACKEND, false, &out), 0);
}

/* The whole listing, as "kname" lines joined by spaces. */
static void walk(char *names, size_t len)
{
	union proto_msg rep;
	char after[PROTO_PORT_MAX] = "";

	names[0] = '\0';
	for (int i = 0; i < 64; i++) {
		step(after, &rep);
		if (rep.hdr.type == PROTO_LIST_END) {
			cr_assert_eq(rep.list_end.err, 0);
			return;
		}
		cr_assert_eq(rep.hdr.type, PROTO_LIST_ENTRY);
		cr_assert_gt(strcmp(rep.list_entry.kname, after), 0, "the cursor moves on");
		snprintf(after, sizeof(after), "%s", rep.list_entry.kname);
		snprintf(names + strlen(names), len - strlen(names), "%s%s", names[0] ? " " : "",
			 after);
	}
	cr_assert_fail("the listing does not end");
}

/*
 * Exactly the ports the engine would hand nobody, in order: its ptys, the
 * ttyS with a UART, the USB adapter; not the placeholder, the VT, the
 * virtual tty, root's pty, ptmx, or a sysfs tty without a node.
 */
Test(list, which_ports)
{
	char names[512];

	walk(names, sizeof(names));
	cr_assert_str_eq(names, "pts/10 pts/4 ttyS2 ttyUSB0");
}

struct entry_case {
	char kname[16];
	uint32_t reason;
	uint32_t rule;
	uint32_t flags;
	char by_id[64];
	char by_path[64];
};

ParameterizedTestParameters(list, entries)
{
	static struct entry_case cases[] = {
		{ "pts/10", PROTO_R_OK, 1, PROTO_LIST_PTY, "", "" },
		{ "pts/4", PROTO_R_OK, 1, PROTO_LIST_PTY, "", "" },
		{ "ttyS2", PROTO_R_OK, 3, 0, "", "" },
		{ "ttyUSB0", PROTO_R_OK, 4, PROTO_LIST_USB,
		  "usb-FTDI_FT232R_USB_UART_A12345-if00-port0",
		  "pci-0000:00:14.0-usb-0:1:1.0-port0" },
	};

	return cr_make_param_array(struct entry_case, cases, sizeof(cases) / sizeof(cases[0]));
}

/* Each entry: the verdict and rule, the smallest udev link, no holder. */
ParameterizedTest(struct entry_case *c, list, entries)
{
	char after[PROTO_PORT_MAX] = "", want[64];
	union proto_msg rep;

	/* Walk to KNAME. */
	for (int i = 0; i < 16; i++) {
		step(after, &rep);
		cr_assert_eq(rep.hdr.type, PROTO_LIST_ENTRY, "%s not listed", c->kname);
		if (strcmp(rep.list_entry.kname, c->kname) == 0)
			break;
		snprintf(after, sizeof(after), "%s", rep.list_entry.kname);
	}
	cr_assert_str_eq(rep.list_entry.kname, c->kname);
	cr_assert_eq(rep.list_entry.reason, c->reason, "%s", c->kname);
	cr_assert_eq(rep.list_entry.rule, c->rule, "%s", c->kname);
	snprintf(want, sizeof(want), "list.conf:%u", c->rule);
	cr_assert_str_eq(rep.list_entry.detail, want);
	cr_assert_eq(rep.list_entry.flags, c->flags, "%s", c->kname);
	cr_assert_str_eq(rep.list_entry.by_id, c->by_id);
	cr_assert_str_eq(rep.list_entry.by_path, c->by_path);
	cr_assert_eq(rep.list_entry.holder, PROTO_HOLD_NONE);
	cr_assert_eq(rep.list_entry.holder_pid, 0);
	if (!(c->flags & PROTO_LIST_USB)) {
		cr_assert_eq(rep.list_entry.ifnum, -1);
		cr_assert_str_eq(rep.list_entry.serial, "");
		return;
	}
	/* The identity sysid_read() finds above the tty, which decided. */
	cr_assert_eq(rep.list_entry.vid, 0x0403);
	cr_assert_eq(rep.list_entry.pid, 0x6001);
	cr_assert_eq(rep.list_entry.ifnum, 0);
	cr_assert_str_eq(rep.list_entry.serial, "A12345");
	cr_assert_str_eq(rep.list_entry.manufacturer, "FTDI");
	cr_assert_str_eq(rep.list_entry.product, "FT232R USB UART");
	cr_assert_str_neq(rep.list_entry.path, "", "the physical path");
}

/* Holders: a live LCK.. file, its LK.. twin, a stale one, none. */
Test(list, holders)
{
	struct lock_file lf;
	union proto_msg rep;
	struct stat st;
	pid_t holder = 0;

	/* LCK..ttyUSB0 of a live process (ours). */
	cr_assert_eq(lock_acquire(eng.lockfd, "ttyUSB0", getpid(), &lf), 0);
	step("ttyS2", &rep);
	cr_assert_str_eq(rep.list_entry.kname, "ttyUSB0");
	cr_assert_eq(rep.list_entry.holder, PROTO_HOLD_LCK);
	cr_assert_eq(rep.list_entry.holder_pid, getpid());
	cr_assert_eq(lock_release(eng.lockfd, &lf), 0);
	/* Only the LK.004.066 file, under whatever name: the same device. */
	cr_assert_eq(stat(at("dev/ttyS2"), &st), 0);
	cr_assert_eq(lock_acquire_port(eng.lockfd, "other-name", &st, getpid(), &lf, &holder), 0);
	step("ttyS1", &rep);
	cr_assert_str_eq(rep.list_entry.kname, "ttyS2");
	cr_assert_eq(rep.list_entry.holder, PROTO_HOLD_LCK);
	cr_assert_eq(rep.list_entry.holder_pid, getpid());
	cr_assert_eq(lock_release(eng.lockfd, &lf), 0);
	/* A stale lock file (a pid that cannot exist) holds nothing. */
	put("lock/LCK..ttyUSB0", "2147483646\n");
	step("ttyS2", &rep);
	cr_assert_eq(rep.list_entry.holder, PROTO_HOLD_NONE);
	cr_assert(tu_exists(at("lock/LCK..ttyUSB0")), "listing removed a stale lock file");
	unlink(at("lock/LCK..ttyUSB0"));
	/* A lock file that is no file (a fifo): an open is refused, so it is busy. */
	cr_assert_eq(mkfifo(at("lock/LCK..ttyUSB0"), 0644), 0);
	step("ttyS2", &rep);
	cr_assert_eq(rep.list_entry.holder, PROTO_HOLD_LCK, "a lock file that cannot be judged");
	cr_assert_eq(rep.list_entry.holder_pid, 0);
	unlink(at("lock/LCK..ttyUSB0"));
}

/* A refused policy: every port says so, with the problem; no rule line. */
Test(list, policy_refused)
{
	union proto_msg rep;

	engine_set_policy(&eng, NULL, "list.conf:2: unknown user 'bob'");
	step("", &rep);
	cr_assert_eq(rep.hdr.type, PROTO_LIST_ENTRY);
	cr_assert_eq(rep.list_entry.reason, PROTO_R_POLICY);
	cr_assert_eq(rep.list_entry.rule, 0);
	cr_assert_str_eq(rep.list_entry.detail, "list.conf:2: unknown user 'bob'");
}

/* Another user sees only its own ptys and its own verdicts. */
Test(list, other_user)
{
	char names[512];

	engine_client_init(&cl, getpid(), 0, 0);
	walk(names, sizeof(names));
	cr_assert_str_eq(names, "pts/5 ttyS2 ttyUSB0");
}

/* Without sysfs (no root fd): the ptys are still listed, no error. */
Test(list, no_sysfs)
{
	char names[512];

	close(eng.env.sysroot);
	eng.env.sysroot = -1;
	walk(names, sizeof(names));
	cr_assert_str_eq(names, "pts/10 pts/4");
}

/* A cursor past every name, or an odd one, ends the listing at once. */
Test(list, cursor_end)
{
	union proto_msg rep;

	step("ttyUSB0", &rep);
	cr_assert_eq(rep.hdr.type, PROTO_LIST_END);
	cr_assert_eq(rep.list_end.err, 0);
	step("\x7f", &rep);
	cr_assert_eq(rep.hdr.type, PROTO_LIST_END);
}
