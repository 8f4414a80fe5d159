#include "cluster_node.h"

#include <string.h>
#include <unistd.h>

#include <janus/debug.h>
#include <janus/utils.h>

#include "../common/prom.h"
#include "cluster.h"
#include "cluster_sentinel.h"

static oicall_cluster_redis *redis;
static oicall_presence *presence;
static oicall_call_keys *call_keys;
static gint64 calls_sync_at;
static char *self;
static gint64 node_refresh_at;
static gint64 started_at_ms;
static char *media_address;

void oicall_cluster_node_start(const oicall_plugin_config *config, oicall_cluster_deliver deliver) {
	const char *problem = oicall_cluster_redis_source_problem(config->cluster_redis, config->cluster_sentinels,
		config->cluster_sentinel_master);
	if(problem != NULL) {
		JANUS_LOG(LOG_ERR, "[oicall] cluster: %s: the cluster stays off, oicall runs alone\n", problem);
		return;
	}
	gboolean sentinels = config->cluster_sentinels[0] != '\0';
	if(config->cluster_redis[0] == '\0' && !sentinels)
		return;
	/* Default id: unique per process on a host, and a valid id whatever the host name holds. */
	char *node = config->cluster_instance_id[0] != '\0' ? g_strdup(config->cluster_instance_id) : NULL;
	if(node == NULL) {
		char *host = g_strcanon(g_strndup(g_get_host_name(), 40),
			"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789.-_", '-');
		node = g_strdup_printf("%s-%d", host, (int)getpid());
		g_free(host);
	}
	redis = oicall_cluster_redis_start(config->cluster_redis, sentinels ? config->cluster_sentinels : NULL,
		config->cluster_sentinel_master, node, deliver);
	if(redis != NULL) {
		presence = oicall_presence_new(node);
		call_keys = oicall_call_keys_new();
		calls_sync_at = 0;
		self = g_strdup(node);
		media_address = g_strdup(config->cluster_media_address);
		started_at_ms = g_get_real_time() / 1000;
		node_refresh_at = 0;
		if(sentinels)
			JANUS_LOG(LOG_INFO, "[oicall] cluster: instance %s, Redis: master %s of the Sentinels at %s\n", node,
				config->cluster_sentinel_master, config->cluster_sentinels);
		else
			JANUS_LOG(LOG_INFO, "[oicall] cluster: instance %s, Redis at %s\n", node, config->cluster_redis);
	}
	g_free(node);
}

gboolean oicall_cluster_node_enabled(void) {
	return redis != NULL;
}

static void send_ops(GPtrArray *ops) {
	if(ops->len > 0)
		oicall_cluster_redis_presence(redis, ops);
	else
		g_ptr_array_unref(ops);
}

void oicall_cluster_node_stop(void) {
	if(redis != NULL) {
		/* Gone at once for the others, rather than when the keys expire (queued before the thread's exit). */
		GPtrArray *ops = oicall_presence_ops_new();
		oicall_presence_release_all(presence, ops);
		oicall_call_keys_release_all(call_keys, ops);
		send_ops(ops);
		oicall_cluster_redis_node(redis, NULL);
	}
	g_clear_pointer(&redis, oicall_cluster_redis_stop);
	g_clear_pointer(&presence, oicall_presence_free);
	g_clear_pointer(&call_keys, oicall_call_keys_free);
	g_clear_pointer(&self, g_free);
	g_clear_pointer(&media_address, g_free);
}

void oicall_cluster_node_registered(const char *user, guint64 session) {
	if(redis == NULL)
		return;
	GPtrArray *ops = oicall_presence_ops_new();
	oicall_presence_registered(presence, user, session, janus_get_monotonic_time(), g_get_real_time() / 1000, ops);
	send_ops(ops);
}

static guint64 session_of(void *ctx, const char *user) {
	return oicall_registry_session_of(oicall_engine_registry(ctx), user);
}

/* callId → record of every call here that is not over. */
static GHashTable *call_records(oicall_engine *engine) {
	static const char *const states[] = { "ringing", "active", "ended" };
	GHashTable *records = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, g_free);
	GList *list = oicall_engine_calls(engine);
	for(GList *l = list; l != NULL; l = l->next) {
		oicall_call *call = l->data;
		const char *users[OICALL_MAX_PEERS];
		guint n = 0;
		for(int side = 0; side < call->npeers; side++) {
			if(call->peers[side].state != OICALL_PEER_OUT)
				users[n++] = call->peers[side].user;
		}
		if(call->state != OICALL_CALL_ENDED)
			g_hash_table_insert(records, call->id, oicall_cluster_call_record(self, states[call->state], call->call_type,
				users, n));
	}
	g_list_free(list);
	return records;
}

void oicall_cluster_node_tick(oicall_engine *engine, gint64 now) {
	if(redis == NULL)
		return;
	GPtrArray *ops = oicall_presence_ops_new();
	oicall_presence_tick(presence, session_of, engine, now, ops);
	if(now >= calls_sync_at) {
		calls_sync_at = now + OICALL_CLUSTER_CALL_SYNC_US;
		GHashTable *current = call_records(engine);
		oicall_call_keys_sync(call_keys, current, now, ops);
		g_hash_table_destroy(current);
	}
	send_ops(ops);
	if(now < node_refresh_at)
		return;
	node_refresh_at = now + OICALL_CLUSTER_NODE_REFRESH_US;
	guint calls = 0, peers = 0;
	GList *list = oicall_engine_calls(engine);
	for(GList *l = list; l != NULL; l = l->next) {
		oicall_call *call = l->data;
		calls++;
		for(int side = 0; side < call->npeers; side++)
			peers += call->peers[side].state != OICALL_PEER_OUT;
	}
	g_list_free(list);
	oicall_cluster_redis_node(redis, oicall_cluster_node_record(media_address, calls, peers, started_at_ms));
}

void oicall_cluster_node_message(oicall_engine *engine, char *text, size_t len, GPtrArray *effects) {
	const char *error = NULL;
	oicall_cluster_message *message = oicall_cluster_message_parse(text, len, &error);
	g_free(text);
	if(message == NULL) {
		JANUS_LOG(LOG_WARN, "[oicall] cluster: a message on our channel ignored: %s\n", error);
		return;
	}
	/* OICALL_CLUSTER_REPLACED, the only kind so far: the newest register (theirs) wins. */
	if(oicall_engine_replaced_elsewhere(engine, message->session, message->user, effects))
		oicall_presence_lost(presence, message->user);
	oicall_cluster_message_free(message);
}

typedef struct deferred {
	oicall_cluster_node_resume resume;
	void *data;
} deferred;

static void looked_up(void *data, GPtrArray *remote) {
	deferred *d = data;
	char *refusal = oicall_cluster_refusal(remote);
	d->resume(d->data, refusal);
	g_free(refusal);
	g_free(d);
}

gboolean oicall_cluster_node_defer(oicall_engine *engine, const char *request, json_t *body,
		oicall_cluster_node_resume resume, void *data) {
	if(redis == NULL || request == NULL || (strcmp(request, "start-call") != 0 && strcmp(request, "add-participants") != 0))
		return FALSE;
	char **users = oicall_engine_invitees(engine, request, body);
	GPtrArray *absent = g_ptr_array_new_with_free_func(g_free);
	for(guint i = 0; users != NULL && users[i] != NULL; i++) {
		if(oicall_registry_session_of(oicall_engine_registry(engine), users[i]) == 0)
			g_ptr_array_add(absent, g_strdup(users[i]));
	}
	g_strfreev(users);
	if(absent->len == 0) {
		g_ptr_array_unref(absent);
		return FALSE;
	}
	deferred *d = g_new0(deferred, 1);
	d->resume = resume;
	d->data = data;
	oicall_cluster_redis_lookup(redis, absent, looked_up, d);
	return TRUE;
}

void oicall_cluster_node_metrics(json_t *families) {
	if(redis == NULL)
		return;
	json_t *up = oicall_prom_family("oicall_cluster_redis_up", "gauge",
		"1 while this instance is connected to the cluster's Redis, else 0.");
	oicall_prom_sample(up, oicall_cluster_redis_connected(redis), NULL);
	json_array_append_new(families, up);
}

json_t *oicall_cluster_node_list(gboolean calls) {
	return redis ? oicall_cluster_redis_list(redis, calls) : json_pack("{ss}", "error", "No cluster configured");
}
