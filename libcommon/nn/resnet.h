/* SPDX-License-Identifier: MIT */
/* resnet.h - the ResNet18-style encoder (any width, any blocks per stage)
 * over (B*T, C, H, W) frames with a segment mean over T, composed of the
 * conv, batch-norm and pooling layers.
 *
 *   conv 7x7/2 pad 3 -> BN -> ReLU -> max-pool 3x3/2 pad 1 -> stages of
 *   width*{1,2,4,8} channels (first-block strides 1,2,2,2) of BasicBlocks
 *   -> spatial mean (B*T, 8w) -> mean over the T frames of a sample (B, 8w).
 * Frames are sample-major: row b*T + t is frame t of sample b.
 * Parameter names follow torchvision's resnet18 state_dict under a prefix:
 *   "<prefix>conv1.weight", "<prefix>bn1.*", "<prefix>layerS.B.{conv1,bn1,conv2,bn2}.*",
 *   "<prefix>layerS.B.downsample.{0,1}.*". */
#ifndef ASGML_NN_RESNET_H
#define ASGML_NN_RESNET_H

#include "nn/batchnorm.h"
#include "nn/conv.h"
#include "nn/pool.h"

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
    int frames;                     /* T */
    conv_layer conv1;               /* 7x7/2 pad 3 */
    bn_layer bn1;
    maxpool_layer pool;             /* 3x3/2 pad 1 */
    float *c1, *b1, *p;             /* stem conv out, relu(bn) out, pool out */
    int32_t *argmax;                /* (n, width, ph, pw) */
    basic_block *blocks;            /* nblocks, stage-major */
    int nblocks;
    int last_c, last_hw;            /* layer-4 map: channels, h*w */
    meanpool_layer gap;             /* (n, last_c, last_hw) -> (n, last_c) */
    float *pooled;                  /* (B*T, D) spatial mean of layer 4 */
    int64_t max_frame_act;          /* largest per-frame activation (floats) */
} resnet_enc;

/* Gradient scratch shared by a model's ResNet encoders (owned by the caller):
 * g[0..4] (B*T * max_frame_act) each; bn.xhat the same size, bn.chan
 * (B*T, 8w), bn.ones / bn.zeros (8w); dpooled (B*T, 8w). */
typedef struct resnet_scratch {
    float *g[5];
    bn_scratch bn;
    float *dpooled;
} resnet_scratch;

/* Registers the views (group `group`, names under `prefix`) and takes the
 * activations for max_batch samples of e->frames frames from the arena.
 * r->blocks is allocated on the first call and reused. */
asgml_status resnet_build(resnet_enc *r, nn_params *p, int group, const char *prefix,
                          const asgml_encoder_config *e, int width, const int blocks[4],
                          int max_batch);
void resnet_free(resnet_enc *r);
/* x (B*T, C, H, W) -> feat (B, 8w) */
asgml_status resnet_forward(asgml_backend *be, resnet_enc *r, int batch, int training,
                            const float *x, float *feat);
/* dfeat (B, 8w) -> every parameter gradient of the encoder (+=); x is the
 * forward input; training the mode of that forward */
asgml_status resnet_backward(asgml_backend *be, resnet_enc *r, int batch, int training,
                             const float *x, const float *dfeat, const resnet_scratch *s);

#endif
