/* recovery_child.c — the Kafka word count of word_count_app.h in a process of its own, for
 * test_recovery.c to kill with SIGKILL and start again.
 *
 * Usage: recovery_child BOOTSTRAPS TOPIC CHECKPOINT_DIR LAST_BATCH_MS. Gets or creates the
 * context from CHECKPOINT_DIR, drives its manual clock batch by batch up to LAST_BATCH_MS
 * (after a recovery, from the checkpoint time on) and prints "<time> <state>" for every batch
 * its output operation completes, flushed at once. Exits 0 when done, 1 on an error. It exits
 * by itself after 60 s whatever happens.
 */
#include "tests/common/word_count_app.h"

#include <stdio.h>
#include <unistd.h>

static void
print_batch(gint64 time_ms, const char *state, gpointer user_data)
{
    printf("%" G_GINT64_FORMAT " %s\n", time_ms, state);
    fflush(stdout);
}

int
main(int argc, char **argv)
{
    if (argc != 5) {
        fprintf(stderr, "usage: %s BOOTSTRAPS TOPIC CHECKPOINT_DIR LAST_BATCH_MS\n", argv[0]);
        return 1;
    }
    alarm(60);
    WordCountApp app = {
        .bootstraps = argv[1],
        .topic = argv[2],
        .checkpoint_dir = argv[3],
        .max_rate = "3",
        .state_interval_ms = 2000,
        .on_batch = print_batch,
    };
    gint64 last = g_ascii_strtoll(argv[4], NULL, 10);
    GError *error = NULL;
    DuetStreamingContext *ssc =
        duet_streaming_context_get_or_create(app.checkpoint_dir, app_create, &app, &error);
    if (ssc == NULL || !duet_streaming_context_start(ssc, &error)) {
        fprintf(stderr, "recovery_child: %s\n", error ? error->message : "no context");
        return 1;
    }
    /* after start the clock is at 0, or at the checkpoint time after a recovery */
    gint64 next = (duet_clock_now_ms(app.clock) / APP_BATCH_MS + 1) * APP_BATCH_MS;
    for (; next <= last; next += APP_BATCH_MS) {
        duet_clock_set_ms(app.clock, next);
        if (!duet_streaming_context_await_batch(ssc, next, 30000)) {
            fprintf(stderr, "recovery_child: batch %" G_GINT64_FORMAT " did not finish\n", next);
            return 1;
        }
    }
    duet_streaming_context_stop(ssc, FALSE);
    gboolean ok = TRUE;
    duet_streaming_context_await_termination(ssc, 0, &error);
    if (error != NULL) {
        fprintf(stderr, "recovery_child: %s\n", error->message);
        ok = FALSE;
        g_clear_error(&error);
    }
    duet_streaming_context_unref(ssc);
    app_clear(&app);
    return ok ? 0 : 1;
}
