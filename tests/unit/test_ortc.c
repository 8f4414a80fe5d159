/* mediasoup's ORTC model ⇄ the SDPs of a Janus transport (plugin/ortc.c),
 * on fixtures taken from real mediasoup-client 3.24.1 (Chromium) and Janus
 * 1.1.2 output: tests/unit/fixtures/ortc/ (its README says what each is). */
#include <glib.h>
#include <stdlib.h>
#include <string.h>

#include "../../plugin/ortc.h"
#include "../../plugin/red.h"

#ifndef ORTC_FIXTURES
#error "ORTC_FIXTURES must name the fixtures' folder (Makefile.am passes $(abs_top_srcdir)/tests/unit/fixtures/ortc)"
#endif

/* ---- fixtures -------------------------------------------------------- */

static char *fixture_text(const char *name) {
	g_autofree char *path = g_build_filename(ORTC_FIXTURES, name, NULL);
	char *text = NULL;
	GError *error = NULL;
	if(!g_file_get_contents(path, &text, NULL, &error))
		g_error("fixture %s: %s", path, error->message);
	return text;
}

static json_t *parse(const char *text) {
	json_error_t error;
	json_t *json = json_loads(text, 0, &error);
	if(json == NULL)
		g_error("bad fixture: %s (line %d)", error.text, error.line);
	return json;
}

static json_t *fixture_json(const char *name) {
	g_autofree char *text = fixture_text(name);
	return parse(text);
}

/* What the Janus core sent out, CRLF line ends kept. */
static char *fixture_sdp(const char *name) {
	char *sdp = fixture_text(name);
	if(!g_str_has_prefix(sdp, "v=0\r\n") || !g_str_has_suffix(sdp, "\r\n"))
		g_error("fixture %s: not an SDP with CRLF line ends", name);
	return sdp;
}

/* create-producer's rtpParameters (a create-producer-*.json payload's) as JSON text (g_free). */
static char *producer_params(const char *name) {
	json_t *payload = fixture_json(name);
	json_t *params = json_object_get(payload, "rtpParameters");
	g_assert_true(json_is_object(params));
	char *dumped = json_dumps(params, 0);
	char *text = g_strdup(dumped);
	free(dumped);
	json_decref(payload);
	return text;
}

static void assert_json_equal(json_t *actual, json_t *expected, const char *what) {
	if(json_equal(actual, expected))
		return;
	char *a = json_dumps(actual, JSON_INDENT(1) | JSON_SORT_KEYS | JSON_ENCODE_ANY);
	char *e = json_dumps(expected, JSON_INDENT(1) | JSON_SORT_KEYS | JSON_ENCODE_ANY);
	g_error("%s:\n%s\nis not as expected:\n%s", what, a, e);
}

/* ---- SDP sections ---------------------------------------------------- */

/* The lines (chomped, g_free) of the m-section with that mid; NULL without one. */
static GPtrArray *sdp_section(const char *sdp, const char *mid) {
	char **lines = g_strsplit(sdp, "\n", -1);
	GPtrArray *section = NULL;
	g_autofree char *wanted = g_strdup_printf("a=mid:%s", mid);
	for(guint i = 0; lines[i] != NULL && section == NULL; i++) {
		if(!g_str_has_prefix(lines[i], "m="))
			continue;
		guint end = i + 1;
		gboolean found = FALSE;
		for(; lines[end] != NULL && !g_str_has_prefix(lines[end], "m="); end++)
			found = found || strcmp(g_strchomp(lines[end]), wanted) == 0;
		if(!found)
			continue;
		section = g_ptr_array_new_with_free_func(g_free);
		for(guint j = i; j < end; j++)
			g_ptr_array_add(section, g_strdup(g_strchomp(lines[j])));
	}
	g_strfreev(lines);
	return section;
}

static const char *section_line(GPtrArray *section, const char *prefix) {
	for(guint i = 0; i < section->len; i++) {
		if(g_str_has_prefix(g_ptr_array_index(section, i), prefix))
			return g_ptr_array_index(section, i);
	}
	return NULL;
}

static gboolean has_line(GPtrArray *section, const char *line) {
	for(guint i = 0; i < section->len; i++) {
		if(strcmp(g_ptr_array_index(section, i), line) == 0)
			return TRUE;
	}
	return FALSE;
}

static const char *section_direction(GPtrArray *section) {
	static const char *const directions[] = { "a=sendonly", "a=recvonly", "a=sendrecv", "a=inactive" };
	for(gsize d = 0; d < G_N_ELEMENTS(directions); d++) {
		for(guint i = 0; i < section->len; i++) {
			if(strcmp(g_ptr_array_index(section, i), directions[d]) == 0)
				return directions[d];
		}
	}
	return NULL;
}

/* What says which media and how: header extensions, payload types and their parameters and feedback. */
static gboolean media_line(const char *line) {
	return g_str_has_prefix(line, "a=extmap:") || g_str_has_prefix(line, "a=rtpmap:") ||
		g_str_has_prefix(line, "a=fmtp:") || g_str_has_prefix(line, "a=rtcp-fb:");
}

static gboolean of_payload_type(const char *line, int pt) {
	if(pt < 0)
		return FALSE;
	g_autofree char *rtpmap = g_strdup_printf("a=rtpmap:%d ", pt);
	g_autofree char *fmtp = g_strdup_printf("a=fmtp:%d ", pt);
	g_autofree char *fb = g_strdup_printf("a=rtcp-fb:%d ", pt);
	return g_str_has_prefix(line, rtpmap) || g_str_has_prefix(line, fmtp) || g_str_has_prefix(line, fb);
}

/* The section with that mid in the plugin's SDP (ours) against another
 * (the core's, or the offer an answer is for): the same m-line (the core
 * may have dropped payload type `dropped` from its end), the same direction
 * (or, for an answer, the opposite), and every media line of the other is
 * one of ours; with exact, every one of ours (but the dropped payload
 * type's) is also the other's. */
static void assert_section_like(const char *ours_sdp, const char *core_sdp, const char *mid, gboolean answer, gboolean exact,
		int dropped) {
	GPtrArray *ours = sdp_section(ours_sdp, mid), *core = sdp_section(core_sdp, mid);
	if(ours == NULL || core == NULL)
		g_error("section %s: not in %s", mid, ours == NULL ? "ours" : "the core's");
	const char *core_m = section_line(core, "m=");
	g_autofree char *expected_m = dropped < 0 ? g_strdup(core_m) : g_strdup_printf("%s %d", core_m, dropped);
	g_assert_cmpstr(section_line(ours, "m="), ==, expected_m);
	const char *direction = section_direction(core);
	g_assert_nonnull(direction);
	if(answer)
		direction = strcmp(direction, "a=sendonly") == 0 ? "a=recvonly" : strcmp(direction, "a=recvonly") == 0 ? "a=sendonly" : direction;
	g_assert_cmpstr(section_direction(ours), ==, direction);
	guint media_lines = 0;
	for(guint i = 0; i < core->len; i++) {
		const char *line = g_ptr_array_index(core, i);
		if(!media_line(line))
			continue;
		media_lines++;
		if(!has_line(ours, line))
			g_error("section %s: their \"%s\" is not in ours", mid, line);
	}
	g_assert_cmpuint(media_lines, >, 0);
	for(guint i = 0; exact && i < ours->len; i++) {
		const char *line = g_ptr_array_index(ours, i);
		if(!media_line(line) || of_payload_type(line, dropped))
			continue;
		if(!has_line(core, line))
			g_error("section %s: our \"%s\" is not in theirs", mid, line);
	}
	g_ptr_array_unref(ours);
	g_ptr_array_unref(core);
}

/* The session-level a=group:BUNDLE line. */
static char *bundle_line(const char *sdp) {
	const char *start = strstr(sdp, "\r\na=group:BUNDLE ");
	g_assert_nonnull(start);
	start += 2;
	return g_strndup(start, strcspn(start, "\r\n"));
}

/* ---- the plugin's side ----------------------------------------------- */

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

/* A producer from a create-producer payload: its kind and rtpParameters. */
static oicall_stream *producer_from(const char *name, char **error) {
	json_t *payload = fixture_json(name), *caps = router();
	oicall_stream *stream = oicall_ortc_producer(json_string_value(json_object_get(payload, "kind")),
		json_object_get(payload, "rtpParameters"), caps, error);
	json_decref(caps);
	json_decref(payload);
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
	g_assert_cmpuint(json_array_size(extensions), ==, 10);
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

/* With the default configuration, exactly what mediasoup-client's Device.load() took. */
static void test_router_capabilities_loaded(void) {
	json_t *caps = router(), *loaded = fixture_json("router-rtp-capabilities.json");
	assert_json_equal(caps, loaded, "the router's rtpCapabilities");
	/* The Device kept the router's payload types and extension ids (what consumers are built with). */
	json_t *device = fixture_json("device-rtp-capabilities.json");
	size_t i, j;
	json_t *item, *ours;
	json_array_foreach(json_object_get(device, "codecs"), i, item) {
		gboolean found = FALSE;
		json_array_foreach(json_object_get(caps, "codecs"), j, ours) {
			found = found || (json_equal(json_object_get(item, "mimeType"), json_object_get(ours, "mimeType")) &&
				json_equal(json_object_get(item, "preferredPayloadType"), json_object_get(ours, "preferredPayloadType")) &&
				json_equal(json_object_get(item, "clockRate"), json_object_get(ours, "clockRate")) &&
				json_equal(json_object_get(item, "parameters"), json_object_get(ours, "parameters")));
		}
		if(!found)
			g_error("the Device's codec %" G_GSIZE_FORMAT " is not the router's", i);
	}
	json_array_foreach(json_object_get(device, "headerExtensions"), i, item) {
		gboolean found = FALSE;
		json_array_foreach(json_object_get(caps, "headerExtensions"), j, ours) {
			found = found || (json_equal(json_object_get(item, "kind"), json_object_get(ours, "kind")) &&
				json_equal(json_object_get(item, "uri"), json_object_get(ours, "uri")) &&
				json_equal(json_object_get(item, "preferredId"), json_object_get(ours, "preferredId")));
		}
		if(!found)
			g_error("the Device's header extension %" G_GSIZE_FORMAT " is not the router's", i);
	}
	json_decref(device);
	json_decref(loaded);
	json_decref(caps);
}

static void test_real_producers(void) {
	char *error = NULL;
	oicall_stream *audio = producer_from("create-producer-audio.json", &error);
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
	oicall_stream *video = producer_from("create-producer-video.json", &error);
	g_assert_null(error);
	g_assert_nonnull(video);
	g_assert_cmpint(video->kind, ==, OICALL_KIND_VIDEO);
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
	json_t *connect = fixture_json("connect-send-transport.json");
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
	/* The answer's sections carry the same media as the offer's. */
	assert_section_like(answer, offer, "0", TRUE, TRUE, -1);
	assert_section_like(answer, offer, "1", TRUE, TRUE, -1);
	g_free(answer);
	oicall_client_transport_clear(&client);
	json_decref(connect);
	g_free(offer);
	g_ptr_array_unref(streams);
	oicall_stream_free(audio);
	oicall_stream_free(video);
}

/* Our offer for the real producers against what the core sent out for such
 * a send transport: the same sections and media, but for the RTX payload
 * type the core dropped. */
static void test_producers_against_core(void) {
	char *error = NULL;
	oicall_stream *audio = producer_from("create-producer-audio.json", &error);
	oicall_stream *video = producer_from("create-producer-video.json", &error);
	g_assert_nonnull(audio);
	g_assert_nonnull(video);
	GPtrArray *streams = g_ptr_array_new();
	g_ptr_array_add(streams, audio);
	g_ptr_array_add(streams, video);
	char *offer = oicall_ortc_offer(streams, 3);
	char *core = fixture_sdp("janus-send-transport.sdp");
	g_autofree char *our_bundle = bundle_line(offer);
	g_autofree char *core_bundle = bundle_line(core);
	g_assert_cmpstr(our_bundle, ==, core_bundle);
	/* (This capture predates the anchor's RTX payload type.) */
	assert_section_like(offer, core, OICALL_ANCHOR_MID, FALSE, TRUE, OICALL_ANCHOR_RTX_PT);
	assert_section_like(offer, core, "0", FALSE, TRUE, -1);
	assert_section_like(offer, core, "1", FALSE, TRUE, 97);

	/* Its SSRCs for producers (no ssrc-group): the core's own, not the client's. */
	guint32 ssrc = 0, rtx = 1;
	oicall_ortc_local_ssrcs(core, "1", &ssrc, &rtx);
	g_assert_cmpuint(ssrc, ==, 2956769918u);
	g_assert_cmpuint(rtx, ==, 0);
	oicall_ortc_local_ssrcs(core, "0", &ssrc, &rtx);
	g_assert_cmpuint(ssrc, ==, 2794322132u);

	/* Its transport parameters: the anchor's ICE and the session's fingerprint; the
	 * candidate, repeated in each bundled section, is the one of the transport. */
	json_t *params = oicall_ortc_transport_parameters("tid", core, NULL, &error);
	g_assert_null(error);
	json_t *ice = json_object_get(params, "iceParameters");
	g_assert_cmpstr(json_string_value(json_object_get(ice, "usernameFragment")), ==, "G76w");
	g_assert_cmpstr(json_string_value(json_object_get(ice, "password")), ==, "cNzK0aewCyWjXmGctvlRhm");
	json_t *fp = json_array_get(json_object_get(json_object_get(params, "dtlsParameters"), "fingerprints"), 0);
	g_assert_cmpstr(json_string_value(json_object_get(fp, "value")), ==,
		"A6:D0:EB:04:2B:60:F8:B2:8A:9B:05:37:51:E2:71:A7:E6:C7:01:51:7C:F1:3F:A6:99:28:19:5E:BE:AE:F3:93");
	json_t *candidates = json_object_get(params, "iceCandidates");
	g_assert_cmpuint(json_array_size(candidates), >=, 1);
	json_t *expected = parse("{\"foundation\": \"1\", \"priority\": 2015363839, \"ip\": \"10.213.0.1\", \"address\": \"10.213.0.1\", "
		"\"port\": 20071, \"type\": \"host\", \"protocol\": \"udp\"}");
	size_t i;
	json_t *candidate;
	json_array_foreach(candidates, i, candidate)
		assert_json_equal(candidate, expected, "a candidate of the send transport");
	json_decref(expected);
	json_decref(params);
	g_free(core);
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
	g_autofree char *real = producer_params("create-producer-video.json");
	json_t *params = parse(real);
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
	g_autofree char *video = producer_params("create-producer-video.json");
	expect_refused("screen", video, "kind");
	expect_refused(NULL, video, "kind");
	expect_refused("audio", video, "audio type");
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
	/* H.264 only in the router's packetization mode (1). */
	refused_with("codecs.0", "{\"mimeType\": \"video/H264\", \"payloadType\": 96, \"clockRate\": 90000, \"parameters\": "
		"{\"packetization-mode\": 0, \"profile-level-id\": \"42e01f\", \"level-asymmetry-allowed\": 1}}", "unknown payload type 96");
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
	/* A cname goes into SDP lines: one token or none (then the gateway's own). */
	refused_with("rtcp.cname", "\"a\\r\\na=evil\"", "rtcp.cname");
	refused_with("rtcp.cname", "\"a b\"", "rtcp.cname");
	refused_with("rtcp.cname", "\"\"", "rtcp.cname");
	refused_with("rtcp.cname", "7", "rtcp.cname");
	refused_with("rtcp", "\"x\"", "rtcp.cname");
	char *text = video_with("rtcp.cname", NULL);
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
	g_autofree char *video_params = producer_params("create-producer-video.json");
	oicall_stream *video = producer("video", video_params, &error);
	json_t *caps = router(), *device = fixture_json("device-rtp-capabilities.json");
	char *recv_sdp = fixture_sdp("janus-recv-transport.sdp");
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
	oicall_ortc_local_ssrcs(recv_sdp, "1", &consumer->ssrc, &consumer->rtx_ssrc);
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
	oicall_ortc_local_ssrcs(recv_sdp, "7", &ssrc, &rtx);
	g_assert_cmpuint(ssrc, ==, 0);
	oicall_ortc_local_ssrcs("garbage", "1", &ssrc, &rtx);
	g_assert_cmpuint(ssrc, ==, 0);
	oicall_ortc_local_ssrcs(recv_sdp, "0", &ssrc, &rtx);
	g_assert_cmpuint(ssrc, ==, 1550680607u);
	g_assert_cmpuint(rtx, ==, 0);

	/* A client that can't receive VP8 can't consume it. */
	json_t *h264_only = parse("{\"codecs\": [{\"kind\": \"video\", \"mimeType\": \"video/H264\", \"preferredPayloadType\": 105, "
		"\"clockRate\": 90000, \"parameters\": {\"packetization-mode\": 1}}], \"headerExtensions\": []}");
	g_assert_null(oicall_ortc_consumer(video, h264_only, caps, "2"));
	g_assert_null(oicall_ortc_consumer(video, json_array_get(h264_only, 0), caps, "2"));
	/* An H.264 producer (mode 1) is consumed with the router's H.264 and its RTX. */
	char *text = video_with("codecs.0", "{\"mimeType\": \"video/H264\", \"payloadType\": 96, \"clockRate\": 90000, \"parameters\": "
		"{\"packetization-mode\": 1, \"profile-level-id\": \"42e01f\", \"level-asymmetry-allowed\": 1}}");
	oicall_stream *h264 = producer("video", text, &error);
	free(text);
	g_assert_nonnull(h264);
	oicall_stream *h264_consumer = oicall_ortc_consumer(h264, device, caps, "4");
	g_assert_nonnull(h264_consumer);
	codec = g_ptr_array_index(h264_consumer->codecs, 0);
	g_assert_cmpstr(codec->mime, ==, "video/H264");
	g_assert_cmpint(codec->pt, ==, 105);
	g_assert_cmpint(codec->rtx_pt, ==, 106);
	assert_json_equal(codec->parameters, json_object_get(codec_with(caps, "video/H264"), "parameters"), "the H.264 consumer's parameters");
	oicall_ortc_payload_map(h264, h264_consumer, map);
	g_assert_cmpint(map[96], ==, 105);
	oicall_stream_free(h264_consumer);
	oicall_stream_free(h264);
	/* Without RTX in its capabilities it gets none. */
	json_t *removed = json_array_get(json_object_get(device, "codecs"), 2);
	g_assert_cmpstr(json_string_value(json_object_get(removed, "mimeType")), ==, "video/rtx");
	g_assert_cmpint(json_integer_value(json_object_get(json_object_get(removed, "parameters"), "apt")), ==, 101);
	json_array_remove(json_object_get(device, "codecs"), 2);
	oicall_stream *plain = oicall_ortc_consumer(video, device, caps, "3");
	g_assert_cmpint(((oicall_codec *)g_ptr_array_index(plain->codecs, 0))->rtx_pt, ==, -1);
	oicall_stream_free(plain);
	json_decref(h264_only);
	g_free(recv_sdp);
	json_decref(device);
	json_decref(caps);
	oicall_stream_free(consumer);
	oicall_stream_free(video);
}

/* A consumer of a real producer for the real Device: its rtpParameters are
 * create-consumer's ack as mediasoup-client took it. The acks are of the
 * other user's producers: their cname is that user's, and their SSRCs are
 * the ones the core chose in that call. */
static oicall_stream *consumer_like_ack(const char *producer_fixture, const char *ack_fixture, oicall_stream **producer_out) {
	char *error = NULL;
	oicall_stream *source = producer_from(producer_fixture, &error);
	g_assert_null(error);
	g_assert_nonnull(source);
	json_t *caps = router(), *device = fixture_json("device-rtp-capabilities.json"), *ack = fixture_json(ack_fixture);
	json_t *expected = json_deep_copy(json_object_get(ack, "rtpParameters"));
	g_assert_cmpstr(json_string_value(json_object_get(ack, "kind")), ==, source->kind == OICALL_KIND_AUDIO ? "audio" : "video");
	oicall_stream *consumer = oicall_ortc_consumer(source, device, caps, json_string_value(json_object_get(expected, "mid")));
	g_assert_nonnull(consumer);
	json_t *encoding = json_array_get(json_object_get(expected, "encodings"), 0);
	consumer->ssrc = (guint32)json_integer_value(json_object_get(encoding, "ssrc"));
	consumer->rtx_ssrc = (guint32)json_integer_value(json_object_get(json_object_get(encoding, "rtx"), "ssrc"));
	g_assert_cmpuint(consumer->ssrc, !=, 0);
	json_object_set_new(json_object_get(expected, "rtcp"), "cname", json_string(source->cname));
	json_t *params = oicall_ortc_consumer_parameters(consumer);
	assert_json_equal(params, expected, ack_fixture);
	json_decref(params);
	json_decref(expected);
	json_decref(ack);
	json_decref(device);
	json_decref(caps);
	*producer_out = source;
	return consumer;
}

static void test_consumers_against_acks(void) {
	oicall_stream *audio_producer = NULL, *video_producer = NULL;
	oicall_stream *audio = consumer_like_ack("create-producer-audio.json", "create-consumer-audio-ack.json", &audio_producer);
	oicall_stream *video = consumer_like_ack("create-producer-video.json", "create-consumer-video-ack.json", &video_producer);
	int map[128];
	oicall_ortc_payload_map(audio_producer, audio, map);
	g_assert_cmpint(map[111], ==, 100);
	g_assert_cmpint(map[100], ==, -1);

	/* With the SSRCs of the recv transport the core sent out (Janus 1.1.2). */
	char *core = fixture_sdp("janus-recv-transport.sdp");
	oicall_ortc_local_ssrcs(core, audio->mid, &audio->ssrc, &audio->rtx_ssrc);
	oicall_ortc_local_ssrcs(core, video->mid, &video->ssrc, &video->rtx_ssrc);
	json_t *params = oicall_ortc_consumer_parameters(audio);
	json_t *expected = parse("[{\"ssrc\": 1550680607}]");
	assert_json_equal(json_object_get(params, "encodings"), expected, "the audio consumer's encodings");
	json_decref(expected);
	json_decref(params);
	params = oicall_ortc_consumer_parameters(video);
	expected = parse("[{\"ssrc\": 3220328278, \"rtx\": {\"ssrc\": 892779234}}]");
	assert_json_equal(json_object_get(params, "encodings"), expected, "the video consumer's encodings");
	json_decref(expected);
	json_decref(params);

	/* Our offer for these consumers against the core's SDP of that recv transport:
	 * what the core kept of each section is ours (it trimmed extensions and feedback). */
	GPtrArray *streams = g_ptr_array_new();
	g_ptr_array_add(streams, audio);
	g_ptr_array_add(streams, video);
	char *offer = oicall_ortc_offer(streams, 2);
	g_autofree char *our_bundle = bundle_line(offer);
	g_autofree char *core_bundle = bundle_line(core);
	g_assert_cmpstr(our_bundle, ==, core_bundle);
	/* (This capture predates the anchor's RTX payload type.) */
	assert_section_like(offer, core, OICALL_ANCHOR_MID, FALSE, TRUE, OICALL_ANCHOR_RTX_PT);
	assert_section_like(offer, core, "0", FALSE, TRUE, -1);
	assert_section_like(offer, core, "1", FALSE, FALSE, -1);

	/* The client's answer on that transport, from its connect-transport: it only receives. */
	json_t *connect = fixture_json("connect-recv-transport.json");
	oicall_client_transport client = { 0 };
	char *error = NULL;
	g_assert_true(oicall_ortc_client_transport(connect, &client, &error));
	char *answer = oicall_ortc_answer(streams, &client, 2);
	g_assert_nonnull(strstr(answer, "a=ice-ufrag:iFp/\r\na=ice-pwd:P2NJPJTGPFWkoVIvzuRtgOjn\r\n"));
	g_assert_nonnull(strstr(answer, "a=fingerprint:sha-256 26:44:56:4F:79:5C:9B:90:C0:7B:1C:9E:F9:E4:E5:33:C7:A2:75:CB:EC:BF:07:87:56:74:D9:FB:6B:78:0A:8F\r\n"));
	g_assert_nonnull(strstr(answer, "a=setup:active\r\n"));
	g_assert_null(strstr(answer, "a=setup:passive"));
	g_assert_nonnull(strstr(answer, "a=mid:0\r\na=recvonly\r\n"));
	g_assert_nonnull(strstr(answer, "a=mid:1\r\na=recvonly\r\n"));
	g_assert_null(strstr(answer, "a=ssrc"));       /* the client sends nothing here */
	g_autofree char *answer_bundle = bundle_line(answer);
	g_assert_cmpstr(answer_bundle, ==, core_bundle);
	assert_section_like(answer, offer, "0", TRUE, TRUE, -1);
	assert_section_like(answer, offer, "1", TRUE, TRUE, -1);
	g_free(answer);
	oicall_client_transport_clear(&client);
	json_decref(connect);
	g_free(offer);
	g_ptr_array_unref(streams);
	g_free(core);
	oicall_stream_free(audio);
	oicall_stream_free(video);
	oicall_stream_free(audio_producer);
	oicall_stream_free(video_producer);
}

/* The core's side of a caller's recv transport whose audio consumer was
 * negotiated (offer and answer) before its video consumer: the anchor keeps
 * RFC 4588 on in the core, so the video section has its rtx payload type and
 * an FID group (before, it had neither and the core retransmitted on SSRC 0). */
static void test_consumers_against_core_rtx(void) {
	char *error = NULL;
	oicall_stream *audio_producer = producer_from("create-producer-audio.json", &error);
	oicall_stream *video_producer = producer_from("create-producer-video.json", &error);
	json_t *caps = router(), *device = fixture_json("device-rtp-capabilities.json");
	oicall_stream *audio = oicall_ortc_consumer(audio_producer, device, caps, "0");
	oicall_stream *video = oicall_ortc_consumer(video_producer, device, caps, "1");
	g_assert_nonnull(audio);
	g_assert_nonnull(video);
	GPtrArray *streams = g_ptr_array_new();
	g_ptr_array_add(streams, audio);
	g_ptr_array_add(streams, video);
	char *core = fixture_sdp("janus-recv-transport-rtx.sdp");
	char *offer = oicall_ortc_offer(streams, 3);
	g_autofree char *our_bundle = bundle_line(offer);
	g_autofree char *core_bundle = bundle_line(core);
	g_assert_cmpstr(our_bundle, ==, core_bundle);
	/* The core keeps the anchor's RTX as we wrote it... */
	assert_section_like(offer, core, OICALL_ANCHOR_MID, FALSE, TRUE, -1);
	g_assert_cmpint(oicall_ortc_local_rtx_pt(core, OICALL_ANCHOR_MID, 111), ==, OICALL_ANCHOR_RTX_PT);
	/* ...and writes the video's RTX itself, with the router's payload type. */
	assert_section_like(offer, core, "0", FALSE, FALSE, -1);
	assert_section_like(offer, core, "1", FALSE, FALSE, -1);
	g_assert_cmpint(oicall_ortc_local_rtx_pt(core, "1", 101), ==, 102);
	g_assert_cmpint(oicall_ortc_local_rtx_pt(core, "1", 102), ==, -1);
	g_assert_cmpint(oicall_ortc_local_rtx_pt(core, "0", 100), ==, -1);
	g_assert_cmpint(oicall_ortc_local_rtx_pt(core, "7", 101), ==, -1);
	g_assert_cmpint(oicall_ortc_local_rtx_pt("garbage", "1", 101), ==, -1);
	oicall_ortc_local_ssrcs(core, "1", &video->ssrc, &video->rtx_ssrc);
	g_assert_cmpuint(video->ssrc, ==, 188052565u);
	g_assert_cmpuint(video->rtx_ssrc, ==, 3233375586u);
	/* create-consumer's ack names the RTX SSRC the core sends on. */
	json_t *params = oicall_ortc_consumer_parameters(video);
	json_t *expected = parse("[{\"ssrc\": 188052565, \"rtx\": {\"ssrc\": 3233375586}}]");
	assert_json_equal(json_object_get(params, "encodings"), expected, "the video consumer's encodings");
	json_decref(expected);
	json_decref(params);
	/* The client's answer repairs with the same payload types, the anchor's included. */
	json_t *connect = fixture_json("connect-recv-transport.json");
	oicall_client_transport client = { 0 };
	g_assert_true(oicall_ortc_client_transport(connect, &client, &error));
	char *answer = oicall_ortc_answer(streams, &client, 3);
	g_assert_cmpint(oicall_ortc_local_rtx_pt(answer, OICALL_ANCHOR_MID, 111), ==, OICALL_ANCHOR_RTX_PT);
	g_assert_cmpint(oicall_ortc_local_rtx_pt(answer, "1", 101), ==, 102);
	g_free(answer);
	oicall_client_transport_clear(&client);
	json_decref(connect);
	g_free(offer);
	g_free(core);
	g_ptr_array_unref(streams);
	json_decref(device);
	json_decref(caps);
	oicall_stream_free(audio);
	oicall_stream_free(video);
	oicall_stream_free(audio_producer);
	oicall_stream_free(video_producer);
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

	/* The real connect-transport payloads: iceParameters inside dtlsParameters, role client. */
	static const struct { const char *fixture, *ufrag, *pwd, *fingerprint; } real[] = {
		{ "connect-send-transport.json", "Sl1v", "RLpLhkTlUtyqsocmchJnsSw/",
			"98:4F:05:A5:DB:85:06:74:08:CE:EE:06:7D:B7:BB:B6:10:05:D4:66:9A:52:94:E0:2C:92:CB:E9:C0:A7:E2:7D" },
		{ "connect-recv-transport.json", "iFp/", "P2NJPJTGPFWkoVIvzuRtgOjn",
			"26:44:56:4F:79:5C:9B:90:C0:7B:1C:9E:F9:E4:E5:33:C7:A2:75:CB:EC:BF:07:87:56:74:D9:FB:6B:78:0A:8F" },
	};
	for(gsize i = 0; i < G_N_ELEMENTS(real); i++) {
		payload = fixture_json(real[i].fixture);
		error = NULL;
		if(!oicall_ortc_client_transport(payload, &client, &error))
			g_error("%s: %s", real[i].fixture, error);
		g_assert_cmpstr(client.ice_ufrag, ==, real[i].ufrag);
		g_assert_cmpstr(client.ice_pwd, ==, real[i].pwd);
		g_assert_cmpstr(client.fingerprint_algorithm, ==, "sha-256");
		g_assert_cmpstr(client.fingerprint, ==, real[i].fingerprint);
		g_assert_true(client.dtls_client);
		oicall_client_transport_clear(&client);
		g_assert_null(client.ice_ufrag);
		/* Without the adapter mediasoup-client sends no iceParameters: refused, saying why. */
		json_object_del(json_object_get(payload, "dtlsParameters"), "iceParameters");
		g_assert_false(oicall_ortc_client_transport(payload, &client, &error));
		g_assert_nonnull(strstr(error, "iceParameters"));
		g_free(error);
		json_decref(payload);
	}

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
	char *recv_sdp = fixture_sdp("janus-recv-transport.sdp");
	json_t *params = oicall_ortc_transport_parameters("tid", recv_sdp, NULL, &error);
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
	g_free(recv_sdp);
	/* What the core never sends: no ICE, no candidates, nothing. */
	static const char *const broken[] = { "", "v=0\r\n", "m=audio 9 RTP 0\r\na=ice-ufrag:x\r\n", NULL };
	for(int i = 0; broken[i] != NULL; i++) {
		error = NULL;
		g_assert_null(oicall_ortc_transport_parameters("tid", broken[i], NULL, &error));
		g_assert_nonnull(error);
		g_free(error);
	}
	error = NULL;
	g_assert_null(oicall_ortc_transport_parameters("tid", NULL, NULL, &error));
	g_free(error);
}

/* Full-trickle: the core's SDP has no candidates; those it trickled come along. */
static void test_transport_parameters_trickled(void) {
	char *sdp = fixture_sdp("janus-recv-transport.sdp");
	GString *without = g_string_new(NULL);
	char **lines = g_strsplit(sdp, "\r\n", -1);
	for(int i = 0; lines[i] != NULL && lines[i][0] != '\0'; i++) {
		if(!g_str_has_prefix(lines[i], "a=candidate:") && !g_str_has_prefix(lines[i], "a=end-of-candidates"))
			g_string_append_printf(without, "%s\r\n", lines[i]);
	}
	g_strfreev(lines);
	char *error = NULL;
	g_assert_null(oicall_ortc_transport_parameters("tid", without->str, NULL, &error));
	g_assert_cmpstr(error, ==, "The gateway's SDP lacks ICE credentials, a fingerprint or candidates");
	g_free(error);
	error = NULL;
	/* Only "candidate:" strings count; 64 at most. */
	json_t *trickled = json_pack("[ss[]is]", "candidate:7 1 udp 2015363839 10.213.0.9 20030 typ host",
		"a=candidate:8 1 udp 1 10.213.0.8 1 typ host", 4, "candidate:9 1 tcp 1 10.213.0.7 9 typ host tcptype active");
	json_t *params = oicall_ortc_transport_parameters("tid", without->str, trickled, &error);
	g_assert_null(error);
	json_t *candidates = json_object_get(params, "iceCandidates");
	g_assert_cmpuint(json_array_size(candidates), ==, 2);
	g_assert_cmpstr(json_string_value(json_object_get(json_array_get(candidates, 0), "ip")), ==, "10.213.0.9");
	g_assert_cmpint(json_integer_value(json_object_get(json_array_get(candidates, 0), "port")), ==, 20030);
	g_assert_cmpstr(json_string_value(json_object_get(json_array_get(candidates, 1), "tcpType")), ==, "active");
	json_decref(params);
	json_decref(trickled);
	trickled = json_array();
	for(int i = 0; i < 100; i++)
		json_array_append_new(trickled, json_string("candidate:1 1 udp 1 10.0.0.1 1 typ host"));
	params = oicall_ortc_transport_parameters("tid", without->str, trickled, &error);
	g_assert_cmpuint(json_array_size(json_object_get(params, "iceCandidates")), ==, 64);
	json_decref(params);
	json_decref(trickled);
	g_string_free(without, TRUE);
	g_free(sdp);
}

/* The send transport of start-call's ack, from the anchor-only SDP the core
 * sent out for it: exactly what mediasoup-client got, but for dtlsParameters.role,
 * which mediasoup-client overwrote after connecting (see the fixtures' README). */
static void test_transport_parameters_anchor(void) {
	json_t *sent = fixture_json("send-transport.json");
	json_t *dtls = json_object_get(sent, "dtlsParameters");
	g_assert_cmpstr(json_string_value(json_object_get(dtls, "role")), ==, "server");
	json_object_set_new(dtls, "role", json_string("auto"));
	char *anchor = fixture_sdp("janus-anchor.sdp");
	char *error = NULL;
	/* Its id as the client used it afterwards. */
	json_t *connect = fixture_json("connect-send-transport.json");
	json_t *params = oicall_ortc_transport_parameters(json_string_value(json_object_get(connect, "transportId")), anchor, NULL, &error);
	json_decref(connect);
	g_assert_null(error);
	g_assert_nonnull(params);
	assert_json_equal(params, sent, "the send transport's parameters");
	/* And the gateway's offer for it before any producer: the core's anchor section. */
	GPtrArray *none = g_ptr_array_new();
	char *offer = oicall_ortc_offer(none, 1);
	g_autofree char *our_bundle = bundle_line(offer);
	g_autofree char *core_bundle = bundle_line(anchor);
	g_assert_cmpstr(our_bundle, ==, core_bundle);
	/* (This capture predates the anchor's RTX payload type.) */
	assert_section_like(offer, anchor, OICALL_ANCHOR_MID, FALSE, TRUE, OICALL_ANCHOR_RTX_PT);
	g_free(offer);
	g_ptr_array_unref(none);
	json_decref(params);
	g_free(anchor);
	json_decref(sent);
}

/* An Opus stream with its payload type and RED's (-1 without), negotiated. */
static oicall_stream *opus_stream(int pt, int red_pt) {
	oicall_stream *stream = oicall_stream_new("0", OICALL_KIND_AUDIO, FALSE);
	oicall_codec *c = g_new0(oicall_codec, 1);
	c->mime = g_strdup("audio/opus");
	c->pt = pt;
	c->clock_rate = 48000;
	c->channels = 2;
	c->parameters = json_object();
	c->feedback = json_array();
	c->rtx_pt = -1;
	g_ptr_array_add(stream->codecs, c);
	stream->red_pt = stream->red_sent_pt = red_pt;
	return stream;
}

/* RED goes as it is only where the consumer has RED and the same Opus
 * payload type (its blocks name that one); to others unwrapped. */
static void test_payload_map_red(void) {
	oicall_stream *producer = opus_stream(111, 63);
	int map[128];
	oicall_stream *same = opus_stream(111, 63), *renumbered = opus_stream(111, 120), *other_opus = opus_stream(100, 63),
		*plain = opus_stream(100, -1);
	oicall_ortc_payload_map(producer, same, map);
	g_assert_cmpint(map[63], ==, 63);
	g_assert_cmpint(map[111], ==, 111);
	oicall_ortc_payload_map(producer, renumbered, map);
	g_assert_cmpint(map[63], ==, 120);
	oicall_ortc_payload_map(producer, other_opus, map);
	g_assert_cmpint(map[63], ==, OICALL_PT_UNWRAP_RED);
	g_assert_cmpint(map[111], ==, 100);
	oicall_ortc_payload_map(producer, plain, map);
	g_assert_cmpint(map[63], ==, OICALL_PT_UNWRAP_RED);
	g_assert_cmpint(map[111], ==, 100);
	/* A producer without RED: only its Opus goes. */
	oicall_stream *no_red = opus_stream(111, -1);
	oicall_ortc_payload_map(no_red, same, map);
	g_assert_cmpint(map[63], ==, -1);
	g_assert_cmpint(map[111], ==, 111);
	/* One that may send RED it didn't negotiate: unwrapped too, and as it is to a consumer with that RED. */
	no_red->red_sent_pt = 63;
	oicall_ortc_payload_map(no_red, plain, map);
	g_assert_cmpint(map[63], ==, OICALL_PT_UNWRAP_RED);
	oicall_ortc_payload_map(no_red, same, map);
	g_assert_cmpint(map[63], ==, 63);
	oicall_stream *all[] = { producer, same, renumbered, other_opus, plain, no_red };
	for(guint i = 0; i < G_N_ELEMENTS(all); i++)
		oicall_stream_free(all[i]);
}

int main(int argc, char **argv) {
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/ortc/router-capabilities", test_router_capabilities);
	g_test_add_func("/ortc/router-capabilities-loaded", test_router_capabilities_loaded);
	g_test_add_func("/ortc/real-producers-offer-answer", test_real_producers);
	g_test_add_func("/ortc/producers-against-core", test_producers_against_core);
	g_test_add_func("/ortc/bad-producers", test_bad_producers);
	g_test_add_func("/ortc/consumer", test_consumer);
	g_test_add_func("/ortc/consumers-against-acks", test_consumers_against_acks);
	g_test_add_func("/ortc/consumers-against-core-rtx", test_consumers_against_core_rtx);
	g_test_add_func("/ortc/payload-map-red", test_payload_map_red);
	g_test_add_func("/ortc/client-transport", test_client_transport);
	g_test_add_func("/ortc/transport-parameters", test_transport_parameters);
	g_test_add_func("/ortc/transport-parameters-anchor", test_transport_parameters_anchor);
	g_test_add_func("/ortc/transport-parameters-trickled", test_transport_parameters_trickled);
	return g_test_run();
}
