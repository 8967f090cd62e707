/* SPDX-License-Identifier: MIT */
/* method_baseline.c - joint training without intervention (asgml-methods(7), BASELINE):
 * L = CE(z, y); no H1-H5 action, so only name, summary and create are
 * set (NULL hooks are skipped by the loop). */
#include <stddef.h>

#include "asgml/method.h"

static asgml_status baseline_create(asgml_config *cfg, const asgml_model_config *mc, void **state)
{
    (void)cfg;
    (void)mc;
    *state = NULL;
    return ASGML_OK;
}

const asgml_method_ops asgml_method_baseline = {
    .name = "baseline",
    .summary = "joint training, L = CE(z,y), no modulation",
    .needs = 0,
    .h2_rank = 0,
    .create = baseline_create,
};
