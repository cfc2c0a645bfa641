/* dstream_conformance.c — replays the DStream cases of ../shared/conformance/dstream.
 *
 * Layer: compat/. Each case is run the way Spark's harness runs it (the case README): a
 * manual clock at 0, batch interval from the case, a checkpoint directory, the inputs and the
 * pipeline (dstream_case_pipeline.c), the clock advanced batch by batch, every output RDD
 * collected, and the outputs compared as the case says (dstream_case_compare.c).
 */
#include "compat/dstream_case.h"
#include "rdd/atomic_file.h"
#include "rdd/json_rows.h"

#include <glib/gstdio.h>
#include <stdio.h>

/* ---- running ----------------------------------------------------------------------------- */

static gboolean
collect_output(DuetRdd *rdd, gint64 time_ms, gpointer user_data, GError **error)
{
    Case *c = user_data;
    g_autoptr(DuetBatch) batch = duet_rdd_collect(rdd, error);
    if (batch == NULL)
        return FALSE;
    GString *text = g_string_new("[");
    for (gsize row_idx = 0; row_idx < duet_batch_n_rows(batch); row_idx++) {
        DuetRow row = duet_batch_row(batch, row_idx);
        if (row_idx)
            g_string_append_c(text, ',');
        duet_json_append_row(text, &row);
    }
    g_string_append_c(text, ']');
    g_ptr_array_add(c->outputs, g_string_free(text, FALSE));
    g_ptr_array_add(c->output_partitions, GUINT_TO_POINTER(duet_rdd_n_partitions(rdd)));
    return TRUE;
}

static gboolean
collect_snapshot(DuetRdd *rdd, gint64 time_ms, gpointer user_data, GError **error)
{
    Case *c = user_data;
    g_autoptr(DuetBatch) batch = duet_rdd_collect(rdd, error);
    if (batch == NULL)
        return FALSE;
    GString *text = g_string_new("[");
    for (gsize row_idx = 0; row_idx < duet_batch_n_rows(batch); row_idx++) {
        DuetRow row = duet_batch_row(batch, row_idx);
        if (row_idx)
            g_string_append_c(text, ',');
        duet_json_append_row(text, &row);
    }
    g_string_append_c(text, ']');
    g_ptr_array_add(c->snapshots, g_string_free(text, FALSE));
    return TRUE;
}

/* JSON texts "[...]" as an array of their parsed values. */
static JsonArray *
parsed_batches(GPtrArray *texts)
{
    JsonArray *array = json_array_new();
    for (guint index = 0; index < texts->len; index++) {
        JsonNode *node = json_from_string(texts->pdata[index], NULL);
        json_array_add_element(array, node ? node : json_node_new(JSON_NODE_NULL));
    }
    return array;
}

/* --dump-json: the case's output batches, its state snapshots and the error it ended with. */
static void
dump_result(Case *c, const GError *error)
{
    JsonObject *result = json_object_new();
    json_object_set_string_member(result, "api", "dstream");
    json_object_set_array_member(result, "outputs", parsed_batches(c->outputs));
    if (c->snapshots->len)
        json_object_set_array_member(result, "snapshots", parsed_batches(c->snapshots));
    if (error != NULL)
        json_object_set_string_member(result, "error", error->message);
    duet_conformance_dump(json_object_get_string_member(c->spec, "id"), result);
}

static gboolean
run_case(JsonObject *spec, GString *failure)
{
    Case c = {.spec = spec, .failure = failure};
    GError *error = NULL;
    gboolean passed = FALSE;
    c.spark = duet_context_new("local[2]", &error);
    c.clock = duet_clock_new_manual(0);
    duet_context_set_clock(c.spark, c.clock);
    gint64 interval = (gint64)(json_object_get_double_member(spec, "batch_duration_s") * 1000);
    c.ssc = duet_streaming_context_new(c.spark, interval, &error);
    c.checkpoint_dir = g_dir_make_tmp("duet-conformance-XXXXXX", NULL);
    duet_streaming_context_checkpoint(c.ssc, c.checkpoint_dir, NULL);
    c.inputs = g_ptr_array_new_with_free_func((GDestroyNotify)duet_dstream_unref);
    c.outputs = g_ptr_array_new_with_free_func(g_free);
    c.output_partitions = g_ptr_array_new();
    c.keep = g_ptr_array_new_with_free_func(dc_multi_transform_free);
    c.snapshots = g_ptr_array_new_with_free_func(g_free);
    const char *kind = dc_string_member(spec, "kind", "stream");
    JsonObject *expected_error = json_object_has_member(spec, "expected_error")
                                     ? json_object_get_object_member(spec, "expected_error")
                                     : NULL;
    gboolean at_construction =
        g_str_equal(dc_string_member(expected_error, "when", ""), "construction");

    JsonArray *inputs = json_object_get_array_member(spec, "inputs");
    for (guint input = 0; input < json_array_get_length(inputs); input++) {
        DuetDStream *stream =
            dc_build_input(&c, json_array_get_array_element(inputs, input), &error);
        if (stream == NULL)
            goto done;
        g_ptr_array_add(c.inputs, stream);
    }
    DuetDStream *result = dc_apply_steps(&c, c.inputs->pdata[0],
                                         json_object_get_array_member(spec, "pipeline"), &error);
    if (result == NULL) {
        if (at_construction)
            passed = dc_check_error(&c, error);
        goto done;
    }
    if (at_construction) {
        g_string_append(failure, "expected the pipeline construction to fail");
        duet_dstream_unref(result);
        goto done;
    }
    duet_dstream_foreach_rdd(result, collect_output, &c);
    if (c.mapped != NULL && (json_object_has_member(spec, "expected_state_snapshots") ||
                             json_object_has_member(spec, "assertions"))) {
        g_autoptr(DuetDStream) snapshots = duet_dstream_state_snapshots(c.mapped, &error);
        if (snapshots == NULL) {
            duet_dstream_unref(result);
            goto done;
        }
        duet_dstream_foreach_rdd(snapshots, collect_snapshot, &c);
    }
    if (g_str_equal(kind, "slice")) {
        JsonArray *queries = json_object_get_array_member(spec, "slice_queries");
        JsonObject *first = json_node_get_object(json_array_get_element(queries, 0));
        gboolean expect_uninitialized = json_object_has_member(first, "expected_error");
        if (!expect_uninitialized && !duet_streaming_context_start(c.ssc, &error)) {
            duet_dstream_unref(result);
            goto done;
        }
        passed = dc_run_slices(&c, result, !expect_uninitialized);
        duet_dstream_unref(result);
        goto done;
    }
    duet_dstream_unref(result);
    if (!duet_streaming_context_start(c.ssc, &error))
        goto done;
    JsonObject *run = json_object_get_object_member(spec, "run");
    JsonArray *expected =
        json_object_has_member(spec, "expected") && !json_object_get_null_member(spec, "expected")
            ? json_object_get_array_member(spec, "expected")
            : NULL;
    guint n_batches = json_object_has_member(run, "num_batches")
                          ? (guint)json_object_get_int_member(run, "num_batches")
                          : 0;
    guint until = json_object_has_member(run, "until_outputs")
                      ? (guint)json_object_get_int_member(run, "until_outputs")
                      : 0;
    guint limit = n_batches > 0 ? n_batches : (expected ? json_array_get_length(expected) : 0) + 50;
    for (guint batch = 1; batch <= limit; batch++) {
        duet_clock_set_ms(c.clock, (gint64)batch * interval);
        duet_streaming_context_await_batch(c.ssc, (gint64)batch * interval, 60000);
        if (until > 0) {
            guint non_empty = 0;
            for (guint output = 0; output < c.outputs->len; output++)
                non_empty += !g_str_equal(c.outputs->pdata[output], "[]");
            if (non_empty >= until)
                break;
        }
    }
    duet_streaming_context_stop(c.ssc, FALSE);
    duet_streaming_context_await_termination(c.ssc, 0, &error);
    if (expected_error != NULL) {
        passed = dc_check_error(&c, error);
        /* the batches before the failing one still produced their outputs */
        guint before_failure =
            json_object_has_member(expected_error, "first_failing_batch")
                ? (guint)json_object_get_int_member(expected_error, "first_failing_batch") - 1
                : G_MAXUINT;
        if (passed && expected)
            passed = dc_compare_outputs(&c, before_failure);
        goto done;
    }
    if (error != NULL)
        goto done;
    passed = (expected == NULL || dc_compare_outputs(&c, G_MAXUINT)) && dc_compare_snapshots(&c) &&
             dc_check_assertions(&c);
done:
    if (!passed && failure->len == 0 && error != NULL)
        g_string_append(failure, error->message);
    if (!passed && failure->len == 0)
        g_string_append(failure, "failed");
    dump_result(&c, error);
    g_clear_error(&error);
    duet_streaming_context_unref(c.ssc);
    g_ptr_array_unref(c.inputs);
    g_ptr_array_unref(c.keep);
    g_ptr_array_unref(c.outputs);
    g_ptr_array_unref(c.output_partitions);
    g_ptr_array_unref(c.snapshots);
    duet_clock_unref(c.clock);
    duet_context_unref(c.spark);
    duet_remove_tree(c.checkpoint_dir);
    g_free(c.checkpoint_dir);
    return passed;
}

int
duet_dstream_conformance_run(JsonArray *cases, const char *only, GHashTable *known_failures,
                             guint *passed, guint *failed)
{
    for (guint index = 0; index < json_array_get_length(cases); index++) {
        JsonObject *spec = json_node_get_object(json_array_get_element(cases, index));
        const char *id = json_object_get_string_member(spec, "id");
        if (only != NULL && !g_str_has_prefix(id, only))
            continue;
        GString *failure = g_string_new(NULL);
        gboolean ok = run_case(spec, failure);
        const char *known = known_failures ? g_hash_table_lookup(known_failures, id) : NULL;
        if (ok && known == NULL) {
            printf("PASS %s\n", id);
            (*passed)++;
        } else if (!ok && known != NULL) {
            printf("PASS %s (known failure: %s)\n", id, known);
            (*passed)++;
        } else if (ok) {
            printf("FAIL %s: passes, but is listed as a known failure; remove it from the list\n",
                   id);
            (*failed)++;
        } else {
            printf("FAIL %s: %s\n", id, failure->str);
            (*failed)++;
        }
        fflush(stdout);
        g_string_free(failure, TRUE);
    }
    return 0;
}
