/* svg_classes.h — counts an SVG document's elements by class, parsing it with GMarkup.
 *
 * Layer: tests/compat. Parsing with a real XML parser is the well-formedness check: GMarkup
 * rejects unbalanced tags, bad escapes and text outside the root. Used by the timeline and svg
 * tests and by the svg_classes tool that the `duet bench --plot` script test runs.
 */
#pragma once

#include <glib.h>

/* A table class -> count (GINT_TO_POINTER) of the elements of text, the root included;
 * "svg:root" maps to 1 when the root element is <svg>, "svg:title" counts <title> elements.
 * NULL with error set when text is not well-formed. (transfer full) */
GHashTable *duet_test_svg_classes(const char *text, GError **error);
/* How many elements of text have class cls (0 if text is not well-formed). */
int duet_test_svg_count(GHashTable *classes, const char *cls);
/* The text content of the elements of class cls, in document order. (transfer full) */
GPtrArray *duet_test_svg_texts(const char *text, const char *cls);
/* The value of attribute attribute of the elements of class cls, in document order ("" where an
 * element lacks it). (transfer full) */
GPtrArray *duet_test_svg_attributes(const char *text, const char *cls, const char *attribute);
