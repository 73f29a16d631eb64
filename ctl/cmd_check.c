/*
 * cmd_check.c - lockdownctl check: ask the policy about one client, or
 * about one client per line of stdin (replaying a mail log).
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "addr.h"
#include "ctl.h"
#include "policy.h"
#include "port.h"

/* Longer lines are reported, not read in pieces: an address and a port
 * need less than a hundred bytes. */
#define CHECK_LINE_MAX 1024
/* RFC 5321: 255 octets; longer gives LD_RCPT_DOMAIN_TOOLONG. */
#define CHECK_DOMAIN_MAX 256
#define CHECK_UNKNOWN "unknown"

typedef struct check_args {
    const char *address; /* "-": stdin */
    int port;            /* -1: not given (treated as locked) */
    const char *auth;
    const char *name;        /* --name: the verified host name */
    const char *tls_name;    /* --tls-name: the verified certificate's CN */
    const char *rcpt;        /* --rcpt as given */
    const char *rcpt_domain; /* NULL: no RCPT stage */
    char domain_buf[CHECK_DOMAIN_MAX];
} check_args;

/* The daemon's {daemon_port} rules (port_parse). */
static int check_parse_port(const char *text, int *port)
{
    return port_parse(text, strlen(text), port) == LD_PORT_OK ? 0 : -1;
}

/*
 * A client address as the daemon would see it: addr_parse() strictness,
 * plus the IPv4-mapped form a dual-stack socket reports, normalised the
 * same way the daemon normalises a socket address. "unknown" is a client
 * with no address (AF_UNIX, or none given). Returns 0, or -1 with err.
 */
static int check_parse_client(
    const char *text, ld_addr *out, bool *unknown, char *err, size_t errlen)
{
    struct sockaddr_in6 sin6;

    *unknown = false;
    if (strcmp(text, CHECK_UNKNOWN) == 0) {
        *unknown = true;
        return 0;
    }
    if (addr_parse(text, out, err, errlen) == 0) {
        return 0;
    }
    memset(&sin6, 0, sizeof(sin6));
    sin6.sin6_family = AF_INET6;
    if (strchr(text, '%') == NULL &&
        inet_pton(AF_INET6, text, &sin6.sin6_addr) == 1 &&
        IN6_IS_ADDR_V4MAPPED(&sin6.sin6_addr) &&
        addr_from_sockaddr((const struct sockaddr *)&sin6, out) == 0) {
        return 0;
    }
    return -1;
}

static int check_set_arg(void *ctx, size_t k, const char *val)
{
    check_args *ca = ctx;

    switch (k) {
    case 0:
        if (check_parse_port(val, &ca->port) != 0) {
            fprintf(stderr,
                    "lockdownctl: check: --port \"%s\": expected a port "
                    "number from 1 to 65535\n",
                    val);
            return -1;
        }
        break;
    case 1:
        ca->auth = val;
        break;
    case 2:
        ca->rcpt = val;
        break;
    case 3:
        ca->name = val;
        break;
    default:
        ca->tls_name = val;
        break;
    }
    return 0;
}

static int check_parse_args(int argc, char **argv, check_args *ca)
{
    static const char *const names[] = {
        "port", "auth", "rcpt", "name", "tls-name"};
    const ctl_args_spec spec = {
        "check", names, sizeof(names) / sizeof(names[0]), true, check_set_arg};

    if (ctl_args_parse(&spec, argc, argv, &ca->address, ca) != 0) {
        return -1;
    }
    if (ca->address == NULL) {
        fprintf(stderr, "lockdownctl: check: no ADDRESS\n");
        return -1;
    }
    if (ca->rcpt != NULL) {
        /* No domain ("postmaster", "<>") is a local recipient. */
        ca->rcpt_domain = policy_rcpt_domain(
            ca->rcpt, ca->domain_buf, sizeof(ca->domain_buf));
        if (ca->rcpt_domain == NULL) {
            ca->rcpt_domain = "";
        }
    }
    return 0;
}

static bool check_refused(const ld_verdict *v)
{
    return v->action == LD_REJECT || v->action == LD_TEMPFAIL;
}

static void check_judge(const ld_config *c,
                        const check_args *ca,
                        const ld_addr *addr,
                        int port,
                        ld_verdict *v)
{
    ld_conn_facts f = {0};

    f.addr = addr;
    f.port = port;
    f.client_name = ca->name;
    f.tls_name = ca->tls_name;
    policy_evaluate(c, &f, ca->auth, ca->rcpt_domain, v);
}

static void check_print_disabled(const ld_config *c, const ld_verdict *v)
{
    if (v->disabled_entry >= 0) {
        fputs(" in disabled profile ", stdout);
        fputs(ctl_entry_name(c, v->disabled_entry), stdout);
    }
}

static int check_single(const ld_config *c, const check_args *ca)
{
    char err[LD_ERRLEN];
    ld_addr addr;
    ld_verdict v;
    bool unknown = false;

    if (check_parse_client(ca->address, &addr, &unknown, err, sizeof(err)) !=
        0) {
        fprintf(stderr, "lockdownctl: check: %s\n", err);
        return EX_USAGE;
    }
    check_judge(c, ca, unknown ? NULL : &addr, ca->port, &v);
    printf("%s %s %s",
           policy_verdict_word(&v),
           reason_name(v.reason),
           ctl_entry_name(c, v.entry));
    check_print_disabled(c, &v);
    putchar('\n');
    if (ctl_stdout_flush() != EX_OK) {
        return EX_IOERR;
    }
    return check_refused(&v) ? CTL_EXIT_REFUSED : EX_OK;
}

/* Split "ADDRESS [PORT]" in place. Returns the number of fields (0..3,
 * 3 meaning "too many"). */
static int check_split(char *line, char **f1, char **f2)
{
    char *p = line;
    int n = 0;

    *f1 = NULL;
    *f2 = NULL;
    while (n < 3) {
        while (*p == ' ' || *p == '\t') {
            p++;
        }
        if (*p == '\0') {
            break;
        }
        if (n == 0) {
            *f1 = p;
        } else if (n == 1) {
            *f2 = p;
        }
        n++;
        while (*p != '\0' && *p != ' ' && *p != '\t') {
            p++;
        }
        if (*p != '\0' && n < 3) {
            *p++ = '\0';
        }
    }
    return n;
}

typedef struct check_counts {
    unsigned long bad;
    unsigned long refused;
} check_counts;

static void check_bad(unsigned long lineno,
                      const char *field,
                      const char *why,
                      const char *msg,
                      check_counts *n)
{
    fprintf(stderr, "lockdownctl: stdin:%lu: %s\n", lineno, msg);
    printf("%s error - %s\n", field, why);
    n->bad++;
}

static void check_line(const ld_config *c,
                       const check_args *ca,
                       char *line,
                       unsigned long lineno,
                       check_counts *n)
{
    char err[LD_ERRLEN];
    char msg[LD_ERRLEN + 64];
    char *f1 = NULL;
    char *f2 = NULL;
    ld_addr addr;
    ld_verdict v;
    bool unknown = false;
    int port = ca->port;
    int nf;

    nf = check_split(line, &f1, &f2);
    if (nf == 0 || f1[0] == '#') {
        return;
    }
    if (nf > 2) {
        snprintf(msg,
                 sizeof(msg),
                 "\"%.64s\": too many fields, expected ADDRESS [PORT]",
                 f1);
        check_bad(lineno, f1, "bad-line", msg, n);
        return;
    }
    if (check_parse_client(f1, &addr, &unknown, err, sizeof(err)) != 0) {
        check_bad(lineno, f1, "bad-address", err, n);
        return;
    }
    if (f2 != NULL && check_parse_port(f2, &port) != 0) {
        snprintf(msg,
                 sizeof(msg),
                 "\"%.64s\": expected a port number from 1 to 65535",
                 f2);
        check_bad(lineno, f1, "bad-port", msg, n);
        return;
    }
    check_judge(c, ca, unknown ? NULL : &addr, port, &v);
    if (check_refused(&v)) {
        n->refused++;
    }
    fputs(f1, stdout);
    putchar(' ');
    fputs(policy_verdict_word(&v), stdout);
    putchar(' ');
    fputs(ctl_entry_name(c, v.entry), stdout);
    putchar(' ');
    fputs(reason_name(v.reason), stdout);
    check_print_disabled(c, &v);
    putchar('\n');
}

enum check_line_state { LINE_OK = 0, LINE_TOO_LONG, LINE_NUL };

/*
 * Read one line into buf without its end of line ("\n" or "\r\n"). A line
 * longer than the buffer is consumed to its end and reported, never split
 * into several. Returns false at the end of the input.
 */
static bool
check_read_line(FILE *in, char *buf, size_t size, enum check_line_state *state)
{
    size_t len = 0;
    int ch = EOF;

    *state = LINE_OK;
    while ((ch = getc_unlocked(in)) != EOF && ch != '\n') {
        if (ch == '\0') {
            *state = LINE_NUL;
        }
        if (len + 1 < size) {
            buf[len++] = (char)ch;
        } else if (*state == LINE_OK) {
            *state = LINE_TOO_LONG;
        }
    }
    if (ch == EOF && len == 0 && *state == LINE_OK) {
        return false;
    }
    if (len > 0 && buf[len - 1] == '\r') {
        len--;
    }
    buf[len] = '\0';
    return true;
}

static int check_stream(const ld_config *c, const check_args *ca)
{
    char line[CHECK_LINE_MAX];
    unsigned long lineno = 0;
    check_counts n = {0, 0};
    enum check_line_state state = LINE_OK;

    while (check_read_line(stdin, line, sizeof(line), &state)) {
        lineno++;
        if (state == LINE_TOO_LONG) {
            check_bad(lineno, "-", "line-too-long", "line too long", &n);
            continue;
        }
        if (state == LINE_NUL) {
            check_bad(lineno, "-", "bad-line", "NUL byte in line", &n);
            continue;
        }
        check_line(c, ca, line, lineno, &n);
    }
    if (ferror(stdin)) {
        perror("lockdownctl: stdin");
        return EX_IOERR;
    }
    if (ctl_stdout_flush() != EX_OK) {
        return EX_IOERR;
    }
    if (n.bad > 0) {
        return EX_DATAERR;
    }
    return n.refused > 0 ? CTL_EXIT_REFUSED : EX_OK;
}

int cmd_check(const ctl_opts *o, int argc, char **argv)
{
    check_args ca;
    ld_config *c = NULL;
    int rc = EX_SOFTWARE;

    memset(&ca, 0, sizeof(ca));
    ca.port = -1;
    if (check_parse_args(argc, argv, &ca) != 0) {
        rc = ctl_usage(argv[0]);
        goto out;
    }
    c = ctl_config_load(o);
    if (c == NULL) {
        rc = EX_CONFIG;
        goto out;
    }
    if (strcmp(ca.address, "-") == 0) {
        /* A big buffer: a replay is a million short lines. */
        setvbuf(stdin, NULL, _IOFBF, 1 << 16);
        setvbuf(stdout, NULL, _IOFBF, 1 << 16);
        rc = check_stream(c, &ca);
    } else {
        rc = check_single(c, &ca);
    }
out:
    if (c != NULL) {
        config_free(c);
    }
    return rc;
}
