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
	guint64 keyframe_requests_receiver, keyframe_requests_gateway;
} oicall_media_counts;

/* A packet of a kind (0 audio, 1 video) relayed to a receiver. */
void oicall_count_relayed(int kind, guint length);
void oicall_count_lost(guint packets);
/* A receiver's PLI/FIR; the gateway asking a sender. */
void oicall_count_keyframe_request(gboolean by_gateway);

void oicall_media_counts_read(oicall_media_counts *counts);

#endif
