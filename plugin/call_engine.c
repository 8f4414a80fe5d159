#include "call_engine.h"

#include <string.h>

#include "call_limits.h"

/* Ended calls remembered, so that a late request about one gets a clear answer. */
#define RECENTLY_ENDED_MAX 256

typedef struct ended_call {
	char *id;
	char *user[2];
} ended_call;

struct oicall_engine {
	gint64 ring_timeout_us;
	gint64 grace_us;
	gint64 media_timeout_us;
	GHashTable *ended;          /* id → ended_call * (the recently ended, owned by ended_order) */
	GQueue ended_order;         /* oldest first */
	oicall_registry *registry;
	GHashTable *calls;          /* id → oicall_call * (a reference) */
	GHashTable *call_of_user;   /* user → oicall_call * (borrowed from calls) */
	GQueue order;               /* live calls, oldest first (borrowed) */
	oicall_call_limits *limits; /* how often a user may call */
	gint64 limits_pruned;
};

/* ---- calls ----------------------------------------------------------- */

oicall_call *oicall_call_ref(oicall_call *call) {
	g_atomic_int_inc(&call->refs);
	return call;
}

void oicall_call_unref(oicall_call *call) {
	if(call == NULL || !g_atomic_int_dec_and_test(&call->refs))
		return;
	if(call->media_free != NULL)
		call->media_free(call->media);
	g_free(call->id);
	g_free(call->user[0]);
	g_free(call->user[1]);
	g_free(call->call_type);
	g_free(call->end_reason);
	g_free(call->codec[0]);
	g_free(call->codec[1]);
	g_hash_table_destroy(call->offered_to);
	g_free(call);
}

int oicall_call_side_of(const oicall_call *call, const char *user) {
	if(user == NULL)
		return -1;
	if(strcmp(call->user[OICALL_CALLER], user) == 0)
		return OICALL_CALLER;
	if(strcmp(call->user[OICALL_CALLEE], user) == 0)
		return OICALL_CALLEE;
	return -1;
}

static int other(int side) {
	return 1 - side;
}

/* ---- effects --------------------------------------------------------- */

static void effect_free(oicall_effect *effect) {
	g_free(effect->name);
	json_decref(effect->payload);
	oicall_call_unref(effect->call);
	g_free(effect);
}

GPtrArray *oicall_effects_new(void) {
	return g_ptr_array_new_with_free_func((GDestroyNotify)effect_free);
}

static oicall_effect *add_effect(GPtrArray *effects, oicall_effect_kind kind, oicall_call *call) {
	oicall_effect *effect = g_new0(oicall_effect, 1);
	effect->kind = kind;
	effect->call = call ? oicall_call_ref(call) : NULL;
	g_ptr_array_add(effects, effect);
	return effect;
}

/* An event to a session; takes the payload. Nothing when the session is 0 (offline). */
static void add_event(GPtrArray *effects, guint64 session, const char *name, json_t *payload, oicall_call *call) {
	if(session == 0) {
		json_decref(payload);
		return;
	}
	oicall_effect *effect = add_effect(effects, OICALL_EFFECT_EVENT, call);
	effect->session = session;
	effect->name = g_strdup(name);
	effect->payload = payload;
}

static void add_notify(GPtrArray *effects, const char *name, json_t *payload, oicall_call *call) {
	oicall_effect *effect = add_effect(effects, OICALL_EFFECT_NOTIFY, call);
	effect->name = g_strdup(name);
	effect->payload = payload;
}

/* ---- engine ---------------------------------------------------------- */

oicall_engine *oicall_engine_new(gint64 ring_timeout_us, gint64 reconnect_grace_us) {
	oicall_engine *engine = g_new0(oicall_engine, 1);
	engine->ring_timeout_us = ring_timeout_us;
	engine->grace_us = reconnect_grace_us;
	engine->registry = oicall_registry_new();
	engine->calls = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, (GDestroyNotify)oicall_call_unref);
	engine->call_of_user = g_hash_table_new(g_str_hash, g_str_equal);
	g_queue_init(&engine->order);
	engine->ended = g_hash_table_new(g_str_hash, g_str_equal);
	g_queue_init(&engine->ended_order);
	engine->limits = oicall_call_limits_new(0, 0, 0);
	return engine;
}

void oicall_engine_set_call_limits(oicall_engine *engine, guint starts_per_minute, guint unanswered_max,
		gint64 unanswered_window_us) {
	oicall_call_limits_free(engine->limits);
	engine->limits = oicall_call_limits_new(starts_per_minute, unanswered_max, unanswered_window_us);
}

void oicall_engine_set_media_timeout(oicall_engine *engine, gint64 media_timeout_us) {
	engine->media_timeout_us = MAX(media_timeout_us, 0);
}

static void ended_call_free(ended_call *ended) {
	g_free(ended->id);
	g_free(ended->user[0]);
	g_free(ended->user[1]);
	g_free(ended);
}

static void remember_ended(oicall_engine *engine, oicall_call *call) {
	if(g_hash_table_contains(engine->ended, call->id))
		return;
	if(g_queue_get_length(&engine->ended_order) >= RECENTLY_ENDED_MAX) {
		ended_call *oldest = g_queue_pop_head(&engine->ended_order);
		g_hash_table_remove(engine->ended, oldest->id);
		ended_call_free(oldest);
	}
	ended_call *ended = g_new0(ended_call, 1);
	ended->id = g_strdup(call->id);
	ended->user[0] = g_strdup(call->user[0]);
	ended->user[1] = g_strdup(call->user[1]);
	g_queue_push_tail(&engine->ended_order, ended);
	g_hash_table_insert(engine->ended, ended->id, ended);
}

void oicall_engine_free(oicall_engine *engine) {
	if(engine == NULL)
		return;
	g_queue_clear(&engine->order);
	g_hash_table_destroy(engine->ended);
	g_queue_clear_full(&engine->ended_order, (GDestroyNotify)ended_call_free);
	g_hash_table_destroy(engine->call_of_user);
	g_hash_table_destroy(engine->calls);
	oicall_registry_free(engine->registry);
	oicall_call_limits_free(engine->limits);
	g_free(engine);
}

oicall_registry *oicall_engine_registry(oicall_engine *engine) {
	return engine->registry;
}

const char *oicall_engine_user(oicall_engine *engine, guint64 session) {
	const char *user = oicall_registry_user_of(engine->registry, session);
	if(user == NULL || oicall_registry_session_of(engine->registry, user) != session)
		return NULL;
	return user;
}

oicall_call *oicall_engine_call(oicall_engine *engine, const char *call_id) {
	return call_id ? g_hash_table_lookup(engine->calls, call_id) : NULL;
}

oicall_call *oicall_engine_call_of_user(oicall_engine *engine, const char *user) {
	return g_hash_table_lookup(engine->call_of_user, user);
}

GList *oicall_engine_calls(oicall_engine *engine) {
	return g_list_copy(engine->order.head);
}

static guint64 current_session(oicall_engine *engine, oicall_call *call, int side) {
	return oicall_registry_session_of(engine->registry, call->user[side]);
}

static json_t *error_ack(const char *message) {
	return json_pack("{ss}", "error", message);
}

static json_t *field_error(const char *field, const char *problem) {
	char *message = g_strdup_printf("%s %s", field, problem);
	json_t *ack = error_ack(message);
	g_free(message);
	return ack;
}

static json_t *success_ack(void) {
	return json_pack("{sb}", "success", 1);
}

static json_t *call_payload(oicall_call *call) {
	return json_pack("{ss}", "callId", call->id);
}

/* Removes a call from the live tables and says so to the glue. */
static void finish(oicall_engine *engine, oicall_call *call, const char *reason, const char *ended_by,
		GPtrArray *effects, gint64 now) {
	/* A call that rang and ended unanswered counts against its caller calling again. */
	if(call->accepted_at != 0 || (call->state == OICALL_CALL_RINGING && !call->awaiting_offer))
		oicall_call_limits_ended(engine->limits, call->user[OICALL_CALLER], call->user[OICALL_CALLEE],
			call->accepted_at != 0, now);
	call->state = OICALL_CALL_ENDED;
	call->ended_at = now;
	g_free(call->end_reason);
	call->end_reason = g_strdup(reason);
	oicall_effect *ended = add_effect(effects, OICALL_EFFECT_ENDED, call);
	for(int side = 0; side < 2; side++) {
		/* A media session that is not its user's current one (lingering, or
		 * left behind by a newer session) has no other use. */
		ended->release[side] = call->media_session[side] != 0 &&
			call->media_session[side] != current_session(engine, call, side);
		if(g_hash_table_lookup(engine->call_of_user, call->user[side]) == call)
			g_hash_table_remove(engine->call_of_user, call->user[side]);
	}
	gint64 duration_ms = call->accepted_at ? (now - call->accepted_at) / 1000 : 0;
	json_t *info = json_pack("{sssssssssIss?}", "callId", call->id, "caller", call->user[OICALL_CALLER],
		"callee", call->user[OICALL_CALLEE], "reason", reason, "duration", (json_int_t)duration_ms,
		"endedBy", ended_by);
	add_notify(effects, "call-ended", info, call);
	remember_ended(engine, call);
	g_queue_remove(&engine->order, call);
	g_hash_table_remove(engine->calls, call->id);
}

/* call-ended to both users (whoever is online), then finish. */
/* The session to tell about a call's side: none for a callee who never heard of it. */
static guint64 told_session(oicall_engine *engine, oicall_call *call, int side) {
	return side == OICALL_CALLEE && call->awaiting_offer ? 0 : current_session(engine, call, side);
}

static void end_for_both(oicall_engine *engine, oicall_call *call, const char *reason, const char *ended_by,
		GPtrArray *effects, gint64 now) {
	for(int side = 0; side < 2; side++) {
		json_t *payload = json_pack("{ssss}", "callId", call->id, "reason", reason);
		add_event(effects, told_session(engine, call, side), "call-ended", payload, call);
	}
	finish(engine, call, reason, ended_by, effects, now);
}

/* The side left for good: the other side is told, the call ends. If the
 * side that left is back online (its media died meanwhile), it is told too. */
static void end_peer_gone(oicall_engine *engine, oicall_call *call, int gone, GPtrArray *effects, gint64 now) {
	json_t *payload = json_pack("{ssss}", "callId", call->id, "reason", "peer-disconnected");
	add_event(effects, told_session(engine, call, other(gone)), "call-ended", payload, call);
	add_event(effects, told_session(engine, call, gone), "call-ended",
		json_pack("{ssss}", "callId", call->id, "reason", "error"), call);
	finish(engine, call, "peer-disconnected", call->user[gone], effects, now);
}

json_t *oicall_call_incoming_payload(const oicall_call *call) {
	return json_pack("{sssssss[ss]}", "callId", call->id, "fromUserId", call->user[OICALL_CALLER], "callType",
		call->call_type, "participants", call->user[OICALL_CALLER], call->user[OICALL_CALLEE]);
}

gboolean oicall_call_peer_joined(const oicall_call *call, int side) {
	if(call->peer[side].room)
		return call->peer[side].joined;
	return side == OICALL_CALLER || call->state == OICALL_CALL_ACTIVE;
}

/* incoming-call to a callee session, once per session. */
static void offer_to(oicall_engine *engine, oicall_call *call, guint64 session, GPtrArray *effects) {
	(void)engine;
	if(session == 0 || g_hash_table_contains(call->offered_to, &session))
		return;
	gboolean first = g_hash_table_size(call->offered_to) == 0;
	guint64 *key = g_new(guint64, 1);
	*key = session;
	g_hash_table_add(call->offered_to, key);
	add_event(effects, session, "incoming-call", oicall_call_incoming_payload(call), call);
	if(first)
		add_notify(effects, "call-ringing", json_pack("{ssss}", "callId", call->id, "callee",
			call->user[OICALL_CALLEE]), call);
}

/* ---- requests -------------------------------------------------------- */

json_t *oicall_engine_register(oicall_engine *engine, guint64 session, json_t *user_id, const char *proven_user,
		GPtrArray *effects, gint64 now) {
	(void)now;
	const char *error = NULL;
	char *user = oicall_user_id_from_json(user_id, &error);
	if(user == NULL)
		return field_error("userId", error);
	if(proven_user != NULL && strcmp(proven_user, user) != 0) {
		g_free(user);
		return error_ack("userId is not the user your token is for");
	}
	const char *registered = oicall_registry_user_of(engine->registry, session);
	if(registered != NULL && strcmp(registered, user) != 0) {
		g_free(user);
		return error_ack("Socket already registered as another user");
	}
	gboolean already = oicall_registry_session_of(engine->registry, user) == session;
	guint64 replaced = oicall_registry_bind(engine->registry, user, session);
	add_notify(effects, "user-registered", json_pack("{sssb}", "userId", user, "replacedSession", replaced != 0), NULL);
	if(replaced != 0) {
		/* The user's previous socket is still there (another tab or device,
		 * or a connection the server hasn't seen die yet): it hears why, then goes. */
		add_event(effects, replaced, "replaced", json_pack("{ss}", "reason", "registered-elsewhere"), NULL);
		add_effect(effects, OICALL_EFFECT_CLOSE, NULL)->session = replaced;
	}
	oicall_call *call = oicall_engine_call_of_user(engine, user);
	if(call != NULL) {
		int side = oicall_call_side_of(call, user);
		if(call->state == OICALL_CALL_RINGING && side == OICALL_CALLEE && !call->awaiting_offer)
			offer_to(engine, call, session, effects);
		/* Back within the grace: the call goes on, its media never stopped. */
		call->grace_deadline[side] = 0;
		/* A call whose media is on another session: this one is told it is in it. */
		if(call->state == OICALL_CALL_ACTIVE && call->media_session[side] != session && !already)
			add_event(effects, session, "call-resumed", json_pack("{ssssssssss}", "callId", call->id,
				"peerUserId", call->user[other(side)], "callType", call->call_type, "state", "active",
				"role", side == OICALL_CALLER ? "caller" : "callee"), call);
	}
	json_t *ack = json_pack("{sbss}", "success", 1, "userId", user);
	g_free(user);
	return ack;
}

static gboolean call_id_valid(const char *id) {
	gsize len = strlen(id);
	if(len == 0 || len > OICALL_MAX_CALL_ID_LEN)
		return FALSE;
	for(gsize i = 0; i < len; i++) {
		if(!g_ascii_isalnum(id[i]) && id[i] != '-' && id[i] != '_')
			return FALSE;
	}
	return TRUE;
}

/* The user's call that a start-call body repeats, if any (see the header). */
static oicall_call *repeated_start(oicall_engine *engine, guint64 session, const char *user, const char *to,
		const char *call_type, const char *call_id) {
	oicall_call *call = oicall_engine_call_of_user(engine, user);
	if(call == NULL || call->state == OICALL_CALL_ENDED || oicall_call_side_of(call, user) != OICALL_CALLER ||
			call->media_session[OICALL_CALLER] != session)
		return NULL;
	if(strcmp(call->user[OICALL_CALLEE], to) != 0 || strcmp(call->call_type, call_type) != 0 ||
			(call_id != NULL && strcmp(call_id, call->id) != 0))
		return NULL;
	return call;
}

/* Whom a start-call calls: toUserIds (the room dialect, *room set; one
 * user for now) or else toUserId. NULL with *error (an error ack). */
static char *invitee(json_t *body, gboolean *room, json_t **error) {
	json_t *ids = json_object_get(body, "toUserIds");
	const char *problem = NULL;
	char *to = NULL;
	*room = ids != NULL;
	*error = NULL;
	if(ids == NULL && json_object_get(body, "toUserId") == NULL) {
		*error = error_ack("Missing toUserId");
	} else if(ids == NULL) {
		if((to = oicall_user_id_from_json(json_object_get(body, "toUserId"), &problem)) == NULL)
			*error = field_error("toUserId", problem);
	} else if(!json_is_array(ids) || json_array_size(ids) == 0) {
		*error = error_ack("toUserIds must be an array of one user id");
	} else if(json_array_size(ids) > 1) {
		*error = error_ack("Group calls are not supported yet: toUserIds must name one user");
	} else if((to = oicall_user_id_from_json(json_array_get(ids, 0), &problem)) == NULL) {
		*error = field_error("toUserIds[0]", problem);
	}
	return to;
}

oicall_call *oicall_engine_repeated_start(oicall_engine *engine, guint64 session, json_t *body) {
	const char *user = oicall_engine_user(engine, session);
	const char *call_type = json_string_value(json_object_get(body, "callType"));
	json_t *call_id = json_object_get(body, "callId");
	if(user == NULL || call_type == NULL || (call_id != NULL && !json_is_null(call_id) && !json_is_string(call_id)))
		return NULL;
	gboolean room = FALSE;
	json_t *ignored = NULL;
	char *to = invitee(body, &room, &ignored);
	json_decref(ignored);
	oicall_call *call = to ? repeated_start(engine, session, user, to, call_type, json_string_value(call_id)) : NULL;
	g_free(to);
	return call;
}

/* A new call from user to to (takes to), not yet in any table. */
static oicall_call *call_new(oicall_engine *engine, const char *user, char *to, const char *call_type,
		const char *call_id, gint64 now) {
	oicall_call *call = g_new0(oicall_call, 1);
	call->refs = 1;
	call->id = call_id ? g_strdup(call_id) : g_uuid_string_random();
	call->user[OICALL_CALLER] = g_strdup(user);
	call->user[OICALL_CALLEE] = to;
	call->call_type = g_strdup(call_type);
	call->created_at = now;
	call->offered_to = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, NULL);
	call->callee_was_online = oicall_registry_session_of(engine->registry, to) != 0;
	return call;
}

/* A call refused because its callee is in a call: it never rings. Takes to. */
static json_t *refuse_busy(oicall_engine *engine, guint64 session, const char *user, char *to, const char *call_type,
		const char *call_id, GPtrArray *effects, gint64 now) {
	oicall_call *call = call_new(engine, user, to, call_type, call_id, now);
	call->ended_at = now;
	call->state = OICALL_CALL_ENDED;
	call->end_reason = g_strdup("busy");
	add_notify(effects, "call-started", json_pack("{sssssssssb}", "callId", call->id, "caller", user, "callee", to,
		"callType", call_type, "calleeOnline", call->callee_was_online), call);
	add_event(effects, session, "call-ended", json_pack("{ssss}", "callId", call->id, "reason", "busy"), call);
	add_notify(effects, "call-ended", json_pack("{sssssssssIss}", "callId", call->id, "caller", user,
		"callee", to, "reason", "busy", "duration", (json_int_t)0, "endedBy", to), call);
	json_t *reply = json_pack("{ssss}", "error", "busy", "callId", call->id);
	oicall_call_unref(call);
	return reply;
}

/* start-call and reserve-call: ring says whether the callee is offered the call now. */
static json_t *begin_call(oicall_engine *engine, guint64 session, json_t *body, gboolean ring, GPtrArray *effects,
		gint64 now, oicall_call **out) {
	*out = NULL;
	const char *user = oicall_engine_user(engine, session);
	if(user == NULL)
		return error_ack("Socket not registered");
	gboolean room = FALSE;
	json_t *invalid = NULL;
	char *to = invitee(body, &room, &invalid);
	if(to == NULL)
		return invalid;
	const char *call_type = json_string_value(json_object_get(body, "callType"));
	json_t *call_id_json = json_object_get(body, "callId");
	const char *call_id = json_string_value(call_id_json);
	oicall_call *mine = oicall_engine_call_of_user(engine, user);
	json_t *reply = NULL;
	if(call_type == NULL || (strcmp(call_type, "audio") != 0 && strcmp(call_type, "video") != 0)) {
		reply = error_ack("callType must be \"audio\" or \"video\"");
	} else if(call_id_json != NULL && !json_is_null(call_id_json) && (call_id == NULL || !call_id_valid(call_id))) {
		reply = error_ack("callId must be 1 to 64 letters, digits, '-' or '_'");
	} else if(repeated_start(engine, session, user, to, call_type, call_id) != NULL) {
		/* The same request again (a double click, a retry): the same answer. */
		*out = mine;
		reply = call_payload(mine);
	} else if(call_id != NULL && (g_hash_table_contains(engine->calls, call_id) ||
			g_hash_table_contains(engine->ended, call_id))) {
		reply = error_ack("callId already in use");
	} else if(strcmp(to, user) == 0) {
		reply = error_ack("Cannot call yourself");
	} else if(mine != NULL && mine->state == OICALL_CALL_RINGING && oicall_call_side_of(mine, user) == OICALL_CALLEE &&
			strcmp(mine->user[OICALL_CALLER], to) == 0) {
		/* Glare: the callee is calling this user right now. Their call goes on
		 * ringing here (accept it to talk); this one is refused as busy. */
		reply = refuse_busy(engine, session, user, to, call_type, call_id, effects, now);
		json_object_set_new(reply, "incomingCallId", json_string(mine->id));
		return reply;
	} else if(mine != NULL) {
		reply = error_ack("Already in a call");
	}
	if(reply == NULL) {
		/* Counted before the busy check: ringing a busy user again and again is calling too. */
		const char *limited = oicall_call_limits_start(engine->limits, user, to, now);
		if(limited != NULL)
			reply = error_ack(limited);
	}
	if(reply != NULL) {
		g_free(to);
		return reply;
	}
	if(oicall_engine_call_of_user(engine, to) != NULL)
		return refuse_busy(engine, session, user, to, call_type, call_id, effects, now);

	oicall_call *call = call_new(engine, user, to, call_type, call_id, now);
	add_notify(effects, "call-started", json_pack("{sssssssssb}", "callId", call->id, "caller", user, "callee", to,
		"callType", call_type, "calleeOnline", call->callee_was_online), call);
	call->state = OICALL_CALL_RINGING;
	call->peer[OICALL_CALLER].room = room;
	call->ring_deadline = now + engine->ring_timeout_us;
	call->media_session[OICALL_CALLER] = session;
	call->awaiting_offer = TRUE;
	g_hash_table_insert(engine->calls, call->id, call);
	g_queue_push_tail(&engine->order, call);
	g_hash_table_insert(engine->call_of_user, call->user[OICALL_CALLER], call);
	g_hash_table_insert(engine->call_of_user, call->user[OICALL_CALLEE], call);
	if(ring)
		oicall_engine_call_offered(engine, call, effects);
	*out = call;
	return call_payload(call);
}

json_t *oicall_engine_start_call(oicall_engine *engine, guint64 session, json_t *body, GPtrArray *effects,
		gint64 now, oicall_call **out) {
	return begin_call(engine, session, body, TRUE, effects, now, out);
}

json_t *oicall_engine_reserve_call(oicall_engine *engine, guint64 session, json_t *body, GPtrArray *effects,
		gint64 now, oicall_call **out) {
	return begin_call(engine, session, body, FALSE, effects, now, out);
}

void oicall_engine_call_offered(oicall_engine *engine, oicall_call *call, GPtrArray *effects) {
	if(call->state != OICALL_CALL_RINGING || !call->awaiting_offer)
		return;
	call->awaiting_offer = FALSE;
	offer_to(engine, call, current_session(engine, call, OICALL_CALLEE), effects);
}

void oicall_engine_cancel_reserved(oicall_engine *engine, oicall_call *call, GPtrArray *effects, gint64 now) {
	if(call->state != OICALL_CALL_RINGING || !call->awaiting_offer)
		return;
	oicall_call_ref(call);
	finish(engine, call, "error", call->user[OICALL_CALLER], effects, now);
	oicall_call_unref(call);
}

json_t *oicall_engine_check_call(oicall_engine *engine, guint64 session, json_t *body, oicall_call **out) {
	*out = NULL;
	const char *user = oicall_engine_user(engine, session);
	if(user == NULL)
		return error_ack("Socket not registered");
	json_t *id = json_object_get(body, "callId");
	if(id == NULL)
		return error_ack("Missing callId");
	if(!json_is_string(id))
		return error_ack("callId must be a string");
	oicall_call *call = oicall_engine_call(engine, json_string_value(id));
	if(call == NULL) {
		ended_call *ended = g_hash_table_lookup(engine->ended, json_string_value(id));
		if(ended != NULL && (strcmp(ended->user[0], user) == 0 || strcmp(ended->user[1], user) == 0))
			return error_ack("Call already ended");
		return error_ack("Unknown call");
	}
	if(oicall_call_side_of(call, user) < 0)
		return error_ack("Not your call");
	*out = call;
	return NULL;
}

json_t *oicall_engine_accept_call(oicall_engine *engine, guint64 session, json_t *body, GPtrArray *effects,
		gint64 now, oicall_call **out) {
	oicall_call *call = NULL;
	json_t *error = oicall_engine_check_call(engine, session, body, &call);
	*out = call;
	if(error != NULL)
		return error;
	const char *user = oicall_engine_user(engine, session);
	if(oicall_call_side_of(call, user) != OICALL_CALLEE)
		return error_ack("Only the callee can accept a call");
	if(call->state == OICALL_CALL_ACTIVE && call->media_session[OICALL_CALLEE] == session)
		return success_ack();   /* the same accept again: nothing changes */
	if(call->state != OICALL_CALL_RINGING)
		return error_ack("Call already accepted");
	if(call->awaiting_offer)
		return error_ack("Call not offered yet");
	json_t *from = json_object_get(body, "fromUserId");
	if(from != NULL) {
		const char *ignored = NULL;
		char *from_user = oicall_user_id_from_json(from, &ignored);
		gboolean matches = from_user != NULL && strcmp(from_user, call->user[OICALL_CALLER]) == 0;
		g_free(from_user);
		if(!matches)
			return error_ack("fromUserId is not the caller of this call");
	}
	call->state = OICALL_CALL_ACTIVE;
	call->accepted_at = now;
	call->ring_deadline = 0;
	call->media_session[OICALL_CALLEE] = session;
	json_t *payload = json_pack("{ssss}", "callId", call->id, "calleeUserId", call->user[OICALL_CALLEE]);
	add_event(effects, current_session(engine, call, OICALL_CALLER), "call-accepted", payload, call);
	add_notify(effects, "call-accepted", json_pack("{ssssss}", "callId", call->id, "caller", call->user[OICALL_CALLER],
		"callee", call->user[OICALL_CALLEE]), call);
	return success_ack();
}

/* check_call for a hang-up (end-call, leave-call): NULL with *call, or the
 * ack to give, a success for a call of the user's that ended already
 * (hung up twice, or after the other side: it is over, as asked). */
static json_t *check_hangup(oicall_engine *engine, guint64 session, json_t *body, oicall_call **call) {
	json_t *error = oicall_engine_check_call(engine, session, body, call);
	if(error != NULL && g_strcmp0(json_string_value(json_object_get(error, "error")), "Call already ended") == 0) {
		json_decref(error);
		return success_ack();
	}
	return error;
}

json_t *oicall_engine_end_call(oicall_engine *engine, guint64 session, json_t *body, GPtrArray *effects,
		gint64 now) {
	oicall_call *call = NULL;
	json_t *error = check_hangup(engine, session, body, &call);
	if(error != NULL)
		return error;
	const char *user = oicall_engine_user(engine, session);
	int side = oicall_call_side_of(call, user);
	const char *reason = call->state == OICALL_CALL_RINGING && side == OICALL_CALLEE ? "rejected" : "hangup";
	oicall_call_ref(call);
	end_for_both(engine, call, reason, user, effects, now);
	oicall_call_unref(call);
	return success_ack();
}

json_t *oicall_engine_join_call(oicall_engine *engine, guint64 session, json_t *body, GPtrArray *effects,
		oicall_call **out) {
	oicall_call *call = NULL;
	json_t *error = oicall_engine_check_call(engine, session, body, &call);
	*out = call;
	if(error != NULL)
		return error;
	const char *user = oicall_engine_user(engine, session);
	int side = oicall_call_side_of(call, user), peer = other(side);
	if(side == OICALL_CALLEE && call->state != OICALL_CALL_ACTIVE)
		return error_ack("Accept the call first (accept-call), then join it");
	gboolean peer_joined = oicall_call_peer_joined(call, peer);
	json_t *already = json_array();
	if(peer_joined)
		json_array_append_new(already, json_string(call->user[peer]));
	if(!call->peer[side].joined) {
		/* Joined peers hear of the joiner, the joiner of them (the room dialect's events: room-dialect peers only). */
		call->peer[side].room = TRUE;
		call->peer[side].joined = TRUE;
		if(peer_joined && call->peer[peer].room)
			add_event(effects, current_session(engine, call, peer), "participant-joined",
				json_pack("{ssss}", "callId", call->id, "userId", user), call);
		if(peer_joined)
			add_event(effects, session, "participant-joined",
				json_pack("{sssOsb}", "callId", call->id, "userId", already, "initial", 1), call);
	}
	/* participants: whom the call invited (the creator is creatorId), as OIChat's server has it. */
	return json_pack("{sbs[s]sossso}", "success", 1, "participants", call->user[OICALL_CALLEE], "alreadyJoined", already,
		"creatorId", call->user[OICALL_CALLER], "participantsInfo", json_object());
}

json_t *oicall_engine_leave_call(oicall_engine *engine, guint64 session, json_t *body, GPtrArray *effects,
		gint64 now) {
	oicall_call *call = NULL;
	json_t *error = check_hangup(engine, session, body, &call);
	if(error != NULL)
		return error;
	const char *user = oicall_engine_user(engine, session);
	int side = oicall_call_side_of(call, user), peer = other(side);
	guint64 told = told_session(engine, call, peer);
	/* The one who leaves hears nothing: it left. */
	const char *reason = "hangup";
	if(call->state == OICALL_CALL_RINGING) {
		reason = side == OICALL_CALLEE ? "rejected" : "cancelled";
		add_event(effects, told, "call-ended", json_pack("{ssss}", "callId", call->id, "reason", reason), call);
	} else if(call->peer[peer].room) {
		add_event(effects, told, "participant-left", json_pack("{ssss}", "callId", call->id, "userId", user), call);
		add_event(effects, told, "call-ended", json_pack("{ssss}", "callId", call->id, "reason", "last-participant-left"), call);
	} else {
		add_event(effects, told, "call-ended", json_pack("{ssss}", "callId", call->id, "reason", reason), call);
	}
	oicall_call_ref(call);
	finish(engine, call, reason, user, effects, now);
	oicall_call_unref(call);
	return success_ack();
}

json_t *oicall_engine_mute(oicall_engine *engine, guint64 session, json_t *body, gboolean video,
		GPtrArray *effects, oicall_call **out) {
	oicall_call *call = NULL;
	json_t *error = oicall_engine_check_call(engine, session, body, &call);
	*out = call;
	if(error != NULL)
		return error;
	json_t *muted = json_object_get(body, "muted");
	if(!json_is_boolean(muted))
		return error_ack("muted must be true or false");
	const char *user = oicall_engine_user(engine, session);
	int side = oicall_call_side_of(call, user);
	gboolean value = json_is_true(muted);
	call->muted[side][video ? 1 : 0] = value;
	oicall_effect *effect = add_effect(effects, OICALL_EFFECT_MUTE, call);
	effect->side = side;
	effect->video = video;
	effect->muted = value;
	const char *name = video ? (value ? "remote-user-video-muted" : "remote-user-video-unmuted")
		: (value ? "remote-user-muted" : "remote-user-unmuted");
	add_event(effects, current_session(engine, call, other(side)), name,
		json_pack("{ssss}", "userId", user, "callId", call->id), call);
	return success_ack();
}

/* ---- sessions going away --------------------------------------------- */

/* The user of a session went offline (it was their current session). */
static void user_gone(oicall_engine *engine, const char *user, GPtrArray *effects) {
	(void)engine;
	add_notify(effects, "user-gone", json_pack("{ss}", "userId", user), NULL);
}

/* The live calls, each with a reference: the list survives calls ending. */
static GList *live_calls(oicall_engine *engine) {
	GList *calls = NULL;
	for(GList *l = engine->order.tail; l != NULL; l = l->prev)
		calls = g_list_prepend(calls, oicall_call_ref(l->data));
	return calls;
}

/* Calls touched by a session: where it is a side's media or its user's control. */
static GList *calls_of_session(oicall_engine *engine, guint64 session, const char *user) {
	GList *found = NULL;
	for(GList *l = engine->order.head; l != NULL; l = l->next) {
		oicall_call *call = l->data;
		if(call->media_session[0] == session || call->media_session[1] == session ||
				oicall_call_side_of(call, user) >= 0 || g_hash_table_contains(call->offered_to, &session))
			found = g_list_append(found, oicall_call_ref(call));
	}
	return found;
}

static void start_grace(oicall_engine *engine, oicall_call *call, int side, GPtrArray *effects, gint64 now) {
	if(call->grace_deadline[side] != 0)
		return;
	if(engine->grace_us <= 0) {
		end_peer_gone(engine, call, side, effects, now);
		return;
	}
	call->grace_deadline[side] = now + engine->grace_us;
}

/* Common to disconnect and destroy: returns linger seconds (disconnect only). */
static guint session_leaves(oicall_engine *engine, guint64 session, gboolean destroyed, GPtrArray *effects,
		gint64 now) {
	char *user = g_strdup(oicall_registry_user_of(engine->registry, session));
	gboolean was_current = oicall_registry_unbind(engine->registry, session);
	if(was_current)
		user_gone(engine, user, effects);
	guint linger = 0;
	GList *calls = calls_of_session(engine, session, was_current ? user : NULL);
	for(GList *l = calls; l != NULL; l = l->next) {
		oicall_call *call = l->data;
		if(call->state == OICALL_CALL_ENDED)
			continue;
		for(int side = 0; side < 2 && call->state != OICALL_CALL_ENDED; side++) {
			gboolean media_here = call->media_session[side] == session;
			gboolean control_here = was_current && strcmp(call->user[side], user) == 0;
			if(!media_here && !control_here) {
				if(side == OICALL_CALLEE)
					g_hash_table_remove(call->offered_to, &session);
				continue;
			}
			if(call->state == OICALL_CALL_RINGING) {
				if(side == OICALL_CALLER) {
					/* Nobody to answer to: a ringing call ends with its caller. */
					end_peer_gone(engine, call, side, effects, now);
				} else {
					/* Keeps ringing; the callee's next session gets a fresh offer. */
					g_hash_table_remove(call->offered_to, &session);
					if(media_here)
						call->media_session[side] = 0;
				}
			} else if(media_here && destroyed) {
				/* Its PeerConnection went with the handle. */
				end_peer_gone(engine, call, side, effects, now);
			} else if(media_here && oicall_registry_session_of(engine->registry, call->user[side]) != 0) {
				/* The user is back on another session already (it took over
				 * before this one was noticed gone): no grace, the media
				 * stays on this handle while the call lasts. */
				linger = OICALL_LINGER_UNTIL_CALL_ENDS;
			} else {
				start_grace(engine, call, side, effects, now);
				if(media_here && call->state != OICALL_CALL_ENDED)
					linger = MAX(linger, (guint)(engine->grace_us / G_USEC_PER_SEC) + OICALL_LINGER_MARGIN_S);
			}
		}
	}
	g_list_free_full(calls, (GDestroyNotify)oicall_call_unref);
	g_free(user);
	return linger;
}

guint oicall_engine_disconnect(oicall_engine *engine, guint64 session, GPtrArray *effects, gint64 now) {
	return session_leaves(engine, session, FALSE, effects, now);
}

void oicall_engine_session_destroyed(oicall_engine *engine, guint64 session, GPtrArray *effects, gint64 now) {
	session_leaves(engine, session, TRUE, effects, now);
}

void oicall_engine_media_failed(oicall_engine *engine, oicall_call *call, int side, GPtrArray *effects, gint64 now) {
	if(call->state != OICALL_CALL_ACTIVE)
		return;
	oicall_call_ref(call);
	end_peer_gone(engine, call, side, effects, now);
	oicall_call_unref(call);
}

gboolean oicall_engine_force_end(oicall_engine *engine, const char *call_id, const char *reason,
		GPtrArray *effects, gint64 now) {
	oicall_call *call = oicall_engine_call(engine, call_id);
	if(call == NULL)
		return FALSE;
	oicall_call_ref(call);
	end_for_both(engine, call, reason, NULL, effects, now);
	oicall_call_unref(call);
	return TRUE;
}

/* ---- timers ---------------------------------------------------------- */

/* When an active call's side has been silent too long; G_MAXINT64 without a media timeout. */
static gint64 media_deadline(oicall_engine *engine, oicall_call *call, int side) {
	if(engine->media_timeout_us <= 0 || call->state != OICALL_CALL_ACTIVE)
		return G_MAXINT64;
	return MAX(call->accepted_at, call->media_seen[side]) + engine->media_timeout_us;
}

void oicall_engine_tick(oicall_engine *engine, gint64 now, GPtrArray *effects) {
	if(now - engine->limits_pruned >= 60 * G_USEC_PER_SEC) {
		oicall_call_limits_prune(engine->limits, now);
		engine->limits_pruned = now;
	}
	GList *calls = live_calls(engine);
	for(GList *l = calls; l != NULL; l = l->next) {
		oicall_call *call = l->data;
		if(call->state == OICALL_CALL_RINGING && now >= call->ring_deadline) {
			add_event(effects, told_session(engine, call, OICALL_CALLEE), "call-expired",
				json_pack("{ssss}", "callId", call->id, "reason", "timeout"), call);
			add_event(effects, current_session(engine, call, OICALL_CALLER), "call-ended",
				json_pack("{ssss}", "callId", call->id, "reason", "timeout"), call);
			add_notify(effects, "call-expired", json_pack("{ssssss}", "callId", call->id,
				"caller", call->user[OICALL_CALLER], "callee", call->user[OICALL_CALLEE]), call);
			finish(engine, call, "timeout", NULL, effects, now);
			continue;
		}
		for(int side = 0; side < 2 && call->state == OICALL_CALL_ACTIVE; side++) {
			if(call->grace_deadline[side] != 0 && now >= call->grace_deadline[side])
				end_peer_gone(engine, call, side, effects, now);
		}
		for(int side = 0; side < 2 && call->state == OICALL_CALL_ACTIVE; side++) {
			if(now >= media_deadline(engine, call, side))
				end_for_both(engine, call, "media-timeout", NULL, effects, now);
		}
	}
	g_list_free_full(calls, (GDestroyNotify)oicall_call_unref);
}

gint64 oicall_engine_next_deadline(oicall_engine *engine) {
	gint64 next = G_MAXINT64;
	for(GList *l = engine->order.head; l != NULL; l = l->next) {
		oicall_call *call = l->data;
		if(call->state == OICALL_CALL_RINGING)
			next = MIN(next, call->ring_deadline);
		for(int side = 0; side < 2; side++) {
			if(call->grace_deadline[side] != 0)
				next = MIN(next, call->grace_deadline[side]);
			next = MIN(next, media_deadline(engine, call, side));
		}
	}
	return next;
}
