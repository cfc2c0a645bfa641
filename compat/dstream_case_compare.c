/* dstream_case_compare.c — a DStream case's outputs checked against what it expects.
 *
 * Layer: compat/. Output batches are compared as the case says (list, set, multiset for hash
 * order, sorted by key, first n elements), after turning every element into canonical JSON;
 * also the state snapshots of mapWithState, the case's assertions (partitions per batch,
 * MapWithStateSuite's timeout properties), the expected error, and the answers of slice().
 */
#include "compat/dstream_case.h"
#include "rdd/json_rows.h"

#include <string.h>

/* Elements of a JSON batch "[e1,e2]" as canonical strings. */
static GPtrArray *
elements_of_node(JsonNode *batch)
{
    GPtrArray *elements = g_ptr_array_new_with_free_func(g_free);
    if (batch == NULL || !JSON_NODE_HOLDS_ARRAY(batch))
        return elements;
    JsonArray *array = json_node_get_array(batch);
    for (guint element = 0; element < json_array_get_length(array); element++) {
        GString *text = g_string_new(NULL);
        duet_json_append_node(text, json_array_get_element(array, element));
        g_ptr_array_add(elements, g_string_free(text, FALSE));
    }
    return elements;
}

static GPtrArray *
elements_of_text(const char *json)
{
    g_autoptr(JsonParser) parser = json_parser_new();
    json_parser_load_from_data(parser, json, -1, NULL);
    return elements_of_node(json_parser_get_root(parser));
}

static gint
compare_strings(gconstpointer a, gconstpointer b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The first field of an element's canonical JSON (the key of a pair). */
static char *
key_of(const char *element)
{
    g_autoptr(JsonParser) parser = json_parser_new();
    json_parser_load_from_data(parser, element, -1, NULL);
    JsonNode *root = json_parser_get_root(parser);
    GString *text = g_string_new(NULL);
    if (root && JSON_NODE_HOLDS_ARRAY(root) && json_array_get_length(json_node_get_array(root)))
        duet_json_append_node(text, json_array_get_element(json_node_get_array(root), 0));
    else
        g_string_append(text, element);
    return g_string_free(text, FALSE);
}

static gint
compare_keys(gconstpointer a, gconstpointer b)
{
    g_autofree char *left = key_of(*(char *const *)a);
    g_autofree char *right = key_of(*(char *const *)b);
    return strcmp(left, right);
}

static void
normalise(GPtrArray *elements, const char *mode)
{
    if (g_str_equal(mode, "list"))
        return;
    if (g_str_equal(mode, "sorted_by_key")) {
        g_ptr_array_sort(elements, compare_keys); /* GLib's sort is stable */
        return;
    }
    g_ptr_array_sort(elements, compare_strings);
    if (g_str_equal(mode, "set")) {
        for (guint element = 1; element < elements->len;) {
            if (strcmp(elements->pdata[element], elements->pdata[element - 1]) == 0)
                g_ptr_array_remove_index(elements, element);
            else
                element++;
        }
    }
}

static char *
join_elements(GPtrArray *elements)
{
    GString *text = g_string_new("[");
    for (guint element = 0; element < elements->len; element++)
        g_string_append_printf(text, "%s%s", element ? "," : "", (char *)elements->pdata[element]);
    g_string_append_c(text, ']');
    return g_string_free(text, FALSE);
}

const char *
dc_string_member(JsonObject *object, const char *member, const char *fallback)
{
    if (object == NULL || !json_object_has_member(object, member) ||
        json_object_get_null_member(object, member))
        return fallback;
    return json_object_get_string_member(object, member);
}

static gboolean
bool_member(JsonObject *object, const char *member)
{
    return json_object_has_member(object, member) && !json_object_get_null_member(object, member) &&
           json_object_get_boolean_member(object, member);
}

/* Compares the collected outputs with the first n_expected batches of "expected" (all of
 * them when n_expected is G_MAXUINT). */
gboolean
dc_compare_outputs(Case *c, guint n_expected_limit)
{
    JsonArray *expected = json_object_get_array_member(c->spec, "expected");
    const char *mode = dc_string_member(c->spec, "compare", "list");
    if (bool_member(c->spec, "hash_order") && g_str_equal(mode, "list"))
        mode = "multiset";
    GPtrArray *actual = g_ptr_array_new();
    for (guint output = 0; output < c->outputs->len; output++) {
        if (bool_member(c->spec, "skip_empty_output_batches") &&
            g_str_equal(c->outputs->pdata[output], "[]"))
            continue;
        g_ptr_array_add(actual, c->outputs->pdata[output]);
    }
    gboolean ok = TRUE;
    if (g_str_equal(mode, "take_flat")) {
        /* the first n elements over all batches */
        GPtrArray *flat = g_ptr_array_new_with_free_func(g_free);
        for (guint output = 0; output < actual->len; output++) {
            GPtrArray *elements = elements_of_text(actual->pdata[output]);
            for (guint element = 0; element < elements->len; element++)
                g_ptr_array_add(flat, g_strdup(elements->pdata[element]));
            g_ptr_array_unref(elements);
        }
        GPtrArray *want = g_ptr_array_new_with_free_func(g_free);
        for (guint batch = 0; batch < json_array_get_length(expected); batch++) {
            GPtrArray *elements = elements_of_node(json_array_get_element(expected, batch));
            for (guint element = 0; element < elements->len; element++)
                g_ptr_array_add(want, g_strdup(elements->pdata[element]));
            g_ptr_array_unref(elements);
        }
        g_ptr_array_set_size(flat, MIN(flat->len, want->len));
        g_autofree char *got = join_elements(flat);
        g_autofree char *wanted = join_elements(want);
        if (strcmp(got, wanted) != 0) {
            g_string_append_printf(c->failure, "first elements %s, expected %s", got, wanted);
            ok = FALSE;
        }
        g_ptr_array_unref(flat);
        g_ptr_array_unref(want);
        g_ptr_array_unref(actual);
        return ok;
    }
    guint n_expected = MIN(json_array_get_length(expected), n_expected_limit);
    if (actual->len < n_expected) {
        g_string_append_printf(c->failure, "%u output batches, expected %u", actual->len,
                               n_expected);
        ok = FALSE;
    }
    for (guint batch = 0; ok && batch < n_expected; batch++) {
        GPtrArray *want = elements_of_node(json_array_get_element(expected, batch));
        GPtrArray *got = elements_of_text(actual->pdata[batch]);
        normalise(want, mode);
        normalise(got, mode);
        g_autofree char *want_text = join_elements(want);
        g_autofree char *got_text = join_elements(got);
        if (strcmp(want_text, got_text) != 0) {
            g_string_append_printf(c->failure, "batch %u (%s): got %s, expected %s", batch + 1,
                                   mode, got_text, want_text);
            ok = FALSE;
        }
        g_ptr_array_unref(want);
        g_ptr_array_unref(got);
    }
    g_ptr_array_unref(actual);
    return ok;
}

/* Compares the state snapshots with expected_state_snapshots, per batch as sets. */
gboolean
dc_compare_snapshots(Case *c)
{
    if (!json_object_has_member(c->spec, "expected_state_snapshots"))
        return TRUE;
    JsonArray *expected = json_object_get_array_member(c->spec, "expected_state_snapshots");
    guint n = json_array_get_length(expected);
    if (c->snapshots->len < n) {
        g_string_append_printf(c->failure, "%u state snapshots, expected %u", c->snapshots->len, n);
        return FALSE;
    }
    for (guint batch = 0; batch < n; batch++) {
        GPtrArray *want = elements_of_node(json_array_get_element(expected, batch));
        GPtrArray *got = elements_of_text(c->snapshots->pdata[batch]);
        normalise(want, "set");
        normalise(got, "set");
        g_autofree char *want_text = join_elements(want);
        g_autofree char *got_text = join_elements(got);
        g_ptr_array_unref(want);
        g_ptr_array_unref(got);
        if (strcmp(want_text, got_text) != 0) {
            g_string_append_printf(c->failure, "state snapshot %u: got %s, expected %s", batch + 1,
                                   got_text, want_text);
            return FALSE;
        }
    }
    return TRUE;
}

/* The set of elements of a JSON text, normalised. */
static char *
set_text(const char *json)
{
    GPtrArray *elements = elements_of_text(json);
    normalise(elements, "set");
    char *text = join_elements(elements);
    g_ptr_array_unref(elements);
    return text;
}

static char *
node_set_text(JsonNode *node)
{
    GPtrArray *elements = elements_of_node(node);
    normalise(elements, "set");
    char *text = join_elements(elements);
    g_ptr_array_unref(elements);
    return text;
}

/* The mapWithState timeout properties of MapWithStateSuite. */
static gboolean
check_state_assertion(Case *c, const char *kind, JsonNode *value)
{
    g_autofree char *want = node_set_text(value);
    if (g_str_equal(kind, "flattened_outputs_sorted_equal")) {
        GPtrArray *all = g_ptr_array_new_with_free_func(g_free);
        for (guint output = 0; output < c->outputs->len; output++) {
            GPtrArray *elements = elements_of_text(c->outputs->pdata[output]);
            for (guint element = 0; element < elements->len; element++)
                g_ptr_array_add(all, g_strdup(elements->pdata[element]));
            g_ptr_array_unref(elements);
        }
        normalise(all, "multiset");
        GPtrArray *wanted = elements_of_node(value);
        normalise(wanted, "multiset");
        g_autofree char *got = join_elements(all);
        g_autofree char *expected = join_elements(wanted);
        g_ptr_array_unref(all);
        g_ptr_array_unref(wanted);
        if (strcmp(got, expected) != 0) {
            g_string_append_printf(c->failure, "outputs %s, expected %s", got, expected);
            return FALSE;
        }
        return TRUE;
    }
    if (g_str_equal(kind, "some_state_snapshot_set_equal")) {
        for (guint batch = 0; batch < c->snapshots->len; batch++) {
            g_autofree char *got = set_text(c->snapshots->pdata[batch]);
            if (g_str_equal(got, want))
                return TRUE;
        }
        g_string_append_printf(c->failure, "no state snapshot equals %s", want);
        return FALSE;
    }
    if (g_str_equal(kind, "last_state_snapshot_set_equal")) {
        g_autofree char *got = c->snapshots->len
                                   ? set_text(c->snapshots->pdata[c->snapshots->len - 1])
                                   : g_strdup("[]");
        if (!g_str_equal(got, want)) {
            g_string_append_printf(c->failure, "last state snapshot %s, expected %s", got, want);
            return FALSE;
        }
        return TRUE;
    }
    g_string_append_printf(c->failure, "unsupported assertion %s", kind);
    return FALSE;
}

/* Checks the case's assertions. */
gboolean
dc_check_assertions(Case *c)
{
    if (!json_object_has_member(c->spec, "assertions"))
        return TRUE;
    JsonArray *assertions = json_object_get_array_member(c->spec, "assertions");
    for (guint index = 0; index < json_array_get_length(assertions); index++) {
        JsonObject *assertion = json_node_get_object(json_array_get_element(assertions, index));
        const char *kind = dc_string_member(assertion, "kind", "");
        if (!g_str_equal(kind, "num_partitions")) {
            if (!check_state_assertion(c, kind, json_object_get_member(assertion, "value")))
                return FALSE;
            continue;
        }
        JsonArray *per_batch = json_object_get_array_member(assertion, "per_batch");
        for (guint batch = 0; batch < json_array_get_length(per_batch); batch++) {
            guint want = (guint)json_array_get_int_element(per_batch, batch);
            guint got = batch < c->output_partitions->len
                            ? GPOINTER_TO_UINT(c->output_partitions->pdata[batch])
                            : 0;
            if (want != got) {
                g_string_append_printf(c->failure, "batch %u has %u partitions, expected %u",
                                       batch + 1, got, want);
                return FALSE;
            }
        }
    }
    return TRUE;
}

gboolean
dc_check_error(Case *c, const GError *error)
{
    JsonObject *expected = json_object_get_object_member(c->spec, "expected_error");
    if (error == NULL) {
        g_string_append(c->failure, "expected an error, the run succeeded");
        return FALSE;
    }
    const char *contains = dc_string_member(expected, "message_contains", NULL);
    if (contains != NULL && strstr(error->message, contains) == NULL) {
        g_string_append_printf(c->failure, "error \"%s\" does not contain \"%s\"", error->message,
                               contains);
        return FALSE;
    }
    return TRUE;
}

gboolean
dc_run_slices(Case *c, DuetDStream *stream, gboolean started)
{
    JsonArray *queries = json_object_get_array_member(c->spec, "slice_queries");
    for (guint index = 0; index < json_array_get_length(queries); index++) {
        JsonObject *query = json_node_get_object(json_array_get_element(queries, index));
        gint64 zero = 0;
        GError *error = NULL;
        GPtrArray *rdds =
            duet_dstream_slice(stream, zero + json_object_get_int_member(query, "from_ms"),
                               zero + json_object_get_int_member(query, "to_ms"), &error);
        if (json_object_has_member(query, "expected_error")) {
            JsonObject *expected = json_object_get_object_member(query, "expected_error");
            const char *contains = dc_string_member(expected, "message_contains", "");
            gboolean ok = error != NULL && strstr(error->message, contains) != NULL;
            if (!ok)
                g_string_append_printf(c->failure, "slice: expected an error containing \"%s\"",
                                       contains);
            g_clear_error(&error);
            if (rdds)
                g_ptr_array_unref(rdds);
            if (!ok)
                return FALSE;
            continue;
        }
        if (rdds == NULL) {
            g_string_append_printf(c->failure, "slice failed: %s", error->message);
            g_error_free(error);
            return FALSE;
        }
        GPtrArray *got = g_ptr_array_new_with_free_func(g_free);
        for (guint rdd = 0; rdd < rdds->len; rdd++) {
            g_autoptr(DuetBatch) batch = duet_rdd_collect(rdds->pdata[rdd], NULL);
            for (gsize row_idx = 0; batch && row_idx < duet_batch_n_rows(batch); row_idx++) {
                GString *text = g_string_new(NULL);
                DuetRow row = duet_batch_row(batch, row_idx);
                duet_json_append_row(text, &row);
                g_ptr_array_add(got, g_string_free(text, FALSE));
            }
        }
        GPtrArray *want = elements_of_node(json_object_get_member(query, "expected_set"));
        normalise(got, "set");
        normalise(want, "set");
        g_autofree char *got_text = join_elements(got);
        g_autofree char *want_text = join_elements(want);
        gboolean ok = strcmp(got_text, want_text) == 0;
        if (!ok)
            g_string_append_printf(c->failure, "slice %d: got %s, expected %s", index, got_text,
                                   want_text);
        g_ptr_array_unref(got);
        g_ptr_array_unref(want);
        g_ptr_array_unref(rdds);
        if (!ok)
            return FALSE;
    }
    (void)started;
    return TRUE;
}

/* Runs one case; TRUE when it passes. */
