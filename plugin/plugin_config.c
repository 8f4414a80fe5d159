#include "plugin_config.h"

#include <string.h>

#include "../common/auth_token.h"
#include "call_engine.h"
#include "cluster.h"
#include "cluster_sentinel.h"
#include "ice_servers.h"

/* A comma-separated list of names, each from the allowed set, no repeats. */
static gboolean codec_list_valid(const char *value, const char *const *allowed, const char **why) {
	char **names = g_strsplit(value, ",", -1);
	gboolean ok = names[0] != NULL;
	for(guint i = 0; ok && names[i] != NULL; i++) {
		g_strstrip(names[i]);
		gboolean known = FALSE;
		for(guint a = 0; allowed[a] != NULL; a++)
			known = known || g_ascii_strcasecmp(names[i], allowed[a]) == 0;
		for(guint j = 0; known && j < i; j++)
			known = g_ascii_strcasecmp(names[i], names[j]) != 0;
		ok = known;
	}
	g_strfreev(names);
	if(!ok)
		*why = "is not a list of supported codecs without repeats";
	return ok;
}

static gboolean audio_codecs_valid(const char *value, const char **why) {
	static const char *const allowed[] = { "opus", NULL };
	return codec_list_valid(value, allowed, why);
}

static gboolean video_codecs_valid(const char *value, const char **why) {
	static const char *const allowed[] = { "vp8", "vp9", "h264", NULL };
	return codec_list_valid(value, allowed, why);
}

#define OPT(cat, name, type, def, min, max, field, check) \
	{ cat, name, type, def, min, max, offsetof(oicall_plugin_config, field), check, FALSE }
#define SECRET(cat, name, field, check) \
	{ cat, name, OICALL_SETTING_STRING, "", 0, 0, offsetof(oicall_plugin_config, field), check, TRUE }

const oicall_setting_spec oicall_plugin_settings[] = {
	OPT("general", "ring_timeout", OICALL_SETTING_UINT, "60", 1, 3600, ring_timeout, NULL),
	OPT("general", "reconnect_grace", OICALL_SETTING_UINT, "15", 0, 3600, reconnect_grace, NULL),
	OPT("general", "media_timeout", OICALL_SETTING_UINT, "20", 0, 3600, media_timeout, NULL),
	OPT("general", "max_participants", OICALL_SETTING_UINT, G_STRINGIFY(OICALL_DEFAULT_MAX_PEERS), 2, OICALL_MAX_PEERS,
		max_participants, NULL),
	OPT("general", "max_outgoing_rings", OICALL_SETTING_UINT, "10", 0, OICALL_MAX_PEERS - 1, max_outgoing_rings, NULL),
	OPT("general", "max_call_starts_per_minute", OICALL_SETTING_UINT, "30", 0, 100000, max_call_starts, NULL),
	OPT("general", "max_unanswered_calls", OICALL_SETTING_UINT, "3", 0, 1000, max_unanswered, NULL),
	OPT("general", "unanswered_window", OICALL_SETTING_UINT, "600", 1, 86400, unanswered_window, NULL),
	OPT("general", "audio_codecs", OICALL_SETTING_STRING, "opus", 0, 0, audio_codecs, audio_codecs_valid),
	OPT("general", "video_codecs", OICALL_SETTING_STRING, "vp8,vp9,h264", 0, 0, video_codecs, video_codecs_valid),
	OPT("general", "max_bitrate", OICALL_SETTING_UINT, "0", 0, 100000000, max_bitrate, NULL),
	OPT("general", "loss_playout_delay", OICALL_SETTING_UINT, "200", 0, 1000, loss_playout_delay, NULL),
	OPT("general", "events", OICALL_SETTING_BOOL, "true", 0, 0, events, NULL),
	OPT("auth", "enabled", OICALL_SETTING_STRING, "auto", 0, 0, auth_mode, oicall_auth_mode_valid),
	SECRET("auth", "secret", auth_secret, oicall_auth_secret_valid),
	SECRET("turn", "secret", turn_secret, oicall_auth_secret_valid),
	OPT("turn", "urls", OICALL_SETTING_STRING, "", 0, 0, turn_urls, oicall_turn_urls_valid),
	OPT("turn", "lifetime", OICALL_SETTING_UINT, "86400", 60, 604800, turn_lifetime, NULL),
	OPT("cluster", "redis", OICALL_SETTING_STRING, "", 0, 0, cluster_redis, oicall_cluster_redis_valid),
	OPT("cluster", "sentinels", OICALL_SETTING_STRING, "", 0, 0, cluster_sentinels, oicall_cluster_sentinels_valid),
	OPT("cluster", "sentinel_master", OICALL_SETTING_STRING, "", 0, 0, cluster_sentinel_master, oicall_cluster_name_valid),
	OPT("cluster", "instance_id", OICALL_SETTING_STRING, "", 0, 0, cluster_instance_id, oicall_cluster_name_valid),
	OPT("cluster", "media_address", OICALL_SETTING_STRING, "", 0, 0, cluster_media_address, NULL),
};
const size_t oicall_plugin_settings_count = G_N_ELEMENTS(oicall_plugin_settings);
