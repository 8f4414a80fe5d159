/*
 * The libwebsockets side of the Socket.IO server: sessions, Engine.IO over
 * HTTP, /metrics, timers and the lws callback (the WebSocket side is in
 * sio_ws.c). Everything runs on the service thread except sio_server_post_*
 * and sio_server_get_stats; connection state is therefore never locked.
 */
#include <string.h>

#include <janus/debug.h>

#include "../common/auth_token.h"
#include "http_util.h"
#include "sio_internal.h"

#define TICK_MS 100
/* How late a connection's timer may fire: heartbeats stay within a few ms. */
#define TIMER_SLACK_MS 3
/* A polling session told to close waits this long for its last GET. */
#define CLOSING_GRACE_US (5 * G_USEC_PER_SEC)
#define MAX_PACKETS_PER_PAYLOAD 1024

typedef enum inbox_kind {
	INBOX_MESSAGE,
	INBOX_SESSION_OVER,
} inbox_kind;

typedef struct inbox_item {
	inbox_kind kind;
	void *peer;
	json_t *message;
	guint64 session_id;
	gboolean timeout;
} inbox_item;

static void conn_close(sio_conn *conn, gboolean tell_client, const char *reason);

/* ---- statistics ------------------------------------------------------ */

static void stat_transport(sio_server *server, eio_transport transport, int delta) {
	if(transport == EIO_TRANSPORT_POLLING)
		STAT_ADD(server, polling, delta);
	else
		STAT_ADD(server, websocket, delta);
}

void sio_server_get_stats(sio_server *server, sio_server_stats *stats) {
#define READ(field) stats->field = atomic_load_explicit(&server->stats.field, memory_order_relaxed)
	READ(polling);
	READ(websocket);
	READ(sessions);
	READ(connections);
	READ(rejected_handshakes);
	READ(messages_in);
	READ(messages_out);
	READ(bytes_in);
	READ(bytes_out);
	READ(events_in);
	READ(acks_out);
	READ(events_out);
#undef READ
	stats->refused_connections = sio_admission_refused(server->admission);
	stats->max_connections = (gint)sio_admission_max_sessions(server->admission);
}

/* ---- HTTP answers ---------------------------------------------------- */

void sio_wsi_reset(sio_wsi *w) {
	if(w->body)
		g_string_free(w->body, TRUE);
	if(w->rx)
		g_byte_array_unref(w->rx);
	g_free(w->origin);
	g_free(w->allow_headers);
	memset(w, 0, sizeof(*w));
}

/* Queues a complete answer; it is written on the next WRITEABLE. */
static void respond(struct lws *wsi, sio_wsi *w, unsigned int status, const char *content_type,
		const char *body, gsize len) {
	w->role = WSI_RESPONSE;
	w->status = status;
	w->content_type = content_type;
	if(w->body == NULL)
		w->body = g_string_sized_new(len);
	g_string_append_len(w->body, body, (gssize)len);
	lws_callback_on_writable(wsi);
}

static void respond_eio_error(struct lws *wsi, sio_wsi *w, sio_eio_error code) {
	unsigned int status;
	char *body = sio_eio_error_body(code, &status);
	respond(wsi, w, status, "application/json", body, strlen(body));
	g_free(body);
}

/* A session the limits refuse: 503, closing the connection (Engine.IO has no code for it). */
static void respond_refusal(struct lws *wsi, sio_wsi *w, sio_limit why) {
	char *body = g_strdup_printf("{\"code\":-1,\"message\":\"%s\"}", sio_admission_refusal(why));
	w->close_after = TRUE;
	respond(wsi, w, 503, "application/json", body, strlen(body));
	g_free(body);
}

static int add_header(struct lws *wsi, const char *name, const char *value, unsigned char **p, unsigned char *end) {
	return lws_add_http_header_by_name(wsi, (const unsigned char *)name, (const unsigned char *)value,
		(int)strlen(value), p, end);
}

/* Writes status, headers (with CORS) and body in one go. */
int sio_write_response(sio_server *server, struct lws *wsi, sio_wsi *w, unsigned int status,
		const char *content_type, const char *body, gsize len, const char *extra_allow) {
	gsize size = LWS_PRE + 1024 + len;
	unsigned char *buffer = g_malloc(size);
	unsigned char *start = buffer + LWS_PRE, *p = start, *end = buffer + size - len;
	int failed = lws_add_http_common_headers(wsi, status, content_type, len, &p, end);
	if(!failed && w->origin != NULL) {
		gboolean any = strcmp(w->origin, "*") == 0;
		failed = add_header(wsi, "access-control-allow-origin:", w->origin, &p, end) ||
			(!any && add_header(wsi, "access-control-allow-credentials:", "true", &p, end)) ||
			add_header(wsi, "vary:", "Origin", &p, end);
	}
	if(!failed && extra_allow != NULL) {
		failed = add_header(wsi, "access-control-allow-methods:", "GET, POST, OPTIONS", &p, end) ||
			add_header(wsi, "access-control-allow-headers:", extra_allow, &p, end) ||
			add_header(wsi, "access-control-max-age:", "86400", &p, end);
	}
	if(!failed && (w->close_after || !w->keep_alive))
		failed = add_header(wsi, "connection:", "close", &p, end);
	if(!failed)
		failed = lws_finalize_http_header(wsi, &p, end);
	if(failed) {
		g_free(buffer);
		return -1;
	}
	memcpy(p, body, len);
	gsize total = (gsize)(p - start) + len;
	int written = lws_write(wsi, start, total, LWS_WRITE_HTTP_FINAL);
	g_free(buffer);
	if(written < (int)total)
		return -1;
	STAT_ADD(server, bytes_out, total);
	return 0;
}

/* After an answer: keep the connection for the next request, or drop it. */
static int transaction_done(struct lws *wsi, sio_wsi *w) {
	gboolean close = w->close_after || !w->keep_alive, unread = w->body_unread;
	sio_wsi_reset(w);
	if(close && unread) {
		/* Closing on unread data makes the kernel reset the connection, which
		 * can destroy the answer before the client reads it: let it leave,
		 * then give up on the body. */
		lws_set_timeout(wsi, PENDING_TIMEOUT_HTTP_CONTENT, 1);
		return 0;
	}
	if(close)
		return -1;
	return lws_http_transaction_completed(wsi) ? -1 : 0;
}

/* ---- Engine.IO timers -------------------------------------------------- */

static gint compare_deadlines(gconstpointer a, gconstpointer b, gpointer data) {
	(void)data;
	const sio_conn *x = a, *y = b;
	if(x->deadline != y->deadline)
		return x->deadline < y->deadline ? -1 : 1;
	return x < y ? -1 : x > y;
}

static void run_timers(uv_timer_t *timer);

/* Points the timer at the soonest deadline. */
static void timers_rearm(sio_server *server) {
	GSequenceIter *first = g_sequence_get_begin_iter(server->timers);
	if(g_sequence_iter_is_end(first)) {
		uv_timer_stop(&server->timers_timer);
		server->timers_due = 0;
		return;
	}
	gint64 due = ((sio_conn *)g_sequence_get(first))->deadline;
	if(due == server->timers_due)
		return;
	server->timers_due = due;
	/* Rounded up (a wake-up before the deadline would only set the timer
	 * again) and a little late, so that one wake-up serves the deadlines
	 * close behind: with 20,000 sockets they come every half millisecond. */
	gint64 delay = due - g_get_monotonic_time();
	uv_timer_start(&server->timers_timer, run_timers,
		(delay > 0 ? (guint64)(delay + 999) / 1000 : 0) + TIMER_SLACK_MS, 0);
}

/* Files the connection under its next deadline: after anything that can move it. */
static void conn_schedule(sio_conn *conn) {
	gint64 deadline = conn->closing ? conn->closing_deadline :
		MIN(eio_session_next_deadline(conn->eio), sio_socket_next_deadline(conn->socket));
	if(conn->timer != NULL) {
		if(conn->deadline == deadline)
			return;
		g_sequence_remove(conn->timer);
	}
	conn->deadline = deadline;
	conn->timer = g_sequence_insert_sorted(conn->server->timers, conn, compare_deadlines, NULL);
	timers_rearm(conn->server);
}

static void conn_unschedule(sio_conn *conn) {
	if(conn->timer == NULL)
		return;
	g_sequence_remove(conn->timer);
	conn->timer = NULL;
	timers_rearm(conn->server);
}

/* ---- connections ----------------------------------------------------- */

void sio_conn_flush(sio_conn *conn) {
	if(conn->eio->transport == EIO_TRANSPORT_POLLING) {
		if(conn->poll_wsi != NULL && eio_session_has_output(conn->eio))
			lws_callback_on_writable(conn->poll_wsi);
	} else if(conn->ws_wsi != NULL) {
		sio_ws_flush(conn);
	}
}

static void reap_overflowed(lws_sorted_usec_list_t *sul) {
	sio_conn *conn = lws_container_of(sul, sio_conn, reap);
	if(conn->eio != NULL)
		sio_conn_destroy(conn, "output queue full");
}

static void socket_send(void *owner, char *packet) {
	sio_conn *conn = owner;
	STAT_ADD(conn->server, messages_out, 1);
	if(packet[0] == '0' && !conn->counted_as_session) {
		/* The CONNECT answer: a Janus session now stands behind this socket. */
		conn->counted_as_session = TRUE;
		STAT_ADD(conn->server, sessions, 1);
	}
	if(packet[0] == '3')
		STAT_ADD(conn->server, acks_out, 1);
	else if(packet[0] == '2')
		STAT_ADD(conn->server, events_out, 1);
	gboolean ok = !conn->overflowed && eio_session_send_message(conn->eio, packet);
	g_free(packet);
	if(!ok) {
		/* The client doesn't read what it is sent: it won't hold others up.
		 * Not now, though: the socket that sent this is still working on it. */
		if(!conn->overflowed)
			lws_sul_schedule(conn->server->context, 0, &conn->reap, reap_overflowed, 1);
		conn->overflowed = TRUE;
		return;
	}
	sio_conn_flush(conn);
}

static void socket_janus(void *owner, json_t *request) {
	sio_conn *conn = owner;
	conn->server->hooks->peer_request(conn->peer, request, FALSE);
}

static void socket_admin(void *owner, json_t *request) {
	sio_conn *conn = owner;
	conn->server->hooks->peer_request(conn->peer, request, TRUE);
}

/* Once: it is the same for every session, and each costs a keepalive every 15 s. */
static void socket_keepalives(void *owner, const char *reason) {
	sio_server *server = ((sio_conn *)owner)->server;
	if(server->keepalives_logged)
		return;
	server->keepalives_logged = TRUE;
	JANUS_LOG(LOG_WARN, "[socketio] Janus refused set_session_timeout (%s): sessions get keepalives instead; "
		"the Admin API secret is read from janus.jcfg in the configs folder\n", reason ? reason : "unexpected reply");
}

static void conn_free(sio_conn *conn);

static void socket_close(void *owner, gboolean tell_client, const char *reason) {
	sio_conn *conn = owner;
	if(conn->eio == NULL) {
		JANUS_LOG(LOG_VERB, "[socketio] %s: Janus session released: %s\n", conn->sid, reason);
		conn_free(conn);
	} else {
		conn_close(conn, tell_client, reason);
	}
}

static void socket_acked(void *owner, const char *event, const char *error) {
	sio_ack_stats_add(((sio_conn *)owner)->server->acks, event, error);
}

static void socket_refused(void *owner) {
	STAT_ADD(((sio_conn *)owner)->server, rejected_handshakes, 1);
}

static const sio_socket_ops socket_ops = {
	.send = socket_send,
	.janus = socket_janus,
	.admin = socket_admin,
	.close = socket_close,
	.refused = socket_refused,
	.acked = socket_acked,
	.keepalives = socket_keepalives,
};

/* A new session for a client admission counted (takes address). */
sio_conn *sio_conn_new(sio_server *server, eio_transport transport, char *address) {
	sio_conn *conn = g_new0(sio_conn, 1);
	gint64 now = g_get_monotonic_time();
	conn->server = server;
	conn->address = address;
	conn->eio = eio_session_new(transport, &server->eio_config, now);
	memcpy(conn->sid, conn->eio->sid, sizeof(conn->sid));
	conn->socket = sio_socket_new(&socket_ops, conn, server->config->plugin, server->auth_secret);
	conn->socket->connect_deadline = now + (gint64)server->config->connect_timeout * 1000;
	conn->socket->event_rate = (guint)server->config->events_per_second;
	conn->peer = server->hooks->peer_open(conn);
	g_hash_table_insert(server->conns, conn->sid, conn);
	stat_transport(server, transport, 1);
	STAT_ADD(server, connections, 1);
	conn_schedule(conn);
	return conn;
}

typedef enum detach_mode {
	DETACH_RELEASE,     /* a held GET answers noop (the client moved to WebSocket) */
	DETACH_CLOSE,       /* a held GET answers close (the session ended) */
	DETACH_KILL,        /* drop the connection */
} detach_mode;

/* Unlinks a wsi from its connection; it answers or closes on its own. */
static void detach_wsi(struct lws *wsi, detach_mode mode) {
	if(wsi == NULL)
		return;
	sio_wsi *w = lws_wsi_user(wsi);
	if(w != NULL) {
		w->conn = NULL;
		w->session_closed = mode == DETACH_CLOSE;
	}
	if(mode == DETACH_KILL)
		lws_set_timeout(wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC);
	else
		lws_callback_on_writable(wsi);
}

/* The Janus side is done too: let go of everything. */
static void conn_free(sio_conn *conn) {
	sio_server *server = conn->server;
	if(conn->counted_as_session)
		STAT_ADD(server, sessions, -1);
	guint64 session_id = sio_socket_janus_session(conn->socket);
	sio_socket_closed(conn->socket);
	server->hooks->peer_close(conn->peer, session_id);
	g_hash_table_remove(server->lingering, conn);
	lws_sul_schedule(server->context, 0, &conn->reap, NULL, LWS_SET_TIMER_USEC_CANCEL);
	sio_socket_free(conn->socket);
	sio_admission_session_close(server->admission, conn->address);
	g_free(conn->address);
	g_free(conn);
}

/* Ends the client side now: every wsi let go. The Janus session may
 * linger if the plugin asks for it. */
void sio_conn_destroy(sio_conn *conn, const char *reason) {
	sio_server *server = conn->server;
	JANUS_LOG(LOG_VERB, "[socketio] %s closed: %s\n", conn->sid, reason);
	/* A held GET gets a close packet; sockets are dropped. */
	detach_wsi(conn->poll_wsi, DETACH_CLOSE);
	detach_wsi(conn->post_wsi, DETACH_CLOSE);
	detach_wsi(conn->ws_wsi, DETACH_KILL);
	detach_wsi(conn->probe_wsi, DETACH_KILL);
	conn->poll_wsi = conn->post_wsi = conn->ws_wsi = conn->probe_wsi = NULL;
	conn_unschedule(conn);
	stat_transport(server, conn->eio->transport, -1);
	g_hash_table_remove(server->conns, conn->sid);
	eio_session_free(conn->eio);
	conn->eio = NULL;
	if(!g_atomic_int_get(&server->stopping) && sio_socket_client_gone(conn->socket, g_get_monotonic_time()))
		g_hash_table_add(server->lingering, conn);
	else
		conn_free(conn);
}

/* Ends a connection, first letting the client read what is queued. */
static void conn_close(sio_conn *conn, gboolean tell_client, const char *reason) {
	if(conn->closing)
		return;
	if(!tell_client) {
		sio_conn_destroy(conn, reason);
		return;
	}
	JANUS_LOG(LOG_VERB, "[socketio] %s closing: %s\n", conn->sid, reason);
	/* DISCONNECT (past the queue limit: it's closing anyway), then the connection
	 * closes once it is written. No Engine.IO close packet with it, as the
	 * reference server does: socket.io-client handles a DISCONNECT on the next
	 * tick, so a close packet in the same payload or read would win and read as
	 * "transport close", which reconnects, instead of "io server disconnect". */
	STAT_ADD(conn->server, messages_out, 1);
	eio_session_send_message(conn->eio, "1");
	conn->closing = TRUE;
	conn->closing_deadline = g_get_monotonic_time() + CLOSING_GRACE_US;
	eio_session_close(conn->eio);
	sio_socket_closed(conn->socket);
	conn_schedule(conn);
	sio_conn_flush(conn);
}

static void conn_deliver(sio_conn *conn, const eio_packet *packet) {
	sio_server *server = conn->server;
	STAT_ADD(server, messages_in, 1);
	if(packet->binary) {
		sio_socket_receive_binary(conn->socket);
		return;
	}
	gsize len = 0;
	const char *text = eio_packet_text(packet, &len);
	if(len > 0 && (text[0] == '2' || text[0] == '5'))
		STAT_ADD(server, events_in, 1);
	sio_socket_receive(conn->socket, text, len);
}

/* Whether the connection still has its client after handling something for it. */
static gboolean conn_alive(sio_server *server, const char *sid, sio_conn *conn) {
	return g_hash_table_lookup(server->conns, sid) == conn;
}

/* Feeds packets into a connection; FALSE when it ended on the way. */
gboolean sio_conn_receive(sio_conn *conn, const eio_packet *packet, eio_via via, struct lws *wsi) {
	sio_server *server = conn->server;
	char sid[EIO_SID_LEN + 1];
	memcpy(sid, conn->sid, sizeof(sid));
	switch(eio_session_receive(conn->eio, packet, via, g_get_monotonic_time())) {
		case EIO_INPUT_NONE:
			break;
		case EIO_INPUT_MESSAGE:
			conn_deliver(conn, packet);
			if(!conn_alive(server, sid, conn))
				return FALSE;
			break;
		case EIO_INPUT_PROBE: {
			sio_wsi *w = lws_wsi_user(wsi);
			w->probe_reply_due = TRUE;
			lws_callback_on_writable(wsi);
			sio_conn_flush(conn);   /* the noop releasing the GET */
			break;
		}
		case EIO_INPUT_UPGRADED:
			conn->ws_wsi = conn->probe_wsi;
			conn->probe_wsi = NULL;
			stat_transport(server, EIO_TRANSPORT_POLLING, -1);
			stat_transport(server, EIO_TRANSPORT_WEBSOCKET, 1);
			/* A GET still held gets a noop: polling is over for this client. */
			if(conn->poll_wsi != NULL) {
				detach_wsi(conn->poll_wsi, DETACH_RELEASE);
				conn->poll_wsi = NULL;
			}
			sio_conn_flush(conn);
			break;
		case EIO_INPUT_DROP_TRANSPORT:
			/* A probing WebSocket broke the upgrade handshake: drop it, polling goes on. */
			if(conn->probe_wsi == wsi) {
				conn->probe_wsi = NULL;
				detach_wsi(wsi, DETACH_KILL);
			}
			break;
		case EIO_INPUT_CLOSE:
			sio_conn_destroy(conn, "client close");
			return FALSE;
		case EIO_INPUT_ERROR:
			sio_conn_destroy(conn, "protocol error");
			return FALSE;
	}
	conn_schedule(conn);
	return TRUE;
}

/* ---- the Engine.IO endpoint over HTTP -------------------------------- */

/* lws_get_urlarg_by_name() gives up at the first query argument that does not
 * fit its buffer, so a longer one before ours (python-socketio sends
 * transport=websocket before EIO=4) would hide it: look with room for any
 * argument up to 1 kB, then keep the value if it fits buf. */
static const char *urlarg(struct lws *wsi, const char *name, char *buf, int len) {
	char fragment[1024];
	const char *value = lws_get_urlarg_by_name(wsi, name, fragment, sizeof(fragment));
	if(value == NULL || g_strlcpy(buf, value, (gsize)len) >= (gsize)len)
		return NULL;
	return buf;
}

char *sio_header(struct lws *wsi, enum lws_token_indexes token) {
	int len = lws_hdr_total_length(wsi, token);
	if(len <= 0 || len > 1024)
		return NULL;
	char *value = g_malloc((gsize)len + 1);
	if(lws_hdr_copy(wsi, value, len + 1, token) < 0) {
		g_free(value);
		return NULL;
	}
	return value;
}

/* The request's client address for the admission limits (g_free). */
char *sio_client_address(sio_server *server, struct lws *wsi) {
	char *forwarded = sio_header(wsi, WSI_TOKEN_X_FORWARDED_FOR);
	char *address = sio_admission_client_address(server->admission, wsi, forwarded);
	g_free(forwarded);
	return address;
}

void sio_read_query(struct lws *wsi, eio_query *q) {
	memset(q, 0, sizeof(*q));
	const char *eio = urlarg(wsi, "EIO=", q->eio_buf, sizeof(q->eio_buf));
	q->eio4 = eio != NULL && strcmp(eio, "4") == 0;
	q->transport = urlarg(wsi, "transport=", q->transport_buf, sizeof(q->transport_buf));
	q->sid = urlarg(wsi, "sid=", q->sid_buf, sizeof(q->sid_buf));
}

/* Validates an Engine.IO request; on error answers it and returns FALSE. */
static gboolean check_query(struct lws *wsi, sio_wsi *w, const eio_query *q, const char *want_transport) {
	sio_server *server = lws_context_user(lws_get_context(wsi));
	if(!q->eio4) {
		respond_eio_error(wsi, w, SIO_EIO_UNSUPPORTED_PROTOCOL_VERSION);
	} else if(q->transport == NULL || (strcmp(q->transport, "polling") != 0 && strcmp(q->transport, "websocket") != 0)) {
		respond_eio_error(wsi, w, SIO_EIO_UNKNOWN_TRANSPORT);
	} else if(strcmp(q->transport, want_transport) != 0) {
		/* e.g. transport=websocket without an Upgrade header */
		respond_eio_error(wsi, w, SIO_EIO_BAD_REQUEST);
	} else {
		return TRUE;
	}
	if(q->sid == NULL)
		STAT_ADD(server, rejected_handshakes, 1);
	return FALSE;
}

static int handle_poll(struct lws *wsi, sio_wsi *w, sio_conn *conn) {
	if(conn->poll_wsi != NULL) {
		/* Two GETs at once: the reference server ends the session. */
		respond_eio_error(wsi, w, SIO_EIO_BAD_REQUEST);
		sio_conn_destroy(conn, "overlapping GET");
		return 0;
	}
	w->role = WSI_POLL;
	w->conn = conn;
	conn->poll_wsi = wsi;
	/* lws gives every request timeout_secs (5 s) to be answered; a held GET
	 * waits for the next packet, the ping at the latest, and the session's
	 * heartbeat alone decides when a silent client is gone. */
	lws_set_timeout(wsi, NO_PENDING_TIMEOUT, 0);
	sio_conn_flush(conn);
	return 0;
}

/* Refuses a request whose body is not read, closing the connection after. */
static void respond_and_close(struct lws *wsi, sio_wsi *w, unsigned int status, const char *text) {
	w->close_after = TRUE;
	w->body_unread = TRUE;
	respond(wsi, w, status, "text/plain", text, strlen(text));
}

static int handle_post_start(struct lws *wsi, sio_wsi *w, sio_conn *conn) {
	sio_server *server = conn->server;
	char *encoding = sio_header(wsi, WSI_TOKEN_HTTP_TRANSFER_ENCODING);
	if(encoding != NULL) {
		gboolean chunked = sio_transfer_encoding_chunked(encoding);
		g_free(encoding);
		if(!chunked) {
			respond_and_close(wsi, w, 501, "Not Implemented");
			return 0;
		}
		/* lws 4.1 passes a chunked body on undecoded and never ends it, so it
		 * is decoded here; lws still waits for more, so the connection closes
		 * after the answer (as RFC 9112 asks anyway when Content-Length came too). */
		w->chunked = TRUE;
		w->close_after = TRUE;
		http_chunked_init(&w->chunks);
	}
	char *content_type = sio_header(wsi, WSI_TOKEN_HTTP_CONTENT_TYPE);
	gboolean binary = content_type != NULL && g_str_has_prefix(content_type, "application/octet-stream");
	g_free(content_type);
	char *length_text = w->chunked ? NULL : sio_header(wsi, WSI_TOKEN_HTTP_CONTENT_LENGTH);
	guint64 length = length_text ? g_ascii_strtoull(length_text, NULL, 10) : 0;
	g_free(length_text);
	if(conn->post_wsi != NULL || binary) {
		respond_eio_error(wsi, w, SIO_EIO_BAD_REQUEST);
		sio_conn_destroy(conn, binary ? "binary POST" : "overlapping POST");
		return 0;
	}
	if(length > server->config->max_payload) {
		respond_and_close(wsi, w, 413, "Payload Too Large");
		sio_conn_destroy(conn, "POST over maxPayload");
		return 0;
	}
	w->role = WSI_POST;
	w->conn = conn;
	w->rx = g_byte_array_new();
	conn->post_wsi = wsi;
	/* A body that trickles in forever gives up its connection. */
	lws_set_timeout(wsi, PENDING_TIMEOUT_HTTP_CONTENT,
		(int)((server->config->ping_interval + server->config->ping_timeout) / 1000 + 1));
	return 0;
}

static int handle_post_complete(struct lws *wsi, sio_wsi *w);

/* A POST body over maxPayload: the reference server drops the session too. */
static void post_too_large(struct lws *wsi, sio_wsi *w) {
	sio_conn *conn = w->conn;
	g_byte_array_set_size(w->rx, 0);
	if(conn != NULL) {
		conn->post_wsi = NULL;
		w->conn = NULL;
		sio_conn_destroy(conn, "POST over maxPayload");
	}
	respond_and_close(wsi, w, 413, "Payload Too Large");
}

static int handle_chunked_body(struct lws *wsi, sio_wsi *w, const void *in, size_t len) {
	sio_server *server = lws_context_user(lws_get_context(wsi));
	gsize used = 0;
	switch(http_chunked_feed(&w->chunks, in, len, w->rx, server->config->max_payload, &used)) {
		case HTTP_CHUNKED_MORE:
			return 0;
		case HTTP_CHUNKED_DONE:
			/* What follows the body (a pipelined request) is not read: we close. */
			return handle_post_complete(wsi, w);
		case HTTP_CHUNKED_TOO_LARGE:
			post_too_large(wsi, w);
			return 0;
		case HTTP_CHUNKED_ERROR:
			break;
	}
	/* Broken HTTP framing, not an Engine.IO error: the session goes on. */
	if(w->conn != NULL)
		w->conn->post_wsi = NULL;
	w->conn = NULL;
	respond_and_close(wsi, w, 400, "Bad Request");
	return 0;
}

static int handle_post_body(struct lws *wsi, sio_wsi *w, const void *in, size_t len) {
	sio_server *server = lws_context_user(lws_get_context(wsi));
	if(w->role != WSI_POST)
		return 0;   /* the rest of a body already refused or answered */
	STAT_ADD(server, bytes_in, len);
	if(w->chunked)
		return handle_chunked_body(wsi, w, in, len);
	w->rx_total += len;
	if(w->rx_total > server->config->max_payload) {
		post_too_large(wsi, w);
		return 0;
	}
	/* A session that ended meanwhile gets "unknown sid" at the end; drop its data. */
	if(w->conn != NULL)
		g_byte_array_append(w->rx, in, (guint)len);
	return 0;
}

/* The end of a POST body whose answer is still queued. lws 4.1 delivers the
 * completion of a pipelined POST (its body already buffered behind the
 * previous request) over and over without ever writing: the service thread
 * would spin. The answer goes out now and the connection closes. */
static int post_complete_again(struct lws *wsi, sio_wsi *w) {
	sio_server *server = lws_context_user(lws_get_context(wsi));
	w->close_after = TRUE;
	sio_write_response(server, wsi, w, w->status, w->content_type, w->body->str, w->body->len, NULL);
	sio_wsi_reset(w);
	return -1;
}

static int handle_post_complete(struct lws *wsi, sio_wsi *w) {
	sio_conn *conn = w->conn;
	if(w->role == WSI_RESPONSE)
		return post_complete_again(wsi, w);
	if(w->role != WSI_POST)
		return 0;
	lws_set_timeout(wsi, NO_PENDING_TIMEOUT, 0);
	if(conn == NULL) {
		respond_eio_error(wsi, w, SIO_EIO_UNKNOWN_SID);
		return 0;
	}
	conn->post_wsi = NULL;
	w->conn = NULL;
	GError *error = NULL;
	GPtrArray *packets = eio_decode_payload((const char *)w->rx->data, w->rx->len, MAX_PACKETS_PER_PAYLOAD, &error);
	if(packets == NULL) {
		JANUS_LOG(LOG_VERB, "[socketio] %s: bad payload: %s\n", conn->sid, error->message);
		g_error_free(error);
		respond_eio_error(wsi, w, SIO_EIO_BAD_REQUEST);
		if(w->rx->len > 0 && w->rx->data[0] == 'P') {
			/* lws 4.1 hands a POST that came in the same read as the request
			 * before it on its connection the start of its own request line as
			 * its body ("PO"); no Engine.IO payload starts with a letter but "b".
			 * The session is not to blame: the connection closes, and the client
			 * may send it again on a new one. */
			w->close_after = TRUE;
			return 0;
		}
		sio_conn_destroy(conn, "parse error");
		return 0;
	}
	for(guint i = 0; i < packets->len; i++) {
		if(!sio_conn_receive(conn, g_ptr_array_index(packets, i), EIO_VIA_POLLING, wsi))
			break;
	}
	g_ptr_array_unref(packets);
	respond(wsi, w, 200, "text/html", "ok", 2);
	return 0;
}

static int handle_engineio_http(struct lws *wsi, sio_wsi *w, int method) {
	sio_server *server = lws_context_user(lws_get_context(wsi));
	eio_query q;
	sio_read_query(wsi, &q);
	if(method == LWSHUMETH_OPTIONS) {
		/* As the reference server: whatever headers the page wants to send
		 * (socket.io-client's extraHeaders), if they are only names. */
		char *requested = sio_header(wsi, WSI_TOKEN_HTTP_AC_REQUEST_HEADERS);
		if(requested == NULL || !sio_header_names_safe(requested)) {
			g_free(requested);
			requested = g_strdup("content-type");
		}
		w->allow_headers = requested;
		w->role = WSI_RESPONSE;
		w->status = 204;
		w->content_type = "text/plain";
		w->body = g_string_new(NULL);
		lws_callback_on_writable(wsi);
		return 0;
	}
	if(!check_query(wsi, w, &q, "polling"))
		return 0;
	if(q.sid == NULL) {
		if(method != LWSHUMETH_GET) {
			STAT_ADD(server, rejected_handshakes, 1);
			respond_eio_error(wsi, w, SIO_EIO_BAD_HANDSHAKE_METHOD);
			return 0;
		}
		char *address = sio_client_address(server, wsi);
		sio_limit why = sio_admission_session_open(server->admission, address);
		if(why != SIO_LIMIT_OK) {
			g_free(address);
			STAT_ADD(server, rejected_handshakes, 1);
			respond_refusal(wsi, w, why);
			return 0;
		}
		sio_conn *conn = sio_conn_new(server, EIO_TRANSPORT_POLLING, address);
		JANUS_LOG(LOG_VERB, "[socketio] %s opened (polling)\n", conn->sid);
		return handle_poll(wsi, w, conn);
	}
	sio_conn *conn = g_hash_table_lookup(server->conns, q.sid);
	if(conn == NULL) {
		respond_eio_error(wsi, w, SIO_EIO_UNKNOWN_SID);
		return 0;
	}
	if(conn->eio->transport != EIO_TRANSPORT_POLLING && !(method == LWSHUMETH_GET && conn->closing)) {
		respond_eio_error(wsi, w, SIO_EIO_BAD_REQUEST);
		return 0;
	}
	if(method == LWSHUMETH_GET)
		return handle_poll(wsi, w, conn);
	if(method == LWSHUMETH_POST)
		return handle_post_start(wsi, w, conn);
	respond_eio_error(wsi, w, SIO_EIO_BAD_REQUEST);
	return 0;
}

/* ---- /metrics and /healthz ------------------------------------------- */

static void metrics_janus(void *owner, json_t *request) {
	sio_server *server = owner;
	server->hooks->peer_request(server->probe_peer, request, FALSE);
}

static void metrics_respond(void *owner, void *request, unsigned int status, const char *content_type, const char *body) {
	(void)owner;
	respond(request, lws_wsi_user(request), status, content_type, body, strlen(body));
}

static json_t *metrics_families(void *owner) {
	sio_server *server = owner;
	sio_server_stats stats;
	sio_server_get_stats(server, &stats);
	return sio_stats_families(&stats, server->acks);
}

static const char *metrics_unavailable(void *owner) {
	sio_server *server = owner;
	if(g_atomic_int_get(&server->draining))
		return "shutting down";
	sio_server_stats stats;
	sio_server_get_stats(server, &stats);
	return stats.polling + stats.websocket >= stats.max_connections ? "server full" : NULL;
}

static const sio_metrics_ops metrics_ops = {
	.janus = metrics_janus,
	.respond = metrics_respond,
	.families = metrics_families,
	.unavailable = metrics_unavailable,
};

/* Whether a connection came to the metrics' own listener (metrics.port). */
gboolean sio_on_metrics_vhost(sio_server *server, struct lws *wsi) {
	return server->metrics_vhost != NULL && lws_get_vhost(wsi) == server->metrics_vhost;
}

/* /metrics and /healthz where they are served, and nothing else on their
 * own listener: TRUE if the request is taken care of here. */
static gboolean handle_metrics(struct lws *wsi, sio_wsi *w, const char *path, int method) {
	sio_server *server = lws_context_user(lws_get_context(wsi));
	gboolean own_vhost = sio_on_metrics_vhost(server, wsi);
	sio_metrics_page page = server->metrics != NULL && (own_vhost || server->config->metrics_port == 0) ?
		sio_metrics_route(server->metrics, path) : SIO_PAGE_NONE;
	if(page == SIO_PAGE_NONE) {
		if(own_vhost)
			respond(wsi, w, 404, "text/plain", "Not Found", 9);
		return own_vhost;
	}
	if(method != LWSHUMETH_GET) {
		respond(wsi, w, 405, "text/plain", "Method Not Allowed", 18);
		return TRUE;
	}
	w->role = WSI_METRICS;
	sio_metrics_request(server->metrics, wsi, page, g_get_monotonic_time());
	return TRUE;
}

static int handle_http(struct lws *wsi, sio_wsi *w, const char *path) {
	sio_server *server = lws_context_user(lws_get_context(wsi));
	sio_wsi_reset(w);
	char *version = sio_header(wsi, WSI_TOKEN_HTTP), *connection = sio_header(wsi, WSI_TOKEN_CONNECTION);
	w->keep_alive = sio_http_keep_alive(version, connection);
	g_free(version);
	g_free(connection);
	char *uri = NULL;
	int uri_len = 0;
	int method = lws_http_get_uri_and_method(wsi, &uri, &uri_len);
	if(handle_metrics(wsi, w, path, method))
		return 0;
	char *origin = sio_header(wsi, WSI_TOKEN_ORIGIN);
	if(sio_path_is_endpoint(server->config->path, path)) {
		if(!sio_origin_allowed(server->config->allow_origins, origin)) {
			g_free(origin);
			STAT_ADD(server, rejected_handshakes, 1);
			respond_eio_error(wsi, w, SIO_EIO_FORBIDDEN);
			return 0;
		}
		/* As the Node server's cors { origin: "*" }: a page allowed only by
		 * "*" gets "*" and no credentials; listed origins get both. */
		if(origin != NULL && !sio_origin_listed(server->config->allow_origins, origin)) {
			g_free(origin);
			origin = g_strdup("*");
		}
		w->origin = origin;
		return handle_engineio_http(wsi, w, method);
	}
	g_free(origin);
	if(method == LWSHUMETH_GET && server->config->demo_folder[0] != '\0') {
		char *file = sio_static_file(server->config->demo_folder, path);
		if(file != NULL && sio_file_inside(server->config->demo_folder, file)) {
			w->role = WSI_FILE;
			int rc = lws_serve_http_file(wsi, file, sio_mime_type(file), NULL, 0);
			g_free(file);
			if(rc < 0)
				return -1;
			return rc > 0 ? (lws_http_transaction_completed(wsi) ? -1 : 0) : 0;
		}
		g_free(file);
	}
	respond(wsi, w, 404, "text/plain", "Not Found", 9);
	return 0;
}

static int write_poll(sio_server *server, struct lws *wsi, sio_wsi *w) {
	sio_conn *conn = w->conn;
	GString *payload = NULL;
	if(conn == NULL) {
		/* The session ended (close) or upgraded (noop) while this GET waited. */
		payload = g_string_new(NULL);
		eio_packet packet = { .type = w->session_closed ? EIO_CLOSE : EIO_NOOP, .data = g_bytes_new_static("", 0) };
		eio_encode_payload_append(payload, &packet);
		g_bytes_unref(packet.data);
	} else {
		payload = eio_session_take_payload(conn->eio);
		if(payload == NULL)
			return 0;   /* nothing yet: keep holding */
		conn->poll_wsi = NULL;
	}
	w->conn = NULL;
	int rc = sio_write_response(server, wsi, w, 200, "text/plain; charset=UTF-8", payload->str, payload->len, NULL);
	g_string_free(payload, TRUE);
	if(conn != NULL && conn->closing && !eio_session_has_output(conn->eio))
		sio_conn_destroy(conn, "closed");
	if(rc != 0)
		return -1;
	return transaction_done(wsi, w);
}

/* ---- cross-thread work and timers ------------------------------------ */

static void inbox_item_free(inbox_item *item, const sio_server_hooks *hooks) {
	hooks->peer_unref(item->peer);
	json_decref(item->message);
	g_free(item);
}

static void drain_inbox(sio_server *server) {
	/* Cleared first: whatever is posted from now on asks for a new wake-up. */
	g_atomic_int_set(&server->wake_pending, 0);
	inbox_item *item;
	while((item = g_async_queue_try_pop(server->inbox)) != NULL) {
		gboolean probe = item->peer == server->probe_peer;
		sio_conn *conn = probe ? NULL : server->hooks->peer_conn(item->peer);
		if(probe) {
			if(item->kind == INBOX_MESSAGE)
				sio_metrics_janus(server->metrics, item->message);
			else
				sio_metrics_session_over(server->metrics, item->session_id);
		} else if(conn != NULL) {
			char sid[EIO_SID_LEN + 1];
			memcpy(sid, conn->sid, sizeof(sid));
			if(item->kind == INBOX_MESSAGE)
				sio_socket_janus_message(conn->socket, item->message);
			else
				sio_socket_session_over(conn->socket, item->session_id, item->timeout);
			/* Its timers may have moved (connected, a keepalive answered...). */
			if(conn_alive(server, sid, conn))
				conn_schedule(conn);
		}
		inbox_item_free(item, server->hooks);
	}
}

/* A connection's deadline passed: heartbeat, pong timeout, upgrade or closing. */
static void conn_timer(sio_conn *conn, gint64 now) {
	if(conn->closing) {
		sio_conn_destroy(conn, "closed (client gone)");
		return;
	}
	switch(eio_session_tick(conn->eio, now)) {
		case EIO_TICK_NONE:
			break;
		case EIO_TICK_OUTPUT:
			sio_conn_flush(conn);
			break;
		case EIO_TICK_TIMEOUT:
			sio_conn_destroy(conn, "ping timeout");
			return;
		case EIO_TICK_UPGRADE_EXPIRED:
			detach_wsi(conn->probe_wsi, DETACH_KILL);
			conn->probe_wsi = NULL;
			break;
	}
	if(sio_socket_next_deadline(conn->socket) <= now && !sio_socket_tick(conn->socket, now))
		return;
	conn_schedule(conn);
}

static void run_timers(uv_timer_t *timer) {
	sio_server *server = lws_container_of(timer, sio_server, timers_timer);
	server->timers_due = 0;
	gint64 now = g_get_monotonic_time();
	GSequenceIter *first;
	while(!g_sequence_iter_is_end(first = g_sequence_get_begin_iter(server->timers))) {
		sio_conn *conn = g_sequence_get(first);
		if(conn->deadline > now)
			break;
		g_sequence_remove(first);
		conn->timer = NULL;
		conn_timer(conn, now);
	}
	timers_rearm(server);
}

/* Sockets whose client is gone (a few, for seconds) and the metrics need no
 * precision; connections have their deadlines (run_timers). */
static void tick(uv_timer_t *timer) {
	sio_server *server = lws_container_of(timer, sio_server, tick);
	gint64 now = g_get_monotonic_time();
	GList *lingering = g_hash_table_get_keys(server->lingering);
	for(GList *l = lingering; l != NULL; l = l->next)
		sio_socket_tick(((sio_conn *)l->data)->socket, now);
	g_list_free(lingering);
	if(server->metrics != NULL)
		sio_metrics_tick(server->metrics, now);
}

/* ---- the libwebsockets callback -------------------------------------- */

static int callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in, size_t len) {
	sio_server *server = lws_context_user(lws_get_context(wsi));
	sio_wsi *w = user;
	switch(reason) {
		case LWS_CALLBACK_EVENT_WAIT_CANCELLED:
			drain_inbox(server);
			return 0;
		case LWS_CALLBACK_HTTP:
			STAT_ADD(server, bytes_in, lws_hdr_total_length(wsi, WSI_TOKEN_GET_URI) +
				lws_hdr_total_length(wsi, WSI_TOKEN_POST_URI));
			return handle_http(wsi, w, in ? (const char *)in : "/");
		case LWS_CALLBACK_HTTP_BODY:
			return handle_post_body(wsi, w, in, len);
		case LWS_CALLBACK_HTTP_BODY_COMPLETION:
			return handle_post_complete(wsi, w);
		case LWS_CALLBACK_HTTP_WRITEABLE:
			if(w == NULL)
				return 0;
			if(w->role == WSI_POLL)
				return write_poll(server, wsi, w);
			if(w->role == WSI_RESPONSE) {
				/* Set for preflights only. */
				if(sio_write_response(server, wsi, w, w->status, w->content_type, w->body->str, w->body->len, w->allow_headers))
					return -1;
				return transaction_done(wsi, w);
			}
			return 0;
		case LWS_CALLBACK_HTTP_FILE_COMPLETION:
			sio_wsi_reset(w);
			return lws_http_transaction_completed(wsi) ? -1 : 0;
		case LWS_CALLBACK_CLOSED_HTTP:
			if(w != NULL && w->role == WSI_METRICS)
				sio_metrics_forget(server->metrics, wsi);
			if(w != NULL && w->conn != NULL) {
				sio_conn *conn = w->conn;
				if(conn->post_wsi == wsi)
					conn->post_wsi = NULL;
				if(conn->poll_wsi == wsi) {
					/* As the reference server: a GET dropped early ends the session. */
					conn->poll_wsi = NULL;
					w->conn = NULL;
					sio_conn_destroy(conn, "poll connection closed prematurely");
				}
			}
			if(w != NULL)
				sio_wsi_reset(w);
			return 0;
		case LWS_CALLBACK_FILTER_NETWORK_CONNECTION:
			return sio_admission_filter(server->admission, user);
		case LWS_CALLBACK_WSI_CREATE:
			sio_admission_wsi_created(server->admission, wsi);
			return 0;
		case LWS_CALLBACK_WSI_DESTROY:
			sio_admission_wsi_destroyed(server->admission, wsi);
			return 0;
		case LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION:
			return sio_ws_filter(wsi);
		case LWS_CALLBACK_ESTABLISHED:
			return sio_ws_established(wsi, w);
		case LWS_CALLBACK_RECEIVE:
			return sio_ws_receive(wsi, w, in, len);
		case LWS_CALLBACK_SERVER_WRITEABLE:
			return sio_ws_writeable(wsi, w);
		case LWS_CALLBACK_CLOSED:
			sio_ws_closed(wsi, w);
			return 0;
		default:
			break;
	}
	return lws_callback_http_dummy(wsi, reason, user, in, len);
}

/* ---- life cycle ------------------------------------------------------ */

static void *service_thread(void *data) {
	sio_server *server = data;
	while(!g_atomic_int_get(&server->stopping))
		uv_run(&server->loop, UV_RUN_ONCE);
	return NULL;
}

static void lws_log(int level, const char *line) {
	if(level == LLL_ERR)
		JANUS_LOG(LOG_ERR, "[socketio] libwebsockets: %s", line);
	else
		JANUS_LOG(LOG_WARN, "[socketio] libwebsockets: %s", line);
}

/* The metrics' own plain HTTP listener (metrics.port). */
static gboolean metrics_listen(sio_server *server) {
	struct lws_context_creation_info info;
	memset(&info, 0, sizeof(info));
	info.vhost_name = "metrics";
	info.port = (int)server->config->metrics_port;
	info.iface = server->config->metrics_interface[0] != '\0' ? server->config->metrics_interface : NULL;
	info.protocols = server->protocols;
	info.options = LWS_SERVER_OPTION_FAIL_UPON_UNABLE_TO_BIND;
	server->metrics_vhost = lws_create_vhost(server->context, &info);
	return server->metrics_vhost != NULL;
}

/* On a foreign loop lws closes its handles asynchronously: the loop runs
 * until they are closed, then a second call frees the context (lws clears
 * server->context, its pcontext, when it is gone). On the caller's thread,
 * once the service thread is gone. */
static void context_destroy(sio_server *server) {
	uv_close((uv_handle_t *)&server->tick, NULL);
	uv_close((uv_handle_t *)&server->timers_timer, NULL);
	lws_context_destroy(server->context);
	uv_run(&server->loop, UV_RUN_DEFAULT);
	lws_context_destroy(server->context);
	uv_run(&server->loop, UV_RUN_DEFAULT);
	uv_loop_close(&server->loop);
}

sio_server *sio_server_start(const sio_transport_config *config, const sio_server_hooks *hooks, char **error) {
	*error = sio_transport_config_clash(config);
	if(*error != NULL)
		return NULL;
	sio_server *server = g_new0(sio_server, 1);
	server->config = config;
	server->hooks = hooks;
	server->eio_config.ping_interval_us = (gint64)config->ping_interval * 1000;
	server->eio_config.ping_timeout_us = (gint64)config->ping_timeout * 1000;
	server->eio_config.max_payload = config->max_payload;
	/* Room for a burst of replies, but a client that never reads can't grow it forever. */
	server->eio_config.max_queued_bytes = MAX(4 * config->max_payload, 4 * 1024 * 1024);
	if(oicall_auth_wanted(config->auth_mode, config->auth_secret)) {
		if(strlen(config->auth_secret) < OICALL_AUTH_MIN_SECRET_LEN)
			JANUS_LOG(LOG_ERR, "[socketio] auth.enabled without an auth.secret of at least %d characters: "
				"every connection will be refused\n", OICALL_AUTH_MIN_SECRET_LEN);
		server->auth_secret = oicall_auth_secret_in_force(config->auth_secret);
	}
	server->admission = sio_admission_new(config);
	server->acks = sio_ack_stats_new();
	server->inbox = g_async_queue_new();
	server->ws_frame = g_byte_array_new();
	server->conns = g_hash_table_new(g_str_hash, g_str_equal);
	server->lingering = g_hash_table_new(NULL, NULL);
	server->timers = g_sequence_new(NULL);
	server->protocols[0] = (struct lws_protocols){
		.name = "socketio",
		.callback = callback,
		.per_session_data_size = sizeof(sio_wsi),
		.rx_buffer_size = 16384,
	};

	lws_set_log_level(LLL_ERR | LLL_WARN, lws_log);
	/* No lws "validity" pings: Engine.IO has its heartbeat. lws's default
	 * pinged every WebSocket idle for 5 minutes, all in the same second, each
	 * a timer in a sorted list (a third of a core for a minute at 20,000). */
	static const lws_retry_bo_t no_validity_pings = { .secs_since_valid_ping = 0, .secs_since_valid_hangup = 0 };
	struct lws_context_creation_info info;
	memset(&info, 0, sizeof(info));
	info.retry_and_idle_policy = &no_validity_pings;
	info.port = (int)config->port;
	info.iface = config->interface[0] != '\0' ? config->interface : NULL;
	info.protocols = server->protocols;
	info.user = server;
	info.count_threads = 1;
	info.options = LWS_SERVER_OPTION_FAIL_UPON_UNABLE_TO_BIND | LWS_SERVER_OPTION_VALIDATE_UTF8;
	info.max_http_header_data = 4096;
	/* One vhost for Socket.IO, maybe another for the metrics. */
	info.options |= LWS_SERVER_OPTION_EXPLICIT_VHOSTS;
	if(config->tls) {
		info.options |= LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
		info.ssl_cert_filepath = config->cert_pem;
		info.ssl_private_key_filepath = config->cert_key;
		info.ssl_private_key_password = config->cert_pwd[0] != '\0' ? config->cert_pwd : NULL;
		/* TLS 1.3's suites are all AEAD with forward secrecy; 1.2 gets the configured list. */
		info.ssl_cipher_list = config->tls_ciphers;
		info.ssl_options_set = SSL_OP_NO_SSLv3 | SSL_OP_NO_TLSv1 | SSL_OP_NO_TLSv1_1 | SSL_OP_CIPHER_SERVER_PREFERENCE |
			(strcmp(config->tls_min_version, "1.3") == 0 ? SSL_OP_NO_TLSv1_2 : 0);
		info.alpn = "http/1.1";
	}
	uv_loop_init(&server->loop);
	uv_timer_init(&server->loop, &server->tick);
	uv_timer_init(&server->loop, &server->timers_timer);
	void *loops[] = { &server->loop };
	info.options |= LWS_SERVER_OPTION_LIBUV;
	info.foreign_loops = loops;
	info.pcontext = &server->context;
	server->context = lws_create_context(&info);
	if(server->context == NULL || lws_create_vhost(server->context, &info) == NULL) {
		*error = g_strdup_printf("cannot listen on %s:%" G_GUINT64_FORMAT "%s",
			config->interface[0] ? config->interface : "*", config->port, config->tls ? " (check the TLS files)" : "");
	} else if(config->metrics && config->metrics_port != 0 && !metrics_listen(server)) {
		*error = g_strdup_printf("cannot listen on %s:%" G_GUINT64_FORMAT " (metrics.port)",
			config->metrics_interface[0] ? config->metrics_interface : "*", config->metrics_port);
	}
	if(*error != NULL) {
		context_destroy(server);
		sio_ack_stats_free(server->acks);
		g_async_queue_unref(server->inbox);
		g_byte_array_unref(server->ws_frame);
		g_hash_table_destroy(server->conns);
		g_hash_table_destroy(server->lingering);
		g_sequence_free(server->timers);
		sio_admission_free(server->admission);
		g_free(server->auth_secret);
		g_free(server);
		return NULL;
	}
	if(config->metrics) {
		server->metrics = sio_metrics_new(config, &metrics_ops, server);
		server->probe_peer = hooks->peer_open(NULL);
	}
	uv_timer_start(&server->tick, tick, TICK_MS, TICK_MS);
	server->thread = g_thread_new("socketio lws", service_thread, server);
	return server;
}

void sio_server_stop(sio_server *server) {
	if(server == NULL)
		return;
	if(server->metrics != NULL && server->config->drain_time > 0) {
		/* Load balancers see /healthz fail and take this node out before it goes. */
		JANUS_LOG(LOG_INFO, "[socketio] stopping in %" G_GUINT64_FORMAT " ms (metrics.drain_time)\n",
			server->config->drain_time);
		g_atomic_int_set(&server->draining, 1);
		g_usleep(server->config->drain_time * 1000);
	}
	g_atomic_int_set(&server->stopping, 1);
	lws_cancel_service(server->context);
	g_thread_join(server->thread);
	/* Closing wsis call back into us on this thread; connections go with them. */
	GList *conns = g_hash_table_get_values(server->conns);
	for(GList *l = conns; l != NULL; l = l->next)
		sio_conn_destroy(l->data, "shutting down");
	g_list_free(conns);
	/* Nobody answers "disconnect" any more. */
	GList *lingering = g_hash_table_get_keys(server->lingering);
	for(GList *l = lingering; l != NULL; l = l->next)
		conn_free(l->data);
	g_list_free(lingering);
	if(server->probe_peer != NULL)
		server->hooks->peer_close(server->probe_peer, SIO_SESSION_UNKNOWN);
	context_destroy(server);
	inbox_item *item;
	while((item = g_async_queue_try_pop(server->inbox)) != NULL)
		inbox_item_free(item, server->hooks);
	g_async_queue_unref(server->inbox);
	g_byte_array_unref(server->ws_frame);
	g_hash_table_destroy(server->conns);
	g_hash_table_destroy(server->lingering);
	g_sequence_free(server->timers);
	sio_admission_free(server->admission);
	sio_metrics_free(server->metrics);
	sio_ack_stats_free(server->acks);
	g_free(server->auth_secret);
	g_free(server);
}

static void post(sio_server *server, inbox_item *item) {
	g_async_queue_push(server->inbox, item);
	/* One wake-up per batch: the service thread drains everything it finds. */
	if(g_atomic_int_compare_and_exchange(&server->wake_pending, 0, 1))
		lws_cancel_service(server->context);
}

void sio_server_post_message(sio_server *server, void *peer, json_t *message) {
	inbox_item *item = g_new0(inbox_item, 1);
	item->kind = INBOX_MESSAGE;
	item->peer = peer;
	item->message = message;
	post(server, item);
}

void sio_server_post_session_over(sio_server *server, void *peer, guint64 session_id, gboolean timeout) {
	inbox_item *item = g_new0(inbox_item, 1);
	item->kind = INBOX_SESSION_OVER;
	item->peer = peer;
	item->session_id = session_id;
	item->timeout = timeout;
	post(server, item);
}
