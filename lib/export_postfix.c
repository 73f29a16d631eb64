/*
 * export_postfix.c - Postfix cidr tables for check_client_access (who may
 * connect) and smtpd_relay_restrictions (who may relay). cidr tables are
 * first-match: lines go most specific first, equal prefixes lowest entry
 * first (the addrset tie rule), which is longest-prefix matching.
 */
#include "export_impl.h"

#include <stdbool.h>
#include <stdlib.h>

#define POSTFIX_CLIENT_TABLE "/etc/postfix/lockdown-client.cidr"
#define POSTFIX_RELAY_TABLE "/etc/postfix/lockdown-relay.cidr"

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

    rc = export_prepare(x, &it, EXPORT_NEED_REPLY);
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

int export_postfix_client(export_ctx *x)
{
    return export_postfix(x, false);
}

int export_postfix_relay(export_ctx *x)
{
    return export_postfix(x, true);
}
