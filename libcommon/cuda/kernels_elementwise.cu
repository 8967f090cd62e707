/* SPDX-License-Identifier: MIT */
/* kernels_elementwise.cu - elementwise ops, bias broadcast, the backward
 * passes of the mean ops, and max pooling with argmax (cuDNN's pooling does
 * not expose the argmax the op table's maxpool_backward routes through).
 * Grid-stride loops with int64 indices; every op is one pass over memory.
 * Backward ops accumulate (+=) as asgml/backend.h requires. */
#include <math.h>

#include "kernels.h"

#define GRID_LOOP(i, n)                                                              \
    for (int64_t i = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; i < (n);        \
         i += (int64_t)gridDim.x * blockDim.x)

#define LAUNCH(n, kernel, ...)                                                       \
    do {                                                                             \
        unsigned grid_ = asgml_k_grid((n), 1);                                       \
        if (grid_ == 0) return cudaSuccess;                                          \
        kernel<<<grid_, ASGML_K_BLOCK, 0, s>>>(__VA_ARGS__);                         \
        return cudaGetLastError();                                                   \
    } while (0)

__global__ static void relu_forward_kernel(int64_t n, const float *x, float *y)
{
    GRID_LOOP(i, n) { float v = x[i]; y[i] = v > 0.0f ? v : 0.0f; }
}

__global__ static void relu_backward_kernel(int64_t n, const float *y, const float *dy, float *dx)
{
    GRID_LOOP(i, n) { if (y[i] > 0.0f) dx[i] += dy[i]; }
}

__global__ static void sigmoid_forward_kernel(int64_t n, const float *x, float *y)
{
    GRID_LOOP(i, n) { y[i] = 1.0f / (1.0f + expf(-x[i])); }
}

__global__ static void sigmoid_backward_kernel(int64_t n, const float *y, const float *dy, float *dx)
{
    GRID_LOOP(i, n) { float v = y[i]; dx[i] += dy[i] * v * (1.0f - v); }
}

__global__ static void mask_backward_kernel(int64_t n, const float *mask, const float *dy, float *dx)
{
    GRID_LOOP(i, n) { dx[i] += dy[i] * mask[i]; }
}

__global__ static void add_kernel(int64_t n, const float *a, const float *b, float *y)
{
    GRID_LOOP(i, n) { y[i] = a[i] + b[i]; }
}

__global__ static void add_relu_kernel(int64_t n, const float *a, const float *b, float *y)
{
    GRID_LOOP(i, n) { float v = a[i] + b[i]; y[i] = v > 0.0f ? v : 0.0f; }
}

__global__ static void relu_grad_kernel(int64_t n, const float *y, const float *dy, float *g)
{
    GRID_LOOP(i, n) { g[i] = y[i] > 0.0f ? 0.0f + dy[i] : 0.0f; }
}

__global__ static void mul_kernel(int64_t n, const float *a, const float *b, float *y)
{
    GRID_LOOP(i, n) { y[i] = a[i] * b[i]; }
}

__global__ static void axpy_kernel(int64_t n, float alpha, const float *x, float *y)
{
    GRID_LOOP(i, n) { y[i] += alpha * x[i]; }
}

__global__ static void scale_kernel(int64_t n, float alpha, float *x)
{
    GRID_LOOP(i, n) { x[i] *= alpha; }
}

__global__ static void fill_kernel(int64_t n, float value, float *x)
{
    GRID_LOOP(i, n) { x[i] = value; }
}

__global__ static void bias_forward_kernel(int64_t n, int64_t cols, const float *bias, float *y)
{
    GRID_LOOP(i, n) { y[i] += bias[i % cols]; }
}

/* i runs over dx (b, t, c): dx[bi, ti, ci] += dy[bi, ci] / t */
__global__ static void segment_mean_backward_kernel(int64_t n, int t, int c, const float *dy,
                                                    float *dx)
{
    float inv = 1.0f / (float)t;
    GRID_LOOP(i, n) {
        int64_t ci = i % c, bi = i / ((int64_t)t * c);
        dx[i] += dy[bi * c + ci] * inv;
    }
}

__global__ static void avgpool_backward_kernel(int64_t n, int64_t hw, const float *dy, float *dx)
{
    float inv = 1.0f / (float)hw;
    GRID_LOOP(i, n) { dx[i] += dy[i / hw] * inv; }
}

/* one thread per output element (nc, h_out, w_out) */
__global__ static void maxpool_forward_kernel(int64_t n, int h_in, int w_in, int k, int stride,
                                              int pad, int h_out, int w_out, const float *x,
                                              float *y, int32_t *argmax)
{
    GRID_LOOP(o, n) {
        int ow = (int)(o % w_out), oh = (int)((o / w_out) % h_out);
        int64_t plane = o / ((int64_t)w_out * h_out);
        const float *xp = x + plane * (int64_t)h_in * w_in;
        float best = -INFINITY;
        int32_t best_i = -1;
        int h0 = oh * stride - pad, w0 = ow * stride - pad;
        for (int kh = 0; kh < k; kh++) {
            int h = h0 + kh;
            if (h < 0 || h >= h_in) continue;
            for (int kw = 0; kw < k; kw++) {
                int w = w0 + kw;
                if (w < 0 || w >= w_in) continue;
                float v = xp[h * w_in + w];
                if (best_i < 0 || v > best || isnan(v)) {
                    best = v;
                    best_i = h * w_in + w;
                    if (isnan(v)) goto done;
                }
            }
        }
    done:
        y[o] = best;
        argmax[o] = best_i;
    }
}

/* one thread per input element: sums dy over the (at most ceil(k/stride)^2)
 * windows that contain it and chose it, in row-major output order */
__global__ static void maxpool_backward_kernel(int64_t n, int h_in, int w_in, int k, int stride,
                                               int pad, int h_out, int w_out, const float *dy,
                                               const int32_t *argmax, float *dx)
{
    GRID_LOOP(i, n) {
        int w = (int)(i % w_in), h = (int)((i / w_in) % h_in);
        int64_t plane = i / ((int64_t)w_in * h_in);
        int32_t flat = h * w_in + w;
        /* outputs oh with oh*stride - pad <= h <= oh*stride - pad + k - 1 */
        int oh_lo = (h + pad - k + 1 + stride - 1) / stride, oh_hi = (h + pad) / stride;
        int ow_lo = (w + pad - k + 1 + stride - 1) / stride, ow_hi = (w + pad) / stride;
        if (h + pad - k + 1 < 0) oh_lo = 0;
        if (w + pad - k + 1 < 0) ow_lo = 0;
        if (oh_hi >= h_out) oh_hi = h_out - 1;
        if (ow_hi >= w_out) ow_hi = w_out - 1;
        const float *dyp = dy + plane * (int64_t)h_out * w_out;
        const int32_t *amp = argmax + plane * (int64_t)h_out * w_out;
        float acc = dx[i];
        for (int oh = oh_lo; oh <= oh_hi; oh++)
            for (int ow = ow_lo; ow <= ow_hi; ow++) {
                int o = oh * w_out + ow;
                if (amp[o] == flat) acc += dyp[o];
            }
        dx[i] = acc;
    }
}

extern "C" {

cudaError_t asgml_k_relu_forward(cudaStream_t s, int64_t n, const float *x, float *y)
{
    LAUNCH(n, relu_forward_kernel, n, x, y);
}

cudaError_t asgml_k_relu_backward(cudaStream_t s, int64_t n, const float *y, const float *dy,
                                  float *dx)
{
    LAUNCH(n, relu_backward_kernel, n, y, dy, dx);
}

cudaError_t asgml_k_sigmoid_forward(cudaStream_t s, int64_t n, const float *x, float *y)
{
    LAUNCH(n, sigmoid_forward_kernel, n, x, y);
}

cudaError_t asgml_k_sigmoid_backward(cudaStream_t s, int64_t n, const float *y,
                                     const float *dy, float *dx)
{
    LAUNCH(n, sigmoid_backward_kernel, n, y, dy, dx);
}

cudaError_t asgml_k_mask_backward(cudaStream_t s, int64_t n, const float *mask,
                                  const float *dy, float *dx)
{
    LAUNCH(n, mask_backward_kernel, n, mask, dy, dx);
}

cudaError_t asgml_k_add(cudaStream_t s, int64_t n, const float *a, const float *b, float *y)
{
    LAUNCH(n, add_kernel, n, a, b, y);
}

cudaError_t asgml_k_add_relu(cudaStream_t s, int64_t n, const float *a, const float *b,
                             float *y)
{
    LAUNCH(n, add_relu_kernel, n, a, b, y);
}

cudaError_t asgml_k_relu_grad(cudaStream_t s, int64_t n, const float *y, const float *dy,
                              float *g)
{
    LAUNCH(n, relu_grad_kernel, n, y, dy, g);
}

cudaError_t asgml_k_mul(cudaStream_t s, int64_t n, const float *a, const float *b, float *y)
{
    LAUNCH(n, mul_kernel, n, a, b, y);
}

cudaError_t asgml_k_axpy(cudaStream_t s, int64_t n, float alpha, const float *x, float *y)
{
    LAUNCH(n, axpy_kernel, n, alpha, x, y);
}

cudaError_t asgml_k_scale(cudaStream_t s, int64_t n, float alpha, float *x)
{
    LAUNCH(n, scale_kernel, n, alpha, x);
}

cudaError_t asgml_k_fill(cudaStream_t s, int64_t n, float value, float *x)
{
    LAUNCH(n, fill_kernel, n, value, x);
}

cudaError_t asgml_k_bias_forward(cudaStream_t s, int64_t rows, int64_t cols, const float *bias,
                                 float *y)
{
    if (cols <= 0) return cudaSuccess;
    LAUNCH(rows * cols, bias_forward_kernel, rows * cols, cols, bias, y);
}

cudaError_t asgml_k_segment_mean_backward(cudaStream_t s, int b, int t, int c,
                                          const float *dy, float *dx)
{
    int64_t n = (int64_t)b * t * c;
    LAUNCH(n, segment_mean_backward_kernel, n, t, c, dy, dx);
}

cudaError_t asgml_k_avgpool_backward(cudaStream_t s, int64_t nc, int64_t hw, const float *dy,
                                     float *dx)
{
    LAUNCH(nc * hw, avgpool_backward_kernel, nc * hw, hw, dy, dx);
}

cudaError_t asgml_k_maxpool_forward(cudaStream_t s, int nc, int h_in, int w_in, int k,
                                    int stride, int pad, int h_out, int w_out, const float *x,
                                    float *y, int32_t *argmax)
{
    int64_t n = (int64_t)nc * h_out * w_out;
    LAUNCH(n, maxpool_forward_kernel, n, h_in, w_in, k, stride, pad, h_out, w_out, x, y, argmax);
}

cudaError_t asgml_k_maxpool_backward(cudaStream_t s, int nc, int h_in, int w_in, int k,
                                     int stride, int pad, int h_out, int w_out,
                                     const float *dy, const int32_t *argmax, float *dx)
{
    int64_t n = (int64_t)nc * h_in * w_in;
    LAUNCH(n, maxpool_backward_kernel, n, h_in, w_in, k, stride, pad, h_out, w_out, dy, argmax,
           dx);
}

} /* extern "C" */
