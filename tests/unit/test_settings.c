/* Settings tables: defaults, parsing, bounds and the per-option checks. */
#include <glib.h>
#include <string.h>

#include "../../common/settings.h"
#include "../../plugin/plugin_config.h"
#include "../../transport/transport_config.h"

static gboolean set(const oicall_setting_spec *specs, size_t count, void *target,
		const char *category, const char *name, const char *value) {
	const oicall_setting_spec *spec = oicall_settings_find(specs, count, category, name);
	g_assert_nonnull(spec);
	char *error = NULL;
	gboolean ok = oicall_settings_set(spec, target, value, &error);
	g_assert_true(ok == (error == NULL));
	if(error)
		g_assert_nonnull(strstr(error, name));
	g_free(error);
	return ok;
}

static void test_plugin_defaults(void) {
	oicall_plugin_config c = { 0 };
	oicall_settings_defaults(oicall_plugin_settings, oicall_plugin_settings_count, &c);
	g_assert_cmpuint(c.ring_timeout, ==, 60);
	g_assert_cmpuint(c.reconnect_grace, ==, 15);
	g_assert_cmpuint(c.media_timeout, ==, 20);
	g_assert_cmpstr(c.audio_codecs, ==, "opus");
	g_assert_cmpstr(c.video_codecs, ==, "vp8,vp9,h264");
	g_assert_cmpuint(c.max_bitrate, ==, 0);
	g_assert_true(c.events);
	oicall_settings_clear(oicall_plugin_settings, oicall_plugin_settings_count, &c);
	g_assert_null(c.audio_codecs);
}

static void test_transport_defaults(void) {
	sio_transport_config c = { 0 };
	oicall_settings_defaults(sio_transport_settings, sio_transport_settings_count, &c);
	g_assert_true(c.enabled);
	g_assert_cmpuint(c.port, ==, 8501);
	g_assert_cmpstr(c.path, ==, "/calls");
	g_assert_cmpstr(c.interface, ==, "");
	g_assert_cmpstr(c.plugin, ==, "janus.plugin.oicall");
	g_assert_false(c.tls);
	g_assert_cmpstr(c.allow_origins, ==, "*");
	g_assert_cmpuint(c.ping_interval, ==, 25000);
	g_assert_cmpuint(c.ping_timeout, ==, 20000);
	g_assert_cmpuint(c.max_payload, ==, 1000000);
	g_assert_cmpuint(c.max_connections, ==, 0);
	g_assert_cmpuint(c.max_per_address, ==, 50);
	g_assert_cmpstr(c.trusted_proxies, ==, "");
	g_assert_cmpuint(c.connect_timeout, ==, 45000);
	g_assert_cmpuint(c.events_per_second, ==, 50);
	g_assert_cmpstr(c.tls_min_version, ==, "1.2");
	g_assert_true(g_str_has_prefix(c.tls_ciphers, "ECDHE-"));
	g_assert_true(c.metrics);
	g_assert_cmpstr(c.metrics_path, ==, "/metrics");
	g_assert_cmpstr(c.health_path, ==, "/healthz");
	g_assert_cmpuint(c.metrics_port, ==, 0);
	g_assert_cmpstr(c.metrics_interface, ==, "");
	g_assert_cmpuint(c.plugin_timeout, ==, 2000);
	g_assert_cmpuint(c.drain_time, ==, 0);
	g_assert_null(sio_transport_config_clash(&c));
	oicall_settings_clear(sio_transport_settings, sio_transport_settings_count, &c);
}

static void expect_clash(sio_transport_config *c, const char *category, const char *name, const char *value,
		const char *why) {
	g_assert_true(set(sio_transport_settings, sio_transport_settings_count, c, category, name, value));
	char *clash = sio_transport_config_clash(c);
	g_assert_cmpstr(clash, ==, why);
	g_free(clash);
}

static void test_metrics_clashes(void) {
	sio_transport_config c = { 0 };
	oicall_settings_defaults(sio_transport_settings, sio_transport_settings_count, &c);
	expect_clash(&c, "metrics", "health_path", "/metrics", "metrics.path and metrics.health_path are the same path");
	expect_clash(&c, "metrics", "health_path", "/calls", "metrics.path and metrics.health_path must differ from general.path (/calls)");
	/* On a listener of their own, any path will do. */
	expect_clash(&c, "metrics", "port", "9100", NULL);
	expect_clash(&c, "metrics", "port", "8501", "metrics.port is general.port: set metrics.port = 0 to serve metrics on the Socket.IO port");
	expect_clash(&c, "metrics", "port", "0", "metrics.path and metrics.health_path must differ from general.path (/calls)");
	expect_clash(&c, "metrics", "health_path", "/health", NULL);
	expect_clash(&c, "metrics", "interface", "127.0.0.1",
		"metrics.interface needs metrics.port (0 serves metrics on the Socket.IO port and address)");
	expect_clash(&c, "metrics", "port", "9100", NULL);
	/* Off: nothing to clash. */
	expect_clash(&c, "metrics", "health_path", "/metrics", "metrics.path and metrics.health_path are the same path");
	expect_clash(&c, "metrics", "enabled", "false", NULL);
	oicall_settings_clear(sio_transport_settings, sio_transport_settings_count, &c);
}

static void test_uint_bounds(void) {
	const oicall_setting_spec *s = sio_transport_settings;
	size_t n = sio_transport_settings_count;
	sio_transport_config c = { 0 };
	oicall_settings_defaults(s, n, &c);
	g_assert_true(set(s, n, &c, "general", "port", "9000"));
	g_assert_cmpuint(c.port, ==, 9000);
	const char *bad[] = { "0", "65536", "-1", "+5", " 80", "80 ", "8o", "", "99999999999999999999999" };
	for(size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
		g_assert_false(set(s, n, &c, "general", "port", bad[i]));
		g_assert_cmpuint(c.port, ==, 9000);
	}
	oicall_settings_clear(s, n, &c);
}

static void test_bool(void) {
	const oicall_setting_spec *s = sio_transport_settings;
	size_t n = sio_transport_settings_count;
	sio_transport_config c = { 0 };
	oicall_settings_defaults(s, n, &c);
	g_assert_true(set(s, n, &c, "tls", "enabled", "YES"));
	g_assert_true(c.tls);
	g_assert_true(set(s, n, &c, "tls", "enabled", "off"));
	g_assert_false(c.tls);
	g_assert_false(set(s, n, &c, "tls", "enabled", "maybe"));
	g_assert_false(c.tls);
	oicall_settings_clear(s, n, &c);
}

static void test_string_checks(void) {
	const oicall_setting_spec *s = sio_transport_settings;
	size_t n = sio_transport_settings_count;
	sio_transport_config c = { 0 };
	oicall_settings_defaults(s, n, &c);
	g_assert_true(set(s, n, &c, "general", "path", "/socket.io"));
	const char *bad_paths[] = { "calls", "/", "/calls/", "/ca lls", "/calls?x=1", "" };
	for(size_t i = 0; i < G_N_ELEMENTS(bad_paths); i++)
		g_assert_false(set(s, n, &c, "general", "path", bad_paths[i]));
	g_assert_cmpstr(c.path, ==, "/socket.io");
	g_assert_false(set(s, n, &c, "general", "plugin", "echotest"));
	g_assert_true(set(s, n, &c, "general", "plugin", "janus.plugin.echotest"));
	oicall_settings_clear(s, n, &c);

	const oicall_setting_spec *p = oicall_plugin_settings;
	size_t pn = oicall_plugin_settings_count;
	oicall_plugin_config pc = { 0 };
	oicall_settings_defaults(p, pn, &pc);
	g_assert_true(set(p, pn, &pc, "general", "video_codecs", "h264, vp8"));
	g_assert_cmpstr(pc.video_codecs, ==, "h264, vp8");
	const char *bad_codecs[] = { "", "av1", "vp8,vp8", "vp8,,h264", "opus" };
	for(size_t i = 0; i < G_N_ELEMENTS(bad_codecs); i++)
		g_assert_false(set(p, pn, &pc, "general", "video_codecs", bad_codecs[i]));
	g_assert_cmpstr(pc.video_codecs, ==, "h264, vp8");
	g_assert_false(set(p, pn, &pc, "general", "audio_codecs", "pcmu"));
	oicall_settings_clear(p, pn, &pc);
}

static void test_unknown(void) {
	g_assert_null(oicall_settings_find(sio_transport_settings, sio_transport_settings_count, "general", "nope"));
	g_assert_null(oicall_settings_find(sio_transport_settings, sio_transport_settings_count, "tls", "port"));
	g_assert_true(oicall_settings_has_category(sio_transport_settings, sio_transport_settings_count, "cors"));
	g_assert_false(oicall_settings_has_category(oicall_plugin_settings, oicall_plugin_settings_count, "cors"));
}

static void test_null_value(void) {
	oicall_plugin_config c = { 0 };
	oicall_settings_defaults(oicall_plugin_settings, oicall_plugin_settings_count, &c);
	char *error = NULL;
	g_assert_false(oicall_settings_set(&oicall_plugin_settings[0], &c, NULL, &error));
	g_assert_nonnull(error);
	g_free(error);
	oicall_settings_clear(oicall_plugin_settings, oicall_plugin_settings_count, &c);
}

int main(int argc, char **argv) {
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/settings/plugin-defaults", test_plugin_defaults);
	g_test_add_func("/settings/transport-defaults", test_transport_defaults);
	g_test_add_func("/settings/metrics-clashes", test_metrics_clashes);
	g_test_add_func("/settings/uint-bounds", test_uint_bounds);
	g_test_add_func("/settings/bool", test_bool);
	g_test_add_func("/settings/string-checks", test_string_checks);
	g_test_add_func("/settings/unknown", test_unknown);
	g_test_add_func("/settings/null-value", test_null_value);
	return g_test_run();
}
