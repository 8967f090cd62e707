/* SPDX-License-Identifier: MIT */
/* batchnorm.c - batch normalisation layer (batchnorm.h). */
#include <stdio.h>

#include "core/error.h"
#include "nn/batchnorm.h"

void bn_build(bn_layer *bn, nn_params *p, int group, const char *prefix, int c, int hw)
{
    char name[128];
    int64_t shape[1] = { c };
    snprintf(name, sizeof name, "%sweight", prefix);
    int64_t gamma = model_add_param(p, group, -1, name, 1, shape);
    snprintf(name, sizeof name, "%sbias", prefix);
    int64_t beta = model_add_param(p, group, -1, name, 1, shape);
    snprintf(name, sizeof name, "%srunning_mean", prefix);
    int64_t rm = model_add_buffer(p, group, name, c);
    snprintf(name, sizeof name, "%srunning_var", prefix);
    int64_t rv = model_add_buffer(p, group, name, c);
    bn->gamma = nn_at(p->params, gamma);
    bn->beta = nn_at(p->params, beta);
    bn->dgamma = nn_at(p->grads, gamma);
    bn->dbeta = nn_at(p->grads, beta);
    bn->run_mean = nn_at(p->buffers, rm);
    bn->run_var = nn_at(p->buffers, rv);
    bn->c = c;
    bn->hw = hw;
    bn->save_mean = model_arena_take(&p->arena, c);
    bn->save_invstd = model_arena_take(&p->arena, c);
}

asgml_status bn_forward(asgml_backend *be, const bn_layer *bn, int n, int training,
                        const float *x, float *y)
{
    asgml_bn_desc d = { n, bn->c, bn->hw, BN_EPS, BN_MOMENTUM };
    if (training)
        return be->ops->batchnorm_forward_train(be, &d, x, bn->gamma, bn->beta, y, bn->save_mean,
                                                bn->save_invstd, bn->run_mean, bn->run_var);
    return be->ops->batchnorm_forward_infer(be, &d, x, bn->gamma, bn->beta, bn->run_mean,
                                            bn->run_var, y);
}

/* Training mode: the backend's batch-statistics backward.  Inference mode
 * (BN used its running statistics, e.g. AGM's gradient-carrying passes),
 * y = gamma * xhat + beta with xhat = (x - rm) / sqrt(rv + eps) constant
 * per channel:  dx = gamma * dy / sqrt(rv + eps)  (itself an inference BN
 * with mean 0 and no shift), dgamma = sum dy * xhat, dbeta = sum dy, the
 * sums over (n, hw) done as spatial mean * hw then column sums over n. */
asgml_status bn_backward(asgml_backend *be, const bn_layer *bn, int n, int training,
                         const float *x, const float *dy, float *dx, const bn_scratch *s)
{
    const asgml_backend_ops *o = be->ops;
    asgml_bn_desc d = { n, bn->c, bn->hw, BN_EPS, BN_MOMENTUM };
    int64_t numel = (int64_t)n * bn->c * bn->hw;
    if (training) {
        CK(o->fill(be, numel, 0.0f, dx));
        return o->batchnorm_backward(be, &d, x, dy, bn->gamma, bn->save_mean, bn->save_invstd, dx,
                                     bn->dgamma, bn->dbeta);
    }
    float *xhat = s->xhat, *chan = s->chan;
    CK(o->batchnorm_forward_infer(be, &d, dy, bn->gamma, s->zeros, s->zeros, bn->run_var,
                                         dx));
    CK(o->batchnorm_forward_infer(be, &d, x, s->ones, s->zeros, bn->run_mean, bn->run_var,
                                         xhat));
    CK(o->mul(be, numel, xhat, dy, xhat));
    /* dgamma (c) += sum_n hw * mean_hw(dy * xhat) */
    CK(o->avgpool_forward(be, (int64_t)n * bn->c, bn->hw, xhat, chan));
    CK(o->scale(be, (int64_t)n * bn->c, (float)bn->hw, chan));
    CK(o->bias_backward(be, n, bn->c, chan, bn->dgamma));
    CK(o->avgpool_forward(be, (int64_t)n * bn->c, bn->hw, dy, chan));
    CK(o->scale(be, (int64_t)n * bn->c, (float)bn->hw, chan));
    return o->bias_backward(be, n, bn->c, chan, bn->dbeta);
}

asgml_status bn_relu_forward(asgml_backend *be, const bn_layer *bn, int n, int training,
                             const float *x, float *y)
{
    const asgml_backend_ops *o = be->ops;
    asgml_bn_desc d = { n, bn->c, bn->hw, BN_EPS, BN_MOMENTUM };
    if (training && o->batchnorm_relu_forward_train)
        return o->batchnorm_relu_forward_train(be, &d, x, bn->gamma, bn->beta, y, bn->save_mean,
                                               bn->save_invstd, bn->run_mean, bn->run_var);
    if (!training && o->batchnorm_relu_forward_infer)
        return o->batchnorm_relu_forward_infer(be, &d, x, bn->gamma, bn->beta, bn->run_mean,
                                               bn->run_var, y);
    CK(bn_forward(be, bn, n, training, x, y));
    return o->relu_forward(be, (int64_t)n * bn->c * bn->hw, y, y);
}

asgml_status bn_relu_backward(asgml_backend *be, const bn_layer *bn, int n, int training,
                              const float *x, const float *y, float *dy, float *spare,
                              const bn_scratch *s, const float **dx_out)
{
    const asgml_backend_ops *o = be->ops;
    asgml_bn_desc d = { n, bn->c, bn->hw, BN_EPS, BN_MOMENTUM };
    int64_t numel = (int64_t)n * bn->c * bn->hw;
    CK(o->fill(be, numel, 0.0f, spare));
    if (training && o->batchnorm_relu_backward) {
        *dx_out = spare;
        return o->batchnorm_relu_backward(be, &d, x, y, dy, bn->gamma, bn->save_mean,
                                          bn->save_invstd, spare, bn->dgamma, bn->dbeta);
    }
    CK(o->relu_backward(be, numel, y, dy, spare));
    *dx_out = dy;
    return bn_backward(be, bn, n, training, x, spare, dy, s);
}
