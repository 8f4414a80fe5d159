/*
 * GET /metrics and GET /healthz (pure: the server hands requests in as
 * opaque pointers and answers them through the ops). A request waits for
 * the plugin's answer to one question (plugin_probe.h), asked when the
 * first request comes and shared by every request that arrives meanwhile,
 * for at most metrics.plugin_timeout ms. Then /metrics renders the
 * transport's families, oicall_plugin_up, and the plugin's families;
 * /healthz answers 200 "ok" or 503 with the reason: the transport shutting
 * down or full, the plugin not answering or overloaded.
 */
#ifndef SIO_METRICS_H
#define SIO_METRICS_H

#include <glib.h>
#include <jansson.h>

#include "transport_config.h"

typedef enum sio_metrics_page {
	SIO_PAGE_NONE,
	SIO_PAGE_METRICS,
	SIO_PAGE_HEALTH,
} sio_metrics_page;

#define SIO_METRICS_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

typedef struct sio_metrics_ops {
	/* A Janus API request on the probe's session (takes the reference). */
	void (*janus)(void *owner, json_t *request);
	/* The answer to a request (body is copied). */
	void (*respond)(void *owner, void *request, unsigned int status, const char *content_type, const char *body);
	/* The transport's own families (a new reference). */
	json_t *(*families)(void *owner);
	/* Why the transport itself can't take more clients now, NULL if it can. */
	const char *(*unavailable)(void *owner);
} sio_metrics_ops;

typedef struct sio_metrics sio_metrics;

sio_metrics *sio_metrics_new(const sio_transport_config *config, const sio_metrics_ops *ops, void *owner);
void sio_metrics_free(sio_metrics *metrics);

/* Which page a path is. */
sio_metrics_page sio_metrics_route(const sio_metrics *metrics, const char *path);

/* A request for a page; answered through ops->respond, now or later. */
void sio_metrics_request(sio_metrics *metrics, void *request, sio_metrics_page page, gint64 now);
/* A request whose connection went away before its answer. */
void sio_metrics_forget(sio_metrics *metrics, void *request);

/* A Janus message or session end for the probe's session. */
void sio_metrics_janus(sio_metrics *metrics, json_t *message);
void sio_metrics_session_over(sio_metrics *metrics, guint64 session_id);

/* Answers what waited for the plugin too long. */
void sio_metrics_tick(sio_metrics *metrics, gint64 now);

#endif
