/*
 * One Socket.IO connection on the default namespace, bridged to one Janus
 * session with a handle on the configured plugin (pure: Janus requests and
 * packets to the client go out through the ops the caller provides).
 *
 * CONNECT creates the Janus session and attaches the handle, then answers
 * { sid }; each EVENT becomes a Janus request whose reply answers its ack;
 * Janus events become Socket.IO events.
 *
 * The session never times out in the core (set_session_timeout 0, sent
 * beside the attach so that the client's CONNECT answer doesn't wait for
 * it): the socket's lifetime decides, and its owner destroys the session
 * when the socket is gone (sio_socket_janus_session). A core that refuses
 * (one without the request, or a wrong admin secret) gets a keepalive every
 * SIO_KEEPALIVE_US instead.
 *
 * With full-trickle the core sends its own candidates apart from its SDPs:
 * they go to the client as ice-candidate { callId, candidate } (plus
 * transportId for a transport handle; candidate null once all are out),
 * never before the client has the callId: a caller's wait for start-call's
 * ack, a callee's for incoming-call. A transport handle's first offer waits for all of its
 * candidates, which go to the plugin with it for the transport parameters.
 *
 * When the client goes away, the plugin is asked with a "disconnect"
 * request (a name no client can emit: Socket.IO reserves it) whether the
 * session must outlive the connection: a reply { "linger": seconds } keeps
 * it (media of a call in its reconnect grace lives on its handles) until
 * the plugin detaches the handle or the time is up; any other reply ends it.
 */
#ifndef SIO_SOCKETIO_SOCKET_H
#define SIO_SOCKETIO_SOCKET_H

#include <glib.h>
#include <jansson.h>

#include "bridge.h"

/* Calls a socket remembers it was refused: their candidates never reach its handle. */
#define SIO_MAX_REFUSED_CALLS 8

/* Requests in flight per socket; more are refused at once with an error ack. */
#define SIO_MAX_IN_FLIGHT 256
/* Events held while the Janus session is being set up. */
#define SIO_MAX_EARLY_EVENTS 64
/* Janus sessions expire without traffic (session_timeout, 60 s by default):
 * a socket turns that off for its session (set_session_timeout 0), and sends
 * a keepalive this often only where the core would not. */
#define SIO_KEEPALIVE_US (15 * G_USEC_PER_SEC)
/* The longest a plugin may keep a session after its connection is gone. */
#define SIO_MAX_LINGER_S 3600
/* An event whose answer doesn't come within this gets an error ack (and frees its slot). */
#define SIO_REQUEST_TIMEOUT_US (30 * G_USEC_PER_SEC)
/* The gateway's candidates kept per handle (full-trickle). */
#define SIO_MAX_GATEWAY_CANDIDATES 64
/* How long to wait for the plugin's answer to "disconnect". */
#define SIO_DISCONNECT_REPLY_US (5 * G_USEC_PER_SEC)

typedef struct sio_socket_ops {
	/* A Socket.IO packet for the client (takes the string). */
	void (*send)(void *owner, char *packet);
	/* A Janus API request for the core (takes the reference). */
	void (*janus)(void *owner, json_t *request);
	/* An Admin API request for the core (takes the reference; the owner adds
	 * the admin secret): set_session_timeout, which is Admin API only. */
	void (*admin)(void *owner, json_t *request);
	/* The connection must end; tell_client: say DISCONNECT first. When
	 * lingering, this means the Janus session is done with. */
	void (*close)(void *owner, gboolean tell_client, const char *reason);
	/* A CONNECT refused for its token (counted as a rejected handshake). */
	void (*refused)(void *owner);
	/* An ack went out for an event (NULL if its name couldn't be read), with
	 * its { error } or NULL; for the metrics. Optional. */
	void (*acked)(void *owner, const char *event, const char *error);
	/* The core would not turn the session's timeout off (reason: its error,
	 * or NULL): keepalives keep the session instead. Optional. */
	void (*keepalives)(void *owner, const char *reason);
} sio_socket_ops;

/* A socket may send a burst of this many seconds' worth of events at once. */
#define SIO_EVENT_BURST_SECONDS 3
/* A socket whose events are refused this many times within
 * SIO_EVENT_FLOOD_WINDOW_US is closed: it is flooding, not just fast. */
#define SIO_EVENT_FLOOD_CLOSE 1000
#define SIO_EVENT_FLOOD_WINDOW_US (10 * G_USEC_PER_SEC)

typedef enum sio_socket_state {
	SIO_SOCKET_NEW,             /* waiting for CONNECT */
	SIO_SOCKET_CONNECTING,      /* creating the Janus session and handle */
	SIO_SOCKET_CONNECTED,
	SIO_SOCKET_LINGERING,       /* client gone, Janus session kept for the plugin */
	SIO_SOCKET_CLOSED,
} sio_socket_state;

typedef struct sio_socket {
	const sio_socket_ops *ops;
	void *owner;
	const char *plugin;         /* package of the plugin to attach to */
	const char *auth_secret;    /* NULL: no token needed */
	char *auth_user;            /* the user id a valid token proved */
	char sid[24];
	sio_socket_state state;
	guint64 session_id;
	guint64 handle_id;
	json_t *auth;               /* the CONNECT payload, if any */
	GHashTable *pending;        /* transaction → sio_pending * */
	guint64 next_transaction;
	GQueue early_events;        /* sio_packet * received while CONNECTING */
	guint skip_attachments;     /* binary parts of a refused binary event */
	gboolean timeout_off;       /* the core never times the session out: its end is ours, no keepalives */
	gint64 last_keepalive;      /* until then, or if the core refused */
	gint64 linger_deadline;
	gint64 connect_deadline;    /* a NEW socket is closed then (socket.io's connectTimeout); 0 = never */
	guint event_rate;           /* events a second it may send on average (0: no limit) */
	double event_tokens;        /* the token bucket: up to SIO_EVENT_BURST_SECONDS of events */
	gint64 event_refill;        /* when the bucket was last filled; 0 = never (full) */
	guint events_refused;       /* refused in the window since refused_since: past SIO_EVENT_FLOOD_CLOSE, closed */
	gint64 refused_since;
	GHashTable *transports;     /* transportId → sio_transport_link *: the plugin's transport handles */
	char *call_id;              /* the call of the client's PeerConnection, for the gateway's candidates */
	GQueue early_candidates;    /* json_t *: the gateway's candidates from before the client knew their call */
	GQueue refused_calls;       /* char *: calls the plugin refused a start-call or accept-call for, the latest SIO_MAX_REFUSED_CALLS */
	GQueue held_trickles;       /* sio_held_trickle *: the client's candidates waiting for a gated offer or answer's outcome */
	gboolean released;          /* the plugin sent the client away (DISCONNECT): nothing more in or out */
} sio_socket;

/* auth_secret: when not NULL, CONNECT must carry { token } signed with it
 * (see auth_token.h), and the proven user id goes with every request as
 * "authUserId" for the plugin to hold register to. Either way, a CONNECT
 * token goes with register as "token", for a plugin that checks it itself. */
sio_socket *sio_socket_new(const sio_socket_ops *ops, void *owner, const char *plugin, const char *auth_secret);
/* Frees without calling any op. */
void sio_socket_free(sio_socket *socket);

/* A text Engine.IO message from the client. */
void sio_socket_receive(sio_socket *socket, const char *text, gsize len);
/* A binary Engine.IO message from the client. */
void sio_socket_receive_binary(sio_socket *socket);

/* A Janus message for this socket's session. Takes no reference. */
void sio_socket_janus_message(sio_socket *socket, json_t *message);

/* Janus ended a session (timeout: the client may reconnect; otherwise it
 * was destroyed on purpose and the client is told so). Ignored unless it
 * is this socket's current session. */
void sio_socket_session_over(sio_socket *socket, guint64 session_id, gboolean timeout);

/* Keepalives for the Janus session (unless its timeout is off); events
 * the plugin did not answer in time; the end of lingering; a client that
 * never sent CONNECT by connect_deadline is closed. FALSE: the socket was
 * closed (ops->close), its owner may be gone. */
gboolean sio_socket_tick(sio_socket *socket, gint64 now);

/* When sio_socket_tick next has something to do (G_MAXINT64: nothing), for
 * the owner's timers: ticking every socket on a clock costs in proportion
 * to the idle ones. */
gint64 sio_socket_next_deadline(sio_socket *socket);

/* The client is gone. TRUE: the socket asked the plugin whether to linger
 * and now waits (ops->close ends it); FALSE: it is closed, the Janus
 * session can go. */
gboolean sio_socket_client_gone(sio_socket *socket, gint64 now);

/* The Janus session to end with the socket: its id, 0 when it has none,
 * SIO_SESSION_UNKNOWN while one is being created. */
#define SIO_SESSION_UNKNOWN G_MAXUINT64
guint64 sio_socket_janus_session(const sio_socket *socket);

/* Nothing more goes in or out. Idempotent. */
void sio_socket_closed(sio_socket *socket);

#endif
