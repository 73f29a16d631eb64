/*
 * ctl_load.c - loading the configuration for any lockdownctl command.
 */
#include <stdio.h>
#include <sysexits.h>

#include "addr.h"
#include "ctl.h"

ld_config *ctl_config_load(const ctl_opts *o)
{
    char err[LD_ERRLEN];
    ld_config *c = NULL;
    size_t i;

    err[0] = '\0';
    c = config_load_file(o->config_path, err, sizeof(err));
    if (c == NULL) {
        /* The message starts with file:line:col so editors can jump. */
        fprintf(stderr,
                "%s\n",
                err[0] != '\0' ? err : "configuration failed to load");
        return NULL;
    }
    for (i = 0; i < c->nwarnings; i++) {
        fprintf(stderr, "%s\n", c->warnings[i]);
    }
    return c;
}

const char *ctl_entry_name(const ld_config *c, int i)
{
    if (c == NULL || i < 0 || (size_t)i >= c->nentries ||
        c->entries[i].name == NULL) {
        return "-";
    }
    return c->entries[i].name;
}

int ctl_config_load_noargs(const ctl_opts *o,
                           int argc,
                           char **argv,
                           ld_config **out)
{
    *out = NULL;
    if (argc != 1) {
        fprintf(stderr,
                "lockdownctl: %s: extra argument \"%s\"\n",
                argv[0],
                argv[1]);
        return ctl_usage(argv[0]);
    }
    *out = ctl_config_load(o);
    return *out != NULL ? EX_OK : EX_CONFIG;
}

int ctl_stdout_flush(void)
{
    if (fflush(stdout) != 0 || ferror(stdout)) {
        perror("lockdownctl: stdout");
        return EX_IOERR;
    }
    return EX_OK;
}
