/*
 * addr.h - IPv4/IPv6 addresses and address ranges, parsed strictly.
 *
 * Pure code: no libmilter, no logging, no global state. Errors come back
 * through an out-parameter; the caller prefixes "file:line:col: ".
 *
 * Addresses are held as 16 bytes in network order. An IPv4 address uses
 * bytes[0..3] only and the rest is zero, so that a masked byte compare works
 * for both families (Postfix cidr_match.c style).
 */
#ifndef LOCKDOWN_ADDR_H
#define LOCKDOWN_ADDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

/* Enough for any message these functions write, including the quoted text. */
#define LD_ERRLEN 512

typedef struct ld_addr {
    uint8_t family; /* AF_INET or AF_INET6 */
    uint8_t bytes[16];
} ld_addr;

typedef struct ld_prefix {
    ld_addr addr; /* host bits are always zero */
    uint8_t len;  /* 0..32 or 0..128 */
} ld_prefix;

/* An inclusive interval [lo, hi] of one family. */
typedef struct ld_range {
    uint8_t family;
    uint8_t lo[16];
    uint8_t hi[16];
} ld_range;

/*
 * Parse one address. Strict: IPv4 must be dotted quad with no leading zeros
 * ("010.1.1.1" is refused, never read as octal), no hex, no short forms
 * ("1.2.3"), no zone ids ("fe80::1%eth0"), no surrounding white space.
 * IPv4-mapped IPv6 text ("::ffff:1.2.3.4") is refused with a hint to write
 * the IPv4 address: configured entries are kept in one canonical family.
 * Returns 0 on success, -1 with a message in err.
 */
int addr_parse(const char *text, ld_addr *out, char *err, size_t errlen);

/*
 * Parse any range notation the provider guides use:
 *   CIDR        "199.89.0.0/21", "2a01:111:f400::/48"
 *   netmask     "199.89.0.0/255.255.248.0" (contiguous masks only)
 *   range       "199.89.0.0-199.89.7.255" (optional spaces around '-')
 *   bare        "83.245.15.239" (/32) or "::1" (/128)
 * Refuses host bits set (with the corrected prefix as a hint), prefix length
 * out of range, non-contiguous netmask, reversed range, mixed families, and
 * everything addr_parse() refuses. Messages quote the offending text.
 */
int range_parse(const char *text, ld_range *out, char *err, size_t errlen);

/* The range covered by a prefix. */
void range_from_prefix(const ld_prefix *p, ld_range *out);

/*
 * Split a range into the minimal list of prefixes, in ascending order,
 * calling cb for each. Stops and returns cb's value when cb returns non-zero;
 * returns 0 when all prefixes were delivered.
 */
typedef int (*prefix_cb)(const ld_prefix *p, void *arg);
int range_to_prefixes(const ld_range *r, prefix_cb cb, void *arg);

/*
 * Convert a socket address to an ld_addr. IPv4-mapped IPv6 (::ffff:a.b.c.d)
 * becomes IPv4, so that a mapped client can never slip past an IPv4 entry.
 * IPv4-compatible (::a.b.c.d), NAT64 (64:ff9b::/96) and 6to4 (2002::/16)
 * stay IPv6: they name the translator, not the client.
 * Returns 0, or -1 for NULL, AF_UNIX or any other family.
 */
int addr_from_sockaddr(const struct sockaddr *sa, ld_addr *out);

/* Same normalisation on an already parsed address (used by lookups). */
void addr_normalize(ld_addr *a);

/* Compare two addresses of the same family: <0, 0, >0. */
int addr_cmp(const ld_addr *a, const ld_addr *b);

/* Write the canonical text (inet_ntop) of an address or prefix. */
#define LD_ADDRSTRLEN 64
const char *addr_format(const ld_addr *a, char *buf, size_t buflen);
const char *prefix_format(const ld_prefix *p, char *buf, size_t buflen);

#endif
