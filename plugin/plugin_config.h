/* janus.plugin.oicall's options (conf/janus.plugin.oicall.jcfg.sample documents them). */
#ifndef OICALL_PLUGIN_CONFIG_H
#define OICALL_PLUGIN_CONFIG_H

#include "../common/settings.h"

typedef struct oicall_plugin_config {
	guint64 ring_timeout;       /* seconds an unanswered call rings */
	guint64 reconnect_grace;    /* seconds a call survives its peer's session */
	guint64 media_timeout;      /* seconds an active call survives a side that sends nothing, 0 = never */
	guint64 max_participants;   /* peers a call may hold, the caller included */
	guint64 max_outgoing_rings; /* invitations of one user ringing at once, 0 = no limit */
	guint64 max_call_starts;    /* start-calls a user may make a minute, 0 = no limit */
	guint64 max_unanswered;     /* unanswered calls to one callee before more are refused, 0 = no limit */
	guint64 unanswered_window;  /* seconds those are counted over */
	char *audio_codecs;         /* comma-separated, preference order */
	char *video_codecs;
	guint64 max_bitrate;        /* REMB cap in bit/s, 0 = no cap */
	guint64 loss_playout_delay; /* ms of playout delay at least for video receivers on a lossy path, 0 = none */
	gboolean events;            /* notify Janus event handlers */
	char *auth_mode;            /* "true", "false", "auto" (on when a secret is set): register needs a signed token */
	char *auth_secret;          /* shared with the backend that mints tokens; never logged */
	char *turn_secret;          /* coturn's static-auth-secret: iceServers credentials; never logged */
	char *turn_urls;            /* comma-separated turn:/turns: URLs handed out with them */
	guint64 turn_lifetime;      /* seconds the handed-out credentials are valid */
	char *cluster_redis;        /* "HOST:PORT" of the cluster's Redis, "" = no cluster (docs/cluster.md) */
	char *cluster_sentinels;    /* or "HOST:PORT,..." of the Sentinels that watch its master (not both) */
	char *cluster_sentinel_master; /* the name the Sentinels know that master by */
	char *cluster_instance_id;  /* this instance's id in the cluster, "" = host name and process id */
	char *cluster_media_address; /* the address this instance's media is reached at, for the others */
} oicall_plugin_config;

extern const oicall_setting_spec oicall_plugin_settings[];
extern const size_t oicall_plugin_settings_count;

#endif
