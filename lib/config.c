/*
 * config.c - load lockdown.yaml and the provider profiles it names.
 *
 * The schema is data: one ys_key table per mapping (see yamlschema.h), each
 * key with its type and handler. Handlers fill a private loader; only when
 * every file has been read and every check has passed is the ld_config
 * handed out, so a bad file never half-applies. Nothing here is global:
 * two threads may load two configs at once.
 */
#include "config.h"
#include "config_impl.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <syslog.h>

#include "sockspec.h"
#include "yamlschema.h"

#define LD_NAME_MAX 64 /* provider keys and trusted names */
#define LD_DOMAIN_MAX 253

static const char default_refuse_reply[] =
    "554 5.7.1 Mail must arrive through the filtering service";
static const char default_relay_reply[] = "554 5.7.1 Relay access denied";
static const char default_drift_reply[] =
    "451 4.7.1 Provider server not in the lockdown ranges, try again later";

const char *const config_mode_names[] = {"enforce", "monitor", NULL};
static const char *const refuse_at_names[] = {"connect", "mail", NULL};
static const char *const unknown_names[] = {
    "tempfail", "reject", "accept", NULL};
static const char *const state_names[] = {"enabled", "disabled", NULL};
static const char *const log_names[] = {"decisions", "refusals", NULL};
static const char *const facility_names[] = {"mail",
                                             "daemon",
                                             "local0",
                                             "local1",
                                             "local2",
                                             "local3",
                                             "local4",
                                             "local5",
                                             "local6",
                                             "local7",
                                             NULL};
static const int facility_values[] = {LOG_MAIL,
                                      LOG_DAEMON,
                                      LOG_LOCAL0,
                                      LOG_LOCAL1,
                                      LOG_LOCAL2,
                                      LOG_LOCAL3,
                                      LOG_LOCAL4,
                                      LOG_LOCAL5,
                                      LOG_LOCAL6,
                                      LOG_LOCAL7};

/* Provider keys and trusted names: what logs and `lockdownctl` print as one
 * awk field, and what names the profile file. */
static bool name_valid(const char *s, size_t len)
{
    size_t i = 0;

    if (len == 0 || len > LD_NAME_MAX) {
        return false;
    }
    for (i = 0; i < len; i++) {
        char ch = s[i];

        if (!((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
              ch == '-' || ch == '_')) {
            return false;
        }
    }
    return true;
}

/* ---------------------------------------------------------------- entries */

static int entry_grow(struct loader *l)
{
    ld_entry *e = l->cur;
    size_t cap = l->curcap ? l->curcap * 2 : 4;
    void *p = NULL;

    if (cap > SIZE_MAX / sizeof(ld_range)) {
        return -1;
    }
    p = realloc(e->ranges, cap * sizeof(*e->ranges));
    if (p == NULL) {
        return -1;
    }
    e->ranges = p;
    p = realloc(e->range_text, cap * sizeof(*e->range_text));
    if (p == NULL) {
        return -1;
    }
    e->range_text = p;
    p = realloc(e->range_mark, cap * sizeof(*e->range_mark));
    if (p == NULL) {
        return -1;
    }
    e->range_mark = p;
    l->curcap = cap;
    return 0;
}

int config_h_range(ys_ctx *c, const ys_node *n, const ys_value *v, void *obj)
{
    struct loader *l = obj;
    ld_entry *e = l->cur;
    char msg[LD_ERRLEN];
    ld_range r;
    char *text = NULL;

    memset(&r, 0, sizeof(r));
    msg[0] = '\0';
    if (range_parse(v->s, &r, msg, sizeof(msg)) != 0) {
        return ys_error(c, n, "%s", msg);
    }
    if (e->nranges == l->curcap && entry_grow(l) != 0) {
        return ys_error(c, n, "out of memory");
    }
    text = strdup(v->s);
    if (text == NULL) {
        return ys_error(c, n, "out of memory");
    }
    e->ranges[e->nranges] = r;
    e->range_text[e->nranges] = text;
    e->range_mark[e->nranges].file = l->file;
    e->range_mark[e->nranges].line = n->line;
    e->range_mark[e->nranges].col = n->col;
    e->nranges++;
    return 0;
}

/* One element of a list being checked for repeats, with its index. */
struct config_ref {
    const void *p;
    size_t i;
    int (*cmp)(const void *, const void *);
};

/* By value, then by index: each run of equal values in file order. */
static int config_ref_cmp(const void *a, const void *b)
{
    const struct config_ref *x = a;
    const struct config_ref *y = b;
    int d = x->cmp(x->p, y->p);

    if (d == 0) {
        d = x->i < y->i ? -1 : (x->i > y->i ? 1 : 0);
    }
    return d;
}

/*
 * The element of v[0..n) that repeats an earlier one and comes first in the
 * file: *dup is its index (SIZE_MAX: none) and *orig the earlier one's.
 * cmp compares two elements. -1 when out of memory.
 */
static int config_find_repeat(const void *v,
                              size_t n,
                              size_t size,
                              int (*cmp)(const void *, const void *),
                              size_t *dup,
                              size_t *orig)
{
    struct config_ref *refs = NULL;
    size_t i = 0;
    size_t first = 0;

    *dup = SIZE_MAX;
    *orig = 0;
    if (n < 2) {
        return 0;
    }
    refs = calloc(n, sizeof(*refs));
    if (refs == NULL) {
        return -1;
    }
    for (i = 0; i < n; i++) {
        refs[i].p = (const char *)v + i * size;
        refs[i].i = i;
        refs[i].cmp = cmp;
    }
    qsort(refs, n, sizeof(*refs), config_ref_cmp);
    for (i = 1; i < n; i++) {
        if (cmp(refs[i - 1].p, refs[i].p) != 0) {
            first = i;
        } else if (i == first + 1 && refs[i].i < *dup) {
            *dup = refs[i].i;
            *orig = refs[first].i;
        }
    }
    free(refs);
    return 0;
}

static int range_cmp(const void *a, const void *b)
{
    const ld_range *x = a;
    const ld_range *y = b;
    int d = 0;

    if (x->family != y->family) {
        return x->family < y->family ? -1 : 1;
    }
    d = memcmp(x->lo, y->lo, sizeof(x->lo));
    if (d == 0) {
        d = memcmp(x->hi, y->hi, sizeof(x->hi));
    }
    return d;
}

/* The same range twice in one entry is a mistake (a paste, a typo in the
 * other line); in two entries it is allowed and the lowest index wins. */
int config_h_ranges_end(ys_ctx *c,
                        const ys_node *n,
                        const ys_value *v,
                        void *obj)
{
    struct loader *l = obj;
    ld_entry *e = l->cur;
    size_t dup = SIZE_MAX;
    size_t orig = 0;

    (void)v;
    /* Report the repeat that comes first in the file. */
    if (config_find_repeat(e->ranges,
                           e->nranges,
                           sizeof(e->ranges[0]),
                           range_cmp,
                           &dup,
                           &orig) != 0) {
        return ys_error(c, n, "out of memory");
    }
    if (dup != SIZE_MAX) {
        char q1[YS_QUOTELEN];
        char q2[YS_QUOTELEN];

        return ys_error_at(
            c,
            e->range_mark[dup].line,
            e->range_mark[dup].col,
            "%s is the same range as %s (line %u)",
            ys_quote(
                e->range_text[dup], strlen(e->range_text[dup]), q1, sizeof(q1)),
            ys_quote(e->range_text[orig],
                     strlen(e->range_text[orig]),
                     q2,
                     sizeof(q2)),
            e->range_mark[orig].line);
    }
    return 0;
}

int config_h_relay_entry(ys_ctx *c,
                         const ys_node *n,
                         const ys_value *v,
                         void *obj)
{
    struct loader *l = obj;

    (void)c;
    (void)n;
    l->cur->relay = v->b;
    return 0;
}

int config_set_string(ys_ctx *c,
                      const ys_node *n,
                      const ys_value *v,
                      char **dst)
{
    *dst = strdup(v->s);
    if (*dst == NULL) {
        return ys_error(c, n, "out of memory");
    }
    return 0;
}

/* ---------------------------------------------------------------- main */

static int h_mode(ys_ctx *c, const ys_node *n, const ys_value *v, void *obj)
{
    struct loader *l = obj;

    (void)c;
    (void)n;
    l->c->mode = (enum ld_mode)v->n;
    return 0;
}

static int h_log(ys_ctx *c, const ys_node *n, const ys_value *v, void *obj)
{
    struct loader *l = obj;

    (void)c;
    (void)n;
    l->c->log = (enum ld_log)v->n;
    return 0;
}

static int
h_providers_dir(ys_ctx *c, const ys_node *n, const ys_value *v, void *obj)
{
    struct loader *l = obj;
    size_t len = v->len;

    /* "providers/" and "providers" name the same place. */
    while (len > 1 && v->s[len - 1] == '/') {
        len--;
    }
    l->providers_dir = strndup(v->s, len);
    if (l->providers_dir == NULL) {
        return ys_error(c, n, "out of memory");
    }
    return 0;
}

static const ld_entry *trusted_find(const struct loader *l, const char *name)
{
    size_t i = 0;

    for (i = 0; i < l->ntrusted; i++) {
        if (l->trusted[i].name != NULL &&
            strcmp(l->trusted[i].name, name) == 0) {
            return &l->trusted[i];
        }
    }
    return NULL;
}

static int h_provider(ys_ctx *c, const ys_node *n, const ys_value *v, void *obj)
{
    struct loader *l = obj;
    const ld_entry *t = NULL;
    struct pending *p = NULL;
    char q[YS_QUOTELEN];

    (void)n;
    ys_quote(v->key_s, v->key->len, q, sizeof(q));
    if (!name_valid(v->key_s, v->key->len)) {
        return ys_error(c,
                        v->key,
                        "%s is not a valid profile name (a-z, 0-9, - and _, "
                        "at most %d characters; the file is NAME.yaml)",
                        q,
                        LD_NAME_MAX);
    }
    t = trusted_find(l, v->key_s);
    if (t != NULL) {
        return ys_error(c,
                        v->key,
                        "%s is already the name of a trusted entry (line %u)",
                        q,
                        t->mark.line);
    }
    if (l->nprov + l->ntrusted >= LD_MAX_ENTRIES) {
        return ys_error(c,
                        v->key,
                        "too many providers and trusted entries (at most %d)",
                        LD_MAX_ENTRIES);
    }
    if (l->nprov == l->capprov) {
        size_t cap = l->capprov ? l->capprov * 2 : 8;
        struct pending *np = realloc(l->prov, cap * sizeof(*np));

        if (np == NULL) {
            return ys_error(c, v->key, "out of memory");
        }
        l->prov = np;
        l->capprov = cap;
    }
    p = &l->prov[l->nprov];
    memset(p, 0, sizeof(*p));
    p->key = strdup(v->key_s);
    if (p->key == NULL) {
        return ys_error(c, v->key, "out of memory");
    }
    p->enabled = v->n == 0;
    p->line = v->key->line;
    p->col = v->key->col;
    l->nprov++;
    return 0;
}

static int
h_trusted_begin(ys_ctx *c, const ys_node *n, const ys_value *v, void *obj)
{
    struct loader *l = obj;
    ld_entry *e = NULL;

    (void)v;
    if (l->nprov + l->ntrusted >= LD_MAX_ENTRIES) {
        return ys_error(c,
                        n,
                        "too many providers and trusted entries (at most %d)",
                        LD_MAX_ENTRIES);
    }
    if (l->ntrusted == l->captrusted) {
        size_t cap = l->captrusted ? l->captrusted * 2 : 8;
        ld_entry *ne = realloc(l->trusted, cap * sizeof(*ne));

        if (ne == NULL) {
            return ys_error(c, n, "out of memory");
        }
        l->trusted = ne;
        l->captrusted = cap;
    }
    e = &l->trusted[l->ntrusted++];
    memset(e, 0, sizeof(*e));
    e->kind = LD_ENTRY_TRUSTED;
    e->enabled = true;
    e->mark.file = l->file;
    e->mark.line = n->line;
    e->mark.col = n->col;
    l->cur = e;
    l->curcap = 0;
    return 0;
}

static int
h_trusted_name(ys_ctx *c, const ys_node *n, const ys_value *v, void *obj)
{
    struct loader *l = obj;
    const ld_entry *t = NULL;
    char q[YS_QUOTELEN];
    size_t i = 0;

    ys_quote(v->s, v->len, q, sizeof(q));
    if (!name_valid(v->s, v->len)) {
        return ys_error(c,
                        n,
                        "%s is not a valid name (a-z, 0-9, - and _, at most "
                        "%d characters)",
                        q,
                        LD_NAME_MAX);
    }
    t = trusted_find(l, v->s);
    if (t != NULL) {
        return ys_error(c,
                        n,
                        "%s is already the name of trusted[%zu] (line %u)",
                        q,
                        (size_t)(t - l->trusted),
                        t->mark.line);
    }
    for (i = 0; i < l->nprov; i++) {
        if (strcmp(l->prov[i].key, v->s) == 0) {
            return ys_error(c,
                            n,
                            "%s is already the name of a provider (line %u)",
                            q,
                            l->prov[i].line);
        }
    }
    return config_set_string(c, n, v, &l->cur->name);
}

static int h_port(ys_ctx *c, const ys_node *n, const ys_value *v, void *obj)
{
    struct loader *l = obj;
    ld_config *cfg = l->c;
    uint16_t port = (uint16_t)v->n;

    if (l->portseen == NULL) {
        l->portseen = calloc(65536 / 8, 1);
        if (l->portseen == NULL) {
            return ys_error(c, n, "out of memory");
        }
    }
    if (l->portseen[port / 8] & (1u << (port % 8))) {
        return ys_error(c, n, "%u is listed twice", (unsigned)port);
    }
    l->portseen[port / 8] |= (uint8_t)(1u << (port % 8));
    if (cfg->nports == l->capports) {
        size_t cap = l->capports ? l->capports * 2 : 8;
        uint16_t *p = realloc(cfg->ports, cap * sizeof(*p));

        if (p == NULL) {
            return ys_error(c, n, "out of memory");
        }
        cfg->ports = p;
        l->capports = cap;
    }
    cfg->ports[cfg->nports++] = port;
    return 0;
}

static int
h_refuse_at(ys_ctx *c, const ys_node *n, const ys_value *v, void *obj)
{
    struct loader *l = obj;

    (void)c;
    (void)n;
    l->c->refuse_at = (enum ld_refuse_at)v->n;
    return 0;
}

static int
h_refuse_reply(ys_ctx *c, const ys_node *n, const ys_value *v, void *obj)
{
    struct loader *l = obj;

    return config_reply_set(c, n, v->s, &l->c->refuse_reply);
}

/* A provider's server is never bounced for being new: 4xx only. */
static int
h_drift_reply(ys_ctx *c, const ys_node *n, const ys_value *v, void *obj)
{
    struct loader *l = obj;
    char q[YS_QUOTELEN];

    if (v->s[0] != '4') {
        return ys_error(c,
                        n,
                        "%s: a provider's server outside the ranges must "
                        "be asked to retry, so the code must be 4xx, like "
                        "451 4.7.1",
                        ys_quote(v->s, v->len, q, sizeof(q)));
    }
    return config_reply_set(c, n, v->s, &l->c->drift_reply);
}

static int
h_relay_reply(ys_ctx *c, const ys_node *n, const ys_value *v, void *obj)
{
    struct loader *l = obj;

    return config_reply_set(c, n, v->s, &l->c->relay_reply);
}

static int h_unknown(ys_ctx *c, const ys_node *n, const ys_value *v, void *obj)
{
    struct loader *l = obj;

    (void)c;
    (void)n;
    l->c->unknown_client = (enum ld_unknown)v->n;
    return 0;
}

/* Lower-case, without the root dot, each label 1-63 of a-z 0-9 '-' not at
 * either end, not all digits at the end (that is an address). */
static int
domain_normalize(const char *s, char *out, size_t outlen, const char **why)
{
    size_t len = strlen(s);
    size_t i = 0;
    size_t label = 0;
    bool digits = true;

    if (len > 0 && s[len - 1] == '.') {
        len--;
    }
    if (len == 0 || len > LD_DOMAIN_MAX || len + 1 > outlen) {
        *why = "is not a domain name (1 to 253 characters)";
        return -1;
    }
    for (i = 0; i <= len; i++) {
        char ch = i < len ? s[i] : '.';

        if (ch >= 'A' && ch <= 'Z') {
            ch = (char)(ch - 'A' + 'a');
        }
        if (ch == '.') {
            if (label == 0) {
                *why = "is not a domain name (empty label)";
                return -1;
            }
            if (label > 63) {
                *why = "is not a domain name (a label is longer than 63)";
                return -1;
            }
            if (out[i - 1] == '-') {
                *why = "is not a domain name (a label ends with '-')";
                return -1;
            }
            if (i == len && digits) {
                *why = "is an address, not a domain name";
                return -1;
            }
            label = 0;
            digits = true;
        } else if ((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
                   ch == '-') {
            if (label == 0 && ch == '-') {
                *why = "is not a domain name (a label starts with '-')";
                return -1;
            }
            if (!(ch >= '0' && ch <= '9')) {
                digits = false;
            }
            label++;
        } else {
            *why = "is not a domain name (only letters, digits, '-' and '.'; "
                   "write IDNs in xn-- form)";
            return -1;
        }
        if (i < len) {
            out[i] = ch;
        }
    }
    out[len] = '\0';
    return 0;
}

/* A list of domains being read, with where each was written. */
struct domlist {
    char ***v;
    size_t *n;
    ld_mark **marks;
    size_t *cap;
};

static int domain_add(ys_ctx *c,
                      const ys_node *n,
                      const ys_value *v,
                      const char *file,
                      struct domlist d)
{
    char norm[LD_DOMAIN_MAX + 2];
    const char *why = NULL;
    char q[YS_QUOTELEN];

    if (domain_normalize(v->s, norm, sizeof(norm), &why) != 0) {
        return ys_error(
            c, n, "%s %s", ys_quote(v->s, v->len, q, sizeof(q)), why);
    }
    if (*d.n == *d.cap) {
        size_t cap = *d.cap ? *d.cap * 2 : 8;
        char **p = realloc(*d.v, cap * sizeof(*p));
        ld_mark *m = NULL;

        if (p == NULL) {
            return ys_error(c, n, "out of memory");
        }
        *d.v = p;
        m = realloc(*d.marks, cap * sizeof(*m));
        if (m == NULL) {
            return ys_error(c, n, "out of memory");
        }
        *d.marks = m;
        *d.cap = cap;
    }
    (*d.v)[*d.n] = strdup(norm);
    if ((*d.v)[*d.n] == NULL) {
        return ys_error(c, n, "out of memory");
    }
    (*d.marks)[*d.n].file = file;
    (*d.marks)[*d.n].line = n->line;
    (*d.marks)[*d.n].col = n->col;
    (*d.n)++;
    return 0;
}

static int str_ptr_cmp(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int domains_unique(ys_ctx *c, const ys_node *n, struct domlist d)
{
    size_t dup = SIZE_MAX;
    size_t orig = 0;

    if (config_find_repeat(
            *d.v, *d.n, sizeof((*d.v)[0]), str_ptr_cmp, &dup, &orig) != 0) {
        return ys_error(c, n, "out of memory");
    }
    if (dup != SIZE_MAX) {
        return ys_error_at(c,
                           (*d.marks)[dup].line,
                           (*d.marks)[dup].col,
                           "\"%s\" is listed twice (first at line %u)",
                           (*d.v)[dup],
                           (*d.marks)[orig].line);
    }
    return 0;
}

static struct domlist local_domains(struct loader *l)
{
    struct domlist d = {&l->c->local_domains,
                        &l->c->nlocal_domains,
                        &l->dommark,
                        &l->capdomains};

    return d;
}

static struct domlist scope_domains(struct loader *l)
{
    struct domlist d = {&l->c->scope_domains,
                        &l->c->nscope_domains,
                        &l->scopemark,
                        &l->capscope};

    return d;
}

static int h_domain(ys_ctx *c, const ys_node *n, const ys_value *v, void *obj)
{
    struct loader *l = obj;

    return domain_add(c, n, v, l->file, local_domains(l));
}

static int
h_domains_end(ys_ctx *c, const ys_node *n, const ys_value *v, void *obj)
{
    (void)v;
    return domains_unique(c, n, local_domains(obj));
}

static int
h_scope_domain(ys_ctx *c, const ys_node *n, const ys_value *v, void *obj)
{
    struct loader *l = obj;

    return domain_add(c, n, v, l->file, scope_domains(l));
}

static int
h_scope_domains_end(ys_ctx *c, const ys_node *n, const ys_value *v, void *obj)
{
    (void)v;
    return domains_unique(c, n, scope_domains(obj));
}

static int
h_relay_auth(ys_ctx *c, const ys_node *n, const ys_value *v, void *obj)
{
    struct loader *l = obj;

    (void)c;
    (void)n;
    l->c->relay_authenticated = v->b;
    return 0;
}

static int h_socket(ys_ctx *c, const ys_node *n, const ys_value *v, void *obj)
{
    struct loader *l = obj;
    char msg[LD_ERRLEN];
    ld_sockspec spec;

    msg[0] = '\0';
    if (sockspec_parse(v->s, &spec, msg, sizeof(msg)) != 0) {
        return ys_error(c, n, "%s", msg);
    }
    return config_set_string(c, n, v, &l->c->daemon.socket);
}

static int
h_socket_mode(ys_ctx *c, const ys_node *n, const ys_value *v, void *obj)
{
    struct loader *l = obj;
    char q[YS_QUOTELEN];

    /* Whoever can write the socket can ask the milter to accept a spammer
     * as if it were a provider. */
    if (v->n & S_IWOTH) {
        return ys_error(c,
                        n,
                        "%s makes the socket writable by others (any local "
                        "user could talk to the milter); use \"0660\" and "
                        "socket_owner",
                        ys_quote(v->s, v->len, q, sizeof(q)));
    }
    l->c->daemon.socket_mode = (mode_t)v->n;
    return 0;
}

/* "user" or "user:group": names or numbers, no white space. */
static bool owner_valid(const char *s)
{
    const char *colon = strchr(s, ':');
    size_t ul = colon ? (size_t)(colon - s) : strlen(s);
    size_t i = 0;

    if (ul == 0 || ul > 32 || s[0] == '-') {
        return false;
    }
    for (i = 0; s[i] != '\0'; i++) {
        char ch = s[i];

        if (s + i == colon) {
            continue;
        }
        if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
              (ch >= '0' && ch <= '9') || ch == '_' || ch == '-' ||
              ch == '.')) {
            return false;
        }
    }
    if (colon != NULL) {
        size_t gl = strlen(colon + 1);

        if (gl == 0 || gl > 32 || colon[1] == '-' ||
            strchr(colon + 1, ':') != NULL) {
            return false;
        }
    }
    return true;
}

static int owner_set(ys_ctx *c, const ys_node *n, const ys_value *v, char **dst)
{
    char q[YS_QUOTELEN];

    if (!owner_valid(v->s)) {
        return ys_error(c,
                        n,
                        "%s is not \"user\" or \"user:group\"",
                        ys_quote(v->s, v->len, q, sizeof(q)));
    }
    return config_set_string(c, n, v, dst);
}

static int
h_socket_owner(ys_ctx *c, const ys_node *n, const ys_value *v, void *obj)
{
    struct loader *l = obj;

    return owner_set(c, n, v, &l->c->daemon.socket_owner);
}

static int h_user(ys_ctx *c, const ys_node *n, const ys_value *v, void *obj)
{
    struct loader *l = obj;

    return owner_set(c, n, v, &l->c->daemon.user);
}

static int h_pidfile(ys_ctx *c, const ys_node *n, const ys_value *v, void *obj)
{
    struct loader *l = obj;
    char q[YS_QUOTELEN];

    if (v->s[0] != '/') {
        return ys_error(c,
                        n,
                        "%s must be an absolute path",
                        ys_quote(v->s, v->len, q, sizeof(q)));
    }
    return config_set_string(c, n, v, &l->c->daemon.pidfile);
}

static int h_facility(ys_ctx *c, const ys_node *n, const ys_value *v, void *obj)
{
    struct loader *l = obj;

    (void)c;
    (void)n;
    l->c->daemon.syslog_facility = facility_values[v->n];
    return 0;
}

/* ---------------------------------------------------------------- schema */

static const ys_key trusted_keys[] = {
    {.name = "name",
     .type = YS_STRING,
     .flags = YS_REQUIRED,
     .fn = h_trusted_name},
    {.name = "ranges",
     .type = YS_SEQ,
     .flags = YS_REQUIRED | YS_NONEMPTY,
     .elem = YS_STRING,
     .fn = config_h_range,
     .end = config_h_ranges_end},
    {.name = "relay", .type = YS_BOOL, .fn = config_h_relay_entry},
    {.name = NULL},
};

static const ys_key scope_keys[] = {
    {.name = "ports", .type = YS_SEQ, .elem = YS_PORT, .fn = h_port},
    {.name = "domains",
     .type = YS_SEQ,
     .elem = YS_STRING,
     .fn = h_scope_domain,
     .end = h_scope_domains_end},
    {.name = NULL},
};

static const ys_key refuse_keys[] = {
    {.name = "at",
     .type = YS_ENUM,
     .enums = refuse_at_names,
     .fn = h_refuse_at},
    {.name = "reply", .type = YS_STRING, .fn = h_refuse_reply},
    {.name = "drift_reply", .type = YS_STRING, .fn = h_drift_reply},
    {.name = NULL},
};

static const ys_key relay_keys[] = {
    {.name = "local_domains",
     .type = YS_SEQ,
     .elem = YS_STRING,
     .fn = h_domain,
     .end = h_domains_end},
    {.name = "authenticated", .type = YS_BOOL, .fn = h_relay_auth},
    {.name = "reply", .type = YS_STRING, .fn = h_relay_reply},
    {.name = NULL},
};

static const ys_key daemon_keys[] = {
    {.name = "socket", .type = YS_STRING, .fn = h_socket},
    {.name = "socket_mode", .type = YS_OCTAL, .fn = h_socket_mode},
    {.name = "socket_owner", .type = YS_STRING, .fn = h_socket_owner},
    {.name = "user", .type = YS_STRING, .fn = h_user},
    {.name = "pidfile", .type = YS_STRING, .fn = h_pidfile},
    {.name = "syslog_facility",
     .type = YS_ENUM,
     .enums = facility_names,
     .fn = h_facility},
    {.name = NULL},
};

static const ys_key main_keys[] = {
    {.name = "mode", .type = YS_ENUM, .enums = config_mode_names, .fn = h_mode},
    {.name = "providers_dir", .type = YS_STRING, .fn = h_providers_dir},
    {.name = "providers",
     .type = YS_DICT,
     .flags = YS_REQUIRED,
     .elem = YS_ENUM,
     .enums = state_names,
     .fn = h_provider},
    {.name = "trusted",
     .type = YS_SEQ_MAP,
     .sub = trusted_keys,
     .begin = h_trusted_begin},
    {.name = "scope", .type = YS_MAP, .sub = scope_keys},
    {.name = "refuse", .type = YS_MAP, .sub = refuse_keys},
    {.name = "unknown_client",
     .type = YS_ENUM,
     .enums = unknown_names,
     .fn = h_unknown},
    {.name = "relay", .type = YS_MAP, .sub = relay_keys},
    {.name = "daemon", .type = YS_MAP, .sub = daemon_keys},
    {.name = "log", .type = YS_ENUM, .enums = log_names, .fn = h_log},
    {.name = NULL},
};

/* ---------------------------------------------------------------- build */

static int config_build_sets(ld_config *c)
{
    addrset_builder *ab = addrset_builder_new();
    addrset_builder *db = addrset_builder_new();
    size_t i = 0;
    size_t j = 0;
    int rc = -1;

    if (ab == NULL || db == NULL) {
        goto out;
    }
    for (i = 0; i < c->nentries; i++) {
        const ld_entry *e = &c->entries[i];
        addrset_builder *b = e->enabled ? ab : db;

        if (e->kind == LD_ENTRY_PROVIDER && e->enabled) {
            c->tls_any = c->tls_any || e->ntls_names > 0;
            c->hostnames_any = c->hostnames_any || e->nhostnames > 0;
        }

        for (j = 0; j < e->nranges; j++) {
            if (addrset_builder_add_range(b, &e->ranges[j], (uint16_t)i) != 0) {
                goto out;
            }
        }
    }
    c->allowed = addrset_build(ab);
    ab = NULL;
    c->disabled = addrset_build(db);
    db = NULL;
    if (c->allowed == NULL || c->disabled == NULL) {
        goto out;
    }
    rc = 0;

out:
    if (ab != NULL) {
        addrset_builder_free(ab);
    }
    if (db != NULL) {
        addrset_builder_free(db);
    }
    return rc;
}

static int config_warn(ld_config *c, const char *text)
{
    char **p = realloc(c->warnings, (c->nwarnings + 1) * sizeof(*p));

    if (p == NULL) {
        return -1;
    }
    c->warnings = p;
    p[c->nwarnings] = strdup(text);
    if (p[c->nwarnings] == NULL) {
        return -1;
    }
    c->nwarnings++;
    return 0;
}

static int str_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * A profile file that "providers:" does not name is a warning, not an
 * error: a package upgrade that ships a new profile must not stop the
 * milter. Returns -1 only when out of memory.
 */
static int
config_scan_dir(ld_config *c, const struct loader *l, const char *main_file)
{
    DIR *dir = NULL;
    struct dirent *de = NULL;
    char **names = NULL;
    size_t nnames = 0;
    size_t cap = 0;
    size_t i = 0;
    int rc = -1;

    dir = opendir(c->providers_dir);
    if (dir == NULL) {
        /* Nothing to list: every named profile was read already, so only
         * an unreadable directory is worth a word. */
        if (errno != ENOENT && l->nprov == 0) {
            char e[128];
            char line[LD_ERRLEN];

            snprintf(line,
                     sizeof(line),
                     "%s:1:1: warning: cannot list providers_dir \"%s\": %s",
                     main_file,
                     c->providers_dir,
                     config_errno_text(errno, e, sizeof(e)));
            return config_warn(c, line);
        }
        return 0;
    }
    while ((de = readdir(dir)) != NULL) {
        size_t len = strlen(de->d_name);
        bool named = false;

        if (de->d_name[0] == '.' || len <= 5 ||
            strcmp(de->d_name + len - 5, ".yaml") != 0 ||
            de->d_type == DT_DIR) {
            continue;
        }
        for (i = 0; i < l->nprov && !named; i++) {
            named = strlen(l->prov[i].key) == len - 5 &&
                    strncmp(l->prov[i].key, de->d_name, len - 5) == 0;
        }
        if (named) {
            continue;
        }
        if (nnames == cap) {
            char **p = NULL;

            cap = cap ? cap * 2 : 8;
            p = realloc(names, cap * sizeof(*p));
            if (p == NULL) {
                goto out;
            }
            names = p;
        }
        names[nnames] = strdup(de->d_name);
        if (names[nnames] == NULL) {
            goto out;
        }
        nnames++;
    }
    /* readdir() order is the file system's; messages should not be. */
    if (nnames > 1) {
        qsort(names, nnames, sizeof(*names), str_cmp);
    }
    for (i = 0; i < nnames; i++) {
        size_t stem = strlen(names[i]) - 5;
        char *path = config_path_join(c->providers_dir, names[i]);
        char line[LD_ERRLEN * 2];
        int w = 0;

        if (path == NULL) {
            goto out;
        }
        if (name_valid(names[i], stem)) {
            w = snprintf(line,
                         sizeof(line),
                         "%s:1:1: warning: profile \"%.*s\" is not listed "
                         "under providers: in %s and is ignored (add "
                         "\"%.*s: disabled\" there to silence this)",
                         path,
                         (int)stem,
                         names[i],
                         main_file,
                         (int)stem,
                         names[i]);
        } else {
            w = snprintf(line,
                         sizeof(line),
                         "%s:1:1: warning: not a valid profile name, not "
                         "listed under providers: in %s; the file is ignored",
                         path,
                         main_file);
        }
        free(path);
        (void)w;
        if (config_warn(c, line) != 0) {
            goto out;
        }
    }
    rc = 0;

out:
    for (i = 0; i < nnames; i++) {
        free(names[i]);
    }
    free(names);
    closedir(dir);
    return rc;
}

static int port_cmp(const void *a, const void *b)
{
    uint16_t x = *(const uint16_t *)a;
    uint16_t y = *(const uint16_t *)b;

    return x < y ? -1 : (x > y ? 1 : 0);
}

static void loader_free(struct loader *l)
{
    size_t i = 0;

    for (i = 0; i < l->nprov; i++) {
        free(l->prov[i].key);
    }
    free(l->prov);
    for (i = 0; i < l->ntrusted; i++) {
        config_entry_clear(&l->trusted[i]);
    }
    free(l->trusted);
    free(l->portseen);
    free(l->dommark);
    free(l->scopemark);
    free(l->providers_dir);
    memset(l, 0, sizeof(*l));
}

static int config_defaults(ld_config *c)
{
    char msg[LD_ERRLEN];

    c->mode = LD_MODE_ENFORCE;
    c->log = LD_LOG_DECISIONS;
    c->refuse_at = LD_REFUSE_CONNECT;
    c->unknown_client = LD_UNKNOWN_TEMPFAIL;
    c->relay_authenticated = true;
    c->daemon.socket_mode = 0660;
    c->daemon.syslog_facility = LOG_MAIL;
    if (config_reply_parse(
            default_refuse_reply, &c->refuse_reply, msg, sizeof(msg)) != 0 ||
        config_reply_parse(
            default_relay_reply, &c->relay_reply, msg, sizeof(msg)) != 0 ||
        config_reply_parse(
            default_drift_reply, &c->drift_reply, msg, sizeof(msg)) != 0) {
        return -1;
    }
    return 0;
}

/*
 * The main file, already in memory. name: for messages and c->path;
 * basedir: where providers_dir is relative to (NULL: the current
 * directory).
 */
static ld_config *config_load_buffer(const char *buf,
                                     size_t len,
                                     const char *name,
                                     const char *basedir,
                                     char *err,
                                     size_t errlen)
{
    ld_config *c = NULL;
    struct loader l;
    ys_doc doc;
    const char *file = NULL;
    size_t i = 0;
    int ok = 0;

    memset(&l, 0, sizeof(l));
    memset(&doc, 0, sizeof(doc));
    if (err != NULL && errlen > 0) {
        err[0] = '\0';
    }
    c = calloc(1, sizeof(*c));
    if (c == NULL || config_defaults(c) != 0) {
        config_error(err, errlen, name, 1, 1, "out of memory");
        goto out;
    }
    c->path = strdup(name);
    file = config_add_file(c, name);
    if (c->path == NULL || file == NULL) {
        config_error(err, errlen, name, 1, 1, "out of memory");
        goto out;
    }
    l.c = c;
    l.file = file;
    if (config_walk(&doc, buf, len, main_keys, &l, err, errlen) != 0) {
        goto out;
    }
    ys_doc_free(&doc);

    if (c->nports > 1) {
        qsort(c->ports, c->nports, sizeof(*c->ports), port_cmp);
    }
    c->providers_dir = config_path_join(
        basedir, l.providers_dir ? l.providers_dir : "providers");
    if (c->providers_dir == NULL) {
        config_error(err, errlen, file, 1, 1, "out of memory");
        goto out;
    }

    /* Providers first, in the order of "providers:", then trusted entries:
     * the index is the addrset tag and the lowest one wins a tie. */
    c->entries = calloc(l.nprov + l.ntrusted + 1, sizeof(*c->entries));
    if (c->entries == NULL) {
        config_error(err, errlen, file, 1, 1, "out of memory");
        goto out;
    }
    for (i = 0; i < l.nprov; i++) {
        if (config_provider_load(
                c, &l.prov[i], &c->entries[c->nentries], file, err, errlen) !=
            0) {
            goto out;
        }
        c->nentries++;
    }
    c->nproviders = c->nentries;
    for (i = 0; i < l.ntrusted; i++) {
        c->entries[c->nentries++] = l.trusted[i];
    }
    free(l.trusted);
    l.trusted = NULL;
    l.ntrusted = 0;

    if (config_build_sets(c) != 0) {
        config_error(
            err, errlen, file, 1, 1, "out of memory building the address sets");
        goto out;
    }
    if (config_scan_dir(c, &l, file) != 0) {
        config_error(err, errlen, file, 1, 1, "out of memory");
        goto out;
    }
    ok = 1;

out:
    ys_doc_free(&doc);
    loader_free(&l);
    if (!ok) {
        config_free(c);
        c = NULL;
    }
    return c;
}

ld_config *config_load_string(const char *yaml,
                              const char *name,
                              const char *basedir,
                              char *err,
                              size_t errlen)
{
    if (name == NULL) {
        name = "<string>";
    }
    if (yaml == NULL) {
        config_error(err, errlen, name, 1, 1, "no input");
        return NULL;
    }
    return config_load_buffer(yaml,
                              strnlen(yaml, (size_t)LD_MAX_FILE + 1),
                              name,
                              basedir,
                              err,
                              errlen);
}

ld_config *config_load_file(const char *path, char *err, size_t errlen)
{
    ld_config *c = NULL;
    char *buf = NULL;
    char *basedir = NULL;
    const char *slash = NULL;
    size_t len = 0;
    int open_errno = 0;
    char msg[LD_ERRLEN];

    if (path == NULL || path[0] == '\0') {
        config_error(err, errlen, "<none>", 1, 1, "no configuration file");
        return NULL;
    }
    if (config_file_read(path, &buf, &len, &open_errno, msg, sizeof(msg)) !=
        0) {
        if (open_errno != 0) {
            config_error(err, errlen, path, 1, 1, "cannot open: %s", msg);
        } else {
            config_error(err, errlen, path, 1, 1, "%s", msg);
        }
        goto out;
    }
    slash = strrchr(path, '/');
    if (slash != NULL) {
        size_t dl = slash == path ? 1 : (size_t)(slash - path);

        basedir = strndup(path, dl);
        if (basedir == NULL) {
            config_error(err, errlen, path, 1, 1, "out of memory");
            goto out;
        }
    }
    c = config_load_buffer(buf, len, path, basedir, err, errlen);

out:
    free(basedir);
    free(buf);
    return c;
}

/* ---------------------------------------------------------------- queries */

void config_entry_clear(ld_entry *e)
{
    size_t i = 0;

    if (e == NULL) {
        return;
    }
    free(e->name);
    free(e->display);
    free(e->source);
    free(e->ranges);
    if (e->range_text != NULL) {
        for (i = 0; i < e->nranges; i++) {
            free(e->range_text[i]);
        }
    }
    free(e->range_text);
    free(e->range_mark);
    free(e->hostnames);
    free(e->tls_names);
    memset(e, 0, sizeof(*e));
}

int config_entry_find(const ld_config *c, const char *name)
{
    size_t i = 0;

    if (c == NULL || name == NULL) {
        return -1;
    }
    for (i = 0; i < c->nentries; i++) {
        if (c->entries[i].name != NULL &&
            strcmp(c->entries[i].name, name) == 0) {
            return (int)i;
        }
    }
    return -1;
}

enum ld_mode config_entry_mode(const ld_config *c, const ld_entry *e)
{
    if (e != NULL && e->has_mode) {
        return e->mode;
    }
    return c != NULL ? c->mode : LD_MODE_ENFORCE;
}

bool config_port_locked(const ld_config *c, int port)
{
    size_t lo = 0;
    size_t hi = 0;

    if (c == NULL || port < 0 || c->nports == 0) {
        return true;
    }
    if (port > 65535) {
        return false;
    }
    hi = c->nports;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;

        if (c->ports[mid] == port) {
            return true;
        }
        if (c->ports[mid] < port) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    return false;
}

/* Is domain (any case, one trailing dot ignored) one of list? */
static bool domain_listed(char *const *list, size_t n, const char *domain)
{
    size_t len = 0;
    size_t i = 0;

    len = strlen(domain);
    if (len > 0 && domain[len - 1] == '.') {
        len--;
    }
    if (len == 0) {
        return false;
    }
    for (i = 0; i < n; i++) {
        if (strlen(list[i]) == len && strncasecmp(list[i], domain, len) == 0) {
            return true;
        }
    }
    return false;
}

bool config_domain_local(const ld_config *c, const char *domain)
{
    if (c == NULL || domain == NULL) {
        return false;
    }
    return domain_listed(c->local_domains, c->nlocal_domains, domain);
}

bool config_domain_scoped(const ld_config *c, const char *domain)
{
    if (c == NULL || c->nscope_domains == 0 || domain == NULL ||
        domain[0] == '\0' || domain[0] == '[') {
        return true;
    }
    return domain_listed(c->scope_domains, c->nscope_domains, domain);
}

void config_free(ld_config *c)
{
    size_t i = 0;

    if (c == NULL) {
        return;
    }
    for (i = 0; i < c->nentries; i++) {
        config_entry_clear(&c->entries[i]);
    }
    free(c->entries);
    free(c->ports);
    for (i = 0; i < c->nlocal_domains; i++) {
        free(c->local_domains[i]);
    }
    free(c->local_domains);
    for (i = 0; i < c->nscope_domains; i++) {
        free(c->scope_domains[i]);
    }
    free(c->scope_domains);
    config_reply_clear(&c->refuse_reply);
    config_reply_clear(&c->drift_reply);
    config_reply_clear(&c->relay_reply);
    free(c->daemon.socket);
    free(c->daemon.socket_owner);
    free(c->daemon.user);
    free(c->daemon.pidfile);
    if (c->allowed != NULL) {
        addrset_free(c->allowed);
    }
    if (c->disabled != NULL) {
        addrset_free(c->disabled);
    }
    for (i = 0; i < c->nwarnings; i++) {
        free(c->warnings[i]);
    }
    free(c->warnings);
    free(c->providers_dir);
    for (i = 0; i < c->nfiles; i++) {
        free(c->files[i]);
    }
    free(c->files);
    free(c->path);
    free(c);
}
