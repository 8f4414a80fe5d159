#include "engine_fixture.h"

json_t *parse(const char *text) {
	json_error_t error;
	json_t *json = json_loads(text, JSON_DECODE_ANY, &error);
	g_assert_nonnull(json);
	return json;
}

void setup(fixture *f, gconstpointer data) {
	(void)data;
	f->engine = oicall_engine_new(RING, GRACE);
	f->fx = oicall_effects_new();
	f->now = 1000 * S;
}

void teardown(fixture *f, gconstpointer data) {
	(void)data;
	g_ptr_array_unref(f->fx);
	oicall_engine_free(f->engine);
}

void clear(fixture *f) {
	g_ptr_array_set_size(f->fx, 0);
}

/* The ack's "error", or NULL; frees the ack. */
char *ack_error(json_t *ack) {
	char *error = g_strdup(json_string_value(json_object_get(ack, "error")));
	json_decref(ack);
	return error;
}

void assert_ok(json_t *ack) {
	char *error = ack_error(ack);
	if(error)
		g_error("unexpected error: %s", error);
}

void assert_error(json_t *ack, const char *expected) {
	char *error = ack_error(ack);
	g_assert_cmpstr(error, ==, expected);
	g_free(error);
}

void reg(fixture *f, guint64 session, const char *user_json) {
	json_t *id = parse(user_json);
	assert_ok(oicall_engine_register(f->engine, session, id, NULL, f->fx, f->now));
	json_decref(id);
}

json_t *request(fixture *f, const char *what, guint64 session, const char *body_text, oicall_call **call) {
	json_t *body = parse(body_text);
	json_t *ack = NULL;
	oicall_call *ignored = NULL;
	if(call == NULL)
		call = &ignored;
	if(strcmp(what, "start") == 0)
		ack = oicall_engine_start_call(f->engine, session, body, f->fx, f->now, call);
	else if(strcmp(what, "accept") == 0)
		ack = oicall_engine_accept_call(f->engine, session, body, f->fx, f->now, call);
	else if(strcmp(what, "end") == 0)
		ack = oicall_engine_end_call(f->engine, session, body, f->fx, f->now);
	else if(strcmp(what, "join") == 0)
		ack = oicall_engine_join_call(f->engine, session, body, f->fx, call);
	else if(strcmp(what, "leave") == 0)
		ack = oicall_engine_leave_call(f->engine, session, body, f->fx, f->now);
	else if(strcmp(what, "mute-audio") == 0)
		ack = oicall_engine_mute(f->engine, session, body, FALSE, f->fx, call);
	else if(strcmp(what, "mute-video") == 0)
		ack = oicall_engine_mute(f->engine, session, body, TRUE, f->fx, call);
	else if(strcmp(what, "add") == 0)
		ack = oicall_engine_add_participants(f->engine, session, body, f->fx, f->now, call);
	else if(strcmp(what, "react") == 0)
		ack = oicall_engine_reaction(f->engine, session, body, 1234, f->fx);
	else if(strcmp(what, "resume") == 0) {
		gboolean moved = FALSE;
		ack = oicall_engine_resume_call(f->engine, session, body, f->fx, f->now, call, &moved);
	}
	json_decref(body);
	return ack;
}

/* Finds the first effect of a kind (and name) going to a session (0 = any). */
oicall_effect *find(fixture *f, oicall_effect_kind kind, const char *name, guint64 session) {
	for(guint i = 0; i < f->fx->len; i++) {
		oicall_effect *e = g_ptr_array_index(f->fx, i);
		if(e->kind == kind && (name == NULL || g_strcmp0(e->name, name) == 0) && (session == 0 || e->session == session))
			return e;
	}
	return NULL;
}

guint count(fixture *f, oicall_effect_kind kind, const char *name) {
	guint n = 0;
	for(guint i = 0; i < f->fx->len; i++) {
		oicall_effect *e = g_ptr_array_index(f->fx, i);
		if(e->kind == kind && (name == NULL || g_strcmp0(e->name, name) == 0))
			n++;
	}
	return n;
}

const char *payload_str(oicall_effect *e, const char *key) {
	return json_string_value(json_object_get(e->payload, key));
}

char *with_id(const char *format, const char *id) {
	return g_strdup_printf(format, id);
}
