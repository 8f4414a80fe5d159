/*
 * The media path: RTP from an m-line of one handle's PeerConnection to
 * m-lines of others (a producer fanned out to up to OICALL_MAX_FORWARDS
 * consumers, each with a forward of its own), with payload types mapped,
 * sequence numbers and timestamps kept continuous across pauses, and the RTCP
 * that matters back to the source: any consumer's keyframe request
 * (rate-limited), the lowest of their REMBs. Runs on the handles' own threads;
 * takes only the sending session's own lock, never a global one.
 */
#ifndef OICALL_RELAY_H
#define OICALL_RELAY_H

#include <janus/plugins/plugin.h>

#include "session.h"

void oicall_relay_init(oicall_session *session);
void oicall_relay_clear(oicall_session *session);

/* Plugin thread: what an m-line carries, for keyframe requests and the Admin API. */
void oicall_relay_describe(oicall_session *session, int mindex, int kind, const char *codec, const char *id);

/* Plugin thread: source's m-line goes to target's m-line too, replacing
 * whatever fed the target's m-line (a forward from source to it included);
 * its other consumers keep theirs. pt_map NULL: payload types pass unchanged.
 * A paused forward waits for resume. FALSE if the m-line has
 * OICALL_MAX_FORWARDS consumers already. */
gboolean oicall_relay_connect(oicall_session *source, int source_mindex, oicall_session *target, int target_mindex,
	int kind, const int *pt_map, gboolean paused);
/* Drops every link from and to this session's m-lines, on both ends. */
void oicall_relay_unlink(oicall_session *session);
/* Plugin thread: the same for one m-line (all it feeds and what feeds it): on
 * a consumer's m-line, only that consumer's forward goes. */
void oicall_relay_unlink_slot(oicall_session *session, int mindex);
/* Plugin thread: an m-line no longer used (a closed producer or consumer):
 * unlinked, undescribed, unmuted, its counters reset for whatever takes it over. */
void oicall_relay_forget(oicall_session *session, int mindex);

/* What the client sends on an m-line is muted or not (mute-audio/video). */
void oicall_relay_pause_source(janus_callbacks *gateway, oicall_session *session, int mindex, gboolean paused);
/* The forward from source's m-line to target's waits or flows (a consumer
 * paused or resumed); resuming asks for a keyframe, which only it waits for. */
void oicall_relay_pause_forward(janus_callbacks *gateway, oicall_session *source, int mindex,
	oicall_session *target, int target_mindex, gboolean paused);

/* RTP and RTCP callbacks of a session. */
void oicall_relay_rtp(janus_callbacks *gateway, oicall_session *session, janus_plugin_rtp *packet);
/* loss_playout_ms: the playout-delay floor for video receivers on a lossy
 * path, 0 = none; resend_gap_ms: what heavy loss adds to it (playout.h). */
void oicall_relay_rtcp(janus_callbacks *gateway, oicall_session *session, janus_plugin_rtcp *packet,
	guint32 max_bitrate, guint loss_playout_ms, guint resend_gap_ms);

/* The session's PeerConnection is up: keyframes for both directions that
 * can flow now, and its own sending bitrate capped if configured. */
void oicall_relay_media_ready(janus_callbacks *gateway, oicall_session *session, guint32 max_bitrate);

#endif
