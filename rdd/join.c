/* join.c — cogroup and the four joins of pair RDDs.
 *
 * Layer: rdd/. Includes rdd/ only. Spark's CoGroupedRDD: every parent is shuffled by key into
 * the same number of partitions; a reduce task reads its partition of every parent, groups the
 * rows of each side per key, and emits either the groups (cogroup) or, per key, the cross
 * product of the sides (join), with a null standing for the missing side of an outer join.
 * Values are (K, struct<_1: V, _2: W>) as Spark's (K, (V, W)).
 */
#include "rdd/internal.h"

typedef enum {
    JOIN_NONE, /* cogroup */
    JOIN_INNER,
    JOIN_LEFT,
    JOIN_RIGHT,
    JOIN_FULL,
} JoinKind;

/* Per side: its fetched batches and the row chains of every key. */
typedef struct {
    GPtrArray *batches; /* owned */
    gsize *batch_base;  /* global index of each batch's first row */
    gint64 *next;       /* per global row: next row of the same key */
    GArray *heads;      /* per key entry (gint64, -1 = none) */
    GArray *tails;      /* per key entry */
} Side;

static void
side_locate(const Side *side, gint64 global, DuetBatch **batch, gsize *row)
{
    guint low = 0, high = side->batches->len;
    while (high - low > 1) {
        guint middle = (low + high) / 2;
        if (side->batch_base[middle] <= (gsize)global)
            low = middle;
        else
            high = middle;
    }
    *batch = g_ptr_array_index(side->batches, low);
    *row = (gsize)global - side->batch_base[low];
}

/* Reads every row of every side into one key map, extending all sides' chain arrays when a
 * key is new. */
static void
build_sides(Side *sides, guint n_sides, DuetKeyMap *map)
{
    gint64 none = -1;
    for (guint side_idx = 0; side_idx < n_sides; side_idx++) {
        Side *side = &sides[side_idx];
        gsize n_rows = 0;
        side->batch_base = g_new0(gsize, side->batches->len + 1);
        for (guint batch_idx = 0; batch_idx < side->batches->len; batch_idx++) {
            side->batch_base[batch_idx] = n_rows;
            n_rows += duet_batch_n_rows(g_ptr_array_index(side->batches, batch_idx));
        }
        side->next = g_new(gint64, MAX(n_rows, 1));
    }
    for (guint side_idx = 0; side_idx < n_sides; side_idx++) {
        Side *side = &sides[side_idx];
        gsize global = 0;
        for (guint batch_idx = 0; batch_idx < side->batches->len; batch_idx++) {
            DuetBatch *batch = g_ptr_array_index(side->batches, batch_idx);
            DuetKeyReader reader;
            duet_key_reader_init(&reader, batch, 0);
            for (gsize row_idx = 0; row_idx < duet_batch_n_rows(batch); row_idx++, global++) {
                DuetKey key;
                duet_key_reader_read(&reader, row_idx, &key);
                gboolean is_new;
                guint entry = duet_key_map_insert(map, &key, &is_new);
                if (is_new) {
                    for (guint other = 0; other < n_sides; other++) {
                        g_array_append_val(sides[other].heads, none);
                        g_array_append_val(sides[other].tails, none);
                    }
                }
                side->next[global] = -1;
                gint64 row_global = (gint64)global;
                gint64 *tail = &g_array_index(side->tails, gint64, entry);
                if (*tail < 0)
                    g_array_index(side->heads, gint64, entry) = row_global;
                else
                    side->next[*tail] = row_global;
                *tail = row_global;
            }
        }
    }
}

static void
append_cogroup(DuetBatchBuilder *builder, const Side *sides, guint n_sides, guint entry)
{
    DuetColumnBuilder *groups = duet_batch_builder_column(builder, 1);
    for (guint side_idx = 0; side_idx < n_sides; side_idx++) {
        const Side *side = &sides[side_idx];
        DuetColumnBuilder *list = duet_column_builder_child(groups, side_idx);
        DuetColumnBuilder *values = duet_column_builder_child(list, 0);
        for (gint64 member = g_array_index(side->heads, gint64, entry); member >= 0;
             member = side->next[member]) {
            DuetBatch *batch;
            gsize row;
            side_locate(side, member, &batch, &row);
            duet_column_builder_append_from(values, duet_batch_column(batch, 1), row);
        }
        duet_column_builder_end_list(list);
    }
    duet_column_builder_end_struct(groups);
}

static void
append_side_value(DuetColumnBuilder *out, const Side *side, gint64 member)
{
    if (member < 0) {
        duet_column_builder_append_null(out);
        return;
    }
    DuetBatch *batch;
    gsize row;
    side_locate(side, member, &batch, &row);
    duet_column_builder_append_from(out, duet_batch_column(batch, 1), row);
}

/* Emits the join rows of one key: the cross product, or one side against a null. */
static void
append_join(DuetBatchBuilder *builder, const Side *sides, JoinKind kind, const DuetKey *key,
            guint entry)
{
    gint64 left_head = g_array_index(sides[0].heads, gint64, entry);
    gint64 right_head = g_array_index(sides[1].heads, gint64, entry);
    gboolean keep_left_alone = (kind == JOIN_LEFT || kind == JOIN_FULL);
    gboolean keep_right_alone = (kind == JOIN_RIGHT || kind == JOIN_FULL);
    if (left_head < 0 && !keep_right_alone)
        return;
    if (right_head < 0 && !keep_left_alone)
        return;
    DuetColumnBuilder *keys_out = duet_batch_builder_column(builder, 0);
    DuetColumnBuilder *pairs = duet_batch_builder_column(builder, 1);
    DuetColumnBuilder *left_out = duet_column_builder_child(pairs, 0);
    DuetColumnBuilder *right_out = duet_column_builder_child(pairs, 1);
    gint64 left_start = left_head;
    gint64 right_start = right_head;
    /* A missing side takes part as one null row. */
    for (gint64 left = left_start;; left = sides[0].next[left]) {
        for (gint64 right = right_start;; right = sides[1].next[right]) {
            duet_column_builder_append_from(keys_out, duet_batch_column(key->batch, 0), key->row);
            append_side_value(left_out, &sides[0], left);
            append_side_value(right_out, &sides[1], right);
            duet_column_builder_end_struct(pairs);
            if (right < 0 || sides[1].next[right] < 0)
                break;
        }
        if (left < 0 || sides[0].next[left] < 0)
            break;
    }
}

typedef struct {
    JoinKind kind; /* cogroup or which join */
} JoinOp;

static GPtrArray *
cogroup_compute(DuetRdd *rdd, guint partition, GError **error)
{
    JoinOp *op = rdd->op_data;
    guint n_sides = rdd->shuffles->len;
    Side *sides = g_new0(Side, n_sides);
    for (guint side_idx = 0; side_idx < n_sides; side_idx++) {
        sides[side_idx].batches =
            duet_shuffle_fetch(g_ptr_array_index(rdd->shuffles, side_idx), partition);
        sides[side_idx].heads = g_array_new(FALSE, FALSE, sizeof(gint64));
        sides[side_idx].tails = g_array_new(FALSE, FALSE, sizeof(gint64));
    }
    DuetKeyMap *map = duet_key_map_new(1024);
    build_sides(sides, n_sides, map);

    DuetBatchBuilder *builder = duet_batch_builder_new(rdd->schema, duet_key_map_size(map));
    for (guint entry = 0; entry < duet_key_map_size(map); entry++) {
        const DuetKey *key = duet_key_map_key(map, entry);
        if (op->kind == JOIN_NONE) {
            duet_column_builder_append_from(duet_batch_builder_column(builder, 0),
                                            duet_batch_column(key->batch, 0), key->row);
            append_cogroup(builder, sides, n_sides, entry);
        } else {
            append_join(builder, sides, op->kind, key, entry);
        }
    }
    GPtrArray *output = g_ptr_array_new_with_free_func((GDestroyNotify)duet_batch_unref);
    DuetBatch *batch = duet_batch_builder_finish(builder, error);
    if (batch == NULL)
        g_clear_pointer(&output, g_ptr_array_unref);
    else if (duet_batch_n_rows(batch) > 0)
        g_ptr_array_add(output, batch);
    else
        duet_batch_unref(batch);
    duet_batch_builder_free(builder);
    duet_key_map_free(map);
    for (guint side_idx = 0; side_idx < n_sides; side_idx++) {
        g_ptr_array_unref(sides[side_idx].batches);
        g_free(sides[side_idx].batch_base);
        g_free(sides[side_idx].next);
        g_array_unref(sides[side_idx].heads);
        g_array_unref(sides[side_idx].tails);
    }
    g_free(sides);
    return output;
}

static const DuetRddOps cogroup_ops = {"CoGroupedRDD", cogroup_compute};

/* Checks that every RDD is a pair RDD with one key type. */
static gboolean
check_sides(DuetRdd *const *rdds, guint n, const char *operation, GError **error)
{
    for (guint rdd_idx = 0; rdd_idx < n; rdd_idx++) {
        if (!duet_rdd_is_pair(rdds[rdd_idx], operation, error))
            return FALSE;
        DuetDataType *key = duet_schema_field(rdds[rdd_idx]->schema, 0)->type;
        DuetDataType *first = duet_schema_field(rdds[0]->schema, 0)->type;
        if (!duet_data_type_equal(key, first)) {
            g_autofree char *first_text = duet_data_type_to_string(first);
            g_autofree char *key_text = duet_data_type_to_string(key);
            g_set_error(error, DUET_RDD_ERROR, DUET_RDD_ERROR_INVALID,
                        "%s needs keys of one type, but %s has %s keys and %s has %s keys",
                        operation, rdds[0]->name, first_text, rdds[rdd_idx]->name, key_text);
            return FALSE;
        }
    }
    return TRUE;
}

static DuetRdd *
new_cogrouped(DuetRdd *const *rdds, guint n, DuetSchema *schema, JoinKind kind,
              guint num_partitions, const char *operation)
{
    guint n_partitions = num_partitions;
    for (guint rdd_idx = 0; rdd_idx < n && num_partitions == 0; rdd_idx++)
        n_partitions = MAX(n_partitions, rdds[rdd_idx]->n_partitions);
    n_partitions = MAX(n_partitions, 1);
    DuetRdd *rdd =
        duet_rdd_new_internal(rdds[0]->context, schema, n_partitions, &cogroup_ops, operation);
    for (guint rdd_idx = 0; rdd_idx < n; rdd_idx++)
        duet_rdd_add_shuffle(rdd, duet_shuffle_new(rdds[rdd_idx], DUET_PARTITIONER_HASH_KEY,
                                                   n_partitions, NULL, NULL, TRUE));
    JoinOp *op = g_new0(JoinOp, 1);
    op->kind = kind;
    rdd->op_data = op;
    rdd->op_data_free = g_free;
    rdd->hash_partitions = n_partitions;
    return rdd;
}

DuetRdd *
duet_rdd_cogroup(DuetRdd *const *rdds, guint n, guint num_partitions, GError **error)
{
    g_return_val_if_fail(rdds != NULL && n > 0, NULL);
    if (!check_sides(rdds, n, "cogroup", error))
        return NULL;
    g_autoptr(DuetSchema) groups = duet_schema_new();
    for (guint rdd_idx = 0; rdd_idx < n; rdd_idx++) {
        const DuetField *value = duet_schema_field(rdds[rdd_idx]->schema, 1);
        g_autoptr(DuetDataType) list = duet_data_type_new_array(value->type, value->nullable);
        g_autofree char *name = g_strdup_printf("_%u", rdd_idx + 1);
        duet_schema_add_field(groups, name, list, FALSE);
    }
    g_autoptr(DuetDataType) groups_type = duet_data_type_new_struct(groups);
    g_autoptr(DuetSchema) schema = duet_schema_new();
    const DuetField *key = duet_schema_field(rdds[0]->schema, 0);
    duet_schema_add_field(schema, key->name, key->type, key->nullable);
    duet_schema_add_field(schema, "value", groups_type, FALSE);
    return new_cogrouped(rdds, n, schema, JOIN_NONE, num_partitions, "cogroup");
}

static DuetRdd *
join(DuetRdd *left, DuetRdd *right, JoinKind kind, guint num_partitions, const char *operation,
     GError **error)
{
    DuetRdd *sides[2] = {left, right};
    if (!check_sides(sides, 2, operation, error))
        return NULL;
    const DuetField *left_value = duet_schema_field(left->schema, 1);
    const DuetField *right_value = duet_schema_field(right->schema, 1);
    g_autoptr(DuetSchema) pair = duet_schema_new();
    duet_schema_add_field(pair, "_1", left_value->type,
                          left_value->nullable || kind == JOIN_RIGHT || kind == JOIN_FULL);
    duet_schema_add_field(pair, "_2", right_value->type,
                          right_value->nullable || kind == JOIN_LEFT || kind == JOIN_FULL);
    g_autoptr(DuetDataType) pair_type = duet_data_type_new_struct(pair);
    g_autoptr(DuetSchema) schema = duet_schema_new();
    const DuetField *key = duet_schema_field(left->schema, 0);
    duet_schema_add_field(schema, key->name, key->type, key->nullable);
    duet_schema_add_field(schema, "value", pair_type, FALSE);
    return new_cogrouped(sides, 2, schema, kind, num_partitions, operation);
}

DuetRdd *
duet_rdd_join(DuetRdd *left, DuetRdd *right, guint num_partitions, GError **error)
{
    return join(left, right, JOIN_INNER, num_partitions, "join", error);
}

DuetRdd *
duet_rdd_left_outer_join(DuetRdd *left, DuetRdd *right, guint num_partitions, GError **error)
{
    return join(left, right, JOIN_LEFT, num_partitions, "leftOuterJoin", error);
}

DuetRdd *
duet_rdd_right_outer_join(DuetRdd *left, DuetRdd *right, guint num_partitions, GError **error)
{
    return join(left, right, JOIN_RIGHT, num_partitions, "rightOuterJoin", error);
}

DuetRdd *
duet_rdd_full_outer_join(DuetRdd *left, DuetRdd *right, guint num_partitions, GError **error)
{
    return join(left, right, JOIN_FULL, num_partitions, "fullOuterJoin", error);
}
