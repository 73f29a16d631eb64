/*
 * reason.h - why the policy decided what it did: one closed set, one name
 * table. The names are what the daemon logs (reason=), what lockdownctl
 * check prints and what the counters are keyed by; lockdownctl(1) lists
 * them for admins.
 */
#ifndef LOCKDOWN_REASON_H
#define LOCKDOWN_REASON_H

enum ld_reason {
    LD_REASON_NONE = 0,         /* "-": no decision yet */
    LD_REASON_PORT_NOT_LOCKED,  /* port outside scope.ports */
    LD_REASON_UNKNOWN_CLIENT,   /* no usable client address */
    LD_REASON_PROVIDER,         /* client in an enabled provider profile */
    LD_REASON_TRUSTED,          /* client in a trusted entry */
    LD_REASON_NOT_LISTED,       /* client in neither: refused */
    LD_REASON_DEFERRED,         /* not-listed, refusal waits for MAIL */
    LD_REASON_AUTHENTICATED,    /* SMTP AUTH lifts a refusal or relays */
    LD_REASON_LOCAL_RECIPIENT,  /* RCPT to a local domain or user */
    LD_REASON_RELAY_ALLOWED,    /* relaying by an entry with relay: true */
    LD_REASON_RELAY_DENIED,     /* relaying refused */
    LD_REASON_RELAY_NOT_JUDGED, /* no relay.local_domains configured */
    LD_REASON_PROVIDER_NAME_UNLISTED, /* verified name of a provider, address
                                       * in none of its ranges: 4xx */
    LD_REASON_DOMAIN_NOT_LOCKED, /* outsider's RCPT outside scope.domains */
    LD_REASON_TLS_NAME,          /* accepted by a verified certificate */
    LD_REASON_TLS_REQUIRED,      /* in the ranges of a tls_required
                                  * profile without its certificate */
    LD_REASON_STAGES_UNKNOWN,    /* the MTA never negotiated the stages */
    LD_REASON_INTERNAL_ERROR,    /* missing config, session or state */
    LD_REASON_COUNT
};

/* The token for r; "-" for LD_REASON_NONE and anything out of range. */
const char *reason_name(enum ld_reason r);

/* The reason whose token is name, or LD_REASON_NONE. */
enum ld_reason reason_from_name(const char *name);

#endif
