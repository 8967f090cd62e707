/* SPDX-License-Identifier: MIT */
/* cpu/optim_ops.c - fused optimiser updates with torch.optim semantics
 * (PyTorch 1.13 single-tensor code paths), one OpenMP loop each. */
#include <math.h>

#include "core/error.h"
#include "cpu.h"

#ifdef _OPENMP
#include <omp.h>
#endif

/* elements [i0, i1) of the SGD update below, for one combination of the
 * flags (compile-time constants at every call: one branch-free loop each,
 * which GCC vectorises; with the flags tested inside, the loop stayed
 * scalar) */
static inline __attribute__((always_inline)) void
sgd_range(int64_t i0, int64_t i1, float *restrict param, const float *restrict grad,
          float *restrict mom, float lr, float momentum, float damp1, float weight_decay,
          const int wd, const int with_mom, const int nesterov, const int first)
{
#pragma omp simd
    for (int64_t i = i0; i < i1; i++) {
        float g = grad[i];
        if (wd) g += weight_decay * param[i];
        if (with_mom) {
            float v = first ? g : momentum * mom[i] + damp1 * g;
            mom[i] = v;
            g = nesterov ? g + momentum * v : v;
        }
        param[i] -= lr * g;
    }
}

/* param, grad, mom (n).  g = grad + wd*p; v = first ? g : momentum*v +
 * (1-dampening)*g; step = nesterov ? g + momentum*v : v; p -= lr*step.
 * The same float operations in the same order for every flag combination
 * (no FMA contraction in the baseline x86-64 build): the bits of the
 * scalar loop. */
asgml_status asgml_cpu_sgd_update(asgml_backend *be, int64_t n, float *param,
                                  const float *grad, float *mom, float lr, float momentum,
                                  float dampening, float weight_decay, int nesterov,
                                  int first_step)
{
    if (n < 0 || (momentum != 0.0f && !mom))
        return ASGML_ERR(ASGML_EINVAL, "sgd_update needs n >= 0 and a momentum "
                           "buffer when momentum != 0");
    const float damp1 = 1.0f - dampening;
    const int flags = (weight_decay != 0.0f) | (momentum != 0.0f) << 1 | (nesterov != 0) << 2 |
                      (first_step != 0) << 3;
    int nt = asgml_cpu_threads(be);
    if (n <= 32768) nt = 1;
#pragma omp parallel num_threads(nt) if (nt > 1)
    {
#ifdef _OPENMP
        const int t = omp_get_thread_num(), tn = omp_get_num_threads();
#else
        const int t = 0, tn = 1;
#endif
        const int64_t i0 = n * t / tn, i1 = n * (t + 1) / tn;
#define SGD(f)                                                                                     case f:                                                                                            sgd_range(i0, i1, param, grad, mom, lr, momentum, damp1, weight_decay, (f) & 1,                         ((f) >> 1) & 1, ((f) >> 2) & 1, ((f) >> 3) & 1);                                    break
        switch (flags) {
            SGD(0); SGD(1); SGD(2); SGD(3); SGD(4); SGD(5); SGD(6); SGD(7);
            SGD(8); SGD(9); SGD(10); SGD(11); SGD(12); SGD(13); SGD(14); SGD(15);
        }
#undef SGD
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
