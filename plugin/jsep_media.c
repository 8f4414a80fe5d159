#include "jsep_media.h"

#include <stdlib.h>
#include <string.h>

#include <janus/rtp.h>
#include <janus/sdp-utils.h>

#define MAX_SDP_LEN (64 * 1024)

static janus_sdp *parse(const char *text, const char *what, char **error) {
	if(text == NULL || strlen(text) > MAX_SDP_LEN) {
		*error = g_strdup_printf("Invalid %s: missing or too large", what);
		return NULL;
	}
	char reason[256] = "";
	janus_sdp *sdp = janus_sdp_parse(text, reason, sizeof(reason));
	if(sdp == NULL)
		*error = g_strdup_printf("Invalid %s: %s", what, reason[0] ? reason : "unparsable SDP");
	return sdp;
}

/* "96 VP8/90000" → pt 96, codec "vp8" (lower case, g_free). */
static char *rtpmap_codec(const char *value, int *pt) {
	char *end = NULL;
	long number = strtol(value, &end, 10);
	if(end == value || *end != ' ' || number < 0 || number > 127)
		return NULL;
	*pt = (int)number;
	const char *name = end + 1;
	const char *slash = strchr(name, '/');
	return g_ascii_strdown(name, slash ? (gssize)(slash - name) : -1);
}

/* What follows "<pt> <after>" in the first a=<name> of an m-line that starts
 * so ("a=fmtp:97 apt=96": "96" for fmtp, 97, "apt="), or NULL. */
static const char *pt_attribute(janus_sdp_mline *m, const char *name, int pt, const char *after) {
	char prefix[32];
	g_snprintf(prefix, sizeof(prefix), "%d %s", pt, after);
	for(GList *a = m->attributes; a != NULL; a = a->next) {
		janus_sdp_attribute *attr = a->data;
		if(attr->name != NULL && attr->value != NULL && strcmp(attr->name, name) == 0 &&
				g_str_has_prefix(attr->value, prefix))
			return attr->value + strlen(prefix);
	}
	return NULL;
}

/* The apt= of an RTX fmtp line for pt, or -1. */
static int rtx_apt(janus_sdp_mline *m, int pt) {
	const char *apt = pt_attribute(m, "fmtp", pt, "apt=");
	return apt != NULL ? atoi(apt) : -1;
}

/* The codec an Opus RED payload type carries ("a=fmtp:63 111/111": every
 * block that codec), or -1. */
static int red_primary(janus_sdp_mline *m, int pt) {
	const char *fmtp = pt_attribute(m, "fmtp", pt, "");
	if(fmtp == NULL)
		return -1;
	char **blocks = g_strsplit(fmtp, "/", -1);
	int primary = blocks[0] != NULL && blocks[1] != NULL ? atoi(blocks[0]) : -1;
	for(guint i = 0; primary >= 0 && blocks[i] != NULL; i++) {
		if(atoi(blocks[i]) != primary || blocks[i][0] == '\0' || strspn(blocks[i], "0123456789") != strlen(blocks[i]))
			primary = -1;
	}
	g_strfreev(blocks);
	return primary >= 0 && primary < 128 ? primary : -1;
}

static gboolean is_red(janus_sdp_mline *m, int pt) {
	const char *rtpmap = pt_attribute(m, "rtpmap", pt, "");
	return rtpmap != NULL && g_ascii_strcasecmp(rtpmap, "red/48000/2") == 0;
}

static gboolean is_opus(janus_sdp_mline *m, int pt) {
	const char *rtpmap = pt_attribute(m, "rtpmap", pt, "");
	return rtpmap != NULL && g_ascii_strncasecmp(rtpmap, "opus/", 5) == 0;
}

/* The Opus RED payload type of an audio m-line that carries codec pt, or -1. */
static int red_for(janus_sdp_mline *m, int pt) {
	if(m->type != JANUS_SDP_AUDIO || !is_opus(m, pt))
		return -1;
	for(GList *p = m->ptypes; p != NULL; p = p->next) {
		int red = GPOINTER_TO_INT(p->data);
		if(is_red(m, red) && red_primary(m, red) == pt)
			return red;
	}
	return -1;
}

/* The codec an m-line sends with: its first payload type, or, when that is
 * Opus RED, the Opus it carries (-1 if that isn't on the m-line). */
static int codec_in_use(janus_sdp_mline *m) {
	int pt = GPOINTER_TO_INT(m->ptypes->data);
	if(m->type != JANUS_SDP_AUDIO || !is_red(m, pt))
		return pt;
	int primary = red_primary(m, pt);
	return g_list_find(m->ptypes, GINT_TO_POINTER(primary)) != NULL && is_opus(m, primary) ? primary : -1;
}

/* Where codec comes in the comma-separated list, or -1. */
static int rank_in(const char *list, const char *codec) {
	char **names = g_strsplit(list, ",", -1);
	int rank = -1;
	for(guint i = 0; rank < 0 && names[i] != NULL; i++) {
		if(g_ascii_strcasecmp(g_strstrip(names[i]), codec) == 0)
			rank = (int)i;
	}
	g_strfreev(names);
	return rank;
}

/* Sort keys of an m-line's payload types (pt → key, in a 128-slot array);
 * the m= line may list numbers out of range, which sort last. */
static int ptype_key(const int *key, gconstpointer pt) {
	int n = GPOINTER_TO_INT(pt);
	return n >= 0 && n < 128 ? key[n] : G_MAXINT / 2;
}

static int compare_ptypes(gconstpointer a, gconstpointer b, gpointer keys) {
	return ptype_key(keys, a) - ptype_key(keys, b);
}

/* Takes a payload type out of an m-line: the m= list and its own rtpmap,
 * fmtp and rtcp-fb lines. (janus_sdp_remove_payload_type also drops every
 * attribute whose value atoi()s to it: for PCMU's 0, a=mid:0, a=setup,
 * a=ice-ufrag... and the core then bundles on the wrong mid.) */
static void remove_payload_type(janus_sdp_mline *m, int pt) {
	m->ptypes = g_list_remove_all(m->ptypes, GINT_TO_POINTER(pt));
	static const char *const per_codec[] = { "rtpmap", "fmtp", "rtcp-fb" };
	GList *a = m->attributes;
	while(a != NULL) {
		GList *next = a->next;
		janus_sdp_attribute *attr = a->data;
		gboolean ours = FALSE;
		for(gsize i = 0; attr->name != NULL && attr->value != NULL && i < G_N_ELEMENTS(per_codec); i++) {
			char *end = NULL;
			long number = strtol(attr->value, &end, 10);
			ours = ours || (strcmp(attr->name, per_codec[i]) == 0 && end != attr->value && number == pt &&
				(*end == ' ' || *end == '\0'));
		}
		if(ours) {
			m->attributes = g_list_delete_link(m->attributes, a);
			janus_sdp_attribute_destroy(attr);
		}
		a = next;
	}
}

/* Keeps the configured codecs (and RTX for kept ones), in the configured
 * order: the callee's browser answers in the offer's order, and the
 * gateway's own answer takes the first, so the list is a preference for
 * both. Opus RED of a kept Opus stays too, right before it: a callee that
 * takes it sends RED, and so does the caller then (the callee's answer is
 * the caller's); the relay unwraps it for receivers without it (red.h). An
 * m-line left with none, or not audio/video, is rejected. Returns how many
 * stay active. */
static int restrict_codecs(janus_sdp *sdp, const oicall_plugin_config *config) {
	int active = 0;
	for(GList *l = sdp->m_lines; l != NULL; l = l->next) {
		janus_sdp_mline *m = l->data;
		if(m->port == 0)
			continue;
		if(m->type != JANUS_SDP_AUDIO && m->type != JANUS_SDP_VIDEO) {
			m->port = 0;    /* data channels and anything else: not relayed */
			continue;
		}
		const char *allowed = m->type == JANUS_SDP_AUDIO ? config->audio_codecs : config->video_codecs;
		GList *keep = NULL, *drop = NULL, *rtx = NULL, *red = NULL;
		/* Sort keys: 2 × the codec's rank; its RTX right after it (+1), its RED right before (-1). */
		int key[128] = { 0 };
		for(GList *a = m->attributes; a != NULL; a = a->next) {
			janus_sdp_attribute *attr = a->data;
			if(attr->name == NULL || attr->value == NULL || strcmp(attr->name, "rtpmap") != 0)
				continue;
			int pt = -1;
			char *codec = rtpmap_codec(attr->value, &pt);
			if(codec == NULL)
				continue;
			gboolean redundant = m->type == JANUS_SDP_AUDIO && strcmp(codec, "red") == 0;
			int rank = strcmp(codec, "rtx") == 0 || redundant ? -1 : rank_in(allowed, codec);
			if(strcmp(codec, "rtx") == 0)
				rtx = g_list_prepend(rtx, GINT_TO_POINTER(pt));
			else if(redundant)
				red = g_list_prepend(red, GINT_TO_POINTER(pt));
			else if(rank >= 0)
				keep = g_list_prepend(keep, GINT_TO_POINTER(pt));
			else
				drop = g_list_prepend(drop, GINT_TO_POINTER(pt));
			if(rank >= 0)
				key[pt] = 2 * rank;
			g_free(codec);
		}
		for(GList *r = rtx; r != NULL; r = r->next) {
			int pt = GPOINTER_TO_INT(r->data), apt = rtx_apt(m, pt);
			if(!g_list_find(keep, GINT_TO_POINTER(apt)))
				drop = g_list_prepend(drop, r->data);
			else
				key[pt] = key[apt] + 1;
		}
		for(GList *r = red; r != NULL; r = r->next) {
			int pt = GPOINTER_TO_INT(r->data), primary = red_primary(m, pt);
			if(!is_red(m, pt) || !g_list_find(keep, GINT_TO_POINTER(primary)) || !is_opus(m, primary))
				drop = g_list_prepend(drop, r->data);
			else
				key[pt] = key[primary] - 1;
		}
		/* Payload types without an rtpmap (static ones) aren't codecs we relay either. */
		for(GList *p = m->ptypes; p != NULL; p = p->next) {
			if(!g_list_find(keep, p->data) && !g_list_find(rtx, p->data) && !g_list_find(red, p->data) &&
					!g_list_find(drop, p->data))
				drop = g_list_prepend(drop, p->data);
		}
		for(GList *d = drop; d != NULL; d = d->next)
			remove_payload_type(m, GPOINTER_TO_INT(d->data));
		/* Stable: the offer's own order stays among a codec's variants. */
		m->ptypes = g_list_sort_with_data(m->ptypes, compare_ptypes, key);
		if(keep == NULL)
			m->port = 0;
		else
			active++;
		g_list_free(keep);
		g_list_free(drop);
		g_list_free(rtx);
		g_list_free(red);
	}
	return active;
}

char *oicall_jsep_callee_offer(const char *caller_offer, const oicall_plugin_config *config, char **error) {
	janus_sdp *sdp = parse(caller_offer, "offer", error);
	if(sdp == NULL)
		return NULL;
	char *result = NULL;
	int mlines = g_list_length(sdp->m_lines);
	if(mlines > OICALL_MAX_MLINES)
		*error = g_strdup_printf("Invalid offer: more than %d m-lines", OICALL_MAX_MLINES);
	else if(restrict_codecs(sdp, config) == 0)
		*error = g_strdup("Invalid offer: no audio or video with a supported codec");
	else
		result = janus_sdp_write(sdp);
	janus_sdp_destroy(sdp);
	return result;
}

/* Drops what the core writes itself when it sends an SDP for a handle
 * (it would add its own beside ours): the stream ids of the other client. */
static void strip_core_attributes(janus_sdp *sdp) {
	static const char *const names[] = { "mid", "msid", "ssrc", "ssrc-group" };
	for(GList *l = sdp->m_lines; l != NULL; l = l->next) {
		janus_sdp_mline *m = l->data;
		GList *a = m->attributes;
		while(a != NULL) {
			GList *next = a->next;
			janus_sdp_attribute *attr = a->data;
			for(gsize i = 0; attr->name != NULL && i < G_N_ELEMENTS(names); i++) {
				if(strcmp(attr->name, names[i]) == 0) {
					m->attributes = g_list_delete_link(m->attributes, a);
					janus_sdp_attribute_destroy(attr);
					break;
				}
			}
			a = next;
		}
	}
}

char *oicall_jsep_caller_answer(const char *callee_answer, const char *offer, char **error) {
	janus_sdp *answer = parse(callee_answer, "answer", error);
	if(answer == NULL)
		return NULL;
	janus_sdp *offered = parse(offer, "offer", error);
	char *result = NULL;
	if(offered == NULL) {
		janus_sdp_destroy(answer);
		return NULL;
	}
	GList *a = answer->m_lines, *o = offered->m_lines;
	gboolean matches = g_list_length(a) == g_list_length(o);
	for(; matches && a != NULL; a = a->next, o = o->next) {
		janus_sdp_mline *am = a->data, *om = o->data;
		matches = am->type == om->type;
		/* Only codecs that were offered may be answered. */
		for(GList *p = am->ptypes; matches && am->port != 0 && p != NULL; p = p->next)
			matches = g_list_find(om->ptypes, p->data) != NULL;
	}
	if(!matches) {
		*error = g_strdup("Invalid answer: its m-lines or codecs don't match the offer");
	} else {
		strip_core_attributes(answer);
		result = janus_sdp_write(answer);
	}
	janus_sdp_destroy(answer);
	janus_sdp_destroy(offered);
	return result;
}

void oicall_jsep_codecs(const char *text, char *codecs[2]) {
	codecs[0] = codecs[1] = NULL;
	char reason[128];
	janus_sdp *sdp = janus_sdp_parse(text, reason, sizeof(reason));
	if(sdp == NULL)
		return;
	for(GList *l = sdp->m_lines; l != NULL; l = l->next) {
		janus_sdp_mline *m = l->data;
		int kind = m->type == JANUS_SDP_AUDIO ? 0 : m->type == JANUS_SDP_VIDEO ? 1 : -1;
		if(kind < 0 || m->port == 0 || codecs[kind] != NULL || m->ptypes == NULL)
			continue;
		const char *name = janus_sdp_get_codec_name(sdp, m->index, codec_in_use(m));
		codecs[kind] = name ? g_ascii_strdown(name, -1) : NULL;
	}
	janus_sdp_destroy(sdp);
}

int oicall_jsep_mline_kinds(const char *text, int kinds[], int max) {
	char reason[128];
	janus_sdp *sdp = janus_sdp_parse(text, reason, sizeof(reason));
	if(sdp == NULL)
		return 0;
	int n = 0;
	for(GList *l = sdp->m_lines; l != NULL && n < max; l = l->next, n++) {
		janus_sdp_mline *m = l->data;
		kinds[n] = m->port == 0 ? -1 : m->type == JANUS_SDP_AUDIO ? 0 : m->type == JANUS_SDP_VIDEO ? 1 : -1;
	}
	janus_sdp_destroy(sdp);
	return n;
}

char *oicall_jsep_gateway_answer(const char *offer, gboolean keep_red, char **error) {
	janus_sdp *sdp = parse(offer, "offer", error);
	if(sdp == NULL)
		return NULL;
	for(GList *l = sdp->m_lines; l != NULL; l = l->next) {
		janus_sdp_mline *m = l->data;
		if(m->port == 0 || m->ptypes == NULL)
			continue;
		/* The first codec offered, its RTX and its Opus RED if the offer has
		 * it (then the caller's) and someone may receive it: nothing else is
		 * answered. RED is never the codec chosen, and goes only to a peer
		 * that offered it. */
		int chosen = codec_in_use(m);
		if(chosen < 0) {
			m->port = 0;
			continue;
		}
		int red = keep_red ? red_for(m, chosen) : -1;
		GList *drop = NULL;
		for(GList *p = m->ptypes; p != NULL; p = p->next) {
			int pt = GPOINTER_TO_INT(p->data);
			if(pt != chosen && pt != red && rtx_apt(m, pt) != chosen)
				drop = g_list_prepend(drop, p->data);
		}
		for(GList *d = drop; d != NULL; d = d->next)
			remove_payload_type(m, GPOINTER_TO_INT(d->data));
		g_list_free(drop);
		if(m->direction == JANUS_SDP_SENDONLY)
			m->direction = JANUS_SDP_RECVONLY;
		else if(m->direction == JANUS_SDP_RECVONLY)
			m->direction = JANUS_SDP_SENDONLY;
	}
	strip_core_attributes(sdp);
	char *answer = janus_sdp_write(sdp);
	janus_sdp_destroy(sdp);
	return answer;
}

/* Opus as the router has it (ortc.c): in-band FEC, so that a receiver can
 * rebuild a lost packet from the next one. */
#define OPUS_FMTP "minptime=10;useinbandfec=1"

char *oicall_jsep_gateway_offer(const char *audio_codec, int audio_pt, const char *video_codec, int video_pt) {
	janus_sdp *offer = janus_sdp_generate_offer("oicall", "0.0.0.0",
		JANUS_SDP_OA_MLINE, JANUS_SDP_AUDIO,
			JANUS_SDP_OA_CODEC, audio_codec,
			JANUS_SDP_OA_PT, audio_pt,
			JANUS_SDP_OA_FMTP, g_ascii_strcasecmp(audio_codec, "opus") == 0 ? OPUS_FMTP : NULL,
			JANUS_SDP_OA_EXTENSION, JANUS_RTP_EXTMAP_MID, 1,
			JANUS_SDP_OA_EXTENSION, JANUS_RTP_EXTMAP_TRANSPORT_WIDE_CC, 5,
			JANUS_SDP_OA_EXTENSION, JANUS_RTP_EXTMAP_AUDIO_LEVEL, 10,
		JANUS_SDP_OA_DONE);
	if(offer == NULL)
		return NULL;
	if(video_codec != NULL) {
		janus_sdp_generate_offer_mline(offer,
			JANUS_SDP_OA_MLINE, JANUS_SDP_VIDEO,
				JANUS_SDP_OA_CODEC, video_codec,
				JANUS_SDP_OA_PT, video_pt,
				JANUS_SDP_OA_EXTENSION, JANUS_RTP_EXTMAP_MID, 1,
				JANUS_SDP_OA_EXTENSION, JANUS_RTP_EXTMAP_TRANSPORT_WIDE_CC, 5,
			JANUS_SDP_OA_DONE);
	}
	char *text = janus_sdp_write(offer);
	janus_sdp_destroy(offer);
	return text;
}

/* "a=b;c=1" → { "a": "b", "c": 1 } (numbers as numbers, as mediasoup has them). */
static json_t *fmtp_parameters(const char *text) {
	json_t *parameters = json_object();
	char **pairs = g_strsplit(text, ";", -1);
	for(guint i = 0; pairs[i] != NULL; i++) {
		char **kv = g_strsplit(g_strstrip(pairs[i]), "=", 2);
		if(kv[0] != NULL && kv[0][0] != '\0' && kv[1] != NULL) {
			char *end = NULL;
			long long number = g_ascii_strtoll(kv[1], &end, 10);
			gboolean numeric = kv[1][0] != '\0' && *end == '\0' && strlen(kv[1]) < 10 && (kv[1][0] != '0' || kv[1][1] == '\0');
			json_object_set_new(parameters, kv[0], numeric ? json_integer(number) : json_string(kv[1]));
		}
		g_strfreev(kv);
	}
	g_strfreev(pairs);
	return parameters;
}

oicall_stream *oicall_jsep_stream(const char *text, int kind, int *mindex) {
	char *error = NULL;
	janus_sdp *sdp = parse(text, "SDP", &error);
	g_free(error);
	if(sdp == NULL)
		return NULL;
	oicall_stream *stream = NULL;
	for(GList *l = sdp->m_lines; l != NULL && stream == NULL; l = l->next) {
		janus_sdp_mline *m = l->data;
		if(m->port == 0 || m->ptypes == NULL || (kind == OICALL_KIND_AUDIO ? m->type != JANUS_SDP_AUDIO : m->type != JANUS_SDP_VIDEO))
			continue;
		int pt = codec_in_use(m);
		const char *name = janus_sdp_get_codec_name(sdp, m->index, pt);
		const char *rtpmap = name ? janus_sdp_get_codec_rtpmap(name) : NULL;
		if(name == NULL || rtpmap == NULL)
			continue;
		char *mid = g_strdup_printf("%d", m->index);
		stream = oicall_stream_new(mid, kind, FALSE);
		stream->cname = g_strdup("oicall");
		g_free(mid);
		/* What it may receive as well, and may send instead (RED of it). */
		stream->red_pt = stream->red_sent_pt = red_for(m, pt);
		/* The first codec is the one in use; its RTX, if any. */
		oicall_codec *codec = g_new0(oicall_codec, 1);
		codec->mime = g_strdup_printf("%s/%s", kind == OICALL_KIND_AUDIO ? "audio" : "video", name);
		codec->pt = pt;
		const char *rate = strchr(rtpmap, '/');
		codec->clock_rate = rate ? atoi(rate + 1) : 0;
		const char *channels = rate ? strchr(rate + 1, '/') : NULL;
		codec->channels = channels ? atoi(channels + 1) : 0;
		const char *fmtp = janus_sdp_get_fmtp(sdp, m->index, pt);
		codec->parameters = fmtp ? fmtp_parameters(fmtp) : json_object();
		codec->feedback = json_array();
		codec->rtx_pt = -1;
		for(GList *p = m->ptypes; p != NULL; p = p->next) {
			if(rtx_apt(m, GPOINTER_TO_INT(p->data)) == pt)
				codec->rtx_pt = GPOINTER_TO_INT(p->data);
		}
		g_ptr_array_add(stream->codecs, codec);
		*mindex = m->index;
	}
	janus_sdp_destroy(sdp);
	return stream;
}

static janus_sdp_mline *group_mline(janus_sdp_mline *like, const oicall_jsep_line *line) {
	janus_sdp_mline *m = janus_sdp_mline_create(line->kind == OICALL_KIND_AUDIO ? JANUS_SDP_AUDIO : JANUS_SDP_VIDEO, 9,
		"UDP/TLS/RTP/SAVPF", line->active ? JANUS_SDP_SENDONLY : JANUS_SDP_INACTIVE);
	m->c_ipv4 = TRUE;
	m->c_addr = g_strdup("0.0.0.0");
	const oicall_codec *c = line->codec;
	if(line->red_pt >= 0)
		m->ptypes = g_list_append(m->ptypes, GINT_TO_POINTER(line->red_pt));
	m->ptypes = g_list_append(m->ptypes, GINT_TO_POINTER(c->pt));
	janus_sdp_attribute_add_to_mline(m, janus_sdp_attribute_create("mid", "%s", line->mid));
	janus_sdp_attribute_add_to_mline(m, janus_sdp_attribute_create("rtcp-mux", NULL));
	if(line->red_pt >= 0) {
		janus_sdp_attribute_add_to_mline(m, janus_sdp_attribute_create("rtpmap", "%d red/48000/2", line->red_pt));
		janus_sdp_attribute_add_to_mline(m, janus_sdp_attribute_create("fmtp", "%d %d/%d", line->red_pt, c->pt, c->pt));
	}
	char *rtpmap = oicall_codec_rtpmap(c), *fmtp = oicall_codec_fmtp(c);
	janus_sdp_attribute_add_to_mline(m, janus_sdp_attribute_create("rtpmap", "%s", rtpmap));
	if(fmtp != NULL)
		janus_sdp_attribute_add_to_mline(m, janus_sdp_attribute_create("fmtp", "%s", fmtp));
	g_free(rtpmap);
	g_free(fmtp);
	/* Keyframe requests and NACKs, as the gateway offers them on every video m-line. */
	static const char *const video_feedback[] = { "nack", "nack pli", "ccm fir", "goog-remb", "transport-cc" };
	for(gsize i = 0; i < G_N_ELEMENTS(video_feedback); i++) {
		if(line->kind == OICALL_KIND_VIDEO || strcmp(video_feedback[i], "transport-cc") == 0)
			janus_sdp_attribute_add_to_mline(m, janus_sdp_attribute_create("rtcp-fb", "%d %s", c->pt, video_feedback[i]));
	}
	for(GList *a = like ? like->attributes : NULL; a != NULL; a = a->next) {
		janus_sdp_attribute *attr = a->data;
		if(attr->name != NULL && strcmp(attr->name, "extmap") == 0)
			janus_sdp_attribute_add_to_mline(m, janus_sdp_attribute_create("extmap", "%s", attr->value));
	}
	return m;
}

char *oicall_jsep_group_offer(const char *base, guint64 version, const oicall_jsep_line *lines, int count,
		char **error) {
	janus_sdp *sdp = parse(base, "SDP", error);
	if(sdp == NULL)
		return NULL;
	if(g_list_length(sdp->m_lines) + count > OICALL_MAX_GROUP_MLINES) {
		*error = g_strdup_printf("A PeerConnection takes at most %d m-lines", OICALL_MAX_GROUP_MLINES);
		janus_sdp_destroy(sdp);
		return NULL;
	}
	sdp->o_version = version;
	int index = g_list_length(sdp->m_lines);
	for(int i = 0; i < count; i++) {
		janus_sdp_mline *like = janus_sdp_mline_find(sdp, lines[i].kind == OICALL_KIND_AUDIO ? JANUS_SDP_AUDIO : JANUS_SDP_VIDEO);
		janus_sdp_mline *m = group_mline(like, &lines[i]);
		m->index = index++;
		sdp->m_lines = g_list_append(sdp->m_lines, m);
	}
	/* The new m-lines share the bundle. */
	for(GList *a = sdp->attributes; a != NULL; a = a->next) {
		janus_sdp_attribute *attr = a->data;
		if(attr->name == NULL || strcmp(attr->name, "group") != 0 || !g_str_has_prefix(attr->value, "BUNDLE"))
			continue;
		GString *bundle = g_string_new(attr->value);
		for(int i = 0; i < count; i++)
			g_string_append_printf(bundle, " %s", lines[i].mid);
		g_free(attr->value);
		attr->value = g_string_free(bundle, FALSE);
	}
	char *text = janus_sdp_write(sdp);
	janus_sdp_destroy(sdp);
	return text;
}

