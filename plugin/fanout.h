/*
 * One producer fanned out to many consumers: the forwards of a source m-line,
 * each with its own target, payload-type map, pause and keyframe wait, and the
 * decisions the relay takes per forward. A set is never changed once published:
 * the plugin thread builds a new one and swaps it in under the source session's
 * mutex, so the RTP thread walks the set it holds a reference to without
 * allocating and without any lock but that one, briefly. Pure: no Janus
 * callbacks, so the unit tests drive it directly.
 */
#ifndef OICALL_FANOUT_H
#define OICALL_FANOUT_H

#include <stdatomic.h>

#include <glib.h>
#include <janus/rtp.h>

/* Consumers one producer m-line can feed (a group call of 11 needs 10). */
#define OICALL_MAX_FORWARDS 16

struct oicall_session;

/* One m-line's media going from a source handle to a target handle. */
typedef struct oicall_forward {
	gint refs;
	void (*release)(struct oicall_forward *forward);   /* at the last reference, before it is freed: drops what it holds */
	struct oicall_session *source;  /* references, dropped by release */
	int source_mindex;
	struct oicall_session *target;
	int target_mindex;
	int kind;
	int pt_map[128];                /* source payload type → target's, -1 drops, OICALL_PT_UNWRAP_RED (red.h) unwraps */
	atomic_int paused;              /* a consumer not resumed yet */
	atomic_int resume;              /* continuity reset wanted after a pause */
	atomic_llong keyframe_wait;     /* video: since when it waits for the source's next keyframe, 0 if not */
	gint64 last_pli_us;             /* source's RTP thread only: its last request while waiting */
	janus_rtp_switching_context context;    /* source's RTP thread only */
	atomic_ullong packets, bytes;
	atomic_int pt_out;              /* the payload type of the last packet it sent */
	atomic_uint remb;               /* the target's last bitrate estimate for this media, and when */
	atomic_llong remb_us;
} oicall_forward;

/* A forward with one reference, passing payload types through pt_map (NULL: unchanged). */
oicall_forward *oicall_forward_new(void (*release)(oicall_forward *forward), int kind, const int *pt_map, gboolean paused);
oicall_forward *oicall_forward_ref(oicall_forward *forward);
void oicall_forward_unref(oicall_forward *forward);

/* Video that starts or resumes waits for the sender's next keyframe. */
void oicall_forward_wait_keyframe(oicall_forward *forward, gint64 now);
/* After a pause: continuity reset, and a keyframe wait. */
void oicall_forward_resume(oicall_forward *forward, gint64 now);
gboolean oicall_forward_waiting(oicall_forward *forward);

/* Whether a packet goes through a forward that may be waiting for a keyframe,
 * and whether the sender should be asked (again) for one. */
typedef enum { OICALL_GATE_PASS, OICALL_GATE_WAIT, OICALL_GATE_ASK } oicall_gate;
oicall_gate oicall_forward_gate(oicall_forward *forward, gboolean keyframe, gint64 now);

typedef struct oicall_fanout {
	gint refs;
	guint len;
	oicall_forward *forwards[OICALL_MAX_FORWARDS];  /* a reference each */
} oicall_fanout;

oicall_fanout *oicall_fanout_ref(oicall_fanout *set);
void oicall_fanout_unref(oicall_fanout *set);     /* NULL is fine */
/* A new set: set (NULL: empty) plus forward, which replaces one to the same
 * target m-line. NULL if the set is full. */
oicall_fanout *oicall_fanout_with(const oicall_fanout *set, oicall_forward *forward);
/* A new set without that forward; NULL if nothing is left. */
oicall_fanout *oicall_fanout_without(const oicall_fanout *set, const oicall_forward *forward);
gboolean oicall_fanout_has(const oicall_fanout *set, const oicall_forward *forward);
oicall_forward *oicall_fanout_find(const oicall_fanout *set, const struct oicall_session *target, int target_mindex);
/* What the sender is told it may send: the lowest recent estimate of the
 * targets that receive (not paused), 0 if none has one. */
guint32 oicall_fanout_remb(const oicall_fanout *set, gint64 now);

/* Rate limit: whether an event may happen now, at most once per interval (then recorded). */
gboolean oicall_rate_take(atomic_llong *last, gint64 now, gint64 interval);

/* Keyframe requests to one sender's m-line, at most one per gap; one asked
 * for within the gap is held, not dropped, and goes when the gap is over. */
typedef struct oicall_keyframe_asks {
	atomic_llong last_us;           /* the last request sent */
	atomic_int held;                /* one is owed */
} oicall_keyframe_asks;
/* Whether a request goes now; if not, it is held. */
gboolean oicall_keyframe_ask(oicall_keyframe_asks *asks, gint64 now, gint64 gap);
/* Whether a held request goes now (then it is no longer held). */
gboolean oicall_keyframe_due(oicall_keyframe_asks *asks, gint64 now, gint64 gap);

#endif
