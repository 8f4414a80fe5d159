#include "relay.h"

#include <arpa/inet.h>

#include <janus/rtcp.h>
#include <janus/utils.h>

/* Takes a reference on the linked session, or returns NULL. */
static oicall_session *linked(oicall_session *session, gboolean to) {
	janus_mutex_lock(&session->mutex);
	oicall_session *other = to ? session->to : session->from;
	if(other != NULL)
		janus_refcount_increase(&other->ref);
	janus_mutex_unlock(&session->mutex);
	return other;
}

static void set_link(oicall_session *session, oicall_session *to, oicall_session *from) {
	if(to)
		janus_refcount_increase(&to->ref);
	if(from)
		janus_refcount_increase(&from->ref);
	janus_mutex_lock(&session->mutex);
	oicall_session *old_to = session->to, *old_from = session->from;
	session->to = to;
	session->from = from;
	janus_mutex_unlock(&session->mutex);
	if(old_to)
		janus_refcount_decrease(&old_to->ref);
	if(old_from)
		janus_refcount_decrease(&old_from->ref);
}

void oicall_relay_link(oicall_session *a, oicall_session *b) {
	for(int kind = 0; kind < 2; kind++) {
		atomic_store(&a->forward[kind], 1);
		atomic_store(&b->forward[kind], 1);
	}
	set_link(a, b, b);
	set_link(b, a, a);
}

void oicall_relay_unlink(oicall_session *session) {
	set_link(session, NULL, NULL);
}

void oicall_relay_set_forward(janus_callbacks *gateway, oicall_session *source, int kind, gboolean forward) {
	int was = atomic_exchange(&source->forward[kind], forward ? 1 : 0);
	if(forward && !was) {
		/* Resume where the receiver left off, and with a keyframe. */
		atomic_store(&source->resume[kind], 1);
		if(kind == OICALL_VIDEO && g_atomic_int_get(&source->media_ready))
			gateway->send_pli(source->handle);
	}
}

void oicall_relay_rtp(janus_callbacks *gateway, oicall_session *session, janus_plugin_rtp *packet) {
	int kind = packet->video ? OICALL_VIDEO : OICALL_AUDIO;
	atomic_fetch_add_explicit(&session->packets_in[kind], 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&session->bytes_in[kind], packet->length, memory_order_relaxed);
	atomic_store_explicit(&session->last_packet_us[kind], janus_get_monotonic_time(), memory_order_relaxed);
	if(packet->length >= sizeof(janus_rtp_header))
		atomic_store_explicit(&session->ssrc_in[kind], ntohl(((janus_rtp_header *)packet->buffer)->ssrc),
			memory_order_relaxed);
	if(!atomic_load_explicit(&session->forward[kind], memory_order_relaxed))
		return;
	oicall_session *peer = linked(session, TRUE);
	if(peer == NULL)
		return;
	if(!g_atomic_int_get(&peer->destroyed) && g_atomic_int_get(&peer->media_ready) &&
			packet->length >= sizeof(janus_rtp_header)) {
		janus_rtp_header *header = (janus_rtp_header *)packet->buffer;
		/* The core keeps statistics on the original header: restore it after. */
		uint32_t timestamp = header->timestamp;
		uint16_t seq = header->seq_number;
		janus_rtp_switching_context *context = &session->context[kind];
		if(atomic_exchange(&session->resume[kind], 0)) {
			context->seq_reset = TRUE;
			context->ts_reset = TRUE;
		}
		janus_rtp_header_update(header, context, packet->video, 0);
		gateway->relay_rtp(peer->handle, packet);
		header->timestamp = timestamp;
		header->seq_number = seq;
		atomic_fetch_add_explicit(&session->packets_out[kind], 1, memory_order_relaxed);
		atomic_fetch_add_explicit(&session->bytes_out[kind], packet->length, memory_order_relaxed);
	}
	janus_refcount_decrease(&peer->ref);
}

void oicall_relay_rtcp(janus_callbacks *gateway, oicall_session *session, janus_plugin_rtcp *packet,
		guint32 max_bitrate) {
	oicall_session *source = linked(session, FALSE);
	if(source == NULL)
		return;
	if(!g_atomic_int_get(&source->destroyed) && g_atomic_int_get(&source->media_ready)) {
		/* What this session's client says about the media it receives goes to that media's sender. */
		if(janus_rtcp_has_pli(packet->buffer, packet->length) || janus_rtcp_has_fir(packet->buffer, packet->length))
			gateway->send_pli(source->handle);
		guint32 bitrate = janus_rtcp_get_remb(packet->buffer, packet->length);
		if(bitrate > 0)
			gateway->send_remb(source->handle, max_bitrate > 0 ? MIN(bitrate, max_bitrate) : bitrate);
	}
	janus_refcount_decrease(&source->ref);
}

void oicall_relay_media_ready(janus_callbacks *gateway, oicall_session *session, guint32 max_bitrate) {
	if(max_bitrate > 0)
		gateway->send_remb(session->handle, max_bitrate);
	/* Whichever PeerConnection comes up second, both directions start on a
	 * keyframe: what was sent before the receiver was ready is lost. */
	oicall_session *source = linked(session, FALSE);
	if(source != NULL) {
		if(g_atomic_int_get(&source->media_ready))
			gateway->send_pli(source->handle);
		janus_refcount_decrease(&source->ref);
	}
	oicall_session *receiver = linked(session, TRUE);
	if(receiver != NULL) {
		if(g_atomic_int_get(&receiver->media_ready))
			gateway->send_pli(session->handle);
		janus_refcount_decrease(&receiver->ref);
	}
}
