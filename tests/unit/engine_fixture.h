/* The call engine's test fixture: an engine, its effects, a clock, and
 * helpers to make requests and find what they caused. */
#ifndef OICALL_TEST_ENGINE_FIXTURE_H
#define OICALL_TEST_ENGINE_FIXTURE_H

#include <glib.h>
#include <string.h>

#include "../../plugin/call_engine.h"

#define S (G_USEC_PER_SEC)
#define RING (60 * S)
#define GRACE (15 * S)

/* Sessions: A1/A2 for user "a", B1/B2 for user "b", C1 for "c", D1 for "d". */
enum { A1 = 11, A2 = 12, B1 = 21, B2 = 22, C1 = 31, D1 = 41, X = 99 };

typedef struct fixture {
	oicall_engine *engine;
	GPtrArray *fx;
	gint64 now;
} fixture;

json_t *parse(const char *text);
void setup(fixture *f, gconstpointer data);
void teardown(fixture *f, gconstpointer data);
void clear(fixture *f);
/* The ack's "error", or NULL; frees the ack. */
char *ack_error(json_t *ack);
void assert_ok(json_t *ack);
void assert_error(json_t *ack, const char *expected);
void reg(fixture *f, guint64 session, const char *user_json);
/* what: start, accept, end, join, leave, mute-audio, mute-video, add, react, resume. */
json_t *request(fixture *f, const char *what, guint64 session, const char *body_text, oicall_call **call);
/* Finds the first effect of a kind (and name) going to a session (0 = any). */
oicall_effect *find(fixture *f, oicall_effect_kind kind, const char *name, guint64 session);
guint count(fixture *f, oicall_effect_kind kind, const char *name);
const char *payload_str(oicall_effect *e, const char *key);
char *with_id(const char *format, const char *id);

#endif
