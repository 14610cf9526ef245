/* SPDX-License-Identifier: MIT */
/*
 * sysid.h - a serial port's identity from sysfs: the USB device above it
 * (vendor, product, serial, strings, interface) and its physical path.
 * Read from the device number of a node the engine has pinned, through a
 * directory fd on the sysfs root opened before confinement; nothing in
 * /dev is trusted for identity.
 */
#ifndef TB_SYSID_H
#define TB_SYSID_H

#include <sys/types.h>

#include "policy.h"

/*
 * Fill *ID for the character device RDEV, walking up from
 * SYSFD/dev/char/MAJOR:MINOR (SYSFD: the sysfs root, O_PATH|O_DIRECTORY)
 * to the first ancestor that is a USB device and not a hub.  A tty with no
 * such ancestor gets id->usb = false and is still a success.  Returns 0,
 * -ENOENT (no such device in sysfs) or another negative errno.
 */
int sysid_read(int sysfd, dev_t rdev, struct policy_ident *id);

#endif
