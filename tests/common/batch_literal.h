/* batch_literal.h — batches written as JSON in tests, and batches rendered back as text.
 *
 * Layer: tests/. duet_test_batch("key STRING, value INT", "[[\"a\", 1], [\"b\", null]]")
 * builds a batch from a DDL schema and a JSON array of rows (a one-column row may be a bare
 * value; arrays are JSON arrays; structs are arrays of their fields). Rendering uses Scala's
 * toString of each element (rdd/format.h), so expected values read like Spark's output:
 * "[(a,1), (b,null)]".
 */
#pragma once

#include "rdd/rdd.h"

/* Aborts the test binary on a malformed literal: a test bug, not a test failure. */
DuetBatch *duet_test_batch(const char *ddl, const char *json_rows);
/* "[e1, e2, ...]" in row order. (transfer full) */
char *duet_test_render(DuetBatch *batch);
/* The same with the elements sorted as strings: for outputs whose order is unspecified. */
char *duet_test_render_sorted(DuetBatch *batch);
/* Collects the RDD (asserting no error) and renders it, in order or sorted. */
char *duet_test_render_rdd(DuetRdd *rdd);
char *duet_test_render_rdd_sorted(DuetRdd *rdd);
/* "[[p0 elements], [p1 elements], ...]" per partition. */
char *duet_test_render_partitions(DuetRdd *rdd);
