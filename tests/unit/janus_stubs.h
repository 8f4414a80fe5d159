/* The conventions of janus_stubs.c: the clock is stub_now; a payload whose
 * first byte is STUB_KEYFRAME is a keyframe (any codec); an RTCP "packet"
 * whose first byte is STUB_PLI or STUB_FIR asks for one, and STUB_REMB followed
 * by a uint32_t (host order) carries a bitrate. */
#ifndef OICALL_JANUS_STUBS_H
#define OICALL_JANUS_STUBS_H

#include <arpa/inet.h>

#include <glib.h>
#include <janus/rtp.h>

#define STUB_KEYFRAME 'K'
#define STUB_PLI 'P'
#define STUB_FIR 'F'
#define STUB_REMB 'R'

extern gint64 stub_now;

#endif
