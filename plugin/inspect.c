#include "inspect.h"

#include <string.h>

#include "jsep_media.h"

/* Media counts as flowing when a packet came in during the last two seconds. */
#define FLOWING_US (2 * G_USEC_PER_SEC)

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

static gboolean flowing(oicall_session *session, gint64 now) {
	if(session == NULL)
		return FALSE;
	for(int kind = 0; kind < 2; kind++) {
		if(now - atomic_load(&session->last_packet_us[kind]) < FLOWING_US)
			return TRUE;
	}
	return FALSE;
}

/* The call whose media a session carries (any live state), and on which side. */
static oicall_call *call_of_media(oicall_engine *engine, guint64 id, int *side) {
	GList *calls = oicall_engine_calls(engine);
	oicall_call *found = NULL;
	for(GList *l = calls; l != NULL && found == NULL; l = l->next) {
		oicall_call *call = l->data;
		for(int s = 0; s < 2 && found == NULL; s++) {
			if(call->media_session[s] == id) {
				found = call;
				*side = s;
			}
		}
	}
	g_list_free(calls);
	return found;
}

/* Producers (what the client sends) and consumers (what it receives from its peer). */
static json_t *streams(oicall_call *call, int side, oicall_session *session, oicall_session *peer) {
	static const char *const kinds[] = { "audio", "video" };
	json_t *list = json_array();
	for(int kind = 0; kind < 2; kind++) {
		const char *codec = call ? call->codec[kind] : NULL;
		if(session != NULL) {
			json_array_append_new(list, json_pack("{ssssss?sIsbsIsIsIsI}", "type", "producer", "kind", kinds[kind],
				"codec", codec, "ssrc", (json_int_t)atomic_load(&session->ssrc_in[kind]),
				"paused", call ? call->muted[side][kind] : FALSE,
				"packetsIn", (json_int_t)atomic_load(&session->packets_in[kind]),
				"bytesIn", (json_int_t)atomic_load(&session->bytes_in[kind]),
				"packetsRelayed", (json_int_t)atomic_load(&session->packets_out[kind]),
				"bytesRelayed", (json_int_t)atomic_load(&session->bytes_out[kind])));
		}
		if(peer != NULL) {
			/* The gateway sends with its own SSRC; the source's is shown. */
			json_array_append_new(list, json_pack("{ssssss?sIsbsIsI}", "type", "consumer", "kind", kinds[kind],
				"codec", codec, "sourceSsrc", (json_int_t)atomic_load(&peer->ssrc_in[kind]),
				"paused", call ? call->muted[1 - side][kind] : FALSE,
				"packets", (json_int_t)atomic_load(&peer->packets_out[kind]),
				"bytes", (json_int_t)atomic_load(&peer->bytes_out[kind])));
		}
	}
	return list;
}

json_t *oicall_inspect_session(oicall_engine *engine, oicall_session *session, oicall_session_lookup lookup,
		gint64 now) {
	json_t *info = json_object();
	const char *user = oicall_registry_user_of(oicall_engine_registry(engine), session->id);
	json_object_set_new(info, "session", json_integer((json_int_t)session->id));
	json_object_set_new(info, "userId", user ? json_string(user) : json_null());
	json_object_set_new(info, "registered", json_boolean(oicall_engine_user(engine, session->id) != NULL));
	int side = -1;
	oicall_call *call = call_of_media(engine, session->id, &side);
	json_object_set_new(info, "role", json_string(call != NULL ? "jsep" : "control"));
	if(call == NULL && user != NULL) {
		call = oicall_engine_call_of_user(engine, user);
		side = call ? oicall_call_side_of(call, user) : -1;
	}
	if(call != NULL) {
		json_object_set_new(info, "call", json_pack("{sssssssssb}", "callId", call->id, "state", state_name(call->state),
			"side", side == OICALL_CALLER ? "caller" : "callee", "peer", call->user[1 - side],
			"mediaHere", call->media_session[side] == session->id));
	} else {
		json_object_set_new(info, "call", json_null());
	}
	json_object_set_new(info, "mediaReady", json_boolean(g_atomic_int_get(&session->media_ready)));
	json_object_set_new(info, "mediaFlowing", json_boolean(flowing(session, now)));
	oicall_session *peer = NULL;
	if(call != NULL && call->media_session[side] == session->id)
		peer = lookup(call->media_session[1 - side]);
	json_object_set_new(info, "streams", streams(call, side, session, peer));
	if(peer != NULL)
		janus_refcount_decrease(&peer->ref);
	return info;
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
			guint64 janus_session = atomic_load(&session->janus_session_id);
			guint64 janus_handle = atomic_load(&session->janus_handle_id);
			if(janus_session != 0)
				json_object_set_new(entry, "janusSessionId", json_integer((json_int_t)janus_session));
			if(janus_handle != 0)
				json_object_set_new(entry, "janusHandleId", json_integer((json_int_t)janus_handle));
			janus_refcount_decrease(&session->ref);
		}
		json_array_append_new(users, entry);
	}
	g_list_free(online);
	return json_pack("{so}", "users", users);
}

static json_t *call_summary(oicall_call *call, oicall_session_lookup lookup, gint64 now) {
	gboolean media = call->state == OICALL_CALL_ACTIVE;
	for(int side = 0; side < 2 && media; side++) {
		oicall_session *session = lookup(call->media_session[side]);
		media = flowing(session, now);
		if(session != NULL)
			janus_refcount_decrease(&session->ref);
	}
	return json_pack("{sssssssssssIsb}", "callId", call->id, "state", state_name(call->state),
		"caller", call->user[OICALL_CALLER], "callee", call->user[OICALL_CALLEE], "callType", call->call_type,
		"ageSeconds", (json_int_t)((now - call->created_at) / G_USEC_PER_SEC), "mediaFlowing", media);
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
	json_t *sides = json_array();
	for(int side = 0; side < 2; side++) {
		oicall_session *session = lookup(call->media_session[side]);
		oicall_session *peer = lookup(call->media_session[1 - side]);
		guint64 control = oicall_registry_session_of(oicall_engine_registry(engine), call->user[side]);
		json_t *entry = json_pack("{sssssIsIsbsb}", "side", side == OICALL_CALLER ? "caller" : "callee",
			"userId", call->user[side], "controlSession", (json_int_t)control,
			"mediaSession", (json_int_t)call->media_session[side], "online", control != 0,
			"mediaReady", session ? g_atomic_int_get(&session->media_ready) : FALSE);
		if(call->grace_deadline[side] != 0)
			json_object_set_new(entry, "graceRemainingSeconds",
				json_integer((json_int_t)((call->grace_deadline[side] - now) / G_USEC_PER_SEC)));
		json_object_set_new(entry, "streams", streams(call, side, session, peer));
		json_array_append_new(sides, entry);
		if(session != NULL)
			janus_refcount_decrease(&session->ref);
		if(peer != NULL)
			janus_refcount_decrease(&peer->ref);
	}
	json_object_set_new(info, "peers", sides);
	if(call->accepted_at != 0)
		json_object_set_new(info, "durationSeconds", json_integer((json_int_t)((now - call->accepted_at) / G_USEC_PER_SEC)));
	return info;
}
