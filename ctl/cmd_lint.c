/*
 * cmd_lint.c - lockdownctl lint: load and validate, as the daemon would at
 * start or reload, and say so. Errors and warnings go to stderr (from
 * ctl_config_load), the summary to stdout.
 */
#include <stdio.h>
#include <sysexits.h>

#include "ctl.h"

int cmd_lint(const ctl_opts *o, int argc, char **argv)
{
    ld_config *c = NULL;
    size_t i;
    size_t enabled = 0;
    size_t ranges = 0;
    int rc = EX_SOFTWARE;

    rc = ctl_config_load_noargs(o, argc, argv, &c);
    if (rc != EX_OK) {
        goto out;
    }
    for (i = 0; i < c->nentries; i++) {
        if (c->entries[i].kind == LD_ENTRY_PROVIDER && c->entries[i].enabled) {
            enabled++;
        }
        if (c->entries[i].enabled) {
            ranges += c->entries[i].nranges;
        }
    }
    printf("%s: ok: %zu profiles (%zu enabled), %zu trusted entries, "
           "%zu allowed ranges, %zu warnings\n",
           o->config_path,
           c->nproviders,
           enabled,
           c->nentries - c->nproviders,
           ranges,
           c->nwarnings);
    rc = ctl_stdout_flush();
out:
    if (c != NULL) {
        config_free(c);
    }
    return rc;
}
