/* SPDX-License-Identifier: MIT */
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

/* The op list, kept in this one place.  X(ID, name, params) for each op:
 * ID gives ASGML_OP_<ID> (enum asgml_op), name gives the slot in
 * asgml_backend_ops and the string asgml_op_name() returns, params the
 * slot's parameter list (every op returns asgml_status).  "+=" marks the
 * outputs that backward ops accumulate into.  Adding an op: see HACKING. */
#define ASGML_OPS(X)                                                                       \
    /* convolution (no bias) */                                                            \
    X(CONV2D_FORWARD, conv2d_forward,                                                      \
      (asgml_backend *be, const asgml_conv2d_desc *d, const float *x, const float *w,      \
       float *y))                                                                          \
    X(CONV2D_BACKWARD_DATA, conv2d_backward_data,                                          \
      (asgml_backend *be, const asgml_conv2d_desc *d, const float *dy, const float *w,     \
       float *dx /* += */))                                                                \
    X(CONV2D_BACKWARD_FILTER, conv2d_backward_filter,                                      \
      (asgml_backend *be, const asgml_conv2d_desc *d, const float *x, const float *dy,     \
       float *dw /* += */))                                                                \
    /* batch norm: mean/invstd (c) are saved by forward_train for backward */              \
    X(BATCHNORM_FORWARD_TRAIN, batchnorm_forward_train,                                    \
      (asgml_backend *be, const asgml_bn_desc *d, const float *x, const float *gamma,      \
       const float *beta, float *y, float *save_mean, float *save_invstd,                  \
       float *running_mean, float *running_var))                                           \
    X(BATCHNORM_FORWARD_INFER, batchnorm_forward_infer,                                    \
      (asgml_backend *be, const asgml_bn_desc *d, const float *x, const float *gamma,      \
       const float *beta, const float *running_mean, const float *running_var, float *y))  \
    X(BATCHNORM_BACKWARD, batchnorm_backward,                                              \
      (asgml_backend *be, const asgml_bn_desc *d, const float *x, const float *dy,         \
       const float *gamma, const float *save_mean, const float *save_invstd,               \
       float *dx /* += */, float *dgamma /* += */, float *dbeta /* += */))                 \
    /* batch norm + ReLU fused (the conv -> BN -> ReLU of ResNet): y = relu(BN(x)), the   \
     * same bits as the two ops; backward takes that y and masks dy by y > 0 */            \
    X(BATCHNORM_RELU_FORWARD_TRAIN, batchnorm_relu_forward_train,                          \
      (asgml_backend *be, const asgml_bn_desc *d, const float *x, const float *gamma,      \
       const float *beta, float *y, float *save_mean, float *save_invstd,                  \
       float *running_mean, float *running_var))                                           \
    X(BATCHNORM_RELU_FORWARD_INFER, batchnorm_relu_forward_infer,                          \
      (asgml_backend *be, const asgml_bn_desc *d, const float *x, const float *gamma,      \
       const float *beta, const float *running_mean, const float *running_var, float *y))  \
    X(BATCHNORM_RELU_BACKWARD, batchnorm_relu_backward,                                    \
      (asgml_backend *be, const asgml_bn_desc *d, const float *x, const float *y,          \
       const float *dy, const float *gamma, const float *save_mean,                        \
       const float *save_invstd, float *dx /* += */, float *dgamma /* += */,               \
       float *dbeta /* += */))                                                             \
    /* pooling; argmax (n*c*h_out*w_out) holds the flat input index h*w_in+w */            \
    X(MAXPOOL_FORWARD, maxpool_forward,                                                    \
      (asgml_backend *be, const asgml_pool2d_desc *d, const float *x, float *y,            \
       int32_t *argmax))                                                                   \
    X(MAXPOOL_BACKWARD, maxpool_backward,                                                  \
      (asgml_backend *be, const asgml_pool2d_desc *d, const float *dy,                     \
       const int32_t *argmax, float *dx /* += */))                                         \
    /* adaptive average pool to 1x1: x (nc, hw) -> y (nc), mean over hw */                 \
    X(AVGPOOL_FORWARD, avgpool_forward,                                                    \
      (asgml_backend *be, int64_t nc, int64_t hw, const float *x, float *y))               \
    X(AVGPOOL_BACKWARD, avgpool_backward,                                                  \
      (asgml_backend *be, int64_t nc, int64_t hw, const float *dy, float *dx /* += */))    \
    /* C (m,n) = alpha * op(A) op(B) + beta * C, row-major with leading                    \
     * dimensions (BLAS semantics applied to row-major storage).                           \
     * op(A) is (m,k), op(B) is (k,n). */                                                  \
    X(GEMM, gemm,                                                                          \
      (asgml_backend *be, int trans_a, int trans_b, int m, int n, int k, float alpha,      \
       const float *a, int lda, const float *b, int ldb, float beta, float *c, int ldc))   \
    /* y (rows, cols) += bias (cols) ; dbias (cols) += column sums of dy */                \
    X(BIAS_FORWARD, bias_forward,                                                          \
      (asgml_backend *be, int64_t rows, int64_t cols, const float *bias, float *y))        \
    X(BIAS_BACKWARD, bias_backward,                                                        \
      (asgml_backend *be, int64_t rows, int64_t cols, const float *dy,                     \
       float *dbias /* += */))                                                             \
    /* elementwise over n; y may alias x in forward ops */                                 \
    X(RELU_FORWARD, relu_forward, (asgml_backend *be, int64_t n, const float *x, float *y)) \
    /* dx += dy * (y > 0), y = relu output */                                              \
    X(RELU_BACKWARD, relu_backward,                                                        \
      (asgml_backend *be, int64_t n, const float *y, const float *dy, float *dx /* += */)) \
    X(SIGMOID_FORWARD, sigmoid_forward,                                                    \
      (asgml_backend *be, int64_t n, const float *x, float *y))                            \
    /* dx += dy * y * (1 - y), y = sigmoid output */                                       \
    X(SIGMOID_BACKWARD, sigmoid_backward,                                                  \
      (asgml_backend *be, int64_t n, const float *y, const float *dy, float *dx /* += */)) \
    /* inverted dropout: mask = (u >= p) / (1 - p); y = x * mask */                        \
    X(DROPOUT_FORWARD, dropout_forward,                                                    \
      (asgml_backend *be, int64_t n, float p, uint64_t seed, uint64_t offset,              \
       const float *x, float *y, float *mask))                                             \
    X(DROPOUT_BACKWARD, dropout_backward,                                                  \
      (asgml_backend *be, int64_t n, const float *mask, const float *dy,                   \
       float *dx /* += */))                                                                \
    X(ADD, add, (asgml_backend *be, int64_t n, const float *a, const float *b, float *y))  \
    /* y = relu(a + b): the residual add and ReLU at the end of a ResNet block */          \
    X(ADD_RELU, add_relu,                                                                  \
      (asgml_backend *be, int64_t n, const float *a, const float *b, float *y))            \
    X(MUL, mul, (asgml_backend *be, int64_t n, const float *a, const float *b, float *y))  \
    X(AXPY, axpy, (asgml_backend *be, int64_t n, float alpha, const float *x, float *y))   \
    X(SCALE, scale, (asgml_backend *be, int64_t n, float alpha, float *x))                 \
    X(FILL, fill, (asgml_backend *be, int64_t n, float value, float *x))                   \
    X(COPY, copy, (asgml_backend *be, int64_t n, const float *x, float *y))                \
    /* x (b, t, c) -> y (b, c) = mean over t ; dx (b,t,c) += dy / t */                     \
    X(SEGMENT_MEAN_FORWARD, segment_mean_forward,                                          \
      (asgml_backend *be, int b, int t, int c, const float *x, float *y))                  \
    X(SEGMENT_MEAN_BACKWARD, segment_mean_backward,                                        \
      (asgml_backend *be, int b, int t, int c, const float *dy, float *dx /* += */))       \
    /* Softmax cross-entropy over logits (b, c) with int32 labels (b) in                   \
     * backend memory.  probs (b, c) = softmax; losses (b) = -log p[y];                    \
     * if dlogits != NULL: dlogits += grad_scale * (probs - onehot(y)).                    \
     * losses and probs may be NULL.  *loss_sum (host) = sum of losses. */                 \
    X(SOFTMAX_CE, softmax_ce,                                                              \
      (asgml_backend *be, int b, int c, const float *logits, const int32_t *labels,        \
       float grad_scale, float *probs, float *losses, float *dlogits, double *loss_sum))   \
    /* host results, double accumulation */                                                \
    X(SUMSQ, sumsq, (asgml_backend *be, int64_t n, const float *x, double *out))           \
    /* mean and unbiased (n-1) standard deviation */                                       \
    X(MEAN_STD, mean_std,                                                                  \
      (asgml_backend *be, int64_t n, const float *x, double *mean, double *std))           \
    /* PyTorch torch.optim.SGD: g = grad + wd*p;                                           \
     * v = first ? g : momentum*v + (1-dampening)*g;                                       \
     * step = nesterov ? g + momentum*v : v; p -= lr*step.                                 \
     * mom may be NULL if momentum == 0. */                                                \
    X(SGD_UPDATE, sgd_update,                                                              \
      (asgml_backend *be, int64_t n, float *param, const float *grad, float *mom,          \
       float lr, float momentum, float dampening, float weight_decay, int nesterov,        \
       int first_step))                                                                    \
    /* PyTorch Adam (decoupled == 0: g += wd*p) or AdamW (decoupled:                       \
     * p *= 1 - lr*wd); step is the 1-based step count after increment                     \
     * (bias corrections). */                                                              \
    X(ADAM_UPDATE, adam_update,                                                            \
      (asgml_backend *be, int64_t n, float *param, const float *grad, float *m, float *v,  \
       float lr, float beta1, float beta2, float eps, float weight_decay, int decoupled,   \
       int64_t step))                                                                      \
    /* x += sigma * N(0,1) from the Philox stream (seed, offset) */                        \
    X(GAUSSIAN_NOISE, gaussian_noise,                                                      \
      (asgml_backend *be, int64_t n, float sigma, uint64_t seed, uint64_t offset,          \
       float *x))                                                                          \
    /* *out (host) = number of NaN and +-inf among x (n) */                                \
    X(NONFINITE_COUNT, nonfinite_count,                                                    \
      (asgml_backend *be, int64_t n, const float *x, int64_t *out))

typedef enum asgml_op {
#define ASGML_OP_ENUM_(ID, name, params) ASGML_OP_##ID,
    ASGML_OPS(ASGML_OP_ENUM_)
#undef ASGML_OP_ENUM_
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
    void (*destroy)(asgml_backend *be);

    /* memory in the backend's address space */
    asgml_status (*alloc)(asgml_backend *be, size_t bytes, void **ptr);
    void (*free)(asgml_backend *be, void *ptr);
    asgml_status (*to_device)(asgml_backend *be, void *dst, const void *host_src, size_t bytes);
    asgml_status (*to_host)(asgml_backend *be, void *host_dst, const void *src, size_t bytes);
    asgml_status (*synchronize)(asgml_backend *be);

    /* optional (NULL: one algorithm per conv, nothing to choose or record):
     * the conv algorithm choice, see asgml_backend_set_conv_algo */
    asgml_status (*conv_algo_mode)(asgml_backend *be, const char *mode);
    int (*conv_algo_entry)(asgml_backend *be, int i, const char **key, const char **algo);
    asgml_status (*conv_algo_pin)(asgml_backend *be, const char *key, const char *algo);

    /* the ops, one slot each; NULL = not supported by this backend */
#define ASGML_OP_SLOT_(ID, name, params) asgml_status(*name) params;
    ASGML_OPS(ASGML_OP_SLOT_)
#undef ASGML_OP_SLOT_
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
/* 1 when the backend's table has op's slot filled, else 0. */
int asgml_backend_supports(const asgml_backend *be, asgml_op op);
/* ASGML_OK when the backend supports every op of ops[0..n); ops == NULL
 * means every op of ASGML_OPS.  Otherwise ASGML_ENOTSUP with
 * "backend 'NAME' does not support op 'OP'" for the first op it lacks. */
asgml_status asgml_backend_require(const asgml_backend *be, const asgml_op *ops, int n);

/* Convolution algorithms (the CPU backend: im2col + SGEMM or Winograd
 * F(m x m,3x3), m = 2, 4, 6, for 3x3 stride-1 pad-1 convs).  They differ
 * in the last bits, so a backend fixes one per conv shape at its first use
 * and keeps it.  set_conv_algo: the mode for shapes not yet chosen, "auto"
 * (the backend's rule, the default), "im2col", "winograd" (the rule's
 * Winograd variant), "measure" (each algorithm timed on the backend at the
 * shape's first use, the fastest kept) or "winograd2", "winograd4",
 * "winograd6"; before the first conv (changing it later is an error).  conv_algo_entry: the i-th
 * choice so far (0-based), *key "C_IN>C_OUT HxW k3s1p1" and *algo its name;
 * returns 0 past the end.  conv_algo_pin: fixes the algorithm of a shape
 * before its first use (an error when it was computed with another).  A
 * backend without a choice accepts only "auto", lists nothing and refuses
 * pins (ASGML_ENOTSUP). */
asgml_status asgml_backend_set_conv_algo(asgml_backend *be, const char *mode);
int asgml_backend_conv_algo_entry(asgml_backend *be, int i, const char **key,
                                  const char **algo);
asgml_status asgml_backend_conv_algo_pin(asgml_backend *be, const char *key, const char *algo);

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
