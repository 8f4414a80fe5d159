#include "http_chunked.h"

/* Longest chunk-size, extension or trailer line we put up with. */
#define MAX_SIZE_DIGITS 15
#define MAX_LINE 4096

void http_chunked_init(http_chunked *decoder) {
	decoder->state = HTTP_CHUNK_SIZE;
	decoder->remaining = 0;
	decoder->size_digits = 0;
	decoder->line_length = 0;
}

static int hex_value(guint8 c) {
	return g_ascii_isxdigit(c) ? g_ascii_xdigit_value((gchar)c) : -1;
}

/* One byte of framing; returns the next state. */
static http_chunked_state step(http_chunked *d, guint8 c) {
	switch(d->state) {
		case HTTP_CHUNK_SIZE: {
			int v = hex_value(c);
			if(v >= 0) {
				if(++d->size_digits > MAX_SIZE_DIGITS)
					return HTTP_CHUNK_ERROR;
				d->remaining = d->remaining * 16 + (guint64)v;
				return HTTP_CHUNK_SIZE;
			}
			if(d->size_digits == 0)
				return HTTP_CHUNK_ERROR;
			if(c == ';' || c == ' ' || c == '\t') {
				d->line_length = 0;
				return HTTP_CHUNK_EXT;
			}
			return c == '\r' ? HTTP_CHUNK_SIZE_LF : HTTP_CHUNK_ERROR;
		}
		case HTTP_CHUNK_EXT:
			if(c == '\r')
				return HTTP_CHUNK_SIZE_LF;
			return ++d->line_length > MAX_LINE || c == '\n' ? HTTP_CHUNK_ERROR : HTTP_CHUNK_EXT;
		case HTTP_CHUNK_SIZE_LF:
			if(c != '\n')
				return HTTP_CHUNK_ERROR;
			return d->remaining > 0 ? HTTP_CHUNK_DATA : HTTP_CHUNK_TRAILER_START;
		case HTTP_CHUNK_DATA_CR:
			return c == '\r' ? HTTP_CHUNK_DATA_LF : HTTP_CHUNK_ERROR;
		case HTTP_CHUNK_DATA_LF:
			if(c != '\n')
				return HTTP_CHUNK_ERROR;
			d->size_digits = 0;
			return HTTP_CHUNK_SIZE;
		case HTTP_CHUNK_TRAILER_START:
			if(c == '\r')
				return HTTP_CHUNK_END_LF;
			d->line_length = 1;
			return c == '\n' ? HTTP_CHUNK_ERROR : HTTP_CHUNK_TRAILER;
		case HTTP_CHUNK_TRAILER:
			if(c == '\r')
				return HTTP_CHUNK_TRAILER_LF;
			return ++d->line_length > MAX_LINE || c == '\n' ? HTTP_CHUNK_ERROR : HTTP_CHUNK_TRAILER;
		case HTTP_CHUNK_TRAILER_LF:
			return c == '\n' ? HTTP_CHUNK_TRAILER_START : HTTP_CHUNK_ERROR;
		case HTTP_CHUNK_END_LF:
			return c == '\n' ? HTTP_CHUNK_DONE : HTTP_CHUNK_ERROR;
		case HTTP_CHUNK_DATA:
		case HTTP_CHUNK_DONE:
		case HTTP_CHUNK_ERROR:
			break;
	}
	return HTTP_CHUNK_ERROR;
}

http_chunked_result http_chunked_feed(http_chunked *d, const guint8 *in, gsize len,
		GByteArray *out, gsize limit, gsize *used) {
	gsize i = 0;
	gboolean too_large = FALSE;
	while(i < len && d->state != HTTP_CHUNK_DONE && d->state != HTTP_CHUNK_ERROR) {
		if(d->state == HTTP_CHUNK_DATA) {
			gsize n = (gsize)MIN(d->remaining, (guint64)(len - i));
			if(out->len + n > limit) {
				d->state = HTTP_CHUNK_ERROR;
				too_large = TRUE;
				break;
			}
			g_byte_array_append(out, in + i, (guint)n);
			i += n;
			d->remaining -= n;
			if(d->remaining == 0)
				d->state = HTTP_CHUNK_DATA_CR;
			continue;
		}
		d->state = step(d, in[i++]);
	}
	*used = i;
	if(d->state == HTTP_CHUNK_ERROR)
		return too_large ? HTTP_CHUNKED_TOO_LARGE : HTTP_CHUNKED_ERROR;
	return d->state == HTTP_CHUNK_DONE ? HTTP_CHUNKED_DONE : HTTP_CHUNKED_MORE;
}
