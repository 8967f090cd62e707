/* SPDX-License-Identifier: MIT */
/* services.c - the step services of asgml/hooks.h: extra forward passes,
 * per-group learning rates, feature masks, separate-term gradient buffers,
 * trained copies of the model, evaluation on request, and methods defined
 * outside the registry.  Everything is allocated on first use, so a run
 * whose methods ask for nothing allocates and computes nothing here. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "asgml/hooks.h"
#include "train/metrics.h"
#include "train/train_internal.h"

#define OPS(t) ((t)->be->ops)
#define NSLOTS 4
#define COPY_TAG 0x636f707900000000ull   /* "copy": order/dropout streams of copies */

/* ---- methods outside the registry ---------------------------------------------- */

static const asgml_method_ops *extra_methods[8];
static int num_extra_methods;

asgml_status asgml_method_add_extra(const asgml_method_ops *ops)
{
    if (!ops || !ops->name)
        return asgml_error(ASGML_EINVAL, "asgml_method_add_extra: no method");
    for (int i = 0; i < num_extra_methods; i++)
        if (extra_methods[i] == ops)
            return ASGML_OK;
    if (num_extra_methods == 8)
        return asgml_error(ASGML_EINVAL, "asgml_method_add_extra: at most 8 methods");
    extra_methods[num_extra_methods++] = ops;
    return ASGML_OK;
}

const asgml_method_ops *asgml_train_find_method(const char *name)
{
    const asgml_method_ops *ops = asgml_method_find(name);
    for (int i = 0; i < num_extra_methods && !ops; i++)
        if (strcmp(extra_methods[i]->name, name) == 0)
            ops = extra_methods[i];
    return ops;
}

static asgml_status need_run(const asgml_step *s, const char *what)
{
    return s && s->train ? ASGML_OK
                         : asgml_error(ASGML_EINVAL, "%s: not inside a training run", what);
}

static asgml_status alloc_dev(asgml_train *t, size_t bytes, void **p)
{
    return OPS(t)->alloc(t->be, bytes ? bytes : 4, p);
}

/* ---- extra forward passes --------------------------------------------------------- */

asgml_status asgml_step_forward_extra(asgml_step *s, int slot, const int *zero_input,
                                      int training_bn, const float **logits)
{
    asgml_train *t;
    const float *inputs[ASGML_MAX_MODALITIES];
    asgml_model *sm;
    CK(need_run(s, "asgml_step_forward_extra"));
    t = s->train;
    if (slot < 0 || slot >= NSLOTS)
        return asgml_error(ASGML_EINVAL, "asgml_step_forward_extra: slot %d not in 0..%d", slot,
                           NSLOTS - 1);
    if (!t->shadow[slot])
        CK(model_shadow_create(t->model, &t->shadow[slot]));
    sm = model_shadow_model(t->shadow[slot]);
    for (int m = 0; m < t->nmod; m++) {
        inputs[m] = t->x_dev[m];
        if (zero_input && zero_input[m]) {
            size_t n = (size_t)t->batch * (size_t)t->per_sample[m];
            if (!t->zero_x[m]) {
                CK(alloc_dev(t, n * sizeof(float), (void **)&t->zero_x[m]));
                CK(OPS(t)->fill(t->be, (int64_t)n, 0.0f, t->zero_x[m]));
            }
            inputs[m] = t->zero_x[m];
        }
        CK(asgml_model_set_feature_mask(sm, m, (t->fmask_on >> m & 1) ? t->fmask[m] : NULL));
    }
    CK(asgml_model_forward(sm, inputs, s->batch_size, training_bn, NULL));
    if (logits)
        *logits = asgml_model_logits(sm);
    return ASGML_OK;
}

const float *asgml_step_extra_unimodal_logits(asgml_step *s, int slot, int mod)
{
    if (!s || !s->train || slot < 0 || slot >= NSLOTS || !s->train->shadow[slot])
        return NULL;
    return asgml_model_unimodal_logits(model_shadow_model(s->train->shadow[slot]), mod);
}

asgml_status asgml_step_backward_extra(asgml_step *s, int slot, const float *dlogits,
                                       const float *const *duni)
{
    CK(need_run(s, "asgml_step_backward_extra"));
    if (slot < 0 || slot >= NSLOTS || !s->train->shadow[slot])
        return asgml_error(ASGML_EINVAL, "asgml_step_backward_extra: no pass in slot %d", slot);
    return asgml_model_backward(model_shadow_model(s->train->shadow[slot]), dlogits, duni,
                                s->encoder_active);
}

/* ---- per-group learning rates ----------------------------------------------------- */

static int valid_group(const asgml_train *t, int g)
{
    return (g >= 0 && g < t->nmod) || g == ASGML_GROUP_FUSION || g == ASGML_GROUP_HEADS;
}

asgml_status asgml_train_apply_group_lr(asgml_train *t)
{
    for (int g = 0; g <= ASGML_GROUP_HEADS; g++)
        if (t->group_mult[g] > 0)
            asgml_optim_set_group_lr(t->optim, g, t->group_mult[g] == 1.0 ? -1.0
                                                  : t->lr * t->group_mult[g]);
    return ASGML_OK;
}

asgml_status asgml_step_set_group_lr_mult(asgml_step *s, int group, double mult)
{
    CK(need_run(s, "asgml_step_set_group_lr_mult"));
    if (!valid_group(s->train, group) || !(mult >= 0) || !isfinite(mult))
        return asgml_error(ASGML_EINVAL, "asgml_step_set_group_lr_mult: group %d, multiplier %g",
                           group, mult);
    /* 0 is stored as a tiny positive value: 0 in group_mult means "not set" */
    s->train->group_mult[group] = mult > 0 ? mult : 1e-300;
    s->train->group_lr_set = 1;
    return asgml_train_apply_group_lr(s->train);
}

void asgml_train_log_group_lr(asgml_train *t, asgml_log_record *r)
{
    char key[64];
    if (!t->group_lr_set)
        return;
    for (int g = 0; g <= ASGML_GROUP_HEADS; g++) {
        int64_t off, cnt;
        if (!valid_group(t, g))
            continue;
        asgml_model_group_span(t->model, g, &off, &cnt);
        if (cnt == 0)
            continue;
        snprintf(key, sizeof key, "lr.%s", g < t->nmod ? t->mod_names[g]
                                           : g == ASGML_GROUP_FUSION ? "fusion" : "heads");
        asgml_log_num(r, key, asgml_optim_group_lr(t->optim, g));
    }
}

/* ---- feature masks ---------------------------------------------------------------- */

float *asgml_step_feature_mask(asgml_step *s, int mod)
{
    asgml_train *t;
    int64_t n;
    if (!s || !s->train || mod < 0 || mod >= s->train->nmod)
        return NULL;
    t = s->train;
    n = t->batch * (int64_t)asgml_model_feature_dim(t->model);
    if (!t->fmask[mod] && alloc_dev(t, (size_t)n * sizeof(float), (void **)&t->fmask[mod]))
        return NULL;
    if (OPS(t)->fill(t->be, n, 1.0f, t->fmask[mod]) != ASGML_OK ||
        asgml_model_set_feature_mask(t->model, mod, t->fmask[mod]) != ASGML_OK)
        return NULL;
    t->fmask_on |= 1 << mod;
    return t->fmask[mod];
}

asgml_status asgml_train_services_begin_step(asgml_train *t)
{
    (void)t;
    return ASGML_OK;
}

asgml_status asgml_train_services_end_step(asgml_train *t)
{
    for (int m = 0; m < t->nmod && t->fmask_on; m++)
        if (t->fmask_on >> m & 1)
            CK(asgml_model_set_feature_mask(t->model, m, NULL));
    t->fmask_on = 0;
    t->fgrad_on = 0;
    return ASGML_OK;
}

/* ---- extra feature gradients ------------------------------------------------------- */

float *asgml_step_feature_grad(asgml_step *s, int mod)
{
    asgml_train *t;
    size_t bytes;
    if (!s || !s->train || mod < 0 || mod >= s->train->nmod)
        return NULL;
    t = s->train;
    bytes = (size_t)t->batch * (size_t)asgml_model_feature_dim(t->model) * sizeof(float);
    if (!t->fgrad[mod] && alloc_dev(t, bytes, (void **)&t->fgrad[mod]) != ASGML_OK)
        return NULL;
    if (!(t->fgrad_on >> mod & 1)) {
        if (OPS(t)->fill(t->be, (int64_t)(bytes / sizeof(float)), 0.0f, t->fgrad[mod]) != ASGML_OK)
            return NULL;
        t->fgrad_on |= 1 << mod;
    }
    return t->fgrad[mod];
}

asgml_status asgml_train_clear_feature_grad(asgml_train *t)
{
    for (int m = 0; m < t->nmod && t->fgrad_on; m++)
        CK(asgml_model_set_feature_grad(t->model, m, NULL));
    return ASGML_OK;
}

/* ---- separate-term gradient buffers ------------------------------------------------- */

asgml_status asgml_train_term_buffers(asgml_train *t)
{
    size_t bytes = (size_t)asgml_model_num_params(t->model) * sizeof(float);
    for (int k = 0; k <= t->nmod; k++) {
        if (!t->term_buf[k])
            CK(alloc_dev(t, bytes, (void **)&t->term_buf[k]));
        t->step_info.term_grads[k] = t->term_buf[k];
    }
    if (!t->pre_grad)
        CK(alloc_dev(t, bytes, (void **)&t->pre_grad));
    return ASGML_OK;
}

/* ---- copies ------------------------------------------------------------------------ */

struct asgml_copy {
    asgml_train *t;
    asgml_model *model;
    asgml_optim *optim;
    asgml_loader *ld;
    int epochs_done;
    int zero_input[ASGML_MAX_MODALITIES];
    double last_loss;           /* sum of batch losses of the last trained epoch */
    int last_batches;
    float *x_dev[ASGML_MAX_MODALITIES], *duni[ASGML_MAX_MODALITIES], *dlogits;
    int32_t *labels_dev;
};

static void train_loader_config(asgml_train *t, asgml_loader_config *lc, int train)
{
    memset(lc, 0, sizeof *lc);
    lc->scheme = *t->scheme ? t->scheme : NULL;
    lc->batch_size = (int)t->batch;
    lc->prefetch = 0;      /* used between epochs of the main loader only */
    lc->seed = t->seed;
    lc->num_modalities = t->nmod;
    lc->tf = t->tf;
    lc->part = "train";
    lc->train = train;
    lc->drop_last = train ? t->drop_last : 0;
    lc->indices = t->hold_train;
    lc->num_indices = t->n_hold_train;
}

asgml_status asgml_step_copy_create(asgml_step *s, uint64_t stream, asgml_copy **out)
{
    asgml_train *t;
    asgml_copy *c;
    asgml_loader_config lc;
    asgml_status st;
    int C;
    *out = NULL;
    CK(need_run(s, "asgml_step_copy_create"));
    t = s->train;
    C = t->mc.num_classes;
    c = calloc(1, sizeof *c);
    if (!c)
        return asgml_error(ASGML_ENOMEM, "copy: out of memory");
    c->t = t;
    st = asgml_model_clone(t->model, &c->model);
    if (st == ASGML_OK)
        st = asgml_optim_clone(t->optim, c->model, &c->optim);
    if (st == ASGML_OK) {
        uint64_t ds, doff;
        asgml_model_dropout_state(t->model, &ds, &doff);
        asgml_model_set_dropout_state(c->model, t->seed ^ (COPY_TAG + stream), doff);
        train_loader_config(t, &lc, 1);
        lc.seed = t->seed ^ (COPY_TAG + stream);
        st = asgml_loader_create(t->store, &lc, &c->ld);
    }
    for (int m = 0; m < t->nmod && st == ASGML_OK; m++) {
        st = alloc_dev(t, (size_t)t->batch * (size_t)t->per_sample[m] * sizeof(float),
                       (void **)&c->x_dev[m]);
        if (st == ASGML_OK)
            st = alloc_dev(t, (size_t)t->batch * C * sizeof(float), (void **)&c->duni[m]);
    }
    if (st == ASGML_OK)
        st = alloc_dev(t, (size_t)t->batch * C * sizeof(float), (void **)&c->dlogits);
    if (st == ASGML_OK)
        st = alloc_dev(t, (size_t)t->batch * sizeof(int32_t), (void **)&c->labels_dev);
    if (st != ASGML_OK) {
        asgml_copy_free(c);
        return st;
    }
    *out = c;
    return ASGML_OK;
}

asgml_model *asgml_copy_model(asgml_copy *c) { return c ? c->model : NULL; }
asgml_optim *asgml_copy_optim(asgml_copy *c) { return c ? c->optim : NULL; }

void asgml_copy_free(asgml_copy *c)
{
    if (!c)
        return;
    asgml_train *t = c->t;
    asgml_loader_free(c->ld);
    for (int m = 0; m < t->nmod; m++) {
        if (c->x_dev[m]) OPS(t)->free(t->be, c->x_dev[m]);
        if (c->duni[m]) OPS(t)->free(t->be, c->duni[m]);
    }
    if (c->dlogits) OPS(t)->free(t->be, c->dlogits);
    if (c->labels_dev) OPS(t)->free(t->be, c->labels_dev);
    asgml_optim_free(c->optim);
    asgml_model_free(c->model);
    free(c);
}

/* The batch into the copy's buffers; zeroed modalities get zeros. */
static asgml_status copy_upload(asgml_copy *c, const asgml_batch *b, const float **inputs)
{
    asgml_train *t = c->t;
    for (int m = 0; m < t->nmod; m++) {
        int64_t n = (int64_t)b->size * t->per_sample[m];
        if (c->zero_input[m])
            CK(OPS(t)->fill(t->be, n, 0.0f, c->x_dev[m]));
        else
            CK(OPS(t)->to_device(t->be, c->x_dev[m], b->x[m], (size_t)n * sizeof(float)));
        inputs[m] = c->x_dev[m];
    }
    return OPS(t)->to_device(t->be, c->labels_dev, b->labels, (size_t)b->size * sizeof(int32_t));
}

asgml_status asgml_copy_set_zero_input(asgml_copy *c, const int *zero_input)
{
    if (!c)
        return asgml_error(ASGML_EINVAL, "asgml_copy_set_zero_input: no copy");
    for (int m = 0; m < c->t->nmod; m++)
        c->zero_input[m] = zero_input ? zero_input[m] != 0 : 0;
    return ASGML_OK;
}

double asgml_copy_last_epoch_loss(const asgml_copy *c, int *nbatches)
{
    if (nbatches)
        *nbatches = c ? c->last_batches : 0;
    return c ? c->last_loss : 0.0;
}

static asgml_status part_loader(asgml_train *t, const char *part, const char *who,
                                asgml_loader **ld);

asgml_status asgml_copy_evaluate(asgml_copy *c, const char *part, double *loss, double *sums,
                                 int *nbatches)
{
    asgml_train *t;
    asgml_loader *ld;
    double tot[ASGML_MAX_MODALITIES + 1] = { 0 }, mean[ASGML_MAX_MODALITIES + 1] = { 0 };
    int64_t n = 0;
    int nb = 0, done = 0, C, K;
    if (!c)
        return asgml_error(ASGML_EINVAL, "asgml_copy_evaluate: no copy");
    t = c->t;
    C = t->mc.num_classes;
    K = t->nmod + 1;
    CK(part_loader(t, part, "asgml_copy_evaluate", &ld));
    CK(asgml_loader_start_epoch(ld, 0));
    for (;;) {
        asgml_batch b;
        const float *inputs[ASGML_MAX_MODALITIES];
        double sum;
        CK(asgml_loader_next(ld, &b, &done));
        if (done)
            break;
        CK(copy_upload(c, &b, inputs));
        CK(asgml_model_forward(c->model, inputs, b.size, 0, NULL));
        CK(OPS(t)->softmax_ce(t->be, b.size, C, asgml_model_logits(c->model), c->labels_dev,
                              0.0f, NULL, NULL, NULL, &sum));
        tot[0] += sum;
        mean[0] += sum / b.size;
        for (int m = 0; m < t->nmod && t->mc.uni != ASGML_UNI_NONE; m++) {
            CK(OPS(t)->softmax_ce(t->be, b.size, C, asgml_model_unimodal_logits(c->model, m),
                                  c->labels_dev, 0.0f, NULL, NULL, NULL, &sum));
            tot[1 + m] += sum;
            mean[1 + m] += sum / b.size;
        }
        n += b.size;
        nb++;
    }
    for (int k = 0; k < K; k++) {
        int have = k == 0 || t->mc.uni != ASGML_UNI_NONE;
        if (loss)
            loss[k] = have && n > 0 ? tot[k] / (double)n : NAN;
        if (sums)
            sums[k] = have ? mean[k] : NAN;
    }
    if (nbatches)
        *nbatches = nb;
    return ASGML_OK;
}

asgml_status asgml_copy_train_epochs(asgml_copy *c, int n, float fused_weight,
                                     const float *uni_weight)
{
    asgml_train *t = c->t;
    int C = t->mc.num_classes;
    for (int e = 0; e < n; e++) {
        int done = 0;
        c->last_loss = 0;
        c->last_batches = 0;
        CK(asgml_loader_start_epoch(c->ld, c->epochs_done));
        for (;;) {
            asgml_batch b;
            const float *inputs[ASGML_MAX_MODALITIES];
            const float *duni[ASGML_MAX_MODALITIES] = { 0 };
            double sum;
            double bl;
            CK(asgml_loader_next(c->ld, &b, &done));
            if (done)
                break;
            CK(copy_upload(c, &b, inputs));
            CK(asgml_model_zero_grad(c->model));
            CK(asgml_model_forward(c->model, inputs, b.size, 1, NULL));
            CK(OPS(t)->fill(t->be, (int64_t)b.size * C, 0.0f, c->dlogits));
            CK(OPS(t)->softmax_ce(t->be, b.size, C, asgml_model_logits(c->model), c->labels_dev,
                                  fused_weight / (float)b.size, NULL, NULL, c->dlogits, &sum));
            bl = fused_weight * sum / b.size;
            for (int m = 0; m < t->nmod && uni_weight && t->mc.uni != ASGML_UNI_NONE; m++) {
                if (uni_weight[m] == 0.0f)
                    continue;
                CK(OPS(t)->fill(t->be, (int64_t)b.size * C, 0.0f, c->duni[m]));
                CK(OPS(t)->softmax_ce(t->be, b.size, C,
                                      asgml_model_unimodal_logits(c->model, m), c->labels_dev,
                                      uni_weight[m] / (float)b.size, NULL, NULL, c->duni[m],
                                      &sum));
                bl += uni_weight[m] * sum / b.size;
                duni[m] = c->duni[m];
            }
            CK(asgml_model_backward(c->model, c->dlogits, duni, NULL));
            CK(asgml_optim_step(c->optim, NULL));
            c->last_loss += bl;
            c->last_batches++;
        }
        c->epochs_done++;
    }
    return ASGML_OK;
}

/* ---- features of training batches -------------------------------------------------- */

#define FEAT_TAG 0x6665617400000000ull   /* "feat": order stream of asgml_step_train_features */

int asgml_step_train_batches(asgml_step *s)
{
    return s && s->train ? asgml_loader_num_batches(s->train->train_ld) : 0;
}

asgml_status asgml_step_train_features(asgml_step *s, uint64_t stream, int epoch, int nbatches,
                                       asgml_feature_fn fn, void *ctx)
{
    asgml_train *t;
    asgml_model *sm;
    int D, done = 0;
    CK(need_run(s, "asgml_step_train_features"));
    t = s->train;
    D = asgml_model_feature_dim(t->model);
    if (t->feat_ld && t->feat_stream != stream) {
        asgml_loader_free(t->feat_ld);
        t->feat_ld = NULL;
    }
    if (!t->feat_ld) {
        asgml_loader_config lc;
        train_loader_config(t, &lc, 1);
        lc.seed = t->seed ^ (FEAT_TAG + stream);
        CK(asgml_loader_create(t->store, &lc, &t->feat_ld));
        t->feat_stream = stream;
    }
    if (!t->feat_shadow)
        CK(model_shadow_create(t->model, &t->feat_shadow));
    sm = model_shadow_model(t->feat_shadow);
    for (int m = 0; m < t->nmod; m++) {
        if (!t->feat_x[m])
            CK(alloc_dev(t, (size_t)t->batch * (size_t)t->per_sample[m] * sizeof(float),
                         (void **)&t->feat_x[m]));
        if (!t->feat_host[m] &&
            !(t->feat_host[m] = malloc((size_t)t->batch * (size_t)D * sizeof(float))))
            return ASGML_ERR(ASGML_ENOMEM, "out of memory");
    }
    CK(asgml_loader_start_epoch(t->feat_ld, epoch));
    for (int i = 0; nbatches <= 0 || i < nbatches; i++) {
        asgml_batch b;
        const float *inputs[ASGML_MAX_MODALITIES];
        const float *feat[ASGML_MAX_MODALITIES];
        CK(asgml_loader_next(t->feat_ld, &b, &done));
        if (done)
            break;
        for (int m = 0; m < t->nmod; m++) {
            CK(OPS(t)->to_device(t->be, t->feat_x[m], b.x[m],
                                 (size_t)b.size * (size_t)t->per_sample[m] * sizeof(float)));
            inputs[m] = t->feat_x[m];
        }
        CK(asgml_model_forward(sm, inputs, b.size, 0, NULL));
        for (int m = 0; m < t->nmod; m++) {
            CK(OPS(t)->to_host(t->be, t->feat_host[m], asgml_model_features(sm, m),
                               (size_t)b.size * (size_t)D * sizeof(float)));
            feat[m] = t->feat_host[m];
        }
        CK(fn(ctx, b.size, b.labels, feat));
    }
    return ASGML_OK;
}

/* ---- evaluation on request ---------------------------------------------------------- */

asgml_status asgml_step_evaluate(asgml_step *s, asgml_copy *c, const char *part,
                                 double *loss, double *acc)
{
    asgml_train *t;
    asgml_loader *ld;
    CK(need_run(s, "asgml_step_evaluate"));
    t = s->train;
    CK(part_loader(t, part, "asgml_step_evaluate", &ld));
    return asgml_train_evaluate(t, c ? c->model : t->model, ld, part, NULL, acc, loss);
}

/* The evaluation loader of a part: test, val, or the training samples in
 * store order with evaluation transforms. */
static asgml_status part_loader(asgml_train *t, const char *part, const char *who,
                                asgml_loader **ld)
{
    if (strcmp(part, "test") == 0) {
        *ld = t->test_ld;
    } else if (strcmp(part, "val") == 0) {
        if (!t->val_ld)
            return asgml_error(ASGML_EINVAL, "%s: the run has no validation split "
                               "(ASGML_NEEDS_VAL)", who);
        *ld = t->val_ld;
    } else if (strcmp(part, "train") == 0) {
        if (!t->train_eval_ld) {
            asgml_loader_config lc;
            train_loader_config(t, &lc, 0);
            CK(asgml_loader_create(t->store, &lc, &t->train_eval_ld));
        }
        *ld = t->train_eval_ld;
    } else {
        return asgml_error(ASGML_EINVAL, "%s: part '%s'", who, part);
    }
    return ASGML_OK;
}

/* ---- feature passes ------------------------------------------------------------------ */

/* The store indices the pass of `part` serves, in order (malloc'd). */
static asgml_status feature_indices(asgml_train *t, const char *part, int max_batches,
                                    int32_t **out, int64_t *n_out)
{
    const char *sch = *t->scheme ? t->scheme : NULL;
    const int32_t *idx = NULL;
    const int64_t *order = NULL;
    int64_t n = 0;
    if (strcmp(part, "train") == 0 && max_batches > 0) {
        order = asgml_loader_order(t->train_ld, &n);      /* this epoch's order */
    } else if (strcmp(part, "train") == 0) {
        if (t->hold_train) {
            idx = t->hold_train;
            n = t->n_hold_train;
        } else
            CK(asgml_store_split(t->store, sch, "train", &idx, &n));
    } else if (strcmp(part, "val") == 0) {
        if (!t->val_ld)
            return ASGML_ERR(ASGML_EINVAL, "asgml_step_features: the run has no validation "
                             "split (ASGML_NEEDS_VAL)");
        if (t->hold_val) {
            idx = t->hold_val;
            n = t->n_hold_val;
        } else
            CK(asgml_store_split(t->store, sch, "val", &idx, &n));
    } else if (strcmp(part, "test") == 0) {
        CK(asgml_store_split(t->store, sch, "test", &idx, &n));
    } else {
        return ASGML_ERR(ASGML_EINVAL, "asgml_step_features: part '%s' (train, val or test)",
                         part ? part : "(null)");
    }
    if (max_batches > 0 && (int64_t)max_batches * t->batch < n)
        n = (int64_t)max_batches * t->batch;
    *out = malloc((size_t)(n > 0 ? n : 1) * sizeof **out);
    if (!*out)
        return ASGML_ERR(ASGML_ENOMEM, "asgml_step_features: out of memory");
    for (int64_t i = 0; i < n; i++)
        (*out)[i] = order ? (int32_t)order[i] : idx[i];
    *n_out = n;
    return ASGML_OK;
}

asgml_status asgml_step_features(asgml_step *s, const char *part, int max_batches,
                                 asgml_feature_set *out)
{
    asgml_train *t;
    asgml_feature_set *fs = out;
    asgml_loader_config lc;
    asgml_loader *ld = NULL;
    model_shadow *sh = NULL;
    float *x[ASGML_MAX_MODALITIES] = { 0 };
    int32_t *list = NULL;
    int64_t n = 0, pos = 0;
    int D, done = 0;
    asgml_status st;
    memset(out, 0, sizeof *out);
    CK(need_run(s, "asgml_step_features"));
    t = s->train;
    D = asgml_model_feature_dim(t->model);
    CK(feature_indices(t, part, max_batches, &list, &n));
    st = ASGML_OK;
    {
        fs->n = n;
        fs->num_modalities = t->nmod;
        fs->dim = D;
        fs->labels = malloc((size_t)(n > 0 ? n : 1) * sizeof *fs->labels);
        fs->samples = malloc((size_t)(n > 0 ? n : 1) * sizeof *fs->samples);
        if (!fs->labels || !fs->samples)
            st = ASGML_ERR(ASGML_ENOMEM, "asgml_step_features: out of memory");
    }
    for (int m = 0; m < t->nmod && st == ASGML_OK; m++) {
        fs->x[m] = malloc((size_t)(n > 0 ? n : 1) * (size_t)D * sizeof(float));
        if (!fs->x[m])
            st = ASGML_ERR(ASGML_ENOMEM, "asgml_step_features: out of memory");
        else
            st = alloc_dev(t, (size_t)t->batch * (size_t)t->per_sample[m] * sizeof(float),
                           (void **)&x[m]);
    }
    /* a loader of its own (evaluation transforms, no thread) over the list
     * in its order, and a shadow model: own activations, shared weights */
    if (st == ASGML_OK && n > 0) {
        train_loader_config(t, &lc, 0);
        lc.part = part;
        lc.indices = list;
        lc.num_indices = n;
        st = asgml_loader_create(t->store, &lc, &ld);
    }
    if (st == ASGML_OK && n > 0)
        st = model_shadow_create(t->model, &sh);
    if (st == ASGML_OK && n > 0)
        st = asgml_loader_start_epoch(ld, 0);
    while (st == ASGML_OK && n > 0) {
        asgml_batch b;
        const float *inputs[ASGML_MAX_MODALITIES];
        asgml_model *sm = model_shadow_model(sh);
        st = asgml_loader_next(ld, &b, &done);
        if (st != ASGML_OK || done)
            break;
        for (int m = 0; m < t->nmod && st == ASGML_OK; m++) {
            st = OPS(t)->to_device(t->be, x[m], b.x[m],
                                   (size_t)b.size * (size_t)t->per_sample[m] * sizeof(float));
            inputs[m] = x[m];
        }
        if (st == ASGML_OK)
            st = asgml_model_forward(sm, inputs, b.size, 0, NULL);
        for (int m = 0; m < t->nmod && st == ASGML_OK; m++)
            st = OPS(t)->to_host(t->be, fs->x[m] + pos * D, asgml_model_features(sm, m),
                                 (size_t)b.size * (size_t)D * sizeof(float));
        for (int i = 0; i < b.size; i++) {
            fs->labels[pos + i] = b.labels[i];
            fs->samples[pos + i] = b.samples[i];
        }
        pos += b.size;
    }
    if (st == ASGML_OK && pos != n)
        st = ASGML_ERR(ASGML_EINTERNAL, "asgml_step_features: %lld of %lld samples served",
                       (long long)pos, (long long)n);
    model_shadow_free(sh);
    asgml_loader_free(ld);
    for (int m = 0; m < t->nmod; m++)
        if (x[m])
            OPS(t)->free(t->be, x[m]);
    free(list);
    if (st != ASGML_OK)
        asgml_feature_set_free(fs);
    return st;
}

void asgml_train_services_free(asgml_train *t)
{
    for (int k = 0; k < NSLOTS; k++)
        model_shadow_free(t->shadow[k]);
    if (t->be) {
        for (int m = 0; m < ASGML_MAX_MODALITIES; m++) {
            if (t->zero_x[m]) OPS(t)->free(t->be, t->zero_x[m]);
            if (t->fmask[m]) OPS(t)->free(t->be, t->fmask[m]);
        }
        for (int k = 0; k <= ASGML_MAX_MODALITIES; k++)
            if (t->term_buf[k]) OPS(t)->free(t->be, t->term_buf[k]);
        if (t->pre_grad) OPS(t)->free(t->be, t->pre_grad);
        for (int m = 0; m < ASGML_MAX_MODALITIES; m++) {
            if (t->fgrad[m]) OPS(t)->free(t->be, t->fgrad[m]);
            if (t->feat_x[m]) OPS(t)->free(t->be, t->feat_x[m]);
            free(t->feat_host[m]);
        }
    }
    model_shadow_free(t->feat_shadow);
    asgml_loader_free(t->feat_ld);
    asgml_loader_free(t->train_eval_ld);
    free(t->hold_train);
    free(t->hold_val);
}
