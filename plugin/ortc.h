/*
 * mediasoup's ORTC model on top of Janus PeerConnections (pure: no Janus).
 *
 * A "transport" is one Janus handle. Its media sections are streams: the
 * producers a client sends on its send transport, the consumers the gateway
 * sends on a recv transport. The plugin writes both SDPs of each handle:
 * the gateway's offer (streams from the gateway's point of view) and the
 * client's answer (from the client's ICE/DTLS parameters, which the client
 * never gives as SDP). Section 0 of every transport is an inactive anchor,
 * so that ICE and DTLS can be set up before the first stream.
 */
#ifndef OICALL_ORTC_H
#define OICALL_ORTC_H

#include <glib.h>
#include <jansson.h>

#define OICALL_ANCHOR_MID "oicall"
/* The anchor's RTX payload type (audio RTX, apt = the anchor's Opus 111), in
 * both SDPs of every transport. Janus 1.1.2 turns RFC 4588 off for a whole
 * handle whenever a remote SDP it applies has no "apt=" at all (sdp.c,
 * janus_sdp_process_remote), and only gives a medium an RTX SSRC, and a video
 * section an rtx payload type in the SDP it sends, if RFC 4588 is on when that
 * medium first becomes active. Without it, a transport whose first answers had
 * no video (the anchor alone, an audio consumer) offered its video without
 * RTX, and once the answer with RTX turned RFC 4588 on again the core
 * retransmitted on RTX with SSRC 0, which no receiver can use. With an "apt="
 * in every answer the flag stays on from the handle's first offer. 64-95 is
 * never a client's payload type (RFC 5761: with rtcp-mux it would be taken for
 * RTCP), so it collides with none; the anchor is inactive, nothing is ever
 * sent with it. */
#define OICALL_ANCHOR_RTX_PT 95
#define OICALL_MAX_STREAMS 16

enum { OICALL_KIND_AUDIO = 0, OICALL_KIND_VIDEO = 1 };

typedef struct oicall_codec {
	char *mime;                 /* "audio/opus", "video/VP8", ... */
	int pt;
	int clock_rate;
	int channels;               /* audio only, else 0 */
	json_t *parameters;         /* object (fmtp), never NULL */
	json_t *feedback;           /* array of { type, parameter } */
	int rtx_pt;                 /* -1 without RTX */
} oicall_codec;

typedef struct oicall_extension {
	char *uri;
	int id;
} oicall_extension;

typedef struct oicall_stream {
	char *mid;
	int kind;
	gboolean gateway_sends;     /* a consumer (the gateway sends), or a producer */
	GPtrArray *codecs;          /* oicall_codec *, the one in use first */
	GPtrArray *extensions;      /* oicall_extension * */
	guint32 ssrc, rtx_ssrc;     /* producer: the client's; consumer: the gateway's */
	int red_pt;                 /* audio: Opus RED (RFC 2198) of codecs[0] negotiated (the client takes it); -1 without */
	int red_sent_pt;            /* the RED the client may send: red_pt, or one it was offered and left out of
	                             * its answer (an answerer may send any offered codec: Chromium does); -1 none */
	char *cname;
} oicall_stream;

/* An empty stream (codecs and extensions to be added; they are freed with it). */
oicall_codec *oicall_codec_copy(const oicall_codec *codec);
/* Its name as Janus and the Admin API have it ("vp8", "opus"), g_free'd by the caller. */
char *oicall_codec_name_lower(const oicall_codec *codec);
/* The values of its a=rtpmap ("96 VP8/90000") and a=fmtp ("111 minptime=10;...",
 * NULL without parameters) lines, g_free'd by the caller. */
char *oicall_codec_rtpmap(const oicall_codec *codec);
char *oicall_codec_fmtp(const oicall_codec *codec);
void oicall_codec_free(oicall_codec *codec);
oicall_stream *oicall_stream_new(const char *mid, int kind, gboolean gateway_sends);
void oicall_stream_free(oicall_stream *stream);

/* The router's capabilities in mediasoup's shape, for the configured codecs
 * (comma-separated names as in the plugin configuration). */
json_t *oicall_ortc_router_capabilities(const char *audio_codecs, const char *video_codecs);

/* A producer from create-producer's kind and rtpParameters, checked against
 * the router's capabilities; NULL with *error (a message for the client). */
oicall_stream *oicall_ortc_producer(const char *kind, json_t *rtp_parameters, json_t *router_caps, char **error);

/* A consumer of producer for a client with the given capabilities, with
 * the router's payload types and extension ids; NULL when the client can't
 * receive it. Its SSRCs are the gateway's, to be filled in from the merged SDP. */
oicall_stream *oicall_ortc_consumer(const oicall_stream *producer, json_t *consumer_caps, json_t *router_caps,
	const char *mid);

/* The consumer's rtpParameters for create-consumer's answer. */
json_t *oicall_ortc_consumer_parameters(const oicall_stream *consumer);

/* For each producer payload type, the consumer's (-1: not forwarded). RED
 * the producer may send goes as it is to a consumer with RED and the same
 * primary payload type, unwrapped (OICALL_PT_UNWRAP_RED) to any other. */
void oicall_ortc_payload_map(const oicall_stream *producer, const oicall_stream *consumer, int map[128]);

/* The router's first codec of a kind, for an SDP offer of the gateway's
 * own: its name ("opus", "vp8"; g_free) and payload type; NULL if none. */
char *oicall_ortc_router_first_codec(json_t *router_caps, int kind, int *pt);

/* The gateway's offer for a transport whose sections are the anchor then streams. */
char *oicall_ortc_offer(GPtrArray *streams, guint64 version);

/* The client's answer to that offer, from its ICE and DTLS parameters. */
typedef struct oicall_client_transport {
	char *ice_ufrag, *ice_pwd;
	char *fingerprint_algorithm, *fingerprint;
	gboolean dtls_client;       /* the client's DTLS role is client (setup:active) */
} oicall_client_transport;

/* From connect-transport's payload: dtlsParameters and iceParameters (top
 * level or inside dtlsParameters). FALSE with *error saying what is missing. */
gboolean oicall_ortc_client_transport(json_t *payload, oicall_client_transport *out, char **error);
void oicall_client_transport_clear(oicall_client_transport *client);

char *oicall_ortc_answer(GPtrArray *streams, const oicall_client_transport *client, guint64 version);

/* What the client needs of the gateway's side, read from the SDP the core
 * sent out for the handle (its ICE credentials, candidates and fingerprint).
 * trickled: a JSON array of the core's "candidate:..." strings that came
 * outside the SDP (full-trickle), or NULL; anything else in it is ignored. */
json_t *oicall_ortc_transport_parameters(const char *transport_id, const char *local_sdp, json_t *trickled,
	char **error);

/* The gateway's SSRCs for a section of the core's SDP (0 when absent). */
void oicall_ortc_local_ssrcs(const char *local_sdp, const char *mid, guint32 *ssrc, guint32 *rtx_ssrc);

/* The RTX payload type that repairs payload type pt in a section of the
 * core's SDP (its "a=fmtp:X apt=pt" of an "rtx/" rtpmap); -1 when none. */
int oicall_ortc_local_rtx_pt(const char *local_sdp, const char *mid, int pt);

#endif
