/* rdd.c — the RDD object: identity, lineage, creation from data, partition computation.
 *
 * Layer: rdd/. Includes rdd/ only. Every kind of RDD is a DuetRdd with an ops table (its
 * compute function) and kind-specific op_data; narrow.c, pair.c and checkpoint.c define the
 * kinds. Computing a partition goes through duet_rdd_compute_partition, which serves a
 * persisted partition from memory and a checkpointed RDD from its files, as Spark's
 * RDD.iterator does.
 */
#include "rdd/internal.h"

G_DEFINE_QUARK(duet - rdd - error - quark, duet_rdd_error)

DuetRdd *
duet_rdd_new_internal(DuetContext *context, DuetSchema *schema, guint n_partitions,
                      const DuetRddOps *ops, const char *operation)
{
    DuetRdd *rdd = g_new0(DuetRdd, 1);
    rdd->ref_count = 1;
    rdd->id = duet_context_next_rdd_id(context);
    rdd->context = duet_context_ref(context);
    rdd->schema = duet_schema_ref(schema);
    rdd->n_partitions = n_partitions;
    rdd->ops = ops;
    rdd->name = g_strdup_printf("%s[%u] at %s", ops->kind, rdd->id, operation);
    rdd->parents = g_ptr_array_new_with_free_func((GDestroyNotify)duet_rdd_unref);
    rdd->shuffles = g_ptr_array_new_with_free_func((GDestroyNotify)duet_shuffle_free);
    g_mutex_init(&rdd->lock);
    return rdd;
}

void
duet_rdd_add_parent(DuetRdd *rdd, DuetRdd *parent)
{
    g_ptr_array_add(rdd->parents, duet_rdd_ref(parent));
}

void
duet_rdd_add_shuffle(DuetRdd *rdd, DuetShuffle *shuffle)
{
    g_ptr_array_add(rdd->shuffles, shuffle);
}

DuetRdd *
duet_rdd_ref(DuetRdd *rdd)
{
    g_return_val_if_fail(rdd != NULL, NULL);
    g_atomic_int_inc(&rdd->ref_count);
    return rdd;
}

static void
free_cache(DuetRdd *rdd)
{
    if (rdd->cache == NULL)
        return;
    for (guint partition = 0; partition < rdd->n_partitions; partition++) {
        if (rdd->cache[partition] != NULL)
            g_ptr_array_unref(rdd->cache[partition]);
    }
    g_clear_pointer(&rdd->cache, g_free);
}

typedef struct {
    gpointer data;
    GDestroyNotify destroy;
} AttachedData;

void
duet_rdd_attach_data(DuetRdd *rdd, gpointer data, GDestroyNotify destroy)
{
    g_return_if_fail(rdd != NULL);
    g_mutex_lock(&rdd->lock);
    if (rdd->attached == NULL)
        rdd->attached = g_array_new(FALSE, FALSE, sizeof(AttachedData));
    AttachedData attached = {data, destroy};
    g_array_append_val(rdd->attached, attached);
    g_mutex_unlock(&rdd->lock);
}

void
duet_rdd_unref(DuetRdd *rdd)
{
    if (rdd == NULL || !g_atomic_int_dec_and_test(&rdd->ref_count))
        return;
    for (guint attached_idx = 0; rdd->attached && attached_idx < rdd->attached->len;
         attached_idx++) {
        AttachedData *attached = &g_array_index(rdd->attached, AttachedData, attached_idx);
        if (attached->destroy != NULL)
            attached->destroy(attached->data);
    }
    if (rdd->attached != NULL)
        g_array_unref(rdd->attached);
    if (rdd->op_data_free != NULL)
        rdd->op_data_free(rdd->op_data);
    free_cache(rdd);
    g_ptr_array_unref(rdd->parents);
    g_ptr_array_unref(rdd->shuffles);
    if (rdd->checkpoint_rdd != NULL)
        duet_rdd_unref(rdd->checkpoint_rdd);
    g_free(rdd->checkpoint_path);
    g_mutex_clear(&rdd->lock);
    duet_schema_unref(rdd->schema);
    duet_context_unref(rdd->context);
    g_free(rdd->name);
    g_free(rdd);
}

guint
duet_rdd_id(const DuetRdd *rdd)
{
    return rdd->id;
}

DuetSchema *
duet_rdd_schema(const DuetRdd *rdd)
{
    return rdd->schema;
}

DuetContext *
duet_rdd_context(const DuetRdd *rdd)
{
    return rdd->context;
}

guint
duet_rdd_n_partitions(const DuetRdd *rdd)
{
    return rdd->n_partitions;
}

const char *
duet_rdd_name(const DuetRdd *rdd)
{
    return rdd->name;
}

gboolean
duet_rdd_is_pair(const DuetRdd *rdd, const char *operation, GError **error)
{
    guint n_fields = duet_schema_n_fields(rdd->schema);
    if (n_fields == 2)
        return TRUE;
    g_autofree char *schema_text = duet_schema_to_string(rdd->schema);
    g_set_error(error, DUET_RDD_ERROR, DUET_RDD_ERROR_INVALID,
                "%s needs a pair RDD of two columns (key, value), but %s has %u: %s", operation,
                rdd->name, n_fields, schema_text);
    return FALSE;
}

/* Spark's RDD.toDebugString, line for line: the partition count opens each stage, narrow
 * parents hang off " |  ", shuffle parents open a new stage with "+-". */
typedef struct {
    DuetRdd *rdd;
    gboolean shuffle;
} Dependency;

static GArray *
dependencies_of(DuetRdd *rdd)
{
    GArray *dependencies = g_array_new(FALSE, FALSE, sizeof(Dependency));
    g_mutex_lock(&rdd->lock);
    DuetRdd *checkpoint = rdd->checkpoint_rdd;
    g_mutex_unlock(&rdd->lock);
    if (checkpoint != NULL) {
        Dependency dependency = {checkpoint, FALSE};
        g_array_append_val(dependencies, dependency);
        return dependencies;
    }
    for (guint parent_idx = 0; parent_idx < rdd->parents->len; parent_idx++) {
        Dependency dependency = {g_ptr_array_index(rdd->parents, parent_idx), FALSE};
        g_array_append_val(dependencies, dependency);
    }
    for (guint shuffle_idx = 0; shuffle_idx < rdd->shuffles->len; shuffle_idx++) {
        Dependency dependency = {duet_shuffle_parent(g_ptr_array_index(rdd->shuffles, shuffle_idx)),
                                 TRUE};
        g_array_append_val(dependencies, dependency);
    }
    return dependencies;
}

static void
append_self(GString *out, DuetRdd *rdd)
{
    g_mutex_lock(&rdd->lock);
    gboolean persisted = rdd->persisted;
    g_mutex_unlock(&rdd->lock);
    g_string_append_printf(out, "%s [%s]", rdd->name,
                           persisted ? "Memory Deserialized 1x Replicated" : "");
}

static void append_debug(GString *out, DuetRdd *rdd, const char *prefix, gboolean shuffle,
                         gboolean last_child);

static void
append_children(GString *out, DuetRdd *rdd, const char *prefix)
{
    GArray *dependencies = dependencies_of(rdd);
    for (guint dependency_idx = 0; dependency_idx < dependencies->len; dependency_idx++) {
        Dependency *dependency = &g_array_index(dependencies, Dependency, dependency_idx);
        append_debug(out, dependency->rdd, prefix, dependency->shuffle,
                     dependency_idx + 1 == dependencies->len);
    }
    g_array_unref(dependencies);
}

/* "(n)" and the prefix that lines under it get: spaces to the middle of "(n)", then "|". */
static char *
stage_prefix(DuetRdd *rdd, const char *before, char **count)
{
    *count = g_strdup_printf("(%u)", rdd->n_partitions);
    gsize width = strlen(*count);
    gsize left = (width - 1) / 2;
    GString *prefix = g_string_new(before);
    for (gsize space = 0; space < left; space++)
        g_string_append_c(prefix, ' ');
    g_string_append_c(prefix, '|');
    for (gsize space = 0; space < width - left; space++)
        g_string_append_c(prefix, ' ');
    return g_string_free(prefix, FALSE);
}

static void
append_debug(GString *out, DuetRdd *rdd, const char *prefix, gboolean shuffle, gboolean last_child)
{
    if (!shuffle) {
        g_string_append_printf(out, "\n%s", prefix);
        append_self(out, rdd);
        append_children(out, rdd, prefix);
        return;
    }
    /* thisPrefix = prefix without a trailing "|" and spaces */
    GString *this_prefix = g_string_new(prefix);
    gssize end = (gssize)this_prefix->len;
    while (end > 0 && this_prefix->str[end - 1] == ' ')
        end--;
    if (end > 0 && this_prefix->str[end - 1] == '|')
        g_string_truncate(this_prefix, (gsize)end - 1);
    g_autofree char *before = g_strconcat(this_prefix->str, last_child ? "  " : "| ", NULL);
    g_autofree char *count = NULL;
    g_autofree char *next_prefix = stage_prefix(rdd, before, &count);
    g_string_append_printf(out, "\n%s+-%s ", this_prefix->str, count);
    append_self(out, rdd);
    append_children(out, rdd, next_prefix);
    g_string_free(this_prefix, TRUE);
}

char *
duet_rdd_debug_string(DuetRdd *rdd)
{
    GString *out = g_string_new(NULL);
    g_autofree char *count = NULL;
    g_autofree char *next_prefix = stage_prefix(rdd, "", &count);
    g_string_append_printf(out, "%s ", count);
    append_self(out, rdd);
    append_children(out, rdd, next_prefix);
    return g_string_free(out, FALSE);
}

static GPtrArray *
new_batch_list(void)
{
    return g_ptr_array_new_with_free_func((GDestroyNotify)duet_batch_unref);
}

/* A new list holding new references to the batches of list. */
static GPtrArray *
copy_batch_list(GPtrArray *list)
{
    GPtrArray *copy = g_ptr_array_new_full(list->len, (GDestroyNotify)duet_batch_unref);
    for (guint batch_idx = 0; batch_idx < list->len; batch_idx++)
        g_ptr_array_add(copy, duet_batch_ref(g_ptr_array_index(list, batch_idx)));
    return copy;
}

/**
 * duet_rdd_compute_partition:
 *
 * Computes one partition inside a task: from the checkpoint files once the RDD is
 * checkpointed, from memory when persisted and already computed, else through its kind.
 *
 * Returns: (transfer full): the partition's batches, or NULL with error set.
 */
GPtrArray *
duet_rdd_compute_partition(DuetRdd *rdd, guint partition, GError **error)
{
    g_mutex_lock(&rdd->lock);
    DuetRdd *checkpoint = rdd->checkpoint_rdd ? duet_rdd_ref(rdd->checkpoint_rdd) : NULL;
    GPtrArray *cached = NULL;
    if (rdd->cache != NULL && rdd->cache[partition] != NULL)
        cached = copy_batch_list(rdd->cache[partition]);
    gboolean persisted = rdd->persisted;
    g_mutex_unlock(&rdd->lock);

    if (cached != NULL) {
        if (checkpoint)
            duet_rdd_unref(checkpoint);
        return cached;
    }
    GPtrArray *batches;
    if (checkpoint != NULL) {
        batches = duet_rdd_compute_partition(checkpoint, partition, error);
        duet_rdd_unref(checkpoint);
    } else {
        batches = rdd->ops->compute(rdd, partition, error);
    }
    if (batches == NULL || !persisted)
        return batches;

    g_mutex_lock(&rdd->lock);
    if (rdd->persisted) {
        if (rdd->cache == NULL)
            rdd->cache = g_new0(GPtrArray *, rdd->n_partitions);
        if (rdd->cache[partition] == NULL)
            rdd->cache[partition] = copy_batch_list(batches);
    }
    g_mutex_unlock(&rdd->lock);
    return batches;
}

/* ---- Data RDDs: parallelize, block RDDs, empty ----------------------------------------- */

typedef struct {
    GPtrArray **partitions; /* per partition: GPtrArray of DuetBatch */
    guint n_partitions;
} DataRdd;

static void
data_rdd_free(gpointer data)
{
    DataRdd *data_rdd = data;
    for (guint partition = 0; partition < data_rdd->n_partitions; partition++)
        g_ptr_array_unref(data_rdd->partitions[partition]);
    g_free(data_rdd->partitions);
    g_free(data_rdd);
}

static GPtrArray *
data_rdd_compute(DuetRdd *rdd, guint partition, GError **error)
{
    DataRdd *data_rdd = rdd->op_data;
    return copy_batch_list(data_rdd->partitions[partition]);
}

static const DuetRddOps parallel_collection_ops = {"ParallelCollectionRDD", data_rdd_compute};
static const DuetRddOps block_rdd_ops = {"BlockRDD", data_rdd_compute};

static DuetRdd *
new_data_rdd(DuetContext *context, DuetSchema *schema, GPtrArray **partitions, guint n_partitions,
             const DuetRddOps *ops, const char *operation)
{
    DuetRdd *rdd = duet_rdd_new_internal(context, schema, n_partitions, ops, operation);
    DataRdd *data_rdd = g_new0(DataRdd, 1);
    data_rdd->partitions = partitions;
    data_rdd->n_partitions = n_partitions;
    rdd->op_data = data_rdd;
    rdd->op_data_free = data_rdd_free;
    return rdd;
}

/**
 * duet_rdd_parallelize:
 * @data: (transfer none): the rows
 * @num_partitions: 0 for the context's default parallelism
 *
 * Spark's ParallelCollectionRDD slicing: partition i of n holds rows [i*len/n, (i+1)*len/n).
 * The partitions share data's buffers.
 */
DuetRdd *
duet_rdd_parallelize(DuetContext *context, DuetBatch *data, guint num_partitions)
{
    g_return_val_if_fail(context != NULL && data != NULL, NULL);
    guint n = num_partitions > 0 ? num_partitions : duet_context_default_partitions(context);
    gsize n_rows = duet_batch_n_rows(data);
    GPtrArray **partitions = g_new0(GPtrArray *, n);
    for (guint partition = 0; partition < n; partition++) {
        gsize start = (gsize)((guint64)partition * n_rows / n);
        gsize end = (gsize)((guint64)(partition + 1) * n_rows / n);
        partitions[partition] = new_batch_list();
        if (end > start)
            g_ptr_array_add(partitions[partition], duet_batch_slice(data, start, end - start));
    }
    return new_data_rdd(context, duet_batch_schema(data), partitions, n, &parallel_collection_ops,
                        "parallelize");
}

DuetRdd *
duet_rdd_new_from_partitions(DuetContext *context, DuetSchema *schema, GPtrArray *partition_list)
{
    g_return_val_if_fail(context != NULL && schema != NULL && partition_list != NULL, NULL);
    guint n = partition_list->len;
    GPtrArray **partitions = g_new0(GPtrArray *, MAX(n, 1));
    for (guint partition = 0; partition < n; partition++)
        partitions[partition] = copy_batch_list(g_ptr_array_index(partition_list, partition));
    return new_data_rdd(context, schema, partitions, n, &block_rdd_ops, "blocks");
}

DuetRdd *
duet_rdd_new_empty(DuetContext *context, DuetSchema *schema)
{
    return new_data_rdd(context, schema, g_new0(GPtrArray *, 1), 0, &parallel_collection_ops,
                        "emptyRDD");
}
