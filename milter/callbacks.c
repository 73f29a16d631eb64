/*
 * callbacks.c - libmilter callbacks (see callbacks.h).
 *
 * Per connection: a struct conn in smfi_setpriv() holding the reference to
 * the config the connection started with (taken in xxfi_negotiate, so that
 * the stages asked for and the decisions come from one config), the policy
 * session and the client as logged. xxfi_close frees it.
 *
 * Fail closed: whatever goes wrong inside the daemon (no memory, no state,
 * no config) answers 451 4.3.0 and SMFIS_TEMPFAIL, never accept.
 */
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "addr.h"
#include "callbacks.h"
#include "conf.h"
#include "log.h"
#include "macro.h"
#include "policy.h"
#include "stats.h"

/* The client as the MTA gave it at connect, kept raw: it is formatted for
 * the log only when a line names it (conn_peer()), which "log: refusals"
 * saves for every client let through. */
typedef struct peer_src {
    char host[MACRO_LOG_MAX + 2]; /* cut one past what the log keeps */
    ld_addr addr;
    bool have_addr;
    int family; /* of the socket address, -1: none */
} peer_src;

typedef struct conn {
    conf *conf;      /* reference held until xxfi_close */
    ld_session sess; /* filled by policy_connect() */
    bool negotiated; /* xxfi_negotiate chose the stages for this config */
    int port;        /* local port from {daemon_port}, -1 unknown */
    peer_src src;
    bool peer_ready; /* peer is src formatted */
    log_peer peer;
    char *name; /* verified host name as the MTA gave it, NULL: none */
} conn;

/* The client certificate as the MTA describes it at MAIL, for the log
 * line of that stage: subject, issuer, Sendmail's {verify}; NULL none. */
typedef struct conn_cert {
    const char *subject;
    const char *issuer;
    const char *verify;
} conn_cert;

/* Macros this milter asks for itself, so admins need not touch
 * milter_*_macros (Postfix) or confMILTER_MACROS_* (Sendmail). */
static char macros_connect[] = "{daemon_port} {client_name} {client_resolve}";
static char macros_mail[] =
    "{auth_authen} {auth_type} {cert_subject} {cert_issuer} {verify} "
    "{cn_subject}";
static char macros_rcpt[] = "{rcpt_addr} {rcpt_host} {rcpt_mailer}";

static char sym_daemon_port[] = "{daemon_port}";
static char sym_client_name[] = "{client_name}";
static char sym_client_resolve[] = "{client_resolve}";
static char sym_auth_authen[] = "{auth_authen}";
static char sym_cert_subject[] = "{cert_subject}";
static char sym_cert_issuer[] = "{cert_issuer}";
static char sym_verify[] = "{verify}";
static char sym_cn_subject[] = "{cn_subject}";
static char sym_rcpt_mailer[] = "{rcpt_mailer}";

static char filter_name[] = "lockdown-milter";

/* Warn once per process about what the MTA does not send, not per
 * connection. */
static atomic_flag warned_no_symlist = ATOMIC_FLAG_INIT;
static atomic_flag warned_no_port = ATOMIC_FLAG_INIT;

static const char *const stage_name[] = {"connect", "mail", "rcpt"};
/* By enum ld_match bits. */
static const char *const match_name[] = {
    "", "range", "tls-name", "range,tls-name"};

static conn *conn_new(void)
{
    conn *c = calloc(1, sizeof(*c));

    if (c == NULL) {
        return NULL;
    }
    c->port = -1;
    c->sess.entry = -1;
    snprintf(c->peer.host, sizeof(c->peer.host), "unknown");
    snprintf(c->peer.addr, sizeof(c->peer.addr), "unknown");
    c->peer_ready = true;
    return c;
}

static void conn_free(conn *c)
{
    if (c == NULL) {
        return;
    }
    conf_release(c->conf);
    free(c->name);
    free(c);
}

static void peer_keep(peer_src *src,
                      const char *hostname,
                      const struct sockaddr *sa,
                      const ld_addr *a)
{
    const char *h =
        hostname != NULL && hostname[0] != '\0' ? hostname : "unknown";
    size_t n = strnlen(h, sizeof(src->host) - 1);

    /* Not snprintf: this runs for every connection, logged or not. */
    memcpy(src->host, h, n);
    src->host[n] = '\0';
    src->have_addr = a != NULL;
    if (a != NULL) {
        src->addr = *a;
    }
    src->family = sa != NULL ? (int)sa->sa_family : -1;
}

static void peer_format(const peer_src *src, log_peer *peer)
{
    char buf[LD_ADDRSTRLEN];

    macro_sanitize(src->host, peer->host, sizeof(peer->host));
    if (src->have_addr && addr_format(&src->addr, buf, sizeof(buf)) != NULL) {
        macro_sanitize(buf, peer->addr, sizeof(peer->addr));
    } else if (src->family < 0) {
        snprintf(peer->addr, sizeof(peer->addr), "unknown");
    } else if (src->family == AF_UNIX) {
        snprintf(peer->addr, sizeof(peer->addr), "unix");
    } else {
        snprintf(peer->addr, sizeof(peer->addr), "family-%d", src->family);
    }
}

/* The client as logged, formatted on first use. */
static const log_peer *conn_peer(conn *c)
{
    if (c == NULL) {
        return NULL;
    }
    if (!c->peer_ready) {
        peer_format(&c->src, &c->peer);
        c->peer_ready = true;
    }
    return &c->peer;
}

static stats_row *conn_row(const conn *c, const ld_verdict *v)
{
    const ld_config *cfg = c != NULL && c->conf != NULL ? c->conf->cfg : NULL;

    switch (v->reason) {
    case LD_REASON_INTERNAL_ERROR:
    case LD_REASON_STAGES_UNKNOWN:
        return stats_row_reason(LD_REASON_INTERNAL_ERROR);
    default:
        break;
    }
    if (cfg != NULL && v->entry >= 0 && (size_t)v->entry < cfg->nentries) {
        return c->conf->rows[v->entry];
    }
    if (cfg != NULL && v->disabled_entry >= 0 &&
        (size_t)v->disabled_entry < cfg->nentries) {
        return c->conf->rows[v->disabled_entry];
    }
    return stats_row_reason(v->reason);
}

static const char *entry_name(const ld_config *cfg, int idx)
{
    if (cfg == NULL || idx < 0 || (size_t)idx >= cfg->nentries ||
        cfg->entries[idx].name == NULL) {
        return NULL;
    }
    return cfg->entries[idx].name;
}

/* The one line per decision. user and rcpt are raw MTA values or NULL. */
static void conn_log(conn *c,
                     const log_peer *peer,
                     const ld_verdict *v,
                     const char *user,
                     const char *rcpt,
                     const conn_cert *cert)
{
    const ld_config *cfg = c != NULL && c->conf != NULL ? c->conf->cfg : NULL;
    int port = c != NULL ? c->port : -1;
    /* Each field is sanitized into its own buffer and the line is
     * formatted once, by log_msg(): no copies of copies on the stack. */
    char portbuf[16];
    char entry[MACRO_LOG_BUF];
    char disabled[MACRO_LOG_BUF];
    char userbuf[MACRO_LOG_BUF];
    char rcptbuf[MACRO_LOG_BUF];
    char replybuf[MACRO_LOG_BUF];
    char namebuf[MACRO_LOG_BUF];
    char subjbuf[MACRO_LOG_BUF];
    char issuerbuf[MACRO_LOG_BUF];
    char verifybuf[MACRO_LOG_BUF];
    bool refusal =
        v->monitored || v->action == LD_REJECT || v->action == LD_TEMPFAIL;
    const char *name = NULL;
    bool has_user = user != NULL && user[0] != '\0';
    bool angled = rcpt != NULL && rcpt[0] == '<';
    bool has_reply = refusal && v->reply != NULL;
    bool drift = false;
    bool has_subject =
        cert != NULL && cert->subject != NULL && cert->subject[0] != '\0';
    bool has_issuer =
        cert != NULL && cert->issuer != NULL && cert->issuer[0] != '\0';
    bool has_verify =
        cert != NULL && cert->verify != NULL && cert->verify[0] != '\0';
    unsigned stage = (unsigned)v->stage < 3 ? (unsigned)v->stage : 0;

    /* A decision that lets the client through is a debug message in
     * "log: refusals" mode, and debug messages are not written: return
     * before any formatting, which is what that mode saves. */
    if (!refusal && cfg != NULL && cfg->log == LD_LOG_REFUSALS) {
        return;
    }
    if (peer == NULL) {
        peer = conn_peer(c);
    }
    if (port > 0) {
        snprintf(portbuf, sizeof(portbuf), "%d", port);
    } else {
        snprintf(portbuf, sizeof(portbuf), "-");
    }
    macro_sanitize(entry_name(cfg, v->entry), entry, sizeof(entry));
    name = entry_name(cfg, v->disabled_entry);
    if (name != NULL) {
        macro_sanitize(name, disabled, sizeof(disabled));
    }
    if (has_user) {
        macro_sanitize(user, userbuf, sizeof(userbuf));
    }
    if (rcpt != NULL) {
        macro_sanitize(rcpt, rcptbuf, sizeof(rcptbuf));
    }
    if (has_reply) {
        macro_sanitize_quoted(v->reply->text, replybuf, sizeof(replybuf));
    }
    /* A provider server outside the ranges is the admin's to fix. */
    drift = v->reason == LD_REASON_PROVIDER_NAME_UNLISTED && c != NULL &&
            c->name != NULL;
    if (drift) {
        macro_sanitize(c->name, namebuf, sizeof(namebuf));
    }
    if (has_subject) {
        macro_sanitize_quoted(cert->subject, subjbuf, sizeof(subjbuf));
    }
    if (has_issuer) {
        macro_sanitize_quoted(cert->issuer, issuerbuf, sizeof(issuerbuf));
    }
    if (has_verify) {
        macro_sanitize(cert->verify, verifybuf, sizeof(verifybuf));
    }
    log_msg(drift     ? LOG_WARNING
            : refusal ? LOG_NOTICE
                      : LOG_INFO,
            peer,
            "stage=%s port=%s verdict=%s reason=%s entry=%s"
            "%s%s"           /* match= */
            "%s%s"           /* name= */
            "%s%s"           /* disabled= */
            "%s%s"           /* user= */
            "%s%s%s%s"       /* rcpt=<...> */
            "%s%s%s%s%s%s%s" /* reply="rcode xcode text" */
            "%s%s%s"         /* cert="..." */
            "%s%s%s"         /* issuer="..." */
            "%s%s",          /* verify= */
            stage_name[stage],
            portbuf,
            policy_verdict_word(v),
            reason_name(v->reason),
            entry,
            v->match != 0 ? " match=" : "",
            match_name[v->match & 3],
            drift ? " name=" : "",
            drift ? namebuf : "",
            name != NULL ? " disabled=" : "",
            name != NULL ? disabled : "",
            has_user ? " user=" : "",
            has_user ? userbuf : "",
            rcpt != NULL ? " rcpt=" : "",
            rcpt != NULL && !angled ? "<" : "",
            rcpt != NULL ? rcptbuf : "",
            rcpt != NULL && !angled ? ">" : "",
            has_reply ? " reply=\"" : "",
            has_reply ? v->reply->rcode : "",
            has_reply && v->reply->xcode[0] != '\0' ? " " : "",
            has_reply ? v->reply->xcode : "",
            has_reply ? " " : "",
            has_reply ? replybuf : "",
            has_reply ? "\"" : "",
            has_subject ? " cert=\"" : "",
            has_subject ? subjbuf : "",
            has_subject ? "\"" : "",
            has_issuer ? " issuer=\"" : "",
            has_issuer ? issuerbuf : "",
            has_issuer ? "\"" : "",
            has_verify ? " verify=" : "",
            has_verify ? verifybuf : "");
}

/* Tell libmilter the verdict, with the configured reply for refusals. */
static sfsistat conn_answer(SMFICTX *ctx, conn *c, const ld_verdict *v)
{
    char rcode[sizeof(v->reply->rcode)];
    char xcode[sizeof(v->reply->xcode)];
    char text[1024];
    sfsistat rc = SMFIS_TEMPFAIL;

    switch (v->action) {
    case LD_ACCEPT:
        return SMFIS_ACCEPT;
    case LD_CONTINUE:
        return SMFIS_CONTINUE;
    case LD_REJECT:
        rc = SMFIS_REJECT;
        break;
    case LD_TEMPFAIL:
        rc = SMFIS_TEMPFAIL;
        break;
    }
    if (v->reply == NULL) {
        return rc;
    }
    snprintf(rcode, sizeof(rcode), "%s", v->reply->rcode);
    snprintf(xcode, sizeof(xcode), "%s", v->reply->xcode);
    if (macro_reply_escape(v->reply->text != NULL ? v->reply->text : "",
                           text,
                           sizeof(text)) == NULL) {
        snprintf(text, sizeof(text), "Access denied");
    }
    if (smfi_setreply(ctx, rcode, xcode[0] != '\0' ? xcode : NULL, text) !=
        MI_SUCCESS) {
        log_msg(LOG_WARNING,
                conn_peer(c),
                "smfi_setreply refused \"%s %s\": the MTA uses its own "
                "reply text",
                rcode,
                xcode);
    }
    return rc;
}

static sfsistat conn_internal(SMFICTX *ctx,
                              conn *c,
                              const log_peer *peer,
                              enum ld_stage stage,
                              const char *why)
{
    ld_verdict v;

    policy_internal(&v, stage);
    if (peer == NULL) {
        peer = conn_peer(c);
    }
    log_msg(LOG_ERR, peer, "internal error at %s: %s", stage_name[stage], why);
    conn_log(c, peer, &v, NULL, NULL, NULL);
    stats_count(stats_row_reason(LD_REASON_INTERNAL_ERROR), &v);
    return conn_answer(ctx, c, &v);
}

static sfsistat conn_decide(SMFICTX *ctx,
                            conn *c,
                            const ld_verdict *v,
                            const char *user,
                            const char *rcpt,
                            const conn_cert *cert)
{
    if (v->reason == LD_REASON_INTERNAL_ERROR) {
        return conn_internal(
            ctx, c, NULL, v->stage, "policy found no usable state");
    }
    conn_log(c, NULL, v, user, rcpt, cert);
    stats_count(conn_row(c, v), v);
    return conn_answer(ctx, c, v);
}

/* Stages this milter can do without, each with its no-reply bit. */
struct stage_bits {
    unsigned long no;
    unsigned long nr;
};

static const struct stage_bits unused_stages[] = {
    {SMFIP_NOHELO, SMFIP_NR_HELO},
    {SMFIP_NOHDRS, SMFIP_NR_HDR},
    {SMFIP_NOEOH, SMFIP_NR_EOH},
    {SMFIP_NOBODY, SMFIP_NR_BODY},
    {SMFIP_NOUNKNOWN, SMFIP_NR_UNKN},
    {SMFIP_NODATA, SMFIP_NR_DATA},
};

static unsigned long stage_off(unsigned long offered, struct stage_bits b)
{
    unsigned long flags = 0;

    /* Ask only for what the MTA offers, or libmilter aborts the session;
     * a no-reply bit only where the stage is really switched off. */
    if ((offered & b.no) != 0) {
        flags |= b.no;
        if ((offered & b.nr) != 0) {
            flags |= b.nr;
        }
    }
    return flags;
}

static sfsistat cb_negotiate(SMFICTX *ctx,
                             unsigned long f0,
                             unsigned long f1,
                             unsigned long f2,
                             unsigned long f3,
                             unsigned long *pf0,
                             unsigned long *pf1,
                             unsigned long *pf2,
                             unsigned long *pf3)
{
    conn *c = smfi_getpriv(ctx);
    bool want_mail = true;
    bool want_rcpt = true;
    size_t i;

    (void)f2;
    (void)f3;
    *pf0 = 0;
    *pf1 = 0;
    *pf2 = 0;
    *pf3 = 0;
    if (c == NULL) {
        c = conn_new();
        if (c != NULL && smfi_setpriv(ctx, c) != MI_SUCCESS) {
            conn_free(c);
            c = NULL;
        }
    }
    if (c != NULL) {
        if (c->conf == NULL) {
            c->conf = conf_acquire();
        }
        /* Without a config every stage is asked for: a superset is
         * always safe, connect then fails closed. */
        if (c->conf != NULL) {
            want_mail = policy_needs_mail(c->conf->cfg);
            want_rcpt = policy_needs_rcpt(c->conf->cfg);
        }
        c->negotiated = true;
    } else {
        log_msg(
            LOG_ERR, NULL, "negotiate: out of memory, connect will tempfail");
    }
    for (i = 0; i < sizeof(unused_stages) / sizeof(unused_stages[0]); i++) {
        *pf1 |= stage_off(f1, unused_stages[i]);
    }
    if (!want_mail) {
        struct stage_bits b = {SMFIP_NOMAIL, SMFIP_NR_MAIL};

        *pf1 |= stage_off(f1, b);
    }
    if (!want_rcpt) {
        struct stage_bits b = {SMFIP_NORCPT, SMFIP_NR_RCPT};

        *pf1 |= stage_off(f1, b);
    }
    if ((f0 & SMFIF_SETSYMLIST) == 0) {
        if (!atomic_flag_test_and_set(&warned_no_symlist)) {
            log_msg(LOG_WARNING,
                    NULL,
                    "the MTA does not let the milter ask for macros: add "
                    "{daemon_port} to milter_connect_macros (Postfix) or "
                    "confMILTER_MACROS_CONNECT (Sendmail), else every "
                    "port is judged as locked");
        }
        return SMFIS_CONTINUE;
    }
    *pf0 |= SMFIF_SETSYMLIST;
    if (smfi_setsymlist(ctx, SMFIM_CONNECT, macros_connect) != MI_SUCCESS ||
        (want_mail &&
         smfi_setsymlist(ctx, SMFIM_ENVFROM, macros_mail) != MI_SUCCESS) ||
        (want_rcpt &&
         smfi_setsymlist(ctx, SMFIM_ENVRCPT, macros_rcpt) != MI_SUCCESS)) {
        log_msg(LOG_WARNING,
                NULL,
                "negotiate: smfi_setsymlist failed, the MTA's default "
                "macros apply");
    }
    return SMFIS_CONTINUE;
}

static int conn_port(SMFICTX *ctx, conn *c)
{
    const char *text = smfi_getsymval(ctx, sym_daemon_port);
    char tmp[MACRO_LOG_BUF];
    int port = -1;

    switch (macro_port_parse(text, &port)) {
    case MACRO_PORT_OK:
        break;
    case MACRO_PORT_MISSING:
        if (!atomic_flag_test_and_set(&warned_no_port)) {
            log_msg(LOG_WARNING,
                    conn_peer(c),
                    "the MTA sent no {daemon_port}: the local port is "
                    "unknown and judged as locked (logged once)");
        }
        break;
    case MACRO_PORT_INVALID:
        log_msg(LOG_WARNING,
                conn_peer(c),
                "invalid {daemon_port} \"%s\": the local port is unknown "
                "and judged as locked",
                macro_sanitize_quoted(text, tmp, sizeof(tmp)));
        break;
    }
    return port;
}

static sfsistat cb_connect(SMFICTX *ctx, char *hostname, _SOCK_ADDR *hostaddr)
{
    conn *c = smfi_getpriv(ctx);
    peer_src src;
    log_peer peer;
    ld_addr addr;
    bool have_addr = false;
    ld_conn_facts facts = {0};
    ld_verdict v;

    memset(&addr, 0, sizeof(addr));
    have_addr = addr_from_sockaddr(hostaddr, &addr) == 0;
    peer_keep(&src, hostname, hostaddr, have_addr ? &addr : NULL);
    if (c == NULL) {
        /* No negotiate for this connection (a connection reused after
         * SMFIC_QUIT_NC): the stages are whatever an earlier config
         * asked for. */
        c = conn_new();
        if (c == NULL) {
            peer_format(&src, &peer);
            return conn_internal(
                ctx, NULL, &peer, LD_STAGE_CONNECT, "out of memory");
        }
        if (smfi_setpriv(ctx, c) != MI_SUCCESS) {
            conn_free(c);
            peer_format(&src, &peer);
            return conn_internal(ctx,
                                 NULL,
                                 &peer,
                                 LD_STAGE_CONNECT,
                                 "cannot store the connection state");
        }
    } else {
        /* A second connect without close: start the session over. */
        memset(&c->sess, 0, sizeof(c->sess));
        c->sess.entry = -1;
    }
    c->src = src;
    c->peer_ready = false;
    if (c->conf == NULL) {
        c->conf = conf_acquire();
    }
    if (c->conf == NULL) {
        return conn_internal(
            ctx, c, NULL, LD_STAGE_CONNECT, "no configuration loaded");
    }
    c->port = conn_port(ctx, c);
    facts.addr = have_addr ? &addr : NULL;
    facts.port = c->port;
    if (c->conf->cfg->hostnames_any) {
        facts.client_name =
            macro_verified_name(smfi_getsymval(ctx, sym_client_name),
                                smfi_getsymval(ctx, sym_client_resolve));
    }
    free(c->name);
    c->name = NULL;
    policy_connect(c->conf->cfg, &facts, &c->sess, &v);
    if (c->sess.drift_entry >= 0 && facts.client_name != NULL) {
        /* For the drift line, here or at MAIL or RCPT; without memory that
         * line just lacks name=. */
        c->name = strdup(facts.client_name);
    }
    if (!c->negotiated) {
        /* A new connection negotiates afresh. */
        policy_stages_unknown(&v);
    }
    return conn_decide(ctx, c, &v, NULL, NULL, NULL);
}

static sfsistat cb_envfrom(SMFICTX *ctx, char **argv)
{
    conn *c = smfi_getpriv(ctx);
    const char *auth = NULL;
    conn_cert cert;
    ld_verdict v;

    (void)argv;
    if (c == NULL || c->conf == NULL || !c->sess.connected) {
        return conn_internal(
            ctx, c, conn_peer(c), LD_STAGE_MAIL, "no connection state");
    }
    auth = smfi_getsymval(ctx, sym_auth_authen);
    cert.subject = smfi_getsymval(ctx, sym_cert_subject);
    cert.issuer = smfi_getsymval(ctx, sym_cert_issuer);
    cert.verify = smfi_getsymval(ctx, sym_verify);
    policy_mail(c->conf->cfg,
                &c->sess,
                auth,
                macro_tls_name(cert.subject,
                               cert.verify,
                               smfi_getsymval(ctx, sym_cn_subject)),
                &v);
    return conn_decide(ctx, c, &v, auth, NULL, &cert);
}

static sfsistat cb_envrcpt(SMFICTX *ctx, char **argv)
{
    conn *c = smfi_getpriv(ctx);
    const char *rcpt = argv != NULL ? argv[0] : NULL;
    char domain[512];
    const char *d = NULL;
    const char *mailer = NULL;
    ld_verdict v;

    if (c == NULL || c->conf == NULL || !c->sess.connected) {
        return conn_internal(
            ctx, c, conn_peer(c), LD_STAGE_RCPT, "no connection state");
    }
    mailer = smfi_getsymval(ctx, sym_rcpt_mailer);
    d = policy_rcpt_domain(rcpt, domain, sizeof(domain));
    policy_rcpt(c->conf->cfg, &c->sess, d, macro_mailer_local(mailer), &v);
    return conn_decide(ctx, c, &v, NULL, rcpt != NULL ? rcpt : "", NULL);
}

static sfsistat cb_abort(SMFICTX *ctx)
{
    conn *c = smfi_getpriv(ctx);

    /* Authentication is read again at every MAIL; nothing of one
     * transaction may carry over to the next. */
    if (c != NULL) {
        c->sess.authenticated = false;
    }
    return SMFIS_CONTINUE;
}

static sfsistat cb_close(SMFICTX *ctx)
{
    conn *c = smfi_getpriv(ctx);

    if (c != NULL) {
        (void)smfi_setpriv(ctx, NULL);
        conn_free(c);
    }
    return SMFIS_CONTINUE;
}

struct smfiDesc callbacks_desc(void)
{
    struct smfiDesc d;

    memset(&d, 0, sizeof(d));
    d.xxfi_name = filter_name;
    d.xxfi_version = SMFI_VERSION;
    d.xxfi_flags = SMFIF_SETSYMLIST;
    d.xxfi_connect = cb_connect;
    d.xxfi_envfrom = cb_envfrom;
    d.xxfi_envrcpt = cb_envrcpt;
    d.xxfi_abort = cb_abort;
    d.xxfi_close = cb_close;
    d.xxfi_negotiate = cb_negotiate;
    return d;
}
