/* The cluster's keys, records, messages and presence bookkeeping (plugin/cluster.c). */
#include <glib.h>
#include <string.h>

#include "../../plugin/cluster.h"

static void test_ids_and_keys(void) {
	g_assert_true(oicall_cluster_id_valid("janus-a.example:8188"));
	g_assert_true(oicall_cluster_id_valid("A_1"));
	g_assert_false(oicall_cluster_id_valid(NULL));
	g_assert_false(oicall_cluster_id_valid(""));
	g_assert_false(oicall_cluster_id_valid("a b"));
	g_assert_false(oicall_cluster_id_valid("a*"));
	g_assert_false(oicall_cluster_id_valid("é"));
	char *long_id = g_strnfill(OICALL_CLUSTER_MAX_ID_LEN, 'x');
	g_assert_true(oicall_cluster_id_valid(long_id));
	g_free(long_id);
	long_id = g_strnfill(OICALL_CLUSTER_MAX_ID_LEN + 1, 'x');
	g_assert_false(oicall_cluster_id_valid(long_id));
	g_free(long_id);

	const char *why = NULL;
	g_assert_true(oicall_cluster_redis_valid("", &why));
	g_assert_true(oicall_cluster_redis_valid("10.0.0.1:6379", &why));
	g_assert_true(oicall_cluster_redis_valid("[::1]:6379", &why));
	static const char *const bad_redis[] = { "redis", ":6379", "host:", "host:0", "host:65536", "host:63x" };
	for(guint i = 0; i < G_N_ELEMENTS(bad_redis); i++) {
		why = NULL;
		g_assert_false(oicall_cluster_redis_valid(bad_redis[i], &why));
		g_assert_nonnull(why);
	}
	char *host = NULL;
	int port = 0;
	oicall_cluster_redis_address("redis.local:6380", &host, &port);
	g_assert_cmpstr(host, ==, "redis.local");
	g_assert_cmpint(port, ==, 6380);
	g_free(host);
	g_assert_true(oicall_cluster_name_valid("", &why));
	g_assert_true(oicall_cluster_name_valid("janus-a", &why));
	why = NULL;
	g_assert_false(oicall_cluster_name_valid("janus a", &why));
	g_assert_nonnull(why);

	char *key = oicall_cluster_node_key("a");
	g_assert_cmpstr(key, ==, "oicall:node:a");
	char *node = oicall_cluster_node_of_key(key);
	g_assert_cmpstr(node, ==, "a");
	g_free(node);
	g_free(key);
	g_assert_null(oicall_cluster_node_of_key("oicall:user:a"));
	g_assert_null(oicall_cluster_node_of_key("oicall:node:"));
	g_assert_null(oicall_cluster_node_of_key("oicall:node:a b"));
	g_assert_null(oicall_cluster_node_of_key(NULL));
	key = oicall_cluster_user_key("42");
	g_assert_cmpstr(key, ==, "oicall:user:42");
	g_free(key);
	key = oicall_cluster_channel("b");
	g_assert_cmpstr(key, ==, "oicall:to:b");
	g_free(key);
}

static void test_records(void) {
	char *text = oicall_cluster_node_record("10.0.0.1", 3, 6, 1700000000123);
	json_t *record = json_loads(text, 0, NULL);
	g_assert_cmpstr(json_string_value(json_object_get(record, "mediaAddress")), ==, "10.0.0.1");
	g_assert_cmpint(json_integer_value(json_object_get(record, "calls")), ==, 3);
	g_assert_cmpint(json_integer_value(json_object_get(record, "peers")), ==, 6);
	g_assert_cmpint(json_integer_value(json_object_get(record, "startedAt")), ==, 1700000000123);
	json_decref(record);
	g_free(text);

	/* Session ids above 2^53 survive the trip (they are strings in JSON). */
	text = oicall_cluster_user_record("a", G_MAXUINT64 - 1, 1700000000123);
	char *node = NULL;
	guint64 session = 0;
	gint64 at = 0;
	g_assert_true(oicall_cluster_user_record_parse(text, &node, &session, &at));
	g_assert_cmpstr(node, ==, "a");
	g_assert_cmpuint(session, ==, G_MAXUINT64 - 1);
	g_assert_cmpint(at, ==, 1700000000123);
	g_free(node);
	g_free(text);

	static const char *const bad[] = {
		NULL, "", "[]", "{", "{\"node\":\"a\",\"session\":\"1\"}",
		"{\"node\":\"a b\",\"session\":\"1\",\"registeredAt\":1}",
		"{\"node\":\"a\",\"session\":1,\"registeredAt\":1}",
		"{\"node\":\"a\",\"session\":\"0\",\"registeredAt\":1}",
		"{\"node\":\"a\",\"session\":\"-1\",\"registeredAt\":1}",
		"{\"node\":\"a\",\"session\":\"99999999999999999999999\",\"registeredAt\":1}",
		"{\"node\":\"a\",\"session\":\"1\",\"registeredAt\":\"1\"}",
	};
	for(guint i = 0; i < G_N_ELEMENTS(bad); i++) {
		node = NULL;
		g_assert_false(oicall_cluster_user_record_parse(bad[i], &node, &session, &at));
		g_assert_null(node);
	}
}

static void test_messages(void) {
	char *text = oicall_cluster_replaced_text("a", "alice", 12345678901234567ULL);
	const char *error = NULL;
	oicall_cluster_message *message = oicall_cluster_message_parse(text, strlen(text), &error);
	g_assert_null(error);
	g_assert_nonnull(message);
	g_assert_cmpint(message->kind, ==, OICALL_CLUSTER_REPLACED);
	g_assert_cmpstr(message->from, ==, "a");
	g_assert_cmpstr(message->user, ==, "alice");
	g_assert_cmpuint(message->session, ==, 12345678901234567ULL);
	oicall_cluster_message_free(message);
	g_free(text);

	/* A numeric userId is the same user as its string, as on one instance. */
	const char *numeric = "{\"kind\":\"replaced\",\"from\":\"b\",\"userId\":42,\"session\":\"7\"}";
	message = oicall_cluster_message_parse(numeric, strlen(numeric), &error);
	g_assert_nonnull(message);
	g_assert_cmpstr(message->user, ==, "42");
	oicall_cluster_message_free(message);

	static const char *const bad[] = {
		"", "x", "[1]", "{}", "{\"kind\":\"replaced\"}",
		"{\"kind\":\"replaced\",\"from\":\"a b\",\"userId\":\"u\",\"session\":\"1\"}",
		"{\"kind\":\"nope\",\"from\":\"a\",\"userId\":\"u\",\"session\":\"1\"}",
		"{\"kind\":7,\"from\":\"a\",\"userId\":\"u\",\"session\":\"1\"}",
		"{\"kind\":\"replaced\",\"from\":\"a\",\"session\":\"1\"}",
		"{\"kind\":\"replaced\",\"from\":\"a\",\"userId\":\"\",\"session\":\"1\"}",
		"{\"kind\":\"replaced\",\"from\":\"a\",\"userId\":true,\"session\":\"1\"}",
		"{\"kind\":\"replaced\",\"from\":\"a\",\"userId\":\"u\"}",
		"{\"kind\":\"replaced\",\"from\":\"a\",\"userId\":\"u\",\"session\":\"x\"}",
		"{\"kind\":\"replaced\",\"kind\":\"replaced\",\"from\":\"a\",\"userId\":\"u\",\"session\":\"1\"}",
	};
	for(guint i = 0; i < G_N_ELEMENTS(bad); i++) {
		error = NULL;
		g_assert_null(oicall_cluster_message_parse(bad[i], strlen(bad[i]), &error));
		g_assert_nonnull(error);
	}
	char *huge = g_strnfill(OICALL_CLUSTER_MAX_MESSAGE_LEN + 1, ' ');
	g_assert_null(oicall_cluster_message_parse(huge, strlen(huge), &error));
	g_free(huge);
	/* Bytes after a NUL are not read past the length given. */
	g_assert_null(oicall_cluster_message_parse("{}\0garbage", 10, &error));
}

static void test_replaced_for(void) {
	char *channel = NULL;
	g_assert_null(oicall_cluster_replaced_for(NULL, "a", "alice", &channel));
	g_assert_null(oicall_cluster_replaced_for("garbage", "a", "alice", &channel));
	char *mine = oicall_cluster_user_record("a", 5, 1);
	g_assert_null(oicall_cluster_replaced_for(mine, "a", "alice", &channel));
	g_assert_null(channel);
	g_free(mine);
	char *theirs = oicall_cluster_user_record("b", 9, 1);
	char *text = oicall_cluster_replaced_for(theirs, "a", "alice", &channel);
	g_assert_cmpstr(channel, ==, "oicall:to:b");
	const char *error = NULL;
	oicall_cluster_message *message = oicall_cluster_message_parse(text, strlen(text), &error);
	g_assert_cmpstr(message->from, ==, "a");
	g_assert_cmpstr(message->user, ==, "alice");
	g_assert_cmpuint(message->session, ==, 9);
	oicall_cluster_message_free(message);
	g_free(text);
	g_free(channel);
	g_free(theirs);
}

static void test_lookup_verdicts(void) {
	char *theirs = oicall_cluster_user_record("b", 9, 1);
	char *node = oicall_cluster_elsewhere(theirs, "a");
	g_assert_cmpstr(node, ==, "b");
	g_free(node);
	g_assert_null(oicall_cluster_elsewhere(theirs, "b"));
	g_assert_null(oicall_cluster_elsewhere(NULL, "a"));
	g_assert_null(oicall_cluster_elsewhere("{}", "a"));
	g_free(theirs);

	char *refusal = oicall_cluster_refusal(NULL);
	g_assert_cmpstr(refusal, ==, "The cluster is unavailable: try again");
	g_free(refusal);
	GPtrArray *remote = g_ptr_array_new();
	g_assert_null(oicall_cluster_refusal(remote));
	g_ptr_array_add(remote, "bob");
	g_ptr_array_add(remote, "carol");
	refusal = oicall_cluster_refusal(remote);
	g_assert_cmpstr(refusal, ==, "bob is connected to another server of the cluster: calls across servers are not "
		"available yet");
	g_free(refusal);
	g_ptr_array_unref(remote);
}

static void test_call_keys(void) {
	const char *const users[] = { "a", "b" };
	char *record = oicall_cluster_call_record("n1", "ringing", "video", users, 2);
	json_t *parsed = json_loads(record, 0, NULL);
	g_assert_cmpstr(json_string_value(json_object_get(parsed, "host")), ==, "n1");
	g_assert_cmpstr(json_string_value(json_object_get(parsed, "state")), ==, "ringing");
	g_assert_cmpstr(json_string_value(json_object_get(parsed, "callType")), ==, "video");
	g_assert_cmpuint(json_array_size(json_object_get(parsed, "peers")), ==, 2);
	g_assert_cmpstr(json_string_value(json_array_get(json_object_get(parsed, "peers"), 1)), ==, "b");
	json_decref(parsed);
	char *active = oicall_cluster_call_record("n1", "active", NULL, users, 2);
	g_assert_null(strstr(active, "callType"));

	oicall_call_keys *keys = oicall_call_keys_new();
	GHashTable *current = g_hash_table_new(g_str_hash, g_str_equal);
	GPtrArray *ops = oicall_presence_ops_new();
	gint64 now = 1000;
	/* A new call is put. */
	g_hash_table_insert(current, "c1", record);
	oicall_call_keys_sync(keys, current, now, ops);
	g_assert_cmpuint(ops->len, ==, 1);
	oicall_presence_op *op = g_ptr_array_index(ops, 0);
	g_assert_cmpint(op->kind, ==, OICALL_PRESENCE_PUT);
	g_assert_cmpstr(op->key, ==, "oicall:call:c1");
	g_assert_cmpstr(op->record, ==, record);
	g_assert_null(op->user);
	g_ptr_array_set_size(ops, 0);
	/* Unchanged: nothing until the refresh is due. */
	oicall_call_keys_sync(keys, current, now + 1, ops);
	g_assert_cmpuint(ops->len, ==, 0);
	oicall_call_keys_sync(keys, current, now + OICALL_CLUSTER_USER_REFRESH_US, ops);
	g_assert_cmpuint(ops->len, ==, 1);
	g_ptr_array_set_size(ops, 0);
	/* Changed: put at once. */
	g_hash_table_insert(current, "c1", active);
	oicall_call_keys_sync(keys, current, now + OICALL_CLUSTER_USER_REFRESH_US + 1, ops);
	g_assert_cmpuint(ops->len, ==, 1);
	g_assert_cmpstr(((oicall_presence_op *)g_ptr_array_index(ops, 0))->record, ==, active);
	g_ptr_array_set_size(ops, 0);
	/* Gone: released with the record written last (Redis deletes it only if it still holds that). */
	g_hash_table_remove(current, "c1");
	g_hash_table_insert(current, "c2", record);
	oicall_call_keys_sync(keys, current, now + OICALL_CLUSTER_USER_REFRESH_US + 2, ops);
	g_assert_cmpuint(ops->len, ==, 2);
	gboolean released = FALSE, put = FALSE;
	for(guint i = 0; i < ops->len; i++) {
		op = g_ptr_array_index(ops, i);
		if(op->kind == OICALL_PRESENCE_RELEASE) {
			released = TRUE;
			g_assert_cmpstr(op->key, ==, "oicall:call:c1");
			g_assert_cmpstr(op->record, ==, active);
		} else {
			put = TRUE;
			g_assert_cmpstr(op->key, ==, "oicall:call:c2");
		}
	}
	g_assert_true(released && put);
	g_ptr_array_set_size(ops, 0);
	/* Stopping: all released. */
	oicall_call_keys_release_all(keys, ops);
	g_assert_cmpuint(ops->len, ==, 1);
	g_assert_cmpint(((oicall_presence_op *)g_ptr_array_index(ops, 0))->kind, ==, OICALL_PRESENCE_RELEASE);
	g_ptr_array_set_size(ops, 0);

	g_ptr_array_unref(ops);
	g_hash_table_destroy(current);
	oicall_call_keys_free(keys);
	g_free(active);
	g_free(record);
}

static guint64 session_of(void *ctx, const char *user) {
	GHashTable *online = ctx;
	return GPOINTER_TO_SIZE(g_hash_table_lookup(online, user));
}

static const oicall_presence_op *op_for(GPtrArray *ops, const char *user) {
	for(guint i = 0; i < ops->len; i++) {
		const oicall_presence_op *op = g_ptr_array_index(ops, i);
		if(strcmp(op->user, user) == 0)
			return op;
	}
	return NULL;
}

static void test_presence(void) {
	oicall_presence *presence = oicall_presence_new("a");
	GHashTable *online = g_hash_table_new(g_str_hash, g_str_equal);
	GPtrArray *ops = oicall_presence_ops_new();
	gint64 now = 1000;

	/* A register claims the key with this instance's record. */
	g_hash_table_insert(online, "alice", GSIZE_TO_POINTER(1));
	oicall_presence_registered(presence, "alice", 1, now, 1700000000000, ops);
	g_assert_cmpuint(ops->len, ==, 1);
	const oicall_presence_op *op = g_ptr_array_index(ops, 0);
	g_assert_cmpint(op->kind, ==, OICALL_PRESENCE_CLAIM);
	g_assert_cmpstr(op->user, ==, "alice");
	char *node = NULL;
	guint64 session = 0;
	gint64 at = 0;
	g_assert_true(oicall_cluster_user_record_parse(op->record, &node, &session, &at));
	g_assert_cmpstr(node, ==, "a");
	g_assert_cmpuint(session, ==, 1);
	g_assert_cmpint(at, ==, 1700000000000);
	g_free(node);
	char *first_record = g_strdup(op->record);
	g_ptr_array_set_size(ops, 0);

	/* Nothing due before the refresh period; then a refresh of that very record. */
	oicall_presence_tick(presence, session_of, online, now + OICALL_CLUSTER_USER_REFRESH_US - 1, ops);
	g_assert_cmpuint(ops->len, ==, 0);
	oicall_presence_tick(presence, session_of, online, now + OICALL_CLUSTER_USER_REFRESH_US, ops);
	g_assert_cmpuint(ops->len, ==, 1);
	op = g_ptr_array_index(ops, 0);
	g_assert_cmpint(op->kind, ==, OICALL_PRESENCE_REFRESH);
	g_assert_cmpstr(op->record, ==, first_record);
	g_ptr_array_set_size(ops, 0);
	oicall_presence_tick(presence, session_of, online, now + OICALL_CLUSTER_USER_REFRESH_US + 1, ops);
	g_assert_cmpuint(ops->len, ==, 0);

	/* A second tab here: a new claim with the new session; the old one is not released. */
	g_hash_table_insert(online, "alice", GSIZE_TO_POINTER(2));
	oicall_presence_registered(presence, "alice", 2, now + 5, 1700000000005, ops);
	g_assert_cmpuint(ops->len, ==, 1);
	g_assert_cmpint(((oicall_presence_op *)g_ptr_array_index(ops, 0))->kind, ==, OICALL_PRESENCE_CLAIM);
	g_assert_cmpstr(((oicall_presence_op *)g_ptr_array_index(ops, 0))->record, !=, first_record);
	g_ptr_array_set_size(ops, 0);
	oicall_presence_tick(presence, session_of, online, now + 6, ops);
	g_assert_cmpuint(ops->len, ==, 0);
	g_assert_cmpuint(oicall_presence_count(presence), ==, 1);

	/* Offline here: released (if still ours: Redis checks the record). */
	g_hash_table_insert(online, "bob", GSIZE_TO_POINTER(3));
	oicall_presence_registered(presence, "bob", 3, now, 1, ops);
	g_ptr_array_set_size(ops, 0);
	g_hash_table_remove(online, "alice");
	oicall_presence_tick(presence, session_of, online, now + 7, ops);
	g_assert_cmpuint(ops->len, ==, 1);
	op = op_for(ops, "alice");
	g_assert_nonnull(op);
	g_assert_cmpint(op->kind, ==, OICALL_PRESENCE_RELEASE);
	g_assert_cmpuint(oicall_presence_count(presence), ==, 1);
	g_ptr_array_set_size(ops, 0);

	/* Registered elsewhere: forgotten without a release (the key is the other instance's). */
	oicall_presence_lost(presence, "bob");
	oicall_presence_lost(presence, "nobody");
	g_hash_table_remove(online, "bob");
	oicall_presence_tick(presence, session_of, online, now + 8, ops);
	g_assert_cmpuint(ops->len, ==, 0);
	g_assert_cmpuint(oicall_presence_count(presence), ==, 0);

	/* Stopping: whatever is held is released. */
	g_hash_table_insert(online, "erin", GSIZE_TO_POINTER(5));
	oicall_presence_registered(presence, "erin", 5, now, 1, ops);
	char *erin_record = g_strdup(((oicall_presence_op *)g_ptr_array_index(ops, 0))->record);
	g_ptr_array_set_size(ops, 0);
	oicall_presence_release_all(presence, ops);
	g_assert_cmpuint(ops->len, ==, 1);
	op = g_ptr_array_index(ops, 0);
	g_assert_cmpint(op->kind, ==, OICALL_PRESENCE_RELEASE);
	g_assert_cmpstr(op->user, ==, "erin");
	g_assert_cmpstr(op->record, ==, erin_record);
	g_assert_cmpuint(oicall_presence_count(presence), ==, 0);
	g_free(erin_record);

	g_free(first_record);
	g_ptr_array_unref(ops);
	g_hash_table_destroy(online);
	oicall_presence_free(presence);
}

int main(int argc, char **argv) {
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/cluster/ids-and-keys", test_ids_and_keys);
	g_test_add_func("/cluster/records", test_records);
	g_test_add_func("/cluster/messages", test_messages);
	g_test_add_func("/cluster/replaced-for", test_replaced_for);
	g_test_add_func("/cluster/lookup-verdicts", test_lookup_verdicts);
	g_test_add_func("/cluster/presence", test_presence);
	g_test_add_func("/cluster/call-keys", test_call_keys);
	return g_test_run();
}
