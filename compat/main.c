/* main.c — the duet command: dispatches to the subcommands of compat/compat.h.
 *
 * Layer: compat/. Exit codes: 0 ok, 1 failure, 2 usage error, as every subcommand.
 */
#include "compat/compat.h"
#include "compat/conformance.h"

#include <stdio.h>

static const DuetCommand commands[] = {
    {"demo", "the main job: a word count in both APIs at once, side by side", duet_demo_main},
    {"run", "a paired example in both APIs: duet run EXAMPLE (duet run --list)", duet_run_main},
    {"compare", "does the DStream program agree with its Structured port? duet compare EXAMPLE",
     duet_compare_main},
    {"explain", "Structured plans and the DStream graph of an example: duet explain EXAMPLE",
     duet_explain_main},
    {"sql", "streaming SQL over a source as a view: duet sql \"QUERY\" [--source ...]",
     duet_sql_main},
    {"kafka-mock",
     "a Kafka cluster in memory for examples: duet kafka-mock [--partitions N] [--topics a,b]",
     duet_kafka_mock_main},
    {"bench", "measure both APIs on a workload: duet bench wordcount [--rate R | --saturate]",
     duet_bench_main},
    {"conformance", "replay Spark's test vectors: duet conformance FILE", duet_conformance_main},
    {NULL, NULL, NULL},
};

const DuetCommand *
duet_commands(void)
{
    return commands;
}

static void
print_usage(FILE *out)
{
    fprintf(out, "usage: duet COMMAND [ARGS]\n\ncommands:\n");
    for (const DuetCommand *command = commands; command->name; command++)
        fprintf(out, "  %-12s %s\n", command->name, command->summary);
    fprintf(out, "\n`duet COMMAND --help` describes a command.\n");
}

int
main(int argc, char **argv)
{
    if (argc < 2) {
        print_usage(stderr);
        return 2;
    }
    if (g_str_equal(argv[1], "--help") || g_str_equal(argv[1], "-h") ||
        g_str_equal(argv[1], "help")) {
        print_usage(stdout);
        return 0;
    }
    if (g_str_equal(argv[1], "--version")) {
        printf("duet %s\n", DUET_VERSION);
        return 0;
    }
    for (const DuetCommand *command = commands; command->name; command++) {
        if (g_str_equal(argv[1], command->name))
            return command->run(argc - 1, argv + 1);
    }
    fprintf(stderr, "duet: unknown command '%s'\n\n", argv[1]);
    print_usage(stderr);
    return 2;
}
