/*
 * OIChat's mediasoup-style signalling (the seed's flow) on Janus handles:
 * each side of a call gets a send and a recv transport, each a Janus handle
 * that the Socket.IO transport attaches when asked; producers and consumers
 * are m-lines of those handles, negotiated by the plugin writing both SDPs
 * (see ortc.h). Plugin thread only, with the engine locked by the caller
 * where it says so.
 */
#ifndef OICALL_MSFLOW_H
#define OICALL_MSFLOW_H

#include <glib.h>
#include <jansson.h>
#include <janus/plugins/plugin.h>

#include "call_engine.h"
#include "plugin_config.h"
#include "session.h"

typedef struct oicall_ms_env {
	janus_callbacks *gateway;
	janus_plugin *plugin;
	const oicall_plugin_config *config;
	oicall_engine *engine;
	janus_mutex *engine_mutex;
	/* A live session by engine id, with a reference. */
	oicall_session *(*session_by_id)(guint64 id);
	/* Answers a client request or sends it an event (takes the message; jsep may be NULL). */
	void (*reply)(oicall_session *session, const char *transaction, json_t *message, json_t *jsep);
	/* A request with an SDP was refused: the core applied it already, undo that. */
	void (*jsep_refused)(oicall_session *session);
	/* Carries out engine effects. */
	void (*dispatch)(GPtrArray *effects);
} oicall_ms_env;

void oicall_ms_init(const oicall_ms_env *env);
void oicall_ms_destroy(void);

/* Whether a request belongs to this flow: a start-call without jsep, any
 * accept-call, connect-transport, create-producer,
 * create-consumer, resume-consumer, the room dialect's join-call,
 * create-transport and get-producers, and the Socket.IO transport's courier
 * replies (bind-transport, local-sdp, remote-sdp-applied). */
gboolean oicall_ms_handles(oicall_session *session, const char *request, json_t *body, json_t *jsep);

/* Handles such a request; its reply goes through env->reply, now or later.
 * Takes the engine lock itself. */
void oicall_ms_request(oicall_session *session, const char *request, json_t *body, json_t *jsep,
	const char *transaction);

/* A call whose caller sent an SDP offer (engine locked): callee_offer is
 * the gateway's offer for the callee made from it. */
void oicall_ms_adopt_call(oicall_call *call, const char *callee_offer);
/* The gateway's answer for a caller that uses SDP, once the call is accepted,
 * for the call-accepted that carries it: the first time only, NULL after. */
const char *oicall_ms_take_caller_answer(oicall_call *call);
/* Whether a side of a call uses SDP (a plain RTCPeerConnection); a callee's is known at accept. */
gboolean oicall_ms_uses_jsep(oicall_call *call, int side);

/* Sends incoming-call to an invitee (side): with the gateway's SDP offer and,
 * for Socket.IO clients, the invitee's own transports (so once those exist). */
void oicall_ms_incoming_call(oicall_call *call, int side, guint64 session, json_t *payload);

/* mute-audio/mute-video: checks the producerId if any; NULL if fine. Engine locked. */
json_t *oicall_ms_check_mute(oicall_call *call, guint64 session, json_t *body, gboolean video);
/* Pauses or resumes a side's producers of a kind (or the one named). */
void oicall_ms_mute(oicall_call *call, int side, gboolean video, gboolean muted, const char *producer_id);

/* The call is over: its transports go. */
void oicall_ms_call_ended(oicall_call *call);
/* A peer is out of a call that goes on: its transports, producers and consumers go
 * (the others hear producer-closed for its producers). Engine unlocked. */
void oicall_ms_peer_out(oicall_call *call, int side);

/* A session was destroyed. */
void oicall_ms_session_gone(guint64 session);

/* Timeouts of operations waiting on the transport. */
void oicall_ms_tick(gint64 now);
gint64 oicall_ms_next_deadline(void);

#endif
