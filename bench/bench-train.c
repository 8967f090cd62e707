/* SPDX-License-Identifier: MIT */
/* bench-train.c - training-step throughput of the reference model on the
 * CPU backend, next to bench/bench_train_torch.py (the same model in
 * PyTorch; bench/bench-train.sh runs both and prints the ratio).
 *
 * Model (asgml/model.h): two ResNet18 encoders of width 64 (audio 1
 * channel, visual 3 channels, one frame), concat fusion, no unimodal
 * heads; SGD lr 1e-3, momentum 0.9, weight decay 1e-4 (asgml/optim.h).
 * Shapes:
 *   cremad    audio 1x257x188, visual 3x224x224, 6 classes, batch 16
 *   avdigits  audio 1x129x64,  visual 3x32x32,  10 classes, batch 64
 * Inputs and labels are random (seeded).  A step is zero_grad, forward,
 * softmax_ce, backward, optimiser step; the warm-up steps are not timed.
 * Prints one line:
 *
 *     asgml SHAPE samples_per_s=X.X threads=T batch=B steps=S loss=L cpu_s_per_step=C
 *           flops_per_sample=F peak_rss_kb=K step_bytes_per_sample=M
 *
 * cpu_s_per_step (process CPU time per timed step) is less sensitive than
 * the wall clock to other work on a shared machine.  flops_per_sample: the
 * model's dense FLOPs of one training step per sample, counted in the first
 * step from the ops' shapes: each conv pass (forward, backward data where
 * it runs, backward filter) 2 N C_out H_out W_out C_in k_h k_w, each GEMM
 * 2 m n k, whatever algorithm computes it (Winograd does fewer multiplies:
 * so the effective rate can pass the machine's SGEMM rate).  The PyTorch
 * side counts the same way.  peak_rss_kb: the process's peak resident set
 * (getrusage); step_bytes_per_sample: its growth over the training steps
 * (the peak after them minus the peak before the first one), per sample.
 * Usage: bench-train --shape cremad|avdigits [--threads 2] [--steps N]
 *                    [--warmup N] [--batch B] [--conv-algo MODE]
 * --conv-algo: the backend's conv algorithm mode (asgml-train(1),
 * backend.conv-algo; default auto); the choices made are listed on stderr,
 * with the seconds the first step took (mode measure times the algorithms
 * there).
 * ASGML_BENCH_PROFILE=1 in the environment adds, on stderr, the time spent
 * in each backend op over the timed steps (the ops are wrapped by a timing
 * table, which costs a clock read per call); ASGML_BENCH_HASH=1 prints a
 * hash of the parameters after the steps (runs with the same thread count
 * must agree bit for bit). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "asgml/backend.h"
#include "asgml/model.h"
#include "asgml/optim.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + 1e-9 * ts.tv_nsec;
}

/* CPU seconds of the whole process (all threads, spinning included) */
static double cpu_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return ts.tv_sec + 1e-9 * ts.tv_nsec;
}

/* ---- optional per-op timing: a copy of the ops table whose entries time
 * the real ones.  Conv ops are also split by kernel size. ---- */

enum { P_CONV_F, P_CONV_BD, P_CONV_BF, P_CONV3_F, P_CONV3_BD, P_CONV3_BF, P_CONV1_F,
       P_CONV1_BD, P_CONV1_BF, P_BN_F, P_BN_B, P_BNR_F, P_BNR_B, P_ADD_RELU, P_MAXPOOL_F, P_MAXPOOL_B, P_AVG_F, P_AVG_B,
       P_GEMM, P_RELU_F, P_RELU_B, P_ADD, P_AXPY, P_FILL, P_COPY, P_CE, P_SGD, P_OTHER, P_N };
static const char *const pname[P_N] = {
    "conv7x7 fwd", "conv7x7 bwd data", "conv7x7 bwd filter", "conv3x3 fwd", "conv3x3 bwd data",
    "conv3x3 bwd filter", "conv1x1 fwd", "conv1x1 bwd data", "conv1x1 bwd filter",
    "batchnorm fwd", "batchnorm bwd", "batchnorm+relu fwd", "batchnorm+relu bwd", "add+relu",
    "maxpool fwd", "maxpool bwd", "avgpool fwd",
    "avgpool bwd", "gemm", "relu fwd", "relu bwd", "add", "axpy", "fill", "copy",
    "softmax_ce", "sgd_update", "other"};
static double ptime[P_N];
static long pcalls[P_N];
static int profiling;
static asgml_backend_ops real_ops, prof_ops;

#define TIMED(slot, call)                                                                      \
    do {                                                                                       \
        double t0_ = now();                                                                    \
        asgml_status st_ = (call);                                                             \
        ptime[slot] += now() - t0_;                                                            \
        pcalls[slot]++;                                                                        \
        return st_;                                                                            \
    } while (0)

static int conv_slot(const asgml_conv2d_desc *d, int which)
{
    return (d->k_h == 7 ? P_CONV_F : d->k_h == 3 ? P_CONV3_F : P_CONV1_F) + which;
}
static asgml_status p_conv_f(asgml_backend *be, const asgml_conv2d_desc *d, const float *x,
                             const float *w, float *y)
{ TIMED(conv_slot(d, 0), real_ops.conv2d_forward(be, d, x, w, y)); }
static asgml_status p_conv_bd(asgml_backend *be, const asgml_conv2d_desc *d, const float *dy,
                              const float *w, float *dx)
{ TIMED(conv_slot(d, 1), real_ops.conv2d_backward_data(be, d, dy, w, dx)); }
static asgml_status p_conv_bf(asgml_backend *be, const asgml_conv2d_desc *d, const float *x,
                              const float *dy, float *dw)
{ TIMED(conv_slot(d, 2), real_ops.conv2d_backward_filter(be, d, x, dy, dw)); }
static asgml_status p_bn_f(asgml_backend *be, const asgml_bn_desc *d, const float *x,
                           const float *g, const float *b, float *y, float *sm, float *si,
                           float *rm, float *rv)
{ TIMED(P_BN_F, real_ops.batchnorm_forward_train(be, d, x, g, b, y, sm, si, rm, rv)); }
static asgml_status p_bn_b(asgml_backend *be, const asgml_bn_desc *d, const float *x,
                           const float *dy, const float *g, const float *sm, const float *si,
                           float *dx, float *dg, float *db)
{ TIMED(P_BN_B, real_ops.batchnorm_backward(be, d, x, dy, g, sm, si, dx, dg, db)); }
static asgml_status p_bnr_f(asgml_backend *be, const asgml_bn_desc *d, const float *x,
                            const float *g, const float *b, float *y, float *sm, float *si,
                            float *rm, float *rv)
{ TIMED(P_BNR_F, real_ops.batchnorm_relu_forward_train(be, d, x, g, b, y, sm, si, rm, rv)); }
static asgml_status p_bnr_b(asgml_backend *be, const asgml_bn_desc *d, const float *x,
                            const float *y, const float *dy, const float *g, const float *sm,
                            const float *si, float *dx, float *dg, float *db)
{ TIMED(P_BNR_B, real_ops.batchnorm_relu_backward(be, d, x, y, dy, g, sm, si, dx, dg, db)); }
static asgml_status p_add_relu(asgml_backend *be, int64_t n, const float *a, const float *b,
                               float *y)
{ TIMED(P_ADD_RELU, real_ops.add_relu(be, n, a, b, y)); }
static asgml_status p_mp_f(asgml_backend *be, const asgml_pool2d_desc *d, const float *x,
                           float *y, int32_t *am)
{ TIMED(P_MAXPOOL_F, real_ops.maxpool_forward(be, d, x, y, am)); }
static asgml_status p_mp_b(asgml_backend *be, const asgml_pool2d_desc *d, const float *dy,
                           const int32_t *am, float *dx)
{ TIMED(P_MAXPOOL_B, real_ops.maxpool_backward(be, d, dy, am, dx)); }
static asgml_status p_avg_f(asgml_backend *be, int64_t nc, int64_t hw, const float *x, float *y)
{ TIMED(P_AVG_F, real_ops.avgpool_forward(be, nc, hw, x, y)); }
static asgml_status p_avg_b(asgml_backend *be, int64_t nc, int64_t hw, const float *dy,
                            float *dx)
{ TIMED(P_AVG_B, real_ops.avgpool_backward(be, nc, hw, dy, dx)); }
static asgml_status p_gemm(asgml_backend *be, int ta, int tb, int m, int n, int k, float al,
                           const float *a, int lda, const float *b, int ldb, float bt, float *c,
                           int ldc)
{ TIMED(P_GEMM, real_ops.gemm(be, ta, tb, m, n, k, al, a, lda, b, ldb, bt, c, ldc)); }
static asgml_status p_relu_f(asgml_backend *be, int64_t n, const float *x, float *y)
{ TIMED(P_RELU_F, real_ops.relu_forward(be, n, x, y)); }
static asgml_status p_relu_b(asgml_backend *be, int64_t n, const float *y, const float *dy,
                             float *dx)
{ TIMED(P_RELU_B, real_ops.relu_backward(be, n, y, dy, dx)); }
static asgml_status p_add(asgml_backend *be, int64_t n, const float *a, const float *b, float *y)
{ TIMED(P_ADD, real_ops.add(be, n, a, b, y)); }
static asgml_status p_axpy(asgml_backend *be, int64_t n, float al, const float *x, float *y)
{ TIMED(P_AXPY, real_ops.axpy(be, n, al, x, y)); }
static asgml_status p_fill(asgml_backend *be, int64_t n, float v, float *x)
{ TIMED(P_FILL, real_ops.fill(be, n, v, x)); }
static asgml_status p_copy(asgml_backend *be, int64_t n, const float *x, float *y)
{ TIMED(P_COPY, real_ops.copy(be, n, x, y)); }
static asgml_status p_ce(asgml_backend *be, int b, int c, const float *lg, const int32_t *lb,
                         float gs, float *pr, float *ls, float *dl, double *sum)
{ TIMED(P_CE, real_ops.softmax_ce(be, b, c, lg, lb, gs, pr, ls, dl, sum)); }
static asgml_status p_sgd(asgml_backend *be, int64_t n, float *p, const float *g, float *mom,
                          float lr, float mo, float da, float wd, int nest, int first)
{ TIMED(P_SGD, real_ops.sgd_update(be, n, p, g, mom, lr, mo, da, wd, nest, first)); }
static asgml_status p_segf(asgml_backend *be, int b, int t, int c, const float *x, float *y)
{ TIMED(P_OTHER, real_ops.segment_mean_forward(be, b, t, c, x, y)); }
static asgml_status p_segb(asgml_backend *be, int b, int t, int c, const float *dy, float *dx)
{ TIMED(P_OTHER, real_ops.segment_mean_backward(be, b, t, c, dy, dx)); }
static asgml_status p_biasf(asgml_backend *be, int64_t r, int64_t c, const float *b, float *y)
{ TIMED(P_OTHER, real_ops.bias_forward(be, r, c, b, y)); }
static asgml_status p_biasb(asgml_backend *be, int64_t r, int64_t c, const float *dy, float *db)
{ TIMED(P_OTHER, real_ops.bias_backward(be, r, c, dy, db)); }

static void profile_install(asgml_backend *be)
{
    real_ops = *be->ops;
    prof_ops = real_ops;
    prof_ops.conv2d_forward = p_conv_f;
    prof_ops.conv2d_backward_data = p_conv_bd;
    prof_ops.conv2d_backward_filter = p_conv_bf;
    prof_ops.batchnorm_forward_train = p_bn_f;
    prof_ops.batchnorm_backward = p_bn_b;
    prof_ops.batchnorm_relu_forward_train = real_ops.batchnorm_relu_forward_train ? p_bnr_f : NULL;
    prof_ops.batchnorm_relu_backward = real_ops.batchnorm_relu_backward ? p_bnr_b : NULL;
    prof_ops.add_relu = real_ops.add_relu ? p_add_relu : NULL;
    prof_ops.maxpool_forward = p_mp_f;
    prof_ops.maxpool_backward = p_mp_b;
    prof_ops.avgpool_forward = p_avg_f;
    prof_ops.avgpool_backward = p_avg_b;
    prof_ops.gemm = p_gemm;
    prof_ops.relu_forward = p_relu_f;
    prof_ops.relu_backward = p_relu_b;
    prof_ops.add = p_add;
    prof_ops.axpy = p_axpy;
    prof_ops.fill = p_fill;
    prof_ops.copy = p_copy;
    prof_ops.softmax_ce = p_ce;
    prof_ops.sgd_update = p_sgd;
    prof_ops.segment_mean_forward = p_segf;
    prof_ops.segment_mean_backward = p_segb;
    prof_ops.bias_forward = p_biasf;
    prof_ops.bias_backward = p_biasb;
    be->ops = &prof_ops;
}

static void profile_report(const char *shape, int steps, double total)
{
    double sum = 0.0;
    for (int i = 0; i < P_N; i++) sum += ptime[i];
    fprintf(stderr, "profile %s: ms per step by op (%d steps; step %.1f ms, ops %.1f ms)\n",
            shape, steps, 1e3 * total / steps, 1e3 * sum / steps);
    for (int i = 0; i < P_N; i++)
        if (pcalls[i])
            fprintf(stderr, "  %-20s %9.2f ms %5.1f%%  (%ld calls/step)\n", pname[i],
                    1e3 * ptime[i] / steps, 100.0 * ptime[i] / total, pcalls[i] / steps);
}

/* ---- dense FLOPs of a step: a copy of the ops table whose conv and GEMM
 * entries add their multiply-add count, installed for the first step ---- */

static double flop_count;
static asgml_backend_ops plain_ops, count_ops;

static double conv_flops(const asgml_conv2d_desc *d)
{
    return 2.0 * d->n * d->c_out * d->h_out * d->w_out * (double)d->c_in * d->k_h * d->k_w;
}
static asgml_status c_conv_f(asgml_backend *be, const asgml_conv2d_desc *d, const float *x,
                             const float *w, float *y)
{
    flop_count += conv_flops(d);
    return plain_ops.conv2d_forward(be, d, x, w, y);
}
static asgml_status c_conv_bd(asgml_backend *be, const asgml_conv2d_desc *d, const float *dy,
                              const float *w, float *dx)
{
    flop_count += conv_flops(d);
    return plain_ops.conv2d_backward_data(be, d, dy, w, dx);
}
static asgml_status c_conv_bf(asgml_backend *be, const asgml_conv2d_desc *d, const float *x,
                              const float *dy, float *dw)
{
    flop_count += conv_flops(d);
    return plain_ops.conv2d_backward_filter(be, d, x, dy, dw);
}
static asgml_status c_gemm(asgml_backend *be, int ta, int tb, int m, int n, int k, float al,
                           const float *a, int lda, const float *b, int ldb, float bt, float *c,
                           int ldc)
{
    flop_count += 2.0 * m * n * (double)k;
    return plain_ops.gemm(be, ta, tb, m, n, k, al, a, lda, b, ldb, bt, c, ldc);
}

static void count_install(asgml_backend *be)
{
    plain_ops = *be->ops;
    count_ops = plain_ops;
    count_ops.conv2d_forward = c_conv_f;
    count_ops.conv2d_backward_data = c_conv_bd;
    count_ops.conv2d_backward_filter = c_conv_bf;
    count_ops.gemm = c_gemm;
    be->ops = &count_ops;
}

static long peak_rss_kb(void)
{
    struct rusage ru;
    return getrusage(RUSAGE_SELF, &ru) ? 0 : ru.ru_maxrss;
}

/* ---- the benchmark ---- */

#define TRY(call)                                                                              \
    do {                                                                                       \
        asgml_status st_ = (call);                                                             \
        if (st_ != ASGML_OK) {                                                                 \
            fprintf(stderr, "bench-train: %s\n", asgml_last_error());                          \
            return 1;                                                                          \
        }                                                                                      \
    } while (0)

static uint64_t rng_state = 0x9E3779B97F4A7C15ull;
static double urand(void) /* splitmix64 -> [0, 1) */
{
    uint64_t z = (rng_state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    z ^= z >> 31;
    return (double)(z >> 11) * (1.0 / 9007199254740992.0);
}

int main(int argc, char **argv)
{
    const char *shape = NULL;
    int threads = 2, steps = 0, warmup = 2, batch = 0;
    const char *conv_algo = NULL;
    static const struct option lo[] = {{"shape", 1, 0, 's'}, {"threads", 1, 0, 't'},
                                       {"steps", 1, 0, 'n'}, {"warmup", 1, 0, 'w'},
                                       {"batch", 1, 0, 'b'}, {"help", 0, 0, 'h'},
                                       {"conv-algo", 1, 0, 'c'},
                                       {0, 0, 0, 0}};
    for (int c; (c = getopt_long(argc, argv, "s:t:n:w:b:c:h", lo, NULL)) != -1;) {
        switch (c) {
        case 's': shape = optarg; break;
        case 't': threads = atoi(optarg); break;
        case 'n': steps = atoi(optarg); break;
        case 'w': warmup = atoi(optarg); break;
        case 'b': batch = atoi(optarg); break;
        case 'c': conv_algo = optarg; break;
        case 'h':
            printf("usage: bench-train --shape cremad|avdigits [--threads T] [--steps N] "
                   "[--warmup N] [--batch B] [--conv-algo MODE]\n");
            return 0;
        default:
            fprintf(stderr, "Try 'bench-train --help' for more information.\n");
            return 2;
        }
    }
    asgml_model_config cfg;
    asgml_model_config_defaults(&cfg);
    cfg.num_modalities = 2;
    cfg.width = 64;
    cfg.feature_dim = 512;
    cfg.fusion = ASGML_FUSION_CONCAT;
    cfg.uni = ASGML_UNI_NONE;
    if (shape && !strcmp(shape, "cremad")) {
        cfg.enc[0].in_h = 257, cfg.enc[0].in_w = 188;
        cfg.enc[1].in_h = 224, cfg.enc[1].in_w = 224;
        cfg.num_classes = 6;
        if (!batch) batch = 16;
        if (!steps) steps = 5;
    } else if (shape && !strcmp(shape, "avdigits")) {
        cfg.enc[0].in_h = 129, cfg.enc[0].in_w = 64;
        cfg.enc[1].in_h = 32, cfg.enc[1].in_w = 32;
        cfg.num_classes = 10;
        if (!batch) batch = 64;
        if (!steps) steps = 10;
    } else {
        fprintf(stderr, "bench-train: --shape cremad|avdigits is required\n"
                        "Try 'bench-train --help' for more information.\n");
        return 2;
    }
    if (threads < 1 || steps < 1 || warmup < 0 || batch < 2) {
        fprintf(stderr, "bench-train: bad --threads, --steps, --warmup or --batch\n");
        return 2;
    }
    cfg.enc[0].in_channels = 1;
    cfg.enc[1].in_channels = 3;
    cfg.enc[0].frames = cfg.enc[1].frames = 1;
    cfg.max_batch = batch;

    asgml_backend_options bo = {threads, 1, -1, 0};
    asgml_backend *be;
    TRY(asgml_backend_create("cpu", &bo, &be));
    if (conv_algo) TRY(asgml_backend_set_conv_algo(be, conv_algo));
    asgml_model *model;
    TRY(asgml_model_create(be, &cfg, &model));
    TRY(asgml_model_init_params(model, 1));
    asgml_optim_config oc;
    asgml_optim_config_defaults(&oc); /* SGD 1e-3, momentum 0.9, wd 1e-4 */
    oc.kind = ASGML_OPTIM_SGD;
    oc.lr = 1e-3;
    oc.momentum = 0.9;
    oc.weight_decay = 1e-4;
    asgml_optim *opt;
    TRY(asgml_optim_create(model, &oc, &opt));

    const int C = cfg.num_classes;
    float *in[2], *dz;
    int32_t *labels;
    for (int m = 0; m < 2; m++) {
        size_t n = (size_t)batch * cfg.enc[m].in_channels * cfg.enc[m].in_h * cfg.enc[m].in_w;
        TRY(be->ops->alloc(be, n * sizeof(float), (void **)&in[m]));
        for (size_t i = 0; i < n; i++) in[m][i] = (float)(2.0 * urand() - 1.0);
    }
    TRY(be->ops->alloc(be, (size_t)batch * C * sizeof(float), (void **)&dz));
    TRY(be->ops->alloc(be, (size_t)batch * sizeof(int32_t), (void **)&labels));
    for (int i = 0; i < batch; i++) labels[i] = (int32_t)(urand() * C);

    const float *inputs[2] = {in[0], in[1]};
    double t0 = 0.0, c0 = 0.0, loss = 0.0;
    profiling = getenv("ASGML_BENCH_PROFILE") && atoi(getenv("ASGML_BENCH_PROFILE")) > 0;
    const asgml_backend_ops *ops0 = be->ops;
    const long rss0 = peak_rss_kb();
    count_install(be);
    int counted = 0; /* steps run with the counting table */
    double first = now();
    for (int s = 0; s < warmup + steps; s++) {
        if (s == 1 && conv_algo) {
            const char *key, *algo;
            fprintf(stderr, "bench-train: conv-algo %s: first step %.2f s; chosen:", conv_algo,
                    now() - first);
            for (int i = 0; asgml_backend_conv_algo_entry(be, i, &key, &algo); i++)
                fprintf(stderr, "%s %s=%s", i ? "," : "", key, algo);
            fprintf(stderr, "\n");
        }
        if (s == 1 && be->ops == &count_ops) be->ops = ops0; /* one step is enough */
        if (be->ops == &count_ops || (profiling && real_ops.gemm == c_gemm)) counted++;
        if (s == warmup) {
            if (profiling) profile_install(be);
            t0 = now();
            c0 = cpu_now();
        }
        TRY(asgml_model_zero_grad(model));
        TRY(asgml_model_forward(model, inputs, batch, 1, NULL));
        TRY(be->ops->fill(be, (int64_t)batch * C, 0.0f, dz));
        TRY(be->ops->softmax_ce(be, batch, C, asgml_model_logits(model), labels, 1.0f / batch,
                                NULL, NULL, dz, &loss));
        TRY(asgml_model_backward(model, dz, NULL, NULL));
        TRY(asgml_optim_step(opt, NULL));
    }
    TRY(be->ops->synchronize(be));
    double dt = now() - t0, dc = cpu_now() - c0;
    const long rss1 = peak_rss_kb();
    printf("asgml %s samples_per_s=%.1f threads=%d batch=%d steps=%d loss=%.4f "
           "cpu_s_per_step=%.3f flops_per_sample=%.4g peak_rss_kb=%ld "
           "step_bytes_per_sample=%.0f\n",
           shape, (double)batch * steps / dt, threads, batch, steps, loss / batch, dc / steps,
           flop_count / ((double)batch * counted), rss1, (rss1 - rss0) * 1024.0 / batch);
    if (profiling) profile_report(shape, steps, dt);
    if (getenv("ASGML_BENCH_HASH")) { /* determinism checks: FNV-1a of the parameters */
        const unsigned char *p = (const unsigned char *)asgml_model_params(model);
        size_t nbytes = (size_t)asgml_model_num_params(model) * sizeof(float);
        uint64_t h = 1469598103934665603ull;
        for (size_t i = 0; i < nbytes; i++) h = (h ^ p[i]) * 1099511628211ull;
        printf("params_hash=%016llx\n", (unsigned long long)h);
    }
    be->ops->free(be, in[0]);
    be->ops->free(be, in[1]);
    be->ops->free(be, dz);
    be->ops->free(be, labels);
    asgml_optim_free(opt);
    asgml_model_free(model);
    asgml_backend_destroy(be);
    return 0;
}
