/*
 * namepat.c - host name patterns (see namepat.h).
 */
#include <stdio.h>
#include <string.h>

#include "namepat.h"
#include "yamlschema.h"

#define LABEL_MAX 63

static char name_lower(char c)
{
    return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

static bool name_ldh(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
}

/*
 * Copy s[0..len) lower-cased into buf and check it is a host name: LDH
 * labels of 1..63 octets, no label starting or ending with '-'. Returns
 * the number of labels, or 0 with why set.
 */
static size_t name_copy(const char *s, size_t len, char *buf, const char **why)
{
    size_t labels = 1;
    size_t llen = 0;
    size_t i;

    for (i = 0; i < len; i++) {
        char c = name_lower(s[i]);

        buf[i] = c;
        if (c == '.') {
            if (llen == 0) {
                *why = "empty label";
                return 0;
            }
            if (buf[i - 1] == '-') {
                *why = "a label ends with '-'";
                return 0;
            }
            labels++;
            llen = 0;
            continue;
        }
        if (!name_ldh(c)) {
            *why = "only letters, digits, '-' and '.' are allowed";
            return 0;
        }
        if (llen == 0 && c == '-') {
            *why = "a label starts with '-'";
            return 0;
        }
        if (++llen > LABEL_MAX) {
            *why = "a label is longer than 63 characters";
            return 0;
        }
    }
    if (llen == 0) {
        *why = "empty label";
        return 0;
    }
    if (buf[len - 1] == '-') {
        *why = "a label ends with '-'";
        return 0;
    }
    buf[len] = '\0';
    return labels;
}

int namepat_parse(const char *text, namepat *out, char *err, size_t errlen)
{
    const char *s = text;
    const char *why = NULL;
    size_t len;
    size_t labels;
    bool wildcard = false;
    char q[YS_QUOTELEN];

    if (text == NULL || text[0] == '\0') {
        snprintf(err, errlen, "empty host name pattern");
        return -1;
    }
    len = strlen(s);
    /* Messages quote the pattern as every config message does. */
    ys_quote(text, len, q, sizeof(q));
    if (s[0] == '*') {
        if (s[1] != '.') {
            snprintf(err,
                     errlen,
                     "host name pattern %s: '*' must be the whole "
                     "first label, as in \"*.example.net\"",
                     q);
            return -1;
        }
        wildcard = true;
        s += 2;
        len -= 2;
    }
    if (len > 0 && s[len - 1] == '.') {
        len--;
    }
    if (len == 0) {
        snprintf(err, errlen, "host name pattern %s: no name", q);
        return -1;
    }
    if (len > NAMEPAT_MAX) {
        snprintf(err,
                 errlen,
                 "host name pattern %s: longer than %d characters",
                 q,
                 NAMEPAT_MAX);
        return -1;
    }
    if (memchr(s, '*', len) != NULL) {
        snprintf(err,
                 errlen,
                 "host name pattern %s: '*' is allowed only as the "
                 "whole first label, as in \"*.example.net\"",
                 q);
        return -1;
    }
    labels = name_copy(s, len, out->name, &why);
    if (labels == 0) {
        snprintf(err, errlen, "host name pattern %s: %s", q, why);
        return -1;
    }
    if (!wildcard && labels < 2) {
        snprintf(err,
                 errlen,
                 "host name pattern %s is a single label: write the "
                 "full name, as in \"mx1.example.net\"",
                 q);
        return -1;
    }
    if (wildcard && labels < 2) {
        snprintf(err,
                 errlen,
                 "host name pattern %s covers a whole top-level "
                 "domain: name the provider's domain, as in "
                 "\"*.example.net\"",
                 q);
        return -1;
    }
    out->len = len;
    out->wildcard = wildcard;
    return 0;
}

int namepat_name(const char *name, char *buf, size_t buflen)
{
    const char *why = NULL;
    size_t len;

    if (name == NULL || buf == NULL || buflen == 0) {
        return -1;
    }
    buf[0] = '\0';
    len = strnlen(name, NAMEPAT_MAX + 2);
    if (len > 0 && name[len - 1] == '.') {
        len--;
    }
    if (len == 0 || len > NAMEPAT_MAX || len + 1 > buflen) {
        return -1;
    }
    if (name_copy(name, len, buf, &why) == 0) {
        buf[0] = '\0';
        return -1;
    }
    return (int)len;
}

bool namepat_match(const namepat *p, const char *name, size_t len)
{
    if (p == NULL || name == NULL) {
        return false;
    }
    if (!p->wildcard) {
        return len == p->len && memcmp(name, p->name, len) == 0;
    }
    /* Strictly below: at least one label and a dot before the suffix. */
    return len > p->len + 1 && name[len - p->len - 1] == '.' &&
           memcmp(name + len - p->len, p->name, p->len) == 0;
}
