/*
 * yamlschema.h - strict YAML reading against a declarative schema.
 *
 * Two steps, so that structural problems are reported before schema ones:
 *
 * 1. ys_parse() runs libyaml's event parser over a buffer and keeps a
 *    compact tree (one node array, one text arena). It refuses what a
 *    configuration file never needs and an attacker could abuse: aliases,
 *    anchors, explicit tags, more than one document, nesting deeper than a
 *    bound, NUL characters. libyaml's own syntax errors get file:line:col.
 *
 * 2. ys_walk() checks the root mapping against a table of keys (netplan /
 *    OpenDKIM configdef style): each key has a type, flags and a handler.
 *    Unknown keys, duplicate keys, wrong types, missing required keys and
 *    malformed scalars are errors. Scalars are read as text against the
 *    schema: quoting never changes a type ("25" and 25 are the same port),
 *    and booleans are exactly true or false.
 *
 * Every message is "file:line:col: path: message" with 1-based positions
 * and the offending text quoted. The first error stops the walk.
 * No global state: several documents can be walked by several threads.
 */
#ifndef LOCKDOWN_YAMLSCHEMA_H
#define LOCKDOWN_YAMLSCHEMA_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum ys_kind { YS_NODE_SCALAR = 0, YS_NODE_SEQUENCE, YS_NODE_MAPPING };

/* A node of the tree. Children of a collection are linked by index through
 * first/next (0 means none: node 0 is the root, never a child). A mapping's
 * children alternate key, value. */
typedef struct ys_node {
    enum ys_kind kind;
    bool plain;     /* scalar written without quotes */
    uint32_t line;  /* 1-based */
    uint32_t col;   /* 1-based */
    uint32_t first; /* first child */
    uint32_t next;  /* next sibling */
    uint32_t count; /* number of children */
    uint32_t len;   /* scalar text length */
    size_t text;    /* scalar text: offset into the arena */
} ys_node;

typedef struct ys_doc {
    const char *file; /* name used in messages, not owned */
    ys_node *nodes;
    size_t nnodes;
    size_t capnodes;
    char *arena; /* scalar texts, each NUL-terminated */
    size_t alen;
    size_t acap;
} ys_doc;

/*
 * Parse one YAML document from buf (len bytes, need not be NUL-terminated).
 * Returns 0, or -1 with "file:line:col: message" in err. On return, with
 * either result, ys_doc_free() releases the document.
 */
int ys_parse(ys_doc *d,
             const char *file,
             const char *buf,
             size_t len,
             unsigned max_depth,
             char *err,
             size_t errlen);
void ys_doc_free(ys_doc *d);

/* The root node, or NULL for an empty stream. */
const ys_node *ys_root(const ys_doc *d);
const ys_node *ys_first(const ys_doc *d, const ys_node *n);
const ys_node *ys_next(const ys_doc *d, const ys_node *n);
const char *ys_text(const ys_doc *d, const ys_node *n);
/* A plain "", "~" or "null": YAML's null, i.e. a missing value. */
bool ys_is_null(const ys_doc *d, const ys_node *n);

/* Value types of a key. */
enum ys_type {
    YS_STRING = 0, /* one line of text, no control characters, not empty */
    YS_BOOL,       /* true | false */
    YS_ENUM,       /* one of key->enums; value n is the index */
    YS_PORT,       /* 1..65535 in decimal */
    YS_OCTAL,      /* file mode "0660", "660": 0..0777 */
    YS_SEQ,        /* sequence of scalars of type key->elem: fn per item */
    YS_MAP,        /* mapping checked against key->sub */
    YS_DICT,       /* mapping of free keys to scalars of type key->elem:
                    * fn per pair, duplicate keys refused */
    YS_SEQ_MAP,    /* sequence of mappings checked against key->sub */
};

#define YS_REQUIRED 0x1u /* the key must be present */
#define YS_NONEMPTY 0x2u /* YS_SEQ, YS_DICT, YS_SEQ_MAP: at least one item */

/* The walk's state, handed to every handler. */
typedef struct ys_ctx {
    const ys_doc *doc;
    char *err;
    size_t errlen;
    char path[256]; /* "trusted[1].ranges", for messages */
    size_t pathlen;
    size_t index; /* YS_SEQ, YS_SEQ_MAP, YS_DICT: current item, from 0 */
} ys_ctx;

/* A converted scalar. */
typedef struct ys_value {
    const char *s; /* the text, NUL-terminated */
    size_t len;
    bool b;             /* YS_BOOL */
    long n;             /* YS_PORT, YS_OCTAL; YS_ENUM: index */
    const ys_node *key; /* YS_DICT: the key node */
    const char *key_s;  /* YS_DICT: the key text */
} ys_value;

/*
 * A handler. For scalars n is the value node and v its converted value; for
 * begin/end hooks n is the collection and v is NULL. Returns 0, or -1 after
 * writing the message with ys_error().
 */
typedef int (*ys_fn)(ys_ctx *c, const ys_node *n, const ys_value *v, void *obj);

typedef struct ys_key {
    const char *name; /* NULL ends a table */
    enum ys_type type;
    unsigned flags;
    enum ys_type elem;        /* YS_SEQ, YS_DICT: type of the items */
    const char *const *enums; /* YS_ENUM or elem YS_ENUM: NULL-ended */
    const struct ys_key *sub; /* YS_MAP, YS_SEQ_MAP */
    ys_fn fn;                 /* scalar value, item or pair */
    ys_fn begin;              /* YS_MAP, YS_SEQ_MAP: before each mapping */
    ys_fn end;                /* after the value (each mapping for
                               * YS_SEQ_MAP, the whole sequence for YS_SEQ) */
} ys_key;

/* Most keys a table may hold. */
#define YS_MAX_KEYS 32

void ys_ctx_init(ys_ctx *c, const ys_doc *d, char *err, size_t errlen);

/* Walk the root, which must be a mapping, against table. 0 or -1. */
int ys_walk(ys_ctx *c, const ys_key *table, void *obj);

/* Write "file:line:col: path: message" into c->err. Returns -1. */
int ys_error(ys_ctx *c, const ys_node *n, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
int ys_error_at(ys_ctx *c, unsigned line, unsigned col, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* The same form for any file and place (path may be NULL): for callers
 * that report outside a walk, in the same words. */
void ys_verror(char *err,
               size_t errlen,
               const char *file,
               unsigned line,
               unsigned col,
               const char *path,
               const char *fmt,
               va_list ap) __attribute__((format(printf, 7, 0)));

/*
 * Quote text for a message: "..." with \" \\ \n \t \xNN escapes, cut with
 * "..." after about 80 characters. Returns buf.
 */
#define YS_QUOTELEN 200
const char *ys_quote(const char *s, size_t len, char *buf, size_t buflen);

#endif
