/*
 * addrset.c - immutable tagged prefix set, longest-prefix lookup.
 *
 * Build: prefixes are sorted (start ascending, shorter first, lower tag
 * first) and swept with a stack; because prefixes either nest or are
 * disjoint, the sweep yields sorted disjoint intervals, each carrying the
 * tag of the longest prefix covering it. Neighbours with the same tag are
 * merged. The sweep runs twice: once to count, once to fill one block of
 * exactly the right size, so nothing is reallocated and addrset_bytes()
 * is what stays allocated.
 *
 * Lookup: a first-level index narrows the search to the few intervals
 * whose end falls in the address's bucket, then a branch-free binary
 * search over the interval ends finds the only candidate, and its start
 * decides.
 *
 * Memory per interval: IPv4 4+4+2 bytes, or 4+2+2 when the index has
 * enough bits that the bucket holds the top half of every end; IPv6 8+8+2
 * while every boundary is /64-aligned (real allocations), 16 more bytes
 * otherwise.
 */
#include "addrset.h"

#include <stdlib.h>
#include <string.h>

#include "u128.h"

/* Bits of the first-level index at most: 2^16+1 entries, 256 KiB. */
#define INDEX_BITS_MAX 16

/* Intervals are counted in uint32_t (index entries). */
#define PREFIXES_MAX ((size_t)1 << 30)

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
    bool v6_long;   /* some IPv6 prefix is longer than /64 */
    size_t nmapped; /* IPv6 prefixes inside ::ffff:0:0/96: dropped */
};

/*
 * First-level index over a 64-bit key (IPv4: address << 32; IPv6: upper
 * half). Keys outside the common prefix of all intervals miss at once;
 * the next `bits` bits select a bucket, and start[k] is the first interval
 * whose end is at or after the bucket's first address. The interval that
 * holds an address of bucket k, if any, is the first in
 * [start[k], start[k+1]) that ends at or after it, or else start[k+1]:
 * every interval before start[k+1] ends inside bucket k or earlier.
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
    uint32_t *hi;   /* NULL when hi16 is used */
    uint16_t *hi16; /* low 16 bits of the ends: the bucket holds the rest */
    uint16_t *tag;
    firstlevel ix;
    void *block; /* everything above lives here */
    size_t bytes;
} table4;

typedef struct table6 {
    size_t n;
    uint64_t *lo_hi; /* upper half of lo */
    uint64_t *hi_hi; /* upper half of hi */
    uint64_t *lo_lo; /* lower halves; NULL: all 0 for lo, all ones for hi */
    uint64_t *hi_lo;
    uint16_t *tag;
    firstlevel ix;
    void *block;
    size_t bytes;
} table6;

struct addrset {
    size_t prefixes;
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
     * Lookups see a mapped client as IPv4, so nothing inside
     * ::ffff:0:0/96 is reachable as IPv6, and an IPv6 entry must never
     * admit an IPv4 client: a range written in IPv6 that crosses the block
     * splits into prefixes inside it, which are dropped here (stored as
     * IPv4 they would turn "::fffe:ffff:ffff-::1:0:0:0" into 0.0.0.0/0).
     */
    if (p->len >= 96 && v6_is_mapped(p->addr.bytes)) {
        b->nmapped++;
        return 0;
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
    b->v6_long = b->v6_long || p->len > 64;
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

/* The index key of an address: the upper 64 bits, IPv4 left-aligned. */
static uint64_t key_of(u128 v, unsigned width)
{
    return width == 32 ? v.lo << 32 : v.hi;
}

/*
 * Where the sweep's intervals go. With fill unset it only counts (and
 * notes the first start and last end for the index); with fill set it
 * writes the table and the index start[] as each interval is closed.
 */
typedef struct sink {
    unsigned width;
    bool fill;
    size_t n;
    u128 first_lo;
    u128 last_hi;
    uint16_t last_tag;
    table4 *t4;
    table6 *t6;
    firstlevel *ix;
    size_t next_bucket; /* first bucket whose start[] is not yet known */
} sink;

static void sink_store_hi(sink *k, size_t i, u128 hi)
{
    if (k->width == 32) {
        if (k->t4->hi16 != NULL) {
            k->t4->hi16[i] = (uint16_t)hi.lo;
        } else {
            k->t4->hi[i] = (uint32_t)hi.lo;
        }
        return;
    }
    k->t6->hi_hi[i] = hi.hi;
    if (k->t6->hi_lo != NULL) {
        k->t6->hi_lo[i] = hi.lo;
    }
}

/* Interval i ends at hi for good: buckets starting at or before hi that
 * are not yet placed start at i. */
static void sink_close(sink *k, size_t i, u128 hi)
{
    firstlevel *ix = k->ix;
    uint64_t key = key_of(hi, k->width);
    size_t buckets = 0;

    if (ix->start == NULL) {
        return;
    }
    buckets = (size_t)1 << ix->bits;
    while (k->next_bucket < buckets &&
           (ix->base | (uint64_t)k->next_bucket << ix->shift) <= key) {
        ix->start[k->next_bucket++] = (uint32_t)i;
    }
}

/* Append [lo, hi] with tag, merged into the previous interval when they
 * touch and share the tag. */
static void sink_emit(sink *k, u128 lo, u128 hi, uint16_t tag)
{
    if (k->n > 0 && k->last_tag == tag && !u128_is_max(k->last_hi) &&
        u128_cmp(u128_inc(k->last_hi), lo) == 0) {
        k->last_hi = hi;
        if (k->fill) {
            sink_store_hi(k, k->n - 1, hi);
        }
        return;
    }
    if (k->n == 0) {
        k->first_lo = lo;
    } else if (k->fill) {
        sink_close(k, k->n - 1, k->last_hi);
    }
    if (k->fill) {
        if (k->width == 32) {
            k->t4->lo[k->n] = (uint32_t)lo.lo;
            k->t4->tag[k->n] = tag;
        } else {
            k->t6->lo_hi[k->n] = lo.hi;
            if (k->t6->lo_lo != NULL) {
                k->t6->lo_lo[k->n] = lo.lo;
            }
            k->t6->tag[k->n] = tag;
        }
        sink_store_hi(k, k->n, hi);
    }
    k->last_hi = hi;
    k->last_tag = tag;
    k->n++;
}

/* Close the last interval; buckets after every end start at n. */
static void sink_finish(sink *k)
{
    firstlevel *ix = k->ix;

    if (!k->fill || ix->start == NULL) {
        return;
    }
    if (k->n > 0) {
        sink_close(k, k->n - 1, k->last_hi);
    }
    while (k->next_bucket <= ((size_t)1 << ix->bits)) {
        ix->start[k->next_bucket++] = (uint32_t)k->n;
    }
}

typedef struct open_prefix {
    u128 hi;
    uint16_t tag;
} open_prefix;

/*
 * The sweep state. `cur` is the first address not yet emitted; `past`
 * says cur ran off the top of the address space (after an interval ending
 * at all ones). Prefixes nest, so the stack is at most 129 deep.
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
            if (u128_is_max(top->hi)) {
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
    w->stack[w->depth].hi = u128_or(lo, u128_hostmask(len, k->width));
    w->stack[w->depth].tag = tag;
    w->depth++;
    w->cur = lo;
    w->past = false;
}

/* One sweep over the sorted prefixes of the sink's family. */
static void sweep_run(const addrset_builder *b, sink *k)
{
    sweep w;
    size_t i;

    memset(&w, 0, sizeof(w));
    if (k->width == 32) {
        for (i = 0; i < b->n4; i++) {
            uint64_t e = b->v4[i];
            u128 lo = {0, e >> 32};

            /* Same start and length as the previous: its lower tag won. */
            if (i > 0 && (e >> 16) == (b->v4[i - 1] >> 16)) {
                continue;
            }
            sweep_open(&w, k, lo, (unsigned)(e >> 16) & 0xff, (uint16_t)e);
        }
    } else {
        for (i = 0; i < b->n6; i++) {
            const v6entry *e = &b->v6[i];

            if (i > 0 && e->len == b->v6[i - 1].len &&
                u128_cmp(e->lo, b->v6[i - 1].lo) == 0) {
                continue;
            }
            sweep_open(&w, k, e->lo, e->len, e->tag);
        }
    }
    sweep_close_until(&w, k, NULL);
    sink_finish(k);
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
 * Choose the index for n intervals spanning [minkey, maxkey]; width is
 * the number of significant key bits (32 or 64). Leaves bits at 0 when a
 * plain binary search is as good.
 */
static void firstlevel_plan(
    firstlevel *ix, size_t n, uint64_t minkey, uint64_t maxkey, unsigned width)
{
    unsigned bits = 0;
    unsigned cbits = 0;

    memset(ix, 0, sizeof(*ix));
    /* About four intervals per bucket; small sets search directly. */
    if (n < 64) {
        return;
    }
    bits = log2_floor(n) - 2;
    if (bits > INDEX_BITS_MAX) {
        bits = INDEX_BITS_MAX;
    }
    cbits = minkey == maxkey ? 64 : (unsigned)__builtin_clzll(minkey ^ maxkey);
    if (cbits >= width) {
        return;
    }
    if (bits > width - cbits) {
        bits = width - cbits;
    }
    ix->bits = bits;
    ix->cbits = cbits;
    ix->base = cbits == 0 ? 0 : minkey & (UINT64_MAX << (64 - cbits));
    ix->shift = 64 - cbits - bits;
}

static size_t firstlevel_entries(const firstlevel *ix)
{
    return ix->bits == 0 ? 0 : ((size_t)1 << ix->bits) + 1;
}

/* The bucket of key, or false when key is outside the common prefix. */
static bool firstlevel_bucket(const firstlevel *ix, uint64_t key, size_t *k)
{
    if (ix->cbits > 0 && ((key ^ ix->base) >> (64 - ix->cbits)) != 0) {
        return false;
    }
    *k = (size_t)(key >> ix->shift) & (((size_t)1 << ix->bits) - 1);
    return true;
}

/* ---- build ------------------------------------------------------------- */

/* Pass one: how many intervals there are and where the first starts and
 * the last ends, to size the table; nothing is written. */
static void sweep_count(const addrset_builder *b, unsigned width, sink *k)
{
    firstlevel none;

    memset(&none, 0, sizeof(none));
    memset(k, 0, sizeof(*k));
    k->width = width;
    k->ix = &none;
    sweep_run(b, k);
    k->ix = NULL;
}

/* Pass two: the intervals into the table of the family (t4 or t6). */
static void sweep_fill(const addrset_builder *b,
                       unsigned width,
                       table4 *t4,
                       table6 *t6,
                       firstlevel *ix)
{
    sink k;

    memset(&k, 0, sizeof(k));
    k.width = width;
    k.fill = true;
    k.t4 = t4;
    k.t6 = t6;
    k.ix = ix;
    sweep_run(b, &k);
}

static int build_v4(addrset_builder *b, table4 *t)
{
    uint64_t *tmp = NULL;
    sink k;
    size_t nidx = 0;
    size_t hibytes = 0;
    uint8_t *p = NULL;

    memset(t, 0, sizeof(*t));
    if (b->n4 == 0) {
        return 0;
    }
    tmp = malloc(b->n4 * sizeof(*tmp));
    if (tmp == NULL) {
        return -1;
    }
    radix_sort64(b->v4, tmp, b->n4);
    free(tmp);

    sweep_count(b, 32, &k);

    t->n = k.n;
    firstlevel_plan(
        &t->ix, t->n, key_of(k.first_lo, 32), key_of(k.last_hi, 32), 32);
    nidx = firstlevel_entries(&t->ix);
    /* The bucket fixes the top 16 bits of every end before start[k+1]. */
    hibytes = t->ix.bits > 0 && 32 - t->ix.cbits - t->ix.bits <= 16 ? 2 : 4;
    t->bytes = nidx * sizeof(uint32_t) +
               t->n * (sizeof(uint32_t) + hibytes + sizeof(uint16_t));
    t->block = malloc(t->bytes);
    if (t->block == NULL) {
        memset(t, 0, sizeof(*t));
        return -1;
    }
    /* 4-byte arrays first, then 2-byte ones: all naturally aligned. */
    p = t->block;
    t->ix.start = nidx > 0 ? (uint32_t *)(void *)p : NULL;
    p += nidx * sizeof(uint32_t);
    t->lo = (uint32_t *)(void *)p;
    p += t->n * sizeof(uint32_t);
    if (hibytes == 4) {
        t->hi = (uint32_t *)(void *)p;
    } else {
        t->hi16 = (uint16_t *)(void *)p;
    }
    p += t->n * hibytes;
    t->tag = (uint16_t *)(void *)p;

    sweep_fill(b, 32, t, NULL, &t->ix);
    return 0;
}

static int build_v6(addrset_builder *b, table6 *t)
{
    sink k;
    size_t nidx = 0;
    size_t halves = 0;
    uint8_t *p = NULL;

    memset(t, 0, sizeof(*t));
    if (b->n6 == 0) {
        return 0;
    }
    qsort(b->v6, b->n6, sizeof(*b->v6), v6entry_cmp);

    sweep_count(b, 128, &k);

    t->n = k.n;
    firstlevel_plan(
        &t->ix, t->n, key_of(k.first_lo, 128), key_of(k.last_hi, 128), 64);
    nidx = firstlevel_entries(&t->ix);
    /* Prefixes up to /64 only make boundaries whose low halves are all
     * zeros (starts) or all ones (ends): no need to store them. */
    halves = b->v6_long ? 4 : 2;
    t->bytes = t->n * (halves * sizeof(uint64_t) + sizeof(uint16_t)) +
               nidx * sizeof(uint32_t);
    t->block = malloc(t->bytes);
    if (t->block == NULL) {
        memset(t, 0, sizeof(*t));
        return -1;
    }
    p = t->block;
    t->lo_hi = (uint64_t *)(void *)p;
    p += t->n * sizeof(uint64_t);
    t->hi_hi = (uint64_t *)(void *)p;
    p += t->n * sizeof(uint64_t);
    if (b->v6_long) {
        t->lo_lo = (uint64_t *)(void *)p;
        p += t->n * sizeof(uint64_t);
        t->hi_lo = (uint64_t *)(void *)p;
        p += t->n * sizeof(uint64_t);
    }
    t->ix.start = nidx > 0 ? (uint32_t *)(void *)p : NULL;
    p += nidx * sizeof(uint32_t);
    t->tag = (uint16_t *)(void *)p;

    sweep_fill(b, 128, NULL, t, &t->ix);
    return 0;
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
    s->prefixes = b->n4 + b->n6 + b->nmapped;
    if (build_v4(b, &s->v4) != 0) {
        goto out;
    }
    /* The IPv4 keys are no longer needed: give the memory back early. */
    free(b->v4);
    b->v4 = NULL;
    if (build_v6(b, &s->v6) != 0) {
        goto out;
    }
    ret = s;
    s = NULL;
out:
    addrset_free(s);
    addrset_builder_free(b);
    return ret;
}

/* ---- lookup ------------------------------------------------------------ */

/* First i in [b, e) with h[i] >= x, or e. Branch-free: no mispredicted
 * loop exits while the loads are in flight. */
static size_t lower_bound32(const uint32_t *h, size_t b, size_t e, uint32_t x)
{
    const uint32_t *p = h + b;
    size_t len = e - b;

    if (len == 0) {
        return e;
    }
    while (len > 1) {
        size_t half = len / 2;

        p = p[half - 1] < x ? p + half : p;
        len -= half;
    }
    return (size_t)(p - h) + (*p < x);
}

static size_t lower_bound16(const uint16_t *h, size_t b, size_t e, uint16_t x)
{
    const uint16_t *p = h + b;
    size_t len = e - b;

    if (len == 0) {
        return e;
    }
    while (len > 1) {
        size_t half = len / 2;

        p = p[half - 1] < x ? p + half : p;
        len -= half;
    }
    return (size_t)(p - h) + (*p < x);
}

/*
 * Start fetching the starts and tags of a bucket's first and last
 * candidates while the search runs over the ends: the interval found is
 * almost always in those lines, so its start and tag arrive with the
 * search's result instead of one memory round trip after it.
 */
static void prefetch4(const table4 *t, size_t b, size_t e)
{
    __builtin_prefetch(t->lo + b);
    __builtin_prefetch(t->tag + b);
    __builtin_prefetch(t->lo + e);
    __builtin_prefetch(t->tag + e);
}

static bool lookup4(const table4 *t, uint32_t x, uint16_t *tag)
{
    size_t i = 0;
    size_t k = 0;
    size_t b = 0;
    size_t e = 0;

    if (t->n == 0) {
        return false;
    }
    if (t->ix.bits == 0) {
        i = lower_bound32(t->hi, 0, t->n, x);
    } else if (!firstlevel_bucket(&t->ix, (uint64_t)x << 32, &k)) {
        return false;
    } else {
        b = t->ix.start[k];
        e = t->ix.start[k + 1];
        prefetch4(t, b, e);
        /* Ends before start[k+1] lie in this bucket: with hi16, 16 bits
         * compare exactly. Failing those, start[k+1] ends past the
         * bucket and is the candidate. */
        i = t->hi16 != NULL ? lower_bound16(t->hi16, b, e, (uint16_t)x)
                            : lower_bound32(t->hi, b, e, x);
    }
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
    size_t e = t->n;
    size_t len = 0;
    size_t i = 0;
    size_t k = 0;

    if (t->n == 0) {
        return false;
    }
    if (t->ix.bits > 0) {
        if (!firstlevel_bucket(&t->ix, xh, &k)) {
            return false;
        }
        b = t->ix.start[k];
        e = t->ix.start[k + 1];
        /* As prefetch4(). */
        __builtin_prefetch(t->lo_hi + b);
        __builtin_prefetch(t->tag + b);
        __builtin_prefetch(t->lo_hi + e);
        __builtin_prefetch(t->tag + e);
    }
    /* First end >= x in [b, e), else e (whose end is past the bucket). */
    i = b;
    len = e - b;
    if (len > 0) {
        while (len > 1) {
            size_t half = len / 2;

            i = end_before6(t, i + half - 1, xh, xl) ? i + half : i;
            len -= half;
        }
        i += end_before6(t, i, xh, xl);
    }
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
    return s == NULL ? 0 : sizeof(*s) + s->v4.bytes + s->v6.bytes;
}

void addrset_free(addrset *s)
{
    if (s == NULL) {
        return;
    }
    free(s->v4.block);
    free(s->v6.block);
    free(s);
}
