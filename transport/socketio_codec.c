#include "socketio_codec.h"

#include <stdlib.h>
#include <string.h>

/* Decoding follows socket.io-parser 4.x, with stricter payload checks
 * (an EVENT's name must be a string). Digits right after the type of a
 * CONNECT, DISCONNECT or CONNECT_ERROR are not an ack id: they start the
 * JSON, which then fails the payload check. */

static gboolean type_has_ack(sio_packet_type type) {
	return type == SIO_EVENT || type == SIO_ACK || type == SIO_BINARY_EVENT || type == SIO_BINARY_ACK;
}

static gboolean payload_valid(sio_packet_type type, json_t *data) {
	switch(type) {
		case SIO_CONNECT:
			return data == NULL || json_is_object(data);
		case SIO_DISCONNECT:
			return data == NULL;
		case SIO_CONNECT_ERROR:
			return json_is_object(data) || json_is_string(data);
		case SIO_EVENT:
		case SIO_BINARY_EVENT: {
			if(!json_is_array(data) || json_array_size(data) == 0)
				return FALSE;
			json_t *name = json_array_get(data, 0);
			if(!json_is_string(name))
				return FALSE;
			static const char *const reserved[] = {
				"connect", "connect_error", "disconnect", "disconnecting", "newListener", "removeListener",
			};
			for(gsize i = 0; i < G_N_ELEMENTS(reserved); i++) {
				if(strcmp(json_string_value(name), reserved[i]) == 0)
					return FALSE;
			}
			return TRUE;
		}
		case SIO_ACK:
		case SIO_BINARY_ACK:
			return json_is_array(data);
	}
	return FALSE;
}

sio_decode_status sio_decode(const char *buf, gsize len, sio_packet *out, const char **error) {
	memset(out, 0, sizeof(*out));
	out->ack_id = SIO_NO_ACK;
	if(len == 0 || buf[0] < '0' || buf[0] > '6') {
		*error = len == 0 ? "empty packet" : "unknown packet type";
		return SIO_DECODE_BAD_HEADER;
	}
	out->type = (sio_packet_type)(buf[0] - '0');
	gsize i = 1;
	if(out->type == SIO_BINARY_EVENT || out->type == SIO_BINARY_ACK) {
		gsize start = i;
		guint64 count = 0;
		while(i < len && g_ascii_isdigit(buf[i]) && i - start < 4)
			count = count * 10 + (guint64)(buf[i++] - '0');
		if(i == start || i >= len || buf[i] != '-' || count > SIO_MAX_ATTACHMENTS) {
			*error = "invalid attachment count";
			return SIO_DECODE_BAD_HEADER;
		}
		out->attachments = (guint)count;
		i++;
	}
	if(i < len && buf[i] == '/') {
		const char *comma = memchr(buf + i, ',', len - i);
		gsize end = comma ? (gsize)(comma - buf) : len;
		if(end - i > SIO_MAX_NSP_LEN || memchr(buf + i, '\0', end - i) != NULL) {
			*error = "invalid namespace";
			return SIO_DECODE_BAD_HEADER;
		}
		out->nsp = g_strndup(buf + i, end - i);
		i = comma ? end + 1 : end;
	} else {
		out->nsp = g_strdup("/");
	}
	if(type_has_ack(out->type) && i < len && g_ascii_isdigit(buf[i])) {
		gsize start = i;
		guint64 id = 0;
		while(i < len && g_ascii_isdigit(buf[i])) {
			if(i - start >= 16) {
				*error = "invalid ack id";
				return SIO_DECODE_BAD_HEADER;
			}
			id = id * 10 + (guint64)(buf[i++] - '0');
		}
		if(id > (guint64)SIO_MAX_ACK_ID) {
			*error = "invalid ack id";
			return SIO_DECODE_BAD_HEADER;
		}
		out->ack_id = (gint64)id;
	}
	if(i < len) {
		if(memchr(buf + i, '\0', len - i) != NULL) {
			*error = "invalid JSON payload";
			return SIO_DECODE_BAD_PAYLOAD;
		}
		json_error_t json_error;
		out->data = json_loadb(buf + i, len - i, JSON_DECODE_ANY, &json_error);
		if(out->data == NULL) {
			*error = "invalid JSON payload";
			return SIO_DECODE_BAD_PAYLOAD;
		}
	}
	if(!payload_valid(out->type, out->data)) {
		json_decref(out->data);
		out->data = NULL;
		*error = "payload of the wrong shape for its packet type";
		return SIO_DECODE_BAD_PAYLOAD;
	}
	return SIO_DECODE_OK;
}

void sio_packet_clear(sio_packet *packet) {
	g_free(packet->nsp);
	json_decref(packet->data);
	memset(packet, 0, sizeof(*packet));
}

char *sio_encode(sio_packet_type type, const char *nsp, gint64 ack_id, json_t *data) {
	GString *out = g_string_new(NULL);
	g_string_append_c(out, (char)('0' + type));
	if(nsp != NULL && strcmp(nsp, "/") != 0) {
		g_string_append(out, nsp);
		g_string_append_c(out, ',');
	}
	if(ack_id != SIO_NO_ACK)
		g_string_append_printf(out, "%" G_GINT64_FORMAT, ack_id);
	if(data != NULL) {
		char *json = json_dumps(data, JSON_COMPACT | JSON_ENCODE_ANY);
		if(json != NULL)
			g_string_append(out, json);
		free(json);
	}
	return g_string_free(out, FALSE);
}

char *sio_encode_event(const char *event, json_t *payload) {
	json_t *array = json_pack("[s]", event);
	if(payload != NULL)
		json_array_append(array, payload);
	char *text = sio_encode(SIO_EVENT, "/", SIO_NO_ACK, array);
	json_decref(array);
	return text;
}

char *sio_encode_ack(gint64 ack_id, json_t *payload) {
	json_t *array = json_array();
	if(payload != NULL)
		json_array_append(array, payload);
	char *text = sio_encode(SIO_ACK, "/", ack_id, array);
	json_decref(array);
	return text;
}
