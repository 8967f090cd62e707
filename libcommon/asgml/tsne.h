/* SPDX-License-Identifier: MIT */
/* asgml/tsne.h - exact t-SNE (van der Maaten and Hinton, "Visualizing Data
 * using t-SNE", JMLR 9, 2008) for the feature-drift maps of
 * asgml-report --tsne (asgml-report(1), t-SNE maps), and the
 * trustworthiness score that measures how well a map keeps neighbourhoods
 * (Venna and Kaski, ICANN 2001).
 *
 * The algorithm is scikit-learn's TSNE(method="exact") (sklearn/manifold/
 * _t_sne.py, version 1.2): squared Euclidean distances; per point a binary
 * search of the Gaussian precision for the perplexity (100 steps, entropy
 * tolerance 1e-5, conditional probabilities stored as float32 as its
 * _binary_search_perplexity does); P = (P_cond + P_cond^T) / sum, floored
 * at DBL_EPSILON; Student-t (1 degree of freedom) Q in 2-D; gradient
 * descent with gains (+0.2 / x0.8, floor 0.01) and momentum: 250
 * iterations with P x early_exaggeration and momentum 0.5, then momentum
 * 0.8 up to max_iter, the KL divergence checked every 50 iterations (stop
 * after n_iter_without_progress iterations without improvement or when the
 * gradient norm falls to min_grad_norm).  Initialisation: PCA (the first
 * two principal components, scaled so that column 0 has standard deviation
 * 1e-4; sign: the largest |value| of each column positive) or N(0, 1e-4^2)
 * from a SplitMix64 stream of `seed`.  Everything is computed in double;
 * the result depends only on the input and the configuration (row sums in
 * a fixed order, whatever the thread count).  Time O(n^2 iterations),
 * memory n^2 doubles: meant for up to a few thousand points. */
#ifndef ASGML_TSNE_H
#define ASGML_TSNE_H

#include "asgml/common.h"

ASGML_BEGIN_DECLS

typedef enum { ASGML_TSNE_INIT_PCA = 0, ASGML_TSNE_INIT_RANDOM = 1 } asgml_tsne_init;

typedef struct asgml_tsne_config {
    double perplexity;           /* 30 */
    double early_exaggeration;   /* 12 */
    double learning_rate;        /* <= 0: "auto" = max(n / early_exaggeration / 4, 50) */
    int max_iter;                /* 1000 (>= 250) */
    int n_iter_without_progress; /* 300 */
    double min_grad_norm;        /* 1e-7 */
    asgml_tsne_init init;        /* PCA */
    uint64_t seed;               /* random initialisation only (0) */
} asgml_tsne_config;

void asgml_tsne_defaults(asgml_tsne_config *c);

/* Joint probabilities of x (n, d) row-major: P (n, n) symmetric with a
 * zero diagonal; sklearn's _joint_probabilities returns the pairs i < j
 * (summing to 1/2), P holds the same values in both triangles.
 * perplexity must lie in (0, n - 1). */
asgml_status asgml_tsne_joint_p(const float *x, int64_t n, int64_t d, double perplexity,
                                double *P);

/* KL(P || Q) of the 2-D map y (n, 2) and its gradient grad (n, 2), as
 * sklearn's _kl_divergence (degrees of freedom 1). */
asgml_status asgml_tsne_kl_grad(const double *P, const double *y, int64_t n, double *kl,
                                double *grad);

/* The map y (n, 2) of x (n, d).  kl (may be NULL): the final KL
 * divergence; iters (may be NULL): the last iteration run (0-based). */
asgml_status asgml_tsne_run(const float *x, int64_t n, int64_t d, const asgml_tsne_config *c,
                            double *y, double *kl, int *iters);

/* Trustworthiness T(k) of the embedding y (n, e) of x (n, d), as
 * sklearn.manifold.trustworthiness: 1 - 2 / (n k (2n - 3k - 1)) sum_i
 * sum_{j in the k nearest neighbours of i in y} max(0, r(i, j) - k), with
 * r(i, j) the rank of j among the neighbours of i in x (Euclidean; ties
 * by index).  Needs 1 <= k < n / 2. */
asgml_status asgml_trustworthiness(const float *x, int64_t n, int64_t d, const double *y,
                                   int64_t e, int k, double *t);

ASGML_END_DECLS
#endif
