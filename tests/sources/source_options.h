/* source_options.h — a helper the sources/ tests share: the error of a source made with bad
 * options. */
#pragma once

#include "sources/source.h"

/* The message of the DUET_SOURCE_ERROR_OPTION that making a source of format with these
 * options (key, value, ..., NULL) gives, asserting the source was refused. (transfer full) */
char *duet_test_source_option_error(const char *format, const char *first_key, ...);
