/*
 * sockspec.h - milter socket specifications, parsed strictly.
 *
 * The forms libmilter and OpenDKIM/OpenDMARC accept:
 *   unix:/path  local:/path  /path        a unix socket (absolute path)
 *   inet:port@host  inet:port             IPv4 (host: address or name)
 *   inet6:port@host  inet6:port           IPv6
 * Strict: the port is 1..65535 in digits only (no sign, no leading zero),
 * the path is absolute and fits sun_path, the host after '@' is not empty
 * and is an address of the right family or a host name; no white space or
 * control characters anywhere. A missing host ("inet:port") means every
 * local address.
 * Pure: errors through the out-parameter, quoting the text.
 */
#ifndef LOCKDOWN_SOCKSPEC_H
#define LOCKDOWN_SOCKSPEC_H

#include <stddef.h>

enum ld_sock_kind { LD_SOCK_UNIX = 0, LD_SOCK_INET, LD_SOCK_INET6 };

typedef struct ld_sockspec {
    enum ld_sock_kind kind;
    char path[108]; /* unix: the path (fits sun_path) */
    char host[256]; /* inet: host, "" for any */
    unsigned port;  /* inet: 1..65535 */
} ld_sockspec;

/* Returns 0, or -1 with a message quoting the text in err. */
int sockspec_parse(const char *text,
                   ld_sockspec *out,
                   char *err,
                   size_t errlen);

/*
 * Write the canonical libmilter form ("unix:/path", "inet:25@host",
 * "inet6:25") into buf. Returns buf, or NULL when it does not fit.
 */
#define LD_SOCKSPEC_MAX 400
const char *sockspec_format(const ld_sockspec *s, char *buf, size_t buflen);

#endif
