/* SPDX-License-Identifier: MIT */
/* method_opm.c - OPM: on-the-fly prediction modulation by feature drop
 * (asgml-methods(7), OPM; Wei et al., "On-the-fly Modulation for Balanced
 * Multimodal Learning", TPAMI 2024, Eq. 6-8; GeWu-Lab/BML_TPAMI2024
 * code/models/Classifier.py calcu_q, Modality_drop, code/main.py).
 *
 * Scores (every step, values only): u_m = W_m f_m + b/N with the head
 * weights detached (the split provider of the main forward, which runs on the
 * UNDROPPED features as in Classifier.forward, where t1/t2 are computed
 * before execute_drop); s_m = sum_i softmax(u_m,i)[y_i] (batch sum).
 * rho_m = mean_{j != m} s_m / s_j; q_m = clip(q_base (1 + lambda tanh(rho_m - 1)), 0, 1)
 * if rho_m > 1 else 0.
 *
 * Drop (H1, only when e > opm.warmup): U ~ U(0,1), executed if U >= 1 - p_exe;
 * mask_m,i ~ Bernoulli(1 - q_m); theta = sum_m D_m q_m / sum_m D_m;
 * f_m <- mask_m f_m / (1 - theta) (backward scaled the same, custom_autograd);
 * samples with every mask 0 are removed; L = CE(z, y) over the K kept
 * samples (step skipped when K = 0, logged as opm.skipped).
 *
 * How (no loop change): the main forward stays undropped, so the split
 * logits there are exactly the official pre-drop scores (training-mode BN,
 * BN running statistics updated once, as in the official single forward)
 * and a composed ogm-ge reads the same undropped s_m.  When the drop is
 * executed, H1 runs the masked pass of the same batch as an extra forward
 * (asgml_step_forward_extra, training-mode BN so f_m is bit-identical to
 * the main forward's; the BN running statistics are saved before and
 * restored after it so they are updated once per step, not twice), takes
 * CE over the kept samples and back-propagates it (asgml_step_backward_extra);
 * the main pass gets fused_weight 0.  Cost: +1 forward per executed step.
 * All-dropped: encoder_active = 0 for every encoder and no gradient from
 * the loss (the fusion layer still takes the optimiser's weight-decay /
 * momentum step; with the weakest modality at q = 0 it cannot happen in
 * normal training, only with forced masks).
 *
 * Random draws: host Philox (asgml_philox_uniform) at seed s->seed, offset
 * *s->noise_offset: index 0 = U, 1 + m B + i = mask draw of (m, i); the
 * offset advances by 1 + N B per executed-or-not drawing step.
 *
 * opm+ogm-ge: OGM-GE official coefficients from the same undropped s_m,
 * applied only when e > warm-up and inside the OGM window (BML main.py);
 * this method moves ogm-ge.start to warm-up + 1 (unless
 * opm.ogm-during-warmup) and defaults ogm-ge.end to 60 (train_ogm.sh).
 * Write the composition "opm+ogm-ge" (opm created first).
 *
 * Config: opm.q-base 0.5, opm.lambda 0.5, opm.p-exe 0.7, opm.warmup 5,
 * opm.ogm-during-warmup 0.
 * Log: opm.s.<m>, opm.rho.<m>, opm.q.<m>, opm.executed, opm.theta, opm.kept,
 * opm.loss (CE over the kept samples, executed steps), opm.skipped. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "asgml/backend.h"
#include "asgml/hooks.h"
#include "core/error.h"
#include "methods/method_helpers.h"
#include "methods/method_opm.h"

enum { OPM_SLOT = 3 };

void asgml_opm_drop_probs(int n, const double *s, double q_base, double lambda, double *rho,
                          double *q)
{
    for (int m = 0; m < n; m++) {
        double acc = 0.0;
        for (int j = 0; j < n; j++)
            if (j != m)
                acc += s[m] / s[j];
        rho[m] = acc / (n - 1);
        if (rho[m] > 1.0) {
            double v = q_base * (1.0 + lambda * tanh(rho[m] - 1.0));
            q[m] = v < 0.0 ? 0.0 : v > 1.0 ? 1.0 : v;
        } else {
            q[m] = 0.0;
        }
    }
}

static const float *forced_masks;
static int forced_n, forced_b, forced_steps, forced_used;

void asgml_opm_force_masks(const float *masks, int n, int batch, int steps)
{
    forced_masks = masks;
    forced_n = n;
    forced_b = batch;
    forced_steps = masks ? steps : 0;
    forced_used = 0;
}

typedef struct opm_state {
    double q_base, lambda, p_exe;
    long warmup;
    int ogm_during_warmup;
    int num_classes, max_batch, dim;
    asgml_backend *be;
    float *probs, *dlogits;     /* backend (max_batch, C) */
    float *bn_save;             /* backend (num buffers) */
    int64_t nbuf;
    float *host_probs, *host_d, *mask_host;
} opm_state;

static asgml_status opm_ogm_window(asgml_config *cfg, long warmup, int during)
{
    const char *method;
    char buf[256], *save = NULL, *tok;
    int composed = 0;
    long start, end;

    CK(asgml_config_get_string(cfg, "method", "opm", &method));
    snprintf(buf, sizeof buf, "%s", method);
    for (tok = strtok_r(buf, "+", &save); tok; tok = strtok_r(NULL, "+", &save))
        composed |= strcmp(tok, "ogm-ge") == 0;
    if (!composed)
        return ASGML_OK;
    /* BML main.py: OGM only after the OPM warm-up; train_ogm.sh: window [0, 60] */
    if (!asgml_config_is_set(cfg, "ogm-ge.end"))
        CK(asgml_config_set(cfg, "ogm-ge.end", "60", "opm"));
    CK(asgml_config_get_int(cfg, "ogm-ge.start", 0, &start));
    CK(asgml_config_get_int(cfg, "ogm-ge.end", 60, &end));
    (void)end;
    if (!during && start <= warmup) {
        snprintf(buf, sizeof buf, "%ld", warmup + 1);
        CK(asgml_config_set(cfg, "ogm-ge.start", buf, "opm"));
    }
    return ASGML_OK;
}

static asgml_status opm_create(asgml_config *cfg, const asgml_model_config *mc, void **state)
{
    opm_state *st;
    asgml_status rc;

    *state = NULL;
    if (mc->num_modalities < 2)
        return asgml_error(ASGML_EINVAL, "opm: needs at least two modalities (model has %d)",
                           mc->num_modalities);
    st = calloc(1, sizeof *st);
    if (!st)
        return ASGML_ERR(ASGML_ENOMEM, "out of memory");
    if ((rc = asgml_config_get_double(cfg, "opm.q-base", 0.5, &st->q_base)) != ASGML_OK ||
        (rc = asgml_config_get_double(cfg, "opm.lambda", 0.5, &st->lambda)) != ASGML_OK ||
        (rc = asgml_config_get_double(cfg, "opm.p-exe", 0.7, &st->p_exe)) != ASGML_OK ||
        (rc = asgml_config_get_int(cfg, "opm.warmup", 5, &st->warmup)) != ASGML_OK ||
        (rc = asgml_config_get_bool(cfg, "opm.ogm-during-warmup", 0, &st->ogm_during_warmup)) !=
            ASGML_OK) {
        free(st);
        return rc;
    }
    if (!(st->q_base >= 0.0 && st->q_base <= 1.0) || !(st->p_exe >= 0.0 && st->p_exe <= 1.0) ||
        !(st->lambda >= 0.0)) {
        free(st);
        return asgml_error(ASGML_EINVAL, "opm: q-base and p-exe must lie in [0, 1], lambda >= 0");
    }
    if ((rc = opm_ogm_window(cfg, st->warmup, st->ogm_during_warmup)) != ASGML_OK) {
        free(st);
        return rc;
    }
    st->num_classes = mc->num_classes;
    st->max_batch = mc->max_batch > 0 ? mc->max_batch : 1;
    st->dim = mc->feature_dim;
    *state = st;
    return ASGML_OK;
}

static void opm_destroy(void *state)
{
    opm_state *st = state;
    if (!st)
        return;
    if (st->be) {
        st->be->ops->free(st->be, st->probs);
        st->be->ops->free(st->be, st->dlogits);
        if (st->bn_save)
            st->be->ops->free(st->be, st->bn_save);
    }
    free(st->host_probs);
    free(st->host_d);
    free(st->mask_host);
    free(st);
}

static asgml_status opm_bind(opm_state *st, asgml_step *s)
{
    size_t n = (size_t)st->max_batch * (size_t)st->num_classes;
    void *p = NULL, *d = NULL, *b = NULL;

    if (st->be)
        return ASGML_OK;
    CK(s->be->ops->alloc(s->be, n * sizeof(float), &p));
    st->be = s->be;
    st->probs = p;
    CK(s->be->ops->alloc(s->be, n * sizeof(float), &d));
    st->dlogits = d;
    st->nbuf = asgml_model_num_buffers(s->model);
    if (st->nbuf > 0) {
        CK(s->be->ops->alloc(s->be, (size_t)st->nbuf * sizeof(float), &b));
        st->bn_save = b;
    }
    st->host_probs = malloc(n * sizeof(float));
    st->host_d = malloc(n * sizeof(float));
    st->mask_host = malloc((size_t)ASGML_MAX_MODALITIES * (size_t)st->max_batch *
                           (size_t)asgml_model_feature_dim(s->model) * sizeof(float));
    if (!st->host_probs || !st->host_d || !st->mask_host)
        return ASGML_ERR(ASGML_ENOMEM, "out of memory");
    return ASGML_OK;
}

/* s_m = sum_i softmax(u_m,i)[y_i] of logits (B, C), double accumulation */
static asgml_status opm_score(opm_state *st, asgml_step *s, const float *u, double *score)
{
    asgml_backend *be = s->be;
    int B = s->batch_size, C = s->num_classes;
    double loss_sum, acc = 0.0;
    CK(be->ops->softmax_ce(be, B, C, u, s->labels_dev, 0.0f, st->probs, NULL, NULL, &loss_sum));
    CK(be->ops->to_host(be, st->host_probs, st->probs, (size_t)B * (size_t)C * sizeof(float)));
    for (int i = 0; i < B; i++)
        acc += st->host_probs[(size_t)i * (size_t)C + (size_t)s->labels[i]];
    *score = acc;
    return ASGML_OK;
}

static asgml_status opm_before_backward(void *state, asgml_step *s)
{
    opm_state *st = state;
    asgml_backend *be = s->be;
    int N = s->num_modalities, B = s->batch_size, C = s->num_classes, D;
    double score[ASGML_MAX_MODALITIES] = { 0 }, rho[ASGML_MAX_MODALITIES], q[ASGML_MAX_MODALITIES];
    double theta = 0.0, loss = 0.0;
    int executed = 0, kept = B;
    char key[96];

    CK(opm_bind(st, s));
    if (B > st->max_batch || C != st->num_classes)
        return asgml_error(ASGML_EINVAL, "opm: batch %d x %d classes exceeds %d x %d", B, C,
                           st->max_batch, st->num_classes);
    for (int m = 0; m < N; m++) {
        const float *u = asgml_model_unimodal_logits(s->model, m);
        if (!u)
            return asgml_error(ASGML_EINVAL, "opm: the model has no unimodal logits "
                               "(configure the split provider)");
        CK(opm_score(st, s, u, &score[m]));
    }
    asgml_opm_drop_probs(N, score, st->q_base, st->lambda, rho, q);
    for (int m = 0; m < N; m++) {
        asgml_log_num(s->log, asgml_method_key(key, sizeof key, "opm.s", s, m), score[m]);
        asgml_log_num(s->log, asgml_method_key(key, sizeof key, "opm.rho", s, m), rho[m]);
        asgml_log_num(s->log, asgml_method_key(key, sizeof key, "opm.q", s, m), q[m]);
    }

    if (s->epoch > st->warmup) {
        const float *forced = NULL;
        if (forced_masks && forced_used < forced_steps && forced_n == N && forced_b >= B)
            forced = forced_masks + (size_t)forced_used * (size_t)N * (size_t)forced_b;
        uint64_t off = *s->noise_offset;
        *s->noise_offset += 1 + (uint64_t)N * (uint64_t)B;
        /* Modality_drop.execute_drop: execute if U >= 1 - p_exe */
        executed = forced ? 1 : asgml_philox_uniform(s->seed, off, 0) >= 1.0 - st->p_exe;
        if (forced)
            forced_used++;
        if (executed) {
            D = asgml_model_feature_dim(s->model);
            for (int m = 0; m < N; m++)
                theta += q[m];          /* every modality has D features */
            theta /= N;
            if (!(theta < 1.0))
                return asgml_error(ASGML_ENUMERIC, "opm: theta = %g (every q_m = 1)", theta);
            int keep[2048];
            int *keepp = B <= 2048 ? keep : malloc((size_t)B * sizeof(int));
            if (!keepp)
                return ASGML_ERR(ASGML_ENOMEM, "out of memory");
            for (int i = 0; i < B; i++)
                keepp[i] = 0;
            for (int m = 0; m < N; m++) {
                float *dev = asgml_step_feature_mask(s, m);
                if (!dev) {
                    if (keepp != keep)
                        free(keepp);
                    return asgml_error(ASGML_ENOMEM, "opm: no feature mask buffer");
                }
                for (int i = 0; i < B; i++) {
                    float mk = forced ? forced[(size_t)m * forced_b + i]
                                      : (float)(asgml_philox_uniform(s->seed, off,
                                                                     1 + (int64_t)m * B + i) <
                                                1.0 - q[m]);
                    keepp[i] |= mk != 0.0f;
                    float v = (float)(mk / (1.0 - theta));
                    for (int d = 0; d < D; d++)
                        st->mask_host[(size_t)i * D + d] = v;
                }
                CK(be->ops->to_device(be, dev, st->mask_host, (size_t)B * D * sizeof(float)));
            }
            kept = 0;
            for (int i = 0; i < B; i++)
                kept += keepp[i];
            /* masked pass: training-mode BN, running statistics restored */
            const float *z;
            if (st->nbuf > 0)
                CK(be->ops->copy(be, st->nbuf, asgml_model_buffers(s->model), st->bn_save));
            CK(asgml_step_forward_extra(s, OPM_SLOT, NULL, 1, &z));
            if (st->nbuf > 0)
                CK(be->ops->copy(be, st->nbuf, st->bn_save, asgml_model_buffers(s->model)));
            s->fused_weight = 0.0f;
            if (kept == 0) {
                for (int m = 0; m < N; m++)
                    s->encoder_active[m] = 0;
                asgml_log_int(s->log, "opm.skipped", 1);
            } else {
                double lsum;
                CK(be->ops->softmax_ce(be, B, C, z, s->labels_dev, 0.0f, st->probs, NULL, NULL,
                                       &lsum));
                CK(be->ops->to_host(be, st->host_probs, st->probs,
                                    (size_t)B * (size_t)C * sizeof(float)));
                for (int i = 0; i < B; i++)
                    for (int c = 0; c < C; c++) {
                        size_t k = (size_t)i * C + c;
                        float p = st->host_probs[k];
                        st->host_d[k] = keepp[i] ? (p - (c == s->labels[i])) / (float)kept : 0.0f;
                        if (keepp[i] && c == s->labels[i])
                            loss -= log((double)p);
                    }
                loss /= kept;
                CK(be->ops->to_device(be, st->dlogits, st->host_d,
                                      (size_t)B * (size_t)C * sizeof(float)));
                CK(asgml_step_backward_extra(s, OPM_SLOT, st->dlogits, NULL));
                asgml_log_num(s->log, "opm.loss", loss);
            }
            if (keepp != keep)
                free(keepp);
        }
    }
    asgml_log_int(s->log, "opm.executed", executed);
    asgml_log_num(s->log, "opm.theta", theta);
    asgml_log_int(s->log, "opm.kept", kept);
    return ASGML_OK;
}

/* No save/load: stateless between steps (the Philox counter belongs to the
 * loop). */
const asgml_method_ops asgml_method_opm = {
    .name = "opm",
    .summary = "OPM: drop the dominant modality's features with prob. q(rho) after warm-up",
    .needs = ASGML_NEEDS_UNI_SPLIT,
    .h2_rank = 5,
    .create = opm_create,
    .destroy = opm_destroy,
    .before_backward = opm_before_backward,
};
