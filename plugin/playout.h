/*
 * A playout-delay floor for a receiver of video on a lossy path. A browser
 * plays a frame as soon as its jitter buffer allows, so a frame that waits for
 * a retransmission (a NACK and a round trip, twice if the retransmission is
 * lost too) arrives too late and the picture freezes. While a receiver's
 * reports show loss, the relay asks its browser (the playout-delay RTP header
 * extension, http://www.webrtc.org/experiments/rtp-hdrext/playout-delay) to
 * hold video at least that long, enough for two rounds of repair; once the
 * loss is gone the floor goes back to 0. On heavy loss retransmissions are
 * lost often too, and the core sends a packet again no sooner than 200 ms
 * after its last retransmission: the floor then covers that wait as well,
 * where the core keeps packets long enough to resend them (its
 * media.min_nack_queue). Audio follows through lip sync.
 * Pure: no Janus callbacks, so the unit tests drive it directly.
 */
#ifndef OICALL_PLAYOUT_H
#define OICALL_PLAYOUT_H

#include <stdatomic.h>

#include <glib.h>

/* Video sent from one m-line to its receiver. */
typedef struct oicall_playout {
	atomic_int floor_ms;    /* the extension's minimum delay; -1: never sent (the relay adds no extension) */
	atomic_uint loss;       /* how much of what it is sent it loses, in 1/65536 (written on its RTCP thread only) */
	/* Its RTCP thread only: the last report's stream and highest sequence
	 * number, and the packets (and those lost, in 1/256) since loss was updated. */
	gboolean started;
	guint32 ssrc, highest;
	guint window, window_lost;
	atomic_uint rtt_ms;     /* the last round trip its reports gave, 0 if none did */
	gboolean heavy;         /* its RTCP thread only: loss heavy enough that retransmissions are lost often too */
} oicall_playout;

void oicall_playout_init(oicall_playout *playout);

/* The wait the Janus 1.1 core keeps between two retransmissions of one packet
 * (ice.c's MAX_NACK_IGNORE): it ignores NACKs for a packet it resent less long ago. */
#define OICALL_RESEND_GAP_MS 200

/* The receiver's RTCP compound packet about this video (the core puts its
 * media's report block first). ntp_middle: the middle 32 bits of the NTP time
 * now (oicall_ntp_middle). configured_ms: the floor for a lossy path, 0 = off.
 * resend_gap_ms: OICALL_RESEND_GAP_MS where the core resends a lost
 * retransmission, 0 where it keeps packets too briefly to. */
void oicall_playout_report(oicall_playout *playout, const char *rtcp, int len, guint32 ntp_middle,
	guint configured_ms, guint resend_gap_ms);

/* How long the core keeps packets for retransmission (ms) given the text of
 * janus.jcfg's media.min_nack_queue (NULL: unset): 200 unless set, at most
 * 1000, as the Janus 1.1 core takes it. */
guint oicall_playout_nack_queue_ms(const char *min_nack_queue);

/* The resend gap for oicall_playout_report given the core's media.min_nack_queue
 * (ms; the core keeps a packet that long at least): 0 if a packet is gone
 * before the gap is over, with a round trip's margin. */
guint oicall_playout_resend_gap(guint min_nack_queue_ms);

/* The middle 32 bits of the NTP time of a wall-clock time in µs (RFC 3550's
 * unit for LSR and DLSR). */
guint32 oicall_ntp_middle(gint64 real_us);

#endif
