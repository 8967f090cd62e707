/* SPDX-License-Identifier: MIT */
/* tsne.c - exact t-SNE and trustworthiness (asgml/tsne.h; van der Maaten
 * and Hinton, JMLR 2008; scikit-learn sklearn/manifold/_t_sne.py and
 * _utils.pyx _binary_search_perplexity, version 1.2, method="exact").
 * Shapes: x (n, d) float32 row-major, P (n, n) double, y and grad (n, 2)
 * double.  Loops over rows run in parallel; every sum over j is taken by
 * one thread in index order and the row sums are added serially, so the
 * result does not depend on the thread count. */
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "asgml/tsne.h"
#include "core/error.h"
#include "data/decode.h"   /* asgml_splitmix */

#define TSNE_EPS DBL_EPSILON          /* sklearn MACHINE_EPSILON */
#define PERPLEXITY_TOL 1e-5           /* _utils.pyx PERPLEXITY_TOLERANCE */
#define EXPLORATION_ITERS 250         /* TSNE._EXPLORATION_N_ITER */
#define CHECK_EVERY 50                /* TSNE._N_ITER_CHECK */

void asgml_tsne_defaults(asgml_tsne_config *c)
{
    c->perplexity = 30.0;
    c->early_exaggeration = 12.0;
    c->learning_rate = 0.0;
    c->max_iter = 1000;
    c->n_iter_without_progress = 300;
    c->min_grad_norm = 1e-7;
    c->init = ASGML_TSNE_INIT_PCA;
    c->seed = 0;
}

/* Squared Euclidean distances (n, n), rounded to float32 as sklearn's
 * _joint_probabilities does before the search. */
static void sq_distances(const float *x, int64_t n, int64_t d, float *D)
{
    #pragma omp parallel for schedule(static)
    for (int64_t i = 0; i < n; i++)
        for (int64_t j = 0; j < n; j++) {
            double s = 0.0;
            for (int64_t k = 0; k < d; k++) {
                double t = (double)x[i * d + k] - (double)x[j * d + k];
                s += t * t;
            }
            D[i * n + j] = (float)s;
        }
}

/* Row i of the conditional probabilities p_{j|i} (float32 as sklearn):
 * binary search of beta = 1 / (2 sigma_i^2) for entropy log(perplexity). */
static void search_row(const float *Di, int64_t n, int64_t i, double perplexity, float *Pi)
{
    double beta = 1.0, beta_min = -INFINITY, beta_max = INFINITY;
    double desired = log((double)(float)perplexity);
    for (int step = 0; step < 100; step++) {
        double sum = 0.0, sum_dp = 0.0, entropy, diff;
        for (int64_t j = 0; j < n; j++)
            if (j != i)
                Pi[j] = (float)exp(-(double)Di[j] * beta);
        Pi[i] = 0.0f;
        for (int64_t j = 0; j < n; j++)
            sum += Pi[j];
        if (sum == 0.0)
            sum = 1e-8;   /* EPSILON_DBL */
        for (int64_t j = 0; j < n; j++) {
            Pi[j] = (float)(Pi[j] / sum);
            sum_dp += (double)Di[j] * Pi[j];
        }
        entropy = log(sum) + beta * sum_dp;
        diff = entropy - desired;
        if (fabs(diff) <= PERPLEXITY_TOL)
            break;
        if (diff > 0.0) {
            beta_min = beta;
            beta = beta_max == INFINITY ? beta * 2.0 : (beta + beta_max) / 2.0;
        } else {
            beta_max = beta;
            beta = beta_min == -INFINITY ? beta / 2.0 : (beta + beta_min) / 2.0;
        }
    }
}

asgml_status asgml_tsne_joint_p(const float *x, int64_t n, int64_t d, double perplexity,
                                double *P)
{
    float *D, *C;
    double sum = 0.0;
    if (n < 2 || d < 1)
        return asgml_error(ASGML_EINVAL, "t-SNE: %lld points of dimension %lld (need n >= 2, "
                           "d >= 1)", (long long)n, (long long)d);
    if (!(perplexity > 0.0) || perplexity >= (double)(n - 1))
        return asgml_error(ASGML_EINVAL, "t-SNE: perplexity %g is not in (0, n - 1 = %lld)",
                           perplexity, (long long)(n - 1));
    D = malloc((size_t)n * (size_t)n * sizeof *D);
    C = malloc((size_t)n * (size_t)n * sizeof *C);
    if (!D || !C) {
        free(D);
        free(C);
        return ASGML_ERR(ASGML_ENOMEM, "t-SNE: out of memory for %lld points", (long long)n);
    }
    sq_distances(x, n, d, D);
    #pragma omp parallel for schedule(dynamic, 16)
    for (int64_t i = 0; i < n; i++)
        search_row(D + i * n, n, i, perplexity, C + i * n);
    for (int64_t i = 0; i < n; i++) {   /* sum of P_cond + P_cond^T = 2 sum P_cond */
        double row = 0.0;
        for (int64_t j = 0; j < n; j++)
            row += C[i * n + j];
        sum += 2.0 * row;
    }
    if (sum < TSNE_EPS)
        sum = TSNE_EPS;
    #pragma omp parallel for schedule(static)
    for (int64_t i = 0; i < n; i++)
        for (int64_t j = 0; j < n; j++) {
            double p = ((double)C[i * n + j] + (double)C[j * n + i]) / sum;
            P[i * n + j] = i == j ? 0.0 : fmax(p, TSNE_EPS);
        }
    free(D);
    free(C);
    return ASGML_OK;
}

/* ---- objective ----------------------------------------------------------- */

/* num_ij = 1 / (1 + |y_i - y_j|^2); Z = sum_{i != j} num_ij;
 * Q_ij = max(num_ij / Z, eps); KL = sum_{i != j} P_ij log(max(P_ij, eps) / Q_ij);
 * grad_i = 4 sum_j (P_ij - Q_ij) num_ij (y_i - y_j).  rows: scratch (n). */
static void kl_grad(const double *P, const double *y, int64_t n, double *kl, double *grad,
                    double *rows, int want_kl)
{
    double Z = 0.0, total = 0.0;
    #pragma omp parallel for schedule(static)
    for (int64_t i = 0; i < n; i++) {
        double s = 0.0;
        for (int64_t j = 0; j < n; j++) {
            double a = y[2 * i] - y[2 * j], b = y[2 * i + 1] - y[2 * j + 1];
            if (j != i)
                s += 1.0 / (1.0 + a * a + b * b);
        }
        rows[i] = s;
    }
    for (int64_t i = 0; i < n; i++)
        Z += rows[i];
    #pragma omp parallel for schedule(static)
    for (int64_t i = 0; i < n; i++) {
        double g0 = 0.0, g1 = 0.0, k = 0.0;
        for (int64_t j = 0; j < n; j++) {
            double a, b, num, q, p;
            if (j == i)
                continue;
            a = y[2 * i] - y[2 * j];
            b = y[2 * i + 1] - y[2 * j + 1];
            num = 1.0 / (1.0 + a * a + b * b);
            q = fmax(num / Z, TSNE_EPS);
            p = P[i * n + j];
            if (want_kl)
                k += p * log(fmax(p, TSNE_EPS) / q);
            g0 += (p - q) * num * a;
            g1 += (p - q) * num * b;
        }
        grad[2 * i] = 4.0 * g0;
        grad[2 * i + 1] = 4.0 * g1;
        rows[i] = k;
    }
    if (want_kl)
        for (int64_t i = 0; i < n; i++)
            total += rows[i];
    *kl = want_kl ? total : NAN;
}

asgml_status asgml_tsne_kl_grad(const double *P, const double *y, int64_t n, double *kl,
                                double *grad)
{
    double *rows = malloc((size_t)n * sizeof *rows);
    if (!rows)
        return ASGML_ERR(ASGML_ENOMEM, "out of memory");
    kl_grad(P, y, n, kl, grad, rows, 1);
    free(rows);
    return ASGML_OK;
}

/* ---- initialisation ------------------------------------------------------- */

/* First two principal components of x: subspace iteration on the
 * covariance (d, d) with two vectors, Gram-Schmidt each round, until the
 * vectors move by < 1e-13 (at most 2000 rounds); y = x_centred V. */
static asgml_status pca_init(const float *x, int64_t n, int64_t d, double *y)
{
    double *mu = calloc((size_t)d, sizeof *mu), *S = calloc((size_t)(d * d), sizeof *S);
    double *V = malloc((size_t)(2 * d) * sizeof *V), *W = malloc((size_t)(2 * d) * sizeof *W);
    double sd = 0.0, mean0 = 0.0;
    if (!mu || !S || !V || !W) {
        free(mu); free(S); free(V); free(W);
        return ASGML_ERR(ASGML_ENOMEM, "t-SNE: out of memory (PCA, d = %lld)", (long long)d);
    }
    for (int64_t i = 0; i < n; i++)
        for (int64_t k = 0; k < d; k++)
            mu[k] += x[i * d + k];
    for (int64_t k = 0; k < d; k++)
        mu[k] /= (double)n;
    #pragma omp parallel for schedule(dynamic, 4)
    for (int64_t a = 0; a < d; a++)
        for (int64_t b = a; b < d; b++) {
            double s = 0.0;
            for (int64_t i = 0; i < n; i++)
                s += ((double)x[i * d + a] - mu[a]) * ((double)x[i * d + b] - mu[b]);
            S[a * d + b] = S[b * d + a] = s;
        }
    for (int64_t k = 0; k < 2 * d; k++)   /* start: e_0 + ..., a fixed non-degenerate pair */
        V[k] = k < d ? 1.0 / sqrt((double)d) : ((k - d) % 2 ? -1.0 : 1.0) / sqrt((double)d);
    for (int round = 0; round < 2000; round++) {
        double move = 0.0;
        for (int c = 0; c < 2; c++)
            for (int64_t a = 0; a < d; a++) {
                double s = 0.0;
                for (int64_t b = 0; b < d; b++)
                    s += S[a * d + b] * V[c * d + b];
                W[c * d + a] = s;
            }
        for (int c = 0; c < 2; c++) {   /* Gram-Schmidt */
            double dot = 0.0, nrm = 0.0;
            for (int64_t a = 0; c == 1 && a < d; a++)
                dot += W[d + a] * W[a];
            for (int64_t a = 0; c == 1 && a < d; a++)
                W[d + a] -= dot * W[a];
            for (int64_t a = 0; a < d; a++)
                nrm += W[c * d + a] * W[c * d + a];
            nrm = sqrt(nrm);
            for (int64_t a = 0; a < d; a++)
                W[c * d + a] = nrm > 0.0 ? W[c * d + a] / nrm : (a == c ? 1.0 : 0.0);
        }
        for (int64_t k = 0; k < 2 * d; k++) {
            move = fmax(move, fabs(W[k] - V[k]));
            V[k] = W[k];
        }
        if (move < 1e-13)
            break;
    }
    for (int c = 0; c < 2; c++) {
        double big = 0.0;
        for (int64_t i = 0; i < n; i++) {
            double s = 0.0;
            for (int64_t k = 0; k < d; k++)
                s += ((double)x[i * d + k] - mu[k]) * V[c * d + k];
            y[2 * i + c] = s;
            if (fabs(s) > fabs(big))
                big = s;
        }
        for (int64_t i = 0; big < 0.0 && i < n; i++)   /* sklearn svd_flip: largest |u| > 0 */
            y[2 * i + c] = -y[2 * i + c];
    }
    for (int64_t i = 0; i < n; i++)
        mean0 += y[2 * i];
    mean0 /= (double)n;
    for (int64_t i = 0; i < n; i++)
        sd += (y[2 * i] - mean0) * (y[2 * i] - mean0);
    sd = sqrt(sd / (double)n);   /* np.std, ddof 0 */
    for (int64_t k = 0; k < 2 * n; k++)
        y[k] = sd > 0.0 ? y[k] / sd * 1e-4 : 0.0;
    free(mu); free(S); free(V); free(W);
    return ASGML_OK;
}

/* ---- optimisation ---------------------------------------------------------- */

/* sklearn _gradient_descent from iteration `it` to n_iter - 1; returns the
 * last iteration run.  update and gains start at 0 and 1 for each stage. */
static int descend(const double *P, double *y, int64_t n, int it, int n_iter, double momentum,
                   double lr, int without_progress, double min_grad_norm, double *kl,
                   double *buf)
{
    double *grad = buf, *update = buf + 2 * n, *gains = buf + 4 * n, *rows = buf + 6 * n;
    double best = DBL_MAX, err = DBL_MAX;
    int best_it = it, i;
    for (int64_t k = 0; k < 2 * n; k++) {
        update[k] = 0.0;
        gains[k] = 1.0;
    }
    for (i = it; i < n_iter; i++) {
        int check = (i + 1) % CHECK_EVERY == 0;
        double gn = 0.0;
        kl_grad(P, y, n, &err, grad, rows, check || i == n_iter - 1);
        for (int64_t k = 0; k < 2 * n; k++) {
            if (update[k] * grad[k] < 0.0)
                gains[k] += 0.2;
            else
                gains[k] *= 0.8;
            if (gains[k] < 0.01)
                gains[k] = 0.01;
            grad[k] *= gains[k];
            update[k] = momentum * update[k] - lr * grad[k];
            y[k] += update[k];
        }
        if (!check)
            continue;
        for (int64_t k = 0; k < 2 * n; k++)
            gn += grad[k] * grad[k];
        if (err < best) {
            best = err;
            best_it = i;
        } else if (i - best_it > without_progress) {
            break;
        }
        if (sqrt(gn) <= min_grad_norm)
            break;
    }
    *kl = err;
    return i < n_iter ? i : n_iter - 1;
}

asgml_status asgml_tsne_run(const float *x, int64_t n, int64_t d, const asgml_tsne_config *c,
                            double *y, double *kl, int *iters)
{
    double *P, *buf, lr = c->learning_rate, err = NAN;
    int it;
    asgml_status st;
    if (c->max_iter < EXPLORATION_ITERS)
        return asgml_error(ASGML_EINVAL, "t-SNE: max_iter %d is below %d", c->max_iter,
                           EXPLORATION_ITERS);
    if (!(c->early_exaggeration > 0.0) || c->n_iter_without_progress < 1)
        return asgml_error(ASGML_EINVAL, "t-SNE: early exaggeration %g and iterations without "
                           "progress %d must be positive", c->early_exaggeration,
                           c->n_iter_without_progress);
    for (int64_t k = 0; k < n * d; k++)
        if (!isfinite(x[k]))
            return asgml_error(ASGML_ENUMERIC, "t-SNE: point %lld has a non-finite value",
                               (long long)(k / d));
    P = malloc((size_t)n * (size_t)n * sizeof *P);
    buf = malloc((size_t)n * 7 * sizeof *buf);
    if (!P || !buf) {
        free(P);
        free(buf);
        return ASGML_ERR(ASGML_ENOMEM, "t-SNE: out of memory for %lld points", (long long)n);
    }
    st = asgml_tsne_joint_p(x, n, d, c->perplexity, P);
    if (st == ASGML_OK && c->init == ASGML_TSNE_INIT_PCA) {
        st = pca_init(x, n, d, y);
    } else if (st == ASGML_OK) {
        asgml_splitmix r;
        asgml_splitmix_init(&r, c->seed, 0x7453);   /* tag "tS" */
        for (int64_t k = 0; k < 2 * n; k++)
            y[k] = 1e-4 * asgml_splitmix_gauss(&r);
    }
    if (st != ASGML_OK) {
        free(P);
        free(buf);
        return st;
    }
    if (!(lr > 0.0))
        lr = fmax((double)n / c->early_exaggeration / 4.0, 50.0);
    for (int64_t k = 0; k < n * n; k++)
        P[k] *= c->early_exaggeration;
    it = descend(P, y, n, 0, EXPLORATION_ITERS, 0.5, lr, EXPLORATION_ITERS, c->min_grad_norm,
                 &err, buf);
    for (int64_t k = 0; k < n * n; k++)
        P[k] /= c->early_exaggeration;
    if (it < EXPLORATION_ITERS || c->max_iter > EXPLORATION_ITERS)
        it = descend(P, y, n, it + 1, c->max_iter, 0.8, lr, c->n_iter_without_progress,
                     c->min_grad_norm, &err, buf);
    if (kl)
        *kl = err;
    if (iters)
        *iters = it;
    free(P);
    free(buf);
    for (int64_t k = 0; k < 2 * n; k++)
        if (!isfinite(y[k]))
            return asgml_error(ASGML_ENUMERIC, "t-SNE: the map diverged (non-finite "
                               "coordinates; try a smaller learning rate)");
    return ASGML_OK;
}

/* ---- trustworthiness -------------------------------------------------------- */

typedef struct { double d; int64_t j; } nb;

static int cmp_nb(const void *a, const void *b)
{
    const nb *x = a, *y = b;
    if (x->d != y->d)
        return x->d < y->d ? -1 : 1;
    return x->j < y->j ? -1 : x->j > y->j;
}

asgml_status asgml_trustworthiness(const float *x, int64_t n, int64_t d, const double *y,
                                   int64_t e, int k, double *t)
{
    double total = 0.0;
    int fail = 0;
    double *rowsum;
    if (k < 1 || (double)k >= (double)n / 2.0)
        return asgml_error(ASGML_EINVAL, "trustworthiness: k = %d is not in 1 .. n/2 (n = %lld)",
                           k, (long long)n);
    rowsum = calloc((size_t)n, sizeof *rowsum);
    if (!rowsum)
        return ASGML_ERR(ASGML_ENOMEM, "out of memory");
    #pragma omp parallel
    {
        nb *in = malloc((size_t)n * sizeof *in), *out = malloc((size_t)n * sizeof *out);
        int64_t *rank = malloc((size_t)n * sizeof *rank);
        if (!in || !out || !rank) {
            #pragma omp atomic write
            fail = 1;
        }
        #pragma omp for schedule(dynamic, 8)
        for (int64_t i = 0; i < n; i++) {
            double s = 0.0;
            if (!in || !out || !rank)
                continue;
            for (int64_t j = 0; j < n; j++) {
                double a = 0.0, b = 0.0;
                for (int64_t c = 0; c < d; c++) {
                    double v = (double)x[i * d + c] - (double)x[j * d + c];
                    a += v * v;
                }
                for (int64_t c = 0; c < e; c++) {
                    double v = y[i * e + c] - y[j * e + c];
                    b += v * v;
                }
                in[j].d = j == i ? INFINITY : a;
                out[j].d = j == i ? INFINITY : b;
                in[j].j = out[j].j = j;
            }
            if ((size_t)n > 1) qsort(in, (size_t)n, sizeof *in, cmp_nb);
            if ((size_t)n > 1) qsort(out, (size_t)n, sizeof *out, cmp_nb);
            for (int64_t r = 0; r < n; r++)
                rank[in[r].j] = r + 1;
            for (int q = 0; q < k; q++) {
                int64_t r = rank[out[q].j] - k;
                if (r > 0)
                    s += (double)r;
            }
            rowsum[i] = s;
        }
        free(in);
        free(out);
        free(rank);
    }
    for (int64_t i = 0; i < n; i++)
        total += rowsum[i];
    free(rowsum);
    if (fail)
        return ASGML_ERR(ASGML_ENOMEM, "out of memory");
    *t = 1.0 - total * (2.0 / ((double)n * k * (2.0 * n - 3.0 * k - 1.0)));
    return ASGML_OK;
}
