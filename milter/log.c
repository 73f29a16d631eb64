/*
 * log.c - syslog or timestamped stderr (see log.h).
 *
 * The mode flags are set by the main thread before any other thread
 * exists and only read afterwards, except log_detach(), which also runs
 * before the worker threads start; so plain variables are enough.
 *
 * A line is logged once per decision, by every libmilter worker: it is
 * formatted once, into one buffer on the stack (workers come and go, and
 * each page of stack a new thread touches is a page fault), and reaches
 * stderr with one write(2): no stdio lock serialising the workers, and a
 * line shorter than PIPE_BUF is never interleaved with another.
 */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

/*
 * Whole line, stderr prefix and newline included. Holds every line seen in
 * practice (a decision with long host and reply, a config error with its
 * path); a longer one ends in "...".
 */
#define LOG_LINE_MAX 2048

static enum log_mode log_mode;
static bool log_to_stderr;
/* openlog() was called: closelog() is due. */
static bool log_syslog_open;
/* log_msg() sends its lines to syslog (not in the foreground). */
static bool log_to_syslog;
static bool log_atfork_set;
/* getpid() is a system call per line otherwise; forks refresh it. */
static pid_t log_pid;

static void log_atfork_child(void)
{
    log_pid = getpid();
}

void log_open(enum log_mode mode, int facility)
{
    log_mode = mode;
    log_to_stderr = true;
    log_pid = getpid();
    if (!log_atfork_set && pthread_atfork(NULL, NULL, log_atfork_child) == 0) {
        log_atfork_set = true;
    }
    log_close();
    if (mode == LOG_MODE_SYSLOG) {
        openlog("lockdown-milter", LOG_PID | LOG_NDELAY, facility);
        log_syslog_open = true;
        log_to_syslog = true;
    } else if (mode == LOG_MODE_STDERR) {
        /*
         * libmilter reports its own failures (accept(), worker threads,
         * its poll loop) with syslog(3) only: without LOG_PERROR they are
         * lost in the foreground, above all where no syslog daemon runs.
         * log_msg() writes its own stderr line and leaves syslog alone,
         * so no line is doubled.
         */
        openlog("lockdown-milter", LOG_PID | LOG_PERROR, facility);
        log_syslog_open = true;
    }
}

void log_detach(void)
{
    if (log_mode == LOG_MODE_SYSLOG) {
        log_to_stderr = false;
    }
    /* Without pthread_atfork() the daemon's forks went unnoticed. */
    log_pid = getpid();
}

/*
 * Format at buf + *n, within size. Returns false when the text did not fit:
 * *n is then size - 1 (buf full and terminated).
 */
__attribute__((format(printf, 4, 0))) static bool
log_vappend(char *buf, size_t size, size_t *n, const char *fmt, va_list ap)
{
    int w = 0;

    if (*n + 1 >= size) {
        return false;
    }
    w = vsnprintf(buf + *n, size - *n, fmt, ap);
    if (w < 0) {
        /* An encoding error: keep what came before. */
        buf[*n] = '\0';
        return true;
    }
    if ((size_t)w >= size - *n) {
        *n = size - 1;
        return false;
    }
    *n += (size_t)w;
    return true;
}

__attribute__((format(printf, 4, 5))) static bool
log_append(char *buf, size_t size, size_t *n, const char *fmt, ...)
{
    va_list ap;
    bool fit = false;

    va_start(ap, fmt);
    fit = log_vappend(buf, size, n, fmt, ap);
    va_end(ap);
    return fit;
}

/* The stderr prefix: "lockdown-milter: ", or a timestamp and the pid. */
static void log_prefix(char *buf, size_t size, size_t *n)
{
    struct timespec ts = {0, 0};
    struct tm tm;
    size_t w = 0;

    if (log_mode == LOG_MODE_PLAIN) {
        (void)log_append(buf, size, n, "lockdown-milter: ");
        return;
    }
    if (clock_gettime(CLOCK_REALTIME, &ts) == 0 &&
        localtime_r(&ts.tv_sec, &tm) != NULL) {
        w = strftime(buf + *n, size - *n, "%Y-%m-%dT%H:%M:%S", &tm);
    }
    if (w == 0) {
        (void)log_append(buf, size, n, "-");
    } else {
        *n += w;
    }
    (void)log_append(buf,
                     size,
                     n,
                     ".%03ld lockdown-milter[%ld]: ",
                     (long)(ts.tv_nsec / 1000000),
                     (long)log_pid);
}

static void log_write(const char *buf, size_t len)
{
    while (len > 0) {
        ssize_t w = write(STDERR_FILENO, buf, len);

        if (w < 0 && errno == EINTR) {
            continue;
        }
        if (w <= 0) {
            return; /* nowhere left to say so */
        }
        buf += w;
        len -= (size_t)w;
    }
}

void log_msg(int prio, const log_peer *peer, const char *fmt, ...)
{
    char line[LOG_LINE_MAX];
    /* One byte kept back for the newline of the stderr copy. */
    const size_t size = sizeof(line) - 1;
    size_t n = 0;
    size_t body = 0;
    bool fit = true;
    int saved = errno;
    va_list ap;

    line[0] = '\0';
    if (log_to_stderr) {
        log_prefix(line, size, &n);
        body = n;
    }
    if (peer != NULL) {
        fit = log_append(line, size, &n, "%s [%s]: ", peer->host, peer->addr);
    }
    if (fit) {
        va_start(ap, fmt);
        fit = log_vappend(line, size, &n, fmt, ap);
        va_end(ap);
    }
    if (!fit && n >= body + 3) {
        memcpy(line + n - 3, "...", 3);
    }

    if (log_to_syslog) {
        syslog(prio, "%s", line + body);
    }
    if (log_to_stderr) {
        line[n] = '\n';
        log_write(line, n + 1);
    }
    errno = saved;
}

void log_close(void)
{
    if (log_syslog_open) {
        closelog();
        log_syslog_open = false;
    }
    log_to_syslog = false;
}
