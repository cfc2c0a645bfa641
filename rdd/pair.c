/* pair.c — wide transformations of one parent: partitionBy, repartition, the byKey family,
 * countByValue, distinct and sortByKey.
 *
 * Layer: rdd/. Includes rdd/ only. Each returns a ShuffledRDD whose reduce side fetches its
 * blocks (shuffle.c) and finishes the operation: merging combiners per key, grouping values,
 * dropping duplicate rows, or sorting. Keys are column 0 of a two-column RDD. Output keys come
 * in first-arrival order within a reduce partition (Spark's come in hash-map order; neither is
 * promised).
 */
#include "rdd/internal.h"

typedef enum {
    REDUCE_PLAIN,    /* the fetched rows as they are */
    REDUCE_COMBINE,  /* merge (key, combiner) rows per key */
    REDUCE_GROUP,    /* (key, array of values) */
    REDUCE_DISTINCT, /* first occurrence of each whole row */
    REDUCE_SORT,     /* rows sorted by key */
} ReduceKind;

typedef struct {
    ReduceKind kind;           /* what the reduce side does */
    DuetAggregator aggregator; /* REDUCE_COMBINE; combiner_type owned */
    gboolean ascending;        /* REDUCE_SORT */
    gpointer wrapper;          /* aggregateByKey's wrapped functions (owned), or NULL */
} ReduceOp;

static void
reduce_op_free(gpointer data)
{
    ReduceOp *op = data;
    if (op->aggregator.combiner_type != NULL)
        duet_data_type_unref(op->aggregator.combiner_type);
    g_free(op->wrapper);
    g_free(op);
}

static GPtrArray *
new_batch_list(void)
{
    return g_ptr_array_new_with_free_func((GDestroyNotify)duet_batch_unref);
}

static gboolean
finish_into(DuetBatchBuilder *builder, GPtrArray *list, GError **error)
{
    DuetBatch *batch = duet_batch_builder_finish(builder, error);
    if (batch == NULL)
        return FALSE;
    if (duet_batch_n_rows(batch) > 0)
        g_ptr_array_add(list, batch);
    else
        duet_batch_unref(batch);
    return TRUE;
}

static gsize
count_rows(GPtrArray *batches)
{
    gsize n_rows = 0;
    for (guint batch_idx = 0; batch_idx < batches->len; batch_idx++)
        n_rows += duet_batch_n_rows(g_ptr_array_index(batches, batch_idx));
    return n_rows;
}

/* ---- Reduce sides ------------------------------------------------------------------------- */

/* The reduce side merges (key, combiner) rows with mergeCombiners; it is the same loop as the
 * map side's combine, with mergeCombiners as the merge function and one output partition. */
static GPtrArray *
reduce_combine(DuetRdd *rdd, ReduceOp *op, GPtrArray *input, GError **error)
{
    DuetAggregator merge = {
        .combiner_type = op->aggregator.combiner_type,
        .merge_value = op->aggregator.merge_combiners,
        .user_data = op->aggregator.user_data,
    };
    GPtrArray *output = new_batch_list();
    if (!duet_combine_partition(&merge, rdd->schema, input, 1, &output, error))
        g_clear_pointer(&output, g_ptr_array_unref);
    return output;
}

/* Chains of rows per key, in arrival order: rows are numbered globally across the batches. */
typedef struct {
    GPtrArray *batches; /* borrowed */
    gsize *batch_base;  /* global index of each batch's row 0 */
    gint64 *next;       /* per global row: next row of the same key, or -1 */
    gint64 *head;       /* per key entry */
    gint64 *tail;       /* per key entry */
} RowChains;

static void
locate_row(const RowChains *chains, gint64 global, DuetBatch **batch, gsize *row)
{
    guint low = 0, high = chains->batches->len;
    while (high - low > 1) {
        guint middle = (low + high) / 2;
        if (chains->batch_base[middle] <= (gsize)global)
            low = middle;
        else
            high = middle;
    }
    *batch = g_ptr_array_index(chains->batches, low);
    *row = (gsize)global - chains->batch_base[low];
}

static GPtrArray *
reduce_group(DuetRdd *rdd, GPtrArray *input, GError **error)
{
    gsize n_rows = count_rows(input);
    DuetKeyMap *map = duet_key_map_new(MIN(n_rows, 1 << 16));
    RowChains chains = {input, g_new0(gsize, input->len + 1), g_new(gint64, MAX(n_rows, 1)), NULL,
                        NULL};
    GArray *heads = g_array_new(FALSE, FALSE, sizeof(gint64));
    GArray *tails = g_array_new(FALSE, FALSE, sizeof(gint64));
    gsize global = 0;
    for (guint batch_idx = 0; batch_idx < input->len; batch_idx++) {
        DuetBatch *batch = g_ptr_array_index(input, batch_idx);
        chains.batch_base[batch_idx] = global;
        DuetKeyReader reader;
        duet_key_reader_init(&reader, batch, 0);
        for (gsize row_idx = 0; row_idx < duet_batch_n_rows(batch); row_idx++, global++) {
            DuetKey key;
            duet_key_reader_read(&reader, row_idx, &key);
            gboolean is_new;
            guint entry = duet_key_map_insert(map, &key, &is_new);
            chains.next[global] = -1;
            gint64 row_global = (gint64)global;
            if (is_new) {
                g_array_append_val(heads, row_global);
                g_array_append_val(tails, row_global);
            } else {
                chains.next[g_array_index(tails, gint64, entry)] = row_global;
                g_array_index(tails, gint64, entry) = row_global;
            }
        }
    }
    guint n_keys = duet_key_map_size(map);
    DuetBatchBuilder *builder = duet_batch_builder_new(rdd->schema, n_keys);
    DuetColumnBuilder *keys_out = duet_batch_builder_column(builder, 0);
    DuetColumnBuilder *lists_out = duet_batch_builder_column(builder, 1);
    DuetColumnBuilder *values_out = duet_column_builder_child(lists_out, 0);
    for (guint entry = 0; entry < n_keys; entry++) {
        const DuetKey *key = duet_key_map_key(map, entry);
        duet_column_builder_append_from(keys_out, duet_batch_column(key->batch, 0), key->row);
        for (gint64 member = g_array_index(heads, gint64, entry); member >= 0;
             member = chains.next[member]) {
            DuetBatch *batch;
            gsize row;
            locate_row(&chains, member, &batch, &row);
            duet_column_builder_append_from(values_out, duet_batch_column(batch, 1), row);
        }
        duet_column_builder_end_list(lists_out);
    }
    GPtrArray *output = new_batch_list();
    if (!finish_into(builder, output, error))
        g_clear_pointer(&output, g_ptr_array_unref);
    duet_batch_builder_free(builder);
    g_array_unref(heads);
    g_array_unref(tails);
    g_free(chains.batch_base);
    g_free(chains.next);
    duet_key_map_free(map);
    return output;
}

static GPtrArray *
reduce_distinct(DuetRdd *rdd, GPtrArray *input, GError **error)
{
    DuetKeyMap *map = duet_key_map_new(MIN(count_rows(input), 1 << 16));
    DuetBatchBuilder *builder = duet_batch_builder_new(rdd->schema, 0);
    for (guint batch_idx = 0; batch_idx < input->len; batch_idx++) {
        DuetBatch *batch = g_ptr_array_index(input, batch_idx);
        DuetKeyReader reader;
        duet_key_reader_init(&reader, batch, -1);
        for (gsize row_idx = 0; row_idx < duet_batch_n_rows(batch); row_idx++) {
            DuetKey key;
            duet_key_reader_read(&reader, row_idx, &key);
            gboolean is_new;
            duet_key_map_insert(map, &key, &is_new);
            if (is_new) {
                DuetRow row = duet_batch_row(batch, row_idx);
                duet_batch_builder_append_row(builder, &row);
            }
        }
    }
    GPtrArray *output = new_batch_list();
    if (!finish_into(builder, output, error))
        g_clear_pointer(&output, g_ptr_array_unref);
    duet_batch_builder_free(builder);
    duet_key_map_free(map);
    return output;
}

typedef struct {
    const DuetColumn *keys; /* the concatenated keys */
    gboolean ascending;
} SortContext;

static gint
compare_key_rows(gconstpointer a, gconstpointer b, gpointer user_data)
{
    const SortContext *sort = user_data;
    int order =
        duet_column_compare_rows(sort->keys, *(const guint32 *)a, sort->keys, *(const guint32 *)b);
    return sort->ascending ? order : -order;
}

static GPtrArray *
reduce_sort(DuetRdd *rdd, ReduceOp *op, GPtrArray *input, GError **error)
{
    DuetBatch *all =
        duet_batch_concat(rdd->schema, (DuetBatch *const *)input->pdata, input->len, error);
    if (all == NULL)
        return NULL;
    gsize n_rows = duet_batch_n_rows(all);
    guint32 *order = g_new(guint32, MAX(n_rows, 1));
    for (gsize row_idx = 0; row_idx < n_rows; row_idx++)
        order[row_idx] = (guint32)row_idx;
    SortContext sort = {duet_batch_column(all, 0), op->ascending};
    /* GLib's g_qsort_with_data is a stable merge sort. */
    g_qsort_with_data(order, (gint)n_rows, sizeof(guint32), compare_key_rows, &sort);
    GPtrArray *output = new_batch_list();
    if (n_rows > 0)
        g_ptr_array_add(output, duet_batch_take(all, order, n_rows));
    g_free(order);
    duet_batch_unref(all);
    return output;
}

static GPtrArray *
shuffled_compute(DuetRdd *rdd, guint partition, GError **error)
{
    ReduceOp *op = rdd->op_data;
    GPtrArray *input = duet_shuffle_fetch(g_ptr_array_index(rdd->shuffles, 0), partition);
    GPtrArray *output = NULL;
    switch (op->kind) {
    case REDUCE_PLAIN:
        return input;
    case REDUCE_COMBINE:
        output = reduce_combine(rdd, op, input, error);
        break;
    case REDUCE_GROUP:
        output = reduce_group(rdd, input, error);
        break;
    case REDUCE_DISTINCT:
        output = reduce_distinct(rdd, input, error);
        break;
    case REDUCE_SORT:
        output = reduce_sort(rdd, op, input, error);
        break;
    }
    g_ptr_array_unref(input);
    return output;
}

static const DuetRddOps shuffled_ops = {"ShuffledRDD", shuffled_compute};

static guint
default_partitions(DuetRdd *rdd, guint num_partitions)
{
    return num_partitions > 0 ? num_partitions : MAX(rdd->n_partitions, 1);
}

/* A ShuffledRDD over one shuffle of parent. Takes ownership of op. */
static DuetRdd *
new_shuffled(DuetRdd *parent, DuetSchema *schema, DuetPartitionerKind kind, guint n,
             const DuetAggregator *map_side, DuetBatch *bounds, ReduceOp *op, const char *operation)
{
    DuetRdd *rdd = duet_rdd_new_internal(parent->context, schema, n, &shuffled_ops, operation);
    duet_rdd_add_shuffle(rdd, duet_shuffle_new(parent, kind, n, map_side, bounds, op->ascending));
    rdd->op_data = op;
    rdd->op_data_free = reduce_op_free;
    if (kind == DUET_PARTITIONER_HASH_KEY)
        rdd->hash_partitions = n;
    return rdd;
}

/* ---- Public operations -------------------------------------------------------------------- */

DuetRdd *
duet_rdd_partition_by(DuetRdd *rdd, guint num_partitions, GError **error)
{
    if (!duet_rdd_is_pair(rdd, "partitionBy", error))
        return NULL;
    guint n = default_partitions(rdd, num_partitions);
    if (rdd->hash_partitions == n) /* Spark returns the RDD itself for an equal partitioner */
        return duet_rdd_ref(rdd);
    ReduceOp *op = g_new0(ReduceOp, 1);
    op->kind = REDUCE_PLAIN;
    return new_shuffled(rdd, rdd->schema, DUET_PARTITIONER_HASH_KEY, n, NULL, NULL, op,
                        "partitionBy");
}

DuetRdd *
duet_rdd_repartition(DuetRdd *rdd, guint num_partitions)
{
    g_return_val_if_fail(rdd != NULL && num_partitions > 0, NULL);
    ReduceOp *op = g_new0(ReduceOp, 1);
    op->kind = REDUCE_PLAIN;
    return new_shuffled(rdd, rdd->schema, DUET_PARTITIONER_ROUND_ROBIN, num_partitions, NULL, NULL,
                        op, "repartition");
}

static DuetRdd *
combine_by_key(DuetRdd *rdd, const DuetAggregator *aggregator, gpointer wrapper,
               guint num_partitions, const char *operation, GError **error)
{
    if (!duet_rdd_is_pair(rdd, operation, error)) {
        g_free(wrapper);
        return NULL;
    }
    g_autoptr(DuetSchema) schema = duet_schema_new();
    const DuetField *key = duet_schema_field(rdd->schema, 0);
    duet_schema_add_field(schema, key->name, key->type, key->nullable);
    duet_schema_add_field(schema, duet_schema_field(rdd->schema, 1)->name,
                          aggregator->combiner_type, TRUE);
    ReduceOp *op = g_new0(ReduceOp, 1);
    op->kind = REDUCE_COMBINE;
    op->aggregator = *aggregator;
    op->wrapper = wrapper;
    duet_data_type_ref(op->aggregator.combiner_type);
    return new_shuffled(rdd, schema, DUET_PARTITIONER_HASH_KEY,
                        default_partitions(rdd, num_partitions), aggregator, NULL, op, operation);
}

DuetRdd *
duet_rdd_reduce_by_key(DuetRdd *rdd, DuetReduceFunc f, gpointer user_data, guint num_partitions,
                       GError **error)
{
    g_return_val_if_fail(rdd != NULL && f != NULL, NULL);
    if (!duet_rdd_is_pair(rdd, "reduceByKey", error))
        return NULL;
    DuetAggregator aggregator = {
        .combiner_type = duet_schema_field(rdd->schema, 1)->type,
        .merge_value = f,
        .merge_combiners = f,
        .user_data = user_data,
    };
    return combine_by_key(rdd, &aggregator, NULL, num_partitions, "reduceByKey", error);
}

DuetRdd *
duet_rdd_combine_by_key(DuetRdd *rdd, DuetDataType *combiner_type, DuetCreateFunc create_combiner,
                        DuetReduceFunc merge_value, DuetReduceFunc merge_combiners,
                        gpointer user_data, guint num_partitions, GError **error)
{
    g_return_val_if_fail(rdd != NULL && combiner_type != NULL && create_combiner != NULL &&
                             merge_value != NULL && merge_combiners != NULL,
                         NULL);
    DuetAggregator aggregator = {
        .combiner_type = combiner_type,
        .create_combiner = create_combiner,
        .merge_value = merge_value,
        .merge_combiners = merge_combiners,
        .user_data = user_data,
    };
    return combine_by_key(rdd, &aggregator, NULL, num_partitions, "combineByKey", error);
}

/* aggregateByKey(zero)(seqOp, combOp) is combineByKey with createCombiner = seqOp(zero, _).
 * The zero (and its string bytes) is copied into the wrapper, which the RDD owns. */
typedef struct {
    DuetValue zero; /* strings point at zero_bytes */
    DuetReduceFunc seq_op;
    DuetReduceFunc comb_op;
    gpointer user_data;
    char zero_bytes[]; /* copy of the zero's string/binary bytes */
} AggregateWrapper;

static void
aggregate_create(const DuetValue *value, DuetValue *out, gpointer user_data)
{
    AggregateWrapper *wrapper = user_data;
    wrapper->seq_op(&wrapper->zero, value, out, wrapper->user_data);
}

static void
aggregate_seq(const DuetValue *a, const DuetValue *b, DuetValue *out, gpointer user_data)
{
    AggregateWrapper *wrapper = user_data;
    wrapper->seq_op(a, b, out, wrapper->user_data);
}

static void
aggregate_comb(const DuetValue *a, const DuetValue *b, DuetValue *out, gpointer user_data)
{
    AggregateWrapper *wrapper = user_data;
    wrapper->comb_op(a, b, out, wrapper->user_data);
}

DuetRdd *
duet_rdd_aggregate_by_key(DuetRdd *rdd, const DuetValue *zero, DuetDataType *zero_type,
                          DuetReduceFunc seq_op, DuetReduceFunc comb_op, gpointer user_data,
                          guint num_partitions, GError **error)
{
    g_return_val_if_fail(rdd != NULL && zero != NULL && zero_type != NULL && seq_op != NULL &&
                             comb_op != NULL,
                         NULL);
    gboolean has_bytes =
        !zero->is_null && (zero->type == DUET_TYPE_STRING || zero->type == DUET_TYPE_BINARY);
    gsize n_bytes = has_bytes ? zero->v.str.len : 0;
    AggregateWrapper *wrapper = g_malloc0(sizeof(AggregateWrapper) + n_bytes + 1);
    wrapper->zero = *zero;
    if (has_bytes) {
        memcpy(wrapper->zero_bytes, zero->v.str.data, n_bytes);
        wrapper->zero.v.str.data = wrapper->zero_bytes;
    }
    wrapper->seq_op = seq_op;
    wrapper->comb_op = comb_op;
    wrapper->user_data = user_data;
    DuetAggregator aggregator = {
        .combiner_type = zero_type,
        .create_combiner = aggregate_create,
        .merge_value = aggregate_seq,
        .merge_combiners = aggregate_comb,
        .user_data = wrapper,
    };
    return combine_by_key(rdd, &aggregator, wrapper, num_partitions, "aggregateByKey", error);
}

DuetRdd *
duet_rdd_group_by_key(DuetRdd *rdd, guint num_partitions, GError **error)
{
    if (!duet_rdd_is_pair(rdd, "groupByKey", error))
        return NULL;
    const DuetField *key = duet_schema_field(rdd->schema, 0);
    const DuetField *value = duet_schema_field(rdd->schema, 1);
    g_autoptr(DuetDataType) list = duet_data_type_new_array(value->type, value->nullable);
    g_autoptr(DuetSchema) schema = duet_schema_new();
    duet_schema_add_field(schema, key->name, key->type, key->nullable);
    duet_schema_add_field(schema, value->name, list, FALSE);
    ReduceOp *op = g_new0(ReduceOp, 1);
    op->kind = REDUCE_GROUP;
    return new_shuffled(rdd, schema, DUET_PARTITIONER_HASH_KEY,
                        default_partitions(rdd, num_partitions), NULL, NULL, op, "groupByKey");
}

DuetRdd *
duet_rdd_distinct(DuetRdd *rdd, guint num_partitions)
{
    g_return_val_if_fail(rdd != NULL, NULL);
    ReduceOp *op = g_new0(ReduceOp, 1);
    op->kind = REDUCE_DISTINCT;
    return new_shuffled(rdd, rdd->schema, DUET_PARTITIONER_HASH_ROW,
                        default_partitions(rdd, num_partitions), NULL, NULL, op, "distinct");
}

/* countByValue: (element, 1L) pairs summed per element. */
static void
pair_with_one(const DuetRow *row, DuetBatchBuilder *out, gpointer user_data)
{
    duet_column_builder_append_row(duet_batch_builder_column(out, 0), row);
    duet_column_builder_append_int64(duet_batch_builder_column(out, 1), 1);
}

static void
sum_int64(const DuetValue *a, const DuetValue *b, DuetValue *out, gpointer user_data)
{
    *out = duet_value_int64(a->v.i64 + b->v.i64);
}

DuetRdd *
duet_rdd_count_by_value(DuetRdd *rdd, guint num_partitions)
{
    g_return_val_if_fail(rdd != NULL, NULL);
    g_autoptr(DuetSchema) schema = duet_schema_new();
    g_autoptr(DuetDataType) element = duet_schema_element_type(rdd->schema);
    duet_schema_add_field(schema, "value", element, TRUE);
    g_autoptr(DuetDataType) count_type = duet_data_type_new_scalar(DUET_TYPE_INT64);
    duet_schema_add_field(schema, "count", count_type, FALSE);
    g_autoptr(DuetRdd) pairs = duet_rdd_map(rdd, schema, pair_with_one, NULL);
    return duet_rdd_reduce_by_key(pairs, sum_int64, NULL, default_partitions(rdd, num_partitions),
                                  NULL);
}

/* ---- sortByKey: sample bounds, range-partition, sort each partition ------------------------ */

typedef struct {
    GMutex lock;
    GPtrArray *samples;  /* one-column batches of sampled keys */
    gsize per_partition; /* keys to sample from each partition */
} SampleJob;

static gboolean
sample_keys_task(DuetRdd *rdd, guint partition, gpointer user_data, GError **error)
{
    SampleJob *job = user_data;
    GPtrArray *batches = duet_rdd_compute_partition(rdd, partition, error);
    if (batches == NULL)
        return FALSE;
    gsize n_rows = count_rows(batches);
    gsize step = MAX(n_rows / MAX(job->per_partition, 1), 1);
    guint key_column = 0;
    gsize global = 0;
    for (guint batch_idx = 0; batch_idx < batches->len; batch_idx++) {
        DuetBatch *batch = g_ptr_array_index(batches, batch_idx);
        gsize batch_rows = duet_batch_n_rows(batch);
        GArray *picked = g_array_new(FALSE, FALSE, sizeof(guint32));
        for (gsize row_idx = 0; row_idx < batch_rows; row_idx++, global++) {
            if (global % step == 0) {
                guint32 row = (guint32)row_idx;
                g_array_append_val(picked, row);
            }
        }
        if (picked->len > 0) {
            g_autoptr(DuetBatch) keys = duet_batch_project(batch, &key_column, 1);
            DuetBatch *sample = duet_batch_take(keys, (guint32 *)picked->data, picked->len);
            g_mutex_lock(&job->lock);
            g_ptr_array_add(job->samples, sample);
            g_mutex_unlock(&job->lock);
        }
        g_array_unref(picked);
    }
    g_ptr_array_unref(batches);
    return TRUE;
}

/* Spark's RangePartitioner: sample about 20 keys per output partition, sort them, and take
 * n - 1 evenly spaced bounds. Runs a job, as Spark's does at construction. */
static DuetBatch *
compute_range_bounds(DuetRdd *rdd, guint n, GError **error)
{
    SampleJob job = {.samples = g_ptr_array_new_with_free_func((GDestroyNotify)duet_batch_unref),
                     .per_partition = (gsize)(20.0 * n * 3 / MAX(rdd->n_partitions, 1)) + 1};
    g_mutex_init(&job.lock);
    gboolean ok =
        duet_scheduler_run_job(rdd, NULL, rdd->n_partitions, sample_keys_task, &job, error);
    DuetBatch *bounds = NULL;
    if (ok) {
        guint key_column = 0;
        g_autoptr(DuetSchema) key_schema = duet_schema_project(rdd->schema, &key_column, 1);
        g_autoptr(DuetBatch) all = duet_batch_concat(
            key_schema, (DuetBatch *const *)job.samples->pdata, job.samples->len, error);
        if (all != NULL) {
            gsize n_samples = duet_batch_n_rows(all);
            guint32 *order = g_new(guint32, MAX(n_samples, 1));
            for (gsize row_idx = 0; row_idx < n_samples; row_idx++)
                order[row_idx] = (guint32)row_idx;
            SortContext sort = {duet_batch_column(all, 0), TRUE};
            g_qsort_with_data(order, (gint)n_samples, sizeof(guint32), compare_key_rows, &sort);
            GArray *picked = g_array_new(FALSE, FALSE, sizeof(guint32));
            for (guint bound = 1; bound < n && n_samples > 0; bound++) {
                guint32 row = order[MIN((gsize)bound * n_samples / n, n_samples - 1)];
                if (picked->len > 0 &&
                    duet_column_compare_rows(sort.keys,
                                             g_array_index(picked, guint32, picked->len - 1),
                                             sort.keys, row) >= 0)
                    continue; /* equal bounds would leave a partition always empty */
                g_array_append_val(picked, row);
            }
            bounds = duet_batch_take(all, (guint32 *)picked->data, picked->len);
            g_array_unref(picked);
            g_free(order);
        }
    }
    g_ptr_array_unref(job.samples);
    g_mutex_clear(&job.lock);
    return bounds;
}

DuetRdd *
duet_rdd_sort_by_key(DuetRdd *rdd, gboolean ascending, guint num_partitions, GError **error)
{
    g_return_val_if_fail(rdd != NULL, NULL);
    if (duet_schema_n_fields(rdd->schema) < 1) {
        g_set_error(error, DUET_RDD_ERROR, DUET_RDD_ERROR_INVALID,
                    "sortByKey needs at least a key column");
        return NULL;
    }
    guint n = default_partitions(rdd, num_partitions);
    g_autoptr(DuetBatch) bounds = compute_range_bounds(rdd, n, error);
    if (bounds == NULL)
        return NULL;
    ReduceOp *op = g_new0(ReduceOp, 1);
    op->kind = REDUCE_SORT;
    op->ascending = ascending;
    return new_shuffled(rdd, rdd->schema, DUET_PARTITIONER_RANGE, n, NULL, bounds, op, "sortByKey");
}
