/* Prometheus text format: families, labels and their escaping, histograms, bad input. */
#include <glib.h>
#include <string.h>

#include "../../common/prom.h"

static char *render(json_t *families) {
	GString *out = g_string_new("# before\n");
	char *error = NULL;
	gboolean ok = oicall_prom_render(out, families, &error);
	json_decref(families);
	if(!ok) {
		/* Nothing of a refused rendering is left behind. */
		g_assert_cmpstr(out->str, ==, "# before\n");
		g_string_free(out, TRUE);
		return error;
	}
	g_assert_null(error);
	char *text = g_strdup(out->str + strlen("# before\n"));
	g_string_free(out, TRUE);
	return text;
}

static void test_counter_and_gauge(void) {
	json_t *users = oicall_prom_family("oicall_users_online", "gauge", "Users registered now.");
	oicall_prom_sample(users, 3, NULL);
	json_t *acks = oicall_prom_family("oicall_acks_total", "counter", "Acks sent.");
	oicall_prom_sample(acks, 12, "event", "register", "result", "ok", NULL);
	oicall_prom_sample(acks, 0.25, "event", "start-call", "result", "error", NULL);
	char *text = render(json_pack("[oo]", users, acks));
	g_assert_cmpstr(text, ==,
		"# HELP oicall_users_online Users registered now.\n"
		"# TYPE oicall_users_online gauge\n"
		"oicall_users_online 3\n"
		"# HELP oicall_acks_total Acks sent.\n"
		"# TYPE oicall_acks_total counter\n"
		"oicall_acks_total{event=\"register\",result=\"ok\"} 12\n"
		"oicall_acks_total{event=\"start-call\",result=\"error\"} 0.25\n");
	g_free(text);
}

static void test_escaping(void) {
	json_t *f = oicall_prom_family("x", "gauge", "Back\\slash and\nnewline \"quoted\".");
	oicall_prom_sample(f, 1, "error", "say \"no\"\\\nnow", NULL);
	char *text = render(json_pack("[o]", f));
	g_assert_cmpstr(text, ==,
		"# HELP x Back\\\\slash and\\nnewline \"quoted\".\n"
		"# TYPE x gauge\n"
		"x{error=\"say \\\"no\\\"\\\\\\nnow\"} 1\n");
	g_free(text);
}

static void test_histogram(void) {
	static const double bounds[] = { 0.1, 0.5, 1 };
	oicall_prom_histogram h;
	oicall_prom_histogram_init(&h, bounds, G_N_ELEMENTS(bounds));
	oicall_prom_histogram_observe(&h, 0.05);
	oicall_prom_histogram_observe(&h, 0.1);     /* le is inclusive */
	oicall_prom_histogram_observe(&h, 0.3);
	oicall_prom_histogram_observe(&h, 7);
	json_t *f = oicall_prom_family("oicall_call_setup_seconds", "histogram", "Setup time.");
	oicall_prom_histogram_sample(f, &h);
	char *text = render(json_pack("[o]", f));
	g_assert_cmpstr(text, ==,
		"# HELP oicall_call_setup_seconds Setup time.\n"
		"# TYPE oicall_call_setup_seconds histogram\n"
		"oicall_call_setup_seconds_bucket{le=\"0.1\"} 2\n"
		"oicall_call_setup_seconds_bucket{le=\"0.5\"} 3\n"
		"oicall_call_setup_seconds_bucket{le=\"1\"} 3\n"
		"oicall_call_setup_seconds_bucket{le=\"+Inf\"} 4\n"
		"oicall_call_setup_seconds_sum 7.45\n"
		"oicall_call_setup_seconds_count 4\n");
	g_free(text);
}

static void test_empty_family_and_list(void) {
	char *text = render(json_pack("[o]", oicall_prom_family("oicall_producers", "gauge", "Producers.")));
	g_assert_cmpstr(text, ==, "# HELP oicall_producers Producers.\n# TYPE oicall_producers gauge\n");
	g_free(text);
	text = render(json_array());
	g_assert_cmpstr(text, ==, "");
	g_free(text);
}

static void expect_refused(json_t *families, const char *error) {
	char *text = render(families);
	g_assert_cmpstr(text, ==, error);
	g_free(text);
}

static void test_refused(void) {
	expect_refused(json_object(), "metric families must be an array");
	expect_refused(json_pack("[o]", oicall_prom_family("1abc", "gauge", "h")), "a metric family without a valid name");
	expect_refused(json_pack("[o]", oicall_prom_family("a-b", "gauge", "h")), "a metric family without a valid name");
	expect_refused(json_pack("[oo]", oicall_prom_family("a", "gauge", "h"), oicall_prom_family("a", "gauge", "h")),
		"a: given twice");
	expect_refused(json_pack("[o]", oicall_prom_family("a", "summary", "h")), "a: type must be counter, gauge or histogram");
	expect_refused(json_pack("[{ssss}]", "name", "a", "type", "gauge"), "a: needs help and samples");
	json_t *f = oicall_prom_family("a", "gauge", "h");
	oicall_prom_sample(f, 1, "__reserved", "x", NULL);
	expect_refused(json_pack("[o]", f), "a: sample 0 is malformed");
	f = oicall_prom_family("a", "gauge", "h");
	oicall_prom_sample(f, 1, "ok", "x", NULL);
	oicall_prom_sample(f, 1, "bad-name", "x", NULL);
	expect_refused(json_pack("[o]", f), "a: sample 1 is malformed");
	f = oicall_prom_family("a", "counter", "h");
	json_array_append_new(json_object_get(f, "samples"), json_pack("{ss}", "value", "12"));
	expect_refused(json_pack("[o]", f), "a: sample 0 is malformed");
	f = oicall_prom_family("a", "histogram", "h");
	oicall_prom_sample(f, 1, "le", "1", NULL);
	expect_refused(json_pack("[o]", f), "a: sample 0 is malformed");
	/* Bounds must ascend, counts be one more than bounds. */
	f = oicall_prom_family("a", "histogram", "h");
	json_array_append_new(json_object_get(f, "samples"), json_pack("{s[ff]s[iii]sf}", "bounds", 1.0, 0.5,
		"counts", 1, 1, 1, "sum", 1.0));
	expect_refused(json_pack("[o]", f), "a: sample 0 is malformed");
	f = oicall_prom_family("a", "histogram", "h");
	json_array_append_new(json_object_get(f, "samples"), json_pack("{s[f]s[i]sf}", "bounds", 1.0, "counts", 1, "sum", 1.0));
	expect_refused(json_pack("[o]", f), "a: sample 0 is malformed");
}

int main(int argc, char **argv) {
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/prom/counter-and-gauge", test_counter_and_gauge);
	g_test_add_func("/prom/escaping", test_escaping);
	g_test_add_func("/prom/histogram", test_histogram);
	g_test_add_func("/prom/empty", test_empty_family_and_list);
	g_test_add_func("/prom/refused", test_refused);
	return g_test_run();
}
