#include "cluster_redis.h"

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <hiredis/hiredis.h>
#include <janus/debug.h>
#include <janus/utils.h>

#include "cluster.h"
#include "cluster_sentinel.h"
#include "handoff.h"

/* Extends a user's key if it still holds our record; writes it again if it
 * is gone (Redis restarted: the registry is rebuilt from the instances). */
static const char refresh_script[] =
	"local v = redis.call('GET', KEYS[1]) "
	"if v == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end "
	"if not v then redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2]) return 2 end "
	"return 0";
/* Deletes a user's key only if it still holds our record (not a newer instance's). */
static const char release_script[] =
	"if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0";

typedef enum job_kind { JOB_NODE, JOB_PRESENCE, JOB_LIST, JOB_LOOKUP, JOB_EXIT } job_kind;

typedef struct job {
	job_kind kind;
	char *record;               /* NODE */
	GPtrArray *ops;             /* PRESENCE */
	oicall_handoff *answer;     /* LIST: the admin thread waits for it */
	const struct list_spec *list;
	GPtrArray *users;           /* LOOKUP */
	oicall_cluster_looked_up looked_up;
	void *data;
} job;

struct oicall_cluster_redis {
	char *host;                 /* where Redis is: configured, or the master a Sentinel named last */
	int port;
	GPtrArray *sentinels;       /* oicall_redis_address, NULL without Sentinels */
	char *master;               /* the name they know the master by */
	guint sentinel;             /* the one to ask first: the last that answered */
	redisContext *watch;        /* subscribed to that one's +switch-master, NULL when not */
	gint64 watch_at;            /* when to try opening it again */
	char *node;
	char *node_key;
	char *channel;
	oicall_cluster_deliver deliver;
	GAsyncQueue *jobs;
	int wake;                   /* eventfd: a job is queued */
	GThread *thread;
	redisContext *command, *subscriber;
	volatile gint connected;    /* for the metrics */
};

static void job_free(job *j) {
	g_free(j->record);
	if(j->ops != NULL)
		g_ptr_array_unref(j->ops);
	if(j->answer != NULL) {
		/* Not run (Redis away): an answer that says so (a second give is dropped). */
		oicall_handoff_give(j->answer, json_pack("{ss}", "error", "The cluster is unavailable: try again"));
		oicall_handoff_unref(j->answer);
	}
	if(j->looked_up != NULL)
		j->looked_up(j->data, NULL);     /* not run: Redis away */
	if(j->users != NULL)
		g_ptr_array_unref(j->users);
	g_free(j);
}

static void push_job(oicall_cluster_redis *redis, job *j) {
	g_async_queue_push(redis->jobs, j);
	guint64 one = 1;
	if(write(redis->wake, &one, sizeof(one)) < 0 && errno != EAGAIN)
		JANUS_LOG(LOG_WARN, "[oicall] cluster: can't wake the Redis thread: %s\n", g_strerror(errno));
}

/* ---- the Redis thread ------------------------------------------------- */

/* Runs a command of n strings; NULL when the connection failed (it is then dropped). */
static redisReply *run(oicall_cluster_redis *redis, int n, const char **argv) {
	size_t lens[8];
	for(int i = 0; i < n; i++)
		lens[i] = strlen(argv[i]);
	redisReply *reply = redisCommandArgv(redis->command, n, argv, lens);
	if(reply == NULL) {
		JANUS_LOG(LOG_WARN, "[oicall] cluster: Redis connection lost: %s\n", redis->command->errstr);
	} else if(reply->type == REDIS_REPLY_ERROR && g_str_has_prefix(reply->str, "READONLY")) {
		/* A master demoted under us (a failover): as lost, so that the master is looked for again. */
		JANUS_LOG(LOG_WARN, "[oicall] cluster: Redis at %s:%d is a replica now\n", redis->host, redis->port);
		g_clear_pointer(&reply, freeReplyObject);
	} else if(reply->type == REDIS_REPLY_ERROR)
		JANUS_LOG(LOG_WARN, "[oicall] cluster: Redis refused %s: %s\n", argv[0], reply->str);
	return reply;
}

static void disconnect(oicall_cluster_redis *redis) {
	g_atomic_int_set(&redis->connected, 0);
	g_clear_pointer(&redis->command, redisFree);
	g_clear_pointer(&redis->subscriber, redisFree);
}

static redisContext *connect_to(const char *host, int port, struct timeval timeout) {
	redisContext *c = redisConnectWithTimeout(host, port, timeout);
	if(c == NULL || c->err) {
		if(c != NULL)
			redisFree(c);
		return NULL;
	}
	redisSetTimeout(c, timeout);
	redisEnableKeepAlive(c);
	return c;
}

/* A Sentinel answers at once or is down: it is not worth a second of the Redis thread. */
static const struct timeval sentinel_timeout = { 0, 500000 };

/* Asks the Sentinels in turn where the master is now; FALSE when none could say. */
static gboolean find_master(oicall_cluster_redis *redis) {
	for(guint i = 0; i < redis->sentinels->len; i++) {
		guint at = (redis->sentinel + i) % redis->sentinels->len;
		oicall_redis_address *sentinel = g_ptr_array_index(redis->sentinels, at);
		redisContext *c = connect_to(sentinel->host, sentinel->port, sentinel_timeout);
		redisReply *reply = c ? redisCommand(c, "SENTINEL get-master-addr-by-name %s", redis->master) : NULL;
		oicall_redis_address *master = oicall_sentinel_master_of(reply);
		if(reply != NULL)
			freeReplyObject(reply);
		if(c != NULL)
			redisFree(c);
		if(master == NULL)
			continue;
		if(g_strcmp0(master->host, redis->host) != 0 || master->port != redis->port)
			JANUS_LOG(LOG_INFO, "[oicall] cluster: Sentinel %s:%d says master %s is at %s:%d\n", sentinel->host,
				sentinel->port, redis->master, master->host, master->port);
		g_free(redis->host);
		redis->host = g_steal_pointer(&master->host);
		redis->port = master->port;
		redis->sentinel = at;
		oicall_redis_address_free(master);
		return TRUE;
	}
	return FALSE;
}

/* Follows a switchover at once: without it, a master demoted in a planned
 * failover (SENTINEL FAILOVER, still up) goes on taking our writes until
 * Sentinel reconfigures it, some 8 s later. A failed watch is tried again
 * 10 s later (each try may cost a connect timeout); the retry loop still
 * follows failovers meanwhile. */
static void watch_switches(oicall_cluster_redis *redis) {
	if(redis->sentinels == NULL || redis->watch != NULL || janus_get_monotonic_time() < redis->watch_at)
		return;
	redis->watch_at = janus_get_monotonic_time() + 10 * G_USEC_PER_SEC;
	oicall_redis_address *sentinel = g_ptr_array_index(redis->sentinels, redis->sentinel);
	redis->watch = connect_to(sentinel->host, sentinel->port, sentinel_timeout);
	redisReply *reply = redis->watch ? redisCommand(redis->watch, "SUBSCRIBE +switch-master") : NULL;
	if(reply == NULL || reply->type != REDIS_REPLY_ARRAY)
		g_clear_pointer(&redis->watch, redisFree);
	if(reply != NULL)
		freeReplyObject(reply);
}

/* Reads the watch: TRUE when our master switched (the watch is closed if it failed). */
static gboolean master_switched(oicall_cluster_redis *redis) {
	gboolean switched = FALSE;
	void *next = NULL;
	if(redisBufferRead(redis->watch) == REDIS_OK) {
		while(redisGetReplyFromReader(redis->watch, &next) == REDIS_OK && next != NULL) {
			switched = switched || oicall_sentinel_switched(next, redis->master);
			freeReplyObject(next);
			next = NULL;
		}
	}
	if(redis->watch->err != 0)
		g_clear_pointer(&redis->watch, redisFree);
	return switched;
}

/* Whether the command connection's server is a master: one a Sentinel named
 * may have been demoted since, and a replica refuses every write. (Not asked
 * of a configured Redis: some hosted ones refuse ROLE.) */
static gboolean is_master(oicall_cluster_redis *redis) {
	redisReply *reply = redisCommand(redis->command, "ROLE");
	gboolean master = oicall_sentinel_role_is_master(reply);
	if(reply != NULL)
		freeReplyObject(reply);
	return master;
}

static gboolean connect_both(oicall_cluster_redis *redis) {
	if(redis->sentinels != NULL && !find_master(redis))
		return FALSE;
	struct timeval timeout = { 1, 0 };
	redis->command = connect_to(redis->host, redis->port, timeout);
	gboolean usable = redis->command != NULL && (redis->sentinels == NULL || is_master(redis));
	redis->subscriber = usable ? connect_to(redis->host, redis->port, timeout) : NULL;
	if(redis->subscriber == NULL) {
		disconnect(redis);
		return FALSE;
	}
	redisReply *reply = redisCommand(redis->subscriber, "SUBSCRIBE %s", redis->channel);
	gboolean ok = reply != NULL && reply->type == REDIS_REPLY_ARRAY;
	if(reply != NULL)
		freeReplyObject(reply);
	if(!ok)
		disconnect(redis);
	g_atomic_int_set(&redis->connected, ok);
	return ok;
}

static char *ttl_text(int ms) {
	return g_strdup_printf("%d", ms);
}

static gboolean run_presence(oicall_cluster_redis *redis, oicall_presence_op *op) {
	const char *key = op->key;
	char *ttl = ttl_text(OICALL_CLUSTER_USER_TTL_MS);
	redisReply *reply = NULL;
	if(op->kind == OICALL_PRESENCE_CLAIM) {
		/* Newest wins: SET ... GET hands back whom we took the user from. */
		const char *argv[] = { "SET", key, op->record, "PX", ttl, "GET" };
		reply = run(redis, 6, argv);
		char *channel = NULL;
		char *message = reply && reply->type == REDIS_REPLY_STRING ?
			oicall_cluster_replaced_for(reply->str, redis->node, op->user, &channel) : NULL;
		if(message != NULL) {
			const char *publish[] = { "PUBLISH", channel, message };
			freeReplyObject(reply);
			reply = run(redis, 3, publish);
		}
		g_free(message);
		g_free(channel);
	} else if(op->kind == OICALL_PRESENCE_PUT) {
		const char *argv[] = { "SET", key, op->record, "PX", ttl };
		reply = run(redis, 5, argv);
	} else {
		gboolean refresh = op->kind == OICALL_PRESENCE_REFRESH;
		const char *argv[] = { "EVAL", refresh ? refresh_script : release_script, "1", key, op->record, ttl };
		reply = run(redis, refresh ? 6 : 5, argv);
	}
	g_free(ttl);
	if(reply == NULL)
		return FALSE;
	freeReplyObject(reply);
	return TRUE;
}

/* The node keys of live instances among those the records name. */
static GHashTable *live_nodes(oicall_cluster_redis *redis, GHashTable *named, gboolean *ok) {
	GHashTable *live = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	GHashTableIter iter;
	gpointer node;
	g_hash_table_iter_init(&iter, named);
	while(*ok && g_hash_table_iter_next(&iter, &node, NULL)) {
		char *key = oicall_cluster_node_key(node);
		const char *argv[] = { "EXISTS", key };
		redisReply *reply = run(redis, 2, argv);
		*ok = reply != NULL;
		if(reply != NULL && reply->type == REDIS_REPLY_INTEGER && reply->integer == 1)
			g_hash_table_add(live, g_strdup(node));
		if(reply != NULL)
			freeReplyObject(reply);
		g_free(key);
	}
	return live;
}

/* What a list names: the keys' prefix, the field their records name an
 * instance in, and the field the key's id goes to in the answer. */
typedef struct list_spec {
	const char *prefix, *node_field, *id_field, *answer;
} list_spec;

static const list_spec users_spec = { "oicall:user:", "node", "userId", "users" };
static const list_spec calls_spec = { "oicall:call:", "host", "callId", "calls" };

/* A record as listed: its fields (a session id means nothing elsewhere) and the key's id; NULL if not one. */
static json_t *listed(const list_spec *spec, redisReply *key, redisReply *value) {
	json_t *record = value->type == REDIS_REPLY_STRING ? json_loadb(value->str, value->len, 0, NULL) : NULL;
	json_t *id = json_stringn(key->str + strlen(spec->prefix), key->len - strlen(spec->prefix));
	if(!json_is_object(record) || id == NULL ||
			!oicall_cluster_id_valid(json_string_value(json_object_get(record, spec->node_field)))) {
		json_decref(record);
		json_decref(id);
		return NULL;
	}
	json_object_del(record, "session");
	json_object_set_new(record, spec->id_field, id);
	return record;
}

/* Every key with the prefix (SCAN, then MGET per batch); those naming instances whose
 * node key is gone are left out (they died: their keys just haven't expired). */
static json_t *list_keys(oicall_cluster_redis *redis, const list_spec *spec, gboolean *ok) {
	json_t *found = json_array();
	GHashTable *named = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	char *cursor = g_strdup("0");
	char *pattern = g_strconcat(spec->prefix, "*", NULL);
	*ok = TRUE;
	do {
		const char *argv[] = { "SCAN", cursor, "MATCH", pattern, "COUNT", "1000" };
		redisReply *reply = run(redis, 6, argv);
		g_clear_pointer(&cursor, g_free);
		*ok = reply != NULL;
		if(reply != NULL && reply->type == REDIS_REPLY_ARRAY && reply->elements == 2 &&
				reply->element[0]->type == REDIS_REPLY_STRING && reply->element[1]->type == REDIS_REPLY_ARRAY) {
			cursor = g_strdup(reply->element[0]->str);
			redisReply *keys = reply->element[1];
			const char **mget = g_new0(const char *, keys->elements + 1);
			size_t *lens = g_new0(size_t, keys->elements + 1);
			mget[0] = "MGET";
			lens[0] = 4;
			for(size_t i = 0; i < keys->elements; i++) {
				mget[i + 1] = keys->element[i]->str;
				lens[i + 1] = keys->element[i]->len;
			}
			redisReply *values = keys->elements ? redisCommandArgv(redis->command, (int)keys->elements + 1, mget, lens)
				: NULL;
			*ok = keys->elements == 0 || values != NULL;
			for(size_t i = 0; values != NULL && values->type == REDIS_REPLY_ARRAY && i < values->elements &&
					i < keys->elements; i++) {
				json_t *record = listed(spec, keys->element[i], values->element[i]);
				if(record == NULL)
					continue;
				g_hash_table_add(named, g_strdup(json_string_value(json_object_get(record, spec->node_field))));
				json_array_append_new(found, record);
			}
			if(values != NULL)
				freeReplyObject(values);
			g_free(mget);
			g_free(lens);
		}
		if(reply != NULL)
			freeReplyObject(reply);
	} while(*ok && cursor != NULL && strcmp(cursor, "0") != 0);
	g_free(cursor);
	g_free(pattern);
	GHashTable *live = live_nodes(redis, named, ok);
	json_t *list = json_array();
	size_t i;
	json_t *entry;
	json_array_foreach(found, i, entry) {
		if(g_hash_table_contains(live, json_string_value(json_object_get(entry, spec->node_field))))
			json_array_append(list, entry);
	}
	json_decref(found);
	g_hash_table_destroy(live);
	g_hash_table_destroy(named);
	return json_pack("{so}", spec->answer, list);
}

/* Which of the users are registered on another live instance (NULL when the connection failed). */
static GPtrArray *lookup(oicall_cluster_redis *redis, GPtrArray *users) {
	const char **argv = g_new0(const char *, users->len + 1);
	size_t *lens = g_new0(size_t, users->len + 1);
	GPtrArray *keys = g_ptr_array_new_with_free_func(g_free);
	argv[0] = "MGET";
	lens[0] = 4;
	for(guint i = 0; i < users->len; i++) {
		g_ptr_array_add(keys, oicall_cluster_user_key(g_ptr_array_index(users, i)));
		argv[i + 1] = g_ptr_array_index(keys, i);
		lens[i + 1] = strlen(argv[i + 1]);
	}
	redisReply *values = redisCommandArgv(redis->command, (int)users->len + 1, argv, lens);
	GPtrArray *remote = values ? g_ptr_array_new() : NULL;
	for(size_t i = 0; values != NULL && values->type == REDIS_REPLY_ARRAY && i < values->elements && i < users->len; i++) {
		char *node = values->element[i]->type == REDIS_REPLY_STRING ?
			oicall_cluster_elsewhere(values->element[i]->str, redis->node) : NULL;
		if(node == NULL)
			continue;
		/* A dead instance's users are offline, whatever their keys say until they expire. */
		char *key = oicall_cluster_node_key(node);
		const char *exists[] = { "EXISTS", key };
		redisReply *live = run(redis, 2, exists);
		if(live == NULL)
			g_clear_pointer(&remote, g_ptr_array_unref);
		else if(live->type == REDIS_REPLY_INTEGER && live->integer == 1 && remote != NULL)
			g_ptr_array_add(remote, g_ptr_array_index(users, i));
		if(live != NULL)
			freeReplyObject(live);
		g_free(key);
		g_free(node);
	}
	if(values != NULL)
		freeReplyObject(values);
	g_ptr_array_unref(keys);
	g_free(argv);
	g_free(lens);
	return remote;
}

/* FALSE when the connection failed. */
static gboolean run_job(oicall_cluster_redis *redis, job *j) {
	gboolean ok = TRUE;
	if(j->kind == JOB_NODE) {
		char *ttl = ttl_text(OICALL_CLUSTER_NODE_TTL_MS);
		const char *argv[] = { j->record ? "SET" : "DEL", redis->node_key, j->record, "PX", ttl };
		redisReply *reply = run(redis, j->record ? 5 : 2, argv);
		ok = reply != NULL;
		if(reply != NULL)
			freeReplyObject(reply);
		g_free(ttl);
	} else if(j->kind == JOB_PRESENCE) {
		for(guint i = 0; ok && i < j->ops->len; i++)
			ok = run_presence(redis, g_ptr_array_index(j->ops, i));
	} else if(j->kind == JOB_LOOKUP) {
		GPtrArray *remote = lookup(redis, j->users);
		ok = remote != NULL;
		if(ok) {
			j->looked_up(j->data, remote);
			j->looked_up = NULL;
			g_ptr_array_unref(remote);
		}
	} else if(j->kind == JOB_LIST) {
		json_t *list = list_keys(redis, j->list, &ok);
		if(ok)
			oicall_handoff_give(j->answer, list);
		else
			json_decref(list);
	}
	return ok;
}

/* Reads what the channel brought and hands each message on; FALSE when the connection failed. */
static gboolean read_channel(oicall_cluster_redis *redis) {
	if(redisBufferRead(redis->subscriber) != REDIS_OK)
		return FALSE;
	void *next = NULL;
	while(redisGetReplyFromReader(redis->subscriber, &next) == REDIS_OK && next != NULL) {
		redisReply *reply = next;
		/* [ "message", channel, payload ] */
		if(reply->type == REDIS_REPLY_ARRAY && reply->elements == 3 && reply->element[0]->type == REDIS_REPLY_STRING &&
				reply->element[2]->type == REDIS_REPLY_STRING && strcmp(reply->element[0]->str, "message") == 0)
			redis->deliver(g_strndup(reply->element[2]->str, reply->element[2]->len), reply->element[2]->len);
		freeReplyObject(reply);
		next = NULL;
	}
	return redis->subscriber->err == 0;
}

static void *redis_thread(void *data) {
	oicall_cluster_redis *redis = data;
	gboolean told_down = FALSE;
	for(;;) {
		if(redis->command == NULL && connect_both(redis)) {
			JANUS_LOG(LOG_INFO, "[oicall] cluster: connected to Redis%s at %s:%d as %s\n",
				redis->sentinels ? " (the master the Sentinels name)" : "", redis->host, redis->port, redis->node);
			told_down = FALSE;
		} else if(redis->command == NULL && !told_down && redis->sentinels != NULL) {
			JANUS_LOG(LOG_WARN, "[oicall] cluster: no master %s the Sentinels name is reachable (last named: %s:%d), "
				"asking again every second\n", redis->master, redis->host ? redis->host : "none", redis->port);
			told_down = TRUE;
		} else if(redis->command == NULL && !told_down) {
			JANUS_LOG(LOG_WARN, "[oicall] cluster: Redis at %s:%d unreachable, trying again every second\n",
				redis->host, redis->port);
			told_down = TRUE;
		}
		if(redis->command != NULL)
			watch_switches(redis);
		struct pollfd fds[3] = { { .fd = redis->wake, .events = POLLIN }, { .fd = -1, .events = POLLIN },
			{ .fd = -1, .events = POLLIN } };
		if(redis->subscriber != NULL)
			fds[1].fd = redis->subscriber->fd;
		if(redis->watch != NULL)
			fds[2].fd = redis->watch->fd;
		/* Down, this is the second between attempts (a queued job, the exit one included, still wakes us). */
		if(poll(fds, 3, 1000) > 0 && (fds[0].revents & POLLIN)) {
			guint64 count;
			if(read(redis->wake, &count, sizeof(count)) < 0 && errno != EAGAIN)
				JANUS_LOG(LOG_WARN, "[oicall] cluster: wake read failed: %s\n", g_strerror(errno));
		}
		if(fds[1].revents != 0 && !read_channel(redis))
			disconnect(redis);
		if(fds[2].revents != 0 && master_switched(redis) && redis->command != NULL) {
			JANUS_LOG(LOG_INFO, "[oicall] cluster: the Sentinel switched master %s: asking where it is now\n",
				redis->master);
			disconnect(redis);
		}
		job *j;
		gboolean exit = FALSE;
		while((j = g_async_queue_try_pop(redis->jobs)) != NULL) {
			exit = exit || j->kind == JOB_EXIT;
			/* Not connected: dropped (the next refresh writes it again), or answered with an error. */
			if(!exit && redis->command != NULL && !run_job(redis, j))
				disconnect(redis);
			job_free(j);
		}
		if(exit)
			break;
	}
	disconnect(redis);
	g_clear_pointer(&redis->watch, redisFree);
	return NULL;
}

/* ---- the other threads' side ------------------------------------------ */

oicall_cluster_redis *oicall_cluster_redis_start(const char *address, const char *sentinels, const char *master,
		const char *node, oicall_cluster_deliver deliver) {
	oicall_cluster_redis *redis = g_new0(oicall_cluster_redis, 1);
	if(sentinels != NULL) {
		redis->sentinels = oicall_cluster_sentinels_parse(sentinels);
		redis->master = g_strdup(master);
	} else {
		oicall_cluster_redis_address(address, &redis->host, &redis->port);
	}
	redis->node = g_strdup(node);
	redis->node_key = oicall_cluster_node_key(node);
	redis->channel = oicall_cluster_channel(node);
	redis->deliver = deliver;
	redis->jobs = g_async_queue_new_full((GDestroyNotify)job_free);
	redis->wake = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	GError *error = NULL;
	if(redis->wake >= 0)
		redis->thread = g_thread_try_new("oicall redis", redis_thread, redis, &error);
	if(redis->thread == NULL) {
		JANUS_LOG(LOG_ERR, "[oicall] cluster: can't start the Redis thread: %s\n",
			error ? error->message : g_strerror(errno));
		g_clear_error(&error);
		oicall_cluster_redis_stop(redis);
		return NULL;
	}
	return redis;
}

void oicall_cluster_redis_stop(oicall_cluster_redis *redis) {
	if(redis == NULL)
		return;
	if(redis->thread != NULL) {
		job *j = g_new0(job, 1);
		j->kind = JOB_EXIT;
		push_job(redis, j);
		g_thread_join(redis->thread);
	}
	g_async_queue_unref(redis->jobs);
	if(redis->wake >= 0)
		close(redis->wake);
	g_free(redis->host);
	if(redis->sentinels != NULL)
		g_ptr_array_unref(redis->sentinels);
	g_free(redis->master);
	g_free(redis->node);
	g_free(redis->node_key);
	g_free(redis->channel);
	g_free(redis);
}

gboolean oicall_cluster_redis_connected(oicall_cluster_redis *redis) {
	return g_atomic_int_get(&redis->connected);
}

void oicall_cluster_redis_node(oicall_cluster_redis *redis, char *record) {
	job *j = g_new0(job, 1);
	j->kind = JOB_NODE;
	j->record = record;
	push_job(redis, j);
}

void oicall_cluster_redis_presence(oicall_cluster_redis *redis, GPtrArray *ops) {
	job *j = g_new0(job, 1);
	j->kind = JOB_PRESENCE;
	j->ops = ops;
	push_job(redis, j);
}

void oicall_cluster_redis_lookup(oicall_cluster_redis *redis, GPtrArray *users, oicall_cluster_looked_up done,
		void *data) {
	job *j = g_new0(job, 1);
	j->kind = JOB_LOOKUP;
	j->users = users;
	j->looked_up = done;
	j->data = data;
	push_job(redis, j);
}

json_t *oicall_cluster_redis_list(oicall_cluster_redis *redis, gboolean calls) {
	job *j = g_new0(job, 1);
	j->kind = JOB_LIST;
	j->list = calls ? &calls_spec : &users_spec;
	j->answer = oicall_handoff_new();
	oicall_handoff *answer = j->answer;
	push_job(redis, j);
	json_t *result = oicall_handoff_wait(answer, 5 * G_USEC_PER_SEC);
	return result ? result : json_pack("{ss}", "error", "The cluster did not answer within 5 s");
}
