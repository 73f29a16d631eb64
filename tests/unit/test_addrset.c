/*
 * test_addrset.c - the tagged prefix set: shipped profile boundaries, the
 * address edge-case table, builder rules, and a differential test against
 * a naive longest-prefix scan.
 *
 * Every mismatch prints the input with got/want; tables run to the end
 * before the test fails.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>

#include "addr.h"
#include "addrset.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))
#define NONE (-1) /* want: no match */

/* An entry of a test set: range text (any notation) and its tag. */
struct entry {
    const char *text;
    int tag;
};

/* A query: address text and the tag it must find, or NONE. */
struct query {
    const char *addr;
    int want;
};

static addrset *set_from(const struct entry *e, size_t n)
{
    addrset_builder *b = addrset_builder_new();
    size_t i;

    assert_non_null(b);
    for (i = 0; i < n; i++) {
        ld_range r;
        char err[LD_ERRLEN] = "";

        if (range_parse(e[i].text, &r, err, sizeof(err)) != 0) {
            print_error("range_parse(\"%s\"): got error \"%s\", want a "
                        "range\n",
                        e[i].text,
                        err);
            addrset_builder_free(b);
            fail();
        }
        assert_int_equal(addrset_builder_add_range(b, &r, (uint16_t)e[i].tag),
                         0);
    }
    return addrset_build(b);
}

/*
 * Raw address from text for a query: inet_pton only, so that mapped text
 * ("::ffff:1.2.3.4") reaches the lookup as the IPv6 a socket would give.
 */
static void query_addr(const char *text, ld_addr *a)
{
    memset(a, 0, sizeof(*a));
    if (strchr(text, ':') != NULL) {
        a->family = AF_INET6;
        assert_int_equal(inet_pton(AF_INET6, text, a->bytes), 1);
    } else {
        a->family = AF_INET;
        assert_int_equal(inet_pton(AF_INET, text, a->bytes), 1);
    }
}

static int run_queries(const char *setname,
                       const addrset *s,
                       const struct query *q,
                       size_t n)
{
    size_t i;
    int failures = 0;

    for (i = 0; i < n; i++) {
        ld_addr a;
        uint16_t tag = 0xbeef;
        bool found;
        int got;

        query_addr(q[i].addr, &a);
        found = addrset_lookup(s, &a, &tag);
        got = found ? tag : NONE;
        if (got != q[i].want) {
            print_error("set %s: lookup(%s): got %d, want %d (-1 = no "
                        "match)\n",
                        setname,
                        q[i].addr,
                        got,
                        q[i].want);
            failures++;
        }
        /* The same client through a socket address must agree. */
        {
            struct sockaddr_in6 sin6;
            struct sockaddr_in sin;
            const struct sockaddr *sa = NULL;
            ld_addr viasock;

            memset(&sin6, 0, sizeof(sin6));
            memset(&sin, 0, sizeof(sin));
            if (a.family == AF_INET6) {
                sin6.sin6_family = AF_INET6;
                memcpy(&sin6.sin6_addr, a.bytes, 16);
                sa = (const struct sockaddr *)&sin6;
            } else {
                sin.sin_family = AF_INET;
                memcpy(&sin.sin_addr, a.bytes, 4);
                sa = (const struct sockaddr *)&sin;
            }
            assert_int_equal(addr_from_sockaddr(sa, &viasock), 0);
            found = addrset_lookup(s, &viasock, &tag);
            got = found ? tag : NONE;
            if (got != q[i].want) {
                print_error("set %s: lookup(sockaddr %s): got %d, want %d\n",
                            setname,
                            q[i].addr,
                            got,
                            q[i].want);
                failures++;
            }
        }
    }
    return failures;
}

/* ---- the three shipped profiles ------------------------------------- */

enum { MAILROUTE = 0, POSTINI = 1, ARROWMAIL = 2, LAN = 3 };

static void test_profiles(void **state)
{
    static const struct entry entries[] = {
        {"199.89.0.0/21", MAILROUTE},
        {"208.123.79.0/24", POSTINI},
        {"64.18.0.0/255.255.240.0", POSTINI},
        {"83.245.15.239", ARROWMAIL},
        {"192.168.10.0/24", LAN},
    };
    static const struct query queries[] = {
        /* MailRoute 199.89.0.0/21 */
        {"199.88.255.255", NONE},
        {"199.89.0.0", MAILROUTE},
        {"199.89.3.128", MAILROUTE},
        {"199.89.7.255", MAILROUTE},
        {"199.89.8.0", NONE},
        {"::ffff:199.88.255.255", NONE},
        {"::ffff:199.89.0.0", MAILROUTE},
        {"::ffff:199.89.7.255", MAILROUTE},
        {"::ffff:199.89.8.0", NONE},
        /* Postini 208.123.79.0/24 */
        {"208.123.78.255", NONE},
        {"208.123.79.0", POSTINI},
        {"208.123.79.255", POSTINI},
        {"208.123.80.0", NONE},
        {"::ffff:208.123.79.0", POSTINI},
        /* Postini 64.18.0.0/20 */
        {"64.17.255.255", NONE},
        {"64.18.0.0", POSTINI},
        {"64.18.15.255", POSTINI},
        {"64.18.16.0", NONE},
        {"::ffff:64.18.15.255", POSTINI},
        /* Arrowmail 83.245.15.239 */
        {"83.245.15.238", NONE},
        {"83.245.15.239", ARROWMAIL},
        {"83.245.15.240", NONE},
        {"::ffff:83.245.15.239", ARROWMAIL},
        /* NAT64, 6to4 and compat forms name the translator: no match */
        {"64:ff9b::199.89.0.5", NONE},
        {"2002:c759:5::1", NONE},
        {"::199.89.0.5", NONE},
        {"::ffff:0:199.89.0.5", NONE},
        /* others */
        {"192.168.10.77", LAN},
        {"0.0.0.0", NONE},
        {"255.255.255.255", NONE},
        {"::", NONE},
        {"2a01:111:f400::1", NONE},
    };
    addrset *s = set_from(entries, NELEM(entries));

    (void)state;
    assert_non_null(s);
    assert_int_equal(addrset_prefixes(s), 5);
    assert_int_equal(addrset_intervals(s), 5);
    assert_int_equal(run_queries("profiles", s, queries, NELEM(queries)), 0);
    addrset_free(s);
}

/* ---- edge-case table --------------------------------------------------- */

struct edge_case {
    const char *name;
    struct entry entries[8];
    struct query queries[16];
};

static const struct edge_case edge_cases[] = {
    {"mapped client vs IPv4 entry",
     {{"1.2.3.4", 1}, {NULL, 0}},
     {{"1.2.3.4", 1},
      {"::ffff:1.2.3.4", 1},
      {"::ffff:1.2.3.5", NONE},
      {"::1.2.3.4", NONE},
      {"64:ff9b::1.2.3.4", NONE},
      {NULL, 0}}},
    {"IPv4-compatible entry ::a.b.c.d stays IPv6",
     {{"::1.2.3.4", 1}, {NULL, 0}},
     {{"::1.2.3.4", 1},
      {"1.2.3.4", NONE},
      {"::ffff:1.2.3.4", NONE},
      {"::1.2.3.5", NONE},
      {NULL, 0}}},
    {"NAT64 64:ff9b::/96",
     {{"64:ff9b::/96", 1}, {NULL, 0}},
     {{"64:ff9b::1.2.3.4", 1},
      {"64:ff9b::", 1},
      {"64:ff9b::ffff:ffff", 1},
      {"64:ff9b::1:0:0", NONE},
      {"64:ff9a:ffff:ffff:ffff:ffff:ffff:ffff", NONE},
      {"1.2.3.4", NONE},
      {"::ffff:1.2.3.4", NONE},
      {NULL, 0}}},
    {"6to4 2002::/16",
     {{"2002::/16", 1}, {NULL, 0}},
     {{"2002:c759:5::1", 1},
      {"2002::", 1},
      {"2002:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 1},
      {"2003::", NONE},
      {"2001:ffff:ffff:ffff:ffff:ffff:ffff:ffff", NONE},
      {"199.89.0.5", NONE},
      {NULL, 0}}},
    {"0.0.0.0/0 matches every IPv4 and mapped client, no IPv6",
     {{"0.0.0.0/0", 1}, {NULL, 0}},
     {{"0.0.0.0", 1},
      {"255.255.255.255", 1},
      {"10.1.2.3", 1},
      {"::ffff:10.1.2.3", 1},
      {"::ffff:0.0.0.0", 1},
      {"::1", NONE},
      {"::", NONE},
      {"2a01::1", NONE},
      {"::10.1.2.3", NONE},
      {NULL, 0}}},
    {"::/0 never matches an IPv4 or mapped client",
     {{"::/0", 1}, {NULL, 0}},
     {{"::", 1},
      {"::1", 1},
      {"ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 1},
      {"::10.1.2.3", 1},
      {"64:ff9b::10.1.2.3", 1},
      {"10.1.2.3", NONE},
      {"::ffff:10.1.2.3", NONE},
      {"0.0.0.0", NONE},
      {"::ffff:0.0.0.0", NONE},
      {NULL, 0}}},
    {"both /0 entries",
     {{"::/0", 6}, {"0.0.0.0/0", 4}, {NULL, 0}},
     {{"::1", 6}, {"10.1.2.3", 4}, {"::ffff:10.1.2.3", 4}, {NULL, 0}}},
    {"/32 and /128",
     {{"83.245.15.239/32", 1}, {"2001:db8::1/128", 2}, {NULL, 0}},
     {{"83.245.15.239", 1},
      {"83.245.15.238", NONE},
      {"83.245.15.240", NONE},
      {"2001:db8::1", 2},
      {"2001:db8::", NONE},
      {"2001:db8::2", NONE},
      {"::ffff:83.245.15.239", 1},
      {NULL, 0}}},
    {"overlapping IPv4: longest wins",
     {{"10.0.0.0/8", 1},
      {"10.1.0.0/16", 2},
      {"10.1.2.0/24", 3},
      {"10.1.2.3", 4},
      {NULL, 0}},
     {{"9.255.255.255", NONE},
      {"10.0.0.0", 1},
      {"10.1.0.0", 2},
      {"10.1.1.255", 2},
      {"10.1.2.0", 3},
      {"10.1.2.2", 3},
      {"10.1.2.3", 4},
      {"10.1.2.4", 3},
      {"10.1.2.255", 3},
      {"10.1.3.0", 2},
      {"10.1.255.255", 2},
      {"10.2.0.0", 1},
      {"10.255.255.255", 1},
      {"11.0.0.0", NONE},
      {"::ffff:10.1.2.3", 4},
      {NULL, 0}}},
    {"overlapping, the longer added first",
     {{"10.1.2.3", 4}, {"10.1.2.0/24", 3}, {"10.0.0.0/8", 1}, {NULL, 0}},
     {{"10.1.2.3", 4}, {"10.1.2.4", 3}, {"10.9.9.9", 1}, {NULL, 0}}},
    {"overlapping IPv6: longest wins",
     {{"2001:db8::/32", 1},
      {"2001:db8:1::/48", 2},
      {"2001:db8:1::/64", 3},
      {"2001:db8:1::1", 4},
      {NULL, 0}},
     {{"2001:db8::", 1},
      {"2001:db8:0:ffff::", 1},
      {"2001:db8:1::", 3},
      {"2001:db8:1::1", 4},
      {"2001:db8:1::2", 3},
      {"2001:db8:1:0:ffff:ffff:ffff:ffff", 3},
      {"2001:db8:1:1::", 2},
      {"2001:db8:1:ffff:ffff:ffff:ffff:ffff", 2},
      {"2001:db8:2::", 1},
      {"2001:db9::", NONE},
      {"2001:db7:ffff:ffff:ffff:ffff:ffff:ffff", NONE},
      {NULL, 0}}},
    {"equal prefixes keep the lowest tag",
     {{"10.9.0.0/16", 7},
      {"10.9.0.0/255.255.0.0", 3},
      {"10.9.0.0-10.9.255.255", 5},
      {"2001:db8::/32", 9},
      {"2001:db8::-2001:db8:ffff:ffff:ffff:ffff:ffff:ffff", 2},
      {NULL, 0}},
     {{"10.9.1.1", 3}, {"2001:db8::5", 2}, {NULL, 0}}},
    {"top and bottom of the address space",
     {{"0.0.0.0/0", 1},
      {"255.255.255.255", 2},
      {"0.0.0.0", 3},
      {"::/0", 4},
      {"ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 5},
      {"::", 6},
      {NULL, 0}},
     {{"0.0.0.0", 3},
      {"0.0.0.1", 1},
      {"255.255.255.254", 1},
      {"255.255.255.255", 2},
      {"::", 6},
      {"::1", 4},
      {"ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe", 4},
      {"ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 5},
      {NULL, 0}}},
    {"IPv6 range across ::ffff:0:0/96 admits no IPv4 client",
     {{"::fffe:ffff:ffff-::1:0:0:0", 1}, {NULL, 0}},
     {{"::fffe:ffff:ffff", 1},
      {"::1:0:0:0", 1},
      {"::fffe:ffff:fffe", NONE},
      {"::1:0:0:1", NONE},
      {"0.0.0.0", NONE},
      {"1.2.3.4", NONE},
      {"255.255.255.255", NONE},
      {"::ffff:1.2.3.4", NONE},
      {"::ffff:0:0", NONE},
      {"::ffff:ffff:ffff", NONE},
      {NULL, 0}}},
    {"range notation split into prefixes",
     {{"10.0.0.1-10.0.0.6", 1}, {"2001:db8::1 - 2001:db8::6", 2}, {NULL, 0}},
     {{"10.0.0.0", NONE},
      {"10.0.0.1", 1},
      {"10.0.0.6", 1},
      {"10.0.0.7", NONE},
      {"2001:db8::", NONE},
      {"2001:db8::1", 2},
      {"2001:db8::6", 2},
      {"2001:db8::7", NONE},
      {NULL, 0}}},
};

static void test_edge_table(void **state)
{
    size_t c;
    int failures = 0;

    (void)state;
    for (c = 0; c < NELEM(edge_cases); c++) {
        const struct edge_case *ec = &edge_cases[c];
        size_t ne = 0;
        size_t nq = 0;
        addrset *s = NULL;

        while (ec->entries[ne].text != NULL) {
            ne++;
        }
        while (ec->queries[nq].addr != NULL) {
            nq++;
        }
        s = set_from(ec->entries, ne);
        assert_non_null(s);
        failures += run_queries(ec->name, s, ec->queries, nq);
        addrset_free(s);
    }
    assert_int_equal(failures, 0);
}

/* Client facts the set never sees as an address. */
static void test_edge_unknown_clients(void **state)
{
    static const struct entry entries[] = {{"0.0.0.0/0", 1}, {"::/0", 2}};
    addrset *s = set_from(entries, NELEM(entries));
    struct sockaddr_un sun;
    struct sockaddr_storage ss;
    ld_addr a;
    uint16_t tag = 77;

    (void)state;
    assert_non_null(s);
    /* NULL address, AF_UNIX, AF_UNSPEC: no ld_addr at all. */
    assert_int_equal(addr_from_sockaddr(NULL, &a), -1);
    memset(&sun, 0, sizeof(sun));
    sun.sun_family = AF_UNIX;
    assert_int_equal(addr_from_sockaddr((struct sockaddr *)&sun, &a), -1);
    memset(&ss, 0, sizeof(ss));
    ss.ss_family = AF_UNSPEC;
    assert_int_equal(addr_from_sockaddr((struct sockaddr *)&ss, &a), -1);
    /* And a lookup given no address or an odd family finds nothing. */
    assert_false(addrset_lookup(s, NULL, &tag));
    memset(&a, 0, sizeof(a));
    a.family = AF_UNIX;
    assert_false(addrset_lookup(s, &a, &tag));
    a.family = AF_UNSPEC;
    assert_false(addrset_lookup(s, &a, &tag));
    assert_int_equal(tag, 77);
    assert_false(addrset_lookup(NULL, &a, &tag));
    addrset_free(s);
}

/* The texts a peer would read wrongly never become entries. */
static void test_edge_rejected_inputs(void **state)
{
    static const char *bad[] = {
        "010.1.1.1",
        "10.0.0.010",
        "0x7f.1.1.1",
        "0x7f000001",
        "1.2.3",
        "127.1",
        "127",
        "fe80::1%eth0",
        "fe80::1%1",
        " 10.0.0.1",
        "10.0.0.1 ",
        "10.0.0.1\t",
        "10.0.0.0 /8",
        "10.0.0.0/ 8",
        "::ffff:1.2.3.4",
        "::ffff:1.2.3.0/120",
        "1.2.3.4 abc",
        "1.2.3.4abc",
        "",
        "2130706433",
    };
    size_t i;
    int failures = 0;

    (void)state;
    for (i = 0; i < NELEM(bad); i++) {
        ld_range r;
        char err[LD_ERRLEN] = "";

        if (range_parse(bad[i], &r, err, sizeof(err)) == 0 || err[0] == 0) {
            print_error("range_parse(\"%s\"): got accepted (or no message), "
                        "want refused\n",
                        bad[i]);
            failures++;
        }
    }
    assert_int_equal(failures, 0);
}

/* ---- builder rules ------------------------------------------------------ */

static void prefix_of(const char *addr, unsigned len, ld_prefix *p)
{
    memset(p, 0, sizeof(*p));
    query_addr(addr, &p->addr);
    p->len = (uint8_t)len;
}

static void test_builder(void **state)
{
    addrset_builder *b = NULL;
    addrset *s = NULL;
    ld_prefix p;
    ld_range r;
    ld_addr a;
    uint16_t tag = 0;

    (void)state;
    /* Invalid arguments are refused, never stored. */
    b = addrset_builder_new();
    assert_non_null(b);
    prefix_of("10.0.0.0", 8, &p);
    assert_int_equal(addrset_builder_add(b, &p, ADDRSET_NOTAG), -1);
    assert_int_equal(addrset_builder_add(NULL, &p, 1), -1);
    assert_int_equal(addrset_builder_add(b, NULL, 1), -1);
    p.len = 33;
    assert_int_equal(addrset_builder_add(b, &p, 1), -1);
    prefix_of("::", 129, &p);
    assert_int_equal(addrset_builder_add(b, &p, 1), -1);
    p.addr.family = AF_UNIX;
    p.len = 0;
    assert_int_equal(addrset_builder_add(b, &p, 1), -1);
    memset(&r, 0, sizeof(r));
    r.family = AF_INET;
    r.lo[3] = 9;
    r.hi[3] = 1; /* reversed */
    assert_int_equal(addrset_builder_add_range(b, &r, 1), -1);
    r.family = AF_UNIX;
    assert_int_equal(addrset_builder_add_range(b, &r, 1), -1);
    /* Highest valid tag. */
    prefix_of("10.0.0.0", 8, &p);
    assert_int_equal(addrset_builder_add(b, &p, ADDRSET_NOTAG - 1), 0);
    /* Host bits in a hand-made prefix are cleared. */
    prefix_of("192.168.1.77", 24, &p);
    assert_int_equal(addrset_builder_add(b, &p, 2), 0);
    prefix_of("2001:db8::77", 64, &p);
    assert_int_equal(addrset_builder_add(b, &p, 3), 0);
    prefix_of("2001:db9::1:77", 120, &p);
    assert_int_equal(addrset_builder_add(b, &p, 4), 0);
    /* A prefix inside ::ffff:0:0/96 is unreachable: dropped, counted. */
    prefix_of("::ffff:1.2.3.0", 120, &p);
    assert_int_equal(addrset_builder_add(b, &p, 5), 0);
    prefix_of("::ffff:0:0", 96, &p);
    assert_int_equal(addrset_builder_add(b, &p, 5), 0);
    s = addrset_build(b);
    assert_non_null(s);
    assert_int_equal(addrset_prefixes(s), 6);
    assert_int_equal(addrset_intervals(s), 4);
    assert_true(addrset_bytes(s) > 0);

    query_addr("10.200.0.1", &a);
    assert_true(addrset_lookup(s, &a, &tag));
    assert_int_equal(tag, ADDRSET_NOTAG - 1);
    query_addr("192.168.1.0", &a);
    assert_true(addrset_lookup(s, &a, &tag));
    assert_int_equal(tag, 2);
    query_addr("2001:db8::ffff", &a);
    assert_true(addrset_lookup(s, &a, &tag));
    assert_int_equal(tag, 3);
    query_addr("2001:db9::1:0", &a);
    assert_true(addrset_lookup(s, &a, &tag));
    assert_int_equal(tag, 4);
    query_addr("1.2.3.200", &a);
    assert_false(addrset_lookup(s, &a, &tag));
    query_addr("::ffff:1.2.3.200", &a);
    assert_false(addrset_lookup(s, &a, &tag));
    query_addr("99.1.2.3", &a);
    assert_false(addrset_lookup(s, &a, &tag));
    /* The tag pointer is optional. */
    query_addr("10.200.0.1", &a);
    assert_true(addrset_lookup(s, &a, NULL));
    addrset_free(s);

    /* Empty set: valid, finds nothing. */
    s = addrset_build(addrset_builder_new());
    assert_non_null(s);
    query_addr("10.0.0.1", &a);
    assert_false(addrset_lookup(s, &a, &tag));
    query_addr("::1", &a);
    assert_false(addrset_lookup(s, &a, &tag));
    assert_int_equal(addrset_prefixes(s), 0);
    assert_int_equal(addrset_intervals(s), 0);
    addrset_free(s);

    /* NULL-safe. */
    assert_null(addrset_build(NULL));
    addrset_builder_free(NULL);
    addrset_free(NULL);
    assert_int_equal(addrset_bytes(NULL), 0);
}

/* Flattening and merging: interval counts for small known sets. */
static void test_intervals(void **state)
{
    static const struct {
        const char *name;
        struct entry e[6];
        size_t want;
    } rows[] = {
        {"touching halves, same tag, merge",
         {{"10.0.0.0/25", 1}, {"10.0.0.128/25", 1}, {NULL, 0}},
         1},
        {"touching halves, other tags",
         {{"10.0.0.0/25", 1}, {"10.0.0.128/25", 2}, {NULL, 0}},
         2},
        {"hole punched in the middle",
         {{"10.0.0.0/24", 1}, {"10.0.0.128/26", 2}, {NULL, 0}},
         3},
        {"inner with the outer's tag vanishes",
         {{"10.0.0.0/24", 1}, {"10.0.0.128/26", 1}, {NULL, 0}},
         1},
        {"duplicates",
         {{"10.0.0.0/24", 1},
          {"10.0.0.0/24", 2},
          {"10.0.0.0/24", 1},
          {NULL, 0}},
         1},
        {"gap keeps them apart",
         {{"10.0.0.0/25", 1}, {"10.0.1.0/25", 1}, {NULL, 0}},
         2},
        {"IPv6 touching, same tag",
         {{"2001:db8::/33", 1}, {"2001:db8:8000::/33", 1}, {NULL, 0}},
         1},
        {"IPv6 hole at the very top",
         {{"::/0", 1},
          {"ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 2},
          {NULL, 0}},
         2},
        {"range 10.0.0.1-10.0.0.6 is one interval",
         {{"10.0.0.1-10.0.0.6", 1}, {NULL, 0}},
         1},
    };
    size_t i;
    int failures = 0;

    (void)state;
    for (i = 0; i < NELEM(rows); i++) {
        size_t n = 0;
        addrset *s = NULL;

        while (rows[i].e[n].text != NULL) {
            n++;
        }
        s = set_from(rows[i].e, n);
        assert_non_null(s);
        if (addrset_intervals(s) != rows[i].want) {
            print_error("%s: got %zu intervals, want %zu\n",
                        rows[i].name,
                        addrset_intervals(s),
                        rows[i].want);
            failures++;
        }
        addrset_free(s);
    }
    assert_int_equal(failures, 0);
}

/* ---- differential test against a naive longest-prefix scan ------------- */

static uint64_t rng_state;

static uint64_t rng_next(void)
{
    /* splitmix64 */
    uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);

    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

typedef struct ref_prefix {
    int family;
    uint64_t hi, lo; /* IPv4 in lo's low 32 bits */
    uint64_t mh, ml; /* the prefix mask */
    unsigned len;
    uint16_t tag;
} ref_prefix;

static void ref_mask(unsigned len, unsigned width, uint64_t *mh, uint64_t *ml)
{
    if (width == 32) {
        *mh = 0;
        *ml = len == 0
                  ? 0
                  : (UINT64_C(0xffffffff) << (32 - len)) & UINT64_C(0xffffffff);
        return;
    }
    *mh = len == 0 ? 0 : len >= 64 ? UINT64_MAX : UINT64_MAX << (64 - len);
    *ml = len <= 64 ? 0 : len == 128 ? UINT64_MAX : UINT64_MAX << (128 - len);
}

/* The obviously correct answer: scan every prefix, keep the longest,
 * the lowest tag among equals. */
static int ref_lookup(const ref_prefix *p,
                      size_t n,
                      int family,
                      uint64_t hi,
                      uint64_t lo,
                      size_t *which)
{
    int best_len = -1;
    int best_tag = NONE;
    size_t i;

    for (i = 0; i < n; i++) {
        if (p[i].family != family || (hi & p[i].mh) != p[i].hi ||
            (lo & p[i].ml) != p[i].lo) {
            continue;
        }
        if ((int)p[i].len > best_len ||
            ((int)p[i].len == best_len && p[i].tag < best_tag)) {
            best_len = (int)p[i].len;
            best_tag = p[i].tag;
            *which = i;
        }
    }
    return best_tag;
}

static void to_addr(int family, uint64_t hi, uint64_t lo, ld_addr *a)
{
    int i;

    memset(a, 0, sizeof(*a));
    a->family = (uint8_t)family;
    if (family == AF_INET) {
        for (i = 0; i < 4; i++) {
            a->bytes[i] = (uint8_t)(lo >> (24 - 8 * i));
        }
        return;
    }
    for (i = 0; i < 8; i++) {
        a->bytes[i] = (uint8_t)(hi >> (56 - 8 * i));
        a->bytes[8 + i] = (uint8_t)(lo >> (56 - 8 * i));
    }
}

/* Shapes of random prefix sets, to reach every branch of the sweep. */
enum shape {
    SHAPE_UNIFORM,   /* any length, anywhere: sparse, some huge ones */
    SHAPE_CLUSTERED, /* nested deep inside one block, few tags: merges */
    SHAPE_REALISTIC, /* like the benchmark: /16-/32 v4, /32-/48 v6 */
};

/* Clustered IPv4 sets live in 10.0.0.0/cluster_len4; changing it moves
 * the index between its layouts (how many bits the bucket fixes). */
static unsigned cluster_len4 = 12;

static unsigned random_len(enum shape sh, int family)
{
    unsigned r = (unsigned)(rng_next() % 100);

    if (family == AF_INET) {
        switch (sh) {
        case SHAPE_UNIFORM:
            return (unsigned)(rng_next() % 33);
        case SHAPE_CLUSTERED:
            return cluster_len4 + (unsigned)(rng_next() % (33 - cluster_len4));
        case SHAPE_REALISTIC:
            return r < 70   ? 24
                   : r < 85 ? 16 + (unsigned)(rng_next() % 8)
                            : 25 + (unsigned)(rng_next() % 8);
        }
    }
    switch (sh) {
    case SHAPE_UNIFORM:
        return (unsigned)(rng_next() % 129);
    case SHAPE_CLUSTERED:
        return r < 50 ? 32 + (unsigned)(rng_next() % 33)
                      : 64 + (unsigned)(rng_next() % 65);
    case SHAPE_REALISTIC:
        return 32 + (unsigned)(rng_next() % 17);
    }
    return 0;
}

static void random_prefix(enum shape sh, int family, ref_prefix *p)
{
    unsigned width = family == AF_INET ? 32 : 128;
    uint64_t mh, ml;

    memset(p, 0, sizeof(*p));
    p->family = family;
    p->len = random_len(sh, family);
    p->hi = family == AF_INET ? 0 : rng_next();
    p->lo = family == AF_INET ? rng_next() & 0xffffffffu : rng_next();
    if (sh == SHAPE_CLUSTERED) {
        /* Everything inside 10.0.0.0/cluster_len4 or 2001:db8::/32. */
        if (family == AF_INET) {
            p->lo = (p->lo & (0xffffffffu >> cluster_len4)) | 0x0a000000u;
        } else {
            p->hi = (p->hi & 0xffffffffu) | UINT64_C(0x20010db800000000);
        }
    } else if (sh == SHAPE_REALISTIC && family == AF_INET6) {
        p->hi = (p->hi & UINT64_C(0x1fffffffffffffff)) |
                UINT64_C(0x2000000000000000);
    }
    /* Some start on round addresses, so that intervals end right at the
     * first address of an index bucket. */
    if (rng_next() % 6 == 0) {
        if (family == AF_INET) {
            p->lo &= 0xffffffffu << (rng_next() % 24);
        } else {
            p->lo = 0;
            p->hi &= UINT64_MAX << (rng_next() % 48);
        }
    }
    ref_mask(p->len, width, &mh, &ml);
    p->hi &= mh;
    p->lo &= ml;
    p->mh = mh;
    p->ml = ml;
    p->tag =
        (uint16_t)(sh == SHAPE_CLUSTERED ? rng_next() % 4 : rng_next() % 1000);
}

static void add_delta(int family, uint64_t *hi, uint64_t *lo, int delta)
{
    if (family == AF_INET) {
        *lo = (*lo + (uint64_t)(int64_t)delta) & 0xffffffffu;
        return;
    }
    if (delta > 0) {
        if (++*lo == 0) {
            ++*hi;
        }
    } else if (delta < 0) {
        if ((*lo)-- == 0) {
            --*hi;
        }
    }
}

static const char *shape_name(enum shape sh)
{
    return sh == SHAPE_UNIFORM     ? "uniform"
           : sh == SHAPE_CLUSTERED ? "clustered"
                                   : "realistic";
}

/*
 * One round: n prefixes of one shape and family, then queries on every
 * prefix's edges (lo-1, lo, hi, hi+1), inside random prefixes, and at
 * random; IPv4 queries are also asked in their mapped form.
 */
static size_t differential_round(enum shape sh,
                                 int family,
                                 size_t n,
                                 size_t nrandom,
                                 uint64_t seed,
                                 int *failures)
{
    ref_prefix *p = calloc(n, sizeof(*p));
    addrset_builder *b = addrset_builder_new();
    addrset *s = NULL;
    unsigned width = family == AF_INET ? 32 : 128;
    size_t i;
    size_t queries = 0;
    size_t nq = 4 * n + nrandom;

    assert_non_null(p);
    assert_non_null(b);
    rng_state = seed;
    for (i = 0; i < n; i++) {
        ld_prefix lp;

        random_prefix(sh, family, &p[i]);
        memset(&lp, 0, sizeof(lp));
        to_addr(family, p[i].hi, p[i].lo, &lp.addr);
        lp.len = (uint8_t)p[i].len;
        assert_int_equal(addrset_builder_add(b, &lp, p[i].tag), 0);
    }
    s = addrset_build(b);
    assert_non_null(s);
    assert_int_equal(addrset_prefixes(s), n);

    for (i = 0; i < nq && *failures == 0; i++) {
        uint64_t qh = 0, ql = 0;
        ld_addr a;
        uint16_t tag = 0;
        int got, want;
        size_t which = 0;
        int mapped;

        if (i < 4 * n) {
            const ref_prefix *e = &p[i / 4];
            uint64_t mh, ml;

            ref_mask(e->len, width, &mh, &ml);
            qh = e->hi;
            ql = e->lo;
            if (i % 4 >= 2) { /* hi */
                qh |= ~mh;
                ql |= family == AF_INET ? (~ml & 0xffffffffu) : ~ml;
            }
            add_delta(family, &qh, &ql, i % 4 == 0 ? -1 : i % 4 == 3 ? 1 : 0);
        } else if (i % 2 == 0) {
            const ref_prefix *e = &p[rng_next() % n];
            uint64_t mh, ml;

            ref_mask(e->len, width, &mh, &ml);
            qh = e->hi | (rng_next() & ~mh);
            ql = e->lo | (rng_next() & ~ml);
            if (family == AF_INET) {
                ql &= 0xffffffffu;
            }
        } else {
            qh = family == AF_INET ? 0 : rng_next();
            ql = family == AF_INET ? rng_next() & 0xffffffffu : rng_next();
            if (sh == SHAPE_CLUSTERED && family == AF_INET) {
                /* Inside the cluster's block and the one after it. */
                ql = (ql & (0xffffffffu >> (cluster_len4 - 1))) | 0x0a000000u;
            } else if (sh == SHAPE_CLUSTERED) {
                qh =
                    (qh & UINT64_C(0x1ffffffff)) | UINT64_C(0x20010db800000000);
            }
        }
        for (mapped = 0; mapped <= (family == AF_INET); mapped++) {
            to_addr(family, qh, ql, &a);
            if (mapped) {
                /* ::ffff:a.b.c.d must answer like a.b.c.d */
                memmove(a.bytes + 12, a.bytes, 4);
                memset(a.bytes, 0, 10);
                a.bytes[10] = 0xff;
                a.bytes[11] = 0xff;
                a.family = AF_INET6;
            }
            want = ref_lookup(p, n, family, qh, ql, &which);
            got = addrset_lookup(s, &a, &tag) ? tag : NONE;
            queries++;
            if (got != want) {
                char qa[LD_ADDRSTRLEN], pa[LD_ADDRSTRLEN];
                ld_addr wa;

                addr_format(&a, qa, sizeof(qa));
                if (want != NONE) {
                    to_addr(family, p[which].hi, p[which].lo, &wa);
                    addr_format(&wa, pa, sizeof(pa));
                }
                print_error("differential mismatch: shape %s, family %s, "
                            "seed %#llx, %zu prefixes, query #%zu %s:\n  "
                            "got  %d\n  want %d (from %s/%u, the longest of "
                            "the naive scan)\n  set: %zu intervals\n",
                            shape_name(sh),
                            family == AF_INET ? "IPv4" : "IPv6",
                            (unsigned long long)seed,
                            n,
                            i,
                            qa,
                            got,
                            want,
                            want == NONE ? "nothing" : pa,
                            want == NONE ? 0 : p[which].len,
                            addrset_intervals(s));
                (*failures)++;
                break;
            }
        }
    }
    addrset_free(s);
    free(p);
    return queries;
}

static void test_differential(void **state)
{
    static const enum shape shapes[] = {
        SHAPE_UNIFORM, SHAPE_CLUSTERED, SHAPE_REALISTIC};
    size_t i;
    int f;
    int failures = 0;
    size_t queries = 0;

    (void)state;
    for (i = 0; i < NELEM(shapes) && failures == 0; i++) {
        for (f = 0; f < 2 && failures == 0; f++) {
            int family = f == 0 ? AF_INET : AF_INET6;

            queries += differential_round(shapes[i],
                                          family,
                                          1200,
                                          10000,
                                          0x5eed0000u + i * 2 + (unsigned)f,
                                          &failures);
        }
    }
    /* Clusters of other sizes: the index fixes fewer or more of the top
     * bits, and the interval ends are stored in 16 or 32 bits. */
    for (i = 0; i < 10 && failures == 0; i++) {
        static const unsigned lens[] = {8, 11, 14, 16, 20};

        cluster_len4 = lens[i % 5];
        queries += differential_round(SHAPE_CLUSTERED,
                                      AF_INET,
                                      i < 5 ? 100 : 700,
                                      2000,
                                      0xc1u + i,
                                      &failures);
    }
    cluster_len4 = 12;
    /* Small sets skip the first-level index: check that path too. */
    for (i = 0; i < 40 && failures == 0; i++) {
        queries += differential_round(shapes[i % 3],
                                      i % 2 ? AF_INET6 : AF_INET,
                                      1 + i,
                                      400,
                                      0xab5e0000u + i,
                                      &failures);
    }
    assert_int_equal(failures, 0);
    assert_true(queries >= 100000);
}

/* ---- concurrent readers ------------------------------------------------- */

struct reader {
    const addrset *s;
    int errors;
};

static void *reader_run(void *arg)
{
    struct reader *r = arg;
    uint32_t i;

    for (i = 0; i < 50000; i++) {
        ld_addr a;
        uint16_t tag = 0;
        bool found;
        uint32_t v = 0x0a000000u + (i * 2654435761u) % 0x00200000u;

        memset(&a, 0, sizeof(a));
        a.family = AF_INET;
        a.bytes[0] = (uint8_t)(v >> 24);
        a.bytes[1] = (uint8_t)(v >> 16);
        a.bytes[2] = (uint8_t)(v >> 8);
        a.bytes[3] = (uint8_t)v;
        found = addrset_lookup(r->s, &a, &tag);
        /* 10.0.0.0/12 tag 1, 10.16.0.0/12 absent; /24s with even third
         * byte inside 10.0/12 tag 2. */
        if (v < 0x0a100000u) {
            int want = ((v >> 8) & 1) == 0 ? 2 : 1;

            if (!found || tag != want) {
                r->errors++;
            }
        } else if (found) {
            r->errors++;
        }
    }
    return NULL;
}

static void test_concurrent_readers(void **state)
{
    addrset_builder *b = addrset_builder_new();
    addrset *s = NULL;
    pthread_t th[4];
    struct reader rd[4];
    ld_prefix p;
    uint32_t k;
    int i;

    (void)state;
    assert_non_null(b);
    prefix_of("10.0.0.0", 12, &p);
    assert_int_equal(addrset_builder_add(b, &p, 1), 0);
    for (k = 0; k < 0x1000; k += 2) {
        memset(&p, 0, sizeof(p));
        p.addr.family = AF_INET;
        p.addr.bytes[0] = 10;
        p.addr.bytes[1] = (uint8_t)(k >> 8);
        p.addr.bytes[2] = (uint8_t)k;
        p.len = 24;
        assert_int_equal(addrset_builder_add(b, &p, 2), 0);
    }
    s = addrset_build(b);
    assert_non_null(s);
    for (i = 0; i < 4; i++) {
        rd[i].s = s;
        rd[i].errors = 0;
        assert_int_equal(pthread_create(&th[i], NULL, reader_run, &rd[i]), 0);
    }
    for (i = 0; i < 4; i++) {
        assert_int_equal(pthread_join(th[i], NULL), 0);
        if (rd[i].errors != 0) {
            print_error(
                "reader %d: got %d wrong answers, want 0\n", i, rd[i].errors);
        }
        assert_int_equal(rd[i].errors, 0);
    }
    addrset_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_profiles),
        cmocka_unit_test(test_edge_table),
        cmocka_unit_test(test_edge_unknown_clients),
        cmocka_unit_test(test_edge_rejected_inputs),
        cmocka_unit_test(test_builder),
        cmocka_unit_test(test_intervals),
        cmocka_unit_test(test_differential),
        cmocka_unit_test(test_concurrent_readers),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
