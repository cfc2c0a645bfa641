/* compare.c — the equivalence check between a DStream program and its Structured port.
 *
 * Layer: compat/. See compare.h. Each relation is checked exactly: rows become their Scala
 * text ("(cat,3)"), and multisets of texts are compared, so a difference names the rows.
 */
#include "compat/compare.h"

#include "rdd/format.h"

struct _DuetComparer {
    const DuetExample *example;
    GHashTable *running;  /* RUNNING_TOTALS: key text -> gint64* sum of DStream's counts */
    GHashTable *previous; /* UPDATED_KEYS: DStream's rows of the previous batch -> count */
};

DuetComparer *
duet_comparer_new(const DuetExample *example)
{
    DuetComparer *comparer = g_new0(DuetComparer, 1);
    comparer->example = example;
    comparer->running = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    comparer->previous = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    return comparer;
}

void
duet_comparer_free(DuetComparer *comparer)
{
    if (comparer == NULL)
        return;
    g_hash_table_unref(comparer->running);
    g_hash_table_unref(comparer->previous);
    g_free(comparer);
}

const char *
duet_verdict_name(DuetVerdict verdict)
{
    static const char *const names[] = {"agree", "differ as expected", "DIFFER", "one API"};
    return names[verdict];
}

/* A multiset of row texts: text -> count. */
static GHashTable *
multiset_of(DuetBatch *rows)
{
    GHashTable *set = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    gsize n_rows = rows ? duet_batch_n_rows(rows) : 0;
    g_autoptr(GString) text = g_string_new(NULL);
    for (gsize row_idx = 0; row_idx < n_rows; row_idx++) {
        DuetRow row = duet_batch_row(rows, row_idx);
        g_string_truncate(text, 0);
        duet_format_row(text, &row, DUET_FORMAT_SCALA);
        gpointer count = g_hash_table_lookup(set, text->str);
        g_hash_table_replace(set, g_strdup(text->str),
                             GSIZE_TO_POINTER(GPOINTER_TO_SIZE(count) + 1));
    }
    return set;
}

/* Rows of a that b lacks (as many as a has more), as "(cat,3), (dog,1)"; at most 5 named. */
static char *
missing_from(GHashTable *a, GHashTable *b, guint *n_missing)
{
    g_autoptr(GString) text = g_string_new(NULL);
    g_autoptr(GList) keys = g_list_sort(g_hash_table_get_keys(a), (GCompareFunc)strcmp);
    *n_missing = 0;
    for (GList *key = keys; key; key = key->next) {
        gsize in_a = GPOINTER_TO_SIZE(g_hash_table_lookup(a, key->data));
        gsize in_b = GPOINTER_TO_SIZE(g_hash_table_lookup(b, key->data));
        for (gsize extra = in_b; extra < in_a; extra++) {
            if (++*n_missing <= 5)
                g_string_append_printf(text, "%s%s", text->len ? ", " : "", (char *)key->data);
        }
    }
    if (*n_missing > 5)
        g_string_append_printf(text, " and %u more", *n_missing - 5);
    return g_string_free(g_steal_pointer(&text), FALSE);
}

/* Whether two multisets are equal; else *reason names the rows on one side only. */
static gboolean
same_rows(GHashTable *dstream, GHashTable *structured, char **reason)
{
    guint only_dstream, only_structured;
    g_autofree char *dstream_extra = missing_from(dstream, structured, &only_dstream);
    g_autofree char *structured_extra = missing_from(structured, dstream, &only_structured);
    if (only_dstream == 0 && only_structured == 0)
        return TRUE;
    *reason =
        g_strdup_printf("only DStream: %s%s; only Structured: %s%s", only_dstream ? "" : "none",
                        dstream_extra, only_structured ? "" : "none", structured_extra);
    return FALSE;
}

/* The key of a (key..., count) row: every column but the last, as text. */
static char *
key_of(const DuetRow *row, guint n_columns)
{
    GString *text = g_string_new(NULL);
    for (guint column = 0; column + 1 < n_columns; column++) {
        DuetValue value;
        duet_row_get_value(row, column, &value);
        if (column > 0)
            g_string_append_c(text, ',');
        duet_format_value(text, &value, DUET_FORMAT_SCALA);
    }
    return g_string_free(text, FALSE);
}

/* Adds DStream's batch counts to the running sums, then renders the sums as (key,sum) rows. */
static GHashTable *
running_totals(DuetComparer *comparer, DuetBatch *counts)
{
    gsize n_rows = counts ? duet_batch_n_rows(counts) : 0;
    guint n_columns = counts ? duet_schema_n_fields(duet_batch_schema(counts)) : 0;
    for (gsize row_idx = 0; row_idx < n_rows; row_idx++) {
        DuetRow row = duet_batch_row(counts, row_idx);
        char *key = key_of(&row, n_columns);
        gint64 *sum = g_hash_table_lookup(comparer->running, key);
        if (sum == NULL) {
            sum = g_new0(gint64, 1);
            g_hash_table_insert(comparer->running, key, sum);
        } else {
            g_free(key);
        }
        *sum += duet_row_get_int64(&row, n_columns - 1);
    }
    GHashTable *rows = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    GHashTableIter iter;
    gpointer key, sum;
    g_hash_table_iter_init(&iter, comparer->running);
    while (g_hash_table_iter_next(&iter, &key, &sum)) {
        /* a keyless count (groupBy().count()) is the bare number, as its one-column row */
        char *text = *(char *)key
                         ? g_strdup_printf("(%s,%" G_GINT64_FORMAT ")", (char *)key, *(gint64 *)sum)
                         : g_strdup_printf("%" G_GINT64_FORMAT, *(gint64 *)sum);
        g_hash_table_replace(rows, text, GSIZE_TO_POINTER(1));
    }
    return rows;
}

/* UPDATED_KEYS: Structured's rows all in DStream's, and DStream's others unchanged. */
static DuetVerdict
check_updated_keys(DuetComparer *comparer, GHashTable *dstream, GHashTable *structured,
                   char **reason)
{
    guint n_missing, n_changed = 0;
    g_autofree char *missing = missing_from(structured, dstream, &n_missing);
    GHashTableIter iter;
    gpointer row;
    g_hash_table_iter_init(&iter, dstream);
    while (g_hash_table_iter_next(&iter, &row, NULL)) {
        if (!g_hash_table_contains(structured, row) &&
            !g_hash_table_contains(comparer->previous, row))
            n_changed++;
    }
    g_hash_table_remove_all(comparer->previous);
    g_hash_table_iter_init(&iter, dstream);
    while (g_hash_table_iter_next(&iter, &row, NULL))
        g_hash_table_add(comparer->previous, g_strdup(row));
    if (n_missing > 0) {
        *reason = g_strdup_printf("Structured printed rows DStream's state lacks: %s", missing);
        return DUET_VERDICT_DIFFER;
    }
    if (n_changed > 0) {
        *reason = g_strdup_printf("%u of DStream's rows changed this batch but Structured's "
                                  "update mode did not print them",
                                  n_changed);
        return DUET_VERDICT_DIFFER;
    }
    *reason = g_strdup_printf("Structured's %u updated rows are in DStream's %u; the rest did "
                              "not change (update mode prints only changed keys)",
                              g_hash_table_size(structured), g_hash_table_size(dstream));
    return DUET_VERDICT_AGREE;
}

/* Whether both batches list the same rows in the same order (given they are equal as
 * multisets). */
static gboolean
same_order(DuetBatch *a, DuetBatch *b)
{
    gsize n_rows = a ? duet_batch_n_rows(a) : 0;
    g_autoptr(GString) left = g_string_new(NULL);
    g_autoptr(GString) right = g_string_new(NULL);
    for (gsize row_idx = 0; row_idx < n_rows; row_idx++) {
        DuetRow row_a = duet_batch_row(a, row_idx), row_b = duet_batch_row(b, row_idx);
        g_string_truncate(left, 0);
        g_string_truncate(right, 0);
        duet_format_row(left, &row_a, DUET_FORMAT_SCALA);
        duet_format_row(right, &row_b, DUET_FORMAT_SCALA);
        if (!g_str_equal(left->str, right->str))
            return FALSE;
    }
    return TRUE;
}

DuetVerdict
duet_comparer_check(DuetComparer *comparer, const DuetSideBySideBatch *batch, char **reason)
{
    *reason = NULL;
    if (!batch->dstream.ran || !batch->structured.ran) {
        *reason = g_strdup("only one API ran: nothing to compare");
        return DUET_VERDICT_ONE_SIDE;
    }
    g_autoptr(GHashTable) dstream = multiset_of(batch->dstream.rows);
    g_autoptr(GHashTable) structured = multiset_of(batch->structured.rows);
    switch (comparer->example->relation) {
    case DUET_EXAMPLE_SAME_ROWS:
        if (same_rows(dstream, structured, reason))
            break;
        return DUET_VERDICT_DIFFER;
    case DUET_EXAMPLE_RUNNING_TOTALS: {
        g_autoptr(GHashTable) totals = running_totals(comparer, batch->dstream.rows);
        if (batch->structured.rows == NULL && g_hash_table_size(totals) > 0 &&
            g_hash_table_size(dstream) == 0) {
            *reason = g_strdup("no new input: Structured ran no batch, DStream's counts are "
                               "empty, the totals stand");
            return DUET_VERDICT_AGREE;
        }
        if (!same_rows(totals, structured, reason)) {
            g_autofree char *rows = *reason;
            *reason =
                g_strdup_printf("DStream's running sum against Structured's totals: %s", rows);
            return DUET_VERDICT_DIFFER;
        }
        *reason = g_strdup_printf("the sum of DStream's per-batch counts so far equals "
                                  "Structured's %u running totals",
                                  g_hash_table_size(structured));
        return DUET_VERDICT_AGREE;
    }
    case DUET_EXAMPLE_UPDATED_KEYS:
        return check_updated_keys(comparer, dstream, structured, reason);
    case DUET_EXAMPLE_WINDOWS: {
        g_autofree char *ignored = NULL;
        if (same_rows(dstream, structured, &ignored))
            break;
        g_autoptr(GString) why = g_string_new(NULL);
        g_string_printf(why,
                        "DStream's window holds %u rows of the last batches (processing time); "
                        "Structured updated %u event-time windows",
                        g_hash_table_size(dstream), g_hash_table_size(structured));
        if (batch->structured.late_rows > 0)
            g_string_append_printf(why, "; its watermark dropped %" G_GINT64_FORMAT " late rows",
                                   batch->structured.late_rows);
        *reason = g_string_free(g_steal_pointer(&why), FALSE);
        return DUET_VERDICT_EXPECTED;
    }
    }
    gsize n_rows = batch->dstream.rows ? duet_batch_n_rows(batch->dstream.rows) : 0;
    *reason = same_order(batch->dstream.rows, batch->structured.rows)
                  ? g_strdup_printf("the same %zu rows", n_rows)
                  : g_strdup_printf("the same %zu rows, in another order (neither API orders "
                                    "its output)",
                                    n_rows);
    return DUET_VERDICT_AGREE;
}
