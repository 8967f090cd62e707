/* SPDX-License-Identifier: MIT */
/* method_ogm_ge.c - on-the-fly gradient modulation with generalisation
 * enhancement (asgml-methods(7), OGM-GE; Peng et al. CVPR 2022; [OGM] main.py L82-150).
 *
 * Every step (H2, values only): u_m (B, C) from the model's unimodal
 * provider (split by default), s_m = sum_i softmax(u_m,i)[y_i] (batch SUM),
 * ratios rho_m and coefficients k_m (asgml_ogm_coefficients).  Inside the
 * window start <= e <= end (0-based, inclusive), for every encoder-m
 * gradient tensor that is 4-D (official, tpami) or has >= 2 dims (bmm,
 * asgml-ref) of a touched modality:
 *     sigma = std(g) + 1e-8   (unbiased, before scaling)
 *     g <- k_m g + N(0, sigma^2)   (GE; "ogm-ge.noise" = 0: g <- k_m g)
 * The noise comes from be->ops->gaussian_noise(seed = run seed, offset =
 * *s->noise_offset), tensors in parameter order, modality 0 first; the
 * offset advances by ceil(numel/2) per tensor (two Gaussians per block).
 *
 * Config: ogm-ge.alpha 0.8, ogm-ge.start 0, ogm-ge.end 50, ogm-ge.noise 1,
 * ogm-ge.variant official|bmm|asgml-ref|tpami.
 * Log: ogm.s.<m>, ogm.rho.<m>, ogm.k.<m>, ogm.in_window, ogm.sigma.<m>
 * (mean sigma over the modulated tensors, in the window with noise). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "methods/method_helpers.h"
#include "methods/method_ogm_ge.h"


/* ---- coefficients (method_ogm_ge.h) ------------------------------------ */

asgml_status asgml_ogm_parse_variant(const char *v, asgml_ogm_variant *out)
{
    if (strcmp(v, "official") == 0) *out = ASGML_OGM_OFFICIAL;
    else if (strcmp(v, "bmm") == 0) *out = ASGML_OGM_BMM;
    else if (strcmp(v, "asgml-ref") == 0) *out = ASGML_OGM_ASGML_REF;
    else if (strcmp(v, "tpami") == 0) *out = ASGML_OGM_TPAMI;
    else
        return asgml_error(ASGML_EINVAL,
                           "ogm-ge.variant: '%s' is not one of official, bmm, asgml-ref, tpami", v);
    return ASGML_OK;
}

void asgml_ogm_coefficients(asgml_ogm_variant variant, int n, const double *s, double alpha,
                            double *rho, double *k, int *touched)
{
    int throttle[ASGML_MAX_MODALITIES];

    /* ratios */
    if (variant == ASGML_OGM_ASGML_REF) {
        /* [AF]: 1e-8 in the denominators; N = 2 pairwise, N > 2 vs the mean */
        double mean = 0.0;
        for (int m = 0; m < n; m++)
            mean += s[m];
        mean /= n;
        for (int m = 0; m < n; m++)
            rho[m] = n == 2 ? s[m] / (s[1 - m] + 1e-8) : s[m] / (mean + 1e-8);
    } else if (variant == ASGML_OGM_BMM && n > 2) {
        double lo = s[0];
        for (int m = 1; m < n; m++)
            lo = s[m] < lo ? s[m] : lo;
        for (int m = 0; m < n; m++)
            rho[m] = s[m] / (lo + 1e-5);
    } else if (n == 2) {
        rho[1] = s[1] / s[0];        /* no epsilon (official) */
        rho[0] = 1.0 / rho[1];
    } else {
        /* N-modality extension: rho_m = mean_{j != m} s_m / s_j */
        for (int m = 0; m < n; m++) {
            double acc = 0.0;
            for (int j = 0; j < n; j++)
                if (j != m)
                    acc += s[m] / s[j];
            rho[m] = acc / (n - 1);
        }
    }

    /* who is throttled */
    if (n == 2 && (variant == ASGML_OGM_OFFICIAL || variant == ASGML_OGM_BMM)) {
        /* rho_2 > 1 throttles modality 2, otherwise modality 1 (a tie too) */
        throttle[1] = rho[1] > 1.0;
        throttle[0] = !throttle[1];
    } else {
        for (int m = 0; m < n; m++)
            throttle[m] = rho[m] > 1.0;
    }

    for (int m = 0; m < n; m++) {
        double km = 1.0;
        if (throttle[m]) {
            if (variant == ASGML_OGM_TPAMI) {
                km = 1.0 - alpha * tanh(rho[m] - 1.0);
                km = km < 0.0 ? 0.0 : km;
            } else {
                km = 1.0 - tanh(alpha * rho[m]);
                if (variant == ASGML_OGM_BMM && km < 0.0)
                    km = 0.0;
            }
        }
        k[m] = km;
        touched[m] = variant == ASGML_OGM_ASGML_REF ? throttle[m] : 1;
    }
}

/* ---- the method -------------------------------------------------------- */

typedef struct ogm_state {
    double alpha;
    long start, end;
    int noise;
    asgml_ogm_variant variant;
    int num_classes, max_batch;
    asgml_backend *be;          /* bound at the first hook */
    float *probs;               /* backend (max_batch, C) */
    float *host_probs;          /* host (max_batch, C) */
} ogm_state;

static asgml_status ogm_create(asgml_config *cfg, const asgml_model_config *mc, void **state)
{
    ogm_state *st;
    const char *variant;
    asgml_status rc;

    *state = NULL;
    if (mc->num_modalities < 2)
        return asgml_error(ASGML_EINVAL, "ogm-ge: needs at least two modalities (model has %d)",
                           mc->num_modalities);
    st = calloc(1, sizeof *st);
    if (!st)
        return ASGML_ERR(ASGML_ENOMEM, "out of memory");
    if ((rc = asgml_config_get_double(cfg, "ogm-ge.alpha", 0.8, &st->alpha)) != ASGML_OK ||
        (rc = asgml_config_get_int(cfg, "ogm-ge.start", 0, &st->start)) != ASGML_OK ||
        (rc = asgml_config_get_int(cfg, "ogm-ge.end", 50, &st->end)) != ASGML_OK ||
        (rc = asgml_config_get_bool(cfg, "ogm-ge.noise", 1, &st->noise)) != ASGML_OK ||
        (rc = asgml_config_get_string(cfg, "ogm-ge.variant", "official", &variant)) != ASGML_OK ||
        (rc = asgml_ogm_parse_variant(variant, &st->variant)) != ASGML_OK) {
        free(st);
        return rc;
    }
    if (!(st->alpha >= 0.0)) {
        double alpha = st->alpha;
        free(st);
        return asgml_error(ASGML_EINVAL, "ogm-ge.alpha: %g is not >= 0", alpha);
    }
    st->num_classes = mc->num_classes;
    st->max_batch = mc->max_batch > 0 ? mc->max_batch : 1;
    *state = st;
    return ASGML_OK;
}

static void ogm_destroy(void *state)
{
    ogm_state *st = state;
    if (!st)
        return;
    if (st->be && st->probs)
        st->be->ops->free(st->be, st->probs);
    free(st->host_probs);
    free(st);
}

static asgml_status ogm_bind(ogm_state *st, asgml_step *s)
{
    void *ptr = NULL;
    size_t n = (size_t)st->max_batch * (size_t)st->num_classes;

    if (st->be)
        return ASGML_OK;
    CK(s->be->ops->alloc(s->be, n * sizeof(float), &ptr));
    st->be = s->be;
    st->probs = ptr;
    st->host_probs = malloc(n * sizeof(float));
    if (!st->host_probs)
        return ASGML_ERR(ASGML_ENOMEM, "out of memory");
    return ASGML_OK;
}

/* s_m = sum_i p(u_m,i)[y_i] for every modality (double accumulation). */
static asgml_status ogm_scores(ogm_state *st, asgml_step *s, double *score)
{
    asgml_backend *be = s->be;
    int B = s->batch_size, C = s->num_classes;
    double loss_sum;

    if (B > st->max_batch || C != st->num_classes)
        return asgml_error(ASGML_EINVAL, "ogm-ge: batch %d x %d classes exceeds %d x %d", B, C,
                           st->max_batch, st->num_classes);
    for (int m = 0; m < s->num_modalities; m++) {
        const float *u = asgml_model_unimodal_logits(s->model, m);
        if (!u)
            return asgml_error(ASGML_EINVAL, "ogm-ge: the model has no unimodal logits "
                               "(configure a split, heads or zero provider)");
        CK(be->ops->softmax_ce(be, B, C, u, s->labels_dev, 0.0f, st->probs, NULL, NULL,
                               &loss_sum));
        CK(be->ops->to_host(be, st->host_probs, st->probs, (size_t)B * (size_t)C * sizeof(float)));
        double acc = 0.0;
        for (int i = 0; i < B; i++)
            acc += st->host_probs[(size_t)i * (size_t)C + (size_t)s->labels[i]];
        score[m] = acc;
    }
    return ASGML_OK;
}

static asgml_status ogm_modulate(void *state, asgml_step *s)
{
    ogm_state *st = state;
    asgml_backend *be = s->be;
    double score[ASGML_MAX_MODALITIES], rho[ASGML_MAX_MODALITIES], k[ASGML_MAX_MODALITIES];
    int touched[ASGML_MAX_MODALITIES];
    int N = s->num_modalities, in_window, nviews;
    char key[96];

    CK(ogm_bind(st, s));
    CK(ogm_scores(st, s, score));
    asgml_ogm_coefficients(st->variant, N, score, st->alpha, rho, k, touched);
    in_window = s->epoch >= st->start && s->epoch <= st->end;
    for (int m = 0; m < N; m++) {
        asgml_log_num(s->log, asgml_method_key(key, sizeof key, "ogm.s", s, m), score[m]);
        asgml_log_num(s->log, asgml_method_key(key, sizeof key, "ogm.rho", s, m), rho[m]);
        asgml_log_num(s->log, asgml_method_key(key, sizeof key, "ogm.k", s, m), k[m]);
    }
    asgml_log_int(s->log, "ogm.in_window", in_window);
    if (!in_window)
        return ASGML_OK;

    const asgml_param_view *views = asgml_model_param_views(s->model, &nviews);
    float *grads = asgml_model_grads(s->model);
    int min_ndim_variant = st->variant == ASGML_OGM_BMM || st->variant == ASGML_OGM_ASGML_REF;
    for (int m = 0; m < N; m++) {
        double sigma_sum = 0.0;
        int tensors = 0;
        if (!touched[m] || !s->encoder_active[m])
            continue;
        for (int v = 0; v < nviews; v++) {
            const asgml_param_view *pv = &views[v];
            if (pv->group != m)
                continue;
            if (min_ndim_variant ? pv->ndim < 2 : !(pv->is_conv || pv->ndim == 4))
                continue;
            float *g = grads + pv->offset;
            if (st->noise) {
                double mean, sd;
                CK(be->ops->mean_std(be, pv->numel, g, &mean, &sd));
                double sigma = sd + 1e-8;
                if (k[m] != 1.0)
                    CK(be->ops->scale(be, pv->numel, (float)k[m], g));
                CK(be->ops->gaussian_noise(be, pv->numel, (float)sigma, s->seed,
                                           *s->noise_offset, g));
                *s->noise_offset += (uint64_t)(pv->numel + 1) / 2;
                sigma_sum += sigma;
                tensors++;
            } else if (k[m] != 1.0) {
                CK(be->ops->scale(be, pv->numel, (float)k[m], g));
            }
        }
        if (tensors > 0)
            asgml_log_num(s->log, asgml_method_key(key, sizeof key, "ogm.sigma", s, m),
                          sigma_sum / tensors);
    }
    return ASGML_OK;
}

/* ogm-ge.variant=asgml-ref reads u_m from separate heads trained with
 * gamma_u = 1 ([AF] scripts/train.py apply_ogm_ge; methods.md 2.1): the
 * heads provider, chosen by model.uni=auto without the user setting it. */
static asgml_status ogm_config_needs(asgml_config *cfg, unsigned *needs)
{
    const char *v;
    asgml_ogm_variant variant;
    CK(asgml_config_get_string(cfg, "ogm-ge.variant", "official", &v));
    CK(asgml_ogm_parse_variant(v, &variant));
    if (variant == ASGML_OGM_ASGML_REF) *needs |= ASGML_NEEDS_UNI_HEADS;
    return ASGML_OK;
}

/* No save/load: stateless between steps (the noise counter belongs to the
 * loop). */
const asgml_method_ops asgml_method_ogm_ge = {
    .name = "ogm-ge",
    .summary = "OGM-GE: throttle the dominant encoder by 1 - tanh(alpha rho), add GE noise",
    .needs = ASGML_NEEDS_UNI_SPLIT,
    .h2_rank = 10,
    .create = ogm_create,
    .destroy = ogm_destroy,
    .modulate = ogm_modulate,
    .config_needs = ogm_config_needs,
};
