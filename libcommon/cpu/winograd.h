/* SPDX-License-Identifier: MIT */
/* cpu/winograd.h - what winograd.c (tiling, GEMMs, F(2x2,3x3)) shares with
 * winograd_fm.c (the transforms of F(4x4,3x3) and F(6x6,3x3)). */
#ifndef ASGML_CPU_WINOGRAD_H
#define ASGML_CPU_WINOGRAD_H

#include <stddef.h>

#define WINO_MAX_TILES 1024
/* filters per block of the filter transforms (winograd.c: filter_rows) */
#define WINO_FB 32

/* The tiles of a chunk as runs along tile rows: run k covers tiles
 * [tj0, tj1) of tile row ti of sample n, stored from chunk column j0. */
typedef struct wino_tiles {
    int nseg, n[WINO_MAX_TILES], ti[WINO_MAX_TILES], tj0[WINO_MAX_TILES], tj1[WINO_MAX_TILES],
        j0[WINO_MAX_TILES];
} wino_tiles;

/* Channel-last transforms (F(2x2): winograd_cl.c; F(4x4), F(6x6):
 * winograd_fm.c), one sample at a time: its tiles t = ti*tw + tj at rows
 * j0 + t of V, M, D (points of stride ps; rows of C floats; zero, sink: C
 * floats of scratch)
 * input   V <- B^T d B of the sample xt (H*W, C)
 * output  ot (H*W, C) <- A^T M A (outputs outside the image to sink)
 * grad    D <- A g A^T of the sample's m x m tiles of gt (H*W, C) */
typedef struct wino_cl {
    void (*input)(const float *xt, int C, int H, int W, size_t j0, size_t ps, float *V,
                  const float *zero);
    void (*output)(const float *M, int C, int H, int W, size_t j0, size_t ps, float *ot,
                   float *sink);
    void (*grad)(const float *gt, int C, int H, int W, size_t j0, size_t ps, float *D,
                 const float *zero);
} wino_cl;

/* F(2x2)'s (winograd_cl.c) */
extern const wino_cl asgml_cpu_wino_cl2;

/* dst (HW, C) <- src (C, HW), in blocks of 16 channels */
static inline void wino_cl_gather(const float *src, int C, int HW, float *dst)
{
    for (int c0 = 0; c0 < C; c0 += 16) {
        const int nb = C - c0 < 16 ? C - c0 : 16;
        for (int q = 0; q < HW; q++) {
            float *d = dst + (size_t)q * C + c0;
            const float *s = src + (size_t)c0 * HW + q;
            for (int i = 0; i < nb; i++) d[i] = s[(size_t)i * HW];
        }
    }
}

/* dst (C, HW) (+)= src (HW, C) */
static inline void wino_cl_scatter(const float *src, int C, int HW, float *dst, int acc)
{
    for (int c0 = 0; c0 < C; c0 += 16) {
        const int nb = C - c0 < 16 ? C - c0 : 16;
        for (int q = 0; q < HW; q++) {
            const float *s = src + (size_t)q * C + c0;
            float *d = dst + (size_t)c0 * HW + q;
            if (acc)
                for (int i = 0; i < nb; i++) d[(size_t)i * HW] += s[i];
            else
                for (int i = 0; i < nb; i++) d[(size_t)i * HW] = s[i];
        }
    }
}

/* The transforms of F(m x m, 3x3) (F(2x2,3x3): winograd.c's own; F(4x4)
 * and F(6x6): winograd_fm.c, asgml_cpu_wino_tf):
 * input   V (a*a points of stride ps; C rows of T) <- B^T d B of the
 *         chunk's tiles of in (N, C, H, W)
 * output  out (N, C, H, W) (+)= A^T M A (acc: +=)
 * grad    D (as V) <- A g A^T of the chunk's m x m tiles of dy
 * filter_block  u[p*WINO_FB + i] <- G g_i G^T, the nb filters given as 9
 *         rows of WINO_FB floats (g[k*WINO_FB + i]: tap k of filter i)
 * filter_grad   dw[9i .. 9i+8] += G^T w_i G, w as a*a rows of WINO_FB
 * scratch the floats of rb the transforms need for an image W wide and
 *         chunks of T tiles */
typedef struct wino_tf {
    void (*input)(const float *in, int C, int H, int W, const wino_tiles *tl, size_t T, size_t ps,
                  float *V, float *rb);
    void (*output)(const float *M, int C, int H, int W, const wino_tiles *tl, size_t T,
                   size_t ps, float *out, int acc, float *rb);
    void (*grad)(const float *dy, int C, int H, int W, const wino_tiles *tl, size_t T, size_t ps,
                 float *D, float *rb);
    void (*filter_block)(const float *g, float *u, int nb);
    void (*filter_grad)(const float *w, int nb, float *dw);
    size_t (*scratch)(int W, size_t T);
    const wino_cl *cl; /* the channel-last transforms */
} wino_tf;

/* Prefetch rows [y0, y0 + ny) of an (H, W) plane, columns [x0, x1)
 * (clipped to the image), for reading (rw 0) or writing (rw 1).  The
 * transforms go channel by channel, and a channel's share of a chunk is a
 * few short rows per plane (a 56x56 image: ~10 rows of 224 bytes), too
 * short for the hardware prefetcher: without this the first loads of every
 * channel waited on memory (perf: a third of F(4x4)'s input transform at
 * 64 channels, 56x56).  Called for the next channel while this one is
 * transformed. */
static inline void wino_prefetch_rows(const float *plane, int y0, int ny, int H, int W, int x0,
                                      int x1, int rw)
{
    const int ya = y0 > 0 ? y0 : 0, yb = y0 + ny < H ? y0 + ny : H;
    const int xa = x0 > 0 ? x0 : 0, xb = x1 < W ? x1 : W;
    if (xa >= xb) return;
    for (int y = ya; y < yb; y++) {
        const float *r = plane + (size_t)y * W;
        /* every line the span touches: steps of 16 floats, and the last */
        if (rw) {
            for (int x = xa; x < xb; x += 16) __builtin_prefetch(r + x, 1, 3);
            __builtin_prefetch(r + xb - 1, 1, 3);
        } else {
            for (int x = xa; x < xb; x += 16) __builtin_prefetch(r + x, 0, 3);
            __builtin_prefetch(r + xb - 1, 0, 3);
        }
    }
}

/* the transforms of F(m x m, 3x3), m = 4 or 6; NULL for another m */
const wino_tf *asgml_cpu_wino_tf(int m);

#endif
