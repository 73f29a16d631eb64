/*
 * test_sockspec.c - milter socket specifications: every accepted form and
 * every refusal, table-driven with got/want messages.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "sockspec.h"

struct good_case {
    const char *text;
    enum ld_sock_kind kind;
    const char *path;
    const char *host;
    unsigned port;
    const char *canonical; /* sockspec_format() */
};

static const struct good_case good[] = {
    {"unix:/run/lockdown-milter/lockdown-milter.sock",
     LD_SOCK_UNIX,
     "/run/lockdown-milter/lockdown-milter.sock",
     "",
     0,
     "unix:/run/lockdown-milter/lockdown-milter.sock"},
    {"local:/var/spool/postfix/lockdown/sock",
     LD_SOCK_UNIX,
     "/var/spool/postfix/lockdown/sock",
     "",
     0,
     "unix:/var/spool/postfix/lockdown/sock"},
    {"/tmp/x.sock", LD_SOCK_UNIX, "/tmp/x.sock", "", 0, "unix:/tmp/x.sock"},
    {"unix:/a", LD_SOCK_UNIX, "/a", "", 0, "unix:/a"},
    {"inet:8891@127.0.0.1",
     LD_SOCK_INET,
     "",
     "127.0.0.1",
     8891,
     "inet:8891@127.0.0.1"},
    {"inet:8891@localhost",
     LD_SOCK_INET,
     "",
     "localhost",
     8891,
     "inet:8891@localhost"},
    {"inet:1@milter-host.example.com",
     LD_SOCK_INET,
     "",
     "milter-host.example.com",
     1,
     "inet:1@milter-host.example.com"},
    {"inet:65535", LD_SOCK_INET, "", "", 65535, "inet:65535"},
    {"inet6:8891@::1", LD_SOCK_INET6, "", "::1", 8891, "inet6:8891@::1"},
    {"inet6:25@2001:db8::25",
     LD_SOCK_INET6,
     "",
     "2001:db8::25",
     25,
     "inet6:25@2001:db8::25"},
    {"inet6:10025", LD_SOCK_INET6, "", "", 10025, "inet6:10025"},
    {"inet6:10025@localhost",
     LD_SOCK_INET6,
     "",
     "localhost",
     10025,
     "inet6:10025@localhost"},
};

struct bad_case {
    const char *text;
    const char *want; /* substring of the message */
};

static const struct bad_case bad[] = {
    {"", "empty socket specification"},
    {"unix:", "empty unix socket path"},
    {"local:", "empty unix socket path"},
    {"unix:run/x.sock", "must be absolute"},
    {"run/x.sock", "expected unix:/path"},
    {"unix:/run/dir/", "names a directory"},
    {"unix:/run/x.sock ", "white space"},
    {" unix:/run/x.sock", "white space"},
    {"unix:/run/x\n.sock", "control characters"},
    {"unix:/run/x\t.sock", "white space"},
    {"tcp:25@localhost", "unknown socket type \"tcp\""},
    {"UNIX:/run/x", "unknown socket type \"UNIX\""},
    {"inet:", "missing port"},
    {"inet:@localhost", "missing port"},
    {"inet:0@localhost", "port \"0\" out of range"},
    {"inet:65536", "port \"65536\" out of range"},
    {"inet:99999999999999999999", "out of range"},
    {"inet:025", "port \"025\" has a leading zero"},
    {"inet:+25", "port \"+25\" is not a number"},
    {"inet:-1", "port \"-1\" is not a number"},
    {"inet:25x", "port \"25x\" is not a number"},
    {"inet:smtp@localhost", "port \"smtp\" is not a number"},
    {"inet:25@", "empty host after '@'"},
    {"inet6:25@", "empty host after '@'"},
    {"inet:25@::1", "is an IPv6 address, use inet6:"},
    {"inet6:25@127.0.0.1", "is an IPv4 address, use inet:"},
    {"inet:25@010.0.0.1", "not a valid IPv4 address"},
    {"inet:25@1.2.3", "not a valid IPv4 address"},
    {"inet:25@1.2.3.256", "not a valid IPv4 address"},
    {"inet6:25@[::1]", "without brackets"},
    {"inet6:25@fe80::1%eth0", "zone ids"},
    {"inet6:25@::g", "not a valid IPv6 address"},
    {"inet:25@bad_host", "neither an address nor a valid host name"},
    {"inet:25@-bad.example", "neither an address nor a valid host name"},
    {"inet:25@bad-.example", "neither an address nor a valid host name"},
    {"inet:25@a..b", "neither an address nor a valid host name"},
    {"inet:25@host@other", "neither an address nor a valid host name"},
    {"inet", "expected unix:/path"},
};

static void test_sockspec_good(void **state)
{
    size_t i;
    int failures = 0;

    (void)state;
    for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        const struct good_case *c = &good[i];
        ld_sockspec s;
        char err[512] = "";
        char buf[LD_SOCKSPEC_MAX];
        const char *canon = NULL;

        memset(&s, 0x55, sizeof(s));
        if (sockspec_parse(c->text, &s, err, sizeof(err)) != 0) {
            print_error(
                "\"%s\": got error \"%s\", want success\n", c->text, err);
            failures++;
            continue;
        }
        if (s.kind != c->kind) {
            print_error(
                "\"%s\": got kind %d, want %d\n", c->text, s.kind, c->kind);
            failures++;
        }
        if (c->kind == LD_SOCK_UNIX && strcmp(s.path, c->path) != 0) {
            print_error("\"%s\": got path \"%s\", want \"%s\"\n",
                        c->text,
                        s.path,
                        c->path);
            failures++;
        }
        if (c->kind != LD_SOCK_UNIX &&
            (strcmp(s.host, c->host) != 0 || s.port != c->port)) {
            print_error("\"%s\": got host \"%s\" port %u, want \"%s\" %u\n",
                        c->text,
                        s.host,
                        s.port,
                        c->host,
                        c->port);
            failures++;
        }
        canon = sockspec_format(&s, buf, sizeof(buf));
        if (canon == NULL || strcmp(canon, c->canonical) != 0) {
            print_error("\"%s\": got canonical \"%s\", want \"%s\"\n",
                        c->text,
                        canon != NULL ? canon : "(null)",
                        c->canonical);
            failures++;
        }
    }
    assert_int_equal(failures, 0);
}

static void test_sockspec_bad(void **state)
{
    size_t i;
    int failures = 0;

    (void)state;
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        const struct bad_case *c = &bad[i];
        ld_sockspec s;
        ld_sockspec before;
        char err[512] = "";

        memset(&s, 0x55, sizeof(s));
        before = s;
        if (sockspec_parse(c->text, &s, err, sizeof(err)) == 0) {
            print_error("\"%s\": got success, want error containing "
                        "\"%s\"\n",
                        c->text,
                        c->want);
            failures++;
            continue;
        }
        if (strstr(err, c->want) == NULL) {
            print_error("\"%s\": got error \"%s\", want it to contain "
                        "\"%s\"\n",
                        c->text,
                        err,
                        c->want);
            failures++;
        }
        if (strchr(err, '\n') != NULL) {
            print_error("\"%s\": error \"%s\" spans lines\n", c->text, err);
            failures++;
        }
        if (memcmp(&s, &before, sizeof(s)) != 0) {
            print_error("\"%s\": output written on error\n", c->text);
            failures++;
        }
    }
    assert_int_equal(failures, 0);
}

/* The longest path that fits sun_path (107 bytes) passes, one more fails. */
static void test_sockspec_path_length(void **state)
{
    char text[200];
    char path[120];
    ld_sockspec s;
    char err[512] = "";

    (void)state;
    memset(path, 'a', sizeof(path));
    path[0] = '/';
    path[107] = '\0';
    snprintf(text, sizeof(text), "unix:%s", path);
    assert_int_equal(sockspec_parse(text, &s, err, sizeof(err)), 0);
    assert_int_equal(strlen(s.path), 107);

    path[107] = 'a';
    path[108] = '\0';
    snprintf(text, sizeof(text), "unix:%s", path);
    assert_int_equal(sockspec_parse(text, &s, err, sizeof(err)), -1);
    if (strstr(err, "108 bytes, at most 107 fit") == NULL) {
        print_error("got \"%s\"\n", err);
        fail();
    }
}

/* A long spec is quoted shortened, never overflowing the message. */
static void test_sockspec_long_quote(void **state)
{
    char text[2000];
    char err[160];
    ld_sockspec s;

    (void)state;
    memset(text, 'x', sizeof(text));
    memcpy(text, "bogus:", 6);
    text[sizeof(text) - 1] = '\0';
    assert_int_equal(sockspec_parse(text, &s, err, sizeof(err)), -1);
    assert_true(strlen(err) < sizeof(err));
    assert_non_null(strstr(err, "..."));
    assert_int_equal(sockspec_parse(NULL, &s, err, sizeof(err)), -1);
    assert_int_equal(sockspec_parse("unix:/x", NULL, err, sizeof(err)), -1);
    /* No error buffer: still refused, nothing written. */
    assert_int_equal(sockspec_parse("inet:0", &s, NULL, 0), -1);
}

static void test_sockspec_format_small(void **state)
{
    ld_sockspec s;
    char err[256];
    char small[8];

    (void)state;
    assert_int_equal(sockspec_parse("unix:/run/x.sock", &s, err, sizeof(err)),
                     0);
    assert_null(sockspec_format(&s, small, sizeof(small)));
    assert_string_equal(small, "");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sockspec_good),
        cmocka_unit_test(test_sockspec_bad),
        cmocka_unit_test(test_sockspec_path_length),
        cmocka_unit_test(test_sockspec_long_quote),
        cmocka_unit_test(test_sockspec_format_small),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
