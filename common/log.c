/* SPDX-License-Identifier: MIT */
/*
 * log.c - small logger for both processes.  Messages go to stderr (with the
 * process ident as prefix) and/or syslog.  Every entry point saves and
 * restores errno, so callers can log and then return -errno.  fatal()
 * uses _exit(): in the backend, a forked copy of the application, the
 * application's atexit handlers must never run (as root, or under seccomp).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <sysexits.h>
#include <unistd.h>

#include "log.h"

static const char *log_ident = "ttybroker";
static int log_to = LOG_TO_STDERR;
static int log_level = LOG_LEVEL_WARN;
static int log_audit_extra; /* more sinks for audit records only */

void log_init(const char *ident, int sinks, int level)
{
	int saved = errno;

	log_ident = ident;
	log_to = sinks;
	log_level = level;
	if (sinks & LOG_TO_SYSLOG)
		openlog(ident, LOG_PID | LOG_NDELAY, LOG_AUTHPRIV);
	errno = saved;
}

void log_set_sinks(int sinks)
{
	log_to = sinks;
}

int log_sinks(void)
{
	return log_to;
}

void log_audit_also(int sinks)
{
	log_audit_extra = sinks;
}

/*
 * Format one record and hand it to each sink; ERR >= 0 appends strerror.
 * Audit records (LOG_NOTICE) also go to the extra audit sinks.
 */
static void log_emit(int prio, int err, const char *fmt, va_list ap)
{
	int to = log_to | (prio == LOG_NOTICE ? log_audit_extra : 0);
	char msg[1024];

	if (!(to & (LOG_TO_STDERR | LOG_TO_SYSLOG)))
		return; /* nowhere to go: do not even format it */
	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (to & LOG_TO_STDERR) {
		if (err >= 0)
			fprintf(stderr, "%s: %s: %s\n", log_ident, msg, strerror(err));
		else
			fprintf(stderr, "%s: %s\n", log_ident, msg);
	}
	if (to & LOG_TO_SYSLOG) {
		if (err >= 0)
			syslog(prio, "%s: %s", msg, strerror(err));
		else
			syslog(prio, "%s", msg);
	}
}

#define LOG_BODY(prio, err, minlevel)                     \
	do {                                              \
		int saved_ = errno;                       \
		va_list ap_;                              \
		if (log_level < (minlevel))               \
			break;                            \
		va_start(ap_, fmt);                       \
		log_emit((prio), (err) ? saved_ : -1, fmt, ap_); \
		va_end(ap_);                              \
		errno = saved_;                           \
	} while (0)

void log_warn(const char *fmt, ...)
{
	LOG_BODY(LOG_WARNING, 1, LOG_LEVEL_WARN);
}

void log_warnx(const char *fmt, ...)
{
	LOG_BODY(LOG_WARNING, 0, LOG_LEVEL_WARN);
}

void log_info(const char *fmt, ...)
{
	LOG_BODY(LOG_INFO, 0, LOG_LEVEL_INFO);
}

void log_debug(const char *fmt, ...)
{
	LOG_BODY(LOG_DEBUG, 0, LOG_LEVEL_DEBUG);
}

void log_audit(const char *fmt, ...)
{
	LOG_BODY(LOG_NOTICE, 0, LOG_LEVEL_WARN);
}

void log_stderr(const char *fmt, ...)
{
	int saved = errno;
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	fprintf(stderr, "%s: %s\n", log_ident, msg);
	errno = saved;
}

void fatal(const char *fmt, ...)
{
	LOG_BODY(LOG_ERR, 1, LOG_LEVEL_WARN);
	_exit(EX_OSERR);
}

void fatalx(const char *fmt, ...)
{
	LOG_BODY(LOG_ERR, 0, LOG_LEVEL_WARN);
	_exit(EX_OSERR);
}
