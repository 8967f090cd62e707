/* SPDX-License-Identifier: MIT */
/* fusion.h - the fusion head and the unimodal logits providers, composed
 * of linear layers.  Inputs per modality m (B, D): fin[m] the fusion input
 * (the encoder feature after dropout, when configured) and feat[m] the
 * feature before dropout (read by separate unimodal heads). */
#ifndef ASGML_NN_FUSION_H
#define ASGML_NN_FUSION_H

#include "nn/linear.h"

/* Layers (unused ones have NULL pointers):
 *   concat: fc_out (C, N*D); two-layer: fc_hidden (512, N*D), fc_out (C, 512)
 *   sum:    fc[m] (C, D)
 *   film:   fc[0] (2D, D) [gamma; beta] from f_1;  fc_out (C, D)
 *   gated:  fc[m] (D, D) m = 0, 1;                 fc_out (C, D)
 *   heads:  head[m] (C, D)
 *   shared: head[0] (C, D) "head_shared", head[m] == head[0] for every m
 *   none:   no fusion layer; z = sum_m lambda_m u_m (lambda: see model.h) */
#define MODEL_TWO_LAYER_HIDDEN 512
typedef struct fusion_head {
    const asgml_model_config *cfg;    /* the model's (fusion, uni, head_two_layer, uni_detach) */
    int n, D, C;
    linear_layer fc_out, fc_hidden;
    linear_layer fc[ASGML_MAX_MODALITIES];
    linear_layer head[ASGML_MAX_MODALITIES];
    float *logits;                    /* (B, C) z */
    /* forward intermediates / their gradients, (B, max(D, 512)) each:
     *   two-layer concat: act[0] = hidden W1[f] + b1
     *   film:  act[0] = gamma, act[1] = beta, act[2] = h = gamma*f_2 + beta
     *   gated: act[0] = o_1, act[1] = o_2, act[2] = sigmoid(o_1), act[3] = h;
     *          gact[0..1] = dL/do_1, dL/do_2, gact[2] = dL/dh */
    float *act[4], *gact[4];
    float *tmp;                       /* (B, max(D, 512)) */
    float *uni[ASGML_MAX_MODALITIES]; /* (B, C) u_m */
    float *uhid[ASGML_MAX_MODALITIES];/* (B, 512) two-layer split/zero hidden of u_m */
    float *ones;                      /* (B_max) of 1.0: scaled bias via gemm */
    /* fusion none: lambda_m expanded to (B, C) per modality, dL/du_m scratch */
    float *wexp[ASGML_MAX_MODALITIES], *du;
    const float *lambda;              /* (N) host, fixed weights (MEAN); set by model.c */
} fusion_head;

/* Registers the views of c->fusion (and the heads of c->uni) for D-dim
 * features of c->num_modalities modalities; activations for c->max_batch
 * rows.  c must outlive the head. */
asgml_status fusion_build(fusion_head *f, nn_params *p, const asgml_model_config *c, int D);
/* fin[m], feat[m] (B, D) -> logits (B, C), uni[m] (B, C) */
asgml_status fusion_forward(asgml_backend *be, fusion_head *f, int B, const float *const *fin,
                            const float *const *feat);
/* dlogits (B, C) and duni[m] (B, C) (either may be NULL, so may duni[m]) ->
 * fusion/head grads +=, dfin[m] +=, dfeat[m] += (heads provider) */
asgml_status fusion_backward(asgml_backend *be, fusion_head *f, int B, const float *dlogits,
                             const float *const *duni, const float *const *fin,
                             const float *const *feat, float *const *dfin, float *const *dfeat);

#endif
