/* bench_result.c — `duet bench`'s measurements: the child's JSON lines and their summary.
 *
 * Layer: compat/. See bench.h. A child prints one JSON object a line: {"sample": {...}} per
 * batch, then {"totals": {...}} (or {"error": "..."}); the parent parses them back
 * (bench_command.c). Numbers are printed in the C locale. Percentiles are nearest-rank over
 * the batches' latencies, as the benches of tests/bench compute them.
 */
#include "compat/bench.h"

#include <math.h>
#include <string.h>
#include <sys/resource.h>

DuetBenchResult *
duet_bench_result_new(const char *api)
{
    DuetBenchResult *result = g_new0(DuetBenchResult, 1);
    result->api = g_strdup(api);
    result->samples = g_array_new(FALSE, FALSE, sizeof(DuetBenchSample));
    result->state_rows = -1;
    return result;
}

void
duet_bench_result_free(DuetBenchResult *result)
{
    if (result == NULL)
        return;
    g_free(result->api);
    g_array_unref(result->samples);
    g_free(result->error);
    g_free(result);
}

static int
compare_doubles(const void *a, const void *b)
{
    gdouble x = *(const gdouble *)a, y = *(const gdouble *)b;
    return (x > y) - (x < y);
}

/* Nearest rank: the smallest value with at least fraction of the values at or below it. */
static gdouble
percentile(const gdouble *sorted, guint n, gdouble fraction)
{
    if (n == 0)
        return 0;
    guint rank = (guint)ceil(fraction * n);
    return sorted[CLAMP(rank, 1, n) - 1];
}

void
duet_bench_result_summarize(const DuetBenchResult *result, DuetBenchSummary *summary)
{
    memset(summary, 0, sizeof *summary);
    guint n = result->samples->len;
    gdouble *latencies = g_new(gdouble, MAX(n, 1));
    for (guint index = 0; index < n; index++) {
        const DuetBenchSample *sample = &g_array_index(result->samples, DuetBenchSample, index);
        summary->rows += sample->rows;
        summary->output_rows += sample->output_rows;
        summary->busy_s += sample->processing_ms / 1000.0;
        summary->cpu_s += sample->cpu_ms / 1000.0;
        summary->wall_s = MAX(summary->wall_s, sample->t_s);
        latencies[index] = sample->latency_ms;
    }
    summary->batches = n;
    qsort(latencies, n, sizeof(gdouble), compare_doubles);
    summary->p50_ms = percentile(latencies, n, 0.50);
    summary->p95_ms = percentile(latencies, n, 0.95);
    summary->p99_ms = percentile(latencies, n, 0.99);
    summary->max_ms = n ? latencies[n - 1] : 0;
    summary->rows_per_second = summary->busy_s > 0 ? summary->rows / summary->busy_s : 0;
    summary->input_rows_per_second = summary->wall_s > 0 ? summary->rows / summary->wall_s : 0;
    summary->cpu_percent = summary->busy_s > 0 ? 100.0 * summary->cpu_s / summary->busy_s : 0;
    g_free(latencies);
}

static const char *
number(char *buffer, gdouble value)
{
    return g_ascii_formatd(buffer, G_ASCII_DTOSTR_BUF_SIZE, "%.3f", isfinite(value) ? value : 0);
}

void
duet_bench_print_sample(FILE *out, const DuetBenchSample *sample)
{
    char t[G_ASCII_DTOSTR_BUF_SIZE], latency[G_ASCII_DTOSTR_BUF_SIZE];
    char processing[G_ASCII_DTOSTR_BUF_SIZE], cpu[G_ASCII_DTOSTR_BUF_SIZE];
    fprintf(out,
            "{\"sample\":{\"batch\":%" G_GINT64_FORMAT ",\"t_s\":%s,\"rows\":%" G_GINT64_FORMAT
            ",\"output_rows\":%" G_GINT64_FORMAT
            ",\"latency_ms\":%s,\"processing_ms\":%s,\"cpu_ms\":%s}}\n",
            sample->batch, number(t, sample->t_s), sample->rows, sample->output_rows,
            number(latency, sample->latency_ms), number(processing, sample->processing_ms),
            number(cpu, sample->cpu_ms));
    fflush(out);
}

void
duet_bench_print_totals(FILE *out, gboolean interrupted, gint64 state_rows)
{
    struct rusage usage;
    getrusage(RUSAGE_SELF, &usage);
    fprintf(out,
            "{\"totals\":{\"peak_rss_kib\":%ld,\"state_rows\":%" G_GINT64_FORMAT
            ",\"interrupted\":%s}}\n",
            usage.ru_maxrss, state_rows, interrupted ? "true" : "false");
    fflush(out);
}

void
duet_bench_print_error(FILE *out, const char *message)
{
    GString *escaped = g_string_new(NULL);
    for (const char *at = message; *at; at++) {
        if (*at == '"' || *at == '\\')
            g_string_append_printf(escaped, "\\%c", *at);
        else if ((guchar)*at < 0x20)
            g_string_append_printf(escaped, "\\u%04x", (guchar)*at);
        else
            g_string_append_c(escaped, *at);
    }
    fprintf(out, "{\"error\":\"%s\"}\n", escaped->str);
    g_string_free(escaped, TRUE);
    fflush(out);
}

void
duet_bench_sleep_until(gint64 deadline_us, volatile gint *stop)
{
    for (;;) {
        gint64 left = deadline_us - g_get_monotonic_time();
        if (left <= 0 || g_atomic_int_get(stop))
            return;
        g_usleep((gulong)MIN(left, 50000));
    }
}

gdouble
duet_bench_cpu_ms(void)
{
    struct rusage usage;
    getrusage(RUSAGE_SELF, &usage);
    return (usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) * 1000.0 +
           (usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1000.0;
}
