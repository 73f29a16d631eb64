/*
 * reason.c - the one name table of enum ld_reason (see reason.h).
 */
#include <stddef.h>
#include <string.h>

#include "reason.h"

static const char *const reason_names[LD_REASON_COUNT] = {
    [LD_REASON_NONE] = "-",
    [LD_REASON_PORT_NOT_LOCKED] = "port-not-locked",
    [LD_REASON_UNKNOWN_CLIENT] = "unknown-client",
    [LD_REASON_PROVIDER] = "provider",
    [LD_REASON_TRUSTED] = "trusted",
    [LD_REASON_NOT_LISTED] = "not-listed",
    [LD_REASON_DEFERRED] = "deferred",
    [LD_REASON_AUTHENTICATED] = "authenticated",
    [LD_REASON_LOCAL_RECIPIENT] = "local-recipient",
    [LD_REASON_RELAY_ALLOWED] = "relay-allowed",
    [LD_REASON_RELAY_DENIED] = "relay-denied",
    [LD_REASON_RELAY_NOT_JUDGED] = "relay-not-judged",
    [LD_REASON_PROVIDER_NAME_UNLISTED] = "provider-name-unlisted",
    [LD_REASON_DOMAIN_NOT_LOCKED] = "domain-not-locked",
    [LD_REASON_TLS_NAME] = "tls-name",
    [LD_REASON_TLS_REQUIRED] = "tls-required",
    [LD_REASON_STAGES_UNKNOWN] = "stages-unknown",
    [LD_REASON_INTERNAL_ERROR] = "internal-error",
};

const char *reason_name(enum ld_reason r)
{
    if ((unsigned)r >= LD_REASON_COUNT || reason_names[r] == NULL) {
        return reason_names[LD_REASON_NONE];
    }
    return reason_names[r];
}

/* Only tests and tools parse names; the daemon never does. */
enum ld_reason reason_from_name(const char *name)
{
    size_t i;

    if (name == NULL) {
        return LD_REASON_NONE;
    }
    for (i = 1; i < LD_REASON_COUNT; i++) {
        if (reason_names[i] != NULL && strcmp(reason_names[i], name) == 0) {
            return (enum ld_reason)i;
        }
    }
    return LD_REASON_NONE;
}
