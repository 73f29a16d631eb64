/*
 * test_macro.c - MTA-supplied text to daemon values: {daemon_port}, log
 * sanitizing, reply escaping and the relay domain. Table-driven, got/want.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "macro.h"
#include "policy.h"

static void test_port(void **state)
{
    static const struct {
        const char *text;
        enum macro_port_status status;
        int port;
    } cases[] = {
        {"25", MACRO_PORT_OK, 25},
        {"587", MACRO_PORT_OK, 587},
        {"1", MACRO_PORT_OK, 1},
        {"65535", MACRO_PORT_OK, 65535},
        {NULL, MACRO_PORT_MISSING, -1},
        {"", MACRO_PORT_MISSING, -1},
        {"0", MACRO_PORT_INVALID, -1},
        {"65536", MACRO_PORT_INVALID, -1},
        {"99999", MACRO_PORT_INVALID, -1},
        {"100000", MACRO_PORT_INVALID, -1},
        {"4294967321", MACRO_PORT_INVALID, -1}, /* 2^32 + 25 */
        {"025", MACRO_PORT_INVALID, -1},
        {"+25", MACRO_PORT_INVALID, -1},
        {"-25", MACRO_PORT_INVALID, -1},
        {" 25", MACRO_PORT_INVALID, -1},
        {"25 ", MACRO_PORT_INVALID, -1},
        {"25x", MACRO_PORT_INVALID, -1},
        {"0x19", MACRO_PORT_INVALID, -1},
        {"smtp", MACRO_PORT_INVALID, -1},
        {"2\n5", MACRO_PORT_INVALID, -1},
    };
    size_t i;
    int failures = 0;

    (void)state;
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        int port = 12345;
        enum macro_port_status st = macro_port_parse(cases[i].text, &port);

        if (st != cases[i].status || port != cases[i].port) {
            print_error("port \"%s\": got status %d port %d, want %d %d\n",
                        cases[i].text != NULL ? cases[i].text : "(null)",
                        st,
                        port,
                        cases[i].status,
                        cases[i].port);
            failures++;
        }
    }
    assert_int_equal(failures, 0);
}

static void test_sanitize(void **state)
{
    static const struct {
        const char *text;
        const char *plain;
        const char *quoted;
    } cases[] = {
        {"mx1.example.com", "mx1.example.com", "mx1.example.com"},
        {NULL, "-", "-"},
        {"", "", ""},
        {"a b", "a?b", "a b"},
        {"evil\r\nstage=connect verdict=accept",
         "evil??stage=connect?verdict=accept",
         "evil??stage=connect verdict=accept"},
        {"say \"hi\" \\o/", "say?\"hi\"?\\o/", "say \\\"hi\\\" \\\\o/"},
        {"caf\xc3\xa9\x7f\x01", "caf????", "caf????"},
    };
    size_t i;
    int failures = 0;

    (void)state;
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char out[MACRO_LOG_BUF];

        macro_sanitize(cases[i].text, out, sizeof(out));
        if (strcmp(out, cases[i].plain) != 0) {
            print_error("sanitize case %zu: got \"%s\", want \"%s\"\n",
                        i,
                        out,
                        cases[i].plain);
            failures++;
        }
        macro_sanitize_quoted(cases[i].text, out, sizeof(out));
        if (strcmp(out, cases[i].quoted) != 0) {
            print_error("quoted case %zu: got \"%s\", want \"%s\"\n",
                        i,
                        out,
                        cases[i].quoted);
            failures++;
        }
    }
    assert_int_equal(failures, 0);
}

/* Long values are cut at MACRO_LOG_MAX and marked, quoted ones too even
 * when every byte doubles. */
static void test_sanitize_bounds(void **state)
{
    char in[4 * MACRO_LOG_MAX];
    char out[MACRO_LOG_BUF];
    char small[8];

    (void)state;
    memset(in, 'a', sizeof(in) - 1);
    in[sizeof(in) - 1] = '\0';
    macro_sanitize(in, out, sizeof(out));
    assert_int_equal(strlen(out), MACRO_LOG_MAX + 3);
    assert_string_equal(out + MACRO_LOG_MAX, "...");

    memset(in, '"', sizeof(in) - 1);
    macro_sanitize_quoted(in, out, sizeof(out));
    assert_int_equal(strlen(out), 2 * MACRO_LOG_MAX + 3);
    assert_string_equal(out + 2 * MACRO_LOG_MAX, "...");

    /* A buffer too small for the value still ends terminated. */
    macro_sanitize("abcdefghijkl", small, sizeof(small));
    assert_true(strlen(small) < sizeof(small));
    assert_null(macro_sanitize("x", NULL, 0));
}

static void test_reply_escape(void **state)
{
    static const struct {
        const char *text;
        const char *want;
    } cases[] = {
        {"Mail must arrive through the filtering service",
         "Mail must arrive through the filtering service"},
        {"100% spam-free", "100%% spam-free"},
        {"%s%n", "%%s%%n"},
        {"line\r\nbreak", "line  break"},
        {"tab\there", "tab here"},
        {"", ""},
    };
    size_t i;
    int failures = 0;
    char out[128];
    char small[6];

    (void)state;
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const char *got = macro_reply_escape(cases[i].text, out, sizeof(out));

        if (got == NULL || strcmp(got, cases[i].want) != 0) {
            print_error("reply \"%s\": got \"%s\", want \"%s\"\n",
                        cases[i].text,
                        got != NULL ? got : "(null)",
                        cases[i].want);
            failures++;
        }
    }
    assert_int_equal(failures, 0);
    assert_null(macro_reply_escape("123456", small, sizeof(small)));
    assert_null(macro_reply_escape("1234%", small, sizeof(small)));
    assert_non_null(macro_reply_escape("12345", small, sizeof(small)));
    assert_null(macro_reply_escape(NULL, out, sizeof(out)));
}

static void test_rcpt_domain(void **state)
{
    static const struct {
        const char *rcpt;
        const char *mailer;
        const char *want; /* NULL: no domain */
    } cases[] = {
        {"<bob@Example.COM>", "esmtp", "Example.COM"},
        {"<bob@example.com>", NULL, "example.com"},
        {"bob@example.com", "smtp", "example.com"},
        /* delivered here by the MTA: never relaying, whatever the domain */
        {"<root@mta.example.test>", "local", ""},
        {"<root@elsewhere.example.org>", "LOCAL", ""},
        {"<postmaster>", "esmtp", NULL},
        {"<>", "esmtp", NULL},
        /* the next hop ({rcpt_host}) is not looked at: a relayhost for a
         * local domain must not make it remote, nor the reverse */
        {"<a@elsewhere.example.org>", "relay", "elsewhere.example.org"},
        {"<@hop.example.com:a@elsewhere.example.org>",
         "esmtp",
         "elsewhere.example.org"},
        {"<\"a@example.com\"@elsewhere.example.org>",
         "esmtp",
         "elsewhere.example.org"},
        {NULL, "esmtp", NULL},
    };
    size_t i;
    int failures = 0;

    (void)state;
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char buf[256];
        const char *got =
            macro_rcpt_domain(cases[i].rcpt, cases[i].mailer, buf, sizeof(buf));

        if ((got == NULL) != (cases[i].want == NULL) ||
            (got != NULL && strcmp(got, cases[i].want) != 0)) {
            print_error("rcpt \"%s\" mailer %s: got %s%s%s, want %s%s%s\n",
                        cases[i].rcpt != NULL ? cases[i].rcpt : "(null)",
                        cases[i].mailer != NULL ? cases[i].mailer : "(null)",
                        got != NULL ? "\"" : "",
                        got != NULL ? got : "NULL",
                        got != NULL ? "\"" : "",
                        cases[i].want != NULL ? "\"" : "",
                        cases[i].want != NULL ? cases[i].want : "NULL",
                        cases[i].want != NULL ? "\"" : "");
            failures++;
        }
    }
    assert_int_equal(failures, 0);
}

/* Which {client_name} counts as verified, with and without Sendmail's
 * {client_resolve}. */
static void test_verified_name(void **state)
{
    static const struct {
        const char *name;
        const char *resolve; /* NULL: not sent (Postfix) */
        const char *want;    /* NULL: no verified name */
    } cases[] = {
        {"mx1.mailroute.net", NULL, "mx1.mailroute.net"},
        {"unknown", NULL, NULL},
        {"", NULL, NULL},
        {NULL, NULL, NULL},
        {"[192.0.2.1]", NULL, "[192.0.2.1]"}, /* matches no pattern later */
        {"mx1.mailroute.net", "OK", "mx1.mailroute.net"},
        {"mx1.mailroute.net", "FORGED", NULL},
        {"mx1.mailroute.net", "FAIL", NULL},
        {"mx1.mailroute.net", "TEMP", NULL},
        {"mx1.mailroute.net", "", NULL},
        {"mx1.mailroute.net", "ok", NULL},
        {"unknown", "OK", "unknown"}, /* matches no pattern later */
        {NULL, "OK", NULL},
    };
    size_t i;
    int failures = 0;

    (void)state;
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const char *got =
            macro_verified_name(cases[i].name, cases[i].resolve);

        if ((got == NULL) != (cases[i].want == NULL) ||
            (got != NULL && strcmp(got, cases[i].want) != 0)) {
            print_error("name %s resolve %s: got %s, want %s\n",
                        cases[i].name != NULL ? cases[i].name : "(null)",
                        cases[i].resolve != NULL ? cases[i].resolve
                                                 : "(null)",
                        got != NULL ? got : "NULL",
                        cases[i].want != NULL ? cases[i].want : "NULL");
            failures++;
        }
    }
    assert_int_equal(failures, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_port),
        cmocka_unit_test(test_sanitize),
        cmocka_unit_test(test_sanitize_bounds),
        cmocka_unit_test(test_reply_escape),
        cmocka_unit_test(test_rcpt_domain),
        cmocka_unit_test(test_verified_name),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
