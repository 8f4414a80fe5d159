/*
 * What the Socket.IO server's libwebsockets glue shares between its parts:
 * the server, an Engine.IO connection (sio_conn) and what each lws
 * connection carries (sio_wsi); the HTTP side (sio_server.c) and the
 * WebSocket side (sio_ws.c) use them on the service thread only.
 */
#ifndef OICALL_SIO_INTERNAL_H
#define OICALL_SIO_INTERNAL_H

#include <stdatomic.h>

#include <libwebsockets.h>
#include <uv.h>

#include "engineio_session.h"
#include "http_chunked.h"
#include "sio_admission.h"
#include "sio_metrics.h"
#include "sio_server.h"
#include "sio_stats.h"
#include "socketio_socket.h"

#define STAT_ADD(server, field, n) atomic_fetch_add_explicit(&(server)->stats.field, (n), memory_order_relaxed)

typedef enum wsi_role {
	WSI_IDLE,           /* an HTTP connection between requests */
	WSI_RESPONSE,       /* a complete answer waits for WRITEABLE */
	WSI_POLL,           /* a long-polling GET held open */
	WSI_POST,           /* receiving a polling POST body */
	WSI_FILE,           /* serving a demo file */
	WSI_WS,             /* a WebSocket (probing or upgraded) */
	WSI_METRICS,        /* /metrics or /healthz waiting for the plugin's figures */
} wsi_role;

typedef struct sio_wsi {
	wsi_role role;
	sio_conn *conn;
	unsigned int status;
	const char *content_type;
	GString *body;              /* WSI_RESPONSE */
	gboolean keep_alive;        /* the client keeps the connection for more requests */
	gboolean close_after;       /* drop the TCP connection after the answer */
	gboolean body_unread;       /* with close_after: part of the request body was never read */
	char *origin;               /* allowed Origin to echo in CORS headers, or "*" */
	char *allow_headers;        /* a preflight's answer to Access-Control-Request-Headers */
	GByteArray *rx;             /* POST body or WebSocket message */
	gboolean rx_binary;
	gsize rx_total;             /* POST bytes seen, kept or not */
	gboolean chunked;           /* the POST body comes with Transfer-Encoding: chunked */
	http_chunked chunks;
	gboolean probe_reply_due;   /* "3probe" to write */
	gboolean session_closed;    /* detached because its session ended */
} sio_wsi;

struct sio_conn {
	sio_server *server;
	char sid[EIO_SID_LEN + 1];
	eio_session *eio;           /* NULL once the client is gone (lingering) */
	sio_socket *socket;
	void *peer;
	struct lws *poll_wsi, *post_wsi, *ws_wsi, *probe_wsi;
	gboolean closing;
	gint64 closing_deadline;
	gboolean counted_as_session;
	gboolean overflowed;        /* the client stopped reading: dropped on the next loop */
	lws_sorted_usec_list_t reap;
	char *address;              /* the client's, as admission counted it */
	gint64 deadline;            /* when its Engine.IO timers next have work */
	GSequenceIter *timer;       /* its place in server->timers, NULL when none */
};

struct sio_server {
	const sio_transport_config *config;
	const sio_server_hooks *hooks;
	eio_session_config eio_config;
	struct lws_context *context;
	/* lws runs on this libuv loop (epoll): a poll() over every socket per
	 * wake-up cost a fifth of the thread under load. */
	uv_loop_t loop;
	GThread *thread;
	volatile gint stopping;
	volatile gint draining;     /* Janus is stopping: /healthz says so for metrics.drain_time first */
	GAsyncQueue *inbox;
	GByteArray *ws_frame;       /* the WebSocket frame being written (sio_ws.c) */
	volatile gint wake_pending;     /* a wake-up of the service thread is on its way */
	GHashTable *conns;          /* sid → sio_conn * with a client */
	GHashTable *lingering;      /* sio_conn * whose Janus session outlives the client */
	/* Our timers are libuv's, not lws's: lws arms its libuv timer in whole
	 * milliseconds rounded down, so a deadline less than 1 ms away spins its
	 * loop on 0 ms timeouts until it comes (half the thread with 12,000 idle
	 * sockets). */
	uv_timer_t tick;
	/* Each connection's next deadline (heartbeat, socket timers), soonest
	 * first, and one timer for the soonest: exact to the millisecond for
	 * any number of sessions at O(log n) per change. */
	GSequence *timers;
	uv_timer_t timers_timer;
	gint64 timers_due;          /* when timers_timer fires; 0 when not scheduled */
	/* Written on the service thread, read by query_transport on another. */
	struct {
		atomic_int polling, websocket, sessions;
		atomic_llong connections, rejected_handshakes;
		atomic_llong messages_in, messages_out, bytes_in, bytes_out;
		atomic_llong events_in, acks_out, events_out;
	} stats;
	struct lws_protocols protocols[2];
	char *auth_secret;          /* NULL: tokens not required */
	sio_admission *admission;
	/* /metrics and /healthz (NULL when off), on the Socket.IO vhost or one of their own. */
	sio_metrics *metrics;
	struct lws_vhost *metrics_vhost;
	void *probe_peer;           /* the Janus side of the transport's own session to the plugin */
	sio_ack_stats *acks;
	gboolean keepalives_logged; /* the core refused a session's set_session_timeout, which was logged */
};

/* An Engine.IO request's query (pointers into the buffers). */
typedef struct eio_query {
	gboolean eio4;
	const char *transport;
	const char *sid;
	char eio_buf[16], transport_buf[32], sid_buf[64];
} eio_query;

/* ---- sio_server.c, for the WebSocket side ---- */
void sio_wsi_reset(sio_wsi *w);
/* Writes a whole HTTP answer; nonzero when the connection must close. */
int sio_write_response(sio_server *server, struct lws *wsi, sio_wsi *w, unsigned int status,
	const char *content_type, const char *body, gsize len, const char *extra_allow);
gboolean sio_on_metrics_vhost(sio_server *server, struct lws *wsi);
char *sio_header(struct lws *wsi, enum lws_token_indexes token);
char *sio_client_address(sio_server *server, struct lws *wsi);
void sio_read_query(struct lws *wsi, eio_query *q);
/* A new Engine.IO session; takes address. */
sio_conn *sio_conn_new(sio_server *server, eio_transport transport, char *address);
void sio_conn_flush(sio_conn *conn);
void sio_conn_destroy(sio_conn *conn, const char *reason);
gboolean sio_conn_receive(sio_conn *conn, const eio_packet *packet, eio_via via, struct lws *wsi);

/* ---- sio_ws.c: the WebSocket transport, from the handshake on ---- */
int sio_ws_filter(struct lws *wsi);
int sio_ws_established(struct lws *wsi, sio_wsi *w);
int sio_ws_receive(struct lws *wsi, sio_wsi *w, const void *in, size_t len);
int sio_ws_writeable(struct lws *wsi, sio_wsi *w);
/* Sends what the connection's session has queued for its WebSocket. */
void sio_ws_flush(sio_conn *conn);
void sio_ws_closed(struct lws *wsi, sio_wsi *w);

#endif
