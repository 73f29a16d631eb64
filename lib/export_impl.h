/*
 * export_impl.h - what the export format writers share (private to lib/
 * export*.c): the write context, the collected prefixes, the header and
 * the refusal text every format carries. export.c holds the format table
 * and these shared helpers; each export_<format>.c holds one writer.
 */
#ifndef LOCKDOWN_EXPORT_IMPL_H
#define LOCKDOWN_EXPORT_IMPL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "addr.h"
#include "config.h"
#include "export.h"

/* One prefix of one range of one included entry. */
typedef struct export_item {
    ld_prefix p;
    uint32_t entry; /* index in c->entries, the addrset tag */
    uint32_t range; /* index in the entry's ranges */
} export_item;

typedef struct export_items {
    export_item *v;
    size_t n;
    size_t cap;
} export_items;

typedef struct export_ctx {
    FILE *out;
    const ld_config *c;
    const ld_export_opts *o;
    enum ld_export_format f;
    char *err;
    size_t errlen;
    uint16_t ports[LD_EXPORT_MAX_PORTS]; /* locked by a firewall */
    size_t nports;
    uint16_t cports[LD_EXPORT_MAX_PORTS]; /* scope.ports */
    size_t ncports;
} export_ctx;

/* A format writer: 0 or an ld_export_error with the message set. */
typedef int (*export_writer)(export_ctx *x);

/* The writers, one per format (export_<format>.c). */
int export_postfix_client(export_ctx *x);
int export_postfix_relay(export_ctx *x);
int export_sendmail(export_ctx *x);
int export_nftables(export_ctx *x);
int export_iptables(export_ctx *x);
int export_exchange(export_ctx *x);
int export_postfix_domains(export_ctx *x);

/* Does this export lock mail per recipient domain (scope.domains set and
 * not overridden by all_domains)? */
bool export_scoped(const export_ctx *x);

/* Sets x->err from fmt and returns rc. */
int export_fail(export_ctx *x, int rc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

bool export_entry_included(const ld_entry *e);
unsigned export_width(uint8_t family);

/* Config text into a comment, control bytes shown as '?'. */
void export_text(FILE *out, const char *s);
bool export_has_control(const char *s);
/* "provider mailroute" or "trusted loopback". */
void export_entry_label(FILE *out, const ld_entry *e);
/* A host address without "/32" or "/128", else the prefix. */
const char *export_prefix_text(const ld_prefix *p, char *buf, size_t buflen);

/* Every prefix of every included entry into it, in config order. */
int export_collect(export_ctx *x, export_items *it);

/* What a writer checks before it writes anything. */
enum export_need {
    EXPORT_NEED_REPLY = 1, /* refuse.reply goes into the table */
    EXPORT_NEED_PORTS = 2, /* a firewall: the locked ports are listed */
};

/* The checks in need (a set of enum export_need), then export_collect. */
int export_prepare(export_ctx *x, export_items *it, unsigned need);
/* qsort order: family (IPv4 first), longer prefix, address, entry. */
int export_item_specific_cmp(const void *pa, const void *pb);

/* x->ports (what a firewall locks) or x->cports (scope.ports), joined. */
void export_ports_list(export_ctx *x, const char *sep);
void export_cports_list(export_ctx *x, const char *sep);
int export_ports_require(export_ctx *x);

int export_reply_check(export_ctx *x);
/* The refusal: "550 5.7.1 text", or sendmail's "ERROR:5.7.1:550 text". */
void export_reply(export_ctx *x, bool sendmail);

/* The comment block every format starts with. */
void export_header(export_ctx *x, const char *title);

#endif
