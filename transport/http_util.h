/* Small pure helpers for the HTTP side of the Socket.IO server. */
#ifndef SIO_HTTP_UTIL_H
#define SIO_HTTP_UTIL_H

#include <glib.h>

/* Whether a browser Origin may connect, given the comma-separated allowed
 * list ("*" = any). A request without Origin (not a browser) is allowed. */
gboolean sio_origin_allowed(const char *allowed, const char *origin);

/* Whether an Origin is named in the allowed list itself (not only by "*"):
 * only those get credentialed CORS answers; "*" answers as "*". */
gboolean sio_origin_listed(const char *allowed, const char *origin);

/* Whether an Access-Control-Request-Headers value is only header names
 * (RFC 9110 tokens) separated by commas and spaces, safe to echo back. */
gboolean sio_header_names_safe(const char *list);

/* Whether an HTTP path is the Engine.IO endpoint ("/calls" or "/calls/"). */
gboolean sio_path_is_endpoint(const char *endpoint, const char *path);

/* The file under folder for a URL path, or NULL when the path is unsafe
 * (dot segments, odd characters) or too long. "/" maps to index.html. */
char *sio_static_file(const char *folder, const char *path);

/* Whether file, with every symlink resolved, is a regular file inside
 * folder (also resolved): a link in the demo folder must not reach out. */
gboolean sio_file_inside(const char *folder, const char *file);

/* A MIME type by file extension, for the demo files. */
const char *sio_mime_type(const char *file);

/* Whether an HTTP/1.x connection stays open after this request's answer
 * (RFC 9112 section 9.3): version is the request line's ("HTTP/1.1"),
 * connection its Connection header's value (NULL when absent). */
gboolean sio_http_keep_alive(const char *version, const char *connection);

/* Whether a Transfer-Encoding value is exactly "chunked", the one coding
 * the server decodes (anything else is answered 501). */
gboolean sio_transfer_encoding_chunked(const char *value);

/* Engine.IO error answers, as the reference server words them. */
typedef enum sio_eio_error {
	SIO_EIO_UNKNOWN_TRANSPORT = 0,
	SIO_EIO_UNKNOWN_SID = 1,
	SIO_EIO_BAD_HANDSHAKE_METHOD = 2,
	SIO_EIO_BAD_REQUEST = 3,
	SIO_EIO_FORBIDDEN = 4,
	SIO_EIO_UNSUPPORTED_PROTOCOL_VERSION = 5,
} sio_eio_error;
/* The reference server's words for an error ("Session ID unknown"). */
const char *sio_eio_error_message(sio_eio_error code);
/* {"code":N,"message":"..."} (g_free) and the HTTP status to send it with. */
char *sio_eio_error_body(sio_eio_error code, unsigned int *status);

#endif
