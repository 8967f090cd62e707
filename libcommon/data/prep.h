/* SPDX-License-Identifier: MIT */
/* prep.h - the asgml-prep pipeline as library code: manifest -> decoded,
 * fitted, (optionally) degraded features -> HDF5 store (asgml-store(5)).
 * The API is asgml/prep.h (tools/asgml-prep.c is a thin front end); this
 * private header adds what only the library and its tests use.
 *
 * Samples are decoded on `jobs` threads and written in store order (ids
 * sorted bytewise) by the calling thread, so the output does not depend on
 * the thread count.  The library prints nothing: progress goes through a
 * callback, problems into asgml_last_error() and the result struct. */
#ifndef ASGML_DATA_PREP_H
#define ASGML_DATA_PREP_H

#include "asgml/prep.h"

/* Space-separated list of preset names. */
const char *asgml_prep_preset_names(void);

#endif
