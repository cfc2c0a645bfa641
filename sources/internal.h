/* internal.h — what the files of sources/ share and nobody else may see.
 *
 * Layer: sources/ private (compiled with -DDUET_SOURCES_COMPILATION).
 */
#pragma once

#ifndef DUET_SOURCES_COMPILATION
#error "sources/internal.h is private to sources/; include sources/source.h instead"
#endif

#include "sources/source.h"

G_BEGIN_DECLS

/* rate_source.c */
DuetSource *duet_rate_source_new(DuetSourceOptions *options, DuetClock *clock,
                                 guint default_partitions, GError **error);

/* socket_source.c */
DuetSource *duet_socket_source_new(DuetSourceOptions *options, DuetClock *clock,
                                   guint default_partitions, GError **error);

/* file_source.c: format "text", "csv" or "json". */
DuetSource *duet_file_source_new(const char *format, DuetSourceOptions *options,
                                 DuetSchema *user_schema, GError **error);

/* LongOffset JSON ("5"): parsing with Spark's error for anything else, and ordering (NULL
 * first). */
gboolean duet_long_offset_parse(const char *text, gint64 *value, GError **error);
int duet_long_offset_compare(const char *a, const char *b);

G_END_DECLS
