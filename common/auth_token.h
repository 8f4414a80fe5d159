/*
 * Signed tokens that prove a user id (pure). A token is
 * "userId:expiry:signature": expiry in Unix seconds, signature the
 * lowercase hex HMAC-SHA256 of "userId:expiry" under the shared secret.
 * The OIChat backend mints them. The Socket.IO transport checks the one in
 * the CONNECT auth payload ({ token }); the plugin checks the one that comes
 * with register, whichever Janus transport brought it.
 */
#ifndef OICALL_AUTH_TOKEN_H
#define OICALL_AUTH_TOKEN_H

#include <glib.h>

#define OICALL_AUTH_MAX_TOKEN_LEN 512
#define OICALL_AUTH_MIN_SECRET_LEN 16

typedef enum oicall_auth_result {
	OICALL_AUTH_OK,
	OICALL_AUTH_MALFORMED,     /* not userId:expiry:signature */
	OICALL_AUTH_BAD_SIGNATURE,
	OICALL_AUTH_EXPIRED,
} oicall_auth_result;

/* Checks a token at time now (Unix seconds); on success *user gets the
 * user id (g_free). The signature is compared in constant time. */
oicall_auth_result oicall_auth_verify(const char *secret, const char *token, gint64 now, char **user);

/* Makes a token (for tests and tools). */
char *oicall_auth_sign(const char *secret, const char *user, gint64 expiry);

/* A message for a failed check, for CONNECT_ERROR. */
const char *oicall_auth_message(oicall_auth_result result);

/* auth.enabled: "true", "false", or "auto" (the default): on whenever a
 * secret is configured, so that setting a secret is never silently ignored. */
gboolean oicall_auth_mode_valid(const char *value, const char **why);
gboolean oicall_auth_wanted(const char *mode, const char *secret);

/* A setting check for a shared secret: empty, or long enough. */
gboolean oicall_auth_secret_valid(const char *value, const char **why);

/* The secret to check tokens with when authentication is on (g_free): the
 * configured one, or, when that is too short, a random one nobody knows,
 * so that every token is refused (fail closed). */
char *oicall_auth_secret_in_force(const char *configured);

/* Whether two strings are equal, taking the same time whatever their contents. */
gboolean oicall_auth_equal(const char *a, const char *b);

#endif
