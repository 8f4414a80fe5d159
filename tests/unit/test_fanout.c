/* One producer fanned out to many consumers: the forward sets, the per-forward
 * keyframe gate, the receivers' REMB and the keyframe-request rate limit. */
#include <glib.h>

#include "../../plugin/fanout.h"
#include "../../plugin/session.h"

#define MS 1000
#define S G_USEC_PER_SEC

/* Stand-ins for sessions: only their addresses are compared. */
static oicall_session targets[OICALL_MAX_FORWARDS + 1];
static int released;

static void count_release(oicall_forward *forward) {
	(void)forward;
	released++;
}

static oicall_forward *forward_to(int target, int target_mindex, int kind) {
	oicall_forward *forward = oicall_forward_new(count_release, kind, NULL, FALSE);
	forward->target = &targets[target];
	forward->target_mindex = target_mindex;
	return forward;
}

static void test_add_replace_remove(void) {
	released = 0;
	oicall_forward *a = forward_to(0, 1, OICALL_VIDEO), *b = forward_to(1, 1, OICALL_VIDEO),
		*b2 = forward_to(1, 2, OICALL_VIDEO), *a_again = forward_to(0, 1, OICALL_VIDEO);
	oicall_fanout *one = oicall_fanout_with(NULL, a);
	oicall_fanout *two = oicall_fanout_with(one, b);
	oicall_fanout *three = oicall_fanout_with(two, b2);    /* same target, another m-line: a third consumer */
	g_assert_cmpuint(one->len, ==, 1);
	g_assert_cmpuint(two->len, ==, 2);
	g_assert_cmpuint(three->len, ==, 3);
	g_assert_true(oicall_fanout_find(three, &targets[1], 2) == b2);
	g_assert_null(oicall_fanout_find(three, &targets[2], 1));
	/* A forward to a target m-line already fed replaces that one only, in place. */
	oicall_fanout *replaced = oicall_fanout_with(three, a_again);
	g_assert_cmpuint(replaced->len, ==, 3);
	g_assert_true(replaced->forwards[0] == a_again);
	g_assert_true(oicall_fanout_has(replaced, b) && oicall_fanout_has(replaced, b2));
	g_assert_false(oicall_fanout_has(replaced, a));
	/* Published sets never change: whoever walks one keeps what it had. */
	g_assert_true(three->forwards[0] == a);
	oicall_fanout *less = oicall_fanout_without(replaced, b);
	g_assert_cmpuint(less->len, ==, 2);
	g_assert_false(oicall_fanout_has(less, b));
	g_assert_true(oicall_fanout_has(less, a_again) && oicall_fanout_has(less, b2));
	oicall_fanout *last = oicall_fanout_without(less, a_again);
	g_assert_null(oicall_fanout_without(last, b2));
	g_assert_true(oicall_fanout_without(NULL, b2) == NULL);
	oicall_forward_unref(a);
	oicall_forward_unref(b);
	oicall_forward_unref(b2);
	oicall_forward_unref(a_again);
	g_assert_cmpint(released, ==, 0);   /* the sets hold them */
	oicall_fanout *sets[] = { one, two, three, replaced, less };
	for(guint i = 0; i < G_N_ELEMENTS(sets); i++)
		oicall_fanout_unref(sets[i]);
	g_assert_cmpint(released, ==, 3);
	oicall_fanout_unref(last);          /* the last one held b2 */
	g_assert_cmpint(released, ==, 4);
}

static void test_full(void) {
	released = 0;
	oicall_fanout *set = NULL;
	for(int i = 0; i < OICALL_MAX_FORWARDS; i++) {
		oicall_forward *forward = forward_to(i, 1, OICALL_AUDIO);
		oicall_fanout *more = oicall_fanout_with(set, forward);
		g_assert_nonnull(more);
		oicall_fanout_unref(set);
		oicall_forward_unref(forward);
		set = more;
	}
	g_assert_cmpuint(set->len, ==, OICALL_MAX_FORWARDS);
	oicall_forward *extra = forward_to(OICALL_MAX_FORWARDS, 1, OICALL_AUDIO);
	g_assert_null(oicall_fanout_with(set, extra));
	/* Replacing one still works when full. */
	oicall_forward *again = forward_to(3, 1, OICALL_AUDIO);
	oicall_fanout *swapped = oicall_fanout_with(set, again);
	g_assert_nonnull(swapped);
	g_assert_true(swapped->forwards[3] == again);
	oicall_forward_unref(extra);
	oicall_forward_unref(again);
	oicall_fanout_unref(set);
	oicall_fanout_unref(swapped);
	g_assert_cmpint(released, ==, OICALL_MAX_FORWARDS + 2);
}

static void test_payload_map(void) {
	int map[128];
	for(int pt = 0; pt < 128; pt++)
		map[pt] = -1;
	map[96] = 100;
	oicall_forward *mapped = oicall_forward_new(NULL, OICALL_VIDEO, map, TRUE);
	oicall_forward *plain = oicall_forward_new(NULL, OICALL_VIDEO, NULL, FALSE);
	g_assert_cmpint(mapped->pt_map[96], ==, 100);
	g_assert_cmpint(mapped->pt_map[97], ==, -1);
	g_assert_cmpint(plain->pt_map[97], ==, 97);
	g_assert_cmpint(atomic_load(&mapped->paused), ==, 1);
	g_assert_cmpint(atomic_load(&plain->paused), ==, 0);
	oicall_forward_unref(mapped);
	oicall_forward_unref(plain);
}

/* A consumer that resumes waits for a keyframe; the others keep receiving. */
static void test_keyframe_wait_is_per_forward(void) {
	gint64 now = 100 * S;
	oicall_forward *flowing = forward_to(0, 1, OICALL_VIDEO), *resumed = forward_to(1, 1, OICALL_VIDEO);
	oicall_forward *audio = forward_to(2, 1, OICALL_AUDIO);
	oicall_forward_resume(resumed, now);
	oicall_forward_resume(audio, now);
	g_assert_true(oicall_forward_waiting(resumed));
	g_assert_false(oicall_forward_waiting(flowing));
	g_assert_false(oicall_forward_waiting(audio));      /* audio never waits */
	g_assert_cmpint(atomic_load(&resumed->resume), ==, 1);
	g_assert_cmpint(oicall_forward_gate(flowing, FALSE, now + 10 * MS), ==, OICALL_GATE_PASS);
	g_assert_cmpint(oicall_forward_gate(audio, FALSE, now + 10 * MS), ==, OICALL_GATE_PASS);
	g_assert_cmpint(oicall_forward_gate(resumed, FALSE, now + 10 * MS), ==, OICALL_GATE_WAIT);
	/* Asked again every half second while nothing comes... */
	g_assert_cmpint(oicall_forward_gate(resumed, FALSE, now + 500 * MS), ==, OICALL_GATE_ASK);
	g_assert_cmpint(oicall_forward_gate(resumed, FALSE, now + 600 * MS), ==, OICALL_GATE_WAIT);
	g_assert_cmpint(oicall_forward_gate(resumed, FALSE, now + 1000 * MS), ==, OICALL_GATE_ASK);
	/* ... and the keyframe lets it through, and what follows. */
	g_assert_cmpint(oicall_forward_gate(resumed, TRUE, now + 1100 * MS), ==, OICALL_GATE_PASS);
	g_assert_false(oicall_forward_waiting(resumed));
	g_assert_cmpint(oicall_forward_gate(resumed, FALSE, now + 1110 * MS), ==, OICALL_GATE_PASS);
	/* A sender that never says keyframe (or one we can't tell) flows after 3 s. */
	oicall_forward_wait_keyframe(flowing, now);
	g_assert_cmpint(oicall_forward_gate(flowing, FALSE, now + 2900 * MS), !=, OICALL_GATE_PASS);
	g_assert_cmpint(oicall_forward_gate(flowing, FALSE, now + 3 * S), ==, OICALL_GATE_PASS);
	oicall_forward_unref(flowing);
	oicall_forward_unref(resumed);
	oicall_forward_unref(audio);
}

/* The sender hears the lowest recent estimate of the receivers that receive. */
static void test_remb_lowest(void) {
	gint64 now = 100 * S;
	oicall_forward *a = forward_to(0, 1, OICALL_VIDEO), *b = forward_to(1, 1, OICALL_VIDEO), *c = forward_to(2, 1, OICALL_VIDEO);
	oicall_fanout *ab = oicall_fanout_with(NULL, a), *set = oicall_fanout_with(ab, b), *abc = oicall_fanout_with(set, c);
	g_assert_cmpuint(oicall_fanout_remb(abc, now), ==, 0);     /* nobody said anything yet */
	atomic_store(&a->remb, 2000000);
	atomic_store(&a->remb_us, now);
	g_assert_cmpuint(oicall_fanout_remb(abc, now), ==, 2000000);
	atomic_store(&b->remb, 300000);
	atomic_store(&b->remb_us, now - 4 * S);
	atomic_store(&c->remb, 1000000);
	atomic_store(&c->remb_us, now);
	g_assert_cmpuint(oicall_fanout_remb(abc, now), ==, 300000);
	/* A paused consumer, or one silent too long, no longer holds the others down. */
	atomic_store(&b->paused, 1);
	g_assert_cmpuint(oicall_fanout_remb(abc, now), ==, 1000000);
	atomic_store(&b->paused, 0);
	g_assert_cmpuint(oicall_fanout_remb(abc, now + 2 * S), ==, 1000000);
	g_assert_cmpuint(oicall_fanout_remb(NULL, now), ==, 0);
	oicall_fanout_unref(ab);
	oicall_fanout_unref(set);
	oicall_fanout_unref(abc);
	oicall_forward_unref(a);
	oicall_forward_unref(b);
	oicall_forward_unref(c);
}

static void test_rate(void) {
	atomic_llong last;
	atomic_init(&last, 0);
	g_assert_true(oicall_rate_take(&last, 10 * S, 200 * MS));
	g_assert_false(oicall_rate_take(&last, 10 * S + 100 * MS, 200 * MS));
	g_assert_false(oicall_rate_take(&last, 10 * S + 199 * MS, 200 * MS));
	g_assert_true(oicall_rate_take(&last, 10 * S + 200 * MS, 200 * MS));
	g_assert_false(oicall_rate_take(&last, 10 * S + 300 * MS, 200 * MS));
}

/* A keyframe request within the gap is held, not lost: it goes once the gap is over, once. */
static void test_keyframe_asks(void) {
	oicall_keyframe_asks asks = { 0 };
	const gint64 gap = 350 * MS;
	g_assert_false(oicall_keyframe_due(&asks, 10 * S, gap));   /* nothing owed */
	g_assert_true(oicall_keyframe_ask(&asks, 10 * S, gap));
	g_assert_false(oicall_keyframe_ask(&asks, 10 * S + 100 * MS, gap));
	g_assert_false(oicall_keyframe_ask(&asks, 10 * S + 200 * MS, gap));   /* still one owed */
	g_assert_false(oicall_keyframe_due(&asks, 10 * S + 349 * MS, gap));
	g_assert_true(oicall_keyframe_due(&asks, 10 * S + 350 * MS, gap));
	g_assert_false(oicall_keyframe_due(&asks, 10 * S + 900 * MS, gap));   /* paid */
	/* A request sent as the gap ends settles what was owed too. */
	g_assert_false(oicall_keyframe_ask(&asks, 10 * S + 500 * MS, gap));
	g_assert_true(oicall_keyframe_ask(&asks, 10 * S + 700 * MS, gap));
	g_assert_false(oicall_keyframe_due(&asks, 11 * S + 100 * MS, gap));
}

int main(int argc, char **argv) {
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/fanout/add-replace-remove", test_add_replace_remove);
	g_test_add_func("/fanout/full", test_full);
	g_test_add_func("/fanout/payload-map", test_payload_map);
	g_test_add_func("/fanout/keyframe-wait-per-forward", test_keyframe_wait_is_per_forward);
	g_test_add_func("/fanout/remb-lowest", test_remb_lowest);
	g_test_add_func("/fanout/rate", test_rate);
	g_test_add_func("/fanout/keyframe-asks-held", test_keyframe_asks);
	return g_test_run();
}
