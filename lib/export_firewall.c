/*
 * export_firewall.c - nftables and iptables rulesets for the locked ports.
 * Firewalls only accept or drop, and every included entry accepts, so a
 * plain union of the prefixes is exact.
 */
#include "export_impl.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

/* Longest nft set name we build (the kernel allows 255). */
#define EXPORT_NFT_NAME_MAX 64
/* iptables multiport takes at most 15 ports per rule. */
#define EXPORT_MULTIPORT_MAX 15

#define IPT_CHAIN_HOOK "lockdown-input"
#define IPT_CHAIN_ALLOW "lockdown-allow"

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

/*
 * The sets (declare) or the chain's accept rules: one per included entry
 * and family it has, under the same name in both places.
 */
static void export_nft_each(export_ctx *x, const export_items *it, bool declare)
{
    const ld_config *c = x->c;
    char name[EXPORT_NFT_NAME_MAX + 32];
    size_t i;
    int fam;

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
            if (declare) {
                export_nft_set(x, it, i, family, name);
            } else {
                fprintf(x->out,
                        "\t\t%s saddr @%s accept\n",
                        family == AF_INET ? "ip" : "ip6",
                        name);
            }
        }
    }
}

int export_nftables(export_ctx *x)
{
    export_items it = {NULL, 0, 0};
    FILE *out = x->out;
    int rc = 0;

    rc = export_prepare(x, &it, EXPORT_NEED_PORTS);
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
    export_nft_each(x, &it, true);
    fputs("\tchain input {\n"
          "\t\ttype filter hook input priority filter; policy accept;\n"
          "\t\ttcp dport { ",
          out);
    export_ports_list(x, ", ");
    fputs(" } jump check\n\t}\n\tchain check {\n", out);
    export_nft_each(x, &it, false);
    fputs("\t\tcounter drop\n\t}\n}\n", out);
out:
    free(it.v);
    return rc;
}

/* ---- iptables ---- */

int export_iptables(export_ctx *x)
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
    rc = export_prepare(x, &it, EXPORT_NEED_PORTS);
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
