/* mediasoup's ORTC model ⇄ the SDPs of a Janus transport (plugin/ortc.c),
 * on fixtures taken from real mediasoup-client 3.24.1 (Chromium) and Janus
 * 1.1.2 output. */
#include <glib.h>
#include <string.h>

#include "../../plugin/ortc.h"

/* create-producer's rtpParameters, as mediasoup-client sent them. */
static const char *const AUDIO_PRODUCER = "{\"mid\": \"0\", \"codecs\": [{\"mimeType\": \"audio/opus\", \"payloadType\": 111, "
	"\"clockRate\": 48000, \"channels\": 2, \"parameters\": {\"minptime\": 10, \"useinbandfec\": 1}, \"rtcpFeedback\": "
	"[{\"type\": \"transport-cc\", \"parameter\": \"\"}]}], \"headerExtensions\": [{\"uri\": \"urn:ietf:params:rtp-hdrext:sdes:mid\", "
	"\"id\": 4, \"encrypt\": false, \"parameters\": {}}, {\"uri\": \"http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time\", "
	"\"id\": 2, \"encrypt\": false, \"parameters\": {}}, {\"uri\": \"http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01\", "
	"\"id\": 3, \"encrypt\": false, \"parameters\": {}}, {\"uri\": \"urn:ietf:params:rtp-hdrext:ssrc-audio-level\", \"id\": 1, "
	"\"encrypt\": false, \"parameters\": {}}], \"encodings\": [{\"ssrc\": 4141250777, \"dtx\": false}], \"rtcp\": {\"cname\": "
	"\"UQMfS69kb5i6abF3\", \"reducedSize\": true}, \"msid\": \"f32d4cdc-78b2-4a69-a733-b799f3eda7f8 2f8c331b-c43e-4757-9f78-2b0977f309cb\"}";

static const char *const VIDEO_PRODUCER = "{\"mid\": \"1\", \"codecs\": [{\"mimeType\": \"video/VP8\", \"payloadType\": 96, "
	"\"clockRate\": 90000, \"parameters\": {}, \"rtcpFeedback\": [{\"type\": \"goog-remb\", \"parameter\": \"\"}, {\"type\": "
	"\"transport-cc\", \"parameter\": \"\"}, {\"type\": \"ccm\", \"parameter\": \"fir\"}, {\"type\": \"nack\", \"parameter\": \"\"}, "
	"{\"type\": \"nack\", \"parameter\": \"pli\"}]}, {\"mimeType\": \"video/rtx\", \"payloadType\": 97, \"clockRate\": 90000, "
	"\"parameters\": {\"apt\": 96}, \"rtcpFeedback\": []}], \"headerExtensions\": [{\"uri\": \"urn:ietf:params:rtp-hdrext:sdes:mid\", "
	"\"id\": 4, \"encrypt\": false, \"parameters\": {}}, {\"uri\": \"http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time\", "
	"\"id\": 2, \"encrypt\": false, \"parameters\": {}}, {\"uri\": \"http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01\", "
	"\"id\": 3, \"encrypt\": false, \"parameters\": {}}, {\"uri\": \"urn:3gpp:video-orientation\", \"id\": 13, \"encrypt\": false, "
	"\"parameters\": {}}, {\"uri\": \"urn:ietf:params:rtp-hdrext:toffset\", \"id\": 14, \"encrypt\": false, \"parameters\": {}}], "
	"\"encodings\": [{\"ssrc\": 2321167749, \"rtx\": {\"ssrc\": 2410990481}, \"dtx\": false}], \"rtcp\": {\"cname\": "
	"\"UQMfS69kb5i6abF3\", \"reducedSize\": true}}";

/* The Device's rtpCapabilities after loading the router's. */
static const char *const DEVICE_CAPS = "{\"codecs\": [{\"kind\": \"audio\", \"mimeType\": \"audio/opus\", \"preferredPayloadType\": 100, "
	"\"clockRate\": 48000, \"channels\": 2, \"parameters\": {\"minptime\": 10, \"useinbandfec\": 1}, \"rtcpFeedback\": [{\"type\": "
	"\"transport-cc\", \"parameter\": \"\"}]}, {\"kind\": \"video\", \"mimeType\": \"video/VP8\", \"preferredPayloadType\": 101, "
	"\"clockRate\": 90000, \"parameters\": {}, \"rtcpFeedback\": [{\"type\": \"goog-remb\", \"parameter\": \"\"}, {\"type\": "
	"\"transport-cc\", \"parameter\": \"\"}, {\"type\": \"ccm\", \"parameter\": \"fir\"}, {\"type\": \"nack\", \"parameter\": \"\"}, "
	"{\"type\": \"nack\", \"parameter\": \"pli\"}]}, {\"kind\": \"video\", \"mimeType\": \"video/rtx\", \"preferredPayloadType\": 102, "
	"\"clockRate\": 90000, \"parameters\": {\"apt\": 101}, \"rtcpFeedback\": []}, {\"kind\": \"video\", \"mimeType\": \"video/VP9\", "
	"\"preferredPayloadType\": 103, \"clockRate\": 90000, \"parameters\": {\"profile-id\": 0}, \"rtcpFeedback\": []}, {\"kind\": "
	"\"video\", \"mimeType\": \"video/rtx\", \"preferredPayloadType\": 104, \"clockRate\": 90000, \"parameters\": {\"apt\": 103}, "
	"\"rtcpFeedback\": []}, {\"kind\": \"video\", \"mimeType\": \"video/H264\", \"preferredPayloadType\": 105, \"clockRate\": 90000, "
	"\"parameters\": {\"level-asymmetry-allowed\": 1, \"packetization-mode\": 1, \"profile-level-id\": \"42e01f\"}, \"rtcpFeedback\": []}, "
	"{\"kind\": \"video\", \"mimeType\": \"video/rtx\", \"preferredPayloadType\": 106, \"clockRate\": 90000, \"parameters\": {\"apt\": 105}, "
	"\"rtcpFeedback\": []}], \"headerExtensions\": [{\"kind\": \"video\", \"uri\": \"urn:ietf:params:rtp-hdrext:sdes:mid\", "
	"\"preferredId\": 1, \"preferredEncrypt\": false, \"direction\": \"sendrecv\"}, {\"kind\": \"video\", \"uri\": "
	"\"http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time\", \"preferredId\": 4, \"preferredEncrypt\": false, \"direction\": "
	"\"sendrecv\"}, {\"kind\": \"video\", \"uri\": \"http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01\", "
	"\"preferredId\": 5, \"preferredEncrypt\": false, \"direction\": \"sendrecv\"}, {\"kind\": \"audio\", \"uri\": "
	"\"urn:ietf:params:rtp-hdrext:ssrc-audio-level\", \"preferredId\": 10, \"preferredEncrypt\": false, \"direction\": \"sendrecv\"}, "
	"{\"kind\": \"video\", \"uri\": \"urn:3gpp:video-orientation\", \"preferredId\": 11, \"preferredEncrypt\": false, \"direction\": "
	"\"sendrecv\"}, {\"kind\": \"video\", \"uri\": \"urn:ietf:params:rtp-hdrext:toffset\", \"preferredId\": 12, \"preferredEncrypt\": "
	"false, \"direction\": \"sendrecv\"}]}";

/* connect-transport's payload through html/oicall-mediasoup.js. */
static const char *const CONNECT = "{\"callId\": \"c\", \"transportId\": \"t\", \"dtlsParameters\": {\"role\": \"client\", "
	"\"fingerprints\": [{\"algorithm\": \"sha-256\", \"value\": \"98:4F:05:A5:DB:85:06:74:08:CE:EE:06:7D:B7:BB:B6:10:05:D4:66:9A:"
	"52:94:E0:2C:92:CB:E9:C0:A7:E2:7D\"}], \"iceParameters\": {\"usernameFragment\": \"Sl1v\", \"password\": \"RLpLhkTlUtyqsocmchJnsSw/\"}}}";

/* What the Janus core sent out for a recv transport with two consumers. */
static const char *const JANUS_RECV_SDP =
	"v=0\r\no=- 1 2 IN IP4 10.213.0.1\r\ns=-\r\nt=0 0\r\na=group:BUNDLE oicall 0 1\r\na=ice-options:trickle\r\n"
	"a=fingerprint:sha-256 BB:4B:A6:82:0B:18:B5:04:79:0C:17:2E:6D:50:50:E8:F2:93:C6:70:12:54:9E:EE:6E:61:0D:11:A6:0D:63:36\r\n"
	"a=extmap-allow-mixed\r\na=msid-semantic: WMS *\r\n"
	"m=audio 9 UDP/TLS/RTP/SAVPF 111\r\nc=IN IP4 10.213.0.1\r\na=inactive\r\na=mid:oicall\r\na=rtcp-mux\r\n"
	"a=ice-ufrag:thxX\r\na=ice-pwd:DpLz7NW056d5cy1f/j/V+d\r\na=ice-options:trickle\r\na=setup:actpass\r\n"
	"a=rtpmap:111 opus/48000/2\r\na=candidate:1 1 udp 2015363839 10.213.0.1 20020 typ host\r\na=end-of-candidates\r\n"
	"m=audio 9 UDP/TLS/RTP/SAVPF 100\r\nc=IN IP4 10.213.0.1\r\na=sendonly\r\na=mid:0\r\na=rtcp-mux\r\n"
	"a=ice-ufrag:thxX\r\na=ice-pwd:DpLz7NW056d5cy1f/j/V+d\r\na=ice-options:trickle\r\na=setup:actpass\r\n"
	"a=extmap:10 urn:ietf:params:rtp-hdrext:ssrc-audio-level\r\na=rtpmap:100 opus/48000/2\r\n"
	"a=fmtp:100 minptime=10;useinbandfec=1\r\na=rtcp-fb:100 transport-cc\r\na=msid:janus janus0\r\n"
	"a=ssrc:1550680607 cname:janus\r\na=candidate:1 1 udp 2015363839 10.213.0.1 20020 typ host\r\na=end-of-candidates\r\n"
	"m=video 9 UDP/TLS/RTP/SAVPF 101 102\r\nc=IN IP4 10.213.0.1\r\na=sendonly\r\na=mid:1\r\na=rtcp-mux\r\n"
	"a=ice-ufrag:thxX\r\na=ice-pwd:DpLz7NW056d5cy1f/j/V+d\r\na=ice-options:trickle\r\na=setup:actpass\r\n"
	"a=extmap:1 urn:ietf:params:rtp-hdrext:sdes:mid\r\na=rtpmap:101 VP8/90000\r\na=rtcp-fb:101 nack\r\n"
	"a=rtcp-fb:101 nack pli\r\na=rtpmap:102 rtx/90000\r\na=fmtp:102 apt=101\r\n"
	"a=ssrc-group:FID 3220328278 892779234\r\na=msid:janus janus1\r\na=ssrc:3220328278 cname:janus\r\n"
	"a=ssrc:892779234 cname:janus\r\na=candidate:1 1 udp 2015363839 10.213.0.1 20020 typ host\r\na=end-of-candidates\r\n";

static json_t *parse(const char *text) {
	json_error_t error;
	json_t *json = json_loads(text, 0, &error);
	if(json == NULL)
		g_error("bad fixture: %s", error.text);
	return json;
}

static json_t *router(void) {
	return oicall_ortc_router_capabilities("opus", "vp8,vp9,h264");
}

static oicall_stream *producer(const char *kind, const char *params_text, char **error) {
	json_t *caps = router(), *params = parse(params_text);
	oicall_stream *stream = oicall_ortc_producer(kind, params, caps, error);
	json_decref(params);
	json_decref(caps);
	return stream;
}

static json_t *codec_with(json_t *caps, const char *mime) {
	size_t i;
	json_t *codec;
	json_array_foreach(json_object_get(caps, "codecs"), i, codec) {
		if(strcmp(json_string_value(json_object_get(codec, "mimeType")), mime) == 0)
			return codec;
	}
	return NULL;
}

static void test_router_capabilities(void) {
	json_t *caps = router();
	json_t *codecs = json_object_get(caps, "codecs");
	g_assert_cmpuint(json_array_size(codecs), ==, 7);   /* opus, 3 video codecs and their RTX */
	gboolean pts[128] = { FALSE };
	size_t i;
	json_t *codec;
	json_array_foreach(codecs, i, codec) {
		int pt = (int)json_integer_value(json_object_get(codec, "preferredPayloadType"));
		g_assert_false(pts[pt]);
		pts[pt] = TRUE;
		const char *mime = json_string_value(json_object_get(codec, "mimeType"));
		g_assert_true(g_str_has_prefix(mime, json_string_value(json_object_get(codec, "kind"))));
		g_assert_true(json_is_array(json_object_get(codec, "rtcpFeedback")));
		if(strcmp(mime, "video/rtx") == 0) {
			/* Each RTX repairs the codec listed just before it. */
			json_t *before = json_array_get(codecs, i - 1);
			g_assert_cmpint(json_integer_value(json_object_get(json_object_get(codec, "parameters"), "apt")), ==,
				json_integer_value(json_object_get(before, "preferredPayloadType")));
		}
	}
	json_t *opus = codec_with(caps, "audio/opus");
	g_assert_cmpint(json_integer_value(json_object_get(opus, "channels")), ==, 2);
	g_assert_cmpint(json_integer_value(json_object_get(opus, "clockRate")), ==, 48000);
	json_t *h264 = json_object_get(codec_with(caps, "video/H264"), "parameters");
	g_assert_cmpint(json_integer_value(json_object_get(h264, "packetization-mode")), ==, 1);
	g_assert_cmpstr(json_string_value(json_object_get(h264, "profile-level-id")), ==, "42e01f");
	g_assert_cmpint(json_integer_value(json_object_get(h264, "level-asymmetry-allowed")), ==, 1);
	json_t *extensions = json_object_get(caps, "headerExtensions");
	g_assert_cmpuint(json_array_size(extensions), ==, 9);
	json_t *ext;
	json_array_foreach(extensions, i, ext) {
		g_assert_nonnull(json_string_value(json_object_get(ext, "uri")));
		g_assert_cmpint(json_integer_value(json_object_get(ext, "preferredId")), >, 0);
		g_assert_cmpstr(json_string_value(json_object_get(ext, "direction")), ==, "sendrecv");
	}
	json_decref(caps);
	/* Only the configured codecs, in the configured order; unknown names are skipped. */
	caps = oicall_ortc_router_capabilities("opus", "h264, nonsense");
	g_assert_cmpuint(json_array_size(json_object_get(caps, "codecs")), ==, 3);
	g_assert_cmpstr(json_string_value(json_object_get(json_array_get(json_object_get(caps, "codecs"), 1), "mimeType")), ==, "video/H264");
	int pt = 0;
	char *first = oicall_ortc_router_first_codec(caps, OICALL_KIND_VIDEO, &pt);
	g_assert_cmpstr(first, ==, "h264");
	g_assert_cmpint(pt, ==, 105);
	g_free(first);
	json_decref(caps);
}

static void test_real_producers(void) {
	char *error = NULL;
	oicall_stream *audio = producer("audio", AUDIO_PRODUCER, &error);
	g_assert_null(error);
	g_assert_nonnull(audio);
	g_assert_cmpstr(audio->mid, ==, "0");
	g_assert_cmpint(audio->kind, ==, OICALL_KIND_AUDIO);
	g_assert_false(audio->gateway_sends);
	g_assert_cmpuint(audio->ssrc, ==, 4141250777u);
	g_assert_cmpuint(audio->rtx_ssrc, ==, 0);
	g_assert_cmpstr(audio->cname, ==, "UQMfS69kb5i6abF3");
	const oicall_codec *opus = g_ptr_array_index(audio->codecs, 0);
	g_assert_cmpint(opus->pt, ==, 111);
	g_assert_cmpint(opus->channels, ==, 2);
	g_assert_cmpint(opus->rtx_pt, ==, -1);
	g_assert_cmpuint(audio->extensions->len, ==, 4);
	oicall_stream *video = producer("video", VIDEO_PRODUCER, &error);
	g_assert_null(error);
	g_assert_cmpuint(video->ssrc, ==, 2321167749u);
	g_assert_cmpuint(video->rtx_ssrc, ==, 2410990481u);
	g_assert_cmpuint(video->codecs->len, ==, 1);
	const oicall_codec *vp8 = g_ptr_array_index(video->codecs, 0);
	g_assert_cmpint(vp8->pt, ==, 96);
	g_assert_cmpint(vp8->rtx_pt, ==, 97);

	/* The gateway's offer: the anchor first, then the producers, recvonly from its side. */
	GPtrArray *streams = g_ptr_array_new();
	g_ptr_array_add(streams, audio);
	g_ptr_array_add(streams, video);
	char *offer = oicall_ortc_offer(streams, 7);
	g_assert_nonnull(strstr(offer, "o=- 1 7 IN IP4"));
	g_assert_nonnull(strstr(offer, "a=group:BUNDLE oicall 0 1\r\n"));
	const char *anchor = strstr(offer, "a=mid:oicall\r\na=inactive");
	const char *first = strstr(offer, "a=mid:0\r\na=recvonly");
	const char *second = strstr(offer, "a=mid:1\r\na=recvonly");
	g_assert_true(anchor != NULL && first != NULL && second != NULL && anchor < first && first < second);
	g_assert_nonnull(strstr(offer, "m=video 9 UDP/TLS/RTP/SAVPF 96 97\r\n"));
	g_assert_nonnull(strstr(offer, "a=rtpmap:96 VP8/90000\r\n"));
	g_assert_nonnull(strstr(offer, "a=rtpmap:97 rtx/90000\r\na=fmtp:97 apt=96\r\n"));
	g_assert_nonnull(strstr(offer, "a=fmtp:111 minptime=10;useinbandfec=1\r\n"));
	g_assert_nonnull(strstr(offer, "a=rtcp-fb:96 nack pli\r\n"));
	g_assert_nonnull(strstr(offer, "a=extmap:13 urn:3gpp:video-orientation\r\n"));
	g_assert_null(strstr(offer, "a=ssrc:"));       /* the core writes its own */
	g_assert_null(strstr(offer, "a=ice-ufrag"));

	/* The client's answer: its ICE and DTLS, its SSRCs, directions from its side. */
	json_t *connect = parse(CONNECT);
	oicall_client_transport client = { 0 };
	g_assert_true(oicall_ortc_client_transport(connect, &client, &error));
	g_assert_true(client.dtls_client);
	char *answer = oicall_ortc_answer(streams, &client, 7);
	g_assert_nonnull(strstr(answer, "a=ice-ufrag:Sl1v\r\na=ice-pwd:RLpLhkTlUtyqsocmchJnsSw/\r\n"));
	g_assert_nonnull(strstr(answer, "a=fingerprint:sha-256 98:4F:05:A5:DB:85:06:74:08:CE:EE:06:7D:B7:BB:B6:10:05:D4:66:9A:52:94:E0:2C:92:CB:E9:C0:A7:E2:7D\r\n"));
	g_assert_nonnull(strstr(answer, "a=setup:active\r\n"));
	g_assert_nonnull(strstr(answer, "a=mid:1\r\na=sendonly"));
	g_assert_nonnull(strstr(answer, "a=ssrc-group:FID 2321167749 2410990481\r\n"));
	g_assert_nonnull(strstr(answer, "a=ssrc:4141250777 cname:UQMfS69kb5i6abF3\r\n"));
	g_free(answer);
	oicall_client_transport_clear(&client);
	json_decref(connect);
	g_free(offer);
	g_ptr_array_unref(streams);
	oicall_stream_free(audio);
	oicall_stream_free(video);
}

static void expect_refused(const char *kind, const char *params_text, const char *message_part) {
	char *error = NULL;
	oicall_stream *stream = producer(kind, params_text, &error);
	if(stream != NULL)
		g_error("accepted: %s", params_text);
	g_assert_nonnull(error);
	if(strstr(error, message_part) == NULL)
		g_error("\"%s\" does not say \"%s\"", error, message_part);
	g_free(error);
}

/* The real video rtpParameters with one member replaced (path like "codecs.0.payloadType"), or removed with NULL. */
static char *video_with(const char *path, const char *value_json) {
	json_t *params = parse(VIDEO_PRODUCER);
	char **parts = g_strsplit(path, ".", -1);
	json_t *parent = params;
	guint n = g_strv_length(parts);
	for(guint i = 0; i + 1 < n; i++)
		parent = json_is_array(parent) ? json_array_get(parent, (size_t)atoi(parts[i])) : json_object_get(parent, parts[i]);
	const char *last = parts[n - 1];
	if(json_is_array(parent)) {
		if(value_json)
			json_array_set_new(parent, (size_t)atoi(last), json_loads(value_json, JSON_DECODE_ANY, NULL));
		else
			json_array_remove(parent, (size_t)atoi(last));
	} else if(value_json) {
		json_object_set_new(parent, last, json_loads(value_json, JSON_DECODE_ANY, NULL));
	} else {
		json_object_del(parent, last);
	}
	g_strfreev(parts);
	char *text = json_dumps(params, 0);
	json_decref(params);
	return text;
}

static void refused_with(const char *path, const char *value_json, const char *message_part) {
	char *text = video_with(path, value_json);
	expect_refused("video", text, message_part);
	free(text);
}

static void test_bad_producers(void) {
	expect_refused("screen", VIDEO_PRODUCER, "kind");
	expect_refused(NULL, VIDEO_PRODUCER, "kind");
	expect_refused("audio", VIDEO_PRODUCER, "audio type");
	expect_refused("video", "[]", "Missing rtpParameters");
	expect_refused("video", "{}", "mid");
	refused_with("mid", NULL, "mid");
	refused_with("mid", "\"oicall\"", "reserved");
	refused_with("mid", "\"a b\"", "mid");
	refused_with("mid", "42", "mid");
	refused_with("codecs.0.mimeType", "\"video/AV1X\"", "unknown payload type 96");
	refused_with("codecs.0.payloadType", "128", "0 to 127");
	refused_with("codecs.0.payloadType", "-1", "0 to 127");
	refused_with("codecs.0.payloadType", "\"96\"", "0 to 127");
	refused_with("codecs.1.payloadType", "96", "listed twice");
	refused_with("codecs.0.clockRate", "0", "clockRate");
	refused_with("codecs.0.parameters", "[]", "parameters");
	refused_with("codecs.0.parameters", "{\"x\\r\\na=evil\": 1}", "plain names");
	refused_with("codecs.0.parameters", "{\"x\": \"1;y=2\"}", "plain names");
	refused_with("codecs.0.rtcpFeedback", "[{\"type\": \"nack\\r\\na=evil:1\", \"parameter\": \"\"}]", "plain names");
	refused_with("codecs.1.parameters", "{\"apt\": 55}", "repairs no listed codec");
	refused_with("codecs", "[]", "1 to 8 codecs");
	refused_with("codecs", "[{\"mimeType\": \"video/rtx\", \"payloadType\": 97, \"clockRate\": 90000, \"parameters\": {\"apt\": 96}}]",
		"repairs no listed codec");
	refused_with("codecs.0", "\"VP8\"", "objects");
	refused_with("headerExtensions", "{}", "array");
	refused_with("headerExtensions.0.id", "0", "id from 1 to 255");
	refused_with("headerExtensions.0.id", "256", "id from 1 to 255");
	refused_with("headerExtensions.1.id", "4", "used twice");
	refused_with("encodings", "[]", "encoding");
	refused_with("encodings", "[{\"ssrc\": 1}, {\"ssrc\": 2}]", "Simulcast");
	refused_with("encodings.0.ssrc", NULL, "ssrc");
	refused_with("encodings.0.ssrc", "4294967296", "ssrc");
	refused_with("encodings.0.ssrc", "-5", "ssrc");
	refused_with("encodings.0.rtx", "{\"ssrc\": \"x\"}", "rtx.ssrc");
	refused_with("encodings.0.rtx", "{\"ssrc\": 2321167749}", "must differ");
	/* A cname that could break an SDP line is replaced, not copied. */
	char *text = video_with("rtcp.cname", "\"a\\r\\na=evil\"");
	char *error = NULL;
	oicall_stream *stream = producer("video", text, &error);
	g_assert_nonnull(stream);
	g_assert_cmpstr(stream->cname, ==, "oicall");
	oicall_stream_free(stream);
	free(text);
	/* Unknown header extensions are not negotiated (nor refused). */
	text = video_with("headerExtensions.0.uri", "\"urn:x-made-up\"");
	stream = producer("video", text, &error);
	g_assert_nonnull(stream);
	g_assert_cmpuint(stream->extensions->len, ==, 4);
	oicall_stream_free(stream);
	free(text);
}

static void test_consumer(void) {
	char *error = NULL;
	oicall_stream *video = producer("video", VIDEO_PRODUCER, &error);
	json_t *caps = router(), *device = parse(DEVICE_CAPS);
	oicall_stream *consumer = oicall_ortc_consumer(video, device, caps, "1");
	g_assert_nonnull(consumer);
	g_assert_true(consumer->gateway_sends);
	g_assert_cmpstr(consumer->mid, ==, "1");
	const oicall_codec *codec = g_ptr_array_index(consumer->codecs, 0);
	g_assert_cmpstr(codec->mime, ==, "video/VP8");
	g_assert_cmpint(codec->pt, ==, 101);        /* the router's, not the producer's 96 */
	g_assert_cmpint(codec->rtx_pt, ==, 102);
	g_assert_cmpuint(consumer->extensions->len, ==, 5);   /* video's: mid, abs-send-time, twcc, orientation, toffset */
	int map[128];
	oicall_ortc_payload_map(video, consumer, map);
	g_assert_cmpint(map[96], ==, 101);
	g_assert_cmpint(map[97], ==, -1);   /* retransmissions are the core's business */
	g_assert_cmpint(map[111], ==, -1);

	/* The SSRCs are the gateway's, read from what the core sent. */
	oicall_ortc_local_ssrcs(JANUS_RECV_SDP, "1", &consumer->ssrc, &consumer->rtx_ssrc);
	g_assert_cmpuint(consumer->ssrc, ==, 3220328278u);
	g_assert_cmpuint(consumer->rtx_ssrc, ==, 892779234u);
	json_t *params = oicall_ortc_consumer_parameters(consumer);
	g_assert_cmpstr(json_string_value(json_object_get(params, "mid")), ==, "1");
	json_t *encoding = json_array_get(json_object_get(params, "encodings"), 0);
	g_assert_cmpint(json_integer_value(json_object_get(encoding, "ssrc")), ==, 3220328278u);
	g_assert_cmpint(json_integer_value(json_object_get(json_object_get(encoding, "rtx"), "ssrc")), ==, 892779234u);
	json_t *codecs = json_object_get(params, "codecs");
	g_assert_cmpuint(json_array_size(codecs), ==, 2);
	g_assert_cmpint(json_integer_value(json_object_get(json_array_get(codecs, 0), "payloadType")), ==, 101);
	g_assert_cmpstr(json_string_value(json_object_get(json_array_get(codecs, 1), "mimeType")), ==, "video/rtx");
	g_assert_cmpstr(json_string_value(json_object_get(json_object_get(params, "rtcp"), "cname")), ==, "UQMfS69kb5i6abF3");
	json_decref(params);

	/* The gateway's side of a recv transport: sendonly consumers. */
	GPtrArray *streams = g_ptr_array_new();
	g_ptr_array_add(streams, consumer);
	char *offer = oicall_ortc_offer(streams, 2);
	g_assert_nonnull(strstr(offer, "a=mid:1\r\na=sendonly"));
	g_assert_nonnull(strstr(offer, "m=video 9 UDP/TLS/RTP/SAVPF 101 102\r\n"));
	g_free(offer);
	g_ptr_array_unref(streams);

	/* SSRCs of a section that isn't there, or no SDP at all. */
	guint32 ssrc = 1, rtx = 1;
	oicall_ortc_local_ssrcs(JANUS_RECV_SDP, "7", &ssrc, &rtx);
	g_assert_cmpuint(ssrc, ==, 0);
	oicall_ortc_local_ssrcs("garbage", "1", &ssrc, &rtx);
	g_assert_cmpuint(ssrc, ==, 0);
	oicall_ortc_local_ssrcs(JANUS_RECV_SDP, "0", &ssrc, &rtx);
	g_assert_cmpuint(ssrc, ==, 1550680607u);
	g_assert_cmpuint(rtx, ==, 0);

	/* A client that can't receive VP8 can't consume it. */
	json_t *h264_only = parse("{\"codecs\": [{\"kind\": \"video\", \"mimeType\": \"video/H264\", \"preferredPayloadType\": 105, "
		"\"clockRate\": 90000, \"parameters\": {\"packetization-mode\": 1}}], \"headerExtensions\": []}");
	g_assert_null(oicall_ortc_consumer(video, h264_only, caps, "2"));
	g_assert_null(oicall_ortc_consumer(video, json_array_get(h264_only, 0), caps, "2"));
	/* Without RTX in its capabilities it gets none. */
	json_array_remove(json_object_get(device, "codecs"), 2);
	oicall_stream *plain = oicall_ortc_consumer(video, device, caps, "3");
	g_assert_cmpint(((oicall_codec *)g_ptr_array_index(plain->codecs, 0))->rtx_pt, ==, -1);
	oicall_stream_free(plain);
	json_decref(h264_only);
	json_decref(device);
	json_decref(caps);
	oicall_stream_free(consumer);
	oicall_stream_free(video);
}

static void test_client_transport(void) {
	oicall_client_transport client = { 0 };
	char *error = NULL;
	/* Top-level iceParameters, as a client without the adapter may send them. */
	json_t *payload = parse("{\"dtlsParameters\": {\"role\": \"server\", \"fingerprints\": [{\"algorithm\": \"sha-512\", \"value\": \"AA\"}, "
		"{\"algorithm\": \"sha-256\", \"value\": \"98:4f:05:a5:db:85:06:74:08:ce:ee:06:7d:b7:bb:b6:10:05:d4:66:9a:52:94:e0:2c:92:cb:e9:c0:a7:e2:7d\"}]}, "
		"\"iceParameters\": {\"usernameFragment\": 30746388, \"password\": \"RLpLhkTlUtyqsocmchJnsSw/\"}}");
	g_assert_true(oicall_ortc_client_transport(payload, &client, &error));
	g_assert_cmpstr(client.ice_ufrag, ==, "30746388");    /* an all-digit ufrag parsed as a number */
	g_assert_false(client.dtls_client);
	g_assert_cmpstr(client.fingerprint, ==, "98:4F:05:A5:DB:85:06:74:08:CE:EE:06:7D:B7:BB:B6:10:05:D4:66:9A:52:94:E0:2C:92:CB:E9:C0:A7:E2:7D");
	oicall_client_transport_clear(&client);
	json_decref(payload);

	static const struct { const char *payload, *says; } bad[] = {
		{ "{\"dtlsParameters\": {\"role\": \"client\", \"fingerprints\": [{\"algorithm\": \"sha-256\", \"value\": "
			"\"98:4F:05:A5:DB:85:06:74:08:CE:EE:06:7D:B7:BB:B6:10:05:D4:66:9A:52:94:E0:2C:92:CB:E9:C0:A7:E2:7D\"}]}}", "usernameFragment" },
		{ "{\"iceParameters\": {\"usernameFragment\": \"Sl1v\", \"password\": \"RLpLhkTlUtyqsocmchJnsSw/\"}}", "dtlsParameters" },
		{ "{\"dtlsParameters\": {\"role\": \"client\", \"fingerprints\": [{\"algorithm\": \"sha-256\", \"value\": \"00:11\"}], "
			"\"iceParameters\": {\"usernameFragment\": \"Sl1v\", \"password\": \"RLpLhkTlUtyqsocmchJnsSw/\"}}}", "sha-256" },
		{ "{\"dtlsParameters\": {\"role\": \"client\", \"fingerprints\": [{\"algorithm\": \"sha-256\", \"value\": "
			"\"98:4F:05:A5:DB:85:06:74:08:CE:EE:06:7D:B7:BB:B6:10:05:D4:66:9A:52:94:E0:2C:92:CB:E9:C0:A7:E2:7D\"}], "
			"\"iceParameters\": {\"usernameFragment\": \"Sl1v\", \"password\": \"short\"}}}", "password" },
		{ "{\"dtlsParameters\": {\"role\": \"client\", \"fingerprints\": [{\"algorithm\": \"sha-256\", \"value\": "
			"\"98:4F:05:A5:DB:85:06:74:08:CE:EE:06:7D:B7:BB:B6:10:05:D4:66:9A:52:94:E0:2C:92:CB:E9:C0:A7:E2:7D\"}], "
			"\"iceParameters\": {\"usernameFragment\": \"Sl1v\\r\\na=x\", \"password\": \"RLpLhkTlUtyqsocmchJnsSw/\"}}}", "usernameFragment" },
		{ "{\"dtlsParameters\": \"x\"}", "dtlsParameters" },
		{ "[]", "dtlsParameters" },
	};
	for(gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
		payload = parse(bad[i].payload);
		error = NULL;
		g_assert_false(oicall_ortc_client_transport(payload, &client, &error));
		if(error == NULL || strstr(error, bad[i].says) == NULL)
			g_error("case %" G_GSIZE_FORMAT ": \"%s\" does not say \"%s\"", i, error, bad[i].says);
		g_assert_null(client.ice_ufrag);
		g_free(error);
		json_decref(payload);
	}
}

static void test_transport_parameters(void) {
	char *error = NULL;
	json_t *params = oicall_ortc_transport_parameters("tid", JANUS_RECV_SDP, &error);
	g_assert_null(error);
	g_assert_cmpstr(json_string_value(json_object_get(params, "id")), ==, "tid");
	json_t *ice = json_object_get(params, "iceParameters");
	g_assert_cmpstr(json_string_value(json_object_get(ice, "usernameFragment")), ==, "thxX");
	g_assert_cmpstr(json_string_value(json_object_get(ice, "password")), ==, "DpLz7NW056d5cy1f/j/V+d");
	g_assert_true(json_is_false(json_object_get(ice, "iceLite")));
	json_t *candidates = json_object_get(params, "iceCandidates");
	g_assert_cmpuint(json_array_size(candidates), >=, 1);
	json_t *candidate = json_array_get(candidates, 0);
	g_assert_cmpstr(json_string_value(json_object_get(candidate, "foundation")), ==, "1");
	g_assert_cmpint(json_integer_value(json_object_get(candidate, "priority")), ==, 2015363839);
	g_assert_cmpstr(json_string_value(json_object_get(candidate, "ip")), ==, "10.213.0.1");
	g_assert_cmpstr(json_string_value(json_object_get(candidate, "address")), ==, "10.213.0.1");
	g_assert_cmpint(json_integer_value(json_object_get(candidate, "port")), ==, 20020);
	g_assert_cmpstr(json_string_value(json_object_get(candidate, "protocol")), ==, "udp");
	g_assert_cmpstr(json_string_value(json_object_get(candidate, "type")), ==, "host");
	json_t *dtls = json_object_get(params, "dtlsParameters");
	g_assert_cmpstr(json_string_value(json_object_get(dtls, "role")), ==, "auto");
	json_t *fp = json_array_get(json_object_get(dtls, "fingerprints"), 0);
	g_assert_cmpstr(json_string_value(json_object_get(fp, "algorithm")), ==, "sha-256");
	g_assert_true(g_str_has_prefix(json_string_value(json_object_get(fp, "value")), "BB:4B:A6"));
	json_decref(params);
	/* What the core never sends: no ICE, no candidates, nothing. */
	static const char *const broken[] = { "", "v=0\r\n", "m=audio 9 RTP 0\r\na=ice-ufrag:x\r\n", NULL };
	for(int i = 0; broken[i] != NULL; i++) {
		error = NULL;
		g_assert_null(oicall_ortc_transport_parameters("tid", broken[i], &error));
		g_assert_nonnull(error);
		g_free(error);
	}
	error = NULL;
	g_assert_null(oicall_ortc_transport_parameters("tid", NULL, &error));
	g_free(error);
}

int main(int argc, char **argv) {
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/ortc/router-capabilities", test_router_capabilities);
	g_test_add_func("/ortc/real-producers-offer-answer", test_real_producers);
	g_test_add_func("/ortc/bad-producers", test_bad_producers);
	g_test_add_func("/ortc/consumer", test_consumer);
	g_test_add_func("/ortc/client-transport", test_client_transport);
	g_test_add_func("/ortc/transport-parameters", test_transport_parameters);
	return g_test_run();
}
