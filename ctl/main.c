/*
 * main.c - lockdownctl: global options and the command table.
 */
#include <stdio.h>
#include <string.h>
#include <sysexits.h>

#include "ctl.h"

#ifndef LOCKDOWN_VERSION
#define LOCKDOWN_VERSION "unknown"
#endif

static const ctl_cmd ctl_cmds[] = {
    {"check",
     cmd_check,
     "ADDRESS|- [--port N] [--auth USER] [--rcpt ADDRESS] [--name HOST] [--tls-name CN]",
     "judge a client address (or one per line from stdin with -)"},
    {"list", cmd_list, "", "show the settings, profiles and trusted entries"},
    {"lint", cmd_lint, "", "load and validate the configuration"},
    {"export",
     cmd_export,
     "FORMAT [--all-domains] [--ports LIST] [--family 4|6] "
     "[--identity ID|--server NAME]",
     "write the lockdown for Postfix, Sendmail, nftables, iptables or "
     "Exchange"},
};

#define CTL_NCMDS (sizeof(ctl_cmds) / sizeof(ctl_cmds[0]))

static const ctl_cmd *ctl_cmd_find(const char *name)
{
    size_t i;

    for (i = 0; i < CTL_NCMDS; i++) {
        if (strcmp(ctl_cmds[i].name, name) == 0) {
            return &ctl_cmds[i];
        }
    }
    return NULL;
}

static void ctl_help(FILE *out)
{
    size_t i;

    fprintf(out,
            "usage: lockdownctl [-c CONFIG] COMMAND [ARGS]\n"
            "       lockdownctl -V | -h\n"
            "  -c CONFIG  configuration file (default %s)\n"
            "commands:\n",
            LD_DEFAULT_CONFIG);
    for (i = 0; i < CTL_NCMDS; i++) {
        fprintf(out,
                "  %s %s\n      %s\n",
                ctl_cmds[i].name,
                ctl_cmds[i].usage,
                ctl_cmds[i].summary);
    }
}

int ctl_usage(const char *name)
{
    const ctl_cmd *cmd = ctl_cmd_find(name);

    if (cmd == NULL) {
        ctl_help(stderr);
    } else {
        fprintf(stderr,
                "usage: lockdownctl [-c CONFIG] %s %s\n",
                cmd->name,
                cmd->usage);
    }
    return EX_USAGE;
}

int main(int argc, char **argv)
{
    ctl_opts o = {LD_DEFAULT_CONFIG};
    const ctl_cmd *cmd = NULL;
    int i;

    for (i = 1; i < argc && argv[i][0] == '-'; i++) {
        const char *a = argv[i];

        if (strcmp(a, "--") == 0) {
            i++;
            break;
        }
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            ctl_help(stdout);
            return EX_OK;
        }
        if (strcmp(a, "-V") == 0 || strcmp(a, "--version") == 0) {
            printf("lockdownctl %s\n", LOCKDOWN_VERSION);
            return EX_OK;
        }
        if (strncmp(a, "-c", 2) == 0) {
            if (a[2] != '\0') {
                o.config_path = a + 2;
            } else if (i + 1 < argc) {
                o.config_path = argv[++i];
            } else {
                fprintf(stderr, "lockdownctl: -c needs a file name\n");
                ctl_help(stderr);
                return EX_USAGE;
            }
            continue;
        }
        fprintf(stderr, "lockdownctl: unknown option \"%s\"\n", a);
        ctl_help(stderr);
        return EX_USAGE;
    }
    if (i >= argc) {
        fprintf(stderr, "lockdownctl: no command\n");
        ctl_help(stderr);
        return EX_USAGE;
    }
    cmd = ctl_cmd_find(argv[i]);
    if (cmd == NULL) {
        fprintf(stderr, "lockdownctl: unknown command \"%s\"\n", argv[i]);
        ctl_help(stderr);
        return EX_USAGE;
    }
    if (o.config_path[0] == '\0') {
        fprintf(stderr, "lockdownctl: -c needs a file name\n");
        return EX_USAGE;
    }
    return cmd->run(&o, argc - i, argv + i);
}
