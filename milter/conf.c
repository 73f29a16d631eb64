/*
 * conf.c - the current configuration and its references (see conf.h).
 *
 * Everything that can be slow (loading, validating, building the address
 * sets, finding the counter rows) happens before conf_replace() takes the
 * lock; under the lock only pointers and counts change. Freeing happens
 * after the lock is released.
 */
#include <pthread.h>
#include <stdlib.h>

#include "conf.h"

static pthread_mutex_t conf_lock = PTHREAD_MUTEX_INITIALIZER;
static conf *conf_current;
static unsigned long conf_conn_refs;
static unsigned long conf_generation;

static void conf_free(conf *h)
{
    if (h == NULL) {
        return;
    }
    config_free(h->cfg);
    free(h->rows);
    free(h);
}

/* Build a holder around cfg, counters rows included. Frees cfg on
 * failure. */
static conf *conf_new(ld_config *cfg)
{
    conf *h = NULL;
    size_t i;

    if (cfg == NULL) {
        return NULL;
    }
    h = calloc(1, sizeof(*h));
    if (h == NULL) {
        goto fail;
    }
    h->cfg = cfg;
    if (cfg->nentries > 0) {
        h->rows = calloc(cfg->nentries, sizeof(*h->rows));
        if (h->rows == NULL) {
            goto fail;
        }
    }
    for (i = 0; i < cfg->nentries; i++) {
        h->rows[i] = stats_row_entry(&cfg->entries[i]);
        if (h->rows[i] == NULL) {
            goto fail;
        }
    }
    h->refs = 1; /* the global reference */
    return h;
fail:
    if (h != NULL) {
        h->cfg = NULL;
        conf_free(h);
    }
    config_free(cfg);
    return NULL;
}

int conf_replace(ld_config *cfg)
{
    conf *h = conf_new(cfg);
    conf *old = NULL;

    if (h == NULL) {
        return -1;
    }
    pthread_mutex_lock(&conf_lock);
    h->generation = ++conf_generation;
    old = conf_current;
    conf_current = h;
    if (old != NULL && --old->refs > 0) {
        old = NULL; /* connections still use it; the last one frees it */
    }
    pthread_mutex_unlock(&conf_lock);
    conf_free(old);
    return 0;
}

conf *conf_acquire(void)
{
    conf *h = NULL;

    pthread_mutex_lock(&conf_lock);
    h = conf_current;
    if (h != NULL) {
        h->refs++;
        conf_conn_refs++;
    }
    pthread_mutex_unlock(&conf_lock);
    return h;
}

void conf_release(conf *h)
{
    if (h == NULL) {
        return;
    }
    pthread_mutex_lock(&conf_lock);
    conf_conn_refs--;
    if (--h->refs > 0) {
        h = NULL;
    }
    pthread_mutex_unlock(&conf_lock);
    conf_free(h);
}

unsigned long conf_connections(void)
{
    unsigned long n;

    pthread_mutex_lock(&conf_lock);
    n = conf_conn_refs;
    pthread_mutex_unlock(&conf_lock);
    return n;
}

void conf_shutdown(void)
{
    conf *old = NULL;

    pthread_mutex_lock(&conf_lock);
    old = conf_current;
    conf_current = NULL;
    if (old != NULL && --old->refs > 0) {
        old = NULL;
    }
    pthread_mutex_unlock(&conf_lock);
    conf_free(old);
}
