/* conformance.c — the `duet conformance` command.
 *
 * Layer: compat/. Loads a cases.json file, runs its cases with the runner of their API and
 * prints `PASS id` / `FAIL id: why` per case and a final `N passed, N failed` line. Exit
 * status: 0 when nothing failed, 1 otherwise, 2 for usage errors. With --dump-json OUT it also
 * writes what every case produced to OUT as {"id": result, ...} (duet_conformance_dump).
 */
#include "compat/compat.h"
#include "compat/conformance.h"

#include <stdio.h>
#include <string.h>

/* The results of --dump-json, id -> object (NULL when not dumping). */
static JsonObject *dumped;

void
duet_conformance_dump(const char *id, JsonObject *result)
{
    if (dumped != NULL)
        json_object_set_object_member(dumped, id, result);
    else
        json_object_unref(result);
}

static gboolean
write_dump(const char *path, GError **error)
{
    g_autoptr(JsonGenerator) generator = json_generator_new();
    g_autoptr(JsonNode) root = json_node_new(JSON_NODE_OBJECT);
    json_node_set_object(root, dumped);
    json_generator_set_root(generator, root);
    return json_generator_to_file(generator, path, error);
}

/* "id reason..." per line; # starts a comment. */
static GHashTable *
load_known_failures(const char *path, GError **error)
{
    g_autofree char *text = NULL;
    if (!g_file_get_contents(path, &text, NULL, error))
        return NULL;
    GHashTable *known = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
    for (char **line = lines; *line; line++) {
        char *stripped = g_strstrip(*line);
        if (*stripped == '\0' || *stripped == '#')
            continue;
        char *space = strchr(stripped, ' ');
        if (space == NULL) {
            g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_INVAL,
                        "%s: the known failure %s needs a reason after its id", path, stripped);
            g_hash_table_unref(known);
            return NULL;
        }
        *space = '\0';
        g_hash_table_insert(known, g_strdup(stripped), g_strdup(g_strstrip(space + 1)));
    }
    return known;
}

static void
usage(FILE *out)
{
    fprintf(out, "usage: duet conformance FILE [--only ID_PREFIX] [--known-failures FILE]\n"
                 "                        [--dump-json OUT]\n"
                 "Replays the test vectors of FILE (../shared/conformance/*/cases.json) and\n"
                 "prints PASS/FAIL per case and a final \"N passed, N failed\" line.\n"
                 "--dump-json OUT writes what each case produced (its output batches) to OUT.\n");
}

int
duet_conformance_main(int argc, char **argv)
{
    const char *file = NULL, *only = NULL, *known_path = NULL, *dump_path = NULL;
    for (int arg = 1; arg < argc; arg++) {
        if (g_str_equal(argv[arg], "--help") || g_str_equal(argv[arg], "-h")) {
            usage(stdout);
            return 0;
        } else if (g_str_equal(argv[arg], "--only") && arg + 1 < argc) {
            only = argv[++arg];
        } else if (g_str_equal(argv[arg], "--known-failures") && arg + 1 < argc) {
            known_path = argv[++arg];
        } else if (g_str_equal(argv[arg], "--dump-json") && arg + 1 < argc) {
            dump_path = argv[++arg];
        } else if (argv[arg][0] != '-' && file == NULL) {
            file = argv[arg];
        } else {
            fprintf(stderr, "duet conformance: unexpected argument '%s'\n", argv[arg]);
            usage(stderr);
            return 2;
        }
    }
    if (file == NULL) {
        usage(stderr);
        return 2;
    }
    GError *error = NULL;
    g_autoptr(JsonParser) parser = json_parser_new();
    if (!json_parser_load_from_file(parser, file, &error)) {
        fprintf(stderr, "duet conformance: cannot read %s: %s\n", file, error->message);
        g_error_free(error);
        return 1;
    }
    JsonNode *root = json_parser_get_root(parser);
    if (root == NULL || !JSON_NODE_HOLDS_ARRAY(root)) {
        fprintf(stderr, "duet conformance: %s is not a JSON array of cases\n", file);
        return 1;
    }
    GHashTable *known = NULL;
    if (known_path != NULL && (known = load_known_failures(known_path, &error)) == NULL) {
        fprintf(stderr, "duet conformance: %s\n", error->message);
        g_error_free(error);
        return 2;
    }
    JsonArray *cases = json_node_get_array(root);
    if (dump_path != NULL)
        dumped = json_object_new();
    JsonArray *dstream_cases = json_array_new();
    JsonArray *structured_cases = json_array_new();
    guint passed = 0, failed = 0;
    for (guint index = 0; index < json_array_get_length(cases); index++) {
        JsonNode *node = json_array_get_element(cases, index);
        JsonObject *spec = json_node_get_object(node);
        json_array_add_element(json_object_has_member(spec, "pipeline") ? dstream_cases
                                                                        : structured_cases,
                               json_node_copy(node));
    }
    duet_dstream_conformance_run(dstream_cases, only, known, &passed, &failed);
    duet_structured_conformance_run(structured_cases, only, known, &passed, &failed);
    json_array_unref(structured_cases);
    json_array_unref(dstream_cases);
    if (known)
        g_hash_table_unref(known);
    printf("%u passed, %u failed\n", passed, failed);
    if (dumped != NULL) {
        gboolean written = write_dump(dump_path, &error);
        g_clear_pointer(&dumped, json_object_unref);
        if (!written) {
            fprintf(stderr, "duet conformance: cannot write %s: %s\n", dump_path, error->message);
            g_error_free(error);
            return 1;
        }
    }
    return failed == 0 ? 0 : 1;
}
