/* SPDX-License-Identifier: MIT */
/*
 * policy.h - the admin's policy: which users may open which ports.
 *
 * File format, one rule per line, '#' to end of line is a comment:
 *
 *     permit|deny  WHO  PATTERN...
 *
 * WHO is a user name, ":group" (primary or supplementary), or "*".
 * PATTERN is an fnmatch(3) glob with FNM_PATHNAME on the port name, so '*'
 * never crosses '/', or an identity pattern on what sysfs says the port is:
 *
 *     usb:VID:PID[:SERIAL[:ifN]]   VID, PID: 4 hex digits (any case) or '*';
 *                                  SERIAL: a non-empty fnmatch glob (no ':')
 *                                  on the device's serial string; ifN: the
 *                                  interface number N, 0..255, in decimal
 *     path:PATTERN                 a non-empty fnmatch glob on the physical
 *                                  path (the /dev/serial/by-path link name)
 *
 * A usb: pattern matches only a port with a USB ancestor, a path: pattern
 * only a port with a known path.  Identity patterns are parsed once, at
 * load time, into struct policy_pat, and kept in one spelling (lower-case
 * hex, "ifN" without leading zeros).  The last matching rule wins; no
 * match means deny.  A port under "pts/" is permitted only by a pattern
 * that itself starts with the literal "pts/" (so never by an identity
 * pattern), so a broad rule never hands out terminals.
 *
 *     take  WHO  PATTERN...
 *
 * widens who may take a port over (ttybrokerd, `run --take`): a holder
 * covered by WHO that opened a matching port with --yield may have it
 * taken by anyone else WHO covers.  Without such a rule only the holder's
 * own user and root may take.  A take rule never lets anyone open a port:
 * the taker still needs a permit rule, and deny rules do not revoke it.
 *
 * User and group names are resolved to ids when the policy is parsed, so
 * evaluation needs no name service (the backend's seccomp filter forbids it).
 */
#ifndef TB_POLICY_H
#define TB_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#ifdef TB_SYSCONFDIR
#define POLICY_DEFAULT_PATH TB_SYSCONFDIR "/ttybroker.conf"
#else
#define POLICY_DEFAULT_PATH "/etc/ttybroker.conf"
#endif
#define POLICY_MAX_SIZE     (1024 * 1024) /* bytes in a policy file        */
#define POLICY_MAX_LINE     4096          /* bytes in one line             */
#define POLICY_MAX_RULES    4096
#define POLICY_MAX_PATTERNS 64            /* patterns in one rule          */
#define POLICY_MAX_GROUPS   256           /* groups of one subject         */

enum policy_who { POLICY_WHO_ANY, POLICY_WHO_USER, POLICY_WHO_GROUP };

/* What a pattern is matched against: the port name, or the port's identity. */
enum policy_pat_kind { POLICY_PAT_GLOB, POLICY_PAT_USB, POLICY_PAT_PATH };

/*
 * One pattern in parsed form, beside its text in policy_rule.patterns.
 * GLOB points into that text's allocation, so it lives as long as the rule.
 */
struct policy_pat {
	enum policy_pat_kind kind;
	bool any_vid, any_pid;  /* usb: '*' for VID, PID                    */
	uint16_t vid, pid;      /* usb: otherwise, the ids                   */
	int ifnum;              /* usb: interface, -1 for any                */
	const char *glob;       /* glob: the port glob; usb: the serial glob,
				   NULL for any serial; path: the path glob */
};

struct policy_rule {
	bool permit;
	bool take;           /* a "take" rule: never decides an open */
	enum policy_who who;
	uid_t uid;           /* POLICY_WHO_USER  */
	gid_t gid;           /* POLICY_WHO_GROUP */
	unsigned int line;
	size_t npatterns;
	char **patterns;     /* as written (identity ones in their one spelling) */
	struct policy_pat *pats; /* npatterns parsed forms, same order */
};

struct policy {
	char *path;          /* for messages: "path:line" */
	size_t nrules;
	struct policy_rule *rules;
};

/* Who is asking: uid, primary gid and supplementary groups. */
struct policy_subject {
	uid_t uid;
	gid_t gid;
	size_t ngroups;
	gid_t groups[POLICY_MAX_GROUPS];
};

struct policy_verdict {
	bool permit;
	unsigned int line;   /* deciding rule's line; 0 = no rule matched */
	const char *pattern; /* deciding pattern inside the policy, or NULL */
};

/* Called once per error found while parsing; LINE is 0 for whole-file errors. */
typedef void (*policy_error_fn)(void *arg, const char *path, unsigned int line,
				const char *msg);

/*
 * Parse TEXT (LEN bytes, need not be NUL-terminated) into *OUT.  Every
 * error is reported through ERR (may be NULL) and parsing goes on to
 * find them all.  Returns 0, -EINVAL if there was any error (and *OUT
 * is NULL), or -ENOMEM.  PATH is used for messages only.
 */
int policy_parse(const char *text, size_t len, const char *path,
		 policy_error_fn err, void *arg, struct policy **out);

/*
 * Load PATH safely: opened without following symlinks and without
 * blocking, it must be a regular file owned by root, not writable by group
 * or others, and at most POLICY_MAX_SIZE bytes.  Returns 0, or -ENOENT,
 * -EPERM (unsafe owner, mode or type), -EFBIG, -EINVAL (syntax), -ENOMEM,
 * or another negative errno.  Unsafe files are reported through ERR too.
 */
int policy_load(const char *path, policy_error_fn err, void *arg,
		struct policy **out);

/*
 * The message for a failed open(2) of a policy file with errno ERRNUM:
 * "no such file", "is a symbolic link (not followed)", ...  Returns a
 * constant or BUF (LEN bytes).
 */
const char *policy_open_strerror(int errnum, char *buf, size_t len);

void policy_free(struct policy *pol);

/*
 * The canonical form (policy_canon.c): the NSS-free text the daemon's
 * parent sends its engine on reload, with numeric ids and each rule's
 * original line.  At most POLICY_CANON_MAX bytes, a line at most
 * POLICY_CANON_LINE.
 */
#define POLICY_CANON_MAX  (2 * POLICY_MAX_SIZE)
#define POLICY_CANON_LINE (POLICY_MAX_LINE + 64)

/* POL in canonical form, in a new buffer *OUT (*LEN bytes, no NUL).
 * Returns 0, -ENOMEM or -EFBIG. */
int policy_canon_format(const struct policy *pol, char **out, size_t *len);

/*
 * Parse canonical TEXT (LEN bytes) without any name lookup.  Errors go to
 * ERR with the canonical text's line; PATH becomes the policy's path.
 * Returns 0, -EINVAL (*OUT NULL) or -ENOMEM.
 */
int policy_canon_parse(const char *text, size_t len, const char *path,
		       policy_error_fn err, void *arg, struct policy **out);

/*
 * A port's identity, read from sysfs by the backend (broker/sysid.c) from
 * the pinned node's device number, never from anything in /dev.  It feeds
 * the identity patterns: "usb:VID:PID[:SERIAL]" (and an interface number)
 * and "path:PATTERN".  Strings are NUL-terminated, "" when absent.
 */
#define POLICY_ID_STR 128
struct policy_ident {
	bool usb;             /* a USB device (not a hub) is an ancestor    */
	uint16_t vid, pid;    /* idVendor, idProduct (usb only)             */
	int ifnum;            /* bInterfaceNumber, -1 if none or unknown     */
	char serial[POLICY_ID_STR];       /* the device's serial string     */
	char manufacturer[POLICY_ID_STR];
	char product[POLICY_ID_STR];
	char path[POLICY_ID_STR];  /* the physical path, as the name of its
				      /dev/serial/by-path link shows it     */
};

/*
 * policy_eval() with the port's identity: ID (may be NULL: no identity
 * known, so no identity pattern matches) is matched by usb: and path:
 * patterns, glob patterns match PORT as before.
 */
void policy_eval_ident(const struct policy *pol, const struct policy_subject *subj,
		       const char *port, const struct policy_ident *id,
		       struct policy_verdict *v);

/* True if PATTERN (a rule's pattern text) is a usb: or path: pattern. */
bool policy_pattern_is_ident(const char *pattern);
/*
 * May TAKER take PORT over from HOLDER (whose hold yields)?  The line of
 * the first take rule covering both on PORT, or 0 when none does (the
 * default then applies: same user or root, share.c decides that).
 */
unsigned int policy_eval_take(const struct policy *pol, const struct policy_subject *taker,
			      const struct policy_subject *holder, const char *port,
			      const struct policy_ident *id);

/* Decide whether SUBJ may open PORT (a kernel name such as "ttyUSB0"). */
void policy_eval(const struct policy *pol, const struct policy_subject *subj,
		 const char *port, struct policy_verdict *v);

/*
 * Fill SUBJ for the user with UID and primary GID: supplementary groups
 * come from getgrouplist(3) when the user has a passwd entry, otherwise
 * the subject has only GID.  Returns 0 or a negative errno.
 */
int policy_subject_init(struct policy_subject *subj, uid_t uid, gid_t gid);

#endif
