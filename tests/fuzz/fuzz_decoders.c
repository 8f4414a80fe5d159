/*
 * libFuzzer target over the decoders that see untrusted bytes: Engine.IO
 * polling payloads and WebSocket frames, and Socket.IO packets. Every
 * packet that decodes must encode back to something that decodes the same.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "../../transport/engineio_codec.h"
#include "../../transport/socketio_codec.h"

static void check_eio_roundtrip(const eio_packet *packet) {
	GString *payload = g_string_new(NULL);
	eio_encode_payload_append(payload, packet);
	GPtrArray *again = eio_decode_payload(payload->str, payload->len, 1, NULL);
	if(again == NULL || again->len != 1)
		abort();
	const eio_packet *copy = g_ptr_array_index(again, 0);
	if(copy->type != packet->type || copy->binary != packet->binary || !g_bytes_equal(copy->data, packet->data))
		abort();
	g_ptr_array_unref(again);
	g_string_free(payload, TRUE);
}

static void check_sio_roundtrip(const sio_packet *packet) {
	/* The server never encodes binary packets. */
	if(packet->type == SIO_BINARY_EVENT || packet->type == SIO_BINARY_ACK)
		return;
	char *text = sio_encode(packet->type, packet->nsp, packet->ack_id, packet->data);
	sio_packet copy = { 0 };
	const char *error = NULL;
	if(sio_decode(text, strlen(text), &copy, &error) != SIO_DECODE_OK)
		abort();
	if(copy.type != packet->type || strcmp(copy.nsp, packet->nsp) != 0 || copy.ack_id != packet->ack_id ||
			(packet->data == NULL) != (copy.data == NULL) || (packet->data && !json_equal(packet->data, copy.data)))
		abort();
	sio_packet_clear(&copy);
	g_free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
	GPtrArray *packets = eio_decode_payload((const char *)data, size, 64, NULL);
	if(packets != NULL) {
		for(guint i = 0; i < packets->len; i++)
			check_eio_roundtrip(g_ptr_array_index(packets, i));
		g_ptr_array_unref(packets);
	}
	for(int binary = 0; binary < 2; binary++) {
		eio_packet *frame = eio_decode_frame(data, size, binary, NULL);
		eio_packet_free(frame);
	}
	sio_packet packet = { 0 };
	const char *error = NULL;
	if(sio_decode((const char *)data, size, &packet, &error) == SIO_DECODE_OK)
		check_sio_roundtrip(&packet);
	sio_packet_clear(&packet);
	return 0;
}
