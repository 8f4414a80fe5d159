/* Loss no retransmission repaired: holes in what a source sends, and the
 * retransmissions a receiver reports lost. */
#include <string.h>

#include <glib.h>

#include "../../plugin/loss_watch.h"

#define MS 1000
#define T0 (1000 * G_USEC_PER_SEC)

/* Packets seq from..to (inclusive) arriving at one time. */
static void packets(oicall_holes *holes, guint16 from, guint16 to, gint64 now) {
	for(guint16 seq = from;; seq++) {
		oicall_holes_packet(holes, 42, seq, FALSE, now);
		if(seq == to)
			break;
	}
}

static void test_repaired_in_time(void) {
	oicall_holes holes = { 0 };
	packets(&holes, 100, 104, T0);
	packets(&holes, 106, 106, T0 + 10 * MS);     /* 105 missing */
	g_assert_cmpuint(holes.count, ==, 1);
	/* The core's first NACK brings it back: nothing to ask for, ever. */
	oicall_holes_packet(&holes, 42, 105, FALSE, T0 + 60 * MS);
	g_assert_cmpuint(holes.count, ==, 0);
	packets(&holes, 107, 107, T0 + 5000 * MS);
	g_assert_false(oicall_holes_unrepaired(&holes, T0 + 5000 * MS));
	/* The quickest repair tells the round trip: 50 ms, less the core's 12 ms wait. */
	g_assert_cmpint(holes.fill_us, ==, 50 * MS);
}

static void test_unrepaired_past_deadline(void) {
	oicall_holes holes = { 0 };
	packets(&holes, 100, 100, T0);
	packets(&holes, 103, 103, T0);                /* 101 and 102 missing */
	gint64 deadline = oicall_holes_deadline(&holes);
	/* No repair seen yet: the core's second NACK (155 ms), a packet's wait, a 100 ms round trip, a margin. */
	g_assert_cmpint(deadline, ==, (155 + 70 + 100 + 30) * MS);
	/* 101 comes back after 100 ms: an 88 ms round trip; 102 does not. */
	oicall_holes_packet(&holes, 42, 101, FALSE, T0 + 100 * MS);
	deadline = oicall_holes_deadline(&holes);
	g_assert_cmpint(deadline, ==, (155 + 70 + 88 + 30) * MS);
	g_assert_false(oicall_holes_unrepaired(&holes, T0 + deadline - 1));
	g_assert_true(oicall_holes_unrepaired(&holes, T0 + deadline));
	/* Asked for: the keyframe covers it. */
	oicall_holes_clear(&holes);
	g_assert_false(oicall_holes_unrepaired(&holes, T0 + 10 * deadline));
	/* A late retransmission of it changes nothing. */
	oicall_holes_packet(&holes, 42, 102, FALSE, T0 + deadline + MS);
	g_assert_false(oicall_holes_unrepaired(&holes, T0 + 10 * deadline));
}

static void test_deadline_follows_repairs(void) {
	oicall_holes holes = { 0 };
	packets(&holes, 10, 10, T0);
	packets(&holes, 12, 12, T0);
	oicall_holes_packet(&holes, 42, 11, FALSE, T0 + 52 * MS);
	g_assert_cmpint(oicall_holes_deadline(&holes), ==, (155 + 70 + 40 + 30) * MS);
	/* A slower repair (the second NACK's) raises it a little only. */
	packets(&holes, 14, 14, T0 + 100 * MS);
	oicall_holes_packet(&holes, 42, 13, FALSE, T0 + 100 * MS + 212 * MS);
	g_assert_cmpint(holes.fill_us, ==, 52 * MS + (212 - 52) * MS / 16);
	/* A path that takes ages is believed up to 750 ms. */
	holes.fill_us = 5 * G_USEC_PER_SEC;
	g_assert_cmpint(oicall_holes_deadline(&holes), ==, (155 + 70 + 750 + 30) * MS);
}

static void test_keyframe_covers_earlier_holes(void) {
	oicall_holes holes = { 0 };
	packets(&holes, 100, 100, T0);
	packets(&holes, 102, 102, T0);                /* 101 missing */
	packets(&holes, 104, 104, T0);                /* 103 missing */
	/* A keyframe starting at 105: the receivers decode from it, the holes before don't matter. */
	oicall_holes_packet(&holes, 42, 105, TRUE, T0 + 10 * MS);
	g_assert_cmpuint(holes.count, ==, 0);
	/* One within the keyframe does. */
	packets(&holes, 107, 107, T0 + 20 * MS);      /* 106 missing */
	g_assert_true(oicall_holes_unrepaired(&holes, T0 + 20 * MS + oicall_holes_deadline(&holes)));
	/* A keyframe that comes as a repair covers what was missing before it too. */
	oicall_holes_packet(&holes, 42, 106, TRUE, T0 + 30 * MS);
	g_assert_false(oicall_holes_unrepaired(&holes, T0 + 10 * G_USEC_PER_SEC));
}

static void test_large_jump_and_wrap(void) {
	oicall_holes holes = { 0 };
	packets(&holes, 65534, 65535, T0);
	packets(&holes, 1, 1, T0);                    /* 0 missing, across the wrap */
	g_assert_cmpuint(holes.count, ==, 1);
	g_assert_cmpuint(holes.hole[0].seq, ==, 0);
	oicall_holes_packet(&holes, 42, 0, FALSE, T0 + 30 * MS);
	g_assert_cmpuint(holes.count, ==, 0);
	/* More missing at once than tracked: as good as lost, at once. */
	packets(&holes, 1 + OICALL_HOLES_MAX + 2, 1 + OICALL_HOLES_MAX + 2, T0 + 40 * MS);
	g_assert_cmpuint(holes.count, ==, 0);
	g_assert_true(oicall_holes_unrepaired(&holes, T0 + 40 * MS));
	oicall_holes_clear(&holes);
	g_assert_false(oicall_holes_unrepaired(&holes, T0 + 40 * MS));
	/* ... unless a keyframe comes right after the jump. */
	packets(&holes, 1000, 1000, T0 + 50 * MS);
	g_assert_true(oicall_holes_unrepaired(&holes, T0 + 50 * MS));
	oicall_holes_packet(&holes, 42, 1001, TRUE, T0 + 50 * MS);
	g_assert_false(oicall_holes_unrepaired(&holes, T0 + 50 * MS));
	/* Far behind: the sender started over, nothing missing. */
	packets(&holes, 40000, 40000, T0 + 60 * MS);
	g_assert_cmpuint(holes.highest, ==, 40000);
	g_assert_false(oicall_holes_unrepaired(&holes, T0 + 10 * G_USEC_PER_SEC));
}

static void test_new_ssrc_starts_afresh(void) {
	oicall_holes holes = { 0 };
	packets(&holes, 100, 100, T0);
	packets(&holes, 102, 102, T0);
	oicall_holes_packet(&holes, 43, 7000, FALSE, T0 + MS);
	g_assert_cmpuint(holes.count, ==, 0);
	g_assert_cmpuint(holes.highest, ==, 7000);
	g_assert_false(oicall_holes_unrepaired(&holes, T0 + 10 * G_USEC_PER_SEC));
}

/* ---- receiver reports ---------------------------------------------------- */

static void put32(guint8 *at, guint32 value) {
	at[0] = value >> 24;
	at[1] = value >> 16;
	at[2] = value >> 8;
	at[3] = value;
}

/* An RR (or, sr, an SR) with report blocks for the given SSRCs and cumulative losses; returns its length. */
static int report(guint8 *out, gboolean sr, int blocks, const guint32 *ssrcs, const gint32 *lost) {
	int len = (sr ? 28 : 8) + 24 * blocks;
	memset(out, 0, len);
	out[0] = 0x80 | blocks;
	out[1] = sr ? 200 : 201;
	out[2] = 0;
	out[3] = len / 4 - 1;
	put32(out + 4, 0x1111);
	for(int i = 0; i < blocks; i++) {
		guint8 *block = out + (sr ? 28 : 8) + 24 * i;
		put32(block, ssrcs[i]);
		put32(block + 4, (guint32)lost[i] & 0xFFFFFF);
	}
	return len;
}

static void test_rtx_loss(void) {
	oicall_rtx_loss loss = { 0 };
	guint8 buf[256];
	const guint32 ssrcs[] = { 5000, 6000 };
	/* The first report on the RTX stream is where counting starts. */
	int len = report(buf, FALSE, 2, ssrcs, (gint32[]){ 10, 2 });
	g_assert_false(oicall_rtx_loss_report(&loss, (char *)buf, len));
	/* More media lost, no retransmission lost: NACKs repair it. */
	len = report(buf, FALSE, 2, ssrcs, (gint32[]){ 15, 2 });
	g_assert_false(oicall_rtx_loss_report(&loss, (char *)buf, len));
	/* A retransmission lost. */
	len = report(buf, FALSE, 2, ssrcs, (gint32[]){ 15, 3 });
	g_assert_true(oicall_rtx_loss_report(&loss, (char *)buf, len));
	g_assert_false(oicall_rtx_loss_report(&loss, (char *)buf, len));
	/* In an SR after an SDES-less compound's RR, too. */
	guint8 compound[256];
	int first = report(compound, FALSE, 1, ssrcs, (gint32[]){ 20 });
	int second = report(compound + first, TRUE, 2, ssrcs, (gint32[]){ 20, 4 });
	g_assert_true(oicall_rtx_loss_report(&loss, (char *)compound, first + second));
	/* Counted down (duplicates) and up again to the same: nothing new. */
	len = report(buf, FALSE, 2, ssrcs, (gint32[]){ 20, 3 });
	g_assert_false(oicall_rtx_loss_report(&loss, (char *)buf, len));
	/* Another RTX stream (a renegotiation): counting starts again. */
	len = report(buf, FALSE, 2, (guint32[]){ 5000, 7000 }, (gint32[]){ 20, 9 });
	g_assert_false(oicall_rtx_loss_report(&loss, (char *)buf, len));
	/* A report with the media block only, a truncated one, junk: nothing, and no read past the end. */
	len = report(buf, FALSE, 1, ssrcs, (gint32[]){ 50 });
	g_assert_false(oicall_rtx_loss_report(&loss, (char *)buf, len));
	len = report(buf, FALSE, 2, (guint32[]){ 5000, 7000 }, (gint32[]){ 20, 10 });
	g_assert_false(oicall_rtx_loss_report(&loss, (char *)buf, len - 4));
	g_assert_false(oicall_rtx_loss_report(&loss, (char *)buf, 3));
	buf[0] = 0x42;
	g_assert_false(oicall_rtx_loss_report(&loss, (char *)buf, len));
	g_assert_cmpint(loss.lost, ==, 9);
}

int main(int argc, char **argv) {
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/loss_watch/repaired_in_time", test_repaired_in_time);
	g_test_add_func("/loss_watch/unrepaired_past_deadline", test_unrepaired_past_deadline);
	g_test_add_func("/loss_watch/deadline_follows_repairs", test_deadline_follows_repairs);
	g_test_add_func("/loss_watch/keyframe_covers_earlier_holes", test_keyframe_covers_earlier_holes);
	g_test_add_func("/loss_watch/large_jump_and_wrap", test_large_jump_and_wrap);
	g_test_add_func("/loss_watch/new_ssrc_starts_afresh", test_new_ssrc_starts_afresh);
	g_test_add_func("/loss_watch/rtx_loss", test_rtx_loss);
	return g_test_run();
}
