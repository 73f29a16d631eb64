/*
 * fuzz_macro.c - the daemon's handling of MTA-supplied text (milter/macro.c):
 * missing and odd macros, as libmilter hands them over.
 *
 * The first byte picks the function and an output size, the rest is the
 * macro value (or NULL: "missing"). Output buffers are allocated to their
 * exact size so that ASan sees any overrun. Invariants:
 *  - macro_port_parse: OK exactly for 1..65535 in plain digits without a
 *    leading zero (checked against the number's own decimal text), with
 *    *port the value; MISSING exactly for NULL and ""; otherwise INVALID;
 *    *port is -1 whenever it is not OK (unknown: judged as locked).
 *  - macro_sanitize: "-" for NULL; only 0x21..0x7e; the value with other
 *    bytes replaced by '?', cut to MACRO_LOG_MAX and marked "...".
 *  - macro_sanitize_quoted: only 0x20..0x7e; '"' and '\' only escaped;
 *    unescaped it is the sanitised value.
 *  - macro_reply_escape: NULL (does not fit) or a text without control
 *    characters whose "%%" undo to the input's '%', others mapped to ' '.
 *  - macro_rcpt_domain: "" for the local mailer, otherwise exactly
 *    policy_rcpt_domain().
 *  - macro_verified_name: the name itself or NULL; NULL for an empty
 *    name, for Postfix's "unknown", and whenever {client_resolve} is
 *    there and not exactly "OK".
 *  - macro_tls_name: with {verify} present, {cn_subject} only when it is
 *    exactly "OK"; without, {cert_subject}; never an empty name.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "fuzz.h"
#include "macro.h"
#include "policy.h"

static void check_port(const char *text)
{
    int port = 12345;
    enum macro_port_status st = macro_port_parse(text, &port);
    size_t len = text != NULL ? strlen(text) : 0;
    bool digits = len > 0 && len <= 5 && strspn(text, "0123456789") == len &&
                  text[0] != '0';
    long v = digits ? strtol(text, NULL, 10) : 0;

    if (text == NULL || len == 0) {
        FUZZ_CHECK(st == MACRO_PORT_MISSING && port == -1,
                   "missing port: status %d port %d",
                   st,
                   port);
    } else if (digits && v >= 1 && v <= 65535) {
        FUZZ_CHECK(st == MACRO_PORT_OK && port == v,
                   "port \"%s\": status %d port %d",
                   text,
                   st,
                   port);
    } else {
        FUZZ_CHECK(st == MACRO_PORT_INVALID && port == -1,
                   "port \"%s\": status %d port %d, want invalid",
                   text,
                   st,
                   port);
    }
}

static char sanitized_byte(unsigned char c, bool quoted)
{
    if (c >= 0x21 && c <= 0x7e) {
        return (char)c;
    }
    return quoted && c == ' ' ? ' ' : '?';
}

/* The sanitised value before escaping: what both functions must show. */
static void expect_sanitized(
    const char *text, bool quoted, char *want, size_t *wantlen, bool *cut)
{
    size_t len = strlen(text), i;

    *cut = len > MACRO_LOG_MAX;
    if (*cut) {
        len = MACRO_LOG_MAX;
    }
    for (i = 0; i < len; i++) {
        want[i] = sanitized_byte((unsigned char)text[i], quoted);
    }
    want[len] = '\0';
    *wantlen = len;
}

static void check_sanitize(const char *text)
{
    char *out = malloc(MACRO_LOG_BUF);
    char want[MACRO_LOG_MAX + 1];
    const char *got = NULL;
    size_t wantlen, glen;
    bool cut;

    FUZZ_CHECK(out != NULL, "out of memory");
    got = macro_sanitize(text, out, MACRO_LOG_BUF);
    FUZZ_CHECK(got == out, "macro_sanitize did not return its buffer");
    if (text == NULL) {
        FUZZ_CHECK(strcmp(got, "-") == 0, "NULL sanitised as \"%s\"", got);
        goto out;
    }
    expect_sanitized(text, false, want, &wantlen, &cut);
    glen = strlen(got);
    FUZZ_CHECK(glen == wantlen + (cut ? 3 : 0) &&
                   memcmp(got, want, wantlen) == 0 &&
                   (!cut || strcmp(got + wantlen, "...") == 0),
               "sanitised \"%s\", want \"%s\"%s",
               got,
               want,
               cut ? "..." : "");
out:
    free(out);
}

static void check_sanitize_quoted(const char *text)
{
    char *out = malloc(MACRO_LOG_BUF);
    char want[MACRO_LOG_MAX + 1], plain[MACRO_LOG_BUF];
    const char *got = NULL, *p = NULL;
    size_t wantlen, n = 0;
    bool cut;

    FUZZ_CHECK(out != NULL, "out of memory");
    got = macro_sanitize_quoted(text, out, MACRO_LOG_BUF);
    FUZZ_CHECK(got == out, "macro_sanitize_quoted did not return its buffer");
    if (text == NULL) {
        goto out;
    }
    for (p = got; *p != '\0'; p++) {
        FUZZ_CHECK(
            *p >= 0x20 && *p <= 0x7e, "quoted: byte 0x%02x", (unsigned char)*p);
        FUZZ_CHECK(*p != '"', "quoted: bare '\"' in \"%s\"", got);
        if (*p == '\\') {
            p++;
            FUZZ_CHECK(
                *p == '"' || *p == '\\', "quoted: bad escape in \"%s\"", got);
        }
        plain[n++] = *p;
    }
    plain[n] = '\0';
    expect_sanitized(text, true, want, &wantlen, &cut);
    FUZZ_CHECK(n == wantlen + (cut ? 3 : 0) &&
                   memcmp(plain, want, wantlen) == 0 &&
                   (!cut || strcmp(plain + wantlen, "...") == 0),
               "quoted unescapes to \"%s\", want \"%s\"%s",
               plain,
               want,
               cut ? "..." : "");
out:
    free(out);
}

static void check_reply(const char *text, size_t outlen)
{
    char *out = malloc(outlen);
    const char *got = NULL, *p = NULL, *q = text;

    FUZZ_CHECK(out != NULL, "out of memory");
    got = macro_reply_escape(text, out, outlen);
    if (got == NULL || text == NULL) {
        goto out;
    }
    FUZZ_CHECK(got == out, "macro_reply_escape did not return its buffer");
    for (p = got; *p != '\0'; p++, q++) {
        unsigned char c = (unsigned char)*q;

        FUZZ_CHECK((unsigned char)*p >= 0x20 && *p != 0x7f,
                   "reply: control byte 0x%02x",
                   (unsigned char)*p);
        if (c == '%') {
            FUZZ_CHECK(p[0] == '%' && p[1] == '%', "reply: lone '%%'");
            p++;
        } else {
            FUZZ_CHECK(*p == ((c < 0x20 || c == 0x7f) ? ' ' : (char)c),
                       "reply: byte 0x%02x became 0x%02x",
                       c,
                       (unsigned char)*p);
        }
    }
    FUZZ_CHECK(*q == '\0', "reply: input cut short");
out:
    free(out);
}

static void check_rcpt(const char *rcpt, const char *mailer, size_t buflen)
{
    char *buf = malloc(buflen), *ref = malloc(buflen);
    const char *got = NULL, *want = NULL;

    FUZZ_CHECK(buf != NULL && ref != NULL, "out of memory");
    got = macro_rcpt_domain(rcpt, mailer, buf, buflen);
    if (mailer != NULL && strcasecmp(mailer, "local") == 0) {
        FUZZ_CHECK(got != NULL && got[0] == '\0',
                   "local mailer: domain \"%s\"",
                   got ? got : "(null)");
        goto out;
    }
    want = policy_rcpt_domain(rcpt, ref, buflen);
    FUZZ_CHECK((got == NULL) == (want == NULL) &&
                   (got == NULL || strcmp(got, want) == 0),
               "rcpt \"%s\" mailer \"%s\": \"%s\", policy says \"%s\"",
               rcpt ? rcpt : "(null)",
               mailer ? mailer : "(null)",
               got ? got : "(null)",
               want ? want : "(null)");
out:
    free(ref);
    free(buf);
}

static void check_names(const char *a, const char *b, const char *c)
{
    const char *got = macro_verified_name(a, b);
    bool verified = a != NULL && a[0] != '\0' &&
                    (b != NULL ? strcmp(b, "OK") == 0
                               : strcmp(a, "unknown") != 0);

    FUZZ_CHECK(got == (verified ? a : NULL),
               "macro_verified_name(\"%s\", \"%s\") gave %s",
               a != NULL ? a : "(null)",
               b != NULL ? b : "(null)",
               got != NULL ? got : "NULL");
    got = macro_tls_name(a, b, c);
    if (b != NULL) {
        const char *want =
            strcmp(b, "OK") == 0 && c != NULL && c[0] != '\0' ? c : NULL;

        FUZZ_CHECK(got == want, "macro_tls_name with {verify} \"%s\"", b);
    } else {
        FUZZ_CHECK(got == (a != NULL && a[0] != '\0' ? a : NULL),
                   "macro_tls_name without {verify}");
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_reader r = {data, size};
    uint8_t sel = fuzz_u8(&r);
    size_t outlen = (size_t)fuzz_u8(&r) * 4 + 1;
    char *text = NULL, *mailer = NULL, *third = NULL;

    if (size > 4096) {
        return 0;
    }
    /* Bit 7: a missing macro (NULL), as smfi_getsymval gives it. */
    if ((sel & 0x80) == 0) {
        text = fuzz_string(&r, 2048);
    }
    switch (sel & 7) {
    case 0:
        check_port(text);
        break;
    case 1:
        check_sanitize(text);
        break;
    case 2:
        check_sanitize_quoted(text);
        break;
    case 3:
        check_reply(text, outlen);
        break;
    case 4:
        /* Bit 6: a missing second macro ({client_resolve}, {verify}). */
        if ((sel & 0x40) == 0) {
            mailer = fuzz_string(&r, 32);
        }
        third = fuzz_string(&r, 512);
        check_names(text, mailer, third);
        break;
    default:
        if ((sel & 0x40) == 0) {
            mailer = fuzz_string(&r, 32);
        }
        check_rcpt(text, mailer, outlen);
        break;
    }
    free(third);
    free(mailer);
    free(text);
    return 0;
}
