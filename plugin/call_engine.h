/*
 * OIChat's users and calls as a state machine (pure: no Janus, no media,
 * the caller supplies the clock). A call is a room of peers: the caller
 * and the users it invited (at start-call or later with add-participants),
 * each ringing, in, or out again. The seed's 1:1 flow is that room with
 * two peers and the room dialect's steps (join-call, create-transport)
 * bundled into start-call and accept-call. Requests return the ack payload
 * and append effects: events for users, media changes, and lifecycle
 * notifications, which the Janus glue carries out in order.
 *
 * A session is one plugin handle, named by a number the glue chooses.
 * Each peer has a media session, the handle whose PeerConnection (or
 * whose transports) carry its media; it starts as the peer's control
 * session and stays when the user reconnects on a new one (reconnect grace).
 */
#ifndef OICALL_CALL_ENGINE_H
#define OICALL_CALL_ENGINE_H

#include <glib.h>
#include <jansson.h>

#include "registry.h"

#define OICALL_MAX_CALL_ID_LEN 64
/* Handles that may carry one peer's media: a JSEP PeerConnection, or a send and a recv transport. */
#define OICALL_MAX_MEDIA_SESSIONS 2
/* Peers a call can hold, whatever the configuration says (general.max_participants is at most this). */
#define OICALL_MAX_PEERS 16
/* The default for general.max_participants: the caller and 10 invitees, as OIChat's app allows. */
#define OICALL_DEFAULT_MAX_PEERS 11
/* Extra seconds a lingering session outlives the grace, so the grace decides. */
#define OICALL_LINGER_MARGIN_S 5
/* A linger without end: the handle carries a call whose user is back on
 * another session, and goes when that call ends. */
#define OICALL_LINGER_UNTIL_CALL_ENDS G_MAXUINT
/* call-reaction's emoji: 1 to this many UTF-16 units. */
#define OICALL_MAX_EMOJI_UNITS 16

typedef enum oicall_call_state {
	OICALL_CALL_RINGING,        /* nobody accepted yet */
	OICALL_CALL_ACTIVE,         /* an invitee accepted */
	OICALL_CALL_ENDED,
} oicall_call_state;

/* The caller is peer 0; in a 1:1 call the callee is peer 1. */
enum { OICALL_CALLER = 0, OICALL_CALLEE = 1 };

typedef enum oicall_peer_state {
	OICALL_PEER_RINGING,        /* invited, not answered yet */
	OICALL_PEER_IN,             /* the caller, or an invitee who accepted */
	OICALL_PEER_OUT,            /* left, declined, rang out, busy, or gone */
} oicall_peer_state;

/* A user's place in a call (its index is the user's "side"; a peer that
 * goes out keeps its index, and takes it again if invited again). */
typedef struct oicall_peer {
	char *user;
	oicall_peer_state state;
	gboolean room;              /* speaks the room dialect: start-call with toUserIds, or join-call */
	gboolean joined;            /* did join-call */
	gboolean announced;         /* the others heard participant-joined */
	gboolean was_online;        /* when invited */
	char *invited_by;
	gint64 ring_deadline;       /* RINGING */
	gint64 accepted_at;
	gint64 grace_deadline;      /* 0 while the user is connected */
	guint64 media_session;      /* 0 until the peer has one */
	GHashTable *offered_to;     /* sessions of this invitee's user that got incoming-call */
	gboolean muted[2];          /* [0 audio, 1 video] */
	guint64 media_sessions[OICALL_MAX_MEDIA_SESSIONS];     /* handles carrying its media (glue) */
	gint64 media_seen;          /* when a packet last came from it (glue), 0 never */
} oicall_peer;

typedef struct oicall_call {
	volatile gint refs;
	char *id;
	oicall_peer peers[OICALL_MAX_PEERS];
	int npeers;                 /* peers[0..npeers) are used, out ones too */
	gboolean group;             /* has had more than one invitee: the room's events go to every peer */
	char *call_type;            /* "audio" or "video" */
	oicall_call_state state;
	gboolean awaiting_offer;    /* reserved: the caller's media description is on its way, nobody is offered it yet */
	gint64 created_at, accepted_at, ended_at;
	char *end_reason;
	char *codec[2];             /* negotiated audio/video codec names, set by the glue */
	void *media;                /* owned by the glue */
	GDestroyNotify media_free;
} oicall_call;

oicall_call *oicall_call_ref(oicall_call *call);
void oicall_call_unref(oicall_call *call);
/* Which side a user is (or was) on, -1 if never in the call. */
int oicall_call_side_of(const oicall_call *call, const char *user);
/* The users of the peers that are not out (ringing or in), from first_side on (new reference). */
json_t *oicall_call_participants(const oicall_call *call, int first_side);
/* incoming-call's payload for a call: { callId, fromUserId, callType, participants } (new reference):
 * participants are the caller and everyone invited who is not out. */
json_t *oicall_call_incoming_payload(const oicall_call *call);

typedef enum oicall_effect_kind {
	OICALL_EFFECT_EVENT,        /* send name/payload to session */
	OICALL_EFFECT_MUTE,         /* forward or stop side's audio/video */
	OICALL_EFFECT_ENDED,        /* the call is over: tear its media down */
	OICALL_EFFECT_PEER_OUT,     /* a peer is out of a call that goes on: tear its media down */
	OICALL_EFFECT_NOTIFY,       /* name/payload for Janus event handlers */
	OICALL_EFFECT_CLOSE,        /* the session's client must go (another took its user over); its handle may linger */
	OICALL_EFFECT_MEDIA_MOVED,  /* a peer's media moves to its user's current session: tear down what the old one (session) carried */
} oicall_effect_kind;

typedef struct oicall_effect {
	oicall_effect_kind kind;
	guint64 session;            /* EVENT, CLOSE; PEER_OUT, MEDIA_MOVED: its (old) media session */
	char *name;                 /* EVENT, NOTIFY */
	json_t *payload;            /* EVENT, NOTIFY */
	oicall_call *call;          /* a reference, or NULL */
	int side;                   /* MUTE, PEER_OUT, MEDIA_MOVED; EVENT: the invitee's, for incoming-call */
	gboolean video, muted;      /* MUTE */
	guint32 release;            /* ENDED, PEER_OUT, MEDIA_MOVED: bit per side whose media session serves no user: end it */
} oicall_effect;

/* A GPtrArray that frees its oicall_effect elements. */
GPtrArray *oicall_effects_new(void);

typedef struct oicall_engine oicall_engine;

oicall_engine *oicall_engine_new(gint64 ring_timeout_us, gint64 reconnect_grace_us);
/* A peer that has sent nothing for this long (see media_seen; counted from
 * its accept) is dropped ("media-timeout"; with two peers the call ends);
 * 0: never (the default). */
void oicall_engine_set_media_timeout(oicall_engine *engine, gint64 media_timeout_us);
/* How often a user may call (call_limits.h; 0 = no such limit). Off until set. */
void oicall_engine_set_call_limits(oicall_engine *engine, guint starts_per_minute, guint unanswered_max,
	gint64 unanswered_window_us);
/* How many peers a call may hold (2..OICALL_MAX_PEERS; default OICALL_DEFAULT_MAX_PEERS). */
void oicall_engine_set_max_peers(oicall_engine *engine, int max_peers);
/* How many of one user's invitations may ring at once (start-call and
 * add-participants beyond it are refused); 0 = no limit but max_peers (the default). */
void oicall_engine_set_max_rings(oicall_engine *engine, int max_rings);
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
/* start-call invites toUserIds (the room dialect: one or more users) or
 * toUserId (the seed's). A group call goes ahead without invitees who are
 * in another call (the ack names them in busyUserIds); a call whose every
 * invitee is busy is refused as busy.
 * The same, in two steps, for a caller whose media description (a JSEP
 * offer) must not reach its handle before the call is known to be allowed:
 * reserve_call makes the call (the user is in it, others find them busy)
 * without offering it to the invitees; call_offered, once the offer is
 * there, has them ring. A ring timeout ends a reserved call like any other. */
json_t *oicall_engine_reserve_call(oicall_engine *engine, guint64 session, json_t *body, GPtrArray *effects,
	gint64 now, oicall_call **call);
void oicall_engine_call_offered(oicall_engine *engine, oicall_call *call, GPtrArray *effects);
/* A reserved call whose offer turned out unusable ends; nobody is told (the
 * caller hears it from its request's error, the callee never heard of it). */
void oicall_engine_cancel_reserved(oicall_engine *engine, oicall_call *call, GPtrArray *effects, gint64 now);
/* The call a start-call body repeats (the same invitees, callType and, if
 * given, callId as the ringing or active call its user started from this
 * session): start-call answers it again as it did, changing nothing. NULL if none. */
oicall_call *oicall_engine_repeated_start(oicall_engine *engine, guint64 session, json_t *body);
/* accept-call by a ringing invitee. A repeated accept-call (the session
 * that accepted it) succeeds again, changing nothing. */
json_t *oicall_engine_accept_call(oicall_engine *engine, guint64 session, json_t *body, GPtrArray *effects,
	gint64 now, oicall_call **call);
/* end-call: in a call that has two peers (ringing or in), it ends for both
 * (both hear call-ended); with more, the user leaves as with leave-call.
 * end-call of one of the user's recently ended calls succeeds again, changing nothing. */
json_t *oicall_engine_end_call(oicall_engine *engine, guint64 session, json_t *body, GPtrArray *effects,
	gint64 now);
json_t *oicall_engine_mute(oicall_engine *engine, guint64 session, json_t *body, gboolean video,
	GPtrArray *effects, oicall_call **call);

/* resume-call: a user's session that inherited an active call (call-resumed)
 * takes its media over. The peer's media session becomes this one and what
 * the old one carried goes (OICALL_EFFECT_MEDIA_MOVED, which releases it);
 * the glue then brings the media up anew on this session. *moved is FALSE
 * when the media was this session's already: nothing changes. */
json_t *oicall_engine_resume_call(oicall_engine *engine, guint64 session, json_t *body, GPtrArray *effects,
	gint64 now, oicall_call **call, gboolean *moved);

/* join-call (the room dialect): the user's side of the call becomes a
 * joined peer. Its ack lacks rtpCapabilities (the media glue's). The
 * caller may join at once, an invitee once it accepted. */
json_t *oicall_engine_join_call(oicall_engine *engine, guint64 session, json_t *body, GPtrArray *effects,
	oicall_call **call);
/* Whether a side takes part in the call's media: a peer that is in, and
 * for the room dialect joined (a seed-dialect or JSEP caller from the
 * start, an invitee from its accept). */
gboolean oicall_call_peer_joined(const oicall_call *call, int side);
/* leave-call: the user leaves; the others hear participant-left (an
 * invitee still ringing declines: participant-no-answer). A call left with
 * one peer ends for it; a caller who leaves while nobody has accepted
 * cancels the call for everyone it rings. */
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
/* The users a start-call (toUserIds or toUserId) or add-participants
 * (participantIds) body invites: a NULL-terminated list (g_strfreev), or
 * NULL when the body is wrong (the request itself then says why). */
char **oicall_engine_invitees(oicall_engine *engine, const char *request, json_t *body);
/* The user registered on another instance since: if session is still its
 * current one here, it hears `replaced` and its client goes, as for a second
 * tab on this instance. FALSE when it no longer was. */
gboolean oicall_engine_replaced_elsewhere(oicall_engine *engine, guint64 session, const char *user,
	GPtrArray *effects);
/* The session (handle) is destroyed: its media with it. */
void oicall_engine_session_destroyed(oicall_engine *engine, guint64 session, GPtrArray *effects, gint64 now);
/* add-participants { callId, participantIds }: a peer that is in invites
 * more users; each rings like any other invitee. */
json_t *oicall_engine_add_participants(oicall_engine *engine, guint64 session, json_t *body, GPtrArray *effects,
	gint64 now, oicall_call **call);
/* call-reaction { callId, emoji }: every joined peer, the sender too, gets
 * call-reaction { callId, userId, emoji, ts } (ts: wall_ms, the glue's clock). */
json_t *oicall_engine_reaction(oicall_engine *engine, guint64 session, json_t *body, gint64 wall_ms,
	GPtrArray *effects);

/* A side's media is gone for good (its PeerConnection hung up). */
void oicall_engine_media_failed(oicall_engine *engine, oicall_call *call, int side, GPtrArray *effects, gint64 now);

/* Ends a call from outside (an operator): every peer gets call-ended with reason. */
gboolean oicall_engine_force_end(oicall_engine *engine, const char *call_id, const char *reason,
	GPtrArray *effects, gint64 now);

/* Timers: ring timeouts (per invitee), grace expiries and media timeouts. */
void oicall_engine_tick(oicall_engine *engine, gint64 now, GPtrArray *effects);
/* When tick has something to do next; G_MAXINT64 if nothing. */
gint64 oicall_engine_next_deadline(oicall_engine *engine);

#endif
