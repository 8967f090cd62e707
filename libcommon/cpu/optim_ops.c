/* SPDX-License-Identifier: MIT */
/* cpu/optim_ops.c - fused optimiser updates with torch.optim semantics
 * (PyTorch 1.13 single-tensor code paths), one OpenMP loop each. */
#include <math.h>

#include "core/error.h"
#include "cpu.h"

/* param, grad, mom (n).  g = grad + wd*p; v = first ? g : momentum*v +
 * (1-dampening)*g; step = nesterov ? g + momentum*v : v; p -= lr*step. */
asgml_status asgml_cpu_sgd_update(asgml_backend *be, int64_t n, float *param,
                                  const float *grad, float *mom, float lr, float momentum,
                                  float dampening, float weight_decay, int nesterov,
                                  int first_step)
{
    if (n < 0 || (momentum != 0.0f && !mom))
        return ASGML_ERR(ASGML_EINVAL, "sgd_update needs n >= 0 and a momentum "
                           "buffer when momentum != 0");
    const float damp1 = 1.0f - dampening;
    int nt = asgml_cpu_threads(be);
#pragma omp parallel for num_threads(nt) schedule(static) if (n > 32768)
    for (int64_t i = 0; i < n; i++) {
        float g = grad[i];
        if (weight_decay != 0.0f) g += weight_decay * param[i];
        if (momentum != 0.0f) {
            float v = first_step ? g : momentum * mom[i] + damp1 * g;
            mom[i] = v;
            g = nesterov ? g + momentum * v : v;
        }
        param[i] -= lr * g;
    }
    return ASGML_OK;
}

/* param, grad, m, v (n); step >= 1.
 * Adam:  g = grad + wd*p.   AdamW: p *= 1 - lr*wd.
 * m = beta1*m + (1-beta1)*g; v = beta2*v + (1-beta2)*g*g;
 * denom = sqrt(v)/sqrt(1-beta2^step) + eps; p -= lr/(1-beta1^step) * m/denom. */
asgml_status asgml_cpu_adam_update(asgml_backend *be, int64_t n, float *param,
                                   const float *grad, float *m, float *v, float lr, float beta1,
                                   float beta2, float eps, float weight_decay, int decoupled,
                                   int64_t step)
{
    if (n < 0 || step < 1)
        return ASGML_ERR(ASGML_EINVAL, "adam_update needs n >= 0 and step >= 1 (got "
                           "%lld)", (long long)step);
    const double bc1 = 1.0 - pow((double)beta1, (double)step);
    const double bc2 = 1.0 - pow((double)beta2, (double)step);
    const float step_size = (float)((double)lr / bc1);
    const float bc2_sqrt = (float)sqrt(bc2);
    const float decay = (float)(1.0 - (double)lr * weight_decay);
    const float one_b1 = (float)(1.0 - (double)beta1), one_b2 = (float)(1.0 - (double)beta2);
    int nt = asgml_cpu_threads(be);
#pragma omp parallel for num_threads(nt) schedule(static) if (n > 32768)
    for (int64_t i = 0; i < n; i++) {
        float p = param[i], g = grad[i];
        if (weight_decay != 0.0f) {
            if (decoupled)
                p *= decay;
            else
                g += weight_decay * p;
        }
        float mi = m[i] * beta1 + one_b1 * g;
        float vi = v[i] * beta2 + one_b2 * g * g;
        m[i] = mi;
        v[i] = vi;
        float denom = sqrtf(vi) / bc2_sqrt + eps;
        param[i] = p - step_size * (mi / denom);
    }
    return ASGML_OK;
}
