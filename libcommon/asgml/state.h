/* SPDX-License-Identifier: MIT */
/* asgml/state.h - saved state: named arrays for checkpoints (method state,
 * probe weights, buffers), held in memory (libcommon/train/state_io.c) and
 * written to / read from HDF5 by asgml/checkpoint.h. */
#ifndef ASGML_STATE_H
#define ASGML_STATE_H

#include "asgml/backend.h"

ASGML_BEGIN_DECLS

/* Named arrays for checkpoints (method state, probe weights, buffers). */
typedef struct asgml_state_io asgml_state_io;
/* In-memory state container (checkpoint.c writes/reads it to HDF5). */
asgml_state_io *asgml_state_io_create(asgml_backend *be);
void asgml_state_io_free(asgml_state_io *io);
asgml_status asgml_state_put(asgml_state_io *io, const char *name, const double *v, int64_t n);
/* Fails with ASGML_EFORMAT if the name is absent or the length differs. */
asgml_status asgml_state_get(asgml_state_io *io, const char *name, double *v, int64_t n);
/* float data that lives in backend memory (probe weights, stale buffers) */
asgml_status asgml_state_put_f32(asgml_state_io *io, const char *name, const float *backend_ptr, int64_t n);
asgml_status asgml_state_get_f32(asgml_state_io *io, const char *name, float *backend_ptr, int64_t n);

ASGML_END_DECLS
#endif
