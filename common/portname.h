/* SPDX-License-Identifier: MIT */
/*
 * portname.h - syntax of port names.  A port name is relative to /dev:
 * "ttyUSB0", "pts/3", "serial/by-id/<link>" or "serial/by-path/<link>".
 * Components use only [A-Za-z0-9._-], are never "." or "..", and there is
 * at most one '/' except for the serial/by-id/ and serial/by-path/
 * prefixes.  A by-path link may also hold ':' (udev's physical paths,
 * "pci-0000:00:14.0-usb-0:1.2:1.0-port0").
 */
#ifndef TB_PORTNAME_H
#define TB_PORTNAME_H

#include <stdbool.h>
#include <stddef.h>

#include "proto.h"

#define PORTNAME_MAX   (PROTO_PORT_MAX - 1) /* longest name, without NUL */
#define PORTNAME_BYID  "serial/by-id/"
#define PORTNAME_BYPATH "serial/by-path/"

/* 0 if NAME is a well-formed port name, else -EINVAL. */
int portname_check(const char *name);

/* The link name after "serial/by-id/", or NULL for a plain kernel name. */
const char *portname_byid(const char *name);

/* The link name after "serial/by-path/", or NULL for any other name. */
const char *portname_bypath(const char *name);

/* Strip a leading "/dev/" that users like to type. */
const char *portname_strip_dev(const char *name);

/*
 * Copy NAME into OUT (LEN bytes) for logs and messages: [A-Za-z0-9._/-]
 * as they are, every other byte as \xHH, so a name from the peer can
 * never forge a log line or a terminal escape.  Truncates safely.
 */
void portname_escape(const char *name, char *out, size_t len);

/* Room for portname_escape() of any name that fits in a message. */
#define PORTNAME_ESCAPED_MAX (PROTO_PORT_MAX * 4)

#endif
