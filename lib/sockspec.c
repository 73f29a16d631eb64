/*
 * sockspec.c - milter socket specifications, parsed strictly (see
 * sockspec.h). A spec that libmilter would read differently from what the
 * admin meant (a relative path, "inet:025", a trailing space) is refused
 * here, before anything is opened.
 */
#include <arpa/inet.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/un.h>

#include "sockspec.h"

#include "port.h"

/* The quoted text in messages is cut here so a message always fits. */
#define SOCKSPEC_QUOTE_MAX 120

static void sockspec_error(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void sockspec_error(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;

    if (err == NULL || errlen == 0) {
        return;
    }
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

/* Copy text for quoting: bounded, control characters shown as '?', so an
 * error message is always one printable line. */
static const char *sockspec_quote(const char *text, char *buf, size_t buflen)
{
    size_t i;
    size_t n = 0;

    for (i = 0; text[i] != '\0' && n + 4 < buflen; i++) {
        unsigned char ch = (unsigned char)text[i];

        buf[n++] = (ch < 0x20 || ch == 0x7f) ? '?' : (char)ch;
        if (n >= SOCKSPEC_QUOTE_MAX) {
            break;
        }
    }
    if (text[i] != '\0' && n + 4 <= buflen) {
        memcpy(buf + n, "...", 3);
        n += 3;
    }
    buf[n] = '\0';
    return buf;
}

/* "socket "TEXT": " and then the message: every refusal of a spec names it
 * the same way. */
static void
sockspec_fail(char *err, size_t errlen, const char *text, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void
sockspec_fail(char *err, size_t errlen, const char *text, const char *fmt, ...)
{
    char q[SOCKSPEC_QUOTE_MAX + 8];
    va_list ap;
    int n = 0;

    if (err == NULL || errlen == 0) {
        return;
    }
    n = snprintf(
        err, errlen, "socket \"%s\": ", sockspec_quote(text, q, sizeof(q)));
    if (n < 0 || (size_t)n >= errlen) {
        return;
    }
    va_start(ap, fmt);
    vsnprintf(err + n, errlen - (size_t)n, fmt, ap);
    va_end(ap);
}

static bool sockspec_has_space(const char *text)
{
    const unsigned char *p = (const unsigned char *)text;

    for (; *p != '\0'; p++) {
        if (*p <= 0x20 || *p == 0x7f) {
            return true;
        }
    }
    return false;
}

static int sockspec_unix(const char *text,
                         const char *path,
                         ld_sockspec *out,
                         char *err,
                         size_t errlen)
{
    struct sockaddr_un sun;
    size_t len = strlen(path);
    const char *why = NULL;

    if (len == 0) {
        why = "empty unix socket path";
    } else if (path[0] != '/') {
        why = "unix socket path must be absolute (start with '/')";
    } else if (path[len - 1] == '/') {
        why = "unix socket path ends with '/', it names a directory";
    }
    if (why != NULL) {
        sockspec_fail(err, errlen, text, "%s", why);
        return -1;
    }
    if (len >= sizeof(sun.sun_path) || len >= sizeof(out->path)) {
        sockspec_fail(err,
                      errlen,
                      text,
                      "unix socket path is %zu bytes, at most %zu fit",
                      len,
                      sizeof(sun.sun_path) - 1);
        return -1;
    }
    out->kind = LD_SOCK_UNIX;
    memcpy(out->path, path, len + 1);
    return 0;
}

static int sockspec_port(const char *text,
                         const char *p,
                         size_t len,
                         unsigned *port,
                         char *err,
                         size_t errlen)
{
    char pq[16];
    int v = 0;
    const char *why = NULL;

    switch (port_parse(p, len, &v)) {
    case LD_PORT_OK:
        *port = (unsigned)v;
        return 0;
    case LD_PORT_EMPTY:
        sockspec_fail(err, errlen, text, "missing port");
        return -1;
    case LD_PORT_NOT_NUMBER:
        why = "is not a number (digits only, 1-65535)";
        break;
    case LD_PORT_LEADING_ZERO:
        why = "has a leading zero";
        break;
    case LD_PORT_RANGE:
    default:
        why = "out of range 1-65535";
        break;
    }
    snprintf(pq,
             sizeof(pq),
             "%.*s%s",
             (int)(len > 8 ? 8 : len),
             p,
             len > 8 ? "..." : "");
    sockspec_fail(err, errlen, text, "port \"%s\" %s", pq, why);
    return -1;
}

/* A DNS host name: labels of letters, digits and '-', not starting or
 * ending with '-', at most 63 bytes each, 253 in all. */
static bool sockspec_hostname_ok(const char *h)
{
    size_t label = 0;
    size_t total = strlen(h);
    size_t i;

    if (total == 0 || total > 253) {
        return false;
    }
    for (i = 0; i < total; i++) {
        char ch = h[i];

        if (ch == '.') {
            if (label == 0 || h[i - 1] == '-') {
                return false;
            }
            label = 0;
            continue;
        }
        if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
              (ch >= '0' && ch <= '9') || ch == '-')) {
            return false;
        }
        if (ch == '-' && label == 0) {
            return false;
        }
        if (++label > 63) {
            return false;
        }
    }
    return h[total - 1] != '-';
}

/* All digits and dots: meant as an IPv4 address, never as a name. */
static bool sockspec_looks_ipv4(const char *h)
{
    for (; *h != '\0'; h++) {
        if (!(*h == '.' || (*h >= '0' && *h <= '9'))) {
            return false;
        }
    }
    return true;
}

/* What is wrong with a host of the right length, as the rest of the
 * sentence after 'host "HOST"', or NULL when it is fine. */
static const char *sockspec_host_problem(const char *host, bool v6)
{
    unsigned char bin[16];

    if (host[0] == '[') {
        return ": write the address without brackets";
    }
    if (strchr(host, ':') != NULL) {
        if (!v6) {
            return " is an IPv6 address, use inet6:";
        }
        if (strchr(host, '%') != NULL) {
            return ": zone ids are not supported";
        }
        if (inet_pton(AF_INET6, host, bin) != 1) {
            return " is not a valid IPv6 address";
        }
        return NULL;
    }
    if (sockspec_looks_ipv4(host)) {
        if (v6) {
            return " is an IPv4 address, use inet:";
        }
        /* inet_pton(AF_INET) takes dotted quads only and refuses leading
         * zeros, unlike inet_aton's octal and short forms. */
        if (inet_pton(AF_INET, host, bin) != 1) {
            return " is not a valid IPv4 address (dotted quad, no leading "
                   "zeros)";
        }
        return NULL;
    }
    if (!sockspec_hostname_ok(host)) {
        return " is neither an address nor a valid host name";
    }
    return NULL;
}

static int sockspec_host(
    const char *text, const char *host, bool v6, char *err, size_t errlen)
{
    char hq[SOCKSPEC_QUOTE_MAX + 8];
    const char *why = NULL;

    if (host[0] == '\0') {
        sockspec_fail(err,
                      errlen,
                      text,
                      "empty host after '@' (leave out \"@host\" to listen "
                      "on every address)");
        return -1;
    }
    if (strlen(host) >= sizeof(((ld_sockspec *)0)->host)) {
        sockspec_fail(err, errlen, text, "host name too long");
        return -1;
    }
    why = sockspec_host_problem(host, v6);
    if (why != NULL) {
        sockspec_fail(err,
                      errlen,
                      text,
                      "host \"%s\"%s",
                      sockspec_quote(host, hq, sizeof(hq)),
                      why);
        return -1;
    }
    return 0;
}

static int sockspec_inet(const char *text,
                         const char *rest,
                         bool v6,
                         ld_sockspec *out,
                         char *err,
                         size_t errlen)
{
    const char *at = strchr(rest, '@');
    size_t plen = at != NULL ? (size_t)(at - rest) : strlen(rest);
    unsigned port = 0;

    if (sockspec_port(text, rest, plen, &port, err, errlen) != 0) {
        return -1;
    }
    if (at != NULL) {
        if (sockspec_host(text, at + 1, v6, err, errlen) != 0) {
            return -1;
        }
        snprintf(out->host, sizeof(out->host), "%s", at + 1);
    } else {
        out->host[0] = '\0';
    }
    out->kind = v6 ? LD_SOCK_INET6 : LD_SOCK_INET;
    out->port = port;
    return 0;
}

int sockspec_parse(const char *text, ld_sockspec *out, char *err, size_t errlen)
{
    const char *colon = NULL;
    ld_sockspec tmp;
    size_t slen;
    int rc = -1;

    if (err != NULL && errlen > 0) {
        err[0] = '\0';
    }
    if (text == NULL || out == NULL) {
        sockspec_error(err, errlen, "no socket given");
        return -1;
    }
    memset(&tmp, 0, sizeof(tmp));
    if (text[0] == '\0') {
        sockspec_error(err, errlen, "empty socket specification");
        goto out;
    }
    if (sockspec_has_space(text)) {
        sockspec_fail(
            err, errlen, text, "contains white space or control characters");
        goto out;
    }
    if (text[0] == '/') {
        rc = sockspec_unix(text, text, &tmp, err, errlen);
        goto out;
    }
    colon = strchr(text, ':');
    if (colon == NULL) {
        sockspec_fail(err,
                      errlen,
                      text,
                      "expected unix:/path, local:/path, /path, "
                      "inet:port@host or inet6:port@host");
        goto out;
    }
    slen = (size_t)(colon - text);
    if ((slen == 4 && strncmp(text, "unix", 4) == 0) ||
        (slen == 5 && strncmp(text, "local", 5) == 0)) {
        rc = sockspec_unix(text, colon + 1, &tmp, err, errlen);
    } else if (slen == 4 && strncmp(text, "inet", 4) == 0) {
        rc = sockspec_inet(text, colon + 1, false, &tmp, err, errlen);
    } else if (slen == 5 && strncmp(text, "inet6", 5) == 0) {
        rc = sockspec_inet(text, colon + 1, true, &tmp, err, errlen);
    } else {
        char kind[32];

        snprintf(kind,
                 sizeof(kind),
                 "%.*s%s",
                 (int)(slen > 16 ? 16 : slen),
                 text,
                 slen > 16 ? "..." : "");
        sockspec_fail(err,
                      errlen,
                      text,
                      "unknown socket type \"%s\" (use unix:, local:, "
                      "inet: or inet6:)",
                      kind);
    }
out:
    if (rc == 0) {
        *out = tmp;
    }
    return rc;
}

const char *sockspec_format(const ld_sockspec *s, char *buf, size_t buflen)
{
    int n = -1;

    if (s == NULL || buf == NULL || buflen == 0) {
        return NULL;
    }
    switch (s->kind) {
    case LD_SOCK_UNIX:
        n = snprintf(buf, buflen, "unix:%s", s->path);
        break;
    case LD_SOCK_INET:
    case LD_SOCK_INET6:
        n = snprintf(buf,
                     buflen,
                     "%s:%u%s%s",
                     s->kind == LD_SOCK_INET ? "inet" : "inet6",
                     s->port,
                     s->host[0] != '\0' ? "@" : "",
                     s->host);
        break;
    }
    if (n < 0 || (size_t)n >= buflen) {
        buf[0] = '\0';
        return NULL;
    }
    return buf;
}
