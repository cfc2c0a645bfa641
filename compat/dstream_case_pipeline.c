/* dstream_case_pipeline.c — a DStream case's input streams and pipeline, built from its JSON.
 *
 * Layer: compat/. Inputs become TestInputStream-style batch streams (prepared batches cut into
 * input_partitions) or queue streams, with element types inferred from the JSON values; the
 * pipeline's steps (map, reduceByKey, join, window, updateStateByKey, mapWithState, ...) are
 * applied through the public dstream/ API with the named functions of dstream_functions.c.
 */
#include "compat/dstream_case.h"
#include "compat/dstream_functions.h"
#include "rdd/json_rows.h"

/* ---- inputs ------------------------------------------------------------------------------ */

/* The element schema of one input stream, from its JSON values. */
static DuetSchema *
infer_input_schema(JsonArray *batches)
{
    DuetDataType *types[2] = {NULL, NULL};
    gboolean pairs = FALSE, singles = FALSE;
    for (guint batch = 0; batch < json_array_get_length(batches); batch++) {
        JsonNode *node = json_array_get_element(batches, batch);
        if (JSON_NODE_HOLDS_NULL(node))
            continue;
        JsonArray *elements = json_node_get_array(node);
        for (guint element = 0; element < json_array_get_length(elements); element++) {
            JsonNode *item = json_array_get_element(elements, element);
            if (JSON_NODE_HOLDS_ARRAY(item) &&
                json_array_get_length(json_node_get_array(item)) == 2) {
                pairs = TRUE;
                for (guint side = 0; side < 2; side++) {
                    if (types[side] == NULL)
                        types[side] = duet_json_infer_type(
                            json_array_get_element(json_node_get_array(item), side));
                }
            } else {
                singles = TRUE;
                if (types[0] == NULL)
                    types[0] = duet_json_infer_type(item);
            }
        }
    }
    DuetSchema *schema = duet_schema_new();
    for (guint side = 0; side < (pairs && !singles ? 2u : 1u); side++) {
        DuetDataType *type = types[side] ? types[side] : duet_data_type_new_scalar(DUET_TYPE_INT32);
        duet_schema_add_field(schema, side == 0 ? "_1" : "_2", type, TRUE);
    }
    for (guint side = 0; side < 2; side++)
        if (types[side])
            duet_data_type_unref(types[side]);
    return schema;
}

DuetDStream *
dc_build_input(Case *c, JsonArray *batches, GError **error)
{
    g_autoptr(DuetSchema) schema = infer_input_schema(batches);
    guint partitions = json_object_has_member(c->spec, "input_partitions")
                           ? (guint)json_object_get_int_member(c->spec, "input_partitions")
                           : 2;
    GPtrArray *list = g_ptr_array_new();
    gboolean ok = TRUE;
    for (guint batch = 0; batch < json_array_get_length(batches) && ok; batch++) {
        JsonNode *node = json_array_get_element(batches, batch);
        if (JSON_NODE_HOLDS_NULL(node)) {
            g_ptr_array_add(list, NULL);
            continue;
        }
        DuetBatch *rows = duet_json_rows_to_batch(schema, json_node_get_array(node), error);
        ok = rows != NULL;
        if (ok)
            g_ptr_array_add(list, rows);
    }
    DuetDStream *stream = NULL;
    if (ok) {
        if (json_object_has_member(c->spec, "queue")) {
            JsonObject *queue = json_object_get_object_member(c->spec, "queue");
            gboolean one_at_a_time = !json_object_has_member(queue, "one_at_a_time") ||
                                     json_object_get_boolean_member(queue, "one_at_a_time");
            stream = duet_streaming_context_queue_stream(c->ssc, schema, one_at_a_time, NULL);
            for (guint batch = 0; batch < list->len; batch++) {
                if (list->pdata[batch] == NULL)
                    continue;
                g_autoptr(DuetRdd) rdd =
                    duet_rdd_parallelize(c->spark, list->pdata[batch], partitions);
                duet_dstream_queue_push(stream, rdd);
            }
        } else {
            stream = duet_streaming_context_batches_stream(c->ssc, schema, list, partitions);
        }
    }
    for (guint batch = 0; batch < list->len; batch++)
        if (list->pdata[batch])
            duet_batch_unref(list->pdata[batch]);
    g_ptr_array_unref(list);
    return stream;
}

/* ---- the pipeline ------------------------------------------------------------------------ */

static const DuetNamedFunction *
named(JsonObject *args, const char *member, const char *prefix, GError **error)
{
    if (!json_object_has_member(args, member) || json_object_get_null_member(args, member))
        return NULL;
    JsonObject *function = json_object_get_object_member(args, member);
    const char *name = json_object_get_string_member(function, "named");
    g_autofree char *key = g_strconcat(prefix, name, NULL);
    const DuetNamedFunction *found = duet_named_function(key);
    if (found == NULL)
        g_set_error(error, DUET_DSTREAM_ERROR, DUET_DSTREAM_ERROR_INVALID,
                    "unknown named function %s", key);
    return found;
}

static gint64
seconds_ms(JsonObject *args, const char *member, gint64 fallback)
{
    if (!json_object_has_member(args, member))
        return fallback;
    return (gint64)(json_object_get_double_member(args, member) * 1000 + 0.5);
}

static guint
partitions_arg(JsonObject *args)
{
    if (json_object_has_member(args, "num_partitions"))
        return (guint)json_object_get_int_member(args, "num_partitions");
    if (json_object_has_member(args, "partitioner")) {
        JsonObject *partitioner = json_object_get_object_member(args, "partitioner");
        if (json_object_has_member(partitioner, "hash"))
            return (guint)json_object_get_int_member(partitioner, "hash");
    }
    return 0;
}

/* {"input": i, "pipeline": [...]}: input stream i followed by its own steps. */
static DuetDStream *
sub_pipeline(Case *c, JsonObject *spec, GError **error)
{
    guint input = (guint)json_object_get_int_member(spec, "input");
    DuetDStream *stream = g_ptr_array_index(c->inputs, input);
    JsonArray *steps = json_object_has_member(spec, "pipeline")
                           ? json_object_get_array_member(spec, "pipeline")
                           : NULL;
    return steps ? dc_apply_steps(c, stream, steps, error) : duet_dstream_ref(stream);
}

/* StreamingContext.transform(streams, f): the first stream drives a transform whose function
 * fetches the other streams' RDDs of the same batch time and calls f with all of them. */
typedef struct {
    const DuetNamedFunction *function;
    GPtrArray *streams; /* DuetDStream* (owned) */
} MultiTransform;

void
dc_multi_transform_free(gpointer data)
{
    MultiTransform *multi = data;
    g_ptr_array_unref(multi->streams);
    g_free(multi);
}

static DuetRdd *
multi_transform(DuetRdd *rdd, gint64 time_ms, gpointer user_data, GError **error)
{
    MultiTransform *multi = user_data;
    g_autoptr(GPtrArray) rdds = g_ptr_array_new_with_free_func((GDestroyNotify)duet_rdd_unref);
    g_ptr_array_add(rdds, duet_rdd_ref(rdd));
    for (guint stream_idx = 1; stream_idx < multi->streams->len; stream_idx++) {
        GPtrArray *slice =
            duet_dstream_slice(multi->streams->pdata[stream_idx], time_ms, time_ms, error);
        if (slice == NULL)
            return NULL;
        if (slice->len == 0) {
            g_ptr_array_unref(slice);
            g_set_error(error, DUET_DSTREAM_ERROR, DUET_DSTREAM_ERROR_NO_RDD,
                        "Couldn't generate RDD from parent at time %" G_GINT64_FORMAT " ms",
                        time_ms);
            return NULL;
        }
        g_ptr_array_add(rdds, duet_rdd_ref(slice->pdata[0]));
        g_ptr_array_unref(slice);
    }
    return multi->function->rdds(rdds, time_ms, error);
}

static DuetDStream *
apply_step(Case *c, DuetDStream *stream, JsonObject *step, GError **error)
{
    const char *op = json_object_get_string_member(step, "op");
    JsonObject *args = json_object_has_member(step, "args")
                           ? json_object_get_object_member(step, "args")
                           : json_object_new();
    DuetSchema *schema = duet_dstream_schema(stream);
    const DuetNamedFunction *f = NULL;
    DuetDStream *result = NULL;
    if (g_str_equal(op, "map") || g_str_equal(op, "flatMap") || g_str_equal(op, "filter") ||
        g_str_equal(op, "mapPartitions")) {
        if ((f = named(args, "f", "", error)) == NULL)
            goto out;
        g_autoptr(DuetSchema) out_schema = f->schema ? f->schema(schema) : duet_schema_ref(schema);
        if (f->kind == DUET_NAMED_FILTER)
            result = duet_dstream_filter(stream, f->filter, NULL);
        else if (f->kind == DUET_NAMED_PARTITION)
            result = duet_dstream_map_partitions(stream, out_schema, f->partition, NULL);
        else if (g_str_equal(op, "flatMap"))
            result = duet_dstream_flat_map(stream, out_schema, f->map, NULL);
        else
            result = duet_dstream_map(stream, out_schema, f->map, NULL);
    } else if (g_str_equal(op, "mapValues") || g_str_equal(op, "flatMapValues")) {
        if ((f = named(args, "f", "values.", error)) == NULL)
            goto out;
        g_autoptr(DuetDataType) value_type = duet_named_value_type(f, schema);
        result = g_str_equal(op, "mapValues")
                     ? duet_dstream_map_values(stream, value_type, f->values, NULL, error)
                     : duet_dstream_flat_map_values(stream, value_type, f->values, NULL, error);
    } else if (g_str_equal(op, "glom")) {
        result = duet_dstream_glom(stream);
    } else if (g_str_equal(op, "repartition")) {
        result = duet_dstream_repartition(stream, partitions_arg(args));
    } else if (g_str_equal(op, "count")) {
        result = duet_dstream_count(stream);
    } else if (g_str_equal(op, "countByValue")) {
        result = duet_dstream_count_by_value(stream, partitions_arg(args));
    } else if (g_str_equal(op, "reduce")) {
        if ((f = named(args, "f", "", error)) != NULL)
            result = duet_dstream_reduce(stream, f->reduce, NULL, error);
    } else if (g_str_equal(op, "reduceByKey")) {
        if ((f = named(args, "f", "", error)) != NULL)
            result =
                duet_dstream_reduce_by_key(stream, f->reduce, NULL, partitions_arg(args), error);
    } else if (g_str_equal(op, "groupByKey")) {
        result = duet_dstream_group_by_key(stream, partitions_arg(args), error);
    } else if (g_str_equal(op, "union") || g_str_equal(op, "join") ||
               g_str_equal(op, "leftOuterJoin") || g_str_equal(op, "rightOuterJoin") ||
               g_str_equal(op, "fullOuterJoin") || g_str_equal(op, "cogroup") ||
               g_str_equal(op, "transformWith")) {
        g_autoptr(DuetDStream) other =
            sub_pipeline(c, json_object_get_object_member(args, "other"), error);
        if (other == NULL)
            goto out;
        guint partitions = partitions_arg(args);
        if (g_str_equal(op, "union")) {
            DuetDStream *both[] = {stream, other};
            result = duet_dstream_union(both, 2, error);
        } else if (g_str_equal(op, "join")) {
            result = duet_dstream_join(stream, other, partitions, error);
        } else if (g_str_equal(op, "leftOuterJoin")) {
            result = duet_dstream_left_outer_join(stream, other, partitions, error);
        } else if (g_str_equal(op, "rightOuterJoin")) {
            result = duet_dstream_right_outer_join(stream, other, partitions, error);
        } else if (g_str_equal(op, "fullOuterJoin")) {
            result = duet_dstream_full_outer_join(stream, other, partitions, error);
        } else if (g_str_equal(op, "cogroup")) {
            result = duet_dstream_cogroup(stream, other, partitions, error);
        } else if ((f = named(args, "f", "", error)) != NULL) {
            /* the output schema: apply the function to empty RDDs */
            g_autoptr(DuetRdd) left = duet_rdd_new_empty(c->spark, schema);
            g_autoptr(DuetRdd) right = duet_rdd_new_empty(c->spark, duet_dstream_schema(other));
            g_autoptr(DuetRdd) probe = f->rdd2(left, right, 0, NULL, NULL);
            DuetSchema *out_schema = probe ? duet_rdd_schema(probe) : schema;
            result = duet_dstream_transform_with(stream, other, out_schema, f->rdd2, NULL, error);
        }
    } else if (g_str_equal(op, "transform")) {
        if ((f = named(args, "f", "", error)) == NULL)
            goto out;
        g_autoptr(DuetSchema) out_schema = f->schema ? f->schema(schema) : duet_schema_ref(schema);
        result = duet_dstream_transform(stream, out_schema, f->rdd, NULL);
    } else if (g_str_equal(op, "StreamingContext.union") ||
               g_str_equal(op, "StreamingContext.transform")) {
        JsonArray *specs = json_object_get_array_member(args, "streams");
        GPtrArray *streams = g_ptr_array_new_with_free_func((GDestroyNotify)duet_dstream_unref);
        for (guint spec = 0; spec < json_array_get_length(specs); spec++) {
            DuetDStream *sub =
                sub_pipeline(c, json_node_get_object(json_array_get_element(specs, spec)), error);
            if (sub == NULL) {
                g_ptr_array_unref(streams);
                goto out;
            }
            g_ptr_array_add(streams, sub);
        }
        if (g_str_equal(op, "StreamingContext.union")) {
            result = duet_dstream_union((DuetDStream *const *)streams->pdata, streams->len, error);
            g_ptr_array_unref(streams);
        } else if ((f = named(args, "f", "", error)) != NULL) {
            MultiTransform *multi = g_new0(MultiTransform, 1);
            multi->function = f;
            multi->streams = streams;
            /* the first stream drives; the others' RDDs of the same time are fetched */
            GPtrArray *probe_rdds = g_ptr_array_new_with_free_func((GDestroyNotify)duet_rdd_unref);
            for (guint stream_idx = 0; stream_idx < streams->len; stream_idx++)
                g_ptr_array_add(
                    probe_rdds,
                    duet_rdd_new_empty(c->spark, duet_dstream_schema(streams->pdata[stream_idx])));
            g_autoptr(DuetRdd) probe = f->rdds(probe_rdds, 0, NULL);
            g_ptr_array_unref(probe_rdds);
            result = duet_dstream_transform(
                streams->pdata[0], probe ? duet_rdd_schema(probe) : schema, multi_transform, multi);
            g_ptr_array_add(c->keep, multi);
        } else {
            g_ptr_array_unref(streams);
        }
    } else if (g_str_equal(op, "window")) {
        result = duet_dstream_window(stream, seconds_ms(args, "window_s", 0),
                                     seconds_ms(args, "slide_s", 0), error);
    } else if (g_str_equal(op, "countByWindow")) {
        result = duet_dstream_count_by_window(stream, seconds_ms(args, "window_s", 0),
                                              seconds_ms(args, "slide_s", 0), error);
    } else if (g_str_equal(op, "reduceByWindow") || g_str_equal(op, "reduceByKeyAndWindow")) {
        if ((f = named(args, "f", "", error)) == NULL)
            goto out;
        const DuetNamedFunction *inverse = named(args, "inv_f", "", error);
        const DuetNamedFunction *filter = named(args, "filter_f", "", error);
        if (error && *error)
            goto out;
        gint64 window = seconds_ms(args, "window_s", 0), slide = seconds_ms(args, "slide_s", 0);
        if (g_str_equal(op, "reduceByWindow"))
            result = duet_dstream_reduce_by_window(
                stream, f->reduce, inverse ? inverse->reduce : NULL, window, slide, NULL, error);
        else
            result = duet_dstream_reduce_by_key_and_window(
                stream, f->reduce, inverse ? inverse->reduce : NULL, window, slide,
                partitions_arg(args), filter ? filter->filter : NULL, NULL, error);
    } else if (g_str_equal(op, "countByValueAndWindow")) {
        result = duet_dstream_count_by_value_and_window(stream, seconds_ms(args, "window_s", 0),
                                                        seconds_ms(args, "slide_s", 0),
                                                        partitions_arg(args), error);
    } else if (g_str_equal(op, "groupByKeyAndWindow")) {
        result = duet_dstream_group_by_key_and_window(stream, seconds_ms(args, "window_s", 0),
                                                      seconds_ms(args, "slide_s", 0),
                                                      partitions_arg(args), error);
    } else if (g_str_equal(op, "updateStateByKey")) {
        if ((f = named(args, "f", "", error)) == NULL)
            goto out;
        g_autoptr(DuetDataType) state_type = duet_named_value_type(f, schema);
        g_autoptr(DuetRdd) initial = NULL;
        if (json_object_has_member(args, "initial")) {
            g_autoptr(DuetSchema) initial_schema = duet_schema_new();
            duet_schema_add_field(initial_schema, "_1", duet_schema_field(schema, 0)->type, TRUE);
            duet_schema_add_field(initial_schema, "_2", state_type, TRUE);
            g_autoptr(DuetBatch) rows = duet_json_rows_to_batch(
                initial_schema, json_object_get_array_member(args, "initial"), error);
            if (rows == NULL)
                goto out;
            initial = duet_rdd_parallelize(c->spark, rows, 0);
        }
        result = duet_dstream_update_state_by_key(stream, state_type, f->update, NULL,
                                                  partitions_arg(args), initial, error);
    } else if (g_str_equal(op, "mapWithState")) {
        JsonObject *spec_args = json_object_get_object_member(args, "spec");
        if ((f = named(spec_args, "f", "", error)) == NULL)
            goto out;
        g_autoptr(DuetSchema) types = f->schema(schema);
        g_autoptr(DuetRdd) initial = NULL;
        if (json_object_has_member(spec_args, "initial_state")) {
            g_autoptr(DuetSchema) initial_schema = duet_schema_new();
            duet_schema_add_field(initial_schema, "_1", duet_schema_field(schema, 0)->type, TRUE);
            duet_schema_add_field(initial_schema, "_2", duet_schema_field(types, 0)->type, TRUE);
            g_autoptr(DuetBatch) rows = duet_json_rows_to_batch(
                initial_schema, json_object_get_array_member(spec_args, "initial_state"), error);
            if (rows == NULL)
                goto out;
            initial = duet_rdd_parallelize(c->spark, rows, 0);
        }
        DuetStateSpec state_spec = {
            .function = f->mapping,
            .state_type = duet_schema_field(types, 0)->type,
            .mapped_type = duet_schema_field(types, 1)->type,
            .timeout_ms = seconds_ms(spec_args, "timeout_s", 0),
            .num_partitions = partitions_arg(spec_args),
            .initial_state = initial,
        };
        result = duet_dstream_map_with_state(stream, &state_spec, error);
        c->mapped = result;
    } else if (g_str_equal(op, "stateSnapshots")) {
        result = duet_dstream_state_snapshots(stream, error);
    } else if (g_str_equal(op, "checkpoint") || g_str_equal(op, "persist") ||
               g_str_equal(op, "pprint") || g_str_equal(op, "cache")) {
        if (g_str_equal(op, "checkpoint"))
            duet_dstream_checkpoint(stream, seconds_ms(args, "interval_s", 0));
        else if (g_str_equal(op, "pprint")) /* PySpark's text, kept for --dump-json */
            duet_dstream_pprint(stream,
                                args && json_object_has_member(args, "num")
                                    ? (guint)json_object_get_int_member(args, "num")
                                    : 10,
                                dc_append_pprint, c);
        else
            duet_dstream_persist(stream);
        result = duet_dstream_ref(stream);
    } else {
        g_set_error(error, DUET_DSTREAM_ERROR, DUET_DSTREAM_ERROR_INVALID,
                    "unsupported pipeline step %s", op);
    }
out:
    if (!json_object_has_member(step, "args"))
        json_object_unref(args);
    return result;
}

DuetDStream *
dc_apply_steps(Case *c, DuetDStream *stream, JsonArray *steps, GError **error)
{
    DuetDStream *current = duet_dstream_ref(stream);
    for (guint step = 0; step < json_array_get_length(steps); step++) {
        DuetDStream *next = apply_step(
            c, current, json_node_get_object(json_array_get_element(steps, step)), error);
        duet_dstream_unref(current);
        if (next == NULL)
            return NULL;
        current = next;
    }
    return current;
}
