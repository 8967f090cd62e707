/* method_registry.c - the table of training methods (asgml/method.h).
 * Adding a method: one file libcommon/methods/method_<name>.c defining a
 * `const asgml_method_ops asgml_method_<name>`, and one line here.
 * Compositions "a+b" are resolved by the training loop (split on '+',
 * find each part). */
#include <string.h>

#include "asgml/method.h"

extern const asgml_method_ops asgml_method_baseline;
extern const asgml_method_ops asgml_method_unimodal;
extern const asgml_method_ops asgml_method_ogm_ge;
extern const asgml_method_ops asgml_method_asgml_freq;
extern const asgml_method_ops asgml_method_asgml_stale;
extern const asgml_method_ops asgml_method_asgml_boost;
extern const asgml_method_ops asgml_method_agm;
extern const asgml_method_ops asgml_method_arl;
extern const asgml_method_ops asgml_method_mmpareto;
extern const asgml_method_ops asgml_method_opm;
extern const asgml_method_ops asgml_method_pmr;
extern const asgml_method_ops asgml_method_gblend;

static const asgml_method_ops *const registry[] = {
    &asgml_method_baseline,
    &asgml_method_unimodal,
    &asgml_method_ogm_ge,
    &asgml_method_asgml_freq,
    &asgml_method_asgml_stale,
    &asgml_method_asgml_boost,
    &asgml_method_agm,
    &asgml_method_arl,
    &asgml_method_mmpareto,
    &asgml_method_opm,
    &asgml_method_pmr,
    &asgml_method_gblend,
};

int asgml_method_count(void)
{
    return (int)(sizeof registry / sizeof registry[0]);
}

const asgml_method_ops *asgml_method_at(int i)
{
    if (i < 0 || i >= asgml_method_count())
        return NULL;
    return registry[i];
}

const asgml_method_ops *asgml_method_find(const char *name)
{
    if (!name)
        return NULL;
    for (int i = 0; i < asgml_method_count(); i++)
        if (strcmp(registry[i]->name, name) == 0)
            return registry[i];
    return NULL;
}
