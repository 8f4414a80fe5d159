#include "http_util.h"

#include <stdlib.h>
#include <string.h>

/* Whether a comma-separated list (a header value, the allowed origins) has token (case-insensitive). */
static gboolean list_has_token(const char *list, const char *token) {
	gboolean found = FALSE;
	char **items = g_strsplit(list, ",", -1);
	for(guint i = 0; !found && items[i] != NULL; i++)
		found = g_ascii_strcasecmp(g_strstrip(items[i]), token) == 0;
	g_strfreev(items);
	return found;
}

gboolean sio_origin_allowed(const char *allowed, const char *origin) {
	if(origin == NULL || *origin == '\0')
		return TRUE;
	return list_has_token(allowed, "*") || list_has_token(allowed, origin);
}

gboolean sio_origin_listed(const char *allowed, const char *origin) {
	return origin != NULL && *origin != '\0' && strcmp(origin, "*") != 0 && list_has_token(allowed, origin);
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

gboolean sio_file_inside(const char *folder, const char *file) {
	char *root = realpath(folder, NULL), *real = realpath(file, NULL);
	gsize len = root != NULL ? strlen(root) : 0;
	gboolean inside = root != NULL && real != NULL && strncmp(real, root, len) == 0 && real[len] == '/' &&
		g_file_test(real, G_FILE_TEST_IS_REGULAR);
	free(root);
	free(real);
	return inside;
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

gboolean sio_http_keep_alive(const char *version, const char *connection) {
	if(connection != NULL && list_has_token(connection, "close"))
		return FALSE;
	if(version != NULL && g_ascii_strcasecmp(version, "HTTP/1.1") == 0)
		return TRUE;
	/* HTTP/1.0 (or anything older): only when asked for. */
	return connection != NULL && list_has_token(connection, "keep-alive");
}

gboolean sio_transfer_encoding_chunked(const char *value) {
	char *copy = g_strdup(value);
	gboolean chunked = g_ascii_strcasecmp(g_strstrip(copy), "chunked") == 0;
	g_free(copy);
	return chunked;
}

const char *sio_eio_error_message(sio_eio_error code) {
	static const char *const messages[] = {
		"Transport unknown", "Session ID unknown", "Bad handshake method", "Bad request", "Forbidden",
		"Unsupported protocol version",
	};
	return messages[code];
}

char *sio_eio_error_body(sio_eio_error code, unsigned int *status) {
	*status = code == SIO_EIO_FORBIDDEN ? 403 : 400;
	return g_strdup_printf("{\"code\":%d,\"message\":\"%s\"}", (int)code, sio_eio_error_message(code));
}
