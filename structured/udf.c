/* udf.c — the registries of user-defined scalar functions and aggregators.
 *
 * Layer: structured/. Two process-wide tables, keyed by lower-case name, guarded by one lock.
 * Resolution (expr_function.c, agg_function.c) looks names up here after the built-ins.
 */
#include "structured/internal.h"
#include "structured/udf.h"

static GMutex registry_lock;
static GHashTable *scalar_udfs;    /* name -> DuetUdf* */
static GHashTable *aggregate_udfs; /* name -> DuetUdaf* */
/* Every registration ever made: a plan may hold one after its name is registered again, so
 * none is freed (they live as long as the process, as Spark's registrations do). */
static GPtrArray *registrations;

static void
keep(gpointer registration)
{
    if (registrations == NULL)
        registrations = g_ptr_array_new();
    g_ptr_array_add(registrations, registration);
}

void
duet_udf_register(const char *name, guint n_arguments, DuetDataType *result_type, DuetUdfFunc func,
                  gpointer user_data)
{
    DuetUdf *udf = g_new0(DuetUdf, 1);
    udf->n_arguments = n_arguments;
    udf->result_type = duet_data_type_ref(result_type);
    udf->func = func;
    udf->user_data = user_data;
    g_mutex_lock(&registry_lock);
    if (scalar_udfs == NULL)
        scalar_udfs = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    keep(udf);
    g_hash_table_insert(scalar_udfs, g_ascii_strdown(name, -1), udf);
    g_mutex_unlock(&registry_lock);
}

void
duet_udaf_register(const char *name, const DuetAggregator *aggregator, gpointer user_data)
{
    DuetUdaf *udaf = g_new0(DuetUdaf, 1);
    udaf->aggregator = aggregator;
    udaf->user_data = user_data;
    g_mutex_lock(&registry_lock);
    if (aggregate_udfs == NULL)
        aggregate_udfs = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    keep(udaf);
    g_hash_table_insert(aggregate_udfs, g_ascii_strdown(name, -1), udaf);
    g_mutex_unlock(&registry_lock);
}

const DuetUdf *
duet_udf_lookup(const char *name)
{
    g_autofree char *lower = g_ascii_strdown(name, -1);
    g_mutex_lock(&registry_lock);
    const DuetUdf *udf = scalar_udfs ? g_hash_table_lookup(scalar_udfs, lower) : NULL;
    g_mutex_unlock(&registry_lock);
    return udf;
}

const DuetUdaf *
duet_udaf_lookup(const char *name)
{
    g_autofree char *lower = g_ascii_strdown(name, -1);
    g_mutex_lock(&registry_lock);
    const DuetUdaf *udaf = aggregate_udfs ? g_hash_table_lookup(aggregate_udfs, lower) : NULL;
    g_mutex_unlock(&registry_lock);
    return udaf;
}
