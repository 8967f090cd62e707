/* SPDX-License-Identifier: MIT */
/* kernels_reduce.cu - reductions in double precision: per-tensor sums of
 * squares (gradient norms), mean and sum of squared deviations (std), the
 * count of non-finite values, and the small axis reductions of the model
 * (global average pool, bias gradient, mean over frames).
 *
 * Determinism: the grid of the full reductions depends only on n, every
 * thread visits a fixed set of elements, blocks reduce through a fixed
 * shared-memory tree into partials[block], and one block sums the
 * partials in a fixed order.  No atomics, so a result is bit-identical
 * from run to run on the same device. */
#include <math.h>

#include "kernels.h"

#define REDUCE_MAX_BLOCKS 1024u

static_assert((ASGML_K_BLOCK & (ASGML_K_BLOCK - 1)) == 0, "block size must be a power of two");

/* Sum of v over the block, valid in thread 0.  Uses all threads. */
__device__ static double block_sum(double v)
{
    __shared__ double buf[ASGML_K_BLOCK];
    buf[threadIdx.x] = v;
    __syncthreads();
    for (int stride = ASGML_K_BLOCK / 2; stride > 0; stride >>= 1) {
        if ((int)threadIdx.x < stride) buf[threadIdx.x] += buf[threadIdx.x + stride];
        __syncthreads();
    }
    double r = buf[0];
    __syncthreads();   /* buf may be reused by a following call */
    return r;
}

enum { RED_SUMSQ = 0, RED_SUM = 1, RED_SSD = 2, RED_NONFINITE = 3 };

/* partials[block] = sum over this block's elements of f(x_i); for RED_SSD
 * the mean is read from *mean (device) */
__global__ static void partial_kernel(int op, int64_t n, const float *x, const double *mean,
                                      double *partials)
{
    double acc = 0.0, mu = op == RED_SSD ? *mean : 0.0;
    for (int64_t i = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; i < n;
         i += (int64_t)gridDim.x * blockDim.x) {
        double v = (double)x[i];
        switch (op) {
        case RED_SUMSQ: acc += v * v; break;
        case RED_SUM: acc += v; break;
        case RED_SSD: acc += (v - mu) * (v - mu); break;
        default: acc += isfinite(x[i]) ? 0.0 : 1.0; break;
        }
    }
    double s = block_sum(acc);
    if (threadIdx.x == 0) partials[blockIdx.x] = s;
}

/* out = scale * sum of partials[0..count), one block */
__global__ static void finish_kernel(const double *partials, unsigned count, double scale,
                                     double *out)
{
    double acc = 0.0;
    for (unsigned i = threadIdx.x; i < count; i += blockDim.x) acc += partials[i];
    double s = block_sum(acc);
    if (threadIdx.x == 0) *out = s * scale;
}

static cudaError_t reduce(cudaStream_t s, int op, int64_t n, const float *x, const double *mean,
                          double *partials, double scale, double *out)
{
    unsigned blocks = asgml_k_reduce_blocks(n);
    if (blocks == 0) {
        /* n == 0: the result is 0 */
        return cudaMemsetAsync(out, 0, sizeof *out, s);
    }
    partial_kernel<<<blocks, ASGML_K_BLOCK, 0, s>>>(op, n, x, mean, partials);
    cudaError_t e = cudaGetLastError();
    if (e != cudaSuccess) return e;
    finish_kernel<<<1, ASGML_K_BLOCK, 0, s>>>(partials, blocks, scale, out);
    return cudaGetLastError();
}

/* one warp per row of x (rows, len): y[row] = mean */
__global__ static void row_mean_kernel(int64_t rows, int64_t len, const float *x, float *y)
{
    int lane = threadIdx.x & 31;
    int64_t warp = (blockIdx.x * (int64_t)blockDim.x + threadIdx.x) >> 5;
    int64_t warps = ((int64_t)gridDim.x * blockDim.x) >> 5;
    for (int64_t r = warp; r < rows; r += warps) {
        const float *xr = x + r * len;
        double acc = 0.0;
        for (int64_t j = lane; j < len; j += 32) acc += (double)xr[j];
        for (int off = 16; off > 0; off >>= 1) acc += __shfl_down_sync(0xffffffffu, acc, off);
        if (lane == 0) y[r] = (float)(acc / (double)len);
    }
}

/* one thread per column: dbias[col] += sum over rows of dy[row, col] */
__global__ static void column_sum_kernel(int64_t rows, int64_t cols, const float *dy,
                                         float *dbias)
{
    for (int64_t c = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; c < cols;
         c += (int64_t)gridDim.x * blockDim.x) {
        double acc = 0.0;
        for (int64_t r = 0; r < rows; r++) acc += (double)dy[r * cols + c];
        dbias[c] = (float)((double)dbias[c] + acc);
    }
}

/* one thread per (b, c): y[b, c] = mean over t of x[b, t, c] */
__global__ static void segment_mean_kernel(int64_t n, int t, int c, const float *x, float *y)
{
    for (int64_t i = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; i < n;
         i += (int64_t)gridDim.x * blockDim.x) {
        int64_t bi = i / c, ci = i % c;
        const float *xp = x + bi * (int64_t)t * c + ci;
        double acc = 0.0;
        for (int ti = 0; ti < t; ti++) acc += (double)xp[(int64_t)ti * c];
        y[i] = (float)(acc / (double)t);
    }
}

extern "C" {

unsigned asgml_k_reduce_blocks(int64_t n)
{
    unsigned g = asgml_k_grid(n, 8);
    return g > REDUCE_MAX_BLOCKS ? REDUCE_MAX_BLOCKS : g;
}

cudaError_t asgml_k_sumsq(cudaStream_t s, int64_t n, const float *x, double *partials,
                          double *out_dev)
{
    return reduce(s, RED_SUMSQ, n, x, NULL, partials, 1.0, out_dev);
}

cudaError_t asgml_k_mean_ssd(cudaStream_t s, int64_t n, const float *x, double *partials,
                             double *out_dev)
{
    cudaError_t e = reduce(s, RED_SUM, n, x, NULL, partials, n > 0 ? 1.0 / (double)n : 0.0,
                           out_dev);
    if (e != cudaSuccess) return e;
    return reduce(s, RED_SSD, n, x, out_dev, partials, 1.0, out_dev + 1);
}

cudaError_t asgml_k_nonfinite(cudaStream_t s, int64_t n, const float *x, double *partials,
                              double *out_dev)
{
    return reduce(s, RED_NONFINITE, n, x, NULL, partials, 1.0, out_dev);
}

cudaError_t asgml_k_avgpool_forward(cudaStream_t s, int64_t nc, int64_t hw, const float *x,
                                    float *y)
{
    unsigned grid = asgml_k_grid(nc * 32, 1);
    if (grid == 0 || hw <= 0) return cudaSuccess;
    row_mean_kernel<<<grid, ASGML_K_BLOCK, 0, s>>>(nc, hw, x, y);
    return cudaGetLastError();
}

cudaError_t asgml_k_bias_backward(cudaStream_t s, int64_t rows, int64_t cols, const float *dy,
                                  float *dbias)
{
    unsigned grid = asgml_k_grid(cols, 1);
    if (grid == 0) return cudaSuccess;
    column_sum_kernel<<<grid, ASGML_K_BLOCK, 0, s>>>(rows, cols, dy, dbias);
    return cudaGetLastError();
}

cudaError_t asgml_k_segment_mean_forward(cudaStream_t s, int b, int t, int c, const float *x,
                                         float *y)
{
    int64_t n = (int64_t)b * c;
    unsigned grid = asgml_k_grid(n, 1);
    if (grid == 0 || t <= 0) return cudaSuccess;
    segment_mean_kernel<<<grid, ASGML_K_BLOCK, 0, s>>>(n, t, c, x, y);
    return cudaGetLastError();
}

} /* extern "C" */
