#include "loss_watch.h"

#include <string.h>

/* The core NACKs a hole 12 ms and again 155 ms after it sees it, each time
 * only when a packet comes in (a frame of video later, at worst ~70 ms). */
#define FIRST_NACK_US (12 * 1000)
#define SECOND_NACK_US (155 * 1000)
#define NEXT_PACKET_US (70 * 1000)
#define MARGIN_US (30 * 1000)
/* Round trip assumed until a retransmission has filled a hole, and the most believed. */
#define RTT_UNKNOWN_US (100 * 1000)
#define RTT_MAX_US (750 * 1000)
/* Sequence numbers this far behind the highest: the sender started over (as the core takes it). */
#define RESTART_BEHIND 1000

gint64 oicall_holes_deadline(const oicall_holes *holes) {
	gint64 rtt = holes->fill_us > 0 ? holes->fill_us - FIRST_NACK_US : RTT_UNKNOWN_US;
	return SECOND_NACK_US + NEXT_PACKET_US + CLAMP(rtt, 0, RTT_MAX_US) + MARGIN_US;
}

static void start(oicall_holes *holes, guint32 ssrc, guint16 seq) {
	holes->started = TRUE;
	holes->ssrc = ssrc;
	holes->highest = seq;
	oicall_holes_clear(holes);
}

static void fill(oicall_holes *holes, guint16 seq, gint64 now) {
	for(guint i = 0; i < holes->count; i++) {
		if(holes->hole[i].seq != seq)
			continue;
		/* The quickest repairs tell the round trip; a slower path is learnt slowly. */
		gint64 took = now - holes->hole[i].since;
		if(holes->fill_us == 0 || took < holes->fill_us)
			holes->fill_us = took;
		else
			holes->fill_us += (took - holes->fill_us) / 16;
		holes->count--;
		memmove(&holes->hole[i], &holes->hole[i + 1], (holes->count - i) * sizeof(holes->hole[0]));
		return;
	}
}

/* Holes before a keyframe no longer matter: the receivers decode from it. */
static void drop_before(oicall_holes *holes, guint16 seq) {
	guint kept = 0;
	for(guint i = 0; i < holes->count; i++) {
		if((gint16)(holes->hole[i].seq - seq) > 0)
			holes->hole[kept++] = holes->hole[i];
	}
	holes->count = kept;
}

void oicall_holes_packet(oicall_holes *holes, guint32 ssrc, guint16 seq, gboolean keyframe, gint64 now) {
	if(!holes->started || ssrc != holes->ssrc) {
		start(holes, ssrc, seq);
		return;
	}
	int ahead = (gint16)(seq - holes->highest);
	if(ahead <= -RESTART_BEHIND) {
		start(holes, ssrc, seq);
		return;
	}
	if(ahead > 0) {
		if(holes->count + ahead - 1 > OICALL_HOLES_MAX) {
			/* More missing than tracked: as good as lost. */
			holes->count = 0;
			holes->lost = TRUE;
		} else {
			for(guint16 missing = holes->highest + 1; missing != seq; missing++)
				holes->hole[holes->count++] = (oicall_hole){ missing, now };
		}
		holes->highest = seq;
	} else {
		fill(holes, seq, now);
	}
	if(keyframe) {
		drop_before(holes, seq);
		if(ahead > 0)
			holes->lost = FALSE;
	}
}

gboolean oicall_holes_unrepaired(const oicall_holes *holes, gint64 now) {
	/* Holes are kept in the order they were seen: the first is the oldest. */
	return holes->lost || (holes->count > 0 && now - holes->hole[0].since >= oicall_holes_deadline(holes));
}

void oicall_holes_clear(oicall_holes *holes) {
	holes->count = 0;
	holes->lost = FALSE;
}

/* A report block's cumulative number of packets lost (24 bits, signed). */
static gint32 cumulative_lost(const guint8 *block) {
	gint32 lost = (block[5] << 16) | (block[6] << 8) | block[7];
	return (lost & 0x800000) ? lost - 0x1000000 : lost;
}

guint32 oicall_rtcp_be32(const guint8 *p) {
	return ((guint32)p[0] << 24) | ((guint32)p[1] << 16) | ((guint32)p[2] << 8) | p[3];
}

const guint8 *oicall_rtcp_report_block(const char *rtcp, int len, int index) {
	const guint8 *at = (const guint8 *)rtcp;
	while(len >= 8 && (at[0] >> 6) == 2) {
		int size = ((at[2] << 8) | at[3]) * 4 + 4, blocks = at[0] & 0x1F, type = at[1];
		if(size > len)
			return NULL;
		/* SR: header, sender SSRC and sender info; RR: header and sender SSRC. */
		int first = type == 200 ? 28 : 8;
		if((type == 200 || type == 201) && blocks > index && first + (index + 1) * 24 <= size)
			return at + first + index * 24;
		at += size;
		len -= size;
	}
	return NULL;
}

gboolean oicall_rtx_loss_report(oicall_rtx_loss *loss, const char *rtcp, int len) {
	/* The core puts the media's block first (janus_rtcp_swap_report_blocks): the next is the RTX stream's. */
	const guint8 *block = oicall_rtcp_report_block(rtcp, len, 1);
	if(block == NULL)
		return FALSE;
	guint32 ssrc = oicall_rtcp_be32(block);
	gint32 lost = cumulative_lost(block);
	gboolean more = ssrc == loss->ssrc && lost > loss->lost;
	loss->ssrc = ssrc;
	loss->lost = lost;
	return more;
}
