/*
 * macro.h - turning MTA-supplied text (macros, host names, addresses) into
 * values the daemon can decide on and log safely. Pure functions, no
 * libmilter: tested by tests/milter/test_macro.c.
 */
#ifndef LOCKDOWN_MILTER_MACRO_H
#define LOCKDOWN_MILTER_MACRO_H

#include <stdbool.h>
#include <stddef.h>

/* Longest macro value logged; longer ones are cut and end in "...". */
#define MACRO_LOG_MAX 256
/* Buffer size that always holds a sanitized value (escapes double). */
#define MACRO_LOG_BUF (2 * MACRO_LOG_MAX + 8)

enum macro_port_status {
    MACRO_PORT_OK = 0,
    MACRO_PORT_MISSING, /* NULL or empty */
    MACRO_PORT_INVALID, /* anything but 1..65535 in plain digits */
};

/*
 * Parse {daemon_port}: digits only, 1..65535, no sign, no leading zero, no
 * white space. *port is the value, or -1 (unknown, so judged as locked).
 */
enum macro_port_status macro_port_parse(const char *text, int *port);

/*
 * Copy text for an unquoted log field: bytes outside 0x21..0x7e become
 * '?', at most MACRO_LOG_MAX bytes are kept, a cut value ends in "...".
 * NULL gives "-". Returns out.
 */
const char *macro_sanitize(const char *text, char *out, size_t outlen);

/*
 * Same for a field logged in double quotes: spaces are kept, '"' and '\'
 * are escaped with '\'.
 */
const char *macro_sanitize_quoted(const char *text, char *out, size_t outlen);

/*
 * Make reply text safe for smfi_setreply(): '%' doubled (libmilter hands
 * the text to a printf-like formatter in the MTA), CR, LF and other control
 * characters replaced by a space. Returns out, or NULL when it does not
 * fit.
 */
const char *macro_reply_escape(const char *text, char *out, size_t outlen);

/* Does {rcpt_mailer} say the MTA delivers the recipient on this host? */
bool macro_mailer_local(const char *rcpt_mailer);

/*
 * The client's host name if the MTA verified it (forward-confirmed), else
 * NULL. Postfix sends no {client_resolve}: its {client_name} is "unknown"
 * unless the reverse and forward lookups agree. Sendmail sends
 * {client_resolve}, and its {client_name} counts only when that is "OK"
 * (not FAIL, FORGED or TEMP). An empty name counts as none.
 */
const char *macro_verified_name(const char *client_name,
                                const char *client_resolve);

/*
 * The subject CN of a client certificate the MTA verified, else NULL.
 * Sendmail sends {verify}: the certificate counts only when it is "OK",
 * and the CN is {cn_subject} ({cert_subject} is the whole DN). Postfix
 * sends no {verify}: it sets {cert_subject}, which holds the CN only, just
 * for a certificate it trusts. An empty name counts as none.
 */
const char *macro_tls_name(const char *cert_subject,
                           const char *verify,
                           const char *cn_subject);

/*
 * The domain relaying is judged on, for one RCPT.
 *   rcpt_mailer "local": "" (the MTA delivers it here: never relaying);
 *   otherwise the domain of the envelope recipient as the client gave it
 *   (argv[0]), or NULL when it has none (a local user).
 * {rcpt_host} is deliberately not used: it is the next hop (a relayhost,
 * smarthost, mailertable or transport target), not the recipient's domain.
 * May return LD_RCPT_DOMAIN_TOOLONG (never local: judged as relaying).
 */
const char *macro_rcpt_domain(const char *rcpt,
                              const char *rcpt_mailer,
                              char *buf,
                              size_t buflen);

#endif
