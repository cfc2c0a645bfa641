/* svg_classes_main.c — `svg_classes FILE.svg`: an SVG's elements counted by class, for scripts.
 *
 * Layer: tests/compat. Parses FILE with GMarkup (svg_classes.c) and prints "CLASS COUNT" lines,
 * sorted by class; exits 1 with the parser's message when FILE is not well-formed XML or its
 * root is not <svg>, 2 on usage errors. Used by test_bench.sh on `duet bench --plot` output.
 */
#include "tests/compat/svg_classes.h"

#include <stdio.h>

int
main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: svg_classes FILE.svg\n");
        return 2;
    }
    g_autofree char *text = NULL;
    GError *error = NULL;
    if (!g_file_get_contents(argv[1], &text, NULL, &error)) {
        fprintf(stderr, "svg_classes: %s\n", error->message);
        g_error_free(error);
        return 1;
    }
    g_autoptr(GHashTable) classes = duet_test_svg_classes(text, &error);
    if (classes == NULL) {
        fprintf(stderr, "svg_classes: %s is not well-formed: %s\n", argv[1], error->message);
        g_error_free(error);
        return 1;
    }
    if (duet_test_svg_count(classes, "svg:root") != 1) {
        fprintf(stderr, "svg_classes: the root element of %s is not <svg>\n", argv[1]);
        return 1;
    }
    GList *names = g_list_sort(g_hash_table_get_keys(classes), (GCompareFunc)g_strcmp0);
    for (GList *name = names; name; name = name->next)
        printf("%s %d\n", (const char *)name->data, duet_test_svg_count(classes, name->data));
    g_list_free(names);
    return 0;
}
