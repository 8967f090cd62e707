/* SPDX-License-Identifier: MIT */
/* probe_set.c - one decoupled probe per modality and the EMA of its
 * accuracy (probe_set.h). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "methods/probe_set.h"
#include "asgml/hooks.h"
#include "asgml/probe_eval.h"
#include "data/decode.h"


static char *keyf(char *buf, size_t size, const char *a, const char *b)
{
    snprintf(buf, size, "%s.%s", a, b);
    return buf;
}

asgml_status asgml_probe_set_config(asgml_probe_set *ps, asgml_config *cfg, const char *prefix,
                                    const asgml_model_config *mc, uint64_t tag)
{
    char key[96];
    const char *type;

    memset(ps, 0, sizeof *ps);
    ps->n = mc->num_modalities;
    ps->in_dim = mc->feature_dim;
    ps->num_classes = mc->num_classes;
    ps->max_batch = mc->max_batch > 2 ? mc->max_batch : 2;
    ps->tag = tag;
    CK(asgml_config_get_string(cfg, keyf(key, sizeof key, prefix, "probe-type"), "linear", &type));
    if (strcmp(type, "linear") == 0)
        ps->kind = ASGML_PROBE_LINEAR;
    else if (strcmp(type, "mlp_1layer") == 0 || strcmp(type, "mlp") == 0)
        ps->kind = ASGML_PROBE_MLP;
    else
        return asgml_error(ASGML_EINVAL, "%s: '%s' is not one of linear, mlp_1layer", key, type);
    CK(asgml_config_get_double(cfg, keyf(key, sizeof key, prefix, "probe-lr"), 1e-3, &ps->lr));
    CK(asgml_config_get_double(cfg, keyf(key, sizeof key, prefix, "probe-ema"), 0.1,
                               &ps->ema_alpha));
    CK(asgml_config_get_bool(cfg, keyf(key, sizeof key, prefix, "split-batch"), 1, &ps->split));
    snprintf(ps->prefix, sizeof ps->prefix, "%s", prefix);
    if (!(ps->lr > 0) || !(ps->ema_alpha >= 0 && ps->ema_alpha <= 1))
        return asgml_error(ASGML_EINVAL, "%s.probe-lr / probe-ema out of range (%g, %g)", prefix,
                           ps->lr, ps->ema_alpha);
    return ASGML_OK;
}

void asgml_probe_set_free(asgml_probe_set *ps)
{
    for (int m = 0; m < ASGML_MAX_MODALITIES; m++) {
        asgml_probe_free(ps->p[m]);
        ps->p[m] = NULL;
        free(ps->pending[m]);
        ps->pending[m] = NULL;
    }
}

asgml_status asgml_probe_set_bind(asgml_probe_set *ps, asgml_step *s)
{
    asgml_backend *be = s->be;

    for (int m = 0; m < ps->n; m++) {
        asgml_splitmix r;
        if (ps->p[m])
            continue;
        asgml_splitmix_init(&r, s->seed, ps->tag + (uint64_t)m);
        CK(asgml_probe_create(be, ps->kind, ps->in_dim, ps->num_classes, ps->max_batch,
                              asgml_splitmix_next(&r), ps->lr, &ps->p[m]));
        if (ps->pending[m]) {
            int64_t n = asgml_probe_state_size(ps->p[m]);
            CK(be->ops->to_device(be, asgml_probe_state(ps->p[m]), ps->pending[m],
                                  (size_t)n * sizeof(float)));
            *asgml_probe_step_count(ps->p[m]) = (int64_t)ps->pending_meta[m][0];
            *asgml_probe_dropout_offset(ps->p[m]) = (uint64_t)ps->pending_meta[m][1];
            free(ps->pending[m]);
            ps->pending[m] = NULL;
        }
    }
    return ASGML_OK;
}

asgml_status asgml_probe_set_run(asgml_probe_set *ps, asgml_step *s, int steps)
{
    if (s->batch_size < 2)
        return ASGML_OK;   /* nothing to split: no probe step */
    CK(asgml_probe_set_bind(ps, s));
    for (int m = 0; m < ps->n; m++) {
        const float *f = asgml_model_features(s->model, m);   /* (B, D), read only */
        if (!f)
            return ASGML_ERR(ASGML_EINTERNAL, "no features of modality %d", m);
        if (ps->split) {
            CK(asgml_probe_split_step(ps->p[m], f, s->labels_dev, s->labels, s->batch_size,
                                      steps, &ps->acc[m], &ps->loss[m]));
        } else {   /* v2 section 8 ablation "without split-batch": same rows */
            CK(asgml_probe_train(ps->p[m], f, s->labels_dev, s->batch_size, steps, &ps->loss[m]));
            CK(asgml_probe_accuracy(ps->p[m], f, s->labels, s->batch_size, &ps->acc[m]));
        }
        ps->ema[m] = ps->ema_alpha * ps->acc[m] + (1.0 - ps->ema_alpha) * ps->ema[m];
    }
    if (!ps->split) {
        char key[64];
        asgml_log_int(s->log, keyf(key, sizeof key, ps->prefix, "probe.rows"), s->batch_size);
    }
    ps->evals++;
    return ASGML_OK;
}

asgml_status asgml_probe_set_eval_part(asgml_probe_set *ps, asgml_step *s, const char *part,
                                       double *acc)
{
    asgml_feature_set fs;
    asgml_backend *be = s->be;
    float *dev = NULL;
    asgml_status st;

    memset(&fs, 0, sizeof fs);
    CK(asgml_probe_set_bind(ps, s));
    CK(asgml_step_features(s, part, 0, &fs));
    st = be->ops->alloc(be, (size_t)ps->max_batch * (size_t)ps->in_dim * sizeof(float),
                        (void **)&dev);
    for (int m = 0; st == ASGML_OK && m < ps->n; m++) {
        double correct = 0.0;
        for (int64_t i = 0; st == ASGML_OK && i < fs.n; i += ps->max_batch) {
            int rows = (int)(fs.n - i < ps->max_batch ? fs.n - i : ps->max_batch);
            double a = 0.0;
            st = be->ops->to_device(be, dev, fs.x[m] + (size_t)i * (size_t)ps->in_dim,
                                    (size_t)rows * (size_t)ps->in_dim * sizeof(float));
            if (st == ASGML_OK)
                st = asgml_probe_accuracy(ps->p[m], dev, fs.labels + i, rows, &a);
            correct += nearbyint(a * rows);   /* a = k / rows: k correct rows */
        }
        acc[m] = fs.n > 0 ? correct / (double)fs.n : 0.0;
        if (st == ASGML_OK && fs.n > 0)
            ps->ema[m] = ps->ema_alpha * acc[m] + (1.0 - ps->ema_alpha) * ps->ema[m];
    }
    if (dev) be->ops->free(be, dev);
    asgml_feature_set_free(&fs);
    return st;
}

asgml_status asgml_probe_set_save(asgml_probe_set *ps, asgml_state_io *io, const char *prefix)
{
    char key[128];
    double meta[3] = { 0.0, (double)ps->evals, 0.0 };
    int bound = ps->n > 0 && ps->p[0] != NULL;
    int pending = ps->n > 0 && ps->pending[0] != NULL;

    meta[0] = bound || pending;
    CK(asgml_state_put(io, keyf(key, sizeof key, prefix, "probe.meta"), meta, 3));
    CK(asgml_state_put(io, keyf(key, sizeof key, prefix, "probe.ema"), ps->ema, ps->n));
    CK(asgml_state_put(io, keyf(key, sizeof key, prefix, "probe.acc"), ps->acc, ps->n));
    if (!bound && !pending)
        return ASGML_OK;
    int64_t size = asgml_probe_state_size_for(ps->kind, ps->in_dim, ps->num_classes);
    float *host = malloc((size_t)size * sizeof(float));
    double *dbl = malloc((size_t)size * sizeof(double));
    asgml_status st = ASGML_OK;
    if (!host || !dbl)
        st = ASGML_ERR(ASGML_ENOMEM, "out of memory");
    for (int m = 0; st == ASGML_OK && m < ps->n; m++) {
        double pm[2];
        char name[64];
        if (ps->p[m]) {
            st = asgml_probe_state_to_host(ps->p[m], host);
            pm[0] = (double)*asgml_probe_step_count(ps->p[m]);
            pm[1] = (double)*asgml_probe_dropout_offset(ps->p[m]);
        } else {
            memcpy(host, ps->pending[m], (size_t)size * sizeof(float));
            pm[0] = ps->pending_meta[m][0];
            pm[1] = ps->pending_meta[m][1];
        }
        if (st != ASGML_OK)
            break;
        for (int64_t i = 0; i < size; i++)
            dbl[i] = host[i];
        snprintf(name, sizeof name, "probe%d.state", m);
        st = asgml_state_put(io, keyf(key, sizeof key, prefix, name), dbl, size);
        if (st != ASGML_OK)
            break;
        snprintf(name, sizeof name, "probe%d.steps", m);
        st = asgml_state_put(io, keyf(key, sizeof key, prefix, name), pm, 2);
    }
    free(host);
    free(dbl);
    return st;
}

asgml_status asgml_probe_set_load(asgml_probe_set *ps, asgml_state_io *io, const char *prefix)
{
    char key[128];
    double meta[3];

    CK(asgml_state_get(io, keyf(key, sizeof key, prefix, "probe.meta"), meta, 3));
    CK(asgml_state_get(io, keyf(key, sizeof key, prefix, "probe.ema"), ps->ema, ps->n));
    CK(asgml_state_get(io, keyf(key, sizeof key, prefix, "probe.acc"), ps->acc, ps->n));
    ps->evals = (int64_t)meta[1];
    if (meta[0] == 0.0)
        return ASGML_OK;
    int64_t size = asgml_probe_state_size_for(ps->kind, ps->in_dim, ps->num_classes);
    double *dbl = malloc((size_t)size * sizeof(double));
    asgml_status st = dbl ? ASGML_OK : ASGML_ERR(ASGML_ENOMEM, "out of memory");
    for (int m = 0; st == ASGML_OK && m < ps->n; m++) {
        char name[64];
        double pm[2];
        snprintf(name, sizeof name, "probe%d.state", m);
        if ((st = asgml_state_get(io, keyf(key, sizeof key, prefix, name), dbl, size)) != ASGML_OK)
            break;
        snprintf(name, sizeof name, "probe%d.steps", m);
        if ((st = asgml_state_get(io, keyf(key, sizeof key, prefix, name), pm, 2)) != ASGML_OK)
            break;
        free(ps->pending[m]);
        ps->pending[m] = malloc((size_t)size * sizeof(float));
        if (!ps->pending[m]) {
            st = ASGML_ERR(ASGML_ENOMEM, "out of memory");
            break;
        }
        for (int64_t i = 0; i < size; i++)
            ps->pending[m][i] = (float)dbl[i];
        ps->pending_meta[m][0] = pm[0];
        ps->pending_meta[m][1] = pm[1];
        /* existing probes are replaced at the next bind */
        asgml_probe_free(ps->p[m]);
        ps->p[m] = NULL;
    }
    free(dbl);
    return st;
}
