/* narrow.c — transformations that need no shuffle, pipelined inside one task.
 *
 * Layer: rdd/. Includes rdd/ only. Each kind computes its parent's partition (which computes
 * its own parent's, and so on) and transforms the batches it gets, so a chain of narrow
 * transformations runs in one task without materialising anything but the batches in flight
 * (Spark's MapPartitionsRDD chain). User functions are called once per row and write into a
 * builder; a function that fails (duet_task_fail) is noticed after each batch.
 */
#include "rdd/internal.h"

/* The op_data of every kind here. */
typedef struct {
    DuetMapFunc map;             /* map, flatMap */
    DuetFilterFunc filter;       /* filter */
    DuetPartitionFunc partition; /* mapPartitions */
    DuetValueFunc value;         /* mapValues, flatMapValues */
    gpointer user_data;          /* for the function */
    guint *ranges;               /* union: first partition of each parent; coalesce:
                                    first parent partition of each output (n + 1 entries) */
    gdouble fraction;            /* sample */
    guint64 seed;                /* sample */
    gboolean flat;               /* flatMap(Values): any number of outputs per input */
} NarrowOp;

static void
narrow_op_free(gpointer data)
{
    NarrowOp *op = data;
    g_free(op->ranges);
    g_free(op);
}

static DuetRdd *
parent_of(DuetRdd *rdd)
{
    return g_ptr_array_index(rdd->parents, 0);
}

static GPtrArray *
new_batch_list(void)
{
    return g_ptr_array_new_with_free_func((GDestroyNotify)duet_batch_unref);
}

static DuetRdd *
new_narrow(DuetRdd *parent, DuetSchema *schema, guint n_partitions, const DuetRddOps *ops,
           const char *operation, NarrowOp *op)
{
    DuetRdd *rdd = duet_rdd_new_internal(parent->context, schema, n_partitions, ops, operation);
    duet_rdd_add_parent(rdd, parent);
    rdd->op_data = op;
    rdd->op_data_free = narrow_op_free;
    return rdd;
}

/* Finishes a builder into list, turning a user function's failure or a partial row into an
 * error. */
static gboolean
finish_into(DuetBatchBuilder *builder, GPtrArray *list, GError **error)
{
    if (duet_task_failed())
        return FALSE; /* the scheduler reports the task's own message */
    DuetBatch *batch = duet_batch_builder_finish(builder, error);
    if (batch == NULL)
        return FALSE;
    if (duet_batch_n_rows(batch) > 0)
        g_ptr_array_add(list, batch);
    else
        duet_batch_unref(batch);
    return TRUE;
}

/* ---- map and flatMap ------------------------------------------------------------------ */

static GPtrArray *
map_compute(DuetRdd *rdd, guint partition, GError **error)
{
    NarrowOp *op = rdd->op_data;
    GPtrArray *input = duet_rdd_compute_partition(parent_of(rdd), partition, error);
    if (input == NULL)
        return NULL;
    GPtrArray *output = new_batch_list();
    gboolean ok = TRUE;
    for (guint batch_idx = 0; ok && batch_idx < input->len; batch_idx++) {
        DuetBatch *batch = g_ptr_array_index(input, batch_idx);
        gsize n_rows = duet_batch_n_rows(batch);
        DuetBatchBuilder *builder = duet_batch_builder_new(rdd->schema, n_rows);
        for (gsize row_idx = 0; row_idx < n_rows; row_idx++) {
            DuetRow row = duet_batch_row(batch, row_idx);
            op->map(&row, builder, op->user_data);
            if (!op->flat && duet_batch_builder_n_rows(builder) != row_idx + 1) {
                duet_task_fail("the map function appended %" G_GSIZE_FORMAT
                               " rows for one input row; it must append exactly one "
                               "(use flatMap for zero or many)",
                               duet_batch_builder_n_rows(builder) - row_idx);
                break;
            }
        }
        ok = finish_into(builder, output, error);
        duet_batch_builder_free(builder);
    }
    g_ptr_array_unref(input);
    if (!ok)
        g_clear_pointer(&output, g_ptr_array_unref);
    return output;
}

static const DuetRddOps map_ops = {"MapPartitionsRDD", map_compute};

DuetRdd *
duet_rdd_map(DuetRdd *rdd, DuetSchema *out_schema, DuetMapFunc f, gpointer user_data)
{
    g_return_val_if_fail(rdd != NULL && out_schema != NULL && f != NULL, NULL);
    NarrowOp *op = g_new0(NarrowOp, 1);
    op->map = f;
    op->user_data = user_data;
    return new_narrow(rdd, out_schema, rdd->n_partitions, &map_ops, "map", op);
}

DuetRdd *
duet_rdd_flat_map(DuetRdd *rdd, DuetSchema *out_schema, DuetMapFunc f, gpointer user_data)
{
    g_return_val_if_fail(rdd != NULL && out_schema != NULL && f != NULL, NULL);
    NarrowOp *op = g_new0(NarrowOp, 1);
    op->map = f;
    op->user_data = user_data;
    op->flat = TRUE;
    return new_narrow(rdd, out_schema, rdd->n_partitions, &map_ops, "flatMap", op);
}

/* ---- filter: a selection vector per batch, then one gather -------------------------------- */

static GPtrArray *
filter_compute(DuetRdd *rdd, guint partition, GError **error)
{
    NarrowOp *op = rdd->op_data;
    GPtrArray *input = duet_rdd_compute_partition(parent_of(rdd), partition, error);
    if (input == NULL)
        return NULL;
    GPtrArray *output = new_batch_list();
    for (guint batch_idx = 0; batch_idx < input->len; batch_idx++) {
        DuetBatch *batch = g_ptr_array_index(input, batch_idx);
        gsize n_rows = duet_batch_n_rows(batch);
        guint32 *selection = g_new(guint32, MAX(n_rows, 1));
        gsize n_selected = 0;
        for (gsize row_idx = 0; row_idx < n_rows; row_idx++) {
            DuetRow row = duet_batch_row(batch, row_idx);
            if (op->filter(&row, op->user_data))
                selection[n_selected++] = (guint32)row_idx;
        }
        if (duet_task_failed()) {
            g_free(selection);
            g_ptr_array_unref(input);
            g_ptr_array_unref(output);
            return NULL;
        }
        if (n_selected == n_rows)
            g_ptr_array_add(output, duet_batch_ref(batch));
        else if (n_selected > 0)
            g_ptr_array_add(output, duet_batch_take(batch, selection, n_selected));
        g_free(selection);
    }
    g_ptr_array_unref(input);
    return output;
}

static const DuetRddOps filter_ops = {"MapPartitionsRDD", filter_compute};

DuetRdd *
duet_rdd_filter(DuetRdd *rdd, DuetFilterFunc f, gpointer user_data)
{
    g_return_val_if_fail(rdd != NULL && f != NULL, NULL);
    NarrowOp *op = g_new0(NarrowOp, 1);
    op->filter = f;
    op->user_data = user_data;
    DuetRdd *filtered = new_narrow(rdd, rdd->schema, rdd->n_partitions, &filter_ops, "filter", op);
    filtered->hash_partitions = rdd->hash_partitions;
    return filtered;
}

/* ---- mapPartitions ------------------------------------------------------------------------ */

static GPtrArray *
map_partitions_compute(DuetRdd *rdd, guint partition, GError **error)
{
    NarrowOp *op = rdd->op_data;
    GPtrArray *input = duet_rdd_compute_partition(parent_of(rdd), partition, error);
    if (input == NULL)
        return NULL;
    GPtrArray *output = new_batch_list();
    DuetBatchBuilder *builder = duet_batch_builder_new(rdd->schema, 0);
    op->partition(input, partition, builder, op->user_data);
    gboolean ok = finish_into(builder, output, error);
    duet_batch_builder_free(builder);
    g_ptr_array_unref(input);
    if (!ok)
        g_clear_pointer(&output, g_ptr_array_unref);
    return output;
}

static const DuetRddOps map_partitions_ops = {"MapPartitionsRDD", map_partitions_compute};

DuetRdd *
duet_rdd_map_partitions(DuetRdd *rdd, DuetSchema *out_schema, DuetPartitionFunc f,
                        gpointer user_data, gboolean preserves_partitioning)
{
    g_return_val_if_fail(rdd != NULL && out_schema != NULL && f != NULL, NULL);
    NarrowOp *op = g_new0(NarrowOp, 1);
    op->partition = f;
    op->user_data = user_data;
    DuetRdd *mapped =
        new_narrow(rdd, out_schema, rdd->n_partitions, &map_partitions_ops, "mapPartitions", op);
    if (preserves_partitioning)
        mapped->hash_partitions = rdd->hash_partitions;
    return mapped;
}

DuetRdd *
duet_rdd_map_partitions_with_index(DuetRdd *rdd, DuetSchema *out_schema, DuetPartitionFunc f,
                                   gpointer user_data, gboolean preserves_partitioning)
{
    return duet_rdd_map_partitions(rdd, out_schema, f, user_data, preserves_partitioning);
}

/* ---- union ------------------------------------------------------------------------------- */

static GPtrArray *
union_compute(DuetRdd *rdd, guint partition, GError **error)
{
    NarrowOp *op = rdd->op_data;
    guint parent_idx = 0;
    while (partition >= op->ranges[parent_idx + 1])
        parent_idx++;
    return duet_rdd_compute_partition(g_ptr_array_index(rdd->parents, parent_idx),
                                      partition - op->ranges[parent_idx], error);
}

static const DuetRddOps union_ops = {"UnionRDD", union_compute};

DuetRdd *
duet_rdd_union(DuetRdd *const *rdds, guint n, GError **error)
{
    g_return_val_if_fail(rdds != NULL && n > 0, NULL);
    for (guint rdd_idx = 1; rdd_idx < n; rdd_idx++) {
        if (!duet_schema_equal(rdds[0]->schema, rdds[rdd_idx]->schema)) {
            g_autofree char *first = duet_schema_to_string(rdds[0]->schema);
            g_autofree char *other = duet_schema_to_string(rdds[rdd_idx]->schema);
            g_set_error(error, DUET_RDD_ERROR, DUET_RDD_ERROR_INVALID,
                        "union needs RDDs of one schema, but %s is %s and %s is %s", rdds[0]->name,
                        first, rdds[rdd_idx]->name, other);
            return NULL;
        }
    }
    NarrowOp *op = g_new0(NarrowOp, 1);
    op->ranges = g_new0(guint, n + 1);
    for (guint rdd_idx = 0; rdd_idx < n; rdd_idx++)
        op->ranges[rdd_idx + 1] = op->ranges[rdd_idx] + rdds[rdd_idx]->n_partitions;
    DuetRdd *rdd = duet_rdd_new_internal(rdds[0]->context, rdds[0]->schema, op->ranges[n],
                                         &union_ops, "union");
    for (guint rdd_idx = 0; rdd_idx < n; rdd_idx++)
        duet_rdd_add_parent(rdd, rdds[rdd_idx]);
    rdd->op_data = op;
    rdd->op_data_free = narrow_op_free;
    return rdd;
}

/* ---- coalesce without shuffle -------------------------------------------------------------- */

static GPtrArray *
coalesce_compute(DuetRdd *rdd, guint partition, GError **error)
{
    NarrowOp *op = rdd->op_data;
    GPtrArray *output = new_batch_list();
    for (guint parent_partition = op->ranges[partition];
         parent_partition < op->ranges[partition + 1]; parent_partition++) {
        GPtrArray *input = duet_rdd_compute_partition(parent_of(rdd), parent_partition, error);
        if (input == NULL) {
            g_ptr_array_unref(output);
            return NULL;
        }
        g_ptr_array_extend_and_steal(output, input);
    }
    return output;
}

static const DuetRddOps coalesce_ops = {"CoalescedRDD", coalesce_compute};

/* Spark's DefaultPartitionCoalescer without locality: output i takes the contiguous parent
 * partitions [i*n/m, (i+1)*n/m). */
DuetRdd *
duet_rdd_coalesce(DuetRdd *rdd, guint num_partitions, gboolean shuffle)
{
    g_return_val_if_fail(rdd != NULL && num_partitions > 0, NULL);
    if (shuffle)
        return duet_rdd_repartition(rdd, num_partitions);
    guint n = MIN(num_partitions, MAX(rdd->n_partitions, 1));
    if (rdd->n_partitions == 0)
        n = 0;
    NarrowOp *op = g_new0(NarrowOp, 1);
    op->ranges = g_new0(guint, n + 1);
    for (guint partition = 0; partition <= n; partition++)
        op->ranges[partition] = (guint)((guint64)partition * rdd->n_partitions / MAX(n, 1));
    return new_narrow(rdd, rdd->schema, n, &coalesce_ops, "coalesce", op);
}

/* ---- glom -------------------------------------------------------------------------------- */

static GPtrArray *
glom_compute(DuetRdd *rdd, guint partition, GError **error)
{
    GPtrArray *input = duet_rdd_compute_partition(parent_of(rdd), partition, error);
    if (input == NULL)
        return NULL;
    DuetBatchBuilder *builder = duet_batch_builder_new(rdd->schema, 1);
    DuetColumnBuilder *list = duet_batch_builder_column(builder, 0);
    DuetColumnBuilder *elements = duet_column_builder_child(list, 0);
    for (guint batch_idx = 0; batch_idx < input->len; batch_idx++) {
        DuetBatch *batch = g_ptr_array_index(input, batch_idx);
        if (duet_batch_n_columns(batch) == 1) {
            duet_column_builder_append_range(elements, duet_batch_column(batch, 0), 0,
                                             duet_batch_n_rows(batch));
            continue;
        }
        for (gsize row_idx = 0; row_idx < duet_batch_n_rows(batch); row_idx++) {
            DuetRow row = duet_batch_row(batch, row_idx);
            duet_column_builder_append_row(elements, &row);
        }
    }
    duet_column_builder_end_list(list);
    GPtrArray *output = new_batch_list();
    gboolean ok = finish_into(builder, output, error);
    duet_batch_builder_free(builder);
    g_ptr_array_unref(input);
    if (!ok)
        g_clear_pointer(&output, g_ptr_array_unref);
    return output;
}

static const DuetRddOps glom_ops = {"MapPartitionsRDD", glom_compute};

DuetRdd *
duet_rdd_glom(DuetRdd *rdd)
{
    g_return_val_if_fail(rdd != NULL, NULL);
    g_autoptr(DuetDataType) element = duet_schema_element_type(rdd->schema);
    g_autoptr(DuetDataType) list = duet_data_type_new_array(element, TRUE);
    g_autoptr(DuetSchema) schema = duet_schema_new();
    duet_schema_add_field(schema, "value", list, FALSE);
    return new_narrow(rdd, schema, rdd->n_partitions, &glom_ops, "glom", g_new0(NarrowOp, 1));
}

/* ---- mapValues and flatMapValues ---------------------------------------------------------- */

static GPtrArray *
map_values_compute(DuetRdd *rdd, guint partition, GError **error)
{
    NarrowOp *op = rdd->op_data;
    GPtrArray *input = duet_rdd_compute_partition(parent_of(rdd), partition, error);
    if (input == NULL)
        return NULL;
    GPtrArray *output = new_batch_list();
    gboolean ok = TRUE;
    for (guint batch_idx = 0; ok && batch_idx < input->len; batch_idx++) {
        DuetBatch *batch = g_ptr_array_index(input, batch_idx);
        gsize n_rows = duet_batch_n_rows(batch);
        DuetColumn *keys = duet_batch_column(batch, 0);
        DuetColumn *values = duet_batch_column(batch, 1);
        DuetBatchBuilder *builder = duet_batch_builder_new(rdd->schema, n_rows);
        DuetColumnBuilder *key_out = duet_batch_builder_column(builder, 0);
        DuetColumnBuilder *value_out = duet_batch_builder_column(builder, 1);
        for (gsize row_idx = 0; row_idx < n_rows; row_idx++) {
            DuetValue value;
            duet_column_get_value(values, row_idx, &value);
            gsize before = duet_column_builder_length(value_out);
            op->value(&value, value_out, op->user_data);
            gsize produced = duet_column_builder_length(value_out) - before;
            if (!op->flat && produced != 1) {
                duet_task_fail("the mapValues function appended %" G_GSIZE_FORMAT
                               " values for one input value; it must append exactly one",
                               produced);
                break;
            }
            for (gsize copy = 0; copy < produced; copy++)
                duet_column_builder_append_from(key_out, keys, row_idx);
        }
        ok = finish_into(builder, output, error);
        duet_batch_builder_free(builder);
    }
    g_ptr_array_unref(input);
    if (!ok)
        g_clear_pointer(&output, g_ptr_array_unref);
    return output;
}

static const DuetRddOps map_values_ops = {"MapPartitionsRDD", map_values_compute};

static DuetRdd *
new_map_values(DuetRdd *rdd, DuetDataType *value_type, DuetValueFunc f, gpointer user_data,
               gboolean flat, const char *operation, GError **error)
{
    if (!duet_rdd_is_pair(rdd, operation, error))
        return NULL;
    g_autoptr(DuetSchema) schema = duet_schema_new();
    const DuetField *key = duet_schema_field(rdd->schema, 0);
    duet_schema_add_field(schema, key->name, key->type, key->nullable);
    duet_schema_add_field(schema, duet_schema_field(rdd->schema, 1)->name, value_type, TRUE);
    NarrowOp *op = g_new0(NarrowOp, 1);
    op->value = f;
    op->user_data = user_data;
    op->flat = flat;
    DuetRdd *mapped = new_narrow(rdd, schema, rdd->n_partitions, &map_values_ops, operation, op);
    mapped->hash_partitions = rdd->hash_partitions; /* keys are unchanged */
    return mapped;
}

DuetRdd *
duet_rdd_map_values(DuetRdd *rdd, DuetDataType *value_type, DuetValueFunc f, gpointer user_data,
                    GError **error)
{
    return new_map_values(rdd, value_type, f, user_data, FALSE, "mapValues", error);
}

DuetRdd *
duet_rdd_flat_map_values(DuetRdd *rdd, DuetDataType *value_type, DuetValueFunc f,
                         gpointer user_data, GError **error)
{
    return new_map_values(rdd, value_type, f, user_data, TRUE, "flatMapValues", error);
}

/* ---- keys and values: projections that share buffers --------------------------------------- */

static GPtrArray *
project_compute(DuetRdd *rdd, guint partition, GError **error)
{
    guint *column = rdd->op_data;
    GPtrArray *input = duet_rdd_compute_partition(parent_of(rdd), partition, error);
    if (input == NULL)
        return NULL;
    GPtrArray *output = new_batch_list();
    for (guint batch_idx = 0; batch_idx < input->len; batch_idx++)
        g_ptr_array_add(output, duet_batch_project(g_ptr_array_index(input, batch_idx), column, 1));
    g_ptr_array_unref(input);
    return output;
}

static const DuetRddOps project_ops = {"MapPartitionsRDD", project_compute};

static DuetRdd *
project_column(DuetRdd *rdd, guint column, const char *operation)
{
    g_return_val_if_fail(duet_schema_n_fields(rdd->schema) > column, NULL);
    g_autoptr(DuetSchema) schema = duet_schema_project(rdd->schema, &column, 1);
    DuetRdd *projected =
        duet_rdd_new_internal(rdd->context, schema, rdd->n_partitions, &project_ops, operation);
    duet_rdd_add_parent(projected, rdd);
    guint *data = g_new(guint, 1);
    *data = column;
    projected->op_data = data;
    projected->op_data_free = g_free;
    return projected;
}

DuetRdd *
duet_rdd_keys(DuetRdd *rdd)
{
    return project_column(rdd, 0, "keys");
}

DuetRdd *
duet_rdd_values(DuetRdd *rdd)
{
    return project_column(rdd, 1, "values");
}

/* ---- sample ------------------------------------------------------------------------------- */

static GPtrArray *
sample_compute(DuetRdd *rdd, guint partition, GError **error)
{
    NarrowOp *op = rdd->op_data;
    GPtrArray *input = duet_rdd_compute_partition(parent_of(rdd), partition, error);
    if (input == NULL)
        return NULL;
    /* One generator per partition, seeded by the seed and the partition index, so a retried
     * task draws the same sample (Spark seeds per partition the same way). */
    GRand *random = g_rand_new_with_seed((guint32)(op->seed ^ (op->seed >> 32)) + partition);
    GPtrArray *output = new_batch_list();
    for (guint batch_idx = 0; batch_idx < input->len; batch_idx++) {
        DuetBatch *batch = g_ptr_array_index(input, batch_idx);
        gsize n_rows = duet_batch_n_rows(batch);
        guint32 *selection = g_new(guint32, MAX(n_rows, 1));
        gsize n_selected = 0;
        for (gsize row_idx = 0; row_idx < n_rows; row_idx++) {
            if (g_rand_double(random) < op->fraction)
                selection[n_selected++] = (guint32)row_idx;
        }
        if (n_selected > 0)
            g_ptr_array_add(output, duet_batch_take(batch, selection, n_selected));
        g_free(selection);
    }
    g_rand_free(random);
    g_ptr_array_unref(input);
    return output;
}

static const DuetRddOps sample_ops = {"PartitionwiseSampledRDD", sample_compute};

DuetRdd *
duet_rdd_sample(DuetRdd *rdd, gdouble fraction, guint64 seed)
{
    g_return_val_if_fail(rdd != NULL && fraction >= 0.0 && fraction <= 1.0, NULL);
    NarrowOp *op = g_new0(NarrowOp, 1);
    op->fraction = fraction;
    op->seed = seed;
    return new_narrow(rdd, rdd->schema, rdd->n_partitions, &sample_ops, "sample", op);
}

/* ---- cartesian ---------------------------------------------------------------------------- */

static GPtrArray *
cartesian_compute(DuetRdd *rdd, guint partition, GError **error)
{
    DuetRdd *left = g_ptr_array_index(rdd->parents, 0);
    DuetRdd *right = g_ptr_array_index(rdd->parents, 1);
    GPtrArray *left_batches =
        duet_rdd_compute_partition(left, partition / right->n_partitions, error);
    if (left_batches == NULL)
        return NULL;
    GPtrArray *right_batches =
        duet_rdd_compute_partition(right, partition % right->n_partitions, error);
    if (right_batches == NULL) {
        g_ptr_array_unref(left_batches);
        return NULL;
    }
    DuetBatchBuilder *builder = duet_batch_builder_new(rdd->schema, 0);
    DuetColumnBuilder *first = duet_batch_builder_column(builder, 0);
    DuetColumnBuilder *second = duet_batch_builder_column(builder, 1);
    for (guint left_idx = 0; left_idx < left_batches->len; left_idx++) {
        DuetBatch *left_batch = g_ptr_array_index(left_batches, left_idx);
        for (gsize left_row = 0; left_row < duet_batch_n_rows(left_batch); left_row++) {
            for (guint right_idx = 0; right_idx < right_batches->len; right_idx++) {
                DuetBatch *right_batch = g_ptr_array_index(right_batches, right_idx);
                for (gsize right_row = 0; right_row < duet_batch_n_rows(right_batch); right_row++) {
                    DuetRow left_element = duet_batch_row(left_batch, left_row);
                    DuetRow right_element = duet_batch_row(right_batch, right_row);
                    duet_column_builder_append_row(first, &left_element);
                    duet_column_builder_append_row(second, &right_element);
                }
            }
        }
    }
    GPtrArray *output = new_batch_list();
    gboolean ok = finish_into(builder, output, error);
    duet_batch_builder_free(builder);
    g_ptr_array_unref(left_batches);
    g_ptr_array_unref(right_batches);
    if (!ok)
        g_clear_pointer(&output, g_ptr_array_unref);
    return output;
}

static const DuetRddOps cartesian_ops = {"CartesianRDD", cartesian_compute};

DuetRdd *
duet_rdd_cartesian(DuetRdd *left, DuetRdd *right)
{
    g_return_val_if_fail(left != NULL && right != NULL, NULL);
    g_autoptr(DuetDataType) left_type = duet_schema_element_type(left->schema);
    g_autoptr(DuetDataType) right_type = duet_schema_element_type(right->schema);
    g_autoptr(DuetSchema) schema = duet_schema_new();
    duet_schema_add_field(schema, "_1", left_type, TRUE);
    duet_schema_add_field(schema, "_2", right_type, TRUE);
    DuetRdd *rdd =
        duet_rdd_new_internal(left->context, schema, left->n_partitions * right->n_partitions,
                              &cartesian_ops, "cartesian");
    duet_rdd_add_parent(rdd, left);
    duet_rdd_add_parent(rdd, right);
    return rdd;
}
