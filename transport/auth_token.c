#include "auth_token.h"

#include <string.h>

static char *signature(const char *secret, const char *data, gsize len) {
	GHmac *hmac = g_hmac_new(G_CHECKSUM_SHA256, (const guchar *)secret, strlen(secret));
	g_hmac_update(hmac, (const guchar *)data, (gssize)len);
	char *hex = g_strdup(g_hmac_get_string(hmac));
	g_hmac_unref(hmac);
	return hex;
}

gboolean sio_auth_equal(const char *a, const char *b) {
	gsize la = strlen(a), lb = strlen(b);
	/* Every byte of the longer one is looked at; lengths differing is not a secret. */
	guchar diff = la != lb;
	gsize n = MAX(la, lb);
	for(gsize i = 0; i < n; i++)
		diff |= (guchar)(i < la ? a[i] : 0) ^ (guchar)(i < lb ? b[i] : 0);
	return diff == 0;
}

char *sio_auth_sign(const char *secret, const char *user, gint64 expiry) {
	char *payload = g_strdup_printf("%s:%" G_GINT64_FORMAT, user, expiry);
	char *sig = signature(secret, payload, strlen(payload));
	char *token = g_strdup_printf("%s:%s", payload, sig);
	g_free(payload);
	g_free(sig);
	return token;
}

sio_auth_result sio_auth_verify(const char *secret, const char *token, gint64 now, char **user) {
	*user = NULL;
	if(token == NULL || strlen(token) > SIO_AUTH_MAX_TOKEN_LEN)
		return SIO_AUTH_MALFORMED;
	/* The user id may hold ':' itself: expiry and signature are the last two fields. */
	const char *sig = strrchr(token, ':');
	if(sig == NULL || sig == token)
		return SIO_AUTH_MALFORMED;
	const char *exp = sig - 1;
	while(exp > token && *exp != ':')
		exp--;
	if(exp == token || exp + 1 == sig)
		return SIO_AUTH_MALFORMED;
	for(const char *c = exp + 1; c < sig; c++) {
		if(!g_ascii_isdigit(*c))
			return SIO_AUTH_MALFORMED;
	}
	if(sig - exp - 1 > 12)
		return SIO_AUTH_MALFORMED;
	gsize signed_len = (gsize)(sig - token);
	char *expected = signature(secret, token, signed_len);
	gboolean valid = sio_auth_equal(expected, sig + 1);
	g_free(expected);
	if(!valid)
		return SIO_AUTH_BAD_SIGNATURE;
	gint64 expiry = g_ascii_strtoll(exp + 1, NULL, 10);
	if(expiry <= now)
		return SIO_AUTH_EXPIRED;
	*user = g_strndup(token, (gsize)(exp - token));
	return SIO_AUTH_OK;
}

const char *sio_auth_message(sio_auth_result result) {
	switch(result) {
		case SIO_AUTH_OK:
			return "ok";
		case SIO_AUTH_MALFORMED:
			return "Invalid token: expected userId:expiry:signature";
		case SIO_AUTH_BAD_SIGNATURE:
			return "Invalid token: bad signature";
		case SIO_AUTH_EXPIRED:
			return "Token expired";
	}
	return "Invalid token";
}
