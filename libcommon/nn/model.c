/* SPDX-License-Identifier: MIT */
/* model.c - the multimodal late-fusion model (asgml/model.h): creation,
 * the parameter and activation layout, forward/backward orchestration,
 * dropout on the fusion input.  Encoders are in resnet.c and mlp.c, the
 * fusion head and unimodal logits in fusion.c, the layers they compose in
 * linear.c, conv.c, batchnorm.c, pool.c, dropout.c; the view registry and
 * arena in params.c; initialisation in init.c.
 *
 * Every tensor operation goes through the backend table (be->ops); this
 * file never touches tensor data, so it runs unchanged on every backend.
 *
 * Naming (PyTorch state_dict of the OGM-GE code, asgml-methods(7), MODEL and UNIMODAL LOGITS):
 *   "<modality>_net.conv1.weight", "<modality>_net.bn1.{weight,bias}",
 *   "<modality>_net.layerS.B.{conv1,bn1,conv2,bn2}.*",
 *   "<modality>_net.layerS.B.downsample.{0,1}.*"  (ResNet encoders);
 *   "<modality>_net.fc1.*", "<modality>_net.fc2.*" (MLP encoders);
 *   fusion "fusion_module.*" (see fusion.c); heads "head_<modality>.*".
 * BN buffers "....running_mean", "....running_var"; num_batches_tracked is
 * omitted (momentum is fixed at 0.1, so it is never read). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "nn/model_internal.h"

void asgml_model_config_defaults(asgml_model_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->num_modalities = 2;
    for (int m = 0; m < ASGML_MAX_MODALITIES; m++) {
        cfg->enc[m].kind = ASGML_ENC_RESNET18;
        cfg->enc[m].frames = 1;
    }
    snprintf(cfg->enc[0].name, sizeof cfg->enc[0].name, "audio");
    cfg->enc[0].in_channels = 1;
    cfg->enc[0].in_h = 257;
    cfg->enc[0].in_w = 188;
    snprintf(cfg->enc[1].name, sizeof cfg->enc[1].name, "visual");
    cfg->enc[1].in_channels = 3;
    cfg->enc[1].in_h = 224;
    cfg->enc[1].in_w = 224;
    cfg->width = 64;
    for (int s = 0; s < 4; s++) cfg->blocks[s] = 2;
    cfg->feature_dim = 512;
    cfg->num_classes = 6;
    cfg->fusion = ASGML_FUSION_CONCAT;
    cfg->uni = ASGML_UNI_SPLIT;
    cfg->max_batch = 64;
}

static asgml_status check_config(const asgml_model_config *c)
{
    if (c->num_modalities < 1 || c->num_modalities > ASGML_MAX_MODALITIES)
        return ASGML_ERR(ASGML_EINVAL, "num_modalities %d not in 1..%d",
                           c->num_modalities, ASGML_MAX_MODALITIES);
    if ((unsigned)c->feature_norm > ASGML_FEATURE_NORM_LAYERNORM)
        return ASGML_ERR(ASGML_EINVAL, "feature_norm %d unknown", (int)c->feature_norm);
    if (c->num_classes < 1 || c->max_batch < 1)
        return ASGML_ERR(ASGML_EINVAL, "num_classes %d and max_batch %d must be >= 1", c->num_classes, c->max_batch);
    if (c->dropout < 0.0f || c->dropout >= 1.0f)
        return ASGML_ERR(ASGML_EINVAL, "dropout %g not in [0, 1)",
                           (double)c->dropout);
    for (int m = 0; m < c->num_modalities; m++) {
        const asgml_encoder_config *e = &c->enc[m];
        if (!e->name[0] || strchr(e->name, '.'))
            return ASGML_ERR(ASGML_EINVAL, "modality %d: name empty or contains '.'", m);
        for (int j = 0; j < m; j++)
            if (!strcmp(c->enc[j].name, e->name))
                return ASGML_ERR(ASGML_EINVAL, "modality name '%s' used twice", e->name);
        if (e->kind == ASGML_ENC_RESNET18) {
            if (c->width < 1 || e->in_channels < 1 || e->in_h < 1 || e->in_w < 1 || e->frames < 1)
                return ASGML_ERR(ASGML_EINVAL, "%s: resnet needs width, channels, "
                                   "size and frames >= 1", e->name);
            for (int s = 0; s < 4; s++)
                if (c->blocks[s] < 1)
                    return ASGML_ERR(ASGML_EINVAL, "blocks[%d] = %d < 1",
                                       s, c->blocks[s]);
            if (c->feature_dim != 8 * c->width)
                return ASGML_ERR(ASGML_EINVAL, "%s: resnet feature_dim must be "
                                   "8*width = %d, got %d", e->name, 8 * c->width,
                                   c->feature_dim);
        } else if (e->kind == ASGML_ENC_MLP) {
            if (e->in_dim < 1 || e->hidden < 0)
                return ASGML_ERR(ASGML_EINVAL, "%s: mlp needs in_dim >= 1",
                                   e->name);
        } else {
            return ASGML_ERR(ASGML_EINVAL, "%s: unknown encoder kind %d",
                               e->name, (int)e->kind);
        }
    }
    if (c->feature_dim < 1)
        return ASGML_ERR(ASGML_EINVAL, "feature_dim %d < 1", c->feature_dim);
    if ((c->fusion == ASGML_FUSION_FILM || c->fusion == ASGML_FUSION_GATED) && c->num_modalities != 2)
        return ASGML_ERR(ASGML_EINVAL, "film/gated fusion needs exactly 2 modalities");
    if (c->fusion < ASGML_FUSION_CONCAT || c->fusion > ASGML_FUSION_NONE)
        return ASGML_ERR(ASGML_EINVAL, "unknown fusion %d", (int)c->fusion);
    if (c->fusion == ASGML_FUSION_NONE && c->uni != ASGML_UNI_HEADS && c->uni != ASGML_UNI_SHARED)
        return ASGML_ERR(ASGML_EINVAL, "fusion none needs unimodal heads (uni heads or shared)");
    if (c->uni == ASGML_UNI_SHARED && c->uni_detach)
        return ASGML_ERR(ASGML_EINVAL, "the shared unimodal head does not support uni_detach");
    if (c->fuse_weights != ASGML_FUSE_MEAN &&
        ((c->fuse_weights != ASGML_FUSE_ENTROPY && c->fuse_weights != ASGML_FUSE_ENTROPY_BATCH) ||
         c->fusion != ASGML_FUSION_NONE))
        return ASGML_ERR(ASGML_EINVAL, "fuse_weights %d: entropy weights need fusion none",
                         (int)c->fuse_weights);
    for (int i = 0; i < ASGML_MAX_MODALITIES; i++)
        if (c->fuse_lambda[i] != 0.0f &&
            (c->fusion != ASGML_FUSION_NONE || c->fuse_weights != ASGML_FUSE_MEAN ||
             i >= c->num_modalities || !(c->fuse_lambda[i] >= 0.0f)))
            return ASGML_ERR(ASGML_EINVAL, "fuse_lambda: fixed fusion weights need fusion none "
                             "with mean weights, one value >= 0 per modality");
    if (c->head_two_layer && c->fusion != ASGML_FUSION_CONCAT)
        return ASGML_ERR(ASGML_EINVAL, "the two-layer head needs concat fusion");
    if (c->uni < ASGML_UNI_NONE || c->uni > ASGML_UNI_SHARED)
        return ASGML_ERR(ASGML_EINVAL, "unknown unimodal provider %d",
                           (int)c->uni);
    if (c->uni == ASGML_UNI_SPLIT && c->fusion != ASGML_FUSION_CONCAT && c->fusion != ASGML_FUSION_SUM)
        return ASGML_ERR(ASGML_EINVAL, "film/gated fusion has no split unimodal "
                           "logits (asgml-methods(7), UNIMODAL LOGITS): use heads");
    if (c->uni == ASGML_UNI_ZERO && c->fusion != ASGML_FUSION_CONCAT && c->fusion != ASGML_FUSION_SUM)
        return ASGML_ERR(ASGML_ENOTSUP, "the zero unimodal provider is implemented "
                           "for concat and sum fusion only");
    return ASGML_OK;
}

/* x (B*D floats) *= the feature mask of modality i, if one is set
 * (asgml_model_set_feature_mask: between encoder and fusion) */
static asgml_status model_mask_features(asgml_model *m, int i, int64_t bd, float *x)
{
    if (!m->feat_mask[i])
        return ASGML_OK;
    return m->be->ops->mul(m->be, bd, x, m->feat_mask[i], x);
}

/* Lays out views and the arena.  Run twice: m->reg.arena.base == NULL counts. */
static asgml_status model_build(asgml_model *m)
{
    const asgml_model_config *c = &m->cfg;
    nn_params *p = &m->reg;
    int bmax = c->max_batch;
    nn_params_rewind(p);
    int64_t scratch = 0, pooled = 0, chans = 0;
    for (int i = 0; i < m->n; i++) {
        encoder *e = &m->enc[i];
        char prefix[64];
        snprintf(prefix, sizeof prefix, "%s_net.", e->cfg.name);
        if (e->cfg.kind == ASGML_ENC_RESNET18) {
            CK(resnet_build(&e->r, p, i, prefix, &e->cfg, c->width, c->blocks, bmax));
            int64_t frames = (int64_t)bmax * e->cfg.frames;
            if (e->r.max_frame_act * frames > scratch) scratch = e->r.max_frame_act * frames;
            if (frames * m->D > pooled) pooled = frames * m->D;
            if (frames * 8 * c->width > chans) chans = frames * 8 * c->width;
        } else {
            mlp_build(&e->mlp, p, i, prefix, e->cfg.in_dim, e->cfg.hidden, m->D, bmax);
        }
        e->feat = model_arena_take(&p->arena, (int64_t)bmax * m->D);
        e->dfeat = model_arena_take(&p->arena, (int64_t)bmax * m->D);
        if (c->dropout > 0.0f) {
            e->fin = model_arena_take(&p->arena, (int64_t)bmax * m->D);
            e->dfin = model_arena_take(&p->arena, (int64_t)bmax * m->D);
            e->mask = model_arena_take(&p->arena, (int64_t)bmax * m->D);
        } else {
            e->fin = e->feat;
            e->dfin = e->dfeat;
            e->mask = NULL;
        }
    }
    CK(fusion_build(&m->fu, p, &m->cfg, m->D));
    m->fu.lambda = (m->lambda_src ? m->lambda_src : m)->fuse_lambda;
    m->frame_scratch = scratch;
    for (int k = 0; k < 6; k++) m->scratch[k] = scratch ? model_arena_take(&p->arena, scratch) : NULL;
    m->dpooled = pooled ? model_arena_take(&p->arena, pooled) : NULL;
    m->chan_scratch = chans ? model_arena_take(&p->arena, chans) : NULL;
    m->chan_ones = chans ? model_arena_take(&p->arena, 8 * (int64_t)c->width) : NULL;
    m->chan_zeros = chans ? model_arena_take(&p->arena, 8 * (int64_t)c->width) : NULL;
    return nn_params_check(p);
}

asgml_status asgml_model_create(asgml_backend *be, const asgml_model_config *cfg,
                                asgml_model **out)
{
    *out = NULL;
    CK(check_config(cfg));
    CK(asgml_backend_require(be, NULL, 0)); /* the model, optimisers, methods use all */
    asgml_model *m = calloc(1, sizeof *m);
    if (!m) return ASGML_ERR(ASGML_ENOMEM, "out of memory");
    m->be = be;
    m->cfg = *cfg;
    m->n = cfg->num_modalities;
    m->D = cfg->feature_dim;
    m->C = cfg->num_classes;
    for (int i = 0; i < m->n; i++) {
        m->enc[i].cfg = cfg->enc[i];
        if (m->enc[i].cfg.frames < 1) m->enc[i].cfg.frames = 1;
        if (m->enc[i].cfg.kind == ASGML_ENC_MLP && m->enc[i].cfg.hidden == 0)
            m->enc[i].cfg.hidden = m->D;
        m->enc[i].present = 1;
        m->fuse_lambda[i] = 1.0f / (float)m->n;
    }
    for (int i = 0; i < m->n; i++)
        if (cfg->fuse_lambda[i] != 0.0f) {   /* configured fixed weights */
            for (int j = 0; j < m->n; j++)
                m->fuse_lambda[j] = cfg->fuse_lambda[j];
            break;
        }
    dropout_build(&m->drop, cfg->dropout);
    asgml_status st = ASGML_OK;
    for (int i = 0; i < m->n && st == ASGML_OK; i++)
        st = featnorm_build(&m->enc[i].norm, cfg->feature_norm, m->D, cfg->max_batch);
    if (st != ASGML_OK) goto fail;
    st = model_build(m);     /* counting pass */
    if (st != ASGML_OK) goto fail;
    const asgml_backend_ops *o = be->ops;
    int64_t nparams = m->reg.nparams;
    st = o->alloc(be, (size_t)nparams * sizeof(float), (void **)&m->params);
    if (st == ASGML_OK)
        st = o->alloc(be, (size_t)nparams * sizeof(float), (void **)&m->grads);
    if (st == ASGML_OK && m->reg.nbuffers)
        st = o->alloc(be, (size_t)m->reg.nbuffers * sizeof(float), (void **)&m->buffers);
    if (st == ASGML_OK)
        st = o->alloc(be, (size_t)m->reg.arena.used * sizeof(float), (void **)&m->arena_mem);
    if (st != ASGML_OK) goto fail;
    int64_t arena_size = m->reg.arena.used;
    m->reg.params = m->params;
    m->reg.grads = m->grads;
    m->reg.buffers = m->buffers;
    m->reg.arena.base = m->arena_mem;
    st = model_build(m);                  /* real pass: same layout, pointers resolved */
    if (st != ASGML_OK) goto fail;
    if (m->reg.arena.used != arena_size || m->reg.nparams != nparams) {
        st = ASGML_ERR(ASGML_EINTERNAL, "arena layout changed between passes");
        goto fail;
    }
    /* zeroed memory: no stale NaN can reach a beta = 0 gemm or a += op */
    st = o->fill(be, nparams, 0.0f, m->grads);
    if (st == ASGML_OK) st = o->fill(be, arena_size, 0.0f, m->arena_mem);
    if (st == ASGML_OK && m->fu.ones) st = o->fill(be, cfg->max_batch, 1.0f, m->fu.ones);
    if (st == ASGML_OK && m->chan_ones) st = o->fill(be, 8 * (int64_t)cfg->width, 1.0f, m->chan_ones);
    if (st == ASGML_OK) st = asgml_model_init_params(m, 0);
    if (st != ASGML_OK) goto fail;
    *out = m;
    return ASGML_OK;
fail:
    asgml_model_free(m);
    return st;
}

/* Points m's layers at other parameter, gradient and buffer arrays of the
 * same layout (the shadow models of model_ops.c share their source's); the
 * activation arena stays m's own.  Re-runs the build's real pass, which
 * resolves every layer's views against the new arrays. */
asgml_status model_bind(asgml_model *m, float *params, float *grads, float *buffers)
{
    int64_t nparams = m->reg.nparams, arena_size = m->reg.arena.used;
    m->params = m->reg.params = params;
    m->grads = m->reg.grads = grads;
    m->buffers = m->reg.buffers = buffers;
    CK(model_build(m));
    if (m->reg.arena.used != arena_size || m->reg.nparams != nparams)
        return ASGML_ERR(ASGML_EINTERNAL, "layout changed on rebinding");
    return ASGML_OK;
}

void asgml_model_free(asgml_model *m)
{
    if (!m) return;
    asgml_backend *be = m->be;
    if (m->params) be->ops->free(be, m->params);
    if (m->grads) be->ops->free(be, m->grads);
    if (m->buffers) be->ops->free(be, m->buffers);
    if (m->arena_mem) be->ops->free(be, m->arena_mem);
    for (int i = 0; i < m->n; i++) {
        resnet_free(&m->enc[i].r);
        featnorm_free(&m->enc[i].norm);
    }
    nn_params_free(&m->reg);
    free(m);
}

const asgml_model_config *asgml_model_get_config(const asgml_model *m) { return &m->cfg; }
int64_t asgml_model_num_params(const asgml_model *m) { return m->reg.nparams; }
float *asgml_model_params(asgml_model *m) { return m->params; }
float *asgml_model_grads(asgml_model *m) { return m->grads; }
int64_t asgml_model_num_buffers(const asgml_model *m) { return m->reg.nbuffers; }
float *asgml_model_buffers(asgml_model *m) { return m->buffers; }
int asgml_model_feature_dim(const asgml_model *m) { return m->D; }

const asgml_param_view *asgml_model_param_views(const asgml_model *m, int *count)
{
    *count = m->reg.nviews;
    return m->reg.views;
}

const asgml_param_view *asgml_model_buffer_views(const asgml_model *m, int *count)
{
    *count = m->reg.nbviews;
    return m->reg.bviews;
}

void asgml_model_group_span(const asgml_model *m, int group, int64_t *offset, int64_t *count)
{
    int64_t lo = -1, hi = -1;
    for (int i = 0; i < m->reg.nviews; i++) {
        const asgml_param_view *v = &m->reg.views[i];
        if (v->group != group) continue;
        if (lo < 0) lo = v->offset;
        hi = v->offset + v->numel;
    }
    *offset = lo < 0 ? 0 : lo;
    *count = lo < 0 ? 0 : hi - lo;
}

asgml_status asgml_model_set_fusion_weights(asgml_model *m, const float *lambda)
{
    if (m->cfg.fusion != ASGML_FUSION_NONE || m->cfg.fuse_weights != ASGML_FUSE_MEAN)
        return ASGML_ERR(ASGML_EINVAL, "fusion weights: the model's fusion is not 'none' with "
                         "fixed (mean) weights");
    for (int i = 0; i < m->n; i++)
        m->fuse_lambda[i] = lambda ? lambda[i] : 1.0f / (float)m->n;
    return ASGML_OK;
}

void asgml_model_dropout_state(const asgml_model *m, uint64_t *seed, uint64_t *offset)
{
    *seed = m->dropout_seed;
    *offset = m->dropout_offset;
}

void asgml_model_set_dropout_state(asgml_model *m, uint64_t seed, uint64_t offset)
{
    m->dropout_seed = seed;
    m->dropout_offset = offset;
}

asgml_status asgml_model_forward(asgml_model *m, const float *const *inputs, int batch,
                                 int training, const int *present)
{
    asgml_backend *be = m->be;
    if (batch < 1 || batch > m->cfg.max_batch)
        return ASGML_ERR(ASGML_EINVAL, "batch %d not in 1..max_batch %d",
                           batch, m->cfg.max_batch);
    m->batch = batch;
    m->training = training ? 1 : 0;
    int64_t bd = (int64_t)batch * m->D;
    for (int i = 0; i < m->n; i++) {
        encoder *e = &m->enc[i];
        e->present = present ? (present[i] != 0) : 1;
        e->input = inputs ? inputs[i] : NULL;
        if (!e->present) {
            CK(be->ops->fill(be, bd, 0.0f, e->feat));
        } else {
            if (!e->input)
                return ASGML_ERR(ASGML_EINVAL, "no input for modality %s",
                                   e->cfg.name);
            if (e->cfg.kind == ASGML_ENC_RESNET18)
                CK(resnet_forward(be, &e->r, batch, m->training, e->input, e->feat));
            else
                CK(mlp_forward(be, &e->mlp, batch, e->input, e->feat));
            CK(model_mask_features(m, i, bd, e->feat));
            if (m->cfg.feature_norm != ASGML_FEATURE_NORM_NONE)   /* v1 5.3 mitigation 4 */
                CK(featnorm_forward(be, &e->norm, batch, e->feat, e->feat));
        }
        if (m->cfg.dropout > 0.0f) {
            if (m->training) {
                /* inverted dropout on f_m (B, D) */
                CK(dropout_forward(be, &m->drop, bd, m->dropout_seed, &m->dropout_offset,
                                          e->feat, e->fin, e->mask));
            } else {
                CK(be->ops->copy(be, bd, e->feat, e->fin));
            }
        }
    }
    const float *fin[ASGML_MAX_MODALITIES], *feat[ASGML_MAX_MODALITIES];
    for (int i = 0; i < m->n; i++) {
        fin[i] = m->enc[i].fin;
        feat[i] = m->enc[i].feat;
    }
    return fusion_forward(be, &m->fu, batch, fin, feat);
}

const float *asgml_model_features(const asgml_model *m, int mod)
{
    return (mod >= 0 && mod < m->n) ? m->enc[mod].feat : NULL;
}

double asgml_model_feature_raw_norm(const asgml_model *m, int mod)
{
    if (mod < 0 || mod >= m->n || !m->enc[mod].present) return NAN;
    return featnorm_mean_raw_norm(&m->enc[mod].norm);
}

const float *asgml_model_logits(const asgml_model *m) { return m->fu.logits; }

const float *asgml_model_unimodal_logits(const asgml_model *m, int mod)
{
    if (m->cfg.uni == ASGML_UNI_NONE || mod < 0 || mod >= m->n) return NULL;
    return m->fu.uni[mod];
}

asgml_status asgml_model_backward(asgml_model *m, const float *dlogits,
                                  const float *const *duni, const int *encoder_active)
{
    asgml_backend *be = m->be;
    int batch = m->batch;
    if (batch < 1)
        return ASGML_ERR(ASGML_EINVAL, "backward before forward");
    int64_t bd = (int64_t)batch * m->D;
    for (int i = 0; i < m->n; i++) {
        CK(be->ops->fill(be, bd, 0.0f, m->enc[i].dfeat));
        if (m->enc[i].dfin != m->enc[i].dfeat)
            CK(be->ops->fill(be, bd, 0.0f, m->enc[i].dfin));
    }
    const float *fin[ASGML_MAX_MODALITIES], *feat[ASGML_MAX_MODALITIES];
    float *dfin[ASGML_MAX_MODALITIES], *dfeat[ASGML_MAX_MODALITIES];
    for (int i = 0; i < m->n; i++) {
        fin[i] = m->enc[i].fin;
        feat[i] = m->enc[i].feat;
        dfin[i] = m->enc[i].dfin;
        dfeat[i] = m->enc[i].dfeat;
    }
    CK(fusion_backward(be, &m->fu, batch, dlogits, duni, fin, feat, dfin, dfeat));
    /* gradient scratch shared by the ResNet encoders */
    resnet_scratch rs = { { m->scratch[0], m->scratch[1], m->scratch[2], m->scratch[3],
                            m->scratch[4] },
                          { m->scratch[5], m->chan_scratch, m->chan_ones, m->chan_zeros },
                          m->dpooled };
    for (int i = 0; i < m->n; i++) {
        encoder *e = &m->enc[i];
        if (encoder_active && !encoder_active[i]) continue;
        if (!e->present) continue;   /* a zeroed feature carries no gradient */
        if (e->dfin != e->dfeat) {
            if (m->training)
                CK(dropout_backward(be, &m->drop, bd, e->mask, e->dfin, e->dfeat));
            else
                CK(be->ops->axpy(be, bd, 1.0f, e->dfin, e->dfeat));
        }
        if (m->feat_grad[i])    /* asgml_model_set_feature_grad: a term on f_m alone */
            CK(be->ops->axpy(be, bd, 1.0f, m->feat_grad[i], e->dfeat));
        if (m->cfg.feature_norm != ASGML_FEATURE_NORM_NONE)   /* dL/df_m -> dL/d(raw f_m) */
            CK(featnorm_backward(be, &e->norm, e->dfeat, e->dfeat));
        CK(model_mask_features(m, i, bd, e->dfeat));
        if (e->cfg.kind == ASGML_ENC_RESNET18)
            CK(resnet_backward(be, &e->r, batch, m->training, e->input, e->dfeat, &rs));
        else
            CK(mlp_backward(be, &e->mlp, batch, e->input, e->dfeat, NULL));
    }
    return ASGML_OK;
}

asgml_status asgml_model_zero_grad(asgml_model *m)
{
    return m->be->ops->fill(m->be, m->reg.nparams, 0.0f, m->grads);
}
