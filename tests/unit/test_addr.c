/*
 * test_addr.c - address and range parsing, normalisation, prefix splits.
 *
 * Table-driven: every row states the input and what it must give; a
 * mismatch prints the input with got/want, and all rows run before the
 * test fails so one run shows every broken row.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>

#include "addr.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* ---- accepted notations ---------------------------------------------- */

struct accept_row {
    const char *in;
    int family;
    const char *lo;
    const char *hi;
};

static const struct accept_row accept_rows[] = {
    /* CIDR */
    {"199.89.0.0/21", AF_INET, "199.89.0.0", "199.89.7.255"},
    {"208.123.79.0/24", AF_INET, "208.123.79.0", "208.123.79.255"},
    {"64.18.0.0/20", AF_INET, "64.18.0.0", "64.18.15.255"},
    {"0.0.0.0/0", AF_INET, "0.0.0.0", "255.255.255.255"},
    {"10.0.0.0/8", AF_INET, "10.0.0.0", "10.255.255.255"},
    {"10.1.2.3/32", AF_INET, "10.1.2.3", "10.1.2.3"},
    {"128.0.0.0/1", AF_INET, "128.0.0.0", "255.255.255.255"},
    {"192.168.10.0/31", AF_INET, "192.168.10.0", "192.168.10.1"},
    {"2a01:111:f400::/48",
     AF_INET6,
     "2a01:111:f400::",
     "2a01:111:f400:ffff:ffff:ffff:ffff:ffff"},
    {"::/0", AF_INET6, "::", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"},
    {"64:ff9b::/96", AF_INET6, "64:ff9b::", "64:ff9b::ffff:ffff"},
    {"2002::/16",
     AF_INET6,
     "2002::",
     "2002:ffff:ffff:ffff:ffff:ffff:ffff:ffff"},
    {"2001:db8::/64", AF_INET6, "2001:db8::", "2001:db8::ffff:ffff:ffff:ffff"},
    {"2001:db8::/65", AF_INET6, "2001:db8::", "2001:db8::7fff:ffff:ffff:ffff"},
    {"2001:db8::1/128", AF_INET6, "2001:db8::1", "2001:db8::1"},
    {"2001:DB8::/32",
     AF_INET6,
     "2001:db8::",
     "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff"},
    {"::/128", AF_INET6, "::", "::"},
    /* netmask */
    {"199.89.0.0/255.255.248.0", AF_INET, "199.89.0.0", "199.89.7.255"},
    {"208.123.79.0/255.255.255.0", AF_INET, "208.123.79.0", "208.123.79.255"},
    {"64.18.0.0/255.255.240.0", AF_INET, "64.18.0.0", "64.18.15.255"},
    {"0.0.0.0/0.0.0.0", AF_INET, "0.0.0.0", "255.255.255.255"},
    {"10.1.2.3/255.255.255.255", AF_INET, "10.1.2.3", "10.1.2.3"},
    {"128.0.0.0/128.0.0.0", AF_INET, "128.0.0.0", "255.255.255.255"},
    /* range */
    {"199.89.0.0-199.89.7.255", AF_INET, "199.89.0.0", "199.89.7.255"},
    {"199.89.0.0 - 199.89.7.255", AF_INET, "199.89.0.0", "199.89.7.255"},
    {"199.89.0.0\t-\t199.89.7.255", AF_INET, "199.89.0.0", "199.89.7.255"},
    {"199.89.0.0 -199.89.7.255", AF_INET, "199.89.0.0", "199.89.7.255"},
    {"0.0.0.0-255.255.255.255", AF_INET, "0.0.0.0", "255.255.255.255"},
    {"10.0.0.1-10.0.0.6", AF_INET, "10.0.0.1", "10.0.0.6"},
    {"10.0.0.5-10.0.0.5", AF_INET, "10.0.0.5", "10.0.0.5"},
    {"2001:db8::-2001:db8::ff", AF_INET6, "2001:db8::", "2001:db8::ff"},
    {"::-ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
     AF_INET6,
     "::",
     "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"},
    /* bare */
    {"83.245.15.239", AF_INET, "83.245.15.239", "83.245.15.239"},
    {"0.0.0.0", AF_INET, "0.0.0.0", "0.0.0.0"},
    {"255.255.255.255", AF_INET, "255.255.255.255", "255.255.255.255"},
    {"::1", AF_INET6, "::1", "::1"},
    {"::", AF_INET6, "::", "::"},
    /* IPv4-compatible, NAT64 and 6to4 stay IPv6 */
    {"::1.2.3.4", AF_INET6, "::102:304", "::102:304"},
    {"64:ff9b::1.2.3.4", AF_INET6, "64:ff9b::102:304", "64:ff9b::102:304"},
    {"2002:102:304::1", AF_INET6, "2002:102:304::1", "2002:102:304::1"},
};

static void test_accept(void **state)
{
    size_t i;
    int failures = 0;

    (void)state;
    for (i = 0; i < NELEM(accept_rows); i++) {
        const struct accept_row *row = &accept_rows[i];
        ld_range r;
        char err[LD_ERRLEN] = "";
        uint8_t lo[16] = {0};
        uint8_t hi[16] = {0};
        char glo[INET6_ADDRSTRLEN] = "";
        char ghi[INET6_ADDRSTRLEN] = "";

        memset(&r, 0xa5, sizeof(r));
        if (range_parse(row->in, &r, err, sizeof(err)) != 0) {
            print_error("range_parse(\"%s\"): got error \"%s\", want %s-%s\n",
                        row->in,
                        err,
                        row->lo,
                        row->hi);
            failures++;
            continue;
        }
        assert_int_equal(inet_pton(row->family, row->lo, lo), 1);
        assert_int_equal(inet_pton(row->family, row->hi, hi), 1);
        inet_ntop(
            r.family == AF_INET ? AF_INET : AF_INET6, r.lo, glo, sizeof(glo));
        inet_ntop(
            r.family == AF_INET ? AF_INET : AF_INET6, r.hi, ghi, sizeof(ghi));
        if (r.family != row->family || memcmp(r.lo, lo, 16) != 0 ||
            memcmp(r.hi, hi, 16) != 0) {
            print_error("range_parse(\"%s\"): got family %d %s-%s, want "
                        "family %d %s-%s\n",
                        row->in,
                        r.family,
                        glo,
                        ghi,
                        row->family,
                        row->lo,
                        row->hi);
            failures++;
        }
    }
    assert_int_equal(failures, 0);
}

/* Bare addresses through addr_parse(): family and canonical text. */
struct addr_row {
    const char *in;
    int family;
    const char *want;
};

static const struct addr_row addr_rows[] = {
    {"83.245.15.239", AF_INET, "83.245.15.239"},
    {"0.0.0.0", AF_INET, "0.0.0.0"},
    {"1.2.3.4", AF_INET, "1.2.3.4"},
    {"100.200.250.255", AF_INET, "100.200.250.255"},
    {"::1", AF_INET6, "::1"},
    {"2A01:111:F400::1", AF_INET6, "2a01:111:f400::1"},
    {"0001:0db8:0000::0001", AF_INET6, "1:db8::1"},
    {"::1.2.3.4", AF_INET6, "::1.2.3.4"}, /* glibc prints the compat form */
    {"64:ff9b::1.2.3.4", AF_INET6, "64:ff9b::102:304"},
    {"::ffff:0:1.2.3.4", AF_INET6, "::ffff:0:102:304"},
};

static void test_addr_parse_ok(void **state)
{
    size_t i;
    int failures = 0;

    (void)state;
    for (i = 0; i < NELEM(addr_rows); i++) {
        const struct addr_row *row = &addr_rows[i];
        ld_addr a;
        char err[LD_ERRLEN] = "";
        char got[LD_ADDRSTRLEN] = "";
        size_t k;
        bool clean = true;

        if (addr_parse(row->in, &a, err, sizeof(err)) != 0) {
            print_error("addr_parse(\"%s\"): got error \"%s\", want %s\n",
                        row->in,
                        err,
                        row->want);
            failures++;
            continue;
        }
        addr_format(&a, got, sizeof(got));
        for (k = 4; a.family == AF_INET && k < 16; k++) {
            clean = clean && a.bytes[k] == 0;
        }
        if (a.family != row->family || strcmp(got, row->want) != 0 || !clean) {
            print_error("addr_parse(\"%s\"): got family %d \"%s\"%s, want "
                        "family %d \"%s\"\n",
                        row->in,
                        a.family,
                        got,
                        clean ? "" : " (bytes 4..15 not zero)",
                        row->family,
                        row->want);
            failures++;
        }
    }
    assert_int_equal(failures, 0);
}

/* ---- refusals, with their exact messages ------------------------------- */

struct refuse_row {
    const char *in;
    const char *msg;
};

static const struct refuse_row range_refusals[] = {
    /* host bits */
    {"199.89.0.1/21",
     "\"199.89.0.1/21\": host bits set, did you mean "
     "\"199.89.0.0/21\"?"},
    {"199.89.7.255/21",
     "\"199.89.7.255/21\": host bits set, did you mean "
     "\"199.89.0.0/21\"?"},
    {"10.0.0.1/0",
     "\"10.0.0.1/0\": host bits set, did you mean "
     "\"0.0.0.0/0\"?"},
    {"199.89.0.1/255.255.248.0",
     "\"199.89.0.1/255.255.248.0\": host bits set, did you mean "
     "\"199.89.0.0/255.255.248.0\"?"},
    {"2a01:111:f400::1/48",
     "\"2a01:111:f400::1/48\": host bits set, did you "
     "mean \"2a01:111:f400::/48\"?"},
    {"2001:db8::8000:0:0:0/64",
     "\"2001:db8::8000:0:0:0/64\": host bits set, "
     "did you mean \"2001:db8::/64\"?"},
    /* prefix length */
    {"10.0.0.0/33",
     "\"10.0.0.0/33\": prefix length \"33\" is out of range, "
     "IPv4 allows 0-32"},
    {"10.0.0.0/4294967296",
     "\"10.0.0.0/4294967296\": prefix length "
     "\"4294967296\" is out of range, IPv4 allows 0-32"},
    {"2001:db8::/129",
     "\"2001:db8::/129\": prefix length \"129\" is out of "
     "range, IPv6 allows 0-128"},
    {"10.0.0.0/", "\"10.0.0.0/\": missing prefix length after '/'"},
    {"10.0.0.0/x", "\"10.0.0.0/x\": prefix length \"x\" is not a number"},
    {"10.0.0.0/-8",
     "\"10.0.0.0/-8\": '/' and '-' cannot be combined, write "
     "a prefix or a range"},
    {"10.0.0.0/+8", "\"10.0.0.0/+8\": prefix length \"+8\" is not a number"},
    {"10.0.0.0/8x", "\"10.0.0.0/8x\": prefix length \"8x\" is not a number"},
    {"10.0.0.0/8/8",
     "\"10.0.0.0/8/8\": prefix length \"8/8\" is not a "
     "number"},
    {"10.0.0.0/08",
     "\"10.0.0.0/08\": leading zero in prefix length \"08\", "
     "write \"/8\""},
    {"0.0.0.0/00",
     "\"0.0.0.0/00\": leading zero in prefix length \"00\", "
     "write \"/0\""},
    {"/8", "\"/8\": missing address before '/'"},
    /* netmask */
    {"10.0.0.0/255.0.255.0",
     "\"10.0.0.0/255.0.255.0\": non-contiguous "
     "netmask \"255.0.255.0\", the mask must be ones "
     "followed by zeros"},
    {"10.0.0.0/0.0.0.255",
     "\"10.0.0.0/0.0.0.255\": non-contiguous netmask "
     "\"0.0.0.255\", the mask must be ones followed by "
     "zeros"},
    {"10.0.0.0/255.255.0",
     "\"255.255.0\" in \"10.0.0.0/255.255.0\": short "
     "form, write all four parts (a.b.c.d)"},
    {"10.0.0.0/255.255.255.0 ",
     "\"10.0.0.0/255.255.255.0 \": leading or "
     "trailing white space, write "
     "\"10.0.0.0/255.255.255.0\""},
    {"2001:db8::/ffff:ffff::",
     "\"2001:db8::/ffff:ffff::\": netmask "
     "notation is for IPv4 only, write a prefix "
     "length"},
    {"10.0.0.0/ffff::",
     "\"10.0.0.0/ffff::\": netmask notation is for IPv4 "
     "only, write a prefix length"},
    /* ranges */
    {"10.0.0.9-10.0.0.1",
     "\"10.0.0.9-10.0.0.1\": reversed range, did you "
     "mean \"10.0.0.1-10.0.0.9\"?"},
    {"2001:db8::2-2001:db8::1",
     "\"2001:db8::2-2001:db8::1\": reversed "
     "range, did you mean "
     "\"2001:db8::1-2001:db8::2\"?"},
    {"10.0.0.1-::1", "\"10.0.0.1-::1\": range mixes IPv4 and IPv6"},
    {"::1-10.0.0.1", "\"::1-10.0.0.1\": range mixes IPv4 and IPv6"},
    {"10.0.0.1-10.0.0.2-10.0.0.3",
     "\"10.0.0.1-10.0.0.2-10.0.0.3\": more "
     "than one '-' in range"},
    {"10.0.0.1-", "\"10.0.0.1-\": missing address after '-'"},
    {"-10.0.0.1", "\"-10.0.0.1\": missing address before '-'"},
    {"10.0.0.1 -  ",
     "\"10.0.0.1 -  \": leading or trailing white space, "
     "write \"10.0.0.1 -\""},
    {"010.0.0.1-10.0.0.5",
     "\"010.0.0.1\" in \"010.0.0.1-10.0.0.5\": leading "
     "zero in \"010\" (octal is not allowed), write it "
     "in decimal without leading zeros"},
    {"10.0.0.1-10.0.5",
     "\"10.0.5\" in \"10.0.0.1-10.0.5\": short form, "
     "write all four parts (a.b.c.d)"},
    {"199.89.0.0 through 199.89.7.255",
     "\"199.89.0.0 through 199.89.7.255\": white space inside an address, "
     "remove it"},
    {"::ffff:1.2.3.4-::ffff:1.2.3.9",
     "\"::ffff:1.2.3.4\" in \"::ffff:1.2.3.4-::ffff:1.2.3.9\": IPv4-mapped "
     "IPv6 address, write the IPv4 address \"1.2.3.4\""},
    /* address rules reached through the CIDR form */
    {"010.1.1.0/24",
     "\"010.1.1.0\" in \"010.1.1.0/24\": leading zero in "
     "\"010\" (octal is not allowed), write it in decimal "
     "without leading zeros"},
    {"10.0.0.0 /24",
     "\"10.0.0.0 \" in \"10.0.0.0 /24\": white space inside "
     "an address, remove it"},
    {"10.0.0.0/ 24",
     "\"10.0.0.0/ 24\": white space inside an address, "
     "remove it"},
    {"::ffff:1.2.3.0/120",
     "\"::ffff:1.2.3.0\" in \"::ffff:1.2.3.0/120\": "
     "IPv4-mapped IPv6 address, write the IPv4 "
     "address \"1.2.3.0\""},
    {"fe80::%eth0/64",
     "\"fe80::%eth0\" in \"fe80::%eth0/64\": zone id "
     "\"%eth0\" is not allowed, write \"fe80::\""},
    /* plain */
    {"", "\"\": empty address"},
    {" ", "\" \": empty address"},
    {" 10.0.0.1",
     "\" 10.0.0.1\": leading or trailing white space, write "
     "\"10.0.0.1\""},
    {"10.0.0.1\n",
     "\"10.0.0.1\\n\": leading or trailing white space, write "
     "\"10.0.0.1\""},
    {"10.0.0.1\t",
     "\"10.0.0.1\\t\": leading or trailing white space, write "
     "\"10.0.0.1\""},
    {"10.0. 0.1", "\"10.0. 0.1\": white space inside an address, remove it"},
};

static const struct refuse_row addr_refusals[] = {
    {"", "\"\": empty address"},
    {"\t", "\"\\t\": empty address"},
    /* octal / leading zeros */
    {"010.1.1.1",
     "\"010.1.1.1\": leading zero in \"010\" (octal is not "
     "allowed), write it in decimal without leading zeros"},
    {"10.01.1.1",
     "\"10.01.1.1\": leading zero in \"01\" (octal is not "
     "allowed), write it in decimal without leading zeros"},
    {"1.1.1.00",
     "\"1.1.1.00\": leading zero in \"00\" (octal is not "
     "allowed), write it in decimal without leading zeros"},
    {"0127.0.0.1",
     "\"0127.0.0.1\": leading zero in \"0127\" (octal is not "
     "allowed), write it in decimal without leading zeros"},
    /* hex */
    {"0x7f.1.1.1",
     "\"0x7f.1.1.1\": hex \"0x7f\" is not allowed, write the "
     "address as four decimal numbers (a.b.c.d)"},
    {"0X7F000001",
     "\"0X7F000001\": hex \"0X7F000001\" is not allowed, write "
     "the address as four decimal numbers (a.b.c.d)"},
    {"1.2.3.0xff",
     "\"1.2.3.0xff\": hex \"0xff\" is not allowed, write the "
     "address as four decimal numbers (a.b.c.d)"},
    {"7f.0.0.1", "\"7f.0.0.1\": not an IP address (hex digit 'f')"},
    /* short forms */
    {"1.2.3", "\"1.2.3\": short form, write all four parts (a.b.c.d)"},
    {"127.1", "\"127.1\": short form, write all four parts (a.b.c.d)"},
    {"2130706433", "\"2130706433\": \"2130706433\" is greater than 255"},
    {"10", "\"10\": short form, write all four parts (a.b.c.d)"},
    {"1.2.3.4.5",
     "\"1.2.3.4.5\": too many parts, an IPv4 address has four "
     "(a.b.c.d)"},
    {"1..2.3", "\"1..2.3\": empty part in IPv4 address"},
    {".1.2.3", "\".1.2.3\": empty part in IPv4 address"},
    {"1.2.3.4.", "\"1.2.3.4.\": empty part in IPv4 address"},
    {"256.1.1.1", "\"256.1.1.1\": \"256\" is greater than 255"},
    {"1.1.1.1000", "\"1.1.1.1000\": \"1000\" is greater than 255"},
    /* zone ids, brackets */
    {"fe80::1%eth0",
     "\"fe80::1%eth0\": zone id \"%eth0\" is not allowed, "
     "write \"fe80::1\""},
    {"fe80::1%1",
     "\"fe80::1%1\": zone id \"%1\" is not allowed, write "
     "\"fe80::1\""},
    {"[::1]", "\"[::1]\": brackets are not allowed, write \"::1\""},
    /* white space */
    {" 1.2.3.4",
     "\" 1.2.3.4\": leading or trailing white space, write "
     "\"1.2.3.4\""},
    {"1.2.3.4 ",
     "\"1.2.3.4 \": leading or trailing white space, write "
     "\"1.2.3.4\""},
    {"1.2. 3.4", "\"1.2. 3.4\": white space inside an address, remove it"},
    {":: 1", "\":: 1\": white space inside an address, remove it"},
    /* trailing garbage and the like */
    {"1.2.3.4abc",
     "\"1.2.3.4abc\": trailing garbage after \"1.2.3.4\", "
     "remove it"},
    {"1.2.3.4/24",
     "\"1.2.3.4/24\": trailing garbage after \"1.2.3.4\", "
     "remove it"},
    {"1.2.3.4,",
     "\"1.2.3.4,\": trailing garbage after \"1.2.3.4\", remove "
     "it"},
    {"::1x", "\"::1x\": invalid character 'x' in IPv6 address"},
    {"::1/128", "\"::1/128\": invalid character '/' in IPv6 address"},
    {"::1\x01", "\"::1\\x01\": invalid character \\x01 in IPv6 address"},
    {"localhost", "\"localhost\": not an IP address"},
    {"mail.example.com", "\"mail.example.com\": not an IP address"},
    {"-1.2.3.4", "\"-1.2.3.4\": not an IP address"},
    {"1:2:3:4:5:6:7:8:9", "\"1:2:3:4:5:6:7:8:9\": not a valid IPv6 address"},
    {"1::2::3", "\"1::2::3\": not a valid IPv6 address"},
    {"12345::", "\"12345::\": not a valid IPv6 address"},
    {"::ffff:010.1.1.1", "\"::ffff:010.1.1.1\": not a valid IPv6 address"},
    {"::1.2.3", "\"::1.2.3\": not a valid IPv6 address"},
    /* IPv4-mapped text is refused with the IPv4 address as hint */
    {"::ffff:1.2.3.4",
     "\"::ffff:1.2.3.4\": IPv4-mapped IPv6 address, write "
     "the IPv4 address \"1.2.3.4\""},
    {"::FFFF:199.89.0.5",
     "\"::FFFF:199.89.0.5\": IPv4-mapped IPv6 address, "
     "write the IPv4 address \"199.89.0.5\""},
    {"::ffff:c759:5",
     "\"::ffff:c759:5\": IPv4-mapped IPv6 address, write "
     "the IPv4 address \"199.89.0.5\""},
    {"0:0:0:0:0:ffff:7f00:1",
     "\"0:0:0:0:0:ffff:7f00:1\": IPv4-mapped IPv6 "
     "address, write the IPv4 address "
     "\"127.0.0.1\""},
};

static int check_refusals(const char *fn,
                          const struct refuse_row *rows,
                          size_t n,
                          bool use_range)
{
    size_t i;
    int failures = 0;

    for (i = 0; i < n; i++) {
        char err[LD_ERRLEN] = "";
        ld_range r;
        ld_addr a;
        int rc = use_range ? range_parse(rows[i].in, &r, err, sizeof(err))
                           : addr_parse(rows[i].in, &a, err, sizeof(err));

        if (rc != -1) {
            print_error("%s(\"%s\"): got rc %d (accepted), want -1 with "
                        "\"%s\"\n",
                        fn,
                        rows[i].in,
                        rc,
                        rows[i].msg);
            failures++;
        } else if (strcmp(err, rows[i].msg) != 0) {
            print_error("%s(\"%s\"):\n  got  message %s\n  want message %s\n",
                        fn,
                        rows[i].in,
                        err,
                        rows[i].msg);
            failures++;
        }
    }
    return failures;
}

static void test_refuse_range(void **state)
{
    (void)state;
    assert_int_equal(
        check_refusals(
            "range_parse", range_refusals, NELEM(range_refusals), true),
        0);
}

static void test_refuse_addr(void **state)
{
    (void)state;
    assert_int_equal(
        check_refusals(
            "addr_parse", addr_refusals, NELEM(addr_refusals), false),
        0);
    /* Everything addr_parse() refuses, range_parse() refuses too. */
    {
        size_t i;
        int failures = 0;

        for (i = 0; i < NELEM(addr_refusals); i++) {
            char err[LD_ERRLEN] = "";
            ld_range r;

            /* "1.2.3.4/24" is an address error but a valid prefix... */
            if (strcmp(addr_refusals[i].in, "1.2.3.4/24") == 0 ||
                strcmp(addr_refusals[i].in, "::1/128") == 0) {
                continue;
            }
            if (range_parse(addr_refusals[i].in, &r, err, sizeof(err)) == 0) {
                print_error("range_parse(\"%s\"): got accepted, want refused "
                            "(addr_parse says \"%s\")\n",
                            addr_refusals[i].in,
                            addr_refusals[i].msg);
                failures++;
            }
        }
        assert_int_equal(failures, 0);
    }
}

/* Long or binary input: quoted with escapes and cut, never overflowing. */
static void test_refuse_quoting(void **state)
{
    char longtext[600];
    char err[LD_ERRLEN];
    char tiny[8];
    ld_range r;
    ld_addr a;

    (void)state;
    memset(longtext, '1', sizeof(longtext) - 1);
    longtext[sizeof(longtext) - 1] = '\0';
    assert_int_equal(range_parse(longtext, &r, err, sizeof(err)), -1);
    assert_true(strlen(err) < sizeof(err));
    assert_non_null(strstr(err, "...\": too long to be an address or range"));
    assert_int_equal(addr_parse(longtext, &a, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "...\": too long to be an address"));

    assert_int_equal(addr_parse("1.2.3.4\x80", &a, err, sizeof(err)), -1);
    assert_string_equal(err,
                        "\"1.2.3.4\\x80\": trailing garbage after "
                        "\"1.2.3.4\", remove it");
    assert_int_equal(addr_parse("\"1.2.3.4\"", &a, err, sizeof(err)), -1);
    assert_string_equal(err, "\"\\\"1.2.3.4\\\"\": not an IP address");

    /* A short buffer gets a truncated, terminated message. */
    memset(tiny, 'z', sizeof(tiny));
    assert_int_equal(range_parse("199.89.0.1/21", &r, tiny, sizeof(tiny)), -1);
    assert_true(memchr(tiny, '\0', sizeof(tiny)) != NULL);
    /* No buffer at all is allowed. */
    assert_int_equal(range_parse("199.89.0.1/21", &r, NULL, 0), -1);
    assert_int_equal(addr_parse("010.1.1.1", &a, NULL, 0), -1);
    assert_int_equal(range_parse(NULL, &r, err, sizeof(err)), -1);
    assert_int_equal(addr_parse(NULL, &a, err, sizeof(err)), -1);
}

/* ---- range_to_prefixes ------------------------------------------------- */

struct split_row {
    const char *in;
    const char *want; /* prefixes separated by spaces */
};

static const struct split_row split_rows[] = {
    {"0.0.0.0-255.255.255.255", "0.0.0.0/0"},
    {"199.89.0.0-199.89.7.255", "199.89.0.0/21"},
    {"199.89.0.0/255.255.248.0", "199.89.0.0/21"},
    {"10.0.0.1-10.0.0.6", "10.0.0.1/32 10.0.0.2/31 10.0.0.4/31 10.0.0.6/32"},
    {"10.0.0.0-10.0.0.0", "10.0.0.0/32"},
    {"255.255.255.255-255.255.255.255", "255.255.255.255/32"},
    {"255.255.255.254-255.255.255.255", "255.255.255.254/31"},
    {"0.0.0.0-0.0.0.0", "0.0.0.0/32"},
    {"0.0.0.1-255.255.255.255",
     "0.0.0.1/32 0.0.0.2/31 0.0.0.4/30 0.0.0.8/29 0.0.0.16/28 0.0.0.32/27 "
     "0.0.0.64/26 0.0.0.128/25 0.0.1.0/24 0.0.2.0/23 0.0.4.0/22 0.0.8.0/21 "
     "0.0.16.0/20 0.0.32.0/19 0.0.64.0/18 0.0.128.0/17 0.1.0.0/16 "
     "0.2.0.0/15 0.4.0.0/14 0.8.0.0/13 0.16.0.0/12 0.32.0.0/11 0.64.0.0/10 "
     "0.128.0.0/9 1.0.0.0/8 2.0.0.0/7 4.0.0.0/6 8.0.0.0/5 16.0.0.0/4 "
     "32.0.0.0/3 64.0.0.0/2 128.0.0.0/1"},
    {"0.0.0.0-255.255.255.254",
     "0.0.0.0/1 128.0.0.0/2 192.0.0.0/3 224.0.0.0/4 240.0.0.0/5 248.0.0.0/6 "
     "252.0.0.0/7 254.0.0.0/8 255.0.0.0/9 255.128.0.0/10 255.192.0.0/11 "
     "255.224.0.0/12 255.240.0.0/13 255.248.0.0/14 255.252.0.0/15 "
     "255.254.0.0/16 255.255.0.0/17 255.255.128.0/18 255.255.192.0/19 "
     "255.255.224.0/20 255.255.240.0/21 255.255.248.0/22 255.255.252.0/23 "
     "255.255.254.0/24 255.255.255.0/25 255.255.255.128/26 "
     "255.255.255.192/27 255.255.255.224/28 255.255.255.240/29 "
     "255.255.255.248/30 255.255.255.252/31 255.255.255.254/32"},
    {"192.168.0.255-192.168.2.0",
     "192.168.0.255/32 192.168.1.0/24 192.168.2.0/32"},
    {"83.245.15.239", "83.245.15.239/32"},
    {"::-ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "::/0"},
    {"::", "::/128"},
    {"2001:db8::-2001:db8::ff", "2001:db8::/120"},
    {"2001:db8::1-2001:db8::6",
     "2001:db8::1/128 2001:db8::2/127 2001:db8::4/127 2001:db8::6/128"},
    {"2001:db8::ffff:ffff:ffff:ffff-2001:db8:0:1::",
     "2001:db8::ffff:ffff:ffff:ffff/128 2001:db8:0:1::/128"},
    {"2001:db8::-2001:db8:0:1:ffff:ffff:ffff:ffff", "2001:db8::/63"},
    {"ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe-"
     "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
     "ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe/127"},
    {"8000::-ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "8000::/1"},
    {"2a01:111:f400::/48", "2a01:111:f400::/48"},
};

struct collect {
    char text[4096];
    size_t n;
    int stop_after;
};

static int collect_cb(const ld_prefix *p, void *arg)
{
    struct collect *c = arg;
    char buf[LD_ADDRSTRLEN + 8];
    size_t len = strlen(c->text);

    prefix_format(p, buf, sizeof(buf));
    snprintf(c->text + len, sizeof(c->text) - len, "%s%s", len ? " " : "", buf);
    c->n++;
    if (c->stop_after > 0 && (int)c->n == c->stop_after) {
        return 7;
    }
    return 0;
}

static void test_split(void **state)
{
    size_t i;
    int failures = 0;

    (void)state;
    for (i = 0; i < NELEM(split_rows); i++) {
        struct collect c;
        ld_range r;
        char err[LD_ERRLEN] = "";
        int rc;

        memset(&c, 0, sizeof(c));
        if (range_parse(split_rows[i].in, &r, err, sizeof(err)) != 0) {
            print_error("range_parse(\"%s\"): got error \"%s\"\n",
                        split_rows[i].in,
                        err);
            failures++;
            continue;
        }
        rc = range_to_prefixes(&r, collect_cb, &c);
        if (rc != 0 || strcmp(c.text, split_rows[i].want) != 0) {
            print_error("range_to_prefixes(\"%s\"):\n  got  rc %d [%s]\n  "
                        "want rc 0 [%s]\n",
                        split_rows[i].in,
                        rc,
                        c.text,
                        split_rows[i].want);
            failures++;
        }
    }
    assert_int_equal(failures, 0);
}

static void test_split_stop(void **state)
{
    struct collect c;
    ld_range r;
    char err[LD_ERRLEN];

    (void)state;
    memset(&c, 0, sizeof(c));
    c.stop_after = 2;
    assert_int_equal(range_parse("10.0.0.1-10.0.0.6", &r, err, sizeof(err)), 0);
    assert_int_equal(range_to_prefixes(&r, collect_cb, &c), 7);
    assert_string_equal(c.text, "10.0.0.1/32 10.0.0.2/31");

    /* A reversed range built by hand yields nothing. */
    memset(&c, 0, sizeof(c));
    {
        ld_range rev = r;

        memcpy(rev.lo, r.hi, 16);
        memcpy(rev.hi, r.lo, 16);
        assert_int_equal(range_to_prefixes(&rev, collect_cb, &c), 0);
        assert_int_equal(c.n, 0);
    }
}

/*
 * Random ranges: the prefixes must tile [lo, hi] exactly, in ascending
 * order, each aligned, and each maximal (its parent block is misaligned at
 * that start or leaves the range), which is what makes the split minimal.
 */
typedef struct {
    uint64_t hi, lo;
} v128;

static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;

static uint64_t rng_next(void)
{
    /* splitmix64: fixed seed, same sequence on every run. */
    uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);

    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static v128 v_from(int family, const uint8_t *b)
{
    v128 v = {0, 0};
    int i;

    if (family == AF_INET) {
        v.lo = (uint64_t)b[0] << 24 | (uint64_t)b[1] << 16 |
               (uint64_t)b[2] << 8 | b[3];
        return v;
    }
    for (i = 0; i < 8; i++) {
        v.hi = v.hi << 8 | b[i];
        v.lo = v.lo << 8 | b[i + 8];
    }
    return v;
}

static int v_cmp(v128 a, v128 b)
{
    if (a.hi != b.hi) {
        return a.hi < b.hi ? -1 : 1;
    }
    return a.lo < b.lo ? -1 : a.lo > b.lo;
}

static v128 v_host(unsigned len, unsigned width)
{
    v128 m = {0, 0};
    unsigned h = width - len;

    if (h >= 64) {
        m.lo = UINT64_MAX;
        m.hi = h == 64 ? 0 : (h >= 128 ? UINT64_MAX : UINT64_MAX >> (128 - h));
    } else {
        m.lo = h == 0 ? 0 : UINT64_MAX >> (64 - h);
    }
    return m;
}

struct tile {
    int family;
    unsigned width;
    v128 next; /* where the next prefix must start */
    v128 lo, hi;
    bool done;
    int errors;
    char range[128];
};

static int tile_cb(const ld_prefix *p, void *arg)
{
    struct tile *t = arg;
    v128 a = v_from(p->addr.family, p->addr.bytes);
    v128 h = v_host(p->len, t->width);
    v128 end = {a.hi | h.hi, a.lo | h.lo};
    char buf[LD_ADDRSTRLEN + 8];

    prefix_format(p, buf, sizeof(buf));
    if (t->errors > 0) {
        return 0;
    }
    if (p->addr.family != t->family || t->done || v_cmp(a, t->next) != 0 ||
        (a.hi & h.hi) != 0 || (a.lo & h.lo) != 0 || v_cmp(end, t->hi) > 0) {
        print_error("range %s: prefix %s does not continue the tiling\n",
                    t->range,
                    buf);
        t->errors++;
        return 0;
    }
    if (p->len > 0) {
        /* The parent block must not fit: misaligned or past hi. */
        v128 ph = v_host(p->len - 1, t->width);
        v128 pend = {a.hi | ph.hi, a.lo | ph.lo};

        if ((a.hi & ph.hi) == 0 && (a.lo & ph.lo) == 0 &&
            v_cmp(pend, t->hi) <= 0) {
            print_error("range %s: prefix %s is not maximal (its parent "
                        "fits)\n",
                        t->range,
                        buf);
            t->errors++;
        }
    }
    if (v_cmp(end, t->hi) == 0) {
        t->done = true;
    } else {
        t->next = end;
        if (++t->next.lo == 0) {
            t->next.hi++;
        }
    }
    return 0;
}

static void random_range(int family, ld_range *r)
{
    uint8_t a[16] = {0};
    uint8_t b[16] = {0};
    size_t n = family == AF_INET ? 4 : 16;
    size_t i;
    unsigned shape = (unsigned)(rng_next() % 4);

    for (i = 0; i < n; i++) {
        a[i] = (uint8_t)rng_next();
    }
    memcpy(b, a, sizeof(b));
    /* Mostly ranges whose ends differ in the low bytes, some wide ones. */
    for (i = shape == 0 ? 0 : n - 1 - shape; i < n; i++) {
        b[i] = (uint8_t)rng_next();
    }
    memset(r, 0, sizeof(*r));
    r->family = (uint8_t)family;
    if (memcmp(a, b, n) <= 0) {
        memcpy(r->lo, a, 16);
        memcpy(r->hi, b, 16);
    } else {
        memcpy(r->lo, b, 16);
        memcpy(r->hi, a, 16);
    }
}

static void test_split_random(void **state)
{
    int round;
    int failures = 0;

    (void)state;
    for (round = 0; round < 20000 && failures < 5; round++) {
        int family = round % 2 ? AF_INET6 : AF_INET;
        struct tile t;
        ld_range r;
        char lo[LD_ADDRSTRLEN], hi[LD_ADDRSTRLEN];

        random_range(family, &r);
        memset(&t, 0, sizeof(t));
        t.family = family;
        t.width = family == AF_INET ? 32 : 128;
        t.lo = v_from(family, r.lo);
        t.hi = v_from(family, r.hi);
        t.next = t.lo;
        inet_ntop(family, r.lo, lo, sizeof(lo));
        inet_ntop(family, r.hi, hi, sizeof(hi));
        snprintf(t.range, sizeof(t.range), "%s-%s", lo, hi);
        assert_int_equal(range_to_prefixes(&r, tile_cb, &t), 0);
        if (t.errors == 0 && !t.done) {
            print_error("range %s: prefixes stop before the end\n", t.range);
            t.errors++;
        }
        failures += t.errors;
    }
    assert_int_equal(failures, 0);
}

static void test_range_from_prefix(void **state)
{
    static const struct {
        const char *addr;
        unsigned len;
        const char *lo, *hi;
    } rows[] = {
        {"199.89.0.0", 21, "199.89.0.0", "199.89.7.255"},
        {"0.0.0.0", 0, "0.0.0.0", "255.255.255.255"},
        {"83.245.15.239", 32, "83.245.15.239", "83.245.15.239"},
        {"2002::", 16, "2002::", "2002:ffff:ffff:ffff:ffff:ffff:ffff:ffff"},
        {"::", 0, "::", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"},
        {"2001:db8::1", 128, "2001:db8::1", "2001:db8::1"},
        /* host bits in a hand-made prefix are cleared, not trusted */
        {"10.1.2.3", 8, "10.0.0.0", "10.255.255.255"},
    };
    size_t i;
    int failures = 0;

    (void)state;
    for (i = 0; i < NELEM(rows); i++) {
        ld_prefix p;
        ld_range r;
        char lo[LD_ADDRSTRLEN], hi[LD_ADDRSTRLEN], err[LD_ERRLEN];

        memset(&p, 0, sizeof(p));
        assert_int_equal(addr_parse(rows[i].addr, &p.addr, err, sizeof(err)),
                         0);
        p.len = (uint8_t)rows[i].len;
        range_from_prefix(&p, &r);
        inet_ntop(r.family, r.lo, lo, sizeof(lo));
        inet_ntop(r.family, r.hi, hi, sizeof(hi));
        if (r.family != p.addr.family || strcmp(lo, rows[i].lo) != 0 ||
            strcmp(hi, rows[i].hi) != 0) {
            print_error("range_from_prefix(%s/%u): got %s-%s, want %s-%s\n",
                        rows[i].addr,
                        rows[i].len,
                        lo,
                        hi,
                        rows[i].lo,
                        rows[i].hi);
            failures++;
        }
    }
    assert_int_equal(failures, 0);
}

/* ---- sockaddr and normalisation ---------------------------------------- */

struct sock_row {
    int family;       /* of the socket address */
    const char *text; /* address text for inet_pton, NULL for none */
    int rc;
    int want_family;
    const char *want;
};

static const struct sock_row sock_rows[] = {
    {AF_INET, "199.89.0.5", 0, AF_INET, "199.89.0.5"},
    {AF_INET, "0.0.0.0", 0, AF_INET, "0.0.0.0"},
    {AF_INET6, "::ffff:199.89.0.5", 0, AF_INET, "199.89.0.5"},
    {AF_INET6, "::ffff:0.0.0.0", 0, AF_INET, "0.0.0.0"},
    {AF_INET6, "::ffff:255.255.255.255", 0, AF_INET, "255.255.255.255"},
    {AF_INET6, "::199.89.0.5", 0, AF_INET6, "::199.89.0.5"},
    {AF_INET6, "64:ff9b::199.89.0.5", 0, AF_INET6, "64:ff9b::c759:5"},
    {AF_INET6, "2002:c759:5::1", 0, AF_INET6, "2002:c759:5::1"},
    {AF_INET6, "::ffff:0:199.89.0.5", 0, AF_INET6, "::ffff:0:c759:5"},
    {AF_INET6, "::1", 0, AF_INET6, "::1"},
    {AF_INET6, "::", 0, AF_INET6, "::"},
    {AF_INET6, "2a01:111:f400::1", 0, AF_INET6, "2a01:111:f400::1"},
    {AF_UNIX, NULL, -1, 0, NULL},
    {AF_UNSPEC, NULL, -1, 0, NULL},
    {AF_APPLETALK, NULL, -1, 0, NULL},
    {-1, NULL, -1, 0, NULL}, /* NULL pointer */
};

static void test_sockaddr(void **state)
{
    size_t i;
    int failures = 0;

    (void)state;
    for (i = 0; i < NELEM(sock_rows); i++) {
        const struct sock_row *row = &sock_rows[i];
        struct sockaddr_storage ss;
        ld_addr a;
        ld_addr before;
        char got[LD_ADDRSTRLEN] = "";
        const struct sockaddr *sa = (const struct sockaddr *)&ss;
        int rc;
        char label[80];

        memset(&ss, 0, sizeof(ss));
        memset(&a, 0x5a, sizeof(a));
        before = a;
        snprintf(label,
                 sizeof(label),
                 "family %d %s",
                 row->family,
                 row->text ? row->text : "(none)");
        if (row->family == AF_INET) {
            struct sockaddr_in *sin = (struct sockaddr_in *)&ss;

            sin->sin_family = AF_INET;
            sin->sin_port = htons(25);
            assert_int_equal(inet_pton(AF_INET, row->text, &sin->sin_addr), 1);
        } else if (row->family == AF_INET6) {
            struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;

            sin6->sin6_family = AF_INET6;
            sin6->sin6_port = htons(25);
            assert_int_equal(inet_pton(AF_INET6, row->text, &sin6->sin6_addr),
                             1);
        } else if (row->family == AF_UNIX) {
            struct sockaddr_un *sun = (struct sockaddr_un *)&ss;

            sun->sun_family = AF_UNIX;
            strcpy(sun->sun_path, "/run/x.sock");
        } else if (row->family >= 0) {
            ss.ss_family = (sa_family_t)row->family;
        } else {
            sa = NULL;
        }
        rc = addr_from_sockaddr(sa, &a);
        if (rc != row->rc) {
            print_error("addr_from_sockaddr(%s): got rc %d, want %d\n",
                        label,
                        rc,
                        row->rc);
            failures++;
            continue;
        }
        if (rc != 0) {
            if (memcmp(&a, &before, sizeof(a)) != 0) {
                print_error("addr_from_sockaddr(%s): output written on "
                            "failure\n",
                            label);
                failures++;
            }
            continue;
        }
        addr_format(&a, got, sizeof(got));
        if (a.family != row->want_family || strcmp(got, row->want) != 0) {
            print_error("addr_from_sockaddr(%s): got family %d %s, want "
                        "family %d %s\n",
                        label,
                        a.family,
                        got,
                        row->want_family,
                        row->want);
            failures++;
        }

        /* addr_normalize() on the raw address must agree. */
        if (row->family == AF_INET6) {
            ld_addr raw;

            memset(&raw, 0, sizeof(raw));
            raw.family = AF_INET6;
            inet_pton(AF_INET6, row->text, raw.bytes);
            addr_normalize(&raw);
            if (memcmp(&raw, &a, sizeof(raw)) != 0) {
                addr_format(&raw, got, sizeof(got));
                print_error("addr_normalize(%s): got family %d %s, differs "
                            "from addr_from_sockaddr\n",
                            label,
                            raw.family,
                            got);
                failures++;
            }
        }
    }
    assert_int_equal(addr_from_sockaddr(NULL, NULL), -1);
    assert_int_equal(failures, 0);
}

static void test_cmp_format(void **state)
{
    static const struct {
        const char *a, *b;
        int want;
    } rows[] = {
        {"1.2.3.4", "1.2.3.4", 0},
        {"1.2.3.4", "1.2.3.5", -1},
        {"1.2.4.0", "1.2.3.255", 1},
        {"255.255.255.255", "::", -1}, /* IPv4 sorts before IPv6 */
        {"::", "0.0.0.0", 1},
        {"::1", "::2", -1},
        {"2001:db8::", "2001:db8::", 0},
        {"8000::", "7fff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 1},
    };
    size_t i;
    int failures = 0;
    ld_prefix p;
    char buf[LD_ADDRSTRLEN + 8];
    char small[4];
    char err[LD_ERRLEN];

    (void)state;
    for (i = 0; i < NELEM(rows); i++) {
        ld_addr a, b;
        int got;

        assert_int_equal(addr_parse(rows[i].a, &a, err, sizeof(err)), 0);
        assert_int_equal(addr_parse(rows[i].b, &b, err, sizeof(err)), 0);
        got = addr_cmp(&a, &b);
        got = got < 0 ? -1 : got > 0;
        if (got != rows[i].want ||
            -(addr_cmp(&b, &a) < 0 ? -1 : addr_cmp(&b, &a) > 0) !=
                rows[i].want) {
            print_error("addr_cmp(%s, %s): got %d, want %d (and the "
                        "opposite sign when swapped)\n",
                        rows[i].a,
                        rows[i].b,
                        got,
                        rows[i].want);
            failures++;
        }
    }
    assert_int_equal(failures, 0);

    memset(&p, 0, sizeof(p));
    assert_int_equal(addr_parse("2a01:111:f400::", &p.addr, err, sizeof(err)),
                     0);
    p.len = 48;
    assert_string_equal(prefix_format(&p, buf, sizeof(buf)),
                        "2a01:111:f400::/48");
    assert_int_equal(addr_parse("199.89.0.0", &p.addr, err, sizeof(err)), 0);
    p.len = 21;
    assert_string_equal(prefix_format(&p, buf, sizeof(buf)), "199.89.0.0/21");
    /* Too small a buffer or a bad family: a marker, never overflow. */
    assert_string_equal(addr_format(&p.addr, small, sizeof(small)), "?");
    p.addr.family = AF_UNIX;
    assert_string_equal(addr_format(&p.addr, buf, sizeof(buf)), "?");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_accept),
        cmocka_unit_test(test_addr_parse_ok),
        cmocka_unit_test(test_refuse_range),
        cmocka_unit_test(test_refuse_addr),
        cmocka_unit_test(test_refuse_quoting),
        cmocka_unit_test(test_split),
        cmocka_unit_test(test_split_stop),
        cmocka_unit_test(test_split_random),
        cmocka_unit_test(test_range_from_prefix),
        cmocka_unit_test(test_sockaddr),
        cmocka_unit_test(test_cmp_format),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
