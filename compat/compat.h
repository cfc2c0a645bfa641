/* compat.h — the duet command's subcommands, and the umbrella of compat/.
 *
 * Layer: compat/ (sees every layer). Each subcommand is a function taking the arguments after
 * its name (argv[0] is the subcommand) and returning the exit status: 0 ok, 1 failure, 2 usage.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef int (*DuetCommandFunc)(int argc, char **argv);

typedef struct {
    const char *name;    /* as typed: "demo" */
    const char *summary; /* one line for `duet --help` */
    DuetCommandFunc run; /* the entry point */
} DuetCommand;

/* The command table, ending with a NULL name. */
const DuetCommand *duet_commands(void);

int duet_demo_main(int argc, char **argv);
/* `duet run|compare|explain EXAMPLE [OPTIONS]` (compat/run_command.c). */
int duet_run_main(int argc, char **argv);
int duet_compare_main(int argc, char **argv);
int duet_explain_main(int argc, char **argv);
/* The three above and `duet demo`: command is the name printed, fixed_example NULL when the
 * example is the first argument. */
/* `duet sql "QUERY" [--source ...]`: streaming SQL over a source as a view (sql_command.c). */
int duet_sql_main(int argc, char **argv);
int duet_side_by_side_main(const char *command, int argc, char **argv, const char *fixed_example);
/* `duet bench WORKLOAD [--api A] [--rate R | --saturate] ...`: both APIs measured (bench_*.c). */
int duet_bench_main(int argc, char **argv);
/* `duet kafka-mock [--partitions N] [--topics a,b] [--brokers N]`: librdkafka's mock cluster. */
int duet_kafka_mock_main(int argc, char **argv);

G_END_DECLS
