/* wal_child.c — the socket word count of wal_app.h (receiver write-ahead log on) in a process of
 * its own, for test_receiver_wal.c to kill with SIGKILL and start again.
 *
 * Usage: wal_child PORT|ZMQ_ENDPOINT CHECKPOINT_DIR OUT_DIR KILL_AT_MS (a socketTextStream to
 * 127.0.0.1:PORT, or a ZeroMQ PULL source stream bound to ZMQ_ENDPOINT). Gets or creates the
 * context from CHECKPOINT_DIR (its output SIGKILLs the process at batch KILL_AT_MS when that is not
 * 0) and answers one line per command read on stdin: stored N   waits until this run's receiver
 * stored (or the ZeroMQ source received) N records                             -> "stored N" logged
 * N   waits until N of them are in the write-ahead log       -> "logged N" clock T    sets the
 * manual clock to T                             -> "clock T" batch T    sets the clock to T and
 * waits for the batch at T       -> "T <state>" await T    waits for the batch at T (a re-run after
 * a recovery)   -> "T <state>" time       the clock's time (after a recovery: the checkpoint's)  ->
 * "time T" quit       stops the context                                      -> "quit", exit 0 A
 * wait that times out answers "timeout". It exits by itself after 60 s whatever happens.
 */
#include "tests/dstream/wal_app.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

typedef struct {
    GMutex lock;
    GHashTable *states; /* gint64* time -> char* state */
} States;

static void
remember_state(gint64 time_ms, const char *state, gpointer user_data)
{
    States *states = user_data;
    gint64 *key = g_new(gint64, 1);
    *key = time_ms;
    g_mutex_lock(&states->lock);
    g_hash_table_replace(states->states, key, g_strdup(state));
    g_mutex_unlock(&states->lock);
}

static void
answer_batch(States *states, DuetStreamingContext *ssc, gint64 time_ms)
{
    if (!duet_streaming_context_await_batch(ssc, time_ms, 30000)) {
        printf("timeout\n");
        return;
    }
    g_mutex_lock(&states->lock);
    const char *state = g_hash_table_lookup(states->states, &time_ms);
    printf("%" G_GINT64_FORMAT " %s\n", time_ms, state ? state : "failed");
    g_mutex_unlock(&states->lock);
}

int
main(int argc, char **argv)
{
    if (argc != 5) {
        fprintf(stderr, "usage: %s PORT CHECKPOINT_DIR OUT_DIR KILL_AT_MS\n", argv[0]);
        return 1;
    }
    alarm(60);
    States states;
    g_mutex_init(&states.lock);
    states.states = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, g_free);
    gboolean zmq = strstr(argv[1], "://") != NULL;
    WalApp app = {
        .port = zmq ? 0 : (guint16)atoi(argv[1]),
        .zmq_endpoint = zmq ? argv[1] : NULL,
        .checkpoint_dir = argv[2],
        .out_dir = argv[3],
        .kill_at_ms = g_ascii_strtoll(argv[4], NULL, 10),
        .on_batch = remember_state,
        .user_data = &states,
    };
    GError *error = NULL;
    DuetStreamingContext *ssc =
        duet_streaming_context_get_or_create(app.checkpoint_dir, wal_app_create, &app, &error);
    if (ssc == NULL || !duet_streaming_context_start(ssc, &error)) {
        fprintf(stderr, "wal_child: %s\n", error ? error->message : "no context");
        return 1;
    }
    DuetReceiver *receiver = zmq ? NULL : duet_dstream_receiver(app.input);
    char line[256];
    while (fgets(line, sizeof line, stdin) != NULL) {
        char command[32] = "";
        gint64 value = 0;
        if (sscanf(line, "%31s %" G_GINT64_FORMAT, command, &value) < 1)
            continue;
        if (strcmp(command, "stored") == 0)
            printf((zmq ? duet_zmq_source_wait_messages(app.zmq, value, 30000)
                        : duet_receiver_wait_stored(receiver, value, 30000))
                       ? "stored %" G_GINT64_FORMAT "\n"
                       : "timeout\n",
                   value);
        else if (strcmp(command, "logged") == 0)
            printf(duet_dstream_wait_logged(app.input, value, 30000) ? "logged %" G_GINT64_FORMAT
                                                                       "\n"
                                                                     : "timeout\n",
                   value);
        else if (strcmp(command, "clock") == 0) {
            duet_clock_set_ms(app.clock, value);
            printf("clock %" G_GINT64_FORMAT "\n", value);
        } else if (strcmp(command, "batch") == 0) {
            duet_clock_set_ms(app.clock, value);
            answer_batch(&states, ssc, value);
        } else if (strcmp(command, "await") == 0)
            answer_batch(&states, ssc, value);
        else if (strcmp(command, "time") == 0)
            printf("time %" G_GINT64_FORMAT "\n", duet_clock_now_ms(app.clock));
        else if (strcmp(command, "quit") == 0)
            break;
        else
            printf("unknown command %s\n", command);
        fflush(stdout);
    }
    duet_streaming_context_stop(ssc, FALSE);
    gboolean ok = TRUE;
    duet_streaming_context_await_termination(ssc, 0, &error);
    if (error != NULL) {
        fprintf(stderr, "wal_child: %s\n", error->message);
        ok = FALSE;
        g_clear_error(&error);
    }
    duet_streaming_context_unref(ssc);
    wal_app_clear(&app);
    g_hash_table_unref(states.states);
    printf("quit\n");
    fflush(stdout);
    return ok ? 0 : 1;
}
