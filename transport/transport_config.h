/* janus.transport.socketio's options (conf/janus.transport.socketio.jcfg.sample documents them). */
#ifndef OICALL_TRANSPORT_CONFIG_H
#define OICALL_TRANSPORT_CONFIG_H

#include "../common/settings.h"

typedef struct sio_transport_config {
	gboolean enabled;
	guint64 port;
	char *path;                 /* Engine.IO endpoint, e.g. "/calls" */
	char *interface;            /* bind address or interface name, "" = all */
	char *plugin;               /* Janus plugin every socket attaches to */
	char *demo_folder;          /* static files served at "/", "" = none */
	gboolean tls;
	char *cert_pem;
	char *cert_key;
	char *cert_pwd;
	char *tls_min_version;      /* "1.2" or "1.3" */
	char *tls_ciphers;          /* OpenSSL cipher list for TLS 1.2 */
	char *allow_origins;        /* comma-separated, "*" = any */
	guint64 ping_interval;      /* ms */
	guint64 ping_timeout;       /* ms */
	guint64 max_payload;        /* bytes per HTTP body or WebSocket message */
	guint64 max_connections;    /* Engine.IO sessions in all; 0 = derived from RLIMIT_NOFILE */
	guint64 max_per_address;    /* Engine.IO sessions per client address; 0 = no limit */
	char *trusted_proxies;      /* comma-separated proxies whose X-Forwarded-For is believed */
	guint64 connect_timeout;    /* ms an Engine.IO session has to send Socket.IO CONNECT */
	guint64 events_per_second;  /* events a socket may send on average; 0 = no limit */
	char *auth_mode;            /* "true", "false", "auto" (on when a secret is set): CONNECT needs a signed token */
	char *auth_secret;          /* HMAC-SHA256 key shared with the backend (never logged) */
	gboolean metrics;           /* serve /metrics and /healthz */
	char *metrics_path;         /* Prometheus text format */
	char *health_path;          /* 200 or 503 for load balancers */
	guint64 metrics_port;       /* 0: on the Socket.IO port; else a plain HTTP listener of their own */
	char *metrics_interface;    /* that listener's bind address or interface, "" = all */
	guint64 plugin_timeout;     /* ms to wait for the plugin's figures */
	guint64 drain_time;         /* ms Janus goes on after it was told to stop, /healthz failing */
} sio_transport_config;

/* Settings that are each fine but clash (metrics paths or port against
 * Socket.IO's): NULL if none, else why (free it); the transport then refuses to start. */
char *sio_transport_config_clash(const sio_transport_config *config);

extern const oicall_setting_spec sio_transport_settings[];
extern const size_t sio_transport_settings_count;

#endif
