/*
 * policy.c - the lockdown decision (semantics in policy.h).
 *
 * Every function here only reads the config and writes the caller's
 * session and verdict: no allocation, no locks, no I/O, so the daemon can
 * call it from any number of threads on a shared config.
 */
#include <string.h>

#include "namepat.h"
#include "policy.h"

/* ld_reply.text is not const; these are never written through. */
static char internal_text[] = "Internal error, try again later";
static char unknown_text[] = "Client address unknown, try again later";
static const ld_reply reply_internal = {"451", "4.3.0", internal_text};
static const ld_reply reply_unknown = {"451", "4.7.1", unknown_text};

static void verdict_init(ld_verdict *v, enum ld_stage stage, int entry)
{
    v->action = LD_CONTINUE;
    v->would = LD_CONTINUE;
    v->monitored = false;
    v->stage = stage;
    v->entry = entry;
    v->disabled_entry = -1;
    v->reason = LD_REASON_NONE;
    v->match = 0;
    v->reply = NULL;
}

static void
verdict_pass(ld_verdict *v, enum ld_action action, enum ld_reason reason)
{
    v->action = action;
    v->would = action;
    v->monitored = false;
    v->reason = reason;
    v->reply = NULL;
}

/* The reply's code decides between a temporary and a permanent refusal:
 * libmilter drops a reply whose class does not match the answer, so a 4xx
 * refuse.reply must be a tempfail for the MTA to send it. */
static enum ld_action reply_action(enum ld_action a, const ld_reply *r)
{
    if (r == NULL || (a != LD_REJECT && a != LD_TEMPFAIL)) {
        return a;
    }
    if (r->rcode[0] == '4') {
        return LD_TEMPFAIL;
    }
    if (r->rcode[0] == '5') {
        return LD_REJECT;
    }
    return a;
}

/* A refusal, softened to continue when the mode that governs it is
 * monitor. The reply is kept so that the log can say what would have been
 * sent. */
static void verdict_refuse(ld_verdict *v,
                           enum ld_action action,
                           enum ld_reason reason,
                           const ld_reply *reply,
                           enum ld_mode mode)
{
    action = reply_action(action, reply);
    v->would = action;
    v->reason = reason;
    v->reply = reply;
    if (mode == LD_MODE_MONITOR) {
        v->action = LD_CONTINUE;
        v->monitored = true;
    } else {
        v->action = action;
        v->monitored = false;
    }
}

/* Fail closed: never monitored, whatever the mode. */
static void verdict_fail(ld_verdict *v, enum ld_stage stage, enum ld_reason r)
{
    verdict_init(v, stage, -1);
    v->action = LD_TEMPFAIL;
    v->would = LD_TEMPFAIL;
    v->reason = r;
    v->reply = &reply_internal;
}

void policy_internal(ld_verdict *v, enum ld_stage stage)
{
    if (v != NULL) {
        verdict_fail(v, stage, LD_REASON_INTERNAL_ERROR);
    }
}

void policy_stages_unknown(ld_verdict *v)
{
    if (v != NULL && v->action == LD_CONTINUE && !v->monitored) {
        int entry = v->entry;
        unsigned match = v->match;

        verdict_fail(v, v->stage, LD_REASON_STAGES_UNKNOWN);
        v->entry = entry;
        v->match = match;
    }
}

/* An outsider is let through as soon as one enabled profile is in monitor
 * mode: otherwise monitoring a new provider would still refuse its servers
 * while they are being added. */
static enum ld_mode policy_outsider_mode(const ld_config *c)
{
    size_t i;

    if (c->mode == LD_MODE_MONITOR) {
        return LD_MODE_MONITOR;
    }
    for (i = 0; i < c->nproviders && i < c->nentries; i++) {
        const ld_entry *e = &c->entries[i];

        if (e->kind == LD_ENTRY_PROVIDER && e->enabled &&
            config_entry_mode(c, e) == LD_MODE_MONITOR) {
            return LD_MODE_MONITOR;
        }
    }
    return LD_MODE_ENFORCE;
}

static enum ld_mode policy_entry_mode(const ld_config *c, int entry)
{
    if (entry < 0 || (size_t)entry >= c->nentries) {
        return policy_outsider_mode(c);
    }
    return config_entry_mode(c, &c->entries[entry]);
}

static void session_init(ld_session *s)
{
    s->judged = false;
    s->refused_deferred = false;
    s->authenticated = false;
    s->entry = -1;
    s->connected = false;
    s->disabled_entry = -1;
    s->drift_entry = -1;
    s->scoped = false;
    s->tls_check = false;
    s->match = 0;
    s->reason = LD_REASON_NONE;
}

/* The first enabled provider whose patterns match name: its tls_names
 * (tls), or its hostnames:, which only explain and soften a refusal. */
static int policy_pattern_entry(const ld_config *c, const char *name, bool tls)
{
    char buf[NAMEPAT_MAX + 1];
    int len;
    size_t i;
    size_t k;

    if (name == NULL) {
        return -1;
    }
    len = namepat_name(name, buf, sizeof(buf));
    if (len < 0) {
        return -1;
    }
    for (i = 0; i < c->nproviders && i < c->nentries; i++) {
        const ld_entry *e = &c->entries[i];
        const namepat *p = tls ? e->tls_names : e->hostnames;
        size_t n = tls ? e->ntls_names : e->nhostnames;

        if (e->kind != LD_ENTRY_PROVIDER || !e->enabled) {
            continue;
        }
        for (k = 0; k < n; k++) {
            if (namepat_match(&p[k], buf, (size_t)len)) {
                return (int)i;
            }
        }
    }
    return -1;
}

/* The refusal of an outsider, at whatever stage it falls: the drift reply
 * when a provider's verified name vouches for it, else refuse.reply. */
static void
verdict_outsider(const ld_config *c, const ld_session *s, ld_verdict *v)
{
    if (s->drift_entry >= 0) {
        v->entry = s->drift_entry;
        verdict_refuse(v,
                       LD_TEMPFAIL,
                       LD_REASON_PROVIDER_NAME_UNLISTED,
                       &c->drift_reply,
                       policy_outsider_mode(c));
        return;
    }
    v->disabled_entry = s->disabled_entry;
    verdict_refuse(v,
                   LD_REJECT,
                   LD_REASON_NOT_LISTED,
                   &c->refuse_reply,
                   policy_outsider_mode(c));
}

/* Which disabled profile holds the address, to explain a refusal. */
static int policy_disabled_entry(const ld_config *c, const ld_addr *a)
{
    uint16_t tag = ADDRSET_NOTAG;

    if (c->disabled == NULL || !addrset_lookup(c->disabled, a, &tag) ||
        (size_t)tag >= c->nentries) {
        return -1;
    }
    return (int)tag;
}

static void connect_unknown(const ld_config *c, ld_session *s, ld_verdict *v)
{
    s->reason = LD_REASON_UNKNOWN_CLIENT;
    switch (c->unknown_client) {
    case LD_UNKNOWN_ACCEPT:
        s->judged = false;
        verdict_pass(v, LD_ACCEPT, s->reason);
        break;
    case LD_UNKNOWN_REJECT:
        verdict_refuse(
            v, LD_REJECT, s->reason, &c->refuse_reply, policy_outsider_mode(c));
        break;
    case LD_UNKNOWN_TEMPFAIL:
    default:
        verdict_refuse(
            v, LD_TEMPFAIL, s->reason, &reply_unknown, policy_outsider_mode(c));
        break;
    }
}

static void
connect_listed(const ld_config *c, ld_session *s, uint16_t tag, ld_verdict *v)
{
    const ld_entry *e = &c->entries[tag];
    bool relay_judged = c->nlocal_domains > 0;

    s->entry = (int)tag;
    v->entry = (int)tag;
    s->match = LD_MATCH_RANGE;
    v->match = s->match;
    s->reason =
        e->kind == LD_ENTRY_PROVIDER ? LD_REASON_PROVIDER : LD_REASON_TRUSTED;
    s->tls_check = e->kind == LD_ENTRY_PROVIDER && e->tls_required;
    /* ACCEPT lets the MTA skip every later callback, so only when RCPT
     * could not refuse either, and MAIL has no certificate to check. */
    if (!s->tls_check && (!relay_judged || e->relay)) {
        verdict_pass(v, LD_ACCEPT, s->reason);
    } else {
        verdict_pass(v, LD_CONTINUE, s->reason);
    }
}

static void connect_outsider(const ld_config *c,
                             const ld_conn_facts *f,
                             ld_session *s,
                             ld_verdict *v)
{
    s->disabled_entry = policy_disabled_entry(c, f->addr);
    s->drift_entry = policy_pattern_entry(c, f->client_name, false);
    if (c->nscope_domains > 0 || c->refuse_at == LD_REFUSE_MAIL || c->tls_any) {
        s->refused_deferred = true;
        s->scoped = c->nscope_domains > 0;
        s->reason = LD_REASON_DEFERRED;
        verdict_pass(v, LD_CONTINUE, s->reason);
        return;
    }
    s->reason = LD_REASON_NOT_LISTED;
    verdict_outsider(c, s, v);
}

void policy_connect(const ld_config *c,
                    const ld_conn_facts *f,
                    ld_session *s,
                    ld_verdict *v)
{
    uint16_t tag = ADDRSET_NOTAG;
    bool found = false;

    if (v == NULL) {
        return;
    }
    if (s != NULL) {
        session_init(s);
    }
    if (c == NULL || f == NULL || s == NULL) {
        verdict_fail(v, LD_STAGE_CONNECT, LD_REASON_INTERNAL_ERROR);
        return;
    }
    verdict_init(v, LD_STAGE_CONNECT, -1);

    if (!config_port_locked(c, f->port)) {
        s->connected = true;
        s->reason = LD_REASON_PORT_NOT_LOCKED;
        verdict_pass(v, LD_ACCEPT, s->reason);
        return;
    }
    if (f->addr == NULL ||
        (f->addr->family != AF_INET && f->addr->family != AF_INET6)) {
        s->connected = true;
        s->judged = true;
        connect_unknown(c, s, v);
        return;
    }
    /* The config always builds the set, even empty: without it, or with a
     * tag that names no enabled entry, we cannot tell anyone apart. */
    if (c->allowed == NULL) {
        verdict_fail(v, LD_STAGE_CONNECT, LD_REASON_INTERNAL_ERROR);
        return;
    }
    found = addrset_lookup(c->allowed, f->addr, &tag);
    if (found && ((size_t)tag >= c->nentries || !c->entries[tag].enabled)) {
        verdict_fail(v, LD_STAGE_CONNECT, LD_REASON_INTERNAL_ERROR);
        return;
    }
    s->connected = true;
    s->judged = true;
    if (found) {
        connect_listed(c, s, tag, v);
    } else {
        connect_outsider(c, f, s, v);
    }
}

/* A certificate made the client the provider e at MAIL. */
static void
mail_tls_pass(const ld_config *c, ld_session *s, int entry, ld_verdict *v)
{
    const ld_entry *e = &c->entries[entry];

    if (s->entry != entry) {
        s->match = 0;
    }
    s->entry = entry;
    s->match |= LD_MATCH_TLS;
    s->refused_deferred = false;
    s->scoped = false;
    s->tls_check = false;
    s->drift_entry = -1;
    s->disabled_entry = -1;
    s->reason = LD_REASON_TLS_NAME;
    v->entry = entry;
    v->match = s->match;
    /* RCPT still judges relaying for a profile without relay: true. */
    verdict_pass(v,
                 c->nlocal_domains == 0 || e->relay ? LD_ACCEPT : LD_CONTINUE,
                 s->reason);
}

void policy_mail(const ld_config *c,
                 ld_session *s,
                 const char *auth_user,
                 const char *tls_name,
                 ld_verdict *v)
{
    int tls_entry = -1;

    if (v == NULL) {
        return;
    }
    if (c == NULL || s == NULL || !s->connected) {
        verdict_fail(v, LD_STAGE_MAIL, LD_REASON_INTERNAL_ERROR);
        return;
    }
    verdict_init(v, LD_STAGE_MAIL, s->entry);
    v->match = s->match;
    if (!s->judged) {
        verdict_pass(v, LD_ACCEPT, s->reason);
        return;
    }
    s->authenticated = auth_user != NULL && auth_user[0] != '\0';
    tls_entry = policy_pattern_entry(c, tls_name, true);
    /* A verified certificate of any enabled profile makes the client that
     * provider, whatever its address. */
    if (tls_entry >= 0 && (s->tls_check || s->refused_deferred)) {
        mail_tls_pass(c, s, tls_entry, v);
        return;
    }
    if (s->tls_check) {
        if (s->authenticated && c->refuse_at == LD_REFUSE_MAIL) {
            verdict_pass(v, LD_CONTINUE, LD_REASON_AUTHENTICATED);
            return;
        }
        verdict_refuse(v,
                       LD_REJECT,
                       LD_REASON_TLS_REQUIRED,
                       &c->refuse_reply,
                       policy_outsider_mode(c));
        return;
    }
    if (!s->refused_deferred) {
        verdict_pass(v, LD_CONTINUE, s->reason);
        return;
    }
    if (s->authenticated && c->refuse_at == LD_REFUSE_MAIL) {
        verdict_pass(v, LD_CONTINUE, LD_REASON_AUTHENTICATED);
        return;
    }
    if (s->scoped) {
        /* Judged per recipient. */
        verdict_pass(v, LD_CONTINUE, s->reason);
        return;
    }
    verdict_outsider(c, s, v);
}

void policy_rcpt(const ld_config *c,
                 const ld_session *s,
                 const char *rcpt_domain,
                 bool delivered_here,
                 ld_verdict *v)
{
    enum ld_mode mode;
    enum ld_reason pass = LD_REASON_NONE;
    bool lifted = false;

    if (v == NULL) {
        return;
    }
    if (c == NULL || s == NULL || !s->connected) {
        verdict_fail(v, LD_STAGE_RCPT, LD_REASON_INTERNAL_ERROR);
        return;
    }
    verdict_init(v, LD_STAGE_RCPT, s->entry);
    v->match = s->match;
    if (!s->judged) {
        verdict_pass(v, LD_ACCEPT, s->reason);
        return;
    }
    /* MAIL refuses a pending refusal; reaching RCPT with one means the
     * MAIL stage was skipped. Enforce it here rather than let it pass;
     * in monitor mode MAIL already logged it, so judge relaying. */
    mode = policy_outsider_mode(c);
    lifted = s->authenticated && c->refuse_at == LD_REFUSE_MAIL;
    if (s->scoped && !lifted && config_domain_scoped(c, rcpt_domain)) {
        verdict_outsider(c, s, v);
        return;
    }
    if (s->refused_deferred && !s->scoped && !lifted &&
        mode == LD_MODE_ENFORCE) {
        verdict_outsider(c, s, v);
        return;
    }
    if (s->tls_check && !lifted && mode == LD_MODE_ENFORCE) {
        verdict_refuse(
            v, LD_REJECT, LD_REASON_TLS_REQUIRED, &c->refuse_reply, mode);
        return;
    }
    /* An outsider let through only because this recipient is not locked
     * says so, whatever the relay check finds to pass it. */
    pass = s->scoped && !lifted ? LD_REASON_DOMAIN_NOT_LOCKED : LD_REASON_NONE;
    if (c->nlocal_domains == 0) {
        verdict_pass(v,
                     LD_CONTINUE,
                     pass != LD_REASON_NONE ? pass
                                            : LD_REASON_RELAY_NOT_JUDGED);
        return;
    }
    if (delivered_here || rcpt_domain == NULL || rcpt_domain[0] == '\0' ||
        config_domain_local(c, rcpt_domain)) {
        verdict_pass(v,
                     LD_CONTINUE,
                     pass != LD_REASON_NONE ? pass : LD_REASON_LOCAL_RECIPIENT);
        return;
    }
    if (s->entry >= 0 && (size_t)s->entry < c->nentries &&
        c->entries[s->entry].relay) {
        verdict_pass(v, LD_CONTINUE, LD_REASON_RELAY_ALLOWED);
        return;
    }
    if (s->authenticated && c->relay_authenticated) {
        verdict_pass(v, LD_CONTINUE, LD_REASON_AUTHENTICATED);
        return;
    }
    v->disabled_entry = s->disabled_entry;
    verdict_refuse(v,
                   LD_REJECT,
                   LD_REASON_RELAY_DENIED,
                   &c->relay_reply,
                   policy_entry_mode(c, s->entry));
}

static bool verdict_final(const ld_verdict *v)
{
    return v->action != LD_CONTINUE || v->monitored;
}

void policy_evaluate(const ld_config *c,
                     const ld_conn_facts *f,
                     const char *auth_user,
                     const char *rcpt_domain,
                     ld_verdict *v)
{
    ld_session s;

    if (v == NULL) {
        return;
    }
    memset(&s, 0, sizeof(s));
    policy_connect(c, f, &s, v);
    if (verdict_final(v)) {
        return;
    }
    policy_mail(c, &s, auth_user, f != NULL ? f->tls_name : NULL, v);
    if (verdict_final(v) || rcpt_domain == NULL) {
        return;
    }
    policy_rcpt(c, &s, rcpt_domain, false, v);
}

bool policy_needs_mail(const ld_config *c)
{
    if (c == NULL) {
        return true;
    }
    /* MAIL also records authentication for the RCPT relay check. */
    /* The certificate is known at MAIL. */
    return c->refuse_at == LD_REFUSE_MAIL || c->tls_any ||
           (c->nlocal_domains > 0 && c->relay_authenticated);
}

bool policy_needs_rcpt(const ld_config *c)
{
    if (c == NULL) {
        return true;
    }
    return c->nlocal_domains > 0 || c->nscope_domains > 0;
}

const char *policy_action_name(enum ld_action a)
{
    switch (a) {
    case LD_CONTINUE:
        return "continue";
    case LD_ACCEPT:
        return "accept";
    case LD_REJECT:
        return "reject";
    case LD_TEMPFAIL:
        return "tempfail";
    }
    return "tempfail";
}

const char *policy_verdict_word(const ld_verdict *v)
{
    if (v == NULL) {
        return "tempfail";
    }
    if (v->monitored) {
        switch (v->would) {
        case LD_REJECT:
            return "would-reject";
        case LD_TEMPFAIL:
            return "would-tempfail";
        case LD_CONTINUE:
        case LD_ACCEPT:
            break;
        }
    }
    return policy_action_name(v->action);
}

/* Past a quoted string starting at p ('"'), or NULL when unterminated. */
static const char *rcpt_skip_quoted(const char *p, const char *end)
{
    for (p++; p < end; p++) {
        if (*p == '\\') {
            if (++p >= end) {
                return NULL;
            }
        } else if (*p == '"') {
            return p + 1;
        }
    }
    return NULL;
}

const char *policy_rcpt_domain(const char *rcpt, char *buf, size_t buflen)
{
    const char *p = NULL;
    const char *end = NULL;
    const char *at = NULL;
    size_t len;

    if (rcpt == NULL || buf == NULL || buflen == 0) {
        return NULL;
    }
    buf[0] = '\0';
    p = rcpt;
    while (*p == ' ' || *p == '\t') {
        p++;
    }
    end = p + strlen(p);
    while (end > p && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r' ||
                       end[-1] == '\n')) {
        end--;
    }
    if (p < end && *p == '<') {
        const char *close = memchr(p, '>', (size_t)(end - p));

        p++;
        if (close != NULL) {
            end = close;
        }
    }
    /* RFC 5321 source route "@a,@b:": the relays before the colon are
     * ignored by MTAs, the mailbox after it is the recipient. */
    if (p < end && *p == '@') {
        const char *colon = memchr(p, ':', (size_t)(end - p));

        if (colon == NULL) {
            return NULL;
        }
        p = colon + 1;
    }
    /* The first '@' outside quotes ends the local part. Everything after
     * it is the domain, so "a@b@c" gives "b@c": never a local domain, so
     * such an address is judged as relaying. */
    while (p < end) {
        if (*p == '"') {
            p = rcpt_skip_quoted(p, end);
            if (p == NULL) {
                return NULL;
            }
            continue;
        }
        if (*p == '\\' && p + 1 < end) {
            p += 2;
            continue;
        }
        if (*p == '@') {
            at = p;
            break;
        }
        p++;
    }
    if (at == NULL || at + 1 >= end) {
        return NULL;
    }
    len = (size_t)(end - (at + 1));
    if (len >= buflen) {
        return LD_RCPT_DOMAIN_TOOLONG;
    }
    memcpy(buf, at + 1, len);
    buf[len] = '\0';
    return buf;
}
