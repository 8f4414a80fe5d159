/* One plugin session (a Janus handle) and what the relay needs of it. */
#ifndef OICALL_SESSION_H
#define OICALL_SESSION_H

#include <stdatomic.h>

#include <glib.h>
#include <jansson.h>
#include <janus/mutex.h>
#include <janus/plugins/plugin.h>
#include <janus/refcount.h>
#include <janus/rtp.h>

#include "fanout.h"
#include "loss_watch.h"
#include "playout.h"

enum { OICALL_AUDIO = 0, OICALL_VIDEO = 1 };
enum { OICALL_KEYFRAMES_UNKNOWN = 0, OICALL_KEYFRAMES_VP8, OICALL_KEYFRAMES_VP9, OICALL_KEYFRAMES_H264 };

/* m-lines a handle can relay: a transport's anchor and up to 16 streams, or a
 * JSEP peer's PeerConnection in a group (OICALL_MAX_GROUP_MLINES). */
#define OICALL_MAX_SLOTS 40

typedef enum oicall_role {
	OICALL_ROLE_CONTROL,            /* signalling (and, for JSEP calls, media) */
	OICALL_ROLE_SEND_TRANSPORT,     /* a mediasoup-style transport the client sends on */
	OICALL_ROLE_RECV_TRANSPORT,     /* ... and receives on */
} oicall_role;

/* One m-line of a handle's PeerConnection. */
typedef struct oicall_slot {
	int kind;                       /* -1 while unused */
	char codec[24];                 /* for the Admin API: "opus", "vp8"... */
	atomic_int keyframes;           /* OICALL_KEYFRAMES_*: how to tell what comes in here is a keyframe */
	char *id;                       /* mediasoup producer or consumer id, if any (plugin thread) */
	atomic_int paused;              /* what the client sends here is muted */
	oicall_fanout *forwards;        /* where it goes: a set swapped, never changed (under the session's mutex) */
	oicall_forward *incoming;       /* what feeds what is sent here (a reference, under the mutex) */
	oicall_keyframe_asks keyframe_asks;     /* the keyframe requests sent for what comes in here */
	atomic_llong last_loss_pli_us;  /* ... the last one for loss no retransmission repaired */
	oicall_holes *holes;            /* video that comes in here: its unrepaired holes (its RTP thread only;
	                                 * made on the first video packet: a handle has 40 slots, few carry video) */
	oicall_rtx_loss rtx_loss;       /* video sent from here: retransmissions the receiver lost (its RTCP thread only) */
	oicall_playout playout;         /* ... and the playout delay its receiver's loss calls for */
	atomic_ullong packets_in, bytes_in;
	atomic_uint ssrc_in;
	atomic_int pt_in;               /* the payload type of the last packet (RED or its codec, for one) */
	atomic_llong last_packet_us;
} oicall_slot;

/* The sequence numbers seen on an m-line, for metrics.c's loss count (its RTP thread only). */
typedef struct oicall_rx_seq {
	guint32 ssrc;
	guint16 highest;
	gboolean started;
} oicall_rx_seq;

typedef struct oicall_session {
	janus_plugin_session *handle;
	guint64 id;                     /* the call engine's name for it */
	volatile gint destroyed;
	volatile gint media_ready;      /* between setup_media and hangup_media */
	janus_refcount ref;
	janus_mutex mutex;              /* the slots' forwards and incoming links */
	oicall_slot slots[OICALL_MAX_SLOTS];
	/* While the core closes this session's PeerConnection (it does so on a
	 * timer), what we push to it waits: a client told its call is over, or
	 * that its request failed, may send a new offer at once, and the core
	 * would take it for a renegotiation of the closing one. Plugin thread only. */
	gboolean closing;
	gint64 closing_until;
	GQueue held;                    /* oicall_held_push *, in order */
	/* What it is (plugin thread writes, Admin API reads under the engine lock). */
	oicall_role role;
	char *transport_id;             /* transports: the mediasoup transport id */
	/* Until when an accept-call a jsep gate let through has its answer on the way (plugin thread). */
	gint64 accept_gate_until;
	/* When the last RTP or RTCP packet came in (any thread writes, the plugin thread reads). */
	atomic_llong last_rx_us;
	/* metrics.c: when the first RTP came in since the PeerConnection came up (0: not yet), and sequence numbers. */
	atomic_llong first_rtp_us;
	oicall_rx_seq rx_seq[OICALL_MAX_SLOTS];
	/* The Janus ids the Socket.IO transport reported at register (informational). */
	atomic_ullong janus_session_id, janus_handle_id;
} oicall_session;

#endif
