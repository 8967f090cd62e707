/* cpu/pool.c - max pooling (with argmax) and global average pooling.
 * Every (sample, channel) plane is handled by one OpenMP thread. */
#include <math.h>

#include "cpu.h"

static asgml_status check_pool(const asgml_pool2d_desc *d)
{
    if (d->n <= 0 || d->c <= 0 || d->h_in <= 0 || d->w_in <= 0 || d->k <= 0 || d->stride <= 0 ||
        d->pad < 0 || 2 * d->pad > d->k || d->h_out != (d->h_in + 2 * d->pad - d->k) / d->stride + 1 ||
        d->w_out != (d->w_in + 2 * d->pad - d->k) / d->stride + 1 || d->h_out <= 0 ||
        d->w_out <= 0)
        return asgml_error(ASGML_EINVAL,
                           "%s:%d: bad pool descriptor (n %d, c %d, %dx%d, k %d, stride %d, "
                           "pad %d, out %dx%d)",
                           __FILE__, __LINE__, d->n, d->c, d->h_in, d->w_in, d->k, d->stride,
                           d->pad, d->h_out, d->w_out);
    return ASGML_OK;
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
    for (int64_t q = 0; q < planes; q++) {
        const float *xp = x + q * in_hw;
        float *yp = y + q * out_hw;
        int32_t *ap = argmax + q * out_hw;
        for (int oh = 0; oh < d->h_out; oh++) {
            int h0 = oh * d->stride - d->pad, h1 = h0 + d->k;
            if (h0 < 0) h0 = 0;
            if (h1 > d->h_in) h1 = d->h_in;
            for (int ow = 0; ow < d->w_out; ow++) {
                int w0 = ow * d->stride - d->pad, w1 = w0 + d->k;
                if (w0 < 0) w0 = 0;
                if (w1 > d->w_in) w1 = d->w_in;
                int best = h0 * d->w_in + w0;
                float m = -INFINITY;
                /* !(v <= m) is v > m or v NaN; m is never NaN while looping */
                for (int h = h0; h < h1; h++) {
                    const float *xr = xp + h * d->w_in;
                    for (int w = w0; w < w1; w++) {
                        float v = xr[w];
                        if (__builtin_expect(!(v <= m), 0)) {
                            m = v;
                            best = h * d->w_in + w;
                            if (v != v) goto done;
                        }
                    }
                }
            done:
                yp[oh * d->w_out + ow] = m;
                ap[oh * d->w_out + ow] = best;
            }
        }
    }
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
        return asgml_error(ASGML_EINVAL, "%s:%d: maxpool argmax outside the input plane",
                           __FILE__, __LINE__);
    return ASGML_OK;
}

/* x (nc, hw) -> y (nc) mean over hw, summed in double */
asgml_status asgml_cpu_avgpool_forward(asgml_backend *be, int64_t nc, int64_t hw,
                                       const float *x, float *y)
{
    if (nc < 0 || hw <= 0)
        return asgml_error(ASGML_EINVAL, "%s:%d: bad avgpool shape (%lld, %lld)", __FILE__,
                           __LINE__, (long long)nc, (long long)hw);
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
        return asgml_error(ASGML_EINVAL, "%s:%d: bad avgpool shape (%lld, %lld)", __FILE__,
                           __LINE__, (long long)nc, (long long)hw);
    const float inv = 1.0f / (float)hw;
    int nt = asgml_cpu_threads(be);
#pragma omp parallel for num_threads(nt) schedule(static) if (nc * hw > 32768)
    for (int64_t q = 0; q < nc; q++) {
        float g = dy[q] * inv;
        for (int64_t k = 0; k < hw; k++) dx[q * hw + k] += g;
    }
    return ASGML_OK;
}
