/* cpu/conv2d.c - 2-D convolution (no bias) as im2col + SGEMM.
 *
 * Shapes: x (n, c_in, h_in, w_in), w (c_out, K) with K = c_in*k_h*k_w (OIHW
 * flattened), y (n, c_out, P) with P = h_out*w_out.
 *
 * Several samples are lowered at once so the GEMMs are large even when P is
 * small (the late ResNet stages): a chunk of nb samples gives
 *   col (K, nb*P)        im2col of the chunk, sample j in columns [j*P, (j+1)*P)
 *   forward:         tmp (c_out, nb*P) = w (c_out, K) . col        -> scatter to y
 *   backward data:   dcol (K, nb*P) = w^T (K, c_out) . dyg (c_out, nb*P) -> col2im += dx
 *   backward filter: dw (c_out, K) += dyg (c_out, nb*P) . col^T
 * where dyg is dy gathered into (c_out, nb*P).  1x1 stride-1 unpadded
 * convolutions skip im2col: each sample is one GEMM on x itself.
 *
 * Parallelism: the GEMMs are split over the OpenMP threads by blocks of
 * output columns (asgml_cpu_sgemm); im2col, col2im and the gathers run
 * under OpenMP over (sample, channel) planes, each plane written by one
 * thread.  The filter gradient accumulates the chunks in order with
 * beta = 1, so results are deterministic for a fixed thread count. */
#include <string.h>

#include "cpu.h"


static asgml_status check_desc(const asgml_conv2d_desc *d)
{
    if (d->n <= 0 || d->c_in <= 0 || d->h_in <= 0 || d->w_in <= 0 || d->c_out <= 0 ||
        d->k_h <= 0 || d->k_w <= 0 || d->stride_h <= 0 || d->stride_w <= 0 || d->pad_h < 0 ||
        d->pad_w < 0 || d->h_out != (d->h_in + 2 * d->pad_h - d->k_h) / d->stride_h + 1 ||
        d->w_out != (d->w_in + 2 * d->pad_w - d->k_w) / d->stride_w + 1 || d->h_out <= 0 ||
        d->w_out <= 0)
        return asgml_error(ASGML_EINVAL,
                           "%s:%d: bad conv2d descriptor (n %d, c_in %d, %dx%d, c_out %d, "
                           "kernel %dx%d, stride %dx%d, pad %dx%d, out %dx%d)",
                           __FILE__, __LINE__, d->n, d->c_in, d->h_in, d->w_in, d->c_out, d->k_h,
                           d->k_w, d->stride_h, d->stride_w, d->pad_h, d->pad_w, d->h_out,
                           d->w_out);
    return ASGML_OK;
}

static int is_pointwise(const asgml_conv2d_desc *d)
{
    return d->k_h == 1 && d->k_w == 1 && d->stride_h == 1 && d->stride_w == 1 && d->pad_h == 0 &&
           d->pad_w == 0;
}

/* ceil(a / b) for b > 0 and any sign of a */
static int ceil_div(int a, int b) { return a >= 0 ? (a + b - 1) / b : -((-a) / b); }

/* Valid output range [lo, hi) along one axis for kernel offset kk: the
 * outputs o with 0 <= o*stride - pad + kk < in. */
static void valid_range(int kk, int stride, int pad, int in, int out, int *lo, int *hi)
{
    int a = ceil_div(pad - kk, stride), b = ceil_div(in + pad - kk, stride);
    *lo = a > 0 ? a : 0;
    *hi = b < out ? b : out;
    if (*hi < *lo) *hi = *lo;
}

/* im2col of one channel plane xc (h_in, w_in) into k_h*k_w rows of col,
 * each row starting ld floats after the previous, P floats used per row. */
static void im2col_plane(const asgml_conv2d_desc *d, const float *xc, float *col, size_t ld)
{
    const int s_h = d->stride_h, s_w = d->stride_w;
    for (int kh = 0; kh < d->k_h; kh++) {
        int oh_lo, oh_hi;
        valid_range(kh, s_h, d->pad_h, d->h_in, d->h_out, &oh_lo, &oh_hi);
        for (int kw = 0; kw < d->k_w; kw++) {
            int ow_lo, ow_hi;
            valid_range(kw, s_w, d->pad_w, d->w_in, d->w_out, &ow_lo, &ow_hi);
            float *row = col + (size_t)(kh * d->k_w + kw) * ld;
            if (oh_lo > 0) memset(row, 0, sizeof(float) * (size_t)oh_lo * d->w_out);
            for (int oh = oh_lo; oh < oh_hi; oh++) {
                float *dst = row + (size_t)oh * d->w_out;
                const float *src = xc + (size_t)(oh * s_h - d->pad_h + kh) * d->w_in +
                                   (kw - d->pad_w);
                for (int ow = 0; ow < ow_lo; ow++) dst[ow] = 0.0f;
                if (s_w == 1) {
                    memcpy(dst + ow_lo, src + ow_lo, sizeof(float) * (size_t)(ow_hi - ow_lo));
                } else {
                    for (int ow = ow_lo; ow < ow_hi; ow++) dst[ow] = src[ow * s_w];
                }
                for (int ow = ow_hi; ow < d->w_out; ow++) dst[ow] = 0.0f;
            }
            if (oh_hi < d->h_out)
                memset(row + (size_t)oh_hi * d->w_out, 0,
                       sizeof(float) * (size_t)(d->h_out - oh_hi) * d->w_out);
        }
    }
}

/* col2im of k_h*k_w rows of col (row stride ld) added into one plane dxc. */
static void col2im_plane(const asgml_conv2d_desc *d, const float *col, size_t ld, float *dxc)
{
    const int s_h = d->stride_h, s_w = d->stride_w;
    for (int kh = 0; kh < d->k_h; kh++) {
        int oh_lo, oh_hi;
        valid_range(kh, s_h, d->pad_h, d->h_in, d->h_out, &oh_lo, &oh_hi);
        for (int kw = 0; kw < d->k_w; kw++) {
            int ow_lo, ow_hi;
            valid_range(kw, s_w, d->pad_w, d->w_in, d->w_out, &ow_lo, &ow_hi);
            const float *row = col + (size_t)(kh * d->k_w + kw) * ld;
            for (int oh = oh_lo; oh < oh_hi; oh++) {
                const float *src = row + (size_t)oh * d->w_out;
                float *dst = dxc + (size_t)(oh * s_h - d->pad_h + kh) * d->w_in + (kw - d->pad_w);
                if (s_w == 1) {
                    for (int ow = ow_lo; ow < ow_hi; ow++) dst[ow] += src[ow];
                } else {
                    for (int ow = ow_lo; ow < ow_hi; ow++) dst[ow * s_w] += src[ow];
                }
            }
        }
    }
}

/* samples per chunk so that col (K, nb*P) and the (c_out, nb*P) buffer fit */
static int chunk_samples(const asgml_backend *be, const asgml_conv2d_desc *d)
{
    const asgml_cpu_impl *impl = be->impl;
    size_t k = (size_t)d->c_in * d->k_h * d->k_w, p = (size_t)d->h_out * d->w_out;
    size_t per = (k + (size_t)d->c_out) * p;
    size_t nb = impl->conv_budget / per;
    if (nb < 1) nb = 1;
    if (nb > (size_t)d->n) nb = (size_t)d->n;
    return (int)nb;
}

/* col (K, nb*P) <- im2col of samples [n0, n0+nb) */
static void im2col_chunk(const asgml_backend *be, const asgml_conv2d_desc *d, const float *x,
                         int n0, int nb, float *col)
{
    const size_t p = (size_t)d->h_out * d->w_out, hw = (size_t)d->h_in * d->w_in;
    const size_t ld = (size_t)nb * p, kk = (size_t)d->k_h * d->k_w;
    const int planes = nb * d->c_in;
    int nt = asgml_cpu_threads(be);
#pragma omp parallel for num_threads(nt) schedule(static) if (planes > 1)
    for (int q = 0; q < planes; q++) {
        int j = q / d->c_in, c = q % d->c_in;
        im2col_plane(d, x + ((size_t)(n0 + j) * d->c_in + c) * hw, col + (size_t)c * kk * ld + j * p,
                     ld);
    }
}

/* dst (c_out, nb*P) <- src (nb, c_out, P) for samples [n0, n0+nb) (gather),
 * or the reverse (scatter) */
static void gather_chunk(const asgml_backend *be, const asgml_conv2d_desc *d, int nb,
                         const float *src, float *dst, int scatter)
{
    const size_t p = (size_t)d->h_out * d->w_out, ld = (size_t)nb * p;
    const int rows = nb * d->c_out;
    int nt = asgml_cpu_threads(be);
#pragma omp parallel for num_threads(nt) schedule(static) if ((size_t)rows * p > 32768)
    for (int q = 0; q < rows; q++) {
        int j = q / d->c_out, co = q % d->c_out;
        float *packed = (float *)(scatter ? src : dst) + (size_t)co * ld + (size_t)j * p;
        float *nchw = (float *)(scatter ? dst : src) + ((size_t)j * d->c_out + co) * p;
        if (scatter)
            memcpy(nchw, packed, sizeof(float) * p);
        else
            memcpy(packed, nchw, sizeof(float) * p);
    }
}

asgml_status asgml_cpu_conv2d_forward(asgml_backend *be, const asgml_conv2d_desc *d,
                                      const float *x, const float *w, float *y)
{
    asgml_status st = check_desc(d);
    if (st) return st;
    const int K = d->c_in * d->k_h * d->k_w, P = d->h_out * d->w_out;
    if (is_pointwise(d)) {
        /* y_n (c_out, P) = w (c_out, c_in) . x_n (c_in, P) */
        for (int i = 0; i < d->n; i++)
            asgml_cpu_sgemm(be, 0, 0, d->c_out, P, K, 1.0f, w, K,
                        x + (size_t)i * K * P, P, 0.0f, y + (size_t)i * d->c_out * P, P);
        return ASGML_OK;
    }
    const int nb_max = chunk_samples(be, d);
    float *ws;
    st = asgml_cpu_workspace(be, (size_t)(K + d->c_out) * nb_max * P, &ws);
    if (st) return st;
    float *col = ws, *tmp = ws + (size_t)K * nb_max * P;
    for (int n0 = 0; n0 < d->n; n0 += nb_max) {
        int nb = d->n - n0 < nb_max ? d->n - n0 : nb_max;
        int ld = nb * P;
        float *yn = y + (size_t)n0 * d->c_out * P;
        im2col_chunk(be, d, x, n0, nb, col);
        /* one sample: write straight into y, whose layout is then (c_out, P) */
        asgml_cpu_sgemm(be, 0, 0, d->c_out, ld, K, 1.0f, w, K, col,
                    ld, 0.0f, nb == 1 ? yn : tmp, ld);
        if (nb > 1) gather_chunk(be, d, nb, tmp, yn, 1);
    }
    return ASGML_OK;
}

asgml_status asgml_cpu_conv2d_backward_data(asgml_backend *be, const asgml_conv2d_desc *d,
                                            const float *dy, const float *w, float *dx)
{
    asgml_status st = check_desc(d);
    if (st) return st;
    const int K = d->c_in * d->k_h * d->k_w, P = d->h_out * d->w_out;
    if (is_pointwise(d)) {
        /* dx_n (c_in, P) += w^T (c_in, c_out) . dy_n (c_out, P) */
        for (int i = 0; i < d->n; i++)
            asgml_cpu_sgemm(be, 1, 0, K, P, d->c_out, 1.0f, w, K,
                        dy + (size_t)i * d->c_out * P, P, 1.0f, dx + (size_t)i * K * P, P);
        return ASGML_OK;
    }
    const int nb_max = chunk_samples(be, d);
    float *ws;
    st = asgml_cpu_workspace(be, (size_t)(K + d->c_out) * nb_max * P, &ws);
    if (st) return st;
    float *dcol = ws, *dyg = ws + (size_t)K * nb_max * P;
    const size_t hw = (size_t)d->h_in * d->w_in, kk = (size_t)d->k_h * d->k_w;
    int nt = asgml_cpu_threads(be);
    for (int n0 = 0; n0 < d->n; n0 += nb_max) {
        int nb = d->n - n0 < nb_max ? d->n - n0 : nb_max;
        int ld = nb * P;
        const float *dyn = dy + (size_t)n0 * d->c_out * P;
        if (nb > 1) gather_chunk(be, d, nb, dyn, dyg, 0);
        asgml_cpu_sgemm(be, 1, 0, K, ld, d->c_out, 1.0f, w, K,
                    nb == 1 ? dyn : dyg, ld, 0.0f, dcol, ld);
        const int planes = nb * d->c_in;
#pragma omp parallel for num_threads(nt) schedule(static) if (planes > 1)
        for (int q = 0; q < planes; q++) {
            int j = q / d->c_in, c = q % d->c_in;
            col2im_plane(d, dcol + (size_t)c * kk * ld + (size_t)j * P, ld,
                         dx + ((size_t)(n0 + j) * d->c_in + c) * hw);
        }
    }
    return ASGML_OK;
}

asgml_status asgml_cpu_conv2d_backward_filter(asgml_backend *be, const asgml_conv2d_desc *d,
                                              const float *x, const float *dy, float *dw)
{
    asgml_status st = check_desc(d);
    if (st) return st;
    const int K = d->c_in * d->k_h * d->k_w, P = d->h_out * d->w_out;
    const int pointwise = is_pointwise(d);
    const int nb_max = chunk_samples(be, d);
    float *ws;
    /* pointwise: only dyg and the x gather (c_in = K rows) are needed */
    st = asgml_cpu_workspace(be, (size_t)(K + d->c_out) * nb_max * P, &ws);
    if (st) return st;
    float *col = ws, *dyg = ws + (size_t)K * nb_max * P;
    for (int n0 = 0; n0 < d->n; n0 += nb_max) {
        int nb = d->n - n0 < nb_max ? d->n - n0 : nb_max;
        int ld = nb * P;
        const float *dyn = dy + (size_t)n0 * d->c_out * P;
        const float *xn = x + (size_t)n0 * K * P;
        const float *a = dyn, *b = xn;
        if (nb > 1) {
            gather_chunk(be, d, nb, dyn, dyg, 0);
            a = dyg;
        }
        if (!pointwise) {
            im2col_chunk(be, d, x, n0, nb, col);
            b = col;
        } else if (nb > 1) {
            /* x chunk (nb, c_in, P) -> (c_in, nb*P): the same gather with c_in rows */
            asgml_conv2d_desc dx_as_dy = *d;
            dx_as_dy.c_out = d->c_in;
            gather_chunk(be, &dx_as_dy, nb, xn, col, 0);
            b = col;
        }
        /* dw (c_out, K) += a (c_out, nb*P) . b^T (nb*P, K) */
        asgml_cpu_sgemm(be, 0, 1, d->c_out, K, ld, 1.0f, a, ld, b, ld,
                    1.0f, dw, K);
    }
    return ASGML_OK;
}
