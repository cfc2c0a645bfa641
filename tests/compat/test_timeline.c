/* test_timeline.c — compat/timeline.c: the teaching picture's elements, counted by class.
 *
 * Every picture is parsed with GMarkup (svg_classes.c): a document that is not well-formed
 * fails the test. The counts are those timeline.h promises: one class="batch" per batch, one
 * class="window" per window, one class="watermark" per watermark, one class="late" per
 * add_late_rows call, one class="lane" per lane. */
#include "compat/timeline.h"
#include "tests/common/test.h"
#include "tests/compat/svg_classes.h"

#include <glib/gstdio.h>

/* Parses the picture and returns its class counts; fails the test if it is not well-formed. */
static GHashTable *
parse_picture(DuetTimeline *timeline, char **text_out)
{
    char *text = duet_timeline_to_svg(timeline);
    GError *error = NULL;
    GHashTable *classes = duet_test_svg_classes(text, &error);
    ASSERT_NO_ERROR(error);
    CU_ASSERT_PTR_NOT_NULL_FATAL(classes);
    ASSERT_INT_EQ(duet_test_svg_count(classes, "svg:root"), 1);
    if (text_out)
        *text_out = text;
    else
        g_free(text);
    return classes;
}

static void
test_empty_timeline_is_a_valid_picture(void)
{
    g_autoptr(DuetTimeline) timeline = duet_timeline_new();
    g_autofree char *text = NULL;
    GHashTable *classes = parse_picture(timeline, &text);
    ASSERT_INT_EQ(duet_test_svg_count(classes, "lane"), 0);
    ASSERT_INT_EQ(duet_test_svg_count(classes, "batch"), 0);
    CU_ASSERT_PTR_NOT_NULL(strstr(text, "nothing was recorded"));
    g_hash_table_unref(classes);
}

/* The picture `duet compare --timeline` draws: a DStream lane with sliding windows over batch
 * times, a Structured lane with event-time windows, watermarks and late rows. */
static DuetTimeline *
two_lanes(void)
{
    DuetTimeline *timeline = duet_timeline_new();
    duet_timeline_set_title(timeline, "word count, window 3 s sliding 1 s");
    guint dstream = duet_timeline_add_lane(timeline, "DStream");
    guint structured = duet_timeline_add_lane(timeline, "Structured");
    ASSERT_INT_EQ(dstream, 0);
    ASSERT_INT_EQ(structured, 1);
    for (gint64 batch = 0; batch < 6; batch++) {
        gint64 at = (batch + 1) * 1000;
        duet_timeline_add_batch(timeline, dstream, batch, at, 40 + batch, 100 * batch);
        /* reduceByKeyAndWindow(3 s, 1 s): the window ending at the batch time */
        duet_timeline_add_window(timeline, dstream, at - 3000, at, "3 words");
        duet_timeline_add_batch(timeline, structured, batch, at + 10, 70, 100 * batch);
    }
    duet_timeline_add_window(timeline, structured, 0, 3000, "[0 s, 3 s): 12");
    duet_timeline_add_window(timeline, structured, 3000, 6000, "[3 s, 6 s): 9");
    duet_timeline_set_watermark(timeline, structured, 2000, 0);
    duet_timeline_set_watermark(timeline, structured, 4000, 1500);
    duet_timeline_set_watermark(timeline, structured, 6000, 3500);
    duet_timeline_add_late_rows(timeline, structured, 1200, 2);
    duet_timeline_add_late_rows(timeline, structured, 3100, 1);
    return timeline;
}

static void
test_counts_batches_windows_watermarks_and_late_rows(void)
{
    g_autoptr(DuetTimeline) timeline = two_lanes();
    g_autofree char *text = NULL;
    GHashTable *classes = parse_picture(timeline, &text);
    ASSERT_INT_EQ(duet_test_svg_count(classes, "lane"), 2);
    ASSERT_INT_EQ(duet_test_svg_count(classes, "batch"), 12);
    ASSERT_INT_EQ(duet_test_svg_count(classes, "window"), 8);
    ASSERT_INT_EQ(duet_test_svg_count(classes, "watermark"), 3);
    ASSERT_INT_EQ(duet_test_svg_count(classes, "late"), 2);
    /* only the latest watermark is labelled */
    ASSERT_INT_EQ(duet_test_svg_count(classes, "watermark-label"), 1);
    /* every batch, window, watermark and late circle has a tooltip, plus the document's */
    ASSERT_INT_EQ(duet_test_svg_count(classes, "svg:title"), 12 + 8 + 3 + 2 + 1);
    g_autoptr(GPtrArray) names = duet_test_svg_texts(text, "lane-name");
    ASSERT_INT_EQ(names->len, 2);
    ASSERT_STR_EQ(names->pdata[0], "DStream");
    ASSERT_STR_EQ(names->pdata[1], "Structured");
    g_autoptr(GPtrArray) labels = duet_test_svg_texts(text, "watermark-label");
    ASSERT_STR_EQ(labels->pdata[0], "watermark 3.5 s");
    g_autoptr(GPtrArray) headings = duet_test_svg_texts(text, "heading");
    ASSERT_STR_EQ(headings->pdata[0], "word count, window 3 s sliding 1 s");
    CU_ASSERT_PTR_NOT_NULL(strstr(text, "<title>Structured: 2 late rows with event time 1.2 s"));
    CU_ASSERT_PTR_NOT_NULL(strstr(text, "<title>DStream batch 5 at 6 s: 500 input rows, "
                                        "processed in 45 ms</title>"));
    g_hash_table_unref(classes);
}

/* Sliding windows overlap, so each goes to its own row; tumbling windows share one. */
static void
test_overlapping_windows_are_stacked(void)
{
    g_autoptr(DuetTimeline) timeline = duet_timeline_new();
    guint sliding = duet_timeline_add_lane(timeline, "sliding");
    guint tumbling = duet_timeline_add_lane(timeline, "tumbling");
    for (gint64 start = 0; start < 3000; start += 1000) {
        duet_timeline_add_window(timeline, sliding, start, start + 3000, NULL);
        duet_timeline_add_window(timeline, tumbling, start, start + 1000, NULL);
    }
    g_autofree char *text = duet_timeline_to_svg(timeline);
    g_autoptr(GPtrArray) ys = duet_test_svg_attributes(text, "window", "y");
    ASSERT_INT_EQ(ys->len, 6);
    /* sliding: three rows */
    CU_ASSERT_STRING_NOT_EQUAL(ys->pdata[0], ys->pdata[1]);
    CU_ASSERT_STRING_NOT_EQUAL(ys->pdata[1], ys->pdata[2]);
    CU_ASSERT_STRING_NOT_EQUAL(ys->pdata[0], ys->pdata[2]);
    /* tumbling: one row */
    ASSERT_STR_EQ(ys->pdata[3], ys->pdata[4]);
    ASSERT_STR_EQ(ys->pdata[4], ys->pdata[5]);
    /* and later in time is further right */
    g_autoptr(GPtrArray) xs = duet_test_svg_attributes(text, "window", "x");
    CU_ASSERT_TRUE(g_ascii_strtod(xs->pdata[3], NULL) < g_ascii_strtod(xs->pdata[4], NULL));
    CU_ASSERT_TRUE(g_ascii_strtod(xs->pdata[4], NULL) < g_ascii_strtod(xs->pdata[5], NULL));
}

/* Names and labels are escaped: the picture stays well-formed and shows them as given. */
static void
test_text_is_escaped(void)
{
    g_autoptr(DuetTimeline) timeline = duet_timeline_new();
    duet_timeline_set_title(timeline, "a < b & \"c\"");
    guint lane = duet_timeline_add_lane(timeline, "<Structured & co>");
    duet_timeline_add_window(timeline, lane, 0, 100000, "count > 3 & 'x'");
    g_autofree char *text = NULL;
    GHashTable *classes = parse_picture(timeline, &text);
    g_autoptr(GPtrArray) names = duet_test_svg_texts(text, "lane-name");
    ASSERT_STR_EQ(names->pdata[0], "<Structured & co>");
    g_autoptr(GPtrArray) labels = duet_test_svg_texts(text, "window-label");
    ASSERT_INT_EQ(labels->len, 1);
    ASSERT_STR_EQ(labels->pdata[0], "count > 3 & 'x'");
    g_hash_table_unref(classes);
}

/* A live run's clock is epoch milliseconds: labels count from the first time. */
static void
test_epoch_times_are_labelled_relative(void)
{
    g_autoptr(DuetTimeline) timeline = duet_timeline_new();
    guint lane = duet_timeline_add_lane(timeline, "DStream");
    gint64 origin = G_GINT64_CONSTANT(1764547200000); /* 2025-12-01 00:00 UTC */
    duet_timeline_add_batch(timeline, lane, 0, origin, 5, 10);
    duet_timeline_add_batch(timeline, lane, 1, origin + 2500, 5, 10);
    g_autofree char *text = duet_timeline_to_svg(timeline);
    g_autoptr(GPtrArray) labels = duet_test_svg_texts(text, "batch-label");
    ASSERT_INT_EQ(labels->len, 4);
    ASSERT_STR_EQ(labels->pdata[0], "#0 +0 s");
    ASSERT_STR_EQ(labels->pdata[1], "10 rows, 5 ms");
    ASSERT_STR_EQ(labels->pdata[2], "#1 +2.5 s");
}

static gpointer
add_many(gpointer data)
{
    DuetTimeline *timeline = data;
    for (gint64 batch = 0; batch < 500; batch++)
        duet_timeline_add_batch(timeline, 0, batch, batch * 10, 1, 1);
    return NULL;
}

/* Listeners record from their own threads. */
static void
test_concurrent_recording(void)
{
    g_autoptr(DuetTimeline) timeline = duet_timeline_new();
    duet_timeline_add_lane(timeline, "DStream");
    GThread *threads[4];
    for (guint index = 0; index < G_N_ELEMENTS(threads); index++)
        threads[index] = g_thread_new("recorder", add_many, timeline);
    for (guint index = 0; index < G_N_ELEMENTS(threads); index++)
        g_thread_join(threads[index]);
    GHashTable *classes = parse_picture(timeline, NULL);
    ASSERT_INT_EQ(duet_test_svg_count(classes, "batch"), 2000);
    g_hash_table_unref(classes);
}

static void
test_write_svg(void)
{
    g_autoptr(DuetTimeline) timeline = two_lanes();
    char *dir = duet_test_tmpdir_new();
    g_autofree char *path = g_build_filename(dir, "timeline.svg", NULL);
    GError *error = NULL;
    CU_ASSERT_TRUE(duet_timeline_write_svg(timeline, path, &error));
    ASSERT_NO_ERROR(error);
    g_autofree char *written = NULL;
    CU_ASSERT_TRUE_FATAL(g_file_get_contents(path, &written, NULL, NULL));
    g_autofree char *expected = duet_timeline_to_svg(timeline);
    ASSERT_STR_EQ(written, expected);
    /* a directory that does not exist: an error naming the file */
    g_autofree char *missing = g_build_filename(dir, "no", "such", "t.svg", NULL);
    CU_ASSERT_FALSE(duet_timeline_write_svg(timeline, missing, &error));
    ASSERT_ERROR(error, G_FILE_ERROR, G_FILE_ERROR_NOENT);
    CU_ASSERT_PTR_NOT_NULL(strstr(error->message, "cannot write the timeline picture"));
    CU_ASSERT_PTR_NOT_NULL(strstr(error->message, "t.svg"));
    g_clear_error(&error);
    duet_test_tmpdir_free(dir);
}

DUET_TEST_MAIN("timeline", DUET_TEST(test_empty_timeline_is_a_valid_picture),
               DUET_TEST(test_counts_batches_windows_watermarks_and_late_rows),
               DUET_TEST(test_overlapping_windows_are_stacked), DUET_TEST(test_text_is_escaped),
               DUET_TEST(test_epoch_times_are_labelled_relative),
               DUET_TEST(test_concurrent_recording), DUET_TEST(test_write_svg))
