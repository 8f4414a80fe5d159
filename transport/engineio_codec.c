/*
 * Engine.IO protocol 4 packet codec, after engine.io-parser 5: same packet
 * forms, stricter validation (strict base64, UTF-8 checked, empty packets
 * and oversized payloads refused). Buffers are never assumed NUL-terminated.
 */
#include "engineio_codec.h"

#include <string.h>

G_DEFINE_QUARK(eio-codec-error-quark, eio_codec_error)

/* GBytes over a NUL-terminated copy, so that eio_packet_text is a C string. */
static GBytes *terminated_bytes(const void *data, gsize len) {
	char *copy = g_malloc(len + 1);
	if(len > 0)
		memcpy(copy, data, len);
	copy[len] = '\0';
	return g_bytes_new_take(copy, len);
}

static eio_packet *packet_take(eio_packet_type type, gboolean binary, GBytes *data) {
	eio_packet *packet = g_new0(eio_packet, 1);
	packet->type = type;
	packet->binary = binary;
	packet->data = data;
	return packet;
}

eio_packet *eio_packet_new(eio_packet_type type, gboolean binary, const void *data, gsize len) {
	g_return_val_if_fail(data != NULL || len == 0, NULL);
	return packet_take(type, binary, terminated_bytes(data, len));
}

void eio_packet_free(eio_packet *packet) {
	if(packet == NULL)
		return;
	g_bytes_unref(packet->data);
	g_free(packet);
}

const char *eio_packet_text(const eio_packet *packet, gsize *len) {
	/* Every packet's data is followed by a NUL (terminated_bytes). */
	gsize size = 0;
	const char *text = g_bytes_get_data(packet->data, &size);
	if(len != NULL)
		*len = size;
	return text != NULL ? text : "";
}

static int base64_value(char c) {
	if(c >= 'A' && c <= 'Z')
		return c - 'A';
	if(c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if(c >= '0' && c <= '9')
		return c - '0' + 52;
	if(c == '+')
		return 62;
	if(c == '/')
		return 63;
	return -1;
}

/* Strict base64: RFC 4648 alphabet, length a multiple of 4, '=' only as
 * the last one or two characters. g_base64_decode skips anything it does
 * not know, which would let garbage through. NULL when invalid. */
static GBytes *base64_decode_strict(const char *text, gsize len) {
	if(len % 4 != 0)
		return NULL;
	gsize padding = 0;
	if(len > 0 && text[len - 1] == '=')
		padding = text[len - 2] == '=' ? 2 : 1;     /* len >= 4 here */
	gsize size = len / 4 * 3 - padding;
	guint8 *out = g_malloc(size + 1);
	gsize n = 0;
	guint32 bits = 0;
	for(gsize i = 0; i < len - padding; i++) {
		int v = base64_value(text[i]);
		if(v < 0) {
			g_free(out);
			return NULL;
		}
		bits = (bits << 6) | (guint32)v;
		if(i % 4 == 3) {
			out[n++] = (guint8)(bits >> 16);
			out[n++] = (guint8)(bits >> 8);
			out[n++] = (guint8)bits;
			bits = 0;
		}
	}
	/* The last group's unused low bits are ignored, as every decoder does. */
	if(padding == 2) {
		out[n++] = (guint8)(bits >> 4);
	} else if(padding == 1) {
		out[n++] = (guint8)(bits >> 10);
		out[n++] = (guint8)(bits >> 2);
	}
	g_assert(n == size);
	out[n] = '\0';      /* like every packet's data, for eio_packet_text */
	return g_bytes_new_take(out, size);
}

/* One text packet, already known to be valid UTF-8: "<type digit><data>",
 * or "b<base64>" for a binary message. */
static eio_packet *decode_text_packet(const char *buf, gsize len, GError **error) {
	if(len == 0) {
		g_set_error_literal(error, EIO_CODEC_ERROR, EIO_CODEC_ERROR_EMPTY, "empty packet");
		return NULL;
	}
	if(buf[0] == 'b') {
		GBytes *data = base64_decode_strict(buf + 1, len - 1);
		if(data == NULL) {
			g_set_error_literal(error, EIO_CODEC_ERROR, EIO_CODEC_ERROR_BASE64, "invalid base64 in a binary packet");
			return NULL;
		}
		return packet_take(EIO_MESSAGE, TRUE, data);
	}
	if(buf[0] < '0' || buf[0] > '6') {
		g_set_error_literal(error, EIO_CODEC_ERROR, EIO_CODEC_ERROR_TYPE, "unknown packet type");
		return NULL;
	}
	return packet_take((eio_packet_type)(buf[0] - '0'), FALSE, terminated_bytes(buf + 1, len - 1));
}

/* g_utf8_validate_len also refuses NULs: packet text becomes C strings
 * (eio_packet_text), and a raw NUL is never valid in what Socket.IO sends. */
static gboolean text_valid(const char *buf, gsize len) {
	return len == 0 || g_utf8_validate_len(buf, len, NULL);
}

eio_packet *eio_decode_frame(const guint8 *buf, gsize len, gboolean binary_frame, GError **error) {
	if(binary_frame)
		return packet_take(EIO_MESSAGE, TRUE, terminated_bytes(buf, len));
	if(!text_valid((const char *)buf, len)) {
		g_set_error_literal(error, EIO_CODEC_ERROR, EIO_CODEC_ERROR_UTF8, "text frame is not valid UTF-8");
		return NULL;
	}
	/* A text frame may hold "b<base64>" too: engine.io-client sends binary
	 * that way over WebSocket with forceBase64, and engine.io accepts it. */
	return decode_text_packet((const char *)buf, len, error);
}

GPtrArray *eio_decode_payload(const char *buf, gsize len, guint max_packets, GError **error) {
	if(len == 0) {
		g_set_error_literal(error, EIO_CODEC_ERROR, EIO_CODEC_ERROR_EMPTY, "empty payload");
		return NULL;
	}
	if(!text_valid(buf, len)) {
		g_set_error_literal(error, EIO_CODEC_ERROR, EIO_CODEC_ERROR_UTF8, "payload is not valid UTF-8");
		return NULL;
	}
	GPtrArray *packets = g_ptr_array_new_with_free_func((GDestroyNotify)eio_packet_free);
	gsize start = 0;
	for(;;) {
		/* Checked before decoding, so a flood of packets costs nothing. */
		if(packets->len >= max_packets) {
			g_set_error(error, EIO_CODEC_ERROR, EIO_CODEC_ERROR_TOO_MANY, "more than %u packets in a payload", max_packets);
			g_ptr_array_unref(packets);
			return NULL;
		}
		const char *sep = memchr(buf + start, EIO_RECORD_SEPARATOR, len - start);
		gsize end = sep != NULL ? (gsize)(sep - buf) : len;
		GError *packet_error = NULL;
		eio_packet *packet = decode_text_packet(buf + start, end - start, &packet_error);
		if(packet == NULL) {
			g_propagate_prefixed_error(error, packet_error, "packet %u: ", packets->len + 1);
			g_ptr_array_unref(packets);
			return NULL;
		}
		g_ptr_array_add(packets, packet);
		if(sep == NULL)
			return packets;
		start = end + 1;    /* a trailing separator leaves an empty packet: refused */
	}
}

void eio_encode_frame(const eio_packet *packet, GByteArray *out, gboolean *binary_frame) {
	gsize len = 0;
	const char *data = eio_packet_text(packet, &len);
	*binary_frame = packet->binary;
	if(!packet->binary) {
		guint8 type = (guint8)('0' + packet->type);
		g_byte_array_append(out, &type, 1);
	}
	if(len > 0)
		g_byte_array_append(out, (const guint8 *)data, (guint)len);
}

/* Text data is written as is: like engine.io-parser, a \x1e inside it is not
 * escaped (packets decoded from a payload never hold one). */
void eio_encode_payload_append(GString *payload, const eio_packet *packet) {
	if(payload->len > 0)
		g_string_append_c(payload, EIO_RECORD_SEPARATOR);
	gsize len = 0;
	const char *data = eio_packet_text(packet, &len);
	if(packet->binary) {
		g_string_append_c(payload, 'b');
		gchar *b64 = g_base64_encode((const guchar *)data, len);
		g_string_append(payload, b64);
		g_free(b64);
		return;
	}
	g_string_append_c(payload, (char)('0' + packet->type));
	g_string_append_len(payload, data, (gssize)len);
}
