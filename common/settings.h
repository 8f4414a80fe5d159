/*
 * Table-driven module settings: every option a module accepts, its type,
 * default and bounds, in one place. Pure (no Janus calls) so that the
 * validation rules are unit-tested; the Janus glue feeds it the strings it
 * reads through janus_config and logs what this module rejects.
 */
#ifndef OICALL_SETTINGS_H
#define OICALL_SETTINGS_H

#include <glib.h>
#include <stddef.h>

typedef enum oicall_setting_type {
	OICALL_SETTING_BOOL,
	OICALL_SETTING_UINT,
	OICALL_SETTING_STRING,
} oicall_setting_type;

/* Extra check for a string setting: return FALSE (and set *why) to reject. */
typedef gboolean (*oicall_setting_check)(const char *value, const char **why);

typedef struct oicall_setting_spec {
	const char *category;           /* jcfg category, e.g. "general" */
	const char *name;
	oicall_setting_type type;
	const char *default_value;
	guint64 min, max;               /* bounds for OICALL_SETTING_UINT */
	size_t offset;                  /* field in the target struct */
	oicall_setting_check check;     /* optional, strings only */
	gboolean secret;                /* never echo its value in a log line */
} oicall_setting_spec;

/* Fields: OICALL_SETTING_BOOL → gboolean, UINT → guint64, STRING → char * (owned). */

/* Fill every field of target with its default. */
void oicall_settings_defaults(const oicall_setting_spec *specs, size_t count, void *target);

/* Find the spec for an option, NULL if the option is unknown. */
const oicall_setting_spec *oicall_settings_find(const oicall_setting_spec *specs, size_t count,
	const char *category, const char *name);

/* Whether any spec lives in this category. */
gboolean oicall_settings_has_category(const oicall_setting_spec *specs, size_t count,
	const char *category);

/* Parse value into the spec's field. On error the field is left as it was
 * and *error holds a message for the log (free with g_free). */
gboolean oicall_settings_set(const oicall_setting_spec *spec, void *target, const char *value,
	char **error);

/* Free the string fields. */
void oicall_settings_clear(const oicall_setting_spec *specs, size_t count, void *target);

#endif
