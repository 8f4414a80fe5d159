/*
 * Prometheus's text exposition format (version 0.0.4), pure. Metric
 * families are described as JSON so that one module can hand its own to
 * another as data (the plugin's reach the transport, which serves them):
 *
 *   { "name": "oicall_calls", "type": "gauge" | "counter" | "histogram",
 *     "help": "…", "samples": [ SAMPLE, … ] }
 *
 * A counter's or gauge's SAMPLE is { "labels": { name: value }?, "value": number };
 * a histogram's is { "labels"?, "bounds": [upper bounds, ascending],
 * "counts": [observations per bucket, one more than bounds: the last is
 * above every bound], "sum": number } (oicall_prom_histogram makes one).
 */
#ifndef OICALL_PROM_H
#define OICALL_PROM_H

#include <glib.h>
#include <jansson.h>

#define OICALL_PROM_MAX_BUCKETS 16

/* Appends the families (a JSON array) to out. FALSE, with *error set (free
 * it) and out unchanged, if any family is malformed: a bad or repeated
 * name, an unknown type, a bad label name, a value that is not a number. */
gboolean oicall_prom_render(GString *out, json_t *families, char **error);

/* A family with no samples yet (new reference); add them with the helpers below. */
json_t *oicall_prom_family(const char *name, const char *type, const char *help);
/* Adds a counter's or gauge's sample: labels as NULL-terminated name, value pairs. */
void oicall_prom_sample(json_t *family, double value, ...) G_GNUC_NULL_TERMINATED;

/* Observations counted into fixed buckets. */
typedef struct oicall_prom_histogram {
	const double *bounds;
	gsize n_bounds;             /* at most OICALL_PROM_MAX_BUCKETS */
	guint64 counts[OICALL_PROM_MAX_BUCKETS + 1];
	double sum;
} oicall_prom_histogram;

void oicall_prom_histogram_init(oicall_prom_histogram *h, const double *bounds, gsize n_bounds);
void oicall_prom_histogram_observe(oicall_prom_histogram *h, double value);
/* Adds the histogram as a sample (no labels) of a histogram family. */
void oicall_prom_histogram_sample(json_t *family, const oicall_prom_histogram *h);

#endif
