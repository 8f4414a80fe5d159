/*
 * SDP for plain-WebRTC (JSEP) calls. The caller's offer becomes the offer
 * the gateway makes to the callee, restricted to the configured codecs;
 * the callee's answer becomes the gateway's answer to the caller. Both
 * PeerConnections so keep the same m-lines in the same order, which is
 * what lets the relay forward m-line i to m-line i. The core adds its own
 * ICE, DTLS and SSRCs when it sends them.
 */
#ifndef OICALL_JSEP_MEDIA_H
#define OICALL_JSEP_MEDIA_H

#include <glib.h>

#include "ortc.h"
#include "plugin_config.h"

#define OICALL_MAX_MLINES 8
/* A JSEP peer's PeerConnection in a group: its own m-lines, and two per other peer (and a screen). */
#define OICALL_MAX_GROUP_MLINES 40

/* The offer for the callee, from the caller's offer; NULL with *error. */
char *oicall_jsep_callee_offer(const char *caller_offer, const oicall_plugin_config *config, char **error);

/* The answer for the caller, from the callee's answer to offer; NULL with *error. */
char *oicall_jsep_caller_answer(const char *callee_answer, const char *offer, char **error);

/* The gateway's own answer to an offer it wrote for a callee (whose
 * codecs are the configured ones): the first codec of each m-line (Opus
 * when RED comes first), its RTX and, with keep_red, its Opus RED,
 * directions reversed. For a callee that doesn't use SDP, or a group. */
char *oicall_jsep_gateway_answer(const char *offer, gboolean keep_red, char **error);

/* The gateway's offer to a callee that uses SDP when the caller doesn't:
 * one audio m-line and, unless video_codec is NULL, one video m-line. */
char *oicall_jsep_gateway_offer(const char *audio_codec, int audio_pt, const char *video_codec, int video_pt);

/* An m-line the gateway adds to a JSEP peer's PeerConnection in a group call,
 * to send it another peer's stream. */
typedef struct oicall_jsep_line {
	int kind;                   /* OICALL_KIND_AUDIO or OICALL_KIND_VIDEO */
	const char *mid;
	const oicall_codec *codec;  /* what goes on it (while inactive, what went) */
	int red_pt;                 /* Opus RED of codec offered before it (the producer's), or -1 */
	gboolean active;            /* sendonly from the gateway, else inactive */
} oicall_jsep_line;

/* The gateway's offer for a JSEP peer's PeerConnection in a group: its SDP as
 * first negotiated (base: the gateway's offer or answer for it), with one
 * m-line per line appended, as version `version`. Each new m-line takes the
 * header extensions of the base's first m-line of its kind, so that an id
 * means the same in the whole BUNDLE. NULL with *error. */
char *oicall_jsep_group_offer(const char *base, guint64 version, const oicall_jsep_line *lines, int count,
	char **error);

/* The codec in use on the first active m-line of a kind (OICALL_KIND_AUDIO or
 * OICALL_KIND_VIDEO) of a negotiated SDP, as a stream (for Opus RED, the Opus
 * it carries, and red_pt and red_sent_pt); NULL if there is none. */
oicall_stream *oicall_jsep_stream(const char *sdp, int kind, int *mindex);

/* What each m-line carries: OICALL_AUDIO, OICALL_VIDEO, or -1 (rejected,
 * or not media we relay). Returns how many m-lines there are. */
int oicall_jsep_mline_kinds(const char *sdp, int kinds[], int max);

/* The first codec of the first active audio and video m-line ("opus", "vp8"...;
 * for RED, the codec it carries; NULL when none), lower case, each g_free'd by the caller. */
void oicall_jsep_codecs(const char *sdp, char *codecs[2]);

#endif
