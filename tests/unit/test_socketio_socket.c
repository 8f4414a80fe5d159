/* One Socket.IO connection bridged to a Janus session, driven without Janus. */
#include <glib.h>
#include <string.h>

#include "../../common/auth_token.h"
#include "../../transport/socketio_socket.h"

typedef struct fake {
	GPtrArray *sent;            /* char * packets to the client */
	GPtrArray *requests;        /* json_t * Janus requests */
	GPtrArray *admin;           /* json_t * Admin API requests */
	char *keepalives;           /* the reason given when set_session_timeout was refused */
	int closes;
	int refusals;
	gboolean told_client;
	char *close_reason;
	GString *acks;              /* "event:error;" per ack counted */
} fake;

static void fake_send(void *owner, char *packet) {
	g_ptr_array_add(((fake *)owner)->sent, packet);
}

static void fake_janus(void *owner, json_t *request) {
	g_ptr_array_add(((fake *)owner)->requests, request);
}

static void fake_admin(void *owner, json_t *request) {
	g_ptr_array_add(((fake *)owner)->admin, request);
}

static void fake_keepalives(void *owner, const char *reason) {
	fake *f = owner;
	g_free(f->keepalives);
	f->keepalives = g_strdup(reason ? reason : "(none)");
}

static void fake_close(void *owner, gboolean tell_client, const char *reason) {
	fake *f = owner;
	f->closes++;
	f->told_client = tell_client;
	g_free(f->close_reason);
	f->close_reason = g_strdup(reason);
}

static void fake_refused(void *owner) {
	((fake *)owner)->refusals++;
}

static void fake_acked(void *owner, const char *event, const char *error) {
	g_string_append_printf(((fake *)owner)->acks, "%s:%s;", event ? event : "?", error ? error : "");
}

static const sio_socket_ops ops = { fake_send, fake_janus, fake_admin, fake_close, fake_refused, fake_acked,
	fake_keepalives };

static void fake_init(fake *f) {
	f->sent = g_ptr_array_new_with_free_func(g_free);
	f->requests = g_ptr_array_new_with_free_func((GDestroyNotify)json_decref);
	f->admin = g_ptr_array_new_with_free_func((GDestroyNotify)json_decref);
	f->keepalives = NULL;
	f->closes = 0;
	f->refusals = 0;
	f->close_reason = NULL;
	f->acks = g_string_new(NULL);
}

static void fake_clear(fake *f) {
	g_ptr_array_unref(f->sent);
	g_ptr_array_unref(f->requests);
	g_ptr_array_unref(f->admin);
	g_free(f->keepalives);
	g_free(f->close_reason);
	g_string_free(f->acks, TRUE);
}

static void receive(sio_socket *s, const char *text) {
	sio_socket_receive(s, text, strlen(text));
}

static void janus(sio_socket *s, const char *format, ...) G_GNUC_PRINTF(2, 3);
static void janus(sio_socket *s, const char *format, ...) {
	va_list args;
	va_start(args, format);
	char *text = g_strdup_vprintf(format, args);
	va_end(args);
	json_error_t error;
	json_t *message = json_loads(text, 0, &error);
	g_assert_nonnull(message);
	sio_socket_janus_message(s, message);
	json_decref(message);
	g_free(text);
}

static json_t *last_request(fake *f) {
	g_assert_cmpuint(f->requests->len, >, 0);
	return g_ptr_array_index(f->requests, f->requests->len - 1);
}

static const char *transaction_of(json_t *request) {
	return json_string_value(json_object_get(request, "transaction"));
}

static const char *last_sent(fake *f) {
	g_assert_cmpuint(f->sent->len, >, 0);
	return g_ptr_array_index(f->sent, f->sent->len - 1);
}

static const char *verb_of(json_t *request) {
	return json_string_value(json_object_get(request, "janus"));
}

/* CONNECT → create → attach (and set_session_timeout beside it, left unanswered) → "0{sid}" */
static sio_socket *connected_socket_timeout_unanswered(fake *f) {
	fake_init(f);
	sio_socket *s = sio_socket_new(&ops, f, "janus.plugin.oicall", NULL);
	receive(s, "0");
	json_t *create = last_request(f);
	g_assert_cmpstr(json_string_value(json_object_get(create, "janus")), ==, "create");
	janus(s, "{\"janus\":\"success\",\"transaction\":\"%s\",\"data\":{\"id\":111}}", transaction_of(create));
	json_t *attach = last_request(f);
	g_assert_cmpstr(json_string_value(json_object_get(attach, "janus")), ==, "attach");
	g_assert_cmpuint(f->admin->len, ==, 1);
	g_assert_cmpstr(json_string_value(json_object_get(attach, "plugin")), ==, "janus.plugin.oicall");
	g_assert_cmpint(json_integer_value(json_object_get(attach, "session_id")), ==, 111);
	g_assert_cmpuint(f->sent->len, ==, 0);
	janus(s, "{\"janus\":\"success\",\"transaction\":\"%s\",\"data\":{\"id\":222}}", transaction_of(attach));
	g_assert_cmpint(s->state, ==, SIO_SOCKET_CONNECTED);
	char *expected = g_strdup_printf("0{\"sid\":\"%s\"}", s->sid);
	g_assert_cmpstr(last_sent(f), ==, expected);
	g_free(expected);
	return s;
}

/* ... and the session's timeout off. */
static sio_socket *connected_socket(fake *f) {
	sio_socket *s = connected_socket_timeout_unanswered(f);
	janus(s, "{\"janus\":\"success\",\"transaction\":\"%s\",\"session_id\":111,\"timeout\":0}",
		transaction_of(g_ptr_array_index(f->admin, 0)));
	g_assert_true(s->timeout_off);
	return s;
}

static void done(sio_socket *s, fake *f) {
	sio_socket_free(s);
	fake_clear(f);
}

static void test_connect(void) {
	fake f;
	sio_socket *s = connected_socket(&f);
	g_assert_cmpuint(s->session_id, ==, 111);
	g_assert_cmpuint(s->handle_id, ==, 222);
	/* A repeated CONNECT changes nothing. */
	guint requests = f.requests->len;
	receive(s, "0");
	g_assert_cmpuint(f.requests->len, ==, requests);
	done(s, &f);
}

static void test_connect_auth_and_namespace(void) {
	fake f;
	fake_init(&f);
	sio_socket *s = sio_socket_new(&ops, &f, "p", NULL);
	receive(s, "0/admin,");
	g_assert_cmpstr(last_sent(&f), ==, "4/admin,{\"message\":\"Invalid namespace\"}");
	g_assert_cmpint(s->state, ==, SIO_SOCKET_NEW);
	receive(s, "0[1]");
	g_assert_true(g_str_has_prefix(last_sent(&f), "4{\"message\":\"Invalid CONNECT payload"));
	receive(s, "0{\"token\":\"abc\"}");
	g_assert_cmpint(s->state, ==, SIO_SOCKET_CONNECTING);
	g_assert_cmpstr(json_string_value(json_object_get(s->auth, "token")), ==, "abc");
	done(s, &f);
}

static void test_setup_failures(void) {
	fake f;
	fake_init(&f);
	sio_socket *s = sio_socket_new(&ops, &f, "p", NULL);
	receive(s, "0");
	janus(s, "{\"janus\":\"error\",\"transaction\":\"%s\",\"error\":{\"code\":490,\"reason\":\"nope\"}}",
		transaction_of(last_request(&f)));
	g_assert_cmpstr(last_sent(&f), ==, "4{\"message\":\"Cannot create a session: nope\"}");
	g_assert_cmpint(s->state, ==, SIO_SOCKET_NEW);
	/* It can try again; an attach failure destroys the session it made. */
	receive(s, "0");
	janus(s, "{\"janus\":\"success\",\"transaction\":\"%s\",\"data\":{\"id\":5}}", transaction_of(last_request(&f)));
	janus(s, "{\"janus\":\"error\",\"transaction\":\"%s\",\"error\":{\"code\":460,\"reason\":\"No such plugin\"}}",
		transaction_of(last_request(&f)));
	g_assert_cmpstr(last_sent(&f), ==, "4{\"message\":\"Cannot attach to the plugin: No such plugin\"}");
	json_t *destroy = last_request(&f);
	g_assert_cmpstr(json_string_value(json_object_get(destroy, "janus")), ==, "destroy");
	g_assert_cmpint(json_integer_value(json_object_get(destroy, "session_id")), ==, 5);
	/* The timeout of the session it ended, answered late, says nothing of the next one's. */
	char *stale = g_strdup(transaction_of(g_ptr_array_index(f.admin, 0)));
	receive(s, "0");
	janus(s, "{\"janus\":\"success\",\"transaction\":\"%s\",\"data\":{\"id\":6}}", transaction_of(last_request(&f)));
	janus(s, "{\"janus\":\"success\",\"transaction\":\"%s\",\"session_id\":5,\"timeout\":0}", stale);
	g_free(stale);
	g_assert_false(s->timeout_off);
	janus(s, "{\"janus\":\"success\",\"transaction\":\"%s\",\"data\":{\"id\":7}}", transaction_of(last_request(&f)));
	g_assert_cmpint(s->state, ==, SIO_SOCKET_CONNECTED);
	g_assert_cmpint(sio_socket_next_deadline(s), ==, 0);    /* keepalives until its own answer */
	done(s, &f);
}

static void test_event_with_ack(void) {
	fake f;
	sio_socket *s = connected_socket(&f);
	receive(s, "27[\"start-call\",{\"toUserId\":\"b\"}]");
	json_t *message = last_request(&f);
	g_assert_cmpstr(json_string_value(json_object_get(message, "janus")), ==, "message");
	g_assert_cmpint(json_integer_value(json_object_get(message, "handle_id")), ==, 222);
	g_assert_cmpstr(json_string_value(json_object_get(json_object_get(message, "body"), "request")), ==, "start-call");
	char *transaction = g_strdup(transaction_of(message));
	/* Its interim ack may be dropped before it reaches the socket; the socket ignores it anyway. */
	json_t *interim = json_pack("{ssss}", "janus", "ack", "transaction", transaction);
	g_assert_true(sio_bridge_interim_ack(interim));
	json_decref(interim);
	guint sent = f.sent->len;
	janus(s, "{\"janus\":\"ack\",\"transaction\":\"%s\"}", transaction);
	g_assert_cmpuint(f.sent->len, ==, sent);
	janus(s, "{\"janus\":\"event\",\"transaction\":\"%s\",\"plugindata\":{\"plugin\":\"p\",\"data\":{\"callId\":\"c1\"}}}",
		transaction);
	g_assert_cmpstr(last_sent(&f), ==, "37[{\"callId\":\"c1\"}]");
	/* A second answer for the same transaction is not an ack anymore. */
	janus(s, "{\"janus\":\"event\",\"transaction\":\"%s\",\"plugindata\":{\"plugin\":\"p\",\"data\":{\"callId\":\"c1\"}}}",
		transaction);
	g_assert_cmpuint(f.sent->len, ==, sent + 1);
	g_free(transaction);
	done(s, &f);
}

/* Every ack is counted with its event and error, for the metrics; events without an ack are not. */
static void test_acks_counted(void) {
	fake f;
	sio_socket *s = connected_socket(&f);
	receive(s, "21[\"register\",\"a\"]");
	janus(s, "{\"janus\":\"event\",\"transaction\":\"%s\",\"plugindata\":{\"plugin\":\"p\",\"data\":{\"success\":true}}}",
		transaction_of(last_request(&f)));
	receive(s, "22[\"end-call\",{}]");
	janus(s, "{\"janus\":\"event\",\"transaction\":\"%s\",\"plugindata\":{\"plugin\":\"p\",\"data\":{\"error\":\"Missing callId\"}}}",
		transaction_of(last_request(&f)));
	receive(s, "2[\"end-call\",{}]");
	janus(s, "{\"janus\":\"event\",\"transaction\":\"%s\",\"plugindata\":{\"plugin\":\"p\",\"data\":{\"error\":\"Missing callId\"}}}",
		transaction_of(last_request(&f)));
	receive(s, "23[\"ice-candidate\",{\"transportId\":\"nope\",\"candidate\":null}]");
	receive(s, "24{\"not\":\"an array\"}");
	g_assert_cmpstr(f.acks->str, ==, "register:;end-call:Missing callId;ice-candidate:Unknown transportId;"
		"?:Invalid event: an event must be an array starting with its name;");
	done(s, &f);
}

static void test_event_without_ack_and_reused_ids(void) {
	fake f;
	sio_socket *s = connected_socket(&f);
	receive(s, "2[\"end-call\",{\"callId\":\"c\"}]");
	char *t1 = g_strdup(transaction_of(last_request(&f)));
	guint sent = f.sent->len;
	janus(s, "{\"janus\":\"success\",\"transaction\":\"%s\",\"plugindata\":{\"plugin\":\"p\",\"data\":{\"success\":true}}}", t1);
	g_assert_cmpuint(f.sent->len, ==, sent);
	/* The same ack id twice: two requests, two acks. */
	receive(s, "25[\"a\"]");
	char *t2 = g_strdup(transaction_of(last_request(&f)));
	receive(s, "25[\"b\"]");
	char *t3 = g_strdup(transaction_of(last_request(&f)));
	g_assert_cmpstr(t2, !=, t3);
	janus(s, "{\"janus\":\"success\",\"transaction\":\"%s\",\"plugindata\":{\"plugin\":\"p\",\"data\":{\"n\":2}}}", t3);
	janus(s, "{\"janus\":\"error\",\"transaction\":\"%s\",\"error\":{\"code\":1,\"reason\":\"bad\"}}", t2);
	g_assert_cmpstr(g_ptr_array_index(f.sent, sent), ==, "35[{\"n\":2}]");
	g_assert_cmpstr(g_ptr_array_index(f.sent, sent + 1), ==, "35[{\"error\":\"bad\"}]");
	g_free(t1);
	g_free(t2);
	g_free(t3);
	done(s, &f);
}

static void test_early_events(void) {
	fake f;
	fake_init(&f);
	sio_socket *s = sio_socket_new(&ops, &f, "p", NULL);
	receive(s, "0");
	receive(s, "21[\"register\",\"7\"]");
	g_assert_cmpuint(f.requests->len, ==, 1);  /* held until attached */
	janus(s, "{\"janus\":\"success\",\"transaction\":\"%s\",\"data\":{\"id\":1}}", transaction_of(last_request(&f)));
	janus(s, "{\"janus\":\"success\",\"transaction\":\"%s\",\"data\":{\"id\":2}}", transaction_of(last_request(&f)));
	json_t *message = last_request(&f);
	g_assert_cmpstr(json_string_value(json_object_get(json_object_get(message, "body"), "userId")), ==, "7");
	g_assert_cmpint(json_integer_value(json_object_get(message, "handle_id")), ==, 2);
	done(s, &f);
}

static void test_bad_input(void) {
	fake f;
	sio_socket *s = connected_socket(&f);
	receive(s, "29[\"x\",{bad json");
	g_assert_cmpstr(last_sent(&f), ==, "39[{\"error\":\"Invalid event: invalid JSON payload\"}]");
	receive(s, "210[5]");
	g_assert_true(g_str_has_prefix(last_sent(&f), "310[{\"error\":\"Invalid event"));
	guint sent = f.sent->len;
	receive(s, "2{\"no\":\"ack\"}");
	g_assert_cmpuint(f.sent->len, ==, sent);
	receive(s, "2/other,3[\"x\"]");
	g_assert_cmpstr(last_sent(&f), ==, "33[{\"error\":\"Not connected to this namespace\"}]");
	/* Binary events are refused and their attachments skipped. */
	receive(s, "52-4[\"x\",{\"_placeholder\":true,\"num\":0},{\"_placeholder\":true,\"num\":1}]");
	g_assert_cmpstr(last_sent(&f), ==, "34[{\"error\":\"Binary payloads are not supported\"}]");
	sio_socket_receive_binary(s);
	sio_socket_receive_binary(s);
	g_assert_cmpint(f.closes, ==, 0);
	receive(s, "3[1]");     /* acks from the client: nothing asked, nothing done */
	g_assert_cmpint(f.closes, ==, 0);
	sio_socket_receive_binary(s);
	g_assert_cmpint(f.closes, ==, 1);
	g_assert_cmpstr(f.close_reason, ==, "unexpected binary message");
	receive(s, "9garbage");
	g_assert_cmpint(f.closes, ==, 2);
	g_assert_cmpstr(f.close_reason, ==, "parse error");
	done(s, &f);
}

static void test_not_connected(void) {
	fake f;
	fake_init(&f);
	sio_socket *s = sio_socket_new(&ops, &f, "p", NULL);
	receive(s, "21[\"register\",\"7\"]");
	g_assert_cmpstr(last_sent(&f), ==, "31[{\"error\":\"Not connected to this namespace\"}]");
	g_assert_cmpuint(f.requests->len, ==, 0);
	done(s, &f);
}

static void test_in_flight_limit(void) {
	fake f;
	sio_socket *s = connected_socket(&f);
	guint requests = f.requests->len;
	for(int i = 0; i < SIO_MAX_IN_FLIGHT + 10; i++) {
		char *packet = g_strdup_printf("2%d[\"x\"]", i);
		receive(s, packet);
		g_free(packet);
	}
	g_assert_cmpuint(f.requests->len - requests, ==, SIO_MAX_IN_FLIGHT);
	g_assert_cmpstr(last_sent(&f), ==, "3265[{\"error\":\"Too many requests in flight\"}]");
	/* Answers free room again. */
	janus(s, "{\"janus\":\"success\",\"transaction\":\"%s\",\"plugindata\":{\"plugin\":\"p\",\"data\":{}}}",
		transaction_of(last_request(&f)));
	receive(s, "2[\"y\"]");
	g_assert_cmpuint(f.requests->len - requests, ==, SIO_MAX_IN_FLIGHT + 1);
	done(s, &f);
}

static void test_event_rate(void) {
	fake f;
	sio_socket *s = connected_socket(&f);
	s->event_rate = 10;     /* a burst of 30 */
	guint requests = f.requests->len;
	for(int i = 0; i < 35; i++) {
		char *packet = g_strdup_printf("2%d[\"x\"]", i);
		receive(s, packet);
		g_free(packet);
	}
	g_assert_cmpuint(f.requests->len - requests, ==, 30);
	g_assert_cmpstr(last_sent(&f), ==, "334[{\"error\":\"Too many requests: slow down\"}]");
	/* Without an ack a refused event is dropped, silently. */
	guint sent = f.sent->len;
	receive(s, "2[\"y\"]");
	g_assert_cmpuint(f.sent->len, ==, sent);
	/* The bucket refills with time: 100 ms earns one event. */
	s->event_refill -= G_USEC_PER_SEC / 10 + 1000;
	receive(s, "2[\"z\"]");
	g_assert_cmpuint(f.requests->len - requests, ==, 31);
	/* Refusals spread over windows never close it... */
	s->refused_since -= SIO_EVENT_FLOOD_WINDOW_US + 1;
	guint refused = s->events_refused;
	receive(s, "2[\"late\"]");
	g_assert_cmpuint(s->events_refused, <=, refused);
	g_assert_cmpint(f.closes, ==, 0);
	/* ...a flood within one does, telling the client. */
	for(int i = 0; i < SIO_EVENT_FLOOD_CLOSE && f.closes == 0; i++)
		receive(s, "2[\"flood\"]");
	g_assert_cmpint(f.closes, ==, 1);
	g_assert_true(f.told_client);
	g_assert_cmpstr(f.close_reason, ==, "event flood");
	done(s, &f);
}

static void test_events_and_trickle(void) {
	fake f;
	sio_socket *s = connected_socket(&f);
	janus(s, "{\"janus\":\"event\",\"session_id\":111,\"sender\":222,\"plugindata\":{\"plugin\":\"p\","
		"\"data\":{\"event\":\"call-ended\",\"callId\":\"c\",\"reason\":\"hangup\"}}}");
	g_assert_cmpstr(last_sent(&f), ==, "2[\"call-ended\",{\"callId\":\"c\",\"reason\":\"hangup\"}]");
	receive(s, "23[\"ice-candidate\",{\"candidate\":null}]");
	json_t *trickle = last_request(&f);
	g_assert_cmpstr(json_string_value(json_object_get(trickle, "janus")), ==, "trickle");
	/* Janus's ack is the whole answer to a trickle: it must reach the socket. */
	json_t *ack = json_pack("{ssss}", "janus", "ack", "transaction", transaction_of(trickle));
	g_assert_false(sio_bridge_interim_ack(ack));
	json_decref(ack);
	janus(s, "{\"janus\":\"ack\",\"transaction\":\"%s\"}", transaction_of(trickle));
	g_assert_cmpstr(last_sent(&f), ==, "33[{\"success\":true}]");
	receive(s, "24[\"ice-candidate\",{}]");
	g_assert_cmpstr(last_sent(&f), ==, "34[{\"error\":\"Missing candidate\"}]");
	done(s, &f);
}

/* A plugin event carrying an instruction for the transport. */
#define INSTRUCTION(sender, what) "{\"janus\":\"event\",\"session_id\":111,\"sender\":" sender ",\"plugindata\":" \
	"{\"plugin\":\"janus.plugin.oicall\",\"data\":{\"sio\":" what "}}"

static json_t *last_body(fake *f) {
	return json_object_get(last_request(f), "body");
}

#define HALF_TRICKLE_SDP "v=0\\r\\na=end-of-candidates\\r\\n"
/* A Janus trickle of the gateway's own from a handle. */
#define TRICKLE(sender, candidate) "{\"janus\":\"trickle\",\"session_id\":111,\"sender\":" sender ",\"candidate\":" candidate "}"
#define HOST_CANDIDATE "{\"sdpMid\":\"0\",\"sdpMLineIndex\":0,\"candidate\":\"candidate:1 1 udp 2015363327 10.0.0.1 20000 typ host\"}"
#define CANDIDATE_EVENT(call, extra) "2[\"ice-candidate\",{\"callId\":\"" call "\"" extra ",\"candidate\":{\"candidate\":" \
	"\"candidate:1 1 udp 2015363327 10.0.0.1 20000 typ host\",\"sdpMid\":\"0\",\"sdpMLineIndex\":0}}]"

static void answer_last(sio_socket *s, fake *f, const char *data) {
	janus(s, "{\"janus\":\"event\",\"transaction\":\"%s\",\"plugindata\":{\"plugin\":\"p\",\"data\":%s}}",
		transaction_of(last_request(f)), data);
}

static void plugin_event(sio_socket *s, const char *data) {
	janus(s, "{\"janus\":\"event\",\"session_id\":111,\"sender\":222,\"plugindata\":{\"plugin\":\"p\",\"data\":%s}}", data);
}

/* Full-trickle: the gateway's candidates of the client's own PeerConnection
 * reach it with the call's id, never before it knows that id. */
static void test_gateway_candidates(void) {
	fake f;
	sio_socket *s = connected_socket(&f);
	receive(s, "21[\"start-call\",{\"toUserId\":\"b\",\"jsep\":{}}]");
	guint sent = f.sent->len;
	janus(s, TRICKLE("222", HOST_CANDIDATE));
	g_assert_cmpuint(f.sent->len, ==, sent);    /* the caller has no callId yet */
	answer_last(s, &f, "{\"callId\":\"c1\"}");
	g_assert_cmpuint(f.sent->len, ==, sent + 2);
	g_assert_cmpstr(g_ptr_array_index(f.sent, sent), ==, "31[{\"callId\":\"c1\"}]");
	g_assert_cmpstr(last_sent(&f), ==, CANDIDATE_EVENT("c1", ""));
	janus(s, TRICKLE("222", "{\"completed\":true}"));
	g_assert_cmpstr(last_sent(&f), ==, "2[\"ice-candidate\",{\"callId\":\"c1\",\"candidate\":null}]");
	/* Junk, and candidates of handles that aren't the socket's, go nowhere. */
	sent = f.sent->len;
	janus(s, TRICKLE("222", "{\"candidate\":7}"));
	janus(s, TRICKLE("999", HOST_CANDIDATE));
	janus(s, "{\"janus\":\"trickle\",\"session_id\":111,\"sender\":222}");
	g_assert_cmpuint(f.sent->len, ==, sent);
	/* The call ends: candidates wait for the next one, which a callee learns from incoming-call. */
	plugin_event(s, "{\"event\":\"call-ended\",\"callId\":\"c1\",\"reason\":\"hangup\"}");
	sent = f.sent->len;
	janus(s, TRICKLE("222", HOST_CANDIDATE));
	g_assert_cmpuint(f.sent->len, ==, sent);
	plugin_event(s, "{\"event\":\"incoming-call\",\"callId\":\"c2\",\"fromUserId\":\"a\"}");
	g_assert_cmpuint(f.sent->len, ==, sent + 2);
	g_assert_cmpstr(last_sent(&f), ==, CANDIDATE_EVENT("c2", ""));
	/* Another call's end changes nothing. */
	plugin_event(s, "{\"event\":\"call-ended\",\"callId\":\"other\",\"reason\":\"hangup\"}");
	janus(s, TRICKLE("222", HOST_CANDIDATE));
	g_assert_cmpstr(last_sent(&f), ==, CANDIDATE_EVENT("c2", ""));
	/* A refused start-call (busy names the call, but refuses it): what its PeerConnection gathered goes nowhere. */
	plugin_event(s, "{\"event\":\"call-expired\",\"callId\":\"c2\",\"reason\":\"timeout\"}");
	receive(s, "22[\"start-call\",{\"toUserId\":\"a\",\"jsep\":{}}]");
	janus(s, TRICKLE("222", HOST_CANDIDATE));
	sent = f.sent->len;
	answer_last(s, &f, "{\"error\":\"busy\",\"callId\":\"c9\"}");
	receive(s, "23[\"start-call\",{\"toUserId\":\"b\",\"jsep\":{}}]");
	answer_last(s, &f, "{\"callId\":\"c3\"}");
	g_assert_cmpuint(f.sent->len, ==, sent + 2);
	g_assert_cmpstr(last_sent(&f), ==, "33[{\"callId\":\"c3\"}]");
	/* However many come before the callId, the queue stays bounded. */
	plugin_event(s, "{\"event\":\"call-ended\",\"callId\":\"c3\",\"reason\":\"hangup\"}");
	for(int i = 0; i < 3 * SIO_MAX_GATEWAY_CANDIDATES; i++)
		janus(s, TRICKLE("222", HOST_CANDIDATE));
	g_assert_cmpuint(g_queue_get_length(&s->early_candidates), ==, SIO_MAX_GATEWAY_CANDIDATES);
	done(s, &f);
}

/* Full-trickle on a transport handle: its candidates go to the client with
 * the transport's id, and with the first offer to the plugin. */
static void test_transport_candidates(void) {
	fake f;
	sio_socket *s = connected_socket(&f);
	/* A mediasoup-style caller: its transports come before start-call's ack. */
	receive(s, "21[\"start-call\",{\"toUserId\":\"b\"}]");
	json_t *start = json_incref(last_request(&f));
	janus(s, INSTRUCTION("222", "{\"attach\":{\"transportId\":\"t1\",\"nonce\":\"n1\",\"callId\":\"c1\"}}") "}");
	janus(s, "{\"janus\":\"success\",\"transaction\":\"%s\",\"data\":{\"id\":333}}", transaction_of(last_request(&f)));
	guint requests = f.requests->len, sent = f.sent->len;
	janus(s, INSTRUCTION("333", "{\"local-sdp\":true}") ",\"jsep\":{\"type\":\"offer\",\"sdp\":\"v=0\"}}");
	g_assert_cmpuint(f.requests->len, ==, requests);     /* held: no candidates in it */
	janus(s, TRICKLE("333", HOST_CANDIDATE));
	janus(s, TRICKLE("333", "{\"sdpMid\":\"0\",\"candidate\":\"candidate:2 1 udp 1 10.0.0.2 20002 typ host\"}"));
	g_assert_cmpuint(f.requests->len, ==, requests);
	janus(s, TRICKLE("333", "{\"completed\":true}"));
	g_assert_cmpuint(f.sent->len, ==, sent);        /* the client doesn't know the call yet */
	g_assert_cmpuint(f.requests->len, ==, requests + 1);
	g_assert_cmpint(json_integer_value(json_object_get(last_request(&f), "handle_id")), ==, 333);
	g_assert_cmpstr(json_string_value(json_object_get(last_body(&f), "request")), ==, "local-sdp");
	g_assert_cmpstr(json_string_value(json_object_get(last_body(&f), "sdp")), ==, "v=0");
	char *candidates = json_dumps(json_object_get(last_body(&f), "candidates"), JSON_COMPACT);
	g_assert_cmpstr(candidates, ==, "[\"candidate:1 1 udp 2015363327 10.0.0.1 20000 typ host\","
		"\"candidate:2 1 udp 1 10.0.0.2 20002 typ host\"]");
	g_free(candidates);
	/* The ack with the callId, then what the transport gathered, in order. */
	janus(s, "{\"janus\":\"event\",\"transaction\":\"%s\",\"plugindata\":{\"plugin\":\"p\",\"data\":{\"callId\":\"c1\"}}}",
		transaction_of(start));
	json_decref(start);
	g_assert_cmpuint(f.sent->len, ==, sent + 4);
	g_assert_cmpstr(g_ptr_array_index(f.sent, sent), ==, "31[{\"callId\":\"c1\"}]");
	g_assert_cmpstr(g_ptr_array_index(f.sent, sent + 1), ==, CANDIDATE_EVENT("c1", ",\"transportId\":\"t1\""));
	g_assert_cmpstr(g_ptr_array_index(f.sent, sent + 2), ==, "2[\"ice-candidate\",{\"callId\":\"c1\",\"transportId\":\"t1\","
		"\"candidate\":{\"candidate\":\"candidate:2 1 udp 1 10.0.0.2 20002 typ host\",\"sdpMid\":\"0\"}}]");
	g_assert_cmpstr(last_sent(&f), ==, "2[\"ice-candidate\",{\"callId\":\"c1\",\"transportId\":\"t1\",\"candidate\":null}]");
	/* Later offers (renegotiation, no ICE restart) go at once, with the same candidates. */
	janus(s, INSTRUCTION("333", "{\"local-sdp\":true}") ",\"jsep\":{\"type\":\"offer\",\"sdp\":\"v=0 b\"}}");
	g_assert_cmpuint(f.requests->len, ==, requests + 2);
	g_assert_cmpstr(json_string_value(json_object_get(last_body(&f), "sdp")), ==, "v=0 b");
	g_assert_cmpuint(json_array_size(json_object_get(last_body(&f), "candidates")), ==, 2);
	/* A transport of another call: held, and dropped when the client learns of a different one. */
	janus(s, INSTRUCTION("222", "{\"attach\":{\"transportId\":\"t9\",\"nonce\":\"n9\",\"callId\":\"c9\"}}") "}");
	janus(s, "{\"janus\":\"success\",\"transaction\":\"%s\",\"data\":{\"id\":999}}", transaction_of(last_request(&f)));
	sent = f.sent->len;
	janus(s, TRICKLE("999", HOST_CANDIDATE));
	g_assert_cmpuint(f.sent->len, ==, sent);
	plugin_event(s, "{\"event\":\"incoming-call\",\"callId\":\"c2\"}");
	g_assert_cmpuint(f.sent->len, ==, sent + 1);
	/* Its client gone (lingering), a new transport's offer still gets its candidates. */
	janus(s, INSTRUCTION("222", "{\"attach\":{\"transportId\":\"t2\",\"nonce\":\"n2\",\"callId\":\"c1\"}}") "}");
	janus(s, "{\"janus\":\"success\",\"transaction\":\"%s\",\"data\":{\"id\":444}}", transaction_of(last_request(&f)));
	g_assert_true(sio_socket_client_gone(s, g_get_monotonic_time()));
	janus(s, INSTRUCTION("444", "{\"local-sdp\":true}") ",\"jsep\":{\"type\":\"offer\",\"sdp\":\"v=0 c\"}}");
	sent = f.sent->len;
	janus(s, TRICKLE("444", HOST_CANDIDATE));
	janus(s, TRICKLE("444", "{\"completed\":true}"));
	g_assert_cmpuint(f.sent->len, ==, sent);
	g_assert_cmpstr(json_string_value(json_object_get(last_body(&f), "sdp")), ==, "v=0 c");
	g_assert_cmpuint(json_array_size(json_object_get(last_body(&f), "candidates")), ==, 1);
	done(s, &f);
}

static void test_transport_courier(void) {
	fake f;
	sio_socket *s = connected_socket(&f);
	/* The plugin wants a transport handle: attached on the client's session, then bound with the nonce. */
	janus(s, INSTRUCTION("222", "{\"attach\":{\"transportId\":\"t1\",\"nonce\":\"n1\"}}") "}");
	json_t *attach = last_request(&f);
	g_assert_cmpstr(json_string_value(json_object_get(attach, "janus")), ==, "attach");
	g_assert_cmpint(json_integer_value(json_object_get(attach, "session_id")), ==, 111);
	guint sent = f.sent->len;
	janus(s, "{\"janus\":\"success\",\"transaction\":\"%s\",\"data\":{\"id\":333}}", transaction_of(attach));
	json_t *bind = last_request(&f);
	g_assert_cmpint(json_integer_value(json_object_get(bind, "handle_id")), ==, 333);
	json_t *body = last_body(&f);
	g_assert_cmpstr(json_string_value(json_object_get(body, "request")), ==, "bind-transport");
	g_assert_cmpstr(json_string_value(json_object_get(body, "transportId")), ==, "t1");
	g_assert_cmpstr(json_string_value(json_object_get(body, "nonce")), ==, "n1");
	g_assert_cmpint(json_integer_value(json_object_get(body, "janusSessionId")), ==, 111);
	g_assert_cmpint(json_integer_value(json_object_get(body, "janusHandleId")), ==, 333);
	g_assert_cmpuint(f.sent->len, ==, sent);    /* nothing of this reaches the client */
	/* The core's offer for that handle (half-trickle: its candidates are in it) goes back to the plugin. */
	janus(s, INSTRUCTION("333", "{\"local-sdp\":true}") ",\"jsep\":{\"type\":\"offer\",\"sdp\":\"" HALF_TRICKLE_SDP "\"}}");
	g_assert_cmpint(json_integer_value(json_object_get(last_request(&f), "handle_id")), ==, 333);
	g_assert_cmpstr(json_string_value(json_object_get(last_body(&f), "request")), ==, "local-sdp");
	g_assert_cmpstr(json_string_value(json_object_get(last_body(&f), "sdp")), ==, "v=0\r\na=end-of-candidates\r\n");
	g_assert_null(json_object_get(last_body(&f), "candidates"));
	/* The client's answer, as the plugin wrote it, goes to the core as that handle's jsep. */
	janus(s, INSTRUCTION("333", "{\"remote-sdp\":{\"type\":\"answer\",\"sdp\":\"v=0 a\"}}") "}");
	json_t *applied = last_request(&f);
	g_assert_cmpstr(json_string_value(json_object_get(last_body(&f), "request")), ==, "remote-sdp-applied");
	g_assert_cmpstr(json_string_value(json_object_get(json_object_get(applied, "jsep"), "sdp")), ==, "v=0 a");
	/* Candidates for the transport go to its handle; for an unknown one, an error. */
	receive(s, "25[\"ice-candidate\",{\"transportId\":\"t1\",\"candidate\":null}]");
	g_assert_cmpstr(json_string_value(json_object_get(last_request(&f), "janus")), ==, "trickle");
	g_assert_cmpint(json_integer_value(json_object_get(last_request(&f), "handle_id")), ==, 333);
	receive(s, "26[\"ice-candidate\",{\"transportId\":\"t2\",\"candidate\":null}]");
	g_assert_cmpstr(last_sent(&f), ==, "36[{\"error\":\"Unknown transportId\"}]");
	/* Its handle detached: the transport is gone for candidates too; the socket stays. */
	janus(s, "{\"janus\":\"detached\",\"session_id\":111,\"sender\":333}");
	g_assert_cmpint(f.closes, ==, 0);
	receive(s, "27[\"ice-candidate\",{\"transportId\":\"t1\",\"candidate\":null}]");
	g_assert_cmpstr(last_sent(&f), ==, "37[{\"error\":\"Unknown transportId\"}]");
	/* A failed attach leaves nothing behind. */
	janus(s, INSTRUCTION("222", "{\"attach\":{\"transportId\":\"t3\",\"nonce\":\"n3\"}}") "}");
	guint requests = f.requests->len;
	janus(s, "{\"janus\":\"error\",\"transaction\":\"%s\",\"error\":{\"code\":403,\"reason\":\"no\"}}",
		transaction_of(last_request(&f)));
	g_assert_cmpuint(f.requests->len, ==, requests);
	done(s, &f);
}

static void test_linger_kept(void) {
	fake f;
	sio_socket *s = connected_socket(&f);
	gint64 now = g_get_monotonic_time();
	g_assert_true(sio_socket_client_gone(s, now));
	json_t *disconnect = last_request(&f);
	janus(s, "{\"janus\":\"success\",\"transaction\":\"%s\",\"plugindata\":{\"plugin\":\"janus.plugin.oicall\","
		"\"data\":{\"linger\":5}}}", transaction_of(disconnect));
	/* The user came back elsewhere and this session carries the call: it stays past its linger. */
	janus(s, INSTRUCTION("222", "{\"keep\":true}") "}");
	sio_socket_tick(s, now + 10 * G_USEC_PER_SEC);
	g_assert_cmpint(f.closes, ==, 0);
	/* However long the call lasts. */
	sio_socket_tick(s, now + 2 * (gint64)SIO_MAX_LINGER_S * G_USEC_PER_SEC);
	g_assert_cmpint(f.closes, ==, 0);
	/* Until the plugin ends its handle. */
	janus(s, "{\"janus\":\"detached\",\"session_id\":111,\"sender\":222}");
	g_assert_cmpint(f.closes, ==, 1);
	done(s, &f);
	/* Without it, the linger ends it. */
	s = connected_socket(&f);
	now = g_get_monotonic_time();
	g_assert_true(sio_socket_client_gone(s, now));
	janus(s, "{\"janus\":\"success\",\"transaction\":\"%s\",\"plugindata\":{\"plugin\":\"janus.plugin.oicall\","
		"\"data\":{\"linger\":5}}}", transaction_of(last_request(&f)));
	sio_socket_tick(s, now + 10 * G_USEC_PER_SEC);
	g_assert_cmpint(f.closes, ==, 1);
	done(s, &f);
	/* The plugin may answer disconnect with keep (the user is back already). */
	s = connected_socket(&f);
	now = g_get_monotonic_time();
	g_assert_true(sio_socket_client_gone(s, now));
	janus(s, "{\"janus\":\"success\",\"transaction\":\"%s\",\"plugindata\":{\"plugin\":\"janus.plugin.oicall\","
		"\"data\":{\"keep\":true}}}", transaction_of(last_request(&f)));
	sio_socket_tick(s, now + 2 * (gint64)SIO_MAX_LINGER_S * G_USEC_PER_SEC);
	g_assert_cmpint(f.closes, ==, 0);
	janus(s, "{\"janus\":\"detached\",\"session_id\":111,\"sender\":222}");
	g_assert_cmpint(f.closes, ==, 1);
	done(s, &f);
}

static void test_session_end(void) {
	fake f;
	sio_socket *s = connected_socket(&f);
	/* Someone else's handle or session: nothing. */
	janus(s, "{\"janus\":\"detached\",\"session_id\":111,\"sender\":999}");
	sio_socket_session_over(s, 5, FALSE);
	g_assert_cmpint(f.closes, ==, 0);
	janus(s, "{\"janus\":\"detached\",\"session_id\":111,\"sender\":222}");
	g_assert_cmpint(f.closes, ==, 1);
	g_assert_true(f.told_client);
	done(s, &f);

	s = connected_socket(&f);
	sio_socket_session_over(s, 111, TRUE);
	g_assert_cmpint(f.closes, ==, 1);
	g_assert_false(f.told_client);
	done(s, &f);

	s = connected_socket(&f);
	receive(s, "1");
	g_assert_cmpint(f.closes, ==, 1);
	g_assert_cmpstr(f.close_reason, ==, "client namespace disconnect");
	sio_socket_closed(s);
	guint sent = f.sent->len, requests = f.requests->len;
	receive(s, "21[\"x\"]");
	janus(s, "{\"janus\":\"event\",\"plugindata\":{\"plugin\":\"p\",\"data\":{\"event\":\"x\"}}}");
	sio_socket_tick(s, G_MAXINT64 / 2);
	g_assert_cmpuint(f.sent->len, ==, sent);
	g_assert_cmpuint(f.requests->len, ==, requests);
	done(s, &f);
}

/* Its session's timeout is turned off beside the attach (the CONNECT answer
 * doesn't wait for it): from its answer on, no keepalives, connected or lingering. */
static void test_session_timeout_off(void) {
	fake f;
	sio_socket *s = connected_socket_timeout_unanswered(&f);
	json_t *request = g_ptr_array_index(f.admin, 0);
	g_assert_cmpstr(verb_of(request), ==, "set_session_timeout");
	g_assert_cmpint(json_integer_value(json_object_get(request, "session_id")), ==, 111);
	json_t *timeout = json_object_get(request, "timeout");
	g_assert_true(json_is_integer(timeout) && json_integer_value(timeout) == 0);
	g_assert_null(json_object_get(request, "handle_id"));
	guint requests = f.requests->len;
	gint64 t = g_get_monotonic_time();
	sio_socket_tick(s, t);      /* the keepalive count runs until the answer */
	janus(s, "{\"janus\":\"success\",\"transaction\":\"%s\",\"session_id\":111,\"timeout\":0}",
		transaction_of(request));
	g_assert_null(f.keepalives);
	g_assert_cmpuint(g_hash_table_size(s->pending), ==, 0);
	g_assert_cmpint(sio_socket_next_deadline(s), ==, G_MAXINT64);
	for(int i = 1; i <= 8; i++)
		g_assert_true(sio_socket_tick(s, t + i * SIO_KEEPALIVE_US));
	g_assert_cmpuint(f.requests->len, ==, requests);
	/* An event's own deadline still counts. */
	receive(s, "21[\"x\"]");
	g_assert_cmpint(sio_socket_next_deadline(s), <=, g_get_monotonic_time() + SIO_REQUEST_TIMEOUT_US);
	janus(s, "{\"janus\":\"success\",\"transaction\":\"%s\",\"plugindata\":{\"plugin\":\"p\",\"data\":{}}}",
		transaction_of(last_request(&f)));
	g_assert_cmpint(sio_socket_next_deadline(s), ==, G_MAXINT64);
	requests = f.requests->len;
	/* Lingering: no keepalives either, and its linger still ends it. */
	t = g_get_monotonic_time();
	g_assert_true(sio_socket_client_gone(s, t));
	janus(s, "{\"janus\":\"success\",\"transaction\":\"%s\",\"plugindata\":{\"plugin\":\"janus.plugin.oicall\","
		"\"data\":{\"linger\":40}}}", transaction_of(last_request(&f)));
	requests++;
	g_assert_cmpint(sio_socket_next_deadline(s), ==, s->linger_deadline);
	g_assert_true(sio_socket_tick(s, t + 30 * G_USEC_PER_SEC));
	g_assert_cmpuint(f.requests->len, ==, requests);
	g_assert_false(sio_socket_tick(s, t + 41 * G_USEC_PER_SEC));
	g_assert_cmpint(f.closes, ==, 1);
	g_assert_cmpstr(f.close_reason, ==, "linger time over");
	done(s, &f);
}

/* Until set_session_timeout's answer, and for good once the core refused it
 * (one without it, or a wrong admin secret): a keepalive every SIO_KEEPALIVE_US. */
static void test_keepalive_fallback(void) {
	fake f;
	sio_socket *s = connected_socket_timeout_unanswered(&f);
	guint requests = f.requests->len;
	gint64 t = 1000 * G_USEC_PER_SEC;
	/* The first tick starts the count: it is due at once. */
	g_assert_cmpint(sio_socket_next_deadline(s), ==, 0);
	sio_socket_tick(s, t);
	g_assert_cmpuint(f.requests->len, ==, requests);
	g_assert_cmpint(sio_socket_next_deadline(s), ==, t + SIO_KEEPALIVE_US);
	janus(s, "{\"janus\":\"error\",\"session_id\":111,\"transaction\":\"%s\",\"error\":{\"code\":457,"
		"\"reason\":\"Unhandled request 'set_session_timeout' at this path\"}}", transaction_of(g_ptr_array_index(f.admin, 0)));
	g_assert_cmpstr(f.keepalives, ==, "Unhandled request 'set_session_timeout' at this path");
	g_assert_cmpint(sio_socket_next_deadline(s), ==, t + SIO_KEEPALIVE_US);
	sio_socket_tick(s, t + SIO_KEEPALIVE_US - 1);
	g_assert_cmpuint(f.requests->len, ==, requests);
	sio_socket_tick(s, t + SIO_KEEPALIVE_US);
	g_assert_cmpuint(f.requests->len, ==, requests + 1);
	json_t *keepalive = last_request(&f);
	g_assert_cmpstr(verb_of(keepalive), ==, "keepalive");
	g_assert_cmpint(json_integer_value(json_object_get(keepalive, "session_id")), ==, 111);
	/* Its answer is consumed quietly and frees its slot. */
	guint pending = g_hash_table_size(s->pending);
	janus(s, "{\"janus\":\"ack\",\"transaction\":\"%s\"}", transaction_of(keepalive));
	g_assert_cmpuint(g_hash_table_size(s->pending), ==, pending - 1);
	/* Lingering too. */
	g_assert_true(sio_socket_client_gone(s, t + SIO_KEEPALIVE_US));
	janus(s, "{\"janus\":\"success\",\"transaction\":\"%s\",\"plugindata\":{\"plugin\":\"janus.plugin.oicall\","
		"\"data\":{\"keep\":true}}}", transaction_of(last_request(&f)));
	requests = f.requests->len;
	sio_socket_tick(s, t + 2 * SIO_KEEPALIVE_US);
	g_assert_cmpuint(f.requests->len, ==, requests + 1);
	g_assert_cmpstr(verb_of(last_request(&f)), ==, "keepalive");
	done(s, &f);
}

static void test_connect_timeout(void) {
	fake f;
	fake_init(&f);
	sio_socket *s = sio_socket_new(&ops, &f, "janus.plugin.oicall", NULL);
	s->connect_deadline = 5000;
	g_assert_cmpint(sio_socket_next_deadline(s), ==, 5000);
	g_assert_true(sio_socket_tick(s, 4999));
	g_assert_cmpint(f.closes, ==, 0);
	g_assert_false(sio_socket_tick(s, 5000));
	g_assert_cmpint(f.closes, ==, 1);
	g_assert_false(f.told_client);
	g_assert_cmpstr(f.close_reason, ==, "no Socket.IO CONNECT in time");
	sio_socket_free(s);
	fake_clear(&f);
	/* Once CONNECT came, the deadline no longer applies. */
	s = connected_socket(&f);
	s->connect_deadline = 5000;
	sio_socket_tick(s, 10000);
	g_assert_cmpint(f.closes, ==, 0);
	done(s, &f);
}

static void test_request_timeout(void) {
	fake f;
	sio_socket *s = connected_socket(&f);
	gint64 t = g_get_monotonic_time();
	receive(s, "25[\"never-answered\"]");
	char *lost = g_strdup(transaction_of(last_request(&f)));
	gint64 sent_at = g_get_monotonic_time();
	/* Sent a little later: its time runs from then. */
	g_usleep(2000);
	receive(s, "26[\"answered\"]");
	guint sent = f.sent->len;
	sio_socket_tick(s, t + SIO_REQUEST_TIMEOUT_US - 1);
	g_assert_cmpuint(f.sent->len, ==, sent);
	guint pending = g_hash_table_size(s->pending);
	/* The first event's time is up; the second still has time. */
	g_assert_true(sio_socket_tick(s, sent_at + SIO_REQUEST_TIMEOUT_US));
	g_assert_cmpuint(f.sent->len, ==, sent + 1);
	g_assert_cmpstr(last_sent(&f), ==, "35[{\"error\":\"The server did not answer in time\"}]");
	g_assert_cmpuint(g_hash_table_size(s->pending), ==, pending - 1);
	/* A late answer goes nowhere: the client had its ack. */
	janus(s, "{\"janus\":\"event\",\"transaction\":\"%s\",\"plugindata\":{\"plugin\":\"p\",\"data\":{\"late\":true}}}", lost);
	g_assert_cmpuint(f.sent->len, ==, sent + 1);
	g_free(lost);
	done(s, &f);
}

#define SECRET "0123456789abcdef-test-secret"

static sio_socket *auth_socket(fake *f) {
	fake_init(f);
	return sio_socket_new(&ops, f, "p", SECRET);
}

static void test_auth(void) {
	fake f;
	sio_socket *s = auth_socket(&f);
	receive(s, "0");
	g_assert_cmpstr(last_sent(&f), ==, "4{\"message\":\"Missing token\"}");
	receive(s, "0{\"token\":42}");
	g_assert_cmpstr(last_sent(&f), ==, "4{\"message\":\"Missing token\"}");
	char *forged = oicall_auth_sign("another secret entirely", "alice", G_MAXINT32);
	char *packet = g_strdup_printf("0{\"token\":\"%s\"}", forged);
	receive(s, packet);
	g_assert_cmpstr(last_sent(&f), ==, "4{\"message\":\"Invalid token: bad signature\"}");
	g_free(packet);
	g_free(forged);
	char *expired = oicall_auth_sign(SECRET, "alice", g_get_real_time() / G_USEC_PER_SEC - 1);
	packet = g_strdup_printf("0{\"token\":\"%s\"}", expired);
	receive(s, packet);
	g_assert_cmpstr(last_sent(&f), ==, "4{\"message\":\"Token expired\"}");
	g_free(packet);
	g_free(expired);
	g_assert_cmpint(s->state, ==, SIO_SOCKET_NEW);
	g_assert_cmpuint(f.requests->len, ==, 0);
	g_assert_cmpint(f.refusals, ==, 4);
	char *token = oicall_auth_sign(SECRET, "alice", g_get_real_time() / G_USEC_PER_SEC + 60);
	packet = g_strdup_printf("0{\"token\":\"%s\"}", token);
	receive(s, packet);
	g_assert_cmpint(s->state, ==, SIO_SOCKET_CONNECTING);
	g_assert_cmpstr(s->auth_user, ==, "alice");
	g_free(packet);
	g_free(token);
	g_assert_cmpint(f.refusals, ==, 4);
	janus(s, "{\"janus\":\"success\",\"transaction\":\"%s\",\"data\":{\"id\":1}}", transaction_of(last_request(&f)));
	janus(s, "{\"janus\":\"success\",\"transaction\":\"%s\",\"data\":{\"id\":2}}", transaction_of(last_request(&f)));
	/* Every request carries the proven user; a client can't forge it. */
	receive(s, "21[\"register\",{\"userId\":\"bob\",\"authUserId\":\"bob\"}]");
	json_t *body = json_object_get(last_request(&f), "body");
	g_assert_cmpstr(json_string_value(json_object_get(body, "authUserId")), ==, "alice");
	g_assert_cmpstr(json_string_value(json_object_get(body, "userId")), ==, "bob");
	sio_socket_free(s);
	fake_clear(&f);

	/* Without auth, a client's authUserId is dropped. */
	sio_socket *open = connected_socket(&f);
	receive(open, "21[\"register\",{\"userId\":\"bob\",\"authUserId\":\"bob\"}]");
	g_assert_null(json_object_get(json_object_get(last_request(&f), "body"), "authUserId"));
	done(open, &f);
}


/* start-call with a jsep: the plugin is asked first, the jsep follows only on its yes. */
static void test_jsep_gate(void) {
	fake f;
	sio_socket *s = connected_socket(&f);
	const char *offer = "{\"type\":\"offer\",\"sdp\":\"v=0\"}";
	/* Refused: the ack, and the jsep never goes to the core. */
	receive(s, "21[\"start-call\",{\"toUserId\":\"b\",\"jsep\":{\"type\":\"offer\",\"sdp\":\"v=0\"}}]");
	json_t *gate = last_request(&f);
	g_assert_null(json_object_get(gate, "jsep"));
	json_t *gated = json_object_get(json_object_get(gate, "body"), "jsepGate");
	json_t *expected = json_loads(offer, 0, NULL);
	g_assert_true(json_equal(gated, expected));
	guint requests = f.requests->len;
	janus(s, "{\"janus\":\"event\",\"transaction\":\"%s\",\"plugindata\":{\"plugin\":\"p\",\"data\":"
		"{\"error\":\"Already in a call\",\"error_code\":492}}}", transaction_of(gate));
	g_assert_cmpstr(last_sent(&f), ==, "31[{\"error\":\"Already in a call\"}]");
	g_assert_cmpuint(f.requests->len, ==, requests);
	/* Let through: the same request with the jsep and the plugin's callId; its answer is the ack. */
	receive(s, "22[\"start-call\",{\"toUserId\":\"b\",\"jsep\":{\"type\":\"offer\",\"sdp\":\"v=0\"}}]");
	gate = last_request(&f);
	guint sent = f.sent->len;
	janus(s, "{\"janus\":\"event\",\"transaction\":\"%s\",\"plugindata\":{\"plugin\":\"p\",\"data\":"
		"{\"jsepGate\":{\"callId\":\"c9\"}}}}", transaction_of(gate));
	g_assert_cmpuint(f.sent->len, ==, sent);
	json_t *real = last_request(&f);
	g_assert_true(real != gate);
	g_assert_true(json_equal(json_object_get(real, "jsep"), expected));
	g_assert_cmpstr(json_string_value(json_object_get(json_object_get(real, "body"), "callId")), ==, "c9");
	g_assert_null(json_object_get(json_object_get(real, "body"), "jsepGate"));
	g_assert_cmpstr(transaction_of(real), !=, transaction_of(gate));
	/* A yes to that one is not another gate: it is the ack. */
	janus(s, "{\"janus\":\"event\",\"transaction\":\"%s\",\"plugindata\":{\"plugin\":\"p\",\"data\":{\"callId\":\"c9\"}}}",
		transaction_of(real));
	g_assert_cmpstr(last_sent(&f), ==, "32[{\"callId\":\"c9\"}]");
	g_assert_cmpuint(g_hash_table_size(s->pending), ==, 0);
	/* Let through and refused by the core: the client hears the core, the plugin hears it failed. */
	receive(s, "23[\"start-call\",{\"toUserId\":\"b\",\"jsep\":{\"type\":\"offer\",\"sdp\":\"v=0\"}}]");
	gate = last_request(&f);
	janus(s, "{\"janus\":\"event\",\"transaction\":\"%s\",\"plugindata\":{\"plugin\":\"p\",\"data\":"
		"{\"jsepGate\":{\"callId\":\"c10\"}}}}", transaction_of(gate));
	real = last_request(&f);
	janus(s, "{\"janus\":\"error\",\"transaction\":\"%s\",\"error\":{\"code\":465,\"reason\":\"Bad SDP\"}}",
		transaction_of(real));
	g_assert_cmpstr(last_sent(&f), ==, "33[{\"error\":\"Bad SDP\"}]");
	json_t *failed = last_request(&f);
	g_assert_true(failed != real);
	g_assert_cmpstr(json_string_value(json_object_get(json_object_get(failed, "body"), "request")), ==, "jsep-gate-failed");
	g_assert_cmpstr(json_string_value(json_object_get(json_object_get(failed, "body"), "callId")), ==, "c10");
	/* Without a jsep, or on another event, there is no gate. */
	receive(s, "24[\"accept-call\",{\"callId\":\"c1\"}]");
	g_assert_null(json_object_get(json_object_get(last_request(&f), "body"), "jsepGate"));
	json_decref(expected);
	done(s, &f);
}

#define CANDIDATE_ACKED(ack, call) "2" ack "[\"ice-candidate\",{\"callId\":\"" call "\",\"candidate\":{\"candidate\":" \
	"\"candidate:1 1 udp 2015363327 10.0.0.1 20000 typ host\",\"sdpMid\":\"0\",\"sdpMLineIndex\":0}}]"

static const char *last_verb(fake *f) {
	return json_string_value(json_object_get(last_request(f), "janus"));
}

/* A candidate for a call the plugin refused (a glare start-call, a refused
 * accept) never reaches the handle; one sent while the gate decides waits for it. */
static void test_refused_call_candidates(void) {
	fake f;
	sio_socket *s = connected_socket(&f);
	plugin_event(s, "{\"event\":\"incoming-call\",\"callId\":\"in1\"}");
	/* Glare: our start-call is refused busy, its candidate waits meanwhile, then goes nowhere. */
	receive(s, "21[\"start-call\",{\"toUserId\":\"b\",\"jsep\":{\"type\":\"offer\",\"sdp\":\"v=0\"}}]");
	json_t *gate = json_incref(last_request(&f));
	guint requests = f.requests->len;
	receive(s, CANDIDATE_ACKED("5", "c5"));
	g_assert_cmpuint(f.requests->len, ==, requests);
	janus(s, "{\"janus\":\"event\",\"transaction\":\"%s\",\"plugindata\":{\"plugin\":\"p\",\"data\":"
		"{\"error\":\"busy\",\"callId\":\"c5\",\"incomingCallId\":\"in1\",\"error_code\":492}}}", transaction_of(gate));
	json_decref(gate);
	g_assert_cmpuint(f.requests->len, ==, requests);
	g_assert_cmpstr(last_sent(&f), ==, "35[{\"error\":\"That call was refused: its candidates go nowhere\"}]");
	receive(s, CANDIDATE_ACKED("6", "c5"));
	g_assert_cmpuint(f.requests->len, ==, requests);
	g_assert_cmpstr(last_sent(&f), ==, "36[{\"error\":\"That call was refused: its candidates go nowhere\"}]");
	/* The call ringing for us takes them. */
	receive(s, CANDIDATE_EVENT("in1", ""));
	g_assert_cmpstr(last_verb(&f), ==, "trickle");
	/* Let through: what waited goes on once the core has the jsep. */
	receive(s, "22[\"accept-call\",{\"callId\":\"in1\",\"jsep\":{\"type\":\"answer\",\"sdp\":\"v=0\"}}]");
	gate = last_request(&f);
	janus(s, "{\"janus\":\"event\",\"transaction\":\"%s\",\"plugindata\":{\"plugin\":\"p\",\"data\":"
		"{\"jsepGate\":{\"callId\":\"in1\"}}}}", transaction_of(gate));
	json_t *real = json_incref(last_request(&f));
	requests = f.requests->len;
	receive(s, CANDIDATE_EVENT("in1", ""));
	g_assert_cmpuint(f.requests->len, ==, requests);
	janus(s, "{\"janus\":\"event\",\"transaction\":\"%s\",\"plugindata\":{\"plugin\":\"p\",\"data\":{\"success\":true}}}",
		transaction_of(real));
	json_decref(real);
	g_assert_cmpuint(f.requests->len, ==, requests + 1);
	g_assert_cmpstr(last_verb(&f), ==, "trickle");
	g_assert_cmpuint(g_queue_get_length(&s->held_trickles), ==, 0);
	done(s, &f);
}

/* The plugin sends the client away (its user registered elsewhere). */
static void test_close_instruction(void) {
	fake f;
	sio_socket *s = connected_socket(&f);
	janus(s, INSTRUCTION("222", "{\"close\":\"replaced\"}") "}");
	g_assert_cmpstr(last_sent(&f), ==, "1");
	g_assert_cmpint(f.closes, ==, 0);
	guint sent = f.sent->len;
	/* Nothing more in or out. */
	receive(s, "25[\"end-call\",{\"callId\":\"c1\"}]");
	janus(s, "{\"janus\":\"event\",\"session_id\":111,\"sender\":222,\"plugindata\":{\"plugin\":\"p\","
		"\"data\":{\"event\":\"call-ended\",\"callId\":\"c1\"}}}");
	janus(s, INSTRUCTION("222", "{\"close\":\"replaced\"}") "}");
	g_assert_cmpuint(f.sent->len, ==, sent);
	/* Its connection closing is a client gone like any: the plugin may keep the session. */
	guint requests = f.requests->len;
	g_assert_true(sio_socket_client_gone(s, g_get_monotonic_time()));
	g_assert_cmpuint(f.requests->len, ==, requests + 1);
	g_assert_cmpstr(json_string_value(json_object_get(json_object_get(last_request(&f), "body"), "request")), ==, "disconnect");
	done(s, &f);
}

int main(int argc, char **argv) {
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/socket/connect", test_connect);
	g_test_add_func("/socket/connect-auth-namespace", test_connect_auth_and_namespace);
	g_test_add_func("/socket/setup-failures", test_setup_failures);
	g_test_add_func("/socket/event-with-ack", test_event_with_ack);
	g_test_add_func("/socket/acks-counted", test_acks_counted);
	g_test_add_func("/socket/event-without-ack-reused-ids", test_event_without_ack_and_reused_ids);
	g_test_add_func("/socket/early-events", test_early_events);
	g_test_add_func("/socket/bad-input", test_bad_input);
	g_test_add_func("/socket/not-connected", test_not_connected);
	g_test_add_func("/socket/in-flight-limit", test_in_flight_limit);
	g_test_add_func("/socket/event-rate", test_event_rate);
	g_test_add_func("/socket/events-and-trickle", test_events_and_trickle);
	g_test_add_func("/socket/session-end", test_session_end);
	g_test_add_func("/socket/transport-courier", test_transport_courier);
	g_test_add_func("/socket/gateway-candidates", test_gateway_candidates);
	g_test_add_func("/socket/transport-candidates", test_transport_candidates);
	g_test_add_func("/socket/linger-kept", test_linger_kept);
	g_test_add_func("/socket/session-timeout-off", test_session_timeout_off);
	g_test_add_func("/socket/keepalive-fallback", test_keepalive_fallback);
	g_test_add_func("/socket/auth", test_auth);
	g_test_add_func("/socket/request-timeout", test_request_timeout);
	g_test_add_func("/socket/connect-timeout", test_connect_timeout);
	g_test_add_func("/socket/jsep-gate", test_jsep_gate);
	g_test_add_func("/socket/close-instruction", test_close_instruction);
	g_test_add_func("/socket/refused-call-candidates", test_refused_call_candidates);
	return g_test_run();
}
