#include "sio_admission.h"

#include <arpa/inet.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include <janus/debug.h>

/* At most this many refusal lines a second; the rest are counted. */
#define LOG_LINES_PER_SECOND 5

struct sio_admission {
	sio_limits *limits;
	GHashTable *tcp_peers;      /* struct lws * → char * peer address */
	char *admitted_peer;        /* between the filter and the new wsi */
	gint64 log_second;
	guint log_lines, log_suppressed;
	atomic_llong refused;
};

/* IPv4-mapped IPv6 ("::ffff:10.0.0.1") is written as the IPv4 address it is. */
static char *peer_string(const struct sockaddr *addr) {
	char text[INET6_ADDRSTRLEN] = "";
	if(addr->sa_family == AF_INET) {
		inet_ntop(AF_INET, &((const struct sockaddr_in *)addr)->sin_addr, text, sizeof(text));
	} else if(addr->sa_family == AF_INET6) {
		const struct in6_addr *a6 = &((const struct sockaddr_in6 *)addr)->sin6_addr;
		if(IN6_IS_ADDR_V4MAPPED(a6))
			inet_ntop(AF_INET, &a6->s6_addr[12], text, sizeof(text));
		else
			inet_ntop(AF_INET6, a6, text, sizeof(text));
	}
	return g_strdup(text);
}

static void log_refusal(sio_admission *admission, const char *what, const char *address, sio_limit why) {
	atomic_fetch_add_explicit(&admission->refused, 1, memory_order_relaxed);
	gint64 second = g_get_monotonic_time() / G_USEC_PER_SEC;
	if(second != admission->log_second) {
		if(admission->log_suppressed > 0)
			JANUS_LOG(LOG_WARN, "[socketio] %u more refusals not logged\n", admission->log_suppressed);
		admission->log_second = second;
		admission->log_lines = admission->log_suppressed = 0;
	}
	if(admission->log_lines++ < LOG_LINES_PER_SECOND)
		JANUS_LOG(LOG_WARN, "[socketio] %s from %s refused: %s\n", what, address, sio_admission_refusal(why));
	else
		admission->log_suppressed++;
}

sio_admission *sio_admission_new(const sio_transport_config *config) {
	sio_admission *admission = g_new0(sio_admission, 1);
	guint max = (guint)config->max_connections;
	if(max == 0) {
		struct rlimit nofile = { 0 };
		getrlimit(RLIMIT_NOFILE, &nofile);
		max = sio_limits_default_sessions(nofile.rlim_cur == RLIM_INFINITY ? 1048576 : (guint64)nofile.rlim_cur);
	}
	admission->limits = sio_limits_new(max, (guint)config->max_per_address, config->trusted_proxies);
	admission->tcp_peers = g_hash_table_new_full(NULL, NULL, NULL, g_free);
	JANUS_LOG(LOG_INFO, "[socketio] at most %u connections, %" G_GUINT64_FORMAT " per address%s\n", max,
		config->max_per_address, config->max_per_address == 0 ? " (no per-address limit)" : "");
	return admission;
}

void sio_admission_free(sio_admission *admission) {
	if(admission == NULL)
		return;
	sio_limits_free(admission->limits);
	g_hash_table_destroy(admission->tcp_peers);
	g_free(admission->admitted_peer);
	g_free(admission);
}

int sio_admission_filter(sio_admission *admission, const struct lws_filter_network_conn_args *args) {
	char *peer = peer_string((const struct sockaddr *)&args->cli_addr);
	sio_limit why = sio_limits_tcp_open(admission->limits, peer);
	if(why != SIO_LIMIT_OK) {
		log_refusal(admission, "connection", peer, why);
		/* A bare answer, so that an HTTP client knows why: lws closes the socket next. */
		const char *reason = sio_admission_refusal(why);
		char *busy = g_strdup_printf("HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain\r\n"
			"Content-Length: %zu\r\nConnection: close\r\n\r\n%s", strlen(reason), reason);
		ssize_t sent = send(args->accept_fd, busy, strlen(busy), MSG_DONTWAIT | MSG_NOSIGNAL);
		(void)sent;
		g_free(busy);
		g_free(peer);
		return 1;
	}
	/* A connection admitted before that never got its wsi (lws failed to adopt it) gives its place back. */
	if(admission->admitted_peer != NULL) {
		sio_limits_tcp_close(admission->limits, admission->admitted_peer);
		g_free(admission->admitted_peer);
	}
	admission->admitted_peer = peer;
	return 0;
}

void sio_admission_wsi_created(sio_admission *admission, struct lws *wsi) {
	/* lws creates the admitted connection's wsi right after the filter. */
	if(admission->admitted_peer == NULL)
		return;
	g_hash_table_insert(admission->tcp_peers, wsi, admission->admitted_peer);
	admission->admitted_peer = NULL;
}

void sio_admission_wsi_destroyed(sio_admission *admission, struct lws *wsi) {
	const char *peer = g_hash_table_lookup(admission->tcp_peers, wsi);
	if(peer == NULL)
		return;
	sio_limits_tcp_close(admission->limits, peer);
	g_hash_table_remove(admission->tcp_peers, wsi);
}

char *sio_admission_client_address(sio_admission *admission, struct lws *wsi, const char *forwarded_for) {
	const char *peer = g_hash_table_lookup(admission->tcp_peers, wsi);
	return sio_limits_client_address(admission->limits, peer != NULL ? peer : "unknown", forwarded_for);
}

sio_limit sio_admission_session_check(sio_admission *admission, const char *address) {
	sio_limit why = sio_limits_session_check(admission->limits, address);
	if(why != SIO_LIMIT_OK)
		log_refusal(admission, "Engine.IO session", address, why);
	return why;
}

sio_limit sio_admission_session_open(sio_admission *admission, const char *address) {
	sio_limit why = sio_limits_session_open(admission->limits, address);
	if(why != SIO_LIMIT_OK)
		log_refusal(admission, "Engine.IO session", address, why);
	return why;
}

void sio_admission_session_close(sio_admission *admission, const char *address) {
	sio_limits_session_close(admission->limits, address);
}

const char *sio_admission_refusal(sio_limit why) {
	return why == SIO_LIMIT_ADDRESS ? "Too many connections from your address" : "Server full";
}

guint sio_admission_max_sessions(const sio_admission *admission) {
	return sio_limits_max_sessions(admission->limits);
}

gint64 sio_admission_refused(const sio_admission *admission) {
	return atomic_load_explicit(&admission->refused, memory_order_relaxed);
}
