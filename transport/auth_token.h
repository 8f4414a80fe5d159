/*
 * Signed tokens that prove a user id (pure). A token is
 * "userId:expiry:signature": expiry in Unix seconds, signature the
 * lowercase hex HMAC-SHA256 of "userId:expiry" under the shared secret.
 * The OIChat backend mints them; the Socket.IO transport checks the one in
 * the CONNECT auth payload ({ token }).
 */
#ifndef SIO_AUTH_TOKEN_H
#define SIO_AUTH_TOKEN_H

#include <glib.h>

#define SIO_AUTH_MAX_TOKEN_LEN 512
#define SIO_AUTH_MIN_SECRET_LEN 16

typedef enum sio_auth_result {
	SIO_AUTH_OK,
	SIO_AUTH_MALFORMED,     /* not userId:expiry:signature */
	SIO_AUTH_BAD_SIGNATURE,
	SIO_AUTH_EXPIRED,
} sio_auth_result;

/* Checks a token at time now (Unix seconds); on success *user gets the
 * user id (g_free). The signature is compared in constant time. */
sio_auth_result sio_auth_verify(const char *secret, const char *token, gint64 now, char **user);

/* Makes a token (for tests and tools). */
char *sio_auth_sign(const char *secret, const char *user, gint64 expiry);

/* A message for a failed check, for CONNECT_ERROR. */
const char *sio_auth_message(sio_auth_result result);

/* Whether two strings are equal, taking the same time whatever their contents. */
gboolean sio_auth_equal(const char *a, const char *b);

#endif
