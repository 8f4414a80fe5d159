/*
 * The room dialect's own requests (OIChat's current app): join-call,
 * create-transport, get-producers and close-producer. They are steps the seed's flow
 * bundles into start-call and accept-call, over the same call: the
 * transports create-transport hands out are the very ones start-call and
 * incoming-call hand a seed-dialect client.
 */
#include <string.h>

#include <janus/utils.h>

#include "ms_internal.h"

/* The requester's side of a call it takes part in (a room-dialect peer once it joined); NULL, or the error reply. */
static json_t *joined_side(oicall_session *session, json_t *body, oicall_call **call, int *side) {
	janus_mutex_lock(ms_env.engine_mutex);
	json_t *error = oicall_engine_check_call(ms_env.engine, session->id, body, call);
	if(error == NULL) {
		*side = oicall_call_side_of(*call, oicall_engine_user(ms_env.engine, session->id));
		if(!oicall_call_peer_joined(*call, *side))
			error = ms_error_reply(ERROR_FAILED, "Join the call first (join-call)");
		else if(ms_of(*call) == NULL)
			error = ms_error_reply(ERROR_FAILED, "This call has no media yet");
	}
	janus_mutex_unlock(ms_env.engine_mutex);
	return error;
}

static void join_call(oicall_session *session, json_t *body, const char *transaction) {
	GPtrArray *effects = oicall_effects_new();
	janus_mutex_lock(ms_env.engine_mutex);
	oicall_call *call = NULL;
	json_t *ack = oicall_engine_join_call(ms_env.engine, session->id, body, effects, &call);
	ms_call *ms = ms_of(call);
	if(json_object_get(ack, "error") == NULL && ms != NULL)
		json_object_set(ack, "rtpCapabilities", ms->router_caps);
	janus_mutex_unlock(ms_env.engine_mutex);
	ms_reply(session, transaction, ms_with_error_code(ack));
	ms_env.dispatch(effects);
	g_ptr_array_unref(effects);
}

static void transport_ready(ms_transport *t, const char *error, gpointer data) {
	ms_request *r = data;
	if(error == NULL && t->parameters == NULL)
		error = "The gateway could not set up this transport";
	ms_reply_to(r->session, r->transaction, error != NULL ? ms_error_reply(ERROR_FAILED, error) :
		json_pack("{sO}", "transportOptions", t->parameters));
}

/* The side's send or recv transport, made when the call reached it (the
 * caller's at start-call, the callee's with incoming-call): asking again
 * gives the same one. */
static void create_transport(oicall_session *session, json_t *body, const char *transaction) {
	oicall_call *call = NULL;
	int side = -1;
	json_t *error = joined_side(session, body, &call, &side);
	const char *direction = json_string_value(json_object_get(body, "direction"));
	ms_call *ms = ms_of(call);
	ms_transport *t = NULL;
	if(error == NULL && ms_side_uses_jsep(ms, side))
		error = ms_error_reply(ERROR_FAILED, "You take part with an SDP PeerConnection: it has no transports");
	if(error == NULL && (direction == NULL || (strcmp(direction, "send") != 0 && strcmp(direction, "recv") != 0)))
		error = ms_error_reply(ERROR_INVALID, "direction must be \"send\" or \"recv\"");
	if(error == NULL && (t = ms->transports[side][strcmp(direction, "send") == 0 ? 0 : 1]) == NULL)
		error = ms_error_reply(ERROR_FAILED, "Your transports for this call are not ready");
	if(error == NULL && t->state == TRANSPORT_GONE)
		error = ms_error_reply(ERROR_FAILED, "This transport is closed: its Janus handle is gone");
	if(error != NULL) {
		ms_reply(session, transaction, error);
	} else if(t->parameters != NULL) {
		ms_reply(session, transaction, json_pack("{sO}", "transportOptions", t->parameters));
	} else {
		/* Its first round (the core's offer) is on the way. */
		ms_wait_for(t, transport_ready, ms_request_new(session, transaction, call, NULL), (GDestroyNotify)ms_request_free);
	}
}

/* Every other peer's producers, ready ones (pending ones come as new-producer). */
static void get_producers(oicall_session *session, json_t *body, const char *transaction) {
	oicall_call *call = NULL;
	int side = -1;
	json_t *error = joined_side(session, body, &call, &side);
	if(error != NULL) {
		ms_reply(session, transaction, error);
		return;
	}
	ms_call *ms = ms_of(call);
	json_t *list = json_array();
	for(guint i = 0; i < ms->producers->len; i++) {
		ms_producer *p = g_ptr_array_index(ms->producers, i);
		if(p->ready && p->side != side)
			json_array_append_new(list, ms_producer_info(call, p));
	}
	ms_reply(session, transaction, json_pack("{so}", "producers", list));
}

/* close-producer: one of the requester's producers goes (a screen share
 * stopped), with every consumer of it; the others hear producer-closed. */
static void close_producer(oicall_session *session, json_t *body, const char *transaction) {
	oicall_call *call = NULL;
	int side = -1;
	json_t *error = joined_side(session, body, &call, &side);
	json_t *id = json_object_get(body, "producerId");
	ms_producer *p = NULL;
	if(error == NULL && id == NULL)
		error = ms_error_reply(ERROR_INVALID, "Missing producerId");
	else if(error == NULL && !json_is_string(id))
		error = ms_error_reply(ERROR_INVALID, "producerId must be a string");
	else if(error == NULL && ((p = ms_producer_by_id(ms_of(call), json_string_value(id), TRUE)) == NULL || p->side != side))
		error = ms_error_reply(ERROR_FAILED, "Unknown producerId");
	else if(error == NULL && p->transport == NULL)
		error = ms_error_reply(ERROR_FAILED, "That producer is an m-line of your PeerConnection: renegotiate it instead");
	if(error == NULL) {
		ms_producer_close(ms_of(call), p);
		error = json_pack("{sb}", "success", 1);
	}
	ms_reply(session, transaction, error);
}

gboolean ms_room_request(oicall_session *session, const char *request, json_t *body, const char *transaction) {
	if(strcmp(request, "join-call") == 0)
		join_call(session, body, transaction);
	else if(strcmp(request, "create-transport") == 0)
		create_transport(session, body, transaction);
	else if(strcmp(request, "get-producers") == 0)
		get_producers(session, body, transaction);
	else if(strcmp(request, "close-producer") == 0)
		close_producer(session, body, transaction);
	else
		return FALSE;
	return TRUE;
}
