/* demo.c — `duet demo`: the main job on an embedded default.
 *
 * Layer: compat/. Running word counts of the bundled text (the Gettysburg Address), streamed
 * through one shared memory source into both APIs at once: the running_counts example
 * (updateStateByKey against a streaming aggregation), five batches of eight lines by default.
 * Everything `duet run` takes works here too (--batches, --source, --json, ...).
 */
#include "compat/compat.h"

#include <string.h>

int
duet_demo_main(int argc, char **argv)
{
    /* the text has 10 sentence lines: 8 a batch shows the counts growing, fits a terminal */
    GPtrArray *with_defaults = g_ptr_array_new();
    gboolean has_lines = FALSE, has_rows = FALSE;
    for (int arg = 0; arg < argc; arg++) {
        has_lines |= strcmp(argv[arg], "--lines") == 0;
        has_rows |= strcmp(argv[arg], "--rows") == 0;
        g_ptr_array_add(with_defaults, argv[arg]);
    }
    if (!has_lines) {
        g_ptr_array_add(with_defaults, "--lines");
        g_ptr_array_add(with_defaults, "8");
    }
    if (!has_rows) {
        g_ptr_array_add(with_defaults, "--rows");
        g_ptr_array_add(with_defaults, "10");
    }
    int status = duet_side_by_side_main("demo", (int)with_defaults->len,
                                        (char **)with_defaults->pdata, "running_counts");
    g_ptr_array_free(with_defaults, TRUE);
    return status;
}
