/* state_schema.c — the key and value schemas of each stateful operator's state, checked on
 * restart.
 *
 * Layer: structured/. Spark's StateSchemaCompatibilityChecker: the first run writes
 * checkpoint/state/<operator>/_metadata/schema; a restart compares the query's schemas with it
 * and refuses a change of field count, of a field's type, or of a nullable field to a
 * non-nullable one (field names may change), with Spark's message. The schemas are those of
 * Spark's operators: an aggregation keys its state by the grouping columns and keeps the
 * aggregate buffers (count: a LongType; avg: sum and count; ...); deduplication keys by the
 * columns and keeps nothing (dropDuplicatesWithinWatermark: the expiry time); a stream-stream
 * join keeps each side's rows by the join key (stores "left" and "right"); a global limit one
 * count; (flat)MapGroupsWithState the user's state and its timeout. Types print as Spark's
 * (StructType(StructField(value,StringType,true))). The file is a versioned file
 * (rdd/atomic_file.h, kind "state-schema"), one line per field:
 * "<store>\t<key|value>\t<name>\t<type>\t<nullable>", and one "<store>\tstore" line per store.
 */
#include "structured/internal.h"
#include "rdd/atomic_file.h"

#include <string.h>

#define SCHEMA_KIND    "state-schema"
#define SCHEMA_VERSION 1

typedef struct {
    char *name;
    char *type; /* Spark's DataType.toString */
    gboolean nullable;
} Field;

typedef struct {
    char *store;    /* "default", or a join side */
    GPtrArray *key; /* Field* */
    GPtrArray *value;
} Store;

static void
field_free(Field *field)
{
    g_free(field->name);
    g_free(field->type);
    g_free(field);
}

static void
store_free(Store *store)
{
    g_free(store->store);
    g_ptr_array_unref(store->key);
    g_ptr_array_unref(store->value);
    g_free(store);
}

static Store *
store_new(const char *name)
{
    Store *store = g_new0(Store, 1);
    store->store = g_strdup(name);
    store->key = g_ptr_array_new_with_free_func((GDestroyNotify)field_free);
    store->value = g_ptr_array_new_with_free_func((GDestroyNotify)field_free);
    return store;
}

static void
spark_type(GString *out, const DuetDataType *type)
{
    switch (duet_data_type_id(type)) {
    case DUET_TYPE_NULL:
        g_string_append(out, "NullType");
        return;
    case DUET_TYPE_BOOLEAN:
        g_string_append(out, "BooleanType");
        return;
    case DUET_TYPE_INT32:
        g_string_append(out, "IntegerType");
        return;
    case DUET_TYPE_INT64:
        g_string_append(out, "LongType");
        return;
    case DUET_TYPE_DOUBLE:
        g_string_append(out, "DoubleType");
        return;
    case DUET_TYPE_STRING:
        g_string_append(out, "StringType");
        return;
    case DUET_TYPE_BINARY:
        g_string_append(out, "BinaryType");
        return;
    case DUET_TYPE_TIMESTAMP:
        g_string_append(out, "TimestampType");
        return;
    case DUET_TYPE_DATE:
        g_string_append(out, "DateType");
        return;
    case DUET_TYPE_ARRAY:
        g_string_append(out, "ArrayType(");
        spark_type(out, duet_data_type_element(type));
        g_string_append_printf(out, ",%s)", duet_data_type_contains_null(type) ? "true" : "false");
        return;
    case DUET_TYPE_MAP:
        g_string_append(out, "MapType(");
        spark_type(out, duet_data_type_map_key(type));
        g_string_append_c(out, ',');
        spark_type(out, duet_data_type_map_value(type));
        g_string_append_printf(out, ",%s)", duet_data_type_contains_null(type) ? "true" : "false");
        return;
    case DUET_TYPE_STRUCT: {
        const DuetSchema *fields = duet_data_type_fields(type);
        g_string_append(out, "StructType(");
        for (guint index = 0; index < duet_schema_n_fields(fields); index++) {
            const DuetField *field = duet_schema_field(fields, index);
            g_string_append_printf(out, "%sStructField(%s,", index ? "," : "", field->name);
            spark_type(out, field->type);
            g_string_append_printf(out, ",%s)", field->nullable ? "true" : "false");
        }
        g_string_append_c(out, ')');
        return;
    }
    }
}

static void
add(GPtrArray *fields, const char *name, const char *type, gboolean nullable)
{
    Field *field = g_new0(Field, 1);
    field->name = g_strdup(name);
    field->type = g_strdup(type);
    field->nullable = nullable;
    g_ptr_array_add(fields, field);
}

static void
add_typed(GPtrArray *fields, const char *name, const DuetDataType *type, gboolean nullable)
{
    GString *text = g_string_new(NULL);
    spark_type(text, type);
    add(fields, name, text->str, nullable);
    g_string_free(text, TRUE);
}

static void
add_columns(GPtrArray *fields, const DuetSchema *schema, GArray *columns)
{
    for (guint index = 0; index < columns->len; index++) {
        const DuetField *field = duet_schema_field(schema, g_array_index(columns, guint, index));
        add_typed(fields, field->name, field->type, field->nullable);
    }
}

static void
add_all(GPtrArray *fields, const DuetSchema *schema)
{
    for (guint index = 0; index < duet_schema_n_fields(schema); index++) {
        const DuetField *field = duet_schema_field(schema, index);
        add_typed(fields, field->name, field->type, field->nullable);
    }
}

/* An aggregate's buffer attributes, as Spark's aggregate functions declare them. */
static void
add_buffer(GPtrArray *fields, const DuetAggSpec *spec)
{
    switch (spec->kind) {
    case DUET_AGG_COUNT_ROWS:
    case DUET_AGG_COUNT:
        add(fields, "count", "LongType", FALSE);
        return;
    case DUET_AGG_SUM:
        add_typed(fields, "sum", spec->result_type, TRUE);
        return;
    case DUET_AGG_AVG:
        add(fields, "sum", "DoubleType", TRUE);
        add(fields, "count", "LongType", TRUE);
        return;
    case DUET_AGG_MIN:
    case DUET_AGG_MAX:
        add_typed(fields, spec->kind == DUET_AGG_MIN ? "min" : "max", spec->result_type, TRUE);
        return;
    case DUET_AGG_FIRST:
    case DUET_AGG_LAST:
        add_typed(fields, spec->kind == DUET_AGG_FIRST ? "first" : "last", spec->result_type, TRUE);
        add(fields, "valueSet", "BooleanType", FALSE);
        return;
    case DUET_AGG_STDDEV_SAMP:
    case DUET_AGG_STDDEV_POP:
    case DUET_AGG_VAR_SAMP:
    case DUET_AGG_VAR_POP:
        add(fields, "n", "DoubleType", FALSE);
        add(fields, "avg", "DoubleType", FALSE);
        add(fields, "m2", "DoubleType", FALSE);
        return;
    case DUET_AGG_COLLECT_LIST:
    case DUET_AGG_COLLECT_SET:
    case DUET_AGG_APPROX_COUNT_DISTINCT:
    case DUET_AGG_MEDIAN:
    case DUET_AGG_USER:
        /* Spark's TypedImperativeAggregates keep a serialized buffer */
        add(fields, "buf", "BinaryType", FALSE);
        return;
    }
}

/* The stores of operator node, with their schemas; *operator gets Spark's operator name.
 * (transfer full) */
static GPtrArray *
query_schemas(DuetDataFrame *node, const char **operator)
{
    GPtrArray *stores = g_ptr_array_new_with_free_func((GDestroyNotify)store_free);
    Store *store = store_new("default");
    switch (node->kind) {
    case DUET_PLAN_AGGREGATE:
        *operator= node->session_key >= 0 ? "SessionWindowStateStoreSaveExec"
                                          : "StateStoreSaveExec";
        for (guint index = 0; index < node->exprs->len; index++) {
            const DuetField *field = duet_schema_field(node->schema, index);
            add_typed(store->key, field->name, field->type, field->nullable);
        }
        for (guint index = 0; index < node->aggs->len; index++)
            add_buffer(store->value, node->aggs->pdata[index]);
        break;
    case DUET_PLAN_DEDUP:
        *operator= node->within_watermark ? "StreamingDeduplicateWithinWatermarkExec"
                                          : "StreamingDeduplicateExec";
        add_columns(store->key, node->child->schema, node->columns);
        if (node->within_watermark)
            add(store->value, "expiresAtMicros", "LongType", FALSE);
        else
            add(store->value, "__dummy__", "NullType", TRUE);
        break;
    case DUET_PLAN_LIMIT:
        *operator= "StreamingGlobalLimitExec";
        add(store->key, "key", "NullType", TRUE);
        add(store->value, "value", "LongType", FALSE);
        break;
    case DUET_PLAN_GROUP_STATE:
        *operator= "FlatMapGroupsWithStateExec";
        add_columns(store->key, node->child->schema, node->columns);
        add_typed(store->value, "groupState", duet_group_state_state_type(node), TRUE);
        add(store->value, "timeoutTimestamp", "LongType", FALSE);
        break;
    case DUET_PLAN_JOIN: {
        *operator= "StreamingSymmetricHashJoinExec";
        store_free(store);
        store = store_new("left");
        add_columns(store->key, node->child->schema, node->left_keys);
        add_all(store->value, node->child->schema);
        g_ptr_array_add(stores, store);
        store = store_new("right");
        add_columns(store->key, node->right->schema, node->right_keys);
        add_all(store->value, node->right->schema);
        break;
    }
    default:
        *operator= "stateful operator";
        break;
    }
    g_ptr_array_add(stores, store);
    return stores;
}

static char *
struct_string(GPtrArray *fields)
{
    GString *out = g_string_new("StructType(");
    for (guint index = 0; index < fields->len; index++) {
        const Field *field = fields->pdata[index];
        g_string_append_printf(out, "%sStructField(%s,%s,%s)", index ? "," : "", field->name,
                               field->type, field->nullable ? "true" : "false");
    }
    g_string_append_c(out, ')');
    return g_string_free(out, FALSE);
}

static GString *
serialize(GPtrArray *stores)
{
    GString *out = g_string_new(NULL);
    for (guint index = 0; index < stores->len; index++) {
        const Store *store = stores->pdata[index];
        g_string_append_printf(out, "%s\tstore\n", store->store);
        for (guint part = 0; part < 2; part++) {
            GPtrArray *fields = part ? store->value : store->key;
            for (guint at = 0; at < fields->len; at++) {
                const Field *field = fields->pdata[at];
                g_autofree char *name = g_strescape(field->name, NULL);
                g_string_append_printf(out, "%s\t%s\t%s\t%s\t%s\n", store->store,
                                       part ? "value" : "key", name, field->type,
                                       field->nullable ? "true" : "false");
            }
        }
    }
    return out;
}

/* (transfer full), NULL with error on a damaged file. */
static GPtrArray *
parse(const char *path, GBytes *bytes, GError **error)
{
    gsize len = 0;
    const char *data = g_bytes_get_data(bytes, &len);
    g_autofree char *text = g_strndup(data, len);
    g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
    GPtrArray *stores = g_ptr_array_new_with_free_func((GDestroyNotify)store_free);
    for (guint index = 0; lines[index] != NULL; index++) {
        if (lines[index][0] == '\0')
            continue;
        g_auto(GStrv) cells = g_strsplit(lines[index], "\t", -1);
        guint n = g_strv_length(cells);
        Store *last = stores->len ? stores->pdata[stores->len - 1] : NULL;
        if (n == 2 && g_str_equal(cells[1], "store")) {
            g_ptr_array_add(stores, store_new(cells[0]));
        } else if (n == 5 && last && g_str_equal(cells[0], last->store) &&
                   (g_str_equal(cells[1], "key") || g_str_equal(cells[1], "value"))) {
            g_autofree char *name = g_strcompress(cells[2]);
            add(g_str_equal(cells[1], "key") ? last->key : last->value, name, cells[3],
                g_str_equal(cells[4], "true"));
        } else {
            g_set_error(error, DUET_FILE_ERROR, DUET_FILE_ERROR_CORRUPT,
                        "checkpoint file %s: line %u is not a state schema line (the file is "
                        "damaged)",
                        path, index + 1);
            g_ptr_array_unref(stores);
            return NULL;
        }
    }
    return stores;
}

/* Spark's schemasCompatible: as many fields, the same types, no nullable field becoming
 * non-nullable. */
static gboolean
compatible(GPtrArray *stored, GPtrArray *provided)
{
    if (stored->len != provided->len)
        return FALSE;
    for (guint index = 0; index < stored->len; index++) {
        const Field *old = stored->pdata[index], *new = provided->pdata[index];
        if (!g_str_equal(old->type, new->type) || (old->nullable && !new->nullable))
            return FALSE;
    }
    return TRUE;
}

gboolean
duet_state_schema_check(const char *checkpoint, guint id, DuetDataFrame *node, gboolean check,
                        GError **error)
{
    g_autofree char *name = g_strdup_printf("%u", id);
    g_autofree char *path =
        g_build_filename(checkpoint, "state", name, "_metadata", "schema", NULL);
    const char *operator= NULL;
    g_autoptr(GPtrArray) provided = query_schemas(node, &operator);
    g_autoptr(GString) text = serialize(provided);
    if (!g_file_test(path, G_FILE_TEST_EXISTS))
        return duet_versioned_file_write(path, SCHEMA_KIND, SCHEMA_VERSION, text->str, text->len,
                                         error);
    if (!check)
        return TRUE;
    g_autoptr(GBytes) bytes =
        duet_checkpoint_read_versioned(path, SCHEMA_KIND, SCHEMA_VERSION, NULL, error);
    g_autoptr(GPtrArray) stored = bytes ? parse(path, bytes, error) : NULL;
    if (stored == NULL)
        return FALSE;
    gboolean same = g_bytes_get_size(bytes) == text->len &&
                    memcmp(g_bytes_get_data(bytes, NULL), text->str, text->len) == 0;
    if (same)
        return TRUE;
    for (guint index = 0; index < MAX(stored->len, provided->len); index++) {
        Store *old = index < stored->len ? stored->pdata[index] : NULL;
        Store *new = index < provided->len ? provided->pdata[index] : NULL;
        if (old && new &&g_str_equal(old->store, new->store) && compatible(old->key, new->key) &&
            compatible(old->value, new->value))
            continue;
        g_autofree char *new_key = new ? struct_string(new->key) : g_strdup("(none)");
        g_autofree char *new_value = new ? struct_string(new->value) : g_strdup("(none)");
        g_autofree char *old_key = old ? struct_string(old->key) : g_strdup("(none)");
        g_autofree char *old_value = old ? struct_string(old->value) : g_strdup("(none)");
        g_autofree char *store = g_strdup_printf(", store %s", (new ? new : old)->store);
        g_set_error(error, DUET_SQL_ERROR, DUET_SQL_ERROR_ANALYSIS,
                    "state of stateful operator %u (%s%s; checkpoint file %s): Provided schema "
                    "doesn't match to the schema for existing state! Please note that Spark "
                    "allow difference of field name: check count of fields and data type of "
                    "each field.\n- Provided key schema: %s\n- Provided value schema: %s\n"
                    "- Existing key schema: %s\n- Existing value schema: %s\nIf you want to "
                    "force running query without schema validation, please set "
                    "spark.sql.streaming.stateStore.stateSchemaCheck to false.\nPlease note "
                    "running query with incompatible schema could cause indeterministic "
                    "behavior.",
                    id, operator, provided->len> 1 || stored->len> 1 ? store : "", path, new_key,
                    new_value, old_key, old_value);
        return FALSE;
    }
    /* compatible, not equal (a renamed field, a column that became nullable): Spark keeps
     * the new schema */
    return duet_versioned_file_write(path, SCHEMA_KIND, SCHEMA_VERSION, text->str, text->len,
                                     error);
}
