/*
 * How often a user may place calls: at most so many start-calls a minute,
 * and no more calls to someone who left the last few unanswered (declined,
 * rang out, or was hung up on while ringing) within a window. A callee
 * ringing is busy for everyone else, so without the second rule one caller
 * could keep a user unreachable by ringing them again and again. Pure
 * logic, driven by the call engine with its clock.
 */
#ifndef OICALL_CALL_LIMITS_H
#define OICALL_CALL_LIMITS_H

#include <glib.h>

typedef struct oicall_call_limits oicall_call_limits;

/* starts_per_minute, unanswered_max: 0 = no such limit. */
oicall_call_limits *oicall_call_limits_new(guint starts_per_minute, guint unanswered_max, gint64 unanswered_window_us);
void oicall_call_limits_free(oicall_call_limits *limits);

/* Whether caller may call (or invite) these users now: NULL, counting one
 * start whatever their number, or why not. callees ends with NULL. */
const char *oicall_call_limits_start(oicall_call_limits *limits, const char *caller, char *const *callees, gint64 now);

/* A call from caller to callee ended: answered, or not (it rang and ended). */
void oicall_call_limits_ended(oicall_call_limits *limits, const char *caller, const char *callee, gboolean answered,
	gint64 now);

/* Forgets what no longer counts (call now and then). */
void oicall_call_limits_prune(oicall_call_limits *limits, gint64 now);

#endif
