/* SPDX-License-Identifier: MIT */
/*
 * test_sysid.c - a port's identity from sysfs (broker/sysid.c), against
 * fake sysfs trees laid out as the kernel does (tests/testutil.h,
 * tu_sysfs_*), and the backend that uses it: the identity is read from
 * the pinned node's device number before the device is opened, refused
 * without an open when it cannot be read, and checked again after the
 * open.  The backend runs for real (forked backend_main(), confined) with
 * its sysfs root pointed at the fake tree.
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/fanotify.h>
#include <sys/inotify.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include "backend.h"
#include "fdpass.h"
#include "policy.h"
#include "proto.h"
#include "sysid.h"
#include "testutil.h"
#include "ttybroker.h"

#define XHCI "devices/pci0000:00/0000:00:14.0/usb1"
#define IO_MS 5000

static struct tu_sysfs fs;
static int sysfd = -1;

static void sysid_setup(void)
{
	tu_sysfs_init(&fs);
}

static void sysid_teardown(void)
{
	if (sysfd >= 0)
		close(sysfd);
	sysfd = -1;
	tu_sysfs_fini(&fs);
}

TestSuite(sysid, .init = sysid_setup, .fini = sysid_teardown);

/* sysid_read() on the fake tree for MAJ:MIN; no descriptor may stay open. */
static int read_id(unsigned int maj, unsigned int min, struct policy_ident *id)
{
	int before, r;

	if (sysfd < 0) {
		sysfd = open(fs.root, O_PATH | O_DIRECTORY | O_CLOEXEC);
		cr_assert_geq(sysfd, 0);
	}
	memset(id, 0xa5, sizeof(*id)); /* every field must be written */
	before = tu_count_fds();
	r = sysid_read(sysfd, makedev(maj, min), id);
	cr_assert_eq(tu_count_fds(), before, "sysid_read leaked a descriptor");
	return r;
}

/* What a failed read leaves: no identity at all. */
static void assert_empty(const struct policy_ident *id)
{
	cr_assert(!id->usb);
	cr_assert_eq(id->vid, 0);
	cr_assert_eq(id->pid, 0);
	cr_assert_eq(id->ifnum, -1);
	cr_assert_str_eq(id->serial, "");
	cr_assert_str_eq(id->manufacturer, "");
	cr_assert_str_eq(id->product, "");
	cr_assert_str_eq(id->path, "");
}

/* An FTDI FT232R (0403:6001) on root port 2 of the xHCI host, ttyUSB0. */
static void make_ft232(const char *serial)
{
	tu_sysfs_xhci(&fs);
	tu_sysfs_usb_device(&fs, XHCI "/1-2", 0x0403, 0x6001, 0x00, serial, "FTDI",
			    "FT232R USB UART");
	tu_sysfs_usb_interface(&fs, XHCI "/1-2/1-2:1.0", 0);
	tu_sysfs_dir(&fs, XHCI "/1-2/1-2:1.0/ttyUSB0", "usb-serial");
	tu_sysfs_value(&fs, XHCI "/1-2/1-2:1.0/ttyUSB0", "port_number", "0");
	tu_sysfs_tty(&fs, XHCI "/1-2/1-2:1.0/ttyUSB0/tty/ttyUSB0", 188, 0);
}

Test(sysid, ftdi_single_port)
{
	struct policy_ident id;

	make_ft232("A12345");
	cr_assert_eq(read_id(188, 0, &id), 0);
	cr_assert(id.usb);
	cr_assert_eq(id.vid, 0x0403);
	cr_assert_eq(id.pid, 0x6001);
	cr_assert_eq(id.ifnum, 0);
	cr_assert_str_eq(id.serial, "A12345");
	cr_assert_str_eq(id.manufacturer, "FTDI");
	cr_assert_str_eq(id.product, "FT232R USB UART");
	cr_assert_str_eq(id.path, "pci-0000:00:14.0-usb-0:2:1.0-port0");
}

/* An FT4232H: one device, four interfaces, each with its own ttyUSB. */
Test(sysid, ft4232_four_interfaces)
{
	char rel[256], want[128];
	struct policy_ident id;

	tu_sysfs_xhci(&fs);
	tu_sysfs_usb_device(&fs, XHCI "/1-3", 0x0403, 0x6011, 0x00, "FT4232XY",
			    "FTDI", "Quad RS232-HS");
	for (unsigned int i = 0; i < 4; i++) {
		snprintf(rel, sizeof(rel), XHCI "/1-3/1-3:1.%u", i);
		tu_sysfs_usb_interface(&fs, rel, i);
		snprintf(rel, sizeof(rel), XHCI "/1-3/1-3:1.%u/ttyUSB%u", i, i + 1);
		tu_sysfs_dir(&fs, rel, "usb-serial");
		tu_sysfs_value(&fs, rel, "port_number", "0");
		snprintf(rel, sizeof(rel), XHCI "/1-3/1-3:1.%u/ttyUSB%u/tty/ttyUSB%u",
			 i, i + 1, i + 1);
		tu_sysfs_tty(&fs, rel, 188, i + 1);
	}
	for (unsigned int i = 0; i < 4; i++) {
		cr_assert_eq(read_id(188, i + 1, &id), 0);
		cr_assert(id.usb);
		cr_assert_eq(id.vid, 0x0403);
		cr_assert_eq(id.pid, 0x6011);
		cr_assert_eq(id.ifnum, (int)i, "ttyUSB%u: interface %d", i + 1, id.ifnum);
		cr_assert_str_eq(id.serial, "FT4232XY");
		snprintf(want, sizeof(want), "pci-0000:00:14.0-usb-0:3:1.%u-port0", i);
		cr_assert_str_eq(id.path, want);
	}
}

/* A CDC-ACM device: ttyACM sits right below the interface (no usb-serial),
 * here interface 0 and 2 of a composite device (bDeviceClass ef). */
Test(sysid, cdc_acm_composite)
{
	struct policy_ident id;

	tu_sysfs_xhci(&fs);
	tu_sysfs_usb_device(&fs, XHCI "/1-4", 0x2e8a, 0x000a, 0xef, "E6614C311B7D5A2F",
			    "Raspberry Pi", "Pico");
	tu_sysfs_usb_interface(&fs, XHCI "/1-4/1-4:1.0", 0);
	tu_sysfs_tty(&fs, XHCI "/1-4/1-4:1.0/tty/ttyACM0", 166, 0);
	tu_sysfs_usb_interface(&fs, XHCI "/1-4/1-4:1.2", 2);
	tu_sysfs_tty(&fs, XHCI "/1-4/1-4:1.2/tty/ttyACM1", 166, 1);
	cr_assert_eq(read_id(166, 0, &id), 0);
	cr_assert(id.usb);
	cr_assert_eq(id.vid, 0x2e8a);
	cr_assert_eq(id.pid, 0x000a);
	cr_assert_eq(id.ifnum, 0);
	cr_assert_str_eq(id.serial, "E6614C311B7D5A2F");
	cr_assert_str_eq(id.manufacturer, "Raspberry Pi");
	cr_assert_str_eq(id.product, "Pico");
	cr_assert_str_eq(id.path, "pci-0000:00:14.0-usb-0:4:1.0");
	cr_assert_eq(read_id(166, 1, &id), 0);
	cr_assert_eq(id.ifnum, 2);
	cr_assert_str_eq(id.path, "pci-0000:00:14.0-usb-0:4:1.2");
}

/* A device behind a hub: the device is the identity, never the hub. */
Test(sysid, behind_a_hub)
{
	struct policy_ident id;

	tu_sysfs_xhci(&fs);
	tu_sysfs_usb_device(&fs, XHCI "/1-1", 0x05e3, 0x0608, 0x09, NULL,
			    "GenesysLogic", "USB2.0 Hub");
	tu_sysfs_usb_device(&fs, XHCI "/1-1/1-1.2", 0x0403, 0x6015, 0x00, "DN0ABCDE",
			    "FTDI", "FT230X Basic UART");
	tu_sysfs_usb_interface(&fs, XHCI "/1-1/1-1.2/1-1.2:1.0", 0);
	tu_sysfs_dir(&fs, XHCI "/1-1/1-1.2/1-1.2:1.0/ttyUSB5", "usb-serial");
	tu_sysfs_value(&fs, XHCI "/1-1/1-1.2/1-1.2:1.0/ttyUSB5", "port_number", "0");
	tu_sysfs_tty(&fs, XHCI "/1-1/1-1.2/1-1.2:1.0/ttyUSB5/tty/ttyUSB5", 188, 5);
	cr_assert_eq(read_id(188, 5, &id), 0);
	cr_assert(id.usb);
	cr_assert_eq(id.vid, 0x0403);
	cr_assert_eq(id.pid, 0x6015);
	cr_assert_eq(id.ifnum, 0);
	cr_assert_str_eq(id.serial, "DN0ABCDE");
	cr_assert_str_eq(id.product, "FT230X Basic UART");
	cr_assert_str_eq(id.path, "pci-0000:00:14.0-usb-0:1.2:1.0-port0");
}

/* A tty on the hub itself (its own interface), and one on the root hub:
 * no identity (a hub is never one), but a physical path. */
Test(sysid, hub_is_never_the_identity)
{
	struct policy_ident id;
	const char *root = tu_sysfs_xhci(&fs);
	char rel[256];

	tu_sysfs_usb_device(&fs, XHCI "/1-1", 0x05e3, 0x0608, 0x09, "HUBSERIAL",
			    "GenesysLogic", "USB2.0 Hub");
	tu_sysfs_usb_interface(&fs, XHCI "/1-1/1-1:1.0", 0);
	tu_sysfs_tty(&fs, XHCI "/1-1/1-1:1.0/tty/ttyHUB0", 240, 7);
	cr_assert_eq(read_id(240, 7, &id), 0);
	cr_assert(!id.usb, "a hub was taken for the identity");
	cr_assert_eq(id.vid, 0);
	cr_assert_eq(id.ifnum, -1);
	cr_assert_str_eq(id.serial, "");
	cr_assert_str_eq(id.path, "pci-0000:00:14.0-usb-0:1:1.0");

	snprintf(rel, sizeof(rel), "%s/1-0:1.0", root);
	tu_sysfs_usb_interface(&fs, rel, 0);
	snprintf(rel, sizeof(rel), "%s/1-0:1.0/tty/ttyROOT0", root);
	tu_sysfs_tty(&fs, rel, 240, 8);
	cr_assert_eq(read_id(240, 8, &id), 0);
	cr_assert(!id.usb, "a root hub was taken for the identity");
	cr_assert_str_eq(id.serial, "");
}

/* Platform UARTs: no USB ancestor; the path names the platform device
 * (the deepest one: a parent platform device such as "soc" is skipped). */
Test(sysid, platform_uart)
{
	struct policy_ident id;

	tu_sysfs_dir(&fs, "devices/platform", NULL);
	tu_sysfs_dir(&fs, "devices/platform/serial8250", "platform");
	tu_sysfs_tty(&fs, "devices/platform/serial8250/tty/ttyS1", 4, 65);
	cr_assert_eq(read_id(4, 65, &id), 0);
	cr_assert(!id.usb);
	cr_assert_eq(id.vid, 0);
	cr_assert_eq(id.pid, 0);
	cr_assert_eq(id.ifnum, -1);
	cr_assert_str_eq(id.serial, "");
	cr_assert_str_eq(id.path, "platform-serial8250");

	tu_sysfs_dir(&fs, "devices/platform/soc", "platform");
	tu_sysfs_dir(&fs, "devices/platform/soc/fe201000.serial", "platform");
	tu_sysfs_tty(&fs, "devices/platform/soc/fe201000.serial/tty/ttyAMA0", 204, 64);
	cr_assert_eq(read_id(204, 64, &id), 0);
	cr_assert(!id.usb);
	cr_assert_str_eq(id.path, "platform-fe201000.serial");
}

/* No supported parent (pnp, virtual): no identity and no path, as udev. */
Test(sysid, no_physical_path)
{
	struct policy_ident id;

	tu_sysfs_dir(&fs, "devices/pnp0/00:04", "pnp");
	tu_sysfs_tty(&fs, "devices/pnp0/00:04/tty/ttyS0", 4, 64);
	tu_sysfs_dir(&fs, "devices/virtual/tty", NULL);
	tu_sysfs_tty(&fs, "devices/virtual/tty/ttynull", 241, 0);
	cr_assert_eq(read_id(4, 64, &id), 0);
	assert_empty(&id);
	cr_assert_eq(read_id(241, 0, &id), 0);
	assert_empty(&id);
}

Test(sysid, missing_serial)
{
	struct policy_ident id;

	make_ft232(NULL);
	cr_assert_eq(read_id(188, 0, &id), 0);
	cr_assert(id.usb);
	cr_assert_eq(id.vid, 0x0403);
	cr_assert_str_eq(id.serial, "");
	cr_assert_str_eq(id.manufacturer, "FTDI");
}

struct odd_case {
	char raw[64];     /* the attribute's bytes (RAWLEN of them) */
	size_t rawlen;
	char want[64];
};

ParameterizedTestParameters(sysid, odd_serial)
{
	static struct odd_case cases[] = {
		{ "A 1\x01\x1b[31m\x7fZ\n", 12, "A 1??[31m?Z" },
		{ "A\r\nB\n", 5, "A??B" },
		{ "AB\0CD\n", 6, "AB?CD" },
		{ "\n", 1, "" },
		{ "", 0, "" },
		{ "  spaced out  \n", 15, "  spaced out  " },
		{ "K\xc3\xbc" "che\n", 7, "K\xc3\xbc" "che" }, /* UTF-8 stays */
		{ "two\n\n", 5, "two?" },
		{ "\xff\xfe\n", 3, "\xff\xfe" },
	};

	return cr_make_param_array(struct odd_case, cases, sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct odd_case *c, sysid, odd_serial)
{
	struct policy_ident id;

	make_ft232(NULL);
	tu_sysfs_attr(&fs, XHCI "/1-2", "serial", c->raw, c->rawlen);
	cr_assert_eq(read_id(188, 0, &id), 0);
	cr_assert(id.usb);
	cr_assert_str_eq(id.serial, c->want);
}

/* A very long string is cut at POLICY_ID_STR - 1 bytes, NUL-terminated. */
Test(sysid, long_strings)
{
	char big[4000];
	struct policy_ident id;

	make_ft232("x");
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	tu_sysfs_value(&fs, XHCI "/1-2", "serial", big);
	tu_sysfs_value(&fs, XHCI "/1-2", "product", big);
	cr_assert_eq(read_id(188, 0, &id), 0);
	cr_assert_eq(strlen(id.serial), POLICY_ID_STR - 1);
	cr_assert_eq(strlen(id.product), POLICY_ID_STR - 1);
	cr_assert_eq(strspn(id.serial, "x"), POLICY_ID_STR - 1);
}

/* No such device in sysfs: -ENOENT, an empty identity. */
Test(sysid, missing_dev_char)
{
	struct policy_ident id;

	make_ft232("A12345");
	cr_assert_eq(read_id(188, 99, &id), -ENOENT);
	assert_empty(&id);
	/* The link is there but its device directory is gone. */
	tu_sysfs_link(&fs, "dev/char/188:98", "../../" XHCI "/1-9/1-9:1.0/tty/ttyUSB9");
	cr_assert_eq(read_id(188, 98, &id), -ENOENT);
	assert_empty(&id);
}

struct escape_case {
	char target[96];
	int want;
};

ParameterizedTestParameters(sysid, escape)
{
	static struct escape_case cases[] = {
		{ "../../../etc", -EXDEV },
		{ "../../../../../../../../etc/passwd", -EXDEV },
		{ "/devices/platform/serial8250/tty/ttyS1", -EINVAL },
		{ "/etc", -EINVAL },
		{ "../../devices/../../../etc", -EINVAL },
		{ "../../devices/platform/./serial8250/tty/ttyS1", -EINVAL },
		{ "../../devices//platform/serial8250/tty/ttyS1", -EINVAL },
		{ "../../devices/platform/serial8250/tty/ttyS1/", -EINVAL },
		{ "../../class/tty/ttyS1", -EINVAL },
		{ "../char", -EINVAL },
		{ "", -ENOENT }, /* symlink(2) refuses an empty target */
		{ "../../devices/evil/etc", -EINVAL }, /* devices/evil -> / */
		{ "../../devices/platform/serial8250/tty/ttyS1", 0 },
	};

	return cr_make_param_array(struct escape_case, cases,
				   sizeof(cases) / sizeof(cases[0]));
}

/*
 * dev/char links that would lead out of the root, or anywhere but
 * devices/, are refused; a symlink inside the tree is never followed.
 */
ParameterizedTest(struct escape_case *c, sysid, escape)
{
	struct policy_ident id;
	int r;

	tu_sysfs_dir(&fs, "devices/platform/serial8250/tty/ttyS1", NULL);
	tu_sysfs_dir(&fs, "etc", NULL);
	tu_sysfs_link(&fs, "devices/evil", "/");
	if (c->target[0])
		tu_sysfs_link(&fs, "dev/char/4:65", c->target);
	r = read_id(4, 65, &id);
	cr_assert_eq(r, c->want, "%s: %d, want %d", c->target, r, c->want);
	if (c->want)
		assert_empty(&id);
}

/* dev or dev/char being a symlink is not followed either. */
Test(sysid, symlinked_dev_char)
{
	struct policy_ident id;
	char from[128], to[128];

	make_ft232("A12345");
	tu_sysfs_dir(&fs, "real", NULL);
	snprintf(from, sizeof(from), "%s/dev/char", fs.root);
	snprintf(to, sizeof(to), "%s/real/char", fs.root);
	cr_assert_eq(rename(from, to), 0);
	tu_sysfs_link(&fs, "dev/char", "../real/char");
	cr_assert_eq(read_id(188, 0, &id), -EINVAL);
	assert_empty(&id);
}

/* Malformed ids make the whole read fail (fail closed), not a guess. */
Test(sysid, malformed_ids)
{
	struct policy_ident id;

	make_ft232("A12345");
	tu_sysfs_value(&fs, XHCI "/1-2", "idVendor", "04g3");
	cr_assert_eq(read_id(188, 0, &id), -EINVAL);
	assert_empty(&id);
	tu_sysfs_value(&fs, XHCI "/1-2", "idVendor", "403");
	cr_assert_eq(read_id(188, 0, &id), -EINVAL);
	tu_sysfs_value(&fs, XHCI "/1-2", "idVendor", "0403");
	tu_sysfs_value(&fs, XHCI "/1-2/1-2:1.0", "bInterfaceNumber", "zz");
	cr_assert_eq(read_id(188, 0, &id), -EINVAL);
	tu_sysfs_value(&fs, XHCI "/1-2/1-2:1.0", "bInterfaceNumber", "00");
	tu_sysfs_value(&fs, XHCI "/1-2/1-2:1.0/ttyUSB0", "port_number", "-1");
	cr_assert_eq(read_id(188, 0, &id), -EINVAL);
	tu_sysfs_value(&fs, XHCI "/1-2/1-2:1.0/ttyUSB0", "port_number", "1");
	cr_assert_eq(read_id(188, 0, &id), 0);
	cr_assert_str_eq(id.path, "pci-0000:00:14.0-usb-0:2:1.0-port1");
}

/* An attribute that is not a regular file is never read. */
Test(sysid, attribute_not_a_file)
{
	struct policy_ident id;
	char path[256];

	make_ft232("A12345");
	snprintf(path, sizeof(path), "%s/" XHCI "/1-2/serial", fs.root);
	cr_assert_eq(unlink(path), 0);
	cr_assert_eq(mkfifo(path, 0644), 0);
	cr_assert_eq(read_id(188, 0, &id), -EINVAL);
	assert_empty(&id);
	cr_assert_eq(unlink(path), 0);
	tu_sysfs_link(&fs, XHCI "/1-2/serial", "/etc/hostname");
	cr_assert_lt(read_id(188, 0, &id), 0, "followed a symlinked attribute");
}

Test(sysid, no_sysfs)
{
	struct policy_ident id;

	memset(&id, 0xa5, sizeof(id));
	cr_assert_eq(sysid_read(-1, makedev(4, 64), &id), -EBADF);
	assert_empty(&id);
}

/* The real /sys: /dev/null and the console serial port read without error. */
Test(sysid, real_sysfs)
{
	struct policy_ident id;
	struct stat st;
	int fd = open("/sys", O_PATH | O_DIRECTORY | O_CLOEXEC);

	cr_assert_geq(fd, 0);
	cr_assert_eq(stat("/dev/null", &st), 0);
	cr_assert_eq(sysid_read(fd, st.st_rdev, &id), 0);
	cr_assert(!id.usb);
	cr_assert_str_eq(id.path, "");
	if (stat("/dev/ttyS0", &st) == 0) {
		cr_assert_eq(sysid_read(fd, st.st_rdev, &id), 0);
		cr_assert(!id.usb);
	}
	cr_assert_eq(sysid_read(fd, makedev(136, 999999), &id), -ENOENT);
	close(fd);
}

/* ---- the backend reads and uses the identity ------------------------- */

static struct tu_env env;
static struct tu_pty pty = { .master = -1 };
static pid_t bpid = -1;
static int bsock = -1;
static char errlog[160];
static char pty_port[32];              /* the port open_paused() asks for */
static void (*be_cleanup)(void);       /* a test's own cleanup, or NULL  */

static void be_setup(void)
{
	tu_sysfs_init(&fs);
	tu_env_init(&env);
	tu_pty_open(&pty, 0);
	snprintf(pty_port, sizeof(pty_port), "%s", pty.port);
	snprintf(errlog, sizeof(errlog), "%s/backend.log", env.dir);
}

static void be_teardown(void)
{
	if (bsock >= 0)
		close(bsock);
	bsock = -1;
	if (bpid > 0 && tu_wait(bpid, IO_MS) < 0) {
		kill(bpid, SIGKILL);
		waitpid(bpid, NULL, 0);
	}
	bpid = -1;
	if (be_cleanup)
		be_cleanup();
	be_cleanup = NULL;
	unlink(errlog);
	tu_pty_close(&pty);
	tu_env_fini(&env);
	tu_sysfs_fini(&fs);
}

TestSuite(sysid_backend, .init = be_setup, .fini = be_teardown);

/* Start a confined backend for this process (uid 0) on the fake sysfs,
 * with DEVDIR as /dev; its stderr (audit lines) goes to errlog. */
static void backend_start(const char *devdir)
{
	static struct backend_config cfg;
	struct proto_ready rdy;
	struct pollfd p;
	int sv[2];

	memset(&cfg, 0, sizeof(cfg));
	cfg.policy_path = env.policy;
	cfg.lockdir = env.lockdir;
	cfg.devdir = devdir;
	cfg.sysdir = fs.root;
	cfg.log_flags = TB_LOG_STDERR | TB_LOG_QUIET;
	cfg.peer_pid = getpid();
	snprintf(cfg.peer_user, sizeof(cfg.peer_user), "root");
	snprintf(cfg.peer_comm, sizeof(cfg.peer_comm), "test_sysid");
	cr_assert_eq(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
	cr_assert_eq(fdpass_want_creds(sv[1]), 0);
	bpid = fork();
	cr_assert_geq(bpid, 0);
	if (bpid == 0) {
		int fd = open(errlog, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);

		if (fd < 0 || dup2(fd, 2) < 0)
			_exit(99);
		close(sv[0]);
		backend_main(sv[1], &cfg);
	}
	close(sv[1]);
	bsock = sv[0];
	p = (struct pollfd){ .fd = bsock, .events = POLLIN };
	cr_assert_eq(poll(&p, 1, IO_MS), 1, "no PROTO_READY");
	cr_assert_eq(recv(bsock, &rdy, sizeof(rdy), 0), (ssize_t)sizeof(rdy));
	cr_assert_eq(rdy.hdr.type, PROTO_READY);
	cr_assert_eq(rdy.err, 0, "backend did not start: %d", rdy.err);
}

/* Send PROTO_OPEN for PORT. */
static void open_send(const char *port)
{
	struct proto_open req;

	memset(&req, 0, sizeof(req));
	proto_hdr_init(&req.hdr, PROTO_OPEN, 1);
	snprintf(req.port, sizeof(req.port), "%s", port);
	req.flags = PROTO_OPEN_NONBLOCK;
	cr_assert_eq(fdpass_send(bsock, &req, sizeof(req), -1), 0);
}

/* Receive the reply; *FD is its descriptor or -1. */
static void open_recv(struct proto_open_reply *rep, int *fd)
{
	struct pollfd p = { .fd = bsock, .events = POLLIN };

	cr_assert_eq(poll(&p, 1, IO_MS), 1, "no reply");
	cr_assert_eq(fdpass_recv(bsock, rep, sizeof(*rep), fd, NULL),
		     (ssize_t)sizeof(*rep));
	cr_assert_eq(rep->hdr.type, PROTO_OPEN_REPLY);
}

/* The backend's log so far (audit lines on its stderr). */
static void read_log(char *buf, size_t len)
{
	tu_read_file(errlog, buf, len);
}

/* The fake tree: an FT232R whose tty is the test pty's device number. */
static void ft232_on_pty(const char *serial)
{
	struct stat st;
	char target[256], link[64];

	cr_assert_eq(stat(pty.path, &st), 0);
	make_ft232(serial);
	snprintf(link, sizeof(link), "dev/char/%u:%u", major(st.st_rdev),
		 minor(st.st_rdev));
	snprintf(target, sizeof(target), "../../" XHCI "/1-2/1-2:1.0/ttyUSB0/tty/ttyUSB0");
	tu_sysfs_link(&fs, link, target);
}

/* A watch for opens (not O_PATH pins) of the pty slave. */
static int watch_opens(void)
{
	int in = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);

	cr_assert_geq(in, 0);
	cr_assert_geq(inotify_add_watch(in, pty.path, IN_OPEN), 0);
	return in;
}

static bool was_opened(int in)
{
	char buf[4096];

	return read(in, buf, sizeof(buf)) > 0;
}

/*
 * The confined backend reads the identity through its sysfs root fd
 * (Landlock and seccomp allow it) and the audit line shows it.
 */
Test(sysid_backend, identity_in_audit_line)
{
	struct proto_open_reply rep;
	char log[4096], want[512];
	int fd, in;

	ft232_on_pty("A12345");
	tu_policy(&env, "permit * pts/*\n");
	backend_start("/dev");
	in = watch_opens();
	open_send(pty.port);
	open_recv(&rep, &fd);
	cr_assert_eq(rep.err, 0, "reason %u: %s", rep.reason, rep.detail);
	cr_assert_geq(fd, 0);
	cr_assert(was_opened(in), "the granted port was opened");
	close(fd);
	close(in);
	close(bsock);
	bsock = -1;
	cr_assert_eq(tu_wait(bpid, IO_MS), 0, "the backend failed or was killed");
	bpid = -1;
	read_log(log, sizeof(log));
	snprintf(want, sizeof(want), "port=%s usb=0403:6001 if=0 serial=A12345 "
		 "path=pci-0000:00:14.0-usb-0:2:1.0-port0 verdict=permit", pty.port);
	cr_assert_not_null(strstr(log, want), "no '%s' in:\n%s", want, log);
}

/*
 * A port whose sysfs entry cannot be read (here: a link out of the root)
 * is refused before the device is ever opened (no DTR).
 */
Test(sysid_backend, unreadable_identity_refused_before_open)
{
	struct proto_open_reply rep;
	struct stat st;
	char link[64], log[4096];
	int fd, in;

	cr_assert_eq(stat(pty.path, &st), 0);
	snprintf(link, sizeof(link), "dev/char/%u:%u", major(st.st_rdev),
		 minor(st.st_rdev));
	tu_sysfs_link(&fs, link, "../../../../etc");
	tu_policy(&env, "permit * pts/*\n");
	backend_start("/dev");
	in = watch_opens();
	open_send(pty.port);
	open_recv(&rep, &fd);
	cr_assert_eq(fd, -1);
	cr_assert_eq(rep.reason, PROTO_R_BROKER);
	cr_assert_eq(rep.err, -EXDEV);
	cr_assert_not_null(strstr(rep.detail, "identity"), "detail: %s", rep.detail);
	cr_assert(!was_opened(in), "the device was opened for a refusal");
	close(in);
	read_log(log, sizeof(log));
	cr_assert_not_null(strstr(log, "verdict=refuse reason=broker"), "%s", log);
}

/*
 * Pause the backend while it writes its lock file (after the identity
 * check, before the open: fanotify's open permission event on the lock
 * directory) and run CHANGE then.  Returns the reply.
 */
static void open_paused(void (*change)(void), struct proto_open_reply *rep, int *fd)
{
	struct fanotify_event_metadata ev[8];
	bool changed = false;
	int fan = fanotify_init(FAN_CLASS_CONTENT | FAN_CLOEXEC, O_RDONLY | O_CLOEXEC);

	cr_assert_geq(fan, 0, "fanotify_init: %s", strerror(errno));
	cr_assert_eq(fanotify_mark(fan, FAN_MARK_ADD, FAN_OPEN_PERM | FAN_EVENT_ON_CHILD,
				   AT_FDCWD, env.lockdir), 0, "%s", strerror(errno));
	open_send(pty_port);
	for (;;) {
		struct pollfd p[2] = { { .fd = fan, .events = POLLIN },
				       { .fd = bsock, .events = POLLIN } };
		ssize_t n;

		cr_assert_gt(poll(p, 2, IO_MS), 0, "backend stuck");
		if (p[1].revents)
			break;
		n = read(fan, ev, sizeof(ev));
		cr_assert_gt(n, 0);
		for (struct fanotify_event_metadata *m = ev; FAN_EVENT_OK(m, n);
		     m = FAN_EVENT_NEXT(m, n)) {
			struct fanotify_response resp = { .fd = m->fd, .response = FAN_ALLOW };

			if (!changed && m->pid == bpid) {
				change();
				changed = true;
			}
			cr_assert_eq(write(fan, &resp, sizeof(resp)), (ssize_t)sizeof(resp));
			close(m->fd);
		}
	}
	close(fan);
	cr_assert(changed, "the backend wrote no lock file");
	open_recv(rep, fd);
}

static void change_nothing(void)
{
}

/* Re-enumeration: another FTDI (another serial) now has the number. */
static void change_device(void)
{
	struct stat st;
	char path[512];

	cr_assert_eq(stat(pty.path, &st), 0);
	tu_sysfs_usb_device(&fs, XHCI "/1-5", 0x0403, 0x6001, 0x00, "OTHER99",
			    "FTDI", "FT232R USB UART");
	tu_sysfs_usb_interface(&fs, XHCI "/1-5/1-5:1.0", 0);
	tu_sysfs_dir(&fs, XHCI "/1-5/1-5:1.0/ttyUSB0", "usb-serial");
	tu_sysfs_value(&fs, XHCI "/1-5/1-5:1.0/ttyUSB0", "port_number", "0");
	tu_sysfs_dir(&fs, XHCI "/1-5/1-5:1.0/ttyUSB0/tty/ttyUSB0", NULL);
	snprintf(path, sizeof(path), "%s/dev/char/%u:%u", fs.root, major(st.st_rdev),
		 minor(st.st_rdev));
	cr_assert_eq(unlink(path), 0);
	cr_assert_eq(symlink("../../" XHCI "/1-5/1-5:1.0/ttyUSB0/tty/ttyUSB0", path), 0);
}

/* Without a change the paused open is granted (the pause works). */
Test(sysid_backend, paused_open_unchanged)
{
	struct proto_open_reply rep;
	int fd;

	ft232_on_pty("A12345");
	tu_policy(&env, "permit * pts/*\n");
	backend_start("/dev");
	open_paused(change_nothing, &rep, &fd);
	cr_assert_eq(rep.err, 0, "reason %u: %s", rep.reason, rep.detail);
	cr_assert_geq(fd, 0);
	close(fd);
}

/* The identity changed between the check and the open: refused, the
 * device closed again, the lock files gone. */
Test(sysid_backend, identity_changed_while_opening)
{
	struct proto_open_reply rep;
	char lock[256], log[4096];
	int fd;

	ft232_on_pty("A12345");
	tu_policy(&env, "permit * pts/*\n");
	backend_start("/dev");
	open_paused(change_device, &rep, &fd);
	cr_assert_eq(fd, -1);
	cr_assert_eq(rep.reason, PROTO_R_NODEV);
	cr_assert_eq(rep.err, -ENODEV);
	cr_assert_not_null(strstr(rep.detail, "changed"), "detail: %s", rep.detail);
	tu_lockfile(&env, pty.port, lock, sizeof(lock));
	cr_assert(!tu_exists(lock), "lock file left behind");
	read_log(log, sizeof(log));
	cr_assert_not_null(strstr(log, "why=\"identity changed while opening\""), "%s", log);
}

/* The FTDI of ft232_on_pty() appears at the pty's number (plugged in). */
static void appear_device(void)
{
	struct stat st;
	char link[64];

	cr_assert_eq(stat(pty.path, &st), 0);
	snprintf(link, sizeof(link), "dev/char/%u:%u", major(st.st_rdev), minor(st.st_rdev));
	tu_sysfs_link(&fs, link, "../../" XHCI "/1-2/1-2:1.0/ttyUSB0/tty/ttyUSB0");
}

/*
 * No identity at the check, one at the open: the device now at that
 * number was never judged by identity (a deny rule by usb: or path: could
 * cover it), so it is refused as changed.
 */
Test(sysid_backend, identity_appeared_while_opening)
{
	struct proto_open_reply rep;
	char lock[256];
	int fd;

	make_ft232("A12345"); /* the device, but not yet at the pty's number */
	tu_policy(&env, "permit * pts/*\n");
	backend_start("/dev");
	open_paused(appear_device, &rep, &fd);
	cr_assert_eq(fd, -1);
	cr_assert_eq(rep.reason, PROTO_R_NODEV);
	cr_assert_not_null(strstr(rep.detail, "changed"), "detail: %s", rep.detail);
	tu_lockfile(&env, pty.port, lock, sizeof(lock));
	cr_assert(!tu_exists(lock), "lock file left behind");
}

/* Two private devpts instances for the next test: A at DEV/pts, B at PTS2. */
static char dev_dir[96], pts_a[128], pts_b[128];
static int ptm_a = -1, ptm_b = -1;

static void devpts_cleanup(void)
{
	if (ptm_a >= 0)
		close(ptm_a);
	if (ptm_b >= 0)
		close(ptm_b);
	ptm_a = ptm_b = -1;
	while (umount2(pts_a, MNT_DETACH) == 0)
		;
	umount2(pts_b, MNT_DETACH);
	rmdir(pts_a);
	rmdir(pts_b);
	rmdir(dev_dir);
}

/* Instance B now covers A's mount point: "pts/0" names another pty. */
static void swap_node(void)
{
	cr_assert_eq(mount(pts_b, pts_a, NULL, MS_BIND, NULL), 0, "%s", strerror(errno));
}

/* A pty in the devpts instance at DIR: its master, and index 0. */
static int devpts_pty(const char *dir)
{
	char path[160];
	unsigned int n = 99;
	int m;

	cr_assert_eq(mount("devpts", dir, "devpts", 0,
			   "newinstance,ptmxmode=0666,mode=0600"), 0, "%s", strerror(errno));
	snprintf(path, sizeof(path), "%s/ptmx", dir);
	m = open(path, O_RDWR | O_NOCTTY | O_CLOEXEC);
	cr_assert_geq(m, 0, "%s: %s", path, strerror(errno));
	cr_assert_eq(unlockpt(m), 0);
	cr_assert_eq(ioctl(m, TIOCGPTN, &n), 0);
	cr_assert_eq(n, 0, "a new instance starts at pts/0");
	return m;
}

/*
 * The node was replaced between the pin and the open (here: another
 * devpts instance mounted over the /dev/pts of a private /dev, in a
 * private mount namespace): the open's fstat does not show the pinned
 * node, so the request is refused and nothing is handed out.
 */
Test(sysid_backend, node_changed_while_opening)
{
	struct proto_open_reply rep;
	struct stat a, b;
	char path[160];
	int fd;

	cr_assert_eq(unshare(CLONE_NEWNS), 0, "%s", strerror(errno));
	cr_assert_eq(mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL), 0);
	snprintf(dev_dir, sizeof(dev_dir), "%s/dev", env.dir);
	snprintf(pts_a, sizeof(pts_a), "%s/pts", dev_dir);
	snprintf(pts_b, sizeof(pts_b), "%s/pts2", env.dir);
	cr_assert_eq(mkdir(dev_dir, 0755), 0);
	cr_assert_eq(mkdir(pts_a, 0755), 0);
	cr_assert_eq(mkdir(pts_b, 0755), 0);
	be_cleanup = devpts_cleanup;
	ptm_a = devpts_pty(pts_a);
	ptm_b = devpts_pty(pts_b);
	snprintf(path, sizeof(path), "%s/0", pts_a);
	cr_assert_eq(stat(path, &a), 0);
	snprintf(path, sizeof(path), "%s/0", pts_b);
	cr_assert_eq(stat(path, &b), 0);
	cr_assert(a.st_dev != b.st_dev, "two instances");
	tu_policy(&env, "permit * pts/*\n");
	backend_start(dev_dir);
	snprintf(pty_port, sizeof(pty_port), "pts/0");
	open_paused(swap_node, &rep, &fd);
	cr_assert_eq(fd, -1);
	cr_assert_eq(rep.reason, PROTO_R_NODEV, "reason %u: %s err %d", rep.reason,
		     rep.detail, rep.err);
	cr_assert_eq(rep.err, -ENODEV);
}

/*
 * Identity rules through the real backend.  The "cable" is the test pty,
 * bind-mounted as ttyUSB0 into a private /dev (in a private mount
 * namespace), and the fake sysfs says its device number is an FT232R with
 * serial A12345.  The policy decides before the device class is checked:
 * a permit from an identity rule reaches the class check (a pty under
 * another name is then refused with PROTO_R_CLASS, by the decisive rule),
 * a refusal stops at the policy (PROTO_R_DENIED).
 */
struct ident_rule_case {
	char policy[96];   /* an array, not a pointer: workers are new images */
	uint32_t reason;   /* PROTO_R_CLASS: the policy permitted it */
	uint32_t rule;     /* the deciding line, 0 for none          */
};

ParameterizedTestParameters(sysid_backend, ident_rules)
{
	static struct ident_rule_case cases[] = {
		{ "permit * usb:0403:6001\n", PROTO_R_CLASS, 1 },
		{ "permit * usb:0403:6001:A12345\n", PROTO_R_CLASS, 1 },
		{ "permit * usb:0403:6001:A1*:if0\n", PROTO_R_CLASS, 1 },
		{ "permit * usb:0403:6001:*:if1\n", PROTO_R_DENIED, 0 },
		{ "permit * usb:0403:6001:B*\n", PROTO_R_DENIED, 0 },
		{ "permit * usb:10c4:ea60\n", PROTO_R_DENIED, 0 },
		{ "permit * usb:0403:*\ndeny * usb:0403:6001\n", PROTO_R_DENIED, 2 },
		{ "deny * usb:1d6b:*\npermit * usb:0403:6001\n", PROTO_R_CLASS, 2 },
		{ "permit * path:pci-*-usb-0:2:1.0-port0\n", PROTO_R_CLASS, 1 },
		{ "permit * path:pci-*-usb-0:3:*\n", PROTO_R_DENIED, 0 },
		{ "permit * ttyUSB*\ndeny * usb:0403:6001:A12345\n", PROTO_R_DENIED, 2 },
		{ "permit * ttyUSB0\n", PROTO_R_CLASS, 1 },
	};
	return cr_make_param_array(struct ident_rule_case, cases,
				   sizeof(cases) / sizeof(cases[0]));
}

static char cable_dir[96], cable[128];

static void cable_cleanup(void)
{
	umount2(cable, MNT_DETACH);
	unlink(cable);
	rmdir(cable_dir);
}

ParameterizedTest(struct ident_rule_case *c, sysid_backend, ident_rules)
{
	struct proto_open_reply rep;
	int fd, tmp;

	cr_assert_eq(unshare(CLONE_NEWNS), 0, "%s", strerror(errno));
	cr_assert_eq(mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL), 0);
	snprintf(cable_dir, sizeof(cable_dir), "%s/dev", env.dir);
	snprintf(cable, sizeof(cable), "%s/ttyUSB0", cable_dir);
	cr_assert_eq(mkdir(cable_dir, 0755), 0);
	be_cleanup = cable_cleanup;
	tmp = open(cable, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	cr_assert_geq(tmp, 0);
	close(tmp);
	cr_assert_eq(mount(pty.path, cable, NULL, MS_BIND, NULL), 0, "%s", strerror(errno));
	ft232_on_pty("A12345");
	tu_policy(&env, "%s", c->policy);
	backend_start(cable_dir);
	open_send("ttyUSB0");
	open_recv(&rep, &fd);
	if (fd >= 0)
		close(fd);
	cr_expect_eq(fd, -1, "nothing handed out");
	cr_expect_eq(rep.reason, c->reason, "policy:\n%sreason %u (%s), want %u", c->policy,
		     rep.reason, rep.detail, c->reason);
	cr_expect_eq(rep.rule, c->rule, "policy:\n%srule %u, want %u", c->policy,
		     rep.rule, c->rule);
}
