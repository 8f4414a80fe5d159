#include "call_limits.h"

#define MINUTE_US (60 * G_USEC_PER_SEC)

typedef struct unanswered {
	guint count;
	gint64 since;               /* the first of them, for the window */
} unanswered;

struct oicall_call_limits {
	guint starts_per_minute, unanswered_max;
	gint64 window_us;
	GHashTable *starts;         /* caller → GQueue of start times (gint64 *), oldest first */
	GHashTable *unanswered;     /* "caller\ncallee" → unanswered * */
};

static void times_free(GQueue *times) {
	g_queue_free_full(times, g_free);
}

oicall_call_limits *oicall_call_limits_new(guint starts_per_minute, guint unanswered_max, gint64 unanswered_window_us) {
	oicall_call_limits *limits = g_new0(oicall_call_limits, 1);
	limits->starts_per_minute = starts_per_minute;
	limits->unanswered_max = unanswered_max;
	limits->window_us = unanswered_window_us;
	limits->starts = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, (GDestroyNotify)times_free);
	limits->unanswered = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	return limits;
}

void oicall_call_limits_free(oicall_call_limits *limits) {
	if(limits == NULL)
		return;
	g_hash_table_destroy(limits->starts);
	g_hash_table_destroy(limits->unanswered);
	g_free(limits);
}

static char *pair_key(const char *caller, const char *callee) {
	return g_strconcat(caller, "\n", callee, NULL);
}

/* Drops start times older than a minute; TRUE when none is left. */
static gboolean expire_starts(GQueue *times, gint64 now) {
	gint64 *oldest;
	while((oldest = g_queue_peek_head(times)) != NULL && now - *oldest >= MINUTE_US)
		g_free(g_queue_pop_head(times));
	return g_queue_is_empty(times);
}

const char *oicall_call_limits_start(oicall_call_limits *limits, const char *caller, char *const *callees, gint64 now) {
	for(; limits->unanswered_max > 0 && *callees != NULL; callees++) {
		char *key = pair_key(caller, *callees);
		unanswered *u = g_hash_table_lookup(limits->unanswered, key);
		if(u != NULL && now - u->since >= limits->window_us) {
			g_hash_table_remove(limits->unanswered, key);
			u = NULL;
		}
		g_free(key);
		if(u != NULL && u->count >= limits->unanswered_max)
			return "They did not answer your last calls: try again later";
	}
	if(limits->starts_per_minute > 0) {
		GQueue *times = g_hash_table_lookup(limits->starts, caller);
		if(times == NULL) {
			times = g_queue_new();
			g_hash_table_insert(limits->starts, g_strdup(caller), times);
		}
		expire_starts(times, now);
		if(g_queue_get_length(times) >= limits->starts_per_minute)
			return "Too many calls: wait a moment";
		g_queue_push_tail(times, g_memdup2(&now, sizeof(now)));
	}
	return NULL;
}

void oicall_call_limits_ended(oicall_call_limits *limits, const char *caller, const char *callee, gboolean answered,
		gint64 now) {
	if(limits->unanswered_max == 0)
		return;
	char *key = pair_key(caller, callee);
	if(answered) {
		g_hash_table_remove(limits->unanswered, key);
		g_free(key);
		return;
	}
	unanswered *u = g_hash_table_lookup(limits->unanswered, key);
	if(u == NULL || now - u->since >= limits->window_us) {
		u = g_new0(unanswered, 1);
		u->since = now;
		g_hash_table_insert(limits->unanswered, key, u);
	} else {
		g_free(key);
	}
	u->count++;
}

static gboolean starts_expired(gpointer key, gpointer value, gpointer now) {
	(void)key;
	return expire_starts(value, *(gint64 *)now);
}

static gboolean unanswered_expired(gpointer key, gpointer value, gpointer data) {
	(void)key;
	const oicall_call_limits *limits = ((gpointer *)data)[0];
	gint64 now = *(gint64 *)((gpointer *)data)[1];
	return now - ((unanswered *)value)->since >= limits->window_us;
}

void oicall_call_limits_prune(oicall_call_limits *limits, gint64 now) {
	g_hash_table_foreach_remove(limits->starts, starts_expired, &now);
	gpointer data[2] = { limits, &now };
	g_hash_table_foreach_remove(limits->unanswered, unanswered_expired, data);
}
