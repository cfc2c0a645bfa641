/* test_write_ahead_log.c — tests of dstream/write_ahead_log.c: records round-trip through
 * readAll and the random reader, files roll by time and are cleaned by end time, and damaged
 * files are told apart: a torn tail is skipped (and cut off by the next writer of the file),
 * garbage and a newer version are errors naming the file. */
#include "tests/common/test.h"
#include "dstream/write_ahead_log.h"
#include "rdd/atomic_file.h"
#include "rdd/fault.h"

#include <glib/gstdio.h>

typedef struct {
    GPtrArray *records; /* char* */
    GPtrArray *segments;
} Collected;

static gboolean
collect(GBytes *record, const DuetWalSegment *segment, gpointer user_data, GError **error)
{
    Collected *collected = user_data;
    gsize len;
    const char *data = g_bytes_get_data(record, &len);
    g_ptr_array_add(collected->records, len > 0 ? g_strndup(data, len) : g_strdup(""));
    DuetWalSegment *copy = g_new0(DuetWalSegment, 1);
    *copy = (DuetWalSegment){g_strdup(segment->path), segment->offset, segment->length};
    g_ptr_array_add(collected->segments, copy);
    return TRUE;
}

static void
segment_free(gpointer data)
{
    duet_wal_segment_clear(data);
    g_free(data);
}

/* readAll of directory as "r1|r2|..."; NULL with error set on failure. */
static char *
read_all(const char *directory, GError **error)
{
    Collected collected = {g_ptr_array_new_with_free_func(g_free),
                           g_ptr_array_new_with_free_func(segment_free)};
    char *text = NULL;
    if (duet_write_ahead_log_read_all(directory, collect, &collected, error)) {
        g_ptr_array_add(collected.records, NULL);
        text = g_strjoinv("|", (char **)collected.records->pdata);
    }
    g_ptr_array_unref(collected.records);
    g_ptr_array_unref(collected.segments);
    return text;
}

static void
write_record(DuetWriteAheadLog *log, const char *text, gint64 time_ms, DuetWalSegment *segment)
{
    GError *error = NULL;
    CU_ASSERT_TRUE(duet_write_ahead_log_write(log, text, strlen(text), time_ms, segment, &error));
    ASSERT_NO_ERROR(error);
}

static char *
names(const char *directory)
{
    g_autoptr(GPtrArray) list = duet_write_ahead_log_list(directory);
    g_ptr_array_add(list, NULL);
    return g_strjoinv(" ", (char **)list->pdata);
}

static char *
only_file(const char *directory)
{
    g_autoptr(GPtrArray) list = duet_write_ahead_log_list(directory);
    CU_ASSERT_TRUE_FATAL(list->len >= 1);
    return g_build_filename(directory, list->pdata[list->len - 1], NULL);
}

static void
test_round_trip_and_rolling(void)
{
    char *dir = duet_test_tmpdir_new();
    g_autofree char *log_dir = g_build_filename(dir, "receivedData", "0", NULL);
    GError *error = NULL;
    /* nothing yet: no records, no error */
    g_autofree char *empty = read_all(log_dir, &error);
    ASSERT_NO_ERROR(error);
    ASSERT_STR_EQ(empty, "");
    DuetWriteAheadLog *log = duet_write_ahead_log_open(log_dir, 1000, &error);
    ASSERT_NO_ERROR(error);
    CU_ASSERT_PTR_NOT_NULL_FATAL(log);
    DuetWalSegment first = {0}, empty_record = {0}, last = {0};
    write_record(log, "a", 100, &first);
    write_record(log, "", 600, &empty_record);
    write_record(log, "bb", 1100, NULL); /* the end time itself: same file */
    write_record(log, "ccc", 1101, NULL);
    write_record(log, "dddd", 5000, &last);
    g_autofree char *files = names(log_dir);
    ASSERT_STR_EQ(files, "log-100-1100-1 log-1101-2101-2 log-5000-6000-3");
    g_autofree char *text = read_all(log_dir, &error);
    ASSERT_NO_ERROR(error);
    ASSERT_STR_EQ(text, "a||bb|ccc|dddd");
    /* segments: the length field sits right after the header line */
    ASSERT_INT_EQ(first.offset, strlen("DUET write-ahead-log v1\n"));
    ASSERT_INT_EQ(first.length, 1);
    ASSERT_INT_EQ(empty_record.offset, first.offset + 12 + 1);
    g_autoptr(GBytes) bytes = duet_write_ahead_log_read_segment(&last, &error);
    ASSERT_NO_ERROR(error);
    CU_ASSERT_TRUE(bytes != NULL && g_bytes_get_size(bytes) == 4 &&
                   memcmp(g_bytes_get_data(bytes, NULL), "dddd", 4) == 0);
    g_autoptr(GBytes) nothing = duet_write_ahead_log_read_segment(&empty_record, &error);
    ASSERT_NO_ERROR(error);
    CU_ASSERT_TRUE(nothing != NULL && g_bytes_get_size(nothing) == 0);
    /* a segment that cannot be in the file (a damaged event) is an error, not a huge read */
    DuetWalSegment beyond = {last.path, last.offset, G_MAXINT32};
    g_autoptr(GBytes) too_long = duet_write_ahead_log_read_segment(&beyond, &error);
    CU_ASSERT_PTR_NULL(too_long);
    ASSERT_ERROR(error, DUET_FILE_ERROR, DUET_FILE_ERROR_CORRUPT);
    CU_ASSERT_PTR_NOT_NULL(strstr(error->message, "log-5000-6000-3"));
    g_clear_error(&error);
    beyond.length = -1;
    g_autoptr(GBytes) negative = duet_write_ahead_log_read_segment(&beyond, &error);
    CU_ASSERT_PTR_NULL(negative);
    ASSERT_ERROR(error, DUET_FILE_ERROR, DUET_FILE_ERROR_CORRUPT);
    g_clear_error(&error);
    /* clean: files ending before the threshold go, the current one never */
    ASSERT_INT_EQ(duet_write_ahead_log_clean(log, 2101), 1);
    g_autofree char *after = names(log_dir);
    ASSERT_STR_EQ(after, "log-1101-2101-2 log-5000-6000-3");
    ASSERT_INT_EQ(duet_write_ahead_log_clean(log, G_MAXINT64), 1);
    g_autofree char *current = names(log_dir);
    ASSERT_STR_EQ(current, "log-5000-6000-3");
    /* a random read of a deleted file names it */
    g_autoptr(GBytes) gone = duet_write_ahead_log_read_segment(&first, &error);
    CU_ASSERT_PTR_NULL(gone);
    ASSERT_ERROR(error, DUET_FILE_ERROR, DUET_FILE_ERROR_IO);
    CU_ASSERT_PTR_NOT_NULL(strstr(error->message, "log-100-1100-1"));
    g_clear_error(&error);
    duet_wal_segment_clear(&first);
    duet_wal_segment_clear(&empty_record);
    duet_wal_segment_clear(&last);
    duet_write_ahead_log_close(log);
    duet_test_tmpdir_free(dir);
}

/* Every truncation of a file is read as its whole records before the cut (a torn tail, with a
 * warning), and the next log opened on the directory cuts the torn bytes off before it writes
 * its own file. */
static void
test_torn_tail(void)
{
    char *dir = duet_test_tmpdir_new();
    GError *error = NULL;
    DuetWriteAheadLog *log = duet_write_ahead_log_open(dir, 60000, &error);
    write_record(log, "one", 0, NULL);
    write_record(log, "two", 0, NULL);
    duet_write_ahead_log_close(log);
    g_autofree char *path = only_file(dir);
    g_autofree char *contents = NULL;
    gsize len = 0;
    CU_ASSERT_TRUE_FATAL(g_file_get_contents(path, &contents, &len, NULL));
    gsize header = strlen("DUET write-ahead-log v1\n");
    ASSERT_INT_EQ(len, header + 2 * (12 + 3));
    for (gsize cut = 0; cut < len; cut++) {
        CU_ASSERT_TRUE(g_file_set_contents(path, contents, (gssize)cut, NULL));
        g_autofree char *text = read_all(dir, &error);
        ASSERT_NO_ERROR(error);
        const char *expected = cut < header + 15 ? "" : "one";
        if (text == NULL || strcmp(text, expected) != 0)
            g_printerr("\n  cut at %" G_GSIZE_FORMAT ": [%s], expected [%s]\n", cut,
                       text ? text : "(error)", expected);
        ASSERT_STR_EQ(text, expected);
    }
    /* a last record with a bad checksum (its bytes never reached the disk) is a torn tail */
    contents[len - 1] ^= 0x55;
    CU_ASSERT_TRUE(g_file_set_contents(path, contents, (gssize)len, NULL));
    g_autofree char *damaged_last = read_all(dir, &error);
    ASSERT_NO_ERROR(error);
    ASSERT_STR_EQ(damaged_last, "one");
    /* a new log (a restart, at the same time) cuts the torn record off, then writes a file of
     * its own */
    CU_ASSERT_TRUE(g_file_set_contents(path, contents, (gssize)(len - 5), NULL));
    log = duet_write_ahead_log_open(dir, 60000, &error);
    write_record(log, "three", 0, NULL);
    duet_write_ahead_log_close(log);
    g_autofree char *appended = read_all(dir, &error);
    ASSERT_NO_ERROR(error);
    ASSERT_STR_EQ(appended, "one|three");
    g_autofree char *cut_contents = NULL;
    CU_ASSERT_TRUE(g_file_get_contents(path, &cut_contents, &len, NULL));
    ASSERT_INT_EQ(len, header + 12 + 3);
    g_autofree char *files = names(dir);
    ASSERT_STR_EQ(files, "log-0-60000-1 log-0-60000-2");
    duet_test_tmpdir_free(dir);
}

/* A restarted run's clock goes back to its checkpoint's time, behind the files an earlier run
 * wrote: its files still come after them (the sequence number goes on), so readAll gives the
 * records in the order they were written, and clean goes by end time but deletes only a prefix
 * of that order. Files of a build without sequence numbers (log-<start>-<end>) come first. */
static void
test_restart_behind_the_clock(void)
{
    char *dir = duet_test_tmpdir_new();
    GError *error = NULL;
    /* an old build's file */
    g_autofree char *old_path = g_build_filename(dir, "log-9000-10000", NULL);
    g_autofree char *header = g_strdup("DUET write-ahead-log v1\n");
    CU_ASSERT_TRUE(g_file_set_contents(old_path, header, -1, NULL));
    DuetWriteAheadLog *log = duet_write_ahead_log_open(dir, 1000, &error);
    write_record(log, "a", 1000, NULL);
    write_record(log, "b", 3500, NULL);
    duet_write_ahead_log_close(log);
    /* the restart: back at 2000 */
    log = duet_write_ahead_log_open(dir, 1000, &error);
    write_record(log, "c", 2000, NULL);
    write_record(log, "d", 3500, NULL);
    write_record(log, "e", 3600, NULL);
    duet_write_ahead_log_close(log);
    /* another one, back at 1000 */
    log = duet_write_ahead_log_open(dir, 1000, &error);
    write_record(log, "f", 1000, NULL);
    g_autofree char *files = names(dir);
    ASSERT_STR_EQ(files, "log-9000-10000 log-1000-2000-1 log-3500-4500-2 log-2000-3000-3 "
                         "log-3500-4500-4 log-1000-2000-5");
    g_autofree char *text = read_all(dir, &error);
    ASSERT_NO_ERROR(error);
    ASSERT_STR_EQ(text, "a|b|c|d|e|f");
    /* clean by end time, but only a prefix of the write order: what stays is the end of the
     * log; never the file being written */
    ASSERT_INT_EQ(duet_write_ahead_log_clean(log, 9999), 0); /* log-9000-10000 stays */
    g_assert_cmpint(g_unlink(old_path), ==, 0);
    ASSERT_INT_EQ(duet_write_ahead_log_clean(log, 3000), 1);
    g_autofree char *after = names(dir);
    ASSERT_STR_EQ(after, "log-3500-4500-2 log-2000-3000-3 log-3500-4500-4 log-1000-2000-5");
    /* log-2000-3000-3 ends before 4000 but comes after log-3500-4500-2, which stays */
    ASSERT_INT_EQ(duet_write_ahead_log_clean(log, 4000), 0);
    ASSERT_INT_EQ(duet_write_ahead_log_clean(log, 5000), 3);
    g_autofree char *last = names(dir);
    ASSERT_STR_EQ(last, "log-1000-2000-5");
    duet_write_ahead_log_close(log);
    g_autofree char *rest = read_all(dir, &error);
    ASSERT_NO_ERROR(error);
    ASSERT_STR_EQ(rest, "f");
    duet_test_tmpdir_free(dir);
}

/* Damage that is not a torn tail is an error naming the file, never data. */
static void
test_garbage_and_version(void)
{
    char *dir = duet_test_tmpdir_new();
    GError *error = NULL;
    DuetWriteAheadLog *log = duet_write_ahead_log_open(dir, 60000, &error);
    DuetWalSegment segment = {0};
    write_record(log, "one", 0, &segment);
    write_record(log, "two", 0, NULL);
    duet_write_ahead_log_close(log);
    g_autofree char *path = only_file(dir);
    g_autofree char *contents = NULL;
    gsize len = 0;
    CU_ASSERT_TRUE_FATAL(g_file_get_contents(path, &contents, &len, NULL));
    gsize header = strlen("DUET write-ahead-log v1\n");

    /* a flipped byte in the first record, with a record after it */
    contents[header + 5] ^= 0x01;
    CU_ASSERT_TRUE(g_file_set_contents(path, contents, (gssize)len, NULL));
    g_autofree char *text = read_all(dir, &error);
    CU_ASSERT_PTR_NULL(text);
    ASSERT_ERROR(error, DUET_FILE_ERROR, DUET_FILE_ERROR_CORRUPT);
    CU_ASSERT_PTR_NOT_NULL(strstr(error->message, path));
    CU_ASSERT_PTR_NOT_NULL(strstr(error->message, "wrong checksum"));
    g_clear_error(&error);
    g_autoptr(GBytes) bytes = duet_write_ahead_log_read_segment(&segment, &error);
    CU_ASSERT_PTR_NULL(bytes);
    ASSERT_ERROR(error, DUET_FILE_ERROR, DUET_FILE_ERROR_CORRUPT);
    CU_ASSERT_PTR_NOT_NULL(strstr(error->message, path));
    g_clear_error(&error);
    contents[header + 5] ^= 0x01;

    /* garbage instead of a log */
    CU_ASSERT_TRUE(g_file_set_contents(path, "garbage that is long enough", -1, NULL));
    g_autofree char *garbage = read_all(dir, &error);
    CU_ASSERT_PTR_NULL(garbage);
    ASSERT_ERROR(error, DUET_FILE_ERROR, DUET_FILE_ERROR_CORRUPT);
    CU_ASSERT_PTR_NOT_NULL(strstr(error->message, path));
    g_clear_error(&error);
    /* a writer does not append to it either */
    log = duet_write_ahead_log_open(dir, 60000, &error);
    CU_ASSERT_FALSE(duet_write_ahead_log_write(log, "x", 1, 0, NULL, &error));
    ASSERT_ERROR(error, DUET_FILE_ERROR, DUET_FILE_ERROR_CORRUPT);
    g_clear_error(&error);
    duet_write_ahead_log_close(log);

    /* a newer format version */
    contents[header - 2] = '2';
    CU_ASSERT_TRUE(g_file_set_contents(path, contents, (gssize)len, NULL));
    g_autofree char *newer = read_all(dir, &error);
    CU_ASSERT_PTR_NULL(newer);
    ASSERT_ERROR(error, DUET_FILE_ERROR, DUET_FILE_ERROR_VERSION);
    CU_ASSERT_PTR_NOT_NULL(strstr(error->message, path));
    CU_ASSERT_PTR_NOT_NULL(strstr(error->message, "version 2"));
    g_clear_error(&error);
    duet_wal_segment_clear(&segment);
    duet_test_tmpdir_free(dir);
}

static gboolean
fail_fsync(DuetFaultSite site, const char *path, gpointer user_data)
{
    return site == DUET_FAULT_SITE_FSYNC && g_atomic_int_dec_and_test((gint *)user_data);
}

/* A write whose fsync fails is an error and leaves no record behind; later writes go on. */
static void
test_failed_write(void)
{
    char *dir = duet_test_tmpdir_new();
    GError *error = NULL;
    DuetWriteAheadLog *log = duet_write_ahead_log_open(dir, 60000, &error);
    write_record(log, "one", 0, NULL);
    gint countdown = 1;
    duet_fault_sim_set_hook(fail_fsync, &countdown);
    CU_ASSERT_FALSE(duet_write_ahead_log_write(log, "two", 3, 0, NULL, &error));
    duet_fault_sim_set_hook(NULL, NULL);
    ASSERT_ERROR(error, DUET_FILE_ERROR, DUET_FILE_ERROR_IO);
    CU_ASSERT_PTR_NOT_NULL(strstr(error->message, "fsync"));
    g_clear_error(&error);
    write_record(log, "three", 0, NULL);
    duet_write_ahead_log_close(log);
    g_autofree char *text = read_all(dir, &error);
    ASSERT_NO_ERROR(error);
    ASSERT_STR_EQ(text, "one|three");
    duet_test_tmpdir_free(dir);
}

DUET_TEST_MAIN("write_ahead_log", DUET_TEST(test_round_trip_and_rolling), DUET_TEST(test_torn_tail),
               DUET_TEST(test_restart_behind_the_clock), DUET_TEST(test_garbage_and_version),
               DUET_TEST(test_failed_write))
