/*
 * fuzz_rcpt_domain.c - policy_rcpt_domain().
 *
 * The first byte picks the buffer size (1..256, allocated exactly so that
 * ASan sees any overrun), the rest is the recipient. Invariants: the result
 * is NULL, LD_RCPT_DOMAIN_TOOLONG or the buffer, NUL-terminated inside it,
 * non-empty, and text that follows an '@' in the recipient. A recipient
 * without '@' has no domain. The answer agrees with the one for a large
 * buffer: the same domain, or too long exactly when that domain does not
 * fit.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "policy.h"

#define BIG 8192

static void
check_domain(const char *rcpt, const char *got, const char *buf, size_t buflen)
{
    char *with_at = NULL;

    FUZZ_CHECK(got == buf,
               "\"%s\": result is neither the buffer nor "
               "LD_RCPT_DOMAIN_TOOLONG",
               rcpt);
    FUZZ_CHECK(memchr(buf, '\0', buflen) != NULL,
               "\"%s\": domain not terminated in %zu bytes",
               rcpt,
               buflen);
    FUZZ_CHECK(got[0] != '\0', "\"%s\": empty domain", rcpt);
    with_at = malloc(strlen(got) + 2);
    FUZZ_CHECK(with_at != NULL, "out of memory");
    with_at[0] = '@';
    strcpy(with_at + 1, got);
    FUZZ_CHECK(strstr(rcpt, with_at) != NULL,
               "\"%s\": domain \"%s\" does not follow an '@'",
               rcpt,
               got);
    free(with_at);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t buflen;
    char *rcpt = NULL, *buf = NULL, *big = NULL;
    const char *got = NULL, *ref = NULL;

    if (size < 1 || size > BIG - 1) {
        return 0;
    }
    buflen = (size_t)data[0] + 1;
    rcpt = fuzz_strdup(data + 1, size - 1);
    buf = malloc(buflen);
    big = malloc(BIG);
    FUZZ_CHECK(buf != NULL && big != NULL, "out of memory");
    got = policy_rcpt_domain(rcpt, buf, buflen);
    ref = policy_rcpt_domain(rcpt, big, BIG);
    FUZZ_CHECK(
        ref == NULL || ref == big, "\"%s\": too long for %d bytes", rcpt, BIG);
    if (ref == NULL) {
        FUZZ_CHECK(
            got == NULL, "\"%s\": domain only with a small buffer", rcpt);
        goto out;
    }
    check_domain(rcpt, ref, big, BIG);
    if (strlen(ref) >= buflen) {
        FUZZ_CHECK(got != NULL && strcmp(got, LD_RCPT_DOMAIN_TOOLONG) == 0,
                   "\"%s\": domain \"%s\" in %zu bytes gave \"%s\"",
                   rcpt,
                   ref,
                   buflen,
                   got != NULL ? got : "(null)");
    } else {
        FUZZ_CHECK(got == buf && strcmp(got, ref) == 0,
                   "\"%s\": domain \"%s\" in %zu bytes, \"%s\" in %d",
                   rcpt,
                   got != NULL ? got : "(null)",
                   buflen,
                   ref,
                   BIG);
        check_domain(rcpt, got, buf, buflen);
    }
out:
    free(big);
    free(buf);
    free(rcpt);
    return 0;
}
