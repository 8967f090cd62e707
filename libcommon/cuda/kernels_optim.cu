/* SPDX-License-Identifier: MIT */
/* kernels_optim.cu - optimiser updates, elementwise over a flat span of
 * parameters, with exactly PyTorch's per-element arithmetic
 * (torch.optim.SGD / Adam / AdamW, single-tensor path):
 *
 * SGD:  g = grad + wd*p;  v = first ? g : momentum*v + (1-dampening)*g;
 *       step = nesterov ? g + momentum*v : v;  p -= lr*step
 *       (momentum == 0: no buffer, step = g)
 * Adam: decoupled ? p *= 1 - lr*wd : g += wd*p;
 *       m = m + (1-beta1)*(g - m)       (torch lerp_)
 *       v = beta2*v + (1-beta2)*g*g
 *       p -= step_size * m / (sqrt(v)/bc2_sqrt + eps)
 *       with step_size = lr/(1-beta1^t), bc2_sqrt = sqrt(1-beta2^t)
 *       computed by the host in double. */
#include <math.h>

#include "kernels.h"

__global__ static void sgd_kernel(int64_t n, float *param, const float *grad, float *mom,
                                  float lr, float momentum, float dampening, float wd,
                                  int nesterov, int first)
{
    for (int64_t i = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; i < n;
         i += (int64_t)gridDim.x * blockDim.x) {
        float p = param[i], g = grad[i];
        if (wd != 0.0f) g = g + wd * p;
        if (momentum != 0.0f) {
            float v = first ? g : momentum * mom[i] + (1.0f - dampening) * g;
            mom[i] = v;
            g = nesterov ? g + momentum * v : v;
        }
        param[i] = p - lr * g;
    }
}

__global__ static void adam_kernel(int64_t n, float *param, const float *grad, float *m,
                                   float *v, float lr, float beta1, float beta2, float eps,
                                   float wd, int decoupled, float step_size, float bc2_sqrt)
{
    for (int64_t i = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; i < n;
         i += (int64_t)gridDim.x * blockDim.x) {
        float p = param[i], g = grad[i];
        if (wd != 0.0f) {
            if (decoupled) p = p * (1.0f - lr * wd);
            else g = g + wd * p;
        }
        float mi = m[i] + (1.0f - beta1) * (g - m[i]);
        float vi = beta2 * v[i] + (1.0f - beta2) * g * g;
        m[i] = mi;
        v[i] = vi;
        float denom = sqrtf(vi) / bc2_sqrt + eps;
        param[i] = p - step_size * (mi / denom);
    }
}

extern "C" cudaError_t asgml_k_sgd_update(cudaStream_t s, int64_t n, float *param,
                                          const float *grad, float *mom, float lr,
                                          float momentum, float dampening, float weight_decay,
                                          int nesterov, int first_step)
{
    unsigned grid = asgml_k_grid(n, 1);
    if (grid == 0) return cudaSuccess;
    sgd_kernel<<<grid, ASGML_K_BLOCK, 0, s>>>(n, param, grad, mom, lr, momentum, dampening,
                                              weight_decay, nesterov, first_step);
    return cudaGetLastError();
}

extern "C" cudaError_t asgml_k_adam_update(cudaStream_t s, int64_t n, float *param,
                                           const float *grad, float *m, float *v, float lr,
                                           float beta1, float beta2, float eps,
                                           float weight_decay, int decoupled, float step_size,
                                           float bc2_sqrt)
{
    unsigned grid = asgml_k_grid(n, 1);
    if (grid == 0) return cudaSuccess;
    adam_kernel<<<grid, ASGML_K_BLOCK, 0, s>>>(n, param, grad, m, v, lr, beta1, beta2, eps,
                                               weight_decay, decoupled, step_size, bc2_sqrt);
    return cudaGetLastError();
}
