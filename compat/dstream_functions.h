/* dstream_functions.h — the named user functions of the DStream conformance vectors.
 *
 * Layer: compat/. ../shared/conformance/dstream/functions.md defines every function a case
 * names ("pair_with_1", "add", "running_sum_state", ...); this registry implements each in C,
 * generically over the element schema it is applied to, and says what schema it produces.
 */
#pragma once

#include "dstream/dstream.h"

G_BEGIN_DECLS

typedef enum {
    DUET_NAMED_MAP,       /* element -> element (map, mapPartitions-free) */
    DUET_NAMED_FLAT_MAP,  /* element -> elements */
    DUET_NAMED_FILTER,    /* element -> bool */
    DUET_NAMED_VALUES,    /* value -> value(s), for mapValues / flatMapValues */
    DUET_NAMED_PARTITION, /* partition -> elements */
    DUET_NAMED_REDUCE,    /* (a, b) -> c */
    DUET_NAMED_RDD,       /* rdd -> rdd (transform) */
    DUET_NAMED_RDD2,      /* (rdd, rdd) -> rdd (transformWith) */
    DUET_NAMED_RDDS,      /* rdds -> rdd (StreamingContext.transform) */
    DUET_NAMED_UPDATE,    /* updateStateByKey */
    DUET_NAMED_MAPPING,   /* mapWithState */
} DuetNamedKind;

typedef DuetRdd *(*DuetNamedRddsFunc)(GPtrArray *rdds, gint64 time_ms, GError **error);

typedef struct {
    const char *name;            /* as in functions.md */
    DuetNamedKind kind;          /* which signature below is set */
    DuetMapFunc map;             /* MAP and FLAT_MAP */
    DuetFilterFunc filter;       /* FILTER */
    DuetValueFunc values;        /* VALUES */
    DuetPartitionFunc partition; /* PARTITION */
    DuetReduceFunc reduce;       /* REDUCE */
    DuetTransformFunc rdd;       /* RDD */
    DuetTransformWithFunc rdd2;  /* RDD2 */
    DuetNamedRddsFunc rdds;      /* RDDS */
    DuetUpdateStateFunc update;  /* UPDATE */
    DuetMappingFunc mapping;     /* MAPPING */
    /* the output element schema (MAP, FLAT_MAP, PARTITION, RDD, RDD2, RDDS) or value type
     * (VALUES, UPDATE: the state type) for an input element schema; NULL = unchanged;
     * MAPPING: (state type, mapped type) as a two-field schema */
    DuetSchema *(*schema)(DuetSchema *input);
} DuetNamedFunction;

/* The function called name, or NULL. */
const DuetNamedFunction *duet_named_function(const char *name);
/* The value type a VALUES or UPDATE function produces for a pair schema. (transfer full) */
DuetDataType *duet_named_value_type(const DuetNamedFunction *function, DuetSchema *input);

G_END_DECLS
