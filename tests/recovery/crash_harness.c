/* crash_harness.c — kills crash_pipeline with SIGKILL, restarts it, and proves that the output
 * holds every input record once: nothing lost, nothing duplicated.
 *
 * Layer: tests/ (links tests/common for the Kafka cluster, SQLite to read the sink's table; it
 * never links the engine's layers: the expected output is computed from the input alone).
 *   crash_harness --child PATH [--kills N] [--seed S] [--kills-per-trial K] [--no-damage]
 *                 [--only API/PIPELINE,...]
 * A trial runs one pipeline of one API (crash_pipeline.c) on a fresh input: K times it starts
 * the child and kills it, alternately after a random delay (drawn from a PRNG seeded by --seed,
 * printed so that a failure can be replayed with --seed) and at a named crash point
 * (DUET_CRASH_AT: after an offsets file is published, during the sink's write, after the sink's
 * write and before the commit, while state is written); then it runs the child to completion
 * and compares the output with the input as multisets (a word count's table with the counts
 * computed here). Trials go round the pipelines until N kills were made (a kill counts when the
 * child died of SIGKILL). After the first trial of each pipeline it damages each kind of
 * checkpoint file in a copy of the checkpoint (truncated, garbage, wrong version), adds input,
 * restarts, and requires either a non-zero exit whose message names the file, or a complete
 * run whose output is exactly right: never a crash, never silent loss. The Kafka cluster is
 * librdkafka's mock in this process (it outlives every child), or DUET_KAFKA_BOOTSTRAP's real
 * broker. Ends with "N passed, N failed" per pipeline and the kill count; exit status 1 on any
 * failure.
 */
#include "tests/common/kafka_mock.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>

#define FILE_INPUT_FILES 6  /* file-file: one batch per file (maxFilesPerTrigger=1) */
#define FILE_INPUT_LINES 25 /* lines per input file */
#define KAFKA_MESSAGES   200
#define KAFKA_PARTITIONS 2
#define DSTREAM_BATCHES  8 /* 200 messages at 20/s per partition: 5 batches, and 3 idle */
#define RUN_TIMEOUT_MS   90000
#define N_WORDS          12

static const char *const words[N_WORDS] = {"alpha", "bravo",   "charlie", "delta",
                                           "echo",  "foxtrot", "golf",    "hotel",
                                           "india", "juliett", "kilo",    "lima"};

typedef struct {
    const char *api;
    const char *pipeline;
    guint passed, failed;
    guint kills;      /* children that died of SIGKILL */
    gdouble clean_ms; /* how long an uninterrupted run takes (moving average) */
    gboolean damaged; /* the damaged-file checks ran */
} Combo;

static Combo combos[] = {
    {"structured", "file-file", 0, 0, 0, 800, FALSE},
    {"structured", "kafka-file", 0, 0, 0, 800, FALSE},
    {"structured", "kafka-sqlite", 0, 0, 0, 800, FALSE},
    {"dstream", "file-file", 0, 0, 0, 800, FALSE},
    {"dstream", "kafka-file", 0, 0, 0, 800, FALSE},
    {"dstream", "kafka-sqlite", 0, 0, 0, 800, FALSE},
    {"dstream", "socket-file", 0, 0, 0, 800, FALSE},
};

typedef struct {
    Combo *combo;
    char *dir;            /* the trial's directory */
    char *input;          /* file-file: the input directory */
    char *checkpoint;     /* the checkpoint directory */
    char *output;         /* the file sink's directory or the SQLite database */
    char *topic;          /* kafka-*: the topic */
    gint64 batches;       /* dstream: the last batch */
    GHashTable *expected; /* line -> count (file sinks) or word -> count (SQLite) */
    guint extra;          /* damaged-file cases: input added so far */
    int listener;         /* socket-file: the loopback socket the child's receiver connects to */
    guint16 port;         /* socket-file: its port */
    guint next_line;      /* socket-file: lines made so far */
    GPtrArray *chunk;     /* socket-file: the lines of this run (char*) */
    gboolean chunk_sent;  /* socket-file: the child connected and got them */
} Trial;

static const char *child_path;
static GHashTable *known_failures; /* "api/pipeline what" -> reason */
static guint n_known;              /* failures that were known */

/* Whether a failure of combo at what ("kills" or a damaged file kind) is listed in
 * --known-failures; prints the reason if so. */
static gboolean
known(const Combo *combo, const char *what)
{
    g_autofree char *key = g_strdup_printf("%s/%s %s", combo->api, combo->pipeline, what);
    const char *reason = known_failures ? g_hash_table_lookup(known_failures, key) : NULL;
    if (reason == NULL)
        return FALSE;
    printf("  known failure (%s): %s\n", key, reason);
    n_known++;
    return TRUE;
}

/* Lines "API/PIPELINE WHAT REASON..." (WHAT: kills, or a damaged file kind with its spaces
 * as '-', e.g. dstream-checkpoint); '#' starts a comment. */
static gboolean
load_known_failures(const char *path)
{
    g_autofree char *text = NULL;
    if (!g_file_get_contents(path, &text, NULL, NULL))
        return FALSE;
    known_failures = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
    for (guint index = 0; lines[index]; index++) {
        g_auto(GStrv) fields = g_strsplit_set(g_strstrip(lines[index]), " ", 3);
        if (fields[0] == NULL || fields[0][0] == '#' || fields[0][0] == '\0' || fields[1] == NULL)
            continue;
        g_strdelimit(fields[1], "-", ' ');
        g_hash_table_insert(known_failures, g_strdup_printf("%s %s", fields[0], fields[1]),
                            g_strdup(fields[2] ? fields[2] : ""));
    }
    return TRUE;
}
static DuetTestKafka *kafka;
static GRand *rng;
static guint trial_counter;

/* ---- input and the expected output ---------------------------------------------------------- */

static void
expect(GHashTable *expected, const char *key, gint64 n)
{
    gint64 *count = g_hash_table_lookup(expected, key);
    if (count == NULL) {
        count = g_new0(gint64, 1);
        g_hash_table_insert(expected, g_strdup(key), count);
    }
    *count += n;
}

static gboolean
is_kafka(const Trial *trial)
{
    return g_str_has_prefix(trial->combo->pipeline, "kafka-");
}

static gboolean
is_socket(const Trial *trial)
{
    return g_str_has_prefix(trial->combo->pipeline, "socket-");
}

static gboolean
is_dstream(const Trial *trial)
{
    return strcmp(trial->combo->api, "dstream") == 0;
}

static gboolean
is_sqlite(const Trial *trial)
{
    return g_str_has_suffix(trial->combo->pipeline, "-sqlite");
}

/* Adds n records of input (files or Kafka messages) and what they make the output expect. */
static void
add_input(Trial *trial, guint round, guint n_files)
{
    if (!is_kafka(trial)) {
        for (guint file = 0; file < n_files; file++) {
            GString *text = g_string_new(NULL);
            for (guint line = 0; line < FILE_INPUT_LINES; line++) {
                g_autofree char *record = g_strdup_printf("r%u-f%u-l%u %s", round, file, line,
                                                          words[g_rand_int_range(rng, 0, N_WORDS)]);
                g_string_append_printf(text, "%s\n", record);
                expect(trial->expected, record, 1);
            }
            /* written aside then renamed, so that the source never sees half a file */
            g_autofree char *name = g_strdup_printf("in-%02u-%02u.txt", round, file);
            g_autofree char *temp = g_build_filename(trial->dir, name, NULL);
            g_autofree char *path = g_build_filename(trial->input, name, NULL);
            g_file_set_contents(temp, text->str, (gssize)text->len, NULL);
            /* an hour old: complete for the source's minFileAge guard, as a file that arrived
             * earlier. textFileStream (DStream) compares modification times with the child's
             * manual clock: the first files at the middle of batches 1, 2, ...; files added
             * later in the middle of the batches after those the child has run */
            gint64 mtime_ms = (time(NULL) - 3600) * (gint64)1000;
            if (is_dstream(trial))
                mtime_ms = ((round == 0 ? 0 : trial->batches) + file) * (gint64)1000 + 500;
            struct timespec times[2] = {{mtime_ms / 1000, (mtime_ms % 1000) * 1000000},
                                        {mtime_ms / 1000, (mtime_ms % 1000) * 1000000}};
            utimensat(AT_FDCWD, temp, times, 0);
            g_rename(temp, path);
            g_string_free(text, TRUE);
        }
        return;
    }
    guint n = n_files * KAFKA_MESSAGES / FILE_INPUT_FILES;
    for (guint message = 0; message < n; message++) {
        const char *word = words[g_rand_int_range(rng, 0, N_WORDS)];
        g_autofree char *unique = g_strdup_printf("r%u-m%u %s", round, message, word);
        const char *value = is_sqlite(trial) ? word : unique;
        duet_test_kafka_produce(kafka, trial->topic, (gint32)(message % KAFKA_PARTITIONS), NULL,
                                value, 1000);
        expect(trial->expected, value, 1);
    }
    if (!duet_test_kafka_flush(kafka))
        g_error("crash_harness: producing to %s failed", trial->topic);
}

static Trial *
trial_new(Combo *combo, const char *root)
{
    Trial *trial = g_new0(Trial, 1);
    trial->combo = combo;
    guint id = trial_counter++;
    trial->dir = g_strdup_printf("%s/t%u-%s-%s", root, id, combo->api, combo->pipeline);
    trial->input = g_build_filename(trial->dir, "input", NULL);
    trial->checkpoint = g_build_filename(trial->dir, "checkpoint", NULL);
    trial->output = g_build_filename(trial->dir, is_sqlite(trial) ? "out.db" : "out", NULL);
    g_mkdir_with_parents(trial->input, 0755);
    trial->expected = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    trial->batches = DSTREAM_BATCHES;
    trial->listener = -1;
    if (is_kafka(trial)) {
        trial->topic = g_strdup_printf("crash-%u-%u", id, g_rand_int(rng));
        duet_test_kafka_create_topic(kafka, trial->topic, KAFKA_PARTITIONS);
    }
    if (is_socket(trial)) {
        trial->listener = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        struct sockaddr_in address = {.sin_family = AF_INET, .sin_port = 0};
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        socklen_t length = sizeof address;
        if (trial->listener < 0 ||
            bind(trial->listener, (struct sockaddr *)&address, sizeof address) != 0 ||
            listen(trial->listener, 4) != 0 ||
            getsockname(trial->listener, (struct sockaddr *)&address, &length) != 0)
            g_error("crash_harness: loopback listener: %s", g_strerror(errno));
        trial->port = ntohs(address.sin_port);
        trial->chunk = g_ptr_array_new_with_free_func(g_free);
        return trial;
    }
    add_input(trial, 0, FILE_INPUT_FILES);
    return trial;
}

static void
remove_tree(const char *path)
{
    GDir *dir = g_file_test(path, G_FILE_TEST_IS_SYMLINK) ? NULL : g_dir_open(path, 0, NULL);
    if (dir == NULL) {
        g_remove(path);
        return;
    }
    const char *name;
    while ((name = g_dir_read_name(dir)) != NULL) {
        g_autofree char *child = g_build_filename(path, name, NULL);
        remove_tree(child);
    }
    g_dir_close(dir);
    g_rmdir(path);
}

static void
trial_free(Trial *trial, gboolean keep)
{
    if (!keep)
        remove_tree(trial->dir);
    g_free(trial->dir);
    g_free(trial->input);
    g_free(trial->checkpoint);
    g_free(trial->output);
    g_free(trial->topic);
    if (trial->listener >= 0)
        close(trial->listener);
    if (trial->chunk)
        g_ptr_array_unref(trial->chunk);
    g_hash_table_unref(trial->expected);
    g_free(trial);
}

/* ---- the child ------------------------------------------------------------------------------ */

typedef struct {
    gboolean killed;  /* died of SIGKILL */
    int signal;       /* another signal, or 0 */
    int status;       /* exit status when it exited */
    gboolean timeout; /* had to be killed after RUN_TIMEOUT_MS */
    gint64 elapsed_ms;
    char *err; /* its standard error */
} Run;

/* Starts the child (with DUET_CRASH_AT=crash_at when not NULL) on trial's checkpoint and
 * output, kills it after kill_after_ms when >= 0, and waits for it. */
static Run
run_child(Trial *trial, const char *checkpoint, const char *output, const char *crash_at,
          gint64 kill_after_ms)
{
    Run run = {0};
    g_autofree char *err_path = g_build_filename(trial->dir, "child.err", NULL);
    g_autofree char *batches = g_strdup_printf("%" G_GINT64_FORMAT, trial->batches);
    g_autofree char *port = g_strdup_printf("%u", trial->port);
    g_autofree char *expect_lines = g_strdup_printf("%u", trial->chunk ? trial->chunk->len : 0);
    const char *argv[18];
    int argc = 0;
    argv[argc++] = child_path;
    argv[argc++] = "--api";
    argv[argc++] = trial->combo->api;
    argv[argc++] = "--pipeline";
    argv[argc++] = trial->combo->pipeline;
    argv[argc++] = "--checkpoint";
    argv[argc++] = checkpoint;
    argv[argc++] = "--output";
    argv[argc++] = output;
    if (is_kafka(trial)) {
        argv[argc++] = "--bootstrap";
        argv[argc++] = duet_test_kafka_bootstraps(kafka);
        argv[argc++] = "--topic";
        argv[argc++] = trial->topic;
        argv[argc++] = "--batches";
        argv[argc++] = batches;
    } else if (is_socket(trial)) {
        argv[argc++] = "--port";
        argv[argc++] = port;
        argv[argc++] = "--expect";
        argv[argc++] = expect_lines;
    } else {
        argv[argc++] = "--input";
        argv[argc++] = trial->input;
        if (is_dstream(trial)) {
            argv[argc++] = "--batches";
            argv[argc++] = batches;
        }
    }
    argv[argc] = NULL;
    int peer = -1;
    if (trial->chunk)
        trial->chunk_sent = FALSE;
    /* a killed child may have connected without being accepted: drop what is left */
    for (int stale; trial->listener >= 0 && (stale = accept(trial->listener, NULL, NULL)) >= 0;)
        close(stale);
    gint64 start = g_get_monotonic_time();
    pid_t pid = fork();
    if (pid < 0)
        g_error("crash_harness: fork: %s", g_strerror(errno));
    if (pid == 0) {
        int fd = open(err_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        int null_fd = open("/dev/null", O_WRONLY);
        if (fd >= 0)
            dup2(fd, STDERR_FILENO);
        if (null_fd >= 0)
            dup2(null_fd, STDOUT_FILENO);
        if (crash_at != NULL)
            setenv("DUET_CRASH_AT", crash_at, 1);
        else
            unsetenv("DUET_CRASH_AT");
        execv(child_path, (char **)argv);
        _exit(127);
    }
    int status = 0;
    gboolean sent = FALSE;
    for (;;) {
        pid_t done = waitpid(pid, &status, WNOHANG);
        if (done == pid)
            break;
        if (trial->listener >= 0 && peer < 0 && (peer = accept(trial->listener, NULL, NULL)) >= 0) {
            fcntl(peer, F_SETFD, FD_CLOEXEC);
            /* the receiver connected: this run's lines, all at once (they fit the buffers) */
            GString *text = g_string_new(NULL);
            for (guint index = 0; index < trial->chunk->len; index++)
                g_string_append_printf(text, "%s\n", (char *)trial->chunk->pdata[index]);
            gsize written = 0;
            while (written < text->len) {
                ssize_t n = write(peer, text->str + written, text->len - written);
                if (n < 0 && errno != EINTR)
                    break;
                written += n > 0 ? (gsize)n : 0;
            }
            trial->chunk_sent = written == text->len;
            g_string_free(text, TRUE);
        }
        gint64 elapsed = (g_get_monotonic_time() - start) / 1000;
        if (!sent && kill_after_ms >= 0 && elapsed >= kill_after_ms) {
            kill(pid, SIGKILL);
            sent = TRUE;
        } else if (!sent && elapsed >= RUN_TIMEOUT_MS) {
            kill(pid, SIGKILL);
            sent = TRUE;
            run.timeout = TRUE;
        }
        g_usleep(1000); /* polls the child; the kill instant is the random delay above */
    }
    run.elapsed_ms = (g_get_monotonic_time() - start) / 1000;
    if (peer >= 0)
        close(peer);
    if (WIFSIGNALED(status)) {
        if (WTERMSIG(status) == SIGKILL)
            run.killed = !run.timeout;
        else
            run.signal = WTERMSIG(status);
    } else {
        run.status = WEXITSTATUS(status);
    }
    g_file_get_contents(err_path, &run.err, NULL, NULL);
    if (run.err == NULL)
        run.err = g_strdup("");
    return run;
}

/* ---- the output ----------------------------------------------------------------------------- */

/* The files the file sink's _spark_metadata log lists (Spark's readers see those only). */
static GHashTable *
logged_files(const char *output, GString *problems)
{
    GHashTable *files = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    g_autofree char *log_dir = g_build_filename(output, "_spark_metadata", NULL);
    GDir *dir = g_dir_open(log_dir, 0, NULL);
    if (dir == NULL)
        return files; /* no batch committed */
    const char *name;
    while ((name = g_dir_read_name(dir)) != NULL) {
        if (name[0] == '.')
            continue;
        g_autofree char *path = g_build_filename(log_dir, name, NULL);
        g_autofree char *text = NULL;
        if (!g_file_get_contents(path, &text, NULL, NULL)) {
            g_string_append_printf(problems, "cannot read %s; ", path);
            continue;
        }
        for (const char *cursor = strstr(text, "\"path\":\""); cursor != NULL;
             cursor = strstr(cursor, "\"path\":\"")) {
            cursor += strlen("\"path\":\"");
            const char *end = strchr(cursor, '"');
            if (end == NULL)
                break;
            g_autofree char *uri = g_strndup(cursor, (gsize)(end - cursor));
            const char *local = uri; /* file:/a/b (Spark's Path.toUri) or file:///a/b */
            if (g_str_has_prefix(local, "file://"))
                local += 7;
            else if (g_str_has_prefix(local, "file:"))
                local += 5;
            char *file = g_uri_unescape_string(local, NULL);
            g_hash_table_add(files, file);
            cursor = end;
        }
    }
    g_dir_close(dir);
    return files;
}

/* The output as a multiset: lines of the logged part files, or the SQLite table's rows. */
static GHashTable *
read_output(Trial *trial, const char *output, GString *problems)
{
    GHashTable *actual = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    if (is_sqlite(trial)) {
        sqlite3 *db = NULL;
        sqlite3_stmt *statement = NULL;
        if (sqlite3_open_v2(output, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK ||
            sqlite3_prepare_v2(db, "SELECT * FROM counts", -1, &statement, NULL) != SQLITE_OK) {
            g_string_append_printf(problems, "cannot read table counts in %s: %s; ", output,
                                   db ? sqlite3_errmsg(db) : "no database");
        } else {
            while (sqlite3_step(statement) == SQLITE_ROW)
                expect(actual, (const char *)sqlite3_column_text(statement, 0),
                       sqlite3_column_int64(statement, 1));
        }
        sqlite3_finalize(statement);
        sqlite3_close(db);
        return actual;
    }
    GHashTable *files = logged_files(output, problems);
    GHashTableIter iter;
    gpointer file;
    g_hash_table_iter_init(&iter, files);
    while (g_hash_table_iter_next(&iter, &file, NULL)) {
        g_autofree char *text = NULL;
        if (!g_file_get_contents(file, &text, NULL, NULL)) {
            g_string_append_printf(problems, "logged file %s missing; ", (char *)file);
            continue;
        }
        g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
        for (guint index = 0; lines[index]; index++) {
            if (lines[index][0] == '\0')
                continue;
            char *comma = is_socket(trial) ? strrchr(lines[index], ',') : NULL;
            if (comma == NULL) {
                expect(actual, lines[index], 1);
                continue;
            }
            /* the whole state every batch: a line's count is the largest it reached */
            *comma = '\0';
            gint64 count = g_ascii_strtoll(comma + 1, NULL, 10);
            gint64 *have = g_hash_table_lookup(actual, lines[index]);
            if (have == NULL)
                expect(actual, lines[index], count);
            else
                *have = MAX(*have, count);
        }
    }
    g_hash_table_unref(files);
    return actual;
}

/* Compares as multisets (for SQLite: word -> count); appends what differs to problems. */
static gboolean
output_matches(Trial *trial, const char *output, GString *problems)
{
    GHashTable *actual = read_output(trial, output, problems);
    guint lost = 0, duplicated = 0, extra = 0;
    GString *examples = g_string_new(NULL);
    GHashTableIter iter;
    gpointer key, value;
    g_hash_table_iter_init(&iter, trial->expected);
    while (g_hash_table_iter_next(&iter, &key, &value)) {
        gint64 want = *(gint64 *)value;
        gint64 *have = g_hash_table_lookup(actual, key);
        gint64 got = have ? *have : 0;
        if (want < 0) { /* sent to a child that was killed: counted once or lost, as Spark's */
            if (got > 1)
                duplicated += (guint)(got - 1);
            continue;
        }
        if (got < want)
            lost += (guint)(want - got);
        if (got > want)
            duplicated += (guint)(got - want);
        if (got != want && examples->len < 200)
            g_string_append_printf(examples, " %s: %" G_GINT64_FORMAT " not %" G_GINT64_FORMAT ";",
                                   (char *)key, got, want);
    }
    g_hash_table_iter_init(&iter, actual);
    while (g_hash_table_iter_next(&iter, &key, &value)) {
        if (!g_hash_table_contains(trial->expected, key)) {
            extra += (guint) * (gint64 *)value;
            if (examples->len < 200)
                g_string_append_printf(examples, " unexpected %s;", (char *)key);
        }
    }
    gboolean ok = lost == 0 && duplicated == 0 && extra == 0 && problems->len == 0;
    if (!ok)
        g_string_append_printf(problems, "%u lost, %u duplicated, %u unexpected:%s", lost,
                               duplicated, extra, examples->str);
    g_string_free(examples, TRUE);
    g_hash_table_unref(actual);
    return ok;
}

/* ---- crash points --------------------------------------------------------------------------- */

/* The named crash points of the issue for the trial's API and pipeline, as DUET_CRASH_AT (the
 * hit number is added by the caller). */
static GPtrArray *
crash_points(Trial *trial)
{
    GPtrArray *points = g_ptr_array_new_with_free_func(g_free);
    if (strcmp(trial->combo->api, "structured") == 0) {
        /* offsets/N renamed into place, then its directory synced: the batch is logged */
        g_ptr_array_add(points, g_strdup("fsync@*/offsets"));
        g_ptr_array_add(points, g_strdup("sink-write"));
        /* the sink committed the batch, commits/N not written yet */
        g_ptr_array_add(points, g_strdup("write@*/commits/*"));
        if (is_sqlite(trial))
            g_ptr_array_add(points, g_strdup("write@*/state/*"));
    } else {
        /* checkpoint-<time> (the batch's offset ranges) renamed into place */
        g_ptr_array_add(points, g_strdup_printf("fsync@%s", trial->checkpoint));
        g_ptr_array_add(points, g_strdup("sink-write"));
        /* the sink committed; the checkpoint that marks the batch done not yet written */
        g_ptr_array_add(points, g_strdup("write@*/checkpoint-*"));
        if (is_sqlite(trial) || is_socket(trial))
            g_ptr_array_add(points, g_strdup("write@*/rdd-*"));
    }
    return points;
}

static const char *
point_name(const char *spec)
{
    if (g_str_has_prefix(spec, "fsync@"))
        return "offsets-written";
    if (g_str_has_prefix(spec, "sink-write"))
        return "sink-write";
    if (strstr(spec, "commits/") || strstr(spec, "checkpoint-"))
        return "sink-written";
    return "state-write";
}

/* ---- one trial ------------------------------------------------------------------------------ */

#define SOCKET_LINES 30 /* lines sent to each run of the socket pipeline */

/* socket-file: new lines for the next run (each line once in the whole trial). */
static void
next_chunk(Trial *trial)
{
    if (trial->chunk == NULL)
        return;
    g_ptr_array_set_size(trial->chunk, 0);
    for (guint line = 0; line < SOCKET_LINES; line++)
        g_ptr_array_add(trial->chunk, g_strdup_printf("s%u", trial->next_line++));
}

/* socket-file: a run that ended well acknowledged its lines (they must be counted once); lines
 * sent to a killed run may be lost (the socket cannot replay what was not logged) but never
 * counted twice; lines never sent are not expected. */
static void
settle_chunk(Trial *trial, gboolean completed)
{
    if (trial->chunk == NULL || !trial->chunk_sent)
        return;
    for (guint index = 0; index < trial->chunk->len; index++)
        expect(trial->expected, trial->chunk->pdata[index], completed ? 1 : -1);
}

/* dstream file-file: a file that arrives while the child is down, with a modification time
 * anywhere up to the batches run so far (a late file, moved in after its batch may have run);
 * one batch more makes sure a run takes it. Spark takes it at the first batch after it
 * appears, as long as its time is within the remember duration. */
static void
add_late_file(Trial *trial, guint attempt)
{
    add_input(trial, 200 + attempt, 1);
    g_autofree char *name = g_strdup_printf("in-%02u-%02u.txt", 200 + attempt, 0);
    g_autofree char *path = g_build_filename(trial->input, name, NULL);
    gint64 mtime_ms = g_rand_int_range(rng, 1, (gint32)trial->batches + 1) * (gint64)1000 -
                      g_rand_int_range(rng, 0, 1000);
    struct timespec times[2] = {{mtime_ms / 1000, (mtime_ms % 1000) * 1000000},
                                {mtime_ms / 1000, (mtime_ms % 1000) * 1000000}};
    utimensat(AT_FDCWD, path, times, 0);
    trial->batches++;
}

static gboolean
trial_run(Trial *trial, guint kills_per_trial, guint *kills)
{
    Combo *combo = trial->combo;
    g_autoptr(GPtrArray) points = crash_points(trial);
    GString *line = g_string_new(NULL);
    g_string_append_printf(line, "%-10s %-12s", combo->api, combo->pipeline);
    gboolean ok = TRUE, completed = FALSE;
    for (guint attempt = 0; ok && !completed && attempt < kills_per_trial; attempt++) {
        g_autofree char *crash_at = NULL;
        gint64 delay = -1;
        if (attempt % 2 == 1) {
            const char *spec = g_ptr_array_index(points, g_rand_int_range(rng, 0, points->len));
            gint nth = g_rand_int_range(rng, 1, 5);
            if (strstr(spec, "checkpoint-"))
                nth *= 2; /* every batch writes its checkpoint twice: pending, then done */
            crash_at = g_strdup_printf("%s:%d", spec, nth);
            g_string_append_printf(line, " %s:%d", point_name(spec), nth);
        } else {
            delay = g_rand_int_range(rng, 0, (gint32)combo->clean_ms + 1);
            g_string_append_printf(line, " @%" G_GINT64_FORMAT "ms", delay);
        }
        next_chunk(trial);
        if (attempt > 0 && is_dstream(trial) && strcmp(combo->pipeline, "file-file") == 0)
            add_late_file(trial, attempt);
        Run run = run_child(trial, trial->checkpoint, trial->output, crash_at, delay);
        settle_chunk(trial, run.status == 0 && run.signal == 0 && !run.killed && !run.timeout);
        if (run.killed) {
            (*kills)++;
            combo->kills++;
            g_string_append(line, "+");
        } else if (run.status == 0 && run.signal == 0 && !run.timeout) {
            g_string_append(line, "(done)");
            completed = TRUE;
            if (crash_at == NULL) /* it ran to the end before the delay: learn its length */
                combo->clean_ms = 0.5 * combo->clean_ms + 0.5 * (gdouble)run.elapsed_ms;
        } else {
            g_string_append_printf(line, " FAILED: %s status %d; stderr: %s",
                                   run.timeout  ? "timed out"
                                   : run.signal ? g_strsignal(run.signal)
                                                : "exit",
                                   run.status, run.err);
            ok = FALSE;
        }
        g_free(run.err);
    }
    if (ok && !completed) {
        next_chunk(trial);
        Run run = run_child(trial, trial->checkpoint, trial->output, NULL, -1);
        settle_chunk(trial, run.status == 0 && run.signal == 0 && !run.killed && !run.timeout);
        if (run.status != 0 || run.signal != 0 || run.timeout || run.killed) {
            g_string_append_printf(line, " final run FAILED (status %d, signal %d%s): %s",
                                   run.status, run.signal, run.timeout ? ", timed out" : "",
                                   run.err);
            ok = FALSE;
        } else {
            combo->clean_ms = 0.7 * combo->clean_ms + 0.3 * (gdouble)run.elapsed_ms;
        }
        g_free(run.err);
    }
    if (ok) {
        GString *problems = g_string_new(NULL);
        ok = output_matches(trial, trial->output, problems);
        g_string_append_printf(line, " -> %s%s", ok ? "ok" : "WRONG OUTPUT: ", problems->str);
        g_string_free(problems, TRUE);
    }
    if (!ok)
        g_string_append_printf(line, " (kept in %s)", trial->dir);
    printf("%s\n", line->str);
    fflush(stdout);
    g_string_free(line, TRUE);
    return ok;
}

/* ---- damaged checkpoint files --------------------------------------------------------------- */

static gboolean
copy_tree(const char *from, const char *to)
{
    if (g_file_test(from, G_FILE_TEST_IS_DIR)) {
        g_mkdir_with_parents(to, 0755);
        GDir *dir = g_dir_open(from, 0, NULL);
        if (dir == NULL)
            return FALSE;
        const char *name;
        gboolean ok = TRUE;
        while (ok && (name = g_dir_read_name(dir)) != NULL) {
            g_autofree char *source = g_build_filename(from, name, NULL);
            g_autofree char *target = g_build_filename(to, name, NULL);
            ok = copy_tree(source, target);
        }
        g_dir_close(dir);
        return ok;
    }
    g_autofree char *data = NULL;
    gsize len;
    if (!g_file_get_contents(from, &data, &len, NULL))
        return TRUE; /* a file removed meanwhile */
    return g_file_set_contents(to, data, (gssize)len, NULL);
}

/* The newest regular file (by name order of numbers, then by mtime) under dir whose path
 * matches glob; NULL if none. */
static void
newest_matching(const char *dir, const char *glob, char **best, gint64 *best_key)
{
    GDir *handle = g_dir_open(dir, 0, NULL);
    if (handle == NULL)
        return;
    const char *name;
    while ((name = g_dir_read_name(handle)) != NULL) {
        if (name[0] == '.')
            continue;
        g_autofree char *path = g_build_filename(dir, name, NULL);
        if (g_file_test(path, G_FILE_TEST_IS_DIR)) {
            newest_matching(path, glob, best, best_key);
            continue;
        }
        if (!g_pattern_match_simple(glob, path))
            continue;
        GStatBuf stat_buf;
        if (g_stat(path, &stat_buf) != 0)
            continue;
        /* files named by a batch number or time: the largest number is the newest */
        const char *digits = name + strcspn(name, "0123456789");
        gint64 key = g_ascii_strtoll(digits, NULL, 10) * 1000 + (gint64)(stat_buf.st_mtime % 1000);
        if (*best == NULL || key > *best_key) {
            g_free(*best);
            *best = g_strdup(path);
            *best_key = key;
        }
    }
    g_dir_close(handle);
}

typedef enum { DAMAGE_TRUNCATE, DAMAGE_GARBAGE, DAMAGE_VERSION, DAMAGE_N } Damage;
static const char *const damage_names[] = {"truncated", "garbage", "wrong version"};

/* Damages path; FALSE when the damage does not apply (no version on its first line). */
static gboolean
damage_file(const char *path, Damage damage)
{
    g_autofree char *data = NULL;
    gsize len;
    if (!g_file_get_contents(path, &data, &len, NULL))
        return FALSE;
    if (damage == DAMAGE_TRUNCATE) {
        len /= 2;
    } else if (damage == DAMAGE_GARBAGE) {
        for (gsize index = 0; index < len; index++)
            data[index] = (char)g_rand_int_range(rng, 0, 256);
        if (len == 0)
            return FALSE;
    } else {
        char *newline = memchr(data, '\n', len);
        char *end = newline ? newline : data + len;
        char *version = g_strstr_len(data, end - data, "v1");
        if (version == NULL)
            return FALSE;
        version[1] = '9';
    }
    return g_file_set_contents(path, data, (gssize)len, NULL);
}

typedef struct {
    const char *kind; /* what the file is */
    const char *glob; /* under the checkpoint directory */
} FileKind;

/* Damages each kind of checkpoint file of a completed trial (in copies), adds input, and runs
 * the child again: a clear error naming the file, or exactly the right output. */
static gboolean
damage_checks(Trial *trial, guint *cases, guint *errors)
{
    static const FileKind structured_kinds[] = {
        {"metadata", "*/metadata"}, {"offsets", "*/offsets/*"},    {"commits", "*/commits/*"},
        {"state", "*/state/*"},     {"source log", "*/sources/*"},
    };
    static const FileKind dstream_kinds[] = {
        {"dstream checkpoint", "*/checkpoint-*"},
        {"rdd checkpoint", "*/rdd-*"},
    };
    if (is_socket(trial))
        return TRUE; /* the write-ahead log's own tests damage its files (tests/dstream) */
    gboolean structured = strcmp(trial->combo->api, "structured") == 0;
    const FileKind *kinds = structured ? structured_kinds : dstream_kinds;
    guint n_kinds = structured ? G_N_ELEMENTS(structured_kinds) : G_N_ELEMENTS(dstream_kinds);
    gboolean all_ok = TRUE;
    for (guint kind = 0; kind < n_kinds; kind++) {
        for (Damage damage = 0; damage < DAMAGE_N; damage++) {
            g_autofree char *found = NULL;
            gint64 key = 0;
            newest_matching(trial->checkpoint, kinds[kind].glob, &found, &key);
            if (found == NULL)
                break; /* the pipeline has no such file */
            guint id = (*cases)++;
            g_autofree char *checkpoint = g_strdup_printf("%s/damaged-%u", trial->dir, id);
            g_autofree char *output = g_strdup_printf("%s/damaged-out-%u%s", trial->dir, id,
                                                      is_sqlite(trial) ? ".db" : "");
            copy_tree(trial->checkpoint, checkpoint);
            copy_tree(trial->output, output);
            g_autofree char *victim =
                g_strconcat(checkpoint, found + strlen(trial->checkpoint), NULL);
            if (!damage_file(victim, damage)) {
                (*cases)--;
                remove_tree(checkpoint);
                remove_tree(output);
                continue;
            }
            /* new input, so that the restart must read state and logs to go on */
            add_input(trial, 100 + ++trial->extra, 1);
            trial->batches += 2;
            Run run = run_child(trial, checkpoint, output, NULL, -1);
            g_autofree char *base = g_path_get_basename(victim);
            g_autofree char *parent = g_path_get_dirname(victim);
            g_autofree char *parent_base = g_path_get_basename(parent);
            g_autofree char *named = g_strdup_printf("%s/%s", parent_base, base);
            gboolean ok;
            GString *problems = g_string_new(NULL);
            const char *outcome;
            if (run.signal != 0 || run.killed || run.timeout) {
                ok = FALSE;
                outcome = run.timeout ? "TIMED OUT" : "CRASHED";
                g_string_append_printf(problems, "signal %d; %s", run.signal, run.err);
            } else if (run.status != 0) {
                ok = strstr(run.err, named) != NULL;
                outcome = ok ? "error names the file" : "ERROR DOES NOT NAME THE FILE";
                (*errors) += ok;
                g_string_append(problems, g_strstrip(run.err));
            } else {
                ok = output_matches(trial, output, problems);
                outcome = ok ? "recovered, output exact" : "SILENT WRONG OUTPUT";
            }
            printf("%-10s %-12s damaged %s %s (%s): %s%s%s\n", trial->combo->api,
                   trial->combo->pipeline, kinds[kind].kind, named, damage_names[damage], outcome,
                   problems->len ? ": " : "", ok && run.status == 0 ? "" : problems->str);
            fflush(stdout);
            g_string_free(problems, TRUE);
            g_free(run.err);
            if (!ok && known(trial->combo, kinds[kind].kind))
                ok = TRUE;
            if (ok) {
                remove_tree(checkpoint);
                remove_tree(output);
                trial->combo->passed++;
            } else {
                trial->combo->failed++;
                all_ok = FALSE;
            }
            /* the trial's own output now lacks the new input: bring it up to date */
            Run again = run_child(trial, trial->checkpoint, trial->output, NULL, -1);
            g_free(again.err);
        }
    }
    return all_ok;
}

/* ---- main ----------------------------------------------------------------------------------- */

int
main(int argc, char **argv)
{
    gint kills_target = 200, kills_per_trial = 4;
    gint64 seed = -1;
    gboolean no_damage = FALSE;
    const char *only = NULL, *known_path = NULL;
    GOptionEntry entries[] = {
        {"child", 0, 0, G_OPTION_ARG_FILENAME, &child_path, "the crash_pipeline program", "PATH"},
        {"kills", 0, 0, G_OPTION_ARG_INT, &kills_target, "kills to make (default 200)", "N"},
        {"kills-per-trial", 0, 0, G_OPTION_ARG_INT, &kills_per_trial,
         "kill attempts before a trial's last run (default 4)", "K"},
        {"seed", 0, 0, G_OPTION_ARG_INT64, &seed, "the PRNG seed (default: from the time)", "S"},
        {"no-damage", 0, 0, G_OPTION_ARG_NONE, &no_damage, "skip the damaged-file checks", NULL},
        {"only", 0, 0, G_OPTION_ARG_STRING, &only, "comma list of API/PIPELINE", "LIST"},
        {"known-failures", 0, 0, G_OPTION_ARG_FILENAME, &known_path,
         "failures to report but not count (API/PIPELINE WHAT REASON lines)", "FILE"},
        {NULL, 0, 0, 0, NULL, NULL, NULL},
    };
    GError *error = NULL;
    GOptionContext *options = g_option_context_new("- SIGKILL the pipelines and check output");
    g_option_context_add_main_entries(options, entries, NULL);
    gboolean parsed = g_option_context_parse(options, &argc, &argv, &error);
    g_option_context_free(options);
    if (!parsed || child_path == NULL || kills_target < 0 || kills_per_trial < 1) {
        fprintf(stderr, "crash_harness: %s\n", error ? error->message : "--child is required");
        return 2;
    }
    if (known_path != NULL && !load_known_failures(known_path)) {
        fprintf(stderr, "crash_harness: cannot read %s\n", known_path);
        return 2;
    }
    if (seed < 0)
        seed = g_get_real_time() % 1000000007;
    printf("crash_harness: seed %" G_GINT64_FORMAT " (replay with --seed %" G_GINT64_FORMAT
           "), %d kills\n",
           seed, seed, kills_target);
    fflush(stdout);
    rng = g_rand_new_with_seed((guint32)seed);
    kafka = duet_test_kafka_new();
    g_autofree char *root = g_dir_make_tmp("duet-crash-XXXXXX", NULL);

    gboolean active[G_N_ELEMENTS(combos)];
    guint n_active = 0;
    for (guint index = 0; index < G_N_ELEMENTS(combos); index++) {
        g_autofree char *name = g_strdup_printf("%s/%s", combos[index].api, combos[index].pipeline);
        active[index] = only == NULL || strstr(only, name) != NULL;
        n_active += active[index];
    }
    if (n_active == 0) {
        fprintf(stderr, "crash_harness: --only %s selects no pipeline\n", only);
        return 2;
    }
    guint kills = 0, damage_cases = 0, damage_errors = 0;
    gboolean any_failed = FALSE;
    for (guint round = 0; kills < (guint)kills_target || round == 0; round++) {
        for (guint index = 0; index < G_N_ELEMENTS(combos); index++) {
            if (!active[index])
                continue;
            Combo *combo = &combos[index];
            Trial *trial = trial_new(combo, root);
            gboolean ok = trial_run(trial, (guint)kills_per_trial, &kills);
            if (!ok && known(combo, "kills")) {
                trial_free(trial, FALSE);
                continue;
            }
            if (ok)
                combo->passed++;
            else
                combo->failed++;
            if (ok && !no_damage && !combo->damaged) {
                combo->damaged = TRUE;
                ok = damage_checks(trial, &damage_cases, &damage_errors);
            }
            any_failed |= !ok;
            trial_free(trial, !ok);
        }
    }
    printf("\n");
    for (guint index = 0; index < G_N_ELEMENTS(combos); index++)
        if (active[index])
            printf("%-10s %-12s %u passed, %u failed, %u kills\n", combos[index].api,
                   combos[index].pipeline, combos[index].passed, combos[index].failed,
                   combos[index].kills);
    printf("%u kills, %u damaged-file cases (%u clear errors), %u known failures, seed "
           "%" G_GINT64_FORMAT "\n",
           kills, damage_cases, damage_errors, n_known, seed);
    if (!any_failed)
        remove_tree(root);
    else
        printf("failed trials kept under %s\n", root);
    duet_test_kafka_free(kafka);
    g_rand_free(rng);
    g_free((char *)only); /* GOption's copies */
    g_free((char *)known_path);
    return any_failed ? 1 : 0;
}
