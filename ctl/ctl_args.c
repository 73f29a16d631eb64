/*
 * ctl_args.c - the argument loop every lockdownctl command with long
 * options shares, so "unknown option", "needs a value" and "extra
 * argument" read the same whichever command says them.
 */
#include <stdio.h>
#include <string.h>

#include "ctl.h"

/* "--name value" or "--name=value"; NULL with *matched when it lacks one. */
static const char *
ctl_args_value(int argc, char **argv, int *i, const char *name, bool *matched)
{
    const char *a = argv[*i] + 2;
    size_t n = strlen(name);

    *matched = false;
    if (strncmp(a, name, n) != 0 || (a[n] != '\0' && a[n] != '=')) {
        return NULL;
    }
    *matched = true;
    if (a[n] == '=') {
        return a + n + 1;
    }
    if (*i + 1 >= argc) {
        return NULL;
    }
    (*i)++;
    return argv[*i];
}

int ctl_args_parse(const ctl_args_spec *s,
                   int argc,
                   char **argv,
                   const char **positional,
                   void *ctx)
{
    bool positional_only = false;
    int i;
    size_t k;

    for (i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *val = NULL;
        bool matched = false;

        if (s->dashdash && !positional_only && strcmp(a, "--") == 0) {
            positional_only = true;
            continue;
        }
        /* "-" is a name (stdin), not an option. */
        if (positional_only || a[0] != '-' || a[1] == '\0') {
            if (*positional != NULL) {
                fprintf(stderr,
                        "lockdownctl: %s: extra argument \"%s\"\n",
                        s->cmd,
                        a);
                return -1;
            }
            *positional = a;
            continue;
        }
        if (a[1] != '-') {
            fprintf(
                stderr, "lockdownctl: %s: unknown option \"%s\"\n", s->cmd, a);
            return -1;
        }
        for (k = 0; k < s->nnames; k++) {
            val = ctl_args_value(argc, argv, &i, s->names[k], &matched);
            if (matched) {
                break;
            }
        }
        if (!matched) {
            fprintf(
                stderr, "lockdownctl: %s: unknown option \"%s\"\n", s->cmd, a);
            return -1;
        }
        if (val == NULL) {
            fprintf(stderr,
                    "lockdownctl: %s: --%s needs a value\n",
                    s->cmd,
                    s->names[k]);
            return -1;
        }
        if (s->set(ctx, k, val) != 0) {
            return -1;
        }
    }
    return 0;
}
