/*
 * janus.plugin.oicall: OIChat 1:1 calls inside Janus.
 * This file holds the Janus callbacks only; the call logic lives in the
 * modules beside it.
 */
#include <janus/plugins/plugin.h>
#include <janus/debug.h>
#include <janus/mutex.h>
#include <janus/refcount.h>

#include <jansson.h>

#include "../common/settings_janus.h"
#include "plugin_config.h"

#define OICALL_VERSION 1
#define OICALL_VERSION_STRING "0.1.0"
#define OICALL_DESCRIPTION "OIChat 1:1 audio/video calls (mediasoup-style and plain WebRTC signalling)"
#define OICALL_NAME "oicall"
#define OICALL_AUTHOR "OIChat"
#define OICALL_PACKAGE "janus.plugin.oicall"

#define OICALL_ERROR_INVALID_REQUEST 490

typedef struct oicall_session {
	janus_plugin_session *handle;
	volatile gint destroyed;
	janus_refcount ref;
} oicall_session;

typedef struct oicall_message {
	oicall_session *session;
	char *transaction;
	json_t *body;
	json_t *jsep;
} oicall_message;

static janus_plugin oicall_plugin;
static janus_callbacks *gateway;
static oicall_plugin_config config;
static volatile gint initialized, stopping;
static GHashTable *sessions;        /* janus_plugin_session * → oicall_session * */
static janus_mutex sessions_mutex = JANUS_MUTEX_INITIALIZER;
static GAsyncQueue *messages;
static GThread *handler_thread;
static oicall_message exit_message;

static void session_free(const janus_refcount *ref) {
	oicall_session *session = janus_refcount_containerof(ref, oicall_session, ref);
	/* Drop the reference the core took for us in create_session. */
	janus_refcount_decrease(&session->handle->ref);
	g_free(session);
}

static void session_destroy(oicall_session *session) {
	if(g_atomic_int_compare_and_exchange(&session->destroyed, 0, 1))
		janus_refcount_decrease(&session->ref);
}

static void message_free(oicall_message *msg) {
	if(msg == NULL || msg == &exit_message)
		return;
	if(msg->session)
		janus_refcount_decrease(&msg->session->ref);
	g_free(msg->transaction);
	json_decref(msg->body);
	json_decref(msg->jsep);
	g_free(msg);
}

/* Looks up a live session and takes a reference; NULL if gone. */
static oicall_session *session_get(janus_plugin_session *handle) {
	janus_mutex_lock(&sessions_mutex);
	oicall_session *session = g_hash_table_lookup(sessions, handle);
	if(session != NULL && !g_atomic_int_get(&session->destroyed)) {
		janus_refcount_increase(&session->ref);
	} else {
		session = NULL;
	}
	janus_mutex_unlock(&sessions_mutex);
	return session;
}

static json_t *error_reply(int code, const char *message) {
	return json_pack("{sssi}", "error", message, "error_code", code);
}

static void handle_request(oicall_message *msg) {
	json_t *request = json_object_get(msg->body, "request");
	json_t *reply;
	if(!json_is_string(request))
		reply = error_reply(OICALL_ERROR_INVALID_REQUEST, "Missing request");
	else
		reply = error_reply(OICALL_ERROR_INVALID_REQUEST, "Unknown request");
	gateway->push_event(msg->session->handle, &oicall_plugin, msg->transaction, reply, NULL);
	json_decref(reply);
}

static void *message_thread(void *data) {
	(void)data;
	while(!g_atomic_int_get(&stopping)) {
		oicall_message *msg = g_async_queue_pop(messages);
		if(msg == &exit_message)
			break;
		if(!g_atomic_int_get(&msg->session->destroyed))
			handle_request(msg);
		message_free(msg);
	}
	return NULL;
}

static int oicall_init(janus_callbacks *callback, const char *config_path) {
	if(g_atomic_int_get(&stopping) || callback == NULL || config_path == NULL)
		return -1;
	oicall_settings_load(config_path, OICALL_PACKAGE, oicall_plugin_settings, oicall_plugin_settings_count,
		&config);
	sessions = g_hash_table_new_full(NULL, NULL, NULL, (GDestroyNotify)session_destroy);
	messages = g_async_queue_new_full((GDestroyNotify)message_free);
	gateway = callback;
	GError *error = NULL;
	handler_thread = g_thread_try_new("oicall handler", message_thread, NULL, &error);
	if(error != NULL) {
		JANUS_LOG(LOG_ERR, "%s: can't start the message thread: %s\n", OICALL_NAME, error->message);
		g_error_free(error);
		g_hash_table_destroy(sessions);
		g_async_queue_unref(messages);
		oicall_settings_clear(oicall_plugin_settings, oicall_plugin_settings_count, &config);
		return -1;
	}
	g_atomic_int_set(&initialized, 1);
	JANUS_LOG(LOG_INFO, "%s initialized (ring timeout %"G_GUINT64_FORMAT" s, reconnect grace %"G_GUINT64_FORMAT" s)\n",
		OICALL_NAME, config.ring_timeout, config.reconnect_grace);
	return 0;
}

static void oicall_destroy(void) {
	if(!g_atomic_int_get(&initialized))
		return;
	g_atomic_int_set(&stopping, 1);
	g_async_queue_push(messages, &exit_message);
	g_thread_join(handler_thread);
	handler_thread = NULL;
	janus_mutex_lock(&sessions_mutex);
	g_hash_table_destroy(sessions);
	sessions = NULL;
	janus_mutex_unlock(&sessions_mutex);
	g_async_queue_unref(messages);
	messages = NULL;
	oicall_settings_clear(oicall_plugin_settings, oicall_plugin_settings_count, &config);
	g_atomic_int_set(&initialized, 0);
	g_atomic_int_set(&stopping, 0);
	JANUS_LOG(LOG_INFO, "%s destroyed\n", OICALL_NAME);
}

static int oicall_get_api_compatibility(void) {
	return JANUS_PLUGIN_API_VERSION;
}

static int oicall_get_version(void) {
	return OICALL_VERSION;
}

static const char *oicall_get_version_string(void) {
	return OICALL_VERSION_STRING;
}

static const char *oicall_get_description(void) {
	return OICALL_DESCRIPTION;
}

static const char *oicall_get_name(void) {
	return OICALL_NAME;
}

static const char *oicall_get_author(void) {
	return OICALL_AUTHOR;
}

static const char *oicall_get_package(void) {
	return OICALL_PACKAGE;
}

static void oicall_create_session(janus_plugin_session *handle, int *error) {
	if(g_atomic_int_get(&stopping) || !g_atomic_int_get(&initialized)) {
		*error = -1;
		return;
	}
	oicall_session *session = g_malloc0(sizeof(oicall_session));
	session->handle = handle;
	janus_refcount_init(&session->ref, session_free);
	handle->plugin_handle = session;
	janus_mutex_lock(&sessions_mutex);
	g_hash_table_insert(sessions, handle, session);
	janus_mutex_unlock(&sessions_mutex);
}

static void oicall_destroy_session(janus_plugin_session *handle, int *error) {
	if(g_atomic_int_get(&stopping) || !g_atomic_int_get(&initialized)) {
		*error = -1;
		return;
	}
	janus_mutex_lock(&sessions_mutex);
	if(!g_hash_table_remove(sessions, handle))
		*error = -2;
	janus_mutex_unlock(&sessions_mutex);
}

static json_t *oicall_query_session(janus_plugin_session *handle) {
	oicall_session *session = session_get(handle);
	if(session == NULL)
		return NULL;
	json_t *info = json_object();
	janus_refcount_decrease(&session->ref);
	return info;
}

static struct janus_plugin_result *oicall_handle_message(janus_plugin_session *handle, char *transaction,
		json_t *message, json_t *jsep) {
	if(g_atomic_int_get(&stopping) || !g_atomic_int_get(&initialized)) {
		g_free(transaction);
		json_decref(message);
		json_decref(jsep);
		return janus_plugin_result_new(JANUS_PLUGIN_ERROR, "Shutting down", NULL);
	}
	oicall_session *session = session_get(handle);
	if(session == NULL) {
		g_free(transaction);
		json_decref(message);
		json_decref(jsep);
		return janus_plugin_result_new(JANUS_PLUGIN_ERROR, "No session associated with this handle", NULL);
	}
	oicall_message *msg = g_malloc0(sizeof(oicall_message));
	msg->session = session;  /* keeps the reference session_get took */
	msg->transaction = transaction;
	msg->body = message;
	msg->jsep = jsep;
	g_async_queue_push(messages, msg);
	return janus_plugin_result_new(JANUS_PLUGIN_OK_WAIT, NULL, NULL);
}

static void oicall_setup_media(janus_plugin_session *handle) {
	(void)handle;
}

static void oicall_hangup_media(janus_plugin_session *handle) {
	(void)handle;
}

static janus_plugin oicall_plugin = JANUS_PLUGIN_INIT(
	.init = oicall_init,
	.destroy = oicall_destroy,
	.get_api_compatibility = oicall_get_api_compatibility,
	.get_version = oicall_get_version,
	.get_version_string = oicall_get_version_string,
	.get_description = oicall_get_description,
	.get_name = oicall_get_name,
	.get_author = oicall_get_author,
	.get_package = oicall_get_package,
	.create_session = oicall_create_session,
	.handle_message = oicall_handle_message,
	.setup_media = oicall_setup_media,
	.hangup_media = oicall_hangup_media,
	.destroy_session = oicall_destroy_session,
	.query_session = oicall_query_session,
);

janus_plugin *create(void);
janus_plugin *create(void) {
	return &oicall_plugin;
}
