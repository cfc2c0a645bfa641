/* test.c — the CUnit runner and helpers behind tests/common/test.h. */
#include "tests/common/test.h"
#include "rdd/atomic_file.h"

#include <glib/gstdio.h>

int
duet_test_run(const char *suite_name, const DuetTestCase *cases, gsize n_cases)
{
    if (CU_initialize_registry() != CUE_SUCCESS)
        return 2;
    CU_pSuite suite = CU_add_suite(suite_name, NULL, NULL);
    for (gsize case_idx = 0; case_idx < n_cases; case_idx++)
        CU_add_test(suite, cases[case_idx].name, cases[case_idx].func);
    CU_basic_set_mode(CU_BRM_VERBOSE);
    CU_basic_run_tests();
    unsigned failed = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
    CU_cleanup_registry();
    return failed == 0 ? 0 : 1;
}

char *
duet_test_tmpdir_new(void)
{
    GError *error = NULL;
    char *path = g_dir_make_tmp("duet-test-XXXXXX", &error);
    g_assert_no_error(error);
    return path;
}

void
duet_test_tmpdir_free(char *path)
{
    if (path == NULL)
        return;
    duet_remove_tree(path);
    g_free(path);
}
