/* SPDX-License-Identifier: MIT */
/*
 * cli_text.c - the command's refusal texts that depend on more than the
 * reason: who holds a busy port, and what is wrong with the policy file.
 * Pure functions of a tb_status, so they are unit-tested on synthetic
 * values (tests/test_cli.c) whatever the backend sends today.
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"

/*
 * Copy at most MAX bytes of S (it may lack a NUL within them) into OUT.
 * Text from outside (a process's comm, which any process may set; a line
 * from the policy file) must not forge a second line or a terminal escape.
 */
void cli_escape(const char *s, size_t max, char *out, size_t len)
{
	size_t o = 0;

	if (len == 0)
		return;
	for (size_t i = 0; i < max && s[i]; i++) {
		unsigned char ch = (unsigned char)s[i];
		int plain = ch >= 0x20 && ch < 0x7f && ch != '\\';

		if (o + (plain ? 1 : 4) >= len)
			break;
		if (plain)
			out[o++] = (char)ch;
		else
			o += (size_t)snprintf(out + o, len - o, "\\x%02x", ch);
	}
	out[o] = '\0';
}

/*
 * "port busy", then who holds it as far as the backend could tell: a live
 * LCK.. file (with its pid and, if the frontend could read it, the
 * program's name), someone else's flock(), TIOCEXCL, or this program.
 */
void cli_busy_text(const struct tb_status *st, char *buf, size_t len)
{
	const char *busy = tb_reason_str(TB_R_BUSY);
	char comm[sizeof(st->holder_comm) * 4 + 1];

	switch (st->holder) {
	case TB_HOLDER_LOCKFILE:
		cli_escape(st->holder_comm, sizeof(st->holder_comm), comm, sizeof(comm));
		if (comm[0] && st->holder_pid > 0)
			snprintf(buf, len, "%s: held by %s (pid %d), LCK.. file", busy, comm,
				 st->holder_pid);
		else if (st->holder_pid > 0)
			snprintf(buf, len, "%s: held by pid %d, LCK.. file", busy,
				 st->holder_pid);
		else
			snprintf(buf, len, "%s: held by another program, LCK.. file", busy);
		break;
	case TB_HOLDER_FLOCK:
		snprintf(buf, len, "%s: held with flock() by another program", busy);
		break;
	case TB_HOLDER_EXCL:
		snprintf(buf, len, "%s: in exclusive mode (TIOCEXCL)", busy);
		break;
	case TB_HOLDER_SELF:
		snprintf(buf, len, "%s: already open in this program", busy);
		break;
	case TB_HOLDER_NONE:
	default:
		snprintf(buf, len, "%s", busy);
		break;
	}
}

/*
 * The policy refused everything: say which of missing, invalid or unsafe,
 * with FILE:LINE for a syntax error, when the backend sent that line.
 */
void cli_policy_text(const struct tb_status *st, char *buf, size_t len)
{
	char detail[sizeof(st->detail) * 4 + 1];

	cli_escape(st->detail, sizeof(st->detail), detail, sizeof(detail));
	if (detail[0])
		snprintf(buf, len, "policy file: %s", detail);
	else
		snprintf(buf, len, "%s", tb_reason_str(TB_R_POLICY));
}
