/* SPDX-License-Identifier: MIT */
/* cpu/loss.c - softmax cross-entropy over logits (b, c).
 * Per row: lse = max + log(sum exp(x - max)) in double; probs = exp(x - lse);
 * loss = lse - x[label]; dlogits += grad_scale * (probs - onehot(label)).
 * The loss sum is accumulated in double over rows in order. */
#include <math.h>

#include "core/error.h"
#include "cpu.h"

asgml_status asgml_cpu_softmax_ce(asgml_backend *be, int b, int c, const float *logits,
                                  const int32_t *labels, float grad_scale, float *probs,
                                  float *losses, float *dlogits, double *loss_sum)
{
    (void)be;
    if (b < 0 || c <= 0)
        return ASGML_ERR(ASGML_EINVAL, "bad softmax_ce shape (%d, %d)", b, c);
    for (int i = 0; i < b; i++)
        if (labels[i] < 0 || labels[i] >= c)
            return ASGML_ERR(ASGML_EINVAL, "label %d of row %d is not in [0, %d)", (int)labels[i], i, c);
    double total = 0.0;
    for (int i = 0; i < b; i++) {
        const float *x = logits + (size_t)i * c;
        double mx = x[0];
        for (int j = 1; j < c; j++)
            if (x[j] > mx) mx = x[j];
        double s = 0.0;
        for (int j = 0; j < c; j++) s += exp(x[j] - mx);
        double lse = mx + log(s);
        double loss = lse - x[labels[i]];
        total += loss;
        if (losses) losses[i] = (float)loss;
        for (int j = 0; j < c; j++) {
            double p = exp(x[j] - lse);
            if (probs) probs[(size_t)i * c + j] = (float)p;
            if (dlogits)
                dlogits[(size_t)i * c + j] += (float)(grad_scale * (p - (j == labels[i])));
        }
    }
    if (loss_sum) *loss_sum = total;
    return ASGML_OK;
}
