#include "relay.h"

#include <arpa/inet.h>
#include <string.h>

#include <janus/rtcp.h>
#include <janus/utils.h>

#include "media_counters.h"
#include "red.h"

/* A forward holds its two sessions until its last reference goes. */
static void forward_release(oicall_forward *forward) {
	janus_refcount_decrease(&forward->source->ref);
	janus_refcount_decrease(&forward->target->ref);
}

void oicall_relay_init(oicall_session *session) {
	for(int i = 0; i < OICALL_MAX_SLOTS; i++) {
		session->slots[i].kind = -1;
		oicall_playout_init(&session->slots[i].playout);
	}
}

static gboolean valid_mindex(int mindex) {
	return mindex >= 0 && mindex < OICALL_MAX_SLOTS;
}

void oicall_relay_clear(oicall_session *session) {
	for(int i = 0; i < OICALL_MAX_SLOTS; i++) {
		g_free(session->slots[i].id);
		g_free(session->slots[i].holes);
		/* Links a race left behind (one made while the other end was being
		 * unlinked on another thread): nobody can reach them any more. */
		oicall_fanout_unref(session->slots[i].forwards);
		oicall_forward_unref(session->slots[i].incoming);
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

/* A forward's target m-line is fed by it no more. */
static void drop_incoming(oicall_forward *forward) {
	oicall_session *target = forward->target;
	janus_mutex_lock(&target->mutex);
	oicall_slot *back = &target->slots[forward->target_mindex];
	gboolean ours = back->incoming == forward;
	if(ours)
		back->incoming = NULL;
	janus_mutex_unlock(&target->mutex);
	if(ours)
		oicall_forward_unref(forward);
}

/* Where a source m-line goes no more, all of it; the targets' back links go too.
 * Never two sessions' locks at once: links run both ways. */
static void drop_forwards(oicall_session *source, int mindex) {
	janus_mutex_lock(&source->mutex);
	oicall_fanout *set = source->slots[mindex].forwards;
	source->slots[mindex].forwards = NULL;
	janus_mutex_unlock(&source->mutex);
	for(guint i = 0; set != NULL && i < set->len; i++)
		drop_incoming(set->forwards[i]);
	oicall_fanout_unref(set);
}

/* A forward out of its source's set (the other consumers of that m-line keep theirs). */
static void drop_from_source(oicall_forward *forward) {
	oicall_session *source = forward->source;
	janus_mutex_lock(&source->mutex);
	oicall_slot *slot = &source->slots[forward->source_mindex];
	oicall_fanout *old = NULL;
	if(oicall_fanout_has(slot->forwards, forward)) {
		old = slot->forwards;
		slot->forwards = oicall_fanout_without(old, forward);
	}
	janus_mutex_unlock(&source->mutex);
	oicall_fanout_unref(old);
}

/* Who fed a target m-line feeds it no more: that one forward goes from its source. */
static void drop_source(oicall_session *target, int mindex) {
	janus_mutex_lock(&target->mutex);
	oicall_forward *forward = target->slots[mindex].incoming;
	target->slots[mindex].incoming = NULL;
	janus_mutex_unlock(&target->mutex);
	if(forward == NULL)
		return;
	drop_from_source(forward);
	oicall_forward_unref(forward);
}

gboolean oicall_relay_connect(oicall_session *source, int source_mindex, oicall_session *target, int target_mindex,
		int kind, const int *pt_map, gboolean paused) {
	if(!valid_mindex(source_mindex) || !valid_mindex(target_mindex))
		return FALSE;
	/* One source per target m-line: what fed it goes (a forward from this
	 * same m-line to it included), with the other end's half of it. */
	drop_source(target, target_mindex);
	oicall_forward *forward = oicall_forward_new(forward_release, kind, pt_map, paused);
	janus_refcount_increase(&source->ref);
	forward->source = source;
	forward->source_mindex = source_mindex;
	janus_refcount_increase(&target->ref);
	forward->target = target;
	forward->target_mindex = target_mindex;
	oicall_forward_wait_keyframe(forward, janus_get_monotonic_time());
	janus_rtp_switching_context_reset(&forward->context);
	janus_mutex_lock(&source->mutex);
	oicall_slot *slot = &source->slots[source_mindex];
	oicall_fanout *old = slot->forwards, *set = oicall_fanout_with(old, forward);
	if(set != NULL) {
		slot->kind = kind;
		slot->forwards = set;
	}
	janus_mutex_unlock(&source->mutex);
	if(set == NULL) {
		JANUS_LOG(LOG_WARN, "[oicall] session %"SCNu64": m-line %d already feeds %d consumers\n",
			source->id, source_mindex, OICALL_MAX_FORWARDS);
		oicall_forward_unref(forward);
		return FALSE;
	}
	/* A forward to the same target m-line that a race left in the set is replaced:
	 * its back link, if any, goes below. */
	oicall_fanout_unref(old);
	janus_mutex_lock(&target->mutex);
	oicall_slot *back = &target->slots[target_mindex];
	oicall_forward *old_incoming = back->incoming;
	back->kind = kind;
	back->incoming = oicall_forward_ref(forward);
	janus_mutex_unlock(&target->mutex);
	if(old_incoming != NULL) {
		/* Linked meanwhile on another thread: only one feeds a target m-line. */
		drop_from_source(old_incoming);
		oicall_forward_unref(old_incoming);
	}
	oicall_forward_unref(forward);
	return TRUE;
}

void oicall_relay_unlink_slot(oicall_session *session, int mindex) {
	if(!valid_mindex(mindex))
		return;
	drop_forwards(session, mindex);
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
	atomic_store(&slot->pt_in, 0);
	atomic_store(&slot->last_packet_us, 0);
	atomic_store(&slot->keyframe_asks.held, 0);
	/* A new stream: the receiver's browser has no floor for it yet. What the
	 * RTCP thread counts starts afresh at the new stream's SSRC. */
	atomic_store(&slot->playout.floor_ms, -1);
	atomic_store(&slot->playout.loss, 0);
}

void oicall_relay_unlink(oicall_session *session) {
	for(int i = 0; i < OICALL_MAX_SLOTS; i++)
		oicall_relay_unlink_slot(session, i);
}

/* The forwards of an m-line, with a reference; NULL if none. */
static oicall_fanout *forwards_of(oicall_session *session, int mindex) {
	if(!valid_mindex(mindex))
		return NULL;
	janus_mutex_lock(&session->mutex);
	oicall_fanout *set = session->slots[mindex].forwards;
	if(set != NULL)
		oicall_fanout_ref(set);
	janus_mutex_unlock(&session->mutex);
	return set;
}

/* What feeds an m-line, with a reference; NULL if nothing. */
static oicall_forward *incoming_of(oicall_session *session, int mindex) {
	if(!valid_mindex(mindex))
		return NULL;
	janus_mutex_lock(&session->mutex);
	oicall_forward *forward = session->slots[mindex].incoming;
	if(forward != NULL)
		oicall_forward_ref(forward);
	janus_mutex_unlock(&session->mutex);
	return forward;
}

/* Keyframe requests for one source m-line, however many of its consumers
 * ask, go out at most this often; one asked for sooner is held until then.
 * Chromium ignores a request that comes within 300 ms of the last one it
 * acted on (libwebrtc's EncoderRtcpFeedback): sent sooner, it would be lost,
 * and a receiver whose PeerConnection came up just after its resume-consumer
 * asked waited for the keyframe wait's next retry, half a second later. */
#define KEYFRAME_REQUEST_GAP_US (350 * 1000)
/* The playout-delay extension's maximum, in 10 ms: a browser's own default (10 s). */
#define PLAYOUT_DELAY_MAX 1000

static gboolean keyframe_source(oicall_session *source, int mindex) {
	return g_atomic_int_get(&source->media_ready) && !g_atomic_int_get(&source->destroyed) &&
		source->slots[mindex].kind == OICALL_VIDEO;
}

static void send_keyframe_request(janus_callbacks *gateway, oicall_session *source, int mindex, oicall_keyframe_reason why) {
	gateway->send_pli_stream(source->handle, mindex);
	oicall_count_keyframe_request(why);
}

/* A request that goes now is counted for its reason; one held goes, and is counted, as the gateway's. */
static void keyframe_because(janus_callbacks *gateway, oicall_session *source, int mindex, oicall_keyframe_reason why) {
	if(keyframe_source(source, mindex) &&
			oicall_keyframe_ask(&source->slots[mindex].keyframe_asks, janus_get_monotonic_time(), KEYFRAME_REQUEST_GAP_US))
		send_keyframe_request(gateway, source, mindex, why);
}

static void keyframe(janus_callbacks *gateway, oicall_session *source, int mindex) {
	keyframe_because(gateway, source, mindex, OICALL_KEYFRAME_START);
}

/* Requests for loss no retransmission repaired, for one source m-line, go out
 * at most this often, whoever saw the loss (the source's RTP thread or a
 * receiver's RTCP): the keyframe asked for repairs all that was lost before it. */
#define LOSS_KEYFRAME_GAP_US (400 * 1000)

static gboolean keyframe_for_loss(janus_callbacks *gateway, oicall_session *source, int mindex, gint64 now) {
	if(!oicall_rate_take(&source->slots[mindex].last_loss_pli_us, now, LOSS_KEYFRAME_GAP_US))
		return FALSE;
	keyframe_because(gateway, source, mindex, OICALL_KEYFRAME_LOSS);
	return TRUE;
}

void oicall_relay_pause_source(janus_callbacks *gateway, oicall_session *session, int mindex, gboolean paused) {
	if(!valid_mindex(mindex))
		return;
	int was = atomic_exchange(&session->slots[mindex].paused, paused ? 1 : 0);
	if(!paused && was) {
		/* Every consumer resumes where it left off, and with a keyframe. */
		oicall_fanout *set = forwards_of(session, mindex);
		gint64 now = janus_get_monotonic_time();
		for(guint i = 0; set != NULL && i < set->len; i++)
			oicall_forward_resume(set->forwards[i], now);
		oicall_fanout_unref(set);
		keyframe(gateway, session, mindex);
	}
}

void oicall_relay_pause_forward(janus_callbacks *gateway, oicall_session *source, int mindex,
		oicall_session *target, int target_mindex, gboolean paused) {
	oicall_fanout *set = forwards_of(source, mindex);
	oicall_forward *forward = oicall_fanout_find(set, target, target_mindex);
	if(forward != NULL) {
		int was = atomic_exchange(&forward->paused, paused ? 1 : 0);
		if(!paused && was) {
			/* Only this consumer waits for the keyframe it asks for; one asked for
			 * before its PeerConnection is up would be lost, and would hold back
			 * (by the gap) the request that comes when it is. */
			oicall_forward_resume(forward, janus_get_monotonic_time());
			if(g_atomic_int_get(&target->media_ready))
				keyframe(gateway, source, mindex);
		}
	}
	oicall_fanout_unref(set);
}

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

/* The packet to one target, with that target's payload type, m-line and
 * sequence/timestamp continuity. The core copies the buffer before relay_rtp
 * returns (janus_ice_relay_rtp), so the header is put back for the next
 * target and for the core's statistics on what came in. */
static void send_to(janus_callbacks *gateway, oicall_forward *forward, int pt, janus_plugin_rtp *packet) {
	janus_rtp_header *header = (janus_rtp_header *)packet->buffer;
	uint32_t timestamp = header->timestamp, ssrc = header->ssrc;
	uint16_t seq = header->seq_number;
	int type = header->type, mindex = packet->mindex;
	if(atomic_exchange(&forward->resume, 0)) {
		forward->context.seq_reset = TRUE;
		forward->context.ts_reset = TRUE;
	}
	janus_rtp_header_update(header, &forward->context, packet->video, 0);
	header->type = pt;
	packet->mindex = forward->target_mindex;
	int floor = packet->video ? atomic_load_explicit(&forward->target->slots[forward->target_mindex].playout.floor_ms,
		memory_order_relaxed) : -1;
	int16_t min_delay = packet->extensions.min_delay, max_delay = packet->extensions.max_delay;
	if(floor >= 0) {
		/* In 10 ms; no maximum of our own (10 s, a browser's default). */
		packet->extensions.min_delay = floor / 10;
		packet->extensions.max_delay = PLAYOUT_DELAY_MAX;
	}
	gateway->relay_rtp(forward->target->handle, packet);
	packet->extensions.min_delay = min_delay;
	packet->extensions.max_delay = max_delay;
	packet->mindex = mindex;
	header->type = type;
	header->ssrc = ssrc;
	header->timestamp = timestamp;
	header->seq_number = seq;
	atomic_fetch_add_explicit(&forward->packets, 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&forward->bytes, packet->length, memory_order_relaxed);
	atomic_store_explicit(&forward->pt_out, pt, memory_order_relaxed);
	oicall_count_relayed(forward->kind, packet->length);
}

/* A sender's RED packet as plain Opus (its primary block), made once per
 * packet for every target without RED. Audio packets are far smaller than
 * the buffer; a larger one is not unwrapped. */
typedef struct unwrapped {
	gboolean done;
	janus_plugin_rtp rtp;       /* length 0: malformed, it goes nowhere */
	int primary_pt;
	char buffer[1500];
} unwrapped;

static void send_unwrapped(janus_callbacks *gateway, oicall_forward *forward, janus_plugin_rtp *packet, unwrapped *plain) {
	if(!plain->done) {
		plain->done = TRUE;
		plain->rtp = *packet;
		plain->rtp.buffer = plain->buffer;
		plain->rtp.length = packet->length <= sizeof(plain->buffer) ? (uint16_t)oicall_red_unwrap(
			(const guint8 *)packet->buffer, packet->length, (guint8 *)plain->buffer, &plain->primary_pt) : 0;
	}
	int pt = plain->rtp.length > 0 ? forward->pt_map[plain->primary_pt] : -1;
	if(pt >= 0 && pt < 128)
		send_to(gateway, forward, pt, &plain->rtp);
}

void oicall_relay_rtp(janus_callbacks *gateway, oicall_session *session, janus_plugin_rtp *packet) {
	if(!valid_mindex(packet->mindex) || packet->length < RTP_HEADER_SIZE)
		return;
	oicall_slot *slot = &session->slots[packet->mindex];
	janus_rtp_header *header = (janus_rtp_header *)packet->buffer;
	gint64 now = janus_get_monotonic_time();
	atomic_fetch_add_explicit(&slot->packets_in, 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&slot->bytes_in, packet->length, memory_order_relaxed);
	atomic_store_explicit(&slot->last_packet_us, now, memory_order_relaxed);
	atomic_store_explicit(&slot->ssrc_in, ntohl(header->ssrc), memory_order_relaxed);
	atomic_store_explicit(&slot->pt_in, header->type, memory_order_relaxed);
	/* The source's own packets are the clock for a held keyframe request. */
	if(oicall_keyframe_due(&slot->keyframe_asks, now, KEYFRAME_REQUEST_GAP_US) && keyframe_source(session, packet->mindex))
		send_keyframe_request(gateway, session, packet->mindex, OICALL_KEYFRAME_START);
	if(atomic_load_explicit(&slot->paused, memory_order_relaxed))
		return;
	oicall_fanout *set = forwards_of(session, packet->mindex);
	if(set == NULL)
		return;
	int keyframes = atomic_load_explicit(&slot->keyframes, memory_order_relaxed);
	int keyframe_here = -1;     /* parsed once, and only if needed */
	if(slot->kind == OICALL_VIDEO && keyframes != OICALL_KEYFRAMES_UNKNOWN) {
		/* A hole no retransmission filled: every receiver misses that frame. */
		keyframe_here = is_keyframe(keyframes, packet);
		if(slot->holes == NULL)
			slot->holes = g_new0(oicall_holes, 1);
		oicall_holes_packet(slot->holes, ntohl(header->ssrc), ntohs(header->seq_number), keyframe_here, now);
		if(oicall_holes_unrepaired(slot->holes, now) && keyframe_for_loss(gateway, session, packet->mindex, now))
			oicall_holes_clear(slot->holes);
	}
	int type = header->type;
	unwrapped plain;    /* not zeroed: its buffer is only written if a target needs it */
	plain.done = FALSE;
	for(guint i = 0; i < set->len; i++) {
		oicall_forward *forward = set->forwards[i];
		oicall_session *target = forward->target;
		int pt = forward->pt_map[type];
		if(pt < 0 || atomic_load_explicit(&forward->paused, memory_order_relaxed) ||
				g_atomic_int_get(&target->destroyed) || !g_atomic_int_get(&target->media_ready))
			continue;
		if(oicall_forward_waiting(forward)) {
			if(keyframe_here < 0)
				keyframe_here = is_keyframe(keyframes, packet);
			oicall_gate gate = oicall_forward_gate(forward, keyframe_here, now);
			if(gate == OICALL_GATE_ASK)
				keyframe(gateway, session, packet->mindex);
			if(gate != OICALL_GATE_PASS)
				continue;
		}
		if(pt == OICALL_PT_UNWRAP_RED)
			send_unwrapped(gateway, forward, packet, &plain);
		else
			send_to(gateway, forward, pt, packet);
	}
	oicall_fanout_unref(set);
}

/* Keyframes from whoever feeds this session's video m-lines. */
static void keyframes_for(janus_callbacks *gateway, oicall_session *session) {
	for(int mindex = 0; mindex < OICALL_MAX_SLOTS; mindex++) {
		if(session->slots[mindex].kind != OICALL_VIDEO)
			continue;
		oicall_forward *incoming = incoming_of(session, mindex);
		if(incoming != NULL) {
			keyframe(gateway, incoming->source, incoming->source_mindex);
			oicall_forward_unref(incoming);
		}
	}
}

void oicall_relay_rtcp(janus_callbacks *gateway, oicall_session *session, janus_plugin_rtcp *packet,
		guint32 max_bitrate, guint loss_playout_ms, guint resend_gap_ms) {
	/* The core names the m-line of a compound packet after its first report
	 * block, often the audio one even when it carries a video PLI: a 1:1 call
	 * has one video stream per direction, so any keyframe request is for it. */
	if(janus_rtcp_has_pli(packet->buffer, packet->length) || janus_rtcp_has_fir(packet->buffer, packet->length))
		keyframes_for(gateway, session);
	oicall_forward *incoming = incoming_of(session, packet->mindex);
	if(incoming == NULL)
		return;
	oicall_session *source = incoming->source;
	if(incoming->kind == OICALL_VIDEO) {
		oicall_slot *slot = &session->slots[packet->mindex];
		oicall_playout_report(&slot->playout, packet->buffer, packet->length, oicall_ntp_middle(g_get_real_time()),
			loss_playout_ms, resend_gap_ms);
		/* A retransmission this receiver lost: its frame is late at best (loss_watch.h). */
		if(oicall_rtx_loss_report(&slot->rtx_loss, packet->buffer, packet->length))
			keyframe_for_loss(gateway, source, incoming->source_mindex, janus_get_monotonic_time());
	}
	guint32 bitrate = janus_rtcp_get_remb(packet->buffer, packet->length);
	if(bitrate > 0 && !g_atomic_int_get(&source->destroyed) && g_atomic_int_get(&source->media_ready)) {
		/* What this session's client says about what it receives goes to that
		 * media's sender: the lowest of what its receivers say. */
		gint64 now = janus_get_monotonic_time();
		atomic_store(&incoming->remb, bitrate);
		atomic_store(&incoming->remb_us, now);
		oicall_fanout *set = forwards_of(source, incoming->source_mindex);
		bitrate = oicall_fanout_remb(set, now);
		oicall_fanout_unref(set);
		if(bitrate > 0)
			gateway->send_remb(source->handle, max_bitrate > 0 ? MIN(bitrate, max_bitrate) : bitrate);
	}
	oicall_forward_unref(incoming);
}

void oicall_relay_media_ready(janus_callbacks *gateway, oicall_session *session, guint32 max_bitrate) {
	if(max_bitrate > 0)
		gateway->send_remb(session->handle, max_bitrate);
	/* Whichever PeerConnection comes up second, every flow that can start now
	 * starts on a keyframe: what was sent before the receiver was ready is lost. */
	gint64 now = janus_get_monotonic_time();
	for(int mindex = 0; mindex < OICALL_MAX_SLOTS; mindex++) {
		oicall_forward *incoming = incoming_of(session, mindex);
		if(incoming != NULL) {
			oicall_forward_wait_keyframe(incoming, now);
			/* A consumer still paused asks when it resumes. */
			if(!atomic_load(&incoming->paused))
				keyframe(gateway, incoming->source, incoming->source_mindex);
			oicall_forward_unref(incoming);
		}
		oicall_fanout *set = forwards_of(session, mindex);
		for(guint i = 0; set != NULL && i < set->len; i++) {
			if(g_atomic_int_get(&set->forwards[i]->target->media_ready) && !atomic_load(&set->forwards[i]->paused))
				keyframe(gateway, session, mindex);
		}
		oicall_fanout_unref(set);
	}
}
