/* SPDX-License-Identifier: MIT */
/* asgml/model.h - the multimodal late-fusion model (asgml-methods(7), MODEL).
 *
 * N >= 1 modality encoders (ResNet18 of any width/depth, or an MLP for
 * feature vectors), a fusion head, optional separate unimodal heads.  All
 * parameters live in ONE backend buffer with named views whose names and
 * layouts follow PyTorch's state_dict (e.g. "audio_net.layer1.0.conv1.weight",
 * conv weights OIHW, linear weights (out, in)).  Parameters are ordered by
 * group: encoder 0, encoder 1, ..., fusion, unimodal heads; so the gradient
 * of encoder m is one contiguous span (asgml_model_group_span).
 * Non-trainable buffers (BN running_mean/running_var) live in a second
 * buffer with views "....bn1.running_mean" (num_batches_tracked omitted).
 * Other names: MLP encoder "<name>_net.fc1/fc2"; fusion "fusion_module.":
 * concat fc_out (two-layer: fc_hidden (512, N*D) then fc_out), sum fc_x/fc_y
 * (N = 2; else fc_<name>), film fc (2D, D) + fc_out, gated fc_x, fc_y,
 * fc_out; heads "head_<name>".  Dropout acts on each f_m before the fusion
 * head (split/zero read the dropped features, separate heads do not).
 *
 * Forward and backward are explicit (llm.c style): activations are cached
 * in a per-model arena sized for max_batch.  Backward accumulates into the
 * gradient buffer; asgml_model_zero_grad clears it. */
#ifndef ASGML_MODEL_H
#define ASGML_MODEL_H

#include "asgml/backend.h"

ASGML_BEGIN_DECLS

#define ASGML_MAX_MODALITIES 8

typedef enum { ASGML_ENC_RESNET18 = 0, ASGML_ENC_MLP = 1 } asgml_encoder_kind;
typedef enum {
    ASGML_FUSION_CONCAT = 0, ASGML_FUSION_SUM, ASGML_FUSION_FILM, ASGML_FUSION_GATED,
    ASGML_FUSION_NONE         /* no fusion parameters: z = sum_m lambda_m u_m (below) */
} asgml_fusion_kind;
/* Unimodal logits provider (asgml-methods(7), UNIMODAL LOGITS) */
typedef enum {
    ASGML_UNI_NONE = 0, ASGML_UNI_SPLIT, ASGML_UNI_HEADS, ASGML_UNI_ZERO,
    /* one Linear(D -> C) head g shared by every modality, u_m = g(fin_m): one
     * parameter block "head_shared.{weight,bias}" (group ASGML_GROUP_HEADS,
     * head_of -1) whose gradient accumulates over the modalities, as the
     * shared classifier of MLA (Zhang et al., "Multimodal Representation
     * Learning by Alternating Unimodal Adaptation", CVPR 2024).  Reads the
     * fusion input (after dropout); uni_detach is not supported. */
    ASGML_UNI_SHARED
} asgml_uni_kind;
/* Fusion weights of ASGML_FUSION_NONE: z = sum_m lambda_m u_m with
 * MEAN: lambda_m = 1/N, or the weights of asgml_model_set_fusion_weights;
 * ENTROPY: per sample, lambda_m = exp(H_max - H_m) / sum_j exp(H_max - H_j),
 * H_m the entropy of softmax(u_m) and H_max = max_j H_j (the entropy gating
 * of MLA's official code, github.com/xiaobai1217/MLA, used at inference);
 * ENTROPY_BATCH: one lambda per modality for the whole batch, from the
 * entropy of the softmax over the BATCH dimension of u_m summed over all
 * (B, C) entries, H_m = -sum_{b,c} q log q with q = softmax_b(u_m[:, c]),
 * then lambda_m as above (calculate_entropy of MLA's released main.py,
 * github.com/Cecile-hi/Multimodal-Learning-with-Alternating-Unimodal-Adaptation,
 * which takes F.softmax(output, dim=0)).
 * The backward pass treats lambda as a constant: dL/du_m += lambda_m dL/dz. */
typedef enum {
    ASGML_FUSE_MEAN = 0, ASGML_FUSE_ENTROPY, ASGML_FUSE_ENTROPY_BATCH
} asgml_fuse_weights;

/* Normalisation of each encoder output row f_m (B, D) before fusion
 * (model.feature-norm; ASGML design v1 section 5.3, mitigation 4): NONE
 * (default, no operation), L2 (f / max(||f||, 1e-12)), LAYERNORM
 * ((f - mean) / sqrt(var + 1e-5), no affine parameters).  Fusion, heads,
 * probes and exported features all see the normalised f_m. */
typedef enum {
    ASGML_FEATURE_NORM_NONE = 0, ASGML_FEATURE_NORM_L2, ASGML_FEATURE_NORM_LAYERNORM
} asgml_feature_norm;

typedef struct asgml_encoder_config {
    char name[32];             /* modality name: "audio", "visual"; prefix "<name>_net." */
    asgml_encoder_kind kind;
    int in_channels;           /* resnet: 1 (spectrogram) or 3 (RGB) or 1 (grey) */
    int in_h, in_w;            /* resnet input size */
    int frames;                /* resnet: T frames folded into the batch (>= 1) */
    int in_dim;                /* mlp: input features */
    int hidden;                /* mlp: hidden width (0 = feature_dim) */
} asgml_encoder_config;

typedef struct asgml_model_config {
    int num_modalities;                    /* N >= 1 (1 = unimodal model) */
    asgml_encoder_config enc[ASGML_MAX_MODALITIES];
    int width;                             /* ResNet base width: 64 = ResNet18 */
    int blocks[4];                         /* blocks per stage: {2,2,2,2} */
    int feature_dim;                       /* D: 8*width for resnet; mlp output */
    int num_classes;                       /* C */
    asgml_fusion_kind fusion;
    int head_two_layer;                    /* z = W2(W1[f]+b1)+b2, hidden 512 */
    asgml_uni_kind uni;                    /* provider of u_m */
    int uni_detach;                        /* heads read detached features */
    int head_init_uniform;                 /* fusion/heads keep PyTorch default init */
    float dropout;                         /* on fused features before the head, 0 = off */
    int max_batch;                         /* B_max: sizes the activation arena */
    asgml_fuse_weights fuse_weights;       /* fusion NONE: lambda rule (MEAN) */
    /* fusion NONE with MEAN: the fixed lambda_m of a new model (all 0 = 1/N);
     * asgml_model_set_fusion_weights changes them afterwards */
    float fuse_lambda[ASGML_MAX_MODALITIES];
    asgml_feature_norm feature_norm;       /* NONE: f_m reaches fusion as computed */
} asgml_model_config;

/* Fills defaults: ResNet18 (width 64, blocks 2,2,2,2), concat, split. */
void asgml_model_config_defaults(asgml_model_config *cfg);

enum {
    ASGML_GROUP_FUSION = ASGML_MAX_MODALITIES,      /* fusion module */
    ASGML_GROUP_HEADS = ASGML_MAX_MODALITIES + 1    /* separate unimodal heads */
};

typedef struct asgml_param_view {
    char name[96];       /* PyTorch state_dict name */
    int64_t offset;      /* in floats from the start of the buffer */
    int64_t numel;
    int ndim;
    int64_t shape[4];
    int group;           /* encoder index 0..N-1, ASGML_GROUP_FUSION or ASGML_GROUP_HEADS */
    int head_of;         /* for GROUP_HEADS: which modality's head, else -1 */
    int is_conv;         /* 4-D conv kernel (OGM-GE modulates these) */
} asgml_param_view;

typedef struct asgml_model asgml_model;

asgml_status asgml_model_create(asgml_backend *be, const asgml_model_config *cfg,
                                asgml_model **out);
void asgml_model_free(asgml_model *m);
const asgml_model_config *asgml_model_get_config(const asgml_model *m);
/* asgml-methods(7), MODEL (Initialisation) (Kaiming fan-out conv, Xavier linear, BN 1/0), seeded. */
asgml_status asgml_model_init_params(asgml_model *m, uint64_t seed);

int64_t asgml_model_num_params(const asgml_model *m);
float *asgml_model_params(asgml_model *m);         /* backend memory */
float *asgml_model_grads(asgml_model *m);          /* backend memory, same layout */
const asgml_param_view *asgml_model_param_views(const asgml_model *m, int *count);
int64_t asgml_model_num_buffers(const asgml_model *m);
float *asgml_model_buffers(asgml_model *m);        /* BN running stats */
const asgml_param_view *asgml_model_buffer_views(const asgml_model *m, int *count);
/* Contiguous span of a group's parameters (offset, count in floats). */
void asgml_model_group_span(const asgml_model *m, int group, int64_t *offset, int64_t *count);
int asgml_model_feature_dim(const asgml_model *m);

/* inputs[m]: backend memory; resnet (B*T, C, H, W), mlp (B, in_dim).
 * training: 1 = BN batch statistics (running stats updated) and dropout,
 * 0 = inference.  present[m] (may be NULL = all present): 0 replaces
 * modality m's feature by zeros (used for modality-removal evaluation). */
asgml_status asgml_model_forward(asgml_model *m, const float *const *inputs, int batch,
                                 int training, const int *present);
/* After forward, backend memory, valid until the next forward: */
const float *asgml_model_features(const asgml_model *m, int mod);   /* (B, D) */
/* Mean over the rows of the last forward of ||f_m||_2 before the
 * model.feature-norm normalisation; NaN when feature_norm is NONE or the
 * modality was absent. */
double asgml_model_feature_raw_norm(const asgml_model *m, int mod);
const float *asgml_model_logits(const asgml_model *m);               /* (B, C) fused */
/* u_m (B, C) from the configured provider; NULL when uni == NONE. */
const float *asgml_model_unimodal_logits(const asgml_model *m, int mod);

/* Backward from dlogits (B, C) (gradient of the loss w.r.t. z; may be NULL)
 * and duni[m] (B, C) (gradient w.r.t. u_m; NULL array or entries = none)
 * for every provider: HEADS through the separate heads (the encoder part is
 * cut by uni_detach), SPLIT/ZERO through the shared fusion weights.
 * Accumulates into the gradient buffer.  encoder_active[m] == 0 (may be NULL)
 * stops the backward pass before encoder m (no gradient at all, so the
 * optimiser can leave it untouched). */
asgml_status asgml_model_backward(asgml_model *m, const float *dlogits,
                                  const float *const *duni, const int *encoder_active);
asgml_status asgml_model_zero_grad(asgml_model *m);

/* Fusion NONE with fuse_weights MEAN: lambda (host, num_modalities floats,
 * copied) for the following forward passes of m and of the shadow models
 * of its extra passes; NULL = back to 1/N.  Not saved in checkpoints (a
 * method that sets it keeps it in its own state); clones copy it.
 * EINVAL for other models. */
asgml_status asgml_model_set_fusion_weights(asgml_model *m, const float *lambda);

/* The lambda rule of fusion NONE on host logits: u (N, B, C) (modality-major,
 * u + m*B*C = u_m) -> lam (B, N) double, per sample (MEAN: fixed[m] or 1/N
 * when fixed is NULL; ENTROPY: per row; ENTROPY_BATCH: one value per
 * modality repeated over the rows).  The model's fusion NONE forward uses
 * exactly this function. */
void asgml_fusion_lambda(asgml_fuse_weights rule, int N, int B, int C, const float *u,
                         const float *fixed, double *lam);

/* Dropout stream (for checkpoints): Philox (seed, counter offset); every
 * training forward with dropout > 0 advances the offset.  init_params
 * resets it to (seed, a counter past the initialisation streams). */
void asgml_model_dropout_state(const asgml_model *m, uint64_t *seed, uint64_t *offset);
void asgml_model_set_dropout_state(asgml_model *m, uint64_t seed, uint64_t offset);

ASGML_END_DECLS
#endif
