/* SPDX-License-Identifier: MIT */
/*
 * errors.c - error texts and exit codes of the public API.  The texts are
 * context-free: the same errno comes from tb_init() and tb_open(), so a
 * text must not guess which call failed or why a port is busy (the
 * tb_status of tb_open() says that).
 */
#include <errno.h>
#include <string.h>
#include <sysexits.h>

#include "ttybroker.h"

TB_EXPORT const char *tb_strerror(int err)
{
	switch (err) {
	case -EINVAL:     return "invalid argument";
	case -EACCES:     return "permission denied by policy";
	case -EPERM:      return "operation not permitted";
	case -EBUSY:      return "port busy";
	case -ENOENT:     return "no such device or user";
	case -ENOTTY:     return "not a serial tty";
	case -ECHILD:     return "the broker backend failed to start";
	case -ECONNRESET: return "lost the connection to the broker backend";
	case -EPROTO:     return "protocol error talking to the broker backend";
	case -EUSERS:     return "too many connections to the broker for this user";
	case -ENFILE:     return "the broker serves as many clients as it may; try again later";
	case -ENOTCONN:   return "no broker: start ttybrokerd (systemctl enable --now "
				 "ttybroker.socket) or install ttybroker-helper setuid-root";
	default:          return strerror(err < 0 ? -err : err);
	}
}

TB_EXPORT const char *tb_reason_str(enum tb_reason reason)
{
	switch (reason) {
	case TB_R_OK:     return "ok";
	case TB_R_NAME:   return "malformed port name";
	case TB_R_NODEV:  return "no such device";
	case TB_R_NOTTY:  return "not a serial tty";
	case TB_R_DENIED: return "denied by policy";
	case TB_R_CLASS:  return "device class is never handed out "
				 "(console, VT, /dev/tty, ptmx or another user's pty)";
	case TB_R_BUSY:   return "port busy";
	case TB_R_POLICY: return "policy file missing, invalid or unsafe";
	case TB_R_BROKER: return "broker failure";
	}
	return "unknown reason";
}

TB_EXPORT int tb_reason_exit(enum tb_reason reason)
{
	switch (reason) {
	case TB_R_OK:     return EX_OK;
	case TB_R_NAME:   return EX_DATAERR;     /* 65 */
	case TB_R_NODEV:
	case TB_R_NOTTY:  return EX_UNAVAILABLE; /* 69 */
	case TB_R_DENIED:
	case TB_R_CLASS:  return EX_NOPERM;      /* 77 */
	case TB_R_BUSY:   return EX_TEMPFAIL;    /* 75 */
	case TB_R_POLICY: return EX_CONFIG;      /* 78 */
	case TB_R_BROKER: break;
	}
	return EX_OSERR;                         /* 71 */
}
