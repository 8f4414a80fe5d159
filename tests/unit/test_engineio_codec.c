/* Engine.IO v4 packets: WebSocket frames and long-polling payloads. */
#include <glib.h>
#include <string.h>

#include "../../transport/engineio_codec.h"

/* An exact-size heap copy, so that any read past the end is caught by ASan/valgrind. */
static guint8 *exact(const char *text, gsize len) {
	guint8 *copy = g_malloc(len ? len : 1);
	memcpy(copy, text, len);
	return copy;
}

static GPtrArray *payload(const char *text, gsize len, guint max, GError **error) {
	guint8 *buf = exact(text, len);
	GPtrArray *packets = eio_decode_payload((const char *)buf, len, max, error);
	g_free(buf);
	return packets;
}

static eio_packet *frame(const char *text, gsize len, gboolean binary, GError **error) {
	guint8 *buf = exact(text, len);
	eio_packet *packet = eio_decode_frame(buf, len, binary, error);
	g_free(buf);
	return packet;
}

static void assert_packet(const eio_packet *p, eio_packet_type type, gboolean binary, const char *data, gsize len) {
	g_assert_cmpint(p->type, ==, type);
	g_assert_cmpint(p->binary, ==, binary);
	gsize got = 0;
	const char *text = eio_packet_text(p, &got);
	g_assert_cmpuint(got, ==, len);
	g_assert_cmpmem(text, got, data, len);
	g_assert_cmpint(text[got], ==, '\0');
}

static void test_frames(void) {
	struct { const char *text; eio_packet_type type; const char *data; } cases[] = {
		{ "0{\"sid\":\"x\"}", EIO_OPEN, "{\"sid\":\"x\"}" },
		{ "1", EIO_CLOSE, "" },
		{ "2", EIO_PING, "" },
		{ "2probe", EIO_PING, "probe" },
		{ "3probe", EIO_PONG, "probe" },
		{ "4hello", EIO_MESSAGE, "hello" },
		{ "42[\"ev\",{\"é\":1}]", EIO_MESSAGE, "2[\"ev\",{\"é\":1}]" },
		{ "5", EIO_UPGRADE, "" },
		{ "6", EIO_NOOP, "" },
	};
	for(gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
		GError *error = NULL;
		eio_packet *p = frame(cases[i].text, strlen(cases[i].text), FALSE, &error);
		g_assert_no_error(error);
		assert_packet(p, cases[i].type, FALSE, cases[i].data, strlen(cases[i].data));
		/* And back. */
		GByteArray *out = g_byte_array_new();
		gboolean binary = TRUE;
		eio_encode_frame(p, out, &binary);
		g_assert_false(binary);
		g_assert_cmpmem(out->data, out->len, cases[i].text, strlen(cases[i].text));
		g_byte_array_unref(out);
		eio_packet_free(p);
	}
}

static void test_binary_frames(void) {
	const char raw[] = { 1, 0, 2, (char)0xff };
	GError *error = NULL;
	eio_packet *p = frame(raw, sizeof(raw), TRUE, &error);
	g_assert_no_error(error);
	assert_packet(p, EIO_MESSAGE, TRUE, raw, sizeof(raw));
	GByteArray *out = g_byte_array_new();
	gboolean binary = FALSE;
	eio_encode_frame(p, out, &binary);
	g_assert_true(binary);
	g_assert_cmpmem(out->data, out->len, raw, sizeof(raw));
	g_byte_array_unref(out);
	eio_packet_free(p);
	/* An empty binary frame is an empty binary message. */
	p = frame("", 0, TRUE, &error);
	assert_packet(p, EIO_MESSAGE, TRUE, "", 0);
	eio_packet_free(p);
}

static void test_bad_frames(void) {
	struct { const char *text; gsize len; eio_codec_error code; } cases[] = {
		{ "", 0, EIO_CODEC_ERROR_EMPTY },
		{ "7", 1, EIO_CODEC_ERROR_TYPE },
		{ "x", 1, EIO_CODEC_ERROR_TYPE },
		{ "bAQID", 5, EIO_CODEC_ERROR_TYPE },       /* base64 is for polling only */
		{ "4\xc3\x28", 3, EIO_CODEC_ERROR_UTF8 },
		{ "4a\0b", 4, EIO_CODEC_ERROR_UTF8 },         /* g_utf8_validate refuses NULs */
	};
	for(gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
		GError *error = NULL;
		eio_packet *p = frame(cases[i].text, cases[i].len, FALSE, &error);
		g_assert_null(p);
		g_assert_error(error, EIO_CODEC_ERROR, (gint)cases[i].code);
		g_error_free(error);
	}
}

static void test_payloads(void) {
	const char *text = "4hello\x1e" "2\x1e" "bAQID\x1e" "4\x1e" "6";
	GError *error = NULL;
	GPtrArray *packets = payload(text, strlen(text), 16, &error);
	g_assert_no_error(error);
	g_assert_cmpuint(packets->len, ==, 5);
	assert_packet(g_ptr_array_index(packets, 0), EIO_MESSAGE, FALSE, "hello", 5);
	assert_packet(g_ptr_array_index(packets, 1), EIO_PING, FALSE, "", 0);
	assert_packet(g_ptr_array_index(packets, 2), EIO_MESSAGE, TRUE, "\x01\x02\x03", 3);
	assert_packet(g_ptr_array_index(packets, 3), EIO_MESSAGE, FALSE, "", 0);
	assert_packet(g_ptr_array_index(packets, 4), EIO_NOOP, FALSE, "", 0);
	/* Round trip. */
	GString *out = g_string_new(NULL);
	for(guint i = 0; i < packets->len; i++)
		eio_encode_payload_append(out, g_ptr_array_index(packets, i));
	g_assert_cmpstr(out->str, ==, text);
	g_string_free(out, TRUE);
	g_ptr_array_unref(packets);
	/* One packet, no separator. */
	packets = payload("40", 2, 1, &error);
	g_assert_cmpuint(packets->len, ==, 1);
	g_ptr_array_unref(packets);
}

static void test_base64(void) {
	const char *good[] = { "b", "bAA==", "bAAA=", "bAAAA", "b/+/+", "bAQIDBA==" };
	gsize lens[] = { 0, 1, 2, 3, 3, 4 };
	for(gsize i = 0; i < G_N_ELEMENTS(good); i++) {
		GError *error = NULL;
		GPtrArray *packets = payload(good[i], strlen(good[i]), 4, &error);
		g_assert_no_error(error);
		eio_packet *p = g_ptr_array_index(packets, 0);
		g_assert_true(p->binary);
		g_assert_cmpuint(g_bytes_get_size(p->data), ==, lens[i]);
		g_ptr_array_unref(packets);
	}
	const char *bad[] = { "bA", "bAAA", "bAA=A", "b=AAA", "bAA-A", "bAAAA====", "bA===", "bAA==\n" };
	for(gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
		GError *error = NULL;
		g_assert_null(payload(bad[i], strlen(bad[i]), 4, &error));
		g_assert_error(error, EIO_CODEC_ERROR, EIO_CODEC_ERROR_BASE64);
		g_error_free(error);
	}
}

static void test_bad_payloads(void) {
	struct { const char *text; gsize len; eio_codec_error code; } cases[] = {
		{ "", 0, EIO_CODEC_ERROR_EMPTY },
		{ "\x1e", 1, EIO_CODEC_ERROR_EMPTY },
		{ "4a\x1e", 3, EIO_CODEC_ERROR_EMPTY },
		{ "\x1e" "4a", 3, EIO_CODEC_ERROR_EMPTY },
		{ "4a\x1e\x1e" "4b", 6, EIO_CODEC_ERROR_EMPTY },
		{ "4a\x1e" "9", 4, EIO_CODEC_ERROR_TYPE },
		{ "\xff\xfe", 2, EIO_CODEC_ERROR_UTF8 },
	};
	for(gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
		GError *error = NULL;
		g_assert_null(payload(cases[i].text, cases[i].len, 16, &error));
		g_assert_error(error, EIO_CODEC_ERROR, (gint)cases[i].code);
		g_error_free(error);
	}
}

static void test_max_packets(void) {
	GString *text = g_string_new("6");
	for(int i = 1; i < 10; i++)
		g_string_append(text, "\x1e" "6");
	GError *error = NULL;
	GPtrArray *packets = payload(text->str, text->len, 10, &error);
	g_assert_cmpuint(packets->len, ==, 10);
	g_ptr_array_unref(packets);
	g_assert_null(payload(text->str, text->len, 9, &error));
	g_assert_error(error, EIO_CODEC_ERROR, EIO_CODEC_ERROR_TOO_MANY);
	g_error_free(error);
	g_string_free(text, TRUE);
}

static void test_encode(void) {
	eio_packet *bin = eio_packet_new(EIO_MESSAGE, TRUE, "\x00\x01\xff", 3);
	eio_packet *text = eio_packet_new(EIO_MESSAGE, FALSE, "40", 2);
	eio_packet *ping = eio_packet_new(EIO_PING, FALSE, "", 0);
	GString *out = g_string_new(NULL);
	eio_encode_payload_append(out, text);
	eio_encode_payload_append(out, bin);
	eio_encode_payload_append(out, ping);
	g_assert_cmpstr(out->str, ==, "440\x1e" "bAAH/\x1e" "2");
	g_string_free(out, TRUE);
	eio_packet_free(bin);
	eio_packet_free(text);
	eio_packet_free(ping);
}

int main(int argc, char **argv) {
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/eio-codec/frames", test_frames);
	g_test_add_func("/eio-codec/binary-frames", test_binary_frames);
	g_test_add_func("/eio-codec/bad-frames", test_bad_frames);
	g_test_add_func("/eio-codec/payloads", test_payloads);
	g_test_add_func("/eio-codec/base64", test_base64);
	g_test_add_func("/eio-codec/bad-payloads", test_bad_payloads);
	g_test_add_func("/eio-codec/max-packets", test_max_packets);
	g_test_add_func("/eio-codec/encode", test_encode);
	return g_test_run();
}
