/* batch_io.h — a compact binary encoding of schemas and batches.
 *
 * Layer: rdd/. Used for RDD checkpoints, the state stores of both APIs and write-ahead logs:
 * little-endian, self-delimiting, every length checked on read so that damaged input is an
 * error (DUET_BATCH_ERROR_CORRUPT), never a crash. Batches of several schemas may follow one
 * another in one buffer.
 */
#pragma once

#include "rdd/batch.h"

G_BEGIN_DECLS

/* Appends the encoding of batch (schema included) to out. */
void duet_batch_serialize(const DuetBatch *batch, GByteArray *out);
/* Decodes one batch starting at *offset and advances *offset past it. */
DuetBatch *duet_batch_deserialize(const guint8 *data, gsize len, gsize *offset, GError **error);

G_END_DECLS
