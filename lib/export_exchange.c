/*
 * export_exchange.c - a PowerShell script setting an Exchange receive
 * connector's RemoteIPRanges.
 */
#include "export_impl.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

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

int export_exchange(export_ctx *x)
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
