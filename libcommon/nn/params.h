/* SPDX-License-Identifier: MIT */
/* params.h - the registry every layer's build step writes to: named views
 * into one flat parameter array (and its gradient, same layout), named
 * views into one flat buffer array (BN running statistics), and a bump
 * allocator over the activation arena (llm.c's malloc_and_point_parameters:
 * one allocation, a table of named views into it).
 *
 * The model lays itself out by running the same build code twice: a
 * counting pass (params/grads/buffers and arena.base NULL: only sizes are
 * summed) and, after allocation, the real pass, in which layers resolve
 * their views to pointers.  This file depends on nothing but asgml/model.h
 * (for asgml_param_view); layers depend on it, never on the model. */
#ifndef ASGML_NN_PARAMS_H
#define ASGML_NN_PARAMS_H

#include "asgml/model.h"

/* bump allocator over the activation arena (floats, 64-float aligned) */
typedef struct model_arena {
    float *base;        /* NULL during the counting pass */
    int64_t used;       /* floats handed out so far */
} model_arena;

float *model_arena_take(model_arena *a, int64_t n);

typedef struct nn_params {
    asgml_param_view *views;  int nviews, cap_views;    /* parameters, in build order */
    asgml_param_view *bviews; int nbviews, cap_bviews;  /* buffers, in build order */
    int64_t nparams, nbuffers;                          /* floats in each flat array */
    /* the flat arrays the views resolve against (backend memory, owned by
     * the model); NULL during the counting pass */
    float *params, *grads, *buffers;
    model_arena arena;
    int failed;                        /* a table could not grow */
} nn_params;

/* Clears the tables' counts and the arena cursor for a new build pass
 * (the tables' storage is reused). */
void nn_params_rewind(nn_params *p);
void nn_params_free(nn_params *p);

/* Append a named view; return its offset in floats, or -1 when the table
 * could not grow (the error is recorded and nn_params_check returns it). */
int64_t model_add_param(nn_params *p, int group, int head_of, const char *name, int ndim,
                        const int64_t *shape);
int64_t model_add_buffer(nn_params *p, int group, const char *name, int64_t c);
asgml_status nn_params_check(const nn_params *p);

/* base + off, or NULL during the counting pass (or for off < 0) */
static inline float *nn_at(float *base, int64_t off)
{
    return base && off >= 0 ? base + off : NULL;
}


#endif
