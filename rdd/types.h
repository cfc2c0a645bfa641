/* types.h — data types and schemas of the rdd/ core.
 *
 * Layer: rdd/ (includes only GLib). Every value in duet has one of the types below; a schema
 * is an ordered list of named, typed, nullable fields, the same thing Spark calls a StructType.
 * Both objects are immutable and reference-counted, so batches, RDDs and plans share them
 * freely across threads.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The type ids. Timestamps are microseconds since the epoch (UTC) in an int64, dates are days
 * since the epoch in an int32, exactly as Spark stores them. */
typedef enum {
    DUET_TYPE_NULL,      /* Spark NullType: every value is null */
    DUET_TYPE_BOOLEAN,   /* stored one byte per value */
    DUET_TYPE_INT32,     /* Spark IntegerType ("int") */
    DUET_TYPE_INT64,     /* Spark LongType ("bigint") */
    DUET_TYPE_DOUBLE,    /* Spark DoubleType */
    DUET_TYPE_STRING,    /* UTF-8 text */
    DUET_TYPE_BINARY,    /* raw bytes */
    DUET_TYPE_TIMESTAMP, /* int64 microseconds since 1970-01-01T00:00:00Z */
    DUET_TYPE_DATE,      /* int32 days since 1970-01-01 */
    DUET_TYPE_ARRAY,     /* variable-length list of one element type */
    DUET_TYPE_STRUCT,    /* fixed list of named fields (a nested schema) */
    DUET_TYPE_MAP,       /* list of key/value entries */
} DuetTypeId;

#define DUET_TYPE_ERROR (duet_type_error_quark())
GQuark duet_type_error_quark(void);

typedef enum {
    DUET_TYPE_ERROR_PARSE,    /* a type string could not be parsed */
    DUET_TYPE_ERROR_MISMATCH, /* a value or column does not have the expected type */
    DUET_TYPE_ERROR_FAILED,
} DuetTypeError;

typedef struct _DuetDataType DuetDataType;
typedef struct _DuetSchema DuetSchema;

/* A field of a schema or of a struct type. Visible because it is a small value type. */
typedef struct {
    char *name;         /* field name, UTF-8, never NULL */
    DuetDataType *type; /* owned reference */
    gboolean nullable;  /* whether the field may hold nulls */
} DuetField;

/* Scalar types are process-wide singletons: duet_data_type_new_scalar() returns a new reference
 * to the shared instance (ref/unref on them are harmless). */
DuetDataType *duet_data_type_new_scalar(DuetTypeId id);
DuetDataType *duet_data_type_new_array(DuetDataType *element, gboolean contains_null);
DuetDataType *duet_data_type_new_map(DuetDataType *key, DuetDataType *value,
                                     gboolean value_contains_null);
/* (transfer none) on fields: the struct type takes its own reference to the schema. */
DuetDataType *duet_data_type_new_struct(DuetSchema *fields);

DuetDataType *duet_data_type_ref(DuetDataType *type);
void duet_data_type_unref(DuetDataType *type);

DuetTypeId duet_data_type_id(const DuetDataType *type);
/* The element type of an array, or NULL. (transfer none) */
DuetDataType *duet_data_type_element(const DuetDataType *type);
gboolean duet_data_type_contains_null(const DuetDataType *type);
/* Key and value types of a map, or NULL. (transfer none) */
DuetDataType *duet_data_type_map_key(const DuetDataType *type);
DuetDataType *duet_data_type_map_value(const DuetDataType *type);
/* The fields of a struct type, or NULL. (transfer none) */
DuetSchema *duet_data_type_fields(const DuetDataType *type);

gboolean duet_data_type_equal(const DuetDataType *a, const DuetDataType *b);
/* Fixed-width types store their values in a flat array of this many bytes each; 0 for the
 * variable-width and nested types. */
gsize duet_data_type_fixed_width(const DuetDataType *type);
gboolean duet_data_type_is_numeric(const DuetDataType *type);

/* Spark's simpleString: "int", "bigint", "string", "array<int>", "map<string,int>",
 * "struct<a:int,b:string>", "timestamp", "date", "double", "boolean", "binary", "void".
 * (transfer full) */
char *duet_data_type_to_string(const DuetDataType *type);
/* Parses the names above and Spark's DDL aliases (INT, LONG, BIGINT, STRING, DOUBLE, FLOAT,
 * SHORT, BYTE, BOOLEAN, TIMESTAMP, DATE, BINARY, ARRAY<..>, MAP<..,..>, STRUCT<name: type, ..>),
 * case-insensitively. FLOAT maps to double and SHORT/BYTE to int. */
DuetDataType *duet_data_type_parse(const char *text, GError **error);

/* Schemas. A schema owns its fields. */
DuetSchema *duet_schema_new(void);
/* Appends a field; (transfer none) on type. Only for schemas under construction, before the
 * schema is shared: a schema is immutable once handed to a batch or RDD. */
void duet_schema_add_field(DuetSchema *schema, const char *name, DuetDataType *type,
                           gboolean nullable);
/* Convenience: builds a schema from (name, DuetTypeId) pairs ending with NULL; every field is
 * nullable. Example: duet_schema_new_simple("key", DUET_TYPE_STRING, "value", DUET_TYPE_INT64,
 * NULL). */
DuetSchema *duet_schema_new_simple(const char *first_name, ...) G_GNUC_NULL_TERMINATED;
/* Parses a DDL schema string: "a INT, b STRING" or "a: int, b: string". */
DuetSchema *duet_schema_parse(const char *ddl, GError **error);

DuetSchema *duet_schema_ref(DuetSchema *schema);
void duet_schema_unref(DuetSchema *schema);

guint duet_schema_n_fields(const DuetSchema *schema);
/* (transfer none) */
const DuetField *duet_schema_field(const DuetSchema *schema, guint index);
/* Index of the first field named name (exact match), or -1. */
gint duet_schema_find(const DuetSchema *schema, const char *name);
/* Index by Spark's default case-insensitive resolution, or -1 (-2 when ambiguous). */
gint duet_schema_find_ci(const DuetSchema *schema, const char *name);
gboolean duet_schema_equal(const DuetSchema *a, const DuetSchema *b);
/* A new schema with the listed fields in the given order. */
DuetSchema *duet_schema_project(const DuetSchema *schema, const guint *indices, guint n);
/* "struct<a:int,b:string>" */
char *duet_schema_to_string(const DuetSchema *schema);
/* Spark's StructType.treeString: "root\n |-- a: integer (nullable = true)\n..." */
char *duet_schema_tree_string(const DuetSchema *schema);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(DuetDataType, duet_data_type_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(DuetSchema, duet_schema_unref)

G_END_DECLS
