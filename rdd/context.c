/* context.c — the engine context: master string, configuration, worker pool, id counters.
 *
 * Layer: rdd/. Includes rdd/ only. The worker pool is a GThreadPool of N threads (N from
 * "local[N]"); the scheduler pushes one work item per task. Ids count from 0 like Spark's.
 */
#include "rdd/internal.h"

#include <glib/gstdio.h>
#include <stdlib.h>

struct _DuetContext {
    gint ref_count;       /* atomic */
    char *master;         /* as given */
    guint parallelism;    /* worker threads */
    guint max_attempts;   /* attempts per task */
    GThreadPool *pool;    /* runs tasks; created on first use */
    GMutex lock;          /* guards conf, clock, checkpoint_dir, pool creation */
    GHashTable *conf;     /* char* -> char* */
    DuetClock *clock;     /* owned */
    char *checkpoint_dir; /* or NULL */
    gint next_rdd_id;     /* atomic counters */
    gint next_shuffle_id;
    gint next_stage_id;
};

G_DEFINE_QUARK(duet - context - error - quark, duet_context_error)

/* The pool calls this with a closure the scheduler built: data is a GClosure-like pair. */
typedef struct {
    GFunc func;
    gpointer data;
} PoolItem;

static void
run_pool_item(gpointer data, gpointer user_data)
{
    PoolItem *item = data;
    item->func(item->data, NULL);
    g_free(item);
}

static gboolean
parse_uint(const char *text, gsize len, guint *out)
{
    if (len == 0 || len > 6)
        return FALSE;
    guint value = 0;
    for (gsize char_idx = 0; char_idx < len; char_idx++) {
        if (!g_ascii_isdigit(text[char_idx]))
            return FALSE;
        value = value * 10 + (guint)(text[char_idx] - '0');
    }
    *out = value;
    return value > 0;
}

/* Parses Spark's local master strings: local, local[N], local[*], local[N,F], local[*,F]. */
static gboolean
parse_master(const char *master, guint *threads, guint *attempts, GError **error)
{
    *attempts = 0;
    if (g_strcmp0(master, "local") == 0) {
        *threads = 1;
        return TRUE;
    }
    gsize len = master ? strlen(master) : 0;
    if (len < 8 || !g_str_has_prefix(master, "local[") || master[len - 1] != ']')
        goto bad;
    const char *inner = master + 6;
    gsize inner_len = len - 7;
    const char *comma = memchr(inner, ',', inner_len);
    gsize threads_len = comma ? (gsize)(comma - inner) : inner_len;
    if (threads_len == 1 && inner[0] == '*')
        *threads = g_get_num_processors();
    else if (!parse_uint(inner, threads_len, threads))
        goto bad;
    if (comma != NULL && !parse_uint(comma + 1, inner_len - threads_len - 1, attempts))
        goto bad;
    return TRUE;
bad:
    g_set_error(error, DUET_CONTEXT_ERROR, DUET_CONTEXT_ERROR_MASTER,
                "Could not parse Master URL: '%s' (duet runs in local mode: use local, "
                "local[N], local[*] or local[N,F])",
                master ? master : "(null)");
    return FALSE;
}

/**
 * duet_context_new:
 * @master: "local", "local[N]", "local[*]" or "local[N,F]"
 *
 * Returns: (transfer full): a new context, or NULL with DUET_CONTEXT_ERROR_MASTER.
 */
DuetContext *
duet_context_new(const char *master, GError **error)
{
    guint threads = 0, attempts = 0;
    if (!parse_master(master, &threads, &attempts, error))
        return NULL;
    DuetContext *context = g_new0(DuetContext, 1);
    context->ref_count = 1;
    context->master = g_strdup(master);
    context->parallelism = threads;
    context->max_attempts = attempts;
    g_mutex_init(&context->lock);
    context->conf = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    context->clock = duet_clock_new_system();
    return context;
}

DuetContext *
duet_context_ref(DuetContext *context)
{
    g_return_val_if_fail(context != NULL, NULL);
    g_atomic_int_inc(&context->ref_count);
    return context;
}

void
duet_context_unref(DuetContext *context)
{
    if (context == NULL || !g_atomic_int_dec_and_test(&context->ref_count))
        return;
    if (context->pool != NULL)
        g_thread_pool_free(context->pool, FALSE, TRUE);
    g_hash_table_unref(context->conf);
    duet_clock_unref(context->clock);
    g_mutex_clear(&context->lock);
    g_free(context->checkpoint_dir);
    g_free(context->master);
    g_free(context);
}

const char *
duet_context_master(const DuetContext *context)
{
    return context->master;
}

guint
duet_context_parallelism(const DuetContext *context)
{
    return context->parallelism;
}

/* spark.default.parallelism, or the number of workers (Spark's local-mode default). */
guint
duet_context_default_partitions(DuetContext *context)
{
    gint64 value = duet_context_get_conf_int(context, "spark.default.parallelism", 0);
    return value > 0 ? (guint)value : context->parallelism;
}

guint
duet_context_max_task_attempts(const DuetContext *context)
{
    if (context->max_attempts > 0)
        return context->max_attempts;
    gint64 value = duet_context_get_conf_int((DuetContext *)context, "spark.task.maxFailures", 4);
    return value > 0 ? (guint)value : 1;
}

void
duet_context_set_conf(DuetContext *context, const char *key, const char *value)
{
    g_return_if_fail(context != NULL && key != NULL);
    g_mutex_lock(&context->lock);
    if (value == NULL)
        g_hash_table_remove(context->conf, key);
    else
        g_hash_table_insert(context->conf, g_strdup(key), g_strdup(value));
    g_mutex_unlock(&context->lock);
}

char *
duet_context_get_conf(DuetContext *context, const char *key)
{
    g_mutex_lock(&context->lock);
    char *value = g_strdup(g_hash_table_lookup(context->conf, key));
    g_mutex_unlock(&context->lock);
    return value;
}

gint64
duet_context_get_conf_int(DuetContext *context, const char *key, gint64 fallback)
{
    g_autofree char *text = duet_context_get_conf(context, key);
    if (text == NULL)
        return fallback;
    char *end = NULL;
    gint64 value = g_ascii_strtoll(text, &end, 10);
    return (end == text || *end != '\0') ? fallback : value;
}

DuetClock *
duet_context_clock(DuetContext *context)
{
    g_mutex_lock(&context->lock);
    DuetClock *clock = context->clock;
    g_mutex_unlock(&context->lock);
    return clock;
}

void
duet_context_set_clock(DuetContext *context, DuetClock *clock)
{
    g_return_if_fail(context != NULL && clock != NULL);
    duet_clock_ref(clock);
    g_mutex_lock(&context->lock);
    DuetClock *old = context->clock;
    context->clock = clock;
    g_mutex_unlock(&context->lock);
    duet_clock_unref(old);
}

gboolean
duet_context_set_checkpoint_dir(DuetContext *context, const char *dir, GError **error)
{
    if (g_mkdir_with_parents(dir, 0755) != 0) {
        int saved = errno;
        g_set_error(error, DUET_CONTEXT_ERROR, DUET_CONTEXT_ERROR_CONF,
                    "cannot create checkpoint directory %s: %s", dir, g_strerror(saved));
        return FALSE;
    }
    g_mutex_lock(&context->lock);
    g_free(context->checkpoint_dir);
    context->checkpoint_dir = g_strdup(dir);
    g_mutex_unlock(&context->lock);
    return TRUE;
}

char *
duet_context_get_checkpoint_dir(DuetContext *context)
{
    g_mutex_lock(&context->lock);
    char *dir = g_strdup(context->checkpoint_dir);
    g_mutex_unlock(&context->lock);
    return dir;
}

guint
duet_context_next_rdd_id(DuetContext *context)
{
    return (guint)g_atomic_int_add(&context->next_rdd_id, 1);
}

guint
duet_context_next_shuffle_id(DuetContext *context)
{
    return (guint)g_atomic_int_add(&context->next_shuffle_id, 1);
}

guint
duet_context_next_stage_id(DuetContext *context)
{
    return (guint)g_atomic_int_add(&context->next_stage_id, 1);
}

GThreadPool *
duet_context_pool(DuetContext *context)
{
    g_mutex_lock(&context->lock);
    if (context->pool == NULL) {
        GError *error = NULL;
        context->pool =
            g_thread_pool_new(run_pool_item, NULL, (gint)context->parallelism, FALSE, &error);
        /* Non-exclusive pools only fail for invalid arguments. */
        g_assert_no_error(error);
    }
    GThreadPool *pool = context->pool;
    g_mutex_unlock(&context->lock);
    return pool;
}

/* Pushes func(data) onto the pool. */
void
duet_context_submit(DuetContext *context, GFunc func, gpointer data)
{
    PoolItem *item = g_new(PoolItem, 1);
    item->func = func;
    item->data = data;
    g_thread_pool_push(duet_context_pool(context), item, NULL);
}
