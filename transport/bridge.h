/*
 * The map between Socket.IO events and Janus API messages (pure).
 * An event E with payload P becomes a plugin message whose body is
 * { "request": E, ...P }; a payload that is not an object goes under the
 * route's scalar field ("userId" for register, "value" otherwise); a
 * "jsep" member travels as the message's jsep. ice-candidate becomes a
 * Janus trickle. Replies become the ack's single argument; plugin events
 * { "event": E, ... } become Socket.IO events E.
 */
#ifndef SIO_BRIDGE_H
#define SIO_BRIDGE_H

#include <glib.h>
#include <jansson.h>

/* Longer than any real candidate line (IPv6, relay, extensions). */
#define SIO_MAX_CANDIDATE_LEN 512

typedef enum sio_route_kind {
	SIO_ROUTE_MESSAGE,      /* Janus "message" to the plugin */
	SIO_ROUTE_TRICKLE,      /* Janus "trickle" */
} sio_route_kind;

typedef struct sio_route {
	const char *event;
	sio_route_kind kind;
	const char *scalar_field;   /* where a non-object payload goes */
	gboolean janus_ids;         /* tell the plugin the Janus session and handle ids (janusSessionId, janusHandleId) */
	gboolean connect_token;     /* the connection's CONNECT token goes along as "token" */
	gboolean jsep_gate;         /* a jsep goes to the core only once the plugin said yes (see below) */
} sio_route;

/* What a connection established at CONNECT. */
typedef struct sio_connection_auth {
	const char *user;           /* the user id the transport's token check proved, or NULL */
	const char *token;          /* the token of the CONNECT auth payload, or NULL */
} sio_connection_auth;

/* The plugin request the transport asks the plugin's figures with; no client event becomes it. */
#define SIO_BRIDGE_METRICS_REQUEST "metrics"

/* The route for an event (a default route for events not in the table). */
const sio_route *sio_bridge_route(const char *event);

/* A Janus API request without body: create, attach, keepalive, destroy...
 * Zero ids are left out. */
json_t *sio_bridge_janus(const char *verb, guint64 session_id, guint64 handle_id, const char *transaction);

/* The Janus request for an event; NULL with *error set when the payload
 * can't be mapped (the caller acks the error). Does not take payload.
 * auth->user goes as the body's "authUserId" (a client's own never goes
 * through); auth->token, on routes that carry it, as "token" (the plugin
 * checks it itself when its own auth is on). */
json_t *sio_bridge_request(const sio_route *route, const char *event, json_t *payload,
	guint64 session_id, guint64 handle_id, const char *transaction, const sio_connection_auth *auth, const char **error);

/* A jsep gate: the core applies a message's jsep to the handle before the
 * plugin sees the message, so for gated routes (start-call, accept-call)
 * sio_bridge_request first asks the plugin without it: the jsep goes in the
 * body as "jsepGate" instead. The plugin either answers (a refusal, or a
 * repeated request's answer: the ack, and the jsep never reaches the core)
 * or says { "jsepGate": { "callId" } }: the real request follows, built by
 * sio_bridge_gated with that callId. A client's own "jsepGate" never goes through. */
/* The callId of a plugin answer that lets a gated request through, else NULL. */
const char *sio_bridge_gate_proceed(json_t *ack);
/* The real request after a gate (a new reference; the gate request is left as it is). */
json_t *sio_bridge_gated(json_t *gate_request, const char *call_id, const char *transaction);

typedef enum sio_reply {
	SIO_REPLY_WAIT,         /* Janus acked; the plugin answers later with the same transaction */
	SIO_REPLY_DONE,         /* *ack holds the ack payload (new reference) */
} sio_reply;

/* Transactions of plugin messages whose answer comes later under the same
 * transaction start with this: the core's interim "ack" to them means
 * nothing to the socket. */
#define SIO_BRIDGE_ANSWER_FOLLOWS "sio-a"

/* TRUE for such an interim ack, which Janus's threads can drop instead of
 * waking the service thread for it (one wake-up less per event). */
gboolean sio_bridge_interim_ack(json_t *janus_message);

/* Interprets Janus's answer to a request that took the given route. */
sio_reply sio_bridge_reply(json_t *janus_message, sio_route_kind kind, json_t **ack);

/* For a Janus message that answers no request: the Socket.IO event name to
 * emit (g_free) and its payload (new reference), or NULL to emit nothing. */
char *sio_bridge_event(json_t *janus_message, json_t **payload);

/* The ice-candidate payload for one of the gateway's trickled candidates
 * (a Janus trickle's "candidate": { candidate, sdpMid, sdpMLineIndex } or
 * { completed: true }): { callId, transportId?, candidate }, candidate null
 * for completed. NULL for anything else or without a call_id. */
json_t *sio_bridge_gateway_candidate(json_t *candidate, const char *call_id, const char *transport_id);

/* A plugin event that is an instruction for the transport rather than for
 * the client: plugindata.data.sio (borrowed), else NULL. The plugin uses
 * them to have transport handles attached and their SDPs carried (only a
 * transport can attach handles or give the core a remote description):
 *   { "attach": { "transportId", "nonce", "callId" } }  attach a handle, then send it
 *       { "request": "bind-transport", "transportId", "nonce" }
 *   { "local-sdp": true } with a jsep: send back { "request": "local-sdp", "sdp",
 *       "candidates"? } (the core's trickled "candidate:..." lines, full-trickle)
 *   { "remote-sdp": { "type", "sdp" } }: send { "request": "remote-sdp-applied" } with that jsep
 *   { "keep": true }: a lingering session stays until the plugin ends its handle
 *       (the plugin may also answer "disconnect" with it)
 *   { "close": reason }: the client must go (its user registered on another
 *       socket): it gets DISCONNECT, hears nothing more, and its requests
 *       are refused; once it closes its connection, the session lingers or
 *       ends as for any client gone */
json_t *sio_bridge_instruction(json_t *janus_message);

/* Socket.IO's own event names, which a server must never emit. */
gboolean sio_bridge_event_reserved(const char *event);

#endif
