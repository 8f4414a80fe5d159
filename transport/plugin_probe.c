#include "plugin_probe.h"

#include <string.h>

#include "bridge.h"

typedef enum probe_state {
	PROBE_NO_SESSION,
	PROBE_CREATING,
	PROBE_ATTACHING,
	PROBE_READY,
} probe_state;

struct sio_probe {
	char *plugin;
	probe_state state;
	guint64 session_id, handle_id;
	guint64 next_transaction;
	char *asking;               /* the transaction in flight, NULL if none */
	gboolean retried;           /* the question in flight already made its session anew once */
};

sio_probe *sio_probe_new(const char *plugin) {
	sio_probe *probe = g_new0(sio_probe, 1);
	probe->plugin = g_strdup(plugin);
	return probe;
}

void sio_probe_free(sio_probe *probe) {
	if(probe == NULL)
		return;
	g_free(probe->plugin);
	g_free(probe->asking);
	g_free(probe);
}

/* The request for the probe's current step, under a new transaction. */
static json_t *step(sio_probe *probe) {
	g_free(probe->asking);
	/* The answer to the message follows the core's interim ack, which Janus's
	 * threads then drop (SIO_BRIDGE_ANSWER_FOLLOWS). */
	probe->asking = g_strdup_printf("%s-probe-%" G_GUINT64_FORMAT,
		probe->state == PROBE_READY ? SIO_BRIDGE_ANSWER_FOLLOWS : "sio", ++probe->next_transaction);
	switch(probe->state) {
		case PROBE_NO_SESSION:
			probe->state = PROBE_CREATING;
			/* fall through */
		case PROBE_CREATING:
			return sio_bridge_janus("create", 0, 0, probe->asking);
		case PROBE_ATTACHING: {
			json_t *attach = sio_bridge_janus("attach", probe->session_id, 0, probe->asking);
			json_object_set_new(attach, "plugin", json_string(probe->plugin));
			return attach;
		}
		case PROBE_READY:
			break;
	}
	json_t *message = sio_bridge_janus("message", probe->session_id, probe->handle_id, probe->asking);
	json_object_set_new(message, "body", json_pack("{ss}", "request", SIO_BRIDGE_METRICS_REQUEST));
	return message;
}

json_t *sio_probe_ask(sio_probe *probe) {
	if(probe->asking != NULL)
		return NULL;
	probe->retried = FALSE;
	return step(probe);
}

static void forget_session(sio_probe *probe) {
	probe->state = PROBE_NO_SESSION;
	probe->session_id = 0;
	probe->handle_id = 0;
}

static sio_probe_result failed(sio_probe *probe) {
	g_clear_pointer(&probe->asking, g_free);
	return SIO_PROBE_FAILED;
}

sio_probe_result sio_probe_janus(sio_probe *probe, json_t *message, json_t **out) {
	*out = NULL;
	const char *transaction = json_string_value(json_object_get(message, "transaction"));
	const char *janus = json_string_value(json_object_get(message, "janus"));
	if(probe->asking == NULL || transaction == NULL || janus == NULL || strcmp(transaction, probe->asking) != 0 ||
			strcmp(janus, "ack") == 0)
		return SIO_PROBE_IGNORED;
	if(strcmp(janus, "error") == 0) {
		/* Its session or handle may be gone (Janus drops idle sessions):
		 * once per question, start over with a new one. */
		forget_session(probe);
		if(probe->retried)
			return failed(probe);
		probe->retried = TRUE;
		*out = step(probe);
		return SIO_PROBE_SEND;
	}
	json_t *id = json_object_get(json_object_get(message, "data"), "id");
	if(probe->state != PROBE_READY) {
		if(strcmp(janus, "success") != 0 || !json_is_integer(id)) {
			forget_session(probe);
			return failed(probe);
		}
		if(probe->state == PROBE_CREATING) {
			probe->session_id = (guint64)json_integer_value(id);
			probe->state = PROBE_ATTACHING;
		} else {
			probe->handle_id = (guint64)json_integer_value(id);
			probe->state = PROBE_READY;
		}
		*out = step(probe);
		return SIO_PROBE_SEND;
	}
	json_t *data = json_object_get(json_object_get(message, "plugindata"), "data");
	g_clear_pointer(&probe->asking, g_free);
	if(!json_is_object(data) || json_object_get(data, "error") != NULL)
		return SIO_PROBE_FAILED;
	*out = json_incref(data);
	return SIO_PROBE_ANSWER;
}

void sio_probe_session_over(sio_probe *probe, guint64 session_id) {
	if(session_id != 0 && session_id == probe->session_id)
		forget_session(probe);
}

void sio_probe_abandon(sio_probe *probe) {
	g_clear_pointer(&probe->asking, g_free);
}
