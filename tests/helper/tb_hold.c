/* SPDX-License-Identifier: MIT */
/*
 * tb_hold.c - a minimal libttybroker application for the setuid tests:
 * tb_init() with the defaults (as a setuid-root program it drops to the
 * real user), say "ready" on stdout, then hold the broker until stdin
 * reaches EOF.  test_tb.c installs a setuid-root copy in a temporary
 * directory and runs it as nobody, to look at the backend from outside.
 */
#include <stdio.h>
#include <unistd.h>

#include "ttybroker.h"

/* Hold a broker until stdin closes; exit 71 if tb_init fails. */
int main(void)
{
	struct tb_broker *b;
	char c;

	if (tb_init(NULL, &b) < 0)
		return 71;
	if (printf("ready\n") < 0 || fflush(stdout) != 0)
		return 74;
	while (read(0, &c, 1) > 0)
		;
	tb_shutdown(b);
	return 0;
}
