/*
 * fuzz_range.c - addr_parse(), range_parse() and range_to_prefixes().
 *
 * The input is one string. Invariants:
 *  - addr_parse agrees with inet_pton (which is strict: no octal, hex,
 *    short forms, zone ids or white space), except that IPv4-mapped text
 *    may be refused; an IPv4 address formats back to the exact input, an
 *    IPv6 one re-parses to the same bytes.
 *  - range_parse gives lo <= hi in one family, with the bytes past an IPv4
 *    address zero, and agrees with its parts: "A/N" is A..A+2^(bits-N)-1
 *    (so host bits were refused), "A/MASK" likewise, "A-B" is A..B, a bare
 *    address is itself.
 *  - range_to_prefixes yields exactly the greedy minimal decomposition
 *    computed here independently: ascending, no host bits, covering lo..hi
 *    with no gap or overlap; range_from_prefix agrees; a callback's non-zero
 *    return stops the walk and is returned.
 *  - Results do not depend on the size of the error buffer.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "fuzz.h"

#define MAX_PREFIXES 256

typedef struct collect {
    ld_prefix p[MAX_PREFIXES];
    size_t n;
    size_t stop_after; /* 0: never stop */
} collect;

static int collect_cb(const ld_prefix *p, void *arg)
{
    collect *c = arg;

    FUZZ_CHECK(c->n < MAX_PREFIXES,
               "more than %d prefixes for one range",
               MAX_PREFIXES);
    c->p[c->n++] = *p;
    if (c->stop_after != 0 && c->n == c->stop_after) {
        return 7;
    }
    return 0;
}

static int is_mapped(const uint8_t b[16])
{
    static const uint8_t pre[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

    return memcmp(b, pre, sizeof(pre)) == 0;
}

static void check_addr(const char *text)
{
    ld_addr a, again;
    uint8_t pton[16];
    char err[LD_ERRLEN];
    char buf[LD_ADDRSTRLEN];
    int rc, v4, v6;

    memset(&a, 0xa5, sizeof(a));
    rc = addr_parse(text, &a, err, sizeof(err));
    v4 = inet_pton(AF_INET, text, pton) == 1;
    v6 = !v4 && inet_pton(AF_INET6, text, pton) == 1;
    if (rc != 0) {
        fuzz_check_err("addr_parse", err, sizeof(err));
        FUZZ_CHECK(!v4, "addr_parse refused IPv4 \"%s\": %s", text, err);
        FUZZ_CHECK(!v6 || is_mapped(pton),
                   "addr_parse refused IPv6 \"%s\": %s",
                   text,
                   err);
        return;
    }
    FUZZ_CHECK(
        v4 || v6, "addr_parse accepted \"%s\", inet_pton refuses it", text);
    FUZZ_CHECK(a.family == (v4 ? AF_INET : AF_INET6),
               "addr_parse(\"%s\"): family %d",
               text,
               a.family);
    FUZZ_CHECK(memcmp(a.bytes, pton, v4 ? 4 : 16) == 0,
               "addr_parse(\"%s\"): bytes differ from inet_pton",
               text);
    if (v4) {
        static const uint8_t zero[12];

        FUZZ_CHECK(memcmp(a.bytes + 4, zero, 12) == 0,
                   "addr_parse(\"%s\"): IPv4 with bytes 4..15 not zero",
                   text);
    }
    FUZZ_CHECK(addr_format(&a, buf, sizeof(buf)) != NULL,
               "addr_format failed for \"%s\"",
               text);
    if (v4) {
        FUZZ_CHECK(strcmp(buf, text) == 0,
                   "IPv4 \"%s\" formats back as \"%s\"",
                   text,
                   buf);
    }
    rc = addr_parse(buf, &again, err, sizeof(err));
    FUZZ_CHECK(rc == 0,
               "addr_format gave \"%s\" for \"%s\", refused: %s",
               buf,
               text,
               err);
    FUZZ_CHECK(addr_cmp(&a, &again) == 0 && a.family == again.family,
               "\"%s\" -> \"%s\" re-parses to another address",
               text,
               buf);
}

static void
part_addr(const char *text, size_t len, ld_addr *out, const char *whole)
{
    char *part = fuzz_strdup((const uint8_t *)text, len);
    char err[LD_ERRLEN];
    int rc = addr_parse(part, out, err, sizeof(err));

    FUZZ_CHECK(rc == 0,
               "range_parse accepted \"%s\" but part \"%s\": %s",
               whole,
               part,
               err);
    free(part);
}

/* The parts of the accepted text must give the same bounds. */
static void check_range_parts(const char *text, const ld_range *r)
{
    unsigned bits = fuzz_family_bits(r->family);
    fuzz_u128 lo = fuzz_to_u128(r->lo, r->family);
    fuzz_u128 hi = fuzz_to_u128(r->hi, r->family);
    const char *slash = strchr(text, '/');
    const char *dash = strchr(text, '-');
    ld_addr a, b;

    if (slash != NULL) {
        const char *len_text = slash + 1;
        unsigned plen = 0;

        part_addr(text, (size_t)(slash - text), &a, text);
        FUZZ_CHECK(a.family == r->family &&
                       fuzz_to_u128(a.bytes, a.family) == lo,
                   "\"%s\": range starts elsewhere than its address",
                   text);
        if (strspn(len_text, "0123456789") == strlen(len_text)) {
            unsigned long l = strtoul(len_text, NULL, 10);

            FUZZ_CHECK(len_text[0] != '\0' && strlen(len_text) <= 3 &&
                           l <= bits,
                       "\"%s\": prefix length \"%s\" accepted",
                       text,
                       len_text);
            plen = (unsigned)l;
        } else {
            fuzz_u128 mask;

            part_addr(len_text, strlen(len_text), &b, text);
            FUZZ_CHECK(b.family == r->family,
                       "\"%s\": netmask of another family accepted",
                       text);
            mask = fuzz_to_u128(b.bytes, b.family);
            while (plen < bits && (mask >> (bits - 1 - plen) & 1) != 0) {
                plen++;
            }
            FUZZ_CHECK((mask & fuzz_low_mask(bits - plen)) == 0,
                       "\"%s\": non-contiguous netmask accepted",
                       text);
        }
        FUZZ_CHECK(
            plen <= bits, "\"%s\": prefix length %u accepted", text, plen);
        FUZZ_CHECK((lo & fuzz_low_mask(bits - plen)) == 0,
                   "\"%s\": host bits set accepted",
                   text);
        FUZZ_CHECK(hi == (lo | fuzz_low_mask(bits - plen)),
                   "\"%s\": range end is not the end of the prefix",
                   text);
    } else if (dash != NULL) {
        size_t alen = (size_t)(dash - text);
        const char *btext = dash + 1;

        while (alen > 0 && (text[alen - 1] == ' ' || text[alen - 1] == '\t')) {
            alen--;
        }
        while (*btext == ' ' || *btext == '\t') {
            btext++;
        }
        part_addr(text, alen, &a, text);
        part_addr(btext, strlen(btext), &b, text);
        FUZZ_CHECK(a.family == r->family && b.family == r->family,
                   "\"%s\": mixed families accepted",
                   text);
        FUZZ_CHECK(fuzz_to_u128(a.bytes, a.family) == lo &&
                       fuzz_to_u128(b.bytes, b.family) == hi,
                   "\"%s\": bounds differ from the parts",
                   text);
    } else {
        part_addr(text, strlen(text), &a, text);
        FUZZ_CHECK(a.family == r->family && lo == hi &&
                       fuzz_to_u128(a.bytes, a.family) == lo,
                   "\"%s\": bare address is not a one-address range",
                   text);
    }
}

static void check_prefixes(const char *text, const ld_range *r)
{
    static collect c, stopped;
    static fuzz_u128 start[MAX_PREFIXES];
    static unsigned len[MAX_PREFIXES];
    unsigned bits = fuzz_family_bits(r->family);
    fuzz_u128 lo = fuzz_to_u128(r->lo, r->family);
    fuzz_u128 hi = fuzz_to_u128(r->hi, r->family);
    size_t n, i;
    int rc;

    c.n = 0;
    c.stop_after = 0;
    rc = range_to_prefixes(r, collect_cb, &c);
    FUZZ_CHECK(rc == 0, "range_to_prefixes(\"%s\") returned %d", text, rc);
    n = fuzz_range_prefixes(r->family, lo, hi, start, len, MAX_PREFIXES);
    FUZZ_CHECK(c.n == n, "\"%s\": %zu prefixes, want %zu", text, c.n, n);
    for (i = 0; i < n; i++) {
        const ld_prefix *p = &c.p[i];
        fuzz_u128 pa = fuzz_to_u128(p->addr.bytes, r->family);
        ld_range pr;
        char buf[LD_ADDRSTRLEN];
        uint8_t tail[16] = {0};

        FUZZ_CHECK(p->addr.family == r->family,
                   "\"%s\": prefix %zu has family %d",
                   text,
                   i,
                   p->addr.family);
        FUZZ_CHECK(pa == start[i] && p->len == len[i],
                   "\"%s\": prefix %zu is %s, want length %u",
                   text,
                   i,
                   prefix_format(p, buf, sizeof(buf)),
                   len[i]);
        FUZZ_CHECK(p->len <= bits && (pa & fuzz_low_mask(bits - p->len)) == 0,
                   "\"%s\": prefix %zu has host bits",
                   text,
                   i);
        if (r->family == AF_INET) {
            FUZZ_CHECK(memcmp(p->addr.bytes + 4, tail, 12) == 0,
                       "\"%s\": IPv4 prefix %zu has bytes past 4",
                       text,
                       i);
        }
        range_from_prefix(p, &pr);
        FUZZ_CHECK(pr.family == r->family &&
                       fuzz_to_u128(pr.lo, pr.family) == pa &&
                       fuzz_to_u128(pr.hi, pr.family) ==
                           (pa | fuzz_low_mask(bits - p->len)),
                   "\"%s\": range_from_prefix of prefix %zu is wrong",
                   text,
                   i);
        if (r->family == AF_INET6 && is_mapped(p->addr.bytes)) {
            continue; /* written as ::ffff:a.b.c.d, which is refused */
        }
        {
            ld_range back;
            char err[LD_ERRLEN];

            prefix_format(p, buf, sizeof(buf));
            FUZZ_CHECK(range_parse(buf, &back, err, sizeof(err)) == 0,
                       "prefix_format gave \"%s\", refused: %s",
                       buf,
                       err);
            FUZZ_CHECK(back.family == pr.family &&
                           memcmp(back.lo, pr.lo, 16) == 0 &&
                           memcmp(back.hi, pr.hi, 16) == 0,
                       "\"%s\" does not parse back to its prefix",
                       buf);
        }
    }
    if (n > 1) {
        stopped.n = 0;
        stopped.stop_after = n / 2;
        rc = range_to_prefixes(r, collect_cb, &stopped);
        FUZZ_CHECK(rc == 7 && stopped.n == n / 2,
                   "\"%s\": callback stop: rc %d after %zu, want 7 after %zu",
                   text,
                   rc,
                   stopped.n,
                   n / 2);
    }
}

static void check_range(const char *text, size_t size)
{
    ld_range r, r2;
    char err[LD_ERRLEN];
    char *small = NULL;
    size_t smalllen = 1 + size % 23;
    static const uint8_t zero[12];
    int rc, rc2;

    memset(&r, 0x5a, sizeof(r));
    memset(&r2, 0x5a, sizeof(r2));
    rc = range_parse(text, &r, err, sizeof(err));
    small = malloc(smalllen);
    FUZZ_CHECK(small != NULL, "out of memory");
    rc2 = range_parse(text, &r2, small, smalllen);
    fuzz_check_err(
        "range_parse (small buffer)", small, rc2 == 0 ? 0 : smalllen);
    free(small);
    FUZZ_CHECK(rc == rc2,
               "range_parse(\"%s\"): %d with a %d-byte error "
               "buffer, %d with %zu bytes",
               text,
               rc,
               LD_ERRLEN,
               rc2,
               smalllen);
    if (rc != 0) {
        fuzz_check_err("range_parse", err, sizeof(err));
        return;
    }
    FUZZ_CHECK(memcmp(&r, &r2, sizeof(r)) == 0,
               "range_parse(\"%s\") depends on the error buffer",
               text);
    FUZZ_CHECK(r.family == AF_INET || r.family == AF_INET6,
               "range_parse(\"%s\"): family %d",
               text,
               r.family);
    if (r.family == AF_INET) {
        FUZZ_CHECK(memcmp(r.lo + 4, zero, 12) == 0 &&
                       memcmp(r.hi + 4, zero, 12) == 0,
                   "range_parse(\"%s\"): IPv4 bytes past 4 set",
                   text);
    }
    FUZZ_CHECK(fuzz_to_u128(r.lo, r.family) <= fuzz_to_u128(r.hi, r.family),
               "range_parse(\"%s\"): lo > hi",
               text);
    check_range_parts(text, &r);
    check_prefixes(text, &r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = NULL;

    /* Longer than any address or range: only slows the search down. */
    if (size > 256) {
        return 0;
    }
    text = fuzz_strdup(data, size);
    check_addr(text);
    check_range(text, size);
    free(text);
    return 0;
}
