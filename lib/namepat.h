/*
 * namepat.h - host name patterns, as in a profile's hostnames: and
 * tls_names: keys, and the names an MTA reports, matched against them.
 *
 * A pattern is an exact host name ("mx1.example.net") or a wildcard
 * ("*.example.net"): any name below example.net, at any depth, but not
 * example.net itself. Matching is ASCII case-insensitive and ignores one
 * trailing dot on either side. A pattern has at least two labels after any
 * "*.", so that neither "*.net" nor a bare "unknown" (what Postfix reports
 * for a name it could not verify) can be configured.
 *
 * Pure code: no allocation, no I/O. Errors come back through an
 * out-parameter; the caller prefixes "file:line:col: ".
 */
#ifndef LOCKDOWN_NAMEPAT_H
#define LOCKDOWN_NAMEPAT_H

#include <stdbool.h>
#include <stddef.h>

/* RFC 1035: 253 octets in text form without the trailing dot. */
#define NAMEPAT_MAX 253

typedef struct namepat {
    char name[NAMEPAT_MAX + 1]; /* lower case, no "*." and no trailing dot */
    size_t len;
    bool wildcard; /* "*.name": strictly below name */
} namepat;

/* Parse text as a pattern. 0, or -1 with a message quoting text in err. */
int namepat_parse(const char *text, namepat *out, char *err, size_t errlen);

/*
 * A name as an MTA reports it ({client_name}, a certificate's CN) made
 * ready for namepat_match(): lower case, without a trailing dot, into buf
 * (NAMEPAT_MAX + 1 bytes is enough). Returns the length, or -1 when it is
 * no host name: NULL, empty, an address literal "[192.0.2.1]", bytes
 * other than letters, digits, '-' and '.', an empty label, a label over 63
 * octets, or a name over NAMEPAT_MAX octets. "unknown" is a valid name
 * here but matches no pattern, since patterns have two labels or more.
 */
int namepat_name(const char *name, char *buf, size_t buflen);

/* Does the prepared name (from namepat_name(), len octets) match p? */
bool namepat_match(const namepat *p, const char *name, size_t len);

#endif
