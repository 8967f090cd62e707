/* SPDX-License-Identifier: MIT */
/* method_inforeg.c - information-acquisition regulation in the prime
 * learning window (asgml-methods(7), INFOREG; Huang et al., "Adaptive
 * Unimodal Regulation for Balanced Multimodal Information Acquisition",
 * CVPR 2025, Eq. 7-16, Alg. 1; official code GeWu-Lab/InfoReg_CVPR2025
 * main.py train_epoch; replay VuVoCodes/AsynchronousFunction
 * scripts/train.py train_epoch_inforeg).
 *
 * Model: unimodal logits u_m (B, C) of the `split` provider (or heads).
 * H5 epoch_begin(e): anchor theta_m^s <- theta_m (asgml_model_snapshot of
 *     encoder group m, cnt_m floats); for e >= 2
 *     PLW_m = [(Tr_m(e-1) - Tr_m(e-2)) / Tr_m(e-1) > K], false when
 *     Tr_m(e-1) <= 1e-10; no PLW in epochs 0 and 1.
 * H2 modulate (after the loop's backward of the task loss):
 *     s_m = batch mean of -log p(u_m)[y] (double, log-sum-exp);
 *     Delta_m = mean over {j : s_j > s_m} of (s_j - s_m) (0 if none);
 *     for PLW_m and Delta_m > 0: g_m += alpha_m (theta_m - theta_m^s),
 *     alpha_m = exp(beta tanh(Delta_m)) -- the gradient of
 *     (alpha_m / 2) ||theta_m - theta_m^s||^2 (paper Eq. 12, 16).
 * H4 after_step: Tr_m(e) accumulates ||grad_theta_m L_task||^2, the loop's
 *     pre-H2 norm (s->grad_norm_pre), so the regulation term is not in it.
 * H5 epoch_end: Tr_m(e) = mean over the epoch's steps; history shifts.
 *
 * Variant asgml-ref ([AF] train_epoch_inforeg): s_m = mean -log(p + 1e-8);
 * only the lowest-score modality d is regulated, Delta_d = mean_{j != d}
 * s_j - s_d, alpha = beta Delta_d, regulation also in epochs 0 and 1 (its
 * 1-based epochs 1-2); Tr_m includes the regulation gradient (measured
 * after it is added); the loss adds gamma CE(u_m) of unimodal heads
 * (model.uni=heads, model.uni-gamma 1), which this variant requires.
 *
 * Config: inforeg.beta 0.9, inforeg.K 0.04, inforeg.variant
 * paper|asgml-ref.  Log per step: inforeg.s.<m>, inforeg.delta.<m>,
 * inforeg.alpha.<m> (applied strength, 0 = not regulated), inforeg.plw.<m>,
 * inforeg.dist.<m> = ||theta_m - theta_m^s|| before the step; per epoch:
 * inforeg.trace.<m>, inforeg.rate.<m> (the PLW test value used in this
 * epoch, NaN before epoch 2), inforeg.plw.<m>, inforeg.reg_frac.<m>
 * (share of the epoch's steps that were regulated).
 * State: the last two epoch traces and the running sums of the epoch.
 * The anchor is retaken at every epoch start and checkpoints are written
 * at epoch ends, so it is not part of the state. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "asgml/hooks.h"
#include "core/error.h"
#include "methods/method_helpers.h"
#include "methods/method_inforeg.h"

enum { NM = ASGML_MAX_MODALITIES };

asgml_status asgml_inforeg_parse_variant(const char *v, asgml_inforeg_variant *out)
{
    if (strcmp(v, "paper") == 0) *out = ASGML_INFOREG_PAPER;
    else if (strcmp(v, "asgml-ref") == 0) *out = ASGML_INFOREG_ASGML_REF;
    else
        return asgml_error(ASGML_EINVAL, "inforeg.variant: '%s' is not one of paper, asgml-ref",
                           v);
    return ASGML_OK;
}

int asgml_inforeg_plw(double tr1, double tr2, double K, double *rate)
{
    if (!(tr1 > 1e-10)) {
        *rate = NAN;
        return 0;
    }
    *rate = (tr1 - tr2) / tr1;
    return *rate > K;
}

int asgml_inforeg_gaps(asgml_inforeg_variant v, int n, const double *s, double *delta)
{
    int d = 0;
    for (int m = 1; m < n; m++)
        if (s[m] < s[d])
            d = m;
    for (int m = 0; m < n; m++) {
        double sum = 0.0;
        int cnt = 0;
        delta[m] = 0.0;
        if (v == ASGML_INFOREG_ASGML_REF) {
            if (m != d || n < 2)
                continue;
            for (int j = 0; j < n; j++)
                if (j != d)
                    sum += s[j];
            delta[m] = sum / (n - 1) - s[d];
            continue;
        }
        for (int j = 0; j < n; j++)
            if (s[j] > s[m]) {
                sum += s[j] - s[m];
                cnt++;
            }
        delta[m] = cnt ? sum / cnt : 0.0;
    }
    return d;
}

double asgml_inforeg_alpha(asgml_inforeg_variant v, double beta, double delta)
{
    return v == ASGML_INFOREG_ASGML_REF ? beta * delta : exp(beta * tanh(delta));
}

/* ---- the method -------------------------------------------------------- */

typedef struct inforeg_state {
    double beta, K;
    asgml_inforeg_variant variant;
    int n, num_classes, max_batch;
    /* Fisher traces: epochs hist_e[0] = newest, hist_e[1] (-1 = none) */
    int hist_e[2];
    double hist[2][NM];
    double acc[NM], acc_reg[NM];    /* sums over this epoch's steps */
    double acc_steps;
    double step_tr[NM];             /* this step's contribution (H2 -> H4) */
    int step_reg[NM];
    int plw[NM];
    double rate[NM];
    int plw_epoch;                  /* epoch the PLW flags belong to (-1 none) */
    /* anchor theta_m^s: snapshots of encoder group m (backend memory) */
    asgml_model *model;
    float *snap[NM];
    float *diff;                    /* backend scratch (max cnt_m) */
    int64_t diff_cap;
    asgml_backend *be;
    float *host_u;                  /* host (max_batch, C) */
} inforeg_state;

static void inforeg_free_snaps(inforeg_state *st)
{
    for (int m = 0; m < NM; m++)
        if (st->snap[m]) {
            asgml_model_snapshot_free(st->model, st->snap[m]);
            st->snap[m] = NULL;
        }
}

static void inforeg_destroy(void *state)
{
    inforeg_state *st = state;
    if (!st)
        return;
    inforeg_free_snaps(st);
    if (st->diff)
        st->be->ops->free(st->be, st->diff);
    free(st->host_u);
    free(st);
}

static asgml_status inforeg_create(asgml_config *cfg, const asgml_model_config *mc, void **state)
{
    inforeg_state *st;
    const char *v;
    asgml_status rc;

    *state = NULL;
    if (mc->num_modalities < 2)
        return asgml_error(ASGML_EINVAL, "inforeg: needs at least two modalities (model has %d)",
                           mc->num_modalities);
    st = calloc(1, sizeof *st);
    if (!st)
        return ASGML_ERR(ASGML_ENOMEM, "out of memory");
    if ((rc = asgml_config_get_double(cfg, "inforeg.beta", 0.9, &st->beta)) != ASGML_OK ||
        (rc = asgml_config_get_double(cfg, "inforeg.K", 0.04, &st->K)) != ASGML_OK ||
        (rc = asgml_config_get_string(cfg, "inforeg.variant", "paper", &v)) != ASGML_OK ||
        (rc = asgml_inforeg_parse_variant(v, &st->variant)) != ASGML_OK) {
        free(st);
        return rc;
    }
    if (!(st->beta >= 0.0) || !isfinite(st->beta))
        rc = asgml_error(ASGML_EINVAL, "inforeg.beta: %g is not a finite value >= 0", st->beta);
    else if (!isfinite(st->K))
        rc = asgml_error(ASGML_EINVAL, "inforeg.K: %g is not finite", st->K);
    else if (st->variant == ASGML_INFOREG_ASGML_REF && mc->uni != ASGML_UNI_HEADS)
        rc = asgml_error(ASGML_EINVAL, "inforeg.variant: asgml-ref trains unimodal heads "
                         "(set model.uni=heads)");
    if (rc != ASGML_OK) {
        free(st);
        return rc;
    }
    st->n = mc->num_modalities;
    st->num_classes = mc->num_classes;
    st->max_batch = mc->max_batch > 0 ? mc->max_batch : 1;
    st->hist_e[0] = st->hist_e[1] = -1;
    st->plw_epoch = -1;
    st->host_u = malloc((size_t)st->max_batch * (size_t)st->num_classes * sizeof(float));
    if (!st->host_u) {
        free(st);
        return ASGML_ERR(ASGML_ENOMEM, "out of memory");
    }
    *state = st;
    return ASGML_OK;
}

/* PLW flags of epoch e from the trace history */
static void inforeg_decide(inforeg_state *st, int e)
{
    int have = e >= 2 && st->hist_e[0] == e - 1 && st->hist_e[1] == e - 2;
    for (int m = 0; m < st->n; m++) {
        st->rate[m] = NAN;
        st->plw[m] = have ? asgml_inforeg_plw(st->hist[0][m], st->hist[1][m], st->K,
                                              &st->rate[m]) : 0;
    }
    st->plw_epoch = e;
}

static asgml_status inforeg_epoch_begin(void *state, asgml_step *s)
{
    inforeg_state *st = state;
    int64_t off, cnt, cap = 0;

    if (st->model && st->model != s->model)
        return asgml_error(ASGML_EINVAL, "inforeg: the state belongs to another model");
    inforeg_free_snaps(st);
    st->model = s->model;
    st->be = s->be;
    for (int m = 0; m < st->n; m++) {
        CK(asgml_model_snapshot(s->model, m, &st->snap[m]));
        asgml_model_group_span(s->model, m, &off, &cnt);
        cap = cnt > cap ? cnt : cap;
    }
    if (cap > st->diff_cap) {
        void *p = NULL;
        if (st->diff)
            st->be->ops->free(st->be, st->diff);
        st->diff = NULL;
        CK(st->be->ops->alloc(st->be, (size_t)cap * sizeof(float), &p));
        st->diff = p;
        st->diff_cap = cap;
    }
    for (int m = 0; m < st->n; m++)
        st->acc[m] = st->acc_reg[m] = 0.0;
    st->acc_steps = 0.0;
    inforeg_decide(st, s->epoch);
    return ASGML_OK;
}

/* s_m from u_m (host copy), batch mean in double */
static asgml_status inforeg_scores(inforeg_state *st, asgml_step *s, double *score)
{
    int B = s->batch_size, C = s->num_classes;
    if (B > st->max_batch || C != st->num_classes)
        return asgml_error(ASGML_EINVAL, "inforeg: batch %d x %d classes exceeds %d x %d", B, C,
                           st->max_batch, st->num_classes);
    for (int m = 0; m < st->n; m++) {
        const float *u = asgml_model_unimodal_logits(s->model, m);
        double sum = 0.0;
        if (!u)
            return asgml_error(ASGML_EINVAL, "inforeg: the model has no unimodal logits");
        CK(s->be->ops->to_host(s->be, st->host_u, u, (size_t)B * (size_t)C * sizeof(float)));
        for (int i = 0; i < B; i++) {
            const float *ui = st->host_u + (size_t)i * (size_t)C;
            double mx = ui[0], z = 0.0;
            for (int c = 1; c < C; c++)
                mx = ui[c] > mx ? ui[c] : mx;
            for (int c = 0; c < C; c++)
                z += exp((double)ui[c] - mx);
            if (st->variant == ASGML_INFOREG_ASGML_REF)   /* -log(p + 1e-8) as [AF] */
                sum -= log(exp((double)ui[s->labels[i]] - mx) / z + 1e-8);
            else
                sum += log(z) + mx - (double)ui[s->labels[i]];
        }
        score[m] = sum / B;
    }
    return ASGML_OK;
}

static asgml_status inforeg_modulate(void *state, asgml_step *s)
{
    inforeg_state *st = state;
    asgml_backend *be = s->be;
    float *grads = asgml_model_grads(s->model), *params = asgml_model_params(s->model);
    double score[NM] = { 0 }, delta[NM] = { 0 };
    int ref = st->variant == ASGML_INFOREG_ASGML_REF, d;
    char key[96];

    if (!st->snap[0] || st->model != s->model || st->plw_epoch != s->epoch)
        return asgml_error(ASGML_EINVAL, "inforeg: no anchor for epoch %d (epoch_begin did "
                           "not run)", s->epoch);
    CK(inforeg_scores(st, s, score));
    d = asgml_inforeg_gaps(st->variant, st->n, score, delta);
    for (int m = 0; m < st->n; m++) {
        int64_t off, cnt;
        double dist2 = 0.0, alpha = 0.0, g2 = 0.0;
        int window = ref ? (m == d && (st->plw[m] || s->epoch <= 1)) : st->plw[m];
        int reg = window && delta[m] > 0.0 && s->encoder_active[m];

        asgml_model_group_span(s->model, m, &off, &cnt);
        /* diff (cnt) = theta_m - theta_m^s */
        CK(be->ops->copy(be, cnt, params + off, st->diff));
        CK(be->ops->axpy(be, cnt, -1.0f, st->snap[m], st->diff));
        CK(be->ops->sumsq(be, cnt, st->diff, &dist2));
        if (reg) {
            alpha = asgml_inforeg_alpha(st->variant, st->beta, delta[m]);
            CK(be->ops->axpy(be, cnt, (float)alpha, st->diff, grads + off));
        }
        if (ref)   /* [AF]: the trace sees the regulated gradient */
            CK(be->ops->sumsq(be, cnt, grads + off, &g2));
        else
            g2 = s->grad_norm_pre[m] * s->grad_norm_pre[m];
        st->step_tr[m] = g2;
        st->step_reg[m] = reg;
        asgml_log_num(s->log, asgml_method_key(key, sizeof key, "inforeg.s", s, m), score[m]);
        asgml_log_num(s->log, asgml_method_key(key, sizeof key, "inforeg.delta", s, m), delta[m]);
        asgml_log_num(s->log, asgml_method_key(key, sizeof key, "inforeg.alpha", s, m), alpha);
        asgml_log_int(s->log, asgml_method_key(key, sizeof key, "inforeg.plw", s, m), st->plw[m]);
        asgml_log_num(s->log, asgml_method_key(key, sizeof key, "inforeg.dist", s, m),
                      sqrt(dist2));
    }
    return ASGML_OK;
}

static asgml_status inforeg_after_step(void *state, asgml_step *s)
{
    inforeg_state *st = state;
    (void)s;
    for (int m = 0; m < st->n; m++) {
        st->acc[m] += st->step_tr[m];
        st->acc_reg[m] += st->step_reg[m];
    }
    st->acc_steps += 1.0;
    return ASGML_OK;
}

static asgml_status inforeg_epoch_end(void *state, asgml_step *s)
{
    inforeg_state *st = state;
    double steps = st->acc_steps > 0 ? st->acc_steps : 1.0;
    char key[96];

    st->hist_e[1] = st->hist_e[0];
    st->hist_e[0] = s->epoch;
    for (int m = 0; m < st->n; m++) {
        st->hist[1][m] = st->hist[0][m];
        st->hist[0][m] = st->acc[m] / steps;
        asgml_log_num(s->log, asgml_method_key(key, sizeof key, "inforeg.trace", s, m),
                      st->hist[0][m]);
        asgml_log_num(s->log, asgml_method_key(key, sizeof key, "inforeg.rate", s, m),
                      st->rate[m]);
        asgml_log_int(s->log, asgml_method_key(key, sizeof key, "inforeg.plw", s, m), st->plw[m]);
        asgml_log_num(s->log, asgml_method_key(key, sizeof key, "inforeg.reg_frac", s, m),
                      st->acc_reg[m] / steps);
        st->acc[m] = st->acc_reg[m] = 0.0;
    }
    st->acc_steps = 0.0;
    return ASGML_OK;
}

/* "inforeg.hist": hist_e[0], hist_e[1], hist[0][0..n), hist[1][0..n);
 * "inforeg.acc": acc_steps, acc[0..n), acc_reg[0..n). */
static asgml_status inforeg_save(void *state, asgml_state_io *io)
{
    inforeg_state *st = state;
    double h[2 + 2 * NM], a[1 + 2 * NM];
    int n = st->n;
    h[0] = st->hist_e[0];
    h[1] = st->hist_e[1];
    a[0] = st->acc_steps;
    for (int m = 0; m < n; m++) {
        h[2 + m] = st->hist[0][m];
        h[2 + n + m] = st->hist[1][m];
        a[1 + m] = st->acc[m];
        a[1 + n + m] = st->acc_reg[m];
    }
    CK(asgml_state_put(io, "inforeg.hist", h, 2 + 2 * n));
    return asgml_state_put(io, "inforeg.acc", a, 1 + 2 * n);
}

static asgml_status inforeg_load(void *state, asgml_state_io *io)
{
    inforeg_state *st = state;
    double h[2 + 2 * NM], a[1 + 2 * NM];
    int n = st->n;
    CK(asgml_state_get(io, "inforeg.hist", h, 2 + 2 * n));
    CK(asgml_state_get(io, "inforeg.acc", a, 1 + 2 * n));
    st->hist_e[0] = (int)h[0];
    st->hist_e[1] = (int)h[1];
    st->acc_steps = a[0];
    for (int m = 0; m < n; m++) {
        st->hist[0][m] = h[2 + m];
        st->hist[1][m] = h[2 + n + m];
        st->acc[m] = a[1 + m];
        st->acc_reg[m] = a[1 + n + m];
    }
    st->plw_epoch = -1;
    return ASGML_OK;
}

const asgml_method_ops asgml_method_inforeg = {
    .name = "inforeg",
    .summary = "InfoReg: in the prime learning window, g_m += alpha_m (theta_m - theta_m at "
               "epoch start)",
    .needs = ASGML_NEEDS_UNI_SPLIT,
    .h2_rank = 50,
    .create = inforeg_create,
    .destroy = inforeg_destroy,
    .epoch_begin = inforeg_epoch_begin,
    .modulate = inforeg_modulate,
    .after_step = inforeg_after_step,
    .epoch_end = inforeg_epoch_end,
    .save = inforeg_save,
    .load = inforeg_load,
};
