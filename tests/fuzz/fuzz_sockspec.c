/*
 * fuzz_sockspec.c - sockspec_parse().
 *
 * Invariants: a message on failure; on success the kind is known, a unix
 * path is absolute, NUL-terminated inside sun_path and a suffix of the
 * input; an inet port is 1..65535 and written in the input, the host is
 * NUL-terminated and a substring of the input. The result does not depend
 * on the size of the error buffer. sockspec_format() gives a text that
 * parses back to the same socket.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "sockspec.h"

/* The canonical form parses back to the same socket. */
static void check_format(const char *text, const ld_sockspec *s)
{
    char buf[LD_SOCKSPEC_MAX];
    char err[512];
    ld_sockspec back;

    FUZZ_CHECK(sockspec_format(s, buf, sizeof(buf)) == buf,
               "\"%s\": sockspec_format failed",
               text);
    memset(&back, 0, sizeof(back));
    FUZZ_CHECK(sockspec_parse(buf, &back, err, sizeof(err)) == 0,
               "\"%s\" formats as \"%s\", which is refused: %s",
               text,
               buf,
               err);
    FUZZ_CHECK(
        back.kind == s->kind &&
            (s->kind == LD_SOCK_UNIX
                 ? strcmp(back.path, s->path) == 0
                 : back.port == s->port && strcmp(back.host, s->host) == 0),
        "\"%s\" formats as \"%s\", which parses differently",
        text,
        buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ld_sockspec s, s2;
    char err[512];
    char *text = NULL, *small = NULL;
    size_t smalllen = 1 + size % 19;
    int rc, rc2;

    if (size > 4096) {
        return 0;
    }
    text = fuzz_strdup(data, size);
    memset(&s, 0x5a, sizeof(s));
    memset(&s2, 0x5a, sizeof(s2));
    rc = sockspec_parse(text, &s, err, sizeof(err));
    small = malloc(smalllen);
    FUZZ_CHECK(small != NULL, "out of memory");
    rc2 = sockspec_parse(text, &s2, small, smalllen);
    if (rc2 != 0) {
        fuzz_check_err("sockspec_parse (small buffer)", small, smalllen);
    }
    FUZZ_CHECK(rc == rc2,
               "sockspec_parse(\"%s\"): %d, %d with a %zu-byte "
               "error buffer",
               text,
               rc,
               rc2,
               smalllen);
    if (rc != 0) {
        fuzz_check_err("sockspec_parse", err, sizeof(err));
        goto out;
    }
    FUZZ_CHECK(rc == 0, "sockspec_parse(\"%s\") returned %d", text, rc);
    switch (s.kind) {
    case LD_SOCK_UNIX: {
        size_t plen = strnlen(s.path, sizeof(s.path));

        FUZZ_CHECK(plen < sizeof(s.path), "\"%s\": path not terminated", text);
        FUZZ_CHECK(s.path[0] == '/',
                   "\"%s\": relative path \"%s\" accepted",
                   text,
                   s.path);
        FUZZ_CHECK(plen <= strlen(text) &&
                       strcmp(text + strlen(text) - plen, s.path) == 0,
                   "\"%s\": path \"%s\" is not the end of the input",
                   text,
                   s.path);
        FUZZ_CHECK(strcmp(s.path, s2.path) == 0 && s2.kind == s.kind,
                   "\"%s\": result depends on the error buffer",
                   text);
        break;
    }
    case LD_SOCK_INET:
    case LD_SOCK_INET6: {
        char port[16];

        FUZZ_CHECK(strnlen(s.host, sizeof(s.host)) < sizeof(s.host),
                   "\"%s\": host not terminated",
                   text);
        FUZZ_CHECK(s.port >= 1 && s.port <= 65535,
                   "\"%s\": port %u accepted",
                   text,
                   s.port);
        snprintf(port, sizeof(port), "%u", s.port);
        FUZZ_CHECK(strstr(text, port) != NULL,
                   "\"%s\": port %u is not in the input",
                   text,
                   s.port);
        FUZZ_CHECK(strstr(text, s.host) != NULL,
                   "\"%s\": host \"%s\" is not in the input",
                   text,
                   s.host);
        FUZZ_CHECK(s2.kind == s.kind && s2.port == s.port &&
                       strcmp(s.host, s2.host) == 0,
                   "\"%s\": result depends on the error buffer",
                   text);
        break;
    }
    default:
        fuzz_fail("\"%s\": kind %d", text, (int)s.kind);
    }
    check_format(text, &s);
out:
    free(small);
    free(text);
    return 0;
}
