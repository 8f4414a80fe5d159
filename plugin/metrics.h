/*
 * The plugin's figures for Prometheus. The Socket.IO transport serves
 * /metrics, but the figures live here: the transport asks for them with a
 * "metrics" request on a handle of its own (see transport/plugin_probe.h),
 * and the plugin answers with its metric families as data (common/prom.h),
 * which the transport renders beside its own. The media path only bumps
 * atomics (media_counters.h); everything else is read from the engine when asked.
 */
#ifndef OICALL_METRICS_H
#define OICALL_METRICS_H

#include <jansson.h>
#include <janus/plugins/plugin.h>

#include "call_engine.h"
#include "inspect.h"
#include "session.h"

/* Requests waiting for the message thread past which the plugin calls itself overloaded. */
#define OICALL_METRICS_OVERLOADED_QUEUE 1000

void oicall_metrics_init(void);
void oicall_metrics_destroy(void);

/* The media path (any thread, lock-free; the relay counts in media_counters.h). */
/* RTP from a client (its handle's thread): sequence gaps, first packet. */
void oicall_metrics_rtp_in(oicall_session *session, janus_plugin_rtp *packet);
/* RTCP from a client: its keyframe requests (PLI, FIR). */
void oicall_metrics_rtcp_in(janus_plugin_rtcp *packet);
/* A session's PeerConnection came up: its media starts anew. */
void oicall_metrics_media_ready(oicall_session *session);

/* Message thread, engine locked: counts the setup time (accept to media
 * both ways) of calls whose media started flowing (from the handles' first
 * RTP, so looking now and then is enough: a few times a second at most). */
void oicall_metrics_track_calls(oicall_engine *engine, oicall_session_lookup lookup, gint64 now);

/* Engine locked: the answer to "metrics": { metrics: [families], overloaded }
 * (queued: requests waiting for the message thread). */
json_t *oicall_metrics_snapshot(oicall_engine *engine, guint queued);

#endif
