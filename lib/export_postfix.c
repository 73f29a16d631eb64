/*
 * export_postfix.c - Postfix cidr tables for check_client_access (who may
 * connect) and smtpd_relay_restrictions (who may relay). cidr tables are
 * first-match: lines go most specific first, equal prefixes lowest entry
 * first (the addrset tie rule), which is longest-prefix matching.
 *
 * With scope.domains the lockdown moves to RCPT, as Postfix's
 * RESTRICTION_CLASS_README does it: check_recipient_access maps each
 * locked domain to the class lockdown_locked, which runs the client table.
 * The recipient table is regexp, not hash: a hash key "example.com" also
 * matches sub.example.com (parent_domain_matches_subdomains lists
 * smtpd_access_maps by default), and for the milter a subdomain is another
 * domain. regexp sees the whole address, case-insensitively.
 */
#include "export_impl.h"

#include <stdbool.h>
#include <stdlib.h>

#define POSTFIX_CLIENT_TABLE "/etc/postfix/lockdown-client.cidr"
#define POSTFIX_RELAY_TABLE "/etc/postfix/lockdown-relay.cidr"
#define POSTFIX_DOMAINS_TABLE "/etc/postfix/lockdown-domains.regexp"
#define POSTFIX_CLASS "lockdown_locked"

/* After "only port": "s 25, 587 are" or " 25 is". */
static void postfix_only_ports(export_ctx *x)
{
    fputs(x->ncports > 1 ? "s " : " ", x->out);
    export_cports_list(x, ", ");
    fputs(x->ncports > 1 ? " are" : " is", x->out);
}

/* The main.cf / master.cf lines of the restriction class, shared by the
 * two tables it needs. */
static void export_postfix_class_usage(export_ctx *x)
{
    const ld_config *c = x->c;
    FILE *out = x->out;

    fputs("# scope.domains is set: only an outsider's mail to the locked "
          "domains is\n"
          "# refused, at RCPT, by a restriction class. Two tables, both "
          "read as text\n"
          "# (no postmap; \"postfix reload\" after a change):\n"
          "#   lockdownctl export postfix-client  > " POSTFIX_CLIENT_TABLE "\n"
          "#   lockdownctl export postfix-domains > " POSTFIX_DOMAINS_TABLE "\n"
          "# In main.cf:\n"
          "#   smtpd_restriction_classes = " POSTFIX_CLASS "\n"
          "#   " POSTFIX_CLASS " = ",
          out);
    if (c->refuse_at == LD_REFUSE_MAIL) {
        fputs("permit_sasl_authenticated,\n#       ", out);
    }
    fputs("check_client_access cidr:" POSTFIX_CLIENT_TABLE "\n", out);
    if (x->ncports == 0) {
        fputs("# and first in smtpd_recipient_restrictions (every port is "
              "locked):\n"
              "#   smtpd_recipient_restrictions =\n"
              "#       check_recipient_access regexp:" POSTFIX_DOMAINS_TABLE
              ",\n"
              "#       (your other recipient restrictions)\n",
              out);
    } else {
        fputs("# and, since only port", out);
        postfix_only_ports(x);
        fputs(" locked, first in smtpd_recipient_restrictions\n"
              "# of each locked port's smtpd service in master.cf (port 25 "
              "is \"smtp inet\"):\n"
              "#   smtp      inet  n       -       y       -       -       "
              "smtpd\n"
              "#     -o smtpd_recipient_restrictions=check_recipient_access,"
              "regexp:" POSTFIX_DOMAINS_TABLE "\n"
              "# followed by your other recipient restrictions, if any "
              "(comma separated).\n",
              out);
    }
    fputs("# The class decides nothing for listed clients (DUNNO: the rest "
          "of\n"
          "# smtpd_recipient_restrictions still runs) and refuses everyone "
          "else with the\n"
          "# milter's reply. Put no permit before check_recipient_access: "
          "it would skip it.\n",
          out);
    if (c->refuse_at == LD_REFUSE_MAIL) {
        fputs("# refuse.at is mail: permit_sasl_authenticated in the class "
              "lets authenticated\n"
              "# clients through; for them it also ends "
              "smtpd_recipient_restrictions.\n",
              out);
    }
    fputs("#\n", out);
}

static void export_postfix_usage(export_ctx *x, bool relay)
{
    const ld_config *c = x->c;
    FILE *out = x->out;

    if (!relay && export_scoped(x)) {
        export_postfix_class_usage(x);
        return;
    }
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
        postfix_only_ports(x);
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
    /* In the class, OK would end smtpd_recipient_restrictions (a permit
     * for every later check); DUNNO lets them run. */
    const char *listed = export_scoped(x) ? "DUNNO" : "OK";
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
                  : export_scoped(x)
                      ? "lockdown-milter: Postfix cidr table for the "
                        "restriction class " POSTFIX_CLASS
                        " (who may send to the locked domains)"
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
                relay ? (en->relay ? "OK" : "DUNNO") : listed);
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

/* A domain as a regexp: only letters, digits, '-' and '.' reach here
 * (config.c checks), and '.' is the only one to escape. */
static int export_postfix_domain_pattern(export_ctx *x, const char *d)
{
    const char *p;

    for (p = d; *p != '\0'; p++) {
        if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
              *p == '-' || *p == '.')) {
            return export_fail(x,
                               LD_EXPORT_ERR_CONFIG,
                               "export %s: scope.domains entry is not a "
                               "lower-case domain name",
                               export_format_name(x->f));
        }
    }
    fputs("/@", x->out);
    for (p = d; *p != '\0'; p++) {
        if (*p == '.') {
            fputc('\\', x->out);
        }
        fputc(*p, x->out);
    }
    /* One trailing dot, as the milter ignores it. */
    fputs("\\.?$/\t" POSTFIX_CLASS "\n", x->out);
    return 0;
}

int export_postfix_domains(export_ctx *x)
{
    const ld_config *c = x->c;
    FILE *out = x->out;
    size_t i;
    int rc = 0;

    for (i = 0; i < c->nscope_domains; i++) {
        if (export_has_control(c->scope_domains[i])) {
            return export_fail(x,
                               LD_EXPORT_ERR_CONFIG,
                               "export %s: scope.domains entry contains a "
                               "control character",
                               export_format_name(x->f));
        }
    }
    export_header(x,
                  "lockdown-milter: Postfix regexp table for "
                  "check_recipient_access (the locked domains)");
    export_postfix_class_usage(x);
    fputs("# regexp, not hash: a hash key example.com would also match "
          "sub.example.com\n"
          "# (parent_domain_matches_subdomains), but for the milter a "
          "subdomain is another\n"
          "# domain. Each pattern matches the whole address, any case; "
          "other recipients\n"
          "# match nothing and pass.\n",
          out);
    for (i = 0; i < c->nscope_domains; i++) {
        rc = export_postfix_domain_pattern(x, c->scope_domains[i]);
        if (rc != 0) {
            return rc;
        }
    }
    return 0;
}
