/*
 * stats.c - decision counters (see stats.h).
 *
 * Rows form a list that only grows while the daemon runs: new rows are
 * appended under stats_lock, counters are atomics, so counting never takes
 * the lock and the dump reads a consistent list.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "stats.h"

enum stats_col {
    COL_ACCEPT = 0,
    COL_CONTINUE,
    COL_REJECT,
    COL_TEMPFAIL,
    COL_WOULD_REJECT,
    COL_WOULD_TEMPFAIL,
    COL_N
};

static const char *const stats_col_name[COL_N] = {
    "accept",
    "continue",
    "reject",
    "tempfail",
    "would-reject",
    "would-tempfail",
};

struct stats_row {
    struct stats_row *next;
    char *kind; /* "provider", "trusted" or "-" for the fixed rows */
    char *name;
    atomic_ulong count[COL_N];
};

static pthread_mutex_t stats_lock = PTHREAD_MUTEX_INITIALIZER;
static stats_row *stats_head;
static stats_row *stats_tail;
static stats_row *stats_fixed[STATS_NSPECIAL];

static const char *const stats_fixed_name[STATS_NSPECIAL] = {
    "not-listed",
    "port-not-locked",
    "unknown-client",
    "internal",
};

static stats_row *stats_row_new(const char *kind, const char *name)
{
    stats_row *r = calloc(1, sizeof(*r));
    size_t i;

    if (r == NULL) {
        return NULL;
    }
    r->kind = strdup(kind);
    r->name = strdup(name);
    if (r->kind == NULL || r->name == NULL) {
        free(r->kind);
        free(r->name);
        free(r);
        return NULL;
    }
    for (i = 0; i < COL_N; i++) {
        atomic_init(&r->count[i], 0);
    }
    return r;
}

/* Caller holds stats_lock. */
static void stats_append(stats_row *r)
{
    if (stats_tail == NULL) {
        stats_head = r;
    } else {
        stats_tail->next = r;
    }
    stats_tail = r;
}

int stats_init(void)
{
    int rc = -1;
    size_t i;

    pthread_mutex_lock(&stats_lock);
    for (i = 0; i < STATS_NSPECIAL; i++) {
        if (stats_fixed[i] != NULL) {
            continue;
        }
        stats_fixed[i] = stats_row_new("-", stats_fixed_name[i]);
        if (stats_fixed[i] == NULL) {
            goto out;
        }
        stats_append(stats_fixed[i]);
    }
    rc = 0;
out:
    pthread_mutex_unlock(&stats_lock);
    return rc;
}

stats_row *stats_row_entry(const ld_entry *e)
{
    const char *kind = NULL;
    stats_row *r = NULL;

    if (e == NULL || e->name == NULL) {
        return NULL;
    }
    kind = e->kind == LD_ENTRY_PROVIDER ? "provider" : "trusted";
    pthread_mutex_lock(&stats_lock);
    for (r = stats_head; r != NULL; r = r->next) {
        if (strcmp(r->kind, kind) == 0 && strcmp(r->name, e->name) == 0) {
            goto out;
        }
    }
    r = stats_row_new(kind, e->name);
    if (r != NULL) {
        stats_append(r);
    }
out:
    pthread_mutex_unlock(&stats_lock);
    return r;
}

stats_row *stats_row_special(enum stats_special which)
{
    if ((unsigned)which >= STATS_NSPECIAL) {
        return NULL;
    }
    return stats_fixed[which];
}

static enum stats_col stats_column(const ld_verdict *v)
{
    if (v->monitored) {
        return v->would == LD_TEMPFAIL ? COL_WOULD_TEMPFAIL : COL_WOULD_REJECT;
    }
    switch (v->action) {
    case LD_ACCEPT:
        return COL_ACCEPT;
    case LD_CONTINUE:
        return COL_CONTINUE;
    case LD_REJECT:
        return COL_REJECT;
    case LD_TEMPFAIL:
        break;
    }
    return COL_TEMPFAIL;
}

void stats_count(stats_row *row, const ld_verdict *v)
{
    if (row == NULL || v == NULL) {
        return;
    }
    atomic_fetch_add_explicit(
        &row->count[stats_column(v)], 1, memory_order_relaxed);
}

void stats_log(const char *why)
{
    const stats_row *r = NULL;

    pthread_mutex_lock(&stats_lock);
    log_msg(LOG_INFO, NULL, "counters (%s):", why);
    for (r = stats_head; r != NULL; r = r->next) {
        unsigned long c[COL_N];
        size_t i;

        for (i = 0; i < COL_N; i++) {
            c[i] = atomic_load_explicit(&r->count[i], memory_order_relaxed);
        }
        log_msg(LOG_INFO,
                NULL,
                "counters: %s=%s %s=%lu %s=%lu %s=%lu %s=%lu %s=%lu %s=%lu",
                strcmp(r->kind, "-") == 0 ? "row" : r->kind,
                r->name,
                stats_col_name[0],
                c[0],
                stats_col_name[1],
                c[1],
                stats_col_name[2],
                c[2],
                stats_col_name[3],
                c[3],
                stats_col_name[4],
                c[4],
                stats_col_name[5],
                c[5]);
    }
    pthread_mutex_unlock(&stats_lock);
}

void stats_free(void)
{
    stats_row *r = NULL;
    size_t i;

    pthread_mutex_lock(&stats_lock);
    r = stats_head;
    while (r != NULL) {
        stats_row *next = r->next;

        free(r->kind);
        free(r->name);
        free(r);
        r = next;
    }
    stats_head = NULL;
    stats_tail = NULL;
    for (i = 0; i < STATS_NSPECIAL; i++) {
        stats_fixed[i] = NULL;
    }
    pthread_mutex_unlock(&stats_lock);
}
