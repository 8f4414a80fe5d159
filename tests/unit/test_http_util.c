/* HTTP helpers: CORS origins, the endpoint path, demo file paths, error bodies. */
#include <unistd.h>

#include <glib.h>
#include <glib/gstdio.h>

#include "../../transport/http_util.h"

static void test_origins(void) {
	g_assert_true(sio_origin_allowed("*", "https://evil.example"));
	g_assert_true(sio_origin_allowed("https://a.example", NULL));
	g_assert_true(sio_origin_allowed("https://a.example, https://b.example", "https://b.example"));
	g_assert_true(sio_origin_allowed("https://A.example", "https://a.example"));
	g_assert_false(sio_origin_allowed("https://a.example", "https://a.example.evil"));
	g_assert_false(sio_origin_allowed("https://a.example", "http://a.example"));
	g_assert_false(sio_origin_allowed("", "https://a.example"));
}

static void test_listed_origins(void) {
	g_assert_false(sio_origin_listed("*", "https://a.example"));
	g_assert_true(sio_origin_listed("*, https://a.example", "https://A.example"));
	g_assert_false(sio_origin_listed("https://a.example", "https://b.example"));
	g_assert_false(sio_origin_listed("*", "*"));
	g_assert_false(sio_origin_listed("https://a.example", NULL));
	g_assert_false(sio_origin_listed("null", ""));
}

static void test_file_inside(void) {
	char *dir = g_dir_make_tmp("oicall-inside-XXXXXX", NULL);
	char *inner = g_build_filename(dir, "index.html", NULL), *sub = g_build_filename(dir, "sub", NULL);
	char *outside = g_strconcat(dir, "-outside", NULL), *escape = g_build_filename(dir, "escape.html", NULL);
	char *inner_link = g_build_filename(dir, "alias.html", NULL);
	g_assert_true(g_file_set_contents(inner, "x", 1, NULL));
	g_assert_true(g_file_set_contents(outside, "secret", 6, NULL));
	g_assert_cmpint(g_mkdir(sub, 0700), ==, 0);
	g_assert_cmpint(symlink(outside, escape), ==, 0);
	g_assert_cmpint(symlink(inner, inner_link), ==, 0);
	g_assert_true(sio_file_inside(dir, inner));
	g_assert_true(sio_file_inside(dir, inner_link));       /* a link that stays inside */
	g_assert_false(sio_file_inside(dir, escape));          /* a link out of the folder */
	g_assert_false(sio_file_inside(dir, outside));
	g_assert_false(sio_file_inside(dir, sub));             /* not a regular file */
	g_assert_false(sio_file_inside(dir, dir));
	char *missing = g_build_filename(dir, "missing.html", NULL);
	g_assert_false(sio_file_inside(dir, missing));
	for(char **f = (char *[]){ escape, inner_link, inner, outside, NULL }; *f != NULL; f++)
		g_unlink(*f);
	g_rmdir(sub);
	g_rmdir(dir);
	g_free(missing);
	g_free(inner_link);
	g_free(escape);
	g_free(outside);
	g_free(sub);
	g_free(inner);
	g_free(dir);
}

static void test_header_names(void) {
	g_assert_true(sio_header_names_safe("content-type"));
	g_assert_true(sio_header_names_safe("authorization, x-token,content-type"));
	g_assert_false(sio_header_names_safe(""));
	g_assert_false(sio_header_names_safe(" , "));
	g_assert_false(sio_header_names_safe("x-a\r\nset-cookie: 1"));
	g_assert_false(sio_header_names_safe("x-a: 1"));
	g_assert_false(sio_header_names_safe("x\"y"));
	g_assert_false(sio_header_names_safe(NULL));
}

static void test_endpoint(void) {
	g_assert_true(sio_path_is_endpoint("/calls", "/calls"));
	g_assert_true(sio_path_is_endpoint("/calls", "/calls/"));
	g_assert_false(sio_path_is_endpoint("/calls", "/calls/x"));
	g_assert_false(sio_path_is_endpoint("/calls", "/callsx"));
	g_assert_false(sio_path_is_endpoint("/calls", "/"));
	g_assert_false(sio_path_is_endpoint("/calls", "/call"));
}

static void test_static_files(void) {
	char *f = sio_static_file("/srv/html", "/");
	g_assert_cmpstr(f, ==, "/srv/html/index.html");
	g_free(f);
	f = sio_static_file("/srv/html", "/js/app.js");
	g_assert_cmpstr(f, ==, "/srv/html/js/app.js");
	g_free(f);
	const char *bad[] = { "/../etc/passwd", "/a/../b", "/.hidden", "/a//b", "x", "/a b", "/a%2e", "/a/./b", "/a\\b" };
	for(gsize i = 0; i < G_N_ELEMENTS(bad); i++)
		g_assert_null(sio_static_file("/srv/html", bad[i]));
	char *long_path = g_strnfill(300, 'a');
	long_path[0] = '/';
	g_assert_null(sio_static_file("/srv/html", long_path));
	g_free(long_path);
	g_assert_cmpstr(sio_mime_type("a.html"), ==, "text/html; charset=utf-8");
	g_assert_cmpstr(sio_mime_type("a.js"), ==, "text/javascript; charset=utf-8");
	g_assert_cmpstr(sio_mime_type("a.bin"), ==, "application/octet-stream");
}

static void test_errors(void) {
	unsigned int status = 0;
	char *body = sio_eio_error_body(SIO_EIO_UNKNOWN_SID, &status);
	g_assert_cmpstr(body, ==, "{\"code\":1,\"message\":\"Session ID unknown\"}");
	g_assert_cmpuint(status, ==, 400);
	g_free(body);
	body = sio_eio_error_body(SIO_EIO_FORBIDDEN, &status);
	g_assert_cmpstr(body, ==, "{\"code\":4,\"message\":\"Forbidden\"}");
	g_assert_cmpuint(status, ==, 403);
	g_free(body);
	body = sio_eio_error_body(SIO_EIO_UNSUPPORTED_PROTOCOL_VERSION, &status);
	g_assert_cmpstr(body, ==, "{\"code\":5,\"message\":\"Unsupported protocol version\"}");
	g_free(body);
	g_assert_cmpstr(sio_eio_error_message(SIO_EIO_BAD_REQUEST), ==, "Bad request");
}

static void test_keep_alive(void) {
	g_assert_true(sio_http_keep_alive("HTTP/1.1", NULL));
	g_assert_true(sio_http_keep_alive("HTTP/1.1", "keep-alive"));
	g_assert_false(sio_http_keep_alive("HTTP/1.1", "close"));
	g_assert_false(sio_http_keep_alive("HTTP/1.1", "Close"));
	g_assert_false(sio_http_keep_alive("HTTP/1.1", "TE, close"));
	g_assert_false(sio_http_keep_alive("HTTP/1.0", NULL));
	g_assert_true(sio_http_keep_alive("HTTP/1.0", "Keep-Alive"));
	g_assert_false(sio_http_keep_alive("HTTP/1.0", "keep-alive, close"));
	g_assert_false(sio_http_keep_alive(NULL, NULL));
	g_assert_true(sio_http_keep_alive("HTTP/1.1", "closed"));
}

static void test_transfer_encoding(void) {
	g_assert_true(sio_transfer_encoding_chunked("chunked"));
	g_assert_true(sio_transfer_encoding_chunked(" Chunked "));
	g_assert_false(sio_transfer_encoding_chunked("gzip, chunked"));
	g_assert_false(sio_transfer_encoding_chunked("identity"));
	g_assert_false(sio_transfer_encoding_chunked(""));
}

int main(int argc, char **argv) {
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/http/origins", test_origins);
	g_test_add_func("/http/listed-origins", test_listed_origins);
	g_test_add_func("/http/file-inside", test_file_inside);
	g_test_add_func("/http/endpoint", test_endpoint);
	g_test_add_func("/http/header-names", test_header_names);
	g_test_add_func("/http/static-files", test_static_files);
	g_test_add_func("/http/errors", test_errors);
	g_test_add_func("/http/keep-alive", test_keep_alive);
	g_test_add_func("/http/transfer-encoding", test_transfer_encoding);
	return g_test_run();
}
