/*
 * daemon.h - the process side of the daemon: users, the socket file,
 * privileges, pidfile, leaving the terminal. Every system call is checked;
 * errors come back as text for the caller to log, and the caller exits with
 * a sysexits code.
 */
#ifndef LOCKDOWN_MILTER_DAEMON_H
#define LOCKDOWN_MILTER_DAEMON_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "sockspec.h"

typedef struct daemon_user {
    char name[256];  /* user name, for initgroups() */
    char group[256]; /* group name as resolved */
    uid_t uid;
    gid_t gid;
} daemon_user;

/* Resolve "user[:group]" (group defaults to the user's primary group).
 * Returns 0, or -1 with a message in err. */
int daemon_user_resolve(const char *spec,
                        daemon_user *out,
                        char *err,
                        size_t errlen);

/* A socket mode must be 0..0777 and not writable by others. */
int daemon_mode_check(mode_t mode, char *err, size_t errlen);

/*
 * Before smfi_opensocket(): for a unix socket, its directory must exist;
 * an existing file there is removed only if lstat() says it is a socket
 * and nobody answers on it (a stale socket). Sets *removed when it removed
 * one. inet sockets: nothing to do.
 */
int daemon_socket_prepare(const ld_sockspec *s,
                          bool *removed,
                          char *err,
                          size_t errlen);

/* After smfi_opensocket(): chmod, and chown when owner is not NULL. */
int daemon_socket_finish(const ld_sockspec *s,
                         mode_t mode,
                         const daemon_user *owner,
                         char *err,
                         size_t errlen);

/* Switch to the user for good (initgroups, setgid, setuid), then verify
 * that the switch cannot be undone. */
int daemon_drop(const daemon_user *u, char *err, size_t errlen);

/* Open the pidfile (before leaving the terminal, so that errors show);
 * returns the descriptor or -1. */
int daemon_pidfile_open(const char *path, char *err, size_t errlen);

/* Write this process's pid and close fd. */
int daemon_pidfile_write(int fd, const char *path, char *err, size_t errlen);

/*
 * Fork into the background: the child gets a new session, "/" as its
 * directory and /dev/null as stdio. The parent stays until the child calls
 * daemon_ready() and exits with the code given there (EX_SOFTWARE if the
 * child dies first), so "lockdown-milter" without -f reports a start-up
 * failure after the fork too. *ready_fd is the child's end, or -1.
 */
int daemon_detach(int *ready_fd, char *err, size_t errlen);

/*
 * Serve: run smfi_main() in a thread and wait in the calling thread, which
 * must be the main thread, for SIGTERM, SIGINT or SIGHUP. Returns 0 with
 * *sig set to the signal taken, 0 with *sig 0 when smfi_main() returned on
 * its own, or -1 with a message in err. After a signal, libmilter's
 * listener may still be waiting in poll(): the caller lets open sessions
 * finish and exits without waiting for it.
 */
int daemon_serve(int *sig, char *err, size_t errlen);

/* "SIGTERM" and the like, for the log. */
const char *daemon_signal_name(int sig);

/* Tell the waiting parent the start-up result (0 when serving) and close
 * fd. No-op for fd < 0. */
void daemon_ready(int fd, int code);

#endif
