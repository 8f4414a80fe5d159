/* Stand-ins for the few functions of the janus executable that plugin/relay.c
 * calls, so that a unit test (and tools/bench-fanout) can drive the relay
 * without Janus. They follow a test's own conventions, not Janus's wire
 * formats; see janus_stubs.h. */
#include "janus_stubs.h"

#include "../../plugin/relay.h"

#include <string.h>

#include <janus/debug.h>
#include <janus/rtcp.h>
#include <janus/utils.h>

int janus_log_level = 0;
gboolean janus_log_timestamps = FALSE, janus_log_colors = FALSE;
char *janus_log_global_prefix = NULL;
int lock_debug = 0, refcount_debug = 0;
gint64 stub_now = 1;

void janus_vprintf(const char *format, ...) {
	(void)format;
}

gint64 janus_get_monotonic_time(void) {
	return stub_now;
}

void janus_rtp_switching_context_reset(janus_rtp_switching_context *context) {
	memset(context, 0, sizeof(*context));
}

/* Each context numbers what goes through it 1, 2, 3... (Janus keeps the
 * source's steps and offsets them; what matters here is one context per target). */
void janus_rtp_header_update(janus_rtp_header *header, janus_rtp_switching_context *context, gboolean video, int step) {
	(void)video;
	(void)step;
	context->seq_reset = FALSE;
	context->ts_reset = FALSE;
	context->last_seq++;
	header->seq_number = htons(context->last_seq);
	header->timestamp = htonl(context->last_seq * 3000u);
}

char *janus_rtp_payload(char *buf, int len, int *plen) {
	if(len <= RTP_HEADER_SIZE)
		return NULL;
	*plen = len - RTP_HEADER_SIZE;
	return buf + RTP_HEADER_SIZE;
}

gboolean janus_vp8_is_keyframe(const char *buffer, int len) {
	return len > 0 && buffer[0] == STUB_KEYFRAME;
}

gboolean janus_vp9_is_keyframe(const char *buffer, int len) {
	return janus_vp8_is_keyframe(buffer, len);
}

gboolean janus_h264_is_keyframe(const char *buffer, int len) {
	return janus_vp8_is_keyframe(buffer, len);
}

gboolean janus_rtcp_has_pli(char *packet, int len) {
	return len > 0 && packet[0] == STUB_PLI;
}

gboolean janus_rtcp_has_fir(char *packet, int len) {
	return len > 0 && packet[0] == STUB_FIR;
}

uint32_t janus_rtcp_get_remb(char *packet, int len) {
	uint32_t bitrate = 0;
	if(len >= 5 && packet[0] == STUB_REMB)
		memcpy(&bitrate, packet + 1, sizeof(bitrate));
	return bitrate;
}

int stub_sessions_freed;

static void stub_session_free(const janus_refcount *ref) {
	oicall_session *session = janus_refcount_containerof(ref, oicall_session, ref);
	oicall_relay_clear(session);
	g_free(session->handle);
	g_free(session);
	stub_sessions_freed++;
}

oicall_session *stub_session_new(guint64 id) {
	oicall_session *session = g_new0(oicall_session, 1);
	session->id = id;
	janus_refcount_init(&session->ref, stub_session_free);
	janus_mutex_init(&session->mutex);
	session->handle = g_new0(janus_plugin_session, 1);
	session->handle->plugin_handle = session;
	session->media_ready = 1;
	oicall_relay_init(session);
	return session;
}

void stub_session_done(oicall_session *session) {
	oicall_relay_unlink(session);
	janus_refcount_decrease(&session->ref);
}
