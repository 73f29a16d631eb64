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
 *  monitor: any refusal becomes continue with would_refuse set. The mode of
 *    an outsider refusal is monitor when the global mode is monitor or any
 *    enabled provider's effective mode is monitor (the lockdown is only as
 *    strict as its least strict enabled profile); a relay refusal uses the
 *    matched entry's effective mode.
 *  A missing port is treated as locked; a missing config or session is an
 *    internal error and gives tempfail.
 */
#ifndef LOCKDOWN_POLICY_H
#define LOCKDOWN_POLICY_H

#include <stdbool.h>

#include "addr.h"
#include "config.h"

enum ld_action {
    LD_CONTINUE = 0, /* go on, later stages may still decide */
    LD_ACCEPT,       /* let this connection through, nothing left to judge */
    LD_REJECT,
    LD_TEMPFAIL,
};

enum ld_stage { LD_STAGE_CONNECT = 0, LD_STAGE_MAIL, LD_STAGE_RCPT };

typedef struct ld_verdict {
    enum ld_action action; /* what the MTA is told */
    enum ld_action would;  /* what enforce mode would have told it */
    bool monitored;        /* a refusal turned into continue by monitor */
    enum ld_stage stage;
    int entry;             /* matched entry index, or -1 */
    int disabled_entry;    /* for a refusal: disabled profile holding the
                            * address, or -1 (explains only) */
    const char *reason;    /* short, static, one token: "provider",
                            * "trusted", "port-not-locked", "not-listed",
                            * "unknown-client", "relay-denied", ... */
    const ld_reply *reply; /* for reject/tempfail (also when monitored) */
} ld_verdict;

/* Facts of a connection, from the socket address and macros. */
typedef struct ld_conn_facts {
    const ld_addr *addr;     /* NULL: unknown client (no address, AF_UNIX...) */
    int port;                /* local port, -1 when unknown */
    const char *daemon_name; /* may be NULL; informational */
} ld_conn_facts;

/* Per-connection state the policy keeps between stages. Zero it, then let
 * policy_connect() fill it. */
typedef struct ld_session {
    bool judged;   /* false: port out of scope, nothing is checked */
    bool refused_deferred; /* refusal waiting for MAIL */
    bool authenticated;
    int entry;     /* matched entry or -1 */
} ld_session;

void policy_connect(const ld_config *c, const ld_conn_facts *f,
                    ld_session *s, ld_verdict *v);

/* auth_user: {auth_authen}, NULL or "" when not authenticated. */
void policy_mail(const ld_config *c, ld_session *s, const char *auth_user,
                 ld_verdict *v);

/* rcpt_domain: the recipient's domain ({rcpt_host} or the part after the
 * last '@'), NULL or "" when there is none (a local user: not relaying). */
void policy_rcpt(const ld_config *c, const ld_session *s,
                 const char *rcpt_domain, ld_verdict *v);

/* Does the config need the MAIL / RCPT stages at all? (negotiate) */
bool policy_needs_mail(const ld_config *c);
bool policy_needs_rcpt(const ld_config *c);

/* "continue", "accept", "reject", "tempfail" */
const char *policy_action_name(enum ld_action a);

/* Words as logged and printed by lockdownctl: "accept", "continue",
 * "reject", "tempfail", or "would-reject"/"would-tempfail" when monitored. */
const char *policy_verdict_word(const ld_verdict *v);

/* Domain part of an address ("<user@Example.COM>" -> "Example.COM"),
 * copied into buf; NULL when there is none. */
const char *policy_rcpt_domain(const char *rcpt, char *buf, size_t buflen);

#endif
