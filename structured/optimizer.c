/* optimizer.c — Spark's logical optimizer rules over analysed plans.
 *
 * Layer: structured/. Includes rdd/ and structured/. duet_optimize() returns a new plan that
 * computes the same rows with the same output schema, and never touches what state depends
 * on: stateful operators (aggregations, deduplication, streaming limits, joins), watermarks,
 * window and session expansion, generators and user functions keep their fields, their input
 * schemas and their pre-order positions (the ids of their state stores), so a checkpoint
 * written by the unoptimised plan is read by the optimised one. The rules work inside the
 * stateless segments between them, as Spark's do:
 *   - ConstantFolding: literal-only subtrees (deterministic built-in functions only) are
 *     evaluated once over a one-row batch, with the engine's own null semantics; and the
 *     BooleanSimplification cases TRUE AND x, FALSE AND x, TRUE OR x, FALSE OR x.
 *   - PushDownPredicates: a filter moves below a projection (its column references replaced
 *     by the projected expressions) and into both sides of a union.
 *   - CombineFilters, CollapseProject and RemoveNoopOperators (an identity projection, a filter
 *     on TRUE).
 *   - ColumnPruning: columns nobody above uses are dropped by narrowing projections and by a
 *     projection inserted above a source.
 * Every replacement node takes the event-time marks of the node it replaces.
 */
#include "structured/internal.h"

#include <string.h>

/* ---- expressions ------------------------------------------------------------------------- */

DuetExpr *
duet_expr_copy_node(const DuetExpr *expr)
{
    DuetExpr *copy = g_new0(DuetExpr, 1);
    copy->ref_count = 1;
    copy->kind = expr->kind;
    copy->op = expr->op;
    copy->name = g_strdup(expr->name);
    copy->literal = expr->literal;
    if (expr->literal_bytes) {
        gsize length = expr->literal.v.str.len;
        copy->literal_bytes = g_malloc(length + 1);
        memcpy(copy->literal_bytes, expr->literal_bytes, length);
        copy->literal_bytes[length] = '\0';
        copy->literal.v.str.data = copy->literal_bytes;
    }
    copy->cast_type = expr->cast_type ? duet_data_type_ref(expr->cast_type) : NULL;
    copy->n_children = expr->n_children;
    copy->children = g_new0(DuetExpr *, MAX(expr->n_children, 1));
    for (guint child = 0; child < expr->n_children; child++)
        copy->children[child] = duet_expr_ref(expr->children[child]);
    copy->type = expr->type ? duet_data_type_ref(expr->type) : NULL;
    copy->nullable = expr->nullable;
    copy->column_index = expr->column_index;
    return copy;
}

/* Functions whose value is not a function of their arguments alone. */
static gboolean
is_volatile_function(const char *name)
{
    static const char *const names[] = {"rand",
                                        "randn",
                                        "random",
                                        "uuid",
                                        "shuffle",
                                        "monotonically_increasing_id",
                                        "spark_partition_id",
                                        "input_file_name",
                                        "current_timestamp",
                                        "current_date",
                                        "now",
                                        "unix_timestamp",
                                        NULL};
    for (const char *const *entry = names; *entry; entry++)
        if (g_str_equal(*entry, name))
            return TRUE;
    return duet_expr_lookup_function(name) == NULL; /* a user function: unknown */
}

static gboolean
deterministic(const DuetExpr *expr)
{
    if (expr->kind == DUET_EXPR_FUNCTION && is_volatile_function(expr->name) &&
        !g_str_equal(expr->name, "current_timestamp") && !g_str_equal(expr->name, "now") &&
        !g_str_equal(expr->name, "current_date") && !g_str_equal(expr->name, "unix_timestamp"))
        return FALSE; /* the batch's time is one value per batch: deterministic in Spark */
    for (guint child = 0; child < expr->n_children; child++)
        if (!deterministic(expr->children[child]))
            return FALSE;
    return TRUE;
}

static gboolean
all_deterministic(GPtrArray *exprs)
{
    for (guint index = 0; index < exprs->len; index++)
        if (!deterministic(exprs->pdata[index]))
            return FALSE;
    return TRUE;
}

static gboolean
foldable(const DuetExpr *expr)
{
    switch (expr->kind) {
    case DUET_EXPR_LITERAL:
        return TRUE;
    case DUET_EXPR_COLUMN:
    case DUET_EXPR_FIELD:
    case DUET_EXPR_ALIAS:
        return FALSE;
    case DUET_EXPR_FUNCTION:
        if (expr->n_children == 0 || is_volatile_function(expr->name) ||
            duet_agg_is_function(expr->name))
            return FALSE;
        break;
    default:
        break;
    }
    for (guint child = 0; child < expr->n_children; child++)
        if (!foldable(expr->children[child]))
            return FALSE;
    return TRUE;
}

static gboolean
is_scalar_type(DuetTypeId type)
{
    return type == DUET_TYPE_NULL || type == DUET_TYPE_BOOLEAN || type == DUET_TYPE_INT32 ||
           type == DUET_TYPE_INT64 || type == DUET_TYPE_DOUBLE || type == DUET_TYPE_STRING ||
           type == DUET_TYPE_TIMESTAMP || type == DUET_TYPE_DATE;
}

static gboolean
is_boolean_literal(const DuetExpr *expr, gboolean value)
{
    return expr->kind == DUET_EXPR_LITERAL && !expr->literal.is_null &&
           expr->literal.type == DUET_TYPE_BOOLEAN && expr->literal.v.boolean == value;
}

/* A literal node of expr's type holding expr's value, or NULL when it cannot be computed here
 * (the row would fail at run time; Spark folds lazily too). */
static DuetExpr *
evaluate_constant(const DuetExpr *expr)
{
    if (!is_scalar_type(duet_data_type_id(expr->type)))
        return NULL;
    g_autoptr(DuetSchema) schema = duet_schema_new_simple("dummy", DUET_TYPE_INT32, NULL);
    g_autoptr(DuetBatchBuilder) builder = duet_batch_builder_new(schema, 1);
    duet_batch_builder_append_int32(builder, 0, 0);
    g_autoptr(DuetBatch) batch = duet_batch_builder_finish(builder, NULL);
    if (batch == NULL)
        return NULL;
    GError *error = NULL;
    g_autoptr(DuetColumn) column = duet_expr_evaluate(expr, batch, &error);
    if (column == NULL) {
        g_clear_error(&error);
        return NULL;
    }
    DuetValue value;
    duet_column_get_value(column, 0, &value);
    DuetExpr *literal = duet_expr_literal(&value);
    literal->type = duet_data_type_ref(expr->type);
    literal->nullable = value.is_null;
    return literal;
}

/* ConstantFolding and the boolean simplifications, bottom-up. (transfer full) */
static DuetExpr *
fold(DuetExpr *expr)
{
    if (expr->kind == DUET_EXPR_LITERAL)
        return duet_expr_ref(expr);
    if (foldable(expr)) {
        DuetExpr *literal = evaluate_constant(expr);
        if (literal != NULL)
            return literal;
    }
    DuetExpr *copy = NULL;
    for (guint child = 0; child < expr->n_children; child++) {
        DuetExpr *folded = fold(expr->children[child]);
        if (folded == expr->children[child] && copy == NULL) {
            duet_expr_unref(folded);
            continue;
        }
        if (copy == NULL)
            copy = duet_expr_copy_node(expr);
        duet_expr_unref(copy->children[child]);
        copy->children[child] = folded;
    }
    DuetExpr *result = copy ? copy : duet_expr_ref(expr);
    if (result->kind == DUET_EXPR_BINARY &&
        (result->op == DUET_BINARY_AND || result->op == DUET_BINARY_OR)) {
        gboolean and = result->op == DUET_BINARY_AND;
        for (guint side = 0; side < 2; side++) {
            DuetExpr *literal = result->children[side], *other = result->children[1 - side];
            /* TRUE AND x = x, FALSE OR x = x; FALSE AND x = FALSE, TRUE OR x = TRUE */
            if (is_boolean_literal(literal, and) &&
                duet_data_type_id(other->type) == DUET_TYPE_BOOLEAN) {
                DuetExpr *simplified = duet_expr_ref(other);
                duet_expr_unref(result);
                return simplified;
            }
            if (is_boolean_literal(literal, !and) && deterministic(other)) {
                DuetExpr *simplified = duet_expr_ref(literal);
                duet_expr_unref(result);
                return simplified;
            }
        }
    }
    return result;
}

/* The name a projected expression gives its column (select(window.start) names it `start`). */
static char *
output_name(const DuetExpr *expr)
{
    return expr->kind == DUET_EXPR_FIELD ? g_strdup(expr->name) : duet_expr_name(expr);
}

/* expr, aliased to name when its own name differs. (transfer full) */
static DuetExpr *
keep_name(DuetExpr *expr, const char *name)
{
    g_autofree char *current = output_name(expr);
    if (g_str_equal(current, name))
        return duet_expr_ref(expr);
    DuetExpr *bare = expr;
    while (bare->kind == DUET_EXPR_ALIAS)
        bare = bare->children[0];
    DuetExpr *alias = duet_expr_alias(bare, name);
    alias->type = duet_data_type_ref(bare->type);
    alias->nullable = bare->nullable;
    return alias;
}

static const DuetExpr *
unaliased(const DuetExpr *expr)
{
    while (expr->kind == DUET_EXPR_ALIAS)
        expr = expr->children[0];
    return expr;
}

/* expr over a projection's input: its column references replaced by the projected expressions
 * (without their aliases). (transfer full) */
static DuetExpr *
substitute(DuetExpr *expr, GPtrArray *projected)
{
    if (expr->kind == DUET_EXPR_COLUMN)
        return duet_expr_ref((DuetExpr *)unaliased(projected->pdata[expr->column_index]));
    if (expr->n_children == 0)
        return duet_expr_ref(expr);
    DuetExpr *copy = duet_expr_copy_node(expr);
    for (guint child = 0; child < copy->n_children; child++) {
        DuetExpr *replaced = substitute(copy->children[child], projected);
        duet_expr_unref(copy->children[child]);
        copy->children[child] = replaced;
    }
    return copy;
}

/* expr with column i renamed and renumbered to mapping[i] in schema. (transfer full) */
static DuetExpr *
remap(DuetExpr *expr, const gint *mapping, DuetSchema *schema)
{
    if (expr->kind == DUET_EXPR_COLUMN) {
        DuetExpr *copy = duet_expr_copy_node(expr);
        copy->column_index = mapping[expr->column_index];
        g_assert(copy->column_index >= 0);
        g_free(copy->name);
        copy->name = g_strdup(duet_schema_field(schema, (guint)copy->column_index)->name);
        return copy;
    }
    if (expr->n_children == 0)
        return duet_expr_ref(expr);
    DuetExpr *copy = duet_expr_copy_node(expr);
    for (guint child = 0; child < copy->n_children; child++) {
        DuetExpr *replaced = remap(copy->children[child], mapping, schema);
        duet_expr_unref(copy->children[child]);
        copy->children[child] = replaced;
    }
    return copy;
}

static void
collect_columns(const DuetExpr *expr, gboolean *used)
{
    if (expr->kind == DUET_EXPR_COLUMN)
        used[expr->column_index] = TRUE;
    for (guint child = 0; child < expr->n_children; child++)
        collect_columns(expr->children[child], used);
}

/* ---- plan nodes ---------------------------------------------------------------------------- */

static void
copy_marks(DuetDataFrame *to, const DuetDataFrame *from)
{
    to->event_time_column = from->event_time_column;
    to->event_time_is_window = from->event_time_is_window;
    to->delay_ms = from->delay_ms;
    to->is_streaming = from->is_streaming;
}

/* The kinds whose every field clone_with() copies. A node of any other kind (one added
 * later) is left as it is, with everything below it. */
static gboolean
known_kind(DuetPlanKind kind)
{
    switch (kind) {
    case DUET_PLAN_SOURCE:
    case DUET_PLAN_PROJECT:
    case DUET_PLAN_FILTER:
    case DUET_PLAN_WINDOW:
    case DUET_PLAN_WATERMARK:
    case DUET_PLAN_AGGREGATE:
    case DUET_PLAN_DEDUP:
    case DUET_PLAN_SORT:
    case DUET_PLAN_LIMIT:
    case DUET_PLAN_MAP:
    case DUET_PLAN_REPARTITION:
    case DUET_PLAN_UNION:
    case DUET_PLAN_JOIN:
    case DUET_PLAN_GENERATE:
    case DUET_PLAN_SESSION:
        return TRUE;
    default:
        return FALSE;
    }
}

/* node over new children, every other field shared or copied; node itself when the children
 * are its own. The copy starts as the node's bytes, so scalar fields added to struct
 * _DuetDataFrame later come along; an owned pointer added later must get its reference here.
 * (transfer full) */
static DuetDataFrame *
clone_with(DuetDataFrame *node, DuetDataFrame *child, DuetDataFrame *right)
{
    if (child == node->child && right == node->right)
        return duet_dataframe_ref(node);
    DuetDataFrame *copy = g_new(DuetDataFrame, 1);
    *copy = *node;
    copy->ref_count = 1;
    copy->schema = duet_schema_ref(node->schema);
    copy->child = child ? duet_dataframe_ref(child) : NULL;
    copy->right = right ? duet_dataframe_ref(right) : NULL;
    copy->source = node->source ? duet_source_ref(node->source) : NULL;
    copy->left_keys = node->left_keys ? g_array_ref(node->left_keys) : NULL;
    copy->right_keys = node->right_keys ? g_array_ref(node->right_keys) : NULL;
    copy->right_values = node->right_values ? g_array_ref(node->right_values) : NULL;
    copy->exprs = g_ptr_array_new_with_free_func((GDestroyNotify)duet_expr_unref);
    for (guint index = 0; index < node->exprs->len; index++)
        g_ptr_array_add(copy->exprs, duet_expr_ref(node->exprs->pdata[index]));
    copy->aggs = node->aggs ? g_ptr_array_ref(node->aggs) : NULL;
    if (node->sort_keys) {
        copy->sort_keys = g_array_new(FALSE, TRUE, sizeof(DuetSortKey));
        for (guint index = 0; index < node->sort_keys->len; index++) {
            DuetSortKey key = g_array_index(node->sort_keys, DuetSortKey, index);
            key.expr = duet_expr_ref(key.expr);
            g_array_append_val(copy->sort_keys, key);
        }
    }
    copy->columns = node->columns ? g_array_ref(node->columns) : NULL;
    copy->parsed_plan = NULL;
    return copy;
}

/* A projection of exprs (stolen) over child, with schema's names and marks' event time.
 * (transfer full) */
static DuetDataFrame *
project_new(DuetDataFrame *child, GPtrArray *exprs, DuetSchema *schema, const DuetDataFrame *marks)
{
    DuetDataFrame *project = duet_dataframe_node_new(DUET_PLAN_PROJECT, schema, child);
    g_ptr_array_extend_and_steal(project->exprs, exprs);
    copy_marks(project, marks);
    return project;
}

static DuetDataFrame *
filter_new(DuetDataFrame *child, DuetExpr *condition)
{
    DuetDataFrame *filter = duet_dataframe_node_new(DUET_PLAN_FILTER, child->schema, child);
    g_ptr_array_add(filter->exprs, condition);
    return filter;
}

static gboolean
is_identity(DuetDataFrame *project)
{
    DuetSchema *input = project->child->schema;
    if (project->exprs->len != duet_schema_n_fields(input))
        return FALSE;
    for (guint index = 0; index < project->exprs->len; index++) {
        const DuetExpr *expr = project->exprs->pdata[index];
        const DuetField *field = duet_schema_field(project->schema, index);
        const DuetField *source = duet_schema_field(input, index);
        if (expr->kind != DUET_EXPR_COLUMN || expr->column_index != (gint)index ||
            !g_str_equal(field->name, source->name) || field->nullable != source->nullable)
            return FALSE;
    }
    return project->event_time_column == project->child->event_time_column;
}

static DuetDataFrame *simplify_filter(DuetDataFrame *filter, gboolean push);

/* CollapseProject and the identity projection. Consumes project. (transfer full) */
static DuetDataFrame *
simplify_project(DuetDataFrame *project)
{
    DuetDataFrame *child = project->child;
    if (child->kind == DUET_PLAN_PROJECT && all_deterministic(child->exprs)) {
        GPtrArray *exprs = g_ptr_array_new_with_free_func((GDestroyNotify)duet_expr_unref);
        for (guint index = 0; index < project->exprs->len; index++) {
            g_autoptr(DuetExpr) replaced = substitute(project->exprs->pdata[index], child->exprs);
            g_autoptr(DuetExpr) folded = fold(replaced);
            g_ptr_array_add(exprs,
                            keep_name(folded, duet_schema_field(project->schema, index)->name));
        }
        DuetDataFrame *collapsed = project_new(child->child, exprs, project->schema, project);
        duet_dataframe_unref(project);
        project = collapsed;
    }
    if (is_identity(project)) {
        DuetDataFrame *input = duet_dataframe_ref(project->child);
        duet_dataframe_unref(project);
        return input;
    }
    return project;
}

/* CombineFilters, PushDownPredicates (below projections, into unions), a filter on TRUE.
 * Consumes filter. (transfer full) */
static DuetDataFrame *
simplify_filter(DuetDataFrame *filter, gboolean push)
{
    DuetExpr *condition = filter->exprs->pdata[0];
    DuetDataFrame *child = filter->child;
    if (is_boolean_literal(condition, TRUE)) {
        DuetDataFrame *input = duet_dataframe_ref(child);
        duet_dataframe_unref(filter);
        return input;
    }
    if (!deterministic(condition))
        return filter;
    if (child->kind == DUET_PLAN_FILTER && deterministic(child->exprs->pdata[0])) {
        DuetExpr *lower = child->exprs->pdata[0];
        DuetExpr *both = duet_expr_binary(DUET_BINARY_AND, lower, condition);
        both->type = duet_data_type_new_scalar(DUET_TYPE_BOOLEAN);
        both->nullable = lower->nullable || condition->nullable;
        DuetDataFrame *combined = filter_new(child->child, both);
        copy_marks(combined, filter);
        duet_dataframe_unref(filter);
        return simplify_filter(combined, push);
    }
    if (push && child->kind == DUET_PLAN_PROJECT && all_deterministic(child->exprs)) {
        DuetExpr *below = substitute(condition, child->exprs);
        DuetDataFrame *pushed = simplify_filter(filter_new(child->child, below), push);
        GPtrArray *exprs = g_ptr_array_new_with_free_func((GDestroyNotify)duet_expr_unref);
        for (guint index = 0; index < child->exprs->len; index++)
            g_ptr_array_add(exprs, duet_expr_ref(child->exprs->pdata[index]));
        DuetDataFrame *project = project_new(pushed, exprs, child->schema, filter);
        duet_dataframe_unref(pushed);
        duet_dataframe_unref(filter);
        return project;
    }
    if (push && child->kind == DUET_PLAN_UNION) {
        DuetDataFrame *sides[2] = {child->child, child->right};
        DuetDataFrame *filtered[2];
        gint *identity = g_new(gint, duet_schema_n_fields(child->schema));
        for (guint field = 0; field < duet_schema_n_fields(child->schema); field++)
            identity[field] = (gint)field;
        for (guint side = 0; side < 2; side++)
            filtered[side] = simplify_filter(
                filter_new(sides[side], remap(condition, identity, sides[side]->schema)), push);
        g_free(identity);
        DuetDataFrame *unioned = clone_with(child, filtered[0], filtered[1]);
        copy_marks(unioned, filter);
        duet_dataframe_unref(filtered[0]);
        duet_dataframe_unref(filtered[1]);
        duet_dataframe_unref(filter);
        return unioned;
    }
    return filter;
}

/* Bottom-up: children first, then the node's own rules (push: PushDownPredicates too).
 * (transfer full) */
static DuetDataFrame *
rewrite(DuetDataFrame *node, gboolean push)
{
    if (!known_kind(node->kind))
        return duet_dataframe_ref(node);
    g_autoptr(DuetDataFrame) child = node->child ? rewrite(node->child, push) : NULL;
    g_autoptr(DuetDataFrame) right = node->right ? rewrite(node->right, push) : NULL;
    if (node->kind == DUET_PLAN_PROJECT) {
        GPtrArray *exprs = g_ptr_array_new_with_free_func((GDestroyNotify)duet_expr_unref);
        for (guint index = 0; index < node->exprs->len; index++) {
            g_autoptr(DuetExpr) folded = fold(node->exprs->pdata[index]);
            g_ptr_array_add(exprs, keep_name(folded, duet_schema_field(node->schema, index)->name));
        }
        return simplify_project(project_new(child, exprs, node->schema, node));
    }
    if (node->kind == DUET_PLAN_FILTER) {
        DuetDataFrame *filter = filter_new(child, fold(node->exprs->pdata[0]));
        copy_marks(filter, node);
        return simplify_filter(filter, push);
    }
    return clone_with(node, child, right);
}

/* ---- column pruning ------------------------------------------------------------------------ */

static DuetDataFrame *narrow(DuetDataFrame *node, const gboolean *required, gint *mapping);

static void
identity_mapping(DuetDataFrame *node, gint *mapping)
{
    for (guint field = 0; field < duet_schema_n_fields(node->schema); field++)
        mapping[field] = (gint)field;
}

/* A node every column of whose inputs is needed: its children narrowed with everything
 * required, so that pruning continues inside them. */
static DuetDataFrame *
narrow_barrier(DuetDataFrame *node, gint *mapping)
{
    g_autoptr(DuetDataFrame) child = NULL, right = NULL;
    DuetDataFrame *sides[2] = {node->child, node->right};
    DuetDataFrame **narrowed[2] = {&child, &right};
    for (guint side = 0; side < 2; side++) {
        if (sides[side] == NULL)
            continue;
        guint n = duet_schema_n_fields(sides[side]->schema);
        gboolean *all = g_new(gboolean, MAX(n, 1));
        gint *inner = g_new(gint, MAX(n, 1));
        for (guint field = 0; field < n; field++)
            all[field] = TRUE;
        *narrowed[side] = narrow(sides[side], all, inner);
        g_free(all);
        g_free(inner);
    }
    identity_mapping(node, mapping);
    return clone_with(node, child, right);
}

/* node reduced to the required columns of its output (and what they need below): mapping
 * receives each output column's new index, or -1 where it was dropped. Stateful and other
 * barrier nodes keep their output. (transfer full) */
static DuetDataFrame *
narrow(DuetDataFrame *node, const gboolean *required, gint *mapping)
{
    guint n = duet_schema_n_fields(node->schema);
    switch (node->kind) {
    case DUET_PLAN_SOURCE: {
        guint kept = 0;
        for (guint field = 0; field < n; field++)
            kept += required[field] ? 1 : 0;
        if (kept == n || n <= 1) {
            identity_mapping(node, mapping);
            return duet_dataframe_ref(node);
        }
        g_autoptr(DuetSchema) schema = duet_schema_new();
        GPtrArray *exprs = g_ptr_array_new_with_free_func((GDestroyNotify)duet_expr_unref);
        for (guint field = 0; field < n; field++) {
            /* at least one column, so that the rows still count */
            gboolean keep = required[field] || (kept == 0 && field == 0);
            mapping[field] = keep ? (gint)exprs->len : -1;
            if (!keep)
                continue;
            const DuetField *source = duet_schema_field(node->schema, field);
            g_autoptr(DuetExpr) column = duet_expr_column(source->name);
            DuetExpr *resolved = duet_expr_copy_node(column);
            resolved->column_index = (gint)field;
            resolved->type = duet_data_type_ref(source->type);
            resolved->nullable = source->nullable;
            g_ptr_array_add(exprs, resolved);
            duet_schema_add_field(schema, source->name, source->type, source->nullable);
        }
        DuetDataFrame *project = duet_dataframe_node_new(DUET_PLAN_PROJECT, schema, node);
        g_ptr_array_extend_and_steal(project->exprs, exprs);
        project->event_time_column = -1;
        return project;
    }
    case DUET_PLAN_FILTER: {
        guint n_child = duet_schema_n_fields(node->child->schema);
        gboolean *needed = g_new0(gboolean, MAX(n_child, 1));
        memcpy(needed, required, n * sizeof(gboolean));
        collect_columns(node->exprs->pdata[0], needed);
        g_autoptr(DuetDataFrame) child = narrow(node->child, needed, mapping);
        g_free(needed);
        if (child == node->child)
            return duet_dataframe_ref(node);
        return filter_new(child, remap(node->exprs->pdata[0], mapping, child->schema));
    }
    case DUET_PLAN_PROJECT: {
        guint n_child = duet_schema_n_fields(node->child->schema);
        gboolean *needed = g_new0(gboolean, MAX(n_child, 1));
        guint kept = 0;
        for (guint field = 0; field < n; field++)
            kept += required[field] ? 1 : 0;
        for (guint field = 0; field < n; field++) {
            gboolean keep = required[field] || (kept == 0 && field == 0);
            mapping[field] = keep ? (gint)(field == 0 ? 0 : -2) : -1;
            if (keep)
                collect_columns(node->exprs->pdata[field], needed);
        }
        gint *inner = g_new(gint, MAX(n_child, 1));
        g_autoptr(DuetDataFrame) child = narrow(node->child, needed, inner);
        g_free(needed);
        g_autoptr(DuetSchema) schema = duet_schema_new();
        GPtrArray *exprs = g_ptr_array_new_with_free_func((GDestroyNotify)duet_expr_unref);
        for (guint field = 0; field < n; field++) {
            if (mapping[field] == -1)
                continue;
            mapping[field] = (gint)exprs->len;
            const DuetField *output = duet_schema_field(node->schema, field);
            duet_schema_add_field(schema, output->name, output->type, output->nullable);
            g_ptr_array_add(exprs, remap(node->exprs->pdata[field], inner, child->schema));
        }
        g_free(inner);
        if (exprs->len == n && child == node->child) {
            g_ptr_array_unref(exprs);
            return duet_dataframe_ref(node);
        }
        DuetDataFrame *project = project_new(child, exprs, schema, node);
        project->event_time_column =
            node->event_time_column >= 0 ? mapping[node->event_time_column] : -1;
        if (project->event_time_column < 0)
            project->event_time_is_window = FALSE;
        return project;
    }
    default:
        if (!known_kind(node->kind)) {
            identity_mapping(node, mapping);
            return duet_dataframe_ref(node);
        }
        return narrow_barrier(node, mapping);
    }
}

DuetDataFrame *
duet_optimize(DuetDataFrame *plan)
{
    g_return_val_if_fail(plan != NULL, NULL);
    g_autoptr(DuetDataFrame) rewritten = rewrite(plan, TRUE);
    guint n = duet_schema_n_fields(rewritten->schema);
    gboolean *all = g_new(gboolean, MAX(n, 1));
    gint *mapping = g_new(gint, MAX(n, 1));
    for (guint field = 0; field < n; field++)
        all[field] = TRUE;
    g_autoptr(DuetDataFrame) pruned = narrow(rewritten, all, mapping);
    g_free(all);
    g_free(mapping);
    /* the projections pruning inserted merge into those above them; filters stay put */
    return rewrite(pruned, FALSE);
}

DuetDataFrame *
duet_dataframe_optimized(DuetDataFrame *frame)
{
    return duet_optimize(frame);
}

DuetDataFrame *
duet_optimize_for(DuetContext *context, DuetDataFrame *plan)
{
    g_autofree char *enabled = duet_context_get_conf(context, "duet.sql.optimizer.enabled");
    if (enabled != NULL && g_ascii_strcasecmp(enabled, "false") == 0)
        return duet_dataframe_ref(plan);
    return duet_optimize(plan);
}
