/* The conventions of janus_stubs.c: the clock is stub_now; a payload whose
 * first byte is STUB_KEYFRAME is a keyframe (any codec); an RTCP "packet"
 * whose first byte is STUB_PLI or STUB_FIR asks for one, and STUB_REMB followed
 * by a uint32_t (host order) carries a bitrate. Sessions for the relay:
 * stub_session_new makes one whose handle's plugin_handle is the session,
 * with its media ready; stub_session_done unlinks it and drops the caller's
 * reference, and stub_sessions_freed counts those freed. */
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
extern int stub_sessions_freed;

struct oicall_session *stub_session_new(guint64 id);
void stub_session_done(struct oicall_session *session);

#endif
