/* The Engine.IO session state machine: handshake, heartbeat, upgrade, output. */
#include <glib.h>
#include <string.h>

#include "../../transport/engineio_session.h"

#define S (G_USEC_PER_SEC)

static const eio_session_config config = {
	.ping_interval_us = 25 * S,
	.ping_timeout_us = 20 * S,
	.max_payload = 1000000,
	.max_queued_bytes = 4096,
};

static eio_packet *text_packet(eio_packet_type type, const char *data) {
	return eio_packet_new(type, FALSE, data, strlen(data));
}

static eio_input receive(eio_session *s, eio_packet_type type, const char *data, eio_via via, gint64 now) {
	eio_packet *p = text_packet(type, data);
	eio_input result = eio_session_receive(s, p, via, now);
	eio_packet_free(p);
	return result;
}

static char *take(eio_session *s) {
	GString *payload = eio_session_take_payload(s);
	return payload ? g_string_free(payload, FALSE) : NULL;
}

static void test_handshake(void) {
	eio_session *s = eio_session_new(EIO_TRANSPORT_POLLING, &config, 0);
	g_assert_cmpuint(strlen(s->sid), ==, EIO_SID_LEN);
	for(const char *c = s->sid; *c; c++)
		g_assert_true(g_ascii_isalnum(*c) || *c == '-' || *c == '_');
	g_assert_true(eio_session_has_output(s));
	char *payload = take(s);
	char *expected = g_strdup_printf("0{\"sid\":\"%s\",\"upgrades\":[\"websocket\"],\"pingInterval\":25000,"
		"\"pingTimeout\":20000,\"maxPayload\":1000000}", s->sid);
	g_assert_cmpstr(payload, ==, expected);
	g_free(payload);
	g_free(expected);
	g_assert_false(eio_session_has_output(s));
	g_assert_null(take(s));
	eio_session_free(s);

	s = eio_session_new(EIO_TRANSPORT_WEBSOCKET, &config, 0);
	eio_packet *open = eio_session_take_packet(s);
	g_assert_cmpint(open->type, ==, EIO_OPEN);
	gsize len;
	g_assert_nonnull(strstr(eio_packet_text(open, &len), "\"upgrades\":[]"));
	eio_packet_free(open);
	g_assert_null(eio_session_take_packet(s));
	eio_session_free(s);
}

static void test_unique_sids(void) {
	GHashTable *seen = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	for(int i = 0; i < 1000; i++) {
		char id[EIO_SID_LEN + 1];
		eio_random_id(id);
		g_assert_false(g_hash_table_contains(seen, id));
		g_hash_table_add(seen, g_strdup(id));
	}
	g_hash_table_destroy(seen);
}

static void test_heartbeat(void) {
	eio_session *s = eio_session_new(EIO_TRANSPORT_POLLING, &config, 0);
	g_free(take(s));
	g_assert_cmpint(eio_session_next_deadline(s), ==, 25 * S);
	g_assert_cmpint(eio_session_tick(s, 25 * S - 1), ==, EIO_TICK_NONE);
	g_assert_cmpint(eio_session_tick(s, 25 * S), ==, EIO_TICK_OUTPUT);
	char *payload = take(s);
	g_assert_cmpstr(payload, ==, "2");
	g_free(payload);
	/* Only one ping outstanding at a time. */
	g_assert_cmpint(eio_session_tick(s, 30 * S), ==, EIO_TICK_NONE);
	g_assert_cmpint(eio_session_next_deadline(s), ==, 45 * S);
	g_assert_cmpint(receive(s, EIO_PONG, "", EIO_VIA_POLLING, 31 * S), ==, EIO_INPUT_NONE);
	g_assert_cmpint(eio_session_next_deadline(s), ==, 56 * S);
	g_assert_cmpint(eio_session_tick(s, 55 * S), ==, EIO_TICK_NONE);
	g_assert_cmpint(eio_session_tick(s, 56 * S), ==, EIO_TICK_OUTPUT);
	/* No pong: timeout. */
	g_assert_cmpint(eio_session_tick(s, 76 * S - 1), ==, EIO_TICK_NONE);
	g_assert_cmpint(eio_session_tick(s, 76 * S), ==, EIO_TICK_TIMEOUT);
	eio_session_free(s);
}

static void test_ping_jumps_the_queue(void) {
	eio_session *s = eio_session_new(EIO_TRANSPORT_WEBSOCKET, &config, 0);
	eio_packet_free(eio_session_take_packet(s));
	g_assert_true(eio_session_send_message(s, "backlog"));
	g_assert_cmpint(eio_session_tick(s, 25 * S), ==, EIO_TICK_OUTPUT);
	eio_packet *first = eio_session_take_packet(s);
	g_assert_cmpint(first->type, ==, EIO_PING);
	eio_packet *second = eio_session_take_packet(s);
	g_assert_cmpint(second->type, ==, EIO_MESSAGE);
	eio_packet_free(first);
	eio_packet_free(second);
	eio_session_free(s);
}

static void test_sign_of_life(void) {
	eio_session *s = eio_session_new(EIO_TRANSPORT_WEBSOCKET, &config, 0);
	g_assert_cmpint(eio_session_tick(s, 25 * S), ==, EIO_TICK_OUTPUT);
	/* A message while the ping is out pushes the deadline back, once. */
	g_assert_cmpint(receive(s, EIO_MESSAGE, "2[\"x\"]", EIO_VIA_WEBSOCKET, 40 * S), ==, EIO_INPUT_MESSAGE);
	g_assert_cmpint(eio_session_next_deadline(s), ==, 60 * S);
	g_assert_cmpint(receive(s, EIO_MESSAGE, "2[\"x\"]", EIO_VIA_WEBSOCKET, 50 * S), ==, EIO_INPUT_MESSAGE);
	g_assert_cmpint(eio_session_next_deadline(s), ==, 60 * S);
	g_assert_cmpint(eio_session_tick(s, 60 * S), ==, EIO_TICK_TIMEOUT);
	eio_session_free(s);
}

static void test_client_packets(void) {
	eio_session *s = eio_session_new(EIO_TRANSPORT_POLLING, &config, 0);
	g_assert_cmpint(receive(s, EIO_MESSAGE, "40", EIO_VIA_POLLING, 1), ==, EIO_INPUT_MESSAGE);
	g_assert_cmpint(receive(s, EIO_NOOP, "", EIO_VIA_POLLING, 1), ==, EIO_INPUT_NONE);
	g_assert_cmpint(receive(s, EIO_PONG, "", EIO_VIA_POLLING, 1), ==, EIO_INPUT_NONE);   /* unsolicited: harmless */
	g_assert_cmpint(receive(s, EIO_PING, "", EIO_VIA_POLLING, 1), ==, EIO_INPUT_ERROR);  /* wrong direction */
	g_assert_cmpint(receive(s, EIO_OPEN, "", EIO_VIA_POLLING, 1), ==, EIO_INPUT_ERROR);
	g_assert_cmpint(receive(s, EIO_UPGRADE, "", EIO_VIA_POLLING, 1), ==, EIO_INPUT_ERROR);
	g_assert_cmpint(receive(s, EIO_CLOSE, "", EIO_VIA_POLLING, 1), ==, EIO_INPUT_CLOSE);
	eio_session_free(s);

	s = eio_session_new(EIO_TRANSPORT_WEBSOCKET, &config, 0);
	/* A WebSocket session takes nothing over polling. */
	g_assert_cmpint(receive(s, EIO_MESSAGE, "40", EIO_VIA_POLLING, 1), ==, EIO_INPUT_ERROR);
	g_assert_cmpint(receive(s, EIO_PING, "probe", EIO_VIA_WEBSOCKET, 1), ==, EIO_INPUT_ERROR);
	eio_session_free(s);
}

static void test_upgrade(void) {
	eio_session *s = eio_session_new(EIO_TRANSPORT_POLLING, &config, 0);
	g_free(take(s));
	g_assert_true(eio_session_send_message(s, "42[\"early\"]"));
	/* Anything but the probe on a WebSocket beside polling drops that WebSocket only. */
	g_assert_cmpint(receive(s, EIO_UPGRADE, "", EIO_VIA_WEBSOCKET, 1), ==, EIO_INPUT_DROP_TRANSPORT);
	g_assert_cmpint(receive(s, EIO_MESSAGE, "40", EIO_VIA_WEBSOCKET, 1), ==, EIO_INPUT_DROP_TRANSPORT);
	g_assert_cmpint(receive(s, EIO_PING, "probe", EIO_VIA_WEBSOCKET, 1 * S), ==, EIO_INPUT_PROBE);
	g_assert_cmpint(receive(s, EIO_PING, "probe", EIO_VIA_WEBSOCKET, 1 * S), ==, EIO_INPUT_DROP_TRANSPORT);
	/* The held GET is released with a noop; queued output waits for the WebSocket. */
	char *payload = take(s);
	g_assert_cmpstr(payload, ==, "6");
	g_free(payload);
	g_assert_true(eio_session_has_output(s));
	g_assert_cmpint(receive(s, EIO_UPGRADE, "", EIO_VIA_WEBSOCKET, 2 * S), ==, EIO_INPUT_UPGRADED);
	g_assert_cmpint(s->transport, ==, EIO_TRANSPORT_WEBSOCKET);
	eio_packet *p = eio_session_take_packet(s);
	gsize len;
	g_assert_cmpstr(eio_packet_text(p, &len), ==, "42[\"early\"]");
	eio_packet_free(p);
	g_assert_cmpint(receive(s, EIO_MESSAGE, "42[]", EIO_VIA_POLLING, 3 * S), ==, EIO_INPUT_ERROR);
	g_assert_cmpint(receive(s, EIO_MESSAGE, "42[]", EIO_VIA_WEBSOCKET, 3 * S), ==, EIO_INPUT_MESSAGE);
	eio_session_free(s);
}

static void test_upgrade_timeout(void) {
	eio_session *s = eio_session_new(EIO_TRANSPORT_POLLING, &config, 0);
	g_assert_cmpint(receive(s, EIO_PING, "probe", EIO_VIA_WEBSOCKET, 1 * S), ==, EIO_INPUT_PROBE);
	g_assert_cmpint(eio_session_tick(s, 1 * S + EIO_UPGRADE_TIMEOUT_US), ==, EIO_TICK_UPGRADE_EXPIRED);
	g_assert_false(s->probing);
	g_assert_cmpint(eio_session_next_deadline(s), ==, config.ping_interval_us);
	g_assert_cmpint(receive(s, EIO_UPGRADE, "", EIO_VIA_WEBSOCKET, 12 * S), ==, EIO_INPUT_DROP_TRANSPORT);
	/* A new probe may try again. */
	g_assert_cmpint(receive(s, EIO_PING, "probe", EIO_VIA_WEBSOCKET, 13 * S), ==, EIO_INPUT_PROBE);
	eio_session_free(s);
}

/* A client that reads the noop releasing its GET before "3probe" polls
 * again, and upgrades only once that new GET comes back: while the upgrade
 * lasts, a held GET is released again and again. */
static void test_upgrade_noop_repeats(void) {
	eio_session *s = eio_session_new(EIO_TRANSPORT_POLLING, &config, 0);
	g_free(take(s));
	g_assert_cmpint(receive(s, EIO_PING, "probe", EIO_VIA_WEBSOCKET, 1 * S), ==, EIO_INPUT_PROBE);
	char *payload = take(s);
	g_assert_cmpstr(payload, ==, "6");
	g_free(payload);
	/* The next GET waits... */
	g_assert_false(eio_session_has_output(s));
	g_assert_cmpint(eio_session_next_deadline(s), ==, 1 * S + EIO_UPGRADE_NOOP_US);
	g_assert_cmpint(eio_session_tick(s, 1 * S + EIO_UPGRADE_NOOP_US - 1), ==, EIO_TICK_NONE);
	g_assert_false(eio_session_has_output(s));
	/* ...for a noop again, and so on while the upgrade lasts. */
	for(int i = 1; i <= 3; i++) {
		g_assert_cmpint(eio_session_tick(s, 1 * S + i * EIO_UPGRADE_NOOP_US), ==, EIO_TICK_OUTPUT);
		payload = take(s);
		g_assert_cmpstr(payload, ==, "6");
		g_free(payload);
		g_assert_false(eio_session_has_output(s));
	}
	/* Upgraded: no more noops. */
	g_assert_cmpint(receive(s, EIO_UPGRADE, "", EIO_VIA_WEBSOCKET, 2 * S), ==, EIO_INPUT_UPGRADED);
	g_assert_cmpint(eio_session_next_deadline(s), ==, config.ping_interval_us);
	g_assert_cmpint(eio_session_tick(s, 3 * S), ==, EIO_TICK_NONE);
	g_assert_false(eio_session_has_output(s));
	eio_session_free(s);
}

static void test_payload_cap(void) {
	eio_session_config small = config;
	small.max_payload = 200;
	small.max_queued_bytes = 100000;
	eio_session *s = eio_session_new(EIO_TRANSPORT_POLLING, &small, 0);
	g_free(take(s));
	char big[120];
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	for(int i = 0; i < 3; i++)
		g_assert_true(eio_session_send_message(s, big));
	/* One packet per answer: two would go over 200 bytes. */
	for(int i = 0; i < 3; i++) {
		char *payload = take(s);
		g_assert_cmpuint(strlen(payload), ==, 120);
		g_free(payload);
	}
	g_assert_null(take(s));
	/* Small ones are batched, separated by \x1e. */
	g_assert_true(eio_session_send_message(s, "a"));
	g_assert_true(eio_session_send_message(s, "b"));
	char *payload = take(s);
	g_assert_cmpstr(payload, ==, "4a\x1e" "4b");
	g_free(payload);
	eio_session_free(s);
}

static void test_queue_limit(void) {
	eio_session *s = eio_session_new(EIO_TRANSPORT_POLLING, &config, 0);
	char chunk[1001];
	memset(chunk, 'y', 1000);
	chunk[1000] = '\0';
	gboolean ok = TRUE;
	int sent = 0;
	while(ok && sent < 100) {
		ok = eio_session_send_message(s, chunk);
		sent++;
	}
	g_assert_false(ok);
	g_assert_cmpint(sent, <=, 5);
	eio_session_free(s);
}

static void test_closed(void) {
	eio_session *s = eio_session_new(EIO_TRANSPORT_POLLING, &config, 0);
	eio_session_close(s);
	g_assert_false(eio_session_send_message(s, "x"));
	g_assert_cmpint(receive(s, EIO_MESSAGE, "40", EIO_VIA_POLLING, 1), ==, EIO_INPUT_NONE);
	g_assert_cmpint(eio_session_tick(s, 100 * S), ==, EIO_TICK_NONE);
	eio_session_free(s);
}

int main(int argc, char **argv) {
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/eio-session/handshake", test_handshake);
	g_test_add_func("/eio-session/unique-sids", test_unique_sids);
	g_test_add_func("/eio-session/heartbeat", test_heartbeat);
	g_test_add_func("/eio-session/ping-jumps-the-queue", test_ping_jumps_the_queue);
	g_test_add_func("/eio-session/sign-of-life", test_sign_of_life);
	g_test_add_func("/eio-session/client-packets", test_client_packets);
	g_test_add_func("/eio-session/upgrade", test_upgrade);
	g_test_add_func("/eio-session/upgrade-timeout", test_upgrade_timeout);
	g_test_add_func("/eio-session/upgrade-noop-repeats", test_upgrade_noop_repeats);
	g_test_add_func("/eio-session/payload-cap", test_payload_cap);
	g_test_add_func("/eio-session/queue-limit", test_queue_limit);
	g_test_add_func("/eio-session/closed", test_closed);
	return g_test_run();
}
