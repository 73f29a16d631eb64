/*
 * u128.h - 128-bit unsigned arithmetic on two 64-bit halves, for address
 * ranges (private to lib/addr.c and lib/addrset.c). IPv4 lives in the low
 * 32 bits. Plain C11: no compiler 128-bit type, so every platform sees the
 * same code.
 */
#ifndef LOCKDOWN_U128_H
#define LOCKDOWN_U128_H

#include <stdbool.h>
#include <stdint.h>

typedef struct u128 {
    uint64_t hi;
    uint64_t lo;
} u128;

static inline int u128_cmp(u128 a, u128 b)
{
    if (a.hi != b.hi) {
        return a.hi < b.hi ? -1 : 1;
    }
    return (a.lo > b.lo) - (a.lo < b.lo);
}

static inline u128 u128_or(u128 a, u128 b)
{
    u128 r = {a.hi | b.hi, a.lo | b.lo};
    return r;
}

static inline u128 u128_and(u128 a, u128 b)
{
    u128 r = {a.hi & b.hi, a.lo & b.lo};
    return r;
}

static inline u128 u128_andnot(u128 a, u128 b)
{
    u128 r = {a.hi & ~b.hi, a.lo & ~b.lo};
    return r;
}

static inline bool u128_is_zero(u128 a)
{
    return a.hi == 0 && a.lo == 0;
}

static inline bool u128_is_max(u128 a)
{
    return a.hi == UINT64_MAX && a.lo == UINT64_MAX;
}

static inline u128 u128_inc(u128 a)
{
    if (++a.lo == 0) {
        a.hi++;
    }
    return a;
}

static inline u128 u128_dec(u128 a)
{
    if (a.lo-- == 0) {
        a.hi--;
    }
    return a;
}

/* The host part of a prefix of length len in a width-bit address. */
static inline u128 u128_hostmask(unsigned len, unsigned width)
{
    u128 m = {0, 0};
    unsigned host = width - len;

    if (host >= 128) {
        m.hi = UINT64_MAX;
        m.lo = UINT64_MAX;
    } else if (host >= 64) {
        m.hi = host == 64 ? 0 : UINT64_MAX >> (128 - host);
        m.lo = UINT64_MAX;
    } else {
        m.lo = host == 0 ? 0 : UINT64_MAX >> (64 - host);
    }
    return m;
}

/* Number of trailing zero bits, capped at width (for zero). */
static inline unsigned u128_ctz(u128 a, unsigned width)
{
    unsigned n = 0;

    if (a.lo != 0) {
        n = (unsigned)__builtin_ctzll(a.lo);
    } else if (a.hi != 0) {
        n = 64 + (unsigned)__builtin_ctzll(a.hi);
    } else {
        n = 128;
    }
    return n > width ? width : n;
}

#endif
