/*
 * fuzz_config.c - the YAML loader, main file and provider files.
 *
 * The first byte picks the mode:
 *   'P'   the rest is a provider file: config_provider_load_string();
 *   'F'   the rest is written to <tmp>/providers/fuzzed.yaml and a fixed
 *         main file that enables it is loaded (the file path, with the
 *         provider's marks);
 *   other the whole input is a main file: config_load_string(), with
 *         provider files from tests/fuzz/etc/providers.
 *
 * Invariants: a failure has a "file:line:col: message" error (1-based) and
 * no result; a success gives a consistent config: providers before trusted
 * entries, named entries, valid ranges with their text and marks, reply
 * codes 4xx or 5xx (a 2xx refusal would open the server), lower-case local
 * domains without a trailing dot, and address sets that hold every enabled
 * range's ends (and not a disabled range's when no enabled one covers it).
 * ASan checks that nothing leaks on either path.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "fuzz.h"

#define MAX_INPUT 16384

/*
 * On tmpfs when there is one: on a disk file system the provider file
 * rewritten for every input is flushed at each close (ext4's
 * auto_da_alloc), which took a fifth of the run.
 */
static char tmpdir[64];
static char provider_path[sizeof(tmpdir) + 32];

static const char fixed_main[] = "mode: enforce\n"
                                 "providers_dir: providers\n"
                                 "providers:\n"
                                 "  fuzzed: enabled\n"
                                 "trusted:\n"
                                 "  - name: loopback\n"
                                 "    ranges: [127.0.0.0/8]\n"
                                 "scope:\n"
                                 "  ports: [25]\n";

static void cleanup(void)
{
    char dir[sizeof(tmpdir) + 16];

    unlink(provider_path);
    snprintf(dir, sizeof(dir), "%s/providers", tmpdir);
    rmdir(dir);
    rmdir(tmpdir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    char dir[sizeof(tmpdir) + 16];

    (void)argc;
    (void)argv;
    snprintf(tmpdir,
             sizeof(tmpdir),
             "%s/fuzz_config.XXXXXX",
             access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp");
    if (mkdtemp(tmpdir) == NULL) {
        perror("fuzz_config: mkdtemp");
        abort();
    }
    snprintf(dir, sizeof(dir), "%s/providers", tmpdir);
    if (mkdir(dir, 0700) != 0) {
        perror(dir);
        abort();
    }
    snprintf(provider_path, sizeof(provider_path), "%s/fuzzed.yaml", dir);
    atexit(cleanup);
    return 0;
}

/* "...:LINE:COL: message" somewhere (the file name may hold colons). */
FUZZ_ORACLE static void check_error(const char *what, const char *err)
{
    const char *p = err;

    FUZZ_CHECK(memchr(err, '\0', LD_ERRLEN) != NULL && err[0] != '\0',
               "%s: failed with no message",
               what);
    while ((p = strchr(p, ':')) != NULL) {
        size_t line = strspn(p + 1, "0123456789"), col;

        if (line > 0 && p[1] != '0' && p[1 + line] == ':') {
            const char *c = p + 2 + line;

            col = strspn(c, "0123456789");
            if (col > 0 && c[0] != '0' && c[col] == ':' && c[col + 1] == ' ') {
                return;
            }
        }
        p++;
    }
    fuzz_fail("%s: error without file:line:col: \"%s\"", what, err);
}

FUZZ_ORACLE static void check_mark(const char *what, const ld_mark *m)
{
    FUZZ_CHECK(m->file != NULL && m->line >= 1 && m->col >= 1,
               "%s: mark %s:%u:%u",
               what,
               m->file ? m->file : "(null)",
               m->line,
               m->col);
}

FUZZ_ORACLE static void check_reply(const char *what, const ld_reply *r)
{
    FUZZ_CHECK(strlen(r->rcode) == 3 &&
                   (r->rcode[0] == '4' || r->rcode[0] == '5') &&
                   isdigit((unsigned char)r->rcode[1]) &&
                   isdigit((unsigned char)r->rcode[2]),
               "%s: reply code \"%s\" accepted",
               what,
               r->rcode);
    FUZZ_CHECK(r->xcode[0] == '\0' || r->xcode[0] == r->rcode[0],
               "%s: reply %s with enhanced code %s",
               what,
               r->rcode,
               r->xcode);
    FUZZ_CHECK(r->text != NULL, "%s: reply without text", what);
}

FUZZ_ORACLE static void check_entry(const char *what, const ld_entry *e)
{
    size_t i;

    FUZZ_CHECK(
        e->name != NULL && e->name[0] != '\0', "%s: entry without name", what);
    FUZZ_CHECK(e->kind == LD_ENTRY_PROVIDER || e->enabled,
               "%s: trusted entry %s not enabled",
               what,
               e->name);
    check_mark(e->name, &e->mark);
    for (i = 0; i < e->nranges; i++) {
        const ld_range *r = &e->ranges[i];

        FUZZ_CHECK(r->family == AF_INET || r->family == AF_INET6,
                   "%s: range family %d",
                   e->name,
                   r->family);
        FUZZ_CHECK(fuzz_to_u128(r->lo, r->family) <=
                       fuzz_to_u128(r->hi, r->family),
                   "%s: range %zu reversed",
                   e->name,
                   i);
        FUZZ_CHECK(e->range_text != NULL && e->range_text[i] != NULL,
                   "%s: range %zu without its text",
                   e->name,
                   i);
        FUZZ_CHECK(e->range_mark != NULL, "%s: no range marks", e->name);
        check_mark(e->range_text[i], &e->range_mark[i]);
    }
}

FUZZ_ORACLE static bool
in_range(const ld_range *r, const uint8_t b[16], int family)
{
    fuzz_u128 v = fuzz_to_u128(b, family);

    return r->family == family && fuzz_to_u128(r->lo, family) <= v &&
           v <= fuzz_to_u128(r->hi, family);
}

FUZZ_ORACLE static bool
allowed_by_any(const ld_config *c, const uint8_t b[16], int family)
{
    size_t i, j;

    for (i = 0; i < c->nentries; i++) {
        const ld_entry *e = &c->entries[i];

        if (e->kind == LD_ENTRY_PROVIDER && !e->enabled) {
            continue;
        }
        for (j = 0; j < e->nranges; j++) {
            if (in_range(&e->ranges[j], b, family)) {
                return true;
            }
        }
    }
    return false;
}

/* ::ffff:a.b.c.d: such a client is looked up as a.b.c.d (addrset.h). */
FUZZ_ORACLE static bool is_mapped(const ld_range *r, const uint8_t b[16])
{
    static const uint8_t prefix[12] = {
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

    return r->family == AF_INET6 && memcmp(b, prefix, sizeof(prefix)) == 0;
}

FUZZ_ORACLE static void check_sets(const ld_config *c)
{
    size_t i, j;

    for (i = 0; i < c->nentries; i++) {
        const ld_entry *e = &c->entries[i];
        bool on = e->kind == LD_ENTRY_TRUSTED || e->enabled;

        for (j = 0; j < e->nranges; j++) {
            const ld_range *r = &e->ranges[j];
            const uint8_t *ends[2] = {r->lo, r->hi};
            size_t k;

            for (k = 0; k < 2; k++) {
                ld_addr a;
                uint16_t tag = ADDRSET_NOTAG;
                bool found;

                /* An IPv6 range may end inside ::ffff:0:0/96 (::/80 does):
                 * that end is an IPv4 client, which no IPv6 entry admits;
                 * check_v4_probes() checks it as IPv4. */
                if (is_mapped(r, ends[k])) {
                    continue;
                }

                a.family = r->family;
                memcpy(a.bytes, ends[k], 16);
                found =
                    c->allowed != NULL && addrset_lookup(c->allowed, &a, &tag);
                if (on) {
                    FUZZ_CHECK(found && tag < c->nentries,
                               "%s: \"%s\" not in the allowed set",
                               e->name,
                               e->range_text[j]);
                    FUZZ_CHECK(c->entries[tag].kind == LD_ENTRY_TRUSTED ||
                                   c->entries[tag].enabled,
                               "%s: allowed set says disabled entry %s",
                               e->name,
                               c->entries[tag].name);
                } else {
                    FUZZ_CHECK(found == allowed_by_any(c, ends[k], r->family),
                               "%s (disabled): \"%s\" allowed %d",
                               e->name,
                               e->range_text[j],
                               found);
                    FUZZ_CHECK(c->disabled != NULL &&
                                   addrset_lookup(c->disabled, &a, &tag) &&
                                   tag < c->nentries &&
                                   !c->entries[tag].enabled,
                               "%s (disabled): \"%s\" not in the disabled set",
                               e->name,
                               e->range_text[j]);
                }
            }
        }
    }
}

/*
 * An IPv4 client is admitted by IPv4 entries only: no IPv6 range, however
 * it is written or split, may open the server to IPv4 (mapped clients are
 * looked up as IPv4). Probes: both ends of the IPv4 space, loopback, and
 * the low 32 bits of every range's ends, where a range crossing
 * ::ffff:0:0/96 would leak.
 */
FUZZ_ORACLE static void check_v4_probe(const ld_config *c, uint32_t v)
{
    ld_addr a;
    uint16_t tag = ADDRSET_NOTAG;
    bool found, want;

    memset(&a, 0, sizeof(a));
    a.family = AF_INET;
    fuzz_from_u128(v, AF_INET, a.bytes);
    found = c->allowed != NULL && addrset_lookup(c->allowed, &a, &tag);
    want = allowed_by_any(c, a.bytes, AF_INET);
    FUZZ_CHECK(found == want,
               "IPv4 %u.%u.%u.%u: allowed %d, but %s IPv4 entry holds it",
               a.bytes[0],
               a.bytes[1],
               a.bytes[2],
               a.bytes[3],
               found,
               want ? "an" : "no");
}

FUZZ_ORACLE static void check_v4_probes(const ld_config *c)
{
    size_t i, j;

    check_v4_probe(c, 0);
    check_v4_probe(c, UINT32_MAX);
    check_v4_probe(c, 0x7f000001);
    for (i = 0; i < c->nentries; i++) {
        const ld_entry *e = &c->entries[i];

        for (j = 0; j < e->nranges; j++) {
            const ld_range *r = &e->ranges[j];

            if (r->family == AF_INET6) {
                check_v4_probe(c, (uint32_t)fuzz_to_u128(r->lo, AF_INET6));
                check_v4_probe(c, (uint32_t)fuzz_to_u128(r->hi, AF_INET6));
            }
        }
    }
}

FUZZ_ORACLE static void check_config(const ld_config *c)
{
    size_t i;

    FUZZ_CHECK(c->path != NULL && c->files != NULL && c->nfiles >= 1,
               "config without its files");
    FUZZ_CHECK(c->nproviders <= c->nentries && c->nentries <= LD_MAX_ENTRIES,
               "%zu providers, %zu entries",
               c->nproviders,
               c->nentries);
    FUZZ_CHECK(c->mode == LD_MODE_ENFORCE || c->mode == LD_MODE_MONITOR,
               "mode %d",
               c->mode);
    FUZZ_CHECK(c->refuse_at == LD_REFUSE_CONNECT ||
                   c->refuse_at == LD_REFUSE_MAIL,
               "refuse.at %d",
               c->refuse_at);
    FUZZ_CHECK(c->unknown_client >= LD_UNKNOWN_TEMPFAIL &&
                   c->unknown_client <= LD_UNKNOWN_ACCEPT,
               "unknown_client %d",
               c->unknown_client);
    for (i = 0; i < c->nentries; i++) {
        const ld_entry *e = &c->entries[i];

        FUZZ_CHECK(e->kind == (i < c->nproviders ? LD_ENTRY_PROVIDER
                                                 : LD_ENTRY_TRUSTED),
                   "entry %zu (%s) out of order",
                   i,
                   e->name);
        check_entry("config", e);
    }
    check_reply("refuse.reply", &c->refuse_reply);
    check_reply("relay.reply", &c->relay_reply);
    for (i = 0; i < c->nlocal_domains; i++) {
        const char *d = c->local_domains[i];
        const char *p;
        size_t len = strlen(d);

        FUZZ_CHECK(len > 0 && d[len - 1] != '.',
                   "local domain \"%s\" kept its trailing dot",
                   d);
        for (p = d; *p != '\0'; p++) {
            FUZZ_CHECK(!isupper((unsigned char)*p),
                       "local domain \"%s\" not lower case",
                       d);
        }
        FUZZ_CHECK(config_domain_local(c, d), "\"%s\" is not local", d);
    }
    for (i = 0; i < c->nwarnings; i++) {
        FUZZ_CHECK(c->warnings[i] != NULL, "warning %zu is NULL", i);
    }
    check_sets(c);
    check_v4_probes(c);
}

static void
load_main(const char *yaml, const char *name, const char *basedir, size_t size)
{
    char err[LD_ERRLEN];
    ld_config *c = NULL;

    err[0] = '\0';
    c = config_load_string(yaml, name, basedir, err, sizeof(err));
    if (c == NULL) {
        check_error(name, err);
        /* Now and then, with a tiny error buffer. */
        if (size % 16 == 0) {
            char small[7];

            c = config_load_string(yaml, name, basedir, small, sizeof(small));
            FUZZ_CHECK(c == NULL, "load succeeds with a small error buffer");
            FUZZ_CHECK(memchr(small, '\0', sizeof(small)) != NULL,
                       "error not terminated in a small buffer");
        }
        return;
    }
    check_config(c);
    config_free(c);
}

static void load_provider(const char *yaml)
{
    char err[LD_ERRLEN];
    ld_entry e;

    memset(&e, 0, sizeof(e));
    err[0] = '\0';
    if (config_provider_load_string(
            yaml, "fuzz-provider.yaml", "fuzzed", &e, err, sizeof(err)) != 0) {
        check_error("provider", err);
        return;
    }
    FUZZ_CHECK(e.kind == LD_ENTRY_PROVIDER && e.name != NULL &&
                   strcmp(e.name, "fuzzed") == 0 && !e.enabled,
               "provider loaded as %s entry \"%s\", enabled %d",
               e.kind == LD_ENTRY_PROVIDER ? "provider" : "trusted",
               e.name ? e.name : "(null)",
               e.enabled);
    check_entry("provider", &e);
    config_entry_clear(&e);
}

static void load_provider_file(const uint8_t *data, size_t size)
{
    FILE *f = fopen(provider_path, "wb");

    FUZZ_CHECK(f != NULL, "cannot write %s", provider_path);
    FUZZ_CHECK(fwrite(data, 1, size, f) == size && fclose(f) == 0,
               "cannot write %s",
               provider_path);
    load_main(fixed_main, "main.yaml", tmpdir, 1);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = NULL;

    if (size > MAX_INPUT) {
        return 0;
    }
    if (size > 0 && data[0] == 'F') {
        load_provider_file(data + 1, size - 1);
        return 0;
    }
    if (size > 0 && data[0] == 'P') {
        text = fuzz_strdup(data + 1, size - 1);
        load_provider(text);
    } else {
        text = fuzz_strdup(data, size);
        load_main(text, "fuzz.yaml", LD_FUZZ_DIR "/etc", size);
    }
    free(text);
    return 0;
}
