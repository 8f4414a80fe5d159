/* Call-start limits: starts a minute, unanswered calls to one callee, pruning. */
#include <glib.h>

#include "../../plugin/call_limits.h"

#define S G_USEC_PER_SEC

/* A start-call to one user. */
static const char *start1(oicall_call_limits *l, const char *caller, const char *callee, gint64 now) {
	char *callees[] = { (char *)callee, NULL };
	return oicall_call_limits_start(l, caller, callees, now);
}

static void test_starts_per_minute(void) {
	oicall_call_limits *l = oicall_call_limits_new(3, 0, 0);
	g_assert_null(start1(l, "a", "b", 0));
	g_assert_null(start1(l, "a", "c", 10 * S));
	g_assert_null(start1(l, "a", "d", 20 * S));
	g_assert_cmpstr(start1(l, "a", "e", 30 * S), ==, "Too many calls: wait a moment");
	g_assert_null(start1(l, "z", "e", 30 * S));     /* others are not held up */
	/* A minute after the first start, one place comes back. */
	g_assert_null(start1(l, "a", "e", 60 * S));
	g_assert_nonnull(start1(l, "a", "e", 61 * S));
	oicall_call_limits_free(l);
}

static void test_unanswered(void) {
	oicall_call_limits *l = oicall_call_limits_new(0, 2, 600 * S);
	g_assert_null(start1(l, "a", "b", 0));
	oicall_call_limits_ended(l, "a", "b", FALSE, 60 * S);
	g_assert_null(start1(l, "a", "b", 61 * S));
	oicall_call_limits_ended(l, "a", "b", FALSE, 120 * S);
	g_assert_cmpstr(start1(l, "a", "b", 121 * S), ==,
		"They did not answer your last calls: try again later");
	/* Only that pair: b may call a, c may call b. */
	g_assert_null(start1(l, "b", "a", 121 * S));
	g_assert_null(start1(l, "c", "b", 121 * S));
	/* The window passes. */
	g_assert_null(start1(l, "a", "b", 661 * S));
	/* An answered call wipes the slate. */
	oicall_call_limits_ended(l, "a", "b", FALSE, 700 * S);
	oicall_call_limits_ended(l, "a", "b", FALSE, 710 * S);
	g_assert_nonnull(start1(l, "a", "b", 711 * S));
	oicall_call_limits_ended(l, "a", "b", TRUE, 712 * S);
	g_assert_null(start1(l, "a", "b", 713 * S));
	oicall_call_limits_free(l);
}

/* A group call counts one start, and is refused if any invitee left the caller's last calls unanswered. */
static void test_group(void) {
	oicall_call_limits *l = oicall_call_limits_new(2, 1, 600 * S);
	char *group[] = { "b", "c", "d", NULL };
	g_assert_null(oicall_call_limits_start(l, "a", group, 0));
	oicall_call_limits_ended(l, "a", "c", FALSE, 1 * S);
	g_assert_cmpstr(oicall_call_limits_start(l, "a", group, 2 * S), ==,
		"They did not answer your last calls: try again later");
	g_assert_null(start1(l, "a", "b", 3 * S));
	g_assert_nonnull(start1(l, "a", "d", 4 * S));   /* two starts this minute already */
	oicall_call_limits_free(l);
}

static void test_off_and_prune(void) {
	oicall_call_limits *l = oicall_call_limits_new(0, 0, 0);
	for(int i = 0; i < 1000; i++) {
		g_assert_null(start1(l, "a", "b", i));
		oicall_call_limits_ended(l, "a", "b", FALSE, i);
	}
	oicall_call_limits_free(l);
	l = oicall_call_limits_new(5, 2, 600 * S);
	g_assert_null(start1(l, "a", "b", 0));
	oicall_call_limits_ended(l, "a", "b", FALSE, 0);
	oicall_call_limits_ended(l, "a", "b", FALSE, 1);
	oicall_call_limits_prune(l, 59 * S);
	g_assert_nonnull(start1(l, "a", "b", 59 * S));
	oicall_call_limits_prune(l, 601 * S);   /* everything expired: forgotten */
	g_assert_null(start1(l, "a", "b", 601 * S));
	oicall_call_limits_free(l);
}

int main(int argc, char **argv) {
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/call-limits/starts-per-minute", test_starts_per_minute);
	g_test_add_func("/call-limits/unanswered", test_unanswered);
	g_test_add_func("/call-limits/group", test_group);
	g_test_add_func("/call-limits/off-and-prune", test_off_and_prune);
	return g_test_run();
}
