/* An answer handed from one thread to another that waits (plugin/handoff.c). */
#include <glib.h>

#include "../../plugin/handoff.h"

static gpointer give_later(gpointer data) {
	g_usleep(20000);
	oicall_handoff_give(data, json_pack("{si}", "n", 1));
	oicall_handoff_unref(data);
	return NULL;
}

static void test_given_while_waiting(void) {
	oicall_handoff *handoff = oicall_handoff_new();
	GThread *giver = g_thread_new("giver", give_later, handoff);
	json_t *answer = oicall_handoff_wait(handoff, 5 * G_USEC_PER_SEC);
	g_assert_nonnull(answer);
	g_assert_cmpint(json_integer_value(json_object_get(answer, "n")), ==, 1);
	json_decref(answer);
	g_thread_join(giver);
}

static void test_given_before_waiting(void) {
	oicall_handoff *handoff = oicall_handoff_new();
	oicall_handoff_give(handoff, json_pack("{si}", "n", 1));
	/* A second answer is dropped (freed), the first stays. */
	oicall_handoff_give(handoff, json_pack("{si}", "n", 2));
	oicall_handoff_unref(handoff);
	json_t *answer = oicall_handoff_wait(handoff, 0);
	g_assert_cmpint(json_integer_value(json_object_get(answer, "n")), ==, 1);
	json_decref(answer);
}

static void test_waiter_gives_up(void) {
	oicall_handoff *handoff = oicall_handoff_new();
	gint64 start = g_get_monotonic_time();
	g_assert_null(oicall_handoff_wait(handoff, 30000));
	g_assert_cmpint(g_get_monotonic_time() - start, >=, 30000);
	/* The giver comes late and frees what is left. */
	oicall_handoff_give(handoff, json_pack("{si}", "n", 1));
	oicall_handoff_unref(handoff);
}

int main(int argc, char **argv) {
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/handoff/given-while-waiting", test_given_while_waiting);
	g_test_add_func("/handoff/given-before-waiting", test_given_before_waiting);
	g_test_add_func("/handoff/waiter-gives-up", test_waiter_gives_up);
	return g_test_run();
}
