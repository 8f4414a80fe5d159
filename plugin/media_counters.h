/*
 * Counters the media path bumps for the metrics (pure, lock-free: any
 * thread adds, metrics.c reads). Apart from metrics.c so that the relay,
 * and its unit tests, need nothing else of it.
 */
#ifndef OICALL_MEDIA_COUNTERS_H
#define OICALL_MEDIA_COUNTERS_H

#include <glib.h>

typedef struct oicall_media_counts {
	guint64 relayed_packets[2], relayed_bytes[2];   /* [OICALL_AUDIO, OICALL_VIDEO] */
	guint64 lost;                   /* gaps in what senders send */
	guint64 keyframe_requests[3];   /* by oicall_keyframe_reason */
} oicall_media_counts;

typedef enum oicall_keyframe_reason {
	OICALL_KEYFRAME_RECEIVER,       /* a receiver's PLI/FIR */
	OICALL_KEYFRAME_START,          /* the gateway's own: a stream starting or resuming */
	OICALL_KEYFRAME_LOSS,           /* the gateway's own: loss no retransmission repaired */
} oicall_keyframe_reason;

/* A packet of a kind (0 audio, 1 video) relayed to a receiver. */
void oicall_count_relayed(int kind, guint length);
void oicall_count_lost(guint packets);
/* A keyframe request: a receiver's, or the gateway's own to a sender. */
void oicall_count_keyframe_request(oicall_keyframe_reason why);

void oicall_media_counts_read(oicall_media_counts *counts);

#endif
