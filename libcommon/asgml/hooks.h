/* SPDX-License-Identifier: MIT */
/* asgml/hooks.h - services the training loop offers to methods beyond the
 * gradient hooks of asgml/method.h, and the model/optimiser operations they
 * are built on.  Nothing here runs unless a method asks for it: a run whose
 * methods use none of it is bit-identical to a run without this interface.
 *
 * Model operations (any model, also outside a run):
 *   clone, snapshot / restore / blend / re-initialise the parameters of one
 *   group (encoder m, ASGML_GROUP_FUSION, ASGML_GROUP_HEADS), a per-modality
 *   feature mask between encoder and fusion, scaling of a group's gradient.
 * Optimiser operations: clone (state, step counts, lr), per-group lr.
 * Step services (asgml_step of a running training loop):
 *   extra forward passes of the current batch with chosen modalities'
 *   inputs zeroed (inference-mode BN by default) whose gradients can be
 *   kept; per-group lr multipliers; copies of the model + optimiser that are
 *   trained and evaluated for whole epochs without touching the main run;
 *   inference-mode feature passes over a part of the data
 *   (asgml_step_features).
 * Loop behaviour selected through asgml_step fields (method.h): fused_weight,
 * fused_grad_scale, feature_grad_scale[m], separate_terms / term_grads[],
 * sub-steps (asgml_method_ops.num_substeps), before_forward (H0), the
 * validation split (ASGML_NEEDS_VAL) and val_* at epoch_end. */
#ifndef ASGML_HOOKS_H
#define ASGML_HOOKS_H

#include "asgml/method.h"
#include "asgml/optim.h"
#include "asgml/probe_eval.h"

ASGML_BEGIN_DECLS

/* ---- model ---------------------------------------------------------------- */

/* A new model with src's configuration, parameters, BN buffers and dropout
 * stream; gradients zero.  Independent of src afterwards. */
asgml_status asgml_model_clone(const asgml_model *src, asgml_model **out);
/* Copy of a group's parameters (backend memory, asgml_model_group_span
 * count floats); free with asgml_model_snapshot_free. */
asgml_status asgml_model_snapshot(asgml_model *m, int group, float **snap);
void asgml_model_snapshot_free(asgml_model *m, float *snap);
asgml_status asgml_model_restore(asgml_model *m, int group, const float *snap);
/* theta_group <- alpha * a + (1 - alpha) * b; a or b NULL = the current
 * parameters.  BN running statistics are not touched. */
asgml_status asgml_model_blend(asgml_model *m, int group, float alpha, const float *a,
                               const float *b);
/* Re-initialises the parameters and BN running statistics of one group with
 * the model's initialiser (asgml_model_init_params) under `seed`: the group
 * gets exactly the values a fresh model initialised with `seed` has there.
 * Other groups and the dropout stream are untouched. */
asgml_status asgml_model_reinit_group(asgml_model *m, int group, uint64_t seed);
/* Feature mask of modality mod: backend memory (B, D) for the following
 * forward passes (until set to NULL); f_m <- mask (.) f_m right after the
 * encoder, so the fusion, the unimodal logits and the backward pass (dL/df_m
 * (.) mask reaches the encoder) all see the masked feature.  Not owned. */
asgml_status asgml_model_set_feature_mask(asgml_model *m, int mod, const float *mask);
/* Extra gradient dL/df_m (B, D) of modality mod (backend memory; NULL =
 * none) for the following backward passes (until set to NULL): added to
 * what the fusion and heads send back, before encoder m's backward (and
 * before the feature mask), so a loss term on f_m alone reaches encoder m
 * only.  Not owned. */
asgml_status asgml_model_set_feature_grad(asgml_model *m, int mod, const float *dfeat);
/* grad_group *= s */
asgml_status asgml_model_scale_group_grad(asgml_model *m, int group, float s);

/* Global gradient-norm clipping over every parameter of the model, as
 * PyTorch's torch.nn.utils.clip_grad_norm_ (torch/nn/utils/clip_grad.py):
 * norm = ||grad||_2 over all parameters (computed in double here); when
 * max_norm / (norm + 1e-6) < 1 every gradient is multiplied by that factor.
 * *norm (may be NULL) gets the norm before clipping, *fired (may be NULL)
 * whether the gradient was scaled.  Methods log both (e.g. "clip.norm",
 * "clip.fired"). */
asgml_status asgml_model_clip_grad_norm(asgml_model *m, double max_norm, double *norm,
                                        int *fired);

/* ---- optimiser ------------------------------------------------------------ */

/* A new optimiser for `model` (a clone of src's model) with src's
 * configuration, lr, moments and per-view step counts. */
asgml_status asgml_optim_clone(const asgml_optim *src, asgml_model *model, asgml_optim **out);
/* Learning rate of one group from now on, overriding base lr * multiplier
 * (lr < 0 removes the override).  asgml_optim_group_lr reports it. */
void asgml_optim_set_group_lr(asgml_optim *o, int group, double lr);

/* ---- step services (valid inside the hooks of a running loop) ------------- */

/* Forward pass of the current batch in pass slot `slot` (0..3), with the
 * inputs of every modality m with zero_input[m] != 0 replaced by zeros
 * (zero_input NULL = none).  training_bn 0: inference mode (BN running
 * statistics, not updated; no dropout); 1: training mode (batch statistics,
 * running statistics updated).  The parameters are the model's; the pass
 * has its own activations, so the main forward stays valid, and its
 * gradient can be taken with asgml_step_backward_extra.  *logits: (B, C)
 * backend memory, valid until the next pass in that slot. */
asgml_status asgml_step_forward_extra(asgml_step *s, int slot, const int *zero_input,
                                      int training_bn, const float **logits);
/* u_m of the last pass in `slot` (NULL without unimodal logits). */
const float *asgml_step_extra_unimodal_logits(asgml_step *s, int slot, int mod);
/* Backward of the pass in `slot` from dlogits (B, C) and duni[m] (may be
 * NULL); accumulates into the model's gradient (s->encoder_active applies). */
asgml_status asgml_step_backward_extra(asgml_step *s, int slot, const float *dlogits,
                                       const float *const *duni);
/* Learning-rate multiplier of a group relative to the scheduled lr, applied
 * at once and at every following epoch start (1 = back to the schedule);
 * epoch and step records then carry "lr.<group>" for every group. */
asgml_status asgml_step_set_group_lr_mult(asgml_step *s, int group, double mult);
/* (B_max, D) backend buffer for modality mod's feature mask, enabled for the
 * forward passes of this step only; fill it in before_forward (H0). */
float *asgml_step_feature_mask(asgml_step *s, int mod);

/* (B_max, D) backend buffer for an extra gradient dL/df_m of this step's
 * main forward (f_m = asgml_model_features), zero when returned; fill it in
 * before_backward (H1).  The loop adds it before encoder m's backward in the
 * main backward of this step only (with separate_terms: in term 0, the fused
 * term); extra passes never see it.  The step's "loss" does not include the
 * method's term: the method logs it. */
float *asgml_step_feature_grad(asgml_step *s, int mod);
/* Features of training batches in inference mode (BN running statistics,
 * no dropout, no gradient): the first nbatches batches (all when <= 0) of
 * epoch `epoch` of a shuffled, augmented training loader with its own order
 * stream `stream` (the main loader, model activations of the current batch
 * and random streams are untouched).  fn gets, per batch, B, the labels
 * (host, B) and feat[m] (host, (B, D)) of every modality. */
typedef asgml_status (*asgml_feature_fn)(void *ctx, int batch_size, const int32_t *labels,
                                         const float *const *feat);
asgml_status asgml_step_train_features(asgml_step *s, uint64_t stream, int epoch, int nbatches,
                                       asgml_feature_fn fn, void *ctx);
/* Number of batches per epoch of the training loader. */
int asgml_step_train_batches(asgml_step *s);

/* A copy of the model and optimiser state, trained for whole epochs on the
 * training split (its own loader order stream and dropout stream, its own
 * device buffers), so the main run's model, optimiser and random streams
 * are untouched.  Use from epoch_begin / epoch_end. */
typedef struct asgml_copy asgml_copy;
/* `stream` selects the copy's order/dropout streams (same stream, same
 * batches). */
asgml_status asgml_step_copy_create(asgml_step *s, uint64_t stream, asgml_copy **out);
/* n epochs of: loss = fused_weight CE(z) + sum_m uni_weight[m] CE(u_m)
 * (uni_weight NULL = none), backward, optimiser step (the main run's lr). */
asgml_status asgml_copy_train_epochs(asgml_copy *c, int n, float fused_weight,
                                     const float *uni_weight);
/* Inference-mode evaluation of the copy (or of the main model when c is
 * NULL) on part "train", "val" or "test": mean CE(z) and accuracy. */
asgml_status asgml_step_evaluate(asgml_step *s, asgml_copy *c, const char *part,
                                 double *loss, double *acc);
/* Inputs of every modality m with zero_input[m] != 0 are replaced by zeros
 * in the copy's following training epochs and asgml_copy_evaluate (NULL =
 * none): the "padding" of BalanceBenchmark's G-Blending trial
 * (GeWu-Lab/BalanceBenchmark balancemm/models/avclassify_model.py forward). */
asgml_status asgml_copy_set_zero_input(asgml_copy *c, const int *zero_input);
/* Sum over the batches of the last epoch trained by asgml_copy_train_epochs
 * of the batch loss (fused_weight CE(z) + sum_m uni_weight[m] CE(u_m), batch
 * means, training mode, before each step) and the number of batches
 * (0 before any training). */
double asgml_copy_last_epoch_loss(const asgml_copy *c, int *nbatches);
/* Inference-mode evaluation of the copy on part "train" (the training
 * samples, evaluation transforms), "val" or "test", through the copy's own
 * buffers (safe from epoch_begin: the main step's inputs stay): loss[0] =
 * mean CE(z), loss[1 + m] = mean CE(u_m) (NaN without unimodal logits);
 * sums[0..N] (may be NULL) the same as sums over batches of batch means,
 * *nbatches (may be NULL) their count.  Zeroed inputs apply. */
asgml_status asgml_copy_evaluate(asgml_copy *c, const char *part, double *loss, double *sums,
                                 int *nbatches);
asgml_model *asgml_copy_model(asgml_copy *c);
asgml_optim *asgml_copy_optim(asgml_copy *c);
void asgml_copy_free(asgml_copy *c);

/* Per-modality features of a part of the data, for methods that build
 * statistics of the representation between epochs: the class prototypes
 * of PMR (Fan et al., "PMR: Prototypical Modal Rebalance for Multimodal
 * Learning", CVPR 2023, official code: calculate_prototype, which runs the
 * model in eval mode under torch.no_grad() over the training loader) or
 * feature clustering.
 *
 * asgml_step_features runs an inference-mode pass (BN running statistics,
 * no dropout, no gradient, no feature masks) of the main model through its
 * own activation arena and device buffers: the parameters, BN buffers,
 * gradients, the main forward's activations, the current batch's inputs,
 * the loader (order, prefetch) and every random stream of the run are left
 * as they were, so a run that calls it ends bit-identical to one that does
 * not.  Safe from every hook (epoch_begin, epoch_end, the step hooks): the
 * store serialises its reads, so the training loader's prefetch thread may
 * read the next batch meanwhile.  Parts:
 *   "train", max_batches > 0: the first max_batches batches of the CURRENT
 *     epoch in the order the training loop serves them (the loader's
 *     shuffled order of this epoch, asgml_loader_order; with
 *     data.drop-last the dropped tail is never included), batch by batch
 *     with the run's batch size, as the first batches of a PyTorch
 *     DataLoader(shuffle=True) iteration of this epoch; fewer when the
 *     epoch has fewer samples;
 *   "train", max_batches <= 0: every training sample (the hold-out's
 *     remainder when there is a hold-out) in ascending store index;
 *   "val" (EINVAL without a validation split, ASGML_NEEDS_VAL) and "test":
 *     every sample of the part in ascending store index (max_batches > 0
 *     keeps the first max_batches batches of that order).
 * Inputs always get the evaluation transforms (no random crop or flip;
 * PMR's training loader would apply its training augmentation).
 * *out (asgml/probe_eval.h): n, num_modalities, dim = D, x[m] host (n, D)
 * f_m (the encoder output), labels (n), samples (n) store indices; free
 * its arrays with asgml_feature_set_free. */
asgml_status asgml_step_features(asgml_step *s, const char *part, int max_batches,
                                 asgml_feature_set *out);

/* ---- tests ------------------------------------------------------------------ */

/* Makes `ops` findable by name for asgml_train_create in this process (a
 * method defined outside the registry, e.g. by a test); up to 8. */
asgml_status asgml_method_add_extra(const asgml_method_ops *ops);

ASGML_END_DECLS
#endif
