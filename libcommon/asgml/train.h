/* SPDX-License-Identifier: MIT */
/* asgml/train.h - the training engine driven by asgml-train.
 *
 *   asgml_train_create()  reads every configuration key (data, model,
 *                         optimiser, schedule, methods), opens the store,
 *                         builds backend, model, optimiser, methods and
 *                         loaders.  Afterwards asgml_config_check_unused()
 *                         catches mistyped keys.
 *   asgml_train_run()     writes the run directory (libcommon/RUNDIR.md):
 *                         config.json first, log.jsonl as it goes,
 *                         checkpoints after each epoch, summary.json last;
 *                         every file through a temporary file + rename.
 *   asgml_train_free()
 *
 * The step is asgml-methods(7), TRAINING STEP: forward, H1, loss = CE(z) + sum_m
 * uni_weight[m] CE(u_m), backward, grad_norm_pre, H2 (methods sorted by
 * h2_rank), NaN/Inf check of loss and gradients, H3 optimiser step with
 * encoder_active, H4; after the last batch: evaluation on test (and val),
 * H5 epoch_end (which sees the evaluation), the LR schedule step, the
 * checkpoint.  The library never prints: progress goes to a callback. */
#ifndef ASGML_TRAIN_H
#define ASGML_TRAIN_H

#include <signal.h>

#include "asgml/config.h"

ASGML_BEGIN_DECLS

typedef enum { ASGML_PROGRESS_STEP = 0, ASGML_PROGRESS_EPOCH, ASGML_PROGRESS_NOTE } asgml_progress_kind;

typedef struct asgml_train_progress {
    asgml_progress_kind kind;
    int epoch, num_epochs;          /* 0-based epoch */
    int batch, batches_per_epoch;
    int64_t step;
    double loss;                    /* step: batch loss; epoch: mean train loss */
    double train_acc, test_acc, val_acc;   /* epoch (val_acc NaN without val) */
    double seconds;                 /* epoch: wall time of the epoch */
    const char *note;               /* NOTE: one line ("resuming from ...") */
} asgml_train_progress;

typedef void (*asgml_progress_fn)(void *user, const asgml_train_progress *p);

typedef struct asgml_train_options {
    const char *store_path;
    const char *out_dir;            /* run directory; created if absent */
    int resume;                     /* continue from out_dir/ckpt/last.h5 */
    asgml_progress_fn progress;     /* may be NULL */
    void *progress_user;
    volatile sig_atomic_t *interrupt;  /* non-zero: stop after the current step */
} asgml_train_options;

typedef enum { ASGML_RUN_COMPLETE = 0, ASGML_RUN_INTERRUPTED, ASGML_RUN_FAILED } asgml_run_status;

typedef struct asgml_train asgml_train;

/* Configuration errors give ASGML_EINVAL (exit 2 in the tool); a missing or
 * broken store ASGML_EIO / ASGML_EFORMAT. */
asgml_status asgml_train_create(asgml_config *cfg, const asgml_train_options *opt,
                                asgml_train **out);
/* Runs to the configured number of epochs.  A non-finite loss or gradient
 * stops with ASGML_ENUMERIC ("step T (epoch E, batch B): gradient of
 * 'visual_net.conv1.weight' has 3 non-finite values"); summary.json then
 * says "failed".  An interrupt returns ASGML_OK with *status INTERRUPTED. */
asgml_status asgml_train_run(asgml_train *t, asgml_run_status *status);
void asgml_train_free(asgml_train *t);

ASGML_END_DECLS
#endif
