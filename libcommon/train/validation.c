/* SPDX-License-Identifier: MIT */
/* validation.c - the validation split of a run whose store has none: a
 * class-stratified hold-out of the training split.  Per class c, the
 * training samples of c (ascending store index) are shuffled by
 * Fisher-Yates with SplitMix64 stream (data.val-seed, tag VAL_TAG + c) and
 * the first k_c = nearbyint(fraction * n_c) are held out (at least 1 and at
 * most n_c - 1 when n_c >= 2).  The draw depends on the store and the two
 * keys only, never on the run seed or the method, so every run on a store
 * holds out the same samples (summary.json "val_holdout" lists them).
 * Training then serves the rest.  Gradient blending (Wang et al., "What
 * Makes Training Multi-modal Classification Networks Hard?", CVPR 2020)
 * and MILES use such a split for their epoch-end estimates. */
#include <math.h>
#include <stdlib.h>

#include "data/decode.h"
#include "train/train_internal.h"

#define VAL_TAG 0x76616c6864000000ull    /* "valhd" */

asgml_status asgml_train_make_holdout(asgml_train *t, const char *scheme)
{
    const int32_t *idx, *labels = asgml_store_labels(t->store);
    int64_t n, nv = 0, nt = 0;
    int C = asgml_store_num_classes(t->store);
    asgml_status st;
    st = asgml_config_get_double(t->cfg, "data.val-fraction", 0.1, &t->val_fraction);
    if (st == ASGML_OK)
        st = asgml_config_get_int(t->cfg, "data.val-seed", 0, &t->val_seed);
    if (st != ASGML_OK)
        return st;
    if (!(t->val_fraction > 0.0 && t->val_fraction < 1.0))
        return asgml_error(ASGML_EINVAL, "key 'data.val-fraction': %g is not in (0, 1)",
                           t->val_fraction);
    if (t->val_seed < 0)
        return asgml_error(ASGML_EINVAL, "key 'data.val-seed': must be >= 0");
    st = asgml_store_split(t->store, scheme, "train", &idx, &n);
    if (st != ASGML_OK)
        return st;
    char *held = calloc((size_t)(n > 0 ? n : 1), 1);
    int64_t *pos = malloc((size_t)(n > 0 ? n : 1) * sizeof *pos);
    t->hold_val = malloc((size_t)(n > 0 ? n : 1) * sizeof *t->hold_val);
    t->hold_train = malloc((size_t)(n > 0 ? n : 1) * sizeof *t->hold_train);
    if (!held || !pos || !t->hold_val || !t->hold_train) {
        free(held);
        free(pos);
        return asgml_error(ASGML_ENOMEM, "validation hold-out: out of memory");
    }
    for (int c = 0; c < C; c++) {
        int64_t nc = 0, k;
        asgml_splitmix r;
        for (int64_t i = 0; i < n; i++)
            if (labels[idx[i]] == c)
                pos[nc++] = i;
        if (nc == 0)
            continue;
        asgml_splitmix_init(&r, (uint64_t)t->val_seed, VAL_TAG + (uint64_t)c);
        asgml_splitmix_shuffle(&r, pos, nc);
        k = (int64_t)nearbyint(t->val_fraction * (double)nc);
        if (nc >= 2 && k < 1)
            k = 1;
        if (nc >= 2 && k > nc - 1)
            k = nc - 1;
        if (nc < 2)
            k = 0;
        for (int64_t j = 0; j < k; j++)
            held[pos[j]] = 1;
    }
    for (int64_t i = 0; i < n; i++) {
        if (held[i])
            t->hold_val[nv++] = idx[i];
        else
            t->hold_train[nt++] = idx[i];
    }
    free(held);
    free(pos);
    t->n_hold_val = nv;
    t->n_hold_train = nt;
    if (nv == 0 || nt == 0)
        return asgml_error(ASGML_EINVAL, "validation hold-out: the training split (%lld samples) "
                           "is too small for data.val-fraction %g", (long long)n,
                           t->val_fraction);
    return ASGML_OK;
}
