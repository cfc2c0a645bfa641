/* example_inputs.c — the built-in input of each paired example: seeded, so a run repeats.
 *
 * Layer: compat/. Each generator appends the text lines that arrive during the batch ending at
 * batch_time_ms. Event times are in whole seconds, mostly within the batch, a few late (older
 * than the Structured half's watermark), so that the windowed examples show the difference
 * between processing time and event time.
 */
#include "compat/bundled_text.h"
#include "compat/example.h"

/* The bundled text's non-empty lines, split once. */
static GStrv
text_lines(void)
{
    static GStrv lines;
    if (g_once_init_enter(&lines)) {
        g_auto(GStrv) all = g_strsplit(duet_bundled_text(), "\n", -1);
        GPtrArray *kept = g_ptr_array_new();
        for (char **line = all; *line; line++) {
            if (**line != '\0')
                g_ptr_array_add(kept, g_strdup(*line));
        }
        g_ptr_array_add(kept, NULL);
        g_once_init_leave(&lines, (GStrv)g_ptr_array_free(kept, FALSE));
    }
    return lines;
}

/* Lines of the bundled text, in order, continuing where the last batch stopped. */
static void
text_generate(GRand *rand, gint64 batch_time_ms, guint n_lines, GPtrArray *lines)
{
    GStrv text = text_lines();
    guint n_text = g_strv_length(text);
    /* the position lives in the GRand's stream: one draw per batch keeps runs repeatable */
    guint start = (guint)g_rand_int_range(rand, 0, (gint32)n_text);
    for (guint line_idx = 0; line_idx < n_lines; line_idx++)
        g_ptr_array_add(lines, g_strdup(text[(start + line_idx) % n_text]));
}

void
duet_example_network_word_count_generate(GRand *rand, gint64 batch_time_ms, guint n_lines,
                                         GPtrArray *lines)
{
    text_generate(rand, batch_time_ms, n_lines, lines);
}

void
duet_example_kafka_word_count_generate(GRand *rand, gint64 batch_time_ms, guint n_lines,
                                       GPtrArray *lines)
{
    text_generate(rand, batch_time_ms, n_lines, lines);
}

void
duet_example_running_counts_generate(GRand *rand, gint64 batch_time_ms, guint n_lines,
                                     GPtrArray *lines)
{
    text_generate(rand, batch_time_ms, n_lines, lines);
}

void
duet_example_file_monitoring_generate(GRand *rand, gint64 batch_time_ms, guint n_lines,
                                      GPtrArray *lines)
{
    text_generate(rand, batch_time_ms, n_lines, lines);
}

/* An event time in seconds: within the batch interval before batch_time_ms, or, one time in
 * late_one_in, late_min..late_max seconds earlier still. */
static gint64
event_seconds(GRand *rand, gint64 batch_time_ms, gint64 interval_ms, gint32 late_one_in,
              gint32 late_min, gint32 late_max)
{
    gint64 end = batch_time_ms / 1000;
    gint64 seconds = end - g_rand_int_range(rand, 0, (gint32)(interval_ms / 1000));
    if (g_rand_int_range(rand, 0, late_one_in) == 0)
        seconds -= g_rand_int_range(rand, late_min, late_max + 1);
    return seconds;
}

void
duet_example_windowed_counts_generate(GRand *rand, gint64 batch_time_ms, guint n_lines,
                                      GPtrArray *lines)
{
    static const char *const animals[] = {"cat", "dog", "owl", "fox", "bee"};
    for (guint line_idx = 0; line_idx < n_lines; line_idx++) {
        gint64 seconds = event_seconds(rand, batch_time_ms, 60000, 10, 180, 480);
        const char *animal = animals[g_rand_int_range(rand, 0, G_N_ELEMENTS(animals))];
        g_ptr_array_add(lines, g_strdup_printf("%" G_GINT64_FORMAT ",%s", seconds, animal));
    }
}

void
duet_example_fraud_filter_generate(GRand *rand, gint64 batch_time_ms, guint n_lines,
                                   GPtrArray *lines)
{
    static const char *const abroad[] = {"FR", "BR", "JP", "NG"};
    for (guint line_idx = 0; line_idx < n_lines; line_idx++) {
        gint32 card = g_rand_int_range(rand, 0, 20);
        gint32 cents = g_rand_int_range(rand, 100, 300000);
        const char *country = g_rand_int_range(rand, 0, 8) == 0
                                  ? abroad[g_rand_int_range(rand, 0, G_N_ELEMENTS(abroad))]
                                  : "US";
        gint64 seconds = event_seconds(rand, batch_time_ms, 1000, 1000, 0, 0);
        g_ptr_array_add(lines, g_strdup_printf("card-%02d,%d.%02d,%s,%" G_GINT64_FORMAT, card,
                                               cents / 100, cents % 100, country, seconds));
    }
}

void
duet_example_sensor_averages_generate(GRand *rand, gint64 batch_time_ms, guint n_lines,
                                      GPtrArray *lines)
{
    for (guint line_idx = 0; line_idx < n_lines; line_idx++) {
        gint32 sensor = g_rand_int_range(rand, 1, 5);
        /* whole and half degrees: sums are exact in binary, whatever order adds them, so both
         * APIs compute the same average to the last bit */
        gint32 halves = g_rand_int_range(rand, 36, 60);
        gint64 seconds = event_seconds(rand, batch_time_ms, 60000, 10, 600, 5400);
        g_ptr_array_add(lines, g_strdup_printf("sensor-%d,%d.%d,%" G_GINT64_FORMAT, sensor,
                                               halves / 2, halves % 2 ? 5 : 0, seconds));
    }
}

void
duet_example_log_monitoring_generate(GRand *rand, gint64 batch_time_ms, guint n_lines,
                                     GPtrArray *lines)
{
    static const char *const services[] = {"api", "auth", "db", "web"};
    static const char *const messages[] = {"request served", "cache miss", "retrying",
                                           "connection reset"};
    for (guint line_idx = 0; line_idx < n_lines; line_idx++) {
        gint32 roll = g_rand_int_range(rand, 0, 10);
        const char *level = roll < 6 ? "INFO" : roll < 8 ? "WARN" : "ERROR";
        const char *service = services[g_rand_int_range(rand, 0, G_N_ELEMENTS(services))];
        const char *message = messages[g_rand_int_range(rand, 0, G_N_ELEMENTS(messages))];
        gint64 seconds = event_seconds(rand, batch_time_ms, 10000, 8, 20, 70);
        g_ptr_array_add(lines, g_strdup_printf("%" G_GINT64_FORMAT ",%s,%s,%s", seconds, level,
                                               service, message));
    }
}
