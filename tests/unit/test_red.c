/* Opus RED (RFC 2198): the primary block of a RED payload, and an RTP packet
 * unwrapped to it; malformed payloads are refused without reading past them. */
#include <string.h>

#include <glib.h>

#include "../../plugin/red.h"

/* A RED payload as Chromium sends it: one redundant block (the previous
 * packet's, 960 samples before) of 3 bytes, then the primary of 4 bytes, both Opus (111). */
static const guint8 red_payload[] = {
	0x80 | 111, 0x0f, 0x00, 0x03,   /* F, pt 111, timestamp offset 960, length 3 */
	111,                            /* primary: pt 111 */
	0xa1, 0xa2, 0xa3,               /* redundant */
	0xb1, 0xb2, 0xb3, 0xb4,         /* primary */
};

/* heap copies, so that valgrind and ASan see any read past the end */
static guint8 *copy(const guint8 *bytes, gsize len) {
	return g_memdup2(bytes, len);
}

static gboolean primary(const guint8 *bytes, gsize len, int *pt, gsize *offset, gsize *length) {
	guint8 *heap = copy(bytes, len);
	gboolean ok = oicall_red_primary(heap, len, pt, offset, length);
	g_free(heap);
	return ok;
}

static void test_primary(void) {
	int pt = -1;
	gsize offset = 0, length = 0;
	g_assert_true(primary(red_payload, sizeof(red_payload), &pt, &offset, &length));
	g_assert_cmpint(pt, ==, 111);
	g_assert_cmpuint(offset, ==, 8);
	g_assert_cmpuint(length, ==, 4);
	/* No redundancy (the first packet of a stream): the primary alone. */
	const guint8 alone[] = { 111, 0xb1, 0xb2 };
	g_assert_true(primary(alone, sizeof(alone), &pt, &offset, &length));
	g_assert_cmpuint(offset, ==, 1);
	g_assert_cmpuint(length, ==, 2);
	/* Two redundant blocks, one of them empty (DTX), and a primary of another payload type. */
	const guint8 two[] = { 0x80 | 111, 0x1e, 0x00, 0x00, 0x80 | 111, 0x0f, 0x00, 0x02, 109, 0xa1, 0xa2, 0xb1 };
	g_assert_true(primary(two, sizeof(two), &pt, &offset, &length));
	g_assert_cmpint(pt, ==, 109);
	g_assert_cmpuint(offset, ==, 11);
	g_assert_cmpuint(length, ==, 1);
	/* The largest block length (10 bits: 1023). */
	gsize big_len = 4 + 1 + 1023 + 1;
	guint8 *big = g_malloc0(big_len);
	big[0] = 0x80 | 111;
	big[2] = 0x03;
	big[3] = 0xff;
	big[4] = 111;
	g_assert_true(primary(big, big_len, &pt, &offset, &length));
	g_assert_cmpuint(offset, ==, 1028);
	g_assert_cmpuint(length, ==, 1);
	g_free(big);
}

static void test_malformed(void) {
	int pt = -1;
	gsize offset = 0, length = 0;
	/* Empty. */
	g_assert_false(oicall_red_primary(red_payload, 0, &pt, &offset, &length));
	/* Every truncation of a valid payload: a header cut short, or the primary gone. */
	for(gsize len = 0; len <= 8; len++)
		g_assert_false(primary(red_payload, len, &pt, &offset, &length));
	/* Headers only, never a primary header (F set to the end). */
	const guint8 no_primary[] = { 0x80 | 111, 0x0f, 0x00, 0x00, 0x80 | 111, 0x0f, 0x00, 0x00 };
	g_assert_false(primary(no_primary, sizeof(no_primary), &pt, &offset, &length));
	/* A block length past the end. */
	const guint8 past[] = { 0x80 | 111, 0x0f, 0x03, 0xff, 111, 0xa1, 0xb1 };
	g_assert_false(primary(past, sizeof(past), &pt, &offset, &length));
	/* Redundant blocks that fill it all: an empty primary has nothing to decode. */
	const guint8 empty_primary[] = { 0x80 | 111, 0x0f, 0x00, 0x02, 111, 0xa1, 0xa2 };
	g_assert_false(primary(empty_primary, sizeof(empty_primary), &pt, &offset, &length));
	const guint8 header_only[] = { 111 };
	g_assert_false(primary(header_only, sizeof(header_only), &pt, &offset, &length));
	/* Lengths that add up past the end though each fits. */
	const guint8 sum[] = { 0x80 | 111, 0, 0x00, 0x03, 0x80 | 111, 0, 0x00, 0x03, 111, 1, 2, 3, 4, 5 };
	g_assert_false(primary(sum, sizeof(sum), &pt, &offset, &length));
}

/* An RTP packet: header (with CSRCs, an extension and padding as asked) and payload. */
static guint8 *rtp(const guint8 *payload, gsize payload_len, int csrcs, int extension_words, int padding, gsize *len) {
	*len = 12 + 4 * csrcs + (extension_words >= 0 ? 4 + 4 * extension_words : 0) + payload_len + padding;
	guint8 *packet = g_malloc0(*len);
	packet[0] = 0x80 | (padding > 0 ? 0x20 : 0) | (extension_words >= 0 ? 0x10 : 0) | csrcs;
	packet[1] = 0x80 | 63;     /* marker, RED's payload type */
	packet[2] = 0x12, packet[3] = 0x34;     /* sequence number */
	packet[4] = 0xde, packet[7] = 0x42;     /* timestamp */
	packet[8] = 0xaa, packet[11] = 0xbb;    /* SSRC */
	gsize pos = 12;
	for(int i = 0; i < csrcs; i++, pos += 4)
		packet[pos + 3] = (guint8)(i + 1);
	if(extension_words >= 0) {
		packet[pos] = 0xbe, packet[pos + 1] = 0xde;
		packet[pos + 3] = (guint8)extension_words;
		for(int i = 0; i < 4 * extension_words; i++)
			packet[pos + 4 + i] = 0x55;
		pos += 4 + 4 * extension_words;
	}
	if(payload_len > 0)
		memcpy(packet + pos, payload, payload_len);
	if(padding > 0)
		packet[*len - 1] = (guint8)padding;
	return packet;
}

static void test_unwrap(void) {
	gsize len = 0;
	/* Header, two CSRCs, a 2-word extension, RED, 3 bytes of padding. */
	guint8 *packet = rtp(red_payload, sizeof(red_payload), 2, 2, 3, &len);
	guint8 *out = g_malloc(len);
	int pt = -1;
	gsize header = 12 + 8 + 12;
	gsize plain = oicall_red_unwrap(packet, len, out, &pt);
	g_assert_cmpuint(plain, ==, header + 4);
	g_assert_cmpint(pt, ==, 111);
	/* The same header (payload type left to the caller), no padding, the primary as payload. */
	g_assert_cmpint(out[0], ==, 0x80 | 0x10 | 2);
	g_assert_cmpmem(out + 1, header - 1, packet + 1, header - 1);
	const guint8 primary_block[] = { 0xb1, 0xb2, 0xb3, 0xb4 };
	g_assert_cmpmem(out + header, 4, primary_block, 4);
	g_free(out);
	g_free(packet);

	/* The plain header alone. */
	packet = rtp(red_payload, sizeof(red_payload), 0, -1, 0, &len);
	out = g_malloc(len);
	g_assert_cmpuint(oicall_red_unwrap(packet, len, out, &pt), ==, 16);
	g_assert_cmpmem(out, 12, packet, 12);
	g_assert_cmpmem(out + 12, 4, primary_block, 4);
	g_free(out);
	g_free(packet);
}

/* What doesn't unwrap: not RTP, a header or extension past the end, bad padding, a bad RED payload. */
static void test_unwrap_malformed(void) {
	int pt = -1;
	gsize len = 0;
	guint8 *packet = rtp(red_payload, sizeof(red_payload), 1, 1, 0, &len);
	guint8 *out = g_malloc(len);
	/* Every truncation. */
	for(gsize cut = 0; cut < 12 + 4 + 8 + 9; cut++) {
		guint8 *heap = copy(packet, cut);
		g_assert_cmpuint(oicall_red_unwrap(heap, cut, out, &pt), ==, 0);
		g_free(heap);
	}
	/* Version 1. */
	packet[0] = (packet[0] & 0x3f) | 0x40;
	g_assert_cmpuint(oicall_red_unwrap(packet, len, out, &pt), ==, 0);
	packet[0] = (packet[0] & 0x3f) | 0x80;
	g_assert_cmpuint(oicall_red_unwrap(packet, len, out, &pt), >, 0);
	/* 15 CSRCs in a packet far shorter than that. */
	guint8 saved = packet[0];
	packet[0] |= 0x0f;
	g_assert_cmpuint(oicall_red_unwrap(packet, len, out, &pt), ==, 0);
	packet[0] = saved;
	/* An extension length past the end. */
	packet[12 + 4 + 2] = 0xff;
	g_assert_cmpuint(oicall_red_unwrap(packet, len, out, &pt), ==, 0);
	g_free(packet);
	g_free(out);

	/* Padding that claims more than the payload, or none at all. */
	packet = rtp(red_payload, sizeof(red_payload), 0, -1, 2, &len);
	out = g_malloc(len);
	g_assert_cmpuint(oicall_red_unwrap(packet, len, out, &pt), ==, 16);
	packet[len - 1] = (guint8)(len - 12 + 1);
	g_assert_cmpuint(oicall_red_unwrap(packet, len, out, &pt), ==, 0);
	packet[len - 1] = 0;
	g_assert_cmpuint(oicall_red_unwrap(packet, len, out, &pt), ==, 0);
	/* Padding that eats into the primary: what is left is still a valid RED payload, shorter. */
	packet[len - 1] = 4;
	g_assert_cmpuint(oicall_red_unwrap(packet, len, out, &pt), ==, 14);
	/* ... or into the headers: not. */
	packet[len - 1] = (guint8)(2 + sizeof(red_payload) - 4);
	g_assert_cmpuint(oicall_red_unwrap(packet, len, out, &pt), ==, 0);
	g_free(packet);
	g_free(out);

	/* A RED payload whose block length runs past the end. */
	const guint8 past[] = { 0x80 | 111, 0x0f, 0x03, 0xff, 111, 0xa1, 0xb1 };
	packet = rtp(past, sizeof(past), 0, -1, 0, &len);
	out = g_malloc(len);
	g_assert_cmpuint(oicall_red_unwrap(packet, len, out, &pt), ==, 0);
	g_free(packet);
	g_free(out);
	/* A header and no payload at all. */
	packet = rtp(NULL, 0, 0, 0, 0, &len);
	out = g_malloc(len);
	g_assert_cmpuint(oicall_red_unwrap(packet, len, out, &pt), ==, 0);
	g_free(packet);
	g_free(out);
}

/* Random bytes never make it read out of bounds (valgrind, ASan) and whatever it returns fits. */
static void test_random(void) {
	GRand *rand = g_rand_new_with_seed(2198);
	guint8 out[64];
	for(int i = 0; i < 20000; i++) {
		gsize len = (gsize)g_rand_int_range(rand, 0, 64);
		guint8 *packet = g_malloc(len + 1);
		for(gsize j = 0; j < len; j++)
			packet[j] = (guint8)g_rand_int(rand);
		if(len > 0 && g_rand_boolean(rand))
			packet[0] = (packet[0] & 0x3f) | 0x80;
		int pt = -1;
		gsize plain = oicall_red_unwrap(packet, len, out, &pt);
		g_assert_cmpuint(plain, <=, len);
		if(plain > 0)
			g_assert_cmpint(pt, <, 128);
		g_free(packet);
	}
	g_rand_free(rand);
}

int main(int argc, char **argv) {
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/red/primary", test_primary);
	g_test_add_func("/red/malformed", test_malformed);
	g_test_add_func("/red/unwrap", test_unwrap);
	g_test_add_func("/red/unwrap-malformed", test_unwrap_malformed);
	g_test_add_func("/red/random", test_random);
	return g_test_run();
}
