#include "red.h"

#include <string.h>

#define RTP_FIXED_HEADER 12

gboolean oicall_red_primary(const guint8 *payload, gsize len, int *pt, gsize *offset, gsize *length) {
	/* Block headers: 4 bytes each with the F bit set (payload type, timestamp
	 * offset, block length), then 1 byte for the primary (its payload type). */
	gsize pos = 0, redundant = 0;
	for(;;) {
		if(pos >= len)
			return FALSE;
		if((payload[pos] & 0x80) == 0)
			break;
		if(len - pos < 4)
			return FALSE;
		redundant += ((gsize)(payload[pos + 2] & 0x03) << 8) | payload[pos + 3];
		pos += 4;
	}
	*pt = payload[pos] & 0x7f;
	pos++;
	/* The redundant blocks come first, in the headers' order; the primary is the rest. */
	if(redundant >= len - pos)
		return FALSE;
	*offset = pos + redundant;
	*length = len - *offset;
	return TRUE;
}

gsize oicall_red_unwrap(const guint8 *packet, gsize len, guint8 *out, int *pt) {
	if(len < RTP_FIXED_HEADER || (packet[0] >> 6) != 2)
		return 0;
	gsize header = RTP_FIXED_HEADER + 4 * (gsize)(packet[0] & 0x0f);
	if(header > len)
		return 0;
	if(packet[0] & 0x10) {
		if(len - header < 4)
			return 0;
		gsize words = ((gsize)packet[header + 2] << 8) | packet[header + 3];
		if(len - header - 4 < 4 * words)
			return 0;
		header += 4 + 4 * words;
	}
	gsize end = len;
	if(packet[0] & 0x20) {
		/* Padding: its length is in its last byte, which counts itself. */
		gsize padding = packet[len - 1];
		if(padding == 0 || padding > len - header)
			return 0;
		end -= padding;
	}
	gsize offset = 0, length = 0;
	if(!oicall_red_primary(packet + header, end - header, pt, &offset, &length))
		return 0;
	memcpy(out, packet, header);
	out[0] &= ~0x20;
	memcpy(out + header, packet + header + offset, length);
	return header + length;
}
