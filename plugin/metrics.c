#include "metrics.h"

#include <string.h>

#include <arpa/inet.h>
#include <janus/rtcp.h>
#include <janus/rtp.h>
#include <janus/utils.h>

#include "../common/prom.h"
#include "media_counters.h"
#include "ms_internal.h"

/* A jump in sequence numbers larger than this is a sender that restarted, not a loss. */
#define MAX_GAP 3000

static const char *const kind_names[] = { "audio", "video" };


/* Accept to media both ways, seconds. */
static const double setup_bounds[] = { 0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1, 1.5, 2, 3, 5, 10 };
/* Message thread writes, snapshot reads: both under the engine lock. */
static oicall_prom_histogram setup_seconds;
static GHashTable *setup_counted;   /* "callId|side" of live calls' invitees whose setup time is counted */
static gint64 last_tracked;
#define TRACK_INTERVAL_US (200 * 1000)

void oicall_metrics_init(void) {
	oicall_prom_histogram_init(&setup_seconds, setup_bounds, G_N_ELEMENTS(setup_bounds));
	setup_counted = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	last_tracked = 0;
}

void oicall_metrics_destroy(void) {
	g_clear_pointer(&setup_counted, g_hash_table_destroy);
}

void oicall_metrics_rtp_in(oicall_session *session, janus_plugin_rtp *packet) {
	if(atomic_load_explicit(&session->first_rtp_us, memory_order_relaxed) == 0) {
		gint64 none = 0;
		atomic_compare_exchange_strong(&session->first_rtp_us, &none, janus_get_monotonic_time());
	}
	if(packet->mindex < 0 || packet->mindex >= OICALL_MAX_SLOTS || packet->length < RTP_HEADER_SIZE)
		return;
	janus_rtp_header *header = (janus_rtp_header *)packet->buffer;
	int length = 0;
	char *payload = janus_rtp_payload(packet->buffer, packet->length, &length);
	/* Padding alone (a sender probing bandwidth, on RTX) carries no sequence number of the stream. */
	if(payload == NULL || (header->padding && (guint8)packet->buffer[packet->length - 1] >= length))
		return;
	guint16 seq = ntohs(header->seq_number);
	guint32 ssrc = ntohl(header->ssrc);
	oicall_rx_seq *rx = &session->rx_seq[packet->mindex];
	if(!rx->started || rx->ssrc != ssrc) {
		*rx = (oicall_rx_seq){ .ssrc = ssrc, .highest = seq, .started = TRUE };
		return;
	}
	guint16 ahead = (guint16)(seq - rx->highest);
	/* Duplicates and late packets (reordered, retransmitted) are behind the highest. */
	if(ahead == 0 || ahead >= 0x8000)
		return;
	if(ahead > 1 && ahead - 1 <= MAX_GAP)
		oicall_count_lost(ahead - 1);
	rx->highest = seq;
}

void oicall_metrics_rtcp_in(janus_plugin_rtcp *packet) {
	if(janus_rtcp_has_pli(packet->buffer, packet->length) || janus_rtcp_has_fir(packet->buffer, packet->length))
		oicall_count_keyframe_request(OICALL_KEYFRAME_RECEIVER);
}

void oicall_metrics_media_ready(oicall_session *session) {
	atomic_store(&session->first_rtp_us, 0);
}

/* When a side's media first came in since its PeerConnections came up: the
 * latest of its handles' first packets (0 while one of them has none). */
static gint64 peer_media_start(oicall_call *call, int side, oicall_session_lookup lookup) {
	gint64 start = 0;
	for(int i = 0; i < OICALL_MAX_MEDIA_SESSIONS; i++) {
		oicall_session *session = lookup(call->peers[side].media_sessions[i]);
		if(session == NULL)
			continue;
		/* A recv transport carries nothing from its client but RTCP. */
		gboolean receives_only = session->role == OICALL_ROLE_RECV_TRANSPORT;
		gint64 first = atomic_load(&session->first_rtp_us);
		janus_refcount_decrease(&session->ref);
		if(receives_only)
			continue;
		if(first == 0)
			return 0;
		start = MAX(start, first);
	}
	return start;
}

/* When an invitee that accepted has media both ways: its own in, and another
 * peer's (the first to send); 0 until then. */
static gint64 media_both_ways(oicall_call *call, int side, oicall_session_lookup lookup) {
	gint64 mine = peer_media_start(call, side, lookup), other = 0;
	for(int i = 0; mine != 0 && i < call->npeers; i++) {
		gint64 start = i != side && call->peers[i].state == OICALL_PEER_IN ? peer_media_start(call, i, lookup) : 0;
		if(start != 0 && (other == 0 || start < other))
			other = start;
	}
	return mine != 0 && other != 0 ? MAX(mine, other) : 0;
}

void oicall_metrics_track_calls(oicall_engine *engine, oicall_session_lookup lookup, gint64 now) {
	/* The times come from the stamps: looking a few times a second is enough. */
	if(now - last_tracked < TRACK_INTERVAL_US)
		return;
	last_tracked = now;
	/* Calls that ended are forgotten. */
	GHashTableIter iter;
	gpointer key;
	g_hash_table_iter_init(&iter, setup_counted);
	while(g_hash_table_iter_next(&iter, &key, NULL)) {
		char *id = g_strndup(key, strcspn(key, "|"));
		oicall_call *call = oicall_engine_call(engine, id);
		g_free(id);
		if(call == NULL || call->state == OICALL_CALL_ENDED)
			g_hash_table_iter_remove(&iter);
	}
	GList *calls = oicall_engine_calls(engine);
	for(GList *l = calls; l != NULL; l = l->next) {
		oicall_call *call = l->data;
		for(int side = 1; call->state == OICALL_CALL_ACTIVE && side < call->npeers; side++) {
			oicall_peer *peer = &call->peers[side];
			if(peer->state != OICALL_PEER_IN || peer->accepted_at == 0)
				continue;
			char *counted = g_strdup_printf("%s|%d", call->id, side);
			gint64 flowing = g_hash_table_contains(setup_counted, counted) ? 0 : media_both_ways(call, side, lookup);
			if(flowing == 0) {
				g_free(counted);
				continue;
			}
			/* Media the others sent before this invitee accepted counts from the accept. */
			oicall_prom_histogram_observe(&setup_seconds,
				(double)(MAX(flowing, peer->accepted_at) - peer->accepted_at) / G_USEC_PER_SEC);
			g_hash_table_add(setup_counted, counted);
		}
	}
	g_list_free(calls);
}

/* How a peer talks: SDP ("jsep"), or mediasoup-style in the room or the seed's dialect. */
static const char *peer_dialect(oicall_call *call, int side) {
	if(oicall_ms_uses_jsep(call, side))
		return "jsep";
	return call->peers[side].room ? "room" : "seed";
}

static void count(GHashTable *counts, const char *key) {
	g_hash_table_insert(counts, (gpointer)key, GUINT_TO_POINTER(GPOINTER_TO_UINT(g_hash_table_lookup(counts, key)) + 1));
}

/* A gauge family with one sample per label combination "a|b" in counts. */
static json_t *gauge_by(const char *name, const char *help, GHashTable *counts, const char *label1, const char *label2) {
	json_t *family = oicall_prom_family(name, "gauge", help);
	GList *keys = g_list_sort(g_hash_table_get_keys(counts), (GCompareFunc)strcmp);
	for(GList *l = keys; l != NULL; l = l->next) {
		char **parts = g_strsplit(l->data, "|", 2);
		double value = GPOINTER_TO_UINT(g_hash_table_lookup(counts, l->data));
		if(label2 != NULL)
			oicall_prom_sample(family, value, label1, parts[0], label2, parts[1], NULL);
		else
			oicall_prom_sample(family, value, label1, parts[0], NULL);
		g_strfreev(parts);
	}
	g_list_free(keys);
	return family;
}

/* Calls by state and dialect, peers in calls by dialect, producers and consumers by kind. */
static void call_families(json_t *families, oicall_engine *engine) {
	GHashTable *calls_by = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	GHashTable *peers_by = g_hash_table_new(g_str_hash, g_str_equal);
	GHashTable *producers = g_hash_table_new(g_str_hash, g_str_equal);
	GHashTable *consumers = g_hash_table_new(g_str_hash, g_str_equal);
	/* Every series always, zero or not: a series that comes and goes reads as missing data. */
	static const char *const dialects[] = { "jsep", "seed", "room" };
	for(gsize i = 0; i <= G_N_ELEMENTS(dialects); i++) {
		const char *dialect = i < G_N_ELEMENTS(dialects) ? dialects[i] : "mixed";
		g_hash_table_insert(calls_by, g_strdup_printf("ringing|%s", dialect), NULL);
		g_hash_table_insert(calls_by, g_strdup_printf("active|%s", dialect), NULL);
		if(i < G_N_ELEMENTS(dialects))
			g_hash_table_insert(peers_by, (gpointer)dialect, NULL);
	}
	for(int kind = 0; kind < 2; kind++) {
		g_hash_table_insert(producers, (gpointer)kind_names[kind], NULL);
		g_hash_table_insert(consumers, (gpointer)kind_names[kind], NULL);
	}
	GList *calls = oicall_engine_calls(engine);
	for(GList *l = calls; l != NULL; l = l->next) {
		oicall_call *call = l->data;
		if(call->state == OICALL_CALL_ENDED)
			continue;
		/* The dialect of the peers in the call (an invitee's way of talking is known once it accepts). */
		const char *dialect = NULL;
		for(int side = 0; side < call->npeers; side++) {
			if(call->peers[side].state != OICALL_PEER_IN)
				continue;
			const char *own = peer_dialect(call, side);
			dialect = dialect == NULL || strcmp(dialect, own) == 0 ? own : "mixed";
			if(oicall_call_peer_joined(call, side))
				count(peers_by, own);
		}
		char *key = g_strdup_printf("%s|%s", call->state == OICALL_CALL_RINGING ? "ringing" : "active",
			dialect ? dialect : "mixed");
		count(calls_by, key);   /* the table frees the key if it had it already */
		ms_call *ms = ms_of(call);
		for(guint i = 0; ms != NULL && i < ms->producers->len; i++) {
			ms_producer *p = g_ptr_array_index(ms->producers, i);
			if(p->ready)
				count(producers, kind_names[p->kind == OICALL_VIDEO]);
		}
		for(guint i = 0; ms != NULL && i < ms->consumers->len; i++) {
			ms_consumer *c = g_ptr_array_index(ms->consumers, i);
			if(c->ready)
				count(consumers, kind_names[c->producer->kind == OICALL_VIDEO]);
		}
	}
	g_list_free(calls);
	json_array_append_new(families, gauge_by("oicall_calls", "Calls now, by state (ringing, active) and "
		"dialect of the peers in it (jsep, seed, room, or mixed when they differ).", calls_by, "state", "dialect"));
	json_array_append_new(families, gauge_by("oicall_call_peers", "Users taking part in a call's media now, by dialect.",
		peers_by, "dialect", NULL));
	json_array_append_new(families, gauge_by("oicall_producers", "Producers (media a user sends into a call) now, by kind.",
		producers, "kind", NULL));
	json_array_append_new(families, gauge_by("oicall_consumers", "Consumers (media a mediasoup-style user receives) now, by kind.",
		consumers, "kind", NULL));
	g_hash_table_destroy(calls_by);
	g_hash_table_destroy(peers_by);
	g_hash_table_destroy(producers);
	g_hash_table_destroy(consumers);
}

static json_t *counter(const char *name, const char *help, guint64 value) {
	json_t *family = oicall_prom_family(name, "counter", help);
	oicall_prom_sample(family, (double)value, NULL);
	return family;
}

static json_t *counter_by_kind(const char *name, const char *help, const guint64 values[2]) {
	json_t *family = oicall_prom_family(name, "counter", help);
	for(int kind = 0; kind < 2; kind++)
		oicall_prom_sample(family, (double)values[kind], "kind", kind_names[kind], NULL);
	return family;
}

json_t *oicall_metrics_snapshot(oicall_engine *engine, guint queued) {
	json_t *families = json_array();
	json_t *users = oicall_prom_family("oicall_users_online", "gauge", "Users registered now.");
	oicall_prom_sample(users, oicall_registry_count(oicall_engine_registry(engine)), NULL);
	json_array_append_new(families, users);
	call_families(families, engine);
	oicall_media_counts media;
	oicall_media_counts_read(&media);
	json_array_append_new(families, counter_by_kind("oicall_relayed_packets_total", "RTP packets relayed to receivers.",
		media.relayed_packets));
	json_array_append_new(families, counter_by_kind("oicall_relayed_bytes_total", "RTP bytes relayed to receivers.",
		media.relayed_bytes));
	json_array_append_new(families, counter("oicall_packets_lost_total", "RTP packets senders sent that never reached "
		"the gateway in order (gaps in sequence numbers, before retransmission).", media.lost));
	json_t *keyframes = oicall_prom_family("oicall_keyframe_requests_total", "counter", "Keyframe requests: "
		"PLI/FIR from receivers, and the gateway's own to senders (a stream starting or resuming; loss no "
		"retransmission repaired).");
	oicall_prom_sample(keyframes, (double)media.keyframe_requests[OICALL_KEYFRAME_RECEIVER], "from", "receiver", NULL);
	oicall_prom_sample(keyframes, (double)media.keyframe_requests[OICALL_KEYFRAME_START], "from", "gateway", NULL);
	oicall_prom_sample(keyframes, (double)media.keyframe_requests[OICALL_KEYFRAME_LOSS], "from", "loss", NULL);
	json_array_append_new(families, keyframes);
	json_t *setup = oicall_prom_family("oicall_call_setup_seconds", "histogram",
		"From an invitee's accept-call to media both ways (its own and another peer's).");
	oicall_prom_histogram_sample(setup, &setup_seconds);
	json_array_append_new(families, setup);
	json_t *waiting = oicall_prom_family("oicall_plugin_queued_requests", "gauge", "Requests waiting for the plugin's message thread.");
	oicall_prom_sample(waiting, queued, NULL);
	json_array_append_new(families, waiting);
	return json_pack("{sosb}", "metrics", families, "overloaded", queued > OICALL_METRICS_OVERLOADED_QUEUE);
}
