/* file_format.h — rows in files: text, CSV and JSON lines, read and written as Spark does.
 *
 * Layer: rdd/ (a codec, like json_rows.h, so that the file source and the file sink share it).
 * Decoding turns one file's bytes into a batch of a given schema; encoding appends a batch's
 * rows as the lines Spark's writers produce. The dialects are Spark's defaults:
 *   - text: one row per line (\n, \r\n or \r), one string column "value"; a final line break
 *     does not start a row; a null is written as an empty line (TextOutputWriter).
 *   - CSV (univocity as Spark configures it): separator ',' (option sep), quote '"' (option
 *     quote; '\0' turns quoting off), escape '\\' (option escape: inside quotes, escape+quote is a
 *     quote and escape+escape an escape; "" is a quote too); an empty unquoted field, a field
 *     equal to nullValue and a missing trailing field read as null; a value that does not
 *     convert, a missing field and an extra field make the record malformed. Writing trims
 *     leading and trailing white space (Spark's ignore*WhiteSpace in write), quotes values that
 *     hold the separator, a quote, a line break or nothing at all, and escapes quotes with '\\'.
 *   - JSON lines (Jackson as Spark configures it): one object per line, fields by name; blank
 *     lines are skipped; a line that is not a JSON object, or that holds invalid UTF-8 (Jackson
 *     fails on it), is malformed, and so is a field that does not fit its column; a string
 *     column takes any other JSON value as its text. Writing omits null fields
 *     (ignoreNullFields) and escapes as Jackson does.
 * Malformed records follow Spark's parse modes (FailureSafeParser): PERMISSIVE keeps the row with
 * nulls where values did not convert and puts the raw line into the corrupt-record column
 * (columnNameOfCorruptRecord, "_corrupt_record" by default) when the schema has one;
 * DROPMALFORMED drops the row; FAILFAST fails the file with Spark's message. Invalid UTF-8 in
 * text and CSV reads as U+FFFD, as Java's decoder does.
 * Timestamps are written "yyyy-MM-dd'T'HH:mm:ss.SSSXXX" in UTC ("2016-03-27T19:39:30.000Z"),
 * dates "yyyy-MM-dd", doubles as Java's Double.toString; reading accepts ISO-8601 timestamps
 * with a 'T' or a space and an optional zone (UTC when absent).
 */
#pragma once

#include "rdd/batch.h"

G_BEGIN_DECLS

#define DUET_FILE_FORMAT_ERROR (duet_file_format_error_quark())
GQuark duet_file_format_error_quark(void);

typedef enum {
    DUET_FILE_FORMAT_ERROR_UNKNOWN,   /* not text, csv or json */
    DUET_FILE_FORMAT_ERROR_SCHEMA,    /* the schema does not suit the format */
    DUET_FILE_FORMAT_ERROR_MALFORMED, /* a malformed record in FAILFAST mode */
    DUET_FILE_FORMAT_ERROR_FAILED,
} DuetFileFormatError;

typedef enum {
    DUET_FILE_FORMAT_TEXT,
    DUET_FILE_FORMAT_CSV,
    DUET_FILE_FORMAT_JSON,
} DuetFileFormatKind;

/* Spark's ParseMode for malformed records. */
typedef enum {
    DUET_FILE_FORMAT_PERMISSIVE,    /* nulls, and the raw line in the corrupt-record column */
    DUET_FILE_FORMAT_DROPMALFORMED, /* the record is dropped */
    DUET_FILE_FORMAT_FAILFAST,      /* the read fails */
} DuetFileFormatMode;

/* A format and its options. A small value type: fill it by hand or with _init. Its strings are
 * borrowed: whoever fills them keeps them alive as long as the format is used. */
typedef struct {
    DuetFileFormatKind kind;    /* text, CSV or JSON lines */
    gboolean header;            /* CSV: the first line of a file names the columns */
    char separator;             /* CSV: the field separator, ',' by default */
    char quote;                 /* CSV: '"' by default; '\0' = no quoting (Spark's quote "") */
    char escape;                /* CSV: '\\' by default; escapes the quote inside quotes */
    const char *null_value;     /* CSV: the text of a null, "" by default (borrowed) */
    DuetFileFormatMode mode;    /* CSV and JSON: what a malformed record does */
    const char *corrupt_column; /* the column that gets a malformed record's text, when the
                                 * schema has it: "_corrupt_record" by default (borrowed) */
} DuetFileFormat;

/* Defaults for kind: no header, ',' separator, '"' quote, '\\' escape, nullValue "",
 * PERMISSIVE, "_corrupt_record". */
void duet_file_format_init(DuetFileFormat *format, DuetFileFormatKind kind);
/* Spark's ParseMode.fromString: "PERMISSIVE", "DROPMALFORMED" or "FAILFAST" in any case;
 * anything else is PERMISSIVE (Spark logs a warning and does the same). */
DuetFileFormatMode duet_file_format_mode_from_name(const char *name);
/* "text", "csv" or "json" (case-insensitive); FALSE (no error set) for anything else. */
gboolean duet_file_format_kind_from_name(const char *name, DuetFileFormatKind *kind);
const char *duet_file_format_name(DuetFileFormatKind kind);
/* The extension of Spark's part files: "txt", "csv" or "json". */
const char *duet_file_format_extension(DuetFileFormatKind kind);
/* The schema of the text format: "value STRING". (transfer full) */
DuetSchema *duet_file_format_text_schema(void);

/* Whether schema can be written in format: text needs exactly one string column (Spark's
 * "Text data source supports only a single column, and you have 2 columns."); a corrupt-record
 * column in the schema must be a string ("The field for corrupt records must be string type
 * and nullable"). */
gboolean duet_file_format_check_schema(const DuetFileFormat *format, DuetSchema *schema,
                                       GError **error);

/* The rows of one file's bytes, as schema (transfer none), in format->mode; *n_malformed (may
 * be NULL) counts the malformed records, dropped ones included. partition_values (may be
 * NULL) has one entry per schema column: NULL for a column read from the data, else the text
 * of the column's value from the file's directory (key=value, already unescaped;
 * "__HIVE_DEFAULT_PARTITION__" is null), converted to the column's type (null when it does not
 * convert); such columns are not in the data (a CSV record's fields are the other columns, in
 * order). Fails only in FAILFAST mode, with Spark's message (DUET_FILE_FORMAT_ERROR_MALFORMED).
 * (transfer full) */
DuetBatch *duet_file_format_decode_full(const DuetFileFormat *format, DuetSchema *schema,
                                        const char *data, gsize len,
                                        const char *const *partition_values, guint *n_malformed,
                                        GError **error);
/* duet_file_format_decode_full without partition values, for a format not in FAILFAST mode. */
DuetBatch *duet_file_format_decode(const DuetFileFormat *format, DuetSchema *schema,
                                   const char *data, gsize len, guint *n_malformed);

/* Spark's schema inference over the bytes of n files (CSVInferSchema): the columns are named
 * by the first non-empty line (header) or _c0, _c1, ...; with infer_types each column takes the
 * narrowest type every value fits, trying int, bigint, double (also for integers beyond
 * bigint, where Spark would use a decimal), timestamp, boolean, then string; without it every
 * column is a string. Empty and nullValue fields do not count; a column with none is a string.
 * Only CSV: other formats fail with DUET_FILE_FORMAT_ERROR_SCHEMA. Files with no line give
 * Spark's "[UNABLE_TO_INFER_SCHEMA] Unable to infer schema for CSV. It must be specified
 * manually.". (transfer full) */
DuetSchema *duet_file_format_infer_schema(const DuetFileFormat *format, const char *const *data,
                                          const gsize *lens, guint n_files, gboolean infer_types,
                                          GError **error);
/* The type CSV inference gives one value alone (partition values use it too): int, bigint,
 * double, timestamp, boolean or string. */
DuetTypeId duet_file_format_infer_value_type(const char *text);

/* Partition directories (col=value), as Spark's ExternalCatalogUtils writes and reads them. */
#define DUET_FILE_FORMAT_DEFAULT_PARTITION "__HIVE_DEFAULT_PARTITION__"
/* Appends text with Spark's escapePathName: control characters, '"', '#', '%', '\'', '*', '/',
 * ':', '=', '?', '\\', DEL, '{', '[', ']' and '^' as %XX (upper-case hex). */
void duet_file_format_escape_path_name(GString *out, const char *text);
/* Spark's unescapePathName. (transfer full) */
char *duet_file_format_unescape_path_name(const char *text);
/* Appends "col=value" for a partition column's value: the value cast to a string as Spark
 * does (timestamps "yyyy-MM-dd HH:mm:ss[.ffffff]" in UTC) and escaped; a null or an empty
 * string is __HIVE_DEFAULT_PARTITION__. */
void duet_file_format_append_partition_dir(GString *out, const char *column,
                                           const DuetValue *value);
/* Appends the CSV header line (the column names) for schema. */
void duet_file_format_encode_header(const DuetFileFormat *format, DuetSchema *schema, GString *out);
/* Appends every row of batch as one line each ("\n"-terminated). */
void duet_file_format_encode(const DuetFileFormat *format, DuetBatch *batch, GString *out);

/* Spark's timestamp text of the file writers: "2016-03-27T19:39:30.000Z". */
void duet_file_format_append_timestamp(GString *out, gint64 micros);
/* Parses a timestamp or a date as the file readers do; FALSE when it is not one. */
gboolean duet_file_format_parse_timestamp(const char *text, gint64 *micros);
gboolean duet_file_format_parse_date(const char *text, gint32 *days);

G_END_DECLS
