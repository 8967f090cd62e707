/* SPDX-License-Identifier: MIT */
/* test-metrics.c - argmax tie rule, accuracy and macro-F1 against
 * hand-computed values (asgml-methods(7), EVALUATION). */
#include <math.h>

#include "train/metrics.h"
#include "tap.h"

int main(void)
{
    const float logits[] = { 1, 3, 3,      /* tie 1/2 -> 1 */
                             5, 5, 5,      /* all tied -> 0 */
                             NAN, -1, 2,   /* NaN never wins -> 2 */
                             -2, -1, -3 }; /* -> 1 */
    int32_t pred[4];
    const int32_t t1[] = { 0, 0, 1, 2 }, p1[] = { 0, 1, 1, 3 };
    const int32_t t2[] = { 0, 1, 0, 1, 1 }, p2[] = { 0, 1, 1, 1, 0 };
    const int32_t t3[] = { 5, 5, 5 }, p3[] = { 5, 5, 5 };

    tap_plan(9);
    asgml_argmax_rows(logits, 4, 3, pred);
    ok(pred[0] == 1 && pred[1] == 0 && pred[2] == 2 && pred[3] == 1,
       "argmax: ties to the lowest index, NaN loses (%d %d %d %d)", pred[0], pred[1], pred[2],
       pred[3]);
    ok(asgml_accuracy(p1, t1, 4) == 0.5, "accuracy 2/4");
    ok(asgml_accuracy(p1, t1, 0) == 0.0, "accuracy of nothing is 0");
    /* classes {0,1,2,3}: F1 = 2/3, 2/3, 0, 0 -> 1/3 (class 3 only predicted) */
    ok(fabs(asgml_macro_f1(p1, t1, 4, 10) - 1.0 / 3.0) < 1e-15,
       "macro-F1 over targets U predictions = 1/3 (%.17g)", asgml_macro_f1(p1, t1, 4, 10));
    /* class 0: tp1 fp1 fn1 -> 0.5; class 1: tp2 fp1 fn1 -> 4/6 */
    ok(fabs(asgml_macro_f1(p2, t2, 5, 2) - (0.5 + 2.0 / 3.0) / 2) < 1e-15, "binary macro-F1");
    ok(asgml_macro_f1(p3, t3, 3, 6) == 1.0, "absent classes do not count (perfect = 1)");
    ok(asgml_macro_f1(p1, t1, 0, 4) == 0.0, "macro-F1 of nothing is 0");
    {
        const int32_t tt[] = { 0, 1 }, pp[] = { 1, 0 };
        ok(asgml_macro_f1(pp, tt, 2, 2) == 0.0, "all wrong -> 0");
    }
    ok(isnan(asgml_macro_f1(p1, t1, 4, ASGML_METRICS_MAX_CLASSES + 1)), "too many classes -> NaN");
    return tap_done();
}
