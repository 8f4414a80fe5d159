#include "transport_config.h"

#include <string.h>

#include "../common/auth_token.h"
#include "http_util.h"

static gboolean path_valid(const char *value, const char **why) {
	gsize len = strlen(value);
	gboolean ok = len >= 2 && len <= 128 && value[0] == '/' && value[len - 1] != '/';
	for(gsize i = 0; ok && i < len; i++)
		ok = g_ascii_isalnum(value[i]) || strchr("/-_.~", value[i]) != NULL;
	if(!ok)
		*why = "is not a path like /calls (letters, digits, / - _ . ~; no trailing /)";
	return ok;
}

static gboolean plugin_valid(const char *value, const char **why) {
	gboolean ok = g_str_has_prefix(value, "janus.plugin.") && strlen(value) < 64;
	if(!ok)
		*why = "is not a Janus plugin package name";
	return ok;
}

static gboolean tls_version_valid(const char *value, const char **why) {
	gboolean ok = strcmp(value, "1.2") == 0 || strcmp(value, "1.3") == 0;
	if(!ok)
		*why = "is not \"1.2\" or \"1.3\"";
	return ok;
}

static gboolean ciphers_valid(const char *value, const char **why) {
	gboolean ok = *value != '\0' && strlen(value) < 1024;
	for(const char *c = value; ok && *c; c++)
		ok = g_ascii_isalnum(*c) || strchr(":-_+!@=,", *c) != NULL;
	if(!ok)
		*why = "is not an OpenSSL cipher list";
	return ok;
}

char *sio_transport_config_clash(const sio_transport_config *c) {
	if(!c->metrics)
		return NULL;
	if(strcmp(c->metrics_path, c->health_path) == 0)
		return g_strdup("metrics.path and metrics.health_path are the same path");
	if(c->metrics_port == 0 && (sio_path_is_endpoint(c->path, c->metrics_path) || sio_path_is_endpoint(c->path, c->health_path)))
		return g_strdup_printf("metrics.path and metrics.health_path must differ from general.path (%s)", c->path);
	if(c->metrics_port == 0 && c->metrics_interface[0] != '\0')
		return g_strdup("metrics.interface needs metrics.port (0 serves metrics on the Socket.IO port and address)");
	if(c->metrics_port == c->port)
		return g_strdup("metrics.port is general.port: set metrics.port = 0 to serve metrics on the Socket.IO port");
	return NULL;
}

/* Forward secrecy and AEAD only: ECDHE with AES-GCM or ChaCha20-Poly1305. */
#define MODERN_TLS12_CIPHERS "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:" \
	"ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:" \
	"ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305"

#define OPT(cat, name, type, def, min, max, field, check, secret) \
	{ cat, name, type, def, min, max, offsetof(sio_transport_config, field), check, secret }

const oicall_setting_spec sio_transport_settings[] = {
	OPT("general", "enabled", OICALL_SETTING_BOOL, "true", 0, 0, enabled, NULL, FALSE),
	OPT("general", "port", OICALL_SETTING_UINT, "8501", 1, 65535, port, NULL, FALSE),
	OPT("general", "path", OICALL_SETTING_STRING, "/calls", 0, 0, path, path_valid, FALSE),
	OPT("general", "interface", OICALL_SETTING_STRING, "", 0, 0, interface, NULL, FALSE),
	OPT("general", "plugin", OICALL_SETTING_STRING, "janus.plugin.oicall", 0, 0, plugin, plugin_valid, FALSE),
	OPT("general", "demo_folder", OICALL_SETTING_STRING, "", 0, 0, demo_folder, NULL, FALSE),
	OPT("tls", "enabled", OICALL_SETTING_BOOL, "false", 0, 0, tls, NULL, FALSE),
	OPT("tls", "cert_pem", OICALL_SETTING_STRING, "", 0, 0, cert_pem, NULL, FALSE),
	OPT("tls", "cert_key", OICALL_SETTING_STRING, "", 0, 0, cert_key, NULL, FALSE),
	OPT("tls", "cert_pwd", OICALL_SETTING_STRING, "", 0, 0, cert_pwd, NULL, TRUE),
	OPT("tls", "min_version", OICALL_SETTING_STRING, "1.2", 0, 0, tls_min_version, tls_version_valid, FALSE),
	OPT("tls", "ciphers", OICALL_SETTING_STRING, MODERN_TLS12_CIPHERS, 0, 0, tls_ciphers, ciphers_valid, FALSE),
	OPT("cors", "allow_origins", OICALL_SETTING_STRING, "*", 0, 0, allow_origins, NULL, FALSE),
	OPT("engineio", "ping_interval", OICALL_SETTING_UINT, "25000", 100, 600000, ping_interval, NULL, FALSE),
	OPT("engineio", "ping_timeout", OICALL_SETTING_UINT, "20000", 100, 600000, ping_timeout, NULL, FALSE),
	OPT("engineio", "max_payload", OICALL_SETTING_UINT, "1000000", 1024, 100000000, max_payload, NULL, FALSE),
	OPT("limits", "max_connections", OICALL_SETTING_UINT, "0", 0, 1000000, max_connections, NULL, FALSE),
	OPT("limits", "max_per_address", OICALL_SETTING_UINT, "50", 0, 1000000, max_per_address, NULL, FALSE),
	OPT("limits", "trusted_proxies", OICALL_SETTING_STRING, "", 0, 0, trusted_proxies, NULL, FALSE),
	OPT("limits", "connect_timeout", OICALL_SETTING_UINT, "45000", 100, 600000, connect_timeout, NULL, FALSE),
	OPT("limits", "events_per_second", OICALL_SETTING_UINT, "50", 0, 100000, events_per_second, NULL, FALSE),
	OPT("auth", "enabled", OICALL_SETTING_STRING, "auto", 0, 0, auth_mode, oicall_auth_mode_valid, FALSE),
	OPT("auth", "secret", OICALL_SETTING_STRING, "", 0, 0, auth_secret, oicall_auth_secret_valid, TRUE),
	OPT("metrics", "enabled", OICALL_SETTING_BOOL, "true", 0, 0, metrics, NULL, FALSE),
	OPT("metrics", "path", OICALL_SETTING_STRING, "/metrics", 0, 0, metrics_path, path_valid, FALSE),
	OPT("metrics", "health_path", OICALL_SETTING_STRING, "/healthz", 0, 0, health_path, path_valid, FALSE),
	OPT("metrics", "port", OICALL_SETTING_UINT, "0", 0, 65535, metrics_port, NULL, FALSE),
	OPT("metrics", "interface", OICALL_SETTING_STRING, "", 0, 0, metrics_interface, NULL, FALSE),
	/* libwebsockets gives a request 5 s to be answered. */
	OPT("metrics", "plugin_timeout", OICALL_SETTING_UINT, "2000", 100, 4000, plugin_timeout, NULL, FALSE),
	OPT("metrics", "drain_time", OICALL_SETTING_UINT, "0", 0, 60000, drain_time, NULL, FALSE),
};
const size_t sio_transport_settings_count = G_N_ELEMENTS(sio_transport_settings);
