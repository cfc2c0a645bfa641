/* test.h — what every CUnit test binary of duet shares.
 *
 * Layer: tests/. A test file lists its cases with DUET_TEST_MAIN; the macro registers them in
 * one CUnit suite named after the file, runs them with the basic interface and exits non-zero
 * on any failure, so meson counts the binary as failed. Assertion macros print both sides.
 */
#pragma once

#include <CUnit/Basic.h>
#include <glib.h>
#include <string.h>

typedef struct {
    const char *name; /* shown by CUnit */
    void (*func)(void);
} DuetTestCase;

int duet_test_run(const char *suite, const DuetTestCase *cases, gsize n_cases);

#define DUET_TEST_MAIN(suite, ...)                                                                 \
    int main(void)                                                                                 \
    {                                                                                              \
        static const DuetTestCase cases[] = {__VA_ARGS__};                                         \
        return duet_test_run(suite, cases, G_N_ELEMENTS(cases));                                   \
    }

#define DUET_TEST(func)                                                                            \
    {                                                                                              \
#func, func                                                                                \
    }

/* Assertions that show both values on failure. */
#define ASSERT_INT_EQ(actual, expected)                                                            \
    do {                                                                                           \
        gint64 a_ = (gint64)(actual), e_ = (gint64)(expected);                                     \
        if (a_ != e_)                                                                              \
            g_printerr("\n  %s:%d: %s == %" G_GINT64_FORMAT ", expected %" G_GINT64_FORMAT "\n",   \
                       __FILE__, __LINE__, #actual, a_, e_);                                       \
        CU_ASSERT_EQUAL(a_, e_);                                                                   \
    } while (0)

#define ASSERT_STR_EQ(actual, expected)                                                            \
    do {                                                                                           \
        const char *a_ = (actual), *e_ = (expected);                                               \
        gboolean eq_ = (a_ == NULL && e_ == NULL) || (a_ && e_ && strcmp(a_, e_) == 0);            \
        if (!eq_)                                                                                  \
            g_printerr("\n  %s:%d: %s ==\n[%s]\n  expected\n[%s]\n", __FILE__, __LINE__, #actual,  \
                       a_ ? a_ : "(null)", e_ ? e_ : "(null)");                                    \
        CU_ASSERT_TRUE(eq_);                                                                       \
    } while (0)

#define ASSERT_NO_ERROR(err)                                                                       \
    do {                                                                                           \
        if ((err) != NULL)                                                                         \
            g_printerr("\n  %s:%d: unexpected error: %s\n", __FILE__, __LINE__, (err)->message);   \
        CU_ASSERT_PTR_NULL(err);                                                                   \
    } while (0)

#define ASSERT_ERROR(err, domain, code)                                                            \
    do {                                                                                           \
        if ((err) == NULL)                                                                         \
            g_printerr("\n  %s:%d: expected an error, got none\n", __FILE__, __LINE__);            \
        CU_ASSERT_PTR_NOT_NULL_FATAL(err);                                                         \
        CU_ASSERT_TRUE(g_error_matches((err), (domain), (code)));                                  \
    } while (0)

/* A fresh temporary directory, removed recursively by duet_test_tmpdir_free(). */
char *duet_test_tmpdir_new(void);
void duet_test_tmpdir_free(char *path);
