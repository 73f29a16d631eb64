/*
 * export_addrs.c - the client addresses the export tests ask every format
 * and `lockdownctl check` about: the edges of every range of every entry
 * (enabled or not: a disabled profile's edges must be refused), IPv4 and
 * IPv6, then NRANDOM seeded random addresses, half of them near a range so
 * that they land inside, beside and between the configured blocks.
 *
 *   export_addrs CONFIG SEED NRANDOM   one address per line on stdout
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sysexits.h>

#include "addr.h"
#include "config.h"

/* splitmix64: small, seedable, the same on every machine. */
static uint64_t rng_next(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);

    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static unsigned width_bytes(uint8_t family)
{
    return family == AF_INET ? 4 : 16;
}

static void print_addr(uint8_t family, const uint8_t *bytes)
{
    char buf[LD_ADDRSTRLEN];
    ld_addr a;

    memset(&a, 0, sizeof(a));
    a.family = family;
    memcpy(a.bytes, bytes, width_bytes(family));
    puts(addr_format(&a, buf, sizeof(buf)));
}

/* b += delta (+1 or -1); false when it wraps around. */
static bool addr_step(uint8_t family, uint8_t *b, int delta)
{
    int i;

    for (i = (int)width_bytes(family) - 1; i >= 0; i--) {
        if (delta > 0) {
            if (++b[i] != 0) {
                return true;
            }
        } else {
            if (b[i]-- != 0) {
                return true;
            }
        }
    }
    return false;
}

static void print_near(uint8_t family, const uint8_t *at, int delta)
{
    uint8_t b[16];

    memcpy(b, at, sizeof(b));
    if (delta == 0 || addr_step(family, b, delta)) {
        print_addr(family, b);
    }
}

static int edges_cb(const ld_prefix *p, void *arg)
{
    ld_range r;

    (void)arg;
    range_from_prefix(p, &r);
    print_near(r.family, r.lo, -1);
    print_near(r.family, r.lo, 0);
    print_near(r.family, r.lo, 1);
    print_near(r.family, r.hi, -1);
    print_near(r.family, r.hi, 0);
    print_near(r.family, r.hi, 1);
    return 0;
}

/* Leading bits lo and hi share. */
static unsigned common_bits(const ld_range *r)
{
    unsigned n = 0;
    unsigned i;
    int bit;

    for (i = 0; i < width_bytes(r->family); i++) {
        uint8_t x = r->lo[i] ^ r->hi[i];

        if (x == 0) {
            n += 8;
            continue;
        }
        for (bit = 7; bit >= 0 && !(x & (1u << bit)); bit--) {
            n++;
        }
        break;
    }
    return n;
}

/* An address in the block 2, 4 or 8 times the range's enclosing prefix:
 * inside it half, a quarter or an eighth of the time. */
static void print_random_near(const ld_range *r, uint64_t *s)
{
    unsigned keep = common_bits(r);
    unsigned widen = 1 + (unsigned)(rng_next(s) % 3);
    uint8_t b[16];
    unsigned i;

    keep = keep > widen ? keep - widen : 0;
    for (i = 0; i < 16; i++) {
        b[i] = (uint8_t)rng_next(s);
    }
    for (i = 0; i < keep; i++) {
        unsigned byte = i / 8;
        uint8_t mask = (uint8_t)(0x80u >> (i % 8));

        b[byte] = (uint8_t)((b[byte] & ~mask) | (r->lo[byte] & mask));
    }
    print_addr(r->family, b);
}

int main(int argc, char **argv)
{
    char err[LD_ERRLEN];
    ld_config *c = NULL;
    const ld_range **all = NULL;
    size_t nall = 0;
    uint64_t seed;
    long nrandom;
    long k;
    size_t i;
    size_t j;
    int rc = EX_SOFTWARE;

    if (argc != 4) {
        fprintf(stderr, "usage: export_addrs CONFIG SEED NRANDOM\n");
        return EX_USAGE;
    }
    seed = strtoull(argv[2], NULL, 10);
    nrandom = strtol(argv[3], NULL, 10);
    c = config_load_file(argv[1], err, sizeof(err));
    if (c == NULL) {
        fprintf(stderr, "export_addrs: %s\n", err);
        return EX_CONFIG;
    }
    for (i = 0; i < c->nentries; i++) {
        nall += c->entries[i].nranges;
    }
    all = calloc(nall + 1, sizeof(*all));
    if (all == NULL) {
        goto out;
    }
    nall = 0;
    for (i = 0; i < c->nentries; i++) {
        for (j = 0; j < c->entries[i].nranges; j++) {
            all[nall++] = &c->entries[i].ranges[j];
            range_to_prefixes(&c->entries[i].ranges[j], edges_cb, NULL);
        }
    }
    for (k = 0; k < nrandom; k++) {
        uint64_t pick = rng_next(&seed) % 10;
        uint8_t b[16];

        for (i = 0; i < 16; i++) {
            b[i] = (uint8_t)rng_next(&seed);
        }
        if (pick < 4 || nall == 0) {
            print_addr(AF_INET, b);
        } else if (pick == 4) {
            print_addr(AF_INET6, b);
        } else {
            print_random_near(all[rng_next(&seed) % nall], &seed);
        }
    }
    rc = fflush(stdout) == 0 ? EX_OK : EX_IOERR;
out:
    free(all);
    config_free(c);
    return rc;
}
