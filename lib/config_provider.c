/*
 * config_provider.c - provider profiles: providers_dir/KEY.yaml (or a
 * string, for tests and lockdownctl) into one ld_entry. The ranges are
 * read by the same handlers as a trusted entry's.
 */
#include "config_impl.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

static int
h_prov_name(ys_ctx *c, const ys_node *n, const ys_value *v, void *obj)
{
    struct loader *l = obj;

    return config_set_string(c, n, v, &l->cur->display);
}

static int
h_prov_source(ys_ctx *c, const ys_node *n, const ys_value *v, void *obj)
{
    struct loader *l = obj;

    return config_set_string(c, n, v, &l->cur->source);
}

static int
h_prov_mode(ys_ctx *c, const ys_node *n, const ys_value *v, void *obj)
{
    struct loader *l = obj;

    (void)c;
    (void)n;
    l->cur->has_mode = true;
    l->cur->mode = (enum ld_mode)v->n;
    return 0;
}

/* Append one host name pattern to a profile's list, refusing repeats. */
static int pattern_add(ys_ctx *c,
                       const ys_node *n,
                       const ys_value *v,
                       namepat **list,
                       size_t *count)
{
    char msg[LD_ERRLEN];
    char q[YS_QUOTELEN];
    namepat p;
    namepat *grown = NULL;
    size_t i;

    if (namepat_parse(v->s, &p, msg, sizeof(msg)) != 0) {
        return ys_error(c, n, "%s", msg);
    }
    for (i = 0; i < *count; i++) {
        if ((*list)[i].wildcard == p.wildcard &&
            strcmp((*list)[i].name, p.name) == 0) {
            return ys_error(c,
                            n,
                            "%s is listed twice",
                            ys_quote(v->s, v->len, q, sizeof(q)));
        }
    }
    grown = realloc(*list, (*count + 1) * sizeof(*grown));
    if (grown == NULL) {
        return ys_error(c, n, "out of memory");
    }
    *list = grown;
    (*list)[(*count)++] = p;
    return 0;
}

static int
h_prov_hostname(ys_ctx *c, const ys_node *n, const ys_value *v, void *obj)
{
    struct loader *l = obj;

    return pattern_add(c, n, v, &l->cur->hostnames, &l->cur->nhostnames);
}

static int
h_prov_tls_name(ys_ctx *c, const ys_node *n, const ys_value *v, void *obj)
{
    struct loader *l = obj;

    return pattern_add(c, n, v, &l->cur->tls_names, &l->cur->ntls_names);
}

static int
h_prov_tls_required(ys_ctx *c, const ys_node *n, const ys_value *v, void *obj)
{
    struct loader *l = obj;

    (void)c;
    (void)n;
    l->cur->tls_required = v->b;
    if (v->b) {
        l->tls_required_mark.line = n->line;
        l->tls_required_mark.col = n->col;
    }
    return 0;
}

static const ys_key provider_keys[] = {
    {.name = "name",
     .type = YS_STRING,
     .flags = YS_REQUIRED,
     .fn = h_prov_name},
    {.name = "source",
     .type = YS_STRING,
     .flags = YS_REQUIRED,
     .fn = h_prov_source},
    {.name = "ranges",
     .type = YS_SEQ,
     .flags = YS_REQUIRED | YS_NONEMPTY,
     .elem = YS_STRING,
     .fn = config_h_range,
     .end = config_h_ranges_end},
    {.name = "relay", .type = YS_BOOL, .fn = config_h_relay_entry},
    {.name = "hostnames",
     .type = YS_SEQ,
     .elem = YS_STRING,
     .fn = h_prov_hostname},
    {.name = "tls_names",
     .type = YS_SEQ,
     .elem = YS_STRING,
     .fn = h_prov_tls_name},
    {.name = "tls_required", .type = YS_BOOL, .fn = h_prov_tls_required},
    {.name = "mode",
     .type = YS_ENUM,
     .enums = config_mode_names,
     .fn = h_prov_mode},
    {.name = NULL},
};

/* file: a stable name for marks (c->files, or the caller's string). */
static int provider_parse(const char *buf,
                          size_t len,
                          const char *file,
                          const char *key,
                          ld_entry *out,
                          char *err,
                          size_t errlen)
{
    struct loader l;
    ys_doc doc;
    const ys_node *root = NULL;
    int rc = -1;

    memset(&l, 0, sizeof(l));
    memset(&doc, 0, sizeof(doc));
    memset(out, 0, sizeof(*out));
    out->kind = LD_ENTRY_PROVIDER;
    out->name = strdup(key);
    if (out->name == NULL) {
        config_error(err, errlen, file, 1, 1, "out of memory");
        goto out;
    }
    l.file = file;
    l.cur = out;
    if (config_walk(&doc, buf, len, provider_keys, &l, err, errlen) != 0) {
        goto out;
    }
    if (out->tls_required && out->ntls_names == 0) {
        config_error(err,
                     errlen,
                     file,
                     l.tls_required_mark.line,
                     l.tls_required_mark.col,
                     "tls_required: true needs tls_names: the names of the "
                     "certificates that must be presented");
        goto out;
    }
    root = ys_root(&doc);
    out->mark.file = file;
    out->mark.line = root->line;
    out->mark.col = root->col;
    rc = 0;

out:
    ys_doc_free(&doc);
    if (rc != 0) {
        config_entry_clear(out);
    }
    return rc;
}

int config_provider_load_string(const char *yaml,
                                const char *name,
                                const char *key,
                                ld_entry *out,
                                char *err,
                                size_t errlen)
{
    if (name == NULL) {
        name = "<string>";
    }
    if (yaml == NULL || key == NULL || out == NULL) {
        if (out != NULL) {
            memset(out, 0, sizeof(*out));
        }
        config_error(err, errlen, name, 1, 1, "no input");
        return -1;
    }
    return provider_parse(yaml,
                          strnlen(yaml, (size_t)LD_MAX_FILE + 1),
                          name,
                          key,
                          out,
                          err,
                          errlen);
}

/* Read and check providers_dir/KEY.yaml into e. */
int config_provider_load(ld_config *c,
                         const struct pending *p,
                         ld_entry *e,
                         const char *main_file,
                         char *err,
                         size_t errlen)
{
    char *fname = NULL;
    char *path = NULL;
    const char *file = NULL;
    char *buf = NULL;
    size_t len = 0;
    int open_errno = 0;
    char msg[LD_ERRLEN];
    int rc = -1;

    memset(e, 0, sizeof(*e));
    fname = malloc(strlen(p->key) + sizeof(".yaml"));
    if (fname == NULL) {
        config_error(err, errlen, main_file, p->line, p->col, "out of memory");
        goto out;
    }
    strcpy(fname, p->key);
    strcat(fname, ".yaml");
    path = config_path_join(c->providers_dir, fname);
    file = path ? config_add_file(c, path) : NULL;
    if (file == NULL) {
        config_error(err, errlen, main_file, p->line, p->col, "out of memory");
        goto out;
    }
    if (config_file_read(file, &buf, &len, &open_errno, msg, sizeof(msg)) !=
        0) {
        if (open_errno != 0) {
            config_error(err,
                         errlen,
                         main_file,
                         p->line,
                         p->col,
                         "providers.%s: cannot open the profile \"%s\": %s",
                         p->key,
                         file,
                         msg);
        } else {
            config_error(err, errlen, file, 1, 1, "%s", msg);
        }
        goto out;
    }
    if (provider_parse(buf, len, file, p->key, e, err, errlen) != 0) {
        goto out;
    }
    e->enabled = p->enabled;
    rc = 0;

out:
    free(buf);
    free(path);
    free(fname);
    return rc;
}
