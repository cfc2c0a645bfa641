/* source.c — the source object, its consumers, options and the factory.
 *
 * Layer: sources/. Includes rdd/ and sources/. What every kind shares: the reference count,
 * the schema, consumers and their committed offsets (data is forgotten up to the smallest),
 * Spark's case-insensitive options, and the factory by format name.
 */
#include "sources/internal.h"

G_DEFINE_QUARK(duet - source - error - quark, duet_source_error)

/* The committed offset of a consumer that went away: it holds nothing back any more. */
static char removed_consumer[] = "(removed)";

static void
free_offset(gpointer offset)
{
    if (offset != removed_consumer)
        g_free(offset);
}

struct _DuetSource {
    gint ref_count;               /* atomic */
    const DuetSourceClass *klass; /* the kind */
    DuetSchema *schema;           /* owned */
    gpointer data;                /* the kind's */
    GMutex lock;                  /* guards committed */
    GPtrArray *committed;         /* per consumer: char* offset committed, or NULL */
};

DuetSource *
duet_source_new_internal(const DuetSourceClass *klass, DuetSchema *schema, gpointer data)
{
    DuetSource *source = g_new0(DuetSource, 1);
    source->ref_count = 1;
    source->klass = klass;
    source->schema = duet_schema_ref(schema);
    source->data = data;
    g_mutex_init(&source->lock);
    source->committed = g_ptr_array_new_with_free_func(free_offset);
    return source;
}

gpointer
duet_source_get_data(DuetSource *source)
{
    return source->data;
}

DuetSource *
duet_source_ref(DuetSource *source)
{
    g_atomic_int_inc(&source->ref_count);
    return source;
}

void
duet_source_unref(DuetSource *source)
{
    if (source == NULL || !g_atomic_int_dec_and_test(&source->ref_count))
        return;
    if (source->klass->finalize)
        source->klass->finalize(source->data);
    g_ptr_array_unref(source->committed);
    g_mutex_clear(&source->lock);
    duet_schema_unref(source->schema);
    g_free(source);
}

DuetSchema *
duet_source_schema(DuetSource *source)
{
    return source->schema;
}

const char *
duet_source_format(DuetSource *source)
{
    return source->klass->format;
}

char *
duet_source_description(DuetSource *source)
{
    return source->klass->description(source);
}

char *
duet_source_latest_offset(DuetSource *source, GError **error)
{
    return source->klass->latest_offset(source, error);
}

char *
duet_source_latest_offset_all(DuetSource *source, GError **error)
{
    if (source->klass->latest_offset_all != NULL)
        return source->klass->latest_offset_all(source, error);
    return source->klass->latest_offset(source, error);
}

gboolean
duet_source_available_now(DuetSource *source, gboolean prepare, gboolean *supported, GError **error)
{
    if (supported != NULL)
        *supported = source->klass->available_now != NULL;
    if (source->klass->available_now == NULL)
        return TRUE;
    return source->klass->available_now(source, prepare, error);
}

void
duet_source_resume(DuetSource *source, const char *end)
{
    if (end != NULL && source->klass->resume != NULL)
        source->klass->resume(source, end);
}

GPtrArray *
duet_source_get_batch(DuetSource *source, const char *start, const char *end, GError **error)
{
    return source->klass->get_batch(source, start, end, error);
}

gboolean
duet_source_attach_log(DuetSource *source, const char *directory, GError **error)
{
    g_return_val_if_fail(source != NULL && directory != NULL, FALSE);
    return source->klass->attach_log == NULL || source->klass->attach_log(source, directory, error);
}

int
duet_source_compare_offsets(DuetSource *source, const char *a, const char *b)
{
    return source->klass->compare(a, b);
}

guint
duet_source_add_consumer(DuetSource *source)
{
    g_mutex_lock(&source->lock);
    guint consumer = source->committed->len;
    g_ptr_array_add(source->committed, NULL);
    g_mutex_unlock(&source->lock);
    return consumer;
}

void
duet_source_remove_consumer(DuetSource *source, guint consumer)
{
    g_mutex_lock(&source->lock);
    if (consumer < source->committed->len &&
        source->committed->pdata[consumer] != removed_consumer) {
        g_free(source->committed->pdata[consumer]);
        source->committed->pdata[consumer] = removed_consumer;
    }
    g_mutex_unlock(&source->lock);
}

void
duet_source_commit(DuetSource *source, guint consumer, const char *end)
{
    g_mutex_lock(&source->lock);
    g_return_if_fail(consumer < source->committed->len);
    if (source->committed->pdata[consumer] == removed_consumer) {
        g_mutex_unlock(&source->lock);
        return;
    }
    g_free(source->committed->pdata[consumer]);
    source->committed->pdata[consumer] = g_strdup(end);
    /* the smallest offset every consumer has committed */
    char *smallest = NULL;
    gboolean all = TRUE;
    for (guint index = 0; index < source->committed->len; index++) {
        char *offset = source->committed->pdata[index];
        if (offset == removed_consumer)
            continue;
        if (offset == NULL) {
            all = FALSE;
            break;
        }
        if (smallest == NULL || source->klass->compare(offset, smallest) < 0)
            smallest = offset;
    }
    char *forget = all && smallest ? g_strdup(smallest) : NULL;
    g_mutex_unlock(&source->lock);
    if (forget != NULL && source->klass->forget != NULL)
        source->klass->forget(source, forget);
    g_free(forget);
}

/* ---- options ----------------------------------------------------------------------------- */

DuetSourceOptions *
duet_source_options_new(void)
{
    return g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
}

void
duet_source_options_set(DuetSourceOptions *options, const char *key, const char *value)
{
    g_hash_table_replace(options, g_ascii_strdown(key, -1), g_strdup(value));
}

const char *
duet_source_options_get(DuetSourceOptions *options, const char *key)
{
    if (options == NULL)
        return NULL;
    g_autofree char *lower = g_ascii_strdown(key, -1);
    return g_hash_table_lookup(options, lower);
}

gboolean
duet_source_options_get_int(DuetSourceOptions *options, const char *key, gint64 fallback,
                            gboolean allow_zero, gint64 *value, GError **error)
{
    const char *text = duet_source_options_get(options, key);
    if (text == NULL) {
        *value = fallback;
        return TRUE;
    }
    char *end = NULL;
    gint64 parsed = g_ascii_strtoll(text, &end, 10);
    if (end == text || *end != '\0' || parsed < 0 || (parsed == 0 && !allow_zero)) {
        g_set_error(error, DUET_SOURCE_ERROR, DUET_SOURCE_ERROR_OPTION,
                    "Invalid value '%s' for option '%s', must be %s", text, key,
                    allow_zero ? "zero or a positive integer" : "positive");
        return FALSE;
    }
    *value = parsed;
    return TRUE;
}

gboolean
duet_long_offset_parse(const char *text, gint64 *value, GError **error)
{
    char *end = NULL;
    gint64 parsed = g_ascii_strtoll(text, &end, 10);
    if (text == NULL || end == text || *end != '\0') {
        g_set_error(error, DUET_SOURCE_ERROR, DUET_SOURCE_ERROR_OFFSET,
                    "invalid offset '%s': expected a LongOffset (an integer)",
                    text ? text : "(null)");
        return FALSE;
    }
    *value = parsed;
    return TRUE;
}

gboolean
duet_long_offset_held_range(const char *what, const char *start, const char *end, gint64 first,
                            gint64 held, gint64 *from, gint64 *to, GError **error)
{
    *from = -1;
    if ((start && !duet_long_offset_parse(start, from, error)) ||
        !duet_long_offset_parse(end, to, error))
        return FALSE;
    if (*from + 1 >= first && *to <= first + held - 1)
        return TRUE;
    g_autofree char *holds =
        held == 0
            ? g_strdup("none")
            : g_strdup_printf("%" G_GINT64_FORMAT " to %" G_GINT64_FORMAT, first, first + held - 1);
    g_set_error(error, DUET_SOURCE_ERROR, DUET_SOURCE_ERROR_OFFSET,
                "the %s no longer has (or never had) offsets %" G_GINT64_FORMAT
                " to %" G_GINT64_FORMAT ": it holds %s (offsets are dropped once committed)",
                what, *from + 1, *to, holds);
    return FALSE;
}

gint64
duet_long_offset_releasable(const char *end, gint64 first, gint64 held)
{
    gint64 committed;
    if (!duet_long_offset_parse(end, &committed, NULL))
        return 0;
    return CLAMP(committed - first + 1, 0, held);
}

DuetBatchBuilder **
duet_partition_builders_new(DuetSchema *schema, gint64 n)
{
    DuetBatchBuilder **builders = g_new0(DuetBatchBuilder *, n);
    for (gint64 partition = 0; partition < n; partition++)
        builders[partition] = duet_batch_builder_new(schema, 64);
    return builders;
}

GPtrArray *
duet_partition_builders_finish(DuetBatchBuilder **builders, gint64 n)
{
    GPtrArray *partitions = g_ptr_array_new_with_free_func((GDestroyNotify)g_ptr_array_unref);
    for (gint64 partition = 0; partition < n; partition++) {
        GPtrArray *list = g_ptr_array_new_with_free_func((GDestroyNotify)duet_batch_unref);
        g_ptr_array_add(list, duet_batch_builder_finish(builders[partition], NULL));
        g_ptr_array_add(partitions, list);
        duet_batch_builder_free(builders[partition]);
    }
    g_free(builders);
    return partitions;
}

int
duet_long_offset_compare(const char *a, const char *b)
{
    if (a == NULL || b == NULL)
        return (a != NULL) - (b != NULL);
    gint64 x = g_ascii_strtoll(a, NULL, 10), y = g_ascii_strtoll(b, NULL, 10);
    return (x > y) - (x < y);
}

DuetSource *
duet_source_new(const char *format, DuetSourceOptions *options, DuetSchema *user_schema,
                DuetClock *clock, guint default_partitions, GError **error)
{
    if (g_ascii_strcasecmp(format, "rate") == 0) {
        if (user_schema != NULL) {
            g_set_error(error, DUET_SOURCE_ERROR, DUET_SOURCE_ERROR_OPTION,
                        "The rate source does not support a user-specified schema.");
            return NULL;
        }
        return duet_rate_source_new(options, clock, default_partitions, error);
    }
    if (g_ascii_strcasecmp(format, "socket") == 0) {
        if (user_schema != NULL) {
            g_set_error(error, DUET_SOURCE_ERROR, DUET_SOURCE_ERROR_OPTION,
                        "The socket source does not support a user-specified schema.");
            return NULL;
        }
        return duet_socket_source_new(options, clock, default_partitions, error);
    }
    if (g_ascii_strcasecmp(format, "zmq") == 0) {
        if (user_schema != NULL) {
            g_set_error(error, DUET_SOURCE_ERROR, DUET_SOURCE_ERROR_OPTION,
                        "The zmq source does not support a user-specified schema.");
            return NULL;
        }
        return duet_zmq_source_new(options, default_partitions, error);
    }
    if (g_ascii_strcasecmp(format, "kafka") == 0)
        return duet_kafka_source_new(options, user_schema, error);
    if (g_ascii_strcasecmp(format, "memory") == 0) {
        if (user_schema == NULL) {
            g_set_error(error, DUET_SOURCE_ERROR, DUET_SOURCE_ERROR_OPTION,
                        "the memory source needs a schema");
            return NULL;
        }
        return duet_memory_source_new(user_schema);
    }
    if (g_ascii_strcasecmp(format, "text") == 0 || g_ascii_strcasecmp(format, "csv") == 0 ||
        g_ascii_strcasecmp(format, "json") == 0)
        return duet_file_source_new(format, options, user_schema, error);
    g_set_error(error, DUET_SOURCE_ERROR, DUET_SOURCE_ERROR_FORMAT,
                "Failed to find data source: %s", format);
    return NULL;
}
