/* SPDX-License-Identifier: MIT */
/* metrics.c - accuracy and macro-F1 (asgml-methods(7), EVALUATION; metrics.h). */
#include <math.h>
#include <string.h>

#include "train/metrics.h"

void asgml_argmax_rows(const float *logits, int64_t n, int c, int32_t *pred)
{
    for (int64_t i = 0; i < n; i++) {
        const float *row = logits + i * c;
        int best = 0;
        for (int j = 1; j < c; j++)
            if (row[j] > row[best] || (row[best] != row[best] && row[j] == row[j]))
                best = j;
        pred[i] = best;
    }
}

double asgml_accuracy(const int32_t *pred, const int32_t *target, int64_t n)
{
    int64_t correct = 0;
    if (n <= 0)
        return 0.0;
    for (int64_t i = 0; i < n; i++)
        correct += pred[i] == target[i];
    return (double)correct / (double)n;
}

double asgml_macro_f1(const int32_t *pred, const int32_t *target, int64_t n, int c)
{
    int64_t counts[3 * ASGML_METRICS_MAX_CLASSES], *tp = counts, *fp, *fn;
    double sum = 0.0;
    int present = 0;
    if (n <= 0 || c <= 0)
        return 0.0;
    if (c > ASGML_METRICS_MAX_CLASSES)
        return NAN;
    memset(counts, 0, (size_t)c * 3 * sizeof counts[0]);
    fp = tp + c;
    fn = fp + c;
    for (int64_t i = 0; i < n; i++) {
        int p = pred[i], t = target[i];
        int pv = p >= 0 && p < c, tv = t >= 0 && t < c;
        if (pv && tv && p == t)
            tp[p]++;
        else {
            if (pv)
                fp[p]++;
            if (tv)
                fn[t]++;
        }
    }
    for (int k = 0; k < c; k++) {
        int64_t denom = 2 * tp[k] + fp[k] + fn[k];
        if (denom == 0)
            continue;     /* class neither in targets nor in predictions */
        sum += 2.0 * (double)tp[k] / (double)denom;
        present++;
    }
    return present ? sum / present : 0.0;
}
