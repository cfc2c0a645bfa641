/* json_rows.h — rows as JSON values: building batches from JSON and rendering values as JSON.
 *
 * Layer: rdd/ (a codec, shared by the conformance runner, tests and later the JSON sources and
 * sinks). A row is a JSON array of its column values, or the bare value for a one-column
 * schema; arrays are JSON arrays, structs arrays of their fields, maps arrays of [key, value]
 * pairs; null is null. Rendering uses the same shapes, so rendering what was read gives back
 * equivalent JSON.
 */
#pragma once

#include "rdd/batch.h"

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/* Builds a batch of schema from rows (transfer none). Fails with DUET_BATCH_ERROR_SCHEMA
 * naming the row and column when a value does not fit its column. */
DuetBatch *duet_json_rows_to_batch(DuetSchema *schema, JsonArray *rows, GError **error);
/* The type of a JSON value as duet reads it: integers int (bigint when they do not fit),
 * fractional numbers double, strings string, booleans boolean, arrays of two or more values
 * of different types structs (_1, _2, ...), other arrays arrays of the first non-null
 * element's type; NULL for null (unknown). (transfer full) */
DuetDataType *duet_json_infer_type(JsonNode *node);
/* Appends the value as compact JSON. */
void duet_json_append_value(GString *out, const DuetValue *value);
/* Appends a row as JSON: the bare value for one column, an array otherwise. */
void duet_json_append_row(GString *out, const DuetRow *row);
/* Appends a parsed JSON node in the same compact form (for comparing with rendered rows). */
void duet_json_append_node(GString *out, JsonNode *node);

G_END_DECLS
