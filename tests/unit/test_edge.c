/*
 * test_edge.c - the address edge-case table, end to end through
 * the public APIs: a config from config_load_string(), the client's socket
 * address through addr_from_sockaddr() as the daemon converts it, and
 * policy_connect(). test_addr, test_addrset and test_policy check each
 * layer; this table checks that the layers agree on every edge case:
 *
 *   ::ffff:a.b.c.d is the IPv4 client; ::a.b.c.d, 64:ff9b::/96 and
 *   2002::/16 name a translator and match only IPv6 entries; NULL address,
 *   AF_UNIX and AF_UNSPEC are unknown clients; 0.0.0.0/0 and ::/0 entries
 *   cover one family each; /32 and /128 cover exactly one address;
 *   overlapping entries: the longest prefix wins, equal ones the first;
 *   octal, hex, short, zone-id, white space, mapped, host-bits and
 *   out-of-range inputs refuse the whole config with file:line:col.
 *
 * Every row runs and prints got/want before the test fails.
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
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "addr.h"
#include "config.h"
#include "policy.h"
#include "testutil.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* One provider, documentation prefixes only (RFC 5737, RFC 3849). */
static const char provider_yaml[] = "name: Edge\n"
                                    "source: test\n"
                                    "ranges: [192.0.2.0/24, "
                                    "\"2001:db8:e::/48\"]\n"
                                    "relay: true\n";

/*
 * The configs. HEAD is 7 lines: the first trusted entry's "ranges:" is
 * line 9, where the refusal rows put their bad text (see bad_rows).
 */
#define HEAD                                                                   \
    "mode: enforce\n"                                                          \
    "providers_dir: providers\n"                                               \
    "providers:\n"                                                             \
    "  edge: enabled\n"                                                        \
    "scope:\n"                                                                 \
    "  ports: [25]\n"                                                          \
    "trusted:\n"

static const struct {
    const char *name;
    const char *yaml;
} configs[] = {
    /* clang-format off */
    {"hosts", HEAD
     "  - name: host4\n"
     "    ranges: [198.51.100.7/32]\n"
     "  - name: host6\n"
     "    ranges: [\"2001:db8::7/128\"]\n"
     "  - name: copier\n"          /* inside the provider: longer wins */
     "    ranges: [192.0.2.40]\n"
     "  - name: same\n"            /* equal to the provider: first wins */
     "    ranges: [192.0.2.0/24]\n"
     "  - name: half\n"            /* overlaps host4's /32 */
     "    ranges: [198.51.100.0/25, \"198.51.100.7-198.51.100.9\"]\n"},
    {"nat64", HEAD
     "  - name: nat64\n"
     "    ranges: [\"64:ff9b::/96\"]\n"},
    {"6to4", HEAD
     "  - name: sixtofour\n"
     "    ranges: [\"2002::/16\"]\n"},
    {"compat", HEAD
     "  - name: compat\n"
     "    ranges: [\"::/96\"]\n"},
    {"all4", HEAD
     "  - name: all4\n"
     "    ranges: [0.0.0.0/0]\n"},
    {"all6", HEAD
     "  - name: all6\n"
     "    ranges: [\"::/0\"]\n"},
    /* clang-format on */
};

enum sa_kind { SA_IN, SA_IN6, SA_NULL, SA_UNIX, SA_UNSPEC };

static const struct edge_row {
    const char *config;
    enum sa_kind kind;
    const char *addr; /* text for inet_pton (mapped text allowed here) */
    int port;
    enum ld_action want;
    enum ld_reason reason;
    const char *entry; /* matched entry name, NULL for none */
} rows[] = {
    /* clang-format off */
    /* IPv4-mapped: the IPv4 client, never slips past an IPv4 entry. */
    {"hosts", SA_IN6, "::ffff:192.0.2.1", 25, LD_ACCEPT, LD_REASON_PROVIDER, "edge"},
    {"hosts", SA_IN6, "::ffff:198.51.100.7", 25, LD_ACCEPT, LD_REASON_TRUSTED,
     "host4"},
    {"hosts", SA_IN6, "::ffff:203.0.113.1", 25, LD_REJECT, LD_REASON_NOT_LISTED,
     NULL},
    {"hosts", SA_IN6, "::ffff:0.0.0.0", 25, LD_REJECT, LD_REASON_NOT_LISTED, NULL},
    /* IPv4-compatible, NAT64, 6to4 of a listed IPv4 client: not it. */
    {"hosts", SA_IN6, "::192.0.2.1", 25, LD_REJECT, LD_REASON_NOT_LISTED, NULL},
    {"hosts", SA_IN6, "64:ff9b::192.0.2.1", 25, LD_REJECT, LD_REASON_NOT_LISTED,
     NULL},
    {"hosts", SA_IN6, "2002:c000:201::1", 25, LD_REJECT, LD_REASON_NOT_LISTED, NULL},
    /* ... and entries for them match them, never the IPv4 client. */
    {"nat64", SA_IN6, "64:ff9b::203.0.113.1", 25, LD_ACCEPT, LD_REASON_TRUSTED,
     "nat64"},
    {"nat64", SA_IN6, "64:ff9b::1:0:0", 25, LD_REJECT, LD_REASON_NOT_LISTED, NULL},
    {"nat64", SA_IN, "203.0.113.1", 25, LD_REJECT, LD_REASON_NOT_LISTED, NULL},
    {"nat64", SA_IN6, "::ffff:203.0.113.1", 25, LD_REJECT, LD_REASON_NOT_LISTED,
     NULL},
    {"6to4", SA_IN6, "2002:cb00:7101::1", 25, LD_ACCEPT, LD_REASON_TRUSTED,
     "sixtofour"},
    {"6to4", SA_IN6, "2003::1", 25, LD_REJECT, LD_REASON_NOT_LISTED, NULL},
    {"6to4", SA_IN, "203.0.113.1", 25, LD_REJECT, LD_REASON_NOT_LISTED, NULL},
    {"compat", SA_IN6, "::203.0.113.1", 25, LD_ACCEPT, LD_REASON_TRUSTED, "compat"},
    {"compat", SA_IN, "203.0.113.1", 25, LD_REJECT, LD_REASON_NOT_LISTED, NULL},
    {"compat", SA_IN6, "::ffff:203.0.113.1", 25, LD_REJECT, LD_REASON_NOT_LISTED,
     NULL},
    /* Unknown clients (unknown_client defaults to tempfail). */
    {"hosts", SA_NULL, NULL, 25, LD_TEMPFAIL, LD_REASON_UNKNOWN_CLIENT, NULL},
    {"hosts", SA_UNIX, NULL, 25, LD_TEMPFAIL, LD_REASON_UNKNOWN_CLIENT, NULL},
    {"hosts", SA_UNSPEC, NULL, 25, LD_TEMPFAIL, LD_REASON_UNKNOWN_CLIENT, NULL},
    {"all4", SA_NULL, NULL, 25, LD_TEMPFAIL, LD_REASON_UNKNOWN_CLIENT, NULL},
    {"all6", SA_UNIX, NULL, 25, LD_TEMPFAIL, LD_REASON_UNKNOWN_CLIENT, NULL},
    /* ... but not judged on an unlocked port. */
    {"hosts", SA_NULL, NULL, 587, LD_ACCEPT, LD_REASON_PORT_NOT_LOCKED, NULL},
    /* /32 and /128: exactly one address. */
    {"hosts", SA_IN, "198.51.100.7", 25, LD_ACCEPT, LD_REASON_TRUSTED, "host4"},
    {"hosts", SA_IN, "198.51.100.128", 25, LD_REJECT, LD_REASON_NOT_LISTED, NULL},
    {"hosts", SA_IN6, "2001:db8::7", 25, LD_ACCEPT, LD_REASON_TRUSTED, "host6"},
    {"hosts", SA_IN6, "2001:db8::6", 25, LD_REJECT, LD_REASON_NOT_LISTED, NULL},
    {"hosts", SA_IN6, "2001:db8::8", 25, LD_REJECT, LD_REASON_NOT_LISTED, NULL},
    {"hosts", SA_IN6, "fe80::7", 25, LD_REJECT, LD_REASON_NOT_LISTED, NULL},
    /* Overlapping: the longest prefix wins, equal prefixes the first. */
    {"hosts", SA_IN, "192.0.2.40", 25, LD_ACCEPT, LD_REASON_TRUSTED, "copier"},
    {"hosts", SA_IN, "192.0.2.39", 25, LD_ACCEPT, LD_REASON_PROVIDER, "edge"},
    {"hosts", SA_IN, "192.0.2.41", 25, LD_ACCEPT, LD_REASON_PROVIDER, "edge"},
    {"hosts", SA_IN, "192.0.2.255", 25, LD_ACCEPT, LD_REASON_PROVIDER, "edge"},
    {"hosts", SA_IN, "198.51.100.6", 25, LD_ACCEPT, LD_REASON_TRUSTED, "half"},
    {"hosts", SA_IN, "198.51.100.8", 25, LD_ACCEPT, LD_REASON_TRUSTED, "half"},
    {"hosts", SA_IN, "198.51.100.9", 25, LD_ACCEPT, LD_REASON_TRUSTED, "half"},
    {"hosts", SA_IN, "198.51.100.127", 25, LD_ACCEPT, LD_REASON_TRUSTED, "half"},
    {"hosts", SA_IN6, "2001:db8:e:ffff::1", 25, LD_ACCEPT, LD_REASON_PROVIDER,
     "edge"},
    /* 0.0.0.0/0: every IPv4 and mapped client, no IPv6 one. */
    {"all4", SA_IN, "0.0.0.0", 25, LD_ACCEPT, LD_REASON_TRUSTED, "all4"},
    {"all4", SA_IN, "255.255.255.255", 25, LD_ACCEPT, LD_REASON_TRUSTED, "all4"},
    {"all4", SA_IN6, "::ffff:203.0.113.1", 25, LD_ACCEPT, LD_REASON_TRUSTED, "all4"},
    {"all4", SA_IN, "192.0.2.1", 25, LD_ACCEPT, LD_REASON_PROVIDER, "edge"},
    {"all4", SA_IN6, "2001:db8::1", 25, LD_REJECT, LD_REASON_NOT_LISTED, NULL},
    {"all4", SA_IN6, "::203.0.113.1", 25, LD_REJECT, LD_REASON_NOT_LISTED, NULL},
    {"all4", SA_IN6, "64:ff9b::203.0.113.1", 25, LD_REJECT, LD_REASON_NOT_LISTED,
     NULL},
    /* ::/0: every IPv6 client, translators included, no IPv4 one. */
    {"all6", SA_IN6, "::", 25, LD_ACCEPT, LD_REASON_TRUSTED, "all6"},
    {"all6", SA_IN6, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 25, LD_ACCEPT,
     LD_REASON_TRUSTED, "all6"},
    {"all6", SA_IN6, "64:ff9b::203.0.113.1", 25, LD_ACCEPT, LD_REASON_TRUSTED,
     "all6"},
    {"all6", SA_IN6, "2002:cb00:7101::1", 25, LD_ACCEPT, LD_REASON_TRUSTED, "all6"},
    {"all6", SA_IN6, "2001:db8:e::1", 25, LD_ACCEPT, LD_REASON_PROVIDER, "edge"},
    {"all6", SA_IN, "203.0.113.1", 25, LD_REJECT, LD_REASON_NOT_LISTED, NULL},
    {"all6", SA_IN6, "::ffff:203.0.113.1", 25, LD_REJECT, LD_REASON_NOT_LISTED, NULL},
    /* clang-format on */
};

/* Inputs that must refuse the config, at line 9, column 14. */
static const struct bad_row {
    const char *range;  /* as written in the YAML flow sequence */
    const char *quoted; /* how the message quotes it */
    const char *why;    /* a phrase the message must hold */
} bad_rows[] = {
    /* clang-format off */
    {"\"010.1.1.1\"", "\"010.1.1.1\"", "octal"},
    {"\"1.2.3.010\"", "\"1.2.3.010\"", "octal"},
    {"\"0x7f.0.0.1\"", "\"0x7f.0.0.1\"", "hex"},
    {"\"1.2.3\"", "\"1.2.3\"", "short form"},
    {"\"127.1\"", "\"127.1\"", "short form"},
    {"\"fe80::1%eth0\"", "\"fe80::1%eth0\"", "zone id"},
    {"\" 1.2.3.4\"", "\" 1.2.3.4\"", "white space"},
    {"\"1.2.3.4 \"", "\"1.2.3.4 \"", "white space"},
    {"\"1.2.3.4\\t\"", "\"1.2.3.4\\t\"", "control characters"},
    {"\"::ffff:1.2.3.4\"", "\"::ffff:1.2.3.4\"", "IPv4-mapped"},
    {"\"199.89.0.1/21\"", "\"199.89.0.1/21\"",
     "did you mean \"199.89.0.0/21\""},
    {"\"2001:db8::1/64\"", "\"2001:db8::1/64\"",
     "did you mean \"2001:db8::/64\""},
    {"\"1.2.3.4/33\"", "\"1.2.3.4/33\"", "out of range"},
    {"\"::/129\"", "\"::/129\"", "out of range"},
    {"\"1.2.3.4-1.2.3.3\"", "\"1.2.3.4-1.2.3.3\"", ""},
    {"\"1.2.3.4-::1\"", "\"1.2.3.4-::1\"", ""},
    {"\"199.89.0.0/255.0.255.0\"", "\"199.89.0.0/255.0.255.0\"", ""},
    /* clang-format on */
};

static char tmpdir[] = "/tmp/test_edge.XXXXXX";

static int setup(void **state)
{
    static const testutil_profile edge = {"edge", provider_yaml};

    (void)state;
    return testutil_providers_make(tmpdir, &edge, 1);
}

static int teardown(void **state)
{
    (void)state;
    testutil_rm_rf(tmpdir);
    return 0;
}

static const char *config_yaml(const char *name)
{
    size_t i;

    for (i = 0; i < NELEM(configs); i++) {
        if (strcmp(configs[i].name, name) == 0) {
            return configs[i].yaml;
        }
    }
    fail_msg("no config \"%s\"", name);
    return NULL;
}

static const char *action_name(enum ld_action a)
{
    return policy_action_name(a);
}

/* Build the socket address libmilter would hand over; NULL for none. */
static const struct sockaddr *row_sockaddr(const struct edge_row *r,
                                           struct sockaddr_storage *ss)
{
    struct sockaddr_in *sin = (struct sockaddr_in *)ss;
    struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;
    struct sockaddr_un *sun_ = (struct sockaddr_un *)ss;

    memset(ss, 0, sizeof(*ss));
    switch (r->kind) {
    case SA_IN:
        sin->sin_family = AF_INET;
        sin->sin_port = htons(40000);
        assert_int_equal(inet_pton(AF_INET, r->addr, &sin->sin_addr), 1);
        break;
    case SA_IN6:
        sin6->sin6_family = AF_INET6;
        sin6->sin6_port = htons(40000);
        assert_int_equal(inet_pton(AF_INET6, r->addr, &sin6->sin6_addr), 1);
        break;
    case SA_NULL:
        return NULL;
    case SA_UNIX:
        sun_->sun_family = AF_UNIX;
        strcpy(sun_->sun_path, "/run/x.sock");
        break;
    case SA_UNSPEC:
        ss->ss_family = AF_UNSPEC;
        break;
    }
    return (const struct sockaddr *)ss;
}

static void test_edge_connect(void **state)
{
    size_t i, failures = 0;

    (void)state;
    for (i = 0; i < NELEM(rows); i++) {
        const struct edge_row *r = &rows[i];
        char err[LD_ERRLEN];
        ld_config *c = NULL;
        struct sockaddr_storage ss;
        const struct sockaddr *sa = row_sockaddr(r, &ss);
        ld_addr a;
        ld_conn_facts f = {0};
        ld_session s;
        ld_verdict v;
        const char *got_entry = NULL;

        c = config_load_string(
            config_yaml(r->config), "edge.yaml", tmpdir, err, sizeof(err));
        if (c == NULL) {
            fail_msg("config %s: %s", r->config, err);
        }
        memset(&f, 0, sizeof(f));
        f.addr = addr_from_sockaddr(sa, &a) == 0 ? &a : NULL;
        f.port = r->port;
        memset(&s, 0, sizeof(s));
        policy_connect(c, &f, &s, &v);
        if (v.entry >= 0 && (size_t)v.entry < c->nentries) {
            got_entry = c->entries[v.entry].name;
        }
        if (v.action != r->want || v.reason != r->reason ||
            (got_entry == NULL) != (r->entry == NULL) ||
            (got_entry != NULL && strcmp(got_entry, r->entry) != 0)) {
            print_error("row %zu: config %s, client %s port %d:\n"
                        "  got  %s %s %s\n  want %s %s %s\n",
                        i,
                        r->config,
                        r->addr ? r->addr : "(none)",
                        r->port,
                        action_name(v.action),
                        reason_name(v.reason),
                        got_entry ? got_entry : "-",
                        action_name(r->want),
                        reason_name(r->reason),
                        r->entry ? r->entry : "-");
            failures++;
        }
        config_free(c);
    }
    assert_int_equal(failures, 0);
}

/*
 * HEAD and one trusted entry whose range is the bad text: line 9, column
 * 14 ("    ranges: [" is 13 characters).
 */
static void test_edge_refused(void **state)
{
    size_t i, failures = 0;

    (void)state;
    for (i = 0; i < NELEM(bad_rows); i++) {
        const struct bad_row *r = &bad_rows[i];
        char yaml[1024], err[LD_ERRLEN], want[256];
        ld_config *c = NULL;

        snprintf(yaml,
                 sizeof(yaml),
                 "%s  - name: bad\n    ranges: [%s]\n",
                 HEAD,
                 r->range);
        snprintf(want,
                 sizeof(want),
                 "edge.yaml:9:14: trusted[0].ranges: %s",
                 r->quoted);
        err[0] = '\0';
        c = config_load_string(yaml, "edge.yaml", tmpdir, err, sizeof(err));
        if (c != NULL || strncmp(err, want, strlen(want)) != 0 ||
            strstr(err, r->why) == NULL) {
            print_error("row %zu: range %s:\n  got  %s%s\n  want %s ...%s\n",
                        i,
                        r->range,
                        c != NULL ? "(loaded) " : "",
                        err,
                        want,
                        r->why);
            failures++;
        }
        config_free(c);
    }
    assert_int_equal(failures, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_edge_connect),
        cmocka_unit_test(test_edge_refused),
    };

    return cmocka_run_group_tests(tests, setup, teardown);
}
