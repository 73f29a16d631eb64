/*
 * ctl.h - lockdownctl: the command table and what the commands share.
 *
 * Adding a command: write ctl/cmd_NAME.c with
 *   int cmd_NAME(const ctl_opts *o, int argc, char **argv);
 * declare it below and add one line to the table in ctl/main.c. argv[0] is
 * the command name, the rest its own arguments; global options (-c) are
 * already in o. Return a sysexits code.
 */
#ifndef LOCKDOWN_CTL_H
#define LOCKDOWN_CTL_H

#include <stdbool.h>
#include <stddef.h>

#include "config.h"

/* Exit status for "refused" (reject or tempfail) from check. */
#define CTL_EXIT_REFUSED 1

typedef struct ctl_opts {
    const char *config_path; /* -c, else LD_DEFAULT_CONFIG */
} ctl_opts;

typedef int (*ctl_fn)(const ctl_opts *o, int argc, char **argv);

typedef struct ctl_cmd {
    const char *name;
    ctl_fn run;
    const char *usage;   /* arguments after the name */
    const char *summary; /* one line for -h */
} ctl_cmd;

int cmd_check(const ctl_opts *o, int argc, char **argv);
int cmd_list(const ctl_opts *o, int argc, char **argv);
int cmd_lint(const ctl_opts *o, int argc, char **argv);
int cmd_export(const ctl_opts *o, int argc, char **argv);

/* ctl/main.c: "usage: lockdownctl [-c CONFIG] NAME USAGE" on stderr, and
 * EX_USAGE to return. */
int ctl_usage(const char *name);

/* ctl/ctl_load.c: load the config named by o, print the error (starting
 * with file:line:col) or the warnings on stderr. NULL on error. */
ld_config *ctl_config_load(const ctl_opts *o);

/* Name of entry i, or "-" when i < 0. */
const char *ctl_entry_name(const ld_config *c, int i);

/* ctl/ctl_load.c: for a command that takes no arguments: refuse any (with
 * the usage line) or load the config as ctl_config_load() does. Returns
 * EX_OK with *out set, else the exit code (EX_USAGE, EX_CONFIG). */
int ctl_config_load_noargs(const ctl_opts *o,
                           int argc,
                           char **argv,
                           ld_config **out);

/* ctl/ctl_load.c: flush stdout; EX_OK, or EX_IOERR after saying why. */
int ctl_stdout_flush(void);

/*
 * ctl/ctl_args.c: a command's own arguments. Long options only ("--name
 * value" or "--name=value"), and at most one positional argument, which
 * may be "-". set() is called for each option in order with its index in
 * names; it prints its own message and returns -1 to refuse the value.
 */
typedef struct ctl_args_spec {
    const char *cmd;          /* in messages: "lockdownctl: CMD: ..." */
    const char *const *names; /* without the leading "--" */
    size_t nnames;
    bool dashdash; /* "--" ends the options */
    int (*set)(void *ctx, size_t k, const char *val);
} ctl_args_spec;

/* 0, or -1 after a message on stderr; *positional is left as given (NULL)
 * when there is none. */
int ctl_args_parse(const ctl_args_spec *s,
                   int argc,
                   char **argv,
                   const char **positional,
                   void *ctx);

#endif
