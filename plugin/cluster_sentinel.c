#include "cluster_sentinel.h"

#include <string.h>

#include "cluster.h"

void oicall_redis_address_free(oicall_redis_address *address) {
	if(address == NULL)
		return;
	g_free(address->host);
	g_free(address);
}

gboolean oicall_cluster_sentinels_valid(const char *value, const char **why) {
	if(value[0] == '\0')
		return TRUE;
	char **items = g_strsplit(value, ",", -1);
	guint count = g_strv_length(items);
	gboolean ok = count <= OICALL_CLUSTER_MAX_SENTINELS;
	for(guint i = 0; ok && i < count; i++) {
		g_strstrip(items[i]);
		ok = items[i][0] != '\0' && oicall_cluster_redis_valid(items[i], why);
	}
	g_strfreev(items);
	if(!ok)
		*why = "is not 1 to " G_STRINGIFY(OICALL_CLUSTER_MAX_SENTINELS) " comma-separated HOST:PORT";
	return ok;
}

const char *oicall_cluster_redis_source_problem(const char *redis, const char *sentinels, const char *master) {
	if(redis[0] != '\0' && sentinels[0] != '\0')
		return "cluster.redis and cluster.sentinels exclude each other (set redis for one Redis, "
			"sentinels and sentinel_master for a master Sentinel watches)";
	if(sentinels[0] != '\0' && master[0] == '\0')
		return "cluster.sentinels needs cluster.sentinel_master, the name the Sentinels know the master by";
	if(sentinels[0] == '\0' && master[0] != '\0')
		return "cluster.sentinel_master is set without cluster.sentinels";
	return NULL;
}

GPtrArray *oicall_cluster_sentinels_parse(const char *value) {
	GPtrArray *sentinels = g_ptr_array_new_with_free_func((GDestroyNotify)oicall_redis_address_free);
	char **items = g_strsplit(value, ",", -1);
	for(guint i = 0; items[i] != NULL; i++) {
		oicall_redis_address *address = g_new0(oicall_redis_address, 1);
		oicall_cluster_redis_address(g_strstrip(items[i]), &address->host, &address->port);
		g_ptr_array_add(sentinels, address);
	}
	g_strfreev(items);
	return sentinels;
}

/* A string reply of 1 to max characters, none a NUL. */
static gboolean plain_string(const redisReply *reply, size_t max) {
	return reply != NULL && reply->type == REDIS_REPLY_STRING && reply->str != NULL && reply->len > 0 &&
		reply->len <= max && strlen(reply->str) == reply->len;
}

oicall_redis_address *oicall_sentinel_master_of(const redisReply *reply) {
	if(reply == NULL || reply->type != REDIS_REPLY_ARRAY || reply->elements != 2 || reply->element == NULL)
		return NULL;
	const redisReply *host = reply->element[0], *port = reply->element[1];
	if(!plain_string(host, OICALL_CLUSTER_MAX_HOST_LEN) || !plain_string(port, 5))
		return NULL;
	/* An IPv4 or IPv6 address, or a host name (Sentinel's resolve-hostnames). */
	for(size_t i = 0; i < host->len; i++) {
		if(!g_ascii_isalnum(host->str[i]) && strchr(".-_:", host->str[i]) == NULL)
			return NULL;
	}
	guint64 number = 0;
	if(!g_ascii_string_to_unsigned(port->str, 10, 1, 65535, &number, NULL))
		return NULL;
	oicall_redis_address *address = g_new0(oicall_redis_address, 1);
	address->host = g_strndup(host->str, host->len);
	address->port = (int)number;
	return address;
}

gboolean oicall_sentinel_role_is_master(const redisReply *reply) {
	/* [ "master", offset, replicas ]; a replica's is [ "slave", ... ], a Sentinel's [ "sentinel", ... ]. */
	return reply != NULL && reply->type == REDIS_REPLY_ARRAY && reply->elements >= 1 && reply->element != NULL &&
		plain_string(reply->element[0], 6) && strcmp(reply->element[0]->str, "master") == 0;
}

gboolean oicall_sentinel_switched(const redisReply *reply, const char *master) {
	if(reply == NULL || reply->type != REDIS_REPLY_ARRAY || reply->elements != 3 || reply->element == NULL ||
			!plain_string(reply->element[0], 7) || strcmp(reply->element[0]->str, "message") != 0 ||
			!plain_string(reply->element[1], 14) || strcmp(reply->element[1]->str, "+switch-master") != 0 ||
			!plain_string(reply->element[2], 1024))
		return FALSE;
	size_t len = strlen(master);
	return strncmp(reply->element[2]->str, master, len) == 0 && reply->element[2]->str[len] == ' ';
}
