/* svg_classes.c — counts an SVG document's elements by class with GMarkup. See svg_classes.h.
 *
 * Layer: tests/compat. Includes GLib only.
 */
#include "tests/compat/svg_classes.h"

#include <string.h>

typedef struct {
    GHashTable *classes;   /* class -> count */
    const char *wanted;    /* collect the text of this class, or NULL */
    GPtrArray *texts;      /* collected texts */
    int depth;             /* element depth */
    int in_wanted;         /* depth of the wanted element being read, or 0 */
    GString *current;      /* its text so far */
    const char *attribute; /* collect this attribute of the wanted class instead, or NULL */
} Counter;

static void
bump(GHashTable *classes, const char *key)
{
    int count = GPOINTER_TO_INT(g_hash_table_lookup(classes, key));
    g_hash_table_insert(classes, g_strdup(key), GINT_TO_POINTER(count + 1));
}

static void
start_element(GMarkupParseContext *context, const char *name, const char **attribute_names,
              const char **attribute_values, gpointer user_data, GError **error)
{
    Counter *counter = user_data;
    counter->depth++;
    if (counter->depth == 1 && g_str_equal(name, "svg"))
        bump(counter->classes, "svg:root");
    if (g_str_equal(name, "title"))
        bump(counter->classes, "svg:title");
    for (int index = 0; attribute_names[index]; index++) {
        if (!g_str_equal(attribute_names[index], "class"))
            continue;
        bump(counter->classes, attribute_values[index]);
        if (counter->attribute && counter->wanted &&
            g_str_equal(counter->wanted, attribute_values[index])) {
            const char *value = "";
            for (int other = 0; attribute_names[other]; other++) {
                if (g_str_equal(attribute_names[other], counter->attribute))
                    value = attribute_values[other];
            }
            g_ptr_array_add(counter->texts, g_strdup(value));
            continue;
        }
        if (counter->wanted && g_str_equal(counter->wanted, attribute_values[index]) &&
            counter->in_wanted == 0) {
            counter->in_wanted = counter->depth;
            g_string_truncate(counter->current, 0);
        }
    }
}

static void
end_element(GMarkupParseContext *context, const char *name, gpointer user_data, GError **error)
{
    Counter *counter = user_data;
    if (counter->in_wanted == counter->depth) {
        g_ptr_array_add(counter->texts, g_strdup(counter->current->str));
        counter->in_wanted = 0;
    }
    counter->depth--;
}

static void
text(GMarkupParseContext *context, const char *text, gsize length, gpointer user_data,
     GError **error)
{
    Counter *counter = user_data;
    /* only the element's own text, not its <title> */
    if (counter->in_wanted && counter->in_wanted == counter->depth)
        g_string_append_len(counter->current, text, (gssize)length);
}

static const GMarkupParser parser = {start_element, end_element, text, NULL, NULL};

static gboolean
parse(Counter *counter, const char *document, GError **error)
{
    GMarkupParseContext *context = g_markup_parse_context_new(&parser, 0, counter, NULL);
    gboolean ok = g_markup_parse_context_parse(context, document, -1, error) &&
                  g_markup_parse_context_end_parse(context, error);
    g_markup_parse_context_free(context);
    return ok;
}

GHashTable *
duet_test_svg_classes(const char *document, GError **error)
{
    Counter counter = {.classes = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL)};
    counter.current = g_string_new(NULL);
    counter.texts = g_ptr_array_new_with_free_func(g_free);
    gboolean ok = parse(&counter, document, error);
    g_string_free(counter.current, TRUE);
    g_ptr_array_unref(counter.texts);
    if (!ok) {
        g_hash_table_unref(counter.classes);
        return NULL;
    }
    return counter.classes;
}

int
duet_test_svg_count(GHashTable *classes, const char *cls)
{
    return classes ? GPOINTER_TO_INT(g_hash_table_lookup(classes, cls)) : 0;
}

GPtrArray *
duet_test_svg_texts(const char *document, const char *cls)
{
    Counter counter = {.classes = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL),
                       .wanted = cls};
    counter.current = g_string_new(NULL);
    counter.texts = g_ptr_array_new_with_free_func(g_free);
    parse(&counter, document, NULL);
    g_string_free(counter.current, TRUE);
    g_hash_table_unref(counter.classes);
    return counter.texts;
}

GPtrArray *
duet_test_svg_attributes(const char *document, const char *cls, const char *attribute)
{
    Counter counter = {.classes = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL),
                       .wanted = cls};
    counter.current = g_string_new(NULL);
    counter.texts = g_ptr_array_new_with_free_func(g_free);
    counter.attribute = attribute;
    parse(&counter, document, NULL);
    g_string_free(counter.current, TRUE);
    g_hash_table_unref(counter.classes);
    return counter.texts;
}
