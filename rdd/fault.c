/* fault.c — the fault-injection hook checked at durability sites (SQLite's sqlite3FaultSim).
 *
 * Layer: rdd/. Includes rdd/ only. One process-wide hook, read with an atomic pointer load so
 * that production code, which never installs one, pays almost nothing.
 */
#include "rdd/fault.h"

typedef struct {
    DuetFaultHook hook;
    gpointer user_data;
} HookSlot;

static HookSlot *current_hook; /* atomic */

void
duet_fault_sim_set_hook(DuetFaultHook hook, gpointer user_data)
{
    HookSlot *slot = NULL;
    if (hook != NULL) {
        slot = g_new(HookSlot, 1);
        slot->hook = hook;
        slot->user_data = user_data;
    }
    HookSlot *old = g_atomic_pointer_exchange(&current_hook, slot);
    /* A concurrent duet_fault_sim may still be reading the old slot; tests swap hooks only
     * between operations, so freeing here is safe for them. */
    g_free(old);
}

gboolean
duet_fault_sim(DuetFaultSite site, const char *path)
{
    HookSlot *slot = g_atomic_pointer_get(&current_hook);
    if (G_LIKELY(slot == NULL))
        return FALSE;
    return slot->hook(site, path, slot->user_data);
}

const char *
duet_fault_site_name(DuetFaultSite site)
{
    static const char *const names[] = {"write",       "fsync",          "rename",
                                        "sink-commit", "state-snapshot", "sink-write"};
    return site < DUET_FAULT_N_SITES ? names[site] : "unknown";
}
