/*
 * A JSON answer one thread hands another that waits for it, up to a
 * deadline (pure GLib). Both sides hold a reference, so whichever is done
 * first may go: the Admin API's thread waiting on the message thread, or
 * on the cluster's Redis thread.
 */
#ifndef OICALL_HANDOFF_H
#define OICALL_HANDOFF_H

#include <glib.h>
#include <jansson.h>

typedef struct oicall_handoff oicall_handoff;

/* With two references: the waiter's and the giver's. */
oicall_handoff *oicall_handoff_new(void);
void oicall_handoff_unref(oicall_handoff *handoff);
/* The giver's answer (taken); a second one is dropped. */
void oicall_handoff_give(oicall_handoff *handoff, json_t *answer);
/* Waits up to timeout_us for the answer: a new reference, or NULL when none
 * came in time. Drops the waiter's reference. */
json_t *oicall_handoff_wait(oicall_handoff *handoff, gint64 timeout_us);

#endif
