/*
 * config_impl.h - what the config loader's files share (private to lib/
 * config*.c): the loader the schema handlers fill, file reading and
 * messages (config_file.c), replies (config_reply.c), provider profiles
 * (config_provider.c) and the entry handlers both a trusted entry and a
 * provider profile use (config.c).
 */
#ifndef LOCKDOWN_CONFIG_IMPL_H
#define LOCKDOWN_CONFIG_IMPL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "yamlschema.h"

/* A provider named under "providers:", before its file is read. */
struct pending {
    char *key;
    bool enabled;
    unsigned line;
    unsigned col;
};

struct loader {
    ld_config *c;     /* the main file's target; NULL for a provider file */
    const char *file; /* the file being walked, stable (c->files) */

    struct pending *prov;
    size_t nprov;
    size_t capprov;

    ld_entry *trusted;
    size_t ntrusted;
    size_t captrusted;

    ld_entry *cur; /* the entry whose ranges are being read */
    size_t curcap;

    uint8_t *portseen; /* 65536 bits */
    size_t capports;

    ld_mark *dommark; /* where each local domain was written */
    size_t capdomains;
    ld_mark *scopemark; /* where each scope.domains entry was written */
    ld_mark tls_required_mark; /* where a profile set tls_required: true */
    size_t capscope;

    char *providers_dir; /* as written */
};

/* "file:line:col: " and the message into err. */
void config_error(char *err,
                  size_t errlen,
                  const char *file,
                  unsigned line,
                  unsigned col,
                  const char *fmt,
                  ...) __attribute__((format(printf, 6, 7)));
const char *config_errno_text(int e, char *buf, size_t buflen);
/* dir/name, or name alone when it is absolute or dir is empty; malloc'd. */
char *config_path_join(const char *dir, const char *name);
const char *config_add_file(ld_config *c, const char *name);
int config_file_read(const char *path,
                     char **out,
                     size_t *outlen,
                     int *open_errno,
                     char *msg,
                     size_t msglen);

/*
 * buf as the YAML file l->file (at most LD_MAX_FILE bytes), walked with
 * keys into l. doc is the caller's to free, whether parsed or not.
 */
int config_walk(ys_doc *doc,
                const char *buf,
                size_t len,
                const ys_key *keys,
                struct loader *l,
                char *err,
                size_t errlen);

int config_reply_parse(const char *s, ld_reply *out, char *msg, size_t msglen);
void config_reply_clear(ld_reply *r);
/* Parse s into *r (replacing it), or a ys_error at n. */
int config_reply_set(ys_ctx *c, const ys_node *n, const char *s, ld_reply *r);

/* Read providers_dir/KEY.yaml into e. */
int config_provider_load(ld_config *c,
                         const struct pending *p,
                         ld_entry *e,
                         const char *main_file,
                         char *err,
                         size_t errlen);

/* The entry handlers: a range, the check for repeats, relay: true. */
extern const char *const config_mode_names[];
int config_h_range(ys_ctx *c, const ys_node *n, const ys_value *v, void *obj);
int config_h_ranges_end(ys_ctx *c,
                        const ys_node *n,
                        const ys_value *v,
                        void *obj);
int config_h_relay_entry(ys_ctx *c,
                         const ys_node *n,
                         const ys_value *v,
                         void *obj);
/* A copy of the string value into *dst; the error is "out of memory". */
int config_set_string(ys_ctx *c,
                      const ys_node *n,
                      const ys_value *v,
                      char **dst);

#endif
