/*
 * sockspec.h - milter socket specifications, parsed strictly.
 *
 * The forms libmilter and OpenDKIM/OpenDMARC accept:
 *   unix:/path  local:/path  /path        a unix socket (absolute path)
 *   inet:port@host  inet:port             IPv4 (host: address or name)
 *   inet6:port@host  inet6:port           IPv6
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

int sockspec_parse(const char *text, ld_sockspec *out, char *err,
                   size_t errlen);

#endif
