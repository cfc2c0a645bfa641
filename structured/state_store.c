/* state_store.c — versioned key/value state of one stateful operator, by partition.
 *
 * Layer: structured/. Spark's HDFSBackedStateStore: version V is the state after batch V-1.
 * Keys and values are bytes (row_codec.c); every entry also carries the event time that
 * decides its eviction under a watermark. In memory each shuffle partition has its own hash
 * table, touched by one task at a time, so tasks need no lock. On disk the layout is Spark's:
 * checkpoint/state/<operator>/<partition>/<version>.delta holds the entries put and the keys
 * removed in that batch, and <version>.snapshot everything (a stream-stream join keeps its two
 * sides in <partition>/left/ and <partition>/right/). Each partition's delta is encoded by the
 * task that changed the partition, when it seals it (as Spark's tasks commit their own
 * stores), and handed to the store's writer threads, so the partitions' fsyncs are in flight
 * together instead of one after another; commit waits for them. Loading version V reads, for
 * every partition in parallel, the newest snapshot at or below V and replays the deltas after
 * it. Maintenance (snapshots and cleanup) follows HDFSBackedStateStoreProvider, on the query's
 * clock: see state_store_files.c. Files are versioned and checksummed (rdd/atomic_file.h), so a
 * damaged or missing file is a clear error naming it, never wrong state.
 */
#include "structured/internal.h"
#include "rdd/atomic_file.h"

#include <glib/gstdio.h>
#include <string.h>
#include <xxhash.h>

enum { RECORD_PUT = 1, RECORD_REMOVE = 2 };

typedef struct {
    GHashTable *entries;   /* DuetStateEntry* -> itself */
    GHashTable *changed;   /* DuetStateEntry* put this batch (set) */
    GPtrArray *removed;    /* removed keys this batch (DuetStateEntry*, owned) */
    gboolean sealed;       /* this batch's delta is encoded (and written, with a directory) */
    gint64 base;           /* the snapshot version it was loaded from (0: none) */
    GError *error;         /* why writing the delta failed, for commit to report */
    GByteArray *snapshot;  /* every entry, when the next version is a snapshot version */
    gint64 min_event_time; /* no entry has an earlier event time (G_MAXINT64: none) */
    char *directory;       /* state/<operator>/<partition>[/left|right]; NULL: in memory */
} Table;

struct _DuetStateStore {
    char *directory; /* state/<operator>, or NULL for throwaway state */
    DuetStateStoreConf conf;
    gint64 version; /* the version held in memory */
    guint n_partitions;
    Table *tables;            /* one per partition */
    GThread *maintenance;     /* the snapshots and cleanup in flight, or NULL */
    GThreadPool *writers;     /* writes the partitions' deltas (with a directory) */
    GMutex write_lock;        /* guards pending */
    GCond written;            /* pending dropped to 0 */
    guint pending;            /* deltas handed to writers and not yet written */
    gint64 snapshot_version;  /* the version of the newest snapshot (loaded or written) */
    gint64 maintenance_ms;    /* clock time of the last maintenance (G_MININT64: none) */
    gboolean snapshot_due;    /* the batch in progress ends with a snapshot */
    gboolean maintenance_due; /* the batch in progress ends with maintenance */
    gint64 batch_ms;          /* clock time the batch in progress began */
};
static guint
entry_hash(gconstpointer data)
{
    return (guint)((const DuetStateEntry *)data)->hash;
}

static gboolean
entry_equal(gconstpointer a, gconstpointer b)
{
    const DuetStateEntry *x = a, *y = b;
    return x->hash == y->hash && x->key_len == y->key_len &&
           (x->key_len == 0 || memcmp(x->key, y->key, x->key_len) == 0);
}

static void
entry_free(DuetStateEntry *entry)
{
    if (entry->value)
        g_byte_array_unref(entry->value);
    g_free(entry->key);
    g_free(entry);
}

guint64
duet_state_key_hash(const guint8 *key, gsize len)
{
    return XXH3_64bits(key, len);
}

static DuetStateEntry *
entry_new(const guint8 *key, gsize len, guint64 hash)
{
    DuetStateEntry *entry = g_new0(DuetStateEntry, 1);
    entry->key = g_memdup2(key, len);
    entry->key_len = len;
    entry->hash = hash;
    entry->value = g_byte_array_new();
    return entry;
}

/* ---- records ------------------------------------------------------------------------------ */

/* Grows out by len bytes and returns where they start (one resize per record). */
static guint8 *
reserve(GByteArray *out, gsize len)
{
    guint at = out->len;
    g_byte_array_set_size(out, at + (guint)len);
    return out->data + at;
}

static guint8 *
put_u32_at(guint8 *at, guint32 x)
{
    x = GUINT32_TO_LE(x);
    memcpy(at, &x, 4);
    return at + 4;
}

static void
write_remove(GByteArray *out, const DuetStateEntry *entry)
{
    guint8 *at = reserve(out, 5 + entry->key_len);
    *at++ = RECORD_REMOVE;
    at = put_u32_at(at, (guint32)entry->key_len);
    if (entry->key_len)
        memcpy(at, entry->key, entry->key_len);
}

static void
write_put(GByteArray *out, const DuetStateEntry *entry)
{
    guint8 *at = reserve(out, 5 + entry->key_len + 12 + entry->value->len);
    *at++ = RECORD_PUT;
    at = put_u32_at(at, (guint32)entry->key_len);
    if (entry->key_len)
        memcpy(at, entry->key, entry->key_len);
    at += entry->key_len;
    gint64 time = GINT64_TO_LE(entry->event_time);
    memcpy(at, &time, 8);
    at = put_u32_at(at + 8, entry->value->len);
    if (entry->value->len)
        memcpy(at, entry->value->data, entry->value->len);
}

static gboolean
read_u32(DuetByteReader *reader, guint32 *x)
{
    if (reader->end - reader->at < 4)
        return FALSE;
    memcpy(x, reader->at, 4);
    *x = GUINT32_FROM_LE(*x);
    reader->at += 4;
    return TRUE;
}

/* Applies the records of one file to a partition's table. */
static gboolean
apply_file(Table *table, const char *path, const char *kind, GError **error)
{
    g_autoptr(GBytes) bytes =
        duet_checkpoint_read_versioned(path, kind, DUET_STATE_FILE_VERSION, NULL, error);
    if (bytes == NULL)
        return FALSE;
    gsize len = 0;
    const guint8 *data = g_bytes_get_data(bytes, &len);
    DuetByteReader reader = {data, data + len, FALSE};
    while (reader.at < reader.end) {
        guint8 record = *reader.at++;
        guint32 key_len = 0;
        if (!read_u32(&reader, &key_len) || (gsize)(reader.end - reader.at) < key_len)
            goto damaged;
        const guint8 *key = reader.at;
        reader.at += key_len;
        DuetStateEntry probe = {
            .key = (guint8 *)key, .key_len = key_len, .hash = duet_state_key_hash(key, key_len)};
        if (record == RECORD_REMOVE) {
            g_hash_table_remove(table->entries, &probe);
            continue;
        }
        gint64 time = 0;
        guint32 value_len = 0;
        if (record != RECORD_PUT || reader.end - reader.at < 8)
            goto damaged;
        memcpy(&time, reader.at, 8);
        reader.at += 8;
        if (!read_u32(&reader, &value_len) || (gsize)(reader.end - reader.at) < value_len)
            goto damaged;
        DuetStateEntry *entry = g_hash_table_lookup(table->entries, &probe);
        if (entry == NULL) {
            entry = entry_new(key, key_len, probe.hash);
            g_hash_table_add(table->entries, entry);
        }
        entry->event_time = GINT64_FROM_LE(time);
        table->min_event_time = MIN(table->min_event_time, entry->event_time);
        g_byte_array_set_size(entry->value, 0);
        g_byte_array_append(entry->value, reader.at, value_len);
        reader.at += value_len;
    }
    return TRUE;
damaged:
    g_set_error(error, DUET_FILE_ERROR, DUET_FILE_ERROR_CORRUPT,
                "checkpoint file %s: a state record is malformed (the file is damaged)", path);
    return FALSE;
}

/* The newest snapshot version at or below version in directory (one listing), or 0. */
static gint64
newest_snapshot(const char *directory, gint64 version)
{
    GDir *dir = g_dir_open(directory, 0, NULL);
    gint64 newest = 0;
    const char *name;
    while (dir && (name = g_dir_read_name(dir)) != NULL) {
        char *end = NULL;
        gint64 found = g_ascii_strtoll(name, &end, 10);
        if (g_ascii_isdigit(name[0]) && strcmp(end, ".snapshot") == 0 && found <= version)
            newest = MAX(newest, found);
    }
    if (dir)
        g_dir_close(dir);
    return newest;
}

/* Loads one partition's table at version: the newest snapshot at or below it, then the
 * deltas after it. */
static gboolean
load_table(Table *table, gint64 version, const char *operator_directory, GError **error)
{
    gint64 base = newest_snapshot(table->directory, version);
    if (base > 0) {
        g_autofree char *snapshot = duet_state_file_path(table->directory, base, "snapshot");
        if (!apply_file(table, snapshot, DUET_STATE_KIND_SNAPSHOT, error))
            return FALSE;
    }
    table->base = base;
    for (gint64 delta = base + 1; delta <= version; delta++) {
        g_autofree char *path = duet_state_file_path(table->directory, delta, "delta");
        if (!g_file_test(path, G_FILE_TEST_EXISTS)) {
            g_autofree char *old = duet_state_file_path(operator_directory, delta, "delta");
            if (g_file_test(old, G_FILE_TEST_EXISTS))
                g_set_error(error, DUET_FILE_ERROR, DUET_FILE_ERROR_VERSION,
                            "cannot load state version %" G_GINT64_FORMAT " of %s: the checkpoint "
                            "has an older duet's layout (one file per operator, e.g. %s) that "
                            "this version does not read; start the query with a new "
                            "checkpointLocation",
                            version, operator_directory, old);
            else
                g_set_error(error, DUET_FILE_ERROR, DUET_FILE_ERROR_CORRUPT,
                            "cannot load state version %" G_GINT64_FORMAT " of %s: its delta "
                            "file %s is missing (the checkpoint was damaged or pruned)",
                            version, table->directory, path);
            return FALSE;
        }
        if (!apply_file(table, path, DUET_STATE_KIND_DELTA, error))
            return FALSE;
    }
    return TRUE;
}

/* ---- loading --------------------------------------------------------------------------- */

/* Runs work(partition + 1, store) for the listed partitions on a pool of threads: the
 * partitions are independent files, so their reads overlap. */
static void
for_partitions(DuetStateStore *store, GArray *partitions, GFunc work)
{
    if (partitions->len == 1) {
        work(GUINT_TO_POINTER(g_array_index(partitions, guint, 0) + 1), store);
        return;
    }
    guint threads = MIN(partitions->len, MAX(g_get_num_processors(), 2) * 2);
    GThreadPool *pool = g_thread_pool_new(work, store, (gint)threads, TRUE, NULL);
    for (guint index = 0; index < partitions->len; index++)
        g_thread_pool_push(pool, GUINT_TO_POINTER(g_array_index(partitions, guint, index) + 1),
                           NULL);
    g_thread_pool_free(pool, FALSE, TRUE);
}

static void
load_work(gpointer item, gpointer data)
{
    DuetStateStore *store = data;
    Table *table = &store->tables[GPOINTER_TO_UINT(item) - 1];
    load_table(table, store->version, store->directory, &table->error);
}

/* The first partition's error (moved to error), if any partition has one. */
static gboolean
take_errors(DuetStateStore *store, GError **error)
{
    gboolean ok = TRUE;
    for (guint partition = 0; partition < store->n_partitions; partition++) {
        Table *table = &store->tables[partition];
        if (table->error != NULL && ok) {
            g_propagate_error(error, table->error);
            table->error = NULL;
            ok = FALSE;
        }
        g_clear_error(&table->error);
    }
    return ok;
}

/* ---- writing deltas ---------------------------------------------------------------------- */

typedef struct {
    Table *table;      /* the partition: its directory, and where a failure goes */
    GByteArray *delta; /* the encoded records (owned) */
    gint64 version;
} WriteJob;

static void
write_work(gpointer item, gpointer data)
{
    WriteJob *job = item;
    DuetStateStore *store = data;
    g_autofree char *path = duet_state_file_path(job->table->directory, job->version, "delta");
    duet_versioned_file_write(path, DUET_STATE_KIND_DELTA, DUET_STATE_FILE_VERSION,
                              job->delta->data, job->delta->len, &job->table->error);
    g_byte_array_unref(job->delta);
    g_free(job);
    g_mutex_lock(&store->write_lock);
    if (--store->pending == 0)
        g_cond_broadcast(&store->written);
    g_mutex_unlock(&store->write_lock);
}

/* ---- maintenance ------------------------------------------------------------------------- */

char *
duet_state_file_path(const char *directory, gint64 version, const char *suffix)
{
    g_autofree char *name = g_strdup_printf("%" G_GINT64_FORMAT ".%s", version, suffix);
    return g_build_filename(directory, name, NULL);
}

/* One maintenance run: snapshots of version (where taken) and the cleanup of every
 * partition's directory. */
typedef struct {
    guint n_partitions;
    char **directories;     /* per partition */
    GByteArray **snapshots; /* per partition, NULL when no snapshot is due */
    gint64 version;         /* the version just committed */
    gint64 retain;          /* minBatchesToRetain */
} Maintenance;

/* Spark's HDFSBackedStateStoreProvider.cleanup: the versions after latest - retain stay
 * loadable, so every file older than the newest snapshot at or below that version goes (with
 * no such snapshot nothing goes, as every delta is still needed). */
void
duet_state_store_cleanup_directory(const char *directory, gint64 latest, gint64 retain)
{
    gint64 earliest = latest - retain;
    if (earliest <= 0)
        return;
    GDir *dir = g_dir_open(directory, 0, NULL);
    if (dir == NULL)
        return;
    GArray *versions = g_array_new(FALSE, FALSE, sizeof(gint64));
    GPtrArray *names = g_ptr_array_new_with_free_func(g_free);
    gint64 base = 0;
    const char *name;
    while ((name = g_dir_read_name(dir)) != NULL) {
        char *end = NULL;
        gint64 version = g_ascii_strtoll(name, &end, 10);
        if (end == name || !g_ascii_isdigit(name[0]) ||
            (strcmp(end, ".delta") != 0 && strcmp(end, ".snapshot") != 0))
            continue; /* temporary files (".3.delta.tmp-..."), side directories */
        if (strcmp(end, ".snapshot") == 0 && version <= earliest)
            base = MAX(base, version);
        g_array_append_val(versions, version);
        g_ptr_array_add(names, g_strdup(name));
    }
    g_dir_close(dir);
    for (guint index = 0; base > 0 && index < names->len; index++)
        if (g_array_index(versions, gint64, index) < base) {
            g_autofree char *path = g_build_filename(directory, names->pdata[index], NULL);
            g_remove(path);
        }
    g_array_unref(versions);
    g_ptr_array_unref(names);
}

static gpointer
maintain(gpointer data)
{
    Maintenance *job = data;
    for (guint partition = 0; partition < job->n_partitions; partition++) {
        GByteArray *snapshot = job->snapshots[partition];
        if (snapshot != NULL) {
            g_autofree char *path =
                duet_state_file_path(job->directories[partition], job->version, "snapshot");
            GError *error = NULL;
            if (!duet_versioned_file_write(path, DUET_STATE_KIND_SNAPSHOT, DUET_STATE_FILE_VERSION,
                                           snapshot->data, snapshot->len, &error)) {
                /* a missing snapshot only makes loading replay more deltas (and cleanup keep
                 * them) */
                g_warning("state snapshot %s not written: %s", path, error->message);
                g_error_free(error);
            }
            g_byte_array_unref(snapshot);
        }
        duet_state_store_cleanup_directory(job->directories[partition], job->version, job->retain);
        g_free(job->directories[partition]);
    }
    g_free(job->directories);
    g_free(job->snapshots);
    g_free(job);
    return NULL;
}

/* Starts the maintenance of version in the background (Spark's maintenance thread), taking the
 * sealed snapshots. */
static GThread *
maintenance_start(DuetStateStore *store, gint64 version)
{
    Maintenance *job = g_new0(Maintenance, 1);
    job->n_partitions = store->n_partitions;
    job->directories = g_new0(char *, store->n_partitions);
    job->snapshots = g_new0(GByteArray *, store->n_partitions);
    job->version = version;
    job->retain = store->conf.min_versions_to_retain;
    for (guint partition = 0; partition < store->n_partitions; partition++) {
        Table *table = &store->tables[partition];
        job->directories[partition] = g_strdup(table->directory);
        job->snapshots[partition] = table->snapshot;
        table->snapshot = NULL;
    }
    return g_thread_new("duet-state-maintenance", maintain, job);
}

/* ---- the store ----------------------------------------------------------------------------- */

void
duet_state_store_conf_init(DuetStateStoreConf *conf)
{
    conf->min_deltas_for_snapshot = 10;
    conf->min_versions_to_retain = 100;
    conf->maintenance_interval_ms = 60000;
}

DuetStateStore *
duet_state_store_open(const char *directory, guint n_partitions, guint n_sides,
                      const DuetStateStoreConf *conf, gint64 version, GError **error)
{
    g_return_val_if_fail(n_sides == 1 || (n_sides == 2 && n_partitions % 2 == 0), NULL);
    DuetStateStore *store = g_new0(DuetStateStore, 1);
    store->directory = g_strdup(directory);
    if (conf)
        store->conf = *conf;
    else
        duet_state_store_conf_init(&store->conf);
    store->version = version;
    store->n_partitions = n_partitions;
    store->maintenance_ms = G_MININT64;
    store->tables = g_new0(Table, n_partitions);
    guint per_side = n_partitions / n_sides;
    for (guint partition = 0; partition < n_partitions; partition++) {
        Table *table = &store->tables[partition];
        table->entries =
            g_hash_table_new_full(entry_hash, entry_equal, (GDestroyNotify)entry_free, NULL);
        table->changed = g_hash_table_new(g_direct_hash, g_direct_equal);
        table->removed = g_ptr_array_new_with_free_func((GDestroyNotify)entry_free);
        table->min_event_time = G_MAXINT64;
        if (directory == NULL)
            continue;
        g_autofree char *name = g_strdup_printf("%u", partition % per_side);
        table->directory =
            n_sides == 1
                ? g_build_filename(directory, name, NULL)
                : g_build_filename(directory, name, partition < per_side ? "left" : "right", NULL);
    }
    g_mutex_init(&store->write_lock);
    g_cond_init(&store->written);
    if (directory != NULL) /* every partition's fsync in flight at once, up to 16 */
        store->writers =
            g_thread_pool_new(write_work, store, (gint)MIN(MAX(n_partitions, 1), 16), FALSE, NULL);
    if (version == 0 || directory == NULL)
        return store;
    GArray *all = g_array_sized_new(FALSE, FALSE, sizeof(guint), n_partitions);
    for (guint partition = 0; partition < n_partitions; partition++)
        g_array_append_val(all, partition);
    for_partitions(store, all, load_work);
    g_array_unref(all);
    if (!take_errors(store, error)) {
        duet_state_store_free(store);
        return NULL;
    }
    store->snapshot_version = version;
    for (guint partition = 0; partition < n_partitions; partition++)
        store->snapshot_version = MIN(store->snapshot_version, store->tables[partition].base);
    return store;
}

void
duet_state_store_free(DuetStateStore *store)
{
    if (store == NULL)
        return;
    if (store->maintenance)
        g_thread_join(store->maintenance);
    if (store->writers)
        g_thread_pool_free(store->writers, FALSE, TRUE);
    g_mutex_clear(&store->write_lock);
    g_cond_clear(&store->written);
    for (guint partition = 0; partition < store->n_partitions; partition++) {
        Table *table = &store->tables[partition];
        if (table->snapshot)
            g_byte_array_unref(table->snapshot);
        g_clear_error(&table->error);
        g_hash_table_unref(table->changed);
        g_ptr_array_unref(table->removed);
        g_hash_table_unref(table->entries);
        g_free(table->directory);
    }
    g_free(store->tables);
    g_free(store->directory);
    g_free(store);
}

void
duet_state_store_begin_batch(DuetStateStore *store, gint64 now_ms)
{
    /* Spark's maintenance task runs every maintenanceInterval from the store's loading: a
     * snapshot when more than minDeltasForSnapshot deltas follow the newest one, then the
     * cleanup */
    if (store->maintenance_ms == G_MININT64)
        store->maintenance_ms = now_ms;
    store->maintenance_due = store->directory != NULL &&
                             now_ms - store->maintenance_ms >= store->conf.maintenance_interval_ms;
    store->snapshot_due = store->maintenance_due && store->version + 1 - store->snapshot_version >
                                                        store->conf.min_deltas_for_snapshot;
    store->batch_ms = now_ms;
}

gint64
duet_state_store_version(const DuetStateStore *store)
{
    return store->version;
}

guint
duet_state_store_n_partitions(const DuetStateStore *store)
{
    return store->n_partitions;
}

guint
duet_state_store_size(const DuetStateStore *store, guint partition)
{
    return g_hash_table_size(store->tables[partition].entries);
}

DuetStateEntry *
duet_state_store_get(DuetStateStore *store, guint partition, const guint8 *key, gsize len,
                     guint64 hash)
{
    DuetStateEntry probe = {.key = (guint8 *)key, .key_len = len, .hash = hash};
    return g_hash_table_lookup(store->tables[partition].entries, &probe);
}

DuetStateEntry *
duet_state_store_put(DuetStateStore *store, guint partition, const guint8 *key, gsize len,
                     guint64 hash)
{
    Table *table = &store->tables[partition];
    DuetStateEntry *entry = duet_state_store_get(store, partition, key, len, hash);
    if (entry == NULL) {
        entry = entry_new(key, len, hash);
        g_hash_table_add(table->entries, entry);
    }
    g_hash_table_add(table->changed, entry);
    return entry;
}

gboolean
duet_state_store_was_put(DuetStateStore *store, guint partition, DuetStateEntry *entry)
{
    return g_hash_table_contains(store->tables[partition].changed, entry);
}

void
duet_state_store_remove(DuetStateStore *store, guint partition, DuetStateEntry *entry)
{
    Table *table = &store->tables[partition];
    g_hash_table_remove(table->changed, entry);
    g_hash_table_steal(table->entries, entry);
    g_ptr_array_add(table->removed, entry);
}

GPtrArray *
duet_state_store_entries(DuetStateStore *store, guint partition)
{
    GHashTable *entries = store->tables[partition].entries;
    GPtrArray *all = g_ptr_array_sized_new(g_hash_table_size(entries));
    GHashTableIter iter;
    gpointer key;
    g_hash_table_iter_init(&iter, entries);
    while (g_hash_table_iter_next(&iter, &key, NULL))
        g_ptr_array_add(all, key);
    return all;
}

void
duet_state_store_note_time(DuetStateStore *store, guint partition, gint64 event_time)
{
    Table *table = &store->tables[partition];
    table->min_event_time = MIN(table->min_event_time, event_time);
}

GPtrArray *
duet_state_store_expired(DuetStateStore *store, guint partition, gint64 watermark)
{
    Table *table = &store->tables[partition];
    GPtrArray *expired = g_ptr_array_new();
    if (table->min_event_time > watermark)
        return expired; /* nothing is old enough: no scan */
    gint64 remaining_min = G_MAXINT64;
    GHashTableIter iter;
    gpointer key;
    g_hash_table_iter_init(&iter, table->entries);
    while (g_hash_table_iter_next(&iter, &key, NULL)) {
        DuetStateEntry *entry = key;
        if (entry->event_time <= watermark)
            g_ptr_array_add(expired, entry);
        else
            remaining_min = MIN(remaining_min, entry->event_time);
    }
    table->min_event_time = remaining_min;
    return expired;
}

void
duet_state_store_seal_partition(DuetStateStore *store, guint partition)
{
    Table *table = &store->tables[partition];
    if (table->sealed)
        return;
    table->sealed = TRUE;
    guint changed = g_hash_table_size(table->changed);
    g_autoptr(GByteArray) delta =
        g_byte_array_sized_new(changed * 48 + table->removed->len * 24 + 16);
    GHashTableIter iter;
    gpointer key;
    g_hash_table_iter_init(&iter, table->changed);
    while (g_hash_table_iter_next(&iter, &key, NULL))
        write_put(delta, key);
    for (guint index = 0; index < table->removed->len; index++)
        write_remove(delta, g_ptr_array_index(table->removed, index));
    /* the removed entries are written: free them here, in the partition's task, in parallel */
    g_ptr_array_set_size(table->removed, 0);
    if (store->snapshot_due) {
        table->snapshot = g_byte_array_sized_new(g_hash_table_size(table->entries) * 48 + 16);
        g_hash_table_iter_init(&iter, table->entries);
        while (g_hash_table_iter_next(&iter, &key, NULL))
            write_put(table->snapshot, key);
    }
    if (table->directory == NULL)
        return;
    /* as Spark's task commits its partition's store; the write (two fsyncs) goes to the
     * store's writers, so that the task's thread goes on computing and the partitions' fsyncs
     * are in flight together; commit waits for them */
    WriteJob *job = g_new(WriteJob, 1);
    job->table = table;
    job->delta = g_steal_pointer(&delta);
    job->version = store->version + 1;
    g_mutex_lock(&store->write_lock);
    store->pending++;
    g_mutex_unlock(&store->write_lock);
    g_thread_pool_push(store->writers, job, NULL);
}

gboolean
duet_state_store_commit(DuetStateStore *store, GError **error)
{
    gint64 next = store->version + 1;
    /* partitions no task sealed (no rows reached them) are sealed here; then every delta is
     * waited for */
    for (guint partition = 0; partition < store->n_partitions; partition++)
        duet_state_store_seal_partition(store, partition);
    g_mutex_lock(&store->write_lock);
    while (store->pending > 0)
        g_cond_wait(&store->written, &store->write_lock);
    g_mutex_unlock(&store->write_lock);
    gboolean ok = take_errors(store, error);
    if (ok && store->maintenance_due) {
        if (store->maintenance)
            g_thread_join(store->maintenance);
        store->maintenance = maintenance_start(store, next);
        store->maintenance_ms = store->batch_ms;
        if (store->snapshot_due)
            store->snapshot_version = next;
    }
    for (guint partition = 0; partition < store->n_partitions; partition++) {
        Table *table = &store->tables[partition];
        g_clear_pointer(&table->snapshot, g_byte_array_unref);
        table->sealed = FALSE;
    }
    if (!ok)
        return FALSE;
    store->version = next;
    store->snapshot_due = store->maintenance_due = FALSE;
    for (guint partition = 0; partition < store->n_partitions; partition++) {
        g_hash_table_remove_all(store->tables[partition].changed);
        g_ptr_array_set_size(store->tables[partition].removed, 0);
    }
    return TRUE;
}
