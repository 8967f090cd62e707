/* SPDX-License-Identifier: MIT */
/* model_internal.h - private layout of asgml_model (asgml/model.h), shared
 * by model.c (create, orchestration), init.c (initialisation) and optim.c.
 * Dependency order (no file includes or calls upward):
 *   params.c -> layers (linear, conv, batchnorm, pool, dropout)
 *            -> composites (mlp, resnet, fusion) -> model.c, init.c, optim.c
 * Only the files of the last row see this header.
 *
 * Memory: three backend buffers hold parameters, their gradients (same
 * layout) and the BN running statistics; one more backend buffer, the
 * arena, holds every activation, saved statistic and gradient scratch,
 * sized once for max_batch samples (times T frames for ResNet encoders).
 * Layers hold pointers into these (params.h); the layout comes from running
 * the same build code twice: a counting pass (NULL bases) and the real pass. */
#ifndef ASGML_MODEL_INTERNAL_H
#define ASGML_MODEL_INTERNAL_H

#include "asgml/model.h"
#include "nn/dropout.h"
#include "nn/featnorm.h"
#include "nn/fusion.h"
#include "nn/mlp.h"
#include "nn/params.h"
#include "nn/resnet.h"

typedef struct encoder {
    asgml_encoder_config cfg;
    resnet_enc r;
    mlp_layer mlp;
    const float *input;             /* forward input, not owned */
    float *feat;                    /* (B, D) f_m (zeros when absent) */
    float *dfeat;                   /* (B, D) dL/df_m */
    float *fin;                     /* (B, D) fusion input: dropout(f_m) or feat */
    float *dfin;                    /* (B, D) dL/dfin (== dfeat without dropout) */
    float *mask;                    /* (B, D) dropout mask (dropout > 0) */
    int present;                    /* of the last forward */
    featnorm_layer norm;            /* cfg feature_norm on feat, in place (host scratch) */
} encoder;

struct asgml_model {
    asgml_backend *be;
    asgml_model_config cfg;
    int n, D, C;

    nn_params reg;                     /* views, buffer views, sizes, arena cursor;
                                        * reg.params/grads/buffers == the three below */
    float *params, *grads, *buffers;   /* backend memory */
    float *arena_mem;                  /* backend memory */
    int64_t frame_scratch;             /* floats in each of scratch[] */
    float *scratch[6];                 /* gradient scratch for ResNet backward,
                                        * frame_scratch floats each */
    float *chan_scratch;               /* (B*T_max * C_max) per-(frame, channel) */
    float *chan_ones, *chan_zeros;     /* (C_max) constants for inference-mode BN backward */
    float *dpooled;                    /* (B*T_max, D) */

    encoder enc[ASGML_MAX_MODALITIES];
    fusion_head fu;

    dropout_layer drop;                /* on the fusion input, p = cfg.dropout */
    int batch, training;               /* of the last forward */
    uint64_t dropout_seed, dropout_offset;
    const float *feat_mask[ASGML_MAX_MODALITIES];  /* (B, D) or NULL (model_ops.c) */
    float fuse_lambda[ASGML_MAX_MODALITIES];       /* fusion none: fixed lambda (1/N) */
    asgml_model *lambda_src;                       /* shadows: read the source's */
    const float *feat_grad[ASGML_MAX_MODALITIES];  /* (B, D) extra dL/df_m or NULL (model_ops.c) */
};

/* model.c: resolve m's layers against other arrays of the same layout */
asgml_status model_bind(asgml_model *m, float *params, float *grads, float *buffers);


#endif
