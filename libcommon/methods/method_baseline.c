/* method_baseline.c - joint training without intervention (methods.md 2):
 * L = CE(z, y); no H2-H5 action.  Every hook exists and does nothing, so
 * the loop may call any hook of any method unconditionally. */
#include <stddef.h>

#include "asgml/method.h"

static asgml_status baseline_create(asgml_config *cfg, const asgml_model_config *mc, void **state)
{
    (void)cfg;
    (void)mc;
    *state = NULL;
    return ASGML_OK;
}

static void baseline_destroy(void *state) { (void)state; }

static asgml_status baseline_hook(void *state, asgml_step *s)
{
    (void)state;
    (void)s;
    return ASGML_OK;
}

static asgml_status baseline_io(void *state, asgml_state_io *io)
{
    (void)state;
    (void)io;
    return ASGML_OK;
}

const asgml_method_ops asgml_method_baseline = {
    .name = "baseline",
    .summary = "joint training, L = CE(z,y), no modulation",
    .needs = 0,
    .h2_rank = 0,
    .create = baseline_create,
    .destroy = baseline_destroy,
    .epoch_begin = baseline_hook,
    .before_backward = baseline_hook,
    .modulate = baseline_hook,
    .after_step = baseline_hook,
    .epoch_end = baseline_hook,
    .save = baseline_io,
    .load = baseline_io,
};
