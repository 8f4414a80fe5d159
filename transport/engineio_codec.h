/*
 * Engine.IO protocol 4 packet codec (pure: no I/O, no Janus).
 * A packet is a type digit followed by its data. Over WebSocket each frame
 * holds one packet (a binary frame is a binary MESSAGE with no type digit);
 * over HTTP long-polling a payload holds packets separated by \x1e, a
 * binary MESSAGE written as 'b' followed by base64.
 */
#ifndef SIO_ENGINEIO_CODEC_H
#define SIO_ENGINEIO_CODEC_H

#include <glib.h>

#define EIO_RECORD_SEPARATOR '\x1e'

typedef enum eio_packet_type {
	EIO_OPEN = 0,
	EIO_CLOSE = 1,
	EIO_PING = 2,
	EIO_PONG = 3,
	EIO_MESSAGE = 4,
	EIO_UPGRADE = 5,
	EIO_NOOP = 6,
} eio_packet_type;

typedef struct eio_packet {
	eio_packet_type type;
	gboolean binary;        /* a binary MESSAGE */
	GBytes *data;           /* after the type digit (base64-decoded when binary); never NULL, may be empty */
} eio_packet;

#define EIO_CODEC_ERROR (eio_codec_error_quark())
GQuark eio_codec_error_quark(void);
typedef enum eio_codec_error {
	EIO_CODEC_ERROR_EMPTY,          /* a packet with no type */
	EIO_CODEC_ERROR_TYPE,           /* unknown packet type */
	EIO_CODEC_ERROR_BASE64,         /* invalid base64 in a 'b' packet */
	EIO_CODEC_ERROR_TOO_MANY,       /* more packets than allowed in one payload */
	EIO_CODEC_ERROR_UTF8,           /* text that is not valid UTF-8 */
} eio_codec_error;

eio_packet *eio_packet_new(eio_packet_type type, gboolean binary, const void *data, gsize len);
void eio_packet_free(eio_packet *packet);
/* The packet's data as a NUL-terminated string view (binary data may hold NULs). */
const char *eio_packet_text(const eio_packet *packet, gsize *len);

/* One WebSocket frame. Text frames must be valid UTF-8. */
eio_packet *eio_decode_frame(const guint8 *buf, gsize len, gboolean binary_frame, GError **error);

/* An HTTP long-polling body (UTF-8 text). Returns a GPtrArray of eio_packet *
 * that frees its elements, or NULL with error set if any packet is invalid
 * or there are more than max_packets. */
GPtrArray *eio_decode_payload(const char *buf, gsize len, guint max_packets, GError **error);

/* Appends one packet as a WebSocket frame's content; *binary_frame tells
 * the frame type to send. */
void eio_encode_frame(const eio_packet *packet, GByteArray *out, gboolean *binary_frame);

/* Appends one packet to a long-polling payload, with a \x1e separator
 * when payload is not empty. */
void eio_encode_payload_append(GString *payload, const eio_packet *packet);

#endif
