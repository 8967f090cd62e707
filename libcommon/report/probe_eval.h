/* SPDX-License-Identifier: MIT */
/* probe_eval.h - offline evaluation of a trained model's encoders: the
 * engine of asgml-probe(1), whose API (and the description of the steps,
 * budget and defaults) is asgml/probe_eval.h; here the pieces only the
 * library and its tests use. */
#ifndef ASGML_REPORT_PROBE_EVAL_H
#define ASGML_REPORT_PROBE_EVAL_H

#include "asgml/probe_eval.h"
#include "data/loader.h"

/* One inference pass over `part`: features of every encoder (from the
 * all-present forward) into *fs (may be NULL) and, for each of the nmasks
 * coalition masks (bit m = modality m present; the full mask is allowed),
 * the number of correct fused predictions into correct[k] (may be NULL
 * when nmasks == 0).  pred_full (may be NULL) receives the fused
 * predictions (n) with every modality present. tf[m] is the transform of
 * the model's encoder m. */
asgml_status asgml_probe_eval_pass(asgml_backend *be, asgml_model *model, asgml_store *store,
                                   const asgml_transform *tf, const char *scheme,
                                   const char *part, int batch_size, asgml_feature_set *fs,
                                   const unsigned *masks, int nmasks, int64_t *correct,
                                   int32_t **pred_full);

/* z-scores train (n_train, d) and test (n_test, d) in place with the
 * per-dimension mean and unbiased std of train (double accumulation). */
asgml_status asgml_standardise_features(float *train, int64_t n_train, float *test,
                                        int64_t n_test, int d);

/* Trains one fresh probe on (x_train, y_train) host memory and measures it
 * on both parts. */
asgml_status asgml_probe_fit_eval(asgml_backend *be, const asgml_probe_eval_options *o,
                                  uint64_t seed, int d, int num_classes,
                                  const float *x_train, const int32_t *y_train, int64_t n_train,
                                  const float *x_test, const int32_t *y_test, int64_t n_test,
                                  asgml_probe_fit *out);

#endif
