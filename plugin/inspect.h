/* What the Admin API shows of the plugin: users, calls, sessions and their streams. */
#ifndef OICALL_INSPECT_H
#define OICALL_INSPECT_H

#include <jansson.h>

#include "call_engine.h"
#include "session.h"

/* A live session by engine id with a reference (caller drops it), or NULL. */
typedef oicall_session *(*oicall_session_lookup)(guint64 id);

/* Call these with the engine locked. */
json_t *oicall_inspect_users(oicall_engine *engine, oicall_session_lookup lookup);
json_t *oicall_inspect_calls(oicall_engine *engine, oicall_session_lookup lookup, gint64 now);
json_t *oicall_inspect_call(oicall_engine *engine, oicall_call *call, oicall_session_lookup lookup, gint64 now);
/* handle_info's plugin_specific for one session. */
json_t *oicall_inspect_session(oicall_engine *engine, oicall_session *session, gint64 now);

#endif
