/*
 * The sides of a call that use SDP (a plain RTCPeerConnection). In a 1:1
 * call the gateway's SDPs for both PeerConnections have the same m-lines,
 * and two SDP sides are linked m-line to m-line; an SDP side's m-lines are
 * producers for a mediasoup-style other side, and its producers go to them.
 *
 * JSEP peers of a group call: a plain RTCPeerConnection keeps the m-lines it
 * first negotiated for what it sends, and gets one more m-line for each
 * stream of the other peers. As those come and go the gateway offers the
 * PeerConnection again (renegotiate { callId, streams, jsep }) and the client
 * answers (renegotiate-answer { callId, jsep }); an m-line whose stream went
 * goes inactive and is taken by the next stream of its kind, so m-lines
 * never move. One offer at a time per peer; changes meanwhile follow it.
 */
#include <string.h>

#include <janus/utils.h>

#include "jsep_media.h"
#include "ms_internal.h"
#include "red.h"
#include "relay.h"

static GList *peers;    /* ms_jsep_peer *, for their deadlines */

/* ---- SDP sides ------------------------------------------------------- */

/* A producer's media to the other side's SDP PeerConnection, if it has one (1:1 calls). */
void ms_jsep_connect(ms_call *ms, ms_producer *p) {
	int other = 1 - p->side;
	if(p->side > 1 || ms->call->group)
		return;
	oicall_stream *target = ms->jsep_stream[other][p->kind];
	oicall_stream *source = ms_producer_stream(ms, p);
	if(p->transport == NULL || ms->jsep_session[other] == 0 || target == NULL || source == NULL)
		return;
	const oicall_codec *from = g_ptr_array_index(source->codecs, 0), *to = g_ptr_array_index(target->codecs, 0);
	if(g_ascii_strcasecmp(from->mime, to->mime) != 0) {
		JANUS_LOG(LOG_WARN, "[oicall] call %s: %s can't go to a PeerConnection that negotiated %s\n",
			ms->call->id, from->mime, to->mime);
		return;
	}
	oicall_session *src = ms_producer_session(ms, p), *dst = ms_env.session_by_id(ms->jsep_session[other]);
	if(src != NULL && dst != NULL) {
		int map[128];
		oicall_ortc_payload_map(source, target, map);
		oicall_relay_connect(src, p->mindex, dst, ms->jsep_mindex[other][p->kind], p->kind, map, FALSE);
	}
	if(src != NULL)
		janus_refcount_decrease(&src->ref);
	if(dst != NULL)
		janus_refcount_decrease(&dst->ref);
}

/* A side turns out to use SDP: what its PeerConnection negotiated (sdp)
 * becomes producers for a mediasoup-style other side, and that side's
 * producers go to it. Engine locked; new-producer events are the caller's job. */
void ms_jsep_adopt_side(ms_call *ms, int side, guint64 session_id, const char *sdp) {
	ms->jsep_session[side] = session_id;
	/* Its PeerConnection only: transports it had are on their way out. */
	for(int i = 0; i < OICALL_MAX_MEDIA_SESSIONS; i++)
		ms->call->peers[side].media_sessions[i] = i == 0 ? session_id : 0;
	if(ms->call->codec[0] == NULL && ms->call->codec[1] == NULL)
		oicall_jsep_codecs(sdp, ms->call->codec);
	/* In 1:1 calls two SDP sides are linked m-line to m-line; in a group every m-line is a producer. */
	gboolean other_jsep = !ms->call->group && ms_side_uses_jsep(ms, 1 - side);
	oicall_session *session = ms_env.session_by_id(session_id);
	for(int kind = 0; kind < 2; kind++) {
		int mindex = -1;
		oicall_stream *stream = oicall_jsep_stream(sdp, kind, &mindex);
		if(stream == NULL)
			continue;
		/* A side that answered the gateway's offer may send the offer's RED even if its answer left it out. */
		int offered_mindex = -1;
		oicall_stream *offered = side != OICALL_CALLER && stream->red_sent_pt < 0 && ms->callee_offer != NULL ?
			oicall_jsep_stream(ms->callee_offer, kind, &offered_mindex) : NULL;
		if(offered != NULL && ((oicall_codec *)g_ptr_array_index(offered->codecs, 0))->pt ==
				((oicall_codec *)g_ptr_array_index(stream->codecs, 0))->pt)
			stream->red_sent_pt = offered->red_pt;
		oicall_stream_free(offered);
		ms->jsep_stream[side][kind] = stream;
		ms->jsep_mindex[side][kind] = mindex;
		if(other_jsep || session == NULL)
			continue;
		ms_producer *p = g_new0(ms_producer, 1);
		p->id = g_uuid_string_random();
		p->side = side;
		p->mindex = mindex;
		p->kind = kind;
		p->ready = TRUE;
		g_ptr_array_add(ms->producers, p);
		const oicall_codec *codec = g_ptr_array_index(stream->codecs, 0);
		char *name = oicall_codec_name_lower(codec);
		oicall_relay_describe(session, mindex, kind, name, p->id);
		g_free(name);
	}
	if(session != NULL)
		janus_refcount_decrease(&session->ref);
	/* Pending ones connect when they are ready; a group's JSEP peers get m-lines of their own (ms_jsep.c). */
	for(guint i = 0; !other_jsep && !ms->call->group && i < ms->producers->len; i++) {
		ms_producer *p = g_ptr_array_index(ms->producers, i);
		if(p->side != side && p->ready)
			ms_jsep_connect(ms, p);
	}
}

/* Both sides use SDP: their PeerConnections have the same m-lines in the
 * same order (the gateway wrote one's offer from the other's), each goes to its twin. */
void ms_jsep_link_pair(ms_call *ms, const char *answer) {
	oicall_session *caller = ms_env.session_by_id(ms->jsep_session[OICALL_CALLER]);
	oicall_session *callee = ms_env.session_by_id(ms->jsep_session[OICALL_CALLEE]);
	int kinds[OICALL_MAX_SLOTS];
	int count = caller && callee ? oicall_jsep_mline_kinds(answer, kinds, OICALL_MAX_SLOTS) : 0;
	for(int mindex = 0; mindex < count; mindex++) {
		if(kinds[mindex] < 0)
			continue;
		const char *codec = ms->call->codec[kinds[mindex]];
		oicall_relay_describe(caller, mindex, kinds[mindex], codec, NULL);
		oicall_relay_describe(callee, mindex, kinds[mindex], codec, NULL);
		oicall_relay_connect(caller, mindex, callee, mindex, kinds[mindex], NULL, FALSE);
		oicall_relay_connect(callee, mindex, caller, mindex, kinds[mindex], NULL, FALSE);
	}
	if(caller != NULL)
		janus_refcount_decrease(&caller->ref);
	if(callee != NULL)
		janus_refcount_decrease(&callee->ref);
}

/* The callee's SDP answer, checked against the gateway's offer; NULL with
 * *error. When the caller uses SDP too, *caller_answer is the gateway's answer to it. */
char *ms_jsep_checked_answer(ms_call *ms, json_t *jsep, char **caller_answer, char **error) {
	const char *type = json_string_value(json_object_get(jsep, "type"));
	const char *sdp = json_string_value(json_object_get(jsep, "sdp"));
	if(type == NULL || strcmp(type, "answer") != 0 || sdp == NULL) {
		*error = g_strdup("accept-call needs a jsep answer");
		return NULL;
	}
	if(json_is_true(json_object_get(jsep, "update"))) {
		*error = g_strdup("Renegotiation is not supported");
		return NULL;
	}
	if(ms->callee_offer == NULL) {
		*error = g_strdup("This call has no SDP offer to answer");
		return NULL;
	}
	char *converted = oicall_jsep_caller_answer(sdp, ms->callee_offer, error);
	if(converted == NULL)
		return NULL;
	if(ms->jsep_caller)
		*caller_answer = converted;
	else
		g_free(converted);
	return g_strdup(sdp);
}

/* ---- JSEP peers of a group ------------------------------------------ */


static void line_free(ms_jsep_line *line) {
	g_free(line->mid);
	oicall_codec_free(line->codec);
	g_free(line);
}

void ms_jsep_peer_free(ms_jsep_peer *peer) {
	if(peer == NULL)
		return;
	peers = g_list_remove(peers, peer);
	g_ptr_array_unref(peer->lines);
	g_free(peer->base);
	g_free(peer);
}

/* The handle of a JSEP peer's PeerConnection, with a reference. */
static oicall_session *peer_session(ms_jsep_peer *peer) {
	return ms_env.session_by_id(peer->owner->jsep_session[peer->side]);
}

static void negotiate(ms_jsep_peer *peer) {
	if(peer->offering) {
		peer->dirty = TRUE;
		return;
	}
	oicall_session *session = peer_session(peer);
	if(session == NULL)
		return;
	ms_call *ms = peer->owner;
	oicall_jsep_line *lines = g_new0(oicall_jsep_line, MAX(peer->lines->len, 1));
	json_t *streams = json_array();
	for(guint i = 0; i < peer->lines->len; i++) {
		ms_jsep_line *line = g_ptr_array_index(peer->lines, i);
		lines[i] = (oicall_jsep_line){ line->kind, line->mid, line->codec, line->red_pt, line->producer != NULL };
		if(line->producer != NULL) {
			json_t *info = ms_producer_info(ms->call, line->producer);
			json_object_del(info, "callId");
			json_object_set_new(info, "mid", json_string(line->mid));
			json_array_append_new(streams, info);
		}
	}
	char *error = NULL;
	char *offer = oicall_jsep_group_offer(peer->base, ++peer->version, lines, (int)peer->lines->len, &error);
	g_free(lines);
	if(offer == NULL) {
		JANUS_LOG(LOG_WARN, "[oicall] call %s: no offer for a JSEP peer: %s\n", ms->call->id, error);
		g_free(error);
		json_decref(streams);
		janus_refcount_decrease(&session->ref);
		return;
	}
	peer->offering = TRUE;
	peer->dirty = FALSE;
	peer->deadline = janus_get_monotonic_time() + OP_TIMEOUT_US;
	json_t *jsep = json_pack("{ssss}", "type", "offer", "sdp", offer);
	json_t *event = json_pack("{ssssso}", "event", "renegotiate", "callId", ms->call->id, "streams", streams);
	int rc = ms_env.gateway->push_event(session->handle, ms_env.plugin, NULL, event, jsep);
	if(rc != 0)
		JANUS_LOG(LOG_WARN, "[oicall] call %s: the core refused the offer for a JSEP peer (%d)\n", ms->call->id, rc);
	json_decref(event);
	json_decref(jsep);
	g_free(offer);
	janus_refcount_decrease(&session->ref);
}

/* Whether a JSEP peer has an m-line for a producer. */
static gboolean carries(ms_jsep_peer *peer, ms_producer *p) {
	for(guint i = 0; i < peer->lines->len; i++) {
		if(((ms_jsep_line *)g_ptr_array_index(peer->lines, i))->producer == p)
			return TRUE;
	}
	return FALSE;
}

/* A line for p: an unused one of its kind, or a new one. FALSE when the PeerConnection is full. */
static gboolean take_line(ms_jsep_peer *peer, ms_producer *p) {
	oicall_stream *stream = ms_producer_stream(peer->owner, p);
	if(stream == NULL || stream->codecs->len == 0)
		return FALSE;
	ms_jsep_line *line = NULL;
	for(guint i = 0; i < peer->lines->len && line == NULL; i++) {
		ms_jsep_line *l = g_ptr_array_index(peer->lines, i);
		if(l->producer == NULL && !l->linked && l->kind == p->kind)
			line = l;
	}
	if(line == NULL) {
		if(peer->base_mlines + (int)peer->lines->len >= OICALL_MAX_GROUP_MLINES)
			return FALSE;
		line = g_new0(ms_jsep_line, 1);
		line->mindex = peer->base_mlines + (int)peer->lines->len;
		line->kind = p->kind;
		line->mid = g_strdup_printf("g%u", peer->next_mid++);
		g_ptr_array_add(peer->lines, line);
	}
	oicall_codec_free(line->codec);
	line->codec = oicall_codec_copy(g_ptr_array_index(stream->codecs, 0));
	/* RED the producer negotiated, as it sends it, to a peer whose browser took RED for its own audio. */
	oicall_stream *own = peer->owner->jsep_stream[peer->side][OICALL_KIND_AUDIO];
	line->red_pt = own != NULL && own->red_pt >= 0 ? stream->red_pt : -1;
	line->producer = p;
	return TRUE;
}

static void sync_peer(ms_jsep_peer *peer) {
	ms_call *ms = peer->owner;
	gboolean changed = FALSE;
	for(guint i = 0; i < ms->producers->len; i++) {
		ms_producer *p = g_ptr_array_index(ms->producers, i);
		if(p->ready && p->side != peer->side && !carries(peer, p)) {
			if(take_line(peer, p))
				changed = TRUE;
			else
				JANUS_LOG(LOG_WARN, "[oicall] call %s: no room for producer %s on a JSEP peer's PeerConnection\n",
					ms->call->id, p->id);
		}
	}
	if(changed)
		negotiate(peer);
}

void ms_jsep_sync(ms_call *ms) {
	for(int side = 0; side < OICALL_MAX_PEERS; side++) {
		if(ms->jsep_peer[side] != NULL)
			sync_peer(ms->jsep_peer[side]);
	}
}

void ms_jsep_join(ms_call *ms, int side, const char *base) {
	if(ms->jsep_peer[side] != NULL || base == NULL)
		return;
	ms_jsep_peer *peer = g_new0(ms_jsep_peer, 1);
	peer->owner = ms;
	peer->side = side;
	peer->base = g_strdup(base);
	int kinds[OICALL_MAX_MLINES];
	peer->base_mlines = oicall_jsep_mline_kinds(base, kinds, OICALL_MAX_MLINES);
	peer->lines = g_ptr_array_new_with_free_func((GDestroyNotify)line_free);
	/* Versions above any the base had. */
	peer->version = (guint64)g_get_real_time();
	ms->jsep_peer[side] = peer;
	peers = g_list_prepend(peers, peer);
	sync_peer(peer);
}

void ms_jsep_producer_gone(ms_call *ms, ms_producer *p) {
	for(int side = 0; side < OICALL_MAX_PEERS; side++) {
		ms_jsep_peer *peer = ms->jsep_peer[side];
		for(guint i = 0; peer != NULL && i < peer->lines->len; i++) {
			ms_jsep_line *line = g_ptr_array_index(peer->lines, i);
			if(line->producer != p)
				continue;
			line->producer = NULL;
			if(line->linked) {
				oicall_session *session = peer_session(peer);
				if(session != NULL) {
					oicall_relay_forget(session, line->mindex);
					janus_refcount_decrease(&session->ref);
				}
				line->linked = FALSE;
			}
			negotiate(peer);
		}
	}
}

/* The client has the m-lines: the relay feeds each from its producer, starting on a keyframe. */
static void link_lines(ms_jsep_peer *peer) {
	oicall_session *target = peer_session(peer);
	for(guint i = 0; target != NULL && i < peer->lines->len; i++) {
		ms_jsep_line *line = g_ptr_array_index(peer->lines, i);
		if(line->producer == NULL || line->linked)
			continue;
		oicall_session *source = ms_producer_session(peer->owner, line->producer);
		if(source == NULL)
			continue;
		char *codec = oicall_codec_name_lower(line->codec);
		oicall_relay_describe(target, line->mindex, line->kind, codec, line->producer->id);
		g_free(codec);
		/* The m-line has the producer's payload types: they pass unchanged,
		 * but for RED the peer didn't take, which goes unwrapped. */
		int map[128];
		for(int pt = 0; pt < 128; pt++)
			map[pt] = pt;
		oicall_stream *stream = ms_producer_stream(peer->owner, line->producer);
		if(stream != NULL && stream->red_sent_pt >= 0 && stream->red_sent_pt != line->red_pt)
			map[stream->red_sent_pt] = OICALL_PT_UNWRAP_RED;
		line->linked = oicall_relay_connect(source, line->producer->mindex, target, line->mindex, line->kind, map, TRUE);
		if(line->linked)
			oicall_relay_pause_forward(ms_env.gateway, source, line->producer->mindex, target, line->mindex, FALSE);
		janus_refcount_decrease(&source->ref);
	}
	if(target != NULL)
		janus_refcount_decrease(&target->ref);
}

void ms_jsep_answer(oicall_session *session, json_t *body, json_t *jsep, const char *transaction) {
	janus_mutex_lock(ms_env.engine_mutex);
	oicall_call *call = NULL;
	json_t *error = oicall_engine_check_call(ms_env.engine, session->id, body, &call);
	int side = call ? oicall_call_side_of(call, oicall_engine_user(ms_env.engine, session->id)) : -1;
	janus_mutex_unlock(ms_env.engine_mutex);
	ms_call *ms = ms_of(call);
	ms_jsep_peer *peer = error == NULL && ms != NULL ? ms->jsep_peer[side] : NULL;
	const char *type = json_string_value(json_object_get(jsep, "type"));
	if(error == NULL && (type == NULL || strcmp(type, "answer") != 0))
		error = ms_error_reply(ERROR_INVALID, "renegotiate-answer needs a jsep answer");
	else if(error == NULL && (peer == NULL || !peer->offering || ms->jsep_session[side] != session->id))
		error = ms_error_reply(ERROR_FAILED, "No offer pending");
	if(error != NULL) {
		ms_reply(session, transaction, ms_with_error_code(error));
		return;
	}
	peer->offering = FALSE;
	link_lines(peer);
	ms_reply(session, transaction, json_pack("{sb}", "success", 1));
	if(peer->dirty)
		negotiate(peer);
}

void ms_jsep_tick(gint64 now) {
	GList *due = NULL;
	for(GList *l = peers; l != NULL; l = l->next) {
		ms_jsep_peer *peer = l->data;
		if(peer->offering && now >= peer->deadline)
			due = g_list_prepend(due, peer);
	}
	/* An answer that never came: the next offer has everything. */
	for(GList *l = due; l != NULL; l = l->next) {
		ms_jsep_peer *peer = l->data;
		JANUS_LOG(LOG_WARN, "[oicall] call %s: a JSEP peer did not answer the gateway's offer\n", peer->owner->call->id);
		peer->offering = FALSE;
		negotiate(peer);
	}
	g_list_free(due);
}

gint64 ms_jsep_next_deadline(void) {
	gint64 next = G_MAXINT64;
	for(GList *l = peers; l != NULL; l = l->next) {
		ms_jsep_peer *peer = l->data;
		if(peer->offering)
			next = MIN(next, peer->deadline);
	}
	return next;
}
