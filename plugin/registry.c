#include "registry.h"

#include <string.h>

struct oicall_registry {
	GHashTable *current;        /* user → current session (guint64 in a pointer-sized box) */
	GHashTable *user_of;        /* session → user (owned strings) */
};

static guint64 *box(guint64 value) {
	guint64 *boxed = g_new(guint64, 1);
	*boxed = value;
	return boxed;
}

oicall_registry *oicall_registry_new(void) {
	oicall_registry *registry = g_new0(oicall_registry, 1);
	registry->current = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	registry->user_of = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, g_free);
	return registry;
}

void oicall_registry_free(oicall_registry *registry) {
	if(registry == NULL)
		return;
	g_hash_table_destroy(registry->current);
	g_hash_table_destroy(registry->user_of);
	g_free(registry);
}

char *oicall_user_id_from_json(json_t *value, const char **error) {
	if(json_is_integer(value))
		return g_strdup_printf("%" JSON_INTEGER_FORMAT, json_integer_value(value));
	if(json_is_real(value)) {
		/* JavaScript has one number type: 42.0 is 42. */
		double number = json_real_value(value);
		if(number == (double)(gint64)number && number > -9007199254740992.0 && number < 9007199254740992.0)
			return g_strdup_printf("%" G_GINT64_FORMAT, (gint64)number);
		*error = "must be a whole number or a string";
		return NULL;
	}
	if(!json_is_string(value)) {
		*error = value == NULL ? "is missing" : "must be a string or a number";
		return NULL;
	}
	const char *text = json_string_value(value);
	gsize len = json_string_length(value);
	if(len == 0 || len > OICALL_MAX_USER_ID_LEN || strlen(text) != len) {
		*error = "must be 1 to 128 characters";
		return NULL;
	}
	return g_strdup(text);
}

guint64 oicall_registry_bind(oicall_registry *registry, const char *user, guint64 session) {
	const char *old_user = g_hash_table_lookup(registry->user_of, &session);
	if(old_user != NULL && strcmp(old_user, user) != 0 && oicall_registry_session_of(registry, old_user) == session)
		g_hash_table_remove(registry->current, old_user);
	guint64 *previous = g_hash_table_lookup(registry->current, user);
	guint64 replaced = previous && *previous != session ? *previous : 0;
	g_hash_table_insert(registry->current, g_strdup(user), box(session));
	g_hash_table_insert(registry->user_of, box(session), g_strdup(user));
	return replaced;
}

const char *oicall_registry_user_of(oicall_registry *registry, guint64 session) {
	return g_hash_table_lookup(registry->user_of, &session);
}

guint64 oicall_registry_session_of(oicall_registry *registry, const char *user) {
	guint64 *session = g_hash_table_lookup(registry->current, user);
	return session ? *session : 0;
}

gboolean oicall_registry_unbind(oicall_registry *registry, guint64 session) {
	const char *user = g_hash_table_lookup(registry->user_of, &session);
	if(user == NULL)
		return FALSE;
	gboolean current = oicall_registry_session_of(registry, user) == session;
	if(current)
		g_hash_table_remove(registry->current, user);
	g_hash_table_remove(registry->user_of, &session);
	return current;
}

GList *oicall_registry_online(oicall_registry *registry) {
	return g_list_sort(g_hash_table_get_keys(registry->current), (GCompareFunc)strcmp);
}

guint oicall_registry_count(oicall_registry *registry) {
	return g_hash_table_size(registry->current);
}
