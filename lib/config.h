/*
 * config.h - the lockdown configuration: main file plus provider profiles.
 *
 * Loaded by a declarative schema over libyaml events (see config.c): every
 * key has a type and a handler; unknown, duplicate and missing required keys,
 * wrong types, aliases, anchors and tags are errors; nesting depth is
 * bounded. Every error is "file:line:col: message" (1-based), names the key
 * and quotes the value. A config that fails to load is never partially
 * applied: the caller gets NULL and the message, nothing else.
 *
 * A loaded config is immutable and can be shared by threads; the daemon
 * holds a reference per connection (see milter/), the library does not.
 */
#ifndef LOCKDOWN_CONFIG_H
#define LOCKDOWN_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "addr.h"
#include "addrset.h"
#include "namepat.h"

/* The build sets it from the install prefix (CMakeLists.txt). */
#ifndef LD_DEFAULT_CONFIG
#define LD_DEFAULT_CONFIG "/etc/lockdown-milter/lockdown.yaml"
#endif
#define LD_MAX_DEPTH 8         /* YAML nesting bound */
#define LD_MAX_ENTRIES 4096    /* providers + trusted entries */
#define LD_MAX_FILE (64 << 20) /* bytes per YAML file */

enum ld_mode { LD_MODE_ENFORCE = 0, LD_MODE_MONITOR = 1 };
enum ld_refuse_at { LD_REFUSE_CONNECT = 0, LD_REFUSE_MAIL = 1 };
enum ld_unknown { LD_UNKNOWN_TEMPFAIL = 0, LD_UNKNOWN_REJECT, LD_UNKNOWN_ACCEPT };
enum ld_entry_kind { LD_ENTRY_PROVIDER = 0, LD_ENTRY_TRUSTED = 1 };
/* Which decisions the daemon logs: every one, or only refusals (the
 * decisions that let a client through are then debug messages, not
 * written). */
enum ld_log { LD_LOG_DECISIONS = 0, LD_LOG_REFUSALS = 1 };

/* An SMTP reply split into its parts: "554 5.7.1 text". Configured replies
 * are refusals (4xx/5xx), the enhanced code has the same class, and the
 * text is one line of printable ASCII without '%', so it can go to
 * smfi_setreply() as it is. */
typedef struct ld_reply {
    char rcode[4]; /* "554" */
    char xcode[16]; /* "5.7.1", may be empty */
    char *text;
} ld_reply;

/* Where a value came from, for messages and for `lockdownctl list`. */
typedef struct ld_mark {
    const char *file; /* points into ld_config.files */
    unsigned line;    /* 1-based */
    unsigned col;     /* 1-based */
} ld_mark;

/* A provider profile or a trusted entry. */
typedef struct ld_entry {
    enum ld_entry_kind kind;
    char *name;    /* profile key ("mailroute") or trusted "name:" */
    char *display; /* provider "name:" ("MailRoute"); NULL for trusted */
    char *source;  /* provider "source:" (the guide); NULL for trusted */
    bool enabled;  /* trusted entries are always enabled */
    bool relay;
    bool has_mode; /* per-profile "mode:" given */
    enum ld_mode mode;
    ld_range *ranges;
    char **range_text; /* as written, for messages and export */
    ld_mark *range_mark;
    size_t nranges;
    namepat *hostnames; /* provider "hostnames:", verified host names */
    size_t nhostnames;
    namepat *tls_names; /* provider "tls_names:", verified certificate CNs */
    size_t ntls_names;
    bool tls_required;  /* an address in the ranges needs the certificate */
    ld_mark mark; /* where the entry was defined */
} ld_entry;

/* Daemon settings ("daemon:" mapping); all optional. */
typedef struct ld_daemon {
    char *socket;       /* milter socket spec, NULL: built-in default */
    char *socket_owner; /* "user[:group]" for chown, NULL: leave */
    mode_t socket_mode; /* default 0660 */
    char *user;         /* "user[:group]" to drop to, NULL: none */
    char *pidfile;      /* NULL: none */
    int syslog_facility; /* LOG_MAIL by default */
} ld_daemon;

typedef struct ld_config {
    char *path; /* the main file as given */
    char **files; /* every file read, for marks; files[0] is path */
    size_t nfiles;

    enum ld_mode mode;
    char *providers_dir; /* resolved against the main file's directory */

    /* Providers first, in the order of "providers:", then trusted entries
     * in file order. The index is the addrset tag. */
    ld_entry *entries;
    size_t nentries;
    size_t nproviders;

    uint16_t *ports; /* scope.ports, ascending, no duplicates; nports == 0
                      * means all ports are locked */
    size_t nports;

    char **scope_domains; /* scope.domains: lower case, no trailing dot;
                           * none means all mail is locked */
    size_t nscope_domains;

    enum ld_refuse_at refuse_at;
    ld_reply refuse_reply; /* default "554 5.7.1 ..." */
    ld_reply drift_reply;  /* refuse.drift_reply, always 4xx */
    enum ld_unknown unknown_client;

    char **local_domains; /* lower case, no trailing dot */
    size_t nlocal_domains;
    bool relay_authenticated; /* default true */
    ld_reply relay_reply;     /* default "554 5.7.1 Relay access denied" */

    ld_daemon daemon;
    enum ld_log log; /* "log:", default decisions */
    /* Some enabled profile has tls_names (tls_required needs them): the
     * certificate, known at MAIL, decides, so no outsider is refused
     * before MAIL. Set at load, read per connection. */
    bool tls_any;
    /* Some enabled profile has hostnames: a verified client name can
     * matter. Set at load. */
    bool hostnames_any;

    /* Built from enabled providers and trusted entries: decides. The tag
     * is the entry index; equal prefixes keep the lowest index. Never NULL
     * in a loaded config (empty when there is nothing to allow). */
    addrset *allowed;
    /* Built from disabled providers: only explains a refusal. Never NULL. */
    addrset *disabled;

    /* Non-fatal findings, "file:line:col: warning: ...", e.g. a provider
     * file that "providers:" does not name. */
    char **warnings;
    size_t nwarnings;
} ld_config;

/*
 * Load the main file and the provider files it names. Returns the config,
 * or NULL with "file:line:col: message" in err (LD_ERRLEN is enough).
 * Every file must be a regular file, not writable by others (S_IWOTH), and
 * at most LD_MAX_FILE bytes. Provider files are providers_dir/KEY.yaml,
 * providers_dir relative to the main file's directory. A .yaml file there
 * that "providers:" does not name is a warning, not an error.
 * No global state: threads may load configs concurrently.
 */
ld_config *config_load_file(const char *path, char *err, size_t errlen);

/*
 * Load a main config from a string. "name" is used in messages as the file
 * name; provider files are looked up under basedir/providers_dir (basedir
 * NULL means the current directory).
 */
ld_config *config_load_string(const char *yaml, const char *name,
                              const char *basedir, char *err, size_t errlen);

/*
 * Load one provider profile from a string into *out (a provider entry with
 * key "key", not enabled). Returns 0, or -1 with the message in err and
 * *out cleared. The marks' file is "name" itself: keep it alive as long as
 * the entry. Free with config_entry_clear(). For tests and fuzzing;
 * config_load_* use the same code.
 */
int config_provider_load_string(const char *yaml, const char *name,
                                const char *key, ld_entry *out, char *err,
                                size_t errlen);
void config_entry_clear(ld_entry *e);

/* Index of the entry with this name (provider key or trusted name), or -1. */
int config_entry_find(const ld_config *c, const char *name);

/* Effective mode of an entry: its own mode, else the global mode. */
enum ld_mode config_entry_mode(const ld_config *c, const ld_entry *e);

/* Is the local port locked by scope.ports? port < 0 (unknown) is locked. */
bool config_port_locked(const ld_config *c, int port);

/* Is the domain (any case, trailing dot allowed) a local domain? */
bool config_domain_local(const ld_config *c, const char *domain);

/* Is mail to this recipient domain locked by scope.domains? Every domain
 * is when the list is empty. A recipient without a domain (NULL or "")
 * and an over-long domain are locked too: fail closed. */
bool config_domain_scoped(const ld_config *c, const char *domain);

void config_free(ld_config *c);

#endif
