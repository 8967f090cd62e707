/* SPDX-License-Identifier: MIT */
/* kernels_loss.cu - softmax cross-entropy over logits (b, c), one warp per
 * row: max, sum of exponentials (double), probabilities, the row loss
 * -log p[y] = log sum exp(x - max) - (x[y] - max) (double), and
 * dlogits += grad_scale * (p - onehot(y)).  A second one-thread kernel sums
 * the b row losses in row order (deterministic) and counts rows whose
 * label lies outside [0, c), so the host can report them. */
#include <math.h>

#include "kernels.h"

#define ROWS_PER_BLOCK (ASGML_K_BLOCK / 32)

__device__ static float warp_max(float v)
{
    for (int off = 16; off > 0; off >>= 1) v = fmaxf(v, __shfl_xor_sync(0xffffffffu, v, off));
    return v;
}

__device__ static double warp_sum(double v)
{
    for (int off = 16; off > 0; off >>= 1) v += __shfl_xor_sync(0xffffffffu, v, off);
    return v;
}

/* row_loss (2b): [0, b) losses, [b, 2b) 1.0 where the label is invalid */
__global__ static void softmax_ce_kernel(int b, int c, const float *logits,
                                         const int32_t *labels, float grad_scale, float *probs,
                                         float *losses, float *dlogits, double *row_loss)
{
    int lane = threadIdx.x & 31;
    int row = blockIdx.x * ROWS_PER_BLOCK + (threadIdx.x >> 5);
    if (row >= b) return;   /* whole warps leave together */
    const float *x = logits + (int64_t)row * c;
    int32_t y = labels[row];
    int valid = y >= 0 && y < c;

    float mx = -INFINITY;
    for (int j = lane; j < c; j += 32) mx = fmaxf(mx, x[j]);
    mx = warp_max(mx);
    double sum = 0.0;
    for (int j = lane; j < c; j += 32) sum += exp((double)x[j] - (double)mx);
    sum = warp_sum(sum);
    double inv = 1.0 / sum;

    for (int j = lane; j < c; j += 32) {
        float p = (float)(exp((double)x[j] - (double)mx) * inv);
        if (probs) probs[(int64_t)row * c + j] = p;
        if (dlogits && valid)
            dlogits[(int64_t)row * c + j] += grad_scale * (p - (j == y ? 1.0f : 0.0f));
    }
    if (lane == 0) {
        double loss = valid ? log(sum) - ((double)x[y] - (double)mx) : 0.0;
        if (losses) losses[row] = (float)loss;
        row_loss[row] = loss;
        row_loss[b + row] = valid ? 0.0 : 1.0;
    }
}

__global__ static void softmax_ce_finish_kernel(int b, const double *row_loss, double *out)
{
    double sum = 0.0, bad = 0.0, first = -1.0;
    for (int r = 0; r < b; r++) {
        sum += row_loss[r];
        if (row_loss[b + r] != 0.0) {
            if (bad == 0.0) first = (double)r;
            bad += 1.0;
        }
    }
    out[0] = sum;
    out[1] = bad;
    out[2] = first;
}

extern "C" cudaError_t asgml_k_softmax_ce(cudaStream_t s, int b, int c, const float *logits,
                                          const int32_t *labels, float grad_scale,
                                          float *probs, float *losses, float *dlogits,
                                          double *row_loss, double *out_dev)
{
    if (b <= 0 || c <= 0) return cudaMemsetAsync(out_dev, 0, 3 * sizeof *out_dev, s);
    unsigned grid = (unsigned)((b + ROWS_PER_BLOCK - 1) / ROWS_PER_BLOCK);
    softmax_ce_kernel<<<grid, ASGML_K_BLOCK, 0, s>>>(b, c, logits, labels, grad_scale, probs,
                                                     losses, dlogits, row_loss);
    cudaError_t e = cudaGetLastError();
    if (e != cudaSuccess) return e;
    softmax_ce_finish_kernel<<<1, 1, 0, s>>>(b, row_loss, out_dev);
    return cudaGetLastError();
}
