/*
 * Finding the cluster's Redis through Redis Sentinel (pure: no I/O, the
 * Redis thread asks): the cluster.sentinels and cluster.sentinel_master
 * settings, and the checks of what a Sentinel and the server it names
 * answer. A Sentinel is asked, not trusted: a reply of another shape, an
 * address too long or not an address is a failed attempt like no answer.
 */
#ifndef OICALL_CLUSTER_SENTINEL_H
#define OICALL_CLUSTER_SENTINEL_H

#include <glib.h>
#include <hiredis/hiredis.h>

/* A cluster asks a handful of Sentinels (3 or 5 as a rule); each attempt
 * costs at most this many of them a short timeout each. */
#define OICALL_CLUSTER_MAX_SENTINELS 8

typedef struct oicall_redis_address {
	char *host;
	int port;
} oicall_redis_address;

void oicall_redis_address_free(oicall_redis_address *address);

/* cluster.sentinels: "" or 1 to 8 comma-separated HOST:PORT (a setting check;
 * cluster.sentinel_master's is oicall_cluster_name_valid). */
gboolean oicall_cluster_sentinels_valid(const char *value, const char **why);
/* Why the valid settings of where Redis is can't go together (a static
 * string), NULL when they can: cluster.redis or cluster.sentinels, not
 * both, and the master's name with the Sentinels only. */
const char *oicall_cluster_redis_source_problem(const char *redis, const char *sentinels, const char *master);
/* A valid, non-empty cluster.sentinels's addresses (freed with the array). */
GPtrArray *oicall_cluster_sentinels_parse(const char *value);

/* The master's address in a SENTINEL get-master-addr-by-name reply (an
 * array of its IP and port), or NULL (nil: the Sentinel knows no such
 * master; anything else: a reply not to be used). */
oicall_redis_address *oicall_sentinel_master_of(const redisReply *reply);
/* Whether a message on a Sentinel's +switch-master channel ([ "message",
 * "+switch-master", "NAME OLD-IP OLD-PORT NEW-IP NEW-PORT" ]) is about master. */
gboolean oicall_sentinel_switched(const redisReply *reply, const char *master);
/* Whether a ROLE reply says master (a replica, or a master just demoted, says slave). */
gboolean oicall_sentinel_role_is_master(const redisReply *reply);

#endif
