/*
 * The Socket.IO server on libwebsockets: one context, one service thread
 * that owns every connection (Engine.IO session + Socket.IO socket). Other
 * threads only post work to it. Engine.IO long-polling and WebSocket share
 * the configured port and path; other paths serve the demo folder.
 */
#ifndef SIO_SERVER_H
#define SIO_SERVER_H

#include <glib.h>
#include <jansson.h>

#include "transport_config.h"

typedef struct sio_server sio_server;
typedef struct sio_conn sio_conn;

/* How the server reaches the Janus core. A "peer" is the Janus side of one
 * connection (the transport session); the server treats it as opaque. */
typedef struct sio_server_hooks {
	/* Service thread: a connection starts; returns its peer. */
	void *(*peer_open)(sio_conn *conn);
	/* Service thread: a Janus API request from a connection (takes the
	 * reference); admin: an Admin API request, which the hook signs with the
	 * core's admin secret. */
	void (*peer_request)(void *peer, json_t *request, gboolean admin);
	/* Service thread: the connection is gone; the peer must let go of it and
	 * of its Janus session: session_id, or SIO_SESSION_UNKNOWN when one may be
	 * on its way (0: none). */
	void (*peer_close)(void *peer, guint64 session_id);
	/* Service thread: the live connection of a peer, or NULL if it is gone. */
	sio_conn *(*peer_conn)(void *peer);
	/* Any thread: drops a reference taken for sio_server_post_*. */
	void (*peer_unref)(void *peer);
} sio_server_hooks;

typedef struct sio_server_stats {
	gint polling, websocket, sessions;
	gint64 connections, rejected_handshakes;
	gint64 messages_in, messages_out, bytes_in, bytes_out;
	gint64 events_in, acks_out, events_out;
	gint64 refused_connections;     /* TCP connections and sessions over the limits */
	gint max_connections;
} sio_server_stats;

sio_server *sio_server_start(const sio_transport_config *config, const sio_server_hooks *hooks, char **error);
void sio_server_stop(sio_server *server);

/* Any thread. The server keeps the peer reference until it handled the item. */
void sio_server_post_message(sio_server *server, void *peer, json_t *message);
void sio_server_post_session_over(sio_server *server, void *peer, guint64 session_id, gboolean timeout);

void sio_server_get_stats(sio_server *server, sio_server_stats *stats);

#endif
