/*
 * yamlschema.c - strict YAML reading against a declarative schema.
 * See yamlschema.h for the contract.
 */
#include "yamlschema.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "port.h"

/* ---------------------------------------------------------------- errors */

void ys_verror(char *err,
               size_t errlen,
               const char *file,
               unsigned line,
               unsigned col,
               const char *path,
               const char *fmt,
               va_list ap)
{
    int w = 0;
    size_t used = 0;

    if (err == NULL || errlen == 0) {
        return;
    }
    w = snprintf(err, errlen, "%s:%u:%u: ", file, line, col);
    if (w < 0 || (size_t)w >= errlen) {
        return;
    }
    used = (size_t)w;
    if (path != NULL && path[0] != '\0') {
        w = snprintf(err + used, errlen - used, "%s: ", path);
        if (w < 0 || (size_t)w >= errlen - used) {
            return;
        }
        used += (size_t)w;
    }
    vsnprintf(err + used, errlen - used, fmt, ap);
}

static void ys_doc_error(const ys_doc *d,
                         char *err,
                         size_t errlen,
                         unsigned line,
                         unsigned col,
                         const char *fmt,
                         ...) __attribute__((format(printf, 6, 7)));

static void ys_doc_error(const ys_doc *d,
                         char *err,
                         size_t errlen,
                         unsigned line,
                         unsigned col,
                         const char *fmt,
                         ...)
{
    va_list ap;

    va_start(ap, fmt);
    ys_verror(err, errlen, d->file, line, col, NULL, fmt, ap);
    va_end(ap);
}

int ys_error(ys_ctx *c, const ys_node *n, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    ys_verror(
        c->err, c->errlen, c->doc->file, n->line, n->col, c->path, fmt, ap);
    va_end(ap);
    return -1;
}

int ys_error_at(ys_ctx *c, unsigned line, unsigned col, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    ys_verror(c->err, c->errlen, c->doc->file, line, col, c->path, fmt, ap);
    va_end(ap);
    return -1;
}

const char *ys_quote(const char *s, size_t len, char *buf, size_t buflen)
{
    static const char hex[] = "0123456789abcdef";
    size_t o = 0;
    size_t i = 0;

    if (buflen < 16) {
        if (buflen > 0) {
            buf[0] = '\0';
        }
        return buf;
    }
    buf[o++] = '"';
    for (i = 0; i < len; i++) {
        unsigned char ch = (unsigned char)s[i];
        bool cont = (ch & 0xc0) == 0x80;

        /* Room for one escaped byte (4), "...", the closing quote and NUL.
         * A lead byte also keeps room for its continuation bytes, so valid
         * UTF-8 is never cut in the middle; a stray run of continuation
         * bytes still stops at the hard limit. */
        if (o + 4 + 3 + 2 > buflen || (!cont && o + 4 + 3 + 4 + 2 > buflen)) {
            memcpy(buf + o, "...", 3);
            o += 3;
            break;
        }
        if (ch == '"' || ch == '\\') {
            buf[o++] = '\\';
            buf[o++] = (char)ch;
        } else if (ch == '\n') {
            buf[o++] = '\\';
            buf[o++] = 'n';
        } else if (ch == '\t') {
            buf[o++] = '\\';
            buf[o++] = 't';
        } else if (ch == '\r') {
            buf[o++] = '\\';
            buf[o++] = 'r';
        } else if (ch < 0x20 || ch == 0x7f) {
            buf[o++] = '\\';
            buf[o++] = 'x';
            buf[o++] = hex[ch >> 4];
            buf[o++] = hex[ch & 0xf];
        } else {
            buf[o++] = (char)ch;
        }
    }
    buf[o++] = '"';
    buf[o] = '\0';
    return buf;
}

/* ---------------------------------------------------------------- parse */

struct ys_open {
    uint32_t idx;  /* the open collection */
    uint32_t last; /* its last child, 0 when none yet */
};

static int ys_arena_add(ys_doc *d, const char *s, size_t len, size_t *off)
{
    if (d->acap - d->alen < len + 1) {
        size_t cap = d->acap ? d->acap : 4096;
        char *p = NULL;

        while (cap - d->alen < len + 1) {
            if (cap > SIZE_MAX / 2) {
                return -1;
            }
            cap *= 2;
        }
        p = realloc(d->arena, cap);
        if (p == NULL) {
            return -1;
        }
        d->arena = p;
        d->acap = cap;
    }
    memcpy(d->arena + d->alen, s, len);
    d->arena[d->alen + len] = '\0';
    *off = d->alen;
    d->alen += len + 1;
    return 0;
}

/* Append a node as the next child of the innermost open collection. */
static int ys_node_add(ys_doc *d,
                       struct ys_open *open,
                       size_t depth,
                       enum ys_kind kind,
                       const yaml_mark_t *mark,
                       uint32_t *idx)
{
    ys_node *n = NULL;
    uint32_t i = 0;

    if (d->nnodes == d->capnodes) {
        size_t cap = d->capnodes ? d->capnodes * 2 : 256;
        ys_node *p = NULL;

        if (cap > UINT32_MAX || cap > SIZE_MAX / sizeof(*p)) {
            return -1;
        }
        p = realloc(d->nodes, cap * sizeof(*p));
        if (p == NULL) {
            return -1;
        }
        d->nodes = p;
        d->capnodes = cap;
    }
    i = (uint32_t)d->nnodes++;
    n = &d->nodes[i];
    memset(n, 0, sizeof(*n));
    n->kind = kind;
    n->line = (uint32_t)mark->line + 1;
    n->col = (uint32_t)mark->column + 1;
    if (depth > 0) {
        struct ys_open *parent = &open[depth - 1];

        if (parent->last == 0) {
            d->nodes[parent->idx].first = i;
        } else {
            d->nodes[parent->last].next = i;
        }
        parent->last = i;
        d->nodes[parent->idx].count++;
    }
    *idx = i;
    return 0;
}

/* Show a tag the way it was probably written. */
static const char *ys_tag_short(const char *tag, char *buf, size_t buflen)
{
    static const char yaml_prefix[] = "tag:yaml.org,2002:";

    if (strncmp(tag, yaml_prefix, sizeof(yaml_prefix) - 1) == 0) {
        snprintf(buf, buflen, "!!%s", tag + sizeof(yaml_prefix) - 1);
    } else {
        snprintf(buf, buflen, "%s", tag);
    }
    return buf;
}

/* Anchors and tags may come with any node; a config never needs them. */
static int ys_check_props(ys_doc *d,
                          const yaml_char_t *anchor,
                          const yaml_char_t *tag,
                          const yaml_mark_t *mark,
                          char *err,
                          size_t errlen)
{
    unsigned line = (unsigned)mark->line + 1;
    unsigned col = (unsigned)mark->column + 1;
    char q[YS_QUOTELEN];
    char t[YS_QUOTELEN];

    if (anchor != NULL) {
        char a[YS_QUOTELEN];

        snprintf(a, sizeof(a), "&%s", (const char *)anchor);
        ys_doc_error(d,
                     err,
                     errlen,
                     line,
                     col,
                     "anchors are not allowed (%s); write the value out",
                     ys_quote(a, strlen(a), q, sizeof(q)));
        return -1;
    }
    if (tag != NULL) {
        ys_tag_short((const char *)tag, t, sizeof(t));
        ys_doc_error(d,
                     err,
                     errlen,
                     line,
                     col,
                     "tags are not allowed (%s); the schema gives each key "
                     "its type",
                     ys_quote(t, strlen(t), q, sizeof(q)));
        return -1;
    }
    return 0;
}

/* libyaml's own errors: syntax, encoding, memory. */
static void ys_parser_error(ys_doc *d,
                            const yaml_parser_t *p,
                            const char *buf,
                            size_t len,
                            char *err,
                            size_t errlen)
{
    unsigned line = 1;
    unsigned col = 1;
    const char *problem = p->problem ? p->problem : "unknown error";

    switch (p->error) {
    case YAML_MEMORY_ERROR:
        ys_doc_error(d, err, errlen, 1, 1, "out of memory");
        break;
    case YAML_READER_ERROR: {
        /* The reader reports a byte offset, not a mark. */
        size_t i = 0;
        size_t end = p->problem_offset < len ? p->problem_offset : len;

        for (i = 0; i < end; i++) {
            if (buf[i] == '\n') {
                line++;
                col = 1;
            } else if (((unsigned char)buf[i] & 0xc0) != 0x80) {
                col++;
            }
        }
        if (p->problem_value != -1) {
            ys_doc_error(d,
                         err,
                         errlen,
                         line,
                         col,
                         "invalid text: %s (byte 0x%02x)",
                         problem,
                         (unsigned)p->problem_value & 0xffu);
        } else {
            ys_doc_error(
                d, err, errlen, line, col, "invalid text: %s", problem);
        }
        break;
    }
    default:
        line = (unsigned)p->problem_mark.line + 1;
        col = (unsigned)p->problem_mark.column + 1;
        if (p->context != NULL) {
            ys_doc_error(d,
                         err,
                         errlen,
                         line,
                         col,
                         "YAML syntax error: %s (%s at line %u, column %u)",
                         problem,
                         p->context,
                         (unsigned)p->context_mark.line + 1,
                         (unsigned)p->context_mark.column + 1);
        } else {
            ys_doc_error(
                d, err, errlen, line, col, "YAML syntax error: %s", problem);
        }
        break;
    }
}

int ys_parse(ys_doc *d,
             const char *file,
             const char *buf,
             size_t len,
             unsigned max_depth,
             char *err,
             size_t errlen)
{
    yaml_parser_t parser;
    yaml_event_t ev;
    struct ys_open *open = NULL;
    size_t depth = 0;
    unsigned ndocs = 0;
    bool have_ev = false;
    bool done = false;
    int rc = -1;

    memset(d, 0, sizeof(*d));
    d->file = file;
    if (err != NULL && errlen > 0) {
        err[0] = '\0';
    }
    if (!yaml_parser_initialize(&parser)) {
        ys_doc_error(d, err, errlen, 1, 1, "out of memory");
        return -1;
    }
    open = calloc(max_depth + 1, sizeof(*open));
    if (open == NULL) {
        ys_doc_error(d, err, errlen, 1, 1, "out of memory");
        goto out;
    }
    yaml_parser_set_input_string(&parser, (const unsigned char *)buf, len);

    while (!done) {
        const yaml_mark_t *m = NULL;
        unsigned line = 0;
        unsigned col = 0;
        uint32_t idx = 0;

        if (!yaml_parser_parse(&parser, &ev)) {
            ys_parser_error(d, &parser, buf, len, err, errlen);
            goto out;
        }
        have_ev = true;
        m = &ev.start_mark;
        /* libyaml counts from 0, the messages from 1. */
        line = (unsigned)m->line + 1;
        col = (unsigned)m->column + 1;
        switch (ev.type) {
        case YAML_STREAM_END_EVENT:
            done = true;
            break;
        case YAML_DOCUMENT_START_EVENT:
            if (++ndocs > 1) {
                ys_doc_error(d,
                             err,
                             errlen,
                             line,
                             col,
                             "a second YAML document; a file holds exactly "
                             "one");
                goto out;
            }
            break;
        case YAML_ALIAS_EVENT: {
            char q[YS_QUOTELEN];
            char a[YS_QUOTELEN];

            snprintf(a, sizeof(a), "*%s", (const char *)ev.data.alias.anchor);
            ys_doc_error(d,
                         err,
                         errlen,
                         line,
                         col,
                         "aliases are not allowed (%s); write the value out",
                         ys_quote(a, strlen(a), q, sizeof(q)));
            goto out;
        }
        case YAML_SCALAR_EVENT: {
            ys_node *n = NULL;
            size_t off = 0;

            if (ys_check_props(d,
                               ev.data.scalar.anchor,
                               ev.data.scalar.tag,
                               m,
                               err,
                               errlen) != 0) {
                goto out;
            }
            if (memchr(ev.data.scalar.value, '\0', ev.data.scalar.length)) {
                ys_doc_error(
                    d, err, errlen, line, col, "NUL character in a value");
                goto out;
            }
            if (ev.data.scalar.length > UINT32_MAX ||
                ys_arena_add(d,
                             (const char *)ev.data.scalar.value,
                             ev.data.scalar.length,
                             &off) != 0 ||
                ys_node_add(d, open, depth, YS_NODE_SCALAR, m, &idx) != 0) {
                ys_doc_error(d, err, errlen, line, col, "out of memory");
                goto out;
            }
            n = &d->nodes[idx];
            n->text = off;
            n->len = (uint32_t)ev.data.scalar.length;
            n->plain = ev.data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
            break;
        }
        case YAML_SEQUENCE_START_EVENT:
        case YAML_MAPPING_START_EVENT: {
            bool seq = ev.type == YAML_SEQUENCE_START_EVENT;

            if (ys_check_props(d,
                               seq ? ev.data.sequence_start.anchor
                                   : ev.data.mapping_start.anchor,
                               seq ? ev.data.sequence_start.tag
                                   : ev.data.mapping_start.tag,
                               m,
                               err,
                               errlen) != 0) {
                goto out;
            }
            if (depth >= max_depth) {
                ys_doc_error(d,
                             err,
                             errlen,
                             line,
                             col,
                             "nested deeper than %u levels",
                             max_depth);
                goto out;
            }
            if (ys_node_add(d,
                            open,
                            depth,
                            seq ? YS_NODE_SEQUENCE : YS_NODE_MAPPING,
                            m,
                            &idx) != 0) {
                ys_doc_error(d, err, errlen, line, col, "out of memory");
                goto out;
            }
            open[depth].idx = idx;
            open[depth].last = 0;
            depth++;
            break;
        }
        case YAML_SEQUENCE_END_EVENT:
        case YAML_MAPPING_END_EVENT:
            if (depth > 0) {
                depth--;
            }
            break;
        default:
            break;
        }
        yaml_event_delete(&ev);
        have_ev = false;
    }
    rc = 0;

out:
    if (have_ev) {
        yaml_event_delete(&ev);
    }
    yaml_parser_delete(&parser);
    free(open);
    return rc;
}

void ys_doc_free(ys_doc *d)
{
    if (d == NULL) {
        return;
    }
    free(d->nodes);
    free(d->arena);
    d->nodes = NULL;
    d->arena = NULL;
    d->nnodes = d->capnodes = 0;
    d->alen = d->acap = 0;
}

const ys_node *ys_root(const ys_doc *d)
{
    return d->nnodes > 0 ? &d->nodes[0] : NULL;
}

const ys_node *ys_first(const ys_doc *d, const ys_node *n)
{
    return n->first ? &d->nodes[n->first] : NULL;
}

const ys_node *ys_next(const ys_doc *d, const ys_node *n)
{
    return n->next ? &d->nodes[n->next] : NULL;
}

const char *ys_text(const ys_doc *d, const ys_node *n)
{
    return n->kind == YS_NODE_SCALAR ? d->arena + n->text : "";
}

bool ys_is_null(const ys_doc *d, const ys_node *n)
{
    const char *s = NULL;

    if (n->kind != YS_NODE_SCALAR || !n->plain) {
        return false;
    }
    s = ys_text(d, n);
    return n->len == 0 || strcmp(s, "~") == 0 || strcmp(s, "null") == 0 ||
           strcmp(s, "Null") == 0 || strcmp(s, "NULL") == 0;
}

/* ---------------------------------------------------------------- walk */

void ys_ctx_init(ys_ctx *c, const ys_doc *d, char *err, size_t errlen)
{
    memset(c, 0, sizeof(*c));
    c->doc = d;
    c->err = err;
    c->errlen = errlen;
}

static size_t ys_path_push(ys_ctx *c, const char *name, size_t len)
{
    size_t old = c->pathlen;
    size_t o = old;
    size_t i = 0;

    if (o > 0 && o + 1 < sizeof(c->path)) {
        c->path[o++] = '.';
    }
    if (len > 64) {
        len = 64;
    }
    for (i = 0; i < len && o + 1 < sizeof(c->path); i++) {
        unsigned char ch = (unsigned char)name[i];

        c->path[o++] = (ch < 0x20 || ch == 0x7f) ? '?' : (char)ch;
    }
    c->path[o] = '\0';
    c->pathlen = o;
    return old;
}

static size_t ys_path_push_index(ys_ctx *c, size_t i)
{
    size_t old = c->pathlen;
    int w = snprintf(c->path + old, sizeof(c->path) - old, "[%zu]", i);

    if (w > 0 && (size_t)w < sizeof(c->path) - old) {
        c->pathlen = old + (size_t)w;
    } else {
        c->path[old] = '\0';
    }
    return old;
}

static void ys_path_pop(ys_ctx *c, size_t old)
{
    c->pathlen = old;
    c->path[old] = '\0';
}

static const char *ys_type_name(enum ys_type t)
{
    switch (t) {
    case YS_STRING:
        return "a string";
    case YS_BOOL:
        return "true or false";
    case YS_ENUM:
        return "a name";
    case YS_PORT:
        return "a port (1-65535)";
    case YS_OCTAL:
        return "an octal mode like \"0660\"";
    case YS_SEQ:
        return "a list";
    case YS_MAP:
    case YS_DICT:
        return "a mapping";
    case YS_SEQ_MAP:
        return "a list of mappings";
    }
    return "a value";
}

static bool ys_type_scalar(enum ys_type t)
{
    return t == YS_STRING || t == YS_BOOL || t == YS_ENUM || t == YS_PORT ||
           t == YS_OCTAL;
}

/* What a node is, for "expected X, got Y". */
static const char *
ys_node_desc(const ys_ctx *c, const ys_node *n, char *buf, size_t buflen)
{
    if (n->kind == YS_NODE_MAPPING) {
        return "a mapping";
    }
    if (n->kind == YS_NODE_SEQUENCE) {
        return "a list";
    }
    if (ys_is_null(c->doc, n)) {
        return "nothing";
    }
    return ys_quote(ys_text(c->doc, n), n->len, buf, buflen);
}

/* "a, b, c" */
static void ys_join(const char *const *names, char *buf, size_t buflen)
{
    size_t o = 0;
    size_t i = 0;

    buf[0] = '\0';
    for (i = 0; names[i] != NULL; i++) {
        int w = snprintf(buf + o, buflen - o, "%s%s", i ? ", " : "", names[i]);

        if (w < 0 || (size_t)w >= buflen - o) {
            break;
        }
        o += (size_t)w;
    }
}

static int ys_type_error(ys_ctx *c,
                         const ys_node *n,
                         enum ys_type want,
                         const char *const *enums)
{
    char q[YS_QUOTELEN];
    char list[256];
    const char *wname = ys_type_name(want);

    if (want == YS_ENUM && enums != NULL) {
        int w = snprintf(list, sizeof(list), "one of: ");

        ys_join(enums, list + w, sizeof(list) - (size_t)w);
        wname = list;
    }
    if (ys_is_null(c->doc, n)) {
        return ys_error(c, n, "missing value (expected %s)", wname);
    }
    return ys_error(
        c, n, "expected %s, got %s", wname, ys_node_desc(c, n, q, sizeof(q)));
}

static int ys_convert(ys_ctx *c,
                      const ys_node *n,
                      enum ys_type t,
                      const char *const *enums,
                      ys_value *v)
{
    const char *s = NULL;
    char q[YS_QUOTELEN];
    size_t i = 0;

    if (n->kind != YS_NODE_SCALAR || !ys_type_scalar(t)) {
        return ys_type_error(c, n, t, enums);
    }
    if (ys_is_null(c->doc, n)) {
        return ys_type_error(c, n, t, enums);
    }
    s = ys_text(c->doc, n);
    memset(v, 0, sizeof(*v));
    v->s = s;
    v->len = n->len;
    ys_quote(s, n->len, q, sizeof(q));

    switch (t) {
    case YS_STRING:
        if (n->len == 0) {
            return ys_error(c, n, "empty string");
        }
        for (i = 0; i < n->len; i++) {
            unsigned char ch = (unsigned char)s[i];

            if (ch < 0x20 || ch == 0x7f) {
                return ys_error(c,
                                n,
                                "%s must be one line of text without "
                                "control characters",
                                q);
            }
        }
        return 0;
    case YS_BOOL:
        if (strcmp(s, "true") == 0) {
            v->b = true;
            return 0;
        }
        if (strcmp(s, "false") == 0) {
            v->b = false;
            return 0;
        }
        return ys_error(c, n, "%s is not a boolean (write true or false)", q);
    case YS_ENUM:
        for (i = 0; enums != NULL && enums[i] != NULL; i++) {
            if (strcmp(s, enums[i]) == 0) {
                v->n = (long)i;
                return 0;
            }
        }
        {
            char list[256];

            ys_join(enums, list, sizeof(list));
            return ys_error(c, n, "%s is not one of: %s", q, list);
        }
    case YS_PORT: {
        int port = 0;

        if (port_parse(s, n->len, &port) != LD_PORT_OK) {
            return ys_error(c, n, "%s is not a port (1-65535)", q);
        }
        v->n = port;
        return 0;
    }
    case YS_OCTAL: {
        const char *p = s;
        long mode = 0;

        /* "0660" or "660": exactly three octal digits after a leading 0. */
        if (n->len == 4 && p[0] == '0') {
            p++;
        }
        if (strlen(p) != 3) {
            return ys_error(c, n, "%s is not an octal mode like \"0660\"", q);
        }
        for (i = 0; i < 3; i++) {
            if (p[i] < '0' || p[i] > '7') {
                return ys_error(
                    c, n, "%s is not an octal mode like \"0660\"", q);
            }
            mode = mode * 8 + (p[i] - '0');
        }
        v->n = mode;
        return 0;
    }
    default:
        break;
    }
    return ys_type_error(c, n, t, enums);
}

static int
ys_walk_map(ys_ctx *c, const ys_node *map, const ys_key *table, void *obj);

static int
ys_call(ys_ctx *c, ys_fn fn, const ys_node *n, const ys_value *v, void *obj)
{
    return fn != NULL ? fn(c, n, v, obj) : 0;
}

static int ys_walk_seq(ys_ctx *c, const ys_node *n, const ys_key *k, void *obj)
{
    const ys_node *item = NULL;
    size_t i = 0;

    for (item = ys_first(c->doc, n); item != NULL;
         item = ys_next(c->doc, item), i++) {
        ys_value v;

        c->index = i;
        if (ys_convert(c, item, k->elem, k->enums, &v) != 0) {
            return -1;
        }
        if (ys_call(c, k->fn, item, &v, obj) != 0) {
            return -1;
        }
    }
    return 0;
}

/* A key's text into *ks, or the error for a key that is not a plain name. */
static int ys_key_name(ys_ctx *c, const ys_node *key, const char **ks)
{
    char q[YS_QUOTELEN];

    if (key->kind != YS_NODE_SCALAR) {
        return ys_error(c,
                        key,
                        "keys must be plain names, got %s",
                        ys_node_desc(c, key, q, sizeof(q)));
    }
    *ks = ys_text(c->doc, key);
    return 0;
}

static int
ys_dup_key(ys_ctx *c, const ys_node *key, const char *ks, const ys_node *first)
{
    char q[YS_QUOTELEN];

    return ys_error(c,
                    key,
                    "duplicate key %s (first at line %u, column %u)",
                    ys_quote(ks, key->len, q, sizeof(q)),
                    first->line,
                    first->col);
}

static int ys_walk_dict(ys_ctx *c, const ys_node *n, const ys_key *k, void *obj)
{
    const ys_node *key = NULL;
    const ys_node *val = NULL;
    size_t i = 0;

    for (key = ys_first(c->doc, n); key != NULL; key = ys_next(c->doc, val)) {
        const ys_node *prev = NULL;
        const char *ks = NULL;
        ys_value v;
        size_t old = 0;
        int rc = 0;

        val = ys_next(c->doc, key);
        if (ys_key_name(c, key, &ks) != 0) {
            return -1;
        }
        /* Quadratic, but the callers bound the number of keys. */
        for (prev = ys_first(c->doc, n); prev != key;
             prev = ys_next(c->doc, ys_next(c->doc, prev))) {
            if (prev->kind == YS_NODE_SCALAR && prev->len == key->len &&
                memcmp(ys_text(c->doc, prev), ks, key->len) == 0) {
                return ys_dup_key(c, key, ks, prev);
            }
        }
        c->index = i++;
        old = ys_path_push(c, ks, key->len);
        rc = ys_convert(c, val, k->elem, k->enums, &v);
        if (rc == 0) {
            v.key = key;
            v.key_s = ks;
            rc = ys_call(c, k->fn, val, &v, obj);
        }
        ys_path_pop(c, old);
        if (rc != 0) {
            return -1;
        }
    }
    return 0;
}

static int
ys_walk_seq_map(ys_ctx *c, const ys_node *n, const ys_key *k, void *obj)
{
    const ys_node *item = NULL;
    size_t i = 0;

    for (item = ys_first(c->doc, n); item != NULL;
         item = ys_next(c->doc, item), i++) {
        size_t old = ys_path_push_index(c, i);
        int rc = 0;

        c->index = i;
        if (item->kind != YS_NODE_MAPPING) {
            rc = ys_type_error(c, item, YS_MAP, NULL);
        }
        if (rc == 0) {
            rc = ys_call(c, k->begin, item, NULL, obj);
        }
        if (rc == 0) {
            rc = ys_walk_map(c, item, k->sub, obj);
        }
        if (rc == 0) {
            rc = ys_call(c, k->end, item, NULL, obj);
        }
        ys_path_pop(c, old);
        if (rc != 0) {
            return -1;
        }
    }
    return 0;
}

/* One value against its key. A null (empty) value is an empty collection
 * for collection types, and "missing value" for scalar types. */
static int
ys_walk_value(ys_ctx *c, const ys_node *n, const ys_key *k, void *obj)
{
    enum ys_kind want = YS_NODE_SCALAR;
    ys_value v;

    if (ys_type_scalar(k->type)) {
        if (ys_convert(c, n, k->type, k->enums, &v) != 0) {
            return -1;
        }
        return ys_call(c, k->fn, n, &v, obj);
    }
    want = (k->type == YS_SEQ || k->type == YS_SEQ_MAP) ? YS_NODE_SEQUENCE
                                                        : YS_NODE_MAPPING;
    if (n->kind != want && !ys_is_null(c->doc, n)) {
        return ys_type_error(c, n, k->type, NULL);
    }
    if ((k->flags & YS_NONEMPTY) && n->count == 0) {
        return ys_error(c, n, "must not be empty");
    }
    switch (k->type) {
    case YS_SEQ:
        if (ys_walk_seq(c, n, k, obj) != 0) {
            return -1;
        }
        return ys_call(c, k->end, n, NULL, obj);
    case YS_MAP:
        if (ys_call(c, k->begin, n, NULL, obj) != 0 ||
            ys_walk_map(c, n, k->sub, obj) != 0) {
            return -1;
        }
        return ys_call(c, k->end, n, NULL, obj);
    case YS_DICT:
        if (ys_walk_dict(c, n, k, obj) != 0) {
            return -1;
        }
        return ys_call(c, k->end, n, NULL, obj);
    case YS_SEQ_MAP:
        return ys_walk_seq_map(c, n, k, obj);
    default:
        break;
    }
    return ys_error(c, n, "internal error: unknown schema type");
}

static int
ys_walk_map(ys_ctx *c, const ys_node *map, const ys_key *table, void *obj)
{
    const ys_node *seen[YS_MAX_KEYS];
    const ys_node *key = NULL;
    const ys_node *val = NULL;
    size_t nkeys = 0;
    size_t i = 0;

    while (table[nkeys].name != NULL) {
        nkeys++;
    }
    if (nkeys > YS_MAX_KEYS) {
        return ys_error(c, map, "internal error: schema table too large");
    }
    memset(seen, 0, sizeof(seen));

    for (key = ys_first(c->doc, map); key != NULL; key = ys_next(c->doc, val)) {
        const char *ks = NULL;
        char q[YS_QUOTELEN];
        size_t old = 0;
        int rc = 0;

        val = ys_next(c->doc, key);
        if (ys_key_name(c, key, &ks) != 0) {
            return -1;
        }
        for (i = 0; i < nkeys; i++) {
            if (strcmp(table[i].name, ks) == 0) {
                break;
            }
        }
        if (i == nkeys) {
            char list[256];
            const char *names[YS_MAX_KEYS + 1];
            size_t j = 0;

            for (j = 0; j < nkeys; j++) {
                names[j] = table[j].name;
            }
            names[nkeys] = NULL;
            ys_join(names, list, sizeof(list));
            return ys_error(c,
                            key,
                            "unknown key %s (known keys: %s)",
                            ys_quote(ks, key->len, q, sizeof(q)),
                            list);
        }
        if (seen[i] != NULL) {
            return ys_dup_key(c, key, ks, seen[i]);
        }
        seen[i] = key;
        old = ys_path_push(c, ks, key->len);
        rc = ys_walk_value(c, val, &table[i], obj);
        ys_path_pop(c, old);
        if (rc != 0) {
            return -1;
        }
    }
    for (i = 0; i < nkeys; i++) {
        if ((table[i].flags & YS_REQUIRED) && seen[i] == NULL) {
            return ys_error(
                c, map, "missing required key \"%s\"", table[i].name);
        }
    }
    return 0;
}

int ys_walk(ys_ctx *c, const ys_key *table, void *obj)
{
    const ys_node *root = ys_root(c->doc);

    if (root == NULL) {
        return ys_error_at(c, 1, 1, "empty file, expected a mapping");
    }
    if (root->kind != YS_NODE_MAPPING) {
        char q[YS_QUOTELEN];

        return ys_error(c,
                        root,
                        "expected a mapping at the top, got %s",
                        ys_node_desc(c, root, q, sizeof(q)));
    }
    return ys_walk_map(c, root, table, obj);
}
