/*
 * This instance as a member of the cluster (docs/cluster.md), for the
 * plugin's glue: starts the Redis client when cluster.redis (or
 * cluster.sentinels) is set, keeps
 * the node key and the keys of the users registered and the calls hosted
 * here in Redis, and
 * turns what other instances send into effects on local sessions. With no
 * Redis configured it is off and every function does nothing.
 * Runs on the message thread, with the engine locked where it takes one;
 * oicall_cluster_node_list on the Admin API's thread.
 */
#ifndef OICALL_CLUSTER_NODE_H
#define OICALL_CLUSTER_NODE_H

#include <glib.h>
#include <jansson.h>

#include "call_engine.h"
#include "cluster_redis.h"
#include "plugin_config.h"

/* Nothing when neither cluster.redis nor cluster.sentinels is set; if the
 * settings don't go together or the Redis thread can't start, the log says
 * so and oicall runs alone. */
void oicall_cluster_node_start(const oicall_plugin_config *config, oicall_cluster_deliver deliver);
void oicall_cluster_node_stop(void);

/* Whether the cluster is on (its Redis thread runs). */
gboolean oicall_cluster_node_enabled(void);
/* A session of this instance registered user. */
void oicall_cluster_node_registered(const char *user, guint64 session);
/* Refreshes what is due, releases the users gone from here. */
void oicall_cluster_node_tick(oicall_engine *engine, gint64 now);
/* A message from another instance (text: taken). */
void oicall_cluster_node_message(oicall_engine *engine, char *text, size_t len, GPtrArray *effects);
/* Called on the Redis thread when a deferred request may go on: refusal
 * is NULL, or what to answer it with instead. */
typedef void (*oicall_cluster_node_resume)(void *data, const char *refusal);
/* A start-call or add-participants inviting users not registered here must
 * first be looked up in Redis (a user on another instance can't be called
 * yet): TRUE when it is deferred, resume then gets data back. Engine locked. */
gboolean oicall_cluster_node_defer(oicall_engine *engine, const char *request, json_t *body,
	oicall_cluster_node_resume resume, void *data);
/* Adds the cluster's figures to the plugin's metric families (common/prom.h); nothing when off. */
void oicall_cluster_node_metrics(json_t *families);
/* Admin API list-users or list-calls with cluster: true; an error reply when off. */
json_t *oicall_cluster_node_list(gboolean calls);

#endif
