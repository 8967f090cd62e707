/* SPDX-License-Identifier: MIT */
/* cpu/batchnorm.c - batch normalisation over (n, c, hw) tensors.
 *
 * Statistics are per channel over the N = n*hw values of that channel,
 * computed in double (two passes: mean, then biased variance) as the sum
 * over samples, in order, of per-plane sums; the sums over a plane run as
 * "omp simd" reductions (a fixed lane split chosen at compile time), so
 * results do not depend on the thread count or on how the planes are
 * split over the threads (split_samples, below).  Matches torch.nn.BatchNorm2d:
 * normalisation uses the biased variance, running_var is updated with the
 * unbiased one, r <- (1 - momentum) r + momentum * stat.
 *
 * The batchnorm_relu ops fuse the ReLU that follows a batch norm in ResNet
 * (one pass over the tensor instead of two each way): forward writes
 * relu(x * a + b) in the loop that wrote x * a + b, backward reads
 * 0 + dy where its y > 0 and 0 elsewhere in the loops that read dy --
 * exactly what relu_backward into a zeroed buffer gives (0 + -0 is +0), so
 * the fused ops give the same bits as the two ops in a row. */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "core/error.h"
#include "cpu.h"

#ifdef _OPENMP
#include <omp.h>
#define bn_thread_num() omp_get_thread_num()
#else
#define bn_thread_num() 0
#endif

static asgml_status check_bn(const asgml_bn_desc *d, int training)
{
    if (d->n <= 0 || d->c <= 0 || d->hw <= 0 || !(d->eps >= 0.0) ||
        (training && (int64_t)d->n * d->hw < 2))
        return ASGML_ERR(ASGML_EINVAL,
                           "bad batchnorm descriptor (n %d, c %d, hw %d, eps %g)%s", d->n, d->c, d->hw, d->eps,
                           training ? " (training needs more than 1 value per channel)" : "");
    return ASGML_OK;
}

/* y = max(x * a + b, 0) (as relu_forward: v > 0 ? v : 0) when relu, else
 * x * a + b, over one plane of hw values */
ASGML_CPU_SIMD static void affine_plane(const float *x, int hw, float a, float b, int relu,
                                        float *y)
{
    if (relu) {
#pragma omp simd
        for (int k = 0; k < hw; k++) {
            const float v = x[k] * a + b;
            y[k] = v > 0.0f ? v : 0.0f;
        }
    } else {
#pragma omp simd
        for (int k = 0; k < hw; k++) y[k] = x[k] * a + b;
    }
}

/* sum of one plane, in double */
ASGML_CPU_SIMD static double plane_sum(const float *x, int hw)
{
    double s = 0.0;
#pragma omp simd reduction(+ : s)
    for (int k = 0; k < hw; k++) s += x[k];
    return s;
}

/* sum of squared deviations from mean of one plane, in double */
ASGML_CPU_SIMD static double plane_ss(const float *x, int hw, double mean)
{
    double ss = 0.0;
#pragma omp simd reduction(+ : ss)
    for (int k = 0; k < hw; k++) {
        double dv = x[k] - mean;
        ss += dv * dv;
    }
    return ss;
}

/* relu_backward's value into a zeroed buffer: 0 + dy where y > 0, else
 * +0 (bits 0).  As a bit mask: GCC does not vectorise the select
 * y > 0 ? v : 0 in these reduction loops (a float compare may trap), but
 * does the integer and. */
static inline __attribute__((always_inline)) float relu_grad(float dy, float y)
{
    const float v = 0.0f + dy;
    uint32_t b;
    memcpy(&b, &v, sizeof b);
    b &= (uint32_t) - (int32_t)(y > 0.0f);
    float m;
    memcpy(&m, &b, sizeof m);
    return m;
}

/* the two sums of one plane over dy (or, with ym, over relu_backward's
 * 0 + dy where ym > 0, else 0): sum dy and sum dy * (x - mean) */
ASGML_CPU_SIMD static void plane_grad_sums(const float *x, const float *g, const float *ym,
                                           int hw, double mean, double *sdy_out,
                                           double *sdyx_out)
{
    double sdy = 0.0, sdyx = 0.0;
    if (ym) {
#pragma omp simd reduction(+ : sdy, sdyx)
        for (int k = 0; k < hw; k++) {
            const float m = relu_grad(g[k], ym[k]);
            sdy += m;
            sdyx += (double)m * (x[k] - mean);
        }
    } else {
#pragma omp simd reduction(+ : sdy, sdyx)
        for (int k = 0; k < hw; k++) {
            sdy += g[k];
            sdyx += (double)g[k] * (x[k] - mean);
        }
    }
    *sdy_out = sdy;
    *sdyx_out = sdyx;
}

/* dx += f1 * dy + f2 * (x - fm) + f3 over one plane (dy through the ReLU
 * mask when ym) */
ASGML_CPU_SIMD static void plane_dx(const float *x, const float *g, const float *ym, int hw,
                                    const float *f, float *dx)
{
    const float f1 = f[0], f2 = f[1], f3 = f[2], fm = f[3];
    if (ym) {
#pragma omp simd
        for (int k = 0; k < hw; k++) {
            const float m = relu_grad(g[k], ym[k]);
            dx[k] += f1 * m + f2 * (x[k] - fm) + f3;
        }
    } else {
#pragma omp simd
        for (int k = 0; k < hw; k++) dx[k] += f1 * g[k] + f2 * (x[k] - fm) + f3;
    }
}

/* Work split.  Every per-channel sum is the sum over samples i = 0..n-1,
 * in order, of per-plane sums (plane_sum, plane_ss, plane_grad_sums), so
 * the bits do not depend on who computes the planes.  With at least two
 * samples per thread each thread takes a contiguous range of samples (as
 * the convolutions and the element-wise ops do: a thread then reads only
 * what it wrote itself; on this project's 2-core test machine data written
 * by the other core reads at half the speed), the per-plane sums go
 * through a (n, c) scratch and each thread folds the channels of its own
 * range between barriers; otherwise each thread takes whole channels. */
static int split_samples(const asgml_bn_desc *d, int nt)
{
    return nt > 1 && d->n >= 2 * nt;
}

static int bn_threads(asgml_backend *be, const asgml_bn_desc *d)
{
    return (int64_t)d->n * d->c * d->hw > 32768 ? asgml_cpu_threads(be) : 1;
}

/* per-channel statistics from the sums: {a, b} of y = x * a + b as floats,
 * and the saved and running statistics */
static void channel_affine(const asgml_bn_desc *d, int c, double mean, double ss,
                           const float *gamma, const float *beta, float *ab, float *save_mean,
                           float *save_invstd, float *running_mean, float *running_var)
{
    const double count = (double)d->n * d->hw, mom = d->momentum;
    double var = ss / count;
    double invstd = 1.0 / sqrt(var + d->eps);
    double g = gamma ? gamma[c] : 1.0, bt = beta ? beta[c] : 0.0;
    ab[0] = (float)(g * invstd);
    ab[1] = (float)(bt - mean * g * invstd);
    if (save_mean) save_mean[c] = (float)mean;
    if (save_invstd) save_invstd[c] = (float)invstd;
    if (running_mean) running_mean[c] = (float)((1.0 - mom) * running_mean[c] + mom * mean);
    if (running_var)
        running_var[c] = (float)((1.0 - mom) * running_var[c] + mom * var * count / (count - 1.0));
}

static asgml_status forward_train(asgml_backend *be, const asgml_bn_desc *d, const float *x,
                                  const float *gamma, const float *beta, int relu, float *y,
                                  float *save_mean, float *save_invstd, float *running_mean,
                                  float *running_var)
{
    asgml_status st = check_bn(d, 1);
    if (st) return st;
    const double count = (double)d->n * d->hw;
    const int n = d->n, C = d->c, hw = d->hw;
    const int nt = bn_threads(be, d);
    if (!split_samples(d, nt)) {
#pragma omp parallel for num_threads(nt) schedule(static) if (nt > 1)
        for (int c = 0; c < C; c++) {
            double s = 0.0, ss = 0.0;
            for (int i = 0; i < n; i++) s += plane_sum(x + ((size_t)i * C + c) * hw, hw);
            const double mean = s / count;
            for (int i = 0; i < n; i++) ss += plane_ss(x + ((size_t)i * C + c) * hw, hw, mean);
            float ab[2];
            channel_affine(d, c, mean, ss, gamma, beta, ab, save_mean, save_invstd,
                           running_mean, running_var);
            for (int i = 0; i < n; i++) {
                const size_t base = ((size_t)i * C + c) * hw;
                affine_plane(x + base, hw, ab[0], ab[1], relu, y + base);
            }
        }
        return ASGML_OK;
    }
    /* scratch: the (n, c) plane sums, then per channel mean and {a, b} */
    float *ws;
    st = asgml_cpu_workspace(be, (size_t)n * C * 2 + (size_t)C * 4, &ws);
    if (st) return st;
    double *part = (double *)ws, *mean = part + (size_t)n * C;
    float *ab = (float *)(mean + C);
#pragma omp parallel num_threads(nt)
    {
        const int t = bn_thread_num();
        const int s0 = (int)((int64_t)n * t / nt), s1 = (int)((int64_t)n * (t + 1) / nt);
        const int c0 = (int)((int64_t)C * t / nt), c1 = (int)((int64_t)C * (t + 1) / nt);
        for (int i = s0; i < s1; i++)
            for (int c = 0; c < C; c++)
                part[(size_t)i * C + c] = plane_sum(x + ((size_t)i * C + c) * hw, hw);
#pragma omp barrier
        for (int c = c0; c < c1; c++) {
            double s = 0.0;
            for (int i = 0; i < n; i++) s += part[(size_t)i * C + c];
            mean[c] = s / count;
        }
#pragma omp barrier
        for (int i = s0; i < s1; i++)
            for (int c = 0; c < C; c++)
                part[(size_t)i * C + c] = plane_ss(x + ((size_t)i * C + c) * hw, hw, mean[c]);
#pragma omp barrier
        for (int c = c0; c < c1; c++) {
            double ss = 0.0;
            for (int i = 0; i < n; i++) ss += part[(size_t)i * C + c];
            channel_affine(d, c, mean[c], ss, gamma, beta, ab + 2 * c, save_mean, save_invstd,
                           running_mean, running_var);
        }
#pragma omp barrier
        for (int i = s0; i < s1; i++)
            for (int c = 0; c < C; c++) {
                const size_t base = ((size_t)i * C + c) * hw;
                affine_plane(x + base, hw, ab[2 * c], ab[2 * c + 1], relu, y + base);
            }
    }
    return ASGML_OK;
}

static asgml_status forward_infer(asgml_backend *be, const asgml_bn_desc *d, const float *x,
                                  const float *gamma, const float *beta,
                                  const float *running_mean, const float *running_var, int relu,
                                  float *y)
{
    asgml_status st = check_bn(d, 0);
    if (st) return st;
    const int C = d->c, hw = d->hw;
    const int nt = bn_threads(be, d);
    /* planes in (sample, channel) order: a thread's contiguous share of
     * them is its samples' when the batch is split as in split_samples */
    const int64_t planes = (int64_t)d->n * C;
#pragma omp parallel for num_threads(nt) schedule(static) if (nt > 1)
    for (int64_t q = 0; q < planes; q++) {
        const int c = (int)(q % C);
        double invstd = 1.0 / sqrt((double)running_var[c] + d->eps);
        double g = gamma ? gamma[c] : 1.0, bt = beta ? beta[c] : 0.0;
        double a = g * invstd;
        affine_plane(x + (size_t)q * hw, hw, (float)a, (float)(bt - running_mean[c] * a), relu,
                     y + (size_t)q * hw);
    }
    return ASGML_OK;
}

/* dx = k1 * dy + k2 * (x - mean) + k3 as four floats {k1, k2, k3, mean},
 * from the two sums of channel c; dbeta, dgamma updated */
static void channel_grad(const asgml_bn_desc *d, int c, double sdy, double sdyx,
                         const float *gamma, const float *save_mean, const float *save_invstd,
                         float *f, float *dgamma, float *dbeta)
{
    const double count = (double)d->n * d->hw;
    const double mean = save_mean[c], invstd = save_invstd[c];
    const double g = gamma ? gamma[c] : 1.0;
    sdyx *= invstd; /* sum dy * xhat */
    const double k1 = g * invstd;
    const double k2 = -g * invstd * invstd * invstd * (sdyx / invstd) / count;
    const double k3 = -g * invstd * sdy / count;
    f[0] = (float)k1;
    f[1] = (float)k2;
    f[2] = (float)k3;
    f[3] = (float)mean;
    if (dbeta) dbeta[c] += (float)sdy;
    if (dgamma) dgamma[c] += (float)sdyx;
}

/* With xhat = (x - mean) * invstd and N = n*hw per channel:
 *   dbeta  += sum dy            dgamma += sum dy * xhat
 *   dx     += gamma * invstd * (dy - sum(dy)/N - xhat * sum(dy*xhat)/N) */
static asgml_status backward(asgml_backend *be, const asgml_bn_desc *d, const float *x,
                             const float *ym, const float *dy, const float *gamma,
                             const float *save_mean, const float *save_invstd, float *dx,
                             float *dgamma, float *dbeta)
{
    asgml_status st = check_bn(d, 1);
    if (st) return st;
    const int n = d->n, C = d->c, hw = d->hw;
    const int nt = bn_threads(be, d);
#define PLANE(p, i, c) ((p) + ((size_t)(i) * C + (c)) * hw)
    if (!split_samples(d, nt)) {
#pragma omp parallel for num_threads(nt) schedule(static) if (nt > 1)
        for (int c = 0; c < C; c++) {
            double sdy = 0.0, sdyx = 0.0;
            for (int i = 0; i < n; i++) {
                double a, b;
                plane_grad_sums(PLANE(x, i, c), PLANE(dy, i, c), ym ? PLANE(ym, i, c) : NULL,
                                hw, save_mean[c], &a, &b);
                sdy += a;
                sdyx += b;
            }
            float f[4];
            channel_grad(d, c, sdy, sdyx, gamma, save_mean, save_invstd, f, dgamma, dbeta);
            if (dx)
                for (int i = 0; i < n; i++)
                    plane_dx(PLANE(x, i, c), PLANE(dy, i, c), ym ? PLANE(ym, i, c) : NULL, hw, f,
                             PLANE(dx, i, c));
        }
        return ASGML_OK;
    }
    float *ws;
    st = asgml_cpu_workspace(be, (size_t)n * C * 4 + (size_t)C * 4, &ws);
    if (st) return st;
    double *pa = (double *)ws, *pb = pa + (size_t)n * C;
    float *f = (float *)(pb + (size_t)n * C);
#pragma omp parallel num_threads(nt)
    {
        const int t = bn_thread_num();
        const int s0 = (int)((int64_t)n * t / nt), s1 = (int)((int64_t)n * (t + 1) / nt);
        const int c0 = (int)((int64_t)C * t / nt), c1 = (int)((int64_t)C * (t + 1) / nt);
        for (int i = s0; i < s1; i++)
            for (int c = 0; c < C; c++)
                plane_grad_sums(PLANE(x, i, c), PLANE(dy, i, c), ym ? PLANE(ym, i, c) : NULL, hw,
                                save_mean[c], pa + (size_t)i * C + c, pb + (size_t)i * C + c);
#pragma omp barrier
        for (int c = c0; c < c1; c++) {
            double sdy = 0.0, sdyx = 0.0;
            for (int i = 0; i < n; i++) {
                sdy += pa[(size_t)i * C + c];
                sdyx += pb[(size_t)i * C + c];
            }
            channel_grad(d, c, sdy, sdyx, gamma, save_mean, save_invstd, f + 4 * c, dgamma,
                         dbeta);
        }
        if (dx) {
#pragma omp barrier
            for (int i = s0; i < s1; i++)
                for (int c = 0; c < C; c++)
                    plane_dx(PLANE(x, i, c), PLANE(dy, i, c), ym ? PLANE(ym, i, c) : NULL, hw,
                             f + 4 * c, PLANE(dx, i, c));
        }
    }
#undef PLANE
    return ASGML_OK;
}

asgml_status asgml_cpu_batchnorm_forward_train(asgml_backend *be, const asgml_bn_desc *d,
                                               const float *x, const float *gamma,
                                               const float *beta, float *y, float *save_mean,
                                               float *save_invstd, float *running_mean,
                                               float *running_var)
{
    return forward_train(be, d, x, gamma, beta, 0, y, save_mean, save_invstd, running_mean,
                         running_var);
}

asgml_status asgml_cpu_batchnorm_relu_forward_train(asgml_backend *be, const asgml_bn_desc *d,
                                                    const float *x, const float *gamma,
                                                    const float *beta, float *y,
                                                    float *save_mean, float *save_invstd,
                                                    float *running_mean, float *running_var)
{
    return forward_train(be, d, x, gamma, beta, 1, y, save_mean, save_invstd, running_mean,
                         running_var);
}

asgml_status asgml_cpu_batchnorm_forward_infer(asgml_backend *be, const asgml_bn_desc *d,
                                               const float *x, const float *gamma,
                                               const float *beta, const float *running_mean,
                                               const float *running_var, float *y)
{
    return forward_infer(be, d, x, gamma, beta, running_mean, running_var, 0, y);
}

asgml_status asgml_cpu_batchnorm_relu_forward_infer(asgml_backend *be, const asgml_bn_desc *d,
                                                    const float *x, const float *gamma,
                                                    const float *beta, const float *running_mean,
                                                    const float *running_var, float *y)
{
    return forward_infer(be, d, x, gamma, beta, running_mean, running_var, 1, y);
}

asgml_status asgml_cpu_batchnorm_backward(asgml_backend *be, const asgml_bn_desc *d,
                                          const float *x, const float *dy, const float *gamma,
                                          const float *save_mean, const float *save_invstd,
                                          float *dx, float *dgamma, float *dbeta)
{
    return backward(be, d, x, NULL, dy, gamma, save_mean, save_invstd, dx, dgamma, dbeta);
}

asgml_status asgml_cpu_batchnorm_relu_backward(asgml_backend *be, const asgml_bn_desc *d,
                                               const float *x, const float *y, const float *dy,
                                               const float *gamma, const float *save_mean,
                                               const float *save_invstd, float *dx,
                                               float *dgamma, float *dbeta)
{
    return backward(be, d, x, y, dy, gamma, save_mean, save_invstd, dx, dgamma, dbeta);
}
