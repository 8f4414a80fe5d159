/* Users and the 1:1 call state machine: every transition, timer and error. */
#include "engine_fixture.h"

/* a calls b (both online); returns the call id (owned by the engine). */
static const char *ringing_call(fixture *f) {
	reg(f, A1, "\"a\"");
	reg(f, B1, "\"b\"");
	oicall_call *call = NULL;
	json_t *ack = request(f, "start", A1, "{\"toUserId\":\"b\",\"callType\":\"video\"}", &call);
	g_assert_nonnull(call);
	g_assert_cmpstr(json_string_value(json_object_get(ack, "callId")), ==, call->id);
	json_decref(ack);
	return call->id;
}

static const char *active_call(fixture *f) {
	const char *id = ringing_call(f);
	char *body = g_strdup_printf("{\"callId\":\"%s\",\"fromUserId\":\"a\"}", id);
	assert_ok(request(f, "accept", B1, body, NULL));
	g_free(body);
	clear(f);
	return id;
}

/* ---- users ----------------------------------------------------------- */

static void test_user_ids(void) {
	const char *error = NULL;
	json_t *v = parse("42");
	char *id = oicall_user_id_from_json(v, &error);
	g_assert_cmpstr(id, ==, "42");
	g_free(id);
	json_decref(v);
	v = parse("42.0");
	id = oicall_user_id_from_json(v, &error);
	g_assert_cmpstr(id, ==, "42");
	g_free(id);
	json_decref(v);
	const char *bad[] = { "42.5", "\"\"", "null", "{}", "[1]", "true" };
	for(gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
		v = parse(bad[i]);
		error = NULL;
		g_assert_null(oicall_user_id_from_json(v, &error));
		g_assert_nonnull(error);
		json_decref(v);
	}
	char *x = g_strnfill(129, 'x');
	char *long_id = g_strdup_printf("\"%s\"", x);
	v = parse(long_id);
	g_assert_null(oicall_user_id_from_json(v, &error));
	json_decref(v);
	g_free(long_id);
	g_free(x);
	g_assert_null(oicall_user_id_from_json(NULL, &error));
	g_assert_cmpstr(error, ==, "is missing");
}

static void test_register(fixture *f, gconstpointer data) {
	(void)data;
	reg(f, A1, "42");
	/* A number and its string are the same user. */
	g_assert_cmpstr(oicall_engine_user(f->engine, A1), ==, "42");
	reg(f, A2, "\"42\"");
	g_assert_null(oicall_engine_user(f->engine, A1));  /* taken over */
	g_assert_cmpstr(oicall_engine_user(f->engine, A2), ==, "42");
	g_assert_cmpuint(oicall_registry_session_of(oicall_engine_registry(f->engine), "42"), ==, A2);
	oicall_effect *n = find(f, OICALL_EFFECT_NOTIFY, "user-registered", 0);
	g_assert_nonnull(n);
	/* Registering the same user again is fine; another user is not. */
	reg(f, A2, "42");
	json_t *other = parse("\"7\"");
	assert_error(oicall_engine_register(f->engine, A2, other, NULL, f->fx, f->now), "Socket already registered as another user");
	json_decref(other);
	json_t *bad = parse("{\"id\":1}");
	assert_error(oicall_engine_register(f->engine, B1, bad, NULL, f->fx, f->now), "userId must be a string or a number");
	json_decref(bad);
	assert_error(oicall_engine_register(f->engine, B1, NULL, NULL, f->fx, f->now), "userId is missing");
	g_assert_cmpuint(oicall_registry_count(oicall_engine_registry(f->engine)), ==, 1);
}

static void test_register_proven_user(fixture *f, gconstpointer data) {
	(void)data;
	json_t *id = parse("42");
	assert_error(oicall_engine_register(f->engine, A1, id, "7", f->fx, f->now), "userId is not the user your token is for");
	g_assert_null(oicall_engine_user(f->engine, A1));
	/* Compared as strings, like every user id. */
	assert_ok(oicall_engine_register(f->engine, A1, id, "42", f->fx, f->now));
	json_decref(id);
}

static void test_not_registered(fixture *f, gconstpointer data) {
	(void)data;
	assert_error(request(f, "start", X, "{\"toUserId\":\"b\",\"callType\":\"audio\"}", NULL), "Socket not registered");
	assert_error(request(f, "accept", X, "{\"callId\":\"c\"}", NULL), "Socket not registered");
	assert_error(request(f, "end", X, "{\"callId\":\"c\"}", NULL), "Socket not registered");
	assert_error(request(f, "mute-audio", X, "{\"callId\":\"c\",\"muted\":true}", NULL), "Socket not registered");
	/* A session taken over by a newer one of its user is not registered any more. */
	reg(f, A1, "\"a\"");
	reg(f, A2, "\"a\"");
	assert_error(request(f, "start", A1, "{\"toUserId\":\"b\",\"callType\":\"audio\"}", NULL), "Socket not registered");
	/* Two user-registered notifications, and the replaced session told so and sent away. */
	g_assert_cmpuint(f->fx->len, ==, 4);
	g_assert_cmpuint(count(f, OICALL_EFFECT_NOTIFY, "user-registered"), ==, 2);
	oicall_effect *replaced = find(f, OICALL_EFFECT_EVENT, "replaced", A1);
	g_assert_nonnull(replaced);
	g_assert_cmpstr(payload_str(replaced, "reason"), ==, "registered-elsewhere");
	g_assert_cmpuint(find(f, OICALL_EFFECT_CLOSE, NULL, 0)->session, ==, A1);
	g_assert_true(g_ptr_array_index(f->fx, 2) == replaced);     /* told before it goes */
}

/* ---- start-call ------------------------------------------------------ */

static void test_start_call_online(fixture *f, gconstpointer data) {
	(void)data;
	const char *id = ringing_call(f);
	oicall_call *call = oicall_engine_call(f->engine, id);
	g_assert_cmpint(call->state, ==, OICALL_CALL_RINGING);
	g_assert_true(call->peers[OICALL_CALLEE].was_online);
	g_assert_cmpuint(call->peers[OICALL_CALLER].media_session, ==, A1);
	g_assert_cmpuint(strlen(id), ==, 36);  /* a UUID */
	oicall_effect *incoming = find(f, OICALL_EFFECT_EVENT, "incoming-call", B1);
	g_assert_nonnull(incoming);
	g_assert_cmpstr(payload_str(incoming, "callId"), ==, id);
	g_assert_cmpstr(payload_str(incoming, "fromUserId"), ==, "a");
	g_assert_cmpstr(payload_str(incoming, "callType"), ==, "video");
	oicall_effect *started = find(f, OICALL_EFFECT_NOTIFY, "call-started", 0);
	g_assert_true(json_is_true(json_object_get(started->payload, "calleeOnline")));
	g_assert_nonnull(find(f, OICALL_EFFECT_NOTIFY, "call-ringing", 0));
	g_assert_true(oicall_engine_call_of_user(f->engine, "a") == call);
	g_assert_true(oicall_engine_call_of_user(f->engine, "b") == call);
	g_assert_cmpint(oicall_engine_next_deadline(f->engine), ==, f->now + RING);
}

static void test_start_call_client_id_and_errors(fixture *f, gconstpointer data) {
	(void)data;
	reg(f, A1, "\"a\"");
	reg(f, C1, "\"c\"");
	assert_error(request(f, "start", A1, "{\"callType\":\"audio\"}", NULL), "Missing toUserId");
	assert_error(request(f, "start", A1, "{\"toUserId\":{},\"callType\":\"audio\"}", NULL), "toUserId must be a string or a number");
	assert_error(request(f, "start", A1, "{\"toUserId\":\"b\"}", NULL), "callType must be \"audio\" or \"video\"");
	assert_error(request(f, "start", A1, "{\"toUserId\":\"b\",\"callType\":\"fax\"}", NULL), "callType must be \"audio\" or \"video\"");
	assert_error(request(f, "start", A1, "{\"toUserId\":\"a\",\"callType\":\"audio\"}", NULL), "Cannot call yourself");
	assert_error(request(f, "start", A1, "{\"toUserId\":\"b\",\"callType\":\"audio\",\"callId\":\"no spaces\"}", NULL),
		"callId must be 1 to 64 letters, digits, '-' or '_'");
	assert_error(request(f, "start", A1, "{\"toUserId\":\"b\",\"callType\":\"audio\",\"callId\":5}", NULL),
		"callId must be 1 to 64 letters, digits, '-' or '_'");
	g_assert_cmpuint(count(f, OICALL_EFFECT_EVENT, NULL), ==, 0);
	oicall_call *call = NULL;
	assert_ok(request(f, "start", A1, "{\"toUserId\":\"b\",\"callType\":\"audio\",\"callId\":\"my-call_1\"}", &call));
	g_assert_cmpstr(call->id, ==, "my-call_1");
	assert_error(request(f, "start", C1, "{\"toUserId\":\"d\",\"callType\":\"audio\",\"callId\":\"my-call_1\"}", NULL),
		"callId already in use");
	assert_error(request(f, "start", A1, "{\"toUserId\":\"c\",\"callType\":\"audio\"}", NULL), "Already in a call");
}

static void test_busy(fixture *f, gconstpointer data) {
	(void)data;
	ringing_call(f);
	reg(f, C1, "\"c\"");
	clear(f);
	json_t *ack = request(f, "start", C1, "{\"toUserId\":\"b\",\"callType\":\"video\"}", NULL);
	g_assert_cmpstr(json_string_value(json_object_get(ack, "error")), ==, "busy");
	const char *busy_id = json_string_value(json_object_get(ack, "callId"));
	g_assert_nonnull(busy_id);
	oicall_effect *ended = find(f, OICALL_EFFECT_EVENT, "call-ended", C1);
	g_assert_nonnull(ended);
	g_assert_cmpstr(payload_str(ended, "reason"), ==, "busy");
	g_assert_cmpstr(payload_str(ended, "callId"), ==, busy_id);
	g_assert_null(find(f, OICALL_EFFECT_EVENT, "incoming-call", 0));
	g_assert_null(oicall_engine_call(f->engine, busy_id));
	g_assert_null(oicall_engine_call_of_user(f->engine, "c"));
	json_decref(ack);
	/* c is free to call someone else. */
	assert_ok(request(f, "start", C1, "{\"toUserId\":\"d\",\"callType\":\"video\"}", NULL));
}

static void test_callee_offline_then_registers(fixture *f, gconstpointer data) {
	(void)data;
	reg(f, A1, "\"a\"");
	oicall_call *call = NULL;
	assert_ok(request(f, "start", A1, "{\"toUserId\":77,\"callType\":\"audio\"}", &call));
	g_assert_false(call->peers[OICALL_CALLEE].was_online);
	g_assert_null(find(f, OICALL_EFFECT_EVENT, "incoming-call", 0));
	g_assert_null(find(f, OICALL_EFFECT_NOTIFY, "call-ringing", 0));
	clear(f);
	reg(f, B1, "\"77\"");
	oicall_effect *incoming = find(f, OICALL_EFFECT_EVENT, "incoming-call", B1);
	g_assert_nonnull(incoming);
	g_assert_true(incoming->call == call);
	g_assert_nonnull(find(f, OICALL_EFFECT_NOTIFY, "call-ringing", 0));
	/* Once per session. */
	clear(f);
	reg(f, B1, "\"77\"");
	g_assert_null(find(f, OICALL_EFFECT_EVENT, "incoming-call", 0));
	/* A new session of the callee gets it too, without a second ringing notification. */
	reg(f, B2, "77");
	g_assert_nonnull(find(f, OICALL_EFFECT_EVENT, "incoming-call", B2));
	g_assert_null(find(f, OICALL_EFFECT_NOTIFY, "call-ringing", 0));
}

/* ---- accept / end ---------------------------------------------------- */

static void test_accept(fixture *f, gconstpointer data) {
	(void)data;
	const char *id = ringing_call(f);
	clear(f);
	char *body = with_id("{\"callId\":\"%s\"}", id);
	assert_error(request(f, "accept", A1, body, NULL), "Only the callee can accept a call");
	char *wrong_from = with_id("{\"callId\":\"%s\",\"fromUserId\":\"zzz\"}", id);
	assert_error(request(f, "accept", B1, wrong_from, NULL), "fromUserId is not the caller of this call");
	oicall_call *call = NULL;
	assert_ok(request(f, "accept", B1, body, &call));
	g_assert_cmpint(call->state, ==, OICALL_CALL_ACTIVE);
	g_assert_cmpuint(call->peers[OICALL_CALLEE].media_session, ==, B1);
	oicall_effect *accepted = find(f, OICALL_EFFECT_EVENT, "call-accepted", A1);
	g_assert_nonnull(accepted);
	g_assert_cmpstr(payload_str(accepted, "calleeUserId"), ==, "b");
	g_assert_nonnull(find(f, OICALL_EFFECT_NOTIFY, "call-accepted", 0));
	/* The same accept again succeeds and changes nothing; another session of b's can't. */
	clear(f);
	assert_ok(request(f, "accept", B1, body, NULL));
	g_assert_cmpuint(f->fx->len, ==, 0);
	reg(f, B2, "\"b\"");
	assert_error(request(f, "accept", B2, body, NULL), "Call already accepted");
	/* No more ring timeout. */
	g_assert_cmpint(oicall_engine_next_deadline(f->engine), ==, G_MAXINT64);
	g_free(body);
	g_free(wrong_from);
}

static void test_call_errors(fixture *f, gconstpointer data) {
	(void)data;
	const char *id = ringing_call(f);
	reg(f, C1, "\"c\"");
	assert_error(request(f, "accept", B1, "{}", NULL), "Missing callId");
	assert_error(request(f, "accept", B1, "{\"callId\":1}", NULL), "callId must be a string");
	assert_error(request(f, "accept", B1, "{\"callId\":\"nope\"}", NULL), "Unknown call");
	char *body = with_id("{\"callId\":\"%s\"}", id);
	assert_error(request(f, "accept", C1, body, NULL), "Not your call");
	assert_error(request(f, "end", C1, body, NULL), "Not your call");
	char *mute = with_id("{\"callId\":\"%s\",\"muted\":true}", id);
	assert_error(request(f, "mute-audio", C1, mute, NULL), "Not your call");
	/* Someone else's requests changed nothing. */
	g_assert_cmpint(oicall_engine_call(f->engine, id)->state, ==, OICALL_CALL_RINGING);
	g_free(body);
	g_free(mute);
}

static void test_reject(fixture *f, gconstpointer data) {
	(void)data;
	const char *id = ringing_call(f);
	oicall_call *call = oicall_call_ref(oicall_engine_call(f->engine, id));
	clear(f);
	char *body = with_id("{\"callId\":\"%s\"}", id);
	assert_ok(request(f, "end", B1, body, NULL));
	g_assert_cmpstr(payload_str(find(f, OICALL_EFFECT_EVENT, "call-ended", A1), "reason"), ==, "rejected");
	g_assert_cmpstr(payload_str(find(f, OICALL_EFFECT_EVENT, "call-ended", B1), "reason"), ==, "rejected");
	oicall_effect *ended = find(f, OICALL_EFFECT_ENDED, NULL, 0);
	g_assert_true(ended->call == call);
	g_assert_cmpuint(ended->release, ==, 0);
	g_assert_cmpint(call->state, ==, OICALL_CALL_ENDED);
	g_assert_null(oicall_engine_call(f->engine, id));
	g_assert_null(oicall_engine_call_of_user(f->engine, "a"));
	assert_error(request(f, "accept", B1, body, NULL), "Call already ended");
	oicall_call_unref(call);
	g_free(body);
}

static void test_call_limits(fixture *f, gconstpointer data) {
	(void)data;
	oicall_engine_set_call_limits(f->engine, 0, 2, 600 * G_USEC_PER_SEC);
	/* Declined twice: a may not ring b again for a while; others may. */
	for(int i = 0; i < 2; i++) {
		const char *id = ringing_call(f);
		char *body = with_id("{\"callId\":\"%s\"}", id);
		assert_ok(request(f, "end", B1, body, NULL));
		g_free(body);
		f->now += G_USEC_PER_SEC;
	}
	clear(f);
	assert_error(request(f, "start", A1, "{\"toUserId\":\"b\",\"callType\":\"video\"}", NULL),
		"They did not answer your last calls: try again later");
	g_assert_null(oicall_engine_call_of_user(f->engine, "b"));
	g_assert_cmpuint(count(f, OICALL_EFFECT_EVENT, "incoming-call"), ==, 0);
	reg(f, C1, "\"c\"");
	assert_ok(request(f, "start", C1, "{\"toUserId\":\"b\",\"callType\":\"video\"}", NULL));
	/* Starts a minute. */
	oicall_engine_set_call_limits(f->engine, 1, 0, 0);
	reg(f, D1, "\"d\"");
	assert_ok(request(f, "start", D1, "{\"toUserId\":\"e\",\"callType\":\"video\"}", NULL));
	oicall_call *call = oicall_engine_call_of_user(f->engine, "d");
	char *body = with_id("{\"callId\":\"%s\"}", call->id);
	assert_ok(request(f, "end", D1, body, NULL));
	g_free(body);
	assert_error(request(f, "start", D1, "{\"toUserId\":\"e\",\"callType\":\"audio\"}", NULL),
		"Too many calls: wait a moment");
	f->now += 60 * G_USEC_PER_SEC;
	assert_ok(request(f, "start", D1, "{\"toUserId\":\"e\",\"callType\":\"audio\"}", NULL));
}

static void test_hangup(fixture *f, gconstpointer data) {
	(void)data;
	/* The caller cancels a ringing call: hangup. */
	const char *id = ringing_call(f);
	char *body = with_id("{\"callId\":\"%s\"}", id);
	clear(f);
	assert_ok(request(f, "end", A1, body, NULL));
	g_assert_cmpstr(payload_str(find(f, OICALL_EFFECT_EVENT, "call-ended", B1), "reason"), ==, "hangup");
	g_free(body);
	/* Either side ends an active call: hangup for both, with a duration. */
	id = active_call(f);
	body = with_id("{\"callId\":\"%s\"}", id);
	f->now += 42 * S;
	assert_ok(request(f, "end", B1, body, NULL));
	g_assert_cmpstr(payload_str(find(f, OICALL_EFFECT_EVENT, "call-ended", A1), "reason"), ==, "hangup");
	g_assert_cmpstr(payload_str(find(f, OICALL_EFFECT_EVENT, "call-ended", B1), "reason"), ==, "hangup");
	oicall_effect *n = find(f, OICALL_EFFECT_NOTIFY, "call-ended", 0);
	g_assert_cmpint(json_integer_value(json_object_get(n->payload, "duration")), ==, 42000);
	g_assert_cmpstr(payload_str(n, "endedBy"), ==, "b");
	g_free(body);
}

static void test_mute(fixture *f, gconstpointer data) {
	(void)data;
	const char *id = active_call(f);
	char *on = with_id("{\"callId\":\"%s\",\"muted\":true}", id);
	char *off = with_id("{\"callId\":\"%s\",\"muted\":false}", id);
	char *bad = with_id("{\"callId\":\"%s\",\"muted\":\"yes\"}", id);
	assert_error(request(f, "mute-audio", A1, bad, NULL), "muted must be true or false");
	assert_ok(request(f, "mute-audio", A1, on, NULL));
	oicall_effect *m = find(f, OICALL_EFFECT_MUTE, NULL, 0);
	g_assert_cmpint(m->side, ==, OICALL_CALLER);
	g_assert_false(m->video);
	g_assert_true(m->muted);
	oicall_effect *e = find(f, OICALL_EFFECT_EVENT, "remote-user-muted", B1);
	g_assert_cmpstr(payload_str(e, "userId"), ==, "a");
	g_assert_cmpstr(payload_str(e, "callId"), ==, id);
	assert_ok(request(f, "mute-audio", A1, off, NULL));
	g_assert_nonnull(find(f, OICALL_EFFECT_EVENT, "remote-user-unmuted", B1));
	assert_ok(request(f, "mute-video", B1, on, NULL));
	g_assert_nonnull(find(f, OICALL_EFFECT_EVENT, "remote-user-video-muted", A1));
	assert_ok(request(f, "mute-video", B1, off, NULL));
	g_assert_nonnull(find(f, OICALL_EFFECT_EVENT, "remote-user-video-unmuted", A1));
	oicall_call *call = oicall_engine_call(f->engine, id);
	g_assert_false(call->peers[0].muted[0] || call->peers[1].muted[1]);
	g_free(on);
	g_free(off);
	g_free(bad);
}

/* ---- timers ---------------------------------------------------------- */

static void test_ring_timeout(fixture *f, gconstpointer data) {
	(void)data;
	const char *id = ringing_call(f);
	char *saved = g_strdup(id);
	clear(f);
	oicall_engine_tick(f->engine, f->now + RING - 1, f->fx);
	g_assert_cmpuint(f->fx->len, ==, 0);
	oicall_engine_tick(f->engine, f->now + RING, f->fx);
	oicall_effect *expired = find(f, OICALL_EFFECT_EVENT, "call-expired", B1);
	g_assert_cmpstr(payload_str(expired, "reason"), ==, "timeout");
	g_assert_cmpstr(payload_str(expired, "callId"), ==, saved);
	g_assert_cmpstr(payload_str(find(f, OICALL_EFFECT_EVENT, "call-ended", A1), "reason"), ==, "timeout");
	g_assert_null(find(f, OICALL_EFFECT_EVENT, "call-ended", B1));
	g_assert_nonnull(find(f, OICALL_EFFECT_NOTIFY, "call-expired", 0));
	g_assert_nonnull(find(f, OICALL_EFFECT_ENDED, NULL, 0));
	g_assert_null(oicall_engine_call(f->engine, saved));
	g_assert_cmpint(oicall_engine_next_deadline(f->engine), ==, G_MAXINT64);
	g_free(saved);
}

/* ---- reconnect grace ------------------------------------------------- */

static void test_grace_reconnect(fixture *f, gconstpointer data) {
	(void)data;
	const char *id = active_call(f);
	oicall_call *call = oicall_engine_call(f->engine, id);
	/* b's socket drops: its handle must linger, nobody is told yet. */
	guint linger = oicall_engine_disconnect(f->engine, B1, f->fx, f->now);
	g_assert_cmpuint(linger, ==, 15 + OICALL_LINGER_MARGIN_S);
	g_assert_null(find(f, OICALL_EFFECT_EVENT, NULL, 0));
	g_assert_nonnull(find(f, OICALL_EFFECT_NOTIFY, "user-gone", 0));
	g_assert_cmpint(call->peers[OICALL_CALLEE].grace_deadline, ==, f->now + GRACE);
	g_assert_cmpint(oicall_engine_next_deadline(f->engine), ==, f->now + GRACE);
	/* Back before the grace is over, on a new session: the call goes on. */
	f->now += GRACE - 1;
	reg(f, B2, "\"b\"");
	g_assert_cmpint(call->peers[OICALL_CALLEE].grace_deadline, ==, 0);
	g_assert_cmpuint(call->peers[OICALL_CALLEE].media_session, ==, B1);  /* media never moved */
	oicall_engine_tick(f->engine, f->now + GRACE, f->fx);
	g_assert_cmpint(call->state, ==, OICALL_CALL_ACTIVE);
	/* Events now go to the new session; the end releases the lingering one. */
	clear(f);
	char *body = with_id("{\"callId\":\"%s\"}", id);
	assert_ok(request(f, "end", A1, body, NULL));
	g_assert_nonnull(find(f, OICALL_EFFECT_EVENT, "call-ended", B2));
	oicall_effect *ended = find(f, OICALL_EFFECT_ENDED, NULL, 0);
	g_assert_false((ended->release >> OICALL_CALLER) & 1);
	g_assert_true((ended->release >> OICALL_CALLEE) & 1);
	g_free(body);
}

static void test_takeover_then_old_session_leaves(fixture *f, gconstpointer data) {
	(void)data;
	const char *id = active_call(f);
	oicall_call *call = oicall_engine_call(f->engine, id);
	/* b registers on a new session while the old one, carrying the media, is still up
	 * (a network switch: the server notices the old socket only later). */
	reg(f, B2, "\"b\"");
	clear(f);
	/* The old socket goes: b is online, so no grace; its handle stays while the call lasts. */
	g_assert_cmpuint(oicall_engine_disconnect(f->engine, B1, f->fx, f->now), ==, OICALL_LINGER_UNTIL_CALL_ENDS);
	g_assert_cmpint(call->peers[OICALL_CALLEE].grace_deadline, ==, 0);
	g_assert_null(find(f, OICALL_EFFECT_NOTIFY, "user-gone", 0));
	oicall_engine_tick(f->engine, f->now + 10 * GRACE, f->fx);
	g_assert_cmpint(call->state, ==, OICALL_CALL_ACTIVE);
	g_assert_null(find(f, OICALL_EFFECT_EVENT, "call-ended", 0));
	/* The end still releases the old handle. */
	char *body = with_id("{\"callId\":\"%s\"}", id);
	assert_ok(request(f, "end", A1, body, NULL));
	g_assert_nonnull(find(f, OICALL_EFFECT_EVENT, "call-ended", B2));
	g_assert_true((find(f, OICALL_EFFECT_ENDED, NULL, 0)->release >> OICALL_CALLEE) & 1);
	g_free(body);
}

static void test_grace_expiry(fixture *f, gconstpointer data) {
	(void)data;
	const char *id = active_call(f);
	char *saved = g_strdup(id);
	g_assert_cmpuint(oicall_engine_disconnect(f->engine, A1, f->fx, f->now), >, 0);
	clear(f);
	oicall_engine_tick(f->engine, f->now + GRACE - 1, f->fx);
	g_assert_cmpuint(f->fx->len, ==, 0);
	oicall_engine_tick(f->engine, f->now + GRACE, f->fx);
	oicall_effect *ended = find(f, OICALL_EFFECT_EVENT, "call-ended", B1);
	g_assert_cmpstr(payload_str(ended, "reason"), ==, "peer-disconnected");
	g_assert_cmpuint(count(f, OICALL_EFFECT_EVENT, "call-ended"), ==, 1);  /* a is offline */
	oicall_effect *over = find(f, OICALL_EFFECT_ENDED, NULL, 0);
	g_assert_true((over->release >> OICALL_CALLER) & 1);
	g_assert_null(oicall_engine_call(f->engine, saved));
	g_free(saved);
}

static void test_destroyed_media_ends_at_once(fixture *f, gconstpointer data) {
	(void)data;
	active_call(f);
	oicall_engine_session_destroyed(f->engine, B1, f->fx, f->now);
	g_assert_cmpstr(payload_str(find(f, OICALL_EFFECT_EVENT, "call-ended", A1), "reason"), ==, "peer-disconnected");
	g_assert_null(oicall_engine_call_of_user(f->engine, "a"));
	/* A lingering handle that finally goes, after its user came back, ends the call too. */
	clear(f);
	reg(f, B1, "\"b\"");
	const char *id = NULL;
	oicall_call *call = NULL;
	assert_ok(request(f, "start", A1, "{\"toUserId\":\"b\",\"callType\":\"audio\"}", &call));
	id = call->id;
	char *body = with_id("{\"callId\":\"%s\"}", id);
	assert_ok(request(f, "accept", B1, body, NULL));
	oicall_engine_disconnect(f->engine, B1, f->fx, f->now);
	reg(f, B2, "\"b\"");
	clear(f);
	oicall_engine_session_destroyed(f->engine, B1, f->fx, f->now);
	g_assert_cmpstr(payload_str(find(f, OICALL_EFFECT_EVENT, "call-ended", A1), "reason"), ==, "peer-disconnected");
	g_assert_cmpstr(payload_str(find(f, OICALL_EFFECT_EVENT, "call-ended", B2), "reason"), ==, "error");
	g_free(body);
}

/* A side's PeerConnection hangs up mid-call (its socket stays): no grace;
 * the other side hears peer-disconnected, its own socket error. A ringing
 * call is not ended by it (the PeerConnection is only being set up). */
static void test_media_failed(fixture *f, gconstpointer data) {
	(void)data;
	const char *id = ringing_call(f);
	oicall_call *call = oicall_engine_call(f->engine, id);
	clear(f);
	oicall_engine_media_failed(f->engine, call, OICALL_CALLEE, f->fx, f->now);
	g_assert_cmpuint(f->fx->len, ==, 0);
	g_assert_true(oicall_engine_call_of_user(f->engine, "a") == call);
	char *body = with_id("{\"callId\":\"%s\"}", id);
	assert_ok(request(f, "accept", B1, body, NULL));
	g_free(body);
	clear(f);
	oicall_engine_media_failed(f->engine, call, OICALL_CALLER, f->fx, f->now);
	oicall_effect *to_b = find(f, OICALL_EFFECT_EVENT, "call-ended", B1), *to_a = find(f, OICALL_EFFECT_EVENT, "call-ended", A1);
	g_assert_nonnull(to_b);
	g_assert_nonnull(to_a);
	g_assert_cmpstr(payload_str(to_b, "reason"), ==, "peer-disconnected");
	g_assert_cmpstr(payload_str(to_a, "reason"), ==, "error");
	g_assert_cmpstr(payload_str(to_a, "callId"), ==, id);
	g_assert_cmpuint(count(f, OICALL_EFFECT_ENDED, NULL), ==, 1);
	g_assert_null(oicall_engine_call_of_user(f->engine, "a"));
	g_assert_null(oicall_engine_call_of_user(f->engine, "b"));
	/* Both are free at once: no grace was started. */
	clear(f);
	assert_ok(request(f, "start", B1, "{\"toUserId\":\"a\",\"callType\":\"audio\"}", NULL));
}

static void test_ringing_caller_leaves(fixture *f, gconstpointer data) {
	(void)data;
	ringing_call(f);
	clear(f);
	g_assert_cmpuint(oicall_engine_disconnect(f->engine, A1, f->fx, f->now), ==, 0);
	g_assert_cmpstr(payload_str(find(f, OICALL_EFFECT_EVENT, "call-ended", B1), "reason"), ==, "peer-disconnected");
	g_assert_null(oicall_engine_call_of_user(f->engine, "b"));
}

static void test_ringing_callee_leaves_and_returns(fixture *f, gconstpointer data) {
	(void)data;
	const char *id = ringing_call(f);
	oicall_call *call = oicall_engine_call(f->engine, id);
	clear(f);
	g_assert_cmpuint(oicall_engine_disconnect(f->engine, B1, f->fx, f->now), ==, 0);
	g_assert_null(find(f, OICALL_EFFECT_EVENT, NULL, 0));
	g_assert_cmpint(call->state, ==, OICALL_CALL_RINGING);
	oicall_engine_session_destroyed(f->engine, B1, f->fx, f->now);
	g_assert_cmpint(call->state, ==, OICALL_CALL_RINGING);
	/* The same session id coming back later is a new session: it gets the offer. */
	reg(f, B1, "\"b\"");
	g_assert_nonnull(find(f, OICALL_EFFECT_EVENT, "incoming-call", B1));
	/* The ring timeout still holds. */
	clear(f);
	oicall_engine_tick(f->engine, f->now + RING, f->fx);
	g_assert_nonnull(find(f, OICALL_EFFECT_EVENT, "call-expired", B1));
}

static void test_zero_grace(void) {
	fixture f;
	f.engine = oicall_engine_new(RING, 0);
	f.fx = oicall_effects_new();
	f.now = 1000 * S;
	active_call(&f);
	g_assert_cmpuint(oicall_engine_disconnect(f.engine, A1, f.fx, f.now), ==, 0);
	g_assert_cmpstr(payload_str(find(&f, OICALL_EFFECT_EVENT, "call-ended", B1), "reason"), ==, "peer-disconnected");
	teardown(&f, NULL);
}

static void test_force_end(fixture *f, gconstpointer data) {
	(void)data;
	const char *id = active_call(f);
	char *saved = g_strdup(id);
	g_assert_false(oicall_engine_force_end(f->engine, "nope", "admin", f->fx, f->now));
	g_assert_true(oicall_engine_force_end(f->engine, saved, "admin", f->fx, f->now));
	g_assert_cmpstr(payload_str(find(f, OICALL_EFFECT_EVENT, "call-ended", A1), "reason"), ==, "admin");
	g_assert_cmpstr(payload_str(find(f, OICALL_EFFECT_EVENT, "call-ended", B1), "reason"), ==, "admin");
	g_assert_null(oicall_engine_call(f->engine, saved));
	g_free(saved);
}

static void test_many_calls_memory(fixture *f, gconstpointer data) {
	(void)data;
	/* Start/end cycles leave nothing behind (valgrind checks the rest). */
	reg(f, A1, "\"a\"");
	reg(f, B1, "\"b\"");
	for(int i = 0; i < 1000; i++) {
		oicall_call *call = NULL;
		assert_ok(request(f, "start", A1, "{\"toUserId\":\"b\",\"callType\":\"video\"}", &call));
		char *body = with_id("{\"callId\":\"%s\"}", call->id);
		assert_ok(request(f, "accept", B1, body, NULL));
		assert_ok(request(f, "end", A1, body, NULL));
		g_free(body);
		clear(f);
	}
	GList *calls = oicall_engine_calls(f->engine);
	g_assert_null(calls);
}


/* ---- repeated and conflicting requests -------------------------------- */

static void test_repeated_start(fixture *f, gconstpointer data) {
	(void)data;
	const char *id = ringing_call(f);
	oicall_call *call = oicall_engine_call(f->engine, id);
	clear(f);
	/* The same start-call again (a double click, a retry): the same call, nothing happens. */
	oicall_call *again = NULL;
	json_t *ack = request(f, "start", A1, "{\"toUserId\":\"b\",\"callType\":\"video\"}", &again);
	g_assert_cmpstr(json_string_value(json_object_get(ack, "callId")), ==, id);
	g_assert_null(json_object_get(ack, "error"));
	json_decref(ack);
	g_assert_true(again == call);
	g_assert_cmpuint(f->fx->len, ==, 0);
	json_t *empty = parse("{}");
	g_assert_true(oicall_engine_repeated_start(f->engine, A1, empty) == NULL);
	json_decref(empty);
	char *same_id = with_id("{\"toUserId\":\"b\",\"callType\":\"video\",\"callId\":\"%s\"}", id);
	assert_ok(request(f, "start", A1, same_id, NULL));
	json_t *body = parse(same_id);
	g_assert_true(oicall_engine_repeated_start(f->engine, A1, body) == call);
	json_decref(body);
	/* Anything else while in a call is refused and changes nothing. */
	assert_error(request(f, "start", A1, "{\"toUserId\":\"b\",\"callType\":\"audio\"}", NULL), "Already in a call");
	assert_error(request(f, "start", A1, "{\"toUserId\":\"c\",\"callType\":\"video\"}", NULL), "Already in a call");
	assert_error(request(f, "start", A1, "{\"toUserId\":\"b\",\"callType\":\"video\",\"callId\":\"other\"}", NULL),
		"Already in a call");
	assert_error(request(f, "start", B1, "{\"toUserId\":\"c\",\"callType\":\"video\"}", NULL), "Already in a call");
	g_assert_cmpuint(f->fx->len, ==, 0);
	/* Once accepted, the same again still names it. */
	char *accept = with_id("{\"callId\":\"%s\"}", id);
	assert_ok(request(f, "accept", B1, accept, NULL));
	clear(f);
	assert_ok(request(f, "start", A1, "{\"toUserId\":\"b\",\"callType\":\"video\"}", NULL));
	g_assert_cmpuint(f->fx->len, ==, 0);
	/* From another session of a's (a new tab) it is not a repeat. */
	reg(f, A2, "\"a\"");
	assert_error(request(f, "start", A2, "{\"toUserId\":\"b\",\"callType\":\"video\"}", NULL), "Already in a call");
	g_assert_cmpint(call->state, ==, OICALL_CALL_ACTIVE);
	g_free(same_id);
	g_free(accept);
}

static void test_repeated_start_client_id(fixture *f, gconstpointer data) {
	(void)data;
	reg(f, A1, "\"a\"");
	reg(f, B1, "\"b\"");
	const char *body = "{\"toUserId\":\"b\",\"callType\":\"audio\",\"callId\":\"c-1\"}";
	assert_ok(request(f, "start", A1, body, NULL));
	clear(f);
	json_t *ack = request(f, "start", A1, body, NULL);
	g_assert_cmpstr(json_string_value(json_object_get(ack, "callId")), ==, "c-1");
	json_decref(ack);
	g_assert_cmpuint(f->fx->len, ==, 0);
	/* Over: the same again is a new call, whose id was used. */
	assert_ok(request(f, "end", A1, "{\"callId\":\"c-1\"}", NULL));
	assert_error(request(f, "start", A1, body, NULL), "callId already in use");
	g_assert_null(oicall_engine_call_of_user(f->engine, "a"));
}

static void test_ended_call_requests(fixture *f, gconstpointer data) {
	(void)data;
	const char *id = active_call(f);
	char *body = with_id("{\"callId\":\"%s\"}", id);
	char *mute = with_id("{\"callId\":\"%s\",\"muted\":true}", id);
	assert_ok(request(f, "end", A1, body, NULL));
	clear(f);
	/* Hung up twice (both sides at once, a double click): it is over, as asked; nobody is told twice. */
	assert_ok(request(f, "end", A1, body, NULL));
	assert_ok(request(f, "end", B1, body, NULL));
	g_assert_cmpuint(f->fx->len, ==, 0);
	assert_error(request(f, "accept", B1, body, NULL), "Call already ended");
	assert_error(request(f, "mute-audio", A1, mute, NULL), "Call already ended");
	/* Not a way to learn about others' calls. */
	reg(f, C1, "\"c\"");
	assert_error(request(f, "end", C1, body, NULL), "Unknown call");
	g_assert_cmpuint(f->fx->len, ==, 1);  /* c's user-registered */
	g_free(body);
	g_free(mute);
}

static void test_ended_calls_bounded(fixture *f, gconstpointer data) {
	(void)data;
	reg(f, A1, "\"a\"");
	reg(f, B1, "\"b\"");
	char *first = NULL;
	for(int i = 0; i < 300; i++) {
		oicall_call *call = NULL;
		assert_ok(request(f, "start", A1, "{\"toUserId\":\"b\",\"callType\":\"audio\"}", &call));
		if(first == NULL)
			first = g_strdup(call->id);
		char *body = with_id("{\"callId\":\"%s\"}", call->id);
		assert_ok(request(f, "end", A1, body, NULL));
		g_free(body);
		clear(f);
	}
	/* The oldest are forgotten. */
	char *body = with_id("{\"callId\":\"%s\"}", first);
	assert_error(request(f, "accept", B1, body, NULL), "Unknown call");
	g_free(body);
	g_free(first);
}

static void test_glare(fixture *f, gconstpointer data) {
	(void)data;
	const char *id = ringing_call(f);
	oicall_call *call = oicall_engine_call(f->engine, id);
	clear(f);
	/* b calls a while a's call rings for b: refused as busy, a's call rings on. */
	oicall_call *refused = NULL;
	json_t *ack = request(f, "start", B1, "{\"toUserId\":\"a\",\"callType\":\"audio\"}", &refused);
	g_assert_null(refused);
	g_assert_cmpstr(json_string_value(json_object_get(ack, "error")), ==, "busy");
	g_assert_cmpstr(json_string_value(json_object_get(ack, "incomingCallId")), ==, id);
	const char *busy_id = json_string_value(json_object_get(ack, "callId"));
	g_assert_nonnull(busy_id);
	g_assert_cmpstr(busy_id, !=, id);
	oicall_effect *ended = find(f, OICALL_EFFECT_EVENT, "call-ended", B1);
	g_assert_cmpstr(payload_str(ended, "callId"), ==, busy_id);
	g_assert_cmpstr(payload_str(ended, "reason"), ==, "busy");
	g_assert_null(find(f, OICALL_EFFECT_EVENT, NULL, A1));
	g_assert_null(find(f, OICALL_EFFECT_ENDED, NULL, 0));
	json_decref(ack);
	g_assert_cmpint(call->state, ==, OICALL_CALL_RINGING);
	g_assert_true(oicall_engine_call_of_user(f->engine, "b") == call);
	/* ...and b can take it. */
	char *body = with_id("{\"callId\":\"%s\"}", id);
	assert_ok(request(f, "accept", B1, body, NULL));
	g_assert_cmpint(call->state, ==, OICALL_CALL_ACTIVE);
	/* Once it is active, calling each other is just being in a call. */
	assert_error(request(f, "start", B1, "{\"toUserId\":\"a\",\"callType\":\"audio\"}", NULL), "Already in a call");
	g_free(body);
}

static void test_reserved_call(fixture *f, gconstpointer data) {
	(void)data;
	reg(f, A1, "\"a\"");
	reg(f, B1, "\"b\"");
	json_t *body = parse("{\"toUserId\":\"b\",\"callType\":\"video\"}");
	oicall_call *call = NULL;
	json_t *ack = oicall_engine_reserve_call(f->engine, A1, body, f->fx, f->now, &call);
	g_assert_nonnull(call);
	g_assert_cmpstr(json_string_value(json_object_get(ack, "callId")), ==, call->id);
	json_decref(ack);
	/* The call exists (both are in it, the ring timeout runs) but b isn't offered it yet. */
	g_assert_true(call->awaiting_offer);
	g_assert_nonnull(find(f, OICALL_EFFECT_NOTIFY, "call-started", 0));
	g_assert_null(find(f, OICALL_EFFECT_EVENT, "incoming-call", 0));
	g_assert_true(oicall_engine_call_of_user(f->engine, "b") == call);
	g_assert_cmpint(oicall_engine_next_deadline(f->engine), ==, f->now + RING);
	/* A repeat while it is being set up is a repeat. */
	g_assert_true(oicall_engine_repeated_start(f->engine, A1, body) == call);
	clear(f);
	ack = oicall_engine_reserve_call(f->engine, A1, body, f->fx, f->now, &call);
	assert_ok(ack);
	g_assert_cmpuint(f->fx->len, ==, 0);
	char *accept = with_id("{\"callId\":\"%s\"}", call->id);
	assert_error(request(f, "accept", B1, accept, NULL), "Call not offered yet");
	reg(f, B2, "\"b\"");
	g_assert_null(find(f, OICALL_EFFECT_EVENT, "incoming-call", 0));
	/* The offer is here: it rings, at b's current session. */
	clear(f);
	oicall_engine_call_offered(f->engine, call, f->fx);
	g_assert_false(call->awaiting_offer);
	g_assert_nonnull(find(f, OICALL_EFFECT_EVENT, "incoming-call", B2));
	g_assert_nonnull(find(f, OICALL_EFFECT_NOTIFY, "call-ringing", 0));
	clear(f);
	oicall_engine_call_offered(f->engine, call, f->fx);   /* once */
	g_assert_cmpuint(f->fx->len, ==, 0);
	assert_ok(request(f, "accept", B2, accept, NULL));
	json_decref(body);
	g_free(accept);
}

static void test_reserved_call_ends_unheard(fixture *f, gconstpointer data) {
	(void)data;
	reg(f, A1, "\"a\"");
	reg(f, B1, "\"b\"");
	json_t *body = parse("{\"toUserId\":\"b\",\"callType\":\"video\"}");
	oicall_call *call = NULL;
	assert_ok(oicall_engine_reserve_call(f->engine, A1, body, f->fx, f->now, &call));
	char *end = with_id("{\"callId\":\"%s\"}", call->id);
	clear(f);
	/* Its offer never came: the ring timeout ends it for the caller; b never heard of it. */
	oicall_engine_tick(f->engine, f->now + RING, f->fx);
	g_assert_nonnull(find(f, OICALL_EFFECT_EVENT, "call-ended", A1));
	g_assert_null(find(f, OICALL_EFFECT_EVENT, NULL, B1));
	g_assert_null(oicall_engine_call_of_user(f->engine, "b"));
	/* Hung up before its offer came: the same. */
	assert_ok(oicall_engine_reserve_call(f->engine, A1, body, f->fx, f->now, &call));
	g_free(end);
	end = with_id("{\"callId\":\"%s\"}", call->id);
	clear(f);
	assert_ok(request(f, "end", A1, end, NULL));
	g_assert_nonnull(find(f, OICALL_EFFECT_EVENT, "call-ended", A1));
	g_assert_null(find(f, OICALL_EFFECT_EVENT, NULL, B1));
	/* A busy callee refuses a reservation like a call. */
	ringing_call(f);
	reg(f, C1, "\"c\"");
	json_t *busy = parse("{\"toUserId\":\"b\",\"callType\":\"audio\"}");
	assert_error(oicall_engine_reserve_call(f->engine, C1, busy, f->fx, f->now, &call), "busy");
	g_assert_null(call);
	json_decref(busy);
	json_decref(body);
	g_free(end);
}

/* ---- a new session takes the user over -------------------------------- */

static void test_takeover_told(fixture *f, gconstpointer data) {
	(void)data;
	const char *id = active_call(f);
	/* b's new tab registers while the old one is still connected. */
	reg(f, B2, "\"b\"");
	oicall_effect *resumed = find(f, OICALL_EFFECT_EVENT, "call-resumed", B2);
	g_assert_nonnull(resumed);
	g_assert_cmpstr(payload_str(resumed, "callId"), ==, id);
	g_assert_cmpstr(payload_str(resumed, "peerUserId"), ==, "a");
	g_assert_cmpstr(payload_str(resumed, "callType"), ==, "video");
	g_assert_cmpstr(payload_str(resumed, "state"), ==, "active");
	g_assert_cmpstr(payload_str(resumed, "role"), ==, "callee");
	g_assert_nonnull(find(f, OICALL_EFFECT_EVENT, "replaced", B1));
	g_assert_cmpuint(find(f, OICALL_EFFECT_CLOSE, NULL, 0)->session, ==, B1);
	/* The same session registering again is told nothing. */
	clear(f);
	reg(f, B2, "\"b\"");
	g_assert_null(find(f, OICALL_EFFECT_EVENT, NULL, 0));
	g_assert_null(find(f, OICALL_EFFECT_CLOSE, NULL, 0));
	/* Back after the old socket went (reconnect grace): told about the call, nobody to replace. */
	clear(f);
	oicall_engine_disconnect(f->engine, A1, f->fx, f->now);
	reg(f, A2, "\"a\"");
	resumed = find(f, OICALL_EFFECT_EVENT, "call-resumed", A2);
	g_assert_cmpstr(payload_str(resumed, "peerUserId"), ==, "b");
	g_assert_cmpstr(payload_str(resumed, "role"), ==, "caller");
	g_assert_null(find(f, OICALL_EFFECT_EVENT, "replaced", 0));
	g_assert_null(find(f, OICALL_EFFECT_CLOSE, NULL, 0));
	/* A ringing callee's new session gets the call offered, not resumed. */
	oicall_engine_force_end(f->engine, id, "admin", f->fx, f->now);
	ringing_call(f);
	clear(f);
	reg(f, B2, "\"b\"");
	g_assert_nonnull(find(f, OICALL_EFFECT_EVENT, "incoming-call", B2));
	g_assert_null(find(f, OICALL_EFFECT_EVENT, "call-resumed", 0));
}

/* Whom a start-call or add-participants invites, for the cluster's lookup. */
static void test_invitees(fixture *f, gconstpointer data) {
	(void)data;
	static const struct { const char *request, *body; const char *expected; } cases[] = {
		{ "start-call", "{\"toUserId\": 42}", "42" },
		{ "start-call", "{\"toUserIds\": [\"b\", 7, \"b\"], \"toUserId\": \"x\"}", "b,7" },
		{ "add-participants", "{\"callId\": \"c\", \"participantIds\": [\"c\", \"d\"]}", "c,d" },
		{ "start-call", "{}", NULL },
		{ "start-call", "{\"toUserIds\": \"b\"}", NULL },
		{ "start-call", "{\"toUserId\": true}", NULL },
		{ "add-participants", "{\"callId\": \"c\"}", NULL },
		{ "end-call", "{\"toUserId\": \"b\"}", NULL },
	};
	for(guint i = 0; i < G_N_ELEMENTS(cases); i++) {
		json_t *body = parse(cases[i].body);
		char **users = oicall_engine_invitees(f->engine, cases[i].request, body);
		char *joined = users ? g_strjoinv(",", users) : NULL;
		g_assert_cmpstr(joined, ==, cases[i].expected);
		g_free(joined);
		g_strfreev(users);
		json_decref(body);
	}
}

/* The user registered on another instance: only its current session here hears it and goes. */
static void test_replaced_elsewhere(fixture *f, gconstpointer data) {
	(void)data;
	reg(f, B1, "\"b\"");
	reg(f, B2, "\"b\"");
	clear(f);
	g_assert_false(oicall_engine_replaced_elsewhere(f->engine, B1, "b", f->fx));
	g_assert_false(oicall_engine_replaced_elsewhere(f->engine, B2, "c", f->fx));
	g_assert_false(oicall_engine_replaced_elsewhere(f->engine, X, "nobody", f->fx));
	g_assert_cmpuint(f->fx->len, ==, 0);
	g_assert_true(oicall_engine_replaced_elsewhere(f->engine, B2, "b", f->fx));
	oicall_effect *replaced = find(f, OICALL_EFFECT_EVENT, "replaced", B2);
	g_assert_nonnull(replaced);
	g_assert_cmpstr(payload_str(replaced, "reason"), ==, "registered-elsewhere");
	g_assert_cmpuint(find(f, OICALL_EFFECT_CLOSE, NULL, 0)->session, ==, B2);
	g_assert_cmpuint(f->fx->len, ==, 2);
}

/* resume-call: the new session takes the media over; the old one's goes and is released. */
static void test_resume_media(fixture *f, gconstpointer data) {
	(void)data;
	oicall_engine_set_media_timeout(f->engine, 20 * S);
	const char *id = active_call(f);
	oicall_call *call = oicall_engine_call(f->engine, id);
	char *body = with_id("{\"callId\":\"%s\"}", id);
	reg(f, B2, "\"b\"");
	/* The replaced session can't take it back. */
	assert_error(request(f, "resume", B1, body, NULL), "Socket not registered");
	clear(f);
	f->now += 15 * S;
	assert_ok(request(f, "resume", B2, body, NULL));
	oicall_effect *moved = find(f, OICALL_EFFECT_MEDIA_MOVED, NULL, 0);
	g_assert_nonnull(moved);
	g_assert_true(moved->call == call);
	g_assert_cmpint(moved->side, ==, OICALL_CALLEE);
	g_assert_cmpuint(moved->session, ==, B1);
	g_assert_cmpuint(moved->release, ==, 1u << OICALL_CALLEE);
	g_assert_cmpuint(call->peers[OICALL_CALLEE].media_session, ==, B2);
	g_assert_nonnull(find(f, OICALL_EFFECT_NOTIFY, "call-resumed", 0));
	g_assert_null(find(f, OICALL_EFFECT_EVENT, NULL, 0));
	/* Again: nothing moves. */
	clear(f);
	assert_ok(request(f, "resume", B2, body, NULL));
	g_assert_cmpuint(f->fx->len, ==, 0);
	/* The new media's silence counts from the resume, not from the accept (a's media flows). */
	call->peers[OICALL_CALLER].media_seen = f->now;
	oicall_engine_tick(f->engine, f->now + 20 * S - 1, f->fx);
	g_assert_null(find(f, OICALL_EFFECT_ENDED, NULL, 0));
	/* The old session carries nothing now: it goes without a linger or grace. */
	g_assert_cmpuint(oicall_engine_disconnect(f->engine, B1, f->fx, f->now), ==, 0);
	g_assert_cmpint(call->peers[OICALL_CALLEE].grace_deadline, ==, 0);
	/* The new one carries the media: its client gone, the grace starts and the handle lingers. */
	g_assert_cmpuint(oicall_engine_disconnect(f->engine, B2, f->fx, f->now), >, 0);
	g_assert_cmpint(call->peers[OICALL_CALLEE].grace_deadline, >, 0);
	assert_ok(request(f, "end", A1, body, NULL));
	assert_error(request(f, "resume", A1, body, NULL), "Call already ended");
	g_free(body);
}

/* Only a peer in an accepted call resumes its media. */
static void test_resume_refused(fixture *f, gconstpointer data) {
	(void)data;
	const char *id = ringing_call(f);
	char *body = with_id("{\"callId\":\"%s\"}", id);
	assert_error(request(f, "resume", B1, body, NULL), "The call rings for you: answer it (accept-call)");
	assert_error(request(f, "resume", A1, body, NULL), "Only an accepted call can be resumed");
	assert_error(request(f, "resume", C1, "{\"callId\":\"nope\"}", NULL), "Socket not registered");
	reg(f, C1, "\"c\"");
	assert_error(request(f, "resume", C1, "{}", NULL), "Missing callId");
	assert_error(request(f, "resume", C1, "{\"callId\":1}", NULL), "callId must be a string");
	assert_error(request(f, "resume", C1, "{\"callId\":\"nope\"}", NULL), "Unknown call");
	assert_ok(request(f, "accept", B1, body, NULL));
	assert_error(request(f, "resume", C1, body, NULL), "Not your call");
	g_assert_null(find(f, OICALL_EFFECT_MEDIA_MOVED, NULL, 0));
	g_free(body);
}

/* ---- media timeout --------------------------------------------------- */

static void test_media_timeout(fixture *f, gconstpointer data) {
	(void)data;
	oicall_engine_set_media_timeout(f->engine, 20 * S);
	const char *id = ringing_call(f);
	/* A ringing call has no media to wait for. */
	g_assert_cmpint(oicall_engine_next_deadline(f->engine), ==, f->now + RING);
	char *body = with_id("{\"callId\":\"%s\"}", id);
	assert_ok(request(f, "accept", B1, body, NULL));
	oicall_call *call = oicall_call_ref(oicall_engine_call(f->engine, id));
	gint64 accepted = f->now;
	/* Counted from the accept, then from each side's last packet. */
	g_assert_cmpint(oicall_engine_next_deadline(f->engine), ==, accepted + 20 * S);
	call->peers[OICALL_CALLER].media_seen = accepted + 15 * S;
	call->peers[OICALL_CALLEE].media_seen = accepted + 10 * S;
	g_assert_cmpint(oicall_engine_next_deadline(f->engine), ==, accepted + 30 * S);
	clear(f);
	oicall_engine_tick(f->engine, accepted + 30 * S - 1, f->fx);
	g_assert_cmpint(call->state, ==, OICALL_CALL_ACTIVE);
	/* b has sent nothing for 20 s: over for both. */
	oicall_engine_tick(f->engine, accepted + 30 * S, f->fx);
	g_assert_cmpint(call->state, ==, OICALL_CALL_ENDED);
	g_assert_cmpstr(payload_str(find(f, OICALL_EFFECT_EVENT, "call-ended", A1), "reason"), ==, "media-timeout");
	g_assert_cmpstr(payload_str(find(f, OICALL_EFFECT_EVENT, "call-ended", B1), "reason"), ==, "media-timeout");
	g_assert_cmpstr(payload_str(find(f, OICALL_EFFECT_NOTIFY, "call-ended", 0), "reason"), ==, "media-timeout");
	g_assert_nonnull(find(f, OICALL_EFFECT_ENDED, NULL, 0));
	g_assert_cmpint(oicall_engine_next_deadline(f->engine), ==, G_MAXINT64);
	oicall_call_unref(call);
	g_free(body);
}

static void test_media_timeout_off(fixture *f, gconstpointer data) {
	(void)data;
	const char *id = active_call(f);
	/* Off unless set (the plugin sets its option), and 0 turns it off again. */
	g_assert_cmpint(oicall_engine_next_deadline(f->engine), ==, G_MAXINT64);
	oicall_engine_set_media_timeout(f->engine, 5 * S);
	oicall_engine_set_media_timeout(f->engine, 0);
	oicall_engine_tick(f->engine, f->now + 1000 * S, f->fx);
	g_assert_cmpint(oicall_engine_call(f->engine, id)->state, ==, OICALL_CALL_ACTIVE);
}

/* ---- the room dialect ------------------------------------------------ */

/* a calls b in the room dialect; returns the call id. */
static const char *room_call(fixture *f) {
	reg(f, A1, "\"a\"");
	reg(f, B1, "\"b\"");
	oicall_call *call = NULL;
	assert_ok(request(f, "start", A1, "{\"toUserIds\":[\"b\"],\"callType\":\"video\"}", &call));
	g_assert_nonnull(call);
	g_assert_true(call->peers[OICALL_CALLER].room);
	g_assert_false(call->peers[OICALL_CALLER].joined);
	return call->id;
}

static void test_room_start(fixture *f, gconstpointer data) {
	(void)data;
	json_t *id = parse("\"a\"");
	json_t *ack = oicall_engine_register(f->engine, A1, id, NULL, f->fx, f->now);
	json_decref(id);
	g_assert_cmpstr(json_string_value(json_object_get(ack, "userId")), ==, "a");
	g_assert_true(json_is_true(json_object_get(ack, "success")));
	json_decref(ack);
	reg(f, B1, "\"b\"");
	static const char *const bad[][2] = {
		{ "{\"toUserIds\":\"b\",\"callType\":\"video\"}", "toUserIds must be a non-empty array of user ids" },
		{ "{\"toUserIds\":[],\"callType\":\"video\"}", "toUserIds must be a non-empty array of user ids" },
		{ "{\"toUserIds\":[\"b\",\"c\",\"d\",\"e\",\"f\",\"g\",\"h\",\"i\",\"j\",\"k\",\"l\"],\"callType\":\"video\"}",
			"A call has at most 11 participants" },
		{ "{\"toUserIds\":[{}],\"callType\":\"video\"}", "toUserIds[0] must be a string or a number" },
		{ "{\"toUserIds\":[\"a\"],\"callType\":\"video\"}", "Cannot call yourself" },
	};
	for(gsize i = 0; i < G_N_ELEMENTS(bad); i++)
		assert_error(request(f, "start", A1, bad[i][0], NULL), bad[i][1]);
	g_assert_cmpuint(count(f, OICALL_EFFECT_EVENT, "incoming-call"), ==, 0);
	oicall_call *call = NULL;
	/* toUserIds wins over toUserId; the callee hears of both users. */
	assert_ok(request(f, "start", A1, "{\"toUserIds\":[\"b\"],\"toUserId\":\"zz\",\"callType\":\"video\"}", &call));
	g_assert_cmpstr(call->peers[OICALL_CALLEE].user, ==, "b");
	oicall_effect *incoming = find(f, OICALL_EFFECT_EVENT, "incoming-call", B1);
	g_assert_nonnull(incoming);
	json_t *participants = json_object_get(incoming->payload, "participants");
	g_assert_cmpuint(json_array_size(participants), ==, 2);
	g_assert_cmpstr(json_string_value(json_array_get(participants, 0)), ==, "a");
	g_assert_cmpstr(json_string_value(json_array_get(participants, 1)), ==, "b");
	/* The same start-call again is a repeat, whichever field names the callee. */
	json_t *again = parse("{\"toUserIds\":[\"b\"],\"callType\":\"video\"}");
	g_assert_true(oicall_engine_repeated_start(f->engine, A1, again) == call);
	json_decref(again);
}

static void test_room_join(fixture *f, gconstpointer data) {
	(void)data;
	const char *id = room_call(f);
	char *body = with_id("{\"callId\":\"%s\"}", id);
	clear(f);
	assert_error(request(f, "join", B1, body, NULL), "Accept the call first (accept-call), then join it");
	/* The caller joins while it rings: nobody else is there yet. */
	json_t *ack = request(f, "join", A1, body, NULL);
	g_assert_true(json_is_true(json_object_get(ack, "success")));
	g_assert_cmpuint(json_array_size(json_object_get(ack, "alreadyJoined")), ==, 0);
	g_assert_cmpstr(json_string_value(json_array_get(json_object_get(ack, "participants"), 0)), ==, "b");
	g_assert_cmpstr(json_string_value(json_object_get(ack, "creatorId")), ==, "a");
	json_decref(ack);
	g_assert_cmpuint(count(f, OICALL_EFFECT_EVENT, "participant-joined"), ==, 0);
	char *accept = with_id("{\"callId\":\"%s\",\"fromUserId\":\"a\"}", id);
	clear(f);
	/* The joined caller hears of the callee when it accepts (whichever dialect it turns out to speak). */
	assert_ok(request(f, "accept", B1, accept, NULL));
	g_free(accept);
	oicall_effect *to_a = find(f, OICALL_EFFECT_EVENT, "participant-joined", A1);
	g_assert_nonnull(to_a);
	g_assert_cmpstr(payload_str(to_a, "userId"), ==, "b");
	clear(f);
	ack = request(f, "join", B1, body, NULL);
	g_assert_cmpstr(json_string_value(json_array_get(json_object_get(ack, "alreadyJoined"), 0)), ==, "a");
	json_decref(ack);
	g_assert_null(find(f, OICALL_EFFECT_EVENT, "participant-joined", A1));
	oicall_effect *to_b = find(f, OICALL_EFFECT_EVENT, "participant-joined", B1);
	g_assert_nonnull(to_b);
	g_assert_true(json_is_true(json_object_get(to_b->payload, "initial")));
	g_assert_cmpstr(json_string_value(json_array_get(json_object_get(to_b->payload, "userId"), 0)), ==, "a");
	/* Joining again changes nothing and tells nobody. */
	clear(f);
	assert_ok(request(f, "join", B1, body, NULL));
	g_assert_cmpuint(count(f, OICALL_EFFECT_EVENT, NULL), ==, 0);
	/* Someone else's call. */
	reg(f, C1, "\"c\"");
	assert_error(request(f, "join", C1, body, NULL), "Not your call");
	assert_error(request(f, "join", C1, "{\"callId\":\"nope\"}", NULL), "Unknown call");
	assert_error(request(f, "join", C1, "{}", NULL), "Missing callId");
	g_free(body);
}

/* A seed-dialect caller counts as joined from the start: a room-dialect callee
 * hears of it on joining, the caller hears no room-dialect event. */
static void test_room_join_seed_caller(fixture *f, gconstpointer data) {
	(void)data;
	const char *id = active_call(f);
	char *body = with_id("{\"callId\":\"%s\"}", id);
	oicall_call *call = oicall_engine_call(f->engine, id);
	g_assert_true(oicall_call_peer_joined(call, OICALL_CALLER));
	g_assert_true(oicall_call_peer_joined(call, OICALL_CALLEE));
	json_t *ack = request(f, "join", B1, body, NULL);
	g_assert_cmpstr(json_string_value(json_array_get(json_object_get(ack, "alreadyJoined"), 0)), ==, "a");
	json_decref(ack);
	g_assert_null(find(f, OICALL_EFFECT_EVENT, "participant-joined", A1));
	g_assert_nonnull(find(f, OICALL_EFFECT_EVENT, "participant-joined", B1));
	g_free(body);
}

static void test_room_leave(fixture *f, gconstpointer data) {
	(void)data;
	/* The callee declines while it rings. */
	const char *id = room_call(f);
	char *body = with_id("{\"callId\":\"%s\"}", id);
	clear(f);
	assert_ok(request(f, "leave", B1, body, NULL));
	oicall_effect *ended = find(f, OICALL_EFFECT_EVENT, "call-ended", A1);
	g_assert_nonnull(ended);
	g_assert_cmpstr(payload_str(ended, "reason"), ==, "rejected");
	g_assert_null(find(f, OICALL_EFFECT_EVENT, "call-ended", B1));
	g_assert_nonnull(find(f, OICALL_EFFECT_ENDED, NULL, 0));
	/* Twice is fine; a stranger is not. */
	assert_ok(request(f, "leave", B1, body, NULL));
	reg(f, C1, "\"c\"");
	assert_error(request(f, "leave", C1, body, NULL), "Unknown call");
	g_free(body);

	/* The caller cancels while it rings. */
	clear(f);
	oicall_call *call = NULL;
	assert_ok(request(f, "start", A1, "{\"toUserIds\":[\"b\"],\"callType\":\"audio\"}", &call));
	body = with_id("{\"callId\":\"%s\"}", call->id);
	clear(f);
	assert_ok(request(f, "leave", A1, body, NULL));
	ended = find(f, OICALL_EFFECT_EVENT, "call-ended", B1);
	g_assert_nonnull(ended);
	g_assert_cmpstr(payload_str(ended, "reason"), ==, "cancelled");
	g_assert_null(find(f, OICALL_EFFECT_EVENT, "call-ended", A1));
	g_free(body);

	/* Active: a room-dialect peer left behind hears participant-left, then the call ends for it. */
	clear(f);
	assert_ok(request(f, "start", A1, "{\"toUserIds\":[\"b\"],\"callType\":\"audio\"}", &call));
	body = with_id("{\"callId\":\"%s\"}", call->id);
	char *accept = with_id("{\"callId\":\"%s\"}", call->id);
	assert_ok(request(f, "join", A1, body, NULL));
	assert_ok(request(f, "accept", B1, accept, NULL));
	assert_ok(request(f, "join", B1, body, NULL));
	clear(f);
	assert_ok(request(f, "leave", B1, body, NULL));
	oicall_effect *left = g_ptr_array_index(f->fx, 0), *last = g_ptr_array_index(f->fx, 1);
	g_assert_cmpstr(left->name, ==, "participant-left");
	g_assert_cmpuint(left->session, ==, A1);
	g_assert_cmpstr(payload_str(left, "userId"), ==, "b");
	g_assert_cmpstr(last->name, ==, "call-ended");
	g_assert_cmpstr(payload_str(last, "reason"), ==, "last-participant-left");
	g_assert_null(find(f, OICALL_EFFECT_EVENT, NULL, B1));
	g_free(accept);
	g_free(body);
}

/* A seed-dialect peer left behind by a room-dialect one hears what end-call would have told it. */
static void test_room_leave_seed_peer(fixture *f, gconstpointer data) {
	(void)data;
	const char *id = active_call(f);
	char *body = with_id("{\"callId\":\"%s\"}", id);
	assert_ok(request(f, "join", B1, body, NULL));
	clear(f);
	assert_ok(request(f, "leave", B1, body, NULL));
	g_assert_null(find(f, OICALL_EFFECT_EVENT, "participant-left", 0));
	oicall_effect *ended = find(f, OICALL_EFFECT_EVENT, "call-ended", A1);
	g_assert_nonnull(ended);
	g_assert_cmpstr(payload_str(ended, "reason"), ==, "hangup");
	g_free(body);
}

int main(int argc, char **argv) {
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/engine/user-ids", test_user_ids);
	g_test_add_func("/engine/zero-grace", test_zero_grace);
#define ADD(name, fn) g_test_add("/engine/" name, fixture, NULL, setup, fn, teardown)
	ADD("room-start", test_room_start);
	ADD("room-join", test_room_join);
	ADD("room-join-seed-caller", test_room_join_seed_caller);
	ADD("room-leave", test_room_leave);
	ADD("room-leave-seed-peer", test_room_leave_seed_peer);
	ADD("register", test_register);
	ADD("register-proven-user", test_register_proven_user);
	ADD("not-registered", test_not_registered);
	ADD("start-call-online", test_start_call_online);
	ADD("start-call-client-id-and-errors", test_start_call_client_id_and_errors);
	ADD("busy", test_busy);
	ADD("callee-offline-then-registers", test_callee_offline_then_registers);
	ADD("accept", test_accept);
	ADD("call-errors", test_call_errors);
	ADD("reject", test_reject);
	ADD("call-limits", test_call_limits);
	ADD("hangup", test_hangup);
	ADD("mute", test_mute);
	ADD("ring-timeout", test_ring_timeout);
	ADD("grace-reconnect", test_grace_reconnect);
	ADD("takeover-then-old-session-leaves", test_takeover_then_old_session_leaves);
	ADD("grace-expiry", test_grace_expiry);
	ADD("destroyed-media-ends-at-once", test_destroyed_media_ends_at_once);
	ADD("media-failed", test_media_failed);
	ADD("ringing-caller-leaves", test_ringing_caller_leaves);
	ADD("ringing-callee-leaves-and-returns", test_ringing_callee_leaves_and_returns);
	ADD("force-end", test_force_end);
	ADD("many-calls-memory", test_many_calls_memory);
	ADD("repeated-start", test_repeated_start);
	ADD("repeated-start-client-id", test_repeated_start_client_id);
	ADD("ended-call-requests", test_ended_call_requests);
	ADD("ended-calls-bounded", test_ended_calls_bounded);
	ADD("glare", test_glare);
	ADD("reserved-call", test_reserved_call);
	ADD("reserved-call-ends-unheard", test_reserved_call_ends_unheard);
	ADD("takeover-told", test_takeover_told);
	ADD("replaced-elsewhere", test_replaced_elsewhere);
	ADD("invitees", test_invitees);
	ADD("resume-media", test_resume_media);
	ADD("resume-refused", test_resume_refused);
	ADD("media-timeout", test_media_timeout);
	ADD("media-timeout-off", test_media_timeout_off);
	return g_test_run();
}
