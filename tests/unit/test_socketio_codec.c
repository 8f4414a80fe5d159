/* Socket.IO v5 packets: every type both ways, namespaces, ack ids, attachments, errors. */
#include <glib.h>
#include <stdlib.h>
#include <string.h>

#include "../../transport/socketio_codec.h"

static sio_decode_status decode(const char *text, gsize len, sio_packet *p, const char **error) {
	/* Exact-size copy with no NUL after it: reads past the end are caught by ASan/valgrind. */
	char *buf = g_malloc(len ? len : 1);
	if(len > 0)
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
	g_assert_nonnull(actual);
	g_assert_true(json_equal(actual, expected));
	json_decref(expected);
}

/* What a BAD_HEADER leaves: nothing. */
static void assert_cleared(const sio_packet *p) {
	g_assert_null(p->nsp);
	g_assert_null(p->data);
	g_assert_cmpint(p->ack_id, ==, SIO_NO_ACK);
	g_assert_cmpuint(p->attachments, ==, 0);
}

static void test_valid(void) {
	struct {
		const char *text; sio_packet_type type; const char *nsp; gint64 ack; guint attachments; const char *data;
		const char *encoded;    /* what sio_encode makes of it, when not the same text */
	} cases[] = {
		{ "0", SIO_CONNECT, "/", SIO_NO_ACK, 0, NULL, NULL },
		{ "0{}", SIO_CONNECT, "/", SIO_NO_ACK, 0, "{}", NULL },
		{ "0{\"token\":\"abc\"}", SIO_CONNECT, "/", SIO_NO_ACK, 0, "{\"token\":\"abc\"}", NULL },
		{ "0/admin,", SIO_CONNECT, "/admin", SIO_NO_ACK, 0, NULL, NULL },
		{ "0/admin,{\"a\":1}", SIO_CONNECT, "/admin", SIO_NO_ACK, 0, "{\"a\":1}", NULL },
		{ "0/admin", SIO_CONNECT, "/admin", SIO_NO_ACK, 0, NULL, "0/admin," },     /* no comma at the end */
		{ "0/,", SIO_CONNECT, "/", SIO_NO_ACK, 0, NULL, "0" },
		{ "0/", SIO_CONNECT, "/", SIO_NO_ACK, 0, NULL, "0" },
		{ "0/é\xf0\x9f\x93\x9e,", SIO_CONNECT, "/é\xf0\x9f\x93\x9e", SIO_NO_ACK, 0, NULL, NULL },
		{ "0/a b/c?d=1,{}", SIO_CONNECT, "/a b/c?d=1", SIO_NO_ACK, 0, "{}", NULL },
		{ "0 {\"a\" : 1} ", SIO_CONNECT, "/", SIO_NO_ACK, 0, "{\"a\":1}", "0{\"a\":1}" },
		{ "1", SIO_DISCONNECT, "/", SIO_NO_ACK, 0, NULL, NULL },
		{ "1/admin,", SIO_DISCONNECT, "/admin", SIO_NO_ACK, 0, NULL, NULL },
		{ "2[\"register\",\"42\"]", SIO_EVENT, "/", SIO_NO_ACK, 0, "[\"register\",\"42\"]", NULL },
		{ "21[\"start-call\",{\"toUserId\":\"b\",\"callType\":\"video\"}]", SIO_EVENT, "/", 1, 0,
			"[\"start-call\",{\"toUserId\":\"b\",\"callType\":\"video\"}]", NULL },
		{ "2/admin,7[\"x\"]", SIO_EVENT, "/admin", 7, 0, "[\"x\"]", NULL },
		{ "2/admin,[\"x\"]", SIO_EVENT, "/admin", SIO_NO_ACK, 0, "[\"x\"]", NULL },
		{ "2[\"end-call\"]", SIO_EVENT, "/", SIO_NO_ACK, 0, "[\"end-call\"]", NULL },
		{ "2[\"\"]", SIO_EVENT, "/", SIO_NO_ACK, 0, "[\"\"]", NULL },
		{ "2[\"Connect\",null]", SIO_EVENT, "/", SIO_NO_ACK, 0, "[\"Connect\",null]", NULL },  /* case matters */
		{ "2[\"é\",1.5,-2,true,false,null,[],{}]", SIO_EVENT, "/", SIO_NO_ACK, 0,
			"[\"é\",1.5,-2,true,false,null,[],{}]", NULL },
		{ "20[\"zero\"]", SIO_EVENT, "/", 0, 0, "[\"zero\"]", NULL },
		{ "2007[\"x\"]", SIO_EVENT, "/", 7, 0, "[\"x\"]", "27[\"x\"]" },         /* leading zeros */
		{ "29007199254740991[\"max\"]", SIO_EVENT, "/", SIO_MAX_ACK_ID, 0, "[\"max\"]", NULL },
		{ "21234567890123456[\"x\"]", SIO_EVENT, "/", 1234567890123456LL, 0, "[\"x\"]", NULL },  /* 16 digits */
		{ "20000000000000001[\"x\"]", SIO_EVENT, "/", 1, 0, "[\"x\"]", "21[\"x\"]" },
		{ "31[{\"ok\":true}]", SIO_ACK, "/", 1, 0, "[{\"ok\":true}]", NULL },
		{ "30[]", SIO_ACK, "/", 0, 0, "[]", NULL },
		{ "3[]", SIO_ACK, "/", SIO_NO_ACK, 0, "[]", NULL },
		{ "3/admin,5[1,2]", SIO_ACK, "/admin", 5, 0, "[1,2]", NULL },
		{ "4{\"message\":\"nope\"}", SIO_CONNECT_ERROR, "/", SIO_NO_ACK, 0, "{\"message\":\"nope\"}", NULL },
		{ "4\"nope\"", SIO_CONNECT_ERROR, "/", SIO_NO_ACK, 0, "\"nope\"", NULL },
		{ "4/admin,{\"message\":\"Invalid namespace\"}", SIO_CONNECT_ERROR, "/admin", SIO_NO_ACK, 0,
			"{\"message\":\"Invalid namespace\"}", NULL },
		{ "51-[\"x\",{\"_placeholder\":true,\"num\":0}]", SIO_BINARY_EVENT, "/", SIO_NO_ACK, 1,
			"[\"x\",{\"_placeholder\":true,\"num\":0}]", NULL },
		{ "52-/admin,9[\"x\",{},{}]", SIO_BINARY_EVENT, "/admin", 9, 2, "[\"x\",{},{}]", NULL },
		{ "516-[\"x\"]", SIO_BINARY_EVENT, "/", SIO_NO_ACK, SIO_MAX_ATTACHMENTS, "[\"x\"]", NULL },
		{ "5016-[\"x\"]", SIO_BINARY_EVENT, "/", SIO_NO_ACK, 16, "[\"x\"]", NULL },
		{ "61-3[{\"_placeholder\":true,\"num\":0}]", SIO_BINARY_ACK, "/", 3, 1,
			"[{\"_placeholder\":true,\"num\":0}]", NULL },
		{ "61-/x,[]", SIO_BINARY_ACK, "/x", SIO_NO_ACK, 1, "[]", NULL },
	};
	for(gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
		sio_packet p = { 0 };
		const char *error = "unset";
		sio_decode_status status = decode_str(cases[i].text, &p, &error);
		if(status != SIO_DECODE_OK)
			g_error("%s: %s", cases[i].text, error);
		g_assert_null(error);
		g_assert_cmpint(p.type, ==, cases[i].type);
		g_assert_cmpstr(p.nsp, ==, cases[i].nsp);
		g_assert_cmpint(p.ack_id, ==, cases[i].ack);
		g_assert_cmpuint(p.attachments, ==, cases[i].attachments);
		if(cases[i].data)
			assert_json(p.data, cases[i].data);
		else
			g_assert_null(p.data);
		/* Round trip: binary packets are never encoded by the server (no count to write). */
		if(p.type != SIO_BINARY_EVENT && p.type != SIO_BINARY_ACK) {
			char *again = sio_encode(p.type, p.nsp, p.ack_id, p.data);
			g_assert_cmpstr(again, ==, cases[i].encoded ? cases[i].encoded : cases[i].text);
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
		g_assert_null(p.nsp);
		g_assert_null(p.data);
	}
}

static void test_bad_header(void) {
	struct { const char *text; gsize len; } cases[] = {
		{ "", 0 }, { "7", 0 }, { "9[]", 0 }, { "x", 0 }, { "-1", 0 }, { "/", 0 }, { ":", 0 }, { " 2[\"x\"]", 0 },
		{ "\0" "2", 2 },
		/* Attachments: missing, empty, not digits, zero, too many, huge. */
		{ "5", 0 }, { "51", 0 }, { "6", 0 }, { "61", 0 },
		{ "5[\"x\"]", 0 }, { "5-[\"x\"]", 0 }, { "5x-[\"x\"]", 0 }, { "5 1-[\"x\"]", 0 }, { "51 -[\"x\"]", 0 },
		{ "5+1-[\"x\"]", 0 }, { "51e1-[\"x\"]", 0 }, { "5/admin,1-[\"x\"]", 0 },
		{ "50-[\"x\"]", 0 }, { "500-[\"x\"]", 0 },
		{ "517-[\"x\"]", 0 }, { "599999-[\"x\"]", 0 }, { "618446744073709551617-[]", 0 },
		{ "5999999999999999999999999999999999999999999999-[\"x\"]", 0 },
		/* Ack ids: above the limit, 17 digits even if small. */
		{ "29007199254740992[\"too big\"]", 0 },
		{ "299999999999999999[\"x\"]", 0 },
		{ "212345678901234567[\"17 digits\"]", 0 },
		{ "200000000000000001[\"17 digits\"]", 0 },
		{ "39007199254740992[]", 0 },
		{ "51-9007199254740992[\"x\"]", 0 },
		{ "218446744073709551617[\"wraps\"]", 0 },
		/* Namespaces: NUL and other control characters, not UTF-8. */
		{ "0/a\0b,", 6 },
		{ "0/a\x1e" "b,", 0 },
		{ "0/a\nb,", 0 },
		{ "0/a\x7f" "b,", 0 },
		{ "0/\x01", 0 },
		{ "2/\xff,[\"x\"]", 0 },
		{ "2/\xc3,[\"x\"]", 0 },
		{ "0/\xc3", 0 },      /* cut at the end of the buffer */
	};
	for(gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
		sio_packet p = { 0 };
		const char *error = NULL;
		gsize len = cases[i].len ? cases[i].len : strlen(cases[i].text);
		sio_decode_status status = decode(cases[i].text, len, &p, &error);
		if(status != SIO_DECODE_BAD_HEADER)
			g_error("%.*s: status %d", (int)len, cases[i].text, status);
		g_assert_nonnull(error);
		assert_cleared(&p);
		sio_packet_clear(&p);
	}
	sio_packet p = { 0 };
	const char *error = NULL;
	g_assert_cmpint(decode_str("599-[\"x\"]", &p, &error), ==, SIO_DECODE_BAD_HEADER);
	g_assert_cmpstr(error, ==, "too many attachments");
	g_assert_cmpint(decode_str("9", &p, &error), ==, SIO_DECODE_BAD_HEADER);
	g_assert_cmpstr(error, ==, "unknown packet type");
	g_assert_cmpint(decode("", 0, &p, &error), ==, SIO_DECODE_BAD_HEADER);
	g_assert_cmpstr(error, ==, "empty packet");
	g_assert_cmpint(sio_decode(NULL, 0, &p, &error), ==, SIO_DECODE_BAD_HEADER);
	/* A packet that was in use is reset too. */
	g_assert_cmpint(decode_str("2/admin,5[\"x\"]", &p, &error), ==, SIO_DECODE_OK);
	sio_packet_clear(&p);
	g_assert_cmpint(decode_str("2/admin,12345678901234567[\"x\"]", &p, &error), ==, SIO_DECODE_BAD_HEADER);
	g_assert_cmpstr(error, ==, "invalid ack id");
	assert_cleared(&p);
	sio_packet_clear(&p);
}

static void test_namespace_limit(void) {
	sio_packet p = { 0 };
	const char *error = NULL;
	char *nsp = g_strnfill(SIO_MAX_NSP_LEN + 1, 'n');
	nsp[0] = '/';
	/* One over the limit, with and without a comma. */
	char *text = g_strdup_printf("2%s,3[\"x\"]", nsp);
	g_assert_cmpint(decode_str(text, &p, &error), ==, SIO_DECODE_BAD_HEADER);
	g_assert_cmpstr(error, ==, "namespace too long");
	assert_cleared(&p);
	g_free(text);
	text = g_strdup_printf("0%s", nsp);
	g_assert_cmpint(decode_str(text, &p, &error), ==, SIO_DECODE_BAD_HEADER);
	g_free(text);
	/* At the limit it's fine. */
	nsp[SIO_MAX_NSP_LEN] = '\0';
	text = g_strdup_printf("2%s,3[\"x\"]", nsp);
	g_assert_cmpint(decode_str(text, &p, &error), ==, SIO_DECODE_OK);
	g_assert_cmpstr(p.nsp, ==, nsp);
	g_assert_cmpint(p.ack_id, ==, 3);
	char *again = sio_encode(p.type, p.nsp, p.ack_id, p.data);
	g_assert_cmpstr(again, ==, text);
	g_free(again);
	sio_packet_clear(&p);
	g_free(text);
	text = g_strdup_printf("0%s", nsp);
	g_assert_cmpint(decode_str(text, &p, &error), ==, SIO_DECODE_OK);
	g_assert_cmpuint(strlen(p.nsp), ==, SIO_MAX_NSP_LEN);
	sio_packet_clear(&p);
	g_free(text);
	g_free(nsp);
	/* The limit is in bytes. */
	GString *wide = g_string_new("0/");
	while(wide->len + 2 <= SIO_MAX_NSP_LEN + 1)
		g_string_append(wide, "é");
	g_assert_cmpuint(wide->len - 1, ==, SIO_MAX_NSP_LEN - 1);
	g_assert_cmpint(decode(wide->str, wide->len, &p, &error), ==, SIO_DECODE_OK);
	sio_packet_clear(&p);
	g_string_append(wide, "é");
	g_assert_cmpint(decode(wide->str, wide->len, &p, &error), ==, SIO_DECODE_BAD_HEADER);
	sio_packet_clear(&p);
	g_string_free(wide, TRUE);
}

static void test_bad_payload(void) {
	struct {
		const char *text; gsize len; sio_packet_type type; const char *nsp; gint64 ack; guint attachments; const char *error;
	} cases[] = {
		{ "21[\"x\",{", 0, SIO_EVENT, "/", 1, 0, "invalid JSON payload" },
		{ "21[\"start-call\",{\"toUserId\":", 0, SIO_EVENT, "/", 1, 0, "invalid JSON payload" },
		{ "22hello", 0, SIO_EVENT, "/", 2, 0, "invalid JSON payload" },
		{ "2[\"x\"", 0, SIO_EVENT, "/", SIO_NO_ACK, 0, "invalid JSON payload" },
		{ "2[\"x\"]]", 0, SIO_EVENT, "/", SIO_NO_ACK, 0, "invalid JSON payload" },
		{ "2[\"x\"] [1]", 0, SIO_EVENT, "/", SIO_NO_ACK, 0, "invalid JSON payload" },
		{ "2[\"x\",]", 0, SIO_EVENT, "/", SIO_NO_ACK, 0, "invalid JSON payload" },
		{ "2['x']", 0, SIO_EVENT, "/", SIO_NO_ACK, 0, "invalid JSON payload" },
		{ "2[\"x\",NaN]", 0, SIO_EVENT, "/", SIO_NO_ACK, 0, "invalid JSON payload" },
		{ "2[\"x\",1e400]", 0, SIO_EVENT, "/", SIO_NO_ACK, 0, "invalid JSON payload" },
		{ "2[\"x\",123456789012345678901234567890]", 0, SIO_EVENT, "/", SIO_NO_ACK, 0, "invalid JSON payload" },
		{ "2[\"x\\u0000y\"]", 0, SIO_EVENT, "/", SIO_NO_ACK, 0, "invalid JSON payload" },
		{ "2[\"x\xff\"]", 0, SIO_EVENT, "/", SIO_NO_ACK, 0, "invalid JSON payload" },
		{ "2[\"x\xc3\"]", 0, SIO_EVENT, "/", SIO_NO_ACK, 0, "invalid JSON payload" },
		{ "2[\"\xed\xa0\x80\"]", 0, SIO_EVENT, "/", SIO_NO_ACK, 0, "invalid JSON payload" },
		{ "29[\"a\0b\"]", 9, SIO_EVENT, "/", 9, 0, "invalid JSON payload" },
		{ "29[\"ab\"]\0", 9, SIO_EVENT, "/", 9, 0, "invalid JSON payload" },     /* trailing NUL */
		{ "2\0", 2, SIO_EVENT, "/", SIO_NO_ACK, 0, "invalid JSON payload" },
		{ "2", 0, SIO_EVENT, "/", SIO_NO_ACK, 0, "an event must be an array starting with its name" },
		{ "27", 0, SIO_EVENT, "/", 7, 0, "an event must be an array starting with its name" },
		{ "2/admin,", 0, SIO_EVENT, "/admin", SIO_NO_ACK, 0, "an event must be an array starting with its name" },
		{ "2/admin", 0, SIO_EVENT, "/admin", SIO_NO_ACK, 0, "an event must be an array starting with its name" },
		{ "23{\"a\":1}", 0, SIO_EVENT, "/", 3, 0, "an event must be an array starting with its name" },
		{ "24[]", 0, SIO_EVENT, "/", 4, 0, "an event must be an array starting with its name" },
		{ "25[5]", 0, SIO_EVENT, "/", 5, 0, "an event must be an array starting with its name" },
		{ "2[null]", 0, SIO_EVENT, "/", SIO_NO_ACK, 0, "an event must be an array starting with its name" },
		{ "2[[\"x\"]]", 0, SIO_EVENT, "/", SIO_NO_ACK, 0, "an event must be an array starting with its name" },
		{ "2\"str\"", 0, SIO_EVENT, "/", SIO_NO_ACK, 0, "an event must be an array starting with its name" },
		{ "2null", 0, SIO_EVENT, "/", SIO_NO_ACK, 0, "an event must be an array starting with its name" },
		{ "26[\"disconnect\"]", 0, SIO_EVENT, "/", 6, 0, "reserved event name" },
		{ "27[\"connect\",1]", 0, SIO_EVENT, "/", 7, 0, "reserved event name" },
		{ "2[\"connect_error\"]", 0, SIO_EVENT, "/", SIO_NO_ACK, 0, "reserved event name" },
		{ "2[\"disconnecting\"]", 0, SIO_EVENT, "/", SIO_NO_ACK, 0, "reserved event name" },
		{ "2[\"newListener\"]", 0, SIO_EVENT, "/", SIO_NO_ACK, 0, "reserved event name" },
		{ "2/admin,8[\"removeListener\"]", 0, SIO_EVENT, "/admin", 8, 0, "reserved event name" },
		{ "3", 0, SIO_ACK, "/", SIO_NO_ACK, 0, "an ack payload must be an array" },
		{ "38", 0, SIO_ACK, "/", 8, 0, "an ack payload must be an array" },
		{ "38{}", 0, SIO_ACK, "/", 8, 0, "an ack payload must be an array" },
		{ "38\"x\"", 0, SIO_ACK, "/", 8, 0, "an ack payload must be an array" },
		{ "3/admin,8 ", 0, SIO_ACK, "/admin", 8, 0, "invalid JSON payload" },
		{ "0[1]", 0, SIO_CONNECT, "/", SIO_NO_ACK, 0, "a CONNECT payload must be an object" },
		{ "0\"token\"", 0, SIO_CONNECT, "/", SIO_NO_ACK, 0, "a CONNECT payload must be an object" },
		{ "0null", 0, SIO_CONNECT, "/", SIO_NO_ACK, 0, "a CONNECT payload must be an object" },
		{ "012", 0, SIO_CONNECT, "/", SIO_NO_ACK, 0, "a CONNECT payload must be an object" },  /* no ack id here */
		{ "012{}", 0, SIO_CONNECT, "/", SIO_NO_ACK, 0, "invalid JSON payload" },
		{ "0/admin,{", 0, SIO_CONNECT, "/admin", SIO_NO_ACK, 0, "invalid JSON payload" },
		{ "1{}", 0, SIO_DISCONNECT, "/", SIO_NO_ACK, 0, "a DISCONNECT has no payload" },
		{ "15", 0, SIO_DISCONNECT, "/", SIO_NO_ACK, 0, "a DISCONNECT has no payload" },
		{ "1/admin,x", 0, SIO_DISCONNECT, "/admin", SIO_NO_ACK, 0, "invalid JSON payload" },
		{ "4", 0, SIO_CONNECT_ERROR, "/", SIO_NO_ACK, 0, "a CONNECT_ERROR payload must be an object or a string" },
		{ "4[1]", 0, SIO_CONNECT_ERROR, "/", SIO_NO_ACK, 0, "a CONNECT_ERROR payload must be an object or a string" },
		{ "41", 0, SIO_CONNECT_ERROR, "/", SIO_NO_ACK, 0, "a CONNECT_ERROR payload must be an object or a string" },
		{ "51-{\"x\":1}", 0, SIO_BINARY_EVENT, "/", SIO_NO_ACK, 1, "an event must be an array starting with its name" },
		{ "52-/a,4[\"disconnect\"]", 0, SIO_BINARY_EVENT, "/a", 4, 2, "reserved event name" },
		{ "51-", 0, SIO_BINARY_EVENT, "/", SIO_NO_ACK, 1, "an event must be an array starting with its name" },
		{ "63-7{}", 0, SIO_BINARY_ACK, "/", 7, 3, "an ack payload must be an array" },
		{ "61-7[", 0, SIO_BINARY_ACK, "/", 7, 1, "invalid JSON payload" },
	};
	for(gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
		sio_packet p = { 0 };
		const char *error = NULL;
		gsize len = cases[i].len ? cases[i].len : strlen(cases[i].text);
		sio_decode_status status = decode(cases[i].text, len, &p, &error);
		if(status != SIO_DECODE_BAD_PAYLOAD)
			g_error("%.*s: status %d", (int)len, cases[i].text, status);
		g_assert_cmpstr(error, ==, cases[i].error);
		/* The header is still there to answer with. */
		g_assert_cmpint(p.type, ==, cases[i].type);
		g_assert_cmpstr(p.nsp, ==, cases[i].nsp);
		g_assert_cmpint(p.ack_id, ==, cases[i].ack);
		g_assert_cmpuint(p.attachments, ==, cases[i].attachments);
		g_assert_null(p.data);
		sio_packet_clear(&p);
	}
}

/* Jansson refuses nesting beyond its own limit; that's a payload error, not a crash. */
static void test_deep_json(void) {
	gsize depth = 100000;
	GString *text = g_string_new("2[\"deep\",");
	for(gsize i = 0; i < depth; i++)
		g_string_append_c(text, '[');
	for(gsize i = 0; i < depth; i++)
		g_string_append_c(text, ']');
	g_string_append_c(text, ']');
	sio_packet p = { 0 };
	const char *error = NULL;
	g_assert_cmpint(decode(text->str, text->len, &p, &error), ==, SIO_DECODE_BAD_PAYLOAD);
	g_assert_cmpstr(error, ==, "invalid JSON payload");
	sio_packet_clear(&p);
	g_string_free(text, TRUE);
	/* Moderate nesting is fine and round-trips. */
	text = g_string_new("2[\"deep\",");
	for(int i = 0; i < 500; i++)
		g_string_append(text, "{\"a\":[");
	for(int i = 0; i < 500; i++)
		g_string_append(text, "]}");
	g_string_append_c(text, ']');
	g_assert_cmpint(decode(text->str, text->len, &p, &error), ==, SIO_DECODE_OK);
	char *again = sio_encode(p.type, p.nsp, p.ack_id, p.data);
	g_assert_cmpstr(again, ==, text->str);
	g_free(again);
	sio_packet_clear(&p);
	g_string_free(text, TRUE);
}

static void test_error_optional(void) {
	sio_packet p = { 0 };
	g_assert_cmpint(sio_decode("2[\"x\"]", 6, &p, NULL), ==, SIO_DECODE_OK);
	sio_packet_clear(&p);
	g_assert_cmpint(sio_decode("2{", 2, &p, NULL), ==, SIO_DECODE_BAD_PAYLOAD);
	sio_packet_clear(&p);
	g_assert_cmpint(sio_decode("9", 1, &p, NULL), ==, SIO_DECODE_BAD_HEADER);
	sio_packet_clear(&p);
	sio_packet_clear(NULL);
	/* Clearing twice is harmless. */
	sio_packet_clear(&p);
	g_assert_cmpint(p.ack_id, ==, SIO_NO_ACK);
}

static void test_encode(void) {
	json_t *payload = json_pack("{ss}", "callId", "c1");
	char *text = sio_encode_event("call-ended", payload);
	g_assert_cmpstr(text, ==, "2[\"call-ended\",{\"callId\":\"c1\"}]");
	g_free(text);
	g_assert_cmpint(payload->refcount, ==, 1);      /* borrowed, not stolen */
	text = sio_encode_event("ping-ish", NULL);
	g_assert_cmpstr(text, ==, "2[\"ping-ish\"]");
	g_free(text);
	text = sio_encode_ack(12, payload);
	g_assert_cmpstr(text, ==, "312[{\"callId\":\"c1\"}]");
	g_free(text);
	g_assert_cmpint(payload->refcount, ==, 1);
	text = sio_encode_ack(0, NULL);
	g_assert_cmpstr(text, ==, "30[]");
	g_free(text);
	text = sio_encode_ack(SIO_MAX_ACK_ID, json_null());
	g_assert_cmpstr(text, ==, "39007199254740991[null]");
	g_free(text);
	text = sio_encode_ack(SIO_NO_ACK, NULL);
	g_assert_cmpstr(text, ==, "3[]");
	g_free(text);
	json_decref(payload);

	/* Every type through sio_encode, with and without namespace, ack id and data. */
	payload = json_pack("{ss}", "sid", "abc");
	text = sio_encode(SIO_CONNECT, "/", SIO_NO_ACK, payload);
	g_assert_cmpstr(text, ==, "0{\"sid\":\"abc\"}");
	g_free(text);
	text = sio_encode(SIO_CONNECT, "/admin", SIO_NO_ACK, payload);
	g_assert_cmpstr(text, ==, "0/admin,{\"sid\":\"abc\"}");
	g_free(text);
	json_decref(payload);
	text = sio_encode(SIO_CONNECT, NULL, SIO_NO_ACK, NULL);
	g_assert_cmpstr(text, ==, "0");
	g_free(text);
	text = sio_encode(SIO_CONNECT, "", SIO_NO_ACK, NULL);
	g_assert_cmpstr(text, ==, "0");
	g_free(text);
	text = sio_encode(SIO_DISCONNECT, NULL, SIO_NO_ACK, NULL);
	g_assert_cmpstr(text, ==, "1");
	g_free(text);
	text = sio_encode(SIO_DISCONNECT, "/admin", SIO_NO_ACK, NULL);
	g_assert_cmpstr(text, ==, "1/admin,");
	g_free(text);
	payload = json_pack("[si]", "x", 1);
	text = sio_encode(SIO_EVENT, "/admin", 7, payload);
	g_assert_cmpstr(text, ==, "2/admin,7[\"x\",1]");
	g_free(text);
	text = sio_encode(SIO_ACK, NULL, 0, payload);
	g_assert_cmpstr(text, ==, "30[\"x\",1]");
	g_free(text);
	text = sio_encode(SIO_BINARY_EVENT, NULL, SIO_NO_ACK, payload);
	g_assert_cmpstr(text, ==, "5[\"x\",1]");     /* no attachment count: not for the server to send */
	g_free(text);
	json_decref(payload);
	text = sio_encode(SIO_EVENT, NULL, -5, NULL);
	g_assert_cmpstr(text, ==, "2");               /* a negative id is no id */
	g_free(text);
	payload = json_pack("{ss}", "message", "Invalid namespace");
	text = sio_encode(SIO_CONNECT_ERROR, "/admin", SIO_NO_ACK, payload);
	g_assert_cmpstr(text, ==, "4/admin,{\"message\":\"Invalid namespace\"}");
	g_free(text);
	json_decref(payload);
	payload = json_string("Not authorized");
	text = sio_encode(SIO_CONNECT_ERROR, NULL, SIO_NO_ACK, payload);
	g_assert_cmpstr(text, ==, "4\"Not authorized\"");
	g_free(text);
	json_decref(payload);

	/* Non-ASCII survives as UTF-8; JSON escapes what it must. */
	payload = json_string("héllo \"q\" \\ \n \x01 \xf0\x9f\x93\x9e");
	text = sio_encode_event("x", payload);
	g_assert_cmpstr(text, ==, "2[\"x\",\"héllo \\\"q\\\" \\\\ \\n \\u0001 \xf0\x9f\x93\x9e\"]");
	sio_packet p = { 0 };
	g_assert_cmpint(decode_str(text, &p, NULL), ==, SIO_DECODE_OK);
	g_assert_true(json_equal(json_array_get(p.data, 1), payload));
	sio_packet_clear(&p);
	g_free(text);
	json_decref(payload);
	/* Numbers: integers stay integers, reals round-trip exactly. */
	payload = json_pack("[sIf]", "n", (json_int_t)-9007199254740991LL, 0.1);
	text = sio_encode(SIO_EVENT, NULL, SIO_NO_ACK, payload);
	g_assert_cmpint(decode_str(text, &p, NULL), ==, SIO_DECODE_OK);
	g_assert_true(json_equal(p.data, payload));
	g_assert_true(json_is_integer(json_array_get(p.data, 1)));
	sio_packet_clear(&p);
	g_free(text);
	json_decref(payload);
}

int main(int argc, char **argv) {
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/sio-codec/valid", test_valid);
	g_test_add_func("/sio-codec/bad-header", test_bad_header);
	g_test_add_func("/sio-codec/namespace-limit", test_namespace_limit);
	g_test_add_func("/sio-codec/bad-payload", test_bad_payload);
	g_test_add_func("/sio-codec/deep-json", test_deep_json);
	g_test_add_func("/sio-codec/error-optional", test_error_optional);
	g_test_add_func("/sio-codec/encode", test_encode);
	return g_test_run();
}
