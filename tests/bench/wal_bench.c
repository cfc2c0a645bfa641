/* wal_bench.c — what the receiver write-ahead log costs: blocks of text lines encoded and
 * appended (fsynced) to a dstream/write_ahead_log.h log, then read back as recovery does.
 *
 * Layer: tests/bench (a benchmark, never run as a test). Blocks of --lines lines (ten words of
 * about 5 bytes, as dstream_bench's sender writes) are built before timing. Timed: encoding each
 * block (rdd/batch_io.h) and writing it (one write + fsync per block, as a receiver does every
 * block interval), then reading every block back by its segment and decoding it. Prints lines/s,
 * MB/s of log and the write latency per block (p50, p95, max). The log goes to a fresh temporary
 * directory (--dir to choose the file system), removed afterwards.
 *
 * Usage: wal_bench [--blocks 50] [--lines 100000] [--dir /tmp]
 */
#include "dstream/write_ahead_log.h"
#include "rdd/atomic_file.h"
#include "rdd/batch_io.h"

#include <stdio.h>
#include <stdlib.h>

static int
compare_gint64(const void *a, const void *b)
{
    gint64 x = *(const gint64 *)a, y = *(const gint64 *)b;
    return (x > y) - (x < y);
}

int
main(int argc, char **argv)
{
    gint64 n_blocks = 50, n_lines = 100000;
    const char *parent = g_get_tmp_dir();
    for (int arg = 1; arg + 1 < argc; arg += 2) {
        if (g_str_equal(argv[arg], "--blocks"))
            n_blocks = g_ascii_strtoll(argv[arg + 1], NULL, 10);
        else if (g_str_equal(argv[arg], "--lines"))
            n_lines = g_ascii_strtoll(argv[arg + 1], NULL, 10);
        else if (g_str_equal(argv[arg], "--dir"))
            parent = argv[arg + 1];
    }
    g_autofree char *template = g_build_filename(parent, "duet-wal-bench-XXXXXX", NULL);
    char *dir = g_mkdtemp(template);
    if (dir == NULL || n_blocks <= 0 || n_lines <= 0)
        g_error("wal_bench: cannot make a directory in %s, or bad arguments", parent);
    g_autoptr(DuetSchema) schema = duet_schema_parse("value STRING", NULL);
    GPtrArray *blocks = g_ptr_array_new_with_free_func((GDestroyNotify)duet_batch_unref);
    guint64 state = 0x9E3779B97F4A7C15ull;
    GString *line = g_string_new(NULL);
    for (gint64 block = 0; block < n_blocks; block++) {
        DuetBatchBuilder *builder = duet_batch_builder_new(schema, (gsize)n_lines);
        for (gint64 row = 0; row < n_lines; row++) {
            g_string_truncate(line, 0);
            for (int word = 0; word < 10; word++) {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                g_string_append_printf(line, "%sw%u", word ? " " : "", (guint)(state % 10000));
            }
            duet_batch_builder_append_string(builder, 0, line->str, (gssize)line->len);
        }
        g_ptr_array_add(blocks, duet_batch_builder_finish(builder, NULL));
        duet_batch_builder_free(builder);
    }
    g_string_free(line, TRUE);

    GError *error = NULL;
    DuetWriteAheadLog *log = duet_write_ahead_log_open(dir, 60000, &error);
    if (log == NULL)
        g_error("wal_bench: %s", error->message);
    DuetWalSegment *segments = g_new0(DuetWalSegment, n_blocks);
    GArray *latencies = g_array_new(FALSE, FALSE, sizeof(gint64));
    gint64 bytes = 0, started = g_get_monotonic_time();
    for (gint64 block = 0; block < n_blocks; block++) {
        gint64 block_started = g_get_monotonic_time();
        GByteArray *encoded = g_byte_array_new();
        duet_batch_serialize(g_ptr_array_index(blocks, block), encoded);
        if (!duet_write_ahead_log_write(log, encoded->data, encoded->len, 0, &segments[block],
                                        &error))
            g_error("wal_bench: %s", error->message);
        bytes += encoded->len;
        g_byte_array_unref(encoded);
        gint64 latency = g_get_monotonic_time() - block_started;
        g_array_append_val(latencies, latency);
    }
    gdouble written = (g_get_monotonic_time() - started) / 1e6;
    started = g_get_monotonic_time();
    gint64 rows = 0;
    for (gint64 block = 0; block < n_blocks; block++) {
        g_autoptr(GBytes) record = duet_write_ahead_log_read_segment(&segments[block], &error);
        gsize len = 0, offset = 0;
        const guint8 *data = record ? g_bytes_get_data(record, &len) : NULL;
        DuetBatch *batch = record ? duet_batch_deserialize(data, len, &offset, &error) : NULL;
        if (batch == NULL)
            g_error("wal_bench: %s", error->message);
        rows += (gint64)duet_batch_n_rows(batch);
        duet_batch_unref(batch);
    }
    gdouble read = (g_get_monotonic_time() - started) / 1e6;
    if (rows != n_blocks * n_lines)
        g_error("wal_bench: read back %" G_GINT64_FORMAT " rows", rows);
    qsort(latencies->data, latencies->len, sizeof(gint64), compare_gint64);
    gint64 total_lines = n_blocks * n_lines;
    printf("wal_bench: %" G_GINT64_FORMAT " blocks of %" G_GINT64_FORMAT
           " lines (%.1f MB of log) in %s\n",
           n_blocks, n_lines, bytes / 1e6, parent);
    printf("%-26s %8.2f s %12.0f lines/s %8.1f MB/s  per block p50 %.1f ms, p95 %.1f ms, max "
           "%.1f ms\n",
           "encode + write + fsync", written, total_lines / written, bytes / 1e6 / written,
           g_array_index(latencies, gint64, latencies->len / 2) / 1e3,
           g_array_index(latencies, gint64, (latencies->len - 1) * 95 / 100) / 1e3,
           g_array_index(latencies, gint64, latencies->len - 1) / 1e3);
    printf("%-26s %8.2f s %12.0f lines/s %8.1f MB/s\n", "read back + decode", read,
           total_lines / read, bytes / 1e6 / read);
    for (gint64 block = 0; block < n_blocks; block++)
        duet_wal_segment_clear(&segments[block]);
    g_free(segments);
    g_array_unref(latencies);
    g_ptr_array_unref(blocks);
    duet_write_ahead_log_close(log);
    duet_remove_tree(dir);
    return 0;
}
