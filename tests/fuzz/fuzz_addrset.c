/*
 * fuzz_addrset.c - a differential harness for the prefix set.
 *
 * The input chooses up to MAX_ADDS prefixes and ranges (either family, any
 * length, tags that often collide) and some query addresses. The set built
 * from them must answer every query exactly as a naive scan over all
 * prefixes does: the longest prefix holding the (normalised) address wins,
 * equal prefixes keep the lowest tag. Queries include each entry's first
 * and last address, their neighbours, and the IPv4-mapped, IPv4-compatible,
 * NAT64 and 6to4 forms of IPv4 ones (only the mapped form may match an
 * IPv4 entry). An IPv6 prefix inside ::ffff:0:0/96 matches nothing: IPv6
 * entries never match IPv4 clients, mapped ones included (addrset.h).
 *
 * Input layout: flags, then per entry a kind byte (bit 0 IPv6, bit 1 range,
 * bit 2 wide tag), its bytes, length or second address, and tag; then
 * query addresses (a family byte and the bytes) until the input ends.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "addrset.h"
#include "fuzz.h"

#define MAX_ADDS 32
#define MAX_PREFIXES 128
#define MAX_QUERIES 128

typedef struct naive_prefix {
    uint8_t family;
    fuzz_u128 lo, hi;
    unsigned len;
    uint16_t tag;
} naive_prefix;

typedef struct harness {
    naive_prefix p[MAX_PREFIXES];
    size_t np;
    size_t nall; /* prefixes added, dropped ones included */
    ld_addr q[MAX_QUERIES];
    size_t nq;
} harness;

FUZZ_ORACLE static void add_query(harness *h, int family, fuzz_u128 v)
{
    if (h->nq < MAX_QUERIES) {
        h->q[h->nq].family = (uint8_t)family;
        fuzz_from_u128(v, family, h->q[h->nq].bytes);
        h->nq++;
    }
}

/* The IPv6 forms of an IPv4 address. */
FUZZ_ORACLE static void add_v6_forms(harness *h, fuzz_u128 v4)
{
    add_query(h, AF_INET6, (fuzz_u128)0xffff << 32 | v4);        /* mapped */
    add_query(h, AF_INET6, v4);                                  /* compat */
    add_query(h, AF_INET6, (fuzz_u128)0x0064ff9b << 96 | v4);    /* NAT64 */
    add_query(h, AF_INET6, (fuzz_u128)0x2002 << 112 | v4 << 80); /* 6to4 */
}

FUZZ_ORACLE static void
add_bounds(harness *h, int family, fuzz_u128 lo, fuzz_u128 hi)
{
    fuzz_u128 max = fuzz_low_mask(fuzz_family_bits(family));

    add_query(h, family, lo);
    add_query(h, family, hi);
    if (lo > 0) {
        add_query(h, family, lo - 1);
    }
    if (hi < max) {
        add_query(h, family, hi + 1);
    }
    if (family == AF_INET) {
        add_v6_forms(h, lo);
        add_v6_forms(h, hi);
    }
}

FUZZ_ORACLE static void
naive_add(harness *h, int family, fuzz_u128 lo, unsigned len, uint16_t tag)
{
    unsigned bits;
    naive_prefix *p = NULL;

    h->nall++;
    /* addrset.h: IPv6 entries never match IPv4 clients, mapped ones
     * included; the part of an IPv6 prefix inside ::ffff:0:0/96 is
     * unreachable and dropped. A shorter prefix that covers the block
     * stays and simply never sees a mapped client (looked up as IPv4). */
    if (family == AF_INET6 && len >= 96 && (lo >> 32) == 0xffff) {
        return;
    }
    p = &h->p[h->np++];
    bits = fuzz_family_bits(family);

    p->family = (uint8_t)family;
    p->lo = lo;
    p->hi = lo | fuzz_low_mask(bits - len);
    p->len = len;
    p->tag = tag;
}

FUZZ_ORACLE static bool
naive_lookup(const harness *h, const ld_addr *a, uint16_t *tag)
{
    static const uint8_t mapped[12] = {
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    int family = a->family;
    fuzz_u128 v;
    const naive_prefix *best = NULL;
    size_t i;

    if (family == AF_INET6 && memcmp(a->bytes, mapped, 12) == 0) {
        family = AF_INET;
        v = fuzz_to_u128(a->bytes + 12, AF_INET);
    } else {
        v = fuzz_to_u128(a->bytes, family);
    }
    for (i = 0; i < h->np; i++) {
        const naive_prefix *p = &h->p[i];

        if (p->family != family || v < p->lo || v > p->hi) {
            continue;
        }
        if (best == NULL || p->len > best->len ||
            (p->len == best->len && p->tag < best->tag)) {
            best = p;
        }
    }
    if (best != NULL) {
        *tag = best->tag;
    }
    return best != NULL;
}

static uint16_t read_tag(fuzz_reader *r, uint8_t kind)
{
    uint16_t tag;

    /* Mostly a few small tags, so that equal prefixes disagree often. */
    if ((kind & 4) != 0) {
        tag = fuzz_u16(r);
    } else {
        tag = fuzz_u8(r) % 4;
    }
    if (tag == ADDRSET_NOTAG) {
        tag--;
    }
    return tag;
}

static fuzz_u128 read_addr(fuzz_reader *r, int family)
{
    uint8_t b[16] = {0};

    fuzz_bytes(r, b, family == AF_INET ? 4 : 16);
    return fuzz_to_u128(b, family);
}

static void add_entry(harness *h, addrset_builder *b, fuzz_reader *r)
{
    uint8_t kind = fuzz_u8(r);
    int family = (kind & 1) != 0 ? AF_INET6 : AF_INET;
    unsigned bits = fuzz_family_bits(family);
    fuzz_u128 lo = read_addr(r, family);

    if ((kind & 2) != 0) {
        fuzz_u128 hi = read_addr(r, family), t;
        static fuzz_u128 start[2 * 128];
        static unsigned len[2 * 128];
        uint16_t tag = read_tag(r, kind);
        ld_range range;
        size_t n, i;

        if (hi < lo) {
            t = lo;
            lo = hi;
            hi = t;
        }
        n = fuzz_range_prefixes(family, lo, hi, start, len, 2 * 128);
        if (h->np + n > MAX_PREFIXES) {
            return;
        }
        range.family = (uint8_t)family;
        fuzz_from_u128(lo, family, range.lo);
        fuzz_from_u128(hi, family, range.hi);
        FUZZ_CHECK(addrset_builder_add_range(b, &range, tag) == 0,
                   "addrset_builder_add_range failed");
        for (i = 0; i < n; i++) {
            naive_add(h, family, start[i], len[i], tag);
        }
        add_bounds(h, family, lo, hi);
    } else {
        unsigned plen = fuzz_u8(r) % (bits + 1);
        uint16_t tag = read_tag(r, kind);
        ld_prefix p;

        if (h->np + 1 > MAX_PREFIXES) {
            return;
        }
        lo &= ~fuzz_low_mask(bits - plen);
        memset(&p, 0, sizeof(p));
        p.addr.family = (uint8_t)family;
        fuzz_from_u128(lo, family, p.addr.bytes);
        p.len = (uint8_t)plen;
        FUZZ_CHECK(addrset_builder_add(b, &p, tag) == 0,
                   "addrset_builder_add failed");
        naive_add(h, family, lo, plen, tag);
        add_bounds(h, family, lo, lo | fuzz_low_mask(bits - plen));
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static harness h;
    fuzz_reader r = {data, size};
    addrset_builder *b = NULL;
    addrset *s = NULL;
    uint8_t flags = fuzz_u8(&r);
    size_t nadds = fuzz_u8(&r) % (MAX_ADDS + 1), i;
    size_t calls = 0;

    h.np = 0;
    h.nall = 0;
    h.nq = 0;
    b = addrset_builder_new();
    FUZZ_CHECK(b != NULL, "addrset_builder_new failed");
    for (i = 0; i < nadds && r.left > 0; i++) {
        size_t before = h.np;

        add_entry(&h, b, &r);
        calls += h.np > before;
    }
    if ((flags & 1) != 0) {
        /* A builder dropped before build must not leak. */
        addrset_builder_free(b);
        return 0;
    }
    while (r.left > 0) {
        int family = (fuzz_u8(&r) & 1) != 0 ? AF_INET6 : AF_INET;

        add_query(&h, family, read_addr(&r, family));
        if (family == AF_INET) {
            add_v6_forms(&h, fuzz_to_u128(h.q[h.nq - 1].bytes, AF_INET));
        }
    }
    /* The extremes of both families. */
    add_bounds(&h, AF_INET, 0, fuzz_low_mask(32));
    add_bounds(&h, AF_INET6, 0, fuzz_low_mask(128));

    s = addrset_build(b);
    FUZZ_CHECK(s != NULL, "addrset_build failed");
    FUZZ_CHECK(addrset_prefixes(s) >= calls && addrset_prefixes(s) <= h.nall,
               "addrset_prefixes %zu, want %zu..%zu",
               addrset_prefixes(s),
               calls,
               h.nall);
    FUZZ_CHECK(addrset_intervals(s) <= 2 * h.np + 1,
               "%zu intervals for %zu prefixes",
               addrset_intervals(s),
               h.np);
    for (i = 0; i < h.nq; i++) {
        uint16_t got = 0xdead, want = 0xbeef;
        bool gfound = addrset_lookup(s, &h.q[i], &got);
        bool wfound = naive_lookup(&h, &h.q[i], &want);

        FUZZ_CHECK(gfound == wfound && (!gfound || got == want),
                   "query %zu (family %d): got found=%d tag=%u, want "
                   "found=%d tag=%u",
                   i,
                   h.q[i].family,
                   gfound,
                   gfound ? got : 0u,
                   wfound,
                   wfound ? want : 0u);
    }
    addrset_free(s);
    return 0;
}
