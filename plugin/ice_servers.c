#include "ice_servers.h"

#include <stdlib.h>
#include <string.h>

char *oicall_turn_credential(const char *secret, const char *username) {
	GHmac *hmac = g_hmac_new(G_CHECKSUM_SHA1, (const guchar *)secret, strlen(secret));
	g_hmac_update(hmac, (const guchar *)username, -1);
	guint8 digest[20];
	gsize length = sizeof(digest);
	g_hmac_get_digest(hmac, digest, &length);
	g_hmac_unref(hmac);
	return g_base64_encode(digest, length);
}

/* The URLs of the setting, trimmed, empty ones left out (g_strfreev). */
static char **split_urls(const char *value) {
	char **parts = g_strsplit(value, ",", -1);
	guint kept = 0;
	for(guint i = 0; parts[i] != NULL; i++) {
		g_strstrip(parts[i]);
		if(parts[i][0] == '\0')
			g_free(parts[i]);
		else
			parts[kept++] = parts[i];
	}
	parts[kept] = NULL;
	return parts;
}

json_t *oicall_ice_servers(const char *secret, const char *urls, guint64 lifetime, const char *user_id, gint64 now) {
	if(secret == NULL || secret[0] == '\0' || urls == NULL || user_id == NULL)
		return NULL;
	char **list = split_urls(urls);
	if(list[0] == NULL) {
		g_strfreev(list);
		return NULL;
	}
	json_t *array = json_array();
	for(guint i = 0; list[i] != NULL; i++)
		json_array_append_new(array, json_string(list[i]));
	g_strfreev(list);
	char *username = g_strdup_printf("%" G_GINT64_FORMAT ":%s", now + (gint64)lifetime, user_id);
	char *credential = oicall_turn_credential(secret, username);
	json_t *servers = json_pack("[{sossss}]", "urls", array, "username", username, "credential", credential);
	g_free(username);
	g_free(credential);
	return servers;
}

/* One URL: scheme, a host, maybe a port, maybe the transport. */
static gboolean url_valid(const char *url) {
	gboolean secure = g_str_has_prefix(url, "turns:");
	if(!secure && !g_str_has_prefix(url, "turn:"))
		return FALSE;
	const char *host = url + (secure ? 6 : 5);
	const char *query = strchr(host, '?');
	if(query != NULL && strcmp(query, "?transport=tcp") != 0 && (secure || strcmp(query, "?transport=udp") != 0))
		return FALSE;
	char *authority = g_strndup(host, query ? (gsize)(query - host) : strlen(host));
	/* An IPv6 literal is bracketed: its colons are not the port's. */
	const char *end = authority[0] == '[' ? strchr(authority, ']') : NULL;
	const char *colon = strrchr(end ? end : authority, ':');
	gboolean ok = authority[0] != '\0' && (authority[0] != '[' || end != NULL) &&
		strpbrk(authority, " /@") == NULL && colon != authority;
	if(ok && colon != NULL) {
		char *rest = NULL;
		guint64 port = g_ascii_strtoull(colon + 1, &rest, 10);
		ok = g_ascii_isdigit(colon[1]) && *rest == '\0' && port >= 1 && port <= 65535;
	}
	g_free(authority);
	return ok;
}

gboolean oicall_turn_urls_valid(const char *value, const char **why) {
	char **list = split_urls(value);
	gboolean ok = TRUE;
	for(guint i = 0; ok && list[i] != NULL; i++) {
		ok = url_valid(list[i]);
		for(guint j = 0; ok && j < i; j++)
			ok = strcmp(list[i], list[j]) != 0;
	}
	g_strfreev(list);
	if(!ok)
		*why = "is not a comma-separated list of turn:HOST[:PORT][?transport=udp|tcp] and "
			"turns:HOST[:PORT][?transport=tcp] URLs without repeats";
	return ok;
}
