/* SPDX-License-Identifier: MIT */
/* init.c - parameter initialisation of asgml_model (asgml-methods(7), MODEL (Initialisation)).
 *
 *   conv kernel (c_out, c_in, k, k): Kaiming normal, fan-out, ReLU gain:
 *                                    N(0, 2 / (c_out k k))
 *   Linear weight (out, in):         Xavier normal N(0, 2 / (in + out)), bias 0
 *   BN:                              gamma 1, beta 0; running mean 0, var 1
 *   head_init_uniform:               fusion and unimodal-head Linear weights and
 *                                    biases U(-1/sqrt(in), 1/sqrt(in)) (PyTorch's
 *                                    default); encoders keep the rules above.
 *
 * Generator: Philox4x32-10 keyed by the seed (asgml_philox_gauss /
 * asgml_philox_uniform of asgml/backend.h); parameter view v (0-based, in
 * view order) draws its element i from counter stream offset (v + 1) << 36,
 * so every tensor has its own stream and the result is identical on every
 * backend and independent of the other tensors' sizes.  Initialisation
 * also resets the dropout stream to (seed, (nviews + 1) << 36). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "nn/model_internal.h"

static int ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), k = strlen(suffix);
    return n >= k && !strcmp(s + n - k, suffix);
}

#define STREAM(v) ((uint64_t)((v) + 1) << 36)

asgml_status asgml_model_init_params(asgml_model *m, uint64_t seed)
{
    asgml_backend *be = m->be;
    int64_t maxn = 1;
    for (int v = 0; v < m->reg.nviews; v++)
        if (m->reg.views[v].numel > maxn) maxn = m->reg.views[v].numel;
    for (int v = 0; v < m->reg.nbviews; v++)
        if (m->reg.bviews[v].numel > maxn) maxn = m->reg.bviews[v].numel;
    float *host = malloc((size_t)maxn * sizeof *host);
    if (!host) return ASGML_ERR(ASGML_ENOMEM, "out of memory");
    asgml_status st = ASGML_OK;

    for (int v = 0; v < m->reg.nviews && st == ASGML_OK; v++) {
        const asgml_param_view *pv = &m->reg.views[v];
        int head = pv->group == ASGML_GROUP_FUSION || pv->group == ASGML_GROUP_HEADS;
        int64_t n = pv->numel;
        if (pv->ndim == 4) {
            double std = sqrt(2.0 / (double)(pv->shape[0] * pv->shape[2] * pv->shape[3]));
            for (int64_t i = 0; i < n; i++)
                host[i] = (float)(std * asgml_philox_gauss(seed, STREAM(v), i));
        } else if (pv->ndim == 2 && head && m->cfg.head_init_uniform) {
            double bound = 1.0 / sqrt((double)pv->shape[1]);
            for (int64_t i = 0; i < n; i++)
                host[i] = (float)(bound * (2.0 * asgml_philox_uniform(seed, STREAM(v), i) - 1.0));
        } else if (pv->ndim == 2) {
            double std = sqrt(2.0 / (double)(pv->shape[0] + pv->shape[1]));
            for (int64_t i = 0; i < n; i++)
                host[i] = (float)(std * asgml_philox_gauss(seed, STREAM(v), i));
        } else if (v > 0 && m->reg.views[v - 1].ndim == 2 && ends_with(pv->name, ".bias")) {
            /* Linear bias: follows its weight (the previous view) */
            if (head && m->cfg.head_init_uniform) {
                double bound = 1.0 / sqrt((double)m->reg.views[v - 1].shape[1]);
                for (int64_t i = 0; i < n; i++)
                    host[i] = (float)(bound * (2.0 * asgml_philox_uniform(seed, STREAM(v), i) - 1.0));
            } else {
                for (int64_t i = 0; i < n; i++) host[i] = 0.0f;
            }
        } else {
            /* batch norm: weight (gamma) 1, bias (beta) 0 */
            float val = ends_with(pv->name, ".weight") ? 1.0f : 0.0f;
            for (int64_t i = 0; i < n; i++) host[i] = val;
        }
        st = be->ops->to_device(be, m->params + pv->offset, host, (size_t)n * sizeof *host);
    }
    for (int v = 0; v < m->reg.nbviews && st == ASGML_OK; v++) {
        const asgml_param_view *bv = &m->reg.bviews[v];
        float val = ends_with(bv->name, "running_var") ? 1.0f : 0.0f;
        for (int64_t i = 0; i < bv->numel; i++) host[i] = val;
        st = be->ops->to_device(be, m->buffers + bv->offset, host, (size_t)bv->numel * sizeof *host);
    }
    free(host);
    m->dropout_seed = seed;
    m->dropout_offset = STREAM(m->reg.nviews);
    return st;
}
