/*
 * config_reply.c - SMTP replies as written in refuse.reply and
 * relay.reply: checked here, so the milter only ever hands libmilter a
 * reply it takes as is.
 */
#include "config_impl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LD_REPLY_MAX 500 /* an SMTP reply line is at most 512 octets */

static bool is_digit(char ch)
{
    return ch >= '0' && ch <= '9';
}

/*
 * "554 5.7.1 text" into an ld_reply. A refusal: 4xx or 5xx, the enhanced
 * code (optional) in the same class, text required, printable ASCII and no
 * '%' (libmilter's smfi_setreply() reads '%' as a format character).
 */
int config_reply_parse(const char *s, ld_reply *out, char *msg, size_t msglen)
{
    char q[YS_QUOTELEN];
    size_t len = strlen(s);
    const char *p = NULL;
    const char *t = NULL;
    size_t i = 0;

    memset(out, 0, sizeof(*out));
    ys_quote(s, len, q, sizeof(q));
    if (len > LD_REPLY_MAX) {
        snprintf(
            msg, msglen, "%s is longer than %d characters", q, LD_REPLY_MAX);
        return -1;
    }
    if (len < 3 || !is_digit(s[0]) || !is_digit(s[1]) || !is_digit(s[2]) ||
        (s[3] != ' ' && s[3] != '\0')) {
        snprintf(msg,
                 msglen,
                 "%s does not start with a reply code, like \"554 5.7.1 "
                 "text\"",
                 q);
        return -1;
    }
    if ((s[0] != '4' && s[0] != '5') || s[1] > '5') {
        snprintf(msg,
                 msglen,
                 "%s: %.3s is not a refusal code (4xx or 5xx, like 554)",
                 q,
                 s);
        return -1;
    }
    memcpy(out->rcode, s, 3);
    p = s + 3;
    while (*p == ' ') {
        p++;
    }
    /* An enhanced status code: class.subject.detail (RFC 3463). */
    if (is_digit(p[0]) && p[1] == '.') {
        size_t sub = 0;
        size_t det = 0;

        t = p + 2;
        while (is_digit(t[sub])) {
            sub++;
        }
        if (sub >= 1 && sub <= 3 && t[sub] == '.') {
            while (is_digit(t[sub + 1 + det])) {
                det++;
            }
        }
        t += sub + 1 + det;
        if (sub < 1 || sub > 3 || det < 1 || det > 3 ||
            (*t != ' ' && *t != '\0')) {
            const char *end = strchr(p, ' ');
            size_t xl = end ? (size_t)(end - p) : strlen(p);

            snprintf(msg,
                     msglen,
                     "%s: \"%.*s\" is not an enhanced status code like 5.7.1",
                     q,
                     (int)(xl > 20 ? 20 : xl),
                     p);
            return -1;
        }
        if (p[0] != s[0]) {
            snprintf(msg,
                     msglen,
                     "%s: enhanced code %.*s does not match reply code %.3s "
                     "(both must start with the same digit)",
                     q,
                     (int)(t - p),
                     p,
                     s);
            return -1;
        }
        memcpy(out->xcode, p, (size_t)(t - p));
        out->xcode[t - p] = '\0';
        p = t;
        while (*p == ' ') {
            p++;
        }
    }
    if (*p == '\0') {
        snprintf(msg, msglen, "%s has no text after the code", q);
        return -1;
    }
    for (i = 0; p[i] != '\0'; i++) {
        unsigned char ch = (unsigned char)p[i];

        if (ch < 0x20 || ch > 0x7e) {
            snprintf(msg,
                     msglen,
                     "%s: the text must be one line of printable ASCII",
                     q);
            return -1;
        }
        if (ch == '%') {
            snprintf(msg, msglen, "%s: '%%' is not allowed in the text", q);
            return -1;
        }
    }
    out->text = strdup(p);
    if (out->text == NULL) {
        snprintf(msg, msglen, "out of memory");
        return -1;
    }
    return 0;
}

void config_reply_clear(ld_reply *r)
{
    free(r->text);
    memset(r, 0, sizeof(*r));
}

int config_reply_set(ys_ctx *c, const ys_node *n, const char *s, ld_reply *r)
{
    char msg[LD_ERRLEN];
    ld_reply nr;

    if (config_reply_parse(s, &nr, msg, sizeof(msg)) != 0) {
        return ys_error(c, n, "%s", msg);
    }
    config_reply_clear(r);
    *r = nr;
    return 0;
}
