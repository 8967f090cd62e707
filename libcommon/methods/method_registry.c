/* SPDX-License-Identifier: MIT */
/* method_registry.c - the table of training methods (asgml/method.h).
 * Adding a method: one file libcommon/methods/method_<name>.c defining a
 * `const asgml_method_ops asgml_method_<name>`, and one line here.
 * Compositions "a+b" are resolved by the training loop (split on '+',
 * find each part). */
#include <string.h>

#include "asgml/method.h"
#include "methods/method_helpers.h"

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
extern const asgml_method_ops asgml_method_inforeg;
extern const asgml_method_ops asgml_method_miles;
extern const asgml_method_ops asgml_method_mla;
extern const asgml_method_ops asgml_method_cggm;
extern const asgml_method_ops asgml_method_dnr;
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
    &asgml_method_inforeg,
    &asgml_method_miles,
    &asgml_method_mla,
    &asgml_method_cggm,
    &asgml_method_dnr,
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

/* Compositions with a source (asgml-methods(7), TRAINING STEP; the method
 * summary of the specification): two parts each, order free.
 *   sources: ogm-ge with asgml-freq/stale/boost (VuVoCodes/
 *     AsynchronousFunction scripts/train.py train_epoch), opm with ogm-ge
 *     (BML main.py; AsynchronousFunction train_epoch_opm), cggm with ogm-ge
 *     (AsynchronousFunction train_epoch_cggm);
 *   planned: cggm with asgml-boost (the ASGML v2 design, planned, not run).
 * baseline composes with everything (it adds no hook). */
static const struct { const char *a, *b, *status; } compositions[] = {
    { "ogm-ge", "asgml-freq", "sources" },  { "ogm-ge", "asgml-stale", "sources" },
    { "ogm-ge", "asgml-boost", "sources" }, { "opm", "ogm-ge", "sources" },
    { "cggm", "ogm-ge", "sources" },        { "cggm", "asgml-boost", "planned" },
};

const char *asgml_method_composition_status(const asgml_method_ops *const *parts, int n)
{
    const char *name[2];
    int k = 0;
    for (int i = 0; i < n; i++) {
        if (strcmp(parts[i]->name, "baseline") == 0)
            continue;
        if (k == 2)
            return "untested";
        name[k++] = parts[i]->name;
    }
    if (k < 2)
        return NULL;
    for (size_t i = 0; i < sizeof compositions / sizeof compositions[0]; i++)
        if ((strcmp(compositions[i].a, name[0]) == 0 && strcmp(compositions[i].b, name[1]) == 0) ||
            (strcmp(compositions[i].a, name[1]) == 0 && strcmp(compositions[i].b, name[0]) == 0))
            return compositions[i].status;
    return "untested";
}
