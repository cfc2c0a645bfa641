/* side_by_side_private.h — what the files of a side-by-side run share.
 *
 * Layer: compat/ (side_by_side*.c only). The input: the shared source and what feeds it.
 */
#pragma once

#include "compat/side_by_side.h"

G_BEGIN_DECLS

typedef enum {
    DUET_SIDE_BY_SIDE_GENERATED,       /* the generator into a memory source */
    DUET_SIDE_BY_SIDE_GENERATED_FILES, /* the generator into files of a watched directory */
    DUET_SIDE_BY_SIDE_GENERATED_KAFKA, /* the generator into a topic of the mock cluster */
    DUET_SIDE_BY_SIDE_EXTERNAL,        /* a peer feeds the source: nothing generated */
} DuetSideBySideInputKind;

typedef struct _DuetSideBySideInput DuetSideBySideInput;

/* Opens the source spec names (NULL: the example's default), after checking the example can
 * read it. */
DuetSideBySideInput *duet_side_by_side_input_new(const DuetExample *example, const char *spec,
                                                 DuetContext *context, guint32 seed,
                                                 guint lines_per_batch, GError **error);
DuetSource *duet_side_by_side_input_source(DuetSideBySideInput *input);
const char *duet_side_by_side_input_description(DuetSideBySideInput *input);
DuetSideBySideInputKind duet_side_by_side_input_kind(DuetSideBySideInput *input);
/* Makes one batch of generated lines visible to both APIs at once (one memory-source add, one
 * file, one producer flush). Nothing for external inputs. */
gboolean duet_side_by_side_input_feed(DuetSideBySideInput *input, GPtrArray *lines, GError **error);
void duet_side_by_side_input_free(DuetSideBySideInput *input);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(DuetSideBySideInput, duet_side_by_side_input_free)

G_END_DECLS
