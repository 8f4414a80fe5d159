/*
 * The cluster's shared vocabulary (pure: no Redis, no Janus, the caller
 * supplies the clocks): the Redis key names, the JSON of the node and user
 * records and of the messages instances send each other, and the presence
 * bookkeeping that decides which oicall:user keys this instance claims,
 * refreshes or releases (docs/cluster.md).
 */
#ifndef OICALL_CLUSTER_H
#define OICALL_CLUSTER_H

#include <glib.h>
#include <jansson.h>

#define OICALL_CLUSTER_MAX_ID_LEN 64
/* A host name at most (RFC 1035): a Redis's or a Sentinel's, configured or named by a Sentinel. */
#define OICALL_CLUSTER_MAX_HOST_LEN 255
/* What Redis may hand us as one message: far above any message we send. */
#define OICALL_CLUSTER_MAX_MESSAGE_LEN (256 * 1024)
#define OICALL_CLUSTER_NODE_REFRESH_US (2 * G_USEC_PER_SEC)
#define OICALL_CLUSTER_NODE_TTL_MS 6000
#define OICALL_CLUSTER_USER_REFRESH_US (10 * G_USEC_PER_SEC)
#define OICALL_CLUSTER_USER_TTL_MS 30000
/* A call's key: rewritten when it changes (checked at most this often), refreshed as a user's. */
#define OICALL_CLUSTER_CALL_SYNC_US G_USEC_PER_SEC

/* An instance id: 1 to 64 of A-Z a-z 0-9 . _ : - (it goes into key and channel names). */
gboolean oicall_cluster_id_valid(const char *id);

/* cluster.redis: "" (no cluster) or HOST:PORT (a host of at most 255 characters);
 * cluster.instance_id and cluster.sentinel_master: "" or an id (setting checks). */
gboolean oicall_cluster_redis_valid(const char *value, const char **why);
gboolean oicall_cluster_name_valid(const char *value, const char **why);
/* A valid, non-empty cluster.redis's parts (*host: g_free). */
void oicall_cluster_redis_address(const char *value, char **host, int *port);

/* Key and channel names (g_free). */
char *oicall_cluster_node_key(const char *node);
char *oicall_cluster_user_key(const char *user);
char *oicall_cluster_call_key(const char *call_id);
char *oicall_cluster_channel(const char *node);
/* The instance a node key names, or NULL when it is not one (g_free). */
char *oicall_cluster_node_of_key(const char *key);

/* oicall:node:{id}'s value (g_free). */
char *oicall_cluster_node_record(const char *media_address, guint calls, guint peers, gint64 started_at_ms);

/* oicall:user:{userId}'s value (g_free), and its fields back; FALSE when
 * the text is not such a record (the out fields are then untouched). */
char *oicall_cluster_user_record(const char *node, guint64 session, gint64 registered_at_ms);
gboolean oicall_cluster_user_record_parse(const char *text, char **node, guint64 *session, gint64 *registered_at_ms);

/* oicall:call:{callId}'s value (g_free): its host, state, type and the users in it or ringing. */
char *oicall_cluster_call_record(const char *host, const char *state, const char *call_type, const char *const *users,
	guint nusers);

/* A message between instances: { kind, from, ... }. */
typedef enum oicall_cluster_kind {
	OICALL_CLUSTER_REPLACED,    /* { userId, session }: that socket's user registered on `from` since */
} oicall_cluster_kind;

typedef struct oicall_cluster_message {
	oicall_cluster_kind kind;
	char *from;
	char *user;                 /* REPLACED */
	guint64 session;            /* REPLACED: the replaced socket's plugin session on the receiver */
} oicall_cluster_message;

/* The JSON text of a replaced message (g_free). */
char *oicall_cluster_replaced_text(const char *from, const char *user, guint64 session);
/* A message read off a channel, or NULL with *error set (a static string). */
oicall_cluster_message *oicall_cluster_message_parse(const char *text, size_t len, const char **error);
void oicall_cluster_message_free(oicall_cluster_message *message);

/* After this instance claimed a user's key: what the key held before (NULL
 * if nothing) tells whether a socket elsewhere must hear `replaced`. Returns
 * the message's text and sets *channel (both g_free), or NULL. */
char *oicall_cluster_replaced_for(const char *previous, const char *self, const char *user, char **channel);

/* The instance a user's record names when it is not self (g_free), else NULL. */
char *oicall_cluster_elsewhere(const char *record, const char *self);
/* Why a start-call or add-participants is refused after its invitees were
 * looked up (g_free): remote, the users registered on other live instances
 * (NULL: Redis could not be asked). NULL when nothing stands in its way. */
char *oicall_cluster_refusal(GPtrArray *remote);

/* ---- presence: the oicall:user keys this instance owns ---------------- */

typedef enum oicall_presence_op_kind {
	OICALL_PRESENCE_CLAIM,      /* SET the user's key (newest wins), tell its previous owner */
	OICALL_PRESENCE_REFRESH,    /* extend it if still ours, write it again if gone (Redis restarted) */
	OICALL_PRESENCE_RELEASE,    /* delete it if still ours */
	OICALL_PRESENCE_PUT,        /* SET it (a call's key: only its host writes it) */
} oicall_presence_op_kind;

typedef struct oicall_presence_op {
	oicall_presence_op_kind kind;
	char *key;
	char *user;                 /* a user's key's, NULL for a call's */
	char *record;               /* the value this instance wrote */
} oicall_presence_op;

void oicall_presence_op_free(oicall_presence_op *op);
/* An array for ops, freeing them with it. */
GPtrArray *oicall_presence_ops_new(void);

typedef struct oicall_presence oicall_presence;
/* The user's current local session, 0 when offline here. */
typedef guint64 (*oicall_presence_session_of)(void *ctx, const char *user);

oicall_presence *oicall_presence_new(const char *node);
void oicall_presence_free(oicall_presence *presence);
/* A local session registered user (now: monotonic µs, wall_ms: its registeredAt). */
void oicall_presence_registered(oicall_presence *presence, const char *user, guint64 session, gint64 now,
	gint64 wall_ms, GPtrArray *ops);
/* Users no longer on the session they registered with here are released;
 * the others' keys are refreshed when due. */
void oicall_presence_tick(oicall_presence *presence, oicall_presence_session_of session_of, void *ctx, gint64 now,
	GPtrArray *ops);
/* This instance stops: every key it holds is released. */
void oicall_presence_release_all(oicall_presence *presence, GPtrArray *ops);
/* The user registered on another instance: its key is that one's now. */
void oicall_presence_lost(oicall_presence *presence, const char *user);
guint oicall_presence_count(oicall_presence *presence);

/* ---- the oicall:call keys of the calls this instance hosts ------------ */

typedef struct oicall_call_keys oicall_call_keys;
oicall_call_keys *oicall_call_keys_new(void);
void oicall_call_keys_free(oicall_call_keys *keys);
/* current: callId → record of the calls here now (borrowed). New and changed
 * calls are put, the others refreshed when due; calls gone are released. */
void oicall_call_keys_sync(oicall_call_keys *keys, GHashTable *current, gint64 now, GPtrArray *ops);
void oicall_call_keys_release_all(oicall_call_keys *keys, GPtrArray *ops);

#endif
