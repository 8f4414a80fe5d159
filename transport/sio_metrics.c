#include "sio_metrics.h"

#include <string.h>

#include "../common/prom.h"
#include "plugin_probe.h"

typedef struct waiter {
	void *request;
	sio_metrics_page page;
} waiter;

struct sio_metrics {
	const sio_transport_config *config;
	const sio_metrics_ops *ops;
	void *owner;
	sio_probe *probe;
	GQueue waiting;             /* waiter * */
	gint64 deadline;            /* of the question in flight, 0 if none */
};

sio_metrics *sio_metrics_new(const sio_transport_config *config, const sio_metrics_ops *ops, void *owner) {
	sio_metrics *metrics = g_new0(sio_metrics, 1);
	metrics->config = config;
	metrics->ops = ops;
	metrics->owner = owner;
	metrics->probe = sio_probe_new(config->plugin);
	g_queue_init(&metrics->waiting);
	return metrics;
}

void sio_metrics_free(sio_metrics *metrics) {
	if(metrics == NULL)
		return;
	g_queue_clear_full(&metrics->waiting, g_free);
	sio_probe_free(metrics->probe);
	g_free(metrics);
}

sio_metrics_page sio_metrics_route(const sio_metrics *metrics, const char *path) {
	if(strcmp(path, metrics->config->metrics_path) == 0)
		return SIO_PAGE_METRICS;
	if(strcmp(path, metrics->config->health_path) == 0)
		return SIO_PAGE_HEALTH;
	return SIO_PAGE_NONE;
}

static char *metrics_text(sio_metrics *metrics, json_t *answer) {
	GString *text = g_string_new(NULL);
	json_t *families = metrics->ops->families(metrics->owner);
	json_t *up = oicall_prom_family("oicall_plugin_up", "gauge",
		"Whether the plugin answered this scrape (its figures follow when it did).");
	oicall_prom_sample(up, answer != NULL, NULL);
	json_array_append_new(families, up);
	char *error = NULL;
	if(!oicall_prom_render(text, families, &error) ||
			(answer != NULL && !oicall_prom_render(text, json_object_get(answer, "metrics"), &error))) {
		/* A comment: scrapers skip it, a person reading the page sees it. */
		g_string_append_printf(text, "# some metrics left out: %s\n", error);
		g_free(error);
	}
	json_decref(families);
	return g_string_free(text, FALSE);
}

static const char *unhealthy(sio_metrics *metrics, json_t *answer) {
	const char *transport = metrics->ops->unavailable(metrics->owner);
	if(transport != NULL)
		return transport;
	if(answer == NULL)
		return "plugin not answering";
	return json_is_true(json_object_get(answer, "overloaded")) ? "plugin overloaded" : NULL;
}

/* Every waiting request gets its answer; answer: the plugin's, NULL if none came. */
static void answer_all(sio_metrics *metrics, json_t *answer) {
	metrics->deadline = 0;
	char *text = NULL;
	waiter *w;
	while((w = g_queue_pop_head(&metrics->waiting)) != NULL) {
		if(w->page == SIO_PAGE_METRICS) {
			if(text == NULL)
				text = metrics_text(metrics, answer);
			metrics->ops->respond(metrics->owner, w->request, 200, SIO_METRICS_CONTENT_TYPE, text);
		} else {
			const char *why = unhealthy(metrics, answer);
			char *body = g_strdup_printf("%s\n", why ? why : "ok");
			metrics->ops->respond(metrics->owner, w->request, why ? 503 : 200, "text/plain; charset=utf-8", body);
			g_free(body);
		}
		g_free(w);
	}
	g_free(text);
}

void sio_metrics_request(sio_metrics *metrics, void *request, sio_metrics_page page, gint64 now) {
	const char *unavailable = page == SIO_PAGE_HEALTH ? metrics->ops->unavailable(metrics->owner) : NULL;
	if(unavailable != NULL) {
		/* Whatever the plugin says (and while Janus stops, the core passes it nothing). */
		char *body = g_strdup_printf("%s\n", unavailable);
		metrics->ops->respond(metrics->owner, request, 503, "text/plain; charset=utf-8", body);
		g_free(body);
		return;
	}
	waiter *w = g_new0(waiter, 1);
	w->request = request;
	w->page = page;
	g_queue_push_tail(&metrics->waiting, w);
	if(metrics->deadline != 0)
		return;     /* it shares the question in flight */
	json_t *question = sio_probe_ask(metrics->probe);
	metrics->deadline = now + (gint64)metrics->config->plugin_timeout * 1000;
	metrics->ops->janus(metrics->owner, question);
}

void sio_metrics_forget(sio_metrics *metrics, void *request) {
	for(GList *l = metrics->waiting.head; l != NULL; l = l->next) {
		waiter *w = l->data;
		if(w->request == request) {
			g_queue_delete_link(&metrics->waiting, l);
			g_free(w);
			return;
		}
	}
}

void sio_metrics_janus(sio_metrics *metrics, json_t *message) {
	json_t *out = NULL;
	switch(sio_probe_janus(metrics->probe, message, &out)) {
		case SIO_PROBE_IGNORED:
			return;
		case SIO_PROBE_SEND:
			metrics->ops->janus(metrics->owner, out);
			return;
		case SIO_PROBE_ANSWER:
		case SIO_PROBE_FAILED:
			answer_all(metrics, out);
			json_decref(out);
			return;
	}
}

void sio_metrics_session_over(sio_metrics *metrics, guint64 session_id) {
	sio_probe_session_over(metrics->probe, session_id);
}

void sio_metrics_tick(sio_metrics *metrics, gint64 now) {
	if(metrics->deadline == 0 || now < metrics->deadline)
		return;
	sio_probe_abandon(metrics->probe);
	answer_all(metrics, NULL);
}
