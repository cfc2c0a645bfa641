/* structured_functions.h — the named user functions of the Structured conformance cases.
 *
 * Layer: compat/. The cases' map/flatMap steps name their Scala lambdas (identity, plus_1,
 * to_int, self_and_next, first_field, timestamp_to_epoch_ms_first, fail_once_on_4); these are
 * the same functions as C partition functions over the Dataset's columns; the cases' UDFs
 * and UDAFs (gapDuration, mySum) are registered like Spark users register theirs.
 */
#pragma once

#include "structured/dataframe.h"

G_BEGIN_DECLS

/* frame.map(f) / flatMap(f) for the function called name; f is the Scala text, for the
 * error when the name is unknown. */
DuetDataFrame *duet_structured_named_map(DuetDataFrame *frame, const char *name, const char *f,
                                         GError **error);

/* Registers the user-defined functions the cases name (gapDuration, mySum) as a Spark user
 * would with spark.udf.register. */
void duet_structured_register_case_functions(void);

G_END_DECLS
