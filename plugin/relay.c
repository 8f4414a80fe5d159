#include "relay.h"

#include <arpa/inet.h>
#include <string.h>

#include <janus/rtcp.h>
#include <janus/utils.h>

#include "metrics.h"

static void forward_free(const janus_refcount *ref) {
	oicall_forward *forward = janus_refcount_containerof(ref, oicall_forward, ref);
	janus_refcount_decrease(&forward->target->ref);
	g_free(forward);
}

void oicall_relay_init(oicall_session *session) {
	for(int i = 0; i < OICALL_MAX_SLOTS; i++)
		session->slots[i].kind = -1;
}

static gboolean valid_mindex(int mindex) {
	return mindex >= 0 && mindex < OICALL_MAX_SLOTS;
}

void oicall_relay_clear(oicall_session *session) {
	for(int i = 0; i < OICALL_MAX_SLOTS; i++) {
		g_free(session->slots[i].id);
		/* Links a race left behind (one made while the other end was being
		 * unlinked on another thread): nobody can reach them any more. */
		if(session->slots[i].forward != NULL)
			janus_refcount_decrease(&session->slots[i].forward->ref);
		if(session->slots[i].source != NULL)
			janus_refcount_decrease(&session->slots[i].source->ref);
	}
}

void oicall_relay_describe(oicall_session *session, int mindex, int kind, const char *codec, const char *id) {
	if(!valid_mindex(mindex))
		return;
	oicall_slot *slot = &session->slots[mindex];
	slot->kind = kind;
	g_strlcpy(slot->codec, codec ? codec : "", sizeof(slot->codec));
	int keyframes = OICALL_KEYFRAMES_UNKNOWN;
	if(codec != NULL && g_ascii_strcasecmp(codec, "vp8") == 0)
		keyframes = OICALL_KEYFRAMES_VP8;
	else if(codec != NULL && g_ascii_strcasecmp(codec, "vp9") == 0)
		keyframes = OICALL_KEYFRAMES_VP9;
	else if(codec != NULL && g_ascii_strcasecmp(codec, "h264") == 0)
		keyframes = OICALL_KEYFRAMES_H264;
	atomic_store(&slot->keyframes, keyframes);
	g_free(slot->id);
	slot->id = g_strdup(id);
}

/* Video that starts or resumes waits for the sender's next keyframe: what
 * comes before it only makes the receiver ask for one itself. */
static void wait_for_keyframe(oicall_forward *forward) {
	if(forward->kind == OICALL_VIDEO)
		atomic_store(&forward->keyframe_wait, janus_get_monotonic_time());
}

/* Where a source m-line goes no more; the target's back link to it goes too.
 * Never two sessions' locks at once: links run both ways. */
static void drop_forward(oicall_session *source, int mindex) {
	janus_mutex_lock(&source->mutex);
	oicall_forward *forward = source->slots[mindex].forward;
	source->slots[mindex].forward = NULL;
	janus_mutex_unlock(&source->mutex);
	if(forward == NULL)
		return;
	oicall_session *target = forward->target;
	janus_mutex_lock(&target->mutex);
	oicall_slot *back = &target->slots[forward->target_mindex];
	gboolean ours = back->source == source && back->source_mindex == mindex;
	if(ours)
		back->source = NULL;
	janus_mutex_unlock(&target->mutex);
	if(ours)
		janus_refcount_decrease(&source->ref);
	janus_refcount_decrease(&forward->ref);
}

/* Who fed a target m-line feeds it no more: the source's forward to it goes too. */
static void drop_source(oicall_session *target, int mindex) {
	janus_mutex_lock(&target->mutex);
	oicall_session *source = target->slots[mindex].source;
	int source_mindex = target->slots[mindex].source_mindex;
	target->slots[mindex].source = NULL;
	janus_mutex_unlock(&target->mutex);
	if(source == NULL)
		return;
	janus_mutex_lock(&source->mutex);
	oicall_forward *forward = source->slots[source_mindex].forward;
	if(forward != NULL && forward->target == target && forward->target_mindex == mindex)
		source->slots[source_mindex].forward = NULL;
	else
		forward = NULL;
	janus_mutex_unlock(&source->mutex);
	if(forward != NULL)
		janus_refcount_decrease(&forward->ref);
	janus_refcount_decrease(&source->ref);
}

void oicall_relay_connect(oicall_session *source, int source_mindex, oicall_session *target, int target_mindex,
		int kind, const int *pt_map, gboolean paused) {
	if(!valid_mindex(source_mindex) || !valid_mindex(target_mindex))
		return;
	/* One forward per source m-line, one source per target m-line: what they
	 * had goes, with the other end's half of it. */
	drop_forward(source, source_mindex);
	drop_source(target, target_mindex);
	oicall_forward *forward = g_new0(oicall_forward, 1);
	janus_refcount_init(&forward->ref, forward_free);
	janus_refcount_increase(&target->ref);
	forward->target = target;
	forward->target_mindex = target_mindex;
	forward->kind = kind;
	for(int pt = 0; pt < 128; pt++)
		forward->pt_map[pt] = pt_map ? pt_map[pt] : pt;
	atomic_init(&forward->paused, paused ? 1 : 0);
	wait_for_keyframe(forward);
	janus_rtp_switching_context_reset(&forward->context);
	janus_mutex_lock(&source->mutex);
	oicall_slot *slot = &source->slots[source_mindex];
	oicall_forward *old = slot->forward;
	slot->kind = kind;
	slot->forward = forward;
	janus_mutex_unlock(&source->mutex);
	if(old != NULL)
		janus_refcount_decrease(&old->ref);
	janus_refcount_increase(&source->ref);
	janus_mutex_lock(&target->mutex);
	oicall_slot *back = &target->slots[target_mindex];
	oicall_session *old_source = back->source;
	back->kind = kind;
	back->source = source;
	back->source_mindex = source_mindex;
	janus_mutex_unlock(&target->mutex);
	if(old_source != NULL)
		janus_refcount_decrease(&old_source->ref);
}

void oicall_relay_unlink_slot(oicall_session *session, int mindex) {
	if(!valid_mindex(mindex))
		return;
	drop_forward(session, mindex);
	drop_source(session, mindex);
}

void oicall_relay_forget(oicall_session *session, int mindex) {
	if(!valid_mindex(mindex))
		return;
	oicall_relay_unlink_slot(session, mindex);
	oicall_slot *slot = &session->slots[mindex];
	janus_mutex_lock(&session->mutex);
	slot->kind = -1;
	janus_mutex_unlock(&session->mutex);
	slot->codec[0] = '\0';
	atomic_store(&slot->keyframes, OICALL_KEYFRAMES_UNKNOWN);
	g_clear_pointer(&slot->id, g_free);
	/* An m-line taken over later starts unmuted and with its own counters. */
	atomic_store(&slot->paused, 0);
	atomic_store(&slot->packets_in, 0);
	atomic_store(&slot->bytes_in, 0);
	atomic_store(&slot->ssrc_in, 0);
	atomic_store(&slot->last_packet_us, 0);
}

void oicall_relay_unlink(oicall_session *session) {
	for(int i = 0; i < OICALL_MAX_SLOTS; i++)
		oicall_relay_unlink_slot(session, i);
}

/* The forward of an m-line, with a reference; NULL if none. */
static oicall_forward *forward_of(oicall_session *session, int mindex) {
	if(!valid_mindex(mindex))
		return NULL;
	janus_mutex_lock(&session->mutex);
	oicall_forward *forward = session->slots[mindex].forward;
	if(forward != NULL)
		janus_refcount_increase(&forward->ref);
	janus_mutex_unlock(&session->mutex);
	return forward;
}

/* Who feeds an m-line, with a reference; NULL if nobody. */
static oicall_session *source_of(oicall_session *session, int mindex, int *source_mindex) {
	if(!valid_mindex(mindex))
		return NULL;
	janus_mutex_lock(&session->mutex);
	oicall_session *source = session->slots[mindex].source;
	if(source != NULL) {
		janus_refcount_increase(&source->ref);
		*source_mindex = session->slots[mindex].source_mindex;
	}
	janus_mutex_unlock(&session->mutex);
	return source;
}

static void keyframe(janus_callbacks *gateway, oicall_session *source, int mindex) {
	if(g_atomic_int_get(&source->media_ready) && !g_atomic_int_get(&source->destroyed) &&
			source->slots[mindex].kind == OICALL_VIDEO) {
		gateway->send_pli_stream(source->handle, mindex);
		oicall_metrics_gateway_keyframe_request();
	}
}

void oicall_relay_pause_source(janus_callbacks *gateway, oicall_session *session, int mindex, gboolean paused) {
	if(!valid_mindex(mindex))
		return;
	int was = atomic_exchange(&session->slots[mindex].paused, paused ? 1 : 0);
	if(!paused && was) {
		/* Resume where the receiver left off, and with a keyframe. */
		oicall_forward *forward = forward_of(session, mindex);
		if(forward != NULL) {
			atomic_store(&forward->resume, 1);
			wait_for_keyframe(forward);
			janus_refcount_decrease(&forward->ref);
		}
		keyframe(gateway, session, mindex);
	}
}

void oicall_relay_pause_forward(janus_callbacks *gateway, oicall_session *source, int mindex, gboolean paused) {
	oicall_forward *forward = forward_of(source, mindex);
	if(forward == NULL)
		return;
	int was = atomic_exchange(&forward->paused, paused ? 1 : 0);
	if(!paused && was) {
		atomic_store(&forward->resume, 1);
		wait_for_keyframe(forward);
		keyframe(gateway, source, mindex);
	}
	janus_refcount_decrease(&forward->ref);
}

/* While a forward waits for a keyframe, the sender is asked again this often;
 * after the longest wait what comes goes anyway (a keyframe it can't tell). */
#define KEYFRAME_RETRY_US (500 * 1000)
#define KEYFRAME_WAIT_MAX_US (3 * G_USEC_PER_SEC)

static gboolean is_keyframe(int keyframes, janus_plugin_rtp *packet) {
	if(keyframes == OICALL_KEYFRAMES_UNKNOWN)
		return TRUE;
	int len = 0;
	char *payload = janus_rtp_payload(packet->buffer, packet->length, &len);
	if(payload == NULL || len <= 0)
		return FALSE;
	if(keyframes == OICALL_KEYFRAMES_VP8)
		return janus_vp8_is_keyframe(payload, len);
	if(keyframes == OICALL_KEYFRAMES_VP9)
		return janus_vp9_is_keyframe(payload, len);
	return janus_h264_is_keyframe(payload, len);
}

/* Whether a packet of the source's m-line may go through the forward now. */
static gboolean keyframe_reached(janus_callbacks *gateway, oicall_session *source, int mindex, oicall_forward *forward,
		janus_plugin_rtp *packet) {
	gint64 since = atomic_load_explicit(&forward->keyframe_wait, memory_order_relaxed);
	if(since == 0)
		return TRUE;
	gint64 now = janus_get_monotonic_time();
	if(is_keyframe(atomic_load_explicit(&source->slots[mindex].keyframes, memory_order_relaxed), packet) ||
			now - since >= KEYFRAME_WAIT_MAX_US) {
		/* Unless a new wait began meanwhile. */
		atomic_compare_exchange_strong(&forward->keyframe_wait, &since, 0);
		return TRUE;
	}
	if(now - MAX(since, forward->last_pli_us) >= KEYFRAME_RETRY_US) {
		forward->last_pli_us = now;
		keyframe(gateway, source, mindex);
	}
	return FALSE;
}

void oicall_relay_rtp(janus_callbacks *gateway, oicall_session *session, janus_plugin_rtp *packet) {
	if(!valid_mindex(packet->mindex) || packet->length < RTP_HEADER_SIZE)
		return;
	oicall_slot *slot = &session->slots[packet->mindex];
	janus_rtp_header *header = (janus_rtp_header *)packet->buffer;
	atomic_fetch_add_explicit(&slot->packets_in, 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&slot->bytes_in, packet->length, memory_order_relaxed);
	atomic_store_explicit(&slot->last_packet_us, janus_get_monotonic_time(), memory_order_relaxed);
	atomic_store_explicit(&slot->ssrc_in, ntohl(header->ssrc), memory_order_relaxed);
	if(atomic_load_explicit(&slot->paused, memory_order_relaxed))
		return;
	oicall_forward *forward = forward_of(session, packet->mindex);
	if(forward == NULL)
		return;
	oicall_session *target = forward->target;
	int pt = forward->pt_map[header->type];
	if(pt >= 0 && !atomic_load_explicit(&forward->paused, memory_order_relaxed) &&
			!g_atomic_int_get(&target->destroyed) && g_atomic_int_get(&target->media_ready) &&
			keyframe_reached(gateway, session, packet->mindex, forward, packet)) {
		/* The core keeps statistics on the original header: restore it after. */
		uint32_t timestamp = header->timestamp;
		uint16_t seq = header->seq_number;
		int type = header->type, mindex = packet->mindex;
		if(atomic_exchange(&forward->resume, 0)) {
			forward->context.seq_reset = TRUE;
			forward->context.ts_reset = TRUE;
		}
		janus_rtp_header_update(header, &forward->context, packet->video, 0);
		header->type = pt;
		packet->mindex = forward->target_mindex;
		gateway->relay_rtp(target->handle, packet);
		packet->mindex = mindex;
		header->type = type;
		header->timestamp = timestamp;
		header->seq_number = seq;
		atomic_fetch_add_explicit(&forward->packets, 1, memory_order_relaxed);
		atomic_fetch_add_explicit(&forward->bytes, packet->length, memory_order_relaxed);
		oicall_metrics_relayed(forward->kind, packet->length);
	}
	janus_refcount_decrease(&forward->ref);
}

/* Keyframes from whoever feeds this session's video m-lines. */
static void keyframes_for(janus_callbacks *gateway, oicall_session *session) {
	for(int mindex = 0; mindex < OICALL_MAX_SLOTS; mindex++) {
		if(session->slots[mindex].kind != OICALL_VIDEO)
			continue;
		int source_mindex = 0;
		oicall_session *source = source_of(session, mindex, &source_mindex);
		if(source != NULL) {
			keyframe(gateway, source, source_mindex);
			janus_refcount_decrease(&source->ref);
		}
	}
}

void oicall_relay_rtcp(janus_callbacks *gateway, oicall_session *session, janus_plugin_rtcp *packet,
		guint32 max_bitrate) {
	/* The core names the m-line of a compound packet after its first report
	 * block, often the audio one even when it carries a video PLI: a 1:1 call
	 * has one video stream per direction, so any keyframe request is for it. */
	if(janus_rtcp_has_pli(packet->buffer, packet->length) || janus_rtcp_has_fir(packet->buffer, packet->length))
		keyframes_for(gateway, session);
	int source_mindex = 0;
	oicall_session *source = source_of(session, packet->mindex, &source_mindex);
	if(source == NULL)
		return;
	if(!g_atomic_int_get(&source->destroyed) && g_atomic_int_get(&source->media_ready)) {
		/* What this session's client says about what it receives goes to that media's sender. */
		guint32 bitrate = janus_rtcp_get_remb(packet->buffer, packet->length);
		if(bitrate > 0)
			gateway->send_remb(source->handle, max_bitrate > 0 ? MIN(bitrate, max_bitrate) : bitrate);
	}
	janus_refcount_decrease(&source->ref);
}

void oicall_relay_media_ready(janus_callbacks *gateway, oicall_session *session, guint32 max_bitrate) {
	if(max_bitrate > 0)
		gateway->send_remb(session->handle, max_bitrate);
	/* Whichever PeerConnection comes up second, every flow that can start now
	 * starts on a keyframe: what was sent before the receiver was ready is lost. */
	for(int mindex = 0; mindex < OICALL_MAX_SLOTS; mindex++) {
		int source_mindex = 0;
		oicall_session *source = source_of(session, mindex, &source_mindex);
		if(source != NULL) {
			oicall_forward *incoming = forward_of(source, source_mindex);
			if(incoming != NULL && incoming->target == session)
				wait_for_keyframe(incoming);
			if(incoming != NULL)
				janus_refcount_decrease(&incoming->ref);
			keyframe(gateway, source, source_mindex);
			janus_refcount_decrease(&source->ref);
		}
		oicall_forward *forward = forward_of(session, mindex);
		if(forward != NULL) {
			if(g_atomic_int_get(&forward->target->media_ready) && !atomic_load(&forward->paused))
				keyframe(gateway, session, mindex);
			janus_refcount_decrease(&forward->ref);
		}
	}
}
