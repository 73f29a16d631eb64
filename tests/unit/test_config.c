/*
 * test_config.c - the YAML loader: the shipped files, every key, every
 * error class with its exact "file:line:col: message", warnings, file
 * checks, and the small query helpers.
 *
 * Table-driven: each case is inline YAML (main file, and provider files
 * written into a fresh temporary directory). "{dir}" in an expected message
 * stands for that directory.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include <cmocka.h>

#include "addr.h"
#include "addrset.h"
#include "config.h"
#include "sockspec.h"
#include "testutil.h"

#define MAIN "lockdown.yaml"

/* ---------------------------------------------------------------- helpers */

static int failures;

static void fail_case(const char *what, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void fail_case(const char *what, const char *fmt, ...)
{
    va_list ap;

    fprintf(stderr, "FAIL %s: ", what);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    failures++;
}

static void check_str(const char *what,
                      const char *field,
                      const char *got,
                      const char *want)
{
    bool same = false;

    if (got == NULL || want == NULL) {
        same = got == want;
    } else {
        same = strcmp(got, want) == 0;
    }
    if (!same) {
        fail_case(what,
                  "%s: got \"%s\", want \"%s\"",
                  field,
                  got ? got : "(null)",
                  want ? want : "(null)");
    }
}

static void check_long(const char *what, const char *field, long got, long want)
{
    if (got != want) {
        fail_case(what, "%s: got %ld, want %ld", field, got, want);
    }
}

static char *temp_dir(void)
{
    char tmpl[] = "/tmp/ld-config-test.XXXXXX";
    char *d = mkdtemp(tmpl);

    assert_non_null(d);
    return strdup(d);
}

/* Write dir/rel (creating dir/providers), then chmod to mode (0: 0644).
 * text NULL makes a directory instead. */
static void
put_file(const char *dir, const char *rel, const char *text, mode_t mode)
{
    char path[4096];
    char sub[4096];
    const char *slash = strrchr(rel, '/');

    if (slash != NULL) {
        snprintf(sub, sizeof(sub), "%s/%.*s", dir, (int)(slash - rel), rel);
        mkdir(sub, 0755);
    }
    snprintf(path, sizeof(path), "%s/%s", dir, rel);
    if (text == NULL) {
        assert_int_equal(mkdir(path, 0755), 0);
        return;
    }
    assert_int_equal(testutil_write_file(path, text), 0);
    assert_int_equal(chmod(path, mode ? mode : 0644), 0);
}

/* want with every "{dir}" replaced by dir. */
static char *expand(const char *want, const char *dir)
{
    size_t cap = strlen(want) + 1;
    const char *p = want;
    char *out = NULL;
    size_t o = 0;

    for (p = strstr(want, "{dir}"); p != NULL; p = strstr(p + 5, "{dir}")) {
        cap += strlen(dir);
    }
    out = malloc(cap);
    assert_non_null(out);
    for (p = want; *p != '\0';) {
        if (strncmp(p, "{dir}", 5) == 0) {
            memcpy(out + o, dir, strlen(dir));
            o += strlen(dir);
            p += 5;
        } else {
            out[o++] = *p++;
        }
    }
    out[o] = '\0';
    return out;
}

static bool lookup(const addrset *s, const char *text, uint16_t *tag)
{
    ld_addr a;
    char err[LD_ERRLEN];

    if (addr_parse(text, &a, err, sizeof(err)) != 0) {
        fail_case(text, "addr_parse: %s", err);
        return false;
    }
    return addrset_lookup(s, &a, tag);
}

/* Expect address text in s with entry tag want_tag, or absent (-1). */
static void
check_lookup(const char *what, const addrset *s, const char *text, int want_tag)
{
    uint16_t tag = ADDRSET_NOTAG;
    bool found = lookup(s, text, &tag);
    int got = found ? (int)tag : -1;

    if (got != want_tag) {
        fail_case(what, "lookup %s: got tag %d, want %d", text, got, want_tag);
    }
}

/* ---------------------------------------------------------------- shared */

#define P_MAILROUTE                                                            \
    "name: MailRoute\n"                                                        \
    "source: \"https://www.mailroute.net/\"\n"                                 \
    "ranges:\n"                                                                \
    "  - 199.89.0.0/21\n"                                                      \
    "relay: true\n"

#define P_POSTINI                                                              \
    "name: Postini\n"                                                          \
    "source: mxtoolbox\n"                                                      \
    "ranges: [208.123.79.0/24, 64.18.0.0/255.255.240.0]\n"

#define P_MONITORED                                                            \
    "name: Trial\n"                                                            \
    "source: test\n"                                                           \
    "ranges: [192.0.2.0-192.0.2.255]\n"                                        \
    "mode: monitor\n"

/* ---------------------------------------------------------------- errors */

struct file_spec {
    const char *rel;  /* relative to the case directory */
    const char *text; /* NULL: a directory */
    mode_t mode;      /* 0: 0644 */
};

struct load_case {
    const char *what;
    const char *yaml;
    struct file_spec files[4];
    const char *want_err;  /* NULL: must load */
    const char *want_warn; /* with want_err NULL: the only warning, or NULL */
};

static const struct load_case load_cases[] = {
    /* structure: what libyaml reads */
    {"empty file",
     "",
     {{0}},
     MAIN ":1:1: empty file, expected a mapping",
     NULL},
    {"comments only",
     "# nothing\n",
     {{0}},
     MAIN ":1:1: empty file, expected a mapping",
     NULL},
    {"top level is a list",
     "- providers\n",
     {{0}},
     MAIN ":1:1: expected a mapping at the top, got a list",
     NULL},
    {"top level is a scalar",
     "enforce\n",
     {{0}},
     MAIN ":1:1: expected a mapping at the top, got \"enforce\"",
     NULL},
    {"syntax error: unclosed flow",
     "providers: {}\nmode: [enforce\n",
     {{0}},
     MAIN ":3:1: YAML syntax error: did not find expected ',' or ']' "
          "(while parsing a flow sequence at line 2, column 7)",
     NULL},
    {"syntax error: bad indentation",
     "providers: {}\nscope:\n  ports: [25]\n bad: 1\n",
     {{0}},
     MAIN ":4:2: YAML syntax error: did not find expected key (while "
          "parsing a block mapping at line 1, column 1)",
     NULL},
    {"syntax error: tab indentation",
     "providers: {}\nscope:\n\tports: [25]\n",
     {{0}},
     MAIN ":3:1: YAML syntax error: found character that cannot start any "
          "token (while scanning for the next token at line 3, column 1)",
     NULL},
    {"invalid UTF-8",
     "providers: {}\nmode: \xff\n",
     {{0}},
     MAIN ":2:7: invalid text: invalid leading UTF-8 octet (byte 0xff)",
     NULL},
    {"NUL escape in a value",
     "providers: {}\nmode: \"en\\0force\"\n",
     {{0}},
     MAIN ":2:7: NUL character in a value",
     NULL},
    {"second document",
     "providers: {}\n---\nmode: enforce\n",
     {{0}},
     MAIN ":2:1: a second YAML document; a file holds exactly one",
     NULL},
    {"second document after end marker",
     "providers: {}\n...\n---\nmode: enforce\n",
     {{0}},
     MAIN ":3:1: a second YAML document; a file holds exactly one",
     NULL},
    {"alias",
     "providers: {}\nmode: *m\n",
     {{0}},
     MAIN ":2:7: aliases are not allowed (\"*m\"); write the value out",
     NULL},
    {"anchor",
     "providers: {}\nrelay:\n  local_domains: &d [example.com]\n",
     {{0}},
     MAIN ":3:18: anchors are not allowed (\"&d\"); write the value out",
     NULL},
    {"anchor on a scalar",
     "providers: {}\nmode: &m enforce\n",
     {{0}},
     MAIN ":2:7: anchors are not allowed (\"&m\"); write the value out",
     NULL},
    {"tag !!str",
     "providers: {}\nmode: !!str enforce\n",
     {{0}},
     MAIN ":2:7: tags are not allowed (\"!!str\"); the schema gives each key "
          "its type",
     NULL},
    {"tag on a mapping",
     "providers: !!map {}\n",
     {{0}},
     MAIN ":1:12: tags are not allowed (\"!!map\"); the schema gives each "
          "key its type",
     NULL},
    {"local tag",
     "providers: {}\nmode: !custom enforce\n",
     {{0}},
     MAIN ":2:7: tags are not allowed (\"!custom\"); the schema gives each "
          "key its type",
     NULL},
    /* root, scope, ports: 8 levels; the 9th opens at column 22 */
    {"nested deeper than LD_MAX_DEPTH",
     "providers: {}\nscope: {ports: [[[[[[[[25]]]]]]]]}\n",
     {{0}},
     MAIN ":2:22: nested deeper than 8 levels",
     NULL},
    {"non-scalar key",
     "providers: {}\n[mode]: enforce\n",
     {{0}},
     MAIN ":2:1: keys must be plain names, got a list",
     NULL},

    /* schema: keys and types */
    {"unknown key",
     "providers: {}\nmodes: enforce\n",
     {{0}},
     MAIN ":2:1: unknown key \"modes\" (known keys: mode, providers_dir, "
          "providers, trusted, scope, refuse, unknown_client, relay, daemon, "
          "log)",
     NULL},
    {"unknown nested key",
     "providers: {}\nscope:\n  port: [25]\n",
     {{0}},
     MAIN ":3:3: scope: unknown key \"port\" (known keys: ports, domains)",
     NULL},
    {"unknown key in a trusted entry",
     "providers: {}\ntrusted:\n  - name: lan\n    ranges: [10.0.0.0/8]\n"
     "    mode: monitor\n",
     {{0}},
     MAIN ":5:5: trusted[0]: unknown key \"mode\" (known keys: name, ranges, "
          "relay)",
     NULL},
    {"duplicate key",
     "providers: {}\nmode: enforce\nmode: monitor\n",
     {{0}},
     MAIN ":3:1: duplicate key \"mode\" (first at line 2, column 1)",
     NULL},
    {"duplicate nested key",
     "providers: {}\nrelay:\n  authenticated: true\n  authenticated: false\n",
     {{0}},
     MAIN ":4:3: relay: duplicate key \"authenticated\" (first at line 3, "
          "column 3)",
     NULL},
    {"duplicate provider key",
     "providers:\n  mailroute: enabled\n  mailroute: disabled\n",
     {{0}},
     MAIN ":3:3: providers: duplicate key \"mailroute\" (first at line 2, "
          "column 3)",
     NULL},
    {"missing required key",
     "mode: enforce\n",
     {{0}},
     MAIN ":1:1: missing required key \"providers\"",
     NULL},
    {"missing required key in a trusted entry",
     "providers: {}\ntrusted:\n  - name: lan\n",
     {{0}},
     MAIN ":3:5: trusted[0]: missing required key \"ranges\"",
     NULL},
    {"missing trusted name",
     "providers: {}\ntrusted:\n  - ranges: [10.0.0.0/8]\n",
     {{0}},
     MAIN ":3:5: trusted[0]: missing required key \"name\"",
     NULL},
    {"list where a scalar is expected",
     "providers: {}\nmode: [enforce]\n",
     {{0}},
     MAIN ":2:7: mode: expected one of: enforce, monitor, got a list",
     NULL},
    {"unknown log mode",
     "providers: {}\nlog: accepts\n",
     {{0}},
     MAIN ":2:6: log: \"accepts\" is not one of: decisions, refusals",
     NULL},
    {"scalar where a list is expected",
     "providers: {}\nscope:\n  ports: 25\n",
     {{0}},
     MAIN ":3:10: scope.ports: expected a list, got \"25\"",
     NULL},
    {"list where a mapping is expected",
     "providers: [mailroute]\n",
     {{0}},
     MAIN ":1:12: providers: expected a mapping, got a list",
     NULL},
    {"trusted is a mapping",
     "providers: {}\ntrusted: {name: lan}\n",
     {{0}},
     MAIN ":2:10: trusted: expected a list of mappings, got a mapping",
     NULL},
    {"trusted item is a scalar",
     "providers: {}\ntrusted:\n  - lan\n",
     {{0}},
     MAIN ":3:5: trusted[0]: expected a mapping, got \"lan\"",
     NULL},
    {"range is a list",
     "providers: {}\ntrusted:\n  - name: lan\n    ranges: [[10.0.0.0/8]]\n",
     {{0}},
     MAIN ":4:14: trusted[0].ranges: expected a string, got a list",
     NULL},
    {"missing value",
     "providers: {}\nmode:\n",
     {{0}},
     MAIN ":2:6: mode: missing value (expected one of: enforce, monitor)",
     NULL},
    {"null value",
     "providers: {}\nunknown_client: ~\n",
     {{0}},
     MAIN ":2:17: unknown_client: missing value (expected one of: tempfail, "
          "reject, accept)",
     NULL},
    {"empty string",
     "providers: {}\ntrusted:\n  - name: \"\"\n"
     "    ranges: [10.0.0.0/8]\n",
     {{0}},
     MAIN ":3:11: trusted[0].name: empty string",
     NULL},
    {"bad enum",
     "providers: {}\nmode: enforcing\n",
     {{0}},
     MAIN ":2:7: mode: \"enforcing\" is not one of: enforce, monitor",
     NULL},
    {"enum is case-sensitive",
     "providers: {}\nrefuse:\n  at: Connect\n",
     {{0}},
     MAIN ":3:7: refuse.at: \"Connect\" is not one of: connect, mail",
     NULL},
    {"provider state is not a boolean",
     "providers:\n  mailroute: true\n",
     {{0}},
     MAIN ":2:14: providers.mailroute: \"true\" is not one of: enabled, "
          "disabled",
     NULL},
    {"boolean yes",
     "providers: {}\nrelay:\n  authenticated: yes\n",
     {{0}},
     MAIN ":3:18: relay.authenticated: \"yes\" is not a boolean (write true "
          "or false)",
     NULL},
    {"boolean True",
     "providers: {}\nrelay:\n  authenticated: True\n",
     {{0}},
     MAIN ":3:18: relay.authenticated: \"True\" is not a boolean (write true "
          "or false)",
     NULL},
    {"control character in a string",
     "providers: {}\ntrusted:\n  - name: \"a\\tb\"\n    ranges: [10.0.0.0/8]\n",
     {{0}},
     MAIN ":3:11: trusted[0].name: \"a\\tb\" must be one line of text without "
          "control characters",
     NULL},

    /* ports */
    {"port out of range",
     "providers: {}\nscope:\n  ports: [25, 99999]\n",
     {{0}},
     MAIN ":3:15: scope.ports: \"99999\" is not a port (1-65535)",
     NULL},
    {"port zero",
     "providers: {}\nscope:\n  ports: [0]\n",
     {{0}},
     MAIN ":3:11: scope.ports: \"0\" is not a port (1-65535)",
     NULL},
    {"port with a leading zero",
     "providers: {}\nscope:\n  ports: [025]\n",
     {{0}},
     MAIN ":3:11: scope.ports: \"025\" is not a port (1-65535)",
     NULL},
    {"port with a sign",
     "providers: {}\nscope:\n  ports: [+25]\n",
     {{0}},
     MAIN ":3:11: scope.ports: \"+25\" is not a port (1-65535)",
     NULL},
    {"port by name",
     "providers: {}\nscope:\n  ports: [smtp]\n",
     {{0}},
     MAIN ":3:11: scope.ports: \"smtp\" is not a port (1-65535)",
     NULL},
    {"duplicate port",
     "providers: {}\nscope:\n  ports: [25, 587, 25]\n",
     {{0}},
     MAIN ":3:20: scope.ports: 25 is listed twice",
     NULL},

    /* replies */
    {"reply not a refusal",
     "providers: {}\nrefuse:\n  reply: \"250 OK\"\n",
     {{0}},
     MAIN ":3:10: refuse.reply: \"250 OK\": 250 is not a refusal code (4xx or "
          "5xx, like 554)",
     NULL},
    {"reply second digit",
     "providers: {}\nrefuse:\n  reply: \"591 no\"\n",
     {{0}},
     MAIN ":3:10: refuse.reply: \"591 no\": 591 is not a refusal code (4xx or "
          "5xx, like 554)",
     NULL},
    {"reply without a code",
     "providers: {}\nrefuse:\n  reply: go away\n",
     {{0}},
     MAIN ":3:10: refuse.reply: \"go away\" does not start with a reply code, "
          "like \"554 5.7.1 text\"",
     NULL},
    {"reply code too long",
     "providers: {}\nrefuse:\n  reply: \"5540 no\"\n",
     {{0}},
     MAIN ":3:10: refuse.reply: \"5540 no\" does not start with a reply code, "
          "like \"554 5.7.1 text\"",
     NULL},
    {"reply class mismatch",
     "providers: {}\nrefuse:\n  reply: \"554 4.7.1 go away\"\n",
     {{0}},
     MAIN ":3:10: refuse.reply: \"554 4.7.1 go away\": enhanced code 4.7.1 "
          "does not match reply code 554 (both must start with the same "
          "digit)",
     NULL},
    {"reply bad enhanced code",
     "providers: {}\nrelay:\n  reply: \"554 5.7 relaying denied\"\n",
     {{0}},
     MAIN ":3:10: relay.reply: \"554 5.7 relaying denied\": \"5.7\" is not an "
          "enhanced status code like 5.7.1",
     NULL},
    {"reply without text",
     "providers: {}\nrelay:\n  reply: \"554 5.7.1\"\n",
     {{0}},
     MAIN ":3:10: relay.reply: \"554 5.7.1\" has no text after the code",
     NULL},
    {"reply code only",
     "providers: {}\nrefuse:\n  reply: \"554\"\n",
     {{0}},
     MAIN ":3:10: refuse.reply: \"554\" has no text after the code",
     NULL},
    {"reply with CR LF",
     "providers: {}\nrefuse:\n  reply: \"554 5.7.1 a\\r\\nRCPT TO:<x>\"\n",
     {{0}},
     MAIN ":3:10: refuse.reply: \"554 5.7.1 a\\r\\nRCPT TO:<x>\" must be one "
          "line of text without control characters",
     NULL},
    {"reply with percent",
     "providers: {}\nrefuse:\n  reply: \"554 5.7.1 100% sure\"\n",
     {{0}},
     MAIN ":3:10: refuse.reply: \"554 5.7.1 100% sure\": '%' is not allowed "
          "in the text",
     NULL},
    {"reply not ASCII",
     "providers: {}\nrefuse:\n  reply: \"554 5.7.1 Zürich\"\n",
     {{0}},
     MAIN ":3:10: refuse.reply: \"554 5.7.1 Zürich\": the text must be one "
          "line of printable ASCII",
     NULL},

    /* names */
    {"provider key with capitals",
     "providers:\n  MailRoute: enabled\n",
     {{0}},
     MAIN ":2:3: providers.MailRoute: \"MailRoute\" is not a valid profile "
          "name (a-z, 0-9, - and _, at most 64 characters; the file is "
          "NAME.yaml)",
     NULL},
    {"provider key with a path",
     "providers:\n  ../etc/passwd: enabled\n",
     {{0}},
     MAIN ":2:3: providers.../etc/passwd: \"../etc/passwd\" is not a valid "
          "profile name (a-z, 0-9, - and _, at most 64 characters; the file "
          "is NAME.yaml)",
     NULL},
    {"trusted name with a space",
     "providers: {}\ntrusted:\n  - name: office lan\n"
     "    ranges: [10.0.0.0/8]\n",
     {{0}},
     MAIN ":3:11: trusted[0].name: \"office lan\" is not a valid name (a-z, "
          "0-9, - and _, at most 64 characters)",
     NULL},
    {"duplicate trusted names",
     "providers: {}\ntrusted:\n  - name: lan\n    ranges: [10.0.0.0/8]\n"
     "  - name: lan\n    ranges: [10.1.0.0/16]\n",
     {{0}},
     MAIN ":5:11: trusted[1].name: \"lan\" is already the name of trusted[0] "
          "(line 3)",
     NULL},
    {"trusted name equals a provider key",
     "providers:\n  mailroute: enabled\ntrusted:\n  - name: mailroute\n"
     "    ranges: [10.0.0.0/8]\n",
     {{0}},
     MAIN ":4:11: trusted[0].name: \"mailroute\" is already the name of a "
          "provider (line 2)",
     NULL},
    {"provider key equals an earlier trusted name",
     "trusted:\n  - name: mailroute\n    ranges: [10.0.0.0/8]\n"
     "providers:\n  mailroute: enabled\n",
     {{0}},
     MAIN ":5:3: providers.mailroute: \"mailroute\" is already the name of a "
          "trusted entry (line 2)",
     NULL},

    /* ranges */
    {"range with host bits",
     "providers: {}\ntrusted:\n  - name: lan\n    ranges: [192.168.10.1/24]\n",
     {{0}},
     MAIN ":4:14: trusted[0].ranges: \"192.168.10.1/24\": host bits set, did "
          "you mean \"192.168.10.0/24\"?",
     NULL},
    {"range in octal",
     "providers: {}\ntrusted:\n  - name: lan\n    ranges:\n      - 010.1.1.1\n",
     {{0}},
     "MODULE",
     NULL}, /* the message of range_parse(), see below */
    {"empty ranges",
     "providers: {}\ntrusted:\n  - name: lan\n    ranges: []\n",
     {{0}},
     MAIN ":4:13: trusted[0].ranges: must not be empty",
     NULL},
    {"null ranges",
     "providers: {}\ntrusted:\n  - name: lan\n    ranges:\n",
     {{0}},
     MAIN ":4:12: trusted[0].ranges: must not be empty",
     NULL},
    {"same range twice in one entry",
     "providers: {}\ntrusted:\n  - name: lan\n    ranges:\n"
     "      - 10.0.0.0/8\n      - 192.168.0.0/16\n"
     "      - 10.0.0.0-10.255.255.255\n",
     {{0}},
     MAIN ":7:9: trusted[0].ranges: \"10.0.0.0-10.255.255.255\" is the same "
          "range as \"10.0.0.0/8\" (line 5)",
     NULL},
    {"same address twice in one entry (IPv6)",
     "providers: {}\ntrusted:\n  - name: lo\n    ranges: [\"::1\", "
     "\"::1/128\"]\n",
     {{0}},
     MAIN ":4:21: trusted[0].ranges: \"::1/128\" is the same range as \"::1\" "
          "(line 4)",
     NULL},

    /* local domains */
    {"local domain with a space",
     "providers: {}\nrelay:\n  local_domains: [example.com, \"exa "
     "mple.com\"]\n",
     {{0}},
     MAIN ":3:32: relay.local_domains: \"exa mple.com\" is not a domain name "
          "(only letters, digits, '-' and '.'; write IDNs in xn-- form)",
     NULL},
    {"local domain empty label",
     "providers: {}\nrelay:\n  local_domains: [example..com]\n",
     {{0}},
     MAIN ":3:19: relay.local_domains: \"example..com\" is not a domain name "
          "(empty label)",
     NULL},
    {"local domain label starts with a dash",
     "providers: {}\nrelay:\n  local_domains: [-example.com]\n",
     {{0}},
     MAIN ":3:19: relay.local_domains: \"-example.com\" is not a domain name "
          "(a label starts with '-')",
     NULL},
    {"local domain is an address",
     "providers: {}\nrelay:\n  local_domains: [192.0.2.1]\n",
     {{0}},
     MAIN ":3:19: relay.local_domains: \"192.0.2.1\" is an address, not a "
          "domain name",
     NULL},
    {"local domain twice after normalising",
     "providers: {}\nrelay:\n  local_domains:\n    - example.com\n"
     "    - Example.COM.\n",
     {{0}},
     MAIN ":5:7: relay.local_domains: \"example.com\" is listed twice (first "
          "at line 4)",
     NULL},

    /* daemon */
    {"socket mode world-writable",
     "providers: {}\ndaemon:\n  socket_mode: \"0666\"\n",
     {{0}},
     MAIN ":3:16: daemon.socket_mode: \"0666\" makes the socket writable by "
          "others (any local user could talk to the milter); use \"0660\" and "
          "socket_owner",
     NULL},
    {"socket mode not octal",
     "providers: {}\ndaemon:\n  socket_mode: \"0690\"\n",
     {{0}},
     MAIN ":3:16: daemon.socket_mode: \"0690\" is not an octal mode like "
          "\"0660\"",
     NULL},
    {"socket mode with setuid bits",
     "providers: {}\ndaemon:\n  socket_mode: \"4660\"\n",
     {{0}},
     MAIN ":3:16: daemon.socket_mode: \"4660\" is not an octal mode like "
          "\"0660\"",
     NULL},
    {"bad socket spec",
     "providers: {}\ndaemon:\n  socket: \"unix:run/milter.sock\"\n",
     {{0}},
     "MODULE",
     NULL}, /* the message of sockspec_parse(), see below */
    {"bad user",
     "providers: {}\ndaemon:\n  user: \"lockdown milter\"\n",
     {{0}},
     MAIN ":3:9: daemon.user: \"lockdown milter\" is not \"user\" or "
          "\"user:group\"",
     NULL},
    {"bad socket owner",
     "providers: {}\ndaemon:\n  socket_owner: \"milter:\"\n",
     {{0}},
     MAIN ":3:17: daemon.socket_owner: \"milter:\" is not \"user\" or "
          "\"user:group\"",
     NULL},
    {"relative pidfile",
     "providers: {}\ndaemon:\n  pidfile: run/milter.pid\n",
     {{0}},
     MAIN ":3:12: daemon.pidfile: \"run/milter.pid\" must be an absolute path",
     NULL},
    {"scope.domains: not a domain",
     "providers: {}\nscope:\n  domains: [\"exa mple.com\"]\n",
     {{0}},
     MAIN ":3:13: scope.domains: \"exa mple.com\" is not a domain name "
          "(only letters, digits, '-' and '.'; write IDNs in xn-- form)",
     NULL},
    {"scope.domains: listed twice",
     "providers: {}\nscope:\n  domains: [example.com, EXAMPLE.com.]\n",
     {{0}},
     MAIN ":3:26: scope.domains: \"example.com\" is listed twice (first at "
          "line 3)",
     NULL},
    {"refuse.drift_reply: 5xx",
     "providers: {}\nrefuse:\n  drift_reply: \"554 5.7.1 Go away\"\n",
     {{0}},
     MAIN ":3:16: refuse.drift_reply: \"554 5.7.1 Go away\": a provider's "
          "server outside the ranges must be asked to retry, so the code "
          "must be 4xx, like 451 4.7.1",
     NULL},
    {"refuse.drift_reply: bad enhanced code",
     "providers: {}\nrefuse:\n  drift_reply: \"451 5.7.1 Later\"\n",
     {{0}},
     MAIN ":3:16: refuse.drift_reply: \"451 5.7.1 Later\": enhanced code "
          "5.7.1 does not match reply code 451 (both must start with the "
          "same digit)",
     NULL},
    {"bad syslog facility",
     "providers: {}\ndaemon:\n  syslog_facility: local8\n",
     {{0}},
     MAIN ":3:20: daemon.syslog_facility: \"local8\" is not one of: mail, "
          "daemon, local0, local1, local2, local3, local4, local5, local6, "
          "local7",
     NULL},

    /* provider files */
    {"provider file missing",
     "providers:\n  mailroute: enabled\n",
     {{0}},
     MAIN ":2:3: providers.mailroute: cannot open the profile "
          "\"{dir}/providers/mailroute.yaml\": No such file or directory",
     NULL},
    {"disabled provider file missing",
     "providers:\n  mailroute: enabled\n  postini: disabled\n",
     {{"providers/mailroute.yaml", P_MAILROUTE, 0}},
     MAIN ":3:3: providers.postini: cannot open the profile "
          "\"{dir}/providers/postini.yaml\": No such file or directory",
     NULL},
    {"provider file world-writable",
     "providers:\n  mailroute: enabled\n",
     {{"providers/mailroute.yaml", P_MAILROUTE, 0666}},
     "{dir}/providers/mailroute.yaml:1:1: refusing a file writable by others "
     "(mode 0666): anyone could open the server; run chmod o-w on it",
     NULL},
    {"provider file is a directory",
     "providers:\n  mailroute: enabled\n",
     {{"providers/mailroute.yaml", NULL, 0}},
     "{dir}/providers/mailroute.yaml:1:1: not a regular file",
     NULL},
    {"error inside a provider file",
     "providers:\n  mailroute: enabled\n",
     {{"providers/mailroute.yaml",
       "name: MailRoute\nsource: x\nranges:\n  - 199.89.0.0/21\n"
       "  - 199.89.0.1/21\n",
       0}},
     "{dir}/providers/mailroute.yaml:5:5: ranges: \"199.89.0.1/21\": host "
     "bits set, did you mean \"199.89.0.0/21\"?",
     NULL},
    {"provider file in another providers_dir",
     "providers_dir: profiles/\nproviders:\n  mailroute: enabled\n",
     {{"providers/mailroute.yaml", P_MAILROUTE, 0}},
     MAIN ":3:3: providers.mailroute: cannot open the profile "
          "\"{dir}/profiles/mailroute.yaml\": No such file or directory",
     NULL},
    {"unnamed provider file is a warning",
     "providers:\n  mailroute: enabled\n",
     {{"providers/mailroute.yaml", P_MAILROUTE, 0},
      {"providers/newprofile.yaml", P_POSTINI, 0},
      {"providers/README", "not yaml", 0},
      {"providers/mailroute.yaml.dpkg-dist", P_MAILROUTE, 0}},
     NULL,
     "{dir}/providers/newprofile.yaml:1:1: warning: profile \"newprofile\" is "
     "not listed under providers: in " MAIN " and is ignored (add "
     "\"newprofile: disabled\" there to silence this)"},
    {"unnamed provider file with an invalid name",
     "providers:\n  mailroute: enabled\n",
     {{"providers/mailroute.yaml", P_MAILROUTE, 0},
      {"providers/Old Profile.yaml", "junk: [", 0}},
     NULL,
     "{dir}/providers/Old Profile.yaml:1:1: warning: not a valid profile "
     "name, not listed under providers: in " MAIN "; the file is ignored"},
    {"group-writable files are accepted",
     "providers:\n  mailroute: enabled\n",
     {{"providers/mailroute.yaml", P_MAILROUTE, 0664}},
     NULL,
     NULL},
    /* the examples of doc/lockdown.yaml.5 load as printed there */
    {"man page: MailRoute",
     "mode: enforce\nproviders:\n  mailroute: enabled\n  postini: disabled\n"
     "  arrowmail: disabled\ntrusted:\n  - name: loopback\n"
     "    ranges: [127.0.0.0/8, \"::1\"]\n    relay: true\nscope:\n"
     "  ports: [25]\n",
     {{"providers/mailroute.yaml",
       "name: MailRoute\nsource: \"https://www.mailroute.net/ (support: "
       "lock down your mail server)\"\nranges:\n  - 199.89.0.0/21\n"
       "relay: true\n",
       0},
      {"providers/postini.yaml",
       "name: Postini\nsource: "
       "\"http://www.mxtoolbox.com/flexbox_support/support_flockdown.html\"\n"
       "ranges:\n  - 208.123.79.0/24\n  - 64.18.0.0/255.255.240.0\n"
       "relay: true\n",
       0},
      {"providers/arrowmail.yaml",
       "name: Arrowmail\nsource: x\nranges: [83.245.15.239]\n",
       0}},
     NULL,
     NULL},
    {"man page: LAN, fax, copier, web form",
     "providers: {}\ntrusted:\n  - name: loopback\n"
     "    ranges: [127.0.0.0/8, \"::1\"]\n    relay: true\n"
     "  - name: office-lan\n"
     "    ranges: [192.168.10.0/24, \"2001:db8:10::/48\"]\n"
     "    relay: true\n  - name: fax\n    ranges: [192.168.10.30]\n"
     "  - name: copier\n    ranges: [192.168.10.40-192.168.10.41]\n"
     "  - name: webform\n    ranges: [203.0.113.80]\nrelay:\n"
     "  local_domains: [example.com, example.net]\n",
     {{0}},
     NULL,
     NULL},
    {"man page: remote staff",
     "providers: {}\nrefuse:\n  at: mail\n"
     "  reply: \"554 5.7.1 Mail must arrive through the filtering service\"\n"
     "relay:\n  local_domains: [example.com]\n  authenticated: true\n",
     {{0}},
     NULL,
     NULL},
    {"man page: monitored profile",
     "providers:\n  newfilter: enabled\n",
     {{"providers/newfilter.yaml",
       "# providers/newfilter.yaml\nname: NewFilter\n"
       "source: \"https://newfilter.example/guide\"\n"
       "ranges: [192.0.2.0/24]\nmode: monitor\n",
       0}},
     NULL,
     NULL},
    {"null collections are empty",
     "providers:\ntrusted:\nscope:\nrelay:\n  local_domains:\ndaemon:\n",
     {{0}},
     NULL,
     NULL},
};

/* Messages of other modules, quoted as they write them. */
static char *module_message(const struct load_case *tc)
{
    char msg[LD_ERRLEN];
    char *out = NULL;

    msg[0] = '\0';
    if (strcmp(tc->what, "range in octal") == 0) {
        ld_range r;

        if (range_parse("010.1.1.1", &r, msg, sizeof(msg)) == 0) {
            return NULL;
        }
        out = malloc(strlen(msg) + 64);
        assert_non_null(out);
        sprintf(out, MAIN ":5:9: trusted[0].ranges: %s", msg);
    } else if (strcmp(tc->what, "bad socket spec") == 0) {
        ld_sockspec spec;

        if (sockspec_parse("unix:run/milter.sock", &spec, msg, sizeof(msg)) ==
            0) {
            return NULL;
        }
        out = malloc(strlen(msg) + 64);
        assert_non_null(out);
        sprintf(out, MAIN ":3:11: daemon.socket: %s", msg);
    }
    return out;
}

static void test_load_errors(void **state)
{
    size_t i = 0;

    (void)state;
    failures = 0;
    for (i = 0; i < sizeof(load_cases) / sizeof(load_cases[0]); i++) {
        const struct load_case *tc = &load_cases[i];
        char *dir = temp_dir();
        char *want_err = NULL;
        char *want_warn = NULL;
        char err[LD_ERRLEN];
        ld_config *c = NULL;
        size_t j = 0;

        for (j = 0; j < 4 && tc->files[j].rel != NULL; j++) {
            put_file(
                dir, tc->files[j].rel, tc->files[j].text, tc->files[j].mode);
        }
        if (tc->want_err != NULL && strcmp(tc->want_err, "MODULE") == 0) {
            want_err = module_message(tc);
            if (want_err == NULL) {
                fail_case(tc->what, "the module accepted the input");
                want_err = strdup("(an error)");
            }
        } else if (tc->want_err != NULL) {
            want_err = expand(tc->want_err, dir);
        }
        if (tc->want_warn != NULL) {
            want_warn = expand(tc->want_warn, dir);
        }
        strcpy(err, "(untouched)");
        c = config_load_string(tc->yaml, MAIN, dir, err, sizeof(err));
        if (want_err != NULL) {
            if (c != NULL) {
                fail_case(tc->what, "loaded, want error \"%s\"", want_err);
            } else {
                check_str(tc->what, "error", err, want_err);
            }
        } else if (c == NULL) {
            fail_case(tc->what, "got error \"%s\", want a config", err);
        } else {
            check_long(
                tc->what, "nwarnings", (long)c->nwarnings, want_warn ? 1 : 0);
            if (want_warn != NULL && c->nwarnings > 0) {
                check_str(tc->what, "warning", c->warnings[0], want_warn);
            }
            if (c->allowed == NULL || c->disabled == NULL) {
                fail_case(tc->what, "address sets not built");
            }
        }
        config_free(c);
        free(want_err);
        free(want_warn);
        testutil_rm_rf(dir);
        free(dir);
    }
    assert_int_equal(failures, 0);
}

/* ------------------------------------------------------- provider files */

struct provider_case {
    const char *what;
    const char *yaml;
    const char *want_err; /* NULL: must load */
};

#define PFILE "providers/mailroute.yaml"

static const struct provider_case provider_cases[] = {
    {"host bits set",
     "name: MailRoute\nsource: x\nranges:\n  - 199.89.0.0/21\n"
     "  - 199.89.0.1/21\n",
     PFILE ":5:5: ranges: \"199.89.0.1/21\": host bits set, did you mean "
           "\"199.89.0.0/21\"?"},
    {"missing name",
     "source: x\nranges: [199.89.0.0/21]\n",
     PFILE ":1:1: missing required key \"name\""},
    {"missing source",
     "name: MailRoute\nranges: [199.89.0.0/21]\n",
     PFILE ":1:1: missing required key \"source\""},
    {"missing ranges",
     "name: MailRoute\nsource: x\n",
     PFILE ":1:1: missing required key \"ranges\""},
    {"empty ranges",
     "name: MailRoute\nsource: x\nranges: []\n",
     PFILE ":3:9: ranges: must not be empty"},
    {"ranges is a string",
     "name: MailRoute\nsource: x\nranges: 199.89.0.0/21\n",
     PFILE ":3:9: ranges: expected a list, got \"199.89.0.0/21\""},
    {"relay yes",
     "name: M\nsource: x\nranges: [199.89.0.0/21]\nrelay: yes\n",
     PFILE ":4:8: relay: \"yes\" is not a boolean (write true or false)"},
    {"bad mode",
     "name: M\nsource: x\nranges: [199.89.0.0/21]\nmode: off\n",
     PFILE ":4:7: mode: \"off\" is not one of: enforce, monitor"},
    {"enabled inside the profile",
     "name: M\nsource: x\nranges: [199.89.0.0/21]\nenabled: true\n",
     PFILE ":4:1: unknown key \"enabled\" (known keys: name, source, ranges, "
           "relay, hostnames, tls_names, tls_required, mode)"},
    {"tls_required without tls_names",
     "name: M\nsource: x\nranges: [199.89.0.0/21]\ntls_required: true\n",
     PFILE ":4:15: tls_required: true needs tls_names: the names of the "
           "certificates that must be presented"},
    {"tls_names: a bad pattern",
     "name: M\nsource: x\nranges: [199.89.0.0/21]\n"
     "tls_names: [\"/CN=mx.example.net\"]\n",
     PFILE ":4:13: tls_names: host name pattern \"/CN=mx.example.net\": only "
           "letters, digits, '-' and '.' are allowed"},
    {"tls_names and tls_required: good",
     "name: M\nsource: x\nranges: [199.89.0.0/21]\n"
     "tls_names: [\"*.mailroute.net\"]\ntls_required: true\n",
     NULL},
    {"hostnames: a wildcard over a top-level domain",
     "name: M\nsource: x\nranges: [199.89.0.0/21]\nhostnames: [\"*.net\"]\n",
     PFILE ":4:13: hostnames: host name pattern \"*.net\" covers a whole "
           "top-level domain: name the provider's domain, as in "
           "\"*.example.net\""},
    {"hostnames: '*' inside a label",
     "name: M\nsource: x\nranges: [199.89.0.0/21]\n"
     "hostnames: [\"mx*.example.net\"]\n",
     PFILE ":4:13: hostnames: host name pattern \"mx*.example.net\": '*' is "
           "allowed only as the whole first label, as in \"*.example.net\""},
    {"hostnames: listed twice, any case",
     "name: M\nsource: x\nranges: [199.89.0.0/21]\n"
     "hostnames: [\"*.example.net\", \"*.Example.NET.\"]\n",
     PFILE ":4:30: hostnames: \"*.Example.NET.\" is listed twice"},
    {"hostnames: not a list",
     "name: M\nsource: x\nranges: [199.89.0.0/21]\nhostnames: a.example\n",
     PFILE ":4:12: hostnames: expected a list, got \"a.example\""},
    {"hostnames: good",
     "name: M\nsource: x\nranges: [199.89.0.0/21]\n"
     "hostnames: [\"*.example.net\", mx1.example.org]\n",
     NULL},
    {"duplicate ranges key",
     "name: M\nsource: x\nranges: [199.89.0.0/21]\nranges: [1.2.3.4]\n",
     PFILE ":4:1: duplicate key \"ranges\" (first at line 3, column 1)"},
    {"same range as netmask and CIDR",
     "name: M\nsource: x\nranges:\n  - 64.18.0.0/20\n"
     "  - 64.18.0.0/255.255.240.0\n",
     PFILE ":5:5: ranges: \"64.18.0.0/255.255.240.0\" is the same range as "
           "\"64.18.0.0/20\" (line 4)"},
    {"overlapping but different ranges are fine",
     "name: M\nsource: x\nranges: [10.0.0.0/8, 10.1.0.0/16]\n",
     NULL},
    {"name with a newline",
     "name: \"Mail\\nRoute\"\nsource: x\nranges: [10.0.0.0/8]\n",
     PFILE ":1:7: name: \"Mail\\nRoute\" must be one line of text without "
           "control characters"},
    {"two documents",
     "name: M\nsource: x\nranges: [10.0.0.0/8]\n---\n",
     PFILE ":4:1: a second YAML document; a file holds exactly one"},
};

static void test_provider_errors(void **state)
{
    size_t i = 0;

    (void)state;
    failures = 0;
    for (i = 0; i < sizeof(provider_cases) / sizeof(provider_cases[0]); i++) {
        const struct provider_case *tc = &provider_cases[i];
        char err[LD_ERRLEN];
        ld_entry e;
        int rc = 0;

        strcpy(err, "(untouched)");
        memset(&e, 0xa5, sizeof(e));
        rc = config_provider_load_string(
            tc->yaml, PFILE, "mailroute", &e, err, sizeof(err));
        if (tc->want_err != NULL) {
            if (rc == 0) {
                fail_case(tc->what, "loaded, want error \"%s\"", tc->want_err);
            } else {
                check_str(tc->what, "error", err, tc->want_err);
                /* Nothing is left behind on failure. */
                if (e.name != NULL || e.ranges != NULL || e.nranges != 0) {
                    fail_case(tc->what, "entry not cleared on error");
                }
            }
        } else if (rc != 0) {
            fail_case(tc->what, "got error \"%s\", want success", err);
        }
        config_entry_clear(&e);
    }
    assert_int_equal(failures, 0);
}

static void test_provider_fields(void **state)
{
    const char *yaml = "# comment\n"
                       "name: Trial Filter\n"
                       "source: \"https://example.net/guide\"\n"
                       "ranges:\n"
                       "  - 192.0.2.0 - 192.0.2.255\n"
                       "  - 2001:db8::/32\n"
                       "mode: monitor\n";
    const char *w = "provider fields";
    char err[LD_ERRLEN];
    ld_entry e;

    (void)state;
    failures = 0;
    if (config_provider_load_string(
            yaml, PFILE, "trial", &e, err, sizeof(err)) != 0) {
        fail_msg("got error \"%s\", want success", err);
    }
    check_long(w, "kind", e.kind, LD_ENTRY_PROVIDER);
    check_str(w, "name", e.name, "trial");
    check_str(w, "display", e.display, "Trial Filter");
    check_str(w, "source", e.source, "https://example.net/guide");
    check_long(w, "enabled", e.enabled, false);
    check_long(w, "relay (default)", e.relay, false);
    check_long(w, "has_mode", e.has_mode, true);
    check_long(w, "mode", e.mode, LD_MODE_MONITOR);
    check_long(w, "nranges", (long)e.nranges, 2);
    if (e.nranges == 2) {
        check_str(
            w, "range_text[0]", e.range_text[0], "192.0.2.0 - 192.0.2.255");
        check_str(w, "range_text[1]", e.range_text[1], "2001:db8::/32");
        check_str(w, "range_mark[1].file", e.range_mark[1].file, PFILE);
        check_long(w, "range_mark[1].line", e.range_mark[1].line, 6);
        check_long(w, "range_mark[1].col", e.range_mark[1].col, 5);
        check_long(w, "ranges[0].family", e.ranges[0].family, AF_INET);
        check_long(w, "ranges[1].family", e.ranges[1].family, AF_INET6);
        check_long(w, "ranges[0].hi[3]", e.ranges[0].hi[3], 255);
    }
    check_long(w, "mark.line", e.mark.line, 2);
    check_long(w, "mark.col", e.mark.col, 1);
    config_entry_clear(&e);
    check_long(w, "cleared nranges", (long)e.nranges, 0);
    assert_int_equal(failures, 0);
}

/* ---------------------------------------------------------- successes */

static void test_shipped_config(void **state)
{
    static const char *const names[] = {
        "mailroute", "postini", "arrowmail", "loopback"};
    static const bool enabled[] = {true, false, false, true};
    static const size_t nranges[] = {1, 2, 1, 2};
    static const char *const display[] = {
        "MailRoute", "Postini", "Arrowmail", NULL};
    const char *w = "shipped etc/lockdown.yaml";
    char err[LD_ERRLEN];
    ld_config *c = NULL;
    uint16_t tag = 0;
    size_t i = 0;

    (void)state;
    failures = 0;
    c = config_load_file(LD_SOURCE_DIR "/etc/lockdown.yaml", err, sizeof(err));
    if (c == NULL) {
        fail_msg("got error \"%s\", want the shipped config to load", err);
    }
    check_str(w, "path", c->path, LD_SOURCE_DIR "/etc/lockdown.yaml");
    check_str(
        w, "providers_dir", c->providers_dir, LD_SOURCE_DIR "/etc/providers");
    check_long(w, "mode", c->mode, LD_MODE_ENFORCE);
    check_long(w, "nentries", (long)c->nentries, 4);
    check_long(w, "nproviders", (long)c->nproviders, 3);
    for (i = 0; i < 4 && i < c->nentries; i++) {
        const ld_entry *e = &c->entries[i];

        check_str(w, "entry name", e->name, names[i]);
        check_long(w, e->name, e->enabled, enabled[i]);
        check_long(w, e->name, (long)e->nranges, (long)nranges[i]);
        check_str(w, "display", e->display, display[i]);
        check_long(
            w, "kind", e->kind, i < 3 ? LD_ENTRY_PROVIDER : LD_ENTRY_TRUSTED);
        check_long(w, "relay", e->relay, true);
        check_long(w, "has_mode", e->has_mode, false);
    }
    check_long(w, "nports", (long)c->nports, 1);
    if (c->nports == 1) {
        check_long(w, "ports[0]", c->ports[0], 25);
    }
    check_long(w, "refuse_at", c->refuse_at, LD_REFUSE_CONNECT);
    check_str(w, "refuse rcode", c->refuse_reply.rcode, "554");
    check_str(w, "refuse xcode", c->refuse_reply.xcode, "5.7.1");
    check_str(w,
              "refuse text",
              c->refuse_reply.text,
              "Mail must arrive through the filtering service");
    check_long(w, "unknown_client", c->unknown_client, LD_UNKNOWN_TEMPFAIL);
    check_long(w, "nlocal_domains", (long)c->nlocal_domains, 0);
    check_long(w, "relay_authenticated", c->relay_authenticated, true);
    check_str(w, "relay text", c->relay_reply.text, "Relay access denied");
    check_str(w,
              "socket",
              c->daemon.socket,
              "unix:/run/lockdown-milter/lockdown-milter.sock");
    check_long(w, "socket_mode", c->daemon.socket_mode, 0660);
    check_str(w, "socket_owner", c->daemon.socket_owner, NULL);
    check_str(w, "user", c->daemon.user, NULL);
    check_str(w, "pidfile", c->daemon.pidfile, NULL);
    check_long(w, "syslog_facility", c->daemon.syslog_facility, LOG_MAIL);
    check_long(w, "nwarnings", (long)c->nwarnings, 0);
    check_long(w, "nfiles", (long)c->nfiles, 4);

    /* Boundaries of each profile: enabled ones in allowed, disabled ones
     * only in disabled. */
    check_lookup(w, c->allowed, "199.89.0.0", 0);
    check_lookup(w, c->allowed, "199.89.7.255", 0);
    check_lookup(w, c->allowed, "199.88.255.255", -1);
    check_lookup(w, c->allowed, "199.89.8.0", -1);
    check_lookup(w, c->allowed, "127.0.0.1", 3);
    check_lookup(w, c->allowed, "::1", 3);
    check_lookup(w, c->allowed, "208.123.79.1", -1);
    check_lookup(w, c->disabled, "208.123.79.0", 1);
    check_lookup(w, c->disabled, "64.18.15.255", 1);
    check_lookup(w, c->disabled, "64.18.16.0", -1);
    check_lookup(w, c->disabled, "83.245.15.239", 2);
    check_lookup(w, c->disabled, "83.245.15.240", -1);
    check_lookup(w, c->disabled, "199.89.0.1", -1);
    (void)tag;

    /* Marks point at the files they came from. */
    if (c->nentries == 4) {
        check_str(w,
                  "mailroute mark",
                  c->entries[0].range_mark[0].file,
                  LD_SOURCE_DIR "/etc/providers/mailroute.yaml");
        check_str(w,
                  "loopback mark",
                  c->entries[3].mark.file,
                  LD_SOURCE_DIR "/etc/lockdown.yaml");
    }
    config_free(c);
    assert_int_equal(failures, 0);
}

static void test_every_key(void **state)
{
    const char *yaml = "mode: monitor\n"
                       "providers_dir: profiles\n"
                       "providers:\n"
                       "  mailroute: enabled\n"
                       "  trial: enabled\n"
                       "  postini: disabled\n"
                       "trusted:\n"
                       "  - name: office-lan\n"
                       "    ranges: [192.168.10.0/24, \"2001:db8:10::/48\"]\n"
                       "    relay: true\n"
                       "  - name: copier\n"
                       "    ranges: [192.168.10.40]\n"
                       "  - name: mr_dup\n"
                       "    ranges: [199.89.0.0/21, 199.89.1.0/24]\n"
                       "scope:\n"
                       "  ports: [2525, 25]\n"
                       "refuse:\n"
                       "  at: mail\n"
                       "  reply: \"450 Please use the filtering service\"\n"
                       "unknown_client: reject\n"
                       "relay:\n"
                       "  local_domains: [Example.COM., example.net]\n"
                       "  authenticated: false\n"
                       "  reply: \"550 5.7.1 No relaying here\"\n"
                       "daemon:\n"
                       "  socket: \"inet:8891@127.0.0.1\"\n"
                       "  socket_mode: 660\n"
                       "  socket_owner: \"lockdown:postfix\"\n"
                       "  user: lockdown\n"
                       "  pidfile: /run/lockdown/milter.pid\n"
                       "  syslog_facility: local3\n"
                       "log: refusals\n";
    const char *w = "every key";
    char err[LD_ERRLEN];
    char *dir = temp_dir();
    char *pdir = NULL;
    ld_config *c = NULL;

    (void)state;
    failures = 0;
    put_file(dir, "profiles/mailroute.yaml", P_MAILROUTE, 0);
    put_file(dir, "profiles/postini.yaml", P_POSTINI, 0);
    put_file(dir, "profiles/trial.yaml", P_MONITORED, 0);
    c = config_load_string(yaml, MAIN, dir, err, sizeof(err));
    if (c == NULL) {
        fail_msg("got error \"%s\", want a config", err);
    }
    pdir = expand("{dir}/profiles", dir);
    check_str(w, "providers_dir", c->providers_dir, pdir);
    check_long(w, "mode", c->mode, LD_MODE_MONITOR);
    check_long(w, "log", c->log, LD_LOG_REFUSALS);
    check_long(w, "nentries", (long)c->nentries, 6);
    check_long(w, "nproviders", (long)c->nproviders, 3);
    check_long(w, "find mailroute", config_entry_find(c, "mailroute"), 0);
    check_long(w, "find trial", config_entry_find(c, "trial"), 1);
    check_long(w, "find postini", config_entry_find(c, "postini"), 2);
    check_long(w, "find office-lan", config_entry_find(c, "office-lan"), 3);
    check_long(w, "find copier", config_entry_find(c, "copier"), 4);
    check_long(w, "find mr_dup", config_entry_find(c, "mr_dup"), 5);
    check_long(w, "find missing", config_entry_find(c, "office"), -1);
    check_long(w, "find NULL", config_entry_find(c, NULL), -1);
    if (c->nentries == 6) {
        check_long(w, "office relay", c->entries[3].relay, true);
        check_long(w, "copier relay", c->entries[4].relay, false);
        check_long(w, "postini enabled", c->entries[2].enabled, false);
        check_long(w, "trial has_mode", c->entries[1].has_mode, true);
        /* Effective modes: own mode, else the global one. */
        check_long(w,
                   "mode trial",
                   config_entry_mode(c, &c->entries[1]),
                   LD_MODE_MONITOR);
        check_long(w,
                   "mode copier",
                   config_entry_mode(c, &c->entries[4]),
                   LD_MODE_MONITOR);
        check_long(w, "trusted mark line", c->entries[4].mark.line, 11);
        check_long(w, "trusted mark col", c->entries[4].mark.col, 5);
    }
    check_long(w, "nports", (long)c->nports, 2);
    if (c->nports == 2) {
        check_long(w, "ports sorted [0]", c->ports[0], 25);
        check_long(w, "ports sorted [1]", c->ports[1], 2525);
    }
    check_long(w, "refuse_at", c->refuse_at, LD_REFUSE_MAIL);
    check_str(w, "refuse rcode", c->refuse_reply.rcode, "450");
    check_str(w, "refuse xcode", c->refuse_reply.xcode, "");
    check_str(w,
              "refuse text",
              c->refuse_reply.text,
              "Please use the filtering service");
    check_long(w, "unknown_client", c->unknown_client, LD_UNKNOWN_REJECT);
    check_long(w, "nlocal_domains", (long)c->nlocal_domains, 2);
    if (c->nlocal_domains == 2) {
        check_str(w, "local_domains[0]", c->local_domains[0], "example.com");
        check_str(w, "local_domains[1]", c->local_domains[1], "example.net");
    }
    check_long(w, "relay_authenticated", c->relay_authenticated, false);
    check_str(w, "relay rcode", c->relay_reply.rcode, "550");
    check_str(w, "relay xcode", c->relay_reply.xcode, "5.7.1");
    check_str(w, "relay text", c->relay_reply.text, "No relaying here");
    check_str(w, "socket", c->daemon.socket, "inet:8891@127.0.0.1");
    check_long(w, "socket_mode", c->daemon.socket_mode, 0660);
    check_str(w, "socket_owner", c->daemon.socket_owner, "lockdown:postfix");
    check_str(w, "user", c->daemon.user, "lockdown");
    check_str(w, "pidfile", c->daemon.pidfile, "/run/lockdown/milter.pid");
    check_long(w, "syslog_facility", c->daemon.syslog_facility, LOG_LOCAL3);

    /* Same prefix in two enabled entries: the lowest index (the provider)
     * wins; a longer prefix in a later entry still wins where it applies. */
    check_lookup(w, c->allowed, "199.89.0.1", 0);
    check_lookup(w, c->allowed, "199.89.1.1", 5);
    check_lookup(w, c->allowed, "192.0.2.200", 1);
    check_lookup(w, c->allowed, "192.168.10.40", 4);
    check_lookup(w, c->allowed, "192.168.10.41", 3);
    check_lookup(w, c->allowed, "2001:db8:10::25", 3);
    check_lookup(w, c->allowed, "208.123.79.1", -1);
    check_lookup(w, c->disabled, "208.123.79.1", 2);
    check_long(w, "nwarnings", (long)c->nwarnings, 0);
    config_free(c);
    free(pdir);
    testutil_rm_rf(dir);
    free(dir);
    assert_int_equal(failures, 0);
}

static void test_helpers(void **state)
{
    const char *w = "helpers";
    char err[LD_ERRLEN];
    ld_config *c = NULL;
    ld_config *all = NULL;

    (void)state;
    failures = 0;
    c = config_load_string("providers: {}\nscope:\n  ports: [587, 25]\n"
                           "relay:\n  local_domains: [example.com]\n",
                           MAIN,
                           NULL,
                           err,
                           sizeof(err));
    all = config_load_string("providers: {}\n", MAIN, NULL, err, sizeof(err));
    if (c == NULL || all == NULL) {
        fail_msg("got error \"%s\", want a config", err);
    }
    check_long(w, "port 25 locked", config_port_locked(c, 25), true);
    check_long(w, "port 587 locked", config_port_locked(c, 587), true);
    check_long(w, "port 2525 locked", config_port_locked(c, 2525), false);
    check_long(w, "port 24 locked", config_port_locked(c, 24), false);
    check_long(w, "unknown port locked", config_port_locked(c, -1), true);
    check_long(w, "port 65536 locked", config_port_locked(c, 65536), false);
    check_long(w, "no scope: 2525 locked", config_port_locked(all, 2525), true);
    check_long(w, "no scope: -1 locked", config_port_locked(all, -1), true);

    check_long(w, "domain exact", config_domain_local(c, "example.com"), true);
    check_long(w, "domain case", config_domain_local(c, "EXAMPLE.Com"), true);
    check_long(w, "domain dot", config_domain_local(c, "example.com."), true);
    check_long(w, "subdomain", config_domain_local(c, "mx.example.com"), false);
    check_long(w, "suffix", config_domain_local(c, "badexample.com"), false);
    check_long(w, "prefix", config_domain_local(c, "example.co"), false);
    check_long(w, "empty", config_domain_local(c, ""), false);
    check_long(w, "dot", config_domain_local(c, "."), false);
    check_long(w, "NULL", config_domain_local(c, NULL), false);
    check_long(
        w, "no local domains", config_domain_local(all, "example.com"), false);

    check_long(
        w, "mode of NULL entry", config_entry_mode(c, NULL), LD_MODE_ENFORCE);
    check_long(w, "defaults: socket_mode", all->daemon.socket_mode, 0660);
    check_long(w, "defaults: facility", all->daemon.syslog_facility, LOG_MAIL);
    check_str(w, "defaults: socket", all->daemon.socket, NULL);
    check_str(w,
              "defaults: refuse",
              all->refuse_reply.text,
              "Mail must arrive through the filtering service");
    check_str(
        w, "defaults: relay", all->relay_reply.text, "Relay access denied");
    check_str(w, "defaults: providers_dir", all->providers_dir, "providers");
    check_long(
        w, "defaults: relay_authenticated", all->relay_authenticated, true);
    check_long(w, "defaults: log", all->log, LD_LOG_DECISIONS);
    check_long(w, "defaults: nentries", (long)all->nentries, 0);
    config_free(c);
    config_free(all);
    config_free(NULL);
    assert_int_equal(failures, 0);
}

/* ---------------------------------------------------------------- files */

struct file_case {
    const char *what;
    const char *rel;  /* the main file, relative to the case directory */
    mode_t mode;      /* 0644 if 0 */
    int kind;         /* 0 file, 1 directory, 2 FIFO, 3 huge, 4 none */
    const char *want; /* NULL: loads */
};

static const struct file_case file_cases[] = {
    {"world-writable main file",
     "conf/lockdown.yaml",
     0666,
     0,
     "{dir}/conf/lockdown.yaml:1:1: refusing a file writable by others (mode "
     "0666): anyone could open the server; run chmod o-w on it"},
    {"world-writable, not readable by others",
     "conf/lockdown.yaml",
     0602,
     0,
     "{dir}/conf/lockdown.yaml:1:1: refusing a file writable by others (mode "
     "0602): anyone could open the server; run chmod o-w on it"},
    {"group-writable main file", "conf/lockdown.yaml", 0664, 0, NULL},
    {"missing main file",
     "conf/nope.yaml",
     0,
     4,
     "{dir}/conf/nope.yaml:1:1: cannot open: No such file or directory"},
    {"main file is a directory",
     "conf/lockdown.yaml",
     0,
     1,
     "{dir}/conf/lockdown.yaml:1:1: not a regular file"},
    {"main file is a FIFO",
     "conf/lockdown.yaml",
     0,
     2,
     "{dir}/conf/lockdown.yaml:1:1: not a regular file"},
    {"main file too large",
     "conf/lockdown.yaml",
     0,
     3,
     "{dir}/conf/lockdown.yaml:1:1: file too large (67108865 bytes, at most "
     "67108864)"},
    {"main file in a subdirectory, providers_dir relative to it",
     "conf/lockdown.yaml",
     0,
     0,
     NULL},
};

static void test_files(void **state)
{
    size_t i = 0;

    (void)state;
    failures = 0;
    for (i = 0; i < sizeof(file_cases) / sizeof(file_cases[0]); i++) {
        const struct file_case *tc = &file_cases[i];
        char *dir = temp_dir();
        char path[4096];
        char err[LD_ERRLEN];
        char *want = tc->want ? expand(tc->want, dir) : NULL;
        ld_config *c = NULL;
        int fd = -1;

        snprintf(path, sizeof(path), "%s/conf", dir);
        assert_int_equal(mkdir(path, 0755), 0);
        snprintf(path, sizeof(path), "%s/%s", dir, tc->rel);
        switch (tc->kind) {
        case 0:
            /* providers_dir is relative to the main file's directory. */
            put_file(dir,
                     tc->rel,
                     "providers_dir: ../profiles\nproviders:\n"
                     "  mailroute: enabled\n",
                     tc->mode);
            put_file(dir, "profiles/mailroute.yaml", P_MAILROUTE, 0);
            break;
        case 1:
            put_file(dir, tc->rel, NULL, 0);
            break;
        case 2:
            assert_int_equal(mkfifo(path, 0644), 0);
            break;
        case 3:
            fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
            assert_true(fd >= 0);
            assert_int_equal(ftruncate(fd, (off_t)LD_MAX_FILE + 1), 0);
            close(fd);
            break;
        default:
            break;
        }
        strcpy(err, "(untouched)");
        c = config_load_file(path, err, sizeof(err));
        if (want != NULL) {
            if (c != NULL) {
                fail_case(tc->what, "loaded, want error \"%s\"", want);
            } else {
                check_str(tc->what, "error", err, want);
            }
        } else if (c == NULL) {
            fail_case(tc->what, "got error \"%s\", want a config", err);
        } else {
            check_long(tc->what, "nentries", (long)c->nentries, 1);
        }
        config_free(c);
        free(want);
        testutil_rm_rf(dir);
        free(dir);
    }
    assert_int_equal(failures, 0);
}

/* -------------------------------------------------------------- limits */

static void test_too_many_entries(void **state)
{
    size_t cap = (size_t)(LD_MAX_ENTRIES + 2) * 64 + 64;
    char *yaml = malloc(cap);
    char want[LD_ERRLEN];
    char err[LD_ERRLEN];
    ld_config *c = NULL;
    size_t o = 0;
    int i = 0;

    (void)state;
    assert_non_null(yaml);
    o += (size_t)snprintf(yaml + o, cap - o, "providers: {}\ntrusted:\n");
    for (i = 0; i <= LD_MAX_ENTRIES; i++) {
        o += (size_t)snprintf(yaml + o,
                              cap - o,
                              "  - {name: t%d, ranges: [10.%d.%d.0/24]}\n",
                              i,
                              i / 256,
                              i % 256);
    }
    c = config_load_string(yaml, MAIN, NULL, err, sizeof(err));
    /* Entry LD_MAX_ENTRIES (from 0) is on line LD_MAX_ENTRIES + 3. */
    snprintf(want,
             sizeof(want),
             MAIN ":%d:5: trusted[%d]: too many providers and trusted entries "
                  "(at most %d)",
             LD_MAX_ENTRIES + 3,
             LD_MAX_ENTRIES,
             LD_MAX_ENTRIES);
    if (c != NULL) {
        config_free(c);
        fail_msg("loaded, want error \"%s\"", want);
    }
    if (strcmp(err, want) != 0) {
        fail_msg("got \"%s\", want \"%s\"", err, want);
    }
    free(yaml);
}

static void test_string_too_large(void **state)
{
    size_t len = (size_t)LD_MAX_FILE + 1;
    char *yaml = malloc(len + 1);
    char err[LD_ERRLEN];
    const char *want = MAIN ":1:1: file too large (more than 67108864 bytes)";
    ld_config *c = NULL;

    (void)state;
    assert_non_null(yaml);
    memset(yaml, '#', len);
    yaml[len] = '\0';
    c = config_load_string(yaml, MAIN, NULL, err, sizeof(err));
    free(yaml);
    if (c != NULL) {
        config_free(c);
        fail_msg("loaded, want error \"%s\"", want);
    }
    if (strcmp(err, want) != 0) {
        fail_msg("got \"%s\", want \"%s\"", err, want);
    }
}

/* Two threads load at once, one good config and one bad, many times: no
 * shared state may leak a message or a value from one into the other. */
struct thread_arg {
    bool good;
    int bad_results;
};

static void *load_thread(void *p)
{
    struct thread_arg *a = p;
    int i = 0;

    for (i = 0; i < 50; i++) {
        char err[LD_ERRLEN];
        ld_config *c = NULL;

        err[0] = '\0';
        if (a->good) {
            c = config_load_file(
                LD_SOURCE_DIR "/etc/lockdown.yaml", err, sizeof(err));
            if (c == NULL || c->nentries != 4 ||
                strcmp(c->entries[3].name, "loopback") != 0) {
                a->bad_results++;
            }
        } else {
            c = config_load_string("providers: {}\nmode: bogus\n",
                                   "bad.yaml",
                                   NULL,
                                   err,
                                   sizeof(err));
            if (c != NULL ||
                strcmp(err,
                       "bad.yaml:2:7: mode: \"bogus\" is not one of: "
                       "enforce, monitor") != 0) {
                a->bad_results++;
            }
        }
        config_free(c);
    }
    return NULL;
}

static void test_threads(void **state)
{
    pthread_t t[4];
    struct thread_arg a[4];
    int i = 0;

    (void)state;
    for (i = 0; i < 4; i++) {
        a[i].good = i % 2 == 0;
        a[i].bad_results = 0;
        assert_int_equal(pthread_create(&t[i], NULL, load_thread, &a[i]), 0);
    }
    for (i = 0; i < 4; i++) {
        assert_int_equal(pthread_join(t[i], NULL), 0);
    }
    for (i = 0; i < 4; i++) {
        if (a[i].bad_results != 0) {
            fail_msg("thread %d (%s): got %d wrong results, want 0",
                     i,
                     a[i].good ? "good" : "bad",
                     a[i].bad_results);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_shipped_config),
        cmocka_unit_test(test_every_key),
        cmocka_unit_test(test_helpers),
        cmocka_unit_test(test_load_errors),
        cmocka_unit_test(test_provider_errors),
        cmocka_unit_test(test_provider_fields),
        cmocka_unit_test(test_files),
        cmocka_unit_test(test_too_many_entries),
        cmocka_unit_test(test_string_too_large),
        cmocka_unit_test(test_threads),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
