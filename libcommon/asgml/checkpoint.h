/* SPDX-License-Identifier: MIT */
/* asgml/checkpoint.h - HDF5 checkpoints: weights plus full training state.
 *
 * Layout (HDF5, written to a temporary file beside PATH, fsync'd, renamed):
 *   /                 attrs: magic="asgml-checkpoint", format_version=1,
 *                     asgml_version, store_checksum, method, seed,
 *                     epochs_completed, step, noise_offset, dropout_seed,
 *                     dropout_offset (the model's dropout stream), config_json,
 *                     train_state_json
 *   /params/<name>    float32, PyTorch state_dict name and shape
 *                     ("audio_net.layer1.0.conv1.weight", OIHW)
 *   /buffers/<name>   float32 BN running_mean / running_var
 *   /optim/state0/<name>, /optim/state1/<name>   momentum or Adam m / v,
 *                     same names and shapes as /params (absent when unused)
 *   /optim/view_steps int64 (num param views): per-view optimiser steps
 *   /data/order       int64: the training order of the last epoch run
 *   /method/<key>     float64 or float32 arrays from asgml_state_io
 *
 * Loading the weights into PyTorch:
 *   with h5py.File(p) as f:
 *       sd = {k: torch.from_numpy(f["params"][k][()]) for k in f["params"]}
 *       sd.update({k: torch.from_numpy(f["buffers"][k][()]) for k in f["buffers"]})
 *   model.load_state_dict(sd, strict=False)   # num_batches_tracked absent */
#ifndef ASGML_CHECKPOINT_H
#define ASGML_CHECKPOINT_H

#include "asgml/method.h"
#include "asgml/optim.h"

ASGML_BEGIN_DECLS

#define ASGML_CHECKPOINT_MAGIC "asgml-checkpoint"
#define ASGML_CHECKPOINT_FORMAT 1

typedef struct asgml_checkpoint_info {
    const char *method;           /* "asgml-boost+ogm-ge" */
    uint64_t seed;
    int epochs_completed;         /* epochs finished: resume starts there */
    int64_t step;                 /* global optimiser steps taken */
    uint64_t noise_offset;        /* Philox counter of the methods' noise */
    const char *store_checksum;   /* content_sha256 of the training store */
    const char *config_json;      /* resolved configuration (config.json text) */
    const char *train_state_json; /* loop bookkeeping (best epoch, history) */
    const int64_t *order;         /* data order of the last epoch (may be NULL) */
    int64_t order_len;
} asgml_checkpoint_info;

/* Writes model parameters and buffers, the optimiser state (optim may be
 * NULL), the method state (may be NULL) and info.  Atomic (asgml/atomic_file.h):
 * on failure nothing is left behind. */
asgml_status asgml_checkpoint_save(const char *path, asgml_backend *be, asgml_model *model,
                                   asgml_optim *optim, const asgml_state_io *method_state,
                                   const asgml_checkpoint_info *info);

/* Loaded root attributes; strings are malloc'd (asgml_checkpoint_loaded_free). */
typedef struct asgml_checkpoint_loaded {
    char *asgml_version, *method, *store_checksum, *config_json, *train_state_json;
    uint64_t seed, noise_offset;
    int epochs_completed;
    int64_t step;
    int64_t *order;
    int64_t order_len;
} asgml_checkpoint_loaded;
void asgml_checkpoint_loaded_free(asgml_checkpoint_loaded *l);

/* Reads a checkpoint into an existing model (names and shapes must match:
 * ASGML_EFORMAT otherwise), the optimiser state (optim may be NULL), the
 * method state container (may be NULL: every /method dataset is put into
 * it) and the root attributes (info may be NULL). */
asgml_status asgml_checkpoint_load(const char *path, asgml_backend *be, asgml_model *model,
                                   asgml_optim *optim, asgml_state_io *method_state,
                                   asgml_checkpoint_loaded *info);

/* Only the root attributes (no model needed); for tools that inspect. */
asgml_status asgml_checkpoint_read_info(const char *path, asgml_checkpoint_loaded *info);

/* Accessors of asgml_state_io for serialisation (state_io.c). */
int asgml_state_io_count(const asgml_state_io *io);
const char *asgml_state_io_name(const asgml_state_io *io, int i);
int64_t asgml_state_io_length(const asgml_state_io *io, int i);
int asgml_state_io_is_f32(const asgml_state_io *io, int i);
const void *asgml_state_io_data(const asgml_state_io *io, int i);     /* host copy */
/* Adds (or replaces) an entry from host memory: n floats (is_f32) or doubles. */
asgml_status asgml_state_io_put_host(asgml_state_io *io, const char *name, int is_f32,
                                     const void *host, int64_t n);

ASGML_END_DECLS
#endif
