/*
 * fuzz_namepat.c - namepat_parse(), namepat_name() and namepat_match().
 *
 * The input is a pattern, a newline, then a reported name. Invariants: a
 * message on failure, the same result with a tiny error buffer; an
 * accepted pattern is lower case LDH text of at most NAMEPAT_MAX octets
 * with two labels or more, and its canonical text parses back to itself;
 * a prepared name is lower case without a trailing dot. Every match agrees
 * with a reference matcher written here without lib/'s code: case folded
 * compare, or "strictly below" for a wildcard.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "namepat.h"

static bool ref_lower_ldh(const char *s, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++) {
        char c = s[i];

        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
              c == '.')) {
            return false;
        }
    }
    return true;
}

static char ref_fold(char c)
{
    return c >= 'A' && c <= 'Z' ? (char)(c | 0x20) : c;
}

/* The reported name without one trailing dot, case folded, against the
 * pattern's text as written (without one trailing dot). */
static bool ref_match(const char *pattern, const char *name)
{
    size_t pl = strlen(pattern);
    size_t nl = strlen(name);
    bool wild = pl >= 2 && pattern[0] == '*' && pattern[1] == '.';
    size_t i;

    if (pl > 0 && pattern[pl - 1] == '.') {
        pl--;
    }
    if (nl > 0 && name[nl - 1] == '.') {
        nl--;
    }
    if (wild) {
        pattern += 2;
        pl -= 2;
        if (nl < pl + 2 || name[nl - pl - 1] != '.') {
            return false;
        }
        name += nl - pl;
        nl = pl;
    }
    if (nl != pl) {
        return false;
    }
    for (i = 0; i < pl; i++) {
        if (ref_fold(pattern[i]) != ref_fold(name[i])) {
            return false;
        }
    }
    return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = NULL;
    char *name = NULL;
    char *nl = NULL;
    char err[512];
    char small[7];
    char buf[NAMEPAT_MAX + 1];
    char canon[NAMEPAT_MAX + 3];
    namepat p;
    namepat q;
    int rc;
    int len;

    if (size > 2048) {
        return 0;
    }
    text = fuzz_strdup(data, size);
    nl = strchr(text, '\n');
    name = nl != NULL ? nl + 1 : text;
    if (nl != NULL) {
        *nl = '\0';
    }
    memset(&p, 0x5a, sizeof(p));
    rc = namepat_parse(text, &p, err, sizeof(err));
    FUZZ_CHECK(rc == namepat_parse(text, &q, small, sizeof(small)),
               "\"%s\": result depends on the error buffer",
               text);
    if (rc != 0) {
        fuzz_check_err("namepat_parse", err, sizeof(err));
    } else {
        FUZZ_CHECK(p.len > 0 && p.len <= NAMEPAT_MAX &&
                       p.len == strlen(p.name) &&
                       ref_lower_ldh(p.name, p.len) &&
                       strchr(p.name, '.') != NULL,
                   "\"%s\": accepted as \"%s\" (%zu)",
                   text,
                   p.name,
                   p.len);
        snprintf(canon, sizeof(canon), "%s%s", p.wildcard ? "*." : "", p.name);
        FUZZ_CHECK(namepat_parse(canon, &q, err, sizeof(err)) == 0 &&
                       q.wildcard == p.wildcard && q.len == p.len &&
                       strcmp(q.name, p.name) == 0,
                   "\"%s\": canonical \"%s\" does not parse back",
                   text,
                   canon);
    }
    len = namepat_name(name, buf, sizeof(buf));
    FUZZ_CHECK(len >= -1 && len <= NAMEPAT_MAX, "namepat_name gave %d", len);
    if (len >= 0) {
        FUZZ_CHECK((size_t)len == strlen(buf) && len > 0 &&
                       buf[len - 1] != '.' && ref_lower_ldh(buf, (size_t)len),
                   "\"%s\" prepared as \"%s\"",
                   name,
                   buf);
        /* Preparing is idempotent. */
        FUZZ_CHECK(namepat_name(buf, canon, sizeof(canon)) == len &&
                       strcmp(buf, canon) == 0,
                   "\"%s\": preparing twice differs",
                   name);
    }
    if (rc == 0) {
        bool got = len >= 0 && namepat_match(&p, buf, (size_t)len);
        bool want = len >= 0 && ref_match(text, name);

        FUZZ_CHECK(got == want,
                   "\"%s\" against \"%s\": got %d, want %d",
                   name,
                   text,
                   got,
                   want);
    }
    free(text);
    return 0;
}
