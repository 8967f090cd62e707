/* SPDX-License-Identifier: MIT */
/* params.c - named parameter / buffer views and the activation arena
 * (params.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "nn/params.h"

float *model_arena_take(model_arena *a, int64_t n)
{
    int64_t off = a->used;
    a->used += (n + 63) / 64 * 64;
    return a->base ? a->base + off : NULL;
}

void nn_params_rewind(nn_params *p)
{
    p->nviews = p->nbviews = 0;
    p->nparams = p->nbuffers = 0;
    p->arena.used = 0;
    p->failed = 0;
}

void nn_params_free(nn_params *p)
{
    free(p->views);
    free(p->bviews);
    p->views = p->bviews = NULL;
    p->cap_views = p->cap_bviews = 0;
}

static asgml_status add_view(asgml_param_view **views, int *nviews, int *cap, int64_t *total,
                             int group, int head_of, const char *name, int ndim,
                             const int64_t *shape, int64_t *offset)
{
    if (*nviews == *cap) {
        int ncap = *cap ? 2 * *cap : 64;
        asgml_param_view *nv = realloc(*views, (size_t)ncap * sizeof *nv);
        if (!nv) return ASGML_ERR(ASGML_ENOMEM, "out of memory for views");
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

int64_t model_add_param(nn_params *p, int group, int head_of, const char *name, int ndim,
                        const int64_t *shape)
{
    int64_t off;
    if (add_view(&p->views, &p->nviews, &p->cap_views, &p->nparams, group, head_of, name, ndim,
                 shape, &off) != ASGML_OK) {
        p->failed = 1;
        return -1;
    }
    return off;
}

int64_t model_add_buffer(nn_params *p, int group, const char *name, int64_t c)
{
    int64_t off;
    if (add_view(&p->bviews, &p->nbviews, &p->cap_bviews, &p->nbuffers, group, -1, name, 1, &c,
                 &off) != ASGML_OK) {
        p->failed = 1;
        return -1;
    }
    return off;
}

asgml_status nn_params_check(const nn_params *p)
{
    return p->failed ? ASGML_ENOMEM : ASGML_OK;
}
