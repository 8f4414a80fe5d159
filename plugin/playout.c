#include "playout.h"

#include "loss_watch.h"

/* Loss (a moving average over windows of packets) above which the path is
 * lossy, and below which it is clean again: apart, so that the floor doesn't
 * flap at the threshold. In 1/65536. */
#define LOSSY (65536 * 2 / 100)
#define CLEAN (65536 / 100)
/* Heavy loss, and back to merely lossy: at 6 % a packet needs a second
 * retransmission (the first one, or the NACK for it, lost) a few times a
 * second at 15 frames a second. */
#define HEAVY (65536 * 6 / 100)
#define MODERATE (65536 * 4 / 100)
/* The margin the core's packets must outlive the resend gap by (a round trip
 * and the receiver's next NACK). */
#define RESEND_MARGIN_MS 100
/* The core's media.min_nack_queue unless set, and its cap (ice.c's
 * DEFAULT_MIN_NACK_QUEUE and DEFAULT_MAX_NACK_QUEUE). */
#define CORE_NACK_QUEUE_MS 200
#define CORE_NACK_QUEUE_MAX_MS 1000
/* Packets a window of loss spans (a second or two of video), and the jump in
 * sequence numbers past which a stream counts as started over. */
#define WINDOW_PACKETS 32
#define JUMP_MAX 10000
/* Two rounds of repair need about 2.5 round trips (NACK, retransmission, and
 * the next NACK a round trip later); a floor never goes past a second. */
#define FLOOR_MAX_MS 1000
/* Seconds between 1900 (NTP) and 1970. */
#define NTP_EPOCH_OFFSET 2208988800ULL

void oicall_playout_init(oicall_playout *playout) {
	atomic_store(&playout->floor_ms, -1);
	atomic_store(&playout->loss, 0);
	atomic_store(&playout->rtt_ms, 0);
	playout->started = FALSE;
	playout->heavy = FALSE;
	playout->window = playout->window_lost = 0;
}

guint oicall_playout_nack_queue_ms(const char *min_nack_queue) {
	guint64 queue = 0;
	if(min_nack_queue == NULL || !g_ascii_string_to_unsigned(min_nack_queue, 10, 0, G_MAXUINT16, &queue, NULL))
		return CORE_NACK_QUEUE_MS;
	return (guint)MIN(queue, CORE_NACK_QUEUE_MAX_MS);
}

guint oicall_playout_resend_gap(guint min_nack_queue_ms) {
	return min_nack_queue_ms >= OICALL_RESEND_GAP_MS + RESEND_MARGIN_MS ? OICALL_RESEND_GAP_MS : 0;
}

guint32 oicall_ntp_middle(gint64 real_us) {
	guint64 seconds = (guint64)(real_us / G_USEC_PER_SEC) + NTP_EPOCH_OFFSET;
	guint64 fraction = ((guint64)(real_us % G_USEC_PER_SEC) << 32) / G_USEC_PER_SEC;
	return (guint32)(((seconds & 0xFFFF) << 16) | (fraction >> 16));
}

void oicall_playout_report(oicall_playout *playout, const char *rtcp, int len, guint32 ntp_middle,
		guint configured_ms, guint resend_gap_ms) {
	const guint8 *block = oicall_rtcp_report_block(rtcp, len, 0);
	if(block == NULL)
		return;
	/* Each report's fraction lost covers the packets since the receiver's last
	 * report, often a few or none (a browser reports with each NACK and each
	 * transport-wide feedback too): weighed by those packets, windows of
	 * reports say how lossy the path is; averaging reports would not. */
	guint32 ssrc = oicall_rtcp_be32(block), highest = oicall_rtcp_be32(block + 8);
	guint32 packets = highest - playout->highest;
	if(!playout->started || ssrc != playout->ssrc || packets > JUMP_MAX) {
		playout->started = TRUE;
		playout->ssrc = ssrc;
		playout->window = playout->window_lost = 0;
	} else {
		playout->window += packets;
		playout->window_lost += packets * block[4];
	}
	playout->highest = highest;
	/* RFC 3550 6.4.1: round trip = now - LSR - DLSR, in 1/65536 s. */
	guint32 lsr = oicall_rtcp_be32(block + 16), dlsr = oicall_rtcp_be32(block + 20);
	if(lsr != 0) {
		guint32 rtt = ntp_middle - lsr - dlsr;
		if(rtt < 65536 * 5)     /* a sane round trip: the clock or the report may be off */
			atomic_store(&playout->rtt_ms, (guint)(((guint64)rtt * 1000) >> 16));
	}
	if(playout->window < WINDOW_PACKETS)
		return;
	guint loss = atomic_load(&playout->loss), window_loss = (guint)(((guint64)playout->window_lost << 8) / playout->window);
	loss = loss - loss / 4 + window_loss / 4;
	atomic_store(&playout->loss, loss);
	playout->window = playout->window_lost = 0;
	int floor = atomic_load(&playout->floor_ms);
	gboolean lossy = configured_ms > 0 && (loss >= LOSSY || (floor > 0 && loss >= CLEAN));
	playout->heavy = lossy && (loss >= HEAVY || (playout->heavy && loss >= MODERATE));
	if(lossy) {
		guint repair = atomic_load(&playout->rtt_ms) * 5 / 2 + (playout->heavy ? resend_gap_ms : 0);
		floor = MIN(MAX(configured_ms, repair), FLOOR_MAX_MS);
	} else if(floor > 0)
		floor = 0;      /* said explicitly: a browser keeps the last floor it was told */
	atomic_store(&playout->floor_ms, floor);
}
