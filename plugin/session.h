/* One plugin session (a Janus handle) and what the relay needs of it. */
#ifndef OICALL_SESSION_H
#define OICALL_SESSION_H

#include <stdatomic.h>

#include <glib.h>
#include <janus/mutex.h>
#include <janus/plugins/plugin.h>
#include <janus/refcount.h>
#include <janus/rtp.h>

enum { OICALL_AUDIO = 0, OICALL_VIDEO = 1 };

typedef struct oicall_session {
	janus_plugin_session *handle;
	guint64 id;                     /* the call engine's name for it */
	volatile gint destroyed;
	volatile gint media_ready;      /* between setup_media and hangup_media */
	janus_refcount ref;
	/* Relay links, changed by the plugin thread under mutex, read on the RTP path. */
	janus_mutex mutex;
	struct oicall_session *to;      /* where this session's incoming media goes (a reference) */
	struct oicall_session *from;    /* whose media this session receives (a reference) */
	atomic_int forward[2];          /* [audio, video]: 0 while muted */
	atomic_int resume[2];           /* sequence/timestamp continuity wanted after a pause */
	/* Rewriting of what this session sends on, used on its own RTP thread only. */
	janus_rtp_switching_context context[2];
	/* While the core closes this session's PeerConnection (it does so on a
	 * timer), what we push to it waits: a client told its call is over, or
	 * that its request failed, may send a new offer at once, and the core
	 * would take it for a renegotiation of the closing one. Plugin thread only. */
	gboolean closing;
	gint64 closing_until;
	GQueue held;                    /* oicall_held_push *, in order */
	/* Counters for the Admin API. */
	atomic_ullong packets_in[2], bytes_in[2], packets_out[2], bytes_out[2];
	atomic_llong last_packet_us[2];     /* monotonic time of the last packet received */
	atomic_uint ssrc_in[2];             /* SSRC of what the client sends */
	/* The Janus ids the Socket.IO transport reported at register (informational). */
	atomic_ullong janus_session_id, janus_handle_id;
} oicall_session;

#endif
