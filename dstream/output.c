/* output.c — output operations: foreachRDD, print, pprint and saveAsTextFiles.
 *
 * Layer: dstream/. Includes rdd/ and dstream/. An output stream (Spark's ForEachDStream)
 * generates a job per batch that has an RDD; print and pprint are foreachRDD with Spark's
 * exact text: Scala's DStream.print(num)
 *     -------------------------------------------
 *     Time: 1000 ms
 *     -------------------------------------------
 *     <first num elements, toString>
 *     ...                      (when there are more)
 *     <empty line>
 * and PySpark's pprint(num), whose header is "Time: " + str(datetime.fromtimestamp(t/1000))
 * (duet prints the time in UTC) and whose elements are print(element): str(), which is the
 * repr for numbers, tuples, lists and None but the bare text for a string element ('a' prints a,
 * ('a', 1) prints ('a', 1)) — tests/reference checks it against PySpark.
 */
#include "dstream/internal.h"
#include "rdd/format.h"

#include <stdio.h>

typedef struct {
    DuetForeachRddFunc func;
    gpointer user_data;
    GDestroyNotify free_user_data;
} Output;

static void
output_free(gpointer data)
{
    Output *output = data;
    if (output->free_user_data)
        output->free_user_data(output->user_data);
    g_free(output);
}

static DuetRdd *
output_compute(DuetDStream *stream, gint64 time_ms, GError **error)
{
    return duet_dstream_get_or_compute(duet_dstream_parent(stream, 0), time_ms, error);
}

static const DuetDStreamOps output_ops = {.name = "ForEachDStream", .compute = output_compute};

DuetRdd *
duet_dstream_generate_output(DuetDStream *stream, gint64 time_ms, GError **error)
{
    /* no RDD, no job (Spark's ForEachDStream.generateJob) */
    return duet_dstream_get_or_compute(stream, time_ms, error);
}

gboolean
duet_dstream_run_output(DuetDStream *stream, DuetRdd *rdd, gint64 time_ms, GError **error)
{
    Output *output = stream->op_data;
    return output->func(rdd, time_ms, output->user_data, error);
}

static void
add_output(DuetDStream *stream, DuetForeachRddFunc f, gpointer user_data,
           GDestroyNotify free_user_data)
{
    DuetDStream *output =
        duet_dstream_new_internal(stream->context, &output_ops, stream->schema, stream->slide_ms);
    duet_dstream_add_parent(output, stream);
    Output *data = g_new0(Output, 1);
    data->func = f;
    data->user_data = user_data;
    data->free_user_data = free_user_data;
    output->op_data = data;
    output->op_data_free = output_free;
    duet_streaming_context_register_output(stream->context, output);
    duet_dstream_unref(output);
}

void
duet_dstream_foreach_rdd(DuetDStream *stream, DuetForeachRddFunc f, gpointer user_data)
{
    g_return_if_fail(stream != NULL && f != NULL);
    add_output(stream, f, user_data, NULL);
}

typedef struct {
    guint num;
    DuetFormatDialect dialect;
    DuetSink *console; /* the shared console sink the text goes through */
} Printer;

static void
printer_free(gpointer data)
{
    Printer *printer = data;
    duet_sink_unref(printer->console);
    g_free(printer);
}

static void
append_python_time(GString *out, gint64 time_ms)
{
    /* str(datetime): "YYYY-MM-DD HH:MM:SS" plus ".ffffff" when there are microseconds */
    gint64 micros = time_ms * 1000;
    GString *text = g_string_new(NULL);
    duet_format_timestamp(text, micros);
    const char *point = strchr(text->str, '.');
    if (point != NULL) {
        gsize digits = strlen(point + 1);
        g_string_append(out, text->str);
        for (; digits < 6; digits++)
            g_string_append_c(out, '0');
    } else {
        g_string_append(out, text->str);
    }
    g_string_free(text, TRUE);
}

static gboolean
print_rdd(DuetRdd *rdd, gint64 time_ms, gpointer user_data, GError **error)
{
    Printer *printer = user_data;
    DuetBatch *first = duet_rdd_take(rdd, printer->num + 1, error);
    if (first == NULL)
        return FALSE;
    GString *out = g_string_new("-------------------------------------------\nTime: ");
    if (printer->dialect == DUET_FORMAT_PYTHON)
        append_python_time(out, time_ms);
    else
        g_string_append_printf(out, "%" G_GINT64_FORMAT " ms", time_ms);
    g_string_append(out, "\n-------------------------------------------\n");
    gsize n_rows = duet_batch_n_rows(first);
    for (gsize row_idx = 0; row_idx < MIN(n_rows, printer->num); row_idx++) {
        DuetRow row = duet_batch_row(first, row_idx);
        DuetValue value = {0};
        if (printer->dialect == DUET_FORMAT_PYTHON && duet_batch_n_columns(first) == 1)
            duet_row_get_value(&row, 0, &value);
        if (printer->dialect == DUET_FORMAT_PYTHON && duet_batch_n_columns(first) == 1 &&
            !value.is_null && value.type == DUET_TYPE_STRING)
            g_string_append_len(out, value.v.str.data, (gssize)value.v.str.len); /* str(s) */
        else
            duet_format_row(out, &row, printer->dialect);
        g_string_append_c(out, '\n');
    }
    if (n_rows > printer->num)
        g_string_append(out, "...\n");
    g_string_append_c(out, '\n');
    duet_console_sink_print(printer->console, out->str);
    g_string_free(out, TRUE);
    duet_batch_unref(first);
    return TRUE;
}

static void
add_printer(DuetDStream *stream, guint num, DuetFormatDialect dialect, DuetTextFunc sink,
            gpointer user_data)
{
    Printer *printer = g_new0(Printer, 1);
    printer->num = num;
    printer->dialect = dialect;
    printer->console = duet_console_sink_new(stream->schema, (gint)num, TRUE, sink, user_data);
    add_output(stream, print_rdd, printer, printer_free);
}

void
duet_dstream_print(DuetDStream *stream, guint num, DuetTextFunc sink, gpointer user_data)
{
    add_printer(stream, num, DUET_FORMAT_SCALA, sink, user_data);
}

void
duet_dstream_pprint(DuetDStream *stream, guint num, DuetTextFunc sink, gpointer user_data)
{
    add_printer(stream, num, DUET_FORMAT_PYTHON, sink, user_data);
}

typedef struct {
    char *prefix;
    char *suffix; /* or NULL */
} TextFiles;

static void
text_files_free(gpointer data)
{
    TextFiles *files = data;
    g_free(files->prefix);
    g_free(files->suffix);
    g_free(files);
}

static gboolean
save_rdd(DuetRdd *rdd, gint64 time_ms, gpointer user_data, GError **error)
{
    TextFiles *files = user_data;
    /* Spark's rddToFileName */
    g_autofree char *path =
        files->suffix
            ? g_strdup_printf("%s-%" G_GINT64_FORMAT ".%s", files->prefix, time_ms, files->suffix)
            : g_strdup_printf("%s-%" G_GINT64_FORMAT, files->prefix, time_ms);
    return duet_rdd_save_as_text_file(rdd, path, error);
}

void
duet_dstream_save_as_text_files(DuetDStream *stream, const char *prefix, const char *suffix)
{
    g_return_if_fail(stream != NULL && prefix != NULL);
    TextFiles *files = g_new0(TextFiles, 1);
    files->prefix = g_strdup(prefix);
    files->suffix = suffix && *suffix ? g_strdup(suffix) : NULL;
    add_output(stream, save_rdd, files, text_files_free);
}

typedef struct {
    DuetSink *sink;
    DuetStreamingContext *context;
} SinkOutput;

static void
sink_output_free(gpointer data)
{
    SinkOutput *output = data;
    duet_sink_unref(output->sink);
    g_free(output);
}

static gboolean
write_rdd(DuetRdd *rdd, gint64 time_ms, gpointer user_data, GError **error)
{
    SinkOutput *output = user_data;
    GPtrArray *partitions = duet_rdd_collect_partitions(rdd, error);
    if (partitions == NULL)
        return FALSE;
    /* collect_partitions gives one batch per partition; sinks take lists of batches */
    GPtrArray *lists = g_ptr_array_new_with_free_func((GDestroyNotify)g_ptr_array_unref);
    for (guint partition = 0; partition < partitions->len; partition++) {
        GPtrArray *list = g_ptr_array_new_with_free_func((GDestroyNotify)duet_batch_unref);
        g_ptr_array_add(list, duet_batch_ref(g_ptr_array_index(partitions, partition)));
        g_ptr_array_add(lists, list);
    }
    gint64 interval = duet_streaming_context_batch_interval_ms(output->context);
    gint64 batch_id = (time_ms - duet_streaming_context_zero_time(output->context)) / interval - 1;
    gboolean ok =
        duet_sink_add_batch(output->sink, batch_id, lists, DUET_OUTPUT_MODE_APPEND, error);
    g_ptr_array_unref(lists);
    g_ptr_array_unref(partitions);
    return ok;
}

void
duet_dstream_write_to_sink(DuetDStream *stream, DuetSink *sink)
{
    g_return_if_fail(stream != NULL && sink != NULL);
    SinkOutput *output = g_new0(SinkOutput, 1);
    output->sink = duet_sink_ref(sink);
    output->context = stream->context;
    add_output(stream, write_rdd, output, sink_output_free);
}
