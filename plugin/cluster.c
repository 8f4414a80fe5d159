#include "cluster.h"

#include <stdlib.h>
#include <string.h>

#include "registry.h"

gboolean oicall_cluster_id_valid(const char *id) {
	size_t len = id ? strlen(id) : 0;
	if(len == 0 || len > OICALL_CLUSTER_MAX_ID_LEN)
		return FALSE;
	for(size_t i = 0; i < len; i++) {
		if(!g_ascii_isalnum(id[i]) && strchr("._:-", id[i]) == NULL)
			return FALSE;
	}
	return TRUE;
}

gboolean oicall_cluster_redis_valid(const char *value, const char **why) {
	if(value[0] == '\0')
		return TRUE;
	const char *colon = strrchr(value, ':');
	guint64 port = 0;
	if(colon == NULL || colon == value || colon - value > OICALL_CLUSTER_MAX_HOST_LEN ||
			!g_ascii_string_to_unsigned(colon + 1, 10, 1, 65535, &port, NULL)) {
		*why = "is not HOST:PORT";
		return FALSE;
	}
	return TRUE;
}

gboolean oicall_cluster_name_valid(const char *value, const char **why) {
	if(value[0] == '\0' || oicall_cluster_id_valid(value))
		return TRUE;
	*why = "is not 1 to 64 of A-Z a-z 0-9 . _ : -";
	return FALSE;
}

void oicall_cluster_redis_address(const char *value, char **host, int *port) {
	const char *colon = strrchr(value, ':');
	*host = g_strndup(value, colon - value);
	*port = atoi(colon + 1);
}

#define NODE_PREFIX "oicall:node:"

char *oicall_cluster_node_key(const char *node) {
	return g_strconcat(NODE_PREFIX, node, NULL);
}

char *oicall_cluster_user_key(const char *user) {
	return g_strconcat("oicall:user:", user, NULL);
}

char *oicall_cluster_call_key(const char *call_id) {
	return g_strconcat("oicall:call:", call_id, NULL);
}

char *oicall_cluster_channel(const char *node) {
	return g_strconcat("oicall:to:", node, NULL);
}

char *oicall_cluster_node_of_key(const char *key) {
	if(key == NULL || !g_str_has_prefix(key, NODE_PREFIX) || !oicall_cluster_id_valid(key + strlen(NODE_PREFIX)))
		return NULL;
	return g_strdup(key + strlen(NODE_PREFIX));
}

static char *dump(json_t *value) {
	char *text = json_dumps(value, JSON_COMPACT);
	char *copy = g_strdup(text);
	free(text);
	json_decref(value);
	return copy;
}

char *oicall_cluster_node_record(const char *media_address, guint calls, guint peers, gint64 started_at_ms) {
	return dump(json_pack("{sssisisI}", "mediaAddress", media_address, "calls", (int)calls, "peers", (int)peers,
		"startedAt", (json_int_t)started_at_ms));
}

char *oicall_cluster_call_record(const char *host, const char *state, const char *call_type, const char *const *users,
		guint nusers) {
	json_t *peers = json_array();
	for(guint i = 0; i < nusers; i++)
		json_array_append_new(peers, json_string(users[i]));
	return dump(json_pack("{ssssss*so}", "host", host, "state", state, "callType", call_type, "peers", peers));
}

/* A plugin session id as JSON: a decimal string, since JSON numbers stop being exact above 2^53. */
static json_t *session_json(guint64 session) {
	char text[24];
	g_snprintf(text, sizeof(text), "%" G_GUINT64_FORMAT, session);
	return json_string(text);
}

static gboolean session_from_json(json_t *value, guint64 *session) {
	const char *text = json_string_value(value);
	guint64 parsed = 0;
	if(text == NULL || !g_ascii_string_to_unsigned(text, 10, 1, G_MAXUINT64, &parsed, NULL))
		return FALSE;
	*session = parsed;
	return TRUE;
}

char *oicall_cluster_user_record(const char *node, guint64 session, gint64 registered_at_ms) {
	return dump(json_pack("{sssosI}", "node", node, "session", session_json(session), "registeredAt",
		(json_int_t)registered_at_ms));
}

gboolean oicall_cluster_user_record_parse(const char *text, char **node, guint64 *session, gint64 *registered_at_ms) {
	json_t *record = text ? json_loads(text, JSON_REJECT_DUPLICATES, NULL) : NULL;
	const char *name = json_string_value(json_object_get(record, "node"));
	json_t *at = json_object_get(record, "registeredAt");
	guint64 id = 0;
	gboolean ok = oicall_cluster_id_valid(name) && json_is_integer(at) &&
		session_from_json(json_object_get(record, "session"), &id);
	if(ok) {
		*node = g_strdup(name);
		*session = id;
		*registered_at_ms = json_integer_value(at);
	}
	json_decref(record);
	return ok;
}

char *oicall_cluster_replaced_text(const char *from, const char *user, guint64 session) {
	return dump(json_pack("{ssssssso}", "kind", "replaced", "from", from, "userId", user, "session",
		session_json(session)));
}

void oicall_cluster_message_free(oicall_cluster_message *message) {
	if(message == NULL)
		return;
	g_free(message->from);
	g_free(message->user);
	g_free(message);
}

oicall_cluster_message *oicall_cluster_message_parse(const char *text, size_t len, const char **error) {
	if(text == NULL || len == 0 || len > OICALL_CLUSTER_MAX_MESSAGE_LEN) {
		*error = "empty or too long";
		return NULL;
	}
	json_t *root = json_loadb(text, len, JSON_REJECT_DUPLICATES, NULL);
	const char *kind = json_string_value(json_object_get(root, "kind"));
	const char *from = json_string_value(json_object_get(root, "from"));
	oicall_cluster_message *message = NULL;
	*error = NULL;
	if(!json_is_object(root))
		*error = "not a JSON object";
	else if(!oicall_cluster_id_valid(from))
		*error = "no valid from";
	else if(kind == NULL || strcmp(kind, "replaced") != 0)
		*error = "unknown kind";
	if(*error == NULL) {
		const char *why = NULL;
		guint64 session = 0;
		char *user = oicall_user_id_from_json(json_object_get(root, "userId"), &why);
		if(user == NULL || !session_from_json(json_object_get(root, "session"), &session)) {
			*error = "replaced without a valid userId and session";
			g_free(user);
		} else {
			message = g_new0(oicall_cluster_message, 1);
			message->kind = OICALL_CLUSTER_REPLACED;
			message->from = g_strdup(from);
			message->user = user;
			message->session = session;
		}
	}
	json_decref(root);
	return message;
}

char *oicall_cluster_replaced_for(const char *previous, const char *self, const char *user, char **channel) {
	char *node = NULL;
	guint64 session = 0;
	gint64 at = 0;
	if(!oicall_cluster_user_record_parse(previous, &node, &session, &at))
		return NULL;
	char *text = NULL;
	/* On this instance the engine already told the older socket. */
	if(strcmp(node, self) != 0) {
		*channel = oicall_cluster_channel(node);
		text = oicall_cluster_replaced_text(self, user, session);
	}
	g_free(node);
	return text;
}

char *oicall_cluster_elsewhere(const char *record, const char *self) {
	char *node = NULL;
	guint64 session = 0;
	gint64 at = 0;
	if(!oicall_cluster_user_record_parse(record, &node, &session, &at) || strcmp(node, self) == 0)
		g_clear_pointer(&node, g_free);
	return node;
}

char *oicall_cluster_refusal(GPtrArray *remote) {
	if(remote == NULL)
		return g_strdup("The cluster is unavailable: try again");
	if(remote->len == 0)
		return NULL;
	/* Phase 1 (docs/cluster.md): calls don't span instances yet, and ringing such a user here would never reach them. */
	return g_strdup_printf("%s is connected to another server of the cluster: calls across servers are not "
		"available yet", (const char *)g_ptr_array_index(remote, 0));
}

/* ---- presence ---------------------------------------------------------- */

typedef struct presence_entry {
	guint64 session;
	char *record;
	gint64 refresh_at;
} presence_entry;

struct oicall_presence {
	char *node;
	GHashTable *users;          /* user → presence_entry */
};

static void entry_free(presence_entry *entry) {
	g_free(entry->record);
	g_free(entry);
}

void oicall_presence_op_free(oicall_presence_op *op) {
	g_free(op->key);
	g_free(op->user);
	g_free(op->record);
	g_free(op);
}

GPtrArray *oicall_presence_ops_new(void) {
	return g_ptr_array_new_with_free_func((GDestroyNotify)oicall_presence_op_free);
}

static void add_key_op(GPtrArray *ops, oicall_presence_op_kind kind, char *key, const char *user, const char *record) {
	oicall_presence_op *op = g_new0(oicall_presence_op, 1);
	op->kind = kind;
	op->key = key;
	op->user = g_strdup(user);
	op->record = g_strdup(record);
	g_ptr_array_add(ops, op);
}

static void add_op(GPtrArray *ops, oicall_presence_op_kind kind, const char *user, const char *record) {
	add_key_op(ops, kind, oicall_cluster_user_key(user), user, record);
}

oicall_presence *oicall_presence_new(const char *node) {
	oicall_presence *presence = g_new0(oicall_presence, 1);
	presence->node = g_strdup(node);
	presence->users = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, (GDestroyNotify)entry_free);
	return presence;
}

void oicall_presence_free(oicall_presence *presence) {
	if(presence == NULL)
		return;
	g_hash_table_destroy(presence->users);
	g_free(presence->node);
	g_free(presence);
}

void oicall_presence_registered(oicall_presence *presence, const char *user, guint64 session, gint64 now,
		gint64 wall_ms, GPtrArray *ops) {
	presence_entry *entry = g_new0(presence_entry, 1);
	entry->session = session;
	entry->record = oicall_cluster_user_record(presence->node, session, wall_ms);
	entry->refresh_at = now + OICALL_CLUSTER_USER_REFRESH_US;
	add_op(ops, OICALL_PRESENCE_CLAIM, user, entry->record);
	g_hash_table_insert(presence->users, g_strdup(user), entry);
}

void oicall_presence_tick(oicall_presence *presence, oicall_presence_session_of session_of, void *ctx, gint64 now,
		GPtrArray *ops) {
	GHashTableIter iter;
	gpointer key, value;
	g_hash_table_iter_init(&iter, presence->users);
	while(g_hash_table_iter_next(&iter, &key, &value)) {
		presence_entry *entry = value;
		if(session_of(ctx, key) != entry->session) {
			add_op(ops, OICALL_PRESENCE_RELEASE, key, entry->record);
			g_hash_table_iter_remove(&iter);
		} else if(now >= entry->refresh_at) {
			add_op(ops, OICALL_PRESENCE_REFRESH, key, entry->record);
			entry->refresh_at = now + OICALL_CLUSTER_USER_REFRESH_US;
		}
	}
}

void oicall_presence_release_all(oicall_presence *presence, GPtrArray *ops) {
	GHashTableIter iter;
	gpointer key, value;
	g_hash_table_iter_init(&iter, presence->users);
	while(g_hash_table_iter_next(&iter, &key, &value)) {
		add_op(ops, OICALL_PRESENCE_RELEASE, key, ((presence_entry *)value)->record);
		g_hash_table_iter_remove(&iter);
	}
}

void oicall_presence_lost(oicall_presence *presence, const char *user) {
	g_hash_table_remove(presence->users, user);
}

guint oicall_presence_count(oicall_presence *presence) {
	return g_hash_table_size(presence->users);
}

/* ---- call keys ----------------------------------------------------------- */

struct oicall_call_keys {
	GHashTable *calls;          /* callId → presence_entry (session unused) */
};

oicall_call_keys *oicall_call_keys_new(void) {
	oicall_call_keys *keys = g_new0(oicall_call_keys, 1);
	keys->calls = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, (GDestroyNotify)entry_free);
	return keys;
}

void oicall_call_keys_free(oicall_call_keys *keys) {
	if(keys == NULL)
		return;
	g_hash_table_destroy(keys->calls);
	g_free(keys);
}

void oicall_call_keys_sync(oicall_call_keys *keys, GHashTable *current, gint64 now, GPtrArray *ops) {
	GHashTableIter iter;
	gpointer key, value;
	g_hash_table_iter_init(&iter, keys->calls);
	while(g_hash_table_iter_next(&iter, &key, &value)) {
		if(!g_hash_table_contains(current, key)) {
			add_key_op(ops, OICALL_PRESENCE_RELEASE, oicall_cluster_call_key(key), NULL, ((presence_entry *)value)->record);
			g_hash_table_iter_remove(&iter);
		}
	}
	g_hash_table_iter_init(&iter, current);
	while(g_hash_table_iter_next(&iter, &key, &value)) {
		presence_entry *entry = g_hash_table_lookup(keys->calls, key);
		if(entry != NULL && strcmp(entry->record, value) == 0 && now < entry->refresh_at)
			continue;
		if(entry == NULL) {
			entry = g_new0(presence_entry, 1);
			g_hash_table_insert(keys->calls, g_strdup(key), entry);
		}
		g_free(entry->record);
		entry->record = g_strdup(value);
		entry->refresh_at = now + OICALL_CLUSTER_USER_REFRESH_US;
		add_key_op(ops, OICALL_PRESENCE_PUT, oicall_cluster_call_key(key), NULL, entry->record);
	}
}

void oicall_call_keys_release_all(oicall_call_keys *keys, GPtrArray *ops) {
	GHashTableIter iter;
	gpointer key, value;
	g_hash_table_iter_init(&iter, keys->calls);
	while(g_hash_table_iter_next(&iter, &key, &value)) {
		add_key_op(ops, OICALL_PRESENCE_RELEASE, oicall_cluster_call_key(key), NULL, ((presence_entry *)value)->record);
		g_hash_table_iter_remove(&iter);
	}
}
