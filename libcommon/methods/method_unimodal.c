/* SPDX-License-Identifier: MIT */
/* method_unimodal.c - one encoder + Linear(D->C), L = CE (asgml-methods(7), UNIMODAL).
 * Gives the reference unimodal accuracies.  Flag ASGML_SINGLE_MODALITY:
 * the loop builds a model with the one encoder named by the config key
 * "unimodal.modality" (asgml_unimodal_modality(), default "audio"). */
#include <stddef.h>
#include <string.h>

#include "asgml/method.h"

asgml_status asgml_unimodal_modality(asgml_config *cfg, const char **name)
{
    asgml_status st = asgml_config_get_string(cfg, "unimodal.modality", "audio", name);
    if (st != ASGML_OK)
        return st;
    if (!*name || !**name)
        return asgml_error(ASGML_EINVAL, "unimodal.modality: empty modality name");
    return ASGML_OK;
}

static asgml_status unimodal_create(asgml_config *cfg, const asgml_model_config *mc, void **state)
{
    const char *name;
    asgml_status st;

    *state = NULL;
    if ((st = asgml_unimodal_modality(cfg, &name)) != ASGML_OK)
        return st;
    if (mc->num_modalities != 1)
        return asgml_error(ASGML_EINVAL,
                           "unimodal: the model must have exactly one encoder ('%s'), it has %d",
                           name, mc->num_modalities);
    if (strcmp(mc->enc[0].name, name) != 0)
        return asgml_error(ASGML_EINVAL, "unimodal: unimodal.modality is '%s' but the model's "
                           "encoder is '%s'", name, mc->enc[0].name);
    return ASGML_OK;
}

const asgml_method_ops asgml_method_unimodal = {
    .name = "unimodal",
    .summary = "one modality's encoder + linear head (unimodal.modality), L = CE",
    .needs = ASGML_SINGLE_MODALITY,
    .h2_rank = 0,
    .create = unimodal_create,
};
