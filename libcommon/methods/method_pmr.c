/* SPDX-License-Identifier: MIT */
/* method_pmr.c - prototypical modal rebalance (asgml-methods(7), PMR;
 * Fan et al., CVPR 2023, Eq. 6-13; fanyunfeng-bit/Modal-Imbalance-PMR
 * main_Prototype_grad.py train_epoch / calculate_prototype).
 *
 * H5 (epoch_begin of every epoch e, i.e. before epoch 0 and after every
 * epoch): prototypes c_m[k] (C, D) = mean of f_m over the class-k samples of
 * the first max(1, floor(n_b / 10)) batches of epoch e of a shuffled training
 * loader with its own order stream, model in inference mode
 * (asgml_step_train_features); for e > 0, c <- (1 - mu_p) c_new + mu_p c_old;
 * a class absent from the subset keeps its prototype (zeros before the first).
 * H1 (every step): d_m[i,k] = ||f_m,i - c_m[k]||_2 on this step's training
 * features f_m (B, D); PCE_m = CE(-d_m, y); q_m = sum_i softmax(-d_m,i)[y_i];
 * rho = q_1 / q_2; beta_m (asgml_pmr_coefficients).  Inside start <= e <= end:
 * L = CE(z) + sum_m beta_m PCE_m (the prototypes are constants, so the term
 * reaches encoder m only: its gradient dL/df_m goes through
 * asgml_step_feature_grad).  PER (paper Eq. 13, not in the released code),
 * for e < per-epochs: L -= mu (b~_2 H(p(-d_1)) + b~_1 H(p(-d_2))), b~ the
 * coefficients before alpha.  The run's "loss" stays CE(z); pmr.extra_loss
 * logs the PMR terms.
 *
 * Config: pmr.alpha 2.0, pmr.start 0, pmr.end 70, pmr.momentum (mu_p) 0,
 * pmr.coef code|paper, pmr.per (mu) 0 = off, pmr.per-epochs 0.
 * Log: pmr.q.<m>, pmr.rho, pmr.beta.<m>, pmr.pce.<m>, pmr.per, pmr.in_window,
 * pmr.extra_loss. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "asgml/hooks.h"
#include "core/error.h"
#include "methods/method_helpers.h"
#include "methods/method_pmr.h"

#define PMR_STREAM 0x706d72u   /* "pmr": order stream of the prototype subset */

/* ---- math (method_pmr.h) ------------------------------------------------ */

void asgml_pmr_signals(int B, int C, int D, const float *f, const float *c, const int32_t *y,
                       double w_pce, double w_ent, double *q, double *pce, double *ent,
                       float *dfeat)
{
    double *d = malloc((size_t)C * 3 * sizeof *d);
    double *p = d + C, *g = d + 2 * C;
    double qs = 0, ce = 0, hs = 0;
    if (!d) {       /* C is small; out of memory here means NaN signals */
        *q = *pce = *ent = NAN;
        return;
    }
    for (int i = 0; i < B; i++) {
        const float *fi = f + (size_t)i * D;
        double mx = -INFINITY, z = 0, h = 0, lz;
        for (int k = 0; k < C; k++) {
            double acc = 0;
            for (int j = 0; j < D; j++) {
                double t = (double)fi[j] - c[(size_t)k * D + j];
                acc += t * t;
            }
            d[k] = sqrt(acc);
            if (-d[k] > mx) mx = -d[k];
        }
        for (int k = 0; k < C; k++)
            z += exp(-d[k] - mx);
        lz = log(z) + mx;
        for (int k = 0; k < C; k++) {
            double lp = -d[k] - lz;
            p[k] = exp(lp);
            h -= p[k] * lp;
        }
        qs += p[y[i]];
        ce += d[y[i]] + lz;
        hs += h;
        if (!dfeat)
            continue;
        /* g_k = dL/d(-d_k) for sample i; dL/df_i = sum_k g_k * -(f_i - c_k)/d_k */
        for (int k = 0; k < C; k++) {
            double lp = -d[k] - lz;
            g[k] = w_pce * (p[k] - (k == y[i])) / B + w_ent * (-p[k] * (lp + h)) / B;
        }
        for (int k = 0; k < C; k++) {
            if (g[k] == 0.0 || d[k] == 0.0)
                continue;
            double s = -g[k] / d[k];
            for (int j = 0; j < D; j++)
                dfeat[(size_t)i * D + j] += (float)(s * ((double)fi[j] - c[(size_t)k * D + j]));
        }
    }
    *q = qs;
    *pce = ce / B;
    *ent = hs / B;
    free(d);
}

void asgml_pmr_coefficients(int paper, double alpha, double rho, double *beta, double *unscaled)
{
    unscaled[0] = unscaled[1] = 0.0;
    if (!paper) {            /* [PMR] train_epoch: the weaker modality gets alpha */
        if (rho > 1.0) unscaled[1] = 1.0;
        else if (rho < 1.0) unscaled[0] = 1.0;
    } else if (rho < 1.0) {  /* paper Eq. 10-11 */
        double v = 1.0 / rho - 1.0;
        unscaled[0] = v < 0 ? 0 : v > 1 ? 1 : v;
    } else {
        double v = rho - 1.0;
        unscaled[1] = v < 0 ? 0 : v > 1 ? 1 : v;
    }
    beta[0] = alpha * unscaled[0];
    beta[1] = alpha * unscaled[1];
}

void asgml_pmr_update_prototypes(int C, int D, const double *sum, const int64_t *count,
                                 double mu, int first, float *c)
{
    for (int k = 0; k < C; k++) {
        if (count[k] == 0)
            continue;        /* absent class: keeps its prototype */
        for (int j = 0; j < D; j++) {
            float cn = (float)(sum[(size_t)k * D + j] / (double)count[k]);
            float *ck = c + (size_t)k * D + j;
            *ck = first ? cn : (float)((1.0 - mu) * cn + mu * *ck);
        }
    }
}

/* ---- the method ------------------------------------------------------------ */

typedef struct pmr_state {
    double alpha, mu_p, per_mu;
    long start, end, per_epochs;
    int paper;
    int C, D, max_batch;
    int have;                         /* prototypes computed at least once */
    float *proto[2];                  /* host (C, D) */
    double *sum[2];                   /* host (C, D) subset sums */
    int64_t *count[2];                /* host (C) */
    float *feat, *grad;               /* host (max_batch, D) */
} pmr_state;

static void pmr_destroy(void *state)
{
    pmr_state *st = state;
    if (!st)
        return;
    for (int m = 0; m < 2; m++) {
        free(st->proto[m]);
        free(st->sum[m]);
        free(st->count[m]);
    }
    free(st->feat);
    free(st->grad);
    free(st);
}

static asgml_status pmr_create(asgml_config *cfg, const asgml_model_config *mc, void **state)
{
    pmr_state *st;
    const char *coef;
    asgml_status rc;

    *state = NULL;
    if (mc->num_modalities != 2)
        return asgml_error(ASGML_EINVAL, "pmr: needs exactly two modalities (model has %d); "
                           "the N > 2 form of BalanceBenchmark is not supported",
                           mc->num_modalities);
    st = calloc(1, sizeof *st);
    if (!st)
        return ASGML_ERR(ASGML_ENOMEM, "out of memory");
    if ((rc = asgml_config_get_double(cfg, "pmr.alpha", 2.0, &st->alpha)) != ASGML_OK ||
        (rc = asgml_config_get_int(cfg, "pmr.start", 0, &st->start)) != ASGML_OK ||
        (rc = asgml_config_get_int(cfg, "pmr.end", 70, &st->end)) != ASGML_OK ||
        (rc = asgml_config_get_double(cfg, "pmr.momentum", 0.0, &st->mu_p)) != ASGML_OK ||
        (rc = asgml_config_get_string(cfg, "pmr.coef", "code", &coef)) != ASGML_OK ||
        (rc = asgml_config_get_double(cfg, "pmr.per", 0.0, &st->per_mu)) != ASGML_OK ||
        (rc = asgml_config_get_int(cfg, "pmr.per-epochs", 0, &st->per_epochs)) != ASGML_OK) {
        pmr_destroy(st);
        return rc;
    }
    if (strcmp(coef, "code") == 0) st->paper = 0;
    else if (strcmp(coef, "paper") == 0) st->paper = 1;
    else rc = asgml_error(ASGML_EINVAL, "pmr.coef: '%s' is not one of code, paper", coef);
    if (rc == ASGML_OK && !(st->alpha >= 0.0))
        rc = asgml_error(ASGML_EINVAL, "pmr.alpha: %g is not >= 0", st->alpha);
    if (rc == ASGML_OK && !(st->mu_p >= 0.0 && st->mu_p <= 1.0))
        rc = asgml_error(ASGML_EINVAL, "pmr.momentum: %g is not in [0, 1]", st->mu_p);
    if (rc == ASGML_OK && !(st->per_mu >= 0.0))
        rc = asgml_error(ASGML_EINVAL, "pmr.per: %g is not >= 0", st->per_mu);
    if (rc != ASGML_OK) {
        pmr_destroy(st);
        return rc;
    }
    st->C = mc->num_classes;
    st->D = mc->feature_dim;
    st->max_batch = mc->max_batch > 0 ? mc->max_batch : 1;
    for (int m = 0; m < 2 && rc == ASGML_OK; m++) {
        st->proto[m] = calloc((size_t)st->C * st->D, sizeof(float));
        st->sum[m] = calloc((size_t)st->C * st->D, sizeof(double));
        st->count[m] = calloc((size_t)st->C, sizeof(int64_t));
        if (!st->proto[m] || !st->sum[m] || !st->count[m])
            rc = ASGML_ERR(ASGML_ENOMEM, "out of memory");
    }
    *state = st;
    return rc;
}

/* D is known for sure only from the model (feature_dim may be 0 = derived) */
static asgml_status pmr_bind(pmr_state *st, asgml_step *s)
{
    int D = asgml_model_feature_dim(s->model);
    if (D == st->D && st->feat)
        return ASGML_OK;
    st->D = D;
    for (int m = 0; m < 2; m++) {
        free(st->proto[m]);
        free(st->sum[m]);
        st->proto[m] = calloc((size_t)st->C * D, sizeof(float));
        st->sum[m] = calloc((size_t)st->C * D, sizeof(double));
        if (!st->proto[m] || !st->sum[m])
            return ASGML_ERR(ASGML_ENOMEM, "out of memory");
    }
    free(st->feat);
    free(st->grad);
    st->feat = malloc((size_t)st->max_batch * D * sizeof(float));
    st->grad = malloc((size_t)st->max_batch * D * sizeof(float));
    if (!st->feat || !st->grad)
        return ASGML_ERR(ASGML_ENOMEM, "out of memory");
    return ASGML_OK;
}

static asgml_status pmr_accumulate(void *ctx, int B, const int32_t *labels,
                                   const float *const *feat)
{
    pmr_state *st = ctx;
    for (int m = 0; m < 2; m++)
        for (int i = 0; i < B; i++) {
            int k = labels[i];
            if (k < 0 || k >= st->C)
                return asgml_error(ASGML_EINVAL, "pmr: label %d out of range", k);
            st->count[m][k]++;
            for (int j = 0; j < st->D; j++)
                st->sum[m][(size_t)k * st->D + j] += feat[m][(size_t)i * st->D + j];
        }
    return ASGML_OK;
}

/* [PMR] calculate_prototype: before epoch 0 and after every epoch */
static asgml_status pmr_epoch_begin(void *state, asgml_step *s)
{
    pmr_state *st = state;
    int nb;
    CK(pmr_bind(st, s));
    nb = asgml_step_train_batches(s) / 10;
    nb = nb < 1 ? 1 : nb;
    for (int m = 0; m < 2; m++) {
        memset(st->sum[m], 0, (size_t)st->C * st->D * sizeof(double));
        memset(st->count[m], 0, (size_t)st->C * sizeof(int64_t));
    }
    CK(asgml_step_train_features(s, PMR_STREAM, s->epoch, nb, pmr_accumulate, st));
    for (int m = 0; m < 2; m++)
        asgml_pmr_update_prototypes(st->C, st->D, st->sum[m], st->count[m], st->mu_p, !st->have,
                                    st->proto[m]);
    st->have = 1;
    return ASGML_OK;
}

static asgml_status pmr_before_backward(void *state, asgml_step *s)
{
    pmr_state *st = state;
    asgml_backend *be = s->be;
    int B = s->batch_size, D;
    int in_window = s->epoch >= st->start && s->epoch <= st->end;
    int per_on = st->per_mu > 0.0 && s->epoch < st->per_epochs;
    double q[2], pce[2], ent[2], beta[2], ub[2], rho, w_pce[2], w_ent[2], total;
    char key[64];

    CK(pmr_bind(st, s));
    D = st->D;
    /* values first (logged every step), then the gradient with the coefficients */
    for (int m = 0; m < 2; m++) {
        CK(be->ops->to_host(be, st->feat, asgml_model_features(s->model, m),
                            (size_t)B * D * sizeof(float)));
        asgml_pmr_signals(B, st->C, D, st->feat, st->proto[m], s->labels, 0, 0, &q[m], &pce[m],
                          &ent[m], NULL);
    }
    rho = q[0] / q[1];           /* [PMR]: ratio_a_p = score_a_p / score_v_p, no epsilon */
    asgml_pmr_coefficients(st->paper, st->alpha, rho, beta, ub);
    total = 0.0;                 /* CE(z) is the loop's */
    for (int m = 0; m < 2; m++) {
        w_pce[m] = in_window ? beta[m] : 0.0;
        /* PER: modality m's entropy weighted by the other modality's coefficient */
        w_ent[m] = per_on ? -st->per_mu * ub[1 - m] : 0.0;
        total += w_pce[m] * pce[m] + w_ent[m] * ent[m];
    }
    for (int m = 0; m < 2; m++) {
        float *dev;
        double dq, dp, de;
        if ((w_pce[m] == 0.0 && w_ent[m] == 0.0) || !s->encoder_active[m])
            continue;
        CK(be->ops->to_host(be, st->feat, asgml_model_features(s->model, m),
                            (size_t)B * D * sizeof(float)));
        memset(st->grad, 0, (size_t)B * D * sizeof(float));
        asgml_pmr_signals(B, st->C, D, st->feat, st->proto[m], s->labels, w_pce[m], w_ent[m],
                          &dq, &dp, &de, st->grad);
        if (!(dev = asgml_step_feature_grad(s, m)))
            return ASGML_ERR(ASGML_ENOMEM, "pmr: no feature-gradient buffer");
        CK(be->ops->to_device(be, dev, st->grad, (size_t)B * D * sizeof(float)));
    }
    for (int m = 0; m < 2; m++) {
        asgml_log_num(s->log, asgml_method_key(key, sizeof key, "pmr.q", s, m), q[m]);
        asgml_log_num(s->log, asgml_method_key(key, sizeof key, "pmr.beta", s, m), beta[m]);
        asgml_log_num(s->log, asgml_method_key(key, sizeof key, "pmr.pce", s, m), pce[m]);
    }
    asgml_log_num(s->log, "pmr.rho", rho);
    asgml_log_num(s->log, "pmr.per", -(w_ent[0] * ent[0] + w_ent[1] * ent[1]));
    asgml_log_int(s->log, "pmr.in_window", in_window);
    asgml_log_num(s->log, "pmr.extra_loss", total);
    return ASGML_OK;
}

static asgml_status pmr_save(void *state, asgml_state_io *io)
{
    pmr_state *st = state;
    double hdr[2] = { st->have, st->D };
    int64_t n = (int64_t)st->C * st->D;
    double *v = malloc((size_t)(n > 0 ? n : 1) * sizeof *v);
    asgml_status rc;
    if (!v)
        return ASGML_ERR(ASGML_ENOMEM, "out of memory");
    rc = asgml_state_put(io, "pmr.header", hdr, 2);
    for (int m = 0; m < 2 && rc == ASGML_OK; m++) {
        for (int64_t i = 0; i < n; i++)
            v[i] = st->proto[m][i];
        rc = asgml_state_put(io, m ? "pmr.proto.1" : "pmr.proto.0", v, n);
    }
    free(v);
    return rc;
}

static asgml_status pmr_load(void *state, asgml_state_io *io)
{
    pmr_state *st = state;
    double hdr[2];
    int64_t n;
    double *v;
    asgml_status rc;
    CK(asgml_state_get(io, "pmr.header", hdr, 2));
    if ((int)hdr[1] != st->D || !st->feat) {     /* bind to the saved D */
        st->D = (int)hdr[1];
        for (int m = 0; m < 2; m++) {
            free(st->proto[m]);
            free(st->sum[m]);
            st->proto[m] = calloc((size_t)st->C * st->D, sizeof(float));
            st->sum[m] = calloc((size_t)st->C * st->D, sizeof(double));
            if (!st->proto[m] || !st->sum[m])
                return ASGML_ERR(ASGML_ENOMEM, "out of memory");
        }
        free(st->feat);
        free(st->grad);
        st->feat = malloc((size_t)st->max_batch * st->D * sizeof(float));
        st->grad = malloc((size_t)st->max_batch * st->D * sizeof(float));
        if (!st->feat || !st->grad)
            return ASGML_ERR(ASGML_ENOMEM, "out of memory");
    }
    st->have = (int)hdr[0];
    n = (int64_t)st->C * st->D;
    if (!(v = malloc((size_t)(n > 0 ? n : 1) * sizeof *v)))
        return ASGML_ERR(ASGML_ENOMEM, "out of memory");
    rc = ASGML_OK;
    for (int m = 0; m < 2 && rc == ASGML_OK; m++) {
        rc = asgml_state_get(io, m ? "pmr.proto.1" : "pmr.proto.0", v, n);
        for (int64_t i = 0; i < n && rc == ASGML_OK; i++)
            st->proto[m][i] = (float)v[i];
    }
    free(v);
    return rc;
}

const asgml_method_ops asgml_method_pmr = {
    .name = "pmr",
    .summary = "prototypical modal rebalance: prototype CE on the weaker encoder (Fan et al. "
               "CVPR 2023)",
    .needs = 0,
    .h2_rank = 0,
    .create = pmr_create,
    .destroy = pmr_destroy,
    .epoch_begin = pmr_epoch_begin,
    .before_backward = pmr_before_backward,
    .save = pmr_save,
    .load = pmr_load,
};
