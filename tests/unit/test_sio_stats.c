/* The transport's metric families: sockets, counters, acks by event and error with bounded labels. */
#include <glib.h>
#include <string.h>

#include "../../common/prom.h"
#include "../../transport/sio_stats.h"

static char *render(const sio_server_stats *stats, const sio_ack_stats *acks) {
	json_t *families = sio_stats_families(stats, acks);
	GString *out = g_string_new(NULL);
	char *error = NULL;
	g_assert_true(oicall_prom_render(out, families, &error));
	json_decref(families);
	return g_string_free(out, FALSE);
}

static void assert_line(const char *text, const char *line) {
	char *with_newline = g_strdup_printf("\n%s\n", line);
	if(strstr(text, with_newline) == NULL)
		g_error("no line \"%s\" in:\n%s", line, text);
	g_free(with_newline);
}

static void test_server_stats(void) {
	sio_server_stats s = { .polling = 2, .websocket = 5, .sessions = 6, .connections = 40, .rejected_handshakes = 3,
		.messages_in = 10, .messages_out = 11, .bytes_in = 1000, .bytes_out = 2000, .events_in = 7, .events_out = 8,
		.refused_connections = 4, .max_connections = 100 };
	sio_ack_stats *acks = sio_ack_stats_new();
	char *text = render(&s, acks);
	assert_line(text, "oicall_socketio_sockets{transport=\"polling\"} 2");
	assert_line(text, "oicall_socketio_sockets{transport=\"websocket\"} 5");
	assert_line(text, "oicall_socketio_janus_sessions 6");
	assert_line(text, "oicall_socketio_connections_total 40");
	assert_line(text, "oicall_socketio_rejected_handshakes_total 3");
	assert_line(text, "oicall_socketio_refused_connections_total 4");
	assert_line(text, "oicall_socketio_bytes_total{direction=\"out\"} 2000");
	assert_line(text, "# TYPE oicall_socketio_acks_total counter");
	g_free(text);
	sio_ack_stats_free(acks);
}

static void test_acks(void) {
	sio_server_stats s = { 0 };
	sio_ack_stats *acks = sio_ack_stats_new();
	sio_ack_stats_add(acks, "register", NULL);
	sio_ack_stats_add(acks, "register", NULL);
	sio_ack_stats_add(acks, "start-call", "Already in a call");
	/* Details after a colon are left out: one series per kind of error. */
	sio_ack_stats_add(acks, "accept-call", "Invalid answer: no m-line");
	sio_ack_stats_add(acks, "accept-call", "Invalid answer: bad fingerprint");
	/* A name no client would give an event is not kept as such. */
	sio_ack_stats_add(acks, "bad name\"", "Unknown request");
	sio_ack_stats_add(acks, NULL, "Invalid event");
	char *text = render(&s, acks);
	assert_line(text, "oicall_socketio_acks_total{event=\"register\",error=\"\"} 2");
	assert_line(text, "oicall_socketio_acks_total{event=\"start-call\",error=\"Already in a call\"} 1");
	assert_line(text, "oicall_socketio_acks_total{event=\"accept-call\",error=\"Invalid answer\"} 2");
	assert_line(text, "oicall_socketio_acks_total{event=\"other\",error=\"Unknown request\"} 1");
	assert_line(text, "oicall_socketio_acks_total{event=\"other\",error=\"Invalid event\"} 1");
	g_free(text);
	sio_ack_stats_free(acks);
}

static void test_acks_bounded(void) {
	sio_server_stats s = { 0 };
	sio_ack_stats *acks = sio_ack_stats_new();
	for(int i = 0; i < SIO_ACK_STATS_MAX + 50; i++) {
		char *event = g_strdup_printf("event-%d", i);
		sio_ack_stats_add(acks, event, i % 2 ? "Unknown request" : NULL);
		g_free(event);
	}
	char *text = render(&s, acks);
	guint series = 0;
	for(const char *p = text; (p = strstr(p, "\noicall_socketio_acks_total{")) != NULL; p++)
		series++;
	g_assert_cmpuint(series, ==, SIO_ACK_STATS_MAX + 2);
	assert_line(text, "oicall_socketio_acks_total{event=\"other\",error=\"\"} 25");
	assert_line(text, "oicall_socketio_acks_total{event=\"other\",error=\"other\"} 25");
	g_free(text);
	sio_ack_stats_free(acks);
	/* A long error is cut, on a character boundary. */
	acks = sio_ack_stats_new();
	sio_ack_stats_add(acks, "start-call", "ééééééééééééééééééééééééééééééééééééééééééééé");
	text = render(&s, acks);
	assert_line(text, "oicall_socketio_acks_total{event=\"start-call\",error=\"éééééééééééééééééééééééééééééééé\"} 1");
	g_free(text);
	sio_ack_stats_free(acks);
}

int main(int argc, char **argv) {
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/sio-stats/server", test_server_stats);
	g_test_add_func("/sio-stats/acks", test_acks);
	g_test_add_func("/sio-stats/acks-bounded", test_acks_bounded);
	return g_test_run();
}
