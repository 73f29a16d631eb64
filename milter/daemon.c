/*
 * daemon.c - users, socket file, privileges, pidfile, background, serving
 * (see daemon.h). All but daemon_serve() run in the main thread before any
 * other thread exists.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <libgen.h>
#include <pthread.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <libmilter/mfapi.h>

#include "daemon.h"

static void daemon_error(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void daemon_error(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

int daemon_user_resolve(const char *spec,
                        daemon_user *out,
                        char *err,
                        size_t errlen)
{
    char user[256];
    const char *group = NULL;
    const char *colon = NULL;
    struct passwd pw;
    struct passwd *pwp = NULL;
    struct group gr;
    struct group *grp = NULL;
    char *buf = NULL;
    long bufsize = sysconf(_SC_GETPW_R_SIZE_MAX);
    long grsize = sysconf(_SC_GETGR_R_SIZE_MAX);
    size_t ulen;
    int rc = -1;
    int e;

    memset(out, 0, sizeof(*out));
    if (spec == NULL || spec[0] == '\0') {
        daemon_error(err, errlen, "empty user");
        goto out;
    }
    colon = strchr(spec, ':');
    ulen = colon != NULL ? (size_t)(colon - spec) : strlen(spec);
    if (ulen == 0 || ulen >= sizeof(user) ||
        (colon != NULL && colon[1] == '\0')) {
        daemon_error(
            err, errlen, "user \"%.100s\": expected user[:group]", spec);
        goto out;
    }
    memcpy(user, spec, ulen);
    user[ulen] = '\0';
    group = colon != NULL ? colon + 1 : NULL;
    if (bufsize < 16384) {
        bufsize = 16384;
    }
    if (grsize > bufsize) {
        bufsize = grsize;
    }
    buf = malloc((size_t)bufsize);
    if (buf == NULL) {
        daemon_error(err, errlen, "out of memory");
        goto out;
    }
    e = getpwnam_r(user, &pw, buf, (size_t)bufsize, &pwp);
    if (pwp == NULL) {
        daemon_error(err,
                     errlen,
                     "user \"%.100s\": %s",
                     user,
                     e != 0 ? strerror(e) : "no such user");
        goto out;
    }
    snprintf(out->name, sizeof(out->name), "%s", pw.pw_name);
    out->uid = pw.pw_uid;
    out->gid = pw.pw_gid;
    if (group != NULL) {
        e = getgrnam_r(group, &gr, buf, (size_t)bufsize, &grp);
        if (grp == NULL) {
            daemon_error(err,
                         errlen,
                         "group \"%.100s\": %s",
                         group,
                         e != 0 ? strerror(e) : "no such group");
            goto out;
        }
        out->gid = gr.gr_gid;
        snprintf(out->group, sizeof(out->group), "%s", gr.gr_name);
    } else {
        e = getgrgid_r(out->gid, &gr, buf, (size_t)bufsize, &grp);
        snprintf(out->group,
                 sizeof(out->group),
                 "%s",
                 grp != NULL ? gr.gr_name : "?");
    }
    rc = 0;
out:
    free(buf);
    return rc;
}

int daemon_mode_check(mode_t mode, char *err, size_t errlen)
{
    if ((mode & ~(mode_t)0777) != 0) {
        daemon_error(err,
                     errlen,
                     "socket mode %04o: only permission bits (0..0777) "
                     "are allowed",
                     (unsigned)mode);
        return -1;
    }
    if ((mode & S_IWOTH) != 0) {
        daemon_error(err,
                     errlen,
                     "socket mode %04o is writable by others: anyone could "
                     "talk to the milter; use 0660 and a group",
                     (unsigned)mode);
        return -1;
    }
    return 0;
}

/* Someone answers on the socket: another milter is running there. */
static int
daemon_socket_live(const char *path, bool *live, char *err, size_t errlen)
{
    struct sockaddr_un sun;
    int fd = -1;
    int rc = -1;

    *live = false;
    memset(&sun, 0, sizeof(sun));
    sun.sun_family = AF_UNIX;
    snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        daemon_error(err, errlen, "socket: %s", strerror(errno));
        goto out;
    }
    if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == 0) {
        *live = true;
    } else if (errno != ECONNREFUSED) {
        daemon_error(err,
                     errlen,
                     "%s: cannot tell whether it is in use: %s",
                     path,
                     strerror(errno));
        goto out;
    }
    rc = 0;
out:
    if (fd >= 0) {
        close(fd);
    }
    return rc;
}

int daemon_socket_prepare(const ld_sockspec *s,
                          bool *removed,
                          char *err,
                          size_t errlen)
{
    char dir[sizeof(s->path)];
    struct stat st;
    bool live = false;

    *removed = false;
    if (s->kind != LD_SOCK_UNIX) {
        return 0;
    }
    snprintf(dir, sizeof(dir), "%s", s->path);
    if (stat(dirname(dir), &st) != 0 || !S_ISDIR(st.st_mode)) {
        snprintf(dir, sizeof(dir), "%s", s->path);
        daemon_error(err,
                     errlen,
                     "socket directory %s does not exist or is not a "
                     "directory (create it, or set RuntimeDirectory= in the "
                     "systemd unit)",
                     dirname(dir));
        return -1;
    }
    if (lstat(s->path, &st) != 0) {
        if (errno == ENOENT) {
            return 0;
        }
        daemon_error(err, errlen, "%s: %s", s->path, strerror(errno));
        return -1;
    }
    if (!S_ISSOCK(st.st_mode)) {
        daemon_error(err,
                     errlen,
                     "%s exists and is not a socket: refusing to remove it",
                     s->path);
        return -1;
    }
    if (daemon_socket_live(s->path, &live, err, errlen) != 0) {
        return -1;
    }
    if (live) {
        daemon_error(err,
                     errlen,
                     "%s is in use: another milter is listening on it",
                     s->path);
        return -1;
    }
    if (unlink(s->path) != 0) {
        daemon_error(err,
                     errlen,
                     "cannot remove stale socket %s: %s",
                     s->path,
                     strerror(errno));
        return -1;
    }
    *removed = true;
    return 0;
}

int daemon_socket_finish(const ld_sockspec *s,
                         mode_t mode,
                         const daemon_user *owner,
                         char *err,
                         size_t errlen)
{
    if (s->kind != LD_SOCK_UNIX) {
        return 0;
    }
    if (owner != NULL && chown(s->path, owner->uid, owner->gid) != 0) {
        daemon_error(err,
                     errlen,
                     "chown %s to %s:%s: %s",
                     s->path,
                     owner->name,
                     owner->group,
                     strerror(errno));
        return -1;
    }
    if (chmod(s->path, mode) != 0) {
        daemon_error(err,
                     errlen,
                     "chmod %04o %s: %s",
                     (unsigned)mode,
                     s->path,
                     strerror(errno));
        return -1;
    }
    return 0;
}

int daemon_drop(const daemon_user *u, char *err, size_t errlen)
{
    if (geteuid() != 0) {
        if (getuid() == u->uid && geteuid() == u->uid) {
            return 0;
        }
        daemon_error(err,
                     errlen,
                     "cannot switch to user %s: not started as root",
                     u->name);
        return -1;
    }
    if (initgroups(u->name, u->gid) != 0) {
        daemon_error(
            err, errlen, "initgroups(%s): %s", u->name, strerror(errno));
        return -1;
    }
    if (setgid(u->gid) != 0) {
        daemon_error(
            err, errlen, "setgid(%ld): %s", (long)u->gid, strerror(errno));
        return -1;
    }
    if (setuid(u->uid) != 0) {
        daemon_error(
            err, errlen, "setuid(%ld): %s", (long)u->uid, strerror(errno));
        return -1;
    }
    if (getuid() != u->uid || geteuid() != u->uid || getgid() != u->gid ||
        getegid() != u->gid) {
        daemon_error(err,
                     errlen,
                     "privileges not dropped: uid %ld/%ld gid %ld/%ld",
                     (long)getuid(),
                     (long)geteuid(),
                     (long)getgid(),
                     (long)getegid());
        return -1;
    }
    if (u->uid != 0 && setuid(0) == 0) {
        daemon_error(err, errlen, "privileges not dropped: setuid(0) works");
        return -1;
    }
    return 0;
}

int daemon_pidfile_open(const char *path, char *err, size_t errlen)
{
    int fd =
        open(path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644);

    if (fd < 0) {
        daemon_error(err, errlen, "pidfile %s: %s", path, strerror(errno));
    }
    return fd;
}

int daemon_pidfile_write(int fd, const char *path, char *err, size_t errlen)
{
    char buf[32];
    int n = snprintf(buf, sizeof(buf), "%ld\n", (long)getpid());
    int rc = 0;

    if (write(fd, buf, (size_t)n) != n) {
        daemon_error(err, errlen, "pidfile %s: %s", path, strerror(errno));
        rc = -1;
    }
    if (close(fd) != 0 && rc == 0) {
        daemon_error(err, errlen, "pidfile %s: %s", path, strerror(errno));
        rc = -1;
    }
    return rc;
}

/* The parent's side: wait for the child's start-up result. */
static void daemon_wait_ready(int fd)
{
    unsigned char code = 70; /* EX_SOFTWARE: the child died silently */
    ssize_t n;

    do {
        n = read(fd, &code, 1);
    } while (n < 0 && errno == EINTR);
    _exit(n == 1 ? code : 70);
}

int daemon_detach(int *ready_fd, char *err, size_t errlen)
{
    int fds[2] = {-1, -1};
    pid_t pid;
    int fd = -1;

    *ready_fd = -1;
    if (pipe(fds) != 0) {
        daemon_error(err, errlen, "pipe: %s", strerror(errno));
        return -1;
    }
    pid = fork();
    if (pid < 0) {
        daemon_error(err, errlen, "fork: %s", strerror(errno));
        close(fds[0]);
        close(fds[1]);
        return -1;
    }
    if (pid > 0) {
        close(fds[1]);
        daemon_wait_ready(fds[0]);
    }
    close(fds[0]);
    if (setsid() < 0) {
        daemon_error(err, errlen, "setsid: %s", strerror(errno));
        goto fail;
    }
    /* Second fork: no longer a session leader, so no terminal can ever be
     * acquired again. */
    pid = fork();
    if (pid < 0) {
        daemon_error(err, errlen, "fork: %s", strerror(errno));
        goto fail;
    }
    if (pid > 0) {
        _exit(0);
    }
    if (chdir("/") != 0) {
        daemon_error(err, errlen, "chdir /: %s", strerror(errno));
        goto fail;
    }
    fd = open("/dev/null", O_RDWR);
    if (fd < 0) {
        daemon_error(err, errlen, "/dev/null: %s", strerror(errno));
        goto fail;
    }
    if (dup2(fd, STDIN_FILENO) < 0 || dup2(fd, STDOUT_FILENO) < 0 ||
        dup2(fd, STDERR_FILENO) < 0) {
        daemon_error(err, errlen, "dup2: %s", strerror(errno));
        close(fd);
        goto fail;
    }
    if (fd > STDERR_FILENO) {
        close(fd);
    }
    *ready_fd = fds[1];
    return 0;
fail:
    /* Still attached enough to report: the caller logs err and exits,
     * and the parent takes the code from here. */
    *ready_fd = fds[1];
    return -1;
}

void daemon_ready(int fd, int code)
{
    unsigned char c = (unsigned char)code;
    ssize_t n;

    if (fd < 0) {
        return;
    }
    do {
        n = write(fd, &c, 1);
    } while (n < 0 && errno == EINTR);
    close(fd);
}

/*
 * Serving. libmilter's own signal thread also sigwaits SIGTERM, SIGINT and
 * SIGHUP, but all it does is flag the stop and close the listening socket
 * under a lock that the listener holds for the whole of its 5 s poll(): the
 * process would leave only when that poll times out. Linux offers a
 * process-directed signal to the thread group leader first when that
 * thread waits for it, so the main thread sigwaits and takes every stop
 * signal itself, as long as it is waiting before libmilter's signal thread
 * starts (serve_listen() makes sure of that).
 */
typedef enum serve_state {
    SERVE_RUNNING,
    SERVE_RETURNED,
    SERVE_FAILED
} serve_state;

static pthread_t serve_leader;
static atomic_int serve_listener_state;
static atomic_bool serve_stopping;

static void serve_stop_signals(sigset_t *set)
{
    sigemptyset(set);
    sigaddset(set, SIGTERM);
    sigaddset(set, SIGINT);
    sigaddset(set, SIGHUP);
}

/*
 * The kernel unblocks the awaited signals of a thread sleeping in sigwait()
 * for the time of the wait, and /proc shows the mask it holds now: SIGTERM
 * missing from the leader's SigBlk means the leader is waiting. Returns 1
 * (waiting), 0 (not yet) or -1 (no /proc: cannot tell).
 */
static int serve_leader_waiting(void)
{
    char path[64];
    char line[256];
    unsigned long long blocked = 0;
    int found = -1;
    FILE *fp = NULL;

    snprintf(path, sizeof(path), "/proc/self/task/%ld/status", (long)getpid());
    fp = fopen(path, "r");
    if (fp == NULL) {
        return -1;
    }
    while (fgets(line, sizeof(line), fp) != NULL) {
        if (sscanf(line, "SigBlk: %llx", &blocked) == 1) {
            found = (blocked & (1ULL << (SIGTERM - 1))) == 0;
            break;
        }
    }
    fclose(fp);
    return found;
}

static void *serve_listen(void *arg)
{
    struct timespec ts = {0, 1000 * 1000};
    int r = MI_SUCCESS;

    (void)arg;
    while (!atomic_load(&serve_stopping) && serve_leader_waiting() == 0) {
        nanosleep(&ts, NULL);
    }
    if (!atomic_load(&serve_stopping)) {
        r = smfi_main();
    }
    atomic_store(&serve_listener_state,
                 r == MI_SUCCESS ? SERVE_RETURNED : SERVE_FAILED);
    /* Wakes the leader's sigwait(); the state says why. */
    pthread_kill(serve_leader, SIGTERM);
    return NULL;
}

int daemon_serve(int *sig, char *err, size_t errlen)
{
    sigset_t set;
    pthread_t listener;
    int state = SERVE_RUNNING;
    int got = 0;
    int e;

    *sig = 0;
    serve_stop_signals(&set);
    if (pthread_sigmask(SIG_BLOCK, &set, NULL) != 0) {
        daemon_error(err, errlen, "cannot block the stop signals");
        return -1;
    }
    serve_leader = pthread_self();
    atomic_store(&serve_listener_state, SERVE_RUNNING);
    atomic_store(&serve_stopping, false);
    e = pthread_create(&listener, NULL, serve_listen, NULL);
    if (e != 0) {
        daemon_error(
            err, errlen, "cannot start the listener: %s", strerror(e));
        return -1;
    }
    do {
        e = sigwait(&set, &got);
    } while (e != 0);
    atomic_store(&serve_stopping, true);
    state = atomic_load(&serve_listener_state);
    if (state != SERVE_RUNNING) {
        pthread_join(listener, NULL);
        if (state == SERVE_FAILED) {
            daemon_error(err, errlen, "smfi_main failed");
            return -1;
        }
        return 0;
    }
    *sig = got;
    /* The listener may sit in poll() for 5 s more: leave it there, and
     * the process ends it at exit. */
    pthread_detach(listener);
    return 0;
}

const char *daemon_signal_name(int sig)
{
    switch (sig) {
    case SIGTERM:
        return "SIGTERM";
    case SIGINT:
        return "SIGINT";
    case SIGHUP:
        return "SIGHUP";
    default:
        return "a signal";
    }
}
