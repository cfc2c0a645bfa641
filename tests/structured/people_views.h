/* people_views.h — the static views the SQL tests of structured/ query: people and depts. */
#pragma once

#include "structured/sql_statement.h"

typedef struct {
    DuetContext *context; /* local[2], spark.sql.shuffle.partitions 3 */
    DuetCatalog *catalog;
    DuetSource *people; /* name STRING, dept STRING, age INT, salary DOUBLE: 5 rows */
    DuetSource *depts;  /* dept STRING, floor INT: 3 rows */
} DuetTestPeopleViews;

/* Registers the views "people" and depts_view (the depts table) in a new catalog. */
void duet_test_people_views_init(DuetTestPeopleViews *views, const char *depts_view);
void duet_test_people_views_clear(DuetTestPeopleViews *views);
