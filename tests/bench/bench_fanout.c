/* Per-packet cost of the relay's fan-out: oicall_relay_rtp with 1 and with 10
 * forwards, on janus_stubs.c. Two gateways: one that does nothing (the
 * relay's own cost: the set under the lock, per-forward checks, the header
 * rewritten and restored), and one that does what janus_ice_relay_rtp does
 * before it returns (two allocations and a copy of the packet), freed at once.
 * Not a test: it prints figures (tools/bench-fanout). */
#include <stdio.h>
#include <string.h>

#include <glib.h>

#include "../../plugin/relay.h"
#include "../unit/janus_stubs.h"

#define PACKET 1200
#define ROUNDS 2000000

static void relay_nothing(janus_plugin_session *handle, janus_plugin_rtp *packet) {
	(void)handle;
	(void)packet;
}

/* The core's queued packet, as janus_ice_relay_rtp fills it (the size of its
 * struct, 1.1.2), and room for the SRTP tag. */
static void relay_copy(janus_plugin_session *handle, janus_plugin_rtp *packet) {
	(void)handle;
	char *queued = g_malloc(96);
	char *data = g_malloc(packet->length + 16);
	memcpy(data, packet->buffer, packet->length);
	queued[0] = data[0];
	g_free(data);
	g_free(queued);
}


static double per_packet_ns(janus_callbacks *gateway, int forwards) {
	oicall_session *source = stub_session_new(1), *targets[OICALL_MAX_FORWARDS];
	oicall_relay_describe(source, 1, OICALL_AUDIO, "opus", NULL);
	for(int i = 0; i < forwards; i++) {
		targets[i] = stub_session_new(2 + i);
		oicall_relay_connect(source, 1, targets[i], 1, OICALL_AUDIO, NULL, FALSE);
	}
	static char buffer[sizeof(janus_rtp_header) + PACKET];
	janus_rtp_header *header = (janus_rtp_header *)buffer;
	header->version = 2;
	header->type = 111;
	header->ssrc = htonl(1234);
	janus_plugin_rtp packet = { .mindex = 1, .video = FALSE, .buffer = buffer, .length = PACKET };
	gint64 start = g_get_monotonic_time();
	for(int n = 0; n < ROUNDS; n++) {
		header->seq_number = htons((guint16)n);
		oicall_relay_rtp(gateway, source, &packet);
	}
	gint64 elapsed = g_get_monotonic_time() - start;
	stub_session_done(source);
	for(int i = 0; i < forwards; i++)
		stub_session_done(targets[i]);
	return elapsed * 1000.0 / ROUNDS;
}

int main(void) {
	janus_callbacks nothing = { .relay_rtp = relay_nothing }, copy = { .relay_rtp = relay_copy };
	printf("%d packets of %d bytes, ns per incoming packet:\n", ROUNDS, PACKET);
	printf("forwards  relay only  relay + core's copy\n");
	int counts[] = { 1, 10 };
	for(guint i = 0; i < G_N_ELEMENTS(counts); i++)
		printf("%8d  %10.0f  %19.0f\n", counts[i], per_packet_ns(&nothing, counts[i]), per_packet_ns(&copy, counts[i]));
	return 0;
}
