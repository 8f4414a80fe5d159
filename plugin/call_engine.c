#include "call_engine.h"

#include <string.h>

#include "call_limits.h"

/* Ended calls remembered, so that a late request about one gets a clear answer. */
#define RECENTLY_ENDED_MAX 256

typedef struct ended_call {
	char *id;
	char **users;               /* everyone who was a peer */
} ended_call;

struct oicall_engine {
	gint64 ring_timeout_us;
	gint64 grace_us;
	gint64 media_timeout_us;
	int max_peers;
	int max_rings;              /* invitees one user may have ringing at once, 0 = no limit */
	GHashTable *ended;          /* id → ended_call * (the recently ended, owned by ended_order) */
	GQueue ended_order;         /* oldest first */
	oicall_registry *registry;
	GHashTable *calls;          /* id → oicall_call * (a reference) */
	GHashTable *call_of_user;   /* user → oicall_call * (borrowed from calls): peers ringing or in */
	GQueue order;               /* live calls, oldest first (borrowed) */
	oicall_call_limits *limits; /* how often a user may call */
	gint64 limits_pruned;
};

/* Why a peer goes out of a call. */
typedef enum exit_cause {
	EXIT_LEAVE,                 /* leave-call (a ringing invitee declines, a caller of an unanswered call cancels) */
	EXIT_END,                   /* end-call: the seed's hang-up */
	EXIT_TIMEOUT,               /* an invitee's ring ran out */
	EXIT_GONE,                  /* its user left for good (grace over, handle or PeerConnection gone) */
	EXIT_MEDIA_TIMEOUT,         /* it sent nothing for too long */
} exit_cause;

/* ---- calls ----------------------------------------------------------- */

oicall_call *oicall_call_ref(oicall_call *call) {
	g_atomic_int_inc(&call->refs);
	return call;
}

static void peer_clear(oicall_peer *peer) {
	g_free(peer->user);
	g_free(peer->invited_by);
	if(peer->offered_to != NULL)
		g_hash_table_destroy(peer->offered_to);
	memset(peer, 0, sizeof(*peer));
}

void oicall_call_unref(oicall_call *call) {
	if(call == NULL || !g_atomic_int_dec_and_test(&call->refs))
		return;
	if(call->media_free != NULL)
		call->media_free(call->media);
	g_free(call->id);
	for(int side = 0; side < call->npeers; side++)
		peer_clear(&call->peers[side]);
	g_free(call->call_type);
	g_free(call->end_reason);
	g_free(call->codec[0]);
	g_free(call->codec[1]);
	g_free(call);
}

int oicall_call_side_of(const oicall_call *call, const char *user) {
	if(user == NULL)
		return -1;
	for(int side = 0; side < call->npeers; side++) {
		if(strcmp(call->peers[side].user, user) == 0)
			return side;
	}
	return -1;
}

/* Peers still in the call or ringing. */
static int peers_left(const oicall_call *call) {
	int n = 0;
	for(int side = 0; side < call->npeers; side++)
		n += call->peers[side].state != OICALL_PEER_OUT;
	return n;
}

gboolean oicall_call_peer_joined(const oicall_call *call, int side) {
	const oicall_peer *peer = &call->peers[side];
	return peer->state == OICALL_PEER_IN && (!peer->room || peer->joined);
}

/* Whether a peer hears the room's events (participant-*): joined, and in
 * a group or speaking the room dialect (a seed-dialect 1:1 peer never did). */
static gboolean hears_room(const oicall_call *call, int side) {
	return oicall_call_peer_joined(call, side) && (call->group || call->peers[side].room);
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
	engine->max_peers = OICALL_DEFAULT_MAX_PEERS;
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

void oicall_engine_set_max_peers(oicall_engine *engine, int max_peers) {
	engine->max_peers = CLAMP(max_peers, 2, OICALL_MAX_PEERS);
}

void oicall_engine_set_max_rings(oicall_engine *engine, int max_rings) {
	engine->max_rings = MAX(max_rings, 0);
}

/* Whether user may have `more` invitees ringing besides those they already
 * have: NULL, or why not (a new string). */
static char *rings_refused(oicall_engine *engine, oicall_call *call, const char *user, int more) {
	int ringing = 0;
	for(int i = 0; call != NULL && i < call->npeers; i++)
		ringing += call->peers[i].state == OICALL_PEER_RINGING && g_strcmp0(call->peers[i].invited_by, user) == 0;
	if(engine->max_rings == 0 || ringing + more <= engine->max_rings)
		return NULL;
	return g_strdup_printf("At most %d of your invitations may ring at once: invite more once some have answered",
		engine->max_rings);
}

static void ended_call_free(ended_call *ended) {
	g_free(ended->id);
	g_strfreev(ended->users);
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
	ended->users = g_new0(char *, call->npeers + 1);
	for(int side = 0; side < call->npeers; side++)
		ended->users[side] = g_strdup(call->peers[side].user);
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
	return oicall_registry_session_of(engine->registry, call->peers[side].user);
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

static json_t *reason_payload(oicall_call *call, const char *reason) {
	return json_pack("{ssss}", "callId", call->id, "reason", reason);
}

/* The first invitee: the callee of a 1:1 call, as the notifications name it. */
static const char *first_invitee(const oicall_call *call) {
	return call->npeers > 1 ? call->peers[1].user : "";
}

json_t *oicall_call_participants(const oicall_call *call, int first_side) {
	json_t *users = json_array();
	for(int side = first_side; side < call->npeers; side++) {
		if(call->peers[side].state != OICALL_PEER_OUT)
			json_array_append_new(users, json_string(call->peers[side].user));
	}
	return users;
}

/* The session to tell about a call: none for an invitee who never heard of it. */
static guint64 told_session(oicall_engine *engine, oicall_call *call, int side) {
	return side != OICALL_CALLER && call->awaiting_offer ? 0 : current_session(engine, call, side);
}

/* An event to every peer that hears the room's events, but except_side (takes the payload). */
static void tell_room(oicall_engine *engine, oicall_call *call, int except_side, const char *name, json_t *payload,
		GPtrArray *effects) {
	for(int side = 0; side < call->npeers; side++) {
		if(side != except_side && hears_room(call, side))
			add_event(effects, current_session(engine, call, side), name, json_deep_copy(payload), call);
	}
	json_decref(payload);
}

/* An invitee's ringing is over: it counts for or against its caller calling
 * again, and a group's backend hears why it stopped (to end a push). */
static void ring_over(oicall_engine *engine, oicall_call *call, int side, gboolean answered, const char *reason,
		GPtrArray *effects, gint64 now) {
	oicall_peer *peer = &call->peers[side];
	peer->ring_deadline = 0;
	if(call->awaiting_offer)
		return;     /* it never rang */
	oicall_call_limits_ended(engine->limits, call->peers[OICALL_CALLER].user, peer->user, answered, now);
	if(call->group && !answered && strcmp(reason, "timeout") != 0)
		add_notify(effects, "call-ring-ended", json_pack("{ssssss}", "callId", call->id, "callee", peer->user,
			"reason", reason), call);
}

/* A peer's part in the call is over: its effect releases (bit side of
 * release) a media session that is not its user's current one (lingering,
 * or left behind by a newer session), which has no other use; and its user
 * is free for other calls. */
static void peer_done(oicall_engine *engine, oicall_call *call, int side, oicall_effect *effect) {
	oicall_peer *peer = &call->peers[side];
	if(peer->media_session != 0 && peer->media_session != current_session(engine, call, side))
		effect->release |= 1u << side;
	if(g_hash_table_lookup(engine->call_of_user, peer->user) == call)
		g_hash_table_remove(engine->call_of_user, peer->user);
}

/* An invitee's ring ran out: it hears so, and a backend too. */
static void tell_expired(oicall_engine *engine, oicall_call *call, int side, GPtrArray *effects) {
	add_event(effects, told_session(engine, call, side), "call-expired", reason_payload(call, "timeout"), call);
	add_notify(effects, "call-expired", json_pack("{ssssss}", "callId", call->id,
		"caller", call->peers[OICALL_CALLER].user, "callee", call->peers[side].user), call);
}

/* Removes a call from the live tables and says so to the glue. */
static void finish(oicall_engine *engine, oicall_call *call, const char *reason, const char *ended_by,
		GPtrArray *effects, gint64 now) {
	call->state = OICALL_CALL_ENDED;
	call->ended_at = now;
	g_free(call->end_reason);
	call->end_reason = g_strdup(reason);
	oicall_effect *ended = add_effect(effects, OICALL_EFFECT_ENDED, call);
	for(int side = 0; side < call->npeers; side++) {
		oicall_peer *peer = &call->peers[side];
		if(peer->state == OICALL_PEER_RINGING)
			ring_over(engine, call, side, FALSE, reason, effects, now);
		peer_done(engine, call, side, ended);
	}
	gint64 duration_ms = call->accepted_at ? (now - call->accepted_at) / 1000 : 0;
	json_t *info = json_pack("{sssssssssIss?}", "callId", call->id, "caller", call->peers[OICALL_CALLER].user,
		"callee", first_invitee(call), "reason", reason, "duration", (json_int_t)duration_ms, "endedBy", ended_by);
	if(call->group)
		json_object_set_new(info, "participants", oicall_call_participants(call, 0));
	add_notify(effects, "call-ended", info, call);
	remember_ended(engine, call);
	g_queue_remove(&engine->order, call);
	g_hash_table_remove(engine->calls, call->id);
}

/* call-ended to every peer still in it or ringing (whoever is online), then finish. */
static void end_for_all(oicall_engine *engine, oicall_call *call, const char *reason, const char *ended_by,
		GPtrArray *effects, gint64 now) {
	for(int side = 0; side < call->npeers; side++) {
		if(call->peers[side].state != OICALL_PEER_OUT)
			add_event(effects, told_session(engine, call, side), "call-ended", reason_payload(call, reason), call);
	}
	finish(engine, call, reason, ended_by, effects, now);
}

/* Ends the call because side went out of it and nobody is left to talk to
 * (or a caller cancelled what still rang). Each peer hears what it would in
 * a 1:1 call. */
static void end_on_exit(oicall_engine *engine, oicall_call *call, int side, exit_cause cause, GPtrArray *effects,
		gint64 now) {
	oicall_peer *leaver = &call->peers[side];
	gboolean ringing = leaver->state == OICALL_PEER_RINGING;
	const char *user = leaver->user;
	switch(cause) {
	case EXIT_END:
		end_for_all(engine, call, ringing ? "rejected" : "hangup", user, effects, now);
		return;
	case EXIT_MEDIA_TIMEOUT:
		end_for_all(engine, call, "media-timeout", NULL, effects, now);
		return;
	case EXIT_TIMEOUT:
		tell_expired(engine, call, side, effects);
		ring_over(engine, call, side, FALSE, "timeout", effects, now);
		leaver->state = OICALL_PEER_OUT;
		end_for_all(engine, call, "timeout", NULL, effects, now);
		return;
	case EXIT_GONE:
		/* If the one gone is back online (its media died meanwhile), it is told too. */
		add_event(effects, told_session(engine, call, side), "call-ended", reason_payload(call, "error"), call);
		leaver->state = OICALL_PEER_OUT;
		end_for_all(engine, call, "peer-disconnected", user, effects, now);
		return;
	case EXIT_LEAVE:
		break;
	}
	/* leave-call: the one who leaves hears nothing (it left). */
	const char *reason = ringing ? "rejected" : call->state == OICALL_CALL_RINGING ? "cancelled" : "hangup";
	if(!ringing && call->state == OICALL_CALL_ACTIVE)
		tell_room(engine, call, side, "participant-left", json_pack("{ssss}", "callId", call->id, "userId", user),
			effects);
	leaver->state = OICALL_PEER_OUT;
	for(int other = 0; other < call->npeers; other++) {
		if(call->peers[other].state == OICALL_PEER_OUT)
			continue;
		const char *told = reason;
		if(call->state == OICALL_CALL_ACTIVE && !ringing && call->peers[other].room)
			told = "last-participant-left";
		add_event(effects, told_session(engine, call, other), "call-ended", reason_payload(call, told), call);
	}
	finish(engine, call, reason, user, effects, now);
}

/* side goes out of the call. With nobody else to talk to the call ends;
 * otherwise it goes on without it, and the others hear so. */
static void take_out(oicall_engine *engine, oicall_call *call, int side, exit_cause cause, GPtrArray *effects,
		gint64 now) {
	oicall_peer *peer = &call->peers[side];
	if(call->state == OICALL_CALL_ENDED || peer->state == OICALL_PEER_OUT)
		return;
	oicall_call_ref(call);
	if(peers_left(call) <= 2 || (side == OICALL_CALLER && call->state == OICALL_CALL_RINGING)) {
		end_on_exit(engine, call, side, cause, effects, now);
		oicall_call_unref(call);
		return;
	}
	gboolean ringing = peer->state == OICALL_PEER_RINGING;
	const char *told = NULL, *why = NULL;
	switch(cause) {
	case EXIT_LEAVE: why = ringing ? "declined" : "left"; break;
	case EXIT_END: told = "hangup"; why = ringing ? "declined" : "left"; break;
	case EXIT_TIMEOUT: why = "timeout"; break;
	case EXIT_GONE: told = "error"; why = "disconnected"; break;
	case EXIT_MEDIA_TIMEOUT: told = "media-timeout"; why = "media-timeout"; break;
	}
	if(cause == EXIT_TIMEOUT)
		tell_expired(engine, call, side, effects);
	else if(told != NULL)
		add_event(effects, told_session(engine, call, side), "call-ended", reason_payload(call, told), call);
	if(ringing) {
		ring_over(engine, call, side, FALSE, why, effects, now);
		tell_room(engine, call, side, "participant-no-answer", json_pack("{ssssss}", "callId", call->id,
			"userId", peer->user, "reason", why), effects);
	} else {
		tell_room(engine, call, side, "participant-left", json_pack("{ssssss}", "callId", call->id,
			"userId", peer->user, "reason", why), effects);
	}
	add_notify(effects, "participant-left", json_pack("{ssssss}", "callId", call->id, "userId", peer->user,
		"reason", why), call);
	oicall_effect *out = add_effect(effects, OICALL_EFFECT_PEER_OUT, call);
	out->side = side;
	out->session = peer->media_session;
	peer_done(engine, call, side, out);
	peer->state = OICALL_PEER_OUT;
	peer->media_session = 0;
	peer->grace_deadline = 0;
	oicall_call_unref(call);
}

json_t *oicall_call_incoming_payload(const oicall_call *call) {
	return json_pack("{ssssssso}", "callId", call->id, "fromUserId", call->peers[OICALL_CALLER].user, "callType",
		call->call_type, "participants", oicall_call_participants(call, 0));
}

/* incoming-call to an invitee's session, once per session. */
static void offer_to(oicall_engine *engine, oicall_call *call, int side, guint64 session, GPtrArray *effects) {
	(void)engine;
	oicall_peer *peer = &call->peers[side];
	if(session == 0 || g_hash_table_contains(peer->offered_to, &session))
		return;
	gboolean first = g_hash_table_size(peer->offered_to) == 0;
	guint64 *key = g_new(guint64, 1);
	*key = session;
	g_hash_table_add(peer->offered_to, key);
	add_event(effects, session, "incoming-call", oicall_call_incoming_payload(call), call);
	((oicall_effect *)g_ptr_array_index(effects, effects->len - 1))->side = side;
	if(first)
		add_notify(effects, "call-ringing", json_pack("{ssss}", "callId", call->id, "callee", peer->user), call);
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
		oicall_peer *peer = &call->peers[side];
		if(peer->state == OICALL_PEER_RINGING && !call->awaiting_offer)
			offer_to(engine, call, side, session, effects);
		/* Back within the grace: the call goes on, its media never stopped. */
		peer->grace_deadline = 0;
		/* A call whose media is on another session: this one is told it is in it. */
		if(peer->state == OICALL_PEER_IN && call->state == OICALL_CALL_ACTIVE && peer->media_session != session &&
				!already) {
			/* peerUserId: the caller, or for the caller the first invitee in the call. */
			int other = OICALL_CALLER;
			while(other < call->npeers && (other == side || call->peers[other].state != OICALL_PEER_IN))
				other++;
			add_event(effects, session, "call-resumed", json_pack("{ssssssssssso}", "callId", call->id,
				"peerUserId", other < call->npeers ? call->peers[other].user : "", "callType", call->call_type, "state", "active",
				"role", side == OICALL_CALLER ? "caller" : "callee", "participants", oicall_call_participants(call, 0)), call);
		}
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

static gboolean strv_has(char *const *strv, const char *s) {
	return g_strv_contains((const gchar *const *)strv, s);
}

/* A list of user ids (toUserIds, participantIds) as a NULL-terminated
 * vector without repeats, at most max of them. NULL with *error (an error ack). */
static char **user_list(json_t *ids, const char *field, int max, json_t **error) {
	*error = NULL;
	if(!json_is_array(ids) || json_array_size(ids) == 0) {
		char *message = g_strdup_printf("%s must be a non-empty array of user ids", field);
		*error = error_ack(message);
		g_free(message);
		return NULL;
	}
	GPtrArray *users = g_ptr_array_new_with_free_func(g_free);
	for(size_t i = 0; i < json_array_size(ids) && *error == NULL; i++) {
		const char *problem = NULL;
		char *user = oicall_user_id_from_json(json_array_get(ids, i), &problem);
		if(user == NULL) {
			char *name = g_strdup_printf("%s[%zu]", field, i);
			*error = field_error(name, problem);
			g_free(name);
		} else {
			gboolean repeat = FALSE;
			for(guint j = 0; j < users->len && !repeat; j++)
				repeat = strcmp(users->pdata[j], user) == 0;
			if(repeat) {
				g_free(user);
			} else if((int)users->len >= max) {
				g_free(user);
				char *message = g_strdup_printf("A call has at most %d participants", max + 1);
				*error = error_ack(message);
				g_free(message);
			} else {
				g_ptr_array_add(users, user);
			}
		}
	}
	if(*error != NULL) {
		g_ptr_array_free(users, TRUE);
		return NULL;
	}
	g_ptr_array_add(users, NULL);
	return (char **)g_ptr_array_free(users, FALSE);
}

/* Whom a start-call invites: toUserIds (the room dialect, *room set) or
 * else toUserId. NULL with *error (an error ack). */
static char **invitees(oicall_engine *engine, json_t *body, gboolean *room, json_t **error) {
	json_t *ids = json_object_get(body, "toUserIds");
	*room = ids != NULL;
	*error = NULL;
	if(ids != NULL)
		return user_list(ids, "toUserIds", engine->max_peers - 1, error);
	if(json_object_get(body, "toUserId") == NULL) {
		*error = error_ack("Missing toUserId");
		return NULL;
	}
	const char *problem = NULL;
	char *to = oicall_user_id_from_json(json_object_get(body, "toUserId"), &problem);
	if(to == NULL) {
		*error = field_error("toUserId", problem);
		return NULL;
	}
	char **list = g_new0(char *, 2);
	list[0] = to;
	return list;
}

char **oicall_engine_invitees(oicall_engine *engine, const char *request, json_t *body) {
	json_t *error = NULL;
	gboolean room = FALSE;
	char **users = NULL;
	if(strcmp(request, "start-call") == 0)
		users = invitees(engine, body, &room, &error);
	else if(strcmp(request, "add-participants") == 0 && json_object_get(body, "participantIds") != NULL)
		users = user_list(json_object_get(body, "participantIds"), "participantIds", engine->max_peers - 1, &error);
	json_decref(error);
	return users;
}

/* The user's call that a start-call body repeats, if any (see the header). */
static oicall_call *repeated_start(oicall_engine *engine, guint64 session, const char *user, char *const *to,
		const char *call_type, const char *call_id) {
	oicall_call *call = oicall_engine_call_of_user(engine, user);
	if(call == NULL || call->state == OICALL_CALL_ENDED || oicall_call_side_of(call, user) != OICALL_CALLER ||
			call->peers[OICALL_CALLER].media_session != session || strcmp(call->call_type, call_type) != 0 ||
			(call_id != NULL && strcmp(call_id, call->id) != 0))
		return NULL;
	/* The same invitees: each asked for was invited at the start (busy ones aside), and no other. */
	guint asked = g_strv_length((char **)to), matched = 0;
	for(int side = 1; side < call->npeers; side++) {
		if(call->peers[side].invited_by != NULL && strcmp(call->peers[side].invited_by, user) != 0)
			continue;
		if(!strv_has(to, call->peers[side].user))
			return NULL;
		matched++;
	}
	return matched > 0 && matched <= asked ? call : NULL;
}

oicall_call *oicall_engine_repeated_start(oicall_engine *engine, guint64 session, json_t *body) {
	const char *user = oicall_engine_user(engine, session);
	const char *call_type = json_string_value(json_object_get(body, "callType"));
	json_t *call_id = json_object_get(body, "callId");
	if(user == NULL || call_type == NULL || (call_id != NULL && !json_is_null(call_id) && !json_is_string(call_id)))
		return NULL;
	gboolean room = FALSE;
	json_t *ignored = NULL;
	char **to = invitees(engine, body, &room, &ignored);
	json_decref(ignored);
	oicall_call *call = to ? repeated_start(engine, session, user, to, call_type, json_string_value(call_id)) : NULL;
	g_strfreev(to);
	return call;
}

/* A peer for user (a new one, or the one it was if it was in the call before). */
static int peer_slot(oicall_call *call, const char *user) {
	int side = oicall_call_side_of(call, user);
	if(side >= 0)
		return side;
	if(call->npeers < OICALL_MAX_PEERS) {
		side = call->npeers++;
	} else {
		/* Every place was used once: one whose user is out takes the newcomer. */
		for(side = 1; side < call->npeers && call->peers[side].state != OICALL_PEER_OUT; side++)
			;
		g_assert(side < call->npeers);  /* max_peers ≤ OICALL_MAX_PEERS leaves one */
	}
	peer_clear(&call->peers[side]);
	call->peers[side].user = g_strdup(user);
	call->peers[side].offered_to = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, NULL);
	return side;
}

/* A new call from user, not yet in any table. */
static oicall_call *call_new(const char *user, const char *call_type, const char *call_id, gint64 now) {
	oicall_call *call = g_new0(oicall_call, 1);
	call->refs = 1;
	call->id = call_id ? g_strdup(call_id) : g_uuid_string_random();
	call->call_type = g_strdup(call_type);
	call->created_at = now;
	int side = peer_slot(call, user);
	call->peers[side].state = OICALL_PEER_IN;
	return call;
}

/* user is invited into a live call: it rings once offered (offer_ringing). */
static void invite(oicall_engine *engine, oicall_call *call, const char *user, const char *by, GPtrArray *effects,
		gint64 now) {
	int side = peer_slot(call, user);
	oicall_peer *peer = &call->peers[side];
	g_hash_table_remove_all(peer->offered_to);
	peer->state = OICALL_PEER_RINGING;
	peer->room = FALSE;
	peer->joined = FALSE;
	peer->announced = FALSE;
	memset(peer->muted, 0, sizeof(peer->muted));
	g_free(peer->invited_by);
	peer->invited_by = g_strdup(by);
	peer->was_online = oicall_registry_session_of(engine->registry, user) != 0;
	peer->ring_deadline = now + engine->ring_timeout_us;
	g_hash_table_insert(engine->call_of_user, peer->user, call);
	if(call->group)
		add_notify(effects, "call-invited", json_pack("{sssssssssb}", "callId", call->id, "caller",
			call->peers[OICALL_CALLER].user, "callee", user, "byUserId", by, "calleeOnline", peer->was_online), call);
}

/* incoming-call to every invitee's session that has not had it, all of them known by then. */
static void offer_ringing(oicall_engine *engine, oicall_call *call, GPtrArray *effects) {
	for(int side = 1; side < call->npeers && !call->awaiting_offer; side++) {
		if(call->peers[side].state == OICALL_PEER_RINGING)
			offer_to(engine, call, side, current_session(engine, call, side), effects);
	}
}

/* A call refused because its every invitee is in a call: it never rings. */
static json_t *refuse_busy(oicall_engine *engine, guint64 session, const char *user, char *const *to,
		const char *call_type, const char *call_id, GPtrArray *effects, gint64 now) {
	oicall_call *call = call_new(user, call_type, call_id, now);
	for(int i = 0; to[i] != NULL; i++)
		call->peers[peer_slot(call, to[i])].state = OICALL_PEER_OUT;
	call->ended_at = now;
	call->state = OICALL_CALL_ENDED;
	call->end_reason = g_strdup("busy");
	add_notify(effects, "call-started", json_pack("{sssssssssb}", "callId", call->id, "caller", user, "callee", to[0],
		"callType", call_type, "calleeOnline", oicall_registry_session_of(engine->registry, to[0]) != 0), call);
	add_event(effects, session, "call-ended", reason_payload(call, "busy"), call);
	add_notify(effects, "call-ended", json_pack("{sssssssssIss}", "callId", call->id, "caller", user,
		"callee", to[0], "reason", "busy", "duration", (json_int_t)0, "endedBy", to[0]), call);
	json_t *reply = json_pack("{ssss}", "error", "busy", "callId", call->id);
	oicall_call_unref(call);
	return reply;
}

/* Glare: the only invitee is calling this user right now. */
static gboolean glare(oicall_call *mine, const char *user, char *const *to) {
	return mine != NULL && to[1] == NULL && mine->state == OICALL_CALL_RINGING &&
		oicall_call_side_of(mine, user) != OICALL_CALLER && strcmp(mine->peers[OICALL_CALLER].user, to[0]) == 0;
}

/* start-call and reserve-call: ring says whether the invitees are offered the call now. */
static json_t *begin_call(oicall_engine *engine, guint64 session, json_t *body, gboolean ring, GPtrArray *effects,
		gint64 now, oicall_call **out) {
	*out = NULL;
	const char *user = oicall_engine_user(engine, session);
	if(user == NULL)
		return error_ack("Socket not registered");
	gboolean room = FALSE;
	json_t *reply = NULL;
	char **to = invitees(engine, body, &room, &reply);
	if(to == NULL)
		return reply;
	const char *call_type = json_string_value(json_object_get(body, "callType"));
	json_t *call_id_json = json_object_get(body, "callId");
	const char *call_id = json_string_value(call_id_json);
	oicall_call *mine = oicall_engine_call_of_user(engine, user);
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
	} else if(strv_has(to, user)) {
		reply = error_ack("Cannot call yourself");
	} else if(glare(mine, user, to)) {
		/* Their call goes on ringing here (accept it to talk); this one is refused as busy. */
		reply = refuse_busy(engine, session, user, to, call_type, call_id, effects, now);
		json_object_set_new(reply, "incomingCallId", json_string(mine->id));
	} else if(mine != NULL) {
		reply = error_ack("Already in a call");
	} else {
		int ringing = 0;
		for(int i = 0; to[i] != NULL; i++)
			ringing += oicall_engine_call_of_user(engine, to[i]) == NULL;
		char *too_many = rings_refused(engine, NULL, user, ringing);
		const char *limited = NULL;
		if(too_many != NULL)
			reply = error_ack(too_many);
		/* Counted before the busy check: ringing a busy user again and again is calling too. */
		else if((limited = oicall_call_limits_start(engine->limits, user, to, now)) != NULL)
			reply = error_ack(limited);
		g_free(too_many);
	}
	gboolean all_busy = TRUE;
	for(int i = 0; to[i] != NULL && reply == NULL && all_busy; i++)
		all_busy = oicall_engine_call_of_user(engine, to[i]) != NULL;
	if(reply == NULL && all_busy)
		reply = refuse_busy(engine, session, user, to, call_type, call_id, effects, now);
	if(reply != NULL) {
		g_strfreev(to);
		return reply;
	}

	oicall_call *call = call_new(user, call_type, call_id, now);
	call->group = to[1] != NULL;
	call->state = OICALL_CALL_RINGING;
	call->peers[OICALL_CALLER].room = room;
	call->peers[OICALL_CALLER].media_session = session;
	call->awaiting_offer = !ring;
	g_hash_table_insert(engine->calls, call->id, call);
	g_queue_push_tail(&engine->order, call);
	g_hash_table_insert(engine->call_of_user, call->peers[OICALL_CALLER].user, call);
	json_t *busy = json_array(), *invited = json_array();
	for(int i = 0; to[i] != NULL; i++)
		json_array_append_new(oicall_engine_call_of_user(engine, to[i]) != NULL ? busy : invited, json_string(to[i]));
	json_t *started = json_pack("{sssssssssb}", "callId", call->id, "caller", user, "callee",
		json_string_value(json_array_get(invited, 0)), "callType", call_type, "calleeOnline",
		oicall_registry_session_of(engine->registry, json_string_value(json_array_get(invited, 0))) != 0);
	if(call->group)
		json_object_set(started, "invitees", invited);
	add_notify(effects, "call-started", started, call);
	size_t i;
	json_t *id;
	json_array_foreach(invited, i, id)
		invite(engine, call, json_string_value(id), user, effects, now);
	offer_ringing(engine, call, effects);
	*out = call;
	reply = call_payload(call);
	if(json_array_size(busy) > 0)
		json_object_set(reply, "busyUserIds", busy);
	json_decref(busy);
	json_decref(invited);
	g_strfreev(to);
	return reply;
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
	offer_ringing(engine, call, effects);
}

void oicall_engine_cancel_reserved(oicall_engine *engine, oicall_call *call, GPtrArray *effects, gint64 now) {
	if(call->state != OICALL_CALL_RINGING || !call->awaiting_offer)
		return;
	oicall_call_ref(call);
	finish(engine, call, "error", call->peers[OICALL_CALLER].user, effects, now);
	oicall_call_unref(call);
}

#define LEFT_CALL "You are no longer in this call"

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
		if(ended != NULL && strv_has(ended->users, user))
			return error_ack("Call already ended");
		return error_ack("Unknown call");
	}
	int side = oicall_call_side_of(call, user);
	if(side < 0)
		return error_ack("Not your call");
	if(call->peers[side].state == OICALL_PEER_OUT)
		return error_ack(LEFT_CALL);
	*out = call;
	return NULL;
}

/* check_call, and the requester's side in the call (-1 with an error). */
static json_t *check_side(oicall_engine *engine, guint64 session, json_t *body, oicall_call **call, int *side) {
	json_t *error = oicall_engine_check_call(engine, session, body, call);
	*side = error == NULL ? oicall_call_side_of(*call, oicall_engine_user(engine, session)) : -1;
	return error;
}

/* The other peers that are joined. */
static json_t *joined_others(const oicall_call *call, int side) {
	json_t *users = json_array();
	for(int other = 0; other < call->npeers; other++) {
		if(other != side && oicall_call_peer_joined(call, other))
			json_array_append_new(users, json_string(call->peers[other].user));
	}
	return users;
}

/* The joined peers hear that side is in, once: an invitee when it accepts
 * (whether join-call follows tells only its dialect), a caller when it joins. */
static void announce(oicall_engine *engine, oicall_call *call, int side, GPtrArray *effects) {
	if(call->peers[side].announced)
		return;
	call->peers[side].announced = TRUE;
	tell_room(engine, call, side, "participant-joined", json_pack("{ssss}", "callId", call->id,
		"userId", call->peers[side].user), effects);
}

json_t *oicall_engine_resume_call(oicall_engine *engine, guint64 session, json_t *body, GPtrArray *effects,
		gint64 now, oicall_call **out, gboolean *moved) {
	int side = -1;
	*moved = FALSE;
	json_t *error = check_side(engine, session, body, out, &side);
	if(error != NULL)
		return error;
	oicall_call *call = *out;
	oicall_peer *peer = &call->peers[side];
	if(peer->state == OICALL_PEER_RINGING)
		return error_ack("The call rings for you: answer it (accept-call)");
	if(peer->state != OICALL_PEER_IN)
		return error_ack("You are no longer in this call");
	if(call->state != OICALL_CALL_ACTIVE)
		return error_ack("Only an accepted call can be resumed");
	if(peer->media_session == session)
		return success_ack();
	oicall_effect *effect = add_effect(effects, OICALL_EFFECT_MEDIA_MOVED, call);
	effect->side = side;
	effect->session = peer->media_session;
	/* The old session carries nothing else now: this session is the user's. */
	if(peer->media_session != 0)
		effect->release = 1u << side;
	peer->media_session = session;
	/* The new media's silence counts from now, not from the old media's last packet. */
	peer->media_seen = now;
	add_notify(effects, "call-resumed", json_pack("{ssss}", "callId", call->id, "userId", peer->user), call);
	*moved = TRUE;
	return success_ack();
}

json_t *oicall_engine_accept_call(oicall_engine *engine, guint64 session, json_t *body, GPtrArray *effects,
		gint64 now, oicall_call **out) {
	oicall_call *call = NULL;
	int side = -1;
	json_t *error = check_side(engine, session, body, &call, &side);
	*out = call;
	if(error != NULL)
		return error;
	oicall_peer *peer = &call->peers[side];
	const char *user = peer->user;
	if(side == OICALL_CALLER)
		return error_ack("Only the callee can accept a call");
	if(peer->state == OICALL_PEER_IN && peer->media_session == session)
		return success_ack();   /* the same accept again: nothing changes */
	if(peer->state != OICALL_PEER_RINGING)
		return error_ack("Call already accepted");
	if(call->awaiting_offer)
		return error_ack("Call not offered yet");
	json_t *from = json_object_get(body, "fromUserId");
	if(from != NULL && !call->group) {
		/* A group's invitee may name whoever invited it: call-accepted goes to the creator anyway. */
		const char *ignored = NULL;
		char *from_user = oicall_user_id_from_json(from, &ignored);
		gboolean matches = from_user != NULL && strcmp(from_user, call->peers[OICALL_CALLER].user) == 0;
		g_free(from_user);
		if(!matches)
			return error_ack("fromUserId is not the caller of this call");
	}
	if(call->state == OICALL_CALL_RINGING) {
		call->state = OICALL_CALL_ACTIVE;
		call->accepted_at = now;
		call->peers[OICALL_CALLER].accepted_at = now;
	}
	peer->state = OICALL_PEER_IN;
	peer->accepted_at = now;
	peer->media_session = session;
	ring_over(engine, call, side, TRUE, "accepted", effects, now);
	if(call->peers[OICALL_CALLER].state == OICALL_PEER_IN)
		add_event(effects, current_session(engine, call, OICALL_CALLER), "call-accepted",
			json_pack("{ssss}", "callId", call->id, "calleeUserId", user), call);
	add_notify(effects, "call-accepted", json_pack("{ssssss}", "callId", call->id,
		"caller", call->peers[OICALL_CALLER].user, "callee", user), call);
	announce(engine, call, side, effects);
	return success_ack();
}

/* check_call for a hang-up (end-call, leave-call): NULL with *call, or the
 * ack to give, a success for a call of the user's that ended already or
 * that it left (hung up twice, or after the others: it is over, as asked). */
static json_t *check_hangup(oicall_engine *engine, guint64 session, json_t *body, oicall_call **call) {
	json_t *error = oicall_engine_check_call(engine, session, body, call);
	const char *message = error ? json_string_value(json_object_get(error, "error")) : NULL;
	if(g_strcmp0(message, "Call already ended") == 0 || g_strcmp0(message, LEFT_CALL) == 0) {
		json_decref(error);
		return success_ack();
	}
	return error;
}

static json_t *hang_up(oicall_engine *engine, guint64 session, json_t *body, exit_cause cause, GPtrArray *effects,
		gint64 now) {
	oicall_call *call = NULL;
	json_t *error = check_hangup(engine, session, body, &call);
	if(error != NULL)
		return error;
	take_out(engine, call, oicall_call_side_of(call, oicall_engine_user(engine, session)), cause, effects, now);
	return success_ack();
}

json_t *oicall_engine_end_call(oicall_engine *engine, guint64 session, json_t *body, GPtrArray *effects,
		gint64 now) {
	return hang_up(engine, session, body, EXIT_END, effects, now);
}

json_t *oicall_engine_leave_call(oicall_engine *engine, guint64 session, json_t *body, GPtrArray *effects,
		gint64 now) {
	return hang_up(engine, session, body, EXIT_LEAVE, effects, now);
}

json_t *oicall_engine_join_call(oicall_engine *engine, guint64 session, json_t *body, GPtrArray *effects,
		oicall_call **out) {
	oicall_call *call = NULL;
	int side = -1;
	json_t *error = check_side(engine, session, body, &call, &side);
	*out = call;
	if(error != NULL)
		return error;
	oicall_peer *peer = &call->peers[side];
	if(peer->state != OICALL_PEER_IN)
		return error_ack("Accept the call first (accept-call), then join it");
	json_t *already = joined_others(call, side);
	if(!peer->joined) {
		peer->room = TRUE;
		peer->joined = TRUE;
		announce(engine, call, side, effects);
		/* The joiner hears who is there already. */
		if(json_array_size(already) > 0)
			add_event(effects, session, "participant-joined",
				json_pack("{sssOsb}", "callId", call->id, "userId", already, "initial", 1), call);
	}
	/* participants: whom the call invited (the creator is creatorId), as OIChat's server has it. */
	return json_pack("{sbsosossso}", "success", 1, "participants", oicall_call_participants(call, 1), "alreadyJoined", already,
		"creatorId", call->peers[OICALL_CALLER].user, "participantsInfo", json_object());
}

json_t *oicall_engine_add_participants(oicall_engine *engine, guint64 session, json_t *body, GPtrArray *effects,
		gint64 now, oicall_call **out) {
	oicall_call *call = NULL;
	int side = -1;
	json_t *error = check_side(engine, session, body, &call, &side);
	*out = call;
	if(error != NULL)
		return error;
	const char *user = call->peers[side].user;
	if(call->peers[side].state != OICALL_PEER_IN)
		return error_ack("Accept the call first (accept-call), then invite others");
	if(json_object_get(body, "participantIds") == NULL)
		return error_ack("Missing participantIds");
	char **ids = user_list(json_object_get(body, "participantIds"), "participantIds", OICALL_MAX_PEERS, &error);
	if(ids == NULL)
		return error;
	/* Those already ringing or in are not invited again; those in another call are busy. */
	GPtrArray *fresh = g_ptr_array_new();
	json_t *busy = json_array();
	for(int i = 0; ids[i] != NULL; i++) {
		int at = oicall_call_side_of(call, ids[i]);
		if(at >= 0 && call->peers[at].state != OICALL_PEER_OUT)
			continue;
		if(oicall_engine_call_of_user(engine, ids[i]) != NULL)
			json_array_append_new(busy, json_string(ids[i]));
		else
			g_ptr_array_add(fresh, ids[i]);
	}
	g_ptr_array_add(fresh, NULL);
	char **to = (char **)fresh->pdata;
	const char *limited = NULL;
	char *message = NULL;
	if(peers_left(call) + (int)fresh->len - 1 > engine->max_peers)
		message = g_strdup_printf("A call has at most %d participants", engine->max_peers);
	else
		message = rings_refused(engine, call, user, (int)fresh->len - 1);
	if(message != NULL) {
		error = error_ack(message);
		g_free(message);
	} else if(fresh->len > 1 && (limited = oicall_call_limits_start(engine->limits, user, to, now)) != NULL) {
		error = error_ack(limited);
	}
	if(error == NULL) {
		json_t *added = json_array();
		call->group = TRUE;
		for(int i = 0; to[i] != NULL; i++) {
			invite(engine, call, to[i], user, effects, now);
			json_array_append_new(added, json_string(to[i]));
		}
		offer_ringing(engine, call, effects);
		if(json_array_size(added) > 0)
			tell_room(engine, call, side, "participant-invited", json_pack("{sssssO}", "callId", call->id,
				"byUserId", user, "userIds", added), effects);
		error = json_pack("{sbsOsO}", "success", 1, "addedParticipants", added, "busyUserIds", busy);
		json_decref(added);
	}
	json_decref(busy);
	g_ptr_array_free(fresh, TRUE);
	g_strfreev(ids);
	return error;
}

/* UTF-16 units of a UTF-8 string (what a JavaScript client counts as its length). */
static glong utf16_length(const char *text) {
	glong units = 0;
	for(const char *p = text; *p != '\0'; p = g_utf8_next_char(p))
		units += g_utf8_get_char(p) > 0xFFFF ? 2 : 1;
	return units;
}

json_t *oicall_engine_reaction(oicall_engine *engine, guint64 session, json_t *body, gint64 wall_ms,
		GPtrArray *effects) {
	oicall_call *call = NULL;
	int side = -1;
	json_t *error = check_side(engine, session, body, &call, &side);
	if(error != NULL)
		return error;
	const char *user = call->peers[side].user;
	if(!oicall_call_peer_joined(call, side))
		return error_ack("Join the call first");
	json_t *emoji = json_object_get(body, "emoji");
	if(emoji == NULL)
		return error_ack("Missing emoji");
	const char *text = json_string_value(emoji);
	glong units = text ? utf16_length(text) : 0;
	if(units < 1 || units > OICALL_MAX_EMOJI_UNITS)
		return error_ack("emoji must be a string of 1 to 16 characters");
	json_t *payload = json_pack("{sssssssI}", "callId", call->id, "userId", user, "emoji", text,
		"ts", (json_int_t)wall_ms);
	for(int other = 0; other < call->npeers; other++) {
		if(oicall_call_peer_joined(call, other))
			add_event(effects, current_session(engine, call, other), "call-reaction", json_deep_copy(payload), call);
	}
	json_decref(payload);
	return success_ack();
}

json_t *oicall_engine_mute(oicall_engine *engine, guint64 session, json_t *body, gboolean video,
		GPtrArray *effects, oicall_call **out) {
	oicall_call *call = NULL;
	int side = -1;
	json_t *error = check_side(engine, session, body, &call, &side);
	*out = call;
	if(error != NULL)
		return error;
	json_t *muted = json_object_get(body, "muted");
	if(!json_is_boolean(muted))
		return error_ack("muted must be true or false");
	const char *user = call->peers[side].user;
	gboolean value = json_is_true(muted);
	call->peers[side].muted[video ? 1 : 0] = value;
	oicall_effect *effect = add_effect(effects, OICALL_EFFECT_MUTE, call);
	effect->side = side;
	effect->video = video;
	effect->muted = value;
	const char *name = video ? (value ? "remote-user-video-muted" : "remote-user-video-unmuted")
		: (value ? "remote-user-muted" : "remote-user-unmuted");
	for(int other = 0; other < call->npeers; other++) {
		if(other != side && call->peers[other].state != OICALL_PEER_OUT)
			add_event(effects, told_session(engine, call, other), name,
				json_pack("{ssss}", "userId", user, "callId", call->id), call);
	}
	return success_ack();
}

/* ---- sessions going away --------------------------------------------- */

/* The live calls, each with a reference: the list survives calls ending. */
static GList *live_calls(oicall_engine *engine) {
	GList *calls = NULL;
	for(GList *l = engine->order.tail; l != NULL; l = l->prev)
		calls = g_list_prepend(calls, oicall_call_ref(l->data));
	return calls;
}

static void start_grace(oicall_engine *engine, oicall_call *call, int side, GPtrArray *effects, gint64 now) {
	if(call->peers[side].grace_deadline != 0)
		return;
	if(engine->grace_us <= 0) {
		take_out(engine, call, side, EXIT_GONE, effects, now);
		return;
	}
	call->peers[side].grace_deadline = now + engine->grace_us;
}

/* Common to disconnect and destroy: returns linger seconds (disconnect only). */
static guint session_leaves(oicall_engine *engine, guint64 session, gboolean destroyed, GPtrArray *effects,
		gint64 now) {
	char *user = g_strdup(oicall_registry_user_of(engine->registry, session));
	gboolean was_current = oicall_registry_unbind(engine->registry, session);
	if(was_current)
		add_notify(effects, "user-gone", json_pack("{ss}", "userId", user), NULL);
	guint linger = 0;
	GList *calls = live_calls(engine);
	for(GList *l = calls; l != NULL; l = l->next) {
		oicall_call *call = l->data;
		for(int side = 0; side < call->npeers && call->state != OICALL_CALL_ENDED; side++) {
			oicall_peer *peer = &call->peers[side];
			if(peer->state == OICALL_PEER_OUT)
				continue;
			gboolean media_here = peer->media_session == session;
			gboolean control_here = was_current && strcmp(peer->user, user) == 0;
			if(peer->state == OICALL_PEER_RINGING || (!media_here && !control_here)) {
				/* An invitee keeps ringing; its next session gets a fresh offer. */
				g_hash_table_remove(peer->offered_to, &session);
				if(media_here)
					peer->media_session = 0;
			} else if(side == OICALL_CALLER && call->state == OICALL_CALL_RINGING) {
				/* Nobody to answer to: a call nobody accepted yet ends with its caller. */
				take_out(engine, call, side, EXIT_GONE, effects, now);
			} else if(media_here && destroyed) {
				/* Its PeerConnection went with the handle. */
				take_out(engine, call, side, EXIT_GONE, effects, now);
			} else if(media_here && oicall_registry_session_of(engine->registry, peer->user) != 0) {
				/* The user is back on another session already (it took over
				 * before this one was noticed gone): no grace, the media
				 * stays on this handle while the call lasts. */
				linger = OICALL_LINGER_UNTIL_CALL_ENDS;
			} else {
				start_grace(engine, call, side, effects, now);
				if(media_here && peer->state == OICALL_PEER_IN)
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

gboolean oicall_engine_replaced_elsewhere(oicall_engine *engine, guint64 session, const char *user,
		GPtrArray *effects) {
	if(oicall_registry_session_of(engine->registry, user) != session)
		return FALSE;
	add_event(effects, session, "replaced", json_pack("{ss}", "reason", "registered-elsewhere"), NULL);
	add_effect(effects, OICALL_EFFECT_CLOSE, NULL)->session = session;
	return TRUE;
}

void oicall_engine_session_destroyed(oicall_engine *engine, guint64 session, GPtrArray *effects, gint64 now) {
	session_leaves(engine, session, TRUE, effects, now);
}

void oicall_engine_media_failed(oicall_engine *engine, oicall_call *call, int side, GPtrArray *effects, gint64 now) {
	if(call->state != OICALL_CALL_ACTIVE || call->peers[side].state != OICALL_PEER_IN)
		return;
	take_out(engine, call, side, EXIT_GONE, effects, now);
}

gboolean oicall_engine_force_end(oicall_engine *engine, const char *call_id, const char *reason,
		GPtrArray *effects, gint64 now) {
	oicall_call *call = oicall_engine_call(engine, call_id);
	if(call == NULL)
		return FALSE;
	oicall_call_ref(call);
	end_for_all(engine, call, reason, NULL, effects, now);
	oicall_call_unref(call);
	return TRUE;
}

/* ---- timers ---------------------------------------------------------- */

/* When a peer of an active call has been silent too long; G_MAXINT64 without a media timeout. */
static gint64 media_deadline(oicall_engine *engine, oicall_call *call, int side) {
	const oicall_peer *peer = &call->peers[side];
	if(engine->media_timeout_us <= 0 || call->state != OICALL_CALL_ACTIVE || peer->state != OICALL_PEER_IN)
		return G_MAXINT64;
	return MAX(peer->accepted_at, peer->media_seen) + engine->media_timeout_us;
}

void oicall_engine_tick(oicall_engine *engine, gint64 now, GPtrArray *effects) {
	if(now - engine->limits_pruned >= 60 * G_USEC_PER_SEC) {
		oicall_call_limits_prune(engine->limits, now);
		engine->limits_pruned = now;
	}
	GList *calls = live_calls(engine);
	for(GList *l = calls; l != NULL; l = l->next) {
		oicall_call *call = l->data;
		for(int side = 0; side < call->npeers && call->state != OICALL_CALL_ENDED; side++) {
			oicall_peer *peer = &call->peers[side];
			if(peer->state == OICALL_PEER_RINGING && now >= peer->ring_deadline)
				take_out(engine, call, side, EXIT_TIMEOUT, effects, now);
			else if(peer->state == OICALL_PEER_IN && peer->grace_deadline != 0 && now >= peer->grace_deadline)
				take_out(engine, call, side, EXIT_GONE, effects, now);
		}
		for(int side = 0; side < call->npeers && call->state == OICALL_CALL_ACTIVE; side++) {
			if(now >= media_deadline(engine, call, side))
				take_out(engine, call, side, EXIT_MEDIA_TIMEOUT, effects, now);
		}
	}
	g_list_free_full(calls, (GDestroyNotify)oicall_call_unref);
}

gint64 oicall_engine_next_deadline(oicall_engine *engine) {
	gint64 next = G_MAXINT64;
	for(GList *l = engine->order.head; l != NULL; l = l->next) {
		oicall_call *call = l->data;
		for(int side = 0; side < call->npeers; side++) {
			const oicall_peer *peer = &call->peers[side];
			if(peer->state == OICALL_PEER_RINGING)
				next = MIN(next, peer->ring_deadline);
			if(peer->state == OICALL_PEER_IN && peer->grace_deadline != 0)
				next = MIN(next, peer->grace_deadline);
			next = MIN(next, media_deadline(engine, call, side));
		}
	}
	return next;
}
