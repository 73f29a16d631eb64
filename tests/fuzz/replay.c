/*
 * replay.c - a main() for harnesses built without libFuzzer: runs the
 * harness once on each file named, or on each file of each directory named
 * (the StandaloneFuzzTargetMain pattern). Used by the fuzz-regress tests to
 * replay the committed corpus in every build, and by memcheck.sh.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz.h"

#ifdef FUZZ_HAVE_ASAN
#include <sanitizer/lsan_interface.h>
#endif

__attribute__((weak)) int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    return 0;
}

static int replay_file(const char *path)
{
    FILE *f = NULL;
    uint8_t *buf = NULL;
    long len = 0;
    int rc = -1;

    f = fopen(path, "rb");
    if (f == NULL || fseek(f, 0, SEEK_END) != 0 || (len = ftell(f)) < 0 ||
        fseek(f, 0, SEEK_SET) != 0) {
        perror(path);
        goto out;
    }
    /* One byte more so that an empty file is not a NULL buffer. */
    buf = malloc((size_t)len + 1);
    if (buf == NULL || fread(buf, 1, (size_t)len, f) != (size_t)len) {
        perror(path);
        goto out;
    }
    LLVMFuzzerTestOneInput(buf, (size_t)len);
#ifdef FUZZ_HAVE_ASAN
    /* Per input, as libFuzzer does, not only at exit: memory an input
     * leaks while the harness still points at it elsewhere shows here. */
    if (__lsan_do_recoverable_leak_check() != 0) {
        fprintf(stderr, "replay: %s: leak\n", path);
        goto out;
    }
#endif
    rc = 0;
out:
    free(buf);
    if (f != NULL) {
        fclose(f);
    }
    return rc;
}

static int entry_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int replay_dir(const char *dir, size_t *count)
{
    DIR *d = NULL;
    struct dirent *de = NULL;
    char **names = NULL;
    size_t n = 0, i;
    int rc = -1;

    d = opendir(dir);
    if (d == NULL) {
        perror(dir);
        goto out;
    }
    while ((de = readdir(d)) != NULL) {
        char **grown = NULL;
        char *path = NULL;
        struct stat st;

        if (de->d_name[0] == '.') {
            continue;
        }
        path = malloc(strlen(dir) + strlen(de->d_name) + 2);
        if (path == NULL) {
            goto out;
        }
        sprintf(path, "%s/%s", dir, de->d_name);
        if (stat(path, &st) != 0 || !S_ISREG(st.st_mode)) {
            free(path);
            continue;
        }
        grown = realloc(names, (n + 1) * sizeof(*names));
        if (grown == NULL) {
            free(path);
            goto out;
        }
        names = grown;
        names[n++] = path;
    }
    /* A fixed order makes a failure easy to reproduce. */
    if (n > 0) {
        qsort(names, n, sizeof(*names), entry_cmp);
    }
    for (i = 0; i < n; i++) {
        if (replay_file(names[i]) != 0) {
            goto out;
        }
        (*count)++;
    }
    rc = 0;
out:
    for (i = 0; i < n; i++) {
        free(names[i]);
    }
    free(names);
    if (d != NULL) {
        closedir(d);
    }
    return rc;
}

int main(int argc, char **argv)
{
    size_t count = 0;
    int i;

    LLVMFuzzerInitialize(&argc, &argv);
    for (i = 1; i < argc; i++) {
        struct stat st;

        if (stat(argv[i], &st) != 0) {
            perror(argv[i]);
            return 1;
        }
        if (S_ISDIR(st.st_mode)) {
            if (replay_dir(argv[i], &count) != 0) {
                return 1;
            }
        } else {
            if (replay_file(argv[i]) != 0) {
                return 1;
            }
            count++;
        }
    }
    printf("replayed %zu inputs\n", count);
    return 0;
}
