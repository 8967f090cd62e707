/* SPDX-License-Identifier: MIT */
/* method_gblend.c - online Gradient-Blending (asgml-methods(7), GBLEND;
 * Wang, Tran and Feiszli, "What Makes Training Multi-modal Classification
 * Networks Hard?", CVPR 2020, §3 Eq. 5-7, Algorithms 1 and 3; the only code
 * in the sources is GeWu-Lab/BalanceBenchmark
 * balancemm/trainer/GBlending_trainer.py, variant "bmm").
 *
 * Heads k = 0 (fused z, (B, C)) and k = 1 + m (u_m, (B, C), model.uni=heads).
 * H1 (every step): L = w_0 CE(z) + sum_m w_{1+m} CE(u_m)
 *   (fused_weight = w_0, uni_weight[m] = w_{1+m}).
 * H5 (epoch_begin of e when e % every == 0; every = 0: e = 0 only): for each
 *   head k a copy of the model and optimiser (asgml_step_copy_create; every
 *   copy of one estimation has the order/dropout stream e, so all heads see
 *   the same batches) is trained for n epochs at the current lr on
 *   CE(head k) alone (asgml_copy_train_epochs), and
 *   paper: L^T = mean CE of head k on the training samples, L^V on the
 *          validation split (ASGML_NEEDS_VAL), inference mode, before the
 *          trial (the main model = every copy before training) and after it;
 *   bmm:   unimodal branch m = the fused head with every other modality's
 *          input zeroed (asgml_copy_set_zero_input); L^T = the sum over the
 *          batches of the running training loss of the first and of the last
 *          trial epoch, L^V = the sum over validation batches of batch-mean
 *          CE after those epochs (n >= 2).
 *   Then asgml_gblend_weights: G, O, OGR, w (method_gblend.h).
 * The trial runs inside one epoch_begin call and checkpoints are written
 * only after whole epochs, so no copy is ever saved: a run interrupted during
 * a trial resumes from the end of the epoch before it and re-runs the trial,
 * bit-identically (its inputs are the checkpointed model and optimiser, the
 * run seed and e).  The weights in use are saved.
 *
 * Config: gblend.variant paper|bmm, gblend.epochs (n) 10, gblend.every 10,
 * gblend.eps 1e-12.  Log, step records: gblend.w.<k> (k = fused, modality
 * names); epoch records of an estimation: gblend.estimated, gblend.extra_epochs
 * and per head gblend.{w,G,O,OGR,LT0,LV0,LT1,LV1}.<k>. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "asgml/hooks.h"
#include "core/error.h"
#include "methods/method_gblend.h"

#define GB_MAXK (ASGML_MAX_MODALITIES + 1)

int asgml_gblend_weights(int K, const double *lt0, const double *lv0, const double *lt1,
                         const double *lv1, double eps, double *G, double *O, double *ogr,
                         double *w)
{
    double raw[GB_MAXK], sum = 0.0;
    for (int k = 0; k < K; k++) {
        G[k] = lv0[k] - lv1[k];
        O[k] = (lv1[k] - lt1[k]) - (lv0[k] - lt0[k]);
        ogr[k] = fabs(O[k] / G[k]);
        raw[k] = fabs(G[k]) / (O[k] * O[k] + eps);
        sum += raw[k];
    }
    if (!(sum > 0.0) || !isfinite(sum))
        return -1;
    for (int k = 0; k < K; k++)
        w[k] = raw[k] / sum;
    return 0;
}

typedef struct gblend_state {
    int bmm, K;
    long n, every;
    double eps;
    int have;                                  /* weights estimated at least once */
    double w[GB_MAXK];
    /* the estimation of the current epoch, for its epoch record */
    int estimated;
    double lt0[GB_MAXK], lv0[GB_MAXK], lt1[GB_MAXK], lv1[GB_MAXK];
    double G[GB_MAXK], O[GB_MAXK], ogr[GB_MAXK];
} gblend_state;

static void gblend_destroy(void *state) { free(state); }

static asgml_status gblend_create(asgml_config *cfg, const asgml_model_config *mc, void **state)
{
    gblend_state *st;
    const char *variant;
    asgml_status rc;
    *state = NULL;
    if (!(st = calloc(1, sizeof *st)))
        return ASGML_ERR(ASGML_ENOMEM, "out of memory");
    st->K = mc->num_modalities + 1;
    if ((rc = asgml_config_get_string(cfg, "gblend.variant", "paper", &variant)) != ASGML_OK ||
        (rc = asgml_config_get_int(cfg, "gblend.epochs", 10, &st->n)) != ASGML_OK ||
        (rc = asgml_config_get_int(cfg, "gblend.every", 10, &st->every)) != ASGML_OK ||
        (rc = asgml_config_get_double(cfg, "gblend.eps", 1e-12, &st->eps)) != ASGML_OK) {
        free(st);
        return rc;
    }
    if (strcmp(variant, "paper") == 0) st->bmm = 0;
    else if (strcmp(variant, "bmm") == 0) st->bmm = 1;
    else rc = asgml_error(ASGML_EINVAL, "gblend.variant: '%s' is not one of paper, bmm", variant);
    if (rc == ASGML_OK && st->n < 1 + st->bmm)
        rc = asgml_error(ASGML_EINVAL, "gblend.epochs: %ld is not >= %d%s", st->n, 1 + st->bmm,
                         st->bmm ? " (bmm measures after the first and the last epoch)" : "");
    if (rc == ASGML_OK && st->every < 0)
        rc = asgml_error(ASGML_EINVAL, "gblend.every: %ld is not >= 0 (0 = once, before "
                         "epoch 0)", st->every);
    if (rc == ASGML_OK && !(st->eps >= 0.0 && isfinite(st->eps)))
        rc = asgml_error(ASGML_EINVAL, "gblend.eps: %g is not a finite value >= 0", st->eps);
    if (rc == ASGML_OK && mc->num_modalities + 1 > GB_MAXK)
        rc = asgml_error(ASGML_EINVAL, "gblend: too many modalities");
    if (rc != ASGML_OK) {
        free(st);
        return rc;
    }
    for (int k = 0; k < st->K; k++)     /* replaced before the first step */
        st->w[k] = 1.0 / st->K;
    *state = st;
    return ASGML_OK;
}

static const char *head_name(const asgml_step *s, int k)
{
    return k == 0 ? "fused" : s->modality_names[k - 1];
}

/* One head's trial: paper variant (before-losses given, after-losses out). */
static asgml_status trial_paper(gblend_state *st, asgml_step *s, int k, double *lt1,
                                double *lv1)
{
    asgml_copy *c = NULL;
    float uw[ASGML_MAX_MODALITIES] = { 0 };
    double lt[GB_MAXK], lv[GB_MAXK];
    asgml_status rc;
    if (k > 0)
        uw[k - 1] = 1.0f;
    rc = asgml_step_copy_create(s, (uint64_t)s->epoch, &c);
    if (rc == ASGML_OK)
        rc = asgml_copy_train_epochs(c, (int)st->n, k == 0 ? 1.0f : 0.0f, uw);
    if (rc == ASGML_OK)
        rc = asgml_copy_evaluate(c, "train", lt, NULL, NULL);
    if (rc == ASGML_OK)
        rc = asgml_copy_evaluate(c, "val", lv, NULL, NULL);
    asgml_copy_free(c);
    *lt1 = lt[k];
    *lv1 = lv[k];
    return rc;
}

/* bmm: the fused head, other inputs zeroed for k > 0; sums over batches after
 * the first and the last of the n epochs. */
static asgml_status trial_bmm(gblend_state *st, asgml_step *s, int k, double *lt0, double *lv0,
                              double *lt1, double *lv1)
{
    asgml_copy *c = NULL;
    int zero[ASGML_MAX_MODALITIES] = { 0 };
    double sums[GB_MAXK];
    asgml_status rc;
    for (int m = 0; m < s->num_modalities; m++)
        zero[m] = k > 0 && m != k - 1;
    rc = asgml_step_copy_create(s, (uint64_t)s->epoch, &c);
    if (rc == ASGML_OK)
        rc = asgml_copy_set_zero_input(c, zero);
    if (rc == ASGML_OK)
        rc = asgml_copy_train_epochs(c, 1, 1.0f, NULL);
    if (rc == ASGML_OK) {
        *lt0 = asgml_copy_last_epoch_loss(c, NULL);
        rc = asgml_copy_evaluate(c, "val", NULL, sums, NULL);
        *lv0 = sums[0];
    }
    if (rc == ASGML_OK)
        rc = asgml_copy_train_epochs(c, (int)st->n - 1, 1.0f, NULL);
    if (rc == ASGML_OK) {
        *lt1 = asgml_copy_last_epoch_loss(c, NULL);
        rc = asgml_copy_evaluate(c, "val", NULL, sums, NULL);
        *lv1 = sums[0];
    }
    asgml_copy_free(c);
    return rc;
}

static asgml_status gblend_estimate(gblend_state *st, asgml_step *s)
{
    double w[GB_MAXK];
    if (!st->bmm) {     /* before the trial every copy equals the main model */
        asgml_copy *c0 = NULL;
        asgml_status rc = asgml_step_copy_create(s, (uint64_t)s->epoch, &c0);
        if (rc == ASGML_OK)
            rc = asgml_copy_evaluate(c0, "train", st->lt0, NULL, NULL);
        if (rc == ASGML_OK)
            rc = asgml_copy_evaluate(c0, "val", st->lv0, NULL, NULL);
        asgml_copy_free(c0);
        CK(rc);
    }
    for (int k = 0; k < st->K; k++) {
        if (st->bmm)
            CK(trial_bmm(st, s, k, &st->lt0[k], &st->lv0[k], &st->lt1[k], &st->lv1[k]));
        else
            CK(trial_paper(st, s, k, &st->lt1[k], &st->lv1[k]));
    }
    if (asgml_gblend_weights(st->K, st->lt0, st->lv0, st->lt1, st->lv1, st->eps, st->G, st->O,
                             st->ogr, w) != 0)
        return asgml_error(ASGML_EINVAL, "gblend: no weights at epoch %d: sum_k |G_k| / "
                           "(O_k^2 + eps) is 0 or not finite", s->epoch);
    memcpy(st->w, w, sizeof w);
    st->have = 1;
    st->estimated = 1;
    return ASGML_OK;
}

static asgml_status gblend_epoch_begin(void *state, asgml_step *s)
{
    gblend_state *st = state;
    int due = st->every > 0 ? s->epoch % st->every == 0 : s->epoch == 0;
    st->estimated = 0;
    if (due || !st->have)
        CK(gblend_estimate(st, s));
    return ASGML_OK;
}

static void log_weights(const gblend_state *st, asgml_step *s)
{
    char key[96];
    for (int k = 0; k < st->K; k++) {
        snprintf(key, sizeof key, "gblend.w.%s", head_name(s, k));
        asgml_log_num(s->log, key, st->w[k]);
    }
}

static asgml_status gblend_before_backward(void *state, asgml_step *s)
{
    gblend_state *st = state;
    s->fused_weight = (float)st->w[0];
    for (int m = 0; m < s->num_modalities; m++)
        s->uni_weight[m] = (float)st->w[1 + m];
    log_weights(st, s);
    return ASGML_OK;
}

/* the estimation of this epoch (if any) into the epoch record */
static asgml_status gblend_epoch_end(void *state, asgml_step *s)
{
    gblend_state *st = state;
    static const char *const names[] = { "G", "O", "OGR", "LT0", "LV0", "LT1", "LV1" };
    char key[96];
    log_weights(st, s);
    asgml_log_int(s->log, "gblend.estimated", st->estimated);
    if (!st->estimated)
        return ASGML_OK;
    asgml_log_int(s->log, "gblend.extra_epochs", (long)st->K * st->n);
    for (int k = 0; k < st->K; k++) {
        const double v[7] = { st->G[k], st->O[k], st->ogr[k], st->lt0[k], st->lv0[k],
                              st->lt1[k], st->lv1[k] };
        for (int i = 0; i < 7; i++) {
            snprintf(key, sizeof key, "gblend.%s.%s", names[i], head_name(s, k));
            asgml_log_num(s->log, key, v[i]);
        }
    }
    return ASGML_OK;
}

static asgml_status gblend_save(void *state, asgml_state_io *io)
{
    gblend_state *st = state;
    double v[GB_MAXK + 2];
    v[0] = st->have;
    v[1] = st->K;
    memcpy(v + 2, st->w, (size_t)st->K * sizeof(double));
    return asgml_state_put(io, "gblend.weights", v, st->K + 2);
}

static asgml_status gblend_load(void *state, asgml_state_io *io)
{
    gblend_state *st = state;
    double v[GB_MAXK + 2];
    CK(asgml_state_get(io, "gblend.weights", v, st->K + 2));
    if ((int)v[1] != st->K)
        return asgml_error(ASGML_EFORMAT, "gblend: checkpoint has %d heads, the model %d",
                           (int)v[1], st->K);
    st->have = (int)v[0];
    memcpy(st->w, v + 2, (size_t)st->K * sizeof(double));
    return ASGML_OK;
}

const asgml_method_ops asgml_method_gblend = {
    .name = "gblend",
    .summary = "gradient blending: loss weights w_k ~ |G_k|/O_k^2 from trained copies, "
               "re-estimated every n epochs (Wang et al. CVPR 2020)",
    .needs = ASGML_NEEDS_UNI_HEADS | ASGML_NEEDS_VAL,
    .h2_rank = 0,
    .create = gblend_create,
    .destroy = gblend_destroy,
    .epoch_begin = gblend_epoch_begin,
    .before_backward = gblend_before_backward,
    .epoch_end = gblend_epoch_end,
    .save = gblend_save,
    .load = gblend_load,
};
