/* people_views.c — the static people and depts views of the structured/ SQL tests. */
#include "tests/structured/people_views.h"
#include "tests/common/batch_literal.h"
#include "tests/common/test.h"

void
duet_test_people_views_init(DuetTestPeopleViews *views, const char *depts_view)
{
    GError *error = NULL;
    views->context = duet_context_new("local[2]", &error);
    ASSERT_NO_ERROR(error);
    duet_context_set_conf(views->context, "spark.sql.shuffle.partitions", "3");
    views->catalog = duet_catalog_new();
    g_autoptr(DuetBatch) people =
        duet_test_batch("name STRING, dept STRING, age INT, salary DOUBLE",
                        "[[\"ann\", \"eng\", 34, 120.0], [\"bob\", \"eng\", 28, 95.5], "
                        "[\"cy\", \"ops\", 45, 80.0], [\"dee\", \"ops\", 23, null], "
                        "[\"eve\", \"hr\", null, 70.0]]");
    views->people = duet_memory_source_new(duet_batch_schema(people));
    duet_memory_source_add(views->people, people);
    g_autoptr(DuetBatch) depts =
        duet_test_batch("dept STRING, floor INT", "[[\"eng\", 3], [\"ops\", 1], [\"law\", 9]]");
    views->depts = duet_memory_source_new(duet_batch_schema(depts));
    duet_memory_source_add(views->depts, depts);
    g_autoptr(DuetDataFrame) people_frame = duet_dataframe_from_static_source(views->people);
    g_autoptr(DuetDataFrame) depts_frame = duet_dataframe_from_static_source(views->depts);
    CU_ASSERT_TRUE(
        duet_dataframe_create_or_replace_temp_view(views->catalog, people_frame, "people", &error));
    CU_ASSERT_TRUE(duet_dataframe_create_or_replace_temp_view(views->catalog, depts_frame,
                                                              depts_view, &error));
    ASSERT_NO_ERROR(error);
}

void
duet_test_people_views_clear(DuetTestPeopleViews *views)
{
    duet_catalog_unref(views->catalog);
    duet_source_unref(views->people);
    duet_source_unref(views->depts);
    duet_context_unref(views->context);
}
