/* SPDX-License-Identifier: MIT */
/*
 * cli_list.c - `ttybroker list [--json] [--via WAY]`: the ports the broker
 * could hand you, with your verdict and who holds each, from tb_list()
 * (so the verdicts are the backend's own).  A table for people, or one
 * JSON object per line for programs; ttybroker(1) documents both.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <sysexits.h>

#include "cli.h"

/* The verdict word shown for REASON. */
static const char *cli_list_verdict(enum tb_reason reason)
{
	switch (reason) {
	case TB_R_OK:
		return "permit";
	case TB_R_DENIED:
		return "deny";
	case TB_R_POLICY:
		return "policy-invalid";
	default:
		return "unknown"; /* the port's identity could not be read */
	}
}

/* The holder as the table shows it, into BUF. */
static void cli_list_holder(const struct tb_port *p, char *buf, size_t len)
{
	char comm[4 * sizeof(p->holder_comm) + 1], who[96] = "";

	cli_escape(p->holder_comm, sizeof(p->holder_comm), comm, sizeof(comm));
	if (p->holder_pid > 0)
		snprintf(who, sizeof(who), " by pid %d%s%s%s", p->holder_pid,
			 comm[0] ? " (" : "", comm, comm[0] ? ")" : "");
	switch (p->holder) {
	case TB_HOLDER_NONE:
		snprintf(buf, len, "free");
		break;
	case TB_HOLDER_SELF:
		snprintf(buf, len, "held by you");
		break;
	case TB_HOLDER_FLOCK:
		snprintf(buf, len, "held (flock)%s", who);
		break;
	default:
		snprintf(buf, len, "held%s", who[0] ? who : " (lock file)");
		break;
	}
}

/* One port as a table row and, when known, its identity and links. */
static void cli_list_row(const struct tb_port *p)
{
	char port[4 * sizeof(p->kname) + 1], rule[4 * sizeof(p->detail) + 1];
	char holder[160], a[4 * 128 + 1], b[4 * 128 + 1], c[4 * 128 + 1];

	cli_escape(p->kname, sizeof(p->kname), port, sizeof(port));
	cli_escape(p->detail, sizeof(p->detail), rule, sizeof(rule));
	cli_list_holder(p, holder, sizeof(holder));
	printf("%-12s %-8s %-32s %s\n", port, cli_list_verdict(p->reason),
	       rule[0] ? rule : "no rule", holder);
	if (p->usb) {
		cli_escape(p->usb_manufacturer, sizeof(p->usb_manufacturer), a, sizeof(a));
		cli_escape(p->usb_product_name, sizeof(p->usb_product_name), b, sizeof(b));
		cli_escape(p->usb_serial, sizeof(p->usb_serial), c, sizeof(c));
		printf("    usb %04x:%04x", p->usb_vendor, p->usb_product);
		if (p->usb_interface >= 0)
			printf(" interface %d", p->usb_interface);
		printf("%s%s%s%s%s%s\n", a[0] ? "  " : "", a, b[0] ? "  " : "", b,
		       c[0] ? "  serial " : "", c);
	}
	if (p->by_id[0]) {
		cli_escape(p->by_id, sizeof(p->by_id), a, sizeof(a));
		printf("    /dev/serial/by-id/%s\n", a);
	}
	if (p->by_path[0]) {
		cli_escape(p->by_path, sizeof(p->by_path), a, sizeof(a));
		printf("    /dev/serial/by-path/%s\n", a);
	}
}

/* "/dev/serial/DIR/NAME" as a JSON string, or null. */
static void cli_list_json_link(const char *dir, const char *name, size_t max)
{
	char path[64 + 128];

	if (!name[0]) {
		fputs("null", stdout);
		return;
	}
	snprintf(path, sizeof(path), "/dev/serial/%s/%.*s", dir, (int)max, name);
	cli_json_str(stdout, path, sizeof(path));
}

/* One port as one line of JSON (schema in ttybroker(1)). */
static void cli_list_json(const struct tb_port *p)
{
	static const char *const holders[] = {
		[TB_HOLDER_NONE] = "free", [TB_HOLDER_LOCKFILE] = "lockfile",
		[TB_HOLDER_FLOCK] = "flock", [TB_HOLDER_EXCL] = "exclusive",
		[TB_HOLDER_SELF] = "self",
	};
	FILE *f = stdout;

	fputs("{\"port\":", f);
	cli_json_str(f, p->kname, sizeof(p->kname));
	fputs(",\"by_id\":", f);
	cli_list_json_link("by-id", p->by_id, sizeof(p->by_id));
	fputs(",\"by_path\":", f);
	cli_list_json_link("by-path", p->by_path, sizeof(p->by_path));
	fprintf(f, ",\"pty\":%s,\"usb\":", p->pty ? "true" : "false");
	if (p->usb) {
		fprintf(f, "{\"vendor\":\"%04x\",\"product\":\"%04x\",\"interface\":",
			p->usb_vendor & 0xffff, p->usb_product & 0xffff);
		if (p->usb_interface >= 0)
			fprintf(f, "%d", p->usb_interface);
		else
			fputs("null", f);
		fputs(",\"serial\":", f);
		cli_json_str_or_null(f, p->usb_serial, sizeof(p->usb_serial));
		fputs(",\"manufacturer\":", f);
		cli_json_str_or_null(f, p->usb_manufacturer, sizeof(p->usb_manufacturer));
		fputs(",\"product_name\":", f);
		cli_json_str_or_null(f, p->usb_product_name, sizeof(p->usb_product_name));
		fputc('}', f);
	} else {
		fputs("null", f);
	}
	fputs(",\"phys_path\":", f);
	cli_json_str_or_null(f, p->phys_path, sizeof(p->phys_path));
	fprintf(f, ",\"verdict\":\"%s\",\"rule\":", cli_list_verdict(p->reason));
	if ((p->reason == TB_R_OK || p->reason == TB_R_DENIED) && p->rule)
		cli_json_str(f, p->detail, sizeof(p->detail));
	else
		fputs("null", f);
	fputs(",\"rule_line\":", f);
	if ((p->reason == TB_R_OK || p->reason == TB_R_DENIED) && p->rule)
		fprintf(f, "%u", p->rule);
	else
		fputs("null", f);
	fputs(",\"error\":", f);
	if (p->reason != TB_R_OK && p->reason != TB_R_DENIED)
		cli_json_str(f, p->detail, sizeof(p->detail));
	else
		fputs("null", f);
	fprintf(f, ",\"holder\":\"%s\",\"holder_pid\":",
		(unsigned int)p->holder <= TB_HOLDER_SELF ? holders[p->holder] : "unknown");
	if (p->holder_pid > 0)
		fprintf(f, "%d", p->holder_pid);
	else
		fputs("null", f);
	fputs(",\"holder_comm\":", f);
	cli_json_str_or_null(f, p->holder_comm, sizeof(p->holder_comm));
	fputs("}\n", f);
}

/* --via WAY: 0 and *VIA, or -1 for an unknown way. */
static int cli_list_via(const char *way, unsigned int *via)
{
	if (strcmp(way, "fork") == 0)
		*via = TB_VIA_FORK;
	else if (strcmp(way, "daemon") == 0)
		*via = TB_VIA_DAEMON;
	else if (strcmp(way, "helper") == 0)
		*via = TB_VIA_HELPER;
	else if (strcmp(way, "auto") == 0)
		*via = TB_VIA_AUTO;
	else
		return -1;
	return 0;
}

int cli_list(const struct cli *c, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "via", required_argument, NULL, 'w' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct cli lc = *c;
	struct tb_broker *b;
	struct tb_port *ports;
	char shown[256];
	int json = 0, ch, r;
	size_t n;

	optind = 0;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, "+:h", longopts, NULL)) != -1) {
		switch (ch) {
		case 'j':
			json = 1;
			break;
		case 'w':
			if (cli_list_via(optarg, &lc.via) == 0)
				break;
			cli_escape(optarg, strlen(optarg), shown, sizeof(shown));
			return cli_fail(EX_USAGE, "list: unknown way in '%s' "
					"(fork, daemon, helper or auto)", shown);
		case 'h':
			fputs("usage: ttybroker [OPTION...] list [--json] [--via WAY]\n\n"
			      "List the serial ports the broker could hand you, and your own\n"
			      "pseudo-terminals: for each, its links, USB identity, your verdict\n"
			      "and the rule that decided it, and who holds it now.  No port is\n"
			      "opened.\n"
			      "  --json      one JSON object per port and line (see ttybroker(1))\n"
			      "  --via=WAY   fork, daemon, helper or auto (default): how to reach\n"
			      "              the broker\n"
			      "Exit status: 0 listed, 64 usage, 71 broker failure.\n", stdout);
			return 0;
		default:
			return cli_getopt_error("list", ch, argv);
		}
	}
	if (optind < argc) {
		cli_escape(argv[optind], strlen(argv[optind]), shown, sizeof(shown));
		return cli_fail(EX_USAGE, "list: unexpected operand '%s' "
				"(try 'ttybroker list --help')", shown);
	}
	if ((r = cli_init(&lc, &b)) != 0)
		return r;
	r = tb_list(b, &ports, &n);
	tb_shutdown(b);
	if (r < 0)
		return cli_fail(EX_OSERR, "list: %s", tb_strerror(r));
	if (!json)
		printf("%-12s %-8s %-32s %s\n", "PORT", "VERDICT", "RULE", "HOLDER");
	for (size_t i = 0; i < n; i++)
		if (json)
			cli_list_json(&ports[i]);
		else
			cli_list_row(&ports[i]);
	tb_list_free(ports, n);
	if (fflush(stdout) != 0 || ferror(stdout))
		return cli_fail(EX_OSERR, "list: write error");
	return 0;
}
