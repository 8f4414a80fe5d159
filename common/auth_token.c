#include "auth_token.h"

#include <string.h>
#include <sys/random.h>

static char *signature(const char *secret, const char *data, gsize len) {
	GHmac *hmac = g_hmac_new(G_CHECKSUM_SHA256, (const guchar *)secret, strlen(secret));
	g_hmac_update(hmac, (const guchar *)data, (gssize)len);
	char *hex = g_strdup(g_hmac_get_string(hmac));
	g_hmac_unref(hmac);
	return hex;
}

gboolean oicall_auth_equal(const char *a, const char *b) {
	gsize la = strlen(a), lb = strlen(b);
	/* Every byte of the longer one is looked at; lengths differing is not a secret. */
	guchar diff = la != lb;
	gsize n = MAX(la, lb);
	for(gsize i = 0; i < n; i++)
		diff |= (guchar)(i < la ? a[i] : 0) ^ (guchar)(i < lb ? b[i] : 0);
	return diff == 0;
}

char *oicall_auth_sign(const char *secret, const char *user, gint64 expiry) {
	char *payload = g_strdup_printf("%s:%" G_GINT64_FORMAT, user, expiry);
	char *sig = signature(secret, payload, strlen(payload));
	char *token = g_strdup_printf("%s:%s", payload, sig);
	g_free(payload);
	g_free(sig);
	return token;
}

oicall_auth_result oicall_auth_verify(const char *secret, const char *token, gint64 now, char **user) {
	*user = NULL;
	if(token == NULL || strlen(token) > OICALL_AUTH_MAX_TOKEN_LEN)
		return OICALL_AUTH_MALFORMED;
	/* The user id may hold ':' itself: expiry and signature are the last two fields. */
	const char *sig = strrchr(token, ':');
	if(sig == NULL || sig == token)
		return OICALL_AUTH_MALFORMED;
	const char *exp = sig - 1;
	while(exp > token && *exp != ':')
		exp--;
	if(exp == token || exp + 1 == sig)
		return OICALL_AUTH_MALFORMED;
	for(const char *c = exp + 1; c < sig; c++) {
		if(!g_ascii_isdigit(*c))
			return OICALL_AUTH_MALFORMED;
	}
	if(sig - exp - 1 > 12)
		return OICALL_AUTH_MALFORMED;
	gsize signed_len = (gsize)(sig - token);
	char *expected = signature(secret, token, signed_len);
	gboolean valid = oicall_auth_equal(expected, sig + 1);
	g_free(expected);
	if(!valid)
		return OICALL_AUTH_BAD_SIGNATURE;
	gint64 expiry = g_ascii_strtoll(exp + 1, NULL, 10);
	if(expiry <= now)
		return OICALL_AUTH_EXPIRED;
	*user = g_strndup(token, (gsize)(exp - token));
	return OICALL_AUTH_OK;
}

gboolean oicall_auth_mode_valid(const char *value, const char **why) {
	gboolean ok = strcmp(value, "auto") == 0 || strcmp(value, "true") == 0 || strcmp(value, "false") == 0;
	if(!ok)
		*why = "is not true, false or auto";
	return ok;
}

gboolean oicall_auth_wanted(const char *mode, const char *secret) {
	return strcmp(mode, "true") == 0 || (strcmp(mode, "auto") == 0 && secret != NULL && secret[0] != '\0');
}

gboolean oicall_auth_secret_valid(const char *value, const char **why) {
	gboolean ok = value[0] == '\0' || strlen(value) >= OICALL_AUTH_MIN_SECRET_LEN;
	if(!ok)
		*why = "is shorter than 16 characters";
	return ok;
}

char *oicall_auth_secret_in_force(const char *configured) {
	if(strlen(configured) >= OICALL_AUTH_MIN_SECRET_LEN)
		return g_strdup(configured);
	guint32 words[8];
	if(getrandom(words, sizeof(words), 0) != (ssize_t)sizeof(words)) {
		for(gsize i = 0; i < G_N_ELEMENTS(words); i++)
			words[i] = g_random_int();
	}
	GString *random = g_string_new(NULL);
	for(gsize i = 0; i < G_N_ELEMENTS(words); i++)
		g_string_append_printf(random, "%08x", words[i]);
	return g_string_free(random, FALSE);
}

const char *oicall_auth_message(oicall_auth_result result) {
	switch(result) {
		case OICALL_AUTH_OK:
			return "ok";
		case OICALL_AUTH_MALFORMED:
			return "Invalid token: expected userId:expiry:signature";
		case OICALL_AUTH_BAD_SIGNATURE:
			return "Invalid token: bad signature";
		case OICALL_AUTH_EXPIRED:
			return "Token expired";
	}
	return "Invalid token";
}
