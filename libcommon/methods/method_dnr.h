/* SPDX-License-Identifier: MIT */
/* method_dnr.h - the D&R diagnosis (private; tests/test-dnr.c checks it
 * against scikit-learn / PyTorch).  Wei et al., "Diagnosing and
 * Re-learning for Balanced Multimodal Learning", ECCV 2024, Eq. 3-6;
 * GeWu-Lab/Diagnosing_Relearning_ECCV2024 code/ours.py reinit_score. */
#ifndef ASGML_METHOD_DNR_H
#define ASGML_METHOD_DNR_H

#include <stdint.h>

#include "asgml/common.h"
#include "methods/kmeans.h"

/* Purity of one feature set f (n, D) with labels y (n) in [0, C): min-max
 * scale every column to [-1, 1], k-means (o->k clusters) and
 * asgml_cluster_purity.  *inertia may be NULL. */
asgml_status asgml_dnr_purity(const float *f, int64_t n, int D, const int32_t *y, int C,
                              const asgml_kmeans_opts *o, double *purity, double *inertia);
/* The blend weight w = tanh(lambda |purity_train - purity_val|). */
double asgml_dnr_weight(double lambda, double purity_train, double purity_val);

#endif
