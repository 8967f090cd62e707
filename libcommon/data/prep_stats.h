/* SPDX-License-Identifier: MIT */
/* prep_stats.h - per-feature mean and standard deviation of the training
 * split, written by asgml-prep under /stats (asgml-store(5), Statistics;
 * datasets.md 7.2).  Private to libasgml.
 *
 * A decoding thread summarises one sample of one dataset into a
 * prep_moments (per feature k: the sample's value count n, mean and sum of
 * squared deviations M2, all in double, two passes over the sample); the
 * writing thread merges the summaries of the training samples in store
 * order (Chan, Golub & LeVeque's pairwise update), so the result depends
 * only on the stored values and the store order, never on --jobs.
 *
 * What a "feature" is, per stored dataset (x the stored value):
 *   spec  (F,T) float32   D = F   frequency bins, over time
 *   fbank (T,M) float32   D = M   mel bins, over the rows (frames)
 *   seq   (L,D) float32   D = D   over the first seq_len (valid) steps
 *   wave  (L) int16       D = 1   in float units x/32768
 *   image, image_clean (H,W[,C]) uint8, frames (n,H,W,C) uint8:
 *                         D = C   per channel, in x/255 units (the units
 *                                 of data.<m>.mean/std in asgml-train(1))
 * std is the population deviation sqrt(M2/n) (ddof 0, numpy's default). */
#ifndef ASGML_DATA_PREP_STATS_H
#define ASGML_DATA_PREP_STATS_H

#include <stdint.h>

#include "asgml/common.h"
#include "data/store_write.h"

typedef enum prep_stats_kind {
    PREP_STATS_F32_ROWS_BY_FIRST = 1,   /* (D, cols) float32: feature = row (spec) */
    PREP_STATS_F32_COLS,                /* (rows, D) float32: feature = column (fbank, seq) */
    PREP_STATS_I16_WAVE,                /* (L) int16, D = 1, x/32768 */
    PREP_STATS_U8_CHANNELS              /* (pixels, D) uint8 interleaved, x/255 */
} prep_stats_kind;

typedef struct prep_moments {
    int dim;                 /* D */
    int64_t n;               /* values per feature so far */
    double *mean, *m2;       /* (D) */
} prep_moments;

asgml_status prep_moments_init(prep_moments *s, int dim);
void prep_moments_free(prep_moments *s);
/* s = the moments of one sample: `rows` x D values (layout by kind; for
 * PREP_STATS_F32_ROWS_BY_FIRST `rows` is the number of columns per feature).
 * rows = 0 gives n = 0 (nothing to merge). */
void prep_moments_of(prep_moments *s, prep_stats_kind kind, const void *data, int64_t rows);
/* acc += s (pairwise update; s with n = 0 leaves acc as it is). */
void prep_moments_merge(prep_moments *acc, const prep_moments *s);
/* Writes <group>/mean and <group>/std (D) float64 with attributes split,
 * dataset, count (values per feature), ddof (0) and units.  Nothing is
 * written when acc->n = 0 (no training sample). */
asgml_status prep_moments_write(asgml_store_writer *w, const prep_moments *acc, const char *group,
                                const char *split, const char *dataset, const char *units);

#endif
