/* The playout-delay floor for video receivers on a lossy path: the loss their
 * reports show, weighed by the packets each covers, turns it on and off; their
 * round trip scales it. */
#include <string.h>

#include <glib.h>

#include "../../plugin/playout.h"

#define CONFIGURED 200

/* The highest sequence number the receiver has seen: each report covers PER_REPORT more. */
static guint32 highest;
#define PER_REPORT 8

/* An RR with one report block: fraction lost (of 256), LSR and DLSR (1/65536 s). */
static int rr(guint8 *buf, guint8 fraction, guint32 lsr, guint32 dlsr) {
	highest += PER_REPORT;
	memset(buf, 0, 32);
	buf[0] = 0x81;
	buf[1] = 201;
	buf[3] = 7;         /* 8 words after the first */
	guint8 *block = buf + 8;
	block[3] = 1;       /* SSRC 1 */
	block[4] = fraction;
	for(int i = 0; i < 4; i++) {
		block[8 + i] = (guint8)(highest >> (24 - 8 * i));
		block[16 + i] = (guint8)(lsr >> (24 - 8 * i));
		block[20 + i] = (guint8)(dlsr >> (24 - 8 * i));
	}
	return 32;
}

static void reports(oicall_playout *p, int count, guint8 fraction, guint configured) {
	guint8 buf[32];
	for(int i = 0; i < count; i++)
		oicall_playout_report(p, (char *)buf, rr(buf, fraction, 0, 0), 0, configured, 0);
}

static void test_clean_path(void) {
	oicall_playout p;
	oicall_playout_init(&p);
	/* No loss: no extension at all, ever. */
	reports(&p, 50, 0, CONFIGURED);
	g_assert_cmpint(atomic_load(&p.floor_ms), ==, -1);
	/* A single lossy report among clean ones is noise, not a lossy path. */
	reports(&p, 1, 64, CONFIGURED);
	reports(&p, 10, 0, CONFIGURED);
	g_assert_cmpint(atomic_load(&p.floor_ms), ==, -1);
	/* Reports that cover no packet (a browser reports with each feedback
	 * packet too) weigh nothing: 10 % loss reported every 8 packets with
	 * empty reports in between is 10 % loss. */
	guint8 buf[32];
	for(int i = 0; i < 12 && atomic_load(&p.floor_ms) < 0; i++) {
		oicall_playout_report(&p, (char *)buf, rr(buf, 26, 0, 0), 0, CONFIGURED, 0);
		for(int empty = 0; empty < 5; empty++) {
			highest -= PER_REPORT;
			oicall_playout_report(&p, (char *)buf, rr(buf, 0, 0, 0), 0, CONFIGURED, 0);
		}
	}
	g_assert_cmpint(atomic_load(&p.floor_ms), ==, CONFIGURED);
}

static void test_lossy_path(void) {
	oicall_playout p;
	oicall_playout_init(&p);
	/* 10 % loss (26/256): on after a few reports, at the configured floor. */
	int n = 0;
	while(atomic_load(&p.floor_ms) < 0 && n < 50) {
		reports(&p, 1, 26, CONFIGURED);
		n++;
	}
	g_assert_cmpint(n, <=, 5);
	g_assert_cmpint(atomic_load(&p.floor_ms), ==, CONFIGURED);
	/* 1.5 %: between the thresholds, it stays on. */
	reports(&p, 40, 4, CONFIGURED);
	g_assert_cmpint(atomic_load(&p.floor_ms), ==, CONFIGURED);
	/* Clean again: told 0 explicitly (a browser keeps the last floor it was told). */
	reports(&p, 40, 0, CONFIGURED);
	g_assert_cmpint(atomic_load(&p.floor_ms), ==, 0);
	/* 1.5 % from off does not turn it on. */
	reports(&p, 40, 4, CONFIGURED);
	g_assert_cmpint(atomic_load(&p.floor_ms), ==, 0);
	/* Configured off: nothing, whatever the loss. */
	oicall_playout off;
	oicall_playout_init(&off);
	reports(&off, 40, 128, 0);
	g_assert_cmpint(atomic_load(&off.floor_ms), ==, -1);
}

static void test_round_trip(void) {
	oicall_playout p;
	oicall_playout_init(&p);
	guint8 buf[32];
	guint32 now = oicall_ntp_middle((gint64)1700000000 * G_USEC_PER_SEC + 250000);
	/* LSR 300 ms ago, held 100 ms by the receiver: 200 ms round trip, floor 2.5 × that. */
	guint32 lsr = now - 65536 * 3 / 10, dlsr = 65536 / 10;
	for(int i = 0; i < 10; i++)
		oicall_playout_report(&p, (char *)buf, rr(buf, 26, lsr, dlsr), now, CONFIGURED, 0);
	g_assert_cmpuint(atomic_load(&p.rtt_ms), >=, 199);
	g_assert_cmpuint(atomic_load(&p.rtt_ms), <=, 200);
	g_assert_cmpint(atomic_load(&p.floor_ms), >=, 497);
	g_assert_cmpint(atomic_load(&p.floor_ms), <=, 500);
	/* A round trip past belief (a clock step, a bad report) is ignored; never above a second anyway. */
	oicall_playout_report(&p, (char *)buf, rr(buf, 26, now - 65536 * 9, 0), now, CONFIGURED, 0);
	g_assert_cmpuint(atomic_load(&p.rtt_ms), <=, 200);
	for(int i = 0; i < 4; i++)
		oicall_playout_report(&p, (char *)buf, rr(buf, 26, now - 65536 * 4, 0), now, CONFIGURED, 0);
	g_assert_cmpint(atomic_load(&p.floor_ms), ==, 1000);
	/* Another stream on the m-line (a new SSRC) starts its count afresh. */
	guint8 other[32];
	rr(other, 255, 0, 0);
	other[11] = 2;
	oicall_playout_report(&p, (char *)other, 32, now, CONFIGURED, 0);
	g_assert_cmpuint(p.ssrc, ==, 2);
	g_assert_cmpuint(p.window, ==, 0);
	/* The NTP middle bits: seconds' low 16 bits and the fraction's high 16. */
	g_assert_cmphex(oicall_ntp_middle(0), ==, (guint32)((2208988800ULL & 0xFFFF) << 16));
	g_assert_cmphex(oicall_ntp_middle(G_USEC_PER_SEC / 2) & 0xFFFF, ==, 0x8000);
}

static void test_heavy_loss(void) {
	oicall_playout p;
	oicall_playout_init(&p);
	guint8 buf[32];
	guint32 now = oicall_ntp_middle((gint64)1700000000 * G_USEC_PER_SEC + 250000);
	/* A 40 ms round trip: 3 % loss asks for the configured floor (2.5 round trips are less)... */
	guint32 lsr = now - 65536 * 4 / 100;
	for(int i = 0; i < 20; i++)
		oicall_playout_report(&p, (char *)buf, rr(buf, 8, lsr, 0), now, CONFIGURED, OICALL_RESEND_GAP_MS);
	g_assert_cmpint(atomic_load(&p.floor_ms), ==, CONFIGURED);
	/* ...10 % adds the core's wait between two retransmissions to the 2.5 round trips. */
	for(int i = 0; i < 20; i++)
		oicall_playout_report(&p, (char *)buf, rr(buf, 26, lsr, 0), now, CONFIGURED, OICALL_RESEND_GAP_MS);
	g_assert_cmpint(atomic_load(&p.floor_ms), >=, 295);
	g_assert_cmpint(atomic_load(&p.floor_ms), <=, 300);
	/* 5 % (between 4 and 6): still heavy; 3 %: back to the lossy floor. */
	for(int i = 0; i < 30; i++)
		oicall_playout_report(&p, (char *)buf, rr(buf, 13, lsr, 0), now, CONFIGURED, OICALL_RESEND_GAP_MS);
	g_assert_cmpint(atomic_load(&p.floor_ms), >=, 295);
	for(int i = 0; i < 30; i++)
		oicall_playout_report(&p, (char *)buf, rr(buf, 8, lsr, 0), now, CONFIGURED, OICALL_RESEND_GAP_MS);
	g_assert_cmpint(atomic_load(&p.floor_ms), ==, CONFIGURED);
	/* A core that never resends (gap 0): heavy loss asks no more than lossy. */
	oicall_playout q;
	oicall_playout_init(&q);
	for(int i = 0; i < 20; i++)
		oicall_playout_report(&q, (char *)buf, rr(buf, 26, lsr, 0), now, CONFIGURED, 0);
	g_assert_cmpint(atomic_load(&q.floor_ms), ==, CONFIGURED);
	/* Whether the core resends: it must keep a packet past the gap and a round trip. */
	g_assert_cmpuint(oicall_playout_resend_gap(200), ==, 0);
	g_assert_cmpuint(oicall_playout_resend_gap(299), ==, 0);
	g_assert_cmpuint(oicall_playout_resend_gap(300), ==, OICALL_RESEND_GAP_MS);
	g_assert_cmpuint(oicall_playout_resend_gap(500), ==, OICALL_RESEND_GAP_MS);
	/* janus.jcfg's media.min_nack_queue as the core takes it: 200 unless set, capped at 1000. */
	g_assert_cmpuint(oicall_playout_nack_queue_ms(NULL), ==, 200);
	g_assert_cmpuint(oicall_playout_nack_queue_ms("500"), ==, 500);
	g_assert_cmpuint(oicall_playout_nack_queue_ms("0"), ==, 0);
	g_assert_cmpuint(oicall_playout_nack_queue_ms("1500"), ==, 1000);
	g_assert_cmpuint(oicall_playout_resend_gap(oicall_playout_nack_queue_ms("1500")), ==, OICALL_RESEND_GAP_MS);
	g_assert_cmpuint(oicall_playout_nack_queue_ms("-1"), ==, 200);
	g_assert_cmpuint(oicall_playout_nack_queue_ms("lots"), ==, 200);
}

static void test_bad_reports(void) {
	oicall_playout p;
	oicall_playout_init(&p);
	guint8 buf[64];
	int len = rr(buf, 255, 0, 0);
	/* Truncated, no block, not RTCP, empty: nothing changes, nothing read past the end. */
	for(int i = 0; i < 20; i++) {
		oicall_playout_report(&p, (char *)buf, len - 4, 0, CONFIGURED, 0);
		oicall_playout_report(&p, (char *)buf, 3, 0, CONFIGURED, 0);
		oicall_playout_report(&p, NULL, 0, 0, CONFIGURED, 0);
	}
	buf[0] = 0x80;      /* an RR without blocks */
	for(int i = 0; i < 20; i++)
		oicall_playout_report(&p, (char *)buf, 8, 0, CONFIGURED, 0);
	buf[0] = 0x41;      /* not version 2 */
	for(int i = 0; i < 20; i++)
		oicall_playout_report(&p, (char *)buf, len, 0, CONFIGURED, 0);
	g_assert_cmpint(atomic_load(&p.floor_ms), ==, -1);
	g_assert_cmpuint(atomic_load(&p.loss), ==, 0);
}

int main(int argc, char **argv) {
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/playout/clean_path", test_clean_path);
	g_test_add_func("/playout/lossy_path", test_lossy_path);
	g_test_add_func("/playout/round_trip", test_round_trip);
	g_test_add_func("/playout/heavy_loss", test_heavy_loss);
	g_test_add_func("/playout/bad_reports", test_bad_reports);
	return g_test_run();
}
