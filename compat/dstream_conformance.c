/* dstream_conformance.c — replays the DStream cases of ../shared/conformance/dstream.
 *
 * Layer: compat/. Each case is run the way Spark's harness runs it (the case README): a
 * manual clock at 0, batch interval from the case, a checkpoint directory, inputs as
 * TestInputStream (prepared batches cut into input_partitions) or queue streams, the pipeline
 * built from named steps and functions, the clock advanced batch by batch, every output RDD
 * collected, and the outputs compared as the case says (list, set, multiset for hash order,
 * sorted by key, first n). Element types are inferred from the JSON inputs.
 */
#include "compat/conformance.h"
#include "compat/dstream_functions.h"
#include "rdd/json_rows.h"

#include <glib/gstdio.h>
#include <stdio.h>

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
} Case;

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

static DuetDStream *
build_input(Case *c, JsonArray *batches, GError **error)
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

static DuetDStream *apply_steps(Case *c, DuetDStream *stream, JsonArray *steps, GError **error);

/* {"input": i, "pipeline": [...]}: input stream i followed by its own steps. */
static DuetDStream *
sub_pipeline(Case *c, JsonObject *spec, GError **error)
{
    guint input = (guint)json_object_get_int_member(spec, "input");
    DuetDStream *stream = g_ptr_array_index(c->inputs, input);
    JsonArray *steps = json_object_has_member(spec, "pipeline")
                           ? json_object_get_array_member(spec, "pipeline")
                           : NULL;
    return steps ? apply_steps(c, stream, steps, error) : duet_dstream_ref(stream);
}

/* StreamingContext.transform(streams, f): the first stream drives a transform whose function
 * fetches the other streams' RDDs of the same batch time and calls f with all of them. */
typedef struct {
    const DuetNamedFunction *function;
    GPtrArray *streams; /* DuetDStream* (owned) */
} MultiTransform;

static void
multi_transform_free(gpointer data)
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

static DuetDStream *
apply_steps(Case *c, DuetDStream *stream, JsonArray *steps, GError **error)
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

/* Elements of a JSON batch "[e1,e2]" as canonical strings. */
static GPtrArray *
elements_of_node(JsonNode *batch)
{
    GPtrArray *elements = g_ptr_array_new_with_free_func(g_free);
    if (batch == NULL || !JSON_NODE_HOLDS_ARRAY(batch))
        return elements;
    JsonArray *array = json_node_get_array(batch);
    for (guint element = 0; element < json_array_get_length(array); element++) {
        GString *text = g_string_new(NULL);
        duet_json_append_node(text, json_array_get_element(array, element));
        g_ptr_array_add(elements, g_string_free(text, FALSE));
    }
    return elements;
}

static GPtrArray *
elements_of_text(const char *json)
{
    g_autoptr(JsonParser) parser = json_parser_new();
    json_parser_load_from_data(parser, json, -1, NULL);
    return elements_of_node(json_parser_get_root(parser));
}

static gint
compare_strings(gconstpointer a, gconstpointer b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The first field of an element's canonical JSON (the key of a pair). */
static char *
key_of(const char *element)
{
    g_autoptr(JsonParser) parser = json_parser_new();
    json_parser_load_from_data(parser, element, -1, NULL);
    JsonNode *root = json_parser_get_root(parser);
    GString *text = g_string_new(NULL);
    if (root && JSON_NODE_HOLDS_ARRAY(root) && json_array_get_length(json_node_get_array(root)))
        duet_json_append_node(text, json_array_get_element(json_node_get_array(root), 0));
    else
        g_string_append(text, element);
    return g_string_free(text, FALSE);
}

static gint
compare_keys(gconstpointer a, gconstpointer b)
{
    g_autofree char *left = key_of(*(char *const *)a);
    g_autofree char *right = key_of(*(char *const *)b);
    return strcmp(left, right);
}

static void
normalise(GPtrArray *elements, const char *mode)
{
    if (g_str_equal(mode, "list"))
        return;
    if (g_str_equal(mode, "sorted_by_key")) {
        g_ptr_array_sort(elements, compare_keys); /* GLib's sort is stable */
        return;
    }
    g_ptr_array_sort(elements, compare_strings);
    if (g_str_equal(mode, "set")) {
        for (guint element = 1; element < elements->len;) {
            if (strcmp(elements->pdata[element], elements->pdata[element - 1]) == 0)
                g_ptr_array_remove_index(elements, element);
            else
                element++;
        }
    }
}

static char *
join_elements(GPtrArray *elements)
{
    GString *text = g_string_new("[");
    for (guint element = 0; element < elements->len; element++)
        g_string_append_printf(text, "%s%s", element ? "," : "", (char *)elements->pdata[element]);
    g_string_append_c(text, ']');
    return g_string_free(text, FALSE);
}

static const char *
string_member(JsonObject *object, const char *member, const char *fallback)
{
    if (object == NULL || !json_object_has_member(object, member) ||
        json_object_get_null_member(object, member))
        return fallback;
    return json_object_get_string_member(object, member);
}

static gboolean
bool_member(JsonObject *object, const char *member)
{
    return json_object_has_member(object, member) && !json_object_get_null_member(object, member) &&
           json_object_get_boolean_member(object, member);
}

/* Compares the collected outputs with the first n_expected batches of "expected" (all of
 * them when n_expected is G_MAXUINT). */
static gboolean
compare_outputs(Case *c, guint n_expected_limit)
{
    JsonArray *expected = json_object_get_array_member(c->spec, "expected");
    const char *mode = string_member(c->spec, "compare", "list");
    if (bool_member(c->spec, "hash_order") && g_str_equal(mode, "list"))
        mode = "multiset";
    GPtrArray *actual = g_ptr_array_new();
    for (guint output = 0; output < c->outputs->len; output++) {
        if (bool_member(c->spec, "skip_empty_output_batches") &&
            g_str_equal(c->outputs->pdata[output], "[]"))
            continue;
        g_ptr_array_add(actual, c->outputs->pdata[output]);
    }
    gboolean ok = TRUE;
    if (g_str_equal(mode, "take_flat")) {
        /* the first n elements over all batches */
        GPtrArray *flat = g_ptr_array_new_with_free_func(g_free);
        for (guint output = 0; output < actual->len; output++) {
            GPtrArray *elements = elements_of_text(actual->pdata[output]);
            for (guint element = 0; element < elements->len; element++)
                g_ptr_array_add(flat, g_strdup(elements->pdata[element]));
            g_ptr_array_unref(elements);
        }
        GPtrArray *want = g_ptr_array_new_with_free_func(g_free);
        for (guint batch = 0; batch < json_array_get_length(expected); batch++) {
            GPtrArray *elements = elements_of_node(json_array_get_element(expected, batch));
            for (guint element = 0; element < elements->len; element++)
                g_ptr_array_add(want, g_strdup(elements->pdata[element]));
            g_ptr_array_unref(elements);
        }
        g_ptr_array_set_size(flat, MIN(flat->len, want->len));
        g_autofree char *got = join_elements(flat);
        g_autofree char *wanted = join_elements(want);
        if (strcmp(got, wanted) != 0) {
            g_string_append_printf(c->failure, "first elements %s, expected %s", got, wanted);
            ok = FALSE;
        }
        g_ptr_array_unref(flat);
        g_ptr_array_unref(want);
        g_ptr_array_unref(actual);
        return ok;
    }
    guint n_expected = MIN(json_array_get_length(expected), n_expected_limit);
    if (actual->len < n_expected) {
        g_string_append_printf(c->failure, "%u output batches, expected %u", actual->len,
                               n_expected);
        ok = FALSE;
    }
    for (guint batch = 0; ok && batch < n_expected; batch++) {
        GPtrArray *want = elements_of_node(json_array_get_element(expected, batch));
        GPtrArray *got = elements_of_text(actual->pdata[batch]);
        normalise(want, mode);
        normalise(got, mode);
        g_autofree char *want_text = join_elements(want);
        g_autofree char *got_text = join_elements(got);
        if (strcmp(want_text, got_text) != 0) {
            g_string_append_printf(c->failure, "batch %u (%s): got %s, expected %s", batch + 1,
                                   mode, got_text, want_text);
            ok = FALSE;
        }
        g_ptr_array_unref(want);
        g_ptr_array_unref(got);
    }
    g_ptr_array_unref(actual);
    return ok;
}

/* Compares the state snapshots with expected_state_snapshots, per batch as sets. */
static gboolean
compare_snapshots(Case *c)
{
    if (!json_object_has_member(c->spec, "expected_state_snapshots"))
        return TRUE;
    JsonArray *expected = json_object_get_array_member(c->spec, "expected_state_snapshots");
    guint n = json_array_get_length(expected);
    if (c->snapshots->len < n) {
        g_string_append_printf(c->failure, "%u state snapshots, expected %u", c->snapshots->len, n);
        return FALSE;
    }
    for (guint batch = 0; batch < n; batch++) {
        GPtrArray *want = elements_of_node(json_array_get_element(expected, batch));
        GPtrArray *got = elements_of_text(c->snapshots->pdata[batch]);
        normalise(want, "set");
        normalise(got, "set");
        g_autofree char *want_text = join_elements(want);
        g_autofree char *got_text = join_elements(got);
        g_ptr_array_unref(want);
        g_ptr_array_unref(got);
        if (strcmp(want_text, got_text) != 0) {
            g_string_append_printf(c->failure, "state snapshot %u: got %s, expected %s", batch + 1,
                                   got_text, want_text);
            return FALSE;
        }
    }
    return TRUE;
}

/* The set of elements of a JSON text, normalised. */
static char *
set_text(const char *json)
{
    GPtrArray *elements = elements_of_text(json);
    normalise(elements, "set");
    char *text = join_elements(elements);
    g_ptr_array_unref(elements);
    return text;
}

static char *
node_set_text(JsonNode *node)
{
    GPtrArray *elements = elements_of_node(node);
    normalise(elements, "set");
    char *text = join_elements(elements);
    g_ptr_array_unref(elements);
    return text;
}

/* The mapWithState timeout properties of MapWithStateSuite. */
static gboolean
check_state_assertion(Case *c, const char *kind, JsonNode *value)
{
    g_autofree char *want = node_set_text(value);
    if (g_str_equal(kind, "flattened_outputs_sorted_equal")) {
        GPtrArray *all = g_ptr_array_new_with_free_func(g_free);
        for (guint output = 0; output < c->outputs->len; output++) {
            GPtrArray *elements = elements_of_text(c->outputs->pdata[output]);
            for (guint element = 0; element < elements->len; element++)
                g_ptr_array_add(all, g_strdup(elements->pdata[element]));
            g_ptr_array_unref(elements);
        }
        normalise(all, "multiset");
        GPtrArray *wanted = elements_of_node(value);
        normalise(wanted, "multiset");
        g_autofree char *got = join_elements(all);
        g_autofree char *expected = join_elements(wanted);
        g_ptr_array_unref(all);
        g_ptr_array_unref(wanted);
        if (strcmp(got, expected) != 0) {
            g_string_append_printf(c->failure, "outputs %s, expected %s", got, expected);
            return FALSE;
        }
        return TRUE;
    }
    if (g_str_equal(kind, "some_state_snapshot_set_equal")) {
        for (guint batch = 0; batch < c->snapshots->len; batch++) {
            g_autofree char *got = set_text(c->snapshots->pdata[batch]);
            if (g_str_equal(got, want))
                return TRUE;
        }
        g_string_append_printf(c->failure, "no state snapshot equals %s", want);
        return FALSE;
    }
    if (g_str_equal(kind, "last_state_snapshot_set_equal")) {
        g_autofree char *got = c->snapshots->len
                                   ? set_text(c->snapshots->pdata[c->snapshots->len - 1])
                                   : g_strdup("[]");
        if (!g_str_equal(got, want)) {
            g_string_append_printf(c->failure, "last state snapshot %s, expected %s", got, want);
            return FALSE;
        }
        return TRUE;
    }
    g_string_append_printf(c->failure, "unsupported assertion %s", kind);
    return FALSE;
}

/* Checks the case's assertions. */
static gboolean
check_assertions(Case *c)
{
    if (!json_object_has_member(c->spec, "assertions"))
        return TRUE;
    JsonArray *assertions = json_object_get_array_member(c->spec, "assertions");
    for (guint index = 0; index < json_array_get_length(assertions); index++) {
        JsonObject *assertion = json_node_get_object(json_array_get_element(assertions, index));
        const char *kind = string_member(assertion, "kind", "");
        if (!g_str_equal(kind, "num_partitions")) {
            if (!check_state_assertion(c, kind, json_object_get_member(assertion, "value")))
                return FALSE;
            continue;
        }
        JsonArray *per_batch = json_object_get_array_member(assertion, "per_batch");
        for (guint batch = 0; batch < json_array_get_length(per_batch); batch++) {
            guint want = (guint)json_array_get_int_element(per_batch, batch);
            guint got = batch < c->output_partitions->len
                            ? GPOINTER_TO_UINT(c->output_partitions->pdata[batch])
                            : 0;
            if (want != got) {
                g_string_append_printf(c->failure, "batch %u has %u partitions, expected %u",
                                       batch + 1, got, want);
                return FALSE;
            }
        }
    }
    return TRUE;
}

static gboolean
check_error(Case *c, const GError *error)
{
    JsonObject *expected = json_object_get_object_member(c->spec, "expected_error");
    if (error == NULL) {
        g_string_append(c->failure, "expected an error, the run succeeded");
        return FALSE;
    }
    const char *contains = string_member(expected, "message_contains", NULL);
    if (contains != NULL && strstr(error->message, contains) == NULL) {
        g_string_append_printf(c->failure, "error \"%s\" does not contain \"%s\"", error->message,
                               contains);
        return FALSE;
    }
    return TRUE;
}

static gboolean
run_slices(Case *c, DuetDStream *stream, gboolean started)
{
    JsonArray *queries = json_object_get_array_member(c->spec, "slice_queries");
    for (guint index = 0; index < json_array_get_length(queries); index++) {
        JsonObject *query = json_node_get_object(json_array_get_element(queries, index));
        gint64 zero = 0;
        GError *error = NULL;
        GPtrArray *rdds =
            duet_dstream_slice(stream, zero + json_object_get_int_member(query, "from_ms"),
                               zero + json_object_get_int_member(query, "to_ms"), &error);
        if (json_object_has_member(query, "expected_error")) {
            JsonObject *expected = json_object_get_object_member(query, "expected_error");
            const char *contains = string_member(expected, "message_contains", "");
            gboolean ok = error != NULL && strstr(error->message, contains) != NULL;
            if (!ok)
                g_string_append_printf(c->failure, "slice: expected an error containing \"%s\"",
                                       contains);
            g_clear_error(&error);
            if (rdds)
                g_ptr_array_unref(rdds);
            if (!ok)
                return FALSE;
            continue;
        }
        if (rdds == NULL) {
            g_string_append_printf(c->failure, "slice failed: %s", error->message);
            g_error_free(error);
            return FALSE;
        }
        GPtrArray *got = g_ptr_array_new_with_free_func(g_free);
        for (guint rdd = 0; rdd < rdds->len; rdd++) {
            g_autoptr(DuetBatch) batch = duet_rdd_collect(rdds->pdata[rdd], NULL);
            for (gsize row_idx = 0; batch && row_idx < duet_batch_n_rows(batch); row_idx++) {
                GString *text = g_string_new(NULL);
                DuetRow row = duet_batch_row(batch, row_idx);
                duet_json_append_row(text, &row);
                g_ptr_array_add(got, g_string_free(text, FALSE));
            }
        }
        GPtrArray *want = elements_of_node(json_object_get_member(query, "expected_set"));
        normalise(got, "set");
        normalise(want, "set");
        g_autofree char *got_text = join_elements(got);
        g_autofree char *want_text = join_elements(want);
        gboolean ok = strcmp(got_text, want_text) == 0;
        if (!ok)
            g_string_append_printf(c->failure, "slice %d: got %s, expected %s", index, got_text,
                                   want_text);
        g_ptr_array_unref(got);
        g_ptr_array_unref(want);
        g_ptr_array_unref(rdds);
        if (!ok)
            return FALSE;
    }
    (void)started;
    return TRUE;
}

/* Runs one case; TRUE when it passes. */
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
    c.keep = g_ptr_array_new_with_free_func(multi_transform_free);
    c.snapshots = g_ptr_array_new_with_free_func(g_free);
    const char *kind = string_member(spec, "kind", "stream");
    JsonObject *expected_error = json_object_has_member(spec, "expected_error")
                                     ? json_object_get_object_member(spec, "expected_error")
                                     : NULL;
    gboolean at_construction =
        g_str_equal(string_member(expected_error, "when", ""), "construction");

    JsonArray *inputs = json_object_get_array_member(spec, "inputs");
    for (guint input = 0; input < json_array_get_length(inputs); input++) {
        DuetDStream *stream = build_input(&c, json_array_get_array_element(inputs, input), &error);
        if (stream == NULL)
            goto done;
        g_ptr_array_add(c.inputs, stream);
    }
    DuetDStream *result =
        apply_steps(&c, c.inputs->pdata[0], json_object_get_array_member(spec, "pipeline"), &error);
    if (result == NULL) {
        if (at_construction)
            passed = check_error(&c, error);
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
        passed = run_slices(&c, result, !expect_uninitialized);
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
        passed = check_error(&c, error);
        /* the batches before the failing one still produced their outputs */
        guint before_failure =
            json_object_has_member(expected_error, "first_failing_batch")
                ? (guint)json_object_get_int_member(expected_error, "first_failing_batch") - 1
                : G_MAXUINT;
        if (passed && expected)
            passed = compare_outputs(&c, before_failure);
        goto done;
    }
    if (error != NULL)
        goto done;
    passed = (expected == NULL || compare_outputs(&c, G_MAXUINT)) && compare_snapshots(&c) &&
             check_assertions(&c);
done:
    if (!passed && failure->len == 0 && error != NULL)
        g_string_append(failure, error->message);
    if (!passed && failure->len == 0)
        g_string_append(failure, "failed");
    g_clear_error(&error);
    duet_streaming_context_unref(c.ssc);
    g_ptr_array_unref(c.inputs);
    g_ptr_array_unref(c.keep);
    g_ptr_array_unref(c.outputs);
    g_ptr_array_unref(c.output_partitions);
    g_ptr_array_unref(c.snapshots);
    duet_clock_unref(c.clock);
    duet_context_unref(c.spark);
    duet_conformance_remove_tree(c.checkpoint_dir);
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
