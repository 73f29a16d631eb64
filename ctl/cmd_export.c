/*
 * cmd_export.c - lockdownctl export: write the lockdown for another
 * enforcement layer (Postfix, Sendmail, nftables, iptables, Exchange) on
 * stdout. The generation itself is lib/export.c; this file only reads the
 * options and makes the output all or nothing.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sysexits.h>

#include "ctl.h"
#include "export.h"
#include "port.h"

/* The options that take a value, as ctl_args_parse() reads them. */
static const char *const export_names[] = {
    "ports", "family", "identity", "server"};
#define EXPORT_NNAMES (sizeof(export_names) / sizeof(export_names[0]))

typedef struct export_args {
    const char *format;
    enum ld_export_format f;
    const char *ports_text;
    const char *family_text;
    ld_export_opts o;
    uint16_t ports[LD_EXPORT_MAX_PORTS];
} export_args;

/* "25,587": ports as port_parse() takes them, comma separated, no
 * spaces. */
static int
export_parse_ports(const char *text, uint16_t *ports, size_t max, size_t *n)
{
    const char *p = text;
    size_t len;
    int v = 0;

    *n = 0;
    for (;;) {
        len = strcspn(p, ",");
        if (port_parse(p, len, &v) != LD_PORT_OK || *n >= max) {
            return -1;
        }
        ports[(*n)++] = (uint16_t)v;
        if (p[len] == '\0') {
            return 0;
        }
        p += len + 1;
    }
}

static int export_set_arg(void *ctx, size_t k, const char *val)
{
    export_args *ea = ctx;
    const char **slots[4];

    slots[0] = &ea->ports_text;
    slots[1] = &ea->family_text;
    slots[2] = &ea->o.identity;
    slots[3] = &ea->o.server;
    *slots[k] = val;
    return 0;
}

static bool export_takes_value(const char *a)
{
    size_t k;

    for (k = 0; k < EXPORT_NNAMES; k++) {
        if (a[0] == '-' && a[1] == '-' && strcmp(a + 2, export_names[k]) == 0) {
            return true;
        }
    }
    return false;
}

/*
 * --all-domains is a flag, which ctl_args_parse() (options with a value)
 * does not know: it is taken out of argv first, into kept (argc + 1
 * slots). A value of another option ("--identity --all-domains") stays.
 */
static int
export_take_flags(int argc, char **argv, char **kept, export_args *ea)
{
    int i;
    int n = 0;

    for (i = 0; i < argc; i++) {
        if (i > 0 && strcmp(argv[i], "--all-domains") == 0) {
            ea->o.all_domains = true;
            continue;
        }
        kept[n++] = argv[i];
        if (i > 0 && export_takes_value(argv[i]) && i + 1 < argc) {
            kept[n++] = argv[++i];
        }
    }
    kept[n] = NULL;
    return n;
}

static int export_parse_args(int argc, char **argv, export_args *ea)
{
    const ctl_args_spec spec = {
        "export", export_names, EXPORT_NNAMES, false, export_set_arg};
    char **kept = NULL;
    int n = 0;
    int rc = -1;

    kept = calloc((size_t)argc + 1, sizeof(*kept));
    if (kept == NULL) {
        fprintf(stderr, "lockdownctl: export: out of memory\n");
        return -1;
    }
    n = export_take_flags(argc, argv, kept, ea);
    rc = ctl_args_parse(&spec, n, kept, &ea->format, ea);
    free(kept);
    if (rc != 0) {
        return -1;
    }
    if (ea->format == NULL) {
        fprintf(stderr,
                "lockdownctl: export: no FORMAT (postfix-client, "
                "postfix-relay, postfix-domains, sendmail-access, "
                "nftables, iptables, exchange)\n");
        return -1;
    }
    if (export_format_parse(ea->format, &ea->f) != 0) {
        fprintf(stderr,
                "lockdownctl: export: unknown format \"%s\" (postfix-client, "
                "postfix-relay, postfix-domains, sendmail-access, nftables, "
                "iptables, exchange)\n",
                ea->format);
        return -1;
    }
    return 0;
}

/* Options that do not apply to the format are refused, not ignored. */
static int export_check_args(export_args *ea)
{
    bool firewall = ea->f == LD_EXPORT_NFTABLES || ea->f == LD_EXPORT_IPTABLES;

    if (ea->ports_text != NULL && !firewall) {
        fprintf(stderr,
                "lockdownctl: export: --ports is for nftables and "
                "iptables only\n");
        return -1;
    }
    if (ea->ports_text != NULL) {
        size_t n = 0;

        if (export_parse_ports(
                ea->ports_text, ea->ports, LD_EXPORT_MAX_PORTS, &n) != 0) {
            fprintf(stderr,
                    "lockdownctl: export: --ports \"%s\": expected port "
                    "numbers from 1 to 65535 separated by commas\n",
                    ea->ports_text);
            return -1;
        }
        ea->o.ports = ea->ports;
        ea->o.nports = n;
    }
    if (ea->family_text != NULL) {
        if (ea->f != LD_EXPORT_IPTABLES) {
            fprintf(stderr,
                    "lockdownctl: export: --family is for iptables "
                    "only\n");
            return -1;
        }
        if (strcmp(ea->family_text, "4") == 0) {
            ea->o.family = AF_INET;
        } else if (strcmp(ea->family_text, "6") == 0) {
            ea->o.family = AF_INET6;
        } else {
            fprintf(stderr,
                    "lockdownctl: export: --family \"%s\": expected 4 "
                    "(iptables-restore) or 6 (ip6tables-restore)\n",
                    ea->family_text);
            return -1;
        }
    }
    if ((ea->o.identity != NULL || ea->o.server != NULL) &&
        ea->f != LD_EXPORT_EXCHANGE) {
        fprintf(stderr,
                "lockdownctl: export: --identity and --server are "
                "for exchange only\n");
        return -1;
    }
    if (ea->o.identity != NULL && ea->o.server != NULL) {
        fprintf(stderr,
                "lockdownctl: export: give --identity or --server, "
                "not both\n");
        return -1;
    }
    return 0;
}

static int export_exit_code(int rc)
{
    switch (rc) {
    case LD_EXPORT_ERR_CONFIG:
        return EX_CONFIG;
    case LD_EXPORT_ERR_IO:
        return EX_IOERR;
    case LD_EXPORT_ERR_NOMEM:
        return EX_OSERR;
    case LD_EXPORT_ERR_USAGE:
        return EX_USAGE;
    default:
        return EX_SOFTWARE;
    }
}

int cmd_export(const ctl_opts *o, int argc, char **argv)
{
    char err[LD_ERRLEN];
    export_args ea;
    ld_config *c = NULL;
    char *text = NULL;
    size_t len = 0;
    int erc = 0;
    int rc = EX_SOFTWARE;

    memset(&ea, 0, sizeof(ea));
    if (export_parse_args(argc, argv, &ea) != 0 ||
        export_check_args(&ea) != 0) {
        rc = ctl_usage(argv[0]);
        goto out;
    }
    c = ctl_config_load(o);
    if (c == NULL) {
        rc = EX_CONFIG;
        goto out;
    }
    err[0] = '\0';
    /* Into memory first: a failed export never leaves half a table on
     * stdout for a shell redirection to install. */
    text = export_string(c, ea.f, &ea.o, &len, &erc, err, sizeof(err));
    if (text == NULL) {
        fprintf(stderr,
                "lockdownctl: %s\n",
                err[0] != '\0' ? err : "export failed");
        rc = export_exit_code(erc);
        goto out;
    }
    if (export_config_monitored(c)) {
        fprintf(stderr,
                "lockdownctl: export: warning: the configuration is "
                "in monitor mode: the milter refuses nobody yet, "
                "but this %s output enforces\n",
                export_format_name(ea.f));
    }
    if (fwrite(text, 1, len, stdout) != len || fflush(stdout) != 0 ||
        ferror(stdout)) {
        perror("lockdownctl: export: stdout");
        rc = EX_IOERR;
        goto out;
    }
    rc = EX_OK;
out:
    free(text);
    if (c != NULL) {
        config_free(c);
    }
    return rc;
}
