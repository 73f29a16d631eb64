/*
 * log.c - syslog or timestamped stderr (see log.h).
 *
 * The mode flags are set by the main thread before any other thread
 * exists and only read afterwards, except log_detach(), which also runs
 * before the worker threads start; so plain variables are enough.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

#define LOG_LINE_MAX 4096

static enum log_mode log_mode;
static bool log_to_stderr;
static bool log_syslog_open;

void log_open(enum log_mode mode, int facility)
{
    log_mode = mode;
    log_to_stderr = true;
    if (log_syslog_open) {
        closelog();
        log_syslog_open = false;
    }
    if (mode == LOG_MODE_SYSLOG) {
        openlog("lockdown-milter", LOG_PID | LOG_NDELAY, facility);
        log_syslog_open = true;
    }
}

void log_detach(void)
{
    if (log_mode == LOG_MODE_SYSLOG) {
        log_to_stderr = false;
    }
}

static void log_stderr(const char *line)
{
    char stamp[64];
    struct timespec ts = {0, 0};
    struct tm tm;
    char out[LOG_LINE_MAX + 128];

    if (log_mode == LOG_MODE_PLAIN) {
        snprintf(out, sizeof(out), "lockdown-milter: %s\n", line);
        fputs(out, stderr);
        return;
    }
    if (clock_gettime(CLOCK_REALTIME, &ts) != 0 ||
        localtime_r(&ts.tv_sec, &tm) == NULL ||
        strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm) == 0) {
        snprintf(stamp, sizeof(stamp), "-");
    }
    snprintf(out,
             sizeof(out),
             "%s.%03ld lockdown-milter[%ld]: %s\n",
             stamp,
             (long)(ts.tv_nsec / 1000000),
             (long)getpid(),
             line);
    /* One call per line: stdio locks the stream, lines never interleave. */
    fputs(out, stderr);
    fflush(stderr);
}

void log_msg(int prio, const log_peer *peer, const char *fmt, ...)
{
    char line[LOG_LINE_MAX];
    size_t n = 0;
    va_list ap;

    line[0] = '\0';
    if (peer != NULL) {
        int w =
            snprintf(line, sizeof(line), "%s [%s]: ", peer->host, peer->addr);

        n = w > 0 && (size_t)w < sizeof(line) ? (size_t)w : 0;
    }
    va_start(ap, fmt);
    vsnprintf(line + n, sizeof(line) - n, fmt, ap);
    va_end(ap);

    if (log_syslog_open) {
        syslog(prio, "%s", line);
    }
    if (log_to_stderr) {
        log_stderr(line);
    }
}

void log_close(void)
{
    if (log_syslog_open) {
        closelog();
        log_syslog_open = false;
    }
}
