/* SPDX-License-Identifier: MIT */
/* method_arl.c - asymmetric representation learning (asgml-methods(7), ARL;
 * Wei et al., ICCV 2025, Eq. 4, 17-22; shicaiwei123/ICCV2025-ARL
 * main_arl_variance.py train_epoch, models/backbone.py GradScale,
 * models/fusion_modules.py ConcatFusion_AUXI).
 *
 * Model: one concat head; u_m (B, C) by the `zero` provider (the head on
 * [0;..;f_m;..;0], full bias, as ConcatFusion_AUXI).
 * H1: L = CE(z) + gamma_e sum_m CE(u_m), gamma_e = gamma if e > e_s else 1
 *     (uni_weight[m] = gamma_e; e 0-based).
 * H2 (values only, from p = softmax(u_m) in double):
 *   paper:  Hbar_m = mean_i sum_c -p log(p + 1e-16), q_m = 1 / Hbar_m,
 *           d_m = sum_i p_i[y_i], [a_1, a_2] = softmax(T q_1/q_2, T d_1/d_2)
 *   code:   (released script) qt_m = 1 / max(Hbar_m / sum_j Hbar_j, 0.3)
 *           normalised to sum 1, dt_m = sum_c mean_i |u_m[i,c]| normalised
 *           to sum 1, a = softmax(T [dt_2 qt_1, dt_1 qt_2]); only when
 *           e > e_s and the last evaluated acc_1 + acc_2 != 0, else 0.5 and
 *           gamma_e = 1 (the script's else branch)
 *   fixed:  a_m = 0.5 (what the released GradScale applies)
 *   N > 2 (any variant but fixed): raw_m = T qt_m mean_{j != m} dt_j,
 *           a = softmax(raw) (the AsynchronousFunction train_epoch_arl
 *           generalisation).
 *   For e > e_s every encoder-m gradient *= (1 + a_m) (GradScale on the
 *   encoder output scales every encoder parameter gradient alike).  Then,
 *   every step as the released script, the global gradient norm is clipped
 *   to arl.clip (torch.nn.utils.clip_grad_norm_; 0 = off).
 *
 * Config: arl.T 8, arl.gamma 4, arl.es 5, arl.weights paper|code|fixed,
 * arl.clip 40.  Log: arl.H.<m>, arl.q.<m>, arl.d.<m>, arl.a.<m>,
 * arl.gamma_e, arl.clip.norm, arl.clip.fired.  State: the last evaluated
 * unimodal accuracy sum (code variant). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "asgml/hooks.h"
#include "core/error.h"
#include "methods/method_arl.h"
#include "methods/method_helpers.h"

asgml_status asgml_arl_parse_weights(const char *v, asgml_arl_weights *out)
{
    if (strcmp(v, "paper") == 0) *out = ASGML_ARL_PAPER;
    else if (strcmp(v, "code") == 0) *out = ASGML_ARL_CODE;
    else if (strcmp(v, "fixed") == 0) *out = ASGML_ARL_FIXED;
    else
        return asgml_error(ASGML_EINVAL, "arl.weights: '%s' is not one of paper, code, fixed", v);
    return ASGML_OK;
}

static void softmax_n(int n, const double *x, double *y)
{
    double mx = x[0], z = 0.0;
    for (int m = 1; m < n; m++)
        mx = x[m] > mx ? x[m] : mx;
    for (int m = 0; m < n; m++) {
        y[m] = exp(x[m] - mx);
        z += y[m];
    }
    for (int m = 0; m < n; m++)
        y[m] /= z;
}

void asgml_arl_coefficients(asgml_arl_weights w, int n, double T, const double *H,
                            const double *d, const double *absu, double *q, double *a)
{
    double qt[ASGML_MAX_MODALITIES], dt[ASGML_MAX_MODALITIES], raw[ASGML_MAX_MODALITIES];
    double hs = 0.0, as = 0.0, qs = 0.0;

    for (int m = 0; m < n; m++)
        q[m] = 1.0 / H[m];
    if (w == ASGML_ARL_FIXED) {
        for (int m = 0; m < n; m++)
            a[m] = 0.5;
        return;
    }
    if (w == ASGML_ARL_PAPER && n == 2) {
        raw[0] = T * q[0] / q[1];
        raw[1] = T * d[0] / d[1];
        softmax_n(2, raw, a);
        return;
    }
    /* released-code quantities */
    for (int m = 0; m < n; m++) {
        hs += H[m];
        as += absu[m];
    }
    for (int m = 0; m < n; m++) {
        double hn = H[m] / hs;
        qt[m] = 1.0 / (hn > 0.3 ? hn : 0.3);
        qs += qt[m];
        dt[m] = absu[m] / as;
    }
    for (int m = 0; m < n; m++)
        qt[m] /= qs;
    if (n == 2) {
        raw[0] = T * dt[1] * qt[0];
        raw[1] = T * dt[0] * qt[1];
    } else {
        for (int m = 0; m < n; m++) {
            double md = 0.0;
            for (int j = 0; j < n; j++)
                if (j != m)
                    md += dt[j];
            raw[m] = T * qt[m] * md / (n - 1);
        }
    }
    softmax_n(n, raw, a);
}

/* ---- the method -------------------------------------------------------- */

typedef struct arl_state {
    double T, gamma, clip;
    long es;
    asgml_arl_weights weights;
    double acc_sum;             /* last evaluated sum_m acc_m (code variant) */
    int num_classes, max_batch;
    float *host_u;              /* host (max_batch, C) */
} arl_state;

static asgml_status arl_create(asgml_config *cfg, const asgml_model_config *mc, void **state)
{
    arl_state *st;
    const char *w;
    asgml_status rc;

    *state = NULL;
    if (mc->num_modalities < 2)
        return asgml_error(ASGML_EINVAL, "arl: needs at least two modalities (model has %d)",
                           mc->num_modalities);
    st = calloc(1, sizeof *st);
    if (!st)
        return ASGML_ERR(ASGML_ENOMEM, "out of memory");
    if ((rc = asgml_config_get_double(cfg, "arl.T", 8.0, &st->T)) != ASGML_OK ||
        (rc = asgml_config_get_double(cfg, "arl.gamma", 4.0, &st->gamma)) != ASGML_OK ||
        (rc = asgml_config_get_int(cfg, "arl.es", 5, &st->es)) != ASGML_OK ||
        (rc = asgml_config_get_double(cfg, "arl.clip", 40.0, &st->clip)) != ASGML_OK ||
        (rc = asgml_config_get_string(cfg, "arl.weights", "paper", &w)) != ASGML_OK ||
        (rc = asgml_arl_parse_weights(w, &st->weights)) != ASGML_OK) {
        free(st);
        return rc;
    }
    if (!(st->T >= 0.0) || !(st->gamma >= 0.0) || !(st->clip >= 0.0)) {
        free(st);
        return asgml_error(ASGML_EINVAL, "arl.T, arl.gamma and arl.clip must be >= 0");
    }
    st->num_classes = mc->num_classes;
    st->max_batch = mc->max_batch > 0 ? mc->max_batch : 1;
    st->host_u = malloc((size_t)st->max_batch * (size_t)st->num_classes * sizeof(float));
    if (!st->host_u) {
        free(st);
        return ASGML_ERR(ASGML_ENOMEM, "out of memory");
    }
    *state = st;
    return ASGML_OK;
}

static void arl_destroy(void *state)
{
    arl_state *st = state;
    if (!st)
        return;
    free(st->host_u);
    free(st);
}

/* modulation on in this epoch (the released script's condition) */
static int arl_active(const arl_state *st, const asgml_step *s)
{
    if (s->epoch <= st->es)
        return 0;
    return st->weights != ASGML_ARL_CODE || st->acc_sum != 0.0;
}

static asgml_status arl_before_backward(void *state, asgml_step *s)
{
    arl_state *st = state;
    double ge = arl_active(st, s) ? st->gamma : 1.0;
    for (int m = 0; m < s->num_modalities; m++)
        s->uni_weight[m] = (float)ge;
    asgml_log_num(s->log, "arl.gamma_e", ge);
    return ASGML_OK;
}

static asgml_status arl_modulate(void *state, asgml_step *s)
{
    arl_state *st = state;
    asgml_backend *be = s->be;
    int B = s->batch_size, C = s->num_classes, N = s->num_modalities;
    double H[ASGML_MAX_MODALITIES], d[ASGML_MAX_MODALITIES], absu[ASGML_MAX_MODALITIES];
    double q[ASGML_MAX_MODALITIES], a[ASGML_MAX_MODALITIES];
    double *p;
    char key[96];

    if (B > st->max_batch || C != st->num_classes)
        return asgml_error(ASGML_EINVAL, "arl: batch %d x %d classes exceeds %d x %d", B, C,
                           st->max_batch, st->num_classes);
    p = malloc((size_t)C * sizeof *p);
    if (!p)
        return ASGML_ERR(ASGML_ENOMEM, "out of memory");
    for (int m = 0; m < N; m++) {
        const float *u = asgml_model_unimodal_logits(s->model, m);
        asgml_status rc;
        if (!u) {
            free(p);
            return asgml_error(ASGML_EINVAL, "arl: the model has no unimodal logits "
                               "(model.uni=zero)");
        }
        rc = be->ops->to_host(be, st->host_u, u, (size_t)B * (size_t)C * sizeof(float));
        if (rc != ASGML_OK) {
            free(p);
            return rc;
        }
        double hsum = 0.0, dsum = 0.0, asum = 0.0;
        for (int i = 0; i < B; i++) {
            const float *ui = st->host_u + (size_t)i * (size_t)C;
            double mx = ui[0], z = 0.0, h = 0.0;
            for (int c = 1; c < C; c++)
                mx = ui[c] > mx ? ui[c] : mx;
            for (int c = 0; c < C; c++) {
                p[c] = exp((double)ui[c] - mx);
                z += p[c];
                asum += fabs((double)ui[c]);
            }
            for (int c = 0; c < C; c++) {
                p[c] /= z;
                h -= p[c] * log(p[c] + 1e-16);
            }
            hsum += h;
            dsum += p[s->labels[i]];
        }
        H[m] = hsum / B;
        d[m] = dsum;
        absu[m] = asum / B;      /* sum_c mean_i |u_m[i,c]| */
    }
    free(p);

    int active = arl_active(st, s);
    if (st->weights == ASGML_ARL_CODE && !active)
        for (int m = 0; m < N; m++) {  /* the script's else branch: 0.5, q as computed */
            q[m] = 1.0 / H[m];
            a[m] = 0.5;
        }
    else
        asgml_arl_coefficients(st->weights, N, st->T, H, d, absu, q, a);
    for (int m = 0; m < N; m++) {
        asgml_log_num(s->log, asgml_method_key(key, sizeof key, "arl.H", s, m), H[m]);
        asgml_log_num(s->log, asgml_method_key(key, sizeof key, "arl.q", s, m), q[m]);
        asgml_log_num(s->log, asgml_method_key(key, sizeof key, "arl.d", s, m), d[m]);
        asgml_log_num(s->log, asgml_method_key(key, sizeof key, "arl.a", s, m), a[m]);
    }
    if (s->epoch > st->es)
        for (int m = 0; m < N; m++)
            if (s->encoder_active[m])
                CK(asgml_model_scale_group_grad(s->model, m, (float)(1.0 + a[m])));
    if (st->clip > 0.0) {
        double norm;
        int fired;
        CK(asgml_model_clip_grad_norm(s->model, st->clip, &norm, &fired));
        asgml_log_num(s->log, "arl.clip.norm", norm);
        asgml_log_int(s->log, "arl.clip.fired", fired);
    }
    return ASGML_OK;
}

static asgml_status arl_epoch_end(void *state, asgml_step *s)
{
    arl_state *st = state;
    double sum = 0.0;
    for (int m = 0; m < s->num_modalities; m++) {
        double acc = isfinite(s->val_acc_uni[m]) ? s->val_acc_uni[m] : s->test_acc_uni[m];
        sum += isfinite(acc) ? acc : 0.0;
    }
    st->acc_sum = sum;
    return ASGML_OK;
}

static asgml_status arl_save(void *state, asgml_state_io *io)
{
    arl_state *st = state;
    return asgml_state_put(io, "arl.acc_sum", &st->acc_sum, 1);
}

static asgml_status arl_load(void *state, asgml_state_io *io)
{
    arl_state *st = state;
    return asgml_state_get(io, "arl.acc_sum", &st->acc_sum, 1);
}

const asgml_method_ops asgml_method_arl = {
    .name = "arl",
    .summary = "ARL: + gamma sum CE(u_m) (zero provider), encoder grads x (1 + a_m), clip 40",
    .needs = ASGML_NEEDS_UNI_ZERO,
    .h2_rank = 40,
    .create = arl_create,
    .destroy = arl_destroy,
    .before_backward = arl_before_backward,
    .modulate = arl_modulate,
    .epoch_end = arl_epoch_end,
    .save = arl_save,
    .load = arl_load,
};
