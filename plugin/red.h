/*
 * Opus RED (RFC 2198) in RTP packets, for receivers that did not negotiate
 * it: a browser that negotiated RED sends nothing else, each packet carrying
 * earlier packets' audio (redundant blocks) before its own (the primary
 * block). Unwrapping keeps the RTP header and the primary block only, which
 * is the plain packet the sender would have sent. Every length in the packet
 * is checked: a malformed one is refused, never read past. Pure: no Janus.
 */
#ifndef OICALL_RED_H
#define OICALL_RED_H

#include <glib.h>

/* A payload-type map's value (oicall_forward.pt_map) for a RED payload type
 * the target did not negotiate (or with other payload types): the packet goes
 * unwrapped, with the map's payload type for its primary block's. */
#define OICALL_PT_UNWRAP_RED 128

/* The primary block of a RED payload (the RTP payload, padding excluded):
 * its payload type, and where it is in payload. FALSE when the block headers
 * don't fit, their lengths run past the end, or the primary is empty. */
gboolean oicall_red_primary(const guint8 *payload, gsize len, int *pt, gsize *offset, gsize *length);

/* The RTP packet (len bytes) with only its RED primary block, written to out
 * (room for len bytes): the same header, CSRCs and header extension, no
 * padding, payload type unchanged (the caller sets its own). Returns its
 * length, and the primary block's payload type in *pt; 0 when the packet is
 * not a valid RTP packet with a valid RED payload. */
gsize oicall_red_unwrap(const guint8 *packet, gsize len, guint8 *out, int *pt);

#endif
