/* SPDX-License-Identifier: MIT */
/* cpu/conv2d.c - 2-D convolution (no bias) as im2col + SGEMM.
 *
 * Shapes: x (n, c_in, h_in, w_in), w (c_out, K) with K = c_in*k_h*k_w (OIHW
 * flattened; fewer taps when pruned, below), y (n, c_out, P) with P = h_out*w_out.
 *
 * Work is cut into pieces of "cols" GEMM columns: either nb >= 1 whole
 * samples (cols = nb*P) or, for one large sample, a band of output rows
 * [oh0, oh1) (cols = (oh1-oh0)*w_out).  For a piece:
 *   col (K, cols)    im2col of the piece
 *   forward:         y_piece (c_out, cols) = w (c_out, K) . col
 *   backward data:   dcol (K, cols) = w^T (K, c_out) . dy_piece -> col2im += dx
 *   backward filter: dw (c_out, K) += dy_piece (c_out, cols) . col^T
 * A band of one sample reads/writes y and dy in place (leading dimension P);
 * several samples go through a (c_out, nb*P) buffer (scatter / gather).
 * Pieces are sized so that col stays cache-sized (COL_TARGET floats) while
 * the GEMMs keep at least MIN_COLS columns, within the scratch budget.
 * K counts only the kernel taps that touch the image for some output (see
 * find_taps: small planes prune taps that read only padding), and
 * whole-sample pieces of small planes are gathered through an offset table
 * (build_table) rather than row by row.
 * 1x1 stride-1 unpadded convolutions skip im2col: each sample is one GEMM
 * on x itself.  3x3 stride-1 pad-1 convolutions go to Winograd F(m x m,3x3)
 * (winograd.c) where the algorithm chosen for their shape (conv_algo.c)
 * says so.
 *
 * Parallelism: when the batch has at least as many samples as threads,
 * each OpenMP thread owns a fixed contiguous range of samples and runs
 * im2col, single-threaded SGEMM and col2im on its own scratch (no barrier
 * between the steps, the data stays in the thread's cache).  The filter
 * gradient of thread t > 0 goes to a private (c_out, K) buffer; thread 0
 * accumulates into dw, and the private sums are then added in thread order.
 * With fewer samples than threads the pieces run in order and each GEMM is
 * split over the threads by columns (asgml_cpu_sgemm).  Either way the
 * result depends only on the shapes and the thread count. */
#include <cblas.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "cpu.h"

#ifdef _OPENMP
#include <omp.h>
#endif

/* im2col columns of a piece: aim for this many floats per thread ... */
#define COL_TARGET ((size_t)1 << 19)
/* ... but give the GEMM at least this many columns */
#define MIN_COLS 256
/* whole-sample pieces of planes with at most this many (tap, output)
 * pairs use a gather table for im2col/col2im instead of row copies */
#define TABLE_MAX 16384
/* backward filter: at least this many columns per output channel */
#define BFILT_COLS_PER_CO 4

static asgml_status check_desc(const asgml_conv2d_desc *d)
{
    if (d->n <= 0 || d->c_in <= 0 || d->h_in <= 0 || d->w_in <= 0 || d->c_out <= 0 ||
        d->k_h <= 0 || d->k_w <= 0 || d->stride_h <= 0 || d->stride_w <= 0 || d->pad_h < 0 ||
        d->pad_w < 0 || d->h_out != (d->h_in + 2 * d->pad_h - d->k_h) / d->stride_h + 1 ||
        d->w_out != (d->w_in + 2 * d->pad_w - d->k_w) / d->stride_w + 1 || d->h_out <= 0 ||
        d->w_out <= 0)
        return ASGML_ERR(ASGML_EINVAL,
                           "bad conv2d descriptor (n %d, c_in %d, %dx%d, c_out %d, "
                           "kernel %dx%d, stride %dx%d, pad %dx%d, out %dx%d)", d->n, d->c_in, d->h_in, d->w_in, d->c_out, d->k_h,
                           d->k_w, d->stride_h, d->stride_w, d->pad_h, d->pad_w, d->h_out,
                           d->w_out);
    return ASGML_OK;
}

static int is_pointwise(const asgml_conv2d_desc *d)
{
    return d->k_h == 1 && d->k_w == 1 && d->stride_h == 1 && d->stride_w == 1 && d->pad_h == 0 &&
           d->pad_w == 0;
}

/* The kernel taps that touch the image for at least one output: rows
 * [kh0, kh1) by columns [kw0, kw1) (a rectangle: the valid taps of an axis
 * are an interval).  On small planes the others read only padding -- a 3x3
 * pad-1 conv of a 1x1 plane uses its centre tap alone -- so im2col, the
 * GEMMs and col2im run over these taps only, with the filter (c_out, c_in,
 * k_h, k_w) gathered into (c_out, c_in*nkh*nkw) and, for the filter
 * gradient, scattered back. */
typedef struct taps {
    int kh0, kh1, kw0, kw1;
} taps;

static void tap_axis(int k, int stride, int pad, int in, int out, int *k0, int *k1)
{
    *k0 = k;
    *k1 = 0;
    for (int kk = 0; kk < k; kk++) {
        int lo, hi;
        asgml_cpu_valid_range(kk, stride, pad, in, out, &lo, &hi);
        if (hi > lo) {
            if (kk < *k0) *k0 = kk;
            *k1 = kk + 1;
        }
    }
    if (*k1 <= *k0) *k0 = 0, *k1 = 1; /* cannot happen for a valid descriptor */
}

static void find_taps(const asgml_conv2d_desc *d, taps *tp)
{
    tap_axis(d->k_h, d->stride_h, d->pad_h, d->h_in, d->h_out, &tp->kh0, &tp->kh1);
    tap_axis(d->k_w, d->stride_w, d->pad_w, d->w_in, d->w_out, &tp->kw0, &tp->kw1);
}

static int taps_pruned(const asgml_conv2d_desc *d, const taps *tp)
{
    return tp->kh1 - tp->kh0 < d->k_h || tp->kw1 - tp->kw0 < d->k_w;
}

/* The used taps of a full (c_out, c_in, k_h, k_w) filter <-> the gathered
 * (c_out, c_in*nkh*nkw) one: to_full 0 gathers src (full) into dst, 1
 * writes src (gathered) over the used taps of dst (full; the other taps
 * are left alone). */
static void taps_copy(const asgml_conv2d_desc *d, const taps *tp, const float *src, float *dst,
                      int to_full)
{
    size_t j = 0;
    for (int o = 0; o < d->c_out; o++)
        for (int c = 0; c < d->c_in; c++)
            for (int kh = tp->kh0; kh < tp->kh1; kh++)
                for (int kw = tp->kw0; kw < tp->kw1; kw++, j++) {
                    const size_t i = (((size_t)o * d->c_in + c) * d->k_h + kh) * d->k_w + kw;
                    if (to_full)
                        dst[i] = src[j];
                    else
                        dst[j] = src[i];
                }
}

/* im2col of output rows [oh0, oh1) of one channel plane xc (h_in, w_in) into
 * k_h*k_w rows of col, each row starting ld floats after the previous,
 * (oh1-oh0)*w_out floats used per row. */
/* the output rows [lo, hi) of the band [oh0, oh1) whose tap row kh lies
 * inside the image (lo <= hi) */
static void tap_rows(const asgml_conv2d_desc *d, int kh, int oh0, int oh1, int *lo, int *hi)
{
    asgml_cpu_valid_range(kh, d->stride_h, d->pad_h, d->h_in, d->h_out, lo, hi);
    if (*lo < oh0) *lo = oh0;
    if (*hi > oh1) *hi = oh1;
    if (*hi < *lo) *hi = *lo;
}

#define IM2COL_ROW 4096 /* the longest input row im2col_plane_s2 takes */

/* im2col_plane for column stride 2: each input row is de-interleaved once
 * into its even and odd columns, and every tap's row is then one memcpy
 * from a phase (the strided loads were assembled a float at a time: perf,
 * ResNet18's 7x7 stem); the same floats as im2col_plane */
ASGML_CPU_SIMD static void im2col_plane_s2(const asgml_conv2d_desc *d, const taps *tp,
                                           const float *xc, int oh0, int oh1, float *col,
                                           size_t ld)
{
    const int s_h = d->stride_h, wo = d->w_out, wi = d->w_in, half = (wi + 1) / 2;
    const int nkw = tp->kw1 - tp->kw0;
    float ph[IM2COL_ROW + 2]; /* ph[j] = row[2j], ph[half + j] = row[2j + 1] */
    for (int kh = tp->kh0; kh < tp->kh1; kh++) {
        int oh_lo, oh_hi;
        tap_rows(d, kh, oh0, oh1, &oh_lo, &oh_hi);
        float *rows = col + (size_t)((kh - tp->kh0) * nkw) * ld - (size_t)oh0 * wo;
        for (int kw = tp->kw0; kw < tp->kw1; kw++) {
            float *row = rows + (size_t)(kw - tp->kw0) * ld;
            if (oh_lo > oh0)
                memset(row + (size_t)oh0 * wo, 0, sizeof(float) * (size_t)(oh_lo - oh0) * wo);
            if (oh_hi < oh1)
                memset(row + (size_t)oh_hi * wo, 0, sizeof(float) * (size_t)(oh1 - oh_hi) * wo);
        }
        for (int oh = oh_lo; oh < oh_hi; oh++) {
            asgml_cpu_deinterleave2(xc + (size_t)(oh * s_h - d->pad_h + kh) * wi, wi, ph);
            for (int kw = tp->kw0; kw < tp->kw1; kw++) {
                int ow_lo, ow_hi;
                asgml_cpu_valid_range(kw, 2, d->pad_w, wi, wo, &ow_lo, &ow_hi);
                const int base = asgml_cpu_phase2(kw - d->pad_w, half);
                float *dst = rows + (size_t)(kw - tp->kw0) * ld + (size_t)oh * wo;
                for (int ow = 0; ow < ow_lo; ow++) dst[ow] = 0.0f;
                if (ow_hi > ow_lo)
                    memcpy(dst + ow_lo, ph + base + ow_lo, sizeof(float) * (size_t)(ow_hi - ow_lo));
                for (int ow = ow_hi > ow_lo ? ow_hi : ow_lo; ow < wo; ow++) dst[ow] = 0.0f;
            }
        }
    }
}

static void im2col_plane(const asgml_conv2d_desc *d, const taps *tp, const float *xc, int oh0,
                         int oh1, float *col, size_t ld)
{
    const int s_h = d->stride_h, s_w = d->stride_w, wo = d->w_out;
    const int nkw = tp->kw1 - tp->kw0;
    if (s_w == 2 && d->w_in <= IM2COL_ROW) {
        im2col_plane_s2(d, tp, xc, oh0, oh1, col, ld);
        return;
    }
    for (int kh = tp->kh0; kh < tp->kh1; kh++) {
        int oh_lo, oh_hi;
        tap_rows(d, kh, oh0, oh1, &oh_lo, &oh_hi);
        for (int kw = tp->kw0; kw < tp->kw1; kw++) {
            int ow_lo, ow_hi;
            asgml_cpu_valid_range(kw, s_w, d->pad_w, d->w_in, wo, &ow_lo, &ow_hi);
            float *row = col + (size_t)((kh - tp->kh0) * nkw + kw - tp->kw0) * ld -
                         (size_t)oh0 * wo;
            if (oh_lo > oh0)
                memset(row + (size_t)oh0 * wo, 0, sizeof(float) * (size_t)(oh_lo - oh0) * wo);
            for (int oh = oh_lo; oh < oh_hi; oh++) {
                float *dst = row + (size_t)oh * wo;
                const float *src = xc + (size_t)(oh * s_h - d->pad_h + kh) * d->w_in +
                                   (kw - d->pad_w);
                for (int ow = 0; ow < ow_lo; ow++) dst[ow] = 0.0f;
                if (s_w == 1) {
                    memcpy(dst + ow_lo, src + ow_lo, sizeof(float) * (size_t)(ow_hi - ow_lo));
                } else {
                    for (int ow = ow_lo; ow < ow_hi; ow++) dst[ow] = src[ow * s_w];
                }
                for (int ow = ow_hi; ow < wo; ow++) dst[ow] = 0.0f;
            }
            if (oh_hi < oh1)
                memset(row + (size_t)oh_hi * wo, 0, sizeof(float) * (size_t)(oh1 - oh_hi) * wo);
        }
    }
}

/* col2im of output rows [oh0, oh1): k_h*k_w rows of col (row stride ld)
 * added into one plane dxc. */
static void col2im_plane(const asgml_conv2d_desc *d, const taps *tp, const float *col,
                         size_t ld, int oh0, int oh1, float *dxc)
{
    const int s_h = d->stride_h, s_w = d->stride_w, wo = d->w_out;
    const int nkw = tp->kw1 - tp->kw0;
    for (int kh = tp->kh0; kh < tp->kh1; kh++) {
        int oh_lo, oh_hi;
        asgml_cpu_valid_range(kh, s_h, d->pad_h, d->h_in, d->h_out, &oh_lo, &oh_hi);
        if (oh_lo < oh0) oh_lo = oh0;
        if (oh_hi > oh1) oh_hi = oh1;
        for (int kw = tp->kw0; kw < tp->kw1; kw++) {
            int ow_lo, ow_hi;
            asgml_cpu_valid_range(kw, s_w, d->pad_w, d->w_in, wo, &ow_lo, &ow_hi);
            const float *row = col + (size_t)((kh - tp->kh0) * nkw + kw - tp->kw0) * ld -
                               (size_t)oh0 * wo;
            for (int oh = oh_lo; oh < oh_hi; oh++) {
                const float *src = row + (size_t)oh * wo;
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

enum { CONV_FWD, CONV_BDATA, CONV_BFILT };

/* How the work is cut (see the top of the file). */
typedef struct plan {
    taps tp;         /* the taps used; K counts only these */
    const int32_t *tab; /* whole-sample pieces of a small plane: (ntaps, P)
                           source offsets in the input plane, -1 for padding */
    int K, P;
    int nt;          /* threads owning sample ranges (1: sequential, split GEMMs) */
    int nb;          /* samples per piece (>= 1) */
    int rows;        /* output rows per piece when nb == 1 (h_out: whole samples) */
    size_t cols;     /* max GEMM columns of a piece */
    size_t per;      /* scratch floats per thread: col (K, cols) + buf (c_out, cols) */
} plan;

static void make_plan(const asgml_backend *be, const asgml_conv2d_desc *d, int kind, plan *pl)
{
    const asgml_cpu_impl *impl = be->impl;
    find_taps(d, &pl->tp);
    const size_t K = (size_t)d->c_in * (pl->tp.kh1 - pl->tp.kh0) * (pl->tp.kw1 - pl->tp.kw0);
    const size_t P = (size_t)d->h_out * d->w_out;
    int nt = asgml_cpu_threads(be);
    if (nt > d->n) nt = 1;
    size_t cols = COL_TARGET / K;
    if (cols < MIN_COLS) cols = MIN_COLS;
    /* the filter gradient (c_out, K) is read and written by every piece:
     * long pieces (a deep GEMM k dimension) amortise that */
    if (kind == CONV_BFILT && cols < BFILT_COLS_PER_CO * (size_t)d->c_out)
        cols = BFILT_COLS_PER_CO * (size_t)d->c_out;
    size_t budget_cols = impl->conv_budget / (size_t)nt / (K + (size_t)d->c_out);
    if (cols > budget_cols) cols = budget_cols;
    if (cols < (size_t)d->w_out) cols = d->w_out; /* at least one output row */
    pl->K = (int)K;
    pl->P = (int)P;
    pl->nt = nt;
    if (cols >= P) {
        size_t per_thread = ((size_t)d->n + nt - 1) / nt;
        size_t nb = cols / P;
        pl->nb = (int)(nb < per_thread ? nb : per_thread);
        pl->rows = d->h_out;
        pl->cols = (size_t)pl->nb * P;
    } else {
        pl->nb = 1;
        pl->rows = (int)(cols / (size_t)d->w_out);
        pl->cols = (size_t)pl->rows * d->w_out;
    }
    pl->per = (K + (size_t)d->c_out) * pl->cols;
}

/* C (m, n) = alpha op(A) op(B) + beta C: inside a thread's range one BLAS
 * call, in the sequential case split over the threads. */
static void piece_gemm(const asgml_backend *be, int seq, int ta, int tb, int m, int n, int k,
                       const float *a, int lda, const float *b, int ldb, float beta, float *c,
                       int ldc)
{
    if (seq)
        asgml_cpu_sgemm(be, ta, tb, m, n, k, 1.0f, a, lda, b, ldb, beta, c, ldc);
    else
        cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans,
                    m, n, k, 1.0f, a, lda, b, ldb, beta, c, ldc);
}

/* tab (ntaps, P) <- for tap t and output p, the offset of the input it
 * reads inside its plane, or -1 where it reads padding */
static void build_table(const asgml_conv2d_desc *d, const taps *tp, int32_t *tab)
{
    for (int kh = tp->kh0; kh < tp->kh1; kh++)
        for (int kw = tp->kw0; kw < tp->kw1; kw++)
            for (int oh = 0; oh < d->h_out; oh++)
                for (int ow = 0; ow < d->w_out; ow++) {
                    const int h = oh * d->stride_h - d->pad_h + kh;
                    const int w = ow * d->stride_w - d->pad_w + kw;
                    *tab++ = h >= 0 && h < d->h_in && w >= 0 && w < d->w_in ? h * d->w_in + w
                                                                             : -1;
                }
}

/* im2col / col2im of one whole plane through the table: ntaps rows of P */
static void im2col_table(const int32_t *tab, int ntaps, int P, const float *xc, float *col,
                         size_t ld)
{
    for (int t = 0; t < ntaps; t++, tab += P) {
        float *dst = col + (size_t)t * ld;
#pragma omp simd
        for (int p = 0; p < P; p++) {
            const int32_t i = tab[p];
            const float v = xc[i < 0 ? 0 : i];
            dst[p] = i < 0 ? 0.0f : v;
        }
    }
}
static void col2im_table(const int32_t *tab, int ntaps, int P, const float *col, size_t ld,
                         float *dxc)
{
    for (int t = 0; t < ntaps; t++, tab += P) {
        const float *src = col + (size_t)t * ld;
        for (int p = 0; p < P; p++)
            if (tab[p] >= 0) dxc[tab[p]] += src[p];
    }
}

/* col (K, ld) <- im2col of samples [n0, n0+nb) (rows [oh0, oh1) when nb == 1) */
static void im2col_piece(const asgml_conv2d_desc *d, const taps *tp, const int32_t *tab,
                         const float *x, int n0, int nb, int oh0, int oh1, float *col, size_t ld)
{
    const size_t hw = (size_t)d->h_in * d->w_in;
    const size_t kk = (size_t)(tp->kh1 - tp->kh0) * (tp->kw1 - tp->kw0);
    const size_t pc = (size_t)(oh1 - oh0) * d->w_out;
    if (tab) {
        for (int j = 0; j < nb; j++)
            for (int c = 0; c < d->c_in; c++)
                im2col_table(tab, (int)kk, (int)pc, x + ((size_t)(n0 + j) * d->c_in + c) * hw,
                             col + (size_t)c * kk * ld + (size_t)j * pc, ld);
        return;
    }
    for (int j = 0; j < nb; j++)
        for (int c = 0; c < d->c_in; c++)
            im2col_plane(d, tp, x + ((size_t)(n0 + j) * d->c_in + c) * hw, oh0, oh1,
                         col + (size_t)c * kk * ld + (size_t)j * pc, ld);
}

/* packed (rows, nb*P) <-> nchw (nb, rows, P) */
static void pack_samples(int nb, int rows, size_t P, const float *nchw, float *packed)
{
    const size_t ld = (size_t)nb * P;
    for (int j = 0; j < nb; j++)
        for (int r = 0; r < rows; r++)
            memcpy(packed + (size_t)r * ld + (size_t)j * P, nchw + ((size_t)j * rows + r) * P,
                   sizeof(float) * P);
}
static void unpack_samples(int nb, int rows, size_t P, const float *packed, float *nchw)
{
    const size_t ld = (size_t)nb * P;
    for (int j = 0; j < nb; j++)
        for (int r = 0; r < rows; r++)
            memcpy(nchw + ((size_t)j * rows + r) * P, packed + (size_t)r * ld + (size_t)j * P,
                   sizeof(float) * P);
}

/* One thread's share: samples [s0, s1) in pieces, scratch ws (pl->per
 * floats).  fwd: a = x, b = w, out = y.  bdata: a = dy, b = w, out = dx.
 * bfilt: a = x, b = dy, out = the (c_out, K) filter-gradient accumulator. */
static void conv_range(const asgml_backend *be, const asgml_conv2d_desc *d, const plan *pl,
                       int kind, int seq, int s0, int s1, const float *a, const float *b,
                       float *out, float *ws)
{
    const int K = pl->K, P = pl->P, co = d->c_out;
    const size_t hw = (size_t)d->h_in * d->w_in;
    const size_t kk = (size_t)(pl->tp.kh1 - pl->tp.kh0) * (pl->tp.kw1 - pl->tp.kw0);
    float *col = ws, *buf = ws + (size_t)K * pl->cols;
    for (int n0 = s0; n0 < s1; n0 += pl->nb) {
        const int nb = s1 - n0 < pl->nb ? s1 - n0 : pl->nb;
        for (int oh0 = 0; oh0 < d->h_out; oh0 += pl->rows) {
            const int oh1 = d->h_out - oh0 < pl->rows ? d->h_out : oh0 + pl->rows;
            const int ld = nb > 1 ? nb * P : (oh1 - oh0) * d->w_out;
            const size_t off = (size_t)oh0 * d->w_out; /* of the band inside a sample */
            if (kind == CONV_FWD) {
                float *yn = out + (size_t)n0 * co * P;
                im2col_piece(d, &pl->tp, pl->tab, a, n0, nb, oh0, oh1, col, ld);
                if (nb == 1) {
                    piece_gemm(be, seq, 0, 0, co, ld, K, b, K, col, ld, 0.0f, yn + off, P);
                } else {
                    piece_gemm(be, seq, 0, 0, co, ld, K, b, K, col, ld, 0.0f, buf, ld);
                    unpack_samples(nb, co, P, buf, yn);
                }
            } else if (kind == CONV_BDATA) {
                const float *dyn = a + (size_t)n0 * co * P;
                if (nb == 1) {
                    piece_gemm(be, seq, 1, 0, K, ld, co, b, K, dyn + off, P, 0.0f, col, ld);
                } else {
                    pack_samples(nb, co, P, dyn, buf);
                    piece_gemm(be, seq, 1, 0, K, ld, co, b, K, buf, ld, 0.0f, col, ld);
                }
                const size_t pc = (size_t)(oh1 - oh0) * d->w_out;
                for (int j = 0; j < nb; j++)
                    for (int c = 0; c < d->c_in; c++) {
                        const float *cj = col + (size_t)c * kk * ld + (size_t)j * pc;
                        float *dxc = out + ((size_t)(n0 + j) * d->c_in + c) * hw;
                        if (pl->tab)
                            col2im_table(pl->tab, (int)kk, (int)pc, cj, ld, dxc);
                        else
                            col2im_plane(d, &pl->tp, cj, ld, oh0, oh1, dxc);
                    }
            } else {
                const float *dyn = b + (size_t)n0 * co * P;
                im2col_piece(d, &pl->tp, pl->tab, a, n0, nb, oh0, oh1, col, ld);
                if (nb == 1) {
                    piece_gemm(be, seq, 0, 1, co, K, ld, dyn + off, P, col, ld, 1.0f, out, K);
                } else {
                    pack_samples(nb, co, P, dyn, buf);
                    piece_gemm(be, seq, 0, 1, co, K, ld, buf, ld, col, ld, 1.0f, out, K);
                }
            }
        }
    }
}

/* Runs kind over the whole batch; see the top of the file. */
static asgml_status conv_run(asgml_backend *be, const asgml_conv2d_desc *d, int kind,
                             const float *a, const float *b, float *out)
{
    plan pl;
    make_plan(be, d, kind, &pl);
    const int nt = pl.nt;
    const size_t dwn = (size_t)d->c_out * pl.K;
    const size_t per = pl.per + (kind == CONV_BFILT ? dwn : 0);
    const int pruned = taps_pruned(d, &pl.tp);
    const size_t ntaps = (size_t)(pl.tp.kh1 - pl.tp.kh0) * (pl.tp.kw1 - pl.tp.kw0);
    const size_t tabn = pl.rows == d->h_out && ntaps * pl.P <= TABLE_MAX ? ntaps * pl.P : 0;
    float *ws;
    asgml_status st =
        asgml_cpu_workspace(be, per * (size_t)nt + (pruned ? dwn : 0) + tabn, &ws);
    if (st) return st;
    pl.tab = NULL;
    if (tabn) {
        /* int32 offsets in the (untyped, malloc'd) workspace */
        int32_t *tab = (int32_t *)(ws + per * (size_t)nt + (pruned ? dwn : 0));
        build_table(d, &pl.tp, tab);
        pl.tab = tab;
    }
    float *full = out; /* the filter gradient when taps are pruned */
    if (pruned) {
        /* the gathered filter (or filter gradient) after the thread scratch */
        float *g = ws + per * (size_t)nt;
        if (kind == CONV_BFILT) {
            taps_copy(d, &pl.tp, out, g, 0);
            out = g;
        } else {
            taps_copy(d, &pl.tp, b, g, 0);
            b = g;
        }
    }
    if (nt == 1) {
        conv_range(be, d, &pl, kind, 1, 0, d->n, a, b, out, ws);
    } else {
        asgml_cpu_blas_threads(be);
#pragma omp parallel num_threads(nt)
        {
#ifdef _OPENMP
            const int t = omp_get_thread_num();
#else
            const int t = 0;
#endif
            const int s0 = (int)((int64_t)d->n * t / nt);
            const int s1 = (int)((int64_t)d->n * (t + 1) / nt);
            float *mine = ws + per * (size_t)t;
            float *acc = out;
            if (kind == CONV_BFILT && t > 0) {
                acc = mine + pl.per;
                memset(acc, 0, sizeof(float) * dwn);
            }
            conv_range(be, d, &pl, kind, 0, s0, s1, a, b, acc, mine);
            if (kind == CONV_BFILT) {
#pragma omp barrier
#pragma omp for schedule(static)
                for (size_t i = 0; i < dwn; i++) {
                    float s = out[i];
                    for (int u = 1; u < nt; u++) s += ws[per * (size_t)u + pl.per + i];
                    out[i] = s;
                }
            }
        }
    }
    if (pruned && kind == CONV_BFILT) taps_copy(d, &pl.tp, out, full, 1);
    return ASGML_OK;
}

/* pass (CONV_FWD, CONV_BDATA, CONV_BFILT) of a checked d by algo */
static asgml_status run_algo(asgml_backend *be, const asgml_conv2d_desc *d, int algo, int pass,
                             const float *a, const float *b, float *out)
{
    if (algo == ASGML_CPU_IM2COL) return conv_run(be, d, pass, a, b, out);
    if (pass == CONV_FWD) return asgml_cpu_winograd_forward(be, d, algo, a, b, out);
    if (pass == CONV_BDATA) return asgml_cpu_winograd_backward_data(be, d, algo, a, b, out);
    return asgml_cpu_winograd_backward_filter(be, d, algo, a, b, out);
}

asgml_status asgml_cpu_conv2d_algo_run(asgml_backend *be, const asgml_conv2d_desc *d, int algo,
                                       int pass, const float *a, const float *b, float *out)
{
    asgml_status st = check_desc(d);
    if (st) return st;
    return run_algo(be, d, algo, pass, a, b, out); /* pass 0, 1, 2 = CONV_FWD, _BDATA, _BFILT */
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
    int algo;
    if ((st = asgml_cpu_conv_algo(be, d, &algo)) != ASGML_OK) return st;
    return run_algo(be, d, algo, CONV_FWD, x, w, y);
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
    int algo;
    if ((st = asgml_cpu_conv_algo(be, d, &algo)) != ASGML_OK) return st;
    return run_algo(be, d, algo, CONV_BDATA, dy, w, dx);
}

asgml_status asgml_cpu_conv2d_backward_filter(asgml_backend *be, const asgml_conv2d_desc *d,
                                              const float *x, const float *dy, float *dw)
{
    asgml_status st = check_desc(d);
    if (st) return st;
    const int K = d->c_in * d->k_h * d->k_w, P = d->h_out * d->w_out;
    if (is_pointwise(d)) {
        /* dw (c_out, c_in) += sum_n dy_n (c_out, P) . x_n^T (P, c_in), samples in order */
        for (int i = 0; i < d->n; i++)
            asgml_cpu_sgemm(be, 0, 1, d->c_out, K, P, 1.0f, dy + (size_t)i * d->c_out * P, P,
                            x + (size_t)i * K * P, P, 1.0f, dw, K);
        return ASGML_OK;
    }
    int algo;
    if ((st = asgml_cpu_conv_algo(be, d, &algo)) != ASGML_OK) return st;
    return run_algo(be, d, algo, CONV_BFILT, x, dy, dw);
}
