/* test_optimizer.c — tests of structured/optimizer.c: the exact optimised plans of constant
 * folding, filter pushdown (below projections with aliases, into unions, never below a
 * watermark or a stateful operator), combined filters, collapsed projections and column
 * pruning; the same rows with the optimizer on and off over many static queries; and a
 * streaming aggregation whose checkpoint, written by the unoptimised plan, is resumed by the
 * optimised one. */
#include "tests/common/batch_literal.h"
#include "tests/common/test.h"
#include "tests/structured/people_views.h"
#include "structured/query.h"
#include "structured/sql_parser.h"
#include "structured/sql_statement.h"

#include <string.h>

/* people and depts (tests/structured/people_views.c) */
typedef DuetTestPeopleViews Fixture;

static void
fixture_init(Fixture *fixture)
{
    duet_test_people_views_init(fixture, "depts");
}

static void
fixture_clear(Fixture *fixture)
{
    duet_test_people_views_clear(fixture);
}

/* The "== Optimized Logical Plan ==" section of explain(extended). (transfer full) */
static char *
optimized_section(DuetDataFrame *frame)
{
    g_autofree char *all = duet_dataframe_explain_extended(frame);
    const char *start = strstr(all, "== Optimized Logical Plan ==\n");
    const char *end = strstr(all, "\n== Physical Plan ==");
    g_assert(start != NULL && end != NULL);
    start += strlen("== Optimized Logical Plan ==\n");
    return g_strndup(start, (gsize)(end - start));
}

static DuetDataFrame *
sql(Fixture *fixture, const char *text)
{
    GError *error = NULL;
    DuetDataFrame *frame = duet_catalog_sql(fixture->catalog, text, &error);
    ASSERT_NO_ERROR(error);
    return frame;
}

#define PEOPLE                                                                                     \
    "LocalRelation [name, dept, age, salary], "                                                    \
    "MemoryStream[struct<name:string,dept:string,age:int,salary:double>]"
#define DEPTS "LocalRelation [dept, floor], MemoryStream[struct<dept:string,floor:int>]"

typedef struct {
    const char *sql;
    const char *plan;
} PlanCase;

static const PlanCase plan_cases[] = {
    /* ConstantFolding, BooleanSimplification, null semantics */
    {"SELECT name, 1 + 2 * 3 AS k, upper('x') AS u, CAST(NULL AS INT) + 1 AS n, "
     "concat('a', NULL) AS c FROM people WHERE 10 > 2 AND age > 20",
     "Project [name, 7 AS k, X AS u, NULL AS n, NULL AS c]\n"
     "+- Filter (age > 20)\n"
     "   +- Project [name, age]\n"
     "      +- " PEOPLE "\n"},
    /* a filter on TRUE disappears; one on FALSE stays */
    {"SELECT name FROM people WHERE 1 = 1 OR age > 3", "Project [name]\n+- " PEOPLE "\n"},
    {"SELECT name FROM people WHERE 1 = 2 AND age > 3",
     "Filter false\n+- Project [name]\n   +- " PEOPLE "\n"},
    /* PushDownPredicates through a projection, the alias substituted; pruning below */
    {"SELECT * FROM (SELECT name, age * 2 AS twice FROM people) t WHERE twice > 60",
     "Project [name, (age * 2) AS twice]\n"
     "+- Filter ((age * 2) > 60)\n"
     "   +- Project [name, age]\n"
     "      +- " PEOPLE "\n"},
    /* CollapseProject */
    {"SELECT a FROM (SELECT upper(name) AS a, age FROM people) s",
     "Project [upper(name) AS a]\n+- " PEOPLE "\n"},
    /* CombineFilters after pushdown */
    {"SELECT n FROM (SELECT name AS n, age FROM people WHERE age > 20) s WHERE n <> 'bob'",
     "Project [name AS n]\n"
     "+- Filter ((age > 20) AND (NOT (name = bob)))\n"
     "   +- Project [name, age]\n"
     "      +- " PEOPLE "\n"},
    /* into both sides of a union, each in its own names */
    {"SELECT * FROM (SELECT name FROM people UNION ALL SELECT dept FROM depts) u "
     "WHERE name > 'c'",
     "Union false, false\n"
     ":- Filter (name > c)\n"
     ":  +- Project [name]\n"
     ":     +- " PEOPLE "\n"
     "+- Filter (dept > c)\n"
     "   +- Project [dept]\n"
     "      +- " DEPTS "\n"},
    /* never below a stateful operator; the identity projection over it goes */
    {"SELECT dept, n FROM (SELECT dept, count(*) AS n FROM people GROUP BY dept) s WHERE n > 1",
     "Filter (n > 1)\n"
     "+- Aggregate [dept], [dept, count(1) AS n]\n"
     "   +- " PEOPLE "\n"},
    /* a join keeps its inputs; pruning works inside each side */
    {"SELECT name, floor FROM (SELECT name, dept FROM people) p JOIN depts USING (dept) "
     "WHERE floor > 1",
     "Project [name, floor]\n"
     "+- Filter (floor > 1)\n"
     "   +- Join Inner, (dept = dept)\n"
     "      :- Project [name, dept]\n"
     "      :  +- " PEOPLE "\n"
     "      +- " DEPTS "\n"},
};

static void
test_optimized_plans(void)
{
    Fixture fixture;
    fixture_init(&fixture);
    for (gsize index = 0; index < G_N_ELEMENTS(plan_cases); index++) {
        g_autoptr(DuetDataFrame) frame = sql(&fixture, plan_cases[index].sql);
        if (frame == NULL)
            continue;
        g_autofree char *plan = optimized_section(frame);
        if (!g_str_equal(plan, plan_cases[index].plan)) {
            fprintf(stderr, "\n%s\n--- expected\n%s--- got\n%s", plan_cases[index].sql,
                    plan_cases[index].plan, plan);
            CU_FAIL("plan");
        }
    }
    fixture_clear(&fixture);
}

/* The DataFrame API's plans optimise the same way. */
static void
test_dataframe_api_plans(void)
{
    Fixture fixture;
    fixture_init(&fixture);
    GError *error = NULL;
    g_autoptr(DuetDataFrame) input = duet_dataframe_from_static_source(fixture.people);
    g_autoptr(DuetDataFrame) older = duet_dataframe_where(input, "age > 20", &error);
    g_autoptr(DuetDataFrame) eng = duet_dataframe_where(older, "dept = 'eng'", &error);
    g_autoptr(DuetExpr) raise = duet_sql_parse_expression("salary * 1.5", &error);
    g_autoptr(DuetDataFrame) raised = duet_dataframe_with_column(eng, "salary", raise, &error);
    g_autoptr(DuetDataFrame) picked =
        duet_dataframe_select_expr(raised, &error, "name", "salary", NULL);
    ASSERT_NO_ERROR(error);
    g_autofree char *plan = optimized_section(picked);
    ASSERT_STR_EQ(plan, "Project [name, (salary * 1.5) AS salary]\n"
                        "+- Filter ((age > 20) AND (dept = eng))\n"
                        "   +- " PEOPLE "\n");
    /* the optimised frame collects the same rows */
    g_autoptr(DuetDataFrame) optimized = duet_dataframe_optimized(picked);
    g_autoptr(DuetBatch) rows = duet_dataframe_collect(fixture.context, optimized, &error);
    ASSERT_NO_ERROR(error);
    g_autofree char *text = duet_test_render_sorted(rows);
    ASSERT_STR_EQ(text, "[(ann,180.0), (bob,143.25)]");
    fixture_clear(&fixture);
}

static const char *const equal_cases[] = {
    "SELECT * FROM people",
    "SELECT name, age + 1 AS a1, 2 * 3 AS six FROM people WHERE age > 25 AND 1 < 2",
    "SELECT * FROM (SELECT name, age * 2 AS twice FROM people) t WHERE twice > 60",
    "SELECT x FROM (SELECT upper(name) AS x, age FROM people WHERE age IS NOT NULL) s "
    "WHERE x LIKE 'A%' OR x IS NULL",
    "SELECT n FROM (SELECT name AS n, age FROM people WHERE age > 20) s WHERE n <> 'bob'",
    "SELECT * FROM (SELECT name FROM people UNION ALL SELECT dept FROM depts) u WHERE name > 'c'",
    "SELECT dept, n FROM (SELECT dept, count(*) AS n FROM people GROUP BY dept) s WHERE n > 1",
    "SELECT dept, sum(salary) AS total, count(name) FROM people WHERE age > 0 GROUP BY dept",
    "SELECT name, floor FROM (SELECT name, dept FROM people) p JOIN depts USING (dept) "
    "WHERE floor > 1",
    "SELECT p.name, d.floor FROM people p LEFT JOIN depts d ON p.dept = d.dept WHERE p.age < 40",
    "SELECT DISTINCT dept FROM people WHERE salary IS NULL OR salary > 75",
    "SELECT name FROM people WHERE NULL AND age > 1",
    "SELECT name FROM people WHERE NOT (age > 30) OR CAST(NULL AS BOOLEAN)",
    "SELECT coalesce(name, 'nobody') AS who, CASE WHEN age > 30 THEN 'old' ELSE 'young' END "
    "AS band FROM people",
    "SELECT who FROM (SELECT coalesce(name, 'nobody') AS who, dept FROM people) s "
    "WHERE dept IN ('hr', 'law')",
    "SELECT age / 0 AS inf, 7 % 0 AS nothing, name FROM people WHERE age BETWEEN 20 AND 40",
    "SELECT name FROM people ORDER BY name DESC LIMIT 3",
    "SELECT a, b FROM (SELECT name AS a, dept AS b, age AS c FROM people) s1 WHERE c > 1 AND "
    "b = 'eng'",
    "SELECT dept FROM people UNION SELECT dept FROM depts",
    "SELECT length(name) + 1 AS l FROM (SELECT name FROM people WHERE length('abc') = 3) s",
};

static void
test_same_rows_with_and_without(void)
{
    Fixture fixture;
    fixture_init(&fixture);
    for (gsize index = 0; index < G_N_ELEMENTS(equal_cases); index++) {
        GError *error = NULL;
        g_autoptr(DuetDataFrame) frame = sql(&fixture, equal_cases[index]);
        if (frame == NULL)
            continue;
        duet_context_set_conf(fixture.context, "duet.sql.optimizer.enabled", "false");
        g_autoptr(DuetBatch) plain = duet_dataframe_collect(fixture.context, frame, &error);
        ASSERT_NO_ERROR(error);
        duet_context_set_conf(fixture.context, "duet.sql.optimizer.enabled", "true");
        g_autoptr(DuetBatch) optimized = duet_dataframe_collect(fixture.context, frame, &error);
        ASSERT_NO_ERROR(error);
        if (plain == NULL || optimized == NULL)
            continue;
        g_autofree char *want = duet_test_render_sorted(plain);
        g_autofree char *got = duet_test_render_sorted(optimized);
        if (!g_str_equal(want, got)) {
            fprintf(stderr, "\n%s\n  unoptimised %s\n  optimised   %s\n", equal_cases[index], want,
                    got);
            CU_FAIL("rows differ");
        }
        CU_ASSERT_TRUE(duet_schema_equal(duet_batch_schema(plain), duet_batch_schema(optimized)));
        g_autoptr(DuetDataFrame) optimized_frame = duet_dataframe_optimized(frame);
        CU_ASSERT_TRUE(duet_schema_equal(duet_dataframe_schema(frame),
                                         duet_dataframe_schema(optimized_frame)));
    }
    fixture_clear(&fixture);
}

/* ---- streaming ----------------------------------------------------------------------------- */

static gboolean
record_batch(DuetBatch *rows, gint64 batch_id, gpointer user_data, GError **error)
{
    GString *out = user_data;
    g_autofree char *text = duet_test_render_sorted(rows);
    g_string_append_printf(out, "%" G_GINT64_FORMAT ": %s\n", batch_id, text);
    return TRUE;
}

static const char *const stream_inputs[] = {
    "[[\"a\", 1000000], [\"b\", 2000000], [\"a\", 5000000], [\"zz\", 5000000]]",
    "[[\"a\", 12000000], [\"b\", 3000000]]",
    "[[\"c\", 31000000], [\"a\", 1000000]]",
    "[[\"b\", 45000000]]",
};

/* Runs the windowed count over a watermark on inputs [first, last), optimised or not, into
 * out, resuming checkpoint. */
static void
run_stream(DuetContext *context, const char *checkpoint, gboolean optimize, guint first, guint last,
           GString *out, char **plan)
{
    GError *error = NULL;
    duet_context_set_conf(context, "duet.sql.optimizer.enabled", optimize ? "true" : "false");
    g_autoptr(DuetSchema) schema = duet_schema_parse("word STRING, ts TIMESTAMP", NULL);
    g_autoptr(DuetSource) events = duet_memory_source_new(schema);
    /* a restarted memory stream replays what the first run saw */
    for (guint index = 0; index < first; index++) {
        g_autoptr(DuetBatch) rows =
            duet_test_batch("word STRING, ts TIMESTAMP", stream_inputs[index]);
        duet_memory_source_add(events, rows);
    }
    g_autoptr(DuetDataFrame) stream = duet_dataframe_from_source(events);
    g_autoptr(DuetDataFrame) marked =
        duet_dataframe_with_watermark(stream, "ts", "10 seconds", &error);
    g_autoptr(DuetCatalog) catalog = duet_catalog_new();
    duet_dataframe_create_or_replace_temp_view(catalog, marked, "events", &error);
    g_autoptr(DuetDataFrame) counts = duet_catalog_sql(
        catalog,
        "SELECT start, w, n FROM (SELECT window.start AS start, upper(word) AS w, count(*) AS n "
        "FROM (SELECT word, ts, 1 + 1 AS two FROM events) e WHERE length(word) < 2 AND two = 2 "
        "GROUP BY window(ts, '10 seconds'), upper(word)) s WHERE n > 0",
        &error);
    ASSERT_NO_ERROR(error);
    if (plan != NULL)
        *plan = optimized_section(counts);
    g_autoptr(DuetSink) sink =
        duet_foreach_batch_sink_new(duet_dataframe_schema(counts), record_batch, out);
    DuetStreamingQuery *query = duet_streaming_query_start(
        context, counts, sink, DUET_OUTPUT_MODE_APPEND, checkpoint, NULL, NULL, &error);
    ASSERT_NO_ERROR(error);
    if (query == NULL)
        return;
    CU_ASSERT_TRUE(duet_streaming_query_process_all_available(query, &error));
    for (guint index = first; index < last; index++) {
        g_autoptr(DuetBatch) rows =
            duet_test_batch("word STRING, ts TIMESTAMP", stream_inputs[index]);
        duet_memory_source_add(events, rows);
        CU_ASSERT_TRUE(duet_streaming_query_process_all_available(query, &error));
        ASSERT_NO_ERROR(error);
    }
    duet_streaming_query_stop(query);
    duet_streaming_query_unref(query);
}

static void
test_streaming_state_compatible(void)
{
    Fixture fixture;
    fixture_init(&fixture);
    g_autoptr(GString) plain = g_string_new(NULL);
    char *dir = duet_test_tmpdir_new();
    g_autofree char *first = g_build_filename(dir, "plain", NULL);
    g_autofree char *second = g_build_filename(dir, "mixed", NULL);
    run_stream(fixture.context, first, FALSE, 0, G_N_ELEMENTS(stream_inputs), plain, NULL);
    /* half unoptimised, then resumed from that checkpoint optimised */
    g_autoptr(GString) mixed = g_string_new(NULL);
    g_autofree char *plan = NULL;
    run_stream(fixture.context, second, FALSE, 0, 2, mixed, NULL);
    run_stream(fixture.context, second, TRUE, 2, G_N_ELEMENTS(stream_inputs), mixed, &plan);
    ASSERT_STR_EQ(mixed->str, plain->str);
    /* Spark drops late rows of a window aggregation by the window's end, so the a at 1s of
     * the third input still counts */
    ASSERT_STR_EQ(plain->str, "0: []\n"
                              "1: []\n"
                              "2: []\n"
                              "3: []\n"
                              "4: [(1970-01-01 00:00:00.0,A,3), (1970-01-01 00:00:00.0,B,2), "
                              "(1970-01-01 00:00:10.0,A,1)]\n"
                              "5: []\n"
                              "6: []\n");
    /* the filter on the aggregate's output moves below the projection over it, never below
     * the aggregate; the folded `two = 2` disappears; the watermark, the window expansion and
     * the aggregate keep their inputs */
    ASSERT_STR_EQ(plan,
                  "Project [window.start, upper(word) AS w, n]\n"
                  "+- Filter (n > 0)\n"
                  "   +- Aggregate [window, upper(word)], [window, upper(word), count(1) AS n]\n"
                  "      +- Expand [window(ts, 10000000, 10000000, 0)], [word, ts, two, window]\n"
                  "         +- Project [word, ts, 2 AS two]\n"
                  "            +- Filter (length(word) < 2)\n"
                  "               +- EventTimeWatermark ts: timestamp, 10 seconds\n"
                  "                  +- StreamingDataSourceV2Relation [word, ts], "
                  "MemoryStream[struct<word:string,ts:timestamp>]\n");
    duet_test_tmpdir_free(dir);
    fixture_clear(&fixture);
}

DUET_TEST_MAIN("optimizer", DUET_TEST(test_optimized_plans), DUET_TEST(test_dataframe_api_plans),
               DUET_TEST(test_same_rows_with_and_without),
               DUET_TEST(test_streaming_state_compatible))
