/* SPDX-License-Identifier: MIT */
/* asgml/method.h - training methods as gradient hooks (asgml-methods(7), TRAINING STEP).
 *
 * One interface; one file per method (libcommon/method_<name>.c); a
 * registry line in method_registry.c.  The training loop calls, per batch:
 *
 *   H5 epoch_begin (first batch of an epoch)
 *   forward
 *   H1 before_backward: choose loss terms (uni_weight) and the encoders that
 *      take part (encoder_active)
 *   loss + backward (loop)          -> grad_norm_pre filled by the loop
 *   H2 modulate: change encoder gradients in place (order: OGM-GE, ASGML,
 *      boost — methods are sorted by h2_rank, whatever the order on the
 *      command line)
 *   H3 optimiser step; encoder_active[m] == 0 leaves encoder m untouched
 *   H4 after_step: statistics, probes, auxiliary models
 *   H5 epoch_end (after the last batch and the evaluation of the epoch,
 *      before the LR schedule steps; test_acc is that evaluation)
 *
 * A composition "a+b" runs every hook of a, then of b (sorted by h2_rank).
 * A hook a method does not need is NULL and skipped (see below).
 * Methods record their per-step signals with asgml_log_*() (asgml/runlog.h)
 * and save their state through asgml_state_io (asgml/state.h). */
#ifndef ASGML_METHOD_H
#define ASGML_METHOD_H

#include "asgml/config.h"
#include "asgml/model.h"
#include "asgml/runlog.h"
#include "asgml/state.h"

ASGML_BEGIN_DECLS

typedef struct asgml_step {
    asgml_backend *be;
    asgml_model *model;
    int num_modalities, num_classes;
    const char *modality_names[ASGML_MAX_MODALITIES];
    int epoch, num_epochs;          /* 0-based */
    int batch, batches_per_epoch;   /* 0-based within the epoch */
    int64_t step;                   /* global optimiser step t, from 0 */
    int batch_size;                 /* B of this batch */
    const int32_t *labels;          /* host (B) */
    const int32_t *labels_dev;      /* backend memory (B) */
    uint64_t seed;                  /* run seed */
    uint64_t *noise_offset;         /* Philox counter, advance by what you draw */

    /* H1: set by methods (the loop pre-fills the defaults) */
    float uni_weight[ASGML_MAX_MODALITIES];   /* weight of CE(u_m); heads provider */
    int encoder_active[ASGML_MAX_MODALITIES]; /* 0: no gradient, no update this step
                                               * (set in H1; set in H2, the gradient
                                               * exists but H3 leaves the encoder) */

    /* filled by the loop after forward / backward */
    double loss, ce_fused, ce_uni[ASGML_MAX_MODALITIES];
    double grad_norm_pre[ASGML_MAX_MODALITIES];  /* ||encoder-m grad||, before H2 */
    double batch_acc;

    /* epoch hooks: evaluation results of the finished epoch (epoch_end) */
    double test_acc, test_acc_uni[ASGML_MAX_MODALITIES];

    asgml_log_record *log;          /* this step's record */

    /* Services of asgml/hooks.h; the loop pre-fills the defaults per step. */
    struct asgml_train *train;      /* the running loop (opaque) */
    int substep, num_substeps;      /* optimiser sub-step k of this batch, from 0 */
    const float *x[ASGML_MAX_MODALITIES];   /* this batch's inputs (backend memory) */
    const int64_t *samples;         /* host (B): store indices of this batch */
    float fused_weight;             /* H1: weight of CE(z) in the loss (1) */
    float fused_grad_scale;         /* H1: factor on dL/dz in backward, loss unchanged (1) */
    float feature_grad_scale[ASGML_MAX_MODALITIES]; /* H1: factor on dL/df_m (1) */
    /* H1: 1 = one backward per loss term: term_grads[0] gets the gradient of
     * fused_weight CE(z), term_grads[1 + m] that of uni_weight[m] CE(u_m)
     * (backend memory, the parameter layout); the model gradient is their
     * sum (plus extra passes) and may be replaced in modulate (H2). */
    int separate_terms;
    float *term_grads[ASGML_MAX_MODALITIES + 1];
    /* epoch_end: evaluation of the validation split (NaN without one) */
    double val_acc, val_loss, val_acc_uni[ASGML_MAX_MODALITIES], test_loss;
} asgml_step;

enum { ASGML_NEEDS_UNI_SPLIT = 1u, ASGML_NEEDS_UNI_HEADS = 2u, ASGML_SINGLE_MODALITY = 4u };
/* a validation split: the store's, else a seeded class-stratified hold-out
 * of the training split (data.val-fraction, data.val-seed) */
enum { ASGML_NEEDS_VAL = 8u };
/* u_m by the `zero` provider (model.uni=zero; auto resolves to it) */
enum { ASGML_NEEDS_UNI_ZERO = 16u };
/* u_m by one shared head and no fusion layer (model.uni=shared with
 * model.fusion=none: the defaults of both keys become these, other values
 * are a configuration error); the inference-time fusion weights come from
 * the method (asgml_mla_fusion_config), not from model.fusion-weights */
enum { ASGML_NEEDS_UNI_SHARED = 32u };

typedef struct asgml_method_ops {
    const char *name;        /* "ogm-ge" */
    const char *summary;     /* one line for --help / --list-methods */
    unsigned needs;          /* ASGML_NEEDS_* : the loop configures the model */
    int h2_rank;             /* order of modulate() in a composition */
    /* Read hyper-parameters from cfg (keys "<name>.<param>", defaults
     * registered by reading them). */
    asgml_status (*create)(asgml_config *cfg, const asgml_model_config *mc, void **state);
    void (*destroy)(void *state);
    asgml_status (*epoch_begin)(void *state, asgml_step *s);
    asgml_status (*before_backward)(void *state, asgml_step *s);
    asgml_status (*modulate)(void *state, asgml_step *s);
    asgml_status (*after_step)(void *state, asgml_step *s);
    asgml_status (*epoch_end)(void *state, asgml_step *s);
    asgml_status (*save)(void *state, asgml_state_io *io);
    asgml_status (*load)(void *state, asgml_state_io *io);
    /* Optional (NULL = not used).  H0, before each forward of the step:
     * feature masks (asgml_step_feature_mask), the sub-step's choices. */
    asgml_status (*before_forward)(void *state, asgml_step *s);
    /* Optimiser sub-steps for this batch (>= 1): the loop runs H0, forward,
     * H1, backward, H2, H3, H4 that many times with s->substep = 0, 1, ... */
    int (*num_substeps)(void *state, const asgml_step *s);
    /* Optional: ASGML_NEEDS_* that depend on the method's own keys (e.g.
     * ogm-ge.variant=asgml-ref needs the heads provider), OR-ed into `needs`
     * before the model is configured, by asgml-train and asgml-probe alike.
     * Reads only the keys that decide them; wrong values: ASGML_EINVAL. */
    asgml_status (*config_needs)(asgml_config *cfg, unsigned *needs);
} asgml_method_ops;

/* Required: name, summary and create.  Every other hook may be NULL: a
 * method leaves out the hooks where it has nothing to do, and every caller
 * (the training loop, checkpoints, tests) skips a NULL hook, which acts as
 * a hook that returns ASGML_OK (destroy: nothing to free; save: no state;
 * load: ignores the saved state). */
const asgml_method_ops *asgml_method_find(const char *name);
int asgml_method_count(void);
const asgml_method_ops *asgml_method_at(int i);

/* The modality of the `unimodal` method: config key "unimodal.modality"
 * (default "audio").  The loop builds a one-encoder model for it. */
asgml_status asgml_unimodal_modality(asgml_config *cfg, const char **name);

/* The inference-time fusion of `mla` (asgml-methods(7), MLA): keys
 * "mla.fusion" (dynamic | ref | fixed, default dynamic) and, for fixed,
 * "mla.fixed-weights" (one value >= 0 per modality; default 0.55,0.45 for
 * two modalities, 0.35,0.25,0.40 for three, 1/N otherwise) into
 * mc->fuse_weights (ENTROPY, ENTROPY_BATCH, MEAN) and mc->fuse_lambda, for
 * mc->num_modalities modalities.  The loop and asgml-probe build an mla
 * model with it, so evaluation, asgml-probe and asgml-report see the same
 * fused logits.  Wrong values: ASGML_EINVAL naming the key. */
asgml_status asgml_mla_fusion_config(asgml_config *cfg, asgml_model_config *mc);

ASGML_END_DECLS
#endif
