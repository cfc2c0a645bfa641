/* sql_table.h — what the SQLite and PostgreSQL sinks share: their options, and the SQL text of
 * the table, the insert and the upsert they issue.
 *
 * Layer: sinks/ private. Includes rdd/ and sinks/ only; no database client.
 */
#pragma once

#include "sinks/sink.h"

G_BEGIN_DECLS

/* The options every table sink takes: table (alias dbtable, required) in *table (transfer
 * none), and keyColumns (alias upsertKeys) in *keys (see duet_sink_key_columns); the schema
 * must have a column. kind names the sink in messages ("sqlite"). */
gboolean duet_sql_table_options(GHashTable *options, DuetSchema *schema, const char *kind,
                                const char **table, char ***keys, GError **error);
/* Appends name (its first length bytes; -1: all) as a double-quoted SQL identifier. */
void duet_sql_append_identifier(GString *sql, const char *name, gssize length);
/* CREATE TABLE IF NOT EXISTS quoted_table (every column of schema with the type column_type
 * gives it[, PRIMARY KEY (keys)]). (transfer full) */
char *duet_sql_create_table(const char *quoted_table, DuetSchema *schema,
                            const char *(*column_type)(DuetDataType *type),
                            const char *const *keys);
/* INSERT INTO quoted_table (columns) VALUES (placeholders)[ ON CONFLICT (keys) DO UPDATE SET
 * every other column = EXCLUDED.column, or DO NOTHING when every column is a key]. Placeholders
 * are ? or, when numbered, $1, $2, ... (transfer full) */
char *duet_sql_insert(const char *quoted_table, DuetSchema *schema, const char *const *keys,
                      gboolean numbered);

G_END_DECLS
