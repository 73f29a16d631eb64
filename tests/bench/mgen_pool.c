/*
 * mgen_pool.c - client address pools, see mgen_pool.h.
 */
#include "mgen_pool.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

uint64_t pool_mix(uint64_t x)
{
    x += UINT64_C(0x9e3779b97f4a7c15);
    x = (x ^ (x >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    x = (x ^ (x >> 27)) * UINT64_C(0x94d049bb133111eb);
    return x ^ (x >> 31);
}

int pool_add(pool *p, const char *text, char *err, size_t errlen)
{
    char buf[128];
    char *slash = NULL;
    char *end = NULL;
    pool_prefix px;
    pool_prefix *nv = NULL;
    unsigned long len = 0;
    unsigned max = 0;
    unsigned i;

    memset(&px, 0, sizeof(px));
    if (strlen(text) >= sizeof(buf)) {
        snprintf(err, errlen, "\"%.40s...\": too long", text);
        return -1;
    }
    memcpy(buf, text, strlen(text) + 1);
    slash = strchr(buf, '/');
    if (slash != NULL) {
        *slash = '\0';
    }
    if (inet_pton(AF_INET, buf, px.bytes) == 1) {
        px.family = 4;
        max = 32;
    } else if (inet_pton(AF_INET6, buf, px.bytes) == 1) {
        px.family = 6;
        max = 128;
    } else {
        snprintf(err, errlen, "\"%s\": not an IPv4 or IPv6 address", text);
        return -1;
    }
    len = max;
    if (slash != NULL) {
        errno = 0;
        len = strtoul(slash + 1, &end, 10);
        if (errno != 0 || end == slash + 1 || *end != '\0' || len > max) {
            snprintf(err, errlen, "\"%s\": bad prefix length", text);
            return -1;
        }
    }
    px.len = (uint8_t)len;
    /* Clear host bits: a draw fills them in. */
    for (i = 0; i < 16; i++) {
        unsigned keep = len > i * 8 ? len - i * 8 : 0;
        if (keep < 8) {
            px.bytes[i] &= (uint8_t)(0xff00u >> keep);
        }
    }
    if (p->n == p->cap) {
        size_t ncap = p->cap ? p->cap * 2 : 64;
        nv = realloc(p->v, ncap * sizeof(*nv));
        if (nv == NULL) {
            snprintf(err, errlen, "out of memory");
            return -1;
        }
        p->v = nv;
        p->cap = ncap;
    }
    p->v[p->n++] = px;
    return 0;
}

int pool_add_file(pool *p, const char *path, char *err, size_t errlen)
{
    FILE *f = NULL;
    char line[512];
    char sub[256];
    char why[256];
    char *s = NULL;
    size_t k = 0;
    unsigned lineno = 0;
    int rc = -1;

    f = fopen(path, "r");
    if (f == NULL) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        goto out;
    }
    while (fgets(line, sizeof(line), f) != NULL) {
        lineno++;
        s = line;
        while (isspace((unsigned char)*s)) {
            s++;
        }
        if (*s == '\0' || *s == '#') {
            continue;
        }
        k = 0;
        while (s[k] != '\0' && !isspace((unsigned char)s[k]) &&
               k < sizeof(sub) - 1) {
            sub[k] = s[k];
            k++;
        }
        sub[k] = '\0';
        if (pool_add(p, sub, why, sizeof(why)) != 0) {
            snprintf(err, errlen, "%s:%u:1: %s", path, lineno, why);
            goto out;
        }
    }
    if (ferror(f)) {
        snprintf(err, errlen, "%s: read error", path);
        goto out;
    }
    rc = 0;
out:
    if (f != NULL) {
        fclose(f);
    }
    return rc;
}

void pool_draw(const pool *p, uint64_t r1, uint64_t r2, char *buf,
               size_t buflen, int *family)
{
    const pool_prefix *px = &p->v[r1 % p->n];
    uint8_t b[16];
    uint64_t r = 0;
    unsigned i;
    unsigned bits = px->family == 4 ? 32 : 128;

    memcpy(b, px->bytes, 16);
    /* Fill the host bits, 64 at a time from a fresh mix of r2. */
    for (i = px->len; i < bits; i++) {
        if ((i - px->len) % 64 == 0) {
            r = pool_mix(r2 + (i - px->len) / 64);
        }
        if (r & 1) {
            b[i / 8] |= (uint8_t)(0x80u >> (i % 8));
        }
        r >>= 1;
    }
    inet_ntop(px->family == 4 ? AF_INET : AF_INET6, b, buf,
              (socklen_t)buflen);
    *family = px->family;
}

void pool_free(pool *p)
{
    free(p->v);
    p->v = NULL;
    p->n = 0;
    p->cap = 0;
}
