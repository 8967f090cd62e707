/* SPDX-License-Identifier: MIT */
/* probe.c - decoupled probes on detached features (asgml-methods(7), PROBES).
 *
 * Built from the model's layers (nn/linear.h, nn/dropout.h) over memory
 * of its own; only backend ops are used, so a probe runs wherever its
 * backend runs.
 *
 * One backend buffer `state` holds [params | adam m | adam v] (3 * P
 * floats), so a checkpoint is one array.  Parameter layout:
 *   linear:      W (C, D), b (C)
 *   mlp_1layer:  W1 (H, D), b1 (H), W2 (C, H), b2 (C), H = 256
 * Adam as torch.optim.Adam(lr, (0.9, 0.999), 1e-8, no decay); every
 * parameter is updated on every step, so one step count serves all. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "asgml/probe.h"
#include "data/decode.h"
#include "nn/dropout.h"
#include "nn/linear.h"

#define PROBE_HIDDEN 256
#define PROBE_DROPOUT 0.1f

struct asgml_probe {
    asgml_backend *be;
    asgml_probe_kind kind;
    int d, c, h, max_batch;
    double lr;
    int64_t nparams;       /* P */
    float *state;          /* backend (3P): params, m, v */
    float *grads;          /* backend (P) */
    /* backend scratch, each sized for max_batch rows */
    float *logits, *dlogits;          /* (n, C) */
    float *hid, *hid_drop, *mask;     /* (n, H) relu output, after dropout, mask */
    float *dhid_drop, *dhid, *dpre;   /* (n, H) gradients */
    float *host_logits;               /* host (max_batch, C) */
    linear_layer fc1, fc2;            /* linear: fc1 (D -> C); mlp: fc1 (D -> H), fc2 (H -> C) */
    dropout_layer drop;               /* mlp, before fc2 */
    int64_t step;                     /* Adam steps taken */
    uint64_t seed, dropout_offset;    /* Philox stream of the dropout masks */
};

static int64_t probe_num_params(asgml_probe_kind kind, int d, int c);


/* parameter offsets inside state */
static int64_t off_w1(const asgml_probe *p) { (void)p; return 0; }
static int64_t off_b1(const asgml_probe *p)
{
    return (int64_t)(p->kind == ASGML_PROBE_MLP ? p->h : p->c) * p->d;
}
static int64_t off_w2(const asgml_probe *p) { return off_b1(p) + p->h; }
static int64_t off_b2(const asgml_probe *p) { return off_w2(p) + (int64_t)p->c * p->h; }

static void probe_free_buffers(asgml_probe *p)
{
    asgml_backend *be = p->be;
    float **bufs[] = { &p->state, &p->grads, &p->logits, &p->dlogits, &p->hid, &p->hid_drop,
                       &p->mask, &p->dhid_drop, &p->dhid, &p->dpre };
    for (size_t i = 0; i < sizeof bufs / sizeof bufs[0]; i++) {
        if (*bufs[i])
            be->ops->free(be, *bufs[i]);
        *bufs[i] = NULL;
    }
}

void asgml_probe_free(asgml_probe *p)
{
    if (!p)
        return;
    probe_free_buffers(p);
    free(p->host_logits);
    free(p);
}

static asgml_status balloc(asgml_backend *be, int64_t nfloats, float **out)
{
    void *ptr = NULL;
    CK(be->ops->alloc(be, (size_t)(nfloats > 0 ? nfloats : 1) * sizeof(float), &ptr));
    *out = ptr;
    return ASGML_OK;
}

/* U(-1/sqrt(fan_in), 1/sqrt(fan_in)) for n values (PyTorch Linear default
 * for weight and bias alike). */
static void uniform_init(asgml_splitmix *r, float *dst, int64_t n, int fan_in)
{
    double bound = 1.0 / sqrt((double)fan_in);
    for (int64_t i = 0; i < n; i++)
        dst[i] = (float)((2.0 * asgml_splitmix_real(r) - 1.0) * bound);
}

asgml_status asgml_probe_create(asgml_backend *be, asgml_probe_kind kind, int in_dim,
                                int num_classes, int max_batch, uint64_t seed,
                                double lr, asgml_probe **out)
{
    asgml_probe *p;
    asgml_status st;
    float *host = NULL;
    asgml_splitmix rng;

    *out = NULL;
    if (!be || in_dim <= 0 || num_classes < 2 || max_batch <= 0 || !(lr > 0) ||
        (kind != ASGML_PROBE_LINEAR && kind != ASGML_PROBE_MLP))
        return ASGML_ERR(ASGML_EINVAL, "bad probe shape (D %d, C %d, B %d, lr %g)", in_dim, num_classes, max_batch, lr);
    p = calloc(1, sizeof *p);
    if (!p)
        return ASGML_ERR(ASGML_ENOMEM, "out of memory");
    p->be = be;
    p->kind = kind;
    p->d = in_dim;
    p->c = num_classes;
    p->h = kind == ASGML_PROBE_MLP ? PROBE_HIDDEN : 0;
    p->max_batch = max_batch;
    p->lr = lr;
    p->seed = seed;
    p->nparams = probe_num_params(kind, in_dim, num_classes);

    int64_t nb = max_batch;
    if ((st = balloc(be, 3 * p->nparams, &p->state)) != ASGML_OK ||
        (st = balloc(be, p->nparams, &p->grads)) != ASGML_OK ||
        (st = balloc(be, nb * p->c, &p->logits)) != ASGML_OK ||
        (st = balloc(be, nb * p->c, &p->dlogits)) != ASGML_OK)
        goto fail;
    if (kind == ASGML_PROBE_MLP) {
        float **hb[] = { &p->hid, &p->hid_drop, &p->mask, &p->dhid_drop, &p->dhid, &p->dpre };
        for (size_t i = 0; i < sizeof hb / sizeof hb[0]; i++)
            if ((st = balloc(be, nb * p->h, hb[i])) != ASGML_OK)
                goto fail;
    }
    p->host_logits = malloc((size_t)nb * (size_t)p->c * sizeof(float));
    host = calloc((size_t)(3 * p->nparams), sizeof(float));
    if (!p->host_logits || !host) {
        st = ASGML_ERR(ASGML_ENOMEM, "out of memory");
        goto fail;
    }
    /* Parameters in the order torch creates them: weight then bias of each
     * Linear; Adam moments start at 0. */
    asgml_splitmix_init(&rng, seed, UINT64_C(0x70726f6265)); /* "probe" */
    if (kind == ASGML_PROBE_MLP) {
        uniform_init(&rng, host + off_w1(p), (int64_t)p->h * p->d, p->d);
        uniform_init(&rng, host + off_b1(p), p->h, p->d);
        uniform_init(&rng, host + off_w2(p), (int64_t)p->c * p->h, p->h);
        uniform_init(&rng, host + off_b2(p), p->c, p->h);
    } else {
        uniform_init(&rng, host + off_w1(p), (int64_t)p->c * p->d, p->d);
        uniform_init(&rng, host + off_b1(p), p->c, p->d);
    }
    st = be->ops->to_device(be, p->state, host, (size_t)(3 * p->nparams) * sizeof(float));
    free(host);
    linear_bind(&p->fc1, p->d, kind == ASGML_PROBE_MLP ? p->h : p->c, p->state + off_w1(p),
                p->state + off_b1(p), p->grads + off_w1(p), p->grads + off_b1(p));
    if (kind == ASGML_PROBE_MLP)
        linear_bind(&p->fc2, p->h, p->c, p->state + off_w2(p), p->state + off_b2(p),
                    p->grads + off_w2(p), p->grads + off_b2(p));
    dropout_build(&p->drop, PROBE_DROPOUT);
    host = NULL;
    if (st != ASGML_OK)
        goto fail;
    *out = p;
    return ASGML_OK;
fail:
    free(host);
    asgml_probe_free(p);
    return st;
}

/* logits (n, C) <- probe(x); x (n, D) backend memory.  training: dropout
 * on (mlp) with a fresh slice of the probe's Philox stream.
 *   linear: logits = fc1(x);  mlp: hid = relu(fc1(x)) (n, H), logits = fc2(dropout(hid)) */
static asgml_status probe_forward(asgml_probe *p, const float *x, int n, int training)
{
    asgml_backend *be = p->be;

    if (p->kind == ASGML_PROBE_LINEAR)
        return linear_forward(be, &p->fc1, n, x, p->logits);
    int64_t nh = (int64_t)n * p->h;
    CK(linear_forward(be, &p->fc1, n, x, p->hid));
    CK(be->ops->relu_forward(be, nh, p->hid, p->hid));
    const float *top = p->hid;
    if (training) {
        CK(dropout_forward(be, &p->drop, nh, p->seed, &p->dropout_offset, p->hid, p->hid_drop,
                           p->mask));
        top = p->hid_drop;
    }
    return linear_forward(be, &p->fc2, n, top, p->logits);
}

/* grads <- d(mean CE)/d(params) for the last training forward (dlogits (n, C)). */
static asgml_status probe_backward(asgml_probe *p, const float *x, int n)
{
    asgml_backend *be = p->be;

    CK(be->ops->fill(be, p->nparams, 0.0f, p->grads));
    if (p->kind == ASGML_PROBE_LINEAR)
        return linear_backward(be, &p->fc1, n, x, p->dlogits, NULL);
    int64_t nh = (int64_t)n * p->h;
    /* d(hid_drop) (n, H) = dlogits (n, C) W2 (C, H) */
    CK(be->ops->fill(be, nh, 0.0f, p->dhid_drop));
    CK(linear_backward(be, &p->fc2, n, p->hid_drop, p->dlogits, p->dhid_drop));
    CK(be->ops->fill(be, nh, 0.0f, p->dhid));
    CK(dropout_backward(be, &p->drop, nh, p->mask, p->dhid_drop, p->dhid));
    CK(be->ops->fill(be, nh, 0.0f, p->dpre));
    CK(be->ops->relu_backward(be, nh, p->hid, p->dhid, p->dpre));
    return linear_backward(be, &p->fc1, n, x, p->dpre, NULL);
}

asgml_status asgml_probe_train(asgml_probe *p, const float *x, const int32_t *labels_dev,
                               int n, int steps, double *last_loss)
{
    asgml_backend *be;
    double loss_sum = 0.0;

    if (!p || !x || !labels_dev || n <= 0 || n > p->max_batch || steps < 0)
        return ASGML_ERR(ASGML_EINVAL, "probe train on %d rows (max %d)", n, p ? p->max_batch : 0);
    be = p->be;
    for (int k = 0; k < steps; k++) {
        CK(probe_forward(p, x, n, 1));
        CK(be->ops->fill(be, (int64_t)n * p->c, 0.0f, p->dlogits));
        CK(be->ops->softmax_ce(be, n, p->c, p->logits, labels_dev, 1.0f / (float)n, NULL,
                               NULL, p->dlogits, &loss_sum));
        CK(probe_backward(p, x, n));
        p->step++;
        CK(be->ops->adam_update(be, p->nparams, p->state, p->grads, p->state + p->nparams,
                                p->state + 2 * p->nparams, (float)p->lr, 0.9f, 0.999f, 1e-8f,
                                0.0f, 0, p->step));
    }
    if (last_loss)
        *last_loss = steps > 0 ? loss_sum / n : NAN;
    return ASGML_OK;
}

asgml_status asgml_probe_predict(asgml_probe *p, const float *x, int n, int32_t *pred_host)
{
    asgml_backend *be;

    if (!p || !x || !pred_host || n <= 0 || n > p->max_batch)
        return ASGML_ERR(ASGML_EINVAL, "probe predict on %d rows (max %d)", n, p ? p->max_batch : 0);
    be = p->be;
    CK(probe_forward(p, x, n, 0));
    CK(be->ops->to_host(be, p->host_logits, p->logits, (size_t)n * (size_t)p->c * sizeof(float)));
    for (int i = 0; i < n; i++) {
        const float *row = p->host_logits + (size_t)i * (size_t)p->c;
        int best = 0;
        for (int j = 1; j < p->c; j++)   /* ties -> lowest class index */
            if (row[j] > row[best])
                best = j;
        pred_host[i] = best;
    }
    return ASGML_OK;
}

asgml_status asgml_probe_accuracy(asgml_probe *p, const float *x, const int32_t *labels_host,
                                  int n, double *acc)
{
    int32_t *pred;
    asgml_status st;
    int correct = 0;

    if (!labels_host || !acc)
        return ASGML_ERR(ASGML_EINVAL, "NULL argument");
    pred = malloc((size_t)(n > 0 ? n : 1) * sizeof *pred);
    if (!pred)
        return ASGML_ERR(ASGML_ENOMEM, "out of memory");
    st = asgml_probe_predict(p, x, n, pred);
    if (st == ASGML_OK) {
        for (int i = 0; i < n; i++)
            correct += pred[i] == labels_host[i];
        *acc = (double)correct / n;
    }
    free(pred);
    return st;
}

asgml_status asgml_probe_split_step(asgml_probe *p, const float *x, const int32_t *labels_dev,
                                    const int32_t *labels_host, int batch, int steps,
                                    double *acc, double *train_loss)
{
    int h = batch / 2;

    if (!p || batch < 2)
        return ASGML_ERR(ASGML_EINVAL, "split-batch probe step needs B >= 2 (B %d)", batch);
    CK(asgml_probe_train(p, x, labels_dev, h, steps, train_loss));
    return asgml_probe_accuracy(p, x + (size_t)h * (size_t)p->d, labels_host + h, batch - h, acc);
}

static int64_t probe_num_params(asgml_probe_kind kind, int d, int c)
{
    return kind == ASGML_PROBE_MLP
        ? (int64_t)PROBE_HIDDEN * d + PROBE_HIDDEN + (int64_t)c * PROBE_HIDDEN + c
        : (int64_t)c * d + c;
}

int64_t asgml_probe_state_size_for(asgml_probe_kind kind, int in_dim, int num_classes)
{
    return 3 * probe_num_params(kind, in_dim, num_classes);
}

int64_t asgml_probe_state_size(const asgml_probe *p) { return 3 * p->nparams; }
float *asgml_probe_state(asgml_probe *p) { return p->state; }
int64_t *asgml_probe_step_count(asgml_probe *p) { return &p->step; }
uint64_t *asgml_probe_dropout_offset(asgml_probe *p) { return &p->dropout_offset; }
int asgml_probe_in_dim(const asgml_probe *p) { return p->d; }

asgml_status asgml_probe_state_to_host(asgml_probe *p, float *host)
{
    return p->be->ops->to_host(p->be, host, p->state, (size_t)(3 * p->nparams) * sizeof(float));
}
