/* demo.c — `duet demo`: the main job on an embedded default.
 *
 * Layer: compat/. Until the two streaming APIs run side by side, the demo is a word count on
 * the RDD core over the bundled text: lines -> words (lower case, letters and apostrophes) ->
 * (word, 1) -> reduceByKey -> sorted by count, descending, then by word. It prints the counts
 * as Spark prints a collected RDD[(String, Int)], one tuple a line, and a timing line.
 */
#include "compat/bundled_text.h"
#include "compat/compat.h"
#include "rdd/format.h"
#include "rdd/rdd.h"

#include <stdio.h>
#include <stdlib.h>

/* flatMap: one line to its words, as (word, 1) pairs. */
static void
split_words(const DuetRow *row, DuetBatchBuilder *out, gpointer user_data)
{
    gsize len;
    const char *line = duet_row_get_string(row, 0, &len);
    gsize start = 0;
    while (start < len) {
        while (start < len && !g_ascii_isalpha(line[start]))
            start++;
        gsize end = start;
        while (end < len && (g_ascii_isalpha(line[end]) || line[end] == '\''))
            end++;
        if (end > start) {
            char *word = duet_task_scratch_strndup(line + start, end - start);
            for (gsize char_idx = 0; char_idx < end - start; char_idx++)
                word[char_idx] = g_ascii_tolower(word[char_idx]);
            duet_batch_builder_append_string(out, 0, word, (gssize)(end - start));
            duet_batch_builder_append_int32(out, 1, 1);
        }
        start = end;
    }
}

static void
add(const DuetValue *a, const DuetValue *b, DuetValue *out, gpointer user_data)
{
    *out = duet_value_int32(a->v.i32 + b->v.i32);
}

typedef struct {
    char *word;
    gint32 count;
} WordCount;

static gint
by_count_then_word(gconstpointer a, gconstpointer b)
{
    const WordCount *left = a, *right = b;
    if (left->count != right->count)
        return right->count - left->count;
    return strcmp(left->word, right->word);
}

static DuetBatch *
lines_of(const char *text)
{
    g_autoptr(DuetSchema) schema = duet_schema_parse("value STRING", NULL);
    DuetBatchBuilder *builder = duet_batch_builder_new(schema, 16);
    g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
    for (char **line = lines; *line; line++) {
        if (**line != '\0')
            duet_batch_builder_append_string(builder, 0, *line, -1);
    }
    DuetBatch *batch = duet_batch_builder_finish(builder, NULL);
    duet_batch_builder_free(builder);
    return batch;
}

int
duet_demo_main(int argc, char **argv)
{
    const char *master = "local[2]";
    int top = 0;
    for (int arg = 1; arg < argc; arg++) {
        if (g_str_equal(argv[arg], "--help") || g_str_equal(argv[arg], "-h")) {
            printf("usage: duet demo [--master local[N]] [--top N]\n"
                   "Counts the words of a bundled public-domain text (the Gettysburg Address)\n"
                   "on duet's RDD core and prints (word,count) pairs, most frequent first.\n");
            return 0;
        } else if (g_str_equal(argv[arg], "--master") && arg + 1 < argc) {
            master = argv[++arg];
        } else if (g_str_equal(argv[arg], "--top") && arg + 1 < argc) {
            top = atoi(argv[++arg]);
        } else {
            fprintf(stderr, "duet demo: unknown argument '%s' (try duet demo --help)\n", argv[arg]);
            return 2;
        }
    }
    GError *error = NULL;
    g_autoptr(DuetContext) context = duet_context_new(master, &error);
    if (context == NULL) {
        fprintf(stderr, "duet demo: %s\n", error->message);
        g_error_free(error);
        return 2;
    }
    gint64 start = g_get_monotonic_time();
    g_autoptr(DuetBatch) text = lines_of(duet_bundled_text());
    g_autoptr(DuetRdd) lines = duet_rdd_parallelize(context, text, 0);
    g_autoptr(DuetSchema) pair_schema = duet_schema_parse("word STRING, count INT", NULL);
    g_autoptr(DuetRdd) pairs = duet_rdd_flat_map(lines, pair_schema, split_words, NULL);
    g_autoptr(DuetRdd) counts = duet_rdd_reduce_by_key(pairs, add, NULL, 0, &error);
    g_autoptr(DuetBatch) result = counts ? duet_rdd_collect(counts, &error) : NULL;
    if (result == NULL) {
        fprintf(stderr, "duet demo: %s\n", error->message);
        g_error_free(error);
        return 1;
    }
    gsize n_words = duet_batch_n_rows(result);
    WordCount *words = g_new(WordCount, MAX(n_words, 1));
    gint64 total = 0;
    for (gsize row_idx = 0; row_idx < n_words; row_idx++) {
        DuetRow row = duet_batch_row(result, row_idx);
        gsize len;
        const char *word = duet_row_get_string(&row, 0, &len);
        words[row_idx].word = g_strndup(word, len);
        words[row_idx].count = duet_row_get_int32(&row, 1);
        total += words[row_idx].count;
    }
    qsort(words, n_words, sizeof(WordCount),
          (int (*)(const void *, const void *))by_count_then_word);
    gsize shown = top > 0 ? MIN((gsize)top, n_words) : n_words;
    for (gsize word_idx = 0; word_idx < shown; word_idx++)
        printf("(%s,%d)\n", words[word_idx].word, words[word_idx].count);
    printf("-- %" G_GINT64_FORMAT " words, %zu distinct, counted on %s in %.1f ms\n", total,
           n_words, master, (double)(g_get_monotonic_time() - start) / 1000.0);
    for (gsize word_idx = 0; word_idx < n_words; word_idx++)
        g_free(words[word_idx].word);
    g_free(words);
    return 0;
}
