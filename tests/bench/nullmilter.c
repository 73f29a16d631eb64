/*
 * nullmilter.c - a libmilter milter that decides nothing: the ceiling a
 * libmilter-based lockdown can reach, measured in the same run.
 *
 * It negotiates like a real connect-time milter: it asks the MTA to skip
 * every stage it was not told to watch, and not to wait for a reply there
 * (SMFIP_NO* with SMFIP_NR_*), asks for no modifications, and can ask for
 * the same macro lists (smfi_setsymlist) as lockdown-milter, so that both
 * cost the MTA the same. Every callback continues (with -a, connect
 * accepts: the MTA then drops the milter for the rest of the SMTP session,
 * the shape of lockdown-milter's answer to a listed client).
 *
 * usage: nullmilter -p SPEC [-a] [-s connect,helo,mail,rcpt] [-m MACROS]
 *                   [-M MACROS] [-R MACROS] [-b BACKLOG] [-t TIMEOUT]
 *                   [-d LEVEL] [-P PIDFILE]
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include <libmilter/mfapi.h>

static unsigned long stages_wanted = SMFIP_NOCONNECT; /* bits to keep */
static char *connect_macros;
static char *mail_macros;
static char *rcpt_macros;
static sfsistat connect_reply = SMFIS_CONTINUE;

/* Each stage with its no-reply bit: a skipped stage is also asked not to
 * be answered, as lockdown-milter does. */
static const struct {
    const char *name;
    unsigned long no;
    unsigned long nr;
} stage_bits[] = {
    {"connect", SMFIP_NOCONNECT, SMFIP_NR_CONN},
    {"helo", SMFIP_NOHELO, SMFIP_NR_HELO},
    {"mail", SMFIP_NOMAIL, SMFIP_NR_MAIL},
    {"rcpt", SMFIP_NORCPT, SMFIP_NR_RCPT},
    {"data", SMFIP_NODATA, SMFIP_NR_DATA},
    {"header", SMFIP_NOHDRS, SMFIP_NR_HDR},
    {"eoh", SMFIP_NOEOH, SMFIP_NR_EOH},
    {"body", SMFIP_NOBODY, SMFIP_NR_BODY},
    {"unknown", SMFIP_NOUNKNOWN, SMFIP_NR_UNKN},
};

static sfsistat null_negotiate(SMFICTX *ctx, unsigned long f0,
                               unsigned long f1, unsigned long f2,
                               unsigned long f3, unsigned long *pf0,
                               unsigned long *pf1, unsigned long *pf2,
                               unsigned long *pf3)
{
    size_t i;

    (void)f2;
    (void)f3;
    *pf0 = 0; /* no modifications */
    *pf1 = 0;
    *pf2 = 0;
    *pf3 = 0;
    /* Skip what we do not watch, where the MTA can skip it. */
    for (i = 0; i < sizeof(stage_bits) / sizeof(stage_bits[0]); i++) {
        if ((stages_wanted & stage_bits[i].no) != 0 ||
            (f1 & stage_bits[i].no) == 0) {
            continue;
        }
        *pf1 |= stage_bits[i].no;
        if ((f1 & stage_bits[i].nr) != 0) {
            *pf1 |= stage_bits[i].nr;
        }
    }
    if ((connect_macros != NULL || mail_macros != NULL ||
         rcpt_macros != NULL) &&
        (f0 & SMFIF_SETSYMLIST) != 0) {
        *pf0 |= SMFIF_SETSYMLIST;
        if ((connect_macros != NULL &&
             smfi_setsymlist(ctx, SMFIM_CONNECT, connect_macros) !=
                 MI_SUCCESS) ||
            (mail_macros != NULL &&
             smfi_setsymlist(ctx, SMFIM_ENVFROM, mail_macros) !=
                 MI_SUCCESS) ||
            (rcpt_macros != NULL &&
             smfi_setsymlist(ctx, SMFIM_ENVRCPT, rcpt_macros) !=
                 MI_SUCCESS)) {
            return SMFIS_REJECT;
        }
    }
    return SMFIS_CONTINUE;
}

static sfsistat null_connect(SMFICTX *ctx, char *host, _SOCK_ADDR *sa)
{
    (void)ctx;
    (void)host;
    (void)sa;
    return connect_reply;
}

static sfsistat null_helo(SMFICTX *ctx, char *name)
{
    (void)ctx;
    (void)name;
    return SMFIS_CONTINUE;
}

static sfsistat null_envelope(SMFICTX *ctx, char **argv)
{
    (void)ctx;
    (void)argv;
    return SMFIS_CONTINUE;
}

static sfsistat null_header(SMFICTX *ctx, char *name, char *value)
{
    (void)ctx;
    (void)name;
    (void)value;
    return SMFIS_CONTINUE;
}

static sfsistat null_ctx(SMFICTX *ctx)
{
    (void)ctx;
    return SMFIS_CONTINUE;
}

static sfsistat null_body(SMFICTX *ctx, unsigned char *chunk, size_t len)
{
    (void)ctx;
    (void)chunk;
    (void)len;
    return SMFIS_CONTINUE;
}

static sfsistat null_unknown(SMFICTX *ctx, const char *cmd)
{
    (void)ctx;
    (void)cmd;
    return SMFIS_CONTINUE;
}

static struct smfiDesc null_desc = {
    .xxfi_name = "nullmilter",
    .xxfi_version = SMFI_VERSION,
    .xxfi_flags = 0,
    .xxfi_connect = null_connect,
    .xxfi_helo = null_helo,
    .xxfi_envfrom = null_envelope,
    .xxfi_envrcpt = null_envelope,
    .xxfi_header = null_header,
    .xxfi_eoh = null_ctx,
    .xxfi_body = null_body,
    .xxfi_eom = null_ctx,
    .xxfi_abort = null_ctx,
    .xxfi_close = null_ctx,
    .xxfi_unknown = null_unknown,
    .xxfi_data = null_ctx,
    .xxfi_negotiate = null_negotiate,
};

static int stages_parse(const char *text)
{
    char buf[256];
    char *tok = NULL;
    char *save = NULL;
    size_t i;
    int found = 0;

    if (strlen(text) >= sizeof(buf)) {
        return -1;
    }
    memcpy(buf, text, strlen(text) + 1);
    stages_wanted = 0;
    for (tok = strtok_r(buf, ",", &save); tok != NULL;
         tok = strtok_r(NULL, ",", &save)) {
        found = 0;
        for (i = 0; i < sizeof(stage_bits) / sizeof(stage_bits[0]); i++) {
            if (strcmp(tok, stage_bits[i].name) == 0) {
                stages_wanted |= stage_bits[i].no;
                found = 1;
            }
        }
        if (!found) {
            fprintf(stderr, "nullmilter: unknown stage \"%s\"\n", tok);
            return -1;
        }
    }
    return 0;
}

static void usage(void)
{
    fprintf(stderr,
            "usage: nullmilter -p SPEC [-a] [-s STAGES] [-m MACROS]\n"
            "                  [-M MACROS] [-R MACROS]\n"
            "                  [-b BACKLOG] [-t TIMEOUT] [-d LEVEL] [-P PIDFILE]\n"
            "  -p SPEC     libmilter socket: unix:/path or inet:port@host\n"
            "  -a          accept at connect (default: continue)\n"
            "  -s STAGES   stages to receive, comma-separated (connect)\n"
            "              connect helo mail rcpt data header eoh body "
            "unknown\n"
            "  -m MACROS   connect macros to ask for (smfi_setsymlist),\n"
            "              e.g. \"{daemon_port}\"; default: the MTA's list\n"
            "  -M MACROS   the same for MAIL, -R MACROS for RCPT\n"
            "  -b BACKLOG  smfi_setbacklog; -t TIMEOUT smfi_settimeout (s)\n");
}

int main(int argc, char **argv)
{
    const char *spec = NULL;
    const char *pidfile = NULL;
    char *end = NULL;
    long backlog = -1;
    long timeout = -1;
    long dbg = 0;
    FILE *f = NULL;
    int c = 0;

    while ((c = getopt(argc, argv, "ap:s:m:M:R:b:t:d:P:h")) != -1) {
        switch (c) {
        case 'a':
            connect_reply = SMFIS_ACCEPT;
            break;
        case 'p':
            spec = optarg;
            break;
        case 's':
            if (stages_parse(optarg) != 0) {
                return EX_USAGE;
            }
            break;
        case 'm':
            connect_macros = optarg;
            break;
        case 'M':
            mail_macros = optarg;
            break;
        case 'R':
            rcpt_macros = optarg;
            break;
        case 'b':
        case 't':
        case 'd':
            errno = 0;
            {
                long v = strtol(optarg, &end, 10);
                if (errno != 0 || *end != '\0' || v < 0 || v > 1000000) {
                    fprintf(stderr, "nullmilter: bad -%c \"%s\"\n", c,
                            optarg);
                    return EX_USAGE;
                }
                if (c == 'b') {
                    backlog = v;
                } else if (c == 't') {
                    timeout = v;
                } else {
                    dbg = v;
                }
            }
            break;
        case 'P':
            pidfile = optarg;
            break;
        default:
            usage();
            return EX_USAGE;
        }
    }
    if (spec == NULL || optind != argc) {
        usage();
        return EX_USAGE;
    }
    if (smfi_setconn((char *)spec) != MI_SUCCESS ||
        smfi_register(null_desc) != MI_SUCCESS) {
        fprintf(stderr, "nullmilter: cannot set up %s\n", spec);
        return EX_SOFTWARE;
    }
    if (backlog > 0 && smfi_setbacklog((int)backlog) != MI_SUCCESS) {
        return EX_SOFTWARE;
    }
    if (timeout >= 0 && smfi_settimeout((int)timeout) != MI_SUCCESS) {
        return EX_SOFTWARE;
    }
    if (dbg > 0) {
        smfi_setdbg((int)dbg);
    }
    /* Remove a stale socket left by an earlier run. */
    if (smfi_opensocket(1) != MI_SUCCESS) {
        fprintf(stderr, "nullmilter: cannot open %s\n", spec);
        return EX_OSERR;
    }
    if (pidfile != NULL) {
        f = fopen(pidfile, "w");
        if (f == NULL) {
            fprintf(stderr, "nullmilter: %s: %s\n", pidfile, strerror(errno));
            return EX_CANTCREAT;
        }
        fprintf(f, "%ld\n", (long)getpid());
        fclose(f);
    }
    return smfi_main() == MI_SUCCESS ? 0 : EX_SOFTWARE;
}
