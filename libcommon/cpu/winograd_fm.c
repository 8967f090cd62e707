/* SPDX-License-Identifier: MIT */
/* cpu/winograd_fm.c - the transforms of Winograd F(4x4,3x3) and F(6x6,3x3)
 * for cpu/winograd.c (which holds the tiling, the GEMMs and F(2x2,3x3)).
 *
 * F(m x m, 3x3) with a = m + 2 (Lavin & Gray, "Fast Algorithms for
 * Convolutional Neural Networks", CVPR 2016; the matrices are those of
 * wincnn / NNPACK, interpolation points 0, +-1, +-2 (m = 4) and 0, +-1,
 * +-2, +-1/2 (m = 6), and infinity):
 *   input   V = B^T d B   d: the a x a input patch of a tile
 *   filter  U = G g G^T   g: 3x3
 *   output  y = A^T M A   M = U . V summed over input channels (a x a),
 *                         y: the m x m output tile
 *   filter gradient: Dw = sum over tiles of (A dy A^T) . V, dw += G^T Dw G
 * Layouts as in winograd.c: point p = a*r + s of a transform lives at
 * X + p*ps (ps: the point stride), row c of T tile columns, column j0 + j
 * for the j-th tile of a run.
 *
 * The matrices are constant tables and every loop over them is unrolled
 * with the table entries known at compile time: zero entries vanish, ones
 * become plain adds (no -ffast-math needed), so one generic body serves
 * both sizes.  The loops over the tiles of a run (j) are contiguous and
 * vectorise; the input and the output rows are (de-)interleaved through
 * row scratch first, as in winograd.c. */
#include <string.h>

#include "cpu.h"
#include "winograd.h"

static const float BT4[6][6] = {{4, 0, -5, 0, 1, 0},  {0, -4, -4, 1, 1, 0},
                                {0, 4, -4, -1, 1, 0}, {0, -2, -1, 2, 1, 0},
                                {0, 2, -1, -2, 1, 0}, {0, 4, 0, -5, 0, 1}};
static const float G4[6][3] = {{1.0f / 4, 0, 0},
                               {-1.0f / 6, -1.0f / 6, -1.0f / 6},
                               {-1.0f / 6, 1.0f / 6, -1.0f / 6},
                               {1.0f / 24, 1.0f / 12, 1.0f / 6},
                               {1.0f / 24, -1.0f / 12, 1.0f / 6},
                               {0, 0, 1}};
static const float AT4[4][6] = {
    {1, 1, 1, 1, 1, 0}, {0, 1, -1, 2, -2, 0}, {0, 1, 1, 4, 4, 0}, {0, 1, -1, 8, -8, 1}};

static const float BT6[8][8] = {
    {1, 0, -21.0f / 4, 0, 21.0f / 4, 0, -1, 0},
    {0, 1, 1, -17.0f / 4, -17.0f / 4, 1, 1, 0},
    {0, -1, 1, 17.0f / 4, -17.0f / 4, -1, 1, 0},
    {0, 1.0f / 2, 1.0f / 4, -5.0f / 2, -5.0f / 4, 2, 1, 0},
    {0, -1.0f / 2, 1.0f / 4, 5.0f / 2, -5.0f / 4, -2, 1, 0},
    {0, 2, 4, -5.0f / 2, -5, 1.0f / 2, 1, 0},
    {0, -2, 4, 5.0f / 2, -5, -1.0f / 2, 1, 0},
    {0, -1, 0, 21.0f / 4, 0, -21.0f / 4, 0, 1}};
static const float G6[8][3] = {{1, 0, 0},
                               {-2.0f / 9, -2.0f / 9, -2.0f / 9},
                               {-2.0f / 9, 2.0f / 9, -2.0f / 9},
                               {1.0f / 90, 1.0f / 45, 2.0f / 45},
                               {1.0f / 90, -1.0f / 45, 2.0f / 45},
                               {32.0f / 45, 16.0f / 45, 8.0f / 45},
                               {32.0f / 45, -16.0f / 45, 8.0f / 45},
                               {0, 0, 1}};
static const float AT6[6][8] = {{1, 1, 1, 1, 1, 1, 1, 0},
                                {0, 1, -1, 2, -2, 1.0f / 2, -1.0f / 2, 0},
                                {0, 1, 1, 4, 4, 1.0f / 4, 1.0f / 4, 0},
                                {0, 1, -1, 8, -8, 1.0f / 8, -1.0f / 8, 0},
                                {0, 1, 1, 16, 16, 1.0f / 16, 1.0f / 16, 0},
                                {0, 1, -1, 32, -32, 1.0f / 32, -1.0f / 32, 1}};

/* entries of the tables by (m, row, column); m is a compile-time constant
 * at every call (always_inline), so these fold to constants */
#define BT(m, r, c) ((m) == 4 ? BT4[r][c] : BT6[r][c])
#define GM(m, r, c) ((m) == 4 ? G4[r][c] : G6[r][c])
#define AT(m, r, c) ((m) == 4 ? AT4[r][c] : AT6[r][c])
#define INL static inline __attribute__((always_inline))

/* acc (+)= k * v for a constant k, skipping zeros; *first marks an empty acc */
#define MAC(acc, first, k, v)                                                                 \
    do {                                                                                       \
        const float k_ = (k);                                                                  \
        if (k_ != 0.0f) {                                                                      \
            const float t_ = k_ == 1.0f ? (v) : k_ == -1.0f ? -(v) : k_ * (v);                 \
            (acc) = (first) ? t_ : (acc) + t_;                                                 \
            (first) = 0;                                                                       \
        }                                                                                      \
    } while (0)

static size_t fm_scratch(int m, int W, size_t T)
{
    const int a = m + 2, tw = (W + m - 1) / m;
    const size_t wp = (size_t)m * tw + 2 + 16;
    /* input: zero row + a rows t + a*a rows of T; output: m rows of wp +
     * m*m rows of T; grad: m*m rows of T */
    const size_t in = (size_t)(a + 1) * wp + (size_t)a * a * T;
    const size_t out = (size_t)m * wp + (size_t)m * m * T, gr = (size_t)m * m * T;
    size_t r = in > out ? in : out;
    return r > gr ? r : gr;
}

/* tiles in the chunk */
static int chunk_count(const wino_tiles *tl)
{
    const int k = tl->nseg - 1;
    return k < 0 ? 0 : tl->j0[k] + tl->tj1[k] - tl->tj0[k];
}

/* V (a*a points of stride ps; C rows of T) <- B^T d B of the chunk's tiles
 * of in (N, C, H, W).  Per channel: for each run of tiles, rows first (t_r
 * over the padded columns x, image column x - 1) and the a phases
 * E[r][q][j0 + j] = t_r[x_a + m j + q]; then the column transform over all
 * the chunk's tiles at once (long contiguous loops: a run of a small image
 * has only a few tiles). */
INL void input_tf_gen(const int m, const float *in, int C, int H, int W, const wino_tiles *tl,
                      size_t T, size_t ps, float *V, float *rb)
{
    enum { AMAX = 8 };
    const int a = m + 2, tc = chunk_count(tl);
    const size_t HW = (size_t)H * W;
    const int tw = (W + m - 1) / m;
    const size_t wp = (size_t)m * tw + 2 + 16;
    float *zero = rb, *t = rb + wp, *E = rb + (size_t)(a + 1) * wp;
    memset(zero, 0, sizeof(float) * wp);
    for (int c = 0; c < C; c++) {
        if (c + 1 < C)
            for (int k = 0; k < tl->nseg; k++)
                wino_prefetch_rows(in + ((size_t)tl->n[k] * C + c + 1) * HW, m * tl->ti[k] - 1,
                                   a, H, W, m * tl->tj0[k] - 1, m * tl->tj1[k] + 1, 0);
        for (int k = 0; k < tl->nseg; k++) {
            const int y0 = m * tl->ti[k] - 1, tj0 = tl->tj0[k], tj1 = tl->tj1[k];
            const int xa = m * tj0, xb = m * tj1 + 2;
            const int xl = xa > 1 ? xa : 1, xh = xb < W + 1 ? xb : W + 1;
            const int n = tj1 - tj0;
            const float *src = in + ((size_t)tl->n[k] * C + c) * HW;
            const float *rows[AMAX];
            for (int i = 0; i < a; i++) {
                const int yy = y0 + i;
                rows[i] = yy >= 0 && yy < H ? src + (size_t)yy * W : zero;
            }
#pragma GCC unroll 8
            for (int r = 0; r < a; r++) {
                float *tr = t + (size_t)r * wp;
                for (int x = xa; x < xl; x++) tr[x] = 0.0f;
#pragma omp simd
                for (int x = xl; x < xh; x++) {
                    float acc = 0.0f;
                    int first = 1;
#pragma GCC unroll 8
                    for (int i = 0; i < a; i++) MAC(acc, first, BT(m, r, i), rows[i][x - 1]);
                    tr[x] = acc;
                }
                for (int x = xh; x < xb; x++) tr[x] = 0.0f;
                const float *ts = tr + xa;
#pragma GCC unroll 8
                for (int q = 0; q < a; q++) {
                    float *eq = E + (size_t)(a * r + q) * T + tl->j0[k];
#pragma omp simd
                    for (int j = 0; j < n; j++) eq[j] = ts[m * j + q];
                }
            }
        }
        for (int r = 0; r < a; r++) {
            const float *er = E + (size_t)(a * r) * T;
            float *v = V + (size_t)c * T + (size_t)(a * r) * ps;
#pragma GCC unroll 8
            for (int s = 0; s < a; s++) {
                float *vs = v + (size_t)s * ps;
#pragma omp simd
                for (int j = 0; j < tc; j++) {
                    float acc = 0.0f;
                    int first = 1;
#pragma GCC unroll 8
                    for (int q = 0; q < a; q++) MAC(acc, first, BT(m, s, q), er[(size_t)q * T + j]);
                    vs[j] = acc;
                }
            }
        }
    }
}

/* out (N, C, H, W) (+)= A^T M A of the chunk's tiles, M (a*a points of
 * stride ps; C rows of T).  Per channel, over all the chunk's tiles at
 * once: the column products h[u][s] = sum_r A^T[u][r] M[r][s], then the
 * outputs O[u][v][j] = sum_s A^T[v][s] h[u][s]; then per run of tiles the
 * m x m outputs interleaved into m rows of scratch and from there (the
 * part inside the image) into out. */
INL void output_tf_gen(const int m, const float *M, int C, int H, int W, const wino_tiles *tl,
                       size_t T, size_t ps, float *out, int acc_out, float *rb)
{
    enum { AMAX = 8, MMAX = 6 };
    const int a = m + 2, tc = chunk_count(tl);
    const size_t HW = (size_t)H * W;
    const int tw = (W + m - 1) / m;
    const size_t wp = (size_t)m * tw + 2 + 16;
    float *O = rb + (size_t)m * wp;
    for (int c = 0; c < C; c++) {
        if (c + 1 < C)
            for (int k = 0; k < tl->nseg; k++)
                wino_prefetch_rows(out + ((size_t)tl->n[k] * C + c + 1) * HW, m * tl->ti[k], m,
                                   H, W, m * tl->tj0[k], m * tl->tj1[k], 1);
        const float *mc = M + (size_t)c * T;
#pragma omp simd
        for (int j = 0; j < tc; j++) {
            float h[MMAX][AMAX];
#pragma GCC unroll 8
            for (int u = 0; u < m; u++)
#pragma GCC unroll 8
                for (int s = 0; s < a; s++) {
                    float acc = 0.0f;
                    int first = 1;
#pragma GCC unroll 8
                    for (int r = 0; r < a; r++)
                        MAC(acc, first, AT(m, u, r), mc[(size_t)(a * r + s) * ps + j]);
                    h[u][s] = acc;
                }
#pragma GCC unroll 8
            for (int u = 0; u < m; u++)
#pragma GCC unroll 8
                for (int v = 0; v < m; v++) {
                    float acc = 0.0f;
                    int first = 1;
#pragma GCC unroll 8
                    for (int s = 0; s < a; s++) MAC(acc, first, AT(m, v, s), h[u][s]);
                    O[(size_t)(m * u + v) * T + j] = acc;
                }
        }
        for (int k = 0; k < tl->nseg; k++) {
            const int oy = m * tl->ti[k], tj0 = tl->tj0[k], tj1 = tl->tj1[k];
            const int x0 = m * tj0, x1 = m * tj1 < W ? m * tj1 : W;
            const int n = tj1 - tj0, nrow = H - oy < m ? H - oy : m;
            float *dst = out + ((size_t)tl->n[k] * C + c) * HW + (size_t)oy * W;
            for (int u = 0; u < nrow; u++) {
                float *o = rb + (size_t)u * wp + x0;
#pragma GCC unroll 8
                for (int v = 0; v < m; v++) {
                    const float *ov = O + (size_t)(m * u + v) * T + tl->j0[k];
#pragma omp simd
                    for (int j = 0; j < n; j++) o[m * j + v] = ov[j];
                }
                const float *orow = rb + (size_t)u * wp;
                float *d = dst + (size_t)u * W;
                if (acc_out) {
#pragma omp simd
                    for (int x = x0; x < x1; x++) d[x] += orow[x];
                } else {
                    memcpy(d + x0, orow + x0, sizeof(float) * (size_t)(x1 - x0));
                }
            }
        }
    }
}

/* D (a*a points of stride ps; C rows of T) <- A g A^T of the chunk's m x m
 * tiles g of dy (N, C, H, W), zeros outside the image: per channel the
 * tiles' g[u][v] gathered run by run into m*m rows of T, then the
 * transform over all the chunk's tiles at once */
INL void grad_tf_gen(const int m, const float *dy, int C, int H, int W, const wino_tiles *tl,
                     size_t T, size_t ps, float *D, float *rb)
{
    enum { AMAX = 8, MMAX = 6 };
    const int a = m + 2, tc = chunk_count(tl);
    const size_t HW = (size_t)H * W;
    for (int c = 0; c < C; c++) {
        if (c + 1 < C)
            for (int k = 0; k < tl->nseg; k++)
                wino_prefetch_rows(dy + ((size_t)tl->n[k] * C + c + 1) * HW, m * tl->ti[k], m,
                                   H, W, m * tl->tj0[k], m * tl->tj1[k], 0);
        for (int k = 0; k < tl->nseg; k++) {
            const int oy = m * tl->ti[k], tj0 = tl->tj0[k], tj1 = tl->tj1[k];
            const int n = tj1 - tj0;
            const float *src = dy + ((size_t)tl->n[k] * C + c) * HW;
            /* g[u][v][j] = dy row oy+u, column m(tj0+j)+v, zero outside */
            for (int u = 0; u < m; u++) {
                const int y = oy + u;
                for (int v = 0; v < m; v++) {
                    float *g = rb + (size_t)(m * u + v) * T + tl->j0[k];
                    if (y >= H) {
                        memset(g, 0, sizeof(float) * (size_t)n);
                        continue;
                    }
                    const float *row = src + (size_t)y * W;
                    /* tiles whose column m(tj0+j)+v is inside: j < full */
                    int full = (W - v - m * tj0 + m - 1) / m;
                    if (full > n) full = n;
                    if (full < 0) full = 0;
#pragma omp simd
                    for (int j = 0; j < full; j++) g[j] = row[m * (tj0 + j) + v];
                    for (int j = full; j < n; j++) g[j] = 0.0f;
                }
            }
        }
        float *d = D + (size_t)c * T;
#pragma omp simd
        for (int j = 0; j < tc; j++) {
            float h[MMAX][AMAX]; /* h[u][s] = sum_v g[u][v] A^T[v][s] */
#pragma GCC unroll 8
            for (int u = 0; u < m; u++)
#pragma GCC unroll 8
                for (int s = 0; s < a; s++) {
                    float acc = 0.0f;
                    int first = 1;
#pragma GCC unroll 8
                    for (int v = 0; v < m; v++)
                        MAC(acc, first, AT(m, v, s), rb[(size_t)(m * u + v) * T + j]);
                    h[u][s] = acc;
                }
#pragma GCC unroll 8
            for (int r = 0; r < a; r++)
#pragma GCC unroll 8
                for (int s = 0; s < a; s++) {
                    float acc = 0.0f;
                    int first = 1;
#pragma GCC unroll 8
                    for (int u = 0; u < m; u++) MAC(acc, first, AT(m, u, r), h[u][s]);
                    d[(size_t)(a * r + s) * ps + j] = acc;
                }
        }
    }
}

/* u[p*FB + i] <- G g_i G^T for the nb <= FB filters g_i of a block, given
 * as 9 rows of FB floats (g[k*FB + i]: tap k of filter i), so that every
 * loop runs over the block's filters (contiguous; it vectorises) */
INL void filter_tf_gen(const int m, const float *g, float *u, int nb)
{
    enum { AMAX = 8, FBLK = WINO_FB };
    const int a = m + 2;
    float t[AMAX][3][FBLK]; /* t[r][s] = sum_k G[r][k] g[k][s] */
#pragma GCC unroll 8
    for (int r = 0; r < a; r++)
#pragma GCC unroll 8
        for (int s = 0; s < 3; s++)
#pragma omp simd
            for (int i = 0; i < nb; i++) {
                float acc = 0.0f;
                int first = 1;
#pragma GCC unroll 8
                for (int k = 0; k < 3; k++) MAC(acc, first, GM(m, r, k), g[(3 * k + s) * FBLK + i]);
                t[r][s][i] = acc;
            }
#pragma GCC unroll 8
    for (int r = 0; r < a; r++)
#pragma GCC unroll 8
        for (int s = 0; s < a; s++)
#pragma omp simd
            for (int i = 0; i < nb; i++) {
                float acc = 0.0f;
                int first = 1;
#pragma GCC unroll 8
                for (int k = 0; k < 3; k++) MAC(acc, first, GM(m, s, k), t[r][k][i]);
                u[(a * r + s) * FBLK + i] = acc;
            }
}

/* dw_i (3x3, at dw[9 i]) += G^T w_i G for the nb <= FB blocks w_i (a x a),
 * given as a*a rows of FB floats (w[p*FB + i]) */
INL void filter_grad_tf_gen(const int m, const float *w, int nb, float *dw)
{
    enum { AMAX = 8, FBLK = WINO_FB };
    const int a = m + 2;
    float q[3][AMAX][FBLK], o[9][FBLK];
#pragma GCC unroll 8
    for (int s = 0; s < a; s++)
#pragma GCC unroll 8
        for (int k = 0; k < 3; k++)
#pragma omp simd
            for (int i = 0; i < nb; i++) {
                float acc = 0.0f;
                int first = 1;
#pragma GCC unroll 8
                for (int r = 0; r < a; r++) MAC(acc, first, GM(m, r, k), w[(a * r + s) * FBLK + i]);
                q[k][s][i] = acc;
            }
#pragma GCC unroll 8
    for (int k = 0; k < 3; k++)
#pragma GCC unroll 8
        for (int l = 0; l < 3; l++)
#pragma omp simd
            for (int i = 0; i < nb; i++) {
                float acc = 0.0f;
                int first = 1;
#pragma GCC unroll 8
                for (int s = 0; s < a; s++) MAC(acc, first, GM(m, s, l), q[k][s][i]);
                o[3 * k + l][i] = acc;
            }
    for (int i = 0; i < nb; i++)
        for (int k = 0; k < 9; k++) dw[9 * i + k] += o[k][i];
}

/* ---- channel-last (winograd.h, wino_cl; winograd.c, wino_range_cl):
 * one sample (H*W, C) at a time, every loop over a block of CLB channels
 * of one tile, the arithmetic that of the transforms above ---- */
enum { CLB = 16 };

/* V (a*a points of stride ps; rows j*C + c) <- B^T d B of the sample's
 * tiles of xt (H*W, C), tile t at row j0 + t; zero: C zeros */
INL void cl_input_gen(const int m, const float *xt, int C, int H, int W, size_t j0, size_t ps,
                      float *V, const float *zero)
{
    enum { AMAX = 8 };
    const int a = m + 2, th = (H + m - 1) / m, tw = (W + m - 1) / m;
    float t[AMAX][AMAX][CLB]; /* t[r][k] = sum_i B^T[r][i] d[i][k] */
    for (int ti = 0; ti < th; ti++)
        for (int tj = 0; tj < tw; tj++) {
            const float *d[AMAX * AMAX];
            for (int i = 0; i < a; i++)
                for (int k = 0; k < a; k++) {
                    const int y = m * ti - 1 + i, x = m * tj - 1 + k;
                    d[a * i + k] = y >= 0 && y < H && x >= 0 && x < W
                                       ? xt + ((size_t)y * W + x) * C
                                       : zero;
                }
            float *v = V + (j0 + (size_t)ti * tw + tj) * C;
            for (int c0 = 0; c0 < C; c0 += CLB) {
                const int nb = C - c0 < CLB ? C - c0 : CLB;
#pragma GCC unroll 8
                for (int r = 0; r < a; r++)
#pragma GCC unroll 8
                    for (int k = 0; k < a; k++)
#pragma omp simd
                        for (int cc = 0; cc < nb; cc++) {
                            float acc = 0.0f;
                            int first = 1;
#pragma GCC unroll 8
                            for (int i = 0; i < a; i++)
                                MAC(acc, first, BT(m, r, i), d[a * i + k][c0 + cc]);
                            t[r][k][cc] = acc;
                        }
#pragma GCC unroll 8
                for (int r = 0; r < a; r++)
#pragma GCC unroll 8
                    for (int s = 0; s < a; s++) {
                        float *vs = v + (size_t)(a * r + s) * ps + c0;
#pragma omp simd
                        for (int cc = 0; cc < nb; cc++) {
                            float acc = 0.0f;
                            int first = 1;
#pragma GCC unroll 8
                            for (int k = 0; k < a; k++) MAC(acc, first, BT(m, s, k), t[r][k][cc]);
                            vs[cc] = acc;
                        }
                    }
            }
        }
}

/* ot (H*W, C) <- A^T M A of the sample's tiles (M: a*a points of stride
 * ps, rows j*C + c), the part inside the image; sink: C floats */
INL void cl_output_gen(const int m, const float *M, int C, int H, int W, size_t j0, size_t ps,
                       float *ot, float *sink)
{
    enum { AMAX = 8, MMAX = 6 };
    const int a = m + 2, th = (H + m - 1) / m, tw = (W + m - 1) / m;
    float h[MMAX][AMAX][CLB]; /* h[u][s] = sum_r A^T[u][r] M[r][s] */
    for (int ti = 0; ti < th; ti++)
        for (int tj = 0; tj < tw; tj++) {
            const float *mt = M + (j0 + (size_t)ti * tw + tj) * C;
            for (int c0 = 0; c0 < C; c0 += CLB) {
                const int nb = C - c0 < CLB ? C - c0 : CLB;
#pragma GCC unroll 8
                for (int u = 0; u < m; u++)
#pragma GCC unroll 8
                    for (int s = 0; s < a; s++)
#pragma omp simd
                        for (int cc = 0; cc < nb; cc++) {
                            float acc = 0.0f;
                            int first = 1;
#pragma GCC unroll 8
                            for (int r = 0; r < a; r++)
                                MAC(acc, first, AT(m, u, r), mt[(size_t)(a * r + s) * ps + c0 + cc]);
                            h[u][s][cc] = acc;
                        }
#pragma GCC unroll 8
                for (int u = 0; u < m; u++)
#pragma GCC unroll 8
                    for (int v = 0; v < m; v++) {
                        const int y = m * ti + u, x = m * tj + v;
                        float *o = y < H && x < W ? ot + ((size_t)y * W + x) * C + c0 : sink;
#pragma omp simd
                        for (int cc = 0; cc < nb; cc++) {
                            float acc = 0.0f;
                            int first = 1;
#pragma GCC unroll 8
                            for (int s = 0; s < a; s++) MAC(acc, first, AT(m, v, s), h[u][s][cc]);
                            o[cc] = acc;
                        }
                    }
            }
        }
}

/* D (a*a points of stride ps; rows j*C + c) <- A g A^T of the sample's
 * m x m tiles g of gt (H*W, C), zeros outside the image */
INL void cl_grad_gen(const int m, const float *gt, int C, int H, int W, size_t j0, size_t ps,
                     float *D, const float *zero)
{
    enum { AMAX = 8, MMAX = 6 };
    const int a = m + 2, th = (H + m - 1) / m, tw = (W + m - 1) / m;
    float h[MMAX][AMAX][CLB]; /* h[u][s] = sum_v g[u][v] A^T[v][s] */
    for (int ti = 0; ti < th; ti++)
        for (int tj = 0; tj < tw; tj++) {
            const float *g[MMAX * MMAX];
            for (int u = 0; u < m; u++)
                for (int v = 0; v < m; v++) {
                    const int y = m * ti + u, x = m * tj + v;
                    g[m * u + v] = y < H && x < W ? gt + ((size_t)y * W + x) * C : zero;
                }
            float *dt = D + (j0 + (size_t)ti * tw + tj) * C;
            for (int c0 = 0; c0 < C; c0 += CLB) {
                const int nb = C - c0 < CLB ? C - c0 : CLB;
#pragma GCC unroll 8
                for (int u = 0; u < m; u++)
#pragma GCC unroll 8
                    for (int s = 0; s < a; s++)
#pragma omp simd
                        for (int cc = 0; cc < nb; cc++) {
                            float acc = 0.0f;
                            int first = 1;
#pragma GCC unroll 8
                            for (int v = 0; v < m; v++)
                                MAC(acc, first, AT(m, v, s), g[m * u + v][c0 + cc]);
                            h[u][s][cc] = acc;
                        }
#pragma GCC unroll 8
                for (int r = 0; r < a; r++)
#pragma GCC unroll 8
                    for (int s = 0; s < a; s++) {
                        float *ds = dt + (size_t)(a * r + s) * ps + c0;
#pragma omp simd
                        for (int cc = 0; cc < nb; cc++) {
                            float acc = 0.0f;
                            int first = 1;
#pragma GCC unroll 8
                            for (int u = 0; u < m; u++) MAC(acc, first, AT(m, u, r), h[u][s][cc]);
                            ds[cc] = acc;
                        }
                    }
            }
        }
}

/* ---- the instances: static AVX2 clones next to the baseline (cpu.h;
 * static, as target_clones would export the resolver of a global
 * function), listed in one table per m ---- */

#define INSTANCES(M)                                                                           \
    ASGML_CPU_SIMD static void input##M(const float *in, int C, int H, int W,                 \
                                        const wino_tiles *tl, size_t T, size_t ps, float *V,   \
                                        float *rb)                                             \
    {                                                                                          \
        input_tf_gen(M, in, C, H, W, tl, T, ps, V, rb);                                        \
    }                                                                                          \
    ASGML_CPU_SIMD static void output##M(const float *Mx, int C, int H, int W,                \
                                         const wino_tiles *tl, size_t T, size_t ps,            \
                                         float *out, int acc, float *rb)                       \
    {                                                                                          \
        output_tf_gen(M, Mx, C, H, W, tl, T, ps, out, acc, rb);                                \
    }                                                                                          \
    ASGML_CPU_SIMD static void grad##M(const float *dy, int C, int H, int W,                  \
                                       const wino_tiles *tl, size_t T, size_t ps, float *D,    \
                                       float *rb)                                              \
    {                                                                                          \
        grad_tf_gen(M, dy, C, H, W, tl, T, ps, D, rb);                                         \
    }                                                                                          \
    ASGML_CPU_SIMD static void filter_block##M(const float *g, float *u, int nb)             \
    {                                                                                          \
        filter_tf_gen(M, g, u, nb);                                                            \
    }                                                                                          \
    ASGML_CPU_SIMD static void filter_grad##M(const float *w, int nb, float *dw)              \
    {                                                                                          \
        filter_grad_tf_gen(M, w, nb, dw);                                                      \
    }                                                                                          \
    static size_t scratch##M(int W, size_t T)                                                  \
    {                                                                                          \
        return fm_scratch(M, W, T);                                                            \
    }                                                                                          \
    ASGML_CPU_SIMD_WIDE static void cl_input##M(const float *xt, int C, int H, int W, size_t j0,   \
                                           size_t ps, float *V, const float *zero)             \
    {                                                                                          \
        cl_input_gen(M, xt, C, H, W, j0, ps, V, zero);                                         \
    }                                                                                          \
    ASGML_CPU_SIMD_WIDE static void cl_output##M(const float *Mx, int C, int H, int W, size_t j0,  \
                                            size_t ps, float *ot, float *sink)                 \
    {                                                                                          \
        cl_output_gen(M, Mx, C, H, W, j0, ps, ot, sink);                                       \
    }                                                                                          \
    ASGML_CPU_SIMD_WIDE static void cl_grad##M(const float *gt, int C, int H, int W, size_t j0,    \
                                          size_t ps, float *D, const float *zero)              \
    {                                                                                          \
        cl_grad_gen(M, gt, C, H, W, j0, ps, D, zero);                                          \
    }                                                                                          \
    static const wino_cl cl##M = {cl_input##M, cl_output##M, cl_grad##M};                     \
    static const wino_tf tf##M = {input##M,        output##M,      grad##M,   filter_block##M, \
                                  filter_grad##M,  scratch##M,     &cl##M};

INSTANCES(4)
INSTANCES(6)

const wino_tf *asgml_cpu_wino_tf(int m)
{
    return m == 4 ? &tf4 : m == 6 ? &tf6 : NULL;
}
