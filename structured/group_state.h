/* group_state.h — arbitrary per-group state with timeouts: groupByKey + mapGroupsWithState /
 * flatMapGroupsWithState.
 *
 * Layer: structured/ (includes rdd/, sources/, sinks/). Spark's
 * KeyValueGroupedDataset.(flat)MapGroupsWithState and its GroupState. The C analogue of
 * groupByKey(f) names key columns of the DataFrame. At every micro-batch the user function is
 * called once for each key that has new rows (keys in ascending order within a shuffle
 * partition, rows in any order), then once for each key whose timeout expired (a key called
 * with data just before has a fresh timeout, which cannot have expired), with no rows and
 * duet_group_state_has_timed_out() TRUE. What the
 * function leaves in the DuetGroupState (updated, removed, a new timeout) is saved in the
 * operator's versioned state store, so it survives restarts from the checkpoint.
 *
 * Timeouts (Spark's GroupStateTimeout): with a processing-time timeout a key times out in the
 * first batch whose timestamp is past its timeout (timeout < batch timestamp), and the query
 * runs a batch at every trigger even without new data; with an event-time timeout a key times
 * out once the watermark passes its timeout timestamp (timeout < watermark), rows at or
 * below the previous batch's watermark are dropped as late, and a batch without new data runs
 * when the watermark advances. A timeout holds only until the next call on the key: the
 * function sets it again every time it wants one (Spark resets it per call).
 */
#pragma once

#include "sinks/sink.h"
#include "structured/dataframe.h"

G_BEGIN_DECLS

#define DUET_GROUP_STATE_ERROR (duet_group_state_error_quark())
GQuark duet_group_state_error_quark(void);

/* The Java exception each of Spark's GroupState errors is. */
typedef enum {
    DUET_GROUP_STATE_ERROR_ILLEGAL_ARGUMENT, /* IllegalArgumentException */
    DUET_GROUP_STATE_ERROR_UNSUPPORTED,      /* UnsupportedOperationException */
    DUET_GROUP_STATE_ERROR_NO_SUCH_ELEMENT,  /* NoSuchElementException */
    DUET_GROUP_STATE_ERROR_FAILED,
} DuetGroupStateError;

/* Spark's GroupStateTimeout. */
typedef enum {
    DUET_GROUP_STATE_NO_TIMEOUT,
    DUET_GROUP_STATE_PROCESSING_TIME_TIMEOUT,
    DUET_GROUP_STATE_EVENT_TIME_TIMEOUT,
} DuetGroupStateTimeout;

/* One key's state during one call of the user function; valid only during that call. */
typedef struct _DuetGroupState DuetGroupState;

/* The user function. key: the key's value (the column's value for one key column, a struct of
 * the key columns otherwise), borrowed for the call. rows: DuetBatch* slices (of the input
 * DataFrame's schema) holding the key's new rows, empty when the key timed out; borrowed.
 * The function appends its output rows to out (of the output schema): any number for
 * flatMapGroupsWithState, exactly one for mapGroupsWithState. Returning FALSE with error fails
 * the batch, and the query ends with that error. Called from the engine's worker threads,
 * for different keys at the same time: user_data must be safe to share. */
typedef gboolean (*DuetGroupStateFunc)(const DuetValue *key, GPtrArray *rows, DuetGroupState *state,
                                       DuetBatchBuilder *out, gpointer user_data, GError **error);

/* What (flat)MapGroupsWithState needs besides the keys. */
typedef struct {
    DuetGroupStateFunc func;
    gpointer user_data;            /* passed to func; must outlive the DataFrame */
    DuetDataType *state_type;      /* a scalar or a struct of scalars; (transfer none) */
    DuetSchema *output_schema;     /* the rows func appends; (transfer none) */
    DuetGroupStateTimeout timeout; /* GroupStateTimeout */
} DuetGroupStateSpec;

/* groupByKey: the rows of frame grouped by the named key columns (Spark's
 * KeyValueGroupedDataset). Fails (DUET_SQL_ERROR_ANALYSIS) for an unknown column or no
 * columns. (transfer full) */
typedef struct _DuetKeyGroupedData DuetKeyGroupedData;
DuetKeyGroupedData *duet_group_state_group_by_key(DuetDataFrame *frame, const char *const *columns,
                                                  guint n, GError **error);
void duet_key_grouped_data_free(DuetKeyGroupedData *grouped);

/* mapGroupsWithState(timeout)(func): Update output mode only, one output row per call. */
DuetDataFrame *duet_group_state_map(DuetKeyGroupedData *grouped, const DuetGroupStateSpec *spec,
                                    GError **error);
/* flatMapGroupsWithState(mode, timeout)(func): mode is the operator's output mode, Append or
 * Update (anything else: DUET_GROUP_STATE_ERROR_ILLEGAL_ARGUMENT, as Spark's "The output mode
 * of function should be append or update"). */
DuetDataFrame *duet_group_state_flat_map(DuetKeyGroupedData *grouped, DuetOutputMode mode,
                                         const DuetGroupStateSpec *spec, GError **error);

/* ---- GroupState -------------------------------------------------------------------------- */

/* Whether the key has a state value. */
gboolean duet_group_state_exists(const DuetGroupState *state);
/* The state value, borrowed until the next update/remove or the end of the call. Fails
 * (NO_SUCH_ELEMENT) "State is either not defined or has already been removed". */
gboolean duet_group_state_get(DuetGroupState *state, DuetValue *value, GError **error);
/* Replaces the state value. A null value fails (ILLEGAL_ARGUMENT) "'null' is not a valid state
 * value"; a value of another type than the state type fails too. */
gboolean duet_group_state_update(DuetGroupState *state, const DuetValue *value, GError **error);
/* update() for a struct state type, from one value per field. */
gboolean duet_group_state_update_fields(DuetGroupState *state, const DuetValue *fields, guint n,
                                        GError **error);
/* Forgets the state value (the key keeps a row only if a timeout is set after this). */
void duet_group_state_remove(DuetGroupState *state);
/* setTimeoutDuration: the key times out duration after this batch's timestamp. Fails
 * (UNSUPPORTED) without a processing-time timeout, (ILLEGAL_ARGUMENT) for a duration that is
 * not positive ("Timeout duration must be positive"), or a negative interval string
 * ("Provided duration (...) is negative"). */
gboolean duet_group_state_set_timeout_duration_ms(DuetGroupState *state, gint64 duration_ms,
                                                  GError **error);
gboolean duet_group_state_set_timeout_duration(DuetGroupState *state, const char *duration,
                                               GError **error);
/* setTimeoutTimestamp: the key times out once the watermark passes timestamp_ms. Fails
 * (UNSUPPORTED) without an event-time timeout, (ILLEGAL_ARGUMENT) for a timestamp that is not
 * positive or is below the current watermark. */
gboolean duet_group_state_set_timeout_timestamp_ms(DuetGroupState *state, gint64 timestamp_ms,
                                                   GError **error);
/* Whether this call is for a timeout (no new rows). */
gboolean duet_group_state_has_timed_out(const DuetGroupState *state);
/* getCurrentProcessingTimeMs: the batch's timestamp. */
gint64 duet_group_state_current_processing_time_ms(const DuetGroupState *state);
/* getCurrentWatermarkMs: the watermark this batch evicts with. Fails (UNSUPPORTED) when the
 * input has no watermarked column. */
gboolean duet_group_state_current_watermark_ms(const DuetGroupState *state, gint64 *watermark_ms,
                                               GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(DuetKeyGroupedData, duet_key_grouped_data_free)

G_END_DECLS
