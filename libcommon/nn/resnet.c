/* SPDX-License-Identifier: MIT */
/* resnet.c - the ResNet18-style encoder (resnet.h), composed of the conv,
 * batch-norm and pooling layers; forward and hand-written backward
 * through the backend table only. */
#include <stdio.h>
#include <stdlib.h>

#include "core/error.h"
#include "nn/resnet.h"

asgml_status resnet_build(resnet_enc *r, nn_params *p, int group, const char *prefix,
                          const asgml_encoder_config *e, int width, const int blocks[4],
                          int max_batch)
{
    int64_t nf = (int64_t)max_batch * e->frames;   /* frames in a batch */
    int w = width;
    char name[128];

    r->frames = e->frames;
    snprintf(name, sizeof name, "%sconv1.weight", prefix);
    conv_build(&r->conv1, p, group, name, e->in_channels, w, 7, 2, 3, e->in_h, e->in_w);
    if (r->conv1.h_out < 1 || r->conv1.w_out < 1)
        return ASGML_ERR(ASGML_EINVAL, "%s: input %dx%d too small",
                           e->name, e->in_h, e->in_w);
    int h = r->conv1.h_out, wd = r->conv1.w_out;
    snprintf(name, sizeof name, "%sbn1.", prefix);
    bn_build(&r->bn1, p, group, name, w, h * wd);
    r->c1 = model_arena_take(&p->arena, nf * w * h * wd);
    r->b1 = model_arena_take(&p->arena, nf * w * h * wd);
    r->max_frame_act = (int64_t)w * h * wd;
    maxpool_build(&r->pool, w, h, wd, 3, 2, 1);
    h = r->pool.h_out;
    wd = r->pool.w_out;
    r->p = model_arena_take(&p->arena, nf * w * h * wd);
    r->argmax = (int32_t *)model_arena_take(&p->arena, nf * w * h * wd);

    int nblocks = blocks[0] + blocks[1] + blocks[2] + blocks[3];
    if (!r->blocks) {
        r->blocks = calloc((size_t)nblocks, sizeof *r->blocks);
        if (!r->blocks) return ASGML_ERR(ASGML_ENOMEM, "out of memory");
    }
    r->nblocks = nblocks;
    int c_in = w, bi = 0;
    for (int s = 0; s < 4; s++) {
        int c_out = w << s;
        for (int j = 0; j < blocks[s]; j++, bi++) {
            basic_block *b = &r->blocks[bi];
            int stride = (j == 0 && s > 0) ? 2 : 1;
            char bp[96];
            snprintf(bp, sizeof bp, "%slayer%d.%d.", prefix, s + 1, j);
            snprintf(name, sizeof name, "%sconv1.weight", bp);
            conv_build(&b->conv1, p, group, name, c_in, c_out, 3, stride, 1, h, wd);
            int ho = b->conv1.h_out, wo = b->conv1.w_out;
            if (ho < 1 || wo < 1)
                return ASGML_ERR(ASGML_EINVAL, "%s: input %dx%d too small for "
                                   "the stages", e->name, e->in_h, e->in_w);
            snprintf(name, sizeof name, "%sbn1.", bp);
            bn_build(&b->bn1, p, group, name, c_out, ho * wo);
            snprintf(name, sizeof name, "%sconv2.weight", bp);
            conv_build(&b->conv2, p, group, name, c_out, c_out, 3, 1, 1, ho, wo);
            snprintf(name, sizeof name, "%sbn2.", bp);
            bn_build(&b->bn2, p, group, name, c_out, ho * wo);
            b->has_ds = stride != 1 || c_in != c_out;
            if (b->has_ds) {
                snprintf(name, sizeof name, "%sdownsample.0.weight", bp);
                conv_build(&b->ds_conv, p, group, name, c_in, c_out, 1, stride, 0, h, wd);
                snprintf(name, sizeof name, "%sdownsample.1.", bp);
                bn_build(&b->ds_bn, p, group, name, c_out, ho * wo);
            }
            b->out_numel = (int64_t)c_out * ho * wo;
            b->c1 = model_arena_take(&p->arena, nf * b->out_numel);
            b->b1 = model_arena_take(&p->arena, nf * b->out_numel);
            b->c2 = model_arena_take(&p->arena, nf * b->out_numel);
            b->out = model_arena_take(&p->arena, nf * b->out_numel);
            b->cd = b->has_ds ? model_arena_take(&p->arena, nf * b->out_numel) : NULL;
            b->bd = b->has_ds ? model_arena_take(&p->arena, nf * b->out_numel) : NULL;
            if (b->out_numel > r->max_frame_act) r->max_frame_act = b->out_numel;
            c_in = c_out;
            h = ho;
            wd = wo;
        }
    }
    r->last_c = c_in;
    r->last_hw = h * wd;
    meanpool_build(&r->gap, c_in, h * wd);
    r->pooled = model_arena_take(&p->arena, nf * c_in);
    return ASGML_OK;
}

void resnet_free(resnet_enc *r)
{
    free(r->blocks);
    r->blocks = NULL;
}

asgml_status resnet_forward(asgml_backend *be, resnet_enc *r, int batch, int training,
                            const float *x, float *feat)
{
    const asgml_backend_ops *o = be->ops;
    int n = batch * r->frames;

    CK(conv_forward(be, &r->conv1, n, x, r->c1));
    CK(bn_relu_forward(be, &r->bn1, n, training, r->c1, r->b1));
    CK(maxpool_forward(be, &r->pool, n, r->b1, r->p, r->argmax));

    const float *a = r->p;   /* block input (n, c_in, h, w) */
    for (int i = 0; i < r->nblocks; i++) {
        basic_block *b = &r->blocks[i];
        int64_t numel = (int64_t)n * b->out_numel;
        CK(conv_forward(be, &b->conv1, n, a, b->c1));
        CK(bn_relu_forward(be, &b->bn1, n, training, b->c1, b->b1));
        CK(conv_forward(be, &b->conv2, n, b->b1, b->c2));
        CK(bn_forward(be, &b->bn2, n, training, b->c2, b->out));
        if (b->has_ds) {
            CK(conv_forward(be, &b->ds_conv, n, a, b->cd));
            CK(bn_forward(be, &b->ds_bn, n, training, b->cd, b->bd));
        }
        /* out = relu(out + shortcut) */
        const float *sc = b->has_ds ? b->bd : a;
        if (o->add_relu) {
            CK(o->add_relu(be, numel, b->out, sc, b->out));
        } else {
            CK(o->add(be, numel, b->out, sc, b->out));
            CK(o->relu_forward(be, numel, b->out, b->out));
        }
        a = b->out;
    }
    /* (n, 8w, h, w) -> pooled (n, 8w) -> feat (B, 8w) */
    CK(meanpool_forward(be, &r->gap, n, a, r->pooled));
    return o->segment_mean_forward(be, batch, r->frames, r->last_c, r->pooled, feat);
}

/* Gradient scratch: d / dnext ping-pong hold the gradient w.r.t. a block's
 * output / input; t1..t3 the inner ones. */
asgml_status resnet_backward(asgml_backend *be, resnet_enc *r, int batch, int tr,
                             const float *x, const float *dfeat, const resnet_scratch *s)
{
    const asgml_backend_ops *o = be->ops;
    int n = batch * r->frames;
    float *d = s->g[0], *dnext = s->g[1];
    float *t1 = s->g[2], *t2 = s->g[3], *t3 = s->g[4];
    const bn_scratch *bs = &s->bn;

    CK(o->fill(be, (int64_t)n * r->last_c, 0.0f, s->dpooled));
    CK(o->segment_mean_backward(be, batch, r->frames, r->last_c, dfeat, s->dpooled));
    CK(o->fill(be, (int64_t)n * r->last_c * r->last_hw, 0.0f, d));
    CK(meanpool_backward(be, &r->gap, n, s->dpooled, d));

    for (int i = r->nblocks - 1; i >= 0; i--) {
        basic_block *b = &r->blocks[i];
        const float *a = i ? r->blocks[i - 1].out : r->p;
        int64_t numel = (int64_t)n * b->out_numel;
        int64_t numel_in = (int64_t)n * b->conv1.c_in * b->conv1.h_in * b->conv1.w_in;
        /* t1 = dL/d(sum) through the final ReLU */
        CK(o->fill(be, numel, 0.0f, t1));
        CK(o->relu_backward(be, numel, b->out, d, t1));
        /* main path: bn2 -> conv2 -> relu -> bn1 -> conv1 */
        CK(bn_backward(be, &b->bn2, n, tr, b->c2, t1, t2, bs));
        CK(o->fill(be, numel, 0.0f, t3));
        CK(conv_backward(be, &b->conv2, n, b->b1, t2, t3));
        const float *g1; /* dL/d(conv1 output), through the ReLU and bn1: t2 or t3 */
        CK(bn_relu_backward(be, &b->bn1, n, tr, b->c1, b->b1, t3, t2, bs, &g1));
        CK(o->fill(be, numel_in, 0.0f, dnext));
        CK(conv_backward(be, &b->conv1, n, a, g1, dnext));
        /* shortcut */
        if (b->has_ds) {
            CK(bn_backward(be, &b->ds_bn, n, tr, b->cd, t1, t2, bs));
            CK(conv_backward(be, &b->ds_conv, n, a, t2, dnext));
        } else {
            CK(o->axpy(be, numel, 1.0f, t1, dnext));
        }
        float *tmp = d;
        d = dnext;
        dnext = tmp;
    }
    /* stem: d = dL/d(pool out) */
    int64_t stem = (int64_t)n * r->conv1.c_out * r->conv1.h_out * r->conv1.w_out;
    CK(o->fill(be, stem, 0.0f, t1));
    CK(maxpool_backward(be, &r->pool, n, d, r->argmax, t1));
    const float *g; /* dL/d(conv1 output): t2 or t1 */
    CK(bn_relu_backward(be, &r->bn1, n, tr, r->c1, r->b1, t1, t2, bs, &g));
    return conv_backward(be, &r->conv1, n, x, g, NULL);
}
