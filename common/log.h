/* SPDX-License-Identifier: MIT */
/*
 * log.h - logging to stderr and/or syslog.  Every function preserves errno.
 * log_warn and fatal append ": strerror(errno)"; the x variants do not.
 */
#ifndef TB_LOG_H
#define TB_LOG_H

#include <stdarg.h>

#define LOG_TO_STDERR 0x1
#define LOG_TO_SYSLOG 0x2

#define LOG_LEVEL_WARN  0
#define LOG_LEVEL_INFO  1
#define LOG_LEVEL_DEBUG 2

#define TB_PRINTF(a, b) __attribute__((format(printf, a, b)))

/* IDENT prefixes stderr lines and names the syslog source. */
void log_init(const char *ident, int sinks, int level);
int log_sinks(void);
/* Change where messages go, without reopening syslog. */
void log_set_sinks(int sinks);

void log_warn(const char *fmt, ...) TB_PRINTF(1, 2);
void log_warnx(const char *fmt, ...) TB_PRINTF(1, 2);
void log_info(const char *fmt, ...) TB_PRINTF(1, 2);
void log_debug(const char *fmt, ...) TB_PRINTF(1, 2);
/* An audit record: always logged, at LOG_NOTICE, to every sink. */
void log_audit(const char *fmt, ...) TB_PRINTF(1, 2);
/* Send audit records to SINKS as well as to the configured ones. */
void log_audit_also(int sinks);
/* A message for stderr only, whatever the sinks (e.g. "syslog is gone"). */
void log_stderr(const char *fmt, ...) TB_PRINTF(1, 2);
/* Log and _exit(EX_OSERR) (71): no atexit handlers, no stdio flush. */
void fatal(const char *fmt, ...) TB_PRINTF(1, 2) __attribute__((__noreturn__));
void fatalx(const char *fmt, ...) TB_PRINTF(1, 2) __attribute__((__noreturn__));

#endif
