/*
 * SDP for plain-WebRTC (JSEP) calls. The caller's offer becomes the offer
 * the gateway makes to the callee, restricted to the configured codecs;
 * the callee's answer becomes the gateway's answer to the caller. Both
 * PeerConnections so keep the same m-lines in the same order, which is
 * what lets the relay forward m-line i to m-line i. The core adds its own
 * ICE, DTLS and SSRCs when it sends them.
 */
#ifndef OICALL_JSEP_MEDIA_H
#define OICALL_JSEP_MEDIA_H

#include <glib.h>

#include "plugin_config.h"

#define OICALL_MAX_MLINES 8

/* The offer for the callee, from the caller's offer; NULL with *error. */
char *oicall_jsep_callee_offer(const char *caller_offer, const oicall_plugin_config *config, char **error);

/* The answer for the caller, from the callee's answer to offer; NULL with *error. */
char *oicall_jsep_caller_answer(const char *callee_answer, const char *offer, char **error);

/* The first codec of the first active audio and video m-line ("opus", "vp8"...;
 * NULL when none), lower case, each g_free'd by the caller. */
void oicall_jsep_codecs(const char *sdp, char *codecs[2]);

#endif
