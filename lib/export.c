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
#include "export_impl.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

/* Ranges listed per entry in the header before "and N more". */
#define EXPORT_HEADER_RANGES 8

/* Domains listed in the header before "and N more". */
#define EXPORT_HEADER_DOMAINS 8

/* What a format does with scope.domains (mail to some domains locked). */
enum export_scope {
    EXPORT_SCOPE_SAME,   /* unaffected: the relay policy does not change */
    EXPORT_SCOPE_CLASS,  /* expresses it (a Postfix restriction class) */
    EXPORT_SCOPE_NEEDS,  /* exists only for it: the domain table */
    EXPORT_SCOPE_CANNOT, /* sees no recipient: refused, or all_domains */
};

/* Indexed by enum ld_export_format. */
static const struct {
    const char *name;
    export_writer write;
    enum export_scope scope;
} export_formats[LD_EXPORT_NFORMATS] = {
    {"postfix-client", export_postfix_client, EXPORT_SCOPE_CLASS},
    {"postfix-relay", export_postfix_relay, EXPORT_SCOPE_SAME},
    {"sendmail-access", export_sendmail, EXPORT_SCOPE_CANNOT},
    {"nftables", export_nftables, EXPORT_SCOPE_CANNOT},
    {"iptables", export_iptables, EXPORT_SCOPE_CANNOT},
    {"exchange", export_exchange, EXPORT_SCOPE_CANNOT},
    {"postfix-domains", export_postfix_domains, EXPORT_SCOPE_NEEDS},
};

int export_fail(export_ctx *x, int rc, const char *fmt, ...)
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
        if (strcmp(name, export_formats[i].name) == 0) {
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
    return export_formats[f].name;
}

bool export_entry_included(const ld_entry *e)
{
    return e->kind == LD_ENTRY_TRUSTED || e->enabled;
}

unsigned export_width(uint8_t family)
{
    return family == AF_INET ? 32 : 128;
}

/*
 * Config text (names, ranges as written, the guide's address) goes into
 * comments: a newline in it would end the comment and inject a line into
 * a firewall or MTA table, so control bytes are shown as '?'.
 */
void export_text(FILE *out, const char *s)
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

bool export_has_control(const char *s)
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
void export_entry_label(FILE *out, const ld_entry *e)
{
    fputs(e->kind == LD_ENTRY_PROVIDER ? "provider " : "trusted ", out);
    export_text(out, e->name);
}

const char *export_prefix_text(const ld_prefix *p, char *buf, size_t buflen)
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
int export_collect(export_ctx *x, export_items *it)
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

int export_prepare(export_ctx *x, export_items *it, unsigned need)
{
    int rc = 0;

    if ((need & EXPORT_NEED_REPLY) != 0) {
        rc = export_reply_check(x);
        if (rc != 0) {
            return rc;
        }
    }
    if ((need & EXPORT_NEED_PORTS) != 0) {
        rc = export_ports_require(x);
        if (rc != 0) {
            return rc;
        }
    }
    return export_collect(x, it);
}

/* Family (IPv4 first), longer prefix first, address, lower entry first. */
int export_item_specific_cmp(const void *pa, const void *pb)
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

bool export_scoped(const export_ctx *x)
{
    return x->c->nscope_domains > 0 && !x->o->all_domains;
}

/*
 * Before any writer: a format that cannot see the recipient must not
 * quietly lock every domain (stricter than the milter: mail to the other
 * domains refused) nor none (looser): the admin chooses with all_domains.
 */
static int export_scope_check(export_ctx *x)
{
    const char *name = export_format_name(x->f);

    switch (export_formats[x->f].scope) {
    case EXPORT_SCOPE_CANNOT:
        if (export_scoped(x)) {
            return export_fail(
                x,
                LD_EXPORT_ERR_CONFIG,
                "export %s: scope.domains is set: the milter locks only "
                "mail to those domains, which %s cannot express (it sees "
                "no recipient); pass --all-domains to export as if every "
                "domain were locked (stricter than the milter), or use "
                "postfix-client and postfix-domains",
                name,
                name);
        }
        return 0;
    case EXPORT_SCOPE_NEEDS:
        if (x->o->all_domains) {
            return export_fail(x,
                               LD_EXPORT_ERR_USAGE,
                               "export %s: --all-domains does not apply: "
                               "this table lists the locked domains",
                               name);
        }
        if (x->c->nscope_domains == 0) {
            return export_fail(
                x,
                LD_EXPORT_ERR_CONFIG,
                "export %s: scope.domains is empty: mail to every domain "
                "is locked, which postfix-client alone does in "
                "smtpd_client_restrictions",
                name);
        }
        return 0;
    default:
        return 0;
    }
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

void export_cports_list(export_ctx *x, const char *sep)
{
    size_t i;

    for (i = 0; i < x->ncports; i++) {
        fprintf(x->out, "%s%u", i > 0 ? sep : "", (unsigned)x->cports[i]);
    }
}

void export_ports_list(export_ctx *x, const char *sep)
{
    size_t i;

    for (i = 0; i < x->nports; i++) {
        fprintf(x->out, "%s%u", i > 0 ? sep : "", (unsigned)x->ports[i]);
    }
}

/* A firewall cannot lock "every port": it would cut SSH off too. */
int export_ports_require(export_ctx *x)
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

int export_reply_check(export_ctx *x)
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

void export_reply(export_ctx *x, bool sendmail)
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
    if (x->o->all_domains) {
        fputs(" --all-domains", out);
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

static void export_header_domains(export_ctx *x)
{
    const ld_config *c = x->c;
    FILE *out = x->out;
    size_t i;

    if (c->nscope_domains == 0) {
        return;
    }
    fputs("# Locked recipient domains (scope.domains):", out);
    for (i = 0; i < c->nscope_domains && i < EXPORT_HEADER_DOMAINS; i++) {
        fputs(i > 0 ? ", " : " ", out);
        export_text(out, c->scope_domains[i]);
    }
    if (c->nscope_domains > EXPORT_HEADER_DOMAINS) {
        fprintf(
            out, " and %zu more", c->nscope_domains - EXPORT_HEADER_DOMAINS);
    }
    fputc('\n', out);
    if (x->o->all_domains) {
        fputs("# --all-domains: this output refuses outsiders whatever the "
              "recipient, stricter\n"
              "# than the milter, which refuses them only for the domains "
              "above.\n",
              out);
    } else if (export_formats[x->f].scope == EXPORT_SCOPE_SAME) {
        fputs("# scope.domains does not change who may relay: this table "
              "is the same\n# without it.\n",
              out);
    }
}

/* The drift guard judges a verified host name, which no table here sees. */
static void export_header_hostnames(export_ctx *x)
{
    const ld_config *c = x->c;
    FILE *out = x->out;
    bool any = false;
    size_t i;

    for (i = 0; i < c->nentries; i++) {
        const ld_entry *e = &c->entries[i];

        if (e->kind != LD_ENTRY_PROVIDER || !e->enabled || e->nhostnames == 0) {
            continue;
        }
        fputs(any ? ", " : "# Milter only: the hostnames: of ", out);
        export_text(out, e->name);
        any = true;
    }
    if (any) {
        fputs(". A verified host name of theirs\n"
              "# outside the ranges gets refuse.drift_reply (a 4xx) from the "
              "milter; this output\n"
              "# sees no host names and treats such a client as any "
              "outsider.\n",
              out);
    }
}

/* Certificate identity is judged at MAIL on what the MTA verified, which
 * no table or firewall here sees. */
static void export_header_tls(export_ctx *x)
{
    const ld_config *c = x->c;
    FILE *out = x->out;
    bool any = false;
    bool required = false;
    size_t i;

    for (i = 0; i < c->nentries; i++) {
        const ld_entry *e = &c->entries[i];

        if (e->kind != LD_ENTRY_PROVIDER || !e->enabled || e->ntls_names == 0) {
            continue;
        }
        fputs(any ? ", "
                  : "# Milter only: the certificate identity (tls_names:) of ",
              out);
        export_text(out, e->name);
        required = required || e->tls_required;
        any = true;
    }
    if (!any) {
        return;
    }
    fputs(".\n# The milter accepts their verified client certificates from "
          "any address; this\n"
          "# output sees no certificates and judges by address alone.\n",
          out);
    if (required) {
        fputs("# tls_required: the milter also refuses those ranges without "
              "the certificate;\n"
              "# this output lets the ranges through.\n",
              out);
    }
}

void export_header(export_ctx *x, const char *title)
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
    export_header_domains(x);
    export_header_hostnames(x);
    export_header_tls(x);
    if (export_config_monitored(c)) {
        fputs("# WARNING: the configuration is in monitor mode (globally or "
              "for an enabled\n"
              "# profile): the milter refuses nobody yet, but this output "
              "enforces.\n",
              out);
    }
    fputs("#\n", out);
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
    rc = export_scope_check(x);
    if (rc != 0) {
        goto out;
    }
    rc = export_formats[f].write(x);
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
