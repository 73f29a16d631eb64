/*
 * stats.h - decision counters, per profile or trusted entry and verdict,
 * written to the log on SIGUSR2 and at exit.
 *
 * A row is found or created by name when a config is loaded (off the hot
 * path, under a lock) and lives until the process exits, so counts survive
 * reloads and a connection holding an old config still counts into the
 * right row. Counting itself is one relaxed atomic add.
 */
#ifndef LOCKDOWN_MILTER_STATS_H
#define LOCKDOWN_MILTER_STATS_H

#include "config.h"
#include "policy.h"

typedef struct stats_row stats_row;

/* Row of a config entry (provider key or trusted name); NULL on allocation
 * failure. */
stats_row *stats_row_entry(const ld_entry *e);

/* The fixed row counting decisions with no entry: port-not-locked,
 * unknown-client, internal-error, and not-listed for every other reason
 * (refused or deferred outsiders). Never NULL after stats_init(). */
stats_row *stats_row_reason(enum ld_reason r);

/* Returns 0, or -1 on allocation failure. */
int stats_init(void);

/* Count one decision, by policy_verdict_word(). row NULL counts nothing. */
void stats_count(stats_row *row, const ld_verdict *v);

/* Write every row to the log, one line each; "why" says what asked. */
void stats_log(const char *why);


#endif
