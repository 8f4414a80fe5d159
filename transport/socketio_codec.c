/*
 * Socket.IO protocol 5 packet codec, after socket.io-parser 4 with stricter
 * checks:
 * - the header is digits only (the reference lets Number() read " 1 " or
 *   "1e1" as an attachment count), the ack id has at most 16 digits and is
 *   at most SIO_MAX_ACK_ID, the namespace is UTF-8 of at most
 *   SIO_MAX_NSP_LEN bytes without control characters;
 * - the payload shape is checked even when the payload is absent (the
 *   reference lets "2" or "4" through), and an EVENT's name must be a
 *   string (the reference also takes a number);
 * - only EVENT, ACK and their BINARY_ forms carry an ack id. Digits after
 *   the header of a CONNECT, DISCONNECT or CONNECT_ERROR start the JSON,
 *   which then fails the shape check ("012" is a CONNECT whose payload is
 *   the number 12: BAD_PAYLOAD), where the reference would read an ack id
 *   that no one uses;
 * - JSON goes through Jansson: integers beyond 64 bits, "\u0000" in strings
 *   and raw NUL bytes are refused (BAD_PAYLOAD).
 */
#include "socketio_codec.h"

#include <stdlib.h>
#include <string.h>

/* Decimal digits in SIO_MAX_ACK_ID: anything longer is out of range. */
#define SIO_MAX_ACK_DIGITS 16

static gboolean type_has_ack(sio_packet_type type) {
	return type == SIO_EVENT || type == SIO_ACK || type == SIO_BINARY_EVENT || type == SIO_BINARY_ACK;
}

static gboolean type_is_binary(sio_packet_type type) {
	return type == SIO_BINARY_EVENT || type == SIO_BINARY_ACK;
}

/* Why data does not fit the packet type (socket.io-parser's isPayloadValid,
 * with the stricter rules above), or NULL when it does. */
static const char *payload_problem(sio_packet_type type, json_t *data) {
	static const char *const reserved[] = {
		"connect", "connect_error", "disconnect", "disconnecting", "newListener", "removeListener",
	};
	switch(type) {
		case SIO_CONNECT:
			return data == NULL || json_is_object(data) ? NULL : "a CONNECT payload must be an object";
		case SIO_DISCONNECT:
			return data == NULL ? NULL : "a DISCONNECT has no payload";
		case SIO_CONNECT_ERROR:
			return json_is_object(data) || json_is_string(data) ? NULL :
				"a CONNECT_ERROR payload must be an object or a string";
		case SIO_EVENT:
		case SIO_BINARY_EVENT: {
			json_t *name = json_is_array(data) ? json_array_get(data, 0) : NULL;
			if(!json_is_string(name))
				return "an event must be an array starting with its name";
			for(gsize i = 0; i < G_N_ELEMENTS(reserved); i++) {
				if(strcmp(json_string_value(name), reserved[i]) == 0)
					return "reserved event name";
			}
			return NULL;
		}
		case SIO_ACK:
		case SIO_BINARY_ACK:
			return json_is_array(data) ? NULL : "an ack payload must be an array";
	}
	return "unknown packet type";
}

/* UTF-8 without control characters: a NUL would cut the C string short,
 * and the namespace is echoed raw in answers, where a \x1e would split a
 * long-polling payload. */
static gboolean namespace_valid(const char *nsp, gsize len) {
	for(gsize i = 0; i < len; i++) {
		guchar c = (guchar)nsp[i];
		if(c < 0x20 || c == 0x7f)
			return FALSE;
	}
	return g_utf8_validate_len(nsp, len, NULL);
}

/* Nothing of a packet with a bad header is usable: leave it cleared. */
static sio_decode_status bad_header(sio_packet *out, const char **error, const char *message) {
	sio_packet_clear(out);
	*error = message;
	return SIO_DECODE_BAD_HEADER;
}

/* The header stays for the caller to answer with; the data goes. */
static sio_decode_status bad_payload(sio_packet *out, const char **error, const char *message) {
	json_decref(out->data);
	out->data = NULL;
	*error = message;
	return SIO_DECODE_BAD_PAYLOAD;
}

sio_decode_status sio_decode(const char *buf, gsize len, sio_packet *out, const char **error) {
	const char *unused = NULL;
	if(error == NULL)
		error = &unused;
	*error = NULL;
	memset(out, 0, sizeof(*out));
	out->ack_id = SIO_NO_ACK;
	if(len == 0)
		return bad_header(out, error, "empty packet");
	if(buf[0] < '0' || buf[0] > '6')
		return bad_header(out, error, "unknown packet type");
	out->type = (sio_packet_type)(buf[0] - '0');
	gsize i = 1;

	/* <attachments>-, for binary packets only; 1 to SIO_MAX_ATTACHMENTS
	 * (the reference refuses 0 as well). */
	if(type_is_binary(out->type)) {
		gsize start = i;
		guint count = 0;
		for(; i < len && g_ascii_isdigit(buf[i]); i++) {
			if(count <= SIO_MAX_ATTACHMENTS)     /* stops growing once too big: no overflow */
				count = count * 10 + (guint)(buf[i] - '0');
		}
		if(i == start || i == len || buf[i] != '-' || count == 0)
			return bad_header(out, error, "invalid attachment count");
		if(count > SIO_MAX_ATTACHMENTS)
			return bad_header(out, error, "too many attachments");
		out->attachments = count;
		i++;
	}

	/* /<namespace>, up to a comma or the end. The search stops past the
	 * longest namespace: without a comma by then, it is too long anyway. */
	if(i < len && buf[i] == '/') {
		const char *comma = memchr(buf + i, ',', MIN(len - i, (gsize)SIO_MAX_NSP_LEN + 1));
		gsize end = comma != NULL ? (gsize)(comma - buf) : len;
		gsize nsp_len = end - i;
		if(nsp_len > SIO_MAX_NSP_LEN)
			return bad_header(out, error, "namespace too long");
		if(!namespace_valid(buf + i, nsp_len))
			return bad_header(out, error, "invalid namespace");
		out->nsp = g_strndup(buf + i, nsp_len);
		i = comma != NULL ? end + 1 : end;
	} else {
		out->nsp = g_strdup("/");
	}

	/* <ack id>: digits. */
	if(type_has_ack(out->type) && i < len && g_ascii_isdigit(buf[i])) {
		gsize start = i;
		guint64 id = 0;
		for(; i < len && g_ascii_isdigit(buf[i]); i++) {
			if(i - start == SIO_MAX_ACK_DIGITS)
				return bad_header(out, error, "invalid ack id");
			id = id * 10 + (guint64)(buf[i] - '0');     /* at most 16 digits: no overflow */
		}
		if(id > (guint64)SIO_MAX_ACK_ID)
			return bad_header(out, error, "invalid ack id");
		out->ack_id = (gint64)id;
	}

	/* <JSON>: the rest. */
	if(i < len) {
		if(memchr(buf + i, '\0', len - i) != NULL)
			return bad_payload(out, error, "invalid JSON payload");
		json_error_t json_error;
		out->data = json_loadb(buf + i, len - i, JSON_DECODE_ANY, &json_error);
		if(out->data == NULL)
			return bad_payload(out, error, "invalid JSON payload");
	}
	const char *problem = payload_problem(out->type, out->data);
	if(problem != NULL)
		return bad_payload(out, error, problem);
	return SIO_DECODE_OK;
}

void sio_packet_clear(sio_packet *packet) {
	if(packet == NULL)
		return;
	g_free(packet->nsp);
	json_decref(packet->data);
	memset(packet, 0, sizeof(*packet));
	packet->ack_id = SIO_NO_ACK;
}

/* No attachment count is written: the server never sends binary packets,
 * and the API has no count to write. A negative ack id other than
 * SIO_NO_ACK could never be decoded, so it is left out too. If Jansson
 * cannot dump data (a reference cycle, out of memory), it is left out. */
static int append_json(const char *buffer, size_t size, void *data) {
	g_string_append_len(data, buffer, (gssize)size);
	return 0;
}

char *sio_encode(sio_packet_type type, const char *nsp, gint64 ack_id, json_t *data) {
	GString *out = g_string_new(NULL);
	g_string_append_c(out, (char)('0' + type));
	/* Like the reference: "/" and "" both mean the main namespace. */
	if(nsp != NULL && nsp[0] != '\0' && strcmp(nsp, "/") != 0) {
		g_string_append(out, nsp);
		g_string_append_c(out, ',');
	}
	if(ack_id >= 0)
		g_string_append_printf(out, "%" G_GINT64_FORMAT, ack_id);
	/* Straight into the packet: no intermediate string. */
	if(data != NULL)
		json_dump_callback(data, append_json, out, JSON_COMPACT | JSON_ENCODE_ANY);
	return g_string_free(out, FALSE);
}

char *sio_encode_event(const char *event, json_t *payload) {
	g_return_val_if_fail(event != NULL, NULL);
	json_t *name = json_string(event);
	g_return_val_if_fail(name != NULL, NULL);      /* not UTF-8 */
	json_t *array = json_array();
	json_array_append_new(array, name);
	if(payload != NULL)
		json_array_append(array, payload);
	char *text = sio_encode(SIO_EVENT, NULL, SIO_NO_ACK, array);
	json_decref(array);
	return text;
}

char *sio_encode_ack(gint64 ack_id, json_t *payload) {
	json_t *array = json_array();
	if(payload != NULL)
		json_array_append(array, payload);
	char *text = sio_encode(SIO_ACK, NULL, ack_id, array);
	json_decref(array);
	return text;
}
