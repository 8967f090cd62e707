/* model_internal.h - private layout of asgml_model (asgml/model.h), shared
 * by model.c (create, views, orchestration), resnet.c (encoders), fusion.c
 * (fusion head and unimodal logits) and init.c (initialisation).
 *
 * Memory: three backend buffers hold parameters, their gradients (same
 * layout) and the BN running statistics; one more backend buffer, the
 * arena, holds every activation, saved statistic and gradient scratch,
 * sized once for max_batch samples (times T frames for ResNet encoders).
 * Layers keep float offsets into the parameter/buffer arrays and plain
 * pointers into the arena.  The arena is laid out by running the same
 * build code twice: a counting pass (base == NULL) and the real pass. */
#ifndef ASGML_MODEL_INTERNAL_H
#define ASGML_MODEL_INTERNAL_H

#include "asgml/model.h"

/* bump allocator over the activation arena (floats, 64-float aligned) */
typedef struct model_arena {
    float *base;        /* NULL during the counting pass */
    int64_t used;       /* floats handed out so far */
} model_arena;

float *model_arena_take(model_arena *a, int64_t n);

/* conv 2-D without bias; weight view at param offset w (c_out, c_in, k, k) */
typedef struct conv_layer {
    int64_t w;
    int c_in, c_out, k, stride, pad;
    int h_in, w_in, h_out, w_out;
} conv_layer;

/* batch norm over (n, c, hw): gamma/beta in params, running stats in buffers */
typedef struct bn_layer {
    int64_t gamma, beta;        /* param offsets, (c) each */
    int64_t run_mean, run_var;  /* buffer offsets, (c) each */
    int c, hw;
    float *save_mean, *save_invstd;   /* arena, (c) each */
} bn_layer;

/* BasicBlock: conv1(stride)-bn1-relu-conv2-bn2 (+ shortcut) -> relu.
 * Activations (n = B*T frames, arena):
 *   c1 (n, c_out, h, w)  conv1 output      b1 (n, c_out, h, w) relu(bn1(c1))
 *   c2 (n, c_out, h, w)  conv2 output      out (n, c_out, h, w) relu(bn2(c2) + sc)
 *   cd, bd (n, c_out, h, w) downsample conv / bn outputs (has_ds only) */
typedef struct basic_block {
    conv_layer conv1, conv2, ds_conv;
    bn_layer bn1, bn2, ds_bn;
    int has_ds;
    int64_t out_numel;          /* per frame: c_out*h*w */
    float *c1, *b1, *c2, *out, *cd, *bd;
} basic_block;

typedef struct resnet_enc {
    conv_layer conv1;               /* 7x7/2 pad 3 */
    bn_layer bn1;
    int pool_h_in, pool_w_in, pool_h_out, pool_w_out;   /* 3x3/2 pad 1 */
    float *c1, *b1, *p;             /* stem conv out, relu(bn) out, pool out */
    int32_t *argmax;                /* (n, width, ph, pw) */
    basic_block *blocks;            /* nblocks, stage-major */
    int nblocks;
    int last_c, last_hw;            /* layer-4 map: channels, h*w */
    float *pooled;                  /* (B*T, D) spatial mean of layer 4 */
    int64_t max_frame_act;          /* largest per-frame activation (floats) */
} resnet_enc;

/* Linear(in->hidden) - ReLU - Linear(hidden->D) */
typedef struct mlp_enc {
    int64_t w1, b1, w2, b2;
    int in_dim, hidden;
    float *h;                       /* (B, hidden) relu output */
    float *dh, *dh2;                /* (B, hidden) dL/dh, dL/d(pre-relu) */
} mlp_enc;

typedef struct encoder {
    asgml_encoder_config cfg;
    resnet_enc r;
    mlp_enc mlp;
    const float *input;             /* forward input, not owned */
    float *feat;                    /* (B, D) f_m (zeros when absent) */
    float *dfeat;                   /* (B, D) dL/df_m */
    float *fin;                     /* (B, D) fusion input: dropout(f_m) or feat */
    float *dfin;                    /* (B, D) dL/dfin (== dfeat without dropout) */
    float *mask;                    /* (B, D) dropout mask (dropout > 0) */
    int present;                    /* of the last forward */
} encoder;

/* Fusion head and unimodal logits (methods.md 1.2, 1.3).  Offsets are
 * param offsets; -1 where unused.
 *   concat: w (C, N*D), b (C); two-layer: wh (512, N*D), bh (512), w (C, 512), b
 *   sum:    wm[m] (C, D), bm[m] (C)
 *   film:   wm[0] (2D, D), bm[0] (2D)  [gamma; beta] from f_1;  w (C, D), b
 *   gated:  wm[m] (D, D), bm[m] (D) m = 0, 1;                  w (C, D), b */
#define MODEL_TWO_LAYER_HIDDEN 512
typedef struct fusion_head {
    int64_t w, b, wh, bh;
    int64_t wm[ASGML_MAX_MODALITIES], bm[ASGML_MAX_MODALITIES];
    int64_t head_w[ASGML_MAX_MODALITIES], head_b[ASGML_MAX_MODALITIES]; /* (C, D), (C) */
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
} fusion_head;

struct asgml_model {
    asgml_backend *be;
    asgml_model_config cfg;
    int n, D, C;

    asgml_param_view *views;      int nviews, cap_views;
    asgml_param_view *bviews;     int nbviews, cap_bviews;
    int64_t nparams, nbuffers;
    float *params, *grads, *buffers;   /* backend memory */

    model_arena arena;
    float *arena_mem;                  /* backend memory */
    int64_t frame_scratch;             /* floats in each of scratch[] */
    float *scratch[6];                 /* gradient scratch for ResNet backward,
                                        * frame_scratch floats each */
    float *chan_scratch;               /* (B*T_max * C_max) per-(frame, channel) */
    float *chan_ones, *chan_zeros;     /* (C_max) constants for inference-mode BN backward */
    float *dpooled;                    /* (B*T_max, D) */

    encoder enc[ASGML_MAX_MODALITIES];
    fusion_head fu;

    int batch, training;               /* of the last forward */
    uint64_t dropout_seed, dropout_offset;
    const float *feat_mask[ASGML_MAX_MODALITIES];  /* (B, D) or NULL (model_ops.c) */
};

/* builders (model.c): append a named view, return its offset in floats */
int64_t model_add_param(asgml_model *m, int group, int head_of, const char *name,
                        int ndim, const int64_t *shape);
int64_t model_add_buffer(asgml_model *m, int group, const char *name, int64_t c);

/* resnet.c */
asgml_status resnet_build(asgml_model *m, int mod, const char *prefix);
asgml_status resnet_forward(asgml_model *m, int mod, int batch, int training);
asgml_status resnet_backward(asgml_model *m, int mod, int batch);
asgml_status mlp_build(asgml_model *m, int mod, const char *prefix);
asgml_status mlp_forward(asgml_model *m, int mod, int batch);
asgml_status mlp_backward(asgml_model *m, int mod, int batch);

/* Linear layer helpers on row-major (rows, in) inputs with leading dim ldx:
 * y (rows, out) = x W^T + b (b may be NULL);
 * backward: dW (out, in) += dy^T x, db += colsum(dy), dx (ldx) += dy W. */
asgml_status linear_forward(asgml_backend *be, int rows, int in, int out, const float *x,
                            int ldx, const float *w, const float *b, float *y);
asgml_status linear_backward(asgml_backend *be, int rows, int in, int out, const float *x,
                             int ldx, const float *w, const float *dy, float *dw, float *db,
                             float *dx);

/* fusion.c */
asgml_status fusion_build(asgml_model *m);
asgml_status fusion_forward(asgml_model *m, int batch);
/* dlogits (B, C) and duni[m] (B, C) -> fusion/head grads, enc[m].dfin,
 * enc[m].dfeat (heads provider) */
asgml_status fusion_backward(asgml_model *m, int batch, const float *dlogits,
                             const float *const *duni);

/* model_ops.c: x (B*D floats) *= feature mask of modality i, if one is set */
asgml_status model_mask_features(asgml_model *m, int i, int64_t bd, float *x);

#define MODEL_TRY(expr) do { asgml_status st_ = (expr); if (st_ != ASGML_OK) return st_; } while (0)

#endif
