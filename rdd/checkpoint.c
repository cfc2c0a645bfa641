/* checkpoint.c — persisting RDDs in memory and checkpointing them to a directory.
 *
 * Layer: rdd/. Includes rdd/ only. persist() keeps computed partitions (MEMORY_ONLY); the
 * cache itself lives in rdd.c's compute path. checkpoint() follows Spark's reliable
 * checkpointing: the RDD is marked, and after the next job that computes it each partition is
 * written to <dir>/rdd-<id>/part-NNNNN (a versioned file holding the partition's batches in
 * batch_io encoding), then _metadata (the schema and the partition count), and the RDD's
 * lineage is replaced by a CheckpointRDD reading those files. A damaged file is reported with
 * its path when read.
 */
#include "rdd/internal.h"
#include "rdd/atomic_file.h"
#include "rdd/batch_io.h"

#include <errno.h>
#include <glib/gstdio.h>

#define PARTITION_KIND "rdd-partition"
#define METADATA_KIND  "rdd-metadata"
#define FORMAT_VERSION 1

DuetRdd *
duet_rdd_persist(DuetRdd *rdd)
{
    g_return_val_if_fail(rdd != NULL, NULL);
    g_mutex_lock(&rdd->lock);
    rdd->persisted = TRUE;
    g_mutex_unlock(&rdd->lock);
    return duet_rdd_ref(rdd);
}

void
duet_rdd_unpersist(DuetRdd *rdd)
{
    g_return_if_fail(rdd != NULL);
    g_mutex_lock(&rdd->lock);
    rdd->persisted = FALSE;
    if (rdd->cache != NULL) {
        for (guint partition = 0; partition < rdd->n_partitions; partition++) {
            if (rdd->cache[partition] != NULL)
                g_ptr_array_unref(rdd->cache[partition]);
        }
        g_clear_pointer(&rdd->cache, g_free);
    }
    g_mutex_unlock(&rdd->lock);
}

gboolean
duet_rdd_is_persisted(const DuetRdd *rdd)
{
    g_mutex_lock((GMutex *)&rdd->lock);
    gboolean persisted = rdd->persisted;
    g_mutex_unlock((GMutex *)&rdd->lock);
    return persisted;
}

gboolean
duet_rdd_checkpoint(DuetRdd *rdd, GError **error)
{
    g_return_val_if_fail(rdd != NULL, FALSE);
    g_autofree char *dir = duet_context_get_checkpoint_dir(rdd->context);
    if (dir == NULL) {
        g_set_error(error, DUET_RDD_ERROR, DUET_RDD_ERROR_CHECKPOINT,
                    "Checkpoint directory has not been set in the SparkContext "
                    "(call duet_context_set_checkpoint_dir first)");
        return FALSE;
    }
    g_mutex_lock(&rdd->lock);
    if (rdd->checkpoint_rdd == NULL)
        rdd->checkpoint_requested = TRUE;
    g_mutex_unlock(&rdd->lock);
    return TRUE;
}

gboolean
duet_rdd_is_checkpointed(const DuetRdd *rdd)
{
    g_mutex_lock((GMutex *)&rdd->lock);
    gboolean checkpointed = rdd->checkpoint_rdd != NULL;
    g_mutex_unlock((GMutex *)&rdd->lock);
    return checkpointed;
}

const char *
duet_rdd_checkpoint_path(const DuetRdd *rdd)
{
    return rdd->checkpoint_path;
}

/* ---- Writing ------------------------------------------------------------------------------ */

static char *
partition_path(const char *directory, guint partition)
{
    g_autofree char *name = g_strdup_printf("part-%05u", partition);
    return g_build_filename(directory, name, NULL);
}

static gboolean
write_partition_task(DuetRdd *rdd, guint partition, gpointer user_data, GError **error)
{
    const char *directory = user_data;
    GPtrArray *batches = duet_rdd_compute_partition(rdd, partition, error);
    if (batches == NULL)
        return FALSE;
    GByteArray *payload = g_byte_array_new();
    guint32 n_batches = GUINT32_TO_LE(batches->len);
    g_byte_array_append(payload, (const guint8 *)&n_batches, sizeof n_batches);
    for (guint batch_idx = 0; batch_idx < batches->len; batch_idx++)
        duet_batch_serialize(g_ptr_array_index(batches, batch_idx), payload);
    g_ptr_array_unref(batches);
    g_autofree char *path = partition_path(directory, partition);
    gboolean ok = duet_versioned_file_write(path, PARTITION_KIND, FORMAT_VERSION, payload->data,
                                            payload->len, error);
    g_byte_array_unref(payload);
    return ok;
}

static gboolean
write_checkpoint(DuetRdd *rdd, GError **error)
{
    g_autofree char *root = duet_context_get_checkpoint_dir(rdd->context);
    g_autofree char *name = g_strdup_printf("rdd-%u", rdd->id);
    g_autofree char *directory = g_build_filename(root, name, NULL);
    if (!duet_atomic_mkdir(directory, error))
        return FALSE;
    if (!duet_scheduler_run_job(rdd, NULL, rdd->n_partitions, write_partition_task, directory,
                                error))
        return FALSE;
    /* _metadata last: its presence says every partition file is complete. */
    GByteArray *payload = g_byte_array_new();
    guint32 n_partitions = GUINT32_TO_LE(rdd->n_partitions);
    g_byte_array_append(payload, (const guint8 *)&n_partitions, sizeof n_partitions);
    g_autoptr(DuetBatch) empty = duet_batch_new_empty(rdd->schema);
    duet_batch_serialize(empty, payload);
    g_autofree char *metadata = g_build_filename(directory, "_metadata", NULL);
    gboolean ok = duet_versioned_file_write(metadata, METADATA_KIND, FORMAT_VERSION, payload->data,
                                            payload->len, error);
    g_byte_array_unref(payload);
    if (!ok)
        return FALSE;
    DuetRdd *reader = duet_rdd_read_checkpoint(rdd->context, directory, error);
    if (reader == NULL)
        return FALSE;
    g_mutex_lock(&rdd->lock);
    rdd->checkpoint_rdd = reader;
    rdd->checkpoint_path = g_strdup(directory);
    rdd->checkpoint_requested = FALSE;
    g_mutex_unlock(&rdd->lock);
    return TRUE;
}

static gboolean
write_pending(DuetRdd *rdd, GHashTable *visited, GError **error)
{
    if (!g_hash_table_add(visited, rdd))
        return TRUE;
    g_mutex_lock(&rdd->lock);
    gboolean requested = rdd->checkpoint_requested && rdd->checkpoint_rdd == NULL;
    gboolean done = rdd->checkpoint_rdd != NULL;
    g_mutex_unlock(&rdd->lock);
    if (done)
        return TRUE;
    if (requested)
        return write_checkpoint(rdd, error);
    for (guint parent_idx = 0; parent_idx < rdd->parents->len; parent_idx++) {
        if (!write_pending(g_ptr_array_index(rdd->parents, parent_idx), visited, error))
            return FALSE;
    }
    for (guint shuffle_idx = 0; shuffle_idx < rdd->shuffles->len; shuffle_idx++) {
        DuetShuffle *shuffle = g_ptr_array_index(rdd->shuffles, shuffle_idx);
        if (!write_pending(duet_shuffle_parent(shuffle), visited, error))
            return FALSE;
    }
    return TRUE;
}

/* Writes the checkpoints marked in rdd's lineage (the nearest marked RDD on each path, as
 * Spark does). Called by every action after its job. */
gboolean
duet_rdd_write_pending_checkpoints(DuetRdd *rdd, GError **error)
{
    GHashTable *visited = g_hash_table_new(g_direct_hash, g_direct_equal);
    gboolean ok = write_pending(rdd, visited, error);
    g_hash_table_unref(visited);
    return ok;
}

/* ---- Reading ------------------------------------------------------------------------------ */

typedef struct {
    char *directory;
} CheckpointData;

static void
checkpoint_data_free(gpointer data)
{
    CheckpointData *checkpoint = data;
    g_free(checkpoint->directory);
    g_free(checkpoint);
}

/* Decodes "u32 count, then count batches" from a versioned file's payload. */
static GPtrArray *
decode_batches(GBytes *payload, const char *path, GError **error)
{
    gsize len;
    const guint8 *data = g_bytes_get_data(payload, &len);
    if (len < 4) {
        g_set_error(error, DUET_RDD_ERROR, DUET_RDD_ERROR_CHECKPOINT,
                    "checkpoint file %s is truncated: no batch count", path);
        return NULL;
    }
    guint32 n_batches;
    memcpy(&n_batches, data, 4);
    n_batches = GUINT32_FROM_LE(n_batches);
    gsize offset = 4;
    GPtrArray *batches = g_ptr_array_new_with_free_func((GDestroyNotify)duet_batch_unref);
    for (guint32 batch_idx = 0; batch_idx < n_batches; batch_idx++) {
        GError *local = NULL;
        DuetBatch *batch = duet_batch_deserialize(data, len, &offset, &local);
        if (batch == NULL) {
            g_set_error(error, DUET_RDD_ERROR, DUET_RDD_ERROR_CHECKPOINT,
                        "checkpoint file %s is damaged (batch %u): %s", path, batch_idx,
                        local->message);
            g_error_free(local);
            g_ptr_array_unref(batches);
            return NULL;
        }
        g_ptr_array_add(batches, batch);
    }
    return batches;
}

static GPtrArray *
checkpoint_compute(DuetRdd *rdd, guint partition, GError **error)
{
    CheckpointData *checkpoint = rdd->op_data;
    g_autofree char *path = partition_path(checkpoint->directory, partition);
    guint version;
    GBytes *payload =
        duet_versioned_file_read(path, PARTITION_KIND, FORMAT_VERSION, &version, error);
    if (payload == NULL)
        return NULL;
    GPtrArray *batches = decode_batches(payload, path, error);
    g_bytes_unref(payload);
    return batches;
}

static const DuetRddOps checkpoint_ops = {"ReliableCheckpointRDD", checkpoint_compute};

DuetRdd *
duet_rdd_read_checkpoint(DuetContext *context, const char *path, GError **error)
{
    g_return_val_if_fail(context != NULL && path != NULL, NULL);
    g_autofree char *metadata = g_build_filename(path, "_metadata", NULL);
    guint version;
    GBytes *payload =
        duet_versioned_file_read(metadata, METADATA_KIND, FORMAT_VERSION, &version, error);
    if (payload == NULL) {
        g_prefix_error(error, "cannot read the RDD checkpoint in %s: ", path);
        return NULL;
    }
    gsize len;
    const guint8 *data = g_bytes_get_data(payload, &len);
    guint32 n_partitions = 0;
    DuetBatch *empty = NULL;
    GError *local = NULL;
    if (len >= 4) {
        memcpy(&n_partitions, data, 4);
        n_partitions = GUINT32_FROM_LE(n_partitions);
        gsize offset = 4;
        empty = duet_batch_deserialize(data, len, &offset, &local);
    }
    g_bytes_unref(payload);
    if (empty == NULL) {
        g_set_error(error, DUET_RDD_ERROR, DUET_RDD_ERROR_CHECKPOINT,
                    "checkpoint file %s is damaged: %s", metadata,
                    local ? local->message : "too short");
        g_clear_error(&local);
        return NULL;
    }
    for (guint32 partition = 0; partition < n_partitions; partition++) {
        g_autofree char *part = partition_path(path, partition);
        if (!g_file_test(part, G_FILE_TEST_EXISTS)) {
            g_set_error(error, DUET_RDD_ERROR, DUET_RDD_ERROR_CHECKPOINT,
                        "checkpoint %s is missing partition file %s", path, part);
            duet_batch_unref(empty);
            return NULL;
        }
    }
    DuetRdd *rdd = duet_rdd_new_internal(context, duet_batch_schema(empty), n_partitions,
                                         &checkpoint_ops, "checkpoint");
    CheckpointData *checkpoint = g_new0(CheckpointData, 1);
    checkpoint->directory = g_strdup(path);
    rdd->op_data = checkpoint;
    rdd->op_data_free = checkpoint_data_free;
    duet_batch_unref(empty);
    return rdd;
}
