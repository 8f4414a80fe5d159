#include "socketio_socket.h"

#include <string.h>

#include "../common/auth_token.h"
#include "engineio_session.h"
#include "socketio_codec.h"

typedef enum pending_kind {
	PENDING_CREATE,
	PENDING_ATTACH,
	PENDING_ATTACH_TRANSPORT,   /* a handle the plugin asked for */
	PENDING_DISCONNECT,
	PENDING_SESSION_TIMEOUT,    /* set_session_timeout 0, an Admin API request */
	PENDING_INTERNAL,           /* keepalive: nobody waits for it */
	PENDING_EVENT,
} pending_kind;

typedef struct sio_pending {
	pending_kind kind;
	sio_route_kind route;
	gint64 ack_id;              /* SIO_NO_ACK when the client asked for none */
	gint64 deadline;            /* PENDING_EVENT: when the client gets "did not answer in time" */
	char *transport_id, *nonce, *call_id;  /* PENDING_ATTACH_TRANSPORT */
	gboolean starts_call;       /* PENDING_EVENT: start-call, whose ack tells the client its callId */
	char *event;                /* PENDING_EVENT: its name, for the ack counts */
	json_t *gated;              /* PENDING_EVENT: a gate's request, whose jsep waits for the plugin's yes */
	char *gated_call;           /* PENDING_EVENT: the call of a request a gate let through */
	guint64 session_id;         /* PENDING_SESSION_TIMEOUT: the session it is for */
} sio_pending;

static void pending_free(sio_pending *pending) {
	json_decref(pending->gated);
	g_free(pending->gated_call);
	g_free(pending->transport_id);
	g_free(pending->nonce);
	g_free(pending->call_id);
	g_free(pending->event);
	g_free(pending);
}

/* A handle the plugin had attached for a transport of a mediasoup-style client. */
typedef struct sio_transport_link {
	guint64 handle;
	char *call_id;
	GPtrArray *candidates;      /* char *: the core's trickled candidates, for the transport parameters */
	gboolean gathered;          /* the core said it has no more */
	char *held_sdp;             /* the core's first offer, waiting for gathered */
} sio_transport_link;

static void link_free(sio_transport_link *link) {
	g_free(link->call_id);
	g_ptr_array_unref(link->candidates);
	g_free(link->held_sdp);
	g_free(link);
}

/* The link of a transport handle and its transportId; NULL if none. */
static sio_transport_link *link_of_handle(sio_socket *socket, guint64 handle, const char **transport_id) {
	GHashTableIter iter;
	gpointer key, value;
	g_hash_table_iter_init(&iter, socket->transports);
	while(handle != 0 && g_hash_table_iter_next(&iter, &key, &value)) {
		if(((sio_transport_link *)value)->handle == handle) {
			*transport_id = key;
			return value;
		}
	}
	return NULL;
}

/* A client candidate that waits for the outcome of a gated offer or answer. */
typedef struct sio_held_trickle {
	gint64 ack_id;
	json_t *payload;
} sio_held_trickle;

static void held_trickle_free(sio_held_trickle *held) {
	json_decref(held->payload);
	g_free(held);
}

sio_socket *sio_socket_new(const sio_socket_ops *ops, void *owner, const char *plugin, const char *auth_secret) {
	sio_socket *socket = g_new0(sio_socket, 1);
	socket->ops = ops;
	socket->owner = owner;
	socket->plugin = plugin;
	socket->auth_secret = auth_secret;
	eio_random_id(socket->sid);
	socket->pending = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, (GDestroyNotify)pending_free);
	socket->transports = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, (GDestroyNotify)link_free);
	g_queue_init(&socket->early_events);
	g_queue_init(&socket->early_candidates);
	g_queue_init(&socket->refused_calls);
	g_queue_init(&socket->held_trickles);
	return socket;
}

static void early_event_free(gpointer data) {
	sio_packet_clear(data);
	g_free(data);
}

void sio_socket_free(sio_socket *socket) {
	if(socket == NULL)
		return;
	g_hash_table_destroy(socket->pending);
	g_hash_table_destroy(socket->transports);
	g_queue_clear_full(&socket->early_events, early_event_free);
	g_queue_clear_full(&socket->early_candidates, (GDestroyNotify)json_decref);
	g_queue_clear_full(&socket->refused_calls, g_free);
	g_queue_clear_full(&socket->held_trickles, (GDestroyNotify)held_trickle_free);
	g_free(socket->call_id);
	json_decref(socket->auth);
	g_free(socket->auth_user);
	g_free(socket);
}

/* Sends a Janus request tracked under a fresh transaction. */
static sio_pending *submit(sio_socket *socket, json_t *request, pending_kind kind, sio_route_kind route, gint64 ack_id) {
	sio_pending *pending = g_new0(sio_pending, 1);
	pending->kind = kind;
	pending->route = route;
	pending->ack_id = ack_id;
	if(kind == PENDING_EVENT)
		pending->deadline = g_get_monotonic_time() + SIO_REQUEST_TIMEOUT_US;
	g_hash_table_insert(socket->pending,
		g_strdup(json_string_value(json_object_get(request, "transaction"))), pending);
	if(kind == PENDING_SESSION_TIMEOUT)
		socket->ops->admin(socket->owner, request);
	else
		socket->ops->janus(socket->owner, request);
	return pending;
}

/* Everything for the client goes through here: nothing once it is gone. */
static void send_packet(sio_socket *socket, char *packet) {
	if(socket->state == SIO_SOCKET_LINGERING || socket->state == SIO_SOCKET_CLOSED || socket->released) {
		g_free(packet);
		return;
	}
	socket->ops->send(socket->owner, packet);
}

/* answer_follows: a plugin message whose interim ack can be dropped early
 * (see SIO_BRIDGE_ANSWER_FOLLOWS). */
static char *transaction_for(sio_socket *socket, gboolean answer_follows) {
	return g_strdup_printf("%s-%" G_GUINT64_FORMAT, answer_follows ? SIO_BRIDGE_ANSWER_FOLLOWS : "sio",
		++socket->next_transaction);
}

static char *new_transaction(sio_socket *socket) {
	return transaction_for(socket, FALSE);
}

/* event: the name the client gave it, NULL if none could be read. */
static void send_ack(sio_socket *socket, gint64 ack_id, const char *event, json_t *payload) {
	if(ack_id == SIO_NO_ACK)
		return;
	if(socket->ops->acked != NULL)
		socket->ops->acked(socket->owner, event, json_string_value(json_object_get(payload, "error")));
	send_packet(socket, sio_encode_ack(ack_id, payload));
}

static void ack_error(sio_socket *socket, gint64 ack_id, const char *event, const char *message) {
	json_t *payload = json_pack("{ss}", "error", message);
	send_ack(socket, ack_id, event, payload);
	json_decref(payload);
}

static void connect_error(sio_socket *socket, const char *nsp, const char *message) {
	json_t *payload = json_pack("{ss}", "message", message);
	send_packet(socket, sio_encode(SIO_CONNECT_ERROR, nsp, SIO_NO_ACK, payload));
	json_decref(payload);
}

/* The socket's token bucket: whether one more event may go on now. */
static gboolean event_allowed(sio_socket *socket, gint64 now) {
	if(socket->event_rate == 0)
		return TRUE;
	double burst = (double)socket->event_rate * SIO_EVENT_BURST_SECONDS;
	double earned = socket->event_refill == 0 ? burst :
		(double)(now - socket->event_refill) * socket->event_rate / G_USEC_PER_SEC;
	socket->event_tokens = MIN(burst, socket->event_tokens + earned);
	socket->event_refill = now;
	if(socket->event_tokens >= 1) {
		socket->event_tokens -= 1;
		return TRUE;
	}
	if(now - socket->refused_since > SIO_EVENT_FLOOD_WINDOW_US) {
		socket->refused_since = now;
		socket->events_refused = 0;
	}
	socket->events_refused++;
	return FALSE;
}

/* An event packet's name, NULL if it has none. */
static const char *event_name(sio_packet *packet) {
	return json_string_value(json_array_get(packet->data, 0));
}

/* An event as a Janus request to a handle of the socket's session, answering ack_id. */
static void forward_event(sio_socket *socket, const sio_route *route, const char *event, json_t *payload,
		guint64 handle_id, gint64 ack_id) {
	char *transaction = transaction_for(socket, route->kind == SIO_ROUTE_MESSAGE);
	const char *error = NULL;
	const sio_connection_auth auth = { socket->auth_user, json_string_value(json_object_get(socket->auth, "token")) };
	json_t *request = sio_bridge_request(route, event, payload, socket->session_id, handle_id,
		transaction, &auth, &error);
	g_free(transaction);
	if(request == NULL) {
		ack_error(socket, ack_id, event, error);
		return;
	}
	json_t *gated = json_object_get(json_object_get(request, "body"), "jsepGate") ? json_deep_copy(request) : NULL;
	sio_pending *pending = submit(socket, request, PENDING_EVENT, route->kind, ack_id);
	pending->starts_call = strcmp(event, "start-call") == 0;
	pending->event = g_strdup(event);
	pending->gated = gated;
}

#define REFUSED_CALL_CANDIDATE "That call was refused: its candidates go nowhere"

/* Whether a start-call's or accept-call's jsep waits for the plugin's yes, or for the core. */
static gboolean gate_in_flight(sio_socket *socket) {
	GHashTableIter iter;
	gpointer value;
	g_hash_table_iter_init(&iter, socket->pending);
	while(g_hash_table_iter_next(&iter, NULL, &value)) {
		sio_pending *pending = value;
		if(pending->kind == PENDING_EVENT && (pending->gated != NULL || pending->gated_call != NULL))
			return TRUE;
	}
	return FALSE;
}

static GList *refused_link(sio_socket *socket, const char *call_id) {
	return g_queue_find_custom(&socket->refused_calls, call_id, (GCompareFunc)strcmp);
}

static gboolean call_refused(sio_socket *socket, const char *call_id) {
	return call_id != NULL && refused_link(socket, call_id) != NULL;
}

/* A gated start-call or accept-call is answered: a call it was refused for
 * (not the one this socket's PeerConnection has) takes no candidates from now on. */
static void gate_outcome(sio_socket *socket, sio_pending *pending, json_t *ack) {
	if(pending->gated == NULL && pending->gated_call == NULL)
		return;
	const char *call_id = json_string_value(json_object_get(ack, "callId"));
	if(call_id == NULL)
		call_id = pending->gated_call;
	if(call_id == NULL)
		call_id = json_string_value(json_object_get(json_object_get(pending->gated, "body"), "callId"));
	GList *link = call_id != NULL ? refused_link(socket, call_id) : NULL;
	if(link != NULL) {
		g_free(link->data);
		g_queue_delete_link(&socket->refused_calls, link);
	}
	if(call_id == NULL || json_object_get(ack, "error") == NULL || g_strcmp0(call_id, socket->call_id) == 0)
		return;
	g_queue_push_tail(&socket->refused_calls, g_strdup(call_id));
	if(g_queue_get_length(&socket->refused_calls) > SIO_MAX_REFUSED_CALLS)
		g_free(g_queue_pop_head(&socket->refused_calls));
}

/* No gate in flight any more: the candidates that waited go on, or are refused with their call. */
static void release_held(sio_socket *socket) {
	if(g_queue_is_empty(&socket->held_trickles) || gate_in_flight(socket))
		return;
	sio_held_trickle *held;
	while((held = g_queue_pop_head(&socket->held_trickles)) != NULL) {
		if(call_refused(socket, json_string_value(json_object_get(held->payload, "callId"))))
			ack_error(socket, held->ack_id, "ice-candidate", REFUSED_CALL_CANDIDATE);
		else
			forward_event(socket, sio_bridge_route("ice-candidate"), "ice-candidate", held->payload, socket->handle_id,
				held->ack_id);
		held_trickle_free(held);
	}
}

static void handle_event(sio_socket *socket, sio_packet *packet) {
	const char *event = event_name(packet);
	if(!event_allowed(socket, g_get_monotonic_time())) {
		/* Acked or not, a flood costs the plugin nothing; one that goes on ends the socket. */
		if(socket->events_refused >= SIO_EVENT_FLOOD_CLOSE) {
			socket->ops->close(socket->owner, TRUE, "event flood");
			return;
		}
		ack_error(socket, packet->ack_id, event, "Too many requests: slow down");
		return;
	}
	if(g_hash_table_size(socket->pending) >= SIO_MAX_IN_FLIGHT) {
		ack_error(socket, packet->ack_id, event, "Too many requests in flight");
		return;
	}
	/* One argument is the protocol's shape; further ones are ignored. */
	json_t *payload = json_array_get(packet->data, 1);
	const sio_route *route = sio_bridge_route(event);
	guint64 handle_id = socket->handle_id;
	if(route->kind == SIO_ROUTE_TRICKLE && json_object_get(payload, "transportId") != NULL) {
		/* A candidate for one of the transports the plugin had attached. */
		const char *id = json_string_value(json_object_get(payload, "transportId"));
		sio_transport_link *link = id ? g_hash_table_lookup(socket->transports, id) : NULL;
		if(link == NULL) {
			ack_error(socket, packet->ack_id, event, "Unknown transportId");
			return;
		}
		handle_id = link->handle;
	}
	const char *call_id = json_string_value(json_object_get(payload, "callId"));
	if(route->kind == SIO_ROUTE_TRICKLE && handle_id == socket->handle_id && call_id != NULL) {
		/* A candidate of a PeerConnection whose offer or answer may yet be refused waits to know. */
		if(gate_in_flight(socket)) {
			if(g_queue_get_length(&socket->held_trickles) >= SIO_MAX_GATEWAY_CANDIDATES) {
				ack_error(socket, packet->ack_id, event, "Too many requests in flight");
				return;
			}
			sio_held_trickle *held = g_new0(sio_held_trickle, 1);
			held->ack_id = packet->ack_id;
			held->payload = json_incref(payload);
			g_queue_push_tail(&socket->held_trickles, held);
			return;
		}
		if(call_refused(socket, call_id)) {
			ack_error(socket, packet->ack_id, event, REFUSED_CALL_CANDIDATE);
			return;
		}
	}
	forward_event(socket, route, event, payload, handle_id, packet->ack_id);
}

static void handle_connect(sio_socket *socket, sio_packet *packet) {
	if(strcmp(packet->nsp, "/") != 0) {
		connect_error(socket, packet->nsp, "Invalid namespace");
		return;
	}
	if(socket->state != SIO_SOCKET_NEW)
		return;     /* a repeated CONNECT changes nothing */
	if(socket->auth_secret != NULL) {
		const char *token = json_string_value(json_object_get(packet->data, "token"));
		char *user = NULL;
		oicall_auth_result result = token == NULL ? OICALL_AUTH_MALFORMED :
			oicall_auth_verify(socket->auth_secret, token, g_get_real_time() / G_USEC_PER_SEC, &user);
		if(result != OICALL_AUTH_OK) {
			socket->ops->refused(socket->owner);
			connect_error(socket, "/", token == NULL ? "Missing token" : oicall_auth_message(result));
			return;
		}
		g_free(socket->auth_user);
		socket->auth_user = user;
	}
	socket->state = SIO_SOCKET_CONNECTING;
	socket->auth = json_incref(packet->data);
	char *transaction = new_transaction(socket);
	submit(socket, sio_bridge_janus("create", 0, 0, transaction), PENDING_CREATE, SIO_ROUTE_MESSAGE, SIO_NO_ACK);
	g_free(transaction);
}

static void handle_packet(sio_socket *socket, sio_packet *packet, sio_decode_status status, const char *error) {
	switch(packet->type) {
		case SIO_CONNECT:
			if(status != SIO_DECODE_OK)
				connect_error(socket, packet->nsp, "Invalid CONNECT payload: an object is expected");
			else
				handle_connect(socket, packet);
			return;
		case SIO_DISCONNECT:
			if(strcmp(packet->nsp, "/") == 0)
				socket->ops->close(socket->owner, FALSE, "client namespace disconnect");
			return;
		case SIO_EVENT:
			if(strcmp(packet->nsp, "/") != 0 || socket->state != SIO_SOCKET_CONNECTED || socket->released) {
				ack_error(socket, packet->ack_id, event_name(packet), "Not connected to this namespace");
				return;
			}
			if(status != SIO_DECODE_OK) {
				char *message = g_strdup_printf("Invalid event: %s", error);
				ack_error(socket, packet->ack_id, NULL, message);
				g_free(message);
				return;
			}
			handle_event(socket, packet);
			return;
		case SIO_BINARY_EVENT:
		case SIO_BINARY_ACK:
			/* Its attachments follow as binary messages: drop them too. */
			socket->skip_attachments += packet->attachments;
			if(packet->type == SIO_BINARY_EVENT)
				ack_error(socket, packet->ack_id, event_name(packet), "Binary payloads are not supported");
			return;
		case SIO_ACK:
		case SIO_CONNECT_ERROR:
			return;     /* the server never asks clients for acks */
	}
}

void sio_socket_receive(sio_socket *socket, const char *text, gsize len) {
	if(socket->state == SIO_SOCKET_CLOSED || socket->state == SIO_SOCKET_LINGERING)
		return;
	sio_packet *packet = g_new0(sio_packet, 1);
	const char *error = NULL;
	sio_decode_status status = sio_decode(text, len, packet, &error);
	if(status == SIO_DECODE_BAD_HEADER) {
		early_event_free(packet);
		/* Nothing to answer to: like the reference server, drop the connection. */
		socket->ops->close(socket->owner, FALSE, "parse error");
		return;
	}
	if(socket->state == SIO_SOCKET_CONNECTING && packet->type == SIO_EVENT && status == SIO_DECODE_OK &&
			strcmp(packet->nsp, "/") == 0) {
		if(g_queue_get_length(&socket->early_events) >= SIO_MAX_EARLY_EVENTS) {
			ack_error(socket, packet->ack_id, event_name(packet), "Too many requests in flight");
			early_event_free(packet);
		} else {
			g_queue_push_tail(&socket->early_events, packet);
		}
		return;
	}
	handle_packet(socket, packet, status, error);
	early_event_free(packet);
}

void sio_socket_receive_binary(sio_socket *socket) {
	if(socket->skip_attachments > 0) {
		socket->skip_attachments--;
		return;
	}
	socket->ops->close(socket->owner, FALSE, "unexpected binary message");
}

static void connected(sio_socket *socket) {
	socket->state = SIO_SOCKET_CONNECTED;
	json_t *payload = json_pack("{ss}", "sid", socket->sid);
	send_packet(socket, sio_encode(SIO_CONNECT, "/", SIO_NO_ACK, payload));
	json_decref(payload);
	sio_packet *packet;
	while((packet = g_queue_pop_head(&socket->early_events)) != NULL) {
		if(socket->state == SIO_SOCKET_CONNECTED)
			handle_event(socket, packet);
		early_event_free(packet);
	}
}

static void setup_failed(sio_socket *socket, const char *what, json_t *message) {
	const char *reason = json_string_value(json_object_get(json_object_get(message, "error"), "reason"));
	char *text = g_strdup_printf("%s: %s", what, reason ? reason : "unexpected reply");
	connect_error(socket, "/", text);
	g_free(text);
	socket->state = SIO_SOCKET_NEW;
	g_queue_clear_full(&socket->early_events, early_event_free);
	if(socket->session_id != 0) {
		char *transaction = new_transaction(socket);
		submit(socket, sio_bridge_janus("destroy", socket->session_id, 0, transaction), PENDING_INTERNAL,
			SIO_ROUTE_MESSAGE, SIO_NO_ACK);
		g_free(transaction);
		socket->session_id = 0;
	}
}

static gboolean is_success(json_t *message) {
	return g_strcmp0(json_string_value(json_object_get(message, "janus")), "success") == 0;
}

static guint64 reply_id(json_t *message) {
	json_t *id = json_object_get(json_object_get(message, "data"), "id");
	if(!is_success(message) || !json_is_integer(id) || json_integer_value(id) <= 0)
		return 0;
	return (guint64)json_integer_value(id);
}

/* The session's end is the socket's (its owner destroys it when the socket is
 * gone), so the core need not time it out: a keepalive per socket every
 * SIO_KEEPALIVE_US was most of what idle sockets cost. */
static void turn_timeout_off(sio_socket *socket) {
	socket->timeout_off = FALSE;
	char *transaction = new_transaction(socket);
	json_t *request = sio_bridge_janus("set_session_timeout", socket->session_id, 0, transaction);
	json_object_set_new(request, "timeout", json_integer(0));
	sio_pending *pending = submit(socket, request, PENDING_SESSION_TIMEOUT, SIO_ROUTE_MESSAGE, SIO_NO_ACK);
	pending->session_id = socket->session_id;
	g_free(transaction);
}

static void handle_reply(sio_socket *socket, sio_pending *pending, json_t *message) {
	switch(pending->kind) {
		case PENDING_CREATE:
			socket->session_id = reply_id(message);
			if(socket->session_id == 0) {
				setup_failed(socket, "Cannot create a session", message);
				return;
			}
			{
				char *transaction = new_transaction(socket);
				json_t *attach = sio_bridge_janus("attach", socket->session_id, 0, transaction);
				json_object_set_new(attach, "plugin", json_string(socket->plugin));
				submit(socket, attach, PENDING_ATTACH, SIO_ROUTE_MESSAGE, SIO_NO_ACK);
				g_free(transaction);
			}
			/* After the attach: the core answers in order, and the CONNECT
			 * answer needs only the attach's. Until this one's answer the
			 * keepalive count runs, as for a core that refuses it. */
			turn_timeout_off(socket);
			return;
		case PENDING_ATTACH:
			socket->handle_id = reply_id(message);
			if(socket->handle_id == 0)
				setup_failed(socket, "Cannot attach to the plugin", message);
			else
				connected(socket);
			return;
		case PENDING_DISCONNECT: {
			json_t *ack = NULL;
			if(sio_bridge_reply(message, SIO_ROUTE_MESSAGE, &ack) == SIO_REPLY_WAIT)
				return;
			json_t *linger = json_object_get(ack, "linger");
			json_int_t seconds = json_is_integer(linger) ? json_integer_value(linger) : 0;
			gboolean keep = json_is_true(json_object_get(ack, "keep"));
			json_decref(ack);
			if(keep)
				socket->linger_deadline = G_MAXINT64;     /* until the plugin ends its handle */
			else if(seconds <= 0)
				socket->ops->close(socket->owner, FALSE, "no reason to linger");
			else
				socket->linger_deadline = g_get_monotonic_time() + MIN(seconds, SIO_MAX_LINGER_S) * G_USEC_PER_SEC;
			return;
		}
		case PENDING_SESSION_TIMEOUT: {
			/* (For the current session only: an attach that failed ended the one it was for.) */
			if(pending->session_id != socket->session_id)
				return;
			if(is_success(message))
				socket->timeout_off = TRUE;
			else if(socket->ops->keepalives != NULL)
				socket->ops->keepalives(socket->owner,
					json_string_value(json_object_get(json_object_get(message, "error"), "reason")));
			return;
		}
		case PENDING_ATTACH_TRANSPORT: {
			guint64 handle = reply_id(message);
			if(handle == 0)
				return;     /* the plugin gives up on it after a while */
			sio_transport_link *link = g_new0(sio_transport_link, 1);
			link->handle = handle;
			link->call_id = g_strdup(pending->call_id);
			link->candidates = g_ptr_array_new_with_free_func(g_free);
			g_hash_table_insert(socket->transports, g_strdup(pending->transport_id), link);
			char *transaction = new_transaction(socket);
			json_t *bind = sio_bridge_janus("message", socket->session_id, handle, transaction);
			json_object_set_new(bind, "body", json_pack("{sssssssIsI}", "request", "bind-transport",
				"transportId", pending->transport_id, "nonce", pending->nonce ? pending->nonce : "",
				"janusSessionId", (json_int_t)socket->session_id, "janusHandleId", (json_int_t)handle));
			submit(socket, bind, PENDING_INTERNAL, SIO_ROUTE_MESSAGE, SIO_NO_ACK);
			g_free(transaction);
			return;
		}
		case PENDING_INTERNAL:
		case PENDING_EVENT:
			return;
	}
}

/* The core's offer for a transport handle back to the plugin, with the
 * candidates the core trickled for it. */
static void send_local_sdp(sio_socket *socket, guint64 handle, const char *sdp, sio_transport_link *link) {
	char *transaction = new_transaction(socket);
	json_t *request = sio_bridge_janus("message", socket->session_id, handle, transaction);
	json_t *body = json_pack("{ssss}", "request", "local-sdp", "sdp", sdp);
	if(link != NULL && link->candidates->len > 0) {
		json_t *candidates = json_array();
		for(guint i = 0; i < link->candidates->len; i++)
			json_array_append_new(candidates, json_string(g_ptr_array_index(link->candidates, i)));
		json_object_set_new(body, "candidates", candidates);
	}
	json_object_set_new(request, "body", body);
	submit(socket, request, PENDING_INTERNAL, SIO_ROUTE_MESSAGE, SIO_NO_ACK);
	g_free(transaction);
}

static void emit_candidate(sio_socket *socket, json_t *candidate, const char *call_id, const char *transport_id) {
	json_t *payload = sio_bridge_gateway_candidate(candidate, call_id, transport_id);
	if(payload == NULL)
		return;
	send_packet(socket, sio_encode_event("ice-candidate", payload));
	json_decref(payload);
}

/* The call the client now knows of (its PeerConnection's, its transports'):
 * candidates held for it go out, those of another call are dropped. */
static void call_known(sio_socket *socket, const char *call_id) {
	g_free(socket->call_id);
	socket->call_id = g_strdup(call_id);
	json_t *held;
	while((held = g_queue_pop_head(&socket->early_candidates)) != NULL) {
		const char *transport_call = json_string_value(json_object_get(held, "callId"));
		if(transport_call == NULL || strcmp(transport_call, call_id) == 0)
			emit_candidate(socket, json_object_get(held, "candidate"), call_id,
				json_string_value(json_object_get(held, "transportId")));
		json_decref(held);
	}
}

/* Until the client knows the call: a candidate with where it came from
 * (a transport of a call, or the client's PeerConnection). */
static void hold_candidate(sio_socket *socket, json_t *candidate, const char *call_id, const char *transport_id) {
	if(!json_is_object(candidate) || g_queue_get_length(&socket->early_candidates) >= SIO_MAX_GATEWAY_CANDIDATES)
		return;
	json_t *held = json_pack("{sO}", "candidate", candidate);
	if(transport_id != NULL)
		json_object_set_new(held, "transportId", json_string(transport_id));
	if(call_id != NULL)
		json_object_set_new(held, "callId", json_string(call_id));
	g_queue_push_tail(&socket->early_candidates, held);
}

static void call_over(sio_socket *socket) {
	g_clear_pointer(&socket->call_id, g_free);
	g_queue_clear_full(&socket->early_candidates, (GDestroyNotify)json_decref);
}

/* One of the core's own candidates (a Janus trickle: full-trickle only). */
static void gateway_candidate(sio_socket *socket, json_t *message) {
	json_t *sender = json_object_get(message, "sender");
	guint64 handle = json_is_integer(sender) ? (guint64)json_integer_value(sender) : 0;
	json_t *candidate = json_object_get(message, "candidate");
	const char *line = json_string_value(json_object_get(candidate, "candidate"));
	const char *transport_id = NULL;
	sio_transport_link *link = link_of_handle(socket, handle, &transport_id);
	if(link != NULL) {
		if(json_is_true(json_object_get(candidate, "completed"))) {
			link->gathered = TRUE;
			char *sdp = g_steal_pointer(&link->held_sdp);
			if(sdp != NULL)
				send_local_sdp(socket, handle, sdp, link);
			g_free(sdp);
		} else if(line != NULL && link->candidates->len < SIO_MAX_GATEWAY_CANDIDATES) {
			g_ptr_array_add(link->candidates, g_strdup(line));
		}
		if(socket->state != SIO_SOCKET_CONNECTED || link->call_id == NULL)
			return;
		if(g_strcmp0(link->call_id, socket->call_id) == 0)
			emit_candidate(socket, candidate, link->call_id, transport_id);
		else
			hold_candidate(socket, candidate, link->call_id, transport_id);
	} else if(handle != socket->handle_id || socket->state != SIO_SOCKET_CONNECTED) {
		return;
	} else if(socket->call_id != NULL) {
		emit_candidate(socket, candidate, socket->call_id, NULL);
	} else {
		hold_candidate(socket, candidate, NULL, NULL);
	}
}

/* Carries out what the plugin asks of the transport (see sio_bridge_instruction). */
static void handle_instruction(sio_socket *socket, json_t *message, json_t *instruction) {
	json_t *sender = json_object_get(message, "sender");
	guint64 handle = json_is_integer(sender) ? (guint64)json_integer_value(sender) : 0;
	json_t *attach = json_object_get(instruction, "attach");
	json_t *remote = json_object_get(instruction, "remote-sdp");
	json_t *jsep = json_object_get(message, "jsep");
	char *transaction = new_transaction(socket);
	if(json_is_object(attach) && json_is_string(json_object_get(attach, "transportId"))) {
		json_t *request = sio_bridge_janus("attach", socket->session_id, 0, transaction);
		json_object_set_new(request, "plugin", json_string(socket->plugin));
		sio_pending *pending = submit(socket, request, PENDING_ATTACH_TRANSPORT, SIO_ROUTE_MESSAGE, SIO_NO_ACK);
		pending->transport_id = g_strdup(json_string_value(json_object_get(attach, "transportId")));
		pending->nonce = g_strdup(json_string_value(json_object_get(attach, "nonce")));
		pending->call_id = g_strdup(json_string_value(json_object_get(attach, "callId")));
	} else if(json_is_true(json_object_get(instruction, "local-sdp")) && json_is_string(json_object_get(jsep, "sdp")) &&
			handle != 0) {
		const char *sdp = json_string_value(json_object_get(jsep, "sdp"));
		const char *transport_id = NULL;
		sio_transport_link *link = link_of_handle(socket, handle, &transport_id);
		/* Full-trickle: an SDP without candidates (half-trickle ends each
		 * section with end-of-candidates), whose candidates are on their way. */
		if(link != NULL && !link->gathered && strstr(sdp, "a=end-of-candidates") == NULL) {
			g_free(link->held_sdp);
			link->held_sdp = g_strdup(sdp);
		} else {
			send_local_sdp(socket, handle, sdp, link);
		}
	} else if(json_is_true(json_object_get(instruction, "keep"))) {
		/* The user is back on another socket and this session still carries
		 * their call's media: it stays until the plugin ends its handle. */
		if(socket->state == SIO_SOCKET_LINGERING)
			socket->linger_deadline = G_MAXINT64;
	} else if(json_is_string(json_object_get(instruction, "close"))) {
		/* Another socket took this one's user over: DISCONNECT, then nothing. */
		if(socket->state == SIO_SOCKET_CONNECTED && !socket->released) {
			send_packet(socket, sio_encode(SIO_DISCONNECT, "/", SIO_NO_ACK, NULL));
			socket->released = TRUE;
		}
	} else if(json_is_object(remote) && handle != 0) {
		json_t *request = sio_bridge_janus("message", socket->session_id, handle, transaction);
		json_object_set_new(request, "body", json_pack("{ss}", "request", "remote-sdp-applied"));
		json_object_set(request, "jsep", remote);
		submit(socket, request, PENDING_INTERNAL, SIO_ROUTE_MESSAGE, SIO_NO_ACK);
	}
	g_free(transaction);
}

/* The core refused a jsep that a gate let through, so the plugin never saw
 * it: the start-call it reserved a call for (or the accept-call it waits
 * for) is off. A start-call's call ends (unheard by its callee). */
static void gate_failed(sio_socket *socket, const char *call_id) {
	char *transaction = new_transaction(socket);
	json_t *request = sio_bridge_janus("message", socket->session_id, socket->handle_id, transaction);
	json_object_set_new(request, "body", json_pack("{ssss}", "request", "jsep-gate-failed", "callId", call_id));
	submit(socket, request, PENDING_INTERNAL, SIO_ROUTE_MESSAGE, SIO_NO_ACK);
	g_free(transaction);
}

void sio_socket_janus_message(sio_socket *socket, json_t *message) {
	if(socket->state == SIO_SOCKET_CLOSED)
		return;
	const char *transaction = json_string_value(json_object_get(message, "transaction"));
	sio_pending *pending = transaction ? g_hash_table_lookup(socket->pending, transaction) : NULL;
	if(pending != NULL) {
		if(pending->kind == PENDING_EVENT) {
			json_t *ack = NULL;
			if(sio_bridge_reply(message, pending->route, &ack) == SIO_REPLY_WAIT)
				return;
			const char *gate_call = pending->gated ? sio_bridge_gate_proceed(ack) : NULL;
			if(gate_call != NULL) {
				/* The plugin lets the jsep through: the real request, answering the same ack. */
				char *next = transaction_for(socket, TRUE);
				json_t *request = sio_bridge_gated(pending->gated, gate_call, next);
				g_free(next);
				sio_pending *real = submit(socket, request, PENDING_EVENT, pending->route, pending->ack_id);
				real->starts_call = pending->starts_call;
				real->event = g_strdup(pending->event);
				real->gated_call = g_strdup(gate_call);
				json_decref(ack);
				g_hash_table_remove(socket->pending, transaction);
				return;
			}
			if(pending->gated_call != NULL && g_strcmp0(json_string_value(json_object_get(message, "janus")), "error") == 0)
				gate_failed(socket, pending->gated_call);
			send_ack(socket, pending->ack_id, pending->event, ack);
			/* Refused (busy included, which names the call): a PeerConnection it
			 * started goes nowhere, unless the client is in another call already
			 * (a start-call refused as glare: the call ringing for it goes on). */
			gboolean started = json_object_get(ack, "error") == NULL && json_is_string(json_object_get(ack, "callId"));
			if(pending->starts_call && started)
				call_known(socket, json_string_value(json_object_get(ack, "callId")));
			else if(pending->starts_call && socket->call_id == NULL)
				call_over(socket);
			gate_outcome(socket, pending, ack);
			json_decref(ack);
			g_hash_table_remove(socket->pending, transaction);
			release_held(socket);
		} else {
			const char *verb = json_string_value(json_object_get(message, "janus"));
			if(pending->kind == PENDING_DISCONNECT && verb != NULL && strcmp(verb, "ack") == 0)
				return;
			/* Taken out first: the reply may end the socket. */
			gpointer key = NULL;
			g_hash_table_steal_extended(socket->pending, transaction, &key, NULL);
			handle_reply(socket, pending, message);
			g_free(key);
			pending_free(pending);
		}
		return;
	}
	json_t *instruction = sio_bridge_instruction(message);
	if(instruction != NULL) {
		handle_instruction(socket, message, instruction);
		return;
	}
	const char *verb = json_string_value(json_object_get(message, "janus"));
	if(verb != NULL && strcmp(verb, "detached") == 0) {
		json_t *sender = json_object_get(message, "sender");
		/* A transport handle going away: its candidates have nowhere to go. */
		const char *transport_id = NULL;
		if(json_is_integer(sender) && link_of_handle(socket, (guint64)json_integer_value(sender), &transport_id) != NULL)
			g_hash_table_remove(socket->transports, transport_id);
		/* The plugin ended our handle: an operator kicked the user, or a
		 * lingering session is no longer needed. */
		if(json_is_integer(sender) && (guint64)json_integer_value(sender) == socket->handle_id) {
			socket->ops->close(socket->owner, socket->state == SIO_SOCKET_CONNECTED, "handle detached");
			return;
		}
	}
	/* Even for a client that is gone: a transport's offer may wait for its candidates. */
	if(verb != NULL && strcmp(verb, "trickle") == 0) {
		gateway_candidate(socket, message);
		return;
	}
	if(socket->state != SIO_SOCKET_CONNECTED)
		return;
	json_t *payload = NULL;
	char *event = sio_bridge_event(message, &payload);
	if(event == NULL)
		return;
	send_packet(socket, sio_encode_event(event, payload));
	const char *call_id = json_string_value(json_object_get(payload, "callId"));
	/* (call-resumed: a call this socket inherited, whose media it may bring up here.) */
	if((strcmp(event, "incoming-call") == 0 || strcmp(event, "call-resumed") == 0) && call_id != NULL)
		call_known(socket, call_id);
	else if((strcmp(event, "call-ended") == 0 || strcmp(event, "call-expired") == 0) &&
			g_strcmp0(call_id, socket->call_id) == 0)
		call_over(socket);
	g_free(event);
	json_decref(payload);
}

void sio_socket_session_over(sio_socket *socket, guint64 session_id, gboolean timeout) {
	if((socket->state != SIO_SOCKET_CONNECTED && socket->state != SIO_SOCKET_LINGERING) ||
			session_id != socket->session_id)
		return;
	socket->session_id = 0;
	socket->handle_id = 0;
	socket->ops->close(socket->owner, !timeout && socket->state == SIO_SOCKET_CONNECTED,
		timeout ? "session timeout" : "session destroyed");
}

/* Events the plugin never answered: the client hears so, and their slots free up. */
static void expire_requests(sio_socket *socket, gint64 now) {
	GHashTableIter iter;
	gpointer value;
	g_hash_table_iter_init(&iter, socket->pending);
	while(g_hash_table_iter_next(&iter, NULL, &value)) {
		sio_pending *pending = value;
		if(pending->kind == PENDING_EVENT && now >= pending->deadline) {
			ack_error(socket, pending->ack_id, pending->event, "The server did not answer in time");
			g_hash_table_iter_remove(&iter);
		}
	}
	release_held(socket);
}

gboolean sio_socket_tick(sio_socket *socket, gint64 now) {
	if(socket->state == SIO_SOCKET_NEW && socket->connect_deadline != 0 && now >= socket->connect_deadline) {
		/* It holds a connection and costs nothing to open: it must not sit there. */
		socket->ops->close(socket->owner, FALSE, "no Socket.IO CONNECT in time");
		return FALSE;
	}
	if(socket->state == SIO_SOCKET_LINGERING && now >= socket->linger_deadline) {
		socket->ops->close(socket->owner, FALSE, "linger time over");
		return FALSE;
	}
	if(socket->state == SIO_SOCKET_CONNECTED)
		expire_requests(socket, now);
	if((socket->state != SIO_SOCKET_CONNECTED && socket->state != SIO_SOCKET_LINGERING) || socket->timeout_off ||
			now - socket->last_keepalive < SIO_KEEPALIVE_US)
		return TRUE;
	if(socket->last_keepalive != 0) {
		char *transaction = new_transaction(socket);
		submit(socket, sio_bridge_janus("keepalive", socket->session_id, 0, transaction), PENDING_INTERNAL,
			SIO_ROUTE_MESSAGE, SIO_NO_ACK);
		g_free(transaction);
	}
	socket->last_keepalive = now;
	return TRUE;
}

gint64 sio_socket_next_deadline(sio_socket *socket) {
	switch(socket->state) {
		case SIO_SOCKET_NEW:
			return socket->connect_deadline != 0 ? socket->connect_deadline : G_MAXINT64;
		case SIO_SOCKET_CONNECTING:
		case SIO_SOCKET_CLOSED:
			return G_MAXINT64;
		case SIO_SOCKET_CONNECTED:
		case SIO_SOCKET_LINGERING:
			break;
	}
	/* The first keepalive tick only starts the count. */
	gint64 next = socket->timeout_off ? G_MAXINT64 :
		socket->last_keepalive == 0 ? 0 : socket->last_keepalive + SIO_KEEPALIVE_US;
	if(socket->state == SIO_SOCKET_LINGERING)
		return MIN(next, socket->linger_deadline);
	GHashTableIter iter;
	gpointer value;
	g_hash_table_iter_init(&iter, socket->pending);
	while(g_hash_table_iter_next(&iter, NULL, &value)) {
		sio_pending *pending = value;
		if(pending->kind == PENDING_EVENT)
			next = MIN(next, pending->deadline);
	}
	return next;
}

guint64 sio_socket_janus_session(const sio_socket *socket) {
	if(socket->session_id == 0 && socket->state == SIO_SOCKET_CONNECTING)
		return SIO_SESSION_UNKNOWN;
	return socket->session_id;
}

gboolean sio_socket_client_gone(sio_socket *socket, gint64 now) {
	if(socket->state != SIO_SOCKET_CONNECTED) {
		sio_socket_closed(socket);
		return FALSE;
	}
	socket->state = SIO_SOCKET_LINGERING;
	/* Until the plugin answers; its answer sets the real deadline. */
	socket->linger_deadline = now + SIO_DISCONNECT_REPLY_US;
	g_queue_clear_full(&socket->early_events, early_event_free);
	char *transaction = transaction_for(socket, TRUE);
	json_t *body = json_pack("{ss}", "request", "disconnect");
	json_t *request = sio_bridge_janus("message", socket->session_id, socket->handle_id, transaction);
	json_object_set_new(request, "body", body);
	submit(socket, request, PENDING_DISCONNECT, SIO_ROUTE_MESSAGE, SIO_NO_ACK);
	g_free(transaction);
	return TRUE;
}

void sio_socket_closed(sio_socket *socket) {
	socket->state = SIO_SOCKET_CLOSED;
	g_hash_table_remove_all(socket->pending);
	g_queue_clear_full(&socket->early_events, early_event_free);
	call_over(socket);
}
