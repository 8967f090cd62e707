/* SPDX-License-Identifier: MIT */
/* method_helpers.c - small helpers for the method files (method_helpers.h). */
#include <stdio.h>
#include <string.h>

#include "methods/method_helpers.h"

const char *asgml_method_key(char *buf, size_t size, const char *prefix, const asgml_step *s,
                             int m)
{
    const char *name = s->modality_names[m];
    if (name && *name)
        snprintf(buf, size, "%s.%s", prefix, name);
    else
        snprintf(buf, size, "%s.%d", prefix, m);
    return buf;
}

int asgml_method_modality_index(const asgml_model_config *mc, const char *name)
{
    for (int m = 0; m < mc->num_modalities; m++)
        if (strcmp(mc->enc[m].name, name) == 0)
            return m;
    return -1;
}

int asgml_method_composed_with(asgml_config *cfg, const char *part)
{
    const char *v = NULL;
    size_t len = strlen(part);

    if (!asgml_config_is_set(cfg, "method") ||
        asgml_config_get_string(cfg, "method", "", &v) != ASGML_OK || !v)
        return 0;
    while (*v) {
        const char *end = strchr(v, '+');
        size_t n = end ? (size_t)(end - v) : strlen(v);
        if (n == len && strncmp(v, part, n) == 0)
            return 1;
        if (!end)
            break;
        v = end + 1;
    }
    return 0;
}
