/* SPDX-License-Identifier: MIT */
/* cpu/winograd_cl.c - the transforms of Winograd F(2x2,3x3) in a
 * channel-last layout, for images of few tiles (winograd.c, wino_cl_use).
 *
 * winograd.c's own F(2x2) transforms go channel by channel along runs of
 * tiles: on a 5x2 or 7x7 image a run has 1-4 tiles, and the loop setup
 * of every (channel, run) costs more than its arithmetic (perf: the input
 * transform took 14% of a 512-channel 5x2 layer's time).  Here a sample
 * is first transposed to (H*W, C), and every transform loop runs over the
 * channels of one tile (64-512 contiguous floats; the transposes:
 * winograd.h).  The transformed data
 * are channel-last too, and winograd.c's point GEMMs take them transposed:
 *   V[p] (T, ci) = the tiles' B^T d B      (row j*ci + c; T tiles)
 *   M[p] (T, co) = V[p] . U[p]^T           (U[p]: (co, ci) as before)
 *   D[p] (T, co) = the tiles' A g A^T      (backward filter)
 *   Dw[p] (co, ci) += D[p]^T . V[p]
 * The arithmetic of each transform is that of winograd.c's (same
 * expressions, same order). */
#include <string.h>

#include "cpu.h"
#include "winograd.h"

/* V (16 points of stride ps; rows j*C + c) <- B^T d B of the tiles of one
 * sample xt (H*W, C), tile t = ti*tw + tj stored as j = j0 + t; zero: C
 * zeros (the padding).  Every loop body names its 16 rows (GCC does not
 * vectorise over arrays of pointers). */
ASGML_CPU_SIMD_WIDE static void cl_input(const float *xt, int C, int H, int W, size_t j0, size_t ps,
                                    float *V, const float *zero)
{
    const int th = (H + 1) / 2, tw = (W + 1) / 2;
    for (int ti = 0; ti < th; ti++)
        for (int tj = 0; tj < tw; tj++) {
            const float *d[16];
            for (int i = 0; i < 4; i++)
                for (int k = 0; k < 4; k++) {
                    const int y = 2 * ti - 1 + i, x = 2 * tj - 1 + k;
                    d[4 * i + k] = y >= 0 && y < H && x >= 0 && x < W
                                       ? xt + ((size_t)y * W + x) * C
                                       : zero;
                }
            const float *restrict d00 = d[0], *restrict d01 = d[1], *restrict d02 = d[2],
                                  *restrict d03 = d[3], *restrict d10 = d[4], *restrict d11 = d[5],
                                  *restrict d12 = d[6], *restrict d13 = d[7], *restrict d20 = d[8],
                                  *restrict d21 = d[9], *restrict d22 = d[10],
                                  *restrict d23 = d[11], *restrict d30 = d[12],
                                  *restrict d31 = d[13], *restrict d32 = d[14],
                                  *restrict d33 = d[15];
            float *restrict v = V + (j0 + (size_t)ti * tw + tj) * C;
#pragma omp simd
            for (int c = 0; c < C; c++) {
                /* rows of B^T d (as input_tf: t0 = e0 - e2, t1 = e1 + e2,
                 * t2 = e2 - e1, t3 = e1 - e3), column k */
#define ROWS(k)                                                                                \
    const float t0##k = d0##k[c] - d2##k[c], t1##k = d1##k[c] + d2##k[c];                     \
    const float t2##k = d2##k[c] - d1##k[c], t3##k = d1##k[c] - d3##k[c]
                ROWS(0);
                ROWS(1);
                ROWS(2);
                ROWS(3);
#undef ROWS
                /* then the columns: point 4r + s */
#define COLS(r)                                                                                \
    v[(size_t)(4 * r) * ps + c] = t##r##0 - t##r##2;                                           \
    v[(size_t)(4 * r + 1) * ps + c] = t##r##1 + t##r##2;                                       \
    v[(size_t)(4 * r + 2) * ps + c] = t##r##2 - t##r##1;                                       \
    v[(size_t)(4 * r + 3) * ps + c] = t##r##1 - t##r##3
                COLS(0);
                COLS(1);
                COLS(2);
                COLS(3);
#undef COLS
            }
        }
}

/* ot (H*W, C) <- A^T M A of one sample's tiles (M: 16 points of stride ps,
 * rows j*C + c, tile t at j0 + t), the part inside the image (outputs
 * outside it go to sink, C floats) */
ASGML_CPU_SIMD_WIDE static void cl_output(const float *M, int C, int H, int W, size_t j0, size_t ps,
                                     float *ot, float *sink)
{
    const int th = (H + 1) / 2, tw = (W + 1) / 2;
    for (int ti = 0; ti < th; ti++)
        for (int tj = 0; tj < tw; tj++) {
            const float *restrict m = M + (j0 + (size_t)ti * tw + tj) * C;
            const int y = 2 * ti, x = 2 * tj, two_y = y + 1 < H, two_x = x + 1 < W;
            float *restrict o00 = ot + ((size_t)y * W + x) * C;
            float *restrict o01 = two_x ? o00 + C : sink;
            float *restrict o10 = two_y ? o00 + (size_t)W * C : sink;
            float *restrict o11 = two_x && two_y ? o00 + (size_t)(W + 1) * C : sink;
#pragma omp simd
            for (int c = 0; c < C; c++) {
#define MP(p) m[(size_t)(p) * ps + c]
                const float s00 = MP(0) + MP(4) + MP(8), s01 = MP(1) + MP(5) + MP(9);
                const float s02 = MP(2) + MP(6) + MP(10), s03 = MP(3) + MP(7) + MP(11);
                const float s10 = MP(4) - MP(8) - MP(12), s11 = MP(5) - MP(9) - MP(13);
                const float s12 = MP(6) - MP(10) - MP(14), s13 = MP(7) - MP(11) - MP(15);
#undef MP
                o00[c] = s00 + s01 + s02;
                o01[c] = s01 - s02 - s03;
                o10[c] = s10 + s11 + s12;
                o11[c] = s11 - s12 - s13;
            }
        }
}

/* D (16 points of stride ps; rows j*C + c) <- A g A^T of the 2x2 tiles g of
 * one sample gt (H*W, C), zeros outside the image */
ASGML_CPU_SIMD_WIDE static void cl_grad(const float *gt, int C, int H, int W, size_t j0, size_t ps,
                                   float *D, const float *zero)
{
    const int th = (H + 1) / 2, tw = (W + 1) / 2;
    for (int ti = 0; ti < th; ti++)
        for (int tj = 0; tj < tw; tj++) {
            const int y = 2 * ti, x = 2 * tj, two_y = y + 1 < H, two_x = x + 1 < W;
            const float *restrict g00 = gt + ((size_t)y * W + x) * C;
            const float *restrict g01 = two_x ? g00 + C : zero;
            const float *restrict g10 = two_y ? g00 + (size_t)W * C : zero;
            const float *restrict g11 = two_x && two_y ? g00 + (size_t)(W + 1) * C : zero;
            float *restrict m = D + (j0 + (size_t)ti * tw + tj) * C;
#pragma omp simd
            for (int c = 0; c < C; c++) {
                const float a00 = g00[c], a01 = g01[c], a10 = g10[c], a11 = g11[c];
                const float p0 = a00 + a10, p1 = a01 + a11, q0 = a00 - a10, q1 = a01 - a11;
#define MP(p) m[(size_t)(p) * ps + c]
                MP(0) = a00, MP(1) = a00 + a01, MP(2) = a00 - a01, MP(3) = -a01;
                MP(4) = p0, MP(5) = p0 + p1, MP(6) = p0 - p1, MP(7) = -p1;
                MP(8) = q0, MP(9) = q0 + q1, MP(10) = q0 - q1, MP(11) = -q1;
                MP(12) = -a10, MP(13) = -a10 - a11, MP(14) = -a10 + a11, MP(15) = a11;
#undef MP
            }
        }
}

const wino_cl asgml_cpu_wino_cl2 = {cl_input, cl_output, cl_grad};
