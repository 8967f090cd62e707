/* SPDX-License-Identifier: MIT */
/* cpu/batchnorm.c - batch normalisation over (n, c, hw) tensors.
 *
 * Statistics are per channel over the N = n*hw values of that channel,
 * computed in double (two passes: mean, then biased variance).  Each
 * channel is handled by one OpenMP thread; the sums over a plane run as
 * "omp simd" reductions (a fixed lane split chosen at compile time), so
 * results do not depend on the thread count.  Matches torch.nn.BatchNorm2d:
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

static asgml_status check_bn(const asgml_bn_desc *d, int training)
{
    if (d->n <= 0 || d->c <= 0 || d->hw <= 0 || !(d->eps >= 0.0) ||
        (training && (int64_t)d->n * d->hw < 2))
        return ASGML_ERR(ASGML_EINVAL,
                           "bad batchnorm descriptor (n %d, c %d, hw %d, eps %g)%s", d->n, d->c, d->hw, d->eps,
                           training ? " (training needs more than 1 value per channel)" : "");
    return ASGML_OK;
}

/* y (n, c, hw) = x * a[c] + b[c] for one channel c, then max(., 0) (as
 * relu_forward: v > 0 ? v : 0) when relu */
ASGML_CPU_SIMD static void affine_channel(const asgml_bn_desc *d, int c, const float *x, float a, float b,
                           int relu, float *y)
{
    for (int i = 0; i < d->n; i++) {
        size_t base = ((size_t)i * d->c + c) * d->hw;
        if (relu) {
#pragma omp simd
            for (int k = 0; k < d->hw; k++) {
                const float v = x[base + k] * a + b;
                y[base + k] = v > 0.0f ? v : 0.0f;
            }
        } else {
#pragma omp simd
            for (int k = 0; k < d->hw; k++) y[base + k] = x[base + k] * a + b;
        }
    }
}

/* mean and sum of squared deviations of channel c (two passes, double) */
ASGML_CPU_SIMD static void channel_stats(const asgml_bn_desc *d, int c, const float *x,
                                         double count, double *mean_out, double *ss_out)
{
    double s = 0.0;
    for (int i = 0; i < d->n; i++) {
        const float *xc = x + ((size_t)i * d->c + c) * d->hw;
#pragma omp simd reduction(+ : s)
        for (int k = 0; k < d->hw; k++) s += xc[k];
    }
    double mean = s / count, ss = 0.0;
    for (int i = 0; i < d->n; i++) {
        const float *xc = x + ((size_t)i * d->c + c) * d->hw;
#pragma omp simd reduction(+ : ss)
        for (int k = 0; k < d->hw; k++) {
            double dv = xc[k] - mean;
            ss += dv * dv;
        }
    }
    *mean_out = mean;
    *ss_out = ss;
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

/* the two sums of channel c over dy (or, with ym, over relu_backward's
 * 0 + dy where ym > 0, else 0): sum dy and sum dy * (x - mean) */
ASGML_CPU_SIMD static void channel_sums(const asgml_bn_desc *d, int c, const float *x,
                                        const float *dy, const float *ym, double mean,
                                        double *sdy_out, double *sdyx_out)
{
    double sdy = 0.0, sdyx = 0.0;
    for (int i = 0; i < d->n; i++) {
        size_t base = ((size_t)i * d->c + c) * d->hw;
        const float *xc = x + base, *g = dy + base;
        if (ym) {
            const float *yc = ym + base;
#pragma omp simd reduction(+ : sdy, sdyx)
            for (int k = 0; k < d->hw; k++) {
                const float m = relu_grad(g[k], yc[k]);
                sdy += m;
                sdyx += (double)m * (xc[k] - mean);
            }
        } else {
#pragma omp simd reduction(+ : sdy, sdyx)
            for (int k = 0; k < d->hw; k++) {
                sdy += g[k];
                sdyx += (double)g[k] * (xc[k] - mean);
            }
        }
    }
    *sdy_out = sdy;
    *sdyx_out = sdyx;
}

/* backward of channel c: the two sums, then dx += ... when dx; ym: the
 * fused ReLU's output (NULL: no ReLU) */
ASGML_CPU_SIMD static void channel_backward(const asgml_bn_desc *d, int c, const float *x,
                                            const float *dy, const float *ym, double mean,
                                            double invstd, double g, double count, float *dx,
                                            double *sdy_out, double *sdyx_out)
{
    double sdy, sdyx;
    channel_sums(d, c, x, dy, ym, mean, &sdy, &sdyx);
    sdyx *= invstd; /* sum dy * xhat */
    *sdy_out = sdy;
    *sdyx_out = sdyx;
    if (!dx) return;
    /* dx = k1 * dy + k2 * (x - mean) + k3, folded per channel */
    const double k1 = g * invstd;
    const double k2 = -g * invstd * invstd * invstd * (sdyx / invstd) / count;
    const double k3 = -g * invstd * sdy / count;
    const float f1 = (float)k1, f2 = (float)k2, f3 = (float)k3, fm = (float)mean;
    for (int i = 0; i < d->n; i++) {
        size_t base = ((size_t)i * d->c + c) * d->hw;
        const float *xc = x + base, *gc = dy + base;
        float *dxc = dx + base;
        if (ym) {
            const float *yc = ym + base;
#pragma omp simd
            for (int k = 0; k < d->hw; k++) {
                const float m = relu_grad(gc[k], yc[k]);
                dxc[k] += f1 * m + f2 * (xc[k] - fm) + f3;
            }
        } else {
#pragma omp simd
            for (int k = 0; k < d->hw; k++) dxc[k] += f1 * gc[k] + f2 * (xc[k] - fm) + f3;
        }
    }
}

static asgml_status forward_train(asgml_backend *be, const asgml_bn_desc *d, const float *x,
                                  const float *gamma, const float *beta, int relu, float *y,
                                  float *save_mean, float *save_invstd, float *running_mean,
                                  float *running_var)
{
    asgml_status st = check_bn(d, 1);
    if (st) return st;
    const double count = (double)d->n * d->hw;
    const double mom = d->momentum;
    int nt = asgml_cpu_threads(be);
#pragma omp parallel for num_threads(nt) schedule(static) if ((int64_t)d->n * d->c * d->hw > 32768)
    for (int c = 0; c < d->c; c++) {
        double mean, ss;
        channel_stats(d, c, x, count, &mean, &ss);
        double var = ss / count;
        double invstd = 1.0 / sqrt(var + d->eps);
        double g = gamma ? gamma[c] : 1.0, bt = beta ? beta[c] : 0.0;
        affine_channel(d, c, x, (float)(g * invstd), (float)(bt - mean * g * invstd), relu, y);
        if (save_mean) save_mean[c] = (float)mean;
        if (save_invstd) save_invstd[c] = (float)invstd;
        if (running_mean) running_mean[c] = (float)((1.0 - mom) * running_mean[c] + mom * mean);
        if (running_var)
            running_var[c] =
                (float)((1.0 - mom) * running_var[c] + mom * var * count / (count - 1.0));
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
    int nt = asgml_cpu_threads(be);
#pragma omp parallel for num_threads(nt) schedule(static) if ((int64_t)d->n * d->c * d->hw > 32768)
    for (int c = 0; c < d->c; c++) {
        double invstd = 1.0 / sqrt((double)running_var[c] + d->eps);
        double g = gamma ? gamma[c] : 1.0, bt = beta ? beta[c] : 0.0;
        double a = g * invstd;
        affine_channel(d, c, x, (float)a, (float)(bt - running_mean[c] * a), relu, y);
    }
    return ASGML_OK;
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
    const double count = (double)d->n * d->hw;
    int nt = asgml_cpu_threads(be);
#pragma omp parallel for num_threads(nt) schedule(static) if ((int64_t)d->n * d->c * d->hw > 32768)
    for (int c = 0; c < d->c; c++) {
        const double mean = save_mean[c], invstd = save_invstd[c];
        const double g = gamma ? gamma[c] : 1.0;
        double sdy, sdyx;
        channel_backward(d, c, x, dy, ym, mean, invstd, g, count, dx, &sdy, &sdyx);
        if (dbeta) dbeta[c] += (float)sdy;
        if (dgamma) dgamma[c] += (float)sdyx;
    }
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
