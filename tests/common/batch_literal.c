/* batch_literal.c — JSON literals to batches and batches to Scala-formatted text, for tests. */
#include "tests/common/batch_literal.h"
#include "rdd/format.h"
#include "rdd/json_rows.h"

#include <json-glib/json-glib.h>

DuetBatch *
duet_test_batch(const char *ddl, const char *json_rows)
{
    GError *error = NULL;
    g_autoptr(DuetSchema) schema = duet_schema_parse(ddl, &error);
    g_assert_no_error(error);
    g_autoptr(JsonParser) parser = json_parser_new();
    json_parser_load_from_data(parser, json_rows, -1, &error);
    g_assert_no_error(error);
    JsonArray *rows = json_node_get_array(json_parser_get_root(parser));
    DuetBatch *batch = duet_json_rows_to_batch(schema, rows, &error);
    g_assert_no_error(error);
    return batch;
}

static GPtrArray *
render_rows(DuetBatch *batch)
{
    GPtrArray *rows = g_ptr_array_new_with_free_func(g_free);
    for (gsize row_idx = 0; row_idx < duet_batch_n_rows(batch); row_idx++) {
        GString *text = g_string_new(NULL);
        DuetRow row = duet_batch_row(batch, row_idx);
        duet_format_row(text, &row, DUET_FORMAT_SCALA);
        g_ptr_array_add(rows, g_string_free(text, FALSE));
    }
    return rows;
}

static char *
join_rows(GPtrArray *rows)
{
    GString *out = g_string_new("[");
    for (guint row = 0; row < rows->len; row++)
        g_string_append_printf(out, "%s%s", row ? ", " : "", (char *)rows->pdata[row]);
    g_string_append_c(out, ']');
    return g_string_free(out, FALSE);
}

static gint
compare_strings(gconstpointer a, gconstpointer b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

char *
duet_test_render(DuetBatch *batch)
{
    GPtrArray *rows = render_rows(batch);
    char *text = join_rows(rows);
    g_ptr_array_unref(rows);
    return text;
}

char *
duet_test_render_sorted(DuetBatch *batch)
{
    GPtrArray *rows = render_rows(batch);
    g_ptr_array_sort(rows, compare_strings);
    char *text = join_rows(rows);
    g_ptr_array_unref(rows);
    return text;
}

static DuetBatch *
collect_or_die(DuetRdd *rdd)
{
    GError *error = NULL;
    DuetBatch *batch = duet_rdd_collect(rdd, &error);
    if (error != NULL)
        g_error("collect failed: %s", error->message);
    return batch;
}

char *
duet_test_render_rdd(DuetRdd *rdd)
{
    g_autoptr(DuetBatch) batch = collect_or_die(rdd);
    return duet_test_render(batch);
}

char *
duet_test_render_rdd_sorted(DuetRdd *rdd)
{
    g_autoptr(DuetBatch) batch = collect_or_die(rdd);
    return duet_test_render_sorted(batch);
}

char *
duet_test_render_partitions(DuetRdd *rdd)
{
    GError *error = NULL;
    GPtrArray *partitions = duet_rdd_collect_partitions(rdd, &error);
    if (error != NULL)
        g_error("collect failed: %s", error->message);
    GString *out = g_string_new("[");
    for (guint partition = 0; partition < partitions->len; partition++) {
        g_autofree char *text = duet_test_render(g_ptr_array_index(partitions, partition));
        g_string_append_printf(out, "%s%s", partition ? ", " : "", text);
    }
    g_string_append_c(out, ']');
    g_ptr_array_unref(partitions);
    return g_string_free(out, FALSE);
}
