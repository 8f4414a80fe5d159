/* /metrics and /healthz: one question to the plugin per round, shared; answers, timeouts, 503s. */
#include <glib.h>
#include <string.h>

#include "../../common/prom.h"
#include "../../transport/sio_metrics.h"

typedef struct fake {
	GPtrArray *requests;        /* json_t * to the core */
	GString *answers;           /* "request status body|" */
	const char *unavailable;
} fake;

static void fake_janus(void *owner, json_t *request) {
	g_ptr_array_add(((fake *)owner)->requests, request);
}

static void fake_respond(void *owner, void *request, unsigned int status, const char *content_type, const char *body) {
	g_assert_true(g_str_has_prefix(content_type, "text/plain"));
	g_string_append_printf(((fake *)owner)->answers, "%s %u %s|", (const char *)request, status, body);
}

static json_t *fake_families(void *owner) {
	(void)owner;
	json_t *f = oicall_prom_family("oicall_socketio_sockets", "gauge", "Sockets.");
	oicall_prom_sample(f, 2, "transport", "polling", NULL);
	return json_pack("[o]", f);
}

static const char *fake_unavailable(void *owner) {
	return ((fake *)owner)->unavailable;
}

static const sio_metrics_ops ops = { fake_janus, fake_respond, fake_families, fake_unavailable };

static sio_transport_config config = { .plugin = "janus.plugin.oicall", .metrics = TRUE, .metrics_path = "/metrics",
	.health_path = "/healthz", .plugin_timeout = 2000 };

static const char *last_transaction(fake *f) {
	return json_string_value(json_object_get(g_ptr_array_index(f->requests, f->requests->len - 1), "transaction"));
}

static void janus(sio_metrics *m, fake *f, const char *text) {
	json_t *message = json_loads(text, 0, NULL);
	g_assert_nonnull(message);
	json_object_set_new(message, "transaction", json_string(last_transaction(f)));
	sio_metrics_janus(m, message);
	json_decref(message);
}

/* Session and handle made; the metrics question is the last request. */
static void ready(sio_metrics *m, fake *f) {
	janus(m, f, "{\"janus\":\"success\",\"data\":{\"id\":1}}");
	janus(m, f, "{\"janus\":\"success\",\"data\":{\"id\":2}}");
	g_assert_cmpuint(f->requests->len, ==, 3);
}

#define PLUGIN_ANSWER "{\"janus\":\"event\",\"plugindata\":{\"data\":{\"overloaded\":%s,\"metrics\":" \
	"[{\"name\":\"oicall_users_online\",\"type\":\"gauge\",\"help\":\"Users.\",\"samples\":[{\"value\":4}]}]}}}"

static void test_answers(void) {
	fake f = { g_ptr_array_new_with_free_func((GDestroyNotify)json_decref), g_string_new(NULL), NULL };
	sio_metrics *m = sio_metrics_new(&config, &ops, &f);
	g_assert_cmpint(sio_metrics_route(m, "/metrics"), ==, SIO_PAGE_METRICS);
	g_assert_cmpint(sio_metrics_route(m, "/healthz"), ==, SIO_PAGE_HEALTH);
	g_assert_cmpint(sio_metrics_route(m, "/metrics/x"), ==, SIO_PAGE_NONE);
	sio_metrics_request(m, "a", SIO_PAGE_METRICS, 0);
	sio_metrics_request(m, "b", SIO_PAGE_HEALTH, 1000);
	sio_metrics_request(m, "gone", SIO_PAGE_HEALTH, 1000);
	sio_metrics_forget(m, "gone");
	/* One question for all three. */
	g_assert_cmpuint(f.requests->len, ==, 1);
	ready(m, &f);
	char *answer = g_strdup_printf(PLUGIN_ANSWER, "false");
	janus(m, &f, answer);
	g_free(answer);
	g_assert_cmpstr(f.answers->str, ==, "a 200 "
		"# HELP oicall_socketio_sockets Sockets.\n# TYPE oicall_socketio_sockets gauge\n"
		"oicall_socketio_sockets{transport=\"polling\"} 2\n"
		"# HELP oicall_plugin_up Whether the plugin answered this scrape (its figures follow when it did).\n"
		"# TYPE oicall_plugin_up gauge\noicall_plugin_up 1\n"
		"# HELP oicall_users_online Users.\n# TYPE oicall_users_online gauge\noicall_users_online 4\n"
		"|b 200 ok\n|");
	/* Overloaded, then the transport shutting down. */
	g_string_truncate(f.answers, 0);
	sio_metrics_request(m, "c", SIO_PAGE_HEALTH, 5000);
	g_assert_cmpuint(f.requests->len, ==, 4);
	answer = g_strdup_printf(PLUGIN_ANSWER, "true");
	janus(m, &f, answer);
	/* The transport itself unavailable: no need to ask the plugin. */
	f.unavailable = "shutting down";
	sio_metrics_request(m, "d", SIO_PAGE_HEALTH, 6000);
	g_assert_cmpuint(f.requests->len, ==, 4);
	g_free(answer);
	g_assert_cmpstr(f.answers->str, ==, "c 503 plugin overloaded\n|d 503 shutting down\n|");
	sio_metrics_free(m);
	g_ptr_array_unref(f.requests);
	g_string_free(f.answers, TRUE);
}

static void test_plugin_silent(void) {
	fake f = { g_ptr_array_new_with_free_func((GDestroyNotify)json_decref), g_string_new(NULL), NULL };
	sio_metrics *m = sio_metrics_new(&config, &ops, &f);
	sio_metrics_request(m, "a", SIO_PAGE_HEALTH, 1000000);
	ready(m, &f);
	sio_metrics_request(m, "b", SIO_PAGE_METRICS, 1500000);
	sio_metrics_tick(m, 2999999);
	g_assert_cmpstr(f.answers->str, ==, "");
	sio_metrics_tick(m, 3000000);
	g_assert_true(g_str_has_prefix(f.answers->str, "a 503 plugin not answering\n|b 200 # HELP"));
	g_assert_nonnull(strstr(f.answers->str, "oicall_plugin_up 0\n|"));
	/* Its late answer changes nothing; the next question goes on the same session. */
	char *answer = g_strdup_printf(PLUGIN_ANSWER, "false");
	janus(m, &f, answer);
	g_string_truncate(f.answers, 0);
	sio_metrics_request(m, "c", SIO_PAGE_HEALTH, 4000000);
	g_assert_cmpuint(f.requests->len, ==, 4);
	janus(m, &f, answer);
	g_free(answer);
	g_assert_cmpstr(f.answers->str, ==, "c 200 ok\n|");
	/* A plugin whose figures can't be rendered: the page says so in a comment. */
	g_string_truncate(f.answers, 0);
	sio_metrics_request(m, "d", SIO_PAGE_METRICS, 5000000);
	janus(m, &f, "{\"janus\":\"event\",\"plugindata\":{\"data\":{\"metrics\":[{\"name\":\"bad name\"}]}}}");
	g_assert_true(g_str_has_suffix(f.answers->str, "oicall_plugin_up 1\n"
		"# some metrics left out: a metric family without a valid name\n|"));
	sio_metrics_free(m);
	g_ptr_array_unref(f.requests);
	g_string_free(f.answers, TRUE);
}

int main(int argc, char **argv) {
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/sio-metrics/answers", test_answers);
	g_test_add_func("/sio-metrics/plugin-silent", test_plugin_silent);
	return g_test_run();
}
