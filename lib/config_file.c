/*
 * config_file.c - reading configuration files, and naming them in
 * messages: the checks a file must pass before a byte of it is parsed,
 * and "file:line:col: message" for what is wrong inside.
 */
#include "config_impl.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

void config_error(char *err,
                  size_t errlen,
                  const char *file,
                  unsigned line,
                  unsigned col,
                  const char *fmt,
                  ...)
{
    va_list ap;

    va_start(ap, fmt);
    ys_verror(err, errlen, file, line, col, NULL, fmt, ap);
    va_end(ap);
}

const char *config_errno_text(int e, char *buf, size_t buflen)
{
    if (strerror_r(e, buf, buflen) != 0) {
        snprintf(buf, buflen, "error %d", e);
    }
    return buf;
}

char *config_path_join(const char *dir, const char *name)
{
    size_t dl = 0;
    size_t nl = strlen(name);
    char *p = NULL;

    if (dir == NULL || dir[0] == '\0' || name[0] == '/') {
        return strdup(name);
    }
    dl = strlen(dir);
    p = malloc(dl + 1 + nl + 1);
    if (p == NULL) {
        return NULL;
    }
    memcpy(p, dir, dl);
    if (dir[dl - 1] != '/') {
        p[dl++] = '/';
    }
    memcpy(p + dl, name, nl + 1);
    return p;
}

/* Remember a file name for messages and marks; the copy lives as long as
 * the config. */
const char *config_add_file(ld_config *c, const char *name)
{
    char **p = realloc(c->files, (c->nfiles + 1) * sizeof(*p));

    if (p == NULL) {
        return NULL;
    }
    c->files = p;
    p[c->nfiles] = strdup(name);
    if (p[c->nfiles] == NULL) {
        return NULL;
    }
    return p[c->nfiles++];
}

/*
 * Read a whole configuration file. It must be a regular file, not writable
 * by others (anyone could then open the server), and at most LD_MAX_FILE
 * bytes. On an open() failure *open_errno is set and msg holds the reason
 * alone; on any other failure msg is a full sentence about the file.
 */
int config_file_read(const char *path,
                     char **out,
                     size_t *outlen,
                     int *open_errno,
                     char *msg,
                     size_t msglen)
{
    struct stat st;
    char *buf = NULL;
    size_t cap = 0;
    size_t len = 0;
    int fd = -1;
    int rc = -1;
    char e[128];

    *out = NULL;
    *outlen = 0;
    *open_errno = 0;
    /* Opening a device can have effects of its own: look first. The
     * fstat() below is the check that counts (the file may be swapped in
     * between); O_NONBLOCK keeps a FIFO swapped in from hanging us. */
    if (stat(path, &st) != 0) {
        *open_errno = errno;
        config_errno_text(errno, msg, msglen);
        goto out;
    }
    if (!S_ISREG(st.st_mode)) {
        snprintf(msg, msglen, "not a regular file");
        goto out;
    }
    fd = open(path, O_RDONLY | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) {
        *open_errno = errno;
        config_errno_text(errno, msg, msglen);
        goto out;
    }
    if (fstat(fd, &st) != 0) {
        snprintf(msg,
                 msglen,
                 "cannot stat: %s",
                 config_errno_text(errno, e, sizeof(e)));
        goto out;
    }
    if (!S_ISREG(st.st_mode)) {
        snprintf(msg, msglen, "not a regular file");
        goto out;
    }
    if (st.st_mode & S_IWOTH) {
        snprintf(msg,
                 msglen,
                 "refusing a file writable by others (mode %04o): anyone "
                 "could open the server; run chmod o-w on it",
                 (unsigned)(st.st_mode & 07777));
        goto out;
    }
    if (st.st_size > LD_MAX_FILE) {
        snprintf(msg,
                 msglen,
                 "file too large (%lld bytes, at most %d)",
                 (long long)st.st_size,
                 LD_MAX_FILE);
        goto out;
    }
    cap = (size_t)st.st_size + 1;
    buf = malloc(cap);
    if (buf == NULL) {
        snprintf(msg, msglen, "out of memory");
        goto out;
    }
    for (;;) {
        ssize_t n = 0;

        if (len == cap) {
            char *p = NULL;

            /* The file grew while being read. */
            if (cap > LD_MAX_FILE) {
                snprintf(msg,
                         msglen,
                         "file too large (more than %d bytes)",
                         LD_MAX_FILE);
                goto out;
            }
            p = realloc(buf, cap * 2);
            if (p == NULL) {
                snprintf(msg, msglen, "out of memory");
                goto out;
            }
            buf = p;
            cap *= 2;
        }
        n = read(fd, buf + len, cap - len);
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            snprintf(msg,
                     msglen,
                     "read error: %s",
                     config_errno_text(errno, e, sizeof(e)));
            goto out;
        }
        if (n == 0) {
            break;
        }
        len += (size_t)n;
    }
    if (len > LD_MAX_FILE) {
        snprintf(
            msg, msglen, "file too large (more than %d bytes)", LD_MAX_FILE);
        goto out;
    }
    *out = buf;
    *outlen = len;
    buf = NULL;
    rc = 0;

out:
    if (fd >= 0) {
        close(fd);
    }
    free(buf);
    return rc;
}

int config_walk(ys_doc *doc,
                const char *buf,
                size_t len,
                const ys_key *keys,
                struct loader *l,
                char *err,
                size_t errlen)
{
    ys_ctx ctx;

    if (len > LD_MAX_FILE) {
        config_error(err,
                     errlen,
                     l->file,
                     1,
                     1,
                     "file too large (more than %d bytes)",
                     LD_MAX_FILE);
        return -1;
    }
    if (ys_parse(doc, l->file, buf, len, LD_MAX_DEPTH, err, errlen) != 0) {
        return -1;
    }
    ys_ctx_init(&ctx, doc, err, errlen);
    return ys_walk(&ctx, keys, l) != 0 ? -1 : 0;
}
