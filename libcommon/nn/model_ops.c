/* SPDX-License-Identifier: MIT */
/* model_ops.c - whole-model and per-group operations for the method
 * services of asgml/hooks.h: clone, snapshots, blending, re-initialisation,
 * feature masks, gradient scaling; and shadow models that share a model's
 * parameters, gradients and BN buffers but own their activations (extra
 * forward passes, e.g. the input-zeroed passes of AGM, Li et al., "Boosting
 * Multi-modal Model Performance with Adaptive Gradient Modulation", ICCV
 * 2023, official code model/CREMAD_net.py). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "asgml/hooks.h"
#include "nn/model_internal.h"
#include "nn/model_ops.h"

#define OPS(m) ((m)->be->ops)

static asgml_status check_group(const asgml_model *m, int group)
{
    if ((group >= 0 && group < m->n) || group == ASGML_GROUP_FUSION || group == ASGML_GROUP_HEADS)
        return ASGML_OK;
    return ASGML_ERR(ASGML_EINVAL, "no parameter group %d", group);
}

asgml_status asgml_model_clone(const asgml_model *src, asgml_model **out)
{
    asgml_model *m;
    asgml_backend *be = src->be;
    *out = NULL;
    CK(asgml_model_create(be, &src->cfg, &m));
    asgml_status st = be->ops->copy(be, src->reg.nparams, src->params, m->params);
    if (st == ASGML_OK && src->reg.nbuffers > 0)
        st = be->ops->copy(be, src->reg.nbuffers, src->buffers, m->buffers);
    if (st == ASGML_OK)
        st = asgml_model_zero_grad(m);
    if (st != ASGML_OK) {
        asgml_model_free(m);
        return st;
    }
    m->dropout_seed = src->dropout_seed;
    m->dropout_offset = src->dropout_offset;
    memcpy(m->fuse_lambda, src->fuse_lambda, sizeof m->fuse_lambda);
    *out = m;
    return ASGML_OK;
}

asgml_status asgml_model_snapshot(asgml_model *m, int group, float **snap)
{
    int64_t off, cnt;
    *snap = NULL;
    CK(check_group(m, group));
    asgml_model_group_span(m, group, &off, &cnt);
    CK(OPS(m)->alloc(m->be, (size_t)(cnt > 0 ? cnt : 1) * sizeof(float), (void **)snap));
    if (cnt > 0)
        CK(OPS(m)->copy(m->be, cnt, m->params + off, *snap));
    return ASGML_OK;
}

void asgml_model_snapshot_free(asgml_model *m, float *snap)
{
    if (snap)
        OPS(m)->free(m->be, snap);
}

asgml_status asgml_model_restore(asgml_model *m, int group, const float *snap)
{
    int64_t off, cnt;
    CK(check_group(m, group));
    asgml_model_group_span(m, group, &off, &cnt);
    return cnt > 0 ? OPS(m)->copy(m->be, cnt, snap, m->params + off) : ASGML_OK;
}

asgml_status asgml_model_blend(asgml_model *m, int group, float alpha, const float *a,
                               const float *b)
{
    int64_t off, cnt;
    float *tmp = NULL;
    asgml_status st;
    CK(check_group(m, group));
    asgml_model_group_span(m, group, &off, &cnt);
    if (cnt <= 0)
        return ASGML_OK;
    float *theta = m->params + off;
    if (!a) a = theta;
    if (!b) b = theta;
    CK(OPS(m)->alloc(m->be, (size_t)cnt * sizeof(float), (void **)&tmp));
    /* tmp = (1 - alpha) b + alpha a */
    st = OPS(m)->copy(m->be, cnt, b, tmp);
    if (st == ASGML_OK) st = OPS(m)->scale(m->be, cnt, 1.0f - alpha, tmp);
    if (st == ASGML_OK) st = OPS(m)->axpy(m->be, cnt, alpha, a, tmp);
    if (st == ASGML_OK) st = OPS(m)->copy(m->be, cnt, tmp, theta);
    OPS(m)->free(m->be, tmp);
    return st;
}

asgml_status asgml_model_reinit_group(asgml_model *m, int group, uint64_t seed)
{
    asgml_model_config c = m->cfg;
    asgml_model *fresh;
    int64_t off, cnt;
    CK(check_group(m, group));
    c.max_batch = 1;     /* only the parameters are needed: a small arena */
    CK(asgml_model_create(m->be, &c, &fresh));
    asgml_status st = asgml_model_init_params(fresh, seed);
    asgml_model_group_span(m, group, &off, &cnt);
    if (st == ASGML_OK && cnt > 0)
        st = OPS(m)->copy(m->be, cnt, fresh->params + off, m->params + off);
    for (int v = 0; v < m->reg.nbviews && st == ASGML_OK; v++)
        if (m->reg.bviews[v].group == group)
            st = OPS(m)->copy(m->be, m->reg.bviews[v].numel, fresh->buffers + m->reg.bviews[v].offset,
                              m->buffers + m->reg.bviews[v].offset);
    asgml_model_free(fresh);
    return st;
}

asgml_status asgml_model_set_feature_mask(asgml_model *m, int mod, const float *mask)
{
    if (mod < 0 || mod >= m->n)
        return ASGML_ERR(ASGML_EINVAL, "no modality %d", mod);
    m->feat_mask[mod] = mask;
    return ASGML_OK;
}

asgml_status asgml_model_set_feature_grad(asgml_model *m, int mod, const float *dfeat)
{
    if (mod < 0 || mod >= m->n)
        return ASGML_ERR(ASGML_EINVAL, "no modality %d", mod);
    m->feat_grad[mod] = dfeat;
    return ASGML_OK;
}

asgml_status asgml_model_scale_group_grad(asgml_model *m, int group, float s)
{
    int64_t off, cnt;
    CK(check_group(m, group));
    asgml_model_group_span(m, group, &off, &cnt);
    return cnt > 0 ? OPS(m)->scale(m->be, cnt, s, m->grads + off) : ASGML_OK;
}

asgml_status asgml_model_clip_grad_norm(asgml_model *m, double max_norm, double *norm,
                                        int *fired)
{
    double sumsq = 0.0;
    if (fired) *fired = 0;
    if (!(max_norm > 0.0))
        return ASGML_ERR(ASGML_EINVAL, "clip: max_norm %g is not positive", max_norm);
    CK(OPS(m)->sumsq(m->be, m->reg.nparams, m->grads, &sumsq));
    double total = sqrt(sumsq);
    if (norm) *norm = total;
    if (!isfinite(total))
        return ASGML_ERR(ASGML_ENUMERIC, "clip: gradient norm is %g", total);
    double coef = max_norm / (total + 1e-6);
    if (coef < 1.0) {
        CK(OPS(m)->scale(m->be, m->reg.nparams, (float)coef, m->grads));
        if (fired) *fired = 1;
    }
    return ASGML_OK;
}

/* ---- shadow models ------------------------------------------------------------ */

struct model_shadow {
    asgml_model *m;
    float *own[3];      /* the shadow's own params/grads/buffers, freed with it */
};

asgml_status model_shadow_create(asgml_model *src, model_shadow **out)
{
    model_shadow *sh = calloc(1, sizeof *sh);
    *out = NULL;
    if (!sh)
        return ASGML_ERR(ASGML_ENOMEM, "out of memory");
    asgml_status st = asgml_model_create(src->be, &src->cfg, &sh->m);
    if (st != ASGML_OK) {
        free(sh);
        return st;
    }
    sh->own[0] = sh->m->params;
    sh->own[1] = sh->m->grads;
    sh->own[2] = sh->m->buffers;
    sh->m->lambda_src = src;      /* fusion none: the source's fixed weights */
    st = model_bind(sh->m, src->params, src->grads, src->buffers);
    if (st != ASGML_OK) {
        model_shadow_free(sh);
        return st;
    }
    sh->m->dropout_seed = src->dropout_seed ^ 0x5348414430570000ull;
    *out = sh;
    return ASGML_OK;
}

asgml_model *model_shadow_model(model_shadow *sh) { return sh->m; }

void model_shadow_free(model_shadow *sh)
{
    if (!sh)
        return;
    if (sh->m) {
        sh->m->params = sh->own[0];
        sh->m->grads = sh->own[1];
        sh->m->buffers = sh->own[2];
        asgml_model_free(sh->m);
    }
    free(sh);
}
