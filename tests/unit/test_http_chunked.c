/* The chunked request-body decoder: whole bodies, bodies split at every
 * byte, extensions and trailers, the size limit and broken framing. */
#include <string.h>

#include <glib.h>

#include "../../transport/http_chunked.h"

/* Feeds text in pieces of at most step bytes; returns the last result. */
static http_chunked_result feed(const char *text, gsize step, GByteArray *out, gsize limit, gsize *total_used) {
	http_chunked d;
	http_chunked_init(&d);
	gsize len = strlen(text), pos = 0;
	http_chunked_result r = HTTP_CHUNKED_MORE;
	while(pos < len && r == HTTP_CHUNKED_MORE) {
		gsize n = MIN(step, len - pos), used = 0;
		r = http_chunked_feed(&d, (const guint8 *)text + pos, n, out, limit, &used);
		g_assert_cmpuint(used, <=, n);
		if(r == HTTP_CHUNKED_MORE)
			g_assert_cmpuint(used, ==, n);
		pos += used;
	}
	*total_used = pos;
	return r;
}

static void check_body(const char *text, const char *body, gsize body_len) {
	for(gsize step = 1; step <= strlen(text); step++) {
		GByteArray *out = g_byte_array_new();
		gsize used = 0;
		g_assert_cmpint(feed(text, step, out, 1000, &used), ==, HTTP_CHUNKED_DONE);
		g_assert_cmpuint(used, ==, strlen(text));
		g_assert_cmpuint(out->len, ==, body_len);
		g_assert_true(body_len == 0 || memcmp(out->data, body, body_len) == 0);   /* (an empty GByteArray has no data) */
		g_byte_array_unref(out);
	}
}

static void test_bodies(void) {
	check_body("2\r\n40\r\n0\r\n\r\n", "40", 2);
	check_body("3\r\n42[\r\nA\r\n\"register\"\r\n1\r\n]\r\n0\r\n\r\n", "42[\"register\"]", 14);
	check_body("0\r\n\r\n", "", 0);
	/* Upper and lower case hex, leading zeros, extensions, trailers. */
	check_body("000a;name=value;x\r\n0123456789\r\n00\r\nX-Trailer: 1\r\nY: 2\r\n\r\n", "0123456789", 10);
	check_body("B \r\nhello world\r\n0\r\n\r\n", "hello world", 11);
	/* Binary data, CR and LF inside a chunk. */
	check_body("4\r\n\r\n\r\n\r\n0\r\n\r\n", "\r\n\r\n", 4);
}

static void test_stops_at_the_end(void) {
	/* A pipelined request after the body is left unread. */
	const char *text = "2\r\n40\r\n0\r\n\r\nGET / HTTP/1.1\r\n\r\n";
	GByteArray *out = g_byte_array_new();
	http_chunked d;
	http_chunked_init(&d);
	gsize used = 0;
	g_assert_cmpint(http_chunked_feed(&d, (const guint8 *)text, strlen(text), out, 100, &used), ==, HTTP_CHUNKED_DONE);
	g_assert_cmpuint(used, ==, strlen("2\r\n40\r\n0\r\n\r\n"));
	g_byte_array_unref(out);
}

static void check_result(const char *text, gsize limit, http_chunked_result want) {
	GByteArray *out = g_byte_array_new();
	gsize used = 0;
	g_assert_cmpint(feed(text, strlen(text), out, limit, &used), ==, want);
	g_assert_cmpuint(out->len, <=, limit);
	g_byte_array_unref(out);
}

static void check_error(const char *text, gsize limit) {
	check_result(text, limit, HTTP_CHUNKED_ERROR);
}

static void test_errors(void) {
	check_error("xyz", 100);                        /* not a size */
	check_error("\r\n", 100);                       /* no digits */
	check_error("2\n40\r\n0\r\n\r\n", 100);         /* bare LF */
	check_error("2\r\n40x\r\n0\r\n\r\n", 100);      /* data longer than its size */
	check_error("2\r\n40\r\n0\r\nX\n\r\n", 100);    /* bare LF in a trailer */
	check_error("-1\r\n", 100);
	check_error("1000000000000000\r\n", G_MAXSIZE); /* 16 hex digits: a size that can't be */
	check_result("5\r\nhello\r\n0\r\n\r\n", 4, HTTP_CHUNKED_TOO_LARGE);
	check_result("3\r\nabc\r\n3\r\ndef\r\n0\r\n\r\n", 5, HTTP_CHUNKED_TOO_LARGE);
	/* An endless extension line. */
	GString *ext = g_string_new("1;");
	for(int i = 0; i < 5000; i++)
		g_string_append_c(ext, 'x');
	check_error(ext->str, 100);
	g_string_free(ext, TRUE);
}

int main(int argc, char **argv) {
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/http-chunked/bodies", test_bodies);
	g_test_add_func("/http-chunked/stops-at-the-end", test_stops_at_the_end);
	g_test_add_func("/http-chunked/errors", test_errors);
	return g_test_run();
}
