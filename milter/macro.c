/*
 * macro.c - MTA-supplied text to decisions and log fields (see macro.h).
 * Everything here comes from the MTA or, through it, from the SMTP client:
 * no assumption about length, characters or termination beyond the C
 * string libmilter hands over.
 */
#include <string.h>
#include <strings.h>

#include "macro.h"
#include "policy.h"
#include "port.h"

enum macro_port_status macro_port_parse(const char *text, int *port)
{
    *port = -1;
    if (text == NULL || text[0] == '\0') {
        return MACRO_PORT_MISSING;
    }
    if (port_parse(text, strlen(text), port) != LD_PORT_OK) {
        return MACRO_PORT_INVALID;
    }
    return MACRO_PORT_OK;
}

static const char *
macro_copy(const char *text, char *out, size_t outlen, bool quoted)
{
    const unsigned char *p = (const unsigned char *)text;
    size_t n = 0;
    size_t kept = 0;

    if (out == NULL || outlen == 0) {
        return NULL;
    }
    if (text == NULL) {
        text = "-";
        p = (const unsigned char *)text;
    }
    /* Room for one escaped byte, "..." and the terminator. */
    for (; *p != '\0' && kept < MACRO_LOG_MAX && n + 6 < outlen; p++) {
        unsigned char ch = *p;

        kept++;
        if (quoted && (ch == '"' || ch == '\\')) {
            out[n++] = '\\';
            out[n++] = (char)ch;
        } else if (quoted && ch == ' ') {
            out[n++] = ' ';
        } else if (ch < 0x21 || ch > 0x7e) {
            out[n++] = '?';
        } else {
            out[n++] = (char)ch;
        }
    }
    if (*p != '\0') {
        memcpy(out + n, "...", 3);
        n += 3;
    }
    out[n] = '\0';
    return out;
}

const char *macro_sanitize(const char *text, char *out, size_t outlen)
{
    return macro_copy(text, out, outlen, false);
}

const char *macro_sanitize_quoted(const char *text, char *out, size_t outlen)
{
    return macro_copy(text, out, outlen, true);
}

const char *macro_reply_escape(const char *text, char *out, size_t outlen)
{
    const unsigned char *p = (const unsigned char *)text;
    size_t n = 0;

    if (text == NULL || out == NULL || outlen == 0) {
        return NULL;
    }
    for (; *p != '\0'; p++) {
        size_t need = *p == '%' ? 2 : 1;

        if (n + need >= outlen) {
            out[0] = '\0';
            return NULL;
        }
        if (*p == '%') {
            out[n++] = '%';
            out[n++] = '%';
        } else if (*p < 0x20 || *p == 0x7f) {
            out[n++] = ' ';
        } else {
            out[n++] = (char)*p;
        }
    }
    out[n] = '\0';
    return out;
}

bool macro_mailer_local(const char *rcpt_mailer)
{
    return rcpt_mailer != NULL && strcasecmp(rcpt_mailer, "local") == 0;
}

const char *macro_verified_name(const char *client_name,
                                const char *client_resolve)
{
    if (client_name == NULL || client_name[0] == '\0') {
        return NULL;
    }
    if (client_resolve != NULL) {
        return strcmp(client_resolve, "OK") == 0 ? client_name : NULL;
    }
    return strcmp(client_name, "unknown") == 0 ? NULL : client_name;
}

const char *macro_tls_name(const char *cert_subject,
                           const char *verify,
                           const char *cn_subject)
{
    const char *name = cert_subject;

    if (verify != NULL) {
        if (strcmp(verify, "OK") != 0) {
            return NULL;
        }
        name = cn_subject;
    }
    return name != NULL && name[0] != '\0' ? name : NULL;
}

const char *macro_rcpt_domain(const char *rcpt,
                              const char *rcpt_mailer,
                              char *buf,
                              size_t buflen)
{
    if (buf == NULL || buflen == 0) {
        return NULL;
    }
    buf[0] = '\0';
    if (macro_mailer_local(rcpt_mailer)) {
        return buf;
    }
    return policy_rcpt_domain(rcpt, buf, buflen);
}
