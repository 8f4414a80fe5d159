/*
 * What the mediasoup-style flow (msflow.c) and the room dialect's requests
 * (ms_room.c) share: a call's transports, producers and consumers, and the
 * helpers both answer requests with. Plugin thread only.
 */
#ifndef OICALL_MS_INTERNAL_H
#define OICALL_MS_INTERNAL_H

#include "msflow.h"
#include "ortc.h"

#define OP_TIMEOUT_US (10 * G_USEC_PER_SEC)
#define ERROR_INVALID 490
#define ERROR_FAILED 492

#define TIMED_OUT "The transport did not answer in time"

typedef enum transport_state {
	TRANSPORT_UNBOUND,          /* its handle is being attached */
	TRANSPORT_IDLE,
	TRANSPORT_OFFERING,         /* our offer went out: waiting for the core's version of it */
	TRANSPORT_ANSWERING,        /* the client's answer went out: waiting for the core to apply it */
	TRANSPORT_GONE,             /* its handle is gone: it takes no more requests */
} transport_state;

struct ms_call;
struct ms_transport;

typedef void (*ms_done)(struct ms_transport *t, const char *error, gpointer data);

typedef struct ms_waiter {
	ms_done done;
	gpointer data;
	GDestroyNotify free_data;
	gint64 deadline;
} ms_waiter;

/* An m-line of a transport besides its stream. Janus keys a PeerConnection's
 * media by m-line index and never lets an index change its mid, so a section
 * that is no longer used keeps its index and mid: it goes out rejected (port
 * 0) and only a stream with that same mid may take it over. */
typedef struct ms_section {
	gboolean closed;
	gboolean mid_known;         /* the client knows its mid: a producer's own, a consumer's once acked */
} ms_section;

typedef struct ms_transport {
	char *id;
	char *nonce;
	struct ms_call *owner;
	int side;
	gboolean send;
	guint64 control;            /* the control session it was made for */
	oicall_session *session;    /* its handle once bound (a reference) */
	GPtrArray *streams;         /* oicall_stream *, section i + 1 (section 0 is the anchor) */
	ms_section sections[OICALL_MAX_STREAMS];
	guint next_mid;
	guint64 version;            /* of our latest offer, and of the answer to it */
	char *local_sdp;
	json_t *parameters;         /* for the client, once the core made the first offer */
	oicall_client_transport client;
	gboolean connected;
	transport_state state;
	gint64 round_deadline;      /* OFFERING, ANSWERING: when the courier counts as lost */
	gboolean fresh_offer;       /* a round failed: what the core holds is unknown, the next answer follows a new offer */
	gboolean dirty;             /* streams or connection changed during a round */
	GQueue waiters;             /* ms_waiter *, done when a round ends with nothing left to do */
} ms_transport;

/* Producers and consumers are the call's from the request that makes them
 * (ready once negotiated); they go with their transport, a producer's
 * consumers with it (one per other peer at most), so that nothing points
 * at a transport that is gone. */
typedef struct ms_producer {
	char *id;
	int side;
	ms_transport *transport;    /* NULL: an m-line of the side's SDP PeerConnection */
	int mindex;
	int kind;
	gboolean ready;
	char *source;               /* the client's appData.source ("camera", "screen"...), NULL if none */
} ms_producer;

typedef struct ms_consumer {
	char *id;
	int side;
	ms_producer *producer;
	ms_transport *transport;
	int mindex;
	gboolean ready;
	gboolean resumed;
} ms_consumer;

/* An m-line the gateway added to a JSEP peer's PeerConnection in a group: another peer's stream. */
typedef struct ms_jsep_line {
	int mindex;
	int kind;
	char *mid;
	oicall_codec *codec;        /* what goes (or went) on it: a copy */
	int red_pt;                 /* the producer's Opus RED, offered before codec when the peer takes RED; else -1 */
	ms_producer *producer;      /* whose stream it carries; NULL: unused (inactive) until another takes it */
	gboolean linked;            /* the relay feeds it (from the client's answer on) */
} ms_jsep_line;

/* A JSEP peer of a group call: the gateway renegotiates its one
 * PeerConnection as the others' streams come and go (ms_jsep.c). */
typedef struct ms_jsep_peer {
	struct ms_call *owner;
	int side;
	char *base;                 /* the gateway's SDP for its PeerConnection as first negotiated */
	int base_mlines;
	GPtrArray *lines;           /* ms_jsep_line *: m-line base_mlines + i */
	guint64 version;
	gboolean offering;          /* an offer went out: waiting for renegotiate-answer */
	gboolean dirty;             /* streams changed while offering */
	gint64 deadline;            /* offering: when the answer counts as lost */
	guint next_mid;
} ms_jsep_peer;

typedef struct ms_call {
	oicall_call *call;          /* borrowed: the call owns this */
	json_t *router_caps;
	ms_transport *transports[OICALL_MAX_PEERS][2];  /* [side][0 send, 1 recv] */
	guint generation[OICALL_MAX_PEERS];     /* [side]: how many times its transports were made */
	GPtrArray *producers;       /* ms_producer *, pending ones too */
	GPtrArray *consumers;       /* ms_consumer *, pending ones too */
	/* Sides that use SDP (a plain RTCPeerConnection) instead (1:1 calls only). */
	gboolean jsep_caller;
	char *callee_offer;         /* the gateway's offer, for a callee that uses SDP */
	char *caller_answer;        /* the gateway's answer, for a caller that uses SDP */
	guint64 jsep_session[OICALL_MAX_PEERS];     /* the side's PeerConnection, once known to use SDP */
	oicall_stream *jsep_stream[OICALL_MAX_PEERS][2];    /* [side][kind]: what it negotiated, NULL if nothing */
	int jsep_mindex[OICALL_MAX_PEERS][2];
	ms_jsep_peer *jsep_peer[OICALL_MAX_PEERS];  /* a JSEP side of a group */
	gboolean caller_answered;   /* caller_answer went out (with the first call-accepted) */
	gboolean resume_offered[OICALL_MAX_PEERS];  /* [side]: resume-call's offer went out, its answer is due */
} ms_call;

typedef struct ms_request {
	guint64 session;
	char *transaction;
	oicall_call *call;          /* a reference */
	char *item;                 /* the id of the producer or consumer concerned, if any */
} ms_request;

extern oicall_ms_env ms_env;

json_t *ms_error_reply(int code, const char *message);
/* An engine ack as it is, an error given ERROR_FAILED as its code unless it has one. */
json_t *ms_with_error_code(json_t *ack);
void ms_reply(oicall_session *session, const char *transaction, json_t *message);
void ms_reply_to(guint64 session_id, const char *transaction, json_t *message);
/* An event to a side's user, wherever they are now (takes the payload). */
void ms_event_to_user(oicall_call *call, int side, const char *name, json_t *payload);
ms_call *ms_of(oicall_call *call);
gboolean ms_side_uses_jsep(ms_call *ms, int side);
/* A producer of the call by id; ready ones only unless pending_too. */
ms_producer *ms_producer_by_id(ms_call *ms, const char *id, gboolean pending_too);
/* done runs once the transport's rounds settle (or fail, or time out). */
void ms_wait_for(ms_transport *t, ms_done done, gpointer data, GDestroyNotify free_data);
/* What a producer sends, as negotiated. */
oicall_stream *ms_producer_stream(ms_call *ms, ms_producer *p);
/* The handle a producer's media comes in on, with a reference; NULL if gone. */
oicall_session *ms_producer_session(ms_call *ms, ms_producer *p);

/* SDP sides (ms_jsep.c). A side turns out to use SDP: what its
 * PeerConnection negotiated (sdp) becomes producers (in 1:1 calls for a
 * mediasoup-style other side), and in 1:1 calls that side's producers go to it. Engine locked. */
void ms_jsep_adopt_side(ms_call *ms, int side, guint64 session_id, const char *sdp);
/* A producer's media to the other side's SDP PeerConnection, if it has one (1:1 calls). */
void ms_jsep_connect(ms_call *ms, ms_producer *p);
/* Two SDP sides of a 1:1 call: each m-line goes to its twin. */
void ms_jsep_link_pair(ms_call *ms, const char *answer);
/* The callee's SDP answer, checked against the gateway's offer; NULL with
 * *error. When the caller uses SDP too, *caller_answer is the gateway's answer to it. */
char *ms_jsep_checked_answer(ms_call *ms, json_t *jsep, char **caller_answer, char **error);

/* JSEP peers of a group (ms_jsep.c). side becomes one, its PeerConnection
 * negotiated as base (the gateway's offer or answer to it). */
void ms_jsep_join(ms_call *ms, int side, const char *base);
/* Every JSEP peer of the call gets an m-line for each ready producer of the
 * others, and renegotiates if that changed anything. */
void ms_jsep_sync(ms_call *ms);
/* A producer is going: the m-lines that carried it go inactive. */
void ms_jsep_producer_gone(ms_call *ms, ms_producer *p);
void ms_jsep_peer_free(ms_jsep_peer *peer);
/* renegotiate-answer { callId, jsep: answer }: the client took the gateway's last offer. */
void ms_jsep_answer(oicall_session *session, json_t *body, json_t *jsep, const char *transaction);
/* Offers whose answer never came are made again. */
void ms_jsep_tick(gint64 now);
gint64 ms_jsep_next_deadline(void);

/* A producer goes, with its consumers; the others hear producer-closed. Engine unlocked. */
void ms_producer_close(ms_call *ms, ms_producer *p);
/* An event to every other peer that hears of producers (takes the payload). Engine unlocked. */
void ms_tell_others(oicall_call *call, int side, const char *name, json_t *payload);
/* { callId?, producerId, kind, userId, source } as new-producer and get-producers name a producer. */
json_t *ms_producer_info(oicall_call *call, ms_producer *p);
ms_request *ms_request_new(oicall_session *session, const char *transaction, oicall_call *call, const char *item);
void ms_request_free(ms_request *r);

/* A pair of transports being made for a side; what to do once both are ready. */
typedef struct ms_pair {
	oicall_call *call;          /* a reference */
	int side;
	guint generation;           /* of the side's transports it made */
	int pending;
	char *error;
	void (*ready)(struct ms_pair *pair);
	guint64 session;
	char *transaction;
	json_t *payload;            /* incoming-call's, or start-call's ack from the engine */
} ms_pair;

/* A pair for a side's transports made on a control session (with a reference to the call). */
ms_pair *ms_pair_new(oicall_call *call, int side, guint64 session, const char *transaction, void (*ready)(ms_pair *pair));
void ms_pair_free(ms_pair *pair);
/* Makes a side's send and recv transports on a control session (pair->session),
 * in place of those it had (a callee registering again while the call rings,
 * a user resuming a call on a new socket); pair->ready runs once both are
 * ready or failed, then the pair is freed. */
void ms_make_transports(ms_call *ms, int side, ms_pair *pair);
/* rtpCapabilities, sendTransport and recvTransport of a side, added to payload. */
void ms_add_transports(json_t *payload, ms_call *ms, int side);
/* new-producer to a peer that has just come in (it hears of the others' then). */
void ms_new_producer_event_to(oicall_call *call, ms_producer *p, int side);

/* resume-call (ms_resume.c). */
void ms_resume_call(oicall_session *session, json_t *body, json_t *jsep, const char *transaction);

/* join-call, create-transport, get-producers (ms_room.c); FALSE if request is none of them. */
gboolean ms_room_request(oicall_session *session, const char *request, json_t *body, const char *transaction);

#endif
