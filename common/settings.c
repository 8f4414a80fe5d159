#include "settings.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define FIELD(target, spec, type) ((type *)((char *)(target) + (spec)->offset))

static gboolean parse_bool(const char *value, gboolean *out) {
	static const char *truthy[] = { "true", "yes", "1", "on" };
	static const char *falsy[] = { "false", "no", "0", "off" };
	for(size_t i = 0; i < G_N_ELEMENTS(truthy); i++) {
		if(g_ascii_strcasecmp(value, truthy[i]) == 0) {
			*out = TRUE;
			return TRUE;
		}
		if(g_ascii_strcasecmp(value, falsy[i]) == 0) {
			*out = FALSE;
			return TRUE;
		}
	}
	return FALSE;
}

static gboolean parse_uint(const char *value, guint64 min, guint64 max, guint64 *out) {
	if(!g_ascii_isdigit(value[0]))
		return FALSE;
	errno = 0;
	char *end = NULL;
	guint64 parsed = g_ascii_strtoull(value, &end, 10);
	if(errno != 0 || end == value || *end != '\0' || parsed < min || parsed > max)
		return FALSE;
	*out = parsed;
	return TRUE;
}

gboolean oicall_settings_set(const oicall_setting_spec *spec, void *target, const char *value,
		char **error) {
	if(value == NULL) {
		*error = g_strdup_printf("%s: no value", spec->name);
		return FALSE;
	}
	switch(spec->type) {
		case OICALL_SETTING_BOOL: {
			gboolean parsed;
			if(!parse_bool(value, &parsed)) {
				*error = g_strdup_printf("%s: '%s' is not a boolean", spec->name, value);
				return FALSE;
			}
			*FIELD(target, spec, gboolean) = parsed;
			return TRUE;
		}
		case OICALL_SETTING_UINT: {
			guint64 parsed;
			if(!parse_uint(value, spec->min, spec->max, &parsed)) {
				*error = g_strdup_printf("%s: '%s' is not a whole number from %" G_GUINT64_FORMAT
					" to %" G_GUINT64_FORMAT, spec->name, value, spec->min, spec->max);
				return FALSE;
			}
			*FIELD(target, spec, guint64) = parsed;
			return TRUE;
		}
		case OICALL_SETTING_STRING: {
			const char *why = NULL;
			if(spec->check != NULL && !spec->check(value, &why)) {
				*error = g_strdup_printf("%s: '%s' %s", spec->name, value, why ? why : "is invalid");
				return FALSE;
			}
			char **field = FIELD(target, spec, char *);
			g_free(*field);
			*field = g_strdup(value);
			return TRUE;
		}
	}
	*error = g_strdup_printf("%s: unknown setting type", spec->name);
	return FALSE;
}

void oicall_settings_defaults(const oicall_setting_spec *specs, size_t count, void *target) {
	for(size_t i = 0; i < count; i++) {
		char *error = NULL;
		/* Defaults are compile-time constants that the unit tests check parse. */
		if(!oicall_settings_set(&specs[i], target, specs[i].default_value, &error))
			g_error("bad default: %s", error);
	}
}

const oicall_setting_spec *oicall_settings_find(const oicall_setting_spec *specs, size_t count,
		const char *category, const char *name) {
	for(size_t i = 0; i < count; i++) {
		if(strcmp(specs[i].category, category) == 0 && strcmp(specs[i].name, name) == 0)
			return &specs[i];
	}
	return NULL;
}

gboolean oicall_settings_has_category(const oicall_setting_spec *specs, size_t count,
		const char *category) {
	for(size_t i = 0; i < count; i++) {
		if(strcmp(specs[i].category, category) == 0)
			return TRUE;
	}
	return FALSE;
}

void oicall_settings_clear(const oicall_setting_spec *specs, size_t count, void *target) {
	for(size_t i = 0; i < count; i++) {
		if(specs[i].type == OICALL_SETTING_STRING) {
			char **field = FIELD(target, &specs[i], char *);
			g_free(*field);
			*field = NULL;
		}
	}
}
