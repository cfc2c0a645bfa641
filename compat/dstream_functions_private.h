/* dstream_functions_private.h — what the files of the named-function registry share
 * (dstream_functions.c and dstream_functions_*.c).
 *
 * Layer: compat/ private.
 */
#pragma once

#include "compat/dstream_functions.h"

G_BEGIN_DECLS

/* The message of the suites' functions that throw. */
#define DF_SPECIAL_ERROR "This is a special error"

/* One family's entries of the registry, in registry order. */
typedef struct {
    const DuetNamedFunction *functions; /* the entries */
    gsize n_functions;                  /* how many */
} DfFamily;

/* dstream_functions_element.c: map, flatMap, filter, values, partition and reduce functions. */
extern const DfFamily df_element_family;
/* dstream_functions_rdd_state.c: RDD-level, updateStateByKey and mapWithState functions. */
extern const DfFamily df_rdd_state_family;

/* dstream_functions.c: output schemas (transfer full) and integer values of either width. */
DuetSchema *df_single(DuetTypeId id);
DuetSchema *df_pair_of(DuetDataType *key, DuetDataType *value);
DuetSchema *df_schema_string(DuetSchema *input);
DuetSchema *df_schema_second(DuetSchema *input);
gint64 df_int_of(const DuetValue *value);
/* Appends an integer to a column of int or bigint. */
void df_append_int(DuetColumnBuilder *builder, gint64 value);
void df_append_string(DuetColumnBuilder *builder, const char *data, gsize len);

/* dstream_functions_element.c: element functions the RDD-level ones reuse. */
void df_to_string(const DuetRow *row, DuetBatchBuilder *out, gpointer user_data);
/* Appends the first column plus amount. */
void df_plus(const DuetRow *row, DuetBatchBuilder *out, gint64 amount);

G_END_DECLS
