/* SPDX-License-Identifier: MIT */
/* model_ops.h - shadow models (model_ops.c): a model that shares another
 * model's parameters, gradient buffer and BN buffers and owns its
 * activation arena, so a second forward/backward does not overwrite the
 * first.  The source must outlive the shadow.  Private to libasgml. */
#ifndef ASGML_MODEL_OPS_H
#define ASGML_MODEL_OPS_H

#include "asgml/model.h"

typedef struct model_shadow model_shadow;
asgml_status model_shadow_create(asgml_model *src, model_shadow **out);
asgml_model *model_shadow_model(model_shadow *sh);
void model_shadow_free(model_shadow *sh);

#endif
