/*
 * poll_forever.c - LD_PRELOAD shim for startup.sh: libmilter's listener
 * polls its socket with a 5 s timeout (MI_CHK_TIME) and notices a stop
 * request only when that poll returns. This shim turns exactly that
 * timeout into "forever", so a daemon whose exit waits for the listener
 * never exits, whatever the machine's load: the test of a prompt SIGTERM
 * needs no clock.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <poll.h>
#include <stddef.h>

typedef int (*poll_fn)(struct pollfd *, nfds_t, int);

int poll(struct pollfd *fds, nfds_t nfds, int timeout)
{
    static poll_fn real;
    poll_fn fn = __atomic_load_n(&real, __ATOMIC_ACQUIRE);

    if (fn == NULL) {
        void *sym = dlsym(RTLD_NEXT, "poll");

        __builtin_memcpy(&fn, &sym, sizeof(fn));
        __atomic_store_n(&real, fn, __ATOMIC_RELEASE);
    }
    if (timeout == 5000) {
        timeout = -1;
    }
    return fn(fds, nfds, timeout);
}
