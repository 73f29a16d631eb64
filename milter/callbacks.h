/*
 * callbacks.h - the libmilter callbacks: negotiate, connect, MAIL, RCPT,
 * abort and close, applying the core policy to one SMTP session.
 */
#ifndef LOCKDOWN_MILTER_CALLBACKS_H
#define LOCKDOWN_MILTER_CALLBACKS_H

#include <libmilter/mfapi.h>

/* The filter description for smfi_register(). */
struct smfiDesc callbacks_desc(void);

#endif
