/* SPDX-License-Identifier: MIT */
/* kernels_philox.cu - counter-based random numbers on the device: Gaussian
 * noise and dropout masks from the Philox4x32-10 stream of asgml/backend.h,
 * bit for bit the generator of backend.c (asgml_philox4x32), so a seed and
 * offset give the same numbers as on the CPU backend.
 *
 * Gaussian: element i uses counter block offset + i/2; one thread per block
 * writes elements 2j and 2j+1.  Box-Muller is evaluated in double as on the
 * host (u = (x + 1) 2^-32, r = sqrt(-2 ln u0), a = 2 pi u1); the device's
 * log/sin/cos are within 2 ulp of the host's in double, so after rounding
 * to float the values agree except in rare last-bit cases.
 * Uniform (dropout): element i uses word i % 4 of block offset + i/4; one
 * thread per block writes elements 4j..4j+3; u is formed in double and
 * rounded to float exactly as asgml_philox_uniform does. */
#include "kernels.h"

#define PHILOX_M0 0xD2511F53u
#define PHILOX_M1 0xCD9E8D57u
#define PHILOX_W0 0x9E3779B9u
#define PHILOX_W1 0xBB67AE85u

/* Philox4x32-10 with counter (ctr_lo, ctr_hi, 0, 0) and key (seed lo, hi) */
__device__ static void philox4x32_10(uint64_t seed, uint64_t counter, uint32_t out[4])
{
    uint32_t c0 = (uint32_t)counter, c1 = (uint32_t)(counter >> 32), c2 = 0, c3 = 0;
    uint32_t k0 = (uint32_t)seed, k1 = (uint32_t)(seed >> 32);
#pragma unroll
    for (int round = 0; round < 10; round++) {
        uint32_t lo0 = PHILOX_M0 * c0, hi0 = __umulhi(PHILOX_M0, c0);
        uint32_t lo1 = PHILOX_M1 * c2, hi1 = __umulhi(PHILOX_M1, c2);
        c0 = hi1 ^ c1 ^ k0;
        c1 = lo1;
        c2 = hi0 ^ c3 ^ k1;
        c3 = lo0;
        k0 += PHILOX_W0;
        k1 += PHILOX_W1;
    }
    out[0] = c0;
    out[1] = c1;
    out[2] = c2;
    out[3] = c3;
}

/* (x + 1) * 2^-32 in (0, 1], exact in double */
__device__ static double philox_unit(uint32_t x) { return ((double)x + 1.0) * (1.0 / 4294967296.0); }

__global__ static void gaussian_noise_kernel(int64_t n, float sigma, uint64_t seed,
                                             uint64_t offset, float *x)
{
    int64_t blocks = (n + 1) / 2;
    for (int64_t j = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; j < blocks;
         j += (int64_t)gridDim.x * blockDim.x) {
        uint32_t r4[4];
        philox4x32_10(seed, offset + (uint64_t)j, r4);
        double r = sqrt(-2.0 * log(philox_unit(r4[0])));
        double a = 2.0 * 3.14159265358979323846 * philox_unit(r4[1]);
        double sn, cs;
        sincos(a, &sn, &cs);
        int64_t i = 2 * j;
        /* no FMA contraction: the same two roundings as the host's x += sigma * z */
        x[i] = __fadd_rn(x[i], __fmul_rn(sigma, (float)(r * cs)));
        if (i + 1 < n) x[i + 1] = __fadd_rn(x[i + 1], __fmul_rn(sigma, (float)(r * sn)));
    }
}

__global__ static void dropout_forward_kernel(int64_t n, float p, float scale, uint64_t seed,
                                              uint64_t offset, const float *x, float *y,
                                              float *mask)
{
    int64_t blocks = (n + 3) / 4;
    for (int64_t j = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; j < blocks;
         j += (int64_t)gridDim.x * blockDim.x) {
        uint32_t r4[4];
        philox4x32_10(seed, offset + (uint64_t)j, r4);
#pragma unroll
        for (int w = 0; w < 4; w++) {
            int64_t i = 4 * j + w;
            if (i >= n) break;
            float u = (float)philox_unit(r4[w]);
            float m = u >= p ? scale : 0.0f;
            mask[i] = m;
            y[i] = x[i] * m;
        }
    }
}

extern "C" cudaError_t asgml_k_gaussian_noise(cudaStream_t s, int64_t n, float sigma,
                                              uint64_t seed, uint64_t offset, float *x)
{
    unsigned grid = asgml_k_grid((n + 1) / 2, 1);
    if (grid == 0) return cudaSuccess;
    gaussian_noise_kernel<<<grid, ASGML_K_BLOCK, 0, s>>>(n, sigma, seed, offset, x);
    return cudaGetLastError();
}

extern "C" cudaError_t asgml_k_dropout_forward(cudaStream_t s, int64_t n, float p, float scale,
                                               uint64_t seed, uint64_t offset, const float *x,
                                               float *y, float *mask)
{
    unsigned grid = asgml_k_grid((n + 3) / 4, 1);
    if (grid == 0) return cudaSuccess;
    dropout_forward_kernel<<<grid, ASGML_K_BLOCK, 0, s>>>(n, p, scale, seed, offset, x, y, mask);
    return cudaGetLastError();
}
