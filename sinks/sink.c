/* sink.c — the sink object (idempotence by batch id, the commit fault site) and the console,
 * memory, foreachBatch and foreach sinks.
 *
 * Layer: sinks/. Includes rdd/ and sinks/.
 */
#include "sinks/sink.h"
#include "rdd/fault.h"
#include "rdd/show.h"

#include <stdio.h>

G_DEFINE_QUARK(duet - sink - error - quark, duet_sink_error)

struct _DuetSink {
    gint ref_count;
    const DuetSinkClass *klass;
    DuetSchema *schema;
    gpointer data;
    GMutex lock;   /* serialises add_batch; guards latest */
    gint64 latest; /* last committed batch id, -1 = none */
};

DuetSink *
duet_sink_new_internal(const DuetSinkClass *klass, DuetSchema *schema, gpointer data)
{
    DuetSink *sink = g_new0(DuetSink, 1);
    sink->ref_count = 1;
    sink->klass = klass;
    sink->schema = duet_schema_ref(schema);
    sink->data = data;
    sink->latest = -1;
    g_mutex_init(&sink->lock);
    return sink;
}

gpointer
duet_sink_get_data(DuetSink *sink)
{
    return sink->data;
}

const DuetSinkClass *
duet_sink_get_class(DuetSink *sink)
{
    return sink->klass;
}

const char *
duet_sink_option_get(GHashTable *options, const char *key)
{
    if (options == NULL)
        return NULL;
    g_autofree char *lower = g_ascii_strdown(key, -1);
    const char *value = g_hash_table_lookup(options, lower);
    if (value != NULL)
        return value;
    /* a table whose keys were not lower-cased: compare each */
    GHashTableIter iter;
    gpointer name, found;
    g_hash_table_iter_init(&iter, options);
    while (g_hash_table_iter_next(&iter, &name, &found)) {
        if (g_ascii_strcasecmp(name, key) == 0)
            return found;
    }
    return NULL;
}

gboolean
duet_sink_key_columns(GHashTable *options, DuetSchema *schema, const char *kind, char ***keys,
                      GError **error)
{
    *keys = NULL;
    const char *option = "keyColumns";
    const char *value = duet_sink_option_get(options, option);
    if (value == NULL) {
        option = "upsertKeys";
        value = duet_sink_option_get(options, option);
    }
    if (value == NULL)
        return TRUE;
    GPtrArray *names = g_ptr_array_new_with_free_func(g_free);
    g_auto(GStrv) parts = g_strsplit(value, ",", -1);
    const char *problem = NULL;
    const char *culprit = NULL;
    for (guint index = 0; parts[index] != NULL && problem == NULL; index++) {
        culprit = g_strstrip(parts[index]);
        if (*culprit == '\0')
            problem = "an empty column name";
        else if (duet_schema_find(schema, culprit) < 0)
            problem = "a column the schema does not have";
        else if (g_ptr_array_find_with_equal_func(names, culprit, g_str_equal, NULL))
            problem = "a column named twice";
        else
            g_ptr_array_add(names, g_strdup(culprit));
    }
    if (problem == NULL && names->len == 0)
        problem = "no column";
    if (problem != NULL) {
        GString *columns = g_string_new(NULL);
        for (guint field = 0; field < duet_schema_n_fields(schema); field++)
            g_string_append_printf(columns, "%s%s", field ? ", " : "",
                                   duet_schema_field(schema, field)->name);
        g_set_error(error, DUET_SINK_ERROR, DUET_SINK_ERROR_OPTION,
                    "%s sink: option %s='%s' names %s%s%s%s; give a comma list of the "
                    "schema's columns (%s)",
                    kind, option, value, problem, culprit && *culprit ? " ('" : "",
                    culprit && *culprit ? culprit : "", culprit && *culprit ? "')" : "",
                    columns->str);
        g_string_free(columns, TRUE);
        g_ptr_array_unref(names);
        return FALSE;
    }
    g_ptr_array_add(names, NULL);
    *keys = (char **)g_ptr_array_free(names, FALSE);
    return TRUE;
}

DuetSink *
duet_sink_ref(DuetSink *sink)
{
    g_atomic_int_inc(&sink->ref_count);
    return sink;
}

void
duet_sink_unref(DuetSink *sink)
{
    if (sink == NULL || !g_atomic_int_dec_and_test(&sink->ref_count))
        return;
    if (sink->klass->finalize)
        sink->klass->finalize(sink->data);
    duet_schema_unref(sink->schema);
    g_mutex_clear(&sink->lock);
    g_free(sink);
}

DuetSchema *
duet_sink_schema(DuetSink *sink)
{
    return sink->schema;
}

char *
duet_sink_description(DuetSink *sink)
{
    return sink->klass->description(sink);
}

gint64
duet_sink_latest_batch_id(DuetSink *sink)
{
    g_mutex_lock(&sink->lock);
    gint64 latest = sink->latest;
    g_mutex_unlock(&sink->lock);
    return latest;
}

gboolean
duet_sink_add_batch(DuetSink *sink, gint64 batch_id, GPtrArray *partitions, DuetOutputMode mode,
                    GError **error)
{
    g_mutex_lock(&sink->lock);
    gboolean ok = TRUE;
    if (batch_id > sink->latest) {
        /* The injected fault stands for a sink whose write fails as a whole: nothing of the
         * batch is visible, so its re-run is the only copy. */
        if (duet_fault_sim(DUET_FAULT_SITE_SINK_COMMIT, NULL)) {
            g_set_error(error, DUET_SINK_ERROR, DUET_SINK_ERROR_WRITE,
                        "%s sink: writing batch %" G_GINT64_FORMAT " failed (injected fault)",
                        sink->klass->format, batch_id);
            ok = FALSE;
        } else {
            ok = sink->klass->add_batch(sink, batch_id, partitions, mode, error);
        }
        if (ok)
            sink->latest = batch_id;
    }
    g_mutex_unlock(&sink->lock);
    return ok;
}

gboolean
duet_sink_add_epoch_part(DuetSink *sink, gint64 epoch, GPtrArray *partitions, DuetOutputMode mode,
                         GError **error)
{
    static const char *const continuous[] = {"console", "memory", "foreach", "kafka", "zmq"};
    gboolean supported = FALSE;
    for (guint index = 0; index < G_N_ELEMENTS(continuous); index++)
        supported |= g_str_equal(sink->klass->format, continuous[index]);
    if (!supported) {
        g_set_error(error, DUET_SINK_ERROR, DUET_SINK_ERROR_OPTION,
                    "Data source %s does not support continuous processing.", sink->klass->format);
        return FALSE;
    }
    g_mutex_lock(&sink->lock);
    gboolean ok =
        epoch <= sink->latest || sink->klass->add_batch(sink, epoch, partitions, mode, error);
    g_mutex_unlock(&sink->lock);
    return ok;
}

void
duet_sink_commit_epoch(DuetSink *sink, gint64 epoch)
{
    g_mutex_lock(&sink->lock);
    sink->latest = MAX(sink->latest, epoch);
    g_mutex_unlock(&sink->lock);
}

GPtrArray *
duet_sink_partitions_of(DuetBatch *batch)
{
    GPtrArray *partition = g_ptr_array_new_with_free_func((GDestroyNotify)duet_batch_unref);
    g_ptr_array_add(partition, duet_batch_ref(batch));
    GPtrArray *partitions = g_ptr_array_new_with_free_func((GDestroyNotify)g_ptr_array_unref);
    g_ptr_array_add(partitions, partition);
    return partitions;
}

/* All rows of partitions in partition order, as one batch. */
static DuetBatch *
concat_partitions(DuetSchema *schema, GPtrArray *partitions, GError **error)
{
    GPtrArray *all = g_ptr_array_new();
    for (guint partition = 0; partition < partitions->len; partition++)
        g_ptr_array_extend(all, g_ptr_array_index(partitions, partition), NULL, NULL);
    DuetBatch *batch = duet_batch_concat(schema, (DuetBatch *const *)all->pdata, all->len, error);
    g_ptr_array_unref(all);
    return batch;
}

/* ---- console ------------------------------------------------------------------------------ */

typedef struct {
    gint num_rows;
    gboolean truncate;
    DuetSinkTextFunc text_func;
    gpointer user_data;
} Console;

static void
console_write(Console *console, const char *text)
{
    if (console->text_func != NULL) {
        console->text_func(text, console->user_data);
    } else {
        fputs(text, stdout);
        fflush(stdout);
    }
}

static char *
console_description(DuetSink *sink)
{
    Console *console = sink->data;
    return g_strdup_printf("ConsoleWriter[numRows=%d, truncate=%s]", console->num_rows,
                           console->truncate ? "true" : "false");
}

static gboolean
console_add_batch(DuetSink *sink, gint64 batch_id, GPtrArray *partitions, DuetOutputMode mode,
                  GError **error)
{
    Console *console = sink->data;
    g_autoptr(DuetBatch) rows = concat_partitions(sink->schema, partitions, error);
    if (rows == NULL)
        return FALSE;
    GString *text = g_string_new(NULL);
    duet_show_console_batch(text, batch_id, rows, console->num_rows, console->truncate);
    console_write(console, text->str);
    g_string_free(text, TRUE);
    return TRUE;
}

static const DuetSinkClass console_class = {
    .format = "console",
    .description = console_description,
    .add_batch = console_add_batch,
    .finalize = g_free,
};

DuetSink *
duet_console_sink_new(DuetSchema *schema, gint num_rows, gboolean truncate,
                      DuetSinkTextFunc text_func, gpointer user_data)
{
    Console *console = g_new0(Console, 1);
    console->num_rows = num_rows;
    console->truncate = truncate;
    console->text_func = text_func;
    console->user_data = user_data;
    return duet_sink_new_internal(&console_class, schema, console);
}

void
duet_console_sink_print(DuetSink *sink, const char *text)
{
    g_return_if_fail(sink->klass == &console_class);
    g_mutex_lock(&sink->lock);
    console_write(sink->data, text);
    g_mutex_unlock(&sink->lock);
}

/* ---- memory ------------------------------------------------------------------------------- */

typedef struct {
    GPtrArray *batches; /* DuetBatch of all rows, in order */
    DuetBatch *latest;  /* rows of the last committed batch */
} Memory;

static void
memory_finalize(gpointer data)
{
    Memory *memory = data;
    g_ptr_array_unref(memory->batches);
    if (memory->latest)
        duet_batch_unref(memory->latest);
    g_free(memory);
}

static char *
memory_description(DuetSink *sink)
{
    return g_strdup("MemorySink");
}

static gboolean
memory_add_batch(DuetSink *sink, gint64 batch_id, GPtrArray *partitions, DuetOutputMode mode,
                 GError **error)
{
    Memory *memory = sink->data;
    DuetBatch *rows = concat_partitions(sink->schema, partitions, error);
    if (rows == NULL)
        return FALSE;
    if (mode == DUET_OUTPUT_MODE_COMPLETE)
        g_ptr_array_set_size(memory->batches, 0);
    g_ptr_array_add(memory->batches, duet_batch_ref(rows));
    if (memory->latest)
        duet_batch_unref(memory->latest);
    memory->latest = rows;
    return TRUE;
}

static const DuetSinkClass memory_class = {
    .format = "memory",
    .description = memory_description,
    .add_batch = memory_add_batch,
    .finalize = memory_finalize,
};

DuetSink *
duet_memory_sink_new(DuetSchema *schema)
{
    Memory *memory = g_new0(Memory, 1);
    memory->batches = g_ptr_array_new_with_free_func((GDestroyNotify)duet_batch_unref);
    return duet_sink_new_internal(&memory_class, schema, memory);
}

DuetBatch *
duet_memory_sink_all_data(DuetSink *sink)
{
    g_return_val_if_fail(sink->klass == &memory_class, NULL);
    g_mutex_lock(&sink->lock);
    Memory *memory = sink->data;
    DuetBatch *all = duet_batch_concat(sink->schema, (DuetBatch *const *)memory->batches->pdata,
                                       memory->batches->len, NULL);
    g_mutex_unlock(&sink->lock);
    return all;
}

DuetBatch *
duet_memory_sink_latest_batch_data(DuetSink *sink)
{
    g_return_val_if_fail(sink->klass == &memory_class, NULL);
    g_mutex_lock(&sink->lock);
    Memory *memory = sink->data;
    DuetBatch *latest =
        memory->latest ? duet_batch_ref(memory->latest) : duet_batch_new_empty(sink->schema);
    g_mutex_unlock(&sink->lock);
    return latest;
}

/* ---- foreachBatch ------------------------------------------------------------------------- */

typedef struct {
    DuetForeachBatchFunc func;
    gpointer user_data;
} ForeachBatch;

static char *
foreach_batch_description(DuetSink *sink)
{
    return g_strdup("ForeachBatchSink");
}

static gboolean
foreach_batch_add(DuetSink *sink, gint64 batch_id, GPtrArray *partitions, DuetOutputMode mode,
                  GError **error)
{
    ForeachBatch *foreach_batch = sink->data;
    g_autoptr(DuetBatch) rows = concat_partitions(sink->schema, partitions, error);
    if (rows == NULL)
        return FALSE;
    GError *local = NULL;
    if (!foreach_batch->func(rows, batch_id, foreach_batch->user_data, &local)) {
        g_set_error(error, DUET_SINK_ERROR, DUET_SINK_ERROR_FAILED,
                    "foreachBatch function failed on batch %" G_GINT64_FORMAT ": %s", batch_id,
                    local ? local->message : "no reason given");
        g_clear_error(&local);
        return FALSE;
    }
    return TRUE;
}

static const DuetSinkClass foreach_batch_class = {
    .format = "foreachBatch",
    .description = foreach_batch_description,
    .add_batch = foreach_batch_add,
    .finalize = g_free,
};

DuetSink *
duet_foreach_batch_sink_new(DuetSchema *schema, DuetForeachBatchFunc func, gpointer user_data)
{
    g_return_val_if_fail(func != NULL, NULL);
    ForeachBatch *foreach_batch = g_new0(ForeachBatch, 1);
    foreach_batch->func = func;
    foreach_batch->user_data = user_data;
    return duet_sink_new_internal(&foreach_batch_class, schema, foreach_batch);
}

/* ---- foreach ------------------------------------------------------------------------------ */

typedef struct {
    DuetForeachWriter writer;
    gpointer user_data;
} Foreach;

static char *
foreach_description(DuetSink *sink)
{
    return g_strdup("ForeachSink");
}

/* Spark's ForeachWriter protocol per partition: open; process each row if open said yes;
 * close with the error, if any. */
static gboolean
foreach_add(DuetSink *sink, gint64 batch_id, GPtrArray *partitions, DuetOutputMode mode,
            GError **error)
{
    Foreach *foreach = sink->data;
    for (guint partition = 0; partition < partitions->len; partition++) {
        gboolean opened = foreach->writer.open == NULL ||
                          foreach->writer.open(partition, batch_id, foreach->user_data);
        char *message = NULL;
        GPtrArray *batches = g_ptr_array_index(partitions, partition);
        for (guint batch_idx = 0; opened && batch_idx < batches->len && !message; batch_idx++) {
            DuetBatch *batch = g_ptr_array_index(batches, batch_idx);
            for (gsize row_idx = 0; row_idx < duet_batch_n_rows(batch); row_idx++) {
                DuetRow row = duet_batch_row(batch, row_idx);
                if (!foreach->writer.process(&row, &message, foreach->user_data)) {
                    if (message == NULL)
                        message = g_strdup("process failed");
                    break;
                }
            }
        }
        if (foreach->writer.close)
            foreach
                ->writer.close(message, foreach->user_data);
        if (message != NULL) {
            g_set_error(error, DUET_SINK_ERROR, DUET_SINK_ERROR_FAILED,
                        "foreach writer failed in partition %u of batch %" G_GINT64_FORMAT ": %s",
                        partition, batch_id, message);
            g_free(message);
            return FALSE;
        }
    }
    return TRUE;
}

static const DuetSinkClass foreach_class = {
    .format = "foreach",
    .description = foreach_description,
    .add_batch = foreach_add,
    .finalize = g_free,
};

DuetSink *
duet_foreach_sink_new(DuetSchema *schema, const DuetForeachWriter *writer, gpointer user_data)
{
    g_return_val_if_fail(writer != NULL && writer->process != NULL, NULL);
    Foreach *foreach = g_new0(Foreach, 1);
    foreach
        ->writer = *writer;
    foreach
        ->user_data = user_data;
    return duet_sink_new_internal(&foreach_class, schema, foreach);
}
