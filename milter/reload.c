/*
 * reload.c - signal thread, reload and counters (see reload.h).
 *
 * A reload loads and validates the whole config in this thread, off the
 * connection path; only conf_replace() touches shared state, and only for
 * a pointer swap. A config that fails to load is never applied.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "config.h"
#include "log.h"
#include "reload.h"
#include "stats.h"

static pthread_t reload_thread;
static bool reload_running;
static atomic_bool reload_stopping;
static char *reload_path;

static void reload_signals(sigset_t *set)
{
    sigemptyset(set);
    sigaddset(set, SIGUSR1);
    sigaddset(set, SIGUSR2);
}

int reload_block_signals(void)
{
    sigset_t set;
    struct sigaction sa;

    reload_signals(&set);
    sigaddset(&set, SIGHUP);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    if (pthread_sigmask(SIG_BLOCK, &set, NULL) != 0) {
        return -1;
    }
    /* A client that went away must not kill the daemon on write. */
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = SIG_IGN;
    sigemptyset(&sa.sa_mask);
    return sigaction(SIGPIPE, &sa, NULL);
}

/* Settings that only a restart applies: say so rather than pretend. */
static bool reload_str_differs(const char *a, const char *b)
{
    if (a == NULL || b == NULL) {
        return a != b;
    }
    return strcmp(a, b) != 0;
}

static void reload_note_daemon(const ld_config *old, const ld_config *neu)
{
    const ld_daemon *a = &old->daemon;
    const ld_daemon *b = &neu->daemon;

    if (reload_str_differs(a->socket, b->socket) ||
        reload_str_differs(a->socket_owner, b->socket_owner) ||
        a->socket_mode != b->socket_mode ||
        reload_str_differs(a->user, b->user) ||
        reload_str_differs(a->pidfile, b->pidfile) ||
        a->syslog_facility != b->syslog_facility) {
        log_msg(LOG_WARNING,
                NULL,
                "daemon settings (socket, user, pidfile, syslog) changed: "
                "they apply at the next restart");
    }
}

void reload_now(void)
{
    char err[LD_ERRLEN];
    ld_config *cfg = NULL;
    conf *cur = NULL;
    size_t i;

    if (reload_path == NULL) {
        return;
    }
    err[0] = '\0';
    cfg = config_load_file(reload_path, err, sizeof(err));
    if (cfg == NULL) {
        log_msg(LOG_ERR,
                NULL,
                "reload failed, keeping the current configuration: %s",
                err[0] != '\0' ? err : "unknown error");
        return;
    }
    for (i = 0; i < cfg->nwarnings; i++) {
        log_msg(LOG_WARNING, NULL, "%s", cfg->warnings[i]);
    }
    cur = conf_acquire();
    if (cur != NULL) {
        reload_note_daemon(cur->cfg, cfg);
        conf_release(cur);
    }
    /* conf_replace() owns cfg from here, also when it fails. */
    if (conf_replace(cfg) != 0) {
        log_msg(LOG_ERR,
                NULL,
                "reload failed, keeping the current configuration: %s: out "
                "of memory",
                reload_path);
        return;
    }
    log_msg(LOG_INFO, NULL, "reloaded configuration %s", reload_path);
}

static void *reload_main(void *arg)
{
    sigset_t set;
    int sig = 0;

    (void)arg;
    reload_signals(&set);
    for (;;) {
        if (sigwait(&set, &sig) != 0) {
            continue;
        }
        if (atomic_load(&reload_stopping)) {
            break;
        }
        if (sig == SIGUSR1) {
            reload_now();
        } else if (sig == SIGUSR2) {
            stats_log("SIGUSR2");
        }
    }
    return NULL;
}

int reload_start(const char *path)
{
    int e;

    reload_path = strdup(path);
    if (reload_path == NULL) {
        return -1;
    }
    atomic_store(&reload_stopping, false);
    e = pthread_create(&reload_thread, NULL, reload_main, NULL);
    if (e != 0) {
        free(reload_path);
        reload_path = NULL;
        errno = e;
        return -1;
    }
    reload_running = true;
    return 0;
}

void reload_stop(void)
{
    if (reload_running) {
        atomic_store(&reload_stopping, true);
        /* Wakes the sigwait(); the flag makes it leave instead of
         * reloading. */
        pthread_kill(reload_thread, SIGUSR1);
        pthread_join(reload_thread, NULL);
        reload_running = false;
    }
    free(reload_path);
    reload_path = NULL;
}
