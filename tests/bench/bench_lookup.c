/*
 * bench_lookup.c - how fast and how small is the prefix set, against the
 * linear first-match scan a Postfix cidr: table does.
 *
 * For each size: a seeded, realistic prefix set (80% IPv4, mostly /24,
 * some /16-/23 and /25-/32; 20% IPv6 /32-/48), queries half hits, half
 * misses in random order. Measures addrset build time, bytes per prefix
 * (addrset_bytes() and the RSS delta), ns per lookup (median of batch
 * means, and overall mean), the same for the linear scan where it finishes
 * in reasonable time, and counts mismatches against an independent
 * reference (exact match per prefix length, longest first). Any mismatch
 * makes the exit status non-zero.
 *
 * Output: CSV on stdout (bench,impl,prefixes,metric,value); notes on
 * stderr, each starting with "#".
 */
#include <errno.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "addr.h"
#include "addrset.h"

#define BATCH 1000      /* lookups per timed batch */
#define LINEAR_BATCH 50 /* the linear scan is slower: smaller batches */
#define LINEAR_BUDGET_S                                                        \
    3. /* per size, then it stops (measured, not guessed)                      \
        */

typedef struct options {
    size_t sizes[32];
    size_t nsizes;
    size_t queries;
    uint64_t seed;
    unsigned reps;
    size_t linear_max;
    const char *postmap_dir;
} options;

/* One generated prefix, kept as plain numbers for the reference. */
typedef struct gen_prefix {
    uint8_t family;
    uint8_t len;
    uint16_t tag;
    uint64_t hi, lo; /* IPv4: address in lo's low 32 bits */
} gen_prefix;

/* ---- random numbers (splitmix64: same sequence on every machine) ---- */

static uint64_t rng_state;

static uint64_t rng_next(void)
{
    uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);

    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static uint64_t rng_below(uint64_t n)
{
    return rng_next() % n;
}

/* ---- helpers ----------------------------------------------------------- */

static double now_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static size_t rss_bytes(void)
{
    FILE *f = fopen("/proc/self/statm", "r");
    unsigned long size = 0;
    unsigned long resident = 0;

    if (f == NULL) {
        return 0;
    }
    if (fscanf(f, "%lu %lu", &size, &resident) != 2) {
        resident = 0;
    }
    fclose(f);
    return (size_t)resident * (size_t)sysconf(_SC_PAGESIZE);
}

static void mask_of(unsigned family, unsigned len, uint64_t *mh, uint64_t *ml)
{
    if (family == AF_INET) {
        *mh = 0;
        *ml = len == 0
                  ? 0
                  : (UINT64_C(0xffffffff) << (32 - len)) & UINT64_C(0xffffffff);
        return;
    }
    *mh = len == 0 ? 0 : len >= 64 ? UINT64_MAX : UINT64_MAX << (64 - len);
    *ml = len <= 64 ? 0 : len == 128 ? UINT64_MAX : UINT64_MAX << (128 - len);
}

static void to_addr(unsigned family, uint64_t hi, uint64_t lo, ld_addr *a)
{
    int i;

    memset(a, 0, sizeof(*a));
    a->family = (uint8_t)family;
    if (family == AF_INET) {
        for (i = 0; i < 4; i++) {
            a->bytes[i] = (uint8_t)(lo >> (24 - 8 * i));
        }
        return;
    }
    for (i = 0; i < 8; i++) {
        a->bytes[i] = (uint8_t)(hi >> (56 - 8 * i));
        a->bytes[8 + i] = (uint8_t)(lo >> (56 - 8 * i));
    }
}

/* ---- the realistic prefix set ------------------------------------------ */

/* IPv4 lengths: mostly /24, some /16-/23 (more /22-/23), some /25-/32. */
static unsigned gen_len4(void)
{
    unsigned r = (unsigned)rng_below(1000);

    if (r < 650) {
        return 24;
    }
    if (r < 750) {
        return 23;
    }
    if (r < 830) {
        return 22;
    }
    if (r < 900) {
        return 16 + (unsigned)rng_below(6); /* /16-/21 */
    }
    return 25 + (unsigned)rng_below(8); /* /25-/32 */
}

static void gen_prefix_one(gen_prefix *p)
{
    uint64_t mh = 0;
    uint64_t ml = 0;

    memset(p, 0, sizeof(*p));
    if (rng_below(10) < 8) {
        /* Unicast space 1.0.0.0-223.255.255.255. */
        p->family = AF_INET;
        p->len = (uint8_t)gen_len4();
        p->lo = (1 + rng_below(223)) << 24 | (rng_next() & 0xffffff);
    } else {
        /* Global unicast 2000::/3. */
        p->family = AF_INET6;
        p->len = (uint8_t)(32 + rng_below(17));
        p->hi = (rng_next() & UINT64_C(0x1fffffffffffffff)) |
                UINT64_C(0x2000000000000000);
        p->lo = rng_next();
    }
    mask_of(p->family, p->len, &mh, &ml);
    p->hi &= mh;
    p->lo &= ml;
    p->tag = (uint16_t)rng_below(1024);
}

/* ---- independent reference: exact match per length, longest first ------ */

typedef struct ref_entry {
    uint64_t hi, lo;
    uint16_t tag;
} ref_entry;

typedef struct reference {
    ref_entry *by_len[2][129]; /* [family v4=0 v6=1][len] sorted, unique */
    size_t n[2][129];
} reference;

static int ref_entry_cmp(const void *pa, const void *pb)
{
    const ref_entry *a = pa;
    const ref_entry *b = pb;

    if (a->hi != b->hi) {
        return a->hi < b->hi ? -1 : 1;
    }
    if (a->lo != b->lo) {
        return a->lo < b->lo ? -1 : 1;
    }
    return (a->tag > b->tag) - (a->tag < b->tag);
}

static void reference_free(reference *r)
{
    int f, l;

    for (f = 0; f < 2; f++) {
        for (l = 0; l < 129; l++) {
            free(r->by_len[f][l]);
        }
    }
    memset(r, 0, sizeof(*r));
}

static int reference_build(reference *r, const gen_prefix *p, size_t n)
{
    size_t cap[2][129];
    size_t i;
    int f, l;

    memset(r, 0, sizeof(*r));
    memset(cap, 0, sizeof(cap));
    for (i = 0; i < n; i++) {
        cap[p[i].family == AF_INET6][p[i].len]++;
    }
    for (f = 0; f < 2; f++) {
        for (l = 0; l < 129; l++) {
            if (cap[f][l] > 0) {
                r->by_len[f][l] = malloc(cap[f][l] * sizeof(ref_entry));
                if (r->by_len[f][l] == NULL) {
                    reference_free(r);
                    return -1;
                }
            }
        }
    }
    for (i = 0; i < n; i++) {
        int fam = p[i].family == AF_INET6;
        ref_entry *e = &r->by_len[fam][p[i].len][r->n[fam][p[i].len]++];

        e->hi = p[i].hi;
        e->lo = p[i].lo;
        e->tag = p[i].tag;
    }
    for (f = 0; f < 2; f++) {
        for (l = 0; l < 129; l++) {
            size_t w = 0;

            if (r->n[f][l] == 0) {
                continue;
            }
            /* Sorted with the lowest tag first: keep the first of equals. */
            qsort(
                r->by_len[f][l], r->n[f][l], sizeof(ref_entry), ref_entry_cmp);
            for (i = 0; i < r->n[f][l]; i++) {
                ref_entry *e = &r->by_len[f][l][i];

                if (w > 0 && r->by_len[f][l][w - 1].hi == e->hi &&
                    r->by_len[f][l][w - 1].lo == e->lo) {
                    continue;
                }
                r->by_len[f][l][w++] = *e;
            }
            r->n[f][l] = w;
        }
    }
    return 0;
}

/* -1 for no match, else the tag. */
static int
reference_lookup(const reference *r, unsigned family, uint64_t hi, uint64_t lo)
{
    int fam = family == AF_INET6;
    int l;

    for (l = fam ? 128 : 32; l >= 0; l--) {
        size_t a = 0;
        size_t b = r->n[fam][l];
        uint64_t mh, ml, kh, kl;

        if (b == 0) {
            continue;
        }
        mask_of(family, (unsigned)l, &mh, &ml);
        kh = hi & mh;
        kl = lo & ml;
        while (a < b) {
            size_t m = a + (b - a) / 2;
            const ref_entry *e = &r->by_len[fam][l][m];

            if (e->hi < kh || (e->hi == kh && e->lo < kl)) {
                a = m + 1;
            } else {
                b = m;
            }
        }
        if (a < r->n[fam][l] && r->by_len[fam][l][a].hi == kh &&
            r->by_len[fam][l][a].lo == kl) {
            return r->by_len[fam][l][a].tag;
        }
    }
    return -1;
}

/* ---- queries: half hits, half misses, shuffled ------------------------- */

static int queries_make(const gen_prefix *p,
                        size_t np,
                        const reference *ref,
                        ld_addr *q,
                        int *want,
                        size_t nq)
{
    size_t i;

    for (i = 0; i < nq; i++) {
        uint64_t hi = 0;
        uint64_t lo = 0;
        unsigned family = AF_INET;
        int tries = 0;

        if (i % 2 == 0) {
            const gen_prefix *e = &p[rng_below(np)];
            uint64_t mh, ml;

            family = e->family;
            mask_of(family, e->len, &mh, &ml);
            hi = e->hi | (rng_next() & ~mh);
            lo = e->lo | (rng_next() & ~ml);
            if (family == AF_INET) {
                lo &= 0xffffffffu;
            }
        } else {
            /* A miss from the same space, confirmed by the reference. */
            do {
                if (rng_below(10) < 8) {
                    family = AF_INET;
                    hi = 0;
                    lo = (1 + rng_below(223)) << 24 | (rng_next() & 0xffffff);
                } else {
                    family = AF_INET6;
                    hi = (rng_next() & UINT64_C(0x1fffffffffffffff)) |
                         UINT64_C(0x2000000000000000);
                    lo = rng_next();
                }
            } while (reference_lookup(ref, family, hi, lo) >= 0 &&
                     ++tries < 1000);
            if (tries >= 1000) {
                return -1;
            }
        }
        to_addr(family, hi, lo, &q[i]);
        want[i] = reference_lookup(ref, family, hi, lo);
    }
    /* Shuffle so that hits and misses interleave unpredictably. */
    for (i = nq; i > 1; i--) {
        size_t j = (size_t)rng_below(i);
        ld_addr ta = q[i - 1];
        int tw = want[i - 1];

        q[i - 1] = q[j];
        want[i - 1] = want[j];
        q[j] = ta;
        want[j] = tw;
    }
    return 0;
}

/* ---- the linear baseline: Postfix cidr_match.c, first match wins ------- */

typedef struct cidr_entry {
    uint8_t family;
    uint8_t nbytes;
    uint16_t tag;
    uint8_t net[16];
    uint8_t mask[16];
} cidr_entry;

/* Longest first (then lowest tag), as an admin must order a cidr: file
 * to get longest-prefix answers out of first-match semantics. */
static int gen_prefix_order(const void *pa, const void *pb)
{
    const gen_prefix *a = pa;
    const gen_prefix *b = pb;

    if (a->len != b->len) {
        return a->len > b->len ? -1 : 1;
    }
    return (a->tag > b->tag) - (a->tag < b->tag);
}

static cidr_entry *cidr_build(const gen_prefix *sorted, size_t n)
{
    cidr_entry *c = calloc(n, sizeof(*c));
    size_t i;

    if (c == NULL) {
        return NULL;
    }
    for (i = 0; i < n; i++) {
        ld_addr a;
        ld_addr m;
        uint64_t mh, ml;

        to_addr(sorted[i].family, sorted[i].hi, sorted[i].lo, &a);
        mask_of(sorted[i].family, sorted[i].len, &mh, &ml);
        to_addr(sorted[i].family, mh, ml, &m);
        c[i].family = sorted[i].family;
        c[i].nbytes = sorted[i].family == AF_INET ? 4 : 16;
        c[i].tag = sorted[i].tag;
        memcpy(c[i].net, a.bytes, 16);
        memcpy(c[i].mask, m.bytes, 16);
    }
    return c;
}

static int cidr_lookup(const cidr_entry *c, size_t n, const ld_addr *q)
{
    ld_addr a = *q;
    size_t i;

    addr_normalize(&a);
    for (i = 0; i < n; i++) {
        const uint8_t *np = c[i].net;
        const uint8_t *mp = c[i].mask;
        const uint8_t *ap = a.bytes;
        const uint8_t *end = a.bytes + c[i].nbytes;

        if (c[i].family != a.family) {
            continue;
        }
        while (ap < end && (*ap & *mp) == *np) {
            ap++;
            mp++;
            np++;
        }
        if (ap == end) {
            return c[i].tag;
        }
    }
    return -1;
}

/* ---- statistics ---------------------------------------------------------- */

static int double_cmp(const void *pa, const void *pb)
{
    double a = *(const double *)pa;
    double b = *(const double *)pb;

    return (a > b) - (a < b);
}

static double median(double *v, size_t n)
{
    if (n == 0) {
        return 0;
    }
    qsort(v, n, sizeof(*v), double_cmp);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* Results are folded in here so that no lookup can be optimised away. */
static volatile uint64_t g_sink;

/* ---- postmap files --------------------------------------------------------
 */

static int postmap_write(const char *dir,
                         size_t size,
                         const gen_prefix *sorted,
                         size_t np,
                         const ld_addr *q,
                         size_t nq)
{
    char path[4096];
    FILE *f = NULL;
    size_t i;
    int rc = -1;

    snprintf(path, sizeof(path), "%s/cidr_%zu.txt", dir, size);
    f = fopen(path, "w");
    if (f == NULL) {
        fprintf(stderr, "# %s: %s\n", path, strerror(errno));
        goto out;
    }
    fprintf(f,
            "# bench_lookup: %zu prefixes, longest first (first match "
            "wins in cidr: tables)\n",
            np);
    for (i = 0; i < np; i++) {
        ld_prefix p;
        char buf[LD_ADDRSTRLEN + 8];

        memset(&p, 0, sizeof(p));
        to_addr(sorted[i].family, sorted[i].hi, sorted[i].lo, &p.addr);
        p.len = sorted[i].len;
        fprintf(f, "%s OK\n", prefix_format(&p, buf, sizeof(buf)));
    }
    if (fclose(f) != 0) {
        f = NULL;
        goto out;
    }
    snprintf(path, sizeof(path), "%s/queries_%zu.txt", dir, size);
    f = fopen(path, "w");
    if (f == NULL) {
        fprintf(stderr, "# %s: %s\n", path, strerror(errno));
        goto out;
    }
    for (i = 0; i < nq; i++) {
        char buf[LD_ADDRSTRLEN];

        fprintf(f, "%s\n", addr_format(&q[i], buf, sizeof(buf)));
    }
    if (fclose(f) != 0) {
        f = NULL;
        goto out;
    }
    f = NULL;
    rc = 0;
out:
    if (f != NULL) {
        fclose(f);
    }
    return rc;
}

/* ---- one size ------------------------------------------------------------ */

static void csv(const char *impl, size_t n, const char *metric, double v)
{
    printf("lookup,%s,%zu,%s,%.*f\n",
           impl,
           n,
           metric,
           v == (double)(uint64_t)v ? 0 : 2,
           v);
}

static int bench_size(const options *o, size_t size, size_t *mismatches)
{
    gen_prefix *p = NULL;
    gen_prefix *sorted = NULL;
    ld_addr *q = NULL;
    int *want = NULL;
    double *batch = NULL;
    cidr_entry *cidr = NULL;
    addrset_builder *b = NULL;
    addrset *s = NULL;
    reference ref;
    size_t nq = o->queries;
    size_t nbatch = (nq + BATCH - 1) / BATCH * o->reps;
    size_t nlinear = (nq + LINEAR_BATCH - 1) / LINEAR_BATCH;
    size_t i;
    size_t rss0 = 0;
    size_t rss1 = 0;
    size_t nb = 0;
    size_t bad = 0;
    double t0 = 0;
    double build_ms = 0;
    double total = 0;
    unsigned rep;
    int rc = EX_OSERR;

    memset(&ref, 0, sizeof(ref));
    rng_state = o->seed ^ (uint64_t)size * 0x100000001b3ULL;
    p = malloc(size * sizeof(*p));
    q = malloc(nq * sizeof(*q));
    want = malloc(nq * sizeof(*want));
    /* One slot per timed batch, for whichever timing has more. */
    batch =
        malloc(((nbatch > nlinear ? nbatch : nlinear) + 1) * sizeof(*batch));
    if (p == NULL || q == NULL || want == NULL || batch == NULL) {
        goto out;
    }
    for (i = 0; i < size; i++) {
        gen_prefix_one(&p[i]);
    }
    if (reference_build(&ref, p, size) != 0) {
        goto out;
    }
    if (queries_make(p, size, &ref, q, want, nq) != 0) {
        fprintf(stderr, "# size %zu: could not find enough misses\n", size);
        rc = EX_SOFTWARE;
        goto out;
    }

    /* Build: everything from an empty builder to the finished set. */
    malloc_trim(0);
    rss0 = rss_bytes();
    t0 = now_s();
    b = addrset_builder_new();
    if (b == NULL) {
        goto out;
    }
    for (i = 0; i < size; i++) {
        ld_prefix lp;

        memset(&lp, 0, sizeof(lp));
        to_addr(p[i].family, p[i].hi, p[i].lo, &lp.addr);
        lp.len = p[i].len;
        if (addrset_builder_add(b, &lp, p[i].tag) != 0) {
            addrset_builder_free(b);
            goto out;
        }
    }
    s = addrset_build(b);
    build_ms = (now_s() - t0) * 1e3;
    if (s == NULL) {
        goto out;
    }
    rss1 = rss_bytes();

    /* Differential check first: a fast wrong answer is worth nothing. */
    for (i = 0; i < nq; i++) {
        uint16_t tag = 0;
        int got = addrset_lookup(s, &q[i], &tag) ? tag : -1;

        if (got != want[i]) {
            if (bad == 0) {
                char buf[LD_ADDRSTRLEN];

                fprintf(stderr,
                        "# MISMATCH size %zu query %zu %s: addrset %d, "
                        "reference %d\n",
                        size,
                        i,
                        addr_format(&q[i], buf, sizeof(buf)),
                        got,
                        want[i]);
            }
            bad++;
        }
    }

    /* Warm up, then time batches. */
    for (i = 0; i < nq && i < 100000; i++) {
        uint16_t tag = 0;

        g_sink += addrset_lookup(s, &q[i], &tag) + tag;
    }
    total = 0;
    for (rep = 0; rep < o->reps; rep++) {
        for (i = 0; i < nq; i += BATCH) {
            size_t end = i + BATCH < nq ? i + BATCH : nq;
            uint64_t acc = 0;
            double t = now_s();
            size_t j;

            for (j = i; j < end; j++) {
                uint16_t tag = 0;

                acc += addrset_lookup(s, &q[j], &tag) + tag;
            }
            t = now_s() - t;
            g_sink += acc;
            batch[nb++] = t * 1e9 / (double)(end - i);
            total += t;
        }
    }
    csv("addrset", size, "ns_p50", median(batch, nb));
    csv("addrset", size, "ns_mean", total * 1e9 / ((double)nq * o->reps));
    csv("addrset", size, "build_ms", build_ms);
    csv("addrset",
        size,
        "bytes_per_prefix",
        (double)addrset_bytes(s) / (double)size);
    csv("addrset",
        size,
        "rss_bytes_per_prefix",
        rss1 > rss0 ? (double)(rss1 - rss0) / (double)size : 0);
    csv("addrset", size, "mismatches", (double)bad);
    fprintf(stderr,
            "# size %zu: %zu intervals, %zu bytes (addrset_bytes), RSS "
            "+%zu bytes\n",
            size,
            addrset_intervals(s),
            addrset_bytes(s),
            rss1 > rss0 ? rss1 - rss0 : 0);
    *mismatches += bad;

    /* The linear scan, and the files for postmap, in the same order. */
    sorted = malloc(size * sizeof(*sorted));
    if (sorted == NULL) {
        goto out;
    }
    memcpy(sorted, p, size * sizeof(*sorted));
    qsort(sorted, size, sizeof(*sorted), gen_prefix_order);
    if (o->postmap_dir != NULL &&
        postmap_write(o->postmap_dir, size, sorted, size, q, nq) != 0) {
        rc = EX_CANTCREAT;
        goto out;
    }
    if (size <= o->linear_max) {
        double start = now_s();
        size_t done = 0;
        size_t lbad = 0;

        cidr = cidr_build(sorted, size);
        if (cidr == NULL) {
            goto out;
        }
        nb = 0;
        total = 0;
        while (done < nq && now_s() - start < LINEAR_BUDGET_S) {
            size_t end = done + LINEAR_BATCH < nq ? done + LINEAR_BATCH : nq;
            int got[LINEAR_BATCH];
            double t = now_s();
            size_t j;

            for (j = done; j < end; j++) {
                got[j - done] = cidr_lookup(cidr, size, &q[j]);
            }
            t = now_s() - t;
            for (j = done; j < end; j++) {
                g_sink += (uint64_t)got[j - done];
                lbad += got[j - done] != want[j];
            }
            batch[nb++] = t * 1e9 / (double)(end - done);
            total += t;
            done = end;
        }
        csv("linear", size, "ns_p50", median(batch, nb));
        csv("linear", size, "ns_mean", total * 1e9 / (double)done);
        csv("linear", size, "mismatches", (double)lbad);
        if (done < nq) {
            fprintf(stderr,
                    "# size %zu: linear scan timed on the first %zu of %zu "
                    "queries (%.0f s budget)\n",
                    size,
                    done,
                    nq,
                    LINEAR_BUDGET_S);
        }
        *mismatches += lbad;
    } else {
        fprintf(stderr,
                "# size %zu: linear scan skipped (above --linear-max %zu; "
                "not extrapolated)\n",
                size,
                o->linear_max);
    }
    rc = 0;
out:
    addrset_free(s);
    reference_free(&ref);
    free(cidr);
    free(sorted);
    free(batch);
    free(want);
    free(q);
    free(p);
    if (rc == EX_OSERR) {
        fprintf(stderr, "# size %zu: out of memory\n", size);
    }
    return rc;
}

/* ---- command line ---------------------------------------------------------
 */

static void usage(FILE *f)
{
    fprintf(f,
            "usage: bench_lookup [--sizes N,N,...] [--queries N] [--seed S] "
            "[--reps R]\n"
            "                    [--linear-max N] [--postmap-dir DIR] "
            "[--smoke]\n");
}

static int parse_size(const char *s, size_t *out)
{
    char *end = NULL;
    unsigned long long v = 0;

    if (s == NULL || *s < '0' || *s > '9') {
        return -1;
    }
    errno = 0;
    v = strtoull(s, &end, 10);
    if (errno != 0 || *end != '\0' || v > SIZE_MAX) {
        return -1;
    }
    *out = (size_t)v;
    return 0;
}

static int parse_sizes(char *list, options *o)
{
    char *save = NULL;
    char *tok = NULL;

    o->nsizes = 0;
    for (tok = strtok_r(list, ",", &save); tok != NULL;
         tok = strtok_r(NULL, ",", &save)) {
        size_t v = 0;

        if (o->nsizes == sizeof(o->sizes) / sizeof(o->sizes[0]) ||
            parse_size(tok, &v) != 0 || v == 0 || v > 50000000) {
            return -1;
        }
        o->sizes[o->nsizes++] = v;
    }
    return o->nsizes > 0 ? 0 : -1;
}

int main(int argc, char **argv)
{
    options o;
    char defsizes[] = "10,1000,10000,100000,1000000";
    char *sizes = defsizes;
    size_t mismatches = 0;
    size_t i;
    int k;

    memset(&o, 0, sizeof(o));
    o.queries = 1000000;
    o.seed = 1;
    o.reps = 3;
    o.linear_max = 100000;
    for (k = 1; k < argc; k++) {
        const char *a = argv[k];
        const char *v = k + 1 < argc ? argv[k + 1] : NULL;
        size_t n = 0;

        if (strcmp(a, "--smoke") == 0) {
            static char smoke[] = "10,1000";

            sizes = smoke;
            o.queries = 20000;
            o.reps = 1;
            continue;
        }
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            usage(stdout);
            return 0;
        }
        if (v == NULL) {
            usage(stderr);
            return EX_USAGE;
        }
        k++;
        if (strcmp(a, "--sizes") == 0) {
            sizes = argv[k];
        } else if (strcmp(a, "--postmap-dir") == 0) {
            o.postmap_dir = v;
        } else if (parse_size(v, &n) != 0) {
            fprintf(stderr, "bench_lookup: %s: \"%s\" is not a number\n", a, v);
            return EX_USAGE;
        } else if (strcmp(a, "--queries") == 0 && n > 0 && n <= 100000000) {
            o.queries = n;
        } else if (strcmp(a, "--seed") == 0) {
            o.seed = n;
        } else if (strcmp(a, "--reps") == 0 && n > 0 && n <= 1000) {
            o.reps = (unsigned)n;
        } else if (strcmp(a, "--linear-max") == 0) {
            o.linear_max = n;
        } else {
            usage(stderr);
            return EX_USAGE;
        }
    }
    if (parse_sizes(sizes, &o) != 0) {
        fprintf(stderr,
                "bench_lookup: --sizes wants a list of sizes like "
                "10,1000,1000000\n");
        return EX_USAGE;
    }
    /*
     * A fixed mmap threshold: freed builder memory goes back to the system
     * instead of staying in the heap, so the RSS delta shows what the set
     * holds, not what glibc kept.
     */
    mallopt(M_MMAP_THRESHOLD, 128 * 1024);
    mallopt(M_TRIM_THRESHOLD, 128 * 1024);

    {
        /* Timings are wall clock: say how busy the machine was. */
        FILE *f = fopen("/proc/loadavg", "r");
        char line[128] = "";

        if (f != NULL) {
            if (fgets(line, sizeof(line), f) == NULL) {
                line[0] = '\0';
            }
            fclose(f);
        }
        line[strcspn(line, "\n")] = '\0';
        fprintf(stderr,
                "# load average at start: %s (%ld CPUs)\n",
                line,
                sysconf(_SC_NPROCESSORS_ONLN));
    }
    printf("bench,impl,prefixes,metric,value\n");
    fflush(stdout);
    for (i = 0; i < o.nsizes; i++) {
        int rc = bench_size(&o, o.sizes[i], &mismatches);

        fflush(stdout);
        if (rc != 0) {
            return rc;
        }
    }
    fprintf(stderr,
            "# seed %llu, %zu queries x %u reps, sink %llu\n",
            (unsigned long long)o.seed,
            o.queries,
            o.reps,
            (unsigned long long)g_sink);
    if (mismatches != 0) {
        fprintf(stderr, "# FAIL: %zu mismatches\n", mismatches);
        return EX_SOFTWARE;
    }
    return 0;
}
