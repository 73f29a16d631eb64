/*
 * fuzz.c - helpers shared by the harnesses.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sys/socket.h>

#include "fuzz.h"

void fuzz_fail(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    fputs("fuzz: invariant failed: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    abort();
}

char *fuzz_strdup(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);

    if (s == NULL) {
        abort();
    }
    if (size > 0) {
        memcpy(s, data, size);
    }
    s[size] = '\0';
    return s;
}

uint8_t fuzz_u8(fuzz_reader *r)
{
    uint8_t v = 0;

    if (r->left > 0) {
        v = *r->p++;
        r->left--;
    }
    return v;
}

uint16_t fuzz_u16(fuzz_reader *r)
{
    uint16_t hi = fuzz_u8(r);

    return (uint16_t)(hi << 8 | fuzz_u8(r));
}

uint32_t fuzz_u32(fuzz_reader *r)
{
    uint32_t hi = fuzz_u16(r);

    return hi << 16 | fuzz_u16(r);
}

void fuzz_bytes(fuzz_reader *r, uint8_t *out, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++) {
        out[i] = fuzz_u8(r);
    }
}

char *fuzz_string(fuzz_reader *r, size_t max)
{
    size_t n = 0;
    char *s = NULL;

    while (n < r->left && n < max && r->p[n] != '\0') {
        n++;
    }
    s = fuzz_strdup(r->p, n);
    r->p += n;
    r->left -= n;
    /* Swallow the terminator so the next field starts after it. */
    if (r->left > 0 && *r->p == '\0') {
        r->p++;
        r->left--;
    }
    return s;
}

void fuzz_check_err(const char *what, const char *err, size_t errlen)
{
    FUZZ_CHECK(errlen == 0 || memchr(err, '\0', errlen) != NULL,
               "%s: error message not NUL-terminated within %zu bytes",
               what,
               errlen);
    FUZZ_CHECK(
        errlen < 2 || err[0] != '\0', "%s: failed with no message", what);
}

unsigned fuzz_family_bits(int family)
{
    return family == AF_INET ? 32 : 128;
}

fuzz_u128 fuzz_to_u128(const uint8_t *bytes, int family)
{
    unsigned n = fuzz_family_bits(family) / 8, i;
    fuzz_u128 v = 0;

    for (i = 0; i < n; i++) {
        v = v << 8 | bytes[i];
    }
    return v;
}

void fuzz_from_u128(fuzz_u128 v, int family, uint8_t *bytes)
{
    unsigned n = fuzz_family_bits(family) / 8, i;

    memset(bytes, 0, 16);
    for (i = n; i > 0; i--) {
        bytes[i - 1] = (uint8_t)v;
        v >>= 8;
    }
}

fuzz_u128 fuzz_low_mask(unsigned bits)
{
    if (bits >= 128) {
        return ~(fuzz_u128)0;
    }
    return ((fuzz_u128)1 << bits) - 1;
}

static unsigned floor_log2(fuzz_u128 v)
{
    uint64_t high = (uint64_t)(v >> 64);

    if (high != 0) {
        return 127 - (unsigned)__builtin_clzll(high);
    }
    return 63 - (unsigned)__builtin_clzll((uint64_t)v | 1);
}

/* The greedy decomposition: at each step the largest aligned block. */
size_t fuzz_range_prefixes(int family,
                           fuzz_u128 lo,
                           fuzz_u128 hi,
                           fuzz_u128 *start,
                           unsigned *len,
                           size_t max)
{
    unsigned bits = fuzz_family_bits(family);
    size_t n = 0;

    if (lo == 0 && hi == fuzz_low_mask(bits)) {
        start[0] = 0;
        len[0] = 0;
        return 1;
    }
    for (;;) {
        /* No block is larger than what is left: start the scan there
         * rather than at bits - 1 (hi - lo + 1 cannot wrap here, the whole
         * space was handled above). */
        unsigned k = floor_log2(hi - lo + 1);
        fuzz_u128 size;

        if (k > bits - 1) {
            k = bits - 1;
        }
        while (k > 0 &&
               ((lo & fuzz_low_mask(k)) != 0 || hi - lo < fuzz_low_mask(k))) {
            k--;
        }
        size = (fuzz_u128)1 << k;
        FUZZ_CHECK(n < max, "reference: more than %zu prefixes", max);
        start[n] = lo;
        len[n] = bits - k;
        n++;
        if (hi - lo == size - 1) {
            break;
        }
        lo += size;
    }
    return n;
}
