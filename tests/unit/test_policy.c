/*
 * test_policy.c - every branch of the lockdown policy, table-driven over
 * configs loaded from inline YAML (plus the shipped etc/lockdown.yaml), and
 * policy_rcpt_domain().
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/socket.h>
#include <unistd.h>

#include "addr.h"
#include "config.h"
#include "policy.h"
#include "testutil.h"

/*
 * Test profiles, written to a temporary providers directory. Documentation
 * prefixes only (RFC 5737, RFC 3849) plus 100.64.0.0/10.
 */
static const testutil_profile test_profiles[] = {
    /* clang-format off */
    {"alpha", "name: Alpha\n"
              "source: test\n"
              "ranges: [192.0.2.0/24, \"2001:db8:a::/48\"]\n"
              "relay: true\n"
              "hostnames: [\"*.alpha.example\", mx.alpha-mail.example]\n"},
    {"beta", "name: Beta\n"
             "source: test\n"
             "ranges: [198.51.100.0/24]\n"
             "relay: false\n"
             "hostnames: [\"*.beta.example\"]\n"},
    {"gamma", "name: Gamma\n"
              "source: test\n"
              "ranges: [203.0.113.0/25]\n"
              "relay: false\n"
              "mode: monitor\n"},
    {"delta", "name: Delta\n"
              "source: test\n"
              "ranges: [203.0.113.128-203.0.113.255]\n"
              "relay: true\n"},
    {"epsilon", "name: Epsilon\n"
                "source: test\n"
                "ranges: [100.64.0.0/255.192.0.0]\n"
                "relay: false\n"
                "mode: enforce\n"},
    /* clang-format on */
};

/* A literal, so that -Wformat-nonliteral stays quiet. */
#define TEST_YAML                                                              \
    "mode: %s\n"                                                               \
    "providers_dir: providers\n"                                               \
    "providers:\n"                                                             \
    "  alpha: %s\n"                                                            \
    "  beta: %s\n"                                                             \
    "  gamma: %s\n"                                                            \
    "  delta: disabled\n"                                                      \
    "  epsilon: %s\n"                                                          \
    "trusted:\n"                                                               \
    "  - name: lan\n"                                                          \
    "    ranges: [10.0.0.0/8]\n"                                               \
    "  - name: fax\n"                                                          \
    "    ranges: [10.1.2.3]\n"                                                 \
    "    relay: true\n"                                                        \
    "  - name: lab6\n"                                                         \
    "    ranges: [\"2001:db8:f::/64\"]\n"                                      \
    "    relay: true\n"                                                        \
    "scope:\n"                                                                 \
    "  ports: %s\n"                                                            \
    "refuse:\n"                                                                \
    "  at: %s\n"                                                               \
    "  reply: \"554 5.7.1 Use the filter\"\n"                                  \
    "unknown_client: %s\n"                                                     \
    "relay:\n"                                                                 \
    "  local_domains: %s\n"                                                    \
    "  authenticated: %s\n"                                                    \
    "  reply: \"554 5.7.2 Relay denied here\"\n"

/* The configs the rows refer to: each differs from "base" in a column. */
#define DOMAINS "[example.com, example.net]"
static const struct {
    const char *name;
    const char *mode, *ab, *gamma, *epsilon, *ports, *at, *unknown, *domains,
        *auth;
} test_configs[] = {
    /* clang-format off */
    /* name, mode, alpha and beta, gamma, epsilon, ports, refuse.at,
     * unknown_client, local_domains, relay.authenticated */
    {"base", "enforce", "enabled", "disabled", "disabled", "[25]", "connect",
     "tempfail", DOMAINS, "true"},
    {"allports", "enforce", "enabled", "disabled", "disabled", "[]",
     "connect", "tempfail", DOMAINS, "true"},
    {"mail", "enforce", "enabled", "disabled", "disabled", "[25]", "mail",
     "tempfail", DOMAINS, "true"},
    {"noauth", "enforce", "enabled", "disabled", "disabled", "[25]", "mail",
     "tempfail", DOMAINS, "false"},
    {"norelay", "enforce", "enabled", "disabled", "disabled", "[25, 2525]",
     "connect", "tempfail", "[]", "true"},
    {"monitor", "monitor", "enabled", "disabled", "enabled", "[25]",
     "connect", "tempfail", DOMAINS, "true"},
    {"monmail", "monitor", "enabled", "disabled", "disabled", "[25]", "mail",
     "tempfail", DOMAINS, "true"},
    {"monnoprov", "monitor", "disabled", "disabled", "enabled", "[25]",
     "connect", "tempfail", DOMAINS, "true"},
    {"permon", "enforce", "enabled", "enabled", "disabled", "[25]", "connect",
     "tempfail", DOMAINS, "true"},
    {"unkreject", "enforce", "enabled", "disabled", "disabled", "[25]",
     "connect", "reject", DOMAINS, "true"},
    {"unkaccept", "enforce", "enabled", "disabled", "disabled", "[25]",
     "connect", "accept", DOMAINS, "true"},
    /* clang-format on */
};

#define NCONFIGS (sizeof(test_configs) / sizeof(test_configs[0]))

/* The shipped profiles, all enabled, with the shipped trusted entry. */
static const char all_shipped_yaml[] = "mode: enforce\n"
                                       "providers_dir: providers\n"
                                       "providers:\n"
                                       "  mailroute: enabled\n"
                                       "  postini: enabled\n"
                                       "  arrowmail: enabled\n"
                                       "trusted:\n"
                                       "  - name: loopback\n"
                                       "    ranges: [127.0.0.0/8, \"::1\"]\n"
                                       "    relay: true\n"
                                       "scope:\n"
                                       "  ports: [25]\n";

typedef struct fixture {
    char dir[64];
    ld_config *configs[NCONFIGS];
    ld_config *shipped;
    ld_config *all_shipped;
} fixture;

static ld_config *load_test_config(const fixture *fx, size_t i)
{
    char yaml[4096];
    char name[64];

    snprintf(yaml,
             sizeof(yaml),
             TEST_YAML,
             test_configs[i].mode,
             test_configs[i].ab,
             test_configs[i].ab,
             test_configs[i].gamma,
             test_configs[i].epsilon,
             test_configs[i].ports,
             test_configs[i].at,
             test_configs[i].unknown,
             test_configs[i].domains,
             test_configs[i].auth);
    snprintf(name, sizeof(name), "%s.yaml", test_configs[i].name);
    return testutil_config_load(yaml, name, fx->dir);
}

static int group_setup(void **state)
{
    fixture *fx = calloc(1, sizeof(*fx));
    char err[LD_ERRLEN];
    size_t i;

    if (fx == NULL) {
        return -1;
    }
    *state = fx;
    snprintf(fx->dir, sizeof(fx->dir), "/tmp/test_policy.XXXXXX");
    if (testutil_providers_make(fx->dir,
                                test_profiles,
                                sizeof(test_profiles) /
                                    sizeof(test_profiles[0])) != 0) {
        return -1;
    }
    for (i = 0; i < NCONFIGS; i++) {
        fx->configs[i] = load_test_config(fx, i);
        if (fx->configs[i] == NULL) {
            return -1;
        }
    }
    fx->shipped =
        config_load_file(LD_SOURCE_DIR "/etc/lockdown.yaml", err, sizeof(err));
    if (fx->shipped == NULL) {
        print_error("shipped config: %s\n", err);
        return -1;
    }
    fx->all_shipped = config_load_string(
        all_shipped_yaml, "all.yaml", LD_SOURCE_DIR "/etc", err, sizeof(err));
    if (fx->all_shipped == NULL) {
        print_error("all-shipped config: %s\n", err);
        return -1;
    }
    return 0;
}

static int group_teardown(void **state)
{
    fixture *fx = *state;

    if (fx == NULL) {
        return 0;
    }
    testutil_configs_free(fx->configs, NCONFIGS);
    if (fx->shipped != NULL) {
        config_free(fx->shipped);
    }
    if (fx->all_shipped != NULL) {
        config_free(fx->all_shipped);
    }
    testutil_rm_rf(fx->dir);
    free(fx);
    return 0;
}

static const ld_config *fixture_config(const fixture *fx, const char *name)
{
    size_t i;

    if (strcmp(name, "shipped") == 0) {
        return fx->shipped;
    }
    if (strcmp(name, "all-shipped") == 0) {
        return fx->all_shipped;
    }
    for (i = 0; i < NCONFIGS; i++) {
        if (strcmp(test_configs[i].name, name) == 0) {
            return fx->configs[i];
        }
    }
    fail_msg("no test config \"%s\"", name);
    return NULL;
}

/*
 * A client as the rows write it: NULL is an unknown client, "odd" an
 * address of a family the policy does not know; IPv4-mapped text is kept
 * as raw IPv6 (not normalised) so the policy's own normalisation is tested.
 */
static const ld_addr *row_addr(const char *row, const char *text, ld_addr *buf)
{
    char err[LD_ERRLEN];
    struct in6_addr a6;

    if (text == NULL) {
        return NULL;
    }
    memset(buf, 0, sizeof(*buf));
    if (strcmp(text, "odd") == 0) {
        buf->family = AF_UNIX;
        return buf;
    }
    if (addr_parse(text, buf, err, sizeof(err)) == 0) {
        return buf;
    }
    if (inet_pton(AF_INET6, text, &a6) == 1) {
        buf->family = AF_INET6;
        memcpy(buf->bytes, &a6, 16);
        return buf;
    }
    fail_msg("%s: bad address in the table: %s", row, err);
    return NULL;
}

static const char *entry_name(const ld_config *c, int i)
{
    if (i < 0) {
        return "-";
    }
    if ((size_t)i >= c->nentries) {
        return "(out of range)";
    }
    return c->entries[i].name;
}

static bool action_refuses(enum ld_action a)
{
    return a == LD_REJECT || a == LD_TEMPFAIL;
}

static void reply_text(const ld_reply *r, char *buf, size_t buflen)
{
    if (r == NULL) {
        snprintf(buf, buflen, "-");
        return;
    }
    snprintf(buf,
             buflen,
             "%s%s%s %s",
             r->rcode,
             r->xcode[0] ? " " : "",
             r->xcode,
             r->text != NULL ? r->text : "");
}

/*
 * Check one stage's verdict: "WORD REASON" (WORD as policy_verdict_word),
 * the entry, the stage, and the invariants between the fields.
 */
static void check_verdict(const char *row,
                          const char *stage_name,
                          const ld_config *c,
                          const ld_verdict *v,
                          enum ld_stage stage,
                          const char *want,
                          const char *want_entry)
{
    char got[128];

    snprintf(got,
             sizeof(got),
             "%s %s",
             policy_verdict_word(v),
             reason_name(v->reason));
    if (strcmp(got, want) != 0) {
        fail_msg("%s: %s: got \"%s\", want \"%s\"", row, stage_name, got, want);
    }
    if (strcmp(entry_name(c, v->entry), want_entry) != 0) {
        fail_msg("%s: %s: entry got \"%s\", want \"%s\"",
                 row,
                 stage_name,
                 entry_name(c, v->entry),
                 want_entry);
    }
    if (v->stage != stage) {
        fail_msg("%s: %s: stage got %d, want %d",
                 row,
                 stage_name,
                 (int)v->stage,
                 (int)stage);
    }
    /* A monitored verdict is a continue that would have refused; any
     * other verdict is what enforce would say. */
    if (v->monitored &&
        (v->action != LD_CONTINUE || !action_refuses(v->would))) {
        fail_msg("%s: %s: monitored with action %s would %s",
                 row,
                 stage_name,
                 policy_action_name(v->action),
                 policy_action_name(v->would));
    }
    if (!v->monitored && v->action != v->would) {
        fail_msg("%s: %s: action %s but would %s without monitor",
                 row,
                 stage_name,
                 policy_action_name(v->action),
                 policy_action_name(v->would));
    }
    if (action_refuses(v->would) != (v->reply != NULL)) {
        fail_msg("%s: %s: would %s with reply %p",
                 row,
                 stage_name,
                 policy_action_name(v->would),
                 (const void *)v->reply);
    }
    if (!action_refuses(v->would) && v->disabled_entry != -1) {
        fail_msg("%s: %s: disabled_entry %d on a verdict that lets through",
                 row,
                 stage_name,
                 v->disabled_entry);
    }
}

typedef struct policy_row {
    const char *name;
    const char *config;
    const char *addr; /* NULL: unknown client */
    int port;
    const char *auth;      /* MAIL's {auth_authen} */
    const char *rcpt;      /* RCPT's domain */
    const char *connect;   /* "WORD REASON" */
    const char *mail;      /* NULL: stop after connect */
    const char *rcpt_want; /* NULL: stop after MAIL */
    const char *entry;     /* matched entry, "-" for none */
    const char *disabled;  /* disabled profile on the last verdict, "-" */
    const char *reply;     /* reply of the last verdict, "-" for none */
} policy_row;

#define USE_FILTER "554 5.7.1 Use the filter"
#define RELAY_DENIED "554 5.7.2 Relay denied here"
#define SHIPPED_REFUSE                                                         \
    "554 5.7.1 Mail must arrive through the filtering service"

static const policy_row policy_rows[] = {
    /* clang-format off */
    /* scope */
    {"port 587 not locked", "base", "203.0.113.5", 587, NULL, "other.org",
     "accept port-not-locked", "accept port-not-locked",
     "accept port-not-locked", "-", "-", "-"},
    {"port 25 locked", "base", "233.252.0.1", 25, NULL, NULL,
     "reject not-listed", NULL, NULL, "-", "-", USE_FILTER},
    {"unknown port is locked", "base", "233.252.0.1", -1, NULL, NULL,
     "reject not-listed", NULL, NULL, "-", "-", USE_FILTER},
    {"empty ports lock every port", "allports", "233.252.0.1", 2525, NULL,
     NULL, "reject not-listed", NULL, NULL, "-", "-", USE_FILTER},
    {"unlocked port before unknown client", "base", NULL, 2525, NULL, NULL,
     "accept port-not-locked", NULL, NULL, "-", "-", "-"},
    {"second listed port locked", "norelay", "233.252.0.1", 2525, NULL, NULL,
     "reject not-listed", NULL, NULL, "-", "-", USE_FILTER},

    /* providers, ACCEPT vs CONTINUE */
    {"relay provider accepted", "base", "192.0.2.1", 25, NULL, "other.org",
     "accept provider", "continue provider", "continue relay-allowed",
     "alpha", "-", "-"},
    {"non-relay provider continues", "base", "198.51.100.7", 25, NULL,
     "other.org", "continue provider", "continue provider",
     "reject relay-denied", "beta", "-", RELAY_DENIED},
    {"non-relay provider, local domain any case", "base", "198.51.100.7", 25,
     NULL, "Example.COM.", "continue provider", "continue provider",
     "continue local-recipient", "beta", "-", "-"},
    {"non-relay provider, no domain", "base", "198.51.100.7", 25, NULL, "",
     "continue provider", "continue provider", "continue local-recipient",
     "beta", "-", "-"},
    {"non-relay provider, authenticated relay", "base", "198.51.100.7", 25,
     "bob", "other.org", "continue provider", "continue provider",
     "continue authenticated", "beta", "-", "-"},
    {"relay.authenticated false", "noauth", "198.51.100.7", 25, "bob",
     "other.org", "continue provider", "continue provider",
     "reject relay-denied", "beta", "-", RELAY_DENIED},
    {"relay not judged: accept", "norelay", "198.51.100.7", 25, NULL,
     "other.org", "accept provider", "continue provider",
     "continue relay-not-judged", "beta", "-", "-"},
    {"netmask notation profile", "monitor", "100.127.255.255", 25, NULL,
     "example.net", "continue provider", "continue provider",
     "continue local-recipient", "epsilon", "-", "-"},

    /* trusted, longest prefix */
    {"trusted lan continues", "base", "10.9.9.9", 25, NULL, "other.org",
     "continue trusted", "continue trusted", "reject relay-denied", "lan",
     "-", RELAY_DENIED},
    {"trusted fax inside lan: longest wins", "base", "10.1.2.3", 25, NULL,
     "other.org", "accept trusted", "continue trusted",
     "continue relay-allowed", "fax", "-", "-"},
    {"trusted lan next to fax", "base", "10.1.2.4", 25, NULL, NULL,
     "continue trusted", "continue trusted", NULL, "lan", "-", "-"},
    {"trusted lan without relay judging", "norelay", "10.9.9.9", 25, NULL,
     NULL, "accept trusted", NULL, NULL, "lan", "-", "-"},

    /* IPv6 and IPv4-mapped */
    {"IPv6 provider", "base", "2001:db8:a:ffff::1", 25, NULL, NULL,
     "accept provider", NULL, NULL, "alpha", "-", "-"},
    {"IPv6 trusted", "base", "2001:db8:f::25", 25, NULL, NULL,
     "accept trusted", NULL, NULL, "lab6", "-", "-"},
    {"IPv6 outsider", "base", "2001:db8:b::1", 25, NULL, NULL,
     "reject not-listed", NULL, NULL, "-", "-", USE_FILTER},
    {"IPv4-mapped provider", "base", "::ffff:192.0.2.200", 25, NULL, NULL,
     "accept provider", NULL, NULL, "alpha", "-", "-"},
    {"IPv4-mapped in disabled profile", "base", "::ffff:203.0.113.130", 25,
     NULL, NULL, "reject not-listed", NULL, NULL, "-", "delta", USE_FILTER},
    {"IPv4-compatible is not mapped", "base", "::192.0.2.1", 25, NULL, NULL,
     "reject not-listed", NULL, NULL, "-", "-", USE_FILTER},

    /* disabled profiles refuse their own addresses */
    {"disabled profile refuses", "base", "203.0.113.200", 25, NULL, NULL,
     "reject not-listed", NULL, NULL, "-", "delta", USE_FILTER},
    {"disabled monitor profile does not soften", "base", "203.0.113.5", 25,
     NULL, NULL, "reject not-listed", NULL, NULL, "-", "gamma", USE_FILTER},

    /* deferred refusal */
    {"deferred, no auth", "mail", "233.252.0.1", 25, NULL, NULL,
     "continue deferred", "reject not-listed", NULL, "-", "-", USE_FILTER},
    {"deferred, empty auth is no auth", "mail", "233.252.0.1", 25, "", NULL,
     "continue deferred", "reject not-listed", NULL, "-", "-", USE_FILTER},
    {"deferred, disabled profile", "mail", "203.0.113.200", 25, NULL, NULL,
     "continue deferred", "reject not-listed", NULL, "-", "delta",
     USE_FILTER},
    {"deferred, auth, relays", "mail", "233.252.0.1", 25, "alice",
     "other.org", "continue deferred", "continue authenticated",
     "continue authenticated", "-", "-", "-"},
    {"deferred, auth, local", "mail", "233.252.0.1", 25, "alice",
     "example.com", "continue deferred", "continue authenticated",
     "continue local-recipient", "-", "-", "-"},
    {"deferred, auth, relay.authenticated false", "noauth", "233.252.0.1",
     25, "alice", "other.org", "continue deferred", "continue authenticated",
     "reject relay-denied", "-", "-", RELAY_DENIED},
    {"deferred config, provider accepted", "mail", "192.0.2.9", 25, NULL,
     NULL, "accept provider", NULL, NULL, "alpha", "-", "-"},
    {"deferred, RCPT without MAIL still refuses", "mail", "233.252.0.1", 25,
     NULL, "example.com", "continue deferred", NULL, "reject not-listed",
     "-", "-", USE_FILTER},

    /* global monitor */
    {"monitor: outsider", "monitor", "233.252.0.1", 25, NULL, "other.org",
     "would-reject not-listed", "continue not-listed",
     "would-reject relay-denied", "-", "-", RELAY_DENIED},
    {"monitor: outsider in disabled profile", "monitor", "203.0.113.200", 25,
     NULL, NULL, "would-reject not-listed", NULL, NULL, "-", "delta",
     USE_FILTER},
    {"monitor: provider relay refusal", "monitor", "198.51.100.1", 25, NULL,
     "other.org", "continue provider", "continue provider",
     "would-reject relay-denied", "beta", "-", RELAY_DENIED},
    {"monitor: own enforce mode relay refusal", "monitor", "100.64.0.1", 25,
     NULL, "other.org", "continue provider", "continue provider",
     "reject relay-denied", "epsilon", "-", RELAY_DENIED},
    {"monitor: trusted uses global mode", "monitor", "10.9.9.9", 25, NULL,
     "other.org", "continue trusted", "continue trusted",
     "would-reject relay-denied", "lan", "-", RELAY_DENIED},
    {"monitor: deferred refusal", "monmail", "233.252.0.1", 25, NULL,
     "other.org", "continue deferred", "would-reject not-listed",
     "would-reject relay-denied", "-", "-", RELAY_DENIED},

    {"monitor: no enabled profile inherits it", "monnoprov", "233.252.0.1",
     25, NULL, "other.org", "would-reject not-listed", "continue not-listed",
     "would-reject relay-denied", "-", "-", RELAY_DENIED},
    {"monitor: disabled alpha refuses", "monnoprov", "192.0.2.1", 25, NULL,
     NULL, "would-reject not-listed", NULL, NULL, "-", "alpha", USE_FILTER},

    /* per-profile monitor */
    {"profile monitor: outsider", "permon", "233.252.0.1", 25, NULL, NULL,
     "would-reject not-listed", NULL, NULL, "-", "-", USE_FILTER},
    {"profile monitor: its own relay refusal", "permon", "203.0.113.9", 25,
     NULL, "other.org", "continue provider", "continue provider",
     "would-reject relay-denied", "gamma", "-", RELAY_DENIED},
    {"profile monitor: other profile enforces relay", "permon",
     "198.51.100.1", 25, NULL, "other.org", "continue provider",
     "continue provider", "reject relay-denied", "beta", "-", RELAY_DENIED},
    {"profile monitor: trusted enforces relay", "permon", "10.9.9.9", 25,
     NULL, "other.org", "continue trusted", "continue trusted",
     "reject relay-denied", "lan", "-", RELAY_DENIED},
    {"profile monitor: disabled profile outsider", "permon", "203.0.113.129",
     25, NULL, NULL, "would-reject not-listed", NULL, NULL, "-", "delta",
     USE_FILTER},

    /* unknown client */
    {"unknown client tempfail", "base", NULL, 25, NULL, NULL,
     "tempfail unknown-client", NULL, NULL, "-", "-",
     "451 4.7.1 Client address unknown, try again later"},
    {"unknown family tempfail", "base", "odd", 25, NULL, NULL,
     "tempfail unknown-client", NULL, NULL, "-", "-",
     "451 4.7.1 Client address unknown, try again later"},
    {"unknown client reject", "unkreject", NULL, 25, NULL, NULL,
     "reject unknown-client", NULL, NULL, "-", "-", USE_FILTER},
    {"unknown client accept", "unkaccept", NULL, 25, NULL, "other.org",
     "accept unknown-client", "accept unknown-client",
     "accept unknown-client", "-", "-", "-"},
    {"unknown client monitored", "monitor", NULL, 25, NULL, NULL,
     "would-tempfail unknown-client", NULL, NULL, "-", "-",
     "451 4.7.1 Client address unknown, try again later"},
    {"unknown client not deferred", "mail", NULL, 25, NULL, NULL,
     "tempfail unknown-client", NULL, NULL, "-", "-",
     "451 4.7.1 Client address unknown, try again later"},

    /* shipped config: boundaries of the three shipped profiles */
    {"mailroute first", "shipped", "199.89.0.0", 25, NULL, NULL,
     "accept provider", NULL, NULL, "mailroute", "-", "-"},
    {"mailroute last", "shipped", "199.89.7.255", 25, NULL, NULL,
     "accept provider", NULL, NULL, "mailroute", "-", "-"},
    {"mailroute below", "shipped", "199.88.255.255", 25, NULL, NULL,
     "reject not-listed", NULL, NULL, "-", "-", SHIPPED_REFUSE},
    {"mailroute above", "shipped", "199.89.8.0", 25, NULL, NULL,
     "reject not-listed", NULL, NULL, "-", "-", SHIPPED_REFUSE},
    {"mailroute mapped", "shipped", "::ffff:199.89.3.3", 25, NULL, NULL,
     "accept provider", NULL, NULL, "mailroute", "-", "-"},
    {"mailroute on 587", "shipped", "199.88.0.1", 587, NULL, NULL,
     "accept port-not-locked", NULL, NULL, "-", "-", "-"},
    {"postini disabled first", "shipped", "208.123.79.0", 25, NULL, NULL,
     "reject not-listed", NULL, NULL, "-", "postini", SHIPPED_REFUSE},
    {"postini disabled last", "shipped", "208.123.79.255", 25, NULL, NULL,
     "reject not-listed", NULL, NULL, "-", "postini", SHIPPED_REFUSE},
    {"postini below", "shipped", "208.123.78.255", 25, NULL, NULL,
     "reject not-listed", NULL, NULL, "-", "-", SHIPPED_REFUSE},
    {"postini above", "shipped", "208.123.80.0", 25, NULL, NULL,
     "reject not-listed", NULL, NULL, "-", "-", SHIPPED_REFUSE},
    {"postini 2nd disabled first", "shipped", "64.18.0.0", 25, NULL, NULL,
     "reject not-listed", NULL, NULL, "-", "postini", SHIPPED_REFUSE},
    {"postini 2nd disabled last", "shipped", "64.18.15.255", 25, NULL, NULL,
     "reject not-listed", NULL, NULL, "-", "postini", SHIPPED_REFUSE},
    {"postini 2nd below", "shipped", "64.17.255.255", 25, NULL, NULL,
     "reject not-listed", NULL, NULL, "-", "-", SHIPPED_REFUSE},
    {"postini 2nd above", "shipped", "64.18.16.0", 25, NULL, NULL,
     "reject not-listed", NULL, NULL, "-", "-", SHIPPED_REFUSE},
    {"arrowmail disabled", "shipped", "83.245.15.239", 25, NULL, NULL,
     "reject not-listed", NULL, NULL, "-", "arrowmail", SHIPPED_REFUSE},
    {"arrowmail below", "shipped", "83.245.15.238", 25, NULL, NULL,
     "reject not-listed", NULL, NULL, "-", "-", SHIPPED_REFUSE},
    {"arrowmail above", "shipped", "83.245.15.240", 25, NULL, NULL,
     "reject not-listed", NULL, NULL, "-", "-", SHIPPED_REFUSE},
    {"shipped loopback v4", "shipped", "127.0.0.1", 25, NULL, NULL,
     "accept trusted", NULL, NULL, "loopback", "-", "-"},
    {"shipped loopback v6", "shipped", "::1", 25, NULL, NULL,
     "accept trusted", NULL, NULL, "loopback", "-", "-"},
    {"shipped ::2 outsider", "shipped", "::2", 25, NULL, NULL,
     "reject not-listed", NULL, NULL, "-", "-", SHIPPED_REFUSE},
    {"all: postini first", "all-shipped", "208.123.79.0", 25, NULL, NULL,
     "accept provider", NULL, NULL, "postini", "-", "-"},
    {"all: postini last", "all-shipped", "208.123.79.255", 25, NULL, NULL,
     "accept provider", NULL, NULL, "postini", "-", "-"},
    {"all: postini 2nd first", "all-shipped", "64.18.0.0", 25, NULL, NULL,
     "accept provider", NULL, NULL, "postini", "-", "-"},
    {"all: postini 2nd last", "all-shipped", "64.18.15.255", 25, NULL, NULL,
     "accept provider", NULL, NULL, "postini", "-", "-"},
    {"all: arrowmail", "all-shipped", "83.245.15.239", 25, NULL, NULL,
     "accept provider", NULL, NULL, "arrowmail", "-", "-"},
    {"all: arrowmail above", "all-shipped", "83.245.15.240", 25, NULL, NULL,
     "reject not-listed", NULL, NULL, "-", "-", SHIPPED_REFUSE},
    {"all: mailroute last", "all-shipped", "199.89.7.255", 25, NULL, NULL,
     "accept provider", NULL, NULL, "mailroute", "-", "-"},
    /* clang-format on */
};

static void test_policy_table(void **state)
{
    const fixture *fx = *state;
    size_t i;

    for (i = 0; i < sizeof(policy_rows) / sizeof(policy_rows[0]); i++) {
        const policy_row *r = &policy_rows[i];
        const ld_config *c = fixture_config(fx, r->config);
        ld_addr abuf;
        ld_conn_facts f = {0};
        ld_session s;
        ld_verdict v;
        char got[256];

        memset(&s, 0, sizeof(s));
        f.addr = row_addr(r->name, r->addr, &abuf);
        f.port = r->port;
        policy_connect(c, &f, &s, &v);
        check_verdict(
            r->name, "connect", c, &v, LD_STAGE_CONNECT, r->connect, r->entry);
        if (r->mail != NULL) {
            policy_mail(c, &s, r->auth, NULL, &v);
            check_verdict(
                r->name, "mail", c, &v, LD_STAGE_MAIL, r->mail, r->entry);
        }
        if (r->rcpt_want != NULL) {
            policy_rcpt(c, &s, r->rcpt, false, &v);
            check_verdict(
                r->name, "rcpt", c, &v, LD_STAGE_RCPT, r->rcpt_want, r->entry);
        }
        if (strcmp(entry_name(c, v.disabled_entry), r->disabled) != 0) {
            fail_msg("%s: disabled_entry got \"%s\", want \"%s\"",
                     r->name,
                     entry_name(c, v.disabled_entry),
                     r->disabled);
        }
        reply_text(v.reply, got, sizeof(got));
        if (strcmp(got, r->reply) != 0) {
            fail_msg(
                "%s: reply got \"%s\", want \"%s\"", r->name, got, r->reply);
        }
    }
}

/* policy_evaluate: all stages at once, stopping at the first decision. */
typedef struct eval_row {
    const char *name;
    const char *config;
    const char *addr;
    int port;
    const char *auth;
    const char *rcpt; /* NULL: no RCPT stage */
    const char *want; /* "WORD REASON" */
    enum ld_stage stage;
    const char *entry;
} eval_row;

static const eval_row eval_rows[] = {
    /* clang-format off */
    {"provider accepted at connect", "shipped", "199.89.0.1", 25, NULL,
     "other.org", "accept provider", LD_STAGE_CONNECT, "mailroute"},
    {"outsider refused at connect", "shipped", "1.1.1.1", 25, NULL, NULL,
     "reject not-listed", LD_STAGE_CONNECT, "-"},
    {"deferred refused at mail", "mail", "1.1.1.1", 25, NULL, "other.org",
     "reject not-listed", LD_STAGE_MAIL, "-"},
    {"deferred auth relays", "mail", "1.1.1.1", 25, "u", "other.org",
     "continue authenticated", LD_STAGE_RCPT, "-"},
    {"deferred auth, no rcpt", "mail", "1.1.1.1", 25, "u", NULL,
     "continue authenticated", LD_STAGE_MAIL, "-"},
    {"relay denied at rcpt", "base", "198.51.100.2", 25, NULL, "other.org",
     "reject relay-denied", LD_STAGE_RCPT, "beta"},
    {"local rcpt", "base", "198.51.100.2", 25, NULL, "", "continue "
     "local-recipient", LD_STAGE_RCPT, "beta"},
    {"monitor stops at first refusal", "monitor", "1.1.1.1", 25, NULL,
     "other.org", "would-reject not-listed", LD_STAGE_CONNECT, "-"},
    {"unknown client", "base", NULL, 25, NULL, NULL,
     "tempfail unknown-client", LD_STAGE_CONNECT, "-"},
    /* clang-format on */
};

static void test_policy_evaluate(void **state)
{
    const fixture *fx = *state;
    size_t i;

    for (i = 0; i < sizeof(eval_rows) / sizeof(eval_rows[0]); i++) {
        const eval_row *r = &eval_rows[i];
        const ld_config *c = fixture_config(fx, r->config);
        ld_addr abuf;
        ld_conn_facts f = {0};
        ld_verdict v;

        f.addr = row_addr(r->name, r->addr, &abuf);
        f.port = r->port;
        policy_evaluate(c, &f, r->auth, r->rcpt, &v);
        check_verdict(r->name, "evaluate", c, &v, r->stage, r->want, r->entry);
    }
}

/* Fail closed: a missing config, facts, session or set gives tempfail. */
static void test_policy_internal_error(void **state)
{
    const fixture *fx = *state;
    const ld_config *base = fixture_config(fx, "base");
    ld_config broken;
    ld_addr a;
    ld_conn_facts f = {0};
    ld_session s;
    ld_session zero;
    ld_verdict v;
    char err[LD_ERRLEN];
    const struct {
        const char *name;
        int which;
    } rows[] = {
        /* clang-format off */
        {"connect, NULL config", 0},
        {"connect, NULL facts", 1},
        {"connect, NULL session", 2},
        {"connect, no address set", 3},
        {"mail, NULL config", 4},
        {"mail, NULL session", 5},
        {"mail, zeroed session", 6},
        {"rcpt, NULL config", 7},
        {"rcpt, NULL session", 8},
        {"rcpt, zeroed session", 9},
        {"mail after failed connect", 10},
        {"evaluate, NULL config", 11},
        /* clang-format on */
    };
    size_t i;

    assert_int_equal(addr_parse("192.0.2.1", &a, err, sizeof(err)), 0);
    f.addr = &a;
    f.port = 25;
    broken = *base;
    broken.allowed = NULL;
    for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        enum ld_stage want_stage = LD_STAGE_CONNECT;

        memset(&s, 0, sizeof(s));
        memset(&zero, 0, sizeof(zero));
        /* Start from a verdict that lets through, so that a function that
         * forgets to write it fails the row. */
        memset(&v, 0, sizeof(v));
        v.action = LD_ACCEPT;
        v.reason = LD_REASON_COUNT; /* no real reason */
        policy_connect(base, &f, &s, &v);
        v.action = LD_ACCEPT;
        v.would = LD_ACCEPT;
        v.reason = LD_REASON_COUNT; /* no real reason */
        switch (rows[i].which) {
        case 0:
            policy_connect(NULL, &f, &s, &v);
            break;
        case 1:
            policy_connect(base, NULL, &s, &v);
            break;
        case 2:
            policy_connect(base, &f, NULL, &v);
            break;
        case 3:
            policy_connect(&broken, &f, &s, &v);
            break;
        case 4:
            policy_mail(NULL, &s, NULL, NULL, &v);
            want_stage = LD_STAGE_MAIL;
            break;
        case 5:
            policy_mail(base, NULL, NULL, NULL, &v);
            want_stage = LD_STAGE_MAIL;
            break;
        case 6:
            policy_mail(base, &zero, "user", NULL, &v);
            want_stage = LD_STAGE_MAIL;
            break;
        case 7:
            policy_rcpt(NULL, &s, "other.org", false, &v);
            want_stage = LD_STAGE_RCPT;
            break;
        case 8:
            policy_rcpt(base, NULL, "other.org", false, &v);
            want_stage = LD_STAGE_RCPT;
            break;
        case 9:
            policy_rcpt(base, &zero, "example.com", false, &v);
            want_stage = LD_STAGE_RCPT;
            break;
        case 10:
            policy_connect(&broken, &f, &s, &v);
            policy_mail(base, &s, "user", NULL, &v);
            want_stage = LD_STAGE_MAIL;
            break;
        case 11:
            policy_evaluate(NULL, &f, NULL, NULL, &v);
            break;
        }
        check_verdict(rows[i].name,
                      "internal",
                      base,
                      &v,
                      want_stage,
                      "tempfail internal-error",
                      "-");
        if (v.reply == NULL || strcmp(v.reply->rcode, "451") != 0) {
            fail_msg("%s: reply got %s, want 451",
                     rows[i].name,
                     v.reply != NULL ? v.reply->rcode : "(null)");
        }
    }
    /* No verdict to write: must not crash. */
    policy_connect(base, &f, &s, NULL);
    policy_mail(base, &s, NULL, NULL, NULL);
    policy_rcpt(base, &s, NULL, false, NULL);
    policy_evaluate(base, &f, NULL, NULL, NULL);
}

/* A refused client that authenticates on a later MAIL gets through, and
 * one that does not stays refused on every MAIL. */
static void test_policy_deferred_session(void **state)
{
    const fixture *fx = *state;
    const ld_config *c = fixture_config(fx, "mail");
    const struct {
        const char *auth;
        const char *want;
    } steps[] = {
        /* clang-format off */
        {NULL, "reject not-listed"},
        {"", "reject not-listed"},
        {"alice", "continue authenticated"},
        {NULL, "reject not-listed"},
        /* clang-format on */
    };
    ld_addr a;
    ld_conn_facts f = {0};
    ld_session s;
    ld_verdict v;
    char err[LD_ERRLEN];
    char name[64];
    size_t i;

    assert_int_equal(addr_parse("233.252.0.9", &a, err, sizeof(err)), 0);
    f.addr = &a;
    f.port = 25;
    memset(&s, 0, sizeof(s));
    policy_connect(c, &f, &s, &v);
    check_verdict("deferred session",
                  "connect",
                  c,
                  &v,
                  LD_STAGE_CONNECT,
                  "continue deferred",
                  "-");
    for (i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
        snprintf(name, sizeof(name), "deferred session MAIL #%zu", i + 1);
        policy_mail(c, &s, steps[i].auth, NULL, &v);
        check_verdict(name, "mail", c, &v, LD_STAGE_MAIL, steps[i].want, "-");
    }
}

static void test_policy_needs(void **state)
{
    const fixture *fx = *state;
    const struct {
        const char *config;
        bool mail;
        bool rcpt;
    } rows[] = {
        /* clang-format off */
        {"base", true, true}, /* relay.authenticated needs MAIL */
        {"mail", true, true},
        {"noauth", true, true},
        {"norelay", false, false},
        {"shipped", false, false},
        /* clang-format on */
    };
    size_t i;

    for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        const ld_config *c = fixture_config(fx, rows[i].config);
        bool m = policy_needs_mail(c);
        bool r = policy_needs_rcpt(c);

        if (m != rows[i].mail || r != rows[i].rcpt) {
            fail_msg("%s: needs mail/rcpt got %d/%d, want %d/%d",
                     rows[i].config,
                     m,
                     r,
                     rows[i].mail,
                     rows[i].rcpt);
        }
    }
    if (!policy_needs_mail(NULL) || !policy_needs_rcpt(NULL)) {
        fail_msg("NULL config: got needs mail %d rcpt %d, want 1 1",
                 policy_needs_mail(NULL),
                 policy_needs_rcpt(NULL));
    }
}

static void test_policy_words(void **state)
{
    const struct {
        enum ld_action action;
        enum ld_action would;
        bool monitored;
        const char *want;
    } rows[] = {
        /* clang-format off */
        {LD_CONTINUE, LD_CONTINUE, false, "continue"},
        {LD_ACCEPT, LD_ACCEPT, false, "accept"},
        {LD_REJECT, LD_REJECT, false, "reject"},
        {LD_TEMPFAIL, LD_TEMPFAIL, false, "tempfail"},
        {LD_CONTINUE, LD_REJECT, true, "would-reject"},
        {LD_CONTINUE, LD_TEMPFAIL, true, "would-tempfail"},
        /* clang-format on */
    };
    ld_verdict v;
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        memset(&v, 0, sizeof(v));
        v.action = rows[i].action;
        v.would = rows[i].would;
        v.monitored = rows[i].monitored;
        if (strcmp(policy_verdict_word(&v), rows[i].want) != 0) {
            fail_msg("row %zu: got \"%s\", want \"%s\"",
                     i,
                     policy_verdict_word(&v),
                     rows[i].want);
        }
    }
    if (strcmp(policy_verdict_word(NULL), "tempfail") != 0) {
        fail_msg("NULL verdict: got \"%s\", want \"tempfail\"",
                 policy_verdict_word(NULL));
    }
    if (strcmp(policy_action_name((enum ld_action)99), "tempfail") != 0) {
        fail_msg("bad action: got \"%s\", want \"tempfail\"",
                 policy_action_name((enum ld_action)99));
    }
}

/* The reply's class decides the refusal: what check prints is what the
 * daemon tells the MTA. */
#define CLASS_YAML                                                             \
    "mode: %s\n"                                                               \
    "providers_dir: providers\n"                                               \
    "providers:\n"                                                             \
    "  alpha: enabled\n"                                                       \
    "trusted:\n"                                                               \
    "  - name: lan\n"                                                          \
    "    ranges: [10.0.0.0/8]\n"                                               \
    "refuse:\n"                                                                \
    "  at: %s\n"                                                               \
    "  reply: \"%s\"\n"                                                        \
    "unknown_client: reject\n"                                                 \
    "relay:\n"                                                                 \
    "  local_domains: [example.com]\n"                                         \
    "  reply: \"%s\"\n"

static void test_policy_reply_class(void **state)
{
    const fixture *fx = *state;
    const struct {
        const char *mode, *at, *refuse, *relay;
        const char *addr; /* NULL: unknown client */
        const char *rcpt; /* NULL: no RCPT */
        const char *want; /* "WORD REASON" of policy_evaluate() */
    } rows[] = {
        /* clang-format off */
        {"enforce", "connect", "451 4.7.1 Later", "554 5.7.1 No", "233.252.0.1",
         NULL, "tempfail not-listed"},
        {"enforce", "connect", "554 5.7.1 No", "554 5.7.1 No", "233.252.0.1",
         NULL, "reject not-listed"},
        {"enforce", "mail", "450 4.7.1 Later", "554 5.7.1 No", "233.252.0.1",
         NULL, "tempfail not-listed"},
        {"monitor", "connect", "451 4.7.1 Later", "554 5.7.1 No",
         "233.252.0.1", NULL, "would-tempfail not-listed"},
        {"enforce", "connect", "451 4.7.1 Later", "554 5.7.1 No", NULL, NULL,
         "tempfail unknown-client"},
        {"enforce", "connect", "554 5.7.1 No", "451 4.7.2 Relay later",
         "10.0.0.1", "other.org", "tempfail relay-denied"},
        {"enforce", "connect", "451 4.7.1 Later", "554 5.7.2 Relay no",
         "10.0.0.1", "other.org", "reject relay-denied"},
        {"monitor", "connect", "554 5.7.1 No", "451 4.7.2 Relay later",
         "10.0.0.1", "other.org", "would-tempfail relay-denied"},
        /* clang-format on */
    };
    size_t i;

    for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        char yaml[2048];
        char got[128];
        ld_config *c = NULL;
        ld_addr a;
        ld_conn_facts f = {0};
        ld_verdict v;
        char err[LD_ERRLEN];

        snprintf(yaml,
                 sizeof(yaml),
                 CLASS_YAML,
                 rows[i].mode,
                 rows[i].at,
                 rows[i].refuse,
                 rows[i].relay);
        c = testutil_config_load(yaml, "class.yaml", fx->dir);
        if (c == NULL) {
            fail_msg("row %zu: config did not load", i);
        }
        memset(&f, 0, sizeof(f));
        f.port = 25;
        if (rows[i].addr != NULL) {
            if (addr_parse(rows[i].addr, &a, err, sizeof(err)) != 0) {
                fail_msg("row %zu: %s", i, err);
            }
            f.addr = &a;
        }
        policy_evaluate(c, &f, NULL, rows[i].rcpt, &v);
        snprintf(got,
                 sizeof(got),
                 "%s %s",
                 policy_verdict_word(&v),
                 reason_name(v.reason));
        if (strcmp(got, rows[i].want) != 0) {
            print_error("row %zu: refuse %s, relay %s, %s: got \"%s\", want "
                        "\"%s\"\n",
                        i,
                        rows[i].refuse,
                        rows[i].relay,
                        rows[i].addr != NULL ? rows[i].addr : "unknown",
                        got,
                        rows[i].want);
            config_free(c);
            fail();
        }
        if (v.reply == NULL ||
            v.reply->rcode[0] != (v.would == LD_TEMPFAIL ? '4' : '5')) {
            config_free(c);
            fail_msg("row %zu: reply class does not match the verdict", i);
        }
        config_free(c);
    }
}

/* Drift guard and scope.domains, through policy_evaluate() as lockdownctl
 * check calls it. alpha is enabled with hostnames; beta is disabled. */
#define SCOPE_YAML                                                             \
    "mode: %s\n"                                                               \
    "providers_dir: providers\n"                                               \
    "providers:\n"                                                             \
    "  alpha: enabled\n"                                                       \
    "  beta: disabled\n"                                                       \
    "trusted:\n"                                                               \
    "  - name: lan\n"                                                          \
    "    ranges: [10.0.0.0/8]\n"                                               \
    "scope:\n"                                                                 \
    "  ports: [25]\n"                                                          \
    "  domains: %s\n"                                                          \
    "refuse:\n"                                                                \
    "  at: %s\n"                                                               \
    "relay:\n"                                                                 \
    "  local_domains: [example.com, other.example]\n"

static void test_policy_names_scope(void **state)
{
    const fixture *fx = *state;
    const struct {
        const char *mode, *domains, *at;
        const char *addr, *name, *auth, *rcpt;
        const char *want; /* "WORD REASON ENTRY" */
    } rows[] = {
        /* clang-format off */
        /* drift guard */
        {"enforce", "[]", "connect", "233.252.0.1", "mx9.alpha.example",
         NULL, NULL, "tempfail provider-name-unlisted alpha"},
        {"enforce", "[]", "connect", "233.252.0.1", "MX9.Alpha.Example.",
         NULL, NULL, "tempfail provider-name-unlisted alpha"},
        {"enforce", "[]", "connect", "233.252.0.1", "mx.alpha-mail.example",
         NULL, NULL, "tempfail provider-name-unlisted alpha"},
        {"enforce", "[]", "connect", "233.252.0.1", "alpha.example", NULL,
         NULL, "reject not-listed -"},
        {"enforce", "[]", "connect", "233.252.0.1", "a.mx.alpha-mail.example",
         NULL, NULL, "reject not-listed -"},
        {"enforce", "[]", "connect", "233.252.0.1", "mx1.beta.example", NULL,
         NULL, "reject not-listed -"},
        {"enforce", "[]", "connect", "233.252.0.1", "unknown", NULL, NULL,
         "reject not-listed -"},
        {"enforce", "[]", "connect", "233.252.0.1", "[233.252.0.1]", NULL,
         NULL, "reject not-listed -"},
        {"enforce", "[]", "connect", "233.252.0.1", "", NULL, NULL,
         "reject not-listed -"},
        {"monitor", "[]", "connect", "233.252.0.1", "mx9.alpha.example",
         NULL, NULL, "would-tempfail provider-name-unlisted alpha"},
        {"enforce", "[]", "mail", "233.252.0.1", "mx9.alpha.example", NULL,
         NULL, "tempfail provider-name-unlisted alpha"},
        {"enforce", "[]", "mail", "233.252.0.1", "mx9.alpha.example",
         "alice", NULL, "continue authenticated -"},
        /* a listed address needs no name, and a name changes nothing */
        {"enforce", "[]", "connect", "192.0.2.1", "mx9.beta.example", NULL,
         NULL, "accept provider alpha"},
        {"enforce", "[]", "connect", "10.1.1.1", NULL, NULL, "x@far.example",
         "reject relay-denied lan"},
        /* scope.domains */
        {"enforce", "[example.com]", "connect", "233.252.0.1", NULL, NULL,
         NULL, "continue deferred -"},
        {"enforce", "[example.com]", "connect", "233.252.0.1", NULL, NULL,
         "u@example.com", "reject not-listed -"},
        {"enforce", "[example.com]", "connect", "233.252.0.1", NULL, NULL,
         "u@EXAMPLE.com.", "reject not-listed -"},
        {"enforce", "[example.com]", "connect", "233.252.0.1", NULL, NULL,
         "u@other.example", "continue domain-not-locked -"},
        {"enforce", "[example.com]", "connect", "233.252.0.1", NULL, NULL,
         "u@sub.example.com", "reject relay-denied -"},
        {"enforce", "[example.com]", "connect", "233.252.0.1", NULL, NULL,
         "postmaster", "reject not-listed -"},
        {"enforce", "[example.com]", "connect", "233.252.0.1", NULL, "alice",
         "u@example.com", "reject not-listed -"},
        {"enforce", "[example.com]", "mail", "233.252.0.1", NULL, "alice",
         "u@example.com", "continue local-recipient -"},
        {"enforce", "[example.com]", "mail", "233.252.0.1", NULL, "alice",
         NULL, "continue authenticated -"},
        {"enforce", "[example.com]", "mail", "233.252.0.1", NULL, NULL,
         "u@example.com", "reject not-listed -"},
        {"enforce", "[example.com]", "mail", "233.252.0.1", NULL, NULL,
         "u@other.example", "continue domain-not-locked -"},
        {"enforce", "[example.com]", "connect", "233.252.0.1",
         "mx9.alpha.example", NULL, "u@example.com",
         "tempfail provider-name-unlisted alpha"},
        {"monitor", "[example.com]", "connect", "233.252.0.1", NULL, NULL,
         "u@example.com", "would-reject not-listed -"},
        {"enforce", "[example.com]", "connect", "192.0.2.1", NULL, NULL,
         "u@example.com", "accept provider alpha"},
        {"enforce", "[example.com]", "connect", "10.1.1.1", NULL, NULL,
         "u@example.com", "continue local-recipient lan"},
        /* clang-format on */
    };
    size_t i;

    for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        char yaml[2048];
        char got[256];
        char dbuf[256];
        const char *domain = NULL;
        ld_config *c = NULL;
        ld_addr a;
        ld_conn_facts f = {0};
        ld_verdict v;
        char err[LD_ERRLEN];

        snprintf(yaml,
                 sizeof(yaml),
                 SCOPE_YAML,
                 rows[i].mode,
                 rows[i].domains,
                 rows[i].at);
        c = testutil_config_load(yaml, "scope.yaml", fx->dir);
        if (c == NULL) {
            fail_msg("row %zu: config did not load", i);
        }
        if (addr_parse(rows[i].addr, &a, err, sizeof(err)) != 0) {
            config_free(c);
            fail_msg("row %zu: %s", i, err);
        }
        f.addr = &a;
        f.port = 25;
        f.client_name = rows[i].name;
        if (rows[i].rcpt != NULL) {
            domain = policy_rcpt_domain(rows[i].rcpt, dbuf, sizeof(dbuf));
            if (domain == NULL) {
                domain = "";
            }
        }
        policy_evaluate(c, &f, rows[i].auth, domain, &v);
        snprintf(got,
                 sizeof(got),
                 "%s %s %s",
                 policy_verdict_word(&v),
                 reason_name(v.reason),
                 entry_name(c, v.entry));
        config_free(c);
        if (strcmp(got, rows[i].want) != 0) {
            fail_msg("row %zu (%s, domains %s, at %s, %s name %s auth %s "
                     "rcpt %s): got \"%s\", want \"%s\"",
                     i,
                     rows[i].mode,
                     rows[i].domains,
                     rows[i].at,
                     rows[i].addr,
                     rows[i].name != NULL ? rows[i].name : "-",
                     rows[i].auth != NULL ? rows[i].auth : "-",
                     rows[i].rcpt != NULL ? rows[i].rcpt : "-",
                     got,
                     rows[i].want);
        }
    }
}

/* TLS identity: gamma-like profiles written here so that the other
 * tables keep their configs. */
static const testutil_profile tls_profiles[] = {
    /* clang-format off */
    {"certp", "name: CertP\n"
              "source: test\n"
              "ranges: [192.0.2.0/24]\n"
              "relay: true\n"
              "tls_names: [\"*.certp.example\"]\n"},
    {"strict", "name: Strict\n"
               "source: test\n"
               "ranges: [198.51.100.0/24]\n"
               "tls_names: [mx.strict.example]\n"
               "tls_required: true\n"},
    {"off", "name: Off\n"
            "source: test\n"
            "ranges: [203.0.113.0/24]\n"
            "tls_names: [\"*.off.example\"]\n"},
    /* clang-format on */
};

#define TLS_YAML                                                               \
    "mode: %s\n"                                                               \
    "providers_dir: providers\n"                                               \
    "providers:\n"                                                             \
    "  certp: enabled\n"                                                       \
    "  strict: enabled\n"                                                      \
    "  off: disabled\n"                                                        \
    "refuse:\n"                                                                \
    "  at: %s\n"                                                               \
    "relay:\n"                                                                 \
    "  local_domains: [example.com]\n"

static void test_policy_tls(void **state)
{
    const struct {
        const char *mode, *at;
        const char *addr, *tls, *auth, *rcpt;
        const char *want; /* "WORD REASON ENTRY MATCH" */
    } rows[] = {
        /* clang-format off */
        {"enforce", "connect", "233.252.0.1", NULL, NULL, NULL,
         "reject not-listed - 0"},
        {"enforce", "connect", "233.252.0.1", "mx1.certp.example", NULL,
         NULL, "accept tls-name certp 2"},
        {"enforce", "connect", "2001:db8::1", "MX1.CertP.Example.", NULL,
         "x@far.example", "accept tls-name certp 2"},
        {"enforce", "connect", "233.252.0.1", "certp.example", NULL, NULL,
         "reject not-listed - 0"},
        {"enforce", "connect", "233.252.0.1", "/CN=mx1.certp.example", NULL,
         NULL, "reject not-listed - 0"},
        {"enforce", "connect", "233.252.0.1", "mx1.off.example", NULL, NULL,
         "reject not-listed - 0"},
        {"enforce", "connect", "233.252.0.1", "", NULL, NULL,
         "reject not-listed - 0"},
        {"monitor", "connect", "233.252.0.1", NULL, NULL, NULL,
         "would-reject not-listed - 0"},
        /* the address alone, and both */
        {"enforce", "connect", "192.0.2.9", NULL, NULL, "x@far.example",
         "accept provider certp 1"},
        {"enforce", "connect", "192.0.2.9", "mx1.certp.example", NULL,
         "x@far.example", "accept provider certp 1"},
        /* tls_required */
        {"enforce", "connect", "198.51.100.7", NULL, NULL, NULL,
         "reject tls-required strict 1"},
        {"enforce", "connect", "198.51.100.7", "mx.strict.example", NULL,
         NULL, "continue tls-name strict 3"},
        {"enforce", "connect", "198.51.100.7", "mx.strict.example", NULL,
         "x@far.example", "reject relay-denied strict 3"},
        {"enforce", "connect", "198.51.100.7", "other.strict.example", NULL,
         NULL, "reject tls-required strict 1"},
        {"enforce", "connect", "198.51.100.7", "mx1.certp.example", NULL,
         "u@example.com", "accept tls-name certp 2"},
        {"enforce", "mail", "198.51.100.7", NULL, "alice", NULL,
         "continue authenticated strict 1"},
        {"enforce", "connect", "198.51.100.7", NULL, "alice", NULL,
         "reject tls-required strict 1"},
        {"monitor", "connect", "198.51.100.7", NULL, NULL, NULL,
         "would-reject tls-required strict 1"},
        /* clang-format on */
    };
    char dir[64];
    size_t i;

    (void)state;
    snprintf(dir, sizeof(dir), "/tmp/test_policy_tls.XXXXXX");
    if (testutil_providers_make(
            dir, tls_profiles, sizeof(tls_profiles) / sizeof(tls_profiles[0])) !=
        0) {
        fail_msg("cannot make the profiles");
    }
    for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        char yaml[2048];
        char got[256];
        char dbuf[256];
        const char *domain = NULL;
        ld_config *c = NULL;
        ld_addr a;
        ld_conn_facts f = {0};
        ld_verdict v;
        char err[LD_ERRLEN];

        snprintf(yaml, sizeof(yaml), TLS_YAML, rows[i].mode, rows[i].at);
        c = testutil_config_load(yaml, "tls.yaml", dir);
        if (c == NULL || addr_parse(rows[i].addr, &a, err, sizeof(err)) != 0) {
            testutil_rm_rf(dir);
            fail_msg("row %zu: config or address did not load", i);
        }
        f.addr = &a;
        f.port = 25;
        f.tls_name = rows[i].tls;
        if (rows[i].rcpt != NULL) {
            domain = policy_rcpt_domain(rows[i].rcpt, dbuf, sizeof(dbuf));
        }
        policy_evaluate(c, &f, rows[i].auth, domain, &v);
        snprintf(got,
                 sizeof(got),
                 "%s %s %s %u",
                 policy_verdict_word(&v),
                 reason_name(v.reason),
                 entry_name(c, v.entry),
                 v.match);
        config_free(c);
        if (strcmp(got, rows[i].want) != 0) {
            print_error("row %zu (%s, at %s, %s tls %s auth %s rcpt %s): got "
                        "\"%s\", want \"%s\"\n",
                        i,
                        rows[i].mode,
                        rows[i].at,
                        rows[i].addr,
                        rows[i].tls != NULL ? rows[i].tls : "-",
                        rows[i].auth != NULL ? rows[i].auth : "-",
                        rows[i].rcpt != NULL ? rows[i].rcpt : "-",
                        got,
                        rows[i].want);
            testutil_rm_rf(dir);
            fail();
        }
    }
    testutil_rm_rf(dir);
}

static void test_policy_reason_names(void **state)
{
    size_t i;
    size_t j;

    (void)state;
    if (strcmp(reason_name(LD_REASON_NONE), "-") != 0 ||
        strcmp(reason_name(LD_REASON_COUNT), "-") != 0 ||
        strcmp(reason_name((enum ld_reason) - 1), "-") != 0) {
        fail_msg("out-of-range reasons must be \"-\"");
    }
    for (i = 1; i < LD_REASON_COUNT; i++) {
        const char *n = reason_name((enum ld_reason)i);

        if (strcmp(n, "-") == 0 ||
            strspn(n, "abcdefghijklmnopqrstuvwxyz-") != strlen(n)) {
            fail_msg("reason %zu: bad token \"%s\"", i, n);
        }
        if (reason_from_name(n) != (enum ld_reason)i) {
            fail_msg("reason %zu: \"%s\" does not parse back", i, n);
        }
        for (j = 1; j < i; j++) {
            if (strcmp(n, reason_name((enum ld_reason)j)) == 0) {
                fail_msg("reasons %zu and %zu share \"%s\"", j, i, n);
            }
        }
    }
    if (reason_from_name("no-such-reason") != LD_REASON_NONE ||
        reason_from_name(NULL) != LD_REASON_NONE) {
        fail_msg("an unknown name must give LD_REASON_NONE");
    }
}

/* policy_rcpt_domain; buflen 0 means "use the whole buffer". */
static void test_policy_rcpt_domain(void **state)
{
    const struct {
        const char *rcpt;
        size_t buflen;
        const char *want; /* NULL: no domain */
    } rows[] = {
        /* clang-format off */
        {"<user@Example.COM>", 0, "Example.COM"},
        {"user@host.example", 0, "host.example"},
        {"  <user@host>  ", 0, "host"},
        {"<user@host>\r\n", 0, "host"},
        {"<@a.example,@b.example:user@host>", 0, "host"},
        {"<@a.example:user@Host.Example.>", 0, "Host.Example."},
        {"@a.example:user@host", 0, "host"},
        {"<\"a@b\"@host>", 0, "host"},
        {"\"a@b\"@host", 0, "host"},
        {"<\"a\\\"@b\"@host>", 0, "host"},
        {"<a\\@b@host>", 0, "host"},
        {"<user@[192.0.2.1]>", 0, "[192.0.2.1]"},
        {"a@b@c", 0, "b@c"},
        {"<>", 0, NULL},
        {"", 0, NULL},
        {"postmaster", 0, NULL},
        {"<postmaster>", 0, NULL},
        {"user@", 0, NULL},
        {"<user@>", 0, NULL},
        {"<\"a@b\">", 0, NULL},
        {"<\"unterminated@host>", 0, NULL},
        {"<@a.example,@b.example>", 0, NULL},
        {"<user@host", 0, "host"},
        {"<user@host>junk", 0, "host"},
        /* "host" needs 5 bytes */
        {"<user@host>", 5, "host"},
        {"<user@host>", 4, LD_RCPT_DOMAIN_TOOLONG},
        {"<user@host>", 1, LD_RCPT_DOMAIN_TOOLONG},
        {"user@example.com.evil.example", 12, LD_RCPT_DOMAIN_TOOLONG},
        /* clang-format on */
    };
    char buf[64];
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        size_t len = rows[i].buflen != 0 ? rows[i].buflen : 32;
        const char *got = NULL;
        size_t k;

        /* Canary after the allowed length catches an overrun. */
        memset(buf, 'Z', sizeof(buf));
        got = policy_rcpt_domain(rows[i].rcpt, buf, len);
        for (k = len; k < sizeof(buf); k++) {
            if (buf[k] != 'Z') {
                fail_msg(
                    "\"%s\" buflen %zu: wrote byte %zu", rows[i].rcpt, len, k);
            }
        }
        if (rows[i].want == NULL || got == NULL) {
            if (rows[i].want != got) {
                fail_msg("\"%s\": got %s%s%s, want %s%s%s",
                         rows[i].rcpt,
                         got ? "\"" : "",
                         got ? got : "NULL",
                         got ? "\"" : "",
                         rows[i].want ? "\"" : "",
                         rows[i].want ? rows[i].want : "NULL",
                         rows[i].want ? "\"" : "");
            }
            continue;
        }
        if (strcmp(got, rows[i].want) != 0) {
            fail_msg("\"%s\" buflen %zu: got \"%s\", want \"%s\"",
                     rows[i].rcpt,
                     len,
                     got,
                     rows[i].want);
        }
        if (got != buf && strcmp(got, LD_RCPT_DOMAIN_TOOLONG) != 0) {
            fail_msg("\"%s\": result not in buf", rows[i].rcpt);
        }
    }
    if (policy_rcpt_domain(NULL, buf, sizeof(buf)) != NULL ||
        policy_rcpt_domain("a@b", NULL, 10) != NULL ||
        policy_rcpt_domain("a@b", buf, 0) != NULL) {
        fail_msg("NULL rcpt/buf or zero buflen: got a domain, want NULL");
    }
}

/* The too-long sentinel is never a local domain: relaying is judged. */
static void test_policy_rcpt_toolong(void **state)
{
    const fixture *fx = *state;
    const ld_config *c = fixture_config(fx, "base");
    char buf[8];
    const char *d = policy_rcpt_domain("<u@example.com>", buf, sizeof(buf));
    ld_addr a;
    ld_conn_facts f = {0};
    ld_session s;
    ld_verdict v;
    char err[LD_ERRLEN];

    assert_int_equal(addr_parse("198.51.100.3", &a, err, sizeof(err)), 0);
    f.addr = &a;
    f.port = 25;
    memset(&s, 0, sizeof(s));
    policy_connect(c, &f, &s, &v);
    policy_mail(c, &s, NULL, NULL, &v);
    policy_rcpt(c, &s, d, false, &v);
    check_verdict("too long domain",
                  "rcpt",
                  c,
                  &v,
                  LD_STAGE_RCPT,
                  "reject relay-denied",
                  "beta");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_policy_table),
        cmocka_unit_test(test_policy_evaluate),
        cmocka_unit_test(test_policy_internal_error),
        cmocka_unit_test(test_policy_deferred_session),
        cmocka_unit_test(test_policy_needs),
        cmocka_unit_test(test_policy_words),
        cmocka_unit_test(test_policy_reply_class),
        cmocka_unit_test(test_policy_reason_names),
        cmocka_unit_test(test_policy_names_scope),
        cmocka_unit_test(test_policy_tls),
        cmocka_unit_test(test_policy_rcpt_domain),
        cmocka_unit_test(test_policy_rcpt_toolong),
    };

    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
