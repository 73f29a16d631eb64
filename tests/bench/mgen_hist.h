/*
 * mgen_hist.h - a bounded latency histogram (log-linear buckets).
 *
 * Fixed memory whatever the run length: values are kept in buckets of 1/128
 * of their power of two (relative error under 0.8%), so a soak run of
 * millions of sessions costs the same as a short one. Sum, count and max
 * are exact. hist_add is for one thread, hist_add_shared for many.
 */
#ifndef MGEN_HIST_H
#define MGEN_HIST_H

#include <stdint.h>

#define HIST_SUB_BITS 7
#define HIST_BUCKETS ((64 - HIST_SUB_BITS + 1) << HIST_SUB_BITS)

typedef struct hist {
    uint64_t count;
    uint64_t sum;
    uint64_t max;
    uint64_t bucket[HIST_BUCKETS];
} hist;

void hist_add(hist *h, uint64_t v);
/* The same with atomic updates: one histogram shared by many threads. */
void hist_add_shared(hist *h, uint64_t v);
void hist_merge(hist *into, const hist *from);

/* The value at quantile q (0..1), the middle of its bucket; 0 when empty. */
uint64_t hist_quantile(const hist *h, double q);

double hist_mean(const hist *h);

#endif
