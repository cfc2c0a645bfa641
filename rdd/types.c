/* types.c — data types and schemas: construction, comparison, Spark's names, DDL parsing.
 *
 * Layer: rdd/. Includes rdd/ only. Scalar types are static singletons whose reference count is
 * never decremented below its start, so they are never freed. Nested types and schemas are
 * immutable once shared. The parser accepts Spark's DDL spellings case-insensitively.
 */
#include "rdd/internal.h"

G_DEFINE_QUARK(duet - type - error - quark, duet_type_error)

#define SINGLETON_REFS (G_MAXINT / 2)

static DuetDataType scalars[] = {
    [DUET_TYPE_NULL] = {SINGLETON_REFS, DUET_TYPE_NULL, NULL, NULL, FALSE, NULL},
    [DUET_TYPE_BOOLEAN] = {SINGLETON_REFS, DUET_TYPE_BOOLEAN, NULL, NULL, FALSE, NULL},
    [DUET_TYPE_INT32] = {SINGLETON_REFS, DUET_TYPE_INT32, NULL, NULL, FALSE, NULL},
    [DUET_TYPE_INT64] = {SINGLETON_REFS, DUET_TYPE_INT64, NULL, NULL, FALSE, NULL},
    [DUET_TYPE_DOUBLE] = {SINGLETON_REFS, DUET_TYPE_DOUBLE, NULL, NULL, FALSE, NULL},
    [DUET_TYPE_STRING] = {SINGLETON_REFS, DUET_TYPE_STRING, NULL, NULL, FALSE, NULL},
    [DUET_TYPE_BINARY] = {SINGLETON_REFS, DUET_TYPE_BINARY, NULL, NULL, FALSE, NULL},
    [DUET_TYPE_TIMESTAMP] = {SINGLETON_REFS, DUET_TYPE_TIMESTAMP, NULL, NULL, FALSE, NULL},
    [DUET_TYPE_DATE] = {SINGLETON_REFS, DUET_TYPE_DATE, NULL, NULL, FALSE, NULL},
};

static gboolean
is_scalar_id(DuetTypeId id)
{
    return id <= DUET_TYPE_DATE;
}

DuetDataType *
duet_data_type_new_scalar(DuetTypeId id)
{
    g_return_val_if_fail(is_scalar_id(id), NULL);
    return &scalars[id];
}

static DuetDataType *
new_nested(DuetTypeId id)
{
    DuetDataType *type = g_new0(DuetDataType, 1);
    type->ref_count = 1;
    type->id = id;
    return type;
}

DuetDataType *
duet_data_type_new_array(DuetDataType *element, gboolean contains_null)
{
    g_return_val_if_fail(element != NULL, NULL);
    DuetDataType *type = new_nested(DUET_TYPE_ARRAY);
    type->element = duet_data_type_ref(element);
    type->contains_null = contains_null;
    return type;
}

DuetDataType *
duet_data_type_new_map(DuetDataType *key, DuetDataType *value, gboolean value_contains_null)
{
    g_return_val_if_fail(key != NULL && value != NULL, NULL);
    DuetDataType *type = new_nested(DUET_TYPE_MAP);
    type->element = duet_data_type_ref(key);
    type->value = duet_data_type_ref(value);
    type->contains_null = value_contains_null;
    return type;
}

DuetDataType *
duet_data_type_new_struct(DuetSchema *fields)
{
    g_return_val_if_fail(fields != NULL, NULL);
    DuetDataType *type = new_nested(DUET_TYPE_STRUCT);
    type->fields = duet_schema_ref(fields);
    return type;
}

DuetDataType *
duet_data_type_ref(DuetDataType *type)
{
    g_return_val_if_fail(type != NULL, NULL);
    if (!is_scalar_id(type->id))
        g_atomic_int_inc(&type->ref_count);
    return type;
}

void
duet_data_type_unref(DuetDataType *type)
{
    if (type == NULL || is_scalar_id(type->id))
        return;
    if (!g_atomic_int_dec_and_test(&type->ref_count))
        return;
    if (type->element)
        duet_data_type_unref(type->element);
    if (type->value)
        duet_data_type_unref(type->value);
    if (type->fields)
        duet_schema_unref(type->fields);
    g_free(type);
}

DuetTypeId
duet_data_type_id(const DuetDataType *type)
{
    return type->id;
}

DuetDataType *
duet_data_type_element(const DuetDataType *type)
{
    return type->id == DUET_TYPE_ARRAY ? type->element : NULL;
}

gboolean
duet_data_type_contains_null(const DuetDataType *type)
{
    return type->contains_null;
}

DuetDataType *
duet_data_type_map_key(const DuetDataType *type)
{
    return type->id == DUET_TYPE_MAP ? type->element : NULL;
}

DuetDataType *
duet_data_type_map_value(const DuetDataType *type)
{
    return type->id == DUET_TYPE_MAP ? type->value : NULL;
}

DuetSchema *
duet_data_type_fields(const DuetDataType *type)
{
    return type->id == DUET_TYPE_STRUCT ? type->fields : NULL;
}

gboolean
duet_data_type_equal(const DuetDataType *a, const DuetDataType *b)
{
    if (a == b)
        return TRUE;
    if (a == NULL || b == NULL || a->id != b->id)
        return FALSE;
    switch (a->id) {
    case DUET_TYPE_ARRAY:
        return duet_data_type_equal(a->element, b->element);
    case DUET_TYPE_MAP:
        return duet_data_type_equal(a->element, b->element) &&
               duet_data_type_equal(a->value, b->value);
    case DUET_TYPE_STRUCT:
        return duet_schema_equal(a->fields, b->fields);
    default:
        return TRUE;
    }
}

gsize
duet_data_type_fixed_width(const DuetDataType *type)
{
    switch (type->id) {
    case DUET_TYPE_BOOLEAN:
        return 1;
    case DUET_TYPE_INT32:
    case DUET_TYPE_DATE:
        return 4;
    case DUET_TYPE_INT64:
    case DUET_TYPE_DOUBLE:
    case DUET_TYPE_TIMESTAMP:
        return 8;
    default:
        return 0;
    }
}

gboolean
duet_data_type_is_numeric(const DuetDataType *type)
{
    return type->id == DUET_TYPE_INT32 || type->id == DUET_TYPE_INT64 ||
           type->id == DUET_TYPE_DOUBLE;
}

static void
append_type_string(GString *out, const DuetDataType *type)
{
    switch (type->id) {
    case DUET_TYPE_NULL:
        g_string_append(out, "void");
        break;
    case DUET_TYPE_BOOLEAN:
        g_string_append(out, "boolean");
        break;
    case DUET_TYPE_INT32:
        g_string_append(out, "int");
        break;
    case DUET_TYPE_INT64:
        g_string_append(out, "bigint");
        break;
    case DUET_TYPE_DOUBLE:
        g_string_append(out, "double");
        break;
    case DUET_TYPE_STRING:
        g_string_append(out, "string");
        break;
    case DUET_TYPE_BINARY:
        g_string_append(out, "binary");
        break;
    case DUET_TYPE_TIMESTAMP:
        g_string_append(out, "timestamp");
        break;
    case DUET_TYPE_DATE:
        g_string_append(out, "date");
        break;
    case DUET_TYPE_ARRAY:
        g_string_append(out, "array<");
        append_type_string(out, type->element);
        g_string_append_c(out, '>');
        break;
    case DUET_TYPE_MAP:
        g_string_append(out, "map<");
        append_type_string(out, type->element);
        g_string_append_c(out, ',');
        append_type_string(out, type->value);
        g_string_append_c(out, '>');
        break;
    case DUET_TYPE_STRUCT:
        g_string_append(out, "struct<");
        for (guint field_idx = 0; field_idx < duet_schema_n_fields(type->fields); field_idx++) {
            const DuetField *field = duet_schema_field(type->fields, field_idx);
            g_string_append_printf(out, "%s%s:", field_idx ? "," : "", field->name);
            append_type_string(out, field->type);
        }
        g_string_append_c(out, '>');
        break;
    }
}

char *
duet_data_type_to_string(const DuetDataType *type)
{
    GString *out = g_string_new(NULL);
    append_type_string(out, type);
    return g_string_free(out, FALSE);
}

/* ---- Schemas ------------------------------------------------------------------------------ */

static void
clear_field(gpointer data)
{
    DuetField *field = data;
    g_free(field->name);
    duet_data_type_unref(field->type);
}

DuetSchema *
duet_schema_new(void)
{
    DuetSchema *schema = g_new0(DuetSchema, 1);
    schema->ref_count = 1;
    schema->fields = g_array_new(FALSE, TRUE, sizeof(DuetField));
    g_array_set_clear_func(schema->fields, clear_field);
    return schema;
}

void
duet_schema_add_field(DuetSchema *schema, const char *name, DuetDataType *type, gboolean nullable)
{
    g_return_if_fail(schema != NULL && name != NULL && type != NULL);
    DuetField field = {g_strdup(name), duet_data_type_ref(type), nullable};
    g_array_append_val(schema->fields, field);
}

DuetSchema *
duet_schema_new_simple(const char *first_name, ...)
{
    DuetSchema *schema = duet_schema_new();
    va_list args;
    va_start(args, first_name);
    for (const char *name = first_name; name != NULL; name = va_arg(args, const char *)) {
        DuetTypeId id = va_arg(args, DuetTypeId);
        duet_schema_add_field(schema, name, duet_data_type_new_scalar(id), TRUE);
    }
    va_end(args);
    return schema;
}

DuetSchema *
duet_schema_ref(DuetSchema *schema)
{
    g_return_val_if_fail(schema != NULL, NULL);
    g_atomic_int_inc(&schema->ref_count);
    return schema;
}

void
duet_schema_unref(DuetSchema *schema)
{
    if (schema == NULL || !g_atomic_int_dec_and_test(&schema->ref_count))
        return;
    g_array_unref(schema->fields);
    g_free(schema);
}

guint
duet_schema_n_fields(const DuetSchema *schema)
{
    return schema->fields->len;
}

const DuetField *
duet_schema_field(const DuetSchema *schema, guint index)
{
    g_return_val_if_fail(index < schema->fields->len, NULL);
    return &g_array_index(schema->fields, DuetField, index);
}

gint
duet_schema_find(const DuetSchema *schema, const char *name)
{
    for (guint field_idx = 0; field_idx < schema->fields->len; field_idx++) {
        if (g_str_equal(g_array_index(schema->fields, DuetField, field_idx).name, name))
            return (gint)field_idx;
    }
    return -1;
}

gint
duet_schema_find_ci(const DuetSchema *schema, const char *name)
{
    gint found = -1;
    for (guint field_idx = 0; field_idx < schema->fields->len; field_idx++) {
        if (g_ascii_strcasecmp(g_array_index(schema->fields, DuetField, field_idx).name, name) ==
            0) {
            if (found >= 0)
                return -2;
            found = (gint)field_idx;
        }
    }
    return found;
}

gboolean
duet_schema_equal(const DuetSchema *a, const DuetSchema *b)
{
    if (a == b)
        return TRUE;
    if (a->fields->len != b->fields->len)
        return FALSE;
    for (guint field_idx = 0; field_idx < a->fields->len; field_idx++) {
        const DuetField *x = &g_array_index(a->fields, DuetField, field_idx);
        const DuetField *y = &g_array_index(b->fields, DuetField, field_idx);
        if (!g_str_equal(x->name, y->name) || !duet_data_type_equal(x->type, y->type))
            return FALSE;
    }
    return TRUE;
}

DuetSchema *
duet_schema_project(const DuetSchema *schema, const guint *indices, guint n)
{
    DuetSchema *projected = duet_schema_new();
    for (guint index = 0; index < n; index++) {
        const DuetField *field = duet_schema_field(schema, indices[index]);
        duet_schema_add_field(projected, field->name, field->type, field->nullable);
    }
    return projected;
}

char *
duet_schema_to_string(const DuetSchema *schema)
{
    g_autoptr(DuetDataType) type = duet_data_type_new_struct((DuetSchema *)schema);
    return duet_data_type_to_string(type);
}

/* Spark's typeName, used by treeString: integer, long, string, ... */
static const char *
type_name(const DuetDataType *type)
{
    switch (type->id) {
    case DUET_TYPE_NULL:
        return "void";
    case DUET_TYPE_BOOLEAN:
        return "boolean";
    case DUET_TYPE_INT32:
        return "integer";
    case DUET_TYPE_INT64:
        return "long";
    case DUET_TYPE_DOUBLE:
        return "double";
    case DUET_TYPE_STRING:
        return "string";
    case DUET_TYPE_BINARY:
        return "binary";
    case DUET_TYPE_TIMESTAMP:
        return "timestamp";
    case DUET_TYPE_DATE:
        return "date";
    case DUET_TYPE_ARRAY:
        return "array";
    case DUET_TYPE_STRUCT:
        return "struct";
    case DUET_TYPE_MAP:
        return "map";
    }
    return "?";
}

static void append_tree(GString *out, const DuetDataType *type, const char *prefix);

static void
append_tree_fields(GString *out, const DuetSchema *schema, const char *prefix)
{
    for (guint field_idx = 0; field_idx < schema->fields->len; field_idx++) {
        const DuetField *field = &g_array_index(schema->fields, DuetField, field_idx);
        g_string_append_printf(out, "%s-- %s: %s (nullable = %s)\n", prefix, field->name,
                               type_name(field->type), field->nullable ? "true" : "false");
        append_tree(out, field->type, prefix);
    }
}

/* Spark's DataType.buildFormattedString: nested levels are prefixed with "    |". */
static void
append_tree(GString *out, const DuetDataType *type, const char *prefix)
{
    g_autofree char *inner = g_strconcat(prefix, "    |", NULL);
    switch (type->id) {
    case DUET_TYPE_ARRAY:
        g_string_append_printf(out, "%s-- element: %s (containsNull = %s)\n", inner,
                               type_name(type->element), type->contains_null ? "true" : "false");
        append_tree(out, type->element, inner);
        break;
    case DUET_TYPE_MAP:
        g_string_append_printf(out, "%s-- key: %s\n", inner, type_name(type->element));
        append_tree(out, type->element, inner);
        g_string_append_printf(out, "%s-- value: %s (valueContainsNull = %s)\n", inner,
                               type_name(type->value), type->contains_null ? "true" : "false");
        append_tree(out, type->value, inner);
        break;
    case DUET_TYPE_STRUCT:
        append_tree_fields(out, type->fields, inner);
        break;
    default:
        break;
    }
}

char *
duet_schema_tree_string(const DuetSchema *schema)
{
    GString *out = g_string_new("root\n");
    append_tree_fields(out, schema, " |");
    return g_string_free(out, FALSE);
}

/* ---- DDL parsing -------------------------------------------------------------------------- */

typedef struct {
    const char *text; /* whole input, for messages */
    const char *cursor;
    GError **error;
    gboolean failed;
} TypeParser;

static void
skip_space(TypeParser *parser)
{
    while (g_ascii_isspace(*parser->cursor))
        parser->cursor++;
}

static void
parse_fail(TypeParser *parser, const char *what)
{
    if (!parser->failed)
        g_set_error(parser->error, DUET_TYPE_ERROR, DUET_TYPE_ERROR_PARSE,
                    "cannot parse data type '%s': %s at position %ld", parser->text, what,
                    (long)(parser->cursor - parser->text));
    parser->failed = TRUE;
}

static gboolean
expect(TypeParser *parser, char c)
{
    skip_space(parser);
    if (*parser->cursor != c) {
        char what[32];
        g_snprintf(what, sizeof what, "expected '%c'", c);
        parse_fail(parser, what);
        return FALSE;
    }
    parser->cursor++;
    return TRUE;
}

/* An identifier, or a backquoted name. (transfer full) */
static char *
parse_name(TypeParser *parser)
{
    skip_space(parser);
    if (*parser->cursor == '`') {
        GString *name = g_string_new(NULL);
        parser->cursor++;
        while (*parser->cursor) {
            if (parser->cursor[0] == '`' && parser->cursor[1] == '`') {
                g_string_append_c(name, '`');
                parser->cursor += 2;
            } else if (*parser->cursor == '`') {
                parser->cursor++;
                return g_string_free(name, FALSE);
            } else {
                g_string_append_c(name, *parser->cursor++);
            }
        }
        g_string_free(name, TRUE);
        parse_fail(parser, "unterminated `name`");
        return NULL;
    }
    const char *start = parser->cursor;
    while (g_ascii_isalnum(*parser->cursor) || *parser->cursor == '_')
        parser->cursor++;
    if (parser->cursor == start) {
        parse_fail(parser, "expected a name");
        return NULL;
    }
    return g_strndup(start, (gsize)(parser->cursor - start));
}

static DuetSchema *parse_fields(TypeParser *parser, char terminator);

static DuetDataType *
parse_type(TypeParser *parser)
{
    g_autofree char *word = parse_name(parser);
    if (word == NULL)
        return NULL;
    static const struct {
        const char *name;
        DuetTypeId id;
    } names[] = {
        {"int", DUET_TYPE_INT32},       {"integer", DUET_TYPE_INT32},
        {"short", DUET_TYPE_INT32},     {"smallint", DUET_TYPE_INT32},
        {"byte", DUET_TYPE_INT32},      {"tinyint", DUET_TYPE_INT32},
        {"long", DUET_TYPE_INT64},      {"bigint", DUET_TYPE_INT64},
        {"double", DUET_TYPE_DOUBLE},   {"float", DUET_TYPE_DOUBLE},
        {"real", DUET_TYPE_DOUBLE},     {"string", DUET_TYPE_STRING},
        {"varchar", DUET_TYPE_STRING},  {"char", DUET_TYPE_STRING},
        {"boolean", DUET_TYPE_BOOLEAN}, {"bool", DUET_TYPE_BOOLEAN},
        {"binary", DUET_TYPE_BINARY},   {"timestamp", DUET_TYPE_TIMESTAMP},
        {"date", DUET_TYPE_DATE},       {"void", DUET_TYPE_NULL},
        {"null", DUET_TYPE_NULL},
    };
    for (gsize name_idx = 0; name_idx < G_N_ELEMENTS(names); name_idx++) {
        if (g_ascii_strcasecmp(word, names[name_idx].name) == 0) {
            skip_space(parser);
            if (*parser->cursor == '(') { /* varchar(10), char(3): the length is ignored */
                while (*parser->cursor && *parser->cursor != ')')
                    parser->cursor++;
                if (!expect(parser, ')'))
                    return NULL;
            }
            return duet_data_type_new_scalar(names[name_idx].id);
        }
    }
    if (g_ascii_strcasecmp(word, "array") == 0) {
        if (!expect(parser, '<'))
            return NULL;
        g_autoptr(DuetDataType) element = parse_type(parser);
        if (element == NULL || !expect(parser, '>'))
            return NULL;
        return duet_data_type_new_array(element, TRUE);
    }
    if (g_ascii_strcasecmp(word, "map") == 0) {
        if (!expect(parser, '<'))
            return NULL;
        g_autoptr(DuetDataType) key = parse_type(parser);
        if (key == NULL || !expect(parser, ','))
            return NULL;
        g_autoptr(DuetDataType) value = parse_type(parser);
        if (value == NULL || !expect(parser, '>'))
            return NULL;
        return duet_data_type_new_map(key, value, TRUE);
    }
    if (g_ascii_strcasecmp(word, "struct") == 0) {
        if (!expect(parser, '<'))
            return NULL;
        g_autoptr(DuetSchema) fields = parse_fields(parser, '>');
        if (fields == NULL || !expect(parser, '>'))
            return NULL;
        return duet_data_type_new_struct(fields);
    }
    parser->cursor -= strlen(word);
    parse_fail(parser, "unknown type name");
    return NULL;
}

/* "name type, name: type, ..." up to terminator (not consumed) or the end. */
static DuetSchema *
parse_fields(TypeParser *parser, char terminator)
{
    DuetSchema *schema = duet_schema_new();
    skip_space(parser);
    while (*parser->cursor && *parser->cursor != terminator) {
        g_autofree char *name = parse_name(parser);
        if (name == NULL)
            break;
        skip_space(parser);
        if (*parser->cursor == ':')
            parser->cursor++;
        g_autoptr(DuetDataType) type = parse_type(parser);
        if (type == NULL)
            break;
        gboolean nullable = TRUE;
        skip_space(parser);
        if (g_ascii_strncasecmp(parser->cursor, "not null", 8) == 0) {
            nullable = FALSE;
            parser->cursor += 8;
        }
        duet_schema_add_field(schema, name, type, nullable);
        skip_space(parser);
        if (*parser->cursor == ',')
            parser->cursor++;
        else if (*parser->cursor && *parser->cursor != terminator)
            parse_fail(parser, "expected ',' between fields");
        skip_space(parser);
        if (parser->failed)
            break;
    }
    if (parser->failed) {
        duet_schema_unref(schema);
        return NULL;
    }
    return schema;
}

DuetDataType *
duet_data_type_parse(const char *text, GError **error)
{
    g_return_val_if_fail(text != NULL, NULL);
    TypeParser parser = {text, text, error, FALSE};
    DuetDataType *type = parse_type(&parser);
    skip_space(&parser);
    if (type != NULL && *parser.cursor != '\0') {
        parse_fail(&parser, "unexpected text after the type");
        duet_data_type_unref(type);
        return NULL;
    }
    return type;
}

DuetSchema *
duet_schema_parse(const char *ddl, GError **error)
{
    g_return_val_if_fail(ddl != NULL, NULL);
    TypeParser parser = {ddl, ddl, error, FALSE};
    DuetSchema *schema = parse_fields(&parser, '\0');
    if (schema != NULL && duet_schema_n_fields(schema) == 0) {
        parse_fail(&parser, "a schema needs at least one field");
        duet_schema_unref(schema);
        return NULL;
    }
    return schema;
}
