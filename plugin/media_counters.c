#include "media_counters.h"

#include <stdatomic.h>

static atomic_ullong relayed_packets[2], relayed_bytes[2];
static atomic_ullong lost, keyframe_requests[3];

void oicall_count_relayed(int kind, guint length) {
	if(kind != 0 && kind != 1)
		return;
	atomic_fetch_add_explicit(&relayed_packets[kind], 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&relayed_bytes[kind], length, memory_order_relaxed);
}

void oicall_count_lost(guint packets) {
	atomic_fetch_add_explicit(&lost, packets, memory_order_relaxed);
}

void oicall_count_keyframe_request(oicall_keyframe_reason why) {
	atomic_fetch_add_explicit(&keyframe_requests[why], 1, memory_order_relaxed);
}

void oicall_media_counts_read(oicall_media_counts *counts) {
	for(int kind = 0; kind < 2; kind++) {
		counts->relayed_packets[kind] = atomic_load_explicit(&relayed_packets[kind], memory_order_relaxed);
		counts->relayed_bytes[kind] = atomic_load_explicit(&relayed_bytes[kind], memory_order_relaxed);
	}
	counts->lost = atomic_load_explicit(&lost, memory_order_relaxed);
	for(int why = 0; why < 3; why++)
		counts->keyframe_requests[why] = atomic_load_explicit(&keyframe_requests[why], memory_order_relaxed);
}
