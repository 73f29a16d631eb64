/*
 * mgen_wire.c - milter wire protocol, MTA side. See mgen_wire.h.
 */
#include "mgen_wire.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

int64_t mw_now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int mw_port_parse(const char *text, uint16_t *port)
{
    char *end = NULL;
    unsigned long v = 0;

    errno = 0;
    v = strtoul(text, &end, 10);
    if (errno != 0 || end == text || *end != '\0' || v == 0 || v > 65535) {
        return -1;
    }
    *port = (uint16_t)v;
    return 0;
}

static int mw_inet_parse(const char *host, const char *port, mw_addr *out,
                         char *err, size_t errlen)
{
    struct sockaddr_in *sin = (struct sockaddr_in *)&out->sa;
    struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&out->sa;
    uint16_t p = 0;

    if (mw_port_parse(port, &p) != 0) {
        snprintf(err, errlen, "bad port \"%s\"", port);
        return -1;
    }
    memset(&out->sa, 0, sizeof(out->sa));
    if (inet_pton(AF_INET, host, &sin->sin_addr) == 1) {
        /* Loopback only: this tool must never load a remote host. */
        if ((ntohl(sin->sin_addr.s_addr) >> 24) != 127) {
            snprintf(err, errlen, "\"%s\" is not a loopback address", host);
            return -1;
        }
        sin->sin_family = AF_INET;
        sin->sin_port = htons(p);
        out->len = sizeof(*sin);
        return 0;
    }
    if (inet_pton(AF_INET6, host, &sin6->sin6_addr) == 1) {
        if (!IN6_IS_ADDR_LOOPBACK(&sin6->sin6_addr)) {
            snprintf(err, errlen, "\"%s\" is not a loopback address", host);
            return -1;
        }
        sin6->sin6_family = AF_INET6;
        sin6->sin6_port = htons(p);
        out->len = sizeof(*sin6);
        return 0;
    }
    snprintf(err, errlen, "\"%s\": not a numeric loopback address", host);
    return -1;
}

int mw_addr_parse(const char *spec, mw_addr *out, char *err, size_t errlen)
{
    struct sockaddr_un *sun = (struct sockaddr_un *)&out->sa;
    const char *path = NULL;
    char buf[256];
    char *at = NULL;
    char *colon = NULL;

    memset(out, 0, sizeof(*out));
    if (strncmp(spec, "unix:", 5) == 0) {
        path = spec + 5;
    } else if (strncmp(spec, "local:", 6) == 0) {
        path = spec + 6;
    } else if (spec[0] == '/') {
        path = spec;
    }
    if (path != NULL) {
        if (path[0] == '\0' || strlen(path) >= sizeof(sun->sun_path)) {
            snprintf(err, errlen, "\"%s\": bad or too long socket path", spec);
            return -1;
        }
        sun->sun_family = AF_UNIX;
        memcpy(sun->sun_path, path, strlen(path) + 1);
        out->len = (socklen_t)sizeof(*sun);
        return 0;
    }
    if (strncmp(spec, "inet:", 5) != 0 && strncmp(spec, "inet6:", 6) != 0) {
        snprintf(err, errlen, "\"%s\": expected unix:PATH or inet:PORT@HOST",
                 spec);
        return -1;
    }
    if (strlen(spec) >= sizeof(buf)) {
        snprintf(err, errlen, "socket spec too long");
        return -1;
    }
    memcpy(buf, strchr(spec, ':') + 1, strlen(strchr(spec, ':') + 1) + 1);
    at = strchr(buf, '@');
    if (at != NULL) { /* libmilter: inet:PORT@HOST */
        *at = '\0';
        return mw_inet_parse(at + 1, buf, out, err, errlen);
    }
    colon = strrchr(buf, ':'); /* Postfix: inet:HOST:PORT */
    if (colon == NULL) {
        snprintf(err, errlen, "\"%s\": expected inet:PORT@HOST", spec);
        return -1;
    }
    *colon = '\0';
    return mw_inet_parse(buf, colon + 1, out, err, errlen);
}

void mw_init(mw_conn *c)
{
    c->fd = -1;
    c->err = 0;
    c->rlen = 0;
    c->roff = 0;
    c->big = NULL;
    c->wlen = 0;
    c->woverflow = 0;
}

int mw_connect(mw_conn *c, const mw_addr *a, int timeout_ms)
{
    struct timeval tv;

    /* Blocking socket with kernel timeouts: one system call per read or
     * write, and none of them can wait longer than timeout_ms. */
    c->fd = socket(a->sa.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (c->fd < 0) {
        c->err = errno;
        return MW_IOERR;
    }
    tv.tv_sec = timeout_ms / 1000;
    tv.tv_usec = (timeout_ms % 1000) * 1000;
    if (setsockopt(c->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) != 0 ||
        setsockopt(c->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) != 0) {
        c->err = errno;
        return MW_IOERR;
    }
    for (;;) {
        if (connect(c->fd, (const struct sockaddr *)&a->sa, a->len) == 0) {
            return MW_OK;
        }
        if (errno == EINTR) {
            continue;
        }
        c->err = errno;
        /* A full unix backlog waits up to SO_SNDTIMEO, then EAGAIN. */
        if (errno == EAGAIN || errno == EINPROGRESS || errno == ETIMEDOUT) {
            return MW_TIMEOUT;
        }
        return (errno == ECONNREFUSED || errno == ENOENT) ? MW_REFUSED
                                                          : MW_IOERR;
    }
}

void mw_close(mw_conn *c)
{
    if (c->fd >= 0) {
        close(c->fd);
        c->fd = -1;
    }
    free(c->big);
    c->big = NULL;
    c->rlen = 0;
    c->roff = 0;
    c->wlen = 0;
    c->woverflow = 0;
}

void mw_put(mw_conn *c, char cmd, const void *data, size_t len)
{
    uint32_t n = htonl((uint32_t)(len + 1));

    if (c->wlen + 5 + len > sizeof(c->wbuf)) {
        c->woverflow = 1;
        return;
    }
    memcpy(c->wbuf + c->wlen, &n, 4);
    c->wbuf[c->wlen + 4] = (uint8_t)cmd;
    if (len > 0) {
        memcpy(c->wbuf + c->wlen + 5, data, len);
    }
    c->wlen += 5 + len;
}

void mw_put_macros(mw_conn *c, char stage, const char *const *names,
                   const char *const *values, size_t n)
{
    uint8_t buf[MW_WBUF];
    size_t len = 0;
    size_t i;
    size_t nl = 0;
    size_t vl = 0;

    buf[len++] = (uint8_t)stage;
    for (i = 0; i < n; i++) {
        nl = strlen(names[i]) + 1;
        vl = strlen(values[i]) + 1;
        if (len + nl + vl > sizeof(buf)) {
            c->woverflow = 1;
            return;
        }
        memcpy(buf + len, names[i], nl);
        len += nl;
        memcpy(buf + len, values[i], vl);
        len += vl;
    }
    mw_put(c, 'D', buf, len);
}

int mw_flush(mw_conn *c, int64_t deadline)
{
    size_t off = 0;
    ssize_t w = 0;
    int st = MW_OK;

    if (c->woverflow) {
        c->wlen = 0;
        c->woverflow = 0;
        return MW_PROTO;
    }
    while (off < c->wlen) {
        w = send(c->fd, c->wbuf + off, c->wlen - off, MSG_NOSIGNAL);
        if (w > 0) {
            off += (size_t)w;
            continue;
        }
        if (w < 0 && errno == EINTR && mw_now_ns() < deadline) {
            continue;
        }
        if (w < 0 && (errno == EAGAIN || errno == EINTR)) {
            st = MW_TIMEOUT;
            goto out;
        }
        c->err = errno;
        st = (errno == EPIPE || errno == ECONNRESET) ? MW_EOF : MW_IOERR;
        goto out;
    }
out:
    c->wlen = 0;
    return st;
}

/* Make at least want bytes available in rbuf from roff. */
static int mw_fill(mw_conn *c, size_t want, int64_t deadline)
{
    ssize_t r = 0;

    if (c->roff > 0 && c->rlen - c->roff < want) {
        memmove(c->rbuf, c->rbuf + c->roff, c->rlen - c->roff);
        c->rlen -= c->roff;
        c->roff = 0;
    }
    while (c->rlen - c->roff < want) {
        r = recv(c->fd, c->rbuf + c->rlen, sizeof(c->rbuf) - c->rlen, 0);
        if (r > 0) {
            c->rlen += (size_t)r;
            if (c->rlen - c->roff < want && mw_now_ns() >= deadline) {
                return MW_TIMEOUT; /* a milter dripping bytes */
            }
            continue;
        }
        if (r == 0) {
            return MW_EOF;
        }
        if (errno == EINTR && mw_now_ns() < deadline) {
            continue;
        }
        if (errno == EAGAIN || errno == EINTR) {
            return MW_TIMEOUT;
        }
        c->err = errno;
        return errno == ECONNRESET ? MW_EOF : MW_IOERR;
    }
    return MW_OK;
}

/* A packet larger than rbuf: copy what is buffered, read the rest. */
static int mw_read_big(mw_conn *c, size_t len, int64_t deadline)
{
    size_t have = c->rlen - c->roff;
    ssize_t r = 0;

    free(c->big);
    c->big = malloc(len);
    if (c->big == NULL) {
        c->err = ENOMEM;
        return MW_IOERR;
    }
    if (have > len) {
        have = len;
    }
    memcpy(c->big, c->rbuf + c->roff, have);
    c->roff += have;
    while (have < len) {
        r = recv(c->fd, c->big + have, len - have, 0);
        if (r > 0) {
            have += (size_t)r;
            if (have < len && mw_now_ns() >= deadline) {
                return MW_TIMEOUT;
            }
            continue;
        }
        if (r == 0) {
            return MW_EOF;
        }
        if (errno == EINTR && mw_now_ns() < deadline) {
            continue;
        }
        if (errno == EAGAIN || errno == EINTR) {
            return MW_TIMEOUT;
        }
        c->err = errno;
        return MW_IOERR;
    }
    return MW_OK;
}

int mw_read(mw_conn *c, int64_t deadline, char *cmd, const uint8_t **data,
            size_t *len)
{
    uint32_t n = 0;
    int st = MW_OK;

    st = mw_fill(c, 4, deadline);
    if (st != MW_OK) {
        return st;
    }
    memcpy(&n, c->rbuf + c->roff, 4);
    n = ntohl(n);
    if (n < 1 || n > MW_MAX_PACKET) {
        return MW_PROTO;
    }
    c->roff += 4;
    if (n <= sizeof(c->rbuf)) {
        st = mw_fill(c, n, deadline);
        if (st != MW_OK) {
            return st;
        }
        *cmd = (char)c->rbuf[c->roff];
        *data = c->rbuf + c->roff + 1;
        *len = n - 1;
        c->roff += n;
        return MW_OK;
    }
    st = mw_read_big(c, n, deadline);
    if (st != MW_OK) {
        return st;
    }
    *cmd = (char)c->big[0];
    *data = c->big + 1;
    *len = n - 1;
    return MW_OK;
}

int mw_peer_gone(mw_conn *c)
{
    struct pollfd pfd;

    pfd.fd = c->fd;
    pfd.events = POLLIN;
    pfd.revents = 0;
    if (poll(&pfd, 1, 0) < 0) {
        return 1;
    }
    /* An idle session must stay silent: data or hang-up both count. */
    return (pfd.revents & (POLLIN | POLLHUP | POLLERR)) != 0;
}

static uint32_t mw_get32(const uint8_t *p)
{
    uint32_t v = 0;

    memcpy(&v, p, 4);
    return ntohl(v);
}

int mw_optneg_parse(const uint8_t *data, size_t len, mw_optneg *out,
                    char *err, size_t errlen)
{
    size_t off = 12;
    uint32_t stage = 0;
    const uint8_t *nul = NULL;
    size_t sl = 0;

    memset(out, 0, sizeof(*out));
    if (len < 12) {
        snprintf(err, errlen, "option reply too short (%zu bytes)", len);
        return -1;
    }
    out->version = mw_get32(data);
    out->actions = mw_get32(data + 4);
    out->protocol = mw_get32(data + 8);
    /* Then macro lists: 4-byte stage, NUL-terminated names. */
    while (off < len) {
        if (len - off < 5) {
            snprintf(err, errlen, "truncated macro list at byte %zu", off);
            return -1;
        }
        stage = mw_get32(data + off);
        off += 4;
        nul = memchr(data + off, '\0', len - off);
        if (nul == NULL) {
            snprintf(err, errlen, "unterminated macro list at byte %zu", off);
            return -1;
        }
        sl = (size_t)(nul - (data + off));
        if (stage >= MW_STAGES || sl >= MW_SYMLIST_MAX) {
            snprintf(err, errlen, "bad macro list (stage %u, %zu bytes)",
                     stage, sl);
            return -1;
        }
        memcpy(out->symlist[stage], data + off, sl + 1);
        out->has_symlist[stage] = 1;
        off += sl + 1;
    }
    return 0;
}

const char *mw_status_name(int st)
{
    switch (st) {
    case MW_OK:
        return "ok";
    case MW_TIMEOUT:
        return "timeout";
    case MW_EOF:
        return "eof";
    case MW_IOERR:
        return "io";
    case MW_PROTO:
        return "protocol";
    case MW_REFUSED:
        return "refused";
    default:
        return "unknown";
    }
}
