/*
 * fuzz_callbacks.c - the daemon's libmilter callbacks (milter/callbacks.c)
 * driven through whole sessions with arbitrary facts.
 *
 * libmilter itself is replaced by the few smfi_* functions the callbacks
 * call (below): the input decides the macros ({daemon_port},
 * {daemon_name}, {auth_authen}, {rcpt_mailer}: missing, empty, usual or
 * odd), the client socket address (IPv4, IPv6, mapped, NAT64, 6to4, next to
 * a configured boundary, NULL, AF_UNIX, other families), the host name,
 * whether negotiate runs, whether smfi_setpriv fails, whether the config is
 * reloaded in the middle of the session, and the MAIL/RCPT sequence.
 * The configs are the fixtures of fuzz_policy, installed with
 * conf_replace() as the daemon does.
 *
 * Oracle: each answer equals the policy's verdict for the same facts on
 * the config the session started with (the port as macro_port_parse reads
 * it, the domain as policy_rcpt_domain takes it), mapped as documented:
 * the reply's class decides reject or tempfail, a continue at connect
 * without negotiate tempfails, an internal error tempfails. Every
 * smfi_setreply() text is one line with '%' doubled. After xxfi_close no
 * config reference is left (conf_connections() is 0) and nothing leaks.
 */
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>

#include <libmilter/mfapi.h>

#include "callbacks.h"
#include "conf.h"
#include "fuzz.h"
#include "macro.h"
#include "policy.h"
#include "stats.h"

/* ---- the libmilter side ------------------------------------------- */

enum { M_PORT, M_NAME, M_AUTH, M_MAILER, M_N };
static const char *const macro_names[M_N] = {
    "{daemon_port}", "{daemon_name}", "{auth_authen}", "{rcpt_mailer}"};

struct smfi_str {
    void *priv;
    bool setpriv_fails;
    char *macros[M_N]; /* NULL: the MTA did not send it */
    int replies;
};

int smfi_setpriv(SMFICTX *ctx, void *priv)
{
    if (ctx->setpriv_fails && priv != NULL) {
        return MI_FAILURE;
    }
    ctx->priv = priv;
    return MI_SUCCESS;
}

void *smfi_getpriv(SMFICTX *ctx)
{
    return ctx->priv;
}

char *smfi_getsymval(SMFICTX *ctx, char *sym)
{
    size_t i;

    for (i = 0; i < M_N; i++) {
        if (strcmp(sym, macro_names[i]) == 0) {
            return ctx->macros[i];
        }
    }
    return NULL;
}

int smfi_setsymlist(SMFICTX *ctx, int stage, char *macros)
{
    (void)ctx;
    FUZZ_CHECK(macros != NULL && stage >= 0, "smfi_setsymlist(%d)", stage);
    return MI_SUCCESS;
}

int smfi_setreply(SMFICTX *ctx, char *rcode, char *xcode, char *message)
{
    const char *p = NULL;

    ctx->replies++;
    FUZZ_CHECK(rcode != NULL && strlen(rcode) == 3 &&
                   (rcode[0] == '4' || rcode[0] == '5'),
               "smfi_setreply: rcode \"%s\"",
               rcode ? rcode : "(null)");
    FUZZ_CHECK(xcode == NULL || xcode[0] == rcode[0],
               "smfi_setreply: %s with %s",
               rcode,
               xcode);
    FUZZ_CHECK(message != NULL, "smfi_setreply: no text");
    for (p = message; *p != '\0'; p++) {
        FUZZ_CHECK((unsigned char)*p >= 0x20 && *p != 0x7f,
                   "smfi_setreply: control byte 0x%02x in the text",
                   (unsigned char)*p);
        if (*p == '%') {
            FUZZ_CHECK(
                p[1] == '%', "smfi_setreply: lone '%%' in \"%s\"", message);
            p++;
        }
    }
    return MI_SUCCESS;
}

/* ---- configs ------------------------------------------------------- */

static const char *const fixture_files[] = {
    LD_SOURCE_DIR "/etc/lockdown.yaml",
    LD_FUZZ_DIR "/etc/enforce-connect.yaml",
    LD_FUZZ_DIR "/etc/enforce-mail.yaml",
    LD_FUZZ_DIR "/etc/monitor.yaml",
    LD_FUZZ_DIR "/etc/profile-monitor.yaml",
    LD_FUZZ_DIR "/etc/wide.yaml",
};
#define NFIXTURES (sizeof(fixture_files) / sizeof(fixture_files[0]))

/*
 * Each fixture is loaded once and handed to conf_replace() again and again:
 * a YAML load per input was 95% of this harness's time. conf.c frees a
 * config with config_free(), which this harness's link wraps
 * (-Wl,--wrap=config_free), so a fixture is only marked released, and its
 * top-level struct, through which every use starts, poisoned: ASan still
 * reports a use of a config after conf.c let it go (the holder itself is
 * really freed). A fixture handed out again must have been released:
 * conf.c did free the config it replaced once its last connection closed.
 */
static ld_config *fixtures[NFIXTURES];
static bool released[NFIXTURES];
static size_t current = NFIXTURES; /* fixture in conf_current */
static const ld_config *current_cfg;

#ifdef FUZZ_HAVE_ASAN
/*
 * LeakSanitizer ignores pointers held in poisoned memory unless told
 * otherwise, so a released fixture's own allocations looked leaked whenever
 * libFuzzer checked for leaks (a false report in the first long run).
 */
const char *__lsan_default_options(void);
const char *__lsan_default_options(void)
{
    return "use_poisoned=1";
}
#endif

void __real_config_free(ld_config *c);
void __wrap_config_free(ld_config *c);

void __wrap_config_free(ld_config *c)
{
    size_t i;

    for (i = 0; i < NFIXTURES; i++) {
        if (c != NULL && c == fixtures[i]) {
            FUZZ_CHECK(!released[i], "%s freed twice", fixture_files[i]);
            released[i] = true;
            fuzz_poison(c, sizeof(*c));
            return;
        }
    }
    __real_config_free(c);
}

static void install(size_t which)
{
    if (which == current) {
        return;
    }
    FUZZ_CHECK(released[which],
               "%s is still held after its sessions closed",
               fixture_files[which]);
    released[which] = false;
    fuzz_unpoison(fixtures[which], sizeof(*fixtures[which]));
    FUZZ_CHECK(conf_replace(fixtures[which]) == 0, "conf_replace failed");
    current = which;
    current_cfg = fixtures[which];
}

/* At exit every fixture must be back: nothing may hold a config then. */
static void fixtures_free(void)
{
    size_t i;

    conf_shutdown();
    for (i = 0; i < NFIXTURES; i++) {
        FUZZ_CHECK(released[i], "%s held at exit", fixture_files[i]);
        fuzz_unpoison(fixtures[i], sizeof(*fixtures[i]));
        __real_config_free(fixtures[i]);
        fixtures[i] = NULL;
    }
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    char err[LD_ERRLEN];
    size_t i;

    (void)argc;
    (void)argv;
    /* No log_open(): log lines are formatted, then dropped. */
    FUZZ_CHECK(stats_init() == 0, "stats_init failed");
    for (i = 0; i < NFIXTURES; i++) {
        fixtures[i] = config_load_file(fixture_files[i], err, sizeof(err));
        FUZZ_CHECK(fixtures[i] != NULL, "%s: %s", fixture_files[i], err);
        released[i] = true;
    }
    FUZZ_CHECK(atexit(fixtures_free) == 0, "atexit failed");
    install(0);
    return 0;
}

/* ---- the session ----------------------------------------------------- */

static char *read_macro(fuzz_reader *r)
{
    static const char *const usual[] = {
        "25", "587", "2525", "", "local", "smtp", "alice", "MTA", "0", "-1"};
    uint8_t how = fuzz_u8(r);

    if (how < 64) {
        return NULL;
    }
    if (how < 160) {
        return fuzz_strdup((const uint8_t *)usual[how % 10],
                           strlen(usual[how % 10]));
    }
    return fuzz_string(r, 300);
}

static const struct sockaddr *
read_client(fuzz_reader *r, const ld_config *cfg, struct sockaddr_storage *ss)
{
    struct sockaddr_in *sin = (struct sockaddr_in *)ss;
    struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;
    uint8_t shape = fuzz_u8(r) % 9;
    uint8_t b[16] = {0};
    fuzz_u128 v = 0;
    int family = AF_INET;

    memset(ss, 0, sizeof(*ss));
    switch (shape) {
    case 0:
        return NULL;
    case 1:
        ((struct sockaddr_un *)ss)->sun_family = AF_UNIX;
        return (struct sockaddr *)ss;
    case 2:
        ss->ss_family = (sa_family_t)fuzz_u16(r);
        if (ss->ss_family == AF_INET || ss->ss_family == AF_INET6) {
            ss->ss_family = AF_UNSPEC;
        }
        return (struct sockaddr *)ss;
    case 3: /* next to a boundary of a configured range */
        if (cfg->nentries > 0) {
            const ld_entry *e = &cfg->entries[fuzz_u8(r) % cfg->nentries];

            if (e->nranges > 0) {
                const ld_range *rg = &e->ranges[fuzz_u8(r) % e->nranges];
                int8_t delta = (int8_t)fuzz_u8(r);

                family = rg->family;
                v = fuzz_to_u128((delta & 1) ? rg->hi : rg->lo, family) +
                    (fuzz_u128)(__int128)(delta / 2);
            }
        }
        break;
    case 4:
        v = fuzz_u32(r);
        break;
    default: /* 5..8: IPv6, mapped, NAT64, 6to4 */
        family = AF_INET6;
        fuzz_bytes(r, b, 16);
        v = fuzz_to_u128(b, AF_INET6);
        if (shape == 6) {
            v = (fuzz_u128)0xffff << 32 | (v & fuzz_low_mask(32));
        } else if (shape == 7) {
            v = (fuzz_u128)0x0064ff9b << 96 | (v & fuzz_low_mask(32));
        } else if (shape == 8) {
            v = (fuzz_u128)0x2002 << 112 | (v & fuzz_low_mask(32)) << 80;
        }
        break;
    }
    fuzz_from_u128(v & fuzz_low_mask(fuzz_family_bits(family)), family, b);
    if (family == AF_INET) {
        sin->sin_family = AF_INET;
        memcpy(&sin->sin_addr, b, 4);
    } else {
        sin6->sin6_family = AF_INET6;
        memcpy(&sin6->sin6_addr, b, 16);
    }
    return (struct sockaddr *)ss;
}

FUZZ_ORACLE static sfsistat expect_of(const ld_verdict *v)
{
    enum ld_action a = v->action;

    if ((a == LD_REJECT || a == LD_TEMPFAIL) && v->reply != NULL) {
        a = v->reply->rcode[0] == '4' ? LD_TEMPFAIL : LD_REJECT;
    }
    switch (a) {
    case LD_ACCEPT:
        return SMFIS_ACCEPT;
    case LD_CONTINUE:
        return SMFIS_CONTINUE;
    case LD_REJECT:
        return SMFIS_REJECT;
    case LD_TEMPFAIL:
        break;
    }
    return SMFIS_TEMPFAIL;
}

static const char *stat_name(sfsistat s)
{
    switch (s) {
    case SMFIS_CONTINUE:
        return "continue";
    case SMFIS_ACCEPT:
        return "accept";
    case SMFIS_REJECT:
        return "reject";
    case SMFIS_TEMPFAIL:
        return "tempfail";
    default:
        return "other";
    }
}

FUZZ_ORACLE static void check_answer(const char *stage,
                                     sfsistat got,
                                     sfsistat want,
                                     const ld_verdict *v,
                                     int replies_before,
                                     const SMFICTX *ctx)
{
    FUZZ_CHECK(got == want,
               "%s: callback says %s, policy says %s (%s)",
               stage,
               stat_name(got),
               stat_name(want),
               v != NULL ? reason_name(v->reason) : "-");
    if (got == SMFIS_REJECT || got == SMFIS_TEMPFAIL) {
        FUZZ_CHECK(ctx->replies > replies_before,
                   "%s: %s without a reply text",
                   stage,
                   stat_name(got));
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_reader r = {data, size};
    struct smfi_str ctx;
    struct smfiDesc d = callbacks_desc();
    struct sockaddr_storage ss;
    const struct sockaddr *sa = NULL;
    const ld_config *cfg = NULL;
    char *host = NULL, *from = NULL, *rcpt = NULL;
    char *fargv[2] = {NULL, NULL}, *rargv[2] = {NULL, NULL};
    ld_conn_facts facts = {0};
    ld_session s;
    ld_verdict v;
    ld_addr a;
    uint8_t flags, steps;
    sfsistat got, want;
    int port = -1, before;
    bool negotiated, alive = true;
    size_t i;

    if (size > 2048) {
        return 0;
    }
    memset(&ctx, 0, sizeof(ctx));
    flags = fuzz_u8(&r);
    install(flags % NFIXTURES);
    cfg = current_cfg;
    negotiated = (flags & 0x08) != 0;
    ctx.setpriv_fails = (fuzz_u8(&r) & 0x0f) == 0;
    for (i = 0; i < M_N; i++) {
        ctx.macros[i] = read_macro(&r);
    }
    host = (fuzz_u8(&r) & 1) != 0 ? fuzz_string(&r, 300) : NULL;
    sa = read_client(&r, cfg, &ss);

    if (negotiated) {
        unsigned long f0 = (flags & 0x40) != 0 ? SMFIF_SETSYMLIST : 0;
        unsigned long f1 = fuzz_u32(&r), p0, p1, p2, p3;

        got = d.xxfi_negotiate(&ctx, f0, f1, 0, 0, &p0, &p1, &p2, &p3);
        FUZZ_CHECK(got == SMFIS_CONTINUE, "negotiate: %s", stat_name(got));
        FUZZ_CHECK((p1 & ~f1) == 0,
                   "negotiate asked for 0x%lx, offered 0x%lx",
                   p1,
                   f1);
        if (ctx.priv != NULL) {
            FUZZ_CHECK((p1 & SMFIP_NOMAIL) == 0 || !policy_needs_mail(cfg),
                       "negotiate switched MAIL off, the policy needs it");
            FUZZ_CHECK((p1 & SMFIP_NORCPT) == 0 || !policy_needs_rcpt(cfg),
                       "negotiate switched RCPT off, the policy needs it");
        }
        negotiated = ctx.priv != NULL;
    }
    if ((flags & 0x10) != 0) {
        install((current + 1) % NFIXTURES); /* reload: the session keeps cfg */
    }

    /* CONNECT */
    memset(&facts, 0, sizeof(facts));
    memset(&s, 0, sizeof(s));
    facts.addr = addr_from_sockaddr(sa, &a) == 0 ? &a : NULL;
    macro_port_parse(ctx.macros[M_PORT], &port);
    facts.port = port;
    if (!negotiated) {
        cfg = current_cfg; /* connect takes the config of the moment */
    }
    before = ctx.replies;
    got = d.xxfi_connect(&ctx, host, (struct sockaddr *)sa);
    if (ctx.setpriv_fails && ctx.priv == NULL) {
        check_answer(
            "connect (no state)", got, SMFIS_TEMPFAIL, NULL, before, &ctx);
        goto out;
    }
    policy_connect(cfg, &facts, &s, &v);
    want = expect_of(&v);
    if (!negotiated && v.action == LD_CONTINUE && !v.monitored) {
        want = SMFIS_TEMPFAIL;
    }
    check_answer("connect", got, want, &v, before, &ctx);
    if (got != SMFIS_CONTINUE) {
        goto out;
    }
    if ((flags & 0x20) != 0) {
        install((current + 1) % NFIXTURES);
    }

    /* MAIL and RCPTs, with RSET (abort) in between now and then. */
    steps = fuzz_u8(&r) % 6;
    for (i = 0; i < steps && alive; i++) {
        char dbuf[512];
        const char *dom = NULL;
        uint8_t what = fuzz_u8(&r);

        if ((what & 3) == 0) {
            d.xxfi_abort(&ctx);
            s.authenticated = false;
            continue;
        }
        if ((what & 3) == 1) {
            free(ctx.macros[M_AUTH]);
            ctx.macros[M_AUTH] = read_macro(&r);
            free(from);
            from = fuzz_string(&r, 100);
            fargv[0] = from;
            before = ctx.replies;
            got = d.xxfi_envfrom(&ctx, fargv);
            policy_mail(cfg, &s, ctx.macros[M_AUTH], NULL, &v);
            check_answer("mail", got, expect_of(&v), &v, before, &ctx);
        } else {
            free(ctx.macros[M_MAILER]);
            ctx.macros[M_MAILER] = read_macro(&r);
            free(rcpt);
            rcpt = fuzz_string(&r, 600);
            rargv[0] = rcpt;
            before = ctx.replies;
            got = d.xxfi_envrcpt(&ctx, (what & 4) != 0 ? rargv : NULL);
            dom = policy_rcpt_domain(
                (what & 4) != 0 ? rcpt : NULL, dbuf, sizeof(dbuf));
            policy_rcpt(
                cfg, &s, dom, macro_mailer_local(ctx.macros[M_MAILER]), &v);
            check_answer("rcpt", got, expect_of(&v), &v, before, &ctx);
        }
        alive = got == SMFIS_CONTINUE;
    }
out:
    d.xxfi_close(&ctx);
    FUZZ_CHECK(ctx.priv == NULL, "close left the connection state");
    FUZZ_CHECK(conf_connections() == 0,
               "%lu config references after close",
               conf_connections());
    for (i = 0; i < M_N; i++) {
        free(ctx.macros[i]);
    }
    free(host);
    free(from);
    free(rcpt);
    return 0;
}
