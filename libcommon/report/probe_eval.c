/* SPDX-License-Identifier: MIT */
/* probe_eval.c - offline evaluation of a trained model's encoders: feature
 * extraction, standardised probes, modality removal and exact Shapley
 * contributions (probe_eval.h has the contract). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "core/error.h"
#include "asgml/checkpoint.h"
#include "asgml/config.h"
#include "asgml/method.h"
#include "train/metrics.h"
#include "report/probe_eval.h"
#include "data/loader.h"
#include "report/shapley.h"


void asgml_probe_eval_defaults(asgml_probe_eval_options *o)
{
    memset(o, 0, sizeof *o);
    o->kind = ASGML_PROBE_LINEAR;
    o->steps = 300;
    o->lr = 1e-2;
    o->seed = 0;
    o->standardise = 1;
    o->shapley_max = 4;
    o->batch_size = 64;
    o->scheme = NULL;
}

void asgml_feature_set_free(asgml_feature_set *fs)
{
    if (!fs)
        return;
    for (int m = 0; m < ASGML_MAX_MODALITIES; m++)
        free(fs->x[m]);
    free(fs->labels);
    free(fs->samples);
    memset(fs, 0, sizeof *fs);
}

static void *xmalloc(size_t n) { return malloc(n ? n : 1); }

/* ---- one inference pass ---------------------------------------------------- */

asgml_status asgml_probe_eval_pass(asgml_backend *be, asgml_model *model, asgml_store *store,
                                   const asgml_transform *tf, const char *scheme,
                                   const char *part, int batch_size, asgml_feature_set *fs,
                                   const unsigned *masks, int nmasks, int64_t *correct,
                                   int32_t **pred_full)
{
    const asgml_model_config *mc = asgml_model_get_config(model);
    int nm = mc->num_modalities, C = mc->num_classes, D = asgml_model_feature_dim(model);
    asgml_loader_config lc;
    asgml_loader *ld = NULL;
    float *dev_in[ASGML_MAX_MODALITIES] = {0};
    int64_t per_sample[ASGML_MAX_MODALITIES];
    float *host_logits = NULL;
    int32_t *pred = NULL, *full = NULL;
    int64_t n, row = 0;
    asgml_status st;

    if (fs)
        memset(fs, 0, sizeof *fs);
    if (pred_full)
        *pred_full = NULL;
    for (int k = 0; k < nmasks; k++)
        correct[k] = 0;
    if (batch_size < 1 || batch_size > mc->max_batch)
        return ASGML_ERR(ASGML_EINVAL, "extraction batch %d (model max %d)", batch_size, mc->max_batch);
    memset(&lc, 0, sizeof lc);
    lc.scheme = scheme;
    lc.part = part;
    lc.batch_size = batch_size;
    lc.train = 0;
    lc.drop_last = 0;
    lc.prefetch = 1;
    lc.num_modalities = nm;
    lc.tf = tf;
    CK(asgml_loader_create(store, &lc, &ld));
    n = asgml_loader_num_samples(ld);

    host_logits = xmalloc((size_t)batch_size * (size_t)C * sizeof *host_logits);
    pred = xmalloc((size_t)batch_size * sizeof *pred);
    full = xmalloc((size_t)n * sizeof *full);
    if (!host_logits || !pred || !full) {
        st = ASGML_ERR(ASGML_ENOMEM, "out of memory");
        goto done;
    }
    if (fs) {
        fs->num_modalities = nm;
        fs->dim = D;
        fs->n = n;
        fs->labels = xmalloc((size_t)n * sizeof *fs->labels);
        fs->samples = xmalloc((size_t)n * sizeof *fs->samples);
        if (!fs->labels || !fs->samples) {
            st = ASGML_ERR(ASGML_ENOMEM, "out of memory");
            goto done;
        }
        for (int m = 0; m < nm; m++)
            if (!(fs->x[m] = xmalloc((size_t)n * (size_t)D * sizeof(float)))) {
                st = ASGML_ERR(ASGML_ENOMEM, "out of memory for %lld x %d "
                                 "features", (long long)n, D);
                goto done;
            }
    }
    for (int m = 0; m < nm; m++) {
        void *p = NULL;
        per_sample[m] = asgml_transform_sample_size(&tf[m], store, NULL, NULL, NULL);
        st = be->ops->alloc(be, (size_t)batch_size * (size_t)per_sample[m] * sizeof(float), &p);
        if (st != ASGML_OK)
            goto done;
        dev_in[m] = p;
    }

    if ((st = asgml_loader_start_epoch(ld, 0)) != ASGML_OK)
        goto done;
    for (;;) {
        asgml_batch b;
        int is_done = 0, B;
        const float *inputs[ASGML_MAX_MODALITIES];
        if ((st = asgml_loader_next(ld, &b, &is_done)) != ASGML_OK)
            goto done;
        if (is_done)
            break;
        B = b.size;
        if (row + B > n) {
            st = ASGML_ERR(ASGML_EINTERNAL, "loader served more than %lld "
                             "samples", (long long)n);
            goto done;
        }
        for (int m = 0; m < nm; m++) {
            st = be->ops->to_device(be, dev_in[m], b.x[m],
                                    (size_t)B * (size_t)per_sample[m] * sizeof(float));
            if (st != ASGML_OK)
                goto done;
            inputs[m] = dev_in[m];
        }
        /* all present: features and the full predictions */
        if ((st = asgml_model_forward(model, inputs, B, 0, NULL)) != ASGML_OK)
            goto done;
        if (fs) {
            for (int m = 0; m < nm; m++) {
                st = be->ops->to_host(be, fs->x[m] + (size_t)row * (size_t)D,
                                      asgml_model_features(model, m),
                                      (size_t)B * (size_t)D * sizeof(float));
                if (st != ASGML_OK)
                    goto done;
            }
            memcpy(fs->labels + row, b.labels, (size_t)B * sizeof *b.labels);
            memcpy(fs->samples + row, b.samples, (size_t)B * sizeof *b.samples);
        }
        st = be->ops->to_host(be, host_logits, asgml_model_logits(model),
                              (size_t)B * (size_t)C * sizeof(float));
        if (st != ASGML_OK)
            goto done;
        asgml_argmax_rows(host_logits, B, C, full + row);
        /* coalitions: absent modalities' features are zeros */
        for (int k = 0; k < nmasks; k++) {
            int present[ASGML_MAX_MODALITIES];
            const int32_t *pk = full + row;
            unsigned all = (1u << nm) - 1u;
            if ((masks[k] & all) != all) {
                for (int m = 0; m < nm; m++)
                    present[m] = (masks[k] >> m) & 1u;
                if ((st = asgml_model_forward(model, inputs, B, 0, present)) != ASGML_OK ||
                    (st = be->ops->to_host(be, host_logits, asgml_model_logits(model),
                                           (size_t)B * (size_t)C * sizeof(float))) != ASGML_OK)
                    goto done;
                asgml_argmax_rows(host_logits, B, C, pred);
                pk = pred;
            }
            for (int i = 0; i < B; i++)
                correct[k] += pk[i] == b.labels[i];
        }
        row += B;
    }
    if (row != n) {
        st = ASGML_ERR(ASGML_EINTERNAL, "loader served %lld of %lld samples", (long long)row, (long long)n);
        goto done;
    }
    if (pred_full) {
        *pred_full = full;
        full = NULL;
    }
    st = ASGML_OK;
done:
    for (int m = 0; m < nm; m++)
        if (dev_in[m])
            be->ops->free(be, dev_in[m]);
    asgml_loader_free(ld);
    free(host_logits);
    free(pred);
    free(full);
    if (st != ASGML_OK && fs)
        asgml_feature_set_free(fs);
    return st;
}

/* ---- standardisation ------------------------------------------------------- */

asgml_status asgml_standardise_features(float *train, int64_t n_train, float *test,
                                        int64_t n_test, int d)
{
    double *mean, *inv;
    if (n_train < 1 || d < 1)
        return ASGML_ERR(ASGML_EINVAL, "standardise %lld x %d",
                           (long long)n_train, d);
    mean = calloc((size_t)d, sizeof *mean);
    inv = calloc((size_t)d, sizeof *inv);
    if (!mean || !inv) {
        free(mean);
        free(inv);
        return ASGML_ERR(ASGML_ENOMEM, "out of memory");
    }
    for (int64_t i = 0; i < n_train; i++)
        for (int j = 0; j < d; j++)
            mean[j] += train[i * d + j];
    for (int j = 0; j < d; j++)
        mean[j] /= (double)n_train;
    for (int64_t i = 0; i < n_train; i++)
        for (int j = 0; j < d; j++) {
            double e = train[i * d + j] - mean[j];
            inv[j] += e * e;
        }
    for (int j = 0; j < d; j++) {
        double sd = n_train > 1 ? sqrt(inv[j] / (double)(n_train - 1)) : 0.0;
        /* a (numerically) constant dimension is only centred */
        inv[j] = sd > 1e-12 * (1.0 + fabs(mean[j])) ? 1.0 / sd : 1.0;
    }
    for (int64_t i = 0; i < n_train; i++)
        for (int j = 0; j < d; j++)
            train[i * d + j] = (float)((train[i * d + j] - mean[j]) * inv[j]);
    for (int64_t i = 0; i < n_test; i++)
        for (int j = 0; j < d; j++)
            test[i * d + j] = (float)((test[i * d + j] - mean[j]) * inv[j]);
    free(mean);
    free(inv);
    for (int64_t i = 0; i < n_train * d; i++)
        if (!isfinite(train[i]))
            return ASGML_ERR(ASGML_ENUMERIC, "non-finite train feature "
                               "(row %lld, dim %d)", (long long)(i / d), (int)(i % d));
    for (int64_t i = 0; i < n_test * d; i++)
        if (!isfinite(test[i]))
            return ASGML_ERR(ASGML_ENUMERIC, "non-finite test feature "
                               "(row %lld, dim %d)", (long long)(i / d), (int)(i % d));
    return ASGML_OK;
}

/* ---- one probe ------------------------------------------------------------- */

asgml_status asgml_probe_fit_eval(asgml_backend *be, const asgml_probe_eval_options *o,
                                  uint64_t seed, int d, int num_classes,
                                  const float *x_train, const int32_t *y_train, int64_t n_train,
                                  const float *x_test, const int32_t *y_test, int64_t n_test,
                                  asgml_probe_fit *out)
{
    asgml_probe *p = NULL;
    float *x_dev = NULL;
    int32_t *y_dev = NULL, *pred = NULL;
    int64_t nmax = n_train > n_test ? n_train : n_test;
    void *ptr;
    asgml_status st;

    memset(out, 0, sizeof *out);
    if (n_train < 1 || n_test < 1 || nmax > 0x7fffffff || o->steps < 0)
        return ASGML_ERR(ASGML_EINVAL, "probe on %lld train / %lld test rows", (long long)n_train, (long long)n_test);
    st = asgml_probe_create(be, o->kind, d, num_classes, (int)nmax, seed, o->lr, &p);
    if (st != ASGML_OK)
        return st;
    pred = xmalloc((size_t)nmax * sizeof *pred);
    if (!pred) {
        st = ASGML_ERR(ASGML_ENOMEM, "out of memory");
        goto done;
    }
    if ((st = be->ops->alloc(be, (size_t)nmax * (size_t)d * sizeof(float), &ptr)) != ASGML_OK)
        goto done;
    x_dev = ptr;
    if ((st = be->ops->alloc(be, (size_t)n_train * sizeof(int32_t), &ptr)) != ASGML_OK)
        goto done;
    y_dev = ptr;
    if ((st = be->ops->to_device(be, x_dev, x_train, (size_t)n_train * (size_t)d * sizeof(float))) ||
        (st = be->ops->to_device(be, y_dev, y_train, (size_t)n_train * sizeof(int32_t))) ||
        (st = asgml_probe_train(p, x_dev, y_dev, (int)n_train, o->steps, &out->train_loss)) ||
        (st = asgml_probe_predict(p, x_dev, (int)n_train, pred)))
        goto done;
    out->train_acc = asgml_accuracy(pred, y_train, n_train);
    if ((st = be->ops->to_device(be, x_dev, x_test, (size_t)n_test * (size_t)d * sizeof(float))) ||
        (st = asgml_probe_predict(p, x_dev, (int)n_test, pred)))
        goto done;
    out->test_acc = asgml_accuracy(pred, y_test, n_test);
    out->test_f1 = asgml_macro_f1(pred, y_test, n_test, num_classes);
    if (o->steps > 0 && !isfinite(out->train_loss))
        st = ASGML_ERR(ASGML_ENUMERIC, "probe training loss is %g",
                         out->train_loss);
done:
    if (x_dev)
        be->ops->free(be, x_dev);
    if (y_dev)
        be->ops->free(be, y_dev);
    free(pred);
    asgml_probe_free(p);
    return st;
}

/* ---- the whole evaluation of one model --------------------------------------- */

void asgml_probe_eval_result_free(asgml_probe_eval_result *res)
{
    if (!res)
        return;
    asgml_feature_set_free(&res->train);
    asgml_feature_set_free(&res->test);
}

asgml_status asgml_probe_eval_model(asgml_backend *be, asgml_model *model, asgml_store *store,
                                    const asgml_transform *tf,
                                    const asgml_probe_eval_options *o, int keep_features,
                                    asgml_probe_eval_result *res)
{
    const asgml_model_config *mc = asgml_model_get_config(model);
    int nm = mc->num_modalities, D = asgml_model_feature_dim(model);
    unsigned all = (1u << nm) - 1u;
    unsigned masks[1u << ASGML_PROBE_EVAL_MAX_SHAPLEY];
    int64_t correct[1u << ASGML_PROBE_EVAL_MAX_SHAPLEY];
    int nmasks = 0, shapley;
    int32_t *pred = NULL;
    float *xtr = NULL, *xte = NULL;
    asgml_status st;

    memset(res, 0, sizeof *res);
    if (o->shapley_max > ASGML_PROBE_EVAL_MAX_SHAPLEY || o->shapley_max < 0)
        return ASGML_ERR(ASGML_EINVAL, "shapley_max %d (0..%d)",
                           o->shapley_max, ASGML_PROBE_EVAL_MAX_SHAPLEY);
    res->num_modalities = nm;
    res->num_classes = mc->num_classes;
    res->dim = D;
    for (int m = 0; m < nm; m++)
        snprintf(res->names[m], sizeof res->names[m], "%s", mc->enc[m].name);

    /* test part: features, full predictions, coalition accuracies */
    shapley = nm <= o->shapley_max;
    if (shapley) {
        for (unsigned s = 0; s <= all; s++)
            masks[nmasks++] = s;
    } else {
        masks[nmasks++] = all;
        for (int m = 0; m < nm; m++)
            masks[nmasks++] = all & ~(1u << m);
    }
    st = asgml_probe_eval_pass(be, model, store, tf, o->scheme, "test", o->batch_size,
                               &res->test, masks, nmasks, correct, &pred);
    if (st != ASGML_OK)
        return asgml_error_prefix(st, "test split");
    res->n_test = res->test.n;
    res->fused_acc = asgml_accuracy(pred, res->test.labels, res->n_test);
    res->fused_f1 = asgml_macro_f1(pred, res->test.labels, res->n_test, mc->num_classes);
    free(pred);
    for (int k = 0; k < nmasks; k++) {
        double acc = (double)correct[k] / (double)res->n_test;
        if (shapley)
            res->coalition_acc[masks[k]] = acc;
        for (int m = 0; m < nm; m++)
            if (masks[k] == (all & ~(1u << m)))
                res->removed_acc[m] = acc;
    }
    if (shapley) {
        if ((st = asgml_shapley_values(nm, res->coalition_acc, res->shapley)) != ASGML_OK)
            goto fail;
        res->has_shapley = 1;
    }

    /* train part: features only */
    st = asgml_probe_eval_pass(be, model, store, tf, o->scheme, "train", o->batch_size,
                               &res->train, NULL, 0, NULL, NULL);
    if (st != ASGML_OK) {
        asgml_error_prefix(st, "train split");
        goto fail;
    }
    res->n_train = res->train.n;

    /* one probe per modality on standardised copies */
    xtr = xmalloc((size_t)res->n_train * (size_t)D * sizeof *xtr);
    xte = xmalloc((size_t)res->n_test * (size_t)D * sizeof *xte);
    if (!xtr || !xte) {
        st = ASGML_ERR(ASGML_ENOMEM, "out of memory");
        goto fail;
    }
    for (int m = 0; m < nm; m++) {
        memcpy(xtr, res->train.x[m], (size_t)res->n_train * (size_t)D * sizeof *xtr);
        memcpy(xte, res->test.x[m], (size_t)res->n_test * (size_t)D * sizeof *xte);
        if (o->standardise &&
            (st = asgml_standardise_features(xtr, res->n_train, xte, res->n_test, D)) != ASGML_OK) {
            asgml_error_prefix(st, "modality '%s'", res->names[m]);
            goto fail;
        }
        st = asgml_probe_fit_eval(be, o, o->seed + (uint64_t)m, D, mc->num_classes, xtr,
                                  res->train.labels, res->n_train, xte, res->test.labels,
                                  res->n_test, &res->probe[m]);
        if (st != ASGML_OK) {
            asgml_error_prefix(st, "probe of modality '%s'", res->names[m]);
            goto fail;
        }
    }
    free(xtr);
    free(xte);
    if (!keep_features) {
        asgml_feature_set_free(&res->train);
        asgml_feature_set_free(&res->test);
    }
    return ASGML_OK;
fail:
    free(xtr);
    free(xte);
    asgml_probe_eval_result_free(res);
    return st;
}

/* ---- a model rebuilt from a checkpoint ------------------------------------------ */

/* The resolved configuration (config.json text) into a config object. */
static asgml_status config_from_json(const char *text, const char *source, asgml_config **out)
{
    json_error_t jerr;
    json_t *root, *v;
    const char *key;
    asgml_config *c = NULL;
    asgml_status st;

    *out = NULL;
    root = json_loads(text ? text : "", 0, &jerr);
    if (!root || !json_is_object(root)) {
        json_decref(root);
        return asgml_error(ASGML_EFORMAT, "%s: config_json: %s", source,
                           root ? "not a JSON object" : jerr.text);
    }
    if ((st = asgml_config_create(&c)) != ASGML_OK) {
        json_decref(root);
        return st;
    }
    json_object_foreach(root, key, v) {
        char buf[64];
        const char *val = buf;
        if (json_is_string(v))
            val = json_string_value(v);
        else if (json_is_integer(v))
            snprintf(buf, sizeof buf, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
        else if (json_is_real(v))
            asgml_format_double(buf, sizeof buf, json_real_value(v));
        else if (json_is_boolean(v))
            val = json_is_true(v) ? "true" : "false";
        else {
            st = asgml_error(ASGML_EFORMAT, "%s: config_json: key '%s' is not a number, string "
                             "or boolean", source, key);
            break;
        }
        if ((st = asgml_config_set(c, key, val, source)) != ASGML_OK)
            break;
    }
    json_decref(root);
    if (st != ASGML_OK) {
        asgml_config_free(c);
        return st;
    }
    *out = c;
    return ASGML_OK;
}

static asgml_status pick_name(const char *key, const char *v, const char *const *names, int n,
                              int *out)
{
    for (int i = 0; i < n; i++)
        if (strcmp(v, names[i]) == 0) {
            *out = i;
            return ASGML_OK;
        }
    return asgml_error(ASGML_EFORMAT, "config key '%s': unknown value '%s'", key, v);
}

/* The model configuration the training loop built for this configuration
 * (the keys and rules of asgml-train(1): model.*, data.modalities,
 * unimodal.modality, model.uni=auto resolved from the methods' needs). */
static asgml_status model_from_config(asgml_config *c, asgml_store *store,
                                      const char *store_path, int max_batch,
                                      asgml_probe_subject *ps, asgml_model_config *mc)
{
    static const char *const fusions[] = { "concat", "sum", "film", "gated", "none" };
    static const char *const unis[] = { "none", "split", "heads", "zero", "auto", "shared" };
    static const char *const fws[] = { "mean", "entropy" };
    char names[ASGML_MAX_MODALITIES][32], buf[512], *save = NULL, *tok;
    const char *spec, *mods, *s, *blocks;
    unsigned needs = 0;
    long width, fdim, frames;
    int nm = 0, fusion, uni, fw, shared;

    CK(asgml_config_get_string(c, "data.scheme", "", &s));
    snprintf(ps->scheme, sizeof ps->scheme, "%s", s);
    CK(asgml_loader_exclude_flags(c, store));   /* the run's data.exclude-flags */
    CK(asgml_config_get_string(c, "method", "baseline", &spec));
    snprintf(ps->method, sizeof ps->method, "%s", spec);
    snprintf(buf, sizeof buf, "%s", spec);
    for (tok = strtok_r(buf, "+", &save); tok; tok = strtok_r(NULL, "+", &save)) {
        const asgml_method_ops *ops = asgml_method_find(tok);
        if (!ops)
            return asgml_error(ASGML_EFORMAT, "config: unknown method '%s'", tok);
        needs |= ops->needs;
        if (ops->config_needs) {   /* the needs the run's keys decide (asgml-train's) */
            unsigned extra = 0;
            CK(ops->config_needs(c, &extra));
            needs |= extra;
        }
    }
    if (needs & ASGML_SINGLE_MODALITY) {
        CK(asgml_unimodal_modality(c, &mods));
    } else {
        char all[512] = "";
        for (int m = 0; m < asgml_store_num_modalities(store); m++)
            snprintf(all + strlen(all), sizeof all - strlen(all), "%s%s", m ? "," : "",
                     asgml_store_modality(store, m)->name);
        CK(asgml_config_get_string(c, "data.modalities", all, &mods));
    }
    snprintf(buf, sizeof buf, "%s", mods);
    save = NULL;
    for (tok = strtok_r(buf, ", ", &save); tok; tok = strtok_r(NULL, ", ", &save)) {
        if (nm == ASGML_MAX_MODALITIES)
            return asgml_error(ASGML_EFORMAT, "config: more than %d modalities",
                               ASGML_MAX_MODALITIES);
        snprintf(names[nm++], sizeof names[0], "%s", tok);
    }
    if (nm < 1)
        return asgml_error(ASGML_EFORMAT, "config: no modality");

    asgml_model_config_defaults(mc);
    mc->num_modalities = nm;
    CK(asgml_config_get_int(c, "model.frames", 1, &frames));
    for (int m = 0; m < nm; m++) {
        CK(asgml_transform_from_config(c, store, store_path, names[m], (int)frames, &ps->tf[m]));
        ps->num_modalities = m + 1;
        ps->tf[m].augment = ps->tf[m].hflip = 0;   /* evaluation: never augmented */
        asgml_transform_encoder(&ps->tf[m], store, &mc->enc[m]);
    }
    CK(asgml_config_get_int(c, "model.width", 64, &width));
    CK(asgml_config_get_string(c, "model.blocks", "2,2,2,2", &blocks));
    if (width < 1 || width > 1024 ||
        sscanf(blocks, "%d,%d,%d,%d", &mc->blocks[0], &mc->blocks[1], &mc->blocks[2],
               &mc->blocks[3]) != 4)
        return asgml_error(ASGML_EFORMAT, "config: model.width %ld / model.blocks '%s'", width,
                           blocks);
    mc->width = (int)width;
    CK(asgml_config_get_int(c, "model.feature-dim", 8 * width, &fdim));
    mc->feature_dim = (int)fdim;
    CK(asgml_config_get_string(c, "model.fusion",
                                 (needs & ASGML_NEEDS_UNI_SHARED) ? "none" : "concat", &s));
    CK(pick_name("model.fusion", s, fusions, 5, &fusion));
    mc->fusion = (asgml_fusion_kind)fusion;
    if (needs & ASGML_NEEDS_UNI_SHARED) {   /* the method's inference fusion (mla) */
        CK(asgml_mla_fusion_config(c, mc));
    } else {
        CK(asgml_config_get_string(c, "model.fusion-weights", "mean", &s));
        CK(pick_name("model.fusion-weights", s, fws, 2, &fw));
        mc->fuse_weights = (asgml_fuse_weights)fw;
    }
    CK(asgml_config_get_bool(c, "model.head-two-layer", 0, &mc->head_two_layer));
    {   /* ASGML v1 5.3 mitigation 4 (asgml-methods(7), MODEL) */
        static const char *const fnorms[] = { "none", "l2", "layernorm" };
        int fn;
        CK(asgml_config_get_string(c, "model.feature-norm", "none", &s));
        CK(pick_name("model.feature-norm", s, fnorms, 3, &fn));
        mc->feature_norm = (asgml_feature_norm)fn;
    }
    CK(asgml_config_get_string(c, "model.uni", "auto", &s));
    CK(pick_name("model.uni", s, unis, 6, &uni));
    shared = uni == 5 || (uni == 4 && mc->fusion == ASGML_FUSION_NONE &&
                          !(needs & ASGML_NEEDS_UNI_HEADS));
    CK(asgml_config_get_bool(c, "model.uni-detach", 0, &mc->uni_detach));
    if (nm == 1)
        uni = ASGML_UNI_NONE;
    else if (uni == 4) {
        if (needs & ASGML_NEEDS_UNI_HEADS)
            uni = ASGML_UNI_HEADS;
        else if (needs & ASGML_NEEDS_UNI_ZERO)
            uni = ASGML_UNI_ZERO;
        else if (needs & ASGML_NEEDS_UNI_SPLIT)
            uni = ASGML_UNI_SPLIT;
        else if (mc->fusion == ASGML_FUSION_CONCAT || mc->fusion == ASGML_FUSION_SUM)
            uni = ASGML_UNI_SPLIT;
        else {
            uni = ASGML_UNI_HEADS;
            mc->uni_detach = 1;
        }
    }
    if (shared && nm > 1) {   /* the configured uni-detach, not auto's film/gated default */
        uni = ASGML_UNI_SHARED;
        CK(asgml_config_get_bool(c, "model.uni-detach", 0, &mc->uni_detach));
    }
    mc->uni = (asgml_uni_kind)uni;
    mc->dropout = 0.0f;          /* inference only: dropout is off anyway */
    mc->num_classes = asgml_store_num_classes(store);
    mc->max_batch = max_batch;
    return ASGML_OK;
}

asgml_status asgml_probe_eval_load(asgml_backend *be, const char *checkpoint,
                                   asgml_store *store, const char *store_path, int max_batch,
                                   asgml_probe_subject *out)
{
    asgml_checkpoint_loaded info;
    asgml_config *cfg = NULL;
    asgml_model_config mc;
    asgml_status st;

    memset(out, 0, sizeof *out);
    memset(&info, 0, sizeof info);
    if (!(out->tf = calloc(ASGML_MAX_MODALITIES, sizeof *out->tf)))
        return asgml_error(ASGML_ENOMEM, "out of memory");
    if ((st = asgml_checkpoint_read_info(checkpoint, &info)) != ASGML_OK) {
        asgml_probe_eval_unload(out);
        return st;
    }
    out->epochs_completed = info.epochs_completed;
    snprintf(out->store_checksum, sizeof out->store_checksum, "%s",
             info.store_checksum ? info.store_checksum : "");
    st = config_from_json(info.config_json, checkpoint, &cfg);
    if (st == ASGML_OK)
        st = model_from_config(cfg, store, store_path, max_batch, out, &mc);
    if (st == ASGML_OK && info.method)
        snprintf(out->method, sizeof out->method, "%s", info.method);
    if (st == ASGML_OK)
        st = asgml_model_create(be, &mc, &out->model);
    if (st == ASGML_OK)
        st = asgml_checkpoint_load(checkpoint, be, out->model, NULL, NULL, NULL);
    asgml_config_free(cfg);
    asgml_checkpoint_loaded_free(&info);
    if (st != ASGML_OK) {
        asgml_error_prefix(st, "%s", checkpoint);
        asgml_probe_eval_unload(out);
    }
    return st;
}

void asgml_probe_eval_unload(asgml_probe_subject *ps)
{
    if (!ps)
        return;
    asgml_model_free(ps->model);
    for (int m = 0; ps->tf && m < ps->num_modalities; m++)
        asgml_transform_release(&ps->tf[m]);
    free(ps->tf);
    memset(ps, 0, sizeof *ps);
}

/* ---- features export --------------------------------------------------------- */

#include "data/store_write.h"

struct asgml_features_writer {
    asgml_store_writer *sw;
};

asgml_status asgml_features_writer_create(const char *path, asgml_store *store,
                                          asgml_features_writer **out)
{
    asgml_features_writer *w;
    const char **names;
    int C = asgml_store_num_classes(store);
    const char *sum = asgml_store_checksum(store);
    asgml_status st;

    *out = NULL;
    w = calloc(1, sizeof *w);
    names = calloc((size_t)(C > 0 ? C : 1), sizeof *names);
    if (!w || !names) {
        free(w);
        free(names);
        return ASGML_ERR(ASGML_ENOMEM, "out of memory");
    }
    for (int c = 0; c < C; c++) {
        names[c] = asgml_store_class_name(store, c);
        if (!names[c])
            names[c] = "";
    }
    st = asgml_sw_create(path, &w->sw);
    if (!st) st = asgml_sw_attr_str(w->sw, "/", "format", "asgml-features");
    if (!st) st = asgml_sw_attr_i64(w->sw, "/", "format_version", 1);
    if (!st) st = asgml_sw_attr_str(w->sw, "/", "store_checksum", sum ? sum : "");
    if (!st) st = asgml_sw_attr_strs(w->sw, "/", "class_names", names, C);
    free(names);
    if (st != ASGML_OK) {
        asgml_sw_abort(w->sw);
        free(w);
        return st;
    }
    *out = w;
    return ASGML_OK;
}

static asgml_status write_part(asgml_store_writer *sw, const char *group, const char *part,
                               const asgml_probe_eval_result *res, const asgml_feature_set *fs)
{
    char path[256];
    int64_t n = fs->n, dims[2] = {fs->n, fs->dim};
    if (!fs->labels)
        return ASGML_ERR(ASGML_EINVAL, "features of '%s' were not kept", part);
    snprintf(path, sizeof path, "/%s/%s/labels", group, part);
    CK(asgml_sw_write_array(sw, path, ASGML_SW_I32, 1, &n, fs->labels));
    snprintf(path, sizeof path, "/%s/%s/sample", group, part);
    CK(asgml_sw_write_array(sw, path, ASGML_SW_I64, 1, &n, fs->samples));
    for (int m = 0; m < fs->num_modalities; m++) {
        snprintf(path, sizeof path, "/%s/%s/%s", group, part, res->names[m]);
        CK(asgml_sw_write_array(sw, path, ASGML_SW_F32, 2, dims, fs->x[m]));
    }
    return ASGML_OK;
}

asgml_status asgml_features_writer_add(asgml_features_writer *w, const char *group,
                                       const char *checkpoint, const asgml_probe_subject *pm,
                                       const asgml_probe_eval_result *res)
{
    char obj[160];
    const char *mods[ASGML_MAX_MODALITIES];
    if (!group[0] || strchr(group, '/') || strlen(group) > 100)
        return ASGML_ERR(ASGML_EINVAL, "bad features group name '%s'", group);
    snprintf(obj, sizeof obj, "/%s", group);
    for (int m = 0; m < res->num_modalities; m++)
        mods[m] = res->names[m];
    CK(asgml_sw_attr_str(w->sw, obj, "checkpoint", checkpoint));
    CK(asgml_sw_attr_i64(w->sw, obj, "epochs_completed", pm->epochs_completed));
    CK(asgml_sw_attr_str(w->sw, obj, "method", pm->method));
    CK(asgml_sw_attr_strs(w->sw, obj, "modalities", mods, res->num_modalities));
    CK(write_part(w->sw, group, "train", res, &res->train));
    return write_part(w->sw, group, "test", res, &res->test);
}

asgml_status asgml_features_writer_commit(asgml_features_writer *w)
{
    asgml_status st = asgml_sw_commit(w->sw, NULL);
    free(w);
    return st;
}

void asgml_features_writer_abort(asgml_features_writer *w)
{
    if (!w)
        return;
    asgml_sw_abort(w->sw);
    free(w);
}
