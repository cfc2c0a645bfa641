/* structured_case.h — one Structured conformance case being replayed, shared by the files of
 * the runner (structured_conformance.c and structured_case_*.c).
 *
 * Layer: compat/ private.
 */
#pragma once

#include "compat/conformance.h"
#include "structured/query.h"

G_BEGIN_DECLS

typedef struct {
    gint64 batch_id;
    DuetBatch *rows;
} RecordedBatch;

typedef struct {
    JsonObject *spec;
    DuetContext *context;
    DuetClock *manual_clock; /* the context's clock when a case needs a manual one */
    gboolean manual_trigger; /* a StartStream asked for the manual trigger clock */
    GHashTable *inputs;      /* name -> DuetSource (memory) */
    char *first_input;
    char *checkpoint;
    GPtrArray
        *old_checkpoints; /* checkpoints a StartStream switched away from (removed at the end) */
    int socket_listener;  /* a socket input's test server (-1 none) */
    int socket_client;    /* the source's connection to it (-1 until accepted) */
    DuetSource *socket_source;
    gint64 socket_lines; /* lines written so far */
    DuetOutputMode mode;
    DuetDataFrame *frame;
    GError *build_error; /* building the query failed: reported at start */
    DuetSink *sink;
    DuetStreamingQuery *query;
    GMutex lock;
    GArray *batches;           /* RecordedBatch, guarded by lock */
    guint new_answer_from;     /* first batch index not yet seen by CheckNewAnswer */
    GPtrArray *progress;       /* DuetQueryProgress*, every batch of every run */
    GHashTable *seen_progress; /* "runId/batchId" */
    guint state_rows_from;     /* first progress index for AssertNumStateRows sums */
    gboolean timestamps_as_ms; /* row_encoding: timestamps as epoch milliseconds */
    GString *console;          /* what a console sink printed */
    GPtrArray *writers;        /* foreach: GPtrArray of event texts per writer instance */
    char *process_error;       /* foreach: the error process() throws, if the case expects one */
    GString *failure;
} Case;

extern const DuetForeachWriter sc_recording_writer;
/* Records the case's first failure. */
void sc_fail(Case *c, const char *format, ...) G_GNUC_PRINTF(2, 3);
char *sc_canonical_text(const char *json);
GPtrArray *sc_expected_rows(Case *c, JsonArray *rows);
void sc_append_actual_rows(Case *c, GPtrArray *out, DuetBatch *batch);
int sc_compare_strings(gconstpointer a, gconstpointer b);
void sc_compare_rows(Case *c, const char *what, GPtrArray *expected, GPtrArray *actual,
                     gboolean sorted);
DuetSchema *sc_schema_of_columns(JsonArray *columns, GError **error);
const char *sc_string_member(JsonObject *object, const char *member, const char *fallback);
GStrv sc_strings_member(JsonObject *object, const char *member);
void sc_check_int(Case *c, const char *what, gint64 expected, gint64 actual);
char *sc_iso_time(gint64 ms);
char *sc_canonical_node(JsonNode *node);
DuetDataFrame *sc_input_frame(Case *c, JsonObject *step, GError **error);
DuetDataFrame *sc_build_steps(Case *c, DuetDataFrame *frame, JsonArray *steps, GError **error);
gboolean sc_setup_inputs(Case *c, GError **error);
gboolean sc_record_batch(DuetBatch *rows, gint64 batch_id, gpointer user_data, GError **error);
gboolean sc_message_matches(Case *c, JsonObject *action, const char *message);
gboolean sc_start_stream(Case *c, JsonObject *action, GError **error);
void sc_stop_stream(Case *c);
gboolean sc_needs_running_stream(const char *action);
void sc_run_action(Case *c, JsonObject *action, JsonObject *next);

/* structured_case_query.c: the socket input's server accepts the source's connection. */
gboolean sc_socket_accept(Case *c);

G_END_DECLS
