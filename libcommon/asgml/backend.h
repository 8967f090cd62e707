/* asgml/backend.h - the compute backend interface (in the spirit of ggml's
 * backend table).
 *
 * A backend is a table of operations on float32 buffers that live in the
 * backend's memory (host memory for "cpu", device memory for "cuda").  The
 * model, the optimisers and the training methods only ever call through this
 * table, so every backend runs the same code above it.  The CPU backend is
 * the reference; every op of every other backend is checked against it by
 * tests/test-backend-ops.
 *
 * Conventions
 *  - Tensors are dense, row-major; images are NCHW.
 *  - Forward ops overwrite their output.  Backward ops ACCUMULATE (+=) into
 *    every gradient they produce (input and parameter gradients alike), as
 *    llm.c does; zeroing is a separate fill().
 *  - Reductions that the host needs (norms, std, loss sums) come back as
 *    double on the host and are computed in double precision.
 *  - Random numbers: Philox4x32-10 keyed by (seed), counter = offset + i/2
 *    for element i; each counter block yields two Gaussians by Box-Muller:
 *    u_k = (x_k + 1) * 2^-32, r = sqrt(-2 ln u_0), z_even = r cos(2 pi u_1),
 *    z_odd = r sin(2 pi u_1) (x_2, x_3 are unused).  Uniforms for dropout:
 *    element i uses word (i % 4) of block offset + i/4, u = (x + 1) * 2^-32.
 *    The same seed and offset give the same stream on every backend.
 *  - All ops return ASGML_OK or an error status with asgml_error() set.
 * No CUDA type appears here. */
#ifndef ASGML_BACKEND_H
#define ASGML_BACKEND_H

#include "asgml/common.h"

ASGML_BEGIN_DECLS

typedef enum asgml_op {
    ASGML_OP_CONV2D_FORWARD,
    ASGML_OP_CONV2D_BACKWARD_DATA,
    ASGML_OP_CONV2D_BACKWARD_FILTER,
    ASGML_OP_BATCHNORM_FORWARD_TRAIN,
    ASGML_OP_BATCHNORM_FORWARD_INFER,
    ASGML_OP_BATCHNORM_BACKWARD,
    ASGML_OP_MAXPOOL_FORWARD,
    ASGML_OP_MAXPOOL_BACKWARD,
    ASGML_OP_AVGPOOL_FORWARD,     /* adaptive average pool to 1x1 */
    ASGML_OP_AVGPOOL_BACKWARD,
    ASGML_OP_GEMM,
    ASGML_OP_BIAS_FORWARD,
    ASGML_OP_BIAS_BACKWARD,
    ASGML_OP_RELU_FORWARD,
    ASGML_OP_RELU_BACKWARD,
    ASGML_OP_SIGMOID_FORWARD,
    ASGML_OP_SIGMOID_BACKWARD,
    ASGML_OP_DROPOUT_FORWARD,
    ASGML_OP_DROPOUT_BACKWARD,
    ASGML_OP_ADD,
    ASGML_OP_MUL,
    ASGML_OP_AXPY,
    ASGML_OP_SCALE,
    ASGML_OP_FILL,
    ASGML_OP_COPY,
    ASGML_OP_SEGMENT_MEAN_FORWARD,  /* (B,T,C) -> (B,C) mean over T */
    ASGML_OP_SEGMENT_MEAN_BACKWARD,
    ASGML_OP_SOFTMAX_CE,
    ASGML_OP_SUMSQ,
    ASGML_OP_MEAN_STD,
    ASGML_OP_SGD_UPDATE,
    ASGML_OP_ADAM_UPDATE,
    ASGML_OP_GAUSSIAN_NOISE,
    ASGML_OP_NONFINITE_COUNT,
    ASGML_OP_COUNT
} asgml_op;

const char *asgml_op_name(asgml_op op);

/* x (n, c_in, h_in, w_in), w (c_out, c_in, k_h, k_w) OIHW, y (n, c_out, h_out, w_out).
 * No bias (every conv in ResNet18 is followed by batch norm).
 * h_out = (h_in + 2*pad_h - k_h) / stride_h + 1; use asgml_conv2d_desc_init. */
typedef struct asgml_conv2d_desc {
    int n, c_in, h_in, w_in;
    int c_out, k_h, k_w;
    int stride_h, stride_w, pad_h, pad_w;
    int h_out, w_out;
} asgml_conv2d_desc;

/* x, y (n, c, hw) with hw = H*W; per-channel statistics over n*hw values.
 * Training: biased variance normalises; running_var is updated with the
 * unbiased variance (PyTorch): r <- (1-momentum) r + momentum * stat. */
typedef struct asgml_bn_desc {
    int n, c, hw;
    double eps, momentum;
} asgml_bn_desc;

/* Max pool: x (n, c, h_in, w_in) -> y (n, c, h_out, w_out), padding is -inf. */
typedef struct asgml_pool2d_desc {
    int n, c, h_in, w_in;
    int k, stride, pad;
    int h_out, w_out;
} asgml_pool2d_desc;

typedef struct asgml_backend asgml_backend;

typedef struct asgml_backend_ops {
    const char *name;                         /* "cpu", "cuda" */
    int (*supports)(const asgml_backend *be, asgml_op op);
    void (*destroy)(asgml_backend *be);

    /* memory in the backend's address space */
    asgml_status (*alloc)(asgml_backend *be, size_t bytes, void **ptr);
    void (*free)(asgml_backend *be, void *ptr);
    asgml_status (*to_device)(asgml_backend *be, void *dst, const void *host_src, size_t bytes);
    asgml_status (*to_host)(asgml_backend *be, void *host_dst, const void *src, size_t bytes);
    asgml_status (*synchronize)(asgml_backend *be);

    /* convolution (no bias) */
    asgml_status (*conv2d_forward)(asgml_backend *be, const asgml_conv2d_desc *d,
                                   const float *x, const float *w, float *y);
    asgml_status (*conv2d_backward_data)(asgml_backend *be, const asgml_conv2d_desc *d,
                                         const float *dy, const float *w, float *dx /* += */);
    asgml_status (*conv2d_backward_filter)(asgml_backend *be, const asgml_conv2d_desc *d,
                                           const float *x, const float *dy, float *dw /* += */);

    /* batch norm: mean/invstd (c) are saved by forward_train for backward */
    asgml_status (*batchnorm_forward_train)(asgml_backend *be, const asgml_bn_desc *d,
                                            const float *x, const float *gamma, const float *beta,
                                            float *y, float *save_mean, float *save_invstd,
                                            float *running_mean, float *running_var);
    asgml_status (*batchnorm_forward_infer)(asgml_backend *be, const asgml_bn_desc *d,
                                            const float *x, const float *gamma, const float *beta,
                                            const float *running_mean, const float *running_var,
                                            float *y);
    asgml_status (*batchnorm_backward)(asgml_backend *be, const asgml_bn_desc *d,
                                       const float *x, const float *dy, const float *gamma,
                                       const float *save_mean, const float *save_invstd,
                                       float *dx /* += */, float *dgamma /* += */,
                                       float *dbeta /* += */);

    /* pooling; argmax (n*c*h_out*w_out) holds the flat input index h*w_in+w */
    asgml_status (*maxpool_forward)(asgml_backend *be, const asgml_pool2d_desc *d,
                                    const float *x, float *y, int32_t *argmax);
    asgml_status (*maxpool_backward)(asgml_backend *be, const asgml_pool2d_desc *d,
                                     const float *dy, const int32_t *argmax, float *dx /* += */);
    /* x (nc, hw) -> y (nc): mean over hw */
    asgml_status (*avgpool_forward)(asgml_backend *be, int64_t nc, int64_t hw,
                                    const float *x, float *y);
    asgml_status (*avgpool_backward)(asgml_backend *be, int64_t nc, int64_t hw,
                                     const float *dy, float *dx /* += */);

    /* C (m,n) = alpha * op(A) op(B) + beta * C, row-major with leading
     * dimensions (BLAS semantics applied to row-major storage).
     * op(A) is (m,k), op(B) is (k,n). */
    asgml_status (*gemm)(asgml_backend *be, int trans_a, int trans_b, int m, int n, int k,
                         float alpha, const float *a, int lda, const float *b, int ldb,
                         float beta, float *c, int ldc);
    /* y (rows, cols) += bias (cols) ; dbias (cols) += column sums of dy */
    asgml_status (*bias_forward)(asgml_backend *be, int64_t rows, int64_t cols,
                                 const float *bias, float *y);
    asgml_status (*bias_backward)(asgml_backend *be, int64_t rows, int64_t cols,
                                  const float *dy, float *dbias /* += */);

    /* elementwise over n; y may alias x in forward ops */
    asgml_status (*relu_forward)(asgml_backend *be, int64_t n, const float *x, float *y);
    /* dx += dy * (y > 0), y = relu output */
    asgml_status (*relu_backward)(asgml_backend *be, int64_t n, const float *y,
                                  const float *dy, float *dx /* += */);
    asgml_status (*sigmoid_forward)(asgml_backend *be, int64_t n, const float *x, float *y);
    /* dx += dy * y * (1 - y), y = sigmoid output */
    asgml_status (*sigmoid_backward)(asgml_backend *be, int64_t n, const float *y,
                                     const float *dy, float *dx /* += */);
    /* inverted dropout: mask = (u >= p) / (1 - p); y = x * mask */
    asgml_status (*dropout_forward)(asgml_backend *be, int64_t n, float p, uint64_t seed,
                                    uint64_t offset, const float *x, float *y, float *mask);
    asgml_status (*dropout_backward)(asgml_backend *be, int64_t n, const float *mask,
                                     const float *dy, float *dx /* += */);
    asgml_status (*add)(asgml_backend *be, int64_t n, const float *a, const float *b, float *y);
    asgml_status (*mul)(asgml_backend *be, int64_t n, const float *a, const float *b, float *y);
    asgml_status (*axpy)(asgml_backend *be, int64_t n, float alpha, const float *x, float *y);
    asgml_status (*scale)(asgml_backend *be, int64_t n, float alpha, float *x);
    asgml_status (*fill)(asgml_backend *be, int64_t n, float value, float *x);
    asgml_status (*copy)(asgml_backend *be, int64_t n, const float *x, float *y);

    /* x (b, t, c) -> y (b, c) = mean over t ; dx (b,t,c) += dy / t */
    asgml_status (*segment_mean_forward)(asgml_backend *be, int b, int t, int c,
                                         const float *x, float *y);
    asgml_status (*segment_mean_backward)(asgml_backend *be, int b, int t, int c,
                                          const float *dy, float *dx /* += */);

    /* Softmax cross-entropy over logits (b, c) with int32 labels (b) in
     * backend memory.  probs (b, c) = softmax; losses (b) = -log p[y];
     * if dlogits != NULL: dlogits += grad_scale * (probs - onehot(y)).
     * losses and probs may be NULL.  *loss_sum (host) = sum of losses. */
    asgml_status (*softmax_ce)(asgml_backend *be, int b, int c, const float *logits,
                               const int32_t *labels, float grad_scale, float *probs,
                               float *losses, float *dlogits, double *loss_sum);

    /* host results, double accumulation */
    asgml_status (*sumsq)(asgml_backend *be, int64_t n, const float *x, double *out);
    /* mean and unbiased (n-1) standard deviation */
    asgml_status (*mean_std)(asgml_backend *be, int64_t n, const float *x, double *mean,
                             double *std);
    asgml_status (*nonfinite_count)(asgml_backend *be, int64_t n, const float *x,
                                    int64_t *out);

    /* PyTorch torch.optim.SGD: g = grad + wd*p; v = first ? g : momentum*v + (1-dampening)*g;
     * step = nesterov ? g + momentum*v : v; p -= lr*step.  mom may be NULL if momentum == 0. */
    asgml_status (*sgd_update)(asgml_backend *be, int64_t n, float *param, const float *grad,
                               float *mom, float lr, float momentum, float dampening,
                               float weight_decay, int nesterov, int first_step);
    /* PyTorch Adam (decoupled == 0: g += wd*p) or AdamW (decoupled: p *= 1 - lr*wd);
     * step is the 1-based step count after increment (bias corrections). */
    asgml_status (*adam_update)(asgml_backend *be, int64_t n, float *param, const float *grad,
                                float *m, float *v, float lr, float beta1, float beta2,
                                float eps, float weight_decay, int decoupled, int64_t step);

    /* x += sigma * N(0,1) from the Philox stream (seed, offset) */
    asgml_status (*gaussian_noise)(asgml_backend *be, int64_t n, float sigma, uint64_t seed,
                                   uint64_t offset, float *x);
} asgml_backend_ops;

struct asgml_backend {
    const asgml_backend_ops *ops;
    int num_threads;      /* cpu: OpenMP threads (0 = default) */
    int deterministic;    /* prefer deterministic algorithms */
    int tf32;             /* cuda: allow TF32 tensor-core math */
    void *impl;           /* backend-private state */
};

/* Create a backend by name ("cpu" or "cuda").  "cuda" without a device
 * fails with ASGML_EDEVICE and "no CUDA device: <reason>"; without CUDA
 * compiled in, ASGML_ENOTSUP. */
typedef struct asgml_backend_options {
    int num_threads;
    int deterministic;
    int tf32;             /* -1 = backend default (PyTorch's defaults) */
    int device_index;
} asgml_backend_options;

asgml_status asgml_backend_create(const char *name, const asgml_backend_options *opt,
                                  asgml_backend **out);
void asgml_backend_destroy(asgml_backend *be);
int asgml_backend_supports(const asgml_backend *be, asgml_op op);

/* Convenience helpers (shape arithmetic) */
void asgml_conv2d_desc_init(asgml_conv2d_desc *d, int n, int c_in, int h_in, int w_in,
                            int c_out, int k, int stride, int pad);
void asgml_pool2d_desc_init(asgml_pool2d_desc *d, int n, int c, int h_in, int w_in, int k,
                            int stride, int pad);

/* Host reference used by both backends and the tests: Philox4x32-10. */
void asgml_philox4x32(uint64_t seed, uint64_t counter, uint32_t out[4]);
float asgml_philox_gauss(uint64_t seed, uint64_t offset, int64_t i);
float asgml_philox_uniform(uint64_t seed, uint64_t offset, int64_t i);

ASGML_END_DECLS
#endif
