/*
 * fuzz_policy.c - the policy fed arbitrary connection facts.
 *
 * Configs: the shipped etc/lockdown.yaml and the fixtures in
 * tests/fuzz/etc/ (enforce at connect and at MAIL with a 4xx reply, global
 * and per-profile monitor, /0 entries with longer ones inside), loaded once.
 * The input picks a config, a socket address (IPv4, IPv6, IPv4-mapped,
 * IPv4-compatible, NAT64 64:ff9b::/96, 6to4 2002::/16, each either random
 * or next to a configured boundary; NULL, AF_UNIX, any other family), a
 * local port, an authenticated user and a recipient, then runs connect,
 * MAIL and RCPT as an MTA would.
 *
 * Each verdict is checked against an oracle computed here from the config's
 * entries, with no lib/ lookup: longest prefix over the enabled entries,
 * mapped addresses as IPv4 and nothing else translated. Above all: in
 * enforce mode an outsider on a locked port is never let through (connect,
 * or MAIL when deferred, unless authenticated), nor is a relaying client
 * without the right; every verdict has a reason, a reply when it refuses,
 * and the right stage.
 */
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/un.h>

#include "fuzz.h"
#include "policy.h"

#define MAX_CONFIGS 8
#define MAX_NAIVE 4096

typedef struct naive_prefix {
    uint8_t family;
    fuzz_u128 lo, hi;
    unsigned len;
    int entry;
} naive_prefix;

typedef struct fixture {
    const char *file;
    ld_config *c;
    naive_prefix *allowed;
    size_t nallowed;
    naive_prefix *disabled;
    size_t ndisabled;
    bool outsider_monitor; /* an outsider refusal is monitored */
} fixture;

static fixture fixtures[MAX_CONFIGS];
static size_t nfixtures;

static const char *const fixture_files[] = {
    LD_SOURCE_DIR "/etc/lockdown.yaml",
    LD_FUZZ_DIR "/etc/enforce-connect.yaml",
    LD_FUZZ_DIR "/etc/enforce-mail.yaml",
    LD_FUZZ_DIR "/etc/monitor.yaml",
    LD_FUZZ_DIR "/etc/profile-monitor.yaml",
    LD_FUZZ_DIR "/etc/wide.yaml",
};

static enum ld_mode entry_mode(const ld_config *c, const ld_entry *e)
{
    return e->has_mode ? e->mode : c->mode;
}

static void
naive_add_entry(naive_prefix **list, size_t *n, const ld_entry *e, int index)
{
    static fuzz_u128 start[256];
    static unsigned len[256];
    size_t r, i, k;

    for (r = 0; r < e->nranges; r++) {
        const ld_range *rg = &e->ranges[r];

        k = fuzz_range_prefixes(rg->family,
                                fuzz_to_u128(rg->lo, rg->family),
                                fuzz_to_u128(rg->hi, rg->family),
                                start,
                                len,
                                256);
        *list = realloc(*list, (*n + k) * sizeof(**list));
        FUZZ_CHECK(*list != NULL, "out of memory");
        for (i = 0; i < k; i++) {
            naive_prefix *p = &(*list)[(*n)++];

            p->family = rg->family;
            p->lo = start[i];
            p->hi =
                start[i] | fuzz_low_mask(fuzz_family_bits(rg->family) - len[i]);
            p->len = len[i];
            p->entry = index;
        }
    }
}

static void fixture_load(fixture *fx, const char *file)
{
    char err[LD_ERRLEN];
    size_t i;

    fx->file = file;
    fx->c = config_load_file(file, err, sizeof(err));
    if (fx->c == NULL) {
        fprintf(stderr, "fuzz_policy: %s\n", err);
        abort();
    }
    fx->outsider_monitor = fx->c->mode == LD_MODE_MONITOR;
    for (i = 0; i < fx->c->nentries; i++) {
        const ld_entry *e = &fx->c->entries[i];

        FUZZ_CHECK(config_entry_mode(fx->c, e) == entry_mode(fx->c, e),
                   "%s: config_entry_mode(%s) is wrong",
                   file,
                   e->name);
        if (e->kind == LD_ENTRY_TRUSTED || e->enabled) {
            naive_add_entry(&fx->allowed, &fx->nallowed, e, (int)i);
            if (e->kind == LD_ENTRY_PROVIDER &&
                entry_mode(fx->c, e) == LD_MODE_MONITOR) {
                fx->outsider_monitor = true;
            }
        } else {
            naive_add_entry(&fx->disabled, &fx->ndisabled, e, (int)i);
        }
    }
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    size_t i;

    (void)argc;
    (void)argv;
    for (i = 0; i < sizeof(fixture_files) / sizeof(fixture_files[0]); i++) {
        fixture_load(&fixtures[nfixtures++], fixture_files[i]);
    }
    return 0;
}

/* Longest prefix holding the address; equal prefixes: lowest entry. */
static int naive_lookup(const naive_prefix *list, size_t n, const ld_addr *a)
{
    fuzz_u128 v = fuzz_to_u128(a->bytes, a->family);
    const naive_prefix *best = NULL;
    size_t i;

    for (i = 0; i < n; i++) {
        const naive_prefix *p = &list[i];

        if (p->family != a->family || v < p->lo || v > p->hi) {
            continue;
        }
        if (best == NULL || p->len > best->len ||
            (p->len == best->len && p->entry < best->entry)) {
            best = p;
        }
    }
    return best != NULL ? best->entry : -1;
}

static fuzz_u128 pick_base(fuzz_reader *r, const fixture *fx, int *family)
{
    uint8_t how = fuzz_u8(r);
    const ld_config *c = fx->c;

    if ((how & 1) != 0 && c->nentries > 0) {
        const ld_entry *e = &c->entries[fuzz_u8(r) % c->nentries];
        const ld_range *rg = NULL;
        int8_t delta = (int8_t)fuzz_u8(r);
        fuzz_u128 v;

        if (e->nranges == 0) {
            return 0;
        }
        rg = &e->ranges[fuzz_u8(r) % e->nranges];
        *family = rg->family;
        v = fuzz_to_u128((how & 2) != 0 ? rg->hi : rg->lo, rg->family);
        v += (fuzz_u128)(__int128)delta;
        return v & fuzz_low_mask(fuzz_family_bits(rg->family));
    }
    *family = (how & 2) != 0 ? AF_INET6 : AF_INET;
    if (*family == AF_INET) {
        return fuzz_u32(r);
    }
    return (fuzz_u128)fuzz_u32(r) << 96 | (fuzz_u128)fuzz_u32(r) << 64 |
           (fuzz_u128)fuzz_u32(r) << 32 | fuzz_u32(r);
}

/*
 * Fill a socket address the way libmilter hands it over; returns NULL for
 * "no address". *want is what addr_from_sockaddr must make of it.
 */
static const struct sockaddr *make_sockaddr(fuzz_reader *r,
                                            const fixture *fx,
                                            struct sockaddr_storage *ss,
                                            ld_addr *want,
                                            bool *want_ok)
{
    uint8_t shape = fuzz_u8(r) % 10;
    struct sockaddr_in *sin = (struct sockaddr_in *)ss;
    struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;
    struct sockaddr_un *un = (struct sockaddr_un *)ss;
    int family = AF_INET;
    fuzz_u128 v = 0, v4;

    memset(ss, 0, sizeof(*ss));
    memset(want, 0, sizeof(*want));
    *want_ok = false;
    if (shape == 6) {
        return NULL;
    }
    if (shape == 7) {
        un->sun_family = AF_UNIX;
        strcpy(un->sun_path, "/run/lockdown-milter/x.sock");
        return (struct sockaddr *)ss;
    }
    if (shape == 8) {
        uint8_t junk[sizeof(*ss)];

        fuzz_bytes(r, junk, sizeof(junk));
        memcpy(ss, junk, sizeof(junk));
        ss->ss_family = fuzz_u16(r);
        if (ss->ss_family == AF_INET || ss->ss_family == AF_INET6) {
            ss->ss_family = AF_UNSPEC;
        }
        return (struct sockaddr *)ss;
    }
    v = pick_base(r, fx, &family);
    v4 = v & fuzz_low_mask(32);
    switch (shape) {
    case 0: /* as picked */
    case 1:
        break;
    case 2: /* IPv4-mapped */
        family = AF_INET6;
        v = (fuzz_u128)0xffff << 32 | v4;
        break;
    case 3: /* IPv4-compatible */
        family = AF_INET6;
        v = v4;
        break;
    case 4: /* NAT64 */
        family = AF_INET6;
        v = (fuzz_u128)0x0064ff9b << 96 | v4;
        break;
    case 5: /* 6to4 */
        family = AF_INET6;
        v = (fuzz_u128)0x2002 << 112 | v4 << 80;
        break;
    default: /* 9: the other family's view of the same bits */
        family = family == AF_INET ? AF_INET6 : AF_INET;
        v &= fuzz_low_mask(fuzz_family_bits(family));
        break;
    }
    if (family == AF_INET) {
        sin->sin_family = AF_INET;
        sin->sin_port = htons(fuzz_u16(r));
        fuzz_from_u128(v, AF_INET, (uint8_t *)want->bytes);
        memcpy(&sin->sin_addr, want->bytes, 4);
        want->family = AF_INET;
    } else {
        sin6->sin6_family = AF_INET6;
        sin6->sin6_port = htons(fuzz_u16(r));
        sin6->sin6_scope_id = fuzz_u8(r);
        fuzz_from_u128(v, AF_INET6, want->bytes);
        memcpy(&sin6->sin6_addr, want->bytes, 16);
        want->family = AF_INET6;
        if ((v >> 32) == 0xffff) {
            want->family = AF_INET;
            fuzz_from_u128(v4, AF_INET, want->bytes);
        }
    }
    *want_ok = true;
    return (struct sockaddr *)ss;
}

static int pick_port(fuzz_reader *r)
{
    static const int ports[] = {-1, 25, 587, 2525, 0, 465, 65535, 24, 26};
    uint8_t how = fuzz_u8(r);

    if (how < 200) {
        return ports[how % (sizeof(ports) / sizeof(ports[0]))];
    }
    return (int)fuzz_u32(r) % 70000 - 1000;
}

static bool port_locked(const ld_config *c, int port)
{
    size_t i;

    if (c->nports == 0 || port < 0) {
        return true;
    }
    for (i = 0; i < c->nports; i++) {
        if (c->ports[i] == port) {
            return true;
        }
    }
    return false;
}

static bool domain_local(const ld_config *c, const char *d)
{
    size_t len = strlen(d), i;

    if (len > 0 && d[len - 1] == '.') {
        len--;
    }
    for (i = 0; i < c->nlocal_domains; i++) {
        if (strlen(c->local_domains[i]) == len &&
            strncasecmp(c->local_domains[i], d, len) == 0) {
            return true;
        }
    }
    return false;
}

static bool refusing(enum ld_action a)
{
    return a == LD_REJECT || a == LD_TEMPFAIL;
}

static void
check_verdict(const char *what, const ld_verdict *v, enum ld_stage stage)
{
    const char *word = policy_verdict_word(v);

    FUZZ_CHECK(v->reason > LD_REASON_NONE && v->reason < LD_REASON_COUNT,
               "%s: verdict without a reason (%d)",
               what,
               (int)v->reason);
    FUZZ_CHECK(
        v->stage == stage, "%s: stage %d, want %d", what, v->stage, stage);
    FUZZ_CHECK(v->action >= LD_CONTINUE && v->action <= LD_TEMPFAIL &&
                   v->would >= LD_CONTINUE && v->would <= LD_TEMPFAIL,
               "%s: action %d would %d",
               what,
               v->action,
               v->would);
    FUZZ_CHECK(policy_action_name(v->action) != NULL && word != NULL,
               "%s: no name for the verdict",
               what);
    if (v->monitored) {
        FUZZ_CHECK(v->action == LD_CONTINUE && refusing(v->would),
                   "%s (%s): monitored but action %s would %s",
                   what,
                   reason_name(v->reason),
                   policy_action_name(v->action),
                   policy_action_name(v->would));
        FUZZ_CHECK(strncmp(word, "would-", 6) == 0,
                   "%s: monitored verdict printed \"%s\"",
                   what,
                   word);
    } else {
        FUZZ_CHECK(v->action == v->would,
                   "%s (%s): action %s would %s",
                   what,
                   reason_name(v->reason),
                   policy_action_name(v->action),
                   policy_action_name(v->would));
    }
    if (refusing(v->would)) {
        FUZZ_CHECK(v->reply != NULL && v->reply->rcode[0] != '\0',
                   "%s (%s): refusal without a reply",
                   what,
                   reason_name(v->reason));
        /* The reply's class is the verdict's: a tempfail with a 5xx would
         * turn "try later" into a bounce, a reject with a 4xx would make
         * lockdownctl check and the MTA disagree. */
        FUZZ_CHECK((v->reply->rcode[0] == '4' && v->would == LD_TEMPFAIL) ||
                       (v->reply->rcode[0] == '5' && v->would == LD_REJECT),
                   "%s (%s): %s with reply code %s",
                   what,
                   reason_name(v->reason),
                   policy_action_name(v->would),
                   v->reply->rcode);
    }
}

static void check_internal(const char *what, ld_verdict *v, enum ld_stage stage)
{
    FUZZ_CHECK(v->action == LD_TEMPFAIL && !v->monitored,
               "%s: %s, want tempfail",
               what,
               policy_action_name(v->action));
    check_verdict(what, v, stage);
    memset(v, 0, sizeof(*v));
}

/* The internal-error paths: no config, no session, a session that
 * policy_connect() never filled. */
static void check_missing_state(const fixture *fx)
{
    ld_conn_facts f = {NULL, 25, NULL, NULL};
    ld_session s;
    ld_verdict v;

    memset(&s, 0, sizeof(s));
    memset(&v, 0, sizeof(v));
    policy_connect(NULL, &f, &s, &v);
    check_internal("connect without a config", &v, LD_STAGE_CONNECT);
    policy_mail(fx->c, NULL, NULL, NULL, &v);
    check_internal("MAIL without a session", &v, LD_STAGE_MAIL);
    policy_rcpt(fx->c, NULL, "example.org", false, &v);
    check_internal("RCPT without a session", &v, LD_STAGE_RCPT);
    memset(&s, 0, sizeof(s));
    policy_mail(fx->c, &s, "user", NULL, &v);
    check_internal("MAIL on a zeroed session", &v, LD_STAGE_MAIL);
    policy_rcpt(fx->c, &s, "example.org", false, &v);
    check_internal("RCPT on a zeroed session", &v, LD_STAGE_RCPT);
}

/*
 * policy_evaluate() must equal the stages run one by one, stopping at the
 * first verdict that is not a plain continue.
 */
static void check_evaluate(const fixture *fx,
                           const ld_conn_facts *f,
                           const char *auth,
                           const char *rcpt)
{
    ld_session s;
    ld_verdict want, got;
    char dbuf[256];
    const char *domain = NULL;

    if (rcpt != NULL) {
        domain = policy_rcpt_domain(rcpt, dbuf, sizeof(dbuf));
    }
    memset(&s, 0, sizeof(s));
    policy_connect(fx->c, f, &s, &want);
    if (want.action == LD_CONTINUE && !want.monitored) {
        policy_mail(fx->c, &s, auth, NULL, &want);
        if (want.action == LD_CONTINUE && !want.monitored && domain != NULL) {
            policy_rcpt(fx->c, &s, domain, false, &want);
        }
    }
    memset(&got, 0x5a, sizeof(got));
    policy_evaluate(fx->c, f, auth, domain, &got);
    FUZZ_CHECK(got.action == want.action && got.would == want.would &&
                   got.monitored == want.monitored && got.stage == want.stage &&
                   got.entry == want.entry && got.reason == want.reason &&
                   got.reply == want.reply,
               "%s: policy_evaluate gave %s/%s at stage %d, stages give "
               "%s/%s at stage %d",
               fx->file,
               policy_action_name(got.action),
               reason_name(got.reason),
               got.stage,
               policy_action_name(want.action),
               reason_name(want.reason),
               want.stage);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_reader r = {data, size};
    const fixture *fx = NULL;
    const ld_config *c = NULL;
    struct sockaddr_storage ss;
    const struct sockaddr *sa = NULL;
    ld_addr a, want, norm;
    bool want_ok = false, locked, insider, deferred = false;
    ld_conn_facts f = {0};
    ld_session s;
    ld_verdict v;
    char *auth = NULL, *rcpt = NULL;
    char dbuf[256];
    const char *domain = NULL;
    int rc, entry, disabled, port;
    uint8_t flags;

    if (size > 1024) {
        return 0;
    }
    flags = fuzz_u8(&r);
    fx = &fixtures[flags % nfixtures];
    c = fx->c;
    if ((flags & 0x80) != 0) {
        check_missing_state(fx);
    }
    sa = make_sockaddr(&r, fx, &ss, &want, &want_ok);
    port = pick_port(&r);
    auth = (fuzz_u8(&r) & 1) != 0 ? fuzz_string(&r, 64) : NULL;
    rcpt = (fuzz_u8(&r) & 1) != 0 ? fuzz_string(&r, 300) : NULL;

    /* The socket address, as the daemon converts it. */
    memset(&a, 0x5a, sizeof(a));
    rc = addr_from_sockaddr(sa, &a);
    FUZZ_CHECK((rc == 0) == want_ok, "addr_from_sockaddr returned %d", rc);
    if (rc == 0) {
        FUZZ_CHECK(a.family == want.family &&
                       memcmp(a.bytes, want.bytes, 16) == 0,
                   "addr_from_sockaddr: family %d, want %d, or bytes differ",
                   a.family,
                   want.family);
        norm = a;
        addr_normalize(&norm);
        FUZZ_CHECK(memcmp(&norm, &a, sizeof(a)) == 0,
                   "addr_normalize changed a converted address");
    }
    f.addr = rc == 0 ? &a : NULL;
    f.port = port;

    locked = port_locked(c, port);
    FUZZ_CHECK(config_port_locked(c, port) == locked,
               "config_port_locked(%d) is %d",
               port,
               !locked);
    entry = f.addr != NULL ? naive_lookup(fx->allowed, fx->nallowed, &a) : -1;
    disabled =
        f.addr != NULL ? naive_lookup(fx->disabled, fx->ndisabled, &a) : -1;
    insider = entry >= 0;
    check_evaluate(fx, &f, auth, rcpt);

    /* CONNECT */
    memset(&s, 0, sizeof(s));
    memset(&v, 0x5a, sizeof(v));
    policy_connect(c, &f, &s, &v);
    check_verdict("connect", &v, LD_STAGE_CONNECT);
    if (!locked) {
        FUZZ_CHECK(v.action == LD_ACCEPT && !s.judged,
                   "%s: port %d is not locked: %s (%s)",
                   fx->file,
                   port,
                   policy_action_name(v.action),
                   reason_name(v.reason));
        goto out;
    }
    if (f.addr == NULL) {
        enum ld_action w = c->unknown_client == LD_UNKNOWN_TEMPFAIL
                               ? LD_TEMPFAIL
                           : c->unknown_client == LD_UNKNOWN_REJECT ? LD_REJECT
                                                                    : LD_ACCEPT;

        /* reject uses refuse.reply, whose code decides the class. */
        if (w == LD_REJECT && c->refuse_reply.rcode[0] == '4') {
            w = LD_TEMPFAIL;
        }
        FUZZ_CHECK(v.would == w || (w == LD_ACCEPT && v.would == LD_CONTINUE),
                   "%s: unknown client: would %s, want %s",
                   fx->file,
                   policy_action_name(v.would),
                   policy_action_name(w));
        FUZZ_CHECK(s.judged == (w != LD_ACCEPT),
                   "%s: unknown client, judged %d",
                   fx->file,
                   s.judged);
        FUZZ_CHECK(!refusing(v.would) || v.monitored == fx->outsider_monitor,
                   "%s: unknown client refused, monitored %d",
                   fx->file,
                   v.monitored);
        goto out;
    }
    FUZZ_CHECK(
        s.judged, "%s: port %d is locked but not judged", fx->file, port);
    if (insider) {
        FUZZ_CHECK(!refusing(v.would) && v.entry == entry && s.entry == entry,
                   "%s: insider (entry %d %s) got %s, entry %d",
                   fx->file,
                   entry,
                   c->entries[entry].name,
                   policy_action_name(v.would),
                   v.entry);
        /* Accepting now would skip the relay check at RCPT. */
        FUZZ_CHECK(v.action != LD_ACCEPT || c->nlocal_domains == 0 ||
                       c->entries[entry].relay,
                   "%s: insider %s accepted at connect, but it may not relay",
                   fx->file,
                   c->entries[entry].name);
    } else {
        FUZZ_CHECK(v.entry == -1 && s.entry == -1,
                   "%s: outsider matched entry %d",
                   fx->file,
                   v.entry);
        FUZZ_CHECK(v.action != LD_ACCEPT,
                   "%s: outsider accepted at connect",
                   fx->file);
        if (c->refuse_at == LD_REFUSE_CONNECT) {
            FUZZ_CHECK(refusing(v.would) && v.monitored == fx->outsider_monitor,
                       "%s: outsider at connect: would %s, monitored %d",
                       fx->file,
                       policy_action_name(v.would),
                       v.monitored);
            FUZZ_CHECK(fx->outsider_monitor || refusing(v.action),
                       "%s: outsider let through in enforce mode",
                       fx->file);
            FUZZ_CHECK(v.disabled_entry == disabled,
                       "%s: disabled_entry %d, want %d",
                       fx->file,
                       v.disabled_entry,
                       disabled);
        } else {
            FUZZ_CHECK(v.action == LD_CONTINUE && s.refused_deferred,
                       "%s: outsider with refuse.at mail: %s, deferred %d",
                       fx->file,
                       policy_action_name(v.action),
                       s.refused_deferred);
            FUZZ_CHECK(policy_needs_mail(c),
                       "%s: refusal deferred but MAIL not needed",
                       fx->file);
            deferred = true;
        }
    }
    if (refusing(v.action)) {
        goto out; /* the MTA hangs up */
    }

    /* MAIL */
    memset(&v, 0x5a, sizeof(v));
    policy_mail(c, &s, auth, NULL, &v);
    check_verdict("mail", &v, LD_STAGE_MAIL);
    FUZZ_CHECK(s.authenticated == (auth != NULL && auth[0] != '\0'),
               "%s: auth \"%s\" gives authenticated %d",
               fx->file,
               auth != NULL ? auth : "(null)",
               s.authenticated);
    if (deferred && !s.authenticated) {
        FUZZ_CHECK(refusing(v.would) && v.monitored == fx->outsider_monitor,
                   "%s: deferred outsider at MAIL: would %s, monitored %d",
                   fx->file,
                   policy_action_name(v.would),
                   v.monitored);
        FUZZ_CHECK(v.disabled_entry == disabled,
                   "%s: MAIL disabled_entry %d, want %d",
                   fx->file,
                   v.disabled_entry,
                   disabled);
    } else {
        FUZZ_CHECK(!refusing(v.would),
                   "%s: MAIL refused (%s), auth \"%s\"",
                   fx->file,
                   reason_name(v.reason),
                   auth != NULL ? auth : "(null)");
    }
    if (refusing(v.action)) {
        goto out;
    }

    /* RCPT */
    if (rcpt != NULL) {
        domain = policy_rcpt_domain(rcpt, dbuf, sizeof(dbuf));
    }
    memset(&v, 0x5a, sizeof(v));
    policy_rcpt(c, &s, domain, false, &v);
    check_verdict("rcpt", &v, LD_STAGE_RCPT);
    if (domain != NULL && domain[0] != '\0') {
        FUZZ_CHECK(config_domain_local(c, domain) == domain_local(c, domain),
                   "%s: config_domain_local(\"%s\") is wrong",
                   fx->file,
                   domain);
    }
    if (c->nlocal_domains > 0 && domain != NULL && domain[0] != '\0' &&
        !domain_local(c, domain)) {
        bool may = (insider && c->entries[entry].relay) ||
                   (s.authenticated && c->relay_authenticated);

        FUZZ_CHECK(policy_needs_rcpt(c),
                   "%s: relay judged, RCPT not needed",
                   fx->file);
        if (may) {
            FUZZ_CHECK(!refusing(v.would),
                       "%s: relay to \"%s\" refused (%s)",
                       fx->file,
                       domain,
                       reason_name(v.reason));
        } else {
            /* The matched entry's mode; for an outsider (authenticated,
             * or let through by monitor) the outsider mode. */
            bool must =
                insider ? entry_mode(c, &c->entries[entry]) == LD_MODE_MONITOR
                        : fx->outsider_monitor;

            FUZZ_CHECK(refusing(v.would) && must == v.monitored,
                       "%s: relay to \"%s\" without the right: would %s, "
                       "monitored %d",
                       fx->file,
                       domain,
                       policy_action_name(v.would),
                       v.monitored);
            FUZZ_CHECK(v.reply == &c->relay_reply,
                       "%s: relay refusal without relay.reply",
                       fx->file);
        }
    } else {
        FUZZ_CHECK(!refusing(v.would),
                   "%s: RCPT to \"%s\" refused (%s)",
                   fx->file,
                   domain != NULL ? domain : "(none)",
                   reason_name(v.reason));
    }
out:
    free(auth);
    free(rcpt);
    return 0;
}
