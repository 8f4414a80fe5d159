/*
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
#include "relay.h"

static GList *peers;    /* ms_jsep_peer *, for their deadlines */

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
		lines[i] = (oicall_jsep_line){ line->kind, line->mid, line->codec, line->producer != NULL };
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
	ms_env.reply(session, NULL, json_pack("{sssso}", "event", "renegotiate", "callId", ms->call->id, "streams", streams), jsep);
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
		char *codec = g_ascii_strdown(strchr(line->codec->mime, '/') + 1, -1);
		oicall_relay_describe(target, line->mindex, line->kind, codec, line->producer->id);
		g_free(codec);
		/* The m-line has the producer's payload types: they pass unchanged. */
		line->linked = oicall_relay_connect(source, line->producer->mindex, target, line->mindex, line->kind, NULL, TRUE);
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
		if(json_object_get(error, "error_code") == NULL)
			json_object_set_new(error, "error_code", json_integer(ERROR_FAILED));
		ms_reply(session, transaction, error);
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
