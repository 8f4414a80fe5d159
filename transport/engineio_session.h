/*
 * One Engine.IO v4 session as a state machine (pure: the caller supplies
 * the clock and does the I/O). It owns the session id, the packets waiting
 * to be written, the heartbeat (server ping, client pong) and the upgrade
 * from long-polling to WebSocket.
 */
#ifndef SIO_ENGINEIO_SESSION_H
#define SIO_ENGINEIO_SESSION_H

#include <glib.h>

#include "engineio_codec.h"

#define EIO_SID_LEN 20
/* A client that sent "2probe" must finish the upgrade within this time. */
#define EIO_UPGRADE_TIMEOUT_US (10 * G_USEC_PER_SEC)
/* Meanwhile a GET is released with a noop this often, as the reference
 * server does: a client that read the first noop before "3probe" polls
 * again, and finishes the upgrade only once that GET comes back. */
#define EIO_UPGRADE_NOOP_US (G_USEC_PER_SEC / 10)

typedef enum eio_transport {
	EIO_TRANSPORT_POLLING,
	EIO_TRANSPORT_WEBSOCKET,
} eio_transport;

typedef struct eio_session_config {
	gint64 ping_interval_us;
	gint64 ping_timeout_us;
	gsize max_payload;          /* announced to the client; also caps one polling response */
	gsize max_queued_bytes;     /* unsent output beyond this closes the session */
} eio_session_config;

typedef struct eio_session {
	char sid[EIO_SID_LEN + 1];
	eio_transport transport;
	const eio_session_config *config;
	GQueue outbox;              /* eio_packet *, oldest first */
	gsize outbox_bytes;
	gboolean probing;           /* a WebSocket sent "2probe" and awaits "5" */
	gint64 probe_deadline;
	gboolean noop_due;          /* the polling side must be released with a noop */
	gint64 next_noop;           /* while probing: when noop_due is set again */
	gint64 next_ping;
	gint64 pong_deadline;       /* 0 while no ping is outstanding */
	gboolean pong_refreshed;    /* the deadline was pushed back once already */
	gboolean closed;
} eio_session;

/* Where a packet came from. */
typedef enum eio_via {
	EIO_VIA_POLLING,
	EIO_VIA_WEBSOCKET,
} eio_via;

typedef enum eio_input {
	EIO_INPUT_NONE,             /* handled inside (pong, noop) */
	EIO_INPUT_MESSAGE,          /* hand the packet to the Socket.IO layer */
	EIO_INPUT_PROBE,            /* answer "3probe" on that WebSocket */
	EIO_INPUT_UPGRADED,         /* now on WebSocket: release any pending GET, flush there */
	EIO_INPUT_DROP_TRANSPORT,   /* a probing WebSocket misbehaved: drop it, the session goes on */
	EIO_INPUT_CLOSE,            /* the client closed the session */
	EIO_INPUT_ERROR,            /* protocol violation: close the session */
} eio_input;

typedef enum eio_tick {
	EIO_TICK_NONE,
	EIO_TICK_OUTPUT,            /* a ping or a noop was queued: flush */
	EIO_TICK_TIMEOUT,           /* no pong in time: close the session */
	EIO_TICK_UPGRADE_EXPIRED,   /* drop the probing WebSocket, stay on polling */
} eio_tick;

/* EIO_SID_LEN random base64url characters: unguessable ids. */
void eio_random_id(char id[EIO_SID_LEN + 1]);

/* A new session with a random sid and the OPEN packet already queued. */
eio_session *eio_session_new(eio_transport transport, const eio_session_config *config, gint64 now);
void eio_session_free(eio_session *session);

/* The OPEN packet's JSON for this session (g_free). */
char *eio_session_handshake(const eio_session *session);

/* Queues a packet (takes it). FALSE when the session is closed or its
 * unsent output went over max_queued_bytes: the caller closes it. */
gboolean eio_session_send(eio_session *session, eio_packet *packet);
gboolean eio_session_send_message(eio_session *session, const char *text);

/* Whether a polling GET would get an answer now. */
gboolean eio_session_has_output(const eio_session *session);

/* Everything a long-polling GET should return now, at most max_payload
 * bytes (at least one packet); NULL when there is nothing. */
GString *eio_session_take_payload(eio_session *session);

/* The next packet to write on the WebSocket, or NULL. */
eio_packet *eio_session_take_packet(eio_session *session);

/* Feeds one received packet (the session keeps no reference to it). */
eio_input eio_session_receive(eio_session *session, const eio_packet *packet, eio_via via, gint64 now);

/* Runs the timers. */
eio_tick eio_session_tick(eio_session *session, gint64 now);

/* The earliest time eio_session_tick has something to do. */
gint64 eio_session_next_deadline(const eio_session *session);

/* Marks the session closed: nothing more is queued. */
void eio_session_close(eio_session *session);

#endif
