/*
 * testutil.c - fixture helpers shared by the unit tests (testutil.h).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "addr.h"
#include "testutil.h"

int testutil_write_file(const char *path, const char *text)
{
    FILE *fp = fopen(path, "w");
    int rc = -1;

    if (fp == NULL) {
        goto out;
    }
    if (fputs(text, fp) == EOF) {
        goto out;
    }
    rc = 0;
out:
    if (fp != NULL && fclose(fp) != 0) {
        rc = -1;
    }
    return rc;
}

int testutil_providers_make(char *tmpl,
                            const testutil_profile *profiles,
                            size_t nprofiles)
{
    char path[4096];
    size_t i;

    if (mkdtemp(tmpl) == NULL) {
        print_error("mkdtemp: %s\n", strerror(errno));
        return -1;
    }
    snprintf(path, sizeof(path), "%s/providers", tmpl);
    if (mkdir(path, 0700) != 0) {
        print_error("mkdir %s: %s\n", path, strerror(errno));
        return -1;
    }
    for (i = 0; i < nprofiles; i++) {
        snprintf(
            path, sizeof(path), "%s/providers/%s.yaml", tmpl, profiles[i].key);
        if (testutil_write_file(path, profiles[i].yaml) != 0) {
            print_error("write %s: %s\n", path, strerror(errno));
            return -1;
        }
    }
    return 0;
}

ld_config *
testutil_config_load(const char *yaml, const char *name, const char *dir)
{
    char err[LD_ERRLEN];
    ld_config *c = NULL;

    err[0] = '\0';
    c = config_load_string(yaml, name, dir, err, sizeof(err));
    if (c == NULL) {
        print_error("config %s: %s\n", name, err);
    }
    return c;
}

void testutil_configs_free(ld_config **configs, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++) {
        if (configs[i] != NULL) {
            config_free(configs[i]);
        }
    }
}

void testutil_rm_rf(const char *path)
{
    struct stat st;
    DIR *dir = NULL;
    struct dirent *de = NULL;

    if (lstat(path, &st) != 0) {
        return;
    }
    if (!S_ISDIR(st.st_mode)) {
        unlink(path);
        return;
    }
    dir = opendir(path);
    if (dir != NULL) {
        while ((de = readdir(dir)) != NULL) {
            char sub[4096];

            if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0) {
                continue;
            }
            snprintf(sub, sizeof(sub), "%s/%s", path, de->d_name);
            testutil_rm_rf(sub);
        }
        closedir(dir);
    }
    rmdir(path);
}
