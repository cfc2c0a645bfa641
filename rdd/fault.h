/* fault.h — fault injection at the sites where durability is decided.
 *
 * Layer: rdd/. Like SQLite's sqlite3FaultSim: checkpoint writes, fsyncs, renames and sink
 * commits call duet_fault_sim(site) first, and fail as if the system call had failed when it
 * returns TRUE. Tests install a hook; production code never does, and then the check costs one
 * atomic load.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum {
    DUET_FAULT_SITE_WRITE,          /* writing the bytes of a checkpoint/log file */
    DUET_FAULT_SITE_FSYNC,          /* fsync of a file or directory */
    DUET_FAULT_SITE_RENAME,         /* the rename that publishes a file */
    DUET_FAULT_SITE_SINK_COMMIT,    /* a sink committing a batch */
    DUET_FAULT_SITE_STATE_SNAPSHOT, /* a state store writing a snapshot */
    DUET_FAULT_SITE_SINK_WRITE, /* a sink half way through a batch: rows written, not committed */
    DUET_FAULT_N_SITES,
} DuetFaultSite;

/* Returns TRUE to make the operation at site fail. path may be NULL. */
typedef gboolean (*DuetFaultHook)(DuetFaultSite site, const char *path, gpointer user_data);

/* Installs (or with NULL removes) the process-wide hook. */
void duet_fault_sim_set_hook(DuetFaultHook hook, gpointer user_data);
/* Called by the engine at each site. */
gboolean duet_fault_sim(DuetFaultSite site, const char *path);
const char *duet_fault_site_name(DuetFaultSite site);

G_END_DECLS
