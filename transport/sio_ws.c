/*
 * The WebSocket transport of the Socket.IO server: the handshake checked
 * (origin, Engine.IO version, sid, admission limits), a new session or the
 * upgrade probe of a polling one, frames in and out. Service thread only.
 */
#include <string.h>

#include <janus/debug.h>

#include "http_util.h"
#include "sio_internal.h"

/* Packets written per WebSocket writable callback, for fairness. */
#define WS_WRITES_PER_CALLBACK 32

/* A refused WebSocket handshake gets the reference server's answer (400,
 * the message as text) before the connection closes. */
static void refuse_upgrade(struct lws *wsi, unsigned int status, const char *message) {
	sio_server *server = lws_context_user(lws_get_context(wsi));
	sio_wsi answer = { .close_after = TRUE };
	sio_write_response(server, wsi, &answer, status, "text/html", message, strlen(message), NULL);
}

/* Whether a WebSocket handshake may go on; FALSE: refused (or not ours). */
static gboolean ws_check(struct lws *wsi, sio_server *server) {
	char path[256];
	if(sio_on_metrics_vhost(server, wsi) || lws_hdr_copy(wsi, path, sizeof(path), WSI_TOKEN_GET_URI) < 0 || !sio_path_is_endpoint(server->config->path, path))
		return FALSE;
	char *origin = sio_header(wsi, WSI_TOKEN_ORIGIN);
	gboolean allowed = sio_origin_allowed(server->config->allow_origins, origin);
	g_free(origin);
	eio_query q;
	sio_read_query(wsi, &q);
	sio_eio_error error;
	if(!allowed) {
		error = SIO_EIO_FORBIDDEN;
	} else if(!q.eio4) {
		error = SIO_EIO_UNSUPPORTED_PROTOCOL_VERSION;
	} else if(q.transport == NULL || strcmp(q.transport, "websocket") != 0) {
		error = q.transport != NULL && strcmp(q.transport, "polling") == 0 ? SIO_EIO_BAD_REQUEST : SIO_EIO_UNKNOWN_TRANSPORT;
	} else if(q.sid == NULL) {
		char *address = sio_client_address(server, wsi);
		sio_limit why = sio_admission_session_check(server->admission, address);
		g_free(address);
		if(why == SIO_LIMIT_OK)
			return TRUE;
		STAT_ADD(server, rejected_handshakes, 1);
		refuse_upgrade(wsi, 503, sio_admission_refusal(why));
		return FALSE;
	} else {
		sio_conn *conn = g_hash_table_lookup(server->conns, q.sid);
		if(conn != NULL && conn->eio->transport == EIO_TRANSPORT_POLLING && conn->probe_wsi == NULL && !conn->closing)
			return TRUE;
		error = conn == NULL ? SIO_EIO_UNKNOWN_SID : SIO_EIO_BAD_REQUEST;
	}
	if(q.sid == NULL)
		STAT_ADD(server, rejected_handshakes, 1);
	refuse_upgrade(wsi, 400, sio_eio_error_message(error));
	return FALSE;
}

int sio_ws_filter(struct lws *wsi) {
	return ws_check(wsi, lws_context_user(lws_get_context(wsi))) ? 0 : 1;
}

int sio_ws_established(struct lws *wsi, sio_wsi *w) {
	sio_server *server = lws_context_user(lws_get_context(wsi));
	memset(w, 0, sizeof(*w));
	w->role = WSI_WS;
	eio_query q;
	sio_read_query(wsi, &q);
	if(q.sid != NULL) {
		sio_conn *conn = g_hash_table_lookup(server->conns, q.sid);
		if(conn == NULL || conn->probe_wsi != NULL || conn->eio->transport != EIO_TRANSPORT_POLLING)
			return -1;  /* it went away between filter and now */
		conn->probe_wsi = wsi;
		w->conn = conn;
		return 0;
	}
	char *address = sio_client_address(server, wsi);
	if(sio_admission_session_open(server->admission, address) != SIO_LIMIT_OK) {
		g_free(address);    /* others took the last places since the handshake was checked */
		return -1;
	}
	sio_conn *conn = sio_conn_new(server, EIO_TRANSPORT_WEBSOCKET, address);
	JANUS_LOG(LOG_VERB, "[socketio] %s opened (websocket)\n", conn->sid);
	conn->ws_wsi = wsi;
	w->conn = conn;
	sio_conn_flush(conn);
	return 0;
}

int sio_ws_receive(struct lws *wsi, sio_wsi *w, const void *in, size_t len) {
	sio_conn *conn = w->conn;
	if(conn == NULL)
		return -1;
	sio_server *server = conn->server;
	STAT_ADD(server, bytes_in, len);
	if(lws_is_first_fragment(wsi)) {
		if(w->rx == NULL)
			w->rx = g_byte_array_new();
		g_byte_array_set_size(w->rx, 0);
		w->rx_binary = lws_frame_is_binary(wsi);
	}
	if(w->rx == NULL || w->rx->len + len > server->config->max_payload) {
		lws_close_reason(wsi, LWS_CLOSE_STATUS_MESSAGE_TOO_LARGE, NULL, 0);
		if(wsi == conn->ws_wsi) {
			conn->ws_wsi = NULL;
			w->conn = NULL;
			sio_conn_destroy(conn, "message over maxPayload");
		}
		return -1;
	}
	g_byte_array_append(w->rx, in, (guint)len);
	if(!lws_is_final_fragment(wsi) || lws_remaining_packet_payload(wsi) > 0)
		return 0;
	GError *error = NULL;
	eio_packet *packet = eio_decode_frame(w->rx->data, w->rx->len, w->rx_binary, &error);
	g_byte_array_set_size(w->rx, 0);
	if(packet == NULL) {
		JANUS_LOG(LOG_VERB, "[socketio] %s: bad frame: %s\n", conn->sid, error->message);
		g_error_free(error);
		lws_close_reason(wsi, LWS_CLOSE_STATUS_PROTOCOL_ERR, NULL, 0);
		if(wsi == conn->ws_wsi) {
			conn->ws_wsi = NULL;
			w->conn = NULL;
			sio_conn_destroy(conn, "parse error");
		}
		return -1;
	}
	sio_conn_receive(conn, packet, EIO_VIA_WEBSOCKET, wsi);
	eio_packet_free(packet);
	return w->conn == NULL ? -1 : 0;
}

static int ws_write_packet(sio_server *server, struct lws *wsi, const eio_packet *packet) {
	/* One buffer for every frame (lws copies what the kernel doesn't take),
	 * kept at the size of the largest frame written so far. */
	GByteArray *frame = server->ws_frame;
	g_byte_array_set_size(frame, LWS_PRE);
	gboolean binary = FALSE;
	eio_encode_frame(packet, frame, &binary);
	gsize len = frame->len - LWS_PRE;
	int written = lws_write(wsi, frame->data + LWS_PRE, len, binary ? LWS_WRITE_BINARY : LWS_WRITE_TEXT);
	if(written < (int)len)
		return -1;
	STAT_ADD(server, bytes_out, len);
	return 0;
}

/* Writes what the session has queued, up to WS_WRITES_PER_CALLBACK packets
 * (fairness) or until the kernel stops taking it all (lws keeps the rest,
 * lws_partial_buffered says so: what lws documents for several writes at
 * once). -1: the connection failed. */
static int ws_write_queued(sio_server *server, struct lws *wsi, sio_conn *conn) {
	for(int i = 0; i < WS_WRITES_PER_CALLBACK && !lws_partial_buffered(wsi); i++) {
		eio_packet *packet = eio_session_take_packet(conn->eio);
		if(packet == NULL)
			break;
		int rc = ws_write_packet(server, wsi, packet);
		eio_packet_free(packet);
		if(rc != 0)
			return -1;
	}
	return 0;
}

void sio_ws_flush(sio_conn *conn) {
	struct lws *wsi = conn->ws_wsi;
	/* At once while lws holds nothing back: a writable callback would cost
	 * two epoll_ctl() calls and a loop turn per packet. Closing goes through
	 * the callback, which may end the connection. */
	if(!conn->closing && ws_write_queued(conn->server, wsi, conn) < 0) {
		lws_set_timeout(wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC);
		return;
	}
	if(conn->closing || eio_session_has_output(conn->eio))
		lws_callback_on_writable(wsi);
}

int sio_ws_writeable(struct lws *wsi, sio_wsi *w) {
	sio_server *server = lws_context_user(lws_get_context(wsi));
	sio_conn *conn = w->conn;
	if(conn == NULL)
		return -1;
	if(w->probe_reply_due) {
		w->probe_reply_due = FALSE;
		eio_packet probe = { .type = EIO_PONG, .data = g_bytes_new_static("probe", 5) };
		int rc = ws_write_packet(server, wsi, &probe);
		g_bytes_unref(probe.data);
		return rc;
	}
	if(wsi != conn->ws_wsi)
		return 0;
	if(ws_write_queued(server, wsi, conn) < 0)
		return -1;
	if(eio_session_has_output(conn->eio)) {
		lws_callback_on_writable(wsi);
	} else if(conn->closing) {
		conn->ws_wsi = NULL;
		w->conn = NULL;
		sio_conn_destroy(conn, "closed");
		lws_close_reason(wsi, LWS_CLOSE_STATUS_NORMAL, NULL, 0);
		return -1;
	}
	return 0;
}

void sio_ws_closed(struct lws *wsi, sio_wsi *w) {
	sio_conn *conn = w->conn;
	if(conn != NULL) {
		if(conn->probe_wsi == wsi) {
			conn->probe_wsi = NULL;
			conn->eio->probing = FALSE;
			conn->eio->noop_due = FALSE;
		} else if(conn->ws_wsi == wsi) {
			conn->ws_wsi = NULL;
			sio_conn_destroy(conn, "transport close");
		}
	}
	sio_wsi_reset(w);
}
