/* sql_table.c — the options and SQL text shared by the SQLite and PostgreSQL sinks.
 *
 * Layer: sinks/. Includes rdd/ and sinks/. Both databases take the same standard SQL here:
 * double-quoted identifiers, CREATE TABLE IF NOT EXISTS, and INSERT ... ON CONFLICT upserts.
 */
#include "sinks/sql_table.h"

gboolean
duet_sql_table_options(GHashTable *options, DuetSchema *schema, const char *kind,
                       const char **table, char ***keys, GError **error)
{
    *table = duet_sink_option_get(options, "table");
    if (*table == NULL)
        *table = duet_sink_option_get(options, "dbtable");
    if (*table == NULL || **table == '\0') {
        g_set_error(error, DUET_SINK_ERROR, DUET_SINK_ERROR_OPTION,
                    "Option 'table' is required (the table the sink writes into).");
        return FALSE;
    }
    if (duet_schema_n_fields(schema) == 0) {
        g_set_error(error, DUET_SINK_ERROR, DUET_SINK_ERROR_OPTION,
                    "%s sink: the schema has no columns", kind);
        return FALSE;
    }
    return duet_sink_key_columns(options, schema, kind, keys, error);
}

void
duet_sql_append_identifier(GString *sql, const char *name, gssize length)
{
    g_string_append_c(sql, '"');
    for (gssize index = 0; length < 0 ? name[index] != '\0' : index < length; index++) {
        if (name[index] == '"')
            g_string_append_c(sql, '"');
        g_string_append_c(sql, name[index]);
    }
    g_string_append_c(sql, '"');
}

/* "a", "b", ... */
static void
append_identifiers(GString *sql, const char *const *names)
{
    for (guint index = 0; names[index] != NULL; index++) {
        if (index)
            g_string_append(sql, ", ");
        duet_sql_append_identifier(sql, names[index], -1);
    }
}

char *
duet_sql_create_table(const char *quoted_table, DuetSchema *schema,
                      const char *(*column_type)(DuetDataType *type), const char *const *keys)
{
    GString *sql = g_string_new("CREATE TABLE IF NOT EXISTS ");
    g_string_append_printf(sql, "%s (", quoted_table);
    for (guint field = 0; field < duet_schema_n_fields(schema); field++) {
        const DuetField *spec = duet_schema_field(schema, field);
        if (field)
            g_string_append(sql, ", ");
        duet_sql_append_identifier(sql, spec->name, -1);
        g_string_append_printf(sql, " %s", column_type(spec->type));
    }
    if (keys != NULL) {
        g_string_append(sql, ", PRIMARY KEY (");
        append_identifiers(sql, keys);
        g_string_append(sql, ")");
    }
    g_string_append(sql, ")");
    return g_string_free(sql, FALSE);
}

char *
duet_sql_insert(const char *quoted_table, DuetSchema *schema, const char *const *keys,
                gboolean numbered)
{
    guint n_fields = duet_schema_n_fields(schema);
    GString *sql = g_string_new("INSERT INTO ");
    g_string_append_printf(sql, "%s (", quoted_table);
    for (guint field = 0; field < n_fields; field++) {
        if (field)
            g_string_append(sql, ", ");
        duet_sql_append_identifier(sql, duet_schema_field(schema, field)->name, -1);
    }
    g_string_append(sql, ") VALUES (");
    for (guint field = 0; field < n_fields; field++) {
        if (field)
            g_string_append(sql, ", ");
        if (numbered)
            g_string_append_printf(sql, "$%u", field + 1);
        else
            g_string_append_c(sql, '?');
    }
    g_string_append(sql, ")");
    if (keys == NULL)
        return g_string_free(sql, FALSE);
    g_string_append(sql, " ON CONFLICT (");
    append_identifiers(sql, keys);
    g_string_append(sql, ")");
    gboolean any = FALSE;
    for (guint field = 0; field < n_fields; field++) {
        const char *name = duet_schema_field(schema, field)->name;
        if (g_strv_contains(keys, name))
            continue;
        g_string_append(sql, any ? ", " : " DO UPDATE SET ");
        duet_sql_append_identifier(sql, name, -1);
        g_string_append(sql, " = EXCLUDED.");
        duet_sql_append_identifier(sql, name, -1);
        any = TRUE;
    }
    if (!any)
        g_string_append(sql, " DO NOTHING");
    return g_string_free(sql, FALSE);
}
