/* Signed tokens: userId:expiry:signature (HMAC-SHA256, hex). */
#include <glib.h>
#include <string.h>

#include "../../common/auth_token.h"

#define SECRET "a-shared-secret-of-some-length"
#define NOW ((gint64)1800000000)

static void test_round_trip(void) {
	const char *users[] = { "alice", "42", "user:with:colons", "é" };
	for(gsize i = 0; i < G_N_ELEMENTS(users); i++) {
		char *token = oicall_auth_sign(SECRET, users[i], NOW + 60);
		char *user = NULL;
		g_assert_cmpint(oicall_auth_verify(SECRET, token, NOW, &user), ==, OICALL_AUTH_OK);
		g_assert_cmpstr(user, ==, users[i]);
		g_free(user);
		g_free(token);
	}
}

static void test_known_vector(void) {
	/* echo -n "alice:1800000060" | openssl dgst -sha256 -hmac "a-shared-secret-of-some-length" */
	char *token = oicall_auth_sign(SECRET, "alice", NOW + 60);
	GHmac *hmac = g_hmac_new(G_CHECKSUM_SHA256, (const guchar *)SECRET, strlen(SECRET));
	g_hmac_update(hmac, (const guchar *)"alice:1800000060", -1);
	char *expected = g_strdup_printf("alice:1800000060:%s", g_hmac_get_string(hmac));
	g_hmac_unref(hmac);
	g_assert_cmpstr(token, ==, expected);
	g_assert_cmpuint(strlen(strrchr(token, ':') + 1), ==, 64);
	g_free(expected);
	g_free(token);
}

static void test_rejections(void) {
	char *user = NULL;
	char *token = oicall_auth_sign(SECRET, "alice", NOW + 60);
	g_assert_cmpint(oicall_auth_verify("another-secret-entirely", token, NOW, &user), ==, OICALL_AUTH_BAD_SIGNATURE);
	g_assert_null(user);
	g_assert_cmpint(oicall_auth_verify(SECRET, token, NOW + 60, &user), ==, OICALL_AUTH_EXPIRED);
	g_assert_cmpint(oicall_auth_verify(SECRET, token, NOW + 61, &user), ==, OICALL_AUTH_EXPIRED);
	/* Another user's name on a valid signature, a changed expiry, a changed signature. */
	char *swapped = g_strconcat("mallory", strchr(token, ':'), NULL);
	g_assert_cmpint(oicall_auth_verify(SECRET, swapped, NOW, &user), ==, OICALL_AUTH_BAD_SIGNATURE);
	char *later = g_strdup(token);
	later[strlen("alice:18")] = '9';
	g_assert_cmpint(oicall_auth_verify(SECRET, later, NOW, &user), ==, OICALL_AUTH_BAD_SIGNATURE);
	char *flipped = g_strdup(token);
	flipped[strlen(flipped) - 1] = flipped[strlen(flipped) - 1] == '0' ? '1' : '0';
	g_assert_cmpint(oicall_auth_verify(SECRET, flipped, NOW, &user), ==, OICALL_AUTH_BAD_SIGNATURE);
	const char *malformed[] = { "", "alice", "alice:123", ":123:abc", "alice::abc", "alice:12x:abc", "alice:1234567890123:ab" };
	for(gsize i = 0; i < G_N_ELEMENTS(malformed); i++)
		g_assert_cmpint(oicall_auth_verify(SECRET, malformed[i], NOW, &user), ==, OICALL_AUTH_MALFORMED);
	g_assert_cmpint(oicall_auth_verify(SECRET, NULL, NOW, &user), ==, OICALL_AUTH_MALFORMED);
	char *huge = g_strnfill(OICALL_AUTH_MAX_TOKEN_LEN + 1, 'a');
	g_assert_cmpint(oicall_auth_verify(SECRET, huge, NOW, &user), ==, OICALL_AUTH_MALFORMED);
	g_assert_null(user);
	g_free(huge);
	g_free(swapped);
	g_free(later);
	g_free(flipped);
	g_free(token);
	g_assert_cmpstr(oicall_auth_message(OICALL_AUTH_EXPIRED), ==, "Token expired");
}

static void test_equal(void) {
	g_assert_true(oicall_auth_equal("abc", "abc"));
	g_assert_true(oicall_auth_equal("", ""));
	g_assert_false(oicall_auth_equal("abc", "abd"));
	g_assert_false(oicall_auth_equal("abc", "abcd"));
	g_assert_false(oicall_auth_equal("abcd", "abc"));
	g_assert_false(oicall_auth_equal("", "a"));
}

static void test_auth_mode(void) {
	const char *why = NULL;
	g_assert_true(oicall_auth_mode_valid("auto", &why));
	g_assert_true(oicall_auth_mode_valid("true", &why));
	g_assert_true(oicall_auth_mode_valid("false", &why));
	g_assert_false(oicall_auth_mode_valid("yes", &why));
	g_assert_nonnull(why);
	/* auto: on exactly when a secret is set; an explicit false wins. */
	g_assert_true(oicall_auth_wanted("auto", "a-secret-of-16-chars"));
	g_assert_false(oicall_auth_wanted("auto", ""));
	g_assert_false(oicall_auth_wanted("false", "a-secret-of-16-chars"));
	g_assert_true(oicall_auth_wanted("true", ""));
}

int main(int argc, char **argv) {
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/auth/round-trip", test_round_trip);
	g_test_add_func("/auth/known-vector", test_known_vector);
	g_test_add_func("/auth/rejections", test_rejections);
	g_test_add_func("/auth/equal", test_equal);
	g_test_add_func("/auth/mode", test_auth_mode);
	return g_test_run();
}
