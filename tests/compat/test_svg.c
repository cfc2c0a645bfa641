/* test_svg.c — compat/svg.c: well-formed documents, C-locale numbers, escaping, tick steps. */
#include "compat/svg.h"
#include "tests/common/test.h"
#include "tests/compat/svg_classes.h"

#include <math.h>

static void
test_document_is_well_formed(void)
{
    DuetSvg *svg = duet_svg_new(200.5, 100, "plot <1> & \"2\"", ".a{fill:red}");
    duet_svg_group_begin(svg, "series", "DStream & co");
    duet_svg_rect(svg, "bar", 1, 2, 3, 4, "a <rect>");
    duet_svg_line(svg, "axis", 0, 0, 10, 10, NULL);
    duet_svg_circle(svg, "dot", 5, 5, 2, NULL);
    static const double points[] = {0, 0, 1.25, 2.5, 3, NAN};
    duet_svg_polyline(svg, "line", points, 3, "p");
    duet_svg_textf(svg, "label", 1, 2, "middle", "%d < %d", 1, 2);
    /* the group is left open: finish closes it */
    g_autofree char *text = duet_svg_finish(svg);
    GError *error = NULL;
    g_autoptr(GHashTable) classes = duet_test_svg_classes(text, &error);
    ASSERT_NO_ERROR(error);
    CU_ASSERT_PTR_NOT_NULL_FATAL(classes);
    ASSERT_INT_EQ(duet_test_svg_count(classes, "svg:root"), 1);
    ASSERT_INT_EQ(duet_test_svg_count(classes, "series"), 1);
    ASSERT_INT_EQ(duet_test_svg_count(classes, "bar"), 1);
    ASSERT_INT_EQ(duet_test_svg_count(classes, "svg:title"), 4);
    g_autoptr(GPtrArray) labels = duet_test_svg_texts(text, "label");
    ASSERT_STR_EQ(labels->pdata[0], "1 < 2");
    CU_ASSERT_PTR_NOT_NULL(strstr(text, "width=\"200.5\" height=\"100\" viewBox=\"0 0 201 100\""));
    /* non-finite numbers are written as 0, never as "nan" */
    CU_ASSERT_PTR_NOT_NULL(strstr(text, "points=\"0.00,0.00 1.25,2.50 3.00,0.00\""));
    CU_ASSERT_PTR_NOT_NULL(strstr(text, "text-anchor=\"middle\""));
}

static void
test_numbers_are_short_and_c_locale(void)
{
    DuetSvg *svg = duet_svg_new(10, 10, NULL, NULL);
    duet_svg_rect(svg, "r", 12.5, -0.001, 3.14159, 1e9, NULL);
    duet_svg_rect(svg, "n", -3, 0, -5, 1, NULL);
    g_autofree char *text = duet_svg_finish(svg);
    CU_ASSERT_PTR_NOT_NULL(strstr(
        text, "<rect class=\"r\" x=\"12.5\" y=\"0\" width=\"3.14\" height=\"1000000000\"/>"));
    /* negative sizes are clamped (SVG rejects them) */
    CU_ASSERT_PTR_NOT_NULL(
        strstr(text, "<rect class=\"n\" x=\"-3\" y=\"0\" width=\"0\" height=\"1\"/>"));
}

static void
test_nice_step(void)
{
    CU_ASSERT_DOUBLE_EQUAL(duet_svg_nice_step(10000, 10), 1000, 1e-9);
    CU_ASSERT_DOUBLE_EQUAL(duet_svg_nice_step(12000, 10), 2000, 1e-9);
    CU_ASSERT_DOUBLE_EQUAL(duet_svg_nice_step(37, 10), 5, 1e-9);
    CU_ASSERT_DOUBLE_EQUAL(duet_svg_nice_step(0.9, 3), 0.5, 1e-9);
    CU_ASSERT_DOUBLE_EQUAL(duet_svg_nice_step(0, 10), 1, 1e-9);
    CU_ASSERT_DOUBLE_EQUAL(duet_svg_nice_step(-5, 10), 1, 1e-9);
}

static void
test_write_error_names_the_problem(void)
{
    DuetSvg *svg = duet_svg_new(10, 10, NULL, NULL);
    GError *error = NULL;
    CU_ASSERT_FALSE(duet_svg_write(svg, "/nonexistent-dir/x/plot.svg", &error));
    ASSERT_ERROR(error, G_FILE_ERROR, G_FILE_ERROR_NOENT);
    CU_ASSERT_PTR_NOT_NULL(strstr(error->message, "plot.svg"));
    g_clear_error(&error);
}

DUET_TEST_MAIN("svg", DUET_TEST(test_document_is_well_formed),
               DUET_TEST(test_numbers_are_short_and_c_locale), DUET_TEST(test_nice_step),
               DUET_TEST(test_write_error_names_the_problem))
