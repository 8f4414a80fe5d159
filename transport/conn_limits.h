/*
 * Admission limits of the Socket.IO server: how many TCP connections and
 * Engine.IO sessions it holds in all and per client address, and which
 * address a request comes from when it passed a trusted reverse proxy.
 * Each session and connection costs Janus file descriptors and threads;
 * these bounds keep any client, or all of them together, from running the
 * process out of them. Pure: the server calls it on its service thread.
 */
#ifndef SIO_CONN_LIMITS_H
#define SIO_CONN_LIMITS_H

#include <glib.h>

typedef enum sio_limit {
	SIO_LIMIT_OK,
	SIO_LIMIT_TOTAL,            /* the server holds as many as it may */
	SIO_LIMIT_ADDRESS,          /* this address holds as many as one may */
} sio_limit;

typedef struct sio_limits sio_limits;

/* max_sessions: Engine.IO sessions in all (TCP connections: twice that);
 * max_per_address: sessions per client address, 0 = no per-address limit
 * (TCP connections: twice that, except from trusted proxies);
 * trusted_proxies: comma-separated addresses whose X-Forwarded-For is believed. */
sio_limits *sio_limits_new(guint max_sessions, guint max_per_address, const char *trusted_proxies);
void sio_limits_free(sio_limits *limits);

/* Sessions to allow for a process whose descriptor limit is nofile: one
 * session in a call costs up to about 8 descriptors (its TCP connections,
 * its handles' wake-up pipes, ICE sockets), and Janus keeps 128 for itself. */
guint sio_limits_default_sessions(guint64 nofile);

/* Counts a TCP connection from peer, or says why not. */
sio_limit sio_limits_tcp_open(sio_limits *limits, const char *peer);
void sio_limits_tcp_close(sio_limits *limits, const char *peer);

/* Whether a session from address would be admitted, without counting it
 * (a trusted proxy's own address has no per-address limit). */
sio_limit sio_limits_session_check(const sio_limits *limits, const char *address);
/* Counts a session from address, or says why not. */
sio_limit sio_limits_session_open(sio_limits *limits, const char *address);
void sio_limits_session_close(sio_limits *limits, const char *address);

guint sio_limits_sessions(const sio_limits *limits);
guint sio_limits_max_sessions(const sio_limits *limits);

/* The client's address (g_free): the peer's own, or, when the peer is a
 * trusted proxy, the nearest X-Forwarded-For hop that is not one. */
char *sio_limits_client_address(const sio_limits *limits, const char *peer, const char *forwarded_for);

#endif
