/* Admission limits: totals, per address, trusted proxies, X-Forwarded-For. */
#include <glib.h>

#include "../../transport/conn_limits.h"

static void test_default_sessions(void) {
	g_assert_cmpuint(sio_limits_default_sessions(1024), ==, (1024 - 128) / 8);
	g_assert_cmpuint(sio_limits_default_sessions(65536), ==, (65536 - 128) / 8);
	g_assert_cmpuint(sio_limits_default_sessions(100), ==, 16);
	g_assert_cmpuint(sio_limits_default_sessions(0), ==, 16);
}

static void test_sessions(void) {
	sio_limits *l = sio_limits_new(3, 2, "");
	g_assert_cmpint(sio_limits_session_open(l, "10.0.0.1"), ==, SIO_LIMIT_OK);
	g_assert_cmpint(sio_limits_session_open(l, "10.0.0.1"), ==, SIO_LIMIT_OK);
	g_assert_cmpint(sio_limits_session_check(l, "10.0.0.1"), ==, SIO_LIMIT_ADDRESS);
	g_assert_cmpint(sio_limits_session_open(l, "10.0.0.1"), ==, SIO_LIMIT_ADDRESS);
	g_assert_cmpint(sio_limits_session_open(l, "10.0.0.2"), ==, SIO_LIMIT_OK);
	g_assert_cmpint(sio_limits_session_open(l, "10.0.0.3"), ==, SIO_LIMIT_TOTAL);
	g_assert_cmpuint(sio_limits_sessions(l), ==, 3);
	sio_limits_session_close(l, "10.0.0.1");
	g_assert_cmpint(sio_limits_session_open(l, "10.0.0.3"), ==, SIO_LIMIT_OK);
	g_assert_cmpint(sio_limits_session_open(l, "10.0.0.1"), ==, SIO_LIMIT_TOTAL);
	/* Closing what was never opened changes nothing. */
	sio_limits_session_close(l, "10.9.9.9");
	g_assert_cmpuint(sio_limits_sessions(l), ==, 2);
	sio_limits_free(l);
}

static void test_no_per_address_limit(void) {
	sio_limits *l = sio_limits_new(100, 0, NULL);
	for(int i = 0; i < 100; i++)
		g_assert_cmpint(sio_limits_session_open(l, "10.0.0.1"), ==, SIO_LIMIT_OK);
	g_assert_cmpint(sio_limits_session_open(l, "10.0.0.1"), ==, SIO_LIMIT_TOTAL);
	sio_limits_free(l);
}

static void test_tcp(void) {
	sio_limits *l = sio_limits_new(3, 1, "192.0.2.1");
	/* Twice the sessions in all, twice the per-address limit each, proxies exempt. */
	g_assert_cmpint(sio_limits_tcp_open(l, "10.0.0.1"), ==, SIO_LIMIT_OK);
	g_assert_cmpint(sio_limits_tcp_open(l, "10.0.0.1"), ==, SIO_LIMIT_OK);
	g_assert_cmpint(sio_limits_tcp_open(l, "10.0.0.1"), ==, SIO_LIMIT_ADDRESS);
	for(int i = 0; i < 4; i++)
		g_assert_cmpint(sio_limits_tcp_open(l, "192.0.2.1"), ==, SIO_LIMIT_OK);
	g_assert_cmpint(sio_limits_tcp_open(l, "192.0.2.1"), ==, SIO_LIMIT_TOTAL);
	sio_limits_tcp_close(l, "10.0.0.1");
	g_assert_cmpint(sio_limits_tcp_open(l, "10.0.0.2"), ==, SIO_LIMIT_OK);
	sio_limits_free(l);
}

static void test_trusted_proxy_sessions(void) {
	/* Requests a trusted proxy sent without X-Forwarded-For count under its own address, unlimited. */
	sio_limits *l = sio_limits_new(10, 1, "192.0.2.1");
	for(int i = 0; i < 5; i++)
		g_assert_cmpint(sio_limits_session_open(l, "192.0.2.1"), ==, SIO_LIMIT_OK);
	g_assert_cmpint(sio_limits_session_open(l, "1.2.3.4"), ==, SIO_LIMIT_OK);
	g_assert_cmpint(sio_limits_session_open(l, "1.2.3.4"), ==, SIO_LIMIT_ADDRESS);
	sio_limits_free(l);
}

static void test_client_address(void) {
	sio_limits *l = sio_limits_new(10, 5, " 192.0.2.1, 192.0.2.2 ");
	char *a;
	/* An untrusted peer's header is ignored. */
	a = sio_limits_client_address(l, "10.0.0.7", "1.2.3.4");
	g_assert_cmpstr(a, ==, "10.0.0.7");
	g_free(a);
	a = sio_limits_client_address(l, "192.0.2.1", NULL);
	g_assert_cmpstr(a, ==, "192.0.2.1");
	g_free(a);
	a = sio_limits_client_address(l, "192.0.2.1", "1.2.3.4");
	g_assert_cmpstr(a, ==, "1.2.3.4");
	g_free(a);
	/* The client can prepend anything: only the hop the proxies saw counts. */
	a = sio_limits_client_address(l, "192.0.2.1", "6.6.6.6, 1.2.3.4, 192.0.2.2");
	g_assert_cmpstr(a, ==, "1.2.3.4");
	g_free(a);
	a = sio_limits_client_address(l, "192.0.2.1", " , ");
	g_assert_cmpstr(a, ==, "192.0.2.1");
	g_free(a);
	sio_limits_free(l);
}

int main(int argc, char **argv) {
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/limits/default-sessions", test_default_sessions);
	g_test_add_func("/limits/sessions", test_sessions);
	g_test_add_func("/limits/no-per-address-limit", test_no_per_address_limit);
	g_test_add_func("/limits/tcp", test_tcp);
	g_test_add_func("/limits/trusted-proxy-sessions", test_trusted_proxy_sessions);
	g_test_add_func("/limits/client-address", test_client_address);
	return g_test_run();
}
