/* Finding the cluster's Redis through Sentinel: the settings, and what a
 * Sentinel's and a server's replies must look like to be used (plugin/cluster_sentinel.c). */
#include <glib.h>
#include <string.h>

#include "../../common/settings.h"
#include "../../plugin/cluster.h"
#include "../../plugin/cluster_sentinel.h"
#include "../../plugin/plugin_config.h"

/* Replies built as hiredis hands them over (strings NUL-terminated, len their length). */
static redisReply *string_n(const char *text, size_t len) {
	redisReply *r = g_new0(redisReply, 1);
	r->type = REDIS_REPLY_STRING;
	r->str = g_malloc(len + 1);
	memcpy(r->str, text, len);
	r->str[len] = '\0';
	r->len = len;
	return r;
}

static redisReply *string(const char *text) {
	return string_n(text, strlen(text));
}

static redisReply *of_type(int type) {
	redisReply *r = g_new0(redisReply, 1);
	r->type = type;
	return r;
}

static redisReply *array(guint n, ...) {
	redisReply *r = of_type(REDIS_REPLY_ARRAY);
	r->elements = n;
	r->element = g_new0(redisReply *, n);
	va_list args;
	va_start(args, n);
	for(guint i = 0; i < n; i++)
		r->element[i] = va_arg(args, redisReply *);
	va_end(args);
	return r;
}

static void reply_free(redisReply *r) {
	if(r == NULL)
		return;
	for(size_t i = 0; i < r->elements; i++)
		reply_free(r->element[i]);
	g_free(r->element);
	g_free(r->str);
	g_free(r);
}

/* The address a reply names as "host:port", or NULL; the reply is freed. */
static char *master_of(redisReply *reply) {
	oicall_redis_address *address = oicall_sentinel_master_of(reply);
	reply_free(reply);
	char *text = address ? g_strdup_printf("%s:%d", address->host, address->port) : NULL;
	oicall_redis_address_free(address);
	return text;
}

static void assert_master(redisReply *reply, const char *expected) {
	char *got = master_of(reply);
	g_assert_cmpstr(got, ==, expected);
	g_free(got);
}

static void test_settings(void) {
	const char *why = NULL;
	g_assert_true(oicall_cluster_sentinels_valid("", &why));
	g_assert_true(oicall_cluster_sentinels_valid("127.0.0.1:26379", &why));
	g_assert_true(oicall_cluster_sentinels_valid("10.0.0.1:26379, 10.0.0.2:26379,s3.example:26380", &why));
	g_assert_true(oicall_cluster_sentinels_valid("a:1,b:2,c:3,d:4,e:5,f:6,g:7,h:8", &why));
	char *long_host = g_strnfill(OICALL_CLUSTER_MAX_HOST_LEN + 1, 'h');
	char *too_long = g_strconcat(long_host, ":26379", NULL);
	static const char *const bad[] = { "s1", "s1:26379,", ",s1:26379", "s1:26379,,s2:26379", "s1:0", "s1:26379,s2",
		"a:1,b:2,c:3,d:4,e:5,f:6,g:7,h:8,i:9", " , " };
	for(guint i = 0; i <= G_N_ELEMENTS(bad); i++) {
		why = NULL;
		g_assert_false(oicall_cluster_sentinels_valid(i < G_N_ELEMENTS(bad) ? bad[i] : too_long, &why));
		g_assert_nonnull(strstr(why, "HOST:PORT"));
	}
	/* cluster.redis is bounded the same way. */
	g_assert_false(oicall_cluster_redis_valid(too_long, &why));
	g_free(too_long);
	g_free(long_host);

	GPtrArray *sentinels = oicall_cluster_sentinels_parse("10.0.0.1:26379, s2.example:26380");
	g_assert_cmpuint(sentinels->len, ==, 2);
	oicall_redis_address *second = g_ptr_array_index(sentinels, 1);
	g_assert_cmpstr(((oicall_redis_address *)g_ptr_array_index(sentinels, 0))->host, ==, "10.0.0.1");
	g_assert_cmpstr(second->host, ==, "s2.example");
	g_assert_cmpint(second->port, ==, 26380);
	g_ptr_array_unref(sentinels);

	/* One Redis, or the Sentinels and the master's name: never both, never half. */
	g_assert_null(oicall_cluster_redis_source_problem("", "", ""));
	g_assert_null(oicall_cluster_redis_source_problem("r:6379", "", ""));
	g_assert_null(oicall_cluster_redis_source_problem("", "s:26379", "oicall"));
	g_assert_nonnull(strstr(oicall_cluster_redis_source_problem("r:6379", "s:26379", "oicall"), "exclude each other"));
	g_assert_nonnull(strstr(oicall_cluster_redis_source_problem("", "s:26379", ""), "needs cluster.sentinel_master"));
	g_assert_nonnull(strstr(oicall_cluster_redis_source_problem("r:6379", "", "oicall"), "without cluster.sentinels"));

	/* In the plugin's settings, each refused on its own when malformed. */
	oicall_plugin_config c = { 0 };
	oicall_settings_defaults(oicall_plugin_settings, oicall_plugin_settings_count, &c);
	g_assert_cmpstr(c.cluster_sentinels, ==, "");
	g_assert_cmpstr(c.cluster_sentinel_master, ==, "");
	const oicall_setting_spec *list = oicall_settings_find(oicall_plugin_settings, oicall_plugin_settings_count,
		"cluster", "sentinels");
	const oicall_setting_spec *master = oicall_settings_find(oicall_plugin_settings, oicall_plugin_settings_count,
		"cluster", "sentinel_master");
	char *error = NULL;
	g_assert_false(oicall_settings_set(list, &c, "s1", &error));
	g_clear_pointer(&error, g_free);
	g_assert_false(oicall_settings_set(master, &c, "my master", &error));
	g_clear_pointer(&error, g_free);
	g_assert_true(oicall_settings_set(list, &c, "s1:26379,s2:26379", &error));
	g_assert_true(oicall_settings_set(master, &c, "oicall", &error));
	g_assert_cmpstr(c.cluster_sentinel_master, ==, "oicall");
	oicall_settings_clear(oicall_plugin_settings, oicall_plugin_settings_count, &c);
}

static void test_master_reply(void) {
	assert_master(array(2, string("10.0.0.7"), string("6380")), "10.0.0.7:6380");
	assert_master(array(2, string("::1"), string("6379")), "::1:6379");
	assert_master(array(2, string("redis-b.example"), string("6379")), "redis-b.example:6379");
	/* The master is unknown to this Sentinel. */
	assert_master(of_type(REDIS_REPLY_NIL), NULL);
	assert_master(NULL, NULL);
	redisReply *error = string("ERR unknown command");
	error->type = REDIS_REPLY_ERROR;
	assert_master(error, NULL);
	/* Shapes other than [ host, port ]. */
	assert_master(array(0), NULL);
	assert_master(array(1, string("10.0.0.7")), NULL);
	assert_master(array(3, string("10.0.0.7"), string("6380"), string("x")), NULL);
	assert_master(array(2, string("10.0.0.7"), of_type(REDIS_REPLY_NIL)), NULL);
	redisReply *number = of_type(REDIS_REPLY_INTEGER);
	number->integer = 6380;
	assert_master(array(2, string("10.0.0.7"), number), NULL);
	assert_master(array(2, array(1, string("10.0.0.7")), string("6380")), NULL);
	/* Hosts and ports that are not. */
	assert_master(array(2, string(""), string("6380")), NULL);
	assert_master(array(2, string("10.0.0.7 -p 1"), string("6380")), NULL);
	assert_master(array(2, string_n("10.0.0.7\0x", 10), string("6380")), NULL);
	char *long_host = g_strnfill(OICALL_CLUSTER_MAX_HOST_LEN + 1, 'h');
	assert_master(array(2, string(long_host), string("6380")), NULL);
	long_host[OICALL_CLUSTER_MAX_HOST_LEN] = '\0';
	char *expected = g_strconcat(long_host, ":6380", NULL);
	assert_master(array(2, string(long_host), string("6380")), expected);
	g_free(expected);
	g_free(long_host);
	static const char *const bad_ports[] = { "", "0", "65536", "-1", "63x", "+6379", "006379", " 6379" };
	for(guint i = 0; i < G_N_ELEMENTS(bad_ports); i++)
		assert_master(array(2, string("10.0.0.7"), string(bad_ports[i])), NULL);
}

static void test_role_reply(void) {
	redisReply *master = array(3, string("master"), of_type(REDIS_REPLY_INTEGER), array(0));
	g_assert_true(oicall_sentinel_role_is_master(master));
	reply_free(master);
	redisReply *replica = array(5, string("slave"), string("127.0.0.1"), of_type(REDIS_REPLY_INTEGER),
		string("connected"), of_type(REDIS_REPLY_INTEGER));
	g_assert_false(oicall_sentinel_role_is_master(replica));
	reply_free(replica);
	redisReply *sentinel = array(2, string("sentinel"), array(1, string("oicall")));
	g_assert_false(oicall_sentinel_role_is_master(sentinel));
	reply_free(sentinel);
	redisReply *shapes[] = { array(0), string("master"), array(1, string("masters")), array(1, string_n("master\0", 7)),
		array(1, array(1, string("master"))), of_type(REDIS_REPLY_NIL) };
	for(guint i = 0; i < G_N_ELEMENTS(shapes); i++) {
		g_assert_false(oicall_sentinel_role_is_master(shapes[i]));
		reply_free(shapes[i]);
	}
	g_assert_false(oicall_sentinel_role_is_master(NULL));
}

static void assert_switched(redisReply *reply, gboolean expected) {
	g_assert_true(oicall_sentinel_switched(reply, "oicall") == expected);
	reply_free(reply);
}

static void test_switch_message(void) {
	assert_switched(array(3, string("message"), string("+switch-master"), string("oicall 127.0.0.1 6379 127.0.0.1 6380")),
		TRUE);
	/* Another master the Sentinel watches, whose name starts as ours or not. */
	assert_switched(array(3, string("message"), string("+switch-master"), string("oicall2 10.0.0.1 6379 10.0.0.2 6379")),
		FALSE);
	assert_switched(array(3, string("message"), string("+switch-master"), string("other 10.0.0.1 6379 10.0.0.2 6379")),
		FALSE);
	assert_switched(array(3, string("message"), string("+switch-master"), string("oicall")), FALSE);
	/* Not a message of that channel, or not of that shape. */
	assert_switched(array(3, string("subscribe"), string("+switch-master"), of_type(REDIS_REPLY_INTEGER)), FALSE);
	assert_switched(array(3, string("message"), string("+sdown"), string("oicall 127.0.0.1 6379")), FALSE);
	assert_switched(array(2, string("message"), string("+switch-master")), FALSE);
	assert_switched(array(3, string("message"), string("+switch-master"), of_type(REDIS_REPLY_NIL)), FALSE);
	assert_switched(array(3, string("message"), string("+switch-master"), string_n("oicall\0 1 2 3 4", 14)), FALSE);
	assert_switched(string("message"), FALSE);
	assert_switched(NULL, FALSE);
}

int main(int argc, char **argv) {
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/cluster-sentinel/settings", test_settings);
	g_test_add_func("/cluster-sentinel/master-reply", test_master_reply);
	g_test_add_func("/cluster-sentinel/role-reply", test_role_reply);
	g_test_add_func("/cluster-sentinel/switch-message", test_switch_message);
	return g_test_run();
}
