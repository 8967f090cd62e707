/* SPDX-License-Identifier: MIT */
/* kmeans.c - k-means (k-means++ seeding, Lloyd iterations, restarts) and
 * cluster purity for the D&R method (asgml-methods(7), DNR; Wei et al., ECCV
 * 2024; GeWu-Lab/Diagnosing_Relearning_ECCV2024 code/ours.py reinit_score,
 * which calls sklearn.cluster.KMeans(n_clusters=C, random_state=0) on
 * MinMaxScaler(-1, 1) features and purity_score on the result).
 *
 * Why our own code: `apt-cache search kmeans` finds no package; Debian's
 * clustering libraries are VLFeat (libvlfeat1 0.9.21, upstream inactive
 * since 2018: plain k-means++ with one draw per centre, stops on the
 * relative energy change, its own generator) and the C++ libraries faiss
 * and OpenCV (random-sample or plain k-means++ seeding, absolute or fixed
 * iteration stops, float32).  None reproduces what the spec and the
 * official code fix, scikit-learn's KMeans: greedy k-means++ with local
 * trials, a tolerance relative to the data variance, empty-cluster
 * relocation, the final re-assignment, the lowest-inertia restart; and
 * each would add a large dependency for about 300 lines.  The
 * numbers follow sklearn/cluster/_kmeans.py (_kmeans_plusplus,
 * _kmeans_single_lloyd, _tolerance, KMeans.fit) and
 * sklearn/cluster/_k_means_common.pyx (_relocate_empty_clusters_dense).
 * Differences, all below double rounding: distances are sum_j (x_j - c_j)^2
 * in double (sklearn: ||x||^2 - 2 x.c + ||c||^2, in the data's precision,
 * on mean-centred data), sums are sequential.  Random draws come from a
 * Philox stream of their own (never numpy's generator), so the restarts
 * differ from sklearn's while the algorithm from given draws is the same
 * (tests/test-dnr.c replays sklearn's recorded draws). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "asgml/backend.h"
#include "core/error.h"
#include "methods/kmeans.h"

static double sqdist(const double *a, const double *b, int d)
{
    double s = 0.0;
    for (int j = 0; j < d; j++) {
        double t = a[j] - b[j];
        s += t * t;
    }
    return s;
}

void asgml_minmax_scale(const float *x, int64_t n, int d, double *out)
{
    for (int j = 0; j < d; j++) {
        double lo = INFINITY, hi = -INFINITY, s, off;
        for (int64_t i = 0; i < n; i++) {
            double v = x[(size_t)i * d + j];
            lo = v < lo ? v : lo;
            hi = v > hi ? v : hi;
        }
        s = hi - lo;
        s = 2.0 / (s == 0.0 ? 1.0 : s);      /* sklearn _handle_zeros_in_scale */
        off = -1.0 - lo * s;
        for (int64_t i = 0; i < n; i++)
            out[(size_t)i * d + j] = (double)x[(size_t)i * d + j] * s + off;
    }
}

asgml_status asgml_kmeans_plusplus(const double *X, int64_t n, int d, int k,
                                   asgml_kmeans_uniform_fn u, void *uctx, double *centers,
                                   int64_t *ids)
{
    int trials = 2 + (int)log((double)k);
    double *closest, *cum, *cand_d, pot, total, r;
    int64_t idx, *cand;
    if (n < k || k < 1 || d < 1)
        return asgml_error(ASGML_EINVAL, "k-means: %lld samples for %d clusters",
                           (long long)n, k);
    closest = malloc((size_t)n * 2 * sizeof *closest);
    cand_d = malloc((size_t)n * trials * sizeof *cand_d);
    cand = malloc((size_t)trials * sizeof *cand);
    if (!closest || !cand_d || !cand) {
        free(closest);
        free(cand_d);
        free(cand);
        return ASGML_ERR(ASGML_ENOMEM, "out of memory");
    }
    cum = closest + n;
    /* numpy RandomState.choice(n, p=1/n): cdf /= cdf[-1]; searchsorted right */
    total = 0.0;
    for (int64_t i = 0; i < n; i++)
        cum[i] = (total += 1.0 / (double)n);
    r = u(uctx);
    for (idx = 0; idx < n - 1 && !(cum[idx] / total > r); idx++)
        ;
    memcpy(centers, X + (size_t)idx * d, (size_t)d * sizeof *centers);
    if (ids) ids[0] = idx;
    pot = 0.0;
    for (int64_t i = 0; i < n; i++)
        pot += (closest[i] = sqdist(X + (size_t)i * d, centers, d));
    for (int c = 1; c < k; c++) {
        double best_pot = INFINITY, acc = 0.0;
        int best = 0;
        for (int64_t i = 0; i < n; i++)
            cum[i] = (acc += closest[i]);      /* stable_cumsum */
        for (int t = 0; t < trials; t++) {
            int64_t lo = 0, hi = n;            /* searchsorted left: first cum >= r */
            r = u(uctx) * pot;
            while (lo < hi) {
                int64_t mid = lo + (hi - lo) / 2;
                if (cum[mid] < r) lo = mid + 1;
                else hi = mid;
            }
            cand[t] = lo < n ? lo : n - 1;
        }
        for (int t = 0; t < trials; t++) {
            const double *xc = X + (size_t)cand[t] * d;
            double *dt = cand_d + (size_t)t * n, p = 0.0;
#pragma omp parallel for schedule(static)
            for (int64_t i = 0; i < n; i++) {
                double v = sqdist(X + (size_t)i * d, xc, d);
                dt[i] = v < closest[i] ? v : closest[i];
            }
            for (int64_t i = 0; i < n; i++)   /* sequential: thread-count independent */
                p += dt[i];
            if (p < best_pot) {                /* argmin: first of equals */
                best_pot = p;
                best = t;
            }
        }
        pot = best_pot;
        memcpy(closest, cand_d + (size_t)best * n, (size_t)n * sizeof *closest);
        memcpy(centers + (size_t)c * d, X + (size_t)cand[best] * d, (size_t)d * sizeof *centers);
        if (ids) ids[c] = cand[best];
    }
    free(closest);
    free(cand_d);
    free(cand);
    return ASGML_OK;
}

static int32_t nearest(const double *x, const double *centers, int k, int d)
{
    int32_t best = 0;
    double bd = INFINITY;
    for (int c = 0; c < k; c++) {
        double v = sqdist(x, centers + (size_t)c * d, d);
        if (v < bd) {
            bd = v;
            best = c;
        }
    }
    return best;
}

/* labels[i] = nearest centre of every sample; each sample on its own, so the
 * result does not depend on the number of threads */
static void assign(const double *X, int64_t n, int d, int k, const double *centers,
                   int32_t *labels)
{
#pragma omp parallel for schedule(static)
    for (int64_t i = 0; i < n; i++)
        labels[i] = nearest(X + (size_t)i * d, centers, k, d);
}

/* order for the relocation: farther first, then lower index */
typedef struct { double dist; int64_t i; } far_item;
static int far_cmp(const void *a, const void *b)
{
    const far_item *x = a, *y = b;
    if (x->dist != y->dist) return x->dist > y->dist ? -1 : 1;
    return x->i < y->i ? -1 : x->i > y->i;
}

/* sklearn _relocate_empty_clusters_dense: each empty cluster (ascending id)
 * takes the next-farthest point from its assigned (old) centre; sums and
 * counts move with it.  numpy's argpartition leaves the order among several
 * farthest points unspecified; here it is descending distance, then index. */
static asgml_status relocate(const double *X, int64_t n, int d, int k, const double *old,
                             const int32_t *labels, double *sums, double *count)
{
    int n_empty = 0, e = 0;
    far_item *f;
    for (int c = 0; c < k; c++)
        n_empty += count[c] == 0.0;
    if (!n_empty)
        return ASGML_OK;
    if (!(f = malloc((size_t)n * sizeof *f)))
        return ASGML_ERR(ASGML_ENOMEM, "out of memory");
    for (int64_t i = 0; i < n; i++) {
        f[i].dist = sqdist(X + (size_t)i * d, old + (size_t)labels[i] * d, d);
        f[i].i = i;
    }
    if ((size_t)n > 1) qsort(f, (size_t)n, sizeof *f, far_cmp);
    for (int c = 0; c < k; c++) {
        if (count[c] != 0.0)
            continue;
        const double *x = X + (size_t)f[e].i * d;
        int oc = labels[f[e].i];
        for (int j = 0; j < d; j++) {
            sums[(size_t)oc * d + j] -= x[j];
            sums[(size_t)c * d + j] = x[j];
        }
        count[c] = 1.0;
        count[oc] -= 1.0;
        e++;
    }
    free(f);
    return ASGML_OK;
}

asgml_status asgml_kmeans_lloyd(const double *X, int64_t n, int d, int k, double *centers,
                                int max_iter, double tol_abs, int32_t *labels, double *inertia,
                                int *n_iter)
{
    double *sums = malloc((size_t)k * (d + 1) * sizeof *sums), *count;
    int32_t *old_labels = malloc((size_t)n * sizeof *old_labels);
    int strict = 0, it = 0;
    asgml_status st = ASGML_OK;
    if (!sums || !old_labels) {
        free(sums);
        free(old_labels);
        return ASGML_ERR(ASGML_ENOMEM, "out of memory");
    }
    count = sums + (size_t)k * d;
    for (int64_t i = 0; i < n; i++)
        old_labels[i] = -1;
    for (it = 0; it < max_iter; it++) {
        double shift = 0.0;
        memset(sums, 0, (size_t)k * (d + 1) * sizeof *sums);
        assign(X, n, d, k, centers, labels);
        for (int64_t i = 0; i < n; i++) {
            const double *x = X + (size_t)i * d;
            int32_t c = labels[i];
            for (int j = 0; j < d; j++)
                sums[(size_t)c * d + j] += x[j];
            count[c] += 1.0;
        }
        if ((st = relocate(X, n, d, k, centers, labels, sums, count)) != ASGML_OK)
            break;
        for (int c = 0; c < k; c++) {
            double a = count[c] > 0.0 ? 1.0 / count[c] : 1.0;   /* _average_centers */
            for (int j = 0; j < d; j++) {
                double v = count[c] > 0.0 ? sums[(size_t)c * d + j] * a : sums[(size_t)c * d + j];
                double t = v - centers[(size_t)c * d + j];
                shift += t * t;
                centers[(size_t)c * d + j] = v;
            }
        }
        if (memcmp(labels, old_labels, (size_t)n * sizeof *labels) == 0) {
            strict = 1;
            break;
        }
        if (shift <= tol_abs)
            break;
        memcpy(old_labels, labels, (size_t)n * sizeof *labels);
    }
    if (st == ASGML_OK && !strict)
        assign(X, n, d, k, centers, labels);
    if (st == ASGML_OK) {
        double in = 0.0;
        for (int64_t i = 0; i < n; i++)
            in += sqdist(X + (size_t)i * d, centers + (size_t)labels[i] * d, d);
        *inertia = in;
        *n_iter = it < max_iter ? it + 1 : max_iter;
    }
    free(sums);
    free(old_labels);
    return st;
}

/* sklearn _is_same_clustering: labels a map one-to-one onto labels b;
 * map (k) is scratch */
static int same_clustering(const int32_t *a, const int32_t *b, int64_t n, int k, int32_t *map)
{
    for (int c = 0; c < k; c++)
        map[c] = -1;
    for (int64_t i = 0; i < n; i++) {
        if (map[a[i]] == -1) map[a[i]] = b[i];
        else if (map[a[i]] != b[i]) return 0;
    }
    return 1;
}

typedef struct { uint64_t key, ctr; } philox_src;
static double philox_u(void *ctx)
{
    philox_src *p = ctx;
    uint32_t r[4];
    asgml_philox4x32(p->key, p->ctr++, r);
    return ((double)(r[0] >> 5) * 67108864.0 + (double)(r[1] >> 6)) * (1.0 / 9007199254740992.0);
}

asgml_status asgml_kmeans_fit(const double *X, int64_t n, int d, const asgml_kmeans_opts *o,
                              int32_t *labels, double *centers, double *inertia, int *n_iter)
{
    int k = o->k;
    double tol_abs = 0.0, best = INFINITY;
    double *c = malloc((size_t)(k > 0 ? k : 1) * d * sizeof *c);
    int32_t *lab = malloc((size_t)(n > 0 ? n : 1) * sizeof *lab);
    int32_t *map = malloc((size_t)(k > 0 ? k : 1) * sizeof *map);
    asgml_status st = ASGML_OK;
    if (!c || !lab || !map) {
        free(c);
        free(lab);
        free(map);
        return ASGML_ERR(ASGML_ENOMEM, "out of memory");
    }
    /* sklearn _tolerance: mean over features of the (population) variance */
    for (int j = 0; j < d && st == ASGML_OK; j++) {
        double m = 0.0, v = 0.0;
        for (int64_t i = 0; i < n; i++)
            m += X[(size_t)i * d + j];
        m /= (double)n;
        for (int64_t i = 0; i < n; i++) {
            double t = X[(size_t)i * d + j] - m;
            v += t * t;
        }
        tol_abs += v / (double)n;
    }
    tol_abs = tol_abs / d * o->tol;
    for (int r = 0; r < o->n_init && st == ASGML_OK; r++) {
        philox_src src = { o->seed, (uint64_t)r << 32 };
        double in;
        int it;
        st = asgml_kmeans_plusplus(X, n, d, k, philox_u, &src, c, NULL);
        if (st == ASGML_OK)
            st = asgml_kmeans_lloyd(X, n, d, k, c, o->max_iter, tol_abs, lab, &in, &it);
        if (st == ASGML_OK && (r == 0 || (in < best && !same_clustering(lab, labels, n, k, map)))) {
            best = in;
            memcpy(labels, lab, (size_t)n * sizeof *lab);
            if (centers) memcpy(centers, c, (size_t)k * d * sizeof *c);
            if (n_iter) *n_iter = it;
        }
    }
    if (inertia) *inertia = best;
    free(c);
    free(lab);
    free(map);
    return st;
}

double asgml_cluster_purity(const int32_t *y, const int32_t *cluster, int64_t n, int k, int C)
{
    int64_t *cnt, hit = 0;
    if (n <= 0 || k < 1 || C < 1 || !(cnt = calloc((size_t)k * C, sizeof *cnt)))
        return NAN;
    for (int64_t i = 0; i < n; i++) {
        if (y[i] < 0 || y[i] >= C || cluster[i] < 0 || cluster[i] >= k) {
            free(cnt);
            return NAN;
        }
        cnt[(size_t)cluster[i] * C + y[i]]++;
    }
    for (int c = 0; c < k; c++) {
        int64_t mx = 0;
        for (int l = 0; l < C; l++)
            mx = cnt[(size_t)c * C + l] > mx ? cnt[(size_t)c * C + l] : mx;
        hit += mx;
    }
    free(cnt);
    return (double)hit / (double)n;
}
