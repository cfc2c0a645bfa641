/* agg_function.c — Spark's aggregate functions as mergeable buffers.
 *
 * Layer: structured/. An aggregate (count, sum, avg, min, max, first, last, collect_list,
 * collect_set, approx_count_distinct) keeps one buffer per group. Buffers are updated from
 * input rows on the map side, written as bytes through the shuffle, merged into the state on
 * the reduce side, and finished into Spark's result type: count is bigint and never null;
 * sum of integers is bigint and of doubles double, null with no non-null input; avg is double;
 * min/max/first/last keep the input type; collect_list/collect_set give arrays.
 */
#include "structured/internal.h"

#include <math.h>
#include <string.h>

static const struct {
    const char *name;
    DuetAggKind kind;
} aggregates[] = {
    {"count", DUET_AGG_COUNT},
    {"sum", DUET_AGG_SUM},
    {"avg", DUET_AGG_AVG},
    {"mean", DUET_AGG_AVG},
    {"min", DUET_AGG_MIN},
    {"max", DUET_AGG_MAX},
    {"first", DUET_AGG_FIRST},
    {"first_value", DUET_AGG_FIRST},
    {"last", DUET_AGG_LAST},
    {"last_value", DUET_AGG_LAST},
    {"collect_list", DUET_AGG_COLLECT_LIST},
    {"collect_set", DUET_AGG_COLLECT_SET},
    {"approx_count_distinct", DUET_AGG_APPROX_COUNT_DISTINCT},
    {"stddev", DUET_AGG_STDDEV_SAMP},
    {"std", DUET_AGG_STDDEV_SAMP},
    {"stddev_samp", DUET_AGG_STDDEV_SAMP},
    {"stddev_pop", DUET_AGG_STDDEV_POP},
    {"variance", DUET_AGG_VAR_SAMP},
    {"var_samp", DUET_AGG_VAR_SAMP},
    {"var_pop", DUET_AGG_VAR_POP},
    {"median", DUET_AGG_MEDIAN},
};

gboolean
duet_agg_is_function(const char *name)
{
    for (guint index = 0; index < G_N_ELEMENTS(aggregates); index++)
        if (g_ascii_strcasecmp(aggregates[index].name, name) == 0)
            return TRUE;
    return duet_udaf_lookup(name) != NULL;
}

gboolean
duet_expr_contains_aggregate(const DuetExpr *expr)
{
    if (expr->kind == DUET_EXPR_FUNCTION && duet_agg_is_function(expr->name))
        return TRUE;
    for (guint child = 0; child < expr->n_children; child++)
        if (duet_expr_contains_aggregate(expr->children[child]))
            return TRUE;
    return FALSE;
}

void
duet_agg_spec_free(DuetAggSpec *spec)
{
    if (spec == NULL)
        return;
    if (spec->input)
        duet_expr_unref(spec->input);
    if (spec->result_type)
        duet_data_type_unref(spec->result_type);
    g_free(spec->name);
    g_free(spec);
}

static gboolean sql_error(GError **error, const char *format, ...) G_GNUC_PRINTF(2, 3);

static gboolean
sql_error(GError **error, const char *format, ...)
{
    va_list args;
    va_start(args, format);
    char *message = g_strdup_vprintf(format, args);
    va_end(args);
    g_set_error_literal(error, DUET_SQL_ERROR, DUET_SQL_ERROR_ANALYSIS, message);
    g_free(message);
    return FALSE;
}

DuetAggSpec *
duet_agg_spec_new(DuetExpr *expr, DuetSchema *schema, GError **error)
{
    const char *alias = NULL;
    DuetExpr *call = expr;
    if (call->kind == DUET_EXPR_ALIAS) {
        alias = call->name;
        call = call->children[0];
    }
    g_autofree char *text = duet_expr_name(call);
    if (call->kind != DUET_EXPR_FUNCTION || !duet_agg_is_function(call->name)) {
        if (duet_expr_contains_aggregate(call))
            sql_error(error,
                      "duet: the aggregate expression \"%s\" computes over an aggregate's "
                      "result; only a single aggregate function call (optionally aliased) is "
                      "supported in agg()",
                      text);
        else
            sql_error(error,
                      "[MISSING_AGGREGATION] The non-aggregating expression \"%s\" is based on "
                      "columns which are not participating in the GROUP BY clause.",
                      text);
        return NULL;
    }
    DuetAggSpec *spec = g_new0(DuetAggSpec, 1);
    spec->kind = DUET_AGG_USER;
    for (guint index = 0; index < G_N_ELEMENTS(aggregates); index++)
        if (g_ascii_strcasecmp(aggregates[index].name, call->name) == 0)
            spec->kind = aggregates[index].kind;
    if (spec->kind == DUET_AGG_USER)
        spec->user = duet_udaf_lookup(call->name);
    const char *canonical = spec->kind == DUET_AGG_AVG ? "avg" : call->name;
    gboolean star = call->n_children == 1 && call->children[0]->kind == DUET_EXPR_COLUMN &&
                    g_str_equal(call->children[0]->name, "*");
    if (call->n_children != 1) {
        duet_agg_spec_free(spec);
        sql_error(error,
                  "[WRONG_NUM_ARGS.WITHOUT_SUGGESTION] The `%s` requires 1 parameters but the "
                  "actual number is %u.",
                  call->name, call->n_children);
        return NULL;
    }
    if (star || (spec->kind == DUET_AGG_COUNT && call->children[0]->kind == DUET_EXPR_LITERAL &&
                 !call->children[0]->literal.is_null)) {
        if (spec->kind != DUET_AGG_COUNT) {
            duet_agg_spec_free(spec);
            sql_error(error, "[INVALID_USAGE_OF_STAR_OR_REGEX] Invalid usage of '*' in %s.",
                      call->name);
            return NULL;
        }
        spec->kind = DUET_AGG_COUNT_ROWS;
        spec->name = g_strdup(alias ? alias : "count(1)");
        spec->result_type = duet_data_type_new_scalar(DUET_TYPE_INT64);
        return spec;
    }
    spec->input = duet_expr_resolve(call->children[0], schema, error);
    if (spec->input == NULL) {
        duet_agg_spec_free(spec);
        return NULL;
    }
    g_autofree char *argument = duet_expr_name(spec->input);
    spec->name = g_strdup(alias ? alias : NULL);
    if (spec->name == NULL)
        spec->name = g_strdup_printf("%s(%s)", canonical, argument);
    DuetDataType *input_type = duet_expr_type(spec->input);
    spec->input_type = duet_data_type_id(input_type);
    gboolean numeric = duet_data_type_is_numeric(input_type) || spec->input_type == DUET_TYPE_NULL;
    gboolean nested = spec->input_type == DUET_TYPE_STRUCT || spec->input_type == DUET_TYPE_ARRAY ||
                      spec->input_type == DUET_TYPE_MAP;
    switch (spec->kind) {
    case DUET_AGG_COUNT:
    case DUET_AGG_APPROX_COUNT_DISTINCT:
        spec->result_type = duet_data_type_new_scalar(DUET_TYPE_INT64);
        break;
    case DUET_AGG_USER:
        spec->result_type = duet_data_type_new_scalar(spec->user->aggregator->result_type);
        break;
    case DUET_AGG_SUM:
    case DUET_AGG_AVG:
    case DUET_AGG_STDDEV_SAMP:
    case DUET_AGG_STDDEV_POP:
    case DUET_AGG_VAR_SAMP:
    case DUET_AGG_VAR_POP:
    case DUET_AGG_MEDIAN:
        if (!numeric && spec->input_type != DUET_TYPE_STRING) {
            g_autofree char *type = duet_data_type_to_string(input_type);
            g_autofree char *upper = g_ascii_strup(type, -1);
            duet_agg_spec_free(spec);
            sql_error(error,
                      "[DATATYPE_MISMATCH.UNEXPECTED_INPUT_TYPE] Cannot resolve \"%s(%s)\" due "
                      "to data type mismatch: The first parameter requires the \"NUMERIC\" or "
                      "\"ANSI INTERVAL\" type, however \"%s\" has the type \"%s\".",
                      canonical, argument, argument, upper);
            return NULL;
        }
        spec->result_type = duet_data_type_new_scalar(
            spec->kind == DUET_AGG_SUM &&
                    (spec->input_type == DUET_TYPE_INT32 || spec->input_type == DUET_TYPE_INT64)
                ? DUET_TYPE_INT64
                : DUET_TYPE_DOUBLE);
        break;
    case DUET_AGG_MIN:
    case DUET_AGG_MAX:
    case DUET_AGG_FIRST:
    case DUET_AGG_LAST:
        spec->result_type = duet_data_type_ref(input_type);
        break;
    case DUET_AGG_COLLECT_LIST:
    case DUET_AGG_COLLECT_SET:
        spec->result_type = duet_data_type_new_array(input_type, FALSE);
        break;
    case DUET_AGG_COUNT_ROWS:
        break;
    }
    if (nested && spec->kind != DUET_AGG_COUNT) {
        g_autofree char *type = duet_data_type_to_string(input_type);
        duet_agg_spec_free(spec);
        sql_error(error,
                  "duet: %s over a %s column is not supported (only scalar inputs are "
                  "aggregated)",
                  canonical, type);
        return NULL;
    }
    return spec;
}

/* ---- buffers ----------------------------------------------------------------------------- */

void
duet_agg_buffer_init(DuetAggBuffer *buffer)
{
    memset(buffer, 0, sizeof *buffer);
}

void
duet_agg_buffer_clear(DuetAggBuffer *buffer)
{
    if (buffer->bytes)
        g_byte_array_unref(buffer->bytes);
    memset(buffer, 0, sizeof *buffer);
}

/* Keeps a copy of value (strings copied into the buffer's bytes). */
static void
hold(DuetAggBuffer *buffer, const DuetValue *value)
{
    buffer->has = TRUE;
    buffer->value = *value;
    if (!value->is_null && (value->type == DUET_TYPE_STRING || value->type == DUET_TYPE_BINARY)) {
        if (buffer->bytes == NULL)
            buffer->bytes = g_byte_array_new();
        g_byte_array_set_size(buffer->bytes, 0);
        g_byte_array_append(buffer->bytes, (const guint8 *)value->v.str.data,
                            (guint)value->v.str.len);
        buffer->value.v.str.data = (const char *)buffer->bytes->data;
    }
}

/* A value as double, strings cast as Spark casts them implicitly; FALSE for null and for a
 * string that does not parse (Spark's null), which the numeric aggregates skip. */
static gboolean
as_double(const DuetValue *value, gdouble *x)
{
    if (value->is_null)
        return FALSE;
    if (value->type == DUET_TYPE_STRING)
        return duet_expr_parse_double(value->v.str.data, value->v.str.len, x);
    *x = 0;
    duet_value_as_double(value, x);
    return TRUE;
}

/* Whether the length-prefixed elements of bytes before end hold element already. A linear
 * scan: collect_set and approx_count_distinct cost O(distinct values) per row. */
static gboolean
held_before(const GByteArray *bytes, guint end, const guint8 *element, gsize len)
{
    if (end == 0)
        return FALSE;
    for (const guint8 *at = bytes->data; at < bytes->data + end;) {
        guint32 length;
        memcpy(&length, at, 4);
        if (length == len && memcmp(at + 4, element, len) == 0)
            return TRUE;
        at += 4 + length;
    }
    return FALSE;
}

/* Adds one encoded element to a collect_list/collect_set/approx_count_distinct/median buffer:
 * its elements, each a 4-byte length and the row codec's encoding, in buffer->bytes. */
static void
collect(DuetAggBuffer *buffer, const guint8 *element, gsize len, gboolean distinct)
{
    if (buffer->bytes == NULL)
        buffer->bytes = g_byte_array_new();
    if (distinct && held_before(buffer->bytes, buffer->bytes->len, element, len))
        return;
    guint32 length = (guint32)len;
    g_byte_array_append(buffer->bytes, (const guint8 *)&length, 4);
    g_byte_array_append(buffer->bytes, element, (guint)len);
    buffer->count++;
}

/* collect() of one value, encoded straight into the buffer (no copy per row). */
static void
collect_value(DuetAggBuffer *buffer, const DuetValue *value, gboolean distinct)
{
    if (buffer->bytes == NULL)
        buffer->bytes = g_byte_array_new();
    GByteArray *bytes = buffer->bytes;
    guint start = bytes->len;
    guint32 length = 0;
    g_byte_array_append(bytes, (const guint8 *)&length, 4);
    duet_row_codec_append_value(bytes, value);
    length = bytes->len - start - 4;
    memcpy(bytes->data + start, &length, 4);
    if (distinct && held_before(bytes, start, bytes->data + start + 4, length)) {
        g_byte_array_set_size(bytes, start);
        return;
    }
    buffer->count++;
}

static void
accumulate(const DuetAggSpec *spec, DuetAggBuffer *buffer, const DuetValue *value)
{
    switch (spec->kind) {
    case DUET_AGG_COUNT_ROWS:
        buffer->count++;
        return;
    case DUET_AGG_COUNT:
        if (!value->is_null)
            buffer->count++;
        return;
    case DUET_AGG_SUM:
        if (value->is_null)
            return;
        if (spec->result_type && duet_data_type_id(spec->result_type) == DUET_TYPE_INT64) {
            gint64 x = 0;
            duet_value_as_int64(value, &x);
            buffer->value = duet_value_int64(
                (gint64)((guint64)(buffer->has ? buffer->value.v.i64 : 0) + (guint64)x));
        } else {
            gdouble x;
            if (!as_double(value, &x))
                return;
            buffer->value = duet_value_double((buffer->has ? buffer->value.v.f64 : 0) + x);
        }
        buffer->has = TRUE;
        return;
    case DUET_AGG_AVG: {
        gdouble x;
        if (!as_double(value, &x))
            return;
        buffer->sum += x;
        buffer->count++;
        return;
    }
    case DUET_AGG_STDDEV_SAMP:
    case DUET_AGG_STDDEV_POP:
    case DUET_AGG_VAR_SAMP:
    case DUET_AGG_VAR_POP: {
        /* Welford's update of the mean and the squared deviations */
        gdouble x;
        if (!as_double(value, &x))
            return;
        buffer->count++;
        gdouble delta = x - buffer->sum;
        buffer->sum += delta / (gdouble)buffer->count;
        buffer->m2 += delta * (x - buffer->sum);
        return;
    }
    case DUET_AGG_MEDIAN: {
        gdouble x;
        if (!as_double(value, &x))
            return;
        DuetValue real = duet_value_double(x);
        collect_value(buffer, &real, FALSE);
        return;
    }
    case DUET_AGG_USER: {
        const DuetUdaf *user = spec->user;
        DuetValue current = buffer->value;
        if (!buffer->has)
            user->aggregator->zero(&current, user->user_data);
        user->aggregator->reduce(&current, value, user->user_data);
        hold(buffer, &current);
        return;
    }
    case DUET_AGG_MIN:
    case DUET_AGG_MAX: {
        if (value->is_null)
            return;
        int order = buffer->has ? duet_value_compare(value, &buffer->value) : 0;
        if (!buffer->has || (spec->kind == DUET_AGG_MIN ? order < 0 : order > 0))
            hold(buffer, value);
        return;
    }
    case DUET_AGG_FIRST:
        if (!buffer->has)
            hold(buffer, value);
        return;
    case DUET_AGG_LAST:
        hold(buffer, value);
        return;
    case DUET_AGG_COLLECT_LIST:
    case DUET_AGG_COLLECT_SET:
    case DUET_AGG_APPROX_COUNT_DISTINCT: {
        if (value->is_null)
            return; /* Spark's collect functions skip nulls */
        collect_value(buffer, value, spec->kind != DUET_AGG_COLLECT_LIST);
        return;
    }
    }
}

void
duet_agg_buffer_update(const DuetAggSpec *spec, DuetAggBuffer *buffer, const DuetColumn *input,
                       gsize row)
{
    DuetValue value = duet_value_null();
    if (input != NULL)
        duet_column_get_value(input, row, &value);
    accumulate(spec, buffer, &value);
}

void
duet_agg_buffer_merge(const DuetAggSpec *spec, DuetAggBuffer *buffer, const DuetAggBuffer *other)
{
    switch (spec->kind) {
    case DUET_AGG_COUNT_ROWS:
    case DUET_AGG_COUNT:
        buffer->count += other->count;
        return;
    case DUET_AGG_AVG:
        buffer->count += other->count;
        buffer->sum += other->sum;
        return;
    case DUET_AGG_STDDEV_SAMP:
    case DUET_AGG_STDDEV_POP:
    case DUET_AGG_VAR_SAMP:
    case DUET_AGG_VAR_POP: {
        if (other->count == 0)
            return;
        /* Chan et al.'s merge of two (count, mean, M2) */
        gdouble n = (gdouble)(buffer->count + other->count);
        gdouble delta = other->sum - buffer->sum;
        buffer->m2 +=
            other->m2 + delta * delta * (gdouble)buffer->count * (gdouble)other->count / n;
        buffer->sum += delta * (gdouble)other->count / n;
        buffer->count += other->count;
        return;
    }
    case DUET_AGG_USER: {
        if (!other->has)
            return;
        if (!buffer->has) {
            hold(buffer, &other->value);
            return;
        }
        DuetValue current = buffer->value;
        spec->user->aggregator->merge(&current, &other->value, spec->user->user_data);
        hold(buffer, &current);
        return;
    }
    case DUET_AGG_SUM:
    case DUET_AGG_MIN:
    case DUET_AGG_MAX:
        if (other->has)
            accumulate(spec, buffer, &other->value);
        return;
    case DUET_AGG_FIRST:
        if (!buffer->has && other->has)
            hold(buffer, &other->value);
        return;
    case DUET_AGG_LAST:
        if (other->has)
            hold(buffer, &other->value);
        return;
    case DUET_AGG_COLLECT_LIST:
    case DUET_AGG_COLLECT_SET:
    case DUET_AGG_APPROX_COUNT_DISTINCT:
    case DUET_AGG_MEDIAN: {
        if (other->bytes == NULL)
            return;
        const guint8 *at = other->bytes->data, *end = at + other->bytes->len;
        while (at < end) {
            guint32 length;
            memcpy(&length, at, 4);
            collect(buffer, at + 4, length,
                    spec->kind != DUET_AGG_COLLECT_LIST && spec->kind != DUET_AGG_MEDIAN);
            at += 4 + length;
        }
        return;
    }
    }
}

void
duet_agg_buffer_write(const DuetAggSpec *spec, const DuetAggBuffer *buffer, GByteArray *out)
{
    duet_row_codec_put_i64(out, buffer->count);
    guint8 has = buffer->has;
    g_byte_array_append(out, &has, 1);
    switch (spec->kind) {
    case DUET_AGG_AVG:
        g_byte_array_append(out, (const guint8 *)&buffer->sum, 8);
        return;
    case DUET_AGG_STDDEV_SAMP:
    case DUET_AGG_STDDEV_POP:
    case DUET_AGG_VAR_SAMP:
    case DUET_AGG_VAR_POP:
        g_byte_array_append(out, (const guint8 *)&buffer->sum, 8);
        g_byte_array_append(out, (const guint8 *)&buffer->m2, 8);
        return;
    case DUET_AGG_SUM:
    case DUET_AGG_MIN:
    case DUET_AGG_MAX:
    case DUET_AGG_FIRST:
    case DUET_AGG_LAST:
    case DUET_AGG_USER:
        if (buffer->has)
            duet_row_codec_append_value(out, &buffer->value);
        return;
    case DUET_AGG_COLLECT_LIST:
    case DUET_AGG_COLLECT_SET:
    case DUET_AGG_APPROX_COUNT_DISTINCT:
    case DUET_AGG_MEDIAN: {
        guint32 len = buffer->bytes ? buffer->bytes->len : 0;
        g_byte_array_append(out, (const guint8 *)&len, 4);
        if (len)
            g_byte_array_append(out, buffer->bytes->data, len);
        return;
    }
    default:
        return;
    }
}

gboolean
duet_agg_buffer_read(const DuetAggSpec *spec, DuetAggBuffer *buffer, DuetByteReader *reader)
{
    duet_agg_buffer_init(buffer);
    if (reader->end - reader->at < 9) {
        reader->damaged = TRUE;
        return FALSE;
    }
    buffer->count = duet_row_codec_get_i64(reader->at);
    gboolean has = reader->at[8] != 0;
    reader->at += 9;
    switch (spec->kind) {
    case DUET_AGG_AVG:
        if (reader->end - reader->at < 8) {
            reader->damaged = TRUE;
            return FALSE;
        }
        memcpy(&buffer->sum, reader->at, 8);
        reader->at += 8;
        return TRUE;
    case DUET_AGG_STDDEV_SAMP:
    case DUET_AGG_STDDEV_POP:
    case DUET_AGG_VAR_SAMP:
    case DUET_AGG_VAR_POP:
        if (reader->end - reader->at < 16) {
            reader->damaged = TRUE;
            return FALSE;
        }
        memcpy(&buffer->sum, reader->at, 8);
        memcpy(&buffer->m2, reader->at + 8, 8);
        reader->at += 16;
        return TRUE;
    case DUET_AGG_SUM:
    case DUET_AGG_MIN:
    case DUET_AGG_MAX:
    case DUET_AGG_FIRST:
    case DUET_AGG_LAST:
    case DUET_AGG_USER: {
        if (!has)
            return TRUE;
        DuetTypeId type = spec->kind == DUET_AGG_SUM    ? duet_data_type_id(spec->result_type)
                          : spec->kind == DUET_AGG_USER ? spec->user->aggregator->buffer_type
                                                        : spec->input_type;
        DuetValue value;
        if (!duet_row_codec_read_value(reader, type, &value))
            return FALSE;
        hold(buffer, &value);
        return TRUE;
    }
    case DUET_AGG_COLLECT_LIST:
    case DUET_AGG_COLLECT_SET:
    case DUET_AGG_APPROX_COUNT_DISTINCT:
    case DUET_AGG_MEDIAN: {
        guint32 len;
        if (reader->end - reader->at < 4) {
            reader->damaged = TRUE;
            return FALSE;
        }
        memcpy(&len, reader->at, 4);
        reader->at += 4;
        if ((gsize)(reader->end - reader->at) < len) {
            reader->damaged = TRUE;
            return FALSE;
        }
        if (len) {
            buffer->bytes = g_byte_array_new();
            g_byte_array_append(buffer->bytes, reader->at, len);
        }
        reader->at += len;
        return TRUE;
    }
    default:
        buffer->has = has;
        return TRUE;
    }
}

static int
compare_doubles(gconstpointer a, gconstpointer b)
{
    gdouble x = *(const gdouble *)a, y = *(const gdouble *)b;
    return x < y ? -1 : x > y;
}

/* Spark's median = percentile(x, 0.5): the middle value, interpolated linearly between the
 * two middle values of an even count. */
static void
append_median(const DuetAggBuffer *buffer, DuetColumnBuilder *out)
{
    GArray *values = g_array_new(FALSE, FALSE, sizeof(gdouble));
    const guint8 *at = buffer->bytes ? buffer->bytes->data : NULL;
    const guint8 *end = at ? at + buffer->bytes->len : NULL;
    while (at && at < end) {
        guint32 length;
        memcpy(&length, at, 4);
        DuetByteReader reader = {at + 4, at + 4 + length, FALSE};
        DuetValue value;
        if (duet_row_codec_read_value(&reader, DUET_TYPE_DOUBLE, &value) && !value.is_null)
            g_array_append_val(values, value.v.f64);
        at += 4 + length;
    }
    if (values->len == 0) {
        duet_column_builder_append_null(out);
    } else {
        g_array_sort(values, compare_doubles);
        gdouble position = 0.5 * (values->len - 1);
        guint lower = (guint)floor(position), upper = (guint)ceil(position);
        gdouble low = g_array_index(values, gdouble, lower);
        gdouble high = g_array_index(values, gdouble, upper);
        duet_column_builder_append_double(out, low + (position - lower) * (high - low));
    }
    g_array_unref(values);
}

void
duet_agg_buffer_finish(const DuetAggSpec *spec, const DuetAggBuffer *buffer, DuetColumnBuilder *out)
{
    switch (spec->kind) {
    case DUET_AGG_COUNT_ROWS:
    case DUET_AGG_COUNT:
        duet_column_builder_append_int64(out, buffer->count);
        return;
    case DUET_AGG_APPROX_COUNT_DISTINCT:
        duet_column_builder_append_int64(out, buffer->count);
        return;
    case DUET_AGG_AVG:
        if (buffer->count == 0)
            duet_column_builder_append_null(out);
        else
            duet_column_builder_append_double(out, buffer->sum / (gdouble)buffer->count);
        return;
    case DUET_AGG_SUM:
    case DUET_AGG_MIN:
    case DUET_AGG_MAX:
    case DUET_AGG_FIRST:
    case DUET_AGG_LAST:
        if (!buffer->has || buffer->value.is_null)
            duet_column_builder_append_null(out);
        else
            duet_column_builder_append_value(out, &buffer->value);
        return;
    case DUET_AGG_COLLECT_LIST:
    case DUET_AGG_COLLECT_SET: {
        DuetColumnBuilder *elements = duet_column_builder_child(out, 0);
        if (buffer->bytes != NULL) {
            const guint8 *at = buffer->bytes->data, *end = at + buffer->bytes->len;
            while (at < end) {
                guint32 length;
                memcpy(&length, at, 4);
                DuetByteReader reader = {at + 4, at + 4 + length, FALSE};
                duet_row_codec_read_cell(&reader, elements);
                at += 4 + length;
            }
        }
        duet_column_builder_end_list(out);
        return;
    }
    case DUET_AGG_STDDEV_SAMP:
    case DUET_AGG_VAR_SAMP:
    case DUET_AGG_STDDEV_POP:
    case DUET_AGG_VAR_POP: {
        /* Spark 3: the sample statistics of one value are null (not NaN) */
        gboolean sample = spec->kind == DUET_AGG_STDDEV_SAMP || spec->kind == DUET_AGG_VAR_SAMP;
        if (buffer->count == 0 || (sample && buffer->count == 1)) {
            duet_column_builder_append_null(out);
            return;
        }
        gdouble variance = buffer->m2 / (gdouble)(buffer->count - (sample ? 1 : 0));
        gboolean root = spec->kind == DUET_AGG_STDDEV_SAMP || spec->kind == DUET_AGG_STDDEV_POP;
        duet_column_builder_append_double(out, root ? sqrt(variance) : variance);
        return;
    }
    case DUET_AGG_MEDIAN:
        append_median(buffer, out);
        return;
    case DUET_AGG_USER: {
        DuetValue current = buffer->value, result = duet_value_null();
        if (!buffer->has)
            spec->user->aggregator->zero(&current, spec->user->user_data);
        spec->user->aggregator->finish(&current, &result, spec->user->user_data);
        if (result.is_null)
            duet_column_builder_append_null(out);
        else
            duet_column_builder_append_value(out, &result);
        return;
    }
    }
}

gsize
duet_agg_fixed_width(const DuetAggSpec *spec)
{
    switch (spec->kind) {
    case DUET_AGG_COUNT_ROWS:
    case DUET_AGG_COUNT:
        return 9; /* count, has */
    case DUET_AGG_AVG:
        return 17; /* count, has, sum */
    default:
        return 0;
    }
}

void
duet_agg_merge_fixed(const DuetAggSpec *spec, guint8 *state, const guint8 *partial)
{
    gint64 a, b;
    memcpy(&a, state, 8);
    memcpy(&b, partial, 8);
    a = GINT64_TO_LE(GINT64_FROM_LE(a) + GINT64_FROM_LE(b));
    memcpy(state, &a, 8);
    if (spec->kind == DUET_AGG_AVG) {
        gdouble x, y;
        memcpy(&x, state + 9, 8);
        memcpy(&y, partial + 9, 8);
        x += y;
        memcpy(state + 9, &x, 8);
    }
}
