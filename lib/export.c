/*
 * export.c - write the lockdown for Postfix, Sendmail, nftables, iptables
 * and Exchange (see export.h and doc/lockdownctl.1, EXPORT).
 *
 * Every format answers the question `lockdownctl check` answers for a
 * client at a locked port, so each has to reproduce longest-prefix
 * matching in the consumer's own lookup rules:
 *  - Postfix cidr tables are first-match: lines go most specific first,
 *    equal prefixes lowest entry first (the addrset tie rule).
 *  - Sendmail looks up the client address, then strips the last octet
 *    (IPv6: 16-bit group) and looks again: keys exist only on those
 *    boundaries, most specific first. A prefix becomes every boundary key
 *    it covers; a key claimed by two prefixes goes to the longer one.
 *  - Firewalls only accept or drop, and every included entry accepts, so
 *    a plain union is exact there.
 */
#include "export.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

/* Ranges listed per entry in the header before "and N more". */
#define EXPORT_HEADER_RANGES 8
/* Longest nft set name we build (the kernel allows 255). */
#define EXPORT_NFT_NAME_MAX 64
/* iptables multiport takes at most 15 ports per rule. */
#define EXPORT_MULTIPORT_MAX 15

#define POSTFIX_CLIENT_TABLE "/etc/postfix/lockdown-client.cidr"
#define POSTFIX_RELAY_TABLE "/etc/postfix/lockdown-relay.cidr"
#define IPT_CHAIN_HOOK "lockdown-input"
#define IPT_CHAIN_ALLOW "lockdown-allow"

static const char *const export_names[LD_EXPORT_NFORMATS] = {
    "postfix-client",
    "postfix-relay",
    "sendmail-access",
    "nftables",
    "iptables",
    "exchange",
};

/* One prefix of one range of one included entry. */
typedef struct export_item {
    ld_prefix p;
    uint32_t entry; /* index in c->entries, the addrset tag */
    uint32_t range; /* index in the entry's ranges */
} export_item;

typedef struct export_items {
    export_item *v;
    size_t n;
    size_t cap;
} export_items;

typedef struct export_ctx {
    FILE *out;
    const ld_config *c;
    const ld_export_opts *o;
    enum ld_export_format f;
    char *err;
    size_t errlen;
    uint16_t ports[LD_EXPORT_MAX_PORTS]; /* locked by a firewall */
    size_t nports;
    uint16_t cports[LD_EXPORT_MAX_PORTS]; /* scope.ports */
    size_t ncports;
} export_ctx;

static int export_fail(export_ctx *x, int rc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int export_fail(export_ctx *x, int rc, const char *fmt, ...)
{
    va_list ap;

    if (x->err != NULL && x->errlen > 0) {
        va_start(ap, fmt);
        vsnprintf(x->err, x->errlen, fmt, ap);
        va_end(ap);
    }
    return rc;
}

int export_format_parse(const char *name, enum ld_export_format *out)
{
    size_t i;

    if (name == NULL || out == NULL) {
        return -1;
    }
    for (i = 0; i < LD_EXPORT_NFORMATS; i++) {
        if (strcmp(name, export_names[i]) == 0) {
            *out = (enum ld_export_format)i;
            return 0;
        }
    }
    return -1;
}

const char *export_format_name(enum ld_export_format f)
{
    if ((unsigned)f >= LD_EXPORT_NFORMATS) {
        return "?";
    }
    return export_names[f];
}

static bool export_entry_included(const ld_entry *e)
{
    return e->kind == LD_ENTRY_TRUSTED || e->enabled;
}

static unsigned export_width(uint8_t family)
{
    return family == AF_INET ? 32 : 128;
}

/*
 * Config text (names, ranges as written, the guide's address) goes into
 * comments: a newline in it would end the comment and inject a line into
 * a firewall or MTA table, so control bytes are shown as '?'.
 */
static void export_text(FILE *out, const char *s)
{
    const unsigned char *p = (const unsigned char *)s;

    if (s == NULL) {
        fputc('-', out);
        return;
    }
    for (; *p != '\0'; p++) {
        fputc(*p < 0x20 || *p == 0x7f ? '?' : (int)*p, out);
    }
}

static bool export_has_control(const char *s)
{
    const unsigned char *p = (const unsigned char *)s;

    for (; p != NULL && *p != '\0'; p++) {
        if (*p < 0x20 || *p == 0x7f) {
            return true;
        }
    }
    return false;
}

/* "mailroute" or "loopback", with the kind spelled out for humans. */
static void export_entry_label(FILE *out, const ld_entry *e)
{
    fputs(e->kind == LD_ENTRY_PROVIDER ? "provider " : "trusted ", out);
    export_text(out, e->name);
}

static const char *
export_prefix_text(const ld_prefix *p, char *buf, size_t buflen)
{
    if (p->len == export_width(p->addr.family)) {
        return addr_format(&p->addr, buf, buflen);
    }
    return prefix_format(p, buf, buflen);
}

/* ---- collecting prefixes ---- */

static int export_items_push(export_items *it, const export_item *e)
{
    export_item *nv = NULL;
    size_t ncap;

    if (it->n == it->cap) {
        ncap = it->cap == 0 ? 64 : it->cap * 2;
        if (ncap > SIZE_MAX / sizeof(*nv)) {
            return -1;
        }
        nv = realloc(it->v, ncap * sizeof(*nv));
        if (nv == NULL) {
            return -1;
        }
        it->v = nv;
        it->cap = ncap;
    }
    it->v[it->n++] = *e;
    return 0;
}

typedef struct export_collect_arg {
    export_items *it;
    uint32_t entry;
    uint32_t range;
} export_collect_arg;

static int export_collect_cb(const ld_prefix *p, void *arg)
{
    export_collect_arg *a = arg;
    export_item e;

    e.p = *p;
    e.entry = a->entry;
    e.range = a->range;
    return export_items_push(a->it, &e) == 0 ? 0 : -1;
}

/* Every prefix of every range of every included entry, in config order. */
static int export_collect(export_ctx *x, export_items *it)
{
    const ld_config *c = x->c;
    export_collect_arg a;
    size_t i;
    size_t j;

    a.it = it;
    for (i = 0; i < c->nentries; i++) {
        const ld_entry *e = &c->entries[i];

        if (!export_entry_included(e)) {
            continue;
        }
        for (j = 0; j < e->nranges; j++) {
            a.entry = (uint32_t)i;
            a.range = (uint32_t)j;
            if (range_to_prefixes(&e->ranges[j], export_collect_cb, &a) != 0) {
                return export_fail(
                    x, LD_EXPORT_ERR_NOMEM, "export: out of memory");
            }
        }
    }
    return 0;
}

/* Family (IPv4 first), longer prefix first, address, lower entry first. */
static int export_item_specific_cmp(const void *pa, const void *pb)
{
    const export_item *a = pa;
    const export_item *b = pb;
    int r;

    if (a->p.addr.family != b->p.addr.family) {
        return a->p.addr.family == AF_INET ? -1 : 1;
    }
    if (a->p.len != b->p.len) {
        return a->p.len > b->p.len ? -1 : 1;
    }
    r = memcmp(a->p.addr.bytes, b->p.addr.bytes, sizeof(a->p.addr.bytes));
    if (r != 0) {
        return r;
    }
    if (a->entry != b->entry) {
        return a->entry < b->entry ? -1 : 1;
    }
    return a->range < b->range ? -1 : (a->range > b->range);
}

/* ---- ports ---- */

static int export_port_cmp(const void *pa, const void *pb)
{
    uint16_t a = *(const uint16_t *)pa;
    uint16_t b = *(const uint16_t *)pb;

    return a < b ? -1 : (a > b);
}

static size_t export_ports_sort(uint16_t *v, size_t n)
{
    size_t i;
    size_t k = 0;

    qsort(v, n, sizeof(v[0]), export_port_cmp);
    for (i = 0; i < n; i++) {
        if (k == 0 || v[k - 1] != v[i]) {
            v[k++] = v[i];
        }
    }
    return k;
}

/*
 * scope.ports sorted and unique (for the header), and the ports a firewall
 * locks: the options' list, else scope.ports.
 */
static int export_ports_init(export_ctx *x)
{
    const uint16_t *src = x->c->ports;
    size_t n = x->c->nports;
    size_t i;

    if (n > LD_EXPORT_MAX_PORTS) {
        return export_fail(x,
                           LD_EXPORT_ERR_CONFIG,
                           "export: %zu ports in scope.ports: at most %d",
                           n,
                           LD_EXPORT_MAX_PORTS);
    }
    if (n > 0) {
        memcpy(x->cports, src, n * sizeof(src[0]));
    }
    x->ncports = export_ports_sort(x->cports, n);
    if (x->o->ports != NULL) {
        src = x->o->ports;
        n = x->o->nports;
    }
    if (n > LD_EXPORT_MAX_PORTS) {
        return export_fail(x,
                           LD_EXPORT_ERR_USAGE,
                           "export: %zu ports: at most %d",
                           n,
                           LD_EXPORT_MAX_PORTS);
    }
    for (i = 0; i < n; i++) {
        if (src[i] == 0) {
            return export_fail(
                x, LD_EXPORT_ERR_USAGE, "export: port 0 is not a port");
        }
        x->ports[i] = src[i];
    }
    x->nports = export_ports_sort(x->ports, n);
    return 0;
}

static void export_cports_list(export_ctx *x, const char *sep)
{
    size_t i;

    for (i = 0; i < x->ncports; i++) {
        fprintf(x->out, "%s%u", i > 0 ? sep : "", (unsigned)x->cports[i]);
    }
}

static void export_ports_list(export_ctx *x, const char *sep)
{
    size_t i;

    for (i = 0; i < x->nports; i++) {
        fprintf(x->out, "%s%u", i > 0 ? sep : "", (unsigned)x->ports[i]);
    }
}

/* A firewall cannot lock "every port": it would cut SSH off too. */
static int export_ports_require(export_ctx *x)
{
    if (x->nports == 0) {
        return export_fail(
            x,
            LD_EXPORT_ERR_CONFIG,
            "export %s: scope.ports is empty (every port the MTA listens on "
            "is locked), but a firewall sees every service on the host and "
            "would lock SSH too; name the SMTP ports with --ports, e.g. "
            "--ports 25",
            export_format_name(x->f));
    }
    return 0;
}

/* ---- the reply ---- */

static int export_reply_check(export_ctx *x)
{
    const ld_reply *r = &x->c->refuse_reply;

    if (export_has_control(r->text) || export_has_control(r->xcode) ||
        export_has_control(r->rcode)) {
        return export_fail(x,
                           LD_EXPORT_ERR_CONFIG,
                           "export %s: refuse.reply contains a control "
                           "character, which would break the table",
                           export_format_name(x->f));
    }
    return 0;
}

static void export_reply(export_ctx *x, bool sendmail)
{
    const ld_reply *r = &x->c->refuse_reply;
    const char *text = r->text != NULL ? r->text : "";

    if (sendmail) {
        /* proto.m4: R<ERROR:$-.$-.$-:$+> -> $#error $@ x.y.z $: text */
        fputs("ERROR:", x->out);
        if (r->xcode[0] != '\0') {
            fprintf(x->out, "%s:", r->xcode);
        }
    }
    fputs(r->rcode, x->out);
    if (r->xcode[0] != '\0' && !sendmail) {
        fprintf(x->out, " %s", r->xcode);
    }
    if (text[0] != '\0') {
        fprintf(x->out, " %s", text);
    }
}

/* ---- the header every format starts with ---- */

bool export_config_monitored(const ld_config *c)
{
    size_t i;

    if (c->mode == LD_MODE_MONITOR) {
        return true;
    }
    for (i = 0; i < c->nproviders && i < c->nentries; i++) {
        const ld_entry *e = &c->entries[i];

        if (e->enabled && config_entry_mode(c, e) == LD_MODE_MONITOR) {
            return true;
        }
    }
    return false;
}

static void export_header_entry(export_ctx *x, const ld_entry *e)
{
    FILE *out = x->out;
    size_t j;

    fputs("#   ", out);
    export_entry_label(out, e);
    if (e->display != NULL) {
        fputs(" (", out);
        export_text(out, e->display);
        fputc(')', out);
    }
    if (e->relay) {
        fputs(", relay", out);
    }
    fputc(':', out);
    for (j = 0; j < e->nranges && j < EXPORT_HEADER_RANGES; j++) {
        fputs(j > 0 ? ", " : " ", out);
        export_text(out, e->range_text != NULL ? e->range_text[j] : NULL);
    }
    if (e->nranges > EXPORT_HEADER_RANGES) {
        fprintf(out, " and %zu more", e->nranges - EXPORT_HEADER_RANGES);
    }
    if (e->nranges == 0) {
        fputs(" (no ranges)", out);
    }
    fputc('\n', out);
    if (e->source != NULL) {
        fputs("#     source: ", out);
        export_text(out, e->source);
        fputc('\n', out);
    }
}

/* The options that change the output, so the command line can be rerun. */
static void export_header_options(export_ctx *x)
{
    FILE *out = x->out;

    if (x->o->ports != NULL) {
        fputs(" --ports ", out);
        export_ports_list(x, ",");
    }
    if (x->f == LD_EXPORT_IPTABLES) {
        fputs(x->o->family == AF_INET6 ? " --family 6" : " --family 4", out);
    }
    if (x->f == LD_EXPORT_EXCHANGE && x->o->identity != NULL) {
        fputs(" --identity '", out);
        export_text(out, x->o->identity);
        fputc('\'', out);
    } else if (x->f == LD_EXPORT_EXCHANGE && x->o->server != NULL) {
        fputs(" --server '", out);
        export_text(out, x->o->server);
        fputc('\'', out);
    }
}

static void export_header(export_ctx *x, const char *title)
{
    const ld_config *c = x->c;
    FILE *out = x->out;
    const char *name = x->o->config_name != NULL ? x->o->config_name : c->path;
    bool any = false;
    size_t i;

    fprintf(out, "# %s\n", title);
    fputs("# Generated by: lockdownctl -c ", out);
    export_text(out, name);
    fprintf(out, " export %s", export_format_name(x->f));
    export_header_options(x);
    fputc('\n', out);
    fputs("# Do not edit: change the configuration and export again.\n#\n",
          out);
    fputs("# Included (enabled provider profiles, trusted entries):\n", out);
    for (i = 0; i < c->nentries; i++) {
        if (export_entry_included(&c->entries[i])) {
            export_header_entry(x, &c->entries[i]);
            any = true;
        }
    }
    if (!any) {
        fputs("#   nothing: every client is refused\n", out);
    }
    any = false;
    for (i = 0; i < c->nentries; i++) {
        const ld_entry *e = &c->entries[i];

        if (export_entry_included(e)) {
            continue;
        }
        fputs(any ? ", " : "# Not included (disabled profiles): ", out);
        export_text(out, e->name);
        any = true;
    }
    if (any) {
        fputc('\n', out);
    }
    fputs("# Locked ports (scope.ports): ", out);
    if (x->ncports == 0) {
        fputs("all", out);
    }
    export_cports_list(x, ", ");
    fputc('\n', out);
    if (export_config_monitored(c)) {
        fputs("# WARNING: the configuration is in monitor mode (globally or "
              "for an enabled\n"
              "# profile): the milter refuses nobody yet, but this output "
              "enforces.\n",
              out);
    }
    fputs("#\n", out);
}

/* ---- Postfix ---- */

static void export_postfix_usage(export_ctx *x, bool relay)
{
    const ld_config *c = x->c;
    FILE *out = x->out;

    if (relay) {
        fputs("# Save as " POSTFIX_RELAY_TABLE " (cidr tables are read as "
              "text: no postmap;\n"
              "# \"postfix reload\" after a change) and use it in main.cf:\n"
              "#   smtpd_relay_restrictions = permit_mynetworks,\n",
              out);
        if (c->relay_authenticated) {
            fputs("#       permit_sasl_authenticated,\n", out);
        }
        fputs("#       check_client_access cidr:" POSTFIX_RELAY_TABLE ",\n"
              "#       reject_unauth_destination\n"
              "# OK grants relay to entries with relay: true. DUNNO lines "
              "are entries\n"
              "# without relay inside a shorter relay: true prefix: the "
              "longest prefix\n"
              "# decides, as in the milter, and DUNNO falls through to "
              "reject_unauth_destination.\n"
              "# permit_mynetworks grants relay too: keep mynetworks to "
              "hosts listed here\n"
              "# with relay: true (mynetworks = 127.0.0.0/8 [::1]/128), "
              "or the milter will refuse\n"
              "# what Postfix allowed.\n",
              out);
        if (!c->relay_authenticated) {
            fputs("# relay.authenticated is false: no "
                  "permit_sasl_authenticated.\n",
                  out);
        }
        if (c->nlocal_domains == 0) {
            fputs("# relay.local_domains is empty: the milter does not "
                  "judge relaying, Postfix alone does.\n",
                  out);
        }
        fputs("#\n", out);
        return;
    }
    fputs("# Save as " POSTFIX_CLIENT_TABLE " (cidr tables are read as "
          "text: no postmap;\n"
          "# \"postfix reload\" after a change).\n",
          out);
    if (x->ncports == 0) {
        fputs("# Every port is locked, so main.cf is the place:\n"
              "#   smtpd_client_restrictions = ",
              out);
        if (c->refuse_at == LD_REFUSE_MAIL) {
            fputs("permit_sasl_authenticated,\n#       ", out);
        }
        fputs("check_client_access cidr:" POSTFIX_CLIENT_TABLE "\n", out);
    } else {
        fputs("# smtpd_client_restrictions in main.cf would apply to every "
              "smtpd service\n"
              "# (25, 587, 2525...), but only port",
              out);
        fputs(x->ncports > 1 ? "s " : " ", out);
        export_cports_list(x, ", ");
        fputs(x->ncports > 1 ? " are" : " is", out);
        fputs(" locked: set it on the smtpd service of\n"
              "# each locked port in master.cf (port 25 is the \"smtp inet\" "
              "service):\n"
              "#   smtp      inet  n       -       y       -       -       "
              "smtpd\n"
              "#     -o smtpd_client_restrictions=",
              out);
        if (c->refuse_at == LD_REFUSE_MAIL) {
            fputs("permit_sasl_authenticated,", out);
        }
        fputs("check_client_access,cidr:" POSTFIX_CLIENT_TABLE "\n", out);
    }
    if (c->refuse_at == LD_REFUSE_MAIL) {
        fputs("# refuse.at is mail: permit_sasl_authenticated comes first; "
              "with\n"
              "# smtpd_delay_reject = yes (the default) the refusal waits "
              "for RCPT, after AUTH.\n",
              out);
    }
    fputs("# The refusal keeps the milter's reply (\"NNN text\" action, "
          "not REJECT,\n"
          "# which would put Postfix's own code in front).\n#\n",
          out);
}

static int export_postfix(export_ctx *x, bool relay)
{
    export_items it = {NULL, 0, 0};
    char buf[LD_ADDRSTRLEN + 8];
    FILE *out = x->out;
    size_t i;
    int rc = 0;

    rc = export_reply_check(x);
    if (rc != 0) {
        goto out;
    }
    rc = export_collect(x, &it);
    if (rc != 0) {
        goto out;
    }
    if (it.n > 0) {
        qsort(it.v, it.n, sizeof(it.v[0]), export_item_specific_cmp);
    }
    export_header(x,
                  relay ? "lockdown-milter: Postfix cidr table for "
                          "smtpd_relay_restrictions (who may relay)"
                        : "lockdown-milter: Postfix cidr table for "
                          "check_client_access (who may connect)");
    export_postfix_usage(x, relay);
    fputs("# First match wins: most specific prefixes first.\n", out);
    for (i = 0; i < it.n; i++) {
        const export_item *e = &it.v[i];
        const ld_entry *en = &x->c->entries[e->entry];

        fputs("# ", out);
        export_entry_label(out, en);
        fputs(": ", out);
        export_text(out,
                    en->range_text != NULL ? en->range_text[e->range] : NULL);
        fputc('\n', out);
        fprintf(out,
                "%s\t%s\n",
                export_prefix_text(&e->p, buf, sizeof(buf)),
                relay ? (en->relay ? "OK" : "DUNNO") : "OK");
    }
    if (!relay) {
        fputs("# Everyone else.\n0.0.0.0/0\t", out);
        export_reply(x, false);
        fputs("\n::/0\t", out);
        export_reply(x, false);
        fputc('\n', out);
    }
out:
    free(it.v);
    return rc;
}

/* ---- Sendmail ---- */

static unsigned export_sendmail_step(uint8_t family)
{
    return family == AF_INET ? 8 : 16;
}

/* The boundary a prefix is cut at: IPv4 has no /0 key, so at least /8. */
static unsigned export_sendmail_keylen(const ld_prefix *p)
{
    unsigned step = export_sendmail_step(p->addr.family);
    unsigned len = (p->len + step - 1) / step * step;

    if (p->addr.family == AF_INET && len == 0) {
        len = 8;
    }
    return len;
}

uint64_t export_sendmail_key_count(const ld_prefix *p)
{
    if (p == NULL ||
        (p->addr.family != AF_INET && p->addr.family != AF_INET6) ||
        p->len > export_width(p->addr.family)) {
        return 0;
    }
    return (uint64_t)1 << (export_sendmail_keylen(p) - p->len);
}

int export_sendmail_key(const ld_prefix *p, char *buf, size_t buflen)
{
    unsigned step;
    unsigned i;
    size_t pos = 0;
    int w = 0;

    if (p == NULL || buf == NULL || buflen == 0 ||
        (p->addr.family != AF_INET && p->addr.family != AF_INET6)) {
        return -1;
    }
    step = export_sendmail_step(p->addr.family);
    if (p->len % step != 0 || p->len > export_width(p->addr.family) ||
        (p->addr.family == AF_INET && p->len == 0)) {
        return -1;
    }
    if (p->addr.family == AF_INET) {
        for (i = 0; i < p->len / 8; i++) {
            w = snprintf(buf + pos,
                         buflen - pos,
                         "%s%u",
                         i > 0 ? "." : "",
                         (unsigned)p->addr.bytes[i]);
            if (w < 0 || (size_t)w >= buflen - pos) {
                return -1;
            }
            pos += (size_t)w;
        }
        return 0;
    }
    /* sendmail's IPV6_FULL form (Debian's build): every group, in lower
     * case hex without leading zeros, never "::". */
    w = snprintf(buf, buflen, "IPv6");
    if (w < 0 || (size_t)w >= buflen) {
        return -1;
    }
    pos = (size_t)w;
    for (i = 0; i < p->len / 16; i++) {
        w = snprintf(buf + pos,
                     buflen - pos,
                     ":%x",
                     (unsigned)p->addr.bytes[2 * i] << 8 |
                         p->addr.bytes[2 * i + 1]);
        if (w < 0 || (size_t)w >= buflen - pos) {
            return -1;
        }
        pos += (size_t)w;
    }
    return 0;
}

typedef struct export_key {
    ld_prefix k;     /* on a boundary */
    uint8_t origlen; /* the prefix it came from */
    uint32_t item;   /* index in the (config order) items */
    uint32_t entry;
} export_key;

/* Add 1 at the last bit of a len-bit prefix. */
static void export_addr_step(uint8_t *b, unsigned len)
{
    int i = (int)((len - 1) / 8);
    unsigned add = 1u << (7 - (len - 1) % 8);

    for (; i >= 0 && add != 0; i--) {
        unsigned v = b[i] + add;

        b[i] = (uint8_t)v;
        add = v >> 8;
    }
}

/* Same key together, the one from the longest prefix (then lowest entry)
 * first: that one wins. */
static int export_key_cmp(const void *pa, const void *pb)
{
    const export_key *a = pa;
    const export_key *b = pb;
    int r;

    if (a->k.addr.family != b->k.addr.family) {
        return a->k.addr.family == AF_INET ? -1 : 1;
    }
    if (a->k.len != b->k.len) {
        return a->k.len < b->k.len ? -1 : 1;
    }
    r = memcmp(a->k.addr.bytes, b->k.addr.bytes, sizeof(a->k.addr.bytes));
    if (r != 0) {
        return r;
    }
    if (a->origlen != b->origlen) {
        return a->origlen > b->origlen ? -1 : 1;
    }
    if (a->entry != b->entry) {
        return a->entry < b->entry ? -1 : 1;
    }
    return a->item < b->item ? -1 : (a->item > b->item);
}

/* Winners back in config order, keys ascending within a prefix. */
static int export_key_item_cmp(const void *pa, const void *pb)
{
    const export_key *a = pa;
    const export_key *b = pb;

    if (a->item != b->item) {
        return a->item < b->item ? -1 : 1;
    }
    return memcmp(a->k.addr.bytes, b->k.addr.bytes, sizeof(a->k.addr.bytes));
}

static void export_sendmail_usage(export_ctx *x)
{
    FILE *out = x->out;

    fputs("# Needs FEATURE(`access_db') in sendmail.mc. Merge these lines "
          "into\n"
          "# /etc/mail/access (replacing the previous export), then rebuild "
          "the map:\n"
          "#   makemap hash /etc/mail/access < /etc/mail/access\n"
          "# Connect:ADDRESS is looked up by check_relay when a client "
          "connects (and by\n"
          "# Relay_ok at RCPT): OK accepts the connection, RELAY accepts it "
          "and lets the\n"
          "# client relay, ERROR:... refuses it with the milter's reply.\n",
          out);
    if (x->c->refuse_at == LD_REFUSE_MAIL) {
        fputs("# refuse.at is mail: add FEATURE(`delay_checks') so that "
              "check_relay runs at RCPT\n"
              "# and clients that authenticated (TrustAuthMech) skip it.\n",
              out);
    } else {
        fputs("# refuse.at is connect: the refusal comes at connect, "
              "before AUTH. (With\n"
              "# FEATURE(`delay_checks') it would wait for RCPT and let "
              "AUTH users through.)\n",
              out);
    }
    fputs("# The access db only matches whole octets (IPv4) and whole 16-bit "
          "groups (IPv6):\n"
          "# sendmail looks up the full address, then drops the last part and "
          "looks again,\n"
          "# so each prefix is written as the minimal set of such keys "
          "(counted below),\n"
          "# and a longer key always wins, as the longest prefix does in the "
          "milter.\n"
          "# IPv6 keys are in sendmail's uncompressed form (IPV6_FULL, "
          "Debian's build):\n"
          "# do not set confUSE_COMPRESSED_IPV6_ADDRESSES.\n"
          "# Caveats, honestly: Connect:host.name keys in your own access file "
          "are looked up\n"
          "# before addresses and win; untagged address keys (\"10.1 OK\") "
          "count as Connect:\n"
          "# keys too; sendmail always lets 127.0.0.1 and ::1 relay "
          "(Relay_ok).\n#\n",
          out);
}

static int export_sendmail_keys(export_ctx *x,
                                const export_items *it,
                                export_key **keys,
                                size_t *nkeys)
{
    char buf[LD_ADDRSTRLEN + 8];
    export_key *v = NULL;
    uint64_t total = 0;
    size_t i;
    size_t n = 0;
    uint64_t k;

    for (i = 0; i < it->n; i++) {
        total += export_sendmail_key_count(&it->v[i].p);
        if (total > LD_EXPORT_MAX_SENDMAIL_KEYS) {
            return export_fail(
                x,
                LD_EXPORT_ERR_CONFIG,
                "export sendmail-access: %s needs %llu keys; the table "
                "would exceed %d keys",
                prefix_format(&it->v[i].p, buf, sizeof(buf)),
                (unsigned long long)export_sendmail_key_count(&it->v[i].p),
                LD_EXPORT_MAX_SENDMAIL_KEYS);
        }
    }
    if (total > 0) {
        v = calloc((size_t)total, sizeof(*v));
        if (v == NULL) {
            return export_fail(x, LD_EXPORT_ERR_NOMEM, "export: out of memory");
        }
    }
    for (i = 0; i < it->n; i++) {
        const ld_prefix *p = &it->v[i].p;
        uint64_t count = export_sendmail_key_count(p);
        ld_prefix key = *p;

        key.len = (uint8_t)export_sendmail_keylen(p);
        for (k = 0; k < count; k++) {
            v[n].k = key;
            v[n].origlen = p->len;
            v[n].item = (uint32_t)i;
            v[n].entry = it->v[i].entry;
            n++;
            if (k + 1 < count) {
                export_addr_step(key.addr.bytes, key.len);
            }
        }
    }
    *keys = v;
    *nkeys = n;
    return 0;
}

static int export_sendmail(export_ctx *x)
{
    export_items it = {NULL, 0, 0};
    export_key *keys = NULL;
    size_t nkeys = 0;
    size_t nwin = 0;
    size_t *won = NULL; /* per item: keys it won */
    bool octet_taken[256];
    bool v6_taken = false;
    char buf[LD_ADDRSTRLEN + 8];
    char kbuf[64];
    FILE *out = x->out;
    size_t i;
    size_t j;
    int rc = 0;

    rc = export_reply_check(x);
    if (rc != 0) {
        goto out;
    }
    rc = export_collect(x, &it);
    if (rc != 0) {
        goto out;
    }
    rc = export_sendmail_keys(x, &it, &keys, &nkeys);
    if (rc != 0) {
        goto out;
    }
    if (nkeys > 0) {
        qsort(keys, nkeys, sizeof(keys[0]), export_key_cmp);
    }
    /* Keep the first of each run of equal keys. */
    for (i = 0; i < nkeys; i++) {
        if (nwin > 0 && keys[nwin - 1].k.len == keys[i].k.len &&
            keys[nwin - 1].k.addr.family == keys[i].k.addr.family &&
            memcmp(keys[nwin - 1].k.addr.bytes,
                   keys[i].k.addr.bytes,
                   sizeof(keys[i].k.addr.bytes)) == 0) {
            continue;
        }
        keys[nwin++] = keys[i];
    }
    if (nwin > 0) {
        qsort(keys, nwin, sizeof(keys[0]), export_key_item_cmp);
    }
    won = calloc(it.n + 1, sizeof(*won));
    if (won == NULL) {
        rc = export_fail(x, LD_EXPORT_ERR_NOMEM, "export: out of memory");
        goto out;
    }
    memset(octet_taken, 0, sizeof(octet_taken));
    for (i = 0; i < nwin; i++) {
        won[keys[i].item]++;
        if (keys[i].k.addr.family == AF_INET && keys[i].k.len == 8) {
            octet_taken[keys[i].k.addr.bytes[0]] = true;
        } else if (keys[i].k.addr.family == AF_INET6 && keys[i].k.len == 0) {
            v6_taken = true;
        }
    }

    export_header(x, "lockdown-milter: Sendmail access db (Connect: keys)");
    export_sendmail_usage(x);
    j = 0;
    for (i = 0; i < it.n; i++) {
        const export_item *e = &it.v[i];
        const ld_entry *en = &x->c->entries[e->entry];
        uint64_t count = export_sendmail_key_count(&e->p);

        fputs("# ", out);
        export_entry_label(out, en);
        fputs(": ", out);
        export_text(out,
                    en->range_text != NULL ? en->range_text[e->range] : NULL);
        fprintf(out,
                ": %s -> %llu key%s",
                prefix_format(&e->p, buf, sizeof(buf)),
                (unsigned long long)count,
                count == 1 ? "" : "s");
        if (won[i] < count) {
            fprintf(out,
                    " (%llu left to a more specific prefix)",
                    (unsigned long long)(count - won[i]));
        }
        fputc('\n', out);
        for (; j < nwin && keys[j].item == i; j++) {
            if (export_sendmail_key(&keys[j].k, kbuf, sizeof(kbuf)) != 0) {
                rc = export_fail(x,
                                 LD_EXPORT_ERR_NOMEM,
                                 "export: internal error formatting a key");
                goto out;
            }
            fprintf(out, "Connect:%s\t%s\n", kbuf, en->relay ? "RELAY" : "OK");
        }
    }
    fputs("# Everyone else. The access db has no catch-all key: an IPv4 "
          "lookup stops at\n"
          "# the first octet, so every first octet no allowed /8 takes "
          "gets its own\n"
          "# refusal (longer allowed keys above still win); an IPv6 lookup "
          "ends at the\n"
          "# bare tag Connect:IPv6, which is the IPv6 default.\n",
          out);
    for (i = 0; i < 256; i++) {
        if (!octet_taken[i]) {
            fprintf(out, "Connect:%zu\t", i);
            export_reply(x, true);
            fputc('\n', out);
        }
    }
    if (!v6_taken) {
        fputs("Connect:IPv6\t", out);
        export_reply(x, true);
        fputc('\n', out);
    }
out:
    free(won);
    free(keys);
    free(it.v);
    return rc;
}

/* ---- nftables ---- */

/* A set name: [A-Za-z0-9_] only, so no config text reaches nft syntax. */
static void export_nft_name(const ld_entry *e,
                            size_t idx,
                            uint8_t family,
                            bool disambiguate,
                            char *buf,
                            size_t buflen)
{
    size_t pos = 0;
    const char *s = e->name != NULL ? e->name : "";
    int w;

    w = snprintf(buf,
                 buflen,
                 "%s_",
                 e->kind == LD_ENTRY_PROVIDER ? "provider" : "trusted");
    pos = w > 0 ? (size_t)w : 0;
    for (; *s != '\0' && pos + 16 < buflen && pos < EXPORT_NFT_NAME_MAX; s++) {
        char ch = *s;

        if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
              (ch >= '0' && ch <= '9') || ch == '_')) {
            ch = '_';
        }
        buf[pos++] = ch;
    }
    buf[pos] = '\0';
    if (disambiguate) {
        snprintf(buf + pos, buflen - pos, "_%zu", idx);
        pos = strlen(buf);
    }
    snprintf(buf + pos, buflen - pos, "_%s", family == AF_INET ? "v4" : "v6");
}

/* Does the sanitized name of entry i collide with an earlier entry's? */
static bool export_nft_collides(const ld_config *c, size_t i)
{
    char a[EXPORT_NFT_NAME_MAX + 32];
    char b[EXPORT_NFT_NAME_MAX + 32];
    size_t k;

    export_nft_name(&c->entries[i], i, AF_INET, false, a, sizeof(a));
    for (k = 0; k < c->nentries; k++) {
        if (k == i || !export_entry_included(&c->entries[k])) {
            continue;
        }
        export_nft_name(&c->entries[k], k, AF_INET, false, b, sizeof(b));
        if (strcmp(a, b) == 0) {
            return true;
        }
    }
    return false;
}

static bool export_entry_has_family(const ld_entry *e, uint8_t family)
{
    size_t j;

    for (j = 0; j < e->nranges; j++) {
        if (e->ranges[j].family == family) {
            return true;
        }
    }
    return false;
}

static void export_nft_set(export_ctx *x,
                           const export_items *it,
                           size_t entry,
                           uint8_t family,
                           const char *name)
{
    const ld_entry *e = &x->c->entries[entry];
    char buf[LD_ADDRSTRLEN + 8];
    FILE *out = x->out;
    bool first = true;
    size_t i;

    fputs("\t# ", out);
    export_entry_label(out, e);
    fputc('\n', out);
    fprintf(out,
            "\tset %s {\n"
            "\t\ttype %s\n"
            "\t\tflags interval\n"
            "\t\tauto-merge\n"
            "\t\telements = {",
            name,
            family == AF_INET ? "ipv4_addr" : "ipv6_addr");
    for (i = 0; i < it->n; i++) {
        const export_item *p = &it->v[i];

        if (p->entry != entry || p->p.addr.family != family) {
            continue;
        }
        fprintf(out,
                "%s\n\t\t\t%s",
                first ? "" : ",",
                export_prefix_text(&p->p, buf, sizeof(buf)));
        first = false;
    }
    fputs("\n\t\t}\n\t}\n", out);
}

static int export_nftables(export_ctx *x)
{
    const ld_config *c = x->c;
    export_items it = {NULL, 0, 0};
    char name[EXPORT_NFT_NAME_MAX + 32];
    FILE *out = x->out;
    size_t i;
    int fam;
    int rc = 0;

    rc = export_ports_require(x);
    if (rc != 0) {
        goto out;
    }
    rc = export_collect(x, &it);
    if (rc != 0) {
        goto out;
    }
    export_header(x,
                  "lockdown-milter: nftables ruleset (table inet "
                  "lockdown)");
    fputs("# Load atomically, first time and every time: nft -f FILE\n"
          "# (the empty declaration makes the delete work when the table "
          "does not exist yet).\n"
          "# TCP to the locked ports is accepted from the sets below and "
          "dropped otherwise;\n"
          "# everything else is left to your other tables. A drop here is "
          "final, an accept\n"
          "# only ends this table: other tables still see the packet.\n"
          "# Locked ports here: ",
          out);
    export_ports_list(x, ", ");
    fputs(x->o->ports != NULL ? " (from --ports)\n#\n" : "\n#\n", out);
    fputs("table inet lockdown\n"
          "delete table inet lockdown\n"
          "table inet lockdown {\n",
          out);
    for (i = 0; i < c->nentries; i++) {
        const ld_entry *e = &c->entries[i];
        bool dis;

        if (!export_entry_included(e)) {
            continue;
        }
        dis = export_nft_collides(c, i);
        for (fam = 0; fam < 2; fam++) {
            uint8_t family = fam == 0 ? AF_INET : AF_INET6;

            if (!export_entry_has_family(e, family)) {
                continue;
            }
            export_nft_name(e, i, family, dis, name, sizeof(name));
            export_nft_set(x, &it, i, family, name);
        }
    }
    fputs("\tchain input {\n"
          "\t\ttype filter hook input priority filter; policy accept;\n"
          "\t\ttcp dport { ",
          out);
    export_ports_list(x, ", ");
    fputs(" } jump check\n\t}\n\tchain check {\n", out);
    for (i = 0; i < c->nentries; i++) {
        const ld_entry *e = &c->entries[i];
        bool dis;

        if (!export_entry_included(e)) {
            continue;
        }
        dis = export_nft_collides(c, i);
        for (fam = 0; fam < 2; fam++) {
            uint8_t family = fam == 0 ? AF_INET : AF_INET6;

            if (!export_entry_has_family(e, family)) {
                continue;
            }
            export_nft_name(e, i, family, dis, name, sizeof(name));
            fprintf(out,
                    "\t\t%s saddr @%s accept\n",
                    family == AF_INET ? "ip" : "ip6",
                    name);
        }
    }
    fputs("\t\tcounter drop\n\t}\n}\n", out);
out:
    free(it.v);
    return rc;
}

/* ---- iptables ---- */

static int export_iptables(export_ctx *x)
{
    const ld_config *c = x->c;
    export_items it = {NULL, 0, 0};
    uint8_t family = x->o->family == AF_INET6 ? AF_INET6 : AF_INET;
    const char *cmd = family == AF_INET ? "iptables" : "ip6tables";
    char buf[LD_ADDRSTRLEN + 8];
    FILE *out = x->out;
    size_t last = SIZE_MAX;
    size_t i;
    size_t k;
    int rc = 0;

    if (x->o->family != 0 && x->o->family != AF_INET &&
        x->o->family != AF_INET6) {
        rc = export_fail(x,
                         LD_EXPORT_ERR_USAGE,
                         "export iptables: family must be IPv4 or IPv6");
        goto out;
    }
    rc = export_ports_require(x);
    if (rc != 0) {
        goto out;
    }
    rc = export_collect(x, &it);
    if (rc != 0) {
        goto out;
    }
    export_header(x,
                  family == AF_INET
                      ? "lockdown-milter: iptables-restore input (IPv4)"
                      : "lockdown-milter: ip6tables-restore input (IPv6)");
    fprintf(out,
            "# IPv4 and IPv6 are separate: export iptables --family 4 | "
            "iptables-restore --noflush,\n"
            "# export iptables --family 6 | ip6tables-restore --noflush.\n"
            "# --noflush keeps your other rules; declaring the two chains "
            "empties them, so\n"
            "# loading again replaces the lists atomically. Hook them into "
            "INPUT once:\n"
            "#   %s -C INPUT -p tcp -j " IPT_CHAIN_HOOK " 2>/dev/null ||\n"
            "#       %s -I INPUT -p tcp -j " IPT_CHAIN_HOOK "\n"
            "# Listed clients RETURN (your later INPUT rules still apply, "
            "as with nftables,\n"
            "# where an accept in one table does not bypass the others); the "
            "rest is dropped.\n"
            "# Locked ports here: ",
            cmd,
            cmd);
    export_ports_list(x, ", ");
    fputs(x->o->ports != NULL ? " (from --ports)\n#\n" : "\n#\n", out);
    fputs("*filter\n"
          ":" IPT_CHAIN_HOOK " - [0:0]\n"
          ":" IPT_CHAIN_ALLOW " - [0:0]\n",
          out);
    for (k = 0; k < x->nports; k += EXPORT_MULTIPORT_MAX) {
        size_t m;

        fputs("-A " IPT_CHAIN_HOOK " -p tcp -m multiport --dports ", out);
        for (m = k; m < x->nports && m < k + EXPORT_MULTIPORT_MAX; m++) {
            fprintf(out, "%s%u", m > k ? "," : "", (unsigned)x->ports[m]);
        }
        fputs(" -j " IPT_CHAIN_ALLOW "\n", out);
    }
    for (i = 0; i < it.n; i++) {
        const export_item *e = &it.v[i];

        if (e->p.addr.family != family) {
            continue;
        }
        if (e->entry != last) {
            fputs("# ", out);
            export_entry_label(out, &c->entries[e->entry]);
            fputc('\n', out);
            last = e->entry;
        }
        fprintf(out,
                "-A " IPT_CHAIN_ALLOW " -s %s -j RETURN\n",
                prefix_format(&e->p, buf, sizeof(buf)));
    }
    fputs("# Everyone else.\n"
          "-A " IPT_CHAIN_ALLOW " -j DROP\n"
          "COMMIT\n",
          out);
out:
    free(it.v);
    return rc;
}

/* ---- Exchange ---- */

typedef struct export_first_arg {
    ld_prefix p;
    int n;
} export_first_arg;

static int export_first_cb(const ld_prefix *p, void *arg)
{
    export_first_arg *a = arg;

    a->p = *p;
    a->n++;
    return a->n > 1 ? 1 : 0;
}

const char *export_exchange_range(const ld_range *r, char *buf, size_t buflen)
{
    export_first_arg a;
    ld_addr lo;
    ld_addr hi;
    char l[LD_ADDRSTRLEN];
    char h[LD_ADDRSTRLEN];

    if (buf == NULL || buflen == 0) {
        return "";
    }
    memset(&a, 0, sizeof(a));
    if (r == NULL || (r->family != AF_INET && r->family != AF_INET6)) {
        snprintf(buf, buflen, "?");
        return buf;
    }
    range_to_prefixes(r, export_first_cb, &a);
    if (a.n == 1) {
        return export_prefix_text(&a.p, buf, buflen);
    }
    memset(&lo, 0, sizeof(lo));
    memset(&hi, 0, sizeof(hi));
    lo.family = r->family;
    hi.family = r->family;
    memcpy(lo.bytes, r->lo, sizeof(lo.bytes));
    memcpy(hi.bytes, r->hi, sizeof(hi.bytes));
    snprintf(buf,
             buflen,
             "%s-%s",
             addr_format(&lo, l, sizeof(l)),
             addr_format(&hi, h, sizeof(h)));
    return buf;
}

/* PowerShell single-quoted strings take everything literally but quotes;
 * Unicode quotes count as quotes too, so only printable ASCII is let in. */
static int export_ps_check(export_ctx *x, const char *what, const char *s)
{
    const unsigned char *p = (const unsigned char *)s;

    for (; *p != '\0'; p++) {
        if (*p < 0x20 || *p >= 0x7f) {
            return export_fail(x,
                               LD_EXPORT_ERR_USAGE,
                               "export exchange: %s: only printable ASCII "
                               "is accepted",
                               what);
        }
    }
    if (s[0] == '\0') {
        return export_fail(
            x, LD_EXPORT_ERR_USAGE, "export exchange: %s is empty", what);
    }
    return 0;
}

/* Inside single quotes: a quote is written twice. */
static void export_ps_raw(FILE *out, const char *s)
{
    for (; *s != '\0'; s++) {
        if (*s == '\'') {
            fputc('\'', out);
        }
        fputc(*s, out);
    }
}

typedef struct export_xrange {
    char text[2 * LD_ADDRSTRLEN + 8];
    size_t order; /* position in the output */
    bool dup;     /* an earlier range has the same text */
} export_xrange;

static int export_xrange_cmp(const void *pa, const void *pb)
{
    const export_xrange *a = pa;
    const export_xrange *b = pb;
    int r = strcmp(a->text, b->text);

    if (r != 0) {
        return r;
    }
    return a->order < b->order ? -1 : (a->order > b->order);
}

static int export_xrange_order_cmp(const void *pa, const void *pb)
{
    const export_xrange *a = pa;
    const export_xrange *b = pb;

    return a->order < b->order ? -1 : (a->order > b->order);
}

static int export_exchange(export_ctx *x)
{
    const ld_config *c = x->c;
    export_xrange *xr = NULL;
    size_t total = 0;
    size_t n = 0;
    FILE *out = x->out;
    size_t i;
    size_t j;
    int rc = 0;

    if (x->o->identity != NULL) {
        rc = export_ps_check(x, "--identity", x->o->identity);
    } else if (x->o->server != NULL) {
        rc = export_ps_check(x, "--server", x->o->server);
    }
    if (rc != 0) {
        goto out;
    }
    for (i = 0; i < c->nentries; i++) {
        if (export_entry_included(&c->entries[i])) {
            total += c->entries[i].nranges;
        }
    }
    if (total == 0) {
        rc = export_fail(x,
                         LD_EXPORT_ERR_CONFIG,
                         "export exchange: no enabled profile or trusted "
                         "entry has a range, and RemoteIPRanges cannot be "
                         "empty");
        goto out;
    }
    xr = calloc(total, sizeof(*xr));
    if (xr == NULL) {
        rc = export_fail(x, LD_EXPORT_ERR_NOMEM, "export: out of memory");
        goto out;
    }
    for (i = 0; i < c->nentries; i++) {
        const ld_entry *e = &c->entries[i];

        if (!export_entry_included(e)) {
            continue;
        }
        for (j = 0; j < e->nranges; j++) {
            export_exchange_range(
                &e->ranges[j], xr[n].text, sizeof(xr[n].text));
            xr[n].order = n;
            n++;
        }
    }
    /* Exchange refuses a value twice in the list: keep the first. */
    qsort(xr, n, sizeof(xr[0]), export_xrange_cmp);
    for (i = 1; i < n; i++) {
        xr[i].dup = strcmp(xr[i].text, xr[i - 1].text) == 0;
    }
    qsort(xr, n, sizeof(xr[0]), export_xrange_order_cmp);

    export_header(x,
                  "lockdown-milter: Exchange receive connector "
                  "(PowerShell, Exchange Management Shell)");
    fputs("# Run in the Exchange Management Shell. -RemoteIPRanges "
          "replaces the connector's\n"
          "# whole list. Exchange hands each connection to the connector "
          "on that address\n"
          "# and port whose RemoteIPRanges match the client most "
          "specifically, and refuses\n"
          "# clients no connector matches: check that no other connector "
          "bound to port 25\n"
          "# still covers 0.0.0.0-255.255.255.255 or ::-ffff:ffff:ffff:"
          "ffff:ffff:ffff:ffff:ffff:\n"
          "#   Get-ReceiveConnector | Format-List Identity,Bindings,"
          "RemoteIPRanges\n",
          out);
    if (x->o->identity == NULL && x->o->server == NULL) {
        fputs("# The identity defaults to this server's Default Frontend "
              "connector; name\n"
              "# another with lockdownctl export exchange --server NAME or "
              "--identity ID.\n",
              out);
    }
    fputs("#\n$ErrorActionPreference = 'Stop'\n$RemoteIPRanges = @(\n", out);
    n = 0;
    for (i = 0; i < c->nentries; i++) {
        const ld_entry *e = &c->entries[i];

        if (!export_entry_included(e)) {
            continue;
        }
        if (e->nranges > 0) {
            fputs("    # ", out);
            export_entry_label(out, e);
            fputc('\n', out);
        }
        for (j = 0; j < e->nranges; j++, n++) {
            if (xr[n].dup) {
                fprintf(out, "    # %s: listed above\n", xr[n].text);
            } else {
                fprintf(out, "    '%s'\n", xr[n].text);
            }
        }
    }
    fputs(")\nSet-ReceiveConnector -Identity ", out);
    if (x->o->identity != NULL) {
        fputc('\'', out);
        export_ps_raw(out, x->o->identity);
        fputc('\'', out);
    } else if (x->o->server != NULL) {
        fputc('\'', out);
        export_ps_raw(out, x->o->server);
        fputs("\\Default Frontend ", out);
        export_ps_raw(out, x->o->server);
        fputc('\'', out);
    } else {
        fputs("\"$env:COMPUTERNAME\\Default Frontend $env:COMPUTERNAME\"", out);
    }
    fputs(" -RemoteIPRanges $RemoteIPRanges\n", out);
out:
    free(xr);
    return rc;
}

/* ---- entry points ---- */

int export_write(FILE *out,
                 const ld_config *c,
                 enum ld_export_format f,
                 const ld_export_opts *o,
                 char *err,
                 size_t errlen)
{
    static const ld_export_opts defaults;
    export_ctx *x = NULL;
    int rc = 0;

    if (err != NULL && errlen > 0) {
        err[0] = '\0';
    }
    if (out == NULL || c == NULL || (unsigned)f >= LD_EXPORT_NFORMATS) {
        if (err != NULL && errlen > 0) {
            snprintf(err, errlen, "export: no output, config or format");
        }
        return LD_EXPORT_ERR_USAGE;
    }
    /* The port array makes the context too big for the stack of a
     * thread; it lives on the heap. */
    x = calloc(1, sizeof(*x));
    if (x == NULL) {
        if (err != NULL && errlen > 0) {
            snprintf(err, errlen, "export: out of memory");
        }
        return LD_EXPORT_ERR_NOMEM;
    }
    x->out = out;
    x->c = c;
    x->o = o != NULL ? o : &defaults;
    x->f = f;
    x->err = err;
    x->errlen = errlen;
    rc = export_ports_init(x);
    if (rc != 0) {
        goto out;
    }
    switch (f) {
    case LD_EXPORT_POSTFIX_CLIENT:
        rc = export_postfix(x, false);
        break;
    case LD_EXPORT_POSTFIX_RELAY:
        rc = export_postfix(x, true);
        break;
    case LD_EXPORT_SENDMAIL_ACCESS:
        rc = export_sendmail(x);
        break;
    case LD_EXPORT_NFTABLES:
        rc = export_nftables(x);
        break;
    case LD_EXPORT_IPTABLES:
        rc = export_iptables(x);
        break;
    case LD_EXPORT_EXCHANGE:
        rc = export_exchange(x);
        break;
    default:
        rc = export_fail(x, LD_EXPORT_ERR_USAGE, "export: unknown format");
        break;
    }
    if (rc == 0 && (fflush(out) != 0 || ferror(out))) {
        rc = export_fail(
            x, LD_EXPORT_ERR_IO, "export: write error: %s", strerror(errno));
    }
out:
    free(x);
    return rc;
}

char *export_string(const ld_config *c,
                    enum ld_export_format f,
                    const ld_export_opts *o,
                    size_t *len,
                    int *rc,
                    char *err,
                    size_t errlen)
{
    FILE *mem = NULL;
    char *buf = NULL;
    size_t n = 0;
    int r = 0;

    mem = open_memstream(&buf, &n);
    if (mem == NULL) {
        r = LD_EXPORT_ERR_NOMEM;
        if (err != NULL && errlen > 0) {
            snprintf(err, errlen, "export: out of memory");
        }
        goto out;
    }
    r = export_write(mem, c, f, o, err, errlen);
    if (fclose(mem) != 0 && r == 0) {
        r = LD_EXPORT_ERR_NOMEM;
        if (err != NULL && errlen > 0) {
            snprintf(err, errlen, "export: out of memory");
        }
    }
    mem = NULL;
    if (r != 0) {
        free(buf);
        buf = NULL;
        n = 0;
    }
out:
    if (rc != NULL) {
        *rc = r;
    }
    if (len != NULL) {
        *len = n;
    }
    return buf;
}
