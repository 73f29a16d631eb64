/*
 * testutil.h - what the unit tests share to build their fixtures: a
 * temporary directory with providers/ holding inline YAML profiles, and
 * its removal. Compiled into every tests/unit/test_*.c executable.
 */
#ifndef LOCKDOWN_TESTUTIL_H
#define LOCKDOWN_TESTUTIL_H

#include <stddef.h>

#include "config.h"

/* A provider profile written as providers/KEY.yaml. */
typedef struct testutil_profile {
    const char *key;
    const char *yaml;
} testutil_profile;

/* text into path (created or truncated); 0, or -1 on any error. */
int testutil_write_file(const char *path, const char *text);

/* mkdtemp(tmpl) with tmpl "/tmp/NAME.XXXXXX", then tmpl/providers with
 * each profile in it. 0, or -1 after saying why with print_error(). */
int testutil_providers_make(char *tmpl,
                            const testutil_profile *profiles,
                            size_t nprofiles);

/* config_load_string(yaml, name, dir); on error says which config and
 * why with print_error() and returns NULL. */
ld_config *
testutil_config_load(const char *yaml, const char *name, const char *dir);

/* config_free() each of the n configs that is not NULL. */
void testutil_configs_free(ld_config **configs, size_t n);

/* rm -rf path; best effort, for teardown. */
void testutil_rm_rf(const char *path);

#endif
