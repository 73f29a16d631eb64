/*
 * fuzz.h - what every harness shares.
 *
 * Each harness is one file fuzz_<name>.c defining LLVMFuzzerTestOneInput().
 * It is linked either with libFuzzer (LOCKDOWN_FUZZ) or with replay.c, a
 * plain main() that feeds it files, so the committed corpus is replayed by
 * ctest in every build (label fuzz-regress).
 *
 * An invariant that does not hold calls fuzz_fail(), which prints what was
 * expected and aborts: libFuzzer records the input as a crash, the replay
 * test fails.
 */
#ifndef LOCKDOWN_FUZZ_H
#define LOCKDOWN_FUZZ_H

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

/* Print "fuzz: invariant failed: <msg>" and abort. */
void fuzz_fail(const char *fmt, ...)
    __attribute__((format(printf, 1, 2), noreturn));

#define FUZZ_CHECK(cond, ...)                                                  \
    do {                                                                       \
        if (!(cond)) {                                                         \
            fuzz_fail(__VA_ARGS__);                                            \
        }                                                                      \
    } while (0)

/* A NUL-terminated heap copy of the input (the parsers take strings). */
char *fuzz_strdup(const uint8_t *data, size_t size);

/* Reads fuzzer bytes as typed values; returns 0s once exhausted. */
typedef struct fuzz_reader {
    const uint8_t *p;
    size_t left;
} fuzz_reader;

uint8_t fuzz_u8(fuzz_reader *r);
uint16_t fuzz_u16(fuzz_reader *r);
uint32_t fuzz_u32(fuzz_reader *r);
void fuzz_bytes(fuzz_reader *r, uint8_t *out, size_t n);
/* A NUL-terminated string of at most max bytes, taken up to a 0 byte. */
char *fuzz_string(fuzz_reader *r, size_t max);

/*
 * Check that an error buffer holds a NUL-terminated, non-empty message
 * within errlen bytes.
 */
void fuzz_check_err(const char *what, const char *err, size_t errlen);

/*
 * Addresses as integers, for reference implementations that must not share
 * code with lib/: bytes[0..3] (IPv4) or bytes[0..15] (IPv6), big-endian.
 */
typedef unsigned __int128 fuzz_u128;

unsigned fuzz_family_bits(int family);
fuzz_u128 fuzz_to_u128(const uint8_t *bytes, int family);
void fuzz_from_u128(fuzz_u128 v, int family, uint8_t *bytes);
/* All ones in the low "bits" bits (bits 0..128). */
fuzz_u128 fuzz_low_mask(unsigned bits);

/*
 * The minimal prefixes covering lo..hi, greedily (largest aligned block
 * first): start[i]/len[i], at most max of them (at most 2 * bits - 2 are
 * ever needed). Returns how many.
 */
size_t fuzz_range_prefixes(int family,
                           fuzz_u128 lo,
                           fuzz_u128 hi,
                           fuzz_u128 *start,
                           unsigned *len,
                           size_t max);

/*
 * ASan's manual poisoning, for memory a harness keeps but the code under
 * test has freed: any use of it is then reported as if it were freed.
 * Nothing without ASan.
 */
#if defined(__SANITIZE_ADDRESS__)
#define FUZZ_HAVE_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define FUZZ_HAVE_ASAN 1
#endif
#endif
#ifdef FUZZ_HAVE_ASAN
#include <sanitizer/asan_interface.h>
#endif

static inline void fuzz_poison(const void *p, size_t n)
{
#ifdef FUZZ_HAVE_ASAN
    __asan_poison_memory_region(p, n);
#else
    (void)p;
    (void)n;
#endif
}

static inline void fuzz_unpoison(const void *p, size_t n)
{
#ifdef FUZZ_HAVE_ASAN
    __asan_unpoison_memory_region(p, n);
#else
    (void)p;
    (void)n;
#endif
}

/*
 * Oracle code is not the code under test: without coverage callbacks it
 * runs several times faster and does not steer the fuzzer toward the
 * harness's own branches. noinline keeps it out of instrumented callers.
 */
#if defined(__clang__)
#define FUZZ_ORACLE __attribute__((no_sanitize("coverage"), noinline))
#else
#define FUZZ_ORACLE
#endif

#endif
