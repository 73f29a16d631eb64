/*
 * port.c - strict TCP port numbers (see port.h).
 */
#include "port.h"

enum ld_port_status port_parse(const char *text, size_t len, int *port)
{
    long v = 0;
    size_t i;

    if (text == NULL || len == 0) {
        return LD_PORT_EMPTY;
    }
    for (i = 0; i < len; i++) {
        if (text[i] < '0' || text[i] > '9') {
            return LD_PORT_NOT_NUMBER;
        }
        /* Saturates: any number of digits stays out of range. */
        if (v <= 65535) {
            v = v * 10 + (text[i] - '0');
        }
    }
    if (len > 1 && text[0] == '0') {
        return LD_PORT_LEADING_ZERO;
    }
    if (v < 1 || v > 65535) {
        return LD_PORT_RANGE;
    }
    *port = (int)v;
    return LD_PORT_OK;
}
