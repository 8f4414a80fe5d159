/* The transport's own Janus session to the plugin: create, attach, ask, and starting over. */
#include <glib.h>
#include <string.h>

#include "../../transport/plugin_probe.h"

/* The request's verb and transaction, checked and returned (owned by request). */
static const char *expect(json_t *request, const char *verb, guint64 session, guint64 handle) {
	g_assert_nonnull(request);
	g_assert_cmpstr(json_string_value(json_object_get(request, "janus")), ==, verb);
	g_assert_cmpuint((guint64)json_integer_value(json_object_get(request, "session_id")), ==, session);
	g_assert_cmpuint((guint64)json_integer_value(json_object_get(request, "handle_id")), ==, handle);
	return json_string_value(json_object_get(request, "transaction"));
}

static sio_probe_result reply(sio_probe *probe, const char *text, const char *transaction, json_t **out) {
	json_t *message = json_loads(text, 0, NULL);
	g_assert_nonnull(message);
	json_object_set_new(message, "transaction", json_string(transaction));
	sio_probe_result result = sio_probe_janus(probe, message, out);
	json_decref(message);
	return result;
}

/* Takes the probe from a question to a ready session 7/8; returns the message request. */
static json_t *connect(sio_probe *probe, json_t *create) {
	json_t *next = NULL;
	g_assert_cmpint(reply(probe, "{\"janus\":\"success\",\"data\":{\"id\":7}}", expect(create, "create", 0, 0), &next),
		==, SIO_PROBE_SEND);
	json_decref(create);
	g_assert_cmpstr(json_string_value(json_object_get(next, "plugin")), ==, "janus.plugin.oicall");
	json_t *message = NULL;
	g_assert_cmpint(reply(probe, "{\"janus\":\"success\",\"data\":{\"id\":8}}", expect(next, "attach", 7, 0), &message),
		==, SIO_PROBE_SEND);
	json_decref(next);
	expect(message, "message", 7, 8);
	g_assert_cmpstr(json_string_value(json_object_get(json_object_get(message, "body"), "request")), ==, "metrics");
	return message;
}

static void test_ask_and_answer(void) {
	sio_probe *probe = sio_probe_new("janus.plugin.oicall");
	json_t *message = connect(probe, sio_probe_ask(probe));
	const char *tx = expect(message, "message", 7, 8);
	/* Its interim ack can be dropped by Janus's threads: the transaction says so. */
	g_assert_true(g_str_has_prefix(tx, "sio-a-"));
	/* One question at a time. */
	g_assert_null(sio_probe_ask(probe));
	json_t *out = NULL;
	g_assert_cmpint(reply(probe, "{\"janus\":\"ack\"}", tx, &out), ==, SIO_PROBE_IGNORED);
	g_assert_cmpint(reply(probe, "{\"janus\":\"event\",\"plugindata\":{\"data\":{\"overloaded\":false}}}", "other", &out),
		==, SIO_PROBE_IGNORED);
	g_assert_cmpint(reply(probe, "{\"janus\":\"event\",\"plugindata\":{\"data\":{\"overloaded\":false}}}", tx, &out),
		==, SIO_PROBE_ANSWER);
	g_assert_true(json_is_false(json_object_get(out, "overloaded")));
	json_decref(out);
	json_decref(message);
	/* The next question goes straight to the plugin. */
	message = sio_probe_ask(probe);
	tx = expect(message, "message", 7, 8);
	/* A plugin that refuses the request: the question failed. */
	g_assert_cmpint(reply(probe, "{\"janus\":\"event\",\"plugindata\":{\"data\":{\"error\":\"Unknown request\"}}}", tx, &out),
		==, SIO_PROBE_FAILED);
	g_assert_null(out);
	json_decref(message);
	sio_probe_free(probe);
}

static void test_session_gone(void) {
	sio_probe *probe = sio_probe_new("janus.plugin.oicall");
	json_decref(connect(probe, sio_probe_ask(probe)));
	sio_probe_abandon(probe);
	/* Janus dropped it between questions: the next one makes a new session. */
	sio_probe_session_over(probe, 99);
	json_t *message = sio_probe_ask(probe);
	expect(message, "message", 7, 8);
	json_decref(message);
	sio_probe_abandon(probe);
	sio_probe_session_over(probe, 7);
	json_decref(connect(probe, sio_probe_ask(probe)));
	sio_probe_free(probe);
}

static void test_error_starts_over_once(void) {
	sio_probe *probe = sio_probe_new("janus.plugin.oicall");
	json_t *message = connect(probe, sio_probe_ask(probe));
	json_t *out = NULL;
	/* The session timed out unnoticed: one new session for this question. */
	g_assert_cmpint(reply(probe, "{\"janus\":\"error\",\"error\":{\"code\":458}}", expect(message, "message", 7, 8), &out),
		==, SIO_PROBE_SEND);
	json_decref(message);
	json_t *create = out;
	g_assert_cmpint(reply(probe, "{\"janus\":\"error\",\"error\":{\"code\":490}}", expect(create, "create", 0, 0), &out),
		==, SIO_PROBE_FAILED);
	json_decref(create);
	/* No plugin of that name: attach fails, twice, and the question with it. */
	json_t *next = NULL;
	create = sio_probe_ask(probe);
	g_assert_cmpint(reply(probe, "{\"janus\":\"success\",\"data\":{\"id\":5}}", expect(create, "create", 0, 0), &next),
		==, SIO_PROBE_SEND);
	json_decref(create);
	g_assert_cmpint(reply(probe, "{\"janus\":\"error\",\"error\":{\"code\":460}}", expect(next, "attach", 5, 0), &out),
		==, SIO_PROBE_SEND);
	json_decref(next);
	g_assert_cmpint(reply(probe, "{\"janus\":\"success\",\"data\":{}}", expect(out, "create", 0, 0), &next),
		==, SIO_PROBE_FAILED);
	json_decref(out);
	g_assert_null(next);
	sio_probe_free(probe);
}

int main(int argc, char **argv) {
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/plugin-probe/ask-and-answer", test_ask_and_answer);
	g_test_add_func("/plugin-probe/session-gone", test_session_gone);
	g_test_add_func("/plugin-probe/error-starts-over-once", test_error_starts_over_once);
	return g_test_run();
}
