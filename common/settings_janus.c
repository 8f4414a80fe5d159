#include "settings_janus.h"

#include <janus/config.h>
#include <janus/debug.h>

static void load_category(janus_config *config, janus_config_category *category, const char *package,
		const oicall_setting_spec *specs, size_t count, void *target) {
	GList *items = janus_config_get_items(config, category);
	for(GList *l = items; l != NULL; l = l->next) {
		janus_config_item *item = l->data;
		if(item->type != janus_config_type_item || item->name == NULL)
			continue;
		const oicall_setting_spec *spec = oicall_settings_find(specs, count, category->name, item->name);
		if(spec == NULL) {
			JANUS_LOG(LOG_WARN, "%s: unknown option %s.%s ignored\n", package, category->name, item->name);
			continue;
		}
		char *error = NULL;
		if(!oicall_settings_set(spec, target, item->value, &error)) {
			/* The message quotes the value, so it is only logged for non-secrets. */
			if(spec->secret)
				JANUS_LOG(LOG_WARN, "%s: invalid %s.%s, using the default\n", package, category->name, spec->name);
			else
				JANUS_LOG(LOG_WARN, "%s: invalid %s.%s, using the default (%s)\n", package, category->name,
					spec->name, error);
			g_free(error);
		}
	}
	g_list_free(items);
}

void oicall_settings_load(const char *config_path, const char *package,
		const oicall_setting_spec *specs, size_t count, void *target) {
	oicall_settings_defaults(specs, count, target);
	char *filename = g_strdup_printf("%s/%s.jcfg", config_path, package);
	janus_config *config = janus_config_parse(filename);
	if(config == NULL) {
		JANUS_LOG(LOG_WARN, "%s: no usable %s, running on defaults\n", package, filename);
		g_free(filename);
		return;
	}
	g_free(filename);
	GList *categories = janus_config_get_categories(config, NULL);
	for(GList *l = categories; l != NULL; l = l->next) {
		janus_config_category *category = l->data;
		if(category->name == NULL || !oicall_settings_has_category(specs, count, category->name)) {
			JANUS_LOG(LOG_WARN, "%s: unknown section %s ignored\n", package,
				category->name ? category->name : "(unnamed)");
			continue;
		}
		load_category(config, category, package, specs, count, target);
	}
	g_list_free(categories);
	/* Items outside any category are unknown too. */
	GList *items = janus_config_get_items(config, NULL);
	for(GList *l = items; l != NULL; l = l->next) {
		janus_config_item *item = l->data;
		JANUS_LOG(LOG_WARN, "%s: option %s outside any section ignored\n", package,
			item->name ? item->name : "(unnamed)");
	}
	g_list_free(items);
	janus_config_destroy(config);
}

char *oicall_settings_peek(const char *config_path, const char *package, const char *category, const char *name) {
	char *filename = g_strdup_printf("%s/%s.jcfg", config_path, package);
	janus_config *config = g_file_test(filename, G_FILE_TEST_IS_REGULAR) ? janus_config_parse(filename) : NULL;
	g_free(filename);
	if(config == NULL)
		return NULL;
	janus_config_category *c = janus_config_get(config, NULL, janus_config_type_category, category);
	janus_config_item *item = c ? janus_config_get(config, c, janus_config_type_item, name) : NULL;
	char *value = item != NULL && item->value != NULL ? g_strdup(item->value) : NULL;
	janus_config_destroy(config);
	return value;
}
