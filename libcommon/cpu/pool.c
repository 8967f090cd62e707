/* SPDX-License-Identifier: MIT */
/* cpu/pool.c - max pooling (with argmax) and global average pooling.
 * Every (sample, channel) plane is handled by one OpenMP thread. */
#include <math.h>
#include <string.h>

#include "core/error.h"
#include "cpu.h"

static asgml_status check_pool(const asgml_pool2d_desc *d)
{
    if (d->n <= 0 || d->c <= 0 || d->h_in <= 0 || d->w_in <= 0 || d->k <= 0 || d->stride <= 0 ||
        d->pad < 0 || 2 * d->pad > d->k || d->h_out != (d->h_in + 2 * d->pad - d->k) / d->stride + 1 ||
        d->w_out != (d->w_in + 2 * d->pad - d->k) / d->stride + 1 || d->h_out <= 0 ||
        d->w_out <= 0)
        return ASGML_ERR(ASGML_EINVAL,
                           "bad pool descriptor (n %d, c %d, %dx%d, k %d, stride %d, "
                           "pad %d, out %dx%d)", d->n, d->c, d->h_in, d->w_in, d->k, d->stride,
                           d->pad, d->h_out, d->w_out);
    return ASGML_OK;
}

#define POOL_CHUNK 256 /* outputs of a row handled at once */

/* One plane: xp (h_in, w_in) -> yp, ap (h_out, w_out).  For each output
 * row, the window taps are visited in row-major order (h, then kw), each
 * over a run of outputs, with a compare-and-select instead of a branch:
 * the strict > keeps the first maximum, and a NaN is taken once (when the
 * maximum so far is not NaN) and then kept. */
#define POOL_ROW 2048 /* the longest row stride 2 de-interleaves */

ASGML_CPU_SIMD static void maxpool_plane(const asgml_pool2d_desc *d, const float *xp, float *yp, int32_t *ap)
{
    const int s = d->stride, wi = d->w_in;
    float m[POOL_CHUNK];
    int32_t b[POOL_CHUNK];
    /* stride 2: each row's even and odd columns de-interleaved first, so
     * that every tap reads contiguous floats (the strided loads were
     * assembled one float at a time: perf, ResNet18's stem pool) */
    const int two = s == 2 && wi <= POOL_ROW, half = (wi + 1) / 2;
    float ph[POOL_ROW + 2]; /* ph[j] = x[2j], ph[half + j] = x[2j + 1] */
    for (int oh = 0; oh < d->h_out; oh++) {
        int h0 = oh * s - d->pad, h1 = h0 + d->k;
        if (h0 < 0) h0 = 0;
        if (h1 > d->h_in) h1 = d->h_in;
        for (int c0 = 0; c0 < d->w_out; c0 += POOL_CHUNK) {
            const int c1 = d->w_out - c0 < POOL_CHUNK ? d->w_out : c0 + POOL_CHUNK;
            for (int ow = c0; ow < c1; ow++) {
                const int w0 = ow * s - d->pad;
                m[ow - c0] = -INFINITY;
                b[ow - c0] = h0 * wi + (w0 > 0 ? w0 : 0);
            }
            for (int h = h0; h < h1; h++) {
                const float *xr = xp + (size_t)h * wi;
                if (two) asgml_cpu_deinterleave2(xr, wi, ph);
                for (int kw = 0; kw < d->k; kw++) {
                    /* outputs whose tap kw is inside the row */
                    int lo, hi;
                    asgml_cpu_valid_range(kw, s, d->pad, wi, d->w_out, &lo, &hi);
                    if (lo < c0) lo = c0;
                    if (hi > c1) hi = c1;
                    if (two) {
                        const int q = kw - d->pad, base = asgml_cpu_phase2(q, half);
#pragma omp simd
                        for (int ow = lo; ow < hi; ow++) {
                            const float v = ph[base + ow], cur = m[ow - c0];
                            const int take = (v > cur) | ((v != v) & (cur == cur));
                            m[ow - c0] = take ? v : cur;
                            b[ow - c0] = take ? h * wi + 2 * ow + q : b[ow - c0];
                        }
                        continue;
                    }
#pragma omp simd
                    for (int ow = lo; ow < hi; ow++) {
                        const int w = ow * s - d->pad + kw;
                        const float v = xr[w], cur = m[ow - c0];
                        const int take = (v > cur) | ((v != v) & (cur == cur));
                        m[ow - c0] = take ? v : cur;
                        b[ow - c0] = take ? h * wi + w : b[ow - c0];
                    }
                }
            }
            memcpy(yp + (size_t)oh * d->w_out + c0, m, sizeof(float) * (size_t)(c1 - c0));
            memcpy(ap + (size_t)oh * d->w_out + c0, b, sizeof(int32_t) * (size_t)(c1 - c0));
        }
    }
}

/* x (n, c, h_in, w_in) -> y (n, c, h_out, w_out); argmax holds h*w_in + w of
 * the maximum inside its plane.  Like PyTorch, the first maximum in
 * row-major window order wins and a NaN propagates. */
asgml_status asgml_cpu_maxpool_forward(asgml_backend *be, const asgml_pool2d_desc *d,
                                       const float *x, float *y, int32_t *argmax)
{
    asgml_status st = check_pool(d);
    if (st) return st;
    const int64_t planes = (int64_t)d->n * d->c;
    const size_t in_hw = (size_t)d->h_in * d->w_in, out_hw = (size_t)d->h_out * d->w_out;
    int nt = asgml_cpu_threads(be);
#pragma omp parallel for num_threads(nt) schedule(static) if (planes * (int64_t)out_hw > 8192)
    for (int64_t q = 0; q < planes; q++)
        maxpool_plane(d, x + q * in_hw, y + q * out_hw, argmax + q * out_hw);
    return ASGML_OK;
}

asgml_status asgml_cpu_maxpool_backward(asgml_backend *be, const asgml_pool2d_desc *d,
                                        const float *dy, const int32_t *argmax, float *dx)
{
    asgml_status st = check_pool(d);
    if (st) return st;
    const int64_t planes = (int64_t)d->n * d->c;
    const size_t in_hw = (size_t)d->h_in * d->w_in, out_hw = (size_t)d->h_out * d->w_out;
    int nt = asgml_cpu_threads(be);
    int bad = 0;
#pragma omp parallel for num_threads(nt) schedule(static) reduction(| : bad) if (planes * (int64_t)out_hw > 8192)
    for (int64_t q = 0; q < planes; q++) {
        const float *dyp = dy + q * out_hw;
        const int32_t *ap = argmax + q * out_hw;
        float *dxp = dx + q * in_hw;
        for (size_t o = 0; o < out_hw; o++) {
            int32_t a = ap[o];
            if (a < 0 || (size_t)a >= in_hw) {
                bad = 1;
                continue;
            }
            dxp[a] += dyp[o];
        }
    }
    if (bad)
        return ASGML_ERR(ASGML_EINVAL, "maxpool argmax outside the input plane");
    return ASGML_OK;
}

/* x (nc, hw) -> y (nc) mean over hw, summed in double */
asgml_status asgml_cpu_avgpool_forward(asgml_backend *be, int64_t nc, int64_t hw,
                                       const float *x, float *y)
{
    if (nc < 0 || hw <= 0)
        return ASGML_ERR(ASGML_EINVAL, "bad avgpool shape (%lld, %lld)", (long long)nc, (long long)hw);
    int nt = asgml_cpu_threads(be);
#pragma omp parallel for num_threads(nt) schedule(static) if (nc * hw > 32768)
    for (int64_t q = 0; q < nc; q++) {
        double s = 0.0;
        for (int64_t k = 0; k < hw; k++) s += x[q * hw + k];
        y[q] = (float)(s / (double)hw);
    }
    return ASGML_OK;
}

/* dx (nc, hw) += dy (nc) / hw */
asgml_status asgml_cpu_avgpool_backward(asgml_backend *be, int64_t nc, int64_t hw,
                                        const float *dy, float *dx)
{
    if (nc < 0 || hw <= 0)
        return ASGML_ERR(ASGML_EINVAL, "bad avgpool shape (%lld, %lld)", (long long)nc, (long long)hw);
    const float inv = 1.0f / (float)hw;
    int nt = asgml_cpu_threads(be);
#pragma omp parallel for num_threads(nt) schedule(static) if (nc * hw > 32768)
    for (int64_t q = 0; q < nc; q++) {
        float g = dy[q] * inv;
        for (int64_t k = 0; k < hw; k++) dx[q * hw + k] += g;
    }
    return ASGML_OK;
}
