/*
 * Short-lived TURN credentials, the TURN REST API convention that coturn
 * checks with use-auth-secret (pure): username "expiry:userId" (expiry in
 * Unix seconds), credential base64(HMAC-SHA1(secret, username)). oicall
 * hands them to clients as WebRTC iceServers, so that no app carries a
 * TURN password of its own.
 */
#ifndef OICALL_ICE_SERVERS_H
#define OICALL_ICE_SERVERS_H

#include <glib.h>
#include <jansson.h>

/* The credential for a username (g_free). */
char *oicall_turn_credential(const char *secret, const char *username);

/* [{ urls: [..], username, credential }] for a user, valid until now +
 * lifetime seconds; NULL when TURN is off (no secret or no URLs). urls is
 * the setting: comma-separated turn:/turns: URLs. */
json_t *oicall_ice_servers(const char *secret, const char *urls, guint64 lifetime, const char *user_id, gint64 now);

/* The turn.urls setting: empty, or comma-separated "turn:HOST[:PORT][?transport=udp|tcp]"
 * and "turns:HOST[:PORT][?transport=tcp]" without repeats. */
gboolean oicall_turn_urls_valid(const char *value, const char **why);

#endif
