/*
 * cmd_list.c - lockdownctl list: the settings that decide, then every
 * provider profile (enabled or not) and trusted entry with its ranges as
 * written in the YAML, so an admin can compare them with the guides.
 */
#include <stdio.h>
#include <sysexits.h>

#include "ctl.h"

static const char *list_mode_name(enum ld_mode m)
{
    return m == LD_MODE_MONITOR ? "monitor" : "enforce";
}

static const char *list_unknown_name(enum ld_unknown u)
{
    switch (u) {
    case LD_UNKNOWN_REJECT:
        return "reject";
    case LD_UNKNOWN_ACCEPT:
        return "accept";
    case LD_UNKNOWN_TEMPFAIL:
        break;
    }
    return "tempfail";
}

static void list_reply(const char *label, const ld_reply *r)
{
    printf("%s%s%s%s %s\n",
           label,
           r->rcode,
           r->xcode[0] != '\0' ? " " : "",
           r->xcode,
           r->text != NULL ? r->text : "");
}

static void list_settings(const ld_config *c)
{
    size_t i;

    printf("config %s\n", c->path != NULL ? c->path : "-");
    printf("mode %s\n", list_mode_name(c->mode));
    printf("ports");
    if (c->nports == 0) {
        printf(" all");
    }
    for (i = 0; i < c->nports; i++) {
        printf(" %u", (unsigned)c->ports[i]);
    }
    printf("\nrefuse-at %s\n",
           c->refuse_at == LD_REFUSE_MAIL ? "mail" : "connect");
    list_reply("refuse-reply ", &c->refuse_reply);
    printf("unknown-client %s\n", list_unknown_name(c->unknown_client));
    printf("local-domains");
    if (c->nlocal_domains == 0) {
        printf(" none (relaying is not judged)");
    }
    for (i = 0; i < c->nlocal_domains; i++) {
        printf(" %s", c->local_domains[i]);
    }
    printf("\nrelay-authenticated %s\n", c->relay_authenticated ? "yes" : "no");
    list_reply("relay-reply ", &c->relay_reply);
}

static void list_entry(const ld_config *c, const ld_entry *e)
{
    size_t i;

    printf("\n%s %s %s relay %s mode %s (%s)\n",
           e->kind == LD_ENTRY_PROVIDER ? "profile" : "trusted",
           e->name != NULL ? e->name : "-",
           e->enabled ? "enabled" : "disabled",
           e->relay ? "yes" : "no",
           list_mode_name(config_entry_mode(c, e)),
           e->has_mode ? "own" : "global");
    if (e->display != NULL) {
        printf("    name    %s\n", e->display);
    }
    if (e->source != NULL) {
        printf("    source  %s\n", e->source);
    }
    if (e->mark.file != NULL) {
        printf(
            "    defined %s:%u:%u\n", e->mark.file, e->mark.line, e->mark.col);
    }
    for (i = 0; i < e->nranges; i++) {
        printf("    range   %s\n",
               e->range_text != NULL && e->range_text[i] != NULL
                   ? e->range_text[i]
                   : "?");
    }
}

int cmd_list(const ctl_opts *o, int argc, char **argv)
{
    ld_config *c = NULL;
    size_t i;
    int rc = EX_SOFTWARE;

    rc = ctl_config_load_noargs(o, argc, argv, &c);
    if (rc != EX_OK) {
        goto out;
    }
    list_settings(c);
    for (i = 0; i < c->nentries; i++) {
        list_entry(c, &c->entries[i]);
    }
    rc = ctl_stdout_flush();
out:
    if (c != NULL) {
        config_free(c);
    }
    return rc;
}
