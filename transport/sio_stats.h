/*
 * The Socket.IO transport's own metric families for /metrics (pure; the
 * service thread counts and renders, so nothing here is locked): what
 * sio_server_stats holds, and acks by event and error.
 */
#ifndef SIO_STATS_H
#define SIO_STATS_H

#include <glib.h>
#include <jansson.h>

#include "sio_server.h"

/* Distinct (event, error) pairs counted apart; clients name events, so
 * past this many the rest count as event "other". */
#define SIO_ACK_STATS_MAX 256

typedef struct sio_ack_stats sio_ack_stats;

sio_ack_stats *sio_ack_stats_new(void);
void sio_ack_stats_free(sio_ack_stats *acks);
/* An ack for an event; error: its { error }, NULL for a success. */
void sio_ack_stats_add(sio_ack_stats *acks, const char *event, const char *error);

/* The transport's families (common/prom.h), a new reference. */
json_t *sio_stats_families(const sio_server_stats *stats, const sio_ack_stats *acks);

#endif
