/* file_format.h — rows in files: text, CSV and JSON lines, read and written as Spark does.
 *
 * Layer: rdd/ (a codec, like json_rows.h, so that the file source and the file sink share it).
 * Decoding turns one file's bytes into a batch of a given schema; encoding appends a batch's
 * rows as the lines Spark's writers produce. The dialects are Spark's defaults:
 *   - text: one row per line (\n, \r\n or \r), one string column "value"; a final line break
 *     does not start a row; a null is written as an empty line (TextOutputWriter).
 *   - CSV (univocity as Spark configures it): separator ',' (option sep), quote '"', escape
 *     '\\'; an empty unquoted field and a missing trailing field read as null; a value that does
 *     not convert reads as null (PERMISSIVE mode); extra fields are dropped. Writing trims
 *     leading and trailing white space (Spark's ignore*WhiteSpace in write), quotes values that
 *     hold the separator, a quote, a line break or nothing at all, and escapes quotes with '\\'.
 *   - JSON lines (Jackson as Spark configures it): one object per line, fields by name; blank
 *     lines are skipped; a line that is not a JSON object gives a row of nulls, a field that
 *     does not fit its column gives a null (PERMISSIVE mode); a string column takes any other
 *     JSON value as its text. Writing omits null fields (ignoreNullFields) and escapes as
 *     Jackson does.
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
    DUET_FILE_FORMAT_ERROR_UNKNOWN, /* not text, csv or json */
    DUET_FILE_FORMAT_ERROR_SCHEMA,  /* the schema does not suit the format */
    DUET_FILE_FORMAT_ERROR_FAILED,
} DuetFileFormatError;

typedef enum {
    DUET_FILE_FORMAT_TEXT,
    DUET_FILE_FORMAT_CSV,
    DUET_FILE_FORMAT_JSON,
} DuetFileFormatKind;

/* A format and its options. A small value type: fill it by hand or with _init. */
typedef struct {
    DuetFileFormatKind kind; /* text, CSV or JSON lines */
    gboolean header;         /* CSV: the first line of a file names the columns */
    char separator;          /* CSV: the field separator, ',' by default */
} DuetFileFormat;

/* Defaults for kind: no header, ',' separator. */
void duet_file_format_init(DuetFileFormat *format, DuetFileFormatKind kind);
/* "text", "csv" or "json" (case-insensitive); FALSE (no error set) for anything else. */
gboolean duet_file_format_kind_from_name(const char *name, DuetFileFormatKind *kind);
const char *duet_file_format_name(DuetFileFormatKind kind);
/* The extension of Spark's part files: "txt", "csv" or "json". */
const char *duet_file_format_extension(DuetFileFormatKind kind);
/* The schema of the text format: "value STRING". (transfer full) */
DuetSchema *duet_file_format_text_schema(void);

/* Whether schema can be written in format: text needs exactly one string column (Spark's
 * "Text data source supports only a single column, and you have 2 columns."). */
gboolean duet_file_format_check_schema(const DuetFileFormat *format, DuetSchema *schema,
                                       GError **error);

/* The rows of one file's bytes, as schema (transfer none). Bad records never fail: they read
 * as nulls (PERMISSIVE); *n_malformed (may be NULL) counts them. (transfer full) */
DuetBatch *duet_file_format_decode(const DuetFileFormat *format, DuetSchema *schema,
                                   const char *data, gsize len, guint *n_malformed);
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
