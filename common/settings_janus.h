/* Reads a module's <package>.jcfg through Janus's config API into a settings table. */
#ifndef OICALL_SETTINGS_JANUS_H
#define OICALL_SETTINGS_JANUS_H

#include "settings.h"

/* Defaults first, then every value found in config_path/<package>.jcfg.
 * Unknown options and invalid values are logged and ignored (the default
 * stays). Values are never logged for options whose name says they are
 * secret. A missing file is not an error: the module runs on defaults. */
void oicall_settings_load(const char *config_path, const char *package,
	const oicall_setting_spec *specs, size_t count, void *target);

/* One value of another module's config_path/<package>.jcfg (the core's
 * "janus" included), as it is written there: g_free it; NULL if the file,
 * the category or the item is missing. Never logged: it may be a secret. */
char *oicall_settings_peek(const char *config_path, const char *package, const char *category, const char *name);

#endif
