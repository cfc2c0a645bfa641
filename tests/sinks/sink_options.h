/* sink_options.h — a helper the sinks/ tests share: the error of a sink made with bad
 * options. */
#pragma once

#include "sinks/sink.h"

/* The message of the DUET_SINK_ERROR_OPTION that making a sink of format (duet_sink_new) for
 * the schema ddl with these options (key, value, ..., NULL) gives, asserting the sink was
 * refused. (transfer full) */
char *duet_test_sink_option_error(const char *format, const char *ddl, const char *first_key, ...);
