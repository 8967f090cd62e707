/* SPDX-License-Identifier: MIT */
/* cpu/winograd.c - 3x3 stride-1 pad-1 convolutions by Winograd F(m x m,3x3):
 * the tiling, the GEMMs and the transforms of F(2x2,3x3) (F(4x4,3x3) and
 * F(6x6,3x3): winograd_fm.c).  Described for F(2x2,3x3):
 *
 * Shapes as in conv2d.c: x (n, c_in, H, W), w (c_out, c_in, 3, 3),
 * y (n, c_out, H, W) (stride 1, pad 1: same spatial size).
 *
 * The output is cut into 2x2 tiles, th = ceil(H/2) by tw = ceil(W/2) per
 * sample (tps = th*tw); tile (ti, tj) reads the 4x4 input patch whose top
 * left is (2ti-1, 2tj-1), outside the image reading zeros.  With the 16
 * transform points p = 4r+s:
 *   U[p] (co, ci)  filter transform G g G^T (once per call)
 *   V[p] (ci, T)   input transform B^T d B of T tiles
 *   M[p] (co, T) = U[p] . V[p]  (one SGEMM per point)
 *   y tile = A^T M A (2x2, the part inside the image written)
 * forward: ci = c_in, co = c_out, y = ...
 * backward data: the same with dy as input (ci = c_out, co = c_in) and the
 *   180-degree-rotated, transposed filter; dx += ...
 * backward filter: with D[p] (c_out, T) = A dy_tile A^T of the 2x2 dy tiles
 *   (zeros outside the image), Dw[p] (c_out, c_in) += D[p] . V[p]^T over
 *   all tiles and dw += G^T Dw G at the end.
 * Threads own contiguous sample ranges as in conv2d.c (tiles are processed
 * in chunks of T tiles of the range); backward filter keeps one Dw per
 * thread, summed in thread order.  With fewer samples than threads the
 * chunks run in order and each SGEMM is split over the threads.  The
 * result depends only on the shapes and the thread count.
 * On small images, and for the filter gradient wherever a chunk can hold
 * whole samples, V, M and D are channel-last instead, (T, C) per point,
 * with the transforms of winograd_cl.c (F(2x2)) or winograd_fm.c and the
 * GEMMs transposed to match (wino_range_cl). */
#include <cblas.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "cpu.h"
#include "winograd.h"

#ifdef _OPENMP
#include <omp.h>
#endif

/* V + M of a chunk: aim for this many floats per thread (L2-sized) */
#define TILE_TARGET ((size_t)1 << 17)
#define MIN_TILES 32
/* ci*co/(ci+co) from which a layer counts as wide (see wino_run) */
#define WIDE_TU 256
/* the same for the forward and backward data passes, whose GEMMs repack
 * U[p] for every chunk: at 256 channels (ci*co/(ci+co) = 128) chunks of
 * 256 tiles cut F(4x4)'s forward by 8-30% (17x12, 9x4: OpenBLAS's packing
 * of U was 17% of the time with 32-tile chunks); the filter gradient,
 * which packs no U, got slower */
#define WIDE_TU_FWD 128
#define MAX_TILES WINO_MAX_TILES
/* tiles per sample up to which F(2x2)'s forward and backward data go
 * channel-last (see wino_run) */
#define CL_TILES 32
#define CL_TILES_FM 4 /* the same for F(4x4) and F(6x6) */
/* ... and for F(4x4)/F(6x6) at any image size from this many input and
 * output channels (one-layer driver, 2 threads, interleaved, forward +
 * backward data at 256 channels: 17x12 14.5 -> 13.0 ms, 14x14 14.3 ->
 * 13.2, 9x9 16.2 -> 13.8, 24x24 29.6 -> 27.5; at 128 channels 17x8 the
 * old layout stays 5% faster) */
#define CL_WIDE_FM 256
/* floats between the per-point blocks of V, M and Dw: keeps the 16 streams
 * of a transform off a power-of-two stride (cache-set conflicts) */
#define PT_PAD 16

/* the transforms are plain loops over contiguous tile rows, compiled with
 * ASGML_CPU_SIMD (cpu.h): AVX2 next to the baseline.  Not AVX-512: the rows
 * are mostly 8-30 floats, and the scalar remainders of 16-lane loops made
 * the transforms slower (measured with bench-ops on an AVX-512 EPYC). */

enum { WG_FWD, WG_BDATA, WG_BFILT };

int asgml_cpu_winograd_eligible(const asgml_conv2d_desc *d)
{
    return d->k_h == 3 && d->k_w == 3 && d->stride_h == 1 && d->stride_w == 1 && d->pad_h == 1 &&
           d->pad_w == 1 && d->h_out == d->h_in && d->w_out == d->w_in;
}

int asgml_cpu_winograd_auto(const asgml_conv2d_desc *d, int winograd_only)
{
    if (!asgml_cpu_winograd_eligible(d)) return ASGML_CPU_IM2COL;
    const int hw = d->h_out * d->w_out;
    /* measured at ResNet18 shapes with bench/bench-layers (AVX-512 EPYC,
     * OpenBLAS, 2 threads): a win from 16 channels up; below, or where
     * the tiles pad the image too much, the transforms and the padding
     * cost more than the multiplications saved.  F(4x4) from 24x24 outputs up (64 and
     * 128 channels at 56x56, 65x47, 28x28, 33x24: 5-13% faster than
     * F(2x2)).  Below 24x24 too, up to 256 channels, from 128 outputs
     * with sides of 8 and more (256 channels at 14x14 and 17x12, 64 at
     * 33x16, 128 at 17x8: 4-9% faster than F(2x2), with the transforms'
     * prefetching); at 8x8 and 9x4 its 6x6 tiles pad too much, and at 512
     * channels (wide layers, see wino_run) its filter gradient (36 MiB
     * per thread) is slower than im2col. */
    /* Tiny images: F(2x2) where its tiles take at most 60% of im2col's
     * multiplies, from 8 outputs (512 channels at 5x2, channel-last:
     * 23.5 vs 29.0 ms; at 2x2 a tie, at 1x1 a loss) */
    const int f2_mults = 16 * ((d->h_out + 1) / 2) * ((d->w_out + 1) / 2);
    if (!winograd_only && (d->c_in < 16 || d->c_out < 16 || hw < 8 || 10 * f2_mults > 6 * 9 * hw))
        return ASGML_CPU_IM2COL;
    if (d->h_out >= 24 && d->w_out >= 24) return ASGML_CPU_WINO4;
    const int wide = (int64_t)d->c_in * d->c_out / (d->c_in + d->c_out) >= WIDE_TU;
    if (!wide && d->h_out >= 8 && d->w_out >= 8 && hw >= 128) return ASGML_CPU_WINO4;
    return ASGML_CPU_WINO2;
}

typedef wino_tiles tiles;

static void chunk_tiles(size_t g0, int tc, int th, int tw, tiles *tl)
{
    const size_t tps = (size_t)th * tw;
    int k = 0;
    for (int j = 0; j < tc; k++) {
        const size_t g = g0 + (size_t)j, r = g % tps;
        const int tj0 = (int)(r % (size_t)tw), len = tw - tj0 < tc - j ? tw - tj0 : tc - j;
        tl->n[k] = (int)(g / tps);
        tl->ti[k] = (int)(r / (size_t)tw);
        tl->tj0[k] = tj0;
        tl->tj1[k] = tj0 + len;
        tl->j0[k] = j;
        j += len;
    }
    tl->nseg = k;
}

/* V (16 points of stride ps; ci rows of T) <- B^T d B of the chunk's tiles
 * of in (N, C, H, W); rb: 16*Wp floats of row scratch.  Rows first (t0..t3
 * over the padded columns), then the columns de-interleaved so that every
 * loop runs over contiguous floats (and vectorises). */
ASGML_CPU_SIMD static void input_tf(const float *in, int C, int H, int W, const tiles *tl, size_t T, size_t ps,
                     float *V, float *rb)
{
    const size_t HW = (size_t)H * W;
    const int Wp = 2 * ((W + 1) / 2) + 2;
    float *t0 = rb + 4 * Wp, *t1 = rb + 5 * Wp, *t2 = rb + 6 * Wp, *t3 = rb + 7 * Wp;
    float *ev = rb + 8 * Wp; /* 8 rows of Wp: even/odd columns of t0..t3 */
    /* rb[0, Wp) stays zero: the rows above and below the image */
    const float *zero = rb;
    memset(rb, 0, sizeof(float) * (size_t)Wp);
    for (int k = 0; k < tl->nseg; k++) {
        const int y0 = 2 * tl->ti[k] - 1, tj0 = tl->tj0[k], tj1 = tl->tj1[k];
        /* padded column x is image column x-1; inside the image: [xl, xh) */
        const int xa = 2 * tj0, xb = 2 * tj1 + 2;
        const int xl = xa > 1 ? xa : 1, xh = xb < W + 1 ? xb : W + 1;
        for (int c = 0; c < C; c++) {
            const float *src = in + ((size_t)tl->n[k] * C + c) * HW;
            const float *rows[4];
            for (int i = 0; i < 4; i++) {
                const int yy = y0 + i;
                rows[i] = yy >= 0 && yy < H ? src + (size_t)yy * W : zero;
            }
            const float *e0 = rows[0], *e1 = rows[1], *e2 = rows[2], *e3 = rows[3];
            for (int x = xa; x < xl; x++) t0[x] = t1[x] = t2[x] = t3[x] = 0.0f;
#pragma omp simd
            for (int x = xl; x < xh; x++) {
                t0[x] = e0[x - 1] - e2[x - 1];
                t1[x] = e1[x - 1] + e2[x - 1];
                t2[x] = e2[x - 1] - e1[x - 1];
                t3[x] = e1[x - 1] - e3[x - 1];
            }
            for (int x = xh; x < xb; x++) t0[x] = t1[x] = t2[x] = t3[x] = 0.0f;
            /* de-interleave: the tiles read t[2tj .. 2tj+3], i.e. even
             * columns te[tj], te[tj+1] and odd ones to[tj], to[tj+1] */
            const int L = tj1 - tj0 + 1;
            const float *tr[4] = {t0, t1, t2, t3};
            for (int r = 0; r < 4; r++) {
                const float *t = tr[r] + xa;
                float *te = ev + (size_t)(2 * r) * Wp, *to = ev + (size_t)(2 * r + 1) * Wp;
#pragma omp simd
                for (int j = 0; j < L; j++) {
                    te[j] = t[2 * j];
                    to[j] = t[2 * j + 1];
                }
            }
            float *v = V + (size_t)c * T + tl->j0[k];
            const int n = tj1 - tj0;
            for (int r = 0; r < 4; r++) {
                const float *te = ev + (size_t)(2 * r) * Wp, *to = ev + (size_t)(2 * r + 1) * Wp;
                float *v0 = v + (size_t)(4 * r) * ps, *v1 = v + (size_t)(4 * r + 1) * ps;
                float *v2 = v + (size_t)(4 * r + 2) * ps, *v3 = v + (size_t)(4 * r + 3) * ps;
#pragma omp simd
                for (int j = 0; j < n; j++) {
                    v0[j] = te[j] - te[j + 1];
                    v1[j] = to[j] + te[j + 1];
                    v2[j] = te[j + 1] - to[j];
                    v3[j] = to[j] - to[j + 1];
                }
            }
        }
    }
}

/* out (N, C, H, W) (+)= A^T M A of the chunk's tiles, M (16 points of
 * stride ps; C rows of T); rb: 6*Wp floats of row scratch */
ASGML_CPU_SIMD static void output_tf(const float *M, int C, int H, int W, const tiles *tl, size_t T, size_t ps,
                      float *out, int acc, float *rb)
{
    const size_t HW = (size_t)H * W;
    const int Wp = 2 * ((W + 1) / 2) + 2;
    float *o0 = rb, *o1 = rb + Wp;
    float *a00 = rb + 2 * Wp, *a01 = rb + 3 * Wp, *a10 = rb + 4 * Wp, *a11 = rb + 5 * Wp;
    for (int k = 0; k < tl->nseg; k++) {
        const int oy = 2 * tl->ti[k], tj0 = tl->tj0[k], tj1 = tl->tj1[k];
        const int x0 = 2 * tj0, x1 = 2 * tj1 < W ? 2 * tj1 : W;
        for (int c = 0; c < C; c++) {
            const float *m = M + (size_t)c * T + tl->j0[k];
            const float *m0 = m, *m1 = m + ps, *m2 = m + 2 * ps, *m3 = m + 3 * ps;
            const float *m4 = m + 4 * ps, *m5 = m + 5 * ps, *m6 = m + 6 * ps, *m7 = m + 7 * ps;
            const float *m8 = m + 8 * ps, *m9 = m + 9 * ps, *m10 = m + 10 * ps;
            const float *m11 = m + 11 * ps, *m12 = m + 12 * ps, *m13 = m + 13 * ps;
            const float *m14 = m + 14 * ps, *m15 = m + 15 * ps;
            const int n = tj1 - tj0;
            /* the 2x2 outputs of tile j in four contiguous rows, then interleaved */
#pragma omp simd
            for (int j = 0; j < n; j++) {
                const float s00 = m0[j] + m4[j] + m8[j], s01 = m1[j] + m5[j] + m9[j];
                const float s02 = m2[j] + m6[j] + m10[j], s03 = m3[j] + m7[j] + m11[j];
                const float s10 = m4[j] - m8[j] - m12[j], s11 = m5[j] - m9[j] - m13[j];
                const float s12 = m6[j] - m10[j] - m14[j], s13 = m7[j] - m11[j] - m15[j];
                a00[j] = s00 + s01 + s02;
                a01[j] = s01 - s02 - s03;
                a10[j] = s10 + s11 + s12;
                a11[j] = s11 - s12 - s13;
            }
            float *e0 = o0 + x0, *e1 = o1 + x0;
#pragma omp simd
            for (int j = 0; j < n; j++) {
                e0[2 * j] = a00[j];
                e0[2 * j + 1] = a01[j];
                e1[2 * j] = a10[j];
                e1[2 * j + 1] = a11[j];
            }
            float *dst = out + ((size_t)tl->n[k] * C + c) * HW + (size_t)oy * W;
            const int two = oy + 1 < H;
            if (acc) {
#pragma omp simd
                for (int x = x0; x < x1; x++) dst[x] += o0[x];
                if (two) {
#pragma omp simd
                    for (int x = x0; x < x1; x++) dst[W + x] += o1[x];
                }
            } else {
                memcpy(dst + x0, o0 + x0, sizeof(float) * (size_t)(x1 - x0));
                if (two) memcpy(dst + W + x0, o1 + x0, sizeof(float) * (size_t)(x1 - x0));
            }
        }
    }
}

/* e[j], o[j] <- columns 2(tj0+j), 2(tj0+j)+1 of image row y of src (H, W),
 * zeros outside the image, for j < n */
static void deinterleave_row(const float *src, int y, int H, int W, int tj0, int n, float *e,
                             float *o)
{
    if (y >= H) {
        memset(e, 0, sizeof(float) * (size_t)n);
        memset(o, 0, sizeof(float) * (size_t)n);
        return;
    }
    const float *r = src + (size_t)y * W + 2 * tj0;
    /* full pairs: 2(tj0+j)+1 < W */
    int full = (W - 2 * tj0) / 2;
    if (full > n) full = n;
    if (full < 0) full = 0;
#pragma omp simd
    for (int j = 0; j < full; j++) {
        e[j] = r[2 * j];
        o[j] = r[2 * j + 1];
    }
    for (int j = full; j < n; j++) {
        const int x = 2 * (tj0 + j);
        e[j] = x < W ? r[2 * j] : 0.0f;
        o[j] = 0.0f;
    }
}

/* D (16 points of stride ps; C rows of T) <- A g A^T of the chunk's 2x2
 * tiles g of dy (N, C, H, W), zeros outside; rb: 4*Wp floats of scratch */
ASGML_CPU_SIMD static void grad_tf(const float *dy, int C, int H, int W, const tiles *tl, size_t T, size_t ps,
                    float *D, float *rb)
{
    const size_t HW = (size_t)H * W;
    const int Wp = 2 * ((W + 1) / 2) + 2;
    float *g0e = rb, *g0o = rb + Wp, *g1e = rb + 2 * Wp, *g1o = rb + 3 * Wp;
    for (int k = 0; k < tl->nseg; k++) {
        const int oy = 2 * tl->ti[k], tj0 = tl->tj0[k], tj1 = tl->tj1[k];
        for (int c = 0; c < C; c++) {
            const float *src = dy + ((size_t)tl->n[k] * C + c) * HW;
            /* tile tj reads columns 2tj, 2tj+1 of rows oy, oy+1 (zeros
             * outside), de-interleaved: g0e[j], g0o[j], g1e[j], g1o[j] */
            const int n = tj1 - tj0;
            deinterleave_row(src, oy, H, W, tj0, n, g0e, g0o);
            deinterleave_row(src, oy + 1, H, W, tj0, n, g1e, g1o);
            float *m = D + (size_t)c * T + tl->j0[k];
            float *m0 = m, *m1 = m + ps, *m2 = m + 2 * ps, *m3 = m + 3 * ps;
            float *m4 = m + 4 * ps, *m5 = m + 5 * ps, *m6 = m + 6 * ps, *m7 = m + 7 * ps;
            float *m8 = m + 8 * ps, *m9 = m + 9 * ps, *m10 = m + 10 * ps, *m11 = m + 11 * ps;
            float *m12 = m + 12 * ps, *m13 = m + 13 * ps, *m14 = m + 14 * ps;
            float *m15 = m + 15 * ps;
#pragma omp simd
            for (int j = 0; j < n; j++) {
                const float a00 = g0e[j], a01 = g0o[j], a10 = g1e[j], a11 = g1o[j];
                /* rows e = (a0, a0 + a1, a0 - a1, -a1) of A g, then columns */
                const float p0 = a00 + a10, p1 = a01 + a11, q0 = a00 - a10, q1 = a01 - a11;
                m0[j] = a00, m1[j] = a00 + a01, m2[j] = a00 - a01, m3[j] = -a01;
                m4[j] = p0, m5[j] = p0 + p1, m6[j] = p0 - p1, m7[j] = -p1;
                m8[j] = q0, m9[j] = q0 + q1, m10[j] = q0 - q1, m11[j] = -q1;
                m12[j] = -a10, m13[j] = -a10 - a11, m14[j] = -a10 + a11, m15[j] = a11;
            }
        }
    }
}

/* dw (3x3) += G^T w4 G, point p of w4 at w4[p*st] */
static inline __attribute__((always_inline)) void filter_grad_tf(const float *w4, size_t st,
                                                                  float *dw)
{
    float q[3][4];
    for (int s = 0; s < 4; s++) {
        const float a = w4[s * st], b = w4[(4 + s) * st], c = w4[(8 + s) * st];
        const float e = w4[(12 + s) * st];
        q[0][s] = a + 0.5f * (b + c);
        q[1][s] = 0.5f * (b - c);
        q[2][s] = 0.5f * (b + c) + e;
    }
    for (int r = 0; r < 3; r++) {
        const float a = q[r][0], b = q[r][1], c = q[r][2], e = q[r][3];
        dw[3 * r] += a + 0.5f * (b + c);
        dw[3 * r + 1] += 0.5f * (b - c);
        dw[3 * r + 2] += 0.5f * (b + c) + e;
    }
}

static void point_gemm(const asgml_backend *be, int seq, int ta, int tb, int m, int n, int k,
                       const float *a, int lda, const float *b, int ldb, float beta, float *c,
                       int ldc)
{
    if (seq)
        asgml_cpu_sgemm(be, ta, tb, m, n, k, 1.0f, a, lda, b, ldb, beta, c, ldc);
    else
        cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans,
                    m, n, k, 1.0f, a, lda, b, ldb, beta, c, ldc);
}

typedef struct wplan {
    int kind, np, ci, co, H, W, th, tw, nt; /* np = (m+2)^2 points of F(m x m, 3x3) */
    int cl; /* F(2x2) channel-last (winograd_cl.c; chunks of whole samples) */
    const wino_tf *tf; /* its transforms */
    size_t T, filt, per, rbf; /* rbf: row scratch floats (end of per) */
    size_t psv, psm, psw; /* point strides of V (ci, T), M (co, T), Dw (co, ci) */
} wplan;

/* One thread's samples [s0, s1) with scratch ws (pl->per floats).
 * fwd/bdata: a = the input (n, ci, H, W), U the transformed filter, out
 * (n, co, H, W).  bfilt: a = x, b = dy, the sums go to ws's Dw. */
static void wino_range(const asgml_backend *be, const wplan *pl, int seq, int s0, int s1,
                       const float *a, const float *b, const float *U, float *out, float *ws)
{
    const int ci = pl->ci, co = pl->co, H = pl->H, W = pl->W;
    const size_t T = pl->T, tps = (size_t)pl->th * pl->tw;
    float *V = ws, *M = ws + pl->np * pl->psv, *Dw = M + pl->np * pl->psm;
    float *rb = ws + pl->per - pl->rbf; /* row scratch */
    tiles tl;
    if (pl->kind == WG_BFILT) memset(Dw, 0, sizeof(float) * pl->filt);
    const size_t g1 = (size_t)s1 * tps;
    for (size_t g0 = (size_t)s0 * tps; g0 < g1; g0 += T) {
        const int tc = (int)(g1 - g0 < T ? g1 - g0 : T);
        chunk_tiles(g0, tc, pl->th, pl->tw, &tl);
        const int np = pl->np;
        pl->tf->input(a, ci, H, W, &tl, T, pl->psv, V, rb);
        if (pl->kind == WG_BFILT) {
            pl->tf->grad(b, co, H, W, &tl, T, pl->psm, M, rb);
            for (int p = 0; p < np; p++)
                point_gemm(be, seq, 0, 1, co, ci, tc, M + p * pl->psm, (int)T, V + p * pl->psv,
                           (int)T, 1.0f, Dw + p * pl->psw, ci);
        } else {
            for (int p = 0; p < np; p++)
                point_gemm(be, seq, 0, 0, co, tc, ci, U + p * pl->psw, ci,
                           V + p * pl->psv, (int)T, 0.0f, M + p * pl->psm, (int)T);
            pl->tf->output(M, co, H, W, &tl, T, pl->psm, out, pl->kind == WG_BDATA, rb);
        }
    }
}

/* wino_range for the channel-last F(2x2) (winograd_cl.c): chunks of
 * T / tps whole samples, each transposed to (H*W, C) in the row scratch;
 * V, M, D hold (T, C) per point and the GEMMs take them transposed */
static void wino_range_cl(const asgml_backend *be, const wplan *pl, int seq, int s0, int s1,
                          const float *a, const float *b, const float *U, float *out, float *ws)
{
    const wino_cl *cl = pl->tf->cl;
    const int ci = pl->ci, co = pl->co, H = pl->H, W = pl->W, np = pl->np;
    const size_t HW = (size_t)H * W, tps = (size_t)pl->th * pl->tw;
    const int ns = (int)(pl->T / tps);
    const int cmax = ci > co ? ci : co;
    float *V = ws, *M = ws + np * pl->psv, *Dw = M + np * pl->psm;
    float *rb = ws + pl->per - pl->rbf, *zero = rb, *sink = rb + cmax, *tr = rb + 2 * cmax;
    memset(zero, 0, sizeof(float) * (size_t)cmax);
    if (pl->kind == WG_BFILT) memset(Dw, 0, sizeof(float) * pl->filt);
    for (int n0 = s0; n0 < s1; n0 += ns) {
        const int nn = s1 - n0 < ns ? s1 - n0 : ns, tc = (int)(nn * tps);
        for (int i = 0; i < nn; i++) {
            wino_cl_gather(a + (size_t)(n0 + i) * ci * HW, ci, (int)HW, tr);
            cl->input(tr, ci, H, W, i * tps, pl->psv, V, zero);
        }
        if (pl->kind == WG_BFILT) {
            for (int i = 0; i < nn; i++) {
                wino_cl_gather(b + (size_t)(n0 + i) * co * HW, co, (int)HW, tr);
                cl->grad(tr, co, H, W, i * tps, pl->psm, M, zero);
            }
            for (int p = 0; p < np; p++)
                point_gemm(be, seq, 1, 0, co, ci, tc, M + p * pl->psm, co, V + p * pl->psv, ci,
                           1.0f, Dw + p * pl->psw, ci);
        } else {
            for (int p = 0; p < np; p++)
                point_gemm(be, seq, 0, 1, tc, co, ci, V + p * pl->psv, ci, U + p * pl->psw, ci,
                           0.0f, M + p * pl->psm, co);
            for (int i = 0; i < nn; i++) {
                cl->output(M, co, H, W, i * tps, pl->psm, tr, sink);
                wino_cl_scatter(tr, co, (int)HW, out + (size_t)(n0 + i) * co * HW,
                                pl->kind == WG_BDATA);
            }
        }
    }
}

/* Filter transforms go through blocks of FB filters: the points of a
 * filter lie ps floats apart (U of 512x512 channels: 1 MiB), so writing
 * (or, for the gradient, reading) them filter by filter touches np pages
 * per filter; a block is computed into (or gathered from) np contiguous
 * rows of FB floats instead. */
#define FB WINO_FB

/* u[p*FB + i] <- G g_i G^T (F(2x2)) for the nb filters of a block given as
 * 9 rows of FB floats (g[k*FB + i]), as in winograd_fm.c */
ASGML_CPU_SIMD static void filter_block2(const float *g, float *u, int nb)
{
    /* G g G^T with G = (1 0 0; 1/2 1/2 1/2; 1/2 -1/2 1/2; 0 0 1): rows
     * first (t = G g), then columns; one filter per lane */
    for (int s = 0; s < 3; s++) {
        float *t = u + (size_t)(16 + 4 * s) * FB; /* t[r][s] in the unused rows 16.. */
#pragma omp simd
        for (int i = 0; i < nb; i++) {
            const float a = g[s * FB + i], b = g[(3 + s) * FB + i], c = g[(6 + s) * FB + i];
            t[i] = a;
            t[FB + i] = 0.5f * (a + b + c);
            t[2 * FB + i] = 0.5f * (a - b + c);
            t[3 * FB + i] = c;
        }
    }
    for (int r = 0; r < 4; r++) {
        const float *t0 = u + (size_t)(16 + r) * FB, *t1 = t0 + 4 * FB, *t2 = t0 + 8 * FB;
        float *o = u + (size_t)(4 * r) * FB;
#pragma omp simd
        for (int i = 0; i < nb; i++) {
            const float a = t0[i], b = t1[i], c = t2[i];
            o[i] = a;
            o[FB + i] = 0.5f * (a + b + c);
            o[2 * FB + i] = 0.5f * (a - b + c);
            o[3 * FB + i] = c;
        }
    }
}

/* dw_i (3x3, at dw[9 i]) += G^T w_i G (F(2x2)) for the nb blocks w_i given
 * as 16 rows of FB floats (w[p*FB + i]) */
ASGML_CPU_SIMD static void filter_grad2(const float *w, int nb, float *dw)
{
#pragma omp simd
    for (int i = 0; i < nb; i++) filter_grad_tf(w + i, FB, dw + 9 * i);
}

/* row scratch of input_tf, output_tf and grad_tf (16 rows of the padded
 * width; not the chunk) */
static size_t scratch2(int W, size_t T)
{
    (void)T;
    return 16 * (size_t)(2 * ((W + 1) / 2) + 2);
}

static const wino_tf tf2 = {input_tf,     output_tf, grad_tf, filter_block2,
                            filter_grad2, scratch2,  &asgml_cpu_wino_cl2};

/* rows [r0, r1) of U (np points of stride ps; co rows of ci), from w
 * (c_out, c_in, 3, 3): forward U[p][o][c] from w[o][c]; backward data
 * (rotated) U[p][c][o] from w[o][c] */
ASGML_CPU_SIMD static void filter_rows(const wplan *pl, const asgml_conv2d_desc *d,
                                       const float *w, float *U, int r0, int r1)
{
    const int ci = pl->ci, np = pl->np, rot = pl->kind == WG_BDATA;
    const size_t ps = pl->psw;
    float u[64 * FB], g[9 * FB]; /* F(2x2) uses rows 16..27 of u as scratch */
    for (int r = r0; r < r1; r++)
        for (int c0 = 0; c0 < ci; c0 += FB) {
            const int c1 = ci - c0 < FB ? ci : c0 + FB, nb = c1 - c0;
            /* g[k][i]: tap k (rotated by 180 degrees for backward data) */
            if (rot) {
                const float *f = w + 9 * ((size_t)c0 * d->c_in + r);
                const size_t fs = 9 * (size_t)d->c_in;
                for (int k = 0; k < 9; k++)
#pragma omp simd
                    for (int i = 0; i < nb; i++) g[k * FB + i] = f[fs * i + 8 - k];
            } else {
                const float *f = w + 9 * ((size_t)r * ci + c0);
                for (int k = 0; k < 9; k++)
#pragma omp simd
                    for (int i = 0; i < nb; i++) g[k * FB + i] = f[9 * i + k];
            }
            pl->tf->filter_block(g, u, nb);
            float *dst = U + (size_t)r * ci + c0;
            if (nb == FB) { /* whole blocks: fixed-length vector copies */
                for (int p = 0; p < np; p++)
#pragma omp simd
                    for (int i = 0; i < FB; i++) dst[(size_t)p * ps + i] = u[(size_t)p * FB + i];
            } else {
                for (int p = 0; p < np; p++)
                    memcpy(dst + (size_t)p * ps, u + (size_t)p * FB, sizeof(float) * (size_t)nb);
            }
        }
}

/* dw += G^T (sum over threads of Dw) G for pairs [q0, q1) */
ASGML_CPU_SIMD static void filter_grad_pairs(const wplan *pl, const float *ws, float *dw, size_t q0,
                                     size_t q1)
{
    const size_t off = pl->np * (pl->psv + pl->psm), ps = pl->psw;
    float wm[64 * FB];
    for (size_t b0 = q0; b0 < q1; b0 += FB) {
        const int nb = q1 - b0 < FB ? (int)(q1 - b0) : FB;
        for (int p = 0; p < pl->np; p++) {
            float *dst = wm + (size_t)p * FB;
            memcpy(dst, ws + off + (size_t)p * ps + b0, sizeof(float) * (size_t)nb);
            for (int u = 1; u < pl->nt; u++) {
                const float *src = ws + pl->per * (size_t)u + off + (size_t)p * ps + b0;
#pragma omp simd
                for (int i = 0; i < nb; i++) dst[i] += src[i];
            }
        }
        pl->tf->filter_grad(wm, nb, dw + b0 * 9);
    }
}

static asgml_status wino_run(asgml_backend *be, const asgml_conv2d_desc *d, int m, int kind,
                             const float *a, const float *b, float *out)
{
    const asgml_cpu_impl *impl = be->impl;
    wplan pl;
    if (m != 2 && m != 4 && m != 6)
        return ASGML_ERR(ASGML_EINVAL, "Winograd F(%dx%d,3x3): no such variant (2, 4, 6)", m, m);
    pl.kind = kind;
    pl.tf = m == 2 ? &tf2 : asgml_cpu_wino_tf(m);
    pl.np = (m + 2) * (m + 2);
    pl.ci = kind == WG_BDATA ? d->c_out : d->c_in;
    pl.co = kind == WG_BDATA ? d->c_in : d->c_out;
    pl.H = d->h_in;
    pl.W = d->w_in;
    pl.th = (pl.H + m - 1) / m;
    pl.tw = (pl.W + m - 1) / m;
    int nt = asgml_cpu_threads(be);
    if (nt > d->n) nt = 1;
    pl.nt = nt;
    pl.psw = (size_t)pl.co * pl.ci + PT_PAD;
    pl.filt = pl.np * pl.psw; /* U or Dw */
    const size_t per_tile = (size_t)pl.np * (pl.ci + pl.co);
    size_t T = TILE_TARGET / per_tile;
    if (T < MIN_TILES) T = MIN_TILES;
    /* every chunk reads all of U (np*ci*co floats) next to its own V and M
     * (np*T*(ci+co)); below T = ci*co/(ci+co) the filter's traffic
     * dominates (512 channels: U is 16-36 MiB), so wide layers (512
     * channels) take 2 ci*co/(ci+co) tiles per chunk, past the L2 target
     * (measured with bench-layers and a one-layer driver: F(2x2) at 512
     * channels, 7x7 and 9x6, 15% faster; at 256 channels no gain then,
     * but since the transforms got faster a gain for the forward and
     * backward data: WIDE_TU_FWD) */
    const size_t tu = (size_t)pl.ci * pl.co / (size_t)(pl.ci + pl.co);
    if (tu >= (kind == WG_BFILT ? WIDE_TU : WIDE_TU_FWD) && T < 2 * tu) T = 2 * tu;
    const size_t range = (size_t)((d->n + nt - 1) / nt) * pl.th * pl.tw;
    if (T > range) T = range;
    /* the scratch budget (lowered by tests to exercise chunking) */
    const size_t fixed = kind == WG_BFILT ? pl.filt * nt : pl.filt;
    /* tiles per chunk the budget allows */
    const size_t tb = impl->conv_budget > fixed ? (impl->conv_budget - fixed) / nt / per_tile : 0;
    if (T > tb) T = tb;
    if (T > MAX_TILES) T = MAX_TILES;
    if (T < 1) T = 1;
    /* Channel-last (wino_range_cl) where a chunk holds whole samples:
     * always for the filter gradient, whose chunk grows to one sample if
     * the budget allows, and for the other passes on images of up to
     * CL_TILES (F(2x2)) or CL_TILES_FM tiles.  One-layer driver, 2
     * threads, the three passes, F(2x2): 512 channels 5x2 33.4 -> 24.5 ms,
     * 7x7 33.5 -> 30.0, 9x6 38.0 -> 28.8; 256 at 9x4 24.1 -> 20.2; 64 at
     * 8x8 3.0 -> 2.2 (the forward 15% slower at 64 channels 16x16).  The
     * filter gradient alone, F(4x4): 64 channels 33x16 6.4 -> 4.7 ms,
     * 56x56 7.5 -> 6.8, 65x47 7.8 -> 6.5; 128 at 28x28 5.6 -> 4.6 (its
     * forward 10% slower at 17x8, 10 tiles a sample, faster at 9x4). */
    const size_t tps = (size_t)pl.th * pl.tw;
    if (kind == WG_BFILT && T < tps && tps <= tb && tps <= range) T = tps;
    pl.cl = T >= tps && (kind == WG_BFILT || tps <= (m == 2 ? CL_TILES : CL_TILES_FM) ||
                         (m != 2 && pl.ci >= CL_WIDE_FM && pl.co >= CL_WIDE_FM));
    if (pl.cl) T = T / tps * tps;
    pl.T = T;
    pl.psv = (size_t)pl.ci * T + PT_PAD;
    pl.psm = (size_t)pl.co * T + PT_PAD;
    if (pl.cl) {
        const size_t cmax = (size_t)(pl.ci > pl.co ? pl.ci : pl.co);
        pl.rbf = (2 + (size_t)pl.H * pl.W) * cmax;
    } else {
        pl.rbf = pl.tf->scratch(pl.W, T);
    }
    pl.per = pl.np * (pl.psv + pl.psm) + (kind == WG_BFILT ? pl.filt : 0) + pl.rbf;
    float *ws;
    asgml_status st = asgml_cpu_workspace(be, (kind == WG_BFILT ? 0 : pl.filt) + pl.per * nt, &ws);
    if (st) return st;
    float *U = ws, *thr = kind == WG_BFILT ? ws : ws + pl.filt;
    const size_t pairs = (size_t)d->c_out * d->c_in;
    if (nt == 1) {
        if (kind != WG_BFILT) filter_rows(&pl, d, b, U, 0, pl.co);
        (pl.cl ? wino_range_cl : wino_range)(be, &pl, 1, 0, d->n, a, b, U, out, thr);
        if (kind == WG_BFILT) filter_grad_pairs(&pl, thr, out, 0, pairs);
        return ASGML_OK;
    }
    asgml_cpu_blas_threads(be);
#pragma omp parallel num_threads(nt)
    {
#ifdef _OPENMP
        const int t = omp_get_thread_num();
#else
        const int t = 0;
#endif
        const size_t q0 = pairs * t / nt, q1 = pairs * (t + 1) / nt;
        if (kind != WG_BFILT) {
            filter_rows(&pl, d, b, U, pl.co * t / nt, pl.co * (t + 1) / nt);
#pragma omp barrier
        }
        const int s0 = (int)((int64_t)d->n * t / nt), s1 = (int)((int64_t)d->n * (t + 1) / nt);
        (pl.cl ? wino_range_cl : wino_range)(be, &pl, 0, s0, s1, a, b, U, out,
                                             thr + pl.per * (size_t)t);
        if (kind == WG_BFILT) {
#pragma omp barrier
            filter_grad_pairs(&pl, thr, out, q0, q1);
        }
    }
    return ASGML_OK;
}

asgml_status asgml_cpu_winograd_forward(asgml_backend *be, const asgml_conv2d_desc *d, int m,
                                        const float *x, const float *w, float *y)
{
    return wino_run(be, d, m, WG_FWD, x, w, y);
}

asgml_status asgml_cpu_winograd_backward_data(asgml_backend *be, const asgml_conv2d_desc *d, int m,
                                              const float *dy, const float *w, float *dx)
{
    return wino_run(be, d, m, WG_BDATA, dy, w, dx);
}

asgml_status asgml_cpu_winograd_backward_filter(asgml_backend *be, const asgml_conv2d_desc *d, int m,
                                                const float *x, const float *dy, float *dw)
{
    return wino_run(be, d, m, WG_BFILT, x, dy, dw);
}
