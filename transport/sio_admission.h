/*
 * Who the Socket.IO server lets in: the libwebsockets side of the limits
 * in conn_limits.h. It counts every accepted TCP connection by peer
 * address (refusing, with a bare 503, those past the limits before lws
 * spends anything on them), finds a request's client address behind
 * trusted proxies, admits Engine.IO sessions, and logs refusals at a
 * bounded rate. Runs on the service thread; the counters it exports are
 * read from any thread.
 */
#ifndef SIO_ADMISSION_H
#define SIO_ADMISSION_H

#include <stdatomic.h>

#include <glib.h>
#include <libwebsockets.h>

#include "conn_limits.h"
#include "transport_config.h"

typedef struct sio_admission sio_admission;

sio_admission *sio_admission_new(const sio_transport_config *config);
void sio_admission_free(sio_admission *admission);

/* LWS_CALLBACK_FILTER_NETWORK_CONNECTION: nonzero refuses the connection. */
int sio_admission_filter(sio_admission *admission, const struct lws_filter_network_conn_args *args);
/* LWS_CALLBACK_WSI_CREATE and _DESTROY: the connection just admitted gets
 * its wsi; a counted wsi gives its place back. */
void sio_admission_wsi_created(sio_admission *admission, struct lws *wsi);
void sio_admission_wsi_destroyed(sio_admission *admission, struct lws *wsi);

/* The client address of a request on wsi, given its X-Forwarded-For (NULL if none) (g_free). */
char *sio_admission_client_address(sio_admission *admission, struct lws *wsi, const char *forwarded_for);

/* Whether a new Engine.IO session from address may start (open counts it;
 * a refusal is counted and logged). */
sio_limit sio_admission_session_check(sio_admission *admission, const char *address);
sio_limit sio_admission_session_open(sio_admission *admission, const char *address);
void sio_admission_session_close(sio_admission *admission, const char *address);

/* The words of a refusal, for the client. */
const char *sio_admission_refusal(sio_limit why);

guint sio_admission_max_sessions(const sio_admission *admission);
gint64 sio_admission_refused(const sio_admission *admission);

#endif
