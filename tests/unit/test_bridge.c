/* The Socket.IO event ⇄ Janus message map. */
#include <glib.h>
#include <string.h>

#include "../../transport/bridge.h"

static json_t *parse(const char *text) {
	json_error_t error;
	json_t *json = json_loads(text, JSON_DECODE_ANY, &error);
	g_assert_nonnull(json);
	return json;
}

/* Compares JSON values structurally. */
static void assert_json(json_t *actual, const char *expected_text) {
	json_t *expected = parse(expected_text);
	if(!json_equal(actual, expected)) {
		char *a = json_dumps(actual, JSON_SORT_KEYS | JSON_ENCODE_ANY);
		g_error("got %s, expected %s", a, expected_text);
	}
	json_decref(expected);
}

static json_t *request_as(const char *event, const char *payload_text, const sio_connection_auth *auth,
		const char **error) {
	json_t *payload = payload_text ? parse(payload_text) : NULL;
	json_t *request = sio_bridge_request(sio_bridge_route(event), event, payload, 11, 22, "t1", auth, error);
	json_decref(payload);
	return request;
}

static json_t *request_for(const char *event, const char *payload_text, const char **error) {
	static const sio_connection_auth anonymous = { NULL, NULL };
	return request_as(event, payload_text, &anonymous, error);
}

/* Only the transport asks the plugin for its figures; a client is told there is no such request. */
static void test_metrics_not_for_clients(void) {
	const char *error = NULL;
	g_assert_null(request_for("metrics", "{}", &error));
	g_assert_cmpstr(error, ==, "Unknown request");
	error = NULL;
	g_assert_null(request_for("metrics", "\"x\"", &error));
	g_assert_cmpstr(error, ==, "Unknown request");
}

static void test_connection_auth(void) {
	const char *error = NULL;
	const sio_connection_auth auth = { "alice", "alice:99:sig" };
	/* register carries the connection's token and proven user, over what the client sent. */
	json_t *r = request_as("register", "{\"userId\":\"alice\",\"token\":\"mine\",\"authUserId\":\"bob\"}", &auth, &error);
	assert_json(json_object_get(r, "body"), "{\"request\":\"register\",\"userId\":\"alice\",\"token\":\"alice:99:sig\","
		"\"authUserId\":\"alice\",\"janusSessionId\":11,\"janusHandleId\":22}");
	json_decref(r);
	/* Other requests get the proven user only: the token stays with register. */
	r = request_as("end-call", "{\"callId\":\"c\"}", &auth, &error);
	assert_json(json_object_get(r, "body"), "{\"request\":\"end-call\",\"callId\":\"c\",\"authUserId\":\"alice\"}");
	json_decref(r);
	/* Without a CONNECT token, a client's own token goes to the plugin to check. */
	const sio_connection_auth none = { NULL, NULL };
	r = request_as("register", "{\"userId\":\"alice\",\"token\":\"mine\"}", &none, &error);
	g_assert_cmpstr(json_string_value(json_object_get(json_object_get(r, "body"), "token")), ==, "mine");
	g_assert_null(json_object_get(json_object_get(r, "body"), "authUserId"));
	json_decref(r);
}

static void test_routes(void) {
	g_assert_cmpint(sio_bridge_route("ice-candidate")->kind, ==, SIO_ROUTE_TRICKLE);
	g_assert_cmpstr(sio_bridge_route("register")->scalar_field, ==, "userId");
	g_assert_cmpint(sio_bridge_route("start-call")->kind, ==, SIO_ROUTE_MESSAGE);
	g_assert_cmpstr(sio_bridge_route("anything")->scalar_field, ==, "value");
}

static void test_janus_verbs(void) {
	json_t *r = sio_bridge_janus("create", 0, 0, "t");
	assert_json(r, "{\"janus\":\"create\",\"transaction\":\"t\"}");
	json_decref(r);
	r = sio_bridge_janus("attach", 5, 0, "t");
	assert_json(r, "{\"janus\":\"attach\",\"transaction\":\"t\",\"session_id\":5}");
	json_decref(r);
}

static void test_message_requests(void) {
	const char *error = NULL;
	json_t *r = request_for("register", "\"42\"", &error);
	assert_json(r, "{\"janus\":\"message\",\"transaction\":\"t1\",\"session_id\":11,\"handle_id\":22,"
		"\"body\":{\"request\":\"register\",\"userId\":\"42\",\"janusSessionId\":11,\"janusHandleId\":22}}");
	json_decref(r);
	/* The transport's word on the ids, not the client's. */
	r = request_for("register", "{\"userId\":42,\"janusSessionId\":1,\"janusHandleId\":2}", &error);
	assert_json(json_object_get(r, "body"), "{\"request\":\"register\",\"userId\":42,\"janusSessionId\":11,\"janusHandleId\":22}");
	json_decref(r);
	/* An object payload is spread into the body; "request" can't be overridden. */
	r = request_for("start-call", "{\"toUserId\":\"b\",\"callType\":\"video\",\"request\":\"evil\"}", &error);
	assert_json(json_object_get(r, "body"), "{\"request\":\"start-call\",\"toUserId\":\"b\",\"callType\":\"video\"}");
	g_assert_null(json_object_get(r, "jsep"));
	json_decref(r);
	/* jsep travels as the message's jsep... */
	r = request_for("ice-restart", "{\"toUserId\":\"b\",\"jsep\":{\"type\":\"offer\",\"sdp\":\"v=0\"}}", &error);
	assert_json(json_object_get(r, "body"), "{\"request\":\"ice-restart\",\"toUserId\":\"b\"}");
	assert_json(json_object_get(r, "jsep"), "{\"type\":\"offer\",\"sdp\":\"v=0\"}");
	json_decref(r);
	/* ...except on gated routes: start-call and accept-call ask the plugin
	 * first, the jsep in the body; a client's own jsepGate never goes through. */
	r = request_for("start-call", "{\"toUserId\":\"b\",\"jsepGate\":{\"callId\":\"x\"},\"jsep\":{\"type\":\"offer\",\"sdp\":\"v=0\"}}", &error);
	assert_json(json_object_get(r, "body"), "{\"request\":\"start-call\",\"toUserId\":\"b\",\"jsepGate\":{\"type\":\"offer\",\"sdp\":\"v=0\"}}");
	g_assert_null(json_object_get(r, "jsep"));
	json_t *yes = json_loads("{\"jsepGate\":{\"callId\":\"c1\"}}", 0, NULL);
	g_assert_cmpstr(sio_bridge_gate_proceed(yes), ==, "c1");
	json_t *real = sio_bridge_gated(r, sio_bridge_gate_proceed(yes), "t2");
	assert_json(json_object_get(real, "body"), "{\"request\":\"start-call\",\"toUserId\":\"b\",\"callId\":\"c1\"}");
	assert_json(json_object_get(real, "jsep"), "{\"type\":\"offer\",\"sdp\":\"v=0\"}");
	g_assert_cmpstr(json_string_value(json_object_get(real, "transaction")), ==, "t2");
	g_assert_nonnull(json_object_get(json_object_get(r, "body"), "jsepGate"));    /* the gate request is left as it was */
	json_decref(real);
	json_decref(yes);
	json_decref(r);
	/* Anything else is the plugin's answer, not a yes. */
	const char *answers[] = { "{\"callId\":\"c1\"}", "{\"error\":\"busy\",\"jsepGate\":{\"callId\":\"c1\"}}",
		"{\"jsepGate\":{\"callId\":5}}", "{\"jsepGate\":true}" };
	for(gsize i = 0; i < G_N_ELEMENTS(answers); i++) {
		json_t *a = json_loads(answers[i], 0, NULL);
		g_assert_null(sio_bridge_gate_proceed(a));
		json_decref(a);
	}
	/* Without a jsep there is nothing to gate. */
	r = request_for("accept-call", "{\"callId\":\"c1\"}", &error);
	assert_json(json_object_get(r, "body"), "{\"request\":\"accept-call\",\"callId\":\"c1\"}");
	json_decref(r);
	r = request_for("end-call", NULL, &error);
	assert_json(json_object_get(r, "body"), "{\"request\":\"end-call\"}");
	json_decref(r);
	r = request_for("end-call", "[1,2]", &error);
	assert_json(json_object_get(r, "body"), "{\"request\":\"end-call\",\"value\":[1,2]}");
	json_decref(r);
	r = request_for("end-call", "null", &error);
	assert_json(json_object_get(r, "body"), "{\"request\":\"end-call\",\"value\":null}");
	json_decref(r);
}

static json_t *gateway_candidate(const char *candidate, const char *call_id, const char *transport_id) {
	json_t *c = json_loads(candidate, 0, NULL);
	g_assert_nonnull(c);
	json_t *payload = sio_bridge_gateway_candidate(c, call_id, transport_id);
	json_decref(c);
	return payload;
}

static void test_gateway_candidates(void) {
	json_t *p = gateway_candidate("{\"sdpMid\":\"0\",\"sdpMLineIndex\":0,\"candidate\":\"candidate:x\",\"extra\":1}", "c", NULL);
	assert_json(p, "{\"callId\":\"c\",\"candidate\":{\"candidate\":\"candidate:x\",\"sdpMid\":\"0\",\"sdpMLineIndex\":0}}");
	json_decref(p);
	p = gateway_candidate("{\"candidate\":\"candidate:x\",\"sdpMid\":5,\"sdpMLineIndex\":\"0\"}", "c", "t");
	assert_json(p, "{\"callId\":\"c\",\"transportId\":\"t\",\"candidate\":{\"candidate\":\"candidate:x\"}}");
	json_decref(p);
	p = gateway_candidate("{\"completed\":true}", "c", NULL);
	assert_json(p, "{\"callId\":\"c\",\"candidate\":null}");
	json_decref(p);
	const char *nothing[] = { "{}", "{\"candidate\":3}", "{\"completed\":false}", "[]" };
	for(gsize i = 0; i < G_N_ELEMENTS(nothing); i++)
		g_assert_null(gateway_candidate(nothing[i], "c", NULL));
	g_assert_null(gateway_candidate("{\"completed\":true}", NULL, NULL));
}

static void test_trickle_requests(void) {
	const char *error = NULL;
	json_t *r = request_for("ice-candidate",
		"{\"callId\":\"c\",\"candidate\":{\"candidate\":\"candidate:1 1 udp 1 10.0.0.1 9 typ host\",\"sdpMid\":\"0\"}}", &error);
	assert_json(r, "{\"janus\":\"trickle\",\"transaction\":\"t1\",\"session_id\":11,\"handle_id\":22,"
		"\"candidate\":{\"candidate\":\"candidate:1 1 udp 1 10.0.0.1 9 typ host\",\"sdpMid\":\"0\"}}");
	json_decref(r);
	r = request_for("ice-candidate", "{\"callId\":\"c\",\"candidate\":null}", &error);
	assert_json(json_object_get(r, "candidate"), "{\"completed\":true}");
	json_decref(r);
	r = request_for("ice-candidate", "{\"candidate\":{\"candidate\":\"\"}}", &error);
	assert_json(json_object_get(r, "candidate"), "{\"completed\":true}");
	json_decref(r);
	/* Only what the core reads goes on. */
	r = request_for("ice-candidate", "{\"candidate\":{\"candidate\":\"candidate:x\",\"sdpMLineIndex\":1,\"usernameFragment\":\"u\","
		"\"sdpMid\":null}}", &error);
	assert_json(json_object_get(r, "candidate"), "{\"candidate\":\"candidate:x\",\"sdpMLineIndex\":1}");
	json_decref(r);
	static const struct { const char *payload, *error; } bad[] = {
		{ "{\"callId\":\"c\"}", "Missing candidate" },
		{ "\"x\"", "Missing candidate" },
		{ "{\"candidate\":7}", "candidate must be an object (RTCIceCandidateInit) or null" },
		{ "{\"candidate\":{\"candidate\":5}}", "candidate.candidate must be a string" },
		{ "{\"candidate\":{\"candidate\":\"garbage\",\"sdpMid\":\"0\"}}", "candidate.candidate must be one ICE candidate line (\"candidate:...\")" },
		{ "{\"candidate\":{\"candidate\":\"candidate:1\\r\\na=x\",\"sdpMid\":\"0\"}}", "candidate.candidate must be one ICE candidate line (\"candidate:...\")" },
		{ "{\"candidate\":{\"candidate\":\"candidate:1\",\"sdpMid\":0}}", "candidate.sdpMid must be a string of at most 32 characters" },
		{ "{\"candidate\":{\"candidate\":\"candidate:1\",\"sdpMLineIndex\":-1}}", "candidate.sdpMLineIndex must be a number from 0 to 255" },
		{ "{\"candidate\":{\"candidate\":\"candidate:1\",\"sdpMLineIndex\":\"0\"}}", "candidate.sdpMLineIndex must be a number from 0 to 255" },
		{ "{\"candidate\":{\"candidate\":\"candidate:1\"}}", "candidate needs an sdpMid or an sdpMLineIndex" },
	};
	for(gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
		error = NULL;
		g_assert_null(request_for("ice-candidate", bad[i].payload, &error));
		g_assert_cmpstr(error, ==, bad[i].error);
	}
	GString *longest = g_string_new("{\"candidate\":{\"sdpMid\":\"0\",\"candidate\":\"candidate:");
	for(int i = 0; i < SIO_MAX_CANDIDATE_LEN; i++)
		g_string_append_c(longest, 'x');
	g_string_append(longest, "\"}}");
	error = NULL;
	g_assert_null(request_for("ice-candidate", longest->str, &error));
	g_assert_nonnull(error);
	g_string_free(longest, TRUE);
	error = NULL;
	g_assert_null(request_for("ice-candidate", NULL, &error));
	g_assert_nonnull(error);
}

static json_t *reply(const char *message_text, sio_route_kind kind, sio_reply *status) {
	json_t *message = parse(message_text);
	json_t *ack = NULL;
	*status = sio_bridge_reply(message, kind, &ack);
	json_decref(message);
	return ack;
}

static void test_replies(void) {
	sio_reply status;
	json_t *ack = reply("{\"janus\":\"ack\",\"transaction\":\"t\"}", SIO_ROUTE_MESSAGE, &status);
	g_assert_cmpint(status, ==, SIO_REPLY_WAIT);
	g_assert_null(ack);
	ack = reply("{\"janus\":\"ack\",\"transaction\":\"t\"}", SIO_ROUTE_TRICKLE, &status);
	g_assert_cmpint(status, ==, SIO_REPLY_DONE);
	assert_json(ack, "{\"success\":true}");
	json_decref(ack);
	ack = reply("{\"janus\":\"error\",\"error\":{\"code\":458,\"reason\":\"No such session\"}}", SIO_ROUTE_MESSAGE, &status);
	assert_json(ack, "{\"error\":\"No such session\"}");
	json_decref(ack);
	ack = reply("{\"janus\":\"success\",\"plugindata\":{\"plugin\":\"p\",\"data\":{\"success\":true}}}", SIO_ROUTE_MESSAGE, &status);
	assert_json(ack, "{\"success\":true}");
	json_decref(ack);
	ack = reply("{\"janus\":\"event\",\"plugindata\":{\"plugin\":\"p\",\"data\":{\"error\":\"Socket not registered\","
		"\"error_code\":491}}}", SIO_ROUTE_MESSAGE, &status);
	assert_json(ack, "{\"error\":\"Socket not registered\"}");
	json_decref(ack);
	ack = reply("{\"janus\":\"event\",\"plugindata\":{\"plugin\":\"p\",\"data\":{\"callId\":\"c\",\"error_code\":1}},"
		"\"jsep\":{\"type\":\"answer\",\"sdp\":\"v=0\"}}", SIO_ROUTE_MESSAGE, &status);
	assert_json(ack, "{\"callId\":\"c\",\"error_code\":1,\"jsep\":{\"type\":\"answer\",\"sdp\":\"v=0\"}}");
	json_decref(ack);
	ack = reply("{\"transaction\":\"t\"}", SIO_ROUTE_MESSAGE, &status);
	g_assert_nonnull(json_object_get(ack, "error"));
	json_decref(ack);
	ack = reply("{\"janus\":\"success\"}", SIO_ROUTE_MESSAGE, &status);
	assert_json(ack, "{\"success\":true}");
	json_decref(ack);
}

static gboolean interim(const char *text) {
	json_t *message = parse(text);
	gboolean result = sio_bridge_interim_ack(message);
	json_decref(message);
	return result;
}

static void test_interim_acks(void) {
	g_assert_true(interim("{\"janus\":\"ack\",\"transaction\":\"" SIO_BRIDGE_ANSWER_FOLLOWS "-7\"}"));
	/* The answer itself, acks to other requests (trickle, keepalive), and junk stay. */
	g_assert_false(interim("{\"janus\":\"event\",\"transaction\":\"" SIO_BRIDGE_ANSWER_FOLLOWS "-7\"}"));
	g_assert_false(interim("{\"janus\":\"success\",\"transaction\":\"" SIO_BRIDGE_ANSWER_FOLLOWS "-7\"}"));
	g_assert_false(interim("{\"janus\":\"ack\",\"transaction\":\"sio-7\"}"));
	g_assert_false(interim("{\"janus\":\"ack\"}"));
	g_assert_false(interim("{\"janus\":\"ack\",\"transaction\":7}"));
	g_assert_false(interim("{\"transaction\":\"" SIO_BRIDGE_ANSWER_FOLLOWS "-7\"}"));
}

static char *event(const char *message_text, json_t **payload) {
	json_t *message = parse(message_text);
	*payload = NULL;
	char *name = sio_bridge_event(message, payload);
	json_decref(message);
	return name;
}

static void test_events(void) {
	json_t *payload;
	char *name = event("{\"janus\":\"event\",\"sender\":1,\"plugindata\":{\"plugin\":\"p\",\"data\":{\"event\":\"incoming-call\","
		"\"callId\":\"c\"}},\"jsep\":{\"type\":\"offer\",\"sdp\":\"v=0\"}}", &payload);
	g_assert_cmpstr(name, ==, "incoming-call");
	assert_json(payload, "{\"callId\":\"c\",\"jsep\":{\"type\":\"offer\",\"sdp\":\"v=0\"}}");
	g_free(name);
	json_decref(payload);
	const char *silent[] = {
		"{\"janus\":\"event\",\"plugindata\":{\"data\":{\"echotest\":\"event\"}}}",
		"{\"janus\":\"event\",\"plugindata\":{\"data\":{\"event\":\"disconnect\"}}}",
		"{\"janus\":\"event\",\"plugindata\":{\"data\":{\"event\":\"\"}}}",
		"{\"janus\":\"event\",\"plugindata\":{\"data\":{\"event\":5}}}",
		"{\"janus\":\"webrtcup\",\"sender\":1}",
		"{\"janus\":\"hangup\",\"sender\":1}",
		"{\"janus\":\"trickle\",\"sender\":1}",
		"{\"nothing\":1}",
	};
	for(gsize i = 0; i < G_N_ELEMENTS(silent); i++) {
		g_assert_null(event(silent[i], &payload));
		g_assert_null(payload);
	}
	g_assert_true(sio_bridge_event_reserved("connect_error"));
	g_assert_false(sio_bridge_event_reserved("call-ended"));
}

int main(int argc, char **argv) {
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/bridge/routes", test_routes);
	g_test_add_func("/bridge/metrics-not-for-clients", test_metrics_not_for_clients);
	g_test_add_func("/bridge/janus-verbs", test_janus_verbs);
	g_test_add_func("/bridge/message-requests", test_message_requests);
	g_test_add_func("/bridge/trickle-requests", test_trickle_requests);
	g_test_add_func("/bridge/gateway-candidates", test_gateway_candidates);
	g_test_add_func("/bridge/replies", test_replies);
	g_test_add_func("/bridge/events", test_events);
	g_test_add_func("/bridge/interim-acks", test_interim_acks);
	g_test_add_func("/bridge/connection-auth", test_connection_auth);
	return g_test_run();
}
