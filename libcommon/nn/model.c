/* model.c - the multimodal late-fusion model (asgml/model.h): creation,
 * parameter views, the activation arena, forward/backward orchestration,
 * dropout on the fusion input.  Encoders are in resnet.c, the fusion head
 * and unimodal logits in fusion.c, initialisation in init.c.
 *
 * Every tensor operation goes through the backend table (be->ops); this
 * file never touches tensor data, so it runs unchanged on every backend.
 *
 * Naming (PyTorch state_dict of the OGM-GE code, methods.md 1.1-1.3):
 *   "<modality>_net.conv1.weight", "<modality>_net.bn1.{weight,bias}",
 *   "<modality>_net.layerS.B.{conv1,bn1,conv2,bn2}.*",
 *   "<modality>_net.layerS.B.downsample.{0,1}.*"  (ResNet encoders);
 *   "<modality>_net.fc1.*", "<modality>_net.fc2.*" (MLP encoders);
 *   fusion "fusion_module.*" (see fusion.c); heads "head_<modality>.*".
 * BN buffers "....running_mean", "....running_var"; num_batches_tracked is
 * omitted (momentum is fixed at 0.1, so it is never read). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

float *model_arena_take(model_arena *a, int64_t n)
{
    int64_t off = a->used;
    a->used += (n + 63) / 64 * 64;
    return a->base ? a->base + off : NULL;
}

static asgml_status add_view(asgml_param_view **views, int *nviews, int *cap, int64_t *total,
                             int group, int head_of, const char *name, int ndim,
                             const int64_t *shape, int64_t *offset)
{
    if (*nviews == *cap) {
        int ncap = *cap ? 2 * *cap : 64;
        asgml_param_view *nv = realloc(*views, (size_t)ncap * sizeof *nv);
        if (!nv) return asgml_error(ASGML_ENOMEM, "model.c:%d: out of memory for views", __LINE__);
        *views = nv;
        *cap = ncap;
    }
    asgml_param_view *v = &(*views)[(*nviews)++];
    memset(v, 0, sizeof *v);
    snprintf(v->name, sizeof v->name, "%s", name);
    v->ndim = ndim;
    v->numel = 1;
    for (int i = 0; i < ndim; i++) {
        v->shape[i] = shape[i];
        v->numel *= shape[i];
    }
    v->offset = *total;
    v->group = group;
    v->head_of = head_of;
    v->is_conv = ndim == 4;
    *total += v->numel;
    *offset = v->offset;
    return ASGML_OK;
}

/* Appends a parameter view; returns its offset, or -1 on allocation failure
 * (the error is recorded and model_build notices through m->nviews). */
int64_t model_add_param(asgml_model *m, int group, int head_of, const char *name, int ndim,
                        const int64_t *shape)
{
    int64_t off;
    if (add_view(&m->views, &m->nviews, &m->cap_views, &m->nparams, group, head_of, name, ndim,
                 shape, &off) != ASGML_OK)
        return -1;
    return off;
}

int64_t model_add_buffer(asgml_model *m, int group, const char *name, int64_t c)
{
    int64_t off;
    if (add_view(&m->bviews, &m->nbviews, &m->cap_bviews, &m->nbuffers, group, -1, name, 1, &c,
                 &off) != ASGML_OK)
        return -1;
    return off;
}

asgml_status linear_forward(asgml_backend *be, int rows, int in, int out, const float *x,
                            int ldx, const float *w, const float *b, float *y)
{
    /* y (rows, out) = x (rows, in) * w^T, w (out, in) */
    MODEL_TRY(be->ops->gemm(be, 0, 1, rows, out, in, 1.0f, x, ldx, w, in, 0.0f, y, out));
    if (b) MODEL_TRY(be->ops->bias_forward(be, rows, out, b, y));
    return ASGML_OK;
}

asgml_status linear_backward(asgml_backend *be, int rows, int in, int out, const float *x,
                             int ldx, const float *w, const float *dy, float *dw, float *db,
                             float *dx)
{
    /* dw (out, in) += dy^T (out, rows) * x (rows, in) */
    if (dw) MODEL_TRY(be->ops->gemm(be, 1, 0, out, in, rows, 1.0f, dy, out, x, ldx, 1.0f, dw, in));
    if (db) MODEL_TRY(be->ops->bias_backward(be, rows, out, dy, db));
    /* dx (rows, in) += dy (rows, out) * w (out, in) */
    if (dx) MODEL_TRY(be->ops->gemm(be, 0, 0, rows, in, out, 1.0f, dy, out, w, in, 1.0f, dx, ldx));
    return ASGML_OK;
}

static asgml_status check_config(const asgml_model_config *c)
{
    if (c->num_modalities < 1 || c->num_modalities > ASGML_MAX_MODALITIES)
        return asgml_error(ASGML_EINVAL, "model.c:%d: num_modalities %d not in 1..%d", __LINE__,
                           c->num_modalities, ASGML_MAX_MODALITIES);
    if (c->num_classes < 1 || c->max_batch < 1)
        return asgml_error(ASGML_EINVAL, "model.c:%d: num_classes %d and max_batch %d must be >= 1",
                           __LINE__, c->num_classes, c->max_batch);
    if (c->dropout < 0.0f || c->dropout >= 1.0f)
        return asgml_error(ASGML_EINVAL, "model.c:%d: dropout %g not in [0, 1)", __LINE__,
                           (double)c->dropout);
    for (int m = 0; m < c->num_modalities; m++) {
        const asgml_encoder_config *e = &c->enc[m];
        if (!e->name[0] || strchr(e->name, '.'))
            return asgml_error(ASGML_EINVAL, "model.c:%d: modality %d: name empty or contains '.'",
                               __LINE__, m);
        for (int j = 0; j < m; j++)
            if (!strcmp(c->enc[j].name, e->name))
                return asgml_error(ASGML_EINVAL, "model.c:%d: modality name '%s' used twice",
                                   __LINE__, e->name);
        if (e->kind == ASGML_ENC_RESNET18) {
            if (c->width < 1 || e->in_channels < 1 || e->in_h < 1 || e->in_w < 1 || e->frames < 1)
                return asgml_error(ASGML_EINVAL, "model.c:%d: %s: resnet needs width, channels, "
                                   "size and frames >= 1", __LINE__, e->name);
            for (int s = 0; s < 4; s++)
                if (c->blocks[s] < 1)
                    return asgml_error(ASGML_EINVAL, "model.c:%d: blocks[%d] = %d < 1", __LINE__,
                                       s, c->blocks[s]);
            if (c->feature_dim != 8 * c->width)
                return asgml_error(ASGML_EINVAL, "model.c:%d: %s: resnet feature_dim must be "
                                   "8*width = %d, got %d", __LINE__, e->name, 8 * c->width,
                                   c->feature_dim);
        } else if (e->kind == ASGML_ENC_MLP) {
            if (e->in_dim < 1 || e->hidden < 0)
                return asgml_error(ASGML_EINVAL, "model.c:%d: %s: mlp needs in_dim >= 1", __LINE__,
                                   e->name);
        } else {
            return asgml_error(ASGML_EINVAL, "model.c:%d: %s: unknown encoder kind %d", __LINE__,
                               e->name, (int)e->kind);
        }
    }
    if (c->feature_dim < 1)
        return asgml_error(ASGML_EINVAL, "model.c:%d: feature_dim %d < 1", __LINE__, c->feature_dim);
    if ((c->fusion == ASGML_FUSION_FILM || c->fusion == ASGML_FUSION_GATED) && c->num_modalities != 2)
        return asgml_error(ASGML_EINVAL, "model.c:%d: film/gated fusion needs exactly 2 modalities",
                           __LINE__);
    if (c->fusion < ASGML_FUSION_CONCAT || c->fusion > ASGML_FUSION_GATED)
        return asgml_error(ASGML_EINVAL, "model.c:%d: unknown fusion %d", __LINE__, (int)c->fusion);
    if (c->head_two_layer && c->fusion != ASGML_FUSION_CONCAT)
        return asgml_error(ASGML_EINVAL, "model.c:%d: the two-layer head needs concat fusion",
                           __LINE__);
    if (c->uni < ASGML_UNI_NONE || c->uni > ASGML_UNI_ZERO)
        return asgml_error(ASGML_EINVAL, "model.c:%d: unknown unimodal provider %d", __LINE__,
                           (int)c->uni);
    if (c->uni == ASGML_UNI_SPLIT && c->fusion != ASGML_FUSION_CONCAT && c->fusion != ASGML_FUSION_SUM)
        return asgml_error(ASGML_EINVAL, "model.c:%d: film/gated fusion has no split unimodal "
                           "logits (methods.md 1.3): use heads", __LINE__);
    if (c->uni == ASGML_UNI_ZERO && c->fusion != ASGML_FUSION_CONCAT && c->fusion != ASGML_FUSION_SUM)
        return asgml_error(ASGML_ENOTSUP, "model.c:%d: the zero unimodal provider is implemented "
                           "for concat and sum fusion only", __LINE__);
    return ASGML_OK;
}

/* Lays out views and the arena.  Run twice: m->arena.base == NULL counts. */
static asgml_status model_build(asgml_model *m)
{
    const asgml_model_config *c = &m->cfg;
    int bmax = c->max_batch;
    m->nviews = m->nbviews = 0;
    m->nparams = m->nbuffers = 0;
    m->arena.used = 0;
    int64_t scratch = 0, pooled = 0, chans = 0;
    for (int i = 0; i < m->n; i++) {
        encoder *e = &m->enc[i];
        char prefix[64];
        snprintf(prefix, sizeof prefix, "%s_net.", e->cfg.name);
        if (e->cfg.kind == ASGML_ENC_RESNET18) {
            MODEL_TRY(resnet_build(m, i, prefix));
            int64_t frames = (int64_t)bmax * e->cfg.frames;
            if (e->r.max_frame_act * frames > scratch) scratch = e->r.max_frame_act * frames;
            if (frames * m->D > pooled) pooled = frames * m->D;
            if (frames * 8 * c->width > chans) chans = frames * 8 * c->width;
        } else {
            MODEL_TRY(mlp_build(m, i, prefix));
        }
        e->feat = model_arena_take(&m->arena, (int64_t)bmax * m->D);
        e->dfeat = model_arena_take(&m->arena, (int64_t)bmax * m->D);
        if (c->dropout > 0.0f) {
            e->fin = model_arena_take(&m->arena, (int64_t)bmax * m->D);
            e->dfin = model_arena_take(&m->arena, (int64_t)bmax * m->D);
            e->mask = model_arena_take(&m->arena, (int64_t)bmax * m->D);
        } else {
            e->fin = e->feat;
            e->dfin = e->dfeat;
            e->mask = NULL;
        }
    }
    MODEL_TRY(fusion_build(m));
    m->frame_scratch = scratch;
    for (int k = 0; k < 6; k++) m->scratch[k] = scratch ? model_arena_take(&m->arena, scratch) : NULL;
    m->dpooled = pooled ? model_arena_take(&m->arena, pooled) : NULL;
    m->chan_scratch = chans ? model_arena_take(&m->arena, chans) : NULL;
    m->chan_ones = chans ? model_arena_take(&m->arena, 8 * (int64_t)c->width) : NULL;
    m->chan_zeros = chans ? model_arena_take(&m->arena, 8 * (int64_t)c->width) : NULL;
    for (int i = 0; i < m->nviews; i++)
        if (m->views[i].offset < 0) return ASGML_ENOMEM;
    return ASGML_OK;
}

asgml_status asgml_model_create(asgml_backend *be, const asgml_model_config *cfg,
                                asgml_model **out)
{
    *out = NULL;
    MODEL_TRY(check_config(cfg));
    MODEL_TRY(asgml_backend_require(be, NULL, 0)); /* the model, optimisers, methods use all */
    asgml_model *m = calloc(1, sizeof *m);
    if (!m) return asgml_error(ASGML_ENOMEM, "model.c:%d: out of memory", __LINE__);
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
    }
    asgml_status st = model_build(m);     /* counting pass */
    if (st != ASGML_OK) goto fail;
    const asgml_backend_ops *o = be->ops;
    st = o->alloc(be, (size_t)m->nparams * sizeof(float), (void **)&m->params);
    if (st == ASGML_OK)
        st = o->alloc(be, (size_t)m->nparams * sizeof(float), (void **)&m->grads);
    if (st == ASGML_OK && m->nbuffers)
        st = o->alloc(be, (size_t)m->nbuffers * sizeof(float), (void **)&m->buffers);
    if (st == ASGML_OK)
        st = o->alloc(be, (size_t)m->arena.used * sizeof(float), (void **)&m->arena_mem);
    if (st != ASGML_OK) goto fail;
    int64_t arena_size = m->arena.used;
    m->arena.base = m->arena_mem;
    st = model_build(m);                  /* real pass: same layout */
    if (st != ASGML_OK) goto fail;
    if (m->arena.used != arena_size) {
        st = asgml_error(ASGML_EINTERNAL, "model.c:%d: arena layout changed between passes",
                         __LINE__);
        goto fail;
    }
    /* zeroed memory: no stale NaN can reach a beta = 0 gemm or a += op */
    st = o->fill(be, m->nparams, 0.0f, m->grads);
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

void asgml_model_free(asgml_model *m)
{
    if (!m) return;
    asgml_backend *be = m->be;
    if (m->params) be->ops->free(be, m->params);
    if (m->grads) be->ops->free(be, m->grads);
    if (m->buffers) be->ops->free(be, m->buffers);
    if (m->arena_mem) be->ops->free(be, m->arena_mem);
    for (int i = 0; i < m->n; i++) free(m->enc[i].r.blocks);
    free(m->views);
    free(m->bviews);
    free(m);
}

const asgml_model_config *asgml_model_get_config(const asgml_model *m) { return &m->cfg; }
int64_t asgml_model_num_params(const asgml_model *m) { return m->nparams; }
float *asgml_model_params(asgml_model *m) { return m->params; }
float *asgml_model_grads(asgml_model *m) { return m->grads; }
int64_t asgml_model_num_buffers(const asgml_model *m) { return m->nbuffers; }
float *asgml_model_buffers(asgml_model *m) { return m->buffers; }
int asgml_model_feature_dim(const asgml_model *m) { return m->D; }

const asgml_param_view *asgml_model_param_views(const asgml_model *m, int *count)
{
    *count = m->nviews;
    return m->views;
}

const asgml_param_view *asgml_model_buffer_views(const asgml_model *m, int *count)
{
    *count = m->nbviews;
    return m->bviews;
}

void asgml_model_group_span(const asgml_model *m, int group, int64_t *offset, int64_t *count)
{
    int64_t lo = -1, hi = -1;
    for (int i = 0; i < m->nviews; i++) {
        const asgml_param_view *v = &m->views[i];
        if (v->group != group) continue;
        if (lo < 0) lo = v->offset;
        hi = v->offset + v->numel;
    }
    *offset = lo < 0 ? 0 : lo;
    *count = lo < 0 ? 0 : hi - lo;
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
        return asgml_error(ASGML_EINVAL, "model.c:%d: batch %d not in 1..max_batch %d", __LINE__,
                           batch, m->cfg.max_batch);
    m->batch = batch;
    m->training = training ? 1 : 0;
    int64_t bd = (int64_t)batch * m->D;
    for (int i = 0; i < m->n; i++) {
        encoder *e = &m->enc[i];
        e->present = present ? (present[i] != 0) : 1;
        e->input = inputs ? inputs[i] : NULL;
        if (!e->present) {
            MODEL_TRY(be->ops->fill(be, bd, 0.0f, e->feat));
        } else {
            if (!e->input)
                return asgml_error(ASGML_EINVAL, "model.c:%d: no input for modality %s", __LINE__,
                                   e->cfg.name);
            if (e->cfg.kind == ASGML_ENC_RESNET18)
                MODEL_TRY(resnet_forward(m, i, batch, m->training));
            else
                MODEL_TRY(mlp_forward(m, i, batch));
        }
        if (m->cfg.dropout > 0.0f) {
            if (m->training) {
                /* inverted dropout on f_m (B, D); Philox uniforms, 4 per block */
                MODEL_TRY(be->ops->dropout_forward(be, bd, m->cfg.dropout, m->dropout_seed,
                                                   m->dropout_offset, e->feat, e->fin, e->mask));
                m->dropout_offset += (uint64_t)(bd + 3) / 4;
            } else {
                MODEL_TRY(be->ops->copy(be, bd, e->feat, e->fin));
            }
        }
    }
    return fusion_forward(m, batch);
}

const float *asgml_model_features(const asgml_model *m, int mod)
{
    return (mod >= 0 && mod < m->n) ? m->enc[mod].feat : NULL;
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
        return asgml_error(ASGML_EINVAL, "model.c:%d: backward before forward", __LINE__);
    int64_t bd = (int64_t)batch * m->D;
    for (int i = 0; i < m->n; i++) {
        MODEL_TRY(be->ops->fill(be, bd, 0.0f, m->enc[i].dfeat));
        if (m->enc[i].dfin != m->enc[i].dfeat)
            MODEL_TRY(be->ops->fill(be, bd, 0.0f, m->enc[i].dfin));
    }
    MODEL_TRY(fusion_backward(m, batch, dlogits, duni));
    for (int i = 0; i < m->n; i++) {
        encoder *e = &m->enc[i];
        if (encoder_active && !encoder_active[i]) continue;
        if (!e->present) continue;   /* a zeroed feature carries no gradient */
        if (e->dfin != e->dfeat) {
            if (m->training)
                MODEL_TRY(be->ops->dropout_backward(be, bd, e->mask, e->dfin, e->dfeat));
            else
                MODEL_TRY(be->ops->axpy(be, bd, 1.0f, e->dfin, e->dfeat));
        }
        if (e->cfg.kind == ASGML_ENC_RESNET18)
            MODEL_TRY(resnet_backward(m, i, batch));
        else
            MODEL_TRY(mlp_backward(m, i, batch));
    }
    return ASGML_OK;
}

asgml_status asgml_model_zero_grad(asgml_model *m)
{
    return m->be->ops->fill(m->be, m->nparams, 0.0f, m->grads);
}
