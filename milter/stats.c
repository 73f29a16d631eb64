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

/* What a row counts: decisions with no entry (keyed by reason), or one
 * config entry. The name is what the counter lines say before "=". */
enum stats_kind { KIND_REASON = 0, KIND_PROVIDER, KIND_TRUSTED, KIND_N };

static const char *const stats_kind_name[KIND_N] = {
    "row",
    "provider",
    "trusted",
};

struct stats_row {
    struct stats_row *next;
    enum stats_kind kind;
    char *name;
    atomic_ulong count[COL_N];
};

static pthread_mutex_t stats_lock = PTHREAD_MUTEX_INITIALIZER;
static stats_row *stats_head;
static stats_row *stats_tail;

/* The reasons that have a fixed row; any other reason without an entry
 * is an outsider and counts as not-listed. */
static const enum ld_reason stats_fixed_reason[] = {
    LD_REASON_NOT_LISTED,
    LD_REASON_PORT_NOT_LOCKED,
    LD_REASON_UNKNOWN_CLIENT,
    LD_REASON_INTERNAL_ERROR,
};
#define STATS_NFIXED                                                           \
    (sizeof(stats_fixed_reason) / sizeof(stats_fixed_reason[0]))
static stats_row *stats_fixed[LD_REASON_COUNT];

static stats_row *stats_row_new(enum stats_kind kind, const char *name)
{
    stats_row *r = calloc(1, sizeof(*r));
    size_t i;

    if (r == NULL) {
        return NULL;
    }
    r->kind = kind;
    r->name = strdup(name);
    if (r->name == NULL) {
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
    for (i = 0; i < STATS_NFIXED; i++) {
        enum ld_reason r = stats_fixed_reason[i];

        if (stats_fixed[r] != NULL) {
            continue;
        }
        stats_fixed[r] = stats_row_new(KIND_REASON, reason_name(r));
        if (stats_fixed[r] == NULL) {
            goto out;
        }
        stats_append(stats_fixed[r]);
    }
    rc = 0;
out:
    pthread_mutex_unlock(&stats_lock);
    return rc;
}

stats_row *stats_row_entry(const ld_entry *e)
{
    enum stats_kind kind;
    stats_row *r = NULL;

    if (e == NULL || e->name == NULL) {
        return NULL;
    }
    kind = e->kind == LD_ENTRY_PROVIDER ? KIND_PROVIDER : KIND_TRUSTED;
    pthread_mutex_lock(&stats_lock);
    for (r = stats_head; r != NULL; r = r->next) {
        if (r->kind == kind && strcmp(r->name, e->name) == 0) {
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

stats_row *stats_row_reason(enum ld_reason r)
{
    if ((unsigned)r < LD_REASON_COUNT && stats_fixed[r] != NULL) {
        return stats_fixed[r];
    }
    return stats_fixed[LD_REASON_NOT_LISTED];
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
                stats_kind_name[r->kind],
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
