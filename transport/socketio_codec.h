/*
 * Socket.IO protocol 5 packet codec (pure: no I/O, no Janus).
 * Text form: <type>[<attachments>-][<namespace>,][<ack id>][<JSON>], e.g.
 * 0, 0{"token":"x"}, 2["register","42"], 21["start-call",{...}], 31[{...}],
 * 0/admin,, 4{"message":"..."}, 51-["x",{"_placeholder":true,"num":0}].
 */
#ifndef SIO_SOCKETIO_CODEC_H
#define SIO_SOCKETIO_CODEC_H

#include <glib.h>
#include <jansson.h>

typedef enum sio_packet_type {
	SIO_CONNECT = 0,
	SIO_DISCONNECT = 1,
	SIO_EVENT = 2,
	SIO_ACK = 3,
	SIO_CONNECT_ERROR = 4,
	SIO_BINARY_EVENT = 5,
	SIO_BINARY_ACK = 6,
} sio_packet_type;

#define SIO_NO_ACK ((gint64)-1)
/* Largest ack id accepted: JavaScript's Number.MAX_SAFE_INTEGER. */
#define SIO_MAX_ACK_ID ((gint64)9007199254740991LL)
#define SIO_MAX_NSP_LEN 256
#define SIO_MAX_ATTACHMENTS 16

typedef struct sio_packet {
	sio_packet_type type;
	char *nsp;              /* "/" when the packet names none */
	gint64 ack_id;          /* SIO_NO_ACK when absent */
	guint attachments;      /* BINARY_* only */
	json_t *data;           /* NULL when absent */
} sio_packet;

typedef enum sio_decode_status {
	SIO_DECODE_OK,
	/* type, namespace, attachment count or ack id unreadable: nothing in *out is usable */
	SIO_DECODE_BAD_HEADER,
	/* header fine (type, nsp, ack_id, attachments filled in) but the JSON is
	 * missing, malformed, or not the shape this type needs: lets the caller
	 * answer an ack with an error */
	SIO_DECODE_BAD_PAYLOAD,
} sio_decode_status;

/* Decodes one packet. *out must be zeroed or cleared; clear it with
 * sio_packet_clear whatever the status. *error gets a static message. */
sio_decode_status sio_decode(const char *buf, gsize len, sio_packet *out, const char **error);
void sio_packet_clear(sio_packet *packet);

/* Encoders return a newly allocated string (g_free). data may be NULL. */
char *sio_encode(sio_packet_type type, const char *nsp, gint64 ack_id, json_t *data);
/* 2["event",payload] (payload NULL → 2["event"]) */
char *sio_encode_event(const char *event, json_t *payload);
/* 3<id>[payload] */
char *sio_encode_ack(gint64 ack_id, json_t *payload);

#endif
