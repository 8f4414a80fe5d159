/* Group calls in the call engine: invitees, per-invitee rings, joins and
 * leaves, add-participants, reactions, and the call ending with its last peer. */
#include "engine_fixture.h"

enum { E1 = 51 };

/* a (joined, room dialect) calls b, c and d, all online; returns the call. */
static oicall_call *group_call(fixture *f) {
	reg(f, A1, "\"a\"");
	reg(f, B1, "\"b\"");
	reg(f, C1, "\"c\"");
	reg(f, D1, "\"d\"");
	oicall_call *call = NULL;
	json_t *ack = request(f, "start", A1, "{\"toUserIds\":[\"b\",\"c\",\"d\",\"b\"],\"callType\":\"video\"}", &call);
	g_assert_null(json_object_get(ack, "error"));
	g_assert_null(json_object_get(ack, "busyUserIds"));
	json_decref(ack);
	char *body = with_id("{\"callId\":\"%s\"}", call->id);
	assert_ok(request(f, "join", A1, body, NULL));
	g_free(body);
	return call;
}

static void accept_and_join(fixture *f, oicall_call *call, guint64 session) {
	char *body = with_id("{\"callId\":\"%s\"}", call->id);
	assert_ok(request(f, "accept", session, body, NULL));
	assert_ok(request(f, "join", session, body, NULL));
	g_free(body);
}

/* The events of a name that went to a session. */
static guint events_to(fixture *f, const char *name, guint64 session) {
	guint n = 0;
	for(guint i = 0; i < f->fx->len; i++) {
		oicall_effect *e = g_ptr_array_index(f->fx, i);
		n += e->kind == OICALL_EFFECT_EVENT && g_strcmp0(e->name, name) == 0 && e->session == session;
	}
	return n;
}

static void test_start(fixture *f, gconstpointer data) {
	(void)data;
	oicall_call *call = group_call(f);
	g_assert_cmpint(call->npeers, ==, 4);     /* b named twice counts once */
	g_assert_true(call->group);
	/* Every invitee rings, each hearing of everyone. */
	const guint64 invitees[] = { B1, C1, D1 };
	for(gsize i = 0; i < G_N_ELEMENTS(invitees); i++) {
		oicall_effect *incoming = find(f, OICALL_EFFECT_EVENT, "incoming-call", invitees[i]);
		g_assert_nonnull(incoming);
		g_assert_cmpint(incoming->side, ==, (int)i + 1);
		g_assert_cmpuint(json_array_size(json_object_get(incoming->payload, "participants")), ==, 4);
		g_assert_cmpint(call->peers[i + 1].state, ==, OICALL_PEER_RINGING);
		g_assert_cmpint(call->peers[i + 1].ring_deadline, ==, f->now + RING);
	}
	/* A backend hears of each invitee (to push to it) and of each ringing. */
	g_assert_cmpuint(count(f, OICALL_EFFECT_NOTIFY, "call-invited"), ==, 3);
	g_assert_cmpuint(count(f, OICALL_EFFECT_NOTIFY, "call-ringing"), ==, 3);
	oicall_effect *started = find(f, OICALL_EFFECT_NOTIFY, "call-started", 0);
	g_assert_cmpuint(json_array_size(json_object_get(started->payload, "invitees")), ==, 3);
	/* They are busy for others now. */
	reg(f, E1, "\"e\"");
	assert_error(request(f, "start", E1, "{\"toUserId\":\"c\",\"callType\":\"audio\"}", NULL), "busy");
	/* The same start-call again is a repeat. */
	json_t *again = parse("{\"toUserIds\":[\"d\",\"c\",\"b\"],\"callType\":\"video\"}");
	g_assert_true(oicall_engine_repeated_start(f->engine, A1, again) == call);
	json_decref(again);
	again = parse("{\"toUserIds\":[\"d\",\"c\"],\"callType\":\"video\"}");
	g_assert_null(oicall_engine_repeated_start(f->engine, A1, again));
	json_decref(again);
}

static void test_busy_invitees(fixture *f, gconstpointer data) {
	(void)data;
	reg(f, A1, "\"a\"");
	reg(f, B1, "\"b\"");
	reg(f, C1, "\"c\"");
	reg(f, D1, "\"d\"");
	assert_ok(request(f, "start", C1, "{\"toUserId\":\"d\",\"callType\":\"audio\"}", NULL));
	/* c and d are busy: the call goes ahead with b, and the ack says who is busy. */
	oicall_call *call = NULL;
	clear(f);
	json_t *ack = request(f, "start", A1, "{\"toUserIds\":[\"b\",\"c\",\"d\"],\"callType\":\"video\"}", &call);
	json_t *busy = json_object_get(ack, "busyUserIds");
	g_assert_cmpuint(json_array_size(busy), ==, 2);
	g_assert_cmpstr(json_string_value(json_array_get(busy, 0)), ==, "c");
	json_decref(ack);
	g_assert_cmpint(call->npeers, ==, 2);
	g_assert_true(call->group);
	g_assert_cmpuint(count(f, OICALL_EFFECT_EVENT, "incoming-call"), ==, 1);
	/* Everyone busy: refused as busy. */
	reg(f, E1, "\"e\"");
	assert_error(request(f, "start", E1, "{\"toUserIds\":[\"c\",\"d\"],\"callType\":\"video\"}", NULL), "busy");
	g_assert_null(oicall_engine_call_of_user(f->engine, "e"));
}

static void test_answers(fixture *f, gconstpointer data) {
	(void)data;
	oicall_call *call = group_call(f);
	char *body = with_id("{\"callId\":\"%s\"}", call->id);
	clear(f);
	/* b accepts: the creator hears call-accepted, the joined peers participant-joined. */
	assert_ok(request(f, "accept", B1, body, NULL));
	g_assert_cmpint(call->state, ==, OICALL_CALL_ACTIVE);
	g_assert_cmpuint(events_to(f, "call-accepted", A1), ==, 1);
	g_assert_cmpuint(events_to(f, "participant-joined", A1), ==, 1);
	g_assert_cmpuint(events_to(f, "participant-joined", C1), ==, 0);     /* ringing: not in yet */
	assert_ok(request(f, "join", B1, body, NULL));
	oicall_effect *initial = find(f, OICALL_EFFECT_EVENT, "participant-joined", B1);
	g_assert_true(json_is_true(json_object_get(initial->payload, "initial")));
	/* c declines: the call goes on, those in hear why. */
	clear(f);
	assert_ok(request(f, "leave", C1, body, NULL));
	g_assert_cmpint(call->state, ==, OICALL_CALL_ACTIVE);
	g_assert_cmpint(call->peers[2].state, ==, OICALL_PEER_OUT);
	oicall_effect *no_answer = find(f, OICALL_EFFECT_EVENT, "participant-no-answer", A1);
	g_assert_cmpstr(payload_str(no_answer, "reason"), ==, "declined");
	g_assert_cmpstr(payload_str(no_answer, "userId"), ==, "c");
	g_assert_cmpuint(events_to(f, "participant-no-answer", B1), ==, 1);
	g_assert_cmpuint(events_to(f, "call-ended", C1), ==, 0);
	g_assert_nonnull(find(f, OICALL_EFFECT_PEER_OUT, NULL, 0));
	g_assert_null(find(f, OICALL_EFFECT_ENDED, NULL, 0));
	g_assert_cmpuint(count(f, OICALL_EFFECT_NOTIFY, "call-ring-ended"), ==, 1);
	g_assert_null(oicall_engine_call_of_user(f->engine, "c"));
	/* c's later requests about it: hang-ups succeed, others are told it left. */
	assert_ok(request(f, "leave", C1, body, NULL));
	assert_error(request(f, "join", C1, body, NULL), "You are no longer in this call");
	/* d's ring runs out on its own timer. */
	clear(f);
	g_assert_cmpint(oicall_engine_next_deadline(f->engine), ==, f->now + RING);
	oicall_engine_tick(f->engine, f->now + RING, f->fx);
	g_assert_cmpuint(events_to(f, "call-expired", D1), ==, 1);
	no_answer = find(f, OICALL_EFFECT_EVENT, "participant-no-answer", A1);
	g_assert_cmpstr(payload_str(no_answer, "reason"), ==, "timeout");
	g_assert_cmpuint(count(f, OICALL_EFFECT_NOTIFY, "call-expired"), ==, 1);
	g_assert_cmpint(call->state, ==, OICALL_CALL_ACTIVE);
	/* b leaves: a is the last one, the call ends for it. */
	clear(f);
	assert_ok(request(f, "leave", B1, body, NULL));
	g_assert_cmpuint(events_to(f, "participant-left", A1), ==, 1);
	oicall_effect *ended = find(f, OICALL_EFFECT_EVENT, "call-ended", A1);
	g_assert_cmpstr(payload_str(ended, "reason"), ==, "last-participant-left");
	g_assert_nonnull(find(f, OICALL_EFFECT_ENDED, NULL, 0));
	g_assert_null(oicall_engine_calls(f->engine));
	g_free(body);
}

static void test_caller_cancels(fixture *f, gconstpointer data) {
	(void)data;
	oicall_call *call = group_call(f);
	char *body = with_id("{\"callId\":\"%s\"}", call->id);
	clear(f);
	assert_ok(request(f, "leave", A1, body, NULL));
	const guint64 invitees[] = { B1, C1, D1 };
	for(gsize i = 0; i < G_N_ELEMENTS(invitees); i++) {
		oicall_effect *ended = find(f, OICALL_EFFECT_EVENT, "call-ended", invitees[i]);
		g_assert_nonnull(ended);
		g_assert_cmpstr(payload_str(ended, "reason"), ==, "cancelled");
	}
	/* The backend can end each invitee's push. */
	g_assert_cmpuint(count(f, OICALL_EFFECT_NOTIFY, "call-ring-ended"), ==, 3);
	g_free(body);

	/* end-call (the seed's hang-up) by the caller of a ringing group call: everyone hears it. */
	oicall_call *second = NULL;
	assert_ok(request(f, "start", A1, "{\"toUserIds\":[\"b\",\"c\"],\"callType\":\"audio\"}", &second));
	body = with_id("{\"callId\":\"%s\"}", second->id);
	clear(f);
	assert_ok(request(f, "end", A1, body, NULL));
	g_assert_cmpuint(events_to(f, "call-ended", A1) + events_to(f, "call-ended", B1) + events_to(f, "call-ended", C1),
		==, 3);
	g_free(body);
}

/* The caller leaving an answered group call: the others go on. */
static void test_caller_leaves_active(fixture *f, gconstpointer data) {
	(void)data;
	oicall_call *call = group_call(f);
	accept_and_join(f, call, B1);
	accept_and_join(f, call, C1);
	char *body = with_id("{\"callId\":\"%s\"}", call->id);
	clear(f);
	assert_ok(request(f, "end", A1, body, NULL));
	g_assert_cmpuint(events_to(f, "call-ended", A1), ==, 1);    /* end-call's own call-ended */
	g_assert_cmpuint(events_to(f, "participant-left", B1), ==, 1);
	g_assert_cmpuint(events_to(f, "participant-left", C1), ==, 1);
	g_assert_cmpint(call->state, ==, OICALL_CALL_ACTIVE);
	/* d, still ringing, can answer and join the two left. */
	clear(f);
	accept_and_join(f, call, D1);
	g_assert_cmpuint(events_to(f, "call-accepted", A1), ==, 0);   /* the creator is gone */
	g_assert_cmpuint(events_to(f, "participant-joined", B1), ==, 1);
	g_free(body);
}

static void test_add_participants(fixture *f, gconstpointer data) {
	(void)data;
	oicall_call *call = group_call(f);
	accept_and_join(f, call, B1);
	reg(f, E1, "\"e\"");
	char *add = with_id("{\"callId\":\"%s\",\"participantIds\":[\"e\",\"c\",\"a\"]}", call->id);
	/* A ringing invitee can't invite. */
	assert_error(request(f, "add", C1, add, NULL), "Accept the call first (accept-call), then invite others");
	clear(f);
	f->now += 10 * S;
	json_t *ack = request(f, "add", B1, add, NULL);
	json_t *added = json_object_get(ack, "addedParticipants");
	g_assert_cmpuint(json_array_size(added), ==, 1);     /* c rings already, a is in */
	g_assert_cmpstr(json_string_value(json_array_get(added, 0)), ==, "e");
	json_decref(ack);
	g_assert_nonnull(find(f, OICALL_EFFECT_EVENT, "incoming-call", E1));
	oicall_effect *invited = find(f, OICALL_EFFECT_EVENT, "participant-invited", A1);
	g_assert_cmpstr(payload_str(invited, "byUserId"), ==, "b");
	g_assert_cmpuint(events_to(f, "participant-invited", B1), ==, 0);   /* the inviter has its ack */
	/* e rings on its own timer: c and d ring out first, e after. */
	clear(f);
	oicall_engine_tick(f->engine, f->now - 10 * S + RING, f->fx);
	g_assert_cmpuint(count(f, OICALL_EFFECT_EVENT, "call-expired"), ==, 2);
	g_assert_cmpint(call->peers[oicall_call_side_of(call, "e")].state, ==, OICALL_PEER_RINGING);
	g_assert_cmpint(oicall_engine_next_deadline(f->engine), ==, f->now + RING);
	g_free(add);

	/* Bad input, nothing changed. */
	const char *bad[][2] = {
		{ "{\"callId\":\"%s\"}", "Missing participantIds" },
		{ "{\"callId\":\"%s\",\"participantIds\":\"e\"}", "participantIds must be a non-empty array of user ids" },
		{ "{\"callId\":\"%s\",\"participantIds\":[]}", "participantIds must be a non-empty array of user ids" },
		{ "{\"callId\":\"%s\",\"participantIds\":[true]}", "participantIds[0] must be a string or a number" },
		{ "{\"callId\":\"%s\",\"participantIds\":[\"f\",\"g\",\"h\",\"i\",\"j\",\"k\",\"l\",\"m\",\"n\"]}",
			"A call has at most 11 participants" },
	};
	clear(f);
	for(gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
		char *body = with_id(bad[i][0], call->id);
		assert_error(request(f, "add", A1, body, NULL), bad[i][1]);
		g_free(body);
	}
	assert_error(request(f, "add", A1, "{\"callId\":\"nope\",\"participantIds\":[\"f\"]}", NULL), "Unknown call");
	g_assert_cmpuint(f->fx->len, ==, 0);
	/* Someone else's call. */
	reg(f, X, "\"x\"");
	char *body = with_id("{\"callId\":\"%s\",\"participantIds\":[\"f\"]}", call->id);
	assert_error(request(f, "add", X, body, NULL), "Not your call");
	g_free(body);
}

/* A 1:1 call becomes a group with add-participants; a peer that left may be invited again. */
static void test_grow_and_reinvite(fixture *f, gconstpointer data) {
	(void)data;
	reg(f, A1, "\"a\"");
	reg(f, B1, "\"b\"");
	reg(f, C1, "\"c\"");
	oicall_call *call = NULL;
	assert_ok(request(f, "start", A1, "{\"toUserId\":\"b\",\"callType\":\"video\"}", &call));
	g_assert_false(call->group);
	char *body = with_id("{\"callId\":\"%s\"}", call->id);
	assert_ok(request(f, "accept", B1, body, NULL));
	char *add = with_id("{\"callId\":\"%s\",\"participantIds\":[\"c\"]}", call->id);
	assert_ok(request(f, "add", A1, add, NULL));
	g_assert_true(call->group);
	assert_ok(request(f, "accept", C1, body, NULL));
	/* Seed-dialect peers of a group hear the room's events too. */
	clear(f);
	assert_ok(request(f, "end", C1, body, NULL));
	g_assert_cmpuint(events_to(f, "participant-left", A1), ==, 1);
	g_assert_cmpuint(events_to(f, "participant-left", B1), ==, 1);
	g_assert_cmpint(call->state, ==, OICALL_CALL_ACTIVE);
	/* c comes back at the same place. */
	clear(f);
	assert_ok(request(f, "add", B1, add, NULL));
	g_assert_cmpint(call->npeers, ==, 3);
	g_assert_cmpint(call->peers[2].state, ==, OICALL_PEER_RINGING);
	g_assert_nonnull(find(f, OICALL_EFFECT_EVENT, "incoming-call", C1));
	assert_ok(request(f, "accept", C1, body, NULL));
	g_free(add);
	g_free(body);
}

static void test_max_peers(fixture *f, gconstpointer data) {
	(void)data;
	oicall_engine_set_max_peers(f->engine, 3);
	reg(f, A1, "\"a\"");
	assert_error(request(f, "start", A1, "{\"toUserIds\":[\"b\",\"c\",\"d\"],\"callType\":\"video\"}", NULL),
		"A call has at most 3 participants");
	oicall_call *call = NULL;
	assert_ok(request(f, "start", A1, "{\"toUserIds\":[\"b\",\"c\"],\"callType\":\"video\"}", &call));
	char *add = with_id("{\"callId\":\"%s\",\"participantIds\":[\"d\"]}", call->id);
	assert_error(request(f, "add", A1, add, NULL), "A call has at most 3 participants");
	g_free(add);
}

/* One user's invitations ringing at once: counted per inviter, freed by answers. */
static void test_max_rings(fixture *f, gconstpointer data) {
	(void)data;
	oicall_engine_set_max_rings(f->engine, 2);
	reg(f, A1, "\"a\"");
	reg(f, B1, "\"b\"");
	reg(f, C1, "\"c\"");
	reg(f, D1, "\"d\"");
	const char *refused = "At most 2 of your invitations may ring at once: invite more once some have answered";
	assert_error(request(f, "start", A1, "{\"toUserIds\":[\"b\",\"c\",\"d\"],\"callType\":\"video\"}", NULL),
		refused);
	g_assert_null(oicall_engine_call_of_user(f->engine, "b"));  /* nothing rang */
	oicall_call *call = NULL;
	assert_ok(request(f, "start", A1, "{\"toUserIds\":[\"b\",\"c\"],\"callType\":\"video\"}", &call));
	char *add = with_id("{\"callId\":\"%s\",\"participantIds\":[\"d\"]}", call->id);
	assert_error(request(f, "add", A1, add, NULL), refused);
	g_assert_cmpint(call->npeers, ==, 3);
	/* b answers: a has one ringing, and b none of their own. */
	accept_and_join(f, call, B1);
	assert_ok(request(f, "add", A1, add, NULL));
	g_assert_cmpint(call->peers[3].state, ==, OICALL_PEER_RINGING);
	g_free(add);
}

static void test_reactions(fixture *f, gconstpointer data) {
	(void)data;
	oicall_call *call = group_call(f);
	accept_and_join(f, call, B1);
	char *body = with_id("{\"callId\":\"%s\",\"emoji\":\"\\ud83d\\udc4d\"}", call->id);
	clear(f);
	assert_ok(request(f, "react", B1, body, NULL));
	/* Every joined peer, the sender too; not those ringing. */
	g_assert_cmpuint(count(f, OICALL_EFFECT_EVENT, "call-reaction"), ==, 2);
	oicall_effect *r = find(f, OICALL_EFFECT_EVENT, "call-reaction", A1);
	g_assert_cmpstr(payload_str(r, "userId"), ==, "b");
	g_assert_cmpstr(payload_str(r, "emoji"), ==, "\xf0\x9f\x91\x8d");
	g_assert_cmpint(json_integer_value(json_object_get(r->payload, "ts")), ==, 1234);
	assert_error(request(f, "react", C1, body, NULL), "Join the call first");
	g_free(body);
	const char *bad[] = { "{\"callId\":\"%s\"}", "{\"callId\":\"%s\",\"emoji\":\"\"}", "{\"callId\":\"%s\",\"emoji\":7}",
		"{\"callId\":\"%s\",\"emoji\":\"\\ud83d\\udc4d\\ud83d\\udc4d\\ud83d\\udc4d\\ud83d\\udc4d\\ud83d\\udc4d\\ud83d\\udc4d\\ud83d\\udc4d\\ud83d\\udc4d\\ud83d\\udc4d\"}" };
	const char *errors[] = { "Missing emoji", "emoji must be a string of 1 to 16 characters",
		"emoji must be a string of 1 to 16 characters", "emoji must be a string of 1 to 16 characters" };
	clear(f);
	for(gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
		body = with_id(bad[i], call->id);
		assert_error(request(f, "react", A1, body, NULL), errors[i]);
		g_free(body);
	}
	/* 16 units exactly (eight surrogate pairs) is fine. */
	body = with_id("{\"callId\":\"%s\",\"emoji\":\"\\ud83d\\udc4d\\ud83d\\udc4d\\ud83d\\udc4d\\ud83d\\udc4d\\ud83d\\udc4d\\ud83d\\udc4d\\ud83d\\udc4d\\ud83d\\udc4d\"}", call->id);
	assert_ok(request(f, "react", A1, body, NULL));
	g_free(body);
}

static void test_mute(fixture *f, gconstpointer data) {
	(void)data;
	oicall_call *call = group_call(f);
	accept_and_join(f, call, B1);
	accept_and_join(f, call, C1);
	char *body = with_id("{\"callId\":\"%s\",\"muted\":true}", call->id);
	clear(f);
	assert_ok(request(f, "mute-video", C1, body, NULL));
	g_assert_cmpuint(events_to(f, "remote-user-video-muted", A1), ==, 1);
	g_assert_cmpuint(events_to(f, "remote-user-video-muted", B1), ==, 1);
	g_assert_cmpuint(events_to(f, "remote-user-video-muted", C1), ==, 0);
	g_assert_true(call->peers[2].muted[1]);
	g_assert_cmpint(find(f, OICALL_EFFECT_MUTE, NULL, 0)->side, ==, 2);
	g_free(body);
}

/* A peer whose socket drops keeps its place for the grace; past it, it is out and the rest go on. */
static void test_grace(fixture *f, gconstpointer data) {
	(void)data;
	oicall_call *call = group_call(f);
	accept_and_join(f, call, B1);
	accept_and_join(f, call, C1);
	clear(f);
	guint linger = oicall_engine_disconnect(f->engine, C1, f->fx, f->now);
	g_assert_cmpuint(linger, >, 0);
	g_assert_cmpint(call->peers[2].grace_deadline, ==, f->now + GRACE);
	/* Inside the grace: back, nothing happened. */
	reg(f, C1 + 1, "\"c\"");
	g_assert_cmpint(call->peers[2].grace_deadline, ==, 0);
	oicall_engine_disconnect(f->engine, C1 + 1, f->fx, f->now);
	clear(f);
	oicall_engine_tick(f->engine, f->now + GRACE, f->fx);
	g_assert_cmpint(call->peers[2].state, ==, OICALL_PEER_OUT);
	oicall_effect *left = find(f, OICALL_EFFECT_EVENT, "participant-left", A1);
	g_assert_cmpstr(payload_str(left, "reason"), ==, "disconnected");
	oicall_effect *out = find(f, OICALL_EFFECT_PEER_OUT, NULL, 0);
	g_assert_cmpint(out->side, ==, 2);
	g_assert_cmpuint(out->session, ==, C1);
	g_assert_true((out->release >> 2) & 1);   /* its handle serves nobody now */
	g_assert_cmpint(call->state, ==, OICALL_CALL_ACTIVE);
	/* An invitee that drops while ringing keeps ringing (its next socket is offered the call). */
	clear(f);
	oicall_engine_disconnect(f->engine, D1, f->fx, f->now);
	g_assert_cmpint(call->peers[3].state, ==, OICALL_PEER_RINGING);
	reg(f, D1 + 1, "\"d\"");
	g_assert_nonnull(find(f, OICALL_EFFECT_EVENT, "incoming-call", D1 + 1));
}

static void test_media_timeout(fixture *f, gconstpointer data) {
	(void)data;
	oicall_engine_set_media_timeout(f->engine, 20 * S);
	oicall_call *call = group_call(f);
	accept_and_join(f, call, B1);
	accept_and_join(f, call, C1);
	for(int side = 0; side < 2; side++)
		call->peers[side].media_seen = f->now + 30 * S;
	clear(f);
	oicall_engine_tick(f->engine, f->now + 21 * S, f->fx);
	/* Only the silent one goes. */
	g_assert_cmpint(call->peers[2].state, ==, OICALL_PEER_OUT);
	g_assert_cmpstr(payload_str(find(f, OICALL_EFFECT_EVENT, "call-ended", C1), "reason"), ==, "media-timeout");
	g_assert_cmpint(call->state, ==, OICALL_CALL_ACTIVE);
}

static void test_group_memory(fixture *f, gconstpointer data) {
	(void)data;
	/* Group cycles with every kind of exit leave nothing behind (valgrind checks the rest). */
	oicall_call *call = group_call(f);
	char *body = with_id("{\"callId\":\"%s\"}", call->id);
	assert_ok(request(f, "leave", A1, body, NULL));
	g_free(body);
	reg(f, E1, "\"e\"");
	for(int i = 0; i < 1000; i++) {
		call = NULL;
		assert_ok(request(f, "start", A1, "{\"toUserIds\":[\"b\",\"c\",\"d\"],\"callType\":\"video\"}", &call));
		body = with_id("{\"callId\":\"%s\"}", call->id);
		char *add = with_id("{\"callId\":\"%s\",\"participantIds\":[\"e\"]}", call->id);
		accept_and_join(f, call, B1);
		assert_ok(request(f, "leave", C1, body, NULL));
		assert_ok(request(f, "add", B1, add, NULL));
		char *react = with_id("{\"callId\":\"%s\",\"emoji\":\"y\"}", call->id);
		assert_ok(request(f, "react", B1, react, NULL));
		accept_and_join(f, call, D1);
		assert_ok(request(f, "leave", B1, body, NULL));
		assert_ok(request(f, "end", A1, body, NULL));
		/* d is left with e ringing: e declines, the call is over. */
		assert_ok(request(f, "leave", E1, body, NULL));
		g_assert_null(oicall_engine_calls(f->engine));
		g_free(react);
		g_free(add);
		g_free(body);
		clear(f);
	}
	g_assert_null(oicall_engine_calls(f->engine));
}

int main(int argc, char **argv) {
	g_test_init(&argc, &argv, NULL);
#define ADD(name, fn) g_test_add("/group/" name, fixture, NULL, setup, fn, teardown)
	ADD("start", test_start);
	ADD("busy-invitees", test_busy_invitees);
	ADD("answers", test_answers);
	ADD("caller-cancels", test_caller_cancels);
	ADD("caller-leaves-active", test_caller_leaves_active);
	ADD("add-participants", test_add_participants);
	ADD("grow-and-reinvite", test_grow_and_reinvite);
	ADD("max-peers", test_max_peers);
	ADD("max-rings", test_max_rings);
	ADD("reactions", test_reactions);
	ADD("mute", test_mute);
	ADD("grace", test_grace);
	ADD("media-timeout", test_media_timeout);
	ADD("memory", test_group_memory);
	return g_test_run();
}
