/*
 * miltergen.c - a milter load generator: plays the MTA side of the milter
 * protocol (version 6) against a milter socket, many sessions in parallel,
 * and checks every verdict.
 *
 * One session: connect to the socket, SMFIC_OPTNEG (honouring what the
 * milter asks: skipped stages SMFIP_NO*, no-reply stages SMFIP_NR_*, the
 * macro lists it sets with smfi_setsymlist), the connect macros, CONNECT,
 * its reply; optionally HELO, MAIL (with {auth_authen} for a fraction of
 * sessions) and RCPT; then QUIT (after a final CONNECT reply the socket is
 * just closed, as Postfix does). The verdict of a session is its first reply
 * other than continue (or continue). Inside clients are drawn from
 * --inside, outside ones from --outside; each class has an expected verdict.
 *
 * Measures sessions/s and the latency from sending CONNECT to its reply
 * (p50/p99), counts every reply kind per stage. Any error, timeout or
 * unexpected verdict fails the run (exit 1), but the run goes on to the end
 * so that failure tests can count them (see --max-errors).
 *
 * Bounded: every socket operation has a deadline (--timeout), the run has
 * a session count or a duration (and --max-time), memory is fixed per
 * thread (latency histograms, not sample arrays).
 *
 * Output: CSV "bench,impl,concurrency,metric,value" on stdout with --csv,
 * a human summary on stderr.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <dirent.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include <libmilter/mfdef.h>

#include "mgen_hist.h"
#include "mgen_pool.h"
#include "mgen_wire.h"

#define MAX_THREADS 4096
#define MAX_IDLE 100000
#define MAX_REPORTS 10 /* detailed error lines printed per run */

/* What we offer in SMFIC_OPTNEG: every action and protocol feature,
 * except the data-size bits that only libmilter's internals use. */
#define OFFER_ACTIONS SMFI_CURR_ACTS
#define OFFER_PROTOCOL SMFI_CURR_PROT

enum stage { S_CONNECT = 0, S_HELO, S_MAIL, S_RCPT, S_NSTAGES };
static const char *const stage_names[S_NSTAGES] = {"connect", "helo", "mail",
                                                   "rcpt"};

enum kind {
    K_CONTINUE = 0,
    K_ACCEPT,
    K_REJECT,
    K_TEMPFAIL,
    K_REPLY4, /* SMFIR_REPLYCODE with a 4xx code */
    K_REPLY5, /* SMFIR_REPLYCODE with a 5xx code */
    K_DISCARD,
    K_CONNFAIL,
    K_SHUTDOWN,
    K_SKIP,
    K_NOREPLY, /* SMFIP_NR_*: the milter does not answer, continue */
    K_NKINDS
};
static const char *const kind_names[K_NKINDS] = {
    "continue",     "accept",  "reject",   "tempfail", "replycode4xx",
    "replycode5xx", "discard", "connfail", "shutdown", "skip",
    "noreply"};

enum verdict {
    V_CONTINUE = 0,
    V_ACCEPT,
    V_REJECT,
    V_TEMPFAIL,
    V_DISCARD,
    V_CONNFAIL,
    V_SHUTDOWN,
    V_NVERDICTS
};
static const char *const verdict_names[V_NVERDICTS] = {
    "continue", "accept", "reject", "tempfail",
    "discard",  "connfail", "shutdown"};

enum class { C_INSIDE = 0, C_OUTSIDE, C_AUTH, C_CANARY, C_NCLASSES };
static const char *const class_names[C_NCLASSES] = {"inside", "outside",
                                                    "auth", "canary"};

enum err {
    E_NONE = 0,
    E_REFUSED,
    E_TIMEOUT,
    E_EOF,
    E_IO,
    E_PROTO,
    E_NERRS
};
static const char *const err_names[E_NERRS] = {"none", "refused", "timeout",
                                               "eof",  "io",      "protocol"};

typedef struct options {
    mw_addr sock;
    const char *sock_spec;
    uint64_t sessions;
    double duration;
    double max_time;
    unsigned concurrency;
    unsigned idle;
    uint64_t warmup;
    int timeout_ms;
    uint64_t seed;
    double hit_ratio;
    double auth_ratio;
    unsigned port;
    const char *helo;
    const char *mail;
    const char *rcpt;
    unsigned expect[C_NCLASSES]; /* bit per verdict; 0: anything */
    bool has_expect[C_NCLASSES];
    char canary[64];
    int canary_family;
    unsigned canary_every;
    const char *bench;
    const char *impl;
    bool csv;
    bool header;
    bool quiet;
    bool linger;
    bool always_quit;
    uint64_t max_errors;
    long server_pid;
    const char *log_path;
} options;

static options opt;
static pool inside_pool;
static pool outside_pool;
static FILE *log_file;
static atomic_bool stop_flag;
static atomic_uint_fast64_t total_errors;
static atomic_int reports_left = MAX_REPORTS;
/* Shared by all threads (atomic adds): memory stays fixed whatever the
 * concurrency. */
static hist connect_lat;
static hist session_lat;
static int64_t run_start_ns;

typedef struct stats {
    uint64_t sessions;
    uint64_t ok; /* no error and the expected verdict */
    uint64_t mismatches;
    uint64_t replies[S_NSTAGES][K_NKINDS];
    uint64_t verdicts[C_NCLASSES][V_NVERDICTS];
    uint64_t errors[E_NERRS];
    uint64_t err_stage[S_NSTAGES + 2]; /* + open, optneg */
} stats;

typedef struct phase {
    atomic_uint_fast64_t next;
    uint64_t limit;
    int64_t end_ns; /* 0: no time limit */
    uint64_t idx_base;
    bool record;
} phase;

typedef struct worker {
    pthread_t tid;
    phase *ph;
    stats *st;
    mw_conn conn;
} worker;

/* Everything one session needs to fill its macros and commands. */
typedef struct session {
    uint64_t idx;
    enum class cls;
    bool auth;
    int family; /* 4 or 6 */
    char addr[64];
    char client_port[8];
    char daemon_port[8];
    char queue_id[16];
    char sender[128]; /* "<s1@domain>" as in the MAIL command */
    char rcpt[128];
    char mail_addr[128]; /* "s1@domain" as in Postfix's {mail_addr} */
    char rcpt_addr[128];
    char auth_user[64];
    const char *mail_host;
    const char *rcpt_host;
} session;

static void report(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void report(const char *fmt, ...)
{
    va_list ap;

    if (atomic_fetch_sub(&reports_left, 1) <= 0) {
        atomic_store(&reports_left, 0);
        return;
    }
    va_start(ap, fmt);
    fputs("miltergen: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

static void on_signal(int sig)
{
    (void)sig;
    atomic_store(&stop_flag, true);
}

/* The value of a macro for this session, by name with or without braces. */
static const char *macro_value(const session *s, const char *name, char *buf,
                               size_t buflen)
{
    char key[64];
    size_t n = strlen(name);

    if (n >= 2 && name[0] == '{' && name[n - 1] == '}') {
        name++;
        n -= 2;
    }
    if (n == 0 || n >= sizeof(key)) {
        return NULL;
    }
    memcpy(key, name, n);
    key[n] = '\0';
    if (strcmp(key, "j") == 0 || strcmp(key, "daemon_name") == 0) {
        return "mx.bench.test";
    }
    if (strcmp(key, "daemon_addr") == 0 || strcmp(key, "if_addr") == 0) {
        return "127.0.0.1";
    }
    if (strcmp(key, "daemon_port") == 0) {
        return s->daemon_port;
    }
    if (strcmp(key, "v") == 0) {
        return "Postfix 3.7 (miltergen)";
    }
    if (strcmp(key, "_") == 0) {
        snprintf(buf, buflen, "unknown [%s]", s->addr);
        return buf;
    }
    if (strcmp(key, "client_addr") == 0) {
        return s->addr;
    }
    if (strcmp(key, "client_port") == 0) {
        return s->client_port;
    }
    if (strcmp(key, "client_name") == 0 || strcmp(key, "client_ptr") == 0) {
        return "unknown";
    }
    if (strcmp(key, "if_name") == 0) {
        return "lo";
    }
    if (strcmp(key, "i") == 0) {
        return s->queue_id;
    }
    if (strcmp(key, "auth_type") == 0) {
        return s->auth ? "PLAIN" : NULL;
    }
    if (strcmp(key, "auth_authen") == 0) {
        return s->auth ? s->auth_user : NULL;
    }
    if (strcmp(key, "mail_addr") == 0) {
        return s->mail_addr;
    }
    if (strcmp(key, "mail_host") == 0) {
        return s->mail_host;
    }
    if (strcmp(key, "mail_mailer") == 0 || strcmp(key, "rcpt_mailer") == 0) {
        return "smtp";
    }
    if (strcmp(key, "rcpt_addr") == 0) {
        return s->rcpt_addr;
    }
    if (strcmp(key, "rcpt_host") == 0) {
        return s->rcpt_host;
    }
    return NULL; /* unknown macro: not sent, as Postfix does */
}

/* Postfix's default macro lists, with {daemon_port} added. */
static const char *const default_macros[4] = {
    "j {daemon_name} {daemon_addr} {daemon_port} v _ {client_addr} "
    "{client_port} {client_name}",
    "",
    "i {auth_type} {auth_authen} {auth_author} {mail_addr} {mail_host} "
    "{mail_mailer}",
    "i {rcpt_addr} {rcpt_host} {rcpt_mailer}"};

/* SMFIM_* index of each of our stages. */
static const int stage_symidx[S_NSTAGES] = {0, 1, 2, 3};
static const char stage_cmd[S_NSTAGES] = {SMFIC_CONNECT, SMFIC_HELO,
                                          SMFIC_MAIL, SMFIC_RCPT};

static void put_macros(mw_conn *c, const mw_optneg *on, enum stage stg,
                       const session *s)
{
    const char *list = on->has_symlist[stage_symidx[stg]]
                           ? on->symlist[stage_symidx[stg]]
                           : default_macros[stg];
    const char *names[32];
    const char *values[32];
    char namebuf[32][64];
    char valbuf[32][160];
    size_t n = 0;
    const char *p = list;
    size_t k = 0;
    const char *v = NULL;

    while (*p != '\0' && n < 32) {
        while (*p == ' ') {
            p++;
        }
        k = 0;
        while (p[k] != '\0' && p[k] != ' ') {
            k++;
        }
        if (k == 0) {
            break;
        }
        if (k < sizeof(namebuf[n])) {
            memcpy(namebuf[n], p, k);
            namebuf[n][k] = '\0';
            v = macro_value(s, namebuf[n], valbuf[n], sizeof(valbuf[n]));
            if (v != NULL) {
                names[n] = namebuf[n];
                values[n] = v;
                n++;
            }
        }
        p += k;
    }
    if (n > 0) {
        mw_put_macros(c, stage_cmd[stg], names, values, n);
    }
}

static enum verdict verdict_of(enum kind k)
{
    switch (k) {
    case K_ACCEPT:
        return V_ACCEPT;
    case K_REJECT:
    case K_REPLY5:
        return V_REJECT;
    case K_TEMPFAIL:
    case K_REPLY4:
        return V_TEMPFAIL;
    case K_DISCARD:
        return V_DISCARD;
    case K_CONNFAIL:
        return V_CONNFAIL;
    case K_SHUTDOWN:
        return V_SHUTDOWN;
    default:
        return V_CONTINUE;
    }
}

static enum err err_of(int st)
{
    switch (st) {
    case MW_REFUSED:
        return E_REFUSED;
    case MW_TIMEOUT:
        return E_TIMEOUT;
    case MW_EOF:
        return E_EOF;
    case MW_PROTO:
        return E_PROTO;
    default:
        return E_IO;
    }
}

/* Read the reply to a stage command: skips SMFIR_PROGRESS, classifies. */
static int read_reply(mw_conn *c, enum kind *kind, char *why, size_t whylen)
{
    char cmd = 0;
    const uint8_t *data = NULL;
    size_t len = 0;
    int st = MW_OK;

    for (;;) {
        st = mw_read(c, mw_now_ns() + (int64_t)opt.timeout_ms * 1000000, &cmd,
                     &data, &len);
        if (st != MW_OK) {
            snprintf(why, whylen, "%s", mw_status_name(st));
            return st;
        }
        switch (cmd) {
        case SMFIR_PROGRESS:
            continue; /* the milter asks for more time */
        case SMFIR_CONTINUE:
            *kind = K_CONTINUE;
            return MW_OK;
        case SMFIR_ACCEPT:
            *kind = K_ACCEPT;
            return MW_OK;
        case SMFIR_REJECT:
            *kind = K_REJECT;
            return MW_OK;
        case SMFIR_TEMPFAIL:
            *kind = K_TEMPFAIL;
            return MW_OK;
        case SMFIR_DISCARD:
            *kind = K_DISCARD;
            return MW_OK;
        case SMFIR_CONN_FAIL:
            *kind = K_CONNFAIL;
            return MW_OK;
        case SMFIR_SHUTDOWN:
            *kind = K_SHUTDOWN;
            return MW_OK;
        case SMFIR_SKIP:
            *kind = K_SKIP;
            return MW_OK;
        case SMFIR_REPLYCODE:
            /* "554 5.7.1 text\0": a 4xx or 5xx code, NUL-terminated. */
            if (len < 4 || data[len - 1] != '\0' ||
                (data[0] != '4' && data[0] != '5') || data[1] < '0' ||
                data[1] > '9' || data[2] < '0' || data[2] > '9') {
                snprintf(why, whylen, "malformed reply code");
                return MW_PROTO;
            }
            *kind = data[0] == '4' ? K_REPLY4 : K_REPLY5;
            if (data[0] == '4' && data[1] == '2' && data[2] == '1') {
                *kind = K_SHUTDOWN;
            }
            return MW_OK;
        default:
            snprintf(why, whylen, "unexpected reply '%c' (0x%02x)",
                     cmd >= 32 && cmd < 127 ? cmd : '?', (unsigned char)cmd);
            return MW_PROTO;
        }
    }
}

/* Fill the facts of session idx: class, address, auth, names. */
static void session_make(session *s, uint64_t idx)
{
    uint64_t r = pool_mix(opt.seed ^ pool_mix(idx));
    double u = (double)(r >> 11) / 9007199254740992.0;
    double ua = (double)(pool_mix(r) >> 11) / 9007199254740992.0;
    bool inside = false;

    memset(s, 0, sizeof(*s));
    s->idx = idx;
    if (opt.canary[0] != '\0' && opt.canary_every > 0 &&
        idx % opt.canary_every == 0) {
        s->cls = C_CANARY;
        snprintf(s->addr, sizeof(s->addr), "%s", opt.canary);
        s->family = opt.canary_family;
    } else {
        inside = inside_pool.n > 0 &&
                 (outside_pool.n == 0 || u < opt.hit_ratio);
        pool_draw(inside ? &inside_pool : &outside_pool, pool_mix(r + 1),
                  pool_mix(r + 2), s->addr, sizeof(s->addr), &s->family);
        s->cls = inside ? C_INSIDE : C_OUTSIDE;
    }
    s->auth = opt.mail != NULL && ua < opt.auth_ratio;
    if (s->auth && s->cls == C_OUTSIDE && opt.has_expect[C_AUTH]) {
        s->cls = C_AUTH;
    }
    snprintf(s->client_port, sizeof(s->client_port), "%u",
             (unsigned)(1024 + (r >> 40) % 64000));
    snprintf(s->daemon_port, sizeof(s->daemon_port), "%u", opt.port);
    snprintf(s->queue_id, sizeof(s->queue_id), "%08" PRIX64,
             idx & 0xffffffff);
    s->mail_host = opt.mail != NULL ? opt.mail : "sender.test";
    s->rcpt_host = opt.rcpt != NULL ? opt.rcpt : "rcpt.test";
    snprintf(s->sender, sizeof(s->sender), "<s%" PRIu64 "@%s>", idx % 1000,
             s->mail_host);
    snprintf(s->rcpt, sizeof(s->rcpt), "<r%" PRIu64 "@%s>", idx % 1000,
             s->rcpt_host);
    snprintf(s->auth_user, sizeof(s->auth_user), "user%" PRIu64,
             idx % 1000);
    snprintf(s->mail_addr, sizeof(s->mail_addr), "%.*s",
             (int)strlen(s->sender) - 2, s->sender + 1);
    snprintf(s->rcpt_addr, sizeof(s->rcpt_addr), "%.*s",
             (int)strlen(s->rcpt) - 2, s->rcpt + 1);
}

/* Send OPTNEG and read the milter's choice. */
static int negotiate(mw_conn *c, mw_optneg *on, char *why, size_t whylen)
{
    uint8_t buf[12];
    uint32_t v = 0;
    char cmd = 0;
    const uint8_t *data = NULL;
    size_t len = 0;
    int st = MW_OK;
    int64_t deadline = mw_now_ns() + (int64_t)opt.timeout_ms * 1000000;

    v = htonl(SMFI_PROT_VERSION);
    memcpy(buf, &v, 4);
    v = htonl(OFFER_ACTIONS);
    memcpy(buf + 4, &v, 4);
    v = htonl(OFFER_PROTOCOL);
    memcpy(buf + 8, &v, 4);
    mw_put(c, SMFIC_OPTNEG, buf, sizeof(buf));
    st = mw_flush(c, deadline);
    if (st == MW_OK) {
        st = mw_read(c, deadline, &cmd, &data, &len);
    }
    if (st != MW_OK) {
        snprintf(why, whylen, "%s", mw_status_name(st));
        return st;
    }
    if (cmd != SMFIC_OPTNEG) {
        snprintf(why, whylen, "expected option reply 'O', got 0x%02x",
                 (unsigned char)cmd);
        return MW_PROTO;
    }
    if (mw_optneg_parse(data, len, on, why, whylen) != 0) {
        return MW_PROTO;
    }
    if (on->version < 2 || on->version > SMFI_PROT_VERSION) {
        snprintf(why, whylen, "milter protocol version %u", on->version);
        return MW_PROTO;
    }
    if ((on->actions & ~(uint32_t)OFFER_ACTIONS) != 0 ||
        (on->protocol & ~(uint32_t)OFFER_PROTOCOL) != 0) {
        snprintf(why, whylen,
                 "milter asks for actions 0x%x protocol 0x%x not offered",
                 on->actions, on->protocol);
        return MW_PROTO;
    }
    return MW_OK;
}

static const uint32_t stage_no[S_NSTAGES] = {SMFIP_NOCONNECT, SMFIP_NOHELO,
                                             SMFIP_NOMAIL, SMFIP_NORCPT};
static const uint32_t stage_nr[S_NSTAGES] = {SMFIP_NR_CONN, SMFIP_NR_HELO,
                                             SMFIP_NR_MAIL, SMFIP_NR_RCPT};

static void log_session(const session *s, const int *replies,
                        enum verdict v, double conn_us, enum err e,
                        const char *why)
{
    char rep[S_NSTAGES + 1];
    unsigned i;
    static const char letters[K_NKINDS + 1] = "cart45dfxsn";

    for (i = 0; i < S_NSTAGES; i++) {
        rep[i] = replies[i] < 0 ? '-' : letters[replies[i]];
    }
    rep[S_NSTAGES] = '\0';
    /* idx ms class addr auth stages(connect,helo,mail,rcpt) verdict us err */
    fprintf(log_file, "%" PRIu64 " %.3f %s %s %d %s %s %.1f %s%s%s\n", s->idx,
            (double)(mw_now_ns() - run_start_ns) / 1e6, class_names[s->cls],
            s->addr, s->auth ? 1 : 0, rep, verdict_names[v], conn_us,
            err_names[e], why[0] ? ":" : "", why);
}

static void session_run(worker *w, uint64_t idx, bool record)
{
    mw_conn *c = &w->conn;
    stats *st = w->st;
    session s;
    mw_optneg on;
    char why[160] = "";
    char rwhy[120] = "";
    char cbuf[512];
    size_t clen = 0;
    uint16_t nport = 0;
    int replies[S_NSTAGES] = {-1, -1, -1, -1};
    enum kind kind = K_CONTINUE;
    enum verdict verdict = V_CONTINUE;
    enum err e = E_NONE;
    int err_at = 0; /* 0 open, 1 optneg, 2.. stages */
    int rc = MW_OK;
    int64_t t_start = mw_now_ns();
    int64_t t0 = 0;
    int64_t conn_ns = -1;
    int64_t deadline = 0;
    bool in_mail = false;
    enum stage stg = S_CONNECT;
    const char *arg = NULL;
    unsigned expect = 0;

    session_make(&s, idx);
    mw_init(c);
    rc = mw_connect(c, &opt.sock, opt.timeout_ms);
    if (rc != MW_OK) {
        snprintf(why, sizeof(why), "connect: %s", strerror(c->err));
        goto done;
    }
    err_at = 1;
    rc = negotiate(c, &on, why, sizeof(why));
    if (rc != MW_OK) {
        goto done;
    }
    for (stg = S_CONNECT; stg < S_NSTAGES; stg++) {
        if (stg == S_HELO && opt.helo == NULL && opt.mail == NULL) {
            break;
        }
        if (stg == S_MAIL && opt.mail == NULL) {
            break;
        }
        if (stg == S_RCPT && opt.rcpt == NULL) {
            break;
        }
        if (on.protocol & stage_no[stg]) {
            continue; /* the milter asked not to see this stage */
        }
        err_at = 2 + (int)stg;
        put_macros(c, &on, stg, &s);
        switch (stg) {
        case S_CONNECT:
            /* hostname\0 family port(2, network order) address\0 */
            clen = (size_t)snprintf(cbuf, sizeof(cbuf), "[%s]", s.addr) + 1;
            cbuf[clen++] = s.family == 4 ? SMFIA_INET : SMFIA_INET6;
            nport = htons((uint16_t)atoi(s.client_port));
            memcpy(cbuf + clen, &nport, 2);
            clen += 2;
            memcpy(cbuf + clen, s.addr, strlen(s.addr) + 1);
            clen += strlen(s.addr) + 1;
            break;
        case S_HELO:
            arg = opt.helo != NULL ? opt.helo : "client.bench.test";
            clen = strlen(arg) + 1;
            memcpy(cbuf, arg, clen);
            break;
        case S_MAIL:
            clen = strlen(s.sender) + 1;
            memcpy(cbuf, s.sender, clen);
            in_mail = true;
            break;
        default:
            clen = strlen(s.rcpt) + 1;
            memcpy(cbuf, s.rcpt, clen);
            break;
        }
        mw_put(c, stage_cmd[stg], cbuf, clen);
        t0 = mw_now_ns();
        deadline = t0 + (int64_t)opt.timeout_ms * 1000000;
        rc = mw_flush(c, deadline);
        if (rc != MW_OK) {
            snprintf(why, sizeof(why), "%s: send: %s", stage_names[stg],
                     mw_status_name(rc));
            goto done;
        }
        if (on.protocol & stage_nr[stg]) {
            replies[stg] = K_NOREPLY;
            continue;
        }
        rc = read_reply(c, &kind, rwhy, sizeof(rwhy));
        if (rc != MW_OK) {
            snprintf(why, sizeof(why), "%s: %s", stage_names[stg], rwhy);
            goto done;
        }
        if (stg == S_CONNECT) {
            conn_ns = mw_now_ns() - t0;
        }
        replies[stg] = kind;
        verdict = verdict_of(kind);
        if (verdict != V_CONTINUE) {
            break; /* decided: the MTA talks no more to this milter */
        }
    }
    err_at = S_NSTAGES + 2;
    /* Postfix closes the milter connection at once after a final reply to
     * CONNECT or HELO (milter8.c, LIBMILTER_AUTO_DISCONNECT); otherwise it
     * aborts an open transaction and quits. None of these has a reply. */
    if (verdict != V_CONTINUE && stg <= S_HELO && !opt.always_quit) {
        goto done;
    }
    if (in_mail) {
        mw_put(c, SMFIC_ABORT, NULL, 0);
    }
    mw_put(c, SMFIC_QUIT, NULL, 0);
    rc = mw_flush(c, mw_now_ns() + (int64_t)opt.timeout_ms * 1000000);
    if (rc != MW_OK) {
        snprintf(why, sizeof(why), "quit: %s", mw_status_name(rc));
        err_at = S_NSTAGES + 1;
        goto done;
    }
    if (opt.linger) {
        char cmd = 0;
        const uint8_t *data = NULL;
        size_t len = 0;
        /* Wait for the milter to close: its side of the session is done. */
        rc = mw_read(c, mw_now_ns() + (int64_t)opt.timeout_ms * 1000000, &cmd,
                     &data, &len);
        if (rc == MW_EOF) {
            rc = MW_OK;
        } else {
            snprintf(why, sizeof(why), "after quit: %s",
                     rc == MW_OK ? "unexpected data" : mw_status_name(rc));
            rc = rc == MW_OK ? MW_PROTO : rc;
            goto done;
        }
    }
done:
    mw_close(c);
    if (rc != MW_OK) {
        e = err_of(rc);
    }
    if (!record) {
        return;
    }
    st->sessions++;
    if (e != E_NONE) {
        st->errors[e]++;
        st->err_stage[err_at > S_NSTAGES + 1 ? S_NSTAGES + 1 : err_at]++;
        atomic_fetch_add(&total_errors, 1);
        report("session %" PRIu64 " (%s %s): %s", idx, class_names[s.cls],
               s.addr, why);
    } else {
        expect = opt.expect[s.cls];
        st->verdicts[s.cls][verdict]++;
        if (expect != 0 && (expect & (1u << verdict)) == 0) {
            st->mismatches++;
            atomic_fetch_add(&total_errors, 1);
            report("session %" PRIu64 ": %s client %s got %s", idx,
                   class_names[s.cls], s.addr, verdict_names[verdict]);
        } else {
            st->ok++;
        }
    }
    for (stg = S_CONNECT; stg < S_NSTAGES; stg++) {
        if (replies[stg] >= 0) {
            st->replies[stg][replies[stg]]++;
        }
    }
    if (conn_ns >= 0) {
        hist_add_shared(&connect_lat, (uint64_t)conn_ns);
    }
    if (e == E_NONE) {
        hist_add_shared(&session_lat, (uint64_t)(mw_now_ns() - t_start));
    }
    if (log_file != NULL) {
        log_session(&s, replies, verdict,
                    conn_ns >= 0 ? (double)conn_ns / 1e3 : -1.0, e, why);
    }
    if (e != E_NONE) {
        /* A dead milter refuses at once: do not spin on it. */
        struct timespec pause = {0, 1000000};
        nanosleep(&pause, NULL);
    }
}

static void *worker_main(void *arg)
{
    worker *w = arg;
    phase *ph = w->ph;
    uint64_t i = 0;

    for (;;) {
        if (atomic_load(&stop_flag)) {
            break;
        }
        if (ph->end_ns != 0 && mw_now_ns() >= ph->end_ns) {
            break;
        }
        i = atomic_fetch_add(&ph->next, 1);
        if (i >= ph->limit) {
            break;
        }
        session_run(w, ph->idx_base + i, ph->record);
        if (opt.max_errors > 0 &&
            atomic_load(&total_errors) >= opt.max_errors) {
            atomic_store(&stop_flag, true);
        }
    }
    return NULL;
}

/* Run a phase on opt.concurrency threads. Returns 0, or -1 (thread error). */
static int phase_run(phase *ph, worker *ws, unsigned n, int64_t hard_end)
{
    pthread_attr_t attr;
    unsigned started = 0;
    unsigned i;
    int rc = 0;
    struct timespec pause = {0, 20000000};

    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, 256 * 1024);
    for (i = 0; i < n; i++) {
        ws[i].ph = ph;
        if (pthread_create(&ws[i].tid, &attr, worker_main, &ws[i]) != 0) {
            fprintf(stderr, "miltergen: cannot start thread %u\n", i);
            atomic_store(&stop_flag, true);
            rc = -1;
            break;
        }
        started++;
    }
    pthread_attr_destroy(&attr);
    /* The main thread is the watchdog of --max-time. */
    if (hard_end != 0) {
        while (atomic_load(&ph->next) < ph->limit &&
               !atomic_load(&stop_flag) &&
               (ph->end_ns == 0 || mw_now_ns() < ph->end_ns)) {
            if (mw_now_ns() >= hard_end) {
                fprintf(stderr, "miltergen: --max-time reached, stopping\n");
                atomic_store(&stop_flag, true);
                break;
            }
            nanosleep(&pause, NULL);
        }
    }
    for (i = 0; i < started; i++) {
        pthread_join(ws[i].tid, NULL);
    }
    return rc;
}

typedef struct server_sample {
    bool ok;
    double cpu_s;
    unsigned long minflt;
    long threads;
    long rss_kb;
    long fds;
} server_sample;

static void server_read(long pid, server_sample *out)
{
    char path[64];
    char buf[4096];
    char *p = NULL;
    FILE *f = NULL;
    size_t n = 0;
    unsigned long utime = 0;
    unsigned long stime = 0;
    unsigned long minflt = 0;
    long threads = 0;
    DIR *d = NULL;
    struct dirent *de = NULL;
    long tck = sysconf(_SC_CLK_TCK);

    memset(out, 0, sizeof(*out));
    snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
    f = fopen(path, "r");
    if (f == NULL) {
        return;
    }
    n = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    buf[n] = '\0';
    /* Fields after the command name, which may hold spaces: field 3 on. */
    p = strrchr(buf, ')');
    if (p == NULL ||
        sscanf(p + 2,
               "%*c %*d %*d %*d %*d %*d %*u %lu %*u %*u %*u %lu %lu %*d %*d "
               "%*d %*d %ld",
               &minflt, &utime, &stime, &threads) != 4) {
        return;
    }
    out->minflt = minflt;
    out->cpu_s = (double)(utime + stime) / (double)(tck > 0 ? tck : 100);
    out->threads = threads;
    snprintf(path, sizeof(path), "/proc/%ld/status", pid);
    f = fopen(path, "r");
    if (f != NULL) {
        while (fgets(buf, sizeof(buf), f) != NULL) {
            if (strncmp(buf, "VmRSS:", 6) == 0) {
                out->rss_kb = strtol(buf + 6, NULL, 10);
            }
        }
        fclose(f);
    }
    snprintf(path, sizeof(path), "/proc/%ld/fd", pid);
    d = opendir(path);
    if (d != NULL) {
        while ((de = readdir(d)) != NULL) {
            if (de->d_name[0] != '.') {
                out->fds++;
            }
        }
        closedir(d);
    }
    out->ok = true;
}

/* Open the idle sessions: negotiated, then silent until the end. */
static unsigned idle_open(mw_conn *idle, unsigned n, uint64_t *errors)
{
    mw_optneg on;
    char why[160];
    unsigned i;
    int rc = MW_OK;

    for (i = 0; i < n && !atomic_load(&stop_flag); i++) {
        mw_init(&idle[i]);
        rc = mw_connect(&idle[i], &opt.sock, opt.timeout_ms);
        if (rc == MW_OK) {
            rc = negotiate(&idle[i], &on, why, sizeof(why));
        } else {
            snprintf(why, sizeof(why), "connect: %s",
                     strerror(idle[i].err));
        }
        if (rc != MW_OK) {
            report("idle session %u: %s", i, why);
            (*errors)++;
            mw_close(&idle[i]);
        }
    }
    return i;
}

static uint64_t idle_close(mw_conn *idle, unsigned n)
{
    uint64_t dropped = 0;
    unsigned i;

    for (i = 0; i < n; i++) {
        if (idle[i].fd < 0) {
            continue;
        }
        if (mw_peer_gone(&idle[i])) {
            dropped++;
        } else {
            mw_put(&idle[i], SMFIC_QUIT, NULL, 0);
            (void)mw_flush(&idle[i],
                           mw_now_ns() + (int64_t)opt.timeout_ms * 1000000);
        }
        mw_close(&idle[i]);
    }
    return dropped;
}

/* Fail early and clearly when nothing listens or nothing speaks milter. */
static int probe(void)
{
    mw_conn c;
    mw_optneg on;
    char why[160] = "";
    int rc = MW_OK;

    mw_init(&c);
    rc = mw_connect(&c, &opt.sock, opt.timeout_ms);
    if (rc != MW_OK) {
        snprintf(why, sizeof(why), "%s",
                 c.err != 0 ? strerror(c.err) : mw_status_name(rc));
    } else {
        rc = negotiate(&c, &on, why, sizeof(why));
    }
    if (rc == MW_OK) {
        mw_put(&c, SMFIC_QUIT, NULL, 0);
        (void)mw_flush(&c, mw_now_ns() + (int64_t)opt.timeout_ms * 1000000);
    }
    mw_close(&c);
    if (rc != MW_OK) {
        fprintf(stderr, "miltergen: cannot talk to %s: %s\n", opt.sock_spec,
                why);
        return -1;
    }
    return 0;
}

static void usage(FILE *f)
{
    fprintf(
        f,
        "usage: miltergen --socket SPEC [options]\n"
        "Plays the MTA side of the milter protocol (v6) against SPEC\n"
        "(unix:/path, /path, inet:PORT@127.0.0.1; loopback only).\n"
        "\n"
        "Load:\n"
        "  --sessions N        sessions to run (default 1000)\n"
        "  --duration S        run for S seconds instead\n"
        "  --concurrency C     parallel sessions, one thread each (1)\n"
        "  --warmup N          unmeasured sessions first (0)\n"
        "  --idle K            hold K more sessions open, idle after\n"
        "                      negotiate, for the whole run (0)\n"
        "  --max-time S        hard stop after S seconds (none)\n"
        "  --timeout MS        per socket operation (5000)\n"
        "  --max-errors N      stop the run after N errors (0: never)\n"
        "  --linger            after QUIT, wait for the milter to close\n"
        "  --always-quit       send QUIT also after a final CONNECT/HELO\n"
        "                      reply (default: close at once, as Postfix)\n"
        "Clients:\n"
        "  --inside CIDR       inside pool (repeatable; 199.89.0.0/21)\n"
        "  --outside CIDR      outside pool (repeatable; 203.0.113.0/24)\n"
        "  --inside-file F     inside pool from a file (CIDR per line)\n"
        "  --outside-file F    outside pool from a file\n"
        "  --hit-ratio R       fraction of inside clients (0.5)\n"
        "  --canary ADDR=V[,V] every --canary-every'th session (10)\n"
        "                      comes from ADDR and must get V\n"
        "  --port N            local port in {daemon_port} (25)\n"
        "  --helo NAME         send HELO (implied by --mail)\n"
        "  --mail DOMAIN       send MAIL FROM a sender at DOMAIN\n"
        "  --rcpt DOMAIN       send RCPT TO a recipient at DOMAIN\n"
        "  --auth-ratio R      fraction of MAILs with {auth_authen} (0)\n"
        "  --seed S            address and auth draws (1)\n"
        "Checks (V: continue accept reject tempfail discard connfail\n"
        "shutdown any, comma-separated alternatives):\n"
        "  --expect-inside V   verdict for inside clients\n"
        "  --expect-outside V  verdict for outside clients\n"
        "  --expect-auth V     verdict for authenticated outside clients\n"
        "Output:\n"
        "  --csv               CSV on stdout: bench,impl,concurrency,metric,"
        "value\n"
        "  --no-header         no CSV header line\n"
        "  --bench NAME --impl NAME   labels of the CSV rows\n"
        "  --server-pid PID    report the milter's CPU, RSS, threads, fds\n"
        "  --log FILE          one line per session\n"
        "  --quiet             no summary on stderr\n"
        "Exit: 0 all sessions as expected, 1 errors or mismatches,\n"
        "64 usage, 69 milter unreachable at start, 71 system error.\n");
}

static int expect_parse(const char *text, unsigned *out)
{
    char buf[128];
    char *tok = NULL;
    char *save = NULL;
    unsigned v = 0;
    bool found = false;

    if (strlen(text) >= sizeof(buf)) {
        return -1;
    }
    memcpy(buf, text, strlen(text) + 1);
    *out = 0;
    for (tok = strtok_r(buf, ",", &save); tok != NULL;
         tok = strtok_r(NULL, ",", &save)) {
        if (strcmp(tok, "any") == 0) {
            *out = (1u << V_NVERDICTS) - 1;
            continue;
        }
        found = false;
        for (v = 0; v < V_NVERDICTS; v++) {
            if (strcmp(tok, verdict_names[v]) == 0) {
                *out |= 1u << v;
                found = true;
            }
        }
        if (!found) {
            return -1;
        }
    }
    return *out != 0 ? 0 : -1;
}

static int num_parse(const char *text, double lo, double hi, double *out)
{
    char *end = NULL;
    double v = 0;

    errno = 0;
    v = strtod(text, &end);
    if (errno != 0 || end == text || *end != '\0' || v < lo || v > hi) {
        return -1;
    }
    *out = v;
    return 0;
}

enum {
    O_SOCKET = 256,
    O_SESSIONS,
    O_DURATION,
    O_CONCURRENCY,
    O_WARMUP,
    O_IDLE,
    O_MAXTIME,
    O_TIMEOUT,
    O_MAXERR,
    O_LINGER,
    O_ALWAYS_QUIT,
    O_INSIDE,
    O_OUTSIDE,
    O_INSIDE_FILE,
    O_OUTSIDE_FILE,
    O_HIT,
    O_CANARY,
    O_CANARY_EVERY,
    O_PORT,
    O_HELO,
    O_MAIL,
    O_RCPT,
    O_AUTH,
    O_SEED,
    O_EXP_IN,
    O_EXP_OUT,
    O_EXP_AUTH,
    O_CSV,
    O_NOHEADER,
    O_BENCH,
    O_IMPL,
    O_PID,
    O_LOG,
    O_QUIET,
    O_HELP,
};

static const struct option longopts[] = {
    {"socket", required_argument, NULL, O_SOCKET},
    {"sessions", required_argument, NULL, O_SESSIONS},
    {"duration", required_argument, NULL, O_DURATION},
    {"concurrency", required_argument, NULL, O_CONCURRENCY},
    {"warmup", required_argument, NULL, O_WARMUP},
    {"idle", required_argument, NULL, O_IDLE},
    {"max-time", required_argument, NULL, O_MAXTIME},
    {"timeout", required_argument, NULL, O_TIMEOUT},
    {"max-errors", required_argument, NULL, O_MAXERR},
    {"linger", no_argument, NULL, O_LINGER},
    {"always-quit", no_argument, NULL, O_ALWAYS_QUIT},
    {"inside", required_argument, NULL, O_INSIDE},
    {"outside", required_argument, NULL, O_OUTSIDE},
    {"inside-file", required_argument, NULL, O_INSIDE_FILE},
    {"outside-file", required_argument, NULL, O_OUTSIDE_FILE},
    {"hit-ratio", required_argument, NULL, O_HIT},
    {"canary", required_argument, NULL, O_CANARY},
    {"canary-every", required_argument, NULL, O_CANARY_EVERY},
    {"port", required_argument, NULL, O_PORT},
    {"helo", required_argument, NULL, O_HELO},
    {"mail", required_argument, NULL, O_MAIL},
    {"rcpt", required_argument, NULL, O_RCPT},
    {"auth-ratio", required_argument, NULL, O_AUTH},
    {"seed", required_argument, NULL, O_SEED},
    {"expect-inside", required_argument, NULL, O_EXP_IN},
    {"expect-outside", required_argument, NULL, O_EXP_OUT},
    {"expect-auth", required_argument, NULL, O_EXP_AUTH},
    {"csv", no_argument, NULL, O_CSV},
    {"no-header", no_argument, NULL, O_NOHEADER},
    {"bench", required_argument, NULL, O_BENCH},
    {"impl", required_argument, NULL, O_IMPL},
    {"server-pid", required_argument, NULL, O_PID},
    {"log", required_argument, NULL, O_LOG},
    {"quiet", no_argument, NULL, O_QUIET},
    {"help", no_argument, NULL, O_HELP},
    {NULL, 0, NULL, 0},
};

/* Parse argv into opt and the pools. Returns 0, or an exit code. */
static int args_parse(int argc, char **argv)
{
    char err[512];
    double d = 0;
    int c = 0;
    char *eq = NULL;
    pool tmp = {NULL, 0, 0};
    char canary_exp[128];
    unsigned i;

    opt.sessions = 1000;
    opt.concurrency = 1;
    opt.timeout_ms = 5000;
    opt.seed = 1;
    opt.hit_ratio = 0.5;
    opt.port = 25;
    opt.canary_every = 10;
    opt.bench = "sessions";
    opt.impl = "milter";
    opt.header = true;
    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (c) {
        case O_SOCKET:
            if (mw_addr_parse(optarg, &opt.sock, err, sizeof(err)) != 0) {
                fprintf(stderr, "miltergen: --socket: %s\n", err);
                return EX_USAGE;
            }
            opt.sock_spec = optarg;
            break;
        case O_SESSIONS:
            if (num_parse(optarg, 1, 1e12, &d) != 0) {
                goto bad;
            }
            opt.sessions = (uint64_t)d;
            break;
        case O_DURATION:
            if (num_parse(optarg, 0.001, 1e7, &opt.duration) != 0) {
                goto bad;
            }
            break;
        case O_CONCURRENCY:
            if (num_parse(optarg, 1, MAX_THREADS, &d) != 0) {
                goto bad;
            }
            opt.concurrency = (unsigned)d;
            break;
        case O_WARMUP:
            if (num_parse(optarg, 0, 1e12, &d) != 0) {
                goto bad;
            }
            opt.warmup = (uint64_t)d;
            break;
        case O_IDLE:
            if (num_parse(optarg, 0, MAX_IDLE, &d) != 0) {
                goto bad;
            }
            opt.idle = (unsigned)d;
            break;
        case O_MAXTIME:
            if (num_parse(optarg, 0.001, 1e7, &opt.max_time) != 0) {
                goto bad;
            }
            break;
        case O_TIMEOUT:
            if (num_parse(optarg, 1, 3600000, &d) != 0) {
                goto bad;
            }
            opt.timeout_ms = (int)d;
            break;
        case O_MAXERR:
            if (num_parse(optarg, 0, 1e15, &d) != 0) {
                goto bad;
            }
            opt.max_errors = (uint64_t)d;
            break;
        case O_LINGER:
            opt.linger = true;
            break;
        case O_ALWAYS_QUIT:
            opt.always_quit = true;
            break;
        case O_INSIDE:
        case O_OUTSIDE:
            if (pool_add(c == O_INSIDE ? &inside_pool : &outside_pool, optarg,
                         err, sizeof(err)) != 0) {
                fprintf(stderr, "miltergen: %s\n", err);
                return EX_USAGE;
            }
            break;
        case O_INSIDE_FILE:
        case O_OUTSIDE_FILE:
            if (pool_add_file(c == O_INSIDE_FILE ? &inside_pool
                                                 : &outside_pool,
                              optarg, err, sizeof(err)) != 0) {
                fprintf(stderr, "miltergen: %s\n", err);
                return EX_USAGE;
            }
            break;
        case O_HIT:
            if (num_parse(optarg, 0, 1, &opt.hit_ratio) != 0) {
                goto bad;
            }
            break;
        case O_CANARY:
            eq = strchr(optarg, '=');
            if (eq == NULL || (size_t)(eq - optarg) >= sizeof(opt.canary) ||
                strlen(eq + 1) >= sizeof(canary_exp)) {
                goto bad;
            }
            memcpy(opt.canary, optarg, (size_t)(eq - optarg));
            opt.canary[eq - optarg] = '\0';
            memcpy(canary_exp, eq + 1, strlen(eq + 1) + 1);
            if (pool_add(&tmp, opt.canary, err, sizeof(err)) != 0 ||
                expect_parse(canary_exp, &opt.expect[C_CANARY]) != 0) {
                pool_free(&tmp);
                goto bad;
            }
            opt.canary_family = tmp.v[0].family;
            opt.has_expect[C_CANARY] = true;
            pool_free(&tmp);
            break;
        case O_CANARY_EVERY:
            if (num_parse(optarg, 1, 1e9, &d) != 0) {
                goto bad;
            }
            opt.canary_every = (unsigned)d;
            break;
        case O_PORT:
            if (num_parse(optarg, 0, 65535, &d) != 0) {
                goto bad;
            }
            opt.port = (unsigned)d;
            break;
        case O_HELO:
            opt.helo = optarg;
            break;
        case O_MAIL:
            opt.mail = optarg;
            break;
        case O_RCPT:
            opt.rcpt = optarg;
            break;
        case O_AUTH:
            if (num_parse(optarg, 0, 1, &opt.auth_ratio) != 0) {
                goto bad;
            }
            break;
        case O_SEED:
            if (num_parse(optarg, 0, 1.8e19, &d) != 0) {
                goto bad;
            }
            opt.seed = (uint64_t)d;
            break;
        case O_EXP_IN:
        case O_EXP_OUT:
        case O_EXP_AUTH: {
            enum class k = c == O_EXP_IN    ? C_INSIDE
                           : c == O_EXP_OUT ? C_OUTSIDE
                                            : C_AUTH;
            if (expect_parse(optarg, &opt.expect[k]) != 0) {
                goto bad;
            }
            opt.has_expect[k] = true;
            break;
        }
        case O_CSV:
            opt.csv = true;
            break;
        case O_NOHEADER:
            opt.header = false;
            break;
        case O_BENCH:
            opt.bench = optarg;
            break;
        case O_IMPL:
            opt.impl = optarg;
            break;
        case O_PID:
            if (num_parse(optarg, 1, 4194304, &d) != 0) {
                goto bad;
            }
            opt.server_pid = (long)d;
            break;
        case O_LOG:
            opt.log_path = optarg;
            break;
        case O_QUIET:
            opt.quiet = true;
            break;
        case O_HELP:
        case 'h':
            usage(stdout);
            return -1;
        default:
            usage(stderr);
            return EX_USAGE;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "miltergen: unexpected argument \"%s\"\n",
                argv[optind]);
        return EX_USAGE;
    }
    if (opt.sock_spec == NULL) {
        fprintf(stderr, "miltergen: --socket is required\n");
        usage(stderr);
        return EX_USAGE;
    }
    if (opt.rcpt != NULL && opt.mail == NULL) {
        opt.mail = "sender.test"; /* RCPT needs a transaction */
    }
    if (inside_pool.n == 0 && outside_pool.n == 0) {
        /* MailRoute (enabled in the shipped config) and TEST-NET-3. */
        if (pool_add(&inside_pool, "199.89.0.0/21", err, sizeof(err)) != 0 ||
            pool_add(&outside_pool, "203.0.113.0/24", err, sizeof(err)) !=
                0) {
            fprintf(stderr, "miltergen: %s\n", err);
            return EX_OSERR;
        }
    }
    if (!opt.has_expect[C_AUTH]) {
        opt.expect[C_AUTH] = opt.expect[C_OUTSIDE];
    }
    return 0;
bad:
    for (i = 0; longopts[i].name != NULL; i++) {
        if (longopts[i].val == c) {
            fprintf(stderr, "miltergen: bad value for --%s: \"%s\"\n",
                    longopts[i].name, optarg);
        }
    }
    return EX_USAGE;
}

static void csv_row(const char *metric, double value)
{
    if (!opt.csv) {
        return;
    }
    if (value == (double)(int64_t)value && value < 1e15 && value > -1e15) {
        printf("%s,%s,%u,%s,%" PRId64 "\n", opt.bench, opt.impl,
               opt.concurrency, metric, (int64_t)value);
    } else {
        printf("%s,%s,%u,%s,%.3f\n", opt.bench, opt.impl, opt.concurrency,
               metric, value);
    }
}

int main(int argc, char **argv)
{
    struct sigaction sa;
    struct rlimit rl;
    worker *ws = NULL;
    mw_conn *idle = NULL;
    stats *total = NULL;
    phase warm;
    phase run;
    server_sample s0 = {0};
    server_sample s1 = {0};
    uint64_t idle_errors = 0;
    uint64_t idle_dropped = 0;
    uint64_t errors = 0;
    unsigned idle_n = 0;
    unsigned i;
    unsigned j;
    unsigned k;
    int64_t t_begin = 0;
    int64_t t_end = 0;
    int64_t hard_end = 0;
    double elapsed = 0;
    char name[96];
    int rc = EX_OSERR;
    int pr = 0;

    pr = args_parse(argc, argv);
    if (pr != 0) {
        rc = pr < 0 ? 0 : pr;
        goto out;
    }
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sa.sa_handler = SIG_IGN;
    sigaction(SIGPIPE, &sa, NULL);

    /* Every session and idle session is a descriptor. */
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        (void)setrlimit(RLIMIT_NOFILE, &rl);
    }
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 &&
        rl.rlim_cur < (rlim_t)opt.idle + opt.concurrency + 32) {
        fprintf(stderr,
                "miltergen: %u idle + %u sessions need more than the %lu "
                "file descriptors allowed (ulimit -n)\n",
                opt.idle, opt.concurrency, (unsigned long)rl.rlim_cur);
        rc = EX_OSERR;
        goto out;
    }
    if (opt.log_path != NULL) {
        log_file = fopen(opt.log_path, "w");
        if (log_file == NULL) {
            fprintf(stderr, "miltergen: %s: %s\n", opt.log_path,
                    strerror(errno));
            rc = EX_CANTCREAT;
            goto out;
        }
    }
    ws = calloc(opt.concurrency, sizeof(*ws));
    total = calloc(1, sizeof(*total));
    idle = calloc(opt.idle > 0 ? opt.idle : 1, sizeof(*idle));
    if (ws == NULL || total == NULL || idle == NULL) {
        fprintf(stderr, "miltergen: out of memory\n");
        goto out;
    }
    for (i = 0; i < opt.concurrency; i++) {
        ws[i].st = calloc(1, sizeof(stats));
        if (ws[i].st == NULL) {
            fprintf(stderr, "miltergen: out of memory\n");
            goto out;
        }
    }
    if (probe() != 0) {
        rc = EX_UNAVAILABLE;
        goto out;
    }
    run_start_ns = mw_now_ns();
    if (opt.max_time > 0) {
        hard_end = run_start_ns + (int64_t)(opt.max_time * 1e9);
    }
    if (opt.warmup > 0) {
        memset(&warm, 0, sizeof(warm));
        warm.limit = opt.warmup;
        warm.idx_base = UINT64_C(1) << 62;
        warm.record = false;
        if (phase_run(&warm, ws, opt.concurrency, hard_end) != 0) {
            goto out;
        }
    }
    if (opt.idle > 0) {
        idle_n = idle_open(idle, opt.idle, &idle_errors);
    }
    if (opt.server_pid > 0) {
        server_read(opt.server_pid, &s0);
    }
    memset(&run, 0, sizeof(run));
    run.limit = opt.duration > 0 ? UINT64_MAX : opt.sessions;
    run.record = true;
    t_begin = mw_now_ns();
    if (opt.duration > 0) {
        run.end_ns = t_begin + (int64_t)(opt.duration * 1e9);
    }
    if (phase_run(&run, ws, opt.concurrency, hard_end) != 0) {
        goto out;
    }
    t_end = mw_now_ns();
    if (opt.server_pid > 0) {
        server_read(opt.server_pid, &s1);
    }
    idle_dropped = idle_close(idle, idle_n);

    for (i = 0; i < opt.concurrency; i++) {
        stats *st = ws[i].st;
        total->sessions += st->sessions;
        total->ok += st->ok;
        total->mismatches += st->mismatches;
        for (j = 0; j < S_NSTAGES; j++) {
            for (k = 0; k < K_NKINDS; k++) {
                total->replies[j][k] += st->replies[j][k];
            }
        }
        for (j = 0; j < C_NCLASSES; j++) {
            for (k = 0; k < V_NVERDICTS; k++) {
                total->verdicts[j][k] += st->verdicts[j][k];
            }
        }
        for (j = 0; j < E_NERRS; j++) {
            total->errors[j] += st->errors[j];
        }
        for (j = 0; j < S_NSTAGES + 2; j++) {
            total->err_stage[j] += st->err_stage[j];
        }
    }
    elapsed = (double)(t_end - t_begin) / 1e9;
    for (j = 0; j < E_NERRS; j++) {
        errors += total->errors[j];
    }
    errors += idle_errors + idle_dropped;

    if (opt.csv && opt.header) {
        printf("bench,impl,concurrency,metric,value\n");
    }
    csv_row("sessions", (double)total->sessions);
    csv_row("sessions_ok", (double)total->ok);
    csv_row("elapsed_s", elapsed);
    csv_row("sessions_per_s",
            elapsed > 0 ? (double)total->sessions / elapsed : 0);
    csv_row("connect_p50_us",
            (double)hist_quantile(&connect_lat, 0.50) / 1e3);
    csv_row("connect_p99_us",
            (double)hist_quantile(&connect_lat, 0.99) / 1e3);
    csv_row("connect_mean_us", hist_mean(&connect_lat) / 1e3);
    csv_row("connect_max_us", (double)connect_lat.max / 1e3);
    csv_row("session_p50_us",
            (double)hist_quantile(&session_lat, 0.50) / 1e3);
    csv_row("session_p99_us",
            (double)hist_quantile(&session_lat, 0.99) / 1e3);
    for (j = 0; j < S_NSTAGES; j++) {
        for (k = 0; k < K_NKINDS; k++) {
            if (total->replies[j][k] > 0) {
                snprintf(name, sizeof(name), "reply_%s_%s", stage_names[j],
                         kind_names[k]);
                csv_row(name, (double)total->replies[j][k]);
            }
        }
    }
    for (j = 0; j < C_NCLASSES; j++) {
        for (k = 0; k < V_NVERDICTS; k++) {
            if (total->verdicts[j][k] > 0) {
                snprintf(name, sizeof(name), "verdict_%s_%s", class_names[j],
                         verdict_names[k]);
                csv_row(name, (double)total->verdicts[j][k]);
            }
        }
    }
    csv_row("errors", (double)errors);
    for (j = 1; j < E_NERRS; j++) {
        if (total->errors[j] > 0) {
            snprintf(name, sizeof(name), "errors_%s", err_names[j]);
            csv_row(name, (double)total->errors[j]);
        }
    }
    csv_row("mismatches", (double)total->mismatches);
    if (opt.idle > 0) {
        csv_row("idle", (double)idle_n);
        csv_row("idle_errors", (double)idle_errors);
        csv_row("idle_dropped", (double)idle_dropped);
    }
    if (s0.ok && s1.ok) {
        csv_row("server_cpu_us_per_session",
                total->sessions
                    ? (s1.cpu_s - s0.cpu_s) * 1e6 / (double)total->sessions
                    : 0);
        csv_row("server_cpu_util", elapsed > 0 ? (s1.cpu_s - s0.cpu_s) /
                                                     elapsed
                                               : 0);
        csv_row("server_minflt_per_session",
                total->sessions ? (double)(s1.minflt - s0.minflt) /
                                      (double)total->sessions
                                : 0);
        /* At the start of the measured phase (after --warmup and the idle
         * sessions), then at its end: growth shows leaks. */
        csv_row("server_rss_kb_start", (double)s0.rss_kb);
        csv_row("server_rss_kb", (double)s1.rss_kb);
        csv_row("server_threads_start", (double)s0.threads);
        csv_row("server_threads", (double)s1.threads);
        csv_row("server_fds_start", (double)s0.fds);
        csv_row("server_fds", (double)s1.fds);
    }
    fflush(stdout);

    if (!opt.quiet) {
        fprintf(stderr,
                "miltergen %s/%s c=%u: %" PRIu64 " sessions in %.2f s = "
                "%.0f/s; connect reply p50 %.1f us p99 %.1f us; "
                "%" PRIu64 " errors, %" PRIu64 " mismatches",
                opt.bench, opt.impl, opt.concurrency, total->sessions,
                elapsed,
                elapsed > 0 ? (double)total->sessions / elapsed : 0,
                (double)hist_quantile(&connect_lat, 0.5) / 1e3,
                (double)hist_quantile(&connect_lat, 0.99) / 1e3,
                errors, total->mismatches);
        if (opt.idle > 0) {
            fprintf(stderr, "; %u idle held, %" PRIu64 " dropped", idle_n,
                    idle_dropped);
        }
        fputc('\n', stderr);
        for (j = 0; j < C_NCLASSES; j++) {
            bool any = false;
            for (k = 0; k < V_NVERDICTS; k++) {
                if (total->verdicts[j][k] == 0) {
                    continue;
                }
                fprintf(stderr, "%s  %s: %s %" PRIu64,
                        any ? "," : "", any ? "" : class_names[j],
                        verdict_names[k], total->verdicts[j][k]);
                any = true;
            }
            if (any) {
                fputc('\n', stderr);
            }
        }
    }
    rc = (errors > 0 || total->mismatches > 0 || atomic_load(&stop_flag))
             ? 1
             : 0;
    if (total->sessions == 0) {
        rc = 1;
    }
out:
    if (ws != NULL) {
        for (i = 0; i < opt.concurrency; i++) {
            free(ws[i].st);
        }
    }
    free(ws);
    free(idle);
    free(total);
    pool_free(&inside_pool);
    pool_free(&outside_pool);
    if (log_file != NULL) {
        fclose(log_file);
    }
    return rc;
}
