/* SPDX-License-Identifier: MIT */
/* method_helpers.h - small helpers for the method files (private): log
 * keys per modality, modality lookup by name, composition test. */
#ifndef ASGML_METHODS_METHOD_HELPERS_H
#define ASGML_METHODS_METHOD_HELPERS_H

#include "asgml/method.h"

/* "<prefix>.<modality name>" into buf (log keys) */
const char *asgml_method_key(char *buf, size_t size, const char *prefix, const asgml_step *s,
                             int m);
/* Index of the modality named `name` in the model config, -1 if none. */
int asgml_method_modality_index(const asgml_model_config *mc, const char *name);
/* 1 if the config's "method" (when set) lists `part` among its '+' parts. */
int asgml_method_composed_with(asgml_config *cfg, const char *part);
/* What the sources say of the composition of parts[0..n) (method_registry.c):
 * "sources" (a source runs it), "planned" (designed, not run) or
 * "untested" (allowed, no source); NULL for a single method (baseline
 * parts do not count). */
const char *asgml_method_composition_status(const asgml_method_ops *const *parts, int n);

#endif
