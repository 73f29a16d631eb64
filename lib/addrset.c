/*
 * addrset.c - immutable tagged prefix set, longest-prefix lookup.
 *
 * Build: prefixes are sorted (start ascending, shorter first, lower tag
 * first) and swept once with a stack; because prefixes either nest or are
 * disjoint, the sweep yields sorted disjoint intervals, each carrying the
 * tag of the longest prefix covering it. Neighbours with the same tag are
 * merged. Lookup: a first-level index narrows the search to the few
 * intervals whose end falls in the address's bucket, then a branch-free
 * binary search over the interval ends finds the only candidate.
 *
 * Memory per interval: IPv4 4+4+2 bytes; IPv6 8+8+2 bytes while every
 * boundary is /64-aligned (real allocations), 8 more bytes otherwise.
 */
#include "addrset.h"

#include <stdlib.h>
#include <string.h>

/* Bits of the first-level index at most: 2^16+1 entries, 256 KiB. */
#define INDEX_BITS_MAX 16

/* Intervals are counted in uint32_t (index entries). */
#define PREFIXES_MAX ((size_t)1 << 30)

typedef struct u128 {
    uint64_t hi;
    uint64_t lo;
} u128;

typedef struct v6entry {
    u128 lo;
    uint16_t tag;
    uint8_t len;
} v6entry;

struct addrset_builder {
    uint64_t *v4; /* lo << 32 | len << 16 | tag: sorts in sweep order */
    size_t n4, cap4;
    v6entry *v6;
    size_t n6, cap6;
};

/*
 * First-level index over a 64-bit key (IPv4: address << 32; IPv6: upper
 * half). Keys outside the common prefix of all intervals miss at once;
 * the next `bits` bits select a bucket, and start[k] is the first interval
 * whose end is at or after the bucket's first address. The interval that
 * holds an address of bucket k, if any, lies in [start[k], start[k+1]].
 */
typedef struct firstlevel {
    unsigned bits;   /* 0: no index, search everything */
    unsigned cbits;  /* length of the common prefix */
    unsigned shift;  /* 64 - cbits - bits */
    uint64_t base;   /* the common prefix, low bits zero */
    uint32_t *start; /* 2^bits + 1 entries */
} firstlevel;

typedef struct table4 {
    size_t n;
    uint32_t *lo;
    uint32_t *hi;
    uint16_t *tag;
    firstlevel ix;
} table4;

typedef struct table6 {
    size_t n;
    uint64_t *lo_hi; /* upper half of lo */
    uint64_t *hi_hi; /* upper half of hi */
    uint64_t *lo_lo; /* lower halves; NULL: all 0 for lo, all ones for hi */
    uint64_t *hi_lo;
    uint16_t *tag;
    firstlevel ix;
} table6;

struct addrset {
    size_t prefixes;
    size_t bytes;
    table4 v4;
    table6 v6;
};

static uint64_t be64(const uint8_t *b)
{
    uint64_t v = 0;
    int i;

    for (i = 0; i < 8; i++) {
        v = v << 8 | b[i];
    }
    return v;
}

static uint32_t be32(const uint8_t *b)
{
    return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 |
           (uint32_t)b[3];
}

/* Grow *arr (of elem-size items) so that one more fits. */
static int grow(void **arr, size_t *cap, size_t n, size_t elem)
{
    size_t ncap = 0;
    void *p = NULL;

    if (n < *cap) {
        return 0;
    }
    ncap = *cap == 0 ? 64 : *cap * 2;
    if (ncap > SIZE_MAX / elem) {
        return -1;
    }
    p = realloc(*arr, ncap * elem);
    if (p == NULL) {
        return -1;
    }
    *arr = p;
    *cap = ncap;
    return 0;
}

addrset_builder *addrset_builder_new(void)
{
    return calloc(1, sizeof(addrset_builder));
}

void addrset_builder_free(addrset_builder *b)
{
    if (b == NULL) {
        return;
    }
    free(b->v4);
    free(b->v6);
    free(b);
}

static bool v6_is_mapped(const uint8_t *bytes)
{
    static const uint8_t pfx[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

    return memcmp(bytes, pfx, sizeof(pfx)) == 0;
}

static int add_v4(addrset_builder *b, uint32_t lo, unsigned len, uint16_t tag)
{
    uint32_t mask = len == 0 ? 0 : UINT32_MAX << (32 - len);

    if (b->n4 + b->n6 >= PREFIXES_MAX ||
        grow((void **)&b->v4, &b->cap4, b->n4, sizeof(*b->v4)) != 0) {
        return -1;
    }
    b->v4[b->n4++] = (uint64_t)(lo & mask) << 32 | (uint64_t)len << 16 | tag;
    return 0;
}

int addrset_builder_add(addrset_builder *b, const ld_prefix *p, uint16_t tag)
{
    v6entry e;

    if (b == NULL || p == NULL || tag == ADDRSET_NOTAG) {
        return -1;
    }
    if (p->addr.family == AF_INET) {
        if (p->len > 32) {
            return -1;
        }
        return add_v4(b, be32(p->addr.bytes), p->len, tag);
    }
    if (p->addr.family != AF_INET6 || p->len > 128) {
        return -1;
    }
    /*
     * Lookups see a mapped client as IPv4, so an entry inside
     * ::ffff:0:0/96 is stored as the IPv4 prefix it means; left as IPv6 it
     * could never match.
     */
    if (p->len >= 96 && v6_is_mapped(p->addr.bytes)) {
        return add_v4(b, be32(p->addr.bytes + 12), p->len - 96u, tag);
    }
    if (b->n4 + b->n6 >= PREFIXES_MAX ||
        grow((void **)&b->v6, &b->cap6, b->n6, sizeof(*b->v6)) != 0) {
        return -1;
    }
    memset(&e, 0, sizeof(e));
    e.lo.hi = be64(p->addr.bytes);
    e.lo.lo = be64(p->addr.bytes + 8);
    if (p->len <= 64) {
        e.lo.hi &= p->len == 0 ? 0 : UINT64_MAX << (64 - p->len);
        e.lo.lo = 0;
    } else if (p->len < 128) {
        e.lo.lo &= UINT64_MAX << (128 - p->len);
    }
    e.len = p->len;
    e.tag = tag;
    b->v6[b->n6++] = e;
    return 0;
}

typedef struct range_add {
    addrset_builder *b;
    uint16_t tag;
} range_add;

static int range_add_cb(const ld_prefix *p, void *arg)
{
    range_add *ra = arg;

    return addrset_builder_add(ra->b, p, ra->tag) != 0 ? -1 : 0;
}

int addrset_builder_add_range(addrset_builder *b,
                              const ld_range *r,
                              uint16_t tag)
{
    range_add ra = {b, tag};

    if (b == NULL || r == NULL || tag == ADDRSET_NOTAG ||
        (r->family != AF_INET && r->family != AF_INET6) ||
        memcmp(r->lo, r->hi, r->family == AF_INET ? 4 : 16) > 0) {
        return -1;
    }
    return range_to_prefixes(r, range_add_cb, &ra) != 0 ? -1 : 0;
}

/* LSD radix sort on bytes that differ; tmp holds n keys. */
static void radix_sort64(uint64_t *keys, uint64_t *tmp, size_t n)
{
    size_t count[8][256];
    size_t i;
    unsigned pass;
    uint64_t *src = keys;
    uint64_t *dst = tmp;

    memset(count, 0, sizeof(count));
    for (i = 0; i < n; i++) {
        for (pass = 0; pass < 8; pass++) {
            count[pass][(keys[i] >> (8 * pass)) & 0xff]++;
        }
    }
    for (pass = 0; pass < 8; pass++) {
        size_t sum = 0;
        size_t c = 0;
        unsigned d;
        bool trivial = false;

        for (d = 0; d < 256; d++) {
            if (count[pass][d] == n) {
                trivial = true;
            }
            c = count[pass][d];
            count[pass][d] = sum;
            sum += c;
        }
        if (trivial) {
            continue; /* every key has the same byte here */
        }
        for (i = 0; i < n; i++) {
            dst[count[pass][(src[i] >> (8 * pass)) & 0xff]++] = src[i];
        }
        {
            uint64_t *swap = src;

            src = dst;
            dst = swap;
        }
    }
    if (src != keys) {
        memcpy(keys, src, n * sizeof(*keys));
    }
}

static int v6entry_cmp(const void *pa, const void *pb)
{
    const v6entry *a = pa;
    const v6entry *b = pb;

    if (a->lo.hi != b->lo.hi) {
        return a->lo.hi < b->lo.hi ? -1 : 1;
    }
    if (a->lo.lo != b->lo.lo) {
        return a->lo.lo < b->lo.lo ? -1 : 1;
    }
    if (a->len != b->len) {
        return a->len < b->len ? -1 : 1;
    }
    return (a->tag > b->tag) - (a->tag < b->tag);
}

/* ---- sweep ------------------------------------------------------------- */

static int u128_cmp(u128 a, u128 b)
{
    if (a.hi != b.hi) {
        return a.hi < b.hi ? -1 : 1;
    }
    return (a.lo > b.lo) - (a.lo < b.lo);
}

static u128 u128_inc(u128 a)
{
    if (++a.lo == 0) {
        a.hi++;
    }
    return a;
}

static u128 u128_dec(u128 a)
{
    if (a.lo-- == 0) {
        a.hi--;
    }
    return a;
}

static u128 u128_end(u128 lo, unsigned len, unsigned width)
{
    unsigned host = width - len;

    if (host >= 128) {
        lo.hi = UINT64_MAX;
        lo.lo = UINT64_MAX;
    } else if (host >= 64) {
        lo.hi |= host == 64 ? 0 : UINT64_MAX >> (128 - host);
        lo.lo = UINT64_MAX;
    } else if (host > 0) {
        lo.lo |= UINT64_MAX >> (64 - host);
    }
    return lo;
}

/* Output of the sweep, written straight into the family's arrays. */
typedef struct sink {
    unsigned width;
    size_t n;
    table4 *t4;
    table6 *t6;
    bool need_low; /* some IPv6 boundary is not /64-aligned */
} sink;

static void sink_emit4(sink *k, u128 lo, u128 hi, uint16_t tag)
{
    table4 *t = k->t4;

    if (k->n > 0 && t->tag[k->n - 1] == tag &&
        (uint64_t)t->hi[k->n - 1] + 1 == lo.lo) {
        t->hi[k->n - 1] = (uint32_t)hi.lo;
        return;
    }
    t->lo[k->n] = (uint32_t)lo.lo;
    t->hi[k->n] = (uint32_t)hi.lo;
    t->tag[k->n] = tag;
    k->n++;
}

static void sink_emit6(sink *k, u128 lo, u128 hi, uint16_t tag)
{
    table6 *t = k->t6;

    if (k->n > 0 && t->tag[k->n - 1] == tag) {
        u128 last = {t->hi_hi[k->n - 1], t->hi_lo[k->n - 1]};
        bool top = last.hi == UINT64_MAX && last.lo == UINT64_MAX;

        if (!top && u128_cmp(u128_inc(last), lo) == 0) {
            t->hi_hi[k->n - 1] = hi.hi;
            t->hi_lo[k->n - 1] = hi.lo;
            return;
        }
    }
    t->lo_hi[k->n] = lo.hi;
    t->lo_lo[k->n] = lo.lo;
    t->hi_hi[k->n] = hi.hi;
    t->hi_lo[k->n] = hi.lo;
    t->tag[k->n] = tag;
    k->n++;
}

/* Append [lo, hi] with tag, merged into the previous interval when they
 * touch and share the tag. */
static void sink_emit(sink *k, u128 lo, u128 hi, uint16_t tag)
{
    if (k->width == 32) {
        sink_emit4(k, lo, hi, tag);
    } else {
        sink_emit6(k, lo, hi, tag);
    }
}

typedef struct open_prefix {
    u128 hi;
    uint16_t tag;
} open_prefix;

/*
 * The sweep. next(i) gives the i-th prefix in sorted order. `cur` is the
 * first address not yet emitted; `past` says cur ran off the top of the
 * address space (after an interval ending at all ones).
 */
typedef struct sweep {
    open_prefix stack[129];
    size_t depth;
    u128 cur;
    bool past;
} sweep;

static void sweep_close_until(sweep *w, sink *k, const u128 *upto)
{
    while (w->depth > 0) {
        open_prefix *top = &w->stack[w->depth - 1];

        if (upto != NULL && u128_cmp(top->hi, *upto) >= 0) {
            return;
        }
        if (!w->past && u128_cmp(w->cur, top->hi) <= 0) {
            sink_emit(k, w->cur, top->hi, top->tag);
            if (top->hi.hi == UINT64_MAX && top->hi.lo == UINT64_MAX) {
                w->past = true;
            } else {
                w->cur = u128_inc(top->hi);
            }
        }
        w->depth--;
    }
}

static void sweep_open(sweep *w, sink *k, u128 lo, unsigned len, uint16_t tag)
{
    sweep_close_until(w, k, &lo);
    if (w->depth > 0 && u128_cmp(w->cur, lo) < 0) {
        sink_emit(k, w->cur, u128_dec(lo), w->stack[w->depth - 1].tag);
    }
    w->stack[w->depth].hi = u128_end(lo, len, k->width);
    w->stack[w->depth].tag = tag;
    w->depth++;
    w->cur = lo;
    w->past = false;
}

/* ---- first-level index ------------------------------------------------- */

static unsigned log2_floor(size_t n)
{
    unsigned r = 0;

    while (n > 1) {
        n >>= 1;
        r++;
    }
    return r;
}

/*
 * hikey[i] is the upper 64 bits of interval i's end; width the number of
 * significant key bits (32 for IPv4, 64 for IPv6).
 */
static int firstlevel_build(firstlevel *ix,
                            size_t n,
                            const uint32_t *h4,
                            const uint64_t *h6,
                            uint64_t minkey,
                            uint64_t maxkey,
                            unsigned width)
{
    size_t buckets = 0;
    size_t k = 0;
    size_t i = 0;
    unsigned bits = 0;
    unsigned cbits = 0;

    memset(ix, 0, sizeof(*ix));
    /* About four intervals per bucket; small sets search directly. */
    if (n < 64) {
        return 0;
    }
    bits = log2_floor(n) - 2;
    if (bits > INDEX_BITS_MAX) {
        bits = INDEX_BITS_MAX;
    }
    cbits = minkey == maxkey ? 64 : (unsigned)__builtin_clzll(minkey ^ maxkey);
    if (cbits >= width) {
        return 0;
    }
    if (bits > width - cbits) {
        bits = width - cbits;
    }
    ix->cbits = cbits;
    ix->base = cbits == 0 ? 0 : minkey & (UINT64_MAX << (64 - cbits));
    ix->shift = 64 - cbits - bits;
    buckets = (size_t)1 << bits;
    ix->start = malloc((buckets + 1) * sizeof(*ix->start));
    if (ix->start == NULL) {
        return -1;
    }
    ix->bits = bits;
    for (k = 0; k < buckets; k++) {
        uint64_t first = ix->base | (uint64_t)k << ix->shift;

        while (i < n && (h4 != NULL ? (uint64_t)h4[i] << 32 : h6[i]) < first) {
            i++;
        }
        ix->start[k] = (uint32_t)i;
    }
    ix->start[buckets] = (uint32_t)n;
    return 0;
}

/* The slice [*b, *e) that may hold key; false when key cannot match. */
static bool firstlevel_slice(
    const firstlevel *ix, size_t n, uint64_t key, size_t *b, size_t *e)
{
    size_t k = 0;

    if (ix->bits == 0) {
        *b = 0;
        *e = n;
        return n > 0;
    }
    if (ix->cbits > 0 && ((key ^ ix->base) >> (64 - ix->cbits)) != 0) {
        return false;
    }
    k = (size_t)(key >> ix->shift) & (((size_t)1 << ix->bits) - 1);
    *b = ix->start[k];
    *e = (size_t)ix->start[k + 1] + 1;
    if (*e > n) {
        *e = n;
    }
    return *b < *e;
}

/* ---- build ------------------------------------------------------------- */

static void *shrink(void *p, size_t size)
{
    void *q = NULL;

    if (p == NULL || size == 0) {
        return p;
    }
    q = realloc(p, size);
    return q != NULL ? q : p;
}

static void table4_free(table4 *t)
{
    free(t->lo);
    free(t->hi);
    free(t->tag);
    free(t->ix.start);
    memset(t, 0, sizeof(*t));
}

static void table6_free(table6 *t)
{
    free(t->lo_hi);
    free(t->hi_hi);
    free(t->lo_lo);
    free(t->hi_lo);
    free(t->tag);
    free(t->ix.start);
    memset(t, 0, sizeof(*t));
}

static int build_v4(addrset_builder *b, table4 *t)
{
    uint64_t *tmp = NULL;
    sweep w;
    sink k;
    size_t i = 0;
    size_t cap = 0;
    int rc = -1;

    memset(t, 0, sizeof(*t));
    if (b->n4 == 0) {
        return 0;
    }
    tmp = malloc(b->n4 * sizeof(*tmp));
    if (tmp == NULL) {
        goto out;
    }
    radix_sort64(b->v4, tmp, b->n4);
    free(tmp);
    tmp = NULL;

    /* Each prefix adds at most two intervals (its own, and the rest of
     * its parent after it). */
    cap = 2 * b->n4;
    t->lo = malloc(cap * sizeof(*t->lo));
    t->hi = malloc(cap * sizeof(*t->hi));
    t->tag = malloc(cap * sizeof(*t->tag));
    if (t->lo == NULL || t->hi == NULL || t->tag == NULL) {
        goto out;
    }
    memset(&w, 0, sizeof(w));
    memset(&k, 0, sizeof(k));
    k.width = 32;
    k.t4 = t;
    for (i = 0; i < b->n4; i++) {
        uint64_t e = b->v4[i];
        u128 lo = {0, e >> 32};

        /* Same start and length as the previous: lowest tag already won. */
        if (i > 0 && (e >> 16) == (b->v4[i - 1] >> 16)) {
            continue;
        }
        sweep_open(&w, &k, lo, (unsigned)(e >> 16) & 0xff, (uint16_t)e);
    }
    sweep_close_until(&w, &k, NULL);
    t->n = k.n;
    t->lo = shrink(t->lo, t->n * sizeof(*t->lo));
    t->hi = shrink(t->hi, t->n * sizeof(*t->hi));
    t->tag = shrink(t->tag, t->n * sizeof(*t->tag));
    rc = firstlevel_build(&t->ix,
                          t->n,
                          t->hi,
                          NULL,
                          (uint64_t)t->lo[0] << 32,
                          (uint64_t)t->hi[t->n - 1] << 32,
                          32);
out:
    free(tmp);
    if (rc != 0) {
        table4_free(t);
    }
    return rc;
}

static int build_v6(addrset_builder *b, table6 *t)
{
    sweep w;
    sink k;
    size_t i = 0;
    size_t cap = 0;
    int rc = -1;

    memset(t, 0, sizeof(*t));
    if (b->n6 == 0) {
        return 0;
    }
    qsort(b->v6, b->n6, sizeof(*b->v6), v6entry_cmp);

    cap = 2 * b->n6;
    t->lo_hi = malloc(cap * sizeof(*t->lo_hi));
    t->hi_hi = malloc(cap * sizeof(*t->hi_hi));
    t->lo_lo = malloc(cap * sizeof(*t->lo_lo));
    t->hi_lo = malloc(cap * sizeof(*t->hi_lo));
    t->tag = malloc(cap * sizeof(*t->tag));
    if (t->lo_hi == NULL || t->hi_hi == NULL || t->lo_lo == NULL ||
        t->hi_lo == NULL || t->tag == NULL) {
        goto out;
    }
    memset(&w, 0, sizeof(w));
    memset(&k, 0, sizeof(k));
    k.width = 128;
    k.t6 = t;
    for (i = 0; i < b->n6; i++) {
        const v6entry *e = &b->v6[i];

        if (i > 0 && e->len == b->v6[i - 1].len &&
            u128_cmp(e->lo, b->v6[i - 1].lo) == 0) {
            continue;
        }
        sweep_open(&w, &k, e->lo, e->len, e->tag);
    }
    sweep_close_until(&w, &k, NULL);
    t->n = k.n;
    for (i = 0; i < t->n && !k.need_low; i++) {
        k.need_low = t->lo_lo[i] != 0 || t->hi_lo[i] != UINT64_MAX;
    }
    if (!k.need_low) {
        free(t->lo_lo);
        free(t->hi_lo);
        t->lo_lo = NULL;
        t->hi_lo = NULL;
    } else {
        t->lo_lo = shrink(t->lo_lo, t->n * sizeof(*t->lo_lo));
        t->hi_lo = shrink(t->hi_lo, t->n * sizeof(*t->hi_lo));
    }
    t->lo_hi = shrink(t->lo_hi, t->n * sizeof(*t->lo_hi));
    t->hi_hi = shrink(t->hi_hi, t->n * sizeof(*t->hi_hi));
    t->tag = shrink(t->tag, t->n * sizeof(*t->tag));
    rc = firstlevel_build(
        &t->ix, t->n, NULL, t->hi_hi, t->lo_hi[0], t->hi_hi[t->n - 1], 64);
out:
    if (rc != 0) {
        table6_free(t);
    }
    return rc;
}

static size_t firstlevel_bytes(const firstlevel *ix)
{
    return ix->start == NULL
               ? 0
               : (((size_t)1 << ix->bits) + 1) * sizeof(*ix->start);
}

addrset *addrset_build(addrset_builder *b)
{
    addrset *s = NULL;
    addrset *ret = NULL;

    if (b == NULL) {
        return NULL;
    }
    s = calloc(1, sizeof(*s));
    if (s == NULL) {
        goto out;
    }
    s->prefixes = b->n4 + b->n6;
    if (build_v4(b, &s->v4) != 0) {
        goto out;
    }
    /* The IPv4 keys are no longer needed: give the memory back early. */
    free(b->v4);
    b->v4 = NULL;
    if (build_v6(b, &s->v6) != 0) {
        goto out;
    }
    s->bytes =
        sizeof(*s) +
        s->v4.n * (sizeof(*s->v4.lo) + sizeof(*s->v4.hi) + sizeof(*s->v4.tag)) +
        firstlevel_bytes(&s->v4.ix) +
        s->v6.n *
            (sizeof(*s->v6.lo_hi) + sizeof(*s->v6.hi_hi) + sizeof(*s->v6.tag)) +
        (s->v6.lo_lo != NULL
             ? s->v6.n * (sizeof(*s->v6.lo_lo) + sizeof(*s->v6.hi_lo))
             : 0) +
        firstlevel_bytes(&s->v6.ix);
    ret = s;
    s = NULL;
out:
    addrset_free(s);
    addrset_builder_free(b);
    return ret;
}

/* ---- lookup ------------------------------------------------------------ */

static bool lookup4(const table4 *t, uint32_t x, uint16_t *tag)
{
    size_t b = 0;
    size_t e = 0;
    size_t len = 0;
    const uint32_t *h = NULL;
    size_t i = 0;

    if (!firstlevel_slice(&t->ix, t->n, (uint64_t)x << 32, &b, &e)) {
        return false;
    }
    /* First end >= x in [b, e): the only interval that can hold x. */
    h = t->hi + b;
    len = e - b;
    while (len > 1) {
        size_t half = len / 2;

        h = h[half - 1] < x ? h + half : h;
        len -= half;
    }
    i = (size_t)(h - t->hi) + (*h < x);
    if (i >= t->n || t->lo[i] > x) {
        return false;
    }
    *tag = t->tag[i];
    return true;
}

static bool end_before6(const table6 *t, size_t i, uint64_t xh, uint64_t xl)
{
    if (t->hi_lo == NULL) {
        return t->hi_hi[i] < xh;
    }
    return t->hi_hi[i] < xh || (t->hi_hi[i] == xh && t->hi_lo[i] < xl);
}

static bool lookup6(const table6 *t, const uint8_t *bytes, uint16_t *tag)
{
    uint64_t xh = be64(bytes);
    uint64_t xl = be64(bytes + 8);
    size_t b = 0;
    size_t e = 0;
    size_t len = 0;
    size_t i = 0;

    if (!firstlevel_slice(&t->ix, t->n, xh, &b, &e)) {
        return false;
    }
    i = b;
    len = e - b;
    while (len > 1) {
        size_t half = len / 2;

        i = end_before6(t, i + half - 1, xh, xl) ? i + half : i;
        len -= half;
    }
    i += end_before6(t, i, xh, xl);
    if (i >= t->n) {
        return false;
    }
    if (t->lo_hi[i] > xh ||
        (t->lo_lo != NULL && t->lo_hi[i] == xh && t->lo_lo[i] > xl)) {
        return false;
    }
    *tag = t->tag[i];
    return true;
}

bool addrset_lookup(const addrset *s, const ld_addr *a, uint16_t *tag)
{
    uint16_t t = ADDRSET_NOTAG;
    bool found = false;

    if (s == NULL || a == NULL) {
        return false;
    }
    if (a->family == AF_INET) {
        found = lookup4(&s->v4, be32(a->bytes), &t);
    } else if (a->family == AF_INET6) {
        /* Same rule as addr_normalize(): a mapped client is IPv4. */
        found = v6_is_mapped(a->bytes)
                    ? lookup4(&s->v4, be32(a->bytes + 12), &t)
                    : lookup6(&s->v6, a->bytes, &t);
    }
    if (found && tag != NULL) {
        *tag = t;
    }
    return found;
}

size_t addrset_prefixes(const addrset *s)
{
    return s == NULL ? 0 : s->prefixes;
}

size_t addrset_intervals(const addrset *s)
{
    return s == NULL ? 0 : s->v4.n + s->v6.n;
}

size_t addrset_bytes(const addrset *s)
{
    return s == NULL ? 0 : s->bytes;
}

void addrset_free(addrset *s)
{
    if (s == NULL) {
        return;
    }
    table4_free(&s->v4);
    table6_free(&s->v6);
    free(s);
}
