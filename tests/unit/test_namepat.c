/*
 * test_namepat.c - host name patterns and reported names: every accepted
 * form, every refusal, and the matches, table-driven with got/want
 * messages.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "addr.h"
#include "namepat.h"

static void test_namepat_parse(void **state)
{
    static const struct {
        const char *text;
        int want_rc;
        const char *want_name; /* stored form, or the error's key words */
        bool wildcard;
    } rows[] = {
        /* clang-format off */
        {"mx1.example.net", 0, "mx1.example.net", false},
        {"MX1.Example.NET", 0, "mx1.example.net", false},
        {"mx1.example.net.", 0, "mx1.example.net", false},
        {"*.mailroute.net", 0, "mailroute.net", true},
        {"*.MailRoute.Net.", 0, "mailroute.net", true},
        {"*.a.b.c.example", 0, "a.b.c.example", true},
        {"x-1.example-2.net", 0, "x-1.example-2.net", false},
        {"123.example.net", 0, "123.example.net", false},
        {"", -1, "empty", false},
        {"*", -1, "whole first label", false},
        {"*.", -1, "no name", false},
        {"*.net", -1, "top-level", false},
        {"*.net.", -1, "top-level", false},
        {"localhost", -1, "single label", false},
        {"unknown", -1, "single label", false},
        {"*example.net", -1, "whole first label", false},
        {"mx*.example.net", -1, "only as the whole first label", false},
        {"*.*.example.net", -1, "only as the whole first label", false},
        {"mx1..example.net", -1, "empty label", false},
        {".example.net", -1, "empty label", false},
        {"example.net..", -1, "empty label", false},
        {"-mx.example.net", -1, "starts with '-'", false},
        {"mx-.example.net", -1, "ends with '-'", false},
        {"mx.example-", -1, "ends with '-'", false},
        {"mx_1.example.net", -1, "only letters", false},
        {"mx 1.example.net", -1, "only letters", false},
        {"[192.0.2.1]", -1, "only letters", false},
        {"m\xc3\xa9l.example.net", -1, "only letters", false},
        /* the text is quoted as every config message quotes it */
        {"mx\x1b[31m.example.net", -1, "\"mx\\x1b[31m.example.net\"", false},
        {"a234567890123456789012345678901234567890123456789012345678901234"
         ".example.net", -1, "longer than 63", false},
        /* clang-format on */
    };
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        namepat p;
        char err[LD_ERRLEN] = "";
        int rc;

        memset(&p, 0x5a, sizeof(p));
        rc = namepat_parse(rows[i].text, &p, err, sizeof(err));
        if (rc != rows[i].want_rc) {
            fail_msg("\"%s\": got rc %d (%s), want %d",
                     rows[i].text,
                     rc,
                     err,
                     rows[i].want_rc);
        }
        if (rc == 0 && (strcmp(p.name, rows[i].want_name) != 0 ||
                        p.len != strlen(rows[i].want_name) ||
                        p.wildcard != rows[i].wildcard)) {
            fail_msg("\"%s\": got \"%s\" len %zu wildcard %d, want \"%s\" "
                     "wildcard %d",
                     rows[i].text,
                     p.name,
                     p.len,
                     p.wildcard,
                     rows[i].want_name,
                     rows[i].wildcard);
        }
        if (rc != 0 && strstr(err, rows[i].want_name) == NULL) {
            fail_msg("\"%s\": error \"%s\" lacks \"%s\"",
                     rows[i].text,
                     err,
                     rows[i].want_name);
        }
    }
}

/* Lengths at the limits, built rather than written out. */
static void test_namepat_lengths(void **state)
{
    char name[512];
    char buf[NAMEPAT_MAX + 1];
    char err[LD_ERRLEN];
    namepat p;
    size_t n;

    (void)state;
    /* 63 + 1 + 63 + 1 + 63 + 1 + 61 = 253 octets */
    memset(name, 'a', 253);
    name[63] = name[127] = name[191] = '.';
    name[253] = '\0';
    if (namepat_parse(name, &p, err, sizeof(err)) != 0 || p.len != 253) {
        fail_msg("253 octets: %s", err);
    }
    if (namepat_name(name, buf, sizeof(buf)) != 253) {
        fail_msg("253 octets: not a name");
    }
    name[253] = '.';
    name[254] = '\0';
    if (namepat_name(name, buf, sizeof(buf)) != 253) {
        fail_msg("253 octets and a trailing dot: not a name");
    }
    name[253] = 'a';
    if (namepat_parse(name, &p, err, sizeof(err)) == 0 ||
        strstr(err, "longer than 253") == NULL) {
        fail_msg("254 octets: got \"%s\", want longer than 253", err);
    }
    if (namepat_name(name, buf, sizeof(buf)) != -1) {
        fail_msg("254 octets is a name");
    }
    for (n = 255; n < sizeof(name) - 1; n++) {
        memset(name, 'b', n);
        name[60] = '.';
        name[120] = '.';
        name[180] = '.';
        name[240] = '.';
        name[300 < n ? 300 : n - 2] = '.';
        name[n] = '\0';
        if (namepat_name(name, buf, sizeof(buf)) != -1) {
            fail_msg("%zu octets is a name", n);
        }
    }
    /* A buffer too small is no name, never an overrun. */
    if (namepat_name("mx1.example.net", buf, 5) != -1) {
        fail_msg("a name longer than the buffer was accepted");
    }
}

static void test_namepat_match(void **state)
{
    static const struct {
        const char *pattern;
        const char *name;
        bool want;
    } rows[] = {
        /* clang-format off */
        {"*.mailroute.net", "mx1.mailroute.net", true},
        {"*.mailroute.net", "a.b.mailroute.net", true},
        {"*.mailroute.net", "MX1.MailRoute.NET", true},
        {"*.mailroute.net", "mx1.mailroute.net.", true},
        {"*.mailroute.net.", "mx1.mailroute.net", true},
        {"*.mailroute.net", "mailroute.net", false},
        {"*.mailroute.net", "mailroute.net.", false},
        {"*.mailroute.net", "evilmailroute.net", false},
        {"*.mailroute.net", "mx1.mailroute.net.evil.example", false},
        {"*.mailroute.net", "mx1.mailroute.network", false},
        {"*.mailroute.net", ".mailroute.net", false},
        {"*.mailroute.net", "unknown", false},
        {"*.mailroute.net", "", false},
        {"*.mailroute.net", "[192.0.2.1]", false},
        {"*.mailroute.net", "m\xc3\xa9.mailroute.net", false},
        {"*.mailroute.net", "mx1..mailroute.net", false},
        {"*.mailroute.net", "mx_1.mailroute.net", false},
        {"mx1.example.net", "mx1.example.net", true},
        {"mx1.example.net", "MX1.EXAMPLE.NET.", true},
        {"mx1.example.net", "a.mx1.example.net", false},
        {"mx1.example.net", "example.net", false},
        {"mx1.example.net", "mx1.example.ne", false},
        {"mx1.example.net", "mx1.example.net..", false},
        /* clang-format on */
    };
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        namepat p;
        char err[LD_ERRLEN];
        char buf[NAMEPAT_MAX + 1];
        int len;
        bool got = false;

        if (namepat_parse(rows[i].pattern, &p, err, sizeof(err)) != 0) {
            fail_msg("pattern \"%s\": %s", rows[i].pattern, err);
        }
        len = namepat_name(rows[i].name, buf, sizeof(buf));
        got = len >= 0 && namepat_match(&p, buf, (size_t)len);
        if (got != rows[i].want) {
            fail_msg("\"%s\" against \"%s\": got %d, want %d",
                     rows[i].name,
                     rows[i].pattern,
                     got,
                     rows[i].want);
        }
    }
    if (namepat_name(NULL, NULL, 0) != -1 || namepat_match(NULL, "a.b", 3) ||
        namepat_name(NULL, (char[4]){0}, 4) != -1) {
        fail_msg("NULL arguments must match nothing");
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_namepat_parse),
        cmocka_unit_test(test_namepat_lengths),
        cmocka_unit_test(test_namepat_match),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
