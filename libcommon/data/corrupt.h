/* SPDX-License-Identifier: MIT */
/* corrupt.h - AV-Digits degradations (asgml-prep(1), DATA SETS, AV-Digits) as pure functions on
 * buffers.  Randomness comes only from the asgml_splitmix stream the caller
 * passes, initialised with the per-sample tag (1,000,000 + index for audio,
 * 2,000,000 + index for image, index in store order).  Private to libasgml.
 *
 * Draw order is part of the contract (results must be reproducible):
 *   img_noise: pixels in memory order, one Box-Muller pair (2 draws) each;
 *   img_occlude: one Fisher-Yates shuffle of the 16 cell numbers 0..15
 *                (cell = 4*row + col), the first M cells are zeroed;
 *   aud_snr:   samples in order, one Box-Muller pair (2 draws) each.
 * When several image options are combined, asgml-prep applies them in the
 * order mismatch, down, occlude, noise (documented in its man page).
 * The PCA-energy option (--img-pca-energy) is not implemented here. */
#ifndef ASGML_CORRUPT_H
#define ASGML_CORRUPT_H

#include "asgml/common.h"
#include "data/decode.h"

/* img: n uint8 values (any shape) in 0..255 units.  v += sigma * N(0,1),
 * rounded to nearest (halves away from zero), clamped to 0..255.
 * sigma >= 0; sigma == 0 leaves img unchanged and draws nothing. */
asgml_status asgml_corrupt_img_noise(uint8_t *img, int64_t n, double sigma,
                                     asgml_splitmix *r);

/* img: (h, w, c).  Average-pool to k x k cells of (h/k) x (w/k) pixels
 * (mean rounded to nearest, halves up), then nearest-upsample back to
 * (h, w).  k must divide h and w (AV-Digits: 28 -> 14, 7, 4, 2). */
asgml_status asgml_corrupt_img_down(uint8_t *img, int h, int w, int c, int k);

/* img: (h, w, c), h and w divisible by 4.  Zero m of the 16 cells of the
 * 4 x 4 grid of (h/4) x (w/4) patches; 0 <= m <= 16. */
asgml_status asgml_corrupt_img_occlude(uint8_t *img, int h, int w, int c, int m,
                                       asgml_splitmix *r);

/* x: (n,) float wave in [-1,1].  P = mean(x^2) (double).  If P < 1e-10 the
 * wave is left alone, nothing is drawn and ASGML_FLAG_AUDIO_SILENT is OR-ed
 * into *flags (may be NULL).  Otherwise x += sqrt(P / 10^(snr_db/10)) *
 * N(0,1) per sample, clamped to [-1, 1]. */
asgml_status asgml_corrupt_aud_snr(float *x, int64_t n, double snr_db, asgml_splitmix *r,
                                   uint32_t *flags);

#endif
