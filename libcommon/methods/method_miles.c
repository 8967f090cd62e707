/* SPDX-License-Identifier: MIT */
/* method_miles.c - MILES, modality-informed learning-rate scheduler
 * (asgml-methods(7), MILES; Guerra-Manzanares & Shamout, IJCNN 2025,
 * Eq. 3-5, Alg. 1; the rule as run by VuVoCodes/AsynchronousFunction
 * scripts/train.py get_miles_optimizer, miles_adjust_learning_rates,
 * train_epoch_miles).
 *
 * Model: `heads` provider; loss CE(z) + gamma_u sum_m CE(u_m) with the
 * loop's model.uni-gamma (default 1 = paper Eq. 3), nothing added here.
 * Parameter groups: encoder m at alpha_m, fusion + heads at alpha_AB = the
 * scheduled lr (asgml_step_set_group_lr_mult on the encoder groups only).
 * H5 epoch_end, after the epoch's evaluation: M = accuracy of argmax z and
 * of argmax u_m on miles.split (val: the validation split, ASGML_NEEDS_VAL;
 * test: the test split, as the AsynchronousFunction script); the decision
 * (asgml_miles_decide) sets the encoder multipliers for the next epoch.
 * H5 epoch_begin: re-applies the multipliers in force (1 before the first
 * decision), so every step record carries lr.<group>.
 *
 * Config: miles.tau 0.2 (>= 0), miles.mu 0.5 (0 < mu <= 1), miles.split
 * val|test.  Log (epoch records): miles.M, miles.M.<m>, miles.u.<m>,
 * miles.delta, miles.branch, miles.reduced (modality name or "none"),
 * miles.mult.<m> (multiplier of the next epoch).  State: miles.mult (N). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "asgml/hooks.h"
#include "core/error.h"
#include "methods/method_helpers.h"
#include "methods/method_miles.h"

int asgml_miles_decide(int n, double acc_fused, const double *acc, double tau, double mu,
                       double *u, double *delta, double *mult, asgml_miles_branch *branch)
{
    double umax, umin;
    int reduced = -1, all_negative = 1, arg = 0;

    for (int m = 0; m < n; m++) {
        double other = 0.0;
        for (int j = 0; j < n; j++)
            if (j != m)
                other += acc[j];
        other /= n - 1;
        u[m] = acc_fused > 0.0 ? (acc_fused - other) / acc_fused : 0.0;
    }
    umax = umin = u[0];
    for (int m = 1; m < n; m++) {
        if (u[m] > umax) {
            umax = u[m];
            arg = m;
        }
        umin = u[m] < umin ? u[m] : umin;
    }
    *delta = umax - umin;
    for (int m = 0; m < n; m++) {
        all_negative &= u[m] < 0.0;
        mult[m] = 1.0;
    }
    if (*delta <= tau)
        *branch = ASGML_MILES_BALANCED;
    else if (all_negative)
        *branch = ASGML_MILES_ALL_NEGATIVE;
    else if (n == 2 && u[0] > 0.0 && u[1] < 0.0) {
        *branch = ASGML_MILES_FIRST_ONLY;
        reduced = 0;
    } else if (n == 2 && u[0] < 0.0 && u[1] > 0.0) {
        *branch = ASGML_MILES_SECOND_ONLY;
        reduced = 1;
    } else {
        /* Alg. 1 last case: if u_1 < u_2 reduce alpha_2, else alpha_1
         * (delta > tau >= 0, so u_1 != u_2); N > 2: the first argmax */
        *branch = ASGML_MILES_LARGER;
        reduced = n == 2 ? (u[0] < u[1] ? 1 : 0) : arg;
    }
    if (reduced >= 0)
        mult[reduced] = mu;
    return reduced;
}

/* ---- the method -------------------------------------------------------- */

typedef struct miles_state {
    double tau, mu;
    int use_test;                           /* miles.split = test */
    int n;
    double mult[ASGML_MAX_MODALITIES];      /* encoder lr multipliers in force */
} miles_state;

static asgml_status miles_create(asgml_config *cfg, const asgml_model_config *mc, void **state)
{
    miles_state *st;
    const char *split;
    asgml_status rc;

    *state = NULL;
    if (mc->num_modalities < 2)
        return asgml_error(ASGML_EINVAL, "miles: needs at least two modalities (model has %d)",
                           mc->num_modalities);
    st = calloc(1, sizeof *st);
    if (!st)
        return ASGML_ERR(ASGML_ENOMEM, "out of memory");
    if ((rc = asgml_config_get_double(cfg, "miles.tau", 0.2, &st->tau)) != ASGML_OK ||
        (rc = asgml_config_get_double(cfg, "miles.mu", 0.5, &st->mu)) != ASGML_OK ||
        (rc = asgml_config_get_string(cfg, "miles.split", "val", &split)) != ASGML_OK) {
        free(st);
        return rc;
    }
    if (!(st->tau >= 0.0) || !isfinite(st->tau))
        rc = asgml_error(ASGML_EINVAL, "miles.tau: %g is not a finite number >= 0", st->tau);
    else if (!(st->mu > 0.0 && st->mu <= 1.0))
        rc = asgml_error(ASGML_EINVAL, "miles.mu: %g is not in (0, 1]", st->mu);
    else if (strcmp(split, "val") != 0 && strcmp(split, "test") != 0)
        rc = asgml_error(ASGML_EINVAL, "miles.split: '%s' is not one of val, test", split);
    if (rc != ASGML_OK) {
        free(st);
        return rc;
    }
    st->use_test = strcmp(split, "test") == 0;
    st->n = mc->num_modalities;
    for (int m = 0; m < st->n; m++)
        st->mult[m] = 1.0;
    *state = st;
    return ASGML_OK;
}

static void miles_destroy(void *state)
{
    free(state);
}

static asgml_status miles_epoch_begin(void *state, asgml_step *s)
{
    miles_state *st = state;
    for (int m = 0; m < st->n; m++)
        CK(asgml_step_set_group_lr_mult(s, m, st->mult[m]));
    return ASGML_OK;
}

static asgml_status miles_epoch_end(void *state, asgml_step *s)
{
    miles_state *st = state;
    double acc[ASGML_MAX_MODALITIES], u[ASGML_MAX_MODALITIES], delta, fused;
    asgml_miles_branch branch;
    char key[96];
    int reduced;

    fused = st->use_test ? s->test_acc : s->val_acc;
    for (int m = 0; m < st->n; m++)
        acc[m] = st->use_test ? s->test_acc_uni[m] : s->val_acc_uni[m];
    if (!isfinite(fused))
        return asgml_error(ASGML_EINVAL, "miles: no validation accuracy this epoch "
                           "(ASGML_NEEDS_VAL)");
    reduced = asgml_miles_decide(st->n, fused, acc, st->tau, st->mu, u, &delta, st->mult,
                                 &branch);
    asgml_log_num(s->log, "miles.M", fused);
    for (int m = 0; m < st->n; m++) {
        asgml_log_num(s->log, asgml_method_key(key, sizeof key, "miles.M", s, m), acc[m]);
        asgml_log_num(s->log, asgml_method_key(key, sizeof key, "miles.u", s, m), u[m]);
    }
    asgml_log_num(s->log, "miles.delta", delta);
    asgml_log_int(s->log, "miles.branch", (int64_t)branch);
    asgml_log_str(s->log, "miles.reduced", reduced < 0 ? "none" : s->modality_names[reduced]);
    for (int m = 0; m < st->n; m++) {
        asgml_log_num(s->log, asgml_method_key(key, sizeof key, "miles.mult", s, m),
                      st->mult[m]);
        CK(asgml_step_set_group_lr_mult(s, m, st->mult[m]));
    }
    return ASGML_OK;
}

static asgml_status miles_save(void *state, asgml_state_io *io)
{
    miles_state *st = state;
    return asgml_state_put(io, "miles.mult", st->mult, st->n);
}

static asgml_status miles_load(void *state, asgml_state_io *io)
{
    miles_state *st = state;
    return asgml_state_get(io, "miles.mult", st->mult, st->n);
}

const asgml_method_ops asgml_method_miles = {
    .name = "miles",
    .summary = "MILES: heads; encoder lr x mu (0.5) for the dominant modality when the "
               "val utilisation gap > tau (0.2)",
    .needs = ASGML_NEEDS_UNI_HEADS | ASGML_NEEDS_VAL,
    .create = miles_create,
    .destroy = miles_destroy,
    .epoch_begin = miles_epoch_begin,
    .epoch_end = miles_epoch_end,
    .save = miles_save,
    .load = miles_load,
};
