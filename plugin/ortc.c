#include "ortc.h"

#include <stdlib.h>
#include <string.h>

#include "red.h"

#define ANCHOR_PT 111
#define MAX_CODECS 8
#define MAX_ID_LEN 64

/* ---- router capabilities --------------------------------------------- */

typedef struct router_codec {
	const char *name;           /* configuration name */
	const char *mime;
	int pt, rtx_pt, clock_rate, channels;
	const char *parameters;     /* JSON */
} router_codec;

static const router_codec router_codecs[] = {
	{ "opus", "audio/opus", 100, -1, 48000, 2, "{\"minptime\":10,\"useinbandfec\":1}" },
	{ "vp8", "video/VP8", 101, 102, 90000, 0, "{}" },
	{ "vp9", "video/VP9", 103, 104, 90000, 0, "{\"profile-id\":0}" },
	{ "h264", "video/H264", 105, 106, 90000, 0,
		"{\"packetization-mode\":1,\"profile-level-id\":\"42e01f\",\"level-asymmetry-allowed\":1}" },
};

static const struct { int kind; const char *uri; int id; } router_extensions[] = {
	{ OICALL_KIND_AUDIO, "urn:ietf:params:rtp-hdrext:sdes:mid", 1 },
	{ OICALL_KIND_VIDEO, "urn:ietf:params:rtp-hdrext:sdes:mid", 1 },
	{ OICALL_KIND_AUDIO, "http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time", 4 },
	{ OICALL_KIND_VIDEO, "http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time", 4 },
	{ OICALL_KIND_AUDIO, "http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01", 5 },
	{ OICALL_KIND_VIDEO, "http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01", 5 },
	{ OICALL_KIND_AUDIO, "urn:ietf:params:rtp-hdrext:ssrc-audio-level", 10 },
	{ OICALL_KIND_VIDEO, "urn:3gpp:video-orientation", 11 },
	{ OICALL_KIND_VIDEO, "urn:ietf:params:rtp-hdrext:toffset", 12 },
	{ OICALL_KIND_VIDEO, "http://www.webrtc.org/experiments/rtp-hdrext/playout-delay", 14 },
};

static const char *const kind_names[] = { "audio", "video" };

static json_t *feedback(int kind) {
	if(kind == OICALL_KIND_AUDIO)
		return json_pack("[{ssss}]", "type", "transport-cc", "parameter", "");
	return json_pack("[{ssss}{ssss}{ssss}{ssss}{ssss}]", "type", "nack", "parameter", "", "type", "nack",
		"parameter", "pli", "type", "ccm", "parameter", "fir", "type", "goog-remb", "parameter", "",
		"type", "transport-cc", "parameter", "");
}

json_t *oicall_ortc_router_capabilities(const char *audio_codecs, const char *video_codecs) {
	json_t *codecs = json_array();
	for(int pass = 0; pass < 2; pass++) {
		/* In the configured order of preference. */
		char **names = g_strsplit(pass == 0 ? audio_codecs : video_codecs, ",", -1);
		for(guint n = 0; names[n] != NULL; n++) {
			const char *name = g_strstrip(names[n]);
			for(gsize i = 0; i < G_N_ELEMENTS(router_codecs); i++) {
				const router_codec *rc = &router_codecs[i];
				if(g_ascii_strcasecmp(rc->name, name) != 0)
					continue;
				int kind = g_str_has_prefix(rc->mime, "audio/") ? OICALL_KIND_AUDIO : OICALL_KIND_VIDEO;
				json_t *codec = json_pack("{sssssisisoso}", "kind", kind_names[kind], "mimeType", rc->mime,
					"preferredPayloadType", rc->pt, "clockRate", rc->clock_rate,
					"parameters", json_loads(rc->parameters, 0, NULL), "rtcpFeedback", feedback(kind));
				if(rc->channels > 0)
					json_object_set_new(codec, "channels", json_integer(rc->channels));
				json_array_append_new(codecs, codec);
				if(rc->rtx_pt >= 0) {
					json_array_append_new(codecs, json_pack("{sssssisis{si}s[]}", "kind", "video", "mimeType",
						"video/rtx", "preferredPayloadType", rc->rtx_pt, "clockRate", 90000, "parameters",
						"apt", rc->pt, "rtcpFeedback"));
				}
			}
		}
		g_strfreev(names);
	}
	json_t *extensions = json_array();
	for(gsize i = 0; i < G_N_ELEMENTS(router_extensions); i++) {
		json_array_append_new(extensions, json_pack("{sssssisbss}", "kind", kind_names[router_extensions[i].kind],
			"uri", router_extensions[i].uri, "preferredId", router_extensions[i].id, "preferredEncrypt", 0,
			"direction", "sendrecv"));
	}
	return json_pack("{soso}", "codecs", codecs, "headerExtensions", extensions);
}

/* ---- streams --------------------------------------------------------- */

void oicall_codec_free(oicall_codec *codec) {
	if(codec == NULL)
		return;
	g_free(codec->mime);
	json_decref(codec->parameters);
	json_decref(codec->feedback);
	g_free(codec);
}

oicall_codec *oicall_codec_copy(const oicall_codec *codec) {
	oicall_codec *copy = g_memdup2(codec, sizeof(*codec));
	copy->mime = g_strdup(codec->mime);
	copy->parameters = json_deep_copy(codec->parameters);
	copy->feedback = json_deep_copy(codec->feedback);
	return copy;
}

static void extension_free(oicall_extension *ext) {
	g_free(ext->uri);
	g_free(ext);
}

oicall_stream *oicall_stream_new(const char *mid, int kind, gboolean gateway_sends) {
	oicall_stream *stream = g_new0(oicall_stream, 1);
	stream->mid = g_strdup(mid);
	stream->kind = kind;
	stream->gateway_sends = gateway_sends;
	stream->red_pt = stream->red_sent_pt = -1;
	stream->codecs = g_ptr_array_new_with_free_func((GDestroyNotify)oicall_codec_free);
	stream->extensions = g_ptr_array_new_with_free_func((GDestroyNotify)extension_free);
	return stream;
}

void oicall_stream_free(oicall_stream *stream) {
	if(stream == NULL)
		return;
	g_free(stream->mid);
	g_ptr_array_unref(stream->codecs);
	g_ptr_array_unref(stream->extensions);
	g_free(stream->cname);
	g_free(stream);
}

static gboolean is_rtx(const char *mime) {
	const char *slash = strchr(mime, '/');
	return slash != NULL && g_ascii_strcasecmp(slash + 1, "rtx") == 0;
}

/* The router codec for a mime type (NULL: the first of a kind that isn't
 * RTX), with H.264's packetization mode matching. */
static json_t *router_codec_for(json_t *router_caps, const char *mime, json_t *parameters, int kind) {
	size_t i;
	json_t *codec;
	json_array_foreach(json_object_get(router_caps, "codecs"), i, codec) {
		const char *rmime = json_string_value(json_object_get(codec, "mimeType"));
		if(rmime == NULL)
			continue;
		if(mime == NULL) {
			const char *rkind = json_string_value(json_object_get(codec, "kind"));
			if(rkind != NULL && strcmp(rkind, kind_names[kind]) == 0 && !is_rtx(rmime))
				return codec;
			continue;
		}
		if(g_ascii_strcasecmp(rmime, mime) != 0)
			continue;
		if(g_ascii_strcasecmp(mime, "video/H264") == 0) {
			json_t *want = json_object_get(json_object_get(codec, "parameters"), "packetization-mode");
			json_t *have = json_object_get(parameters, "packetization-mode");
			json_int_t w = json_is_integer(want) ? json_integer_value(want) : 0;
			json_int_t h = json_is_integer(have) ? json_integer_value(have) :
				json_is_string(have) ? atoi(json_string_value(have)) : 0;
			if(w != h)
				continue;
		}
		return codec;
	}
	return NULL;
}

static gboolean id_valid(const char *id) {
	gsize len = id ? strlen(id) : 0;
	if(len == 0 || len > MAX_ID_LEN)
		return FALSE;
	for(gsize i = 0; i < len; i++) {
		if(!g_ascii_isalnum(id[i]) && id[i] != '-' && id[i] != '_')
			return FALSE;
	}
	return TRUE;
}

static gboolean fail(char **error, const char *format, ...) G_GNUC_PRINTF(2, 3);
static gboolean fail(char **error, const char *format, ...) {
	va_list args;
	va_start(args, format);
	*error = g_strdup_vprintf(format, args);
	va_end(args);
	return FALSE;
}

/* What may go verbatim into an SDP line from a client: no spaces, ';' or line breaks. */
static gboolean sdp_token(const char *text, gsize max) {
	gsize len = text ? strlen(text) : 0;
	if(len == 0 || len > max)
		return FALSE;
	for(gsize i = 0; i < len; i++) {
		if(!g_ascii_isalnum(text[i]) && strchr("-_.:/+=,*", text[i]) == NULL)
			return FALSE;
	}
	return TRUE;
}

/* Codec parameters and RTCP feedback end up in the SDP given to the core. */
static gboolean codec_sdp_safe(json_t *parameters, json_t *feedback) {
	const char *key;
	json_t *value;
	json_object_foreach(parameters, key, value) {
		if(!sdp_token(key, 64) || !(json_is_integer(value) || (json_is_string(value) && sdp_token(json_string_value(value), 512))))
			return FALSE;
	}
	size_t i;
	json_t *fb;
	json_array_foreach(feedback, i, fb) {
		const char *type = json_string_value(json_object_get(fb, "type"));
		const char *parameter = json_string_value(json_object_get(fb, "parameter"));
		if(!sdp_token(type, 32) || (parameter != NULL && *parameter != '\0' && !sdp_token(parameter, 32)))
			return FALSE;
	}
	return TRUE;
}

/* Checks one codec of rtpParameters and adds it (media codecs) to stream. */
static gboolean producer_codec(oicall_stream *stream, json_t *codec, json_t *router_caps, gboolean used[128],
		char **error) {
	const char *mime = json_string_value(json_object_get(codec, "mimeType"));
	json_t *pt = json_object_get(codec, "payloadType");
	json_t *clock = json_object_get(codec, "clockRate");
	json_t *parameters = json_object_get(codec, "parameters");
	if(mime == NULL || !g_str_has_prefix(mime, kind_names[stream->kind]) || mime[strlen(kind_names[stream->kind])] != '/')
		return fail(error, "rtpParameters.codecs: mimeType must be a %s type", kind_names[stream->kind]);
	if(!json_is_integer(pt) || json_integer_value(pt) < 0 || json_integer_value(pt) > 127)
		return fail(error, "rtpParameters.codecs: payloadType must be 0 to 127");
	int value = (int)json_integer_value(pt);
	if(used[value])
		return fail(error, "rtpParameters.codecs: payload type %d listed twice", value);
	used[value] = TRUE;
	if(!json_is_integer(clock) || json_integer_value(clock) <= 0)
		return fail(error, "rtpParameters.codecs: clockRate must be a positive integer");
	json_t *fb = json_object_get(codec, "rtcpFeedback");
	if((parameters != NULL && !json_is_object(parameters)) || (fb != NULL && !json_is_array(fb)))
		return fail(error, "rtpParameters.codecs: parameters must be an object and rtcpFeedback an array");
	if(!codec_sdp_safe(parameters, fb))
		return fail(error, "rtpParameters.codecs: parameters and rtcpFeedback must be plain names and values");
	if(is_rtx(mime)) {
		json_t *apt = json_object_get(parameters, "apt");
		json_int_t target = json_is_integer(apt) ? json_integer_value(apt) :
			json_is_string(apt) ? atoi(json_string_value(apt)) : -1;
		for(guint i = 0; i < stream->codecs->len; i++) {
			oicall_codec *c = g_ptr_array_index(stream->codecs, i);
			if(c->pt == target) {
				c->rtx_pt = value;
				return TRUE;
			}
		}
		return fail(error, "rtpParameters.codecs: RTX payload type %d repairs no listed codec", value);
	}
	if(router_codec_for(router_caps, mime, parameters, -1) == NULL)
		return fail(error, "rtpParameters.codecs: unknown payload type %d (%s is not a codec of this call)", value, mime);
	oicall_codec *c = g_new0(oicall_codec, 1);
	c->mime = g_strdup(mime);
	c->pt = value;
	c->clock_rate = (int)json_integer_value(clock);
	json_t *channels = json_object_get(codec, "channels");
	c->channels = json_is_integer(channels) ? (int)json_integer_value(channels) : (stream->kind == OICALL_KIND_AUDIO ? 1 : 0);
	c->parameters = parameters ? json_deep_copy(parameters) : json_object();
	c->feedback = fb ? json_deep_copy(fb) : json_array();
	c->rtx_pt = -1;
	g_ptr_array_add(stream->codecs, c);
	return TRUE;
}

static gboolean known_extension(int kind, const char *uri) {
	for(gsize i = 0; i < G_N_ELEMENTS(router_extensions); i++) {
		if(router_extensions[i].kind == kind && strcmp(router_extensions[i].uri, uri) == 0)
			return TRUE;
	}
	return FALSE;
}

static gboolean ssrc_value(json_t *value, guint32 *out) {
	if(!json_is_integer(value) || json_integer_value(value) <= 0 || json_integer_value(value) > G_MAXUINT32)
		return FALSE;
	*out = (guint32)json_integer_value(value);
	return TRUE;
}

static gboolean producer_fill(oicall_stream *stream, json_t *params, json_t *router_caps, char **error) {
	json_t *codecs = json_object_get(params, "codecs");
	if(!json_is_array(codecs) || json_array_size(codecs) == 0 || json_array_size(codecs) > MAX_CODECS)
		return fail(error, "rtpParameters.codecs must be an array of 1 to %d codecs", MAX_CODECS);
	gboolean used[128] = { FALSE };
	size_t i;
	json_t *item;
	json_array_foreach(codecs, i, item) {
		if(!json_is_object(item))
			return fail(error, "rtpParameters.codecs must hold objects");
		if(!producer_codec(stream, item, router_caps, used, error))
			return FALSE;
	}
	if(stream->codecs->len == 0)
		return fail(error, "rtpParameters.codecs has no media codec");
	json_t *extensions = json_object_get(params, "headerExtensions");
	if(extensions != NULL && !json_is_array(extensions))
		return fail(error, "rtpParameters.headerExtensions must be an array");
	gboolean ids[256] = { FALSE };
	json_array_foreach(extensions, i, item) {
		const char *uri = json_string_value(json_object_get(item, "uri"));
		json_t *id = json_object_get(item, "id");
		if(uri == NULL || !json_is_integer(id) || json_integer_value(id) < 1 || json_integer_value(id) > 255)
			return fail(error, "rtpParameters.headerExtensions: each needs a uri and an id from 1 to 255");
		if(ids[json_integer_value(id)])
			return fail(error, "rtpParameters.headerExtensions: id %d used twice", (int)json_integer_value(id));
		ids[json_integer_value(id)] = TRUE;
		if(!known_extension(stream->kind, uri))
			continue;   /* not forwarded, not negotiated: harmless */
		oicall_extension *ext = g_new0(oicall_extension, 1);
		ext->uri = g_strdup(uri);
		ext->id = (int)json_integer_value(id);
		g_ptr_array_add(stream->extensions, ext);
	}
	json_t *encodings = json_object_get(params, "encodings");
	if(!json_is_array(encodings) || json_array_size(encodings) == 0)
		return fail(error, "rtpParameters.encodings must hold one encoding with an ssrc");
	if(json_array_size(encodings) > 1)
		return fail(error, "Simulcast is not supported: one encoding only");
	json_t *encoding = json_array_get(encodings, 0);
	if(!ssrc_value(json_object_get(encoding, "ssrc"), &stream->ssrc))
		return fail(error, "rtpParameters.encodings[0].ssrc must be a 32-bit SSRC");
	json_t *rtx = json_object_get(encoding, "rtx");
	if(rtx != NULL && !ssrc_value(json_object_get(rtx, "ssrc"), &stream->rtx_ssrc))
		return fail(error, "rtpParameters.encodings[0].rtx.ssrc must be a 32-bit SSRC");
	if(stream->rtx_ssrc == stream->ssrc)
		return fail(error, "rtpParameters.encodings[0]: the RTX SSRC must differ from the SSRC");
	/* Optional, as for mediasoup; it goes into SDP lines, so it must be one token. */
	json_t *rtcp = json_object_get(params, "rtcp");
	json_t *cname = json_object_get(rtcp, "cname");
	if((rtcp != NULL && !json_is_object(rtcp)) || (cname != NULL && (!json_is_string(cname) ||
			json_string_length(cname) == 0 || json_string_length(cname) > 255 ||
			strcspn(json_string_value(cname), " \t\r\n") != json_string_length(cname))))
		return fail(error, "rtpParameters.rtcp.cname must be 1 to 255 characters without spaces");
	stream->cname = g_strdup(cname != NULL ? json_string_value(cname) : "oicall");
	return TRUE;
}

oicall_stream *oicall_ortc_producer(const char *kind, json_t *rtp_parameters, json_t *router_caps, char **error) {
	int k = kind == NULL ? -1 : strcmp(kind, "audio") == 0 ? OICALL_KIND_AUDIO : strcmp(kind, "video") == 0 ? OICALL_KIND_VIDEO : -1;
	if(k < 0) {
		fail(error, "kind must be \"audio\" or \"video\"");
		return NULL;
	}
	if(!json_is_object(rtp_parameters)) {
		fail(error, "Missing rtpParameters");
		return NULL;
	}
	const char *mid = json_string_value(json_object_get(rtp_parameters, "mid"));
	if(!id_valid(mid)) {
		fail(error, "rtpParameters.mid must be 1 to %d letters, digits, '-' or '_'", MAX_ID_LEN);
		return NULL;
	}
	if(strcmp(mid, OICALL_ANCHOR_MID) == 0) {
		fail(error, "rtpParameters.mid \"%s\" is reserved", OICALL_ANCHOR_MID);
		return NULL;
	}
	oicall_stream *stream = oicall_stream_new(mid, k, FALSE);
	if(!producer_fill(stream, rtp_parameters, router_caps, error)) {
		oicall_stream_free(stream);
		return NULL;
	}
	return stream;
}

/* ---- consumers ------------------------------------------------------- */

static json_t *caps_codec(json_t *caps, const char *mime, int pt) {
	size_t i;
	json_t *codec;
	json_array_foreach(json_object_get(caps, "codecs"), i, codec) {
		const char *m = json_string_value(json_object_get(codec, "mimeType"));
		json_t *p = json_object_get(codec, "preferredPayloadType");
		if(m != NULL && g_ascii_strcasecmp(m, mime) == 0 && json_is_integer(p) && json_integer_value(p) == pt)
			return codec;
	}
	return NULL;
}

static gboolean caps_has_rtx_for(json_t *caps, int pt) {
	size_t i;
	json_t *codec;
	json_array_foreach(json_object_get(caps, "codecs"), i, codec) {
		const char *m = json_string_value(json_object_get(codec, "mimeType"));
		json_t *apt = json_object_get(json_object_get(codec, "parameters"), "apt");
		if(m != NULL && is_rtx(m) && json_is_integer(apt) && json_integer_value(apt) == pt)
			return TRUE;
	}
	return FALSE;
}

static gboolean caps_has_extension(json_t *caps, int kind, const char *uri) {
	size_t i;
	json_t *ext;
	json_array_foreach(json_object_get(caps, "headerExtensions"), i, ext) {
		const char *u = json_string_value(json_object_get(ext, "uri"));
		const char *k = json_string_value(json_object_get(ext, "kind"));
		if(u != NULL && strcmp(u, uri) == 0 && (k == NULL || strcmp(k, kind_names[kind]) == 0))
			return TRUE;
	}
	return FALSE;
}

oicall_stream *oicall_ortc_consumer(const oicall_stream *producer, json_t *consumer_caps, json_t *router_caps,
		const char *mid) {
	const oicall_codec *used = g_ptr_array_index(producer->codecs, 0);
	json_t *router = router_codec_for(router_caps, used->mime, used->parameters, -1);
	if(router == NULL)
		return NULL;
	int pt = (int)json_integer_value(json_object_get(router, "preferredPayloadType"));
	if(!json_is_object(consumer_caps) || caps_codec(consumer_caps, used->mime, pt) == NULL)
		return NULL;
	oicall_stream *stream = oicall_stream_new(mid, producer->kind, TRUE);
	oicall_codec *c = g_new0(oicall_codec, 1);
	c->mime = g_strdup(json_string_value(json_object_get(router, "mimeType")));
	c->pt = pt;
	c->clock_rate = (int)json_integer_value(json_object_get(router, "clockRate"));
	json_t *channels = json_object_get(router, "channels");
	c->channels = json_is_integer(channels) ? (int)json_integer_value(channels) : 0;
	c->parameters = json_deep_copy(json_object_get(router, "parameters"));
	c->feedback = json_deep_copy(json_object_get(router, "rtcpFeedback"));
	c->rtx_pt = -1;
	size_t i;
	json_t *codec;
	json_array_foreach(json_object_get(router_caps, "codecs"), i, codec) {
		json_t *apt = json_object_get(json_object_get(codec, "parameters"), "apt");
		if(json_is_integer(apt) && json_integer_value(apt) == pt && caps_has_rtx_for(consumer_caps, pt))
			c->rtx_pt = (int)json_integer_value(json_object_get(codec, "preferredPayloadType"));
	}
	g_ptr_array_add(stream->codecs, c);
	for(gsize e = 0; e < G_N_ELEMENTS(router_extensions); e++) {
		if(router_extensions[e].kind != producer->kind || !caps_has_extension(consumer_caps, producer->kind, router_extensions[e].uri))
			continue;
		oicall_extension *ext = g_new0(oicall_extension, 1);
		ext->uri = g_strdup(router_extensions[e].uri);
		ext->id = router_extensions[e].id;
		g_ptr_array_add(stream->extensions, ext);
	}
	stream->cname = g_strdup(producer->cname);
	return stream;
}

static json_t *codec_json(const oicall_codec *c) {
	json_t *json = json_pack("{sssisisOsO}", "mimeType", c->mime, "payloadType", c->pt, "clockRate", c->clock_rate,
		"parameters", c->parameters, "rtcpFeedback", c->feedback);
	if(c->channels > 0)
		json_object_set_new(json, "channels", json_integer(c->channels));
	return json;
}

json_t *oicall_ortc_consumer_parameters(const oicall_stream *consumer) {
	json_t *codecs = json_array();
	for(guint i = 0; i < consumer->codecs->len; i++) {
		const oicall_codec *c = g_ptr_array_index(consumer->codecs, i);
		json_array_append_new(codecs, codec_json(c));
		if(c->rtx_pt >= 0)
			json_array_append_new(codecs, json_pack("{sssisis{si}s[]}", "mimeType", consumer->kind == OICALL_KIND_VIDEO ?
				"video/rtx" : "audio/rtx", "payloadType", c->rtx_pt, "clockRate", c->clock_rate, "parameters", "apt", c->pt,
				"rtcpFeedback"));
	}
	json_t *extensions = json_array();
	for(guint i = 0; i < consumer->extensions->len; i++) {
		const oicall_extension *e = g_ptr_array_index(consumer->extensions, i);
		json_array_append_new(extensions, json_pack("{sssisbs{}}", "uri", e->uri, "id", e->id, "encrypt", 0, "parameters"));
	}
	json_t *encoding = json_pack("{sI}", "ssrc", (json_int_t)consumer->ssrc);
	const oicall_codec *used = g_ptr_array_index(consumer->codecs, 0);
	if(used->rtx_pt >= 0 && consumer->rtx_ssrc != 0)
		json_object_set_new(encoding, "rtx", json_pack("{sI}", "ssrc", (json_int_t)consumer->rtx_ssrc));
	return json_pack("{sssosos[o]s{ss?sbsb}}", "mid", consumer->mid, "codecs", codecs, "headerExtensions", extensions,
		"encodings", encoding, "rtcp", "cname", consumer->cname, "reducedSize", 1, "mux", 1);
}

void oicall_ortc_payload_map(const oicall_stream *producer, const oicall_stream *consumer, int map[128]) {
	for(int i = 0; i < 128; i++)
		map[i] = -1;
	const oicall_codec *from = g_ptr_array_index(producer->codecs, 0);
	const oicall_codec *to = g_ptr_array_index(consumer->codecs, 0);
	map[from->pt] = to->pt;
	if(producer->red_sent_pt >= 0 && producer->red_sent_pt < 128)
		map[producer->red_sent_pt] = consumer->red_pt >= 0 && to->pt == from->pt ? consumer->red_pt : OICALL_PT_UNWRAP_RED;
}

/* ---- SDP ------------------------------------------------------------- */

static const char *codec_name(const char *mime) {
	const char *slash = strchr(mime, '/');
	return slash ? slash + 1 : mime;
}

char *oicall_codec_name_lower(const oicall_codec *codec) {
	return g_ascii_strdown(codec_name(codec->mime), -1);
}

char *oicall_codec_rtpmap(const oicall_codec *c) {
	if(c->channels > 1)
		return g_strdup_printf("%d %s/%d/%d", c->pt, codec_name(c->mime), c->clock_rate, c->channels);
	return g_strdup_printf("%d %s/%d", c->pt, codec_name(c->mime), c->clock_rate);
}

char *oicall_codec_fmtp(const oicall_codec *c) {
	if(json_object_size(c->parameters) == 0)
		return NULL;
	GString *fmtp = g_string_new(NULL);
	g_string_append_printf(fmtp, "%d ", c->pt);
	const char *key;
	json_t *value;
	gboolean first = TRUE;
	json_object_foreach(c->parameters, key, value) {
		if(!first)
			g_string_append_c(fmtp, ';');
		first = FALSE;
		if(json_is_integer(value))
			g_string_append_printf(fmtp, "%s=%" JSON_INTEGER_FORMAT, key, json_integer_value(value));
		else if(json_is_string(value))
			g_string_append_printf(fmtp, "%s=%s", key, json_string_value(value));
		else
			g_string_append(fmtp, key);
	}
	return g_string_free(fmtp, FALSE);
}

static void write_session(GString *sdp, GPtrArray *streams, guint64 version) {
	g_string_append_printf(sdp, "v=0\r\no=- 1 %" G_GUINT64_FORMAT " IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n", version);
	g_string_append(sdp, "a=group:BUNDLE " OICALL_ANCHOR_MID);
	for(guint i = 0; i < streams->len; i++)
		g_string_append_printf(sdp, " %s", ((oicall_stream *)g_ptr_array_index(streams, i))->mid);
	g_string_append(sdp, "\r\na=msid-semantic: WMS *\r\n");
}

static void write_client_transport(GString *sdp, const oicall_client_transport *client) {
	g_string_append_printf(sdp, "a=ice-ufrag:%s\r\na=ice-pwd:%s\r\na=fingerprint:%s %s\r\na=setup:%s\r\n",
		client->ice_ufrag, client->ice_pwd, client->fingerprint_algorithm, client->fingerprint,
		client->dtls_client ? "active" : "passive");
}

static void write_anchor(GString *sdp, const oicall_client_transport *client) {
	g_string_append_printf(sdp, "m=audio 9 UDP/TLS/RTP/SAVPF %d %d\r\nc=IN IP4 0.0.0.0\r\n", ANCHOR_PT, OICALL_ANCHOR_RTX_PT);
	if(client)
		write_client_transport(sdp, client);
	g_string_append_printf(sdp, "a=mid:%s\r\na=inactive\r\na=rtcp-mux\r\na=rtpmap:%d opus/48000/2\r\n"
		"a=rtpmap:%d rtx/48000\r\na=fmtp:%d apt=%d\r\n",
		OICALL_ANCHOR_MID, ANCHOR_PT, OICALL_ANCHOR_RTX_PT, OICALL_ANCHOR_RTX_PT, ANCHOR_PT);
}

static void write_stream(GString *sdp, const oicall_stream *s, const oicall_client_transport *client) {
	g_string_append_printf(sdp, "m=%s 9 UDP/TLS/RTP/SAVPF", kind_names[s->kind]);
	for(guint i = 0; i < s->codecs->len; i++) {
		const oicall_codec *c = g_ptr_array_index(s->codecs, i);
		g_string_append_printf(sdp, " %d", c->pt);
		if(c->rtx_pt >= 0)
			g_string_append_printf(sdp, " %d", c->rtx_pt);
	}
	g_string_append(sdp, "\r\nc=IN IP4 0.0.0.0\r\n");
	if(client)
		write_client_transport(sdp, client);
	/* Who sends: the gateway on a consumer, the client on a producer. */
	gboolean gateway_side = client == NULL;
	const char *direction = s->gateway_sends == gateway_side ? "sendonly" : "recvonly";
	g_string_append_printf(sdp, "a=mid:%s\r\na=%s\r\na=rtcp-mux\r\na=rtcp-rsize\r\n", s->mid, direction);
	for(guint i = 0; i < s->extensions->len; i++) {
		const oicall_extension *e = g_ptr_array_index(s->extensions, i);
		g_string_append_printf(sdp, "a=extmap:%d %s\r\n", e->id, e->uri);
	}
	for(guint i = 0; i < s->codecs->len; i++) {
		const oicall_codec *c = g_ptr_array_index(s->codecs, i);
		char *rtpmap = oicall_codec_rtpmap(c), *fmtp = oicall_codec_fmtp(c);
		g_string_append_printf(sdp, "a=rtpmap:%s\r\n", rtpmap);
		if(fmtp != NULL)
			g_string_append_printf(sdp, "a=fmtp:%s\r\n", fmtp);
		g_free(rtpmap);
		g_free(fmtp);
		size_t f;
		json_t *fb;
		json_array_foreach(c->feedback, f, fb) {
			const char *type = json_string_value(json_object_get(fb, "type"));
			const char *parameter = json_string_value(json_object_get(fb, "parameter"));
			if(type == NULL)
				continue;
			if(parameter != NULL && *parameter != '\0')
				g_string_append_printf(sdp, "a=rtcp-fb:%d %s %s\r\n", c->pt, type, parameter);
			else
				g_string_append_printf(sdp, "a=rtcp-fb:%d %s\r\n", c->pt, type);
		}
		if(c->rtx_pt >= 0)
			g_string_append_printf(sdp, "a=rtpmap:%d rtx/%d\r\na=fmtp:%d apt=%d\r\n", c->rtx_pt, c->clock_rate, c->rtx_pt, c->pt);
	}
	/* The client's own SSRCs, for the gateway to know what it receives. */
	if(client != NULL && !s->gateway_sends) {
		if(s->rtx_ssrc != 0)
			g_string_append_printf(sdp, "a=ssrc-group:FID %u %u\r\n", s->ssrc, s->rtx_ssrc);
		g_string_append_printf(sdp, "a=ssrc:%u cname:%s\r\n", s->ssrc, s->cname);
		if(s->rtx_ssrc != 0)
			g_string_append_printf(sdp, "a=ssrc:%u cname:%s\r\n", s->rtx_ssrc, s->cname);
	}
}

/* The gateway's side (client NULL) or the client's side of a transport. */
static char *write_sdp(GPtrArray *streams, const oicall_client_transport *client, guint64 version) {
	GString *sdp = g_string_new(NULL);
	write_session(sdp, streams, version);
	write_anchor(sdp, client);
	for(guint i = 0; i < streams->len; i++)
		write_stream(sdp, g_ptr_array_index(streams, i), client);
	return g_string_free(sdp, FALSE);
}

char *oicall_ortc_router_first_codec(json_t *router_caps, int kind, int *pt) {
	json_t *codec = router_codec_for(router_caps, NULL, NULL, kind);
	const char *mime = json_string_value(json_object_get(codec, "mimeType"));
	if(mime == NULL || strchr(mime, '/') == NULL)
		return NULL;
	*pt = (int)json_integer_value(json_object_get(codec, "preferredPayloadType"));
	return g_ascii_strdown(strchr(mime, '/') + 1, -1);
}

char *oicall_ortc_offer(GPtrArray *streams, guint64 version) {
	return write_sdp(streams, NULL, version);
}

char *oicall_ortc_answer(GPtrArray *streams, const oicall_client_transport *client, guint64 version) {
	return write_sdp(streams, client, version);
}

/* ---- the client's transport parameters ------------------------------- */

/* ICE ufrag (4-256) and password (22-256) characters: ice-char = ALPHA / DIGIT / "+" / "/". */
static gboolean ice_chars(const char *value, gsize min) {
	gsize len = value ? strlen(value) : 0;
	if(len < min || len > 256)
		return FALSE;
	for(gsize i = 0; i < len; i++) {
		if(!g_ascii_isalnum(value[i]) && value[i] != '+' && value[i] != '/')
			return FALSE;
	}
	return TRUE;
}

/* An ICE value the SDP parser may have turned into a number. */
static char *ice_string(json_t *value) {
	if(json_is_integer(value))
		return g_strdup_printf("%" JSON_INTEGER_FORMAT, json_integer_value(value));
	return g_strdup(json_string_value(value));
}

gboolean oicall_ortc_client_transport(json_t *payload, oicall_client_transport *out, char **error) {
	memset(out, 0, sizeof(*out));
	json_t *dtls = json_object_get(payload, "dtlsParameters");
	if(!json_is_object(dtls))
		return fail(error, "Missing dtlsParameters");
	json_t *ice = json_object_get(payload, "iceParameters");
	if(ice == NULL)
		ice = json_object_get(dtls, "iceParameters");
	if(!json_is_object(ice))
		return fail(error, "Missing iceParameters: Janus runs full ICE and needs the client's usernameFragment "
			"and password (send them in connect-transport, e.g. with html/oicall-mediasoup.js)");
	out->ice_ufrag = ice_string(json_object_get(ice, "usernameFragment"));
	out->ice_pwd = ice_string(json_object_get(ice, "password"));
	if(!ice_chars(out->ice_ufrag, 4) || !ice_chars(out->ice_pwd, 22)) {
		oicall_client_transport_clear(out);
		return fail(error, "iceParameters need a usernameFragment (4+ ICE characters) and a password (22+)");
	}
	const char *role = json_string_value(json_object_get(dtls, "role"));
	if(role != NULL && strcmp(role, "client") != 0 && strcmp(role, "server") != 0 && strcmp(role, "auto") != 0) {
		oicall_client_transport_clear(out);
		return fail(error, "dtlsParameters.role must be client, server or auto");
	}
	/* "auto" leaves it to us: the gateway offers actpass, so the client is the DTLS client. */
	out->dtls_client = role == NULL || strcmp(role, "server") != 0;
	size_t i;
	json_t *fp;
	json_array_foreach(json_object_get(dtls, "fingerprints"), i, fp) {
		const char *algorithm = json_string_value(json_object_get(fp, "algorithm"));
		const char *value = json_string_value(json_object_get(fp, "value"));
		if(algorithm == NULL || value == NULL || strcmp(algorithm, "sha-256") != 0)
			continue;
		gboolean ok = strlen(value) == 95;
		for(gsize c = 0; ok && c < 95; c++)
			ok = c % 3 == 2 ? value[c] == ':' : g_ascii_isxdigit(value[c]);
		if(ok) {
			out->fingerprint_algorithm = g_strdup(algorithm);
			out->fingerprint = g_ascii_strup(value, -1);
			return TRUE;
		}
	}
	oicall_client_transport_clear(out);
	return fail(error, "dtlsParameters.fingerprints needs a sha-256 fingerprint");
}

void oicall_client_transport_clear(oicall_client_transport *client) {
	g_free(client->ice_ufrag);
	g_free(client->ice_pwd);
	g_free(client->fingerprint_algorithm);
	g_free(client->fingerprint);
	memset(client, 0, sizeof(*client));
}

/* ---- reading the core's SDP ------------------------------------------ */

/* More than any real gathering gives (host, srflx and relay of a few interfaces). */
#define OICALL_MAX_TRICKLED 64

static json_t *candidate_json(const char *line) {
	/* candidate:<foundation> <component> <transport> <priority> <ip> <port> typ <type> ... */
	char **f = g_strsplit(line + strlen("candidate:"), " ", -1);
	json_t *candidate = NULL;
	guint n = g_strv_length(f);
	if(n >= 8 && strcmp(f[1], "1") == 0 && strcmp(f[6], "typ") == 0) {
		char *protocol = g_ascii_strdown(f[2], -1);
		candidate = json_pack("{sssIsssssissss}", "foundation", f[0], "priority", (json_int_t)g_ascii_strtoll(f[3], NULL, 10),
			"ip", f[4], "address", f[4], "port", atoi(f[5]), "type", f[7], "protocol", protocol);
		for(guint i = 8; i + 1 < n; i++) {
			if(strcmp(f[i], "tcptype") == 0 && strcmp(protocol, "tcp") == 0)
				json_object_set_new(candidate, "tcpType", json_string(f[i + 1]));
		}
		g_free(protocol);
	}
	g_strfreev(f);
	return candidate;
}

json_t *oicall_ortc_transport_parameters(const char *transport_id, const char *local_sdp, json_t *trickled,
		char **error) {
	char *ufrag = NULL, *pwd = NULL, *fp_alg = NULL, *fp = NULL;
	json_t *candidates = json_array();
	char **lines = g_strsplit(local_sdp ? local_sdp : "", "\n", -1);
	for(guint i = 0; lines[i] != NULL; i++) {
		char *line = g_strchomp(lines[i]);
		if(g_str_has_prefix(line, "a=ice-ufrag:") && ufrag == NULL) {
			ufrag = g_strdup(line + 12);
		} else if(g_str_has_prefix(line, "a=ice-pwd:") && pwd == NULL) {
			pwd = g_strdup(line + 10);
		} else if(g_str_has_prefix(line, "a=fingerprint:") && fp == NULL) {
			char **parts = g_strsplit(line + 14, " ", 2);
			if(parts[0] && parts[1]) {
				fp_alg = g_ascii_strdown(parts[0], -1);
				fp = g_strdup(parts[1]);
			}
			g_strfreev(parts);
		} else if(g_str_has_prefix(line, "a=candidate:")) {
			json_t *c = candidate_json(line + 2);
			if(c != NULL)
				json_array_append_new(candidates, c);
		}
	}
	g_strfreev(lines);
	size_t i;
	json_t *item;
	json_array_foreach(trickled, i, item) {
		if(i >= OICALL_MAX_TRICKLED)
			break;
		const char *line = json_string_value(item);
		json_t *c = line != NULL && g_str_has_prefix(line, "candidate:") ? candidate_json(line) : NULL;
		if(c != NULL)
			json_array_append_new(candidates, c);
	}
	json_t *result = NULL;
	if(ufrag == NULL || pwd == NULL || fp == NULL || json_array_size(candidates) == 0) {
		fail(error, "The gateway's SDP lacks ICE credentials, a fingerprint or candidates");
		json_decref(candidates);
	} else {
		result = json_pack("{sss{sssssb}sos{sss[{ssss}]}}", "id", transport_id,
			"iceParameters", "usernameFragment", ufrag, "password", pwd, "iceLite", 0,
			"iceCandidates", candidates,
			"dtlsParameters", "role", "auto", "fingerprints", "algorithm", fp_alg, "value", fp);
	}
	g_free(ufrag);
	g_free(pwd);
	g_free(fp_alg);
	g_free(fp);
	return result;
}

/* Whether the m= line at lines[i] starts the section with that mid (the mid comes after m=). */
static gboolean section_has_mid(char **lines, guint i, const char *mid) {
	for(guint j = i + 1; lines[j] != NULL && !g_str_has_prefix(lines[j], "m="); j++) {
		if(g_str_has_prefix(lines[j], "a=mid:"))
			return strcmp(g_strchomp(lines[j]) + 6, mid) == 0;
	}
	return FALSE;
}

void oicall_ortc_local_ssrcs(const char *local_sdp, const char *mid, guint32 *ssrc, guint32 *rtx_ssrc) {
	*ssrc = *rtx_ssrc = 0;
	char **lines = g_strsplit(local_sdp ? local_sdp : "", "\n", -1);
	gboolean in_section = FALSE;
	for(guint i = 0; lines[i] != NULL; i++) {
		char *line = g_strchomp(lines[i]);
		if(g_str_has_prefix(line, "m=")) {
			in_section = section_has_mid(lines, i, mid);
		} else if(in_section && g_str_has_prefix(line, "a=ssrc-group:FID ")) {
			char **parts = g_strsplit(line + 17, " ", 3);
			if(parts[0] && parts[1]) {
				*ssrc = (guint32)g_ascii_strtoull(parts[0], NULL, 10);
				*rtx_ssrc = (guint32)g_ascii_strtoull(parts[1], NULL, 10);
			}
			g_strfreev(parts);
		} else if(in_section && g_str_has_prefix(line, "a=ssrc:") && *ssrc == 0) {
			*ssrc = (guint32)g_ascii_strtoull(line + 7, NULL, 10);
		}
	}
	g_strfreev(lines);
}

int oicall_ortc_local_rtx_pt(const char *local_sdp, const char *mid, int pt) {
	char **lines = g_strsplit(local_sdp ? local_sdp : "", "\n", -1);
	gboolean in_section = FALSE;
	gboolean rtx[128] = { FALSE };
	int repairs[128];
	for(int i = 0; i < 128; i++)
		repairs[i] = -1;
	for(guint i = 0; lines[i] != NULL; i++) {
		char *line = g_strchomp(lines[i]);
		int a = -1, b = -1;
		char name[16];
		if(g_str_has_prefix(line, "m="))
			in_section = section_has_mid(lines, i, mid);
		else if(!in_section)
			continue;
		else if(sscanf(line, "a=rtpmap:%d %15[^/]", &a, name) == 2 && a >= 0 && a < 128)
			rtx[a] = g_ascii_strcasecmp(name, "rtx") == 0;
		else if(sscanf(line, "a=fmtp:%d apt=%d", &a, &b) == 2 && a >= 0 && a < 128)
			repairs[a] = b;
	}
	g_strfreev(lines);
	for(int i = 0; i < 128; i++) {
		if(rtx[i] && repairs[i] == pt)
			return i;
	}
	return -1;
}
