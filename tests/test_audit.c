/* SPDX-License-Identifier: MIT */
/*
 * test_audit.c - the audit line format (every field, escaping, rule=none)
 * and the syslog probe: nobody on the socket means one warning on stderr
 * and audit lines on stderr instead.
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "audit.h"
#include "log.h"

static char tdir[64];
static char errfile[128];
static int saved_err = -1;

static void setup(void)
{
	snprintf(tdir, sizeof(tdir), "/tmp/test_audit.XXXXXX");
	cr_assert_not_null(mkdtemp(tdir));
	snprintf(errfile, sizeof(errfile), "%s/stderr", tdir);
}

static void teardown(void)
{
	char path[200];

	if (saved_err >= 0) {
		dup2(saved_err, 2);
		close(saved_err);
		saved_err = -1;
	}
	unlink(errfile);
	snprintf(path, sizeof(path), "%s/log", tdir);
	unlink(path);
	rmdir(tdir);
	log_audit_also(0);
	log_init("test_audit", LOG_TO_STDERR, LOG_LEVEL_WARN);
}

TestSuite(audit, .init = setup, .fini = teardown);

/* Send stderr to errfile until teardown. */
static void capture_stderr(void)
{
	int fd = open(errfile, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

	cr_assert_geq(fd, 0);
	saved_err = dup(2);
	cr_assert_geq(saved_err, 0);
	cr_assert_eq(dup2(fd, 2), 2);
	close(fd);
}

static void captured(char *buf, size_t len)
{
	int fd = open(errfile, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	cr_assert_geq(fd, 0);
	n = read(fd, buf, len - 1);
	close(fd);
	cr_assert_geq(n, 0);
	buf[n] = '\0';
}

/* Arrays, not pointers: Criterion copies parameters into another process. */
struct fmt_case {
	char user[16], comm[16], port[32], kname[32], verdict[16];
	unsigned int rule;
	char want[200];
};

ParameterizedTestParameters(audit, format)
{
	static struct fmt_case cases[] = {
		{ "alice", "minicom", "ttyUSB0", "ttyUSB0", "permit", 3,
		  "uid=1000 user=alice pid=42 comm=minicom port=ttyUSB0 verdict=permit "
		  "reason=ok rule=/etc/tb.conf:3 why=\"why\"" },
		{ "", "", "serial/by-id/x", "ttyUSB0", "refuse", 0,
		  "uid=1000 user=? pid=42 comm=? port=serial/by-id/x kname=ttyUSB0 "
		  "verdict=refuse reason=ok rule=none why=\"why\"" },
		{ "bob", "a b=\"c\\\n", "pts/1", "", "release", 7,
		  "uid=1000 user=bob pid=42 comm=a\\x20b\\x3d\\x22c\\x5c\\x0a port=pts/1 "
		  "verdict=release reason=ok rule=/etc/tb.conf:7 why=\"why\"" },
	};

	return cr_make_param_array(struct fmt_case, cases, sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct fmt_case *c, audit, format)
{
	struct audit_peer who = { .uid = 1000, .pid = 42, .user = c->user,
				  .comm = c->comm };
	struct audit_event ev = { .port = c->port, .kname = c->kname,
				  .verdict = c->verdict, .reason = "ok",
				  .policy = "/etc/tb.conf", .rule = c->rule, .why = "why" };
	char buf[AUDIT_LINE_MAX];
	size_t n = audit_format(buf, sizeof(buf), &who, &ev);

	cr_assert_str_eq(buf, c->want);
	cr_assert_eq(n, strlen(c->want));
}

struct ident_case {
	struct policy_ident id;
	char want[200];
};

ParameterizedTestParameters(audit, format_identity)
{
	static struct ident_case cases[] = {
		{ { .usb = true, .vid = 0x0403, .pid = 0x6001, .ifnum = 0,
		    .serial = "A12345", .path = "pci-0000:00:14.0-usb-0:2:1.0-port0" },
		  "port=ttyUSB0 usb=0403:6001 if=0 serial=A12345 "
		  "path=pci-0000:00:14.0-usb-0:2:1.0-port0 verdict=permit" },
		{ { .usb = true, .vid = 0x2e8a, .pid = 0x000a, .ifnum = -1 },
		  "port=ttyUSB0 usb=2e8a:000a serial=? verdict=permit" },
		{ { .usb = true, .vid = 0x10c4, .pid = 0xea60, .ifnum = 3,
		    .serial = "a b=\"c" },
		  "port=ttyUSB0 usb=10c4:ea60 if=3 serial=a\\x20b\\x3d\\x22c verdict=permit" },
		{ { .usb = false, .ifnum = -1, .path = "platform-serial8250" },
		  "port=ttyUSB0 path=platform-serial8250 verdict=permit" },
		{ { .usb = false, .ifnum = -1 }, "port=ttyUSB0 verdict=permit" },
	};

	return cr_make_param_array(struct ident_case, cases, sizeof(cases) / sizeof(cases[0]));
}

/* A port's identity follows port= (and kname=), escaped like any value. */
ParameterizedTest(struct ident_case *c, audit, format_identity)
{
	struct audit_peer who = { .uid = 0, .pid = 1, .user = "root", .comm = "x" };
	struct audit_event ev = { .port = "ttyUSB0", .verdict = "permit", .reason = "ok",
				  .policy = "/p", .rule = 1, .why = "w", .ident = &c->id };
	char buf[AUDIT_LINE_MAX];

	audit_format(buf, sizeof(buf), &who, &ev);
	cr_assert_not_null(strstr(buf, c->want), "%s\nwant: %s", buf, c->want);
}

/* A short buffer truncates, always NUL-terminated, never overruns. */
Test(audit, format_truncates)
{
	struct audit_peer who = { .uid = 1, .pid = 2, .user = "u", .comm = "c" };
	struct audit_event ev = { .port = "ttyS1", .verdict = "permit", .reason = "ok",
				  .policy = "/p", .rule = 1, .why = "w" };
	char buf[16];

	memset(buf, 'X', sizeof(buf));
	cr_assert_lt(audit_format(buf, 12, &who, &ev), 12);
	cr_assert_eq(strlen(buf), 11);
	cr_assert_eq(buf[12], 'X');
}

/* Nothing listens: one warning, and audit lines reach stderr without -v. */
Test(audit, no_syslog_falls_back_to_stderr)
{
	struct audit_peer who = { .uid = 1, .pid = 2, .user = "u", .comm = "c" };
	struct audit_event ev = { .port = "ttyS1", .verdict = "permit", .reason = "ok",
				  .policy = "/p", .rule = 1, .why = "w" };
	char path[200], text[2048];

	snprintf(path, sizeof(path), "%s/log", tdir); /* does not exist */
	capture_stderr();
	log_init("test_audit", LOG_TO_SYSLOG, LOG_LEVEL_INFO);
	cr_assert_eq(audit_init(path), -ENOENT);
	audit_log(&who, &ev);
	log_info("not an audit line");
	captured(text, sizeof(text));
	cr_assert_not_null(strstr(text, "no syslog at "), "%s", text);
	cr_assert_not_null(strstr(text, "test_audit: uid=1 user=u pid=2 comm=c port=ttyS1 "),
			   "%s", text);
	cr_assert_null(strstr(text, "not an audit line"), "only audit lines: %s", text);
}

/* Something listens (a datagram socket): no warning, no stderr. */
Test(audit, syslog_listening)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char text[256];
	int s;

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/log", tdir);
	s = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	cr_assert_geq(s, 0);
	cr_assert_eq(bind(s, (struct sockaddr *)&sa, sizeof(sa)), 0);
	capture_stderr();
	log_init("test_audit", LOG_TO_SYSLOG, LOG_LEVEL_INFO);
	cr_assert_eq(audit_init(sa.sun_path), 0);
	captured(text, sizeof(text));
	cr_assert_str_eq(text, "");
	close(s);
}

/* Syslog not a sink (-q): no probe, nothing said. */
Test(audit, quiet_does_not_probe)
{
	char text[256];

	capture_stderr();
	log_init("test_audit", LOG_TO_STDERR, LOG_LEVEL_INFO);
	cr_assert_eq(audit_init("/nonexistent/log"), 0);
	captured(text, sizeof(text));
	cr_assert_str_eq(text, "");
}
