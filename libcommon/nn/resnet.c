/* resnet.c - the modality encoders of asgml_model (methods.md 1.1):
 * ResNet18-style (any width, any blocks per stage) over (B*T, C, H, W)
 * frames with a segment mean over T, and a two-layer MLP over feature
 * vectors (B, in_dim).  Forward and hand-written backward through the
 * backend table only.
 *
 * ResNet: conv 7x7/2 pad 3 -> BN -> ReLU -> max-pool 3x3/2 pad 1 -> stages
 * of width*{1,2,4,8} channels (first-block strides 1,2,2,2) of BasicBlocks
 * -> spatial mean (B*T, 8w) -> mean over the T frames of a sample (B, 8w).
 * Frames are sample-major: row b*T + t is frame t of sample b. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nn/model_internal.h"

#define BN_EPS 1e-5
#define BN_MOMENTUM 0.1

static void conv_setup(asgml_model *m, conv_layer *cv, int group, const char *name, int c_in,
                       int c_out, int k, int stride, int pad, int h_in, int w_in)
{
    int64_t shape[4] = { c_out, c_in, k, k };
    cv->w = model_add_param(m, group, -1, name, 4, shape);
    cv->c_in = c_in;
    cv->c_out = c_out;
    cv->k = k;
    cv->stride = stride;
    cv->pad = pad;
    cv->h_in = h_in;
    cv->w_in = w_in;
    cv->h_out = (h_in + 2 * pad - k) / stride + 1;
    cv->w_out = (w_in + 2 * pad - k) / stride + 1;
}

static void bn_setup(asgml_model *m, bn_layer *bn, int group, const char *prefix, int c, int hw)
{
    char name[128];
    int64_t shape[1] = { c };
    snprintf(name, sizeof name, "%sweight", prefix);
    bn->gamma = model_add_param(m, group, -1, name, 1, shape);
    snprintf(name, sizeof name, "%sbias", prefix);
    bn->beta = model_add_param(m, group, -1, name, 1, shape);
    snprintf(name, sizeof name, "%srunning_mean", prefix);
    bn->run_mean = model_add_buffer(m, group, name, c);
    snprintf(name, sizeof name, "%srunning_var", prefix);
    bn->run_var = model_add_buffer(m, group, name, c);
    bn->c = c;
    bn->hw = hw;
    bn->save_mean = model_arena_take(&m->arena, c);
    bn->save_invstd = model_arena_take(&m->arena, c);
}

asgml_status resnet_build(asgml_model *m, int mod, const char *prefix)
{
    encoder *e = &m->enc[mod];
    resnet_enc *r = &e->r;
    const asgml_model_config *c = &m->cfg;
    int64_t nf = (int64_t)c->max_batch * e->cfg.frames;   /* frames in a batch */
    int w = c->width;
    char name[128];

    snprintf(name, sizeof name, "%sconv1.weight", prefix);
    conv_setup(m, &r->conv1, mod, name, e->cfg.in_channels, w, 7, 2, 3, e->cfg.in_h, e->cfg.in_w);
    if (r->conv1.h_out < 1 || r->conv1.w_out < 1)
        return asgml_error(ASGML_EINVAL, "resnet.c:%d: %s: input %dx%d too small", __LINE__,
                           e->cfg.name, e->cfg.in_h, e->cfg.in_w);
    int h = r->conv1.h_out, wd = r->conv1.w_out;
    snprintf(name, sizeof name, "%sbn1.", prefix);
    bn_setup(m, &r->bn1, mod, name, w, h * wd);
    r->c1 = model_arena_take(&m->arena, nf * w * h * wd);
    r->b1 = model_arena_take(&m->arena, nf * w * h * wd);
    r->max_frame_act = (int64_t)w * h * wd;
    r->pool_h_in = h;
    r->pool_w_in = wd;
    r->pool_h_out = (h + 2 - 3) / 2 + 1;
    r->pool_w_out = (wd + 2 - 3) / 2 + 1;
    h = r->pool_h_out;
    wd = r->pool_w_out;
    r->p = model_arena_take(&m->arena, nf * w * h * wd);
    r->argmax = (int32_t *)model_arena_take(&m->arena, nf * w * h * wd);

    int nblocks = c->blocks[0] + c->blocks[1] + c->blocks[2] + c->blocks[3];
    if (!r->blocks) {
        r->blocks = calloc((size_t)nblocks, sizeof *r->blocks);
        if (!r->blocks) return asgml_error(ASGML_ENOMEM, "resnet.c:%d: out of memory", __LINE__);
    }
    r->nblocks = nblocks;
    int c_in = w, bi = 0;
    for (int s = 0; s < 4; s++) {
        int c_out = w << s;
        for (int j = 0; j < c->blocks[s]; j++, bi++) {
            basic_block *b = &r->blocks[bi];
            int stride = (j == 0 && s > 0) ? 2 : 1;
            char bp[96];
            snprintf(bp, sizeof bp, "%slayer%d.%d.", prefix, s + 1, j);
            snprintf(name, sizeof name, "%sconv1.weight", bp);
            conv_setup(m, &b->conv1, mod, name, c_in, c_out, 3, stride, 1, h, wd);
            int ho = b->conv1.h_out, wo = b->conv1.w_out;
            if (ho < 1 || wo < 1)
                return asgml_error(ASGML_EINVAL, "resnet.c:%d: %s: input %dx%d too small for "
                                   "the stages", __LINE__, e->cfg.name, e->cfg.in_h, e->cfg.in_w);
            snprintf(name, sizeof name, "%sbn1.", bp);
            bn_setup(m, &b->bn1, mod, name, c_out, ho * wo);
            snprintf(name, sizeof name, "%sconv2.weight", bp);
            conv_setup(m, &b->conv2, mod, name, c_out, c_out, 3, 1, 1, ho, wo);
            snprintf(name, sizeof name, "%sbn2.", bp);
            bn_setup(m, &b->bn2, mod, name, c_out, ho * wo);
            b->has_ds = stride != 1 || c_in != c_out;
            if (b->has_ds) {
                snprintf(name, sizeof name, "%sdownsample.0.weight", bp);
                conv_setup(m, &b->ds_conv, mod, name, c_in, c_out, 1, stride, 0, h, wd);
                snprintf(name, sizeof name, "%sdownsample.1.", bp);
                bn_setup(m, &b->ds_bn, mod, name, c_out, ho * wo);
            }
            b->out_numel = (int64_t)c_out * ho * wo;
            b->c1 = model_arena_take(&m->arena, nf * b->out_numel);
            b->b1 = model_arena_take(&m->arena, nf * b->out_numel);
            b->c2 = model_arena_take(&m->arena, nf * b->out_numel);
            b->out = model_arena_take(&m->arena, nf * b->out_numel);
            b->cd = b->has_ds ? model_arena_take(&m->arena, nf * b->out_numel) : NULL;
            b->bd = b->has_ds ? model_arena_take(&m->arena, nf * b->out_numel) : NULL;
            if (b->out_numel > r->max_frame_act) r->max_frame_act = b->out_numel;
            c_in = c_out;
            h = ho;
            wd = wo;
        }
    }
    r->last_c = c_in;
    r->last_hw = h * wd;
    r->pooled = model_arena_take(&m->arena, nf * c_in);
    return ASGML_OK;
}

static asgml_status conv_fwd(asgml_model *m, const conv_layer *cv, int n, const float *x, float *y)
{
    asgml_conv2d_desc d;
    asgml_conv2d_desc_init(&d, n, cv->c_in, cv->h_in, cv->w_in, cv->c_out, cv->k, cv->stride,
                           cv->pad);
    return m->be->ops->conv2d_forward(m->be, &d, x, m->params + cv->w, y);
}

/* dx (may be NULL) += conv^T(dy); dw += x (*) dy */
static asgml_status conv_bwd(asgml_model *m, const conv_layer *cv, int n, const float *x,
                             const float *dy, float *dx)
{
    asgml_backend *be = m->be;
    asgml_conv2d_desc d;
    asgml_conv2d_desc_init(&d, n, cv->c_in, cv->h_in, cv->w_in, cv->c_out, cv->k, cv->stride,
                           cv->pad);
    if (dx) MODEL_TRY(be->ops->conv2d_backward_data(be, &d, dy, m->params + cv->w, dx));
    return be->ops->conv2d_backward_filter(be, &d, x, dy, m->grads + cv->w);
}

static asgml_status bn_fwd(asgml_model *m, const bn_layer *bn, int n, int training,
                           const float *x, float *y)
{
    asgml_backend *be = m->be;
    asgml_bn_desc d = { n, bn->c, bn->hw, BN_EPS, BN_MOMENTUM };
    if (training)
        return be->ops->batchnorm_forward_train(be, &d, x, m->params + bn->gamma,
                                                m->params + bn->beta, y, bn->save_mean,
                                                bn->save_invstd, m->buffers + bn->run_mean,
                                                m->buffers + bn->run_var);
    return be->ops->batchnorm_forward_infer(be, &d, x, m->params + bn->gamma, m->params + bn->beta,
                                            m->buffers + bn->run_mean, m->buffers + bn->run_var, y);
}

/* dx := dL/dx (OVERWRITTEN, (n, c, hw)); dgamma, dbeta += .
 * Training mode: the backend's batch-statistics backward.  Inference mode
 * (BN used its running statistics, e.g. AGM's gradient-carrying passes),
 * y = gamma * xhat + beta with xhat = (x - rm) / sqrt(rv + eps) constant
 * per channel:  dx = gamma * dy / sqrt(rv + eps)  (itself an inference BN
 * with mean 0 and no shift), dgamma = sum dy * xhat, dbeta = sum dy, the
 * sums over (n, hw) done as spatial mean * hw then column sums over n. */
static asgml_status bn_bwd(asgml_model *m, const bn_layer *bn, int n, int training,
                           const float *x, const float *dy, float *dx)
{
    asgml_backend *be = m->be;
    const asgml_backend_ops *o = be->ops;
    asgml_bn_desc d = { n, bn->c, bn->hw, BN_EPS, BN_MOMENTUM };
    int64_t numel = (int64_t)n * bn->c * bn->hw;
    float *dgamma = m->grads + bn->gamma, *dbeta = m->grads + bn->beta;
    if (training) {
        MODEL_TRY(o->fill(be, numel, 0.0f, dx));
        return o->batchnorm_backward(be, &d, x, dy, m->params + bn->gamma, bn->save_mean,
                                     bn->save_invstd, dx, dgamma, dbeta);
    }
    const float *rm = m->buffers + bn->run_mean, *rv = m->buffers + bn->run_var;
    float *xhat = m->scratch[5], *chan = m->chan_scratch;
    MODEL_TRY(o->batchnorm_forward_infer(be, &d, dy, m->params + bn->gamma, m->chan_zeros,
                                         m->chan_zeros, rv, dx));
    MODEL_TRY(o->batchnorm_forward_infer(be, &d, x, m->chan_ones, m->chan_zeros, rm, rv, xhat));
    MODEL_TRY(o->mul(be, numel, xhat, dy, xhat));
    /* dgamma (c) += sum_n hw * mean_hw(dy * xhat) */
    MODEL_TRY(o->avgpool_forward(be, (int64_t)n * bn->c, bn->hw, xhat, chan));
    MODEL_TRY(o->scale(be, (int64_t)n * bn->c, (float)bn->hw, chan));
    MODEL_TRY(o->bias_backward(be, n, bn->c, chan, dgamma));
    MODEL_TRY(o->avgpool_forward(be, (int64_t)n * bn->c, bn->hw, dy, chan));
    MODEL_TRY(o->scale(be, (int64_t)n * bn->c, (float)bn->hw, chan));
    return o->bias_backward(be, n, bn->c, chan, dbeta);
}

asgml_status resnet_forward(asgml_model *m, int mod, int batch, int training)
{
    asgml_backend *be = m->be;
    const asgml_backend_ops *o = be->ops;
    encoder *e = &m->enc[mod];
    resnet_enc *r = &e->r;
    int n = batch * e->cfg.frames;
    int64_t stem = (int64_t)n * r->conv1.c_out * r->conv1.h_out * r->conv1.w_out;

    MODEL_TRY(conv_fwd(m, &r->conv1, n, e->input, r->c1));
    MODEL_TRY(bn_fwd(m, &r->bn1, n, training, r->c1, r->b1));
    MODEL_TRY(o->relu_forward(be, stem, r->b1, r->b1));
    asgml_pool2d_desc pd;
    asgml_pool2d_desc_init(&pd, n, r->conv1.c_out, r->pool_h_in, r->pool_w_in, 3, 2, 1);
    MODEL_TRY(o->maxpool_forward(be, &pd, r->b1, r->p, r->argmax));

    const float *a = r->p;   /* block input (n, c_in, h, w) */
    for (int i = 0; i < r->nblocks; i++) {
        basic_block *b = &r->blocks[i];
        int64_t numel = (int64_t)n * b->out_numel;
        MODEL_TRY(conv_fwd(m, &b->conv1, n, a, b->c1));
        MODEL_TRY(bn_fwd(m, &b->bn1, n, training, b->c1, b->b1));
        MODEL_TRY(o->relu_forward(be, numel, b->b1, b->b1));
        MODEL_TRY(conv_fwd(m, &b->conv2, n, b->b1, b->c2));
        MODEL_TRY(bn_fwd(m, &b->bn2, n, training, b->c2, b->out));
        if (b->has_ds) {
            MODEL_TRY(conv_fwd(m, &b->ds_conv, n, a, b->cd));
            MODEL_TRY(bn_fwd(m, &b->ds_bn, n, training, b->cd, b->bd));
            MODEL_TRY(o->add(be, numel, b->out, b->bd, b->out));
        } else {
            MODEL_TRY(o->add(be, numel, b->out, a, b->out));
        }
        MODEL_TRY(o->relu_forward(be, numel, b->out, b->out));
        a = b->out;
    }
    /* (n, 8w, h, w) -> pooled (n, 8w) -> feat (B, 8w) */
    MODEL_TRY(o->avgpool_forward(be, (int64_t)n * r->last_c, r->last_hw, a, r->pooled));
    return o->segment_mean_forward(be, batch, e->cfg.frames, r->last_c, r->pooled, e->feat);
}

/* From enc[mod].dfeat (B, D) to every parameter gradient of the encoder.
 * Gradient scratch (each frame_scratch floats): d / dnext ping-pong hold
 * the gradient w.r.t. a block's output / input; t1..t3 the inner ones. */
asgml_status resnet_backward(asgml_model *m, int mod, int batch)
{
    asgml_backend *be = m->be;
    const asgml_backend_ops *o = be->ops;
    encoder *e = &m->enc[mod];
    resnet_enc *r = &e->r;
    int n = batch * e->cfg.frames;
    int tr = m->training;
    float *d = m->scratch[0], *dnext = m->scratch[1];
    float *t1 = m->scratch[2], *t2 = m->scratch[3], *t3 = m->scratch[4];

    MODEL_TRY(o->fill(be, (int64_t)n * r->last_c, 0.0f, m->dpooled));
    MODEL_TRY(o->segment_mean_backward(be, batch, e->cfg.frames, r->last_c, e->dfeat, m->dpooled));
    MODEL_TRY(o->fill(be, (int64_t)n * r->last_c * r->last_hw, 0.0f, d));
    MODEL_TRY(o->avgpool_backward(be, (int64_t)n * r->last_c, r->last_hw, m->dpooled, d));

    for (int i = r->nblocks - 1; i >= 0; i--) {
        basic_block *b = &r->blocks[i];
        const float *a = i ? r->blocks[i - 1].out : r->p;
        int64_t numel = (int64_t)n * b->out_numel;
        int64_t numel_in = (int64_t)n * b->conv1.c_in * b->conv1.h_in * b->conv1.w_in;
        /* t1 = dL/d(sum) through the final ReLU */
        MODEL_TRY(o->fill(be, numel, 0.0f, t1));
        MODEL_TRY(o->relu_backward(be, numel, b->out, d, t1));
        /* main path: bn2 -> conv2 -> relu -> bn1 -> conv1 */
        MODEL_TRY(bn_bwd(m, &b->bn2, n, tr, b->c2, t1, t2));
        MODEL_TRY(o->fill(be, numel, 0.0f, t3));
        MODEL_TRY(conv_bwd(m, &b->conv2, n, b->b1, t2, t3));
        MODEL_TRY(o->fill(be, numel, 0.0f, t2));
        MODEL_TRY(o->relu_backward(be, numel, b->b1, t3, t2));
        MODEL_TRY(bn_bwd(m, &b->bn1, n, tr, b->c1, t2, t3));
        MODEL_TRY(o->fill(be, numel_in, 0.0f, dnext));
        MODEL_TRY(conv_bwd(m, &b->conv1, n, a, t3, dnext));
        /* shortcut */
        if (b->has_ds) {
            MODEL_TRY(bn_bwd(m, &b->ds_bn, n, tr, b->cd, t1, t2));
            MODEL_TRY(conv_bwd(m, &b->ds_conv, n, a, t2, dnext));
        } else {
            MODEL_TRY(o->axpy(be, numel, 1.0f, t1, dnext));
        }
        float *tmp = d;
        d = dnext;
        dnext = tmp;
    }
    /* stem: d = dL/d(pool out) */
    int64_t stem = (int64_t)n * r->conv1.c_out * r->conv1.h_out * r->conv1.w_out;
    asgml_pool2d_desc pd;
    asgml_pool2d_desc_init(&pd, n, r->conv1.c_out, r->pool_h_in, r->pool_w_in, 3, 2, 1);
    MODEL_TRY(o->fill(be, stem, 0.0f, t1));
    MODEL_TRY(o->maxpool_backward(be, &pd, d, r->argmax, t1));
    MODEL_TRY(o->fill(be, stem, 0.0f, t2));
    MODEL_TRY(o->relu_backward(be, stem, r->b1, t1, t2));
    MODEL_TRY(bn_bwd(m, &r->bn1, n, tr, r->c1, t2, t3));
    return conv_bwd(m, &r->conv1, n, e->input, t3, NULL);
}

asgml_status mlp_build(asgml_model *m, int mod, const char *prefix)
{
    encoder *e = &m->enc[mod];
    mlp_enc *p = &e->mlp;
    int64_t bmax = m->cfg.max_batch;
    char name[128];
    p->in_dim = e->cfg.in_dim;
    p->hidden = e->cfg.hidden;
    int64_t s1[2] = { p->hidden, p->in_dim }, s1b[1] = { p->hidden };
    int64_t s2[2] = { m->D, p->hidden }, s2b[1] = { m->D };
    snprintf(name, sizeof name, "%sfc1.weight", prefix);
    p->w1 = model_add_param(m, mod, -1, name, 2, s1);
    snprintf(name, sizeof name, "%sfc1.bias", prefix);
    p->b1 = model_add_param(m, mod, -1, name, 1, s1b);
    snprintf(name, sizeof name, "%sfc2.weight", prefix);
    p->w2 = model_add_param(m, mod, -1, name, 2, s2);
    snprintf(name, sizeof name, "%sfc2.bias", prefix);
    p->b2 = model_add_param(m, mod, -1, name, 1, s2b);
    p->h = model_arena_take(&m->arena, bmax * p->hidden);
    p->dh = model_arena_take(&m->arena, bmax * p->hidden);
    p->dh2 = model_arena_take(&m->arena, bmax * p->hidden);
    return ASGML_OK;
}

/* x (B, in) -> h = relu(x W1^T + b1) (B, hidden) -> feat = h W2^T + b2 (B, D) */
asgml_status mlp_forward(asgml_model *m, int mod, int batch)
{
    asgml_backend *be = m->be;
    encoder *e = &m->enc[mod];
    mlp_enc *p = &e->mlp;
    MODEL_TRY(linear_forward(be, batch, p->in_dim, p->hidden, e->input, p->in_dim,
                             m->params + p->w1, m->params + p->b1, p->h));
    MODEL_TRY(be->ops->relu_forward(be, (int64_t)batch * p->hidden, p->h, p->h));
    return linear_forward(be, batch, p->hidden, m->D, p->h, p->hidden, m->params + p->w2,
                          m->params + p->b2, e->feat);
}

asgml_status mlp_backward(asgml_model *m, int mod, int batch)
{
    asgml_backend *be = m->be;
    encoder *e = &m->enc[mod];
    mlp_enc *p = &e->mlp;
    int64_t nh = (int64_t)batch * p->hidden;
    MODEL_TRY(be->ops->fill(be, nh, 0.0f, p->dh));
    MODEL_TRY(linear_backward(be, batch, p->hidden, m->D, p->h, p->hidden, m->params + p->w2,
                              e->dfeat, m->grads + p->w2, m->grads + p->b2, p->dh));
    MODEL_TRY(be->ops->fill(be, nh, 0.0f, p->dh2));
    MODEL_TRY(be->ops->relu_backward(be, nh, p->h, p->dh, p->dh2));
    return linear_backward(be, batch, p->in_dim, p->hidden, e->input, p->in_dim,
                           m->params + p->w1, p->dh2, m->grads + p->w1, m->grads + p->b1, NULL);
}
