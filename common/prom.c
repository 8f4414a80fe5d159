#include "prom.h"

#include <stdarg.h>
#include <string.h>

static gboolean name_valid(const char *name, gboolean label) {
	if(name == NULL || *name == '\0' || g_ascii_isdigit(*name))
		return FALSE;
	/* Label names starting with __ are Prometheus's own. */
	if(label && g_str_has_prefix(name, "__"))
		return FALSE;
	for(const char *c = name; *c; c++) {
		if(!g_ascii_isalnum(*c) && *c != '_' && (label || *c != ':'))
			return FALSE;
	}
	return TRUE;
}

/* Label values escape \, " and newlines; HELP text \ and newlines. */
static void append_escaped(GString *out, const char *text, gboolean quotes) {
	for(const char *c = text; *c; c++) {
		if(*c == '\\')
			g_string_append(out, "\\\\");
		else if(*c == '\n')
			g_string_append(out, "\\n");
		else if(quotes && *c == '"')
			g_string_append(out, "\\\"");
		else
			g_string_append_c(out, *c);
	}
}

static void append_number(GString *out, double value) {
	/* JSON carries no NaN nor infinity. */
	if(value > -1e15 && value < 1e15 && value == (double)(gint64)value) {
		g_string_append_printf(out, "%.0f", value);
	} else {
		char buffer[G_ASCII_DTOSTR_BUF_SIZE];
		g_string_append(out, g_ascii_formatd(buffer, sizeof(buffer), "%.15g", value));
	}
}

/* {a="x",b="y"} with an extra le="…" for histogram buckets (le NULL: none). */
static gboolean append_labels(GString *out, json_t *labels, const char *le, gboolean *le_taken) {
	if(labels != NULL && !json_is_object(labels))
		return FALSE;
	if(json_object_size(labels) == 0 && le == NULL)
		return TRUE;
	g_string_append_c(out, '{');
	gboolean first = TRUE;
	const char *name;
	json_t *value;
	json_object_foreach(labels, name, value) {
		if(!name_valid(name, TRUE) || !json_is_string(value))
			return FALSE;
		if(strcmp(name, "le") == 0)
			*le_taken = TRUE;
		g_string_append_printf(out, "%s%s=\"", first ? "" : ",", name);
		append_escaped(out, json_string_value(value), TRUE);
		g_string_append_c(out, '"');
		first = FALSE;
	}
	if(le != NULL)
		g_string_append_printf(out, "%sle=\"%s\"", first ? "" : ",", le);
	g_string_append_c(out, '}');
	return TRUE;
}

static gboolean append_sample(GString *out, const char *name, const char *suffix, json_t *labels, const char *le,
		double value) {
	gboolean le_taken = FALSE;
	g_string_append_printf(out, "%s%s", name, suffix);
	if(!append_labels(out, labels, le, &le_taken) || le_taken)
		return FALSE;
	g_string_append_c(out, ' ');
	append_number(out, value);
	g_string_append_c(out, '\n');
	return TRUE;
}

static gboolean append_histogram(GString *out, const char *name, json_t *sample) {
	json_t *labels = json_object_get(sample, "labels"), *bounds = json_object_get(sample, "bounds");
	json_t *counts = json_object_get(sample, "counts"), *sum = json_object_get(sample, "sum");
	if(!json_is_array(bounds) || !json_is_array(counts) || !json_is_number(sum) ||
			json_array_size(counts) != json_array_size(bounds) + 1)
		return FALSE;
	double cumulative = 0, previous = -G_MAXDOUBLE;
	for(gsize i = 0; i <= json_array_size(bounds); i++) {
		json_t *count = json_array_get(counts, i);
		if(!json_is_integer(count) || json_integer_value(count) < 0)
			return FALSE;
		cumulative += (double)json_integer_value(count);
		char le[G_ASCII_DTOSTR_BUF_SIZE] = "+Inf";
		if(i < json_array_size(bounds)) {
			json_t *bound = json_array_get(bounds, i);
			if(!json_is_number(bound) || json_number_value(bound) <= previous)
				return FALSE;
			previous = json_number_value(bound);
			g_ascii_formatd(le, sizeof(le), "%.15g", previous);
		}
		if(!append_sample(out, name, "_bucket", labels, le, cumulative))
			return FALSE;
	}
	return append_sample(out, name, "_sum", labels, NULL, json_number_value(sum)) &&
		append_sample(out, name, "_count", labels, NULL, cumulative);
}

static gboolean append_family(GString *out, json_t *family, GHashTable *seen, char **error) {
	const char *name = json_string_value(json_object_get(family, "name"));
	const char *type = json_string_value(json_object_get(family, "type"));
	const char *help = json_string_value(json_object_get(family, "help"));
	json_t *samples = json_object_get(family, "samples");
	if(!name_valid(name, FALSE)) {
		*error = g_strdup("a metric family without a valid name");
		return FALSE;
	}
	if(g_hash_table_contains(seen, name)) {
		*error = g_strdup_printf("%s: given twice", name);
		return FALSE;
	}
	g_hash_table_add(seen, (gpointer)name);
	gboolean histogram = g_strcmp0(type, "histogram") == 0;
	if(!histogram && g_strcmp0(type, "counter") != 0 && g_strcmp0(type, "gauge") != 0) {
		*error = g_strdup_printf("%s: type must be counter, gauge or histogram", name);
		return FALSE;
	}
	if(help == NULL || !json_is_array(samples)) {
		*error = g_strdup_printf("%s: needs help and samples", name);
		return FALSE;
	}
	g_string_append_printf(out, "# HELP %s ", name);
	append_escaped(out, help, FALSE);
	g_string_append_printf(out, "\n# TYPE %s %s\n", name, type);
	gsize i;
	json_t *sample;
	json_array_foreach(samples, i, sample) {
		json_t *value = json_object_get(sample, "value");
		gboolean ok = histogram ? append_histogram(out, name, sample) :
			json_is_number(value) && append_sample(out, name, "", json_object_get(sample, "labels"), NULL,
				json_number_value(value));
		if(!ok) {
			*error = g_strdup_printf("%s: sample %zu is malformed", name, i);
			return FALSE;
		}
	}
	return TRUE;
}

gboolean oicall_prom_render(GString *out, json_t *families, char **error) {
	if(!json_is_array(families)) {
		*error = g_strdup("metric families must be an array");
		return FALSE;
	}
	gsize start = out->len, i;
	GHashTable *seen = g_hash_table_new(g_str_hash, g_str_equal);
	json_t *family;
	gboolean ok = TRUE;
	json_array_foreach(families, i, family) {
		if(!(ok = append_family(out, family, seen, error)))
			break;
	}
	g_hash_table_destroy(seen);
	if(!ok)
		g_string_truncate(out, start);
	return ok;
}

json_t *oicall_prom_family(const char *name, const char *type, const char *help) {
	return json_pack("{sssssss[]}", "name", name, "type", type, "help", help, "samples");
}

void oicall_prom_sample(json_t *family, double value, ...) {
	json_t *labels = json_object();
	va_list args;
	va_start(args, value);
	const char *name;
	while((name = va_arg(args, const char *)) != NULL)
		json_object_set_new(labels, name, json_string(va_arg(args, const char *)));
	va_end(args);
	json_array_append_new(json_object_get(family, "samples"),
		json_pack("{sosf}", "labels", labels, "value", value));
}

void oicall_prom_histogram_init(oicall_prom_histogram *h, const double *bounds, gsize n_bounds) {
	memset(h, 0, sizeof(*h));
	h->bounds = bounds;
	h->n_bounds = MIN(n_bounds, OICALL_PROM_MAX_BUCKETS);
}

void oicall_prom_histogram_observe(oicall_prom_histogram *h, double value) {
	gsize bucket = 0;
	while(bucket < h->n_bounds && value > h->bounds[bucket])
		bucket++;
	h->counts[bucket]++;
	h->sum += value;
}

void oicall_prom_histogram_sample(json_t *family, const oicall_prom_histogram *h) {
	json_t *bounds = json_array(), *counts = json_array();
	for(gsize i = 0; i < h->n_bounds; i++)
		json_array_append_new(bounds, json_real(h->bounds[i]));
	for(gsize i = 0; i <= h->n_bounds; i++)
		json_array_append_new(counts, json_integer((json_int_t)h->counts[i]));
	json_array_append_new(json_object_get(family, "samples"),
		json_pack("{sososf}", "bounds", bounds, "counts", counts, "sum", h->sum));
}
