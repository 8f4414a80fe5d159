/*
 * janus.transport.socketio: a Socket.IO v4 server inside Janus.
 * This file holds the Janus transport callbacks only.
 */
#include <janus/transports/transport.h>
#include <janus/debug.h>
#include <janus/mutex.h>
#include <janus/refcount.h>

#include "../common/settings_janus.h"
#include "bridge.h"
#include "sio_server.h"
#include "socketio_socket.h"
#include "transport_config.h"

#define SIO_VERSION 1
#define SIO_VERSION_STRING "0.1.0"
#define SIO_DESCRIPTION "Socket.IO v4 (Engine.IO 4) transport mapping OIChat's call events onto a Janus plugin"
#define SIO_NAME "socketio"
#define SIO_AUTHOR "OIChat"
#define SIO_PACKAGE "janus.transport.socketio"

static janus_transport sio_transport;
static janus_transport_callbacks *gateway;
static sio_transport_config config;
/* The core's Admin API secret (NULL: none), for the Admin request the
 * transport makes: sockets turn their sessions' timeout off with
 * set_session_timeout, which the core serves on its Admin API only. The core
 * gives a transport no way to its secret but janus.jcfg, which Janus reads
 * from the configs folder unless started with -C elsewhere (then the core
 * refuses, and sessions get keepalives). */
static char *admin_secret;
static sio_server *server;
/* Janus threads post to the server while it exists; destroy waits for them. */
static GRWLock server_lock;
static volatile gint initialized;

/* The peer of a connection is its Janus transport session; transport_p
 * points back to the connection until the connection is gone. */

static void *peer_open(sio_conn *conn) {
	return janus_transport_session_create(conn, NULL);
}

static void peer_request(void *peer, json_t *request, gboolean admin) {
	if(admin && admin_secret != NULL)
		json_object_set_new(request, "admin_secret", json_string(admin_secret));
	gateway->incoming_request(&sio_transport, peer, NULL, admin, request, NULL);
}

static void peer_close(void *peer, guint64 session_id) {
	janus_transport_session *ts = peer;
	janus_mutex_lock(&ts->mutex);
	ts->transport_p = NULL;
	janus_mutex_unlock(&ts->mutex);
	/* A known session is destroyed by its id. transport_gone looks through
	 * every Janus session under the core's global lock: 20,000 sockets
	 * leaving at once held it for 8 s. */
	if(session_id == SIO_SESSION_UNKNOWN)
		gateway->transport_gone(&sio_transport, ts);
	else if(session_id != 0)
		gateway->incoming_request(&sio_transport, ts, NULL, FALSE,
			json_pack("{sssIss}", "janus", "destroy", "session_id", (json_int_t)session_id, "transaction", "sio-gone"), NULL);
	janus_transport_session_destroy(ts);
}

static sio_conn *peer_conn(void *peer) {
	janus_transport_session *ts = peer;
	janus_mutex_lock(&ts->mutex);
	sio_conn *conn = g_atomic_int_get(&ts->destroyed) ? NULL : ts->transport_p;
	janus_mutex_unlock(&ts->mutex);
	return conn;
}

static void peer_unref(void *peer) {
	janus_transport_session *ts = peer;
	janus_refcount_decrease(&ts->ref);
}

static const sio_server_hooks hooks = {
	.peer_open = peer_open,
	.peer_request = peer_request,
	.peer_close = peer_close,
	.peer_conn = peer_conn,
	.peer_unref = peer_unref,
};

static int sio_init(janus_transport_callbacks *callback, const char *config_path) {
	if(callback == NULL || config_path == NULL)
		return -1;
	oicall_settings_load(config_path, SIO_PACKAGE, sio_transport_settings, sio_transport_settings_count, &config);
	admin_secret = oicall_settings_peek(config_path, "janus", "general", "admin_secret");
	gateway = callback;
	if(config.enabled) {
		char *error = NULL;
		server = sio_server_start(&config, &hooks, &error);
		if(server == NULL) {
			JANUS_LOG(LOG_ERR, "%s: %s\n", SIO_PACKAGE, error);
			g_free(error);
			oicall_settings_clear(sio_transport_settings, sio_transport_settings_count, &config);
			g_clear_pointer(&admin_secret, g_free);
			return -1;
		}
		JANUS_LOG(LOG_INFO, "%s: Socket.IO on %s://%s:%" G_GUINT64_FORMAT "%s (plugin %s)\n", SIO_PACKAGE,
			config.tls ? "https" : "http", config.interface[0] ? config.interface : "*", config.port, config.path,
			config.plugin);
		if(config.metrics)
			JANUS_LOG(LOG_INFO, "%s: %s and %s on %s\n", SIO_PACKAGE, config.metrics_path, config.health_path,
				config.metrics_port == 0 ? "the Socket.IO port" : "metrics.port");
	} else {
		JANUS_LOG(LOG_WARN, "%s: disabled in its configuration\n", SIO_PACKAGE);
	}
	g_atomic_int_set(&initialized, 1);
	JANUS_LOG(LOG_INFO, "%s initialized\n", SIO_NAME);
	return 0;
}

static void sio_destroy(void) {
	if(!g_atomic_int_get(&initialized))
		return;
	g_atomic_int_set(&initialized, 0);
	/* Unpublish first: stopping calls into the core, which may call us back. */
	g_rw_lock_writer_lock(&server_lock);
	sio_server *stopping = server;
	server = NULL;
	g_rw_lock_writer_unlock(&server_lock);
	sio_server_stop(stopping);
	oicall_settings_clear(sio_transport_settings, sio_transport_settings_count, &config);
	g_clear_pointer(&admin_secret, g_free);
	JANUS_LOG(LOG_INFO, "%s destroyed\n", SIO_NAME);
}

static int sio_get_api_compatibility(void) {
	return JANUS_TRANSPORT_API_VERSION;
}

static int sio_get_version(void) {
	return SIO_VERSION;
}

static const char *sio_get_version_string(void) {
	return SIO_VERSION_STRING;
}

static const char *sio_get_description(void) {
	return SIO_DESCRIPTION;
}

static const char *sio_get_name(void) {
	return SIO_NAME;
}

static const char *sio_get_author(void) {
	return SIO_AUTHOR;
}

static const char *sio_get_package(void) {
	return SIO_PACKAGE;
}

static gboolean sio_is_janus_api_enabled(void) {
	return TRUE;
}

static gboolean sio_is_admin_api_enabled(void) {
	return FALSE;
}

/* Janus threads: hand everything to the server's service thread. */
static int sio_send_message(janus_transport_session *transport, void *request_id, gboolean admin,
		json_t *message) {
	(void)request_id;
	(void)admin;
	if(sio_bridge_interim_ack(message)) {
		json_decref(message);
		return 0;
	}
	g_rw_lock_reader_lock(&server_lock);
	if(transport == NULL || server == NULL || g_atomic_int_get(&transport->destroyed)) {
		g_rw_lock_reader_unlock(&server_lock);
		json_decref(message);
		return -1;
	}
	janus_refcount_increase(&transport->ref);
	sio_server_post_message(server, transport, message);
	g_rw_lock_reader_unlock(&server_lock);
	return 0;
}

static void sio_session_created(janus_transport_session *transport, guint64 session_id) {
	(void)transport;
	(void)session_id;
}

static void sio_session_over(janus_transport_session *transport, guint64 session_id, gboolean timeout,
		gboolean claimed) {
	(void)claimed;
	g_rw_lock_reader_lock(&server_lock);
	if(transport != NULL && server != NULL && !g_atomic_int_get(&transport->destroyed)) {
		janus_refcount_increase(&transport->ref);
		sio_server_post_session_over(server, transport, session_id, timeout);
	}
	g_rw_lock_reader_unlock(&server_lock);
}

static json_t *sio_query_transport(json_t *request) {
	(void)request;
	json_t *info = json_object();
	sio_server_stats s;
	g_rw_lock_reader_lock(&server_lock);
	gboolean running = server != NULL;
	if(running)
		sio_server_get_stats(server, &s);
	g_rw_lock_reader_unlock(&server_lock);
	json_object_set_new(info, "enabled", json_boolean(running));
	if(!running)
		return info;
	json_object_set_new(info, "port", json_integer((json_int_t)config.port));
	json_object_set_new(info, "path", json_string(config.path));
	json_object_set_new(info, "plugin", json_string(config.plugin));
	json_object_set_new(info, "sockets", json_pack("{sisisi}", "polling", s.polling, "websocket", s.websocket,
		"total", s.polling + s.websocket));
	json_object_set_new(info, "sessions", json_integer(s.sessions));
	json_object_set_new(info, "connections_total", json_integer(s.connections));
	json_object_set_new(info, "rejected_handshakes", json_integer(s.rejected_handshakes));
	json_object_set_new(info, "limits", json_pack("{sisIsI}", "max_connections", s.max_connections,
		"max_per_address", (json_int_t)config.max_per_address, "refused", (json_int_t)s.refused_connections));
	json_object_set_new(info, "messages", json_pack("{sIsI}", "in", (json_int_t)s.messages_in,
		"out", (json_int_t)s.messages_out));
	json_object_set_new(info, "bytes", json_pack("{sIsI}", "in", (json_int_t)s.bytes_in, "out", (json_int_t)s.bytes_out));
	json_object_set_new(info, "events_in", json_integer(s.events_in));
	json_object_set_new(info, "acks_out", json_integer(s.acks_out));
	json_object_set_new(info, "events_out", json_integer(s.events_out));
	return info;
}

static void sio_session_claimed(janus_transport_session *transport, guint64 session_id) {
	(void)transport;
	(void)session_id;
}

static janus_transport sio_transport = JANUS_TRANSPORT_INIT(
	.init = sio_init,
	.destroy = sio_destroy,
	.get_api_compatibility = sio_get_api_compatibility,
	.get_version = sio_get_version,
	.get_version_string = sio_get_version_string,
	.get_description = sio_get_description,
	.get_name = sio_get_name,
	.get_author = sio_get_author,
	.get_package = sio_get_package,
	.is_janus_api_enabled = sio_is_janus_api_enabled,
	.is_admin_api_enabled = sio_is_admin_api_enabled,
	.send_message = sio_send_message,
	.session_created = sio_session_created,
	.session_over = sio_session_over,
	.session_claimed = sio_session_claimed,
	.query_transport = sio_query_transport,
);

janus_transport *create(void);
janus_transport *create(void) {
	return &sio_transport;
}
