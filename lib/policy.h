/*
 * policy.h - the lockdown decision, as plain functions from facts to a
 * verdict with a reason. No libmilter, no I/O, no allocation: the daemon,
 * lockdownctl and the tests all call exactly these functions.
 *
 * Semantics (doc/lockdown.yaml.5 is the reference for admins):
 *  connect: port not in scope.ports -> accept (not judged). Unknown client
 *    (no address, AF_UNIX, odd family) -> unknown_client. Client in an
 *    enabled provider or a trusted entry -> continue, or accept when nothing
 *    later could refuse it. Otherwise refused now, or deferred to MAIL when
 *    refuse.at is mail.
 *  MAIL: a deferred refusal applies unless the user authenticated.
 *  RCPT: with relay.local_domains set, a recipient outside them is relaying;
 *    allowed for a matched entry with relay: true, or an authenticated user
 *    when relay.authenticated is true; otherwise refused with relay.reply.
 *  monitor: any refusal becomes continue with monitored set and "would"
 *    holding the refusal. The mode of an outsider refusal is monitor when
 *    the global mode is monitor or any enabled provider's effective mode is
 *    monitor (the lockdown is only as strict as its least strict enabled
 *    profile); a relay refusal uses the matched entry's effective mode
 *    (trusted entries have the global mode).
 *  A missing port is treated as locked; a missing config or session is an
 *    internal error and gives tempfail.
 *
 * Drift guard: an outsider whose verified host name (client_name) matches
 *    the hostnames: of an enabled provider is refused with
 *    refuse.drift_reply (always 4xx) and reason provider-name-unlisted,
 *    entry naming that profile, wherever it would have been refused as
 *    not-listed. It is never accepted on its name.
 *  scope.domains: when set, an outsider is not refused at connect or MAIL;
 *    each RCPT to a listed domain (or without a domain) is refused instead,
 *    unless refuse.at is mail and the user authenticated. Other recipients
 *    pass (reason domain-not-locked) and the relay policy still applies.
 *
 *  TLS identity: a client whose verified certificate CN matches an enabled
 *    profile's tls_names is that provider, whatever its address: at MAIL,
 *    where the certificate is known, it passes (reason tls-name, match
 *    tls-name) and may relay if the profile may. While any enabled profile
 *    has tls_names, the refusal of an outsider at connect moves to MAIL.
 *    A profile with tls_required refuses an address in its ranges at MAIL
 *    unless its certificate is there too (reason tls-required), as an
 *    outsider (refuse.reply, outsider mode, lifted by AUTH when refuse.at
 *    is mail).
 *
 * Details the paragraph above leaves open:
 *  - "accept when nothing later could refuse": no deferred refusal pending
 *    and relay either not judged (no local_domains) or allowed (relay: true).
 *  - unknown_client is applied at connect whatever refuse.at says; "accept"
 *    lets the connection through unjudged, like an unlocked port. Its
 *    refusals use the outsider mode.
 *  - A relay refusal of a client with no matched entry (an authenticated
 *    outsider, or one let through by monitor) uses the outsider mode.
 *  - MAIL and RCPT on a session policy_connect() never filled (connected
 *    false) are internal errors, so a zeroed session can never accept.
 *  - A deferred refusal stays pending for the whole connection: every MAIL
 *    without authentication is refused again.
 *
 * Reasons: enum ld_reason (reason.h), one token each, listed in
 * lockdownctl(1). MAIL without a pending refusal, and MAIL/RCPT on an
 * unjudged session, repeat the connect reason.
 *
 * Refusal class: a refusal whose reply code starts with 4 is a tempfail,
 * with 5 a reject, whatever the rule asked for (libmilter sends only a
 * reply of the answer's class), so the verdict is what the MTA says.
 */
#ifndef LOCKDOWN_POLICY_H
#define LOCKDOWN_POLICY_H

#include <stdbool.h>
#include <stddef.h>

#include "addr.h"
#include "config.h"
#include "reason.h"

enum ld_action {
    LD_CONTINUE = 0, /* go on, later stages may still decide */
    LD_ACCEPT,       /* let this connection through, nothing left to judge */
    LD_REJECT,
    LD_TEMPFAIL,
};

enum ld_stage { LD_STAGE_CONNECT = 0, LD_STAGE_MAIL, LD_STAGE_RCPT };

/* What identified the client as an entry (bits of ld_verdict.match). */
enum ld_match {
    LD_MATCH_RANGE = 1, /* its address is in the entry's ranges */
    LD_MATCH_TLS = 2,   /* it presented the entry's verified certificate */
};

typedef struct ld_verdict {
    enum ld_action action; /* what the MTA is told */
    enum ld_action would;  /* what enforce mode would have told it */
    bool monitored;        /* a refusal turned into continue by monitor */
    enum ld_stage stage;
    int entry;          /* matched entry index, or -1 */
    int disabled_entry; /* for a refusal: disabled profile holding the
                         * address, or -1 (explains only) */
    enum ld_reason reason;
    unsigned match;        /* enum ld_match bits, 0: nothing matched */
    const ld_reply *reply; /* for reject/tempfail (also when monitored) */
} ld_verdict;

/* Facts of a connection, from the socket address and macros. */
typedef struct ld_conn_facts {
    const ld_addr *addr;     /* NULL: unknown client (no address, AF_UNIX...) */
    int port;                /* local port, -1 when unknown */
    const char *client_name; /* forward-confirmed host name, NULL: none.
                              * Never an unverified PTR name or HELO. */
    const char *tls_name;    /* for policy_evaluate(): the subject CN of a
                              * client certificate the MTA verified, NULL:
                              * none (the daemon learns it at MAIL) */
} ld_conn_facts;

/* Per-connection state the policy keeps between stages. Zero it, then let
 * policy_connect() fill it. */
typedef struct ld_session {
    bool judged;           /* false: port out of scope, nothing is checked */
    bool refused_deferred; /* refusal waiting for MAIL (or RCPT) */
    bool authenticated;
    int entry;             /* matched entry or -1 */
    bool connected;        /* set by policy_connect(); false: internal error */
    int disabled_entry;    /* disabled profile holding the client, or -1 */
    int drift_entry;       /* enabled profile whose hostnames: match the
                            * verified name of an outsider, or -1 */
    bool scoped;           /* outsider locked out per recipient
                            * (scope.domains), not per connection */
    bool tls_check;        /* in the ranges of a tls_required profile:
                            * MAIL must see its certificate */
    unsigned match;        /* what identified the entry, enum ld_match */
    enum ld_reason reason; /* connect reason, repeated by later stages */
} ld_session;

void policy_connect(const ld_config *c,
                    const ld_conn_facts *f,
                    ld_session *s,
                    ld_verdict *v);

/* auth_user: {auth_authen}, NULL or "" when not authenticated.
 * tls_name: the subject CN of a client certificate the MTA verified
 * (Postfix {cert_subject}; Sendmail {cn_subject} when {verify} is OK),
 * NULL when there is none. */
void policy_mail(const ld_config *c,
                 ld_session *s,
                 const char *auth_user,
                 const char *tls_name,
                 ld_verdict *v);

/* rcpt_domain: the recipient's domain, from policy_rcpt_domain() of the
 * RCPT argument (not {rcpt_host}: with a smarthost or a transport map that
 * is the next hop, not the domain). NULL or "" when there is none (a local
 * user). delivered_here: the MTA delivers it on this host ({rcpt_mailer}
 * local), so it is never relaying; scope.domains still looks at the
 * domain. */
void policy_rcpt(const ld_config *c,
                 const ld_session *s,
                 const char *rcpt_domain,
                 bool delivered_here,
                 ld_verdict *v);

/* The fail-closed verdict for a daemon that lost its state at stage:
 * tempfail 451 4.3.0, reason internal-error, never monitored. */
void policy_internal(ld_verdict *v, enum ld_stage stage);

/* A connect verdict of plain continue, when the MTA never negotiated the
 * later stages that must still decide: nothing says they will be sent, so
 * it becomes a tempfail with reason stages-unknown. Other verdicts are
 * left alone. */
void policy_stages_unknown(ld_verdict *v);

/* Does the config need the MAIL / RCPT stages at all? (negotiate) */
bool policy_needs_mail(const ld_config *c);
bool policy_needs_rcpt(const ld_config *c);

/* "continue", "accept", "reject", "tempfail" */
const char *policy_action_name(enum ld_action a);

/* Words as logged and printed by lockdownctl: "accept", "continue",
 * "reject", "tempfail", or "would-reject"/"would-tempfail" when monitored. */
const char *policy_verdict_word(const ld_verdict *v);

/*
 * All stages at once, as lockdownctl check and the tests ask: connect, then
 * MAIL (auth_user as for policy_mail), then RCPT when rcpt_domain is not
 * NULL ("" is a local recipient). Stops at the first verdict that is not a
 * plain continue (accept, reject, tempfail, or a monitored refusal) and
 * returns it; otherwise the last stage's.
 */
void policy_evaluate(const ld_config *c,
                     const ld_conn_facts *f,
                     const char *auth_user,
                     const char *rcpt_domain,
                     ld_verdict *v);

/*
 * Domain part of an address, copied into buf (case kept):
 *   "<user@Example.COM>", "user@Example.COM"  -> "Example.COM"
 *   "<@a,@b:user@host>" (source route)        -> "host"
 *   "<\"a@b\"@host>" (quoted local part)      -> "host"
 * NULL when there is none ("<>", "postmaster", "user@", malformed quote or
 * route). A domain that does not fit in buf gives LD_RCPT_DOMAIN_TOOLONG,
 * which is never a local domain, so relaying is still judged (fail closed).
 * Reentrant, no allocation; buf is never overrun.
 */
#define LD_RCPT_DOMAIN_TOOLONG "[domain-too-long]"
const char *policy_rcpt_domain(const char *rcpt, char *buf, size_t buflen);

#endif
