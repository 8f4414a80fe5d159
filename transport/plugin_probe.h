/*
 * How the transport asks the plugin for its figures (pure). The plugin's
 * figures (users, calls, media) live in the plugin, another Janus module:
 * the one channel the Janus API gives a transport to a plugin is a session
 * with a handle on it. So the transport keeps a Janus session of its own,
 * with no socket behind it: create, attach to general.plugin, then a
 * { "request": "metrics" } message per question, whose answer (the plugin's
 * metric families and whether it is overloaded) comes back as a plugin
 * event. That the plugin answers at all, through its message thread, is
 * what /healthz reports. The session is made again when Janus drops it
 * (session_timeout between scrapes) or a request fails.
 */
#ifndef SIO_PLUGIN_PROBE_H
#define SIO_PLUGIN_PROBE_H

#include <glib.h>
#include <jansson.h>

typedef struct sio_probe sio_probe;

sio_probe *sio_probe_new(const char *plugin);
void sio_probe_free(sio_probe *probe);

/* A new question: the Janus request to send now (new reference), or NULL
 * when one is on its way already. */
json_t *sio_probe_ask(sio_probe *probe);

typedef enum sio_probe_result {
	SIO_PROBE_IGNORED,      /* not for the question in flight (late, or an interim ack) */
	SIO_PROBE_SEND,         /* *out: the next Janus request to send */
	SIO_PROBE_ANSWER,       /* *out: the plugin's answer (plugindata.data) */
	SIO_PROBE_FAILED,       /* the question failed; *out: NULL */
} sio_probe_result;

/* A Janus message for the probe's session. Takes no reference on message. */
sio_probe_result sio_probe_janus(sio_probe *probe, json_t *message, json_t **out);

/* Janus ended a session: if it was the probe's, the next question makes a new one. */
void sio_probe_session_over(sio_probe *probe, guint64 session_id);

/* Gives up on the question in flight (it took too long): the next question
 * goes out on the same session. */
void sio_probe_abandon(sio_probe *probe);

#endif
