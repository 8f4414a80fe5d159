#include "sio_stats.h"

#include <string.h>

#include "../common/prom.h"

#define MAX_LABEL 64

struct sio_ack_stats {
	GHashTable *counts;         /* "event\x1ferror" → guint64 * */
};

sio_ack_stats *sio_ack_stats_new(void) {
	sio_ack_stats *acks = g_new0(sio_ack_stats, 1);
	acks->counts = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	return acks;
}

void sio_ack_stats_free(sio_ack_stats *acks) {
	if(acks == NULL)
		return;
	g_hash_table_destroy(acks->counts);
	g_free(acks);
}

/* An event name as a client sent it, if it looks like one. */
static gboolean event_name_ok(const char *event) {
	gsize len = event ? strlen(event) : 0;
	if(len == 0 || len > 32)
		return FALSE;
	for(const char *c = event; *c; c++) {
		if(!g_ascii_isalnum(*c) && strchr("-_.:", *c) == NULL)
			return FALSE;
	}
	return TRUE;
}

/* An error's kind: its words before any ':' detail ("Invalid offer: …"), bounded. */
static char *error_kind(const char *error) {
	gsize len = strcspn(error, ":\n");
	char *kind = g_strndup(error, MIN(len, MAX_LABEL));
	/* Cut on a character boundary. */
	const char *end = NULL;
	if(!g_utf8_validate(kind, -1, &end))
		kind[end - kind] = '\0';
	return kind;
}

void sio_ack_stats_add(sio_ack_stats *acks, const char *event, const char *error) {
	char *kind = error ? error_kind(error) : g_strdup("");
	char *key = g_strdup_printf("%s\x1f%s", event_name_ok(event) ? event : "other", kind);
	g_free(kind);
	if(!g_hash_table_contains(acks->counts, key) && g_hash_table_size(acks->counts) >= SIO_ACK_STATS_MAX) {
		g_free(key);
		key = g_strdup_printf("other\x1f%s", error ? "other" : "");
	}
	guint64 *count = g_hash_table_lookup(acks->counts, key);
	if(count == NULL) {
		count = g_new0(guint64, 1);
		g_hash_table_insert(acks->counts, key, count);
	} else {
		g_free(key);
	}
	(*count)++;
}

static json_t *single(const char *name, const char *type, const char *help, double value) {
	json_t *family = oicall_prom_family(name, type, help);
	oicall_prom_sample(family, value, NULL);
	return family;
}

static json_t *in_out(const char *name, const char *help, gint64 in, gint64 out) {
	json_t *family = oicall_prom_family(name, "counter", help);
	oicall_prom_sample(family, (double)in, "direction", "in", NULL);
	oicall_prom_sample(family, (double)out, "direction", "out", NULL);
	return family;
}

static json_t *ack_family(const sio_ack_stats *acks) {
	json_t *family = oicall_prom_family("oicall_socketio_acks_total", "counter",
		"Acks sent to Socket.IO clients, by event and error (\"\" for a success).");
	GList *keys = g_list_sort(g_hash_table_get_keys(acks->counts), (GCompareFunc)strcmp);
	for(GList *l = keys; l != NULL; l = l->next) {
		char **parts = g_strsplit(l->data, "\x1f", 2);
		guint64 *count = g_hash_table_lookup(acks->counts, l->data);
		oicall_prom_sample(family, (double)*count, "event", parts[0], "error", parts[1], NULL);
		g_strfreev(parts);
	}
	g_list_free(keys);
	return family;
}

json_t *sio_stats_families(const sio_server_stats *s, const sio_ack_stats *acks) {
	json_t *families = json_array();
	json_t *sockets = oicall_prom_family("oicall_socketio_sockets", "gauge", "Engine.IO sessions now, by transport.");
	oicall_prom_sample(sockets, s->polling, "transport", "polling", NULL);
	oicall_prom_sample(sockets, s->websocket, "transport", "websocket", NULL);
	json_array_append_new(families, sockets);
	json_array_append_new(families, single("oicall_socketio_janus_sessions", "gauge",
		"Janus sessions behind Socket.IO sockets now.", s->sessions));
	json_array_append_new(families, single("oicall_socketio_connections_total", "counter",
		"Engine.IO sessions opened.", (double)s->connections));
	json_array_append_new(families, single("oicall_socketio_rejected_handshakes_total", "counter",
		"Handshakes refused: bad origin, method or token, or over the connection limits.", (double)s->rejected_handshakes));
	json_array_append_new(families, single("oicall_socketio_refused_connections_total", "counter",
		"TCP connections and sessions refused by the connection limits.", (double)s->refused_connections));
	json_array_append_new(families, single("oicall_socketio_max_connections", "gauge",
		"Engine.IO sessions the transport admits in all.", s->max_connections));
	json_array_append_new(families, in_out("oicall_socketio_messages_total", "Engine.IO messages.",
		s->messages_in, s->messages_out));
	json_array_append_new(families, in_out("oicall_socketio_bytes_total", "Bytes of HTTP and WebSocket traffic.",
		s->bytes_in, s->bytes_out));
	json_array_append_new(families, in_out("oicall_socketio_events_total", "Socket.IO events (out: events the server emits).",
		s->events_in, s->events_out));
	json_array_append_new(families, ack_family(acks));
	return families;
}
