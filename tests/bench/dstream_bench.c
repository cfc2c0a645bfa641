/* dstream_bench.c — network word count on the DStream API: throughput and per-batch latency.
 *
 * Layer: tests/bench (a benchmark, never run as a test). A sender thread writes lines of ten
 * words (from a 10k-word vocabulary) to a loopback TCP socket as fast as the receiver takes
 * them; the job is Spark's NetworkWordCount (socketTextStream -> flatMap(split) -> (w, 1) ->
 * reduceByKey) with a foreachRDD that collects the counts. It runs on the system clock for a
 * given duration per batch interval and prints records/s received and processed, and the
 * batches' processing time and total delay (p50, p95, max), and peak RSS. With --wal the
 * receiver write-ahead log is on (spark.streaming.receiver.writeAheadLog.enable, with a
 * checkpoint directory in a fresh temporary directory, removed afterwards): every block is
 * fsynced to the log before it counts, and the DStream checkpoint is written twice per batch.
 *
 * Usage: dstream_bench [--seconds 10] [--intervals 1000,100] [--master local[2]] [--wal]
 */
#include "dstream/receiver.h"
#include "rdd/atomic_file.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

typedef struct {
    int listener;
    gint quit;
} Sender;

static gpointer
send_words(gpointer data)
{
    Sender *sender = data;
    int client = accept(sender->listener, NULL, NULL);
    if (client < 0)
        return NULL;
    GString *chunk = g_string_new(NULL);
    guint64 state = 0x9E3779B97F4A7C15ull;
    while (!g_atomic_int_get(&sender->quit)) {
        g_string_truncate(chunk, 0);
        for (int line = 0; line < 1000; line++) {
            for (int word = 0; word < 10; word++) {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                g_string_append_printf(chunk, "%sw%u", word ? " " : "", (guint)(state % 10000));
            }
            g_string_append_c(chunk, '\n');
        }
        if (send(client, chunk->str, chunk->len, MSG_NOSIGNAL) < 0)
            break;
    }
    g_string_free(chunk, TRUE);
    close(client);
    return NULL;
}

static void
split_words(const DuetRow *row, DuetBatchBuilder *out, gpointer user_data)
{
    gsize length;
    const char *line = duet_row_get_string(row, 0, &length);
    gsize start = 0;
    for (gsize byte = 0; byte <= length; byte++) {
        if (byte == length || line[byte] == ' ') {
            if (byte > start) {
                duet_batch_builder_append_string(out, 0, line + start, (gssize)(byte - start));
                duet_batch_builder_append_int64(out, 1, 1);
            }
            start = byte + 1;
        }
    }
}

static void
add(const DuetValue *a, const DuetValue *b, DuetValue *out, gpointer user_data)
{
    *out = duet_value_int64(a->v.i64 + b->v.i64);
}

static gboolean
collect_counts(DuetRdd *rdd, gint64 time_ms, gpointer user_data, GError **error)
{
    gint64 keys = 0;
    return duet_rdd_count(rdd, &keys, error);
}

static int
compare_gint64(const void *a, const void *b)
{
    gint64 x = *(const gint64 *)a, y = *(const gint64 *)b;
    return (x > y) - (x < y);
}

static gint64
percentile(GArray *values, double fraction)
{
    if (values->len == 0)
        return 0;
    qsort(values->data, values->len, sizeof(gint64), compare_gint64);
    guint index = (guint)(fraction * (values->len - 1) + 0.5);
    return g_array_index(values, gint64, index);
}

static void
run(const char *master, gint64 interval_ms, int seconds, gboolean wal)
{
    Sender sender = {.listener = socket(AF_INET, SOCK_STREAM, 0)};
    struct sockaddr_in address = {.sin_family = AF_INET};
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(sender.listener, (struct sockaddr *)&address, sizeof address) != 0 ||
        listen(sender.listener, 1) != 0)
        g_error("cannot listen on loopback");
    socklen_t length = sizeof address;
    getsockname(sender.listener, (struct sockaddr *)&address, &length);
    GThread *thread = g_thread_new("sender", send_words, &sender);

    GError *error = NULL;
    g_autoptr(DuetContext) spark = duet_context_new(master, &error);
    g_autoptr(DuetStreamingContext) ssc = duet_streaming_context_new(spark, interval_ms, &error);
    g_autofree char *checkpoint = NULL;
    if (wal) {
        checkpoint = g_dir_make_tmp("duet-dstream-bench-XXXXXX", &error);
        if (checkpoint == NULL || !duet_streaming_context_checkpoint(ssc, checkpoint, &error))
            g_error("%s", error->message);
        duet_context_set_conf(spark, DUET_RECEIVER_WAL_ENABLE, "true");
    }
    g_autoptr(DuetDStream) lines =
        duet_streaming_context_socket_text_stream(ssc, "127.0.0.1", ntohs(address.sin_port));
    g_autoptr(DuetSchema) pairs_schema = duet_schema_parse("word STRING, n BIGINT", NULL);
    g_autoptr(DuetDStream) words = duet_dstream_flat_map(lines, pairs_schema, split_words, NULL);
    g_autoptr(DuetDStream) counts = duet_dstream_reduce_by_key(words, add, NULL, 0, &error);
    duet_dstream_foreach_rdd(counts, collect_counts, NULL);
    if (!duet_streaming_context_start(ssc, &error))
        g_error("%s", error->message);
    duet_streaming_context_await_termination(ssc, (gint64)seconds * 1000, &error);
    duet_streaming_context_stop(ssc, FALSE);
    g_atomic_int_set(&sender.quit, 1);
    close(sender.listener);
    g_thread_join(thread);

    GArray *infos = duet_streaming_context_batch_infos(ssc);
    GArray *processing = g_array_new(FALSE, FALSE, sizeof(gint64));
    GArray *total = g_array_new(FALSE, FALSE, sizeof(gint64));
    gint64 records = 0, busy_ms = 0;
    /* skip the first batch: it holds the connection set-up */
    for (guint batch = 1; batch < infos->len; batch++) {
        DuetBatchInfo *info = &g_array_index(infos, DuetBatchInfo, batch);
        gint64 processing_ms = duet_batch_info_processing_delay(info);
        gint64 total_ms = info->end_ms - info->batch_time_ms;
        g_array_append_val(processing, processing_ms);
        g_array_append_val(total, total_ms);
        records += info->num_records;
        busy_ms += processing_ms;
    }
    struct rusage usage;
    getrusage(RUSAGE_SELF, &usage);
    gint64 span_ms = (gint64)(infos->len > 1 ? infos->len - 1 : 1) * interval_ms;
    printf("%-5s %-9" G_GINT64_FORMAT " %7u %14.0f %14.0f %7" G_GINT64_FORMAT " %7" G_GINT64_FORMAT
           " %7" G_GINT64_FORMAT " %8" G_GINT64_FORMAT " %8" G_GINT64_FORMAT " %7ld MiB\n",
           wal ? "wal" : "-", interval_ms, infos->len, records * 1000.0 / (double)span_ms,
           busy_ms > 0 ? records * 1000.0 / (double)busy_ms : 0.0, percentile(processing, 0.5),
           percentile(processing, 0.95), percentile(processing, 1.0), percentile(total, 0.5),
           percentile(total, 0.95), usage.ru_maxrss / 1024);
    fflush(stdout);
    g_array_unref(processing);
    g_array_unref(total);
    g_array_unref(infos);
    duet_remove_tree(checkpoint);
}

int
main(int argc, char **argv)
{
    signal(SIGPIPE, SIG_IGN); /* the receiver closes first; the sender just stops */
    int seconds = 10;
    const char *intervals = "1000,100";
    const char *master = "local[2]";
    gboolean wal = FALSE;
    for (int arg = 1; arg < argc; arg += 2) {
        if (g_str_equal(argv[arg], "--wal")) {
            wal = TRUE;
            arg--;
        } else if (arg + 1 >= argc)
            break;
        else if (g_str_equal(argv[arg], "--seconds"))
            seconds = atoi(argv[arg + 1]);
        else if (g_str_equal(argv[arg], "--intervals"))
            intervals = argv[arg + 1];
        else if (g_str_equal(argv[arg], "--master"))
            master = argv[arg + 1];
    }
    printf("%-5s %-9s %7s %14s %14s %7s %7s %7s %8s %8s %10s\n", "log", "batch ms", "batches",
           "received rec/s", "processed/s", "proc50", "proc95", "procmax", "delay50", "delay95",
           "peak RSS");
    g_auto(GStrv) list = g_strsplit(intervals, ",", -1);
    for (char **interval = list; *interval; interval++)
        run(master, g_ascii_strtoll(*interval, NULL, 10), seconds, wal);
    return 0;
}
