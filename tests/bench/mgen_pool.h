/*
 * mgen_pool.h - pools of client addresses for the load generator.
 *
 * A pool is a list of prefixes (IPv4 or IPv6, a bare address is a /32 or
 * /128). A draw picks a prefix uniformly, then a host inside it, from a
 * caller-supplied random number: runs are reproducible from the seed.
 */
#ifndef MGEN_POOL_H
#define MGEN_POOL_H

#include <stddef.h>
#include <stdint.h>

typedef struct pool_prefix {
    uint8_t family; /* 4 or 6 */
    uint8_t len;
    uint8_t bytes[16];
} pool_prefix;

typedef struct pool {
    pool_prefix *v;
    size_t n;
    size_t cap;
} pool;

/* Add "a.b.c.d[/len]" or "x::y[/len]". Returns 0, -1 with err. */
int pool_add(pool *p, const char *text, char *err, size_t errlen);

/*
 * Add every non-empty, non-comment line of a file. A Postfix cidr table line
 * ("199.89.0.0/21 OK") is accepted: only the first field is read.
 */
int pool_add_file(pool *p, const char *path, char *err, size_t errlen);

/* Write a random address of the pool as text; family is 4 or 6. */
void pool_draw(const pool *p, uint64_t r1, uint64_t r2, char *buf,
               size_t buflen, int *family);

void pool_free(pool *p);

/* SplitMix64: a stateless mix, so session i always gets the same draws. */
uint64_t pool_mix(uint64_t x);

#endif
