/* context.h — the engine context: parallelism, configuration, worker pool, clock.
 *
 * Layer: rdd/. The analogue of SparkContext in local mode. A context owns the worker pool that
 * runs tasks (its size is N of the master string "local[N]"), the configuration map
 * ("spark.*" keys and duet's own), the clock, and id counters for RDDs, shuffles, stages and
 * jobs. Every RDD holds a reference to its context. All functions are thread-safe; many jobs
 * may run at once from different threads.
 */
#pragma once

#include "rdd/clock.h"

G_BEGIN_DECLS

typedef struct _DuetContext DuetContext;

#define DUET_CONTEXT_ERROR (duet_context_error_quark())
GQuark duet_context_error_quark(void);

typedef enum {
    DUET_CONTEXT_ERROR_MASTER, /* a master string that is not local, local[N], local[*] or
                                  local[N,F] */
    DUET_CONTEXT_ERROR_CONF,   /* a configuration value of the wrong form */
    DUET_CONTEXT_ERROR_FAILED,
} DuetContextError;

/* master: "local" (1 worker), "local[N]", "local[*]" (one per core) or "local[N,F]" (F task
 * attempts). With plain local[N], tasks get spark.task.maxFailures attempts (default 4; Spark
 * itself gives local mode 1 unless local[N,F] is used: duet retries by default because a
 * retry is cheap and the tests exercise it). */
DuetContext *duet_context_new(const char *master, GError **error);
DuetContext *duet_context_ref(DuetContext *context);
void duet_context_unref(DuetContext *context);

const char *duet_context_master(const DuetContext *context);
/* Number of worker threads; also spark.default.parallelism unless that is set. */
guint duet_context_parallelism(const DuetContext *context);
guint duet_context_default_partitions(DuetContext *context);
guint duet_context_max_task_attempts(const DuetContext *context);

/* Configuration. set_conf copies both strings. get_conf returns a copy or NULL. */
void duet_context_set_conf(DuetContext *context, const char *key, const char *value);
char *duet_context_get_conf(DuetContext *context, const char *key);
gint64 duet_context_get_conf_int(DuetContext *context, const char *key, gint64 fallback);

/* The clock (system unless replaced). (transfer none) / (transfer none on the argument). */
DuetClock *duet_context_clock(DuetContext *context);
void duet_context_set_clock(DuetContext *context, DuetClock *clock);

/* The checkpoint directory used by duet_rdd_checkpoint (SparkContext.setCheckpointDir).
 * Created if missing. */
gboolean duet_context_set_checkpoint_dir(DuetContext *context, const char *dir, GError **error);
/* (transfer full) or NULL when unset */
char *duet_context_get_checkpoint_dir(DuetContext *context);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(DuetContext, duet_context_unref)

G_END_DECLS
