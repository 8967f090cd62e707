/* SPDX-License-Identifier: MIT */
/* cuda/kernels.h - extern "C" launchers of the custom CUDA kernels (the
 * kernels_*.cu files), for the ops no library call provides.  Plain C:
 * included by backend_cuda.c (C compiler) and by the .cu files (nvcc).
 *
 * Every launcher queues work on `stream` and returns the launch status
 * (cudaGetLastError); it never synchronises.  Semantics are those of the
 * matching op in asgml/backend.h, including the += of backward ops.
 * Reductions are deterministic: a grid whose size depends only on n writes
 * one double partial per block, and one block sums the partials in a fixed
 * order into out_dev (device doubles). */
#ifndef ASGML_CUDA_KERNELS_H
#define ASGML_CUDA_KERNELS_H

#include <stdint.h>
#include <cuda_runtime_api.h>

#ifdef __cplusplus
extern "C" {
#endif

#define ASGML_K_BLOCK 256          /* threads per block of the 1-D kernels */
#define ASGML_K_MAX_BLOCKS 4096u   /* grid cap; grid-stride loops cover the rest */

/* Blocks for n items, items_per_thread per thread, ASGML_K_BLOCK threads
 * per block, capped at ASGML_K_MAX_BLOCKS; 0 when n <= 0. */
static inline unsigned asgml_k_grid(int64_t n, int items_per_thread)
{
    if (n <= 0 || items_per_thread <= 0) return 0;
    int64_t threads = (n + items_per_thread - 1) / items_per_thread;
    int64_t blocks = (threads + ASGML_K_BLOCK - 1) / ASGML_K_BLOCK;
    return blocks > (int64_t)ASGML_K_MAX_BLOCKS ? ASGML_K_MAX_BLOCKS : (unsigned)blocks;
}

/* kernels_elementwise.cu: n elements, int64 indices */
cudaError_t asgml_k_relu_forward(cudaStream_t s, int64_t n, const float *x, float *y);
cudaError_t asgml_k_relu_backward(cudaStream_t s, int64_t n, const float *y, const float *dy,
                                  float *dx);
cudaError_t asgml_k_sigmoid_forward(cudaStream_t s, int64_t n, const float *x, float *y);
cudaError_t asgml_k_sigmoid_backward(cudaStream_t s, int64_t n, const float *y,
                                     const float *dy, float *dx);
/* dx += dy * mask (dropout backward) */
cudaError_t asgml_k_mask_backward(cudaStream_t s, int64_t n, const float *mask,
                                  const float *dy, float *dx);
cudaError_t asgml_k_add(cudaStream_t s, int64_t n, const float *a, const float *b, float *y);
/* y = relu(a + b) */
cudaError_t asgml_k_add_relu(cudaStream_t s, int64_t n, const float *a, const float *b,
                             float *y);
/* g = 0 + dy where y > 0, else 0 (relu_backward into a zeroed buffer) */
cudaError_t asgml_k_relu_grad(cudaStream_t s, int64_t n, const float *y, const float *dy,
                              float *g);
cudaError_t asgml_k_mul(cudaStream_t s, int64_t n, const float *a, const float *b, float *y);
cudaError_t asgml_k_axpy(cudaStream_t s, int64_t n, float alpha, const float *x, float *y);
cudaError_t asgml_k_scale(cudaStream_t s, int64_t n, float alpha, float *x);
cudaError_t asgml_k_fill(cudaStream_t s, int64_t n, float value, float *x);
/* y (rows, cols) += bias (cols) */
cudaError_t asgml_k_bias_forward(cudaStream_t s, int64_t rows, int64_t cols, const float *bias,
                                 float *y);
/* dx (b, t, c) += dy (b, c) / t */
cudaError_t asgml_k_segment_mean_backward(cudaStream_t s, int b, int t, int c,
                                          const float *dy, float *dx);
/* dx (nc, hw) += dy (nc) / hw */
cudaError_t asgml_k_avgpool_backward(cudaStream_t s, int64_t nc, int64_t hw, const float *dy,
                                     float *dx);
/* max pool k x k / stride, padding -inf; argmax = flat input index h*w_in+w
 * of the first maximum in window order (a NaN wins, as in PyTorch) */
cudaError_t asgml_k_maxpool_forward(cudaStream_t s, int nc, int h_in, int w_in, int k,
                                    int stride, int pad, int h_out, int w_out, const float *x,
                                    float *y, int32_t *argmax);
/* dx += dy routed by argmax; gathered per input element (no atomics), so
 * the sum order is fixed: outputs in row-major order */
cudaError_t asgml_k_maxpool_backward(cudaStream_t s, int nc, int h_in, int w_in, int k,
                                     int stride, int pad, int h_out, int w_out,
                                     const float *dy, const int32_t *argmax, float *dx);

/* kernels_reduce.cu */
/* number of partials (blocks) the reductions below use for n elements */
unsigned asgml_k_reduce_blocks(int64_t n);
/* out_dev[0] = sum x^2 */
cudaError_t asgml_k_sumsq(cudaStream_t s, int64_t n, const float *x, double *partials,
                          double *out_dev);
/* out_dev[0] = mean, out_dev[1] = sum (x - mean)^2 (two passes) */
cudaError_t asgml_k_mean_ssd(cudaStream_t s, int64_t n, const float *x, double *partials,
                             double *out_dev);
/* out_dev[0] = number of NaN/Inf elements (exact below 2^53) */
cudaError_t asgml_k_nonfinite(cudaStream_t s, int64_t n, const float *x, double *partials,
                              double *out_dev);
/* y (nc) = mean over hw of x (nc, hw), double accumulation */
cudaError_t asgml_k_avgpool_forward(cudaStream_t s, int64_t nc, int64_t hw, const float *x,
                                    float *y);
/* dbias (cols) += column sums of dy (rows, cols), double accumulation */
cudaError_t asgml_k_bias_backward(cudaStream_t s, int64_t rows, int64_t cols, const float *dy,
                                  float *dbias);
/* y (b, c) = mean over t of x (b, t, c) */
cudaError_t asgml_k_segment_mean_forward(cudaStream_t s, int b, int t, int c, const float *x,
                                         float *y);

/* kernels_loss.cu: softmax cross-entropy, one warp per row.  row_loss is
 * device scratch of 2*b doubles.  out_dev[0] = sum of losses, out_dev[1] =
 * number of rows whose label is outside [0, c), out_dev[2] = first such
 * row (-1 if none). */
cudaError_t asgml_k_softmax_ce(cudaStream_t s, int b, int c, const float *logits,
                               const int32_t *labels, float grad_scale, float *probs,
                               float *losses, float *dlogits, double *row_loss,
                               double *out_dev);

/* kernels_optim.cu (PyTorch torch.optim semantics, see asgml/backend.h) */
cudaError_t asgml_k_sgd_update(cudaStream_t s, int64_t n, float *param, const float *grad,
                               float *mom, float lr, float momentum, float dampening,
                               float weight_decay, int nesterov, int first_step);
/* step_size = lr / (1 - beta1^t), bc2_sqrt = sqrt(1 - beta2^t), computed
 * by the caller in double */
cudaError_t asgml_k_adam_update(cudaStream_t s, int64_t n, float *param, const float *grad,
                                float *m, float *v, float lr, float beta1, float beta2,
                                float eps, float weight_decay, int decoupled, float step_size,
                                float bc2_sqrt);

/* kernels_philox.cu: the Philox4x32-10 streams of asgml/backend.h */
/* x += sigma * z_i, z_i the Gaussian of element i */
cudaError_t asgml_k_gaussian_noise(cudaStream_t s, int64_t n, float sigma, uint64_t seed,
                                   uint64_t offset, float *x);
/* mask_i = (u_i >= p) ? scale : 0, y = x * mask; scale = 1 / (1 - p) */
cudaError_t asgml_k_dropout_forward(cudaStream_t s, int64_t n, float p, float scale,
                                    uint64_t seed, uint64_t offset, const float *x, float *y,
                                    float *mask);

#ifdef __cplusplus
}
#endif
#endif
