#include "fanout.h"

#include "session.h"

/* While a forward waits for a keyframe, the sender is asked again this often;
 * after the longest wait what comes goes anyway (a keyframe it can't tell). */
#define KEYFRAME_RETRY_US (500 * 1000)
#define KEYFRAME_WAIT_MAX_US (3 * G_USEC_PER_SEC)
/* A receiver's REMB older than this no longer holds the sender down (browsers send one a second). */
#define REMB_MAX_AGE_US (5 * G_USEC_PER_SEC)

oicall_forward *oicall_forward_new(void (*release)(oicall_forward *forward), int kind, const int *pt_map, gboolean paused) {
	oicall_forward *forward = g_new0(oicall_forward, 1);
	forward->refs = 1;
	forward->release = release;
	forward->kind = kind;
	for(int pt = 0; pt < 128; pt++)
		forward->pt_map[pt] = pt_map ? pt_map[pt] : pt;
	atomic_init(&forward->paused, paused ? 1 : 0);
	return forward;
}

oicall_forward *oicall_forward_ref(oicall_forward *forward) {
	g_atomic_int_inc(&forward->refs);
	return forward;
}

void oicall_forward_unref(oicall_forward *forward) {
	if(forward == NULL || !g_atomic_int_dec_and_test(&forward->refs))
		return;
	if(forward->release != NULL)
		forward->release(forward);
	g_free(forward);
}

void oicall_forward_wait_keyframe(oicall_forward *forward, gint64 now) {
	if(forward->kind == OICALL_VIDEO)
		atomic_store(&forward->keyframe_wait, now);
}

void oicall_forward_resume(oicall_forward *forward, gint64 now) {
	atomic_store(&forward->resume, 1);
	oicall_forward_wait_keyframe(forward, now);
}

gboolean oicall_forward_waiting(oicall_forward *forward) {
	return atomic_load_explicit(&forward->keyframe_wait, memory_order_relaxed) != 0;
}

oicall_gate oicall_forward_gate(oicall_forward *forward, gboolean keyframe, gint64 now) {
	gint64 since = atomic_load_explicit(&forward->keyframe_wait, memory_order_relaxed);
	if(since == 0)
		return OICALL_GATE_PASS;
	if(keyframe || now - since >= KEYFRAME_WAIT_MAX_US) {
		/* Unless a new wait began meanwhile. */
		atomic_compare_exchange_strong(&forward->keyframe_wait, &since, 0);
		return OICALL_GATE_PASS;
	}
	if(now - MAX(since, forward->last_pli_us) >= KEYFRAME_RETRY_US) {
		forward->last_pli_us = now;
		return OICALL_GATE_ASK;
	}
	return OICALL_GATE_WAIT;
}

static oicall_fanout *fanout_new(void) {
	oicall_fanout *set = g_new0(oicall_fanout, 1);
	set->refs = 1;
	return set;
}

oicall_fanout *oicall_fanout_ref(oicall_fanout *set) {
	g_atomic_int_inc(&set->refs);
	return set;
}

void oicall_fanout_unref(oicall_fanout *set) {
	if(set == NULL || !g_atomic_int_dec_and_test(&set->refs))
		return;
	for(guint i = 0; i < set->len; i++)
		oicall_forward_unref(set->forwards[i]);
	g_free(set);
}

static void fanout_add(oicall_fanout *set, oicall_forward *forward) {
	set->forwards[set->len++] = oicall_forward_ref(forward);
}

oicall_fanout *oicall_fanout_with(const oicall_fanout *set, oicall_forward *forward) {
	oicall_forward *replaced = oicall_fanout_find(set, forward->target, forward->target_mindex);
	if(replaced == NULL && set != NULL && set->len >= OICALL_MAX_FORWARDS)
		return NULL;
	oicall_fanout *copy = fanout_new();
	for(guint i = 0; set != NULL && i < set->len; i++)
		fanout_add(copy, set->forwards[i] == replaced ? forward : set->forwards[i]);
	if(replaced == NULL)
		fanout_add(copy, forward);
	return copy;
}

oicall_fanout *oicall_fanout_without(const oicall_fanout *set, const oicall_forward *forward) {
	oicall_fanout *copy = fanout_new();
	for(guint i = 0; set != NULL && i < set->len; i++) {
		if(set->forwards[i] != forward)
			fanout_add(copy, set->forwards[i]);
	}
	if(copy->len == 0)
		g_clear_pointer(&copy, oicall_fanout_unref);
	return copy;
}

gboolean oicall_fanout_has(const oicall_fanout *set, const oicall_forward *forward) {
	for(guint i = 0; set != NULL && i < set->len; i++) {
		if(set->forwards[i] == forward)
			return TRUE;
	}
	return FALSE;
}

oicall_forward *oicall_fanout_find(const oicall_fanout *set, const struct oicall_session *target, int target_mindex) {
	for(guint i = 0; set != NULL && i < set->len; i++) {
		if(set->forwards[i]->target == target && set->forwards[i]->target_mindex == target_mindex)
			return set->forwards[i];
	}
	return NULL;
}

guint32 oicall_fanout_remb(const oicall_fanout *set, gint64 now) {
	guint32 lowest = 0;
	for(guint i = 0; set != NULL && i < set->len; i++) {
		oicall_forward *forward = set->forwards[i];
		guint32 remb = atomic_load(&forward->remb);
		if(remb == 0 || atomic_load(&forward->paused) || now - atomic_load(&forward->remb_us) > REMB_MAX_AGE_US)
			continue;
		if(lowest == 0 || remb < lowest)
			lowest = remb;
	}
	return lowest;
}

gboolean oicall_rate_take(atomic_llong *last, gint64 now, gint64 interval) {
	gint64 before = atomic_load(last);
	if(before != 0 && now - before < interval)
		return FALSE;
	/* Whoever records first goes; a racing caller waits for the next interval. */
	return atomic_compare_exchange_strong(last, &before, now);
}

gboolean oicall_keyframe_ask(oicall_keyframe_asks *asks, gint64 now, gint64 gap) {
	if(oicall_rate_take(&asks->last_us, now, gap)) {
		atomic_store(&asks->held, 0);   /* this one serves whoever was owed */
		return TRUE;
	}
	atomic_store(&asks->held, 1);
	return FALSE;
}

gboolean oicall_keyframe_due(oicall_keyframe_asks *asks, gint64 now, gint64 gap) {
	if(!atomic_load_explicit(&asks->held, memory_order_relaxed) || !oicall_rate_take(&asks->last_us, now, gap))
		return FALSE;
	atomic_store(&asks->held, 0);
	return TRUE;
}
