/* dstream_functions.c — the registry of the named functions of functions.md.
 *
 * Layer: compat/. Each function works on whatever element schema the case gives it (an Int
 * or a Long, a String, a pair) the way the Scala/Java/Python lambda would, and declares the
 * schema it produces. Functions that must fail call duet_task_fail with the suite's message.
 * The functions live by family (dstream_functions_element.c, dstream_functions_rdd_state.c);
 * this file looks them up by name and holds the helpers they share.
 */
#include "compat/dstream_functions_private.h"

/* ---- schema helpers ---------------------------------------------------------------------- */

DuetSchema *
df_single(DuetTypeId id)
{
    DuetSchema *schema = duet_schema_new();
    duet_schema_add_field(schema, "value", duet_data_type_new_scalar(id), TRUE);
    return schema;
}

DuetSchema *
df_pair_of(DuetDataType *key, DuetDataType *value)
{
    DuetSchema *schema = duet_schema_new();
    duet_schema_add_field(schema, "_1", key, TRUE);
    duet_schema_add_field(schema, "_2", value, TRUE);
    return schema;
}

DuetSchema *
df_schema_string(DuetSchema *input)
{
    return df_single(DUET_TYPE_STRING);
}

DuetSchema *
df_schema_second(DuetSchema *input)
{
    DuetSchema *schema = duet_schema_new();
    duet_schema_add_field(schema, "value", duet_schema_field(input, 1)->type, TRUE);
    return schema;
}

/* ---- value helpers ----------------------------------------------------------------------- */

gint64
df_int_of(const DuetValue *value)
{
    gint64 result = 0;
    duet_value_as_int64(value, &result);
    return result;
}

/* Appends an integer to a column of int or bigint. */
void
df_append_int(DuetColumnBuilder *builder, gint64 value)
{
    if (duet_data_type_id(duet_column_builder_type(builder)) == DUET_TYPE_INT64)
        duet_column_builder_append_int64(builder, value);
    else
        duet_column_builder_append_int32(builder, (gint32)value);
}

void
df_append_string(DuetColumnBuilder *builder, const char *data, gsize len)
{
    duet_column_builder_append_string(builder, data, (gssize)len);
}

/* ---- the registry ------------------------------------------------------------------------ */

/* Searched in this order, the first entry of a name wins. */
static const DfFamily *const families[] = {&df_element_family, &df_rdd_state_family};

const DuetNamedFunction *
duet_named_function(const char *name)
{
    for (gsize family = 0; family < G_N_ELEMENTS(families); family++) {
        for (gsize entry = 0; entry < families[family]->n_functions; entry++) {
            if (g_str_equal(families[family]->functions[entry].name, name))
                return &families[family]->functions[entry];
        }
    }
    return NULL;
}

DuetDataType *
duet_named_value_type(const DuetNamedFunction *function, DuetSchema *input)
{
    g_autoptr(DuetSchema) schema = function->schema(input);
    return duet_data_type_ref(duet_schema_field(schema, 0)->type);
}
