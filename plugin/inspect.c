#include "inspect.h"

#include <string.h>

#include "msflow.h"

/* Media counts as flowing when a packet came in during the last two seconds. */
#define FLOWING_US (2 * G_USEC_PER_SEC)

static const char *const kind_names[] = { "audio", "video" };

static const char *state_name(oicall_call_state state) {
	switch(state) {
		case OICALL_CALL_RINGING:
			return "ringing";
		case OICALL_CALL_ACTIVE:
			return "active";
		case OICALL_CALL_ENDED:
			return "ended";
	}
	return "unknown";
}

static const char *role_name(oicall_role role) {
	switch(role) {
		case OICALL_ROLE_CONTROL:
			return "control";
		case OICALL_ROLE_SEND_TRANSPORT:
			return "send transport";
		case OICALL_ROLE_RECV_TRANSPORT:
			return "recv transport";
	}
	return "unknown";
}

static gboolean flowing(oicall_session *session, gint64 now) {
	if(session == NULL)
		return FALSE;
	for(int i = 0; i < OICALL_MAX_SLOTS; i++) {
		if(session->slots[i].kind >= 0 && now - atomic_load(&session->slots[i].last_packet_us) < FLOWING_US)
			return TRUE;
	}
	return FALSE;
}

/* Producers (what the client sends on this handle) and consumers (what it receives). */
static json_t *streams(oicall_session *session) {
	json_t *list = json_array();
	janus_mutex_lock(&session->mutex);
	for(int i = 0; i < OICALL_MAX_SLOTS; i++) {
		oicall_slot *slot = &session->slots[i];
		if(slot->kind < 0)
			continue;
		oicall_fanout *set = slot->forwards;
		if(set != NULL || atomic_load(&slot->packets_in) > 0 || session->role == OICALL_ROLE_SEND_TRANSPORT) {
			json_t *p = json_pack("{sssisssIsbsIsIsi}", "type", "producer", "mindex", i, "kind", kind_names[slot->kind],
				"ssrc", (json_int_t)atomic_load(&slot->ssrc_in), "paused", atomic_load(&slot->paused) != 0,
				"packetsIn", (json_int_t)atomic_load(&slot->packets_in), "bytesIn", (json_int_t)atomic_load(&slot->bytes_in),
				"payloadType", atomic_load(&slot->pt_in));
			if(set != NULL) {
				/* Each consumer's forward, and what they took together. */
				json_t *forwards = json_array();
				json_int_t packets = 0, bytes = 0;
				for(guint f = 0; f < set->len; f++) {
					oicall_forward *forward = set->forwards[f];
					json_int_t fp = (json_int_t)atomic_load(&forward->packets), fb = (json_int_t)atomic_load(&forward->bytes);
					json_array_append_new(forwards, json_pack("{sIsisbsIsIsIsi}", "targetSession", (json_int_t)forward->target->id,
						"targetMindex", forward->target_mindex, "paused", atomic_load(&forward->paused) != 0,
						"packets", fp, "bytes", fb, "remb", (json_int_t)atomic_load(&forward->remb),
						"payloadType", atomic_load(&forward->pt_out)));
					packets += fp;
					bytes += fb;
				}
				json_object_set_new(p, "packetsRelayed", json_integer(packets));
				json_object_set_new(p, "bytesRelayed", json_integer(bytes));
				json_object_set_new(p, "forwards", forwards);
			}
			if(slot->codec[0] != '\0')
				json_object_set_new(p, "codec", json_string(slot->codec));
			if(slot->id != NULL)
				json_object_set_new(p, "id", json_string(slot->id));
			json_array_append_new(list, p);
		}
		oicall_forward *forward = slot->incoming;
		if(forward != NULL) {
			/* The gateway sends with its own SSRC; the source's is shown. */
			oicall_slot *from = &forward->source->slots[forward->source_mindex];
			json_t *c = json_pack("{sssisssIsbsIsIsi}", "type", "consumer", "mindex", i, "kind", kind_names[slot->kind],
				"sourceSsrc", (json_int_t)atomic_load(&from->ssrc_in),
				"paused", atomic_load(&from->paused) != 0 || atomic_load(&forward->paused) != 0,
				"packets", (json_int_t)atomic_load(&forward->packets),
				"bytes", (json_int_t)atomic_load(&forward->bytes), "payloadType", atomic_load(&forward->pt_out));
			if(slot->codec[0] != '\0')
				json_object_set_new(c, "codec", json_string(slot->codec));
			if(slot->kind == OICALL_VIDEO) {
				/* The playout-delay floor its receiver is told (playout.h), -1 while none was. */
				json_object_set_new(c, "playoutDelayFloor", json_integer(atomic_load(&slot->playout.floor_ms)));
				json_object_set_new(c, "rttMs", json_integer(atomic_load(&slot->playout.rtt_ms)));
				json_object_set_new(c, "lossPercent", json_real(atomic_load(&slot->playout.loss) * 100.0 / 65536));
			}
			if(slot->id != NULL)
				json_object_set_new(c, "id", json_string(slot->id));
			json_array_append_new(list, c);
		}
	}
	janus_mutex_unlock(&session->mutex);
	return list;
}

json_t *oicall_inspect_session(oicall_engine *engine, oicall_session *session, gint64 now) {
	json_t *info = json_object();
	const char *user = oicall_registry_user_of(oicall_engine_registry(engine), session->id);
	json_object_set_new(info, "session", json_integer((json_int_t)session->id));
	json_object_set_new(info, "userId", user ? json_string(user) : json_null());
	json_object_set_new(info, "registered", json_boolean(oicall_engine_user(engine, session->id) != NULL));
	oicall_call *call = user ? oicall_engine_call_of_user(engine, user) : NULL;
	int side = call ? oicall_call_side_of(call, user) : -1;
	gboolean media_here = call && call->peers[side].media_session == session->id &&
		session->role == OICALL_ROLE_CONTROL && oicall_ms_uses_jsep(call, side);
	json_object_set_new(info, "role", json_string(media_here ? "jsep" : role_name(session->role)));
	if(session->transport_id != NULL)
		json_object_set_new(info, "transportId", json_string(session->transport_id));
	if(call != NULL) {
		/* peer: the caller, or for the caller its first invitee (the other side of a 1:1 call). */
		int other = side == OICALL_CALLER ? 1 : OICALL_CALLER;
		json_object_set_new(info, "call", json_pack("{sssssssssbso}", "callId", call->id, "state",
			state_name(call->state), "side", side == OICALL_CALLER ? "caller" : "callee", "peer",
			other < call->npeers ? call->peers[other].user : "", "mediaHere", media_here, "participants",
			oicall_call_participants(call, 0)));
	} else {
		json_object_set_new(info, "call", json_null());
	}
	json_object_set_new(info, "mediaReady", json_boolean(g_atomic_int_get(&session->media_ready)));
	json_object_set_new(info, "mediaFlowing", json_boolean(flowing(session, now)));
	json_object_set_new(info, "streams", streams(session));
	return info;
}

/* The Janus session and handle ids the transport reported for a session, if any. */
static void janus_ids(json_t *object, oicall_session *session) {
	guint64 janus_session = atomic_load(&session->janus_session_id);
	guint64 janus_handle = atomic_load(&session->janus_handle_id);
	if(janus_session != 0)
		json_object_set_new(object, "janusSessionId", json_integer((json_int_t)janus_session));
	if(janus_handle != 0)
		json_object_set_new(object, "janusHandleId", json_integer((json_int_t)janus_handle));
}

json_t *oicall_inspect_users(oicall_engine *engine, oicall_session_lookup lookup) {
	oicall_registry *registry = oicall_engine_registry(engine);
	json_t *users = json_array();
	GList *online = oicall_registry_online(registry);
	for(GList *l = online; l != NULL; l = l->next) {
		const char *user = l->data;
		guint64 id = oicall_registry_session_of(registry, user);
		oicall_call *call = oicall_engine_call_of_user(engine, user);
		json_t *entry = json_pack("{sssIso}", "userId", user, "session", (json_int_t)id,
			"callId", call ? json_string(call->id) : json_null());
		oicall_session *session = lookup(id);
		if(session != NULL) {
			janus_ids(entry, session);
			janus_refcount_decrease(&session->ref);
		}
		json_array_append_new(users, entry);
	}
	g_list_free(online);
	return json_pack("{so}", "users", users);
}

/* The sessions that carry a side's media: the JSEP handle, or its transports. */
static GList *media_sessions(oicall_call *call, int side, oicall_session_lookup lookup) {
	GList *list = NULL;
	for(int i = 0; i < OICALL_MAX_MEDIA_SESSIONS; i++) {
		oicall_session *session = lookup(call->peers[side].media_sessions[i]);
		if(session != NULL)
			list = g_list_append(list, session);
	}
	return list;
}

static void unref_sessions(GList *sessions) {
	for(GList *l = sessions; l != NULL; l = l->next)
		janus_refcount_decrease(&((oicall_session *)l->data)->ref);
	g_list_free(sessions);
}

static json_t *call_summary(oicall_call *call, oicall_session_lookup lookup, gint64 now) {
	/* Flowing: from every peer that is in. */
	gboolean media = call->state == OICALL_CALL_ACTIVE;
	for(int side = 0; side < call->npeers && media; side++) {
		if(call->peers[side].state != OICALL_PEER_IN)
			continue;
		GList *sessions = media_sessions(call, side, lookup);
		gboolean any = FALSE;
		for(GList *l = sessions; l != NULL; l = l->next)
			any = any || flowing(l->data, now);
		unref_sessions(sessions);
		media = any;
	}
	return json_pack("{sssssssssssIsbsbso}", "callId", call->id, "state", state_name(call->state),
		"caller", call->peers[OICALL_CALLER].user, "callee", call->npeers > 1 ? call->peers[1].user : "",
		"callType", call->call_type, "ageSeconds", (json_int_t)((now - call->created_at) / G_USEC_PER_SEC),
		"mediaFlowing", media, "group", call->group, "participants", oicall_call_participants(call, 0));
}

json_t *oicall_inspect_calls(oicall_engine *engine, oicall_session_lookup lookup, gint64 now) {
	json_t *list = json_array();
	GList *calls = oicall_engine_calls(engine);
	for(GList *l = calls; l != NULL; l = l->next)
		json_array_append_new(list, call_summary(l->data, lookup, now));
	g_list_free(calls);
	return json_pack("{so}", "calls", list);
}

json_t *oicall_inspect_call(oicall_engine *engine, oicall_call *call, oicall_session_lookup lookup, gint64 now) {
	json_t *info = call_summary(call, lookup, now);
	/* How the peers that are in talk: SDP, mediasoup-style, or some of each. */
	int jsep = 0, in = 0;
	for(int side = 0; side < call->npeers; side++) {
		if(call->peers[side].state == OICALL_PEER_IN) {
			in++;
			jsep += oicall_ms_uses_jsep(call, side);
		}
	}
	json_object_set_new(info, "signalling", json_string(jsep > 0 && jsep < in ? "mixed" : jsep ? "jsep" : "mediasoup"));
	json_t *sides = json_array();
	static const char *const peer_states[] = { "ringing", "in", "out" };
	for(int side = 0; side < call->npeers; side++) {
		const oicall_peer *peer = &call->peers[side];
		guint64 control = oicall_registry_session_of(oicall_engine_registry(engine), peer->user);
		json_t *entry = json_pack("{sssssssIsIsb}", "side", side == OICALL_CALLER ? "caller" : "callee",
			"state", peer_states[peer->state], "userId", peer->user, "controlSession", (json_int_t)control,
			"mediaSession", (json_int_t)peer->media_session, "online", control != 0);
		/* The room dialect's view of it: does it speak it (so far), is it in the call's media. */
		json_object_set_new(entry, "roomDialect", json_boolean(peer->room));
		json_object_set_new(entry, "joined", json_boolean(oicall_call_peer_joined(call, side)));
		if(peer->invited_by != NULL)
			json_object_set_new(entry, "invitedBy", json_string(peer->invited_by));
		json_object_set_new(entry, "muted", json_pack("{sbsb}", "audio", peer->muted[0], "video", peer->muted[1]));
		if(peer->grace_deadline != 0)
			json_object_set_new(entry, "graceRemainingSeconds",
				json_integer((json_int_t)((peer->grace_deadline - now) / G_USEC_PER_SEC)));
		if(peer->state == OICALL_PEER_RINGING)
			json_object_set_new(entry, "ringRemainingSeconds",
				json_integer((json_int_t)((peer->ring_deadline - now) / G_USEC_PER_SEC)));
		json_t *handles = json_array();
		GList *sessions = media_sessions(call, side, lookup);
		gboolean ready = sessions != NULL;
		for(GList *l = sessions; l != NULL; l = l->next) {
			oicall_session *session = l->data;
			ready = ready && g_atomic_int_get(&session->media_ready);
			json_t *handle = json_pack("{sIsssbso}", "session", (json_int_t)session->id, "role",
				session->role == OICALL_ROLE_CONTROL ? "jsep" : role_name(session->role), "mediaReady", g_atomic_int_get(&session->media_ready),
				"streams", streams(session));
			if(session->transport_id != NULL)
				json_object_set_new(handle, "transportId", json_string(session->transport_id));
			janus_ids(handle, session);
			json_array_append_new(handles, handle);
		}
		unref_sessions(sessions);
		json_object_set_new(entry, "mediaReady", json_boolean(ready));
		json_object_set_new(entry, "handles", handles);
		json_array_append_new(sides, entry);
	}
	json_object_set_new(info, "peers", sides);
	if(call->accepted_at != 0)
		json_object_set_new(info, "durationSeconds", json_integer((json_int_t)((now - call->accepted_at) / G_USEC_PER_SEC)));
	return info;
}
