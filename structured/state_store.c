/* state_store.c — versioned key/value state of one stateful operator, by partition.
 *
 * Layer: structured/. Spark's HDFSBackedStateStore: version V is the state after batch V-1.
 * Keys and values are bytes (row_codec.c); every entry also carries the event time that
 * decides its eviction under a watermark. In memory each shuffle partition has its own hash
 * table, touched by one task at a time, so tasks need no lock. On disk, under
 * checkpoint/state/<operator>/, each committed version is one delta file for all partitions
 * (the entries put and the keys removed in that batch), and every tenth version also a
 * snapshot of everything. Loading version V reads the newest snapshot at or below V and
 * replays the deltas after it. Files are versioned and checksummed (rdd/atomic_file.h), so a
 * damaged or missing file is a clear error, never wrong state. (Spark keeps a directory per
 * partition; one file per operator costs one fsync per batch instead of one per partition.)
 */
#include "structured/internal.h"
#include "rdd/atomic_file.h"

#include <string.h>
#include <xxhash.h>

/* Spark's maintenance: a snapshot once at least this many deltas follow the last one and
 * spark.sql.streaming.stateStore.maintenanceInterval (60 s) passed since the last. */
#define SNAPSHOT_MIN_DELTAS      10
#define SNAPSHOT_MIN_INTERVAL_US (60 * G_USEC_PER_SEC)
enum { RECORD_PUT = 1, RECORD_REMOVE = 2 };

typedef struct {
    GHashTable *entries;   /* DuetStateEntry* -> itself */
    GHashTable *changed;   /* DuetStateEntry* put this batch (set) */
    GPtrArray *removed;    /* removed keys this batch (DuetStateEntry*, owned) */
    GByteArray *delta;     /* this batch's records, once sealed by the partition's task */
    GByteArray *snapshot;  /* every entry, when the next version is a snapshot version */
    gint64 min_event_time; /* no entry has an earlier event time (G_MAXINT64: none) */
} Table;

/* Snapshots are written by a background thread (Spark's maintenance task does the same), so
 * that a batch never waits for the whole state to reach the disk. */
typedef struct {
    char *path;
    GByteArray *bytes;
} SnapshotJob;

struct _DuetStateStore {
    char *directory;
    gint64 version; /* the version held in memory */
    guint n_partitions;
    Table *tables;            /* one per partition */
    GThread *snapshot_writer; /* the snapshot in flight, or NULL */
    gint64 snapshot_version;  /* the version of the last snapshot (loaded or written) */
    gint64 snapshot_time_us;  /* monotonic time it was written (0: at load) */
    gboolean snapshot_due;    /* the batch in progress ends with a snapshot */
};

static gboolean
snapshot_due(const DuetStateStore *store)
{
    return store->version + 1 - store->snapshot_version >= SNAPSHOT_MIN_DELTAS &&
           (store->snapshot_time_us == 0 ||
            g_get_monotonic_time() - store->snapshot_time_us >= SNAPSHOT_MIN_INTERVAL_US);
}

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

static char *
file_path(const char *directory, gint64 version, const char *kind)
{
    g_autofree char *name = g_strdup_printf("%" G_GINT64_FORMAT ".%s", version, kind);
    return g_build_filename(directory, name, NULL);
}

/* ---- files ------------------------------------------------------------------------------- */

#define FILE_KIND_DELTA    "state-delta"
#define FILE_KIND_SNAPSHOT "state-snapshot"

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
write_key(GByteArray *out, guint8 kind, guint partition, const DuetStateEntry *entry)
{
    guint8 *at = reserve(out, 9 + entry->key_len);
    *at++ = kind;
    at = put_u32_at(at, partition);
    at = put_u32_at(at, (guint32)entry->key_len);
    if (entry->key_len)
        memcpy(at, entry->key, entry->key_len);
}

static void
write_put(GByteArray *out, guint partition, const DuetStateEntry *entry)
{
    guint8 *at = reserve(out, 9 + entry->key_len + 12 + entry->value->len);
    *at++ = RECORD_PUT;
    at = put_u32_at(at, partition);
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

/* Applies the records of one file to the tables. */
static gboolean
apply_file(DuetStateStore *store, const char *path, const char *kind, GError **error)
{
    g_autoptr(GBytes) bytes = duet_versioned_file_read(path, kind, 1, NULL, error);
    if (bytes == NULL)
        return FALSE;
    gsize len = 0;
    const guint8 *data = g_bytes_get_data(bytes, &len);
    DuetByteReader reader = {data, data + len, FALSE};
    while (reader.at < reader.end) {
        guint8 record = *reader.at++;
        guint32 partition = 0, key_len = 0;
        if (!read_u32(&reader, &partition) || partition >= store->n_partitions ||
            !read_u32(&reader, &key_len) || (gsize)(reader.end - reader.at) < key_len)
            goto damaged;
        Table *table = &store->tables[partition];
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
                "state file %s is damaged: a record is malformed or names a partition beyond "
                "the %u this query has (spark.sql.shuffle.partitions cannot change between "
                "runs of one checkpoint)",
                path, store->n_partitions);
    return FALSE;
}

/* ---- the store ----------------------------------------------------------------------------- */

DuetStateStore *
duet_state_store_open(const char *directory, guint n_partitions, gint64 version, GError **error)
{
    DuetStateStore *store = g_new0(DuetStateStore, 1);
    store->directory = g_strdup(directory);
    store->version = version;
    store->n_partitions = n_partitions;
    store->tables = g_new0(Table, n_partitions);
    for (guint partition = 0; partition < n_partitions; partition++) {
        Table *table = &store->tables[partition];
        table->entries =
            g_hash_table_new_full(entry_hash, entry_equal, (GDestroyNotify)entry_free, NULL);
        table->changed = g_hash_table_new(g_direct_hash, g_direct_equal);
        table->removed = g_ptr_array_new_with_free_func((GDestroyNotify)entry_free);
        table->min_event_time = G_MAXINT64;
    }
    if (version == 0) {
        store->snapshot_due = snapshot_due(store);
        return store;
    }
    /* the newest snapshot at or below version, then the deltas after it */
    gint64 base = version;
    for (; base > 0; base--) {
        g_autofree char *snapshot = file_path(directory, base, "snapshot");
        if (g_file_test(snapshot, G_FILE_TEST_EXISTS))
            break;
    }
    gboolean ok = TRUE;
    if (base > 0) {
        g_autofree char *snapshot = file_path(directory, base, "snapshot");
        ok = apply_file(store, snapshot, FILE_KIND_SNAPSHOT, error);
    }
    for (gint64 delta = base + 1; ok && delta <= version; delta++) {
        g_autofree char *path = file_path(directory, delta, "delta");
        if (!g_file_test(path, G_FILE_TEST_EXISTS)) {
            g_set_error(error, DUET_FILE_ERROR, DUET_FILE_ERROR_CORRUPT,
                        "cannot load state version %" G_GINT64_FORMAT " of %s: its delta file "
                        "%s is missing (the checkpoint was damaged or pruned)",
                        version, directory, path);
            ok = FALSE;
            break;
        }
        ok = apply_file(store, path, FILE_KIND_DELTA, error);
    }
    if (!ok) {
        duet_state_store_free(store);
        return NULL;
    }
    store->snapshot_version = base;
    store->snapshot_due = snapshot_due(store);
    return store;
}

void
duet_state_store_free(DuetStateStore *store)
{
    if (store == NULL)
        return;
    if (store->snapshot_writer)
        g_thread_join(store->snapshot_writer);
    for (guint partition = 0; partition < store->n_partitions; partition++) {
        Table *table = &store->tables[partition];
        if (table->delta)
            g_byte_array_unref(table->delta);
        if (table->snapshot)
            g_byte_array_unref(table->snapshot);
        g_hash_table_unref(table->changed);
        g_ptr_array_unref(table->removed);
        g_hash_table_unref(table->entries);
    }
    g_free(store->tables);
    g_free(store->directory);
    g_free(store);
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
    if (table->delta != NULL)
        return;
    guint changed = g_hash_table_size(table->changed);
    table->delta = g_byte_array_sized_new(changed * 48 + table->removed->len * 24 + 16);
    GHashTableIter iter;
    gpointer key;
    g_hash_table_iter_init(&iter, table->changed);
    while (g_hash_table_iter_next(&iter, &key, NULL))
        write_put(table->delta, partition, key);
    for (guint index = 0; index < table->removed->len; index++)
        write_key(table->delta, RECORD_REMOVE, partition, g_ptr_array_index(table->removed, index));
    /* the removed entries are written: free them here, in the partition's task, in parallel */
    g_ptr_array_set_size(table->removed, 0);
    if (store->snapshot_due) {
        table->snapshot = g_byte_array_sized_new(g_hash_table_size(table->entries) * 48 + 16);
        g_hash_table_iter_init(&iter, table->entries);
        while (g_hash_table_iter_next(&iter, &key, NULL))
            write_put(table->snapshot, partition, key);
    }
}

static gpointer
write_snapshot(gpointer data)
{
    SnapshotJob *job = data;
    GError *error = NULL;
    if (!duet_versioned_file_write(job->path, FILE_KIND_SNAPSHOT, 1, job->bytes->data,
                                   job->bytes->len, &error)) {
        /* a missing snapshot only makes loading replay more deltas */
        g_warning("state snapshot %s not written: %s", job->path, error->message);
        g_error_free(error);
    }
    g_byte_array_unref(job->bytes);
    g_free(job->path);
    g_free(job);
    return NULL;
}

/* Concatenates the partitions' sealed buffers (sealing those no task sealed). */
static GByteArray *
gather(DuetStateStore *store, gboolean snapshot)
{
    gsize total = 0;
    for (guint partition = 0; partition < store->n_partitions; partition++) {
        duet_state_store_seal_partition(store, partition);
        GByteArray *part =
            snapshot ? store->tables[partition].snapshot : store->tables[partition].delta;
        total += part ? part->len : 0;
    }
    GByteArray *all = g_byte_array_sized_new((guint)total);
    for (guint partition = 0; partition < store->n_partitions; partition++) {
        GByteArray *part =
            snapshot ? store->tables[partition].snapshot : store->tables[partition].delta;
        if (part && part->len)
            g_byte_array_append(all, part->data, part->len);
    }
    return all;
}

gboolean
duet_state_store_commit(DuetStateStore *store, GError **error)
{
    gint64 next = store->version + 1;
    GByteArray *delta = gather(store, FALSE);
    g_autofree char *delta_path = file_path(store->directory, next, "delta");
    gboolean ok =
        duet_versioned_file_write(delta_path, FILE_KIND_DELTA, 1, delta->data, delta->len, error);
    g_byte_array_unref(delta);
    if (ok && store->snapshot_due) {
        GByteArray *snapshot = gather(store, TRUE);
        if (store->snapshot_writer)
            g_thread_join(store->snapshot_writer);
        SnapshotJob *job = g_new(SnapshotJob, 1);
        job->path = file_path(store->directory, next, "snapshot");
        job->bytes = snapshot;
        store->snapshot_writer = g_thread_new("duet-state-snapshot", write_snapshot, job);
        store->snapshot_version = next;
        store->snapshot_time_us = g_get_monotonic_time();
    }
    for (guint partition = 0; partition < store->n_partitions; partition++) {
        Table *table = &store->tables[partition];
        g_clear_pointer(&table->delta, g_byte_array_unref);
        g_clear_pointer(&table->snapshot, g_byte_array_unref);
    }
    if (!ok)
        return FALSE;
    store->version = next;
    store->snapshot_due = snapshot_due(store);
    for (guint partition = 0; partition < store->n_partitions; partition++) {
        g_hash_table_remove_all(store->tables[partition].changed);
        g_ptr_array_set_size(store->tables[partition].removed, 0);
    }
    return TRUE;
}
