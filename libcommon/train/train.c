/* SPDX-License-Identifier: MIT */
/* train.c - the training engine (asgml/train.h): setup from the
 * configuration (read by train_config.c), the canonical step of
 * asgml-methods(7), TRAINING STEP, evaluation,
 * best-epoch selection, checkpoints and resume.  The run directory files
 * are written by train_rundir.c. */
#include <limits.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <time.h>
#include <sys/stat.h>

#include "core/error.h"
#include "asgml/checkpoint.h"
#include "asgml/hooks.h"
#include "asgml/train.h"
#include "data/loader.h"
#include "methods/method_helpers.h"
#include "train/metrics.h"
#include "train/train_internal.h"

#define OPS(t) ((t)->be->ops)

double asgml_train_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* ---- setup ------------------------------------------------------------------ */

static int resume_checkpoint_exists(const asgml_train *t)
{
    char path[4200];
    struct stat sb;
    if (!t->opt.resume || !t->opt.out_dir)
        return 0;
    snprintf(path, sizeof path, "%s/ckpt/last.h5", t->opt.out_dir);
    return stat(path, &sb) == 0;
}

static asgml_status alloc_dev(asgml_train *t, size_t bytes, void **p)
{
    return OPS(t)->alloc(t->be, bytes ? bytes : 4, p);
}

static asgml_status setup(asgml_train *t)
{
    const char *mods, *sch;
    long frames;
    asgml_backend_options bo;
    asgml_loader_config lc;
    asgml_status st;
    int C;
    CK(asgml_train_read_run_config(t));
    CK(asgml_store_open(t->store_path, &t->store));
    CK(asgml_loader_exclude_flags(t->cfg, t->store));   /* data.exclude-flags: every part */
    sch = *t->scheme ? t->scheme : NULL;
    if (t->needs & ASGML_SINGLE_MODALITY) {
        const char *name;
        CK(asgml_unimodal_modality(t->cfg, &name));
        CK(asgml_train_parse_modalities(t, name));
    } else {
        char all[512] = "";
        for (int m = 0; m < asgml_store_num_modalities(t->store); m++)
            snprintf(all + strlen(all), sizeof all - strlen(all), "%s%s", m ? "," : "",
                     asgml_store_modality(t->store, m)->name);
        CK(asgml_config_get_string(t->cfg, "data.modalities", all, &mods));
        CK(asgml_train_parse_modalities(t, mods));
        if (t->nmod < 1)
            return asgml_error(ASGML_EINVAL, "key 'data.modalities': no modality given");
    }
    CK(asgml_config_get_int(t->cfg, "model.frames", 1, &frames));
    for (int m = 0; m < t->nmod; m++) {
        CK(asgml_transform_from_config(t->cfg, t->store, t->store_path, t->mod_names[m],
                                       (int)frames, &t->tf[m]));
        t->ntf = m + 1;
    }
    CK(asgml_train_read_model_config(t));
    for (int m = 0; m < t->nmod; m++) {
        asgml_transform_encoder(&t->tf[m], t->store, &t->mc.enc[m]);
        t->per_sample[m] = asgml_transform_sample_size(&t->tf[m], t->store, NULL, NULL, NULL);
    }
    CK(asgml_train_read_optim_config(t));
    for (int i = 0; i < t->nmeth; i++) {
        if (t->meth[i]->create)
            CK(t->meth[i]->create(t->cfg, &t->mc, &t->mstate[i]));
        t->ncreated = i + 1;
    }
    /* everything read: now the expensive objects */
    memset(&bo, 0, sizeof bo);
    bo.num_threads = (int)t->threads;
    bo.deterministic = t->deterministic;
    bo.tf32 = -1;
    CK(asgml_backend_create(t->device, &bo, &t->be));
    /* backend.conv-algo: the algorithm of each conv shape is fixed at its
     * first use; the choices go into checkpoints and summary.json, and a
     * resumed run pins the recorded ones (train_rundir.c) */
    if ((st = asgml_backend_set_conv_algo(t->be, t->conv_algo)) != ASGML_OK)
        return asgml_error_prefix(st, "key 'backend.conv-algo'");
    CK(asgml_model_create(t->be, &t->mc, &t->model));
    CK(asgml_model_init_params(t->model, t->seed));
    /* train.init: the file's tensors replace the fresh ones, unless a
     * checkpoint to resume from exists (it wins: it holds every tensor) */
    if (*t->init_path && !resume_checkpoint_exists(t))
        CK(asgml_train_load_init(t, t->init_path, t->init_strict));
    CK(asgml_optim_create(t->model, &t->oc, &t->optim));

    memset(&lc, 0, sizeof lc);
    lc.scheme = sch;
    lc.batch_size = (int)t->batch;
    lc.prefetch = t->prefetch;
    lc.seed = t->seed;
    lc.num_modalities = t->nmod;
    lc.tf = t->tf;
    lc.part = "train";
    lc.train = 1;
    lc.drop_last = t->drop_last;
    /* validation: the store's split, else (when a method or the plateau
     * schedule needs one, or data.val-fraction is given) a hold-out of
     * train (validation.c) */
    if (!asgml_store_has_split(t->store, sch, "val") &&
        ((t->needs & ASGML_NEEDS_VAL) || t->sched.kind == ASGML_SCHED_PLATEAU ||
         asgml_config_is_set(t->cfg, "data.val-fraction"))) {
        CK(asgml_train_make_holdout(t, sch));
        lc.indices = t->hold_train;
        lc.num_indices = t->n_hold_train;
    }
    CK(asgml_loader_create(t->store, &lc, &t->train_ld));
    lc.indices = NULL;
    lc.train = 0;
    lc.drop_last = 0;
    lc.part = "test";
    CK(asgml_loader_create(t->store, &lc, &t->test_ld));
    if (asgml_store_has_split(t->store, sch, "val")) {
        lc.part = "val";
        CK(asgml_loader_create(t->store, &lc, &t->val_ld));
    } else if (t->hold_val) {
        lc.part = "val";
        lc.indices = t->hold_val;
        lc.num_indices = t->n_hold_val;
        CK(asgml_loader_create(t->store, &lc, &t->val_ld));
    }

    C = t->mc.num_classes;
    for (int m = 0; m < t->nmod; m++) {
        CK(alloc_dev(t, (size_t)t->batch * (size_t)t->per_sample[m] * sizeof(float),
                     (void **)&t->x_dev[m]));
        CK(alloc_dev(t, (size_t)t->batch * C * sizeof(float), (void **)&t->duni[m]));
        t->uni_host[m] = malloc((size_t)t->batch * C * sizeof(float));
        if (!t->uni_host[m])
            return asgml_error(ASGML_ENOMEM, "train: out of memory");
    }
    CK(alloc_dev(t, (size_t)t->batch * sizeof(int32_t), (void **)&t->labels_dev));
    CK(alloc_dev(t, (size_t)t->batch * C * sizeof(float), (void **)&t->dlogits));
    t->logits_host = malloc((size_t)t->batch * C * sizeof(float));
    t->pred = malloc((size_t)t->batch * sizeof(int32_t));
    t->rec = asgml_log_record_create();
    t->epoch_rec = asgml_log_record_create();
    t->best_rec = asgml_log_record_create();
    t->last_rec = asgml_log_record_create();
    t->best_test_rec = asgml_log_record_create();
    if (!t->logits_host || !t->pred || !t->rec || !t->epoch_rec || !t->best_rec || !t->last_rec ||
        !t->best_test_rec)
        return asgml_error(ASGML_ENOMEM, "train: out of memory");
    for (int m = 0; m < t->nmod; m++) {
        t->step_info.modality_names[m] = t->mod_names[m];
        t->uni_default[m] = t->mc.uni == ASGML_UNI_HEADS || t->mc.uni == ASGML_UNI_SHARED
                            ? (float)t->uni_gamma : 0.0f;
    }
    t->best_epoch = -1;
    t->best_test_epoch = -1;
    t->step_info.train = t;
    return ASGML_OK;
}

asgml_status asgml_train_create(asgml_config *cfg, const asgml_train_options *opt,
                                asgml_train **out)
{
    asgml_train *t = calloc(1, sizeof *t);
    asgml_status st;
    *out = NULL;
    if (!t)
        return asgml_error(ASGML_ENOMEM, "train: out of memory");
    t->cfg = cfg;
    t->opt = *opt;
    t->store_path = opt->store_path;
    st = setup(t);
    if (st != ASGML_OK) {
        asgml_train_free(t);
        return st;
    }
    *out = t;
    return ASGML_OK;
}

void asgml_train_free(asgml_train *t)
{
    if (!t)
        return;
    asgml_loader_free(t->train_ld);
    asgml_loader_free(t->test_ld);
    asgml_loader_free(t->val_ld);
    asgml_train_services_free(t);
    for (int i = 0; i < t->ncreated; i++)
        if (t->meth[i]->destroy)
            t->meth[i]->destroy(t->mstate[i]);
    if (t->be) {
        for (int m = 0; m < t->nmod; m++) {
            if (t->x_dev[m])
                OPS(t)->free(t->be, t->x_dev[m]);
            if (t->duni[m])
                OPS(t)->free(t->be, t->duni[m]);
        }
        if (t->labels_dev)
            OPS(t)->free(t->be, t->labels_dev);
        if (t->dlogits)
            OPS(t)->free(t->be, t->dlogits);
    }
    for (int m = 0; m < t->nmod; m++)
        free(t->uni_host[m]);
    for (int m = 0; m < t->ntf; m++)
        asgml_transform_release(&t->tf[m]);
    asgml_optim_free(t->optim);
    asgml_model_free(t->model);
    if (t->be)
        asgml_backend_destroy(t->be);
    if (t->store)
        asgml_store_close(t->store);
    free(t->logits_host);
    free(t->pred);
    asgml_log_record_free(t->rec);
    asgml_log_record_free(t->epoch_rec);
    asgml_log_record_free(t->best_rec);
    asgml_log_record_free(t->last_rec);
    asgml_log_record_free(t->best_test_rec);
    if (t->log)
        fclose(t->log);
    if (t->lock_fd > 0)
        close(t->lock_fd);   /* releases the run directory's lock */
    free(t);
}

/* ---- one step ---------------------------------------------------------------- */

static asgml_status upload(asgml_train *t, const asgml_batch *b)
{
    for (int m = 0; m < t->nmod; m++)
        CK(OPS(t)->to_device(t->be, t->x_dev[m], b->x[m],
                             (size_t)b->size * (size_t)t->per_sample[m] * sizeof(float)));
    return OPS(t)->to_device(t->be, t->labels_dev, b->labels, (size_t)b->size * sizeof(int32_t));
}

typedef asgml_status (*hook_fn)(void *, asgml_step *);

static asgml_status run_hook(asgml_train *t, size_t offset, const char *what)
{
    for (int i = 0; i < t->nmeth; i++) {
        hook_fn fn = *(const hook_fn *)((const char *)t->meth[i] + offset);
        if (fn) {
            asgml_status st = fn(t->mstate[i], &t->step_info);
            if (st != ASGML_OK)
                return asgml_error_prefix(st, "%s %s (step %lld)", t->meth[i]->name, what,
                                          (long long)t->step);
        }
    }
    return ASGML_OK;
}

#define HOOK(t, f, what) run_hook(t, offsetof(asgml_method_ops, f), what)

static double group_norm(asgml_train *t, int group)
{
    int64_t off, cnt;
    double ss = 0;
    asgml_model_group_span(t->model, group, &off, &cnt);
    if (cnt > 0 && OPS(t)->sumsq(t->be, cnt, asgml_model_grads(t->model) + off, &ss) != ASGML_OK)
        return NAN;
    return sqrt(ss);
}

/* Names the first parameter view whose gradient holds NaN/Inf. */
static asgml_status check_gradients(asgml_train *t)
{
    int64_t bad = 0;
    int nv;
    const asgml_param_view *pv = asgml_model_param_views(t->model, &nv);
    float *g = asgml_model_grads(t->model);
    CK(OPS(t)->nonfinite_count(t->be, asgml_model_num_params(t->model), g, &bad));
    if (bad == 0)
        return ASGML_OK;
    for (int v = 0; v < nv; v++) {
        CK(OPS(t)->nonfinite_count(t->be, pv[v].numel, g + pv[v].offset, &bad));
        if (bad)
            return asgml_error(ASGML_ENUMERIC, "step %lld (epoch %d, batch %d): gradient of '%s' "
                               "has %lld non-finite values", (long long)t->step,
                               t->step_info.epoch, t->step_info.batch, pv[v].name,
                               (long long)bad);
    }
    return asgml_error(ASGML_ENUMERIC, "step %lld: the gradient holds non-finite values",
                       (long long)t->step);
}

static void prefill_step_record(asgml_train *t, asgml_log_record *r)
{
    char key[64];
    asgml_log_record_clear(r);
    asgml_log_str(r, "type", "step");
    asgml_log_int(r, "epoch", t->step_info.epoch);
    asgml_log_int(r, "batch", t->step_info.batch);
    asgml_log_int(r, "step", t->step);
    asgml_log_num(r, "lr", t->lr);
    asgml_log_num(r, "loss", 0);
    asgml_log_num(r, "ce", 0);
    for (int m = 0; m < t->nmod && t->mc.uni != ASGML_UNI_NONE; m++) {
        snprintf(key, sizeof key, "ce.%s", t->mod_names[m]);
        asgml_log_num(r, key, 0);
    }
    asgml_log_num(r, "acc", 0);
    for (int m = 0; m < t->nmod; m++) {
        snprintf(key, sizeof key, "grad_norm.%s", t->mod_names[m]);
        asgml_log_num(r, key, 0);
        snprintf(key, sizeof key, "grad_norm_post.%s", t->mod_names[m]);
        asgml_log_num(r, key, 0);
        snprintf(key, sizeof key, "updated.%s", t->mod_names[m]);
        asgml_log_int(r, key, 0);
    }
}

/* Backward of the step's loss terms.  Plain: one backward of all terms.
 * With separate_terms or a feature_grad_scale != 1: what the gradient holds
 * already (extra passes of H1) is set aside, each term (or all of them) is
 * taken alone, encoder spans are scaled, and the sum is put back. */
static asgml_status backward_terms(asgml_train *t, const float *const *duni)
{
    asgml_step *s = &t->step_info;
    int64_t np = asgml_model_num_params(t->model);
    float *g = asgml_model_grads(t->model);
    int scaled = 0;
    for (int m = 0; m < t->nmod; m++)
        scaled |= s->feature_grad_scale[m] != 1.0f;
    for (int m = 0; m < t->nmod && t->fgrad_on; m++)   /* asgml_step_feature_grad */
        if (t->fgrad_on >> m & 1)
            CK(asgml_model_set_feature_grad(t->model, m, t->fgrad[m]));
    if (!s->separate_terms && !scaled) {
        CK(asgml_model_backward(t->model, t->dlogits, duni, s->encoder_active));
        return asgml_train_clear_feature_grad(t);
    }
    CK(asgml_train_term_buffers(t));
    CK(OPS(t)->copy(t->be, np, g, t->pre_grad));
    for (int k = 0; k <= (s->separate_terms ? t->nmod : 0); k++) {
        const float *one[ASGML_MAX_MODALITIES] = { 0 };
        CK(asgml_model_zero_grad(t->model));
        if (!s->separate_terms)
            CK(asgml_model_backward(t->model, t->dlogits, duni, s->encoder_active));
        else if (k == 0)
            CK(asgml_model_backward(t->model, t->dlogits, NULL, s->encoder_active));
        else if (duni[k - 1]) {
            one[k - 1] = duni[k - 1];
            CK(asgml_model_backward(t->model, NULL, one, s->encoder_active));
        }
        CK(asgml_train_clear_feature_grad(t));   /* extra dL/df_m: term 0 only */
        for (int m = 0; m < t->nmod; m++)
            if (s->feature_grad_scale[m] != 1.0f)
                CK(asgml_model_scale_group_grad(t->model, m, s->feature_grad_scale[m]));
        CK(OPS(t)->copy(t->be, np, g, t->term_buf[k]));
    }
    CK(OPS(t)->copy(t->be, np, t->pre_grad, g));
    for (int k = 0; k <= (s->separate_terms ? t->nmod : 0); k++)
        CK(OPS(t)->axpy(t->be, np, 1.0f, t->term_buf[k], g));
    if (!s->separate_terms)
        for (int k = 0; k <= t->nmod; k++)
            s->term_grads[k] = NULL;
    return ASGML_OK;
}

/* H1 defaults of sub-step k */
static void prefill_step(asgml_train *t, int k)
{
    asgml_step *s = &t->step_info;
    s->substep = k;
    s->fused_weight = 1.0f;
    s->fused_grad_scale = 1.0f;
    s->separate_terms = 0;
    for (int m = 0; m < t->nmod; m++) {
        s->uni_weight[m] = t->uni_default[m];
        s->encoder_active[m] = 1;
        s->grad_norm_pre[m] = s->ce_uni[m] = 0;
        s->feature_grad_scale[m] = 1.0f;
    }
    for (int m = 0; m <= ASGML_MAX_MODALITIES; m++)
        s->term_grads[m] = NULL;
}

/* One optimiser (sub-)step of the canonical step (asgml-methods(7), TRAINING STEP) on the
 * uploaded batch b: H0, forward, H1, loss, backward, H2, H3, H4. */
static asgml_status train_substep(asgml_train *t, const asgml_batch *b, int logging,
                                  double *loss_out, int64_t *correct)
{
    asgml_step *s = &t->step_info;
    int B = b->size, C = t->mc.num_classes;
    const float *inputs[ASGML_MAX_MODALITIES];
    const float *duni[ASGML_MAX_MODALITIES] = { 0 };
    int head_active[ASGML_MAX_MODALITIES];
    double sum, loss;
    char key[64];

    for (int m = 0; m < t->nmod; m++)
        inputs[m] = t->x_dev[m];
    CK(HOOK(t, before_forward, "before_forward"));
    CK(asgml_model_forward(t->model, inputs, B, 1, NULL));
    CK(HOOK(t, before_backward, "before_backward"));

    /* loss = fused_weight CE(z) + sum_m uni_weight[m] CE(u_m); gradients (1/B) scaled */
    CK(OPS(t)->fill(t->be, (int64_t)B * C, 0.0f, t->dlogits));
    CK(OPS(t)->softmax_ce(t->be, B, C, asgml_model_logits(t->model), t->labels_dev,
                          s->fused_weight / (float)B, NULL, NULL, t->dlogits, &sum));
    s->ce_fused = sum / B;
    loss = s->fused_weight == 1.0f ? s->ce_fused : (double)s->fused_weight * s->ce_fused;
    if (s->fused_grad_scale != 1.0f)
        CK(OPS(t)->scale(t->be, (int64_t)B * C, s->fused_grad_scale, t->dlogits));
    for (int m = 0; m < t->nmod && t->mc.uni != ASGML_UNI_NONE; m++) {
        const float *u = asgml_model_unimodal_logits(t->model, m);
        float w = s->uni_weight[m];
        float *du = NULL;
        if (w != 0.0f) {     /* split/zero: through the fusion weights; heads: own head */
            du = t->duni[m];
            CK(OPS(t)->fill(t->be, (int64_t)B * C, 0.0f, du));
            duni[m] = du;
        }
        CK(OPS(t)->softmax_ce(t->be, B, C, u, t->labels_dev, w / (float)B, NULL, NULL, du, &sum));
        s->ce_uni[m] = sum / B;
        loss += (double)w * s->ce_uni[m];
    }
    s->loss = loss;
    CK(OPS(t)->to_host(t->be, t->logits_host, asgml_model_logits(t->model),
                       (size_t)B * C * sizeof(float)));
    asgml_argmax_rows(t->logits_host, B, C, t->pred);
    s->batch_acc = asgml_accuracy(t->pred, b->labels, B);
    if (s->substep == 0)
        *correct += (int64_t)nearbyint(s->batch_acc * B);
    if (!isfinite(loss))
        return asgml_error(ASGML_ENUMERIC, "step %lld (epoch %d, batch %d): the loss is %s",
                           (long long)t->step, s->epoch, s->batch, isnan(loss) ? "NaN" : "infinite");

    CK(backward_terms(t, duni));
    for (int m = 0; m < t->nmod; m++)
        s->grad_norm_pre[m] = group_norm(t, m);
    CK(HOOK(t, modulate, "modulate"));
    CK(check_gradients(t));
    if (t->log_grad_energy) {   /* train.log-grad-energy: sums of ||g_m||^2, pre and post H2 */
        for (int m = 0; m < t->nmod; m++) {
            double post = group_norm(t, m);
            t->ge_pre[m] += s->grad_norm_pre[m] * s->grad_norm_pre[m];
            t->ge_post[m] += post * post;
        }
        t->ge_steps += 1.0;
    }
    if (logging)
        for (int m = 0; m < t->nmod; m++) {
            snprintf(key, sizeof key, "grad_norm_post.%s", t->mod_names[m]);
            asgml_log_num(t->rec, key, group_norm(t, m));
            if (t->mc.feature_norm != ASGML_FEATURE_NORM_NONE) {   /* model.feature-norm */
                snprintf(key, sizeof key, "feat_norm_raw.%s", t->mod_names[m]);
                asgml_log_num(t->rec, key, asgml_model_feature_raw_norm(t->model, m));
            }
        }
    /* H3: a frozen encoder and its head are left alone; so is the own head
     * of a modality whose CE(u_m) had weight 0 (nothing else reaches a
     * head, so it has no gradient this step: asgml-freq zero/soft
     * skipping, model.uni-gamma 0).  methods.md 1.5: a parameter without a
     * gradient is not touched (no momentum, no weight decay). */
    for (int m = 0; m < t->nmod; m++)
        head_active[m] = s->encoder_active[m] && s->uni_weight[m] != 0.0f;
    CK(asgml_optim_step_groups(t->optim, s->encoder_active, head_active));
    CK(HOOK(t, after_step, "after_step"));
    CK(asgml_train_services_end_step(t));
    *loss_out = loss;
    return ASGML_OK;
}

/* The canonical step (asgml-methods(7), TRAINING STEP) on batch b, in num_substeps optimiser
 * sub-steps (1 unless a method asks for more). */
static asgml_status train_step(asgml_train *t, const asgml_batch *b, double *loss_out,
                               int64_t *correct)
{
    asgml_step *s = &t->step_info;
    int B = b->size, logging, nsub = 1;
    double loss = 0, loss_sum = 0;
    char key[64];

    logging = t->log_every > 0 && t->step % t->log_every == 0;
    s->batch = b->index;
    s->step = t->step;
    s->batch_size = B;
    s->labels = b->labels;
    s->labels_dev = t->labels_dev;
    s->samples = b->samples;
    for (int m = 0; m < t->nmod; m++)
        s->x[m] = t->x_dev[m];
    prefill_step(t, 0);
    s->num_substeps = 1;
    prefill_step_record(t, t->rec);
    asgml_train_log_group_lr(t, t->rec);
    s->log = t->rec;
    CK(upload(t, b));
    CK(asgml_model_zero_grad(t->model));
    if (b->index == 0)
        CK(HOOK(t, epoch_begin, "epoch_begin"));
    s->log = t->rec;
    for (int i = 0; i < t->nmeth; i++)
        if (t->meth[i]->num_substeps) {
            int k = t->meth[i]->num_substeps(t->mstate[i], s);
            if (k > nsub)
                nsub = k;
        }
    s->num_substeps = nsub;
    for (int k = 0; k < nsub; k++) {
        if (k > 0) {
            prefill_step(t, k);
            CK(asgml_model_zero_grad(t->model));
        }
        CK(train_substep(t, b, logging, &loss, correct));
        loss_sum += loss;
    }
    if (nsub > 1) {
        loss = loss_sum / nsub;
        asgml_log_int(t->rec, "substeps", nsub);
    }

    asgml_log_num(t->rec, "loss", s->loss);
    asgml_log_num(t->rec, "ce", s->ce_fused);
    asgml_log_num(t->rec, "acc", s->batch_acc);
    for (int m = 0; m < t->nmod; m++) {
        if (t->mc.uni != ASGML_UNI_NONE) {
            snprintf(key, sizeof key, "ce.%s", t->mod_names[m]);
            asgml_log_num(t->rec, key, s->ce_uni[m]);
        }
        snprintf(key, sizeof key, "grad_norm.%s", t->mod_names[m]);
        asgml_log_num(t->rec, key, s->grad_norm_pre[m]);
        snprintf(key, sizeof key, "updated.%s", t->mod_names[m]);
        asgml_log_int(t->rec, key, s->encoder_active[m] != 0);
    }
    if (logging)
        CK(asgml_train_log_write(t, t->rec));
    *loss_out = loss;
    t->step++;
    return ASGML_OK;
}

/* ---- evaluation ----------------------------------------------------------------- */

/* Inference of `model` over a loader; writes <part>.loss/.acc/.f1/.acc.<m>
 * into r (may be NULL: only *acc_out, *loss_out). */
asgml_status asgml_train_evaluate(asgml_train *t, asgml_model *model, asgml_loader *ld,
                                  const char *part, asgml_log_record *r, double *acc_out,
                                  double *loss_out)
{
    int64_t n = asgml_loader_num_samples(ld), pos = 0;
    int C = t->mc.num_classes, done = 0;
    int32_t *pred = malloc((size_t)n * (size_t)(t->nmod + 1) * sizeof *pred);
    const int32_t *labels = asgml_loader_labels(ld);
    double loss_sum = 0, acc;
    char key[64];
    asgml_status st = pred ? ASGML_OK : asgml_error(ASGML_ENOMEM, "evaluation: out of memory");
    if (st == ASGML_OK)
        st = asgml_loader_start_epoch(ld, 0);
    while (st == ASGML_OK) {
        asgml_batch b;
        const float *inputs[ASGML_MAX_MODALITIES];
        double sum;
        st = asgml_loader_next(ld, &b, &done);
        if (st != ASGML_OK || done)
            break;
        for (int m = 0; m < t->nmod; m++)
            inputs[m] = t->x_dev[m];
        if ((st = upload(t, &b)) || (st = asgml_model_forward(model, inputs, b.size, 0, NULL)) ||
            (st = OPS(t)->softmax_ce(t->be, b.size, C, asgml_model_logits(model), t->labels_dev,
                                     0.0f, NULL, NULL, NULL, &sum)) ||
            (st = OPS(t)->to_host(t->be, t->logits_host, asgml_model_logits(model),
                                  (size_t)b.size * C * sizeof(float))))
            break;
        loss_sum += sum;
        asgml_argmax_rows(t->logits_host, b.size, C, pred + pos);
        for (int m = 0; m < t->nmod && t->mc.uni != ASGML_UNI_NONE && st == ASGML_OK; m++) {
            st = OPS(t)->to_host(t->be, t->uni_host[m], asgml_model_unimodal_logits(model, m),
                                 (size_t)b.size * C * sizeof(float));
            asgml_argmax_rows(t->uni_host[m], b.size, C, pred + (m + 1) * n + pos);
        }
        pos += b.size;
    }
    if (st == ASGML_OK && r) {
        acc = asgml_accuracy(pred, labels, n);
        snprintf(key, sizeof key, "%s.loss", part);
        asgml_log_num(r, key, loss_sum / n);
        snprintf(key, sizeof key, "%s.acc", part);
        asgml_log_num(r, key, acc);
        snprintf(key, sizeof key, "%s.f1", part);
        asgml_log_num(r, key, asgml_macro_f1(pred, labels, n, C));
        for (int m = 0; m < t->nmod; m++) {
            double am = t->mc.uni == ASGML_UNI_NONE ? acc
                        : asgml_accuracy(pred + (m + 1) * n, labels, n);
            snprintf(key, sizeof key, "%s.acc.%s", part, t->mod_names[m]);
            asgml_log_num(r, key, am);
            if (strcmp(part, "test") == 0)
                t->step_info.test_acc_uni[m] = am;
            else if (strcmp(part, "val") == 0)
                t->step_info.val_acc_uni[m] = am;
        }
    }
    if (st == ASGML_OK) {
        *acc_out = asgml_accuracy(pred, labels, n);
        if (loss_out)
            *loss_out = loss_sum / n;
    }
    free(pred);
    return st;
}

/* ---- the epoch loop ------------------------------------------------------------- */

static void progress(asgml_train *t, const asgml_train_progress *p)
{
    if (t->opt.progress)
        t->opt.progress(t->opt.progress_user, p);
}

static asgml_status run_epoch(asgml_train *t, int e, int *interrupted)
{
    asgml_step *s = &t->step_info;
    double loss_sum = 0, t0 = asgml_train_now(), test_acc = 0, val_acc = NAN, sel;
    int64_t correct = 0, seen = 0;
    int done = 0;
    asgml_train_progress p;
    memset(&p, 0, sizeof p);
    s->epoch = e;
    t->lr = t->sched.kind == ASGML_SCHED_PLATEAU ? t->plateau.lr
                                                  : asgml_schedule_lr(&t->sched, t->oc.lr, e);
    asgml_optim_set_lr(t->optim, t->lr);
    CK(asgml_train_apply_group_lr(t));
    CK(asgml_loader_start_epoch(t->train_ld, e));
    asgml_log_record_clear(t->epoch_rec);
    asgml_log_str(t->epoch_rec, "type", "epoch");
    asgml_log_int(t->epoch_rec, "epoch", e);
    asgml_log_num(t->epoch_rec, "lr", t->lr);
    asgml_train_log_group_lr(t, t->epoch_rec);
    asgml_log_num(t->epoch_rec, "train.loss", 0);
    asgml_log_num(t->epoch_rec, "train.acc", 0);
    memset(t->ge_pre, 0, sizeof t->ge_pre);
    memset(t->ge_post, 0, sizeof t->ge_post);
    t->ge_steps = 0.0;
    for (;;) {
        asgml_batch b;
        double loss = 0;
        CK(asgml_loader_next(t->train_ld, &b, &done));
        if (done)
            break;
        CK(train_step(t, &b, &loss, &correct));
        loss_sum += loss * b.size;
        seen += b.size;
        p.kind = ASGML_PROGRESS_STEP;
        p.epoch = e;
        p.num_epochs = (int)t->epochs;
        p.batch = b.index;
        p.batches_per_epoch = s->batches_per_epoch;
        p.step = t->step;
        p.loss = loss;
        progress(t, &p);
        if (t->opt.interrupt && *t->opt.interrupt) {
            *interrupted = 1;
            return ASGML_OK;
        }
    }
    t->train_seconds += asgml_train_now() - t0;
    t->samples_seen += seen;
    asgml_log_num(t->epoch_rec, "train.loss", loss_sum / (double)seen);
    asgml_log_num(t->epoch_rec, "train.acc", (double)correct / (double)seen);
    for (int m = 0; m < t->nmod && t->log_grad_energy; m++) {
        char key[64];   /* the epoch's mean squared encoder-gradient norm (prime-window curves) */
        double n = t->ge_steps > 0.0 ? t->ge_steps : 1.0;
        snprintf(key, sizeof key, "grad_energy.%s", t->mod_names[m]);
        asgml_log_num(t->epoch_rec, key, t->ge_pre[m] / n);
        snprintf(key, sizeof key, "grad_energy_post.%s", t->mod_names[m]);
        asgml_log_num(t->epoch_rec, key, t->ge_post[m] / n);
    }
    CK(asgml_train_evaluate(t, t->model, t->test_ld, "test", t->epoch_rec, &test_acc,
                            &s->test_loss));
    s->test_acc = test_acc;
    s->val_loss = NAN;
    for (int m = 0; m < t->nmod; m++)
        s->val_acc_uni[m] = NAN;
    if (t->val_ld)
        CK(asgml_train_evaluate(t, t->model, t->val_ld, "val", t->epoch_rec, &val_acc,
                                &s->val_loss));
    s->val_acc = val_acc;
    if (t->sched.kind == ASGML_SCHED_PLATEAU) {
        /* scheduler.step(val_loss) after the epoch: the lr of epoch e + 1 */
        int reduced = asgml_plateau_step(&t->sched, &t->plateau, s->val_loss);
        asgml_log_int(t->epoch_rec, "plateau.reduced", reduced);
        asgml_log_int(t->epoch_rec, "plateau.bad_epochs", t->plateau.num_bad_epochs);
        asgml_log_int(t->epoch_rec, "plateau.cooldown", t->plateau.cooldown_counter);
        asgml_log_num(t->epoch_rec, "plateau.best", t->plateau.best);
        asgml_log_num(t->epoch_rec, "plateau.next_lr", t->plateau.lr);
    }
    s->log = t->epoch_rec;
    CK(HOOK(t, epoch_end, "epoch_end"));
    asgml_log_num(t->epoch_rec, "time_s", asgml_train_now() - t0);

    /* last and best (on val when there is one, else on test) */
    sel = t->val_ld ? val_acc : test_acc;
    CK(asgml_train_copy_record(t->last_rec, t->epoch_rec));
    if (t->best_epoch < 0 || sel > t->best_metric) {
        t->best_epoch = e;
        t->best_metric = sel;
        CK(asgml_train_copy_record(t->best_rec, t->epoch_rec));
    }
    /* best on test, whatever best_* is selected on (ties: earliest epoch) */
    if (t->best_test_epoch != -2 && (t->best_test_epoch < 0 || test_acc > t->best_test_metric)) {
        t->best_test_epoch = e;
        t->best_test_metric = test_acc;
        CK(asgml_train_copy_record(t->best_test_rec, t->epoch_rec));
    }
    CK(asgml_train_log_write(t, t->epoch_rec));
    t->epochs_completed = e + 1;
    if (t->ckpt_every > 0 && (t->epochs_completed % t->ckpt_every == 0 ||
                              t->epochs_completed == t->epochs))
        CK(asgml_train_save_checkpoint(t));

    p.kind = ASGML_PROGRESS_EPOCH;
    p.epoch = e;
    p.num_epochs = (int)t->epochs;
    p.step = t->step;
    p.loss = loss_sum / (double)seen;
    p.train_acc = (double)correct / (double)seen;
    p.test_acc = test_acc;
    p.val_acc = val_acc;
    p.seconds = asgml_train_now() - t0;
    progress(t, &p);
    if (t->interrupt_after > 0 && t->epochs_completed == t->interrupt_after &&
        t->epochs_completed < t->epochs)
        *interrupted = 1;
    return ASGML_OK;
}

asgml_status asgml_train_run(asgml_train *t, asgml_run_status *status)
{
    asgml_status st;
    int interrupted = 0;
    double t0 = asgml_train_now();
    asgml_step *s = &t->step_info;
    *status = ASGML_RUN_FAILED;
    s->be = t->be;
    s->model = t->model;
    s->num_modalities = t->nmod;
    s->num_classes = t->mc.num_classes;
    s->num_epochs = (int)t->epochs;
    s->batches_per_epoch = asgml_loader_num_batches(t->train_ld);
    s->seed = t->seed;
    s->noise_offset = &t->noise_offset;
    st = asgml_train_open_rundir(t);
    if (st != ASGML_OK)
        return st;
    if (t->opt.resume && t->epochs_completed > 0) {
        char note[160];
        asgml_train_progress p;
        memset(&p, 0, sizeof p);
        p.kind = ASGML_PROGRESS_NOTE;
        snprintf(note, sizeof note, "resuming after epoch %d (step %lld)%s",
                 t->epochs_completed - 1, (long long)t->step,
                 *t->init_path ? "; train.init is not read: the checkpoint wins" : "");
        p.note = note;
        progress(t, &p);
    } else if (t->init_sha256[0]) {
        char note[4400];
        asgml_train_progress p;
        memset(&p, 0, sizeof p);
        p.kind = ASGML_PROGRESS_NOTE;
        snprintf(note, sizeof note, "initialised %d tensors from %s (sha256 %.16s...)%s",
                 t->init_loaded, t->init_path, t->init_sha256,
                 t->init_missing ? "; the others keep their fresh values" : "");
        p.note = note;
        progress(t, &p);
    }
    if (t->composition && strcmp(t->composition, "sources") != 0) {
        char note[400];
        asgml_train_progress p;
        memset(&p, 0, sizeof p);
        p.kind = ASGML_PROGRESS_NOTE;
        snprintf(note, sizeof note, "composition '%s' is %s (no source runs it; "
                 "asgml-methods(7), TRAINING STEP)", t->method_spec,
                 strcmp(t->composition, "planned") == 0 ? "planned, not tested" : "untested");
        p.note = note;
        progress(t, &p);
    }
    for (int e = t->epochs_completed; e < t->epochs && st == ASGML_OK && !interrupted; e++)
        st = run_epoch(t, e, &interrupted);
    t->wall_seconds += asgml_train_now() - t0;
    if (st == ASGML_OK)
        *status = interrupted ? ASGML_RUN_INTERRUPTED : ASGML_RUN_COMPLETE;
    {
        /* summary.json last, also for a failed run (status "failed") */
        char err[600];
        asgml_status st2;
        snprintf(err, sizeof err, "%s", st == ASGML_OK ? "" : asgml_last_error());
        st2 = asgml_train_write_summary(t, *status, err);
        if (st != ASGML_OK)
            asgml_error(st, "%s", err);
        else
            st = st2;
    }
    return st;
}
