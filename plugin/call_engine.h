/*
 * OIChat's users and 1:1 calls as a state machine (pure: no Janus, no
 * media, the caller supplies the clock). Requests return the ack payload
 * and append effects: events for users, media changes, and lifecycle
 * notifications, which the Janus glue carries out in order.
 *
 * A session is one plugin handle, named by a number the glue chooses.
 * Each side of a call has a media session, the handle whose PeerConnection
 * carries its media; it starts as the side's control session and stays
 * when the user reconnects on a new one (reconnect grace).
 */
#ifndef OICALL_CALL_ENGINE_H
#define OICALL_CALL_ENGINE_H

#include <glib.h>
#include <jansson.h>

#include "registry.h"

#define OICALL_MAX_CALL_ID_LEN 64
/* Handles that may carry one side's media: a JSEP PeerConnection, or a send and a recv transport. */
#define OICALL_MAX_MEDIA_SESSIONS 2
/* Extra seconds a lingering session outlives the grace, so the grace decides. */
#define OICALL_LINGER_MARGIN_S 5
/* A linger without end: the handle carries a call whose user is back on
 * another session, and goes when that call ends. */
#define OICALL_LINGER_UNTIL_CALL_ENDS G_MAXUINT

typedef enum oicall_call_state {
	OICALL_CALL_RINGING,
	OICALL_CALL_ACTIVE,
	OICALL_CALL_ENDED,
} oicall_call_state;

enum { OICALL_CALLER = 0, OICALL_CALLEE = 1 };

/* A user's place in a call. A call is a room of peers (two today: the
 * caller and the callee); the seed's 1:1 flow bundles the room dialect's
 * steps (join-call, create-transport) into start-call and accept-call. */
typedef struct oicall_peer {
	gboolean room;              /* speaks the room dialect: start-call with toUserIds, or join-call */
	gboolean joined;            /* did join-call */
} oicall_peer;

typedef struct oicall_call {
	volatile gint refs;
	char *id;
	char *user[2];              /* caller, callee */
	char *call_type;            /* "audio" or "video" */
	oicall_call_state state;
	gboolean callee_was_online; /* when the call started */
	gboolean awaiting_offer;    /* reserved: the caller's media description is on its way, the callee isn't offered it yet */
	gint64 created_at, accepted_at, ended_at;
	gint64 ring_deadline;
	gint64 grace_deadline[2];   /* 0 while that side is connected */
	guint64 media_session[2];   /* 0 until the side has one */
	oicall_peer peer[2];
	GHashTable *offered_to;     /* callee sessions that got incoming-call */
	gboolean muted[2][2];       /* [side][0 audio, 1 video] */
	char *end_reason;
	char *codec[2];             /* negotiated audio/video codec names, set by the glue */
	guint64 media_sessions[2][OICALL_MAX_MEDIA_SESSIONS];   /* handles carrying each side's media (glue) */
	gint64 media_seen[2];       /* when a packet last came from that side (glue), 0 never */
	void *media;                /* owned by the glue */
	GDestroyNotify media_free;
} oicall_call;

oicall_call *oicall_call_ref(oicall_call *call);
void oicall_call_unref(oicall_call *call);
/* Which side a user is on, -1 if not in the call. */
int oicall_call_side_of(const oicall_call *call, const char *user);
/* incoming-call's payload for a call: { callId, fromUserId, callType, participants } (new reference). */
json_t *oicall_call_incoming_payload(const oicall_call *call);

typedef enum oicall_effect_kind {
	OICALL_EFFECT_EVENT,        /* send name/payload to session */
	OICALL_EFFECT_MUTE,         /* forward or stop side's audio/video */
	OICALL_EFFECT_ENDED,        /* the call is over: tear its media down */
	OICALL_EFFECT_NOTIFY,       /* name/payload for Janus event handlers */
	OICALL_EFFECT_CLOSE,        /* the session's client must go (another took its user over); its handle may linger */
} oicall_effect_kind;

typedef struct oicall_effect {
	oicall_effect_kind kind;
	guint64 session;            /* EVENT, CLOSE */
	char *name;                 /* EVENT, NOTIFY */
	json_t *payload;            /* EVENT, NOTIFY */
	oicall_call *call;          /* a reference, or NULL */
	int side;                   /* MUTE */
	gboolean video, muted;      /* MUTE */
	gboolean release[2];        /* ENDED: that side's media session serves no user: end it */
} oicall_effect;

/* A GPtrArray that frees its oicall_effect elements. */
GPtrArray *oicall_effects_new(void);

typedef struct oicall_engine oicall_engine;

oicall_engine *oicall_engine_new(gint64 ring_timeout_us, gint64 reconnect_grace_us);
/* An active call ends ("media-timeout") once a side has sent nothing for
 * this long (see media_seen; counted from the accept); 0: never (the default). */
void oicall_engine_set_media_timeout(oicall_engine *engine, gint64 media_timeout_us);
/* How often a user may call (call_limits.h; 0 = no such limit). Off until set. */
void oicall_engine_set_call_limits(oicall_engine *engine, guint starts_per_minute, guint unanswered_max,
	gint64 unanswered_window_us);
void oicall_engine_free(oicall_engine *engine);

oicall_registry *oicall_engine_registry(oicall_engine *engine);
/* The user registered by a session that is still that user's current one. */
const char *oicall_engine_user(oicall_engine *engine, guint64 session);
oicall_call *oicall_engine_call(oicall_engine *engine, const char *call_id);
/* The call a user is in (ringing or active), NULL if none. */
oicall_call *oicall_engine_call_of_user(oicall_engine *engine, const char *user);
/* Every live call, oldest first (a list of oicall_call *; free the list only). */
GList *oicall_engine_calls(oicall_engine *engine);

/* Requests. Each returns the ack payload ({ error } on failure). *call is
 * set (no reference) when the request concerns an existing or new call. */
/* proven_user: the user id a signed token proved for this client (NULL when
 * tokens are off); register then accepts that user only. */
json_t *oicall_engine_register(oicall_engine *engine, guint64 session, json_t *user_id, const char *proven_user,
	GPtrArray *effects, gint64 now);
json_t *oicall_engine_start_call(oicall_engine *engine, guint64 session, json_t *body, GPtrArray *effects,
	gint64 now, oicall_call **call);
/* The same, in two steps, for a caller whose media description (a JSEP
 * offer) must not reach its handle before the call is known to be allowed:
 * reserve_call makes the call (the user is in it, others find them busy)
 * without offering it to the callee; call_offered, once the offer is
 * there, has it ring. A ring timeout ends a reserved call like any other. */
json_t *oicall_engine_reserve_call(oicall_engine *engine, guint64 session, json_t *body, GPtrArray *effects,
	gint64 now, oicall_call **call);
void oicall_engine_call_offered(oicall_engine *engine, oicall_call *call, GPtrArray *effects);
/* A reserved call whose offer turned out unusable ends; nobody is told (the
 * caller hears it from its request's error, the callee never heard of it). */
void oicall_engine_cancel_reserved(oicall_engine *engine, oicall_call *call, GPtrArray *effects, gint64 now);
/* The call a start-call body repeats (the same callee, callType and, if
 * given, callId as the ringing or active call its user started from this
 * session): start-call answers it again as it did, changing nothing. NULL if none. */
oicall_call *oicall_engine_repeated_start(oicall_engine *engine, guint64 session, json_t *body);
/* A repeated accept-call (the callee's session that accepted it) succeeds again, changing nothing. */
json_t *oicall_engine_accept_call(oicall_engine *engine, guint64 session, json_t *body, GPtrArray *effects,
	gint64 now, oicall_call **call);
/* end-call of one of the user's recently ended calls succeeds again, changing nothing. */
json_t *oicall_engine_end_call(oicall_engine *engine, guint64 session, json_t *body, GPtrArray *effects,
	gint64 now);
json_t *oicall_engine_mute(oicall_engine *engine, guint64 session, json_t *body, gboolean video,
	GPtrArray *effects, oicall_call **call);

/* join-call (the room dialect): the user's side of the call becomes a
 * joined peer. Its ack lacks rtpCapabilities (the media glue's). The
 * caller may join at once, the callee once it accepted. */
json_t *oicall_engine_join_call(oicall_engine *engine, guint64 session, json_t *body, GPtrArray *effects,
	oicall_call **call);
/* Whether a side takes part in the call's media: a room-dialect peer once
 * it joined, a seed-dialect (or JSEP) caller from the start, its callee from the accept. */
gboolean oicall_call_peer_joined(const oicall_call *call, int side);
/* leave-call: the user leaves; with two peers that ends the call (a callee
 * still ringing declines, a caller whose call rings cancels it). */
json_t *oicall_engine_leave_call(oicall_engine *engine, guint64 session, json_t *body, GPtrArray *effects,
	gint64 now);

/* Checks common to every call request: a registered session and a callId
 * of one of the user's calls. Returns NULL and sets *call, or the error ack
 * ("Call already ended" for one of the user's recently ended calls). */
json_t *oicall_engine_check_call(oicall_engine *engine, guint64 session, json_t *body, oicall_call **call);

/* The session's client went away but its handle may live on. Returns how
 * many seconds the handle must outlive it (0: no need), or
 * OICALL_LINGER_UNTIL_CALL_ENDS. */
guint oicall_engine_disconnect(oicall_engine *engine, guint64 session, GPtrArray *effects, gint64 now);
/* The session (handle) is destroyed: its media with it. */
void oicall_engine_session_destroyed(oicall_engine *engine, guint64 session, GPtrArray *effects, gint64 now);
/* A side's media is gone for good (its PeerConnection hung up). */
void oicall_engine_media_failed(oicall_engine *engine, oicall_call *call, int side, GPtrArray *effects, gint64 now);

/* Ends a call from outside (an operator): both users get call-ended with reason. */
gboolean oicall_engine_force_end(oicall_engine *engine, const char *call_id, const char *reason,
	GPtrArray *effects, gint64 now);

/* Timers: ring timeouts, grace expiries and media timeouts. */
void oicall_engine_tick(oicall_engine *engine, gint64 now, GPtrArray *effects);
/* When tick has something to do next; G_MAXINT64 if nothing. */
gint64 oicall_engine_next_deadline(oicall_engine *engine);

#endif
