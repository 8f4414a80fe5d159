/*
 * A decoder for HTTP/1.1 chunked request bodies (RFC 9112 section 7.1),
 * pure and incremental: feed it the raw bytes as they arrive, it appends
 * the decoded data to a buffer and says when the last chunk and the
 * trailer section have been read. libwebsockets 4.1 hands a chunked body
 * to its user undecoded and never ends it, so the transport decodes it.
 */
#ifndef SIO_HTTP_CHUNKED_H
#define SIO_HTTP_CHUNKED_H

#include <glib.h>

typedef enum http_chunked_state {
	HTTP_CHUNK_SIZE,            /* hex digits of a chunk size */
	HTTP_CHUNK_EXT,             /* ";name=value" after the size, ignored */
	HTTP_CHUNK_SIZE_LF,         /* the LF ending the size line */
	HTTP_CHUNK_DATA,
	HTTP_CHUNK_DATA_CR,         /* the CRLF after a chunk's data */
	HTTP_CHUNK_DATA_LF,
	HTTP_CHUNK_TRAILER,         /* a trailer field line, ignored */
	HTTP_CHUNK_TRAILER_START,   /* start of a trailer line: CRLF ends the body */
	HTTP_CHUNK_TRAILER_LF,
	HTTP_CHUNK_END_LF,          /* the LF of the empty line ending the body */
	HTTP_CHUNK_DONE,
	HTTP_CHUNK_ERROR,
} http_chunked_state;

typedef struct http_chunked {
	http_chunked_state state;
	guint64 remaining;          /* data bytes left in the current chunk */
	guint size_digits;
	gsize line_length;          /* bytes of the current extension or trailer line */
} http_chunked;

typedef enum http_chunked_result {
	HTTP_CHUNKED_MORE,          /* everything consumed, the body goes on */
	HTTP_CHUNKED_DONE,          /* the body ended; *used says where */
	HTTP_CHUNKED_ERROR,         /* not chunked framing */
	HTTP_CHUNKED_TOO_LARGE,     /* the data went over the limit */
} http_chunked_result;

void http_chunked_init(http_chunked *decoder);

/* Decodes len bytes, appending the data to out as long as out stays within
 * limit bytes. *used: bytes of in consumed (up to the end of the body). */
http_chunked_result http_chunked_feed(http_chunked *decoder, const guint8 *in, gsize len,
	GByteArray *out, gsize limit, gsize *used);

#endif
