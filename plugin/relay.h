/*
 * The media path of a call: RTP from one session's PeerConnection to its
 * peer's, with sequence numbers and timestamps kept continuous across
 * pauses, and the RTCP that matters (keyframe requests, REMB) back to the
 * source. Runs on the handles' own threads; takes only the sending
 * session's own lock, never a global one.
 */
#ifndef OICALL_RELAY_H
#define OICALL_RELAY_H

#include <janus/plugins/plugin.h>

#include "session.h"

/* a's media to b and b's media to a; NULLs unlink. Plugin thread. */
void oicall_relay_link(oicall_session *a, oicall_session *b);
void oicall_relay_unlink(oicall_session *session);

/* Starts or stops forwarding a session's audio or video (mute). */
void oicall_relay_set_forward(janus_callbacks *gateway, oicall_session *source, int kind, gboolean forward);

/* RTP and RTCP callbacks of a session. */
void oicall_relay_rtp(janus_callbacks *gateway, oicall_session *session, janus_plugin_rtp *packet);
void oicall_relay_rtcp(janus_callbacks *gateway, oicall_session *session, janus_plugin_rtcp *packet,
	guint32 max_bitrate);

/* The session's PeerConnection is up: keyframes for both directions that
 * can flow now, and its own sending bitrate capped if configured. */
void oicall_relay_media_ready(janus_callbacks *gateway, oicall_session *session, guint32 max_bitrate);

#endif
