/*
 * janus.plugin.oicall: OIChat 1:1 calls inside Janus.
 * This file holds the Janus callbacks, the message thread and the
 * dispatch of requests; the call logic (call_engine), the SDP work
 * (jsep_media) and the media path (relay) live beside it.
 *
 * Threads: handle_message and the core's session callbacks only queue work
 * for the plugin's own thread, which alone runs the call engine (under
 * engine_mutex, so that the Admin API can read it) and talks to the core
 * about calls. RTP and RTCP go through relay.c on the handles' threads.
 */
#include <string.h>

#include <janus/plugins/plugin.h>
#include <janus/debug.h>
#include <janus/mutex.h>
#include <janus/refcount.h>
#include <janus/utils.h>

#include <jansson.h>

#include "../common/auth_token.h"
#include "../common/settings_janus.h"
#include "call_engine.h"
#include "cluster_node.h"
#include "handoff.h"
#include "ice_servers.h"
#include "inspect.h"
#include "metrics.h"
#include "jsep_media.h"
#include "msflow.h"
#include "plugin_config.h"
#include "relay.h"
#include "session.h"

#define OICALL_VERSION 1
#define OICALL_VERSION_STRING "0.1.0"
#define OICALL_DESCRIPTION "OIChat 1:1 audio/video calls (mediasoup-style and plain WebRTC signalling)"
#define OICALL_NAME "oicall"
#define OICALL_AUTHOR "OIChat"
#define OICALL_PACKAGE "janus.plugin.oicall"

/* Error codes for Janus API clients (Socket.IO clients get the message only). */
#define OICALL_ERROR_INVALID_REQUEST 490
#define OICALL_ERROR_UNKNOWN_REQUEST 491
#define OICALL_ERROR_REQUEST_FAILED 492

typedef enum oicall_message_kind {
	OICALL_MSG_REQUEST,         /* a client request */
	OICALL_MSG_HANGUP,          /* a session's PeerConnection went down */
	OICALL_MSG_GONE,            /* a session was destroyed */
	OICALL_MSG_ADMIN,           /* an Admin API request that changes calls */
	OICALL_MSG_CLUSTER,         /* a message from another instance (docs/cluster.md) */
	OICALL_MSG_EXIT,
} oicall_message_kind;

typedef struct oicall_message {
	oicall_message_kind kind;
	oicall_session *session;    /* a reference (REQUEST, HANGUP) */
	guint64 session_id;         /* GONE */
	char *transaction;
	json_t *body;
	json_t *jsep;
	oicall_handoff *answer;     /* ADMIN: the request is body, the admin thread waits for this */
	char *text;                 /* CLUSTER */
	size_t len;
	gboolean looked_up;         /* REQUEST: the cluster was asked about its invitees (cluster_gate) */
	char *refusal;              /* ... and why it can't go on, or NULL */
} oicall_message;

static janus_plugin oicall_plugin;
static janus_callbacks *gateway;
static oicall_plugin_config config;
/* With auth on: the secret register tokens are checked with; NULL when off. */
static char *auth_secret;
static guint resend_gap;           /* what heavy loss adds to a playout floor (playout.h) */
static volatile gint initialized, stopping;

static GHashTable *sessions;        /* janus_plugin_session * → oicall_session * */
static GHashTable *sessions_by_id;  /* guint64 * → oicall_session * (borrowed) */
static guint64 next_session_id;
static janus_mutex sessions_mutex = JANUS_MUTEX_INITIALIZER;

static oicall_engine *engine;
static janus_mutex engine_mutex = JANUS_MUTEX_INITIALIZER;

static GAsyncQueue *messages;
/* "sessionId transaction" of requests whose ack carries TURN credentials, until it goes out (plugin thread only). */
static GHashTable *ice_acks;
static GThread *handler_thread;
/* Sessions whose PeerConnection is closing (references), plugin thread only. */
static GList *closing_sessions;
/* The core closes PeerConnections on a one-second timer: wait a little longer. */
#define OICALL_CLOSE_WAIT_US (2 * G_USEC_PER_SEC)
/* hangup_media comes just before the core frees the old PeerConnection:
 * an offer pushed in between finds half of it. */
#define OICALL_AFTER_HANGUP_US (100 * 1000)

typedef struct oicall_held_push {
	char *transaction;
	json_t *message;
	json_t *jsep;
} oicall_held_push;

/* ---- sessions -------------------------------------------------------- */

static void session_free(const janus_refcount *ref) {
	oicall_session *session = janus_refcount_containerof(ref, oicall_session, ref);
	/* Drop the reference the core took for us in create_session. */
	janus_refcount_decrease(&session->handle->ref);
	oicall_relay_clear(session);
	g_free(session->transport_id);
	janus_mutex_destroy(&session->mutex);
	g_free(session);
}

static void session_destroy(oicall_session *session) {
	if(g_atomic_int_compare_and_exchange(&session->destroyed, 0, 1))
		janus_refcount_decrease(&session->ref);
}

/* A live session from one of the tables, with a reference; NULL if gone. */
static oicall_session *session_lookup(GHashTable **table, gconstpointer key) {
	janus_mutex_lock(&sessions_mutex);
	oicall_session *session = *table ? g_hash_table_lookup(*table, key) : NULL;
	if(session != NULL && !g_atomic_int_get(&session->destroyed)) {
		janus_refcount_increase(&session->ref);
	} else {
		session = NULL;
	}
	janus_mutex_unlock(&sessions_mutex);
	return session;
}

static oicall_session *session_get(janus_plugin_session *handle) {
	return session_lookup(&sessions, handle);
}

static oicall_session *session_by_id(guint64 id) {
	return id != 0 ? session_lookup(&sessions_by_id, &id) : NULL;
}

static void message_free(oicall_message *msg) {
	if(msg->session)
		janus_refcount_decrease(&msg->session->ref);
	oicall_handoff_unref(msg->answer);
	g_free(msg->transaction);
	g_free(msg->text);
	g_free(msg->refusal);
	json_decref(msg->body);
	json_decref(msg->jsep);
	g_free(msg);
}

static void queue_message(oicall_message_kind kind, oicall_session *session, guint64 session_id) {
	oicall_message *msg = g_new0(oicall_message, 1);
	msg->kind = kind;
	msg->session = session;
	msg->session_id = session_id;
	g_async_queue_push(messages, msg);
}

/* From the Redis thread: what another instance sent us. */
static void cluster_deliver(char *text, size_t len) {
	oicall_message *msg = g_new0(oicall_message, 1);
	msg->kind = OICALL_MSG_CLUSTER;
	msg->text = text;
	msg->len = len;
	g_async_queue_push(messages, msg);
}

/* From the Redis thread: a request cluster_gate deferred may go on (or is refused). */
static void cluster_resume(void *data, const char *refusal) {
	oicall_message *msg = data;
	msg->looked_up = TRUE;
	msg->refusal = g_strdup(refusal);
	g_async_queue_push(messages, msg);
}

/* ---- replies and effects --------------------------------------------- */

static json_t *error_reply(int code, const char *message) {
	return json_pack("{sssi}", "error", message, "error_code", code);
}

/* Adds the numeric code Janus API clients expect to an engine error ack. */
static json_t *with_error_code(json_t *ack) {
	if(json_object_get(ack, "error") != NULL && json_object_get(ack, "error_code") == NULL)
		json_object_set_new(ack, "error_code", json_integer(OICALL_ERROR_REQUEST_FAILED));
	return ack;
}

static void push_now(oicall_session *session, const char *transaction, json_t *message, json_t *jsep) {
	int rc = gateway->push_event(session->handle, &oicall_plugin, transaction, message, jsep);
	/* Fails when the handle is going away meanwhile: nothing to tell then. */
	if(rc != 0)
		JANUS_LOG(LOG_VERB, "[oicall] push to session %" G_GUINT64_FORMAT " not delivered (%d)\n", session->id, rc);
}

static char *ice_ack_key(guint64 session_id, const char *transaction) {
	return g_strdup_printf("%" G_GUINT64_FORMAT " %s", session_id, transaction);
}

/* register, start-call, accept-call, join-call and resume-call: their ack gets iceServers (see add_ice_servers). */
static void expect_ice_ack(oicall_session *session, const char *request, const char *transaction) {
	static const char *const with_servers[] = { "register", "start-call", "accept-call", "join-call", "resume-call" };
	for(gsize i = 0; transaction != NULL && request != NULL && i < G_N_ELEMENTS(with_servers); i++) {
		if(strcmp(request, with_servers[i]) == 0)
			g_hash_table_add(ice_acks, ice_ack_key(session->id, transaction));
	}
}

/* TURN credentials for the session's user (ice_servers.h) in incoming-call and
 * in the successful acks expect_ice_ack marked. Plugin thread only: being the
 * engine's only writer, it reads the user without the engine lock (which
 * msflow may hold when it replies). */
static void add_ice_servers(oicall_session *session, const char *transaction, json_t *message) {
	char *key = transaction ? ice_ack_key(session->id, transaction) : NULL;
	gboolean ack = key != NULL && g_hash_table_remove(ice_acks, key);
	g_free(key);
	gboolean wanted = ack ? json_object_get(message, "error") == NULL && json_object_get(message, "jsepGate") == NULL
		: transaction == NULL && g_strcmp0(json_string_value(json_object_get(message, "event")), "incoming-call") == 0;
	if(!wanted)
		return;
	json_t *servers = oicall_ice_servers(config.turn_secret, config.turn_urls, config.turn_lifetime,
		oicall_engine_user(engine, session->id), g_get_real_time() / G_USEC_PER_SEC);
	if(servers != NULL)
		json_object_set_new(message, "iceServers", servers);
}

/* Acks of a session that went away: nobody will send them. */
static void forget_ice_acks(guint64 session_id) {
	char *prefix = g_strdup_printf("%" G_GUINT64_FORMAT " ", session_id);
	GHashTableIter iter;
	gpointer key;
	g_hash_table_iter_init(&iter, ice_acks);
	while(g_hash_table_iter_next(&iter, &key, NULL)) {
		if(g_str_has_prefix(key, prefix))
			g_hash_table_iter_remove(&iter);
	}
	g_free(prefix);
}

/* Pushes to a session, or holds it until its PeerConnection is closed. Takes no references. */
static void push_or_hold(oicall_session *session, const char *transaction, json_t *message, json_t *jsep) {
	add_ice_servers(session, transaction, message);
	if(!session->closing) {
		push_now(session, transaction, message, jsep);
		return;
	}
	oicall_held_push *held = g_new0(oicall_held_push, 1);
	held->transaction = g_strdup(transaction);
	held->message = json_incref(message);
	held->jsep = json_incref(jsep);
	g_queue_push_tail(&session->held, held);
}

/* A held incoming-call whose call stopped ringing meanwhile: its offer would
 * start a PeerConnection nobody answers, on the handle the next call needs. */
static gboolean offer_outdated(json_t *message) {
	if(g_strcmp0(json_string_value(json_object_get(message, "event")), "incoming-call") != 0)
		return FALSE;
	janus_mutex_lock(&engine_mutex);
	oicall_call *call = oicall_engine_call(engine, json_string_value(json_object_get(message, "callId")));
	gboolean outdated = call == NULL || call->state != OICALL_CALL_RINGING;
	janus_mutex_unlock(&engine_mutex);
	return outdated;
}

/* The session's PeerConnection is closed (or we waited long enough): deliver what waited. */
static void session_closed(oicall_session *session) {
	if(!session->closing)
		return;
	session->closing = FALSE;
	oicall_held_push *held;
	while((held = g_queue_pop_head(&session->held)) != NULL) {
		if(!g_atomic_int_get(&session->destroyed) && !offer_outdated(held->message))
			push_now(session, held->transaction, held->message, held->jsep);
		g_free(held->transaction);
		json_decref(held->message);
		json_decref(held->jsep);
		g_free(held);
	}
	closing_sessions = g_list_remove(closing_sessions, session);
	janus_refcount_decrease(&session->ref);
}

/* Asks the core to close the session's PeerConnection; pushes wait for it. */
static void close_pc(oicall_session *session) {
	if(!session->closing) {
		session->closing = TRUE;
		janus_refcount_increase(&session->ref);
		closing_sessions = g_list_prepend(closing_sessions, session);
	}
	session->closing_until = janus_get_monotonic_time() + OICALL_CLOSE_WAIT_US;
	gateway->close_pc(session->handle);
}

static void release_closed_sessions(gint64 now) {
	GList *done = NULL;
	for(GList *l = closing_sessions; l != NULL; l = l->next) {
		oicall_session *session = l->data;
		if(now >= session->closing_until)
			done = g_list_prepend(done, session);
	}
	for(GList *l = done; l != NULL; l = l->next)
		session_closed(l->data);
	g_list_free(done);
}

static gint64 next_closing_deadline(void) {
	gint64 next = G_MAXINT64;
	for(GList *l = closing_sessions; l != NULL; l = l->next)
		next = MIN(next, ((oicall_session *)l->data)->closing_until);
	return next;
}

static void dispatch_event(oicall_effect *effect) {
	oicall_call *call = effect->call;
	if(call != NULL && call->media != NULL && strcmp(effect->name, "incoming-call") == 0) {
		/* With the gateway's offer and, once they exist, the callee's transports. */
		oicall_ms_incoming_call(call, effect->side, effect->session, effect->payload);
		return;
	}
	const char *caller_answer = call && strcmp(effect->name, "call-accepted") == 0 ? oicall_ms_take_caller_answer(call) : NULL;
	json_t *jsep = NULL;
	guint64 target = effect->session;
	if(caller_answer != NULL) {
		/* The answer belongs to the PeerConnection that made the offer. */
		jsep = json_pack("{ssss}", "type", "answer", "sdp", caller_answer);
		target = call->peers[OICALL_CALLER].media_session;
	}
	oicall_session *session = session_by_id(target);
	if(session != NULL) {
		json_t *event = json_deep_copy(effect->payload);
		json_object_set_new(event, "event", json_string(effect->name));
		push_or_hold(session, NULL, event, jsep);
		json_decref(event);
		janus_refcount_decrease(&session->ref);
	}
	json_decref(jsep);
}

static void close_media(oicall_session *session, gboolean end) {
	oicall_relay_unlink(session);
	close_pc(session);
	/* A lingering handle nobody uses any more: let its Janus session go. */
	if(end)
		gateway->end_session(session->handle);
}

/* A peer's media handle goes: a PeerConnection closes (a transport's
 * handle goes with its transport), a handle nobody uses ends. */
static void end_peer_media(oicall_call *call, int side, guint64 media_session, gboolean jsep, gboolean release) {
	oicall_session *session = session_by_id(media_session);
	if(session != NULL) {
		if(jsep)
			close_media(session, release);
		else if(release)
			gateway->end_session(session->handle);
		janus_refcount_decrease(&session->ref);
	}
	/* Sessions of an invitee that were offered the call (an SDP offer with
	 * incoming-call) but didn't take it with an SDP answer. */
	GHashTableIter iter;
	gpointer key;
	g_hash_table_iter_init(&iter, call->peers[side].offered_to);
	while(g_hash_table_iter_next(&iter, &key, NULL)) {
		guint64 id = *(guint64 *)key;
		oicall_session *offered = id != media_session || !jsep ? session_by_id(id) : NULL;
		if(offered != NULL) {
			close_media(offered, FALSE);
			janus_refcount_decrease(&offered->ref);
		}
	}
}

static void end_media(oicall_call *call, guint32 release) {
	gboolean jsep[OICALL_MAX_PEERS];
	for(int side = 0; side < call->npeers; side++)
		jsep[side] = oicall_ms_uses_jsep(call, side);
	oicall_ms_call_ended(call);
	for(int side = 0; side < call->npeers; side++)
		end_peer_media(call, side, call->peers[side].media_session, jsep[side], (release >> side) & 1);
}

/* A peer is out of a call that goes on, or its media moves to another
 * session (resume-call): its media goes, the others' stays. */
static void end_peer_out(oicall_effect *effect) {
	gboolean jsep = oicall_ms_uses_jsep(effect->call, effect->side);
	oicall_ms_peer_out(effect->call, effect->side);
	end_peer_media(effect->call, effect->side, effect->session, jsep, (effect->release >> effect->side) & 1);
}

/* Pauses what a side sends of a kind, where it comes into the gateway. */
static void mute_media(oicall_call *call, int side, gboolean video, gboolean muted) {
	if(!oicall_ms_uses_jsep(call, side)) {
		oicall_ms_mute(call, side, video, muted, NULL);
		return;
	}
	oicall_session *source = session_by_id(call->peers[side].media_session);
	if(source == NULL)
		return;
	for(int mindex = 0; mindex < OICALL_MAX_SLOTS; mindex++) {
		if(source->slots[mindex].kind == (video ? OICALL_VIDEO : OICALL_AUDIO))
			oicall_relay_pause_source(gateway, source, mindex, muted);
	}
	janus_refcount_decrease(&source->ref);
}

/* Sends a session's client away (the Socket.IO transport closes its socket;
 * the handle lingers or goes as for any client gone), after what was pushed to it. */
static void close_client(guint64 id) {
	oicall_session *session = session_by_id(id);
	if(session == NULL)
		return;
	if(atomic_load(&session->janus_session_id) != 0) {
		json_t *close = json_pack("{s{ss}}", "sio", "close", "replaced");
		push_or_hold(session, NULL, close, NULL);
		json_decref(close);
	}
	janus_refcount_decrease(&session->ref);
}

static void dispatch_effects(GPtrArray *effects) {
	/* Media first: events about an ended call then wait for its PeerConnections to close. */
	for(guint i = 0; i < effects->len; i++) {
		oicall_effect *effect = g_ptr_array_index(effects, i);
		if(effect->kind == OICALL_EFFECT_ENDED)
			end_media(effect->call, effect->release);
		else if(effect->kind == OICALL_EFFECT_PEER_OUT || effect->kind == OICALL_EFFECT_MEDIA_MOVED)
			end_peer_out(effect);
	}
	for(guint i = 0; i < effects->len; i++) {
		oicall_effect *effect = g_ptr_array_index(effects, i);
		switch(effect->kind) {
			case OICALL_EFFECT_EVENT:
				dispatch_event(effect);
				break;
			case OICALL_EFFECT_MUTE:
				mute_media(effect->call, effect->side, effect->video, effect->muted);
				break;
			case OICALL_EFFECT_ENDED:
			case OICALL_EFFECT_PEER_OUT:
			case OICALL_EFFECT_MEDIA_MOVED:
				break;      /* done above */
			case OICALL_EFFECT_CLOSE:
				close_client(effect->session);
				break;
			case OICALL_EFFECT_NOTIFY:
				if(config.events && gateway->events_is_enabled()) {
					json_t *info = json_deep_copy(effect->payload);
					json_object_set_new(info, "event", json_string(effect->name));
					gateway->notify_event(&oicall_plugin, NULL, info);
				}
				break;
		}
	}
}

/* ---- requests -------------------------------------------------------- */

/* What is wrong with a start-call's jsep, or NULL. */
static json_t *offer_error(json_t *jsep) {
	if(jsep == NULL)
		return error_reply(OICALL_ERROR_INVALID_REQUEST, "Missing jsep offer");
	const char *type = json_string_value(json_object_get(jsep, "type"));
	if(type == NULL || strcmp(type, "offer") != 0)
		return error_reply(OICALL_ERROR_INVALID_REQUEST, "start-call needs a jsep offer");
	if(json_is_true(json_object_get(jsep, "update")))
		return error_reply(OICALL_ERROR_INVALID_REQUEST, "Renegotiation is not supported");
	return NULL;
}

/* The gateway's offer for the callee made from the caller's, or NULL with
 * *reply set. An unregistered session hears that first (the engine says so). */
static char *callee_offer(oicall_session *session, json_t *jsep, json_t **reply) {
	*reply = NULL;
	janus_mutex_lock(&engine_mutex);
	gboolean registered = oicall_engine_user(engine, session->id) != NULL;
	janus_mutex_unlock(&engine_mutex);
	if(!registered)
		return NULL;
	char *error = NULL;
	char *offer = oicall_jsep_callee_offer(json_string_value(json_object_get(jsep, "sdp")), &config, &error);
	if(offer == NULL) {
		*reply = error_reply(OICALL_ERROR_INVALID_REQUEST, error);
		g_free(error);
	}
	return offer;
}

/* The call a gate reserved for this session's offer, now that the offer is here; NULL if none. Engine locked. */
static oicall_call *reserved_call(oicall_session *session, json_t *body) {
	oicall_call *call = oicall_engine_call(engine, json_string_value(json_object_get(body, "callId")));
	if(call == NULL || call->state != OICALL_CALL_RINGING || !call->awaiting_offer ||
			call->peers[OICALL_CALLER].media_session != session->id)
		return NULL;
	return call;
}

static json_t *start_call(oicall_session *session, json_t *body, json_t *jsep, GPtrArray *effects) {
	json_t *reply = offer_error(jsep);
	if(reply != NULL)
		return reply;
	char *offer = callee_offer(session, jsep, &reply);
	janus_mutex_lock(&engine_mutex);
	oicall_call *call = reserved_call(session, body);
	if(call != NULL && reply == NULL && offer == NULL)
		reply = error_reply(OICALL_ERROR_REQUEST_FAILED, "Socket not registered");
	if(call != NULL && reply != NULL) {
		/* The offer a gate let through (see gate_start_call) can't be used: the call is off. */
		oicall_engine_cancel_reserved(engine, call, effects, janus_get_monotonic_time());
	} else if(call != NULL) {
		/* ...or it can: the call rings now. */
		oicall_ms_adopt_call(call, offer);
		oicall_engine_call_offered(engine, call, effects);
		reply = json_pack("{ss}", "callId", call->id);
	} else if(reply == NULL) {
		json_t *ack = oicall_engine_start_call(engine, session->id, body, effects, janus_get_monotonic_time(), &call);
		/* A repeated start-call (its call has media already) changes nothing. */
		if(call != NULL && json_object_get(ack, "error") == NULL && call->media == NULL)
			oicall_ms_adopt_call(call, offer);
		reply = with_error_code(ack);
	}
	janus_mutex_unlock(&engine_mutex);
	g_free(offer);
	return reply;
}

/* A gated start-call (see the transport's bridge.h): the call is made and
 * reserved here, before the core sees the offer, which then comes with its
 * callId (start_call). A refusal or a repeat is answered now: the offer
 * never reaches the handle. */
static json_t *gate_start_call(oicall_session *session, json_t *body, json_t *jsep, GPtrArray *effects) {
	json_t *reply = offer_error(jsep);
	if(reply != NULL)
		return reply;
	janus_mutex_lock(&engine_mutex);
	oicall_call *call = oicall_engine_repeated_start(engine, session->id, body);
	if(call != NULL) {
		/* (Its offer may still be on the way: a reserved call is a JSEP caller's.) */
		reply = call->awaiting_offer || oicall_ms_uses_jsep(call, OICALL_CALLER) ? json_pack("{ss}", "callId", call->id)
			: error_reply(OICALL_ERROR_REQUEST_FAILED, "Already in a call");
	} else {
		reply = oicall_engine_reserve_call(engine, session->id, body, effects, janus_get_monotonic_time(), &call);
		if(call != NULL && json_object_get(reply, "error") == NULL) {
			json_decref(reply);
			reply = json_pack("{s{ss}}", "jsepGate", "callId", call->id);
		}
	}
	janus_mutex_unlock(&engine_mutex);
	return with_error_code(reply);
}

/* How long a gated accept-call's answer may take to follow before another may. */
#define OICALL_ACCEPT_GATE_US (5 * G_USEC_PER_SEC)

/* A gated accept-call: only an answer to a call still ringing for this
 * session goes to its handle, one at a time; the same accept again
 * succeeds without it. */
static json_t *gate_accept_call(oicall_session *session, json_t *body, json_t *jsep) {
	const char *type = json_string_value(json_object_get(jsep, "type"));
	if(type == NULL || strcmp(type, "answer") != 0)
		return error_reply(OICALL_ERROR_INVALID_REQUEST, "accept-call needs a jsep answer");
	gint64 now = janus_get_monotonic_time();
	janus_mutex_lock(&engine_mutex);
	oicall_call *call = NULL;
	json_t *reply = oicall_engine_check_call(engine, session->id, body, &call);
	const char *user = oicall_engine_user(engine, session->id);
	if(reply != NULL) {
		/* as the engine said */
	} else if(oicall_call_side_of(call, user) == OICALL_CALLER) {
		reply = error_reply(OICALL_ERROR_REQUEST_FAILED, "Only the callee can accept a call");
	} else if(oicall_call_peer_joined(call, oicall_call_side_of(call, user)) &&
			call->peers[oicall_call_side_of(call, user)].media_session == session->id &&
			oicall_ms_uses_jsep(call, oicall_call_side_of(call, user))) {
		reply = json_pack("{sb}", "success", 1);
	} else if(call->peers[oicall_call_side_of(call, user)].state != OICALL_PEER_RINGING) {
		reply = error_reply(OICALL_ERROR_REQUEST_FAILED, "Call already accepted");
	} else if(call->awaiting_offer) {
		reply = error_reply(OICALL_ERROR_REQUEST_FAILED, "Call not offered yet");
	} else if(now < session->accept_gate_until) {
		reply = error_reply(OICALL_ERROR_REQUEST_FAILED, "Already accepting this call");
	} else {
		session->accept_gate_until = now + OICALL_ACCEPT_GATE_US;
		reply = json_pack("{s{ss}}", "jsepGate", "callId", call->id);
	}
	janus_mutex_unlock(&engine_mutex);
	return with_error_code(reply);
}

/* A user back on a new socket mid-call: the handle carrying their media
 * (a PeerConnection, or beside the transports) is on the old socket's
 * session, which the transport keeps only for the grace. It must stay until
 * the call ends, which then releases it. Engine locked. */
static void keep_media_session(oicall_session *session) {
	const char *user = oicall_engine_user(engine, session->id);
	oicall_call *call = user ? oicall_engine_call_of_user(engine, user) : NULL;
	if(call == NULL || call->state != OICALL_CALL_ACTIVE)
		return;
	guint64 media = call->peers[oicall_call_side_of(call, user)].media_session;
	oicall_session *old = media != session->id ? session_by_id(media) : NULL;
	if(old == NULL)
		return;
	if(atomic_load(&old->janus_session_id) != 0) {
		json_t *keep = json_pack("{s{sb}}", "sio", "keep", 1);
		push_now(old, NULL, keep, NULL);
		json_decref(keep);
	}
	janus_refcount_decrease(&old->ref);
}

/* Who a register request proves to be (*proven, NULL: anyone), or an error
 * reply. With auth on, a token in the body must prove it, whichever Janus
 * transport brought the request; otherwise the Socket.IO transport's
 * authUserId (from its own check of the connection's token) holds. */
static json_t *register_proof(json_t *body, char **proven) {
	*proven = NULL;
	if(auth_secret == NULL) {
		*proven = g_strdup(json_string_value(json_object_get(body, "authUserId")));
		return NULL;
	}
	const char *token = json_string_value(json_object_get(body, "token"));
	if(token == NULL)
		return error_reply(OICALL_ERROR_INVALID_REQUEST, "Missing token");
	oicall_auth_result result = oicall_auth_verify(auth_secret, token, g_get_real_time() / G_USEC_PER_SEC, proven);
	return result == OICALL_AUTH_OK ? NULL : error_reply(OICALL_ERROR_INVALID_REQUEST, oicall_auth_message(result));
}

/* Whether someone in (or calling in) a call uses a plain PeerConnection. */
static gboolean has_jsep_peer(oicall_call *call) {
	for(int side = 0; side < call->npeers; side++) {
		if(call->peers[side].state != OICALL_PEER_OUT && oicall_ms_uses_jsep(call, side))
			return TRUE;
	}
	return FALSE;
}

static json_t *handle_request(oicall_session *session, json_t *body, json_t *jsep, GPtrArray *effects) {
	const char *request = json_string_value(json_object_get(body, "request"));
	if(request == NULL)
		return error_reply(OICALL_ERROR_INVALID_REQUEST, "Missing request");
	gint64 now = janus_get_monotonic_time();
	json_t *ack = NULL;
	oicall_call *call = NULL;
	if(strcmp(request, "start-call") == 0)
		return start_call(session, body, jsep, effects);
	janus_mutex_lock(&engine_mutex);
	if(strcmp(request, "register") == 0) {
		char *proven = NULL;
		ack = register_proof(body, &proven);
		if(ack == NULL)
			ack = oicall_engine_register(engine, session->id, json_object_get(body, "userId"), proven, effects, now);
		g_free(proven);
		json_t *janus_session = json_object_get(body, "janusSessionId"), *janus_handle = json_object_get(body, "janusHandleId");
		if(json_object_get(ack, "error") == NULL && json_is_integer(janus_session) && json_is_integer(janus_handle)) {
			atomic_store(&session->janus_session_id, (guint64)json_integer_value(janus_session));
			atomic_store(&session->janus_handle_id, (guint64)json_integer_value(janus_handle));
		}
		if(json_object_get(ack, "error") == NULL) {
			keep_media_session(session);
			oicall_cluster_node_registered(oicall_engine_user(engine, session->id), session->id);
		}
	} else if(strcmp(request, "end-call") == 0) {
		ack = oicall_engine_end_call(engine, session->id, body, effects, now);
	} else if(strcmp(request, "leave-call") == 0) {
		ack = oicall_engine_leave_call(engine, session->id, body, effects, now);
	} else if(strcmp(request, "add-participants") == 0) {
		json_t *check = oicall_engine_check_call(engine, session->id, body, &call);
		/* A 1:1 call's SDP sides are linked m-line to m-line: only a call that started as a group takes more. */
		ack = check == NULL && !call->group && has_jsep_peer(call) ?
			error_reply(OICALL_ERROR_REQUEST_FAILED,
				"A 1:1 call with a plain WebRTC (SDP) peer can't take more participants: start a group call instead") : NULL;
		json_decref(check);
		if(ack == NULL)
			ack = oicall_engine_add_participants(engine, session->id, body, effects, now, &call);
	} else if(strcmp(request, "call-reaction") == 0) {
		ack = oicall_engine_reaction(engine, session->id, body, g_get_real_time() / 1000, effects);
	} else if(strcmp(request, "mute-audio") == 0 || strcmp(request, "mute-video") == 0) {
		gboolean video = strcmp(request, "mute-video") == 0;
		/* A producerId, if given, must be one of the caller's of that kind. */
		json_t *check = oicall_engine_check_call(engine, session->id, body, &call);
		json_t *bad = check == NULL ? oicall_ms_check_mute(call, session->id, body, video) : NULL;
		json_decref(check);
		ack = bad ? bad : oicall_engine_mute(engine, session->id, body, video, effects, &call);
	} else if(strcmp(request, "jsep-gate-failed") == 0) {
		/* From the Socket.IO transport: the core refused the jsep a gate let
		 * through (the plugin never saw it): what the gate reserved is off. */
		session->accept_gate_until = 0;
		oicall_call *reserved = reserved_call(session, body);
		if(reserved != NULL)
			oicall_engine_cancel_reserved(engine, reserved, effects, now);
		ack = json_pack("{sb}", "success", 1);
	} else if(strcmp(request, "metrics") == 0) {
		/* From the Socket.IO transport's own handle, for /metrics and /healthz (see metrics.h). */
		ack = oicall_metrics_snapshot(engine, (guint)g_async_queue_length(messages));
		oicall_cluster_node_metrics(json_object_get(ack, "metrics"));
	} else if(strcmp(request, "disconnect") == 0) {
		/* From the Socket.IO transport: the client is gone, may this handle linger? */
		guint linger = oicall_engine_disconnect(engine, session->id, effects, now);
		if(linger == OICALL_LINGER_UNTIL_CALL_ENDS)
			ack = json_pack("{sb}", "keep", 1);
		else
			ack = linger > 0 ? json_pack("{si}", "linger", (int)linger) : json_object();
	} else {
		ack = error_reply(OICALL_ERROR_UNKNOWN_REQUEST, "Unknown request");
	}
	janus_mutex_unlock(&engine_mutex);
	return with_error_code(ack);
}

/* The call (active only, or ringing too) whose side has its media on a session; NULL if none. */
static oicall_call *call_with_media(guint64 id, gboolean active_only, int *side) {
	GList *calls = oicall_engine_calls(engine);
	oicall_call *found = NULL;
	for(GList *l = calls; l != NULL && found == NULL; l = l->next) {
		oicall_call *call = l->data;
		for(int s = 0; s < call->npeers && found == NULL; s++) {
			if((call->state == OICALL_CALL_ACTIVE || !active_only) && call->peers[s].media_session == id) {
				found = call;
				*side = s;
			}
		}
	}
	g_list_free(calls);
	return found;
}

/* The core applied a request's SDP before asking us, and the request
 * failed: undo it, so that the next offer on this handle starts afresh
 * (not as a renegotiation). A PeerConnection that carries a call is left alone. */
static void jsep_refused(oicall_session *session) {
	janus_mutex_lock(&engine_mutex);
	int side = -1;
	gboolean in_call = call_with_media(session->id, FALSE, &side) != NULL;
	janus_mutex_unlock(&engine_mutex);
	if(!in_call)
		close_pc(session);
}

/* end-call and kick-user from the Admin API, on the plugin thread. */
static json_t *admin_change(json_t *request, GPtrArray *effects, gint64 now) {
	const char *name = json_string_value(json_object_get(request, "request"));
	json_t *response = NULL;
	janus_mutex_lock(&engine_mutex);
	if(strcmp(name, "end-call") == 0) {
		const char *call_id = json_string_value(json_object_get(request, "callId"));
		if(call_id == NULL)
			response = error_reply(OICALL_ERROR_INVALID_REQUEST, "Missing callId");
		else if(!oicall_engine_force_end(engine, call_id, "admin", effects, now))
			response = error_reply(OICALL_ERROR_REQUEST_FAILED, "Unknown call");
	} else {
		const char *error = NULL;
		char *user = oicall_user_id_from_json(json_object_get(request, "userId"), &error);
		guint64 id = user ? oicall_registry_session_of(oicall_engine_registry(engine), user) : 0;
		if(user == NULL) {
			char *message = g_strdup_printf("userId %s", error);
			response = error_reply(OICALL_ERROR_INVALID_REQUEST, message);
			g_free(message);
		} else if(id == 0) {
			response = error_reply(OICALL_ERROR_REQUEST_FAILED, "Unknown user");
		} else {
			/* Detaching its handle ends its call and disconnects its socket, after it hears why. */
			oicall_session *session = session_by_id(id);
			if(session != NULL) {
				json_t *kicked = json_pack("{ssss}", "event", "kicked", "reason", "admin");
				push_now(session, NULL, kicked, NULL);
				json_decref(kicked);
				gateway->end_session(session->handle);
				janus_refcount_decrease(&session->ref);
			}
		}
		g_free(user);
	}
	janus_mutex_unlock(&engine_mutex);
	return response ? response : json_pack("{sb}", "success", 1);
}

typedef enum cluster_verdict {
	CLUSTER_GO,                 /* handle the request */
	CLUSTER_REFUSED,            /* answered: done with the message */
	CLUSTER_DEFERRED,           /* the Redis thread queues the message again: don't touch it any more */
} cluster_verdict;

/* A start-call or add-participants that must wait for the cluster's answer (cluster_node.h). */
static cluster_verdict cluster_gate(oicall_message *msg, const char *request) {
	if(msg->refusal != NULL) {
		json_t *reply = error_reply(OICALL_ERROR_REQUEST_FAILED, msg->refusal);
		if(msg->jsep != NULL)
			jsep_refused(msg->session);
		push_or_hold(msg->session, msg->transaction, reply, NULL);
		json_decref(reply);
		return CLUSTER_REFUSED;
	}
	if(msg->looked_up || !oicall_cluster_node_enabled())
		return CLUSTER_GO;
	janus_mutex_lock(&engine_mutex);
	/* The offer a jsep gate let through: its invitees were looked up at the gate. */
	gboolean gated = msg->jsep != NULL && request != NULL && strcmp(request, "start-call") == 0 &&
		reserved_call(msg->session, msg->body) != NULL;
	gboolean deferred = !gated && oicall_cluster_node_defer(engine, request, msg->body, cluster_resume, msg);
	janus_mutex_unlock(&engine_mutex);
	return deferred ? CLUSTER_DEFERRED : CLUSTER_GO;
}

/* Returns TRUE when the message was kept (deferred), FALSE when done with. */
static gboolean handle_message(oicall_message *msg, GPtrArray *effects) {
	gint64 now = janus_get_monotonic_time();
	switch(msg->kind) {
		case OICALL_MSG_REQUEST: {
			if(g_atomic_int_get(&msg->session->destroyed))
				return FALSE;
			const char *request = json_string_value(json_object_get(msg->body, "request"));
			cluster_verdict verdict = cluster_gate(msg, request);
			if(verdict != CLUSTER_GO)
				return verdict == CLUSTER_DEFERRED;
			expect_ice_ack(msg->session, request, msg->transaction);
			json_t *gate = json_object_get(msg->body, "jsepGate");
			if(gate != NULL && msg->jsep == NULL && request != NULL &&
					(strcmp(request, "start-call") == 0 || strcmp(request, "accept-call") == 0)) {
				json_t *reply = strcmp(request, "start-call") == 0 ? gate_start_call(msg->session, msg->body, gate, effects)
					: gate_accept_call(msg->session, msg->body, gate);
				dispatch_effects(effects);
				push_or_hold(msg->session, msg->transaction, reply, NULL);
				json_decref(reply);
				return FALSE;
			}
			json_object_del(msg->body, "jsepGate");
			if(request != NULL && strcmp(request, "accept-call") == 0 && msg->jsep != NULL)
				msg->session->accept_gate_until = 0;     /* the answer a gate let through is here */
			if(request != NULL && oicall_ms_handles(msg->session, request, msg->body, msg->jsep)) {
				oicall_ms_request(msg->session, request, msg->body, msg->jsep, msg->transaction);
				return FALSE;
			}
			json_t *reply = handle_request(msg->session, msg->body, msg->jsep, effects);
			if(msg->jsep != NULL && json_object_get(reply, "error") != NULL)
				jsep_refused(msg->session);
			/* Effects first: an incoming-call goes out before the caller hears back. */
			dispatch_effects(effects);
			push_or_hold(msg->session, msg->transaction, reply, NULL);
			json_decref(reply);
			return FALSE;
		}
		case OICALL_MSG_HANGUP: {
			if(msg->session->closing)
				msg->session->closing_until = MIN(msg->session->closing_until, now + OICALL_AFTER_HANGUP_US);
			janus_mutex_lock(&engine_mutex);
			int side = -1;
			oicall_call *call = call_with_media(msg->session->id, TRUE, &side);
			/* Only an SDP side's PeerConnection carries its media (transports don't end calls). */
			if(call != NULL && oicall_ms_uses_jsep(call, side))
				oicall_engine_media_failed(engine, call, side, effects, now);
			janus_mutex_unlock(&engine_mutex);
			break;
		}
		case OICALL_MSG_GONE:
			janus_mutex_lock(&engine_mutex);
			oicall_engine_session_destroyed(engine, msg->session_id, effects, now);
			janus_mutex_unlock(&engine_mutex);
			oicall_ms_session_gone(msg->session_id);
			forget_ice_acks(msg->session_id);
			break;
		case OICALL_MSG_ADMIN: {
			json_t *response = admin_change(msg->body, effects, now);
			dispatch_effects(effects);
			oicall_handoff_give(msg->answer, response);
			return FALSE;     /* message_free drops the message's reference on the answer */
		}
		case OICALL_MSG_CLUSTER:
			janus_mutex_lock(&engine_mutex);
			oicall_cluster_node_message(engine, msg->text, msg->len, effects);
			msg->text = NULL;
			janus_mutex_unlock(&engine_mutex);
			break;
		case OICALL_MSG_EXIT:
			return FALSE;
	}
	dispatch_effects(effects);
	return FALSE;
}

/* Tells the engine when each side of each active call last sent anything
 * (RTP or RTCP on any handle carrying its media), for its media timeout. Engine locked. */
static void note_media_seen(void) {
	GList *calls = oicall_engine_calls(engine);
	for(GList *l = calls; l != NULL; l = l->next) {
		oicall_call *call = l->data;
		for(int side = 0; side < call->npeers && call->state == OICALL_CALL_ACTIVE; side++) {
			oicall_peer *peer = &call->peers[side];
			for(int i = 0; i < OICALL_MAX_MEDIA_SESSIONS; i++) {
				oicall_session *session = session_by_id(peer->media_sessions[i]);
				if(session == NULL)
					continue;
				peer->media_seen = MAX(peer->media_seen, atomic_load(&session->last_rx_us));
				janus_refcount_decrease(&session->ref);
			}
		}
	}
	g_list_free(calls);
}

static void *message_thread(void *data) {
	(void)data;
	while(!g_atomic_int_get(&stopping)) {
		janus_mutex_lock(&engine_mutex);
		gint64 next = MIN(oicall_engine_next_deadline(engine), next_closing_deadline());
		janus_mutex_unlock(&engine_mutex);
		next = MIN(next, oicall_ms_next_deadline());
		gint64 wait = next == G_MAXINT64 ? G_USEC_PER_SEC : next - janus_get_monotonic_time();
		oicall_message *msg = wait > 0 ? g_async_queue_timeout_pop(messages, MIN(wait, G_USEC_PER_SEC))
			: g_async_queue_try_pop(messages);
		if(msg != NULL && msg->kind == OICALL_MSG_EXIT) {
			message_free(msg);
			break;
		}
		GPtrArray *effects = oicall_effects_new();
		if(msg != NULL) {
			if(!handle_message(msg, effects))
				message_free(msg);
			g_ptr_array_set_size(effects, 0);
		}
		gint64 now = janus_get_monotonic_time();
		release_closed_sessions(now);
		oicall_ms_tick(now);
		janus_mutex_lock(&engine_mutex);
		/* Packet times matter only when a deadline (maybe a media timeout counted from older ones) is due. */
		if(oicall_engine_next_deadline(engine) <= now)
			note_media_seen();
		oicall_engine_tick(engine, now, effects);
		oicall_metrics_track_calls(engine, session_by_id, now);
		oicall_cluster_node_tick(engine, now);
		janus_mutex_unlock(&engine_mutex);
		dispatch_effects(effects);
		g_ptr_array_unref(effects);
	}
	/* Shutting down: nobody waits for these any more. */
	while(closing_sessions != NULL)
		session_closed(closing_sessions->data);
	return NULL;
}

/* ---- Janus callbacks ------------------------------------------------- */

static void ms_reply(oicall_session *session, const char *transaction, json_t *message, json_t *jsep) {
	push_or_hold(session, transaction, message, jsep);
	json_decref(message);
}

/* What heavy loss adds to a video receiver's playout floor (playout.h): the
 * core resends a lost retransmission only if it keeps packets long enough,
 * which its media.min_nack_queue (200 ms unless set) decides. */
static guint core_resend_gap(const char *config_path) {
	char *text = oicall_settings_peek(config_path, "janus", "media", "min_nack_queue");
	guint queue = oicall_playout_nack_queue_ms(text);
	g_free(text);
	guint gap = oicall_playout_resend_gap(queue);
	if(gap == 0 && config.loss_playout_delay > 0)
		JANUS_LOG(LOG_WARN, "%s: the core keeps packets for retransmission %u ms: a retransmission "
			"lost on its way is never sent again and video freezes more on lossy paths; set media.min_nack_queue = 500 "
			"in janus.jcfg\n", OICALL_NAME, queue);
	return gap;
}

/* Whether janus.transport.socketio, configured beside us, checks tokens. */
static gboolean socketio_checks_tokens(const char *config_path) {
	char *enabled = oicall_settings_peek(config_path, "janus.transport.socketio", "auth", "enabled");
	char *secret = oicall_settings_peek(config_path, "janus.transport.socketio", "auth", "secret");
	gboolean on = oicall_auth_wanted(enabled ? enabled : "auto", secret ? secret : "");
	g_free(enabled);
	g_free(secret);
	return on;
}

static int oicall_init(janus_callbacks *callback, const char *config_path) {
	if(g_atomic_int_get(&stopping) || callback == NULL || config_path == NULL)
		return -1;
	oicall_settings_load(config_path, OICALL_PACKAGE, oicall_plugin_settings, oicall_plugin_settings_count,
		&config);
	if(oicall_auth_wanted(config.auth_mode, config.auth_secret)) {
		if(strlen(config.auth_secret) < OICALL_AUTH_MIN_SECRET_LEN)
			JANUS_LOG(LOG_ERR, "%s: auth.enabled without an auth.secret of at least %d characters: "
				"every register will be refused\n", OICALL_NAME, OICALL_AUTH_MIN_SECRET_LEN);
		auth_secret = oicall_auth_secret_in_force(config.auth_secret);
	} else if(socketio_checks_tokens(config_path)) {
		JANUS_LOG(LOG_WARN, "%s: janus.transport.socketio checks tokens but this plugin does not: Janus's own "
			"HTTP and WebSocket APIs, where loaded, let anyone register as anyone. Set the same auth.secret in "
			"%s.jcfg, or disable those transports or bind them to 127.0.0.1\n", OICALL_NAME, OICALL_PACKAGE);
	}
	if((config.turn_secret[0] == '\0') != (config.turn_urls[0] == '\0'))
		JANUS_LOG(LOG_ERR, "%s: turn.secret (at least %d characters) and turn.urls go together: with only one "
			"of them, no iceServers are handed out\n", OICALL_NAME, OICALL_AUTH_MIN_SECRET_LEN);
	else if(config.turn_secret[0] != '\0')
		JANUS_LOG(LOG_INFO, "%s: handing out TURN credentials valid %" G_GUINT64_FORMAT " s for %s\n", OICALL_NAME,
			config.turn_lifetime, config.turn_urls);
	resend_gap = core_resend_gap(config_path);
	ice_acks = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	sessions = g_hash_table_new_full(NULL, NULL, NULL, (GDestroyNotify)session_destroy);
	sessions_by_id = g_hash_table_new(g_int64_hash, g_int64_equal);
	engine = oicall_engine_new((gint64)config.ring_timeout * G_USEC_PER_SEC,
		(gint64)config.reconnect_grace * G_USEC_PER_SEC);
	oicall_engine_set_media_timeout(engine, (gint64)config.media_timeout * G_USEC_PER_SEC);
	oicall_engine_set_max_peers(engine, (int)config.max_participants);
	oicall_engine_set_max_rings(engine, (int)config.max_outgoing_rings);
	oicall_engine_set_call_limits(engine, (guint)config.max_call_starts, (guint)config.max_unanswered,
		(gint64)config.unanswered_window * G_USEC_PER_SEC);
	messages = g_async_queue_new_full((GDestroyNotify)message_free);
	gateway = callback;
	oicall_ms_env ms_env = { .gateway = gateway, .plugin = &oicall_plugin, .config = &config, .engine = engine,
		.engine_mutex = &engine_mutex, .session_by_id = session_by_id, .reply = ms_reply, .jsep_refused = jsep_refused,
		.dispatch = dispatch_effects };
	oicall_ms_init(&ms_env);
	oicall_metrics_init();
	oicall_cluster_node_start(&config, cluster_deliver);
	GError *error = NULL;
	handler_thread = g_thread_try_new("oicall handler", message_thread, NULL, &error);
	if(error != NULL) {
		JANUS_LOG(LOG_ERR, "%s: can't start the message thread: %s\n", OICALL_NAME, error->message);
		g_error_free(error);
		g_hash_table_destroy(sessions_by_id);
		g_hash_table_destroy(sessions);
		oicall_engine_free(engine);
		oicall_ms_destroy();
		oicall_metrics_destroy();
		oicall_cluster_node_stop();
		g_async_queue_unref(messages);
		g_clear_pointer(&ice_acks, g_hash_table_destroy);
		oicall_settings_clear(oicall_plugin_settings, oicall_plugin_settings_count, &config);
		g_clear_pointer(&auth_secret, g_free);
		return -1;
	}
	g_atomic_int_set(&initialized, 1);
	JANUS_LOG(LOG_INFO, "%s initialized (ring timeout %"G_GUINT64_FORMAT" s, reconnect grace %"G_GUINT64_FORMAT
		" s, media timeout %"G_GUINT64_FORMAT" s)\n", OICALL_NAME, config.ring_timeout, config.reconnect_grace,
		config.media_timeout);
	return 0;
}

static void oicall_destroy(void) {
	if(!g_atomic_int_get(&initialized))
		return;
	g_atomic_int_set(&stopping, 1);
	queue_message(OICALL_MSG_EXIT, NULL, 0);
	g_thread_join(handler_thread);
	handler_thread = NULL;
	oicall_cluster_node_stop();
	janus_mutex_lock(&sessions_mutex);
	/* Calls still up hold their two sessions in a cycle of relay links: cut it. */
	GHashTableIter iter;
	gpointer value;
	g_hash_table_iter_init(&iter, sessions);
	while(g_hash_table_iter_next(&iter, NULL, &value))
		oicall_relay_unlink(value);
	g_hash_table_destroy(sessions_by_id);
	sessions_by_id = NULL;
	g_hash_table_destroy(sessions);
	sessions = NULL;
	janus_mutex_unlock(&sessions_mutex);
	/* Calls go first: their transports are in msflow's tables. */
	oicall_engine_free(engine);
	engine = NULL;
	oicall_ms_destroy();
	oicall_metrics_destroy();
	g_async_queue_unref(messages);
	messages = NULL;
	g_clear_pointer(&ice_acks, g_hash_table_destroy);
	oicall_settings_clear(oicall_plugin_settings, oicall_plugin_settings_count, &config);
	g_clear_pointer(&auth_secret, g_free);
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
	oicall_session *session = g_new0(oicall_session, 1);
	session->handle = handle;
	janus_mutex_init(&session->mutex);
	oicall_relay_init(session);
	janus_refcount_init(&session->ref, session_free);
	handle->plugin_handle = session;
	janus_mutex_lock(&sessions_mutex);
	session->id = ++next_session_id;
	g_hash_table_insert(sessions, handle, session);
	g_hash_table_insert(sessions_by_id, &session->id, session);
	janus_mutex_unlock(&sessions_mutex);
}

static void oicall_destroy_session(janus_plugin_session *handle, int *error) {
	if(g_atomic_int_get(&stopping) || !g_atomic_int_get(&initialized)) {
		*error = -1;
		return;
	}
	janus_mutex_lock(&sessions_mutex);
	oicall_session *session = g_hash_table_lookup(sessions, handle);
	if(session == NULL) {
		janus_mutex_unlock(&sessions_mutex);
		*error = -2;
		return;
	}
	guint64 id = session->id;
	g_hash_table_remove(sessions_by_id, &session->id);
	/* The relay's references would keep it alive otherwise. */
	janus_refcount_increase(&session->ref);
	g_hash_table_remove(sessions, handle);
	janus_mutex_unlock(&sessions_mutex);
	oicall_relay_unlink(session);
	janus_refcount_decrease(&session->ref);
	queue_message(OICALL_MSG_GONE, NULL, id);
}

static json_t *oicall_query_session(janus_plugin_session *handle) {
	oicall_session *session = session_get(handle);
	if(session == NULL)
		return NULL;
	janus_mutex_lock(&engine_mutex);
	json_t *info = oicall_inspect_session(engine, session, janus_get_monotonic_time());
	janus_mutex_unlock(&engine_mutex);
	janus_refcount_decrease(&session->ref);
	return info;
}

/* Runs an Admin API request on the plugin thread and waits for its answer. */
static json_t *admin_on_plugin_thread(json_t *message) {
	oicall_handoff *answer = oicall_handoff_new();
	oicall_message *msg = g_new0(oicall_message, 1);
	msg->kind = OICALL_MSG_ADMIN;
	msg->body = json_incref(message);
	msg->answer = answer;
	g_async_queue_push(messages, msg);
	json_t *response = oicall_handoff_wait(answer, 5 * G_USEC_PER_SEC);
	if(response == NULL) {
		JANUS_LOG(LOG_ERR, "[oicall] Admin API request not handled within 5 s\n");
		return error_reply(OICALL_ERROR_REQUEST_FAILED, "Timed out");
	}
	return response;
}

static json_t *oicall_handle_admin_message(json_t *message) {
	const char *request = json_string_value(json_object_get(message, "request"));
	if(!g_atomic_int_get(&initialized) || g_atomic_int_get(&stopping))
		return error_reply(OICALL_ERROR_REQUEST_FAILED, "Shutting down");
	if(request == NULL)
		return error_reply(OICALL_ERROR_INVALID_REQUEST, "Missing request");
	if(strcmp(request, "end-call") == 0 || strcmp(request, "kick-user") == 0)
		return admin_on_plugin_thread(message);
	if((strcmp(request, "list-users") == 0 || strcmp(request, "list-calls") == 0) &&
			json_is_true(json_object_get(message, "cluster")))
		return with_error_code(oicall_cluster_node_list(strcmp(request, "list-calls") == 0));
	gint64 now = janus_get_monotonic_time();
	json_t *response = NULL;
	janus_mutex_lock(&engine_mutex);
	if(strcmp(request, "list-users") == 0) {
		response = oicall_inspect_users(engine, session_by_id);
	} else if(strcmp(request, "list-calls") == 0) {
		response = oicall_inspect_calls(engine, session_by_id, now);
	} else if(strcmp(request, "call-info") == 0) {
		oicall_call *call = oicall_engine_call(engine, json_string_value(json_object_get(message, "callId")));
		response = call ? oicall_inspect_call(engine, call, session_by_id, now)
			: error_reply(OICALL_ERROR_REQUEST_FAILED, "Unknown call");
	} else {
		response = error_reply(OICALL_ERROR_UNKNOWN_REQUEST, "Unknown request");
	}
	janus_mutex_unlock(&engine_mutex);
	return response;
}

static struct janus_plugin_result *oicall_handle_message(janus_plugin_session *handle, char *transaction,
		json_t *message, json_t *jsep) {
	oicall_session *session = NULL;
	const char *refusal = NULL;
	if(g_atomic_int_get(&stopping) || !g_atomic_int_get(&initialized))
		refusal = "Shutting down";
	else if((session = session_get(handle)) == NULL)
		refusal = "No session associated with this handle";
	else if(!json_is_object(message))
		refusal = "The message body must be an object";
	if(refusal != NULL) {
		if(session != NULL)
			janus_refcount_decrease(&session->ref);
		g_free(transaction);
		json_decref(message);
		json_decref(jsep);
		return janus_plugin_result_new(JANUS_PLUGIN_ERROR, refusal, NULL);
	}
	oicall_message *msg = g_new0(oicall_message, 1);
	msg->kind = OICALL_MSG_REQUEST;
	msg->session = session;     /* keeps the reference session_get took */
	msg->transaction = transaction;
	msg->body = message;
	msg->jsep = jsep;
	g_async_queue_push(messages, msg);
	return janus_plugin_result_new(JANUS_PLUGIN_OK_WAIT, NULL, NULL);
}

static void oicall_setup_media(janus_plugin_session *handle) {
	oicall_session *session = session_get(handle);
	if(session == NULL)
		return;
	oicall_metrics_media_ready(session);
	g_atomic_int_set(&session->media_ready, 1);
	oicall_relay_media_ready(gateway, session, (guint32)config.max_bitrate);
	janus_refcount_decrease(&session->ref);
}

static void oicall_hangup_media(janus_plugin_session *handle) {
	oicall_session *session = session_get(handle);
	if(session == NULL)
		return;
	g_atomic_int_set(&session->media_ready, 0);
	queue_message(OICALL_MSG_HANGUP, session, 0);
}

static void oicall_incoming_rtp(janus_plugin_session *handle, janus_plugin_rtp *packet) {
	if(handle == NULL || g_atomic_int_get(&handle->stopped) || g_atomic_int_get(&stopping))
		return;
	oicall_session *session = handle->plugin_handle;
	if(session == NULL || g_atomic_int_get(&session->destroyed))
		return;
	atomic_store_explicit(&session->last_rx_us, janus_get_monotonic_time(), memory_order_relaxed);
	oicall_metrics_rtp_in(session, packet);
	oicall_relay_rtp(gateway, session, packet);
}

static void oicall_incoming_rtcp(janus_plugin_session *handle, janus_plugin_rtcp *packet) {
	if(handle == NULL || g_atomic_int_get(&handle->stopped) || g_atomic_int_get(&stopping))
		return;
	oicall_session *session = handle->plugin_handle;
	if(session == NULL || g_atomic_int_get(&session->destroyed))
		return;
	atomic_store_explicit(&session->last_rx_us, janus_get_monotonic_time(), memory_order_relaxed);
	oicall_metrics_rtcp_in(packet);
	oicall_relay_rtcp(gateway, session, packet, (guint32)config.max_bitrate, (guint)config.loss_playout_delay,
		resend_gap);
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
	.incoming_rtp = oicall_incoming_rtp,
	.incoming_rtcp = oicall_incoming_rtcp,
	.hangup_media = oicall_hangup_media,
	.destroy_session = oicall_destroy_session,
	.query_session = oicall_query_session,
	.handle_admin_message = oicall_handle_admin_message,
);

janus_plugin *create(void);
janus_plugin *create(void) {
	return &oicall_plugin;
}
