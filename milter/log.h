/*
 * log.h - the daemon's one logging path: syslog (LOG_PID, facility from
 * the config), or stderr with a timestamp in foreground mode (-f).
 * Thread-safe: each message is formatted whole and written by one call.
 */
#ifndef LOCKDOWN_MILTER_LOG_H
#define LOCKDOWN_MILTER_LOG_H

#include <stdbool.h>
#include <syslog.h>

#include "macro.h"

/* The client of a connection, as it is shown: "host [addr]: ". Both
 * fields are already sanitized. */
typedef struct log_peer {
    char host[MACRO_LOG_BUF];
    char addr[MACRO_LOG_BUF];
} log_peer;

enum log_mode {
    LOG_MODE_SYSLOG = 0, /* syslog, and stderr until log_detach() */
    LOG_MODE_STDERR,     /* -f: stderr with a timestamp */
    LOG_MODE_PLAIN,      /* -n: stderr, "lockdown-milter: message" */
};

/*
 * Start logging. In syslog mode stderr gets the messages as well until
 * log_detach(), so that start-up errors reach the terminal. May be called
 * again to change the facility.
 */
void log_open(enum log_mode mode, int facility);

/* The daemon left the terminal: syslog only from now on. */
void log_detach(void);

void log_msg(int prio, const log_peer *peer, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

void log_close(void);

#endif
