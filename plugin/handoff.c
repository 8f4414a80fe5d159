#include "handoff.h"

struct oicall_handoff {
	volatile gint refs;
	json_t *answer;
	gboolean given;
	GMutex mutex;
	GCond cond;
};

oicall_handoff *oicall_handoff_new(void) {
	oicall_handoff *handoff = g_new0(oicall_handoff, 1);
	handoff->refs = 2;
	g_mutex_init(&handoff->mutex);
	g_cond_init(&handoff->cond);
	return handoff;
}

void oicall_handoff_unref(oicall_handoff *handoff) {
	if(handoff == NULL || !g_atomic_int_dec_and_test(&handoff->refs))
		return;
	json_decref(handoff->answer);
	g_mutex_clear(&handoff->mutex);
	g_cond_clear(&handoff->cond);
	g_free(handoff);
}

void oicall_handoff_give(oicall_handoff *handoff, json_t *answer) {
	g_mutex_lock(&handoff->mutex);
	if(handoff->given) {
		json_decref(answer);
	} else {
		handoff->answer = answer;
		handoff->given = TRUE;
		g_cond_signal(&handoff->cond);
	}
	g_mutex_unlock(&handoff->mutex);
}

json_t *oicall_handoff_wait(oicall_handoff *handoff, gint64 timeout_us) {
	g_mutex_lock(&handoff->mutex);
	gint64 deadline = g_get_monotonic_time() + timeout_us;
	while(!handoff->given && g_cond_wait_until(&handoff->cond, &handoff->mutex, deadline))
		;
	json_t *answer = handoff->given ? json_incref(handoff->answer) : NULL;
	g_mutex_unlock(&handoff->mutex);
	oicall_handoff_unref(handoff);
	return answer;
}
