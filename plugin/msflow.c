#include "msflow.h"

#include <string.h>

#include <janus/debug.h>
#include <janus/utils.h>

#include "jsep_media.h"
#include "ms_internal.h"
#include "ortc.h"
#include "relay.h"


oicall_ms_env ms_env;
static GHashTable *by_id;       /* transport id → ms_transport * */
static GHashTable *by_session;  /* guint64 session id → ms_transport * */

/* ---- helpers --------------------------------------------------------- */

json_t *ms_error_reply(int code, const char *message) {
	return json_pack("{sssi}", "error", message, "error_code", code);
}

json_t *ms_with_error_code(json_t *ack) {
	if(json_object_get(ack, "error") != NULL && json_object_get(ack, "error_code") == NULL)
		json_object_set_new(ack, "error_code", json_integer(ERROR_FAILED));
	return ack;
}

void ms_reply(oicall_session *session, const char *transaction, json_t *message) {
	ms_env.reply(session, transaction, message, NULL);
}

void ms_reply_to(guint64 session_id, const char *transaction, json_t *message) {
	oicall_session *session = ms_env.session_by_id(session_id);
	if(session != NULL) {
		ms_reply(session, transaction, message);
		janus_refcount_decrease(&session->ref);
	} else {
		json_decref(message);
	}
}

/* An event to a side's user, wherever they are now. */
void ms_event_to_user(oicall_call *call, int side, const char *name, json_t *payload) {
	janus_mutex_lock(ms_env.engine_mutex);
	guint64 session = oicall_registry_session_of(oicall_engine_registry(ms_env.engine), call->peers[side].user);
	janus_mutex_unlock(ms_env.engine_mutex);
	json_object_set_new(payload, "event", json_string(name));
	ms_reply_to(session, NULL, payload);
}

ms_call *ms_of(oicall_call *call) {
	return call != NULL ? call->media : NULL;
}

gboolean ms_side_uses_jsep(ms_call *ms, int side) {
	return ms->jsep_session[side] != 0 || (side == OICALL_CALLER && ms->jsep_caller);
}

oicall_stream *ms_producer_stream(ms_call *ms, ms_producer *p) {
	if(p->transport != NULL)
		return g_ptr_array_index(p->transport->streams, p->mindex - 1);
	return ms->jsep_stream[p->side][p->kind];
}

oicall_session *ms_producer_session(ms_call *ms, ms_producer *p) {
	if(p->transport == NULL)
		return ms_env.session_by_id(ms->jsep_session[p->side]);
	if(p->transport->session != NULL)
		janus_refcount_increase(&p->transport->session->ref);
	return p->transport->session;
}

/* A producer or consumer of the call by id; ready ones only unless pending_too. */
ms_producer *ms_producer_by_id(ms_call *ms, const char *id, gboolean pending_too) {
	for(guint i = 0; id != NULL && i < ms->producers->len; i++) {
		ms_producer *p = g_ptr_array_index(ms->producers, i);
		if(strcmp(p->id, id) == 0 && (p->ready || pending_too))
			return p;
	}
	return NULL;
}

static ms_consumer *consumer_by_id(ms_call *ms, const char *id, gboolean pending_too) {
	for(guint i = 0; id != NULL && i < ms->consumers->len; i++) {
		ms_consumer *c = g_ptr_array_index(ms->consumers, i);
		if(strcmp(c->id, id) == 0 && (c->ready || pending_too))
			return c;
	}
	return NULL;
}

/* ---- waiters --------------------------------------------------------- */

void ms_wait_for(ms_transport *t, ms_done done, gpointer data, GDestroyNotify free_data) {
	ms_waiter *w = g_new0(ms_waiter, 1);
	w->done = done;
	w->data = data;
	w->free_data = free_data;
	w->deadline = janus_get_monotonic_time() + OP_TIMEOUT_US;
	g_queue_push_tail(&t->waiters, w);
}

static void waiter_finish(ms_transport *t, ms_waiter *w, const char *error) {
	w->done(t, error, w->data);
	if(w->free_data)
		w->free_data(w->data);
	g_free(w);
}

static void fail_waiters(ms_transport *t, const char *error) {
	ms_waiter *w;
	while((w = g_queue_pop_head(&t->waiters)) != NULL)
		waiter_finish(t, w, error);
}

/* ---- negotiation ----------------------------------------------------- */

static int push_instruction(oicall_session *session, json_t *instruction, json_t *jsep) {
	json_t *event = json_pack("{so}", "sio", instruction);
	int rc = ms_env.gateway->push_event(session->handle, ms_env.plugin, NULL, event, jsep);
	if(rc != 0)
		JANUS_LOG(LOG_WARN, "[oicall] transport instruction not delivered (%d)\n", rc);
	json_decref(event);
	return rc;
}

/* The version in an SDP's o= line (ours, which the core keeps); 0 if none. */
static guint64 sdp_version(const char *sdp) {
	const char *o = sdp ? strstr(sdp, "\no=") : NULL;
	if(o == NULL)
		return 0;
	char **fields = g_strsplit_set(o + 3, " \r\n", 4);
	guint64 version = fields[0] && fields[1] && fields[2] ? g_ascii_strtoull(fields[2], NULL, 10) : 0;
	g_strfreev(fields);
	return version;
}

static void rejected_section(GString *sdp, const oicall_stream *s) {
	const oicall_codec *c = g_ptr_array_index(s->codecs, 0);
	char *rtpmap = oicall_codec_rtpmap(c);
	g_string_append_printf(sdp, "m=%s 0 UDP/TLS/RTP/SAVPF %d\r\nc=IN IP4 0.0.0.0\r\na=mid:%s\r\na=inactive\r\n"
		"a=rtpmap:%s\r\n", s->kind == OICALL_KIND_AUDIO ? "audio" : "video", c->pt, s->mid, rtpmap);
	g_free(rtpmap);
}

/* Our offer, or the client's answer, for the transport's sections. ortc
 * writes every stream as live; a closed section goes out rejected (port 0,
 * inactive, out of the BUNDLE group) at its index, so no index ever shifts. */
static char *transport_sdp(ms_transport *t, gboolean answer) {
	char *sdp = answer ? oicall_ortc_answer(t->streams, &t->client, t->version) : oicall_ortc_offer(t->streams, t->version);
	gboolean any = FALSE;
	for(guint i = 0; i < t->streams->len; i++)
		any = any || t->sections[i].closed;
	if(!any)
		return sdp;
	char **lines = g_strsplit(sdp, "\r\n", -1);
	g_free(sdp);
	GString *out = g_string_new(NULL);
	int section = -1;       /* -1 session level, 0 the anchor, i + 1 stream i */
	for(guint i = 0; lines[i] != NULL; i++) {
		const char *line = lines[i];
		if(*line == '\0')
			continue;
		if(g_str_has_prefix(line, "m="))
			section++;
		if(section >= 1 && (guint)section <= t->streams->len && t->sections[section - 1].closed) {
			if(g_str_has_prefix(line, "m="))
				rejected_section(out, g_ptr_array_index(t->streams, section - 1));
			continue;
		}
		if(section == -1 && g_str_has_prefix(line, "a=group:BUNDLE ")) {
			g_string_append(out, "a=group:BUNDLE " OICALL_ANCHOR_MID);
			for(guint k = 0; k < t->streams->len; k++) {
				if(!t->sections[k].closed)
					g_string_append_printf(out, " %s", ((oicall_stream *)g_ptr_array_index(t->streams, k))->mid);
			}
			g_string_append(out, "\r\n");
			continue;
		}
		g_string_append_printf(out, "%s\r\n", line);
	}
	g_strfreev(lines);
	return g_string_free(out, FALSE);
}

static void negotiate(ms_transport *t);

static void round_done(ms_transport *t) {
	t->state = TRANSPORT_IDLE;
	if(t->dirty) {
		negotiate(t);
		return;
	}
	ms_waiter *w;
	while(t->state == TRANSPORT_IDLE && !t->dirty && (w = g_queue_pop_head(&t->waiters)) != NULL)
		waiter_finish(t, w, NULL);
}

/* The round in flight failed (the gateway refused it, or the courier never
 * came back): everything waiting fails and undoes its change, and the
 * transport is idle again, its next round a fresh offer with what is left.
 * Changes undone here reach the core with that round, not with one of their
 * own: a courier that is not answering would only time out again. */
static void round_failed(ms_transport *t, const char *error) {
	JANUS_LOG(LOG_WARN, "[oicall] transport %s: %s\n", t->id, error);
	t->fresh_offer = TRUE;
	fail_waiters(t, error);
	if(t->state == TRANSPORT_OFFERING || t->state == TRANSPORT_ANSWERING)
		t->state = TRANSPORT_IDLE;
	t->dirty = FALSE;
}

static void send_answer(ms_transport *t) {
	t->state = TRANSPORT_ANSWERING;
	t->round_deadline = janus_get_monotonic_time() + OP_TIMEOUT_US;
	char *answer = transport_sdp(t, TRUE);
	int rc = push_instruction(t->session, json_pack("{s{ssss}}", "remote-sdp", "type", "answer", "sdp", answer), NULL);
	g_free(answer);
	if(rc != 0)
		round_failed(t, "The gateway could not set up this transport");
}

/* A new offer with the current streams, then (once connected) the client's answer. */
static void negotiate(ms_transport *t) {
	if(t->state != TRANSPORT_IDLE || t->session == NULL) {
		t->dirty = TRUE;
		return;
	}
	t->dirty = FALSE;
	t->state = TRANSPORT_OFFERING;
	t->round_deadline = janus_get_monotonic_time() + OP_TIMEOUT_US;
	t->version++;
	char *offer = transport_sdp(t, FALSE);
	json_t *jsep = json_pack("{ssss}", "type", "offer", "sdp", offer);
	g_free(offer);
	json_t *event = json_pack("{s{sb}}", "sio", "local-sdp", 1);
	/* The core merges in its ICE and DTLS and hands it to the transport, which hands it back. */
	int rc = ms_env.gateway->push_event(t->session->handle, ms_env.plugin, NULL, event, jsep);
	json_decref(event);
	json_decref(jsep);
	if(rc != 0)
		round_failed(t, "The gateway could not set up this transport");
}

/* ---- transports ------------------------------------------------------ */

static void transport_free(ms_transport *t, const char *reason) {
	fail_waiters(t, reason);
	g_hash_table_remove(by_id, t->id);
	if(t->session != NULL) {
		g_hash_table_remove(by_session, &t->session->id);
		oicall_relay_unlink(t->session);
		/* Its Janus handle has no use any more: the transport lets it go. */
		ms_env.gateway->end_session(t->session->handle);
		janus_refcount_decrease(&t->session->ref);
	}
	g_ptr_array_unref(t->streams);
	oicall_client_transport_clear(&t->client);
	json_decref(t->parameters);
	g_free(t->local_sdp);
	g_free(t->nonce);
	g_free(t->id);
	g_free(t);
}

/* Whether the transport is still its side's (not being dropped). */
static gboolean transport_current(ms_transport *t) {
	return t->owner->transports[t->side][t->send ? 0 : 1] == t;
}

/* A section no longer used: rejected from the transport's next round on. */
static void section_close(ms_transport *t, int mindex) {
	t->sections[mindex - 1].closed = TRUE;
	if(t->session != NULL)
		oicall_relay_forget(t->session, mindex);
	if(transport_current(t))
		negotiate(t);
}

static void consumer_close(ms_call *ms, ms_consumer *c) {
	section_close(c->transport, c->mindex);
	g_ptr_array_remove(ms->consumers, c);
}

/* A producer goes with its consumers (mediasoup closes a producer's consumers
 * too); the peers that may have consumed it hear producer-closed. */
void ms_producer_close(ms_call *ms, ms_producer *p) {
	for(guint i = ms->consumers->len; i > 0; i--) {
		ms_consumer *c = g_ptr_array_index(ms->consumers, i - 1);
		if(c->producer == p)
			consumer_close(ms, c);
	}
	if(p->transport != NULL)
		section_close(p->transport, p->mindex);
	ms_jsep_producer_gone(ms, p);
	if(p->ready)
		ms_tell_others(ms->call, p->side, "producer-closed", ms_producer_info(ms->call, p));
	g_ptr_array_remove(ms->producers, p);
}

static gboolean among(ms_transport *const *list, int count, ms_transport *t) {
	for(int i = 0; i < count; i++) {
		if(list[i] == t)
			return TRUE;
	}
	return FALSE;
}

/* A side's transports go (side -1: both sides'), with the producers and
 * consumers on them; what waits on them fails with reason. */
static void transports_drop(ms_call *ms, int side, const char *reason) {
	ms_transport *gone[OICALL_MAX_PEERS * 2];
	int count = 0;
	/* Taken off the call first, so that closing what is on them doesn't renegotiate them. */
	for(int s = 0; s < OICALL_MAX_PEERS; s++) {
		for(int dir = 0; dir < 2 && (side < 0 || s == side); dir++) {
			if(ms->transports[s][dir] != NULL)
				gone[count++] = ms->transports[s][dir];
			ms->transports[s][dir] = NULL;
		}
	}
	for(guint i = ms->consumers->len; i > 0; i--) {
		ms_consumer *c = g_ptr_array_index(ms->consumers, i - 1);
		if(among(gone, count, c->transport))
			consumer_close(ms, c);
	}
	for(guint i = ms->producers->len; i > 0; i--) {
		ms_producer *p = g_ptr_array_index(ms->producers, i - 1);
		if(p->transport != NULL && among(gone, count, p->transport))
			ms_producer_close(ms, p);
	}
	for(int i = 0; i < count; i++)
		transport_free(gone[i], reason);
}

static ms_transport *transport_new(ms_call *owner, int side, gboolean send, guint64 control) {
	ms_transport *t = g_new0(ms_transport, 1);
	t->id = g_uuid_string_random();
	t->nonce = g_uuid_string_random();
	t->owner = owner;
	t->side = side;
	t->send = send;
	t->control = control;
	t->streams = g_ptr_array_new_with_free_func((GDestroyNotify)oicall_stream_free);
	t->state = TRANSPORT_UNBOUND;
	g_queue_init(&t->waiters);
	g_hash_table_insert(by_id, t->id, t);
	oicall_session *session = ms_env.session_by_id(control);
	if(session != NULL) {
		push_instruction(session, json_pack("{s{ssssss}}", "attach", "transportId", t->id, "nonce", t->nonce,
			"callId", owner->call->id), NULL);
		janus_refcount_decrease(&session->ref);
	}
	return t;
}

static void ms_call_free(gpointer data) {
	ms_call *ms = data;
	transports_drop(ms, -1, "The call ended");
	g_ptr_array_unref(ms->consumers);
	g_ptr_array_unref(ms->producers);
	json_decref(ms->router_caps);
	for(int side = 0; side < OICALL_MAX_PEERS; side++) {
		for(int kind = 0; kind < 2; kind++)
			oicall_stream_free(ms->jsep_stream[side][kind]);
		ms_jsep_peer_free(ms->jsep_peer[side]);
	}
	g_free(ms->callee_offer);
	g_free(ms->caller_answer);
	g_free(ms);
}

static void producer_free(ms_producer *p) {
	g_free(p->source);
	g_free(p->id);
	g_free(p);
}

static void consumer_free(ms_consumer *c) {
	g_free(c->id);
	g_free(c);
}

/* The media state of a new call (engine locked). callee_offer: the
 * gateway's offer made from the caller's SDP; NULL when the caller uses
 * mediasoup-style signalling (the gateway then writes one of its own). */
static ms_call *ms_call_new(oicall_call *call, const char *callee_offer) {
	ms_call *ms = g_new0(ms_call, 1);
	ms->call = call;
	/* Like a mediasoup router's: the same whatever the call type. */
	ms->router_caps = oicall_ortc_router_capabilities(ms_env.config->audio_codecs, ms_env.config->video_codecs);
	ms->producers = g_ptr_array_new_with_free_func((GDestroyNotify)producer_free);
	ms->consumers = g_ptr_array_new_with_free_func((GDestroyNotify)consumer_free);
	ms->jsep_caller = callee_offer != NULL;
	if(callee_offer != NULL) {
		ms->callee_offer = g_strdup(callee_offer);
	} else {
		int audio_pt = 0, video_pt = 0;
		char *audio = oicall_ortc_router_first_codec(ms->router_caps, OICALL_KIND_AUDIO, &audio_pt);
		char *video = strcmp(call->call_type, "video") == 0 ?
			oicall_ortc_router_first_codec(ms->router_caps, OICALL_KIND_VIDEO, &video_pt) : NULL;
		if(audio != NULL)
			ms->callee_offer = oicall_jsep_gateway_offer(audio, audio_pt, video, video_pt);
		g_free(audio);
		g_free(video);
	}
	call->media = ms;
	call->media_free = ms_call_free;
	return ms;
}


void ms_pair_free(ms_pair *pair) {
	oicall_call_unref(pair->call);
	g_free(pair->error);
	g_free(pair->transaction);
	json_decref(pair->payload);
	g_free(pair);
}

ms_pair *ms_pair_new(oicall_call *call, int side, guint64 session, const char *transaction, void (*ready)(ms_pair *pair)) {
	ms_pair *pair = g_new0(ms_pair, 1);
	pair->call = oicall_call_ref(call);
	pair->side = side;
	pair->session = session;
	pair->transaction = g_strdup(transaction);
	pair->ready = ready;
	return pair;
}

static void pair_step(ms_transport *t, const char *error, gpointer data) {
	(void)t;
	ms_pair *pair = data;
	if(error != NULL && pair->error == NULL)
		pair->error = g_strdup(error);
	if(--pair->pending == 0) {
		pair->ready(pair);
		ms_pair_free(pair);
	}
}

void ms_make_transports(ms_call *ms, int side, ms_pair *pair) {
	pair->generation = ++ms->generation[side];
	transports_drop(ms, side, "These transports were replaced: use the ones of your latest incoming-call");
	for(int dir = 0; dir < 2; dir++)
		ms->transports[side][dir] = transport_new(ms, side, dir == 0, pair->session);
	pair->pending = 2;
	for(int dir = 0; dir < 2; dir++)
		ms_wait_for(ms->transports[side][dir], pair_step, pair, NULL);
}

void ms_add_transports(json_t *payload, ms_call *ms, int side) {
	json_object_set(payload, "rtpCapabilities", ms->router_caps);
	json_object_set(payload, "sendTransport", ms->transports[side][0]->parameters);
	json_object_set(payload, "recvTransport", ms->transports[side][1]->parameters);
}

/* ---- start-call, incoming-call, accept-call --------------------------- */

static void start_call_ready(ms_pair *pair) {
	ms_call *ms = ms_of(pair->call);
	if(pair->error != NULL || ms == NULL) {
		ms_reply_to(pair->session, pair->transaction, ms_error_reply(ERROR_FAILED, pair->error ? pair->error : "The call ended"));
		return;
	}
	json_t *ack = json_pack("{ss}", "callId", pair->call->id);
	/* The engine's ack fields (busyUserIds), kept in payload. */
	if(pair->payload != NULL)
		json_object_update_missing(ack, pair->payload);
	/* A room-dialect caller asks for them with create-transport. */
	if(pair->call->peers[OICALL_CALLER].room)
		json_object_set(ack, "rtpCapabilities", ms->router_caps);
	else
		ms_add_transports(ack, ms, OICALL_CALLER);
	ms_reply_to(pair->session, pair->transaction, ack);
}

/* The same start-call again (a double click, a retry): the same answer,
 * with the same transports once they are ready; nothing else changes. Engine locked. */
static void repeat_start_call(oicall_session *session, oicall_call *call, const char *transaction) {
	ms_call *ms = ms_of(call);
	ms_transport *const *mine = ms != NULL ? ms->transports[OICALL_CALLER] : NULL;
	if(ms == NULL || ms_side_uses_jsep(ms, OICALL_CALLER) || mine[0] == NULL || mine[1] == NULL) {
		ms_reply(session, transaction, ms_error_reply(ERROR_FAILED, "Already in a call"));
		return;
	}
	ms_pair *pair = ms_pair_new(call, OICALL_CALLER, session->id, transaction, start_call_ready);
	for(int dir = 0; dir < 2; dir++) {
		if(mine[dir]->parameters == NULL)
			pair->pending++;
	}
	for(int dir = 0; dir < 2; dir++) {
		if(mine[dir]->parameters == NULL)
			ms_wait_for(mine[dir], pair_step, pair, NULL);
	}
	if(pair->pending == 0) {
		start_call_ready(pair);
		ms_pair_free(pair);
	}
}

static void start_call(oicall_session *session, json_t *body, const char *transaction) {
	janus_mutex_lock(ms_env.engine_mutex);
	/* Only the Socket.IO transport can attach the transports' handles (an
	 * unregistered session hears that it is not registered first). */
	if(atomic_load(&session->janus_session_id) == 0 && oicall_engine_user(ms_env.engine, session->id) != NULL) {
		janus_mutex_unlock(ms_env.engine_mutex);
		ms_reply(session, transaction, ms_error_reply(ERROR_INVALID, "Missing jsep offer (calls without one need the Socket.IO transport)"));
		return;
	}
	oicall_call *repeated = oicall_engine_repeated_start(ms_env.engine, session->id, body);
	if(repeated != NULL) {
		repeat_start_call(session, repeated, transaction);
		janus_mutex_unlock(ms_env.engine_mutex);
		return;
	}
	GPtrArray *effects = oicall_effects_new();
	oicall_call *call = NULL;
	json_t *ack = oicall_engine_start_call(ms_env.engine, session->id, body, effects, janus_get_monotonic_time(), &call);
	ms_call *ms = NULL;
	/* A refused call (busy...) may exist, already ended. */
	if(call != NULL && json_object_get(ack, "error") != NULL)
		call = NULL;
	if(call != NULL) {
		ms = ms_call_new(call, NULL);
		oicall_call_ref(call);
	}
	janus_mutex_unlock(ms_env.engine_mutex);
	if(call == NULL) {
		ms_reply(session, transaction, ms_with_error_code(ack));
	} else {
		ms_pair *pair = ms_pair_new(call, OICALL_CALLER, session->id, transaction, start_call_ready);
		oicall_call_unref(call);    /* the reference taken above: the pair has its own */
		pair->payload = ack;
		ms_make_transports(ms, OICALL_CALLER, pair);
	}
	ms_env.dispatch(effects);
	g_ptr_array_unref(effects);
}

/* incoming-call carries both the gateway's SDP offer and the invitee's
 * transports: the invitee's client uses whichever it understands. */
static void send_incoming(ms_call *ms, int side, guint64 session_id, json_t *payload, gboolean with_transports) {
	oicall_session *session = ms_env.session_by_id(session_id);
	if(session == NULL)
		return;
	json_t *event = json_deep_copy(payload);
	if(with_transports)
		ms_add_transports(event, ms, side);
	json_object_set_new(event, "event", json_string("incoming-call"));
	json_t *jsep = ms->callee_offer ? json_pack("{ssss}", "type", "offer", "sdp", ms->callee_offer) : NULL;
	ms_env.reply(session, NULL, event, jsep);
	json_decref(jsep);
	janus_refcount_decrease(&session->ref);
}

static void incoming_ready(ms_pair *pair) {
	ms_call *ms = ms_of(pair->call);
	if(ms == NULL || pair->call->peers[pair->side].state != OICALL_PEER_RINGING ||
			pair->generation != ms->generation[pair->side])
		return;     /* the call ended, or was offered again meanwhile, or answered */
	send_incoming(ms, pair->side, pair->session, pair->payload, pair->error == NULL);
}

void oicall_ms_incoming_call(oicall_call *call, int side, guint64 session, json_t *payload) {
	ms_call *ms = ms_of(call);
	if(ms == NULL)
		return;
	oicall_session *callee = ms_env.session_by_id(session);
	/* Only the Socket.IO transport attaches transport handles for its clients. */
	gboolean socketio = callee != NULL && atomic_load(&callee->janus_session_id) != 0;
	if(callee != NULL)
		janus_refcount_decrease(&callee->ref);
	if(!socketio) {
		send_incoming(ms, side, session, payload, FALSE);
		return;
	}
	ms_pair *pair = ms_pair_new(call, side, session, NULL, incoming_ready);
	pair->payload = json_deep_copy(payload);
	ms_make_transports(ms, side, pair);
}

json_t *ms_producer_info(oicall_call *call, ms_producer *p) {
	return json_pack("{ssssssssss?}", "callId", call->id, "producerId", p->id, "kind",
		p->kind == OICALL_KIND_AUDIO ? "audio" : "video", "userId", call->peers[p->side].user, "source", p->source);
}

/* Whether a peer hears of producers with events: one with transports that
 * takes part (a room-dialect peer that has not joined yet asks with get-producers). */
static gboolean hears_producers(ms_call *ms, int side) {
	return !ms_side_uses_jsep(ms, side) && oicall_call_peer_joined(ms->call, side);
}

void ms_tell_others(oicall_call *call, int side, const char *name, json_t *payload) {
	/* The engine changes on this thread only: reading it needs no lock. */
	ms_call *ms = ms_of(call);
	for(int other = 0; ms != NULL && call->state != OICALL_CALL_ENDED && other < call->npeers; other++) {
		if(other != side && hears_producers(ms, other))
			ms_event_to_user(call, other, name, json_deep_copy(payload));
	}
	json_decref(payload);
}

void ms_new_producer_event_to(oicall_call *call, ms_producer *p, int side) {
	ms_call *ms = ms_of(call);
	if(ms != NULL && p->side != side && hears_producers(ms, side))
		ms_event_to_user(call, side, "new-producer", ms_producer_info(call, p));
}

static void drop_transports(ms_call *ms, int side) {
	transports_drop(ms, side, "You accepted with an SDP answer: these transports are closed");
}

static json_t *accept_ack(ms_call *ms, json_t *jsep) {
	json_t *ack = json_pack("{sb}", "success", 1);
	if(jsep == NULL)
		json_object_set(ack, "rtpCapabilities", ms->router_caps);
	return ack;
}

/* accept-call with an SDP answer (a plain RTCPeerConnection) or without
 * (mediasoup-style: the callee's transports), whatever the caller uses. */
static void accept_call(oicall_session *session, json_t *body, json_t *jsep, const char *transaction) {
	GPtrArray *effects = oicall_effects_new();
	janus_mutex_lock(ms_env.engine_mutex);
	oicall_call *call = NULL;
	json_t *ack = oicall_engine_check_call(ms_env.engine, session->id, body, &call);
	ms_call *ms = ms_of(call);
	int side = call ? oicall_call_side_of(call, oicall_engine_user(ms_env.engine, session->id)) : -1;
	if(ack == NULL && ms != NULL && side > OICALL_CALLER && call->peers[side].state == OICALL_PEER_IN &&
			call->peers[side].media_session == session->id && ms_side_uses_jsep(ms, side) == (jsep != NULL)) {
		/* The same accept again: its answer again, nothing else (an SDP that
		 * came with it stays unused: the handle carries the call). */
		janus_mutex_unlock(ms_env.engine_mutex);
		g_ptr_array_unref(effects);
		ms_reply(session, transaction, accept_ack(ms, jsep));
		return;
	}
	char *answer = NULL, *caller_answer = NULL, *error = NULL;
	int code = ERROR_FAILED;
	gboolean bad_answer = FALSE;
	if(ack == NULL && ms == NULL) {
		error = g_strdup("This call has no media to accept");
	} else if(ack == NULL && jsep != NULL) {
		answer = ms_jsep_checked_answer(ms, jsep, &caller_answer, &error);
		code = ERROR_INVALID;
		bad_answer = answer == NULL;
	} else if(ack == NULL && side > OICALL_CALLER) {
		ms_transport *send = ms->transports[side][0];
		if(send == NULL || send->control != session->id || send->parameters == NULL)
			error = g_strdup("Your transports for this call are not ready: wait for incoming-call");
	}
	/* A JSEP caller is answered by the gateway itself when it isn't linked to
	 * one SDP callee (a mediasoup-style callee, or any group), once. Opus RED
	 * only in a group, where JSEP peers may take it: a mediasoup-style callee
	 * can't, and the caller would send nearly twice the audio for nothing. */
	if(ack == NULL && error == NULL && ms->jsep_caller && (call->group || answer == NULL) && ms->caller_answer == NULL) {
		g_free(caller_answer);
		if((caller_answer = oicall_jsep_gateway_answer(ms->callee_offer, call->group, &error)) == NULL)
			code = ERROR_FAILED;
	} else if(call != NULL && call->group) {
		g_clear_pointer(&caller_answer, g_free);
	}
	if(ack == NULL && error != NULL)
		ack = ms_error_reply(code, error);
	/* The caller's answer must be there when call-accepted goes out. */
	if(ack == NULL) {
		if(caller_answer != NULL) {
			g_free(ms->caller_answer);
			ms->caller_answer = caller_answer;
			caller_answer = NULL;
		}
		ack = oicall_engine_accept_call(ms_env.engine, session->id, body, effects, janus_get_monotonic_time(), &call);
	}
	gboolean accepted = json_object_get(ack, "error") == NULL;
	/* The callee's answer didn't fit the offer, and the core, which took it,
	 * closes that PeerConnection: the callee gets the call offered anew. */
	oicall_call *offer_again = bad_answer && call->peers[side].state == OICALL_PEER_RINGING &&
		g_hash_table_contains(call->peers[side].offered_to, &session->id) ? oicall_call_ref(call) : NULL;
	/* A group's JSEP caller takes part from the first accept. */
	gboolean caller_joins = accepted && call->group && ms->jsep_caller && ms->jsep_session[OICALL_CALLER] == 0;
	if(accepted) {
		oicall_call_ref(call);
		if(answer != NULL) {
			drop_transports(ms, side);
			if(ms->jsep_caller && !call->group)
				ms->jsep_session[OICALL_CALLER] = call->peers[OICALL_CALLER].media_session;
			ms_jsep_adopt_side(ms, side, session->id, answer);
			if(ms->jsep_caller && !call->group) {
				ms_jsep_adopt_side(ms, OICALL_CALLER, call->peers[OICALL_CALLER].media_session, ms->caller_answer);
				ms_jsep_link_pair(ms, answer);
			}
		} else if(ms->jsep_caller && (!call->group || caller_joins)) {
			ms_jsep_adopt_side(ms, OICALL_CALLER, call->peers[OICALL_CALLER].media_session, ms->caller_answer);
		}
		if(answer != NULL && caller_joins)
			ms_jsep_adopt_side(ms, OICALL_CALLER, call->peers[OICALL_CALLER].media_session, ms->caller_answer);
	}
	gboolean jsep_joins = accepted && call->group && answer != NULL;
	janus_mutex_unlock(ms_env.engine_mutex);
	g_free(answer);
	g_free(caller_answer);
	g_free(error);
	if(!accepted) {
		ms_with_error_code(ack);
		if(jsep != NULL)
			ms_env.jsep_refused(session);
		ms_reply(session, transaction, ack);
		ms_env.dispatch(effects);
		g_ptr_array_unref(effects);
		if(offer_again != NULL) {
			json_t *payload = oicall_call_incoming_payload(offer_again);
			oicall_ms_incoming_call(offer_again, side, session->id, payload);
			json_decref(payload);
			oicall_call_unref(offer_again);
		}
		return;
	}
	json_decref(ack);
	ms_env.dispatch(effects);
	g_ptr_array_unref(effects);
	ms_reply(session, transaction, accept_ack(ms, jsep));
	/* What the others already produce, for it if it uses mediasoup-style
	 * signalling, and what its SDP answer produces, for the others (pending
	 * ones tell when they are ready). */
	for(guint i = 0; i < ms->producers->len; i++) {
		ms_producer *p = g_ptr_array_index(ms->producers, i);
		if(p->ready && p->side == side)
			ms_tell_others(call, side, "new-producer", ms_producer_info(call, p));
		else if(p->ready)
			ms_new_producer_event_to(call, p, side);
	}
	/* A group's JSEP peers get m-lines for every other stream, the new peer's included. */
	if(jsep_joins)
		ms_jsep_join(ms, side, ms->callee_offer);
	if(caller_joins)
		ms_jsep_join(ms, OICALL_CALLER, ms->caller_answer);
	if(call->group)
		ms_jsep_sync(ms);
	oicall_call_unref(call);
}

/* ---- connect-transport ----------------------------------------------- */

ms_request *ms_request_new(oicall_session *session, const char *transaction, oicall_call *call, const char *item) {
	ms_request *r = g_new0(ms_request, 1);
	r->session = session->id;
	r->transaction = g_strdup(transaction);
	r->call = oicall_call_ref(call);
	r->item = g_strdup(item);
	return r;
}

void ms_request_free(ms_request *r) {
	g_free(r->item);
	g_free(r->transaction);
	oicall_call_unref(r->call);
	g_free(r);
}

static void connect_done(ms_transport *t, const char *error, gpointer data) {
	ms_request *r = data;
	if(error != NULL) {
		/* Not connected after all: the client may try again. */
		t->connected = FALSE;
		oicall_client_transport_clear(&t->client);
		t->fresh_offer = TRUE;
	}
	ms_reply_to(r->session, r->transaction, error ? ms_error_reply(ERROR_FAILED, error) : json_pack("{sb}", "success", 1));
}

/* The call, its mediasoup side of the requester, and a transport of it; NULL with the error reply. */
static json_t *find_transport(oicall_session *session, json_t *body, oicall_call **call, int *side, ms_transport **t) {
	json_t *error = oicall_engine_check_call(ms_env.engine, session->id, body, call);
	if(error != NULL)
		return error;
	ms_call *ms = ms_of(*call);
	if(ms == NULL)
		return ms_error_reply(ERROR_INVALID, "This call has no transports (it uses SDP offers and answers)");
	*side = oicall_call_side_of(*call, oicall_engine_user(ms_env.engine, session->id));
	json_t *id = json_object_get(body, "transportId");
	if(id == NULL)
		return ms_error_reply(ERROR_INVALID, "Missing transportId");
	ms_transport *found = json_is_string(id) ? g_hash_table_lookup(by_id, json_string_value(id)) : NULL;
	if(found == NULL || found->owner != ms)
		return ms_error_reply(ERROR_FAILED, "Unknown transportId");
	if(found->side != *side)
		return ms_error_reply(ERROR_FAILED, "Not your transport");
	/* As in the seed, where the callee gets its transports with accept-call:
	 * until then they may still be replaced (it registers again) or dropped
	 * (it answers with SDP). The caller produces while it rings. */
	if((*call)->peers[*side].state != OICALL_PEER_IN)
		return ms_error_reply(ERROR_FAILED, "Accept the call first: your transports take requests once it is accepted");
	if(found->state == TRANSPORT_GONE)
		return ms_error_reply(ERROR_FAILED, "This transport is closed: its Janus handle is gone");
	*t = found;
	return NULL;
}

static void connect_transport(oicall_session *session, json_t *body, const char *transaction) {
	oicall_call *call = NULL;
	ms_transport *t = NULL;
	int side = -1;
	janus_mutex_lock(ms_env.engine_mutex);
	json_t *error = find_transport(session, body, &call, &side, &t);
	char *message = NULL;
	if(error == NULL && t->connected)
		error = ms_error_reply(ERROR_FAILED, "Transport already connected");
	if(error == NULL && !oicall_ortc_client_transport(body, &t->client, &message)) {
		error = ms_error_reply(ERROR_INVALID, message);
		g_free(message);
	}
	janus_mutex_unlock(ms_env.engine_mutex);
	if(error != NULL) {
		ms_reply(session, transaction, error);
		return;
	}
	t->connected = TRUE;
	ms_wait_for(t, connect_done, ms_request_new(session, transaction, call, NULL), (GDestroyNotify)ms_request_free);
	if(t->state == TRANSPORT_IDLE) {
		/* With the core's offer in hand, the answer can go now; after a failed
		 * round it follows a new offer. */
		if(t->local_sdp != NULL && !t->fresh_offer)
			send_answer(t);
		else
			negotiate(t);
	} else if(t->state == TRANSPORT_ANSWERING) {
		/* An answer from before (a connect that timed out) is in flight: this one needs a round of its own. */
		t->dirty = TRUE;
	}
	/* Offering (or not bound yet): the answer follows the core's offer. */
}

/* ---- producers and consumers ----------------------------------------- */

/* Why a producer can't have this SSRC; NULL if it can. Producers' SSRCs are
 * unique in the call. A closed section's are free, except on its own
 * transport, where Janus keeps mapping them to its index, unless the new
 * producer takes that very section over (reuse, 0 if none). */
static const char *ssrc_refused(ms_call *ms, ms_transport *t, int reuse, guint32 ssrc) {
	for(int side = 0; ssrc != 0 && side < OICALL_MAX_PEERS; side++) {
		ms_transport *other = ms->transports[side][0];
		for(guint i = 0; other != NULL && i < other->streams->len; i++) {
			oicall_stream *s = g_ptr_array_index(other->streams, i);
			if(s->ssrc != ssrc && s->rtx_ssrc != ssrc)
				continue;
			if(!other->sections[i].closed)
				return "Duplicate SSRC: another producer of this call uses it";
			if(other == t && (int)i + 1 != reuse)
				return "Duplicate SSRC: a closed producer of this transport had it (send it with that producer's mid)";
		}
	}
	return NULL;
}

static void producer_done(ms_transport *t, const char *error, gpointer data) {
	ms_request *r = data;
	ms_call *ms = ms_of(r->call);
	ms_producer *p = ms ? ms_producer_by_id(ms, r->item, TRUE) : NULL;
	if(error != NULL || p == NULL) {
		/* Its section goes (it may be taken over by a producer with the same mid). */
		if(p != NULL)
			ms_producer_close(ms, p);
		ms_reply_to(r->session, r->transaction, ms_error_reply(ERROR_FAILED, error ? error : "The call ended"));
		return;
	}
	oicall_stream *stream = g_ptr_array_index(t->streams, p->mindex - 1);
	const oicall_codec *codec = g_ptr_array_index(stream->codecs, 0);
	char *name = oicall_codec_name_lower(codec);
	oicall_relay_describe(t->session, p->mindex, p->kind, name, p->id);
	g_free(name);
	p->ready = TRUE;
	ms_reply_to(r->session, r->transaction, json_pack("{ss}", "producerId", p->id));
	if(r->call->state == OICALL_CALL_ACTIVE) {
		ms_jsep_connect(ms, p);
		ms_tell_others(r->call, p->side, "new-producer", ms_producer_info(r->call, p));
		ms_jsep_sync(ms);
	}
}

/* A new stream takes section mindex (1-based), or a new one at the end (mindex 0); returns its mindex. */
static int section_take(ms_transport *t, int mindex, oicall_stream *stream, gboolean mid_known) {
	if(mindex == 0) {
		g_ptr_array_add(t->streams, stream);
		mindex = (int)t->streams->len;
	} else {
		oicall_stream_free(g_ptr_array_index(t->streams, mindex - 1));
		g_ptr_array_index(t->streams, mindex - 1) = stream;
	}
	t->sections[mindex - 1].closed = FALSE;
	t->sections[mindex - 1].mid_known = mid_known;
	return mindex;
}

/* appData.source, if any (NULL with no appData or source); an error reply if it is malformed. */
static json_t *producer_source(json_t *body, const char **source) {
	json_t *app_data = json_object_get(body, "appData"), *value = json_object_get(app_data, "source");
	*source = json_string_value(value);
	if(app_data != NULL && !json_is_null(app_data) && !json_is_object(app_data))
		return ms_error_reply(ERROR_INVALID, "appData must be an object");
	if(value != NULL && !json_is_null(value) && (*source == NULL || json_string_length(value) == 0 ||
			json_string_length(value) > 32))
		return ms_error_reply(ERROR_INVALID, "appData.source must be a string of 1 to 32 characters");
	return NULL;
}

static void create_producer(oicall_session *session, json_t *body, const char *transaction) {
	oicall_call *call = NULL;
	ms_transport *t = NULL;
	int side = -1;
	janus_mutex_lock(ms_env.engine_mutex);
	json_t *error = find_transport(session, body, &call, &side, &t);
	janus_mutex_unlock(ms_env.engine_mutex);
	char *message = NULL;
	oicall_stream *stream = NULL;
	if(error == NULL && !t->send)
		error = ms_error_reply(ERROR_INVALID, "Producers need a send transport");
	const char *source = NULL;
	if(error == NULL)
		error = producer_source(body, &source);
	if(error == NULL) {
		stream = oicall_ortc_producer(json_string_value(json_object_get(body, "kind")),
			json_object_get(body, "rtpParameters"), t->owner->router_caps, &message);
		if(stream == NULL) {
			error = ms_error_reply(ERROR_INVALID, message);
			g_free(message);
		}
	}
	/* The mid is the client's: a closed section with it is this producer's to take over. */
	int reuse = 0;
	for(guint i = 0; error == NULL && i < t->streams->len; i++) {
		if(strcmp(((oicall_stream *)g_ptr_array_index(t->streams, i))->mid, stream->mid) != 0)
			continue;
		if(t->sections[i].closed && ((oicall_stream *)g_ptr_array_index(t->streams, i))->kind == stream->kind)
			reuse = (int)i + 1;
		else
			error = ms_error_reply(ERROR_INVALID, "rtpParameters.mid is already used on this transport");
	}
	if(error == NULL && reuse == 0 && t->streams->len >= OICALL_MAX_STREAMS)
		error = ms_error_reply(ERROR_FAILED, "Too many producers on this transport");
	for(guint i = 0; error == NULL && g_strcmp0(source, "screen") == 0 && i < t->owner->producers->len; i++) {
		if(g_strcmp0(((ms_producer *)g_ptr_array_index(t->owner->producers, i))->source, "screen") == 0)
			error = ms_error_reply(ERROR_FAILED, "Someone shares a screen in this call already: one screen share at a time");
	}
	const char *refused = NULL;
	if(error == NULL && ((refused = ssrc_refused(t->owner, t, reuse, stream->ssrc)) != NULL ||
			(refused = ssrc_refused(t->owner, t, reuse, stream->rtx_ssrc)) != NULL))
		error = ms_error_reply(ERROR_INVALID, refused);
	if(error != NULL) {
		oicall_stream_free(stream);
		ms_reply(session, transaction, error);
		return;
	}
	ms_producer *p = g_new0(ms_producer, 1);
	p->id = g_uuid_string_random();
	p->side = side;
	p->transport = t;
	p->kind = stream->kind;
	p->source = g_strdup(source);
	p->mindex = section_take(t, reuse, stream, TRUE);
	g_ptr_array_add(t->owner->producers, p);
	ms_wait_for(t, producer_done, ms_request_new(session, transaction, call, p->id), (GDestroyNotify)ms_request_free);
	negotiate(t);
}

static void consumer_done(ms_transport *t, const char *error, gpointer data) {
	ms_request *r = data;
	ms_call *ms = ms_of(r->call);
	ms_consumer *c = ms ? consumer_by_id(ms, r->item, TRUE) : NULL;
	oicall_stream *stream = c ? g_ptr_array_index(t->streams, c->mindex - 1) : NULL;
	if(error == NULL && stream != NULL)
		oicall_ortc_local_ssrcs(t->local_sdp, stream->mid, &stream->ssrc, &stream->rtx_ssrc);
	oicall_session *source_session = stream && error == NULL ? ms_producer_session(ms, c->producer) : NULL;
	if(error != NULL || c == NULL || stream->ssrc == 0 || source_session == NULL) {
		/* Its section goes; the client never heard of its mid, so any new consumer may take it over. */
		if(c != NULL)
			consumer_close(ms, c);
		ms_reply_to(r->session, r->transaction, ms_error_reply(ERROR_FAILED, error ? error :
			c ? "The gateway could not add this consumer" : "The call ended"));
		if(source_session != NULL)
			janus_refcount_decrease(&source_session->ref);
		return;
	}
	if(((oicall_codec *)g_ptr_array_index(stream->codecs, 0))->rtx_pt >= 0 && stream->rtx_ssrc == 0)
		JANUS_LOG(LOG_WARN, "[oicall] transport %s: the core has no RTX SSRC for consumer section %s\n", t->id, stream->mid);
	ms_producer *p = c->producer;
	int map[128];
	oicall_ortc_payload_map(ms_producer_stream(ms, p), stream, map);
	oicall_relay_connect(source_session, p->mindex, t->session, c->mindex, p->kind, map, TRUE);
	janus_refcount_decrease(&source_session->ref);
	const oicall_codec *codec = g_ptr_array_index(stream->codecs, 0);
	char *name = oicall_codec_name_lower(codec);
	oicall_relay_describe(t->session, c->mindex, p->kind, name, c->id);
	g_free(name);
	c->ready = TRUE;
	t->sections[c->mindex - 1].mid_known = TRUE;
	ms_reply_to(r->session, r->transaction, json_pack("{ssssssso}", "id", c->id, "producerId", p->id, "kind",
		p->kind == OICALL_KIND_AUDIO ? "audio" : "video", "rtpParameters", oicall_ortc_consumer_parameters(stream)));
}

static void create_consumer(oicall_session *session, json_t *body, const char *transaction) {
	janus_mutex_lock(ms_env.engine_mutex);
	oicall_call *call = NULL;
	json_t *error = oicall_engine_check_call(ms_env.engine, session->id, body, &call);
	ms_call *ms = ms_of(call);
	int side = call ? oicall_call_side_of(call, oicall_engine_user(ms_env.engine, session->id)) : -1;
	gboolean active = call && call->state == OICALL_CALL_ACTIVE && call->peers[side].state == OICALL_PEER_IN;
	janus_mutex_unlock(ms_env.engine_mutex);
	if(error == NULL && ms == NULL)
		error = ms_error_reply(ERROR_INVALID, "This call has no transports (it uses SDP offers and answers)");
	ms_producer *p = NULL;
	ms_transport *t = NULL;
	json_t *producer_id = json_object_get(body, "producerId");
	if(error == NULL && producer_id == NULL)
		error = ms_error_reply(ERROR_INVALID, "Missing producerId");
	if(error == NULL && (p = ms_producer_by_id(ms, json_string_value(producer_id), FALSE)) == NULL)
		error = ms_error_reply(ERROR_FAILED, "Unknown producerId");
	if(error == NULL && p->side == side)
		error = ms_error_reply(ERROR_INVALID, "That producer is yours");
	if(error == NULL && !active)
		error = ms_error_reply(ERROR_FAILED, "The call is not accepted yet");
	int reuse = 0;
	if(error == NULL) {
		/* The side's, whichever socket of the user asks (one that reconnected too). */
		t = ms->transports[side][1];
		json_t *wanted = json_object_get(body, "transportId");
		if(t == NULL)
			error = ms_error_reply(ERROR_FAILED, "Your transports for this call are not ready");
		else if(wanted != NULL && (!json_is_string(wanted) || strcmp(json_string_value(wanted), t->id) != 0))
			error = ms_error_reply(ERROR_INVALID, "Consumers need your recv transport");
		else if(t->state == TRANSPORT_GONE)
			error = ms_error_reply(ERROR_FAILED, "This transport is closed: its Janus handle is gone");
		else if(!json_is_object(json_object_get(body, "rtpCapabilities")))
			error = ms_error_reply(ERROR_INVALID, "Missing rtpCapabilities");
	}
	/* A closed section whose mid the client never heard of is as good as new
	 * (its mid with it), if it is of that kind (Janus keeps an index's kind too). */
	for(guint i = 0; error == NULL && reuse == 0 && i < t->streams->len; i++) {
		if(t->sections[i].closed && !t->sections[i].mid_known &&
				((oicall_stream *)g_ptr_array_index(t->streams, i))->kind == p->kind)
			reuse = (int)i + 1;
	}
	if(error == NULL && reuse == 0 && t->streams->len >= OICALL_MAX_STREAMS)
		error = ms_error_reply(ERROR_FAILED, "Too many consumers on this transport");
	oicall_stream *stream = NULL;
	if(error == NULL) {
		char *mid = reuse ? g_strdup(((oicall_stream *)g_ptr_array_index(t->streams, reuse - 1))->mid) :
			g_strdup_printf("%u", t->next_mid);
		stream = oicall_ortc_consumer(ms_producer_stream(ms, p),
			json_object_get(body, "rtpCapabilities"), ms->router_caps, mid);
		g_free(mid);
		if(stream == NULL)
			error = json_pack("{sssi}", "error", "Cannot consume", "error_code", ERROR_FAILED);
	}
	for(guint i = 0; error == NULL && i < ms->consumers->len; i++) {
		ms_consumer *other = g_ptr_array_index(ms->consumers, i);
		if(other->producer == p && other->side == side)
			error = ms_error_reply(ERROR_INVALID, "Already consuming that producer");
	}
	if(error != NULL) {
		oicall_stream_free(stream);
		ms_reply(session, transaction, error);
		return;
	}
	if(reuse == 0)
		t->next_mid++;
	ms_consumer *c = g_new0(ms_consumer, 1);
	c->id = g_uuid_string_random();
	c->side = side;
	c->producer = p;
	c->transport = t;
	c->mindex = section_take(t, reuse, stream, FALSE);
	g_ptr_array_add(ms->consumers, c);
	ms_wait_for(t, consumer_done, ms_request_new(session, transaction, call, c->id), (GDestroyNotify)ms_request_free);
	negotiate(t);
}

static void resume_consumer(oicall_session *session, json_t *body, const char *transaction) {
	janus_mutex_lock(ms_env.engine_mutex);
	oicall_call *call = NULL;
	json_t *error = oicall_engine_check_call(ms_env.engine, session->id, body, &call);
	ms_call *ms = ms_of(call);
	int side = call ? oicall_call_side_of(call, oicall_engine_user(ms_env.engine, session->id)) : -1;
	janus_mutex_unlock(ms_env.engine_mutex);
	if(error == NULL && ms == NULL)
		error = ms_error_reply(ERROR_INVALID, "This call has no consumers (it uses SDP offers and answers)");
	const char *id = json_string_value(json_object_get(body, "consumerId"));
	ms_consumer *c = error == NULL ? consumer_by_id(ms, id, FALSE) : NULL;
	if(c != NULL && c->side != side)
		c = NULL;
	if(error == NULL && c == NULL)
		error = ms_error_reply(ERROR_FAILED, id ? "Unknown consumerId" : "Missing consumerId");
	if(error != NULL) {
		ms_reply(session, transaction, error);
		return;
	}
	if(c->resumed) {
		ms_reply(session, transaction, json_pack("{sbsb}", "success", 1, "alreadyResumed", 1));
		return;
	}
	c->resumed = TRUE;
	oicall_session *source = ms_producer_session(ms, c->producer);
	if(source != NULL) {
		oicall_relay_pause_forward(ms_env.gateway, source, c->producer->mindex, c->transport->session, c->mindex, FALSE);
		janus_refcount_decrease(&source->ref);
	}
	ms_reply(session, transaction, json_pack("{sb}", "success", 1));
}

/* ---- the transport's courier replies ---------------------------------- */

static void bind_transport(oicall_session *session, json_t *body, const char *transaction) {
	const char *id = json_string_value(json_object_get(body, "transportId"));
	const char *nonce = json_string_value(json_object_get(body, "nonce"));
	ms_transport *t = id ? g_hash_table_lookup(by_id, id) : NULL;
	if(t == NULL || t->state != TRANSPORT_UNBOUND || nonce == NULL || strcmp(nonce, t->nonce) != 0 ||
			session->role != OICALL_ROLE_CONTROL || g_hash_table_contains(by_session, &session->id)) {
		ms_reply(session, transaction, ms_error_reply(ERROR_FAILED, "Unknown transport"));
		/* A handle attached for a transport that is gone: let it go too. */
		if(t == NULL && session->role == OICALL_ROLE_CONTROL && nonce != NULL)
			ms_env.gateway->end_session(session->handle);
		return;
	}
	janus_refcount_increase(&session->ref);
	t->session = session;
	json_t *janus_session = json_object_get(body, "janusSessionId"), *janus_handle = json_object_get(body, "janusHandleId");
	if(json_is_integer(janus_session) && json_is_integer(janus_handle)) {
		atomic_store(&session->janus_session_id, (guint64)json_integer_value(janus_session));
		atomic_store(&session->janus_handle_id, (guint64)json_integer_value(janus_handle));
	}
	janus_mutex_lock(ms_env.engine_mutex);
	session->role = t->send ? OICALL_ROLE_SEND_TRANSPORT : OICALL_ROLE_RECV_TRANSPORT;
	session->transport_id = g_strdup(t->id);
	t->owner->call->peers[t->side].media_sessions[t->send ? 0 : 1] = session->id;
	janus_mutex_unlock(ms_env.engine_mutex);
	g_hash_table_insert(by_session, &session->id, t);
	t->state = TRANSPORT_IDLE;
	ms_reply(session, transaction, json_pack("{sb}", "success", 1));
	negotiate(t);
}

/* The core writes the RTX payload types of what it sends itself (it drops
 * ours): a consumer's RTX is the core's, so that the client's answer and
 * create-consumer's ack name what the core really sends. */
static void sync_rtx(ms_transport *t) {
	for(guint i = 0; i < t->streams->len; i++) {
		oicall_stream *s = g_ptr_array_index(t->streams, i);
		oicall_codec *c = g_ptr_array_index(s->codecs, 0);
		if(t->sections[i].closed || !s->gateway_sends || s->kind != OICALL_KIND_VIDEO || c->rtx_pt < 0)
			continue;
		int core = oicall_ortc_local_rtx_pt(t->local_sdp, s->mid, c->pt);
		if(core < 0) {
			JANUS_LOG(LOG_WARN, "[oicall] transport %s: the core offers no RTX for consumer section %s\n", t->id, s->mid);
		} else if(core != c->rtx_pt) {
			JANUS_LOG(LOG_VERB, "[oicall] transport %s: section %s retransmits with payload type %d, not %d\n",
				t->id, s->mid, core, c->rtx_pt);
			c->rtx_pt = core;
		}
	}
}

static void local_sdp(oicall_session *session, json_t *body, const char *transaction) {
	ms_transport *t = g_hash_table_lookup(by_session, &session->id);
	const char *sdp = json_string_value(json_object_get(body, "sdp"));
	/* One of a round that failed already (timed out) comes too late. */
	guint64 version = sdp_version(sdp);
	if(t == NULL || t->state != TRANSPORT_OFFERING || sdp == NULL || (version != 0 && version != t->version)) {
		ms_reply(session, transaction, ms_error_reply(ERROR_FAILED, "No offer pending"));
		return;
	}
	ms_reply(session, transaction, json_pack("{sb}", "success", 1));
	g_free(t->local_sdp);
	t->local_sdp = g_strdup(sdp);
	t->fresh_offer = FALSE;
	sync_rtx(t);
	if(t->parameters == NULL) {
		char *error = NULL;
		/* With full-trickle the core's candidates come apart from its SDP: the transport brings them along. */
		t->parameters = oicall_ortc_transport_parameters(t->id, sdp, json_object_get(body, "candidates"), &error);
		if(t->parameters == NULL) {
			JANUS_LOG(LOG_ERR, "[oicall] transport %s: %s\n", t->id, error);
			g_free(error);
			round_failed(t, "The gateway could not set up this transport");
			return;
		}
	}
	if(t->connected)
		send_answer(t);
	else
		round_done(t);
}

static void remote_applied(oicall_session *session, json_t *jsep, const char *transaction) {
	ms_transport *t = g_hash_table_lookup(by_session, &session->id);
	guint64 version = sdp_version(json_string_value(json_object_get(jsep, "sdp")));
	if(t == NULL || t->state != TRANSPORT_ANSWERING || (version != 0 && version != t->version)) {
		ms_reply(session, transaction, ms_error_reply(ERROR_FAILED, "No answer pending"));
		return;
	}
	ms_reply(session, transaction, json_pack("{sb}", "success", 1));
	round_done(t);
}

/* ---- entry points ---------------------------------------------------- */

gboolean oicall_ms_handles(oicall_session *session, const char *request, json_t *body, json_t *jsep) {
	static const char *const own[] = { "connect-transport", "create-producer", "create-consumer", "resume-consumer",
		"bind-transport", "local-sdp", "remote-sdp-applied", "join-call", "create-transport", "get-producers", "close-producer", "renegotiate-answer",
		"resume-call" };
	for(gsize i = 0; i < G_N_ELEMENTS(own); i++) {
		if(strcmp(request, own[i]) == 0)
			return TRUE;
	}
	if(strcmp(request, "start-call") == 0)
		return jsep == NULL;
	(void)session;
	(void)body;
	return strcmp(request, "accept-call") == 0;
}

void oicall_ms_request(oicall_session *session, const char *request, json_t *body, json_t *jsep,
		const char *transaction) {
	if(ms_room_request(session, request, body, transaction))
		return;
	if(strcmp(request, "start-call") == 0)
		start_call(session, body, transaction);
	else if(strcmp(request, "accept-call") == 0)
		accept_call(session, body, jsep, transaction);
	else if(strcmp(request, "connect-transport") == 0)
		connect_transport(session, body, transaction);
	else if(strcmp(request, "create-producer") == 0)
		create_producer(session, body, transaction);
	else if(strcmp(request, "create-consumer") == 0)
		create_consumer(session, body, transaction);
	else if(strcmp(request, "resume-consumer") == 0)
		resume_consumer(session, body, transaction);
	else if(strcmp(request, "bind-transport") == 0)
		bind_transport(session, body, transaction);
	else if(strcmp(request, "local-sdp") == 0)
		local_sdp(session, body, transaction);
	else if(strcmp(request, "remote-sdp-applied") == 0)
		remote_applied(session, jsep, transaction);
	else if(strcmp(request, "renegotiate-answer") == 0)
		ms_jsep_answer(session, body, jsep, transaction);
	else if(strcmp(request, "resume-call") == 0)
		ms_resume_call(session, body, jsep, transaction);
}

json_t *oicall_ms_check_mute(oicall_call *call, guint64 session, json_t *body, gboolean video) {
	ms_call *ms = ms_of(call);
	json_t *id = json_object_get(body, "producerId");
	if(ms == NULL || id == NULL)
		return NULL;
	ms_producer *p = ms_producer_by_id(ms, json_string_value(id), FALSE);
	int side = oicall_call_side_of(call, oicall_engine_user(ms_env.engine, session));
	if(p == NULL || p->side != side)
		return ms_error_reply(ERROR_FAILED, "Unknown producerId");
	if(p->kind != (video ? OICALL_KIND_VIDEO : OICALL_KIND_AUDIO))
		return ms_error_reply(ERROR_INVALID, video ? "That producer is not video" : "That producer is not audio");
	return NULL;
}

void oicall_ms_mute(oicall_call *call, int side, gboolean video, gboolean muted, const char *producer_id) {
	ms_call *ms = ms_of(call);
	for(guint i = 0; ms != NULL && i < ms->producers->len; i++) {
		ms_producer *p = g_ptr_array_index(ms->producers, i);
		/* An SDP side's m-lines are paused by the caller of this. */
		if(p->side != side || p->kind != (video ? OICALL_KIND_VIDEO : OICALL_KIND_AUDIO) || !p->ready ||
				p->transport == NULL || p->transport->session == NULL)
			continue;
		if(producer_id == NULL || strcmp(producer_id, p->id) == 0)
			oicall_relay_pause_source(ms_env.gateway, p->transport->session, p->mindex, muted);
	}
}

void oicall_ms_call_ended(oicall_call *call) {
	ms_call *ms = ms_of(call);
	if(ms != NULL)
		transports_drop(ms, -1, "The call ended");
}

void oicall_ms_peer_out(oicall_call *call, int side) {
	ms_call *ms = ms_of(call);
	if(ms == NULL)
		return;
	transports_drop(ms, side, "You are no longer in this call");
	/* An SDP side's producers are m-lines of its PeerConnection, which goes too. */
	for(guint i = ms->producers->len; i > 0; i--) {
		ms_producer *p = g_ptr_array_index(ms->producers, i - 1);
		if(p->side == side)
			ms_producer_close(ms, p);
	}
	ms->jsep_session[side] = 0;
	for(int kind = 0; kind < 2; kind++) {
		oicall_stream_free(ms->jsep_stream[side][kind]);
		ms->jsep_stream[side][kind] = NULL;
	}
	ms_jsep_peer_free(ms->jsep_peer[side]);
	ms->jsep_peer[side] = NULL;
}

void oicall_ms_session_gone(guint64 session) {
	ms_transport *t = g_hash_table_lookup(by_session, &session);
	if(t == NULL)
		return;
	g_hash_table_remove(by_session, &session);
	oicall_relay_unlink(t->session);
	janus_refcount_decrease(&t->session->ref);
	t->session = NULL;
	/* Clearly failed, not idle: nothing can be negotiated on it any more. */
	t->state = TRANSPORT_GONE;
	fail_waiters(t, "The transport's handle is gone");
}

void oicall_ms_tick(gint64 now) {
	GList *transports = g_hash_table_get_values(by_id);
	for(GList *l = transports; l != NULL; l = l->next) {
		ms_transport *t = l->data;
		/* A round the courier never finished: the transport is usable again. */
		if((t->state == TRANSPORT_OFFERING || t->state == TRANSPORT_ANSWERING) && now >= t->round_deadline)
			round_failed(t, TIMED_OUT);
		/* A request waiting longer than that (rounds that kept following each other). */
		ms_waiter *w;
		while((w = g_queue_peek_head(&t->waiters)) != NULL && now >= w->deadline)
			waiter_finish(t, g_queue_pop_head(&t->waiters), TIMED_OUT);
	}
	g_list_free(transports);
	ms_jsep_tick(now);
}

gint64 oicall_ms_next_deadline(void) {
	gint64 next = ms_jsep_next_deadline();
	GHashTableIter iter;
	gpointer value;
	g_hash_table_iter_init(&iter, by_id);
	while(g_hash_table_iter_next(&iter, NULL, &value)) {
		ms_transport *t = value;
		ms_waiter *w = g_queue_peek_head(&t->waiters);
		if(w != NULL)
			next = MIN(next, w->deadline);
		if(t->state == TRANSPORT_OFFERING || t->state == TRANSPORT_ANSWERING)
			next = MIN(next, t->round_deadline);
	}
	return next;
}

void oicall_ms_init(const oicall_ms_env *e) {
	ms_env = *e;
	by_id = g_hash_table_new(g_str_hash, g_str_equal);
	by_session = g_hash_table_new(g_int64_hash, g_int64_equal);
}

void oicall_ms_destroy(void) {
	g_hash_table_destroy(by_session);
	g_hash_table_destroy(by_id);
	by_session = by_id = NULL;
}

void oicall_ms_adopt_call(oicall_call *call, const char *callee_offer) {
	ms_call_new(call, callee_offer);
	/* A caller with a plain PeerConnection takes part from the start, whatever
	 * field named its callees: it never sends join-call. */
	call->peers[OICALL_CALLER].room = FALSE;
}

const char *oicall_ms_take_caller_answer(oicall_call *call) {
	ms_call *ms = ms_of(call);
	if(ms == NULL || ms->caller_answered || ms->caller_answer == NULL)
		return NULL;
	ms->caller_answered = TRUE;
	return ms->caller_answer;
}

gboolean oicall_ms_uses_jsep(oicall_call *call, int side) {
	ms_call *ms = ms_of(call);
	return ms != NULL && ms_side_uses_jsep(ms, side);
}
