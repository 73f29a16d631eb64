/*
 * export_sendmail.c - the Sendmail access db source. Sendmail looks up
 * the client address, then strips the last octet (IPv6: 16-bit group) and
 * looks again: keys exist only on those boundaries, most specific first. A
 * prefix becomes every boundary key it covers; a key claimed by two
 * prefixes goes to the longer one.
 */
#include "export_impl.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

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

int export_sendmail(export_ctx *x)
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

    rc = export_prepare(x, &it, EXPORT_NEED_REPLY);
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
