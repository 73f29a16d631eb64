/*
 * port.h - the one strict TCP port parser: {daemon_port} from the MTA,
 * scope.ports and daemon.socket in the config, lockdownctl's --port and
 * --ports. Every place takes exactly the same set, so a port the config
 * accepts is a port lockdownctl and the daemon accept.
 */
#ifndef LOCKDOWN_PORT_H
#define LOCKDOWN_PORT_H

#include <stddef.h>

enum ld_port_status {
    LD_PORT_OK = 0,
    LD_PORT_EMPTY,        /* no characters */
    LD_PORT_NOT_NUMBER,   /* anything but the digits 0-9 */
    LD_PORT_LEADING_ZERO, /* "025" */
    LD_PORT_RANGE,        /* 0, or above 65535 */
};

/*
 * text[0..len): decimal 1..65535, digits only (no sign, no white space),
 * no leading zero. The checks run in the order of the statuses above, so
 * "0x1" is not a number and "00" has a leading zero. On LD_PORT_OK *port
 * is the value; otherwise *port is left alone.
 */
enum ld_port_status port_parse(const char *text, size_t len, int *port);

#endif
