/* join_union.c — logical union and equi-join of two DataFrames.
 *
 * Layer: structured/. Union is by position (the left side's names); a join is on USING
 * columns, its output the USING columns once, then the left's other columns, then the right's.
 * Both record what the physical join needs (key indices on each side, the order of cells) and
 * how event time flows through: a join key carrying event time on either side evicts state.
 */
#include "structured/internal.h"
#include "structured/dataframe.h"

/* ---- union and join ----------------------------------------------------------------------- */

static gboolean
check_mixed(DuetDataFrame *left, DuetDataFrame *right, const char *what, GError **error)
{
    if (left->is_streaming != right->is_streaming && g_str_equal(what, "Union"))
        return duet_analysis_error(error,
                                   "Union between streaming and batch DataFrames/Datasets is "
                                   "not supported");
    return TRUE;
}

DuetDataFrame *
duet_dataframe_union(DuetDataFrame *left, DuetDataFrame *right, GError **error)
{
    guint n = duet_schema_n_fields(left->schema);
    if (n != duet_schema_n_fields(right->schema)) {
        duet_analysis_error(
            error,
            "[NUM_COLUMNS_MISMATCH] UNION can only be performed on inputs with the same "
            "number of columns, but the first input has %u columns and the second "
            "input has %u columns.",
            n, duet_schema_n_fields(right->schema));
        return NULL;
    }
    if (!check_mixed(left, right, "Union", error))
        return NULL;
    for (guint field = 0; field < n; field++) {
        DuetDataType *a = duet_schema_field(left->schema, field)->type;
        DuetDataType *b = duet_schema_field(right->schema, field)->type;
        if (!duet_data_type_equal(a, b)) {
            g_autofree char *x = duet_data_type_to_string(a);
            g_autofree char *y = duet_data_type_to_string(b);
            duet_analysis_error(
                error,
                "[INCOMPATIBLE_COLUMN_TYPE] UNION can only be performed on inputs with "
                "compatible column types. The column %u of the second input is \"%s\" "
                "where the first input has \"%s\" (duet does not widen union types).",
                field + 1, y, x);
            return NULL;
        }
    }
    DuetDataFrame *unioned = duet_dataframe_node_new(DUET_PLAN_UNION, left->schema, left);
    unioned->right = duet_dataframe_ref(right);
    unioned->is_streaming = left->is_streaming || right->is_streaming;
    /* the event time survives when both sides carry it in the same column */
    if (left->event_time_column != right->event_time_column)
        unioned->event_time_column = -1;
    return unioned;
}

static GArray *
key_indices(DuetDataFrame *side, const char *const *using_columns, guint n, GError **error)
{
    GArray *indices = g_array_new(FALSE, FALSE, sizeof(guint));
    for (guint index = 0; index < n; index++) {
        gint found = duet_schema_find_ci(side->schema, using_columns[index]);
        if (found < 0) {
            g_autofree char *fields = duet_schema_to_string(side->schema);
            duet_analysis_error(
                error,
                "[UNRESOLVED_USING_COLUMN_FOR_JOIN] USING column `%s` cannot be resolved "
                "on the %s side of the join. The %s-side columns: %s.",
                using_columns[index], "one", "that", fields);
            g_array_unref(indices);
            return NULL;
        }
        guint column = (guint)found;
        g_array_append_val(indices, column);
    }
    return indices;
}

static gboolean
contains_index(GArray *indices, guint column)
{
    for (guint index = 0; index < indices->len; index++)
        if (g_array_index(indices, guint, index) == column)
            return TRUE;
    return FALSE;
}

DuetDataFrame *
duet_dataframe_join(DuetDataFrame *left, DuetDataFrame *right, const char *const *using_columns,
                    guint n, const char *type, GError **error)
{
    DuetJoinType join_type;
    if (type == NULL || g_ascii_strcasecmp(type, "inner") == 0) {
        join_type = DUET_JOIN_INNER;
    } else if (g_ascii_strcasecmp(type, "left") == 0 ||
               g_ascii_strcasecmp(type, "left_outer") == 0 ||
               g_ascii_strcasecmp(type, "leftouter") == 0) {
        join_type = DUET_JOIN_LEFT_OUTER;
    } else {
        duet_analysis_error(
            error, "duet: the %s join type is not supported yet (inner and left outer are)", type);
        return NULL;
    }
    if (n == 0) {
        duet_analysis_error(error,
                            "duet: a join needs USING columns (cross joins are not supported)");
        return NULL;
    }
    if (!left->is_streaming && right->is_streaming) {
        duet_analysis_error(error,
                            "duet: a join with a static left side and a streaming right side "
                            "is not supported; put the stream on the left");
        return NULL;
    }
    if (join_type == DUET_JOIN_LEFT_OUTER && right->is_streaming) {
        duet_analysis_error(
            error, "Stream-stream LeftOuter join between two streaming DataFrame/Datasets is "
                   "not supported without a watermark in the join keys, or a watermark on the "
                   "nullable side and an appropriate range condition (duet supports only inner "
                   "stream-stream joins)");
        return NULL;
    }
    GArray *left_keys = key_indices(left, using_columns, n, error);
    GArray *right_keys = left_keys ? key_indices(right, using_columns, n, error) : NULL;
    if (right_keys == NULL) {
        if (left_keys)
            g_array_unref(left_keys);
        return NULL;
    }
    g_autoptr(DuetSchema) schema = duet_schema_new();
    GArray *left_order = g_array_new(FALSE, FALSE, sizeof(guint));
    for (guint index = 0; index < n; index++) {
        guint column = g_array_index(left_keys, guint, index);
        const DuetField *field = duet_schema_field(left->schema, column);
        duet_schema_add_field(schema, field->name, field->type, field->nullable);
        g_array_append_val(left_order, column);
    }
    for (guint column = 0; column < duet_schema_n_fields(left->schema); column++) {
        if (contains_index(left_keys, column))
            continue;
        const DuetField *field = duet_schema_field(left->schema, column);
        duet_schema_add_field(schema, field->name, field->type, field->nullable);
        g_array_append_val(left_order, column);
    }
    GArray *right_values = g_array_new(FALSE, FALSE, sizeof(guint));
    for (guint column = 0; column < duet_schema_n_fields(right->schema); column++) {
        if (contains_index(right_keys, column))
            continue;
        const DuetField *field = duet_schema_field(right->schema, column);
        duet_schema_add_field(schema, field->name, field->type,
                              field->nullable || join_type == DUET_JOIN_LEFT_OUTER);
        g_array_append_val(right_values, column);
    }
    DuetDataFrame *joined = duet_dataframe_node_new(DUET_PLAN_JOIN, schema, left);
    joined->right = duet_dataframe_ref(right);
    joined->join_type = join_type;
    joined->left_keys = left_keys;
    joined->right_keys = right_keys;
    joined->right_values = right_values;
    joined->columns = left_order; /* left columns in output order */
    joined->is_streaming = left->is_streaming || right->is_streaming;
    joined->event_time_column = -1;
    for (guint index = 0; index < left_order->len; index++)
        if ((gint)g_array_index(left_order, guint, index) == left->event_time_column)
            joined->event_time_column = (gint)index;
    /* state is evicted by a join key that carries event time on either side */
    for (guint index = 0; index < n; index++) {
        gint left_column = (gint)g_array_index(left_keys, guint, index);
        gint right_column = (gint)g_array_index(right_keys, guint, index);
        if (left_column == left->event_time_column || right_column == right->event_time_column) {
            joined->state_time_column = (gint)index; /* a key position */
            joined->event_time_is_window = left_column == left->event_time_column
                                               ? left->event_time_is_window
                                               : right->event_time_is_window;
        }
    }
    if (joined->event_time_column < 0)
        joined->event_time_is_window = FALSE;
    return joined;
}

DuetDataFrame *
duet_dataframe_join_time_bounded(DuetDataFrame *left, DuetDataFrame *right,
                                 const char *const *using_columns, guint n, const char *left_time,
                                 const char *right_time, const char *lower, const char *upper,
                                 GError **error)
{
    gint left_column = duet_schema_find_ci(left->schema, left_time);
    gint right_column = duet_schema_find_ci(right->schema, right_time);
    if (left_column < 0 || right_column < 0) {
        duet_analysis_error(error, "[UNRESOLVED_COLUMN] The time column `%s` cannot be resolved.",
                            left_column < 0 ? left_time : right_time);
        return NULL;
    }
    if (duet_data_type_id(duet_schema_field(left->schema, (guint)left_column)->type) !=
            DUET_TYPE_TIMESTAMP ||
        duet_data_type_id(duet_schema_field(right->schema, (guint)right_column)->type) !=
            DUET_TYPE_TIMESTAMP) {
        duet_analysis_error(error, "The time bound of a join compares timestamp columns");
        return NULL;
    }
    gint64 lower_us = 0, upper_us = 0;
    if (!duet_parse_interval_us(lower, &lower_us, error) ||
        !duet_parse_interval_us(upper, &upper_us, error))
        return NULL;
    if (lower_us > upper_us) {
        duet_analysis_error(error, "The time bound's lower end (%s) is after its upper end (%s)",
                            lower, upper);
        return NULL;
    }
    if (!right->is_streaming) {
        duet_analysis_error(error, "A time-bounded join needs two streaming sides; join a static "
                                   "table with duet_dataframe_join");
        return NULL;
    }
    DuetDataFrame *joined = duet_dataframe_join(left, right, using_columns, n, "inner", error);
    if (joined == NULL)
        return NULL;
    joined->has_time_bound = TRUE;
    joined->left_time_column = left_column;
    joined->right_time_column = right_column;
    joined->lower_us = lower_us;
    joined->upper_us = upper_us;
    return joined;
}
