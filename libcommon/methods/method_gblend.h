/* SPDX-License-Identifier: MIT */
/* method_gblend.h - the Gradient-Blending weight estimate (private;
 * tests/test-gblend-torch.c checks it against PyTorch).  Wang, Tran and
 * Feiszli, "What Makes Training Multi-modal Classification Networks Hard?",
 * CVPR 2020, §3 Eq. 5-7 and Algorithms 1-3; GeWu-Lab/BalanceBenchmark
 * balancemm/trainer/GBlending_trainer.py super_epoch_origin. */
#ifndef ASGML_METHOD_GBLEND_H
#define ASGML_METHOD_GBLEND_H

/* K heads (0 = fused, 1 + m = modality m).  lt0, lv0 (K): training and
 * validation losses of head k before its trial, lt1, lv1 (K) after it.
 *   G_k   = lv0 - lv1                           (generalisation gain)
 *   O_k   = (lv1 - lt1) - (lv0 - lt0)           (overfitting increase)
 *   OGR_k = |O_k / G_k|                         (paper's overfitting-to-
 *                                                generalisation ratio)
 *   w_k   = (|G_k| / (O_k^2 + eps)) / sum_j (|G_j| / (O_j^2 + eps))
 * in double.  Returns 0, or -1 when sum_j is 0 or not finite (w undefined,
 * w left as it was). */
int asgml_gblend_weights(int K, const double *lt0, const double *lv0, const double *lt1,
                         const double *lv1, double eps, double *G, double *O, double *ogr,
                         double *w);

#endif
