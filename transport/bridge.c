#include "bridge.h"

#include <string.h>

static const sio_route routes[] = {
	/* The plugin shows an operator which Janus session a user is on. */
	{ "register", SIO_ROUTE_MESSAGE, "userId", TRUE, TRUE, FALSE },
	{ "ice-candidate", SIO_ROUTE_TRICKLE, NULL, FALSE, FALSE, FALSE },
	/* Their offer or answer goes to the core only for a call the plugin allows. */
	{ "start-call", SIO_ROUTE_MESSAGE, "value", FALSE, FALSE, TRUE },
	{ "accept-call", SIO_ROUTE_MESSAGE, "value", FALSE, FALSE, TRUE },
};
static const sio_route default_route = { NULL, SIO_ROUTE_MESSAGE, "value", FALSE, FALSE, FALSE };

const sio_route *sio_bridge_route(const char *event) {
	for(gsize i = 0; i < G_N_ELEMENTS(routes); i++) {
		if(strcmp(routes[i].event, event) == 0)
			return &routes[i];
	}
	return &default_route;
}

json_t *sio_bridge_janus(const char *verb, guint64 session_id, guint64 handle_id, const char *transaction) {
	json_t *request = json_pack("{ssss}", "janus", verb, "transaction", transaction);
	if(session_id != 0)
		json_object_set_new(request, "session_id", json_integer((json_int_t)session_id));
	if(handle_id != 0)
		json_object_set_new(request, "handle_id", json_integer((json_int_t)handle_id));
	return request;
}

/* { candidate: line, sdpMid?, sdpMLineIndex? }: what of a candidate object
 * either side reads, the rest left behind. */
static json_t *candidate_fields(const char *line, json_t *from) {
	json_t *init = json_pack("{ss}", "candidate", line);
	json_t *mid = json_object_get(from, "sdpMid"), *index = json_object_get(from, "sdpMLineIndex");
	if(json_is_string(mid))
		json_object_set(init, "sdpMid", mid);
	if(json_is_integer(index))
		json_object_set(init, "sdpMLineIndex", index);
	return init;
}

/* What of an RTCIceCandidateInit goes to the core; NULL with *error if it
 * can't be a candidate (the core would take it and only log a failure). */
static json_t *candidate_init(json_t *candidate, const char **error) {
	const char *line = json_string_value(json_object_get(candidate, "candidate"));
	json_t *mid = json_object_get(candidate, "sdpMid"), *index = json_object_get(candidate, "sdpMLineIndex");
	if(line == NULL)
		*error = "candidate.candidate must be a string";
	else if(!g_str_has_prefix(line, "candidate:") || strlen(line) > SIO_MAX_CANDIDATE_LEN || strpbrk(line, "\r\n"))
		*error = "candidate.candidate must be one ICE candidate line (\"candidate:...\")";
	else if(mid != NULL && !json_is_null(mid) && (!json_is_string(mid) || json_string_length(mid) > 32))
		*error = "candidate.sdpMid must be a string of at most 32 characters";
	else if(index != NULL && !json_is_null(index) &&
			(!json_is_integer(index) || json_integer_value(index) < 0 || json_integer_value(index) > 255))
		*error = "candidate.sdpMLineIndex must be a number from 0 to 255";
	else if(!json_is_string(mid) && !json_is_integer(index))
		*error = "candidate needs an sdpMid or an sdpMLineIndex";
	return *error != NULL ? NULL : candidate_fields(line, candidate);
}

static json_t *trickle_request(json_t *payload, json_t *request, const char **error) {
	/* { candidate: RTCIceCandidateInit | null } — null or an empty candidate ends gathering. */
	json_t *candidate = json_is_object(payload) ? json_object_get(payload, "candidate") : NULL;
	json_t *line = json_object_get(candidate, "candidate");
	if(json_is_null(candidate) || (json_is_object(payload) && candidate == NULL && json_object_get(payload, "completed")) ||
			(json_is_string(line) && json_string_length(line) == 0)) {
		json_object_set_new(request, "candidate", json_pack("{sb}", "completed", 1));
		return request;
	}
	json_t *init = NULL;
	if(candidate == NULL)
		*error = "Missing candidate";
	else if(!json_is_object(candidate))
		*error = "candidate must be an object (RTCIceCandidateInit) or null";
	else
		init = candidate_init(candidate, error);
	if(init == NULL) {
		json_decref(request);
		return NULL;
	}
	json_object_set_new(request, "candidate", init);
	return request;
}

json_t *sio_bridge_request(const sio_route *route, const char *event, json_t *payload,
		guint64 session_id, guint64 handle_id, const char *transaction, const sio_connection_auth *auth, const char **error) {
	if(route->kind == SIO_ROUTE_TRICKLE)
		return trickle_request(payload, sio_bridge_janus("trickle", session_id, handle_id, transaction), error);
	/* The plugin's figures are the transport's to ask for (plugin_probe.h):
	 * clients read them at /metrics, where the operator puts it, or not at all. */
	if(strcmp(event, SIO_BRIDGE_METRICS_REQUEST) == 0) {
		*error = "Unknown request";
		return NULL;
	}
	json_t *body;
	json_t *jsep = NULL;
	if(json_is_object(payload)) {
		/* Shallow: only the top level changes; what is below is shared, read-only
		 * (Jansson's reference counts are atomic). */
		body = json_copy(payload);
		jsep = json_object_get(body, "jsep");
		if(jsep != NULL) {
			json_incref(jsep);
			json_object_del(body, "jsep");
		}
	} else {
		body = json_object();
		if(payload != NULL)
			json_object_set(body, route->scalar_field, payload);
	}
	json_object_set_new(body, "request", json_string(event));
	json_object_del(body, "jsepGate");
	if(route->jsep_gate && jsep != NULL) {
		json_object_set_new(body, "jsepGate", jsep);
		jsep = NULL;
	}
	json_object_del(body, "authUserId");
	if(auth->user != NULL)
		json_object_set_new(body, "authUserId", json_string(auth->user));
	if(route->connect_token && auth->token != NULL)
		json_object_set_new(body, "token", json_string(auth->token));
	if(route->janus_ids) {
		json_object_set_new(body, "janusSessionId", json_integer((json_int_t)session_id));
		json_object_set_new(body, "janusHandleId", json_integer((json_int_t)handle_id));
	}
	json_t *request = sio_bridge_janus("message", session_id, handle_id, transaction);
	json_object_set_new(request, "body", body);
	if(jsep != NULL)
		json_object_set_new(request, "jsep", jsep);
	return request;
}

const char *sio_bridge_gate_proceed(json_t *ack) {
	json_t *gate = json_object_get(ack, "jsepGate");
	return json_object_size(ack) == 1 ? json_string_value(json_object_get(gate, "callId")) : NULL;
}

json_t *sio_bridge_gated(json_t *gate_request, const char *call_id, const char *transaction) {
	json_t *request = json_deep_copy(gate_request);
	json_t *body = json_object_get(request, "body");
	json_t *jsep = json_incref(json_object_get(body, "jsepGate"));
	json_object_del(body, "jsepGate");
	json_object_set_new(body, "callId", json_string(call_id));
	json_object_set_new(request, "jsep", jsep);
	json_object_set_new(request, "transaction", json_string(transaction));
	return request;
}

/* plugindata.data plus the jsep, as one object; NULL when there is none. */
static json_t *plugin_payload(json_t *janus_message) {
	json_t *data = json_object_get(json_object_get(janus_message, "plugindata"), "data");
	if(!json_is_object(data))
		return NULL;
	json_t *payload = json_copy(data);     /* shallow, as for requests */
	json_t *jsep = json_object_get(janus_message, "jsep");
	if(json_is_object(jsep))
		json_object_set(payload, "jsep", jsep);
	return payload;
}

static json_t *error_payload(const char *message) {
	return json_pack("{ss}", "error", message);
}

gboolean sio_bridge_interim_ack(json_t *janus_message) {
	const char *verb = json_string_value(json_object_get(janus_message, "janus"));
	const char *transaction = json_string_value(json_object_get(janus_message, "transaction"));
	return verb != NULL && strcmp(verb, "ack") == 0 && transaction != NULL &&
		g_str_has_prefix(transaction, SIO_BRIDGE_ANSWER_FOLLOWS);
}

sio_reply sio_bridge_reply(json_t *janus_message, sio_route_kind kind, json_t **ack) {
	const char *verb = json_string_value(json_object_get(janus_message, "janus"));
	if(verb == NULL) {
		*ack = error_payload("Invalid reply from the server");
		return SIO_REPLY_DONE;
	}
	if(strcmp(verb, "ack") == 0) {
		if(kind == SIO_ROUTE_MESSAGE)
			return SIO_REPLY_WAIT;
		*ack = json_pack("{sb}", "success", 1);
		return SIO_REPLY_DONE;
	}
	if(strcmp(verb, "error") == 0) {
		const char *reason = json_string_value(json_object_get(json_object_get(janus_message, "error"), "reason"));
		*ack = error_payload(reason ? reason : "Request failed");
		return SIO_REPLY_DONE;
	}
	json_t *payload = plugin_payload(janus_message);
	if(payload == NULL) {
		*ack = strcmp(verb, "success") == 0 ? json_pack("{sb}", "success", 1) : error_payload("Empty reply");
		return SIO_REPLY_DONE;
	}
	/* Plugins add a numeric code for Janus API clients; Socket.IO clients get { error } only. */
	if(json_object_get(payload, "error") != NULL)
		json_object_del(payload, "error_code");
	*ack = payload;
	return SIO_REPLY_DONE;
}

gboolean sio_bridge_event_reserved(const char *event) {
	static const char *const reserved[] = {
		"connect", "connect_error", "disconnect", "disconnecting", "newListener", "removeListener",
	};
	for(gsize i = 0; i < G_N_ELEMENTS(reserved); i++) {
		if(strcmp(event, reserved[i]) == 0)
			return TRUE;
	}
	return FALSE;
}

json_t *sio_bridge_gateway_candidate(json_t *candidate, const char *call_id, const char *transport_id) {
	const char *line = json_string_value(json_object_get(candidate, "candidate"));
	gboolean completed = json_is_true(json_object_get(candidate, "completed"));
	if(call_id == NULL || (line == NULL && !completed))
		return NULL;
	json_t *payload = json_pack("{ss}", "callId", call_id);
	if(transport_id != NULL)
		json_object_set_new(payload, "transportId", json_string(transport_id));
	/* As a browser hands them out: RTCIceCandidateInit, then null at the end. */
	json_object_set_new(payload, "candidate", completed ? json_null() : candidate_fields(line, candidate));
	return payload;
}

json_t *sio_bridge_instruction(json_t *janus_message) {
	const char *verb = json_string_value(json_object_get(janus_message, "janus"));
	if(verb == NULL || strcmp(verb, "event") != 0 || json_object_get(janus_message, "transaction") != NULL)
		return NULL;
	json_t *sio = json_object_get(json_object_get(json_object_get(janus_message, "plugindata"), "data"), "sio");
	return json_is_object(sio) ? sio : NULL;
}

char *sio_bridge_event(json_t *janus_message, json_t **payload) {
	const char *verb = json_string_value(json_object_get(janus_message, "janus"));
	if(verb == NULL)
		return NULL;
	if(strcmp(verb, "event") != 0)
		return NULL;
	json_t *data = plugin_payload(janus_message);
	const char *event = json_string_value(json_object_get(data, "event"));
	if(event == NULL || *event == '\0' || sio_bridge_event_reserved(event)) {
		json_decref(data);
		return NULL;
	}
	char *name = g_strdup(event);
	json_object_del(data, "event");
	*payload = data;
	return name;
}
