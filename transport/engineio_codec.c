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

eio_packet *eio_packet_new(eio_packet_type type, gboolean binary, const void *data, gsize len) {
	eio_packet *packet = g_new0(eio_packet, 1);
	packet->type = type;
	packet->binary = binary;
	packet->data = terminated_bytes(data, len);
	return packet;
}

void eio_packet_free(eio_packet *packet) {
	if(packet == NULL)
		return;
	g_bytes_unref(packet->data);
	g_free(packet);
}

const char *eio_packet_text(const eio_packet *packet, gsize *len) {
	/* Every packet's data is followed by a NUL (terminated_bytes, or static ""). */
	const char *text = g_bytes_get_data(packet->data, len);
	return text ? text : "";
}

static eio_packet *packet_take(eio_packet_type type, gboolean binary, GBytes *data) {
	eio_packet *packet = g_new0(eio_packet, 1);
	packet->type = type;
	packet->binary = binary;
	packet->data = data;
	return packet;
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

/* Strict base64 (RFC 4648 alphabet, padded, length a multiple of 4). */
static GBytes *base64_decode_strict(const char *text, gsize len) {
	if(len % 4 != 0)
		return NULL;
	gsize padding = 0;
	if(len > 0 && text[len - 1] == '=')
		padding++;
	if(len > 1 && text[len - 2] == '=')
		padding++;
	guint8 *out = g_malloc(len / 4 * 3 + 1);
	gsize n = 0;
	for(gsize i = 0; i < len; i += 4) {
		int v[4];
		for(int j = 0; j < 4; j++) {
			gboolean pad_allowed = i + 4 == len && j >= 4 - (int)padding;
			v[j] = pad_allowed ? 0 : base64_value(text[i + j]);
			if(v[j] < 0) {
				g_free(out);
				return NULL;
			}
		}
		guint32 triple = ((guint32)v[0] << 18) | ((guint32)v[1] << 12) | ((guint32)v[2] << 6) | (guint32)v[3];
		out[n++] = (triple >> 16) & 0xff;
		if(!(i + 4 == len && padding >= 2))
			out[n++] = (triple >> 8) & 0xff;
		if(!(i + 4 == len && padding >= 1))
			out[n++] = triple & 0xff;
	}
	out[n] = '\0';
	return g_bytes_new_take(out, n);
}

/* One text packet: "<type digit><data>" or "b<base64>". */
static eio_packet *decode_text_packet(const char *buf, gsize len, GError **error) {
	if(len == 0) {
		g_set_error(error, EIO_CODEC_ERROR, EIO_CODEC_ERROR_EMPTY, "empty packet");
		return NULL;
	}
	if(buf[0] == 'b') {
		GBytes *data = base64_decode_strict(buf + 1, len - 1);
		if(data == NULL) {
			g_set_error(error, EIO_CODEC_ERROR, EIO_CODEC_ERROR_BASE64, "invalid base64 in a binary packet");
			return NULL;
		}
		return packet_take(EIO_MESSAGE, TRUE, data);
	}
	if(buf[0] < '0' || buf[0] > '6') {
		g_set_error(error, EIO_CODEC_ERROR, EIO_CODEC_ERROR_TYPE, "unknown packet type");
		return NULL;
	}
	return packet_take((eio_packet_type)(buf[0] - '0'), FALSE, terminated_bytes(buf + 1, len - 1));
}

eio_packet *eio_decode_frame(const guint8 *buf, gsize len, gboolean binary_frame, GError **error) {
	if(len == 0)
		buf = (const guint8 *)"";    /* an empty frame may come with no buffer at all */
	if(binary_frame)
		return packet_take(EIO_MESSAGE, TRUE, terminated_bytes(buf, len));
	if(!g_utf8_validate((const char *)buf, (gssize)len, NULL)) {
		g_set_error(error, EIO_CODEC_ERROR, EIO_CODEC_ERROR_UTF8, "text frame is not UTF-8");
		return NULL;
	}
	if(len > 0 && buf[0] == 'b') {
		/* Over WebSocket binary travels in binary frames, never as base64 text. */
		g_set_error(error, EIO_CODEC_ERROR, EIO_CODEC_ERROR_TYPE, "unknown packet type");
		return NULL;
	}
	return decode_text_packet((const char *)buf, len, error);
}

GPtrArray *eio_decode_payload(const char *buf, gsize len, guint max_packets, GError **error) {
	if(len == 0) {
		g_set_error(error, EIO_CODEC_ERROR, EIO_CODEC_ERROR_EMPTY, "empty payload");
		return NULL;
	}
	if(!g_utf8_validate(buf, (gssize)len, NULL)) {
		g_set_error(error, EIO_CODEC_ERROR, EIO_CODEC_ERROR_UTF8, "payload is not UTF-8");
		return NULL;
	}
	GPtrArray *packets = g_ptr_array_new_with_free_func((GDestroyNotify)eio_packet_free);
	gsize start = 0;
	for(;;) {
		const char *sep = memchr(buf + start, EIO_RECORD_SEPARATOR, len - start);
		gsize end = sep ? (gsize)(sep - buf) : len;
		if(packets->len >= max_packets) {
			g_set_error(error, EIO_CODEC_ERROR, EIO_CODEC_ERROR_TOO_MANY, "more than %u packets", max_packets);
			g_ptr_array_unref(packets);
			return NULL;
		}
		eio_packet *packet = decode_text_packet(buf + start, end - start, error);
		if(packet == NULL) {
			g_ptr_array_unref(packets);
			return NULL;
		}
		g_ptr_array_add(packets, packet);
		if(sep == NULL)
			break;
		start = end + 1;
	}
	return packets;
}

void eio_encode_frame(const eio_packet *packet, GByteArray *out, gboolean *binary_frame) {
	gsize len = 0;
	const guint8 *data = g_bytes_get_data(packet->data, &len);
	*binary_frame = packet->binary;
	if(!packet->binary) {
		guint8 type = (guint8)('0' + packet->type);
		g_byte_array_append(out, &type, 1);
	}
	if(len > 0)
		g_byte_array_append(out, data, (guint)len);
}

void eio_encode_payload_append(GString *payload, const eio_packet *packet) {
	if(payload->len > 0)
		g_string_append_c(payload, EIO_RECORD_SEPARATOR);
	gsize len = 0;
	const guint8 *data = g_bytes_get_data(packet->data, &len);
	if(packet->binary) {
		g_string_append_c(payload, 'b');
		gchar *b64 = g_base64_encode(data, len);
		g_string_append(payload, b64);
		g_free(b64);
		return;
	}
	g_string_append_c(payload, (char)('0' + packet->type));
	if(len > 0)
		g_string_append_len(payload, (const char *)data, (gssize)len);
}
