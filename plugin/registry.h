/*
 * Who is online: user ids bound to the plugin sessions (Janus handles)
 * that registered them (pure). A user id is a string or a number in JSON
 * and is compared as a string: 42 and "42" are the same user. A newer
 * session of a user takes over from the older one.
 */
#ifndef OICALL_REGISTRY_H
#define OICALL_REGISTRY_H

#include <glib.h>
#include <jansson.h>

#define OICALL_MAX_USER_ID_LEN 128

typedef struct oicall_registry oicall_registry;

oicall_registry *oicall_registry_new(void);
void oicall_registry_free(oicall_registry *registry);

/* The canonical string of a JSON user id (g_free), or NULL with *error set
 * to what is wrong with it, worded to follow the field's name. */
char *oicall_user_id_from_json(json_t *value, const char **error);

/* Binds user to session. Returns the session it took over from (0 if none). */
guint64 oicall_registry_bind(oicall_registry *registry, const char *user, guint64 session);

/* The user a session registered, NULL if none (even when it was taken over:
 * a session stays its user's until it goes or registers someone else). */
const char *oicall_registry_user_of(oicall_registry *registry, guint64 session);

/* The user's current session, 0 when offline. */
guint64 oicall_registry_session_of(oicall_registry *registry, const char *user);

/* The session is gone. Returns TRUE when it was its user's current session
 * (the user is now offline). */
gboolean oicall_registry_unbind(oicall_registry *registry, guint64 session);

/* Online users and their sessions: a list of (const char *user) in user order. */
GList *oicall_registry_online(oicall_registry *registry);

guint oicall_registry_count(oicall_registry *registry);

#endif
