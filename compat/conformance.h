/* conformance.h — `duet conformance FILE`: replays test vectors transcribed from Spark's own
 * suites (../shared/conformance/) and prints one line per case and "N passed, N failed".
 *
 * Layer: compat/.
 */
#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

int duet_conformance_main(int argc, char **argv);
/* Runs the DStream cases (the ones with a "pipeline"). known_failures maps case ids to the
 * documented reason they do not pass yet; such a case counts as passed while it fails, and
 * as failed once it passes (so the list cannot go stale). */
int duet_dstream_conformance_run(JsonArray *cases, const char *only, GHashTable *known_failures,
                                 guint *passed, guint *failed);
/* Runs the Structured Streaming cases (the ones with a "query"), with the same rules. */
int duet_structured_conformance_run(JsonArray *cases, const char *only, GHashTable *known_failures,
                                    guint *passed, guint *failed);

/* `duet conformance FILE --dump-json OUT`: what every case produced (tests/reference/ compares
 * it with Apache Spark's output for the same case). The runners hand each case's result, an
 * object such as {"outputs": [[...], ...]} or {"batches": [{"batch_id": 0, "rows": [...]}]}, to
 * this function, which takes it; without --dump-json it only frees it. */
void duet_conformance_dump(const char *id, JsonObject *result);

G_END_DECLS
