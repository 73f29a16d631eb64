/*
 * addr.c - strict parsing of IPv4/IPv6 addresses and range notations.
 *
 * Only inet_pton() decides what an address is: inet_aton() reads
 * "010.1.1.1" as octal and "127.1" as 127.0.0.1, which is how peers let
 * the wrong hosts in. The lexical checks before inet_pton() exist to say
 * precisely which rule the text broke, not to accept more.
 */
#include "addr.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "u128.h"

/* Longest text we quote back in a message; more is cut with "...". */
#define QUOTE_MAX 96

/* Longest text we try to parse at all: far above any real notation. */
#define TEXT_MAX 256

static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' ||
           c == '\f';
}

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static bool is_hex(char c)
{
    return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/*
 * Append text[0..n) to buf as a C-like quoted string. Control and
 * non-ASCII bytes are escaped so that a message never carries raw bytes
 * from a config file into a log line.
 */
static size_t
quote_append(char *buf, size_t buflen, size_t pos, const char *text, size_t n)
{
    size_t i;
    size_t shown = n > QUOTE_MAX ? QUOTE_MAX : n;

    if (pos + 1 < buflen) {
        buf[pos++] = '"';
    }
    for (i = 0; i < shown && pos + 5 < buflen; i++) {
        unsigned char c = (unsigned char)text[i];
        int w = 0;

        if (c == '"' || c == '\\') {
            w = snprintf(buf + pos, buflen - pos, "\\%c", c);
        } else if (c == '\t') {
            w = snprintf(buf + pos, buflen - pos, "\\t");
        } else if (c == '\n') {
            w = snprintf(buf + pos, buflen - pos, "\\n");
        } else if (c < 0x20 || c >= 0x7f) {
            w = snprintf(buf + pos, buflen - pos, "\\x%02x", c);
        } else {
            buf[pos] = (char)c;
            w = 1;
        }
        pos += (size_t)w;
    }
    if (shown < n && pos + 4 < buflen) {
        memcpy(buf + pos, "...", 3);
        pos += 3;
    }
    if (pos + 1 < buflen) {
        buf[pos++] = '"';
    }
    buf[pos < buflen ? pos : buflen - 1] = '\0';
    return pos;
}

/*
 * The subject of an error: the text being parsed and, when that is only a
 * part of what the user wrote (one side of a range, a netmask), the whole.
 */
typedef struct subject {
    const char *part;
    size_t partlen;
    const char *whole;
    size_t wholelen;
} subject;

__attribute__((format(printf, 4, 5))) static void
error_set(char *err, size_t errlen, const subject *s, const char *fmt, ...)
{
    va_list ap;
    size_t pos = 0;

    if (err == NULL || errlen == 0) {
        return;
    }
    err[0] = '\0';
    pos = quote_append(err, errlen, pos, s->part, s->partlen);
    if (s->whole != NULL && (s->wholelen != s->partlen ||
                             memcmp(s->whole, s->part, s->partlen) != 0)) {
        if (pos + 5 < errlen) {
            memcpy(err + pos, " in ", 5);
            pos += 4;
        }
        pos = quote_append(err, errlen, pos, s->whole, s->wholelen);
    }
    if (pos + 3 < errlen) {
        memcpy(err + pos, ": ", 3);
        pos += 2;
    }
    if (pos + 1 < errlen) {
        va_start(ap, fmt);
        vsnprintf(err + pos, errlen - pos, fmt, ap);
        va_end(ap);
    }
}

static unsigned addr_width(uint8_t family)
{
    return family == AF_INET ? 32 : 128;
}

static u128 u128_from_bytes(uint8_t family, const uint8_t *b)
{
    u128 v = {0, 0};
    int i;

    if (family == AF_INET) {
        v.lo = (uint64_t)b[0] << 24 | (uint64_t)b[1] << 16 |
               (uint64_t)b[2] << 8 | (uint64_t)b[3];
        return v;
    }
    for (i = 0; i < 8; i++) {
        v.hi = v.hi << 8 | b[i];
        v.lo = v.lo << 8 | b[i + 8];
    }
    return v;
}

static void u128_to_bytes(u128 v, uint8_t family, uint8_t *b)
{
    int i;

    memset(b, 0, 16);
    if (family == AF_INET) {
        b[0] = (uint8_t)(v.lo >> 24);
        b[1] = (uint8_t)(v.lo >> 16);
        b[2] = (uint8_t)(v.lo >> 8);
        b[3] = (uint8_t)v.lo;
        return;
    }
    for (i = 7; i >= 0; i--) {
        b[i] = (uint8_t)v.hi;
        b[i + 8] = (uint8_t)v.lo;
        v.hi >>= 8;
        v.lo >>= 8;
    }
}

static bool addr_is_mapped(const ld_addr *a)
{
    static const uint8_t pfx[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

    return a->family == AF_INET6 && memcmp(a->bytes, pfx, sizeof(pfx)) == 0;
}

/*
 * Lexical check of dotted-quad text, to name the rule it breaks. The
 * text has no ':' and no white space. Returns 0 when inet_pton() may
 * have the final word, -1 with a message otherwise.
 */
static int ipv4_check(const subject *s, char *err, size_t errlen)
{
    const char *t = s->part;
    size_t n = s->partlen;
    size_t i = 0;
    size_t parts = 0;
    size_t bad = n;

    for (i = 0; i < n; i++) {
        if (!is_digit(t[i]) && t[i] != '.') {
            bad = i;
            break;
        }
    }
    /* "0x7f": the first non-digit is an 'x' right after a lone 0. */
    for (i = 0; i + 1 < n; i++) {
        if ((i == 0 || t[i - 1] == '.') && t[i] == '0' &&
            (t[i + 1] == 'x' || t[i + 1] == 'X')) {
            size_t e = i + 2;

            while (e < n && t[e] != '.') {
                e++;
            }
            error_set(err,
                      errlen,
                      s,
                      "hex \"%.*s\" is not allowed, write the address as "
                      "four decimal numbers (a.b.c.d)",
                      (int)(e - i > QUOTE_MAX ? QUOTE_MAX : e - i),
                      t + i);
            return -1;
        }
    }
    if (bad < n) {
        /* A complete quad followed by anything is trailing garbage. */
        subject head = {t, bad, NULL, 0};
        uint8_t tmp[4];
        char quad[INET_ADDRSTRLEN];

        if (bad > 0 && bad < sizeof(quad)) {
            memcpy(quad, t, bad);
            quad[bad] = '\0';
            if (ipv4_check(&head, NULL, 0) == 0 &&
                inet_pton(AF_INET, quad, tmp) == 1) {
                error_set(err,
                          errlen,
                          s,
                          "trailing garbage after \"%s\", remove it",
                          quad);
                return -1;
            }
        }
        if (bad > 0 && is_hex(t[bad]) && t[bad - 1] != '.') {
            error_set(
                err, errlen, s, "not an IP address (hex digit '%c')", t[bad]);
        } else {
            error_set(err, errlen, s, "not an IP address");
        }
        return -1;
    }

    /* Digits and dots only from here. */
    for (i = 0; i <= n; i++) {
        size_t start = i;

        while (i < n && t[i] != '.') {
            i++;
        }
        parts++;
        if (i == start) {
            error_set(err, errlen, s, "empty part in IPv4 address");
            return -1;
        }
        if (i - start > 1 && t[start] == '0') {
            error_set(err,
                      errlen,
                      s,
                      "leading zero in \"%.*s\" (octal is not allowed), "
                      "write it in decimal without leading zeros",
                      (int)(i - start > QUOTE_MAX ? QUOTE_MAX : i - start),
                      t + start);
            return -1;
        }
        if (i - start > 3 ||
            (i - start == 3 && (t[start] - '0') * 100 +
                                       (t[start + 1] - '0') * 10 +
                                       (t[start + 2] - '0') >
                                   255)) {
            error_set(err,
                      errlen,
                      s,
                      "\"%.*s\" is greater than 255",
                      (int)(i - start > QUOTE_MAX ? QUOTE_MAX : i - start),
                      t + start);
            return -1;
        }
    }
    if (parts < 4) {
        error_set(err, errlen, s, "short form, write all four parts (a.b.c.d)");
        return -1;
    }
    if (parts > 4) {
        error_set(err,
                  errlen,
                  s,
                  "too many parts, an IPv4 address has four (a.b.c.d)");
        return -1;
    }
    return 0;
}

static int ipv6_check(const subject *s, char *err, size_t errlen)
{
    const char *t = s->part;
    size_t n = s->partlen;
    size_t i = 0;

    if (n >= 2 && t[0] == '[' && t[n - 1] == ']') {
        error_set(err,
                  errlen,
                  s,
                  "brackets are not allowed, write \"%.*s\"",
                  (int)(n - 2 > QUOTE_MAX ? QUOTE_MAX : n - 2),
                  t + 1);
        return -1;
    }
    for (i = 0; i < n; i++) {
        if (t[i] == '%') {
            error_set(err,
                      errlen,
                      s,
                      "zone id \"%.*s\" is not allowed, write \"%.*s\"",
                      (int)(n - i > QUOTE_MAX ? QUOTE_MAX : n - i),
                      t + i,
                      (int)(i > QUOTE_MAX ? QUOTE_MAX : i),
                      t);
            return -1;
        }
    }
    for (i = 0; i < n; i++) {
        if (!is_hex(t[i]) && t[i] != ':' && t[i] != '.') {
            unsigned char c = (unsigned char)t[i];

            if (c > 0x20 && c < 0x7f) {
                error_set(err,
                          errlen,
                          s,
                          "invalid character '%c' in IPv6 address",
                          c);
            } else {
                error_set(err,
                          errlen,
                          s,
                          "invalid character \\x%02x in IPv6 address",
                          c);
            }
            return -1;
        }
    }
    return 0;
}

/* Parse s->part (no white space handling here beyond refusing it). */
static int
addr_parse_subject(const subject *s, ld_addr *out, char *err, size_t errlen)
{
    char buf[TEXT_MAX + 1];
    ld_addr a;
    size_t i = 0;
    bool v6 = false;

    memset(&a, 0, sizeof(a));
    if (s->partlen == 0) {
        error_set(err, errlen, s, "empty address");
        return -1;
    }
    if (s->partlen > TEXT_MAX) {
        error_set(err, errlen, s, "too long to be an address");
        return -1;
    }
    for (i = 0; i < s->partlen; i++) {
        if (s->part[i] == '\0') {
            error_set(err, errlen, s, "NUL byte in address");
            return -1;
        }
        if (is_space(s->part[i])) {
            error_set(
                err, errlen, s, "white space inside an address, remove it");
            return -1;
        }
        if (s->part[i] == ':') {
            v6 = true;
        }
    }
    if (v6 ? ipv6_check(s, err, errlen) : ipv4_check(s, err, errlen)) {
        return -1;
    }
    memcpy(buf, s->part, s->partlen);
    buf[s->partlen] = '\0';
    if (inet_pton(v6 ? AF_INET6 : AF_INET, buf, a.bytes) != 1) {
        error_set(err,
                  errlen,
                  s,
                  v6 ? "not a valid IPv6 address" : "not a valid IPv4 address");
        return -1;
    }
    a.family = v6 ? AF_INET6 : AF_INET;
    if (addr_is_mapped(&a)) {
        char v4[INET_ADDRSTRLEN];

        inet_ntop(AF_INET, a.bytes + 12, v4, sizeof(v4));
        error_set(err,
                  errlen,
                  s,
                  "IPv4-mapped IPv6 address, write the IPv4 address \"%s\"",
                  v4);
        return -1;
    }
    *out = a;
    return 0;
}

/* What addr_parse() and range_parse() do first: clear err, refuse a missing
 * text or result, and measure the text (at most TEXT_MAX + 1). */
static int parse_start(
    const char *text, bool have_out, size_t *n, char *err, size_t errlen)
{
    if (err != NULL && errlen > 0) {
        err[0] = '\0';
    }
    if (text == NULL || !have_out) {
        subject none = {"", 0, NULL, 0};

        error_set(err, errlen, &none, "no address given");
        return -1;
    }
    *n = strnlen(text, TEXT_MAX + 1);
    return 0;
}

int addr_parse(const char *text, ld_addr *out, char *err, size_t errlen)
{
    subject s = {text, 0, NULL, 0};
    ld_addr a;
    size_t n = 0;

    if (parse_start(text, out != NULL, &n, err, errlen) != 0) {
        return -1;
    }
    s.partlen = n;
    if (n > 0 && n <= TEXT_MAX &&
        (is_space(text[0]) || is_space(text[n - 1]))) {
        size_t b = 0;
        size_t e = n;

        while (b < e && is_space(text[b])) {
            b++;
        }
        while (e > b && is_space(text[e - 1])) {
            e--;
        }
        if (b == e) {
            error_set(err, errlen, &s, "empty address");
        } else {
            error_set(err,
                      errlen,
                      &s,
                      "leading or trailing white space, write \"%.*s\"",
                      (int)(e - b > QUOTE_MAX ? QUOTE_MAX : e - b),
                      text + b);
        }
        return -1;
    }
    if (addr_parse_subject(&s, &a, err, errlen) != 0) {
        return -1;
    }
    *out = a;
    return 0;
}

/* Prefix length text: decimal, no sign, no leading zero. */
static int prefix_len_parse(const subject *s,
                            const char *t,
                            size_t n,
                            unsigned width,
                            unsigned *len,
                            char *err,
                            size_t errlen)
{
    unsigned v = 0;
    size_t i = 0;
    int shown = (int)(n > QUOTE_MAX ? QUOTE_MAX : n);

    if (n == 0) {
        error_set(err, errlen, s, "missing prefix length after '/'");
        return -1;
    }
    for (i = 0; i < n; i++) {
        if (!is_digit(t[i])) {
            error_set(err,
                      errlen,
                      s,
                      "prefix length \"%.*s\" is not a number",
                      shown,
                      t);
            return -1;
        }
    }
    if (n > 1 && t[0] == '0') {
        size_t z = 0;

        while (z + 1 < n && t[z] == '0') {
            z++;
        }
        error_set(err,
                  errlen,
                  s,
                  "leading zero in prefix length \"%.*s\", write \"/%.*s\"",
                  shown,
                  t,
                  (int)(n - z > QUOTE_MAX ? QUOTE_MAX : n - z),
                  t + z);
        return -1;
    }
    for (i = 0; i < n && v <= width; i++) {
        v = v * 10 + (unsigned)(t[i] - '0');
    }
    if (v > width) {
        error_set(err,
                  errlen,
                  s,
                  "prefix length \"%.*s\" is out of range, %s allows 0-%u",
                  shown,
                  t,
                  width == 32 ? "IPv4" : "IPv6",
                  width);
        return -1;
    }
    *len = v;
    return 0;
}

/* Length of a contiguous IPv4 netmask, or -1. */
static int netmask_len(const ld_addr *m)
{
    uint32_t v = (uint32_t)m->bytes[0] << 24 | (uint32_t)m->bytes[1] << 16 |
                 (uint32_t)m->bytes[2] << 8 | (uint32_t)m->bytes[3];
    uint32_t inv = ~v;

    /* Contiguous: the inverted mask is 2^k - 1. */
    if ((inv & (inv + 1)) != 0) {
        return -1;
    }
    return __builtin_popcount(v);
}

static int range_parse_slash(
    const subject *s, size_t slash, ld_range *out, char *err, size_t errlen)
{
    const char *t = s->part;
    const char *rt = t + slash + 1;
    size_t rn = s->partlen - slash - 1;
    subject left = {t, slash, t, s->partlen};
    ld_prefix p;
    ld_range r;
    unsigned len = 0;
    bool mask = false;
    size_t i = 0;
    u128 v;
    u128 host;

    memset(&p, 0, sizeof(p));
    if (slash == 0) {
        error_set(err, errlen, s, "missing address before '/'");
        return -1;
    }
    if (addr_parse_subject(&left, &p.addr, err, errlen) != 0) {
        return -1;
    }
    for (i = 0; i < rn; i++) {
        if (rt[i] == '.' || rt[i] == ':') {
            mask = true;
        }
        if (is_space(rt[i])) {
            error_set(
                err, errlen, s, "white space inside an address, remove it");
            return -1;
        }
    }
    if (mask) {
        subject ms = {rt, rn, t, s->partlen};
        ld_addr m;
        int ml = 0;

        if (p.addr.family != AF_INET) {
            error_set(err,
                      errlen,
                      s,
                      "netmask notation is for IPv4 only, write a prefix "
                      "length");
            return -1;
        }
        if (addr_parse_subject(&ms, &m, err, errlen) != 0) {
            return -1;
        }
        if (m.family != AF_INET) {
            error_set(err,
                      errlen,
                      s,
                      "netmask notation is for IPv4 only, write a prefix "
                      "length");
            return -1;
        }
        ml = netmask_len(&m);
        if (ml < 0) {
            error_set(err,
                      errlen,
                      s,
                      "non-contiguous netmask \"%.*s\", the mask must be ones "
                      "followed by zeros",
                      (int)(rn > QUOTE_MAX ? QUOTE_MAX : rn),
                      rt);
            return -1;
        }
        len = (unsigned)ml;
    } else if (prefix_len_parse(
                   s, rt, rn, addr_width(p.addr.family), &len, err, errlen) !=
               0) {
        return -1;
    }
    p.len = (uint8_t)len;

    v = u128_from_bytes(p.addr.family, p.addr.bytes);
    host = u128_hostmask(len, addr_width(p.addr.family));
    if (!u128_is_zero(u128_and(v, host))) {
        ld_addr fixed = p.addr;
        char fb[INET6_ADDRSTRLEN];

        u128_to_bytes(u128_andnot(v, host), p.addr.family, fixed.bytes);
        addr_format(&fixed, fb, sizeof(fb));
        error_set(err,
                  errlen,
                  s,
                  "host bits set, did you mean \"%s/%.*s\"?",
                  fb,
                  (int)(rn > QUOTE_MAX ? QUOTE_MAX : rn),
                  rt);
        return -1;
    }
    range_from_prefix(&p, &r);
    *out = r;
    return 0;
}

static int range_parse_dash(
    const subject *s, size_t dash, ld_range *out, char *err, size_t errlen)
{
    const char *t = s->part;
    size_t le = dash;
    size_t rb = dash + 1;
    ld_addr lo;
    ld_addr hi;
    subject ls;
    subject rs;
    ld_range r;

    while (le > 0 && (t[le - 1] == ' ' || t[le - 1] == '\t')) {
        le--;
    }
    while (rb < s->partlen && (t[rb] == ' ' || t[rb] == '\t')) {
        rb++;
    }
    if (le == 0) {
        error_set(err, errlen, s, "missing address before '-'");
        return -1;
    }
    if (rb == s->partlen) {
        error_set(err, errlen, s, "missing address after '-'");
        return -1;
    }
    ls = (subject){t, le, t, s->partlen};
    rs = (subject){t + rb, s->partlen - rb, t, s->partlen};
    if (addr_parse_subject(&ls, &lo, err, errlen) != 0 ||
        addr_parse_subject(&rs, &hi, err, errlen) != 0) {
        return -1;
    }
    if (lo.family != hi.family) {
        error_set(err, errlen, s, "range mixes IPv4 and IPv6");
        return -1;
    }
    if (addr_cmp(&lo, &hi) > 0) {
        char a[INET6_ADDRSTRLEN];
        char b[INET6_ADDRSTRLEN];

        addr_format(&hi, a, sizeof(a));
        addr_format(&lo, b, sizeof(b));
        error_set(
            err, errlen, s, "reversed range, did you mean \"%s-%s\"?", a, b);
        return -1;
    }
    memset(&r, 0, sizeof(r));
    r.family = lo.family;
    memcpy(r.lo, lo.bytes, 16);
    memcpy(r.hi, hi.bytes, 16);
    *out = r;
    return 0;
}

int range_parse(const char *text, ld_range *out, char *err, size_t errlen)
{
    subject s = {text, 0, NULL, 0};
    size_t n = 0;
    size_t i = 0;
    size_t dash = 0;
    size_t slash = 0;
    size_t ndash = 0;
    size_t nslash = 0;
    ld_addr a;

    if (parse_start(text, out != NULL, &n, err, errlen) != 0) {
        return -1;
    }
    s.partlen = n;
    if (n == 0) {
        error_set(err, errlen, &s, "empty address");
        return -1;
    }
    if (n > TEXT_MAX) {
        error_set(err, errlen, &s, "too long to be an address or range");
        return -1;
    }
    if (is_space(text[0]) || is_space(text[n - 1])) {
        /* Same message as addr_parse(), with the trimmed text as hint. */
        return addr_parse(text, &a, err, errlen);
    }
    for (i = 0; i < n; i++) {
        if (text[i] == '-') {
            if (ndash++ == 0) {
                dash = i;
            }
        } else if (text[i] == '/') {
            if (nslash++ == 0) {
                slash = i;
            }
        }
    }
    if (ndash > 1) {
        error_set(err, errlen, &s, "more than one '-' in range");
        return -1;
    }
    if (ndash == 1 && nslash > 0) {
        error_set(err,
                  errlen,
                  &s,
                  "'/' and '-' cannot be combined, write a prefix or a "
                  "range");
        return -1;
    }
    if (ndash == 1) {
        return range_parse_dash(&s, dash, out, err, errlen);
    }
    if (nslash > 0) {
        return range_parse_slash(&s, slash, out, err, errlen);
    }
    if (addr_parse_subject(&s, &a, err, errlen) != 0) {
        return -1;
    }
    memset(out, 0, sizeof(*out));
    out->family = a.family;
    memcpy(out->lo, a.bytes, 16);
    memcpy(out->hi, a.bytes, 16);
    return 0;
}

void range_from_prefix(const ld_prefix *p, ld_range *out)
{
    unsigned width = addr_width(p->addr.family);
    unsigned len = p->len > width ? width : p->len;
    u128 v = u128_from_bytes(p->addr.family, p->addr.bytes);
    u128 host = u128_hostmask(len, width);

    memset(out, 0, sizeof(*out));
    out->family = p->addr.family;
    u128_to_bytes(u128_andnot(v, host), p->addr.family, out->lo);
    u128_to_bytes(u128_or(v, host), p->addr.family, out->hi);
}

int range_to_prefixes(const ld_range *r, prefix_cb cb, void *arg)
{
    unsigned width = addr_width(r->family);
    u128 cur = u128_from_bytes(r->family, r->lo);
    u128 hi = u128_from_bytes(r->family, r->hi);
    ld_prefix p;
    int rc = 0;

    if (u128_cmp(cur, hi) > 0) {
        return 0;
    }
    for (;;) {
        /* The largest aligned block at cur that does not pass hi. */
        unsigned len = width - u128_ctz(cur, width);
        u128 end = u128_or(cur, u128_hostmask(len, width));

        while (u128_cmp(end, hi) > 0) {
            len++;
            end = u128_or(cur, u128_hostmask(len, width));
        }
        memset(&p, 0, sizeof(p));
        p.addr.family = r->family;
        p.len = (uint8_t)len;
        u128_to_bytes(cur, r->family, p.addr.bytes);
        rc = cb(&p, arg);
        if (rc != 0) {
            return rc;
        }
        /* end == hi also covers end == all ones: no overflow below. */
        if (u128_cmp(end, hi) >= 0) {
            return 0;
        }
        cur = u128_inc(end);
    }
}

void addr_normalize(ld_addr *a)
{
    if (addr_is_mapped(a)) {
        uint8_t v4[4];

        memcpy(v4, a->bytes + 12, 4);
        memset(a->bytes, 0, sizeof(a->bytes));
        memcpy(a->bytes, v4, 4);
        a->family = AF_INET;
    } else if (a->family == AF_INET) {
        memset(a->bytes + 4, 0, sizeof(a->bytes) - 4);
    }
}

int addr_from_sockaddr(const struct sockaddr *sa, ld_addr *out)
{
    ld_addr a;

    if (sa == NULL || out == NULL) {
        return -1;
    }
    memset(&a, 0, sizeof(a));
    /* memcpy, not a cast: the caller's buffer need not be aligned. */
    if (sa->sa_family == AF_INET) {
        struct sockaddr_in sin;

        memcpy(&sin, sa, sizeof(sin));
        a.family = AF_INET;
        memcpy(a.bytes, &sin.sin_addr, 4);
    } else if (sa->sa_family == AF_INET6) {
        struct sockaddr_in6 sin6;

        memcpy(&sin6, sa, sizeof(sin6));
        a.family = AF_INET6;
        memcpy(a.bytes, &sin6.sin6_addr, 16);
        addr_normalize(&a);
    } else {
        return -1;
    }
    *out = a;
    return 0;
}

int addr_cmp(const ld_addr *a, const ld_addr *b)
{
    int c = 0;

    if (a->family != b->family) {
        return a->family == AF_INET ? -1 : 1;
    }
    c = memcmp(a->bytes, b->bytes, a->family == AF_INET ? 4 : 16);
    return c < 0 ? -1 : c > 0;
}

const char *addr_format(const ld_addr *a, char *buf, size_t buflen)
{
    if (buf == NULL || buflen == 0) {
        return "";
    }
    buf[0] = '\0';
    if (a == NULL || (a->family != AF_INET && a->family != AF_INET6) ||
        inet_ntop(a->family, a->bytes, buf, (socklen_t)buflen) == NULL) {
        snprintf(buf, buflen, "?");
    }
    return buf;
}

const char *prefix_format(const ld_prefix *p, char *buf, size_t buflen)
{
    char a[INET6_ADDRSTRLEN];

    if (buf == NULL || buflen == 0) {
        return "";
    }
    if (p == NULL) {
        snprintf(buf, buflen, "?");
        return buf;
    }
    addr_format(&p->addr, a, sizeof(a));
    snprintf(buf, buflen, "%s/%u", a, (unsigned)p->len);
    return buf;
}
