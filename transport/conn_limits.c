#include "conn_limits.h"

#include <string.h>

#define JANUS_OWN_FDS 128
#define FDS_PER_SESSION 8
#define MIN_SESSIONS 16

struct sio_limits {
	guint max_sessions, max_per_address;
	guint sessions, tcp;
	GHashTable *sessions_by_address;    /* address → count (GUINT_TO_POINTER) */
	GHashTable *tcp_by_address;
	GHashTable *trusted;                /* set of proxy addresses */
};

sio_limits *sio_limits_new(guint max_sessions, guint max_per_address, const char *trusted_proxies) {
	sio_limits *limits = g_new0(sio_limits, 1);
	limits->max_sessions = MAX(max_sessions, 1);
	limits->max_per_address = max_per_address;
	limits->sessions_by_address = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	limits->tcp_by_address = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	limits->trusted = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	char **proxies = g_strsplit(trusted_proxies != NULL ? trusted_proxies : "", ",", -1);
	for(guint i = 0; proxies[i] != NULL; i++) {
		const char *proxy = g_strstrip(proxies[i]);
		if(*proxy != '\0')
			g_hash_table_add(limits->trusted, g_strdup(proxy));
	}
	g_strfreev(proxies);
	return limits;
}

void sio_limits_free(sio_limits *limits) {
	if(limits == NULL)
		return;
	g_hash_table_destroy(limits->sessions_by_address);
	g_hash_table_destroy(limits->tcp_by_address);
	g_hash_table_destroy(limits->trusted);
	g_free(limits);
}

guint sio_limits_default_sessions(guint64 nofile) {
	guint64 sessions = nofile > JANUS_OWN_FDS ? (nofile - JANUS_OWN_FDS) / FDS_PER_SESSION : 0;
	return (guint)CLAMP(sessions, MIN_SESSIONS, G_MAXINT);
}

static guint count_of(GHashTable *table, const char *address) {
	return GPOINTER_TO_UINT(g_hash_table_lookup(table, address));
}

static void add(GHashTable *table, const char *address, int delta) {
	guint now = count_of(table, address);
	if(delta < 0 && now <= 1)
		g_hash_table_remove(table, address);
	else if(delta < 0)
		g_hash_table_insert(table, g_strdup(address), GUINT_TO_POINTER(now - 1));
	else
		g_hash_table_insert(table, g_strdup(address), GUINT_TO_POINTER(now + 1));
}

sio_limit sio_limits_tcp_open(sio_limits *limits, const char *peer) {
	/* A polling session holds two connections at times (GET and POST). */
	if(limits->tcp >= 2 * limits->max_sessions)
		return SIO_LIMIT_TOTAL;
	if(limits->max_per_address > 0 && !g_hash_table_contains(limits->trusted, peer) &&
			count_of(limits->tcp_by_address, peer) >= 2 * limits->max_per_address)
		return SIO_LIMIT_ADDRESS;
	limits->tcp++;
	add(limits->tcp_by_address, peer, 1);
	return SIO_LIMIT_OK;
}

void sio_limits_tcp_close(sio_limits *limits, const char *peer) {
	if(limits->tcp > 0)
		limits->tcp--;
	add(limits->tcp_by_address, peer, -1);
}

sio_limit sio_limits_session_check(const sio_limits *limits, const char *address) {
	if(limits->sessions >= limits->max_sessions)
		return SIO_LIMIT_TOTAL;
	/* A trusted proxy that named no client speaks for many: only the total applies. */
	if(limits->max_per_address > 0 && !g_hash_table_contains(limits->trusted, address) &&
			count_of(limits->sessions_by_address, address) >= limits->max_per_address)
		return SIO_LIMIT_ADDRESS;
	return SIO_LIMIT_OK;
}

sio_limit sio_limits_session_open(sio_limits *limits, const char *address) {
	sio_limit result = sio_limits_session_check(limits, address);
	if(result == SIO_LIMIT_OK) {
		limits->sessions++;
		add(limits->sessions_by_address, address, 1);
	}
	return result;
}

void sio_limits_session_close(sio_limits *limits, const char *address) {
	if(limits->sessions > 0)
		limits->sessions--;
	add(limits->sessions_by_address, address, -1);
}

guint sio_limits_sessions(const sio_limits *limits) {
	return limits->sessions;
}

guint sio_limits_max_sessions(const sio_limits *limits) {
	return limits->max_sessions;
}

char *sio_limits_client_address(const sio_limits *limits, const char *peer, const char *forwarded_for) {
	if(forwarded_for == NULL || !g_hash_table_contains(limits->trusted, peer))
		return g_strdup(peer);
	/* Right to left: each trusted proxy vouches for the hop before it. */
	char **hops = g_strsplit(forwarded_for, ",", -1);
	char *client = g_strdup(peer);
	for(gint i = (gint)g_strv_length(hops) - 1; i >= 0; i--) {
		const char *hop = g_strstrip(hops[i]);
		if(*hop == '\0' || strlen(hop) > 64)
			break;
		g_free(client);
		client = g_strdup(hop);
		if(!g_hash_table_contains(limits->trusted, hop))
			break;
	}
	g_strfreev(hops);
	return client;
}
