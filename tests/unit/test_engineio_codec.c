/* Engine.IO v4 packets: WebSocket frames and long-polling payloads, both ways. */
#include <glib.h>
#include <string.h>

#include "../../transport/engineio_codec.h"

/* Every decoder input is an exact-size heap copy with no NUL after it, so
 * that any read past the end is caught by ASan/valgrind. */
static guint8 *exact(const char *text, gsize len) {
	guint8 *copy = g_malloc(len ? len : 1);
	if(len > 0)
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
	g_assert_nonnull(p);
	g_assert_cmpint(p->type, ==, type);
	g_assert_cmpint(p->binary, ==, binary);
	g_assert_nonnull(p->data);
	gsize got = 0;
	const char *text = eio_packet_text(p, &got);
	g_assert_cmpuint(got, ==, len);
	g_assert_cmpuint(g_bytes_get_size(p->data), ==, len);
	g_assert_cmpmem(text, got, data, len);
	g_assert_cmpint(text[got], ==, '\0');
}

static void assert_frame_error(const char *text, gsize len, eio_codec_error code) {
	GError *error = NULL;
	eio_packet *p = frame(text, len, FALSE, &error);
	if(p != NULL)
		g_error("frame %.*s decoded", (int)len, text);
	g_assert_error(error, EIO_CODEC_ERROR, (gint)code);
	g_assert_nonnull(error->message);
	g_error_free(error);
}

static void assert_payload_error(const char *text, gsize len, guint max, eio_codec_error code) {
	GError *error = NULL;
	GPtrArray *packets = payload(text, len, max, &error);
	if(packets != NULL)
		g_error("payload %.*s decoded", (int)len, text);
	g_assert_error(error, EIO_CODEC_ERROR, (gint)code);
	g_error_free(error);
}

static const struct {
	const char *text; eio_packet_type type; const char *data;
} text_cases[] = {
	{ "0{\"sid\":\"x\",\"upgrades\":[],\"pingInterval\":25000}", EIO_OPEN,
		"{\"sid\":\"x\",\"upgrades\":[],\"pingInterval\":25000}" },
	{ "0", EIO_OPEN, "" },
	{ "1", EIO_CLOSE, "" },
	{ "2", EIO_PING, "" },
	{ "2probe", EIO_PING, "probe" },
	{ "3", EIO_PONG, "" },
	{ "3probe", EIO_PONG, "probe" },
	{ "4", EIO_MESSAGE, "" },
	{ "4hello", EIO_MESSAGE, "hello" },
	{ "40", EIO_MESSAGE, "0" },
	{ "42[\"ev\",{\"é\":1,\"emoji\":\"\xf0\x9f\x93\x9e\"}]", EIO_MESSAGE, "2[\"ev\",{\"é\":1,\"emoji\":\"\xf0\x9f\x93\x9e\"}]" },
	{ "44bAQID", EIO_MESSAGE, "4bAQID" },       /* 'b' after the type digit is just text */
	{ "5", EIO_UPGRADE, "" },
	{ "6", EIO_NOOP, "" },
	{ "6 trailing", EIO_NOOP, " trailing" },
};

static void test_text_frames(void) {
	for(gsize i = 0; i < G_N_ELEMENTS(text_cases); i++) {
		const char *text = text_cases[i].text;
		GError *error = NULL;
		eio_packet *p = frame(text, strlen(text), FALSE, &error);
		g_assert_no_error(error);
		assert_packet(p, text_cases[i].type, FALSE, text_cases[i].data, strlen(text_cases[i].data));
		/* And back, appended to what the buffer already holds. */
		GByteArray *out = g_byte_array_new();
		g_byte_array_append(out, (const guint8 *)"pre", 3);
		gboolean binary = TRUE;
		eio_encode_frame(p, out, &binary);
		g_assert_false(binary);
		char *expected = g_strconcat("pre", text, NULL);
		g_assert_cmpmem(out->data, out->len, expected, strlen(expected));
		g_free(expected);
		g_byte_array_unref(out);
		eio_packet_free(p);
	}
}

static void test_binary_frames(void) {
	const char raw[] = { 1, 0, 2, (char)0xff, (char)0xc3, '4', 0x1e };
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
	/* Any bytes at all: a binary frame has no type digit and no checks. */
	p = frame("4hello", 6, TRUE, &error);
	assert_packet(p, EIO_MESSAGE, TRUE, "4hello", 6);
	eio_packet_free(p);
	/* An empty binary frame is an empty binary message, with or without a buffer. */
	p = frame("", 0, TRUE, &error);
	assert_packet(p, EIO_MESSAGE, TRUE, "", 0);
	out = g_byte_array_new();
	eio_encode_frame(p, out, &binary);
	g_assert_true(binary);
	g_assert_cmpuint(out->len, ==, 0);
	g_byte_array_unref(out);
	eio_packet_free(p);
	p = eio_decode_frame(NULL, 0, TRUE, &error);
	assert_packet(p, EIO_MESSAGE, TRUE, "", 0);
	eio_packet_free(p);
	g_assert_no_error(error);
}

/* engine.io-client with forceBase64 sends binary as "b<base64>" text frames. */
static void test_base64_text_frames(void) {
	GError *error = NULL;
	eio_packet *p = frame("bAQID", 5, FALSE, &error);
	g_assert_no_error(error);
	assert_packet(p, EIO_MESSAGE, TRUE, "\x01\x02\x03", 3);
	GByteArray *out = g_byte_array_new();
	gboolean binary = FALSE;
	eio_encode_frame(p, out, &binary);
	g_assert_true(binary);          /* sent back as a real binary frame */
	g_assert_cmpmem(out->data, out->len, "\x01\x02\x03", 3);
	g_byte_array_unref(out);
	eio_packet_free(p);
	p = frame("b", 1, FALSE, &error);
	assert_packet(p, EIO_MESSAGE, TRUE, "", 0);
	eio_packet_free(p);
	assert_frame_error("bAQI", 4, EIO_CODEC_ERROR_BASE64);
	assert_frame_error("b!!!notbase64", 13, EIO_CODEC_ERROR_BASE64);
}

static void test_bad_frames(void) {
	struct { const char *text; gsize len; eio_codec_error code; } cases[] = {
		{ "", 0, EIO_CODEC_ERROR_EMPTY },
		{ "7", 1, EIO_CODEC_ERROR_TYPE },
		{ "9hello", 6, EIO_CODEC_ERROR_TYPE },
		{ "x", 1, EIO_CODEC_ERROR_TYPE },
		{ "/", 1, EIO_CODEC_ERROR_TYPE },     /* the byte before '0' */
		{ ":", 1, EIO_CODEC_ERROR_TYPE },     /* the byte after '9' */
		{ " 4", 2, EIO_CODEC_ERROR_TYPE },
		{ "B", 1, EIO_CODEC_ERROR_TYPE },
		{ "\x1e" "4", 2, EIO_CODEC_ERROR_TYPE },
		{ "4\xc3\x28", 3, EIO_CODEC_ERROR_UTF8 },         /* bad continuation */
		{ "4\xc3", 2, EIO_CODEC_ERROR_UTF8 },             /* cut at the end of the buffer */
		{ "4\xe2\x82", 3, EIO_CODEC_ERROR_UTF8 },
		{ "4\x80", 2, EIO_CODEC_ERROR_UTF8 },             /* lone continuation */
		{ "4\xc0\xaf", 3, EIO_CODEC_ERROR_UTF8 },         /* overlong '/' */
		{ "4\xed\xa0\x80", 4, EIO_CODEC_ERROR_UTF8 },     /* UTF-16 surrogate */
		{ "4\xf4\x90\x80\x80", 5, EIO_CODEC_ERROR_UTF8 }, /* above U+10FFFF */
		{ "4\xff", 2, EIO_CODEC_ERROR_UTF8 },
		{ "\xff" "4", 2, EIO_CODEC_ERROR_UTF8 },          /* UTF-8 is checked before the type */
		{ "4a\0b", 4, EIO_CODEC_ERROR_UTF8 },             /* embedded NUL */
		{ "\0", 1, EIO_CODEC_ERROR_UTF8 },
	};
	for(gsize i = 0; i < G_N_ELEMENTS(cases); i++)
		assert_frame_error(cases[i].text, cases[i].len, cases[i].code);
	/* Empty text frame with no buffer at all. */
	GError *error = NULL;
	g_assert_null(eio_decode_frame(NULL, 0, FALSE, &error));
	g_assert_error(error, EIO_CODEC_ERROR, EIO_CODEC_ERROR_EMPTY);
	g_clear_error(&error);
	/* A NULL GError ** is fine. */
	g_assert_null(eio_decode_frame((const guint8 *)"9", 1, FALSE, NULL));
}

static void test_payloads(void) {
	const char *text = "4hello\x1e" "2\x1e" "bAQID\x1e" "4\x1e" "6\x1e" "0{}\x1e" "1\x1e" "3probe\x1e" "5\x1e" "b";
	GError *error = NULL;
	GPtrArray *packets = payload(text, strlen(text), 16, &error);
	g_assert_no_error(error);
	g_assert_cmpuint(packets->len, ==, 10);
	assert_packet(g_ptr_array_index(packets, 0), EIO_MESSAGE, FALSE, "hello", 5);
	assert_packet(g_ptr_array_index(packets, 1), EIO_PING, FALSE, "", 0);
	assert_packet(g_ptr_array_index(packets, 2), EIO_MESSAGE, TRUE, "\x01\x02\x03", 3);
	assert_packet(g_ptr_array_index(packets, 3), EIO_MESSAGE, FALSE, "", 0);
	assert_packet(g_ptr_array_index(packets, 4), EIO_NOOP, FALSE, "", 0);
	assert_packet(g_ptr_array_index(packets, 5), EIO_OPEN, FALSE, "{}", 2);
	assert_packet(g_ptr_array_index(packets, 6), EIO_CLOSE, FALSE, "", 0);
	assert_packet(g_ptr_array_index(packets, 7), EIO_PONG, FALSE, "probe", 5);
	assert_packet(g_ptr_array_index(packets, 8), EIO_UPGRADE, FALSE, "", 0);
	assert_packet(g_ptr_array_index(packets, 9), EIO_MESSAGE, TRUE, "", 0);
	/* Round trip. */
	GString *out = g_string_new(NULL);
	for(guint i = 0; i < packets->len; i++)
		eio_encode_payload_append(out, g_ptr_array_index(packets, i));
	g_assert_cmpstr(out->str, ==, text);
	g_string_free(out, TRUE);
	g_ptr_array_unref(packets);
	/* One packet, no separator, the last byte of the buffer read as data. */
	packets = payload("42[\"register\",\"42\"]", 19, 1, &error);
	g_assert_no_error(error);
	g_assert_cmpuint(packets->len, ==, 1);
	assert_packet(g_ptr_array_index(packets, 0), EIO_MESSAGE, FALSE, "2[\"register\",\"42\"]", 18);
	g_ptr_array_unref(packets);
	/* Non-ASCII text across separators. */
	packets = payload("4é\x1e" "4\xf0\x9f\x93\x9e", 9, 2, &error);
	g_assert_no_error(error);
	assert_packet(g_ptr_array_index(packets, 0), EIO_MESSAGE, FALSE, "é", 2);
	assert_packet(g_ptr_array_index(packets, 1), EIO_MESSAGE, FALSE, "\xf0\x9f\x93\x9e", 4);
	g_ptr_array_unref(packets);
	/* Every text case from the frames, as a one-packet payload. */
	for(gsize i = 0; i < G_N_ELEMENTS(text_cases); i++) {
		packets = payload(text_cases[i].text, strlen(text_cases[i].text), 1, &error);
		g_assert_no_error(error);
		assert_packet(g_ptr_array_index(packets, 0), text_cases[i].type, FALSE,
			text_cases[i].data, strlen(text_cases[i].data));
		g_ptr_array_unref(packets);
	}
}

static void test_base64(void) {
	struct { const char *text; const char *bytes; gsize len; } good[] = {
		{ "b", "", 0 },
		{ "bAA==", "\0", 1 },
		{ "bAAA=", "\0\0", 2 },
		{ "bAAAA", "\0\0\0", 3 },
		{ "b/+/+", "\xff\xef\xfe", 3 },
		{ "bAQIDBA==", "\x01\x02\x03\x04", 4 },
		{ "bAQIDBAU=", "\x01\x02\x03\x04\x05", 5 },
		{ "bAQIDBAUG", "\x01\x02\x03\x04\x05\x06", 6 },
		{ "baGVsbG8=", "hello", 5 },
		{ "bAB==", "\0", 1 },                  /* non-zero unused bits are ignored, as by every decoder */
		{ "bAAB=", "\0\0", 2 },
	};
	for(gsize i = 0; i < G_N_ELEMENTS(good); i++) {
		GError *error = NULL;
		GPtrArray *packets = payload(good[i].text, strlen(good[i].text), 4, &error);
		g_assert_no_error(error);
		g_assert_cmpuint(packets->len, ==, 1);
		assert_packet(g_ptr_array_index(packets, 0), EIO_MESSAGE, TRUE, good[i].bytes, good[i].len);
		g_ptr_array_unref(packets);
	}
	const char *bad[] = {
		"bA", "bAA", "bAAA", "bAAAAA",          /* not a multiple of 4 */
		"bAA=A", "b=AAA", "bA=AA", "bAA=A===",  /* padding inside */
		"bA===", "b====", "bAAAA====", "b=", "b==",
		"bAA-A", "bAA_A",                       /* base64url is not base64 */
		"bAA==\n", "b AA=", "bAA\tA", "bAAA.", "bAAAA AAAA",
		"bAAA\xc3\xa9", "bé==",                 /* valid UTF-8, not base64 */
		"bAQID\x1e" "bAQ",                      /* the second one is bad */
	};
	for(gsize i = 0; i < G_N_ELEMENTS(bad); i++)
		assert_payload_error(bad[i], strlen(bad[i]), 4, EIO_CODEC_ERROR_BASE64);
	/* "bAAA\0": NUL is refused before base64 is looked at. */
	assert_payload_error("bAAA\0", 5, 4, EIO_CODEC_ERROR_UTF8);
}

/* Every byte value and every length mod 3, through our encoder and decoder. */
static void test_base64_roundtrip(void) {
	guint8 all[256];
	for(int i = 0; i < 256; i++)
		all[i] = (guint8)(255 - i);
	for(gsize len = 0; len <= sizeof(all); len += (len < 8 ? 1 : 61)) {
		eio_packet *p = eio_packet_new(EIO_MESSAGE, TRUE, all, len);
		GString *out = g_string_new(NULL);
		eio_encode_payload_append(out, p);
		g_assert_cmpint(out->str[0], ==, 'b');
		gchar *expected = g_base64_encode(all, len);
		g_assert_cmpstr(out->str + 1, ==, expected);
		g_free(expected);
		GError *error = NULL;
		GPtrArray *packets = payload(out->str, out->len, 1, &error);
		g_assert_no_error(error);
		assert_packet(g_ptr_array_index(packets, 0), EIO_MESSAGE, TRUE, (const char *)all, len);
		g_ptr_array_unref(packets);
		g_string_free(out, TRUE);
		eio_packet_free(p);
	}
}

static void test_bad_payloads(void) {
	struct { const char *text; gsize len; eio_codec_error code; } cases[] = {
		{ "", 0, EIO_CODEC_ERROR_EMPTY },
		{ "\x1e", 1, EIO_CODEC_ERROR_EMPTY },
		{ "\x1e\x1e", 2, EIO_CODEC_ERROR_EMPTY },
		{ "4a\x1e", 3, EIO_CODEC_ERROR_EMPTY },         /* trailing separator */
		{ "\x1e" "4a", 3, EIO_CODEC_ERROR_EMPTY },      /* leading separator */
		{ "4a\x1e\x1e" "4b", 6, EIO_CODEC_ERROR_EMPTY }, /* double separator */
		{ "4hi\x1e\x1e" "4there", 11, EIO_CODEC_ERROR_EMPTY },
		{ "x", 1, EIO_CODEC_ERROR_TYPE },
		{ "9hello", 6, EIO_CODEC_ERROR_TYPE },
		{ "4a\x1e" "9", 4, EIO_CODEC_ERROR_TYPE },
		{ "4a\x1e" "7\x1e" "4b", 7, EIO_CODEC_ERROR_TYPE },
		{ "b!!!notbase64", 13, EIO_CODEC_ERROR_BASE64 },
		{ "\xff\xfe", 2, EIO_CODEC_ERROR_UTF8 },
		{ "4a\x1e" "4\xc3", 5, EIO_CODEC_ERROR_UTF8 },  /* cut at the end of the buffer */
		{ "4\xc3\x1e" "4", 4, EIO_CODEC_ERROR_UTF8 },   /* a separator can't complete a sequence */
		{ "4\xed\xbf\xbf", 4, EIO_CODEC_ERROR_UTF8 },
		{ "4a\0", 3, EIO_CODEC_ERROR_UTF8 },
		{ "4a\x1e\0" "4", 5, EIO_CODEC_ERROR_UTF8 },
	};
	for(gsize i = 0; i < G_N_ELEMENTS(cases); i++)
		assert_payload_error(cases[i].text, cases[i].len, 16, cases[i].code);
	/* The error says which packet was bad. */
	GError *error = NULL;
	g_assert_null(payload("4a\x1e" "4b\x1e" "9", 7, 16, &error));
	g_assert_error(error, EIO_CODEC_ERROR, EIO_CODEC_ERROR_TYPE);
	g_assert_nonnull(strstr(error->message, "packet 3"));
	g_clear_error(&error);
	g_assert_null(eio_decode_payload("9", 1, 16, NULL));
}

static void test_max_packets(void) {
	GString *text = g_string_new("6");
	for(int i = 1; i < 10; i++)
		g_string_append(text, "\x1e" "6");
	GError *error = NULL;
	GPtrArray *packets = payload(text->str, text->len, 10, &error);
	g_assert_no_error(error);
	g_assert_cmpuint(packets->len, ==, 10);
	g_ptr_array_unref(packets);
	packets = payload(text->str, text->len, G_MAXUINT, &error);
	g_assert_cmpuint(packets->len, ==, 10);
	g_ptr_array_unref(packets);
	assert_payload_error(text->str, text->len, 9, EIO_CODEC_ERROR_TOO_MANY);
	assert_payload_error(text->str, text->len, 1, EIO_CODEC_ERROR_TOO_MANY);
	/* Zero allows nothing; a single packet fits in one. */
	assert_payload_error("6", 1, 0, EIO_CODEC_ERROR_TOO_MANY);
	packets = payload("6", 1, 1, &error);
	g_assert_cmpuint(packets->len, ==, 1);
	g_ptr_array_unref(packets);
	/* Counted before the extra packet is looked at. */
	assert_payload_error("6\x1e" "6\x1e" "garbage", 11, 2, EIO_CODEC_ERROR_TOO_MANY);
	assert_payload_error("6\x1e" "6\x1e", 4, 2, EIO_CODEC_ERROR_TOO_MANY);
	g_string_free(text, TRUE);
}

static void test_encode(void) {
	eio_packet *bin = eio_packet_new(EIO_MESSAGE, TRUE, "\x00\x01\xff", 3);
	eio_packet *text = eio_packet_new(EIO_MESSAGE, FALSE, "40", 2);
	eio_packet *ping = eio_packet_new(EIO_PING, FALSE, "", 0);
	eio_packet *noop = eio_packet_new(EIO_NOOP, FALSE, NULL, 0);
	eio_packet *empty_bin = eio_packet_new(EIO_MESSAGE, TRUE, NULL, 0);
	GString *out = g_string_new(NULL);
	eio_encode_payload_append(out, text);
	g_assert_cmpstr(out->str, ==, "440");      /* no separator before the first */
	eio_encode_payload_append(out, bin);
	eio_encode_payload_append(out, ping);
	eio_encode_payload_append(out, empty_bin);
	eio_encode_payload_append(out, noop);
	g_assert_cmpstr(out->str, ==, "440\x1e" "bAAH/\x1e" "2\x1e" "b\x1e" "6");
	g_string_free(out, TRUE);
	/* Binary data with NULs and text data, as WebSocket frames. */
	GByteArray *frame_out = g_byte_array_new();
	gboolean binary = FALSE;
	eio_encode_frame(bin, frame_out, &binary);
	g_assert_true(binary);
	g_assert_cmpmem(frame_out->data, frame_out->len, "\x00\x01\xff", 3);
	g_byte_array_set_size(frame_out, 0);
	eio_encode_frame(ping, frame_out, &binary);
	g_assert_false(binary);
	g_assert_cmpmem(frame_out->data, frame_out->len, "2", 1);
	g_byte_array_set_size(frame_out, 0);
	eio_encode_frame(noop, frame_out, &binary);
	g_assert_cmpmem(frame_out->data, frame_out->len, "6", 1);
	g_byte_array_unref(frame_out);
	eio_packet_free(bin);
	eio_packet_free(text);
	eio_packet_free(ping);
	eio_packet_free(noop);
	eio_packet_free(empty_bin);
	eio_packet_free(NULL);
}

static void test_packet_text(void) {
	/* The copy is NUL-terminated even when the source is not. */
	guint8 *src = exact("hello", 5);
	eio_packet *p = eio_packet_new(EIO_MESSAGE, FALSE, src, 5);
	g_free(src);
	g_assert_cmpstr(eio_packet_text(p, NULL), ==, "hello");
	gsize len = 0;
	g_assert_cmpstr(eio_packet_text(p, &len), ==, "hello");
	g_assert_cmpuint(len, ==, 5);
	eio_packet_free(p);
	/* Binary data keeps its NULs; the length tells. */
	p = eio_packet_new(EIO_MESSAGE, TRUE, "a\0b", 3);
	const char *data = eio_packet_text(p, &len);
	g_assert_cmpuint(len, ==, 3);
	g_assert_cmpmem(data, 4, "a\0b\0", 4);
	eio_packet_free(p);
	p = eio_packet_new(EIO_CLOSE, FALSE, NULL, 0);
	g_assert_cmpstr(eio_packet_text(p, &len), ==, "");
	g_assert_cmpuint(len, ==, 0);
	eio_packet_free(p);
	g_assert_true(EIO_CODEC_ERROR == eio_codec_error_quark());
	g_assert_cmpstr(g_quark_to_string(EIO_CODEC_ERROR), ==, "eio-codec-error-quark");
}

int main(int argc, char **argv) {
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/eio-codec/text-frames", test_text_frames);
	g_test_add_func("/eio-codec/binary-frames", test_binary_frames);
	g_test_add_func("/eio-codec/base64-text-frames", test_base64_text_frames);
	g_test_add_func("/eio-codec/bad-frames", test_bad_frames);
	g_test_add_func("/eio-codec/payloads", test_payloads);
	g_test_add_func("/eio-codec/base64", test_base64);
	g_test_add_func("/eio-codec/base64-roundtrip", test_base64_roundtrip);
	g_test_add_func("/eio-codec/bad-payloads", test_bad_payloads);
	g_test_add_func("/eio-codec/max-packets", test_max_packets);
	g_test_add_func("/eio-codec/encode", test_encode);
	g_test_add_func("/eio-codec/packet-text", test_packet_text);
	return g_test_run();
}
