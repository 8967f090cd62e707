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

/* row scratch (floats) the F(m) transforms need for an image W wide */
size_t asgml_cpu_wino_fm_scratch(int m, int W);

#define WINO_FM_PROTOS(M)                                                                      \
    void asgml_cpu_wino##M##_input(const float *in, int C, int H, int W, const wino_tiles *tl, \
                                   size_t T, size_t ps, float *V, float *rb);                  \
    void asgml_cpu_wino##M##_output(const float *Mx, int C, int H, int W,                     \
                                    const wino_tiles *tl, size_t T, size_t ps, float *out,     \
                                    int acc, float *rb);                                       \
    void asgml_cpu_wino##M##_grad(const float *dy, int C, int H, int W, const wino_tiles *tl,  \
                                  size_t T, size_t ps, float *D, float *rb);                   \
    void asgml_cpu_wino##M##_filter_block(const float *g, float *u, int nb);                  \
    void asgml_cpu_wino##M##_filter_grad(const float *w, int nb, float *dw);
WINO_FM_PROTOS(4)
WINO_FM_PROTOS(6)
#undef WINO_FM_PROTOS

#endif
