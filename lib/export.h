/*
 * export.h - the lockdown written out for the other enforcement layers:
 * Postfix cidr tables, the Sendmail access db, nftables, iptables and
 * Exchange, all from the same loaded config (enabled provider profiles and
 * trusted entries), so that no layer is written by hand and drifts.
 *
 * Pure generation: no config loading, no clock, no environment. The same
 * config and options always give the same bytes (generation time is left
 * out on purpose), so the output can be diffed and kept in version control.
 * Every format starts with a comment naming the config file, the profiles
 * and trusted entries it came from, and the MTA or firewall lines it slots
 * into; doc/lockdownctl.1 (EXPORT) is the reference for admins.
 *
 * Verdicts: for a client at a locked port, a format lets through exactly
 * the addresses `lockdownctl check` lets through (longest prefix wins; the
 * relay formats grant relay exactly where check allows relaying).
 *
 * scope.domains (mail to some domains locked, not the connection): only
 * Postfix can say that, with a restriction class: postfix-client then
 * writes the class's cidr table (DUNNO for listed clients, the refusal for
 * the rest) and postfix-domains the recipient table naming the class. The
 * other formats see no recipient: they refuse such a config unless
 * all_domains asks for every domain to be locked. The drift guard
 * (hostnames:) is the milter's alone; headers say so.
 * tests/export checks that with the real consuming tools.
 */
#ifndef LOCKDOWN_EXPORT_H
#define LOCKDOWN_EXPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "addr.h"
#include "config.h"

enum ld_export_format {
    LD_EXPORT_POSTFIX_CLIENT = 0, /* cidr: for check_client_access */
    LD_EXPORT_POSTFIX_RELAY,      /* cidr: for smtpd_relay_restrictions */
    LD_EXPORT_SENDMAIL_ACCESS,    /* access db source for makemap */
    LD_EXPORT_NFTABLES,           /* nft -f */
    LD_EXPORT_IPTABLES,           /* iptables-restore / ip6tables-restore */
    LD_EXPORT_EXCHANGE,           /* PowerShell Set-ReceiveConnector */
    LD_EXPORT_POSTFIX_DOMAINS,    /* regexp: for check_recipient_access */
    LD_EXPORT_NFORMATS
};

/* Return values of export_write() besides 0. */
enum ld_export_error {
    LD_EXPORT_ERR_CONFIG = -1, /* the config cannot be expressed in this
                                * format (e.g. no locked port list for a
                                * firewall, too many sendmail keys) */
    LD_EXPORT_ERR_IO = -2,     /* writing failed */
    LD_EXPORT_ERR_NOMEM = -3,
    LD_EXPORT_ERR_USAGE = -4, /* bad options or format */
};

/* Upper bound on generated sendmail keys: an IPv6 /33 alone needs 32768. */
#define LD_EXPORT_MAX_SENDMAIL_KEYS 1000000
/* Upper bound on locked ports given to a firewall format. */
#define LD_EXPORT_MAX_PORTS 1024

typedef struct ld_export_opts {
    /* Name of the config in the header; NULL: c->path. */
    const char *config_name;
    /* Firewall formats: the TCP ports to lock, overriding scope.ports.
     * NULL: scope.ports; an empty scope.ports (every port locked) is an
     * error for a firewall, which cannot tell SMTP from SSH. */
    const uint16_t *ports;
    size_t nports;
    /* iptables: AF_INET (0 means AF_INET) or AF_INET6 (ip6tables). */
    int family;
    /* exchange: the -Identity; NULL: "SERVER\Default Frontend SERVER". */
    const char *identity;
    /* exchange: the server name; NULL: $env:COMPUTERNAME at run time. */
    const char *server;
    /* Export as if scope.domains were empty (every recipient domain
     * locked): stricter than the milter, for the formats that see no
     * recipient. Without it, they refuse a config with scope.domains. */
    bool all_domains;
} ld_export_opts;

/* "postfix-client" ... "postfix-domains". Returns 0, or -1 for an unknown name.
 */
int export_format_parse(const char *name, enum ld_export_format *out);
const char *export_format_name(enum ld_export_format f);

/*
 * Write format f for config c to out. o may be NULL (defaults). Returns 0,
 * or an ld_export_error with the message in err. On error, part of the
 * output may have been written: the caller discards it (lockdownctl
 * writes to a buffer first, so that stdout gets all or nothing).
 */
int export_write(FILE *out,
                 const ld_config *c,
                 enum ld_export_format f,
                 const ld_export_opts *o,
                 char *err,
                 size_t errlen);

/*
 * Same, into a NUL-terminated string the caller frees; *len gets its
 * length (may be NULL). NULL on error, with *rc (may be NULL) set to the
 * ld_export_error and the message in err.
 */
char *export_string(const ld_config *c,
                    enum ld_export_format f,
                    const ld_export_opts *o,
                    size_t *len,
                    int *rc,
                    char *err,
                    size_t errlen);

/*
 * Is a refusal of an outsider monitored (global mode, or the mode of an
 * enabled profile)? Then the milter refuses nobody yet while the exported
 * artefacts enforce: the header says so and lockdownctl warns.
 */
bool export_config_monitored(const ld_config *c);

/*
 * Sendmail access keys are address prefixes cut at octet (IPv4: 8, 16, 24,
 * 32) or 16-bit group (IPv6: 0, 16, ..., 128) boundaries. The number of
 * keys a prefix becomes, and the key text for one boundary prefix, without
 * the "Connect:" tag: "199.89.0", "IPv6:2a01:111:f400" (uncompressed,
 * lower case, no leading zeros: sendmail's IPV6_FULL form), "IPv6" for
 * ::/0. export_sendmail_key returns -1 when p is not on a boundary (or is
 * the IPv4 /0, which has no key) or buf is too small.
 */
uint64_t export_sendmail_key_count(const ld_prefix *p);
int export_sendmail_key(const ld_prefix *p, char *buf, size_t buflen);

/*
 * A range in a form Exchange's RemoteIPRanges accepts: a single address,
 * CIDR when the range is exactly one prefix, else "lo-hi".
 */
const char *export_exchange_range(const ld_range *r, char *buf, size_t buflen);

#endif
