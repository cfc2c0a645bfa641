/* bundled_text.h — a public-domain text shipped inside the duet command, so the demo needs no
 * input of the user's. Layer: compat/. */
#pragma once

/* Abraham Lincoln's Gettysburg Address (1863, public domain), the Bliss copy, one sentence a
 * line. (transfer none) */
const char *duet_bundled_text(void);
