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
} ms_call;

typedef struct ms_request {
	guint64 session;
	char *transaction;
	oicall_call *call;          /* a reference */
	char *item;                 /* the id of the producer or consumer concerned, if any */
} ms_request;

extern oicall_ms_env ms_env;

json_t *ms_error_reply(int code, const char *message);
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
/* A producer goes, with its consumers; the others hear producer-closed. Engine unlocked. */
void ms_producer_close(ms_call *ms, ms_producer *p);
/* An event to every other peer that hears of producers (takes the payload). Engine unlocked. */
void ms_tell_others(oicall_call *call, int side, const char *name, json_t *payload);
/* { callId?, producerId, kind, userId, source } as new-producer and get-producers name a producer. */
json_t *ms_producer_info(oicall_call *call, ms_producer *p);
ms_request *ms_request_new(oicall_session *session, const char *transaction, oicall_call *call, const char *item);
void ms_request_free(ms_request *r);

/* join-call, create-transport, get-producers (ms_room.c); FALSE if request is none of them. */
gboolean ms_room_request(oicall_session *session, const char *request, json_t *body, const char *transaction);

#endif
