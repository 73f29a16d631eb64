/*
 * mgen_hist.c - log-linear latency histogram, see mgen_hist.h.
 */
#include "mgen_hist.h"

static unsigned hist_index(uint64_t v)
{
    unsigned msb = 0;
    unsigned shift = 0;

    if (v < (UINT64_C(1) << HIST_SUB_BITS)) {
        return (unsigned)v;
    }
    msb = 63u - (unsigned)__builtin_clzll(v);
    shift = msb - HIST_SUB_BITS;
    /* v >> shift is in [2^SUB, 2^(SUB+1)): the bucket within the octave. */
    return ((shift + 1) << HIST_SUB_BITS) +
           (unsigned)((v >> shift) - (UINT64_C(1) << HIST_SUB_BITS));
}

/* Lowest value and width of a bucket. */
static void hist_bounds(unsigned idx, uint64_t *lo, uint64_t *width)
{
    unsigned octave = idx >> HIST_SUB_BITS;
    uint64_t sub = idx & ((1u << HIST_SUB_BITS) - 1);

    if (octave == 0) {
        *lo = idx;
        *width = 1;
        return;
    }
    *lo = (sub + (UINT64_C(1) << HIST_SUB_BITS)) << (octave - 1);
    *width = UINT64_C(1) << (octave - 1);
}

void hist_add(hist *h, uint64_t v)
{
    h->bucket[hist_index(v)]++;
    h->count++;
    h->sum += v;
    if (v > h->max) {
        h->max = v;
    }
}

void hist_add_shared(hist *h, uint64_t v)
{
    uint64_t max = __atomic_load_n(&h->max, __ATOMIC_RELAXED);

    __atomic_fetch_add(&h->bucket[hist_index(v)], 1, __ATOMIC_RELAXED);
    __atomic_fetch_add(&h->count, 1, __ATOMIC_RELAXED);
    __atomic_fetch_add(&h->sum, v, __ATOMIC_RELAXED);
    while (v > max && !__atomic_compare_exchange_n(&h->max, &max, v, 1,
                                                   __ATOMIC_RELAXED,
                                                   __ATOMIC_RELAXED)) {
    }
}

void hist_merge(hist *into, const hist *from)
{
    unsigned i;

    for (i = 0; i < HIST_BUCKETS; i++) {
        into->bucket[i] += from->bucket[i];
    }
    into->count += from->count;
    into->sum += from->sum;
    if (from->max > into->max) {
        into->max = from->max;
    }
}

uint64_t hist_quantile(const hist *h, double q)
{
    uint64_t rank = 0;
    uint64_t seen = 0;
    uint64_t lo = 0;
    uint64_t width = 0;
    unsigned i;

    if (h->count == 0) {
        return 0;
    }
    if (q < 0) {
        q = 0;
    }
    if (q > 1) {
        q = 1;
    }
    /* The smallest value with at least q of the samples at or below it. */
    rank = (uint64_t)(q * (double)h->count + 0.999999);
    if (rank == 0) {
        rank = 1;
    }
    for (i = 0; i < HIST_BUCKETS; i++) {
        seen += h->bucket[i];
        if (seen >= rank) {
            hist_bounds(i, &lo, &width);
            lo += width / 2;
            return lo > h->max ? h->max : lo;
        }
    }
    return h->max;
}

double hist_mean(const hist *h)
{
    return h->count ? (double)h->sum / (double)h->count : 0.0;
}
