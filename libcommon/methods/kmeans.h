/* SPDX-License-Identifier: MIT */
/* kmeans.h - k-means clustering and cluster purity for the D&R method
 * (asgml-methods(7), DNR), following scikit-learn's KMeans (lloyd): k-means++
 * seeding, n_init restarts, lowest inertia kept.  Private to the library. */
#ifndef ASGML_METHODS_KMEANS_H
#define ASGML_METHODS_KMEANS_H

#include <stdint.h>

#include "asgml/common.h"

/* A source of uniform numbers in [0, 1) for the k-means++ draws. */
typedef double (*asgml_kmeans_uniform_fn)(void *ctx);

typedef struct asgml_kmeans_opts {
    int k;              /* clusters */
    int n_init;         /* restarts (k-means++ each), lowest inertia kept */
    int max_iter;       /* Lloyd iterations per restart */
    double tol;         /* relative: stop when sum_k ||c_k' - c_k||^2 <= tol * mean_j var(X_j) */
    uint64_t seed;      /* Philox key of the restarts' draws (asgml_kmeans_fit) */
} asgml_kmeans_opts;

/* x (n, d) float -> out (n, d) double, each column min-max scaled to
 * [-1, 1] as sklearn.preprocessing.MinMaxScaler(feature_range=(-1, 1)):
 * s = 2 / (max - min) (a constant column: max - min taken as 1),
 * out = x s + (-1 - min s). */
void asgml_minmax_scale(const float *x, int64_t n, int d, double *out);

/* Greedy k-means++ seeding (sklearn.cluster._kmeans._kmeans_plusplus, unit
 * sample weights): first centre index = searchsorted_right(cumsum(1/n) /
 * total, u); then per centre 2 + floor(ln k) candidates, candidate =
 * searchsorted_left(cumsum(D^2), u * sum(D^2)) (clipped to n - 1), keep the
 * candidate with the lowest resulting potential.  centers (k, d) out; ids
 * (k) out (may be NULL).  u() is called exactly 1 + (k - 1)(2 + floor(ln k))
 * times, in the order sklearn draws. */
asgml_status asgml_kmeans_plusplus(const double *X, int64_t n, int d, int k,
                                   asgml_kmeans_uniform_fn u, void *uctx, double *centers,
                                   int64_t *ids);

/* Lloyd iterations from the given centres (k, d), updated in place, as
 * sklearn's _kmeans_single_lloyd: assign, recompute means (an empty cluster
 * takes the point farthest from its centre), stop when the labels repeat
 * (strict convergence) or the total squared centre shift <= tol_abs; a final
 * assignment when not strictly converged.  labels (n) out, *inertia = sum of
 * squared distances to the assigned centre, *n_iter iterations run. */
asgml_status asgml_kmeans_lloyd(const double *X, int64_t n, int d, int k, double *centers,
                                int max_iter, double tol_abs, int32_t *labels, double *inertia,
                                int *n_iter);

/* n_init runs of k-means++ + Lloyd; restart r draws from Philox key
 * o->seed, counter r * 2^32 + i.  The result of the run with the lowest
 * inertia is kept (an equal or higher one, or a lower one with the same
 * partition, does not replace it, as sklearn).  centers (k, d) may be NULL. */
asgml_status asgml_kmeans_fit(const double *X, int64_t n, int d, const asgml_kmeans_opts *o,
                              int32_t *labels, double *centers, double *inertia, int *n_iter);

/* Purity = (1/n) sum over clusters of the count of the cluster's most
 * frequent label; y in [0, C), cluster in [0, k).  NaN on an out-of-range
 * value or n == 0. */
double asgml_cluster_purity(const int32_t *y, const int32_t *cluster, int64_t n, int k, int C);

#endif
