/* kafka_offset.c — Spark's KafkaSourceOffset: per topic partition, the next offset to read.
 *
 * Layer: sources/. Includes sources/ only (and json-glib). The JSON text is Spark's
 * JsonUtils.partitionOffsets, {"topicA":{"0":23,"1":-1},"topicB":{"0":-2}}, with topics sorted
 * and partitions ascending (Spark sorts its topic partitions before writing them, "for more
 * determinism"); the same parser reads the startingOffsets option, where -2 stands for earliest
 * and -1 for latest. The "assign" option's {"topicA":[0,1]} is read here too. In memory an
 * offset map is a GArray of DuetKafkaPartitionOffset kept sorted by (topic, partition).
 */
#include "sources/internal.h"

#include <json-glib/json-glib.h>
#include <string.h>

#define OFFSETS_EXAMPLE    "{\"topicA\":{\"0\":23,\"1\":-1},\"topicB\":{\"0\":-2}}"
#define PARTITIONS_EXAMPLE "{\"topicA\":[0,1],\"topicB\":[0,1]}"

static void
clear_entry(gpointer data)
{
    DuetKafkaPartitionOffset *entry = data;
    g_free(entry->topic);
}

DuetKafkaOffsets *
duet_kafka_offsets_new(void)
{
    GArray *offsets = g_array_new(FALSE, FALSE, sizeof(DuetKafkaPartitionOffset));
    g_array_set_clear_func(offsets, clear_entry);
    return offsets;
}

DuetKafkaOffsets *
duet_kafka_offsets_copy(const DuetKafkaOffsets *offsets)
{
    DuetKafkaOffsets *copy = duet_kafka_offsets_new();
    for (guint index = 0; index < offsets->len; index++) {
        const DuetKafkaPartitionOffset *entry =
            &g_array_index(offsets, DuetKafkaPartitionOffset, index);
        duet_kafka_offsets_put(copy, entry->topic, entry->partition, entry->offset);
    }
    return copy;
}

static int
compare_key(const char *topic, gint32 partition, const DuetKafkaPartitionOffset *entry)
{
    int by_topic = strcmp(topic, entry->topic);
    if (by_topic != 0)
        return by_topic;
    return (partition > entry->partition) - (partition < entry->partition);
}

/* The index of (topic, partition), or of where it would go; *found tells which. */
static guint
search(const DuetKafkaOffsets *offsets, const char *topic, gint32 partition, gboolean *found)
{
    guint low = 0, high = offsets->len;
    while (low < high) {
        guint middle = low + (high - low) / 2;
        int order = compare_key(topic, partition,
                                &g_array_index(offsets, DuetKafkaPartitionOffset, middle));
        if (order == 0) {
            *found = TRUE;
            return middle;
        }
        if (order < 0)
            high = middle;
        else
            low = middle + 1;
    }
    *found = FALSE;
    return low;
}

void
duet_kafka_offsets_put(DuetKafkaOffsets *offsets, const char *topic, gint32 partition,
                       gint64 offset)
{
    gboolean found;
    guint index = search(offsets, topic, partition, &found);
    if (found) {
        g_array_index(offsets, DuetKafkaPartitionOffset, index).offset = offset;
        return;
    }
    DuetKafkaPartitionOffset entry = {g_strdup(topic), partition, offset};
    g_array_insert_val(offsets, index, entry);
}

const DuetKafkaPartitionOffset *
duet_kafka_offsets_find(const DuetKafkaOffsets *offsets, const char *topic, gint32 partition)
{
    gboolean found;
    guint index = search(offsets, topic, partition, &found);
    return found ? &g_array_index(offsets, DuetKafkaPartitionOffset, index) : NULL;
}

static void
append_json_string(GString *out, const char *text)
{
    g_string_append_c(out, '"');
    for (const char *at = text; *at; at++) {
        if (*at == '"' || *at == '\\')
            g_string_append_c(out, '\\');
        g_string_append_c(out, *at);
    }
    g_string_append_c(out, '"');
}

char *
duet_kafka_offsets_to_json(const DuetKafkaOffsets *offsets)
{
    GString *out = g_string_new("{");
    const char *topic = NULL;
    for (guint index = 0; index < offsets->len; index++) {
        const DuetKafkaPartitionOffset *entry =
            &g_array_index(offsets, DuetKafkaPartitionOffset, index);
        if (topic == NULL || strcmp(topic, entry->topic) != 0) {
            if (topic != NULL)
                g_string_append(out, "},");
            append_json_string(out, entry->topic);
            g_string_append(out, ":{");
            topic = entry->topic;
        } else {
            g_string_append_c(out, ',');
        }
        g_string_append_printf(out, "\"%d\":%" G_GINT64_FORMAT, entry->partition, entry->offset);
    }
    if (topic != NULL)
        g_string_append_c(out, '}');
    g_string_append_c(out, '}');
    return g_string_free(out, FALSE);
}

char *
duet_kafka_offsets_partitions_string(const DuetKafkaOffsets *offsets)
{
    GString *out = g_string_new("Set(");
    for (guint index = 0; index < offsets->len; index++) {
        const DuetKafkaPartitionOffset *entry =
            &g_array_index(offsets, DuetKafkaPartitionOffset, index);
        g_string_append_printf(out, "%s%s-%d", index ? ", " : "", entry->topic, entry->partition);
    }
    g_string_append_c(out, ')');
    return g_string_free(out, FALSE);
}

/* A partition number as Jackson reads a map key of type Int. */
static gboolean
parse_partition(const char *text, gint32 *partition)
{
    char *end = NULL;
    gint64 value = g_ascii_strtoll(text, &end, 10);
    if (end == text || *end != '\0' || value < G_MININT32 || value > G_MAXINT32)
        return FALSE;
    *partition = (gint32)value;
    return TRUE;
}

static gboolean
is_integer(JsonNode *node)
{
    return JSON_NODE_HOLDS_VALUE(node) && json_node_get_value_type(node) == G_TYPE_INT64;
}

/* Reads {"topic":{"0":23}} (partitions_only FALSE) or {"topic":[0,1]} (TRUE, offsets 0). */
static DuetKafkaOffsets *
parse(const char *text, gboolean partitions_only)
{
    if (text == NULL)
        return NULL;
    g_autoptr(JsonNode) root = json_from_string(text, NULL);
    if (root == NULL || !JSON_NODE_HOLDS_OBJECT(root))
        return NULL;
    DuetKafkaOffsets *offsets = duet_kafka_offsets_new();
    JsonObject *topics = json_node_get_object(root);
    g_autoptr(GList) names = json_object_get_members(topics);
    for (GList *name = names; name != NULL; name = name->next) {
        JsonNode *member = json_object_get_member(topics, name->data);
        if (partitions_only && JSON_NODE_HOLDS_ARRAY(member)) {
            JsonArray *list = json_node_get_array(member);
            for (guint index = 0; index < json_array_get_length(list); index++) {
                JsonNode *element = json_array_get_element(list, index);
                gint64 partition = is_integer(element) ? json_node_get_int(element) : -1;
                if (partition < 0 || partition > G_MAXINT32)
                    goto malformed;
                duet_kafka_offsets_put(offsets, name->data, (gint32)partition, 0);
            }
        } else if (!partitions_only && JSON_NODE_HOLDS_OBJECT(member)) {
            JsonObject *partitions = json_node_get_object(member);
            g_autoptr(GList) keys = json_object_get_members(partitions);
            for (GList *key = keys; key != NULL; key = key->next) {
                JsonNode *value = json_object_get_member(partitions, key->data);
                gint32 partition;
                if (!parse_partition(key->data, &partition) || !is_integer(value))
                    goto malformed;
                duet_kafka_offsets_put(offsets, name->data, partition, json_node_get_int(value));
            }
        } else {
            goto malformed;
        }
    }
    return offsets;
malformed:
    g_array_unref(offsets);
    return NULL;
}

DuetKafkaOffsets *
duet_kafka_offsets_parse(const char *text, GQuark domain, gint code, GError **error)
{
    DuetKafkaOffsets *offsets = parse(text, FALSE);
    if (offsets == NULL)
        g_set_error(error, domain, code, "Expected e.g. %s, got %s", OFFSETS_EXAMPLE,
                    text ? text : "null");
    return offsets;
}

DuetKafkaOffsets *
duet_kafka_partitions_parse(const char *text, GError **error)
{
    DuetKafkaOffsets *partitions = parse(text, TRUE);
    if (partitions == NULL)
        g_set_error(error, DUET_SOURCE_ERROR, DUET_SOURCE_ERROR_OPTION, "Expected e.g. %s, got %s",
                    PARTITIONS_EXAMPLE, text);
    return partitions;
}

/* Offsets are ordered partition by partition: a is before b when b is ahead of a on some
 * partition (a partition a lacks counts as ahead), after b when a is ahead on some partition
 * and behind on none. That is all a consumer needs ("has the query reached this offset?");
 * offsets that cannot be parsed are ordered as text. */
int
duet_kafka_offsets_compare(const char *a, const char *b)
{
    if (a == NULL || b == NULL)
        return (a != NULL) - (b != NULL);
    g_autoptr(GArray) left = parse(a, FALSE);
    g_autoptr(GArray) right = parse(b, FALSE);
    if (left == NULL || right == NULL) {
        int order = strcmp(a, b);
        return (order > 0) - (order < 0);
    }
    gboolean behind = FALSE, ahead = FALSE;
    for (guint index = 0; index < right->len; index++) {
        const DuetKafkaPartitionOffset *theirs =
            &g_array_index(right, DuetKafkaPartitionOffset, index);
        const DuetKafkaPartitionOffset *ours =
            duet_kafka_offsets_find(left, theirs->topic, theirs->partition);
        if (ours == NULL || ours->offset < theirs->offset)
            behind = TRUE;
        else if (ours->offset > theirs->offset)
            ahead = TRUE;
    }
    for (guint index = 0; index < left->len && !ahead; index++) {
        const DuetKafkaPartitionOffset *ours =
            &g_array_index(left, DuetKafkaPartitionOffset, index);
        if (duet_kafka_offsets_find(right, ours->topic, ours->partition) == NULL)
            ahead = TRUE;
    }
    return behind ? -1 : ahead ? 1 : 0;
}
