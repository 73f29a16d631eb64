/*
 * test_port.c - the strict port parser every caller shares: each accepted
 * form, each refusal with its status, and the length bound (text past len
 * is not read), table-driven with got/want messages.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "port.h"

struct port_case {
    const char *text;
    size_t len; /* 0: strlen(text) */
    enum ld_port_status want;
    int port; /* when want is LD_PORT_OK */
};

static const struct port_case cases[] = {
    {"1", 0, LD_PORT_OK, 1},
    {"25", 0, LD_PORT_OK, 25},
    {"587", 0, LD_PORT_OK, 587},
    {"10000", 0, LD_PORT_OK, 10000},
    {"65535", 0, LD_PORT_OK, 65535},
    /* Only the first len bytes count. */
    {"25@127.0.0.1", 2, LD_PORT_OK, 25},
    {"25,587", 2, LD_PORT_OK, 25},
    {"", 0, LD_PORT_EMPTY, 0},
    {"0", 0, LD_PORT_RANGE, 0},
    {"65536", 0, LD_PORT_RANGE, 0},
    {"99999", 0, LD_PORT_RANGE, 0},
    {"100000", 0, LD_PORT_RANGE, 0},
    {"99999999999999999999999", 0, LD_PORT_RANGE, 0},
    {"00", 0, LD_PORT_LEADING_ZERO, 0},
    {"025", 0, LD_PORT_LEADING_ZERO, 0},
    {"00025", 0, LD_PORT_LEADING_ZERO, 0},
    {"000000", 0, LD_PORT_LEADING_ZERO, 0},
    {"+25", 0, LD_PORT_NOT_NUMBER, 0},
    {"-25", 0, LD_PORT_NOT_NUMBER, 0},
    {" 25", 0, LD_PORT_NOT_NUMBER, 0},
    {"25 ", 0, LD_PORT_NOT_NUMBER, 0},
    {"25\n", 0, LD_PORT_NOT_NUMBER, 0},
    {"0x19", 0, LD_PORT_NOT_NUMBER, 0},
    {"2.5", 0, LD_PORT_NOT_NUMBER, 0},
    {"smtp", 0, LD_PORT_NOT_NUMBER, 0},
    {"25,587", 0, LD_PORT_NOT_NUMBER, 0},
    /* A NUL inside the counted length is not a digit. */
    {"25\0"
     "5",
     4,
     LD_PORT_NOT_NUMBER,
     0},
};

static void test_port_table(void **state)
{
    size_t i;
    int failures = 0;

    (void)state;
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const struct port_case *c = &cases[i];
        size_t len = c->len != 0 ? c->len : strlen(c->text);
        int got = -7;
        enum ld_port_status st = port_parse(c->text, len, &got);

        if (st != c->want) {
            print_error("\"%s\" (len %zu): got status %d, want %d\n",
                        c->text,
                        len,
                        (int)st,
                        (int)c->want);
            failures++;
            continue;
        }
        if (st == LD_PORT_OK && got != c->port) {
            print_error(
                "\"%s\": got port %d, want %d\n", c->text, got, c->port);
            failures++;
        }
        if (st != LD_PORT_OK && got != -7) {
            print_error(
                "\"%s\": refused, but *port changed to %d\n", c->text, got);
            failures++;
        }
    }
    assert_int_equal(failures, 0);
}

/* Every value 1..65535 in its canonical form parses back to itself. */
static void test_port_roundtrip(void **state)
{
    char buf[16];
    int v;
    int failures = 0;

    (void)state;
    for (v = 0; v <= 70000; v++) {
        int got = -1;
        enum ld_port_status want =
            v >= 1 && v <= 65535 ? LD_PORT_OK : LD_PORT_RANGE;
        enum ld_port_status st;

        snprintf(buf, sizeof(buf), "%d", v);
        st = port_parse(buf, strlen(buf), &got);
        if (st != want || (st == LD_PORT_OK && got != v)) {
            print_error("\"%s\": got status %d port %d, want status %d\n",
                        buf,
                        (int)st,
                        got,
                        (int)want);
            failures++;
        }
    }
    assert_int_equal(failures, 0);
}

static void test_port_null(void **state)
{
    int got = -7;

    (void)state;
    assert_int_equal(port_parse(NULL, 3, &got), LD_PORT_EMPTY);
    assert_int_equal(got, -7);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_port_table),
        cmocka_unit_test(test_port_roundtrip),
        cmocka_unit_test(test_port_null),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
