/* SPDX-License-Identifier: MIT */
/* optim.c - SGD and Adam/AdamW with PyTorch semantics over the model's
 * parameter views (asgml/optim.h).
 *
 * Updates go through the backend (sgd_update / adam_update) per run of
 * adjacent views, so a view whose group is inactive this step is skipped
 * entirely: no weight decay, no momentum, no step count (asgml-methods(7), OPTIMISER AND SCHEDULE).
 * Groups: encoder m (active[m]), fusion (always), head of modality m
 * (active[m]).  Per view step counts give PyTorch's "momentum buffer = g on
 * a parameter's first step" and Adam's bias corrections per parameter. */
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "nn/model_internal.h"
#include "asgml/hooks.h"
#include "asgml/optim.h"

struct asgml_optim {
    asgml_model *model;
    asgml_optim_config cfg;
    double base_lr;
    float *state[2];      /* SGD: momentum; Adam: m, v (backend, params layout) */
    int64_t *steps;       /* host, one per param view */
    int nviews;
    double group_lr[ASGML_GROUP_HEADS + 1];   /* override of base_lr * mult; < 0: none */
};

void asgml_optim_config_defaults(asgml_optim_config *c)
{
    memset(c, 0, sizeof *c);
    c->kind = ASGML_OPTIM_SGD;
    c->lr = 1e-3;
    c->momentum = 0.9;
    c->dampening = 0.0;
    c->weight_decay = 1e-4;
    c->nesterov = 0;
    c->beta1 = 0.9;
    c->beta2 = 0.999;
    c->eps = 1e-8;
    for (int g = 0; g <= ASGML_GROUP_HEADS; g++) c->group_lr_mult[g] = 1.0;
}

asgml_status asgml_optim_create(asgml_model *model, const asgml_optim_config *cfg,
                                asgml_optim **out)
{
    *out = NULL;
    if (cfg->kind < ASGML_OPTIM_SGD || cfg->kind > ASGML_OPTIM_ADAMW)
        return ASGML_ERR(ASGML_EINVAL, "unknown optimiser %d",
                           (int)cfg->kind);
    if (!(cfg->lr >= 0.0) || cfg->momentum < 0.0 || cfg->weight_decay < 0.0)
        return ASGML_ERR(ASGML_EINVAL, "lr, momentum and weight decay must be >= 0");
    if (cfg->kind == ASGML_OPTIM_SGD && cfg->nesterov && (cfg->momentum <= 0.0 || cfg->dampening != 0.0))
        return ASGML_ERR(ASGML_EINVAL, "Nesterov momentum requires a momentum "
                           "and zero dampening");
    if (cfg->kind != ASGML_OPTIM_SGD &&
        (cfg->beta1 < 0.0 || cfg->beta1 >= 1.0 || cfg->beta2 < 0.0 || cfg->beta2 >= 1.0 || cfg->eps < 0.0))
        return ASGML_ERR(ASGML_EINVAL, "Adam betas must be in [0, 1), eps >= 0");
    asgml_backend *be = model->be;
    asgml_optim *o = calloc(1, sizeof *o);
    if (!o) return ASGML_ERR(ASGML_ENOMEM, "out of memory");
    o->model = model;
    o->cfg = *cfg;
    o->base_lr = cfg->lr;
    for (int g = 0; g <= ASGML_GROUP_HEADS; g++) o->group_lr[g] = -1.0;
    for (int g = 0; g <= ASGML_GROUP_HEADS; g++)
        if (o->cfg.group_lr_mult[g] == 0.0) o->cfg.group_lr_mult[g] = 1.0;
    o->nviews = model->reg.nviews;
    o->steps = calloc((size_t)(o->nviews ? o->nviews : 1), sizeof *o->steps);
    asgml_status st = o->steps ? ASGML_OK
                               : ASGML_ERR(ASGML_ENOMEM, "out of memory");
    int nstate = cfg->kind == ASGML_OPTIM_SGD ? (cfg->momentum != 0.0) : 2;
    size_t bytes = (size_t)model->reg.nparams * sizeof(float);
    for (int k = 0; k < nstate && st == ASGML_OK; k++) {
        st = be->ops->alloc(be, bytes, (void **)&o->state[k]);
        if (st == ASGML_OK) st = be->ops->fill(be, model->reg.nparams, 0.0f, o->state[k]);
    }
    if (st != ASGML_OK) {
        asgml_optim_free(o);
        return st;
    }
    *out = o;
    return ASGML_OK;
}

void asgml_optim_free(asgml_optim *o)
{
    if (!o) return;
    asgml_backend *be = o->model->be;
    for (int k = 0; k < 2; k++)
        if (o->state[k]) be->ops->free(be, o->state[k]);
    free(o->steps);
    free(o);
}

static double group_mult(const asgml_optim *o, int group)
{
    if (group < 0 || group > ASGML_GROUP_HEADS) return 1.0;
    return o->cfg.group_lr_mult[group];
}

void asgml_optim_set_lr(asgml_optim *o, double base_lr) { o->base_lr = base_lr; }

double asgml_optim_group_lr(const asgml_optim *o, int group)
{
    if (group >= 0 && group <= ASGML_GROUP_HEADS && o->group_lr[group] >= 0.0)
        return o->group_lr[group];
    return o->base_lr * group_mult(o, group);
}

void asgml_optim_set_group_lr(asgml_optim *o, int group, double lr)
{
    if (group >= 0 && group <= ASGML_GROUP_HEADS) o->group_lr[group] = lr < 0.0 ? -1.0 : lr;
}

asgml_status asgml_optim_clone(const asgml_optim *src, asgml_model *model, asgml_optim **out)
{
    asgml_backend *be = model->be;
    asgml_optim *o;
    if (model->reg.nparams != src->model->reg.nparams || model->reg.nviews != src->nviews)
        return ASGML_ERR(ASGML_EINVAL, "clone onto a model of another layout");
    CK(asgml_optim_create(model, &src->cfg, &o));
    o->base_lr = src->base_lr;
    memcpy(o->group_lr, src->group_lr, sizeof o->group_lr);
    memcpy(o->steps, src->steps, (size_t)src->nviews * sizeof *o->steps);
    for (int k = 0; k < 2; k++)
        if (src->state[k] && o->state[k]) {
            asgml_status st = be->ops->copy(be, model->reg.nparams, src->state[k], o->state[k]);
            if (st != ASGML_OK) {
                asgml_optim_free(o);
                return st;
            }
        }
    *out = o;
    return ASGML_OK;
}

/* is view v skipped this step?  Encoder m's views when enc[m] == 0, the
 * unimodal head of modality m (heads provider, head_of = m) when
 * head[m] == 0; either array may be NULL (nothing skipped). */
static int view_skipped(const asgml_model *m, int v, const int *enc, const int *head)
{
    const asgml_param_view *pv = &m->reg.views[v];
    if (pv->group < ASGML_MAX_MODALITIES)
        return enc && !enc[pv->group];
    if (pv->group == ASGML_GROUP_HEADS && pv->head_of >= 0)
        return head && !head[pv->head_of];
    return 0;
}

/* Views are updated in runs: consecutive views that are adjacent in the
 * parameter buffer, have the same learning rate and the same step count go
 * through one backend call (the update is elementwise, so the result is the
 * same as one call per view; a ResNet18 pair has 122 views and few runs). */
asgml_status asgml_optim_step(asgml_optim *o, const int *active)
{
    return asgml_optim_step_groups(o, active, active);
}

asgml_status asgml_optim_step_groups(asgml_optim *o, const int *enc_active,
                                     const int *head_active)
{
    asgml_model *m = o->model;
    asgml_backend *be = m->be;
    const asgml_optim_config *c = &o->cfg;
    for (int v = 0; v < o->nviews;) {
        const asgml_param_view *pv = &m->reg.views[v];
        if (view_skipped(m, v, enc_active, head_active)) {
            v++;
            continue;
        }
        float lr = (float)asgml_optim_group_lr(o, pv->group);
        int64_t step = ++o->steps[v];
        int64_t numel = pv->numel;
        int u = v + 1;
        while (u < o->nviews && !view_skipped(m, u, enc_active, head_active) &&
               m->reg.views[u].offset == pv->offset + numel &&
               (float)asgml_optim_group_lr(o, m->reg.views[u].group) == lr &&
               o->steps[u] + 1 == step) {
            ++o->steps[u];
            numel += m->reg.views[u].numel;
            u++;
        }
        float *p = m->params + pv->offset;
        const float *g = m->grads + pv->offset;
        if (c->kind == ASGML_OPTIM_SGD) {
            float *mom = o->state[0] ? o->state[0] + pv->offset : NULL;
            CK(be->ops->sgd_update(be, numel, p, g, mom, lr, (float)c->momentum,
                                          (float)c->dampening, (float)c->weight_decay,
                                          c->nesterov, step == 1));
        } else {
            CK(be->ops->adam_update(be, numel, p, g, o->state[0] + pv->offset,
                                           o->state[1] + pv->offset, lr, (float)c->beta1,
                                           (float)c->beta2, (float)c->eps,
                                           (float)c->weight_decay,
                                           c->kind == ASGML_OPTIM_ADAMW, step));
        }
        v = u;
    }
    return ASGML_OK;
}

float *asgml_optim_state_buffer(asgml_optim *o, int which)
{
    return (which == 0 || which == 1) ? o->state[which] : NULL;
}

int64_t *asgml_optim_view_steps(asgml_optim *o) { return o->steps; }
