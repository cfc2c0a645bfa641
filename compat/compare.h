/* compare.h — the equivalence check: does a batch's DStream output match its Structured port?
 *
 * Layer: compat/. A comparer follows a side-by-side run batch by batch and judges each batch
 * by the relation the example declares (compat/example.h): the same rows, running totals of
 * DStream's per-batch counts, Structured's updated keys within DStream's full state, or
 * windows that differ by design (processing time against event time). Rows compare as
 * multisets of their text, since neither API orders its output.
 */
#pragma once

#include "compat/side_by_side.h"

G_BEGIN_DECLS

typedef enum {
    DUET_VERDICT_AGREE,    /* the relation holds */
    DUET_VERDICT_EXPECTED, /* they differ, for the reason the example documents */
    DUET_VERDICT_DIFFER,   /* they differ and should not: a bug in one of the halves */
    DUET_VERDICT_ONE_SIDE, /* only one API ran */
} DuetVerdict;

typedef struct _DuetComparer DuetComparer;

DuetComparer *duet_comparer_new(const DuetExample *example);
/* Judges one batch (batches in order); *reason gets a sentence saying why. */
DuetVerdict duet_comparer_check(DuetComparer *comparer, const DuetSideBySideBatch *batch,
                                char **reason);
const char *duet_verdict_name(DuetVerdict verdict);
void duet_comparer_free(DuetComparer *comparer);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(DuetComparer, duet_comparer_free)

G_END_DECLS
