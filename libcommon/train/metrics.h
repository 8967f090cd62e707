/* SPDX-License-Identifier: MIT */
/* metrics.h - classification metrics of the evaluation (asgml-methods(7), EVALUATION).
 * Private to libasgml.  Predictions are argmax of logits with ties going
 * to the lowest class index; macro-F1 averages 2TP/(2TP+FP+FN) over the
 * classes present in targets or predictions. */
#ifndef ASGML_METRICS_H
#define ASGML_METRICS_H

#include "asgml/common.h"

/* logits (n, c) host -> pred (n): first index of the maximum.  A NaN never
 * wins against a number; an all-NaN row predicts 0. */
void asgml_argmax_rows(const float *logits, int64_t n, int c, int32_t *pred);
/* Fraction of pred[i] == target[i]; 0 when n == 0. */
double asgml_accuracy(const int32_t *pred, const int32_t *target, int64_t n);
#define ASGML_METRICS_MAX_CLASSES 1024
/* Macro-F1 over the classes in targets U predictions (values in [0, c));
 * 0 when n == 0, NaN when c > ASGML_METRICS_MAX_CLASSES.  Out-of-range
 * values are ignored. */
double asgml_macro_f1(const int32_t *pred, const int32_t *target, int64_t n, int c);

#endif
