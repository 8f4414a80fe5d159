/*
 * libFuzzer target over the decoders that see untrusted bytes: Engine.IO
 * polling payloads and WebSocket frames (text and binary), and Socket.IO
 * packets (the input itself, and the text of every Engine.IO message in
 * it, as the server would see them). Every packet that decodes must encode
 * back to something that decodes to the same packet: abort() otherwise.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "../../transport/engineio_codec.h"
#include "../../transport/socketio_codec.h"

#define FUZZ_MAX_PACKETS 64

static void check(gboolean ok) {
	if(!ok)
		abort();
}

static gboolean eio_same(const eio_packet *a, const eio_packet *b) {
	return a->type == b->type && a->binary == b->binary && g_bytes_equal(a->data, b->data);
}

static gboolean sio_same(const sio_packet *a, const sio_packet *b) {
	return a->type == b->type && strcmp(a->nsp, b->nsp) == 0 && a->ack_id == b->ack_id &&
		a->attachments == b->attachments &&
		(a->data == NULL ? b->data == NULL : b->data != NULL && json_equal(a->data, b->data));
}

static void check_sio_roundtrip(const sio_packet *packet) {
	char *text = sio_encode(packet->type, packet->nsp, packet->ack_id, packet->data);
	check(text != NULL && text[0] == (char)('0' + packet->type));
	if(packet->type == SIO_BINARY_EVENT || packet->type == SIO_BINARY_ACK) {
		/* sio_encode writes no attachment count (the server never sends
		 * binary packets): put it where it belongs. */
		char *binary = g_strdup_printf("%c%u-%s", text[0], packet->attachments, text + 1);
		g_free(text);
		text = binary;
	}
	sio_packet copy = { 0 };
	const char *error = NULL;
	check(sio_decode(text, strlen(text), &copy, &error) == SIO_DECODE_OK);
	check(sio_same(packet, &copy));
	sio_packet_clear(&copy);
	g_free(text);
}

static void fuzz_sio(const char *buf, gsize len) {
	sio_packet packet = { 0 };
	const char *error = NULL;
	sio_decode_status status = sio_decode(buf, len, &packet, &error);
	switch(status) {
		case SIO_DECODE_OK:
			check(error == NULL && packet.nsp != NULL);
			check_sio_roundtrip(&packet);
			break;
		case SIO_DECODE_BAD_PAYLOAD:
			check(error != NULL && packet.nsp != NULL && packet.data == NULL);
			break;
		case SIO_DECODE_BAD_HEADER:
			check(error != NULL && packet.nsp == NULL && packet.data == NULL);
			break;
		default:
			abort();
	}
	sio_packet_clear(&packet);
}

static void check_frame_roundtrip(const eio_packet *packet) {
	GByteArray *frame = g_byte_array_new();
	gboolean binary = !packet->binary;
	eio_encode_frame(packet, frame, &binary);
	check(binary == packet->binary);
	eio_packet *again = eio_decode_frame(frame->data, frame->len, binary, NULL);
	check(again != NULL && eio_same(packet, again));
	eio_packet_free(again);
	g_byte_array_unref(frame);
}

static void fuzz_frames(const uint8_t *data, size_t size) {
	for(int binary = 0; binary < 2; binary++) {
		GError *error = NULL;
		eio_packet *packet = eio_decode_frame(data, size, binary, &error);
		check((packet == NULL) == (error != NULL));
		g_clear_error(&error);
		if(packet == NULL)
			continue;
		check(!binary || packet->binary);
		check_frame_roundtrip(packet);
		eio_packet_free(packet);
	}
}

static void fuzz_payload(const uint8_t *data, size_t size) {
	GError *error = NULL;
	GPtrArray *packets = eio_decode_payload((const char *)data, size, FUZZ_MAX_PACKETS, &error);
	check((packets == NULL) == (error != NULL));
	g_clear_error(&error);
	if(packets == NULL)
		return;
	check(packets->len >= 1 && packets->len <= FUZZ_MAX_PACKETS);
	/* The whole payload back, then each packet on its own. */
	GString *payload = g_string_new(NULL);
	for(guint i = 0; i < packets->len; i++)
		eio_encode_payload_append(payload, g_ptr_array_index(packets, i));
	GPtrArray *again = eio_decode_payload(payload->str, payload->len, packets->len, NULL);
	check(again != NULL && again->len == packets->len);
	for(guint i = 0; i < packets->len; i++)
		check(eio_same(g_ptr_array_index(packets, i), g_ptr_array_index(again, i)));
	g_ptr_array_unref(again);
	g_string_free(payload, TRUE);
	for(guint i = 0; i < packets->len; i++) {
		const eio_packet *packet = g_ptr_array_index(packets, i);
		check_frame_roundtrip(packet);
		/* What the server hands to the Socket.IO layer. */
		if(packet->type == EIO_MESSAGE && !packet->binary) {
			gsize len = 0;
			const char *text = eio_packet_text(packet, &len);
			fuzz_sio(text, len);
		}
	}
	g_ptr_array_unref(packets);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
	fuzz_payload(data, size);
	fuzz_frames(data, size);
	fuzz_sio((const char *)data, size);
	return 0;
}
