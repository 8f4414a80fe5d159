/*
 * The plugin's Redis client (docs/cluster.md): a thread of its own holds a
 * command connection and a subscriber connection (this instance's channel,
 * oicall:to:{id}), so that neither the message thread nor a media thread
 * ever waits on Redis. The message thread hands it work through a queue,
 * fire and forget: what a lost connection drops, the next refresh writes
 * again. Messages read off the channel go to a callback, on this thread.
 * While Redis is away it tries again every second; with Sentinels, each
 * attempt asks them where the master is first, so that a failover is
 * followed within a second or two of its end.
 */
#ifndef OICALL_CLUSTER_REDIS_H
#define OICALL_CLUSTER_REDIS_H

#include <glib.h>
#include <jansson.h>

typedef struct oicall_cluster_redis oicall_cluster_redis;
/* A message off the channel (text: the callback's to g_free), called on the Redis thread. */
typedef void (*oicall_cluster_deliver)(char *text, size_t len);

/* Connects in the background to address (a valid cluster.redis) or, when
 * sentinels (a valid cluster.sentinels) is not NULL, to the master they name
 * for master: asked again at each (re)connect, the server checked with ROLE
 * (plugin/cluster_sentinel.h). NULL if the thread can't start. */
oicall_cluster_redis *oicall_cluster_redis_start(const char *address, const char *sentinels, const char *master,
	const char *node, oicall_cluster_deliver deliver);
void oicall_cluster_redis_stop(oicall_cluster_redis *redis);

/* Whether both connections to Redis are up now (any thread). */
gboolean oicall_cluster_redis_connected(oicall_cluster_redis *redis);
/* Writes oicall:node:{id} (record: taken), or deletes it (NULL: this instance stops). */
void oicall_cluster_redis_node(oicall_cluster_redis *redis, char *record);
/* Carries out presence and call key ops (cluster.h; ops: taken). */
void oicall_cluster_redis_presence(oicall_cluster_redis *redis, GPtrArray *ops);
/* Called on the Redis thread with the users of a lookup registered on other
 * live instances (NULL: Redis could not be asked; freed after the call). */
typedef void (*oicall_cluster_looked_up)(void *data, GPtrArray *remote);
/* Looks users (taken: char * freed with the array) up. done is always called, once. */
void oicall_cluster_redis_lookup(oicall_cluster_redis *redis, GPtrArray *users, oicall_cluster_looked_up done,
	void *data);
/* The cluster's users, { users: [ { userId, node, registeredAt } ] }, or
 * calls, { calls: [ { callId, host, state, callType, peers } ] }, those of
 * live instances only, or an error reply; waits up to 5 s. Never from the
 * message thread. */
json_t *oicall_cluster_redis_list(oicall_cluster_redis *redis, gboolean calls);

#endif
