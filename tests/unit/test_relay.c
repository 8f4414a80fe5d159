/* The relay fanning one producer out to many consumers, driven through its
 * API with a fake gateway and janus_stubs.c in place of Janus's helpers. */
#include <string.h>

#include <glib.h>

#include "../../plugin/media_counters.h"
#include "../../plugin/red.h"
#include "../../plugin/relay.h"
#include "janus_stubs.h"

#define MS 1000

/* ---- a fake gateway that records what the relay sends ---------------- */

typedef struct sent {
	oicall_session *to;
	int mindex, pt;
	guint16 seq;
	guint32 value;      /* a PLI's m-line, a REMB's bitrate */
	guint32 timestamp;  /* RTP: its timestamp, length and payload */
	int length;
	char payload[16];
	int min_delay, max_delay;   /* RTP: the playout-delay extension's, -1 without */
} sent;

static GArray *rtp, *plis, *rembs;

static void record(GArray *into, janus_plugin_session *handle, int mindex, int pt, guint16 seq, guint32 value) {
	sent s = { handle->plugin_handle, mindex, pt, seq, value, 0, 0, { 0 }, -1, -1 };
	g_array_append_val(into, s);
}

static void fake_relay_rtp(janus_plugin_session *handle, janus_plugin_rtp *packet) {
	janus_rtp_header *header = (janus_rtp_header *)packet->buffer;
	record(rtp, handle, packet->mindex, header->type, ntohs(header->seq_number), 0);
	sent *s = &g_array_index(rtp, sent, rtp->len - 1);
	s->timestamp = ntohl(header->timestamp);
	s->length = packet->length;
	memcpy(s->payload, packet->buffer + RTP_HEADER_SIZE, MIN(packet->length - RTP_HEADER_SIZE, (int)sizeof(s->payload)));
	s->min_delay = packet->extensions.min_delay;
	s->max_delay = packet->extensions.max_delay;
}

static void fake_send_pli_stream(janus_plugin_session *handle, int mindex) {
	record(plis, handle, mindex, 0, 0, 0);
}

static void fake_send_remb(janus_plugin_session *handle, uint32_t bitrate) {
	record(rembs, handle, -1, 0, 0, bitrate);
}

static janus_callbacks gateway = {
	.relay_rtp = fake_relay_rtp, .send_pli_stream = fake_send_pli_stream, .send_remb = fake_send_remb,
};

static void clear_sent(void) {
	g_array_set_size(rtp, 0);
	g_array_set_size(plis, 0);
	g_array_set_size(rembs, 0);
}

/* What target got from the last packet; m-line -1 if nothing. */
static const sent *got(oicall_session *target) {
	static const sent nothing = { NULL, -1, -1, 0, 0, 0, 0, { 0 }, -1, -1 };
	for(guint i = 0; i < rtp->len; i++) {
		if(g_array_index(rtp, sent, i).to == target)
			return &g_array_index(rtp, sent, i);
	}
	return &nothing;
}

/* A video packet from source's m-line through the relay; what the source's
 * packet looks like afterwards must be what came in (the core counts it). */
static void send_rtp(oicall_session *source, int mindex, int pt, guint16 seq, char first) {
	clear_sent();
	/* Room for the struct's CSRC slots; the packet is a 12-byte header and 8 bytes of payload. */
	char buffer[sizeof(janus_rtp_header) + 8] = { 0 };
	janus_rtp_header *header = (janus_rtp_header *)buffer;
	header->version = 2;
	header->type = pt;
	header->seq_number = htons(seq);
	header->timestamp = htonl(90000u + seq);
	header->ssrc = htonl(1234);
	buffer[RTP_HEADER_SIZE] = first;
	char before[sizeof(buffer)];
	memcpy(before, buffer, sizeof(buffer));
	janus_plugin_rtp packet = { .mindex = mindex, .video = TRUE, .buffer = buffer, .length = RTP_HEADER_SIZE + 8 };
	packet.extensions.min_delay = packet.extensions.max_delay = -1;
	oicall_relay_rtp(&gateway, source, &packet);
	g_assert_cmpmem(buffer, sizeof(buffer), before, sizeof(before));
	g_assert_cmpint(packet.mindex, ==, mindex);
	g_assert_cmpint(packet.extensions.min_delay, ==, -1);
	g_assert_cmpint(packet.extensions.max_delay, ==, -1);
}

static void send_rtcp(oicall_session *from, int mindex, char type, guint32 bitrate, guint32 max_bitrate) {
	clear_sent();
	char buffer[5] = { type };
	memcpy(buffer + 1, &bitrate, sizeof(bitrate));
	janus_plugin_rtcp packet = { .mindex = mindex, .video = TRUE, .buffer = buffer, .length = sizeof(buffer) };
	oicall_relay_rtcp(&gateway, from, &packet, max_bitrate, 0, 0);
}

/* A receiver's RR on the video it gets on an m-line: fraction lost of 256
 * over the 10 packets since its last report. */
static void send_report(oicall_session *from, int mindex, guint8 fraction, guint loss_playout_ms) {
	static guint32 highest;
	guint8 buffer[32] = { 0x81, 201, 0, 7 };
	buffer[8 + 4] = fraction;
	highest += 10;
	for(int i = 0; i < 4; i++)
		buffer[8 + 8 + i] = (guint8)(highest >> (24 - 8 * i));
	janus_plugin_rtcp packet = { .mindex = mindex, .video = TRUE, .buffer = (char *)buffer, .length = sizeof(buffer) };
	oicall_relay_rtcp(&gateway, from, &packet, 0, loss_playout_ms, OICALL_RESEND_GAP_MS);
}

static oicall_forward *forward_to(oicall_session *source, int mindex, oicall_session *target, int target_mindex) {
	return oicall_fanout_find(source->slots[mindex].forwards, target, target_mindex);
}

/* ---- tests ------------------------------------------------------------ */

/* Each consumer gets its own payload type, m-line and numbering; one paused
 * or resumed leaves the others alone. */
static void test_fan_out(void) {
	oicall_media_counts before;
	oicall_media_counts_read(&before);
	stub_sessions_freed = 0;
	stub_now = 1000 * MS;
	oicall_session *source = stub_session_new(1), *a = stub_session_new(2), *b = stub_session_new(3), *c = stub_session_new(4);
	oicall_relay_describe(source, 1, OICALL_VIDEO, "vp8", "producer");
	int to_a[128], drop[128];
	for(int pt = 0; pt < 128; pt++) {
		to_a[pt] = pt == 96 ? 101 : -1;
		drop[pt] = -1;
	}
	g_assert_true(oicall_relay_connect(source, 1, a, 2, OICALL_VIDEO, to_a, FALSE));
	g_assert_true(oicall_relay_connect(source, 1, b, 3, OICALL_VIDEO, NULL, FALSE));
	g_assert_true(oicall_relay_connect(source, 1, c, 1, OICALL_VIDEO, drop, FALSE));
	g_assert_cmpuint(source->slots[1].forwards->len, ==, 3);
	g_assert_true(b->slots[3].incoming == forward_to(source, 1, b, 3));

	/* Video starts on a keyframe. */
	send_rtp(source, 1, 96, 500, 'D');
	g_assert_cmpuint(rtp->len, ==, 0);
	send_rtp(source, 1, 96, 501, STUB_KEYFRAME);
	g_assert_cmpuint(rtp->len, ==, 2);
	g_assert_cmpint(got(a)->mindex, ==, 2);
	g_assert_cmpint(got(a)->pt, ==, 101);
	g_assert_cmpint(got(a)->seq, ==, 1);
	g_assert_cmpint(got(b)->mindex, ==, 3);
	g_assert_cmpint(got(b)->pt, ==, 96);
	g_assert_cmpint(got(b)->seq, ==, 1);
	g_assert_cmpint(got(c)->mindex, ==, -1);    /* its map drops that payload type */

	/* b pauses: a goes on. */
	oicall_relay_pause_forward(&gateway, source, 1, b, 3, TRUE);
	send_rtp(source, 1, 96, 502, 'D');
	g_assert_cmpuint(rtp->len, ==, 1);
	g_assert_cmpint(got(a)->seq, ==, 2);
	/* b resumes: the source is asked for a keyframe, which b alone waits for. */
	stub_now += 1000 * MS;
	oicall_relay_pause_forward(&gateway, source, 1, b, 3, FALSE);
	g_assert_cmpuint(plis->len, ==, 1);
	g_assert_true(g_array_index(plis, sent, 0).to == source);
	g_assert_cmpint(g_array_index(plis, sent, 0).value, ==, 0);
	g_assert_cmpint(g_array_index(plis, sent, 0).mindex, ==, 1);
	send_rtp(source, 1, 96, 503, 'D');
	g_assert_cmpuint(rtp->len, ==, 1);
	g_assert_cmpint(got(a)->seq, ==, 3);
	send_rtp(source, 1, 96, 504, STUB_KEYFRAME);
	g_assert_cmpuint(rtp->len, ==, 2);
	g_assert_cmpint(got(a)->seq, ==, 4);
	g_assert_cmpint(got(b)->seq, ==, 2);    /* its own numbering, continuous over its pause */
	/* A pause of what the source sends holds everyone, and all wait for a keyframe after. */
	oicall_relay_pause_source(&gateway, source, 1, TRUE);
	send_rtp(source, 1, 96, 505, STUB_KEYFRAME);
	g_assert_cmpuint(rtp->len, ==, 0);
	stub_now += 1000 * MS;
	oicall_relay_pause_source(&gateway, source, 1, FALSE);
	send_rtp(source, 1, 96, 506, 'D');
	g_assert_cmpuint(rtp->len, ==, 0);
	send_rtp(source, 1, 96, 507, STUB_KEYFRAME);
	g_assert_cmpuint(rtp->len, ==, 2);

	g_assert_cmpuint(atomic_load(&forward_to(source, 1, a, 2)->packets), ==, 5);
	g_assert_cmpuint(atomic_load(&forward_to(source, 1, b, 3)->packets), ==, 3);
	g_assert_cmpuint(atomic_load(&forward_to(source, 1, c, 1)->packets), ==, 0);
	g_assert_cmpuint(atomic_load(&source->slots[1].packets_in), ==, 8);
	/* The metrics count what went out, and the gateway's keyframe requests. */
	oicall_media_counts after;
	oicall_media_counts_read(&after);
	g_assert_cmpuint(after.relayed_packets[OICALL_VIDEO] - before.relayed_packets[OICALL_VIDEO], ==, 8);
	g_assert_cmpuint(after.relayed_bytes[OICALL_VIDEO] - before.relayed_bytes[OICALL_VIDEO], ==, 8 * (RTP_HEADER_SIZE + 8));
	g_assert_cmpuint(after.relayed_packets[OICALL_AUDIO], ==, before.relayed_packets[OICALL_AUDIO]);
	g_assert_cmpuint(after.keyframe_requests[OICALL_KEYFRAME_START], >, before.keyframe_requests[OICALL_KEYFRAME_START]);

	oicall_session *all[] = { source, a, b, c };
	for(guint i = 0; i < G_N_ELEMENTS(all); i++)
		stub_session_done(all[i]);
	g_assert_cmpint(stub_sessions_freed, ==, 4);
}

/* Any consumer's keyframe request reaches the source, at most one per 350 ms
 * (Chromium ignores closer ones), one asked for sooner going when the gap is
 * over, on the source's next packet; the source hears the lowest of its
 * receivers' REMBs. */
static void test_feedback(void) {
	stub_sessions_freed = 0;
	stub_now = 1000 * MS;
	oicall_session *source = stub_session_new(1), *a = stub_session_new(2), *b = stub_session_new(3);
	oicall_relay_describe(source, 1, OICALL_VIDEO, "vp8", NULL);
	oicall_relay_describe(a, 1, OICALL_VIDEO, "vp8", NULL);
	oicall_relay_describe(b, 2, OICALL_VIDEO, "vp8", NULL);
	oicall_relay_connect(source, 1, a, 1, OICALL_VIDEO, NULL, FALSE);
	oicall_relay_connect(source, 1, b, 2, OICALL_VIDEO, NULL, FALSE);
	send_rtcp(a, 1, STUB_PLI, 0, 0);
	g_assert_cmpuint(plis->len, ==, 1);
	g_assert_true(g_array_index(plis, sent, 0).to == source);
	g_assert_cmpint(g_array_index(plis, sent, 0).mindex, ==, 1);
	/* b's PeerConnection comes up just after: what the first request brought
	 * went out before b could receive it, so b needs another, held until the
	 * gap is over (sent now, the sender would ignore it). */
	clear_sent();
	oicall_relay_media_ready(&gateway, b, 0);
	stub_now += 100 * MS;
	send_rtcp(b, 2, STUB_FIR, 0, 0);
	send_rtp(source, 1, 96, 500, 'D');
	g_assert_cmpuint(plis->len, ==, 0);
	stub_now += 250 * MS;
	send_rtp(source, 1, 96, 501, 'D');
	g_assert_cmpuint(plis->len, ==, 1);     /* one for both */
	g_assert_true(g_array_index(plis, sent, 0).to == source);
	g_assert_cmpint(g_array_index(plis, sent, 0).mindex, ==, 1);
	stub_now += 100 * MS;
	send_rtp(source, 1, 96, 502, 'D');
	g_assert_cmpuint(plis->len, ==, 0);     /* nothing owed any more */

	send_rtcp(a, 1, STUB_REMB, 2000000, 0);
	g_assert_cmpuint(rembs->len, ==, 1);
	g_assert_true(g_array_index(rembs, sent, 0).to == source);
	g_assert_cmpuint(g_array_index(rembs, sent, 0).value, ==, 2000000);
	send_rtcp(b, 2, STUB_REMB, 500000, 0);
	g_assert_cmpuint(g_array_index(rembs, sent, 0).value, ==, 500000);
	send_rtcp(a, 1, STUB_REMB, 3000000, 0);
	g_assert_cmpuint(g_array_index(rembs, sent, 0).value, ==, 500000);
	send_rtcp(a, 1, STUB_REMB, 3000000, 300000);
	g_assert_cmpuint(g_array_index(rembs, sent, 0).value, ==, 300000);    /* max_bitrate caps it */
	/* b paused no longer holds a down. */
	oicall_relay_pause_forward(&gateway, source, 1, b, 2, TRUE);
	send_rtcp(a, 1, STUB_REMB, 3000000, 0);
	g_assert_cmpuint(g_array_index(rembs, sent, 0).value, ==, 3000000);

	oicall_session *all[] = { source, a, b };
	for(guint i = 0; i < G_N_ELEMENTS(all); i++)
		stub_session_done(all[i]);
	g_assert_cmpint(stub_sessions_freed, ==, 3);
}

/* A consumer asks for its keyframe once it can receive it: resumed and its
 * PeerConnection up, whichever comes last; asked sooner, the keyframe would
 * be lost and the request that counts held back by the gap. */
static void test_keyframe_when_ready(void) {
	stub_sessions_freed = 0;
	stub_now = 1000 * MS;
	oicall_session *source = stub_session_new(1), *a = stub_session_new(2), *b = stub_session_new(3);
	oicall_relay_describe(source, 1, OICALL_VIDEO, "vp8", NULL);
	oicall_relay_describe(a, 1, OICALL_VIDEO, "vp8", NULL);
	oicall_relay_describe(b, 1, OICALL_VIDEO, "vp8", NULL);
	/* a: resumed before its PeerConnection is up. */
	a->media_ready = 0;
	oicall_relay_connect(source, 1, a, 1, OICALL_VIDEO, NULL, TRUE);
	clear_sent();
	oicall_relay_pause_forward(&gateway, source, 1, a, 1, FALSE);
	g_assert_cmpuint(plis->len, ==, 0);
	stub_now += 100 * MS;
	oicall_relay_media_ready(&gateway, a, 0);
	g_assert_cmpuint(plis->len, ==, 1);
	/* b: its PeerConnection up while its consumer is still paused. */
	stub_now += 400 * MS;
	b->media_ready = 0;
	oicall_relay_connect(source, 1, b, 1, OICALL_VIDEO, NULL, TRUE);
	clear_sent();
	b->media_ready = 1;
	oicall_relay_media_ready(&gateway, b, 0);
	g_assert_cmpuint(plis->len, ==, 0);
	oicall_relay_pause_forward(&gateway, source, 1, b, 1, FALSE);
	g_assert_cmpuint(plis->len, ==, 1);
	g_assert_true(g_array_index(plis, sent, 0).to == source);

	oicall_session *all[] = { source, a, b };
	for(guint i = 0; i < G_N_ELEMENTS(all); i++)
		stub_session_done(all[i]);
	g_assert_cmpint(stub_sessions_freed, ==, 3);
}

/* Connecting replaces only what fed the same target m-line; unlinking a
 * consumer's m-line drops its forward only, the producer's m-line all of them. */
static void test_links(void) {
	stub_sessions_freed = 0;
	stub_now = 1000 * MS;
	oicall_session *source = stub_session_new(1), *other = stub_session_new(2), *a = stub_session_new(3), *b = stub_session_new(4);
	oicall_relay_describe(source, 0, OICALL_AUDIO, "opus", NULL);
	oicall_relay_connect(source, 0, a, 1, OICALL_AUDIO, NULL, FALSE);
	oicall_relay_connect(source, 0, b, 1, OICALL_AUDIO, NULL, FALSE);
	/* Held, so that the replacement can't be given its address. */
	oicall_forward *first = oicall_forward_ref(forward_to(source, 0, a, 1));
	/* The same target m-line again: a new forward in its place, b's untouched. */
	oicall_forward *to_b = forward_to(source, 0, b, 1);
	oicall_relay_connect(source, 0, a, 1, OICALL_AUDIO, NULL, FALSE);
	g_assert_cmpuint(source->slots[0].forwards->len, ==, 2);
	g_assert_true(forward_to(source, 0, a, 1) != first);
	oicall_forward_unref(first);
	g_assert_true(forward_to(source, 0, b, 1) == to_b);
	g_assert_true(a->slots[1].incoming == forward_to(source, 0, a, 1));
	/* Another source takes b's m-line over: source keeps feeding a only. */
	oicall_relay_connect(other, 0, b, 1, OICALL_AUDIO, NULL, FALSE);
	g_assert_cmpuint(source->slots[0].forwards->len, ==, 1);
	g_assert_true(b->slots[1].incoming->source == other);
	send_rtp(source, 0, 111, 10, 'A');
	g_assert_cmpuint(rtp->len, ==, 1);
	g_assert_cmpint(got(a)->mindex, ==, 1);
	/* a closes its consumer m-line. */
	oicall_relay_unlink_slot(a, 1);
	g_assert_null(source->slots[0].forwards);
	g_assert_null(a->slots[1].incoming);
	/* Two consumers again, then the producer's m-line goes: both lose it. */
	oicall_relay_connect(source, 0, a, 1, OICALL_AUDIO, NULL, FALSE);
	oicall_relay_connect(source, 0, b, 2, OICALL_AUDIO, NULL, FALSE);
	oicall_relay_forget(source, 0);
	g_assert_null(source->slots[0].forwards);
	g_assert_null(a->slots[1].incoming);
	g_assert_null(b->slots[2].incoming);
	g_assert_true(b->slots[1].incoming->source == other);
	g_assert_cmpint(source->slots[0].kind, ==, -1);

	oicall_session *all[] = { source, other, a, b };
	for(guint i = 0; i < G_N_ELEMENTS(all); i++)
		stub_session_done(all[i]);
	g_assert_cmpint(stub_sessions_freed, ==, 4);
}

/* An audio packet (payload of len bytes) from source's m-line 0 through the relay. */
static void send_audio(oicall_session *source, int pt, guint16 seq, const char *payload, int len) {
	clear_sent();
	/* Room for the struct's CSRC slots, as in send_rtp. */
	char buffer[sizeof(janus_rtp_header) + 32] = { 0 };
	janus_rtp_header *header = (janus_rtp_header *)buffer;
	header->version = 2;
	header->type = pt;
	header->seq_number = htons(seq);
	header->timestamp = htonl(48000u + 960u * seq);
	header->ssrc = htonl(1234);
	memcpy(buffer + RTP_HEADER_SIZE, payload, len);
	char before[sizeof(buffer)];
	memcpy(before, buffer, sizeof(buffer));
	janus_plugin_rtp packet = { .mindex = 0, .video = FALSE, .buffer = buffer, .length = RTP_HEADER_SIZE + len };
	oicall_relay_rtp(&gateway, source, &packet);
	g_assert_cmpmem(buffer, sizeof(buffer), before, sizeof(before));
}

/* Opus RED (63, carrying Opus 111) to a consumer with RED as it is, to
 * consumers without it unwrapped to the primary block with their own Opus
 * payload type; plain Opus to every one with its Opus payload type. */
static void test_red(void) {
	stub_sessions_freed = 0;
	oicall_session *source = stub_session_new(1), *red = stub_session_new(2), *plain = stub_session_new(3),
		*other = stub_session_new(4);
	oicall_relay_describe(source, 0, OICALL_AUDIO, "opus", "producer");
	int as_is[128], unwrap[128], renumber[128];
	for(int pt = 0; pt < 128; pt++)
		as_is[pt] = unwrap[pt] = renumber[pt] = pt == 111 || pt == 63 ? pt : -1;
	unwrap[63] = renumber[63] = OICALL_PT_UNWRAP_RED;
	renumber[111] = 100;
	g_assert_true(oicall_relay_connect(source, 0, red, 0, OICALL_AUDIO, as_is, FALSE));
	g_assert_true(oicall_relay_connect(source, 0, plain, 1, OICALL_AUDIO, unwrap, FALSE));
	g_assert_true(oicall_relay_connect(source, 0, other, 2, OICALL_AUDIO, renumber, FALSE));

	/* The previous packet's 3 bytes, then this one's 4. */
	const char with_red[] = { (char)(0x80 | 111), 0x03, (char)0xc0, 0x03, 111, 'a', 'b', 'c', 'P', 'Q', 'R', 'S' };
	send_audio(source, 63, 10, with_red, sizeof(with_red));
	g_assert_cmpuint(rtp->len, ==, 3);
	g_assert_cmpint(got(red)->pt, ==, 63);
	g_assert_cmpint(got(red)->length, ==, RTP_HEADER_SIZE + (int)sizeof(with_red));
	g_assert_cmpint(got(plain)->pt, ==, 111);
	g_assert_cmpint(got(plain)->mindex, ==, 1);
	g_assert_cmpint(got(plain)->length, ==, RTP_HEADER_SIZE + 4);
	g_assert_cmpmem(got(plain)->payload, 4, "PQRS", 4);
	g_assert_cmpint(got(other)->pt, ==, 100);
	g_assert_cmpmem(got(other)->payload, 4, "PQRS", 4);
	/* Numbering (janus_stubs.c's) as for any packet: the same for all three. */
	guint16 seq = got(red)->seq;
	guint32 timestamp = got(red)->timestamp;
	g_assert_cmpuint(got(plain)->seq, ==, seq);
	g_assert_cmpuint(got(other)->timestamp, ==, timestamp);

	/* Plain Opus: to the RED consumer too, as Opus. */
	send_audio(source, 111, 11, "pqrs", 4);
	g_assert_cmpuint(rtp->len, ==, 3);
	g_assert_cmpint(got(red)->pt, ==, 111);
	g_assert_cmpint(got(plain)->pt, ==, 111);
	g_assert_cmpint(got(other)->pt, ==, 100);
	g_assert_cmpuint(got(plain)->seq, ==, (guint16)(seq + 1));
	g_assert_cmpuint(got(plain)->timestamp, ==, got(red)->timestamp);
	g_assert_cmpuint(got(plain)->timestamp, !=, timestamp);

	/* A block length past the end: only the RED consumer gets it (as it is, it decides); nothing is read past it. */
	const char past[] = { (char)(0x80 | 111), 0x03, (char)0xc3, (char)0xff, 111, 'a', 'P' };
	send_audio(source, 63, 12, past, sizeof(past));
	g_assert_cmpuint(rtp->len, ==, 1);
	g_assert_true(got(red)->to == red);
	/* Truncated headers, an empty primary: nothing to unwrap either. */
	const char truncated[] = { (char)(0x80 | 111), 0x03 };
	send_audio(source, 63, 13, truncated, sizeof(truncated));
	g_assert_cmpuint(rtp->len, ==, 1);
	const char empty_primary[] = { (char)(0x80 | 111), 0x03, (char)0xc0, 0x01, 111, 'a' };
	send_audio(source, 63, 14, empty_primary, sizeof(empty_primary));
	g_assert_cmpuint(rtp->len, ==, 1);
	/* A primary whose payload type the consumer has no mapping for: dropped for it. */
	const char unknown[] = { 0x12, 'P' };
	send_audio(source, 63, 15, unknown, sizeof(unknown));
	g_assert_cmpuint(rtp->len, ==, 1);
	/* And on: the next good one goes to all, numbered on. */
	send_audio(source, 63, 16, with_red, sizeof(with_red));
	g_assert_cmpuint(rtp->len, ==, 3);
	g_assert_cmpmem(got(other)->payload, 4, "PQRS", 4);

	oicall_session *all[] = { source, red, plain, other };
	for(guint i = 0; i < G_N_ELEMENTS(all); i++)
		stub_session_done(all[i]);
	g_assert_cmpint(stub_sessions_freed, ==, 4);
}

static void test_limit(void) {
	stub_sessions_freed = 0;
	oicall_session *source = stub_session_new(1);
	oicall_session *targets[OICALL_MAX_FORWARDS + 1];
	for(int i = 0; i <= OICALL_MAX_FORWARDS; i++)
		targets[i] = stub_session_new(10 + i);
	for(int i = 0; i < OICALL_MAX_FORWARDS; i++)
		g_assert_true(oicall_relay_connect(source, 1, targets[i], 1, OICALL_AUDIO, NULL, FALSE));
	g_assert_false(oicall_relay_connect(source, 1, targets[OICALL_MAX_FORWARDS], 1, OICALL_AUDIO, NULL, FALSE));
	g_assert_null(targets[OICALL_MAX_FORWARDS]->slots[1].incoming);
	g_assert_cmpuint(source->slots[1].forwards->len, ==, OICALL_MAX_FORWARDS);
	/* Out-of-range m-lines are refused. */
	g_assert_false(oicall_relay_connect(source, OICALL_MAX_SLOTS, targets[0], 1, OICALL_AUDIO, NULL, FALSE));
	g_assert_false(oicall_relay_connect(source, 1, targets[0], -1, OICALL_AUDIO, NULL, FALSE));
	stub_session_done(source);
	for(int i = 0; i <= OICALL_MAX_FORWARDS; i++)
		stub_session_done(targets[i]);
	g_assert_cmpint(stub_sessions_freed, ==, OICALL_MAX_FORWARDS + 2);
}

/* A receiver whose reports show loss gets a playout-delay floor on its
 * video; another receiver of the same producer doesn't. */
static void test_playout_floor(void) {
	stub_now = 1000 * MS;
	oicall_session *source = stub_session_new(1), *lossy = stub_session_new(2), *clean = stub_session_new(3);
	oicall_relay_describe(source, 0, OICALL_VIDEO, "vp8", "producer");
	g_assert_true(oicall_relay_connect(source, 0, lossy, 1, OICALL_VIDEO, NULL, FALSE));
	g_assert_true(oicall_relay_connect(source, 0, clean, 1, OICALL_VIDEO, NULL, FALSE));
	send_rtp(source, 0, 96, 1, STUB_KEYFRAME);
	g_assert_cmpint(got(lossy)->min_delay, ==, -1);
	for(int i = 0; i < 10; i++) {
		send_report(lossy, 1, 26, 200);     /* 10 % */
		send_report(clean, 1, 0, 200);
	}
	send_rtp(source, 0, 96, 2, 'D');
	g_assert_cmpint(got(lossy)->min_delay, ==, 20);
	g_assert_cmpint(got(lossy)->max_delay, ==, 1000);
	g_assert_cmpint(got(clean)->min_delay, ==, -1);
	/* Configured off: the floor goes back to 0, said explicitly. */
	for(int i = 0; i < 10; i++)
		send_report(lossy, 1, 26, 0);
	send_rtp(source, 0, 96, 3, 'D');
	g_assert_cmpint(got(lossy)->min_delay, ==, 0);
	/* An m-line taken over by another stream starts without one. */
	oicall_relay_forget(lossy, 1);
	g_assert_cmpint(atomic_load(&lossy->slots[1].playout.floor_ms), ==, -1);
	stub_sessions_freed = 0;
	stub_session_done(source);
	stub_session_done(lossy);
	stub_session_done(clean);
	g_assert_cmpint(stub_sessions_freed, ==, 3);
}

int main(int argc, char **argv) {
	g_test_init(&argc, &argv, NULL);
	rtp = g_array_new(FALSE, FALSE, sizeof(sent));
	plis = g_array_new(FALSE, FALSE, sizeof(sent));
	rembs = g_array_new(FALSE, FALSE, sizeof(sent));
	g_test_add_func("/relay/fan-out", test_fan_out);
	g_test_add_func("/relay/feedback", test_feedback);
	g_test_add_func("/relay/keyframe-when-ready", test_keyframe_when_ready);
	g_test_add_func("/relay/links", test_links);
	g_test_add_func("/relay/limit", test_limit);
	g_test_add_func("/relay/red", test_red);
	g_test_add_func("/relay/playout-floor", test_playout_floor);
	int rc = g_test_run();
	g_array_unref(rtp);
	g_array_unref(plis);
	g_array_unref(rembs);
	return rc;
}
