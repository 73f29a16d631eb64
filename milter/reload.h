/*
 * reload.h - the signal thread: SIGUSR1 reloads the configuration, SIGUSR2
 * writes the counters to the log.
 *
 * SIGHUP stops libmilter, so reload uses SIGUSR1. The main thread takes
 * SIGHUP, SIGTERM and SIGINT itself and stops the daemon (daemon.c). All
 * these signals must be blocked in every thread (reload_block_signals()
 * before the first thread is created) and are taken with sigwait() only.
 */
#ifndef LOCKDOWN_MILTER_RELOAD_H
#define LOCKDOWN_MILTER_RELOAD_H

/* Block SIGUSR1, SIGUSR2, SIGHUP, SIGTERM, SIGINT in the calling thread
 * (inherited by every thread it creates) and ignore SIGPIPE. */
int reload_block_signals(void);

/* Start the thread; path is the main config file to load on SIGUSR1.
 * Returns 0, or -1 (errno set). */
int reload_start(const char *path);

/* Load and swap now, as SIGUSR1 does (used by the thread; also tests). */
void reload_now(void);

/* Stop and join the thread (no-op when it was not started). */
void reload_stop(void);

#endif
