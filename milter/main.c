/*
 * main.c - lockdown-milter: options, start-up in the order milter-regex
 * uses, libmilter's main loop, clean shutdown.
 *
 * Start-up: load and validate the config (refuse to start on any error,
 * EX_CONFIG with file:line:col), smfi_setconn, smfi_register, umask, remove
 * a stale socket (only a socket nobody answers on), smfi_opensocket, socket
 * owner and mode, drop privileges, leave the terminal, pidfile, signal
 * thread, smfi_main (in its own thread: the main thread waits for the stop
 * signal, see daemon_serve()). On SIGTERM, SIGINT or SIGHUP the daemon
 * stops at once: it removes its socket, lets open sessions finish for
 * DRAIN_SECONDS at most and exits 0.
 */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include <libmilter/mfapi.h>

#include "callbacks.h"
#include "conf.h"
#include "config.h"
#include "daemon.h"
#include "log.h"
#include "reload.h"
#include "sockspec.h"
#include "stats.h"

#ifndef LOCKDOWN_VERSION
#define LOCKDOWN_VERSION "unknown"
#endif

#define DEFAULT_SOCKET "unix:/run/lockdown-milter/lockdown-milter.sock"
/* How long exit waits for open connections to close. */
#define DRAIN_SECONDS 10

typedef struct options {
    const char *config;
    bool foreground;
    bool check;
    const char *socket;
    const char *pidfile;
    const char *user;
} options;

static void usage(FILE *fp)
{
    fprintf(fp,
            "usage: lockdown-milter [-fnV] [-c config] [-p socket] "
            "[-P pidfile] [-u user[:group]]\n"
            "  -c config   main configuration file (default %s)\n"
            "  -f          stay in the foreground, log to stderr\n"
            "  -n          check the configuration and exit\n"
            "  -p socket   milter socket: unix:/path, local:/path, "
            "inet:port@host,\n"
            "              inet6:port@host (overrides daemon.socket)\n"
            "  -P pidfile  write the process id there\n"
            "  -u user     run as user[:group] (overrides daemon.user)\n"
            "  -V          print the version and exit\n",
            LD_DEFAULT_CONFIG);
}

static int options_parse(int argc, char **argv, options *o, bool *version)
{
    int ch;

    memset(o, 0, sizeof(*o));
    o->config = LD_DEFAULT_CONFIG;
    *version = false;
    opterr = 0;
    while ((ch = getopt(argc, argv, ":c:fnp:P:u:Vh")) != -1) {
        switch (ch) {
        case 'c':
            o->config = optarg;
            break;
        case 'f':
            o->foreground = true;
            break;
        case 'n':
            o->check = true;
            break;
        case 'p':
            o->socket = optarg;
            break;
        case 'P':
            o->pidfile = optarg;
            break;
        case 'u':
            o->user = optarg;
            break;
        case 'V':
            *version = true;
            break;
        case 'h':
            usage(stdout);
            exit(EX_OK);
        case ':':
            fprintf(
                stderr, "lockdown-milter: option -%c needs a value\n", optopt);
            usage(stderr);
            return -1;
        default:
            fprintf(stderr, "lockdown-milter: unknown option -%c\n", optopt);
            usage(stderr);
            return -1;
        }
    }
    if (optind != argc) {
        fprintf(stderr,
                "lockdown-milter: unexpected argument \"%s\"\n",
                argv[optind]);
        usage(stderr);
        return -1;
    }
    return 0;
}

/* "N providers enabled (a, b)" for the start-up and -n lines. */
static void providers_describe(const ld_config *c, char *buf, size_t buflen)
{
    size_t n = 0;
    size_t used = 0;
    size_t i;
    char names[512] = "";

    for (i = 0; i < c->nentries; i++) {
        const ld_entry *e = &c->entries[i];
        int w;

        if (e->kind != LD_ENTRY_PROVIDER || !e->enabled) {
            continue;
        }
        w = snprintf(names + used,
                     sizeof(names) - used,
                     "%s%s",
                     n > 0 ? ", " : "",
                     e->name);
        if (w > 0 && used + (size_t)w < sizeof(names)) {
            used += (size_t)w;
        }
        n++;
    }
    snprintf(buf,
             buflen,
             "%zu provider%s enabled (%s)",
             n,
             n == 1 ? "" : "s",
             n > 0 ? names : "none");
}

static size_t trusted_count(const ld_config *c)
{
    size_t n = 0;
    size_t i;

    for (i = 0; i < c->nentries; i++) {
        n += c->entries[i].kind == LD_ENTRY_TRUSTED;
    }
    return n;
}

/* Wait a little for sessions still running after smfi_main() returned, so
 * that their configs are freed before exit. */
static void connections_drain(void)
{
    struct timespec ts = {0, 50 * 1000 * 1000};
    int i;

    for (i = 0; i < DRAIN_SECONDS * 20 && conf_connections() > 0; i++) {
        nanosleep(&ts, NULL);
    }
    if (conf_connections() > 0) {
        log_msg(LOG_WARNING,
                NULL,
                "%lu connection(s) still open at exit",
                conf_connections());
    }
}

/* libmilter removes its socket only when not running as root, and only
 * once its listener returns. */
static void socket_remove(const ld_sockspec *spec)
{
    struct stat st;

    if (spec->kind == LD_SOCK_UNIX && lstat(spec->path, &st) == 0 &&
        S_ISSOCK(st.st_mode)) {
        (void)unlink(spec->path);
    }
}

/*
 * Every held SMTP session is a descriptor, and the usual soft limit of 1024
 * leaves a daemon holding 1,000 sessions a few accept()s from EMFILE.
 * libmilter polls with poll(), so descriptors above FD_SETSIZE are fine.
 * Raising the soft limit to the hard one needs no privilege.
 */
static void nofile_raise(void)
{
    struct rlimit rl;
    rlim_t was = 0;

    if (getrlimit(RLIMIT_NOFILE, &rl) != 0) {
        log_msg(
            LOG_WARNING, NULL, "getrlimit(RLIMIT_NOFILE): %s", strerror(errno));
        return;
    }
    was = rl.rlim_cur;
    if (rl.rlim_cur != rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        if (setrlimit(RLIMIT_NOFILE, &rl) != 0) {
            log_msg(LOG_WARNING,
                    NULL,
                    "cannot raise the open files limit from %llu to %llu: %s",
                    (unsigned long long)was,
                    (unsigned long long)rl.rlim_max,
                    strerror(errno));
            return;
        }
    }
    if (was != rl.rlim_cur) {
        log_msg(LOG_DEBUG,
                NULL,
                "open files limit raised from %llu to %llu",
                (unsigned long long)was,
                (unsigned long long)rl.rlim_cur);
    } else {
        log_msg(LOG_DEBUG,
                NULL,
                "open files limit %llu",
                (unsigned long long)rl.rlim_cur);
    }
}

int main(int argc, char **argv)
{
    options o;
    bool version = false;
    char err[LD_ERRLEN + 256];
    char abspath[PATH_MAX];
    const char *path = NULL;
    const char *socktext = NULL;
    const char *usertext = NULL;
    const char *pidfile = NULL;
    ld_config *cfg = NULL;
    ld_sockspec spec;
    char conn[LD_SOCKSPEC_MAX];
    daemon_user user;
    daemon_user owner;
    bool have_user = false;
    bool have_owner = false;
    bool removed = false;
    bool socket_open = false;
    bool pid_written = false;
    bool installed = false;
    bool served = false;
    int pidfd = -1;
    int ready_fd = -1;
    char providers[640];
    mode_t mode;
    mode_t oldmask;
    struct smfiDesc desc;
    size_t i;
    sigset_t early;
    int stopsig = 0;
    int rc = EX_SOFTWARE;

    /* A reload or counters request during start-up must not kill the
     * daemon (their default action): hold them until the signal thread
     * takes them. */
    sigemptyset(&early);
    sigaddset(&early, SIGUSR1);
    sigaddset(&early, SIGUSR2);
    sigprocmask(SIG_BLOCK, &early, NULL);

    if (options_parse(argc, argv, &o, &version) != 0) {
        return EX_USAGE;
    }
    if (version) {
        unsigned int ma = 0, mi = 0, pl = 0;

        smfi_version(&ma, &mi, &pl);
        printf("lockdown-milter %s (libmilter %u.%u.%u)\n",
               LOCKDOWN_VERSION,
               ma,
               mi,
               pl);
        return EX_OK;
    }
    log_open(o.check        ? LOG_MODE_PLAIN
             : o.foreground ? LOG_MODE_STDERR
                            : LOG_MODE_SYSLOG,
             LOG_MAIL);

    /* Absolute, so that a reload after chdir("/") reads the same file. */
    path = realpath(o.config, abspath) != NULL ? abspath : o.config;
    err[0] = '\0';
    cfg = config_load_file(path, err, sizeof(err));
    if (cfg == NULL) {
        log_msg(LOG_ERR, NULL, "%s", err[0] != '\0' ? err : path);
        log_msg(LOG_ERR,
                NULL,
                "refusing to start: configuration %s is "
                "invalid",
                path);
        rc = EX_CONFIG;
        goto out;
    }
    for (i = 0; i < cfg->nwarnings; i++) {
        log_msg(LOG_WARNING, NULL, "%s", cfg->warnings[i]);
    }
    if (!o.foreground && !o.check) {
        log_open(LOG_MODE_SYSLOG, cfg->daemon.syslog_facility);
    }

    socktext = o.socket != NULL             ? o.socket
               : cfg->daemon.socket != NULL ? cfg->daemon.socket
                                            : DEFAULT_SOCKET;
    if (sockspec_parse(socktext, &spec, err, sizeof(err)) != 0) {
        log_msg(LOG_ERR, NULL, "%s%s", o.socket != NULL ? "-p: " : "", err);
        rc = o.socket != NULL ? EX_USAGE : EX_CONFIG;
        goto out;
    }
    if (sockspec_format(&spec, conn, sizeof(conn)) == NULL) {
        log_msg(LOG_ERR, NULL, "socket \"%s\": too long", socktext);
        rc = EX_CONFIG;
        goto out;
    }
    mode = cfg->daemon.socket_mode;
    if (daemon_mode_check(mode, err, sizeof(err)) != 0) {
        log_msg(LOG_ERR, NULL, "%s: daemon.socket_mode: %s", path, err);
        rc = EX_CONFIG;
        goto out;
    }
    usertext = o.user != NULL ? o.user : cfg->daemon.user;
    if (usertext != NULL) {
        if (daemon_user_resolve(usertext, &user, err, sizeof(err)) != 0) {
            log_msg(LOG_ERR, NULL, "%s%s", o.user != NULL ? "-u: " : "", err);
            rc = EX_NOUSER;
            goto out;
        }
        have_user = true;
    }
    if (cfg->daemon.socket_owner != NULL) {
        if (daemon_user_resolve(
                cfg->daemon.socket_owner, &owner, err, sizeof(err)) != 0) {
            log_msg(LOG_ERR, NULL, "%s: daemon.socket_owner: %s", path, err);
            rc = EX_NOUSER;
            goto out;
        }
        have_owner = true;
    }
    pidfile = o.pidfile != NULL ? o.pidfile : cfg->daemon.pidfile;
    providers_describe(cfg, providers, sizeof(providers));

    if (o.check) {
        printf("%s: OK: %s, %zu trusted entr%s, socket %s\n",
               path,
               providers,
               trusted_count(cfg),
               trusted_count(cfg) == 1 ? "y" : "ies",
               conn);
        rc = EX_OK;
        goto out;
    }

    nofile_raise();
    if (stats_init() != 0) {
        log_msg(LOG_ERR, NULL, "out of memory");
        rc = EX_OSERR;
        goto out;
    }
    /* From here the holder owns the config; cfg stays valid while the
     * global reference lives (until conf_shutdown()). */
    if (conf_replace(cfg) != 0) {
        cfg = NULL;
        log_msg(LOG_ERR, NULL, "out of memory");
        rc = EX_OSERR;
        goto out;
    }
    installed = true;

    if (smfi_setconn(conn) != MI_SUCCESS) {
        log_msg(LOG_ERR, NULL, "smfi_setconn(%s) failed", conn);
        rc = EX_SOFTWARE;
        goto out;
    }
    desc = callbacks_desc();
    if (smfi_register(desc) != MI_SUCCESS) {
        log_msg(LOG_ERR, NULL, "smfi_register failed");
        rc = EX_SOFTWARE;
        goto out;
    }
    if (daemon_socket_prepare(&spec, &removed, err, sizeof(err)) != 0) {
        log_msg(LOG_ERR, NULL, "%s", err);
        rc = EX_CANTCREAT;
        goto out;
    }
    if (removed) {
        log_msg(LOG_NOTICE, NULL, "removed stale socket %s", spec.path);
    }
    /* The socket is born with no more than the configured mode. */
    oldmask = umask((mode_t)(0777 & ~mode));
    errno = 0;
    if (smfi_opensocket(true) != MI_SUCCESS) {
        int e = errno;

        umask(oldmask);
        log_msg(LOG_ERR,
                NULL,
                "cannot open milter socket %s%s%s",
                conn,
                e != 0 ? ": " : "",
                e != 0 ? strerror(e) : "");
        rc = EX_OSERR;
        goto out;
    }
    umask(027);
    socket_open = true;
    if (daemon_socket_finish(
            &spec, mode, have_owner ? &owner : NULL, err, sizeof(err)) != 0) {
        log_msg(LOG_ERR, NULL, "%s", err);
        rc = EX_NOPERM;
        goto out;
    }
    if (have_user) {
        if (daemon_drop(&user, err, sizeof(err)) != 0) {
            log_msg(LOG_ERR, NULL, "%s", err);
            rc = EX_NOPERM;
            goto out;
        }
        log_msg(LOG_INFO,
                NULL,
                "running as user %s, group %s",
                user.name,
                user.group);
    } else if (geteuid() == 0) {
        log_msg(LOG_WARNING,
                NULL,
                "running as root: no user configured (-u or daemon.user); "
                "run as an unprivileged user");
    }
    if (pidfile != NULL) {
        pidfd = daemon_pidfile_open(pidfile, err, sizeof(err));
        if (pidfd < 0) {
            log_msg(LOG_ERR, NULL, "%s", err);
            rc = EX_CANTCREAT;
            goto out;
        }
    }
    if (!o.foreground) {
        if (daemon_detach(&ready_fd, err, sizeof(err)) != 0) {
            log_msg(LOG_ERR, NULL, "%s", err);
            rc = EX_OSERR;
            goto out;
        }
        log_detach();
    }
    if (pidfd >= 0) {
        int fd = pidfd;

        pidfd = -1;
        if (daemon_pidfile_write(fd, pidfile, err, sizeof(err)) != 0) {
            log_msg(LOG_ERR, NULL, "%s", err);
            rc = EX_CANTCREAT;
            goto out;
        }
        pid_written = true;
    }
    /* Before the first thread: every thread inherits the mask. */
    if (reload_block_signals() != 0 || reload_start(path) != 0) {
        log_msg(LOG_ERR,
                NULL,
                "cannot start the signal thread: %s",
                strerror(errno));
        rc = EX_OSERR;
        goto out;
    }
    log_msg(LOG_INFO,
            NULL,
            "lockdown-milter %s starting: config %s, %s, socket %s",
            LOCKDOWN_VERSION,
            path,
            providers,
            conn);
    served = true;
    daemon_ready(ready_fd, EX_OK);
    ready_fd = -1;
    if (daemon_serve(&stopsig, err, sizeof(err)) != 0) {
        log_msg(LOG_ERR, NULL, "%s", err);
        rc = EX_SOFTWARE;
    } else {
        rc = EX_OK;
    }
    if (stopsig != 0) {
        log_msg(LOG_INFO, NULL, "stopping on %s", daemon_signal_name(stopsig));
    } else {
        log_msg(LOG_INFO, NULL, "stopping");
    }
    /* No new sessions from here; the open ones get DRAIN_SECONDS. */
    if (socket_open) {
        socket_remove(&spec);
        socket_open = false;
    }
out:
    daemon_ready(ready_fd, rc);
    reload_stop();
    if (installed) {
        connections_drain();
        if (served) {
            stats_log("exit");
        }
        conf_shutdown();
        cfg = NULL;
    }
    config_free(cfg);
    /* Not stats_free(): a session past the drain, or a new one on an inet
     * socket whose listener runs until exit, may still count into a row.
     * The rows stay reachable, and the exit frees them. */
    if (pidfd >= 0) {
        close(pidfd);
    }
    if (pidfd >= 0 || pid_written) {
        if (unlink(pidfile) != 0 && errno != ENOENT) {
            log_msg(LOG_WARNING,
                    NULL,
                    "cannot remove pidfile %s: %s",
                    pidfile,
                    strerror(errno));
        }
    }
    if (socket_open) {
        socket_remove(&spec);
    }
    log_close();
    return rc;
}
