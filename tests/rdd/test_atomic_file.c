/* test_atomic_file.c — tests of rdd/atomic_file.c and rdd/fault.c: atomic replacement,
 * injected failures at each durability site leaving the old content, and versioned files
 * that are truncated, garbage, of another kind or of a future version. */
#include "tests/common/test.h"
#include "rdd/atomic_file.h"
#include "rdd/fault.h"

#include <glib/gstdio.h>
#include <unistd.h>

static DuetFaultSite failing_site;

static gboolean
fail_at_site(DuetFaultSite site, const char *path, gpointer user_data)
{
    return site == failing_site;
}

static char *
read_text(const char *path)
{
    char *text = NULL;
    g_file_get_contents(path, &text, NULL, NULL);
    return text;
}

/* Only the target and no temporary file remain in the directory. */
static void
assert_only_file(const char *dir, const char *name)
{
    GDir *handle = g_dir_open(dir, 0, NULL);
    const char *entry;
    guint count = 0;
    while ((entry = g_dir_read_name(handle)) != NULL) {
        ASSERT_STR_EQ(entry, name);
        count++;
    }
    g_dir_close(handle);
    ASSERT_INT_EQ(count, 1);
}

static void
test_write_and_replace(void)
{
    char *dir = duet_test_tmpdir_new();
    g_autofree char *path = g_build_filename(dir, "sub", "file", NULL);
    GError *error = NULL;
    CU_ASSERT_TRUE(duet_atomic_file_write(path, "first", 5, &error));
    ASSERT_NO_ERROR(error);
    g_autofree char *first = read_text(path);
    ASSERT_STR_EQ(first, "first");
    CU_ASSERT_TRUE(duet_atomic_file_write(path, "second", 6, &error));
    g_autofree char *second = read_text(path);
    ASSERT_STR_EQ(second, "second");
    CU_ASSERT_TRUE(duet_atomic_file_write(path, "", 0, &error));
    g_autofree char *empty = read_text(path);
    ASSERT_STR_EQ(empty, "");
    duet_test_tmpdir_free(dir);
}

static void
test_faults_keep_old_content(void)
{
    char *dir = duet_test_tmpdir_new();
    g_autofree char *path = g_build_filename(dir, "state", NULL);
    GError *error = NULL;
    CU_ASSERT_TRUE(duet_atomic_file_write(path, "old", 3, &error));
    DuetFaultSite sites[] = {DUET_FAULT_SITE_WRITE, DUET_FAULT_SITE_FSYNC, DUET_FAULT_SITE_RENAME};
    duet_fault_sim_set_hook(fail_at_site, NULL);
    for (guint site = 0; site < G_N_ELEMENTS(sites); site++) {
        failing_site = sites[site];
        CU_ASSERT_FALSE(duet_atomic_file_write(path, "new", 3, &error));
        ASSERT_ERROR(error, DUET_FILE_ERROR, DUET_FILE_ERROR_IO);
        CU_ASSERT_PTR_NOT_NULL(strstr(error->message, dir));
        g_clear_error(&error);
        g_autofree char *text = read_text(path);
        ASSERT_STR_EQ(text, "old");
        assert_only_file(dir, "state");
    }
    duet_fault_sim_set_hook(NULL, NULL);
    ASSERT_STR_EQ(duet_fault_site_name(DUET_FAULT_SITE_RENAME), "rename");
    duet_test_tmpdir_free(dir);
}

static void
test_unwritable_directory(void)
{
    GError *error = NULL;
    CU_ASSERT_FALSE(duet_atomic_file_write("/proc/duet-cannot-write-here/x", "a", 1, &error));
    ASSERT_ERROR(error, DUET_FILE_ERROR, DUET_FILE_ERROR_IO);
    g_clear_error(&error);
}

static void
test_versioned_files(void)
{
    char *dir = duet_test_tmpdir_new();
    g_autofree char *path = g_build_filename(dir, "0", NULL);
    GError *error = NULL;
    const char payload[] = "payload\nwith\0binary";
    CU_ASSERT_TRUE(duet_versioned_file_write(path, "offsets", 1, payload, sizeof payload, &error));
    guint version = 0;
    GBytes *read = duet_versioned_file_read(path, "offsets", 1, &version, &error);
    ASSERT_NO_ERROR(error);
    ASSERT_INT_EQ(version, 1);
    gsize len;
    const char *data = g_bytes_get_data(read, &len);
    ASSERT_INT_EQ(len, sizeof payload);
    CU_ASSERT_EQUAL(memcmp(data, payload, len), 0);
    g_bytes_unref(read);

    /* another kind */
    CU_ASSERT_PTR_NULL(duet_versioned_file_read(path, "commits", 1, &version, &error));
    ASSERT_ERROR(error, DUET_FILE_ERROR, DUET_FILE_ERROR_CORRUPT);
    CU_ASSERT_PTR_NOT_NULL(strstr(error->message, path));
    CU_ASSERT_PTR_NOT_NULL(strstr(error->message, "not a duet commits file"));
    g_clear_error(&error);

    /* a future version */
    CU_ASSERT_TRUE(duet_versioned_file_write(path, "offsets", 9, "x", 1, &error));
    CU_ASSERT_PTR_NULL(duet_versioned_file_read(path, "offsets", 1, &version, &error));
    ASSERT_ERROR(error, DUET_FILE_ERROR, DUET_FILE_ERROR_VERSION);
    CU_ASSERT_PTR_NOT_NULL(strstr(error->message, "v9"));
    g_clear_error(&error);

    /* every truncation of a valid file is reported, naming the file */
    CU_ASSERT_TRUE(duet_versioned_file_write(path, "offsets", 1, payload, sizeof payload, &error));
    g_autofree char *whole = NULL;
    gsize whole_len = 0;
    g_file_get_contents(path, &whole, &whole_len, NULL);
    for (gsize cut = 0; cut < whole_len; cut++) {
        g_file_set_contents(path, whole, (gssize)cut, NULL);
        GBytes *bytes = duet_versioned_file_read(path, "offsets", 1, &version, &error);
        CU_ASSERT_PTR_NULL(bytes);
        CU_ASSERT_PTR_NOT_NULL_FATAL(error);
        CU_ASSERT_PTR_NOT_NULL(strstr(error->message, path));
        g_clear_error(&error);
    }
    /* one flipped payload byte fails the checksum */
    whole[whole_len - 2] ^= 0x40;
    g_file_set_contents(path, whole, (gssize)whole_len, NULL);
    CU_ASSERT_PTR_NULL(duet_versioned_file_read(path, "offsets", 1, &version, &error));
    ASSERT_ERROR(error, DUET_FILE_ERROR, DUET_FILE_ERROR_CORRUPT);
    CU_ASSERT_PTR_NOT_NULL(strstr(error->message, "checksum"));
    g_clear_error(&error);

    /* missing */
    g_autofree char *missing = g_build_filename(dir, "missing", NULL);
    CU_ASSERT_PTR_NULL(duet_versioned_file_read(missing, "offsets", 1, &version, &error));
    ASSERT_ERROR(error, DUET_FILE_ERROR, DUET_FILE_ERROR_IO);
    g_clear_error(&error);
    duet_test_tmpdir_free(dir);
}

/* A nested tree goes; a symlink inside it is unlinked and its target outside survives. */
static void
test_remove_tree(void)
{
    char *outside = duet_test_tmpdir_new();
    g_autofree char *kept = g_build_filename(outside, "kept", NULL);
    CU_ASSERT_TRUE(g_file_set_contents(kept, "k", 1, NULL));

    char *dir = duet_test_tmpdir_new();
    g_autofree char *deep = g_build_filename(dir, "a", "b", "c", NULL);
    CU_ASSERT_EQUAL(g_mkdir_with_parents(deep, 0755), 0);
    g_autofree char *file = g_build_filename(deep, "file", NULL);
    CU_ASSERT_TRUE(g_file_set_contents(file, "x", 1, NULL));
    g_autofree char *link = g_build_filename(dir, "a", "link", NULL);
    CU_ASSERT_EQUAL(symlink(outside, link), 0);

    duet_remove_tree(dir);
    CU_ASSERT_FALSE(g_file_test(dir, G_FILE_TEST_EXISTS));
    CU_ASSERT_TRUE(g_file_test(kept, G_FILE_TEST_IS_REGULAR));
    duet_remove_tree(dir);  /* already gone: nothing happens */
    duet_remove_tree(NULL); /* no-op */
    g_free(dir);

    /* a plain file is removed too */
    duet_remove_tree(kept);
    CU_ASSERT_FALSE(g_file_test(kept, G_FILE_TEST_EXISTS));
    duet_test_tmpdir_free(outside);
}

DUET_TEST_MAIN("atomic_file", DUET_TEST(test_write_and_replace),
               DUET_TEST(test_faults_keep_old_content), DUET_TEST(test_unwritable_directory),
               DUET_TEST(test_versioned_files), DUET_TEST(test_remove_tree))
