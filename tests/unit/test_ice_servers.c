/* TURN REST API credentials and the turn settings (plugin/ice_servers.c). */
#include <glib.h>
#include <string.h>

#include "../../plugin/ice_servers.h"
#include "../../plugin/plugin_config.h"

#define SECRET "a-shared-secret-of-some-length"
#define NOW ((gint64)1800000000)

static void test_known_vectors(void) {
	/* RFC 2202's HMAC-SHA1 test case 2, in base64:
	 * echo -n "what do ya want for nothing?" | openssl dgst -binary -sha1 -hmac Jefe | base64 */
	char *credential = oicall_turn_credential("Jefe", "what do ya want for nothing?");
	g_assert_cmpstr(credential, ==, "7/zfauXrL6LSdBbV8YTfnCWafHk=");
	g_free(credential);
	/* What coturn computes for a REST API username:
	 * echo -n "1800000060:alice" | openssl dgst -binary -sha1 -hmac "a-shared-secret-of-some-length" | base64 */
	credential = oicall_turn_credential(SECRET, "1800000060:alice");
	g_assert_cmpstr(credential, ==, "iGRdzuCLCsTvLefezzjNSYOhSHc=");
	g_free(credential);
}

static void test_ice_servers(void) {
	json_t *servers = oicall_ice_servers(SECRET,
		" turn:turn.example.com:3478?transport=udp, turn:turn.example.com:3478?transport=tcp,,turns:turn.example.com:443 ",
		60, "alice", NOW);
	g_assert_nonnull(servers);
	g_assert_cmpuint(json_array_size(servers), ==, 1);
	json_t *server = json_array_get(servers, 0);
	g_assert_cmpstr(json_string_value(json_object_get(server, "username")), ==, "1800000060:alice");
	g_assert_cmpstr(json_string_value(json_object_get(server, "credential")), ==, "iGRdzuCLCsTvLefezzjNSYOhSHc=");
	json_t *urls = json_object_get(server, "urls");
	g_assert_cmpuint(json_array_size(urls), ==, 3);
	g_assert_cmpstr(json_string_value(json_array_get(urls, 0)), ==, "turn:turn.example.com:3478?transport=udp");
	g_assert_cmpstr(json_string_value(json_array_get(urls, 2)), ==, "turns:turn.example.com:443");
	g_assert_cmpuint(json_object_size(server), ==, 3);
	json_decref(servers);
	/* A user id with colons stays whole after the expiry (coturn reads up to the first colon). */
	servers = oicall_ice_servers(SECRET, "turn:10.0.0.1", 3600, "user:42", NOW);
	g_assert_cmpstr(json_string_value(json_object_get(json_array_get(servers, 0), "username")), ==, "1800003600:user:42");
	json_decref(servers);
	/* Off without a secret or without URLs. */
	g_assert_null(oicall_ice_servers("", "turn:10.0.0.1", 60, "alice", NOW));
	g_assert_null(oicall_ice_servers(NULL, "turn:10.0.0.1", 60, "alice", NOW));
	g_assert_null(oicall_ice_servers(SECRET, "", 60, "alice", NOW));
	g_assert_null(oicall_ice_servers(SECRET, " , ", 60, "alice", NOW));
	g_assert_null(oicall_ice_servers(SECRET, "turn:10.0.0.1", 60, NULL, NOW));
}

static void test_urls_setting(void) {
	const char *good[] = { "", "turn:turn.example.com", "turn:10.0.0.1:3478?transport=udp",
		"turn:10.0.0.1:3478?transport=tcp, turns:turn.example.com:443?transport=tcp",
		"turns:turn.example.com:443", "turn:[2001:db8::1]:3478", "turn:[2001:db8::1]" };
	for(gsize i = 0; i < G_N_ELEMENTS(good); i++) {
		const char *why = NULL;
		g_assert_true(oicall_turn_urls_valid(good[i], &why));
		g_assert_null(why);
	}
	const char *bad[] = { "stun:stun.example.com", "http://turn.example.com", "turn:", "turn::3478",
		"turn:host:0", "turn:host:65536", "turn:host:34x", "turn:host:", "turns:host:443?transport=udp",
		"turn:host?transport=sctp", "turn:host?transport=udp&x=1", "turn:user@host", "turn:host/path",
		"turn:[2001:db8::1", "turn:a, turn:a", "turn: spaced host" };
	for(gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
		const char *why = NULL;
		g_assert_false(oicall_turn_urls_valid(bad[i], &why));
		g_assert_nonnull(why);
	}
}

/* The turn section of janus.plugin.oicall.jcfg: defaults, and bad values refused. */
static void test_settings(void) {
	oicall_plugin_config c = { 0 };
	oicall_settings_defaults(oicall_plugin_settings, oicall_plugin_settings_count, &c);
	g_assert_cmpstr(c.turn_secret, ==, "");
	g_assert_cmpstr(c.turn_urls, ==, "");
	g_assert_cmpuint(c.turn_lifetime, ==, 86400);
	const oicall_setting_spec *secret = oicall_settings_find(oicall_plugin_settings, oicall_plugin_settings_count,
		"turn", "secret");
	const oicall_setting_spec *urls = oicall_settings_find(oicall_plugin_settings, oicall_plugin_settings_count,
		"turn", "urls");
	const oicall_setting_spec *lifetime = oicall_settings_find(oicall_plugin_settings, oicall_plugin_settings_count,
		"turn", "lifetime");
	g_assert_true(secret != NULL && secret->secret);
	char *error = NULL;
	g_assert_false(oicall_settings_set(secret, &c, "short", &error));
	g_clear_pointer(&error, g_free);
	g_assert_cmpstr(c.turn_secret, ==, "");
	g_assert_true(oicall_settings_set(secret, &c, SECRET, &error));
	g_assert_false(oicall_settings_set(urls, &c, "stun:x", &error));
	g_assert_nonnull(strstr(error, "turn:HOST"));
	g_clear_pointer(&error, g_free);
	g_assert_true(oicall_settings_set(urls, &c, "turn:10.0.0.1:3478", &error));
	g_assert_false(oicall_settings_set(lifetime, &c, "59", &error));
	g_clear_pointer(&error, g_free);
	g_assert_false(oicall_settings_set(lifetime, &c, "604801", &error));
	g_clear_pointer(&error, g_free);
	g_assert_true(oicall_settings_set(lifetime, &c, "600", &error));
	g_assert_cmpuint(c.turn_lifetime, ==, 600);
	oicall_settings_clear(oicall_plugin_settings, oicall_plugin_settings_count, &c);
}

int main(int argc, char **argv) {
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/ice-servers/known-vectors", test_known_vectors);
	g_test_add_func("/ice-servers/ice-servers", test_ice_servers);
	g_test_add_func("/ice-servers/urls-setting", test_urls_setting);
	g_test_add_func("/ice-servers/settings", test_settings);
	return g_test_run();
}
