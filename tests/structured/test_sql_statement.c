/* test_sql_statement.c — tests of structured/sql_statement.c: temporary views and spark.sql
 * over static views (a table of {sql, expected rows | expected error}), the parsed plan that
 * explain(extended) prints, and streaming queries over views run end to end from a memory
 * stream into a foreachBatch sink. */
#include "tests/common/batch_literal.h"
#include "tests/common/test.h"
#include "tests/structured/people_views.h"
#include "structured/query.h"
#include "structured/sql_statement.h"

/* people and Depts (tests/structured/people_views.c) */
typedef DuetTestPeopleViews Fixture;

static void
fixture_init(Fixture *fixture)
{
    duet_test_people_views_init(fixture, "Depts");
}

static void
fixture_clear(Fixture *fixture)
{
    duet_test_people_views_clear(fixture);
}

typedef struct {
    const char *sql;
    const char *expected; /* sorted rows, or NULL when error is set */
    const char *error;    /* a prefix of the message */
} SqlCase;

static const SqlCase cases[] = {
    {"SELECT name, age FROM people WHERE age > 30", "[(ann,34), (cy,45)]", NULL},
    {"select * from PEOPLE where dept = 'hr'", "[(eve,hr,null,70.0)]", NULL},
    {"SELECT p.name, p.age + 1 AS next FROM people AS p WHERE p.age < 30", "[(bob,29), (dee,24)]",
     NULL},
    {"SELECT dept, count(*) AS n, max(age) FROM people GROUP BY dept",
     "[(eng,2,34), (hr,1,null), (ops,2,45)]", NULL},
    {"SELECT dept, count(*) AS n FROM people GROUP BY dept HAVING count(*) > 1",
     "[(eng,2), (ops,2)]", NULL},
    {"SELECT dept, n FROM (SELECT dept, count(*) AS n FROM people GROUP BY dept) s WHERE n = 1",
     "[(hr,1)]", NULL},
    {"SELECT upper(dept) AS d, sum(salary) / count(*) AS mean FROM people GROUP BY upper(dept) "
     "HAVING sum(salary) > 100",
     "[(ENG,107.75)]", NULL},
    {"SELECT count(*) AS rows, min(age) FROM people", "[(5,23)]", NULL},
    {"SELECT DISTINCT dept FROM people", "[eng, hr, ops]", NULL},
    {"SELECT name, floor FROM people JOIN depts USING (dept)",
     "[(ann,3), (bob,3), (cy,1), (dee,1)]", NULL},
    {"SELECT p.name, d.floor FROM people p JOIN depts d ON p.dept = d.dept WHERE d.floor > 2",
     "[(ann,3), (bob,3)]", NULL},
    {"SELECT name, floor FROM people LEFT OUTER JOIN depts USING (dept) WHERE age IS NULL",
     "[(eve,null)]", NULL},
    {"SELECT name FROM people WHERE dept = 'hr' UNION ALL SELECT dept FROM depts",
     "[eng, eve, law, ops]", NULL},
    {"SELECT dept FROM people UNION SELECT dept FROM depts", "[eng, hr, law, ops]", NULL},
    {"SELECT name, age FROM people ORDER BY age DESC LIMIT 2", "[(ann,34), (cy,45)]", NULL},
    {"SELECT name FROM people WHERE name LIKE '%e%' AND age IN (23, 34) -- trailing comment",
     "[dee]", NULL},
    {"SELECT CASE WHEN age >= 30 THEN 'senior' ELSE 'junior' END AS band, count(*) AS n "
     "FROM people WHERE age IS NOT NULL GROUP BY CASE WHEN age >= 30 THEN 'senior' ELSE 'junior' "
     "END",
     "[(junior,2), (senior,2)]", NULL},
    {"SELECT `name` FROM `people` WHERE salary IS NULL;", "[dee]", NULL},
    {"SELECT name FROM nope", NULL,
     "[TABLE_OR_VIEW_NOT_FOUND] The table or view `nope` cannot be found. Verify the "
     "spelling and correctness of the schema and catalog.\nIf you did not qualify the name "
     "with a schema, verify the current_schema() output, or qualify the name with the "
     "correct schema and catalog.\nTo tolerate the error on drop use DROP VIEW IF EXISTS or "
     "DROP TABLE IF EXISTS.; line 1 pos 17"},
    {"SELECT name FROM people WHERE", NULL,
     "[PARSE_SYNTAX_ERROR] Syntax error at or near end of input.(line 1, pos 29)"},
    {"SELECT name, FROM people", NULL, "[PARSE_SYNTAX_ERROR] Syntax error at or near 'FROM'"},
    {"SELECT name FROM people WHERE age > > 1", NULL,
     "[PARSE_SYNTAX_ERROR] Syntax error at or near '>'.(line 1, pos 36)"},
    {"SELECT name FROM people LIMIT x", NULL,
     "[PARSE_SYNTAX_ERROR] Syntax error at or near 'x'.(line 1, pos 30)"},
    {"SELECT wage FROM people", NULL, "[UNRESOLVED_COLUMN.WITH_SUGGESTION]"},
    {"SELECT count(DISTINCT dept) FROM people", NULL,
     "duet: DISTINCT inside an aggregate function is not supported yet"},
};

static void
test_static_cases(void)
{
    Fixture fixture;
    fixture_init(&fixture);
    for (gsize index = 0; index < G_N_ELEMENTS(cases); index++) {
        const SqlCase *one = &cases[index];
        GError *error = NULL;
        g_autoptr(DuetDataFrame) frame = duet_catalog_sql(fixture.catalog, one->sql, &error);
        if (one->error != NULL) {
            CU_ASSERT_PTR_NULL(frame);
            if (error == NULL || !g_str_has_prefix(error->message, one->error)) {
                fprintf(stderr, "\n%s\n  expected error: %s\n  got: %s\n", one->sql, one->error,
                        error ? error->message : "(none)");
                CU_FAIL("error");
            }
            g_clear_error(&error);
            continue;
        }
        if (frame == NULL) {
            fprintf(stderr, "\n%s\n  failed: %s\n", one->sql, error->message);
            CU_FAIL("sql");
            g_clear_error(&error);
            continue;
        }
        CU_ASSERT_FALSE(duet_dataframe_is_streaming(frame));
        g_autoptr(DuetBatch) rows = duet_dataframe_collect(fixture.context, frame, &error);
        ASSERT_NO_ERROR(error);
        if (rows == NULL)
            continue;
        g_autofree char *text = duet_test_render_sorted(rows);
        if (!g_str_equal(text, one->expected)) {
            fprintf(stderr, "\n%s\n  expected %s\n  got      %s\n", one->sql, one->expected, text);
            CU_FAIL("rows");
        }
    }
    fixture_clear(&fixture);
}

static void
test_catalog_and_schema(void)
{
    Fixture fixture;
    fixture_init(&fixture);
    GError *error = NULL;
    g_autoptr(DuetDataFrame) frame = duet_catalog_sql(
        fixture.catalog, "SELECT dept, count(*), avg(salary) AS pay FROM people GROUP BY dept",
        &error);
    ASSERT_NO_ERROR(error);
    g_autofree char *tree = duet_dataframe_tree_string(frame);
    ASSERT_STR_EQ(tree, "root\n |-- dept: string (nullable = true)\n"
                        " |-- count(1): long (nullable = false)\n"
                        " |-- pay: double (nullable = true)\n");
    /* a view of a view, replaced, dropped */
    CU_ASSERT_TRUE(
        duet_dataframe_create_or_replace_temp_view(fixture.catalog, frame, "by_dept", &error));
    g_autoptr(DuetDataFrame) again =
        duet_catalog_sql(fixture.catalog, "SELECT dept FROM by_dept WHERE pay > 90", &error);
    ASSERT_NO_ERROR(error);
    g_autoptr(DuetBatch) rows = duet_dataframe_collect(fixture.context, again, &error);
    g_autofree char *text = duet_test_render_sorted(rows);
    ASSERT_STR_EQ(text, "[eng]");
    CU_ASSERT_TRUE(duet_catalog_drop_temp_view(fixture.catalog, "BY_DEPT"));
    CU_ASSERT_FALSE(duet_catalog_drop_temp_view(fixture.catalog, "by_dept"));
    CU_ASSERT_PTR_NULL(duet_catalog_lookup(fixture.catalog, "by_dept"));
    CU_ASSERT_FALSE(
        duet_dataframe_create_or_replace_temp_view(fixture.catalog, frame, "db.view", &error));
    ASSERT_ERROR(error, DUET_SQL_ERROR, DUET_SQL_ERROR_ANALYSIS);
    CU_ASSERT_TRUE(g_str_has_prefix(error->message, "[TEMP_VIEW_NAME_TOO_MANY_NAME_PARTS]"));
    g_clear_error(&error);
    fixture_clear(&fixture);
}

static void
test_explain_extended(void)
{
    Fixture fixture;
    fixture_init(&fixture);
    GError *error = NULL;
    g_autoptr(DuetDataFrame) frame = duet_catalog_sql(
        fixture.catalog,
        "SELECT dept, count(*) AS n FROM people p WHERE p.age > 1 + 2 GROUP BY dept "
        "ORDER BY n DESC LIMIT 2",
        &error);
    ASSERT_NO_ERROR(error);
    g_autofree char *plan = duet_dataframe_explain_extended(frame);
    ASSERT_STR_EQ(plan, "== Parsed Logical Plan ==\n"
                        "'GlobalLimit 2\n"
                        "+- 'LocalLimit 2\n"
                        "   +- 'Sort ['n DESC NULLS LAST], true\n"
                        "      +- 'Aggregate ['dept], ['dept, 'count(1) AS n]\n"
                        "         +- 'Filter ('age > (1 + 2))\n"
                        "            +- 'SubqueryAlias p\n"
                        "               +- 'UnresolvedRelation [people], [], false\n"
                        "\n== Analyzed Logical Plan ==\n"
                        "dept: string, n: bigint\n"
                        "GlobalLimit 2\n"
                        "+- LocalLimit 2\n"
                        "   +- Sort [n DESC NULLS LAST], true\n"
                        "      +- Aggregate [dept], [dept, count(1) AS n]\n"
                        "         +- Filter (age > (1 + 2))\n"
                        "            +- LocalRelation [name, dept, age, salary], "
                        "MemoryStream[struct<name:string,dept:string,age:int,salary:double>]\n"
                        "\n== Optimized Logical Plan ==\n"
                        "GlobalLimit 2\n"
                        "+- LocalLimit 2\n"
                        "   +- Sort [n DESC NULLS LAST], true\n"
                        "      +- Aggregate [dept], [dept, count(1) AS n]\n"
                        "         +- Filter (age > 3)\n"
                        "            +- LocalRelation [name, dept, age, salary], "
                        "MemoryStream[struct<name:string,dept:string,age:int,salary:double>]\n"
                        "\n== Physical Plan ==\n"
                        "StreamingGlobalLimit 2\n"
                        "+- Sort [n DESC NULLS LAST], true\n"
                        "   +- StateStoreSave [dept], functions=[n]\n"
                        "      +- Filter (age > 3)\n"
                        "         +- LocalTableScan "
                        "MemoryStream[struct<name:string,dept:string,age:int,salary:double>]\n");
    g_autoptr(DuetDataFrame) joined = duet_catalog_sql(
        fixture.catalog,
        "SELECT name FROM people JOIN depts USING (dept) UNION ALL SELECT dept FROM depts", &error);
    ASSERT_NO_ERROR(error);
    g_autofree char *union_plan = duet_dataframe_explain_extended(joined);
    const char *parsed_end = strstr(union_plan, "\n== Analyzed");
    g_autofree char *parsed = g_strndup(union_plan, (gsize)(parsed_end - union_plan));
    ASSERT_STR_EQ(parsed, "== Parsed Logical Plan ==\n"
                          "'Union false, false\n"
                          ":- 'Project ['name]\n"
                          ":  +- 'Join UsingJoin(Inner, [dept])\n"
                          ":     :- 'UnresolvedRelation [people], [], false\n"
                          ":     +- 'UnresolvedRelation [depts], [], false\n"
                          "+- 'Project ['dept]\n"
                          "   +- 'UnresolvedRelation [depts], [], false\n");
    const char *physical = strstr(union_plan, "== Physical Plan ==");
    ASSERT_STR_EQ(physical, "== Physical Plan ==\n"
                            "Union\n"
                            ":- Project [name]\n"
                            ":  +- BroadcastHashJoin Inner\n"
                            ":     :- LocalTableScan "
                            "MemoryStream[struct<name:string,dept:string,age:int,salary:double>]\n"
                            ":     +- LocalTableScan MemoryStream[struct<dept:string,floor:int>]\n"
                            "+- Project [dept]\n"
                            "   +- LocalTableScan MemoryStream[struct<dept:string,floor:int>]\n");
    fixture_clear(&fixture);
}

/* Every prefix of the table's statements either compiles or fails with a GError. */
static void
test_every_prefix(void)
{
    Fixture fixture;
    fixture_init(&fixture);
    for (gsize index = 0; index < G_N_ELEMENTS(cases); index++) {
        gsize length = strlen(cases[index].sql);
        for (gsize cut = 0; cut <= length; cut++) {
            g_autofree char *prefix = g_strndup(cases[index].sql, cut);
            GError *error = NULL;
            g_autoptr(DuetDataFrame) frame = duet_catalog_sql(fixture.catalog, prefix, &error);
            CU_ASSERT_TRUE((frame == NULL) == (error != NULL));
            if (frame != NULL) {
                g_autofree char *plan = duet_dataframe_explain_extended(frame);
                CU_ASSERT_PTR_NOT_NULL(plan);
            }
            g_clear_error(&error);
        }
    }
    fixture_clear(&fixture);
}

/* window() and session_window() keys, selected by name or by the call itself */
static void
test_time_windows(void)
{
    Fixture fixture;
    fixture_init(&fixture);
    GError *error = NULL;
    g_autoptr(DuetBatch) clicks = duet_test_batch(
        "user STRING, ts TIMESTAMP",
        "[[\"u\", 1000000], [\"u\", 4000000], [\"v\", 12000000], [\"u\", 30000000]]");
    g_autoptr(DuetSource) source = duet_memory_source_new(duet_batch_schema(clicks));
    duet_memory_source_add(source, clicks);
    g_autoptr(DuetDataFrame) frame = duet_dataframe_from_static_source(source);
    CU_ASSERT_TRUE(
        duet_dataframe_create_or_replace_temp_view(fixture.catalog, frame, "clicks", &error));
    static const SqlCase windows[] = {
        {"SELECT window, count(*) AS n FROM clicks GROUP BY window(ts, '10 seconds')",
         "[((1970-01-01 00:00:00.0,1970-01-01 00:00:10.0),2), "
         "((1970-01-01 00:00:10.0,1970-01-01 00:00:20.0),1), "
         "((1970-01-01 00:00:30.0,1970-01-01 00:00:40.0),1)]",
         NULL},
        {"SELECT upper(user) AS who, window(ts, '10 seconds') AS w, count(*) AS n FROM clicks "
         "GROUP BY window(ts, '10 seconds'), upper(user) HAVING count(*) > 1",
         "[(U,(1970-01-01 00:00:00.0,1970-01-01 00:00:10.0),2)]", NULL},
        {"SELECT window.end AS e, user, count(*) AS n FROM clicks "
         "GROUP BY window(ts, '10 seconds'), user HAVING n > 1",
         "[(1970-01-01 00:00:10.0,u,2)]", NULL},
        {"SELECT user, session_window.start AS s, count(*) AS n FROM clicks "
         "GROUP BY user, session_window(ts, '5 seconds')",
         "[(u,1970-01-01 00:00:01.0,2), (u,1970-01-01 00:00:30.0,1), "
         "(v,1970-01-01 00:00:12.0,1)]",
         NULL},
    };
    for (gsize index = 0; index < G_N_ELEMENTS(windows); index++) {
        g_autoptr(DuetDataFrame) result =
            duet_catalog_sql(fixture.catalog, windows[index].sql, &error);
        if (windows[index].error) {
            CU_ASSERT_PTR_NULL(result);
            CU_ASSERT_TRUE(error && g_str_has_prefix(error->message, windows[index].error));
            if (error && !g_str_has_prefix(error->message, windows[index].error))
                fprintf(stderr, "\n%s\n  got %s\n", windows[index].sql, error->message);
            g_clear_error(&error);
            continue;
        }
        ASSERT_NO_ERROR(error);
        if (result == NULL)
            continue;
        g_autoptr(DuetBatch) rows = duet_dataframe_collect(fixture.context, result, &error);
        ASSERT_NO_ERROR(error);
        g_autofree char *text = rows ? duet_test_render_sorted(rows) : NULL;
        ASSERT_STR_EQ(text, windows[index].expected);
    }
    fixture_clear(&fixture);
}

/* ---- streaming ----------------------------------------------------------------------------- */

static gboolean
record_batch(DuetBatch *rows, gint64 batch_id, gpointer user_data, GError **error)
{
    GPtrArray *batches = user_data;
    g_autofree char *text = duet_test_render_sorted(rows);
    g_ptr_array_add(batches, g_strdup_printf("%" G_GINT64_FORMAT ": %s", batch_id, text));
    return TRUE;
}

static void
add_events(DuetSource *source, const char *json)
{
    g_autoptr(DuetBatch) rows = duet_test_batch("word STRING, ts TIMESTAMP", json);
    duet_memory_source_add(source, rows);
}

static void
test_streaming_over_views(void)
{
    Fixture fixture;
    fixture_init(&fixture);
    GError *error = NULL;
    g_autoptr(DuetSchema) schema = duet_schema_parse("word STRING, ts TIMESTAMP", NULL);
    g_autoptr(DuetSource) events = duet_memory_source_new(schema);
    g_autoptr(DuetDataFrame) stream = duet_dataframe_from_source(events);
    g_autoptr(DuetDataFrame) marked =
        duet_dataframe_with_watermark(stream, "ts", "10 seconds", &error);
    ASSERT_NO_ERROR(error);
    CU_ASSERT_TRUE(
        duet_dataframe_create_or_replace_temp_view(fixture.catalog, marked, "events", &error));

    /* windowed counts, Append mode: a window is emitted once the watermark passes its end */
    g_autoptr(DuetDataFrame) counts =
        duet_catalog_sql(fixture.catalog,
                         "SELECT window.start AS start, word, count(*) AS n FROM events "
                         "WHERE word <> 'skip' GROUP BY window(ts, '10 seconds'), word",
                         &error);
    ASSERT_NO_ERROR(error);
    CU_ASSERT_TRUE(duet_dataframe_is_streaming(counts));
    g_autoptr(GPtrArray) batches = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(DuetSink) sink =
        duet_foreach_batch_sink_new(duet_dataframe_schema(counts), record_batch, batches);
    DuetStreamingQuery *query = duet_streaming_query_start(
        fixture.context, counts, sink, DUET_OUTPUT_MODE_APPEND, NULL, NULL, "sql_counts", &error);
    ASSERT_NO_ERROR(error);
    add_events(events, "[[\"a\", 1000000], [\"b\", 2000000], "
                       "[\"a\", 5000000], [\"skip\", 5000000]]");
    CU_ASSERT_TRUE(duet_streaming_query_process_all_available(query, &error));
    add_events(events, "[[\"a\", 31000000]]");
    CU_ASSERT_TRUE(duet_streaming_query_process_all_available(query, &error));
    ASSERT_NO_ERROR(error);
    duet_streaming_query_stop(query);
    duet_streaming_query_unref(query);
    GString *all = g_string_new(NULL);
    for (guint index = 0; index < batches->len; index++)
        g_string_append_printf(all, "%s\n", (char *)batches->pdata[index]);
    g_autofree char *got = g_string_free(all, FALSE);
    ASSERT_STR_EQ(got, "0: []\n"
                       "1: []\n"
                       "2: [(1970-01-01 00:00:00.0,a,2), (1970-01-01 00:00:00.0,b,1)]\n");

    /* a stream-static join through SQL, stateless: Append (over a fresh stream: the first
     * query's batches are gone from the memory source) */
    g_autoptr(DuetSource) more = duet_memory_source_new(schema);
    g_autoptr(DuetDataFrame) more_frame = duet_dataframe_from_source(more);
    CU_ASSERT_TRUE(
        duet_dataframe_create_or_replace_temp_view(fixture.catalog, more_frame, "events", &error));
    g_autoptr(DuetDataFrame) joined = duet_catalog_sql(
        fixture.catalog,
        "SELECT e.word, d.floor FROM events e JOIN depts d ON e.word = d.dept WHERE d.floor < 5",
        &error);
    ASSERT_NO_ERROR(error);
    CU_ASSERT_TRUE(duet_dataframe_is_streaming(joined));
    g_autoptr(GPtrArray) joined_batches = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(DuetSink) joined_sink =
        duet_foreach_batch_sink_new(duet_dataframe_schema(joined), record_batch, joined_batches);
    query = duet_streaming_query_start(fixture.context, joined, joined_sink,
                                       DUET_OUTPUT_MODE_APPEND, NULL, NULL, NULL, &error);
    ASSERT_NO_ERROR(error);
    add_events(more, "[[\"eng\", 60000000], [\"law\", 60000000], "
                     "[\"ops\", 61000000]]");
    CU_ASSERT_TRUE(duet_streaming_query_process_all_available(query, &error));
    ASSERT_NO_ERROR(error);
    duet_streaming_query_stop(query);
    duet_streaming_query_unref(query);
    CU_ASSERT_TRUE(joined_batches->len >= 1);
    if (joined_batches->len >= 1)
        ASSERT_STR_EQ(joined_batches->pdata[joined_batches->len - 1], "0: [(eng,3), (ops,1)]");

    /* Spark's refusal of distinct aggregates on streams */
    CU_ASSERT_PTR_NULL(duet_catalog_sql(
        fixture.catalog, "SELECT word, count(DISTINCT ts) FROM events GROUP BY word", &error));
    ASSERT_ERROR(error, DUET_SQL_ERROR, DUET_SQL_ERROR_ANALYSIS);
    ASSERT_STR_EQ(error->message, "Distinct aggregations are not supported on streaming "
                                  "DataFrames/Datasets. Consider using approx_count_distinct() "
                                  "instead.");
    g_clear_error(&error);
    /* a union of a stream and a static view is Spark's analysis error */
    CU_ASSERT_PTR_NULL(duet_catalog_sql(
        fixture.catalog, "SELECT word FROM events UNION ALL SELECT dept FROM depts", &error));
    ASSERT_ERROR(error, DUET_SQL_ERROR, DUET_SQL_ERROR_ANALYSIS);
    g_clear_error(&error);
    fixture_clear(&fixture);
}

DUET_TEST_MAIN("sql_statement", DUET_TEST(test_static_cases), DUET_TEST(test_catalog_and_schema),
               DUET_TEST(test_explain_extended), DUET_TEST(test_time_windows),
               DUET_TEST(test_every_prefix), DUET_TEST(test_streaming_over_views))
