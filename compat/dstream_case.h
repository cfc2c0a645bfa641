/* dstream_case.h — one DStream conformance case being replayed, shared by the files of the
 * runner (dstream_conformance.c and dstream_case_*.c).
 *
 * Layer: compat/ private.
 */
#pragma once

#include "compat/conformance.h"
#include "dstream/dstream.h"

G_BEGIN_DECLS

typedef struct {
    JsonObject *spec; /* the case */
    DuetContext *spark;
    DuetClock *clock;
    DuetStreamingContext *ssc;
    char *checkpoint_dir;
    GPtrArray *inputs;            /* DuetDStream* per input stream */
    GPtrArray *outputs;           /* char* per output batch: "[e1,e2,...]" JSON elements */
    GPtrArray *output_partitions; /* guint per output batch */
    GString *failure;             /* why the case failed */
    GPtrArray *keep;              /* data that must live as long as the case */
    DuetDStream *mapped;          /* the last mapWithState stream (borrowed), or NULL */
    GPtrArray *snapshots;         /* char* per batch of its stateSnapshots() */
    GString *pprint;              /* what pprint steps printed */
} Case;

/* dstream_case_pipeline.c: the case's input streams and its pipeline of named steps. */
DuetDStream *dc_build_input(Case *c, JsonArray *batches, GError **error);
DuetDStream *dc_apply_steps(Case *c, DuetDStream *stream, JsonArray *steps, GError **error);
/* Frees what a StreamingContext.transform step keeps in c->keep. */
void dc_multi_transform_free(gpointer data);

/* Appends a pprint step's text to c->pprint (dstream_conformance.c). */
void dc_append_pprint(const char *text, gpointer user_data);

/* dstream_case_compare.c: the collected outputs checked against what the case expects. */
const char *dc_string_member(JsonObject *object, const char *member, const char *fallback);
gboolean dc_compare_outputs(Case *c, guint n_expected_limit);
gboolean dc_compare_snapshots(Case *c);
gboolean dc_check_assertions(Case *c);
gboolean dc_check_error(Case *c, const GError *error);
gboolean dc_run_slices(Case *c, DuetDStream *stream, gboolean started);

G_END_DECLS
