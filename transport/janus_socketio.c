/*
 * janus.transport.socketio: a Socket.IO v4 server inside Janus.
 * This file holds the Janus transport callbacks only.
 */
#include <janus/transports/transport.h>
#include <janus/debug.h>

#include "../common/settings_janus.h"
#include "transport_config.h"

#define SIO_VERSION 1
#define SIO_VERSION_STRING "0.1.0"
#define SIO_DESCRIPTION "Socket.IO v4 (Engine.IO 4) transport mapping OIChat's call events onto a Janus plugin"
#define SIO_NAME "socketio"
#define SIO_AUTHOR "OIChat"
#define SIO_PACKAGE "janus.transport.socketio"

static janus_transport_callbacks *gateway;
static sio_transport_config config;
static volatile gint initialized;

static int sio_init(janus_transport_callbacks *callback, const char *config_path) {
	if(callback == NULL || config_path == NULL)
		return -1;
	oicall_settings_load(config_path, SIO_PACKAGE, sio_transport_settings, sio_transport_settings_count, &config);
	gateway = callback;
	g_atomic_int_set(&initialized, 1);
	JANUS_LOG(LOG_INFO, "%s initialized\n", SIO_NAME);
	return 0;
}

static void sio_destroy(void) {
	if(!g_atomic_int_get(&initialized))
		return;
	oicall_settings_clear(sio_transport_settings, sio_transport_settings_count, &config);
	g_atomic_int_set(&initialized, 0);
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

static int sio_send_message(janus_transport_session *transport, void *request_id, gboolean admin,
		json_t *message) {
	(void)transport;
	(void)request_id;
	(void)admin;
	json_decref(message);
	return 0;
}

static void sio_session_created(janus_transport_session *transport, guint64 session_id) {
	(void)transport;
	(void)session_id;
}

static void sio_session_over(janus_transport_session *transport, guint64 session_id, gboolean timeout,
		gboolean claimed) {
	(void)transport;
	(void)session_id;
	(void)timeout;
	(void)claimed;
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
);

janus_transport *create(void);
janus_transport *create(void) {
	return &sio_transport;
}
