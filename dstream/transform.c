/* transform.c — stateless transformations: each batch's RDD is an RDD operation applied to the
 * parents' RDDs of the same batch time.
 *
 * Layer: dstream/. Includes rdd/ and dstream/. One stream kind with an operation code covers
 * Spark's MappedDStream, FlatMappedDStream, FilteredDStream, MapPartitionedDStream,
 * GlommedDStream, ShuffledDStream, MapValuedDStream, FlatMapValuedDStream, UnionDStream and
 * TransformedDStream. As in Spark, unary operations of a parent without an RDD have no RDD,
 * while union and transform (and the joins, which Spark builds with transformWith) fail the
 * batch.
 */
#include "dstream/internal.h"

typedef enum {
    OP_MAP,
    OP_FLAT_MAP,
    OP_FILTER,
    OP_MAP_PARTITIONS,
    OP_GLOM,
    OP_REPARTITION,
    OP_MAP_VALUES,
    OP_FLAT_MAP_VALUES,
    OP_COUNT,
    OP_REDUCE,
    OP_COUNT_BY_VALUE,
    OP_REDUCE_BY_KEY,
    OP_GROUP_BY_KEY,
    OP_COMBINE_BY_KEY,
    OP_JOIN,
    OP_LEFT_OUTER_JOIN,
    OP_RIGHT_OUTER_JOIN,
    OP_FULL_OUTER_JOIN,
    OP_COGROUP,
    OP_UNION,
    OP_TRANSFORM,
    OP_TRANSFORM_WITH,
} OpCode;

typedef struct {
    OpCode code;
    DuetMapFunc map;
    DuetFilterFunc filter;
    DuetPartitionFunc partition;
    DuetValueFunc value;
    DuetReduceFunc reduce;
    DuetCreateFunc create;
    DuetReduceFunc merge_value;
    DuetReduceFunc merge_combiners;
    DuetTransformFunc transform;
    DuetTransformWithFunc transform_with;
    DuetDataType *type;   /* mapValues value type, combiner type (owned) */
    guint num_partitions; /* 0 = default parallelism */
    gpointer user_data;
} Op;

static void
op_free(gpointer data)
{
    Op *op = data;
    if (op->type)
        duet_data_type_unref(op->type);
    g_free(op);
}

/* Operations whose parents must all have an RDD (Spark fails the batch otherwise). */
static gboolean
needs_every_parent(OpCode code)
{
    return code >= OP_JOIN || code == OP_COUNT;
}

static guint
partitions_of(DuetDStream *stream, const Op *op)
{
    if (op->num_partitions > 0)
        return op->num_partitions;
    return duet_context_default_partitions(duet_streaming_context_spark_context(stream->context));
}

/* count and reduce key every element by one null key (Spark's map(x => (null, x))). */
static void
with_null_key(const DuetRow *row, DuetBatchBuilder *out, gpointer user_data)
{
    duet_batch_builder_append_null(out, 0);
    DuetValue value;
    duet_row_get_value(row, 0, &value);
    if (user_data != NULL)
        duet_column_builder_append_int64(duet_batch_builder_column(out, 1), 1);
    else
        duet_column_builder_append_from(duet_batch_builder_column(out, 1),
                                        duet_batch_column(row->batch, 0), row->index);
}

static void
sum_int64(const DuetValue *a, const DuetValue *b, DuetValue *out, gpointer user_data)
{
    *out = duet_value_int64(a->v.i64 + b->v.i64);
}

/* Spark's count: map(_ => (null, 1L)), union one (null, 0L) so an empty batch counts 0,
 * reduceByKey(_ + _), values. */
static DuetRdd *
count_rdd(DuetDStream *stream, DuetRdd *rdd, GError **error)
{
    DuetContext *spark = duet_streaming_context_spark_context(stream->context);
    g_autoptr(DuetSchema) keyed = duet_schema_parse("k INT, count BIGINT", NULL);
    g_autoptr(DuetRdd) ones = duet_rdd_map(rdd, keyed, with_null_key, GINT_TO_POINTER(1));
    g_autoptr(DuetBatch) zero_row = duet_batch_new_empty(keyed);
    DuetBatchBuilder *builder = duet_batch_builder_new(keyed, 1);
    duet_batch_builder_append_null(builder, 0);
    duet_batch_builder_append_int64(builder, 1, 0);
    g_autoptr(DuetBatch) zero = duet_batch_builder_finish(builder, NULL);
    duet_batch_builder_free(builder);
    g_autoptr(DuetRdd) zero_rdd = duet_rdd_parallelize(spark, zero, 1);
    DuetRdd *parts[] = {ones, zero_rdd};
    g_autoptr(DuetRdd) all = duet_rdd_union(parts, 2, error);
    if (all == NULL)
        return NULL;
    g_autoptr(DuetRdd) summed = duet_rdd_reduce_by_key(all, sum_int64, NULL, 1, error);
    return summed ? duet_rdd_values(summed) : NULL;
}

/* Spark's reduce: map(x => (null, x)).reduceByKey(f, 1).map(_._2). */
static DuetRdd *
reduce_rdd(DuetDStream *stream, DuetRdd *rdd, const Op *op, GError **error)
{
    g_autoptr(DuetSchema) keyed = duet_schema_new();
    g_autoptr(DuetDataType) int_type = duet_data_type_new_scalar(DUET_TYPE_INT32);
    duet_schema_add_field(keyed, "k", int_type, TRUE);
    const DuetField *field = duet_schema_field(stream->schema, 0);
    duet_schema_add_field(keyed, field->name, field->type, TRUE);
    g_autoptr(DuetRdd) pairs = duet_rdd_map(rdd, keyed, with_null_key, NULL);
    g_autoptr(DuetRdd) reduced = duet_rdd_reduce_by_key(pairs, op->reduce, op->user_data, 1, error);
    return reduced ? duet_rdd_values(reduced) : NULL;
}

static DuetRdd *
apply(DuetDStream *stream, const Op *op, DuetRdd **rdds, guint n, gint64 time_ms, GError **error)
{
    DuetRdd *rdd = rdds[0];
    guint partitions = partitions_of(stream, op);
    switch (op->code) {
    case OP_MAP:
        return duet_rdd_map(rdd, stream->schema, op->map, op->user_data);
    case OP_FLAT_MAP:
        return duet_rdd_flat_map(rdd, stream->schema, op->map, op->user_data);
    case OP_FILTER:
        return duet_rdd_filter(rdd, op->filter, op->user_data);
    case OP_MAP_PARTITIONS:
        return duet_rdd_map_partitions(rdd, stream->schema, op->partition, op->user_data, FALSE);
    case OP_GLOM:
        return duet_rdd_glom(rdd);
    case OP_REPARTITION:
        return duet_rdd_repartition(rdd, op->num_partitions);
    case OP_MAP_VALUES:
        return duet_rdd_map_values(rdd, op->type, op->value, op->user_data, error);
    case OP_FLAT_MAP_VALUES:
        return duet_rdd_flat_map_values(rdd, op->type, op->value, op->user_data, error);
    case OP_COUNT:
        return count_rdd(stream, rdd, error);
    case OP_REDUCE:
        return reduce_rdd(stream, rdd, op, error);
    case OP_COUNT_BY_VALUE:
        return duet_rdd_count_by_value(rdd, partitions);
    case OP_REDUCE_BY_KEY:
        return duet_rdd_reduce_by_key(rdd, op->reduce, op->user_data, partitions, error);
    case OP_GROUP_BY_KEY:
        return duet_rdd_group_by_key(rdd, partitions, error);
    case OP_COMBINE_BY_KEY:
        return duet_rdd_combine_by_key(rdd, op->type, op->create, op->merge_value,
                                       op->merge_combiners, op->user_data, partitions, error);
    case OP_JOIN:
        return duet_rdd_join(rdd, rdds[1], partitions, error);
    case OP_LEFT_OUTER_JOIN:
        return duet_rdd_left_outer_join(rdd, rdds[1], partitions, error);
    case OP_RIGHT_OUTER_JOIN:
        return duet_rdd_right_outer_join(rdd, rdds[1], partitions, error);
    case OP_FULL_OUTER_JOIN:
        return duet_rdd_full_outer_join(rdd, rdds[1], partitions, error);
    case OP_COGROUP:
        return duet_rdd_cogroup(rdds, 2, partitions, error);
    case OP_UNION:
        return duet_rdd_union(rdds, n, error);
    case OP_TRANSFORM:
    case OP_TRANSFORM_WITH: {
        GError *local = NULL;
        DuetRdd *result = op->code == OP_TRANSFORM
                              ? op->transform(rdd, time_ms, op->user_data, &local)
                              : op->transform_with(rdd, rdds[1], time_ms, op->user_data, &local);
        if (local != NULL) {
            g_propagate_error(error, local);
            return NULL;
        }
        if (result == NULL)
            g_set_error(error, DUET_DSTREAM_ERROR, DUET_DSTREAM_ERROR_NULL_RDD,
                        "Transform function must not return null. Return "
                        "SparkContext.emptyRDD() instead to represent no element as the result "
                        "of transformation.");
        return result;
    }
    }
    return NULL;
}

static DuetRdd *
op_compute(DuetDStream *stream, gint64 time_ms, GError **error)
{
    const Op *op = stream->op_data;
    guint n = stream->parents->len;
    DuetRdd **rdds = g_new0(DuetRdd *, n);
    DuetRdd *result = NULL;
    gboolean missing = FALSE;
    for (guint parent_idx = 0; parent_idx < n; parent_idx++) {
        GError *local = NULL;
        rdds[parent_idx] =
            duet_dstream_get_or_compute(duet_dstream_parent(stream, parent_idx), time_ms, &local);
        if (local != NULL) {
            g_propagate_error(error, local);
            goto out;
        }
        missing |= rdds[parent_idx] == NULL;
    }
    if (missing) {
        if (needs_every_parent(op->code) || (op->code == OP_UNION))
            g_set_error(
                error, DUET_DSTREAM_ERROR, DUET_DSTREAM_ERROR_NO_RDD,
                op->code == OP_UNION
                    ? "Could not generate RDD from a parent for unifying at time %" G_GINT64_FORMAT
                      " ms"
                    : "Couldn't generate RDD from parent at time %" G_GINT64_FORMAT " ms",
                time_ms);
        goto out;
    }
    result = apply(stream, op, rdds, n, time_ms, error);
out:
    for (guint parent_idx = 0; parent_idx < n; parent_idx++) {
        if (rdds[parent_idx] != NULL)
            duet_rdd_unref(rdds[parent_idx]);
    }
    g_free(rdds);
    return result;
}

static const DuetDStreamOps op_stream_ops = {.name = "TransformedDStream", .compute = op_compute};

static DuetDStream *
new_op_stream(DuetDStream *parent, DuetSchema *schema, Op *op)
{
    DuetDStream *stream =
        duet_dstream_new_internal(parent->context, &op_stream_ops, schema, parent->slide_ms);
    duet_dstream_add_parent(stream, parent);
    stream->op_data = op;
    stream->op_data_free = op_free;
    return stream;
}

static Op *
new_op(OpCode code, gpointer user_data)
{
    Op *op = g_new0(Op, 1);
    op->code = code;
    op->user_data = user_data;
    return op;
}

DuetDStream *
duet_dstream_map(DuetDStream *stream, DuetSchema *out_schema, DuetMapFunc f, gpointer user_data)
{
    Op *op = new_op(OP_MAP, user_data);
    op->map = f;
    return new_op_stream(stream, out_schema, op);
}

DuetDStream *
duet_dstream_flat_map(DuetDStream *stream, DuetSchema *out_schema, DuetMapFunc f,
                      gpointer user_data)
{
    Op *op = new_op(OP_FLAT_MAP, user_data);
    op->map = f;
    return new_op_stream(stream, out_schema, op);
}

DuetDStream *
duet_dstream_filter(DuetDStream *stream, DuetFilterFunc f, gpointer user_data)
{
    Op *op = new_op(OP_FILTER, user_data);
    op->filter = f;
    return new_op_stream(stream, stream->schema, op);
}

DuetDStream *
duet_dstream_map_partitions(DuetDStream *stream, DuetSchema *out_schema, DuetPartitionFunc f,
                            gpointer user_data)
{
    Op *op = new_op(OP_MAP_PARTITIONS, user_data);
    op->partition = f;
    return new_op_stream(stream, out_schema, op);
}

/* The schema an RDD operation gives, found by applying it to an empty RDD. */
static DuetSchema *
schema_after(DuetDStream *stream, DuetRdd *(*operation)(DuetRdd *rdd, gpointer data), gpointer data)
{
    g_autoptr(DuetRdd) empty = duet_dstream_empty_rdd(stream);
    g_autoptr(DuetRdd) result = operation(empty, data);
    return result ? duet_schema_ref(duet_rdd_schema(result)) : NULL;
}

static DuetRdd *
glom_of(DuetRdd *rdd, gpointer data)
{
    return duet_rdd_glom(rdd);
}

DuetDStream *
duet_dstream_glom(DuetDStream *stream)
{
    g_autoptr(DuetSchema) schema = schema_after(stream, glom_of, NULL);
    return new_op_stream(stream, schema, new_op(OP_GLOM, NULL));
}

DuetDStream *
duet_dstream_repartition(DuetDStream *stream, guint num_partitions)
{
    Op *op = new_op(OP_REPARTITION, NULL);
    op->num_partitions = MAX(num_partitions, 1);
    return new_op_stream(stream, stream->schema, op);
}

static gboolean
check_pair(DuetDStream *stream, const char *operation, GError **error)
{
    if (duet_schema_n_fields(stream->schema) == 2)
        return TRUE;
    g_autofree char *text = duet_schema_to_string(stream->schema);
    g_set_error(error, DUET_DSTREAM_ERROR, DUET_DSTREAM_ERROR_INVALID,
                "%s needs a DStream of (key, value) pairs, not %s", operation, text);
    return FALSE;
}

static DuetSchema *
pair_schema(DuetDStream *stream, DuetDataType *value_type)
{
    DuetSchema *schema = duet_schema_new();
    const DuetField *key = duet_schema_field(stream->schema, 0);
    duet_schema_add_field(schema, key->name, key->type, key->nullable);
    duet_schema_add_field(schema, duet_schema_field(stream->schema, 1)->name, value_type, TRUE);
    return schema;
}

static DuetDStream *
map_values(DuetDStream *stream, OpCode code, DuetDataType *value_type, DuetValueFunc f,
           gpointer user_data, const char *operation, GError **error)
{
    if (!check_pair(stream, operation, error))
        return NULL;
    Op *op = new_op(code, user_data);
    op->value = f;
    op->type = duet_data_type_ref(value_type);
    g_autoptr(DuetSchema) schema = pair_schema(stream, value_type);
    return new_op_stream(stream, schema, op);
}

DuetDStream *
duet_dstream_map_values(DuetDStream *stream, DuetDataType *value_type, DuetValueFunc f,
                        gpointer user_data, GError **error)
{
    return map_values(stream, OP_MAP_VALUES, value_type, f, user_data, "mapValues", error);
}

DuetDStream *
duet_dstream_flat_map_values(DuetDStream *stream, DuetDataType *value_type, DuetValueFunc f,
                             gpointer user_data, GError **error)
{
    return map_values(stream, OP_FLAT_MAP_VALUES, value_type, f, user_data, "flatMapValues", error);
}

DuetDStream *
duet_dstream_union(DuetDStream *const *streams, guint n, GError **error)
{
    g_return_val_if_fail(streams != NULL && n > 0, NULL);
    for (guint stream_idx = 1; stream_idx < n; stream_idx++) {
        if (streams[stream_idx]->slide_ms != streams[0]->slide_ms) {
            g_set_error(error, DUET_DSTREAM_ERROR, DUET_DSTREAM_ERROR_INVALID,
                        "Array of DStreams have different slide times");
            return NULL;
        }
        if (!duet_schema_equal(streams[stream_idx]->schema, streams[0]->schema)) {
            g_set_error(error, DUET_DSTREAM_ERROR, DUET_DSTREAM_ERROR_INVALID,
                        "union needs DStreams of one element schema");
            return NULL;
        }
    }
    DuetDStream *stream = new_op_stream(streams[0], streams[0]->schema, new_op(OP_UNION, NULL));
    for (guint stream_idx = 1; stream_idx < n; stream_idx++)
        duet_dstream_add_parent(stream, streams[stream_idx]);
    return stream;
}

DuetDStream *
duet_dstream_count(DuetDStream *stream)
{
    g_autoptr(DuetSchema) schema = duet_schema_parse("count BIGINT", NULL);
    return new_op_stream(stream, schema, new_op(OP_COUNT, NULL));
}

DuetDStream *
duet_dstream_reduce(DuetDStream *stream, DuetReduceFunc f, gpointer user_data, GError **error)
{
    if (duet_schema_n_fields(stream->schema) != 1) {
        g_set_error(error, DUET_DSTREAM_ERROR, DUET_DSTREAM_ERROR_INVALID,
                    "reduce needs a DStream of single values");
        return NULL;
    }
    Op *op = new_op(OP_REDUCE, user_data);
    op->reduce = f;
    return new_op_stream(stream, stream->schema, op);
}

static DuetRdd *
count_by_value_of(DuetRdd *rdd, gpointer data)
{
    return duet_rdd_count_by_value(rdd, 1);
}

DuetDStream *
duet_dstream_count_by_value(DuetDStream *stream, guint num_partitions)
{
    g_autoptr(DuetSchema) schema = schema_after(stream, count_by_value_of, NULL);
    Op *op = new_op(OP_COUNT_BY_VALUE, NULL);
    op->num_partitions = num_partitions;
    return new_op_stream(stream, schema, op);
}

DuetDStream *
duet_dstream_reduce_by_key(DuetDStream *stream, DuetReduceFunc f, gpointer user_data,
                           guint num_partitions, GError **error)
{
    if (!check_pair(stream, "reduceByKey", error))
        return NULL;
    Op *op = new_op(OP_REDUCE_BY_KEY, user_data);
    op->reduce = f;
    op->num_partitions = num_partitions;
    return new_op_stream(stream, stream->schema, op);
}

static DuetRdd *
group_of(DuetRdd *rdd, gpointer data)
{
    return duet_rdd_group_by_key(rdd, 1, NULL);
}

DuetDStream *
duet_dstream_group_by_key(DuetDStream *stream, guint num_partitions, GError **error)
{
    if (!check_pair(stream, "groupByKey", error))
        return NULL;
    g_autoptr(DuetSchema) schema = schema_after(stream, group_of, NULL);
    Op *op = new_op(OP_GROUP_BY_KEY, NULL);
    op->num_partitions = num_partitions;
    return new_op_stream(stream, schema, op);
}

DuetDStream *
duet_dstream_combine_by_key(DuetDStream *stream, DuetDataType *combiner_type,
                            DuetCreateFunc create_combiner, DuetReduceFunc merge_value,
                            DuetReduceFunc merge_combiners, gpointer user_data,
                            guint num_partitions, GError **error)
{
    if (!check_pair(stream, "combineByKey", error))
        return NULL;
    Op *op = new_op(OP_COMBINE_BY_KEY, user_data);
    op->create = create_combiner;
    op->merge_value = merge_value;
    op->merge_combiners = merge_combiners;
    op->type = duet_data_type_ref(combiner_type);
    op->num_partitions = num_partitions;
    g_autoptr(DuetSchema) schema = pair_schema(stream, combiner_type);
    return new_op_stream(stream, schema, op);
}

typedef struct {
    DuetRdd *other;
    OpCode code;
} BinaryProbe;

static DuetRdd *
binary_of(DuetRdd *rdd, gpointer data)
{
    BinaryProbe *probe = data;
    DuetRdd *sides[] = {rdd, probe->other};
    switch (probe->code) {
    case OP_JOIN:
        return duet_rdd_join(rdd, probe->other, 1, NULL);
    case OP_LEFT_OUTER_JOIN:
        return duet_rdd_left_outer_join(rdd, probe->other, 1, NULL);
    case OP_RIGHT_OUTER_JOIN:
        return duet_rdd_right_outer_join(rdd, probe->other, 1, NULL);
    case OP_FULL_OUTER_JOIN:
        return duet_rdd_full_outer_join(rdd, probe->other, 1, NULL);
    default:
        return duet_rdd_cogroup(sides, 2, 1, NULL);
    }
}

static DuetDStream *
binary(DuetDStream *stream, DuetDStream *other, OpCode code, guint num_partitions,
       const char *operation, GError **error)
{
    if (!check_pair(stream, operation, error) || !check_pair(other, operation, error))
        return NULL;
    if (other->slide_ms != stream->slide_ms) {
        g_set_error(error, DUET_DSTREAM_ERROR, DUET_DSTREAM_ERROR_INVALID,
                    "%s needs DStreams of one slide duration", operation);
        return NULL;
    }
    g_autoptr(DuetRdd) other_empty = duet_dstream_empty_rdd(other);
    BinaryProbe probe = {other_empty, code};
    g_autoptr(DuetSchema) schema = schema_after(stream, binary_of, &probe);
    if (schema == NULL) {
        g_set_error(error, DUET_DSTREAM_ERROR, DUET_DSTREAM_ERROR_INVALID,
                    "%s needs keys of one type on both sides", operation);
        return NULL;
    }
    Op *op = new_op(code, NULL);
    op->num_partitions = num_partitions;
    DuetDStream *joined = new_op_stream(stream, schema, op);
    duet_dstream_add_parent(joined, other);
    return joined;
}

DuetDStream *
duet_dstream_join(DuetDStream *stream, DuetDStream *other, guint num_partitions, GError **error)
{
    return binary(stream, other, OP_JOIN, num_partitions, "join", error);
}

DuetDStream *
duet_dstream_left_outer_join(DuetDStream *stream, DuetDStream *other, guint num_partitions,
                             GError **error)
{
    return binary(stream, other, OP_LEFT_OUTER_JOIN, num_partitions, "leftOuterJoin", error);
}

DuetDStream *
duet_dstream_right_outer_join(DuetDStream *stream, DuetDStream *other, guint num_partitions,
                              GError **error)
{
    return binary(stream, other, OP_RIGHT_OUTER_JOIN, num_partitions, "rightOuterJoin", error);
}

DuetDStream *
duet_dstream_full_outer_join(DuetDStream *stream, DuetDStream *other, guint num_partitions,
                             GError **error)
{
    return binary(stream, other, OP_FULL_OUTER_JOIN, num_partitions, "fullOuterJoin", error);
}

DuetDStream *
duet_dstream_cogroup(DuetDStream *stream, DuetDStream *other, guint num_partitions, GError **error)
{
    return binary(stream, other, OP_COGROUP, num_partitions, "cogroup", error);
}

DuetDStream *
duet_dstream_transform(DuetDStream *stream, DuetSchema *out_schema, DuetTransformFunc f,
                       gpointer user_data)
{
    Op *op = new_op(OP_TRANSFORM, user_data);
    op->transform = f;
    return new_op_stream(stream, out_schema, op);
}

DuetDStream *
duet_dstream_transform_with(DuetDStream *stream, DuetDStream *other, DuetSchema *out_schema,
                            DuetTransformWithFunc f, gpointer user_data, GError **error)
{
    if (other->slide_ms != stream->slide_ms) {
        g_set_error(error, DUET_DSTREAM_ERROR, DUET_DSTREAM_ERROR_INVALID,
                    "transformWith needs DStreams of one slide duration");
        return NULL;
    }
    Op *op = new_op(OP_TRANSFORM_WITH, user_data);
    op->transform_with = f;
    DuetDStream *transformed = new_op_stream(stream, out_schema, op);
    duet_dstream_add_parent(transformed, other);
    return transformed;
}
