/* Socket.IO v5 packets: every type, namespaces, ack ids, attachments, errors. */
#include <glib.h>
#include <string.h>

#include "../../transport/socketio_codec.h"

static sio_decode_status decode(const char *text, gsize len, sio_packet *p, const char **error) {
	/* Exact-size copy: reads past the end are caught by ASan/valgrind. */
	char *buf = g_malloc(len ? len : 1);
	memcpy(buf, text, len);
	sio_decode_status status = sio_decode(buf, len, p, error);
	g_free(buf);
	return status;
}

static sio_decode_status decode_str(const char *text, sio_packet *p, const char **error) {
	return decode(text, strlen(text), p, error);
}

static void assert_json(json_t *actual, const char *expected_text) {
	json_t *expected = json_loads(expected_text, JSON_DECODE_ANY, NULL);
	g_assert_nonnull(expected);
	g_assert_true(json_equal(actual, expected));
	json_decref(expected);
}

static void test_valid(void) {
	struct {
		const char *text; sio_packet_type type; const char *nsp; gint64 ack; guint attachments; const char *data;
	} cases[] = {
		{ "0", SIO_CONNECT, "/", SIO_NO_ACK, 0, NULL },
		{ "0{\"token\":\"abc\"}", SIO_CONNECT, "/", SIO_NO_ACK, 0, "{\"token\":\"abc\"}" },
		{ "0/admin,", SIO_CONNECT, "/admin", SIO_NO_ACK, 0, NULL },
		{ "0/admin,{\"a\":1}", SIO_CONNECT, "/admin", SIO_NO_ACK, 0, "{\"a\":1}" },
		{ "0/admin", SIO_CONNECT, "/admin", SIO_NO_ACK, 0, NULL },
		{ "1", SIO_DISCONNECT, "/", SIO_NO_ACK, 0, NULL },
		{ "1/admin,", SIO_DISCONNECT, "/admin", SIO_NO_ACK, 0, NULL },
		{ "2[\"register\",\"42\"]", SIO_EVENT, "/", SIO_NO_ACK, 0, "[\"register\",\"42\"]" },
		{ "21[\"start-call\",{\"toUserId\":\"b\"}]", SIO_EVENT, "/", 1, 0, "[\"start-call\",{\"toUserId\":\"b\"}]" },
		{ "2/admin,7[\"x\"]", SIO_EVENT, "/admin", 7, 0, "[\"x\"]" },
		{ "2[\"end-call\"]", SIO_EVENT, "/", SIO_NO_ACK, 0, "[\"end-call\"]" },
		{ "31[{\"ok\":true}]", SIO_ACK, "/", 1, 0, "[{\"ok\":true}]" },
		{ "30[]", SIO_ACK, "/", 0, 0, "[]" },
		{ "4{\"message\":\"nope\"}", SIO_CONNECT_ERROR, "/", SIO_NO_ACK, 0, "{\"message\":\"nope\"}" },
		{ "4\"nope\"", SIO_CONNECT_ERROR, "/", SIO_NO_ACK, 0, "\"nope\"" },
		{ "51-[\"x\",{\"_placeholder\":true,\"num\":0}]", SIO_BINARY_EVENT, "/", SIO_NO_ACK, 1,
			"[\"x\",{\"_placeholder\":true,\"num\":0}]" },
		{ "52-/admin,9[\"x\",{},{}]", SIO_BINARY_EVENT, "/admin", 9, 2, "[\"x\",{},{}]" },
		{ "61-3[{\"_placeholder\":true,\"num\":0}]", SIO_BINARY_ACK, "/", 3, 1, "[{\"_placeholder\":true,\"num\":0}]" },
		{ "29007199254740991[\"max\"]", SIO_EVENT, "/", SIO_MAX_ACK_ID, 0, "[\"max\"]" },
	};
	for(gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
		sio_packet p = { 0 };
		const char *error = NULL;
		sio_decode_status status = decode_str(cases[i].text, &p, &error);
		if(status != SIO_DECODE_OK)
			g_error("%s: %s", cases[i].text, error);
		g_assert_cmpint(p.type, ==, cases[i].type);
		g_assert_cmpstr(p.nsp, ==, cases[i].nsp);
		g_assert_cmpint(p.ack_id, ==, cases[i].ack);
		g_assert_cmpuint(p.attachments, ==, cases[i].attachments);
		if(cases[i].data)
			assert_json(p.data, cases[i].data);
		else
			g_assert_null(p.data);
		/* Round trip for what the server sends. */
		if(p.type != SIO_BINARY_EVENT && p.type != SIO_BINARY_ACK) {
			char *again = sio_encode(p.type, p.nsp, p.ack_id, p.data);
			sio_packet q = { 0 };
			g_assert_cmpint(decode_str(again, &q, &error), ==, SIO_DECODE_OK);
			g_assert_cmpint(q.type, ==, p.type);
			g_assert_cmpstr(q.nsp, ==, p.nsp);
			g_assert_cmpint(q.ack_id, ==, p.ack_id);
			g_assert_true((p.data == NULL && q.data == NULL) || json_equal(p.data, q.data));
			sio_packet_clear(&q);
			g_free(again);
		}
		sio_packet_clear(&p);
	}
}

static void test_bad_header(void) {
	const char *cases[] = {
		"", "7", "x", "-1",
		"5[\"x\"]", "5-[\"x\"]", "5x-[\"x\"]", "517-[\"x\"]", "599999-[\"x\"]", "51",
		"290071992547409920[\"too big\"]", "212345678901234567[\"17 digits\"]",
	};
	for(gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
		sio_packet p = { 0 };
		const char *error = NULL;
		g_assert_cmpint(decode_str(cases[i], &p, &error), ==, SIO_DECODE_BAD_HEADER);
		g_assert_nonnull(error);
		sio_packet_clear(&p);
	}
	/* A namespace longer than the limit. */
	char *nsp = g_strnfill(SIO_MAX_NSP_LEN + 1, 'n');
	nsp[0] = '/';
	char *text = g_strdup_printf("0%s,", nsp);
	sio_packet p = { 0 };
	const char *error = NULL;
	g_assert_cmpint(decode_str(text, &p, &error), ==, SIO_DECODE_BAD_HEADER);
	sio_packet_clear(&p);
	g_free(text);
	/* At the limit it's fine. */
	nsp[SIO_MAX_NSP_LEN] = '\0';
	text = g_strdup_printf("0%s,", nsp);
	g_assert_cmpint(decode_str(text, &p, &error), ==, SIO_DECODE_OK);
	g_assert_cmpuint(strlen(p.nsp), ==, SIO_MAX_NSP_LEN);
	sio_packet_clear(&p);
	g_free(text);
	g_free(nsp);
	/* Sixteen digits are fine. */
	g_assert_cmpint(decode_str("21234567890123456[\"x\"]", &p, &error), ==, SIO_DECODE_OK);
	g_assert_cmpint(p.ack_id, ==, 1234567890123456LL);
	sio_packet_clear(&p);
	g_assert_cmpint(decode_str("516-[\"x\"]", &p, &error), ==, SIO_DECODE_OK);
	g_assert_cmpuint(p.attachments, ==, SIO_MAX_ATTACHMENTS);
	sio_packet_clear(&p);
}

static void test_bad_payload(void) {
	struct { const char *text; gsize len; sio_packet_type type; gint64 ack; } cases[] = {
		{ "21[\"x\",{", 0, SIO_EVENT, 1 },
		{ "22hello", 0, SIO_EVENT, 2 },
		{ "23{\"a\":1}", 0, SIO_EVENT, 3 },
		{ "24[]", 0, SIO_EVENT, 4 },
		{ "25[5]", 0, SIO_EVENT, 5 },
		{ "26[\"disconnect\"]", 0, SIO_EVENT, 6 },
		{ "27[\"connect\",1]", 0, SIO_EVENT, 7 },
		{ "2\"str\"", 0, SIO_EVENT, SIO_NO_ACK },
		{ "38{}", 0, SIO_ACK, 8 },
		{ "0[1]", 0, SIO_CONNECT, SIO_NO_ACK },
		{ "0\"token\"", 0, SIO_CONNECT, SIO_NO_ACK },
		{ "012", 0, SIO_CONNECT, SIO_NO_ACK },
		{ "1{}", 0, SIO_DISCONNECT, SIO_NO_ACK },
		{ "4", 0, SIO_CONNECT_ERROR, SIO_NO_ACK },
		{ "4[1]", 0, SIO_CONNECT_ERROR, SIO_NO_ACK },
		{ "29[\"a\0b\"]", 9, SIO_EVENT, 9 },
		{ "51-{\"x\":1}", 0, SIO_BINARY_EVENT, SIO_NO_ACK },
	};
	for(gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
		sio_packet p = { 0 };
		const char *error = NULL;
		gsize len = cases[i].len ? cases[i].len : strlen(cases[i].text);
		g_assert_cmpint(decode(cases[i].text, len, &p, &error), ==, SIO_DECODE_BAD_PAYLOAD);
		g_assert_nonnull(error);
		/* The header is still there to answer with. */
		g_assert_cmpint(p.type, ==, cases[i].type);
		g_assert_cmpint(p.ack_id, ==, cases[i].ack);
		g_assert_cmpstr(p.nsp, ==, "/");
		g_assert_null(p.data);
		sio_packet_clear(&p);
	}
}

static void test_encode(void) {
	json_t *payload = json_pack("{ss}", "callId", "c1");
	char *text = sio_encode_event("call-ended", payload);
	g_assert_cmpstr(text, ==, "2[\"call-ended\",{\"callId\":\"c1\"}]");
	g_free(text);
	text = sio_encode_event("ping-ish", NULL);
	g_assert_cmpstr(text, ==, "2[\"ping-ish\"]");
	g_free(text);
	text = sio_encode_ack(12, payload);
	g_assert_cmpstr(text, ==, "312[{\"callId\":\"c1\"}]");
	g_free(text);
	text = sio_encode_ack(0, NULL);
	g_assert_cmpstr(text, ==, "30[]");
	g_free(text);
	json_decref(payload);
	payload = json_pack("{ss}", "sid", "abc");
	text = sio_encode(SIO_CONNECT, "/", SIO_NO_ACK, payload);
	g_assert_cmpstr(text, ==, "0{\"sid\":\"abc\"}");
	g_free(text);
	json_decref(payload);
	payload = json_pack("{ss}", "message", "Invalid namespace");
	text = sio_encode(SIO_CONNECT_ERROR, "/admin", SIO_NO_ACK, payload);
	g_assert_cmpstr(text, ==, "4/admin,{\"message\":\"Invalid namespace\"}");
	g_free(text);
	json_decref(payload);
	text = sio_encode(SIO_DISCONNECT, NULL, SIO_NO_ACK, NULL);
	g_assert_cmpstr(text, ==, "1");
	g_free(text);
	/* Non-ASCII survives as UTF-8. */
	payload = json_string("héllo");
	text = sio_encode_event("x", payload);
	g_assert_cmpstr(text, ==, "2[\"x\",\"héllo\"]");
	g_free(text);
	json_decref(payload);
}

int main(int argc, char **argv) {
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/sio-codec/valid", test_valid);
	g_test_add_func("/sio-codec/bad-header", test_bad_header);
	g_test_add_func("/sio-codec/bad-payload", test_bad_payload);
	g_test_add_func("/sio-codec/encode", test_encode);
	return g_test_run();
}
