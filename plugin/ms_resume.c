/*
 * resume-call: a user whose active call came to a new socket (call-resumed:
 * a new tab or device) brings the call's media up on it, the way it took
 * part before. A side that used SDP gets the gateway's offer, with the
 * m-lines and payload types of the other side's PeerConnection (the offer
 * the callee was made), and answers it with resume-call { callId, jsep };
 * a mediasoup-style side gets a new send and recv transport and produces
 * and consumes on them as after accept-call (the room dialect: create-transport
 * and get-producers). What the old session carried goes at once (the engine's
 * OICALL_EFFECT_MEDIA_MOVED): its PeerConnection or transports, with their
 * producers and consumers; the others hear producer-closed, then
 * new-producer for the new ones, or get a renegotiate offer (JSEP peers of a group).
 */
#include <string.h>

#include <janus/utils.h>

#include "ms_internal.h"

/* The new transports are ready: the ack has them, and a seed-dialect peer
 * hears of what the others send (a room-dialect one asks with get-producers). */
static void transports_ready(ms_pair *pair) {
	ms_call *ms = ms_of(pair->call);
	oicall_call *call = pair->call;
	if(pair->error != NULL || ms == NULL || call->peers[pair->side].media_session != pair->session ||
			pair->generation != ms->generation[pair->side]) {
		ms_reply_to(pair->session, pair->transaction, ms_error_reply(ERROR_FAILED, pair->error ? pair->error :
			"The call ended, or its media moved again"));
		return;
	}
	json_t *ack = json_pack("{sbss}", "success", 1, "callId", call->id);
	ms_add_transports(ack, ms, pair->side);
	ms_reply_to(pair->session, pair->transaction, ack);
	for(guint i = 0; !call->peers[pair->side].room && i < ms->producers->len; i++) {
		ms_producer *p = g_ptr_array_index(ms->producers, i);
		if(p->ready)
			ms_new_producer_event_to(call, p, pair->side);
	}
}

/* resume-call without jsep: the media moves here, and what it needs to come up goes out. */
static void resume_offer(oicall_session *session, json_t *body, const char *transaction) {
	GPtrArray *effects = oicall_effects_new();
	janus_mutex_lock(ms_env.engine_mutex);
	oicall_call *call = NULL;
	json_t *ack = oicall_engine_check_call(ms_env.engine, session->id, body, &call);
	ms_call *ms = ms_of(call);
	int side = ack == NULL ? oicall_call_side_of(call, oicall_engine_user(ms_env.engine, session->id)) : -1;
	gboolean sdp = ms != NULL && ms_side_uses_jsep(ms, side);
	gboolean moved = FALSE;
	if(ack == NULL && ms == NULL)
		ack = ms_error_reply(ERROR_FAILED, "This call has no media to resume");
	else if(ack == NULL && sdp && ms->callee_offer == NULL)
		ack = ms_error_reply(ERROR_FAILED, "This call has no SDP offer to resume with");
	else if(ack == NULL && !sdp && atomic_load(&session->janus_session_id) == 0)
		ack = ms_error_reply(ERROR_FAILED, "Resuming a call with transports needs the Socket.IO transport");
	if(ack == NULL)
		ack = oicall_engine_resume_call(ms_env.engine, session->id, body, effects, janus_get_monotonic_time(), &call, &moved);
	if(json_object_get(ack, "error") != NULL || !moved) {
		janus_mutex_unlock(ms_env.engine_mutex);
		if(json_object_get(ack, "error") == NULL)
			json_object_set_new(ack, "alreadyResumed", json_true());
		ms_env.dispatch(effects);
		g_ptr_array_unref(effects);
		ms_reply(session, transaction, ms_with_error_code(ack));
		return;
	}
	json_decref(ack);
	oicall_call_ref(call);
	janus_mutex_unlock(ms_env.engine_mutex);
	/* The old session's media goes first (its producers and links with it). */
	ms_env.dispatch(effects);
	g_ptr_array_unref(effects);
	if(call->state == OICALL_CALL_ENDED || ms_of(call) != ms) {
		ms_reply(session, transaction, ms_error_reply(ERROR_FAILED, "The call ended"));
	} else if(sdp) {
		/* From now on this handle is the side's PeerConnection (it closes if the call ends before the answer). */
		ms->jsep_session[side] = session->id;
		ms->resume_offered[side] = TRUE;
		json_t *jsep = json_pack("{ssss}", "type", "offer", "sdp", ms->callee_offer);
		ms_env.reply(session, transaction, json_pack("{sbss}", "success", 1, "callId", call->id), jsep);
		json_decref(jsep);
	} else {
		ms_make_transports(ms, side, ms_pair_new(call, side, session->id, transaction, transports_ready));
	}
	oicall_call_unref(call);
}

/* resume-call with the answer to its offer: the new PeerConnection takes the side's place. */
static void resume_answer(oicall_session *session, json_t *body, json_t *jsep, const char *transaction) {
	janus_mutex_lock(ms_env.engine_mutex);
	oicall_call *call = NULL;
	json_t *ack = oicall_engine_check_call(ms_env.engine, session->id, body, &call);
	ms_call *ms = ms_of(call);
	int side = ack == NULL ? oicall_call_side_of(call, oicall_engine_user(ms_env.engine, session->id)) : -1;
	char *answer = NULL, *caller_answer = NULL, *error = NULL;
	if(ack == NULL && (ms == NULL || !ms->resume_offered[side] || ms->jsep_session[side] != session->id ||
			call->peers[side].media_session != session->id))
		ack = ms_error_reply(ERROR_FAILED, "No offer pending: send resume-call without jsep first");
	if(ack == NULL && (answer = ms_jsep_checked_answer(ms, jsep, &caller_answer, &error)) == NULL)
		ack = ms_error_reply(ERROR_INVALID, error);
	g_free(caller_answer);
	g_free(error);
	if(ack != NULL) {
		janus_mutex_unlock(ms_env.engine_mutex);
		ms_reply(session, transaction, ms_with_error_code(ack));
		return;
	}
	ms->resume_offered[side] = FALSE;
	ms_jsep_adopt_side(ms, side, session->id, answer);
	/* Two SDP sides of a 1:1 call: m-line to m-line, as when it was accepted. */
	if(!call->group && ms_side_uses_jsep(ms, 1 - side))
		ms_jsep_link_pair(ms, answer);
	oicall_call_ref(call);
	janus_mutex_unlock(ms_env.engine_mutex);
	ms_reply(session, transaction, json_pack("{sb}", "success", 1));
	/* Its m-lines are producers for peers with transports; a group's JSEP peer gets m-lines for the others'. */
	for(guint i = 0; i < ms->producers->len; i++) {
		ms_producer *p = g_ptr_array_index(ms->producers, i);
		if(p->ready && p->side == side)
			ms_tell_others(call, side, "new-producer", ms_producer_info(call, p));
	}
	if(call->group) {
		ms_jsep_join(ms, side, ms->callee_offer);
		ms_jsep_sync(ms);
	}
	oicall_call_unref(call);
	g_free(answer);
}

void ms_resume_call(oicall_session *session, json_t *body, json_t *jsep, const char *transaction) {
	if(jsep != NULL)
		resume_answer(session, body, jsep, transaction);
	else
		resume_offer(session, body, transaction);
}
