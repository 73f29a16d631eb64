/*
 * conf.h - the daemon's current configuration, shared by reference count
 * (OpenDKIM style).
 *
 * One global pointer to the current holder, protected by a mutex. Every
 * connection takes a reference when it starts and drops it when it closes,
 * so a reload never changes the config under a running session: the old
 * config is freed when its last connection closes. The config inside a
 * holder is immutable; only the pointer and the counts are guarded.
 */
#ifndef LOCKDOWN_MILTER_CONF_H
#define LOCKDOWN_MILTER_CONF_H

#include <stddef.h>

#include "config.h"
#include "stats.h"

typedef struct conf {
    ld_config *cfg;
    stats_row **rows;   /* per entry index, for counting */
    unsigned long refs; /* guarded by the conf lock */
    unsigned long generation;
} conf;

/*
 * Make cfg (already loaded and validated) the current config, at start-up
 * and on reload.
 * Takes ownership of cfg (also on failure: it is freed). Returns 0, or -1
 * on allocation failure, leaving the current config in place.
 */
int conf_replace(ld_config *cfg);

/* A reference to the current config, or NULL when there is none. */
conf *conf_acquire(void);

/* Drop a reference; frees the holder when it was the last one. */
void conf_release(conf *h);

/* References held by connections (all holders, the global one excluded). */
unsigned long conf_connections(void);

/* Drop the global reference (at exit); connections keep theirs. */
void conf_shutdown(void);

#endif
