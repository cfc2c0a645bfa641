/* kafka_client.c — librdkafka configuration from Spark's "kafka.*" options.
 *
 * Layer: sources/. Includes sources/ only (and librdkafka). Shared by kafka_source.c and
 * sinks/kafka_sink.c through kafka_client.h.
 */
#include "sources/kafka_client.h"

#include <string.h>

const char *
duet_kafka_option(GHashTable *options, const char *key)
{
    if (options == NULL)
        return NULL;
    g_autofree char *lower = g_ascii_strdown(key, -1);
    return g_hash_table_lookup(options, lower);
}

gboolean
duet_kafka_conf_set(rd_kafka_conf_t *conf, const char *name, const char *value, GQuark domain,
                    gint code, GError **error)
{
    char reason[512];
    if (rd_kafka_conf_set(conf, name, value, reason, sizeof reason) != RD_KAFKA_CONF_OK) {
        g_set_error(error, domain, code, "Invalid value '%s' for Kafka option 'kafka.%s': %s",
                    value, name, reason);
        return FALSE;
    }
    return TRUE;
}

/* librdkafka logs to standard error by default; duet's clients log through GLib instead, so
 * that a test expecting a broker to be down stays quiet. */
static void
log_to_glib(const rd_kafka_t *handle, int level, const char *facility, const char *message)
{
    g_debug("librdkafka %s [%d] %s: %s", rd_kafka_name(handle), level, facility, message);
}

rd_kafka_conf_t *
duet_kafka_conf_new(GHashTable *options, GQuark domain, gint code, GError **error)
{
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    rd_kafka_conf_set_log_cb(conf, log_to_glib);
    if (options == NULL)
        return conf;
    /* In a fixed order, so that the first bad option reported is always the same one. */
    g_autoptr(GList) keys = g_list_sort(g_hash_table_get_keys(options), (GCompareFunc)strcmp);
    for (GList *key = keys; key != NULL; key = key->next) {
        const char *option = key->data;
        if (g_ascii_strncasecmp(option, "kafka.", 6) != 0)
            continue;
        const char *value = g_hash_table_lookup(options, option);
        char reason[512];
        rd_kafka_conf_res_t result =
            rd_kafka_conf_set(conf, option + 6, value, reason, sizeof reason);
        if (result == RD_KAFKA_CONF_INVALID) {
            g_set_error(error, domain, code, "Invalid value '%s' for Kafka option '%s': %s", value,
                        option, reason);
            rd_kafka_conf_destroy(conf);
            return NULL;
        }
        if (result == RD_KAFKA_CONF_UNKNOWN)
            g_debug("Kafka option '%s' is not a librdkafka setting: ignored", option);
    }
    return conf;
}
