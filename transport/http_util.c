#include "http_util.h"

#include <string.h>

gboolean sio_origin_allowed(const char *allowed, const char *origin) {
	if(origin == NULL || *origin == '\0')
		return TRUE;
	gboolean ok = FALSE;
	char **entries = g_strsplit(allowed, ",", -1);
	for(guint i = 0; !ok && entries[i] != NULL; i++) {
		const char *entry = g_strstrip(entries[i]);
		ok = strcmp(entry, "*") == 0 || g_ascii_strcasecmp(entry, origin) == 0;
	}
	g_strfreev(entries);
	return ok;
}

gboolean sio_header_names_safe(const char *list) {
	gboolean names = FALSE;
	for(const char *c = list; c != NULL && *c != '\0'; c++) {
		if(g_ascii_isalnum(*c) || strchr("!#$%&'*+-.^_`|~", *c) != NULL)
			names = TRUE;
		else if(*c != ',' && *c != ' ')
			return FALSE;
	}
	return names;
}

gboolean sio_path_is_endpoint(const char *endpoint, const char *path) {
	gsize len = strlen(endpoint);
	return strncmp(path, endpoint, len) == 0 && (path[len] == '\0' || (path[len] == '/' && path[len + 1] == '\0'));
}

char *sio_static_file(const char *folder, const char *path) {
	if(path[0] != '/' || strlen(path) > 200)
		return NULL;
	if(strcmp(path, "/") == 0)
		path = "/index.html";
	for(const char *c = path; *c; c++) {
		if(!g_ascii_isalnum(*c) && strchr("/._-", *c) == NULL)
			return NULL;
	}
	/* No dot segments and no hidden files: every segment starts with a letter or digit. */
	for(const char *c = path; *c; c++) {
		if(*c == '/' && !g_ascii_isalnum(c[1]))
			return NULL;
	}
	return g_strconcat(folder, path, NULL);
}

const char *sio_mime_type(const char *file) {
	static const struct { const char *ext, *type; } types[] = {
		{ ".html", "text/html; charset=utf-8" },
		{ ".js", "text/javascript; charset=utf-8" },
		{ ".mjs", "text/javascript; charset=utf-8" },
		{ ".css", "text/css; charset=utf-8" },
		{ ".json", "application/json" },
		{ ".png", "image/png" },
		{ ".svg", "image/svg+xml" },
		{ ".ico", "image/x-icon" },
	};
	for(gsize i = 0; i < G_N_ELEMENTS(types); i++) {
		if(g_str_has_suffix(file, types[i].ext))
			return types[i].type;
	}
	return "application/octet-stream";
}

char *sio_eio_error_body(sio_eio_error code, unsigned int *status) {
	static const char *const messages[] = {
		"Transport unknown", "Session ID unknown", "Bad handshake method", "Bad request", "Forbidden",
		"Unsupported protocol version",
	};
	*status = code == SIO_EIO_FORBIDDEN ? 403 : 400;
	return g_strdup_printf("{\"code\":%d,\"message\":\"%s\"}", (int)code, messages[code]);
}
