/* SPDX-License-Identifier: MIT */
/* cpu/cpu.h - private interface of the CPU reference backend.
 *
 * The op functions below fill the asgml_backend_ops table in backend_cpu.c;
 * their semantics are those documented in asgml/backend.h.  They are split
 * over conv2d.c, batchnorm.c, pool.c, gemm.c, loss.c and optim_ops.c.
 * Determinism: for a fixed thread count every op gives bit-identical
 * results; reductions run in double in a fixed order. */
#ifndef ASGML_CPU_H
#define ASGML_CPU_H

#include "asgml/backend.h"

/* Hot loops outside the BLAS are compiled for AVX2 next to the baseline
 * x86-64 (SSE2) and picked at load time (GCC function multiversioning);
 * the choice depends on the CPU only, so a run stays bit-identical on one
 * machine.  Not AVX-512 in general: most rows are short (see
 * winograd.c), and 512-bit code was slower there.  ASGML_CPU_SIMD_WIDE adds
 * an x86-64-v4 (AVX-512) clone for the channel-last Winograd transforms,
 * whose loops run over 64-512 contiguous channels: F(4x4) filter
 * gradients 10-15% faster (64 channels 65x47 6.7 -> 5.7 ms, 128 at 33x24
 * 5.3 -> 4.8; one-layer driver, 2 threads, interleaved), no change at
 * F(2x2). */
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__linux__)
#define ASGML_CPU_SIMD __attribute__((target_clones("avx2", "default")))
#define ASGML_CPU_SIMD_WIDE __attribute__((target_clones("arch=x86-64-v4", "avx2", "default")))
#else
#define ASGML_CPU_SIMD
#define ASGML_CPU_SIMD_WIDE
#endif

/* default conv2d scratch limit in floats (64 MiB) */
#define ASGML_CPU_CONV_BUDGET ((size_t)16 << 20)

/* Convolution algorithms of the CPU backend: im2col + SGEMM (conv2d.c) or
 * Winograd F(m x m, 3x3) for m = 2, 4, 6 (winograd.c) */
enum { ASGML_CPU_IM2COL = 0, ASGML_CPU_WINO2 = 2, ASGML_CPU_WINO4 = 4, ASGML_CPU_WINO6 = 6 };
/* backend.conv-algo modes: AUTO the built-in rule per shape, WINOGRAD the
 * rule's Winograd variant for every eligible conv, MEASURE the fastest
 * algorithm of each shape timed at its first use, else one algorithm */
enum { ASGML_CPU_CONV_AUTO = -1, ASGML_CPU_CONV_WINOGRAD = -2, ASGML_CPU_CONV_MEASURE = -3 };

/* The algorithm of one conv shape (eligible 3x3 stride-1 pad-1 convs only;
 * the batch size is not part of it), fixed at its first use or pinned. */
typedef struct asgml_cpu_conv_choice {
    int c_in, c_out, h, w, algo;
    char key[64]; /* "C_IN>C_OUT HxW k3s1p1" */
} asgml_cpu_conv_choice;

/* Backend-private state.  The workspace is reused by conv2d between calls,
 * so one backend must not be used by two host threads at once. */
typedef struct asgml_cpu_impl {
    int threads;       /* OpenMP threads used by every parallel region (>= 1) */
    float *work;       /* conv2d scratch (im2col columns, gathered gradients) */
    size_t work_floats;
    size_t conv_budget; /* conv2d scratch limit in floats, decides the samples
                           lowered per GEMM; tests lower it to exercise chunking */
    int conv_mode;      /* ASGML_CPU_CONV_AUTO, _WINOGRAD, _MEASURE or an algorithm */
    asgml_cpu_conv_choice *choices; /* per conv shape, in order of first use */
    int nchoices, cap_choices;
} asgml_cpu_impl;

asgml_status asgml_cpu_backend_create(const asgml_backend_options *opt, asgml_backend **out);

/* Random123 Philox4x32-10 on a full 128-bit counter and 64-bit key
 * (backend.c); asgml_philox4x32() is this with ctr = {lo, hi, 0, 0}. */
void asgml_philox4x32_raw(const uint32_t ctr[4], const uint32_t key[2], uint32_t out[4]);

/* Outputs [*lo, *hi) along one axis (in inputs, out outputs) whose window
 * tap kk reads inside the input: 0 <= o*stride - pad + kk < in.  Shared by
 * conv2d (im2col, tap pruning) and max pooling. */
static inline void asgml_cpu_valid_range(int kk, int stride, int pad, int in, int out, int *lo,
                                         int *hi)
{
    /* ceil(a / stride) for any sign of a */
    const int a = pad - kk, b = in + pad - kk;
    const int ca = a >= 0 ? (a + stride - 1) / stride : -((-a) / stride);
    const int cb = b >= 0 ? (b + stride - 1) / stride : -((-b) / stride);
    *lo = ca > 0 ? ca : 0;
    *hi = cb < out ? cb : out;
    if (*hi < *lo) *hi = *lo;
}

/* Stride-2 rows (conv2d.c's im2col, pool.c's max pooling): a row of w
 * floats de-interleaved into ph[j] = row[2j] and ph[half + j] = row[2j + 1]
 * (half = (w + 1) / 2), so that the taps of a stride-2 window read
 * contiguous floats; column 2 o + q of the row is then
 * ph[asgml_cpu_phase2(q, half) + o] for any sign of q. */
static inline void asgml_cpu_deinterleave2(const float *row, int w, float *ph)
{
    const int half = (w + 1) / 2;
#pragma omp simd
    for (int j = 0; j < w / 2; j++) {
        ph[j] = row[2 * j];
        ph[half + j] = row[2 * j + 1];
    }
    if (w & 1) ph[half - 1] = row[w - 1];
}

static inline int asgml_cpu_phase2(int q, int half)
{
    const int odd = q & 1;
    return (odd ? half : 0) + (q - odd) / 2;
}

/* OpenMP threads of a CPU backend */
static inline int asgml_cpu_threads(const asgml_backend *be)
{
    return ((const asgml_cpu_impl *)be->impl)->threads;
}

/* Returns a scratch buffer of at least nfloats floats (grown, never shrunk
 * by use; _release frees it, the next asgml_cpu_workspace allocates anew). */
asgml_status asgml_cpu_workspace(asgml_backend *be, size_t nfloats, float **ws);
void asgml_cpu_workspace_release(asgml_backend *be);
/* Keeps the BLAS library single-threaded (OpenBLAS; no-op for a BLAS
 * without the call): the backend parallelises GEMMs itself. */
void asgml_cpu_blas_threads(const asgml_backend *be);
/* Row-major SGEMM split over the backend's OpenMP threads (gemm.c); no
 * argument checks.  Deterministic for a fixed thread count. */
void asgml_cpu_sgemm(const asgml_backend *be, int trans_a, int trans_b, int m, int n, int k,
                     float alpha, const float *a, int lda, const float *b, int ldb, float beta,
                     float *c, int ldc);

/* conv2d.c */
asgml_status asgml_cpu_conv2d_forward(asgml_backend *be, const asgml_conv2d_desc *d,
                                      const float *x, const float *w, float *y);
asgml_status asgml_cpu_conv2d_backward_data(asgml_backend *be, const asgml_conv2d_desc *d,
                                            const float *dy, const float *w, float *dx);
asgml_status asgml_cpu_conv2d_backward_filter(asgml_backend *be, const asgml_conv2d_desc *d,
                                              const float *x, const float *dy, float *dw);

/* winograd.c: 3x3 stride-1 pad-1 convolutions by Winograd F(m x m,3x3),
 * m = 2, 4 or 6, same semantics as the conv2d ops (backward ops
 * accumulate).  conv2d.c dispatches to them per conv shape (conv_algo.c):
 * asgml_cpu_winograd_auto is the built-in rule (ASGML_CPU_IM2COL or a
 * variant m); ASGML_CONV_ALGO=im2col|winograd|winograd4|winograd6 in the
 * environment overrides every choice (tests, comparisons; winograd is
 * F(2x2,3x3)). */
int asgml_cpu_winograd_eligible(const asgml_conv2d_desc *d);
int asgml_cpu_winograd_auto(const asgml_conv2d_desc *d, int winograd_only);
asgml_status asgml_cpu_winograd_forward(asgml_backend *be, const asgml_conv2d_desc *d, int m,
                                        const float *x, const float *w, float *y);
asgml_status asgml_cpu_winograd_backward_data(asgml_backend *be, const asgml_conv2d_desc *d,
                                              int m, const float *dy, const float *w, float *dx);
asgml_status asgml_cpu_winograd_backward_filter(asgml_backend *be, const asgml_conv2d_desc *d,
                                                int m, const float *x, const float *dy,
                                                float *dw);

/* conv2d.c: pass 0 (forward), 1 (backward data) or 2 (backward filter) of
 * conv d by algorithm algo, whatever the shape's choice (conv_algo.c's
 * measurements); a, b, out as in the ops of that pass */
asgml_status asgml_cpu_conv2d_algo_run(asgml_backend *be, const asgml_conv2d_desc *d, int algo,
                                       int pass, const float *a, const float *b, float *out);

/* conv_algo.c: the algorithm of conv d (ASGML_CPU_IM2COL or m), chosen at
 * the first use of its shape and kept (see asgml_cpu_impl.choices) */
asgml_status asgml_cpu_conv_algo(asgml_backend *be, const asgml_conv2d_desc *d, int *algo);
const char *asgml_cpu_conv_algo_name(int algo);
asgml_status asgml_cpu_conv_algo_mode(asgml_backend *be, const char *mode);
int asgml_cpu_conv_algo_entry(asgml_backend *be, int i, const char **key, const char **algo);
asgml_status asgml_cpu_conv_algo_pin(asgml_backend *be, const char *key, const char *algo);

/* batchnorm.c */
asgml_status asgml_cpu_batchnorm_forward_train(asgml_backend *be, const asgml_bn_desc *d,
                                               const float *x, const float *gamma,
                                               const float *beta, float *y, float *save_mean,
                                               float *save_invstd, float *running_mean,
                                               float *running_var);
asgml_status asgml_cpu_batchnorm_forward_infer(asgml_backend *be, const asgml_bn_desc *d,
                                               const float *x, const float *gamma,
                                               const float *beta, const float *running_mean,
                                               const float *running_var, float *y);
asgml_status asgml_cpu_batchnorm_backward(asgml_backend *be, const asgml_bn_desc *d,
                                          const float *x, const float *dy, const float *gamma,
                                          const float *save_mean, const float *save_invstd,
                                          float *dx, float *dgamma, float *dbeta);
asgml_status asgml_cpu_batchnorm_relu_forward_train(asgml_backend *be, const asgml_bn_desc *d,
                                                    const float *x, const float *gamma,
                                                    const float *beta, float *y,
                                                    float *save_mean, float *save_invstd,
                                                    float *running_mean, float *running_var);
asgml_status asgml_cpu_batchnorm_relu_forward_infer(asgml_backend *be, const asgml_bn_desc *d,
                                                    const float *x, const float *gamma,
                                                    const float *beta, const float *running_mean,
                                                    const float *running_var, float *y);
asgml_status asgml_cpu_batchnorm_relu_backward(asgml_backend *be, const asgml_bn_desc *d,
                                               const float *x, const float *y, const float *dy,
                                               const float *gamma, const float *save_mean,
                                               const float *save_invstd, float *dx,
                                               float *dgamma, float *dbeta);

/* pool.c */
asgml_status asgml_cpu_maxpool_forward(asgml_backend *be, const asgml_pool2d_desc *d,
                                       const float *x, float *y, int32_t *argmax);
asgml_status asgml_cpu_maxpool_backward(asgml_backend *be, const asgml_pool2d_desc *d,
                                        const float *dy, const int32_t *argmax, float *dx);
asgml_status asgml_cpu_avgpool_forward(asgml_backend *be, int64_t nc, int64_t hw,
                                       const float *x, float *y);
asgml_status asgml_cpu_avgpool_backward(asgml_backend *be, int64_t nc, int64_t hw,
                                        const float *dy, float *dx);

/* gemm.c */
asgml_status asgml_cpu_gemm(asgml_backend *be, int trans_a, int trans_b, int m, int n, int k,
                            float alpha, const float *a, int lda, const float *b, int ldb,
                            float beta, float *c, int ldc);

/* loss.c */
asgml_status asgml_cpu_softmax_ce(asgml_backend *be, int b, int c, const float *logits,
                                  const int32_t *labels, float grad_scale, float *probs,
                                  float *losses, float *dlogits, double *loss_sum);

/* optim_ops.c */
asgml_status asgml_cpu_sgd_update(asgml_backend *be, int64_t n, float *param,
                                  const float *grad, float *mom, float lr, float momentum,
                                  float dampening, float weight_decay, int nesterov,
                                  int first_step);
asgml_status asgml_cpu_adam_update(asgml_backend *be, int64_t n, float *param,
                                   const float *grad, float *m, float *v, float lr, float beta1,
                                   float beta2, float eps, float weight_decay, int decoupled,
                                   int64_t step);

#endif
