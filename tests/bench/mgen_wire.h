/*
 * mgen_wire.h - the MTA side of the milter wire protocol (version 6):
 * framing, bounded buffered reads, deadlines, option negotiation.
 *
 * Every packet is a 4-byte big-endian length (command byte included), the
 * command byte and its data (libmilter/mfdef.h). Sockets block with kernel
 * timeouts (SO_RCVTIMEO/SO_SNDTIMEO, set by mw_connect) and reads and writes
 * also check an absolute CLOCK_MONOTONIC deadline in nanoseconds, so nothing
 * here can wait forever.
 */
#ifndef MGEN_WIRE_H
#define MGEN_WIRE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

/* Largest reply accepted: the data limit libmilter can negotiate (1M). */
#define MW_MAX_PACKET (1024 * 1024)
/* Our own commands (macros, MAIL, RCPT) stay far below this. */
#define MW_WBUF 8192
#define MW_RBUF 4096
/* Macro stages a milter can ask for with smfi_setsymlist (SMFIM_*). */
#define MW_STAGES 7
#define MW_SYMLIST_MAX 1024

enum mw_status {
    MW_OK = 0,
    MW_TIMEOUT,  /* the deadline passed */
    MW_EOF,      /* the milter closed the connection */
    MW_IOERR,    /* a socket error (errno kept in mw_conn.err) */
    MW_PROTO,    /* malformed or oversized packet */
    MW_REFUSED,  /* connect() refused or socket missing */
};

typedef struct mw_addr {
    struct sockaddr_storage sa;
    socklen_t len;
} mw_addr;

typedef struct mw_conn {
    int fd;
    int err; /* errno of the last MW_IOERR / MW_REFUSED */
    uint8_t rbuf[MW_RBUF];
    size_t rlen;
    size_t roff;
    uint8_t *big; /* heap buffer for a packet larger than rbuf */
    uint8_t wbuf[MW_WBUF];
    size_t wlen;
    int woverflow; /* a put did not fit: the flush fails */
} mw_conn;

/* What the milter answered to SMFIC_OPTNEG. */
typedef struct mw_optneg {
    uint32_t version;
    uint32_t actions;
    uint32_t protocol;
    /* Space-separated macro names per SMFIM_* stage; "" when not asked. */
    char symlist[MW_STAGES][MW_SYMLIST_MAX];
    int has_symlist[MW_STAGES];
} mw_optneg;

int64_t mw_now_ns(void);

/*
 * Parse a milter socket spec: "unix:/path", "local:/path", "/path",
 * "inet:PORT@HOST" (libmilter), "inet:HOST:PORT" (Postfix), "inet6:PORT@HOST".
 * HOST must be loopback (127.0.0.0/8 or ::1). Returns 0, or -1 with err.
 */
int mw_addr_parse(const char *spec, mw_addr *out, char *err, size_t errlen);

void mw_init(mw_conn *c);
/* Connect; every later send and recv waits at most timeout_ms. */
int mw_connect(mw_conn *c, const mw_addr *a, int timeout_ms);
void mw_close(mw_conn *c);

/* Append a packet to the write buffer. */
void mw_put(mw_conn *c, char cmd, const void *data, size_t len);
/* Append an SMFIC_MACRO packet: stage command + name\0value\0 pairs. */
void mw_put_macros(mw_conn *c, char stage, const char *const *names,
                   const char *const *values, size_t n);
/* Write the buffer out. */
int mw_flush(mw_conn *c, int64_t deadline);

/*
 * Read one packet. *data points into the connection's buffer and stays
 * valid until the next read. *len is the data length (command excluded).
 */
int mw_read(mw_conn *c, int64_t deadline, char *cmd, const uint8_t **data,
            size_t *len);

/* Is there an EOF or data waiting (used for idle sessions)? No wait. */
int mw_peer_gone(mw_conn *c);

/* Parse the data of an SMFIC_OPTNEG reply. Returns 0 or -1 with err. */
int mw_optneg_parse(const uint8_t *data, size_t len, mw_optneg *out,
                    char *err, size_t errlen);

const char *mw_status_name(int st);

#endif
