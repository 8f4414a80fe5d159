/*
 * Loss no retransmission repaired, seen from the relay, so that the sender is
 * asked for a keyframe at once rather than when the receivers give up (a
 * browser asks only after about 3 s without a decodable frame). Two signs:
 * - upstream: a hole in the sequence numbers a source sends that nothing
 *   filled in time (the core NACKs a hole twice, 12 ms and 155 ms after it
 *   sees it, then gives up): every receiver misses that frame;
 * - downstream: a receiver's RTCP report on the RTX stream the core sends it
 *   counts more packets lost (the core resends a packet no sooner than 200 ms
 *   after its last retransmission, and only if it keeps packets longer than
 *   its default 200 ms: asked at once, the keyframe or that second
 *   retransmission, whichever comes first, repairs the picture).
 * Pure: no Janus callbacks, so the unit tests drive it directly.
 */
#ifndef OICALL_LOSS_WATCH_H
#define OICALL_LOSS_WATCH_H

#include <glib.h>

/* Holes tracked at once; a larger jump starts afresh (and counts as unrepaired). */
#define OICALL_HOLES_MAX 64

typedef struct oicall_hole {
	guint16 seq;
	gint64 since;           /* when the packet after it came */
} oicall_hole;

/* The holes in what one source m-line sends (its RTP thread only). */
typedef struct oicall_holes {
	gboolean started;
	guint32 ssrc;
	guint16 highest;
	guint count;
	oicall_hole hole[OICALL_HOLES_MAX];     /* oldest first */
	gint64 fill_us;         /* how soon a retransmission fills a hole, at best (0: none seen yet) */
	gboolean lost;          /* an unrepaired gap not yet told (a jump too large to track) */
} oicall_holes;

/* A packet came in (first packet of a keyframe or not). */
void oicall_holes_packet(oicall_holes *holes, guint32 ssrc, guint16 seq, gboolean keyframe, gint64 now);
/* Whether a hole is past any retransmission's reach: the receivers will miss
 * that frame and need a keyframe. */
gboolean oicall_holes_unrepaired(const oicall_holes *holes, gint64 now);
/* A keyframe was asked for: what is missing now is covered by it. */
void oicall_holes_clear(oicall_holes *holes);
/* How long a hole may stay open before it counts as unrepaired. */
gint64 oicall_holes_deadline(const oicall_holes *holes);

/* The retransmissions a receiver reports lost (its RTCP thread only). */
typedef struct oicall_rtx_loss {
	guint32 ssrc;           /* the RTX stream's SSRC (0: no report on one yet) */
	gint32 lost;            /* its cumulative number of packets lost, as last reported */
} oicall_rtx_loss;

/* Report block `index` (0: the first) of the first sender or receiver report
 * of an RTCP compound packet that has that many, or NULL. */
const guint8 *oicall_rtcp_report_block(const char *rtcp, int len, int index);
/* A 32-bit field of a report block (network order). */
guint32 oicall_rtcp_be32(const guint8 *p);

/* An RTCP compound packet from a receiver of video: TRUE if its report on
 * the RTX stream (a report block after the media one) counts more lost than
 * the last one did. */
gboolean oicall_rtx_loss_report(oicall_rtx_loss *loss, const char *rtcp, int len);

#endif
